/* Helpers shared by the ONNX importer families: see import_helpers.h. */
#include "onnx/import_helpers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dims.h"

ingot_status ingot_onnx_check(ingot_onnx_node *node, ingot_status status, const char *what) {
  if (status == INGOT_SUCCESS) return INGOT_SUCCESS;
  /* ingot_onnx_fail rewrites the last error: keep the network's message first. */
  char message[1024];
  snprintf(message, sizeof message, "%s", ingot_last_error());
  return ingot_onnx_fail(node, status, "%s: %s", what, message);
}

/* ---- dims and axes -------------------------------------------------------------------------- */

ingot_dims ingot_onnx_tensor_dims(const ingot_tensor *tensor) {
  ingot_dims dims;
  memset(&dims, 0, sizeof dims);
  dims.nb_dims = -1;
  if (tensor && ingot_tensor_get_dims(tensor, &dims) != INGOT_SUCCESS) dims.nb_dims = -1;
  return dims;
}

ingot_status ingot_onnx_input_rank(ingot_onnx_node *node, int32_t i, int32_t *rank_out) {
  ingot_dims dims = ingot_onnx_input_dims(node, i);
  if (dims.nb_dims < 0)
    return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "the rank of input %d is unknown, and this operator needs it", i);
  *rank_out = dims.nb_dims;
  return INGOT_SUCCESS;
}

int32_t ingot_onnx_input_rank_or_unknown(ingot_onnx_node *node, int32_t i) {
  ingot_dims dims = ingot_onnx_input_dims(node, i);
  return dims.nb_dims;
}

ingot_status ingot_onnx_normalize_axis(ingot_onnx_node *node, int64_t axis, int32_t rank, const char *what,
                                       int32_t *axis_out) {
  if (rank < 0) {
    if (axis >= 0 && axis < INGOT_MAX_DIMS) {
      *axis_out = (int32_t)axis;
      return INGOT_SUCCESS;
    }
    return ingot_onnx_fail(node, INGOT_UNSUPPORTED,
                           "%s is %lld and the input's rank is unknown: a negative axis needs the rank", what,
                           (long long)axis);
  }
  if (axis < -(int64_t)rank || axis >= (int64_t)rank)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "%s is %lld, expected %d to %d (input rank %d)", what,
                           (long long)axis, -rank, rank - 1, rank);
  *axis_out = (int32_t)(axis < 0 ? axis + rank : axis);
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_axes_mask(ingot_onnx_node *node, const int64_t *axes, int32_t count, int32_t rank,
                                  const char *what, uint32_t *mask_out) {
  uint32_t mask = 0;
  for (int32_t i = 0; i < count; i++) {
    int32_t a = 0;
    char name[64];
    snprintf(name, sizeof name, "%s[%d]", what, i);
    INGOT_ONNX_TRY(ingot_onnx_normalize_axis(node, axes[i], rank, name, &a));
    if (mask & (1u << a))
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "%s names axis %d twice", what, a);
    mask |= 1u << a;
  }
  *mask_out = mask;
  return INGOT_SUCCESS;
}

/* ---- constants ------------------------------------------------------------------------------ */

int64_t ingot_onnx_value_count(const ingot_onnx_value *value) {
  if (!value || value->dims.nb_dims < 0) return -1;
  return ingot_dims_volume(&value->dims);
}

ingot_weights ingot_onnx_value_weights(const ingot_onnx_value *value) {
  ingot_weights w;
  memset(&w, 0, sizeof w);
  w.dtype = value->dtype;
  w.count = ingot_onnx_value_count(value);
  w.values = w.count > 0 ? value->data : NULL;
  if (w.count < 0) w.count = 0;
  return w;
}

double ingot_onnx_value_at(const ingot_onnx_value *value, int64_t i) {
  return ingot_load_as_double(value->data, value->dtype, i);
}

ingot_status ingot_onnx_value_floats(ingot_onnx_node *node, const ingot_onnx_value *value, const char *what,
                                     float **values_out, int64_t *count_out) {
  *values_out = NULL;
  *count_out = 0;
  if (!value || !value->is_constant || !value->data)
    return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "%s must be a constant (an initializer or a Constant output)", what);
  if (value->dtype == INGOT_BOOL)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "%s has dtype bool, expected a number", what);
  int64_t n = ingot_onnx_value_count(value);
  if (n < 0) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "%s has unknown dims", what);
  float *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
  if (!v) return ingot_onnx_fail(node, INGOT_OUT_OF_MEMORY, "%s: out of memory for %lld values", what, (long long)n);
  for (int64_t i = 0; i < n; i++) v[i] = (float)ingot_load_as_double(value->data, value->dtype, i);
  *values_out = v;
  *count_out = n;
  return INGOT_SUCCESS;
}

