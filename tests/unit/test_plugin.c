/* Plugins from C: the example library (examples/plugin) loaded through the registry,
 * ScaledSoftsign and SplitTail against scalar references on random inputs with one plan
 * serving two shapes of a profile, the plan saved, loaded and run again; the missing
 * plugin (a plan whose plugin is deregistered), a plugin whose enqueue fails, bad fields,
 * registry misuse, a corrupted plugin state in a plan, and a plugin whose workspace size
 * depends on its input dims (run at several shapes of one profile; under ASan a workspace
 * smaller than asked is an out-of-bounds write). */
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "core/checksum.h"
#include "plan/plan_sections.h"
#include "test_util.h"

static const char *library_path(void) {
  const char *env = getenv("INGOT_EXAMPLE_PLUGINS");
  return env ? env : INGOT_BINARY_DIR "/examples/libingot_example_plugins.so";
}

/* x [-1, 6] -> ScaledSoftsign(alpha) -> SplitTail(k) -> (head, tail), profile 1..4 x 6. */
static ingot_network *make_network(float alpha, int32_t k) {
  ingot_network *net = NULL;
  ingot_tensor *x;
  ingot_layer *act, *split;
  ingot_dims dims = {2, {-1, 6}};
  CHECK_OK(ingot_network_create(NULL, &net));
  CHECK_OK(ingot_network_add_input(net, "x", INGOT_FLOAT32, &dims, &x));
  ingot_plugin_field alpha_field = {"alpha", INGOT_PLUGIN_FIELD_FLOAT32, 1, &alpha};
  CHECK_OK(ingot_network_add_plugin(net, &x, 1, "ScaledSoftsign", "1", "ingot.example", &alpha_field, 1, &act));
  int64_t k64 = k; /* given as int64: the declared int32 is converted */
  ingot_plugin_field k_field = {"k", INGOT_PLUGIN_FIELD_INT64, 1, &k64};
  ingot_tensor *y = ingot_layer_get_output(act, 0);
  CHECK_OK(ingot_network_add_plugin(net, &y, 1, "SplitTail", NULL, NULL, &k_field, 1, &split));
  CHECK(ingot_layer_get_type(split) == INGOT_LAYER_PLUGIN);
  CHECK(ingot_layer_num_outputs(split) == 2);
  CHECK_OK(ingot_tensor_set_name(ingot_layer_get_output(split, 0), "head"));
  CHECK_OK(ingot_tensor_set_name(ingot_layer_get_output(split, 1), "tail"));
  CHECK_OK(ingot_network_mark_output(net, ingot_layer_get_output(split, 0)));
  CHECK_OK(ingot_network_mark_output(net, ingot_layer_get_output(split, 1)));
  return net;
}

/* A plan of `net` with one profile for its input "x". */
static ingot_plan *build_profile(ingot_network *net, ingot_dims mn, ingot_dims opt, ingot_dims mx) {
  ingot_builder *builder;
  ingot_builder_config *config;
  ingot_optimization_profile *profile;
  CHECK_OK(ingot_builder_create(NULL, &builder));
  CHECK_OK(ingot_builder_config_create(&config));
  CHECK_OK(ingot_optimization_profile_create(&profile));
  CHECK_OK(ingot_optimization_profile_set_dimensions(profile, "x", INGOT_PROFILE_MIN, &mn));
  CHECK_OK(ingot_optimization_profile_set_dimensions(profile, "x", INGOT_PROFILE_OPT, &opt));
  CHECK_OK(ingot_optimization_profile_set_dimensions(profile, "x", INGOT_PROFILE_MAX, &mx));
  CHECK_OK(ingot_builder_config_add_optimization_profile(config, profile, NULL));
  ingot_plan *plan = NULL;
  ingot_status st = ingot_builder_build_serialized_network(builder, net, config, &plan);
  if (st != INGOT_SUCCESS) fprintf(stderr, "build: %s\n", ingot_last_error());
  CHECK(st == INGOT_SUCCESS);
  ingot_optimization_profile_destroy(profile);
  ingot_builder_config_destroy(config);
  ingot_builder_destroy(builder);
  return plan;
}

