/* GatherElements and GatherND on the CPU. As in gather.c, every index is checked in one
 * pass before anything is copied, so a bad index fails the run cleanly and the parallel
 * copies that follow need no checks. Elements move by size only: every dtype. */
#include <string.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/movement.h"
#include "core/dims.h"
#include "core/error.h"

static int64_t load_index(const void *indices, int indices_int32, int64_t i) {
  return indices_int32 ? ((const int32_t *)indices)[i] : ((const int64_t *)indices)[i];
}

/* Fails with RUNTIME_ERROR at the first of indices[begin + k * step], k < count, outside
 * [-dim, dim). */
static ingot_status check_indices(const ingot_node *node, const void *indices, int indices_int32, int64_t begin,
                                  int64_t step, int64_t count, int64_t dim, int32_t axis) {
  for (int64_t k = 0; k < count; k++) {
    int64_t v = load_index(indices, indices_int32, begin + k * step);
    if (v < -dim || v >= dim)
      return ingot_node_fail(node, INGOT_RUNTIME_ERROR, "index %lld out of range [%lld, %lld) on axis %d",
                             (long long)v, (long long)-dim, (long long)dim, axis);
  }
  return INGOT_SUCCESS;
}

/* ---- gather elements: output[m] = data[m with m[axis] = indices[m]] -------------------- */

typedef struct elements_job {
  char *dst;
  const char *src;
  const void *indices;
  int indices_int32;
  size_t es;
  int32_t rank, axis;
  int64_t axis_dim;                 /* data's extent along the axis */
  int64_t dims[INGOT_MAX_DIMS];     /* of indices and output */
  int64_t src_strides[INGOT_MAX_DIMS];
} elements_job;

/* Output elements [begin, end): an odometer over the output dims keeps the source offset
 * of every coordinate but the axis, so each element costs no division. */
static void gather_elements_range(void *ctx, int64_t begin, int64_t end) {
  const elements_job *j = ctx;
  int64_t idx[INGOT_MAX_DIMS] = {0}, base = 0, rem = begin;
  for (int32_t k = j->rank - 1; k >= 0; k--) {
    idx[k] = rem % j->dims[k];
    rem /= j->dims[k];
    if (k != j->axis) base += idx[k] * j->src_strides[k];
  }
  const int64_t axis_stride = j->src_strides[j->axis];
  for (int64_t e = begin; e < end; e++) {
    int64_t v = load_index(j->indices, j->indices_int32, e);
    if (v < 0) v += j->axis_dim;
    ingot_cpu_copy_elem(j->dst + e * (int64_t)j->es, j->src + (base + v * axis_stride) * (int64_t)j->es, j->es);
    for (int32_t k = j->rank - 1; k >= 0; k--) {
      if (k != j->axis) base += j->src_strides[k];
      if (++idx[k] < j->dims[k]) break;
      if (k != j->axis) base -= j->src_strides[k] * j->dims[k];
      idx[k] = 0;
    }
  }
}

INGOT_CPU_KERNEL(ingot_cpu_gather_elements) {
  const ingot_tensor_view *data = &args->inputs[0], *ind = &args->inputs[1], *out = &args->outputs[0];
  int32_t axis;
  if (!ingot_axis_normalize(args->params->gather_ex.axis, data->dims.nb_dims, &axis))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "axis %d out of range for rank %d at run time",
                           args->params->gather_ex.axis, data->dims.nb_dims);
  const int64_t n = ingot_dims_volume(&ind->dims);
  const int int32_idx = ind->dtype == INGOT_INT32;
  INGOT_TRY(check_indices(args->node, ind->data, int32_idx, 0, 1, n, data->dims.d[axis], axis));
  if (n == 0) return INGOT_SUCCESS;
  elements_job j;
  memset(&j, 0, sizeof j);
  j.dst = out->data;
  j.src = data->data;
  j.indices = ind->data;
  j.indices_int32 = int32_idx;
  j.es = ingot_dtype_size(data->dtype);
  j.rank = ind->dims.nb_dims;
  j.axis = axis;
  j.axis_dim = data->dims.d[axis];
  for (int32_t k = 0; k < j.rank; k++) j.dims[k] = ind->dims.d[k];
  ingot_dims_strides(&data->dims, j.src_strides);
  ingot_parallel_for(args->pool, n, INGOT_CPU_MOVE_GRAIN_BYTES / (int64_t)j.es, gather_elements_range, &j);
  return INGOT_SUCCESS;
}

