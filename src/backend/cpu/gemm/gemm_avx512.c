/* gemm_f32_14x32_avx512: the AVX-512 micro-kernel, 14 rows x 32 columns (28 zmm
 * accumulators, 2 for B, 1 broadcast: 31 of the 32 registers). One function per row count
 * 1..14, so the edge rows of M need no scratch tile. */
#include "backend/cpu/gemm/gemm_ukernels.h"

#if defined(INGOT_GEMM_HAVE_X86)
#include <immintrin.h>

#define MR 14
#define NR 32
#define TARGET __attribute__((target("avx512f,avx512vl,avx512dq")))

/* The tile's end: + C when accumulating, the fused epilogue, the store. */
static inline __attribute__((always_inline)) TARGET void finish(int M, __m512 *c0, __m512 *c1, float *restrict c,
                                                                int64_t ldc, int32_t accumulate,
                                                                const ingot_gemm_fused *f) {
  if (accumulate) {
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++)
      if (i < M) {
        c0[i] = _mm512_add_ps(c0[i], _mm512_loadu_ps(c + i * ldc));
        c1[i] = _mm512_add_ps(c1[i], _mm512_loadu_ps(c + i * ldc + 16));
      }
  }
  if (f) {
    if (f->bias_row) {
#pragma GCC unroll 14
      for (int i = 0; i < MR; i++)
        if (i < M) {
          __m512 v = _mm512_set1_ps(f->bias_row[i]);
          c0[i] = _mm512_add_ps(c0[i], v);
          c1[i] = _mm512_add_ps(c1[i], v);
        }
    }
    if (f->bias_col) {
      __m512 v0 = _mm512_loadu_ps(f->bias_col), v1 = _mm512_loadu_ps(f->bias_col + 16);
#pragma GCC unroll 14
      for (int i = 0; i < MR; i++)
        if (i < M) {
          c0[i] = _mm512_add_ps(c0[i], v0);
          c1[i] = _mm512_add_ps(c1[i], v1);
        }
    }
    for (int t = 0; t < 2; t++)
      if (f->add[t]) {
        const float *r = f->add[t];
        int64_t ld = f->ld_add[t];
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++)
          if (i < M) {
            c0[i] = _mm512_add_ps(c0[i], _mm512_loadu_ps(r + i * ld));
            c1[i] = _mm512_add_ps(c1[i], _mm512_loadu_ps(r + i * ld + 16));
          }
      }
    if (f->clamp) {
      __m512 lo = _mm512_set1_ps(f->lo), hi = _mm512_set1_ps(f->hi);
#pragma GCC unroll 14
      for (int i = 0; i < MR; i++)
        if (i < M) { /* max(lo, v), min(hi, v): a NaN v comes through */
          c0[i] = _mm512_min_ps(hi, _mm512_max_ps(lo, c0[i]));
          c1[i] = _mm512_min_ps(hi, _mm512_max_ps(lo, c1[i]));
        }
    }
  }
#pragma GCC unroll 14
  for (int i = 0; i < MR; i++)
    if (i < M) {
      _mm512_storeu_ps(c + i * ldc, c0[i]);
      _mm512_storeu_ps(c + i * ldc + 16, c1[i]);
    }
}


static inline __attribute__((always_inline)) TARGET void tile(int M, int64_t kc, const float *restrict a,
                                                              const float *restrict b, float *restrict c, int64_t ldc,
                                                              int32_t accumulate, const ingot_gemm_fused *f) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 14
  for (int i = 0; i < MR; i++) c0[i] = c1[i] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; p++) {
    __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++)
      if (i < M) {
        __m512 ai = _mm512_set1_ps(a[i]);
        c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
        c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
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
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 14
  for (int i = 0; i < MR; i++) c0[i] = c1[i] = _mm512_setzero_ps();
  for (int64_t t = 0; t < taps; t++, rows += MR) {
    const float *a[MR];
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) a[i] = i < M ? rows[i] : rows[0];
    for (int64_t p = 0; p < kc; p++) {
      __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 14
      for (int i = 0; i < MR; i++)
        if (i < M) {
          __m512 ai = _mm512_set1_ps(a[i][p]);
          c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
          c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
        }
      b += NR;
    }
  }
  finish(M, c0, c1, c, ldc, 0, f);
}

