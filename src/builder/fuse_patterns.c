/* Recognizes activations that exporters spell as chains of elementwise layers and turns
 * each chain into one activation layer, which the fuse pass then folds into the
 * convolution or matrix multiply before it (so EfficientNet's and YOLO's SiLU and BERT's
 * and GPT's GELU cost nothing beyond the GEMM's epilogue):
 *
 *   SiLU       x * sigmoid(x)                                        (either operand order)
 *   GELU erf   (x * (erf(x / sqrt2) + 1)) * 0.5, or (x * 0.5) * (erf(x / sqrt2) + 1);
 *              x / sqrt2 also as x * (1 / sqrt2); additions and products in either order
 *   GELU tanh  (0.5 * x) * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))); x^3 as Pow(x, 3)
 *
 * and layer normalization as PyTorch exports it before opset 17 (BERT, GPT, ViT), which
 * becomes one layer-normalization layer instead of nine elementwise and reduce layers:
 *
 *   d = x - ReduceMean(x);  y = d / Sqrt(ReduceMean(d^2) + eps) * gamma + beta
 *   (the same trailing axes, kept dims; d^2 as Pow(d, 2) or d * d; gamma and beta constant,
 *   beta optional; products and sums in either order)
 *
 * and scaled dot-product attention (BERT, GPT, ViT), which becomes one attention layer
 * whose tactics never write the [B, H, Sq, Sk] scores to memory:
 *
 *   softmax(MatMul(Q, K^T) * c [+ mask | Where(mask, fill, .)]) V, the scale as Div or Mul
 *   of the scores by a scalar or Muls of Q and K^T (PyTorch's SDPA export); K^T as Transpose(K) or a transposed operand;
 *   the Transposes that make the heads [B, H, S, D] from [B, S, H, D] and back are read
 *   through (the layer takes each operand's permutation), as long as the feature dim stays
 *   innermost. On device targets only where the tensor-core kernel runs (FP16 or BF16
 *   flag, 64 or 128 features a head). INGOT_FUSE_ATTENTION=0 turns this one off.
 *
 * A chain is taken only when every inner tensor has its one reader inside the chain and is
 * not a network output, the constants are float32 scalars of the expected values, and
 * every tensor involved is float32 in every profile (precision lowering comes later). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "builder/builder_internal.h"
#include "core/alloc.h"
#include "core/dims.h"
#include "core/error.h"
#include "core/logger.h"
#include "ingot/builder.h"
#include "ops/attention_geometry.h"

typedef struct readers {
  int32_t *count; /* per tensor: nodes reading it (a network output counts one more) */
  int32_t *node;  /* per tensor: one of them */
} readers;

static ingot_status readers_init(const ingot_graph *g, readers *r) {
  r->count = calloc((size_t)g->nb_tensors + 1, sizeof(int32_t));
  r->node = calloc((size_t)g->nb_tensors + 1, sizeof(int32_t));
  if (!r->count || !r->node) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory");
  for (int32_t i = 0; i < g->nb_nodes; i++)
    for (int32_t k = 0; k < g->nodes[i].nb_inputs; k++) {
      int32_t t = g->nodes[i].inputs[k];
      if (t < 0) continue;
      r->count[t]++;
      r->node[t] = i;
    }
  for (int32_t t = 0; t < g->nb_tensors; t++)
    if (g->tensors[t].is_output) r->count[t]++;
  return INGOT_SUCCESS;
}

typedef struct matcher {
  ingot_build *build;
  readers r;
  uint8_t *dead;
} matcher;

/* The node that alone reads tensor t (and it is not an output), or -1. */
static int32_t only_reader(const matcher *m, int32_t t) {
  return t >= 0 && m->r.count[t] == 1 && !m->build->graph->tensors[t].is_output ? m->r.node[t] : -1;
}

static const ingot_node *producer_of(const matcher *m, int32_t t) {
  const ingot_graph *g = m->build->graph;
  if (t < 0 || g->tensors[t].kind != INGOT_TENSOR_KIND_ACTIVATION) return NULL;
  int32_t p = g->tensors[t].producer;
  return p >= 0 && !m->dead[p] ? &g->nodes[p] : NULL;
}

static bool is_elementwise(const ingot_node *n, int32_t op) {
  return n && n->op == INGOT_OP_ELEMENTWISE && n->params.elementwise.op == op && n->nb_inputs == 2;
}

/* Is tensor t a float32 constant holding one value within 1e-5 relative of `want`? */
static bool is_scalar(const ingot_graph *g, int32_t t, double want) {
  if (t < 0 || g->tensors[t].kind != INGOT_TENSOR_KIND_CONSTANT || g->tensors[t].dtype != INGOT_FLOAT32 ||
      !g->tensors[t].data || ingot_dims_volume(&g->tensors[t].dims) != 1)
    return false;
  double v = *(const float *)g->tensors[t].data;
  return fabs(v - want) <= 1e-5 * fabs(want);
}

