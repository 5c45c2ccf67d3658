/* The graph: arrays of tensors and nodes, with the structural checks and the whole-graph
 * shape inference that the builder, the plan reader and the runtime share. */
#include "ops/graph.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/dims.h"
#include "core/error.h"
#include "plugin/plugin_internal.h"

ingot_status ingot_graph_create(ingot_graph **graph_out) {
  INGOT_CHECK_NULL(graph_out, "ingot_graph_create");
  *graph_out = ingot_calloc(1, sizeof(ingot_graph));
  return *graph_out ? INGOT_SUCCESS : INGOT_OUT_OF_MEMORY;
}

void ingot_node_clear(ingot_node *node) {
  free(node->name);
  free(node->inputs);
  free(node->fused_name);
  free(node->prepared);
  ingot_plugin_destroy(node->plugin);
  memset(node, 0, sizeof *node);
}

void ingot_graph_destroy(ingot_graph *graph) {
  if (!graph) return;
  for (int32_t i = 0; i < graph->nb_tensors; i++) {
    free(graph->tensors[i].name);
    ingot_aligned_free(graph->tensors[i].data);
  }
  for (int32_t i = 0; i < graph->nb_nodes; i++) ingot_node_clear(&graph->nodes[i]);
  free(graph->tensors);
  free(graph->nodes);
  free(graph->inputs);
  free(graph->outputs);
  free(graph->profiles);
  free(graph);
}

ingot_status ingot_graph_add_tensor(ingot_graph *graph, const char *name, ingot_dtype dtype, const ingot_dims *dims,
                                    ingot_tensor_kind kind, int32_t *index_out) {
  if (graph->nb_tensors == INT32_MAX / 2) return ingot_fail(INGOT_OUT_OF_MEMORY, "too many tensors");
  if (graph->nb_tensors == graph->tensors_cap) {
    int32_t cap = graph->tensors_cap ? graph->tensors_cap * 2 : 16;
    ingot_graph_tensor *t = ingot_realloc_array(graph->tensors, (size_t)cap, sizeof *t);
    if (!t) return INGOT_OUT_OF_MEMORY;
    graph->tensors = t;
    graph->tensors_cap = cap;
  }
  ingot_graph_tensor *t = &graph->tensors[graph->nb_tensors];
  memset(t, 0, sizeof *t);
  t->name = ingot_strdup(name);
  if (!t->name) return INGOT_OUT_OF_MEMORY;
  t->dtype = dtype;
  if (dims)
    t->dims = *dims;
  else
    t->dims.nb_dims = -1;
  t->kind = kind;
  t->producer = -1;
  if (index_out) *index_out = graph->nb_tensors;
  graph->nb_tensors++;
  return INGOT_SUCCESS;
}

ingot_status ingot_graph_add_node(ingot_graph *graph, const char *name, ingot_op op, const ingot_op_params *params,
                                  const int32_t *inputs, int32_t nb_inputs, int32_t *index_out) {
  if (nb_inputs < 0) return ingot_fail(INGOT_INVALID_ARGUMENT, "negative input count");
  if (graph->nb_nodes == INT32_MAX / 2) return ingot_fail(INGOT_OUT_OF_MEMORY, "too many nodes");
  if (graph->nb_nodes == graph->nodes_cap) {
    int32_t cap = graph->nodes_cap ? graph->nodes_cap * 2 : 16;
    ingot_node *n = ingot_realloc_array(graph->nodes, (size_t)cap, sizeof *n);
    if (!n) return INGOT_OUT_OF_MEMORY;
    graph->nodes = n;
    graph->nodes_cap = cap;
  }
  ingot_node *n = &graph->nodes[graph->nb_nodes];
  memset(n, 0, sizeof *n);
  n->name = ingot_strdup(name);
  n->inputs = ingot_calloc((size_t)(nb_inputs ? nb_inputs : 1), sizeof(int32_t));
  if (!n->name || !n->inputs) {
    ingot_node_clear(n);
    return INGOT_OUT_OF_MEMORY;
  }
  n->op = op;
  if (params) n->params = *params;
  if (nb_inputs) memcpy(n->inputs, inputs, (size_t)nb_inputs * sizeof(int32_t));
  n->nb_inputs = nb_inputs;
  if (index_out) *index_out = graph->nb_nodes;
  graph->nb_nodes++;
  return INGOT_SUCCESS;
}

