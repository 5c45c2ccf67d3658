/* The basic family: Constant, Identity, Dropout. None adds a layer: a Constant is host
 * data until a node uses it as a tensor, and Identity and Dropout (at inference) pass their
 * input on as their output. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/importer.h"
#include "onnx/node.h" /* the output names: this family is the parser's own */

/* Constant: exactly one of value (a tensor), value_float(s), value_int(s); the others
 * (value_string(s), sparse_value) hold what ingot has no tensor for. */
static ingot_status import_constant(ingot_onnx_node *node) {
  static const char *const refused[] = {"sparse_value", "value_string", "value_strings"};
  for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++)
    if (ingot_onnx_has_attr(node, refused[k]))
      return ingot_onnx_fail(node, INGOT_UNSUPPORTED, "attribute '%s' is not supported (ingot's constants are "
                             "dense numeric tensors)", refused[k]);
  static const char *const known[] = {"value", "value_float", "value_floats", "value_int", "value_ints"};
  int32_t present = 0;
  const char *which = NULL;
  for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
    if (ingot_onnx_has_attr(node, known[k])) {
      present++;
      which = known[k];
    }
  if (present != 1)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT,
                           "has %d value attributes, expected exactly one of value, value_float, value_floats, "
                           "value_int, value_ints", (int)present);
  ingot_dims dims;
  memset(&dims, 0, sizeof dims);
  if (strcmp(which, "value") == 0) {
    const ingot_onnx_value *v = ingot_onnx_attr_tensor(node, "value");
    if (!v) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'value' is not a tensor");
    return ingot_onnx_set_output_constant(node, 0, v->dtype, &v->dims, v->data);
  }
  if (strcmp(which, "value_float") == 0) {
    float f = ingot_onnx_attr_float(node, "value_float", 0.0f);
    return ingot_onnx_set_output_constant(node, 0, INGOT_FLOAT32, &dims, &f); /* rank 0 */
  }
  if (strcmp(which, "value_int") == 0) {
    int64_t i = ingot_onnx_attr_int(node, "value_int", 0);
    return ingot_onnx_set_output_constant(node, 0, INGOT_INT64, &dims, &i);
  }
  /* A list: a 1-D tensor. Read the count first, then the values into a buffer that fits. */
  int32_t count = -1;
  bool floats = strcmp(which, "value_floats") == 0;
  if (floats) ingot_onnx_attr_floats(node, which, NULL, 0, &count);
  else ingot_onnx_attr_ints(node, which, NULL, 0, &count);
  if (count < 0) /* the getter recorded the attribute's actual type */
    return ingot_onnx_fail(node, node->attr_status ? node->attr_status : INGOT_INVALID_ARGUMENT, "%s",
                           node->attr_status ? node->attr_error : "attribute is not a list");
  dims.nb_dims = 1;
  dims.d[0] = count;
  size_t bytes = (size_t)count * (floats ? sizeof(float) : sizeof(int64_t));
  void *data = malloc(bytes ? bytes : 1);
  if (!data) return ingot_onnx_fail(node, INGOT_OUT_OF_MEMORY, "out of memory for %d values of '%s'", (int)count, which);
  if (floats) ingot_onnx_attr_floats(node, which, data, count, &count);
  else ingot_onnx_attr_ints(node, which, data, count, &count);
  ingot_status st = ingot_onnx_set_output_constant(node, 0, floats ? INGOT_FLOAT32 : INGOT_INT64, &dims, data);
  free(data);
  return st;
}

/* Output 0 is input 0: a constant stays a host constant, a tensor is passed on. */
static ingot_status pass_through(ingot_onnx_node *node) {
  const ingot_onnx_value *v = ingot_onnx_input(node, 0);
  if (!v) return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "input 0 is missing, expected a tensor");
  if (v->is_constant) return ingot_onnx_set_output_constant(node, 0, v->dtype, &v->dims, v->data);
  ingot_tensor *t = NULL;
  ingot_status st = ingot_onnx_input_tensor(node, 0, &t);
  if (st != INGOT_SUCCESS) return st;
  return ingot_onnx_set_output(node, 0, t);
}

static ingot_status import_identity(ingot_onnx_node *node) { return pass_through(node); }

/* Ones of `x`'s shape, as a bool tensor: the dropout mask at inference. */
static ingot_status all_true_like(ingot_onnx_node *node, ingot_tensor **mask_out) {
  ingot_network *network = ingot_onnx_node_network(node);
  ingot_tensor *x = NULL;
  ingot_layer *shape = NULL, *fill = NULL;
  ingot_status st = ingot_onnx_input_tensor(node, 0, &x);
  if (st != INGOT_SUCCESS) return st;
  st = ingot_network_add_shape(network, x, &shape);
  if (st == INGOT_SUCCESS) {
    ingot_onnx_name_layer(node, shape);
    st = ingot_network_add_fill(network, ingot_layer_get_output(shape, 0), INGOT_BOOL, 1.0, &fill);
  }
  if (st != INGOT_SUCCESS) return ingot_onnx_fail(node, st, "building the mask output: %s", ingot_last_error());
  ingot_onnx_name_layer(node, fill);
  *mask_out = ingot_layer_get_output(fill, 0);
  return INGOT_SUCCESS;
}

/* Dropout at inference is the identity, and its mask output all true. Training mode
 * (opset 12+ input 2) would need randomness: refused. */
static ingot_status import_dropout(ingot_onnx_node *node) {
  if (node->desc->nb_outputs > 1 && node->desc->outputs[1][0]) {
    ingot_tensor *mask = NULL;
    ingot_status st = all_true_like(node, &mask);
    if (st == INGOT_SUCCESS) st = ingot_onnx_set_output(node, 1, mask);
    if (st != INGOT_SUCCESS) return st;
  }
  const ingot_onnx_value *training = ingot_onnx_input(node, 2);
  if (training) {
    if (!training->is_constant)
      return ingot_onnx_fail(node, INGOT_UNSUPPORTED,
                             "input 2 (training_mode) is computed at run time; ingot imports Dropout for inference "
                             "only (training_mode must be a constant false)");
    if (training->data && ingot_dtype_size(training->dtype) > 0) {
      const uint8_t *bytes = training->data;
      for (size_t b = 0; b < ingot_dtype_size(training->dtype); b++)
        if (bytes[b])
          return ingot_onnx_fail(node, INGOT_UNSUPPORTED,
                                 "input 2 (training_mode) is true; ingot imports Dropout for inference only");
    }
  }
  return pass_through(node);
}

const ingot_onnx_importer ingot_onnx_basic_importers[] = {
    {"Constant", 1, import_constant},
    {"Identity", 1, import_identity},
    {"Dropout", 1, import_dropout},
};
const int32_t ingot_onnx_basic_importer_count =
    (int32_t)(sizeof ingot_onnx_basic_importers / sizeof ingot_onnx_basic_importers[0]);
