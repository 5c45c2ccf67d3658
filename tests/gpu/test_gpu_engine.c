/* Engines on the GPU end to end, against the CPU engine of the same network on the same
 * random input: a small CNN through the network API (conv + bias + relu, max pooling,
 * conv with a residual add, a 1x1 conv with sigmoid, fully connected, softmax) built for
 * cuda with tf32 (tolerance 5e-3) and without (1e-4); then what a context of the cuda
 * target offers: enqueue on an ingot stream and on a wrapped native stream, CUDA-graph
 * capture and replay (new input data and a new output address between replays), memory
 * the caller owns, two contexts on two streams at once, and the refusals (a plan of
 * another GPU architecture, a missing device, memory too small). With
 * INGOT_GPU_ONNX_DIR set, each .onnx file there (dynamic dims set to 2) is also built for
 * both targets and compared (tolerance 2e-2). Then the small CNN and the models again with
 * the FP16 flag (half inside, tolerance 2e-2 / 3e-2), where some layer must compute in
 * float16: once channels first (INGOT_FORCE_CHANNELS_LAST=0) and once with the layout
 * pass on, as a plain fp16 build has it, where networks with convolutions must get
 * channels-last regions (transposes at their edges). Skipped (77) without a CUDA device. */
#include <dirent.h>
#include <stdbool.h>

#include "gpu_util.h"

#define MAX_IO 8

static uint64_t g_seed = 0xE2E0001ULL;
static ingot_logger *g_logger;

typedef struct io_set {
  int32_t nb;
  char names[MAX_IO][128];
  ingot_dtype dtypes[MAX_IO];
  ingot_dims dims[MAX_IO];
  void *host[MAX_IO];
  uint64_t bytes[MAX_IO];
  bool is_input[MAX_IO];
} io_set;

/* With g_fp16 the CUDA builds get the FP16 flag: the network computes in half inside.
 * With g_channels_first they are built with the channels-last layout pass off. */
static bool g_fp16, g_channels_first;

static ingot_status build(const ingot_network *net, ingot_target target, bool tf32, ingot_plan **plan) {
  ingot_builder *b = NULL;
  ingot_builder_config *cfg = NULL;
  ingot_status st = ingot_builder_create(g_logger, &b);
  if (st == INGOT_SUCCESS) st = ingot_builder_config_create(&cfg);
  if (st == INGOT_SUCCESS) st = ingot_builder_config_set_target(cfg, target, 0);
  if (st == INGOT_SUCCESS) st = ingot_builder_config_set_flag(cfg, INGOT_BUILDER_FLAG_TF32, tf32);
  if (st == INGOT_SUCCESS && g_fp16 && target == INGOT_TARGET_CUDA)
    st = ingot_builder_config_set_flag(cfg, INGOT_BUILDER_FLAG_FP16, 1);
  /* dynamic dims: 2 at min, opt and max */
  ingot_optimization_profile *prof = NULL;
  bool dynamic = false;
  if (st == INGOT_SUCCESS) st = ingot_optimization_profile_create(&prof);
  for (int32_t i = 0; st == INGOT_SUCCESS && i < ingot_network_num_inputs(net); i++) {
    ingot_tensor *t = ingot_network_get_input(net, i);
    ingot_dims d;
    st = ingot_tensor_get_dims(t, &d);
    bool dyn = false;
    for (int32_t k = 0; k < d.nb_dims; k++)
      if (d.d[k] < 0) d.d[k] = 2, dyn = true;
    if (!dyn) continue;
    dynamic = true;
    for (int s = 0; s < 3 && st == INGOT_SUCCESS; s++)
      st = ingot_optimization_profile_set_dimensions(prof, ingot_tensor_get_name(t), (ingot_profile_selector)s, &d);
  }
  if (st == INGOT_SUCCESS && dynamic) st = ingot_builder_config_add_optimization_profile(cfg, prof, NULL);
  bool nchw = g_channels_first && target == INGOT_TARGET_CUDA;
  if (nchw) setenv("INGOT_FORCE_CHANNELS_LAST", "0", 1);
  if (st == INGOT_SUCCESS) st = ingot_builder_build_serialized_network(b, net, cfg, plan);
  if (nchw) unsetenv("INGOT_FORCE_CHANNELS_LAST");
  ingot_optimization_profile_destroy(prof);
  ingot_builder_config_destroy(cfg);
  ingot_builder_destroy(b);
  return st;
}

