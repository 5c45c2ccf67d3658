/* Shape inference of batch normalization, layer normalization, softmax and reduce. */
#include <math.h>
#include <stdio.h>

#include "core/dims.h"
#include "core/error.h"
#include "ops/graph.h"

static bool present(const ingot_value_info *v) { return v->dims.nb_dims >= 0; }

static ingot_status check_float(const ingot_node *node, const char *what, ingot_dtype dtype) {
  if (dtype == INGOT_FLOAT32 || dtype == INGOT_FLOAT16 || dtype == INGOT_BFLOAT16) return INGOT_SUCCESS;
  return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s has dtype %s, expected float32, float16 or bfloat16", what,
                         ingot_dtype_name(dtype));
}

static ingot_status check_arity(const ingot_node *node, int32_t min_inputs, int32_t max_inputs) {
  if (node->nb_inputs < min_inputs || node->nb_inputs > max_inputs) {
    if (min_inputs == max_inputs)
      return ingot_node_fail(node, INGOT_INVALID_GRAPH, "has %d inputs, expected %d", (int)node->nb_inputs,
                             (int)min_inputs);
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "has %d inputs, expected %d to %d", (int)node->nb_inputs,
                           (int)min_inputs, (int)max_inputs);
  }
  if (node->nb_outputs != 1)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "has %d outputs, expected 1", (int)node->nb_outputs);
  return INGOT_SUCCESS;
}

static void set_output(ingot_value_info *out, ingot_dtype dtype, const ingot_dims *dims) {
  out->dtype = dtype;
  out->dims = *dims;
  out->data = NULL;
}

static ingot_status check_epsilon(const ingot_node *node, float epsilon) {
  if (!(epsilon >= 0.0f) || isinf(epsilon))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "epsilon is %g, expected a finite value >= 0", (double)epsilon);
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_batch_normalization(const ingot_node *node, const ingot_value_info *inputs,
                                             ingot_value_info *outputs) {
  static const char *const roles[5] = {"input", "scale", "bias", "mean", "variance"};
  char buf[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(check_arity(node, 5, 5));
  const ingot_value_info *x = &inputs[0];
  for (int32_t i = 0; i < 5; i++) {
    if (!present(&inputs[i]))
      return ingot_node_fail(node, INGOT_INVALID_GRAPH, "the %s input (input %d) is missing", roles[i], (int)i);
    INGOT_TRY(check_float(node, roles[i], inputs[i].dtype));
  }
  if (x->dims.nb_dims < 2)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input has dims %s, expected rank >= 2 ([N, C, ...])",
                           ingot_dims_format(&x->dims, buf, sizeof buf));
  const int32_t cl = node->params.batchnorm.channels_last;
  if (cl != 0 && cl != 1)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "channels_last is %d, expected 0 or 1", (int)cl);
  const int32_t cax = cl ? x->dims.nb_dims - 1 : 1; /* channels last: set by the layout pass */
  int64_t C = x->dims.d[cax];
  if (C < 0)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input channels (dim %d of %s) must be known", (int)cax,
                           ingot_dims_format(&x->dims, buf, sizeof buf));
  for (int32_t i = 1; i < 5; i++) {
    int64_t count = ingot_dims_volume(&inputs[i].dims);
    if (count != C)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s has %lld values (dims %s), expected one per channel = %lld",
                             roles[i], (long long)count, ingot_dims_format(&inputs[i].dims, buf, sizeof buf),
                             (long long)C);
  }
  INGOT_TRY(check_epsilon(node, node->params.batchnorm.epsilon));
  set_output(&outputs[0], x->dtype, &x->dims);
  return INGOT_SUCCESS;
}

