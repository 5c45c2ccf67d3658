/* CUDA tactics of the data movement layers: shuffle, slice, concatenation, expand, tile
 * (all one strided box copy, movement.cu), gather, padding and resize. They move elements
 * by size, so every dtype runs. Params that may come from value inputs (slice starts,
 * pads) are taken from the node's params only: the device holds the value tensors, which
 * a host-side run cannot read, so such nodes are left to other tactics. */
#include <string.h>

#include "backend/cuda/kernels/ck_tactics.h"
#include "core/dims.h"
#include "core/error.h"
#include "ops/ops.h"

#define STREAM(args) ((cudaStream_t)(args)->stream)

static bool any_present(const ingot_node *node, const ingot_tensor_view *inputs, int32_t from) {
  for (int32_t k = from; k < node->nb_inputs; k++)
    if (ingot_ck_present(node->nb_inputs, inputs, k)) return true;
  return false;
}

static bool is_identity(const int32_t *perm, int32_t rank) {
  for (int32_t i = 0; i < rank; i++)
    if (perm[i] != i) return false;
  return true;
}

/* ---- shuffle ------------------------------------------------------------------------------ */

/* The copy a shuffle is: false for the general case (both transposes real and the reshape
 * regrouping dims between them), which has no single stride per output dim. */
static bool shuffle_box(const ingot_shuffle_params *p, const ingot_dims *in, const ingot_dims *out, ingot_ck_box *box,
                        bool *plain) {
  const int32_t n = in->nb_dims, m = out->nb_dims;
  const bool t1 = p->has_first_transpose && !is_identity(p->first_transpose, n);
  const bool t2 = p->has_second_transpose && !is_identity(p->second_transpose, m);
  *plain = !t1 && !t2;
  if (*plain) return true;
  int64_t in_strides[INGOT_MAX_DIMS], st[2][INGOT_MAX_DIMS];
  ingot_dims_strides(in, in_strides);
  ingot_dims t = *in, mid = *out;
  int64_t t_src[INGOT_MAX_DIMS];
  for (int32_t i = 0; i < n; i++) {
    int32_t from = t1 ? p->first_transpose[i] : i;
    if (from < 0 || from >= n) return false;
    t.d[i] = in->d[from];
    t_src[i] = in_strides[from];
  }
  if (!t2) { /* output = the first transpose, contiguous */
    ingot_dims_strides(&t, st[0]);
    memcpy(st[1], t_src, sizeof t_src);
    return ingot_ck_box_make(box, n, t.d, 2, (const int64_t(*)[INGOT_MAX_DIMS])st);
  }
  for (int32_t i = 0; i < m; i++) {
    if (p->second_transpose[i] < 0 || p->second_transpose[i] >= m) return false;
    mid.d[p->second_transpose[i]] = out->d[i];
  }
  int64_t mid_strides[INGOT_MAX_DIMS];
  ingot_dims_strides(&mid, mid_strides);
  if (t1 && !ingot_dims_equal(&t, &mid)) return false;
  const int64_t *base = t1 ? t_src : mid_strides;
  ingot_dims_strides(out, st[0]);
  for (int32_t i = 0; i < m; i++) st[1][i] = base[p->second_transpose[i]];
  return ingot_ck_box_make(box, m, out->d, 2, (const int64_t(*)[INGOT_MAX_DIMS])st);
}

bool ingot_ck_shuffle_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                      const ingot_tensor_view *outputs) {
  ingot_ck_box box;
  bool plain;
  return inputs[0].dtype == outputs[0].dtype &&
         shuffle_box(&node->params.shuffle, &inputs[0].dims, &outputs[0].dims, &box, &plain);
}

static ingot_status copy_bytes(const ingot_kernel_args *args, void *dst, const void *src, int64_t bytes) {
  if (bytes <= 0 || dst == src) return INGOT_SUCCESS;
  return ingot_ck_status(args, cudaMemcpyAsync(dst, src, (size_t)bytes, cudaMemcpyDeviceToDevice, STREAM(args)));
}

