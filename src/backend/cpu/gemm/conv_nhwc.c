/* conv_f32_nhwc_gemm: 2-D convolution on channels-last tensors (the CPU layout pass's
 * NHWC regions) as an indirect GEMM, per group:
 *   Y[pixel, k] = sum over taps (r, s) and channels c of X[pixel under tap (r, s), c] * W[k, r, s, c]
 * The output pixels are the rows of A and of C; the weights, B (kdim = R*S*C/g by K/g), are
 * packed by prepare(); A is never formed: for each tile of mr output pixels the driver lists,
 * per tap, where each pixel's input row of C/g channels starts (or a row of zeros in the
 * padding), and the micro-kernel reads the input in place through those pointers
 * (gemm.h's ingot_gemm_indirect_fn). So a 1x1 convolution is a plain GEMM on the input,
 * and a 3x3 one needs no im2col: each input value is read from the cache where the
 * NCHW tactic copies it nine times. The output, [N, OH, OW, K], is C itself (ldc = K),
 * and bias (per column), residual and activation are applied to each tile in registers. */
#include "backend/cpu/gemm/conv2d.h"
#include "backend/cpu/gemm/gemm_tactic.h"
#include "backend/cpu/vmath.h"
#include "core/dims.h"

#define LANES 16 /* most threads that take tiles at once; each has its own pointer table */

static bool geometry_of(const ingot_node *node, const ingot_tensor_view *inputs, const ingot_tensor_view *outputs,
                        ingot_conv2d *c) {
  return ingot_conv2d_geometry_nhwc(&node->params.conv, &inputs[0].dims, &inputs[1].dims, &outputs[0].dims, c);
}

/* Input pixels that the taps of `mc` consecutive output pixels read (about: whole input
 * rows once the block spans output rows). In double: only an estimate for the blocking,
 * and a plan's strides or dilations may be huge (no int64 overflow on them). */
static double input_pixels(const ingot_conv2d *c, int64_t mc) {
  double span_h = (double)(c->kh - 1) * (double)c->dh + 1.0, span_w = (double)(c->kw - 1) * (double)c->dw + 1.0;
  if (mc < c->OW) return ((double)mc * (double)c->sw + span_w) * span_h;
  return ((double)((mc + c->OW - 1) / c->OW) * (double)c->sh + span_h) * (double)c->W;
}

/* Rows of an M block: the kernel's mc, fewer while the input they read (their A, read in
 * place: the taps' rows overlap, so this is far less than mc x kdim) would not stay in a
 * 256 KiB share of L2 across the block's B panels. */
static int64_t block_rows(const ingot_gemm_kernel *kr, const ingot_conv2d *c) {
  int64_t mc = kr->mc / kr->mr * kr->mr;
  while (mc > kr->mr && input_pixels(c, mc) * (double)c->cpg * (double)sizeof(float) > (double)(INT64_C(1) << 18))
    mc = (mc / 2 + kr->mr - 1) / kr->mr * kr->mr;
  return mc < kr->mr ? kr->mr : mc;
}

static int64_t taps_of(const ingot_conv2d *c) { return c->kh * c->kw; }

/* Workspace: a zero row (the padding's channels), then one pointer table per lane. */
static int64_t zero_floats(const ingot_conv2d *c) { return ingot_gemm_round_up(c->cpg > 0 ? c->cpg : 1, 16); }
static int64_t table_entries(const ingot_gemm_kernel *kr, const ingot_conv2d *c) {
  return block_rows(kr, c) * taps_of(c);
}
static uint64_t workspace_bytes(const ingot_gemm_kernel *kr, const ingot_conv2d *c) {
  return (uint64_t)zero_floats(c) * sizeof(float) + (uint64_t)LANES * (uint64_t)table_entries(kr, c) * sizeof(float *);
}

bool ingot_cpu_conv_nhwc_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                  const ingot_tensor_view *outputs) {
  ingot_conv2d c;
  return ingot_gemm_all_f32(node, inputs, outputs) && inputs[1].data != NULL && geometry_of(node, inputs, outputs, &c) &&
         taps_of(&c) <= 1024;
}

