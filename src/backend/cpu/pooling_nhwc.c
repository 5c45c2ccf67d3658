/* pool2d_f32_nhwc: 2-D max and average pooling (global ones included) on channels-last
 * float32 tensors, x [N, H, W, C], y [N, OH, OW, C], as the builder's layout pass makes
 * them. The channels of a pixel are contiguous, so a block of them is reduced in vector
 * registers over the window's taps inside the input, then stored once.
 *
 * Window arithmetic is the reference's (pooling.c, through ops/conv_geometry.h): the same
 * clipped tap ranges, taps visited in its order (row-major), its NaN-propagating max
 * comparison, its count (inside the input, or inside input + padding but never past the
 * post padding that ceil mode adds) and a division by it; so results are bitwise those of
 * the reference. The row loop (pooling_nhwc_impl.inc) is compiled for AVX-512, AVX2 and
 * the baseline ISA at their native vector widths, picked from cpuid. Parallel over
 * (n, output row, channel chunk); no workspace, no prepare. */
#include <math.h>
#include <string.h>

#include "backend/cpu/cpu_isa.h"
#include "backend/cpu/cpu_kernels.h"
#include "core/error.h"
#include "ops/conv_geometry.h"

typedef struct pn_job {
  const float *x;
  float *y;
  int64_t N, C, H, W, OH, OW;
  int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr; /* padding: top, left, bottom, right */
  int32_t is_max, exclude_padding;
  int64_t chunk, nchunks; /* channels per work item, items per output row */
} pn_job;

/* One axis of one output position: the window's origin, its taps inside the input [lo, hi]
 * and the taps count_include_pad averaging counts (the reference's arithmetic). */
typedef struct pn_axis {
  int64_t base, lo, hi, padded;
} pn_axis;

static inline pn_axis pn_axis_of(int64_t o, int64_t in, int64_t win, int64_t stride, int64_t dil, int64_t pre,
                                 int64_t post) {
  pn_axis a;
  a.base = o * stride - pre;
  int64_t lo = -a.base, hi = in - 1 - a.base, hi_pad = in + post - 1 - a.base; /* dilation 1: no division */
  if (dil != 1) {
    lo = ingot_ceil_div(lo, dil);
    hi = ingot_floor_div(hi, dil);
    hi_pad = ingot_floor_div(hi_pad, dil);
  }
  a.lo = lo < 0 ? 0 : lo;
  a.hi = hi > win - 1 ? win - 1 : hi;
  if (hi_pad > win - 1) hi_pad = win - 1;
  a.padded = hi_pad >= 0 ? hi_pad + 1 : 0;
  return a;
}

/* One channel past the last whole vector (odd C): the reference's scalar loop. */
static inline float pn_one(const pn_job *j, const float *xn, const pn_axis *r, const pn_axis *s, float divisor,
                           int64_t ch) {
  float acc = j->is_max ? -INFINITY : 0.0f;
  for (int64_t ky = r->lo; ky <= r->hi; ky++)
    for (int64_t kx = s->lo; kx <= s->hi; kx++) {
      float v = xn[((r->base + ky * j->dh) * j->W + s->base + kx * j->dw) * j->C + ch];
      if (!j->is_max)
        acc += v;
      else if (v > acc || isnan(v))
        acc = v;
    }
  return j->is_max ? acc : acc / divisor;
}

/* The row loop, once per ISA at its native vector width (VW lanes): GCC lowers vectors
 * wider than the registers through the stack. */
#define INGOT_ISA_IMPL "backend/cpu/pooling_nhwc_impl.inc"
#include "backend/cpu/isa_instances.inc"

static ingot_parallel_fn pn_variant(void) {
  switch (ingot_cpu_isa_level()) {
#if defined(__x86_64__) && defined(__GNUC__)
    case INGOT_CPU_ISA_AVX512: return pn_rows_avx512;
    case INGOT_CPU_ISA_AVX2: return pn_rows_avx2;
#endif
    default: return pn_rows_base;
  }
}

/* The window geometry of a supported node: 2-D channels-last max or average pooling whose
 * output dims are the ones its windows give; false otherwise (the reference runs it). */
