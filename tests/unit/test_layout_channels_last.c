/* The channels-last layout pass (src/builder/layout_channels_last.c) on the CPU target,
 * where it is on by default for float32 (INGOT_FORCE_CHANNELS_LAST=1 / 0 turn it on and
 * off here): small CNNs (conv + batch norm + relu,
 * strided, grouped and depthwise convs, a residual add, max pooling, concatenation, a
 * per-channel scale and bias, an unfused batch norm, resize, deconvolution, softmax over
 * channels, global average pooling, flatten and a fully connected layer) are built with
 * the pass and without, run on the same random input, and must agree within 1e-5 (the
 * channels-last convolutions with constant weights run the NHWC GEMM tactic); the plans must hold transposes only where tensors enter or
 * leave a channels-last region, and none without the pass. */
#include <stdbool.h>
#include <stdlib.h>

#include "test_util.h"

#define MAX_OUT 3

static float g_pool[1 << 18];
static int64_t g_used;
static uint64_t g_seed = 0xC4A77E1ULL;

static ingot_weights rand_weights(int64_t count, float scale, float offset) {
  ingot_weights w = {INGOT_FLOAT32, g_pool + g_used, count};
  for (int64_t i = 0; i < count; i++) g_pool[g_used + i] = offset + scale * test_randf(&g_seed);
  g_used += count;
  return w;
}

static ingot_tensor *out0(ingot_layer *l) { return l ? ingot_layer_get_output(l, 0) : NULL; }

static ingot_tensor *conv(ingot_network *net, ingot_tensor *x, int64_t cin, int64_t cout, int64_t k, int64_t stride,
                          int64_t groups, bool bias) {
  ingot_convolution_desc d;
  memset(&d, 0, sizeof d);
  d.nb_spatial_dims = 2;
  d.num_output_maps = cout;
  d.groups = groups;
  for (int i = 0; i < 2; i++) {
    d.kernel_size[i] = k;
    d.stride[i] = stride;
    d.pre_padding[i] = d.post_padding[i] = k / 2;
  }
  d.kernel_weights = rand_weights(cout * (cin / groups) * k * k, 1.0f / sqrtf((float)(cin / groups * k * k)), 0);
  if (bias) d.bias_weights = rand_weights(cout, 0.1f, 0);
  ingot_layer *l = NULL;
  CHECK_OK(ingot_network_add_convolution(net, x, &d, &l));
  return out0(l);
}

static ingot_tensor *bn(ingot_network *net, ingot_tensor *x, int64_t c) {
  ingot_layer *l = NULL;
  CHECK_OK(ingot_network_add_batch_normalization(net, x, rand_weights(c, 0.2f, 1), rand_weights(c, 0.1f, 0),
                                                 rand_weights(c, 0.1f, 0), rand_weights(c, 0.2f, 1), 1e-5f, &l));
  return out0(l);
}

static ingot_tensor *act(ingot_network *net, ingot_tensor *x, ingot_activation_type t) {
  ingot_layer *l = NULL;
  CHECK_OK(ingot_network_add_activation(net, x, t, 0.1f, 0, &l));
  return out0(l);
}

static ingot_tensor *pool(ingot_network *net, ingot_tensor *x, ingot_pooling_type type, int64_t k, int64_t s,
                          int64_t pad, bool global) {
  ingot_pooling_desc p;
  memset(&p, 0, sizeof p);
  p.type = type;
  p.nb_spatial_dims = 2;
  p.global = global;
  for (int i = 0; i < 2; i++) {
    p.window_size[i] = k;
    p.stride[i] = s;
    p.pre_padding[i] = p.post_padding[i] = pad;
  }
  ingot_layer *l = NULL;
  CHECK_OK(ingot_network_add_pooling(net, x, &p, &l));
  return out0(l);
}

static ingot_tensor *binary(ingot_network *net, ingot_tensor *a, ingot_tensor *b, ingot_elementwise_op op) {
  ingot_layer *l = NULL;
  CHECK_OK(ingot_network_add_elementwise(net, a, b, op, &l));
  return out0(l);
}

