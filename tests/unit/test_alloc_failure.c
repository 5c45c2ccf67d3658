/* Allocation failure: every malloc-family call the library makes while building, loading
 * an engine, creating a context and running is made to fail in turn (the test links with
 * -Wl,--wrap for them). Each failure must come back as a status with a message, never a
 * crash, and leave the builder, runtime, engine or context usable: the same call succeeds
 * once memory is back, and the outputs are right. */
#include <stdatomic.h>

#include "stress_model.h"

/* Allocation number `countdown` from the arming on fails (0: disarmed). */
static atomic_long countdown;
static atomic_long failed;
void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
int __real_posix_memalign(void **, size_t, size_t);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t s);
void *__wrap_realloc(void *p, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n);

static int should_fail(void) {
  if (atomic_load(&countdown) <= 0) return 0;
  if (atomic_fetch_sub(&countdown, 1) != 1) return 0;
  atomic_fetch_add(&failed, 1);
  return 1;
}
void *__wrap_malloc(size_t n) { return should_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t s) { return should_fail() ? NULL : __real_calloc(n, s); }
void *__wrap_realloc(void *p, size_t n) { return should_fail() ? NULL : __real_realloc(p, n); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) { return should_fail() ? 12 /* ENOMEM */ : __real_posix_memalign(p, a, n); }

static void arm(long n) {
  atomic_store(&failed, 0);
  atomic_store(&countdown, n);
}
static int disarm(void) {
  atomic_store(&countdown, 0);
  return (int)atomic_load(&failed);
}

static float inputs[STRESS_MAX_BATCH * STRESS_SAMPLE];
static float expected[2 * STRESS_CLASSES];

/* A failed call must say so; a call that saw no failed allocation must succeed. */
static void check_outcome(const char *what, long n, int hit, ingot_status st) {
  if (hit && st == INGOT_SUCCESS) return; /* the library coped (a fallback, a retry) */
  if (!hit && st != INGOT_SUCCESS) {
    fprintf(stderr, "%s (allocation %ld never reached) failed: %s\n", what, n, ingot_last_error());
    test_failures++;
  } else if (hit && ingot_last_error()[0] == '\0') {
    fprintf(stderr, "%s with allocation %ld failing returned %s without a message\n", what, n, ingot_status_name(st));
    test_failures++;
  }
}

/* Runs at batch 2 in `ctx` and compares with the expected bits. */
static int run_ok(ingot_execution_context *ctx) {
  float out[2 * STRESS_CLASSES];
  return stress_run(ctx, 2, inputs, out) == 0 && memcmp(out, expected, sizeof out) == 0;
}

