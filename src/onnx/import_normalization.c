/* ONNX importers of the normalization variants ingot composes from reductions and
 * elementwise layers: RMSNormalization, LpNormalization, MeanVarianceNormalization. Half
 * precision inputs are normalized in float32 (RMSNormalization's stash_type=1, and what
 * onnxruntime does for the others) and cast back. */
#include <stdbool.h>

#include "core/dims.h"
#include "onnx/import_helpers.h"

#define TRY INGOT_ONNX_TRY

/* Input 0, cast to float32 when it is float16/bfloat16; *dt_out its own dtype. */
static ingot_status float_input(ingot_onnx_node *n, ingot_tensor **x, ingot_dtype *dt_out) {
  const ingot_onnx_value *v = ingot_onnx_input(n, 0);
  if (!v) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 is absent");
  if (!ingot_dtype_is_float(v->dtype))
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 is %s, expected a float type", ingot_dtype_name(v->dtype));
  *dt_out = v->dtype;
  TRY(ingot_onnx_input_tensor(n, 0, x));
  if (v->dtype != INGOT_FLOAT32) TRY(ingot_onnx_add_cast(n, *x, INGOT_FLOAT32, x));
  return INGOT_SUCCESS;
}

static ingot_status output_as(ingot_onnx_node *n, ingot_tensor *y, ingot_dtype dt) {
  if (dt != INGOT_FLOAT32) TRY(ingot_onnx_add_cast(n, y, dt, &y));
  return ingot_onnx_set_output(n, 0, y);
}

/* RMSNormalization (opset 23): x / sqrt(mean(x^2 over dims axis..rank-1) + epsilon) * scale. */
static ingot_status import_rms_normalization(ingot_onnx_node *n) {
  int64_t stash = ingot_onnx_attr_int(n, "stash_type", 1);
  if (stash != 1)
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "attribute stash_type is %lld, only 1 (float32) is supported",
                           (long long)stash);
  int32_t rank, axis;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  TRY(ingot_onnx_normalize_axis(n, ingot_onnx_attr_int(n, "axis", -1), rank, "attribute axis", &axis));
  uint32_t mask = 0;
  for (int32_t d = axis; d < rank; d++) mask |= 1u << d;
  ingot_dtype dt;
  ingot_tensor *x, *sq, *ms, *eps, *rms, *y, *scale;
  TRY(float_input(n, &x, &dt));
  TRY(ingot_onnx_add_elementwise(n, x, x, INGOT_ELEMENTWISE_PROD, &sq));
  TRY(ingot_onnx_add_reduce(n, sq, INGOT_REDUCE_MEAN, mask, true, &ms));
  TRY(ingot_onnx_add_scalar(n, INGOT_FLOAT32, ingot_onnx_attr_float(n, "epsilon", 1e-5f), 0, &eps));
  TRY(ingot_onnx_add_elementwise(n, ms, eps, INGOT_ELEMENTWISE_SUM, &ms));
  TRY(ingot_onnx_add_unary(n, ms, INGOT_UNARY_SQRT, &rms));
  TRY(ingot_onnx_add_elementwise(n, x, rms, INGOT_ELEMENTWISE_DIV, &y));
  TRY(ingot_onnx_input_tensor(n, 1, &scale));
  if (ingot_onnx_input(n, 1)->dtype != INGOT_FLOAT32) TRY(ingot_onnx_add_cast(n, scale, INGOT_FLOAT32, &scale));
  TRY(ingot_onnx_add_elementwise(n, y, scale, INGOT_ELEMENTWISE_PROD, &y));
  return output_as(n, y, dt);
}

