/* conv_f32_winograd_nhwc: 3x3 stride-1 convolution on channels-last tensors by Winograd's
 * F(2x2, 3x3) (Lavin and Gray, 2015): each 2x2 block of output pixels (a tile) comes from
 * the 4x4 input patch under it as
 *   Y = A^T [ sum over c of (G g_kc G^T) .* (B^T d_c B) ] A
 * so the 36 multiplies per tile, channel and map of the direct convolution become 16: one
 * GEMM per position xi of the 4x4 transformed patch,
 *   M_xi [tiles x K] = V_xi [tiles x C] * U_xi [C x K],
 * with V = B^T d B the transformed input and U = G g G^T the transformed weights, then the
 * output transform A^T M A per tile. That is 2.25x fewer multiply-adds than
 * conv_f32_nhwc_gemm, for a few adds per value in the transforms.
 *
 * prepare() computes U (in double) and packs the 16 U_xi as B operands of the packed GEMM
 * (gemm.h). run() cuts the tiles into chunks small enough that a chunk's V and M stay in
 * L2; a lane takes a (chunk, block of maps) item, transforms the chunk's input (straight
 * from the input rows, zeros in the padding: no padded copy), packs it, runs the 16 GEMMs
 * serially and transforms their products into the output with bias, residual and the
 * activation. F(2x2, 3x3) keeps float32 within ~1e-6 relative of the direct sum for
 * ResNet-like magnitudes: its transforms only have coefficients 1 and 1/2. */
#include <stdlib.h>

#include "backend/cpu/cpu_isa.h"
#include "backend/cpu/gemm/conv2d.h"
#include "backend/cpu/gemm/gemm_tactic.h"
#include "backend/cpu/vmath.h"
#include "core/dims.h"

#define LANES 16                  /* most threads that take items at once, each with its workspace */
#define CHUNK_BYTES (512 * 1024)  /* a chunk's packed V and M: an L2 (512 KiB on Zen 3, 1 MiB on Zen 4) */
#define CHUNK_MAX 192             /* tiles: past this the GEMMs gain nothing */
#define CHUNK_MIN_PANELS 4        /* tiles of a chunk at least 4 A panels, even for wide layers */

static const char *const NAME = "conv_f32_winograd_nhwc";

static bool geometry_of(const ingot_node *node, const ingot_tensor_view *inputs, const ingot_tensor_view *outputs,
                        ingot_conv2d *c) {
  return ingot_conv2d_geometry_nhwc(&node->params.conv, &inputs[0].dims, &inputs[1].dims, &outputs[0].dims, c) &&
         c->G == 1 && c->kh == 3 && c->kw == 3 && c->sh == 1 && c->sw == 1 && c->dh == 1 && c->dw == 1;
}

/* ---- the transforms, once per ISA ------------------------------------------------------- */

typedef struct wno_out_args {
  const float *m;    /* M_0 of the tile at the block's first map; M_xi at m + xi * ldm */
  int64_t ldm;
  const float *bias; /* at the block's first map; NULL: none */
  float *y[4];       /* output rows of the tile's pixels at the first map; NULL: clipped */
  const float *res[4];
  int32_t clamp;
  float alpha, beta;
} wno_out_args;

typedef struct wno_isa {
  void (*input)(const float *const *d, int64_t C, float *v, int64_t ldv, int64_t mr);
  void (*output)(const wno_out_args *o, int64_t K);
} wno_isa;

#define INGOT_ISA_IMPL "backend/cpu/gemm/conv_winograd_nhwc_impl.inc"
#include "backend/cpu/isa_instances.inc"

static const wno_isa *wno_variant(void) {
  switch (ingot_cpu_isa_level()) {
#if defined(__x86_64__) && defined(__GNUC__)
    case INGOT_CPU_ISA_AVX512: return &wno_isa_avx512;
    case INGOT_CPU_ISA_AVX2: return &wno_isa_avx2;
#endif
    default: return &wno_isa_base;
  }
}

/* ---- sizes ------------------------------------------------------------------------------- */


/* Tiles of a chunk: a multiple of mr whose packed V and M (16 x chunk x (C + K) floats)
 * fit CHUNK_BYTES, within [CHUNK_MIN_PANELS * mr, CHUNK_MAX]. Wide layers exceed the
 * budget at the minimum rather than run GEMMs of one panel, which reread all of U per
 * panel. Independent of the thread count: workspace() does not know it. */
