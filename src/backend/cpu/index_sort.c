/* Heap sort of index arrays (see index_sort.h). */
#include "backend/cpu/index_sort.h"

/* Max-heap under `before` (the root is the index that comes last), so popping the root to
 * the end leaves the array in order. */
static void sift_down(int64_t *idx, int64_t size, int64_t pos, ingot_index_before_fn before, const void *ctx) {
  for (;;) {
    int64_t child = 2 * pos + 1;
    if (child >= size) return;
    if (child + 1 < size && before(ctx, idx[child], idx[child + 1])) child++;
    if (!before(ctx, idx[pos], idx[child])) return;
    int64_t t = idx[pos];
    idx[pos] = idx[child];
    idx[child] = t;
    pos = child;
  }
}

void ingot_cpu_sort_indices(int64_t *idx, int64_t n, ingot_index_before_fn before, const void *ctx) {
  for (int64_t i = n / 2 - 1; i >= 0; i--) sift_down(idx, n, i, before, ctx);
  for (int64_t end = n - 1; end > 0; end--) {
    int64_t t = idx[0];
    idx[0] = idx[end];
    idx[end] = t;
    sift_down(idx, end, 0, before, ctx);
  }
}
