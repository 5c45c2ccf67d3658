/* Layers with data-dependent output shapes: non-zero, non-max suppression, compress and
 * unique (their shape inference is in ops/infer_dynamic.c). */
#include <string.h>

#include "network/network_internal.h"

static ingot_op_params zero_params(void) {
  ingot_op_params p;
  memset(&p, 0, sizeof p);
  return p;
}

static ingot_status check_flag(const ingot_network *network, int32_t v, const char *fn, const char *what) {
  if (v != 0 && v != 1)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s is %d, expected 0 or 1", fn, what, v);
  return INGOT_SUCCESS;
}

ingot_status ingot_network_add_non_zero(ingot_network *network, ingot_tensor *input, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_non_zero";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  ingot_op_params params = zero_params();
  int32_t inputs[1] = {input->index};
  ingot_dtype out[1] = {INGOT_INT64};
  return ingot_net_add_layer(network, INGOT_OP_NON_ZERO, fn, &params, inputs, 1, out, 1, layer_out);
}

ingot_status ingot_network_add_non_max_suppression(ingot_network *network, ingot_tensor *boxes, ingot_tensor *scores,
                                                   ingot_tensor *max_output_boxes_per_class,
                                                   ingot_tensor *iou_threshold, ingot_tensor *score_threshold,
                                                   int32_t center_point_box, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_non_max_suppression";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, boxes, fn, "boxes"));
  INGOT_TRY(ingot_net_check_tensor(network, scores, fn, "scores"));
  ingot_tensor *optional[3] = {max_output_boxes_per_class, iou_threshold, score_threshold};
  static const char *const names[3] = {"max_output_boxes_per_class", "iou_threshold", "score_threshold"};
  int32_t inputs[5] = {boxes->index, scores->index, -1, -1, -1};
  int32_t nb_inputs = 2;
  for (int32_t k = 0; k < 3; k++) {
    if (!optional[k]) continue;
    INGOT_TRY(ingot_net_check_tensor(network, optional[k], fn, names[k]));
    inputs[2 + k] = optional[k]->index;
    nb_inputs = 3 + k;
  }
  INGOT_TRY(check_flag(network, center_point_box, fn, "center_point_box"));
  ingot_op_params params = zero_params();
  params.nms.center_point_box = center_point_box;
  ingot_dtype out[1] = {INGOT_INT64};
  return ingot_net_add_layer(network, INGOT_OP_NON_MAX_SUPPRESSION, fn, &params, inputs, nb_inputs, out, 1,
                             layer_out);
}

ingot_status ingot_network_add_compress(ingot_network *network, ingot_tensor *input, ingot_tensor *condition,
                                        int32_t has_axis, int32_t axis, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_compress";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_TRY(ingot_net_check_tensor(network, condition, fn, "condition"));
  INGOT_TRY(check_flag(network, has_axis, fn, "has_axis"));
  if (has_axis) INGOT_TRY(ingot_net_check_axis(network, input, axis, fn, "axis"));
  ingot_op_params params = zero_params();
  params.compress.has_axis = has_axis;
  params.compress.axis = has_axis ? axis : 0;
  int32_t inputs[2] = {input->index, condition->index};
  ingot_dtype out[1] = {ingot_net_tensor_dtype(network, input)};
  return ingot_net_add_layer(network, INGOT_OP_COMPRESS, fn, &params, inputs, 2, out, 1, layer_out);
}

ingot_status ingot_network_add_unique(ingot_network *network, ingot_tensor *input, int32_t sorted, int32_t has_axis,
                                      int32_t axis, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_unique";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_TRY(check_flag(network, sorted, fn, "sorted"));
  INGOT_TRY(check_flag(network, has_axis, fn, "has_axis"));
  if (has_axis) INGOT_TRY(ingot_net_check_axis(network, input, axis, fn, "axis"));
  ingot_op_params params = zero_params();
  params.unique.sorted = sorted;
  params.unique.has_axis = has_axis;
  params.unique.axis = has_axis ? axis : 0;
  int32_t inputs[1] = {input->index};
  ingot_dtype out[4] = {ingot_net_tensor_dtype(network, input), INGOT_INT64, INGOT_INT64, INGOT_INT64};
  return ingot_net_add_layer(network, INGOT_OP_UNIQUE, fn, &params, inputs, 1, out, 4, layer_out);
}