static ingot_plan *build(ingot_network *net, int64_t max_batch) {
  return build_profile(net, (ingot_dims){2, {1, 6}}, (ingot_dims){2, {2, 6}}, (ingot_dims){2, {max_batch, 6}});
}

/* Runs the engine at batch `batch` on random x and checks head/tail against the formula. */
static void run_and_check(ingot_engine *engine, int64_t batch, float alpha, int32_t k, uint64_t seed) {
  ingot_execution_context *ctx;
  CHECK_OK(ingot_engine_create_execution_context(engine, &ctx));
  float x[4 * 6], head[4 * 6], tail[4 * 6];
  for (int i = 0; i < 24; i++) x[i] = 4.0f * test_randf(&seed);
  ingot_dims dims = {2, {batch, 6}};
  CHECK_OK(ingot_execution_context_set_input_shape(ctx, "x", &dims));
  ingot_dims hd, td;
  CHECK_OK(ingot_execution_context_get_tensor_shape(ctx, "head", &hd));
  CHECK_OK(ingot_execution_context_get_tensor_shape(ctx, "tail", &td));
  CHECK(hd.nb_dims == 2 && hd.d[0] == batch && hd.d[1] == k);
  CHECK(td.nb_dims == 2 && td.d[0] == batch && td.d[1] == 6 - k);
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "x", x));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "head", head));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "tail", tail));
  CHECK_OK(ingot_execution_context_execute(ctx));
  for (int64_t r = 0; r < batch; r++)
    for (int c = 0; c < 6; c++) {
      float v = x[r * 6 + c], want = alpha * v / (1.0f + fabsf(v));
      float got = c < k ? head[r * k + c] : tail[r * (6 - k) + (c - k)];
      CHECK_NEAR(got, want, 1e-6);
    }
  ingot_execution_context_destroy(ctx);
}

