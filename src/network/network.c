/* The network definition: create/destroy, inputs and outputs, lookups, tensor and layer
 * accessors, and the helpers every add_* file uses to append a layer (network_internal.h).
 * A network is its graph (nodes in the order layers were added, which is topological)
 * plus one heap handle per graph tensor and node, so handles stay put while the graph's
 * arrays grow. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/dims.h"
#include "core/logger.h"
#include "backend/backend.h"
#include "network/network_internal.h"

/* ---- names -------------------------------------------------------------------------------- */

/* ingot_layer_type_name is ops.c's (the op table's names). */

static const char *const activation_names[] = {
    "relu", "leaky_relu", "sigmoid",   "tanh",      "elu",  "selu",        "softplus",        "softsign", "clip",
    "hard_sigmoid", "hard_swish", "gelu_erf", "gelu_tanh", "silu", "mish", "scaled_tanh", "thresholded_relu",
};
_Static_assert(sizeof activation_names / sizeof activation_names[0] == INGOT_ACTIVATION_TYPE_COUNT,
               "one name per ingot_activation_type");

const char *ingot_activation_type_name(ingot_activation_type type) {
  if ((unsigned)type >= (unsigned)INGOT_ACTIVATION_TYPE_COUNT) return "unknown";
  return activation_names[type];
}

/* ---- failures ------------------------------------------------------------------------------ */

ingot_status ingot_net_log(const ingot_network *network, ingot_status status) {
  return ingot_log_failure(network ? network->logger : NULL, status);
}

ingot_status ingot_net_fail(const ingot_network *network, ingot_status status, const char *fmt, ...) {
  char message[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  ingot_fail(status, "%s", message);
  return ingot_net_log(network, status);
}

/* ---- checks ------------------------------------------------------------------------------- */

/* The tensor's graph index if it is a live tensor of `network`, else -1. The handle table
 * is compared too, so a handle of a destroyed or other network is never dereferenced
 * further than its two fields. */
static int32_t tensor_index(const ingot_network *network, const ingot_tensor *tensor) {
  if (!network || !tensor || tensor->network != network) return -1;
  if (tensor->index < 0 || tensor->index >= network->nb_tensor_handles) return -1;
  if (network->tensor_handles[tensor->index] != tensor) return -1;
  return tensor->index;
}

static int32_t layer_index(const ingot_layer *layer) {
  if (!layer || !layer->network) return -1;
  const ingot_network *network = layer->network;
  if (layer->index < 0 || layer->index >= network->nb_layer_handles) return -1;
  if (network->layer_handles[layer->index] != layer) return -1;
  return layer->index;
}

ingot_status ingot_net_check_tensor(const ingot_network *network, const ingot_tensor *tensor, const char *fn,
                                    const char *arg) {
  if (!tensor) return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: argument '%s' is NULL", fn, arg);
  if (tensor->network != network) {
    const char *name = ingot_tensor_get_name(tensor);
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                          "%s: tensor '%s' (argument '%s') belongs to another network; expected a tensor of this one",
                          fn, name ? name : "?", arg);
  }
  if (tensor_index(network, tensor) < 0)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: argument '%s' is not a valid tensor of this network",
                          fn, arg);
  return INGOT_SUCCESS;
}

ingot_status ingot_net_check_weights(const ingot_network *network, const ingot_weights *weights, const char *fn,
                                     const char *arg, bool required, bool float_only) {
  if (weights->count < 0)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s.count is %lld, expected >= 0", fn, arg,
                          (long long)weights->count);
  if (weights->count == 0) {
    if (required)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s are empty (count 0), expected weights", fn, arg);
    return INGOT_SUCCESS;
  }
  if (!weights->values)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s.values is NULL with count %lld", fn, arg,
                          (long long)weights->count);
  if (!ingot_dtype_valid(weights->dtype))
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s.dtype %d is not a valid ingot_dtype", fn, arg,
                          (int)weights->dtype);
  if (float_only && !ingot_dtype_is_float(weights->dtype))
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                          "%s: %s.dtype is %s, expected float32, float16 or bfloat16", fn, arg,
                          ingot_dtype_name(weights->dtype));
  if ((uint64_t)weights->count > UINT64_MAX / 8 / 2)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s.count %lld is too large", fn, arg,
                          (long long)weights->count);
  return INGOT_SUCCESS;
}

ingot_status ingot_net_check_spatial(const ingot_network *network, const int64_t *values, int32_t n,
                                     int64_t min_value, const char *fn, const char *arg) {
  for (int32_t i = 0; i < n; i++)
    if (values[i] < min_value)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s[%d] is %lld, expected >= %lld", fn, arg, i,
                            (long long)values[i], (long long)min_value);
  return INGOT_SUCCESS;
}

ingot_status ingot_net_check_enum(const ingot_network *network, int32_t value, int32_t count, const char *fn,
                                  const char *what) {
  if (value < 0 || value >= count)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s %d out of range, expected 0 to %d", fn, what, value,
                          count - 1);
  return INGOT_SUCCESS;
}

ingot_status ingot_net_check_axis(const ingot_network *network, const ingot_tensor *tensor, int64_t axis,
                                  const char *fn, const char *what) {
  ingot_dims dims;
  int32_t normalized;
  if (ingot_net_declared_dims(network, tensor->index, &dims)) {
    if (!ingot_axis_normalize(axis, dims.nb_dims, &normalized))
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s %lld out of range for '%s' of rank %d, expected %d to %d",
                            fn, what, (long long)axis, ingot_net_tensor_name(network, tensor->index), dims.nb_dims,
                            -dims.nb_dims, dims.nb_dims - 1);
  } else if (axis < -INGOT_MAX_DIMS || axis >= INGOT_MAX_DIMS) {
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s %lld out of range, expected %d to %d", fn, what,
                          (long long)axis, -INGOT_MAX_DIMS, INGOT_MAX_DIMS - 1);
  }
  return INGOT_SUCCESS;
}