static int64_t chunk_tiles(const ingot_gemm_kernel *kr, const ingot_conv2d *c) {
  int64_t per_tile = 16 * (c->C + c->K) * (int64_t)sizeof(float);
  int64_t t = CHUNK_BYTES / per_tile / kr->mr * kr->mr;
  if (t > CHUNK_MAX) t = CHUNK_MAX / kr->mr * kr->mr;
  if (t < CHUNK_MIN_PANELS * kr->mr) t = CHUNK_MIN_PANELS * kr->mr;
  return t;
}

/* A lane's floats: the chunk's packed V (16 x chunk x C) and its M (16 x chunk x K), each
 * starting on 64 bytes. */
static int64_t lane_floats(const ingot_gemm_kernel *kr, const ingot_conv2d *c) {
  int64_t mt = chunk_tiles(kr, c);
  return ingot_gemm_round_up(16 * mt * c->C, 16) + ingot_gemm_round_up(16 * mt * c->K, 16);
}
static int64_t zero_floats(const ingot_conv2d *c) { return ingot_gemm_round_up(c->C, 16); }
static uint64_t workspace_bytes(const ingot_gemm_kernel *kr, const ingot_conv2d *c) {
  return ((uint64_t)zero_floats(c) + (uint64_t)LANES * (uint64_t)lane_floats(kr, c)) * sizeof(float);
}

/* ---- the tactic -------------------------------------------------------------------------- */

bool ingot_cpu_conv_winograd_nhwc_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                           const ingot_tensor_view *outputs) {
  ingot_conv2d c;
  /* under 8 channels or maps the transforms cost more than the multiplies they save */
  return ingot_gemm_all_f32(node, inputs, outputs) && inputs[1].data != NULL && geometry_of(node, inputs, outputs, &c) &&
         c.C >= 8 && c.K >= 8;
}

uint64_t ingot_cpu_conv_winograd_nhwc_workspace(const ingot_kernel_args *args) {
  ingot_conv2d c;
  if (!geometry_of(args->node, args->inputs, args->outputs, &c)) return 0;
  ingot_gemm_kernel storage;
  return workspace_bytes(ingot_gemm_kernel_of(args, &storage), &c);
}

/* U_xi(c, k) = (G g G^T)[xi] for g the 3x3 kernel of map k and channel c, in double:
 *   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]. */
static void transform_weights(const float *w, int64_t C, int64_t K, float *u) {
  for (int64_t k = 0; k < K; k++)
    for (int64_t ch = 0; ch < C; ch++) {
      double g[3][3], a[4][3];
      for (int r = 0; r < 3; r++)
        for (int s = 0; s < 3; s++) g[r][s] = w[((k * 3 + r) * 3 + s) * C + ch];
      for (int s = 0; s < 3; s++) { /* G g */
        a[0][s] = g[0][s];
        a[1][s] = 0.5 * (g[0][s] + g[1][s] + g[2][s]);
        a[2][s] = 0.5 * (g[0][s] - g[1][s] + g[2][s]);
        a[3][s] = g[2][s];
      }
      for (int i = 0; i < 4; i++) { /* (G g) G^T */
        double row[4] = {a[i][0], 0.5 * (a[i][0] + a[i][1] + a[i][2]), 0.5 * (a[i][0] - a[i][1] + a[i][2]), a[i][2]};
        for (int j = 0; j < 4; j++) u[((int64_t)(i * 4 + j) * C + ch) * K + k] = (float)row[j];
      }
    }
}

ingot_status ingot_cpu_conv_winograd_nhwc_prepare(const ingot_kernel_args *args, void **prepared_out,
                                                  uint64_t *size_out) {
  const ingot_tensor_view *w = &args->inputs[1];
  ingot_conv2d c;
  if (!w->data || w->dtype != INGOT_FLOAT32 || !geometry_of(args->node, args->inputs, args->outputs, &c))
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT,
                           "%s transforms constant float32 channels-last 3x3 weights (stride 1, one group)", NAME);
  const ingot_gemm_kernel *kr = ingot_gemm_default_kernel();
  float *u = malloc(sizeof(float) * 16 * (size_t)c.C * (size_t)c.K + 1);
  if (!u) return ingot_node_fail(args->node, INGOT_OUT_OF_MEMORY, "%s: no memory to transform the weights", NAME);
  transform_weights(w->data, c.C, c.K, u);
  void *block = ingot_gemm_pack_alloc(kr, 1, c.C, c.K, 16, size_out);
  if (!block) {
    free(u);
    return INGOT_OUT_OF_MEMORY;
  }
  for (int64_t xi = 0; xi < 16; xi++)
    ingot_gemm_pack_b(NULL, kr, c.C, c.K, u + xi * c.C * c.K, c.K, 1, (float *)ingot_gemm_pack_matrix(block, xi));
  free(u);
  *prepared_out = block;
  return INGOT_SUCCESS;
}

