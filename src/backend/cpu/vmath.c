/* Vectorized float32 math (see vmath.h): the algorithms are in vmath_impl.inc, instanced
 * here for AVX-512 (16 lanes) and AVX2+FMA (8 lanes) and picked from cpuid at run time;
 * without either, the scalar reference functions run value by value. */
#include "backend/cpu/vmath.h"

#include <math.h>
#include <string.h>

#include "backend/cpu/cpu_kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define VMATH_X86 1

#define VW 16
#define TARGET __attribute__((target("avx512f,avx512dq,fma")))
#define SFX avx512
#include "backend/cpu/vmath_impl.inc"
#undef VW
#undef TARGET
#undef SFX

#define VW 8
#define TARGET __attribute__((target("avx2,fma")))
#define SFX avx2
#include "backend/cpu/vmath_impl.inc"
#undef VW
#undef TARGET
#undef SFX

/* The ISA of the vector path, chosen once from cpuid (0 none, 1 AVX2+FMA, 2 AVX-512). A
 * benign race: every thread computes the same value. */
static int vector_isa(void) {
  static int cached = -1;
  if (cached < 0) {
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) cached = 2;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) cached = 1;
    else cached = 0;
  }
  return cached;
}

static bool vector_type(int32_t type) {
  switch (type) {
    case INGOT_ACTIVATION_RELU:
    case INGOT_ACTIVATION_LEAKY_RELU:
    case INGOT_ACTIVATION_CLIP:
    case INGOT_ACTIVATION_SIGMOID:
    case INGOT_ACTIVATION_SILU:
    case INGOT_ACTIVATION_TANH:
    case INGOT_ACTIVATION_HARD_SIGMOID:
    case INGOT_ACTIVATION_HARD_SWISH:
    case INGOT_ACTIVATION_ELU:
    case INGOT_ACTIVATION_GELU_ERF:
    case INGOT_ACTIVATION_GELU_TANH: return true;
    default: return false;
  }
}
#endif

static int active_isa(void) {
#ifdef VMATH_X86
  return vector_isa();
#else
  return 0;
#endif
}

bool ingot_vmath_vectorizes(int32_t type) {
#ifdef VMATH_X86
  return active_isa() > 0 && vector_type(type);
#else
  (void)type;
  return false;
#endif
}

void ingot_vmath_activation(int32_t type, float alpha, float beta, const float *x, float *y, int64_t n) {
  if (n <= 0) return;
#ifdef VMATH_X86
  if (ingot_vmath_vectorizes(type)) {
    if (active_isa() == 2) activation_n_avx512(type, alpha, beta, x, y, n);
    else activation_n_avx2(type, alpha, beta, x, y, n);
    return;
  }
#endif
  for (int64_t i = 0; i < n; i++) y[i] = ingot_cpu_activation(type, alpha, beta, x[i]);
}

void ingot_vmath_activation_rows(int32_t type, float alpha, float beta, float *y, int64_t ldy, int64_t rows,
                                 int64_t cols) {
  if (rows <= 0 || cols <= 0) return;
#ifdef VMATH_X86
  if (ingot_vmath_vectorizes(type)) {
    if (active_isa() == 2) activation_rows_avx512(type, alpha, beta, y, ldy, rows, cols);
    else activation_rows_avx2(type, alpha, beta, y, ldy, rows, cols);
    return;
  }
#endif
  for (int64_t r = 0; r < rows; r++)
    for (int64_t i = 0; i < cols; i++) y[r * ldy + i] = ingot_cpu_activation(type, alpha, beta, y[r * ldy + i]);
}

float ingot_vmath_max(const float *x, int64_t n) {
#ifdef VMATH_X86
  if (active_isa() == 2) return max_avx512(x, n);
  if (active_isa() == 1) return max_avx2(x, n);
#endif
  float m = -INFINITY;
  bool nan = false;
  for (int64_t i = 0; i < n; i++) {
    nan |= x[i] != x[i];
    m = x[i] > m ? x[i] : m;
  }
  return nan ? NAN : m;
}

void ingot_vmath_scale(float *y, float s, int64_t n) {
#ifdef VMATH_X86
  if (active_isa() == 2) {
    scale_avx512(y, s, n);
    return;
  }
  if (active_isa() == 1) {
    scale_avx2(y, s, n);
    return;
  }
#endif
  for (int64_t i = 0; i < n; i++) y[i] *= s;
}

float ingot_vmath_exp_shift_sum(const float *x, float shift, float *y, int64_t n) {
#ifdef VMATH_X86
  if (active_isa() == 2) return exp_shift_sum_avx512(x, shift, y, n);
  if (active_isa() == 1) return exp_shift_sum_avx2(x, shift, y, n);
#endif
  double sum = 0.0;
  for (int64_t i = 0; i < n; i++) {
    y[i] = expf(x[i] - shift);
    sum += y[i];
  }
  return (float)sum;
}

void ingot_vmath_mean_var(const float *x, int64_t n, float *mean_hi, float *mean_lo, float *var_out) {
#ifdef VMATH_X86
  if (active_isa() == 2) {
    mean_var_avx512(x, n, mean_hi, mean_lo, var_out);
    return;
  }
  if (active_isa() == 1) {
    mean_var_avx2(x, n, mean_hi, mean_lo, var_out);
    return;
  }
#endif
  double sum = 0.0, ss = 0.0;
  for (int64_t i = 0; i < n; i++) sum += x[i];
  double mean = sum / (double)n;
  for (int64_t i = 0; i < n; i++) ss += ((double)x[i] - mean) * ((double)x[i] - mean);
  *mean_hi = (float)mean;
  *mean_lo = (float)(mean - (double)*mean_hi);
  *var_out = (float)(ss / (double)n);
}

void ingot_vmath_normalize(const float *x, float mean_hi, float mean_lo, float rstd, const float *scale,
                           const float *bias, float *y, int64_t n) {
#ifdef VMATH_X86
  if (active_isa() == 2) {
    normalize_avx512(x, mean_hi, mean_lo, rstd, scale, bias, y, n);
    return;
  }
  if (active_isa() == 1) {
    normalize_avx2(x, mean_hi, mean_lo, rstd, scale, bias, y, n);
    return;
  }
#endif
  for (int64_t i = 0; i < n; i++) y[i] = ((x[i] - mean_hi) - mean_lo) * rstd * scale[i] + (bias ? bias[i] : 0.0f);
}
