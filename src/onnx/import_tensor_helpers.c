/* Shape values and host folding for the tensor family (see import_tensor_helpers.h). */
#include "onnx/import_tensor_helpers.h"

#include <stdlib.h>
#include <string.h>

static ingot_dims dims1(int64_t n) {
  ingot_dims d;
  memset(&d, 0, sizeof d);
  d.nb_dims = 1;
  d.d[0] = n;
  return d;
}

static bool dims_known(const ingot_dims *dims) {
  if (dims->nb_dims < 0 || dims->nb_dims > INGOT_MAX_DIMS) return false;
  for (int32_t i = 0; i < dims->nb_dims; i++)
    if (dims->d[i] < 0) return false;
  return true;
}

static int64_t volume_of(const ingot_dims *dims) {
  int64_t v = 1;
  for (int32_t i = 0; i < dims->nb_dims; i++) {
    if (dims->d[i] < 0) return -1;
    if (dims->d[i] != 0 && v > INT64_MAX / dims->d[i]) return -1;
    v *= dims->d[i];
  }
  return v;
}

/* ---- shape values ------------------------------------------------------------------------ */

ingot_onnx_sv ingot_onnx_sv_host(int32_t n, const int64_t *values) {
  ingot_onnx_sv sv;
  memset(&sv, 0, sizeof sv);
  sv.length = n;
  sv.known = true;
  if (n > 0) memcpy(sv.v, values, sizeof(int64_t) * (size_t)n);
  return sv;
}

ingot_onnx_sv ingot_onnx_sv_scalar(int64_t value) { return ingot_onnx_sv_host(1, &value); }

static ingot_onnx_sv sv_of_tensor(ingot_tensor *tensor, int32_t length) {
  ingot_onnx_sv sv;
  memset(&sv, 0, sizeof sv);
  sv.length = length;
  sv.tensor = tensor;
  return sv;
}

static ingot_status name_and_output(ingot_onnx_node *node, ingot_layer *layer, ingot_tensor **out) {
  ingot_onnx_name_layer(node, layer);
  *out = ingot_layer_get_output(layer, 0);
  return INGOT_SUCCESS;
}

static ingot_status add_shape_layer(ingot_onnx_node *node, ingot_tensor *tensor, ingot_tensor **out) {
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(
      ingot_onnx_check(node, ingot_network_add_shape(ingot_onnx_node_network(node), tensor, &layer), "adding shape"));
  return name_and_output(node, layer, out);
}

ingot_status ingot_onnx_sv_shape_of(ingot_onnx_node *node, ingot_tensor *tensor, const ingot_dims *dims,
                                    ingot_onnx_sv *out) {
  if (dims_known(dims)) {
    if (dims->nb_dims > INGOT_ONNX_SV_MAX)
      return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "rank %d is more than %d", dims->nb_dims, INGOT_ONNX_SV_MAX);
    *out = ingot_onnx_sv_host(dims->nb_dims, dims->d);
    return INGOT_SUCCESS;
  }
  ingot_tensor *shape;
  INGOT_ONNX_TRY(add_shape_layer(node, tensor, &shape));
  *out = sv_of_tensor(shape, dims->nb_dims);
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_sv_input_shape(ingot_onnx_node *node, int32_t i, ingot_onnx_sv *out) {
  const ingot_onnx_value *v = ingot_onnx_input(node, i);
  if (!v) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input %d is missing", i);
  if (v->is_constant && dims_known(&v->dims)) return ingot_onnx_sv_shape_of(node, NULL, &v->dims, out);
  ingot_tensor *t;
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, i, &t));
  ingot_dims dims = ingot_onnx_input_dims(node, i);
  return ingot_onnx_sv_shape_of(node, t, &dims, out);
}

