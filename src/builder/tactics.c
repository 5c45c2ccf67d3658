/* Tactic choice: each node gets the backend's tactic that supports it at the opt shapes
 * and fits the workspace limit; its build-time preparation (weight packing) runs here so
 * the plan carries the result. */
#include <stdlib.h>
#include <string.h>

#include "builder/builder_internal.h"
#include "core/alloc.h"
#include "core/dims.h"
#include "core/error.h"
#include "core/logger.h"

static ingot_status choose(ingot_build *build, int32_t index) {
  ingot_graph *g = build->graph;
  ingot_node *n = &g->nodes[index];
  const ingot_dims *dims = build->shape_dims[build->opt_set];
  const ingot_dtype *dtypes = build->shape_dtypes[build->opt_set];
  ingot_tensor_view *in = ingot_calloc((size_t)n->nb_inputs + 1, sizeof *in);
  if (!in) return INGOT_OUT_OF_MEMORY;
  ingot_tensor_view out[INGOT_MAX_OUTPUTS];
  memset(out, 0, sizeof out);
  for (int32_t k = 0; k < n->nb_inputs; k++) {
    if (n->inputs[k] < 0) {
      in[k].dims.nb_dims = -1;
      continue;
    }
    in[k].dtype = dtypes[n->inputs[k]];
    in[k].dims = dims[n->inputs[k]];
    in[k].data = g->tensors[n->inputs[k]].data; /* constants only */
  }
  for (int32_t k = 0; k < n->nb_outputs; k++) {
    out[k].dtype = dtypes[n->outputs[k]];
    out[k].dims = dims[n->outputs[k]];
  }
  ingot_kernel_args args;
  memset(&args, 0, sizeof args);
  args.node = n;
  args.params = &n->params;
  args.nb_inputs = n->nb_inputs;
  args.inputs = in;
  args.nb_outputs = n->nb_outputs;
  args.outputs = out;
  const ingot_tactic *chosen = NULL;
  bool over_limit = false;
  for (int32_t i = 0; i < build->backend->nb_tactics && !chosen; i++) {
    const ingot_tactic *t = &build->backend->tactics[i];
    if (t->op != n->op || (t->supports && !t->supports(n, in, out))) continue;
    uint64_t ws = t->workspace_size ? t->workspace_size(&args) : 0;
    if (ws > build->config->workspace_limit) {
      over_limit = true;
      ingot_log(build->logger, INGOT_SEVERITY_VERBOSE, "layer '%s': tactic %s needs %llu workspace bytes, over the limit",
                n->name, t->name, (unsigned long long)ws);
      continue;
    }
    chosen = t;
  }
  ingot_status st = INGOT_SUCCESS;
  if (!chosen) {
    char d[INGOT_DIMS_STR_SIZE];
    const char *first = n->nb_inputs > 0 && n->inputs[0] >= 0 ? ingot_dtype_name(in[0].dtype) : "none";
    st = over_limit ? ingot_node_fail(n, INGOT_OUT_OF_MEMORY,
                                      "every %s tactic needs more workspace than the limit of %llu bytes",
                                      build->backend->name, (unsigned long long)build->config->workspace_limit)
                    : ingot_node_fail(n, INGOT_UNSUPPORTED, "no %s tactic supports it (input dtype %s, output %s)",
                                      build->backend->name, first,
                                      n->nb_outputs ? ingot_dims_format(&out[0].dims, d, sizeof d) : "none");
  } else {
    n->tactic = chosen;
    if (chosen->prepare) {
      free(n->prepared);
      n->prepared = NULL;
      n->prepared_size = 0;
      st = chosen->prepare(&args, &n->prepared, &n->prepared_size);
    }
    ingot_log(build->logger, INGOT_SEVERITY_VERBOSE, "layer '%s' (%s): tactic %s", n->name,
              n->fused_name ? n->fused_name : ingot_op_name(n->op), chosen->name);
  }
  free(in);
  return st;
}

ingot_status ingot_pass_choose_tactics(ingot_build *build) {
  for (int32_t i = 0; i < build->graph->nb_nodes; i++) INGOT_TRY(choose(build, i));
  return INGOT_SUCCESS;
}
