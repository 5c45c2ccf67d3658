/* A kernel's input views as ingot_value_info, the form the shared param resolvers of
 * ops/dims_inputs.h read (so a kernel resolves its params exactly as inference did). */
#ifndef INGOT_BACKEND_CPU_VALUE_VIEWS_H
#define INGOT_BACKEND_CPU_VALUE_VIEWS_H

#include <string.h>

#include "backend/backend.h"

/* Fills out[0..max) from the first inputs of args (the rest zeroed, absent rank -1). */
static inline void ingot_cpu_value_infos(const ingot_kernel_args *args, ingot_value_info *out, int32_t max) {
  memset(out, 0, sizeof *out * (size_t)max);
  for (int32_t k = 0; k < max; k++) {
    out[k].dims.nb_dims = -1;
    if (k >= args->nb_inputs) continue;
    out[k].dtype = args->inputs[k].dtype;
    out[k].dims = args->inputs[k].dims;
    out[k].data = args->inputs[k].data;
  }
}

#endif
