/* Plugins from C: the example library (examples/plugin) loaded through the registry,
 * ScaledSoftsign and SplitTail against scalar references on random inputs with one plan
 * serving two shapes of a profile, the plan saved, loaded and run again; the missing
 * plugin (a plan whose plugin is deregistered), a plugin whose enqueue fails, bad fields,
 * registry misuse, and a corrupted plugin state in a plan. */
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

static ingot_plan *build(ingot_network *net, int64_t max_batch) {
  ingot_builder *builder;
  ingot_builder_config *config;
  ingot_optimization_profile *profile;
  ingot_dims mn = {2, {1, 6}}, opt = {2, {2, 6}}, mx = {2, {max_batch, 6}};
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

int main(void) {
  FILE *f = fopen(library_path(), "rb");
  if (!f) {
    fprintf(stderr, "skipped: %s not built\n", library_path());
    return 0;
  }
  fclose(f);
  test_example_library();
  test_bad_fields();
  test_failing_plugin();
  TEST_EXIT();
}