static void test_example_library(void) {
  CHECK_OK(ingot_plugin_library_load(library_path()));
  CHECK_OK(ingot_plugin_library_load(library_path())); /* again: nothing new, no error */
  ingot_plugin_registry *reg = ingot_get_plugin_registry();
  const ingot_plugin_creator *c = NULL;
  CHECK_OK(ingot_plugin_registry_get_creator(reg, "SplitTail", "1", "ingot.example", &c));
  CHECK(c && strcmp(ingot_plugin_creator_get_namespace(c), "ingot.example") == 0);
  CHECK(ingot_plugin_creator_num_fields(c) == 1 && strcmp(ingot_plugin_creator_get_field(c, 0)->name, "k") == 0);
  CHECK(ingot_plugin_registry_num_creators(reg) >= 2);

  const float alpha = 1.5f;
  const int32_t k = 2;
  ingot_network *net = make_network(alpha, k);
  ingot_plan *plan = build(net, 4);
  ingot_network_destroy(net);
  if (!plan) return;
  ingot_runtime *runtime;
  ingot_engine *engine = NULL;
  CHECK_OK(ingot_runtime_create(NULL, &runtime));
  CHECK_OK(ingot_runtime_deserialize_engine(runtime, ingot_plan_data(plan), ingot_plan_size(plan), &engine));
  if (engine) {
    run_and_check(engine, 3, alpha, k, 1); /* two shapes of one profile, one plan */
    run_and_check(engine, 1, alpha, k, 2);
    ingot_layer_info info;
    CHECK_OK(ingot_engine_get_layer_info(engine, 0, &info));
    CHECK(strcmp(info.tactic, "plugin_cpu") == 0);
    ingot_engine_destroy(engine);
  }
  /* saved and loaded again */
  char path[] = "/tmp/ingot_test_plugin_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  if (fd >= 0) close(fd);
  CHECK_OK(ingot_plan_save(plan, path));
  engine = NULL;
  CHECK_OK(ingot_runtime_load_engine(runtime, path, &engine));
  if (engine) run_and_check(engine, 4, alpha, k, 3);
  ingot_engine_destroy(engine);

  /* the plugin gone: loading names it and the layer */
  CHECK_OK(ingot_plugin_registry_deregister_creator(reg, "ScaledSoftsign", "1", "ingot.example"));
  engine = NULL;
  CHECK_FAILS(ingot_runtime_load_engine(runtime, path, &engine), INGOT_NOT_FOUND,
              "plugin 'ScaledSoftsign' version '1' namespace 'ingot.example'");
  CHECK(strstr(ingot_last_error(), "ScaledSoftsign_") != NULL); /* the layer */
  CHECK(engine == NULL);
  CHECK_FAILS(ingot_plugin_registry_deregister_creator(reg, "ScaledSoftsign", "1", "ingot.example"),
              INGOT_NOT_FOUND, "ScaledSoftsign");
  /* and back: the library registers what is missing */
  CHECK_OK(ingot_plugin_library_load(library_path()));
  CHECK_OK(ingot_runtime_load_engine(runtime, path, &engine));
  ingot_engine_destroy(engine);
  remove(path);

  /* a corrupted state (checksum made right again): SplitTail's k = -1, which its
   * deserialize refuses; the error names the layer and the plugin */
  size_t size = ingot_plan_size(plan);
  unsigned char *bytes = malloc(size);
  memcpy(bytes, ingot_plan_data(plan), size);
  static const char record[] = "\x09\0\0\0SplitTail\x01\0\0\0" "1\x0d\0\0\0ingot.example";
  unsigned char *at = NULL;
  for (size_t i = 0; i + sizeof record - 1 <= size; i++)
    if (memcmp(bytes + i, record, sizeof record - 1) == 0) at = bytes + i + sizeof record - 1;
  CHECK(at != NULL);
  if (at) {
    memset(at + 8, 0xFF, 4);
    uint64_t sum = ingot_checksum64(bytes + INGOT_PLAN_HEADER_SIZE, size - INGOT_PLAN_HEADER_SIZE);
    for (int b = 0; b < 8; b++) bytes[INGOT_PLAN_OFF_CHECKSUM + b] = (unsigned char)(sum >> (8 * b));
    engine = NULL;
    CHECK_FAILS(ingot_runtime_deserialize_engine(runtime, bytes, size, &engine), INGOT_INVALID_PLAN,
                "cannot rebuild itself");
    CHECK(strstr(ingot_last_error(), "SplitTail") != NULL);
    CHECK(engine == NULL);
  }
  free(bytes);
  ingot_runtime_destroy(runtime);
  ingot_plan_destroy(plan);
}