typedef struct wno_run {
  ingot_conv2d c;
  const ingot_gemm_kernel *kr;
  const wno_isa *isa;
  const void *prepared;
  const float *x, *zero, *bias, *res;
  float *y, *ws; /* ws: the lanes' workspace, lane_size floats each */
  int64_t lane_size;
  int64_t tiles_h, tiles_w, tiles, mt, kb; /* tiles per chunk, maps per block */
  int64_t chunks, blocks, items;
  int32_t clamp, activation; /* activation: another one, a vmath pass (-1: none) */
  float alpha, beta;
} wno_run;

/* The 16 input rows under tile t (the zero row in the padding). */
static void patch_rows(const wno_run *r, int64_t t, const float **d) {
  const ingot_conv2d *c = &r->c;
  int64_t n = t / (r->tiles_h * r->tiles_w), rem = t % (r->tiles_h * r->tiles_w);
  int64_t ih0 = rem / r->tiles_w * 2 - c->pt, iw0 = rem % r->tiles_w * 2 - c->pl;
  const float *image = r->x + n * c->hw * c->C;
  for (int64_t i = 0; i < 4; i++)
    for (int64_t j = 0; j < 4; j++) {
      int64_t ih = ih0 + i, iw = iw0 + j;
      d[i * 4 + j] = ih >= 0 && ih < c->H && iw >= 0 && iw < c->W ? image + (ih * c->W + iw) * c->C : r->zero;
    }
}

/* One item: chunk q (tiles [t0, t1)), maps [k0, k1), with the lane's workspace. */
static void run_item(const wno_run *r, int64_t q, int64_t b, float *ws) {
  const ingot_conv2d *c = &r->c;
  const ingot_gemm_kernel *kr = r->kr;
  int64_t mr = kr->mr, C = c->C, K = c->K;
  int64_t t0 = q * r->mt, t1 = t0 + r->mt < r->tiles ? t0 + r->mt : r->tiles, m = t1 - t0;
  int64_t k0 = b * r->kb, k1 = k0 + r->kb < K ? k0 + r->kb : K, nk = k1 - k0;
  float *vp = ws, *mm = vp + ingot_gemm_round_up(16 * r->mt * C, 16);
  int64_t vp_each = ingot_gemm_packed_a_floats(kr, r->mt, C); /* between packed V_xi */
  /* (1) V, each tile into its row of the packed A panels of the 16 V_xi; the last
   * panel's rows past the chunk are zeros, as ingot_gemm_pack_a leaves them */
  for (int64_t u = 0; u < m; u++) {
    const float *d[16];
    patch_rows(r, t0 + u, d);
    r->isa->input(d, C, vp + u / mr * mr * C + u % mr, vp_each, mr);
  }
  for (int64_t u = m; u % mr; u++)
    for (int64_t xi = 0; xi < 16; xi++)
      for (int64_t ch = 0; ch < C; ch++) vp[xi * vp_each + u / mr * mr * C + ch * mr + u % mr] = 0.0f;
  /* (2) M_xi = V_xi U_xi for the block's maps: M is [xi][tile][nk] */
  for (int64_t xi = 0; xi < 16; xi++) {
    ingot_gemm_problem g;
    memset(&g, 0, sizeof g);
    g.kernel = kr;
    g.m = m;
    g.n = nk;
    g.k = C;
    g.a_packed = vp + xi * vp_each;
    g.b_packed = ingot_gemm_pack_matrix(r->prepared, xi) + k0 / kr->nr * kr->nr * C;
    g.c = mm + xi * m * nk;
    g.ldc = nk;
    g.epilogue = ingot_gemm_no_epilogue();
    ingot_gemm_compute(NULL, &g);
  }
  /* (3) Y = A^T M A per tile, with the epilogue */
  wno_out_args o;
  o.ldm = m * nk;
  o.bias = r->bias ? r->bias + k0 : NULL;
  o.clamp = r->clamp;
  o.alpha = r->alpha;
  o.beta = r->beta;
  for (int64_t u = 0; u < m; u++) {
    int64_t t = t0 + u, n = t / (r->tiles_h * r->tiles_w), rem = t % (r->tiles_h * r->tiles_w);
    int64_t oh = rem / r->tiles_w * 2, ow = rem % r->tiles_w * 2;
    for (int64_t i = 0; i < 2; i++)
      for (int64_t j = 0; j < 2; j++) {
        bool in = oh + i < c->OH && ow + j < c->OW;
        int64_t at = ((n * c->OH + oh + i) * c->OW + ow + j) * K + k0;
        o.y[i * 2 + j] = in ? r->y + at : NULL;
        o.res[i * 2 + j] = in && r->res ? r->res + at : NULL;
      }
    o.m = mm + u * nk;
    r->isa->output(&o, nk);
    if (r->activation >= 0) /* the finished pixels while they are in L1 */
      for (int32_t px = 0; px < 4; px++)
        if (o.y[px]) ingot_vmath_activation(r->activation, r->alpha, r->beta, o.y[px], o.y[px], nk);
  }
}