#define ROWS(M)                                                                                                   \
  static TARGET void gemm_f32_##M##x32_avx512(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,  \
                                              int32_t accumulate, const ingot_gemm_fused *f) {                    \
    tile(M, kc, a, b, c, ldc, accumulate, f);                                                                     \
  }
ROWS(1)
ROWS(2)
ROWS(3)
ROWS(4)
ROWS(5)
ROWS(6)
ROWS(7)
ROWS(8)
ROWS(9)
ROWS(10)
ROWS(11)
ROWS(12)
ROWS(13)
ROWS(14)
#undef ROWS

#define ROWS_INDIRECT(M)                                                                                          \
  static TARGET void gemm_f32_##M##x32_avx512_indirect(int64_t taps, int64_t kc, const float *const *rows,          \
                                                       const float *b, float *c, int64_t ldc,                       \
                                                       const ingot_gemm_fused *f) {                                 \
    tile_indirect(M, taps, kc, rows, b, c, ldc, f);                                                               \
  }
ROWS_INDIRECT(1)
ROWS_INDIRECT(2)
ROWS_INDIRECT(3)
ROWS_INDIRECT(4)
ROWS_INDIRECT(5)
ROWS_INDIRECT(6)
ROWS_INDIRECT(7)
ROWS_INDIRECT(8)
ROWS_INDIRECT(9)
ROWS_INDIRECT(10)
ROWS_INDIRECT(11)
ROWS_INDIRECT(12)
ROWS_INDIRECT(13)
ROWS_INDIRECT(14)
#undef ROWS_INDIRECT

typedef void (*indirect_rows_fn)(int64_t, int64_t, const float *const *, const float *, float *, int64_t,
                                 const ingot_gemm_fused *);
static const indirect_rows_fn indirect_by_rows[MR] = {
    gemm_f32_1x32_avx512_indirect,  gemm_f32_2x32_avx512_indirect,  gemm_f32_3x32_avx512_indirect,
    gemm_f32_4x32_avx512_indirect,  gemm_f32_5x32_avx512_indirect,  gemm_f32_6x32_avx512_indirect,
    gemm_f32_7x32_avx512_indirect,  gemm_f32_8x32_avx512_indirect,  gemm_f32_9x32_avx512_indirect,
    gemm_f32_10x32_avx512_indirect, gemm_f32_11x32_avx512_indirect, gemm_f32_12x32_avx512_indirect,
    gemm_f32_13x32_avx512_indirect, gemm_f32_14x32_avx512_indirect,
};

static void ukernel_indirect(const ingot_gemm_kernel *self, int64_t taps, int64_t kc, const float *const *rows,
                             const float *b, float *c, int64_t ldc, int32_t m, const ingot_gemm_fused *f) {
  (void)self;
  indirect_rows_fn fn = indirect_by_rows[(m < 1 ? 1 : (m > MR ? MR : m)) - 1];
  fn(taps, kc, rows, b, c, ldc, f);
}

typedef void (*rows_fn)(int64_t, const float *, const float *, float *, int64_t, int32_t, const ingot_gemm_fused *);
static const rows_fn by_rows[MR] = {
    gemm_f32_1x32_avx512,  gemm_f32_2x32_avx512,  gemm_f32_3x32_avx512,  gemm_f32_4x32_avx512,  gemm_f32_5x32_avx512,
    gemm_f32_6x32_avx512,  gemm_f32_7x32_avx512,  gemm_f32_8x32_avx512,  gemm_f32_9x32_avx512,  gemm_f32_10x32_avx512,
    gemm_f32_11x32_avx512, gemm_f32_12x32_avx512, gemm_f32_13x32_avx512, gemm_f32_14x32_avx512,
};

static void ukernel(const ingot_gemm_kernel *self, int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                    int32_t m, int32_t accumulate, const ingot_gemm_fused *f) {
  (void)self;
  by_rows[(m < 1 ? 1 : (m > MR ? MR : m)) - 1](kc, a, b, c, ldc, accumulate, f);
}

static bool available(void) {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512dq");
}

/* kc * nr * 4 = 24 KiB of B stays in L1 (32 KiB on Zen 4) while the A block of
 * mc x kc = 126 KiB streams from L2 (1 MiB). */
const ingot_gemm_kernel ingot_gemm_f32_14x32_avx512 = {"gemm_f32_14x32_avx512", MR, NR, 192, 168, available, ukernel,
                                                       ukernel_indirect};

#endif
