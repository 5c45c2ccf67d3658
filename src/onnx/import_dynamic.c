/* Importers of the operators whose output shape depends on input values: NonZero,
 * NonMaxSuppression, Compress, Unique. Each becomes one layer with a data-dependent output
 * (network.h); constant inputs need nothing special, the builder folds them. */
#include "onnx/import_helpers.h"
#include "onnx/importer.h"

static ingot_status outputs_of(ingot_onnx_node *node, ingot_layer *layer, int32_t count) {
  ingot_onnx_name_layer(node, layer);
  int32_t n = ingot_onnx_node_num_outputs(node);
  for (int32_t k = 0; k < count && k < n; k++)
    INGOT_ONNX_TRY(ingot_onnx_set_output(node, k, ingot_layer_get_output(layer, k)));
  return INGOT_SUCCESS;
}

/* Input i as a tensor, or NULL when the node leaves it out. */
static ingot_status optional_tensor(ingot_onnx_node *node, int32_t i, ingot_tensor **tensor_out) {
  *tensor_out = NULL;
  if (!ingot_onnx_input(node, i)) return INGOT_SUCCESS;
  return ingot_onnx_input_tensor(node, i, tensor_out);
}

static ingot_status import_non_zero(ingot_onnx_node *node) {
  ingot_tensor *x;
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 0, &x));
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_network_add_non_zero(ingot_onnx_node_network(node), x, &layer),
                                  "adding non-zero"));
  return outputs_of(node, layer, 1);
}

static ingot_status import_non_max_suppression(ingot_onnx_node *node) {
  ingot_tensor *t[5];
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 0, &t[0]));
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 1, &t[1]));
  for (int32_t i = 2; i < 5; i++) INGOT_ONNX_TRY(optional_tensor(node, i, &t[i]));
  int64_t center = ingot_onnx_attr_int(node, "center_point_box", 0);
  if (center != 0 && center != 1)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'center_point_box' is %lld, expected 0 or 1",
                           (long long)center);
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(node,
                                  ingot_network_add_non_max_suppression(ingot_onnx_node_network(node), t[0], t[1], t[2],
                                                                        t[3], t[4], (int32_t)center, &layer),
                                  "adding non-max suppression"));
  return outputs_of(node, layer, 1);
}

static ingot_status import_compress(ingot_onnx_node *node) {
  ingot_tensor *x, *condition;
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 0, &x));
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 1, &condition));
  int32_t has_axis = ingot_onnx_has_attr(node, "axis");
  int64_t axis = ingot_onnx_attr_int(node, "axis", 0);
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(
      node, ingot_network_add_compress(ingot_onnx_node_network(node), x, condition, has_axis, (int32_t)axis, &layer),
      "adding compress"));
  return outputs_of(node, layer, 1);
}

static ingot_status import_unique(ingot_onnx_node *node) {
  ingot_tensor *x;
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, 0, &x));
  int32_t has_axis = ingot_onnx_has_attr(node, "axis");
  int64_t axis = ingot_onnx_attr_int(node, "axis", 0);
  int64_t sorted = ingot_onnx_attr_int(node, "sorted", 1);
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(node,
                                  ingot_network_add_unique(ingot_onnx_node_network(node), x, sorted != 0, has_axis,
                                                           (int32_t)axis, &layer),
                                  "adding unique"));
  return outputs_of(node, layer, 4);
}

const ingot_onnx_importer ingot_onnx_dynamic_importers[] = {
    {"NonZero", 9, import_non_zero},
    {"NonMaxSuppression", 10, import_non_max_suppression},
    {"Compress", 9, import_compress},
    {"Unique", 11, import_unique},
};
const int32_t ingot_onnx_dynamic_importer_count =
    (int32_t)(sizeof ingot_onnx_dynamic_importers / sizeof ingot_onnx_dynamic_importers[0]);
