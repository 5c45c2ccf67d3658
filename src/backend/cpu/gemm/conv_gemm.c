/* conv_f32_gemm: 1-D/2-D convolution as packed GEMMs on NCHW, per image and group:
 * Y_g[kpg, OH*OW] = W_g[kpg, cpg*kh*kw] * X_col[cpg*kh*kw, OH*OW]. The weights are A,
 * packed by prepare(); the input is B, written straight into packed B panels by im2col (a
 * 1x1 stride-1 unpadded conv packs the input plane as it is), a tile of output columns
 * at a time into the workspace. Bias (per output map: per row of C), residual and
 * activation are applied on each C tile. The output stays NCHW. */
#include "backend/cpu/gemm/conv2d.h"
#include "backend/cpu/gemm/gemm_tactic.h"
#include "core/dims.h"

/* Two ways to run: (1) tiles of output columns whose B (kdim x nt) fits in L2, each tile
 * im2col'd and multiplied by one task in its own slice of the workspace (a lane), the
 * tasks taking tiles from a shared counter; (2) when there are too few such tiles to
 * keep the threads busy, one large tile at a time (B up to BIG_TILE_FLOATS, in the last
 * level cache), packed and multiplied each by all threads. */
#define L2_TILE_FLOATS (INT64_C(1) << 16)  /* 256 KiB */
#define BIG_TILE_FLOATS (INT64_C(1) << 20) /* 4 MiB */
#define LANES 16

static bool is_direct(const ingot_conv2d *c) {
  return c->kh == 1 && c->kw == 1 && c->sh == 1 && c->sw == 1 && c->pt == 0 && c->pl == 0 && c->OH == c->H &&
         c->OW == c->W;
}

/* Output columns per tile for a B of at most `floats`: a multiple of nr. */
static int64_t tile_cols(const ingot_conv2d *c, int64_t nr, int64_t floats) {
  int64_t full = ingot_gemm_round_up(c->ohw > 0 ? c->ohw : 1, nr);
  int64_t cap = floats / (c->kdim > 0 ? c->kdim : 1) / nr * nr;
  if (cap < nr) cap = nr;
  return full < cap ? full : cap;
}

static int64_t padded_floats(const ingot_conv2d *c);

/* B tiles (for either way to run), then the padded input. */
static int64_t tiles_floats(const ingot_conv2d *c, int64_t nr) {
  int64_t big = c->kdim * tile_cols(c, nr, BIG_TILE_FLOATS);
  int64_t lanes = LANES * ingot_gemm_round_up(c->kdim * tile_cols(c, nr, L2_TILE_FLOATS), 16);
  return ingot_gemm_round_up(big > lanes ? big : lanes, 16);
}

static int64_t workspace_floats(const ingot_conv2d *c, int64_t nr) { return tiles_floats(c, nr) + padded_floats(c); }

static bool geometry_of(const ingot_node *node, const ingot_tensor_view *inputs, const ingot_tensor_view *outputs,
                        ingot_conv2d *c) {
  return ingot_conv2d_geometry(&node->params.conv, &inputs[0].dims, &inputs[1].dims, &outputs[0].dims, c);
}

bool ingot_cpu_conv_gemm_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                  const ingot_tensor_view *outputs) {
  ingot_conv2d c;
  return ingot_gemm_all_f32(node, inputs, outputs) && inputs[1].data != NULL && geometry_of(node, inputs, outputs, &c);
}

uint64_t ingot_cpu_conv_gemm_workspace(const ingot_kernel_args *args) {
  ingot_conv2d c;
  if (!geometry_of(args->node, args->inputs, args->outputs, &c)) return 0;
  ingot_gemm_kernel storage;
  const ingot_gemm_kernel *kr = ingot_gemm_kernel_of(args, &storage);
  return (uint64_t)workspace_floats(&c, kr->nr) * sizeof(float);
}

ingot_status ingot_cpu_conv_gemm_prepare(const ingot_kernel_args *args, void **prepared_out, uint64_t *size_out) {
  const ingot_tensor_view *w = &args->inputs[1];
  ingot_conv2d c;
  if (!w->data || w->dtype != INGOT_FLOAT32 || !geometry_of(args->node, args->inputs, args->outputs, &c))
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "conv_f32_gemm packs constant float32 2-D weights");
  const ingot_gemm_kernel *kr = ingot_gemm_default_kernel();
  void *block = ingot_gemm_pack_alloc(kr, 0, c.kpg, c.kdim, c.G, size_out);
  if (!block) return INGOT_OUT_OF_MEMORY;
  for (int64_t g = 0; g < c.G; g++)
    ingot_gemm_pack_a(NULL, kr, c.kpg, c.kdim, (const float *)w->data + g * c.kpg * c.kdim, c.kdim, 1,
                      (float *)ingot_gemm_pack_matrix(block, g));
  *prepared_out = block;
  return INGOT_SUCCESS;
}

/* ---- im2col into packed B panels ---------------------------------------------------------- */

/* The input, zero-padded to Hp x Wp per channel (only when some tap reads padding), so
 * im2col copies without bounds checks. */