/* The operand of binary node n other than the scalar `want` (either side), or -1. */
static int32_t other_than_scalar(const ingot_graph *g, const ingot_node *n, double want) {
  if (is_scalar(g, n->inputs[1], want)) return n->inputs[0];
  if (is_scalar(g, n->inputs[0], want)) return n->inputs[1];
  return -1;
}

#define SQRT2 1.41421356237309504880
#define SQRT1_2 0.70710678118654752440
#define TWO_OVER_PI 0.63661977236758134308

/* The chain's result has x's dims in every profile (a scalar constant of higher rank would
 * have broadcast it up). */
static bool same_dims(const matcher *m, int32_t x, int32_t y) {
  const ingot_build *b = m->build;
  for (int32_t s = 0; s < b->nb_shape_sets; s++)
    if (!ingot_dims_equal(&b->shape_dims[s][x], &b->shape_dims[s][y])) return false;
  return true;
}

static bool all_f32(const matcher *m, const int32_t *tensors, int32_t count) {
  const ingot_build *b = m->build;
  for (int32_t s = 0; s < b->nb_shape_sets; s++)
    for (int32_t i = 0; i < count; i++)
      if (b->shape_dtypes[s][tensors[i]] != INGOT_FLOAT32) return false;
  return true;
}

/* Node `last` becomes activation `type` of x; the nodes in `gone` are left dead. */
static ingot_status rewrite(matcher *m, int32_t last, int32_t x, int32_t type, const int32_t *gone, int32_t nb_gone,
                            const char *what) {
  ingot_node *n = &m->build->graph->nodes[last];
  n->op = INGOT_OP_ACTIVATION;
  memset(&n->params, 0, sizeof n->params);
  n->params.activation.type = type;
  n->nb_inputs = 1;
  n->inputs[0] = x;
  free(n->fused_name);
  n->fused_name = ingot_strdup(what);
  if (!n->fused_name) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory");
  for (int32_t i = 0; i < nb_gone; i++) m->dead[gone[i]] = 1;
  return INGOT_SUCCESS;
}

static int32_t index_of(const matcher *m, const ingot_node *n) { return (int32_t)(n - m->build->graph->nodes); }

/* sigmoid node s: x * sigmoid(x) */
static ingot_status try_silu(matcher *m, int32_t s, int32_t *found) {
  const ingot_graph *g = m->build->graph;
  const ingot_node *sig = &g->nodes[s];
  int32_t x = sig->inputs[0], t = sig->outputs[0];
  int32_t mul = only_reader(m, t);
  if (mul < 0 || m->dead[mul] || !is_elementwise(&g->nodes[mul], INGOT_ELEMENTWISE_PROD)) return INGOT_SUCCESS;
  const ingot_node *p = &g->nodes[mul];
  if (!((p->inputs[0] == x && p->inputs[1] == t) || (p->inputs[0] == t && p->inputs[1] == x))) return INGOT_SUCCESS;
  int32_t tensors[] = {x, t, p->outputs[0]};
  if (!all_f32(m, tensors, 3) || !same_dims(m, x, p->outputs[0])) return INGOT_SUCCESS;
  (*found)++;
  return rewrite(m, mul, x, INGOT_ACTIVATION_SILU, &s, 1, "sigmoid+mul=silu");
}