ingot_status ingot_graph_set_constant(ingot_graph *graph, int32_t tensor, const void *data, uint64_t size) {
  if (tensor < 0 || tensor >= graph->nb_tensors)
    return ingot_fail(INGOT_INTERNAL_ERROR, "constant tensor index %d out of range", tensor);
  if (size > (uint64_t)SIZE_MAX - 64) return ingot_fail(INGOT_OUT_OF_MEMORY, "constant of %llu bytes", (unsigned long long)size);
  void *copy = ingot_aligned_alloc((size_t)size);
  if (!copy) return INGOT_OUT_OF_MEMORY;
  if (size) memcpy(copy, data, (size_t)size);
  ingot_graph_tensor *t = &graph->tensors[tensor];
  ingot_aligned_free(t->data);
  t->data = copy;
  t->data_size = size;
  t->data_packed = false;
  t->kind = INGOT_TENSOR_KIND_CONSTANT;
  return INGOT_SUCCESS;
}

int32_t ingot_graph_find_tensor(const ingot_graph *graph, const char *name) {
  if (!name) return -1;
  for (int32_t i = 0; i < graph->nb_tensors; i++)
    if (strcmp(graph->tensors[i].name, name) == 0) return i;
  return -1;
}

int32_t ingot_graph_find_input(const ingot_graph *graph, const char *name) {
  if (!name) return -1;
  for (int32_t i = 0; i < graph->nb_inputs; i++)
    if (strcmp(graph->tensors[graph->inputs[i]].name, name) == 0) return i;
  return -1;
}

/* Inputs that may be absent (-1): scale's coefficients, layer norm's bias, slice's
 * start/size/stride tensors, a quantize's zero point. */
static bool input_is_optional(const ingot_node *node, int32_t slot) {
  switch (node->op) {
    case INGOT_OP_SCALE:
    case INGOT_OP_SLICE: return slot >= 1;
    case INGOT_OP_LAYER_NORMALIZATION:
    case INGOT_OP_QUANTIZE:
    case INGOT_OP_DEQUANTIZE: return slot == 2;
    case INGOT_OP_NON_MAX_SUPPRESSION: return slot >= 2;
    case INGOT_OP_RNN: return slot >= 3; /* B, lengths, states, peepholes */
    default: return false;
  }
}

