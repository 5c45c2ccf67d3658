/* Expand and tile on the CPU. Expand is one strided copy whose source strides are 0 along
 * the broadcast dims. Tile maps each output row (last dim) to an input row (coordinates
 * modulo the input dims) and writes that row `repeats` times; rows run in parallel. Both
 * move elements by size only, so every dtype goes through the same code. */
#include <string.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/movement.h"
#include "core/dims.h"

INGOT_CPU_KERNEL(ingot_cpu_expand) {
  const ingot_tensor_view *in = &args->inputs[0], *out = &args->outputs[0];
  const size_t es = ingot_dtype_size(in->dtype);
  const int32_t rank = out->dims.nb_dims, shift = rank - in->dims.nb_dims;
  if (ingot_dims_volume(&out->dims) == 0) return INGOT_SUCCESS;
  if (shift < 0) return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "expand output rank below the input's");
  int64_t in_strides[INGOT_MAX_DIMS], out_strides[INGOT_MAX_DIMS], src_strides[INGOT_MAX_DIMS];
  ingot_dims_strides(&in->dims, in_strides);
  ingot_dims_strides(&out->dims, out_strides);
  for (int32_t k = 0; k < rank; k++)
    src_strides[k] = k < shift || in->dims.d[k - shift] == 1 ? 0 : in_strides[k - shift];
  ingot_cpu_strided_copy(out->data, out_strides, in->data, src_strides, out->dims.d, rank, es, args->pool);
  return INGOT_SUCCESS;
}

typedef struct tile_job {
  char *dst;
  const char *src;
  size_t es;
  int32_t rank; /* >= 1 */
  int64_t in_dims[INGOT_MAX_DIMS];
  int64_t out_dims[INGOT_MAX_DIMS];
  int64_t in_strides[INGOT_MAX_DIMS];
} tile_job;

static void tile_rows(void *ctx, int64_t begin, int64_t end) {
  const tile_job *j = ctx;
  const int32_t last = j->rank - 1;
  const int64_t width = j->out_dims[last], in_width = j->in_dims[last];
  const size_t row_bytes = (size_t)in_width * j->es;
  for (int64_t r = begin; r < end; r++) {
    int64_t rem = r, soff = 0;
    for (int32_t k = last - 1; k >= 0; k--) {
      int64_t o = rem % j->out_dims[k];
      rem /= j->out_dims[k];
      soff += (o % j->in_dims[k]) * j->in_strides[k];
    }
    char *d = j->dst + r * width * (int64_t)j->es;
    const char *s = j->src + soff * (int64_t)j->es;
    for (int64_t c = 0; c < width; c += in_width, d += row_bytes) memcpy(d, s, row_bytes);
  }
}

INGOT_CPU_KERNEL(ingot_cpu_tile) {
  const ingot_tensor_view *in = &args->inputs[0], *out = &args->outputs[0];
  const size_t es = ingot_dtype_size(in->dtype);
  const int64_t volume = ingot_dims_volume(&out->dims);
  if (volume == 0) return INGOT_SUCCESS;
  if (out->dims.nb_dims == 0) { /* a scalar repeated no times along no dims */
    ingot_cpu_copy_elem(out->data, in->data, es);
    return INGOT_SUCCESS;
  }
  tile_job j;
  memset(&j, 0, sizeof j);
  j.dst = out->data;
  j.src = in->data;
  j.es = es;
  j.rank = out->dims.nb_dims;
  ingot_dims_strides(&in->dims, j.in_strides);
  for (int32_t k = 0; k < j.rank; k++) {
    j.in_dims[k] = in->dims.d[k];
    j.out_dims[k] = out->dims.d[k];
  }
  const int64_t width = j.out_dims[j.rank - 1], rows = volume / width;
  const int64_t row_bytes = width * (int64_t)es;
  ingot_parallel_for(args->pool, rows, row_bytes >= INGOT_CPU_MOVE_GRAIN_BYTES ? 1 : INGOT_CPU_MOVE_GRAIN_BYTES / row_bytes,
                     tile_rows, &j);
  return INGOT_SUCCESS;
}