ingot_status ingot_ck_shuffle_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  ingot_ck_box box;
  bool plain;
  if (!shuffle_box(&args->params->shuffle, &x->dims, &y->dims, &box, &plain))
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "CUDA shuffle: transposes around a regrouping reshape");
  int64_t volume = ingot_dims_volume(&y->dims), es = (int64_t)ingot_dtype_size(y->dtype);
  if (plain) return copy_bytes(args, y->data, x->data, volume * es);
  return ingot_ck_status(args, ingot_ck_copy((int32_t)es, &box, y->data, x->data, STREAM(args)));
}

/* ---- slice -------------------------------------------------------------------------------- */

/* Start, size and stride may be value inputs (1..3) computed on the device: int64 or int32,
 * one number per dim; start and stride, which the kernel reads, of one dtype. */
static bool slice_values_fit(const ingot_node *node, const ingot_tensor_view *inputs, int32_t rank,
                             int32_t *values_int32) {
  int32_t read_dtype = -1;
  for (int32_t k = 1; k <= 3; k++) {
    if (!ingot_ck_present(node->nb_inputs, inputs, k)) continue;
    const ingot_tensor_view *v = &inputs[k];
    if ((v->dtype != INGOT_INT64 && v->dtype != INGOT_INT32) || v->dims.nb_dims != 1 || v->dims.d[0] != rank)
      return false;
    if (k == 2) continue; /* size: the output's dims say it */
    if (read_dtype >= 0 && read_dtype != (int32_t)v->dtype) return false;
    read_dtype = (int32_t)v->dtype;
  }
  *values_int32 = read_dtype == (int32_t)INGOT_INT32;
  return true;
}

bool ingot_ck_slice_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                    const ingot_tensor_view *outputs) {
  int32_t rank = outputs[0].dims.nb_dims, int32_values;
  return inputs[0].dtype == outputs[0].dtype && rank == inputs[0].dims.nb_dims && rank >= 1 &&
         rank <= INGOT_MAX_DIMS && slice_values_fit(node, inputs, rank, &int32_values);
}

/* A slice whose start or stride is a device value: the kernel reads them there. */
static ingot_status slice_with_values(const ingot_kernel_args *args) {
  const ingot_slice_params *p = &args->params->slice;
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  ingot_ck_slice s;
  memset(&s, 0, sizeof s);
  int32_t values_int32 = 0;
  s.rank = y->dims.nb_dims;
  if (!slice_values_fit(args->node, args->inputs, s.rank, &values_int32))
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "CUDA slice: start, size and stride must be int64 or int32, "
                                                          "one per dim, start and stride of one dtype");
  ingot_dims_strides(&x->dims, s.in_strides);
  for (int32_t i = 0; i < s.rank; i++) {
    s.out_dims[i] = y->dims.d[i];
    s.start[i] = i < p->start.nb_dims ? p->start.d[i] : 0;
    s.stride[i] = i < p->stride.nb_dims ? p->stride.d[i] : 1;
  }
  s.volume = ingot_dims_volume(&y->dims);
  const void *start = ingot_ck_present(args->nb_inputs, args->inputs, 1) ? args->inputs[1].data : NULL;
  const void *stride = ingot_ck_present(args->nb_inputs, args->inputs, 3) ? args->inputs[3].data : NULL;
  int64_t es = (int64_t)ingot_dtype_size(x->dtype);
  return ingot_ck_status(args, ingot_ck_slice_run((int32_t)es, &s, start, stride, values_int32, x->data, y->data,
                                                  STREAM(args)));
}