typedef struct pad_job {
  const ingot_conv2d *c;
  const float *x;
  float *out;
} pad_job;

static void pad_planes(void *ctx, int64_t begin, int64_t end) {
  const pad_job *j = ctx;
  const ingot_conv2d *c = j->c;
  for (int64_t plane = begin; plane < end; plane++) {
    const float *src = j->x + plane * c->hw;
    float *dst = j->out + plane * c->Hp * c->Wp;
    memset(dst, 0, sizeof(float) * (size_t)(c->pt * c->Wp));
    for (int64_t h = 0; h < c->H; h++) {
      float *row = dst + (c->pt + h) * c->Wp;
      memset(row, 0, sizeof(float) * (size_t)c->pl);
      memcpy(row + c->pl, src + h * c->W, sizeof(float) * (size_t)c->W);
      memset(row + c->pl + c->W, 0, sizeof(float) * (size_t)(c->Wp - c->pl - c->W));
    }
    int64_t below = c->Hp - c->pt - c->H;
    memset(dst + (c->pt + c->H) * c->Wp, 0, sizeof(float) * (size_t)((below > 0 ? below : 0) * c->Wp));
  }
}

static int64_t padded_floats(const ingot_conv2d *c) { return c->padded ? c->N * c->C * c->Hp * c->Wp : 0; }

/* A run of a panel's columns inside one output row. */
typedef struct segment {
  int64_t offset, len, at; /* the run's first tap-0 input offset in a padded plane, length, place in the panel */
} segment;

/* Panel q of the B tile of output columns [col0, col0 + cols): out[q][r][t] = the input
 * value under tap r = (channel, ty, tx) for column col0 + q * nr + t, zero past the last
 * column. x is channel 0 of the group in one image, in planes of Hp x Wp (padded). */
static void im2col_panel(const ingot_conv2d *c, const float *x, int64_t col0, int64_t cols, int64_t nr, float *out,
                         int64_t q) {
  segment seg[INGOT_GEMM_MAX_NR + 1];
  float *d = out + q * nr * c->kdim;
  int64_t first = q * nr, valid = cols - first < nr ? cols - first : nr, plane = c->Hp * c->Wp, sw = c->sw;
  int32_t nseg = 0;
  for (int64_t at = 0; at < valid;) {
    int64_t col = col0 + first + at, oh = col / c->OW, ow = col % c->OW;
    segment *s = &seg[nseg++];
    s->offset = oh * c->sh * c->Wp + ow * sw;
    s->at = at;
    s->len = c->OW - ow < valid - at ? c->OW - ow : valid - at;
    at += s->len;
  }
  bool whole = nseg == 1 && valid == nr && sw == 1; /* one contiguous run per tap */
  for (int64_t ch = 0; ch < c->cpg; ch++)
    for (int64_t ty = 0; ty < c->kh; ty++)
      for (int64_t tx = 0; tx < c->kw; tx++, d += nr) {
        const float *src = x + ch * plane + ty * c->dh * c->Wp + tx * c->dw;
        if (whole) {
          if (nr == 16)
            memcpy(d, src + seg[0].offset, 16 * sizeof(float));
          else if (nr == 32)
            memcpy(d, src + seg[0].offset, 32 * sizeof(float));
          else
            memcpy(d, src + seg[0].offset, sizeof(float) * (size_t)nr);
          continue;
        }
        for (int32_t si = 0; si < nseg; si++) {
          const float *sr = src + seg[si].offset;
          float *ds = d + seg[si].at;
          if (sw == 1)
            for (int64_t t = 0; t < seg[si].len; t++) ds[t] = sr[t];
          else
            for (int64_t t = 0; t < seg[si].len; t++) ds[t] = sr[t * sw];
        }
        for (int64_t t = valid; t < nr; t++) d[t] = 0.0f;
      }
}

typedef struct im2col_job {
  const ingot_conv2d *c;
  const float *x;
  int64_t col0, cols, nr;
  float *out;
} im2col_job;

static void im2col_panels(void *ctx, int64_t begin, int64_t end) {
  const im2col_job *j = ctx;
  for (int64_t q = begin; q < end; q++) im2col_panel(j->c, j->x, j->col0, j->cols, j->nr, j->out, q);
}

/* ---- run ---------------------------------------------------------------------------------- */

typedef struct conv_run {
  ingot_conv2d c;
  const ingot_gemm_kernel *kr;
  const void *prepared;
  const float *x, *bias, *res;
  const float *xp; /* the input im2col reads: x, or its padded copy */
  float *y, *ws;   /* ws: the B tiles (the padded copy follows them) */
  bool direct;
  ingot_gemm_epilogue ep; /* activation; bias / residual set per GEMM */
  int64_t nt, tiles, lane_floats; /* the lanes' tiles: width, count per (image, group), B floats */
} conv_run;