int main(void) {
  uint64_t seed = 9;
  for (int i = 0; i < STRESS_MAX_BATCH * STRESS_SAMPLE; i++) inputs[i] = test_randf(&seed);
  ingot_plan *plan = stress_plan(NULL);
  ingot_runtime *runtime = NULL;
  ingot_engine *engine = NULL;
  ingot_execution_context *ref = NULL;
  CHECK_OK(ingot_runtime_create(NULL, &runtime));
  if (!plan || !runtime) TEST_EXIT();
  CHECK_OK(ingot_runtime_deserialize_engine(runtime, ingot_plan_data(plan), ingot_plan_size(plan), &engine));
  if (!engine) TEST_EXIT();
  CHECK_OK(ingot_engine_create_execution_context(engine, &ref));
  CHECK_OK(ingot_execution_context_set_num_threads(ref, 1));
  CHECK(stress_run(ref, 2, inputs, expected) == 0);

  /* Building: a network and builder made with memory, the build itself starved. */
  long builds = 0;
  for (long n = 1; n < 100000; n++) {
    ingot_network *net = stress_network(NULL);
    ingot_builder *builder = NULL;
    ingot_builder_config *config = NULL;
    ingot_optimization_profile *profile = NULL;
    ingot_dims mn = {4, {1, STRESS_C, STRESS_HW, STRESS_HW}}, mx = {4, {STRESS_MAX_BATCH, STRESS_C, STRESS_HW, STRESS_HW}};
    CHECK_OK(ingot_builder_create(NULL, &builder));
    CHECK_OK(ingot_builder_config_create(&config));
    CHECK_OK(ingot_builder_config_set_timing_iterations(config, 0));
    CHECK_OK(ingot_optimization_profile_create(&profile));
    CHECK_OK(ingot_optimization_profile_set_dimensions(profile, "images", INGOT_PROFILE_MIN, &mn));
    CHECK_OK(ingot_optimization_profile_set_dimensions(profile, "images", INGOT_PROFILE_OPT, &mx));
    CHECK_OK(ingot_optimization_profile_set_dimensions(profile, "images", INGOT_PROFILE_MAX, &mx));
    CHECK_OK(ingot_builder_config_add_optimization_profile(config, profile, NULL));
    ingot_plan *p = NULL;
    ingot_clear_last_error();
    arm(n);
    ingot_status st = ingot_builder_build_serialized_network(builder, net, config, &p);
    int hit = disarm();
    check_outcome("build", n, hit, st);
    if (hit) { /* the same builder builds once memory is back */
      ingot_plan_destroy(p);
      p = NULL;
      CHECK_OK(ingot_builder_build_serialized_network(builder, net, config, &p));
    }
    if (p) CHECK(ingot_plan_size(p) == ingot_plan_size(plan) && memcmp(ingot_plan_data(p), ingot_plan_data(plan), ingot_plan_size(p)) == 0);
    ingot_plan_destroy(p);
    ingot_optimization_profile_destroy(profile);
    ingot_builder_config_destroy(config);
    ingot_builder_destroy(builder);
    ingot_network_destroy(net);
    builds++;
    if (!hit || test_failures > 20) break;
  }

  /* Loading an engine, creating a context, setting shapes and running. */
  long loads = 0, contexts = 0;
  for (long n = 1; n < 100000; n++, loads++) {
    ingot_engine *e = NULL;
    ingot_clear_last_error();
    arm(n);
    ingot_status st = ingot_runtime_deserialize_engine(runtime, ingot_plan_data(plan), ingot_plan_size(plan), &e);
    int hit = disarm();
    check_outcome("deserialize", n, hit, st);
    if (st != INGOT_SUCCESS) CHECK(e == NULL);
    ingot_engine_destroy(e);
    if (!hit || test_failures > 20) break;
  }
  for (long n = 1; n < 100000; n++, contexts++) {
    ingot_execution_context *ctx = NULL;
    ingot_clear_last_error();
    arm(n);
    ingot_status st = ingot_engine_create_execution_context(engine, &ctx);
    if (st == INGOT_SUCCESS) st = ingot_execution_context_set_num_threads(ctx, 2);
    int hit_create = disarm();
    check_outcome("create context", n, hit_create, st);
    if (ctx && st == INGOT_SUCCESS) {
      ingot_dims d = {4, {2, STRESS_C, STRESS_HW, STRESS_HW}};
      float out[2 * STRESS_CLASSES];
      ingot_clear_last_error();
      arm(n);
      ingot_status rs = ingot_execution_context_set_input_shape(ctx, "images", &d);
      if (rs == INGOT_SUCCESS) rs = ingot_execution_context_set_tensor_address(ctx, "images", inputs);
      if (rs == INGOT_SUCCESS) rs = ingot_execution_context_set_tensor_address(ctx, "probs", out);
      if (rs == INGOT_SUCCESS) rs = ingot_execution_context_execute(ctx);
      int hit_run = disarm();
      check_outcome("set shapes and run", n, hit_run, rs);
      CHECK(run_ok(ctx)); /* the context works once memory is back */
      hit_create |= hit_run;
    }
    ingot_execution_context_destroy(ctx);
    if (!hit_create || test_failures > 20) break;
  }
  CHECK(run_ok(ref)); /* the engine was never disturbed */
  printf("failed each allocation in turn: %ld builds, %ld engine loads, %ld contexts and runs\n", builds, loads, contexts);
  CHECK(builds > 1 && loads > 1 && contexts > 1);
  ingot_execution_context_destroy(ref);
  ingot_engine_destroy(engine);
  ingot_runtime_destroy(runtime);
  ingot_plan_destroy(plan);
  TEST_EXIT();
}
