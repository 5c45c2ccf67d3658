/* Value inputs that carry dims (see dims_inputs.h). */
#include "ops/dims_inputs.h"

#include <string.h>

#include "core/dims.h"
#include "core/error.h"

bool ingot_input_present(const ingot_node *node, const ingot_value_info *inputs, int32_t k) {
  return k < node->nb_inputs && node->inputs[k] >= 0 && inputs[k].dims.nb_dims >= 0;
}

ingot_status ingot_read_int_input(const ingot_node *node, const ingot_value_info *inputs, int32_t k, const char *what,
                                  bool allow_scalar, int64_t *values, int32_t max_count, int32_t *count_out) {
  char buf[INGOT_DIMS_STR_SIZE];
  const ingot_value_info *v = &inputs[k];
  *count_out = 0;
  if (v->dtype != INGOT_INT64 && v->dtype != INGOT_INT32)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s (input %d) is %s, expected int64 or int32", what, k,
                           ingot_dtype_name(v->dtype));
  if (v->dims.nb_dims != 1 && !(allow_scalar && v->dims.nb_dims == 0))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s (input %d) has dims %s, expected a 1-D tensor%s", what, k,
                           ingot_dims_format(&v->dims, buf, sizeof buf), allow_scalar ? " or a scalar" : "");
  int64_t n = ingot_dims_volume(&v->dims);
  if (n < 0 || n > max_count)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s (input %d) has %lld elements, expected at most %d", what,
                           k, (long long)n, max_count);
  if (n > 0 && v->data == NULL)
    return ingot_node_fail(node, INGOT_UNSUPPORTED,
                           "%s must be known when input shapes are set (a constant, or computed from input shapes), "
                           "but input %d depends on input data",
                           what, k);
  for (int64_t i = 0; i < n; i++)
    values[i] = v->dtype == INGOT_INT64 ? ((const int64_t *)v->data)[i] : ((const int32_t *)v->data)[i];
  *count_out = (int32_t)n;
  return INGOT_SUCCESS;
}

ingot_status ingot_shuffle_effective(const ingot_node *node, const ingot_value_info *inputs,
                                     ingot_shuffle_params *out) {
  *out = node->params.shuffle;
  if (!ingot_input_present(node, inputs, 1)) return INGOT_SUCCESS;
  int64_t v[INGOT_MAX_DIMS];
  int32_t n;
  INGOT_TRY(ingot_read_int_input(node, inputs, 1, "reshape dims", false, v, INGOT_MAX_DIMS, &n));
  out->has_reshape = 1;
  memset(&out->reshape_dims, 0, sizeof out->reshape_dims);
  out->reshape_dims.nb_dims = n;
  for (int32_t i = 0; i < n; i++) out->reshape_dims.d[i] = v[i];
  return INGOT_SUCCESS;
}

ingot_status ingot_slice_effective(const ingot_node *node, const ingot_value_info *inputs, ingot_slice_params *out) {
  static const char *const names[3] = {"slice start", "slice size", "slice stride"};
  *out = node->params.slice;
  ingot_dims *fields[3] = {&out->start, &out->size, &out->stride};
  for (int32_t k = 1; k <= 3; k++) {
    if (!ingot_input_present(node, inputs, k)) continue;
    int64_t v[INGOT_MAX_DIMS];
    int32_t n;
    INGOT_TRY(ingot_read_int_input(node, inputs, k, names[k - 1], false, v, INGOT_MAX_DIMS, &n));
    memset(fields[k - 1], 0, sizeof *fields[k - 1]);
    fields[k - 1]->nb_dims = n;
    for (int32_t i = 0; i < n; i++) fields[k - 1]->d[i] = v[i];
  }
  return INGOT_SUCCESS;
}

ingot_status ingot_padding_effective(const ingot_node *node, const ingot_value_info *inputs,
                                     ingot_padding_params *out) {
  *out = node->params.padding;
  if (!ingot_input_present(node, inputs, 1)) return INGOT_SUCCESS;
  int64_t v[2 * INGOT_MAX_DIMS];
  int32_t n;
  INGOT_TRY(ingot_read_int_input(node, inputs, 1, "pads", false, v, 2 * INGOT_MAX_DIMS, &n));
  if (n % 2 != 0)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "pads (input 1) has %d elements, expected an even count: [pre..., post...]", n);
  out->nb_dims = n / 2;
  memset(out->pre_padding, 0, sizeof out->pre_padding);
  memset(out->post_padding, 0, sizeof out->post_padding);
  for (int32_t i = 0; i < n / 2; i++) {
    out->pre_padding[i] = v[i];
    out->post_padding[i] = v[n / 2 + i];
  }
  return INGOT_SUCCESS;
}