/* B for columns [t0, t0 + nt) of image n, group g, into b. */
static void pack_input(ingot_thread_pool *pool, const conv_run *r, int64_t n, int64_t g, int64_t t0, int64_t nt,
                       float *b) {
  const ingot_conv2d *c = &r->c;
  if (r->direct) {
    ingot_gemm_pack_b(pool, r->kr, c->cpg, nt, r->x + (n * c->C + g * c->cpg) * c->hw + t0, c->hw, 1, b);
    return;
  }
  im2col_job job = {c, r->xp + (n * c->C + g * c->cpg) * c->Hp * c->Wp, t0, nt, r->kr->nr, b};
  int64_t panels = (nt + r->kr->nr - 1) / r->kr->nr;
  ingot_parallel_for(pool, panels, 16384 / (r->kr->nr * (c->kdim > 0 ? c->kdim : 1)) + 1, im2col_panels, &job);
}

static void multiply(ingot_thread_pool *pool, const conv_run *r, int64_t n, int64_t g, int64_t t0, int64_t nt,
                     const float *b) {
  const ingot_conv2d *c = &r->c;
  int64_t y_off = (n * c->K + g * c->kpg) * c->ohw;
  ingot_gemm_problem prob = {.kernel = r->kr, .m = c->kpg, .n = nt, .k = c->kdim,
                             .a_packed = ingot_gemm_pack_matrix(r->prepared, g), .b_packed = b,
                             .c = r->y + y_off + t0, .ldc = c->ohw, .epilogue = r->ep};
  prob.epilogue.bias = r->bias ? r->bias + g * c->kpg : NULL;
  prob.epilogue.residual = r->res ? r->res + y_off + t0 : NULL;
  ingot_gemm_compute(pool, &prob);
}

/* One item (image, group, tile), packed into the lane's own slice of the workspace. */
static void run_item(void *ctx, int64_t lane, int64_t item) {
  const conv_run *r = ctx;
  float *b = r->ws + lane * r->lane_floats;
  int64_t tile = item % r->tiles, ng = item / r->tiles, g = ng % r->c.G, n = ng / r->c.G;
  int64_t t0 = tile * r->nt, nt = r->c.ohw - t0 < r->nt ? r->c.ohw - t0 : r->nt;
  pack_input(NULL, r, n, g, t0, nt, b);
  multiply(NULL, r, n, g, t0, nt, b);
}

ingot_status ingot_cpu_conv_gemm(const ingot_kernel_args *args) {
  const ingot_conv_params *p = &args->params->conv;
  INGOT_TRY(ingot_gemm_check_f32(args));
  conv_run r;
  memset(&r, 0, sizeof r);
  if (!geometry_of(args->node, args->inputs, args->outputs, &r.c))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "conv_f32_gemm: input, weights and output dims do not agree");
  const ingot_conv2d *c = &r.c;
  ingot_gemm_kernel storage;
  INGOT_TRY(ingot_gemm_use_pack(args, 0, c->kpg, c->kdim, c->G, &storage, &r.kr));
  if (args->workspace_size < (uint64_t)workspace_floats(c, r.kr->nr) * sizeof(float))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "workspace of %llu bytes is too small",
                           (unsigned long long)args->workspace_size);
  INGOT_TRY(ingot_conv_epilogue_inputs(args, c->K, &r.bias, &r.res));
  r.prepared = args->prepared;
  r.x = args->inputs[0].data;
  r.y = args->outputs[0].data;
  r.ws = args->workspace;
  r.direct = is_direct(c);
  r.ep = ingot_gemm_no_epilogue();
  r.ep.bias_rs = 1;
  r.ep.bias_cs = 0;
  r.ep.ldr = c->ohw;
  r.ep.activation = p->epilogue.activation;
  r.ep.alpha = p->epilogue.alpha;
  r.ep.beta = p->epilogue.beta;
  if (c->N == 0 || c->ohw == 0 || c->K == 0) return INGOT_SUCCESS;
  r.xp = r.x;
  if (c->padded && !r.direct) {
    float *xp = r.ws + tiles_floats(c, r.kr->nr);
    pad_job pj = {c, r.x, xp};
    ingot_parallel_for(args->pool, c->N * c->C, 8192 / (c->Hp * c->Wp + 1) + 1, pad_planes, &pj);
    r.xp = xp;
  }
  r.nt = tile_cols(c, r.kr->nr, L2_TILE_FLOATS);
  r.tiles = (c->ohw + r.nt - 1) / r.nt;
  r.lane_floats = ingot_gemm_round_up(c->kdim * r.nt, 16);
  int64_t threads = ingot_thread_pool_size(args->pool);
  if (c->N * c->G * r.tiles >= 3 * threads) {
    ingot_parallel_lanes(args->pool, LANES, c->N * c->G * r.tiles, run_item, &r);
    return INGOT_SUCCESS;
  }
  int64_t nt_max = tile_cols(c, r.kr->nr, BIG_TILE_FLOATS);
  for (int64_t n = 0; n < c->N; n++)
    for (int64_t g = 0; g < c->G; g++)
      for (int64_t t0 = 0; t0 < c->ohw; t0 += nt_max) {
        int64_t nt = c->ohw - t0 < nt_max ? c->ohw - t0 : nt_max;
        pack_input(args->pool, &r, n, g, t0, nt, r.ws);
        multiply(args->pool, &r, n, g, t0, nt, r.ws);
      }
  return INGOT_SUCCESS;
}
