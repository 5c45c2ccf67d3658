/* CUDA tactics of the layers that work along rows or windows: softmax, reduce, layer and
 * batch normalization, pooling. Each folds the tensor into [outer, len, inner] (or a
 * pooling descriptor) on the host and calls one launcher on args->stream. */
#include "backend/cuda/kernels/ck_tactics.h"
#include "core/dims.h"
#include "ops/conv_geometry.h"
#include "ops/ops.h"

#define STREAM(args) ((cudaStream_t)(args)->stream)

static void fold(const ingot_dims *d, int32_t first, int32_t last, int64_t *outer, int64_t *len, int64_t *inner) {
  *outer = *len = *inner = 1;
  for (int32_t i = 0; i < d->nb_dims; i++) {
    if (i < first) *outer *= d->d[i];
    else if (i <= last) *len *= d->d[i];
    else *inner *= d->d[i];
  }
}

/* ---- softmax ------------------------------------------------------------------------------ */

bool ingot_ck_softmax_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                      const ingot_tensor_view *outputs) {
  int32_t axis;
  return ingot_ck_is_float(inputs[0].dtype) && outputs[0].dtype == inputs[0].dtype &&
         ingot_axis_normalize(node->params.softmax.axis, inputs[0].dims.nb_dims, &axis);
}

ingot_status ingot_ck_softmax_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *x = &args->inputs[0];
  int32_t axis;
  if (!ingot_axis_normalize(args->params->softmax.axis, x->dims.nb_dims, &axis))
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "axis %d is out of range for rank %d",
                           (int)args->params->softmax.axis, (int)x->dims.nb_dims);
  int64_t outer, len, inner;
  fold(&x->dims, axis, axis, &outer, &len, &inner);
  return ingot_ck_status(args, ingot_ck_softmax((int32_t)x->dtype, args->params->softmax.log, outer, len, inner,
                                                x->data, args->outputs[0].data, STREAM(args)));
}

/* ---- reduce ------------------------------------------------------------------------------- */

static bool reduce_dtype(ingot_dtype dt) {
  return ingot_ck_is_float(dt) || dt == INGOT_INT32 || dt == INGOT_INT64;
}

bool ingot_ck_reduce_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                     const ingot_tensor_view *outputs) {
  int32_t op = node->params.reduce.op;
  return op >= 0 && op < INGOT_REDUCE_OP_COUNT && reduce_dtype(inputs[0].dtype) &&
         outputs[0].dtype == inputs[0].dtype;
}

ingot_status ingot_ck_reduce_tactic(const ingot_kernel_args *args) {
  const ingot_reduce_params *p = &args->params->reduce;
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  const int32_t rank = x->dims.nb_dims;
  int64_t strides[INGOT_MAX_DIMS];
  ingot_dims_strides(&x->dims, strides);
  /* Reduced and kept dims (dims of 1 dropped), and how many runs of reduced dims there are. */
  int64_t kdims[INGOT_MAX_DIMS], kstr[1][INGOT_MAX_DIMS], rdims[INGOT_MAX_DIMS], rstr[INGOT_MAX_DIMS];
  int32_t nk = 0, nr = 0, runs = 0, prev = -1;
  int64_t count = 1;
  for (int32_t i = 0; i < rank; i++) {
    if (x->dims.d[i] == 1) continue;
    int32_t red = (p->axes_mask >> i) & 1u;
    if (red) {
      if (prev != 1) runs++;
      rdims[nr] = x->dims.d[i];
      rstr[nr++] = strides[i];
      count *= x->dims.d[i];
    } else {
      kdims[nk] = x->dims.d[i];
      kstr[0][nk++] = strides[i];
    }
    prev = red;
  }
  int64_t volume = ingot_dims_volume(&y->dims);
  if (volume <= 0) return INGOT_SUCCESS;
  if (count == 0)
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "the CUDA reduce kernel takes no empty reduced dims");
  if (runs == 0) { /* nothing reduced: every op of one element is that element */
    return ingot_ck_status(args, cudaMemcpyAsync(y->data, x->data, (size_t)volume * ingot_dtype_size(x->dtype),
                                                 cudaMemcpyDeviceToDevice, STREAM(args)));
  }
  if (runs == 1) {
    /* One run of reduced dims: [outer, len, inner] with len the run. */
    int64_t outer = 1, inner = 1;
    bool after = false;
    for (int32_t i = 0; i < rank; i++) {
      if (x->dims.d[i] == 1) continue;
      if ((p->axes_mask >> i) & 1u) after = true;
      else if (after) inner *= x->dims.d[i];
      else outer *= x->dims.d[i];
    }
    return ingot_ck_status(args, ingot_ck_reduce(p->op, (int32_t)x->dtype, outer, count, inner, x->data, y->data,
                                                 STREAM(args)));
  }
  ingot_ck_box kept;
  if (!ingot_ck_box_make(&kept, nk, kdims, 1, (const int64_t(*)[INGOT_MAX_DIMS])kstr))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "reduce: kept dims do not fit a box");
  return ingot_ck_status(args, ingot_ck_reduce_strided(p->op, (int32_t)x->dtype, &kept, nr, rdims, rstr, count,
                                                       x->data, y->data, STREAM(args)));
}