/* erf node e: its input is x / sqrt2 (or x * 1/sqrt2); then + 1, * x and * 0.5 */
static ingot_status try_gelu_erf(matcher *m, int32_t e, int32_t *found) {
  const ingot_graph *g = m->build->graph;
  const ingot_node *erf = &g->nodes[e];
  const ingot_node *scaled = producer_of(m, erf->inputs[0]);
  if (only_reader(m, erf->inputs[0]) != e || !scaled) return INGOT_SUCCESS;
  int32_t x = -1;
  if (is_elementwise(scaled, INGOT_ELEMENTWISE_DIV) && is_scalar(g, scaled->inputs[1], SQRT2)) x = scaled->inputs[0];
  else if (is_elementwise(scaled, INGOT_ELEMENTWISE_PROD)) x = other_than_scalar(g, scaled, SQRT1_2);
  if (x < 0) return INGOT_SUCCESS;
  int32_t add = only_reader(m, erf->outputs[0]);
  if (add < 0 || !is_elementwise(&g->nodes[add], INGOT_ELEMENTWISE_SUM) ||
      other_than_scalar(g, &g->nodes[add], 1.0) != erf->outputs[0])
    return INGOT_SUCCESS;
  int32_t a = g->nodes[add].outputs[0];
  int32_t mul = only_reader(m, a);
  if (mul < 0 || !is_elementwise(&g->nodes[mul], INGOT_ELEMENTWISE_PROD)) return INGOT_SUCCESS;
  const ingot_node *pm = &g->nodes[mul];
  int32_t other = pm->inputs[0] == a ? pm->inputs[1] : pm->inputs[0];
  int32_t gone[5] = {index_of(m, scaled), e, add}, last, half_node = -1;
  if (other == x) { /* (x * a) * 0.5 */
    last = only_reader(m, pm->outputs[0]);
    if (last < 0 || !is_elementwise(&g->nodes[last], INGOT_ELEMENTWISE_PROD) ||
        other_than_scalar(g, &g->nodes[last], 0.5) != pm->outputs[0])
      return INGOT_SUCCESS;
    gone[3] = mul;
  } else { /* (x * 0.5) * a */
    const ingot_node *h = producer_of(m, other);
    if (!h || only_reader(m, other) != mul || !is_elementwise(h, INGOT_ELEMENTWISE_PROD) ||
        other_than_scalar(g, h, 0.5) != x)
      return INGOT_SUCCESS;
    half_node = index_of(m, h);
    last = mul;
    gone[3] = half_node;
  }
  /* x itself has readers outside the chain (the scaled and the product): fine, it stays */
  int32_t tensors[] = {x, erf->inputs[0], erf->outputs[0], a, g->nodes[last].outputs[0]};
  if (!all_f32(m, tensors, 5) || !same_dims(m, x, g->nodes[last].outputs[0])) return INGOT_SUCCESS;
  (*found)++;
  return rewrite(m, last, x, INGOT_ACTIVATION_GELU_ERF, gone, 4, "erf+mul=gelu");
}

/* tanh activation node t: sqrt(2/pi) * (x + 0.044715 * x^3) in, then + 1 and * (0.5 * x) */
static ingot_status try_gelu_tanh(matcher *m, int32_t t, int32_t *found) {
  const ingot_graph *g = m->build->graph;
  const ingot_node *th = &g->nodes[t];
  const ingot_node *scaled = producer_of(m, th->inputs[0]);
  if (only_reader(m, th->inputs[0]) != t || !is_elementwise(scaled, INGOT_ELEMENTWISE_PROD)) return INGOT_SUCCESS;
  int32_t inner = other_than_scalar(g, scaled, sqrt(TWO_OVER_PI));
  const ingot_node *sum = producer_of(m, inner);
  if (inner < 0 || only_reader(m, inner) != index_of(m, scaled) || !is_elementwise(sum, INGOT_ELEMENTWISE_SUM))
    return INGOT_SUCCESS;
  /* one operand is x, the other 0.044715 * x^3 */
  for (int32_t side = 0; side < 2; side++) {
    int32_t x = sum->inputs[side], cubic_scaled = sum->inputs[1 - side];
    const ingot_node *cs = producer_of(m, cubic_scaled);
    if (!is_elementwise(cs, INGOT_ELEMENTWISE_PROD) || only_reader(m, cubic_scaled) != index_of(m, sum)) continue;
    int32_t cube = other_than_scalar(g, cs, 0.044715);
    const ingot_node *pw = producer_of(m, cube);
    if (cube < 0 || only_reader(m, cube) != index_of(m, cs)) continue;
    bool is_cube = is_elementwise(pw, INGOT_ELEMENTWISE_POW) && pw->inputs[0] == x && is_scalar(g, pw->inputs[1], 3.0);
    if (!is_cube) continue;
    int32_t add = only_reader(m, th->outputs[0]);
    if (add < 0 || !is_elementwise(&g->nodes[add], INGOT_ELEMENTWISE_SUM) ||
        other_than_scalar(g, &g->nodes[add], 1.0) != th->outputs[0])
      return INGOT_SUCCESS;
    int32_t a = g->nodes[add].outputs[0];
    int32_t mul = only_reader(m, a);
    if (mul < 0 || !is_elementwise(&g->nodes[mul], INGOT_ELEMENTWISE_PROD)) return INGOT_SUCCESS;
    const ingot_node *pm = &g->nodes[mul];
    int32_t h = pm->inputs[0] == a ? pm->inputs[1] : pm->inputs[0];
    const ingot_node *hn = producer_of(m, h);
    if (!hn || only_reader(m, h) != mul || !is_elementwise(hn, INGOT_ELEMENTWISE_PROD) || other_than_scalar(g, hn, 0.5) != x)
      return INGOT_SUCCESS;
    int32_t tensors[] = {x, cube, cubic_scaled, inner, th->inputs[0], th->outputs[0], a, h, pm->outputs[0]};
    if (!all_f32(m, tensors, 9) || !same_dims(m, x, pm->outputs[0])) return INGOT_SUCCESS;
    int32_t gone[] = {index_of(m, pw), index_of(m, cs), index_of(m, sum), index_of(m, scaled), t, add, index_of(m, hn)};
    (*found)++;
    return rewrite(m, mul, x, INGOT_ACTIVATION_GELU_TANH, gone, 7, "tanh+mul=gelu");
  }
  return INGOT_SUCCESS;
}

