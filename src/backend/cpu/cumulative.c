/* Cumulative sum (ONNX CumSum) on the CPU. The input is viewed as [outer, n, inner] with n
 * the axis; the output's previous row along the axis is the running sum, so each step adds
 * one contiguous row of `inner` values and needs no scratch. Work items are (outer, block
 * of inner columns). Integers wrap around on overflow (computed unsigned). */
#include "backend/cpu/cpu_kernels.h"
#include "core/dims.h"

#define BLOCK 256

typedef struct cum_job {
  const void *src;
  void *dst;
  int64_t n, inner, blocks;
  int exclusive, reverse;
} cum_job;

#define CUMSUM(NAME, T, U)                                                                          \
  static void NAME(void *ctx, int64_t begin, int64_t end) {                                         \
    const cum_job *j = ctx;                                                                         \
    const T *x = j->src;                                                                            \
    T *y = j->dst;                                                                                  \
    for (int64_t item = begin; item < end; item++) {                                                \
      const int64_t o = item / j->blocks, c0 = (item % j->blocks) * BLOCK;                          \
      const int64_t c1 = c0 + BLOCK < j->inner ? c0 + BLOCK : j->inner;                             \
      const int64_t base = o * j->n * j->inner;                                                     \
      for (int64_t s = 0; s < j->n; s++) {                                                          \
        const int64_t row = j->reverse ? j->n - 1 - s : s; /* the row written at step s */          \
        const int64_t prev = j->reverse ? row + 1 : row - 1;                                        \
        T *out = y + base + row * j->inner;                                                         \
        if (s == 0) {                                                                               \
          const T *first = x + base + row * j->inner;                                               \
          for (int64_t c = c0; c < c1; c++) out[c] = j->exclusive ? (T)0 : first[c];                \
          continue;                                                                                 \
        }                                                                                           \
        const T *prev_out = y + base + prev * j->inner;                                             \
        const T *add = x + base + (j->exclusive ? prev : row) * j->inner;                           \
        for (int64_t c = c0; c < c1; c++) out[c] = (T)((U)prev_out[c] + (U)add[c]);                 \
      }                                                                                             \
    }                                                                                               \
  }
CUMSUM(cumsum_f32, float, float)
CUMSUM(cumsum_i32, int32_t, uint32_t)
CUMSUM(cumsum_i64, int64_t, uint64_t)
#undef CUMSUM

INGOT_CPU_KERNEL(ingot_cpu_cumulative) {
  const ingot_tensor_view *in = &args->inputs[0], *out = &args->outputs[0];
  const ingot_cumulative_params *p = &args->params->cumulative;
  int32_t axis;
  if (!ingot_axis_normalize(p->axis, in->dims.nb_dims, &axis))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "axis %d out of range for rank %d at run time", p->axis,
                           in->dims.nb_dims);
  cum_job j;
  int64_t outer = 1;
  j.inner = 1;
  for (int32_t i = 0; i < axis; i++) outer *= in->dims.d[i];
  for (int32_t i = axis + 1; i < in->dims.nb_dims; i++) j.inner *= in->dims.d[i];
  j.n = in->dims.d[axis];
  j.src = in->data;
  j.dst = out->data;
  j.exclusive = p->exclusive;
  j.reverse = p->reverse;
  j.blocks = (j.inner + BLOCK - 1) / BLOCK;
  const int64_t items = outer * j.blocks;
  if (items == 0 || j.n == 0) return INGOT_SUCCESS;
  ingot_parallel_fn fn;
  switch (in->dtype) {
    case INGOT_FLOAT32: fn = cumsum_f32; break;
    case INGOT_INT32: fn = cumsum_i32; break;
    case INGOT_INT64: fn = cumsum_i64; break;
    default:
      return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "cumulative sum of %s reached the kernel",
                             ingot_dtype_name(in->dtype));
  }
  /* Each item touches n rows of up to BLOCK values. */
  int64_t work = j.n * (j.inner < BLOCK ? j.inner : BLOCK);
  ingot_parallel_for(args->pool, items, work >= 16384 ? 1 : 16384 / work, fn, &j);
  return INGOT_SUCCESS;
}
