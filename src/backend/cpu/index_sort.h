/* In-place heap sort of an index array by a caller's order: O(n log n), no allocation (libc
 * qsort may allocate a merge buffer, which the execute path must not). Used by the kernels
 * that order candidates (NonMaxSuppression) or values (Unique). */
#ifndef INGOT_BACKEND_CPU_INDEX_SORT_H
#define INGOT_BACKEND_CPU_INDEX_SORT_H

#include <stdbool.h>
#include <stdint.h>

/* true when index a comes before index b; must be a strict total order (break ties by
 * index) for a deterministic result. */
typedef bool (*ingot_index_before_fn)(const void *ctx, int64_t a, int64_t b);

void ingot_cpu_sort_indices(int64_t *idx, int64_t n, ingot_index_before_fn before, const void *ctx);

#endif
