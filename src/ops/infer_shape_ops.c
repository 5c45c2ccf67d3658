/* Shape inference of the layers that ONNX import adds: shape, fill, range, gather
 * elements / nd, scatter, cumulative, expand, tile, quantize, dequantize, einsum. */
#include "core/dims.h"
#include "core/error.h"
#include "ops/graph.h"

ingot_status ingot_infer_shape(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  outputs[0].dtype = INGOT_INT64;
  outputs[0].dims.nb_dims = 1;
  outputs[0].dims.d[0] = inputs[0].dims.nb_dims;
  return INGOT_SUCCESS;
}

/* Being written: each fails cleanly until its kernel lands. */
#define NOT_YET(fn)                                                                                       \
  ingot_status fn(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) { \
    (void)inputs;                                                                                         \
    (void)outputs;                                                                                        \
    return ingot_node_fail(node, INGOT_UNSUPPORTED, "this layer is not supported yet");                  \
  }
NOT_YET(ingot_infer_fill)
NOT_YET(ingot_infer_range)
NOT_YET(ingot_infer_gather_elements)
NOT_YET(ingot_infer_gather_nd)
NOT_YET(ingot_infer_scatter)
NOT_YET(ingot_infer_cumulative)
NOT_YET(ingot_infer_expand)
NOT_YET(ingot_infer_tile)
NOT_YET(ingot_infer_quantize)
NOT_YET(ingot_infer_dequantize)
NOT_YET(ingot_infer_einsum)
