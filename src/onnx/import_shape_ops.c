/* ONNX importers of the tensor family that compute or use shapes: Shape, Size,
 * ConstantOfShape, Range, Expand, Tile, Pad, DepthToSpace, SpaceToDepth, TopK.
 * Listed in the table of import_tensor.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/dims.h"
#include "onnx/import_tensor_helpers.h"


static ingot_dims input_dims(ingot_onnx_node *node, int32_t i) {
  const ingot_onnx_value *v = ingot_onnx_input(node, i);
  if (v && v->is_constant) return v->dims;
  return ingot_onnx_input_dims(node, i);
}

static ingot_status output_of(ingot_onnx_node *node, ingot_layer *layer, int32_t k, int32_t i) {
  if (k == 0) ingot_onnx_name_layer(node, layer);
  return ingot_onnx_set_output(node, i, ingot_layer_get_output(layer, k));
}

/* ---- Shape, Size ------------------------------------------------------------------------------ */

ingot_status ingot_onnx_import_shape(ingot_onnx_node *node) {
  if (!ingot_onnx_input(node, 0)) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input 0 (data) is missing");
  ingot_dims dims = input_dims(node, 0);
  int64_t start = ingot_onnx_attr_int(node, "start", 0);
  bool has_end = ingot_onnx_has_attr(node, "end");
  int64_t end = ingot_onnx_attr_int(node, "end", 0);
  ingot_onnx_sv s, out;
  INGOT_ONNX_TRY(ingot_onnx_sv_input_shape(node, 0, &s));
  if (dims.nb_dims >= 0) {
    int64_t r = dims.nb_dims;
    if (!has_end) end = r;
    if (start < 0) start += r;
    if (end < 0) end += r;
    start = start < 0 ? 0 : start > r ? r : start;
    end = end < 0 ? 0 : end > r ? r : end;
    INGOT_ONNX_TRY(ingot_onnx_sv_slice(node, &s, (int32_t)start, (int32_t)(end > start ? end - start : 0), &out));
  } else if (start >= 0 && !has_end) {
    INGOT_ONNX_TRY(ingot_onnx_sv_tail(node, &s, (int32_t)start, &out));
  } else { /* the rank is known only to the builder: clamp with computed values */
    ingot_onnx_sv len, zero = ingot_onnx_sv_scalar(0), b = ingot_onnx_sv_scalar(start),
                      e = ingot_onnx_sv_scalar(has_end ? end : INT64_MAX), size;
    INGOT_ONNX_TRY(ingot_onnx_sv_length(node, &s, &len));
    ingot_onnx_sv *ends[2] = {&b, &e};
    for (int32_t k = 0; k < 2; k++) {
      INGOT_ONNX_TRY(ingot_onnx_sv_wrap_negative(node, ends[k], &len, ends[k]));
      INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, ends[k], &zero, INGOT_ELEMENTWISE_MAX, ends[k]));
      INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, ends[k], &len, INGOT_ELEMENTWISE_MIN, ends[k]));
    }
    INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &e, &b, INGOT_ELEMENTWISE_SUB, &size));
    INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &size, &zero, INGOT_ELEMENTWISE_MAX, &size));
    INGOT_ONNX_TRY(ingot_onnx_sv_slice_dyn(node, &s, &b, &size, &out));
  }
  if (out.known) return ingot_onnx_fold_ints(node, out.v, out.length, 0);
  ingot_tensor *t;
  INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, &out, &t));
  return ingot_onnx_set_output(node, 0, t);
}

ingot_status ingot_onnx_import_size(ingot_onnx_node *node) {
  if (!ingot_onnx_input(node, 0)) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input 0 (data) is missing");
  ingot_onnx_sv s, p;
  INGOT_ONNX_TRY(ingot_onnx_sv_input_shape(node, 0, &s));
  INGOT_ONNX_TRY(ingot_onnx_sv_product(node, &s, &p));
  ingot_dims scalar;
  memset(&scalar, 0, sizeof scalar);
  if (p.known) return ingot_onnx_set_output_constant(node, 0, INGOT_INT64, &scalar, p.v);
  ingot_tensor *t;
  INGOT_ONNX_TRY(ingot_onnx_reshape(node, p.tensor, &scalar, false, &t));
  return ingot_onnx_set_output(node, 0, t);
}