/* ---- gather nd: output[b, m] = data[b, indices[b, m, :], ...] --------------------------- */

typedef struct nd_job {
  char *dst;
  const char *src;
  const void *indices;
  int indices_int32;
  int32_t depth;          /* k: the data dims each index tuple addresses */
  int64_t per_batch;      /* tuples per batch */
  int64_t batch_stride;   /* elements of data per batch */
  int64_t dims[INGOT_MAX_DIMS];    /* the k addressed dims of data */
  int64_t strides[INGOT_MAX_DIMS]; /* their strides */
  size_t run_bytes;       /* one copied slice */
  size_t es;
} nd_job;

static int64_t nd_offset(const nd_job *j, int64_t item) {
  int64_t off = (item / j->per_batch) * j->batch_stride;
  for (int32_t t = 0; t < j->depth; t++) {
    int64_t v = load_index(j->indices, j->indices_int32, item * j->depth + t);
    off += (v < 0 ? v + j->dims[t] : v) * j->strides[t];
  }
  return off;
}

static void gather_nd_range(void *ctx, int64_t begin, int64_t end) {
  const nd_job *j = ctx;
  for (int64_t item = begin; item < end; item++)
    memcpy(j->dst + item * (int64_t)j->run_bytes, j->src + nd_offset(j, item) * (int64_t)j->es, j->run_bytes);
}

INGOT_CPU_KERNEL(ingot_cpu_gather_nd) {
  const ingot_tensor_view *data = &args->inputs[0], *ind = &args->inputs[1], *out = &args->outputs[0];
  const int32_t b = args->params->gather_ex.batch_dims, q = ind->dims.nb_dims, r = data->dims.nb_dims;
  nd_job j;
  memset(&j, 0, sizeof j);
  j.depth = (int32_t)ind->dims.d[q - 1];
  if (b < 0 || b >= q || j.depth < 0 || b + j.depth > r)
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "gather nd geometry unchecked at run time");
  j.dst = out->data;
  j.src = data->data;
  j.indices = ind->data;
  j.indices_int32 = ind->dtype == INGOT_INT32;
  j.es = ingot_dtype_size(data->dtype);
  int64_t strides[INGOT_MAX_DIMS], items = 1, batches = 1, inner = 1;
  ingot_dims_strides(&data->dims, strides);
  for (int32_t i = 0; i < q - 1; i++) items *= ind->dims.d[i];
  for (int32_t i = 0; i < b; i++) batches *= ind->dims.d[i];
  for (int32_t i = b + j.depth; i < r; i++) inner *= data->dims.d[i];
  j.per_batch = batches > 0 ? items / batches : 0;
  j.batch_stride = b > 0 ? strides[b - 1] : 0;
  for (int32_t t = 0; t < j.depth; t++) {
    j.dims[t] = data->dims.d[b + t];
    j.strides[t] = strides[b + t];
  }
  for (int32_t t = 0; t < j.depth; t++)
    INGOT_TRY(check_indices(args->node, j.indices, j.indices_int32, t, j.depth, items, j.dims[t], b + t));
  j.run_bytes = (size_t)inner * j.es;
  if (items == 0 || j.run_bytes == 0) return INGOT_SUCCESS;
  int64_t grain = (int64_t)j.run_bytes >= INGOT_CPU_MOVE_GRAIN_BYTES ? 1 : INGOT_CPU_MOVE_GRAIN_BYTES / (int64_t)j.run_bytes;
  ingot_parallel_for(args->pool, items, grain, gather_nd_range, &j);
  return INGOT_SUCCESS;
}