uint64_t ingot_cpu_conv_nhwc_workspace(const ingot_kernel_args *args) {
  ingot_conv2d c;
  if (!geometry_of(args->node, args->inputs, args->outputs, &c)) return 0;
  ingot_gemm_kernel storage;
  return workspace_bytes(ingot_gemm_kernel_of(args, &storage), &c);
}

/* B of group g: B(p, j) = W[g * kpg + j, p] with p = (r, s, c) in the kernel's own order. */
ingot_status ingot_cpu_conv_nhwc_prepare(const ingot_kernel_args *args, void **prepared_out, uint64_t *size_out) {
  const ingot_tensor_view *w = &args->inputs[1];
  ingot_conv2d c;
  if (!w->data || w->dtype != INGOT_FLOAT32 || !geometry_of(args->node, args->inputs, args->outputs, &c))
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT,
                           "conv_f32_nhwc_gemm packs constant float32 channels-last 2-D weights");
  const ingot_gemm_kernel *kr = ingot_gemm_default_kernel();
  void *block = ingot_gemm_pack_alloc(kr, 1, c.kdim, c.kpg, c.G, size_out);
  if (!block) return INGOT_OUT_OF_MEMORY;
  for (int64_t g = 0; g < c.G; g++)
    ingot_gemm_pack_b(NULL, kr, c.kdim, c.kpg, (const float *)w->data + g * c.kpg * c.kdim, 1, c.kdim,
                      (float *)ingot_gemm_pack_matrix(block, g));
  *prepared_out = block;
  return INGOT_SUCCESS;
}

typedef struct nhwc_run {
  ingot_conv2d c;
  const ingot_gemm_kernel *kr;
  const void *prepared;
  const float *x, *zero;
  float *y;
  const float **tables;          /* LANES tables of table_entries pointers */
  int64_t table_size;
  ingot_gemm_epilogue ep;        /* bias and residual at group 0, ldr = K */
  ingot_gemm_epilogue_plan plan;
  int64_t rows, mc, nc, blocks_m, blocks_n, items;
} nhwc_run;

/* Table for rows [i0, i0 + m) of group g: entry (q * taps + t) * mr + u is the input row
 * under tap t for row i0 + q * mr + u (the zero row in the padding and past the last row). */
static void fill_table(const nhwc_run *r, int64_t g, int64_t i0, int64_t m, const float **table) {
  const ingot_conv2d *c = &r->c;
  int64_t mr = r->kr->mr, taps = taps_of(c), groups = (m + mr - 1) / mr;
  /* the first row's position by division, the next ones by stepping (this runs for every
   * row of every block: divisions here cost as much as a small layer's multiply-adds) */
  int64_t n = i0 / c->ohw, rem = i0 % c->ohw, oh = rem / c->OW, ow = rem % c->OW;
  for (int64_t q = 0; q < groups; q++)
    for (int64_t u = 0; u < mr; u++) {
      const float **e = table + q * taps * mr + u;
      if (q * mr + u >= m) {
        for (int64_t t = 0; t < taps; t++) e[t * mr] = r->zero;
        continue;
      }
      const float *image = r->x + n * c->hw * c->C + g * c->cpg;
      int64_t ih0 = oh * c->sh - c->pt, iw0 = ow * c->sw - c->pl;
      if (ih0 >= 0 && iw0 >= 0 && ih0 + (c->kh - 1) * c->dh < c->H && iw0 + (c->kw - 1) * c->dw < c->W) {
        /* every tap inside the image */
        const float *base = image + (ih0 * c->W + iw0) * c->C;
        int64_t t = 0;
        for (int64_t ty = 0; ty < c->kh; ty++)
          for (int64_t tx = 0; tx < c->kw; tx++, t++) e[t * mr] = base + (ty * c->dh * c->W + tx * c->dw) * c->C;
      } else {
        int64_t t = 0;
        for (int64_t ty = 0; ty < c->kh; ty++) {
          int64_t ih = ih0 + ty * c->dh;
          for (int64_t tx = 0; tx < c->kw; tx++, t++) {
            int64_t iw = iw0 + tx * c->dw;
            e[t * mr] = ih >= 0 && ih < c->H && iw >= 0 && iw < c->W ? image + (ih * c->W + iw) * c->C : r->zero;
          }
        }
      }
      if (++ow == c->OW) {
        ow = 0;
        if (++oh == c->OH) oh = 0, n++;
      }
    }
}

