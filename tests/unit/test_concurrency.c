/* Concurrency: several contexts of one engine on several threads give the bits of a
 * single-threaded run; engines are built, loaded, run and destroyed on several threads at
 * once; every thread logs through one shared logger whose callback keeps an unlocked
 * counter (ingot promises to serialize calls to one logger). Built with INGOT_TSAN
 * (scripts/tsan.sh) ThreadSanitizer checks all of it; in the normal build it checks the
 * results. */
#include <pthread.h>

#include "stress_model.h"

#define THREADS 4
#define CONTEXTS_PER_THREAD 2
#define ITERATIONS 25
#define BUILD_THREADS 3

static float inputs[STRESS_MAX_BATCH * STRESS_SAMPLE];
static float expected[STRESS_MAX_BATCH][STRESS_MAX_BATCH * STRESS_CLASSES]; /* per batch size */
static long log_messages; /* no lock: the logger serializes its callback */

static void count_messages(void *user, ingot_severity severity, const char *message) {
  (void)user;
  (void)severity;
  if (message && message[0]) log_messages++;
}

typedef struct run_worker {
  const ingot_engine *engine;
  int index, failures;
} run_worker;

static void *run_main(void *arg) {
  run_worker *w = arg;
  ingot_execution_context *ctx[CONTEXTS_PER_THREAD] = {0};
  float out[STRESS_MAX_BATCH * STRESS_CLASSES];
  for (int c = 0; c < CONTEXTS_PER_THREAD; c++) {
    if (ingot_engine_create_execution_context(w->engine, &ctx[c]) != INGOT_SUCCESS) {
      w->failures++;
      continue;
    }
    /* Half the contexts use a pool of their own (2 threads), half run inline. */
    if (ingot_execution_context_set_num_threads(ctx[c], 1 + (w->index + c) % 2) != INGOT_SUCCESS) w->failures++;
  }
  for (int it = 0; it < ITERATIONS && !w->failures; it++)
    for (int c = 0; c < CONTEXTS_PER_THREAD; c++) {
      int batch = 1 + (it + c + w->index) % STRESS_MAX_BATCH;
      memset(out, 0xff, sizeof out);
      if (stress_run(ctx[c], batch, inputs, out) ||
          memcmp(out, expected[batch - 1], (size_t)batch * STRESS_CLASSES * sizeof(float)) != 0)
        w->failures++;
    }
  for (int c = 0; c < CONTEXTS_PER_THREAD; c++) ingot_execution_context_destroy(ctx[c]);
  return NULL;
}

typedef struct build_worker {
  ingot_logger *logger;
  int failures;
} build_worker;

/* Build, load, run once at batch 2, destroy: all on this thread, while others do the same. */
static void *build_main(void *arg) {
  build_worker *w = arg;
  for (int round = 0; round < 2; round++) {
    ingot_plan *plan = stress_plan(w->logger);
    ingot_runtime *runtime = NULL;
    ingot_engine *engine = NULL;
    ingot_execution_context *ctx = NULL;
    float out[2 * STRESS_CLASSES];
    if (!plan || ingot_runtime_create(w->logger, &runtime) != INGOT_SUCCESS ||
        ingot_runtime_deserialize_engine(runtime, ingot_plan_data(plan), ingot_plan_size(plan), &engine) != INGOT_SUCCESS ||
        ingot_engine_create_execution_context(engine, &ctx) != INGOT_SUCCESS || stress_run(ctx, 2, inputs, out) ||
        memcmp(out, expected[1], sizeof out) != 0)
      w->failures++;
    ingot_execution_context_destroy(ctx);
    ingot_engine_destroy(engine);
    ingot_runtime_destroy(runtime);
    ingot_plan_destroy(plan);
  }
  return NULL;
}

int main(void) {
  uint64_t seed = 5;
  for (int i = 0; i < STRESS_MAX_BATCH * STRESS_SAMPLE; i++) inputs[i] = test_randf(&seed);
  ingot_logger *logger = NULL;
  CHECK_OK(ingot_logger_create(count_messages, NULL, INGOT_SEVERITY_VERBOSE, &logger));

  /* Reference: one context, one thread, every batch size. */
  ingot_plan *plan = stress_plan(logger);
  ingot_runtime *runtime = NULL;
  ingot_engine *engine = NULL;
  ingot_execution_context *ref = NULL;
  CHECK_OK(ingot_runtime_create(logger, &runtime));
  if (!plan || !runtime) TEST_EXIT();
  CHECK_OK(ingot_runtime_deserialize_engine(runtime, ingot_plan_data(plan), ingot_plan_size(plan), &engine));
  if (!engine) TEST_EXIT();
  CHECK_OK(ingot_engine_create_execution_context(engine, &ref));
  CHECK_OK(ingot_execution_context_set_num_threads(ref, 1));
  for (int b = 1; b <= STRESS_MAX_BATCH; b++) CHECK(stress_run(ref, b, inputs, expected[b - 1]) == 0);
  ingot_execution_context_destroy(ref);
  /* Softmax rows sum to 1: the reference itself is sane. */
  float sum = 0;
  for (int k = 0; k < STRESS_CLASSES; k++) sum += expected[0][k];
  CHECK_NEAR(sum, 1.0, 1e-5);

  /* Contexts on threads, and builds on other threads, all at once. */
  pthread_t runners[THREADS], builders[BUILD_THREADS];
  run_worker rw[THREADS];
  build_worker bw[BUILD_THREADS];
  for (int t = 0; t < THREADS; t++) {
    rw[t] = (run_worker){engine, t, 0};
    CHECK(pthread_create(&runners[t], NULL, run_main, &rw[t]) == 0);
  }
  for (int t = 0; t < BUILD_THREADS; t++) {
    bw[t] = (build_worker){logger, 0};
    CHECK(pthread_create(&builders[t], NULL, build_main, &bw[t]) == 0);
  }
  for (int t = 0; t < THREADS; t++) {
    pthread_join(runners[t], NULL);
    if (rw[t].failures) fprintf(stderr, "context thread %d: %d wrong or failed runs\n", t, rw[t].failures);
    CHECK(rw[t].failures == 0);
  }
  for (int t = 0; t < BUILD_THREADS; t++) {
    pthread_join(builders[t], NULL);
    if (bw[t].failures) fprintf(stderr, "build thread %d: %d failures\n", t, bw[t].failures);
    CHECK(bw[t].failures == 0);
  }
  CHECK(log_messages > 0); /* the builds logged (verbose) through the shared logger */

  ingot_engine_destroy(engine);
  ingot_runtime_destroy(runtime);
  ingot_plan_destroy(plan);
  ingot_logger_destroy(logger);
  TEST_EXIT();
}
