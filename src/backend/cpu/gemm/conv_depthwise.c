/* conv_f32_depthwise: depthwise 1-D/2-D convolution (groups == C == K), where a GEMM
 * would have one row per group. Each output plane is accumulated row by row: for every
 * kernel tap, a multiply-add of an input row segment into the output row, which the
 * compiler vectorizes (contiguous for stride 1). The same loop is compiled for AVX-512,
 * AVX2+FMA and the baseline ISA and picked from cpuid. Taps are summed in the reference
 * kernel's order, then bias, residual and activation on the finished row. Weights are
 * read as they are: no prepare, no workspace. */
#include <string.h>

#include "backend/cpu/cpu_isa.h"
#include "backend/cpu/gemm/conv2d.h"
#include "backend/cpu/gemm/gemm_tactic.h"
#include "core/dims.h"

typedef struct dw_job {
  ingot_conv2d c;
  const float *x, *w;
  float *y;
  ingot_gemm_epilogue ep; /* bias per plane's map: row i of the epilogue is map k */
  const float *res;
} dw_job;

/* Stride 1: blocks of output rows computed "wide", over the zero-padded input rows in a
 * band on the stack: out[q] = sum over taps t of w[t] * band[q + offset(t)] for q over the
 * whole block (rows of Wp cells, the cells past OW being discarded), one long vector loop
 * per tap whatever the plane's width. */
#define BAND_FLOATS 4096 /* 16 KiB: the band and the block stay in L1 */
#define WIDE_FLOATS 2048
#define MAX_TAPS 64

static inline bool dw_flat_fits(const ingot_conv2d *c) {
  return c->sh == 1 && c->sw == 1 && c->Wp <= WIDE_FLOATS && ((c->kh - 1) * c->dh + 1) * c->Wp <= BAND_FLOATS;
}

static inline __attribute__((always_inline)) void dw_plane_flat(const ingot_conv2d *c, const float *restrict xp,
                                                                const float *restrict wk, float *restrict yp) {
  float band[BAND_FLOATS], wide[WIDE_FLOATS];
  int64_t Wp = c->Wp, span = (c->kh - 1) * c->dh; /* extra band rows below a block */
  int64_t rows = BAND_FLOATS / Wp - span, wrows = WIDE_FLOATS / Wp;
  if (rows > wrows) rows = wrows;
  for (int64_t oh0 = 0; oh0 < c->OH; oh0 += rows) {
    /* the block's cells up to its last output: the taps of the last row's discarded
     * cells would read past the band */
    int64_t R = c->OH - oh0 < rows ? c->OH - oh0 : rows, n = (R - 1) * Wp + c->OW;
    /* band row b holds padded input row oh0 + b (input row oh0 + b - pt) */
    for (int64_t b = 0; b < R + span; b++) {
      float *br = band + b * Wp;
      int64_t ih = oh0 + b - c->pt;
      if (ih < 0 || ih >= c->H) {
        memset(br, 0, sizeof(float) * (size_t)Wp);
        continue;
      }
      memset(br, 0, sizeof(float) * (size_t)c->pl);
      memcpy(br + c->pl, xp + ih * c->W, sizeof(float) * (size_t)c->W);
      memset(br + c->pl + c->W, 0, sizeof(float) * (size_t)(Wp - c->pl - c->W));
    }
    int64_t taps = c->kh * c->kw, off[MAX_TAPS];
    if (taps <= MAX_TAPS) {
      /* 16 cells at a time, every tap summed in registers */
      for (int64_t ty = 0; ty < c->kh; ty++)
        for (int64_t tx = 0; tx < c->kw; tx++) off[ty * c->kw + tx] = ty * c->dh * Wp + tx * c->dw;
      int64_t q = 0;
      for (; q < n && n >= 16; q += 16) {
        if (q + 16 > n) q = n - 16; /* the last 16 cells, overlapping the ones before */
        float acc[16] = {0};
        for (int64_t t = 0; t < taps; t++) {
          const float *restrict src = band + q + off[t];
          float wv = wk[t];
          for (int j = 0; j < 16; j++) acc[j] += wv * src[j];
        }
        memcpy(wide + q, acc, sizeof acc);
      }
      for (; q < n; q++) {
        float acc = 0.0f;
        for (int64_t t = 0; t < taps; t++) acc += wk[t] * band[q + off[t]];
        wide[q] = acc;
      }
    } else {
      for (int64_t q = 0; q < n; q++) wide[q] = 0.0f;
      for (int64_t ty = 0; ty < c->kh; ty++)
        for (int64_t tx = 0; tx < c->kw; tx++) {
          float wv = wk[ty * c->kw + tx];
          const float *restrict src = band + ty * c->dh * Wp + tx * c->dw;
          for (int64_t q = 0; q < n; q++) wide[q] += wv * src[q];
        }
    }
    for (int64_t r = 0; r < R; r++) memcpy(yp + (oh0 + r) * c->OW, wide + r * Wp, sizeof(float) * (size_t)c->OW);
  }
}

