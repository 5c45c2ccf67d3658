/* ONNX importers of the tensor family: reshaping, transposing, slicing, gathering,
 * scattering (import_shape_ops.c has the ops that compute shapes, pad and top-k).
 * Shapes go through shape values (import_tensor_helpers.h): static dims give static layer
 * parameters, dynamic ones give shape-arithmetic layers the builder evaluates per profile.
 * An op whose inputs are all constants is computed on the host, so that downstream
 * importers (Reshape's shape, Slice's ends, ...) see constants, as onnx-tensorrt does. */
#include <stdlib.h>
#include <string.h>

#include "onnx/import_tensor_helpers.h"

#define MAX_OUTPUTS 64

static bool known_dims(const ingot_dims *dims) {
  if (dims->nb_dims < 0) return false;
  for (int32_t i = 0; i < dims->nb_dims; i++)
    if (dims->d[i] < 0) return false;
  return true;
}

/* The dims of input i: a constant's own, else what the network knows (nb_dims -1 if not). */
static ingot_dims input_dims(ingot_onnx_node *node, int32_t i) {
  const ingot_onnx_value *v = ingot_onnx_input(node, i);
  if (v && v->is_constant) return v->dims;
  return ingot_onnx_input_dims(node, i);
}

static const ingot_onnx_value *required_input(ingot_onnx_node *node, int32_t i, const char *what,
                                              ingot_status *st) {
  const ingot_onnx_value *v = ingot_onnx_input(node, i);
  *st = v ? INGOT_SUCCESS : ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input %d (%s) is missing", i, what);
  return v;
}

static ingot_status need_rank(ingot_onnx_node *node, const ingot_dims *dims, const char *what) {
  if (dims->nb_dims >= 0) return INGOT_SUCCESS;
  return ingot_onnx_fail(node, INGOT_UNSUPPORTED,
                         "%s needs the rank of input 0, which is not known at import (a dynamic shape upstream)", what);
}

static ingot_status set_output(ingot_onnx_node *node, int32_t i, ingot_tensor *t) {
  return ingot_onnx_set_output(node, i, t);
}

/* Normalizes a list of axes for `rank` into sorted, distinct values; fails naming `what`. */
static ingot_status normalize_axes(ingot_onnx_node *node, const int64_t *axes, int32_t count, int32_t rank,
                                   const char *what, int32_t *out) {
  uint32_t seen = 0;
  for (int32_t j = 0; j < count; j++) {
    int32_t a;
    INGOT_ONNX_TRY(ingot_onnx_normalize_axis(node, axes[j], rank, what, &a));
    if (seen & (1u << a))
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "%s lists axis %lld twice", what, (long long)axes[j]);
    seen |= 1u << a;
  }
  int32_t n = 0;
  for (int32_t a = 0; a < rank; a++)
    if (seen & (1u << a)) out[n++] = a;
  return INGOT_SUCCESS;
}

/* Sorted, distinct, non-negative axes when the rank is unknown. */
static ingot_status sort_axes_unranked(ingot_onnx_node *node, const int64_t *axes, int32_t count, const char *what,
                                       int32_t *out) {
  uint32_t seen = 0;
  for (int32_t j = 0; j < count; j++) {
    if (axes[j] < 0 || axes[j] >= 2 * INGOT_MAX_DIMS)
      return ingot_onnx_fail(node, INGOT_UNSUPPORTED,
                             "%s holds %lld: a negative axis needs the rank of the input, which is not known at "
                             "import (a dynamic shape upstream)",
                             what, (long long)axes[j]);
    if (seen & (1u << axes[j]))
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "%s lists axis %lld twice", what, (long long)axes[j]);
    seen |= 1u << axes[j];
  }
  int32_t n = 0;
  for (int32_t a = 0; a < 2 * INGOT_MAX_DIMS; a++)
    if (seen & (1u << a)) out[n++] = a;
  return INGOT_SUCCESS;
}

/* ---- Reshape, Flatten, Squeeze, Unsqueeze -------------------------------------------------- */

/* ONNX Reshape's dims on the host: 0 copies the input dim (unless allowzero), -1 is inferred. */
static ingot_status resolve_reshape(ingot_onnx_node *node, const ingot_dims *in, const ingot_onnx_sv *shape,
                                    bool allowzero, ingot_dims *out) {
  memset(out, 0, sizeof *out);
  out->nb_dims = shape->length;
  int64_t known = 1, volume = 1;
  int32_t inferred = -1;
  for (int32_t i = 0; i < in->nb_dims; i++)
    if (__builtin_mul_overflow(volume, in->d[i], &volume))
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "the input's dims make more than 2^63 elements");
  for (int32_t i = 0; i < shape->length; i++) {
    int64_t d = shape->v[i];
    if (d == 0 && !allowzero) {
      if (i >= in->nb_dims)
        return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "shape[%d] is 0 (copy) but the input has rank %d", i,
                               in->nb_dims);
      d = in->d[i];
    } else if (d == -1) {
      if (inferred >= 0)
        return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "shape has -1 at both %d and %d", inferred, i);
      inferred = i;
      continue;
    } else if (d < 0) {
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "shape[%d] is %lld, expected >= -1", i, (long long)d);
    }
    out->d[i] = d;
    if (__builtin_mul_overflow(known, d, &known))
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "shape's dims up to shape[%d] (%lld) make more than 2^63 elements",
                             i, (long long)d);
  }
  if (inferred >= 0) {
    if (known == 0 || volume % known != 0)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "cannot infer the -1 of shape: %lld elements into %lld",
                             (long long)volume, (long long)known);
    out->d[inferred] = volume / known;
  } else if (known != volume) {
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "shape holds %lld elements, the input %lld",
                           (long long)known, (long long)volume);
  }
  return INGOT_SUCCESS;
}