/* I/O of an engine at the profile's opt shapes, with random host inputs. */
static ingot_status make_io(ingot_engine *e, ingot_execution_context *ctx, io_set *io) {
  memset(io, 0, sizeof *io);
  io->nb = ingot_engine_num_io_tensors(e);
  if (io->nb > MAX_IO) {
    fprintf(stderr, "test: more than %d I/O tensors\n", MAX_IO);
    return INGOT_UNSUPPORTED;
  }
  for (int32_t i = 0; i < io->nb; i++) {
    const char *name = ingot_engine_get_io_tensor_name(e, i);
    snprintf(io->names[i], sizeof io->names[i], "%s", name);
    ingot_tensor_io_mode mode;
    if (ingot_engine_get_tensor_io_mode(e, name, &mode) != INGOT_SUCCESS) return INGOT_INVALID_STATE;
    io->is_input[i] = mode == INGOT_TENSOR_INPUT;
    if (ingot_engine_get_tensor_dtype(e, name, &io->dtypes[i]) != INGOT_SUCCESS) return INGOT_INVALID_STATE;
    if (io->is_input[i]) {
      ingot_dims d;
      if (ingot_engine_get_profile_dims(e, name, 0, INGOT_PROFILE_OPT, &d) != INGOT_SUCCESS) return INGOT_INVALID_STATE;
      ingot_status st = ingot_execution_context_set_input_shape(ctx, name, &d);
      if (st != INGOT_SUCCESS) return st;
    }
  }
  for (int32_t i = 0; i < io->nb; i++) {
    ingot_status st = ingot_execution_context_get_tensor_shape(ctx, io->names[i], &io->dims[i]);
    if (st != INGOT_SUCCESS) return st;
    int64_t v = 1;
    for (int32_t k = 0; k < io->dims[i].nb_dims; k++) v *= io->dims[i].d[k];
    io->bytes[i] = (uint64_t)v * ingot_dtype_size(io->dtypes[i]);
    io->host[i] = calloc(1, (size_t)io->bytes[i] + 1);
    if (!io->is_input[i]) continue;
    for (int64_t k = 0; k < v; k++) {
      if (io->dtypes[i] == INGOT_FLOAT32) ((float *)io->host[i])[k] = test_randf(&g_seed);
      /* integers (token ids, type ids, masks): 0 or 1, valid for every such input */
      else if (io->dtypes[i] == INGOT_INT64) ((int64_t *)io->host[i])[k] = test_randf(&g_seed) > 0;
      else if (io->dtypes[i] == INGOT_INT32) ((int32_t *)io->host[i])[k] = test_randf(&g_seed) > 0;
    }
  }
  return INGOT_SUCCESS;
}

static void free_io(io_set *io) {
  for (int32_t i = 0; i < io->nb; i++) free(io->host[i]);
}

static ingot_status run_cpu(const ingot_plan *plan, io_set *want) {
  ingot_runtime *rt = NULL;
  ingot_engine *e = NULL;
  ingot_execution_context *ctx = NULL;
  ingot_status st = ingot_runtime_create(g_logger, &rt);
  if (st == INGOT_SUCCESS) st = ingot_runtime_deserialize_engine(rt, ingot_plan_data(plan), ingot_plan_size(plan), &e);
  if (st == INGOT_SUCCESS) st = ingot_engine_create_execution_context(e, &ctx);
  if (st == INGOT_SUCCESS) st = make_io(e, ctx, want);
  for (int32_t i = 0; st == INGOT_SUCCESS && i < want->nb; i++)
    st = ingot_execution_context_set_tensor_address(ctx, want->names[i], want->host[i]);
  if (st == INGOT_SUCCESS) st = ingot_execution_context_execute(ctx);
  ingot_execution_context_destroy(ctx);
  ingot_engine_destroy(e);
  ingot_runtime_destroy(rt);
  return st;
}