/* ---- ConstantOfShape, Range ------------------------------------------------------------ */

ingot_status ingot_onnx_import_constant_of_shape(ingot_onnx_node *node) {
  const ingot_onnx_value *value = ingot_onnx_attr_tensor(node, "value");
  ingot_dtype dtype = INGOT_FLOAT32;
  double fill = 0.0;
  if (value) {
    if (ingot_onnx_value_count(value) != 1)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'value' has %lld elements, expected 1",
                             (long long)ingot_onnx_value_count(value));
    dtype = value->dtype;
    fill = ingot_onnx_value_at(value, 0);
  }
  ingot_onnx_sv shape;
  INGOT_ONNX_TRY(ingot_onnx_sv_input(node, 0, "input", &shape));
  if (shape.known) {
    ingot_dims dims;
    memset(&dims, 0, sizeof dims);
    if (shape.length > INGOT_MAX_DIMS)
      return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "input 0 asks for rank %d, more than %d", shape.length,
                             INGOT_MAX_DIMS);
    dims.nb_dims = shape.length;
    int64_t volume = 1;
    for (int32_t i = 0; i < shape.length; i++) {
      if (shape.v[i] < 0)
        return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input 0 (shape) holds %lld at %d, expected >= 0",
                               (long long)shape.v[i], i);
      dims.d[i] = shape.v[i];
      volume = volume > INGOT_ONNX_FOLD_MAX_ELEMENTS ? volume : volume * shape.v[i];
    }
    if (volume <= 4096) { /* small: a constant downstream importers can read */
      size_t esize = ingot_dtype_size(dtype);
      char *buf = malloc(volume > 0 ? (size_t)volume * esize : 1);
      if (!buf) return ingot_onnx_fail(node, INGOT_OUT_OF_MEMORY, "out of memory");
      for (int64_t i = 0; i < volume; i++) memcpy(buf + (size_t)i * esize, value ? value->data : (const void *)&(float){0}, esize);
      ingot_status st = ingot_onnx_set_output_constant(node, 0, dtype, &dims, buf);
      free(buf);
      return st;
    }
  }
  ingot_tensor *t;
  INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, &shape, &t));
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_network_add_fill(ingot_onnx_node_network(node), t, dtype, fill, &layer),
                                  "adding fill"));
  return output_of(node, layer, 0, 0);
}