ingot_status ingot_ck_slice_tactic(const ingot_kernel_args *args) {
  const ingot_slice_params *p = &args->params->slice;
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  const int32_t rank = y->dims.nb_dims;
  if (ingot_dims_volume(&y->dims) <= 0) return INGOT_SUCCESS;
  if (ingot_ck_present(args->nb_inputs, args->inputs, 1) || ingot_ck_present(args->nb_inputs, args->inputs, 3))
    return slice_with_values(args);
  int64_t in_strides[INGOT_MAX_DIMS], st[2][INGOT_MAX_DIMS], first = 0;
  ingot_dims_strides(&x->dims, in_strides);
  ingot_dims_strides(&y->dims, st[0]);
  for (int32_t i = 0; i < rank; i++) {
    first += p->start.d[i] * in_strides[i];
    st[1][i] = p->stride.d[i] * in_strides[i];
  }
  ingot_ck_box box;
  if (!ingot_ck_box_make(&box, rank, y->dims.d, 2, (const int64_t(*)[INGOT_MAX_DIMS])st))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "slice box");
  int64_t es = (int64_t)ingot_dtype_size(x->dtype);
  return ingot_ck_status(args, ingot_ck_copy((int32_t)es, &box, y->data, (const char *)x->data + first * es,
                                             STREAM(args)));
}

/* ---- concatenation ------------------------------------------------------------------------ */

bool ingot_ck_concat_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                     const ingot_tensor_view *outputs) {
  for (int32_t k = 0; k < node->nb_inputs; k++)
    if (inputs[k].dtype != outputs[0].dtype) return false;
  return true;
}

ingot_status ingot_ck_concat_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *y = &args->outputs[0];
  int32_t axis;
  if (!ingot_axis_normalize(args->params->concat.axis, y->dims.nb_dims, &axis))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "axis %d out of range for rank %d",
                           args->params->concat.axis, y->dims.nb_dims);
  int64_t outer = 1, inner = 1, es = (int64_t)ingot_dtype_size(y->dtype);
  for (int32_t i = 0; i < axis; i++) outer *= y->dims.d[i];
  for (int32_t i = axis + 1; i < y->dims.nb_dims; i++) inner *= y->dims.d[i];
  const int64_t out_row = y->dims.d[axis] * inner;
  int64_t column = 0;
  for (int32_t k = 0; k < args->nb_inputs; k++) {
    const ingot_tensor_view *x = &args->inputs[k];
    const int64_t in_row = x->dims.d[axis] * inner;
    if (in_row > 0 && outer > 0) {
      const int64_t dims[2] = {outer, in_row};
      const int64_t st[2][INGOT_MAX_DIMS] = {{out_row, 1}, {in_row, 1}};
      ingot_ck_box box;
      ingot_ck_box_make(&box, 2, dims, 2, st);
      INGOT_TRY(ingot_ck_status(args, ingot_ck_copy((int32_t)es, &box, (char *)y->data + column * es, x->data,
                                                    STREAM(args))));
    }
    column += in_row;
  }
  return INGOT_SUCCESS;
}

/* ---- expand, tile ------------------------------------------------------------------------- */

static bool expand_box(const ingot_dims *in, const ingot_dims *out, ingot_ck_box *box) {
  const int32_t rank = out->nb_dims, shift = rank - in->nb_dims;
  if (shift < 0) return false;
  int64_t in_strides[INGOT_MAX_DIMS], st[2][INGOT_MAX_DIMS];
  ingot_dims_strides(in, in_strides);
  ingot_dims_strides(out, st[0]);
  for (int32_t k = 0; k < rank; k++)
    st[1][k] = k < shift || in->d[k - shift] == 1 ? 0 : in_strides[k - shift];
  return ingot_ck_box_make(box, rank, out->d, 2, (const int64_t(*)[INGOT_MAX_DIMS])st);
}