/* The end of every reshape-like importer: fold a constant, else reshape to `shape`. */
static ingot_status finish_reshape(ingot_onnx_node *node, ingot_onnx_sv *shape, bool allowzero) {
  const ingot_onnx_value *x = ingot_onnx_input(node, 0);
  if (shape->known && shape->length > INGOT_MAX_DIMS)
    return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "output rank %d is more than %d", shape->length, INGOT_MAX_DIMS);
  if (x->is_constant && shape->known && known_dims(&x->dims)) {
    ingot_dims out;
    INGOT_ONNX_TRY(resolve_reshape(node, &x->dims, shape, allowzero, &out));
    return ingot_onnx_fold_reshape(node, x, &out, 0);
  }
  ingot_tensor *in, *out;
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 0, &in));
  INGOT_ONNX_TRY(ingot_onnx_sv_reshape(node, in, shape, allowzero, &out));
  return set_output(node, 0, out);
}

static ingot_status import_reshape(ingot_onnx_node *node) {
  ingot_status st;
  if (!required_input(node, 0, "data", &st)) return st;
  ingot_onnx_sv shape;
  if (ingot_onnx_node_opset(node) < 5) {
    int64_t v[INGOT_MAX_DIMS + 1];
    int32_t n = -1;
    ingot_onnx_attr_ints(node, "shape", v, INGOT_MAX_DIMS + 1, &n);
    if (n < 0) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'shape' is missing");
    if (n > INGOT_MAX_DIMS)
      return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "attribute 'shape' has %d values, more than %d", n,
                             INGOT_MAX_DIMS);
    shape = ingot_onnx_sv_host(n, v);
  } else {
    INGOT_ONNX_TRY(ingot_onnx_sv_input(node, 1, "shape", &shape));
  }
  bool allowzero = ingot_onnx_attr_int(node, "allowzero", 0) != 0;
  return finish_reshape(node, &shape, allowzero);
}

static ingot_status import_flatten(ingot_onnx_node *node) {
  ingot_status st;
  if (!required_input(node, 0, "input", &st)) return st;
  ingot_dims dims = input_dims(node, 0);
  int64_t axis = ingot_onnx_attr_int(node, "axis", 1);
  if (axis < 0) {
    INGOT_ONNX_TRY(need_rank(node, &dims, "a negative 'axis'"));
    axis += dims.nb_dims;
  }
  if (axis < 0 || (dims.nb_dims >= 0 && axis > dims.nb_dims) || axis > INGOT_MAX_DIMS)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'axis' is %lld, expected -%d to %d",
                           (long long)ingot_onnx_attr_int(node, "axis", 1), dims.nb_dims, dims.nb_dims);
  ingot_onnx_sv s, head, pre, parts[2];
  INGOT_ONNX_TRY(ingot_onnx_sv_input_shape(node, 0, &s));
  INGOT_ONNX_TRY(ingot_onnx_sv_slice(node, &s, 0, (int32_t)axis, &head));
  INGOT_ONNX_TRY(ingot_onnx_sv_product(node, &head, &pre));
  parts[0] = pre;
  if (s.known) {
    ingot_onnx_sv tail;
    INGOT_ONNX_TRY(ingot_onnx_sv_tail(node, &s, (int32_t)axis, &tail));
    INGOT_ONNX_TRY(ingot_onnx_sv_product(node, &tail, &parts[1]));
  } else {
    parts[1] = ingot_onnx_sv_scalar(-1); /* the rest, inferred */
  }
  ingot_onnx_sv shape;
  INGOT_ONNX_TRY(ingot_onnx_sv_concat(node, parts, 2, &shape));
  return finish_reshape(node, &shape, true);
}

