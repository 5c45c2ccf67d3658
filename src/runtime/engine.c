/* Engine queries: I/O tensors, profiles, layers. All read-only, safe from any thread. */
#include <string.h>

#include "core/error.h"
#include "plugin/plugin_internal.h"
#include "runtime/runtime_internal.h"

int32_t ingot_engine_find_io(const ingot_engine *engine, const char *name, const char *function) {
  if (!name) {
    ingot_fail(INGOT_INVALID_ARGUMENT, "%s: tensor name is NULL", function);
    return -1;
  }
  for (int32_t i = 0; i < engine->nb_io; i++)
    if (strcmp(engine->graph->tensors[engine->io_tensors[i]].name, name) == 0) return i;
  ingot_fail(INGOT_NOT_FOUND, "%s: the engine has no input or output named '%s'", function, name);
  return -1;
}

int32_t ingot_engine_num_io_tensors(const ingot_engine *engine) { return engine ? engine->nb_io : 0; }

const char *ingot_engine_get_io_tensor_name(const ingot_engine *engine, int32_t index) {
  if (!engine || index < 0 || index >= engine->nb_io) return NULL;
  return engine->graph->tensors[engine->io_tensors[index]].name;
}

ingot_status ingot_engine_get_tensor_io_mode(const ingot_engine *engine, const char *name,
                                             ingot_tensor_io_mode *mode_out) {
  INGOT_CHECK_NULL(engine, "ingot_engine_get_tensor_io_mode");
  INGOT_CHECK_NULL(mode_out, "ingot_engine_get_tensor_io_mode");
  int32_t i = ingot_engine_find_io(engine, name, "ingot_engine_get_tensor_io_mode");
  if (i < 0) return name ? INGOT_NOT_FOUND : INGOT_INVALID_ARGUMENT;
  *mode_out = i < engine->graph->nb_inputs ? INGOT_TENSOR_INPUT : INGOT_TENSOR_OUTPUT;
  return INGOT_SUCCESS;
}

ingot_status ingot_engine_get_tensor_dtype(const ingot_engine *engine, const char *name, ingot_dtype *dtype_out) {
  INGOT_CHECK_NULL(engine, "ingot_engine_get_tensor_dtype");
  INGOT_CHECK_NULL(dtype_out, "ingot_engine_get_tensor_dtype");
  int32_t i = ingot_engine_find_io(engine, name, "ingot_engine_get_tensor_dtype");
  if (i < 0) return name ? INGOT_NOT_FOUND : INGOT_INVALID_ARGUMENT;
  *dtype_out = engine->graph->tensors[engine->io_tensors[i]].dtype;
  return INGOT_SUCCESS;
}

ingot_status ingot_engine_get_tensor_dims(const ingot_engine *engine, const char *name, ingot_dims *dims_out) {
  INGOT_CHECK_NULL(engine, "ingot_engine_get_tensor_dims");
  INGOT_CHECK_NULL(dims_out, "ingot_engine_get_tensor_dims");
  int32_t i = ingot_engine_find_io(engine, name, "ingot_engine_get_tensor_dims");
  if (i < 0) return name ? INGOT_NOT_FOUND : INGOT_INVALID_ARGUMENT;
  *dims_out = engine->io_dims[i];
  return INGOT_SUCCESS;
}

int32_t ingot_engine_num_optimization_profiles(const ingot_engine *engine) {
  return engine ? engine->graph->nb_profiles : 0;
}

