/* Gather on the CPU (ONNX Gather): output[o, j, i] = data[o, indices[j], i] with o the
 * dims before the axis and i those after. Every index is checked in one pass before any
 * copy, so a bad index fails the run cleanly; the copies (one contiguous run of `inner`
 * elements each) then run in parallel with no checks left. */
#include <string.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/movement.h"
#include "core/dims.h"

typedef struct gather_job {
  char *dst;
  const char *src;
  const void *indices;
  int indices_int32;
  int64_t nidx, axis_dim;
  size_t run_bytes; /* inner * element size */
} gather_job;

static int64_t index_at(const gather_job *j, int64_t k) {
  int64_t v = j->indices_int32 ? ((const int32_t *)j->indices)[k] : ((const int64_t *)j->indices)[k];
  return v < 0 ? v + j->axis_dim : v;
}

/* Items are (outer, index) pairs: item = o * nidx + k. */
static void gather_runs(void *ctx, int64_t begin, int64_t end) {
  const gather_job *j = ctx;
  for (int64_t item = begin; item < end; item++) {
    int64_t o = item / j->nidx, k = item % j->nidx;
    const char *s = j->src + (o * j->axis_dim + index_at(j, k)) * (int64_t)j->run_bytes;
    memcpy(j->dst + item * (int64_t)j->run_bytes, s, j->run_bytes);
  }
}

INGOT_CPU_KERNEL(ingot_cpu_gather) {
  const ingot_tensor_view *data = &args->inputs[0], *idx = &args->inputs[1], *out = &args->outputs[0];
  const size_t es = ingot_dtype_size(data->dtype);
  int32_t axis;
  if (!ingot_axis_normalize(args->params->gather.axis, data->dims.nb_dims, &axis))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "axis %d out of range for rank %d at run time",
                           args->params->gather.axis, data->dims.nb_dims);
  gather_job j;
  j.dst = out->data;
  j.src = data->data;
  j.indices = idx->data;
  j.indices_int32 = idx->dtype == INGOT_INT32;
  j.nidx = ingot_dims_volume(&idx->dims);
  j.axis_dim = data->dims.d[axis];
  int64_t outer = 1, inner = 1;
  for (int32_t i = 0; i < axis; i++) outer *= data->dims.d[i];
  for (int32_t i = axis + 1; i < data->dims.nb_dims; i++) inner *= data->dims.d[i];
  j.run_bytes = (size_t)inner * es;

  for (int64_t k = 0; k < j.nidx; k++) {
    int64_t raw = j.indices_int32 ? ((const int32_t *)j.indices)[k] : ((const int64_t *)j.indices)[k];
    if (raw < -j.axis_dim || raw >= j.axis_dim)
      return ingot_node_fail(args->node, INGOT_RUNTIME_ERROR, "index %lld out of range [%lld, %lld) on axis %d",
                             (long long)raw, (long long)-j.axis_dim, (long long)j.axis_dim, axis);
  }
  const int64_t items = outer * j.nidx;
  if (items == 0 || j.run_bytes == 0) return INGOT_SUCCESS;
  int64_t grain = (int64_t)j.run_bytes >= INGOT_CPU_MOVE_GRAIN_BYTES ? 1
                                                                     : INGOT_CPU_MOVE_GRAIN_BYTES / (int64_t)j.run_bytes;
  ingot_parallel_for(args->pool, items, grain, gather_runs, &j);
  return INGOT_SUCCESS;
}
