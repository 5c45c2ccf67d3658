/* Shape arithmetic and the other layers ONNX import needs: shape, fill, range, gather
 * elements / nd, scatter, cumulative, expand, tile, quantize, dequantize and einsum.
 * What is known when a layer is added is checked here (tensors of this network, enum and
 * dtype arguments, axes against declared ranks); shapes and values are checked by shape
 * inference at build time. */
#include <stdio.h>
#include <string.h>

#include "core/dims.h"
#include "network/network_internal.h"

static ingot_op_params zero_params(void) {
  ingot_op_params p;
  memset(&p, 0, sizeof p);
  return p;
}

static ingot_status expect_dtype_in(const ingot_network *network, const ingot_tensor *tensor, const char *fn,
                                    const char *arg, const ingot_dtype *allowed, int32_t nb_allowed,
                                    const char *expected) {
  ingot_dtype dt = ingot_net_tensor_dtype(network, tensor);
  for (int32_t i = 0; i < nb_allowed; i++)
    if (dt == allowed[i]) return INGOT_SUCCESS;
  return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s '%s' is %s, expected %s", fn, arg,
                        ingot_net_tensor_name(network, tensor->index), ingot_dtype_name(dt), expected);
}

static ingot_status expect_int_dims(const ingot_network *network, const ingot_tensor *tensor, const char *fn,
                                    const char *arg) {
  static const ingot_dtype ints[] = {INGOT_INT64, INGOT_INT32};
  return expect_dtype_in(network, tensor, fn, arg, ints, 2, "int64 (or int32)");
}

static ingot_status expect_indices(const ingot_network *network, const ingot_tensor *tensor, const char *fn) {
  static const ingot_dtype ints[] = {INGOT_INT64, INGOT_INT32};
  return expect_dtype_in(network, tensor, fn, "indices", ints, 2, "int32 or int64");
}

/* The dtypes the arithmetic layers take (half ones compute in float32 between casts). */
static const ingot_dtype arithmetic_dtypes[] = {INGOT_FLOAT32, INGOT_FLOAT16, INGOT_BFLOAT16, INGOT_INT32,
                                                INGOT_INT64};
#define ARITHMETIC_NAMES "float32, float16, bfloat16, int32 or int64"
static const ingot_dtype float_dtypes[] = {INGOT_FLOAT32, INGOT_FLOAT16, INGOT_BFLOAT16};
#define FLOAT_NAMES "float32, float16 or bfloat16"

ingot_status ingot_network_add_shape(ingot_network *network, ingot_tensor *input, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_shape";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  ingot_op_params params = zero_params();
  int32_t inputs[1] = {input->index};
  ingot_dtype out = INGOT_INT64;
  return ingot_net_add_layer(network, INGOT_OP_SHAPE, fn, &params, inputs, 1, &out, 1, layer_out);
}

ingot_status ingot_network_add_fill(ingot_network *network, ingot_tensor *shape, ingot_dtype dtype, double value,
                                    ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_fill";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, shape, fn, "shape"));
  INGOT_TRY(expect_int_dims(network, shape, fn, "shape"));
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)dtype, INGOT_DTYPE_COUNT, fn, "dtype"));
  ingot_op_params params = zero_params();
  params.fill.dtype = (int32_t)dtype;
  params.fill.value = value;
  int32_t inputs[1] = {shape->index};
  return ingot_net_add_layer(network, INGOT_OP_FILL, fn, &params, inputs, 1, &dtype, 1, layer_out);
}

ingot_status ingot_network_add_range(ingot_network *network, ingot_tensor *start, ingot_tensor *limit,
                                     ingot_tensor *delta, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_range";
  static const ingot_dtype allowed[] = {INGOT_FLOAT32, INGOT_INT32, INGOT_INT64};
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, start, fn, "start"));
  INGOT_TRY(ingot_net_check_tensor(network, limit, fn, "limit"));
  INGOT_TRY(ingot_net_check_tensor(network, delta, fn, "delta"));
  INGOT_TRY(expect_dtype_in(network, start, fn, "start", allowed, 3, "float32, int32 or int64"));
  ingot_dtype dt = ingot_net_tensor_dtype(network, start);
  if (ingot_net_tensor_dtype(network, limit) != dt || ingot_net_tensor_dtype(network, delta) != dt)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: start, limit and delta are %s, %s and %s, expected one dtype",
                          fn, ingot_dtype_name(dt), ingot_dtype_name(ingot_net_tensor_dtype(network, limit)),
                          ingot_dtype_name(ingot_net_tensor_dtype(network, delta)));
  ingot_op_params params = zero_params();
  int32_t inputs[3] = {start->index, limit->index, delta->index};
  return ingot_net_add_layer(network, INGOT_OP_RANGE, fn, &params, inputs, 3, &dt, 1, layer_out);
}

