/* End to end through the public API: dynamic batch, profile bounds, plan round trip and
 * corrupted plans, many contexts on many threads, streams, the profiler, and bad calls. */
#include <pthread.h>

#include "test_util.h"

#define C_IN 2
#define HW 6
#define SAMPLE (C_IN * HW * HW)
#define CLASSES 5
#define MAX_BATCH 8

static float conv_w[4 * C_IN * 3 * 3], conv_b[4], fc_w[CLASSES * 4 * 3 * 3], fc_b[CLASSES];

/* x[-1,2,6,6] -> conv 4@3x3 -> relu -> maxpool 2x2 -> fc 5 -> softmax */
static ingot_network *make_network(ingot_logger *logger) {
  uint64_t seed = 42;
  for (size_t i = 0; i < sizeof conv_w / sizeof conv_w[0]; i++) conv_w[i] = test_randf(&seed) * 0.5f;
  for (size_t i = 0; i < 4; i++) conv_b[i] = test_randf(&seed) * 0.1f;
  for (size_t i = 0; i < sizeof fc_w / sizeof fc_w[0]; i++) fc_w[i] = test_randf(&seed) * 0.5f;
  for (size_t i = 0; i < CLASSES; i++) fc_b[i] = test_randf(&seed) * 0.1f;
  ingot_network *net = NULL;
  CHECK_OK(ingot_network_create(logger, &net));
  ingot_dims d = {4, {-1, C_IN, HW, HW}};
  ingot_tensor *x = NULL;
  CHECK_OK(ingot_network_add_input(net, "images", INGOT_FLOAT32, &d, &x));
  ingot_convolution_desc cd;
  memset(&cd, 0, sizeof cd);
  cd.nb_spatial_dims = 2;
  cd.num_output_maps = 4;
  cd.kernel_size[0] = cd.kernel_size[1] = 3;
  cd.pre_padding[0] = cd.pre_padding[1] = cd.post_padding[0] = cd.post_padding[1] = 1;
  cd.kernel_weights = (ingot_weights){INGOT_FLOAT32, conv_w, (int64_t)(sizeof conv_w / sizeof conv_w[0])};
  cd.bias_weights = (ingot_weights){INGOT_FLOAT32, conv_b, 4};
  ingot_layer *conv = NULL, *relu = NULL, *pool = NULL, *fc = NULL, *sm = NULL;
  CHECK_OK(ingot_network_add_convolution(net, x, &cd, &conv));
  CHECK_OK(ingot_layer_set_name(conv, "conv1"));
  CHECK_OK(ingot_network_add_activation(net, ingot_layer_get_output(conv, 0), INGOT_ACTIVATION_RELU, 0, 0, &relu));
  ingot_pooling_desc pd;
  memset(&pd, 0, sizeof pd);
  pd.type = INGOT_POOLING_MAX;
  pd.nb_spatial_dims = 2;
  pd.window_size[0] = pd.window_size[1] = 2;
  pd.stride[0] = pd.stride[1] = 2;
  CHECK_OK(ingot_network_add_pooling(net, ingot_layer_get_output(relu, 0), &pd, &pool));
  CHECK_OK(ingot_network_add_fully_connected(net, ingot_layer_get_output(pool, 0), CLASSES,
                                             (ingot_weights){INGOT_FLOAT32, fc_w, CLASSES * 36},
                                             (ingot_weights){INGOT_FLOAT32, fc_b, CLASSES}, &fc));
  CHECK_OK(ingot_network_add_softmax(net, ingot_layer_get_output(fc, 0), 1, &sm));
  CHECK_OK(ingot_tensor_set_name(ingot_layer_get_output(sm, 0), "probs"));
  CHECK_OK(ingot_network_mark_output(net, ingot_layer_get_output(sm, 0)));
  return net;
}

