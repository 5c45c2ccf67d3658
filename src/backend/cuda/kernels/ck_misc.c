/* CUDA tactics of the lighter layers: scale, cumulative sum, quantize, dequantize, fill,
 * shape, gather-elements (misc.cu) and top-k (topk.cu). */
#include <string.h>

#include "backend/cuda/kernels/ck_tactics.h"
#include "core/dims.h"
#include "ops/ops.h"

#define STREAM(args) ((cudaStream_t)(args)->stream)

/* ---- scale -------------------------------------------------------------------------------- */

bool ingot_ck_scale_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                    const ingot_tensor_view *outputs) {
  const ingot_scale_params *p = &node->params.scale;
  int32_t axis;
  if (!ingot_ck_is_float(inputs[0].dtype) || outputs[0].dtype != inputs[0].dtype) return false;
  for (int32_t k = 1; k < node->nb_inputs && k < 4; k++)
    if (ingot_ck_present(node->nb_inputs, inputs, k) && !ingot_ck_is_float(inputs[k].dtype)) return false;
  if (p->mode == INGOT_SCALE_CHANNEL) return ingot_axis_normalize(p->channel_axis, inputs[0].dims.nb_dims, &axis);
  return p->mode == INGOT_SCALE_UNIFORM || p->mode == INGOT_SCALE_ELEMENTWISE;
}

ingot_status ingot_ck_scale_tactic(const ingot_kernel_args *args) {
  const ingot_scale_params *p = &args->params->scale;
  const ingot_tensor_view *x = &args->inputs[0];
  const ingot_dims *d = &x->dims;
  int64_t inner = 1, channels = 1;
  if (p->mode == INGOT_SCALE_CHANNEL) {
    int32_t axis;
    if (!ingot_axis_normalize(p->channel_axis, d->nb_dims, &axis))
      return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "channel_axis %d is out of range for %d dims",
                             (int)p->channel_axis, (int)d->nb_dims);
    channels = d->d[axis];
    for (int32_t i = axis + 1; i < d->nb_dims; i++) inner *= d->d[i];
  } else if (p->mode == INGOT_SCALE_ELEMENTWISE) {
    for (int32_t i = 1; i < d->nb_dims; i++) channels *= d->d[i];
  }
  const void *c[4] = {NULL, NULL, NULL, NULL};
  int32_t dt[4] = {0, 0, 0, 0};
  for (int32_t k = 1; k < 4 && k < args->nb_inputs; k++) {
    c[k] = args->inputs[k].data;
    dt[k] = (int32_t)args->inputs[k].dtype;
  }
  return ingot_ck_status(args, ingot_ck_scale((int32_t)x->dtype, ingot_dims_volume(d), inner, channels, x->data, dt[1],
                                              c[1], dt[2], c[2], dt[3], c[3], args->outputs[0].data, STREAM(args)));
}

/* ---- cumulative --------------------------------------------------------------------------- */

bool ingot_ck_cumsum_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                     const ingot_tensor_view *outputs) {
  ingot_dtype dt = inputs[0].dtype;
  int32_t axis;
  return (ingot_ck_is_float(dt) || dt == INGOT_INT32 || dt == INGOT_INT64) && outputs[0].dtype == dt &&
         ingot_axis_normalize(node->params.cumulative.axis, inputs[0].dims.nb_dims, &axis);
}

ingot_status ingot_ck_cumsum_tactic(const ingot_kernel_args *args) {
  const ingot_cumulative_params *p = &args->params->cumulative;
  const ingot_tensor_view *x = &args->inputs[0];
  int32_t axis;
  if (!ingot_axis_normalize(p->axis, x->dims.nb_dims, &axis))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "axis %d out of range for rank %d", p->axis,
                           x->dims.nb_dims);
  int64_t outer = 1, inner = 1;
  for (int32_t i = 0; i < axis; i++) outer *= x->dims.d[i];
  for (int32_t i = axis + 1; i < x->dims.nb_dims; i++) inner *= x->dims.d[i];
  return ingot_ck_status(args, ingot_ck_cumsum((int32_t)x->dtype, p->exclusive, p->reverse, outer, x->dims.d[axis],
                                               inner, x->data, args->outputs[0].data, STREAM(args)));
}