bool ingot_net_declared_dims(const ingot_network *network, int32_t tensor, ingot_dims *dims_out) {
  if (tensor < 0 || tensor >= network->graph->nb_tensors) return false;
  const ingot_graph_tensor *t = &network->graph->tensors[tensor];
  if (t->kind == INGOT_TENSOR_KIND_ACTIVATION || t->dims.nb_dims < 0) return false;
  *dims_out = t->dims;
  return true;
}

ingot_dtype ingot_net_tensor_dtype(const ingot_network *network, const ingot_tensor *tensor) {
  return network->graph->tensors[tensor->index].dtype;
}

const char *ingot_net_tensor_name(const ingot_network *network, int32_t tensor) {
  if (tensor < 0 || tensor >= network->graph->nb_tensors) return "(none)";
  return network->graph->tensors[tensor].name;
}

bool ingot_net_tensor_name_taken(const ingot_network *network, const char *name) {
  return ingot_graph_find_tensor(network->graph, name) >= 0;
}

/* ---- handles ------------------------------------------------------------------------------ */

ingot_status ingot_net_sync_handles(ingot_network *network) {
  const ingot_graph *graph = network->graph;
  if (graph->nb_tensors > network->tensor_handles_cap) {
    int32_t cap = network->tensor_handles_cap ? network->tensor_handles_cap * 2 : 32;
    if (cap < graph->nb_tensors) cap = graph->nb_tensors;
    ingot_tensor **h = ingot_realloc_array(network->tensor_handles, (size_t)cap, sizeof *h);
    if (!h) return INGOT_OUT_OF_MEMORY;
    network->tensor_handles = h;
    network->tensor_handles_cap = cap;
  }
  while (network->nb_tensor_handles < graph->nb_tensors) {
    ingot_tensor *t = ingot_calloc(1, sizeof *t);
    if (!t) return INGOT_OUT_OF_MEMORY;
    t->network = network;
    t->index = network->nb_tensor_handles;
    network->tensor_handles[network->nb_tensor_handles++] = t;
  }
  if (graph->nb_nodes > network->layer_handles_cap) {
    int32_t cap = network->layer_handles_cap ? network->layer_handles_cap * 2 : 32;
    if (cap < graph->nb_nodes) cap = graph->nb_nodes;
    ingot_layer **h = ingot_realloc_array(network->layer_handles, (size_t)cap, sizeof *h);
    if (!h) return INGOT_OUT_OF_MEMORY;
    network->layer_handles = h;
    network->layer_handles_cap = cap;
  }
  while (network->nb_layer_handles < graph->nb_nodes) {
    ingot_layer *l = ingot_calloc(1, sizeof *l);
    if (!l) return INGOT_OUT_OF_MEMORY;
    l->network = network;
    l->index = network->nb_layer_handles;
    network->layer_handles[network->nb_layer_handles++] = l;
  }
  return INGOT_SUCCESS;
}

/* Drops graph tensors and nodes past the marks (a layer that failed half-way), with their
 * handles. Freed as graph.c frees them: names with free, constant data aligned. */
static void truncate_graph(ingot_network *network, int32_t nb_tensors, int32_t nb_nodes) {
  ingot_network_invalidate_dims(network);
  ingot_graph *graph = network->graph;
  while (graph->nb_nodes > nb_nodes) ingot_node_clear(&graph->nodes[--graph->nb_nodes]);
  while (graph->nb_tensors > nb_tensors) {
    ingot_graph_tensor *t = &graph->tensors[--graph->nb_tensors];
    free(t->name);
    ingot_aligned_free(t->data);
    memset(t, 0, sizeof *t);
  }
  while (network->nb_layer_handles > graph->nb_nodes) free(network->layer_handles[--network->nb_layer_handles]);
  while (network->nb_tensor_handles > graph->nb_tensors) free(network->tensor_handles[--network->nb_tensor_handles]);
}

/* Writes `base`, or "<base>_<n>" for the first n that is free, into out: generated names
 * never clash with a name the user chose earlier. */
static void unique_tensor_name(const ingot_network *network, const char *base, char *out, size_t size) {
  snprintf(out, size, "%s", base);
  for (int n = 1; ingot_net_tensor_name_taken(network, out); n++) snprintf(out, size, "%s_%d", base, n);
}

/* ---- appending layers ----------------------------------------------------------------------- */

void ingot_net_layer_begin(ingot_net_layer *layer, ingot_network *network, ingot_op op, int32_t nb_hidden,
                           const char *fn) {
  memset(layer, 0, sizeof *layer);
  layer->network = network;
  layer->fn = fn;
  layer->op = op;
  layer->mark_tensors = network->graph->nb_tensors;
  layer->mark_nodes = network->graph->nb_nodes;
  snprintf(layer->name, sizeof layer->name, "%s_%d", ingot_layer_type_name((ingot_layer_type)op),
           network->graph->nb_nodes + nb_hidden);
}

ingot_status ingot_net_layer_abort(ingot_net_layer *layer, ingot_status status) {
  truncate_graph(layer->network, layer->mark_tensors, layer->mark_nodes);
  return ingot_net_log(layer->network, status);
}