ingot_status ingot_onnx_import_range(ingot_onnx_node *node) {
  const char *names[3] = {"start", "limit", "delta"};
  for (int32_t i = 0; i < 3; i++)
    if (!ingot_onnx_input(node, i))
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input %d (%s) is missing", i, names[i]);
  const ingot_onnx_value *start = ingot_onnx_input(node, 0);
  ingot_dtype dtype = start->dtype;
  if (ingot_onnx_inputs_constant(node, 0, 2)) {
    const ingot_onnx_value *v[3] = {start, ingot_onnx_input(node, 1), ingot_onnx_input(node, 2)};
    for (int32_t i = 0; i < 3; i++)
      if (ingot_onnx_value_count(v[i]) != 1 || v[i]->dtype != dtype)
        return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT,
                               "input %d (%s) is %s with %lld elements, expected one %s like input 0", i, names[i],
                               ingot_dtype_name(v[i]->dtype), (long long)ingot_onnx_value_count(v[i]),
                               ingot_dtype_name(dtype));
    int64_t n;
    char *buf = NULL;
    if (dtype == INGOT_FLOAT32) { /* as onnxruntime: the count from float math, values accumulated */
      float s = ((const float *)v[0]->data)[0], l = ((const float *)v[1]->data)[0], d = ((const float *)v[2]->data)[0];
      if (d == 0.0f) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input 2 (delta) is 0");
      double c = ceil((double)(l - s) / (double)d);
      n = c > 0 ? (c > (double)INGOT_ONNX_FOLD_MAX_ELEMENTS ? INGOT_ONNX_FOLD_MAX_ELEMENTS + 1 : (int64_t)c) : 0;
      if (n > INGOT_ONNX_FOLD_MAX_ELEMENTS) goto too_big;
      buf = malloc(n > 0 ? (size_t)n * sizeof(float) : 1);
      if (!buf) return ingot_onnx_fail(node, INGOT_OUT_OF_MEMORY, "out of memory");
      for (int64_t i = 0; i < n; i++, s += d) ((float *)buf)[i] = s;
    } else if (dtype == INGOT_FLOAT16 || dtype == INGOT_BFLOAT16) { /* float32 math, each value rounded */
      float s = (float)ingot_onnx_value_at(v[0], 0), l = (float)ingot_onnx_value_at(v[1], 0),
            d = (float)ingot_onnx_value_at(v[2], 0);
      if (d == 0.0f) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input 2 (delta) is 0");
      double c = ceil((double)(l - s) / (double)d);
      n = c > 0 ? (c > (double)INGOT_ONNX_FOLD_MAX_ELEMENTS ? INGOT_ONNX_FOLD_MAX_ELEMENTS + 1 : (int64_t)c) : 0;
      if (n > INGOT_ONNX_FOLD_MAX_ELEMENTS) goto too_big;
      buf = malloc(n > 0 ? (size_t)n * 2 : 1);
      if (!buf) return ingot_onnx_fail(node, INGOT_OUT_OF_MEMORY, "out of memory");
      for (int64_t i = 0; i < n; i++, s += d) ingot_store_from_double(buf, dtype, i, s);
    } else if (dtype == INGOT_INT32 || dtype == INGOT_INT64) {
      int64_t s = (int64_t)ingot_onnx_value_at(v[0], 0), l = (int64_t)ingot_onnx_value_at(v[1], 0),
              d = (int64_t)ingot_onnx_value_at(v[2], 0);
      if (dtype == INGOT_INT64) {
        s = ((const int64_t *)v[0]->data)[0];
        l = ((const int64_t *)v[1]->data)[0];
        d = ((const int64_t *)v[2]->data)[0];
      }
      if (d == 0) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input 2 (delta) is 0");
      double c = ceil(((double)l - (double)s) / (double)d);
      n = c > 0 ? (c > (double)INGOT_ONNX_FOLD_MAX_ELEMENTS ? INGOT_ONNX_FOLD_MAX_ELEMENTS + 1 : (int64_t)c) : 0;
      if (n > INGOT_ONNX_FOLD_MAX_ELEMENTS) goto too_big;
      buf = malloc(n > 0 ? (size_t)n * 8 : 1);
      if (!buf) return ingot_onnx_fail(node, INGOT_OUT_OF_MEMORY, "out of memory");
      for (int64_t i = 0; i < n; i++) {
        int64_t x = s + i * d;
        if (dtype == INGOT_INT64) ((int64_t *)buf)[i] = x;
        else ((int32_t *)buf)[i] = (int32_t)x;
      }
    } else {
      return ingot_onnx_fail(node, INGOT_UNSUPPORTED,
                             "inputs are %s, expected float32, float16, bfloat16, int32 or int64",
                             ingot_dtype_name(dtype));
    }
    ingot_dims dims;
    memset(&dims, 0, sizeof dims);
    dims.nb_dims = 1;
    dims.d[0] = n;
    ingot_status st = ingot_onnx_set_output_constant(node, 0, dtype, &dims, buf);
    free(buf);
    return st;
  }
too_big:;
  ingot_tensor *t[3];
  for (int32_t i = 0; i < 3; i++) INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, i, &t[i]));
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(
      node, ingot_network_add_range(ingot_onnx_node_network(node), t[0], t[1], t[2], &layer), "adding range"));
  return output_of(node, layer, 0, 0);
}

/* ---- Expand, Tile --------------------------------------------------------------------------------- */

