/* Copy helpers shared by the CPU data movement kernels (shuffle, slice, concatenation,
 * gather, padding, identity). They work by element size only (1, 2, 4 or 8 bytes), so
 * every dtype moves through the same code. Defined in shuffle.c. */
#ifndef INGOT_BACKEND_CPU_MOVEMENT_H
#define INGOT_BACKEND_CPU_MOVEMENT_H

#include <stddef.h>
#include <stdint.h>
#include "core/thread_pool.h"

/* Copies a box of `dims` (rank 0..8): element at multi-index i goes from
 * src + sum(i[k] * src_strides[k]) to dst + sum(i[k] * dst_strides[k]); strides are in
 * elements and may be negative or zero (src). Dims of 1 and dims that are contiguous in
 * both are merged first, so an inner run contiguous on both sides becomes one memcpy.
 * Splits rows over `pool` (may be NULL). Allocates nothing. */
void ingot_cpu_strided_copy(void *dst, const int64_t *dst_strides, const void *src, const int64_t *src_strides,
                            const int64_t *dims, int32_t rank, size_t elem_size, ingot_thread_pool *pool);

/* memcpy of `bytes`, split over the pool when large. */
void ingot_cpu_copy_bytes(void *dst, const void *src, uint64_t bytes, ingot_thread_pool *pool);

/* Fills `count` elements of `elem_size` bytes with the element at `value`. */
void ingot_cpu_fill(void *dst, const void *value, int64_t count, size_t elem_size);

/* Copies one element of a 1/2/4/8-byte size (memcpy of a constant size: no alignment needed). */
static inline void ingot_cpu_copy_elem(char *dst, const char *src, size_t elem_size) {
  switch (elem_size) {
    case 1: *dst = *src; break;
    case 2: __builtin_memcpy(dst, src, 2); break;
    case 4: __builtin_memcpy(dst, src, 4); break;
    default: __builtin_memcpy(dst, src, 8); break;
  }
}

/* Bytes of work below which a loop is not worth splitting over threads. */
#define INGOT_CPU_MOVE_GRAIN_BYTES (64 * 1024)

#endif
