/* The helpers importers use (importer.h): inputs as values, constants turned into layers
 * on first use, attribute getters, outputs and naming. Everything goes through the public
 * network API, as the ONNX parser must. */
#include "onnx/node.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <protobuf-c/protobuf-c.h> /* the bytes of STRINGS attributes */

#include "core/alloc.h"
#include "core/dims.h"
#include "core/error.h"

/* ---- the node ---------------------------------------------------------------------------- */

ingot_status ingot_onnx_node_init(ingot_onnx_node *node, ingot_onnx_values *values, ingot_network *network,
                                  ingot_logger *logger, const ingot_onnx_node_desc *desc, int32_t index,
                                  int64_t opset) {
  memset(node, 0, sizeof *node);
  node->values = values;
  node->network = network;
  node->logger = logger;
  node->desc = desc;
  node->index = index;
  node->opset = opset;
  node->name = desc->name;
  for (int32_t o = 0; !node->name[0] && o < desc->nb_outputs; o++) node->name = desc->outputs[o];
  if (!node->name[0]) {
    snprintf(node->name_buf, sizeof node->name_buf, "node_%d", (int)index);
    node->name = node->name_buf;
  }
  if (desc->nb_inputs > 0) {
    node->inputs = ingot_calloc((size_t)desc->nb_inputs, sizeof *node->inputs);
    if (!node->inputs) return INGOT_OUT_OF_MEMORY;
  }
  if (desc->nb_attrs > 0) {
    node->attr_values = ingot_calloc((size_t)desc->nb_attrs, sizeof *node->attr_values);
    if (!node->attr_values) return INGOT_OUT_OF_MEMORY;
  }
  return INGOT_SUCCESS;
}

void ingot_onnx_node_release(ingot_onnx_node *node) {
  free(node->inputs);
  free(node->attr_values);
  node->inputs = NULL;
  node->attr_values = NULL;
}

void ingot_onnx_node_prefix(const ingot_onnx_node *node, char *buf, size_t size) {
  snprintf(buf, size, "node '%.300s' (%.100s, opset %" PRId64 "): ", node->name, node->desc->op_type, node->opset);
}

const char *ingot_onnx_node_name(const ingot_onnx_node *node) { return node->name; }
const char *ingot_onnx_node_op_type(const ingot_onnx_node *node) { return node->desc->op_type; }
int64_t ingot_onnx_node_opset(const ingot_onnx_node *node) { return node->opset; }
ingot_network *ingot_onnx_node_network(ingot_onnx_node *node) { return node->network; }
int32_t ingot_onnx_node_num_inputs(const ingot_onnx_node *node) { return node->desc->nb_inputs; }
int32_t ingot_onnx_node_num_outputs(const ingot_onnx_node *node) { return node->desc->nb_outputs; }

