/* CUDA tactics of the pointwise layers: elementwise (broadcasting), select, parametric
 * relu, unary, activation, cast and identity. Each unpacks the kernel args and calls a
 * launcher of elementwise.cu / unary.cu on args->stream. */
#include "backend/cuda/kernels/ck_tactics.h"
#include "core/dims.h"
#include "ops/ops.h"

#define STREAM(args) ((cudaStream_t)(args)->stream)

static bool is_int(ingot_dtype dt) { return dt == INGOT_INT8 || dt == INGOT_INT32 || dt == INGOT_INT64; }

/* ---- elementwise ------------------------------------------------------------------------ */

bool ingot_ck_elementwise_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                          const ingot_tensor_view *outputs) {
  int32_t op = node->params.elementwise.op;
  ingot_dtype dt = inputs[0].dtype;
  if (op < 0 || op >= INGOT_ELEMENTWISE_OP_COUNT || inputs[1].dtype != dt) return false;
  /* After XOR come the bitwise ops and shifts, integers only, same dtype out. */
  bool bitwise = op > INGOT_ELEMENTWISE_XOR;
  bool logic = op >= INGOT_ELEMENTWISE_AND && !bitwise, to_bool = op >= INGOT_ELEMENTWISE_EQUAL && !bitwise;
  if (outputs[0].dtype != (to_bool ? INGOT_BOOL : dt)) return false;
  if (logic) return dt == INGOT_BOOL;
  if (dt == INGOT_BOOL || (bitwise && !(is_int(dt) || dt == INGOT_UINT8))) return false;
  const ingot_dims *in[2] = {&inputs[0].dims, &inputs[1].dims};
  ingot_ck_box box;
  return ingot_ck_box_broadcast(&box, &outputs[0].dims, 2, in);
}

ingot_status ingot_ck_elementwise_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *a = &args->inputs[0], *b = &args->inputs[1], *y = &args->outputs[0];
  const ingot_dims *in[2] = {&a->dims, &b->dims};
  ingot_ck_box box;
  if (!ingot_ck_box_broadcast(&box, &y->dims, 2, in))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "inputs do not broadcast to the output");
  return ingot_ck_status(args, ingot_ck_binary(args->params->elementwise.op, (int32_t)a->dtype, &box, a->data,
                                               b->data, y->data, STREAM(args)));
}

/* ---- select ------------------------------------------------------------------------------- */

bool ingot_ck_select_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                     const ingot_tensor_view *outputs) {
  (void)node;
  if (inputs[0].dtype != INGOT_BOOL || inputs[1].dtype != outputs[0].dtype || inputs[2].dtype != outputs[0].dtype)
    return false;
  const ingot_dims *in[3] = {&inputs[0].dims, &inputs[1].dims, &inputs[2].dims};
  ingot_ck_box box;
  return ingot_ck_box_broadcast(&box, &outputs[0].dims, 3, in);
}

ingot_status ingot_ck_select_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *v = args->inputs, *y = &args->outputs[0];
  const ingot_dims *in[3] = {&v[0].dims, &v[1].dims, &v[2].dims};
  ingot_ck_box box;
  if (!ingot_ck_box_broadcast(&box, &y->dims, 3, in))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "inputs do not broadcast to the output");
  return ingot_ck_status(args, ingot_ck_select((int32_t)ingot_dtype_size(y->dtype), &box, v[0].data, v[1].data,
                                               v[2].data, y->data, STREAM(args)));
}

/* ---- parametric relu ---------------------------------------------------------------------- */

bool ingot_ck_prelu_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                    const ingot_tensor_view *outputs) {
  (void)node;
  if (!ingot_ck_is_float(inputs[0].dtype) || !ingot_ck_is_float(inputs[1].dtype) ||
      outputs[0].dtype != inputs[0].dtype)
    return false;
  const ingot_dims *in[2] = {&inputs[0].dims, &inputs[1].dims};
  ingot_ck_box box;
  return ingot_ck_box_broadcast(&box, &outputs[0].dims, 2, in);
}

