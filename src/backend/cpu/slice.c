/* Slice on the CPU: output[i] = input[start + i * stride] per dim, strides of any sign.
 * A slice is one strided copy from the start element with the input strides multiplied
 * by the slice strides; infer has checked that every index read is inside the input.
 * start, size and stride may come from value inputs 1..3 (dims_inputs.h), resolved as
 * inference resolved them. */
#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/movement.h"
#include "backend/cpu/value_views.h"
#include "core/dims.h"
#include "core/error.h"
#include "ops/dims_inputs.h"

INGOT_CPU_KERNEL(ingot_cpu_slice) {
  ingot_value_info values[4];
  ingot_cpu_value_infos(args, values, 4);
  ingot_slice_params eff;
  INGOT_TRY(ingot_slice_effective(args->node, values, &eff));
  const ingot_slice_params *p = &eff;
  const ingot_tensor_view *in = &args->inputs[0], *out = &args->outputs[0];
  const size_t es = ingot_dtype_size(in->dtype);
  const int32_t rank = out->dims.nb_dims;
  if (ingot_dims_volume(&out->dims) == 0) return INGOT_SUCCESS;

  int64_t in_strides[INGOT_MAX_DIMS], out_strides[INGOT_MAX_DIMS], src_strides[INGOT_MAX_DIMS];
  ingot_dims_strides(&in->dims, in_strides);
  ingot_dims_strides(&out->dims, out_strides);
  int64_t first = 0;
  for (int32_t i = 0; i < rank; i++) {
    first += p->start.d[i] * in_strides[i];
    src_strides[i] = p->stride.d[i] * in_strides[i];
  }
  ingot_cpu_strided_copy(out->data, out_strides, (const char *)in->data + first * (int64_t)es, src_strides,
                         out->dims.d, rank, es, args->pool);
  return INGOT_SUCCESS;
}