static ingot_tensor *constant(ingot_network *net, ingot_dims d, float scale, float offset) {
  int64_t n = 1;
  for (int32_t i = 0; i < d.nb_dims; i++) n *= d.d[i];
  ingot_layer *l = NULL;
  CHECK_OK(ingot_network_add_constant(net, &d, rand_weights(n, scale, offset), &l));
  return out0(l);
}

static ingot_tensor *flatten(ingot_network *net, ingot_tensor *x) {
  ingot_shuffle_desc s;
  memset(&s, 0, sizeof s);
  s.has_reshape = 1;
  s.reshape_dims = (ingot_dims){2, {0, -1}};
  ingot_layer *l = NULL;
  CHECK_OK(ingot_network_add_shuffle(net, x, &s, &l));
  return out0(l);
}

static void mark(ingot_network *net, ingot_tensor *t, const char *name) {
  CHECK_OK(ingot_tensor_set_name(t, name));
  CHECK_OK(ingot_network_mark_output(net, t));
}

/* A ResNet-like stem and block: conv+bn+relu, strided conv, grouped conv + bn + residual
 * add + relu, depthwise conv, concat on channels, max pool, a per-channel bias constant
 * and scale, global average pool, flatten, fully connected. The block's output is also a
 * network output (4-D, so it leaves the region through a transpose). Transposes: the
 * input's entry, the block output's exit, the exit after the global pool. */
static ingot_network *resnet_like(int64_t batch) {
  ingot_network *net = NULL;
  CHECK_OK(ingot_network_create(NULL, &net));
  ingot_dims in = {4, {batch, 8, 12, 12}};
  ingot_tensor *x = NULL;
  CHECK_OK(ingot_network_add_input(net, "image", INGOT_FLOAT32, &in, &x));
  ingot_tensor *a = act(net, bn(net, conv(net, x, 8, 16, 3, 1, 1, true), 16), INGOT_ACTIVATION_RELU);
  a = act(net, conv(net, a, 16, 16, 3, 2, 1, false), INGOT_ACTIVATION_RELU); /* [N, 16, 6, 6] */
  ingot_tensor *b = bn(net, conv(net, a, 16, 16, 3, 1, 4, true), 16);        /* grouped */
  b = act(net, binary(net, b, a, INGOT_ELEMENTWISE_SUM), INGOT_ACTIVATION_RELU);
  ingot_tensor *c = act(net, conv(net, b, 16, 16, 3, 1, 16, true), INGOT_ACTIVATION_LEAKY_RELU); /* depthwise */
  ingot_tensor *parts[2] = {b, c};
  ingot_layer *l = NULL;
  CHECK_OK(ingot_network_add_concatenation(net, parts, 2, 1, &l));
  ingot_tensor *y = pool(net, out0(l), INGOT_POOLING_MAX, 3, 2, 1, false); /* [N, 32, 3, 3] */
  y = binary(net, y, constant(net, (ingot_dims){4, {1, 32, 1, 1}}, 0.5f, 0), INGOT_ELEMENTWISE_SUM);
  y = binary(net, y, constant(net, (ingot_dims){3, {32, 1, 1}}, 0.5f, 1), INGOT_ELEMENTWISE_PROD);
  CHECK_OK(ingot_network_add_scale(net, y, INGOT_SCALE_CHANNEL, rand_weights(32, 0.1f, 0), rand_weights(32, 0.3f, 1),
                                   (ingot_weights){INGOT_FLOAT32, NULL, 0}, 1, &l));
  y = pool(net, out0(l), INGOT_POOLING_AVERAGE, 1, 1, 0, true);
  CHECK_OK(ingot_network_add_fully_connected(net, flatten(net, y), 10, rand_weights(10 * 32, 0.2f, 0),
                                             rand_weights(10, 0.1f, 0), &l));
  mark(net, out0(l), "logits");
  mark(net, b, "block");
  return net;
}