ingot_status ingot_onnx_sv_input(ingot_onnx_node *node, int32_t i, const char *what, ingot_onnx_sv *out) {
  const ingot_onnx_value *v = ingot_onnx_input(node, i);
  if (!v) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input %d (%s) is missing", i, what);
  if (v->dtype != INGOT_INT64 && v->dtype != INGOT_INT32)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input %d (%s) is %s, expected int64 or int32", i, what,
                           ingot_dtype_name(v->dtype));
  if (v->is_constant) {
    if (v->dims.nb_dims > 1)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input %d (%s) has rank %d, expected a 1-D tensor", i,
                             what, v->dims.nb_dims);
    int64_t values[INGOT_ONNX_SV_MAX];
    int32_t count = 0;
    int64_t volume = volume_of(&v->dims);
    if (volume < 0 || volume > INGOT_ONNX_SV_MAX)
      return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "input %d (%s) has %lld elements, expected at most %d", i, what,
                             (long long)volume, INGOT_ONNX_SV_MAX);
    INGOT_ONNX_TRY(ingot_onnx_input_ints(node, i, values, INGOT_ONNX_SV_MAX, &count));
    *out = ingot_onnx_sv_host(count, values);
    return INGOT_SUCCESS;
  }
  ingot_tensor *t;
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, i, &t));
  if (v->dtype == INGOT_INT32) INGOT_ONNX_TRY(ingot_onnx_add_cast(node, t, INGOT_INT64, &t));
  ingot_dims dims = ingot_onnx_input_dims(node, i);
  int32_t length = -1;
  if (dims.nb_dims == 0) {
    ingot_dims one = dims1(1);
    INGOT_ONNX_TRY(ingot_onnx_reshape(node, t, &one, false, &t));
    length = 1;
  } else if (dims.nb_dims == 1) {
    length = dims.d[0] >= 0 && dims.d[0] <= INT32_MAX ? (int32_t)dims.d[0] : -1;
  } else if (dims.nb_dims > 1) {
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input %d (%s) has rank %d, expected a 1-D tensor", i, what,
                           dims.nb_dims);
  }
  *out = sv_of_tensor(t, length);
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_sv_tensor(ingot_onnx_node *node, ingot_onnx_sv *sv, ingot_tensor **out) {
  if (!sv->tensor) {
    ingot_dims d = dims1(sv->length);
    INGOT_ONNX_TRY(ingot_onnx_add_constant(node, INGOT_INT64, &d, sv->v, &sv->tensor));
  }
  *out = sv->tensor;
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_sv_concat(ingot_onnx_node *node, ingot_onnx_sv *parts, int32_t n, ingot_onnx_sv *out) {
  bool all_known = true;
  int64_t total = 0;
  for (int32_t k = 0; k < n; k++) {
    all_known = all_known && parts[k].known;
    total = (total < 0 || parts[k].length < 0) ? -1 : total + parts[k].length;
  }
  if (all_known && total <= INGOT_ONNX_SV_MAX) {
    int64_t v[INGOT_ONNX_SV_MAX];
    int32_t m = 0;
    for (int32_t k = 0; k < n; k++)
      for (int32_t j = 0; j < parts[k].length; j++) v[m++] = parts[k].v[j];
    *out = ingot_onnx_sv_host(m, v);
    return INGOT_SUCCESS;
  }
  ingot_tensor *tensors[4 * INGOT_ONNX_SV_MAX];
  int32_t m = 0;
  for (int32_t k = 0; k < n; k++) {
    if (parts[k].length == 0) continue; /* known to be empty */
    if (m == (int32_t)(sizeof tensors / sizeof tensors[0]))
      return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "too many pieces (%d) in a shape computation", n);
    INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, &parts[k], &tensors[m++]));
  }
  if (m == 1) {
    *out = sv_of_tensor(tensors[0], (int32_t)total);
    return INGOT_SUCCESS;
  }
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(
      node, ingot_network_add_concatenation(ingot_onnx_node_network(node), tensors, m, 0, &layer), "adding concatenation"));
  ingot_tensor *t;
  INGOT_ONNX_TRY(name_and_output(node, layer, &t));
  *out = sv_of_tensor(t, (int32_t)total);
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_sv_gather(ingot_onnx_node *node, ingot_onnx_sv *s, const int64_t *idx, int32_t n,
                                  ingot_onnx_sv *out) {
  if (s->known || n == 0) {
    int64_t v[INGOT_ONNX_SV_MAX];
    for (int32_t j = 0; j < n; j++) v[j] = s->v[idx[j]];
    *out = ingot_onnx_sv_host(n, v);
    return INGOT_SUCCESS;
  }
  ingot_tensor *data, *indices;
  INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, s, &data));
  ingot_dims d = dims1(n);
  INGOT_ONNX_TRY(ingot_onnx_add_constant(node, INGOT_INT64, &d, idx, &indices));
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(
      node, ingot_network_add_gather(ingot_onnx_node_network(node), data, indices, 0, &layer), "adding gather"));
  ingot_tensor *t;
  INGOT_ONNX_TRY(name_and_output(node, layer, &t));
  *out = sv_of_tensor(t, n);
  return INGOT_SUCCESS;
}