static void test_bad_fields(void) {
  ingot_network *net;
  ingot_tensor *x;
  ingot_layer *layer = NULL;
  ingot_dims dims = {2, {2, 6}};
  CHECK_OK(ingot_network_create(NULL, &net));
  CHECK_OK(ingot_network_add_input(net, "x", INGOT_FLOAT32, &dims, &x));
  const char *text = "two";
  ingot_plugin_field wrong_type = {"alpha", INGOT_PLUGIN_FIELD_STRING, 3, text};
  CHECK_FAILS(ingot_network_add_plugin(net, &x, 1, "ScaledSoftsign", NULL, NULL, &wrong_type, 1, &layer),
              INGOT_INVALID_ARGUMENT, "field 'alpha': expected float32, given string");
  CHECK_FAILS(ingot_network_add_plugin(net, &x, 1, "ScaledSoftsign", NULL, NULL, NULL, 0, &layer),
              INGOT_INVALID_ARGUMENT, "required field 'alpha'");
  float two[2] = {1, 2};
  ingot_plugin_field wrong_length = {"alpha", INGOT_PLUGIN_FIELD_FLOAT32, 2, two};
  CHECK_FAILS(ingot_network_add_plugin(net, &x, 1, "ScaledSoftsign", NULL, NULL, &wrong_length, 1, &layer),
              INGOT_INVALID_ARGUMENT, "field 'alpha': expected 1 value, given 2");
  ingot_plugin_field unknown = {"beta", INGOT_PLUGIN_FIELD_FLOAT32, 1, two};
  CHECK_FAILS(ingot_network_add_plugin(net, &x, 1, "ScaledSoftsign", NULL, NULL, &unknown, 1, &layer),
              INGOT_INVALID_ARGUMENT, "unknown field 'beta'");
  int64_t big = (int64_t)1 << 40;
  ingot_plugin_field overflow = {"k", INGOT_PLUGIN_FIELD_INT64, 1, &big};
  CHECK_FAILS(ingot_network_add_plugin(net, &x, 1, "SplitTail", NULL, NULL, &overflow, 1, &layer),
              INGOT_INVALID_ARGUMENT, "does not fit int32");
  CHECK_FAILS(ingot_network_add_plugin(net, &x, 1, "NoSuchPlugin", NULL, NULL, NULL, 0, &layer), INGOT_NOT_FOUND,
              "NoSuchPlugin");
  CHECK_FAILS(ingot_network_add_plugin(net, NULL, 1, "SplitTail", NULL, NULL, NULL, 0, &layer),
              INGOT_INVALID_ARGUMENT, "inputs");
  CHECK_FAILS(ingot_network_add_plugin(net, &x, 0, "SplitTail", NULL, NULL, NULL, 0, &layer),
              INGOT_INVALID_ARGUMENT, "nb_inputs");
  CHECK(ingot_network_num_layers(net) == 0);
  /* k beyond the last dim: the dims expression goes negative, the build names the layer */
  int32_t k = 9;
  ingot_plugin_field kf = {"k", INGOT_PLUGIN_FIELD_INT32, 1, &k};
  CHECK_OK(ingot_network_add_plugin(net, &x, 1, "SplitTail", NULL, NULL, &kf, 1, &layer));
  CHECK_OK(ingot_network_mark_output(net, ingot_layer_get_output(layer, 0)));
  ingot_builder *builder;
  ingot_builder_config *config;
  ingot_plan *plan = NULL;
  CHECK_OK(ingot_builder_create(NULL, &builder));
  CHECK_OK(ingot_builder_config_create(&config));
  CHECK_FAILS(ingot_builder_build_serialized_network(builder, net, config, &plan), INGOT_INVALID_GRAPH,
              "evaluates to -3, negative");
  ingot_builder_config_destroy(config);
  ingot_builder_destroy(builder);
  ingot_network_destroy(net);
}

/* ---- a plugin defined here whose enqueue fails ------------------------------------------- */
static int32_t one(void *self) { return 1; }
static ingot_status same_dtype(void *self, const ingot_dtype *in, int32_t n, ingot_dtype *out, int32_t m) {
  out[0] = in[0];
  return INGOT_SUCCESS;
}
static ingot_status same_dims(void *self, const ingot_dims_expr *in, int32_t n, ingot_dims_expr *out, int32_t m,
                              ingot_expr_builder *b) {
  int64_t v = 0;
  CHECK(b->get_constant(b, ingot_expr_constant(b, 7), &v) == 1 && v == 7);
  CHECK(b->get_constant(b, in[0].d[0], &v) == 0); /* input dims are not constants */
  const ingot_dim_expr *q = ingot_expr_operation(b, INGOT_DIM_CEIL_DIV, ingot_expr_constant(b, 7),
                                                 ingot_expr_constant(b, 2));
  CHECK(b->get_constant(b, q, &v) == 1 && v == 4);
  out[0] = in[0];
  return INGOT_SUCCESS;
}
static ingot_status no_state(void *self, void *buf, size_t cap, size_t *size) {
  *size = 0;
  return INGOT_SUCCESS;
}
static ingot_status fails(void *self, const ingot_plugin_tensor *in, int32_t n, const ingot_plugin_tensor *out,
                          int32_t m, void *ws, void *stream) {
  return INGOT_RUNTIME_ERROR;
}
static int instances = 0;
static ingot_status clone_it(void *self, void **out) {
  instances++;
  *out = self;
  return INGOT_SUCCESS;
}
static void destroy_it(void *self) { instances--; }
static const ingot_plugin_vtbl failing_vtbl = {sizeof(ingot_plugin_vtbl), INGOT_PLUGIN_ABI_VERSION, one, same_dtype,
                                               same_dims, NULL, NULL, no_state, fails, NULL, clone_it, destroy_it};
