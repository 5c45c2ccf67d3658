/* The graph: the form of a network that the builder optimizes, the plan stores and the
 * engine runs. Tensors and nodes live in arrays and refer to each other by index; nodes
 * are kept in execution (topological) order. */
#ifndef INGOT_OPS_GRAPH_H
#define INGOT_OPS_GRAPH_H

#include <stdbool.h>
#include "ops/ops.h"

#define INGOT_MAX_OUTPUTS 4 /* Unique: Y, indices, inverse_indices, counts */

typedef enum ingot_tensor_kind {
  INGOT_TENSOR_KIND_ACTIVATION = 0, /* produced by a node, lives in the arena */
  INGOT_TENSOR_KIND_INPUT = 1,      /* network input: caller's memory */
  INGOT_TENSOR_KIND_CONSTANT = 2    /* weights: data held by the graph */
} ingot_tensor_kind;

typedef struct ingot_graph_tensor {
  char *name;
  ingot_dtype dtype;
  ingot_dims dims;  /* declared dims (inputs, constants); for activations the dims inferred
                       at the opt shapes, -1 where they vary across profiles */
  int32_t kind;     /* ingot_tensor_kind */
  int32_t is_output;
  int32_t producer; /* node index, -1 for inputs and constants */
  void *data;       /* constants: owned, 64-byte aligned */
  uint64_t data_size;
  /* Constants read back from a plan only: the plan left the data out because every layer
   * reading it holds it packed in its prepared block (ingot_tactic's packed_inputs); data
   * is NULL and data_size 0, dims and dtype still hold. The runtime checks, binding the
   * tactics, that no layer reads it any other way. */
  bool data_packed;
} ingot_graph_tensor;

struct ingot_tactic;
struct ingot_plugin;

typedef struct ingot_node {
  char *name;
  ingot_op op;
  ingot_op_params params;
  int32_t nb_inputs;
  int32_t *inputs; /* tensor indices; -1 for an absent optional input */
  int32_t nb_outputs;
  int32_t outputs[INGOT_MAX_OUTPUTS];
  char *fused_name; /* e.g. "convolution+batch_normalization+relu", or NULL */
  /* chosen by the builder: */
  const struct ingot_tactic *tactic;
  void *prepared; /* the tactic's build-time data (packed weights), owned */
  uint64_t prepared_size;
  /* PLUGIN nodes: the user's layer (name, version, namespace, instance and state), owned;
   * NULL for every other op (src/plugin/plugin_internal.h). */
  struct ingot_plugin *plugin;
} ingot_node;

typedef struct ingot_profile_dims {
  ingot_dims min, opt, max;
} ingot_profile_dims;

typedef struct ingot_graph {
  int32_t nb_tensors, tensors_cap;
  ingot_graph_tensor *tensors;
  int32_t nb_nodes, nodes_cap;
  ingot_node *nodes;
  int32_t nb_inputs;
  int32_t *inputs; /* tensor indices, in the network's input order */
  int32_t nb_outputs;
  int32_t *outputs; /* tensor indices, in the network's output order */
  /* profiles[p * nb_inputs + i]: bounds of input i in profile p */
  int32_t nb_profiles;
  ingot_profile_dims *profiles;
} ingot_graph;

ingot_status ingot_graph_create(ingot_graph **graph_out);
void ingot_graph_destroy(ingot_graph *graph);
/* Appends a tensor (name copied); its index goes to index_out. */
ingot_status ingot_graph_add_tensor(ingot_graph *graph, const char *name, ingot_dtype dtype, const ingot_dims *dims,
                                    ingot_tensor_kind kind, int32_t *index_out);
/* Appends a node (name and inputs copied); outputs are set by the caller. */
ingot_status ingot_graph_add_node(ingot_graph *graph, const char *name, ingot_op op, const ingot_op_params *params,
                                  const int32_t *inputs, int32_t nb_inputs, int32_t *index_out);
/* Gives a constant tensor its data (copied into an aligned block). */
ingot_status ingot_graph_set_constant(ingot_graph *graph, int32_t tensor, const void *data, uint64_t size);
void ingot_node_clear(ingot_node *node);
int32_t ingot_graph_find_tensor(const ingot_graph *graph, const char *name); /* -1 if none */
int32_t ingot_graph_find_input(const ingot_graph *graph, const char *name); /* position in inputs, -1 */

/* Structure checks: indices in range, each activation produced once before use, names
 * present, params valid. Run on every graph the builder makes and every plan read. */
ingot_status ingot_graph_validate(const ingot_graph *graph);

/* Small tensors whose values shape inference computes: the outputs of shape layers and of
 * any layer whose inputs all have known values (constants or computed ones), up to
 * INGOT_VALUE_MAX_ELEMENTS elements. They let a reshape, slice or fill read dims that are
 * computed from input shapes (ONNX's Shape -> Gather -> Concat -> Reshape), at build time
 * for each profile bound and at run time whenever input shapes are set. */
#define INGOT_VALUE_MAX_ELEMENTS 4096

/* Runs one node on host values (the CPU reference kernels): outputs' dtype and dims are
 * set, out_data[k] points to room for them. */
typedef ingot_status (*ingot_value_eval_fn)(const ingot_node *node, const ingot_value_info *inputs,
                                            const ingot_value_info *outputs, void *const *out_data);

typedef struct ingot_value_block ingot_value_block;

typedef struct ingot_value_store {
  ingot_value_eval_fn eval;  /* NULL: only shape layers' values are computed */
  const void **data;         /* per tensor: its value, or NULL if unknown */
  ingot_value_block *blocks; /* storage of computed values, reused by each inference */
  ingot_value_block *current;
  bool no_grow;              /* a value that does not fit the blocks is left unknown */
} ingot_value_store;

ingot_status ingot_value_store_init(ingot_value_store *store, const ingot_graph *graph, ingot_value_eval_fn eval);
void ingot_value_store_free(ingot_value_store *store);
/* Forgets every value (data[] all NULL) and keeps the blocks for reuse; with grow false,
 * later values that do not fit in them stay unknown instead of being allocated (the
 * execute path's re-inference after a data-dependent node allocates nothing). */
void ingot_value_store_reset(ingot_value_store *store, const ingot_graph *graph, bool grow);

/* Shape inference over the whole graph for concrete input dims (one per graph input, in
 * order): fills dims_out/dtype_out for every tensor (arrays of nb_tensors) and, when
 * `values` is not NULL, the values it can compute. Errors name the node. */
ingot_status ingot_graph_infer(const ingot_graph *graph, const ingot_dims *input_dims, ingot_dims *dims_out,
                               ingot_dtype *dtypes_out, ingot_value_store *values);
/* Inference of nodes [first_node, nb_nodes) only, the earlier tensors' dims, dtypes and
 * values being already in the arrays (incremental inference as a network grows). */
ingot_status ingot_graph_infer_nodes(const ingot_graph *graph, int32_t first_node, ingot_dims *dims_out,
                                     ingot_dtype *dtypes_out, ingot_value_store *values);
/* ingot_graph_infer_shapes (backend/backend.h) is ingot_graph_infer with a value store of
 * its own that computes values with the CPU reference kernels. */

#endif
