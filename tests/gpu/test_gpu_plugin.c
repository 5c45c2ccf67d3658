/* Plugins on the CUDA target: the example library's ScaledSoftsign and SplitTail
 * (examples/plugin, built with its CUDA half) in an engine built for CUDA run through
 * their enqueue_cuda (tactic plugin_cuda) on device memory, at two shapes of one profile
 * and again after a plan round trip, against the scalar formula. Skipped (77) without a
 * CUDA device. The library: $INGOT_EXAMPLE_PLUGINS or the build's examples/. */
#include <stdlib.h>
#include <string.h>

#include "gpu_util.h"

static const char *library_path(void) {
  const char *env = getenv("INGOT_EXAMPLE_PLUGINS");
  return env ? env : INGOT_BINARY_DIR "/examples/libingot_example_plugins.so";
}

static ingot_plan *build_plan(float alpha, int32_t k) {
  ingot_network *net;
  ingot_tensor *x;
  ingot_layer *act, *split;
  ingot_dims dims = {2, {-1, 33}};
  CHECK_OK(ingot_network_create(NULL, &net));
  CHECK_OK(ingot_network_add_input(net, "x", INGOT_FLOAT32, &dims, &x));
  ingot_plugin_field af = {"alpha", INGOT_PLUGIN_FIELD_FLOAT32, 1, &alpha};
  ingot_plugin_field kf = {"k", INGOT_PLUGIN_FIELD_INT32, 1, &k};
  CHECK_OK(ingot_network_add_plugin(net, &x, 1, "ScaledSoftsign", "1", "ingot.example", &af, 1, &act));
  ingot_tensor *y = ingot_layer_get_output(act, 0);
  CHECK_OK(ingot_network_add_plugin(net, &y, 1, "SplitTail", "1", "ingot.example", &kf, 1, &split));
  CHECK_OK(ingot_tensor_set_name(ingot_layer_get_output(split, 0), "head"));
  CHECK_OK(ingot_tensor_set_name(ingot_layer_get_output(split, 1), "tail"));
  CHECK_OK(ingot_network_mark_output(net, ingot_layer_get_output(split, 0)));
  CHECK_OK(ingot_network_mark_output(net, ingot_layer_get_output(split, 1)));
  ingot_builder *b;
  ingot_builder_config *cfg;
  ingot_optimization_profile *prof;
  ingot_dims mn = {2, {1, 33}}, opt = {2, {64, 33}}, mx = {2, {1000, 33}};
  CHECK_OK(ingot_builder_create(NULL, &b));
  CHECK_OK(ingot_builder_config_create(&cfg));
  CHECK_OK(ingot_builder_config_set_target(cfg, INGOT_TARGET_CUDA, 0));
  CHECK_OK(ingot_optimization_profile_create(&prof));
  CHECK_OK(ingot_optimization_profile_set_dimensions(prof, "x", INGOT_PROFILE_MIN, &mn));
  CHECK_OK(ingot_optimization_profile_set_dimensions(prof, "x", INGOT_PROFILE_OPT, &opt));
  CHECK_OK(ingot_optimization_profile_set_dimensions(prof, "x", INGOT_PROFILE_MAX, &mx));
  CHECK_OK(ingot_builder_config_add_optimization_profile(cfg, prof, NULL));
  ingot_plan *plan = NULL;
  CHECK_OK(ingot_builder_build_serialized_network(b, net, cfg, &plan));
  ingot_optimization_profile_destroy(prof);
  ingot_builder_config_destroy(cfg);
  ingot_builder_destroy(b);
  ingot_network_destroy(net);
  return plan;
}