/* ---- layer normalization ------------------------------------------------------------------ */

static int32_t first_normalized(uint32_t mask, int32_t rank) {
  int32_t first = 0;
  while (first < rank && !(mask & (1u << first))) first++;
  return first;
}

/* Scale and bias must hold exactly the normalized dims (leading dims of 1 allowed): the
 * kernel indexes them by position in the row. */
static bool affine_is_row(const ingot_tensor_view *v, const ingot_dims *x, int32_t first, int64_t len) {
  int32_t shift = x->nb_dims - v->dims.nb_dims;
  if (shift < 0 || ingot_dims_volume(&v->dims) != len) return false;
  for (int32_t k = 0; k < v->dims.nb_dims; k++) {
    int32_t d = k + shift;
    if (v->dims.d[k] == 1) continue;
    if (d < first || v->dims.d[k] != x->d[d]) return false;
  }
  return true;
}

bool ingot_ck_layernorm_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                        const ingot_tensor_view *outputs) {
  const ingot_dims *x = &inputs[0].dims;
  if (!ingot_ck_is_float(inputs[0].dtype) || outputs[0].dtype != inputs[0].dtype) return false;
  int32_t first = first_normalized(node->params.layernorm.axes_mask, x->nb_dims);
  int64_t outer, len, inner;
  fold(x, first, x->nb_dims - 1, &outer, &len, &inner);
  if (!ingot_ck_is_float(inputs[1].dtype) || !affine_is_row(&inputs[1], x, first, len)) return false;
  if (ingot_ck_present(node->nb_inputs, inputs, 2) &&
      (!ingot_ck_is_float(inputs[2].dtype) || !affine_is_row(&inputs[2], x, first, len)))
    return false;
  return true;
}

ingot_status ingot_ck_layernorm_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *x = &args->inputs[0], *s = &args->inputs[1];
  const ingot_tensor_view *b = args->nb_inputs > 2 && args->inputs[2].data ? &args->inputs[2] : NULL;
  int32_t first = first_normalized(args->params->layernorm.axes_mask, x->dims.nb_dims);
  int64_t outer, len, inner;
  fold(&x->dims, first, x->dims.nb_dims - 1, &outer, &len, &inner);
  return ingot_ck_status(args, ingot_ck_layernorm((int32_t)x->dtype, outer, len, args->params->layernorm.epsilon,
                                                  x->data, (int32_t)s->dtype, s->data,
                                                  b ? (int32_t)b->dtype : INGOT_CK_F32, b ? b->data : NULL,
                                                  args->outputs[0].data, STREAM(args)));
}

/* ---- batch normalization ------------------------------------------------------------------ */

/* The channel dim: 1, or the last with channels_last (the layout pass's NHWC). */
static int32_t bn_channel_axis(const ingot_node *node, const ingot_dims *x) {
  return ingot_channel_axis(node->params.batchnorm.channels_last, x->nb_dims);
}