/* A CONSTANT node named `node_name` whose one output tensor `tensor_name` holds the data. */
static ingot_status append_constant_node(ingot_network *network, const char *node_name, const char *tensor_name,
                                         const ingot_dims *dims, const ingot_weights *weights, int32_t *node_out,
                                         int32_t *tensor_out) {
  ingot_graph *graph = network->graph;
  int32_t tensor = -1, node = -1;
  INGOT_TRY(ingot_graph_add_tensor(graph, tensor_name, weights->dtype, dims, INGOT_TENSOR_KIND_CONSTANT, &tensor));
  uint64_t size = (uint64_t)weights->count * ingot_dtype_size(weights->dtype);
  if (size > 0) INGOT_TRY(ingot_graph_set_constant(graph, tensor, weights->values, size));
  ingot_op_params params;
  memset(&params, 0, sizeof params);
  INGOT_TRY(ingot_graph_add_node(graph, node_name, INGOT_OP_CONSTANT, &params, NULL, 0, &node));
  graph->nodes[node].nb_outputs = 1;
  graph->nodes[node].outputs[0] = tensor;
  graph->tensors[tensor].producer = node;
  if (node_out) *node_out = node;
  *tensor_out = tensor;
  return INGOT_SUCCESS;
}

ingot_status ingot_net_layer_add_weights(ingot_net_layer *layer, const char *role, const ingot_weights *weights,
                                         const ingot_dims *dims, int32_t *tensor_out) {
  *tensor_out = -1;
  if (weights->count == 0) return INGOT_SUCCESS;
  char base[INGOT_NET_NAME_SIZE + 32], name[INGOT_NET_NAME_SIZE + 48];
  snprintf(base, sizeof base, "%s.%s", layer->name, role);
  unique_tensor_name(layer->network, base, name, sizeof name);
  ingot_status st = append_constant_node(layer->network, name, name, dims, weights, NULL, tensor_out);
  if (st != INGOT_SUCCESS) return ingot_net_layer_abort(layer, st);
  return INGOT_SUCCESS;
}

/* Lists node `node` among the layers the user sees. */
static ingot_status add_visible(ingot_network *network, int32_t node) {
  if (network->nb_visible_layers == network->visible_layers_cap) {
    int32_t cap = network->visible_layers_cap ? network->visible_layers_cap * 2 : 32;
    int32_t *v = ingot_realloc_array(network->visible_layers, (size_t)cap, sizeof *v);
    if (!v) return INGOT_OUT_OF_MEMORY;
    network->visible_layers = v;
    network->visible_layers_cap = cap;
  }
  network->visible_layers[network->nb_visible_layers++] = node;
  return INGOT_SUCCESS;
}

/* Handles and the visible list for the node just appended; undoes the layer on failure. */
static ingot_status finish_layer(ingot_net_layer *layer, int32_t node, ingot_layer **layer_out) {
  ingot_network *network = layer->network;
  ingot_status st = ingot_net_sync_handles(network);
  if (st == INGOT_SUCCESS) st = add_visible(network, node);
  if (st != INGOT_SUCCESS) return ingot_net_layer_abort(layer, st);
  *layer_out = network->layer_handles[node];
  return INGOT_SUCCESS;
}

ingot_status ingot_net_layer_finish(ingot_net_layer *layer, const ingot_op_params *params, const int32_t *inputs,
                                    int32_t nb_inputs, const ingot_dtype *output_dtypes, int32_t nb_outputs,
                                    ingot_layer **layer_out) {
  ingot_network *network = layer->network;
  ingot_graph *graph = network->graph;
  int32_t outputs[INGOT_MAX_OUTPUTS];
  ingot_dims unknown;
  memset(&unknown, 0, sizeof unknown);
  unknown.nb_dims = -1;
  ingot_status st = INGOT_SUCCESS;
  for (int32_t i = 0; i < nb_outputs && st == INGOT_SUCCESS; i++) {
    char base[INGOT_NET_NAME_SIZE + 32], name[INGOT_NET_NAME_SIZE + 48];
    snprintf(base, sizeof base, "%s_output_%d", layer->name, i);
    unique_tensor_name(network, base, name, sizeof name);
    st = ingot_graph_add_tensor(graph, name, output_dtypes[i], &unknown, INGOT_TENSOR_KIND_ACTIVATION, &outputs[i]);
  }
  int32_t node = -1;
  if (st == INGOT_SUCCESS) st = ingot_graph_add_node(graph, layer->name, layer->op, params, inputs, nb_inputs, &node);
  if (st != INGOT_SUCCESS) return ingot_net_layer_abort(layer, st);
  graph->nodes[node].nb_outputs = nb_outputs;
  for (int32_t i = 0; i < nb_outputs; i++) {
    graph->nodes[node].outputs[i] = outputs[i];
    graph->tensors[outputs[i]].producer = node;
  }
  return finish_layer(layer, node, layer_out);
}

ingot_status ingot_net_add_layer(ingot_network *network, ingot_op op, const char *fn, const ingot_op_params *params,
                                 const int32_t *inputs, int32_t nb_inputs, const ingot_dtype *output_dtypes,
                                 int32_t nb_outputs, ingot_layer **layer_out) {
  ingot_net_layer layer;
  ingot_net_layer_begin(&layer, network, op, 0, fn);
  return ingot_net_layer_finish(&layer, params, inputs, nb_inputs, output_dtypes, nb_outputs, layer_out);
}

ingot_status ingot_net_finish_constant(ingot_net_layer *layer, const ingot_dims *dims, const ingot_weights *weights,
                                       ingot_layer **layer_out) {
  char base[INGOT_NET_NAME_SIZE + 32], name[INGOT_NET_NAME_SIZE + 48];
  snprintf(base, sizeof base, "%s_output_0", layer->name);
  unique_tensor_name(layer->network, base, name, sizeof name);
  int32_t node = -1, tensor = -1;
  ingot_status st = append_constant_node(layer->network, layer->name, name, dims, weights, &node, &tensor);
  if (st != INGOT_SUCCESS) return ingot_net_layer_abort(layer, st);
  return finish_layer(layer, node, layer_out);
}

