/* conv_f32_depthwise_nhwc: depthwise 2-D convolution (groups == C == K) on channels-last
 * tensors, x [N, H, W, C], y [N, OH, OW, C], the layout the builder's layout pass gives
 * MobileNet- and EfficientNet-like nets. In NHWC the channels of a pixel are contiguous, so
 * the kernel vectorizes over them: a block of channels of one output pixel is accumulated
 * in registers over every kernel tap inside the input, then bias, residual and relu/clip
 * are applied in registers before one store; other activations are a vector pass over the
 * finished pixels (ingot_vmath_activation).
 *
 * prepare() repacks the weights [C, R, S, 1] taps-major, [R*S][Cp] with Cp = C rounded up
 * to 16 (zeros past C), so a tap's weights for a block of channels are one contiguous load
 * like the input's. Taps are summed in the reference kernel's order (row-major over the
 * window, padding skipped, from 0) with separate multiplies and adds (ISO C does not
 * contract them into FMAs), so before the activation the results are bitwise those of the
 * reference (conv.c).
 *
 * The row loop (conv_depthwise_nhwc_impl.inc) is compiled for AVX-512, AVX2+FMA and the
 * baseline ISA, each at its native vector width (blocks of 64, 32 and 16 channels), and
 * picked from cpuid. Parallel over (n, output row, channel chunk). */
#include <stdio.h>
#include <string.h>

#include "backend/cpu/cpu_isa.h"
#include "backend/cpu/gemm/conv2d.h"
#include "backend/cpu/gemm/gemm_tactic.h"
#include "backend/cpu/vmath.h"
#include "core/alloc.h"
#include "core/dims.h"

/* ---- packed weights --------------------------------------------------------------------- */

#define DWN_MAGIC 0x4e57444bu /* "KDWN" */
#define DWN_LANES 16          /* the packed rows' padding: a multiple of every ISA's vector */
#define DWN_OFFSET 64         /* bytes from the header to tap 0's row: keeps rows 64-byte aligned */

typedef struct dwn_pack_header {
  uint32_t magic;
  int32_t reserved;
  int64_t C;    /* channels (== output maps) */
  int64_t taps; /* kernel rows * columns */
  int64_t Cp;   /* floats per tap: C rounded up to DWN_LANES */
} dwn_pack_header;
_Static_assert(sizeof(dwn_pack_header) <= DWN_OFFSET, "the header must fit before the rows");

/* The packed rows of a node's plan data, or NULL with `why` filled when the data does not
 * fit this layer (a corrupted or foreign plan must fail with a message, not read wild). */
static const float *dwn_pack_check(const void *prepared, uint64_t size, const ingot_conv2d *c, char *why,
                                   size_t why_size) {
  const dwn_pack_header *h = prepared;
  if (!h || size < DWN_OFFSET || h->magic != DWN_MAGIC) {
    snprintf(why, why_size, "conv_f32_depthwise_nhwc: its packed weights are missing or not a depthwise pack (%llu bytes)",
             (unsigned long long)size);
    return NULL;
  }
  int64_t taps = c->kh * c->kw, Cp = ingot_gemm_round_up(c->C, DWN_LANES), floats;
  if (h->C != c->C || h->taps != taps || h->Cp != Cp) {
    snprintf(why, why_size,
             "conv_f32_depthwise_nhwc: packed weights hold %lld channels x %lld taps (rows of %lld), the layer needs "
             "%lld x %lld (rows of %lld)",
             (long long)h->C, (long long)h->taps, (long long)h->Cp, (long long)c->C, (long long)taps, (long long)Cp);
    return NULL;
  }
  if (__builtin_mul_overflow(taps, Cp, &floats) || (size - DWN_OFFSET) / sizeof(float) < (uint64_t)floats) {
    snprintf(why, why_size, "conv_f32_depthwise_nhwc: packed weights of %llu bytes are too small for %lld x %lld floats",
             (unsigned long long)size, (long long)taps, (long long)Cp);
    return NULL;
  }
  return (const float *)((const char *)prepared + DWN_OFFSET);
}

/* ---- the kernel ------------------------------------------------------------------------- */

typedef struct dwn_job {
  ingot_conv2d c;
  const float *x, *w, *bias, *res; /* w: packed rows */
  float *y;
  int64_t Cp;
  int64_t chunk, nchunks; /* channels per work item, items per output row */
  int32_t clamp;          /* relu / clip in registers */
  int32_t activation;     /* another activation: a vmath pass over the pixels (-1: none) */
  float alpha, beta;
} dwn_job;

/* Taps [lo, hi] of a window starting at `base` that land inside [0, in) (lo > hi: none),
 * as the reference computes them; no division for the usual dilation 1. */
static inline void dwn_taps(int64_t base, int64_t d, int64_t k, int64_t in, int64_t *lo, int64_t *hi) {
  int64_t l, h;
  if (d == 1) {
    l = -base;
    h = in - 1 - base;
  } else {
    l = ingot_ceil_div(-base, d);
    h = ingot_floor_div(in - 1 - base, d);
  }
  *lo = l < 0 ? 0 : l;
  *hi = h > k - 1 ? k - 1 : h;
}

/* Where one output pixel reads: its batch image, the window's origin and tap ranges. */
typedef struct dwn_pixel {
  const float *xn;
  int64_t bh, bw, rlo, rhi, slo, shi;
} dwn_pixel;

