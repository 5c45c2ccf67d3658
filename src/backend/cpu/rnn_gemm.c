/* rnn_f32_gemm: the recurrent layer with packed GEMMs. The input projection of every time
 * step and both directions is one GEMM, X [seq*batch, I] x W^T [I, D*G*H] (W is [D*G*H, I]
 * as stored, packed once by prepare()); then each step multiplies the batch's states by
 * R^T (packed per direction) and runs the cell math of rnn_cell.c on each row. GRU's h
 * gate takes its own product, (r * h) Rh^T (or h Rh^T with linear_before_reset), so its
 * R is packed in two parts: the z and r rows, and the h rows.
 *
 * Plan data: a header, then up to three GEMM packs (ingot_gemm_pack_alloc's format, each
 * on a 64-byte boundary): W; R (or R's z, r rows) per direction; GRU's Rh per direction. */
#include <stdio.h>
#include <string.h>

#include "backend/cpu/gemm/gemm_tactic.h"
#include "backend/cpu/rnn.h"
#include "core/alloc.h"
#include "core/dims.h"

#define RNN_PACK_MAGIC 0x4e4e5247u /* "GRNN" */
#define RNN_PACK_BLOCKS 3

typedef struct rnn_pack_header {
  uint32_t magic;
  int32_t nb_blocks;
  uint64_t offset[RNN_PACK_BLOCKS]; /* from the header; 0 with size 0 when absent */
  uint64_t size[RNN_PACK_BLOCKS];
} rnn_pack_header;
#define RNN_PACK_DATA 64 /* the first block's offset */
_Static_assert(sizeof(rnn_pack_header) <= RNN_PACK_DATA, "the rnn pack header fits before its first block");

/* The shape every pack block holds: (k, n, count) of block i. */
typedef struct rnn_shape {
  int64_t input, hidden, gates, dirs;
  bool gru;
} rnn_shape;

static bool shape_of(const ingot_node *node, const ingot_tensor_view *inputs, rnn_shape *s) {
  const ingot_rnn_params *p = &node->params.rnn;
  const ingot_dims *xd = &inputs[INGOT_RNN_INPUT_X].dims;
  if (xd->nb_dims != 3) return false;
  s->input = xd->d[2];
  s->hidden = p->hidden_size;
  s->gates = ingot_rnn_gates(p->cell);
  s->dirs = ingot_rnn_directions(p->direction);
  s->gru = p->cell == INGOT_RNN_CELL_GRU;
  return s->input > 0;
}

static void block_dims(const rnn_shape *s, int32_t i, int64_t *k, int64_t *n, int64_t *count) {
  int64_t H = s->hidden;
  if (i == 0) *k = s->input, *n = s->dirs * s->gates * H, *count = 1;
  else if (i == 1) *k = H, *n = (s->gru ? 2 : s->gates) * H, *count = s->dirs;
  else *k = H, *n = s->gru ? H : 0, *count = s->gru ? s->dirs : 0;
}

bool ingot_cpu_rnn_gemm_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                 const ingot_tensor_view *outputs) {
  rnn_shape s;
  if (!shape_of(node, inputs, &s)) return false;
  for (int32_t i = 0; i < node->nb_inputs; i++)
    if (inputs[i].dims.nb_dims >= 0 && inputs[i].dtype != (i == INGOT_RNN_INPUT_SEQUENCE_LENGTHS ? INGOT_INT32 : INGOT_FLOAT32))
      return false;
  for (int32_t i = 0; i < node->nb_outputs; i++)
    if (outputs[i].dtype != INGOT_FLOAT32) return false;
  /* W and R are packed at build time: they must be constants */
  return inputs[INGOT_RNN_INPUT_W].data != NULL && inputs[INGOT_RNN_INPUT_R].data != NULL;
}

