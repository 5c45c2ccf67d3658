/* Plugin layers (TensorRT's IPluginV3 layer): a node of op PLUGIN that owns a clone of the
 * instance. Its output dtypes are asked of the plugin here; its dims come from the
 * plugin's dim expressions in shape inference (ops/infer_plugin.c). */
#include <stdio.h>
#include <string.h>

#include "network/network_internal.h"
#include "plugin/plugin_internal.h"

/* Takes `plugin` (destroyed on failure). */
static ingot_status add_owned(ingot_network *network, ingot_tensor *const *inputs, int32_t nb_inputs,
                              ingot_plugin *plugin, const char *fn, ingot_layer **layer_out) {
  int32_t in[INGOT_PLUGIN_MAX_INPUTS];
  ingot_dtype in_dtypes[INGOT_PLUGIN_MAX_INPUTS], out_dtypes[INGOT_PLUGIN_MAX_OUTPUTS];
  char who[INGOT_PLUGIN_MAX_NAME * 3 + 64];
  ingot_plugin_describe(plugin, who, sizeof who);
  ingot_status st = INGOT_SUCCESS;
  for (int32_t k = 0; k < nb_inputs && st == INGOT_SUCCESS; k++) {
    char arg[32];
    snprintf(arg, sizeof arg, "inputs[%d]", (int)k);
    st = ingot_net_check_tensor(network, inputs[k], fn, arg);
    if (st == INGOT_SUCCESS) {
      in[k] = inputs[k]->index;
      in_dtypes[k] = ingot_net_tensor_dtype(network, inputs[k]);
    }
  }
  int32_t nb_outputs = plugin->nb_outputs;
  for (int32_t k = 0; k < nb_outputs; k++) out_dtypes[k] = INGOT_FLOAT32;
  if (st == INGOT_SUCCESS) {
    st = plugin->inst.vtbl->get_output_dtypes(plugin->inst.self, in_dtypes, nb_inputs, out_dtypes, nb_outputs);
    if (st != INGOT_SUCCESS)
      st = ingot_net_fail(network, st, "%s: %s: get_output_dtypes failed (%s)", fn, who, ingot_status_name(st));
  }
  for (int32_t k = 0; k < nb_outputs && st == INGOT_SUCCESS; k++)
    if ((int)out_dtypes[k] < 0 || out_dtypes[k] >= INGOT_DTYPE_COUNT)
      st = ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s gives output %d dtype %d, out of range", fn, who,
                          (int)k, (int)out_dtypes[k]);
  if (st != INGOT_SUCCESS) {
    ingot_plugin_destroy(plugin);
    return st;
  }
  ingot_op_params params;
  memset(&params, 0, sizeof params);
  params.plugin.nb_outputs = nb_outputs;
  ingot_net_layer layer;
  ingot_net_layer_begin(&layer, network, INGOT_OP_PLUGIN, 0, fn);
  /* named after the plugin ("LeakyClip_3"), as TensorRT names plugin layers */
  snprintf(layer.name, sizeof layer.name, "%.200s_%d", plugin->name, (int)network->graph->nb_nodes);
  st = ingot_net_layer_finish(&layer, &params, in, nb_inputs, out_dtypes, nb_outputs, layer_out);
  if (st != INGOT_SUCCESS) {
    ingot_plugin_destroy(plugin);
    return st;
  }
  network->graph->nodes[(*layer_out)->index].plugin = plugin;
  return INGOT_SUCCESS;
}

static ingot_status check_inputs(ingot_network *network, ingot_tensor *const *inputs, int32_t nb_inputs,
                                 const char *fn) {
  INGOT_NET_CHECK_NULL(network, inputs, fn);
  if (nb_inputs < 1 || nb_inputs > INGOT_PLUGIN_MAX_INPUTS)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: nb_inputs is %d, expected 1 to %d", fn, (int)nb_inputs,
                          INGOT_PLUGIN_MAX_INPUTS);
  return INGOT_SUCCESS;
}

ingot_status ingot_network_add_plugin(ingot_network *network, ingot_tensor *const *inputs, int32_t nb_inputs,
                                      const char *name, const char *version, const char *plugin_namespace,
                                      const ingot_plugin_field *fields, int32_t nb_fields, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_plugin";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_NET_CHECK_NULL(network, name, fn);
  INGOT_TRY(check_inputs(network, inputs, nb_inputs, fn));
  const ingot_plugin_creator *creator = NULL;
  ingot_status st =
      ingot_plugin_registry_get_creator(ingot_get_plugin_registry(), name, version, plugin_namespace, &creator);
  if (st != INGOT_SUCCESS) {
    ingot_error_prefix("%s", fn);
    return ingot_net_log(network, st);
  }
  char layer_name[64];
  snprintf(layer_name, sizeof layer_name, "%s_%d", "plugin", (int)network->graph->nb_nodes);
  ingot_plugin *plugin = NULL;
  st = ingot_plugin_creator_create_plugin(creator, layer_name, fields, nb_fields, &plugin);
  if (st != INGOT_SUCCESS) {
    ingot_error_prefix("%s", fn);
    return ingot_net_log(network, st);
  }
  return add_owned(network, inputs, nb_inputs, plugin, fn, layer_out);
}

ingot_status ingot_network_add_plugin_instance(ingot_network *network, ingot_tensor *const *inputs,
                                               int32_t nb_inputs, const ingot_plugin *plugin,
                                               ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_plugin_instance";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_NET_CHECK_NULL(network, plugin, fn);
  INGOT_TRY(check_inputs(network, inputs, nb_inputs, fn));
  if (!ingot_plugin_is_instantiated(plugin))
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: plugin '%s' has no instance", fn, plugin->name);
  ingot_plugin *copy = NULL;
  ingot_status st = ingot_plugin_copy(plugin, &copy);
  if (st != INGOT_SUCCESS) return ingot_net_log(network, st);
  return add_owned(network, inputs, nb_inputs, copy, fn, layer_out);
}