static ingot_status failing_create(void *ud, const char *name, const ingot_plugin_field *f, int32_t n,
                                   ingot_plugin_instance *out) {
  instances++;
  out->vtbl = &failing_vtbl;
  out->self = ud;
  return INGOT_SUCCESS;
}
static ingot_status failing_deserialize(void *ud, const char *name, const void *d, size_t s,
                                        ingot_plugin_instance *out) {
  return failing_create(ud, name, NULL, 0, out);
}

static void test_failing_plugin(void) {
  ingot_plugin_registry *reg = ingot_get_plugin_registry();
  ingot_plugin_creator_desc desc = {sizeof desc, INGOT_PLUGIN_ABI_VERSION, "AlwaysFails", "2", "", NULL, 0,
                                    failing_create, failing_deserialize, NULL, NULL};
  CHECK_OK(ingot_plugin_registry_register_creator(reg, &desc, NULL));
  CHECK_FAILS(ingot_plugin_registry_register_creator(reg, &desc, NULL), INGOT_INVALID_ARGUMENT, "already registered");
  ingot_plugin_creator_desc old = desc;
  old.abi_version = 0;
  old.name = "Old";
  CHECK_FAILS(ingot_plugin_registry_register_creator(reg, &old, NULL), INGOT_VERSION_MISMATCH, "ABI version");
  CHECK_FAILS(ingot_plugin_registry_register_creator(NULL, &desc, NULL), INGOT_INVALID_ARGUMENT, "registry");
  CHECK_FAILS(ingot_plugin_library_load("/nonexistent/libnothing.so"), INGOT_IO_ERROR, "/nonexistent/libnothing.so");

  ingot_network *net;
  ingot_tensor *x;
  ingot_layer *layer;
  ingot_dims dims = {1, {5}};
  CHECK_OK(ingot_network_create(NULL, &net));
  CHECK_OK(ingot_network_add_input(net, "x", INGOT_FLOAT32, &dims, &x));
  CHECK_OK(ingot_network_add_plugin(net, &x, 1, "AlwaysFails", NULL, NULL, NULL, 0, &layer));
  CHECK_OK(ingot_layer_set_name(layer, "the_failing_layer"));
  CHECK_OK(ingot_tensor_set_name(ingot_layer_get_output(layer, 0), "y"));
  CHECK_OK(ingot_network_mark_output(net, ingot_layer_get_output(layer, 0)));
  ingot_builder *builder;
  ingot_builder_config *config;
  ingot_plan *plan = NULL;
  CHECK_OK(ingot_builder_create(NULL, &builder));
  CHECK_OK(ingot_builder_config_create(&config));
  CHECK_OK(ingot_builder_build_serialized_network(builder, net, config, &plan));
  ingot_runtime *runtime;
  ingot_engine *engine = NULL;
  CHECK_OK(ingot_runtime_create(NULL, &runtime));
  if (plan) CHECK_OK(ingot_runtime_deserialize_engine(runtime, ingot_plan_data(plan), ingot_plan_size(plan), &engine));
  if (engine) {
    ingot_execution_context *ctx;
    float in[5] = {0}, out[5];
    CHECK_OK(ingot_engine_create_execution_context(engine, &ctx));
    CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "x", in));
    CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "y", out));
    CHECK_FAILS(ingot_execution_context_execute(ctx), INGOT_RUNTIME_ERROR, "the_failing_layer");
    CHECK(strstr(ingot_last_error(), "AlwaysFails") != NULL);
    ingot_execution_context_destroy(ctx);
    ingot_engine_destroy(engine);
  }
  ingot_runtime_destroy(runtime);
  ingot_plan_destroy(plan);
  ingot_builder_config_destroy(config);
  ingot_builder_destroy(builder);
  ingot_network_destroy(net);
  CHECK(instances == 0); /* every clone destroyed */
  CHECK_OK(ingot_plugin_registry_deregister_creator(reg, "AlwaysFails", NULL, NULL));
}