static ingot_status import_unsqueeze(ingot_onnx_node *node) {
  ingot_status st;
  if (!required_input(node, 0, "data", &st)) return st;
  int64_t axes[2 * INGOT_MAX_DIMS];
  int32_t count;
  INGOT_ONNX_TRY(ingot_onnx_read_axes(node, "axes", 1, 13, axes, 2 * INGOT_MAX_DIMS, &count));
  if (count < 0) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "axes are missing");
  ingot_dims dims = input_dims(node, 0);
  ingot_onnx_sv s, shape;
  INGOT_ONNX_TRY(ingot_onnx_sv_input_shape(node, 0, &s));
  int32_t sorted[2 * INGOT_MAX_DIMS];
  if (dims.nb_dims >= 0) {
    int32_t rank_out = dims.nb_dims + count;
    if (rank_out > INGOT_MAX_DIMS)
      return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "output rank %d is more than %d", rank_out, INGOT_MAX_DIMS);
    INGOT_ONNX_TRY(normalize_axes(node, axes, count, rank_out, "axes", sorted));
    /* output dim j: the appended 1 (index rank_in of [dims..., 1]) or the next input dim */
    int64_t idx[INGOT_MAX_DIMS];
    for (int32_t j = 0, k = 0, next = 0; j < rank_out; j++) {
      bool is_new = k < count && sorted[k] == j;
      idx[j] = is_new ? dims.nb_dims : next++;
      k += is_new;
    }
    ingot_onnx_sv parts[2] = {s, ingot_onnx_sv_scalar(1)}, ext;
    INGOT_ONNX_TRY(ingot_onnx_sv_concat(node, parts, 2, &ext));
    INGOT_ONNX_TRY(ingot_onnx_sv_gather(node, &ext, idx, rank_out, &shape));
    return finish_reshape(node, &shape, true);
  }
  /* Unknown rank: non-negative axes still say where the 1s go, counting from the front.
   * Output dim j past the last new 1 is input dim j - count: the output is [1] * count ++
   * dims with its first (last axis + 1) elements rebuilt; no intermediate is empty. */
  INGOT_ONNX_TRY(sort_axes_unranked(node, axes, count, "axes", sorted));
  int32_t m = sorted[count - 1] + 1;
  int64_t one_values[2 * INGOT_MAX_DIMS];
  for (int32_t j = 0; j < count; j++) one_values[j] = 1;
  ingot_onnx_sv parts[4 * INGOT_MAX_DIMS + 1], head, ones = ingot_onnx_sv_host(count, one_values);
  int32_t n = 0, prev = 0;
  for (int32_t j = 0; j < count; j++) {
    int32_t in_pos = sorted[j] - j;
    if (in_pos > prev) INGOT_ONNX_TRY(ingot_onnx_sv_slice(node, &s, prev, in_pos - prev, &parts[n++]));
    parts[n++] = ingot_onnx_sv_scalar(1);
    prev = in_pos;
  }
  INGOT_ONNX_TRY(ingot_onnx_sv_concat(node, parts, n, &head));
  ingot_onnx_sv base, base_w, base_parts[2] = {ones, s};
  INGOT_ONNX_TRY(ingot_onnx_sv_concat(node, base_parts, 2, &base));
  INGOT_ONNX_TRY(ingot_onnx_sv_slice(node, &base, 0, m, &base_w));
  INGOT_ONNX_TRY(ingot_onnx_sv_place(node, &base, &head, &base_w, true, &shape));
  return finish_reshape(node, &shape, true);
}

static ingot_status import_squeeze(ingot_onnx_node *node) {
  ingot_status st;
  if (!required_input(node, 0, "data", &st)) return st;
  int64_t axes[2 * INGOT_MAX_DIMS];
  int32_t count;
  INGOT_ONNX_TRY(ingot_onnx_read_axes(node, "axes", 1, 13, axes, 2 * INGOT_MAX_DIMS, &count));
  ingot_dims dims = input_dims(node, 0);
  ingot_onnx_sv s, shape;
  INGOT_ONNX_TRY(ingot_onnx_sv_input_shape(node, 0, &s));
  int32_t sorted[2 * INGOT_MAX_DIMS];
  if (count < 0) { /* every dim of size 1: the dims must be known */
    if (!known_dims(&dims))
      return ingot_onnx_fail(node, INGOT_UNSUPPORTED,
                             "Squeeze without axes needs the input dims at import, but they are dynamic");
    count = 0;
    for (int32_t i = 0; i < dims.nb_dims; i++)
      if (dims.d[i] == 1) axes[count++] = i;
  }
  if (dims.nb_dims >= 0) {
    INGOT_ONNX_TRY(normalize_axes(node, axes, count, dims.nb_dims, "axes", sorted));
    int64_t keep[INGOT_MAX_DIMS];
    int32_t n = 0;
    for (int32_t i = 0, k = 0; i < dims.nb_dims; i++) {
      if (k < count && sorted[k] == i) {
        if (dims.d[i] >= 0 && dims.d[i] != 1)
          return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "axes holds %d, but that dim has size %lld, not 1", i,
                                 (long long)dims.d[i]);
        k++;
        continue;
      }
      keep[n++] = i;
    }
    INGOT_ONNX_TRY(ingot_onnx_sv_gather(node, &s, keep, n, &shape));
    return finish_reshape(node, &shape, true);
  }
  /* Unknown rank: output dim j past the last removed axis is input dim j + count, so the
   * output is dims[count:] with its first elements rebuilt (no intermediate is empty). */
  INGOT_ONNX_TRY(sort_axes_unranked(node, axes, count, "axes", sorted));
  ingot_onnx_sv parts[2 * INGOT_MAX_DIMS + 1], base;
  int32_t n = 0, prev = 0;
  for (int32_t j = 0; j < count; j++) {
    if (sorted[j] > prev) INGOT_ONNX_TRY(ingot_onnx_sv_slice(node, &s, prev, sorted[j] - prev, &parts[n++]));
    prev = sorted[j] + 1;
  }
  INGOT_ONNX_TRY(ingot_onnx_sv_tail(node, &s, count, &base));
  int32_t m = count > 0 ? sorted[count - 1] + 1 - count : 0; /* output dims before the rest */
  if (m > 0) {
    ingot_onnx_sv head, base_w;
    INGOT_ONNX_TRY(ingot_onnx_sv_concat(node, parts, n, &head));
    INGOT_ONNX_TRY(ingot_onnx_sv_slice(node, &base, 0, m, &base_w));
    INGOT_ONNX_TRY(ingot_onnx_sv_place(node, &base, &head, &base_w, true, &base));
  }
  return finish_reshape(node, &base, true);
}