ingot_status ingot_onnx_fail(const ingot_onnx_node *node, ingot_status status, const char *fmt, ...) {
  char prefix[512], message[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  ingot_onnx_node_prefix(node, prefix, sizeof prefix);
  return ingot_fail(status, "%s%s", prefix, message);
}

/* ---- naming -------------------------------------------------------------------------------- */

/* Whether `tensor` already carries the name of the ONNX value it stands for. */
static bool has_onnx_name(const ingot_onnx_values *values, const ingot_tensor *tensor) {
  const char *name = ingot_tensor_get_name(tensor);
  const ingot_onnx_entry *e = name ? ingot_onnx_values_find(values, name) : NULL;
  return e && e->value.tensor == tensor;
}

ingot_status ingot_onnx_name_tensor(ingot_onnx_values *values, ingot_network *network, ingot_tensor *tensor,
                                    const char *name) {
  const char *current = ingot_tensor_get_name(tensor);
  if (current && strcmp(current, name) == 0) return INGOT_SUCCESS;
  ingot_tensor *holder = ingot_network_find_tensor(network, name);
  if (!holder) {
    ingot_clear_last_error(); /* "not found" is the answer here, not a failure */
  } else {
    if (has_onnx_name(values, holder))
      return ingot_fail(INGOT_INTERNAL_ERROR, "two ONNX values would share the network tensor name '%s'", name);
    /* A generated name ("convolution_3_output_0") that an ONNX name happens to match. */
    char fresh[300];
    for (int k = 1;; k++) {
      snprintf(fresh, sizeof fresh, "%.250s_%d", name, k);
      if (!ingot_network_find_tensor(network, fresh) && !ingot_onnx_values_find(values, fresh)) break;
    }
    ingot_clear_last_error();
    INGOT_TRY(ingot_tensor_set_name(holder, fresh));
  }
  return ingot_tensor_set_name(tensor, name);
}

void ingot_onnx_name_layer(ingot_onnx_node *node, ingot_layer *layer) {
  if (!layer) return;
  char name[400];
  node->nb_layers++;
  if (node->nb_layers == 1) snprintf(name, sizeof name, "%.380s", node->name);
  else snprintf(name, sizeof name, "%.380s/%d", node->name, (int)node->nb_layers);
  /* A name the network refuses (too long) leaves the generated one: not worth failing a node. */
  if (ingot_layer_set_name(layer, name) != INGOT_SUCCESS) ingot_clear_last_error();
}

/* ---- inputs ---------------------------------------------------------------------------------- */

ingot_status ingot_onnx_entry_tensor(ingot_onnx_values *values, ingot_network *network, ingot_onnx_entry *entry,
                                     ingot_tensor **tensor_out) {
  *tensor_out = NULL;
  if (!entry->value.tensor) {
    if (!entry->value.is_constant)
      return ingot_fail(INGOT_INTERNAL_ERROR, "value '%s' has neither a tensor nor data", entry->name);
    int64_t count = ingot_dims_volume(&entry->value.dims);
    ingot_weights w = {entry->value.dtype, count > 0 ? entry->value.data : NULL, count > 0 ? count : 0};
    ingot_layer *layer = NULL;
    ingot_status st = ingot_network_add_constant(network, &entry->value.dims, w, &layer);
    if (st != INGOT_SUCCESS) {
      ingot_error_prefix("constant '%s'", entry->name);
      return st;
    }
    if (ingot_layer_set_name(layer, entry->name) != INGOT_SUCCESS) ingot_clear_last_error();
    ingot_tensor *t = ingot_layer_get_output(layer, 0);
    if (!t) return ingot_fail(INGOT_INTERNAL_ERROR, "constant '%s': its layer has no output", entry->name);
    INGOT_TRY(ingot_onnx_name_tensor(values, network, t, entry->name));
    entry->value.tensor = t;
  }
  *tensor_out = entry->value.tensor;
  return INGOT_SUCCESS;
}

/* Brings the dims of a computed value up to date: the network knows them when every input
 * of the network is static; otherwise the model's own declaration (value_info) may. */
static void refresh_dims(ingot_onnx_node *node, ingot_onnx_entry *e) {
  if (e->dims_known || !e->value.tensor) return;
  ingot_dims dims;
  if (ingot_tensor_get_dims(e->value.tensor, &dims) == INGOT_SUCCESS && dims.nb_dims >= 0) {
    e->value.dims = dims;
    e->dims_known = true;
    return;
  }
  /* A shape inference failure belongs to the node that caused it; the builder reports it. */
  ingot_clear_last_error();
  const ingot_dims *declared = ingot_onnx_values_declared(node->values, e->name);
  if (declared) e->value.dims = *declared;
}

const ingot_onnx_value *ingot_onnx_input(ingot_onnx_node *node, int32_t i) {
  if (i < 0 || i >= node->desc->nb_inputs || !node->inputs[i]) return NULL;
  refresh_dims(node, node->inputs[i]);
  return &node->inputs[i]->value;
}

static const char *input_name(const ingot_onnx_node *node, int32_t i) {
  return i >= 0 && i < node->desc->nb_inputs ? node->desc->inputs[i] : "";
}

static ingot_status absent(const ingot_onnx_node *node, int32_t i, const char *expected) {
  if (i >= node->desc->nb_inputs)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input %d is missing (the node has %d), expected %s", (int)i,
                           (int)node->desc->nb_inputs, expected);
  return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input %d is empty (optional input left out), expected %s",
                         (int)i, expected);
}

