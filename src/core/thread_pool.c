/* A fixed pool of workers for parallel loops. One loop runs at a time per pool: the
 * caller publishes (fn, ctx, n, chunk), workers and the caller take chunks from an atomic
 * counter, and the caller waits for every chunk to finish. Nothing is allocated per loop.
 *
 * Waiting spins, then sleeps. A network runs one loop per layer, back to back; a worker
 * put to sleep on a condition variable after each loop takes tens of microseconds to wake
 * for the next (seen: about 50 us on a 2-core VM), which on MobileNet's 60 small layers
 * cost more than the layers' own work. So a worker that finished a loop, and a caller
 * waiting for the workers, first spin on an atomic for a short while (INGOT_POOL_SPIN_US,
 * default 100 us; 0 never spins) and only then sleep. Sleeping and waking follow the
 * Dekker pattern on seq_cst atomics: the sleeper announces itself, then re-checks the
 * condition; the waker changes the condition, then looks for sleepers and, finding one,
 * signals under the lock, so no wake-up is lost. */
#include "core/thread_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"

struct ingot_thread_pool {
  int32_t nb_threads; /* including the caller */
  pthread_t *workers;
  pthread_mutex_t lock;
  pthread_cond_t work_ready;
  pthread_cond_t work_done;
  atomic_uint_fast64_t generation; /* bumped for each loop */
  atomic_bool stopping;
  atomic_int sleepers;             /* workers asleep (or about to be) on work_ready */
  atomic_bool caller_sleeping;     /* the caller asleep (or about to be) on work_done */
  int64_t spin_ns;
  /* the current loop */
  ingot_parallel_fn fn;
  void *ctx;
  int64_t n, chunk, nb_chunks;
  atomic_int_fast64_t next_chunk;
  atomic_int active_workers; /* workers still inside the current loop */
};

int32_t ingot_num_cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (n > 1024 ? 1024 : (int32_t)n);
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spins until done(pool, arg) or the pool's spin time has passed; true when done. */
static bool spin_until(const ingot_thread_pool *pool, bool (*done)(const ingot_thread_pool *, uint64_t), uint64_t arg) {
  if (pool->spin_ns <= 0) return done(pool, arg);
  int64_t deadline = 0;
  for (uint32_t i = 0;; i++) {
    if (done(pool, arg)) return true;
    if ((i & 255) == 0) { /* the clock every 256 rounds: it costs more than a pause */
      int64_t t = now_ns();
      if (deadline == 0) deadline = t + pool->spin_ns;
      else if (t >= deadline) return false;
    }
    cpu_relax();
  }
}

static bool new_work(const ingot_thread_pool *pool, uint64_t seen) {
  return atomic_load(&pool->generation) != seen || atomic_load(&pool->stopping);
}

static bool workers_done(const ingot_thread_pool *pool, uint64_t unused) {
  (void)unused;
  return atomic_load(&pool->active_workers) == 0;
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
  for (;;) {
    if (!spin_until(pool, new_work, seen)) {
      pthread_mutex_lock(&pool->lock);
      atomic_fetch_add(&pool->sleepers, 1);
      while (!new_work(pool, seen)) pthread_cond_wait(&pool->work_ready, &pool->lock);
      atomic_fetch_sub(&pool->sleepers, 1);
      pthread_mutex_unlock(&pool->lock);
    }
    if (atomic_load(&pool->stopping)) break;
    seen = atomic_load(&pool->generation); /* acquire: the loop's fields are visible */
    run_chunks(pool);
    if (atomic_fetch_sub(&pool->active_workers, 1) == 1 && atomic_load(&pool->caller_sleeping)) {
      pthread_mutex_lock(&pool->lock);
      pthread_cond_signal(&pool->work_done);
      pthread_mutex_unlock(&pool->lock);
    }
  }
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
  const char *spin = getenv("INGOT_POOL_SPIN_US");
  long spin_us = spin ? strtol(spin, NULL, 10) : 100;
  pool->spin_ns = spin_us > 0 && spin_us < 1000000 ? (int64_t)spin_us * 1000 : 0;
  atomic_init(&pool->generation, 0);
  atomic_init(&pool->stopping, false);
  atomic_init(&pool->sleepers, 0);
  atomic_init(&pool->caller_sleeping, false);
  atomic_init(&pool->next_chunk, 0);
  atomic_init(&pool->active_workers, 0);
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
  atomic_store(&pool->stopping, true);
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
  /* Every worker finished the last loop (the caller waited for it), so none reads these
   * until the generation below changes. */
  pool->fn = fn;
  pool->ctx = ctx;
  pool->n = n;
  pool->chunk = chunk;
  pool->nb_chunks = (n + chunk - 1) / chunk;
  atomic_store(&pool->next_chunk, 0);
  atomic_store(&pool->active_workers, pool->nb_threads - 1);
  atomic_fetch_add(&pool->generation, 1); /* release: publishes the fields above */
  if (atomic_load(&pool->sleepers) > 0) {
    pthread_mutex_lock(&pool->lock);
    pthread_cond_broadcast(&pool->work_ready);
    pthread_mutex_unlock(&pool->lock);
  }
  run_chunks(pool);
  if (!spin_until(pool, workers_done, 0)) {
    pthread_mutex_lock(&pool->lock);
    atomic_store(&pool->caller_sleeping, true);
    while (!workers_done(pool, 0)) pthread_cond_wait(&pool->work_done, &pool->lock);
    atomic_store(&pool->caller_sleeping, false);
    pthread_mutex_unlock(&pool->lock);
  }
}

typedef struct lanes_job {
  ingot_lane_item_fn fn;
  void *ctx;
  int64_t items;
  atomic_int_fast64_t next;
} lanes_job;

static void run_lane(void *ctx, int64_t begin, int64_t end) {
  lanes_job *j = ctx;
  for (int64_t lane = begin; lane < end; lane++)
    for (int64_t item; (item = atomic_fetch_add(&j->next, 1)) < j->items;) j->fn(j->ctx, lane, item);
}

void ingot_parallel_lanes(ingot_thread_pool *pool, int64_t lanes, int64_t items, ingot_lane_item_fn fn, void *ctx) {
  if (items <= 0) return;
  int64_t threads = ingot_thread_pool_size(pool);
  if (lanes > threads) lanes = threads;
  if (lanes > items) lanes = items;
  if (lanes <= 1) {
    for (int64_t item = 0; item < items; item++) fn(ctx, 0, item);
    return;
  }
  lanes_job j = {fn, ctx, items, 0};
  atomic_init(&j.next, 0);
  ingot_parallel_for(pool, lanes, 1, run_lane, &j); /* lanes <= threads: one lane per chunk */
}
