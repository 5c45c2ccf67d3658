/* Fusion: a convolution, deconvolution, fully connected or matrix multiply absorbs
 *   - a batch normalization that follows it (folded into its constant weights and bias),
 *   - an elementwise sum with a tensor of its output's shape (the residual add),
 *   - an activation that follows,
 * so that ResNet's conv + bn + add + relu runs as one layer. A producer absorbs a
 * follower only when the follower is the one reader of its output. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/builder_internal.h"
#include "core/alloc.h"
#include "core/dims.h"
#include "core/error.h"
#include "core/logger.h"

static bool is_producer_op(ingot_op op) {
  return op == INGOT_OP_CONVOLUTION || op == INGOT_OP_DECONVOLUTION || op == INGOT_OP_FULLY_CONNECTED ||
         op == INGOT_OP_MATRIX_MULTIPLY;
}

static ingot_epilogue *epilogue_of(ingot_node *n) {
  switch (n->op) {
    case INGOT_OP_CONVOLUTION:
    case INGOT_OP_DECONVOLUTION: return &n->params.conv.epilogue;
    case INGOT_OP_FULLY_CONNECTED: return &n->params.fc.epilogue;
    case INGOT_OP_MATRIX_MULTIPLY: return &n->params.matmul.epilogue;
    default: return NULL;
  }
}

static int32_t *has_bias_of(ingot_node *n) {
  switch (n->op) {
    case INGOT_OP_CONVOLUTION:
    case INGOT_OP_DECONVOLUTION: return &n->params.conv.has_bias;
    case INGOT_OP_FULLY_CONNECTED: return &n->params.fc.has_bias;
    case INGOT_OP_MATRIX_MULTIPLY: return &n->params.matmul.has_bias;
    default: return NULL;
  }
}

/* The single node reading tensor t (not a graph output), or -1. */
static int32_t sole_reader(const ingot_graph *g, int32_t t, int32_t *slot_out) {
  if (g->tensors[t].is_output) return -1;
  int32_t reader = -1;
  for (int32_t i = 0; i < g->nb_nodes; i++)
    for (int32_t k = 0; k < g->nodes[i].nb_inputs; k++)
      if (g->nodes[i].inputs[k] == t) {
        if (reader >= 0) return -1;
        reader = i;
        *slot_out = k;
      }
  return reader;
}

static bool is_f32_constant(const ingot_graph *g, int32_t t) {
  return t >= 0 && g->tensors[t].kind == INGOT_TENSOR_KIND_CONSTANT && g->tensors[t].dtype == INGOT_FLOAT32;
}

static ingot_status append_fused_name(ingot_node *n, const char *part) {
  const char *base = n->fused_name ? n->fused_name : ingot_op_name(n->op);
  size_t len = strlen(base) + strlen(part) + 2;
  char *name = malloc(len);
  if (!name) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory");
  snprintf(name, len, "%s+%s", base, part);
  free(n->fused_name);
  n->fused_name = name;
  return INGOT_SUCCESS;
}

/* The follower's output becomes the producer's output; the follower is left dead. */
static void take_output(ingot_graph *g, int32_t producer, int32_t follower) {
  int32_t old_out = g->nodes[producer].outputs[0];
  int32_t new_out = g->nodes[follower].outputs[0];
  g->nodes[producer].outputs[0] = new_out;
  g->tensors[new_out].producer = producer;
  g->nodes[follower].outputs[0] = old_out;
  g->tensors[old_out].producer = follower;
}

/* Folds batch norm (scale s = gamma / sqrt(var + eps), shift = beta - mean * s) into the
 * producer's weights: output channel c is multiplied by s[c] and shifted. */