static ingot_plan *build_plan(ingot_logger *logger, ingot_network *net) {
  ingot_builder *builder = NULL;
  ingot_builder_config *config = NULL;
  ingot_optimization_profile *profile = NULL;
  ingot_plan *plan = NULL;
  CHECK_OK(ingot_builder_create(logger, &builder));
  CHECK_OK(ingot_builder_config_create(&config));
  CHECK_OK(ingot_optimization_profile_create(&profile));
  ingot_dims mn = {4, {1, C_IN, HW, HW}}, op = {4, {4, C_IN, HW, HW}}, mx = {4, {MAX_BATCH, C_IN, HW, HW}};
  CHECK_OK(ingot_optimization_profile_set_dimensions(profile, "images", INGOT_PROFILE_MIN, &mn));
  CHECK_OK(ingot_optimization_profile_set_dimensions(profile, "images", INGOT_PROFILE_OPT, &op));
  CHECK_OK(ingot_optimization_profile_set_dimensions(profile, "images", INGOT_PROFILE_MAX, &mx));
  CHECK_OK(ingot_builder_config_add_optimization_profile(config, profile, NULL));
  CHECK_OK(ingot_builder_config_set_flag(config, INGOT_BUILDER_FLAG_FP16, 1));
  CHECK_OK(ingot_builder_build_serialized_network(builder, net, config, &plan));
  ingot_optimization_profile_destroy(profile);
  ingot_builder_config_destroy(config);
  ingot_builder_destroy(builder);
  return plan;
}

static int run_batch(ingot_execution_context *ctx, int batch, const float *in, float *out) {
  ingot_dims d = {4, {batch, C_IN, HW, HW}};
  if (ingot_execution_context_set_input_shape(ctx, "images", &d) != INGOT_SUCCESS) return 1;
  if (ingot_execution_context_set_tensor_address(ctx, "images", (void *)in) != INGOT_SUCCESS) return 1;
  if (ingot_execution_context_set_tensor_address(ctx, "probs", out) != INGOT_SUCCESS) return 1;
  return ingot_execution_context_execute(ctx) != INGOT_SUCCESS;
}

static float inputs[MAX_BATCH * SAMPLE];
static float expected[MAX_BATCH * CLASSES];

typedef struct worker {
  const ingot_engine *engine;
  int failures;
} worker;

static void *worker_main(void *arg) {
  worker *w = arg;
  ingot_execution_context *ctx[4] = {0};
  float out[4][MAX_BATCH * CLASSES];
  for (int c = 0; c < 4; c++)
    if (ingot_engine_create_execution_context(w->engine, &ctx[c]) != INGOT_SUCCESS) w->failures++;
  for (int c = 0; c < 4 && !w->failures; c++)
    if (ingot_execution_context_set_num_threads(ctx[c], 1) != INGOT_SUCCESS) w->failures++;
  for (int iter = 0; iter < 100 && !w->failures; iter++)
    for (int c = 0; c < 4; c++) {
      int batch = 1 + (iter + c) % MAX_BATCH;
      memset(out[c], 0, sizeof out[c]);
      if (run_batch(ctx[c], batch, inputs, out[c])) w->failures++;
      if (memcmp(out[c], expected, (size_t)batch * CLASSES * sizeof(float)) != 0) w->failures++;
    }
  for (int c = 0; c < 4; c++) ingot_execution_context_destroy(ctx[c]);
  return NULL;
}

static int profiled_layers;
static void on_layer(void *user, const char *name, float ms) {
  (void)user;
  if (name && ms >= 0.0f) profiled_layers++;
}

static int log_errors;
static void count_errors(void *user, ingot_severity severity, const char *message) {
  (void)user;
  (void)message;
  if (severity <= INGOT_SEVERITY_ERROR) log_errors++;
}

