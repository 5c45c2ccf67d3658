/* Half precision on device targets: with the FP16 (or BF16) flag, a float32 network runs
 * in half inside and keeps float32 at its edges, as TensorRT does. Network inputs get a
 * cast to half after them, outputs a cast back to float32 before them, float32 constants
 * that feed computing layers are converted once, and casts/fills that make float32 make
 * half. The precision pass that follows wraps any layer without a half tactic in casts
 * (float32 compute), so correctness never depends on a half tactic existing.
 *
 * Constants read on the host as values (a Resize's scales, a Range's bounds) stay
 * float32: converting them could change the shapes they decide. If the converted graph
 * does not infer (a layer that would see float32 and half together), the pass logs why and
 * leaves the network in float32. The CPU target computes in float32 anyway, so the pass
 * runs for device targets only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/builder_internal.h"
#include "core/dims.h"
#include "core/error.h"
#include "core/logger.h"

/* Layers whose every input is data the kernel computes with (no host-read values). */
static bool computes_on_all_inputs(ingot_op op) {
  switch (op) {
    case INGOT_OP_CONVOLUTION:
    case INGOT_OP_DECONVOLUTION:
    case INGOT_OP_MATRIX_MULTIPLY:
    case INGOT_OP_FULLY_CONNECTED:
    case INGOT_OP_ELEMENTWISE:
    case INGOT_OP_SCALE:
    case INGOT_OP_BATCH_NORMALIZATION:
    case INGOT_OP_LAYER_NORMALIZATION:
    case INGOT_OP_PARAMETRIC_RELU:
    case INGOT_OP_CONCATENATION:
    case INGOT_OP_ACTIVATION:
    case INGOT_OP_UNARY:
    case INGOT_OP_SOFTMAX:
    case INGOT_OP_POOLING:
    case INGOT_OP_REDUCE:
    case INGOT_OP_IDENTITY:
    case INGOT_OP_ATTENTION: /* a bool mask is not float: the pass leaves it */
      return true;
    default:
      return false;
  }
}

/* Whether input k of a node of kind `op` is float data it computes with. */
static bool is_data_input(ingot_op op, int32_t k) {
  if (computes_on_all_inputs(op)) return true;
  switch (op) {
    case INGOT_OP_SELECT:
      return k >= 1; /* [condition, then, else] */
    case INGOT_OP_SHUFFLE:
    case INGOT_OP_SLICE:
    case INGOT_OP_GATHER:
    case INGOT_OP_GATHER_ELEMENTS:
    case INGOT_OP_GATHER_ND:
    case INGOT_OP_PADDING:
    case INGOT_OP_EXPAND:
    case INGOT_OP_TILE:
    case INGOT_OP_RESIZE:
    case INGOT_OP_TOPK:
    case INGOT_OP_CUMULATIVE:
    case INGOT_OP_SCATTER:
      return k == 0 || (op == INGOT_OP_SCATTER && k == 2);
    default:
      return false;
  }
}

static ingot_status add_cast_node(ingot_graph *g, int32_t position, int32_t src, int32_t dst, ingot_dtype to) {
  ingot_op_params params;
  memset(&params, 0, sizeof params);
  params.cast.to = to;
  char name[600];
  snprintf(name, sizeof name, "%s.cast", g->tensors[dst].name);
  int32_t idx;
  INGOT_TRY(ingot_graph_insert_node(g, position, name, INGOT_OP_CAST, &params, &src, 1, &idx));
  g->nodes[idx].nb_outputs = 1;
  g->nodes[idx].outputs[0] = dst;
  g->tensors[dst].producer = idx;
  return INGOT_SUCCESS;
}

static ingot_status new_activation(ingot_graph *g, int32_t like, const char *suffix, ingot_dtype dtype, int32_t *out) {
  char name[600];
  snprintf(name, sizeof name, "%s.%s", g->tensors[like].name, suffix);
  ingot_dims unknown = {.nb_dims = -1};
  return ingot_graph_add_tensor(g, name, dtype, &unknown, INGOT_TENSOR_KIND_ACTIVATION, out);
}

/* A float32 constant is converted when every node that reads it computes with it. */
static bool convertible_constant(const ingot_graph *g, int32_t t) {
  bool used = false;
  for (int32_t i = 0; i < g->nb_nodes; i++)
    for (int32_t k = 0; k < g->nodes[i].nb_inputs; k++)
      if (g->nodes[i].inputs[k] == t) {
        if (!is_data_input(g->nodes[i].op, k)) return false;
        used = true;
      }
  return used;
}