/* The float32 scalar constant t holds, in *v; false when t is not one. */
static bool scalar_value(const ingot_graph *g, int32_t t, float *v) {
  if (t < 0 || g->tensors[t].kind != INGOT_TENSOR_KIND_CONSTANT || g->tensors[t].dtype != INGOT_FLOAT32 ||
      !g->tensors[t].data || ingot_dims_volume(&g->tensors[t].dims) != 1)
    return false;
  *v = *(const float *)g->tensors[t].data;
  return true;
}

static bool is_mean_over(const ingot_node *n, int32_t x, uint32_t mask) {
  return n && n->op == INGOT_OP_REDUCE && n->params.reduce.op == INGOT_REDUCE_MEAN && n->params.reduce.keep_dims &&
         n->params.reduce.axes_mask == mask && n->nb_inputs >= 1 && n->inputs[0] == x &&
         (n->nb_inputs < 2 || n->inputs[1] < 0);
}

/* A float32 constant whose dims, leading 1s aside, are at most the normalized ones: an
 * affine parameter that broadcasts along the normalized axes only. */
static bool is_affine(const ingot_graph *g, int32_t t, const ingot_dims *x, int32_t first) {
  if (t < 0 || g->tensors[t].kind != INGOT_TENSOR_KIND_CONSTANT || g->tensors[t].dtype != INGOT_FLOAT32 ||
      !g->tensors[t].data)
    return false;
  const ingot_dims *d = &g->tensors[t].dims;
  int32_t lead = 0;
  while (lead < d->nb_dims && d->d[lead] == 1) lead++;
  if (d->nb_dims > x->nb_dims || d->nb_dims - lead > x->nb_dims - first) return false;
  for (int32_t i = 0; i < d->nb_dims; i++) {
    int64_t xi = x->d[x->nb_dims - d->nb_dims + i];
    if (d->d[i] != 1 && d->d[i] != xi) return false;
  }
  return true;
}

/* The operand of binary node n other than `one`, or -1 when neither is `one`. */
static int32_t other_operand(const ingot_node *n, int32_t one) {
  if (n->inputs[0] == one) return n->inputs[1];
  if (n->inputs[1] == one) return n->inputs[0];
  return -1;
}