/* Device copies of want's inputs and room for its outputs. */
static ingot_status upload(const io_set *want, void **dev) {
  for (int32_t i = 0; i < want->nb; i++) {
    ingot_status st = ingot_device_malloc(INGOT_TARGET_CUDA, want->bytes[i] + 1, &dev[i]);
    if (st == INGOT_SUCCESS && want->is_input[i])
      st = ingot_device_copy_to_device(INGOT_TARGET_CUDA, dev[i], want->host[i], want->bytes[i]);
    if (st != INGOT_SUCCESS) return st;
  }
  return INGOT_SUCCESS;
}

static void free_dev(const io_set *want, void **dev) {
  for (int32_t i = 0; i < want->nb; i++) ingot_device_free(INGOT_TARGET_CUDA, dev[i]), dev[i] = NULL;
}

/* Outputs in device memory against want's, as float. */
static void compare_outputs(const char *what, const io_set *want, void **dev, double tol) {
  for (int32_t i = 0; i < want->nb; i++) {
    if (want->is_input[i]) continue;
    void *got = malloc((size_t)want->bytes[i] + 1);
    CHECK_OK(ingot_device_copy_to_host(INGOT_TARGET_CUDA, got, dev[i], want->bytes[i]));
    int64_t n = (int64_t)(want->bytes[i] / ingot_dtype_size(want->dtypes[i]));
    if (want->dtypes[i] == INGOT_FLOAT32) {
      double err = rel_error(got, want->host[i], n);
      printf("  %s: output '%s' relative error %.3g (tolerance %.1g)\n", what, want->names[i], err, tol);
      if (!(err <= tol)) {
        fprintf(stderr, "%s: output '%s' relative error %.3g over %.3g\n", what, want->names[i], err, tol);
        test_failures++;
      }
    } else if (memcmp(got, want->host[i], (size_t)want->bytes[i]) != 0) {
      fprintf(stderr, "%s: output '%s' (%s) differs from the CPU engine's\n", what, want->names[i],
              ingot_dtype_name(want->dtypes[i]));
      test_failures++;
    }
    free(got);
  }
}

static ingot_status bind(ingot_execution_context *ctx, const io_set *want, void **dev) {
  for (int32_t i = 0; i < want->nb; i++) {
    ingot_status st = want->is_input[i] ? ingot_execution_context_set_input_shape(ctx, want->names[i], &want->dims[i])
                                        : INGOT_SUCCESS;
    if (st != INGOT_SUCCESS) return st;
  }
  for (int32_t i = 0; i < want->nb; i++) {
    ingot_status st = ingot_execution_context_set_tensor_address(ctx, want->names[i], dev[i]);
    if (st != INGOT_SUCCESS) return st;
  }
  return INGOT_SUCCESS;
}