/* ---- quantize, dequantize ----------------------------------------------------------------- */

/* Channels and inner extent of a per-tensor or per-channel scale. */
static bool quant_geometry(const ingot_node *node, const ingot_tensor_view *x, const ingot_tensor_view *scale,
                           int64_t *inner, int64_t *channels) {
  *inner = 1;
  *channels = ingot_dims_volume(&scale->dims);
  if (*channels > 1) {
    int32_t axis;
    if (!ingot_axis_normalize(node->params.quantize.axis, x->dims.nb_dims, &axis) || x->dims.d[axis] != *channels)
      return false;
    for (int32_t i = axis + 1; i < x->dims.nb_dims; i++) *inner *= x->dims.d[i];
  }
  return *channels >= 1;
}

static bool zero_point_ok(const ingot_node *node, const ingot_tensor_view *inputs, ingot_dtype int_dtype) {
  return !ingot_ck_present(node->nb_inputs, inputs, 2) || inputs[2].dtype == int_dtype;
}

bool ingot_ck_quantize_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                       const ingot_tensor_view *outputs) {
  int64_t inner, channels;
  ingot_dtype q = outputs[0].dtype;
  return inputs[0].dtype == INGOT_FLOAT32 && inputs[1].dtype == INGOT_FLOAT32 &&
         (q == INGOT_INT8 || q == INGOT_UINT8) && zero_point_ok(node, inputs, q) &&
         quant_geometry(node, &inputs[0], &inputs[1], &inner, &channels);
}

/* Both directions: the int side is the output's dtype when quantizing, the input's when not. */
static ingot_status quant_run(const ingot_kernel_args *args, bool quantize) {
  const ingot_tensor_view *x = &args->inputs[0], *s = &args->inputs[1], *y = &args->outputs[0];
  int64_t inner, channels;
  if (!quant_geometry(args->node, x, s, &inner, &channels))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "scale does not fit the quantized axis");
  const void *zp = args->nb_inputs > 2 ? args->inputs[2].data : NULL;
  int64_t n = ingot_dims_volume(&x->dims);
  cudaError_t err = quantize ? ingot_ck_quantize((int32_t)y->dtype, n, inner, channels, x->data, s->data, zp, y->data,
                                                 STREAM(args))
                             : ingot_ck_dequantize((int32_t)x->dtype, n, inner, channels, x->data, s->data, zp,
                                                   y->data, STREAM(args));
  return ingot_ck_status(args, err);
}

ingot_status ingot_ck_quantize_tactic(const ingot_kernel_args *args) { return quant_run(args, true); }

bool ingot_ck_dequantize_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                         const ingot_tensor_view *outputs) {
  int64_t inner, channels;
  ingot_dtype q = inputs[0].dtype;
  return (q == INGOT_INT8 || q == INGOT_UINT8 || q == INGOT_INT32) && inputs[1].dtype == INGOT_FLOAT32 &&
         outputs[0].dtype == INGOT_FLOAT32 && zero_point_ok(node, inputs, q) &&
         quant_geometry(node, &inputs[0], &inputs[1], &inner, &channels);
}

ingot_status ingot_ck_dequantize_tactic(const ingot_kernel_args *args) { return quant_run(args, false); }

/* ---- fill, shape -------------------------------------------------------------------------- */

bool ingot_ck_fill_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                   const ingot_tensor_view *outputs) {
  (void)node;
  (void)inputs;
  return ingot_dtype_valid(outputs[0].dtype);
}

ingot_status ingot_ck_fill_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *y = &args->outputs[0];
  unsigned char bytes[8] = {0};
  uint64_t bits;
  ingot_store_from_double(bytes, y->dtype, 0, args->params->fill.value); /* converted as the cast layer does */
  memcpy(&bits, bytes, sizeof bits);
  return ingot_ck_status(args, ingot_ck_fill((int32_t)ingot_dtype_size(y->dtype), ingot_dims_volume(&y->dims), bits,
                                             y->data, STREAM(args)));
}

