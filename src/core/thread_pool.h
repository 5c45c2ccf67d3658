/* A fixed pool of worker threads for parallel loops inside kernels. A pool serves one
 * caller at a time (one execution context); it allocates nothing per loop. */
#ifndef INGOT_CORE_THREAD_POOL_H
#define INGOT_CORE_THREAD_POOL_H

#include <stdint.h>
#include "ingot/core.h"

typedef struct ingot_thread_pool ingot_thread_pool;

/* fn handles items [begin, end). */
typedef void (*ingot_parallel_fn)(void *ctx, int64_t begin, int64_t end);

/* threads = total threads including the caller; 0 = number of online cores. */
ingot_status ingot_thread_pool_create(int32_t threads, ingot_thread_pool **pool_out);
void ingot_thread_pool_destroy(ingot_thread_pool *pool);
int32_t ingot_thread_pool_size(const ingot_thread_pool *pool); /* 1 for NULL */
int32_t ingot_num_cores(void);

/* Splits [0, n) into chunks of at least `grain` items and runs them on the pool and the
 * calling thread; returns when all are done. pool may be NULL (runs serially). */
void ingot_parallel_for(ingot_thread_pool *pool, int64_t n, int64_t grain, ingot_parallel_fn fn, void *ctx);

/* fn(ctx, lane, item) for every item in [0, items), the items taken in order from a shared
 * counter by up to `lanes` threads (no more than the pool has, nor than there are items).
 * A lane index in [0, lanes) belongs to one thread at a time, so per-lane workspace needs
 * no locking: the tactics that pack operands per item (conv_gemm.c, conv_nhwc.c,
 * conv_winograd_nhwc.c, matmul_gemm.c) give each lane its own slice. */
typedef void (*ingot_lane_item_fn)(void *ctx, int64_t lane, int64_t item);
void ingot_parallel_lanes(ingot_thread_pool *pool, int64_t lanes, int64_t items, ingot_lane_item_fn fn, void *ctx);

#endif