ingot_status ingot_ck_prelu_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *x = &args->inputs[0], *s = &args->inputs[1], *y = &args->outputs[0];
  const ingot_dims *in[2] = {&x->dims, &s->dims};
  ingot_ck_box box;
  if (!ingot_ck_box_broadcast(&box, &y->dims, 2, in))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "input and slope do not broadcast to the output");
  return ingot_ck_status(args, ingot_ck_prelu((int32_t)x->dtype, (int32_t)s->dtype, &box, x->data, s->data, y->data,
                                              STREAM(args)));
}

/* ---- unary, activation ---------------------------------------------------------------------- */

bool ingot_ck_unary_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                    const ingot_tensor_view *outputs) {
  int32_t op = node->params.unary.op;
  ingot_dtype in = inputs[0].dtype, out = outputs[0].dtype;
  switch (op) {
    case INGOT_UNARY_NOT: return in == INGOT_BOOL && out == INGOT_BOOL;
    case INGOT_UNARY_ISNAN:
    case INGOT_UNARY_ISINF: return ingot_ck_is_float(in) && out == INGOT_BOOL;
    case INGOT_UNARY_ABS:
    case INGOT_UNARY_NEG:
    case INGOT_UNARY_SIGN: return out == in && (ingot_ck_is_float(in) || is_int(in));
    case INGOT_UNARY_ISINF + 1: /* bitwise not (integers) */
      return op < INGOT_UNARY_OP_COUNT && out == in && (is_int(in) || in == INGOT_UINT8);
    default: return op >= 0 && op < INGOT_UNARY_OP_COUNT && ingot_ck_is_float(in) && out == in;
  }
}

ingot_status ingot_ck_unary_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  return ingot_ck_status(args, ingot_ck_unary(args->params->unary.op, (int32_t)x->dtype, (int32_t)y->dtype,
                                              ingot_dims_volume(&y->dims), x->data, y->data, STREAM(args)));
}

bool ingot_ck_activation_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                         const ingot_tensor_view *outputs) {
  int32_t type = node->params.activation.type;
  return type >= 0 && type < INGOT_ACTIVATION_TYPE_COUNT && ingot_ck_is_float(inputs[0].dtype) &&
         outputs[0].dtype == inputs[0].dtype;
}

ingot_status ingot_ck_activation_tactic(const ingot_kernel_args *args) {
  const ingot_activation_params *p = &args->params->activation;
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  return ingot_ck_status(args, ingot_ck_activation(p->type, p->alpha, p->beta, (int32_t)x->dtype,
                                                   ingot_dims_volume(&y->dims), x->data, y->data, STREAM(args)));
}

/* ---- cast, identity --------------------------------------------------------------------- */

bool ingot_ck_cast_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                   const ingot_tensor_view *outputs) {
  (void)node;
  return ingot_dtype_valid(inputs[0].dtype) && ingot_dtype_valid(outputs[0].dtype);
}

ingot_status ingot_ck_cast_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  return ingot_ck_status(args, ingot_ck_cast((int32_t)x->dtype, (int32_t)y->dtype, ingot_dims_volume(&y->dims),
                                             x->data, y->data, STREAM(args)));
}

bool ingot_ck_identity_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                       const ingot_tensor_view *outputs) {
  (void)node;
  return inputs[0].dtype == outputs[0].dtype;
}

ingot_status ingot_ck_identity_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  int64_t bytes = ingot_dims_volume(&y->dims) * (int64_t)ingot_dtype_size(y->dtype);
  if (bytes <= 0 || x->data == y->data) return INGOT_SUCCESS;
  return ingot_ck_status(args,
                         cudaMemcpyAsync(y->data, x->data, (size_t)bytes, cudaMemcpyDeviceToDevice, STREAM(args)));
}