/* A decoder-like net: conv, an unfused batch norm after a concat, nearest resize x2,
 * deconvolution, PReLU with a per-channel slope, softmax and a keep-dims mean over the
 * channels, then a padding layer (not channels last) between two convs, so the tensor
 * leaves a region and enters another. Transposes: entry, pad's exit and entry, the
 * output's exit, the reduce output's exit. */
static ingot_network *decoder_like(void) {
  ingot_network *net = NULL;
  CHECK_OK(ingot_network_create(NULL, &net));
  ingot_dims in = {4, {2, 6, 5, 7}};
  ingot_tensor *x = NULL;
  CHECK_OK(ingot_network_add_input(net, "x", INGOT_FLOAT32, &in, &x));
  ingot_tensor *a = act(net, conv(net, x, 6, 8, 3, 1, 1, true), INGOT_ACTIVATION_SILU);
  ingot_tensor *b = conv(net, x, 6, 4, 1, 1, 1, false);
  ingot_tensor *parts[2] = {a, b};
  ingot_layer *l = NULL;
  CHECK_OK(ingot_network_add_concatenation(net, parts, 2, -3, &l));
  ingot_tensor *y = bn(net, out0(l), 12);
  ingot_resize_desc r;
  memset(&r, 0, sizeof r);
  r.mode = INGOT_RESIZE_NEAREST;
  r.coordinate_transform = INGOT_RESIZE_ASYMMETRIC;
  r.nearest_rounding = INGOT_RESIZE_FLOOR;
  r.use_scales = 1;
  r.nb_scales = 4;
  r.scales[0] = r.scales[1] = 1.0f;
  r.scales[2] = r.scales[3] = 2.0f;
  CHECK_OK(ingot_network_add_resize(net, y, &r, &l)); /* [2, 12, 10, 14] */
  ingot_convolution_desc d;
  memset(&d, 0, sizeof d);
  d.nb_spatial_dims = 2;
  d.num_output_maps = 6;
  d.groups = 2;
  for (int i = 0; i < 2; i++) d.kernel_size[i] = 3, d.stride[i] = 2, d.pre_padding[i] = d.post_padding[i] = 1;
  d.kernel_weights = rand_weights(12 * 3 * 3 * 3, 0.2f, 0);
  d.bias_weights = rand_weights(6, 0.1f, 0);
  CHECK_OK(ingot_network_add_deconvolution(net, out0(l), &d, &l)); /* [2, 6, 19, 27] */
  ingot_tensor *z = out0(l);
  CHECK_OK(ingot_network_add_parametric_relu(net, z, constant(net, (ingot_dims){3, {6, 1, 1}}, 0.2f, 0.1f), &l));
  CHECK_OK(ingot_network_add_softmax(net, out0(l), 1, &l));
  ingot_tensor *s = out0(l);
  CHECK_OK(ingot_network_add_reduce(net, s, INGOT_REDUCE_MEAN, 1u << 1, 1, &l));
  mark(net, out0(l), "channel_mean");
  ingot_padding_desc pd;
  memset(&pd, 0, sizeof pd);
  pd.nb_dims = 4;
  pd.pre_padding[2] = pd.post_padding[3] = 1;
  CHECK_OK(ingot_network_add_padding(net, s, &pd, &l));
  ingot_tensor *o = act(net, conv(net, out0(l), 6, 5, 3, 2, 1, true), INGOT_ACTIVATION_TANH);
  mark(net, o, "out");
  return net;
}

typedef struct result {
  int32_t nb;
  char names[MAX_OUT][64];
  float *data[MAX_OUT];
  int64_t count[MAX_OUT];
  int32_t transposes;
  int32_t fast_convs; /* channels-last convolutions given a tactic other than the reference */
} result;

static void free_result(result *r) {
  for (int32_t i = 0; i < r->nb; i++) free(r->data[i]);
}