/* ---- topological order ---------------------------------------------------------------------- */

/* Depth-first: each node is emitted after the producers of its inputs, visiting nodes in
 * their current order, so an already sorted graph keeps its order. */
ingot_status ingot_net_reorder(ingot_network *network, const char *fn) {
  ingot_graph *graph = network->graph;
  int32_t n = graph->nb_nodes;
  if (n == 0) return INGOT_SUCCESS;
  int32_t *order = ingot_calloc((size_t)n, sizeof *order);
  int32_t *state = ingot_calloc((size_t)n, sizeof *state); /* 0 new, 1 on the stack, 2 emitted */
  int32_t *stack = ingot_calloc((size_t)n, sizeof *stack);
  int32_t *next_input = ingot_calloc((size_t)n, sizeof *next_input);
  int32_t *new_index = ingot_calloc((size_t)n, sizeof *new_index);
  ingot_node *nodes = ingot_calloc((size_t)graph->nodes_cap > (size_t)n ? (size_t)graph->nodes_cap : (size_t)n,
                                   sizeof *nodes);
  ingot_layer **old = ingot_calloc((size_t)n, sizeof *old);
  ingot_status st = INGOT_SUCCESS;
  if (!order || !state || !stack || !next_input || !new_index || !nodes || !old) {
    st = ingot_net_log(network, INGOT_OUT_OF_MEMORY);
    goto done;
  }
  int32_t emitted = 0;
  for (int32_t root = 0; root < n && st == INGOT_SUCCESS; root++) {
    if (state[root] != 0) continue;
    int32_t depth = 0;
    stack[depth++] = root;
    state[root] = 1;
    while (depth > 0) {
      int32_t v = stack[depth - 1];
      const ingot_node *node = &graph->nodes[v];
      if (next_input[v] < node->nb_inputs) {
        int32_t t = node->inputs[next_input[v]++];
        int32_t p = t >= 0 && t < graph->nb_tensors ? graph->tensors[t].producer : -1;
        if (p < 0 || p >= n || state[p] == 2) continue;
        if (state[p] == 1) {
          st = ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                              "%s: layer '%s' would depend on its own output through tensor '%s'; a network must "
                              "have no cycles",
                              fn, graph->nodes[p].name, graph->tensors[t].name);
          break;
        }
        state[p] = 1;
        stack[depth++] = p;
        continue;
      }
      state[v] = 2;
      new_index[v] = emitted;
      order[emitted++] = v;
      depth--;
    }
  }
  if (st != INGOT_SUCCESS) goto done;
  for (int32_t i = 0; i < n; i++) nodes[i] = graph->nodes[order[i]];
  free(graph->nodes);
  graph->nodes = nodes;
  graph->nodes_cap = graph->nodes_cap > n ? graph->nodes_cap : n;
  nodes = NULL;
  for (int32_t t = 0; t < graph->nb_tensors; t++)
    if (graph->tensors[t].producer >= 0 && graph->tensors[t].producer < n)
      graph->tensors[t].producer = new_index[graph->tensors[t].producer];
  /* Handles follow their nodes. */
  memcpy(old, network->layer_handles, (size_t)n * sizeof *old);
  for (int32_t i = 0; i < n; i++) {
    network->layer_handles[i] = old[order[i]];
    network->layer_handles[i]->index = i;
  }
  for (int32_t i = 0; i < network->nb_visible_layers; i++)
    network->visible_layers[i] = new_index[network->visible_layers[i]];
done:
  free(order);
  free(state);
  free(stack);
  free(next_input);
  free(new_index);
  free(nodes);
  free(old);
  return st;
}

/* ---- network ------------------------------------------------------------------------------ */

ingot_status ingot_network_create(ingot_logger *logger, ingot_network **network_out) {
  INGOT_CHECK_NULL(network_out, "ingot_network_create");
  *network_out = NULL;
  ingot_network *network = ingot_calloc(1, sizeof *network);
  if (!network) return ingot_log_failure(logger, INGOT_OUT_OF_MEMORY);
  network->logger = logger;
  ingot_status st = ingot_graph_create(&network->graph);
  if (st != INGOT_SUCCESS) {
    free(network);
    return ingot_log_failure(logger, st);
  }
  *network_out = network;
  return INGOT_SUCCESS;
}

static void free_dims_cache(struct ingot_dims_cache *c);

void ingot_network_destroy(ingot_network *network) {
  if (!network) return;
  for (int32_t i = 0; i < network->nb_tensor_handles; i++) free(network->tensor_handles[i]);
  for (int32_t i = 0; i < network->nb_layer_handles; i++) free(network->layer_handles[i]);
  free(network->tensor_handles);
  free(network->layer_handles);
  free(network->visible_layers);
  free_dims_cache(&network->dims_cache[0]);
  free_dims_cache(&network->dims_cache[1]);
  ingot_graph_destroy(network->graph);
  free(network);
}

/* Name checks shared by inputs and renames. */
static ingot_status check_new_name(const ingot_network *network, const char *name, const char *fn) {
  if (name[0] == '\0')
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: name is empty, expected a non-empty name", fn);
  if (strlen(name) >= INGOT_NET_NAME_SIZE)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: name '%.40s...' is %zu bytes long, expected < %d", fn,
                          name, strlen(name), INGOT_NET_NAME_SIZE);
  return INGOT_SUCCESS;
}

