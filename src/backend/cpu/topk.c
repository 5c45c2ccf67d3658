/* TopK on the CPU. Each row along the axis keeps its k best elements in a heap of
 * indices whose root is the worst kept (O(n log k)), then heap-sorts them best first.
 * "Better" is a total order: by value (max: larger first; min: smaller first; NaN counts
 * as larger than every number, as numpy sorts NaN last), then by lower index, so ties
 * come out as a stable sort would give them. Heaps live in the workspace, one per slot;
 * rows are split into at most TOPK_SLOTS slots so the size does not depend on threads. */
#include <stdint.h>

#include "backend/cpu/cpu_kernels.h"
#include "core/dims.h"

#define TOPK_SLOTS 16

typedef struct topk_shape {
  int64_t outer, n, inner, k, rows, slots;
} topk_shape;

static int topk_shape_of(const ingot_kernel_args *args, topk_shape *s) {
  const ingot_dims *d = &args->inputs[0].dims;
  int32_t axis;
  if (!ingot_axis_normalize(args->params->topk.axis, d->nb_dims, &axis)) return 0;
  s->outer = 1;
  s->inner = 1;
  for (int32_t i = 0; i < axis; i++) s->outer *= d->d[i];
  for (int32_t i = axis + 1; i < d->nb_dims; i++) s->inner *= d->d[i];
  s->n = d->d[axis];
  s->k = args->params->topk.k;
  s->rows = s->outer * s->inner;
  s->slots = s->rows < TOPK_SLOTS ? s->rows : TOPK_SLOTS;
  return 1;
}

uint64_t ingot_cpu_topk_workspace(const ingot_kernel_args *args) {
  topk_shape s;
  if (!topk_shape_of(args, &s) || s.k <= 0 || s.rows <= 0) return 0;
  return (uint64_t)s.slots * (uint64_t)s.k * sizeof(int64_t);
}

/* NaN-aware "x < y" with NaN above every number. */
#define LESS_FLOAT(x, y) ((x) < (y) || ((y) != (y) && (x) == (x)))
#define LESS_INT(x, y) ((x) < (y))

/* One typed row function per dtype: v points at the row's first element, `stride` apart. */
#define DEFINE_TOPK_ROW(NAME, T, LESS)                                                           \
  static inline int NAME##_better(const T *v, int64_t stride, int min, int64_t a, int64_t b) {   \
    T va = v[a * stride], vb = v[b * stride];                                                    \
    if (min ? LESS(va, vb) : LESS(vb, va)) return 1;                                             \
    if (min ? LESS(vb, va) : LESS(va, vb)) return 0;                                             \
    return a < b;                                                                                \
  }                                                                                              \
  /* Sifts heap[pos] down in a heap whose parents are worse than their children. */            \
  static void NAME##_sift(const T *v, int64_t stride, int min, int64_t *heap, int64_t size, int64_t pos) { \
    for (;;) {                                                                                   \
      int64_t c = 2 * pos + 1;                                                                   \
      if (c >= size) return;                                                                     \
      if (c + 1 < size && NAME##_better(v, stride, min, heap[c], heap[c + 1])) c++;              \
      if (!NAME##_better(v, stride, min, heap[pos], heap[c])) return;                            \
      int64_t t = heap[pos];                                                                     \
      heap[pos] = heap[c];                                                                       \
      heap[c] = t;                                                                               \
      pos = c;                                                                                   \
    }                                                                                            \
  }                                                                                              \
  static void NAME##_row(const T *v, int64_t n, int64_t stride, int64_t k, int min, int64_t *heap, T *out_v, \
                         int64_t *out_i, int64_t out_stride) {                                   \
    for (int64_t i = 0; i < k; i++) heap[i] = i;                                                 \
    for (int64_t p = k / 2 - 1; p >= 0; p--) NAME##_sift(v, stride, min, heap, k, p);            \
    for (int64_t i = k; i < n; i++) {                                                            \
      if (NAME##_better(v, stride, min, i, heap[0])) {                                           \
        heap[0] = i;                                                                             \
        NAME##_sift(v, stride, min, heap, k, 0);                                                 \
      }                                                                                          \
    }                                                                                            \
    /* Heap sort: the worst goes to the end each time, leaving heap[] best first. */            \
    for (int64_t size = k; size > 1; size--) {                                                   \
      int64_t t = heap[0];                                                                       \
      heap[0] = heap[size - 1];                                                                  \
      heap[size - 1] = t;                                                                        \
      NAME##_sift(v, stride, min, heap, size - 1, 0);                                            \
    }                                                                                            \
    for (int64_t j = 0; j < k; j++) {                                                            \
      out_v[j * out_stride] = v[heap[j] * stride];                                               \
      out_i[j * out_stride] = heap[j];                                                           \
    }                                                                                            \
  }