/* ---- Transpose, Concat ---------------------------------------------------------------------- */

static ingot_status import_transpose(ingot_onnx_node *node) {
  ingot_status st;
  const ingot_onnx_value *x = required_input(node, 0, "data", &st);
  if (!x) return st;
  ingot_dims dims = input_dims(node, 0);
  int64_t perm64[INGOT_MAX_DIMS + 1];
  int32_t n = -1;
  ingot_onnx_attr_ints(node, "perm", perm64, INGOT_MAX_DIMS + 1, &n);
  if (n < 0) {
    INGOT_ONNX_TRY(need_rank(node, &dims, "Transpose without 'perm'"));
    n = dims.nb_dims;
    for (int32_t i = 0; i < n; i++) perm64[i] = n - 1 - i;
  }
  if (n > INGOT_MAX_DIMS || (dims.nb_dims >= 0 && n != dims.nb_dims))
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'perm' has %d values, expected the rank %d", n,
                           dims.nb_dims);
  ingot_shuffle_desc desc;
  memset(&desc, 0, sizeof desc);
  desc.has_first_transpose = 1;
  uint32_t seen = 0;
  for (int32_t i = 0; i < INGOT_MAX_DIMS; i++) desc.first_transpose[i] = i;
  for (int32_t i = 0; i < n; i++) {
    if (perm64[i] < 0 || perm64[i] >= n || (seen & (1u << perm64[i])))
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'perm' is not a permutation: perm[%d] is %lld",
                             i, (long long)perm64[i]);
    seen |= 1u << perm64[i];
    desc.first_transpose[i] = (int32_t)perm64[i];
  }
  if (x->is_constant && known_dims(&x->dims)) return ingot_onnx_fold_transpose(node, x, desc.first_transpose, 0);
  ingot_tensor *in;
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 0, &in));
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(
      node, ingot_network_add_shuffle(ingot_onnx_node_network(node), in, &desc, &layer), "adding shuffle (transpose)"));
  ingot_onnx_name_layer(node, layer);
  return set_output(node, 0, ingot_layer_get_output(layer, 0));
}

static ingot_status import_concat(ingot_onnx_node *node) {
  int32_t n = ingot_onnx_node_num_inputs(node);
  if (n < 1) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "no inputs");
  if (n > 1024) return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "%d inputs, more than 1024", n);
  if (!ingot_onnx_has_attr(node, "axis") && ingot_onnx_node_opset(node) >= 4)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'axis' is missing");
  int64_t axis = ingot_onnx_attr_int(node, "axis", 1);
  ingot_status st = INGOT_SUCCESS;
  if (ingot_onnx_inputs_constant(node, 0, n - 1)) {
    const ingot_onnx_value *values[1024];
    for (int32_t i = 0; i < n; i++)
      if (!(values[i] = required_input(node, i, "input", &st))) return st;
    int32_t a;
    INGOT_ONNX_TRY(ingot_onnx_normalize_axis(node, axis, values[0]->dims.nb_dims, "attribute 'axis'", &a));
    return ingot_onnx_fold_concat(node, values, n, a, 0);
  }
  ingot_dims dims = input_dims(node, 0);
  if (dims.nb_dims >= 0) {
    int32_t a;
    INGOT_ONNX_TRY(ingot_onnx_normalize_axis(node, axis, dims.nb_dims, "attribute 'axis'", &a));
    axis = a;
  }
  ingot_tensor **tensors = calloc((size_t)n, sizeof *tensors);
  if (!tensors) return ingot_onnx_fail(node, INGOT_OUT_OF_MEMORY, "out of memory");
  for (int32_t i = 0; i < n && st == INGOT_SUCCESS; i++) st = ingot_onnx_input_tensor(node, i, &tensors[i]);
  ingot_layer *layer = NULL;
  if (st == INGOT_SUCCESS)
    st = ingot_onnx_check(node,
                          ingot_network_add_concatenation(ingot_onnx_node_network(node), tensors, n, (int32_t)axis,
                                                          &layer),
                          "adding concatenation");
  free(tensors);
  INGOT_ONNX_TRY(st);
  ingot_onnx_name_layer(node, layer);
  return set_output(node, 0, ingot_layer_get_output(layer, 0));
}

/* ---- Split, Slice --------------------------------------------------------------------------- */

/* Slicing works on a window of m dims whose length is known: all dims when the rank is
 * known; else the first m (axes counted from the front) or the last m (axes counted from
 * the end), the other dims being taken whole. */
typedef struct window {
  int32_t rank; /* of the input; -1 if unknown */
  bool front;   /* with an unknown rank: the window is dims [0, m), else [rank - m, rank) */
  int32_t m;
} window;

/* The window of an unknown-rank input that holds every axis in `axes`: all must count from
 * the front (>= 0) or all from the end (< 0). */