static ingot_status add_gather_ex(ingot_network *network, ingot_op op, const char *fn, ingot_tensor *data,
                                  ingot_tensor *indices, int32_t axis, int32_t batch_dims, ingot_layer **layer_out) {
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, data, fn, "data"));
  INGOT_TRY(ingot_net_check_tensor(network, indices, fn, "indices"));
  INGOT_TRY(expect_indices(network, indices, fn));
  ingot_op_params params = zero_params();
  if (op == INGOT_OP_GATHER_ELEMENTS) {
    INGOT_TRY(ingot_net_check_axis(network, data, axis, fn, "axis"));
    params.gather_ex.axis = axis;
  } else {
    if (batch_dims < 0 || batch_dims >= INGOT_MAX_DIMS)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: batch_dims is %d, expected 0 to %d", fn, batch_dims,
                            INGOT_MAX_DIMS - 1);
    params.gather_ex.batch_dims = batch_dims;
  }
  int32_t inputs[2] = {data->index, indices->index};
  ingot_dtype out = ingot_net_tensor_dtype(network, data);
  return ingot_net_add_layer(network, op, fn, &params, inputs, 2, &out, 1, layer_out);
}

ingot_status ingot_network_add_gather_elements(ingot_network *network, ingot_tensor *data, ingot_tensor *indices,
                                               int32_t axis, ingot_layer **layer_out) {
  return add_gather_ex(network, INGOT_OP_GATHER_ELEMENTS, "ingot_network_add_gather_elements", data, indices, axis, 0,
                       layer_out);
}

ingot_status ingot_network_add_gather_nd(ingot_network *network, ingot_tensor *data, ingot_tensor *indices,
                                         int32_t batch_dims, ingot_layer **layer_out) {
  return add_gather_ex(network, INGOT_OP_GATHER_ND, "ingot_network_add_gather_nd", data, indices, 0, batch_dims,
                       layer_out);
}

ingot_status ingot_network_add_scatter(ingot_network *network, ingot_tensor *data, ingot_tensor *indices,
                                       ingot_tensor *updates, ingot_scatter_mode mode, int32_t axis,
                                       ingot_scatter_reduction reduction, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_scatter";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, data, fn, "data"));
  INGOT_TRY(ingot_net_check_tensor(network, indices, fn, "indices"));
  INGOT_TRY(ingot_net_check_tensor(network, updates, fn, "updates"));
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)mode, INGOT_SCATTER_ELEMENTS + 1, fn, "mode"));
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)reduction, INGOT_SCATTER_REDUCE_MIN + 1, fn, "reduction"));
  INGOT_TRY(expect_indices(network, indices, fn));
  ingot_dtype dt = ingot_net_tensor_dtype(network, data);
  if (ingot_net_tensor_dtype(network, updates) != dt)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: updates '%s' are %s, expected %s as data '%s'", fn,
                          ingot_net_tensor_name(network, updates->index),
                          ingot_dtype_name(ingot_net_tensor_dtype(network, updates)), ingot_dtype_name(dt),
                          ingot_net_tensor_name(network, data->index));
  if (reduction != INGOT_SCATTER_REDUCE_NONE)
    INGOT_TRY(expect_dtype_in(network, data, fn, "data (with a reduction)", arithmetic_dtypes, 5, ARITHMETIC_NAMES));
  ingot_op_params params = zero_params();
  params.scatter.mode = (int32_t)mode;
  params.scatter.reduction = (int32_t)reduction;
  if (mode == INGOT_SCATTER_ELEMENTS) {
    INGOT_TRY(ingot_net_check_axis(network, data, axis, fn, "axis"));
    params.scatter.axis = axis;
  }
  int32_t inputs[3] = {data->index, indices->index, updates->index};
  return ingot_net_add_layer(network, INGOT_OP_SCATTER, fn, &params, inputs, 3, &dt, 1, layer_out);
}

ingot_status ingot_network_add_cumulative(ingot_network *network, ingot_tensor *input, int32_t axis,
                                          int32_t exclusive, int32_t reverse, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_cumulative";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_TRY(expect_dtype_in(network, input, fn, "input", arithmetic_dtypes, 5, ARITHMETIC_NAMES));
  INGOT_TRY(ingot_net_check_axis(network, input, axis, fn, "axis"));
  ingot_op_params params = zero_params();
  params.cumulative.axis = axis;
  params.cumulative.exclusive = exclusive != 0;
  params.cumulative.reverse = reverse != 0;
  int32_t inputs[1] = {input->index};
  ingot_dtype out = ingot_net_tensor_dtype(network, input);
  return ingot_net_add_layer(network, INGOT_OP_CUMULATIVE, fn, &params, inputs, 1, &out, 1, layer_out);
}

/* Expand and tile: an input and an int 1-D dims tensor. */
static ingot_status add_with_dims(ingot_network *network, ingot_op op, const char *fn, ingot_tensor *input,
                                  ingot_tensor *dims, const char *dims_arg, ingot_layer **layer_out) {
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_TRY(ingot_net_check_tensor(network, dims, fn, dims_arg));
  INGOT_TRY(expect_int_dims(network, dims, fn, dims_arg));
  ingot_op_params params = zero_params();
  int32_t inputs[2] = {input->index, dims->index};
  ingot_dtype out = ingot_net_tensor_dtype(network, input);
  return ingot_net_add_layer(network, op, fn, &params, inputs, 2, &out, 1, layer_out);
}

