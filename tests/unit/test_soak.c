/* Soak: one engine, several contexts, a fixed number of iterations over changing batch
 * sizes. Every output must equal the first run's bits, and the process's memory must not
 * grow once warm: heap in use (mallinfo2) and resident pages (/proc/self/statm) are
 * sampled after a warm-up and at the end. INGOT_SOAK_ITERATIONS=N runs longer (opt-in). */
#include <malloc.h>
#include <unistd.h>

#include "stress_model.h"

#define CONTEXTS 3
#define DEFAULT_ITERATIONS 300

/* Under a sanitizer malloc is the sanitizer's: ask it, since mallinfo2 sees nothing, and
 * its quarantine of freed blocks makes resident memory meaningless. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SOAK_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SOAK_SANITIZED 1
#endif
#endif
#ifdef SOAK_SANITIZED
/* From <sanitizer/allocator_interface.h>, which not every compiler installs. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

static size_t heap_in_use(void) {
#ifdef SOAK_SANITIZED
  return __sanitizer_get_current_allocated_bytes();
#elif defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
#else
  return 0; /* not measurable here: the RSS check still runs */
#endif
}

static long resident_kib(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long size = 0, resident = 0;
  if (!f) return 0;
  if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
  fclose(f);
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static float inputs[STRESS_MAX_BATCH * STRESS_SAMPLE];
static float expected[STRESS_MAX_BATCH][STRESS_MAX_BATCH * STRESS_CLASSES];

int main(void) {
  long iterations = DEFAULT_ITERATIONS;
  const char *env = getenv("INGOT_SOAK_ITERATIONS");
  if (env && *env) {
    char *end;
    iterations = strtol(env, &end, 10);
    if (*end || iterations < 10) {
      fprintf(stderr, "INGOT_SOAK_ITERATIONS must be an integer >= 10, got '%s'\n", env);
      return 2;
    }
  }
  uint64_t seed = 3;
  for (int i = 0; i < STRESS_MAX_BATCH * STRESS_SAMPLE; i++) inputs[i] = test_randf(&seed);
  ingot_plan *plan = stress_plan(NULL);
  ingot_runtime *runtime = NULL;
  ingot_engine *engine = NULL;
  CHECK_OK(ingot_runtime_create(NULL, &runtime));
  if (!plan || !runtime) TEST_EXIT();
  CHECK_OK(ingot_runtime_deserialize_engine(runtime, ingot_plan_data(plan), ingot_plan_size(plan), &engine));
  ingot_plan_destroy(plan);
  if (!engine) TEST_EXIT();
  ingot_execution_context *ctx[CONTEXTS] = {0};
  for (int c = 0; c < CONTEXTS; c++) {
    CHECK_OK(ingot_engine_create_execution_context(engine, &ctx[c]));
    CHECK_OK(ingot_execution_context_set_num_threads(ctx[c], 1 + c % 2));
  }
  for (int b = 1; b <= STRESS_MAX_BATCH; b++) CHECK(stress_run(ctx[0], b, inputs, expected[b - 1]) == 0);

  float out[STRESS_MAX_BATCH * STRESS_CLASSES];
  long warmup = iterations / 10, mismatches = 0, failures = 0;
  size_t heap_warm = 0;
  long rss_warm = 0;
  for (long it = 0; it < iterations; it++) {
    if (it == warmup) heap_warm = heap_in_use(), rss_warm = resident_kib();
    for (int c = 0; c < CONTEXTS; c++) {
      int batch = 1 + (int)((it * 7 + c) % STRESS_MAX_BATCH);
      /* Now and then a context is recreated, as a server does when a client comes and goes. */
      if (it % 50 == 49 && c == CONTEXTS - 1) {
        ingot_execution_context_destroy(ctx[c]);
        ctx[c] = NULL;
        if (ingot_engine_create_execution_context(engine, &ctx[c]) != INGOT_SUCCESS) {
          failures++;
          break;
        }
      }
      if (stress_run(ctx[c], batch, inputs, out)) failures++;
      else if (memcmp(out, expected[batch - 1], (size_t)batch * STRESS_CLASSES * sizeof(float)) != 0) mismatches++;
      /* A bad call now and then must not leak either. */
      ingot_dims bad = {4, {STRESS_MAX_BATCH + 1, STRESS_C, STRESS_HW, STRESS_HW}};
      if (it % 10 == 0 && ingot_execution_context_set_input_shape(ctx[c], "images", &bad) == INGOT_SUCCESS) failures++;
    }
  }
  size_t heap_end = heap_in_use();
  long rss_end = resident_kib();
  printf("%ld iterations x %d contexts: heap in use %zu -> %zu bytes, resident %ld -> %ld KiB\n", iterations,
         CONTEXTS, heap_warm, heap_end, rss_warm, rss_end);
  CHECK(failures == 0);
  CHECK(mismatches == 0);
  /* Recreated contexts may land elsewhere in the heap: allow one context's worth of slack
   * (64 KiB covers this model's arena and bookkeeping), nothing that grows with iterations. */
  CHECK(heap_end <= heap_warm + 64 * 1024);
#ifndef SOAK_SANITIZED
  CHECK(heap_warm > 0); /* the measure works */
  CHECK(rss_end <= rss_warm + 1024);
#endif
  for (int c = 0; c < CONTEXTS; c++) ingot_execution_context_destroy(ctx[c]);
  ingot_engine_destroy(engine);
  ingot_runtime_destroy(runtime);
  TEST_EXIT();
}