static ingot_status window_for(ingot_onnx_node *node, int32_t rank, const int64_t *axes, int32_t n, window *w) {
  w->rank = rank;
  w->front = true;
  w->m = rank;
  if (rank >= 0) return INGOT_SUCCESS;
  int32_t nonneg = 0, m = 0;
  for (int32_t j = 0; j < n; j++) {
    nonneg += axes[j] >= 0;
    int64_t need = axes[j] >= 0 ? axes[j] + 1 : -axes[j];
    if (need > INGOT_MAX_DIMS)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "axis %lld is out of range for rank <= %d",
                             (long long)axes[j], INGOT_MAX_DIMS);
    if (need > m) m = (int32_t)need;
  }
  if (nonneg != 0 && nonneg != n)
    return ingot_onnx_fail(node, INGOT_UNSUPPORTED,
                           "axes mix negative and non-negative values, and the input rank is not known at import "
                           "(a dynamic shape upstream)");
  w->front = nonneg == n;
  w->m = m;
  return INGOT_SUCCESS;
}

/* An axis' position in the window. */
static ingot_status window_pos(ingot_onnx_node *node, const window *w, int64_t axis, const char *what, int32_t *pos) {
  if (w->rank >= 0) return ingot_onnx_normalize_axis(node, axis, w->rank, what, pos);
  *pos = (int32_t)(w->front ? axis : axis + w->m);
  return INGOT_SUCCESS;
}

/* The dims of the window (d: the input's shape value). */
static ingot_status window_dims(ingot_onnx_node *node, const window *w, ingot_onnx_sv *d, ingot_onnx_sv *out) {
  if (w->rank >= 0) {
    *out = *d;
    return INGOT_SUCCESS;
  }
  return w->front ? ingot_onnx_sv_slice(node, d, 0, w->m, out) : ingot_onnx_sv_last(node, d, w->m, out);
}

/* Slices `in` (output `out`) by window start, size and step; dims outside the window whole. */
static ingot_status slice_window(ingot_onnx_node *node, const window *w, ingot_onnx_sv *d, ingot_onnx_sv *start_w,
                                 ingot_onnx_sv *size_w, const int64_t *step_w, int32_t out) {
  ingot_onnx_sv start = *start_w, size = *size_w, stride = ingot_onnx_sv_host(w->m, step_w);
  if (w->rank < 0) {
    ingot_onnx_sv dw, zero = ingot_onnx_sv_scalar(0), one = ingot_onnx_sv_scalar(1), zeros, ones;
    INGOT_ONNX_TRY(window_dims(node, w, d, &dw));
    INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, d, &zero, INGOT_ELEMENTWISE_PROD, &zeros));
    INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &zeros, &one, INGOT_ELEMENTWISE_SUM, &ones));
    INGOT_ONNX_TRY(ingot_onnx_sv_place(node, &zeros, start_w, &zero, w->front, &start));
    INGOT_ONNX_TRY(ingot_onnx_sv_place(node, d, size_w, &dw, w->front, &size));
    ingot_onnx_sv stride_w = stride;
    INGOT_ONNX_TRY(ingot_onnx_sv_place(node, &ones, &stride_w, &one, w->front, &stride));
  }
  const ingot_onnx_value *x = ingot_onnx_input(node, 0);
  if (x->is_constant && w->rank >= 0 && start.known && size.known)
    return ingot_onnx_fold_slice(node, x, start.v, size.v, step_w, out);
  ingot_tensor *in, *t;
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 0, &in));
  INGOT_ONNX_TRY(ingot_onnx_sv_slice_layer(node, in, &start, &size, &stride, &t));
  return ingot_onnx_set_output(node, out, t);
}

/* Output `out` = x[..., start : start + size, ...] at window position `pos` (start and size
 * one element each); dw: the window's dims. */
static ingot_status slice_along(ingot_onnx_node *node, const window *w, ingot_onnx_sv *d, ingot_onnx_sv *dw,
                                int32_t pos, ingot_onnx_sv *start, ingot_onnx_sv *size, int32_t out) {
  int64_t zeros[INGOT_MAX_DIMS] = {0}, ones[INGOT_MAX_DIMS], idx[INGOT_MAX_DIMS];
  for (int32_t i = 0; i < w->m; i++) {
    ones[i] = 1;
    idx[i] = i == pos ? w->m : i;
  }
  ingot_onnx_sv starts, sizes, ext, parts[3] = {ingot_onnx_sv_host(pos, zeros), *start,
                                                ingot_onnx_sv_host(w->m - pos - 1, zeros)};
  INGOT_ONNX_TRY(ingot_onnx_sv_concat(node, parts, 3, &starts));
  ingot_onnx_sv ext_parts[2] = {*dw, *size};
  INGOT_ONNX_TRY(ingot_onnx_sv_concat(node, ext_parts, 2, &ext));
  INGOT_ONNX_TRY(ingot_onnx_sv_gather(node, &ext, idx, w->m, &sizes));
  return slice_window(node, w, d, &starts, &sizes, ones, out);
}

