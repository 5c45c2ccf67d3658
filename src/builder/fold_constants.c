/* Constant folding: a node whose inputs are all constants is run once at build time with
 * the CPU reference kernel, and its outputs become constants. */
#include <stdlib.h>
#include <string.h>

#include "builder/builder_internal.h"
#include "core/alloc.h"
#include "core/dims.h"
#include "core/error.h"
#include "core/logger.h"

/* Folding never makes a constant larger than this: a big broadcast of a small constant
 * is better computed at run time than stored in the plan. */
#define FOLD_MAX_BYTES (UINT64_C(64) << 20)

static const ingot_tactic *cpu_tactic_for(const ingot_node *node, const ingot_tensor_view *in,
                                          const ingot_tensor_view *out) {
  const ingot_backend *cpu = ingot_cpu_backend();
  for (int32_t i = 0; i < cpu->nb_tactics; i++) {
    const ingot_tactic *t = &cpu->tactics[i];
    if (t->op == node->op && (!t->supports || t->supports(node, in, out))) return t;
  }
  return NULL;
}

/* Outputs whose values shape inference computed, the same at every profile bound (shape
 * arithmetic on static dims): they become constants without running anything. */
static ingot_status fold_known_values(ingot_build *build, int32_t index, bool *folded) {
  ingot_graph *g = build->graph;
  ingot_node *node = &g->nodes[index];
  *folded = false;
  for (int32_t k = 0; k < node->nb_outputs; k++) {
    int32_t t = node->outputs[k];
    if (g->tensors[t].is_output) return INGOT_SUCCESS;
    const void *first = build->shape_values[0].data[t];
    if (!first) return INGOT_SUCCESS;
    uint64_t bytes = (uint64_t)ingot_dims_volume(&build->shape_dims[0][t]) * ingot_dtype_size(build->shape_dtypes[0][t]);
    for (int32_t s = 1; s < build->nb_shape_sets; s++) {
      const void *v = build->shape_values[s].data[t];
      if (!v || !ingot_dims_equal(&build->shape_dims[s][t], &build->shape_dims[0][t]) ||
          build->shape_dtypes[s][t] != build->shape_dtypes[0][t] || memcmp(v, first, (size_t)bytes) != 0)
        return INGOT_SUCCESS;
    }
  }
  for (int32_t k = 0; k < node->nb_outputs; k++) {
    int32_t t = node->outputs[k];
    g->tensors[t].dims = build->shape_dims[0][t];
    g->tensors[t].dtype = build->shape_dtypes[0][t];
    uint64_t bytes = (uint64_t)ingot_dims_volume(&g->tensors[t].dims) * ingot_dtype_size(g->tensors[t].dtype);
    INGOT_TRY(ingot_graph_set_constant(g, t, build->shape_values[0].data[t], bytes));
    g->tensors[t].producer = -1;
  }
  *folded = true;
  ingot_log(build->logger, INGOT_SEVERITY_VERBOSE, "folded layer '%s' (%s): its value follows from the shapes",
            node->name, ingot_op_name(node->op));
  return INGOT_SUCCESS;
}