ingot_status ingot_graph_validate(const ingot_graph *graph) {
  for (int32_t t = 0; t < graph->nb_tensors; t++) {
    const ingot_graph_tensor *gt = &graph->tensors[t];
    if (!gt->name) return ingot_fail(INGOT_INVALID_GRAPH, "tensor %d has no name", t);
    if (!ingot_dtype_valid(gt->dtype))
      return ingot_fail(INGOT_INVALID_GRAPH, "tensor '%s' has dtype %d out of range", gt->name, (int)gt->dtype);
    if (gt->kind < 0 || gt->kind > INGOT_TENSOR_KIND_CONSTANT)
      return ingot_fail(INGOT_INVALID_GRAPH, "tensor '%s' has kind %d out of range", gt->name, gt->kind);
    if (gt->dims.nb_dims != -1 && !ingot_dims_valid(&gt->dims))
      return ingot_fail(INGOT_INVALID_GRAPH, "tensor '%s' has invalid dims (rank %d)", gt->name, gt->dims.nb_dims);
    if (gt->data_packed && (gt->kind != INGOT_TENSOR_KIND_CONSTANT || gt->data || gt->data_size))
      return ingot_fail(INGOT_INVALID_GRAPH, "tensor '%s' is marked packed but is not a constant without data",
                        gt->name);
    if (gt->kind == INGOT_TENSOR_KIND_CONSTANT) {
      int64_t vol = ingot_dims_is_concrete(&gt->dims) ? ingot_dims_volume(&gt->dims) : -1;
      uint64_t elem = ingot_dtype_size(gt->dtype);
      /* a volume whose bytes pass 2^64 would wrap to any data size (0 for 2^61 int64s) */
      if (vol > 0 && elem && (uint64_t)vol > UINT64_MAX / elem) vol = -1;
      uint64_t expected = vol < 0 || gt->data_packed ? 0 : (uint64_t)vol * elem;
      if (vol < 0 || expected != gt->data_size || (vol > 0 && !gt->data && !gt->data_packed))
        return ingot_fail(INGOT_INVALID_GRAPH, "constant '%s' holds %llu bytes, its dims and dtype need %lld",
                          gt->name, (unsigned long long)gt->data_size,
                          vol < 0 ? -1LL : (long long)(vol * (int64_t)ingot_dtype_size(gt->dtype)));
    }
    if (gt->producer < -1 || gt->producer >= graph->nb_nodes)
      return ingot_fail(INGOT_INVALID_GRAPH, "tensor '%s' has producer %d out of range", gt->name, gt->producer);
    if (gt->kind == INGOT_TENSOR_KIND_ACTIVATION && gt->producer < 0)
      return ingot_fail(INGOT_INVALID_GRAPH, "tensor '%s' is produced by no layer", gt->name);
    if (gt->kind == INGOT_TENSOR_KIND_INPUT && gt->producer >= 0)
      return ingot_fail(INGOT_INVALID_GRAPH, "input '%s' is also produced by a layer", gt->name);
  }
  for (int32_t i = 0; i < graph->nb_nodes; i++) {
    const ingot_node *n = &graph->nodes[i];
    if (!n->name) return ingot_fail(INGOT_INVALID_GRAPH, "layer %d has no name", i);
    if (n->nb_outputs < 0 || n->nb_outputs > INGOT_MAX_OUTPUTS)
      return ingot_node_fail(n, INGOT_INVALID_GRAPH, "%d outputs", n->nb_outputs);
    ingot_status st = ingot_op_validate_params(n);
    if (st != INGOT_SUCCESS) return INGOT_INVALID_GRAPH;
    for (int32_t k = 0; k < n->nb_inputs; k++) {
      int32_t t = n->inputs[k];
      if (t == -1 && input_is_optional(n, k)) continue;
      if (t < 0 || t >= graph->nb_tensors)
        return ingot_node_fail(n, INGOT_INVALID_GRAPH, "input %d refers to tensor %d, out of range", k, t);
      const ingot_graph_tensor *gt = &graph->tensors[t];
      if (gt->producer >= i)
        return ingot_node_fail(n, INGOT_INVALID_GRAPH, "input %d ('%s') is produced by a later layer (cycle or bad order)",
                               k, gt->name);
    }
    for (int32_t k = 0; k < n->nb_outputs; k++) {
      int32_t t = n->outputs[k];
      if (t < 0 || t >= graph->nb_tensors)
        return ingot_node_fail(n, INGOT_INVALID_GRAPH, "output %d refers to tensor %d, out of range", k, t);
      if (graph->tensors[t].producer != i)
        return ingot_node_fail(n, INGOT_INVALID_GRAPH, "output '%s' names another producer", graph->tensors[t].name);
    }
  }
  for (int32_t i = 0; i < graph->nb_inputs; i++) {
    int32_t t = graph->inputs[i];
    if (t < 0 || t >= graph->nb_tensors || graph->tensors[t].kind != INGOT_TENSOR_KIND_INPUT)
      return ingot_fail(INGOT_INVALID_GRAPH, "graph input %d refers to tensor %d, which is not an input", i, t);
  }
  for (int32_t i = 0; i < graph->nb_outputs; i++) {
    int32_t t = graph->outputs[i];
    if (t < 0 || t >= graph->nb_tensors)
      return ingot_fail(INGOT_INVALID_GRAPH, "graph output %d refers to tensor %d, out of range", i, t);
  }
  if (graph->nb_profiles < 0 || (graph->nb_profiles > 0 && !graph->profiles))
    return ingot_fail(INGOT_INVALID_GRAPH, "bad profile table");
  return INGOT_SUCCESS;
}

ingot_status ingot_value_store_init(ingot_value_store *store, const ingot_graph *graph, ingot_value_eval_fn eval) {
  memset(store, 0, sizeof *store);
  store->eval = eval;
  store->data = ingot_calloc((size_t)graph->nb_tensors + 1, sizeof(void *));
  return store->data ? INGOT_SUCCESS : INGOT_OUT_OF_MEMORY;
}

struct ingot_value_block {
  ingot_value_block *next;
  uint64_t size, used;
  _Alignas(16) uint8_t data[];
};

void ingot_value_store_free(ingot_value_store *store) {
  free(store->data);
  for (ingot_value_block *b = store->blocks, *next; b; b = next) {
    next = b->next;
    free(b);
  }
  memset(store, 0, sizeof *store);
}

void ingot_value_store_reset(ingot_value_store *store, const ingot_graph *graph, bool grow) {
  for (ingot_value_block *b = store->blocks; b; b = b->next) b->used = 0;
  store->current = store->blocks;
  store->no_grow = !grow;
  memset(store->data, 0, ((size_t)graph->nb_tensors + 1) * sizeof(void *));
}

/* Room for a value: blocks are chained, never moved, so values stay where they are while
 * inference reads them; NULL (value left unknown) if memory runs out. */