static inline __attribute__((always_inline)) void dw_planes_body(const dw_job *j, int64_t begin, int64_t end) {
  const ingot_conv2d *c = &j->c;
  bool flat = dw_flat_fits(c);
  for (int64_t plane = begin; plane < end; plane++) {
    int64_t k = plane % c->K;
    const float *xp = j->x + plane * c->hw, *wk = j->w + k * c->kh * c->kw;
    float *yp = j->y + plane * c->ohw;
    if (flat) {
      dw_plane_flat(c, xp, wk, yp);
      goto epilogue;
    }
    for (int64_t oh = 0; oh < c->OH; oh++) {
      float *restrict yr = yp + oh * c->OW;
      for (int64_t ow = 0; ow < c->OW; ow++) yr[ow] = 0.0f;
      for (int64_t ty = 0; ty < c->kh; ty++) {
        int64_t ih = oh * c->sh - c->pt + ty * c->dh;
        if (ih < 0 || ih >= c->H) continue;
        const float *restrict xr = xp + ih * c->W;
        for (int64_t tx = 0; tx < c->kw; tx++) {
          float wv = wk[ty * c->kw + tx];
          int64_t iw0 = tx * c->dw - c->pl; /* ow reads iw0 + ow * sw */
          int64_t lo = iw0 >= 0 ? 0 : ingot_ceil_div(-iw0, c->sw);
          int64_t hi = iw0 > c->W - 1 ? 0 : ingot_floor_div(c->W - 1 - iw0, c->sw) + 1;
          if (hi > c->OW) hi = c->OW;
          if (c->sw == 1) {
            const float *restrict xs = xr + iw0;
            for (int64_t ow = lo; ow < hi; ow++) yr[ow] += wv * xs[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ow++) yr[ow] += wv * xr[iw0 + ow * c->sw];
          }
        }
      }
    }
  epilogue:;
    ingot_gemm_epilogue ep = j->ep;
    if (ep.bias) ep.bias += k;
    if (j->res) ep.residual = j->res + plane * c->ohw;
    ingot_gemm_apply_epilogue(&ep, yp, c->ohw, 0, 0, 1, c->ohw);
  }
}

static void dw_planes_c(void *ctx, int64_t begin, int64_t end) { dw_planes_body(ctx, begin, end); }
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma"))) static void dw_planes_avx2(void *ctx, int64_t begin, int64_t end) {
  dw_planes_body(ctx, begin, end);
}
__attribute__((target("avx512f,avx512vl,avx512dq"))) static void dw_planes_avx512(void *ctx, int64_t begin,
                                                                                   int64_t end) {
  dw_planes_body(ctx, begin, end);
}
#endif

static ingot_parallel_fn dw_variant(void) {
  switch (ingot_cpu_isa_level()) {
#if defined(__x86_64__) && defined(__GNUC__)
    case INGOT_CPU_ISA_AVX512: return dw_planes_avx512;
    case INGOT_CPU_ISA_AVX2: return dw_planes_avx2;
#endif
    default: return dw_planes_c;
  }
}

bool ingot_cpu_conv_depthwise_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                       const ingot_tensor_view *outputs) {
  ingot_conv2d c;
  return ingot_gemm_all_f32(node, inputs, outputs) &&
         ingot_conv2d_geometry(&node->params.conv, &inputs[0].dims, &inputs[1].dims, &outputs[0].dims, &c) &&
         c.G == c.C && c.G == c.K && c.G > 1;
}

ingot_status ingot_cpu_conv_depthwise(const ingot_kernel_args *args) {
  const ingot_conv_params *p = &args->params->conv;
  INGOT_TRY(ingot_gemm_check_f32(args));
  dw_job j;
  if (!ingot_conv2d_geometry(p, &args->inputs[0].dims, &args->inputs[1].dims, &args->outputs[0].dims, &j.c) ||
      j.c.G != j.c.C || j.c.G != j.c.K)
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR,
                           "conv_f32_depthwise: not a depthwise convolution of these input, weight and output dims");
  int32_t slot = ingot_conv_bias_slot(p, args->nb_inputs);
  j.x = args->inputs[0].data;
  j.w = args->inputs[1].data;
  j.y = args->outputs[0].data;
  j.ep = ingot_gemm_no_epilogue();
  j.ep.bias = slot >= 0 ? args->inputs[slot].data : NULL;
  j.ep.activation = p->epilogue.activation;
  j.ep.alpha = p->epilogue.alpha;
  j.ep.beta = p->epilogue.beta;
  j.res = p->epilogue.has_residual ? args->inputs[args->nb_inputs - 1].data : NULL;
  if (p->epilogue.has_residual &&
      (!j.res || ingot_dims_volume(&args->inputs[args->nb_inputs - 1].dims) != ingot_dims_volume(&args->outputs[0].dims)))
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "the residual input is absent or not of the output's size");
  if (j.ep.bias && ingot_dims_volume(&args->inputs[slot].dims) != j.c.K)
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "the bias has %lld values for %lld output maps",
                           (long long)ingot_dims_volume(&args->inputs[slot].dims), (long long)j.c.K);
  if (!j.w) return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "the weights (input 1) are absent");
  int64_t planes = j.c.N * j.c.K;
  int64_t grain = 16384 / (j.c.ohw * j.c.kh * j.c.kw + 1) + 1;
  ingot_parallel_for(args->pool, planes, grain, dw_variant(), &j);
  return INGOT_SUCCESS;
}
