/* Shape inference of resize: output dims given (as a parameter, or as the value of an
 * int64 1-D input 1 that overrides the parameters), or floor(input dim * scale) as ONNX. */
#include <math.h>

#include "core/dims.h"
#include "core/error.h"
#include "ops/graph.h"

ingot_status ingot_infer_resize(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  const ingot_resize_params *p = &node->params.resize;
  char buf[INGOT_DIMS_STR_SIZE], buf2[INGOT_DIMS_STR_SIZE];
  if (node->nb_inputs < 1 || node->nb_inputs > 2)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "has %d inputs, expected 1 or 2 (data, output dims)",
                           (int)node->nb_inputs);
  if (node->nb_outputs != 1)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "has %d outputs, expected 1", (int)node->nb_outputs);
  const ingot_value_info *x = &inputs[0];
  if (x->dims.nb_dims < 0) return ingot_node_fail(node, INGOT_INVALID_GRAPH, "the data input (input 0) is missing");
  if (p->mode != INGOT_RESIZE_NEAREST && p->mode != INGOT_RESIZE_LINEAR && p->mode != INGOT_RESIZE_CUBIC)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "resize mode is %d, expected 0 (nearest), 1 (linear) or 2 (cubic)", (int)p->mode);
  if (p->coordinate_transform < INGOT_RESIZE_HALF_PIXEL || p->coordinate_transform > INGOT_RESIZE_TF_CROP_AND_RESIZE)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "coordinate transform is %d, expected 0 to 5 (half_pixel, asymmetric, align_corners, "
                           "pytorch_half_pixel, half_pixel_symmetric, tf_crop_and_resize)",
                           (int)p->coordinate_transform);
  if (p->mode == INGOT_RESIZE_NEAREST &&
      (p->nearest_rounding < INGOT_RESIZE_ROUND_HALF_DOWN || p->nearest_rounding > INGOT_RESIZE_CEIL))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "nearest rounding is %d, expected 0 to 3 (half_down, half_up, floor, ceil)",
                           (int)p->nearest_rounding);
  if (p->mode != INGOT_RESIZE_NEAREST && x->dtype != INGOT_FLOAT32 && x->dtype != INGOT_FLOAT16 &&
      x->dtype != INGOT_BFLOAT16)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "linear/cubic resize of dtype %s: expected float32, float16 or bfloat16 (nearest takes any "
                           "dtype)",
                           ingot_dtype_name(x->dtype));
  if (!ingot_dtype_valid(x->dtype))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input has an unknown dtype (%d)", (int)x->dtype);
  int32_t rank = x->dims.nb_dims;
  if (rank < 1) return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input is a scalar, expected rank >= 1");
  ingot_dims out = x->dims;
  const ingot_value_info *sizes = node->nb_inputs == 2 && inputs[1].dims.nb_dims >= 0 ? &inputs[1] : NULL;
  ingot_dims given = p->output_dims;
  if (sizes) {
    if (sizes->dtype != INGOT_INT64 && sizes->dtype != INGOT_INT32)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "output dims (input 1) have dtype %s, expected int64",
                             ingot_dtype_name(sizes->dtype));
    if (sizes->dims.nb_dims != 1 || sizes->dims.d[0] != rank)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                             "output dims (input 1) have dims %s, expected [%d] (one per dim of the input %s)",
                             ingot_dims_format(&sizes->dims, buf, sizeof buf), (int)rank,
                             ingot_dims_format(&x->dims, buf2, sizeof buf2));
    if (sizes->data == NULL)
      return ingot_node_fail(node, INGOT_INVALID_GRAPH,
                             "the value of the output dims (input 1) is unknown when shapes are inferred: it must be "
                             "a constant or computed from input shapes");
    given.nb_dims = rank;
    for (int32_t i = 0; i < rank; i++)
      given.d[i] = sizes->dtype == INGOT_INT64 ? ((const int64_t *)sizes->data)[i]
                                               : (int64_t)((const int32_t *)sizes->data)[i];
  }
  bool scales_size = p->use_scales && !sizes && p->output_dims.nb_dims == 0;
  if (p->use_scales && !sizes) { /* checked even when output dims size the output */
    if (p->nb_scales != rank)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "has %d scales, expected one per input dim (%d, dims %s)",
                             (int)p->nb_scales, (int)rank, ingot_dims_format(&x->dims, buf, sizeof buf));
    for (int32_t i = 0; i < rank; i++) {
      float s = p->scales[i];
      if (!(s > 0.0f) || isinf(s))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "scale[%d] is %g, expected a finite value > 0", (int)i,
                               (double)s);
      if (x->dims.d[i] < 0 || !scales_size) continue;
      double o = floor((double)x->dims.d[i] * (double)s);
      if (o > (double)((int64_t)1 << 60)) /* (int64_t) of a larger double is undefined */
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "scale[%d] = %g turns input dim %lld into %g, over 2^60",
                               (int)i, (double)s, (long long)x->dims.d[i], o);
      out.d[i] = (int64_t)o;
      if (x->dims.d[i] > 0 && out.d[i] < 1)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "scale[%d] = %g turns input dim %lld into %lld, expected >= 1",
                               (int)i, (double)s, (long long)x->dims.d[i], (long long)out.d[i]);
    }
  }
  if (!scales_size) {
    if (given.nb_dims != rank)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "output dims %s have rank %d, expected the input's rank %d (%s)",
                             ingot_dims_format(&given, buf, sizeof buf), (int)given.nb_dims, (int)rank,
                             ingot_dims_format(&x->dims, buf2, sizeof buf2));
    for (int32_t i = 0; i < rank; i++) {
      int64_t o = given.d[i];
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
