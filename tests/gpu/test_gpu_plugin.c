/* Plugins on the CUDA target: the example library's ScaledSoftsign and SplitTail
 * (examples/plugin, built with its CUDA half) in an engine built for CUDA run through
 * their enqueue_cuda (tactic plugin_cuda) on device memory, at two shapes of one profile
 * and again after a plan round trip, against the scalar formula; and a plugin defined
 * here whose workspace size depends on its input dims (RowReverse: rows reversed through
 * the workspace, which its enqueue_cuda fills entirely), at three shapes of one profile
 * on one context. Skipped (77) without a CUDA device. The library: $INGOT_EXAMPLE_PLUGINS
 * or the build's examples/. */
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "gpu_util.h"

static const char *library_path(void) {
  const char *env = getenv("INGOT_EXAMPLE_PLUGINS");
  return env ? env : INGOT_BINARY_DIR "/examples/libingot_example_plugins.so";
}

/* A CUDA plan of `net` (destroyed) with one profile for x [rows, cols], rows min..max. */
static ingot_plan *build_cuda(ingot_network *net, int64_t cols, int64_t min_rows, int64_t opt_rows, int64_t max_rows) {
  ingot_builder *b;
  ingot_builder_config *cfg;
  ingot_optimization_profile *prof;
  ingot_dims mn = {2, {min_rows, cols}}, opt = {2, {opt_rows, cols}}, mx = {2, {max_rows, cols}};
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
  return build_cuda(net, 33, 1, 64, 1000);
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

/* ---- RowReverse: y[r] = x[rows - 1 - r], through a workspace of round_up(rows * cols * 4 +
 * 4096, 256) bytes (all of it written: set, then the rows copied in reversed, then copied
 * out). It records whether the workspace was device memory, 64-byte aligned. */
static struct {
  int asked, enqueued, not_device, misaligned, cuda_errors;
  int64_t rows;
} rr_log;
static int32_t rr_one(void *self) { return 1; }
static ingot_status rr_dtypes(void *self, const ingot_dtype *in, int32_t n, ingot_dtype *out, int32_t m) {
  out[0] = in[0];
  return INGOT_SUCCESS;
}
static ingot_status rr_dims(void *self, const ingot_dims_expr *in, int32_t n, ingot_dims_expr *out, int32_t m,
                            ingot_expr_builder *b) {
  out[0] = in[0];
  return INGOT_SUCCESS;
}
static int32_t rr_formats(void *self, int32_t position, int32_t nb_inputs, ingot_dtype dtype, int32_t target) {
  return dtype == INGOT_FLOAT32;
}
static uint64_t rr_bytes(int64_t rows, int64_t cols) { return ((uint64_t)(rows * cols) * 4 + 4096 + 255) / 256 * 256; }
static uint64_t rr_workspace(void *self, const ingot_plugin_tensor *in, int32_t n, const ingot_plugin_tensor *out,
                             int32_t m) {
  rr_log.asked++;
  rr_log.rows = in[0].dims.d[0];
  return rr_bytes(in[0].dims.d[0], in[0].dims.d[1]);
}
static ingot_status rr_state(void *self, void *buf, size_t cap, size_t *size) {
  *size = 0;
  return INGOT_SUCCESS;
}
static ingot_status rr_run_cpu(void *self, const ingot_plugin_tensor *in, int32_t n, const ingot_plugin_tensor *out,
                               int32_t m, void *ws, void *stream) {
  int64_t rows = in[0].dims.d[0], cols = in[0].dims.d[1];
  size_t row = (size_t)cols * 4;
  memset(ws, 0x7F, (size_t)rr_bytes(rows, cols));
  for (int64_t r = 0; r < rows; r++)
    memcpy((char *)ws + (size_t)(rows - 1 - r) * row, (const char *)in[0].data + r * row, row);
  memcpy(out[0].data, ws, (size_t)rows * row);
  return INGOT_SUCCESS;
}
static ingot_status rr_run_cuda(void *self, const ingot_plugin_tensor *in, int32_t n, const ingot_plugin_tensor *out,
                                int32_t m, void *ws, void *stream) {
  int64_t rows = in[0].dims.d[0], cols = in[0].dims.d[1];
  size_t row = (size_t)cols * 4;
  cudaStream_t s = (cudaStream_t)stream;
  struct cudaPointerAttributes attr;
  rr_log.enqueued++;
  if (cudaPointerGetAttributes(&attr, ws) != cudaSuccess || attr.type != cudaMemoryTypeDevice) rr_log.not_device++;
  if (((uintptr_t)ws & 63) != 0) rr_log.misaligned++; /* the 64 bytes plugin.h promises */
  cudaError_t e = cudaMemsetAsync(ws, 0x7F, (size_t)rr_bytes(rows, cols), s);
  for (int64_t r = 0; r < rows && e == cudaSuccess; r++)
    e = cudaMemcpyAsync((char *)ws + (size_t)(rows - 1 - r) * row, (const char *)in[0].data + r * row, row,
                        cudaMemcpyDeviceToDevice, s);
  if (e == cudaSuccess) e = cudaMemcpyAsync(out[0].data, ws, (size_t)rows * row, cudaMemcpyDeviceToDevice, s);
  if (e != cudaSuccess) {
    rr_log.cuda_errors++;
    return INGOT_RUNTIME_ERROR;
  }
  return INGOT_SUCCESS;
}
static ingot_status rr_clone(void *self, void **out) {
  *out = self;
  return INGOT_SUCCESS;
}
static void rr_destroy(void *self) {}
static const ingot_plugin_vtbl rr_vtbl = {sizeof(ingot_plugin_vtbl), INGOT_PLUGIN_ABI_VERSION, rr_one, rr_dtypes,
                                          rr_dims, rr_formats, rr_workspace, rr_state, rr_run_cpu, rr_run_cuda,
                                          rr_clone, rr_destroy};
static ingot_status rr_create(void *ud, const char *name, const ingot_plugin_field *f, int32_t n,
                              ingot_plugin_instance *out) {
  out->vtbl = &rr_vtbl;
  out->self = NULL;
  return INGOT_SUCCESS;
}
static ingot_status rr_deserialize(void *ud, const char *name, const void *d, size_t size,
                                   ingot_plugin_instance *out) {
  return rr_create(ud, name, NULL, 0, out);
}

static void run_row_reverse(ingot_execution_context *ctx, int64_t rows, int64_t cols, uint64_t seed) {
  const int64_t n = rows * cols;
  float *x = malloc((size_t)n * 4), *y = malloc((size_t)n * 4);
  for (int64_t i = 0; i < n; i++) x[i] = test_randf(&seed);
  void *dx = NULL, *dy = NULL;
  CHECK_OK(ingot_device_malloc(INGOT_TARGET_CUDA, (uint64_t)n * 4, &dx));
  CHECK_OK(ingot_device_malloc(INGOT_TARGET_CUDA, (uint64_t)n * 4, &dy));
  CHECK_OK(ingot_device_copy_to_device(INGOT_TARGET_CUDA, dx, x, (uint64_t)n * 4));
  ingot_dims d = {2, {rows, cols}};
  int asked = rr_log.asked;
  CHECK_OK(ingot_execution_context_set_input_shape(ctx, "x", &d));
  CHECK(rr_log.asked > asked && rr_log.rows == rows); /* asked again at these dims */
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "x", dx));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "y", dy));
  CHECK_OK(ingot_execution_context_execute(ctx));
  CHECK_OK(ingot_device_copy_to_host(INGOT_TARGET_CUDA, y, dy, (uint64_t)n * 4));
  int64_t wrong = 0;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) wrong += y[r * cols + c] != x[(rows - 1 - r) * cols + c];
  printf("RowReverse rows %lld: %lld wrong\n", (long long)rows, (long long)wrong);
  CHECK(wrong == 0);
  ingot_device_free(INGOT_TARGET_CUDA, dx);
  ingot_device_free(INGOT_TARGET_CUDA, dy);
  free(x), free(y);
}