static ingot_status fold_node(ingot_build *build, int32_t index, bool *folded) {
  ingot_graph *g = build->graph;
  ingot_node *node = &g->nodes[index];
  const ingot_dims *dims = build->shape_dims[build->opt_set];
  const ingot_dtype *dtypes = build->shape_dtypes[build->opt_set];
  *folded = false;
  /* A plugin is the user's code: it runs where the engine runs, never at build time. */
  if (node->op == INGOT_OP_PLUGIN) return INGOT_SUCCESS;
  if (node->nb_inputs == 0 || node->nb_inputs > 16) return INGOT_SUCCESS;
  for (int32_t k = 0; k < node->nb_inputs; k++) {
    int32_t t = node->inputs[k];
    if (t >= 0 && g->tensors[t].kind != INGOT_TENSOR_KIND_CONSTANT) return INGOT_SUCCESS;
  }
  for (int32_t k = 0; k < node->nb_outputs; k++) {
    int32_t t = node->outputs[k];
    if (g->tensors[t].is_output) return INGOT_SUCCESS; /* outputs stay written by a layer */
    int64_t vol = ingot_dims_volume(&dims[t]);
    if (vol < 0 || (uint64_t)vol * ingot_dtype_size(dtypes[t]) > FOLD_MAX_BYTES) return INGOT_SUCCESS;
  }
  ingot_tensor_view in[16], out[INGOT_MAX_OUTPUTS];
  memset(in, 0, sizeof in);
  memset(out, 0, sizeof out);
  for (int32_t k = 0; k < node->nb_inputs; k++) {
    int32_t t = node->inputs[k];
    if (t < 0) {
      in[k].dims.nb_dims = -1;
      continue;
    }
    in[k].dtype = g->tensors[t].dtype;
    in[k].dims = g->tensors[t].dims;
    in[k].data = g->tensors[t].data;
  }
  for (int32_t k = 0; k < node->nb_outputs; k++) {
    out[k].dtype = dtypes[node->outputs[k]];
    out[k].dims = dims[node->outputs[k]];
  }
  const ingot_tactic *tactic = cpu_tactic_for(node, in, out);
  if (!tactic) return INGOT_SUCCESS; /* e.g. float16 math: left to run time (after casts) */
  ingot_status st = INGOT_SUCCESS;
  for (int32_t k = 0; k < node->nb_outputs && st == INGOT_SUCCESS; k++) {
    out[k].data = ingot_aligned_alloc((size_t)ingot_dims_volume(&out[k].dims) * ingot_dtype_size(out[k].dtype));
    if (!out[k].data) st = INGOT_OUT_OF_MEMORY;
  }
  ingot_kernel_args args;
  memset(&args, 0, sizeof args);
  args.node = node;
  args.params = &node->params;
  args.nb_inputs = node->nb_inputs;
  args.inputs = in;
  args.nb_outputs = node->nb_outputs;
  args.outputs = out;
  ingot_dims real_dims[INGOT_MAX_OUTPUTS];
  for (int32_t k = 0; k < node->nb_outputs; k++) real_dims[k] = out[k].dims;
  args.output_dims = real_dims; /* a data-dependent op may fill less than its bound */
  void *workspace = NULL;
  if (st == INGOT_SUCCESS && tactic->workspace_size) {
    args.workspace_size = tactic->workspace_size(&args);
    workspace = ingot_aligned_alloc((size_t)args.workspace_size);
    if (!workspace) st = INGOT_OUT_OF_MEMORY;
    args.workspace = workspace;
  }
  if (st == INGOT_SUCCESS) st = tactic->run(&args);
  for (int32_t k = 0; k < node->nb_outputs && st == INGOT_SUCCESS; k++) {
    int32_t t = node->outputs[k];
    g->tensors[t].dims = real_dims[k];
    g->tensors[t].dtype = out[k].dtype;
    st = ingot_graph_set_constant(g, t, out[k].data,
                                  (uint64_t)ingot_dims_volume(&real_dims[k]) * ingot_dtype_size(out[k].dtype));
    g->tensors[t].producer = -1;
  }
  for (int32_t k = 0; k < node->nb_outputs; k++) ingot_aligned_free(out[k].data);
  ingot_aligned_free(workspace);
  if (st == INGOT_SUCCESS) {
    *folded = true;
    ingot_log(build->logger, INGOT_SEVERITY_VERBOSE, "folded constant layer '%s' (%s)", node->name,
              ingot_op_name(node->op));
  }
  return st;
}

ingot_status ingot_pass_fold_constants(ingot_build *build) {
  ingot_graph *g = build->graph;
  uint8_t *remove = ingot_calloc((size_t)g->nb_nodes + 1, 1);
  if (!remove) return INGOT_OUT_OF_MEMORY;
  int32_t count = 0;
  ingot_status st = INGOT_SUCCESS;
  for (int32_t i = 0; i < g->nb_nodes && st == INGOT_SUCCESS; i++) {
    bool folded = false;
    st = fold_known_values(build, i, &folded);
    if (st == INGOT_SUCCESS && !folded) st = fold_node(build, i, &folded);
    if (folded) {
      remove[i] = 1;
      count++;
    }
  }
  if (st == INGOT_SUCCESS && count) {
    st = ingot_graph_compact(g, remove);
    if (st == INGOT_SUCCESS) st = ingot_build_infer_all(build);
    ingot_log(build->logger, INGOT_SEVERITY_INFO, "constant folding: %d layer(s) folded", count);
  }
  free(remove);
  return st;
}
