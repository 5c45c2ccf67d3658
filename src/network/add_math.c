/* Math layers: activation, parametric relu, matrix multiply, fully connected, softmax and
 * log softmax, elementwise, unary, scale, reduce, batch and layer normalization, select.
 * Only what needs no shapes is checked here; shape inference checks the rest at build. */
#include <math.h>
#include <string.h>

#include "core/dims.h"
#include "network/network_internal.h"

static ingot_dims dims1(int64_t n) {
  ingot_dims d;
  memset(&d, 0, sizeof d);
  d.nb_dims = 1;
  d.d[0] = n;
  return d;
}

static ingot_op_params zero_params(void) {
  ingot_op_params p;
  memset(&p, 0, sizeof p);
  return p;
}

/* The common tail of one-input layers whose output has the input's dtype. */
static ingot_status add_unary_like(ingot_network *network, ingot_op op, const char *fn, const ingot_op_params *params,
                                   const ingot_tensor *input, ingot_dtype out, ingot_layer **layer_out) {
  int32_t inputs[1] = {input->index};
  return ingot_net_add_layer(network, op, fn, params, inputs, 1, &out, 1, layer_out);
}

static ingot_status check_epsilon(const ingot_network *network, float epsilon, const char *fn) {
  if (!(epsilon >= 0.0f) || isinf(epsilon))
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: epsilon is %g, expected a finite value >= 0", fn,
                          (double)epsilon);
  return INGOT_SUCCESS;
}

ingot_status ingot_network_add_activation(ingot_network *network, ingot_tensor *input, ingot_activation_type type,
                                          float alpha, float beta, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_activation";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)type, INGOT_ACTIVATION_TYPE_COUNT, fn, "activation type"));
  ingot_op_params params = zero_params();
  params.activation.type = (int32_t)type;
  params.activation.alpha = alpha;
  params.activation.beta = beta;
  return add_unary_like(network, INGOT_OP_ACTIVATION, fn, &params, input, ingot_net_tensor_dtype(network, input),
                        layer_out);
}

ingot_status ingot_network_add_parametric_relu(ingot_network *network, ingot_tensor *input, ingot_tensor *slope,
                                               ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_parametric_relu";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_TRY(ingot_net_check_tensor(network, slope, fn, "slope"));
  ingot_op_params params = zero_params();
  int32_t inputs[2] = {input->index, slope->index};
  ingot_dtype out = ingot_net_tensor_dtype(network, input);
  return ingot_net_add_layer(network, INGOT_OP_PARAMETRIC_RELU, fn, &params, inputs, 2, &out, 1, layer_out);
}

ingot_status ingot_network_add_matrix_multiply(ingot_network *network, ingot_tensor *a, ingot_matrix_op op_a,
                                               ingot_tensor *b, ingot_matrix_op op_b, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_matrix_multiply";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, a, fn, "a"));
  INGOT_TRY(ingot_net_check_tensor(network, b, fn, "b"));
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)op_a, INGOT_MATRIX_OP_VECTOR + 1, fn, "op_a"));
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)op_b, INGOT_MATRIX_OP_VECTOR + 1, fn, "op_b"));
  ingot_op_params params = zero_params();
  params.matmul.op_a = (int32_t)op_a;
  params.matmul.op_b = (int32_t)op_b;
  params.matmul.epilogue.activation = -1;
  int32_t inputs[2] = {a->index, b->index};
  ingot_dtype out = ingot_net_tensor_dtype(network, a);
  return ingot_net_add_layer(network, INGOT_OP_MATRIX_MULTIPLY, fn, &params, inputs, 2, &out, 1, layer_out);
}

