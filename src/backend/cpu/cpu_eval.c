/* Host evaluation of one node with the CPU reference kernels: how shape inference computes
 * small values (shape arithmetic) and how the builder folds constants. */
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu_kernels.h"
#include "core/alloc.h"
#include "core/error.h"

ingot_status ingot_cpu_eval_node(const ingot_node *node, const ingot_value_info *inputs,
                                 const ingot_value_info *outputs, void *const *out_data) {
  enum { MAX_IN = 16 };
  if (node->nb_inputs > MAX_IN) return ingot_fail(INGOT_UNSUPPORTED, "too many inputs to evaluate");
  ingot_tensor_view in[MAX_IN], out[INGOT_MAX_OUTPUTS];
  memset(in, 0, sizeof in);
  memset(out, 0, sizeof out);
  for (int32_t k = 0; k < node->nb_inputs; k++) {
    in[k].dtype = inputs[k].dtype;
    in[k].dims = inputs[k].dims;
    in[k].data = (void *)inputs[k].data;
  }
  for (int32_t k = 0; k < node->nb_outputs; k++) {
    out[k].dtype = outputs[k].dtype;
    out[k].dims = outputs[k].dims;
    out[k].data = out_data[k];
  }
  const ingot_backend *cpu = ingot_cpu_backend();
  const ingot_tactic *tactic = NULL;
  for (int32_t i = 0; i < cpu->nb_tactics && !tactic; i++) {
    const ingot_tactic *t = &cpu->tactics[i];
    if (t->op == node->op && (!t->supports || t->supports(node, in, out))) tactic = t;
  }
  if (!tactic) return ingot_fail(INGOT_UNSUPPORTED, "no CPU kernel evaluates this node");
  ingot_kernel_args args = {.node = node, .params = &node->params, .nb_inputs = node->nb_inputs, .inputs = in,
                            .nb_outputs = node->nb_outputs, .outputs = out};
  void *workspace = NULL;
  if (tactic->workspace_size) {
    args.workspace_size = tactic->workspace_size(&args);
    workspace = ingot_aligned_alloc((size_t)args.workspace_size);
    if (!workspace) return INGOT_OUT_OF_MEMORY;
    args.workspace = workspace;
  }
  ingot_status st = tactic->run(&args);
  ingot_aligned_free(workspace);
  return st;
}

ingot_status ingot_graph_infer_shapes(const ingot_graph *graph, const ingot_dims *input_dims, ingot_dims *dims_out,
                                      ingot_dtype *dtypes_out) {
  ingot_value_store values;
  INGOT_TRY(ingot_value_store_init(&values, graph, ingot_cpu_eval_node));
  ingot_status st = ingot_graph_infer(graph, input_dims, dims_out, dtypes_out, &values);
  ingot_value_store_free(&values);
  return st;
}
