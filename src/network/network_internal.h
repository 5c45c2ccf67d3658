/* Helpers shared by the network's files (network.c and the add_*.c layer families):
 * argument checks that report through the network's logger, hidden weight constants and
 * the appending of a layer node with its output tensors and handles. */
#ifndef INGOT_NETWORK_INTERNAL_H
#define INGOT_NETWORK_INTERNAL_H

#include <stdbool.h>

#include "core/error.h"
#include "network/network_impl.h"

/* Most hidden constants one layer makes (batch norm: scale, bias, mean, variance). */
#define INGOT_NET_MAX_HIDDEN 4
#define INGOT_NET_NAME_SIZE 256

/* Records the message as the last error, sends it to the network's logger (network may be
 * NULL) and returns status. */
ingot_status ingot_net_fail(const ingot_network *network, ingot_status status, const char *fmt, ...)
    INGOT_PRINTF(3, 4);
/* Sends the current last error to the network's logger and returns status (for failures
 * recorded by a callee, such as an allocation). */
ingot_status ingot_net_log(const ingot_network *network, ingot_status status);

/* Null check of an argument of API function `fn`. */
#define INGOT_NET_CHECK_NULL(network, ptr, fn)                                                       \
  do {                                                                                               \
    if ((ptr) == NULL)                                                                               \
      return ingot_net_fail((network), INGOT_INVALID_ARGUMENT, "%s: argument '%s' is NULL", (fn), #ptr); \
  } while (0)

/* The start of every add_* function: network and layer_out present, *layer_out cleared. */
#define INGOT_NET_BEGIN(network, layer_out, fn)   \
  do {                                            \
    INGOT_NET_CHECK_NULL(network, network, fn);   \
    INGOT_NET_CHECK_NULL(network, layer_out, fn); \
    *(layer_out) = NULL;                          \
  } while (0)

/* An enum argument in [0, count). */
ingot_status ingot_net_check_enum(const ingot_network *network, int32_t value, int32_t count, const char *fn,
                                  const char *what);
/* An axis: within [-rank, rank) when the tensor's declared dims give its rank, else within
 * [-8, 8). */
ingot_status ingot_net_check_axis(const ingot_network *network, const ingot_tensor *tensor, int64_t axis,
                                  const char *fn, const char *what);

/* Checks that `tensor` is a live tensor of `network`; `arg` names the argument. */
ingot_status ingot_net_check_tensor(const ingot_network *network, const ingot_tensor *tensor, const char *fn,
                                    const char *arg);
/* Checks weights: count >= 0, values present when count > 0, dtype valid (float32,
 * float16 or bfloat16 when float_only), count > 0 when required. */
ingot_status ingot_net_check_weights(const ingot_network *network, const ingot_weights *weights, const char *fn,
                                     const char *arg, bool required, bool float_only);
/* A spatial array (kernel, stride, ...) of n entries: every one >= min_value. */
ingot_status ingot_net_check_spatial(const ingot_network *network, const int64_t *values, int32_t n,
                                     int64_t min_value, const char *fn, const char *arg);

/* Dims known before building: the declared dims of inputs and constants. false for layer
 * outputs (their dims come from shape inference). */
bool ingot_net_declared_dims(const ingot_network *network, int32_t tensor, ingot_dims *dims_out);
ingot_dtype ingot_net_tensor_dtype(const ingot_network *network, const ingot_tensor *tensor);
const char *ingot_net_tensor_name(const ingot_network *network, int32_t tensor);
bool ingot_net_tensor_name_taken(const ingot_network *network, const char *name);

/* One layer being added. Usage: ingot_net_layer_begin; ingot_net_layer_add_weights for
 * each weight (they become CONSTANT nodes before the layer's node, keeping the nodes in
 * topological order); ingot_net_layer_finish. Nothing stays in the network if any step
 * fails: the failing step undoes what the layer had added. */
typedef struct ingot_net_layer {
  ingot_network *network;
  const char *fn; /* the API function, for messages */
  ingot_op op;
  char name[INGOT_NET_NAME_SIZE];
  int32_t mark_tensors, mark_nodes; /* graph sizes before the layer, for undoing */
} ingot_net_layer;

/* Names the layer "<type>_<node index>", the index it will have after `nb_hidden` hidden
 * constants. */
void ingot_net_layer_begin(ingot_net_layer *layer, ingot_network *network, ingot_op op, int32_t nb_hidden,
                           const char *fn);
/* Copies `weights` into a hidden CONSTANT node "<layer name>.<role>" with `dims`; the
 * tensor index goes to tensor_out. Empty weights give tensor -1 and no node. */
ingot_status ingot_net_layer_add_weights(ingot_net_layer *layer, const char *role, const ingot_weights *weights,
                                         const ingot_dims *dims, int32_t *tensor_out);
/* Appends the layer's node with `nb_outputs` ACTIVATION outputs of unknown dims named
 * "<layer name>_output_<i>", makes the handles and lists the layer as user-visible. */
ingot_status ingot_net_layer_finish(ingot_net_layer *layer, const ingot_op_params *params, const int32_t *inputs,
                                    int32_t nb_inputs, const ingot_dtype *output_dtypes, int32_t nb_outputs,
                                    ingot_layer **layer_out);
/* A layer without weights in one call: begin + finish. */
ingot_status ingot_net_add_layer(ingot_network *network, ingot_op op, const char *fn, const ingot_op_params *params,
                                 const int32_t *inputs, int32_t nb_inputs, const ingot_dtype *output_dtypes,
                                 int32_t nb_outputs, ingot_layer **layer_out);
/* Undoes what the layer added so far and logs `status` (its message already recorded). */
ingot_status ingot_net_layer_abort(ingot_net_layer *layer, ingot_status status);

/* Ends a layer of ingot_network_add_constant: a visible CONSTANT node whose one output
 * tensor "<layer name>_output_0" (kind CONSTANT, `dims`) holds a copy of the weights. */
ingot_status ingot_net_finish_constant(ingot_net_layer *layer, const ingot_dims *dims, const ingot_weights *weights,
                                       ingot_layer **layer_out);

/* Gives every graph tensor and node a handle (after the graph grew). */
ingot_status ingot_net_sync_handles(ingot_network *network);

/* Keeps the nodes in topological order after an input change: stable sort, handles and
 * producer indices updated. Fails (changing nothing) if the graph has a cycle. */
ingot_status ingot_net_reorder(ingot_network *network, const char *fn);

#endif