static ingot_status import_split(ingot_onnx_node *node) {
  ingot_status st;
  if (!required_input(node, 0, "input", &st)) return st;
  int32_t n = ingot_onnx_node_num_outputs(node);
  if (n < 1 || n > MAX_OUTPUTS)
    return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "%d outputs, expected 1 to %d", n, MAX_OUTPUTS);
  ingot_dims dims = input_dims(node, 0);
  int64_t axis = ingot_onnx_attr_int(node, "axis", 0);
  window w;
  int32_t pos;
  INGOT_ONNX_TRY(window_for(node, dims.nb_dims, &axis, 1, &w));
  INGOT_ONNX_TRY(window_pos(node, &w, axis, "attribute 'axis'", &pos));
  int64_t split[MAX_OUTPUTS + 1];
  int32_t count;
  INGOT_ONNX_TRY(ingot_onnx_read_axes(node, "split", 1, 13, split, MAX_OUTPUTS + 1, &count));
  if (ingot_onnx_has_attr(node, "num_outputs") && ingot_onnx_attr_int(node, "num_outputs", 0) != n)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'num_outputs' is %lld but the node has %d outputs",
                           (long long)ingot_onnx_attr_int(node, "num_outputs", 0), n);
  ingot_onnx_sv s, sw, dim;
  INGOT_ONNX_TRY(ingot_onnx_sv_input_shape(node, 0, &s));
  INGOT_ONNX_TRY(window_dims(node, &w, &s, &sw));
  INGOT_ONNX_TRY(ingot_onnx_sv_slice(node, &sw, pos, 1, &dim));
  int64_t d = w.rank >= 0 ? dims.d[pos] : -1;
  if (count >= 0) {
    if (count != n)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "split has %d values but the node has %d outputs", count, n);
    int64_t total = 0;
    for (int32_t i = 0; i < n; i++) {
      if (split[i] < 0)
        return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "split[%d] is %lld, expected >= 0", i,
                               (long long)split[i]);
      total += split[i];
    }
    if (d >= 0 && total != d)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "split sums to %lld but dim %d has size %lld",
                             (long long)total, pos, (long long)d);
    for (int32_t i = 0, start = 0; i < n; i++) {
      ingot_onnx_sv a = ingot_onnx_sv_scalar(start), b = ingot_onnx_sv_scalar(split[i]);
      INGOT_ONNX_TRY(slice_along(node, &w, &s, &sw, pos, &a, &b, i));
      start += (int32_t)split[i];
    }
    return INGOT_SUCCESS;
  }
  /* Equal parts; from opset 18 the last may be smaller (chunk = ceil(dim / n)). */
  bool uneven_ok = ingot_onnx_node_opset(node) >= 18;
  if (d >= 0 && !uneven_ok && d % n != 0)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "dim %d of size %lld does not split into %d equal parts",
                           pos, (long long)d, n);
  ingot_onnx_sv chunk, nn = ingot_onnx_sv_scalar(n), bias = ingot_onnx_sv_scalar(uneven_ok ? n - 1 : 0), t;
  INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &dim, &bias, INGOT_ELEMENTWISE_SUM, &t));
  INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &t, &nn, INGOT_ELEMENTWISE_FLOOR_DIV, &chunk));
  for (int32_t i = 0; i < n; i++) {
    ingot_onnx_sv ii = ingot_onnx_sv_scalar(i), zero = ingot_onnx_sv_scalar(0), start, rest, size;
    INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &chunk, &ii, INGOT_ELEMENTWISE_PROD, &start));
    INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &dim, &start, INGOT_ELEMENTWISE_SUB, &rest));
    INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &rest, &zero, INGOT_ELEMENTWISE_MAX, &rest));
    INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &rest, &chunk, INGOT_ELEMENTWISE_MIN, &size));
    INGOT_ONNX_TRY(slice_along(node, &w, &s, &sw, pos, &start, &size, i));
  }
  return INGOT_SUCCESS;
}