ingot_status ingot_network_add_fully_connected(ingot_network *network, ingot_tensor *input, int64_t num_outputs,
                                               ingot_weights kernel_weights, ingot_weights bias_weights,
                                               ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_fully_connected";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  if (num_outputs < 1)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: num_outputs is %lld, expected > 0", fn,
                          (long long)num_outputs);
  INGOT_TRY(ingot_net_check_weights(network, &kernel_weights, fn, "kernel_weights", true, true));
  INGOT_TRY(ingot_net_check_weights(network, &bias_weights, fn, "bias_weights", false, true));
  if (kernel_weights.count % num_outputs != 0)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                          "%s: kernel_weights hold %lld values, expected a multiple of num_outputs %lld", fn,
                          (long long)kernel_weights.count, (long long)num_outputs);
  int64_t K = kernel_weights.count / num_outputs;
  ingot_dims dims;
  if (ingot_net_declared_dims(network, input->index, &dims)) {
    if (dims.nb_dims < 1)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: input '%s' is a scalar, expected [N, ...]", fn,
                            ingot_net_tensor_name(network, input->index));
    ingot_dims rest = dims;
    rest.nb_dims = dims.nb_dims - 1;
    memmove(rest.d, dims.d + 1, sizeof(int64_t) * (INGOT_MAX_DIMS - 1));
    int64_t k_in = ingot_dims_volume(&rest);
    if (k_in >= 0 && k_in != K)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                            "%s: kernel_weights hold %lld values = %lld x %lld, expected num_outputs x %lld (the "
                            "volume of the input's dims after dim 0)",
                            fn, (long long)kernel_weights.count, (long long)num_outputs, (long long)K, (long long)k_in);
  }
  if (bias_weights.count != 0 && bias_weights.count != num_outputs)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: bias_weights hold %lld values, expected num_outputs = %lld",
                          fn, (long long)bias_weights.count, (long long)num_outputs);
  ingot_op_params params = zero_params();
  params.fc.num_outputs = num_outputs;
  params.fc.has_bias = bias_weights.count > 0;
  params.fc.epilogue.activation = -1;
  ingot_dims kdims;
  memset(&kdims, 0, sizeof kdims);
  kdims.nb_dims = 2;
  kdims.d[0] = num_outputs;
  kdims.d[1] = K;
  ingot_dims bdims = dims1(num_outputs);

  ingot_net_layer layer;
  ingot_net_layer_begin(&layer, network, INGOT_OP_FULLY_CONNECTED, 1 + params.fc.has_bias, fn);
  int32_t inputs[3] = {input->index, -1, -1};
  INGOT_TRY(ingot_net_layer_add_weights(&layer, "kernel", &kernel_weights, &kdims, &inputs[1]));
  INGOT_TRY(ingot_net_layer_add_weights(&layer, "bias", &bias_weights, &bdims, &inputs[2]));
  ingot_dtype out = ingot_net_tensor_dtype(network, input);
  return ingot_net_layer_finish(&layer, &params, inputs, params.fc.has_bias ? 3 : 2, &out, 1, layer_out);
}

static ingot_status add_softmax(ingot_network *network, ingot_tensor *input, int32_t axis, int32_t log,
                                ingot_layer **layer_out, const char *fn) {
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_TRY(ingot_net_check_axis(network, input, axis, fn, "axis"));
  ingot_op_params params = zero_params();
  params.softmax.axis = axis;
  params.softmax.log = log;
  return add_unary_like(network, INGOT_OP_SOFTMAX, fn, &params, input, ingot_net_tensor_dtype(network, input),
                        layer_out);
}

ingot_status ingot_network_add_softmax(ingot_network *network, ingot_tensor *input, int32_t axis,
                                       ingot_layer **layer_out) {
  return add_softmax(network, input, axis, 0, layer_out, "ingot_network_add_softmax");
}

ingot_status ingot_network_add_log_softmax(ingot_network *network, ingot_tensor *input, int32_t axis,
                                           ingot_layer **layer_out) {
  return add_softmax(network, input, axis, 1, layer_out, "ingot_network_add_log_softmax");
}

ingot_status ingot_network_add_elementwise(ingot_network *network, ingot_tensor *a, ingot_tensor *b,
                                           ingot_elementwise_op op, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_elementwise";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, a, fn, "a"));
  INGOT_TRY(ingot_net_check_tensor(network, b, fn, "b"));
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)op, INGOT_ELEMENTWISE_OP_COUNT, fn, "elementwise op"));
  ingot_op_params params = zero_params();
  params.elementwise.op = (int32_t)op;
  /* Comparisons and logic give bool; arithmetic keeps the operands' dtype. */
  ingot_dtype out = op >= INGOT_ELEMENTWISE_EQUAL ? INGOT_BOOL : ingot_net_tensor_dtype(network, a);
  int32_t inputs[2] = {a->index, b->index};
  return ingot_net_add_layer(network, INGOT_OP_ELEMENTWISE, fn, &params, inputs, 2, &out, 1, layer_out);
}

ingot_status ingot_network_add_unary(ingot_network *network, ingot_tensor *input, ingot_unary_op op,
                                     ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_unary";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)op, INGOT_UNARY_OP_COUNT, fn, "unary op"));
  ingot_op_params params = zero_params();
  params.unary.op = (int32_t)op;
  bool gives_bool = op == INGOT_UNARY_NOT || op == INGOT_UNARY_ISNAN || op == INGOT_UNARY_ISINF;
  return add_unary_like(network, INGOT_OP_UNARY, fn, &params, input,
                        gives_bool ? INGOT_BOOL : ingot_net_tensor_dtype(network, input), layer_out);
}

