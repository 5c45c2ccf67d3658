/* The network's insides, shared with the builder: a network is a graph in the order
 * layers were added, plus pointer-stable handles for its tensors and layers.
 * Weights given to a layer (convolution kernel, batch norm mean, ...) become hidden
 * CONSTANT nodes named "<layer name>.<role>" whose output tensors hold the data, so the
 * builder treats every weight as a constant input (ONNX-style). */
#ifndef INGOT_NETWORK_IMPL_H
#define INGOT_NETWORK_IMPL_H

#include "ops/graph.h"

/* Forgets the dims ingot_tensor_get_dims inferred (after a change other than an append). */
void ingot_network_invalidate_dims(ingot_network *network);

struct ingot_tensor {
  ingot_network *network;
  int32_t index; /* into network->graph->tensors */
};

struct ingot_layer {
  ingot_network *network;
  int32_t index; /* into network->graph->nodes */
};

struct ingot_network {
  ingot_logger *logger;
  ingot_graph *graph; /* nodes in add order; graph->inputs and ->outputs are the network's */
  int32_t nb_tensor_handles, tensor_handles_cap;
  ingot_tensor **tensor_handles; /* [i] is the handle of graph tensor i */
  int32_t nb_layer_handles, layer_handles_cap;
  ingot_layer **layer_handles; /* [i] is the handle of graph node i (hidden constants too) */
  int32_t *visible_layers; /* node indices of layers the user added (not hidden constants) */
  int32_t nb_visible_layers, visible_layers_cap;
  /* What ingot_tensor_get_dims inferred, kept between calls (importers ask for dims at
   * almost every node): nodes [0, nodes) are inferred; appending layers extends the
   * inference, any other change resets nodes to 0. With dynamic inputs, two inferences with
   * different stand-ins for the dynamic dims tell which output dims are fixed. */
  struct ingot_dims_cache {
    ingot_dims *dims;
    ingot_dtype *dtypes;
    int32_t cap, tensors, nodes;
    bool failed; /* the stand-in dims did not infer: dims unknown until build */
    ingot_value_store values;
  } dims_cache[2];
};

#endif