/* Tile as a copy over (repeat, input dim) pairs: output dim d is rep_d blocks of in_d. */
static bool tile_box(const ingot_dims *in, const ingot_dims *out, ingot_ck_box *box) {
  const int32_t rank = out->nb_dims;
  if (in->nb_dims != rank) return false;
  int64_t in_strides[INGOT_MAX_DIMS], out_strides[INGOT_MAX_DIMS];
  ingot_dims_strides(in, in_strides);
  ingot_dims_strides(out, out_strides);
  int64_t dims[2 * INGOT_MAX_DIMS], st[2][2 * INGOT_MAX_DIMS];
  for (int32_t d = 0; d < rank; d++) {
    if (in->d[d] <= 0) return ingot_dims_volume(out) == 0;
    if (out->d[d] % in->d[d] != 0) return false;
    dims[2 * d] = out->d[d] / in->d[d];
    dims[2 * d + 1] = in->d[d];
    st[0][2 * d] = in->d[d] * out_strides[d];
    st[0][2 * d + 1] = out_strides[d];
    st[1][2 * d] = 0;
    st[1][2 * d + 1] = in_strides[d];
  }
  /* Drop the dims of 1 first so the pairs fit the box's eight. */
  int64_t cd[INGOT_MAX_DIMS], cs[2][INGOT_MAX_DIMS];
  int32_t n = 0;
  for (int32_t i = 0; i < 2 * rank; i++) {
    if (dims[i] == 1) continue;
    if (n == INGOT_MAX_DIMS) return false;
    cd[n] = dims[i];
    cs[0][n] = st[0][i];
    cs[1][n] = st[1][i];
    n++;
  }
  return ingot_ck_box_make(box, n, cd, 2, (const int64_t(*)[INGOT_MAX_DIMS])cs);
}

bool ingot_ck_expand_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                     const ingot_tensor_view *outputs) {
  (void)node;
  ingot_ck_box box;
  return inputs[0].dtype == outputs[0].dtype && expand_box(&inputs[0].dims, &outputs[0].dims, &box);
}

ingot_status ingot_ck_expand_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  ingot_ck_box box;
  if (ingot_dims_volume(&y->dims) <= 0) return INGOT_SUCCESS;
  if (!expand_box(&x->dims, &y->dims, &box)) return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "expand box");
  return ingot_ck_status(args, ingot_ck_copy((int32_t)ingot_dtype_size(y->dtype), &box, y->data, x->data,
                                             STREAM(args)));
}

bool ingot_ck_tile_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                   const ingot_tensor_view *outputs) {
  (void)node;
  ingot_ck_box box;
  return inputs[0].dtype == outputs[0].dtype && tile_box(&inputs[0].dims, &outputs[0].dims, &box);
}

ingot_status ingot_ck_tile_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  ingot_ck_box box;
  if (ingot_dims_volume(&y->dims) <= 0) return INGOT_SUCCESS;
  if (!tile_box(&x->dims, &y->dims, &box))
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "CUDA tile: the repeats need more than 8 dims");
  return ingot_ck_status(args, ingot_ck_copy((int32_t)ingot_dtype_size(y->dtype), &box, y->data, x->data,
                                             STREAM(args)));
}

/* ---- gather ------------------------------------------------------------------------------- */

bool ingot_ck_gather_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                     const ingot_tensor_view *outputs) {
  int32_t axis;
  return inputs[0].dtype == outputs[0].dtype &&
         (inputs[1].dtype == INGOT_INT32 || inputs[1].dtype == INGOT_INT64) &&
         ingot_axis_normalize(node->params.gather.axis, inputs[0].dims.nb_dims, &axis);
}

ingot_status ingot_ck_gather_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *data = &args->inputs[0], *idx = &args->inputs[1], *y = &args->outputs[0];
  int32_t axis;
  if (!ingot_axis_normalize(args->params->gather.axis, data->dims.nb_dims, &axis))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "axis %d out of range for rank %d",
                           args->params->gather.axis, data->dims.nb_dims);
  int64_t outer = 1, inner = 1;
  for (int32_t i = 0; i < axis; i++) outer *= data->dims.d[i];
  for (int32_t i = axis + 1; i < data->dims.nb_dims; i++) inner *= data->dims.d[i];
  return ingot_ck_status(args, ingot_ck_gather((int32_t)ingot_dtype_size(data->dtype), outer, data->dims.d[axis],
                                               inner, idx->dtype == INGOT_INT32, ingot_dims_volume(&idx->dims),
                                               data->data, idx->data, y->data, STREAM(args)));
}

/* ---- padding ------------------------------------------------------------------------------ */