/* ReduceMean node r1 over x: the chain above, ending at Mul(gamma) or Add(beta). */
static ingot_status try_layernorm(matcher *m, int32_t r1, int32_t *found) {
  const ingot_graph *g = m->build->graph;
  const ingot_node *mean = &g->nodes[r1];
  int32_t x = mean->inputs[0], rank = m->build->shape_dims[0][x].nb_dims;
  uint32_t mask = mean->params.reduce.axes_mask;
  if (rank < 1 || rank > 31 || mask == 0) return INGOT_SUCCESS;
  int32_t first = __builtin_ctz(mask);
  if (mask != (((uint32_t)1 << rank) - 1) - (((uint32_t)1 << first) - 1)) return INGOT_SUCCESS; /* trailing axes */
  int32_t sub = only_reader(m, mean->outputs[0]);
  if (sub < 0 || !is_elementwise(&g->nodes[sub], INGOT_ELEMENTWISE_SUB) || g->nodes[sub].inputs[0] != x ||
      g->nodes[sub].inputs[1] != mean->outputs[0])
    return INGOT_SUCCESS;
  int32_t d = g->nodes[sub].outputs[0];
  /* d's readers: the square (Pow(d, 2), or d * d reading it twice) and the division */
  int32_t sq = -1, div = -1;
  for (int32_t i = 0; i < g->nb_nodes; i++) {
    const ingot_node *n = &g->nodes[i];
    if (m->dead[i] || n->nb_inputs < 1) continue;
    bool reads = false;
    for (int32_t k = 0; k < n->nb_inputs; k++) reads |= n->inputs[k] == d;
    if (!reads) continue;
    if ((is_elementwise(n, INGOT_ELEMENTWISE_POW) && n->inputs[0] == d && is_scalar(g, n->inputs[1], 2.0)) ||
        (is_elementwise(n, INGOT_ELEMENTWISE_PROD) && n->inputs[0] == d && n->inputs[1] == d))
      sq = sq < 0 ? i : -2;
    else if (is_elementwise(n, INGOT_ELEMENTWISE_DIV) && n->inputs[0] == d)
      div = div < 0 ? i : -2;
    else
      return INGOT_SUCCESS;
  }
  if (sq < 0 || div < 0 || g->tensors[d].is_output) return INGOT_SUCCESS;
  int32_t r2 = only_reader(m, g->nodes[sq].outputs[0]);
  if (r2 < 0 || !is_mean_over(&g->nodes[r2], g->nodes[sq].outputs[0], mask)) return INGOT_SUCCESS;
  int32_t add_eps = only_reader(m, g->nodes[r2].outputs[0]);
  if (add_eps < 0 || !is_elementwise(&g->nodes[add_eps], INGOT_ELEMENTWISE_SUM)) return INGOT_SUCCESS;
  float eps;
  int32_t eps_t = other_operand(&g->nodes[add_eps], g->nodes[r2].outputs[0]);
  if (!scalar_value(g, eps_t, &eps) || !(eps >= 0.0f)) return INGOT_SUCCESS;
  int32_t sqrt_n = only_reader(m, g->nodes[add_eps].outputs[0]);
  if (sqrt_n < 0 || g->nodes[sqrt_n].op != INGOT_OP_UNARY || g->nodes[sqrt_n].params.unary.op != INGOT_UNARY_SQRT)
    return INGOT_SUCCESS;
  if (only_reader(m, g->nodes[sqrt_n].outputs[0]) != div || g->nodes[div].inputs[1] != g->nodes[sqrt_n].outputs[0])
    return INGOT_SUCCESS;
  int32_t mul = only_reader(m, g->nodes[div].outputs[0]);
  if (mul < 0 || !is_elementwise(&g->nodes[mul], INGOT_ELEMENTWISE_PROD)) return INGOT_SUCCESS;
  const ingot_dims *xd = &m->build->shape_dims[0][x];
  int32_t gamma = other_operand(&g->nodes[mul], g->nodes[div].outputs[0]);
  if (!is_affine(g, gamma, xd, first)) return INGOT_SUCCESS;
  int32_t last = mul, beta = -1, add = only_reader(m, g->nodes[mul].outputs[0]);
  if (add >= 0 && is_elementwise(&g->nodes[add], INGOT_ELEMENTWISE_SUM)) {
    int32_t b = other_operand(&g->nodes[add], g->nodes[mul].outputs[0]);
    if (is_affine(g, b, xd, first)) last = add, beta = b;
  }
  int32_t y = g->nodes[last].outputs[0];
  int32_t tensors[] = {x, mean->outputs[0], d, g->nodes[sq].outputs[0], g->nodes[r2].outputs[0], y};
  if (!all_f32(m, tensors, 6) || !same_dims(m, x, y)) return INGOT_SUCCESS;
  for (int32_t s = 0; s < m->build->nb_shape_sets; s++) /* the same rank in every profile */
    if (m->build->shape_dims[s][x].nb_dims != rank) return INGOT_SUCCESS;
  ingot_node *n = &m->build->graph->nodes[last];
  int32_t *in = realloc(n->inputs, sizeof(int32_t) * 3);
  if (!in) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory");
  n->inputs = in;
  n->op = INGOT_OP_LAYER_NORMALIZATION;
  memset(&n->params, 0, sizeof n->params);
  n->params.layernorm.axes_mask = mask;
  n->params.layernorm.epsilon = eps;
  in[0] = x;
  in[1] = gamma;
  in[2] = beta; /* -1: absent */
  n->nb_inputs = 3;
  free(n->fused_name);
  n->fused_name = ingot_strdup("reduce+sub+pow+sqrt+div=layer_normalization");
  if (!n->fused_name) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory");
  int32_t gone[] = {r1, sub, sq, r2, add_eps, sqrt_n, div, mul};
  for (int32_t i = 0; i < (beta >= 0 ? 8 : 7); i++) m->dead[gone[i]] = 1;
  (*found)++;
  return INGOT_SUCCESS;
}

/* ---- attention ------------------------------------------------------------------------- */

/* INGOT_FUSE_ATTENTION=0 keeps the chains unfused (for comparisons and benchmarks). */
static bool fuse_attention_enabled(void) {
  const char *v = getenv("INGOT_FUSE_ATTENTION");
  return !v || strcmp(v, "0") != 0;
}

/* The permutation of a shuffle that only transposes a rank-4 tensor (its output dim i is
 * input dim perm[i]), in every profile. */