ingot_status ingot_onnx_input_tensor(ingot_onnx_node *node, int32_t i, ingot_tensor **tensor_out) {
  if (!tensor_out) return ingot_onnx_fail(node, INGOT_INTERNAL_ERROR, "ingot_onnx_input_tensor: tensor_out is NULL");
  *tensor_out = NULL;
  if (!ingot_onnx_input(node, i)) return absent(node, i, "a tensor");
  ingot_status st = ingot_onnx_entry_tensor(node->values, node->network, node->inputs[i], tensor_out);
  if (st != INGOT_SUCCESS) {
    char msg[1600];
    snprintf(msg, sizeof msg, "%s", ingot_last_error());
    return ingot_onnx_fail(node, st, "input %d ('%s'): %s", (int)i, input_name(node, i), msg);
  }
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_input_constant(ingot_onnx_node *node, int32_t i, const ingot_onnx_value **value_out) {
  if (!value_out) return ingot_onnx_fail(node, INGOT_INTERNAL_ERROR, "ingot_onnx_input_constant: value_out is NULL");
  *value_out = NULL;
  const ingot_onnx_value *v = ingot_onnx_input(node, i);
  if (!v) return absent(node, i, "a constant");
  if (!v->is_constant)
    return ingot_onnx_fail(node, INGOT_UNSUPPORTED,
                           "input %d ('%s') must be a constant (an initializer or a Constant node's output), but it is "
                           "computed at run time", (int)i, input_name(node, i));
  *value_out = v;
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_input_ints(ingot_onnx_node *node, int32_t i, int64_t *values, int32_t max_count,
                                   int32_t *count_out) {
  if (count_out) *count_out = 0;
  const ingot_onnx_value *v = NULL;
  INGOT_TRY(ingot_onnx_input_constant(node, i, &v));
  if (v->dtype != INGOT_INT32 && v->dtype != INGOT_INT64)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input %d ('%s') is %s, expected int32 or int64 values",
                           (int)i, input_name(node, i), ingot_dtype_name(v->dtype));
  int64_t count = ingot_dims_volume(&v->dims);
  if (count < 0 || count > max_count)
    return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "input %d ('%s') holds %" PRId64 " values, at most %d expected",
                           (int)i, input_name(node, i), count, (int)max_count);
  for (int64_t k = 0; k < count; k++)
    values[k] = v->dtype == INGOT_INT64 ? ((const int64_t *)v->data)[k] : ((const int32_t *)v->data)[k];
  if (count_out) *count_out = (int32_t)count;
  return INGOT_SUCCESS;
}

ingot_dims ingot_onnx_input_dims(ingot_onnx_node *node, int32_t i) {
  const ingot_onnx_value *v = ingot_onnx_input(node, i);
  if (v) return v->dims;
  ingot_dims unknown;
  memset(&unknown, 0, sizeof unknown);
  unknown.nb_dims = -1;
  return unknown;
}

/* ---- attributes ------------------------------------------------------------------------------ */

static const ingot_onnx_attr *find_attr(const ingot_onnx_node *node, const char *name, int32_t *index_out) {
  for (int32_t a = 0; a < node->desc->nb_attrs; a++)
    if (strcmp(node->desc->attrs[a].name, name) == 0) {
      if (index_out) *index_out = a;
      return &node->desc->attrs[a];
    }
  return NULL;
}

/* Records a getter used on an attribute of another type; the attribute's value is ignored. */
static void wrong_type(const ingot_onnx_node *node, const ingot_onnx_attr *a, const char *expected) {
  ingot_onnx_node *n = (ingot_onnx_node *)node; /* the getters take a const node: the error slot is not its state */
  if (n->attr_status != INGOT_SUCCESS) return;
  n->attr_status = INGOT_INVALID_ARGUMENT;
  snprintf(n->attr_error, sizeof n->attr_error, "attribute '%.200s' is %s, expected %s", a->name,
           ingot_onnx_attr_type_name(a->type), expected);
}