/* LpNormalization: x / ||x||_p along one axis (p 1 or 2), 0 where the norm is 0. */
static ingot_status import_lp_normalization(ingot_onnx_node *n) {
  int64_t p = ingot_onnx_attr_int(n, "p", 2);
  if (p != 1 && p != 2)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute p is %lld, expected 1 or 2", (long long)p);
  int32_t rank, axis;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  TRY(ingot_onnx_normalize_axis(n, ingot_onnx_attr_int(n, "axis", -1), rank, "attribute axis", &axis));
  ingot_dtype dt;
  ingot_tensor *x, *t, *norm, *y, *zero, *is_zero;
  TRY(float_input(n, &x, &dt));
  if (p == 1) TRY(ingot_onnx_add_unary(n, x, INGOT_UNARY_ABS, &t));
  else TRY(ingot_onnx_add_elementwise(n, x, x, INGOT_ELEMENTWISE_PROD, &t));
  TRY(ingot_onnx_add_reduce(n, t, INGOT_REDUCE_SUM, 1u << axis, true, &norm));
  if (p == 2) TRY(ingot_onnx_add_unary(n, norm, INGOT_UNARY_SQRT, &norm));
  TRY(ingot_onnx_add_elementwise(n, x, norm, INGOT_ELEMENTWISE_DIV, &y));
  TRY(ingot_onnx_add_scalar(n, INGOT_FLOAT32, 0.0, 0, &zero));
  TRY(ingot_onnx_add_elementwise(n, norm, zero, INGOT_ELEMENTWISE_EQUAL, &is_zero));
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_select(ingot_onnx_node_network(n), is_zero, zero, y, &layer),
                       "adding a select"));
  ingot_onnx_name_layer(n, layer);
  return output_as(n, ingot_layer_get_output(layer, 0), dt);
}

/* MeanVarianceNormalization: (x - mean) / (sqrt(mean(x^2) - mean^2) + 1e-9) over `axes`
 * (default 0, 2, 3), as the ONNX function body computes it. */
static ingot_status import_mean_variance_normalization(ingot_onnx_node *n) {
  int32_t rank, count = -1;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  int64_t axes[INGOT_MAX_DIMS] = {0, 2, 3};
  ingot_onnx_attr_ints(n, "axes", axes, INGOT_MAX_DIMS, &count);
  if (count < 0) count = 3;
  if (count > INGOT_MAX_DIMS)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute axes has %d values, more than the rank %d",
                           (int)count, (int)rank);
  uint32_t mask;
  TRY(ingot_onnx_axes_mask(n, axes, count, rank, "attribute axes", &mask));
  ingot_dtype dt;
  ingot_tensor *x, *mean, *sq, *mean_sq, *sq_mean, *var, *std, *eps, *centered, *y;
  TRY(float_input(n, &x, &dt));
  TRY(ingot_onnx_add_reduce(n, x, INGOT_REDUCE_MEAN, mask, true, &mean));
  TRY(ingot_onnx_add_elementwise(n, x, x, INGOT_ELEMENTWISE_PROD, &sq));
  TRY(ingot_onnx_add_reduce(n, sq, INGOT_REDUCE_MEAN, mask, true, &sq_mean));
  TRY(ingot_onnx_add_elementwise(n, mean, mean, INGOT_ELEMENTWISE_PROD, &mean_sq));
  TRY(ingot_onnx_add_elementwise(n, sq_mean, mean_sq, INGOT_ELEMENTWISE_SUB, &var));
  TRY(ingot_onnx_add_unary(n, var, INGOT_UNARY_SQRT, &std));
  TRY(ingot_onnx_add_scalar(n, INGOT_FLOAT32, 1e-9, 0, &eps));
  TRY(ingot_onnx_add_elementwise(n, std, eps, INGOT_ELEMENTWISE_SUM, &std));
  TRY(ingot_onnx_add_elementwise(n, x, mean, INGOT_ELEMENTWISE_SUB, &centered));
  TRY(ingot_onnx_add_elementwise(n, centered, std, INGOT_ELEMENTWISE_DIV, &y));
  return output_as(n, y, dt);
}

const ingot_onnx_importer ingot_onnx_normalization_importers[] = {
    {"RMSNormalization", 23, import_rms_normalization},
    {"LpNormalization", 1, import_lp_normalization},
    {"MeanVarianceNormalization", 9, import_mean_variance_normalization},
};
const int32_t ingot_onnx_normalization_importer_count =
    (int32_t)(sizeof ingot_onnx_normalization_importers / sizeof ingot_onnx_normalization_importers[0]);