ingot_status ingot_network_add_scale(ingot_network *network, ingot_tensor *input, ingot_scale_mode mode,
                                     ingot_weights shift, ingot_weights scale, ingot_weights power,
                                     int32_t channel_axis, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_scale";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)mode, INGOT_SCALE_ELEMENTWISE + 1, fn, "scale mode"));
  const ingot_weights *w[3] = {&shift, &scale, &power};
  static const char *const roles[3] = {"shift", "scale", "power"};
  int64_t count = 0;
  int32_t nb_hidden = 0;
  for (int32_t i = 0; i < 3; i++) {
    INGOT_TRY(ingot_net_check_weights(network, w[i], fn, roles[i], false, true));
    if (w[i]->count == 0) continue;
    nb_hidden++;
    if (mode == INGOT_SCALE_UNIFORM && w[i]->count != 1)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s holds %lld values, expected 1 in uniform mode", fn,
                            roles[i], (long long)w[i]->count);
    if (count != 0 && w[i]->count != count)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                            "%s: %s holds %lld values but an earlier coefficient holds %lld; expected the same count",
                            fn, roles[i], (long long)w[i]->count, (long long)count);
    count = w[i]->count;
  }
  if (mode == INGOT_SCALE_CHANNEL) {
    INGOT_TRY(ingot_net_check_axis(network, input, channel_axis, fn, "channel_axis"));
    ingot_dims dims;
    int32_t axis;
    if (count > 0 && ingot_net_declared_dims(network, input->index, &dims) &&
        ingot_axis_normalize(channel_axis, dims.nb_dims, &axis) && dims.d[axis] >= 0 && dims.d[axis] != count)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                            "%s: coefficients hold %lld values, expected one per channel = %lld (dim %d of '%s')", fn,
                            (long long)count, (long long)dims.d[axis], axis,
                            ingot_net_tensor_name(network, input->index));
  }
  ingot_op_params params = zero_params();
  params.scale.mode = (int32_t)mode;
  params.scale.channel_axis = channel_axis;
  ingot_dims cdims = dims1(count);

  ingot_net_layer layer;
  ingot_net_layer_begin(&layer, network, INGOT_OP_SCALE, nb_hidden, fn);
  int32_t inputs[4] = {input->index, -1, -1, -1};
  for (int32_t i = 0; i < 3; i++)
    INGOT_TRY(ingot_net_layer_add_weights(&layer, roles[i], w[i], &cdims, &inputs[1 + i]));
  ingot_dtype out = ingot_net_tensor_dtype(network, input);
  return ingot_net_layer_finish(&layer, &params, inputs, 4, &out, 1, layer_out);
}

/* An axes mask: bits within 8 dims, and within the rank when the declared dims give it. */
static ingot_status check_mask(const ingot_network *network, const ingot_tensor *input, uint32_t mask,
                               const char *fn) {
  if (mask >> INGOT_MAX_DIMS)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: axes_mask 0x%x names dims beyond %d, expected bits 0 to %d",
                          fn, (unsigned)mask, INGOT_MAX_DIMS - 1, INGOT_MAX_DIMS - 1);
  ingot_dims dims;
  if (ingot_net_declared_dims(network, input->index, &dims) && (mask >> dims.nb_dims) != 0)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                          "%s: axes_mask 0x%x names dims beyond the rank %d of '%s'", fn, (unsigned)mask, dims.nb_dims,
                          ingot_net_tensor_name(network, input->index));
  return INGOT_SUCCESS;
}

ingot_status ingot_network_add_reduce(ingot_network *network, ingot_tensor *input, ingot_reduce_op op,
                                      uint32_t axes_mask, int32_t keep_dims, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_reduce";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)op, INGOT_REDUCE_OP_COUNT, fn, "reduce op"));
  INGOT_TRY(check_mask(network, input, axes_mask, fn));
  ingot_op_params params = zero_params();
  params.reduce.op = (int32_t)op;
  params.reduce.axes_mask = axes_mask;
  params.reduce.keep_dims = keep_dims != 0;
  return add_unary_like(network, INGOT_OP_REDUCE, fn, &params, input, ingot_net_tensor_dtype(network, input),
                        layer_out);
}

