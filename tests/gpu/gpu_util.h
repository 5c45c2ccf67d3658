/* Shared by the GPU tests: the skip rule (no usable CUDA device: print why and exit 77,
 * which ctest reports as skipped, so CI without a GPU stays green) and error norms. */
#ifndef INGOT_TEST_GPU_UTIL_H
#define INGOT_TEST_GPU_UTIL_H

#include "../unit/test_util.h"

#define GPU_SKIP 77

/* Exits 77 with a message when no CUDA device can be used. */
static inline void gpu_require_device(const char *test) {
  int32_t n = 0;
  ingot_status st = ingot_device_count(INGOT_TARGET_CUDA, &n);
  if (st != INGOT_SUCCESS || n < 1) {
    printf("%s: SKIPPED: no usable CUDA device (%s)\n", test, st != INGOT_SUCCESS ? ingot_last_error() : "0 devices");
    exit(GPU_SKIP);
  }
  char arch[32] = "";
  (void)ingot_device_arch(INGOT_TARGET_CUDA, 0, arch, sizeof arch);
  printf("%s: %d CUDA device(s), device 0 is %s\n", test, n, arch);
}

/* ||got - want|| / ||want|| (NaN or an unwritten output gives infinity). */
static inline double rel_error(const float *got, const float *want, int64_t n) {
  double num = 0.0, den = 0.0;
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(got[i])) return INFINITY;
    double d = (double)got[i] - (double)want[i];
    num += d * d;
    den += (double)want[i] * (double)want[i];
  }
  return den > 0.0 ? sqrt(num / den) : sqrt(num);
}

#endif
