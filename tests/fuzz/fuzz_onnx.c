/* libFuzzer target: ONNX bytes -> parser -> network -> build -> one execute. The build is
 * capped so no input can make it slow: no timing runs, one thread, a small workspace, and
 * no build at all when a tensor the network already knows is larger than the harness's
 * budget (the builder would accept it; the fuzzer only has seconds). */
#include "fuzz_common.h"

/* Known dims of every tensor within budget (unknown dims pass: the builder finds them). */
static int network_within_budget(const ingot_network *net) {
  for (int32_t l = 0; l < ingot_network_num_layers(net); l++) {
    const ingot_layer *layer = ingot_network_get_layer(net, l);
    for (int32_t o = 0; o < ingot_layer_num_outputs(layer); o++) {
      ingot_dims d;
      if (ingot_tensor_get_dims(ingot_layer_get_output(layer, o), &d) != INGOT_SUCCESS || d.nb_dims < 0) continue;
      for (int32_t k = 0; k < d.nb_dims; k++)
        if (d.d[k] < 0) d.d[k] = 1;
      if (fuzz_volume(&d) < 0) return 0;
    }
  }
  return 1;
}

/* One profile pinning every dynamic dim of every input to 1. */
static int add_profile(const ingot_network *net, ingot_builder_config *config) {
  ingot_optimization_profile *profile = NULL;
  if (ingot_optimization_profile_create(&profile) != INGOT_SUCCESS) return 0;
  int ok = 1;
  for (int32_t i = 0; ok && i < ingot_network_num_inputs(net); i++) {
    const ingot_tensor *t = ingot_network_get_input(net, i);
    ingot_dims d;
    if (ingot_tensor_get_dims(t, &d) != INGOT_SUCCESS || d.nb_dims < 0) continue;
    int dynamic = 0;
    for (int32_t k = 0; k < d.nb_dims; k++)
      if (d.d[k] < 0) d.d[k] = 1, dynamic = 1;
    if (fuzz_volume(&d) < 0) ok = 0;
    for (int s = 0; ok && dynamic && s < 3; s++)
      if (ingot_optimization_profile_set_dimensions(profile, ingot_tensor_get_name(t), (ingot_profile_selector)s, &d) !=
          INGOT_SUCCESS)
        ok = 0;
  }
  if (ok && ingot_builder_config_add_optimization_profile(config, profile, NULL) != INGOT_SUCCESS) {
    FUZZ_REQUIRE_MESSAGE();
    ok = 0;
  }
  ingot_optimization_profile_destroy(profile);
  return ok;
}

static void build_and_run(ingot_network *net) {
  static ingot_builder *builder;
  static ingot_runtime *runtime;
  if (!builder && ingot_builder_create(fuzz_logger(), &builder) != INGOT_SUCCESS) __builtin_trap();
  if (!runtime && ingot_runtime_create(fuzz_logger(), &runtime) != INGOT_SUCCESS) __builtin_trap();
  if (!network_within_budget(net)) return;
  ingot_builder_config *config = NULL;
  if (ingot_builder_config_create(&config) != INGOT_SUCCESS) __builtin_trap();
  ingot_builder_config_set_timing_iterations(config, 0);
  ingot_builder_config_set_num_threads(config, 1);
  ingot_builder_config_set_workspace_limit(config, (uint64_t)16 << 20);
  ingot_plan *plan = NULL;
  if (add_profile(net, config)) {
    if (ingot_builder_build_serialized_network(builder, net, config, &plan) != INGOT_SUCCESS) FUZZ_REQUIRE_MESSAGE();
  }
  ingot_builder_config_destroy(config);
  if (!plan) return;
  ingot_engine *engine = NULL;
  /* A plan the builder just wrote must load. */
  if (ingot_runtime_deserialize_engine(runtime, ingot_plan_data(plan), ingot_plan_size(plan), &engine) != INGOT_SUCCESS)
    __builtin_trap();
  fuzz_execute_once(engine);
  ingot_engine_destroy(engine);
  ingot_plan_destroy(plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ingot_network *net = NULL;
  ingot_onnx_parser *parser = NULL;
  if (ingot_network_create(fuzz_logger(), &net) != INGOT_SUCCESS) __builtin_trap();
  if (ingot_onnx_parser_create(net, fuzz_logger(), &parser) != INGOT_SUCCESS) __builtin_trap();
  /* No model directory: external data is refused (a fuzz input must not read files). */
  if (ingot_onnx_parser_parse(parser, data, size, NULL) != INGOT_SUCCESS) {
    FUZZ_REQUIRE_MESSAGE();
    if (ingot_onnx_parser_num_errors(parser) < 1) __builtin_trap();
    for (int32_t i = 0; i < ingot_onnx_parser_num_errors(parser); i++) {
      ingot_onnx_parser_error e;
      if (ingot_onnx_parser_get_error(parser, i, &e) != INGOT_SUCCESS || !e.message || !e.message[0]) __builtin_trap();
    }
  } else {
    build_and_run(net);
  }
  ingot_onnx_parser_destroy(parser);
  ingot_network_destroy(net);
  return 0;
}
