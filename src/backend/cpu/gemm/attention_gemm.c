/* attention_f32_gemm: the attention layer in float32 as two packed GEMMs per block of
 * query rows, with the softmax between them on scores that stay in the lane's workspace
 * (a block of QB rows by Sk keys), so the [B, H, Sq, Sk] score tensor never exists and
 * the scaling, masking and softmax run while the scores are in cache. Work items are
 * (batch, head, query block) triples taken by the pool's lanes (ingot_parallel_lanes),
 * each lane with its own scores and packing space. The packing reads every operand
 * through its strides, so the [B, S, H, D] layouts the pattern pass leaves cost nothing;
 * only the output needs its feature dim innermost. */
#include <math.h>
#include <string.h>

#include "backend/cpu/gemm/gemm_tactic.h"
#include "backend/cpu/vmath.h"
#include "ops/attention_geometry.h"

#define ATTN_QB 64     /* query rows per work item */
#define ATTN_LANES 16

typedef struct attn_run {
  const ingot_attention_params *p;
  ingot_attention_geometry g;
  const ingot_gemm_kernel *kernel;
  const float *q, *k, *v;
  const void *mask;
  float *o;
  float *ws;
  int64_t lane_floats, gemm_floats, q_blocks;
} attn_run;

static int64_t gemm_floats(const ingot_gemm_kernel *kr, const ingot_attention_geometry *g) {
  int64_t qk = ingot_gemm_workspace_floats(kr, ATTN_QB, g->sk, g->d);
  int64_t pv = ingot_gemm_workspace_floats(kr, ATTN_QB, g->dv, g->sk);
  return ingot_gemm_round_up(qk > pv ? qk : pv, 16);
}

static int64_t lanes_of(const ingot_attention_geometry *g) {
  int64_t items = g->batch * g->heads * ((g->sq + ATTN_QB - 1) / ATTN_QB);
  return items < ATTN_LANES ? (items > 0 ? items : 1) : ATTN_LANES;
}

bool ingot_cpu_attention_gemm_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                       const ingot_tensor_view *outputs) {
  const ingot_attention_params *p = &node->params.attention;
  for (int32_t i = 0; i < 3; i++)
    if (inputs[i].dtype != INGOT_FLOAT32) return false;
  if (outputs[0].dtype != INGOT_FLOAT32 || p->perm[3][3] != 3) return false; /* C rows need unit stride */
  if (p->mask_kind == INGOT_ATTENTION_MASK_ADD && inputs[3].dtype != INGOT_FLOAT32) return false;
  return true;
}

uint64_t ingot_cpu_attention_gemm_workspace(const ingot_kernel_args *args) {
  ingot_attention_geometry g;
  if (!ingot_cpu_attention_geometry(args, &g)) return 0;
  const ingot_gemm_kernel *kr = ingot_gemm_default_kernel();
  int64_t lane = ingot_gemm_round_up(ATTN_QB * (g.sk > 0 ? g.sk : 1), 16) + gemm_floats(kr, &g);
  return (uint64_t)(lane * lanes_of(&g)) * sizeof(float);
}

/* Scale, mask and softmax of `rows` score rows of the block starting at query i0. */
static void softmax_block(const attn_run *r, int64_t b, int64_t h, int64_t i0, int64_t rows, float *s) {
  const ingot_attention_params *p = r->p;
  const ingot_attention_geometry *g = &r->g;
  const bool select_on = p->mask_select != 0;
  for (int64_t i = 0; i < rows; i++) {
    float *row = s + i * g->sk;
    ingot_vmath_scale(row, p->scale, g->sk);
    if (r->mask) {
      int64_t base = b * g->mask[0] + h * g->mask[1] + (i0 + i) * g->mask[2], step = g->mask[3];
      if (p->mask_kind == INGOT_ATTENTION_MASK_ADD) {
        const float *m = (const float *)r->mask + base;
        for (int64_t j = 0; j < g->sk; j++) row[j] += m[j * step];
      } else {
        const uint8_t *m = (const uint8_t *)r->mask + base;
        for (int64_t j = 0; j < g->sk; j++)
          if ((m[j * step] != 0) == select_on) row[j] = p->mask_fill;
      }
    }
    float max = ingot_vmath_max(row, g->sk);
    if (isinf(max) && max < 0) max = 0.0f; /* all -inf: keep -inf - -inf = NaN out of the shift (0 / 0 below) */
    float sum = ingot_vmath_exp_shift_sum(row, max, row, g->sk);
    ingot_vmath_scale(row, 1.0f / sum, g->sk);
  }
}