bool ingot_onnx_dtype_from_onnx(int64_t onnx_type, ingot_dtype *dtype_out) {
  switch (onnx_type) {
    case 1: *dtype_out = INGOT_FLOAT32; return true;
    case 2: *dtype_out = INGOT_UINT8; return true;
    case 3: *dtype_out = INGOT_INT8; return true;
    case 6: *dtype_out = INGOT_INT32; return true;
    case 7: *dtype_out = INGOT_INT64; return true;
    case 9: *dtype_out = INGOT_BOOL; return true;
    case 10: *dtype_out = INGOT_FLOAT16; return true;
    case 16: *dtype_out = INGOT_BFLOAT16; return true;
    default: return false;
  }
}

const char *ingot_onnx_dtype_onnx_name(int64_t onnx_type) {
  static const char *const names[] = {"UNDEFINED", "FLOAT",      "UINT8",     "INT8",        "UINT16",
                                      "INT16",     "INT32",      "INT64",     "STRING",      "BOOL",
                                      "FLOAT16",   "DOUBLE",     "UINT32",    "UINT64",      "COMPLEX64",
                                      "COMPLEX128", "BFLOAT16",  "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2",
                                      "FLOAT8E5M2FNUZ", "UINT4", "INT4",      "FLOAT4E2M1",  "FLOAT8E8M0"};
  if (onnx_type >= 0 && onnx_type < (int64_t)(sizeof names / sizeof names[0])) return names[onnx_type];
  return "an unknown type";
}

/* ---- layers --------------------------------------------------------------------------------- */