static ingot_status fold_batchnorm(ingot_build *build, int32_t pi, int32_t bi, bool *done) {
  ingot_graph *g = build->graph;
  ingot_node *p = &g->nodes[pi], *bn = &g->nodes[bi];
  *done = false;
  if (p->op == INGOT_OP_MATRIX_MULTIPLY) return INGOT_SUCCESS;
  int32_t w = p->inputs[1];
  if (!is_f32_constant(g, w)) return INGOT_SUCCESS;
  for (int32_t k = 1; k < 5; k++)
    if (!is_f32_constant(g, bn->inputs[k])) return INGOT_SUCCESS;
  int32_t *has_bias = has_bias_of(p);
  if (*has_bias && !is_f32_constant(g, p->inputs[2])) return INGOT_SUCCESS;
  int64_t channels = p->op == INGOT_OP_FULLY_CONNECTED ? p->params.fc.num_outputs : p->params.conv.num_output_maps;
  if (ingot_dims_volume(&g->tensors[bn->inputs[1]].dims) != channels) return INGOT_SUCCESS;
  const float *gamma = g->tensors[bn->inputs[1]].data, *beta = g->tensors[bn->inputs[2]].data;
  const float *mean = g->tensors[bn->inputs[3]].data, *var = g->tensors[bn->inputs[4]].data;
  float eps = bn->params.batchnorm.epsilon;
  int64_t wcount = ingot_dims_volume(&g->tensors[w].dims);
  if (wcount <= 0 || wcount % channels) return INGOT_SUCCESS;

  float *nw = malloc((size_t)wcount * sizeof(float)), *nb = malloc((size_t)channels * sizeof(float));
  if (!nw || !nb) {
    free(nw), free(nb);
    return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory folding batch norm");
  }
  memcpy(nw, g->tensors[w].data, (size_t)wcount * sizeof(float));
  const float *ob = *has_bias ? g->tensors[p->inputs[2]].data : NULL;
  for (int64_t c = 0; c < channels; c++) {
    float s = gamma[c] / sqrtf(var[c] + eps);
    nb[c] = ((ob ? ob[c] : 0.0f) - mean[c]) * s + beta[c];
    if (p->op == INGOT_OP_DECONVOLUTION) {
      /* weights [C, K/groups, k...]: output channel c = group * (K/groups) + j */
      int64_t groups = p->params.conv.groups, kpg = channels / groups;
      int64_t in_channels = g->tensors[w].dims.d[0], cpg = in_channels / groups;
      int64_t ksize = wcount / (in_channels * kpg);
      int64_t grp = c / kpg, j = c % kpg;
      for (int64_t ci = grp * cpg; ci < (grp + 1) * cpg; ci++)
        for (int64_t e = 0; e < ksize; e++) nw[(ci * kpg + j) * ksize + e] *= s;
    } else {
      int64_t per = wcount / channels; /* conv [K, C/g, k...] and fc [K, in]: row c */
      for (int64_t e = 0; e < per; e++) nw[c * per + e] *= s;
    }
  }
  /* New constants, so that weights shared with another layer stay as they were. */
  char name[512];
  int32_t wt, bt;
  ingot_status st;
  snprintf(name, sizeof name, "%s.kernel_bn", p->name);
  ingot_dims wd = g->tensors[w].dims;
  st = ingot_graph_add_tensor(g, name, INGOT_FLOAT32, &wd, INGOT_TENSOR_KIND_CONSTANT, &wt);
  if (st == INGOT_SUCCESS) st = ingot_graph_set_constant(g, wt, nw, (uint64_t)wcount * sizeof(float));
  ingot_dims bd = ingot_dims_make(1, &channels);
  snprintf(name, sizeof name, "%s.bias_bn", p->name);
  if (st == INGOT_SUCCESS) st = ingot_graph_add_tensor(g, name, INGOT_FLOAT32, &bd, INGOT_TENSOR_KIND_CONSTANT, &bt);
  if (st == INGOT_SUCCESS) st = ingot_graph_set_constant(g, bt, nb, (uint64_t)channels * sizeof(float));
  free(nw), free(nb);
  if (st != INGOT_SUCCESS) return st;
  p = &g->nodes[pi]; /* add_tensor may not move nodes, but stay safe */
  p->inputs[1] = wt;
  if (*has_bias_of(p)) {
    p->inputs[2] = bt;
  } else {
    int32_t *inputs = ingot_realloc_array(p->inputs, (size_t)p->nb_inputs + 1, sizeof(int32_t));
    if (!inputs) return INGOT_OUT_OF_MEMORY;
    p->inputs = inputs;
    memmove(&p->inputs[3], &p->inputs[2], (size_t)(p->nb_inputs - 2) * sizeof(int32_t));
    p->inputs[2] = bt;
    p->nb_inputs++;
    *has_bias_of(p) = 1;
  }
  take_output(g, pi, bi);
  INGOT_TRY(append_fused_name(p, "batch_normalization"));
  *done = true;
  return INGOT_SUCCESS;
}