static bool pure_transpose(const matcher *m, const ingot_node *n, int32_t perm[4]) {
  if (!n || n->op != INGOT_OP_SHUFFLE || n->nb_inputs != 1) return false;
  const ingot_shuffle_params *p = &n->params.shuffle;
  if (p->has_reshape) return false;
  for (int32_t s = 0; s < m->build->nb_shape_sets; s++)
    if (m->build->shape_dims[s][n->inputs[0]].nb_dims != 4) return false;
  for (int32_t i = 0; i < 4; i++) {
    int32_t a = p->has_second_transpose ? p->second_transpose[i] : i;
    if (a < 0 || a > 3) return false;
    perm[i] = p->has_first_transpose ? p->first_transpose[a] : a;
    if (perm[i] < 0 || perm[i] > 3) return false;
  }
  return true;
}

/* Reads operand t (logical dim i in its dim perm[i]) from before the transposes that made
 * it, as long as the feature dim stays innermost: the transposes then have no reader left
 * and the dead-layer pass drops them. */
static int32_t through_transposes(const matcher *m, int32_t t, int32_t perm[4]) {
  for (int32_t depth = 0; depth < 2; depth++) {
    int32_t inner[4], composed[4];
    const ingot_node *n = producer_of(m, t);
    if (!pure_transpose(m, n, inner)) break;
    for (int32_t i = 0; i < 4; i++) composed[i] = inner[perm[i]];
    if (composed[3] != 3) break;
    memcpy(perm, composed, sizeof composed);
    t = n->inputs[0];
  }
  return t;
}

static bool is_plain_matmul(const ingot_node *n) {
  return n && n->op == INGOT_OP_MATRIX_MULTIPLY && n->nb_inputs == 2 && n->params.matmul.op_a == INGOT_MATRIX_OP_NONE &&
         !n->params.matmul.has_bias && n->params.matmul.epilogue.activation < 0 &&
         !n->params.matmul.epilogue.has_residual;
}

/* A float32 scalar constant's value. */
static bool scalar_constant(const ingot_graph *g, int32_t t, float *v) {
  return scalar_value(g, t, v) && isfinite(*v);
}

/* Tensor t as `reader` reads it, before a Mul by a scalar constant that only `reader`
 * reads: the scalar multiplies *scale and the Mul joins `gone`. t itself otherwise. */
static int32_t past_scalar_mul(const matcher *m, int32_t t, int32_t reader, float *scale, int32_t *gone,
                               int32_t *nb_gone) {
  const ingot_graph *g = m->build->graph;
  const ingot_node *n = producer_of(m, t);
  float c;
  if (!n || !is_elementwise(n, INGOT_ELEMENTWISE_PROD) || only_reader(m, t) != reader) return t;
  int32_t side = scalar_constant(g, n->inputs[1], &c) ? 0 : scalar_constant(g, n->inputs[0], &c) ? 1 : -1;
  if (side < 0) return t;
  *scale *= c;
  gone[(*nb_gone)++] = index_of(m, n);
  return n->inputs[side];
}

/* Softmax node s: softmax(scale * Q K^T [+ mask | masked by Where]) V, the scale as a Div
 * or Mul of the scores by a scalar, or a Mul of Q before the product; K^T as a transposed
 * operand or a Transpose of K; the heads' transposes before and after read through. */
