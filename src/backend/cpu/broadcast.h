/* Numpy broadcasting for CPU kernels: maps a position in a contiguous output to element
 * offsets in up to three inputs whose dims broadcast to the output's. Allocation-free: the
 * state lives in two small structs on the caller's stack, so a parallel chunk seeks to its
 * first element and then walks rows.
 *
 * Typical loop over output elements [begin, end):
 *   ingot_broadcast_iter it;
 *   ingot_broadcast_seek(&bc, begin, &it);
 *   for (int64_t i = begin; i < end;) {
 *     int64_t n = ingot_broadcast_row(&bc, &it, end - i);
 *     ... n elements: output i + j, input k at it.offset[k] + j * bc.inner_stride[k] ...
 *     ingot_broadcast_advance(&bc, &it, n);
 *     i += n;
 *   }
 */
#ifndef INGOT_BACKEND_CPU_BROADCAST_H
#define INGOT_BACKEND_CPU_BROADCAST_H

#include <stdbool.h>
#include <stdint.h>
#include "ingot/core.h"

#define INGOT_BROADCAST_MAX_INPUTS 3

typedef struct ingot_broadcast {
  int32_t nb_inputs;
  int32_t rank;                  /* >= 1 after merging; a scalar output has rank 1, dim 1 */
  int64_t dims[INGOT_MAX_DIMS];  /* output dims, with mergeable neighbours merged */
  /* Element strides of each input along each merged output dim; 0 where it broadcasts. */
  int64_t strides[INGOT_BROADCAST_MAX_INPUTS][INGOT_MAX_DIMS];
  int64_t inner_stride[INGOT_BROADCAST_MAX_INPUTS]; /* == strides[k][rank - 1]: 0 or 1 */
  int64_t volume;                /* output elements */
} ingot_broadcast;

typedef struct ingot_broadcast_iter {
  int64_t index[INGOT_MAX_DIMS];                /* position in the merged output dims */
  int64_t offset[INGOT_BROADCAST_MAX_INPUTS];   /* element offset of each input there */
} ingot_broadcast_iter;

/* Sets up the mapping of `nb_inputs` (1 to 3) input dims onto `out` dims. False when an
 * input does not broadcast to `out` (rank larger, or a dim neither 1 nor equal) or a dim
 * is negative; the kernels' callers checked this in shape inference already. */
bool ingot_broadcast_init(ingot_broadcast *bc, const ingot_dims *out, int32_t nb_inputs,
                          const ingot_dims *const *inputs);

/* Positions `it` at output element `linear` (0 <= linear <= volume). */
void ingot_broadcast_seek(const ingot_broadcast *bc, int64_t linear, ingot_broadcast_iter *it);

/* How many elements from the current position stay in the innermost merged dim, capped at
 * `limit`: along those, input k advances by inner_stride[k] per element. */
static inline int64_t ingot_broadcast_row(const ingot_broadcast *bc, const ingot_broadcast_iter *it, int64_t limit) {
  int64_t left = bc->dims[bc->rank - 1] - it->index[bc->rank - 1];
  return left < limit ? left : limit;
}

/* Moves `it` forward by n output elements (any n >= 0). */
void ingot_broadcast_advance(const ingot_broadcast *bc, ingot_broadcast_iter *it, int64_t n);

/* Offset in input `k` of output element `linear`; O(rank), for random access. */
int64_t ingot_broadcast_offset(const ingot_broadcast *bc, int32_t k, int64_t linear);

#endif
