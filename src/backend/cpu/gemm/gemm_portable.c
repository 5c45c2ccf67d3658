/* gemm_f32_4x16_c: the portable micro-kernel, 4 rows x 16 columns in plain C that the
 * compiler vectorizes for the baseline ISA (SSE2 on x86-64, NEON on aarch64). */
#include <string.h>

#include "backend/cpu/gemm/gemm_ukernels.h"

#define MR 4
#define NR 16

/* The tile's end: + C when accumulating, the fused epilogue, the store. */
static inline __attribute__((always_inline)) void finish(int M, float acc[MR][NR], float *restrict c, int64_t ldc,
                                                         int32_t accumulate, const ingot_gemm_fused *f) {
  for (int i = 0; i < M; i++) {
    float *ci = c + i * ldc;
    if (accumulate)
      for (int j = 0; j < NR; j++) acc[i][j] += ci[j];
    if (f) {
      if (f->bias_row)
        for (int j = 0; j < NR; j++) acc[i][j] += f->bias_row[i];
      if (f->bias_col)
        for (int j = 0; j < NR; j++) acc[i][j] += f->bias_col[j];
      for (int t = 0; t < 2; t++)
        if (f->add[t])
          for (int j = 0; j < NR; j++) acc[i][j] += f->add[t][i * f->ld_add[t] + j];
      if (f->clamp)
        for (int j = 0; j < NR; j++) {
          float v = acc[i][j] < f->lo ? f->lo : acc[i][j];
          acc[i][j] = v > f->hi ? f->hi : v;
        }
    }
    for (int j = 0; j < NR; j++) ci[j] = acc[i][j];
  }
}

static inline __attribute__((always_inline)) void tile(int M, int64_t kc, const float *restrict a,
                                                       const float *restrict b, float *restrict c, int64_t ldc,
                                                       int32_t accumulate, const ingot_gemm_fused *f) {
  float acc[MR][NR];
  memset(acc, 0, sizeof acc);
  for (int64_t p = 0; p < kc; p++) {
#pragma GCC unroll 4
    for (int i = 0; i < MR; i++)
      if (i < M) {
        float ai = a[i];
        for (int j = 0; j < NR; j++) acc[i][j] += ai * b[j];
      }
    a += MR;
    b += NR;
  }
  finish(M, acc, c, ldc, accumulate, f);
}

/* K as taps runs of kc values read through row pointers (gemm.h's ingot_gemm_indirect_fn). */
static inline __attribute__((always_inline)) void tile_indirect(int M, int64_t taps, int64_t kc,
                                                                const float *const *rows, const float *restrict b,
                                                                float *restrict c, int64_t ldc,
                                                                const ingot_gemm_fused *f) {
  float acc[MR][NR];
  memset(acc, 0, sizeof acc);
  for (int64_t t = 0; t < taps; t++, rows += MR)
    for (int64_t p = 0; p < kc; p++, b += NR) {
#pragma GCC unroll 4
      for (int i = 0; i < MR; i++)
        if (i < M) {
          float ai = rows[i][p];
          for (int j = 0; j < NR; j++) acc[i][j] += ai * b[j];
        }
    }
  finish(M, acc, c, ldc, 0, f);
}

static void ukernel_indirect(const ingot_gemm_kernel *self, int64_t taps, int64_t kc, const float *const *rows,
                             const float *b, float *c, int64_t ldc, int32_t m, const ingot_gemm_fused *f) {
  (void)self;
  switch (m) {
    case 1: tile_indirect(1, taps, kc, rows, b, c, ldc, f); break;
    case 2: tile_indirect(2, taps, kc, rows, b, c, ldc, f); break;
    case 3: tile_indirect(3, taps, kc, rows, b, c, ldc, f); break;
    default: tile_indirect(4, taps, kc, rows, b, c, ldc, f); break;
  }
}

#define ROWS(M)                                                                                                   \
  static void gemm_f32_##M##x16_c(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,              \
                                  int32_t accumulate, const ingot_gemm_fused *f) {                                \
    tile(M, kc, a, b, c, ldc, accumulate, f);                                                                     \
  }
ROWS(1)
ROWS(2)
ROWS(3)
ROWS(4)
#undef ROWS

static void ukernel(const ingot_gemm_kernel *self, int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                    int32_t m, int32_t accumulate, const ingot_gemm_fused *f) {
  (void)self;
  switch (m) {
    case 1: gemm_f32_1x16_c(kc, a, b, c, ldc, accumulate, f); break;
    case 2: gemm_f32_2x16_c(kc, a, b, c, ldc, accumulate, f); break;
    case 3: gemm_f32_3x16_c(kc, a, b, c, ldc, accumulate, f); break;
    default: gemm_f32_4x16_c(kc, a, b, c, ldc, accumulate, f); break;
  }
}

static bool available(void) { return true; }

const ingot_gemm_kernel ingot_gemm_f32_4x16_c = {"gemm_f32_4x16_c", MR, NR, 256, 96, available, ukernel,
                                              ukernel_indirect};