bool ingot_ck_padding_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                      const ingot_tensor_view *outputs) {
  int32_t mode = node->params.padding.mode;
  return inputs[0].dtype == outputs[0].dtype && !any_present(node, inputs, 1) && mode >= INGOT_PAD_CONSTANT &&
         mode <= INGOT_PAD_WRAP && outputs[0].dims.nb_dims == inputs[0].dims.nb_dims;
}

ingot_status ingot_ck_padding_tactic(const ingot_kernel_args *args) {
  const ingot_padding_params *p = &args->params->padding;
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  ingot_ck_pad q;
  memset(&q, 0, sizeof q);
  q.mode = p->mode;
  q.rank = y->dims.nb_dims;
  q.volume = ingot_dims_volume(&y->dims);
  if (q.volume <= 0) return INGOT_SUCCESS;
  int32_t es = (int32_t)ingot_dtype_size(x->dtype);
  if (q.rank == 0) return copy_bytes(args, y->data, x->data, es);
  ingot_dims_strides(&x->dims, q.in_strides);
  for (int32_t i = 0; i < q.rank; i++) {
    q.out_dims[i] = y->dims.d[i];
    q.in_dims[i] = x->dims.d[i];
    q.pre[i] = i < p->nb_dims ? p->pre_padding[i] : 0;
  }
  unsigned char bytes[8] = {0};
  ingot_store_from_double(bytes, x->dtype, 0, (double)p->value);
  memcpy(&q.value_bits, bytes, sizeof bytes);
  return ingot_ck_status(args, ingot_ck_pad_run(es, &q, x->data, y->data, STREAM(args)));
}

/* ---- resize ------------------------------------------------------------------------------- */

bool ingot_ck_resize_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                     const ingot_tensor_view *outputs) {
  const ingot_resize_params *p = &node->params.resize;
  if (inputs[0].dtype != outputs[0].dtype || inputs[0].dims.nb_dims != outputs[0].dims.nb_dims) return false;
  if (inputs[0].dims.nb_dims < 1 || inputs[0].dims.nb_dims > INGOT_CK_MAX_DIMS) return false;
  /* The kernel knows the four classic coordinate transforms and plain (not antialiased)
   * sampling; the rest (half_pixel_symmetric, tf_crop_and_resize, antialias, cubic) stay
   * with the CPU reference until the kernel learns them. */
  if (p->coordinate_transform > INGOT_RESIZE_PYTORCH_HALF_PIXEL || p->antialias || p->exclude_outside) return false;
  return p->mode == INGOT_RESIZE_NEAREST || (p->mode == INGOT_RESIZE_LINEAR && ingot_ck_is_float(inputs[0].dtype));
}

ingot_status ingot_ck_resize_tactic(const ingot_kernel_args *args) {
  const ingot_resize_params *p = &args->params->resize;
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  ingot_ck_resize q;
  memset(&q, 0, sizeof q);
  q.mode = p->mode;
  q.coord = p->coordinate_transform;
  q.round = p->nearest_rounding;
  q.rank = x->dims.nb_dims;
  q.volume = ingot_dims_volume(&y->dims);
  if (q.volume <= 0) return INGOT_SUCCESS;
  /* Output dims fed as input 1 override the scales, as in the reference. */
  bool use_scales = p->use_scales && !(args->nb_inputs > 1 && args->inputs[1].data != NULL);
  for (int32_t d = 0; d < q.rank; d++) {
    q.in_dims[d] = x->dims.d[d];
    q.out_dims[d] = y->dims.d[d];
    q.scale[d] = use_scales ? (double)p->scales[d] : (double)q.out_dims[d] / (double)q.in_dims[d];
    q.length[d] = use_scales ? (double)q.in_dims[d] * q.scale[d] : (double)q.out_dims[d];
    q.identity[d] = q.in_dims[d] == q.out_dims[d] && q.scale[d] == 1.0;
  }
  return ingot_ck_status(args, ingot_ck_resize_run((int32_t)x->dtype, (int32_t)ingot_dtype_size(x->dtype), &q,
                                                   x->data, y->data, STREAM(args)));
}