/* ---- a plugin defined here that needs a workspace ------------------------------------------
 * SuffixSum: y[r][c] = x[r][c] + ... + x[r][cols-1], through the workspace: each row's
 * reversed prefix sums (cols + 1 floats per row) for `copies` rounds, the last one read
 * back. Its workspace size depends on both input dims and is a multiple of 64 bytes, so
 * the 64-byte rounding of ingot's allocations adds no slack: a workspace smaller than
 * asked ends where ASan's redzone starts. enqueue writes every byte it asked for. */
typedef struct suffix_sum {
  int32_t copies;
} suffix_sum;
static struct {
  int asked;              /* get_workspace_size calls */
  int64_t rows, cols;     /* dims of the last ask */
  uint64_t largest;       /* the largest size answered */
  int enqueued, misaligned;
} ws_log;

static uint64_t suffix_sum_bytes(int32_t copies, int64_t rows, int64_t cols) {
  uint64_t b = (uint64_t)copies * (uint64_t)(rows * (cols + 1)) * sizeof(float);
  return (b + 63) / 64 * 64;
}
static uint64_t suffix_sum_workspace(void *self, const ingot_plugin_tensor *in, int32_t n,
                                     const ingot_plugin_tensor *out, int32_t m) {
  const suffix_sum *s = self;
  CHECK(in[0].data == NULL && in[0].dims.nb_dims == 2 && out[0].dims.nb_dims == 2);
  uint64_t b = suffix_sum_bytes(s->copies, in[0].dims.d[0], in[0].dims.d[1]);
  ws_log.asked++;
  ws_log.rows = in[0].dims.d[0];
  ws_log.cols = in[0].dims.d[1];
  if (b > ws_log.largest) ws_log.largest = b;
  return b;
}
static ingot_status suffix_sum_state(void *self, void *buf, size_t cap, size_t *size) {
  *size = sizeof(int32_t);
  if (buf) {
    if (cap < sizeof(int32_t)) return INGOT_INVALID_ARGUMENT;
    memcpy(buf, &((suffix_sum *)self)->copies, sizeof(int32_t));
  }
  return INGOT_SUCCESS;
}
static ingot_status suffix_sum_run(void *self, const ingot_plugin_tensor *in, int32_t n,
                                   const ingot_plugin_tensor *out, int32_t m, void *ws, void *stream) {
  const suffix_sum *s = self;
  int64_t rows = in[0].dims.d[0], cols = in[0].dims.d[1];
  uint64_t bytes = suffix_sum_bytes(s->copies, rows, cols);
  ws_log.enqueued++;
  if (!ws || ((uintptr_t)ws & 63) != 0) {
    ws_log.misaligned++;
    return INGOT_RUNTIME_ERROR;
  }
  memset(ws, 0xA5, (size_t)bytes); /* every byte asked for, the rounding slack included */
  const float *x = in[0].data;
  float *y = out[0].data, *w = ws;
  for (int32_t k = 0; k < s->copies; k++) {
    float *round = w + (int64_t)k * rows * (cols + 1);
    for (int64_t r = 0; r < rows; r++) {
      float *p = round + r * (cols + 1);
      p[0] = 0.0f;
      for (int64_t j = 0; j < cols; j++) p[j + 1] = p[j] + x[r * cols + (cols - 1 - j)];
    }
  }
  const float *last = w + (int64_t)(s->copies - 1) * rows * (cols + 1);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) y[r * cols + c] = last[r * (cols + 1) + (cols - c)];
  return INGOT_SUCCESS;
}
static ingot_status suffix_sum_clone(void *self, void **out) {
  suffix_sum *c = malloc(sizeof *c);
  if (!c) return INGOT_OUT_OF_MEMORY;
  *c = *(suffix_sum *)self;
  *out = c;
  return INGOT_SUCCESS;
}
static void suffix_sum_destroy(void *self) { free(self); }
static ingot_status suffix_sum_dims(void *self, const ingot_dims_expr *in, int32_t n, ingot_dims_expr *out, int32_t m,
                                    ingot_expr_builder *b) {
  out[0] = in[0];
  return INGOT_SUCCESS;
}
static const ingot_plugin_vtbl suffix_sum_vtbl = {
    sizeof(ingot_plugin_vtbl), INGOT_PLUGIN_ABI_VERSION, one, same_dtype, suffix_sum_dims, NULL,
    suffix_sum_workspace, suffix_sum_state, suffix_sum_run, NULL, suffix_sum_clone, suffix_sum_destroy};