/* Builds `net` for the CPU with the pass forced on or off, runs it at `dims` on `input`. */
static void build_and_run(ingot_network *net, bool channels_last, const char *in_name, const ingot_dims *dims,
                          const ingot_dims *min, const ingot_dims *max, const float *input, result *r) {
  memset(r, 0, sizeof *r);
  setenv("INGOT_FORCE_CHANNELS_LAST", channels_last ? "1" : "0", 1);
  ingot_builder *b = NULL;
  ingot_builder_config *cfg = NULL;
  ingot_optimization_profile *prof = NULL;
  ingot_plan *plan = NULL;
  CHECK_OK(ingot_builder_create(NULL, &b));
  CHECK_OK(ingot_builder_config_create(&cfg));
  if (min) {
    CHECK_OK(ingot_optimization_profile_create(&prof));
    CHECK_OK(ingot_optimization_profile_set_dimensions(prof, in_name, INGOT_PROFILE_MIN, min));
    CHECK_OK(ingot_optimization_profile_set_dimensions(prof, in_name, INGOT_PROFILE_OPT, dims));
    CHECK_OK(ingot_optimization_profile_set_dimensions(prof, in_name, INGOT_PROFILE_MAX, max));
    CHECK_OK(ingot_builder_config_add_optimization_profile(cfg, prof, NULL));
  }
  CHECK_OK(ingot_builder_build_serialized_network(b, net, cfg, &plan));
  unsetenv("INGOT_FORCE_CHANNELS_LAST");
  ingot_runtime *rt = NULL;
  ingot_engine *e = NULL;
  ingot_execution_context *ctx = NULL;
  CHECK_OK(ingot_runtime_create(NULL, &rt));
  if (plan) CHECK_OK(ingot_runtime_deserialize_engine(rt, ingot_plan_data(plan), ingot_plan_size(plan), &e));
  if (e) {
    for (int32_t l = 0; l < ingot_engine_num_layers(e); l++) {
      ingot_layer_info info;
      CHECK_OK(ingot_engine_get_layer_info(e, l, &info));
      size_t n = strlen(info.name);
      bool t = (n > 8 && strcmp(info.name + n - 8, ".to_nhwc") == 0) ||
               (n > 8 && strcmp(info.name + n - 8, ".to_nchw") == 0);
      if (t) CHECK(strcmp(info.type, "shuffle") == 0);
      r->transposes += t;
      /* channels-last convs run the NHWC tactics; the NCHW ones must decline them */
      if (channels_last && strncmp(info.type, "convolution", 11) == 0 && strstr(info.tactic, "reference") == NULL) {
        CHECK(strstr(info.tactic, "nhwc") != NULL);
        r->fast_convs++;
      }
    }
    CHECK_OK(ingot_engine_create_execution_context(e, &ctx));
  }
  if (ctx) {
    CHECK_OK(ingot_execution_context_set_input_shape(ctx, in_name, dims));
    CHECK_OK(ingot_execution_context_set_tensor_address(ctx, in_name, (void *)input));
    for (int32_t i = 0; i < ingot_engine_num_io_tensors(e) && r->nb < MAX_OUT; i++) {
      const char *name = ingot_engine_get_io_tensor_name(e, i);
      ingot_tensor_io_mode mode;
      CHECK_OK(ingot_engine_get_tensor_io_mode(e, name, &mode));
      if (mode != INGOT_TENSOR_OUTPUT) continue;
      ingot_dims od;
      CHECK_OK(ingot_execution_context_get_tensor_shape(ctx, name, &od));
      int64_t v = 1;
      for (int32_t k = 0; k < od.nb_dims; k++) v *= od.d[k];
      snprintf(r->names[r->nb], sizeof r->names[r->nb], "%s", name);
      r->count[r->nb] = v;
      r->data[r->nb] = calloc((size_t)v + 1, sizeof(float));
      CHECK_OK(ingot_execution_context_set_tensor_address(ctx, name, r->data[r->nb]));
      r->nb++;
    }
    CHECK_OK(ingot_execution_context_execute(ctx));
  }
  ingot_execution_context_destroy(ctx);
  ingot_engine_destroy(e);
  ingot_runtime_destroy(rt);
  ingot_plan_destroy(plan);
  ingot_optimization_profile_destroy(prof);
  ingot_builder_config_destroy(cfg);
  ingot_builder_destroy(b);
}