/* One item (chunk, block of maps) with the lane's own workspace. */
static void run_lane_item(void *ctx, int64_t lane, int64_t item) {
  const wno_run *r = ctx;
  run_item(r, item % r->chunks, item / r->chunks, r->ws + lane * r->lane_size);
}

ingot_status ingot_cpu_conv_winograd_nhwc(const ingot_kernel_args *args) {
  const ingot_conv_params *p = &args->params->conv;
  INGOT_TRY(ingot_gemm_check_f32(args));
  wno_run r;
  memset(&r, 0, sizeof r);
  if (!geometry_of(args->node, args->inputs, args->outputs, &r.c))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR,
                           "%s: not a channels-last 3x3 stride-1 convolution of these input, weight and output dims",
                           NAME);
  const ingot_conv2d *c = &r.c;
  ingot_gemm_kernel storage;
  INGOT_TRY(ingot_gemm_use_pack(args, 1, c->C, c->K, 16, &storage, &r.kr));
  if (args->workspace_size < workspace_bytes(r.kr, c))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "%s: workspace of %llu bytes is too small", NAME,
                           (unsigned long long)args->workspace_size);
  INGOT_TRY(ingot_conv_epilogue_inputs(args, c->K, &r.bias, &r.res));
  r.tiles_h = ingot_ceil_div(c->OH, 2);
  r.tiles_w = ingot_ceil_div(c->OW, 2);
  r.tiles = c->N * r.tiles_h * r.tiles_w;
  if (r.tiles == 0 || c->K == 0) return INGOT_SUCCESS;
  r.isa = wno_variant();
  r.prepared = args->prepared;
  r.x = args->inputs[0].data;
  r.y = args->outputs[0].data;
  float *zero = args->workspace;
  memset(zero, 0, sizeof(float) * (size_t)zero_floats(c));
  r.zero = zero;
  r.ws = zero + zero_floats(c);
  r.lane_size = lane_floats(r.kr, c);
  r.alpha = p->epilogue.alpha;
  r.beta = p->epilogue.beta;
  ingot_conv_epilogue_split(&p->epilogue, &r.clamp, &r.activation);
  /* Items: chunks of tiles, each over all maps unless that leaves too few for the threads
   * (about 2 each: 512 maps at 7x7 are 16 tiles, one chunk); then blocks of maps, each
   * redoing its chunk's input transform (a few adds per value, against nk multiply-adds). */
  int64_t threads = ingot_thread_pool_size(args->pool);
  double macs = (double)r.tiles * 16.0 * (double)c->C * (double)c->K;
  if (macs < 1e5) threads = 1;
  if (threads > LANES) threads = LANES;
  r.mt = chunk_tiles(r.kr, c);
  r.chunks = ingot_ceil_div(r.tiles, r.mt);
  if (r.chunks > 1) r.mt = ingot_gemm_round_up(ingot_ceil_div(r.tiles, r.chunks), r.kr->mr); /* equal chunks */
  r.chunks = ingot_ceil_div(r.tiles, r.mt);
  int64_t nr = r.kr->nr, want = threads > 1 ? 2 * threads : 1, blocks = 1;
  while (r.chunks * blocks < want && ingot_ceil_div(c->K, nr) >= 2 * blocks) blocks *= 2;
  r.kb = ingot_gemm_round_up(ingot_ceil_div(c->K, blocks), nr);
  r.blocks = ingot_ceil_div(c->K, r.kb);
  r.items = r.chunks * r.blocks;
  ingot_parallel_lanes(args->pool, threads, r.items, run_lane_item, &r);
  return INGOT_SUCCESS;
}