/* CPU vs CUDA engines of `net`; with `features`, the context features too. */
static void compare_network(const char *what, const ingot_network *net, bool tf32, double tol, bool features) {
  ingot_plan *cpu_plan = NULL, *gpu_plan = NULL;
  ingot_runtime *rt = NULL;
  ingot_engine *e = NULL;
  ingot_execution_context *ctx = NULL, *ctx2 = NULL;
  ingot_stream *stream = NULL, *stream2 = NULL, *wrapped = NULL;
  io_set want;
  memset(&want, 0, sizeof want);
  void *dev[MAX_IO] = {0}, *dev2[MAX_IO] = {0}, *user_mem = NULL;
  printf("%s (%s):\n", what, g_fp16 ? (g_channels_first ? "fp16, channels first" : "fp16") : tf32 ? "tf32" : "fp32");
  CHECK_OK(build(net, INGOT_TARGET_CPU, false, &cpu_plan));
  CHECK_OK(build(net, INGOT_TARGET_CUDA, tf32, &gpu_plan));
  if (!cpu_plan || !gpu_plan) goto done;
  CHECK_OK(run_cpu(cpu_plan, &want));
  CHECK_OK(ingot_runtime_create(g_logger, &rt));
  CHECK_OK(ingot_runtime_deserialize_engine(rt, ingot_plan_data(gpu_plan), ingot_plan_size(gpu_plan), &e));
  if (!e) goto done;
  CHECK(ingot_engine_get_target(e) == INGOT_TARGET_CUDA);
  int32_t half_layers = 0, convs = 0, transposes = 0;
  for (int32_t l = 0; l < ingot_engine_num_layers(e); l++) {
    ingot_layer_info info;
    CHECK_OK(ingot_engine_get_layer_info(e, l, &info));
    printf("  layer %-24s %-28s %-40s %s\n", info.name, info.type, info.tactic, ingot_dtype_name(info.precision));
    half_layers += info.precision == INGOT_FLOAT16;
    convs += strncmp(info.type, "convolution", 11) == 0;
    size_t n = strlen(info.name); /* the layout pass names its transposes "<tensor>.to_nhwc" / ".to_nchw" */
    transposes += n > 8 && (strcmp(info.name + n - 8, ".to_nhwc") == 0 || strcmp(info.name + n - 8, ".to_nchw") == 0);
  }
  if (g_fp16) CHECK(half_layers > 0); /* the FP16 flag lowered the network to half */
  if (g_fp16) printf("  %d convolution layer(s), %d layout transpose(s)\n", convs, transposes);
  if (g_fp16 && g_channels_first) CHECK(transposes == 0);
  if (g_fp16 && !g_channels_first && convs > 0) CHECK(transposes > 0); /* the layout pass made NHWC regions */
  CHECK_OK(ingot_engine_create_execution_context(e, &ctx));
  if (!ctx) goto done;
  CHECK_OK(upload(&want, dev));
  CHECK_OK(bind(ctx, &want, dev));
  CHECK_OK(ingot_execution_context_execute(ctx));
  compare_outputs("execute", &want, dev, tol);
  if (!features) goto done;

  /* enqueue on an ingot stream, then on a wrapped native stream */
  CHECK_OK(ingot_stream_create(INGOT_TARGET_CUDA, 0, &stream));
  CHECK_OK(ingot_device_copy_to_device(INGOT_TARGET_CUDA, dev[want.nb - 1], want.host[0], 4)); /* stale output */
  CHECK_OK(ingot_execution_context_enqueue(ctx, stream));
  CHECK_OK(ingot_stream_synchronize(stream));
  compare_outputs("enqueue", &want, dev, tol);
  CHECK_OK(ingot_stream_wrap(INGOT_TARGET_CUDA, ingot_stream_get_native(stream), &wrapped));
  CHECK_OK(ingot_execution_context_enqueue(ctx, wrapped));
  CHECK_OK(ingot_stream_synchronize(wrapped));
  compare_outputs("enqueue on a wrapped stream", &want, dev, tol);

  /* graph capture: replays see new data in the same buffers, and a new output address */
  CHECK_OK(ingot_execution_context_set_graph_capture(ctx, 1));
  CHECK_OK(ingot_execution_context_enqueue(ctx, stream));
  CHECK_OK(ingot_execution_context_enqueue(ctx, stream));
  CHECK_OK(ingot_stream_synchronize(stream));
  compare_outputs("graph replay", &want, dev, tol);
  CHECK_OK(upload(&want, dev2));
  CHECK_OK(bind(ctx, &want, dev2));
  CHECK_OK(ingot_execution_context_enqueue(ctx, stream));
  CHECK_OK(ingot_stream_synchronize(stream));
  compare_outputs("graph recaptured for new addresses", &want, dev2, tol);
  CHECK_OK(ingot_execution_context_set_graph_capture(ctx, 0));

  /* caller-owned device memory: too small is refused naming the sizes, enough works */
  uint64_t need = 0;
  CHECK_OK(ingot_execution_context_get_device_memory_size(ctx, &need));
  CHECK(need > 0);
  CHECK_OK(ingot_device_malloc(INGOT_TARGET_CUDA, need, &user_mem));
  CHECK_FAILS(ingot_execution_context_set_device_memory(ctx, user_mem, need / 2), INGOT_INVALID_ARGUMENT,
              "device memory given to the context");
  CHECK_OK(ingot_execution_context_set_device_memory(ctx, user_mem, need));
  CHECK_OK(ingot_execution_context_execute(ctx));
  compare_outputs("caller-owned device memory", &want, dev2, tol);

  /* two contexts on two streams at once */
  CHECK_OK(ingot_engine_create_execution_context(e, &ctx2));
  CHECK_OK(ingot_stream_create(INGOT_TARGET_CUDA, 0, &stream2));
  if (ctx2 && stream2) {
    CHECK_OK(bind(ctx2, &want, dev));
    CHECK_OK(ingot_execution_context_enqueue(ctx, stream));
    CHECK_OK(ingot_execution_context_enqueue(ctx2, stream2));
    CHECK_OK(ingot_stream_synchronize(stream));
    CHECK_OK(ingot_stream_synchronize(stream2));
    compare_outputs("context 1 of 2", &want, dev2, tol);
    compare_outputs("context 2 of 2", &want, dev, tol);
  }

  /* a plan of another architecture is refused naming both */
  unsigned char *bad = malloc(ingot_plan_size(gpu_plan));
  memcpy(bad, ingot_plan_data(gpu_plan), ingot_plan_size(gpu_plan));
  char *arch = memmem(bad, ingot_plan_size(gpu_plan) < 256 ? ingot_plan_size(gpu_plan) : 256, "sm_", 3);
  if (arch) {
    arch[3] = arch[3] == '1' ? '2' : '1';
    ingot_engine *other = NULL;
    CHECK_FAILS(ingot_runtime_deserialize_engine(rt, bad, ingot_plan_size(gpu_plan), &other), INGOT_VERSION_MISMATCH,
                "sm_");
    ingot_engine_destroy(other);
  } else {
    CHECK(arch != NULL);
  }
  free(bad);
  ingot_runtime *rt9 = NULL;
  ingot_engine *none = NULL;
  CHECK_OK(ingot_runtime_create(g_logger, &rt9));
  CHECK_OK(ingot_runtime_set_device(rt9, 999));
  CHECK_FAILS(ingot_runtime_deserialize_engine(rt9, ingot_plan_data(gpu_plan), ingot_plan_size(gpu_plan), &none),
              INGOT_INVALID_ARGUMENT, "device 999");
  ingot_runtime_destroy(rt9);
  CHECK_OK(ingot_device_set_current(INGOT_TARGET_CUDA, 0));

done:
  ingot_execution_context_destroy(ctx2);
  ingot_execution_context_destroy(ctx);
  ingot_stream_destroy(wrapped);
  ingot_stream_destroy(stream);
  ingot_stream_destroy(stream2);
  ingot_device_free(INGOT_TARGET_CUDA, user_mem);
  free_dev(&want, dev);
  free_dev(&want, dev2);
  free_io(&want);
  ingot_engine_destroy(e);
  ingot_runtime_destroy(rt);
  ingot_plan_destroy(cpu_plan);
  ingot_plan_destroy(gpu_plan);
}