static ingot_status with_shape_input(ingot_onnx_node *node, const char *what, bool tile) {
  ingot_tensor *in, *shape;
  ingot_onnx_sv sv;
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 0, &in));
  INGOT_ONNX_TRY(ingot_onnx_sv_input(node, 1, what, &sv));
  INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, &sv, &shape));
  ingot_network *net = ingot_onnx_node_network(node);
  ingot_layer *layer = NULL;
  if (tile)
    INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_network_add_tile(net, in, shape, &layer), "adding tile"));
  else
    INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_network_add_expand(net, in, shape, &layer), "adding expand"));
  return output_of(node, layer, 0, 0);
}

ingot_status ingot_onnx_import_expand(ingot_onnx_node *node) { return with_shape_input(node, "shape", false); }
ingot_status ingot_onnx_import_tile(ingot_onnx_node *node) { return with_shape_input(node, "repeats", true); }

/* ---- Pad ------------------------------------------------------------------------------------------ */

/* Pad's constant_value computed by the network: `padded` (padded with 0) keeps the input's
 * cells and takes the value elsewhere, where a padded tensor of ones says which is which. */
static ingot_status pad_with_computed_value(ingot_onnx_node *node, ingot_tensor *in, ingot_tensor *padded,
                                            const ingot_padding_desc *desc, ingot_onnx_sv *pads) {
  ingot_dtype dt = ingot_onnx_input(node, 0)->dtype;
  ingot_tensor *value, *one, *ones, *inside, *y;
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 2, &value));
  if (ingot_onnx_input(node, 2)->dtype != dt) INGOT_ONNX_TRY(ingot_onnx_add_cast(node, value, dt, &value));
  INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_network_add_shape(ingot_onnx_node_network(node), in, &layer),
                                  "adding a shape"));
  ingot_onnx_name_layer(node, layer);
  INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_network_add_fill(ingot_onnx_node_network(node),
                                                               ingot_layer_get_output(layer, 0), dt, 1.0, &layer),
                                  "adding a fill"));
  ingot_onnx_name_layer(node, layer);
  INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_network_add_padding(ingot_onnx_node_network(node),
                                                                  ingot_layer_get_output(layer, 0), desc, &layer),
                                  "adding padding"));
  ingot_onnx_name_layer(node, layer);
  if (!pads->known) {
    ingot_tensor *t;
    INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, pads, &t));
    INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_layer_set_input(layer, 1, t), "setting pads"));
  }
  ones = ingot_layer_get_output(layer, 0);
  INGOT_ONNX_TRY(ingot_onnx_add_scalar(node, dt, 1.0, 0, &one));
  INGOT_ONNX_TRY(ingot_onnx_add_elementwise(node, ones, one, INGOT_ELEMENTWISE_EQUAL, &inside));
  INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_network_add_select(ingot_onnx_node_network(node), inside, padded, value,
                                                                 &layer),
                                  "adding a select"));
  ingot_onnx_name_layer(node, layer);
  y = ingot_layer_get_output(layer, 0);
  return ingot_onnx_set_output(node, 0, y);
}

