/* Shape inference of plugin layers: output dtypes from the plugin, output dims from its
 * dim expressions evaluated at the concrete input dims (plugin/dim_expr.c). */
#include "core/error.h"
#include "ops/graph.h"
#include "plugin/plugin_internal.h"

ingot_status ingot_infer_plugin(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  ingot_plugin *p = node->plugin;
  if (!p) return ingot_node_fail(node, INGOT_INVALID_GRAPH, "plugin layer without a plugin");
  char who[INGOT_PLUGIN_MAX_NAME * 3 + 64];
  if (!ingot_plugin_is_instantiated(p))
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "%s is not loaded", ingot_plugin_describe(p, who, sizeof who));
  if (node->nb_inputs > INGOT_PLUGIN_MAX_INPUTS || node->nb_outputs != p->nb_outputs)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "%d inputs and %d outputs; %s has %d outputs, at most %d inputs",
                           node->nb_inputs, node->nb_outputs, ingot_plugin_describe(p, who, sizeof who), p->nb_outputs,
                           INGOT_PLUGIN_MAX_INPUTS);
  ingot_dtype in_dtypes[INGOT_PLUGIN_MAX_INPUTS], out_dtypes[INGOT_PLUGIN_MAX_OUTPUTS];
  ingot_dims in_dims[INGOT_PLUGIN_MAX_INPUTS], out_dims[INGOT_PLUGIN_MAX_OUTPUTS];
  for (int32_t k = 0; k < node->nb_inputs; k++) {
    if (inputs[k].dims.nb_dims < 0) return ingot_node_fail(node, INGOT_INVALID_GRAPH, "input %d is absent", k);
    in_dtypes[k] = inputs[k].dtype;
    in_dims[k] = inputs[k].dims;
  }
  for (int32_t k = 0; k < node->nb_outputs; k++) out_dtypes[k] = outputs[k].dtype;
  ingot_status st =
      p->inst.vtbl->get_output_dtypes(p->inst.self, in_dtypes, node->nb_inputs, out_dtypes, node->nb_outputs);
  if (st != INGOT_SUCCESS)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "%s: get_output_dtypes failed (%s)",
                           ingot_plugin_describe(p, who, sizeof who), ingot_status_name(st));
  for (int32_t k = 0; k < node->nb_outputs; k++)
    if ((int)out_dtypes[k] < 0 || out_dtypes[k] >= INGOT_DTYPE_COUNT)
      return ingot_node_fail(node, INGOT_INVALID_GRAPH, "%s: output %d has dtype %d, out of range",
                             ingot_plugin_describe(p, who, sizeof who), k, (int)out_dtypes[k]);
  INGOT_TRY(ingot_plugin_eval_output_dims(p, node->name, in_dims, node->nb_inputs, out_dims, node->nb_outputs));
  for (int32_t k = 0; k < node->nb_outputs; k++) {
    outputs[k].dtype = out_dtypes[k];
    outputs[k].dims = out_dims[k];
  }
  return INGOT_SUCCESS;
}