bool ingot_ck_shape_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                    const ingot_tensor_view *outputs) {
  (void)node;
  return outputs[0].dtype == INGOT_INT64 && inputs[0].dims.nb_dims <= INGOT_CK_MAX_DIMS;
}

ingot_status ingot_ck_shape_tactic(const ingot_kernel_args *args) {
  const ingot_dims *d = &args->inputs[0].dims;
  ingot_ck_values v;
  memset(&v, 0, sizeof v);
  v.count = d->nb_dims;
  for (int32_t i = 0; i < d->nb_dims; i++) v.v[i] = d->d[i];
  return ingot_ck_status(args, ingot_ck_write_values(&v, args->outputs[0].data, STREAM(args)));
}

/* ---- gather elements ---------------------------------------------------------------------- */

bool ingot_ck_gather_elements_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                              const ingot_tensor_view *outputs) {
  int32_t axis;
  return inputs[0].dtype == outputs[0].dtype && (inputs[1].dtype == INGOT_INT32 || inputs[1].dtype == INGOT_INT64) &&
         inputs[1].dims.nb_dims == inputs[0].dims.nb_dims &&
         ingot_axis_normalize(node->params.gather_ex.axis, inputs[0].dims.nb_dims, &axis);
}

ingot_status ingot_ck_gather_elements_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *data = &args->inputs[0], *idx = &args->inputs[1], *y = &args->outputs[0];
  int32_t axis;
  if (!ingot_axis_normalize(args->params->gather_ex.axis, data->dims.nb_dims, &axis))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "axis %d out of range for rank %d",
                           args->params->gather_ex.axis, data->dims.nb_dims);
  int64_t st[1][INGOT_MAX_DIMS];
  ingot_dims_strides(&data->dims, st[0]);
  int64_t axis_stride = st[0][axis];
  st[0][axis] = 0; /* the index supplies the axis coordinate */
  ingot_ck_box box;
  if (!ingot_ck_box_make(&box, idx->dims.nb_dims, idx->dims.d, 1, (const int64_t(*)[INGOT_MAX_DIMS])st))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "gather elements box");
  return ingot_ck_status(args, ingot_ck_gather_elements((int32_t)ingot_dtype_size(data->dtype), &box,
                                                        data->dims.d[axis], axis_stride, idx->dtype == INGOT_INT32,
                                                        data->data, idx->data, y->data, STREAM(args)));
}

/* ---- topk --------------------------------------------------------------------------------- */

static bool topk_geometry(const ingot_node *node, const ingot_dims *d, int64_t *outer, int64_t *n, int64_t *inner) {
  int32_t axis;
  if (!ingot_axis_normalize(node->params.topk.axis, d->nb_dims, &axis)) return false;
  *outer = *inner = 1;
  for (int32_t i = 0; i < axis; i++) *outer *= d->d[i];
  for (int32_t i = axis + 1; i < d->nb_dims; i++) *inner *= d->d[i];
  *n = d->d[axis];
  return true;
}

bool ingot_ck_topk_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                   const ingot_tensor_view *outputs) {
  ingot_dtype dt = inputs[0].dtype;
  int64_t outer, n, inner;
  if (!(ingot_ck_is_float(dt) || dt == INGOT_INT32 || dt == INGOT_INT64) || outputs[0].dtype != dt ||
      outputs[1].dtype != INGOT_INT64 || !topk_geometry(node, &inputs[0].dims, &outer, &n, &inner))
    return false;
  /* By rank: O(n^2) a row, one row a grid line. */
  return n <= 16384 && outer * inner <= 65535 && node->params.topk.k <= n;
}

ingot_status ingot_ck_topk_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *x = &args->inputs[0];
  int64_t outer, n, inner;
  if (!topk_geometry(args->node, &x->dims, &outer, &n, &inner))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "axis %d out of range for rank %d",
                           args->params->topk.axis, x->dims.nb_dims);
  return ingot_ck_status(args, ingot_ck_topk((int32_t)x->dtype, args->params->topk.op == INGOT_TOPK_MIN, outer, n,
                                             inner, args->params->topk.k, x->data, args->outputs[0].data,
                                             args->outputs[1].data, STREAM(args)));
}