DEFINE_TOPK_ROW(topk_f32, float, LESS_FLOAT)
DEFINE_TOPK_ROW(topk_i32, int32_t, LESS_INT)
DEFINE_TOPK_ROW(topk_i64, int64_t, LESS_INT)

typedef struct topk_job {
  const ingot_kernel_args *args;
  topk_shape s;
  int min;
} topk_job;

static void topk_slots(void *ctx, int64_t begin, int64_t end) {
  const topk_job *j = ctx;
  const topk_shape *s = &j->s;
  const ingot_dtype dt = j->args->inputs[0].dtype;
  const void *in = j->args->inputs[0].data;
  void *out_v = j->args->outputs[0].data;
  int64_t *out_i = j->args->outputs[1].data;
  for (int64_t slot = begin; slot < end; slot++) {
    int64_t *heap = (int64_t *)j->args->workspace + slot * s->k;
    int64_t first = slot * s->rows / s->slots, last = (slot + 1) * s->rows / s->slots;
    for (int64_t r = first; r < last; r++) {
      int64_t o = r / s->inner, i = r % s->inner;
      int64_t src = o * s->n * s->inner + i, dst = o * s->k * s->inner + i;
      switch (dt) {
        case INGOT_FLOAT32:
          topk_f32_row((const float *)in + src, s->n, s->inner, s->k, j->min, heap, (float *)out_v + dst,
                       out_i + dst, s->inner);
          break;
        case INGOT_INT32:
          topk_i32_row((const int32_t *)in + src, s->n, s->inner, s->k, j->min, heap, (int32_t *)out_v + dst,
                       out_i + dst, s->inner);
          break;
        default:
          topk_i64_row((const int64_t *)in + src, s->n, s->inner, s->k, j->min, heap, (int64_t *)out_v + dst,
                       out_i + dst, s->inner);
          break;
      }
    }
  }
}

INGOT_CPU_KERNEL(ingot_cpu_topk) {
  topk_job j;
  j.args = args;
  j.min = args->params->topk.op == INGOT_TOPK_MIN;
  if (!topk_shape_of(args, &j.s))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "axis %d out of range for rank %d at run time",
                           args->params->topk.axis, args->inputs[0].dims.nb_dims);
  ingot_dtype dt = args->inputs[0].dtype;
  if (dt != INGOT_FLOAT32 && dt != INGOT_INT32 && dt != INGOT_INT64)
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "input is %s, expected float32, int32 or int64",
                           ingot_dtype_name(dt));
  if (j.s.k <= 0 || j.s.rows <= 0) return INGOT_SUCCESS;
  if (j.s.k > j.s.n)
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "k = %lld exceeds the axis dim %lld at run time",
                           (long long)j.s.k, (long long)j.s.n);
  uint64_t need = ingot_cpu_topk_workspace(args);
  if (args->workspace == NULL || args->workspace_size < need)
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "workspace of %llu bytes given, %llu needed",
                           (unsigned long long)(args->workspace ? args->workspace_size : 0),
                           (unsigned long long)need);
  ingot_parallel_for(args->pool, j.s.slots, 1, topk_slots, &j);
  return INGOT_SUCCESS;
}