/* Residual: the producer adds `other` (same dims at every profile bound, produced
 * earlier) before its activation. */
static ingot_status fuse_residual(ingot_build *build, int32_t pi, int32_t ai, int32_t slot, bool *done) {
  ingot_graph *g = build->graph;
  ingot_node *p = &g->nodes[pi], *add = &g->nodes[ai];
  *done = false;
  if (add->params.elementwise.op != INGOT_ELEMENTWISE_SUM) return INGOT_SUCCESS;
  ingot_epilogue *e = epilogue_of(p);
  if (e->has_residual || e->activation >= 0) return INGOT_SUCCESS;
  int32_t other = add->inputs[1 - slot], out = p->outputs[0];
  if (other == out || g->tensors[other].producer >= pi) return INGOT_SUCCESS;
  for (int32_t s = 0; s < build->nb_shape_sets; s++) {
    if (!ingot_dims_equal(&build->shape_dims[s][other], &build->shape_dims[s][out])) return INGOT_SUCCESS;
    if (build->shape_dtypes[s][other] != build->shape_dtypes[s][out]) return INGOT_SUCCESS;
    if (!ingot_dims_equal(&build->shape_dims[s][add->outputs[0]], &build->shape_dims[s][out])) return INGOT_SUCCESS;
  }
  int32_t *inputs = ingot_realloc_array(p->inputs, (size_t)p->nb_inputs + 1, sizeof(int32_t));
  if (!inputs) return INGOT_OUT_OF_MEMORY;
  p->inputs = inputs;
  p->inputs[p->nb_inputs++] = other;
  e->has_residual = 1;
  take_output(g, pi, ai);
  INGOT_TRY(append_fused_name(p, "elementwise_sum"));
  *done = true;
  return INGOT_SUCCESS;
}

/* Bias of a matrix multiply: an exporter's MatMul -> Add(constant [N] or [1, ..., N])
 * becomes the multiply's bias (input 2), which its GEMM applies in the epilogue; this also
 * lets an activation after the Add (BERT's and GPT's GELU) fuse in. The constant must
 * broadcast to the product without changing its dims. */