static ingot_status suffix_sum_make(int32_t copies, ingot_plugin_instance *out) {
  if (copies < 1 || copies > 16) return INGOT_INVALID_ARGUMENT;
  suffix_sum *s = malloc(sizeof *s);
  if (!s) return INGOT_OUT_OF_MEMORY;
  s->copies = copies;
  out->vtbl = &suffix_sum_vtbl;
  out->self = s;
  return INGOT_SUCCESS;
}
static ingot_status suffix_sum_create(void *ud, const char *name, const ingot_plugin_field *f, int32_t n,
                                      ingot_plugin_instance *out) {
  return suffix_sum_make(n == 1 ? *(const int32_t *)f[0].data : 1, out);
}
static ingot_status suffix_sum_deserialize(void *ud, const char *name, const void *d, size_t size,
                                           ingot_plugin_instance *out) {
  int32_t copies;
  if (size != sizeof copies) return INGOT_INVALID_ARGUMENT;
  memcpy(&copies, d, sizeof copies);
  return suffix_sum_make(copies, out);
}

/* y = x's suffix sums through the workspace, its rows then summed once more:
 * x [-1, -1] -> SuffixSum(copies 1) -> SuffixSum(copies 3) -> y; two plugin layers whose
 * workspaces differ, one context run at three shapes of one profile (growing, shrinking,
 * growing again), the plan round-tripped. */
static void suffix_sum_reference(const float *x, float *y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    float acc = 0.0f;
    for (int64_t c = cols - 1; c >= 0; c--) y[r * cols + c] = acc += x[r * cols + c];
  }
}

static void run_suffix_sums(ingot_execution_context *ctx, int64_t rows, int64_t cols, uint64_t seed) {
  float x[4 * 17], mid[4 * 17], want[4 * 17], y[4 * 17 + 1];
  for (int64_t i = 0; i < rows * cols; i++) x[i] = test_randf(&seed);
  suffix_sum_reference(x, mid, rows, cols);
  suffix_sum_reference(mid, want, rows, cols);
  y[rows * cols] = 1234.5f; /* a guard after the output */
  ingot_dims dims = {2, {rows, cols}};
  int asked = ws_log.asked, enqueued = ws_log.enqueued;
  CHECK_OK(ingot_execution_context_set_input_shape(ctx, "x", &dims));
  CHECK(ws_log.asked > asked && ws_log.rows == rows && ws_log.cols == cols); /* asked again at these dims */
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "x", x));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "y", y));
  CHECK_OK(ingot_execution_context_execute(ctx));
  CHECK(ws_log.enqueued == enqueued + 2);
  for (int64_t i = 0; i < rows * cols; i++) CHECK_NEAR(y[i], want[i], 1e-5);
  CHECK(y[rows * cols] == 1234.5f);
}

