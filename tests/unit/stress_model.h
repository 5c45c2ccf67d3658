/* The model the concurrency and soak tests share: images [-1, 3, 8, 8] -> convolution
 * 3->4 (3x3, pad 1) + relu -> max pool 2x2 -> fully connected 64->10 -> softmax "probs",
 * batch 1..STRESS_MAX_BATCH. Weights are deterministic, so every build gives the same plan
 * and every run of the same input the same bits. */
#ifndef INGOT_TEST_STRESS_MODEL_H
#define INGOT_TEST_STRESS_MODEL_H

#include "test_util.h"

#define STRESS_C 3
#define STRESS_HW 8
#define STRESS_K 4
#define STRESS_CLASSES 10
#define STRESS_MAX_BATCH 4
#define STRESS_SAMPLE (STRESS_C * STRESS_HW * STRESS_HW)

/* A new network on `logger`, or NULL (the failure is CHECKed). */
static ingot_network *stress_network(ingot_logger *logger) {
  /* On the stack: ingot copies weights when a layer is added, and several threads build at once. */
  float conv_w[STRESS_K * STRESS_C * 9], conv_b[STRESS_K], fc_w[STRESS_CLASSES * 64], fc_b[STRESS_CLASSES];
  uint64_t seed = 11;
  for (size_t i = 0; i < sizeof conv_w / sizeof *conv_w; i++) conv_w[i] = test_randf(&seed) * 0.5f;
  for (size_t i = 0; i < sizeof conv_b / sizeof *conv_b; i++) conv_b[i] = test_randf(&seed) * 0.1f;
  for (size_t i = 0; i < sizeof fc_w / sizeof *fc_w; i++) fc_w[i] = test_randf(&seed) * 0.2f;
  for (size_t i = 0; i < sizeof fc_b / sizeof *fc_b; i++) fc_b[i] = test_randf(&seed) * 0.1f;
  ingot_network *net = NULL;
  ingot_tensor *x;
  ingot_layer *conv, *relu, *pool, *fc, *sm;
  ingot_dims d = {4, {-1, STRESS_C, STRESS_HW, STRESS_HW}};
  ingot_convolution_desc c;
  memset(&c, 0, sizeof c);
  c.nb_spatial_dims = 2;
  c.num_output_maps = STRESS_K;
  c.kernel_size[0] = c.kernel_size[1] = 3;
  c.pre_padding[0] = c.pre_padding[1] = c.post_padding[0] = c.post_padding[1] = 1;
  c.kernel_weights = (ingot_weights){INGOT_FLOAT32, conv_w, (int64_t)(sizeof conv_w / sizeof *conv_w)};
  c.bias_weights = (ingot_weights){INGOT_FLOAT32, conv_b, STRESS_K};
  ingot_pooling_desc p;
  memset(&p, 0, sizeof p);
  p.type = INGOT_POOLING_MAX;
  p.nb_spatial_dims = 2;
  p.window_size[0] = p.window_size[1] = p.stride[0] = p.stride[1] = 2;
  int ok = ingot_network_create(logger, &net) == INGOT_SUCCESS &&
           ingot_network_add_input(net, "images", INGOT_FLOAT32, &d, &x) == INGOT_SUCCESS &&
           ingot_network_add_convolution(net, x, &c, &conv) == INGOT_SUCCESS &&
           ingot_network_add_activation(net, ingot_layer_get_output(conv, 0), INGOT_ACTIVATION_RELU, 0, 0, &relu) ==
               INGOT_SUCCESS &&
           ingot_network_add_pooling(net, ingot_layer_get_output(relu, 0), &p, &pool) == INGOT_SUCCESS &&
           ingot_network_add_fully_connected(net, ingot_layer_get_output(pool, 0), STRESS_CLASSES,
                                             (ingot_weights){INGOT_FLOAT32, fc_w, STRESS_CLASSES * 64},
                                             (ingot_weights){INGOT_FLOAT32, fc_b, STRESS_CLASSES}, &fc) == INGOT_SUCCESS &&
           ingot_network_add_softmax(net, ingot_layer_get_output(fc, 0), 1, &sm) == INGOT_SUCCESS &&
           ingot_tensor_set_name(ingot_layer_get_output(sm, 0), "probs") == INGOT_SUCCESS &&
           ingot_network_mark_output(net, ingot_layer_get_output(sm, 0)) == INGOT_SUCCESS;
  if (!ok) {
    fprintf(stderr, "stress_network: %s\n", ingot_last_error());
    test_failures++;
    ingot_network_destroy(net);
    return NULL;
  }
  return net;
}

/* Builds the model into a plan (NULL on failure, CHECKed). timing_iterations 0 keeps the
 * build short; threads 0 lets contexts use every core. */
static ingot_plan *stress_plan(ingot_logger *logger) {
  ingot_network *net = stress_network(logger);
  ingot_builder *builder = NULL;
  ingot_builder_config *config = NULL;
  ingot_optimization_profile *profile = NULL;
  ingot_plan *plan = NULL;
  ingot_dims mn = {4, {1, STRESS_C, STRESS_HW, STRESS_HW}}, mx = {4, {STRESS_MAX_BATCH, STRESS_C, STRESS_HW, STRESS_HW}};
  if (net && ingot_builder_create(logger, &builder) == INGOT_SUCCESS &&
      ingot_builder_config_create(&config) == INGOT_SUCCESS &&
      ingot_builder_config_set_timing_iterations(config, 0) == INGOT_SUCCESS &&
      ingot_optimization_profile_create(&profile) == INGOT_SUCCESS &&
      ingot_optimization_profile_set_dimensions(profile, "images", INGOT_PROFILE_MIN, &mn) == INGOT_SUCCESS &&
      ingot_optimization_profile_set_dimensions(profile, "images", INGOT_PROFILE_OPT, &mx) == INGOT_SUCCESS &&
      ingot_optimization_profile_set_dimensions(profile, "images", INGOT_PROFILE_MAX, &mx) == INGOT_SUCCESS &&
      ingot_builder_config_add_optimization_profile(config, profile, NULL) == INGOT_SUCCESS)
    CHECK_OK(ingot_builder_build_serialized_network(builder, net, config, &plan));
  else
    CHECK(!"stress_plan: setting up the build failed");
  ingot_optimization_profile_destroy(profile);
  ingot_builder_config_destroy(config);
  ingot_builder_destroy(builder);
  ingot_network_destroy(net);
  return plan;
}

/* One run at `batch` (inputs: STRESS_SAMPLE floats per image). Returns 0 on success. */
static int stress_run(ingot_execution_context *ctx, int batch, const float *in, float *out) {
  ingot_dims d = {4, {batch, STRESS_C, STRESS_HW, STRESS_HW}};
  if (ingot_execution_context_set_input_shape(ctx, "images", &d) != INGOT_SUCCESS ||
      ingot_execution_context_set_tensor_address(ctx, "images", (void *)in) != INGOT_SUCCESS ||
      ingot_execution_context_set_tensor_address(ctx, "probs", out) != INGOT_SUCCESS ||
      ingot_execution_context_execute(ctx) != INGOT_SUCCESS) {
    fprintf(stderr, "stress_run (batch %d): %s\n", batch, ingot_last_error());
    return 1;
  }
  return 0;
}

#endif