static void test_workspace_plugin(void) {
  ingot_plugin_registry *reg = ingot_get_plugin_registry();
  ingot_plugin_creator_desc desc = {sizeof desc, INGOT_PLUGIN_ABI_VERSION, "RowReverse", "1", "ingot.test", NULL, 0,
                                    rr_create, rr_deserialize, NULL, NULL};
  CHECK_OK(ingot_plugin_registry_register_creator(reg, &desc, NULL));
  ingot_network *net;
  ingot_tensor *x;
  ingot_layer *layer;
  ingot_dims dims = {2, {-1, 37}};
  CHECK_OK(ingot_network_create(NULL, &net));
  CHECK_OK(ingot_network_add_input(net, "x", INGOT_FLOAT32, &dims, &x));
  CHECK_OK(ingot_network_add_plugin(net, &x, 1, "RowReverse", "1", "ingot.test", NULL, 0, &layer));
  CHECK_OK(ingot_tensor_set_name(ingot_layer_get_output(layer, 0), "y"));
  CHECK_OK(ingot_network_mark_output(net, ingot_layer_get_output(layer, 0)));
  ingot_plan *plan = build_cuda(net, 37, 1, 16, 300);
  ingot_runtime *rt;
  ingot_engine *e = NULL;
  CHECK_OK(ingot_runtime_create(NULL, &rt));
  if (plan) CHECK_OK(ingot_runtime_deserialize_engine(rt, ingot_plan_data(plan), ingot_plan_size(plan), &e));
  if (e) {
    ingot_layer_info info;
    CHECK_OK(ingot_engine_get_layer_info(e, 0, &info));
    CHECK(strcmp(info.tactic, "plugin_cuda") == 0);
    ingot_execution_context *ctx;
    CHECK_OK(ingot_engine_create_execution_context(e, &ctx));
    run_row_reverse(ctx, 16, 37, 21);  /* the opt shape */
    run_row_reverse(ctx, 300, 37, 22); /* larger: the workspace must grow */
    run_row_reverse(ctx, 3, 37, 23);   /* smaller */
    run_row_reverse(ctx, 299, 37, 24);
    ingot_execution_context_destroy(ctx);
    ingot_engine_destroy(e);
  }
  CHECK(rr_log.enqueued >= 4 && rr_log.not_device == 0 && rr_log.misaligned == 0 && rr_log.cuda_errors == 0);
  ingot_runtime_destroy(rt);
  ingot_plan_destroy(plan);
  CHECK_OK(ingot_plugin_registry_deregister_creator(reg, "RowReverse", "1", "ingot.test"));
}

int main(void) {
  gpu_require_device("test_gpu_plugin");
  test_workspace_plugin();
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