/* A slice of a 1-D tensor with stride 1: start and size static, or from tensors. */
static ingot_status slice_1d(ingot_onnx_node *node, ingot_tensor *in, int64_t start, ingot_tensor *start_tensor,
                             int64_t size, ingot_tensor *size_tensor, ingot_tensor **out) {
  ingot_dims st = dims1(start_tensor ? 0 : start), sz = dims1(size_tensor ? 0 : size), one = dims1(1);
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(
      node, ingot_network_add_slice(ingot_onnx_node_network(node), in, &st, &sz, &one, &layer), "adding slice"));
  if (start_tensor)
    INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_layer_set_input(layer, 1, start_tensor), "setting slice start"));
  if (size_tensor)
    INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_layer_set_input(layer, 2, size_tensor), "setting slice size"));
  return name_and_output(node, layer, out);
}

/* len(s) - k as a one-element value (len from a shape layer when unknown). */
static ingot_status length_minus(ingot_onnx_node *node, ingot_onnx_sv *s, int64_t k, ingot_onnx_sv *out) {
  ingot_tensor *in, *len;
  INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, s, &in));
  INGOT_ONNX_TRY(add_shape_layer(node, in, &len));
  ingot_onnx_sv len_sv = sv_of_tensor(len, 1), k_sv = ingot_onnx_sv_scalar(k);
  return ingot_onnx_sv_binary(node, &len_sv, &k_sv, INGOT_ELEMENTWISE_SUB, out);
}

ingot_status ingot_onnx_sv_slice(ingot_onnx_node *node, ingot_onnx_sv *s, int32_t start, int32_t count,
                                 ingot_onnx_sv *out) {
  if (s->known || count == 0) {
    *out = ingot_onnx_sv_host(count, s->v + (count > 0 ? start : 0));
    return INGOT_SUCCESS;
  }
  if (start == 0 && count == s->length) {
    *out = *s;
    return INGOT_SUCCESS;
  }
  ingot_tensor *in, *t;
  INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, s, &in));
  INGOT_ONNX_TRY(slice_1d(node, in, start, NULL, count, NULL, &t));
  *out = sv_of_tensor(t, count);
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_sv_tail(ingot_onnx_node *node, ingot_onnx_sv *s, int32_t start, ingot_onnx_sv *out) {
  if (s->length >= 0) {
    if (start > s->length)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "index %d is past the end of a shape of %d dims", start,
                             s->length);
    return ingot_onnx_sv_slice(node, s, start, s->length - start, out);
  }
  if (start == 0) {
    *out = *s;
    return INGOT_SUCCESS;
  }
  /* The length is known only to the builder: size = len(s) - start, from a shape layer. */
  ingot_onnx_sv size;
  ingot_tensor *in, *t;
  INGOT_ONNX_TRY(length_minus(node, s, start, &size));
  INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, s, &in));
  INGOT_ONNX_TRY(slice_1d(node, in, start, NULL, 0, size.tensor, &t));
  *out = sv_of_tensor(t, -1);
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_sv_last(ingot_onnx_node *node, ingot_onnx_sv *s, int32_t count, ingot_onnx_sv *out) {
  if (s->length >= 0) {
    if (count > s->length)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "the last %d dims of a shape of %d dims", count, s->length);
    return ingot_onnx_sv_slice(node, s, s->length - count, count, out);
  }
  ingot_onnx_sv start;
  ingot_tensor *in, *t;
  INGOT_ONNX_TRY(length_minus(node, s, count, &start));
  INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, s, &in));
  INGOT_ONNX_TRY(slice_1d(node, in, 0, start.tensor, count, NULL, &t));
  *out = sv_of_tensor(t, count);
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_sv_head(ingot_onnx_node *node, ingot_onnx_sv *s, int32_t drop, ingot_onnx_sv *out) {
  if (s->length >= 0) {
    if (drop > s->length)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "dropping %d dims of a shape of %d dims", drop, s->length);
    return ingot_onnx_sv_slice(node, s, 0, s->length - drop, out);
  }
  if (drop == 0) {
    *out = *s;
    return INGOT_SUCCESS;
  }
  ingot_onnx_sv size;
  ingot_tensor *in, *t;
  INGOT_ONNX_TRY(length_minus(node, s, drop, &size));
  INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, s, &in));
  INGOT_ONNX_TRY(slice_1d(node, in, 0, NULL, 0, size.tensor, &t));
  *out = sv_of_tensor(t, -1);
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_sv_place(ingot_onnx_node *node, ingot_onnx_sv *base, ingot_onnx_sv *w, ingot_onnx_sv *base_w,
                                 bool front, ingot_onnx_sv *out) {
  /* base + delta, delta = (w - base_w) in the window and 0 elsewhere: the first (front) or
   * last len(base) elements of [delta_w, zeros] or [zeros, delta_w], where zeros = base * 0.
   * No intermediate is ever empty (an empty value is one a plan may not keep). */
  int32_t m = w->length;
  ingot_onnx_sv zero = ingot_onnx_sv_scalar(0), zeros, delta_w, ext, len, delta;
  INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, base, &zero, INGOT_ELEMENTWISE_PROD, &zeros));
  INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, w, base_w, INGOT_ELEMENTWISE_SUB, &delta_w));
  ingot_onnx_sv parts[2] = {delta_w, zeros};
  if (!front) parts[0] = zeros, parts[1] = delta_w;
  INGOT_ONNX_TRY(ingot_onnx_sv_concat(node, parts, 2, &ext));
  INGOT_ONNX_TRY(length_minus(node, base, 0, &len));
  ingot_tensor *in, *t;
  INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, &ext, &in));
  INGOT_ONNX_TRY(slice_1d(node, in, front ? 0 : m, NULL, 0, len.tensor, &t));
  delta = sv_of_tensor(t, base->length);
  return ingot_onnx_sv_binary(node, base, &delta, INGOT_ELEMENTWISE_SUM, out);
}