ingot_status ingot_cpu_rnn_gemm_prepare(const ingot_kernel_args *args, void **prepared_out, uint64_t *size_out) {
  rnn_shape s;
  const ingot_tensor_view *w = &args->inputs[INGOT_RNN_INPUT_W], *r = &args->inputs[INGOT_RNN_INPUT_R];
  if (!shape_of(args->node, args->inputs, &s) || !w->data || !r->data || w->dtype != INGOT_FLOAT32 ||
      r->dtype != INGOT_FLOAT32)
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "rnn_f32_gemm packs constant float32 W and R");
  const int64_t H = s.hidden, GH = s.gates * H;
  if (ingot_dims_volume(&w->dims) != s.dirs * GH * s.input || ingot_dims_volume(&r->dims) != s.dirs * GH * H)
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "W or R does not hold %lld x %lld x (%lld, %lld) values",
                           (long long)s.dirs, (long long)GH, (long long)s.input, (long long)H);
  const ingot_gemm_kernel *kr = ingot_gemm_default_kernel();
  void *blocks[RNN_PACK_BLOCKS] = {0};
  uint64_t sizes[RNN_PACK_BLOCKS] = {0}, total = RNN_PACK_DATA;
  ingot_status st = INGOT_SUCCESS;
  for (int32_t i = 0; i < RNN_PACK_BLOCKS && st == INGOT_SUCCESS; i++) {
    int64_t k, n, count;
    block_dims(&s, i, &k, &n, &count);
    if (count == 0) continue;
    blocks[i] = ingot_gemm_pack_alloc(kr, 1, k, n, count, &sizes[i]);
    if (!blocks[i]) {
      st = INGOT_OUT_OF_MEMORY;
      break;
    }
    total += (sizes[i] + 63) / 64 * 64;
    for (int64_t d = 0; d < count; d++) {
      float *dst = (float *)ingot_gemm_pack_matrix(blocks[i], d);
      /* B(p, j) = M[j][p] for the rows M of W, R or Rh */
      if (i == 0) ingot_gemm_pack_b(NULL, kr, k, n, w->data, 1, k, dst);
      else ingot_gemm_pack_b(NULL, kr, k, n, (const float *)r->data + d * GH * H + (i == 2 ? 2 * H * H : 0), 1, H, dst);
    }
  }
  rnn_pack_header *h = st == INGOT_SUCCESS ? ingot_aligned_alloc((size_t)total) : NULL;
  if (!h) st = INGOT_OUT_OF_MEMORY;
  if (h) {
    memset(h, 0, RNN_PACK_DATA);
    h->magic = RNN_PACK_MAGIC;
    h->nb_blocks = RNN_PACK_BLOCKS;
    uint64_t at = RNN_PACK_DATA;
    for (int32_t i = 0; i < RNN_PACK_BLOCKS; i++) {
      if (!blocks[i]) continue;
      h->offset[i] = at;
      h->size[i] = sizes[i];
      memcpy((char *)h + at, blocks[i], (size_t)sizes[i]);
      at += (sizes[i] + 63) / 64 * 64;
    }
    *prepared_out = h;
    *size_out = total;
  }
  for (int32_t i = 0; i < RNN_PACK_BLOCKS; i++) ingot_aligned_free(blocks[i]);
  return st;
}

/* Block i of the plan data, checked against the shape; its kernel into *kr. */
static ingot_status use_block(const ingot_kernel_args *args, const rnn_shape *s, int32_t i, ingot_gemm_kernel *storage,
                              const ingot_gemm_kernel **kr, const void **block) {
  const rnn_pack_header *h = args->prepared;
  if (!h || args->prepared_size < RNN_PACK_DATA || h->magic != RNN_PACK_MAGIC || h->nb_blocks != RNN_PACK_BLOCKS ||
      h->offset[i] > args->prepared_size || h->size[i] > args->prepared_size - h->offset[i])
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT,
                           "its packed weights (%llu bytes) are missing or not an rnn_f32_gemm pack",
                           (unsigned long long)args->prepared_size);
  int64_t k, n, count;
  block_dims(s, i, &k, &n, &count);
  *block = (const char *)h + h->offset[i];
  char why[256];
  if (!ingot_gemm_pack_check(*block, h->size[i], 1, k, n, count, storage, kr, why, sizeof why))
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "block %d: %s", (int)i, why);
  return INGOT_SUCCESS;
}

/* The workspace's parts, in floats, each rounded to 16 (64 bytes). */
typedef struct rnn_ws {
  int64_t xw, apack, h, c, gh, g, rh, hh, total;
} rnn_ws;