/* Appends to a growable int32 array of the graph (inputs, outputs). */
static ingot_status append_index(int32_t **array, int32_t *count, int32_t value) {
  int32_t *a = ingot_realloc_array(*array, (size_t)*count + 1, sizeof *a);
  if (!a) return INGOT_OUT_OF_MEMORY;
  a[(*count)++] = value;
  *array = a;
  return INGOT_SUCCESS;
}

ingot_status ingot_network_add_input(ingot_network *network, const char *name, ingot_dtype dtype,
                                     const ingot_dims *dims, ingot_tensor **tensor_out) {
  static const char fn[] = "ingot_network_add_input";
  INGOT_NET_CHECK_NULL(network, network, fn);
  INGOT_NET_CHECK_NULL(network, name, fn);
  INGOT_NET_CHECK_NULL(network, dims, fn);
  INGOT_NET_CHECK_NULL(network, tensor_out, fn);
  *tensor_out = NULL;
  INGOT_TRY(check_new_name(network, name, fn));
  if (!ingot_dtype_valid(dtype))
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: input '%s' has dtype %d, expected a valid ingot_dtype",
                          fn, name, (int)dtype);
  if (dims->nb_dims < 0 || dims->nb_dims > INGOT_MAX_DIMS)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: input '%s' has nb_dims %d, expected 0 to %d", fn, name,
                          dims->nb_dims, INGOT_MAX_DIMS);
  for (int32_t i = 0; i < dims->nb_dims; i++)
    if (dims->d[i] < -1)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                            "%s: input '%s' dim %d is %lld, expected >= 0 or -1 (dynamic)", fn, name, i,
                            (long long)dims->d[i]);
  if (ingot_net_tensor_name_taken(network, name))
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: a tensor named '%s' already exists; names must be unique",
                          fn, name);
  ingot_graph *graph = network->graph;
  int32_t mark_tensors = graph->nb_tensors, mark_nodes = graph->nb_nodes;
  int32_t index = -1;
  ingot_dims declared = *dims;
  for (int32_t i = declared.nb_dims; i < INGOT_MAX_DIMS; i++) declared.d[i] = 0;
  ingot_status st = ingot_graph_add_tensor(graph, name, dtype, &declared, INGOT_TENSOR_KIND_INPUT, &index);
  if (st == INGOT_SUCCESS) st = ingot_net_sync_handles(network);
  if (st == INGOT_SUCCESS) st = append_index(&graph->inputs, &graph->nb_inputs, index);
  if (st != INGOT_SUCCESS) {
    truncate_graph(network, mark_tensors, mark_nodes);
    return ingot_net_log(network, st);
  }
  *tensor_out = network->tensor_handles[index];
  return INGOT_SUCCESS;
}

ingot_status ingot_network_mark_output(ingot_network *network, ingot_tensor *tensor) {
  static const char fn[] = "ingot_network_mark_output";
  INGOT_NET_CHECK_NULL(network, network, fn);
  INGOT_TRY(ingot_net_check_tensor(network, tensor, fn, "tensor"));
  ingot_graph *graph = network->graph;
  ingot_graph_tensor *t = &graph->tensors[tensor->index];
  if (t->is_output)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: tensor '%s' is already a network output", fn, t->name);
  ingot_status st = append_index(&graph->outputs, &graph->nb_outputs, tensor->index);
  if (st != INGOT_SUCCESS) return ingot_net_log(network, st);
  t->is_output = 1;
  return INGOT_SUCCESS;
}

ingot_status ingot_network_unmark_output(ingot_network *network, ingot_tensor *tensor) {
  static const char fn[] = "ingot_network_unmark_output";
  INGOT_NET_CHECK_NULL(network, network, fn);
  INGOT_TRY(ingot_net_check_tensor(network, tensor, fn, "tensor"));
  ingot_graph *graph = network->graph;
  int32_t pos = -1;
  for (int32_t i = 0; i < graph->nb_outputs; i++)
    if (graph->outputs[i] == tensor->index) pos = i;
  if (pos < 0)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: tensor '%s' is not a network output", fn,
                          graph->tensors[tensor->index].name);
  memmove(&graph->outputs[pos], &graph->outputs[pos + 1], (size_t)(graph->nb_outputs - pos - 1) * sizeof(int32_t));
  graph->nb_outputs--;
  graph->tensors[tensor->index].is_output = 0;
  return INGOT_SUCCESS;
}

int32_t ingot_network_num_inputs(const ingot_network *network) { return network ? network->graph->nb_inputs : 0; }
int32_t ingot_network_num_outputs(const ingot_network *network) { return network ? network->graph->nb_outputs : 0; }
int32_t ingot_network_num_layers(const ingot_network *network) { return network ? network->nb_visible_layers : 0; }

/* NULL with the last error set when the index is out of range. */
static bool index_ok(const ingot_network *network, int32_t index, int32_t count, const char *fn) {
  if (!network) {
    ingot_fail(INGOT_INVALID_ARGUMENT, "%s: argument 'network' is NULL", fn);
    return false;
  }
  if (index < 0 || index >= count) {
    ingot_fail(INGOT_INVALID_ARGUMENT, "%s: index %d out of range, expected 0 to %d", fn, index, count - 1);
    return false;
  }
  return true;
}

ingot_tensor *ingot_network_get_input(const ingot_network *network, int32_t index) {
  if (!index_ok(network, index, network ? network->graph->nb_inputs : 0, "ingot_network_get_input")) return NULL;
  return network->tensor_handles[network->graph->inputs[index]];
}

ingot_tensor *ingot_network_get_output(const ingot_network *network, int32_t index) {
  if (!index_ok(network, index, network ? network->graph->nb_outputs : 0, "ingot_network_get_output")) return NULL;
  return network->tensor_handles[network->graph->outputs[index]];
}

