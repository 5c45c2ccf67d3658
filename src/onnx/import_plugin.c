/* Plugin nodes of ONNX models. Attributes map to fields by type: float -> float32[1], int
 * -> int64[1], string -> string, floats -> float32[], ints -> int64[], a tensor -> its
 * values (float32, int32 or int64) or raw bytes; the creator's declarations then check
 * and convert them (an int64 attribute read as int32, ...). "plugin_version" and
 * "plugin_namespace" choose the plugin and are not passed on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "onnx/import_plugin.h"
#include "onnx/node.h"
#include "plugin/plugin_internal.h"

/* Attributes that select the plugin rather than configure it. */
static bool is_selector(const char *name) {
  return strcmp(name, "plugin_version") == 0 || strcmp(name, "plugin_namespace") == 0;
}

static const char *attr_string(const ingot_onnx_node_desc *d, const char *name) {
  for (int32_t a = 0; a < d->nb_attrs; a++)
    if (d->attrs[a].type == INGOT_ONNX_ATTR_STRING && strcmp(d->attrs[a].name, name) == 0 && d->attrs[a].s)
      return d->attrs[a].s;
  return NULL;
}

static void selection(const ingot_onnx_node_desc *d, const char **version, const char **ns) {
  *version = attr_string(d, "plugin_version");
  *ns = attr_string(d, "plugin_namespace");
  if (!*ns) *ns = d->domain;
}

bool ingot_onnx_plugin_exists(const ingot_onnx_node_desc *d, char *searched, size_t size) {
  const char *version, *ns;
  selection(d, &version, &ns);
  const ingot_plugin_creator *creator = NULL;
  bool found = ingot_plugin_registry_get_creator(ingot_get_plugin_registry(), d->op_type, version, ns, &creator) ==
               INGOT_SUCCESS;
  ingot_clear_last_error();
  char registered[768];
  ingot_plugin_registry_list(registered, sizeof registered);
  snprintf(searched, size, "plugin '%s' version '%s' namespace '%s' (registered plugins: %s)", d->op_type,
           version ? version : "any", ns, registered);
  return found;
}

/* One attribute as a field; the data points into the attribute (valid during the import). */
static ingot_status attr_field(ingot_onnx_node *node, const ingot_onnx_attr *at, ingot_plugin_field *f) {
  f->name = at->name;
  switch (at->type) {
    case INGOT_ONNX_ATTR_FLOAT: f->type = INGOT_PLUGIN_FIELD_FLOAT32, f->length = 1, f->data = &at->f; break;
    case INGOT_ONNX_ATTR_INT: f->type = INGOT_PLUGIN_FIELD_INT64, f->length = 1, f->data = &at->i; break;
    case INGOT_ONNX_ATTR_STRING:
      f->type = INGOT_PLUGIN_FIELD_STRING, f->length = (int32_t)at->s_len, f->data = at->s;
      break;
    case INGOT_ONNX_ATTR_FLOATS:
      f->type = INGOT_PLUGIN_FIELD_FLOAT32, f->length = at->nb_floats, f->data = at->floats;
      break;
    case INGOT_ONNX_ATTR_INTS: f->type = INGOT_PLUGIN_FIELD_INT64, f->length = at->nb_ints, f->data = at->ints; break;
    case INGOT_ONNX_ATTR_TENSOR: {
      const ingot_onnx_tensor *t = &at->tensor;
      size_t elem = ingot_dtype_size(t->dtype);
      f->data = t->data;
      if (t->dtype == INGOT_FLOAT32) f->type = INGOT_PLUGIN_FIELD_FLOAT32;
      else if (t->dtype == INGOT_INT32) f->type = INGOT_PLUGIN_FIELD_INT32;
      else if (t->dtype == INGOT_INT64) f->type = INGOT_PLUGIN_FIELD_INT64;
      else f->type = INGOT_PLUGIN_FIELD_BYTES, elem = 1;
      if (t->size / elem > INT32_MAX)
        return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "attribute '%s': a tensor of %zu bytes is too large for a "
                               "plugin field", at->name, t->size);
      f->length = (int32_t)(t->size / elem);
      break;
    }
    default:
      return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "attribute '%s' of type %s cannot be a plugin field", at->name,
                             ingot_onnx_attr_type_name(at->type));
  }
  return INGOT_SUCCESS;
}

static ingot_status import_plugin(ingot_onnx_node *node) {
  const ingot_onnx_node_desc *d = node->desc;
  ingot_network *network = ingot_onnx_node_network(node);
  int32_t nb_inputs = ingot_onnx_node_num_inputs(node);
  if (nb_inputs < 1 || nb_inputs > INGOT_PLUGIN_MAX_INPUTS)
    return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "%d inputs; a plugin layer takes 1 to %d", (int)nb_inputs,
                           INGOT_PLUGIN_MAX_INPUTS);
  ingot_tensor *inputs[INGOT_PLUGIN_MAX_INPUTS];
  for (int32_t i = 0; i < nb_inputs; i++) INGOT_TRY(ingot_onnx_input_tensor(node, i, &inputs[i]));
  ingot_plugin_field *fields = calloc((size_t)d->nb_attrs + 1, sizeof *fields);
  if (!fields) return ingot_onnx_fail(node, INGOT_OUT_OF_MEMORY, "out of memory");
  int32_t nb_fields = 0;
  ingot_status st = INGOT_SUCCESS;
  for (int32_t a = 0; a < d->nb_attrs && st == INGOT_SUCCESS; a++)
    if (!is_selector(d->attrs[a].name)) st = attr_field(node, &d->attrs[a], &fields[nb_fields++]);
  const char *version, *ns;
  selection(d, &version, &ns);
  ingot_layer *layer = NULL;
  if (st == INGOT_SUCCESS) {
    st = ingot_network_add_plugin(network, inputs, nb_inputs, d->op_type, version, ns, fields, nb_fields, &layer);
    if (st != INGOT_SUCCESS) {
      char why[1536];
      snprintf(why, sizeof why, "%s", ingot_last_error());
      st = ingot_onnx_fail(node, st, "as %s", why);
    }
  }
  free(fields);
  INGOT_TRY(st);
  ingot_onnx_name_layer(node, layer);
  int32_t nb_outputs = ingot_onnx_node_num_outputs(node);
  if (nb_outputs > ingot_layer_num_outputs(layer))
    return ingot_onnx_fail(node, INGOT_INVALID_GRAPH, "%d outputs, but plugin '%s' has %d", (int)nb_outputs,
                           d->op_type, (int)ingot_layer_num_outputs(layer));
  for (int32_t o = 0; o < nb_outputs; o++)
    if (d->outputs[o][0]) INGOT_TRY(ingot_onnx_set_output(node, o, ingot_layer_get_output(layer, o)));
  return INGOT_SUCCESS;
}

const ingot_onnx_importer ingot_onnx_plugin_importer = {"(plugin)", 1, import_plugin};