/* One channel past the last whole vector (odd C), the reference's scalar loop. */
static inline float dwn_one(const dwn_job *j, const dwn_pixel *px, int64_t ch, const float *rp) {
  const ingot_conv2d *c = &j->c;
  float acc = 0.0f;
  for (int64_t r = px->rlo; r <= px->rhi; r++)
    for (int64_t s = px->slo; s <= px->shi; s++)
      acc += px->xn[((px->bh + r * c->dh) * c->W + px->bw + s * c->dw) * c->C + ch] * j->w[(r * c->kw + s) * j->Cp + ch];
  if (j->bias) acc += j->bias[ch];
  if (rp) acc += rp[ch];
  if (j->clamp != INGOT_CONV_CLAMP_NONE)
    acc = ingot_cpu_activation(j->clamp == INGOT_CONV_CLAMP_RELU ? INGOT_ACTIVATION_RELU : INGOT_ACTIVATION_CLIP, j->alpha,
                               j->beta, acc);
  return acc;
}

/* The row loop, once per ISA at its native vector width (VW lanes): GCC lowers vectors
 * wider than the registers through the stack. */
#define INGOT_ISA_IMPL "backend/cpu/gemm/conv_depthwise_nhwc_impl.inc"
#include "backend/cpu/isa_instances.inc"

static ingot_parallel_fn dwn_variant(void) {
  switch (ingot_cpu_isa_level()) {
#if defined(__x86_64__) && defined(__GNUC__)
    case INGOT_CPU_ISA_AVX512: return dwn_rows_avx512;
    case INGOT_CPU_ISA_AVX2: return dwn_rows_avx2;
#endif
    default: return dwn_rows_base;
  }
}

/* ---- the tactic ------------------------------------------------------------------------- */

static bool dwn_geometry(const ingot_node *node, const ingot_tensor_view *inputs, const ingot_tensor_view *outputs,
                         ingot_conv2d *c) {
  return ingot_conv2d_geometry_nhwc(&node->params.conv, &inputs[0].dims, &inputs[1].dims, &outputs[0].dims, c) &&
         c->G == c->C && c->G == c->K && c->G > 1;
}

bool ingot_cpu_conv_depthwise_nhwc_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                            const ingot_tensor_view *outputs) {
  ingot_conv2d c;
  return ingot_gemm_all_f32(node, inputs, outputs) && inputs[1].data != NULL && dwn_geometry(node, inputs, outputs, &c);
}

ingot_status ingot_cpu_conv_depthwise_nhwc_prepare(const ingot_kernel_args *args, void **prepared_out,
                                                   uint64_t *size_out) {
  const ingot_tensor_view *w = &args->inputs[1];
  ingot_conv2d c;
  if (!w->data || w->dtype != INGOT_FLOAT32 || !dwn_geometry(args->node, args->inputs, args->outputs, &c))
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT,
                           "conv_f32_depthwise_nhwc packs constant float32 depthwise weights [C, R, S, 1]");
  int64_t taps = c.kh * c.kw, Cp = ingot_gemm_round_up(c.C, DWN_LANES);
  uint64_t size = DWN_OFFSET + (uint64_t)taps * (uint64_t)Cp * sizeof(float);
  dwn_pack_header *h = ingot_aligned_alloc((size_t)size);
  if (!h) return INGOT_OUT_OF_MEMORY; /* zeroed: the rows' padding past C stays 0 */
  h->magic = DWN_MAGIC;
  h->C = c.C;
  h->taps = taps;
  h->Cp = Cp;
  const float *src = w->data;
  float *rows = (float *)((char *)h + DWN_OFFSET);
  for (int64_t ch = 0; ch < c.C; ch++)
    for (int64_t t = 0; t < taps; t++) rows[t * Cp + ch] = src[ch * taps + t];
  *prepared_out = h;
  *size_out = size;
  return INGOT_SUCCESS;
}

ingot_status ingot_cpu_conv_depthwise_nhwc(const ingot_kernel_args *args) {
  const ingot_conv_params *p = &args->params->conv;
  INGOT_TRY(ingot_gemm_check_f32(args));
  dwn_job j;
  if (!dwn_geometry(args->node, args->inputs, args->outputs, &j.c))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR,
                           "conv_f32_depthwise_nhwc: not a channels-last depthwise convolution of these input, weight "
                           "and output dims");
  char why[256];
  j.w = dwn_pack_check(args->prepared, args->prepared_size, &j.c, why, sizeof why);
  if (!j.w) return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "%s", why);
  j.x = args->inputs[0].data;
  j.y = args->outputs[0].data;
  INGOT_TRY(ingot_conv_epilogue_inputs(args, j.c.K, &j.bias, &j.res));
  j.Cp = ingot_gemm_round_up(j.c.C, DWN_LANES);
  j.alpha = p->epilogue.alpha;
  j.beta = p->epilogue.beta;
  ingot_conv_epilogue_split(&p->epilogue, &j.clamp, &j.activation);
  if (j.c.N == 0 || j.c.OH == 0 || j.c.OW == 0) return INGOT_SUCCESS;
  /* Rows of a wide layer (EfficientNet's 1152 channels at 7x7) split into chunks of
   * channels, so that a few rows still feed every thread; a chunk is whole blocks. */
  int64_t rows = j.c.N * j.c.OH, threads = ingot_thread_pool_size(args->pool);
  j.chunk = j.c.C;
  if (rows < 4 * threads && j.c.C > 256) j.chunk = 128;
  j.nchunks = (j.c.C + j.chunk - 1) / j.chunk;
  /* Work items of at least ~64K multiply-adds together: waking a thread costs more than
   * that (a 7x7 pool or conv runs faster alone). In double: no overflow on odd plans. */
  double per_item = (double)j.c.OW * (double)j.chunk * (double)j.c.kh * (double)j.c.kw + 1.0;
  int64_t grain = (int64_t)(65536.0 / per_item) + 1;
  ingot_parallel_for(args->pool, rows * j.nchunks, grain, dwn_variant(), &j);
  return INGOT_SUCCESS;
}