static void *value_alloc(ingot_value_store *store, uint64_t bytes) {
  bytes = (bytes + 15) & ~(uint64_t)15;
  for (ingot_value_block *b = store->current; b; b = b->next) {
    store->current = b;
    if (b->used + bytes <= b->size) {
      void *p = b->data + b->used;
      b->used += bytes;
      return p;
    }
  }
  if (store->no_grow) return NULL;
  uint64_t size = bytes > (UINT64_C(64) << 10) ? bytes : (UINT64_C(64) << 10);
  ingot_value_block *nb = malloc(sizeof *nb + (size_t)size);
  if (!nb) return NULL;
  nb->next = NULL;
  nb->size = size;
  nb->used = bytes;
  if (store->current)
    store->current->next = nb;
  else
    store->blocks = nb;
  store->current = nb;
  return nb->data;
}

static uint64_t value_bytes(const ingot_dims *dims, ingot_dtype dtype) {
  int64_t v = ingot_dims_volume(dims);
  if (v < 0 || v > INGOT_VALUE_MAX_ELEMENTS) return UINT64_MAX;
  return (uint64_t)v * ingot_dtype_size(dtype);
}

/* Computes what it can of a node's output values: a shape layer's from its input dims,
 * anything else by evaluation when every input value is known. */
static ingot_status infer_values(const ingot_graph *graph, const ingot_node *n, const ingot_value_info *in,
                                 const ingot_value_info *out, ingot_value_store *values) {
  if (n->op == INGOT_OP_SHAPE) {
    int64_t *v = value_alloc(values, (uint64_t)in[0].dims.nb_dims * 8 + 8);
    if (!v) return INGOT_SUCCESS;
    for (int32_t k = 0; k < in[0].dims.nb_dims; k++) v[k] = in[0].dims.d[k];
    values->data[n->outputs[0]] = v;
    return INGOT_SUCCESS;
  }
  if (!values->eval) return INGOT_SUCCESS;
  /* Its dims stay an upper bound even when its inputs are known (infer_dynamic.c); a
   * plugin is the user's code, run only where the engine runs it (never folded). */
  if (n->op == INGOT_OP_NON_MAX_SUPPRESSION || n->op == INGOT_OP_PLUGIN) return INGOT_SUCCESS;
  for (int32_t k = 0; k < n->nb_inputs; k++) {
    if (n->inputs[k] < 0) continue;
    if (!in[k].data || value_bytes(&in[k].dims, in[k].dtype) == UINT64_MAX) return INGOT_SUCCESS;
  }
  void *out_data[INGOT_MAX_OUTPUTS] = {0};
  for (int32_t k = 0; k < n->nb_outputs; k++) {
    uint64_t bytes = value_bytes(&out[k].dims, out[k].dtype);
    if (bytes == UINT64_MAX || !(out_data[k] = value_alloc(values, bytes))) return INGOT_SUCCESS;
  }
  (void)graph;
  ingot_status st = values->eval(n, in, out, out_data);
  if (st == INGOT_RUNTIME_ERROR || st == INGOT_UNSUPPORTED) return INGOT_SUCCESS; /* left to run time */
  if (st != INGOT_SUCCESS) return st;
  for (int32_t k = 0; k < n->nb_outputs; k++) values->data[n->outputs[k]] = out_data[k];
  return INGOT_SUCCESS;
}

/* No tensor of 1 TiB or more: a model that declares one (a dim of 2^40, say) is refused
 * here, when the builder infers shapes and when a context's shapes are set, before
 * anything is allocated for it. */
#define GRAPH_MAX_TENSOR_BYTES ((uint64_t)1 << 40)
static bool tensor_too_large(const ingot_value_info *v) {
  size_t elem = ingot_dtype_size(v->dtype);
  return (uint64_t)ingot_dims_volume(&v->dims) >= GRAPH_MAX_TENSOR_BYTES / (elem ? elem : 1);
}

