/* A program outside the source tree that uses the installed ingot: builds a one-layer
 * network, runs it, checks the result. */
#include <stdio.h>
#include <ingot/ingot.h>

int main(void) {
  ingot_network *net = NULL;
  ingot_builder *builder = NULL;
  ingot_builder_config *config = NULL;
  ingot_plan *plan = NULL;
  ingot_runtime *runtime = NULL;
  ingot_engine *engine = NULL;
  ingot_execution_context *ctx = NULL;
  ingot_tensor *x = NULL;
  ingot_layer *relu = NULL;
  ingot_dims dims = {2, {2, 3}};
  float in[6] = {-1, 2, -3, 4, -5, 6}, out[6] = {0};
  int ok = ingot_network_create(NULL, &net) == INGOT_SUCCESS &&
           ingot_network_add_input(net, "x", INGOT_FLOAT32, &dims, &x) == INGOT_SUCCESS &&
           ingot_network_add_activation(net, x, INGOT_ACTIVATION_RELU, 0, 0, &relu) == INGOT_SUCCESS &&
           ingot_tensor_set_name(ingot_layer_get_output(relu, 0), "y") == INGOT_SUCCESS &&
           ingot_network_mark_output(net, ingot_layer_get_output(relu, 0)) == INGOT_SUCCESS &&
           ingot_builder_create(NULL, &builder) == INGOT_SUCCESS &&
           ingot_builder_config_create(&config) == INGOT_SUCCESS &&
           ingot_builder_build_serialized_network(builder, net, config, &plan) == INGOT_SUCCESS &&
           ingot_runtime_create(NULL, &runtime) == INGOT_SUCCESS &&
           ingot_runtime_deserialize_engine(runtime, ingot_plan_data(plan), ingot_plan_size(plan), &engine) ==
               INGOT_SUCCESS &&
           ingot_engine_create_execution_context(engine, &ctx) == INGOT_SUCCESS &&
           ingot_execution_context_set_tensor_address(ctx, "x", in) == INGOT_SUCCESS &&
           ingot_execution_context_set_tensor_address(ctx, "y", out) == INGOT_SUCCESS &&
           ingot_execution_context_execute(ctx) == INGOT_SUCCESS;
  if (!ok) fprintf(stderr, "ingot failed: %s\n", ingot_last_error());
  for (int i = 0; ok && i < 6; i++) ok = out[i] == (in[i] > 0 ? in[i] : 0.0f);
  ingot_execution_context_destroy(ctx);
  ingot_engine_destroy(engine);
  ingot_runtime_destroy(runtime);
  ingot_plan_destroy(plan);
  ingot_builder_config_destroy(config);
  ingot_builder_destroy(builder);
  ingot_network_destroy(net);
  printf("ingot %s consumer: %s\n", ingot_version_string(), ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