ingot_status ingot_onnx_sv_length(ingot_onnx_node *node, ingot_onnx_sv *s, ingot_onnx_sv *out) {
  if (s->length >= 0) {
    *out = ingot_onnx_sv_scalar(s->length);
    return INGOT_SUCCESS;
  }
  return length_minus(node, s, 0, out);
}

ingot_status ingot_onnx_sv_slice_dyn(ingot_onnx_node *node, ingot_onnx_sv *s, ingot_onnx_sv *start, ingot_onnx_sv *size,
                                     ingot_onnx_sv *out) {
  if (start->known && size->known) {
    if (size->v[0] < 0 || start->v[0] < 0 || start->v[0] > INGOT_ONNX_SV_MAX || size->v[0] > INGOT_ONNX_SV_MAX)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "slice [%lld, +%lld) of a shape", (long long)start->v[0],
                             (long long)size->v[0]);
    return ingot_onnx_sv_slice(node, s, (int32_t)start->v[0], (int32_t)size->v[0], out);
  }
  ingot_tensor *in, *t, *ts = NULL, *tz = NULL;
  INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, s, &in));
  if (!start->known) INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, start, &ts));
  if (!size->known) INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, size, &tz));
  INGOT_ONNX_TRY(slice_1d(node, in, start->known ? start->v[0] : 0, ts, size->known ? size->v[0] : 0, tz, &t));
  *out = sv_of_tensor(t, size->known ? (int32_t)size->v[0] : -1);
  return INGOT_SUCCESS;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