ingot_status ingot_graph_infer(const ingot_graph *graph, const ingot_dims *input_dims, ingot_dims *dims_out,
                               ingot_dtype *dtypes_out, ingot_value_store *values) {
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE];
  if (values) {
    for (ingot_value_block *b = values->blocks; b; b = b->next) b->used = 0;
    values->current = values->blocks;
    for (int32_t t = 0; t < graph->nb_tensors; t++)
      values->data[t] = graph->tensors[t].kind == INGOT_TENSOR_KIND_CONSTANT ? graph->tensors[t].data : NULL;
  }
  for (int32_t t = 0; t < graph->nb_tensors; t++) {
    dims_out[t] = graph->tensors[t].dims;
    dtypes_out[t] = graph->tensors[t].dtype;
    if (graph->tensors[t].kind == INGOT_TENSOR_KIND_ACTIVATION) dims_out[t].nb_dims = -1;
  }
  for (int32_t i = 0; i < graph->nb_inputs; i++) {
    const ingot_graph_tensor *gt = &graph->tensors[graph->inputs[i]];
    const ingot_dims *given = &input_dims[i];
    bool ok = ingot_dims_is_concrete(given) && given->nb_dims == gt->dims.nb_dims;
    for (int32_t k = 0; ok && k < given->nb_dims; k++)
      if (gt->dims.d[k] >= 0 && gt->dims.d[k] != given->d[k]) ok = false;
    if (!ok)
      return ingot_fail(INGOT_INVALID_ARGUMENT, "input '%s': dims %s do not match its declared dims %s", gt->name,
                        ingot_dims_format(given, a, sizeof a), ingot_dims_format(&gt->dims, b, sizeof b));
    ingot_value_info v = {.dtype = gt->dtype, .dims = *given};
    if (tensor_too_large(&v))
      return ingot_fail(INGOT_INVALID_ARGUMENT, "input '%s': dims %s (%s) make %.3g bytes, over ingot's limit of 1 TiB "
                        "for one tensor", gt->name, ingot_dims_format(given, a, sizeof a), ingot_dtype_name(gt->dtype),
                        (double)ingot_dims_volume(given) * (double)ingot_dtype_size(gt->dtype));
    dims_out[graph->inputs[i]] = *given;
  }
  return ingot_graph_infer_nodes(graph, 0, dims_out, dtypes_out, values);
}

ingot_status ingot_graph_infer_nodes(const ingot_graph *graph, int32_t first_node, ingot_dims *dims_out,
                                     ingot_dtype *dtypes_out, ingot_value_store *values) {
  char a[INGOT_DIMS_STR_SIZE];
  enum { STACK_INPUTS = 16 };
  ingot_value_info stack_in[STACK_INPUTS];
  for (int32_t i = first_node; i < graph->nb_nodes; i++) {
    const ingot_node *n = &graph->nodes[i];
    if (n->op == INGOT_OP_CONSTANT) continue; /* its output holds declared dims and data */
    ingot_value_info *in = stack_in;
    if (n->nb_inputs > STACK_INPUTS) {
      in = ingot_calloc((size_t)n->nb_inputs, sizeof *in);
      if (!in) return INGOT_OUT_OF_MEMORY;
    }
    for (int32_t k = 0; k < n->nb_inputs; k++) {
      int32_t t = n->inputs[k];
      memset(&in[k], 0, sizeof in[k]);
      if (t < 0) {
        in[k].dims.nb_dims = -1;
        continue;
      }
      in[k].dtype = dtypes_out[t];
      in[k].dims = dims_out[t];
      if (values)
        in[k].data = values->data[t];
      else
        in[k].data = graph->tensors[t].kind == INGOT_TENSOR_KIND_CONSTANT ? graph->tensors[t].data : NULL;
    }
    ingot_value_info out[INGOT_MAX_OUTPUTS];
    memset(out, 0, sizeof out);
    for (int32_t k = 0; k < n->nb_outputs; k++) {
      out[k].dtype = dtypes_out[n->outputs[k]];
      out[k].dims.nb_dims = -1;
    }
    ingot_infer_fn infer = ingot_op_infer(n->op);
    ingot_status st = infer ? infer(n, in, out) : ingot_node_fail(n, INGOT_INTERNAL_ERROR, "no shape inference");
    for (int32_t k = 0; k < n->nb_outputs && st == INGOT_SUCCESS; k++)
      if (!ingot_dims_is_concrete(&out[k].dims) || ingot_dims_volume(&out[k].dims) < 0)
        st = ingot_node_fail(n, INGOT_INVALID_GRAPH, "output %d has invalid dims %s", k,
                             ingot_dims_format(&out[k].dims, a, sizeof a));
      else if (tensor_too_large(&out[k]))
        st = ingot_node_fail(n, INGOT_INVALID_GRAPH, "output %d of dims %s (%s) would need %.3g bytes, over ingot's limit "
                             "of 1 TiB for one tensor", k, ingot_dims_format(&out[k].dims, a, sizeof a),
                             ingot_dtype_name(out[k].dtype),
                             (double)ingot_dims_volume(&out[k].dims) * (double)ingot_dtype_size(out[k].dtype));
    if (st == INGOT_SUCCESS && values) st = infer_values(graph, n, in, out, values);
    if (in != stack_in) free(in);
    if (st != INGOT_SUCCESS) return st;
    for (int32_t k = 0; k < n->nb_outputs; k++) {
      dims_out[n->outputs[k]] = out[k].dims;
      dtypes_out[n->outputs[k]] = out[k].dtype;
    }
  }
  return INGOT_SUCCESS;
}