/* One item: group g, M block bm, N block bn, with the lane's table. */
static void run_item(const nhwc_run *r, int64_t g, int64_t bm, int64_t bn, const float **table) {
  const ingot_conv2d *c = &r->c;
  const ingot_gemm_kernel *kr = r->kr;
  int64_t mr = kr->mr, nr = kr->nr, taps = taps_of(c);
  int64_t i0 = bm * r->mc, i1 = i0 + r->mc < r->rows ? i0 + r->mc : r->rows;
  int64_t j0 = bn * r->nc, j1 = j0 + r->nc < c->kpg ? j0 + r->nc : c->kpg;
  fill_table(r, g, i0, i1 - i0, table);
  const float *bg = ingot_gemm_pack_matrix(r->prepared, g);
  float *yg = r->y + g * c->kpg;
  ingot_gemm_epilogue ep = r->ep;
  if (ep.bias) ep.bias += g * c->kpg;
  if (ep.residual) ep.residual += g * c->kpg;
  float tile[INGOT_GEMM_MAX_MR * INGOT_GEMM_MAX_NR] __attribute__((aligned(64)));
  for (int64_t j = j0; j < j1; j += nr) {
    int64_t ncur = j1 - j < nr ? j1 - j : nr;
    const float *bp = bg + (j / nr) * nr * c->kdim;
    for (int64_t i = i0; i < i1; i += mr) {
      int32_t mcur = (int32_t)(i1 - i < mr ? i1 - i : mr);
      const float *const *rows = table + (i - i0) / mr * taps * mr;
      float *cp = yg + i * c->K + j;
      if (ncur == nr && r->plan.in_kernel) {
        ingot_gemm_fused f;
        ingot_gemm_fused_at(&r->plan, &ep, i, j, &f);
        kr->ukernel_indirect(kr, taps, c->cpg, rows, bp, cp, c->K, mcur, r->plan.any ? &f : NULL);
        continue; /* an activation the kernel does not take: over the whole block below */
      }
      /* the last columns of a group (or an epilogue the kernel does not take): through a
       * full-width tile on the stack, the epilogue after the copy */
      float *dst = ncur == nr ? cp : tile;
      int64_t ld = ncur == nr ? c->K : nr;
      kr->ukernel_indirect(kr, taps, c->cpg, rows, bp, dst, ld, mcur, NULL);
      if (dst == tile)
        for (int32_t u = 0; u < mcur; u++) memcpy(cp + u * c->K, tile + u * nr, sizeof(float) * (size_t)ncur);
      if (r->plan.any) {
        ingot_gemm_epilogue no_act = ep;
        no_act.activation = r->plan.activation_pass ? -1 : ep.activation;
        ingot_gemm_apply_epilogue(&no_act, cp, c->K, i, j, mcur, ncur);
      }
    }
  }
  /* The activation the kernels left (SiLU, sigmoid, GELU...) over the block at once, while
   * it is in L2: one call on contiguous rows when the block spans whole pixels. */
  if (r->plan.activation_pass) {
    const ingot_gemm_epilogue *a = &r->plan.activation_only;
    if (j0 == 0 && j1 == c->K)
      ingot_vmath_activation_rows(a->activation, a->alpha, a->beta, yg + i0 * c->K, 0, 1, (i1 - i0) * c->K);
    else
      ingot_vmath_activation_rows(a->activation, a->alpha, a->beta, yg + i0 * c->K + j0, c->K, i1 - i0, j1 - j0);
  }
}

/* One item (group, M block, N block) with the lane's own table. */
static void run_lane_item(void *ctx, int64_t lane, int64_t item) {
  const nhwc_run *r = ctx;
  int64_t bm = item % r->blocks_m, rest = item / r->blocks_m, bn = rest % r->blocks_n, g = rest / r->blocks_n;
  run_item(r, g, bm, bn, r->tables + lane * r->table_size);
}

