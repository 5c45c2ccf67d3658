/* Shape inference of resize: output dims given, or floor(input dim * scale) as ONNX. */
#include <math.h>

#include "core/dims.h"
#include "core/error.h"
#include "ops/graph.h"

ingot_status ingot_infer_resize(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  const ingot_resize_params *p = &node->params.resize;
  char buf[INGOT_DIMS_STR_SIZE], buf2[INGOT_DIMS_STR_SIZE];
  if (node->nb_inputs != 1)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "has %d inputs, expected 1", (int)node->nb_inputs);
  if (node->nb_outputs != 1)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "has %d outputs, expected 1", (int)node->nb_outputs);
  const ingot_value_info *x = &inputs[0];
  if (x->dims.nb_dims < 0) return ingot_node_fail(node, INGOT_INVALID_GRAPH, "the data input (input 0) is missing");
  if (p->mode != INGOT_RESIZE_NEAREST && p->mode != INGOT_RESIZE_LINEAR)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "resize mode is %d, expected 0 (nearest) or 1 (linear)",
                           (int)p->mode);
  if (p->coordinate_transform < INGOT_RESIZE_HALF_PIXEL || p->coordinate_transform > INGOT_RESIZE_PYTORCH_HALF_PIXEL)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "coordinate transform is %d, expected 0 to 3 (half_pixel, asymmetric, align_corners, "
                           "pytorch_half_pixel)",
                           (int)p->coordinate_transform);
  if (p->mode == INGOT_RESIZE_NEAREST &&
      (p->nearest_rounding < INGOT_RESIZE_ROUND_HALF_DOWN || p->nearest_rounding > INGOT_RESIZE_CEIL))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "nearest rounding is %d, expected 0 to 3 (half_down, half_up, floor, ceil)",
                           (int)p->nearest_rounding);
  if (p->mode == INGOT_RESIZE_LINEAR && x->dtype != INGOT_FLOAT32 && x->dtype != INGOT_FLOAT16 &&
      x->dtype != INGOT_BFLOAT16)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "linear resize of dtype %s: expected float32, float16 or bfloat16 (nearest takes any dtype)",
                           ingot_dtype_name(x->dtype));
  if (!ingot_dtype_valid(x->dtype))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input has an unknown dtype (%d)", (int)x->dtype);
  int32_t rank = x->dims.nb_dims;
  if (rank < 1) return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input is a scalar, expected rank >= 1");
  ingot_dims out = x->dims;
  if (p->use_scales) {
    if (p->nb_scales != rank)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "has %d scales, expected one per input dim (%d, dims %s)",
                             (int)p->nb_scales, (int)rank, ingot_dims_format(&x->dims, buf, sizeof buf));
    for (int32_t i = 0; i < rank; i++) {
      float s = p->scales[i];
      if (!(s > 0.0f) || isinf(s))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "scale[%d] is %g, expected a finite value > 0", (int)i,
                               (double)s);
      if (x->dims.d[i] < 0) continue;
      out.d[i] = (int64_t)floor((double)x->dims.d[i] * (double)s);
      if (x->dims.d[i] > 0 && out.d[i] < 1)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "scale[%d] = %g turns input dim %lld into %lld, expected >= 1",
                               (int)i, (double)s, (long long)x->dims.d[i], (long long)out.d[i]);
    }
  } else {
    if (p->output_dims.nb_dims != rank)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "output dims %s have rank %d, expected the input's rank %d (%s)",
                             ingot_dims_format(&p->output_dims, buf, sizeof buf), (int)p->output_dims.nb_dims,
                             (int)rank, ingot_dims_format(&x->dims, buf2, sizeof buf2));
    for (int32_t i = 0; i < rank; i++) {
      int64_t o = p->output_dims.d[i];
      if (o < 0 || (o == 0 && x->dims.d[i] != 0))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "output dim %d is %lld, expected >= 1", (int)i,
                               (long long)o);
      if (o > 0 && x->dims.d[i] == 0)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                               "output dim %d is %lld but input dim %d is empty: nothing to sample", (int)i,
                               (long long)o, (int)i);
      out.d[i] = o;
    }
  }
  outputs[0].dtype = x->dtype;
  outputs[0].dims = out;
  outputs[0].data = NULL;
  return INGOT_SUCCESS;
}