/* Scale/bias must broadcast (numpy rules) against the input without enlarging it. */
static ingot_status check_affine(const ingot_node *node, const char *what, const ingot_value_info *v,
                                 const ingot_dims *x) {
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(check_float(node, what, v->dtype));
  bool ok = v->dims.nb_dims <= x->nb_dims;
  for (int32_t i = 0; ok && i < v->dims.nb_dims; i++) {
    int64_t d = v->dims.d[v->dims.nb_dims - 1 - i], xd = x->d[x->nb_dims - 1 - i];
    ok = d == 1 || d == xd;
  }
  if (!ok)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "%s has dims %s, which do not broadcast against the input dims %s", what,
                           ingot_dims_format(&v->dims, a, sizeof a), ingot_dims_format(x, b, sizeof b));
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_layer_normalization(const ingot_node *node, const ingot_value_info *inputs,
                                             ingot_value_info *outputs) {
  const ingot_layernorm_params *p = &node->params.layernorm;
  char buf[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(check_arity(node, 2, 3));
  const ingot_value_info *x = &inputs[0];
  if (!present(x)) return ingot_node_fail(node, INGOT_INVALID_GRAPH, "the data input (input 0) is missing");
  INGOT_TRY(check_float(node, "input", x->dtype));
  int32_t rank = x->dims.nb_dims;
  if (rank < 1)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input is a scalar, expected rank >= 1");
  uint32_t mask = p->axes_mask;
  if (mask == 0 || (rank < 32 && (mask >> rank) != 0))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "axes mask 0x%x is %s for an input of rank %d",
                           (unsigned)mask, mask == 0 ? "empty" : "out of range", (int)rank);
  /* The normalized dims must be the trailing ones: the mask is a run of ones up to bit rank-1. */
  uint32_t full = rank >= 32 ? 0xFFFFFFFFu : ((1u << rank) - 1u);
  int32_t first = 0;
  while (!(mask & (1u << first))) first++;
  uint32_t trailing = full & ~((1u << first) - 1u);
  if (mask != trailing)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "axes mask 0x%x does not select trailing dims of the rank-%d input %s (expected 0x%x)",
                           (unsigned)mask, (int)rank, ingot_dims_format(&x->dims, buf, sizeof buf), (unsigned)trailing);
  if (!present(&inputs[1]))
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "the scale input (input 1) is missing");
  INGOT_TRY(check_affine(node, "scale", &inputs[1], &x->dims));
  if (node->nb_inputs == 3 && present(&inputs[2])) INGOT_TRY(check_affine(node, "bias", &inputs[2], &x->dims));
  INGOT_TRY(check_epsilon(node, p->epsilon));
  set_output(&outputs[0], x->dtype, &x->dims);
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_softmax(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  const ingot_softmax_params *p = &node->params.softmax;
  char buf[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(check_arity(node, 1, 1));
  const ingot_value_info *x = &inputs[0];
  if (!present(x)) return ingot_node_fail(node, INGOT_INVALID_GRAPH, "the data input (input 0) is missing");
  INGOT_TRY(check_float(node, "input", x->dtype));
  int32_t axis;
  if (!ingot_axis_normalize(p->axis, x->dims.nb_dims, &axis))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "axis %d is out of range for the input dims %s (rank %d)",
                           (int)p->axis, ingot_dims_format(&x->dims, buf, sizeof buf), (int)x->dims.nb_dims);
  set_output(&outputs[0], x->dtype, &x->dims);
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_reduce(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  const ingot_reduce_params *p = &node->params.reduce;
  char buf[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(check_arity(node, 1, 1));
  const ingot_value_info *x = &inputs[0];
  if (!present(x)) return ingot_node_fail(node, INGOT_INVALID_GRAPH, "the data input (input 0) is missing");
  if (x->dtype != INGOT_FLOAT32 && x->dtype != INGOT_FLOAT16 && x->dtype != INGOT_BFLOAT16 &&
      x->dtype != INGOT_INT32 && x->dtype != INGOT_INT64)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "input has dtype %s, expected float32, float16, bfloat16, int32 or int64",
                           ingot_dtype_name(x->dtype));
  if (p->op < 0 || p->op >= INGOT_REDUCE_OP_COUNT)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "reduce op is %d, expected 0 to %d", (int)p->op,
                           INGOT_REDUCE_OP_COUNT - 1);
  int32_t rank = x->dims.nb_dims;
  if (rank < 32 && (p->axes_mask >> rank) != 0)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "axes mask 0x%x names dims beyond the rank-%d input %s",
                           (unsigned)p->axes_mask, (int)rank, ingot_dims_format(&x->dims, buf, sizeof buf));
  ingot_dims out = {0};
  for (int32_t i = 0; i < rank; i++) {
    if (p->axes_mask & (1u << i)) {
      if (p->keep_dims) out.d[out.nb_dims++] = 1;
    } else {
      out.d[out.nb_dims++] = x->dims.d[i];
    }
  }
  set_output(&outputs[0], x->dtype, &out);
  return INGOT_SUCCESS;
}
