/* The shape layer: writes its input's dims (known from the views) as int64. */
#include "backend/cpu/cpu_kernels.h"

ingot_status ingot_cpu_shape(const ingot_kernel_args *args) {
  const ingot_dims *d = &args->inputs[0].dims;
  int64_t *out = args->outputs[0].data;
  for (int32_t k = 0; k < d->nb_dims; k++) out[k] = d->d[k];
  return INGOT_SUCCESS;
}
