/* gemm_f32_6x16_avx2: the AVX2+FMA micro-kernel, 6 rows x 16 columns (12 ymm accumulators,
 * 2 for B, 1 broadcast). One function per row count 1..6, so the edge rows of M run at full
 * speed over the columns without a scratch tile. */
#include "backend/cpu/gemm/gemm_ukernels.h"

#if defined(INGOT_GEMM_HAVE_X86)
#include <immintrin.h>

#define MR 6
#define NR 16
#define TARGET __attribute__((target("avx2,fma")))

/* The tile's end: + C when accumulating, the fused epilogue, the store. */
static inline __attribute__((always_inline)) TARGET void finish(int M, __m256 *c0, __m256 *c1, float *restrict c,
                                                                int64_t ldc, int32_t accumulate,
                                                                const ingot_gemm_fused *f) {
  if (accumulate) {
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++)
      if (i < M) {
        c0[i] = _mm256_add_ps(c0[i], _mm256_loadu_ps(c + i * ldc));
        c1[i] = _mm256_add_ps(c1[i], _mm256_loadu_ps(c + i * ldc + 8));
      }
  }
  if (f) {
    if (f->bias_row) {
#pragma GCC unroll 6
      for (int i = 0; i < MR; i++)
        if (i < M) {
          __m256 v = _mm256_broadcast_ss(f->bias_row + i);
          c0[i] = _mm256_add_ps(c0[i], v);
          c1[i] = _mm256_add_ps(c1[i], v);
        }
    }
    if (f->bias_col) {
      __m256 v0 = _mm256_loadu_ps(f->bias_col), v1 = _mm256_loadu_ps(f->bias_col + 8);
#pragma GCC unroll 6
      for (int i = 0; i < MR; i++)
        if (i < M) {
          c0[i] = _mm256_add_ps(c0[i], v0);
          c1[i] = _mm256_add_ps(c1[i], v1);
        }
    }
    for (int t = 0; t < 2; t++)
      if (f->add[t]) {
        const float *r = f->add[t];
        int64_t ld = f->ld_add[t];
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++)
          if (i < M) {
            c0[i] = _mm256_add_ps(c0[i], _mm256_loadu_ps(r + i * ld));
            c1[i] = _mm256_add_ps(c1[i], _mm256_loadu_ps(r + i * ld + 8));
          }
      }
    if (f->clamp) {
      __m256 lo = _mm256_set1_ps(f->lo), hi = _mm256_set1_ps(f->hi);
#pragma GCC unroll 6
      for (int i = 0; i < MR; i++)
        if (i < M) { /* max(lo, v), min(hi, v): a NaN v comes through */
          c0[i] = _mm256_min_ps(hi, _mm256_max_ps(lo, c0[i]));
          c1[i] = _mm256_min_ps(hi, _mm256_max_ps(lo, c1[i]));
        }
    }
  }
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++)
    if (i < M) {
      _mm256_storeu_ps(c + i * ldc, c0[i]);
      _mm256_storeu_ps(c + i * ldc + 8, c1[i]);
    }
}


static inline __attribute__((always_inline)) TARGET void tile(int M, int64_t kc, const float *restrict a,
                                                              const float *restrict b, float *restrict c, int64_t ldc,
                                                              int32_t accumulate, const ingot_gemm_fused *f) {
  __m256 c0[MR], c1[MR];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) c0[i] = c1[i] = _mm256_setzero_ps();
#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; p++) {
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++)
      if (i < M) {
        __m256 ai = _mm256_broadcast_ss(a + i);
        c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
        c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
      }
    a += MR;
    b += NR;
  }
  finish(M, c0, c1, c, ldc, accumulate, f);
}

/* K as taps runs of kc values read through row pointers (gemm.h's ingot_gemm_indirect_fn). */
static inline __attribute__((always_inline)) TARGET void tile_indirect(int M, int64_t taps, int64_t kc,
                                                                       const float *const *rows,
                                                                       const float *restrict b, float *restrict c,
                                                                       int64_t ldc, const ingot_gemm_fused *f) {
  __m256 c0[MR], c1[MR];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) c0[i] = c1[i] = _mm256_setzero_ps();
  for (int64_t t = 0; t < taps; t++, rows += MR) {
    const float *a[MR];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) a[i] = i < M ? rows[i] : rows[0];