ingot_layer *ingot_network_get_layer(const ingot_network *network, int32_t index) {
  if (!index_ok(network, index, network ? network->nb_visible_layers : 0, "ingot_network_get_layer")) return NULL;
  return network->layer_handles[network->visible_layers[index]];
}

ingot_tensor *ingot_network_find_tensor(const ingot_network *network, const char *name) {
  if (!network || !name) {
    ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_network_find_tensor: argument '%s' is NULL", network ? "name" : "network");
    return NULL;
  }
  int32_t index = ingot_graph_find_tensor(network->graph, name);
  if (index < 0 || index >= network->nb_tensor_handles) {
    ingot_fail(INGOT_NOT_FOUND, "ingot_network_find_tensor: no tensor named '%s'", name);
    return NULL;
  }
  return network->tensor_handles[index];
}

/* ---- tensors ------------------------------------------------------------------------------ */

/* The graph tensor behind a handle, or NULL (last error set) for an invalid handle. */
static ingot_graph_tensor *tensor_of(const ingot_tensor *tensor, const char *fn) {
  if (!tensor) {
    ingot_fail(INGOT_INVALID_ARGUMENT, "%s: argument 'tensor' is NULL", fn);
    return NULL;
  }
  if (tensor_index(tensor->network, tensor) < 0) {
    ingot_fail(INGOT_INVALID_ARGUMENT, "%s: argument 'tensor' is not a valid tensor handle", fn);
    return NULL;
  }
  return &tensor->network->graph->tensors[tensor->index];
}

const char *ingot_tensor_get_name(const ingot_tensor *tensor) {
  const ingot_graph_tensor *t = tensor_of(tensor, "ingot_tensor_get_name");
  return t ? t->name : NULL;
}

ingot_status ingot_tensor_set_name(ingot_tensor *tensor, const char *name) {
  static const char fn[] = "ingot_tensor_set_name";
  ingot_graph_tensor *t = tensor_of(tensor, fn);
  if (!t) return INGOT_INVALID_ARGUMENT;
  ingot_network *network = tensor->network;
  INGOT_NET_CHECK_NULL(network, name, fn);
  INGOT_TRY(check_new_name(network, name, fn));
  if (strcmp(t->name, name) == 0) return INGOT_SUCCESS;
  if (ingot_net_tensor_name_taken(network, name))
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                          "%s: cannot rename tensor '%s' to '%s': a tensor named '%s' already exists", fn, t->name, name,
                          name);
  char *copy = ingot_strdup(name);
  if (!copy) return ingot_net_log(network, INGOT_OUT_OF_MEMORY);
  free(t->name);
  t->name = copy;
  return INGOT_SUCCESS;
}

ingot_dtype ingot_tensor_get_dtype(const ingot_tensor *tensor) {
  const ingot_graph_tensor *t = tensor_of(tensor, "ingot_tensor_get_dtype");
  return t ? t->dtype : (ingot_dtype)INGOT_DTYPE_COUNT;
}

/* Dims of a layer output: shape inference over the whole graph, possible only while every
 * input has concrete dims (otherwise the builder infers them per profile). */
void ingot_network_invalidate_dims(ingot_network *network) {
  network->dims_cache[0].nodes = network->dims_cache[1].nodes = 0;
  network->dims_cache[0].failed = network->dims_cache[1].failed = false;
}

static void free_dims_cache(struct ingot_dims_cache *c) {
  free(c->dims);
  free(c->dtypes);
  ingot_value_store_free(&c->values);
  memset(c, 0, sizeof *c);
}

static bool has_dynamic_input(const ingot_graph *graph) {
  for (int32_t i = 0; i < graph->nb_inputs; i++)
    if (!ingot_dims_is_concrete(&graph->tensors[graph->inputs[i]].dims)) return true;
  return false;
}

/* Brings one dims cache up to the graph's current nodes: from scratch after a reset, else
 * only the layers appended since. Dynamic input dims are replaced by `stand_in`. */
static ingot_status update_dims_cache(const ingot_graph *graph, struct ingot_dims_cache *c, int64_t stand_in) {
  if (c->cap < graph->nb_tensors) {
    int32_t cap = graph->nb_tensors * 2 + 16;
    ingot_dims *d = ingot_realloc_array(c->dims, (size_t)cap, sizeof *d);
    if (!d) return INGOT_OUT_OF_MEMORY;
    c->dims = d;
    ingot_dtype *t = ingot_realloc_array(c->dtypes, (size_t)cap, sizeof *t);
    if (!t) return INGOT_OUT_OF_MEMORY;
    c->dtypes = t;
    c->cap = cap;
  }
  if (c->nodes == 0 || c->values.data == NULL) {
    ingot_value_store_free(&c->values);
    INGOT_TRY(ingot_value_store_init(&c->values, graph, ingot_cpu_eval_node));
    ingot_dims *input_dims = ingot_calloc((size_t)graph->nb_inputs + 1, sizeof *input_dims);
    if (!input_dims) return INGOT_OUT_OF_MEMORY;
    for (int32_t i = 0; i < graph->nb_inputs; i++) {
      input_dims[i] = graph->tensors[graph->inputs[i]].dims;
      for (int32_t k = 0; k < input_dims[i].nb_dims; k++)
        if (input_dims[i].d[k] < 0) input_dims[i].d[k] = stand_in;
    }
    ingot_status st = ingot_graph_infer(graph, input_dims, c->dims, c->dtypes, &c->values);
    free(input_dims);
    c->tensors = graph->nb_tensors;
    c->nodes = st == INGOT_SUCCESS ? graph->nb_nodes : 0;
    return st;
  }
  /* Tensors added since: their declared state, as ingot_graph_infer starts from. */
  if (c->tensors < graph->nb_tensors) {
    const void **data = ingot_realloc_array((void *)c->values.data, (size_t)graph->nb_tensors + 1, sizeof(void *));
    if (!data) return INGOT_OUT_OF_MEMORY;
    c->values.data = data;
    for (int32_t t = c->tensors; t < graph->nb_tensors; t++) {
      const ingot_graph_tensor *gt = &graph->tensors[t];
      c->dims[t] = gt->dims;
      if (gt->kind == INGOT_TENSOR_KIND_ACTIVATION) c->dims[t].nb_dims = -1;
      c->dtypes[t] = gt->dtype;
      data[t] = gt->kind == INGOT_TENSOR_KIND_CONSTANT ? gt->data : NULL;
    }
    c->tensors = graph->nb_tensors;
  }
  if (c->nodes < graph->nb_nodes) {
    ingot_status st = ingot_graph_infer_nodes(graph, c->nodes, c->dims, c->dtypes, &c->values);
    if (st != INGOT_SUCCESS) {
      c->nodes = 0; /* the failing layer may be changed: start over next time */
      return st;
    }
    c->nodes = graph->nb_nodes;
  }
  return INGOT_SUCCESS;
}