static void run_item(void *ctx, int64_t lane, int64_t item) {
  const attn_run *r = ctx;
  const ingot_attention_geometry *g = &r->g;
  int64_t qb = item % r->q_blocks, bh = item / r->q_blocks, h = bh % g->heads, b = bh / g->heads;
  int64_t i0 = qb * ATTN_QB, rows = g->sq - i0 < ATTN_QB ? g->sq - i0 : ATTN_QB;
  float *s = r->ws + lane * r->lane_floats, *gw = s + (r->lane_floats - r->gemm_floats);
  const float *q = r->q + b * g->q[0] + h * g->q[1] + i0 * g->q[2];
  const float *k = r->k + b * g->k[0] + h * g->k[1];
  const float *v = r->v + b * g->v[0] + h * g->v[1];
  float *o = r->o + b * g->o[0] + h * g->o[1] + i0 * g->o[2];
  ingot_gemm_epilogue none = ingot_gemm_no_epilogue();
  /* S = Q K^T: B(p, j) = k[j][p] */
  ingot_gemm_f32(NULL, r->kernel, rows, g->sk, g->d, q, g->q[2], g->q[3], k, g->k[3], g->k[2], s, g->sk, 0, &none, gw);
  softmax_block(r, b, h, i0, rows, s);
  /* O = P V */
  ingot_gemm_f32(NULL, r->kernel, rows, g->dv, g->sk, s, g->sk, 1, v, g->v[2], g->v[3], o, g->o[2], 0, &none, gw);
}

INGOT_CPU_KERNEL(ingot_cpu_attention_gemm) {
  attn_run r = {.p = &args->params->attention};
  if (!ingot_cpu_attention_gemm_supports(args->node, args->inputs, args->outputs))
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "attention_f32_gemm takes float32 q, k, v, output (and additive mask)");
  if (!ingot_cpu_attention_geometry(args, &r.g) || args->params->attention.perm[3][3] != 3)
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "q, k, v, mask and output dims do not fit this tactic");
  if (args->workspace_size < ingot_cpu_attention_gemm_workspace(args))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "workspace of %llu bytes, %llu needed",
                           (unsigned long long)args->workspace_size,
                           (unsigned long long)ingot_cpu_attention_gemm_workspace(args));
  const ingot_attention_geometry *g = &r.g;
  r.o = args->outputs[0].data;
  if (g->batch * g->heads * g->sq * g->dv == 0) return INGOT_SUCCESS;
  if (g->sk == 0) { /* no keys: the unfused chain's empty sums */
    for (int64_t b = 0; b < g->batch; b++)
      for (int64_t h = 0; h < g->heads; h++)
        for (int64_t i = 0; i < g->sq; i++) memset(r.o + b * g->o[0] + h * g->o[1] + i * g->o[2], 0, sizeof(float) * (size_t)g->dv);
    return INGOT_SUCCESS;
  }
  r.kernel = ingot_gemm_default_kernel();
  r.q = args->inputs[0].data, r.k = args->inputs[1].data, r.v = args->inputs[2].data;
  r.mask = g->has_mask ? args->inputs[3].data : NULL;
  r.gemm_floats = gemm_floats(r.kernel, g);
  r.lane_floats = ingot_gemm_round_up(ATTN_QB * g->sk, 16) + r.gemm_floats;
  r.q_blocks = (g->sq + ATTN_QB - 1) / ATTN_QB;
  r.ws = args->workspace;
  ingot_parallel_lanes(args->pool, lanes_of(g), g->batch * g->heads * r.q_blocks, run_item, &r);
  return INGOT_SUCCESS;
}