static ingot_status import_slice(ingot_onnx_node *node) {
  ingot_status st;
  if (!required_input(node, 0, "data", &st)) return st;
  ingot_dims dims = input_dims(node, 0);
  ingot_onnx_sv starts, ends;
  int64_t axes[INGOT_MAX_DIMS + 1], steps[INGOT_MAX_DIMS + 1];
  int32_t nb_axes = -1, nb_steps = -1;
  if (ingot_onnx_node_opset(node) < 10) {
    int64_t v[INGOT_MAX_DIMS + 1];
    int32_t n = -1, m = -1;
    ingot_onnx_attr_ints(node, "starts", v, INGOT_MAX_DIMS + 1, &n);
    if (n < 0 || n > INGOT_MAX_DIMS)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'starts' has %d values, expected 1 to %d", n,
                             INGOT_MAX_DIMS);
    starts = ingot_onnx_sv_host(n, v);
    ingot_onnx_attr_ints(node, "ends", v, INGOT_MAX_DIMS + 1, &m);
    if (m != n)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'ends' has %d values, 'starts' %d", m, n);
    ends = ingot_onnx_sv_host(m, v);
    ingot_onnx_attr_ints(node, "axes", axes, INGOT_MAX_DIMS + 1, &nb_axes);
  } else {
    INGOT_ONNX_TRY(ingot_onnx_sv_input(node, 1, "starts", &starts));
    INGOT_ONNX_TRY(ingot_onnx_sv_input(node, 2, "ends", &ends));
    if (ingot_onnx_input(node, 3)) INGOT_ONNX_TRY(ingot_onnx_input_ints(node, 3, axes, INGOT_MAX_DIMS + 1, &nb_axes));
    if (ingot_onnx_input(node, 4)) INGOT_ONNX_TRY(ingot_onnx_input_ints(node, 4, steps, INGOT_MAX_DIMS + 1, &nb_steps));
  }
  int32_t n = starts.length >= 0 ? starts.length : ends.length >= 0 ? ends.length : nb_axes;
  if (n < 0)
    return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "the number of sliced axes is unknown: starts and ends are "
                           "computed and 'axes' is absent");
  if (starts.length < 0) starts.length = n;
  if (ends.length < 0) ends.length = n;
  if (n > INGOT_MAX_DIMS || (dims.nb_dims >= 0 && n > dims.nb_dims) || starts.length != n || ends.length != n ||
      (nb_axes >= 0 && nb_axes != n) || (nb_steps >= 0 && nb_steps != n))
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT,
                           "starts, ends, axes and steps have %d, %d, %d and %d values, expected the same count "
                           "(at most the rank %d)",
                           starts.length, ends.length, nb_axes, nb_steps, dims.nb_dims);
  if (nb_axes < 0)
    for (int32_t j = 0; j < n; j++) axes[j] = j;
  window w;
  INGOT_ONNX_TRY(window_for(node, dims.nb_dims, axes, n, &w));
  /* Window vectors: idx[i] = which given entry slices dim i, or n for "the whole dim". */
  int64_t idx[INGOT_MAX_DIMS], step[INGOT_MAX_DIMS], lo[INGOT_MAX_DIMS], bias[INGOT_MAX_DIMS];
  for (int32_t i = 0; i < w.m; i++) idx[i] = n;
  for (int32_t j = 0; j < n; j++) {
    int32_t a;
    INGOT_ONNX_TRY(window_pos(node, &w, axes[j], "axes", &a));
    if (idx[a] != n) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "axes lists dim %lld twice", (long long)axes[j]);
    idx[a] = j;
  }
  for (int32_t i = 0; i < w.m; i++) {
    step[i] = idx[i] < n && nb_steps >= 0 ? steps[idx[i]] : 1;
    if (step[i] == 0) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "steps[%lld] is 0", (long long)idx[i]);
    lo[i] = step[i] > 0 ? 0 : -1;
    bias[i] = step[i] > 0 ? step[i] - 1 : step[i] + 1; /* ceil division below */
  }
  /* Clamp as the spec says: start and end in [0, dim] for positive steps, [-1, dim - 1] for
   * negative ones, after negative values count from the end; size = ceil((end - start) / step). */
  ingot_onnx_sv d, dw, s_parts[2] = {starts, ingot_onnx_sv_scalar(0)}, e_parts[2] = {ends, ingot_onnx_sv_scalar(INT64_MAX)};
  ingot_onnx_sv s, e, lo_sv = ingot_onnx_sv_host(w.m, lo), hi, step_sv = ingot_onnx_sv_host(w.m, step),
                      bias_sv = ingot_onnx_sv_host(w.m, bias), zero = ingot_onnx_sv_scalar(0), size;
  INGOT_ONNX_TRY(ingot_onnx_sv_input_shape(node, 0, &d));
  INGOT_ONNX_TRY(window_dims(node, &w, &d, &dw));
  INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &dw, &lo_sv, INGOT_ELEMENTWISE_SUM, &hi));
  ingot_onnx_sv *ends_of[2] = {&s, &e};
  ingot_onnx_sv *parts_of[2] = {s_parts, e_parts};
  for (int32_t k = 0; k < 2; k++) {
    ingot_onnx_sv ext, *v = ends_of[k];
    INGOT_ONNX_TRY(ingot_onnx_sv_concat(node, parts_of[k], 2, &ext));
    INGOT_ONNX_TRY(ingot_onnx_sv_gather(node, &ext, idx, w.m, v));
    INGOT_ONNX_TRY(ingot_onnx_sv_wrap_negative(node, v, &dw, v));
    INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, v, &lo_sv, INGOT_ELEMENTWISE_MAX, v));
    INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, v, &hi, INGOT_ELEMENTWISE_MIN, v));
  }
  INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &e, &s, INGOT_ELEMENTWISE_SUB, &size));
  INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &size, &bias_sv, INGOT_ELEMENTWISE_SUM, &size));
  INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &size, &step_sv, INGOT_ELEMENTWISE_FLOOR_DIV, &size));
  INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &size, &zero, INGOT_ELEMENTWISE_MAX, &size));
  return slice_window(node, &w, &d, &s, &size, step, 0);
}

/* ---- Gather, GatherElements, GatherND, Scatter* --------------------------------------------- */

static ingot_status import_gather(ingot_onnx_node *node) {
  ingot_status st;
  const ingot_onnx_value *data = required_input(node, 0, "data", &st), *indices;
  if (!data) return st;
  if (!(indices = required_input(node, 1, "indices", &st))) return st;
  int64_t axis = ingot_onnx_attr_int(node, "axis", 0);
  if (ingot_onnx_inputs_constant(node, 0, 1)) {
    int32_t a;
    INGOT_ONNX_TRY(ingot_onnx_normalize_axis(node, axis, data->dims.nb_dims, "attribute 'axis'", &a));
    if (indices->dtype != INGOT_INT32 && indices->dtype != INGOT_INT64)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "indices are %s, expected int32 or int64",
                             ingot_dtype_name(indices->dtype));
    return ingot_onnx_fold_gather(node, data, indices, a, 0);
  }
  ingot_dims dims = input_dims(node, 0);
  if (dims.nb_dims >= 0) {
    int32_t a;
    INGOT_ONNX_TRY(ingot_onnx_normalize_axis(node, axis, dims.nb_dims, "attribute 'axis'", &a));
    axis = a;
  }
  ingot_tensor *td, *ti;
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 0, &td));
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 1, &ti));
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(
      node, ingot_network_add_gather(ingot_onnx_node_network(node), td, ti, (int32_t)axis, &layer), "adding gather"));
  ingot_onnx_name_layer(node, layer);
  return set_output(node, 0, ingot_layer_get_output(layer, 0));
}