static rnn_ws ws_layout(const ingot_gemm_kernel *kr, const rnn_shape *s, int64_t seq, int64_t batch) {
  const int64_t H = s->hidden, GH = s->gates * H, R16 = 16;
  int64_t a_x = ingot_gemm_packed_a_floats(kr, seq * batch, s->input), a_h = ingot_gemm_packed_a_floats(kr, batch, H);
  rnn_ws w;
  int64_t at = 0;
#define PART(field, floats) (w.field = at, at += ingot_gemm_round_up((floats), R16))
  PART(xw, seq * batch * s->dirs * GH);
  PART(apack, a_x > a_h ? a_x : a_h);
  PART(h, s->dirs * batch * H);
  PART(c, s->dirs * batch * H);
  PART(gh, batch * (s->gru ? 2 : s->gates) * H);
  PART(g, batch * GH);
  PART(rh, s->gru ? batch * H : 0);
  PART(hh, s->gru ? batch * H : 0);
#undef PART
  w.total = at;
  return w;
}

static void seq_batch(const ingot_kernel_args *args, int64_t *seq, int64_t *batch) {
  const ingot_dims *xd = &args->inputs[INGOT_RNN_INPUT_X].dims;
  int32_t layout = args->params->rnn.layout;
  *seq = xd->nb_dims == 3 ? xd->d[layout ? 1 : 0] : 0;
  *batch = xd->nb_dims == 3 ? xd->d[layout ? 0 : 1] : 0;
}

uint64_t ingot_cpu_rnn_gemm_workspace(const ingot_kernel_args *args) {
  rnn_shape s;
  if (!shape_of(args->node, args->inputs, &s)) return 0;
  ingot_gemm_kernel storage;
  const ingot_gemm_kernel *kr = ingot_gemm_kernel_of(args, &storage);
  const rnn_pack_header *h = args->prepared;
  if (h && args->prepared_size >= RNN_PACK_DATA && h->magic == RNN_PACK_MAGIC && h->offset[0] > 0 &&
      h->offset[0] <= args->prepared_size && h->size[0] <= args->prepared_size - h->offset[0]) {
    ingot_kernel_args sub = *args;
    sub.prepared = (const char *)h + h->offset[0];
    sub.prepared_size = h->size[0];
    kr = ingot_gemm_kernel_of(&sub, &storage);
  }
  int64_t seq, batch;
  seq_batch(args, &seq, &batch);
  return (uint64_t)ws_layout(kr, &s, seq, batch).total * sizeof(float);
}

/* C[m, n] = A[m, k] (rows a + i * lda) x packed B, A packed into `apack` first. */
static void gemm_packed(ingot_thread_pool *pool, const ingot_gemm_kernel *kr, int64_t m, int64_t n, int64_t k,
                        const float *a, int64_t lda, float *apack, const float *b_packed, float *c) {
  if (m <= 0 || n <= 0) return;
  ingot_gemm_pack_a(pool, kr, m, k, a, lda, 1, apack);
  ingot_gemm_problem prob = {.kernel = kr, .m = m, .n = n, .k = k, .a_packed = apack, .b_packed = b_packed,
                             .c = c, .ldc = n, .epilogue = ingot_gemm_no_epilogue()};
  ingot_gemm_compute(pool, &prob);
}