/* Both layouts on one input: outputs within 1e-5, transposes as expected. */
static void compare(const char *what, ingot_network *net, const char *in_name, const ingot_dims *dims,
                    const ingot_dims *min, const ingot_dims *max, int32_t want_transposes) {
  int64_t n = 1;
  for (int32_t i = 0; i < dims->nb_dims; i++) n *= dims->d[i];
  float *input = malloc((size_t)n * sizeof(float));
  for (int64_t i = 0; i < n; i++) input[i] = test_randf(&g_seed);
  result cf, cl;
  build_and_run(net, false, in_name, dims, min, max, input, &cf);
  build_and_run(net, true, in_name, dims, min, max, input, &cl);
  printf("%s: %d transposes channels last (want %d), %d channels first\n", what, cl.transposes, want_transposes,
         cf.transposes);
  CHECK(cf.transposes == 0);
  CHECK(cl.transposes == want_transposes);
  if (want_transposes > 0) CHECK(cl.fast_convs > 0); /* a region holds a convolution */
  CHECK(cf.nb == cl.nb && cf.nb > 0);
  for (int32_t o = 0; o < cf.nb && o < cl.nb; o++) {
    CHECK(strcmp(cf.names[o], cl.names[o]) == 0 && cf.count[o] == cl.count[o]);
    double worst = 0, mag = 0;
    for (int64_t i = 0; i < cf.count[o] && cf.count[o] == cl.count[o]; i++) {
      double diff = fabs((double)cf.data[o][i] - (double)cl.data[o][i]) / (1.0 + fabs((double)cf.data[o][i]));
      if (!(diff <= worst)) worst = diff; /* NaN too */
      mag += fabs((double)cf.data[o][i]);
    }
    printf("  output '%s' (%lld values, mean |y| %.3g): max difference %.3g\n", cf.names[o], (long long)cf.count[o],
           mag / (double)(cf.count[o] ? cf.count[o] : 1), worst);
    if (!(worst <= 1e-5)) {
      fprintf(stderr, "%s: output '%s' differs by %.3g between the layouts\n", what, cf.names[o], worst);
      test_failures++;
    }
  }
  free_result(&cf);
  free_result(&cl);
  free(input);
}

int main(void) {
  ingot_network *net = resnet_like(2);
  ingot_dims d = {4, {2, 8, 12, 12}};
  if (net) compare("resnet-like", net, "image", &d, NULL, NULL, 3);
  ingot_network_destroy(net);

  /* dynamic batch (opt = the run's 3, min 1, max 4) */
  net = resnet_like(-1);
  ingot_dims mn = {4, {1, 8, 12, 12}}, mx = {4, {4, 8, 12, 12}}, run = {4, {3, 8, 12, 12}};
  if (net) compare("resnet-like, dynamic batch (run at 3)", net, "image", &run, &mn, &mx, 3);
  ingot_network_destroy(net);

  /* no convolution: no region, no transposes */
  CHECK_OK(ingot_network_create(NULL, &net));
  ingot_tensor *x = NULL;
  CHECK_OK(ingot_network_add_input(net, "x", INGOT_FLOAT32, &d, &x));
  mark(net, act(net, pool(net, x, INGOT_POOLING_MAX, 2, 2, 0, false), INGOT_ACTIVATION_RELU), "y");
  compare("pooling only", net, "x", &d, NULL, NULL, 0);
  ingot_network_destroy(net);

  net = decoder_like();
  ingot_dims dd = {4, {2, 6, 5, 7}};
  if (net) compare("decoder-like", net, "x", &dd, NULL, NULL, 5);
  ingot_network_destroy(net);
  TEST_EXIT();
}