static ingot_status fuse_matmul_bias(ingot_build *build, int32_t pi, int32_t ai, int32_t slot, bool *done) {
  ingot_graph *g = build->graph;
  ingot_node *p = &g->nodes[pi], *add = &g->nodes[ai];
  *done = false;
  if (p->op != INGOT_OP_MATRIX_MULTIPLY || add->params.elementwise.op != INGOT_ELEMENTWISE_SUM) return INGOT_SUCCESS;
  ingot_epilogue *e = epilogue_of(p);
  if (p->params.matmul.has_bias || e->has_residual || e->activation >= 0 || p->nb_inputs != 2) return INGOT_SUCCESS;
  int32_t bias = add->inputs[1 - slot], out = p->outputs[0];
  if (!is_f32_constant(g, bias) || bias == out) return INGOT_SUCCESS;
  const ingot_dims *bd = &g->tensors[bias].dims;
  for (int32_t s = 0; s < build->nb_shape_sets; s++) {
    const ingot_dims *od = &build->shape_dims[s][out];
    if (build->shape_dtypes[s][out] != INGOT_FLOAT32 || bd->nb_dims > od->nb_dims) return INGOT_SUCCESS;
    if (!ingot_dims_equal(&build->shape_dims[s][add->outputs[0]], od)) return INGOT_SUCCESS;
    for (int32_t k = 1; k <= bd->nb_dims; k++) {
      int64_t b = bd->d[bd->nb_dims - k], o = od->d[od->nb_dims - k];
      if (b != 1 && b != o) return INGOT_SUCCESS;
    }
  }
  int32_t *inputs = ingot_realloc_array(p->inputs, 3, sizeof(int32_t));
  if (!inputs) return INGOT_OUT_OF_MEMORY;
  p->inputs = inputs;
  p->inputs[p->nb_inputs++] = bias;
  p->params.matmul.has_bias = 1;
  take_output(g, pi, ai);
  INGOT_TRY(append_fused_name(p, "bias"));
  *done = true;
  return INGOT_SUCCESS;
}

static ingot_status fuse_activation(ingot_build *build, int32_t pi, int32_t ai, bool *done) {
  ingot_graph *g = build->graph;
  ingot_node *p = &g->nodes[pi], *act = &g->nodes[ai];
  *done = false;
  ingot_epilogue *e = epilogue_of(p);
  if (e->activation >= 0) return INGOT_SUCCESS;
  int32_t out = p->outputs[0];
  for (int32_t s = 0; s < build->nb_shape_sets; s++)
    if (build->shape_dtypes[s][out] != INGOT_FLOAT32) return INGOT_SUCCESS;
  e->activation = act->params.activation.type;
  e->alpha = act->params.activation.alpha;
  e->beta = act->params.activation.beta;
  take_output(g, pi, ai);
  char part[64];
  snprintf(part, sizeof part, "%s", ingot_activation_type_name((ingot_activation_type)e->activation));
  INGOT_TRY(append_fused_name(p, part));
  *done = true;
  return INGOT_SUCCESS;
}

ingot_status ingot_pass_fuse(ingot_build *build) {
  ingot_graph *g = build->graph;
  uint8_t *dead = ingot_calloc((size_t)g->nb_nodes + 1, 1);
  if (!dead) return INGOT_OUT_OF_MEMORY;
  int32_t fused = 0;
  ingot_status st = INGOT_SUCCESS;
  for (int32_t i = 0; i < g->nb_nodes && st == INGOT_SUCCESS; i++) {
    if (!is_producer_op(g->nodes[i].op) || dead[i]) continue;
    for (;;) {
      int32_t slot = 0, r = sole_reader(g, g->nodes[i].outputs[0], &slot);
      if (r < 0 || dead[r]) break;
      bool done = false;
      ingot_op op = g->nodes[r].op;
      if (op == INGOT_OP_BATCH_NORMALIZATION && slot == 0) st = fold_batchnorm(build, i, r, &done);
      else if (op == INGOT_OP_ELEMENTWISE) {
        st = fuse_matmul_bias(build, i, r, slot, &done);
        if (st == INGOT_SUCCESS && !done) st = fuse_residual(build, i, r, slot, &done);
      }
      else if (op == INGOT_OP_ACTIVATION) st = fuse_activation(build, i, r, &done);
      if (st != INGOT_SUCCESS || !done) break;
      dead[r] = 1;
      fused++;
    }
  }
  if (st == INGOT_SUCCESS && fused) {
    st = ingot_graph_compact(g, dead);
    if (st == INGOT_SUCCESS) st = ingot_build_infer_all(build);
    ingot_log(build->logger, INGOT_SEVERITY_INFO, "fusion: %d layer(s) merged into their producers", fused);
  }
  free(dead);
  return st;
}