static void test_workspace_plugin(void) {
  ingot_plugin_registry *reg = ingot_get_plugin_registry();
  static const ingot_plugin_field_decl copies_decl = {"copies", INGOT_PLUGIN_FIELD_INT32, 1, 0};
  ingot_plugin_creator_desc desc = {sizeof desc, INGOT_PLUGIN_ABI_VERSION, "SuffixSum", "1", "ingot.test",
                                    &copies_decl, 1, suffix_sum_create, suffix_sum_deserialize, NULL, NULL};
  CHECK_OK(ingot_plugin_registry_register_creator(reg, &desc, NULL));
  ingot_network *net;
  ingot_tensor *x;
  ingot_layer *a, *b;
  ingot_dims dims = {2, {-1, -1}};
  CHECK_OK(ingot_network_create(NULL, &net));
  CHECK_OK(ingot_network_add_input(net, "x", INGOT_FLOAT32, &dims, &x));
  CHECK_OK(ingot_network_add_plugin(net, &x, 1, "SuffixSum", "1", "ingot.test", NULL, 0, &a));
  int32_t three = 3;
  ingot_plugin_field copies = {"copies", INGOT_PLUGIN_FIELD_INT32, 1, &three};
  ingot_tensor *mid = ingot_layer_get_output(a, 0);
  CHECK_OK(ingot_network_add_plugin(net, &mid, 1, "SuffixSum", "1", "ingot.test", &copies, 1, &b));
  CHECK_OK(ingot_tensor_set_name(ingot_layer_get_output(b, 0), "y"));
  CHECK_OK(ingot_network_mark_output(net, ingot_layer_get_output(b, 0)));
  ingot_plan *plan = build_profile(net, (ingot_dims){2, {1, 1}}, (ingot_dims){2, {2, 5}}, (ingot_dims){2, {4, 17}});
  ingot_network_destroy(net);
  ingot_runtime *runtime;
  CHECK_OK(ingot_runtime_create(NULL, &runtime));
  for (int pass = 0; pass < 2 && plan; pass++) { /* the plan as built, then saved and loaded */
    ingot_engine *engine = NULL;
    if (pass == 0) {
      CHECK_OK(ingot_runtime_deserialize_engine(runtime, ingot_plan_data(plan), ingot_plan_size(plan), &engine));
    } else {
      char path[] = "/tmp/ingot_test_plugin_ws_XXXXXX";
      int fd = mkstemp(path);
      CHECK(fd >= 0);
      if (fd >= 0) close(fd);
      CHECK_OK(ingot_plan_save(plan, path));
      CHECK_OK(ingot_runtime_load_engine(runtime, path, &engine));
      remove(path);
    }
    if (!engine) continue;
    ingot_execution_context *ctx;
    CHECK_OK(ingot_engine_create_execution_context(engine, &ctx));
    ws_log.largest = 0;
    run_suffix_sums(ctx, 2, 5, 11);  /* the opt shape */
    run_suffix_sums(ctx, 4, 17, 12); /* larger: the workspace must grow */
    CHECK(ws_log.largest == suffix_sum_bytes(3, 4, 17));
    run_suffix_sums(ctx, 1, 3, 13);  /* smaller */
    run_suffix_sums(ctx, 3, 16, 14);
    /* a second context: its own workspace, first sized at the max */
    ingot_execution_context *ctx2;
    CHECK_OK(ingot_engine_create_execution_context(engine, &ctx2));
    run_suffix_sums(ctx2, 4, 17, 15);
    run_suffix_sums(ctx, 4, 16, 16);
    ingot_execution_context_destroy(ctx2);
    ingot_execution_context_destroy(ctx);
    ingot_engine_destroy(engine);
  }
  CHECK(ws_log.misaligned == 0);
  ingot_runtime_destroy(runtime);
  ingot_plan_destroy(plan);
  CHECK_OK(ingot_plugin_registry_deregister_creator(reg, "SuffixSum", "1", "ingot.test"));
}

int main(void) {
  test_workspace_plugin(); /* defined here: needs no library */
  FILE *f = fopen(library_path(), "rb");
  if (!f) {
    fprintf(stderr, "skipped: %s not built\n", library_path());
    TEST_EXIT();
  }
  fclose(f);
  test_example_library();
  test_bad_fields();
  test_failing_plugin();
  TEST_EXIT();
}
