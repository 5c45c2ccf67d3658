/* The node an importer sees (importer.h keeps it opaque), and what the parse loop needs
 * from node.c besides the importer helpers. */
#ifndef INGOT_ONNX_NODE_H
#define INGOT_ONNX_NODE_H

#include "onnx/importer.h"
#include "onnx/model_reader.h"
#include "onnx/value_table.h"

struct ingot_onnx_node {
  ingot_onnx_values *values;
  ingot_network *network;
  ingot_logger *logger;
  const ingot_onnx_node_desc *desc;
  int32_t index;
  int64_t opset;
  const char *name; /* desc->name, its first output's name, or name_buf */
  char name_buf[48];
  int32_t nb_layers;          /* layers named after the node so far */
  ingot_onnx_entry **inputs;  /* [desc->nb_inputs]; NULL for absent optional inputs */
  ingot_onnx_value *attr_values; /* [desc->nb_attrs], what ingot_onnx_attr_tensor hands out */
  /* The first misuse of an attribute getter (wrong type): the importer cannot see it
   * through a return value, so the parse loop fails the node afterwards. */
  ingot_status attr_status;
  char attr_error[512];
};

/* Sets up `node` for node `index` of the model; inputs are resolved by the parse loop. */
ingot_status ingot_onnx_node_init(ingot_onnx_node *node, ingot_onnx_values *values, ingot_network *network,
                                  ingot_logger *logger, const ingot_onnx_node_desc *desc, int32_t index,
                                  int64_t opset);
void ingot_onnx_node_release(ingot_onnx_node *node);

/* The network tensor of `entry`: a constant gets a constant layer (named after the value)
 * the first time. */
ingot_status ingot_onnx_entry_tensor(ingot_onnx_values *values, ingot_network *network, ingot_onnx_entry *entry,
                                     ingot_tensor **tensor_out);

/* Gives `tensor` the ONNX name `name`. A tensor of the network that holds that name without
 * being an ONNX value's (a generated name that happens to match) is renamed out of the way. */
ingot_status ingot_onnx_name_tensor(ingot_onnx_values *values, ingot_network *network, ingot_tensor *tensor,
                                    const char *name);

/* "node 'NAME' (OP_TYPE, opset N): " into buf (the prefix of every node message). */
void ingot_onnx_node_prefix(const ingot_onnx_node *node, char *buf, size_t size);

#endif