ingot_status ingot_cpu_conv_nhwc(const ingot_kernel_args *args) {
  const ingot_conv_params *p = &args->params->conv;
  INGOT_TRY(ingot_gemm_check_f32(args));
  nhwc_run r;
  memset(&r, 0, sizeof r);
  if (!geometry_of(args->node, args->inputs, args->outputs, &r.c))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR,
                           "conv_f32_nhwc_gemm: input, weights and output dims do not agree (channels last)");
  const ingot_conv2d *c = &r.c;
  ingot_gemm_kernel storage;
  INGOT_TRY(ingot_gemm_use_pack(args, 1, c->kdim, c->kpg, c->G, &storage, &r.kr));
  if (!r.kr->ukernel_indirect)
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "kernel %s has no indirect form", r.kr->name);
  if (args->workspace_size < workspace_bytes(r.kr, c))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "workspace of %llu bytes is too small",
                           (unsigned long long)args->workspace_size);
  const float *bias = NULL, *res = NULL;
  INGOT_TRY(ingot_conv_epilogue_inputs(args, c->K, &bias, &res));
  r.rows = c->N * c->ohw;
  if (r.rows == 0 || c->K == 0) return INGOT_SUCCESS;
  r.prepared = args->prepared;
  r.x = args->inputs[0].data;
  r.y = args->outputs[0].data;
  float *zero = args->workspace;
  memset(zero, 0, sizeof(float) * (size_t)zero_floats(c));
  r.zero = zero;
  r.tables = (const float **)(zero + zero_floats(c));
  r.table_size = table_entries(r.kr, c);
  r.ep = ingot_gemm_no_epilogue();
  r.ep.bias = bias;
  r.ep.bias_rs = 0;
  r.ep.bias_cs = 1;
  r.ep.residual = res;
  r.ep.ldr = c->K;
  r.ep.activation = p->epilogue.activation;
  r.ep.alpha = p->epilogue.alpha;
  r.ep.beta = p->epilogue.beta;
  ingot_gemm_plan_epilogue(&r.ep, &r.plan);
  /* Blocks: M blocks of block_rows(); N blocks of the whole group unless that leaves too
   * few items for the threads (about 3 each), then narrower N blocks, then M ones. */
  int64_t threads = ingot_thread_pool_size(args->pool);
  double macs = (double)r.rows * (double)c->K * (double)c->kdim;
  if (macs < 1e5) threads = 1;
  int64_t want = threads > 1 ? 3 * threads : 1, mr = r.kr->mr, nr = r.kr->nr;
  r.mc = block_rows(r.kr, c);
  if (r.mc > ingot_gemm_round_up(r.rows, mr)) r.mc = ingot_gemm_round_up(r.rows, mr);
  r.nc = ingot_gemm_round_up(c->kpg, nr);
  while (c->G * ingot_ceil_div(r.rows, r.mc) * ingot_ceil_div(c->kpg, r.nc) < want && r.nc > nr)
    r.nc = ingot_gemm_round_up(r.nc / 2, nr);
  while (c->G * ingot_ceil_div(r.rows, r.mc) * ingot_ceil_div(c->kpg, r.nc) < want && r.mc > mr)
    r.mc = ingot_gemm_round_up(r.mc / 2, mr);
  /* Equal M blocks, as many as make the items a multiple of the threads (a short last
   * block, or one item too many, leaves a thread idle at the end). */
  int64_t bm = ingot_ceil_div(r.rows, r.mc), bn = ingot_ceil_div(c->kpg, r.nc);
  if (threads > 1 && (c->G * bm * bn) % threads != 0 && ingot_ceil_div(r.rows, mr) >= bm + threads)
    bm = (bm + threads - 1) / threads * threads;
  r.mc = ingot_gemm_round_up(ingot_ceil_div(r.rows, bm), mr);
  r.nc = ingot_gemm_round_up(ingot_ceil_div(c->kpg, bn), nr);
  r.blocks_m = ingot_ceil_div(r.rows, r.mc);
  r.blocks_n = ingot_ceil_div(c->kpg, r.nc);
  r.items = c->G * r.blocks_m * r.blocks_n;
  ingot_parallel_lanes(args->pool, threads < LANES ? threads : LANES, r.items, run_lane_item, &r);
  return INGOT_SUCCESS;
}