bool ingot_onnx_has_attr(const ingot_onnx_node *node, const char *name) { return find_attr(node, name, NULL) != NULL; }

int64_t ingot_onnx_attr_int(const ingot_onnx_node *node, const char *name, int64_t default_value) {
  const ingot_onnx_attr *a = find_attr(node, name, NULL);
  if (!a) return default_value;
  if (a->type != INGOT_ONNX_ATTR_INT) {
    wrong_type(node, a, "INT");
    return default_value;
  }
  return a->i;
}

float ingot_onnx_attr_float(const ingot_onnx_node *node, const char *name, float default_value) {
  const ingot_onnx_attr *a = find_attr(node, name, NULL);
  if (!a) return default_value;
  if (a->type == INGOT_ONNX_ATTR_FLOAT) return a->f;
  if (a->type == INGOT_ONNX_ATTR_INT) return (float)a->i; /* an integer where a float is due loses nothing */
  wrong_type(node, a, "FLOAT");
  return default_value;
}

const char *ingot_onnx_attr_string(const ingot_onnx_node *node, const char *name, const char *default_value) {
  const ingot_onnx_attr *a = find_attr(node, name, NULL);
  if (!a) return default_value;
  if (a->type != INGOT_ONNX_ATTR_STRING) {
    wrong_type(node, a, "STRING");
    return default_value;
  }
  return a->s;
}

void ingot_onnx_attr_ints(const ingot_onnx_node *node, const char *name, int64_t *values, int32_t max_count,
                          int32_t *count_out) {
  const ingot_onnx_attr *a = find_attr(node, name, NULL);
  int32_t count = -1;
  if (a && a->type != INGOT_ONNX_ATTR_INTS) {
    wrong_type(node, a, "INTS");
  } else if (a) {
    count = a->nb_ints;
    for (int32_t k = 0; k < count && k < max_count; k++) values[k] = a->ints[k];
  }
  if (count_out) *count_out = count;
}

void ingot_onnx_attr_floats(const ingot_onnx_node *node, const char *name, float *values, int32_t max_count,
                            int32_t *count_out) {
  const ingot_onnx_attr *a = find_attr(node, name, NULL);
  int32_t count = -1;
  if (a && a->type != INGOT_ONNX_ATTR_FLOATS) {
    wrong_type(node, a, "FLOATS");
  } else if (a) {
    count = a->nb_floats;
    for (int32_t k = 0; k < count && k < max_count; k++) values[k] = a->floats[k];
  }
  if (count_out) *count_out = count;
}

void ingot_onnx_attr_strings(const ingot_onnx_node *node, const char *name, int32_t index, char *buf, size_t size,
                             int32_t *count_out) {
  const ingot_onnx_attr *a = find_attr(node, name, NULL);
  int32_t count = -1;
  if (size > 0) buf[0] = '\0';
  if (a && a->type != INGOT_ONNX_ATTR_STRINGS) {
    wrong_type(node, a, "STRINGS");
  } else if (a) {
    count = a->nb_strings;
    if (index >= 0 && index < count && size > 0) {
      size_t len = a->strings[index].len < size - 1 ? a->strings[index].len : size - 1;
      if (len) memcpy(buf, a->strings[index].data, len);
      buf[len] = '\0';
    }
  }
  if (count_out) *count_out = count;
}

const ingot_onnx_value *ingot_onnx_attr_tensor(ingot_onnx_node *node, const char *name) {
  int32_t index = -1;
  const ingot_onnx_attr *a = find_attr(node, name, &index);
  if (!a) return NULL;
  if (a->type != INGOT_ONNX_ATTR_TENSOR || !a->has_tensor) {
    /* A tensor that failed to convert never gets here: the parse loop refuses the node first. */
    wrong_type(node, a, "TENSOR");
    return NULL;
  }
  ingot_onnx_value *v = &node->attr_values[index];
  v->tensor = NULL;
  v->is_constant = true;
  v->dtype = a->tensor.dtype;
  v->dims = a->tensor.dims;
  v->data = a->tensor.data;
  return v;
}

/* ---- outputs --------------------------------------------------------------------------------- */