static void run_and_check(ingot_engine *e, int64_t rows, float alpha, int32_t k, uint64_t seed) {
  const int64_t width = 33, n = rows * width;
  float *x = malloc((size_t)n * 4), *head = malloc((size_t)n * 4), *tail = malloc((size_t)n * 4);
  float *want = malloc((size_t)n * 4);
  for (int64_t i = 0; i < n; i++) x[i] = 3.0f * test_randf(&seed), want[i] = alpha * x[i] / (1.0f + fabsf(x[i]));
  void *dx = NULL, *dh = NULL, *dt = NULL;
  CHECK_OK(ingot_device_malloc(INGOT_TARGET_CUDA, (uint64_t)n * 4, &dx));
  CHECK_OK(ingot_device_malloc(INGOT_TARGET_CUDA, (uint64_t)n * 4, &dh));
  CHECK_OK(ingot_device_malloc(INGOT_TARGET_CUDA, (uint64_t)n * 4, &dt));
  CHECK_OK(ingot_device_copy_to_device(INGOT_TARGET_CUDA, dx, x, (uint64_t)n * 4));
  ingot_execution_context *ctx;
  CHECK_OK(ingot_engine_create_execution_context(e, &ctx));
  ingot_dims d = {2, {rows, width}};
  CHECK_OK(ingot_execution_context_set_input_shape(ctx, "x", &d));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "x", dx));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "head", dh));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "tail", dt));
  CHECK_OK(ingot_execution_context_execute(ctx));
  CHECK_OK(ingot_device_copy_to_host(INGOT_TARGET_CUDA, head, dh, (uint64_t)(rows * k) * 4));
  CHECK_OK(ingot_device_copy_to_host(INGOT_TARGET_CUDA, tail, dt, (uint64_t)(rows * (width - k)) * 4));
  double worst = 0;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < width; c++) {
      float got = c < k ? head[r * k + c] : tail[r * (width - k) + c - k];
      double err = fabs((double)got - (double)want[r * width + c]);
      if (!(err <= worst)) worst = err;
    }
  printf("rows %lld: max abs error %.3g\n", (long long)rows, worst);
  CHECK(worst <= 1e-6);
  ingot_execution_context_destroy(ctx);
  ingot_device_free(INGOT_TARGET_CUDA, dx);
  ingot_device_free(INGOT_TARGET_CUDA, dh);
  ingot_device_free(INGOT_TARGET_CUDA, dt);
  free(x), free(head), free(tail), free(want);
}

int main(void) {
  gpu_require_device("test_gpu_plugin");
  if (ingot_plugin_library_load(library_path()) != INGOT_SUCCESS) {
    fprintf(stderr, "test_gpu_plugin: %s\n", ingot_last_error());
    return 1;
  }
  const float alpha = 1.25f;
  const int32_t k = 5;
  ingot_plan *plan = build_plan(alpha, k);
  if (!plan) TEST_EXIT();
  ingot_runtime *rt;
  ingot_engine *e = NULL;
  CHECK_OK(ingot_runtime_create(NULL, &rt));
  CHECK_OK(ingot_runtime_deserialize_engine(rt, ingot_plan_data(plan), ingot_plan_size(plan), &e));
  if (e) {
    CHECK(ingot_engine_get_target(e) == INGOT_TARGET_CUDA);
    for (int32_t i = 0; i < ingot_engine_num_layers(e); i++) {
      ingot_layer_info info;
      CHECK_OK(ingot_engine_get_layer_info(e, i, &info));
      printf("layer %s: %s\n", info.name, info.tactic);
      CHECK(strcmp(info.tactic, "plugin_cuda") == 0);
    }
    run_and_check(e, 1000, alpha, k, 7); /* two shapes, one plan */
    run_and_check(e, 3, alpha, k, 8);
    ingot_engine_destroy(e);
  }
  /* the plan again, from bytes copied elsewhere */
  void *copy = malloc(ingot_plan_size(plan));
  memcpy(copy, ingot_plan_data(plan), ingot_plan_size(plan));
  e = NULL;
  CHECK_OK(ingot_runtime_deserialize_engine(rt, copy, ingot_plan_size(plan), &e));
  if (e) run_and_check(e, 17, alpha, k, 9);
  ingot_engine_destroy(e);
  free(copy);
  ingot_runtime_destroy(rt);
  ingot_plan_destroy(plan);
  TEST_EXIT();
}
