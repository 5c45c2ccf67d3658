/* Float loads and stores for the reference elementwise-family kernels: float32 is read
 * directly; float16 and bfloat16 (when the builder left them uncast) through fp32. */
#ifndef INGOT_BACKEND_CPU_ELEMENTWISE_IO_H
#define INGOT_BACKEND_CPU_ELEMENTWISE_IO_H

#include <stdbool.h>
#include "core/dims.h"

static inline bool ingot_cpu_float_dtype(ingot_dtype dtype) {
  return dtype == INGOT_FLOAT32 || dtype == INGOT_FLOAT16 || dtype == INGOT_BFLOAT16;
}

static inline float ingot_cpu_load_float(const void *data, ingot_dtype dtype, int64_t i) {
  switch (dtype) {
    case INGOT_FLOAT16: return ingot_f16_to_f32(((const uint16_t *)data)[i]);
    case INGOT_BFLOAT16: return ingot_bf16_to_f32(((const uint16_t *)data)[i]);
    default: return ((const float *)data)[i];
  }
}

static inline void ingot_cpu_store_float(void *data, ingot_dtype dtype, int64_t i, float v) {
  switch (dtype) {
    case INGOT_FLOAT16: ((uint16_t *)data)[i] = ingot_f32_to_f16(v); break;
    case INGOT_BFLOAT16: ((uint16_t *)data)[i] = ingot_f32_to_bf16(v); break;
    default: ((float *)data)[i] = v; break;
  }
}

#endif