ingot_status ingot_onnx_sv_binary(ingot_onnx_node *node, ingot_onnx_sv *a, ingot_onnx_sv *b, ingot_elementwise_op op,
                                  ingot_onnx_sv *out) {
  int32_t la = a->length, lb = b->length;
  if (la >= 0 && lb >= 0 && la != lb && la != 1 && lb != 1)
    return ingot_onnx_fail(node, INGOT_INTERNAL_ERROR, "shape arithmetic on values of %d and %d elements", la, lb);
  int32_t n = (la < 0 || lb < 0) ? -1 : (la == 1 ? lb : la);
  if (a->known && b->known) {
    int64_t v[INGOT_ONNX_SV_MAX];
    for (int32_t j = 0; j < n; j++) {
      int64_t x = a->v[la == 1 ? 0 : j], y = b->v[lb == 1 ? 0 : j];
      switch (op) {
        case INGOT_ELEMENTWISE_SUM: v[j] = (int64_t)((uint64_t)x + (uint64_t)y); break;
        case INGOT_ELEMENTWISE_SUB: v[j] = (int64_t)((uint64_t)x - (uint64_t)y); break;
        case INGOT_ELEMENTWISE_PROD: v[j] = (int64_t)((uint64_t)x * (uint64_t)y); break;
        case INGOT_ELEMENTWISE_MIN: v[j] = x < y ? x : y; break;
        case INGOT_ELEMENTWISE_MAX: v[j] = x > y ? x : y; break;
        case INGOT_ELEMENTWISE_DIV:
        case INGOT_ELEMENTWISE_FLOOR_DIV:
          if (y == 0) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "division by zero in shape arithmetic");
          if (y == -1) v[j] = (int64_t)(0 - (uint64_t)x);
          else v[j] = op == INGOT_ELEMENTWISE_DIV ? x / y : floor_div(x, y);
          break;
        default: return ingot_onnx_fail(node, INGOT_INTERNAL_ERROR, "shape arithmetic op %d", (int)op);
      }
    }
    *out = ingot_onnx_sv_host(n, v);
    return INGOT_SUCCESS;
  }
  ingot_tensor *ta, *tb, *t;
  INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, a, &ta));
  INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, b, &tb));
  INGOT_ONNX_TRY(ingot_onnx_add_elementwise(node, ta, tb, op, &t));
  *out = sv_of_tensor(t, n);
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_sv_wrap_negative(ingot_onnx_node *node, ingot_onnx_sv *x, ingot_onnx_sv *dims,
                                         ingot_onnx_sv *out) {
  if (x->known) {
    bool any_negative = false;
    for (int32_t j = 0; j < x->length; j++) any_negative = any_negative || x->v[j] < 0;
    if (!any_negative) {
      *out = *x;
      return INGOT_SUCCESS;
    }
  }
  if (x->known && dims->known) {
    int64_t v[INGOT_ONNX_SV_MAX];
    for (int32_t j = 0; j < x->length; j++) {
      int64_t d = dims->v[dims->length == 1 ? 0 : j];
      v[j] = x->v[j] < 0 ? x->v[j] + d : x->v[j];
    }
    *out = ingot_onnx_sv_host(x->length, v);
    return INGOT_SUCCESS;
  }
  ingot_onnx_sv zero = ingot_onnx_sv_scalar(0), sum;
  ingot_tensor *tx, *tzero, *negative, *t;
  INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, x, &tx));
  INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, &zero, &tzero));
  INGOT_ONNX_TRY(ingot_onnx_add_elementwise(node, tx, tzero, INGOT_ELEMENTWISE_LESS, &negative));
  INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, x, dims, INGOT_ELEMENTWISE_SUM, &sum));
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(
      node, ingot_network_add_select(ingot_onnx_node_network(node), negative, sum.tensor, tx, &layer), "adding select"));
  INGOT_ONNX_TRY(name_and_output(node, layer, &t));
  *out = sv_of_tensor(t, x->length);
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_sv_product(ingot_onnx_node *node, ingot_onnx_sv *s, ingot_onnx_sv *out) {
  if (s->known || s->length == 0) {
    int64_t p = 1;
    for (int32_t j = 0; j < s->length; j++) p = (int64_t)((uint64_t)p * (uint64_t)s->v[j]);
    *out = ingot_onnx_sv_scalar(p);
    return INGOT_SUCCESS;
  }
  ingot_tensor *in, *t;
  INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, s, &in));
  INGOT_ONNX_TRY(ingot_onnx_add_reduce(node, in, INGOT_REDUCE_PROD, 1u, true, &t));
  *out = sv_of_tensor(t, 1);
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_sv_reshape(ingot_onnx_node *node, ingot_tensor *in, ingot_onnx_sv *shape,
                                   bool zero_is_literal, ingot_tensor **out) {
  if (shape->known && shape->length > INGOT_MAX_DIMS)
    return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "reshape to %d dims, more than the %d supported", shape->length,
                           INGOT_MAX_DIMS);
  ingot_shuffle_desc desc;
  memset(&desc, 0, sizeof desc);
  desc.has_reshape = 1;
  desc.zero_is_literal = zero_is_literal;
  if (shape->known) {
    desc.reshape_dims.nb_dims = shape->length;
    for (int32_t i = 0; i < shape->length; i++) desc.reshape_dims.d[i] = shape->v[i];
  }
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(
      node, ingot_network_add_shuffle(ingot_onnx_node_network(node), in, &desc, &layer), "adding shuffle (reshape)"));
  if (!shape->known) {
    ingot_tensor *t;
    INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, shape, &t));
    INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_layer_set_input(layer, 1, t), "setting reshape dims"));
  }
  return name_and_output(node, layer, out);
}