/* ---- the small CNN ---------------------------------------------------------------------- */

static float g_weights[1 << 16];
static int64_t g_used;

static ingot_weights rand_weights(int64_t count, float scale) {
  ingot_weights w = {INGOT_FLOAT32, g_weights + g_used, count};
  for (int64_t i = 0; i < count; i++) g_weights[g_used + i] = scale * test_randf(&g_seed);
  g_used += count;
  return w;
}

static ingot_tensor *conv(ingot_network *net, ingot_tensor *x, int64_t cin, int64_t cout, int64_t k, bool bias) {
  ingot_convolution_desc d;
  memset(&d, 0, sizeof d);
  d.nb_spatial_dims = 2;
  d.num_output_maps = cout;
  d.groups = 1;
  for (int i = 0; i < 2; i++) d.kernel_size[i] = k, d.stride[i] = 1, d.dilation[i] = 1, d.pre_padding[i] = d.post_padding[i] = k / 2;
  d.kernel_weights = rand_weights(cout * cin * k * k, 1.0f / sqrtf((float)(cin * k * k)));
  if (bias) d.bias_weights = rand_weights(cout, 0.1f);
  ingot_layer *l = NULL;
  CHECK_OK(ingot_network_add_convolution(net, x, &d, &l));
  return l ? ingot_layer_get_output(l, 0) : NULL;
}

static ingot_tensor *act(ingot_network *net, ingot_tensor *x, ingot_activation_type t) {
  ingot_layer *l = NULL;
  CHECK_OK(ingot_network_add_activation(net, x, t, 0, 0, &l));
  return l ? ingot_layer_get_output(l, 0) : NULL;
}