ingot_status ingot_network_add_expand(ingot_network *network, ingot_tensor *input, ingot_tensor *shape,
                                      ingot_layer **layer_out) {
  return add_with_dims(network, INGOT_OP_EXPAND, "ingot_network_add_expand", input, shape, "shape", layer_out);
}

ingot_status ingot_network_add_tile(ingot_network *network, ingot_tensor *input, ingot_tensor *repeats,
                                    ingot_layer **layer_out) {
  return add_with_dims(network, INGOT_OP_TILE, "ingot_network_add_tile", input, repeats, "repeats", layer_out);
}

/* Quantize and dequantize: [x, scale, zero_point or absent]. */
static ingot_status add_quant(ingot_network *network, ingot_op op, const char *fn, ingot_tensor *input,
                              ingot_tensor *scale, ingot_tensor *zero_point, int32_t axis, ingot_dtype int_dtype,
                              ingot_dtype out, ingot_layer **layer_out) {
  INGOT_TRY(ingot_net_check_tensor(network, scale, fn, "scale"));
  INGOT_TRY(expect_dtype_in(network, scale, fn, "scale", float_dtypes, 3, FLOAT_NAMES));
  if (zero_point) {
    INGOT_TRY(ingot_net_check_tensor(network, zero_point, fn, "zero_point"));
    INGOT_TRY(expect_dtype_in(network, zero_point, fn, "zero_point", &int_dtype, 1, ingot_dtype_name(int_dtype)));
  }
  INGOT_TRY(ingot_net_check_axis(network, input, axis, fn, "axis"));
  ingot_op_params params = zero_params();
  params.quantize.axis = axis;
  params.quantize.output_dtype = op == INGOT_OP_QUANTIZE ? (int32_t)out : 0;
  int32_t inputs[3] = {input->index, scale->index, zero_point ? zero_point->index : -1};
  return ingot_net_add_layer(network, op, fn, &params, inputs, 3, &out, 1, layer_out);
}

ingot_status ingot_network_add_quantize(ingot_network *network, ingot_tensor *input, ingot_tensor *scale,
                                        ingot_tensor *zero_point, int32_t axis, ingot_dtype output_dtype,
                                        ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_quantize";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_TRY(expect_dtype_in(network, input, fn, "input", float_dtypes, 3, FLOAT_NAMES));
  if (output_dtype != INGOT_INT8 && output_dtype != INGOT_UINT8)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: output_dtype is %s, expected int8 or uint8", fn,
                          ingot_dtype_valid(output_dtype) ? ingot_dtype_name(output_dtype) : "unknown");
  return add_quant(network, INGOT_OP_QUANTIZE, fn, input, scale, zero_point, axis, output_dtype, output_dtype,
                   layer_out);
}

ingot_status ingot_network_add_dequantize(ingot_network *network, ingot_tensor *input, ingot_tensor *scale,
                                          ingot_tensor *zero_point, int32_t axis, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_dequantize";
  static const ingot_dtype allowed[] = {INGOT_INT8, INGOT_UINT8, INGOT_INT32};
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_TRY(expect_dtype_in(network, input, fn, "input", allowed, 3, "int8, uint8 or int32"));
  return add_quant(network, INGOT_OP_DEQUANTIZE, fn, input, scale, zero_point, axis,
                   ingot_net_tensor_dtype(network, input), INGOT_FLOAT32, layer_out);
}

ingot_status ingot_network_add_einsum(ingot_network *network, ingot_tensor *const *inputs, int32_t nb_inputs,
                                      const char *equation, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_einsum";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_NET_CHECK_NULL(network, inputs, fn);
  INGOT_NET_CHECK_NULL(network, equation, fn);
  if (nb_inputs < 1 || nb_inputs > 2)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: nb_inputs is %d, expected 1 or 2", fn, nb_inputs);
  ingot_op_params params = zero_params();
  size_t len = strlen(equation);
  if (len >= sizeof params.einsum.equation)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: equation '%.40s...' is %zu characters, at most %zu", fn,
                          equation, len, sizeof params.einsum.equation - 1);
  int32_t indices[2];
  for (int32_t i = 0; i < nb_inputs; i++) {
    char arg[32];
    snprintf(arg, sizeof arg, "inputs[%d]", i);
    INGOT_TRY(ingot_net_check_tensor(network, inputs[i], fn, arg));
    INGOT_TRY(expect_dtype_in(network, inputs[i], fn, arg, float_dtypes, 3, FLOAT_NAMES));
    indices[i] = inputs[i]->index;
  }
  memcpy(params.einsum.equation, equation, len + 1);
  ingot_dtype out = ingot_net_tensor_dtype(network, inputs[0]);
  return ingot_net_add_layer(network, INGOT_OP_EINSUM, fn, &params, indices, nb_inputs, &out, 1, layer_out);
}
