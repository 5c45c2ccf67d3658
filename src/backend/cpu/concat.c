/* Concatenation on the CPU, any axis and dtype. Each input is a box of
 * [outer, its axis dim * inner] rows that lands in the output at a column offset, so an
 * input is one strided copy whose rows are contiguous memcpy runs. */
#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/movement.h"
#include "core/dims.h"

INGOT_CPU_KERNEL(ingot_cpu_concatenation) {
  const ingot_tensor_view *out = &args->outputs[0];
  const size_t es = ingot_dtype_size(out->dtype);
  int32_t axis;
  if (!ingot_axis_normalize(args->params->concat.axis, out->dims.nb_dims, &axis))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "axis %d out of range for rank %d at run time",
                           args->params->concat.axis, out->dims.nb_dims);
  int64_t outer = 1, inner = 1;
  for (int32_t i = 0; i < axis; i++) outer *= out->dims.d[i];
  for (int32_t i = axis + 1; i < out->dims.nb_dims; i++) inner *= out->dims.d[i];
  const int64_t out_row = out->dims.d[axis] * inner;

  int64_t column = 0;
  for (int32_t k = 0; k < args->nb_inputs; k++) {
    const ingot_tensor_view *in = &args->inputs[k];
    const int64_t in_row = in->dims.d[axis] * inner;
    const int64_t dims[2] = {outer, in_row};
    const int64_t dst_strides[2] = {out_row, 1}, src_strides[2] = {in_row, 1};
    if (in_row > 0 && outer > 0)
      ingot_cpu_strided_copy((char *)out->data + column * (int64_t)es, dst_strides, in->data, src_strides, dims, 2,
                             es, args->pool);
    column += in_row;
  }
  return INGOT_SUCCESS;
}