ingot_status ingot_network_add_batch_normalization(ingot_network *network, ingot_tensor *input, ingot_weights scale,
                                                   ingot_weights bias, ingot_weights mean, ingot_weights variance,
                                                   float epsilon, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_batch_normalization";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  const ingot_weights *w[4] = {&scale, &bias, &mean, &variance};
  static const char *const roles[4] = {"scale", "bias", "mean", "variance"};
  for (int32_t i = 0; i < 4; i++) {
    INGOT_TRY(ingot_net_check_weights(network, w[i], fn, roles[i], true, true));
    if (w[i]->count != scale.count)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                            "%s: %s holds %lld values and scale %lld, expected one value per channel in each", fn,
                            roles[i], (long long)w[i]->count, (long long)scale.count);
  }
  INGOT_TRY(check_epsilon(network, epsilon, fn));
  ingot_dims dims;
  if (ingot_net_declared_dims(network, input->index, &dims)) {
    if (dims.nb_dims < 2)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: input '%s' has rank %d, expected [N, C, ...]", fn,
                            ingot_net_tensor_name(network, input->index), dims.nb_dims);
    if (dims.d[1] >= 0 && dims.d[1] != scale.count)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                            "%s: weights hold %lld values, expected one per channel = %lld (dim 1 of '%s')", fn,
                            (long long)scale.count, (long long)dims.d[1], ingot_net_tensor_name(network, input->index));
  }
  ingot_op_params params = zero_params();
  params.batchnorm.epsilon = epsilon;
  ingot_dims cdims = dims1(scale.count);
  ingot_net_layer layer;
  ingot_net_layer_begin(&layer, network, INGOT_OP_BATCH_NORMALIZATION, 4, fn);
  int32_t inputs[5] = {input->index, -1, -1, -1, -1};
  for (int32_t i = 0; i < 4; i++)
    INGOT_TRY(ingot_net_layer_add_weights(&layer, roles[i], w[i], &cdims, &inputs[1 + i]));
  ingot_dtype out = ingot_net_tensor_dtype(network, input);
  return ingot_net_layer_finish(&layer, &params, inputs, 5, &out, 1, layer_out);
}

ingot_status ingot_network_add_layer_normalization(ingot_network *network, ingot_tensor *input, ingot_tensor *scale,
                                                   ingot_tensor *bias, uint32_t axes_mask, float epsilon,
                                                   ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_layer_normalization";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_TRY(ingot_net_check_tensor(network, scale, fn, "scale"));
  if (bias) INGOT_TRY(ingot_net_check_tensor(network, bias, fn, "bias"));
  if (axes_mask == 0)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: axes_mask is 0, expected the trailing dims to normalize",
                          fn);
  INGOT_TRY(check_mask(network, input, axes_mask, fn));
  INGOT_TRY(check_epsilon(network, epsilon, fn));
  ingot_op_params params = zero_params();
  params.layernorm.axes_mask = axes_mask;
  params.layernorm.epsilon = epsilon;
  int32_t inputs[3] = {input->index, scale->index, bias ? bias->index : -1};
  ingot_dtype out = ingot_net_tensor_dtype(network, input);
  return ingot_net_add_layer(network, INGOT_OP_LAYER_NORMALIZATION, fn, &params, inputs, 3, &out, 1, layer_out);
}

ingot_status ingot_network_add_attention(ingot_network *network, ingot_tensor *q, ingot_tensor *k, ingot_tensor *v,
                                         ingot_tensor *mask, float scale, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_attention";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, q, fn, "q"));
  INGOT_TRY(ingot_net_check_tensor(network, k, fn, "k"));
  INGOT_TRY(ingot_net_check_tensor(network, v, fn, "v"));
  if (mask) INGOT_TRY(ingot_net_check_tensor(network, mask, fn, "mask"));
  if (!isfinite(scale)) return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: scale %g is not finite", fn, (double)scale);
  ingot_op_params params = zero_params();
  ingot_attention_params *p = &params.attention;
  p->scale = scale;
  for (int32_t t = 0; t < 4; t++)
    for (int32_t i = 0; i < 4; i++) p->perm[t][i] = i;
  if (mask) {
    bool keep_mask = ingot_net_tensor_dtype(network, mask) == INGOT_BOOL;
    p->mask_kind = keep_mask ? INGOT_ATTENTION_MASK_SELECT : INGOT_ATTENTION_MASK_ADD;
    p->mask_select = 0;               /* false: not attended */
    p->mask_fill = keep_mask ? -INFINITY : 0.0f;
  }
  int32_t inputs[4] = {q->index, k->index, v->index, mask ? mask->index : -1};
  ingot_dtype out = ingot_net_tensor_dtype(network, q);
  return ingot_net_add_layer(network, INGOT_OP_ATTENTION, fn, &params, inputs, mask ? 4 : 3, &out, 1, layer_out);
}

ingot_status ingot_network_add_select(ingot_network *network, ingot_tensor *condition, ingot_tensor *then_input,
                                      ingot_tensor *else_input, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_select";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, condition, fn, "condition"));
  INGOT_TRY(ingot_net_check_tensor(network, then_input, fn, "then_input"));
  INGOT_TRY(ingot_net_check_tensor(network, else_input, fn, "else_input"));
  ingot_op_params params = zero_params();
  int32_t inputs[3] = {condition->index, then_input->index, else_input->index};
  ingot_dtype out = ingot_net_tensor_dtype(network, then_input);
  return ingot_net_add_layer(network, INGOT_OP_SELECT, fn, &params, inputs, 3, &out, 1, layer_out);
}
