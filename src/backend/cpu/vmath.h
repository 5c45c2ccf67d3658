/* Vectorized float32 math for the fast CPU tactics: activations over arrays (the
 * activation layer, GEMM and depthwise epilogues) and exp for softmax. On a CPU with
 * AVX-512 or AVX2+FMA these use polynomial approximations of exp and erf and rational
 * forms for sigmoid and tanh, within 4e-6 relative of the scalar reference (4e-7 absolute
 * for GELU; test_tactics_cpu.c sweeps 200k values per activation);
 * elsewhere they fall back to the scalar reference functions, value by value. NaN in gives
 * NaN out, infinities give the limits, as the reference does. */
#ifndef INGOT_BACKEND_CPU_VMATH_H
#define INGOT_BACKEND_CPU_VMATH_H

#include <stdbool.h>
#include <stdint.h>

/* y[i] = activation(x[i]) for i < n; y may equal x (in place). type -1 copies. */
void ingot_vmath_activation(int32_t type, float alpha, float beta, const float *x, float *y, int64_t n);

/* The same in place over `rows` rows of `cols` values, row r at y + r * ldy: one call (one
 * dispatch) for a GEMM tile, whose rows are too short to pay a call each. */
void ingot_vmath_activation_rows(int32_t type, float alpha, float beta, float *y, int64_t ldy, int64_t rows,
                                 int64_t cols);

/* Does ingot_vmath_activation vectorize this type on this CPU (else it is the scalar loop)? */
bool ingot_vmath_vectorizes(int32_t type);

/* y[i] = exp(x[i] - shift); returns the sum of the y[i] (for softmax). */
float ingot_vmath_exp_shift_sum(const float *x, float shift, float *y, int64_t n);

/* The largest x[i] (NaN if any is NaN; -inf for n == 0). */
float ingot_vmath_max(const float *x, int64_t n);

/* y[i] *= s for i < n. */
void ingot_vmath_scale(float *y, float s, int64_t n);

/* Mean and biased variance of x[0..n), n >= 1, in float (layer norm): the mean as a pair
 * of floats, mean_hi + mean_lo, to be subtracted one after the other, so that rows far
 * from zero keep their precision (see vmath_impl.inc). */
void ingot_vmath_mean_var(const float *x, int64_t n, float *mean_hi, float *mean_lo, float *var_out);

/* y[i] = ((x[i] - mean_hi) - mean_lo) * rstd * scale[i] + bias[i] (bias NULL: none); y may
 * equal x. */
void ingot_vmath_normalize(const float *x, float mean_hi, float mean_lo, float rstd, const float *scale,
                           const float *bias, float *y, int64_t n);

#endif