/* The common tail: check the status, name the layer, hand out output 0. */
static ingot_status finish(ingot_onnx_node *node, ingot_status st, ingot_layer *layer, const char *what,
                           ingot_tensor **out) {
  INGOT_ONNX_TRY(ingot_onnx_check(node, st, what));
  ingot_onnx_name_layer(node, layer);
  *out = ingot_layer_get_output(layer, 0);
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_add_constant(ingot_onnx_node *node, ingot_dtype dtype, const ingot_dims *dims,
                                     const void *data, ingot_tensor **out) {
  ingot_layer *layer = NULL;
  int64_t n = ingot_dims_volume(dims);
  ingot_weights w = {dtype, n > 0 ? data : NULL, n > 0 ? n : 0};
  ingot_status st = ingot_network_add_constant(ingot_onnx_node_network(node), dims, w, &layer);
  return finish(node, st, layer, "adding a constant", out);
}

ingot_status ingot_onnx_add_scalar(ingot_onnx_node *node, ingot_dtype dtype, double value, int32_t rank,
                                   ingot_tensor **out) {
  unsigned char data[8];
  ingot_store_from_double(data, dtype, 0, value);
  ingot_dims dims;
  memset(&dims, 0, sizeof dims);
  dims.nb_dims = rank < 0 ? 0 : rank;
  for (int32_t i = 0; i < dims.nb_dims; i++) dims.d[i] = 1;
  return ingot_onnx_add_constant(node, dtype, &dims, data, out);
}

ingot_status ingot_onnx_add_elementwise(ingot_onnx_node *node, ingot_tensor *a, ingot_tensor *b,
                                        ingot_elementwise_op op, ingot_tensor **out) {
  ingot_layer *layer = NULL;
  ingot_status st = ingot_network_add_elementwise(ingot_onnx_node_network(node), a, b, op, &layer);
  return finish(node, st, layer, "adding an elementwise layer", out);
}

ingot_status ingot_onnx_add_unary(ingot_onnx_node *node, ingot_tensor *in, ingot_unary_op op, ingot_tensor **out) {
  ingot_layer *layer = NULL;
  ingot_status st = ingot_network_add_unary(ingot_onnx_node_network(node), in, op, &layer);
  return finish(node, st, layer, "adding a unary layer", out);
}

ingot_status ingot_onnx_add_activation(ingot_onnx_node *node, ingot_tensor *in, ingot_activation_type type,
                                       float alpha, float beta, ingot_tensor **out) {
  ingot_layer *layer = NULL;
  ingot_status st = ingot_network_add_activation(ingot_onnx_node_network(node), in, type, alpha, beta, &layer);
  return finish(node, st, layer, "adding an activation layer", out);
}

ingot_status ingot_onnx_add_cast(ingot_onnx_node *node, ingot_tensor *in, ingot_dtype dtype, ingot_tensor **out) {
  ingot_layer *layer = NULL;
  ingot_status st = ingot_network_add_cast(ingot_onnx_node_network(node), in, dtype, &layer);
  return finish(node, st, layer, "adding a cast layer", out);
}

ingot_status ingot_onnx_add_reduce(ingot_onnx_node *node, ingot_tensor *in, ingot_reduce_op op, uint32_t mask,
                                   bool keep_dims, ingot_tensor **out) {
  ingot_layer *layer = NULL;
  ingot_status st = ingot_network_add_reduce(ingot_onnx_node_network(node), in, op, mask, keep_dims, &layer);
  return finish(node, st, layer, "adding a reduce layer", out);
}

ingot_status ingot_onnx_add_identity(ingot_onnx_node *node, ingot_tensor *in, ingot_tensor **out) {
  ingot_layer *layer = NULL;
  ingot_status st = ingot_network_add_identity(ingot_onnx_node_network(node), in, &layer);
  return finish(node, st, layer, "adding an identity layer", out);
}

ingot_status ingot_onnx_reshape(ingot_onnx_node *node, ingot_tensor *in, const ingot_dims *dims,
                                bool zero_is_placeholder, ingot_tensor **out) {
  ingot_shuffle_desc desc;
  memset(&desc, 0, sizeof desc);
  desc.has_reshape = 1;
  desc.reshape_dims = *dims;
  desc.zero_is_literal = !zero_is_placeholder;
  ingot_layer *layer = NULL;
  ingot_status st = ingot_network_add_shuffle(ingot_onnx_node_network(node), in, &desc, &layer);
  return finish(node, st, layer, "adding a reshape (shuffle)", out);
}

ingot_status ingot_onnx_reshape_to(ingot_onnx_node *node, ingot_tensor *in, ingot_tensor *shape,
                                   ingot_tensor **out) {
  ingot_shuffle_desc desc;
  memset(&desc, 0, sizeof desc);
  desc.has_reshape = 1;
  desc.zero_is_literal = 1; /* a computed shape holds the real dims */
  ingot_layer *layer = NULL;
  ingot_status st = ingot_network_add_shuffle(ingot_onnx_node_network(node), in, &desc, &layer);
  INGOT_ONNX_TRY(ingot_onnx_check(node, st, "adding a reshape (shuffle)"));
  INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_layer_set_input(layer, 1, shape), "setting the reshape dims"));
  ingot_onnx_name_layer(node, layer);
  *out = ingot_layer_get_output(layer, 0);
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_reshape_like(ingot_onnx_node *node, ingot_tensor *in, ingot_tensor *like,
                                     ingot_tensor **out) {
  ingot_dims dims = ingot_onnx_tensor_dims(like);
  if (dims.nb_dims >= 0 && ingot_dims_is_concrete(&dims)) return ingot_onnx_reshape(node, in, &dims, false, out);
  ingot_layer *layer = NULL;
  ingot_status st = ingot_network_add_shape(ingot_onnx_node_network(node), like, &layer);
  INGOT_ONNX_TRY(ingot_onnx_check(node, st, "adding a shape layer"));
  ingot_onnx_name_layer(node, layer);
  return ingot_onnx_reshape_to(node, in, ingot_layer_get_output(layer, 0), out);
}