static bool pn_geometry(const ingot_pooling_params *pp, const ingot_dims *xd, const ingot_dims *yd, pn_job *j) {
  memset(j, 0, sizeof *j);
  if (xd->nb_dims != 4 || yd->nb_dims != 4 || pp->channels_last != 1) return false;
  if (pp->type != INGOT_POOLING_MAX && pp->type != INGOT_POOLING_AVERAGE) return false;
  j->N = xd->d[0];
  j->H = xd->d[1];
  j->W = xd->d[2];
  j->C = xd->d[3];
  j->OH = yd->d[1];
  j->OW = yd->d[2];
  if (yd->d[0] != j->N || yd->d[3] != j->C || j->N < 0 || j->C < 0 || j->H < 0 || j->W < 0) return false;
  int64_t pre[2] = {0, 0}, post[2] = {0, 0}, out[2] = {1, 1};
  if (pp->global) {
    j->kh = j->H;
    j->kw = j->W;
    j->sh = j->sw = j->dh = j->dw = 1;
  } else {
    j->kh = pp->window_size[0];
    j->kw = pp->window_size[1];
    j->sh = ingot_or_one(pp->stride[0]);
    j->sw = ingot_or_one(pp->stride[1]);
    j->dh = ingot_or_one(pp->dilation[0]);
    j->dw = ingot_or_one(pp->dilation[1]);
    if (j->sh <= 0 || j->sw <= 0 || j->dh <= 0 || j->dw <= 0) return false;
    for (int32_t i = 0; i < 2; i++)
      out[i] = ingot_window_forward(xd->d[1 + i], pp->window_size[i], i ? j->sw : j->sh, i ? j->dw : j->dh,
                                    pp->padding_mode, pp->pre_padding[i], pp->post_padding[i], pp->ceil_mode, &pre[i],
                                    &post[i]);
  }
  j->pt = pre[0];
  j->pl = pre[1];
  j->pb = post[0];
  j->pr = post[1];
  j->is_max = pp->type == INGOT_POOLING_MAX;
  j->exclude_padding = pp->average_count_excludes_padding;
  return j->kh > 0 && j->kw > 0 && j->OH == out[0] && j->OW == out[1];
}

bool ingot_cpu_pool2d_nhwc_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                    const ingot_tensor_view *outputs) {
  pn_job j;
  /* one output: a second one (max indices) is the reference's */
  return node->nb_inputs >= 1 && node->nb_outputs == 1 && inputs[0].dtype == INGOT_FLOAT32 &&
         outputs[0].dtype == INGOT_FLOAT32 && pn_geometry(&node->params.pooling, &inputs[0].dims, &outputs[0].dims, &j);
}

ingot_status ingot_cpu_pool2d_nhwc(const ingot_kernel_args *args) {
  const ingot_tensor_view *xv = &args->inputs[0], *yv = &args->outputs[0];
  pn_job j;
  if (xv->dtype != INGOT_FLOAT32 || yv->dtype != INGOT_FLOAT32 ||
      !pn_geometry(&args->params->pooling, &xv->dims, &yv->dims, &j))
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED,
                           "pool2d_f32_nhwc takes float32 2-D channels-last max or average pooling whose output dims "
                           "match its windows");
  j.x = xv->data;
  j.y = yv->data;
  if (j.N == 0 || j.C == 0 || j.OH == 0 || j.OW == 0) return INGOT_SUCCESS;
  /* Few rows (a global pool has one per image): chunks of channels feed the threads. */
  int64_t rows = j.N * j.OH, threads = ingot_thread_pool_size(args->pool);
  j.chunk = j.C;
  if (rows < 4 * threads && j.C > 128) j.chunk = 64;
  j.nchunks = (j.C + j.chunk - 1) / j.chunk;
  /* Work items of at least ~64K taps x channels together: waking a thread costs more than
   * that (a 7x7 global pool runs faster alone). In double: no overflow on odd plans. */
  double taps = (double)(j.kh < j.H ? j.kh : j.H) * (double)(j.kw < j.W ? j.kw : j.W); /* at most, per output */
  double per_item = (double)j.OW * (double)j.chunk * (taps + 1.0) + 1.0;
  int64_t grain = (int64_t)(65536.0 / per_item) + 1;
  ingot_parallel_for(args->pool, rows * j.nchunks, grain, pn_variant(), &j);
  return INGOT_SUCCESS;
}