ingot_status ingot_onnx_sv_slice_layer(ingot_onnx_node *node, ingot_tensor *in, ingot_onnx_sv *start,
                                       ingot_onnx_sv *size, ingot_onnx_sv *stride, ingot_tensor **out) {
  /* With an unknown rank every static parameter is an empty placeholder its tensor replaces. */
  int32_t rank = start->length >= 0 ? start->length : size->length >= 0 ? size->length : stride->length;
  if (rank > INGOT_MAX_DIMS) return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "slice of rank %d", rank);
  ingot_onnx_sv *values[3] = {start, size, stride};
  ingot_dims params[3];
  for (int32_t k = 0; k < 3; k++) {
    memset(&params[k], 0, sizeof params[k]);
    params[k].nb_dims = rank < 0 ? 0 : rank;
    for (int32_t i = 0; i < params[k].nb_dims; i++) params[k].d[i] = values[k]->known ? values[k]->v[i] : k == 2;
  }
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(node,
                                  ingot_network_add_slice(ingot_onnx_node_network(node), in, &params[0], &params[1],
                                                          &params[2], &layer),
                                  "adding slice"));
  static const char *const what[3] = {"setting slice start", "setting slice size", "setting slice stride"};
  for (int32_t k = 0; k < 3; k++) {
    if (values[k]->known && rank >= 0) continue;
    ingot_tensor *t;
    INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, values[k], &t));
    INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_layer_set_input(layer, k + 1, t), what[k]));
  }
  return name_and_output(node, layer, out);
}

/* ---- host folding ------------------------------------------------------------------------- */

bool ingot_onnx_inputs_constant(ingot_onnx_node *node, int32_t first, int32_t last) {
  if (!ingot_onnx_input(node, first)) return false;
  for (int32_t i = first; i <= last && i < ingot_onnx_node_num_inputs(node); i++) {
    const ingot_onnx_value *v = ingot_onnx_input(node, i);
    if (v && (!v->is_constant || !v->data || !dims_known(&v->dims))) return false;
  }
  return true;
}

static ingot_status check_fold_size(ingot_onnx_node *node, const ingot_dims *dims, int64_t *volume_out) {
  int64_t volume = volume_of(dims);
  if (volume < 0 || volume > INGOT_ONNX_FOLD_MAX_ELEMENTS)
    return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "folding a constant of %lld elements, more than %lld",
                           (long long)volume, (long long)INGOT_ONNX_FOLD_MAX_ELEMENTS);
  *volume_out = volume;
  return INGOT_SUCCESS;
}

static ingot_status publish(ingot_onnx_node *node, int32_t out, ingot_dtype dtype, const ingot_dims *dims,
                            const void *data) {
  return ingot_onnx_set_output_constant(node, out, dtype, dims, data);
}

ingot_status ingot_onnx_fold_reshape(ingot_onnx_node *node, const ingot_onnx_value *x, const ingot_dims *dims,
                                     int32_t out) {
  if (volume_of(dims) != volume_of(&x->dims))
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "cannot reshape a constant of %lld elements to %lld elements",
                           (long long)volume_of(&x->dims), (long long)volume_of(dims));
  return publish(node, out, x->dtype, dims, x->data);
}

/* Calls copy(dst_index, src_offset) for each output element in row-major order, where the
 * source offset walks `start + i * step` (in elements) over `dims`. */
static void walk(const ingot_dims *dims, int64_t base, const int64_t *step, size_t esize, const char *src, char *dst) {
  int64_t volume = volume_of(dims);
  int64_t idx[INGOT_MAX_DIMS] = {0};
  int64_t offset = base;
  for (int64_t e = 0; e < volume; e++) {
    memcpy(dst + (size_t)e * esize, src + (size_t)offset * esize, esize);
    for (int32_t k = dims->nb_dims - 1; k >= 0; k--) {
      idx[k]++;
      offset += step[k];
      if (idx[k] < dims->d[k]) break;
      offset -= step[k] * dims->d[k];
      idx[k] = 0;
    }
  }
}