ingot_status ingot_onnx_flatten_2d(ingot_onnx_node *node, ingot_tensor *in, int32_t axis, int32_t rank,
                                   ingot_tensor **out) {
  if (axis < 0 || axis > rank)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "flatten axis %d out of range for rank %d", axis, rank);
  ingot_dims d = ingot_onnx_tensor_dims(in);
  int64_t outer = 1, inner = 1;
  bool outer_known = true, inner_known = true;
  for (int32_t i = 0; i < rank; i++) {
    bool known = d.nb_dims == rank && d.d[i] >= 0;
    int64_t v = known ? d.d[i] : 1;
    if (i < axis) {
      outer_known &= known;
      outer *= v;
    } else {
      inner_known &= known;
      inner *= v;
    }
  }
  ingot_dims flat;
  memset(&flat, 0, sizeof flat);
  flat.nb_dims = 2;
  if (outer_known || inner_known) {
    flat.d[0] = outer_known ? outer : -1;
    flat.d[1] = outer_known ? -1 : inner;
    return ingot_onnx_reshape(node, in, &flat, false, out);
  }
  /* [prod(shape[0:axis]), -1] computed when shapes are known. */
  ingot_network *net = ingot_onnx_node_network(node);
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_network_add_shape(net, in, &layer), "adding a shape layer"));
  ingot_onnx_name_layer(node, layer);
  ingot_tensor *shape = ingot_layer_get_output(layer, 0);
  int64_t one = 1, zero = 0, len = axis;
  ingot_dims start = ingot_dims_make(1, &zero), size = ingot_dims_make(1, &len), stride = ingot_dims_make(1, &one);
  INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_network_add_slice(net, shape, &start, &size, &stride, &layer),
                                  "adding a slice of the shape"));
  ingot_onnx_name_layer(node, layer);
  ingot_tensor *prod, *minus_one, *dims;
  INGOT_ONNX_TRY(ingot_onnx_add_reduce(node, ingot_layer_get_output(layer, 0), INGOT_REDUCE_PROD, 1u, true, &prod));
  int64_t m1 = -1;
  ingot_dims d1 = ingot_dims_make(1, &one);
  INGOT_ONNX_TRY(ingot_onnx_add_constant(node, INGOT_INT64, &d1, &m1, &minus_one));
  ingot_tensor *parts[2] = {prod, minus_one};
  INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_network_add_concatenation(net, parts, 2, 0, &layer),
                                  "adding a concatenation of dims"));
  ingot_onnx_name_layer(node, layer);
  dims = ingot_layer_get_output(layer, 0);
  return ingot_onnx_reshape_to(node, in, dims, out);
}

ingot_status ingot_onnx_transpose(ingot_onnx_node *node, ingot_tensor *in, const int32_t *perm, int32_t rank,
                                  ingot_tensor **out) {
  ingot_shuffle_desc desc;
  memset(&desc, 0, sizeof desc);
  desc.has_first_transpose = 1;
  for (int32_t i = 0; i < rank && i < INGOT_MAX_DIMS; i++) desc.first_transpose[i] = perm[i];
  ingot_layer *layer = NULL;
  ingot_status st = ingot_network_add_shuffle(ingot_onnx_node_network(node), in, &desc, &layer);
  return finish(node, st, layer, "adding a transpose (shuffle)", out);
}

ingot_status ingot_onnx_unsqueeze(ingot_onnx_node *node, ingot_tensor *in, int32_t rank, int32_t leading,
                                  int32_t new_rank, ingot_tensor **out) {
  if (rank < 0 || new_rank > INGOT_MAX_DIMS || leading < 0 || rank + leading > new_rank)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT,
                           "cannot unsqueeze a rank-%d tensor to rank %d with %d leading dims (at most %d dims)", rank,
                           new_rank, leading, INGOT_MAX_DIMS);
  if (new_rank == rank) {
    *out = in;
    return INGOT_SUCCESS;
  }
  /* Reshape to [d0 .. d(rank-1), 1 ...] with 0 placeholders (each copies the dim at its own
   * index, so this works with dynamic dims), then move `leading` of the new 1s to the front. */
  ingot_shuffle_desc desc;
  memset(&desc, 0, sizeof desc);
  desc.has_reshape = 1;
  desc.reshape_dims.nb_dims = new_rank;
  for (int32_t i = 0; i < new_rank; i++) desc.reshape_dims.d[i] = i < rank ? 0 : 1;
  if (leading > 0) {
    desc.has_second_transpose = 1;
    int32_t k = 0;
    for (int32_t i = 0; i < leading; i++) desc.second_transpose[k++] = rank + i;
    for (int32_t i = 0; i < rank; i++) desc.second_transpose[k++] = i;
    for (int32_t i = rank + leading; i < new_rank; i++) desc.second_transpose[k++] = i;
  }
  ingot_layer *layer = NULL;
  ingot_status st = ingot_network_add_shuffle(ingot_onnx_node_network(node), in, &desc, &layer);
  return finish(node, st, layer, "adding an unsqueeze (shuffle)", out);
}

ingot_status ingot_onnx_align_ranks(ingot_onnx_node *node, ingot_tensor **a, int32_t rank_a, ingot_tensor **b,
                                    int32_t rank_b) {
  if (rank_a < 0 || rank_b < 0 || rank_a == rank_b) return INGOT_SUCCESS;
  if (rank_a < rank_b) return ingot_onnx_unsqueeze(node, *a, rank_a, rank_b - rank_a, rank_b, a);
  return ingot_onnx_unsqueeze(node, *b, rank_b, rank_a - rank_b, rank_a, b);
}