ingot_status ingot_onnx_import_pad(ingot_onnx_node *node) {
  const int64_t opset = ingot_onnx_node_opset(node);
  const char *mode_name = ingot_onnx_attr_string(node, "mode", "constant");
  ingot_padding_desc desc;
  memset(&desc, 0, sizeof desc);
  if (strcmp(mode_name, "constant") == 0) desc.mode = INGOT_PAD_CONSTANT;
  else if (strcmp(mode_name, "reflect") == 0) desc.mode = INGOT_PAD_REFLECT;
  else if (strcmp(mode_name, "edge") == 0) desc.mode = INGOT_PAD_EDGE;
  else if (strcmp(mode_name, "wrap") == 0) desc.mode = INGOT_PAD_WRAP;
  else
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT,
                           "attribute 'mode' is '%s', expected constant, reflect, edge or wrap", mode_name);
  ingot_dims dims = input_dims(node, 0);
  ingot_onnx_sv pads;
  int64_t axes[INGOT_MAX_DIMS + 1];
  int32_t nb_axes = -1;
  if (opset < 11) {
    const char *attr = opset < 2 ? "paddings" : "pads";
    int64_t v[2 * INGOT_MAX_DIMS + 1];
    int32_t n = -1;
    ingot_onnx_attr_ints(node, attr, v, 2 * INGOT_MAX_DIMS + 1, &n);
    if (n < 0 || n > 2 * INGOT_MAX_DIMS)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute '%s' has %d values, expected 2 to %d", attr, n,
                             2 * INGOT_MAX_DIMS);
    pads = ingot_onnx_sv_host(n, v);
    desc.value = ingot_onnx_attr_float(node, "value", 0.0f);
  } else {
    INGOT_ONNX_TRY(ingot_onnx_sv_input(node, 1, "pads", &pads));
    const ingot_onnx_value *cv = ingot_onnx_input(node, 2);
    if (cv) {
      if (ingot_onnx_value_count(cv) > 1)
        return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input 2 (constant_value) has %lld elements, expected 1",
                               (long long)ingot_onnx_value_count(cv));
      if (cv->is_constant && ingot_onnx_value_count(cv) == 1) desc.value = (float)ingot_onnx_value_at(cv, 0);
    }
    if (opset >= 18 && ingot_onnx_input(node, 3))
      INGOT_ONNX_TRY(ingot_onnx_input_ints(node, 3, axes, INGOT_MAX_DIMS + 1, &nb_axes));
  }
  int32_t rank = dims.nb_dims;
  if (nb_axes < 0) {
    if (pads.length < 0 && rank < 0)
      return ingot_onnx_fail(node, INGOT_UNSUPPORTED,
                             "input 1 (pads) is computed and the input rank is not known at import");
    if (pads.length >= 0 && (pads.length % 2 != 0 || (rank >= 0 && pads.length != 2 * rank)))
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "pads has %d values, expected 2 * rank (rank %d)",
                             pads.length, rank);
    if (rank < 0) rank = pads.length / 2;
  } else {
    if (rank < 0)
      return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "input 3 (axes) needs the input rank, not known at import");
    if (pads.length >= 0 && pads.length != 2 * nb_axes)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "pads has %d values, expected %d for %d axes",
                             pads.length, 2 * nb_axes, nb_axes);
    pads.length = 2 * nb_axes;
    int64_t idx[2 * INGOT_MAX_DIMS];
    for (int32_t i = 0; i < 2 * rank; i++) idx[i] = 2 * nb_axes; /* the appended 0 */
    for (int32_t j = 0; j < nb_axes; j++) {
      int32_t a;
      INGOT_ONNX_TRY(ingot_onnx_normalize_axis(node, axes[j], rank, "input 3 (axes)", &a));
      if (idx[a] != 2 * nb_axes)
        return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input 3 (axes) lists dim %d twice", a);
      idx[a] = j;
      idx[rank + a] = nb_axes + j;
    }
    ingot_onnx_sv parts[2] = {pads, ingot_onnx_sv_scalar(0)}, ext;
    INGOT_ONNX_TRY(ingot_onnx_sv_concat(node, parts, 2, &ext));
    INGOT_ONNX_TRY(ingot_onnx_sv_gather(node, &ext, idx, 2 * rank, &pads));
  }
  desc.nb_dims = rank;
  if (pads.known)
    for (int32_t i = 0; i < rank; i++) {
      desc.pre_padding[i] = pads.v[i];
      desc.post_padding[i] = pads.v[rank + i];
    }
  ingot_tensor *in;
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 0, &in));
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(
      ingot_onnx_check(node, ingot_network_add_padding(ingot_onnx_node_network(node), in, &desc, &layer), "adding padding"));
  if (!pads.known) {
    ingot_tensor *t;
    INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, &pads, &t));
    INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_layer_set_input(layer, 1, t), "setting pads"));
  }
  const ingot_onnx_value *cv = opset >= 11 ? ingot_onnx_input(node, 2) : NULL;
  if (desc.mode == INGOT_PAD_CONSTANT && cv && !cv->is_constant) {
    ingot_onnx_name_layer(node, layer);
    return pad_with_computed_value(node, in, ingot_layer_get_output(layer, 0), &desc, &pads);
  }
  return output_of(node, layer, 0, 0);
}

/* ---- DepthToSpace, SpaceToDepth --------------------------------------------------------------------- */