ingot_status ingot_engine_get_profile_dims(const ingot_engine *engine, const char *input_name, int32_t profile_index,
                                           ingot_profile_selector selector, ingot_dims *dims_out) {
  INGOT_CHECK_NULL(engine, "ingot_engine_get_profile_dims");
  INGOT_CHECK_NULL(dims_out, "ingot_engine_get_profile_dims");
  int32_t i = ingot_engine_find_io(engine, input_name, "ingot_engine_get_profile_dims");
  if (i < 0) return input_name ? INGOT_NOT_FOUND : INGOT_INVALID_ARGUMENT;
  const ingot_graph *g = engine->graph;
  if (i >= g->nb_inputs)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_engine_get_profile_dims: '%s' is an output, not an input",
                      input_name);
  if (profile_index < 0 || profile_index >= g->nb_profiles)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_engine_get_profile_dims: profile %d out of range [0, %d)",
                      profile_index, g->nb_profiles);
  if ((int)selector < 0 || selector > INGOT_PROFILE_MAX)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_engine_get_profile_dims: selector %d out of range", (int)selector);
  const ingot_profile_dims *pd = &g->profiles[profile_index * g->nb_inputs + i];
  *dims_out = selector == INGOT_PROFILE_MIN ? pd->min : selector == INGOT_PROFILE_OPT ? pd->opt : pd->max;
  return INGOT_SUCCESS;
}

ingot_target ingot_engine_get_target(const ingot_engine *engine) {
  return engine ? (ingot_target)engine->contents->target : INGOT_TARGET_CPU;
}

int32_t ingot_engine_num_layers(const ingot_engine *engine) { return engine ? engine->graph->nb_nodes : 0; }

ingot_status ingot_engine_get_layer_info(const ingot_engine *engine, int32_t index, ingot_layer_info *info_out) {
  INGOT_CHECK_NULL(engine, "ingot_engine_get_layer_info");
  INGOT_CHECK_NULL(info_out, "ingot_engine_get_layer_info");
  const ingot_graph *g = engine->graph;
  if (index < 0 || index >= g->nb_nodes)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_engine_get_layer_info: layer %d out of range [0, %d)", index,
                      g->nb_nodes);
  const ingot_node *n = &g->nodes[index];
  memset(info_out, 0, sizeof *info_out);
  info_out->name = n->name;
  info_out->type = engine->layer_types[index];
  info_out->tactic = n->tactic ? n->tactic->name : "";
  /* The dtype a layer computes in: its first input's (comparisons compute in their
   * operands' dtype, not bool); after the precision pass no float math runs in half. */
  int32_t first = n->nb_inputs > 0 ? n->inputs[0] : -1;
  info_out->precision = g->tensors[first >= 0 ? first : n->outputs[0]].dtype;
  info_out->nb_inputs = n->nb_inputs;
  info_out->nb_outputs = n->nb_outputs;
  info_out->input_names = engine->layer_inputs[index];
  info_out->output_names = engine->layer_outputs[index];
  return INGOT_SUCCESS;
}

ingot_status ingot_engine_get_layer_plugin(const ingot_engine *engine, int32_t index, const char **name_out,
                                           const char **version_out, const char **namespace_out) {
  if (name_out) *name_out = NULL;
  if (version_out) *version_out = NULL;
  if (namespace_out) *namespace_out = NULL;
  INGOT_CHECK_NULL(engine, "ingot_engine_get_layer_plugin");
  const ingot_graph *g = engine->graph;
  if (index < 0 || index >= g->nb_nodes)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_engine_get_layer_plugin: layer %d out of range [0, %d)", index,
                      g->nb_nodes);
  const ingot_plugin *p = g->nodes[index].plugin;
  if (!p) return INGOT_SUCCESS;
  if (name_out) *name_out = p->name;
  if (version_out) *version_out = p->version;
  if (namespace_out) *namespace_out = p->plugin_namespace;
  return INGOT_SUCCESS;
}

uint64_t ingot_engine_get_activation_memory(const ingot_engine *engine, int32_t profile_index) {
  if (!engine || profile_index < 0 || profile_index >= engine->graph->nb_profiles) return 0;
  return engine->contents->arena_sizes ? engine->contents->arena_sizes[profile_index] : 0;
}

uint64_t ingot_engine_get_weights_memory(const ingot_engine *engine) { return engine ? engine->weights_bytes : 0; }

uint64_t ingot_engine_get_packed_weights_memory(const ingot_engine *engine) {
  return engine ? engine->packed_weights_bytes : 0;
}