ingot_status ingot_cpu_rnn_gemm(const ingot_kernel_args *args) {
  ingot_rnn_problem pr;
  /* with its pack, W and R are read only from it (packed_inputs: a plan may leave them out) */
  INGOT_TRY(ingot_rnn_problem_init(args, args->prepared != NULL, &pr));
  rnn_shape s;
  if (!shape_of(args->node, args->inputs, &s))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "X must have rank 3 and a non-empty input size");
  ingot_gemm_kernel st_w, st_r, st_h;
  const ingot_gemm_kernel *kw, *krr, *kh = NULL;
  const void *pw, *prr, *ph = NULL;
  INGOT_TRY(use_block(args, &s, 0, &st_w, &kw, &pw));
  INGOT_TRY(use_block(args, &s, 1, &st_r, &krr, &prr));
  if (s.gru) INGOT_TRY(use_block(args, &s, 2, &st_h, &kh, &ph));
  /* the three packs come from one prepare(): one kernel runs them all */
  if (krr->mr != kw->mr || (kh && kh->mr != kw->mr))
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "its packed weights mix GEMM tiles");
  const rnn_ws ws = ws_layout(kw, &s, pr.seq, pr.batch);
  if (args->workspace_size < (uint64_t)ws.total * sizeof(float))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "workspace of %llu bytes is too small, %llu needed",
                           (unsigned long long)args->workspace_size, (unsigned long long)ws.total * sizeof(float));
  float *base = args->workspace;
  float *xw = base + ws.xw, *apack = base + ws.apack, *hs = base + ws.h, *cs = base + ws.c, *gh = base + ws.gh;
  float *gs = base + ws.g, *rh = base + ws.rh, *hh = base + ws.hh;
  const int64_t H = pr.hidden, GH = pr.gates * H, DGH = pr.dirs * GH, GR = s.gru ? 2 * H : GH;
  const bool lstm = pr.p->cell == INGOT_RNN_CELL_LSTM;
  ingot_rnn_start(&pr, hs, lstm ? cs : NULL);
  gemm_packed(args->pool, kw, pr.seq * pr.batch, DGH, pr.input, pr.x, pr.input, apack, ingot_gemm_pack_matrix(pw, 0), xw);
  int64_t steps = 0;
  for (int64_t b = 0; b < pr.batch; b++)
    if (ingot_rnn_length(&pr, b) > steps) steps = ingot_rnn_length(&pr, b);
  /* state rows of one direction: consecutive with layout 0, interleaved by direction with 1 */
  const int64_t state_ld = pr.p->layout ? pr.dirs * H : H;
  /* a step's products are small (batch rows): below ~1 MFLOP the pool's dispatch costs
   * more than it saves */
  ingot_thread_pool *step_pool = pr.batch * GR * H >= (INT64_C(1) << 19) ? args->pool : NULL;
  for (int32_t d = 0; d < pr.dirs; d++) {
    const float *wb = pr.b ? pr.b + d * 2 * GH : NULL, *rb = wb ? wb + GH : NULL;
    float *h_d = hs + ingot_rnn_state_row(&pr, d, 0), *c_d = cs + ingot_rnn_state_row(&pr, d, 0);
    for (int64_t step = 0; step < steps; step++) {
      gemm_packed(step_pool, krr, pr.batch, GR, H, h_d, state_ld, apack, ingot_gemm_pack_matrix(prr, d), gh);
      for (int64_t b = 0; b < pr.batch; b++) {
        const int64_t len = ingot_rnn_length(&pr, b);
        float *g = gs + b * GH;
        if (step >= len) { /* finished: its state stays; GRU's product must still read numbers */
          if (s.gru) memset(rh + b * H, 0, sizeof(float) * (size_t)H);
          continue;
        }
        const int64_t t = ingot_rnn_time(&pr, d, step, len);
        const float *xrow = xw + ingot_rnn_x_row(&pr, t, b) / pr.input * DGH + d * GH, *grow = gh + b * GR;
        for (int64_t j = 0; j < GH; j++) g[j] = xrow[j] + (j < GR ? grow[j] : 0.0f);
        for (int64_t j = 0; wb && j < GH; j++) g[j] += wb[j] + (j < GR ? rb[j] : 0.0f);
        float *h = h_d + b * state_ld;
        if (s.gru) ingot_rnn_gru_gates(&pr, d, g, h, rh + b * H);
        else ingot_rnn_cell_step(&pr, d, g, h, c_d + b * state_ld);
      }
      if (s.gru) {
        gemm_packed(step_pool, kh, pr.batch, H, H, rh, H, apack, ingot_gemm_pack_matrix(ph, d), hh);
        for (int64_t b = 0; b < pr.batch; b++) {
          if (step >= ingot_rnn_length(&pr, b)) continue;
          float *hhb = hh + b * H;
          for (int64_t j = 0; rb && j < H; j++) hhb[j] += rb[2 * H + j];
          ingot_rnn_gru_update(&pr, d, gs + b * GH, hhb, h_d + b * state_ld);
        }
      }
      for (int64_t b = 0; b < pr.batch; b++) {
        const int64_t len = ingot_rnn_length(&pr, b);
        if (step >= len) continue;
        memcpy(pr.y + ingot_rnn_y_row(&pr, ingot_rnn_time(&pr, d, step, len), d, b), h_d + b * state_ld,
               sizeof(float) * (size_t)H);
      }
    }
  }
  ingot_rnn_finish(&pr, hs, cs);
  return INGOT_SUCCESS;
}