/* Reshape to `first`, permute, reshape to `second`: two shuffles. */
static ingot_status reshape_permute_reshape(ingot_onnx_node *node, ingot_onnx_sv *first, const int32_t *perm,
                                            ingot_onnx_sv *second) {
  ingot_tensor *in, *mid, *out;
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 0, &in));
  ingot_shuffle_desc desc;
  memset(&desc, 0, sizeof desc);
  desc.has_reshape = 1;
  desc.zero_is_literal = 1;
  desc.has_second_transpose = 1;
  for (int32_t i = 0; i < INGOT_MAX_DIMS; i++) desc.second_transpose[i] = i < 6 ? perm[i] : i;
  desc.reshape_dims.nb_dims = 6;
  for (int32_t i = 0; i < 6; i++) desc.reshape_dims.d[i] = first->known ? first->v[i] : 1;
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_network_add_shuffle(ingot_onnx_node_network(node), in, &desc, &layer),
                                  "adding shuffle"));
  ingot_onnx_name_layer(node, layer);
  if (!first->known) {
    ingot_tensor *t;
    INGOT_ONNX_TRY(ingot_onnx_sv_tensor(node, first, &t));
    INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_layer_set_input(layer, 1, t), "setting reshape dims"));
  }
  mid = ingot_layer_get_output(layer, 0);
  INGOT_ONNX_TRY(ingot_onnx_sv_reshape(node, mid, second, true, &out));
  return ingot_onnx_set_output(node, 0, out);
}

/* The four dims of a rank-4 input, one value each, and the block size. */
static ingot_status nchw(ingot_onnx_node *node, ingot_onnx_sv *d, int64_t *block) {
  ingot_dims dims = input_dims(node, 0);
  if (dims.nb_dims >= 0 && dims.nb_dims != 4)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input 0 has rank %d, expected 4", dims.nb_dims);
  *block = ingot_onnx_attr_int(node, "blocksize", 0);
  if (*block <= 0)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'blocksize' is %lld, expected > 0",
                           (long long)*block);
  ingot_onnx_sv s;
  INGOT_ONNX_TRY(ingot_onnx_sv_input_shape(node, 0, &s));
  if (s.length < 0) s.length = 4;
  for (int32_t i = 0; i < 4; i++) INGOT_ONNX_TRY(ingot_onnx_sv_slice(node, &s, i, 1, &d[i]));
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_import_depth_to_space(ingot_onnx_node *node) {
  ingot_onnx_sv d[4], c, h, w, first, second;
  int64_t b;
  INGOT_ONNX_TRY(nchw(node, d, &b));
  const char *mode = ingot_onnx_attr_string(node, "mode", "DCR");
  bool crd = strcmp(mode, "CRD") == 0;
  if (!crd && strcmp(mode, "DCR") != 0)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'mode' is '%s', expected DCR or CRD", mode);
  if (d[1].known && d[1].v[0] % (b * b) != 0)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "channels %lld are not a multiple of blocksize^2 = %lld",
                           (long long)d[1].v[0], (long long)(b * b));
  ingot_onnx_sv bb = ingot_onnx_sv_scalar(b * b), bs = ingot_onnx_sv_scalar(b);
  INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &d[1], &bb, INGOT_ELEMENTWISE_DIV, &c));
  INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &d[2], &bs, INGOT_ELEMENTWISE_PROD, &h));
  INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &d[3], &bs, INGOT_ELEMENTWISE_PROD, &w));
  static const int32_t dcr[6] = {0, 3, 4, 1, 5, 2}, crd_perm[6] = {0, 1, 4, 2, 5, 3};
  ingot_onnx_sv p1[6] = {d[0], bs, bs, c, d[2], d[3]}, p2[6] = {d[0], c, bs, bs, d[2], d[3]}, q[4] = {d[0], c, h, w};
  INGOT_ONNX_TRY(ingot_onnx_sv_concat(node, crd ? p2 : p1, 6, &first));
  INGOT_ONNX_TRY(ingot_onnx_sv_concat(node, q, 4, &second));
  return reshape_permute_reshape(node, &first, crd ? crd_perm : dcr, &second);
}

