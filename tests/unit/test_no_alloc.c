/* The execute path allocates nothing: every malloc-family call made by the library is
 * counted (the test links with -Wl,--wrap for them), and a run of a network that uses
 * every kind of tensor (arena, constants, caller buffers, workspace) must add none. */
#include "alloc_count.h"
#include "test_util.h"

int main(void) {
  ingot_network *net = NULL;
  CHECK_OK(ingot_network_create(NULL, &net));
  ingot_dims d = {4, {-1, 3, 8, 8}};
  ingot_tensor *x = NULL;
  CHECK_OK(ingot_network_add_input(net, "x", INGOT_FLOAT32, &d, &x));
  float w[4 * 3 * 9], b[4];
  uint64_t seed = 3;
  for (int i = 0; i < 108; i++) w[i] = test_randf(&seed);
  for (int i = 0; i < 4; i++) b[i] = test_randf(&seed);
  ingot_convolution_desc cd;
  memset(&cd, 0, sizeof cd);
  cd.nb_spatial_dims = 2;
  cd.num_output_maps = 4;
  cd.kernel_size[0] = cd.kernel_size[1] = 3;
  cd.kernel_weights = (ingot_weights){INGOT_FLOAT32, w, 108};
  cd.bias_weights = (ingot_weights){INGOT_FLOAT32, b, 4};
  ingot_layer *conv = NULL, *act = NULL, *topk = NULL, *sm = NULL;
  CHECK_OK(ingot_network_add_convolution(net, x, &cd, &conv));
  CHECK_OK(ingot_network_add_activation(net, ingot_layer_get_output(conv, 0), INGOT_ACTIVATION_GELU_ERF, 0, 0, &act));
  CHECK_OK(ingot_network_add_softmax(net, ingot_layer_get_output(act, 0), -1, &sm));
  CHECK_OK(ingot_network_add_topk(net, ingot_layer_get_output(sm, 0), INGOT_TOPK_MAX, 2, 3, &topk)); /* workspace */
  CHECK_OK(ingot_tensor_set_name(ingot_layer_get_output(topk, 0), "values"));
  CHECK_OK(ingot_network_mark_output(net, ingot_layer_get_output(topk, 0)));
  ingot_builder *builder = NULL;
  ingot_builder_config *config = NULL;
  ingot_optimization_profile *profile = NULL;
  ingot_plan *plan = NULL;
  CHECK_OK(ingot_builder_create(NULL, &builder));
  CHECK_OK(ingot_builder_config_create(&config));
  CHECK_OK(ingot_optimization_profile_create(&profile));
  ingot_dims mn = {4, {1, 3, 8, 8}}, mx = {4, {4, 3, 8, 8}};
  CHECK_OK(ingot_optimization_profile_set_dimensions(profile, "x", INGOT_PROFILE_MIN, &mn));
  CHECK_OK(ingot_optimization_profile_set_dimensions(profile, "x", INGOT_PROFILE_OPT, &mx));
  CHECK_OK(ingot_optimization_profile_set_dimensions(profile, "x", INGOT_PROFILE_MAX, &mx));
  CHECK_OK(ingot_builder_config_add_optimization_profile(config, profile, NULL));
  CHECK_OK(ingot_builder_config_set_num_threads(config, 2));
  CHECK_OK(ingot_builder_build_serialized_network(builder, net, config, &plan));
  ingot_runtime *runtime = NULL;
  ingot_engine *engine = NULL;
  ingot_execution_context *ctx = NULL;
  CHECK_OK(ingot_runtime_create(NULL, &runtime));
  if (plan) CHECK_OK(ingot_runtime_deserialize_engine(runtime, ingot_plan_data(plan), ingot_plan_size(plan), &engine));
  if (engine) CHECK_OK(ingot_engine_create_execution_context(engine, &ctx));
  if (!ctx) TEST_EXIT();
  static float in[4 * 3 * 8 * 8], out[4 * 4 * 6 * 2];
  for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) in[i] = test_randf(&seed);
  CHECK_OK(ingot_execution_context_set_input_shape(ctx, "x", &mx));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "x", in));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "values", out));
  CHECK_OK(ingot_execution_context_execute(ctx)); /* first run: nothing lazy may remain */
  long before = atomic_load(&test_allocations);
  for (int i = 0; i < 10; i++) CHECK_OK(ingot_execution_context_execute(ctx));
  long during = atomic_load(&test_allocations) - before;
  CHECK(during == 0);
  if (during) fprintf(stderr, "execute allocated %ld times\n", during);
  /* a smaller shape inside the profile: replanned at set_input_shape, then no allocation */
  before = atomic_load(&test_allocations);
  CHECK_OK(ingot_execution_context_set_input_shape(ctx, "x", &mn));
  CHECK(atomic_load(&test_allocations) > before); /* the counting works: shape inference allocates */
  before = atomic_load(&test_allocations);
  CHECK_OK(ingot_execution_context_execute(ctx));
  CHECK(atomic_load(&test_allocations) == before);
  ingot_execution_context_destroy(ctx);
  ingot_engine_destroy(engine);
  ingot_runtime_destroy(runtime);
  ingot_plan_destroy(plan);
  ingot_optimization_profile_destroy(profile);
  ingot_builder_config_destroy(config);
  ingot_builder_destroy(builder);
  ingot_network_destroy(net);
  TEST_EXIT();
}
