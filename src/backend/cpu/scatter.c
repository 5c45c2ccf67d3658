/* Scatter on the CPU: ONNX ScatterND and ScatterElements, each with the reductions none,
 * add, mul, max and min. The output starts as a copy of data (in parallel); the updates
 * are then applied one after the other in index order, so that duplicate indices combine
 * as the ONNX reference combines them (the last write wins without a reduction). Every
 * index is checked before the output is touched, so a bad one fails the run cleanly. */
#include <string.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/movement.h"
#include "core/dims.h"

static int64_t load_index(const void *indices, int indices_int32, int64_t i) {
  return indices_int32 ? ((const int32_t *)indices)[i] : ((const int64_t *)indices)[i];
}

/* Integer add and mul wrap around (two's complement), as ONNX runtimes do, without the
 * undefined behaviour of signed overflow in C. */
#define COMBINE(T, U)                                                                          \
  static void combine_##T(T *dst, const T *src, int64_t n, int32_t reduction) {                \
    switch (reduction) {                                                                       \
      case INGOT_SCATTER_REDUCE_ADD:                                                           \
        for (int64_t i = 0; i < n; i++) dst[i] = (T)((U)dst[i] + (U)src[i]);                   \
        break;                                                                                 \
      case INGOT_SCATTER_REDUCE_MUL:                                                           \
        for (int64_t i = 0; i < n; i++) dst[i] = (T)((U)dst[i] * (U)src[i]);                   \
        break;                                                                                 \
      case INGOT_SCATTER_REDUCE_MAX:                                                           \
        for (int64_t i = 0; i < n; i++) dst[i] = src[i] > dst[i] ? src[i] : dst[i];            \
        break;                                                                                 \
      case INGOT_SCATTER_REDUCE_MIN:                                                           \
        for (int64_t i = 0; i < n; i++) dst[i] = src[i] < dst[i] ? src[i] : dst[i];            \
        break;                                                                                 \
      default: memcpy(dst, src, (size_t)n * sizeof(T)); break;                                 \
    }                                                                                          \
  }
COMBINE(float, float)
COMBINE(int32_t, uint32_t)
COMBINE(int64_t, uint64_t)
#undef COMBINE

/* Applies n updates at src to dst (both of the output's dtype). */
static void combine(void *dst, const void *src, int64_t n, ingot_dtype dtype, size_t es, int32_t reduction) {
  if (reduction == INGOT_SCATTER_REDUCE_NONE) {
    memcpy(dst, src, (size_t)n * es);
    return;
  }
  switch (dtype) {
    case INGOT_FLOAT32: combine_float(dst, src, n, reduction); break;
    case INGOT_INT32: combine_int32_t(dst, src, n, reduction); break;
    default: combine_int64_t(dst, src, n, reduction); break;
  }
}

static ingot_status bad_index(const ingot_node *node, int64_t v, int64_t dim, int32_t axis) {
  return ingot_node_fail(node, INGOT_RUNTIME_ERROR, "index %lld out of range [%lld, %lld) on axis %d", (long long)v,
                         (long long)-dim, (long long)dim, axis);
}

/* ScatterND: indices [m..., k] address the first k dims of data; each tuple receives a
 * slice of updates of the remaining dims. */