#pragma GCC unroll 2
    for (int64_t p = 0; p < kc; p++) {
      __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
      for (int i = 0; i < MR; i++)
        if (i < M) {
          __m256 ai = _mm256_broadcast_ss(a[i] + p);
          c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
          c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
        }
      b += NR;
    }
  }
  finish(M, c0, c1, c, ldc, 0, f);
}

#define ROWS(M)                                                                                                   \
  static TARGET void gemm_f32_##M##x16_avx2(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,    \
                                            int32_t accumulate, const ingot_gemm_fused *f) {                      \
    tile(M, kc, a, b, c, ldc, accumulate, f);                                                                     \
  }
#define ROWS_INDIRECT(M)                                                                                          \
  static TARGET void gemm_f32_##M##x16_avx2_indirect(int64_t taps, int64_t kc, const float *const *rows,            \
                                                     const float *b, float *c, int64_t ldc,                         \
                                                     const ingot_gemm_fused *f) {                                   \
    tile_indirect(M, taps, kc, rows, b, c, ldc, f);                                                               \
  }
ROWS_INDIRECT(1)
ROWS_INDIRECT(2)
ROWS_INDIRECT(3)
ROWS_INDIRECT(4)
ROWS_INDIRECT(5)
ROWS_INDIRECT(6)
#undef ROWS_INDIRECT
ROWS(1)
ROWS(2)
ROWS(3)
ROWS(4)
ROWS(5)
ROWS(6)
#undef ROWS

static void ukernel(const ingot_gemm_kernel *self, int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                    int32_t m, int32_t accumulate, const ingot_gemm_fused *f) {
  (void)self;
  switch (m) {
    case 1: gemm_f32_1x16_avx2(kc, a, b, c, ldc, accumulate, f); break;
    case 2: gemm_f32_2x16_avx2(kc, a, b, c, ldc, accumulate, f); break;
    case 3: gemm_f32_3x16_avx2(kc, a, b, c, ldc, accumulate, f); break;
    case 4: gemm_f32_4x16_avx2(kc, a, b, c, ldc, accumulate, f); break;
    case 5: gemm_f32_5x16_avx2(kc, a, b, c, ldc, accumulate, f); break;
    default: gemm_f32_6x16_avx2(kc, a, b, c, ldc, accumulate, f); break;
  }
}

static void ukernel_indirect(const ingot_gemm_kernel *self, int64_t taps, int64_t kc, const float *const *rows,
                             const float *b, float *c, int64_t ldc, int32_t m, const ingot_gemm_fused *f) {
  (void)self;
  switch (m) {
    case 1: gemm_f32_1x16_avx2_indirect(taps, kc, rows, b, c, ldc, f); break;
    case 2: gemm_f32_2x16_avx2_indirect(taps, kc, rows, b, c, ldc, f); break;
    case 3: gemm_f32_3x16_avx2_indirect(taps, kc, rows, b, c, ldc, f); break;
    case 4: gemm_f32_4x16_avx2_indirect(taps, kc, rows, b, c, ldc, f); break;
    case 5: gemm_f32_5x16_avx2_indirect(taps, kc, rows, b, c, ldc, f); break;
    default: gemm_f32_6x16_avx2_indirect(taps, kc, rows, b, c, ldc, f); break;
  }
}

static bool available(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

/* kc * nr * 4 = 16 KiB of B stays in L1 while mc / mr A panels stream from L2 (an A block
 * of mc x kc = 144 KiB). */
const ingot_gemm_kernel ingot_gemm_f32_6x16_avx2 = {"gemm_f32_6x16_avx2", MR, NR, 256, 144, available, ukernel,
                                                 ukernel_indirect};

#endif