static ingot_status convert_constant(ingot_graph *g, int32_t t, ingot_dtype half) {
  ingot_graph_tensor *x = &g->tensors[t];
  int64_t n = ingot_dims_volume(&x->dims);
  if (n < 0) return INGOT_SUCCESS;
  uint16_t *data = malloc((size_t)(n > 0 ? n : 1) * sizeof(uint16_t));
  if (!data) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory converting constant '%s' to half", x->name);
  const float *src = x->data;
  for (int64_t e = 0; e < n; e++) data[e] = half == INGOT_FLOAT16 ? ingot_f32_to_f16(src[e]) : ingot_f32_to_bf16(src[e]);
  x->dtype = half;
  ingot_status st = ingot_graph_set_constant(g, t, data, (uint64_t)n * sizeof(uint16_t));
  free(data);
  return st;
}

static ingot_status lower(ingot_build *build, ingot_dtype half, int32_t *converted) {
  ingot_graph *g = build->graph;
  *converted = 0;
  /* inputs: consumers read a half copy */
  for (int32_t i = 0; i < g->nb_inputs; i++) {
    int32_t t = g->inputs[i];
    if (g->tensors[t].dtype != INGOT_FLOAT32) continue;
    int32_t h;
    INGOT_TRY(new_activation(g, t, "half", half, &h));
    for (int32_t n = 0; n < g->nb_nodes; n++)
      for (int32_t k = 0; k < g->nodes[n].nb_inputs; k++)
        if (g->nodes[n].inputs[k] == t) g->nodes[n].inputs[k] = h;
    INGOT_TRY(add_cast_node(g, 0, t, h, half));
  }
  /* constants */
  for (int32_t t = 0; t < g->nb_tensors; t++)
    if (g->tensors[t].kind == INGOT_TENSOR_KIND_CONSTANT && g->tensors[t].dtype == INGOT_FLOAT32 &&
        g->tensors[t].data && convertible_constant(g, t)) {
      INGOT_TRY(convert_constant(g, t, half));
      (*converted)++;
    }
  /* layers that make float32 make half */
  for (int32_t n = 0; n < g->nb_nodes; n++) {
    ingot_node *node = &g->nodes[n];
    if (node->op == INGOT_OP_CAST && node->params.cast.to == INGOT_FLOAT32) node->params.cast.to = half;
    if (node->op == INGOT_OP_FILL && node->params.fill.dtype == INGOT_FLOAT32) node->params.fill.dtype = half;
  }
  /* outputs: the producer writes a half tensor that a cast turns back into float32 */
  for (int32_t o = 0; o < g->nb_outputs; o++) {
    int32_t t = g->outputs[o];
    int32_t p = g->tensors[t].producer;
    if (p < 0 || build->shape_dtypes[build->opt_set][t] != INGOT_FLOAT32) continue;
    int32_t h;
    INGOT_TRY(new_activation(g, t, "half", half, &h));
    ingot_node *prod = &g->nodes[p];
    for (int32_t k = 0; k < prod->nb_outputs; k++)
      if (prod->outputs[k] == t) prod->outputs[k] = h;
    g->tensors[h].producer = p;
    for (int32_t n = 0; n < g->nb_nodes; n++) /* later readers of the output read the half copy */
      for (int32_t k = 0; k < g->nodes[n].nb_inputs; k++)
        if (g->nodes[n].inputs[k] == t) g->nodes[n].inputs[k] = h;
    INGOT_TRY(add_cast_node(g, p + 1, h, t, INGOT_FLOAT32));
  }
  return ingot_build_infer_all(build);
}

ingot_status ingot_pass_lower_half(ingot_build *build) {
  const ingot_builder_config *config = build->config;
  bool fp16 = config->flags & (1u << INGOT_BUILDER_FLAG_FP16);
  bool bf16 = config->flags & (1u << INGOT_BUILDER_FLAG_BF16);
  if (!build->backend->device || !(fp16 || bf16)) return INGOT_SUCCESS;
  ingot_dtype half = fp16 ? INGOT_FLOAT16 : INGOT_BFLOAT16;
  ingot_graph *saved;
  INGOT_TRY(ingot_graph_copy(build->graph, &saved));
  int32_t converted = 0;
  ingot_status st = lower(build, half, &converted);
  if (st == INGOT_SUCCESS) {
    ingot_graph_destroy(saved);
    ingot_log(build->logger, INGOT_SEVERITY_INFO, "precision: layers compute in %s (%d constants converted)",
              ingot_dtype_name(half), converted);
    return INGOT_SUCCESS;
  }
  char fallback[96];
  snprintf(fallback, sizeof fallback, "precision: the network stays in float32: in %s", ingot_dtype_name(half));
  return ingot_build_roll_back(build, saved, st, fallback);
}
