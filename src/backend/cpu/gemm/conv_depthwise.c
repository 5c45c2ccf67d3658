/* conv_f32_depthwise: depthwise 1-D/2-D convolution (groups == C == K), where a GEMM
 * would have one row per group. Each output plane is accumulated row by row: for every
 * kernel tap, a multiply-add of an input row segment into the output row, which the
 * compiler vectorizes (contiguous for stride 1). The same loop is compiled for AVX-512,
 * AVX2+FMA and the baseline ISA and picked from cpuid. Taps are summed in the reference
 * kernel's order, then bias, residual and activation on the finished row. Weights are
 * read as they are: no prepare, no workspace. */
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

static inline __attribute__((always_inline)) void dw_planes_body(const dw_job *j, int64_t begin, int64_t end) {
  const ingot_conv2d *c = &j->c;
  for (int64_t plane = begin; plane < end; plane++) {
    int64_t k = plane % c->K;
    const float *xp = j->x + plane * c->hw, *wk = j->w + k * c->kh * c->kw;
    float *yp = j->y + plane * c->ohw;
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
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    return dw_planes_avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return dw_planes_avx2;
#endif
  return dw_planes_c;
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