static void strides_of(const ingot_dims *dims, int64_t *strides) {
  int64_t s = 1;
  for (int32_t k = dims->nb_dims - 1; k >= 0; k--) {
    strides[k] = s;
    s *= dims->d[k];
  }
}

ingot_status ingot_onnx_fold_slice(ingot_onnx_node *node, const ingot_onnx_value *x, const int64_t *start,
                                   const int64_t *size, const int64_t *stride, int32_t out) {
  ingot_dims od = x->dims;
  for (int32_t k = 0; k < od.nb_dims; k++) od.d[k] = size[k];
  int64_t volume = 0;
  INGOT_ONNX_TRY(check_fold_size(node, &od, &volume));
  size_t esize = ingot_dtype_size(x->dtype);
  char *buf = malloc(volume > 0 ? (size_t)volume * esize : 1);
  if (!buf) return ingot_onnx_fail(node, INGOT_OUT_OF_MEMORY, "out of memory folding a slice");
  int64_t in_strides[INGOT_MAX_DIMS], step[INGOT_MAX_DIMS], base = 0;
  strides_of(&x->dims, in_strides);
  for (int32_t k = 0; k < od.nb_dims; k++) {
    step[k] = stride[k] * in_strides[k];
    if (size[k] > 0) base += start[k] * in_strides[k];
  }
  if (volume > 0) walk(&od, base, step, esize, x->data, buf);
  ingot_status st = publish(node, out, x->dtype, &od, buf);
  free(buf);
  return st;
}

ingot_status ingot_onnx_fold_transpose(ingot_onnx_node *node, const ingot_onnx_value *x, const int32_t *perm,
                                       int32_t out) {
  ingot_dims od = x->dims;
  int64_t in_strides[INGOT_MAX_DIMS], step[INGOT_MAX_DIMS];
  strides_of(&x->dims, in_strides);
  for (int32_t k = 0; k < od.nb_dims; k++) {
    od.d[k] = x->dims.d[perm[k]];
    step[k] = in_strides[perm[k]];
  }
  int64_t volume = 0;
  INGOT_ONNX_TRY(check_fold_size(node, &od, &volume));
  size_t esize = ingot_dtype_size(x->dtype);
  char *buf = malloc(volume > 0 ? (size_t)volume * esize : 1);
  if (!buf) return ingot_onnx_fail(node, INGOT_OUT_OF_MEMORY, "out of memory folding a transpose");
  if (volume > 0) walk(&od, 0, step, esize, x->data, buf);
  ingot_status st = publish(node, out, x->dtype, &od, buf);
  free(buf);
  return st;
}

static int64_t load_int(const void *data, ingot_dtype dtype, int64_t i) {
  switch (dtype) {
    case INGOT_INT64: return ((const int64_t *)data)[i];
    case INGOT_INT32: return ((const int32_t *)data)[i];
    case INGOT_INT8: return ((const int8_t *)data)[i];
    case INGOT_UINT8:
    case INGOT_BOOL: return ((const uint8_t *)data)[i];
    default: return 0;
  }
}