static ingot_status try_attention(matcher *m, int32_t s, int32_t *found) {
  ingot_graph *g = m->build->graph;
  const ingot_node *sm = &g->nodes[s];
  if (sm->nb_inputs != 1 || sm->params.softmax.log) return INGOT_SUCCESS;
  int32_t axis = sm->params.softmax.axis;
  if (axis != -1 && axis != 3) return INGOT_SUCCESS;
  for (int32_t p = 0; p < m->build->nb_shape_sets; p++)
    if (m->build->shape_dims[p][sm->inputs[0]].nb_dims != 4) return INGOT_SUCCESS;
  ingot_attention_params ap;
  memset(&ap, 0, sizeof ap);
  ap.scale = 1.0f;
  int32_t gone[7], nb_gone = 0, mask = -1;
  gone[nb_gone++] = s;
  /* the mask */
  int32_t x = sm->inputs[0];
  const ingot_node *n = producer_of(m, x);
  if (n && only_reader(m, x) == s) {
    float fill = 0.0f;
    if (is_elementwise(n, INGOT_ELEMENTWISE_SUM)) {
      for (int32_t side = 0; side < 2 && mask < 0; side++) {
        const ingot_node *below = producer_of(m, n->inputs[side]);
        if (below && (below->op == INGOT_OP_MATRIX_MULTIPLY || is_elementwise(below, INGOT_ELEMENTWISE_DIV) ||
                      is_elementwise(below, INGOT_ELEMENTWISE_PROD)))
          x = n->inputs[side], mask = n->inputs[1 - side];
      }
      ap.mask_kind = INGOT_ATTENTION_MASK_ADD;
    } else if (n->op == INGOT_OP_SELECT && n->nb_inputs == 3) {
      if (scalar_constant(g, n->inputs[1], &fill))
        x = n->inputs[2], ap.mask_select = 1, mask = n->inputs[0];
      else if (scalar_constant(g, n->inputs[2], &fill))
        x = n->inputs[1], ap.mask_select = 0, mask = n->inputs[0];
      ap.mask_kind = INGOT_ATTENTION_MASK_SELECT;
      ap.mask_fill = fill;
    }
    if (mask >= 0) {
      gone[nb_gone++] = index_of(m, n);
      n = producer_of(m, x);
      if (!n || only_reader(m, x) != gone[nb_gone - 1]) return INGOT_SUCCESS;
    } else {
      ap.mask_kind = INGOT_ATTENTION_MASK_NONE;
    }
  }
  /* the scale of the scores */
  float c;
  if (n && (is_elementwise(n, INGOT_ELEMENTWISE_DIV) || is_elementwise(n, INGOT_ELEMENTWISE_PROD))) {
    bool div = n->params.elementwise.op == INGOT_ELEMENTWISE_DIV;
    int32_t side = scalar_constant(g, n->inputs[1], &c) ? 0 : (!div && scalar_constant(g, n->inputs[0], &c)) ? 1 : -1;
    if (side < 0 || c == 0.0f) return INGOT_SUCCESS;
    ap.scale = div ? 1.0f / c : c;
    gone[nb_gone++] = index_of(m, n);
    x = n->inputs[side];
    n = producer_of(m, x);
    if (!n || only_reader(m, x) != gone[nb_gone - 1]) return INGOT_SUCCESS;
  }
  if (!is_plain_matmul(n) || only_reader(m, x) != gone[nb_gone - 1]) return INGOT_SUCCESS;
  const ingot_node *mm1 = n;
  int32_t op_b = mm1->params.matmul.op_b;
  if (op_b != INGOT_MATRIX_OP_NONE && op_b != INGOT_MATRIX_OP_TRANSPOSE) return INGOT_SUCCESS;
  int32_t mm2 = only_reader(m, sm->outputs[0]);
  if (mm2 < 0 || !is_plain_matmul(&g->nodes[mm2]) || g->nodes[mm2].inputs[0] != sm->outputs[0] ||
      g->nodes[mm2].params.matmul.op_b != INGOT_MATRIX_OP_NONE)
    return INGOT_SUCCESS;
  /* Q, and K^T, each possibly scaled first (PyTorch's SDPA export scales both by the
   * square root of the scale); K is K^T with its last two dims swapped */
  int32_t q = past_scalar_mul(m, mm1->inputs[0], index_of(m, mm1), &ap.scale, gone, &nb_gone);
  int32_t k = past_scalar_mul(m, mm1->inputs[1], index_of(m, mm1), &ap.scale, gone, &nb_gone);
  gone[nb_gone++] = index_of(m, mm1);
  for (int32_t t = 0; t < 4; t++)
    for (int32_t i = 0; i < 4; i++) ap.perm[t][i] = i;
  if (op_b == INGOT_MATRIX_OP_NONE) ap.perm[1][2] = 3, ap.perm[1][3] = 2;
  q = through_transposes(m, q, ap.perm[0]);
  k = through_transposes(m, k, ap.perm[1]);
  int32_t v = through_transposes(m, g->nodes[mm2].inputs[1], ap.perm[2]);
  /* the output, written in the layout of the transpose after it */
  int32_t last = mm2, out = g->nodes[mm2].outputs[0], tr[4];
  int32_t after = only_reader(m, out);
  if (after >= 0 && pure_transpose(m, &g->nodes[after], tr) && tr[3] == 3) {
    for (int32_t i = 0; i < 4; i++) ap.perm[3][tr[i]] = i;
    gone[nb_gone++] = mm2;
    last = after;
    out = g->nodes[after].outputs[0];
  }
  if (ap.perm[0][3] != 3 || ap.perm[1][3] != 3 || ap.perm[2][3] != 3) return INGOT_SUCCESS;
  /* On a GPU the fused layer pays only where the tensor-core kernel runs (half precision,
   * 64 or 128 features a head); in float32, cuBLASLt's products and the softmax kernel
   * beat the general attention kernel several times over. */
  const ingot_builder_config *cfg = m->build->config;
  if (cfg->target != INGOT_TARGET_CPU) {
    bool half = cfg->flags & ((1u << INGOT_BUILDER_FLAG_FP16) | (1u << INGOT_BUILDER_FLAG_BF16));
    for (int32_t p = 0; p < m->build->nb_shape_sets && half; p++) {
      int64_t d = m->build->shape_dims[p][q].d[ap.perm[0][3]], dv = m->build->shape_dims[p][v].d[ap.perm[2][3]];
      half = d == dv && (d == 64 || d == 128);
    }
    if (!half) return INGOT_SUCCESS;
  }
  /* every profile: float32, rank 4, sizes that fit (the mask broadcasting) */
  int32_t tensors[] = {q, k, v, out, mask};
  if (!all_f32(m, tensors, ap.mask_kind == INGOT_ATTENTION_MASK_ADD ? 5 : 4)) return INGOT_SUCCESS;
  for (int32_t p = 0; p < m->build->nb_shape_sets; p++) {
    const ingot_dims *sd = m->build->shape_dims[p];
    if (ap.mask_kind == INGOT_ATTENTION_MASK_SELECT && m->build->shape_dtypes[p][mask] != INGOT_BOOL)
      return INGOT_SUCCESS;
    ingot_attention_geometry geo;
    ingot_dims od;
    if (!ingot_attention_geometry_make(&ap, &sd[q], &sd[k], &sd[v], mask >= 0 ? &sd[mask] : NULL, &geo))
      return INGOT_SUCCESS;
    ingot_attention_output_dims(&ap, &geo, &od);
    if (!ingot_dims_equal(&od, &sd[out])) return INGOT_SUCCESS;
  }
  ingot_node *fused = &g->nodes[last];
  int32_t nb_in = mask >= 0 ? 4 : 3;
  int32_t *in = realloc(fused->inputs, sizeof(int32_t) * 4);
  if (!in) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory");
  fused->inputs = in;
  fused->op = INGOT_OP_ATTENTION;
  memset(&fused->params, 0, sizeof fused->params);
  fused->params.attention = ap;
  in[0] = q, in[1] = k, in[2] = v, in[3] = mask;
  fused->nb_inputs = nb_in;
  free(fused->fused_name);
  fused->fused_name = ingot_strdup(ap.mask_kind == INGOT_ATTENTION_MASK_NONE ? "matmul+softmax+matmul=attention"
                                   : ap.mask_kind == INGOT_ATTENTION_MASK_ADD ? "matmul+add_mask+softmax+matmul=attention"
                                                                             : "matmul+where_mask+softmax+matmul=attention");
  if (!fused->fused_name) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory");
  for (int32_t i = 0; i < nb_gone; i++) m->dead[gone[i]] = 1;
  (*found)++;
  return INGOT_SUCCESS;
}

