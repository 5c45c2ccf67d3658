/* Precision: where no tactic computes a node in float16/bfloat16, the node computes in
 * float32 between casts (constant inputs are converted once, here). This is how the CPU
 * target runs half-precision networks: storage in half, math in float32. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/builder_internal.h"
#include "core/alloc.h"
#include "core/dims.h"
#include "core/error.h"
#include "core/logger.h"

static bool is_half(ingot_dtype d) { return d == INGOT_FLOAT16 || d == INGOT_BFLOAT16; }

/* Views of a node's inputs and outputs at the opt shapes (no data). */
static void node_views(const ingot_build *build, const ingot_node *n, ingot_tensor_view *in, ingot_tensor_view *out) {
  const ingot_dims *dims = build->shape_dims[build->opt_set];
  const ingot_dtype *dtypes = build->shape_dtypes[build->opt_set];
  for (int32_t k = 0; k < n->nb_inputs; k++) {
    memset(&in[k], 0, sizeof in[k]);
    if (n->inputs[k] < 0) {
      in[k].dims.nb_dims = -1;
      continue;
    }
    in[k].dtype = dtypes[n->inputs[k]];
    in[k].dims = dims[n->inputs[k]];
    in[k].data = build->graph->tensors[n->inputs[k]].data;
  }
  for (int32_t k = 0; k < n->nb_outputs; k++) {
    memset(&out[k], 0, sizeof out[k]);
    out[k].dtype = dtypes[n->outputs[k]];
    out[k].dims = dims[n->outputs[k]];
  }
}

bool ingot_build_node_supported(const ingot_build *build, const ingot_node *n);
bool ingot_build_node_supported(const ingot_build *build, const ingot_node *n) {
  ingot_tensor_view stack_in[32], out[INGOT_MAX_OUTPUTS];
  ingot_tensor_view *in = stack_in;
  if (n->nb_inputs > 32) {
    in = calloc((size_t)n->nb_inputs, sizeof *in);
    if (!in) return false;
  }
  node_views(build, n, in, out);
  bool ok = false;
  for (int32_t i = 0; i < build->backend->nb_tactics && !ok; i++) {
    const ingot_tactic *t = &build->backend->tactics[i];
    ok = t->op == n->op && (!t->supports || t->supports(n, in, out));
  }
  if (in != stack_in) free(in);
  return ok;
}

static ingot_status add_cast(ingot_graph *g, int32_t position, int32_t src, int32_t dst, ingot_dtype to) {
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

/* Node i reads float32 copies of its half inputs and writes float32 outputs that casts
 * turn back into the original tensors. Returns how many nodes were inserted before i. */
static ingot_status wrap_in_casts(ingot_build *build, int32_t i, int32_t *inserted_before, int32_t *inserted_after) {
  ingot_graph *g = build->graph;
  const ingot_dtype *dtypes = build->shape_dtypes[build->opt_set];
  *inserted_before = *inserted_after = 0;
  char name[600];
  for (int32_t k = 0; k < g->nodes[i + *inserted_before].nb_inputs; k++) {
    int32_t t = g->nodes[i + *inserted_before].inputs[k];
    if (t < 0 || !is_half(dtypes[t])) continue;
    int32_t nt;
    snprintf(name, sizeof name, "%s.float32", g->tensors[t].name);
    if (g->tensors[t].kind == INGOT_TENSOR_KIND_CONSTANT) {
      int64_t n = ingot_dims_volume(&g->tensors[t].dims);
      float *data = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
      if (!data) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory");
      for (int64_t e = 0; e < n; e++) data[e] = (float)ingot_load_as_double(g->tensors[t].data, g->tensors[t].dtype, e);
      ingot_dims d = g->tensors[t].dims;
      ingot_status st = ingot_graph_add_tensor(g, name, INGOT_FLOAT32, &d, INGOT_TENSOR_KIND_CONSTANT, &nt);
      if (st == INGOT_SUCCESS) st = ingot_graph_set_constant(g, nt, data, (uint64_t)n * sizeof(float));
      free(data);
      INGOT_TRY(st);
    } else {
      ingot_dims unknown = {.nb_dims = -1};
      INGOT_TRY(ingot_graph_add_tensor(g, name, INGOT_FLOAT32, &unknown, INGOT_TENSOR_KIND_ACTIVATION, &nt));
      INGOT_TRY(add_cast(g, i + *inserted_before, t, nt, INGOT_FLOAT32));
      (*inserted_before)++;
    }
    g->nodes[i + *inserted_before].inputs[k] = nt;
  }
  int32_t at = i + *inserted_before;
  for (int32_t k = 0; k < g->nodes[at].nb_outputs; k++) {
    int32_t t = g->nodes[at].outputs[k];
    if (!is_half(dtypes[t])) continue;
    snprintf(name, sizeof name, "%s.float32", g->tensors[t].name);
    ingot_dims unknown = {.nb_dims = -1};
    int32_t nt;
    INGOT_TRY(ingot_graph_add_tensor(g, name, INGOT_FLOAT32, &unknown, INGOT_TENSOR_KIND_ACTIVATION, &nt));
    g->nodes[at].outputs[k] = nt;
    g->tensors[nt].producer = at;
    INGOT_TRY(add_cast(g, at + 1 + *inserted_after, nt, t, dtypes[t]));
    (*inserted_after)++;
  }
  return INGOT_SUCCESS;
}

ingot_status ingot_pass_precision(ingot_build *build) {
  ingot_graph *g = build->graph;
  int32_t wrapped = 0;
  for (int32_t i = 0; i < g->nb_nodes; i++) {
    const ingot_node *n = &g->nodes[i];
    if (ingot_build_node_supported(build, n)) continue;
    bool any_half = false;
    const ingot_dtype *dtypes = build->shape_dtypes[build->opt_set];
    for (int32_t k = 0; k < n->nb_inputs; k++)
      if (n->inputs[k] >= 0 && is_half(dtypes[n->inputs[k]])) any_half = true;
    for (int32_t k = 0; k < n->nb_outputs; k++)
      if (is_half(dtypes[n->outputs[k]])) any_half = true;
    if (!any_half) continue; /* tactic choice reports it */
    int32_t before, after;
    INGOT_TRY(wrap_in_casts(build, i, &before, &after));
    wrapped++;
    /* shapes are stale for the new tensors: recompute before looking at later nodes */
    INGOT_TRY(ingot_build_infer_all(build));
    i += before + after;
  }
  if (wrapped)
    ingot_log(build->logger, INGOT_SEVERITY_INFO,
              "precision: %d layer(s) compute in float32 between casts (no half-precision kernel on this target)",
              wrapped);
  return INGOT_SUCCESS;
}
