/* Plugins inside ingot: the instance handle that plugin nodes own, the field checks, the
 * dim-expression evaluator, and the registry lookups the network, ONNX importer, plan
 * reader and runtime share. Depends on core only (ops includes it, not the other way). */
#ifndef INGOT_PLUGIN_PLUGIN_INTERNAL_H
#define INGOT_PLUGIN_PLUGIN_INTERNAL_H

#include <stdbool.h>

#include "ingot/plugin.h"

/* An instance with the creator's identity. For a node read from a plan, `inst.vtbl` is
 * NULL until ingot_plugin_instantiate finds the creator; `state` keeps the bytes read (or
 * last serialized) so a plan can be written again and inspected without the plugin. */
struct ingot_plugin {
  char *name, *version, *plugin_namespace;
  ingot_plugin_instance inst;
  int32_t nb_outputs;
  uint8_t *state;
  uint64_t state_size;
};

/* A plugin record without an instance (plan reader): strings and state copied. */
ingot_status ingot_plugin_new_record(const char *name, const char *version, const char *plugin_namespace,
                                     const void *state, uint64_t state_size, ingot_plugin **plugin_out);
/* Wraps an instance a creator made (takes it: destroyed on failure), checking its vtable
 * and output count. */
ingot_status ingot_plugin_wrap(const ingot_plugin_creator *creator, const char *layer_name,
                               ingot_plugin_instance inst, ingot_plugin **plugin_out);
/* An independent copy: the instance cloned through its vtable (or, not instantiated, the
 * state bytes copied). */
ingot_status ingot_plugin_copy(const ingot_plugin *plugin, ingot_plugin **copy_out);
bool ingot_plugin_is_instantiated(const ingot_plugin *plugin);
/* Rebuilds the instance from `state` through the registered creator. The error names the
 * plugin, version, namespace and layer. */
ingot_status ingot_plugin_instantiate(ingot_plugin *plugin, const char *layer_name);
/* The instance's serialized state into plugin->state (instantiated plugins only). */
ingot_status ingot_plugin_serialize(ingot_plugin *plugin, const char *layer_name);
/* "plugin 'NAME' version 'V' namespace 'NS'" into buf. */
const char *ingot_plugin_describe(const ingot_plugin *plugin, char *buf, size_t size);

/* Output dims by the plugin's expressions at concrete input dims (shape inference).
 * Allocates nothing. Errors name the layer. */
ingot_status ingot_plugin_eval_output_dims(const ingot_plugin *plugin, const char *layer_name,
                                           const ingot_dims *inputs, int32_t nb_inputs, ingot_dims *outputs,
                                           int32_t nb_outputs);

/* Checks fields given against a creator's declarations and converts them (fields.c):
 * *checked_out is one malloc'd block holding the array and the converted values, in
 * declaration order; free() it. Errors name the plugin and the field. */
ingot_status ingot_plugin_check_fields(const ingot_plugin_creator *creator, const ingot_plugin_field *fields,
                                       int32_t nb_fields, ingot_plugin_field **checked_out, int32_t *nb_checked_out);

/* The creator's descriptor (registry.c). */
const ingot_plugin_creator_desc *ingot_plugin_creator_desc_of(const ingot_plugin_creator *creator);
/* The names registered, "A/1 (ns 'x'), B/1", into buf (for "which plugins were searched"). */
void ingot_plugin_registry_list(char *buf, size_t size);

#endif
