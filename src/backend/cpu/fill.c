/* Fill (ONNX ConstantOfShape) and range on the CPU. Both write values computed from
 * params or scalars; the output dims were worked out by inference from the value inputs,
 * so the kernels only read the scalars they need. */
#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/movement.h"
#include "core/dims.h"

typedef struct fill_job {
  char *dst;
  size_t es;
  union {
    int64_t align;
    unsigned char bytes[8];
  } value;
} fill_job;

static void fill_chunk(void *ctx, int64_t begin, int64_t end) {
  const fill_job *j = ctx;
  ingot_cpu_fill(j->dst + begin * (int64_t)j->es, j->value.bytes, end - begin, j->es);
}

INGOT_CPU_KERNEL(ingot_cpu_fill_layer) {
  const ingot_tensor_view *out = &args->outputs[0];
  const int64_t n = ingot_dims_volume(&out->dims);
  if (n <= 0) return INGOT_SUCCESS;
  fill_job j;
  j.dst = out->data;
  j.es = ingot_dtype_size(out->dtype);
  j.value.align = 0;
  /* The value in the output dtype, converted as the cast layer converts. */
  ingot_store_from_double(j.value.bytes, out->dtype, 0, args->params->fill.value);
  ingot_parallel_for(args->pool, n, INGOT_CPU_MOVE_GRAIN_BYTES / (int64_t)j.es, fill_chunk, &j);
  return INGOT_SUCCESS;
}

/* output[i] = start + i * delta. Float32 is computed in double and rounded once, as the
 * ONNX reference (numpy.arange) does; integers exactly (int64 through unsigned arithmetic,
 * which cannot overflow on the way to an in-range result). */
INGOT_CPU_KERNEL(ingot_cpu_range) {
  const ingot_tensor_view *out = &args->outputs[0];
  const void *start = args->inputs[0].data, *delta = args->inputs[2].data;
  const int64_t n = out->dims.nb_dims == 1 ? out->dims.d[0] : 0;
  switch (out->dtype) {
    case INGOT_FLOAT32: {
      const double s = *(const float *)start, d = *(const float *)delta;
      float *o = out->data;
      for (int64_t i = 0; i < n; i++) o[i] = (float)(s + (double)i * d);
      return INGOT_SUCCESS;
    }
    case INGOT_INT32: {
      const int64_t s = *(const int32_t *)start, d = *(const int32_t *)delta;
      int32_t *o = out->data;
      for (int64_t i = 0; i < n; i++) o[i] = (int32_t)(s + i * d);
      return INGOT_SUCCESS;
    }
    case INGOT_INT64: {
      const uint64_t s = (uint64_t) * (const int64_t *)start, d = (uint64_t) * (const int64_t *)delta;
      int64_t *o = out->data;
      for (int64_t i = 0; i < n; i++) o[i] = (int64_t)(s + (uint64_t)i * d);
      return INGOT_SUCCESS;
    }
    default:
      return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "range of %s reached the kernel",
                             ingot_dtype_name(out->dtype));
  }
}