/* Stand-ins for dynamic dims: two values unlikely to meet a dim by chance (not 1, which
 * broadcasts). Output dims that come out equal in both inferences do not depend on them. */
static const int64_t stand_ins[2] = {7, 11};

static ingot_status infer_dims(const ingot_network *network, int32_t index, ingot_dims *dims_out) {
  static const char fn[] = "ingot_tensor_get_dims";
  ingot_network *net = (ingot_network *)network; /* the cache is not observable state */
  const ingot_graph *graph = network->graph;
  if (!has_dynamic_input(graph)) {
    ingot_status st = update_dims_cache(graph, &net->dims_cache[0], 1);
    if (st != INGOT_SUCCESS) {
      ingot_error_prefix("%s: inferring the dims of '%s'", fn, graph->tensors[index].name);
      return ingot_net_log(network, st);
    }
    *dims_out = net->dims_cache[0].dims[index];
    return INGOT_SUCCESS;
  }
  /* Dynamic inputs: dims known only per profile; what does not depend on the dynamic dims
   * is reported, the rest is -1 (all -1, rank -1, if the stand-ins do not infer). */
  for (int v = 0; v < 2; v++) {
    struct ingot_dims_cache *c = &net->dims_cache[v];
    if (c->failed) return INGOT_SUCCESS;
    if (update_dims_cache(graph, c, stand_ins[v]) != INGOT_SUCCESS) {
      c->failed = true;
      ingot_clear_last_error();
      return INGOT_SUCCESS;
    }
  }
  const ingot_dims *a = &net->dims_cache[0].dims[index], *b = &net->dims_cache[1].dims[index];
  if (a->nb_dims != b->nb_dims) return INGOT_SUCCESS;
  *dims_out = *a;
  for (int32_t k = 0; k < a->nb_dims; k++)
    if (a->d[k] != b->d[k]) dims_out->d[k] = -1;
  return INGOT_SUCCESS;
}

ingot_status ingot_tensor_get_dims(const ingot_tensor *tensor, ingot_dims *dims_out) {
  static const char fn[] = "ingot_tensor_get_dims";
  const ingot_graph_tensor *t = tensor_of(tensor, fn);
  if (!t) return INGOT_INVALID_ARGUMENT;
  INGOT_NET_CHECK_NULL(tensor->network, dims_out, fn);
  memset(dims_out, 0, sizeof *dims_out);
  dims_out->nb_dims = -1; /* what a caller that ignores the status sees on failure */
  if (t->kind != INGOT_TENSOR_KIND_ACTIVATION && t->dims.nb_dims >= 0) {
    *dims_out = t->dims;
    return INGOT_SUCCESS;
  }
  return infer_dims(tensor->network, tensor->index, dims_out);
}

int ingot_tensor_is_input(const ingot_tensor *tensor) {
  const ingot_graph_tensor *t = tensor_of(tensor, "ingot_tensor_is_input");
  return t && t->kind == INGOT_TENSOR_KIND_INPUT;
}

int ingot_tensor_is_output(const ingot_tensor *tensor) {
  const ingot_graph_tensor *t = tensor_of(tensor, "ingot_tensor_is_output");
  return t && t->is_output;
}

/* ---- layers ------------------------------------------------------------------------------- */

static ingot_node *node_of(const ingot_layer *layer, const char *fn) {
  if (!layer) {
    ingot_fail(INGOT_INVALID_ARGUMENT, "%s: argument 'layer' is NULL", fn);
    return NULL;
  }
  if (layer_index(layer) < 0) {
    ingot_fail(INGOT_INVALID_ARGUMENT, "%s: argument 'layer' is not a valid layer handle", fn);
    return NULL;
  }
  return &layer->network->graph->nodes[layer->index];
}

const char *ingot_layer_get_name(const ingot_layer *layer) {
  const ingot_node *node = node_of(layer, "ingot_layer_get_name");
  return node ? node->name : NULL;
}

ingot_status ingot_layer_set_name(ingot_layer *layer, const char *name) {
  static const char fn[] = "ingot_layer_set_name";
  ingot_node *node = node_of(layer, fn);
  if (!node) return INGOT_INVALID_ARGUMENT;
  INGOT_NET_CHECK_NULL(layer->network, name, fn);
  INGOT_TRY(check_new_name(layer->network, name, fn));
  char *copy = ingot_strdup(name);
  if (!copy) return ingot_net_log(layer->network, INGOT_OUT_OF_MEMORY);
  free(node->name);
  node->name = copy;
  return INGOT_SUCCESS;
}