ingot_status ingot_pass_fuse_patterns(ingot_build *build) {
  ingot_graph *g = build->graph;
  matcher m = {build, {NULL, NULL}, calloc((size_t)g->nb_nodes + 1, 1)};
  ingot_status st = m.dead ? readers_init(g, &m.r) : ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory");
  int32_t silu = 0, gelu = 0, layernorm = 0, attention = 0;
  for (int32_t i = 0; i < g->nb_nodes && st == INGOT_SUCCESS; i++) {
    const ingot_node *n = &g->nodes[i];
    if (m.dead[i]) continue;
    if (n->op == INGOT_OP_ACTIVATION && n->params.activation.type == INGOT_ACTIVATION_SIGMOID)
      st = try_silu(&m, i, &silu);
    else if (n->op == INGOT_OP_UNARY && n->params.unary.op == INGOT_UNARY_ERF)
      st = try_gelu_erf(&m, i, &gelu);
    else if (n->op == INGOT_OP_ACTIVATION && n->params.activation.type == INGOT_ACTIVATION_TANH)
      st = try_gelu_tanh(&m, i, &gelu);
    else if (n->op == INGOT_OP_REDUCE && n->params.reduce.op == INGOT_REDUCE_MEAN && n->nb_inputs >= 1)
      st = try_layernorm(&m, i, &layernorm);
    else if (n->op == INGOT_OP_SOFTMAX && fuse_attention_enabled())
      st = try_attention(&m, i, &attention);
  }
  if (st == INGOT_SUCCESS && silu + gelu + layernorm + attention > 0) {
    st = ingot_graph_compact(g, m.dead);
    if (st == INGOT_SUCCESS) st = ingot_build_infer_all(build);
    ingot_log(build->logger, INGOT_SEVERITY_INFO,
              "patterns: %d SiLU and %d GELU chain(s) made single activations, %d layer normalization(s) and %d "
              "attention(s) one layer each",
              silu, gelu, layernorm, attention);
  }
  free(m.r.count);
  free(m.r.node);
  free(m.dead);
  return st;
}