int main(void) {
  /* The layer list checked below is the channels-first plan's; the CPU's layout pass (on
   * by default for float32) adds its transposes, and has its own test. */
  setenv("INGOT_FORCE_CHANNELS_LAST", "0", 1);
  uint64_t seed = 7;
  for (int i = 0; i < MAX_BATCH * SAMPLE; i++) inputs[i] = test_randf(&seed);
  ingot_logger *logger = NULL;
  CHECK_OK(ingot_logger_create(count_errors, NULL, INGOT_SEVERITY_WARNING, &logger));
  ingot_network *net = make_network(logger);
  ingot_plan *plan = build_plan(logger, net);
  CHECK(plan != NULL);
  if (!plan) TEST_EXIT();

  ingot_runtime *runtime = NULL;
  ingot_engine *engine = NULL;
  CHECK_OK(ingot_runtime_create(logger, &runtime));
  CHECK_OK(ingot_runtime_deserialize_engine(runtime, ingot_plan_data(plan), ingot_plan_size(plan), &engine));
  if (!engine) TEST_EXIT();

  /* I/O enumeration */
  CHECK(ingot_engine_num_io_tensors(engine) == 2);
  CHECK(strcmp(ingot_engine_get_io_tensor_name(engine, 0), "images") == 0);
  CHECK(strcmp(ingot_engine_get_io_tensor_name(engine, 1), "probs") == 0);
  CHECK(ingot_engine_get_io_tensor_name(engine, 2) == NULL);
  ingot_tensor_io_mode mode;
  CHECK_OK(ingot_engine_get_tensor_io_mode(engine, "probs", &mode));
  CHECK(mode == INGOT_TENSOR_OUTPUT);
  ingot_dims dims;
  CHECK_OK(ingot_engine_get_tensor_dims(engine, "probs", &dims));
  CHECK(dims.nb_dims == 2 && dims.d[0] == -1 && dims.d[1] == CLASSES);
  ingot_dtype dtype;
  CHECK_OK(ingot_engine_get_tensor_dtype(engine, "images", &dtype));
  CHECK(dtype == INGOT_FLOAT32);
  CHECK_OK(ingot_engine_get_profile_dims(engine, "images", 0, INGOT_PROFILE_MAX, &dims));
  CHECK(dims.d[0] == MAX_BATCH);
  CHECK(ingot_engine_get_activation_memory(engine, 0) > 0);
  /* conv + relu fused; pool; fc; softmax */
  CHECK(ingot_engine_num_layers(engine) == 4);
  ingot_layer_info info;
  CHECK_OK(ingot_engine_get_layer_info(engine, 0, &info));
  CHECK(strcmp(info.name, "conv1") == 0 && strstr(info.type, "relu") != NULL);

  /* dynamic batch: batch 1 sample by sample, then 3 and the max, give the same outputs */
  ingot_execution_context *ctx = NULL;
  CHECK_OK(ingot_engine_create_execution_context(engine, &ctx));
  for (int b = 0; b < MAX_BATCH; b++) CHECK(run_batch(ctx, 1, inputs + b * SAMPLE, expected + b * CLASSES) == 0);
  float out[MAX_BATCH * CLASSES];
  CHECK(run_batch(ctx, 3, inputs, out) == 0);
  for (int i = 0; i < 3 * CLASSES; i++) CHECK_NEAR(out[i], expected[i], 1e-6);
  CHECK(run_batch(ctx, MAX_BATCH, inputs, out) == 0);
  for (int i = 0; i < MAX_BATCH * CLASSES; i++) CHECK_NEAR(out[i], expected[i], 1e-6);
  for (int b = 0; b < MAX_BATCH; b++) {
    float sum = 0;
    for (int k = 0; k < CLASSES; k++) sum += out[b * CLASSES + k];
    CHECK_NEAR(sum, 1.0, 1e-5);
  }
  /* the batched run is the reference for the threads below (bitwise) */
  memcpy(expected, out, sizeof out);
  CHECK_OK(ingot_execution_context_get_tensor_shape(ctx, "probs", &dims));
  CHECK(dims.nb_dims == 2 && dims.d[0] == MAX_BATCH && dims.d[1] == CLASSES);

  /* outside the profile: refused, naming the bounds */
  ingot_dims too_big = {4, {MAX_BATCH + 1, C_IN, HW, HW}}, wrong_rank = {3, {1, C_IN, HW}};
  int errors_before = log_errors;
  CHECK_FAILS(ingot_execution_context_set_input_shape(ctx, "images", &too_big), INGOT_INVALID_ARGUMENT, "max 8x2x6x6");
  CHECK(log_errors > errors_before); /* the logger heard it too */
  CHECK_FAILS(ingot_execution_context_set_input_shape(ctx, "images", &wrong_rank), INGOT_INVALID_ARGUMENT,
              "outside optimization profile 0");
  CHECK_FAILS(ingot_execution_context_set_input_shape(ctx, "nope", &too_big), INGOT_NOT_FOUND, "'nope'");
  CHECK_FAILS(ingot_execution_context_set_input_shape(ctx, "probs", &too_big), INGOT_INVALID_ARGUMENT, "output");
  CHECK_FAILS(ingot_execution_context_set_optimization_profile(ctx, 1), INGOT_INVALID_ARGUMENT, "profile 1");

  /* streams and the profiler */
  ingot_stream *stream = NULL;
  ingot_profiler *profiler = NULL;
  CHECK_OK(ingot_stream_create(INGOT_TARGET_CPU, 0, &stream));
  CHECK_OK(ingot_profiler_create(on_layer, NULL, &profiler));
  CHECK_OK(ingot_execution_context_set_profiler(ctx, profiler));
  ingot_dims full = {4, {MAX_BATCH, C_IN, HW, HW}};
  CHECK_OK(ingot_execution_context_set_input_shape(ctx, "images", &full));
  memset(out, 0, sizeof out);
  CHECK_OK(ingot_execution_context_enqueue(ctx, stream));
  CHECK_OK(ingot_stream_synchronize(stream));
  CHECK(memcmp(out, expected, sizeof out) == 0);
  CHECK(profiled_layers == 4);
  CHECK_OK(ingot_execution_context_set_profiler(ctx, NULL));
  ingot_stream_destroy(stream);
  ingot_profiler_destroy(profiler);

  /* a fresh context with no shape or address set */
  ingot_execution_context *fresh = NULL;
  CHECK_OK(ingot_engine_create_execution_context(engine, &fresh));
  CHECK_FAILS(ingot_execution_context_execute(fresh), INGOT_INVALID_STATE, "input 'images' is not set");
  CHECK_FAILS(ingot_execution_context_get_tensor_shape(fresh, "probs", &dims), INGOT_INVALID_STATE, "'images'");
  CHECK_OK(ingot_execution_context_set_input_shape(fresh, "images", &full));
  CHECK_FAILS(ingot_execution_context_execute(fresh), INGOT_INVALID_STATE, "address of input 'images'");
  CHECK_OK(ingot_execution_context_set_tensor_address(fresh, "images", inputs));
  CHECK_FAILS(ingot_execution_context_execute(fresh), INGOT_INVALID_STATE, "address of output 'probs'");
  CHECK_FAILS(ingot_execution_context_set_tensor_address(fresh, "probs", NULL), INGOT_INVALID_ARGUMENT, "NULL");
  ingot_execution_context_destroy(fresh);

  /* 4 threads x 4 contexts x 100 runs on one engine equal the single-context outputs */
  pthread_t threads[4];
  worker workers[4];
  for (int t = 0; t < 4; t++) {
    workers[t] = (worker){engine, 0};
    pthread_create(&threads[t], NULL, worker_main, &workers[t]);
  }
  for (int t = 0; t < 4; t++) {
    pthread_join(threads[t], NULL);
    CHECK(workers[t].failures == 0);
  }

  /* plan round trip through a file */
  char path[512];
  snprintf(path, sizeof path, "%s/test_engine.plan", INGOT_BINARY_DIR);
  CHECK_OK(ingot_plan_save(plan, path));
  ingot_engine *loaded = NULL;
  CHECK_OK(ingot_runtime_load_engine(runtime, path, &loaded));
  if (loaded) {
    ingot_execution_context *lctx = NULL;
    CHECK_OK(ingot_engine_create_execution_context(loaded, &lctx));
    memset(out, 0, sizeof out);
    CHECK(run_batch(lctx, MAX_BATCH, inputs, out) == 0);
    CHECK(memcmp(out, expected, sizeof out) == 0);
    ingot_execution_context_destroy(lctx);
    ingot_engine_destroy(loaded);
  }
  remove(path);
  CHECK_FAILS(ingot_runtime_load_engine(runtime, "/nonexistent/x.plan", &loaded), INGOT_IO_ERROR, "/nonexistent/x.plan");

  /* truncated, bit-flipped, wrong-version and wrong-target plans are refused */
  size_t size = ingot_plan_size(plan);
  unsigned char *bytes = malloc(size);
  memcpy(bytes, ingot_plan_data(plan), size);
  for (size_t cut = 0; cut < size; cut += (cut < 128 ? 1 : 37)) {
    ingot_engine *bad = NULL;
    ingot_status st = ingot_runtime_deserialize_engine(runtime, bytes, cut, &bad);
    CHECK(st == INGOT_INVALID_PLAN && bad == NULL);
  }
  for (size_t pos = 0; pos < size; pos += 13) {
    ingot_engine *bad = NULL;
    bytes[pos] ^= 0x10;
    ingot_status st = ingot_runtime_deserialize_engine(runtime, bytes, size, &bad);
    CHECK(st != INGOT_SUCCESS && bad == NULL);
    bytes[pos] ^= 0x10;
  }
  bytes[8] = 99; /* format version (u32 after the magic) */
  CHECK_FAILS(ingot_runtime_deserialize_engine(runtime, bytes, size, &loaded), INGOT_VERSION_MISMATCH, "99");
  bytes[8] = ((const unsigned char *)ingot_plan_data(plan))[8];
  bytes[16] = 1; /* target: cuda */
  CHECK_FAILS(ingot_runtime_deserialize_engine(runtime, bytes, size, &loaded), INGOT_VERSION_MISMATCH, "cuda");
  free(bytes);

  /* bad calls */
  CHECK_FAILS(ingot_runtime_deserialize_engine(NULL, ingot_plan_data(plan), size, &loaded), INGOT_INVALID_ARGUMENT,
              "runtime");
  CHECK_FAILS(ingot_runtime_deserialize_engine(runtime, NULL, size, &loaded), INGOT_INVALID_ARGUMENT, "data");
  CHECK_FAILS(ingot_engine_create_execution_context(NULL, &ctx), INGOT_INVALID_ARGUMENT, "engine");
  CHECK_FAILS(ingot_execution_context_execute(NULL), INGOT_INVALID_ARGUMENT, "NULL");
  CHECK_FAILS(ingot_engine_get_tensor_dims(engine, "missing", &dims), INGOT_NOT_FOUND, "missing");
  CHECK_FAILS(ingot_engine_get_tensor_dtype(engine, NULL, &dtype), INGOT_INVALID_ARGUMENT, "NULL");
  CHECK_FAILS(ingot_engine_get_layer_info(engine, 99, &info), INGOT_INVALID_ARGUMENT, "99");
  CHECK_FAILS(ingot_plan_save(NULL, path), INGOT_INVALID_ARGUMENT, "plan");
  ingot_logger *bad_logger = NULL;
  CHECK_FAILS(ingot_logger_create(NULL, NULL, (ingot_severity)9, &bad_logger), INGOT_INVALID_ARGUMENT, "severity");
  CHECK(ingot_version() == INGOT_VERSION);
  CHECK(strcmp(ingot_status_name(INGOT_NOT_FOUND), "INGOT_NOT_FOUND") == 0);

  ingot_execution_context_destroy(ctx);
  ingot_engine_destroy(engine);
  ingot_runtime_destroy(runtime);
  ingot_plan_destroy(plan);
  ingot_network_destroy(net);
  ingot_logger_destroy(logger);
  TEST_EXIT();
}