/* The entry for output i, or why there can be none. NULL with success: output not wanted. */
static ingot_status output_entry(ingot_onnx_node *node, int32_t i, ingot_onnx_entry **entry_out) {
  *entry_out = NULL;
  if (i < 0 || i >= node->desc->nb_outputs)
    return ingot_onnx_fail(node, INGOT_INTERNAL_ERROR, "output %d set, but the node has %d output(s)", (int)i,
                           (int)node->desc->nb_outputs);
  const char *name = node->desc->outputs[i];
  if (!name[0]) return INGOT_SUCCESS; /* an optional output the model does not use */
  ingot_status st = ingot_onnx_values_define(node->values, name, node->index, entry_out);
  if (st != INGOT_SUCCESS) {
    char msg[1600];
    snprintf(msg, sizeof msg, "%s", ingot_last_error());
    return ingot_onnx_fail(node, st, "output %d: %s", (int)i, msg);
  }
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_set_output(ingot_onnx_node *node, int32_t i, ingot_tensor *tensor) {
  if (!tensor) return ingot_onnx_fail(node, INGOT_INTERNAL_ERROR, "output %d set to a NULL tensor", (int)i);
  if (i >= 0 && i < node->desc->nb_outputs && node->desc->outputs[i][0]) {
    const char *name = node->desc->outputs[i];
    if (ingot_onnx_values_find(node->values, name))
      return ingot_onnx_fail(node, INGOT_INVALID_GRAPH, "output %d: value '%s' is already defined", (int)i, name);
    /* A tensor that already stands for another ONNX value (Identity passes its input on)
     * keeps that name; the new value shares it. Otherwise the tensor takes this name. */
    if (!has_onnx_name(node->values, tensor)) {
      ingot_status st = ingot_onnx_name_tensor(node->values, node->network, tensor, name);
      if (st != INGOT_SUCCESS) {
        char msg[1600];
        snprintf(msg, sizeof msg, "%s", ingot_last_error());
        return ingot_onnx_fail(node, st, "output %d ('%s'): %s", (int)i, name, msg);
      }
    }
  }
  ingot_onnx_entry *e = NULL;
  INGOT_TRY(output_entry(node, i, &e));
  if (!e) return INGOT_SUCCESS;
  e->value.tensor = tensor;
  e->value.is_constant = false;
  e->value.dtype = ingot_tensor_get_dtype(tensor);
  e->value.dims.nb_dims = -1;
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_set_output_constant(ingot_onnx_node *node, int32_t i, ingot_dtype dtype,
                                            const ingot_dims *dims, const void *data) {
  if (!dims || !ingot_dims_is_concrete(dims))
    return ingot_onnx_fail(node, INGOT_INTERNAL_ERROR, "output %d: constant dims are missing or not concrete", (int)i);
  if (!ingot_dtype_valid(dtype))
    return ingot_onnx_fail(node, INGOT_INTERNAL_ERROR, "output %d: constant dtype %d is not an ingot dtype", (int)i,
                           (int)dtype);
  int64_t count = ingot_dims_volume(dims);
  size_t bytes = (size_t)count * ingot_dtype_size(dtype);
  if (count > 0 && !data)
    return ingot_onnx_fail(node, INGOT_INTERNAL_ERROR, "output %d: constant of %" PRId64 " values has no data", (int)i,
                           count);
  void *copy = NULL;
  if (bytes > 0) {
    copy = malloc(bytes);
    if (!copy) return ingot_onnx_fail(node, INGOT_OUT_OF_MEMORY, "output %d: out of memory for %zu bytes", (int)i, bytes);
    memcpy(copy, data, bytes);
  }
  ingot_onnx_entry *e = NULL;
  ingot_status st = output_entry(node, i, &e);
  if (st != INGOT_SUCCESS || !e) {
    free(copy);
    return st;
  }
  e->owned = copy;
  e->value.is_constant = true;
  e->value.tensor = NULL;
  e->value.dtype = dtype;
  e->value.dims = *dims;
  e->value.data = copy;
  e->dims_known = true;
  return INGOT_SUCCESS;
}