bool ingot_ck_batchnorm_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                        const ingot_tensor_view *outputs) {
  if (!ingot_ck_is_float(inputs[0].dtype) || outputs[0].dtype != inputs[0].dtype || inputs[0].dims.nb_dims < 2)
    return false;
  int32_t cax = bn_channel_axis(node, &inputs[0].dims);
  for (int32_t k = 1; k < 5; k++)
    if (inputs[k].dtype != inputs[1].dtype || !ingot_ck_is_float(inputs[k].dtype) ||
        ingot_dims_volume(&inputs[k].dims) != inputs[0].dims.d[cax])
      return false;
  return true;
}

ingot_status ingot_ck_batchnorm_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *v = args->inputs;
  int64_t outer, len, inner;
  int32_t cax = bn_channel_axis(args->node, &v[0].dims);
  fold(&v[0].dims, cax, cax, &outer, &len, &inner); /* channels last: [N*H*W, C, 1] */
  return ingot_ck_status(args, ingot_ck_batchnorm((int32_t)v[0].dtype, outer, len, inner,
                                                  args->params->batchnorm.epsilon, v[0].data, (int32_t)v[1].dtype,
                                                  v[1].data, v[2].data, v[3].data, v[4].data, args->outputs[0].data,
                                                  STREAM(args)));
}

/* ---- pooling ------------------------------------------------------------------------------ */

bool ingot_ck_pooling_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                      const ingot_tensor_view *outputs) {
  int32_t nsp = inputs[0].dims.nb_dims - 2, type = node->params.pooling.type;
  return ingot_ck_is_float(inputs[0].dtype) && outputs[0].dtype == inputs[0].dtype && nsp >= 1 && nsp <= 3 &&
         (type == INGOT_POOLING_MAX || type == INGOT_POOLING_AVERAGE);
}

ingot_status ingot_ck_pooling_tactic(const ingot_kernel_args *args) {
  const ingot_pooling_params *p = &args->params->pooling;
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  ingot_ck_pool q = {.type = p->type, .nsp = x->dims.nb_dims - 2, .exclude_padding = p->average_count_excludes_padding};
  if (q.nsp < 1 || q.nsp > 3)
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "CUDA pooling takes 1 to 3 spatial dims, found %d",
                           (int)q.nsp);
  const int32_t cl = p->channels_last;
  q.channels_last = cl;
  q.channels = x->dims.d[ingot_channel_axis(cl, x->dims.nb_dims)];
  q.planes = x->dims.d[0] * q.channels;
  if (p->global) { /* a reduction over each plane: [N*C, HW, 1], or channels last [N, HW, C] */
    int64_t len = 1;
    for (int32_t i = 0; i < q.nsp; i++) len *= x->dims.d[ingot_spatial_axis(cl, i)];
    int32_t op = p->type == INGOT_POOLING_MAX ? INGOT_REDUCE_MAX : INGOT_REDUCE_MEAN;
    if (q.planes <= 0 || len <= 0) return INGOT_SUCCESS;
    return ingot_ck_status(args, ingot_ck_reduce(op, (int32_t)x->dtype, cl ? x->dims.d[0] : q.planes, len,
                                                 cl ? q.channels : 1, x->data, y->data, STREAM(args)));
  }
  for (int32_t i = 0; i < q.nsp; i++) {
    q.in[i] = x->dims.d[ingot_spatial_axis(cl, i)];
    q.out[i] = y->dims.d[ingot_spatial_axis(cl, i)];
    q.win[i] = p->window_size[i];
    q.stride[i] = ingot_or_one(p->stride[i]);
    q.dil[i] = ingot_or_one(p->dilation[i]);
    ingot_window_forward(q.in[i], q.win[i], q.stride[i], q.dil[i], p->padding_mode, p->pre_padding[i],
                         p->post_padding[i], p->ceil_mode, &q.pre[i], &q.post[i]);
  }
  return ingot_ck_status(args, ingot_ck_pooling((int32_t)x->dtype, &q, x->data, y->data, STREAM(args)));
}