static ingot_status scatter_nd(const ingot_kernel_args *args) {
  const ingot_tensor_view *data = &args->inputs[0], *ind = &args->inputs[1], *upd = &args->inputs[2];
  const ingot_tensor_view *out = &args->outputs[0];
  const int32_t q = ind->dims.nb_dims, r = data->dims.nb_dims;
  const int32_t k = (int32_t)ind->dims.d[q - 1];
  const int idx32 = ind->dtype == INGOT_INT32;
  const size_t es = ingot_dtype_size(data->dtype);
  if (k < 0 || k > r) return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "scatter nd geometry unchecked");
  int64_t strides[INGOT_MAX_DIMS], items = 1, inner = 1;
  ingot_dims_strides(&data->dims, strides);
  for (int32_t i = 0; i < q - 1; i++) items *= ind->dims.d[i];
  for (int32_t i = k; i < r; i++) inner *= data->dims.d[i];
  for (int64_t item = 0; item < items; item++)
    for (int32_t t = 0; t < k; t++) {
      int64_t v = load_index(ind->data, idx32, item * k + t), dim = data->dims.d[t];
      if (v < -dim || v >= dim) return bad_index(args->node, v, dim, t);
    }
  ingot_cpu_copy_bytes(out->data, data->data, (uint64_t)ingot_dims_volume(&data->dims) * es, args->pool);
  for (int64_t item = 0; item < items; item++) {
    int64_t off = 0;
    for (int32_t t = 0; t < k; t++) {
      int64_t v = load_index(ind->data, idx32, item * k + t);
      off += (v < 0 ? v + data->dims.d[t] : v) * strides[t];
    }
    combine((char *)out->data + off * (int64_t)es, (const char *)upd->data + item * inner * (int64_t)es, inner,
            data->dtype, es, args->params->scatter.reduction);
  }
  return INGOT_SUCCESS;
}

/* ScatterElements: update m goes to the output position m with m[axis] = indices[m]. */
static ingot_status scatter_elements(const ingot_kernel_args *args) {
  const ingot_tensor_view *data = &args->inputs[0], *ind = &args->inputs[1], *upd = &args->inputs[2];
  const ingot_tensor_view *out = &args->outputs[0];
  const int idx32 = ind->dtype == INGOT_INT32;
  const size_t es = ingot_dtype_size(data->dtype);
  const int32_t rank = ind->dims.nb_dims;
  int32_t axis;
  if (!ingot_axis_normalize(args->params->scatter.axis, data->dims.nb_dims, &axis))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "axis %d out of range for rank %d at run time",
                           args->params->scatter.axis, data->dims.nb_dims);
  const int64_t n = ingot_dims_volume(&ind->dims), dim = data->dims.d[axis];
  for (int64_t e = 0; e < n; e++) {
    int64_t v = load_index(ind->data, idx32, e);
    if (v < -dim || v >= dim) return bad_index(args->node, v, dim, axis);
  }
  ingot_cpu_copy_bytes(out->data, data->data, (uint64_t)ingot_dims_volume(&data->dims) * es, args->pool);
  int64_t strides[INGOT_MAX_DIMS], idx[INGOT_MAX_DIMS] = {0}, base = 0;
  ingot_dims_strides(&data->dims, strides);
  for (int64_t e = 0; e < n; e++) {
    int64_t v = load_index(ind->data, idx32, e);
    int64_t off = base + (v < 0 ? v + dim : v) * strides[axis];
    combine((char *)out->data + off * (int64_t)es, (const char *)upd->data + e * (int64_t)es, 1, data->dtype, es,
            args->params->scatter.reduction);
    for (int32_t k = rank - 1; k >= 0; k--) { /* odometer over the dims of indices, axis left out */
      if (k != axis) base += strides[k];
      if (++idx[k] < ind->dims.d[k]) break;
      if (k != axis) base -= strides[k] * ind->dims.d[k];
      idx[k] = 0;
    }
  }
  return INGOT_SUCCESS;
}

INGOT_CPU_KERNEL(ingot_cpu_scatter) {
  const ingot_tensor_view *data = &args->inputs[0];
  const int32_t reduction = args->params->scatter.reduction;
  if (reduction != INGOT_SCATTER_REDUCE_NONE && data->dtype != INGOT_FLOAT32 && data->dtype != INGOT_INT32 &&
      data->dtype != INGOT_INT64)
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "scatter reduction on %s reached the kernel",
                           ingot_dtype_name(data->dtype));
  return args->params->scatter.mode == INGOT_SCATTER_ND ? scatter_nd(args) : scatter_elements(args);
}
