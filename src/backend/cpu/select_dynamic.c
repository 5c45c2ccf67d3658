/* NonZero and Compress: kernels whose output extent is the count of true/non-zero values
 * (data-dependent shapes). The output views have the upper bound's dims; each kernel
 * packs its result at the real dims and reports them through args->output_dims. */
#include <string.h>

#include "backend/cpu/cpu_kernels.h"
#include "core/dims.h"
#include "core/error.h"

static void report_dims(const ingot_kernel_args *args, int32_t k, const ingot_dims *dims) {
  if (args->output_dims) args->output_dims[k] = *dims;
}

ingot_status ingot_cpu_non_zero(const ingot_kernel_args *args) {
  const ingot_tensor_view *x = &args->inputs[0];
  int64_t *out = args->outputs[0].data;
  int64_t volume = ingot_dims_volume(&x->dims), bound = args->outputs[0].dims.d[1];
  int32_t rank = x->dims.nb_dims;
  int64_t count = 0;
  for (int64_t i = 0; i < volume; i++) count += ingot_load_as_double(x->data, x->dtype, i) != 0.0;
  if (count > bound)
    return ingot_node_fail(args->node, INGOT_RUNTIME_ERROR, "%lld non-zero elements, more than the bound %lld",
                           (long long)count, (long long)bound);
  int64_t j = 0;
  for (int64_t i = 0; i < volume; i++) {
    if (ingot_load_as_double(x->data, x->dtype, i) == 0.0) continue;
    int64_t rest = i;
    for (int32_t k = rank - 1; k >= 0; k--) {
      out[k * count + j] = rest % x->dims.d[k];
      rest /= x->dims.d[k];
    }
    j++;
  }
  ingot_dims dims = args->outputs[0].dims;
  dims.d[1] = count;
  report_dims(args, 0, &dims);
  return INGOT_SUCCESS;
}

ingot_status ingot_cpu_compress(const ingot_kernel_args *args) {
  const ingot_tensor_view *x = &args->inputs[0], *cond = &args->inputs[1];
  const ingot_compress_params *p = &args->params->compress;
  int64_t outer = 1, extent = ingot_dims_volume(&x->dims), inner = 1;
  int32_t axis = 0;
  if (p->has_axis) {
    if (!ingot_axis_normalize(p->axis, x->dims.nb_dims, &axis))
      return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "axis %d out of range", p->axis);
    extent = x->dims.d[axis];
    for (int32_t k = 0; k < axis; k++) outer *= x->dims.d[k];
    for (int32_t k = axis + 1; k < x->dims.nb_dims; k++) inner *= x->dims.d[k];
  }
  int64_t n = cond->dims.d[0] < extent ? cond->dims.d[0] : extent;
  int64_t count = 0;
  for (int64_t i = 0; i < n; i++) count += ingot_load_as_double(cond->data, cond->dtype, i) != 0.0;
  int64_t bound_volume = ingot_dims_volume(&args->outputs[0].dims);
  if (outer * count * inner > bound_volume)
    return ingot_node_fail(args->node, INGOT_RUNTIME_ERROR, "%lld selected elements, more than the bound %lld",
                           (long long)(outer * count * inner), (long long)bound_volume);
  size_t es = ingot_dtype_size(x->dtype), row = (size_t)inner * es;
  const uint8_t *src = x->data;
  uint8_t *dst = args->outputs[0].data;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < n; i++) {
      if (ingot_load_as_double(cond->data, cond->dtype, i) == 0.0) continue;
      memcpy(dst, src + (size_t)(o * extent + i) * row, row);
      dst += row;
    }
  ingot_dims dims = args->outputs[0].dims;
  dims.d[p->has_axis ? axis : 0] = count;
  report_dims(args, 0, &dims);
  return INGOT_SUCCESS;
}