static ingot_network *small_cnn(void) {
  ingot_network *net = NULL;
  CHECK_OK(ingot_network_create(g_logger, &net));
  ingot_dims in = {4, {2, 8, 16, 16}};
  ingot_tensor *x = NULL;
  CHECK_OK(ingot_network_add_input(net, "image", INGOT_FLOAT32, &in, &x));
  x = act(net, conv(net, x, 8, 16, 3, true), INGOT_ACTIVATION_RELU);
  ingot_pooling_desc p;
  memset(&p, 0, sizeof p);
  p.type = INGOT_POOLING_MAX;
  p.nb_spatial_dims = 2;
  for (int i = 0; i < 2; i++) p.window_size[i] = 2, p.stride[i] = 2, p.dilation[i] = 1;
  ingot_layer *l = NULL;
  CHECK_OK(ingot_network_add_pooling(net, x, &p, &l));
  ingot_tensor *pooled = ingot_layer_get_output(l, 0);
  ingot_tensor *y = conv(net, pooled, 16, 16, 3, true);
  CHECK_OK(ingot_network_add_elementwise(net, y, pooled, INGOT_ELEMENTWISE_SUM, &l));
  y = act(net, ingot_layer_get_output(l, 0), INGOT_ACTIVATION_RELU);
  y = act(net, conv(net, y, 16, 8, 1, false), INGOT_ACTIVATION_SIGMOID);
  CHECK_OK(ingot_network_add_fully_connected(net, y, 10, rand_weights(10 * 8 * 8 * 8, 0.05f), rand_weights(10, 0.1f), &l));
  CHECK_OK(ingot_network_add_softmax(net, ingot_layer_get_output(l, 0), 1, &l));
  CHECK_OK(ingot_tensor_set_name(ingot_layer_get_output(l, 0), "prob"));
  CHECK_OK(ingot_network_mark_output(net, ingot_layer_get_output(l, 0)));
  return net;
}

static void onnx_models(const char *dir, double tol) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "INGOT_GPU_ONNX_DIR '%s' cannot be opened\n", dir);
    test_failures++;
    return;
  }
  struct dirent *ent;
  while ((ent = readdir(d)) != NULL) {
    size_t n = strlen(ent->d_name);
    if (n < 6 || strcmp(ent->d_name + n - 5, ".onnx") != 0) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
    ingot_network *net = NULL;
    ingot_onnx_parser *parser = NULL;
    CHECK_OK(ingot_network_create(g_logger, &net));
    CHECK_OK(ingot_onnx_parser_create(net, g_logger, &parser));
    ingot_status st = parser ? ingot_onnx_parser_parse_from_file(parser, path) : INGOT_INVALID_STATE;
    if (st != INGOT_SUCCESS) {
      fprintf(stderr, "%s: cannot parse: %s\n", path, ingot_last_error());
      test_failures++;
    } else {
      compare_network(ent->d_name, net, true, tol, false);
    }
    ingot_onnx_parser_destroy(parser);
    ingot_network_destroy(net);
  }
  closedir(d);
}

int main(void) {
  gpu_require_device("test_gpu_engine");
  CHECK_OK(ingot_logger_create(NULL, NULL, INGOT_SEVERITY_WARNING, &g_logger));
  ingot_network *net = small_cnn();
  if (net && !test_failures) {
    compare_network("small CNN", net, true, 5e-3, true);
    compare_network("small CNN", net, false, 1e-4, false);
  }
  /* FP16: half inside, float32 at the edges; checked against the float32 CPU engine,
   * channels first and then channels last (the layout pass, on by default for fp16) */
  g_fp16 = true;
  for (int layout = 0; layout < 2; layout++) {
    g_channels_first = layout == 0;
    if (net && !test_failures) compare_network("small CNN", net, false, 2e-2, false);
  }
  ingot_network_destroy(net);
  const char *dir = getenv("INGOT_GPU_ONNX_DIR");
  g_fp16 = false;
  if (dir && *dir) onnx_models(dir, 2e-2);
  g_fp16 = true;
  for (int layout = 0; layout < 2; layout++) {
    g_channels_first = layout == 0;
    if (dir && *dir) onnx_models(dir, 3e-2);
  }
  g_channels_first = false;
  ingot_logger_destroy(g_logger);
  if (!test_failures) printf("test_gpu_engine: CUDA engines match the CPU engines\n");
  TEST_EXIT();
}