static ingot_status two_inputs(ingot_onnx_node *node, ingot_tensor **a, ingot_tensor **b) {
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 0, a));
  return ingot_onnx_input_tensor(node, 1, b);
}

static ingot_status import_gather_elements(ingot_onnx_node *node) {
  ingot_tensor *data, *indices;
  INGOT_ONNX_TRY(two_inputs(node, &data, &indices));
  ingot_layer *layer = NULL;
  int64_t axis = ingot_onnx_attr_int(node, "axis", 0);
  INGOT_ONNX_TRY(ingot_onnx_check(node,
                                  ingot_network_add_gather_elements(ingot_onnx_node_network(node), data, indices,
                                                                    (int32_t)axis, &layer),
                                  "adding gather_elements"));
  ingot_onnx_name_layer(node, layer);
  return set_output(node, 0, ingot_layer_get_output(layer, 0));
}

static ingot_status import_gather_nd(ingot_onnx_node *node) {
  ingot_tensor *data, *indices;
  INGOT_ONNX_TRY(two_inputs(node, &data, &indices));
  int64_t batch_dims = ingot_onnx_attr_int(node, "batch_dims", 0);
  if (batch_dims < 0 || batch_dims >= INGOT_MAX_DIMS)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'batch_dims' is %lld, expected 0 to %d",
                           (long long)batch_dims, INGOT_MAX_DIMS - 1);
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(node,
                                  ingot_network_add_gather_nd(ingot_onnx_node_network(node), data, indices,
                                                              (int32_t)batch_dims, &layer),
                                  "adding gather_nd"));
  ingot_onnx_name_layer(node, layer);
  return set_output(node, 0, ingot_layer_get_output(layer, 0));
}

static ingot_status scatter(ingot_onnx_node *node, ingot_scatter_mode mode) {
  static const char *const names[] = {"none", "add", "mul", "max", "min"};
  const char *reduction = ingot_onnx_attr_string(node, "reduction", "none");
  int32_t r = -1;
  for (int32_t k = 0; k < 5; k++)
    if (strcmp(reduction, names[k]) == 0) r = k;
  if (r < 0)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT,
                           "attribute 'reduction' is '%s', expected none, add, mul, max or min", reduction);
  ingot_tensor *data, *indices, *updates;
  INGOT_ONNX_TRY(two_inputs(node, &data, &indices));
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 2, &updates));
  int64_t axis = mode == INGOT_SCATTER_ELEMENTS ? ingot_onnx_attr_int(node, "axis", 0) : 0;
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(node,
                                  ingot_network_add_scatter(ingot_onnx_node_network(node), data, indices, updates,
                                                            mode, (int32_t)axis, (ingot_scatter_reduction)r, &layer),
                                  "adding scatter"));
  ingot_onnx_name_layer(node, layer);
  return set_output(node, 0, ingot_layer_get_output(layer, 0));
}

static ingot_status import_scatter_nd(ingot_onnx_node *node) { return scatter(node, INGOT_SCATTER_ND); }
static ingot_status import_scatter_elements(ingot_onnx_node *node) { return scatter(node, INGOT_SCATTER_ELEMENTS); }

/* ---- the table ------------------------------------------------------------------------------ */

const ingot_onnx_importer ingot_onnx_tensor_importers[] = {
    {"Reshape", 1, import_reshape},
    {"Flatten", 1, import_flatten},
    {"Squeeze", 1, import_squeeze},
    {"Unsqueeze", 1, import_unsqueeze},
    {"Transpose", 1, import_transpose},
    {"Concat", 1, import_concat},
    {"Split", 1, import_split},
    {"Slice", 1, import_slice},
    {"Gather", 1, import_gather},
    {"GatherElements", 11, import_gather_elements},
    {"GatherND", 11, import_gather_nd},
    {"ScatterND", 11, import_scatter_nd},
    {"ScatterElements", 11, import_scatter_elements},
    {"Scatter", 9, import_scatter_elements},
    {"Expand", 8, ingot_onnx_import_expand},
    {"Tile", 6, ingot_onnx_import_tile},
    {"Pad", 1, ingot_onnx_import_pad},
    {"Shape", 1, ingot_onnx_import_shape},
    {"Size", 1, ingot_onnx_import_size},
    {"ConstantOfShape", 9, ingot_onnx_import_constant_of_shape},
    {"Range", 11, ingot_onnx_import_range},
    {"DepthToSpace", 1, ingot_onnx_import_depth_to_space},
    {"SpaceToDepth", 1, ingot_onnx_import_space_to_depth},
    {"TopK", 1, ingot_onnx_import_topk},
};
const int32_t ingot_onnx_tensor_importer_count =
    (int32_t)(sizeof ingot_onnx_tensor_importers / sizeof ingot_onnx_tensor_importers[0]);