ingot_layer_type ingot_layer_get_type(const ingot_layer *layer) {
  const ingot_node *node = node_of(layer, "ingot_layer_get_type");
  return node ? (ingot_layer_type)node->op : INGOT_LAYER_TYPE_COUNT;
}

int32_t ingot_layer_num_inputs(const ingot_layer *layer) {
  const ingot_node *node = node_of(layer, "ingot_layer_num_inputs");
  return node ? node->nb_inputs : 0;
}

int32_t ingot_layer_num_outputs(const ingot_layer *layer) {
  const ingot_node *node = node_of(layer, "ingot_layer_num_outputs");
  return node ? node->nb_outputs : 0;
}

/* An absent optional input (scale's shift, layer norm's bias) gives NULL. */
ingot_tensor *ingot_layer_get_input(const ingot_layer *layer, int32_t index) {
  static const char fn[] = "ingot_layer_get_input";
  const ingot_node *node = node_of(layer, fn);
  if (!node) return NULL;
  if (index < 0 || index >= node->nb_inputs) {
    ingot_fail(INGOT_INVALID_ARGUMENT, "%s: layer '%s' has %d inputs, index %d out of range", fn, node->name,
               node->nb_inputs, index);
    return NULL;
  }
  int32_t t = node->inputs[index];
  return t >= 0 && t < layer->network->nb_tensor_handles ? layer->network->tensor_handles[t] : NULL;
}

ingot_tensor *ingot_layer_get_output(const ingot_layer *layer, int32_t index) {
  static const char fn[] = "ingot_layer_get_output";
  const ingot_node *node = node_of(layer, fn);
  if (!node) return NULL;
  if (index < 0 || index >= node->nb_outputs) {
    ingot_fail(INGOT_INVALID_ARGUMENT, "%s: layer '%s' has %d outputs, index %d out of range", fn, node->name,
               node->nb_outputs, index);
    return NULL;
  }
  return layer->network->tensor_handles[node->outputs[index]];
}

/* Ops whose optional bias sits at input 2 behind a has_bias flag: set_input(2) on one
 * without a bias adds it. */
static int32_t *bias_flag(ingot_node *node) {
  switch (node->op) {
    case INGOT_OP_CONVOLUTION:
    case INGOT_OP_DECONVOLUTION: return &node->params.conv.has_bias;
    case INGOT_OP_MATRIX_MULTIPLY: return &node->params.matmul.has_bias;
    case INGOT_OP_FULLY_CONNECTED: return &node->params.fc.has_bias;
    default: return NULL;
  }
}

/* How many inputs set_input(index) may extend the node to: the optional value inputs of
 * network.h (shuffle 1: reshape dims; slice 1..3: start, size, stride; resize 1: output
 * dims; padding 1: pads), or 0 when `index` names no optional input of this op. */
static int32_t optional_input_limit(const ingot_node *node, int32_t index) {
  switch (node->op) {
    case INGOT_OP_SHUFFLE:
    case INGOT_OP_RESIZE:
    case INGOT_OP_PADDING: return index == 1 ? 2 : 0;
    case INGOT_OP_SLICE: return index >= 1 && index <= 3 ? 4 : 0;
    default: return 0;
  }
}

ingot_status ingot_layer_set_input(ingot_layer *layer, int32_t index, ingot_tensor *tensor) {
  if (layer && layer_index(layer) >= 0) ingot_network_invalidate_dims(layer->network);
  static const char fn[] = "ingot_layer_set_input";
  ingot_node *node = node_of(layer, fn);
  if (!node) return INGOT_INVALID_ARGUMENT;
  ingot_network *network = layer->network;
  INGOT_TRY(ingot_net_check_tensor(network, tensor, fn, "tensor"));
  int32_t *has_bias = bias_flag(node);
  bool adds_bias = has_bias && !*has_bias && index == 2 && node->nb_inputs == 2;
  /* An optional value input past the current end: the inputs between stay absent (-1). */
  bool appends = !adds_bias && index >= node->nb_inputs && optional_input_limit(node, index) > index;
  if ((index < 0 || index >= node->nb_inputs) && !adds_bias && !appends)
    return ingot_net_log(network, ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                                                  "%s: input index %d out of range: the layer has %d inputs", fn,
                                                  index, node->nb_inputs));
  const int32_t old_count = node->nb_inputs;
  if (adds_bias || appends) {
    int32_t count = index + 1;
    int32_t *inputs = ingot_realloc_array(node->inputs, (size_t)count, sizeof *inputs);
    if (!inputs) return ingot_net_log(network, INGOT_OUT_OF_MEMORY);
    node->inputs = inputs;
    for (int32_t k = old_count; k < count; k++) node->inputs[k] = -1;
    node->nb_inputs = count;
    if (adds_bias) *has_bias = 1;
  }
  int32_t old = node->inputs[index];
  node->inputs[index] = tensor->index;
  /* A tensor made by a later layer (a constant added after the convolution it feeds, as
   * TensorRT allows) moves that layer forward; `node` is stale after a reorder. */
  int32_t producer = network->graph->tensors[tensor->index].producer;
  if (producer >= layer->index) {
    ingot_status st = ingot_net_reorder(network, fn);
    if (st != INGOT_SUCCESS) { /* nothing moved: undo the change */
      node->inputs[index] = old;
      node->nb_inputs = old_count;
      if (adds_bias) *has_bias = 0;
      return st;
    }
  }
  return INGOT_SUCCESS;
}