ingot_status ingot_onnx_import_space_to_depth(ingot_onnx_node *node) {
  ingot_onnx_sv d[4], c, h, w, first, second;
  int64_t b;
  INGOT_ONNX_TRY(nchw(node, d, &b));
  for (int32_t i = 2; i < 4; i++)
    if (d[i].known && d[i].v[0] % b != 0)
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "dim %d (%lld) is not a multiple of blocksize %lld", i,
                             (long long)d[i].v[0], (long long)b);
  ingot_onnx_sv bb = ingot_onnx_sv_scalar(b * b), bs = ingot_onnx_sv_scalar(b);
  INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &d[1], &bb, INGOT_ELEMENTWISE_PROD, &c));
  INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &d[2], &bs, INGOT_ELEMENTWISE_DIV, &h));
  INGOT_ONNX_TRY(ingot_onnx_sv_binary(node, &d[3], &bs, INGOT_ELEMENTWISE_DIV, &w));
  /* DCR (the only mode before it became an attribute): channel = block * C + c; CRD:
   * channel = c * blocksize^2 + block. */
  const char *mode = ingot_onnx_attr_string(node, "mode", "DCR");
  bool crd = strcmp(mode, "CRD") == 0;
  if (!crd && strcmp(mode, "DCR") != 0)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'mode' is '%s', expected DCR or CRD", mode);
  static const int32_t dcr[6] = {0, 3, 5, 1, 2, 4}, crd_perm[6] = {0, 1, 3, 5, 2, 4};
  ingot_onnx_sv p[6] = {d[0], d[1], h, bs, w, bs}, q[4] = {d[0], c, h, w};
  INGOT_ONNX_TRY(ingot_onnx_sv_concat(node, p, 6, &first));
  INGOT_ONNX_TRY(ingot_onnx_sv_concat(node, q, 4, &second));
  return reshape_permute_reshape(node, &first, crd ? crd_perm : dcr, &second);
}

/* ---- TopK ------------------------------------------------------------------------------------------ */

ingot_status ingot_onnx_import_topk(ingot_onnx_node *node) {
  int64_t k = 0;
  if (ingot_onnx_node_opset(node) < 10) {
    if (!ingot_onnx_has_attr(node, "k"))
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'k' is missing");
    k = ingot_onnx_attr_int(node, "k", 0);
  } else {
    const ingot_onnx_value *kv = ingot_onnx_input(node, 1);
    if (!kv) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input 1 (K) is missing");
    if (!kv->is_constant)
      return ingot_onnx_fail(node, INGOT_UNSUPPORTED,
                             "input 1 (K) is computed by the network; ingot's top-k needs K as a constant");
    int32_t n = 0;
    INGOT_ONNX_TRY(ingot_onnx_input_ints(node, 1, &k, 1, &n));
    if (n != 1) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input 1 (K) has %d elements, expected 1", n);
  }
  if (k < 0) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "K is %lld, expected >= 0", (long long)k);
  int64_t axis = ingot_onnx_attr_int(node, "axis", -1);
  ingot_topk_op op = ingot_onnx_attr_int(node, "largest", 1) ? INGOT_TOPK_MAX : INGOT_TOPK_MIN;
  /* sorted=0 leaves the order unspecified: ingot's sorted order is one such order. */
  ingot_dims dims = input_dims(node, 0);
  if (dims.nb_dims >= 0) {
    int32_t a;
    INGOT_ONNX_TRY(ingot_onnx_normalize_axis(node, axis, dims.nb_dims, "attribute 'axis'", &a));
    axis = a;
  }
  ingot_tensor *in;
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 0, &in));
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(
      node, ingot_network_add_topk(ingot_onnx_node_network(node), in, op, k, (int32_t)axis, &layer), "adding top-k"));
  INGOT_ONNX_TRY(output_of(node, layer, 0, 0));
  if (ingot_onnx_node_num_outputs(node) > 1) INGOT_ONNX_TRY(output_of(node, layer, 1, 1));
  return INGOT_SUCCESS;
}