ingot_status ingot_onnx_fold_gather(ingot_onnx_node *node, const ingot_onnx_value *data,
                                    const ingot_onnx_value *indices, int32_t axis, int32_t out) {
  const ingot_dims *dd = &data->dims, *id = &indices->dims;
  if (dd->nb_dims - 1 + id->nb_dims > INGOT_MAX_DIMS)
    return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "gather output rank %d is more than %d",
                           dd->nb_dims - 1 + id->nb_dims, INGOT_MAX_DIMS);
  ingot_dims od;
  memset(&od, 0, sizeof od);
  for (int32_t k = 0; k < axis; k++) od.d[od.nb_dims++] = dd->d[k];
  for (int32_t k = 0; k < id->nb_dims; k++) od.d[od.nb_dims++] = id->d[k];
  for (int32_t k = axis + 1; k < dd->nb_dims; k++) od.d[od.nb_dims++] = dd->d[k];
  int64_t volume = 0;
  INGOT_ONNX_TRY(check_fold_size(node, &od, &volume));
  int64_t outer = 1, inner = 1, m = volume_of(id), n = dd->d[axis];
  for (int32_t k = 0; k < axis; k++) outer *= dd->d[k];
  for (int32_t k = axis + 1; k < dd->nb_dims; k++) inner *= dd->d[k];
  size_t esize = ingot_dtype_size(data->dtype);
  char *buf = malloc(volume > 0 ? (size_t)volume * esize : 1);
  if (!buf) return ingot_onnx_fail(node, INGOT_OUT_OF_MEMORY, "out of memory folding a gather");
  const char *src = data->data;
  for (int64_t j = 0; j < m; j++) {
    int64_t ix = load_int(indices->data, indices->dtype, j);
    if (ix < -n || ix >= n) {
      free(buf);
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "indices[%lld] is %lld, out of range for dim %d of size %lld",
                             (long long)j, (long long)ix, axis, (long long)n);
    }
    if (ix < 0) ix += n;
    for (int64_t o = 0; o < outer; o++)
      memcpy(buf + (size_t)((o * m + j) * inner) * esize, src + (size_t)((o * n + ix) * inner) * esize,
             (size_t)inner * esize);
  }
  ingot_status st = publish(node, out, data->dtype, &od, buf);
  free(buf);
  return st;
}

ingot_status ingot_onnx_fold_concat(ingot_onnx_node *node, const ingot_onnx_value *const *values, int32_t n,
                                    int32_t axis, int32_t out) {
  ingot_dims od = values[0]->dims;
  od.d[axis] = 0;
  for (int32_t k = 0; k < n; k++) {
    const ingot_dims *d = &values[k]->dims;
    bool ok = d->nb_dims == od.nb_dims && values[k]->dtype == values[0]->dtype;
    for (int32_t j = 0; ok && j < d->nb_dims; j++) ok = j == axis || d->d[j] == od.d[j];
    if (!ok)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT,
                             "input %d (%s, rank %d) does not match input 0 (%s, rank %d) outside axis %d", k,
                             ingot_dtype_name(values[k]->dtype), d->nb_dims, ingot_dtype_name(values[0]->dtype),
                             od.nb_dims, axis);
    od.d[axis] += d->d[axis];
  }
  int64_t volume = 0;
  INGOT_ONNX_TRY(check_fold_size(node, &od, &volume));
  int64_t outer = 1, inner = 1;
  for (int32_t k = 0; k < axis; k++) outer *= od.d[k];
  for (int32_t k = axis + 1; k < od.nb_dims; k++) inner *= od.d[k];
  size_t esize = ingot_dtype_size(values[0]->dtype);
  char *buf = malloc(volume > 0 ? (size_t)volume * esize : 1);
  if (!buf) return ingot_onnx_fail(node, INGOT_OUT_OF_MEMORY, "out of memory folding a concat");
  size_t pos = 0;
  for (int64_t o = 0; o < outer; o++)
    for (int32_t k = 0; k < n; k++) {
      size_t chunk = (size_t)(values[k]->dims.d[axis] * inner) * esize;
      if (chunk) memcpy(buf + pos, (const char *)values[k]->data + (size_t)o * chunk, chunk);
      pos += chunk;
    }
  ingot_status st = publish(node, out, values[0]->dtype, &od, buf);
  free(buf);
  return st;
}

ingot_status ingot_onnx_fold_ints(ingot_onnx_node *node, const int64_t *values, int32_t n, int32_t out) {
  ingot_dims d = dims1(n);
  return publish(node, out, INGOT_INT64, &d, values);
}

/* ---- small things ------------------------------------------------------------------------- */

ingot_status ingot_onnx_read_axes(ingot_onnx_node *node, const char *attr, int32_t input, int64_t input_since_opset,
                                  int64_t *axes, int32_t max_count, int32_t *count_out) {
  *count_out = -1;
  if (ingot_onnx_node_opset(node) >= input_since_opset) {
    if (!ingot_onnx_input(node, input)) return INGOT_SUCCESS;
    return ingot_onnx_input_ints(node, input, axes, max_count, count_out);
  }
  if (!ingot_onnx_has_attr(node, attr)) return INGOT_SUCCESS;
  int32_t count = -1;
  ingot_onnx_attr_ints(node, attr, axes, max_count, &count);
  if (count > max_count)
    return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "attribute '%s' has %d values, expected at most %d", attr, count,
                           max_count);
  *count_out = count;
  return INGOT_SUCCESS;
}
