/* A fixed pool of workers for parallel loops. One loop runs at a time per pool: the
 * caller publishes (fn, ctx, n, chunk), workers and the caller take chunks from an atomic
 * counter, and the caller waits for every chunk to finish. Nothing is allocated per loop. */
#include "core/thread_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"

struct ingot_thread_pool {
  int32_t nb_threads; /* including the caller */
  pthread_t *workers;
  pthread_mutex_t lock;
  pthread_cond_t work_ready;
  pthread_cond_t work_done;
  uint64_t generation; /* bumped for each loop */
  bool stopping;
  /* the current loop */
  ingot_parallel_fn fn;
  void *ctx;
  int64_t n, chunk, nb_chunks;
  atomic_int_fast64_t next_chunk;
  int32_t active_workers; /* workers still inside the current loop */
};

int32_t ingot_num_cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (n > 1024 ? 1024 : (int32_t)n);
}

static void run_chunks(ingot_thread_pool *pool) {
  for (;;) {
    int64_t c = atomic_fetch_add(&pool->next_chunk, 1);
    if (c >= pool->nb_chunks) break;
    int64_t begin = c * pool->chunk, end = begin + pool->chunk;
    if (end > pool->n) end = pool->n;
    pool->fn(pool->ctx, begin, end);
  }
}

static void *worker_main(void *arg) {
  ingot_thread_pool *pool = arg;
  uint64_t seen = 0;
  pthread_mutex_lock(&pool->lock);
  for (;;) {
    while (!pool->stopping && pool->generation == seen) pthread_cond_wait(&pool->work_ready, &pool->lock);
    if (pool->stopping) break;
    seen = pool->generation;
    pthread_mutex_unlock(&pool->lock);
    run_chunks(pool);
    pthread_mutex_lock(&pool->lock);
    if (--pool->active_workers == 0) pthread_cond_signal(&pool->work_done);
  }
  pthread_mutex_unlock(&pool->lock);
  return NULL;
}

ingot_status ingot_thread_pool_create(int32_t threads, ingot_thread_pool **pool_out) {
  INGOT_CHECK_NULL(pool_out, "ingot_thread_pool_create");
  *pool_out = NULL;
  if (threads < 0) return ingot_fail(INGOT_INVALID_ARGUMENT, "thread count %d is negative", threads);
  if (threads == 0) threads = ingot_num_cores();
  if (threads > 1024) threads = 1024;
  ingot_thread_pool *pool = ingot_calloc(1, sizeof *pool);
  if (!pool) return INGOT_OUT_OF_MEMORY;
  pool->nb_threads = 1;
  pthread_mutex_init(&pool->lock, NULL);
  pthread_cond_init(&pool->work_ready, NULL);
  pthread_cond_init(&pool->work_done, NULL);
  if (threads > 1) {
    pool->workers = ingot_calloc((size_t)threads - 1, sizeof(pthread_t));
    if (!pool->workers) {
      ingot_thread_pool_destroy(pool);
      return INGOT_OUT_OF_MEMORY;
    }
    for (int32_t i = 0; i < threads - 1; i++) {
      if (pthread_create(&pool->workers[i], NULL, worker_main, pool) != 0) break;
      pool->nb_threads++;
    }
  }
  *pool_out = pool;
  return INGOT_SUCCESS;
}

void ingot_thread_pool_destroy(ingot_thread_pool *pool) {
  if (!pool) return;
  pthread_mutex_lock(&pool->lock);
  pool->stopping = true;
  pthread_cond_broadcast(&pool->work_ready);
  pthread_mutex_unlock(&pool->lock);
  for (int32_t i = 0; i < pool->nb_threads - 1; i++) pthread_join(pool->workers[i], NULL);
  free(pool->workers);
  pthread_cond_destroy(&pool->work_ready);
  pthread_cond_destroy(&pool->work_done);
  pthread_mutex_destroy(&pool->lock);
  free(pool);
}

int32_t ingot_thread_pool_size(const ingot_thread_pool *pool) { return pool ? pool->nb_threads : 1; }

void ingot_parallel_for(ingot_thread_pool *pool, int64_t n, int64_t grain, ingot_parallel_fn fn, void *ctx) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  int32_t threads = ingot_thread_pool_size(pool);
  if (threads <= 1 || n <= grain) {
    fn(ctx, 0, n);
    return;
  }
  /* About 4 chunks per thread balances uneven chunks without much counter traffic. */
  int64_t chunk = (n + (int64_t)threads * 4 - 1) / ((int64_t)threads * 4);
  if (chunk < grain) chunk = grain;
  pthread_mutex_lock(&pool->lock);
  pool->fn = fn;
  pool->ctx = ctx;
  pool->n = n;
  pool->chunk = chunk;
  pool->nb_chunks = (n + chunk - 1) / chunk;
  atomic_store(&pool->next_chunk, 0);
  pool->active_workers = pool->nb_threads - 1;
  pool->generation++;
  pthread_cond_broadcast(&pool->work_ready);
  pthread_mutex_unlock(&pool->lock);
  run_chunks(pool);
  pthread_mutex_lock(&pool->lock);
  while (pool->active_workers > 0) pthread_cond_wait(&pool->work_done, &pool->lock);
  pthread_mutex_unlock(&pool->lock);
}
