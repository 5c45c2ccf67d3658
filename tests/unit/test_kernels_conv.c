/* Kernel-tier tests of convolution, deconvolution, pooling, batch/layer normalization,
 * resize, softmax and reduce: shape inference and the scalar CPU kernels are called
 * directly on nodes built here. Each op is checked on hand-worked examples and, on random
 * inputs, against a naive formulation written independently below (per-tap bounds checks,
 * scatter instead of gather, separable resize, scatter reduce, all in double). */
#include "test_util.h"

#include "backend/cpu/cpu_kernels.h"
#include "core/dims.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "ops/graph.h"

static ingot_thread_pool *g_pool; /* NULL in the first pass: serial; then 3 threads */
static uint64_t g_seed = 0x1234567ULL;

/* ---- tensors ------------------------------------------------------------------------- */

typedef struct tensor {
  ingot_dtype dtype;
  ingot_dims dims;
  void *data;
} tensor;

#define DIMS(...) (const int64_t[]){__VA_ARGS__}, (int32_t)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t))

static int64_t volume(const ingot_dims *d) {
  int64_t v = 1;
  for (int32_t i = 0; i < d->nb_dims; i++) v *= d->d[i];
  return v;
}

static tensor t_new(ingot_dtype dtype, const ingot_dims *dims) {
  tensor t = {dtype, *dims, NULL};
  int64_t n = volume(dims);
  t.data = calloc((size_t)(n > 0 ? n : 1), ingot_dtype_size(dtype));
  return t;
}

/* A float32 tensor holding `values`, or random values in [-1, 1) when values is NULL. */
static tensor t_f32(const int64_t *d, int32_t nb, const float *values) {
  ingot_dims dims = {0};
  dims.nb_dims = nb;
  for (int32_t i = 0; i < nb; i++) dims.d[i] = d[i];
  tensor t = t_new(INGOT_FLOAT32, &dims);
  float *p = t.data;
  for (int64_t i = 0; i < volume(&dims); i++) p[i] = values ? values[i] : test_randf(&g_seed);
  return t;
}

static tensor t_absent(void) {
  tensor t = {INGOT_FLOAT32, {0}, NULL};
  t.dims.nb_dims = -1;
  return t;
}

static void t_free(tensor *t) {
  free(t->data);
  t->data = NULL;
}

static float *F(const tensor *t) { return (float *)t->data; }

/* ---- running a node ------------------------------------------------------------------ */

typedef ingot_status (*infer_fn)(const ingot_node *, const ingot_value_info *, ingot_value_info *);
typedef ingot_status (*run_fn)(const ingot_kernel_args *);

static ingot_node make_node(const char *name, ingot_op op, int32_t nb_inputs) {
  ingot_node n;
  memset(&n, 0, sizeof n);
  n.name = (char *)name;
  n.op = op;
  n.nb_inputs = nb_inputs;
  n.nb_outputs = 1;
  return n;
}

/* Infers the output, allocates it (into *out) and runs the kernel. */
static ingot_status run_op(const ingot_node *node, infer_fn infer, run_fn run, const tensor *inputs, tensor *out) {
  ingot_value_info vi[8], vo[2];
  ingot_tensor_view views[8], ov;
  memset(vo, 0, sizeof vo);
  out->data = NULL;
  for (int32_t i = 0; i < node->nb_inputs; i++) {
    vi[i].dtype = inputs[i].dtype;
    vi[i].dims = inputs[i].dims;
    vi[i].data = inputs[i].data; /* as if every input were a known constant */
    views[i].dtype = inputs[i].dtype;
    views[i].dims = inputs[i].dims;
    views[i].data = inputs[i].data;
  }
  INGOT_TRY(infer(node, vi, vo));
  *out = t_new(vo[0].dtype, &vo[0].dims);
  ov.dtype = out->dtype;
  ov.dims = out->dims;
  ov.data = out->data;
  ingot_kernel_args args;
  memset(&args, 0, sizeof args);
  args.node = node;
  args.params = &node->params;
  args.nb_inputs = node->nb_inputs;
  args.inputs = views;
  args.nb_outputs = 1;
  args.outputs = &ov;
  args.pool = g_pool;
  return run(&args);
}

/* Compares n floats to a double reference with an fp32 tolerance; reports the first miss. */
static void check_close(const char *what, const float *got, const double *want, int64_t n, double tol) {
  for (int64_t i = 0; i < n; i++) {
    double g = got[i], w = want[i];
    bool same = (isnan(g) && isnan(w)) || (isinf(w) && g == w) || fabs(g - w) <= tol * (1.0 + fabs(w));
    if (!same) {
      fprintf(stderr, "%s: element %lld is %.8g, expected %.8g\n", what, (long long)i, g, w);
      test_failures++;
      return;
    }
  }
}

static void check_values(const char *what, const tensor *t, const double *want, int64_t n) {
  if (volume(&t->dims) != n) {
    fprintf(stderr, "%s: %lld values, expected %lld\n", what, (long long)volume(&t->dims), (long long)n);
    test_failures++;
    return;
  }
  check_close(what, F(t), want, n, 1e-5);
}

static void check_dims(const char *what, const tensor *t, const int64_t *d, int32_t nb) {
  bool same = t->dims.nb_dims == nb;
  for (int32_t i = 0; same && i < nb; i++) same = t->dims.d[i] == d[i];
  if (!same) {
    char buf[INGOT_DIMS_STR_SIZE];
    fprintf(stderr, "%s: output dims %s, expected rank %d starting %lld\n", what,
            ingot_dims_format(&t->dims, buf, sizeof buf), nb, nb ? (long long)d[0] : 0LL);
    test_failures++;
  }
}

/* Row-major index helpers of the naive references. */
static void unravel(int64_t index, const int64_t *dims, int32_t n, int64_t *coords) {
  for (int32_t i = n - 1; i >= 0; i--) {
    coords[i] = index % dims[i];
    index /= dims[i];
  }
}
static int64_t ravel(const int64_t *coords, const int64_t *dims, int32_t n) {
  int64_t index = 0;
  for (int32_t i = 0; i < n; i++) index = index * dims[i] + coords[i];
  return index;
}

/* ---- convolution ---------------------------------------------------------------------- */

/* Padding as ONNX auto_pad describes it, worked out here apart from the library's. */
static void ref_pads(int32_t mode, int64_t in, int64_t k, int64_t s, int64_t d, int64_t pre, int64_t post,
                     int64_t *pre_out, int64_t *post_out) {
  if (mode == INGOT_PADDING_VALID) {
    *pre_out = *post_out = 0;
  } else if (mode == INGOT_PADDING_EXPLICIT) {
    *pre_out = pre;
    *post_out = post;
  } else {
    int64_t out = (in + s - 1) / s;
    int64_t total = (out - 1) * s + (k - 1) * d + 1 - in;
    if (total < 0) total = 0;
    int64_t small = total / 2, big = total - small;
    *pre_out = mode == INGOT_PADDING_SAME_UPPER ? small : big;
    *post_out = mode == INGOT_PADDING_SAME_UPPER ? big : small;
  }
}

/* Direct convolution: every tap of every output checked against the input bounds. */
static void ref_conv(const ingot_conv_params *p, const tensor *x, const tensor *w, const tensor *b, const tensor *res,
                     const ingot_dims *yd, double *y) {
  int32_t ns = p->nb_spatial_dims;
  int64_t N = x->dims.d[0], C = x->dims.d[1], K = p->num_output_maps, G = p->groups ? p->groups : 1;
  int64_t cpg = C / G, kpg = K / G;
  int64_t pre[6], post[6], s[6], dl[6];
  for (int32_t i = 0; i < ns; i++) {
    s[i] = p->stride[i] ? p->stride[i] : 1;
    dl[i] = p->dilation[i] ? p->dilation[i] : 1;
    ref_pads(p->padding_mode, x->dims.d[2 + i], p->kernel_size[i], s[i], dl[i], p->pre_padding[i], p->post_padding[i],
             &pre[i], &post[i]);
  }
  int64_t taps = 1;
  for (int32_t i = 0; i < ns; i++) taps *= p->kernel_size[i];
  int64_t total = volume(yd);
  for (int64_t o = 0; o < total; o++) {
    int64_t oc[8], tc[6], xc[8], wc[8];
    unravel(o, yd->d, yd->nb_dims, oc);
    int64_t n = oc[0], k = oc[1], g = k / kpg;
    double acc = b ? F(b)[k] : 0.0;
    for (int64_t c = 0; c < cpg; c++)
      for (int64_t t = 0; t < taps; t++) {
        unravel(t, p->kernel_size, ns, tc);
        bool inside = true;
        xc[0] = n;
        xc[1] = g * cpg + c;
        for (int32_t i = 0; i < ns; i++) {
          xc[2 + i] = oc[2 + i] * s[i] - pre[i] + tc[i] * dl[i];
          if (xc[2 + i] < 0 || xc[2 + i] >= x->dims.d[2 + i]) inside = false;
        }
        if (!inside) continue;
        wc[0] = k;
        wc[1] = c;
        for (int32_t i = 0; i < ns; i++) wc[2 + i] = tc[i];
        acc += (double)F(x)[ravel(xc, x->dims.d, ns + 2)] * (double)F(w)[ravel(wc, w->dims.d, ns + 2)];
      }
    if (res) acc += F(res)[o];
    if (p->epilogue.activation == INGOT_ACTIVATION_RELU && acc < 0) acc = 0;
    y[o] = acc;
  }
  (void)N;
}

typedef struct conv_case {
  const char *name;
  int32_t ns;
  int64_t N, C, K, G;
  int64_t in[3], k[3], s[3], d[3], pre[3], post[3];
  int32_t mode;
  int32_t bias, relu, residual;
} conv_case;

static void check_conv_case(const conv_case *cc) {
  ingot_node node = make_node(cc->name, INGOT_OP_CONVOLUTION, 2 + cc->bias + cc->residual);
  ingot_conv_params *p = &node.params.conv;
  p->nb_spatial_dims = cc->ns;
  p->num_output_maps = cc->K;
  p->groups = cc->G;
  p->padding_mode = cc->mode;
  p->has_bias = cc->bias;
  p->epilogue.activation = cc->relu ? INGOT_ACTIVATION_RELU : -1;
  p->epilogue.has_residual = cc->residual;
  int64_t xd[8] = {cc->N, cc->C}, wd[8] = {cc->K, cc->C / (cc->G ? cc->G : 1)}, yd[8] = {cc->N, cc->K};
  for (int32_t i = 0; i < cc->ns; i++) {
    p->kernel_size[i] = cc->k[i];
    p->stride[i] = cc->s[i];
    p->dilation[i] = cc->d[i];
    p->pre_padding[i] = cc->pre[i];
    p->post_padding[i] = cc->post[i];
    xd[2 + i] = cc->in[i];
    wd[2 + i] = cc->k[i];
    int64_t s = cc->s[i] ? cc->s[i] : 1, d = cc->d[i] ? cc->d[i] : 1, pre, post;
    ref_pads(cc->mode, cc->in[i], cc->k[i], s, d, cc->pre[i], cc->post[i], &pre, &post);
    yd[2 + i] = (cc->in[i] + pre + post - d * (cc->k[i] - 1) - 1) / s + 1;
  }
  tensor in[4];
  in[0] = t_f32(xd, cc->ns + 2, NULL);
  in[1] = t_f32(wd, cc->ns + 2, NULL);
  int32_t nb = 2;
  if (cc->bias) in[nb++] = t_f32(DIMS(cc->K), NULL);
  if (cc->residual) in[nb++] = t_f32(yd, cc->ns + 2, NULL);
  tensor out;
  ingot_status st = run_op(&node, ingot_infer_convolution, ingot_cpu_convolution, in, &out);
  if (st != INGOT_SUCCESS) {
    fprintf(stderr, "conv case %s failed: %s\n", cc->name, ingot_last_error());
    test_failures++;
  } else {
    check_dims(cc->name, &out, yd, cc->ns + 2);
    ingot_dims ydims = ingot_dims_make(cc->ns + 2, yd);
    double *want = calloc((size_t)volume(&ydims), sizeof(double));
    ref_conv(p, &in[0], &in[1], cc->bias ? &in[2] : NULL, cc->residual ? &in[nb - 1] : NULL, &ydims, want);
    check_close(cc->name, F(&out), want, volume(&ydims), 1e-5);
    free(want);
  }
  t_free(&out);
  for (int32_t i = 0; i < nb; i++) t_free(&in[i]);
}

static void test_conv_hand(void) {
  /* x = 1..9 (3x3), w = [[1,2],[3,4]]: worked out by hand. */
  const float xv[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, wv[4] = {1, 2, 3, 4}, bv[1] = {1};
  tensor in[3] = {t_f32(DIMS(1, 1, 3, 3), xv), t_f32(DIMS(1, 1, 2, 2), wv), t_f32(DIMS(1), bv)};
  ingot_node node = make_node("conv_hand", INGOT_OP_CONVOLUTION, 3);
  ingot_conv_params *p = &node.params.conv;
  p->nb_spatial_dims = 2;
  p->num_output_maps = 1;
  p->kernel_size[0] = p->kernel_size[1] = 2;
  p->has_bias = 1;
  p->epilogue.activation = -1;
  tensor out;
  CHECK_OK(run_op(&node, ingot_infer_convolution, ingot_cpu_convolution, in, &out));
  check_values("conv 2x2 valid + bias", &out, (const double[]){38, 48, 68, 78}, 4);
  t_free(&out);
  /* stride 2, padding 1: each output sees one corner of the input. */
  p->stride[0] = p->stride[1] = 2;
  p->pre_padding[0] = p->pre_padding[1] = p->post_padding[0] = p->post_padding[1] = 1;
  node.nb_inputs = 2;
  p->has_bias = 0;
  CHECK_OK(run_op(&node, ingot_infer_convolution, ingot_cpu_convolution, in, &out));
  check_values("conv stride 2 pad 1", &out, (const double[]){4, 18, 36, 77}, 4);
  t_free(&out);
  /* 1-d, dilation 2: x = [1,2,3,4,5], w = [1,-1] -> x[i] - x[i+2] = -2 each; relu -> 0. */
  tensor in1[2] = {t_f32(DIMS(1, 1, 5), xv), t_f32(DIMS(1, 1, 2), (const float[]){1, -1})};
  ingot_node n1 = make_node("conv_dil", INGOT_OP_CONVOLUTION, 2);
  n1.params.conv.nb_spatial_dims = 1;
  n1.params.conv.num_output_maps = 1;
  n1.params.conv.kernel_size[0] = 2;
  n1.params.conv.dilation[0] = 2;
  n1.params.conv.epilogue.activation = -1;
  CHECK_OK(run_op(&n1, ingot_infer_convolution, ingot_cpu_convolution, in1, &out));
  check_values("conv 1-d dilation 2", &out, (const double[]){-2, -2, -2}, 3);
  t_free(&out);
  for (int i = 0; i < 3; i++) t_free(&in[i]);
  for (int i = 0; i < 2; i++) t_free(&in1[i]);
}

static void test_conv_random(void) {
  static const conv_case cases[] = {
      {"plain 3x3", 2, 2, 3, 4, 1, {7, 6}, {3, 3}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, 0, 1, 0, 0},
      {"stride 2 asym pad", 2, 1, 2, 3, 1, {9, 8}, {3, 2}, {2, 3}, {1, 1}, {1, 0}, {2, 1}, 0, 1, 0, 0},
      {"dilation 2x3", 2, 1, 3, 2, 1, {11, 10}, {3, 2}, {1, 2}, {2, 3}, {2, 1}, {1, 2}, 0, 0, 0, 0},
      {"groups 2", 2, 2, 4, 6, 2, {6, 5}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 0, 1, 0, 0},
      {"depthwise", 2, 1, 5, 5, 5, {7, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, 0, 1, 1, 0},
      {"depthwise x2", 2, 1, 3, 6, 3, {5, 6}, {3, 1}, {1, 1}, {1, 1}, {1, 0}, {1, 0}, 0, 0, 0, 0},
      {"odd 1x1 stride 3", 2, 3, 3, 2, 1, {7, 5}, {1, 1}, {3, 3}, {1, 1}, {0, 0}, {0, 0}, 0, 1, 0, 0},
      {"kernel bigger than input + pad", 2, 1, 2, 2, 1, {2, 3}, {4, 5}, {1, 1}, {1, 1}, {2, 2}, {1, 2}, 0, 1, 0, 0},
      {"same_upper stride 2", 2, 1, 2, 3, 1, {7, 8}, {3, 4}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, 1, 1, 0, 0},
      {"same_lower stride 2", 2, 1, 2, 3, 1, {7, 8}, {3, 4}, {2, 2}, {1, 2}, {0, 0}, {0, 0}, 2, 1, 0, 0},
      {"valid ignores pads", 2, 1, 2, 3, 1, {7, 8}, {3, 3}, {1, 2}, {1, 1}, {5, 5}, {5, 5}, 3, 0, 0, 0},
      {"1-d", 1, 2, 3, 4, 1, {13}, {5}, {2}, {1}, {2}, {1}, 0, 1, 0, 0},
      {"1-d dilated grouped", 1, 1, 4, 2, 2, {17}, {3}, {1}, {4}, {3}, {0}, 0, 1, 0, 0},
      {"3-d", 3, 1, 2, 3, 1, {5, 6, 4}, {3, 2, 3}, {1, 2, 1}, {1, 1, 1}, {1, 0, 1}, {1, 1, 0}, 0, 1, 0, 0},
      {"3-d strided dilated", 3, 2, 2, 2, 2, {7, 5, 6}, {2, 3, 2}, {2, 1, 3}, {2, 1, 1}, {0, 1, 1}, {1, 1, 0}, 0, 1, 0, 0},
      {"relu epilogue", 2, 1, 3, 4, 1, {6, 6}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 0, 1, 1, 0},
      {"residual + relu", 2, 2, 3, 4, 1, {6, 7}, {3, 3}, {1, 2}, {1, 1}, {1, 1}, {1, 1}, 0, 1, 1, 1},
      {"residual, no bias", 2, 1, 2, 2, 1, {5, 5}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 0, 0, 0, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_conv_case(&cases[i]);
}

static void test_conv_errors(void) {
  tensor in[2] = {t_f32(DIMS(1, 3, 8, 8), NULL), t_f32(DIMS(6, 3, 5, 5), NULL)};
  ingot_node node = make_node("conv1", INGOT_OP_CONVOLUTION, 2);
  ingot_conv_params *p = &node.params.conv;
  p->nb_spatial_dims = 2;
  p->num_output_maps = 6;
  p->groups = 3;
  p->kernel_size[0] = p->kernel_size[1] = 5;
  p->epilogue.activation = -1;
  tensor out;
  CHECK_FAILS(run_op(&node, ingot_infer_convolution, ingot_cpu_convolution, in, &out), INGOT_INVALID_ARGUMENT,
              "layer 'conv1' (convolution): kernel weights have dims 6x3x5x5, expected 6x1x5x5");
  /* A flat weight tensor: the message gives the count and how it is made up. */
  in[1].dims = ingot_dims_make(1, (const int64_t[]){450});
  CHECK_FAILS(run_op(&node, ingot_infer_convolution, ingot_cpu_convolution, in, &out), INGOT_INVALID_ARGUMENT,
              "kernel weights have 450 values, expected 6*1*5*5 = 150");
  p->groups = 4;
  CHECK_FAILS(run_op(&node, ingot_infer_convolution, ingot_cpu_convolution, in, &out), INGOT_INVALID_ARGUMENT,
              "groups (4) does not divide the input channels (3)");
  p->groups = 1;
  p->nb_spatial_dims = 7;
  CHECK_FAILS(run_op(&node, ingot_infer_convolution, ingot_cpu_convolution, in, &out), INGOT_INVALID_ARGUMENT,
              "nb_spatial_dims is 7, expected 1 to 6");
  p->nb_spatial_dims = 2;
  p->kernel_size[1] = 0;
  CHECK_FAILS(run_op(&node, ingot_infer_convolution, ingot_cpu_convolution, in, &out), INGOT_INVALID_ARGUMENT,
              "kernel_size[1] is 0");
  p->kernel_size[1] = 9;
  in[1].dims = ingot_dims_make(4, (const int64_t[]){6, 3, 5, 9});
  CHECK_FAILS(run_op(&node, ingot_infer_convolution, ingot_cpu_convolution, in, &out), INGOT_INVALID_ARGUMENT,
              "spatial dim 1 of the input is 8");
  p->kernel_size[1] = 5;
  p->stride[0] = -1;
  in[1].dims = ingot_dims_make(4, (const int64_t[]){6, 3, 5, 5});
  CHECK_FAILS(run_op(&node, ingot_infer_convolution, ingot_cpu_convolution, in, &out), INGOT_INVALID_ARGUMENT,
              "stride[0] is -1");
  p->stride[0] = 1;
  in[0].dtype = INGOT_INT8;
  CHECK_FAILS(run_op(&node, ingot_infer_convolution, ingot_cpu_convolution, in, &out), INGOT_INVALID_ARGUMENT,
              "input has dtype int8");
  in[0].dtype = INGOT_FLOAT32;
  in[0].dims = ingot_dims_make(3, (const int64_t[]){3, 8, 8});
  CHECK_FAILS(run_op(&node, ingot_infer_convolution, ingot_cpu_convolution, in, &out), INGOT_INVALID_ARGUMENT,
              "expected rank 4");
  in[0].dims = ingot_dims_make(4, (const int64_t[]){1, 3, 8, 8});
  p->has_bias = 1;
  CHECK_FAILS(run_op(&node, ingot_infer_convolution, ingot_cpu_convolution, in, &out), INGOT_INVALID_GRAPH,
              "bias input (input 2) is missing");
  /* Dynamic batch and spatial dims pass through inference as -1. */
  p->has_bias = 0;
  ingot_value_info vi[2] = {{INGOT_FLOAT32, ingot_dims_make(4, (const int64_t[]){-1, 3, -1, 8}), NULL},
                            {INGOT_FLOAT32, in[1].dims, NULL}},
                   vo[1];
  CHECK_OK(ingot_infer_convolution(&node, vi, vo));
  CHECK(vo[0].dims.nb_dims == 4 && vo[0].dims.d[0] == -1 && vo[0].dims.d[1] == 6 && vo[0].dims.d[2] == -1 &&
        vo[0].dims.d[3] == 4);
  for (int i = 0; i < 2; i++) t_free(&in[i]);
}

/* ---- deconvolution --------------------------------------------------------------------- */

/* Scatter formulation: every input cell adds its kernel, scaled, into the output. */
static void ref_deconv(const ingot_conv_params *p, const tensor *x, const tensor *w, const tensor *b,
                       const ingot_dims *yd, const int64_t *pre, double *y) {
  int32_t ns = p->nb_spatial_dims;
  int64_t C = x->dims.d[1], K = p->num_output_maps, G = p->groups ? p->groups : 1, cpg = C / G, kpg = K / G;
  int64_t taps = 1;
  for (int32_t i = 0; i < ns; i++) taps *= p->kernel_size[i];
  int64_t total = volume(yd);
  for (int64_t o = 0; o < total; o++) {
    int64_t oc[8];
    unravel(o, yd->d, yd->nb_dims, oc);
    y[o] = b ? F(b)[oc[1]] : 0.0;
  }
  for (int64_t i = 0; i < volume(&x->dims); i++) {
    int64_t xc[8], tc[6], yc[8], wc[8];
    unravel(i, x->dims.d, x->dims.nb_dims, xc);
    int64_t g = xc[1] / cpg;
    for (int64_t kl = 0; kl < kpg; kl++)
      for (int64_t t = 0; t < taps; t++) {
        unravel(t, p->kernel_size, ns, tc);
        bool inside = true;
        yc[0] = xc[0];
        yc[1] = g * kpg + kl;
        for (int32_t s = 0; s < ns; s++) {
          int64_t st = p->stride[s] ? p->stride[s] : 1, dl = p->dilation[s] ? p->dilation[s] : 1;
          yc[2 + s] = xc[2 + s] * st + tc[s] * dl - pre[s];
          if (yc[2 + s] < 0 || yc[2 + s] >= yd->d[2 + s]) inside = false;
        }
        if (!inside) continue;
        wc[0] = xc[1];
        wc[1] = kl;
        for (int32_t s = 0; s < ns; s++) wc[2 + s] = tc[s];
        y[ravel(yc, yd->d, ns + 2)] += (double)F(x)[i] * (double)F(w)[ravel(wc, w->dims.d, ns + 2)];
      }
  }
}

typedef struct deconv_case {
  const char *name;
  int32_t ns;
  int64_t N, C, K, G;
  int64_t in[3], k[3], s[3], d[3], pre[3], post[3], op[3];
  int32_t mode, bias;
} deconv_case;

static void check_deconv_case(const deconv_case *dc) {
  ingot_node node = make_node(dc->name, INGOT_OP_DECONVOLUTION, 2 + dc->bias);
  ingot_conv_params *p = &node.params.conv;
  p->nb_spatial_dims = dc->ns;
  p->num_output_maps = dc->K;
  p->groups = dc->G;
  p->padding_mode = dc->mode;
  p->has_bias = dc->bias;
  p->epilogue.activation = -1;
  int64_t G = dc->G ? dc->G : 1;
  int64_t xd[8] = {dc->N, dc->C}, wd[8] = {dc->C, dc->K / G}, yd[8] = {dc->N, dc->K}, pre[3];
  for (int32_t i = 0; i < dc->ns; i++) {
    p->kernel_size[i] = dc->k[i];
    p->stride[i] = dc->s[i];
    p->dilation[i] = dc->d[i];
    p->pre_padding[i] = dc->pre[i];
    p->post_padding[i] = dc->post[i];
    p->output_padding[i] = dc->op[i];
    xd[2 + i] = dc->in[i];
    wd[2 + i] = dc->k[i];
    int64_t s = dc->s[i] ? dc->s[i] : 1, d = dc->d[i] ? dc->d[i] : 1;
    int64_t full = s * (dc->in[i] - 1) + dc->op[i] + d * (dc->k[i] - 1) + 1;
    if (dc->mode == INGOT_PADDING_SAME_UPPER || dc->mode == INGOT_PADDING_SAME_LOWER) {
      yd[2 + i] = dc->in[i] * s;
      int64_t total = full - yd[2 + i];
      pre[i] = dc->mode == INGOT_PADDING_SAME_UPPER ? total / 2 : total - total / 2;
    } else {
      pre[i] = dc->pre[i];
      yd[2 + i] = full - dc->pre[i] - dc->post[i];
    }
  }
  tensor in[3];
  in[0] = t_f32(xd, dc->ns + 2, NULL);
  in[1] = t_f32(wd, dc->ns + 2, NULL);
  if (dc->bias) in[2] = t_f32(DIMS(dc->K), NULL);
  tensor out;
  ingot_status st = run_op(&node, ingot_infer_deconvolution, ingot_cpu_deconvolution, in, &out);
  if (st != INGOT_SUCCESS) {
    fprintf(stderr, "deconv case %s failed: %s\n", dc->name, ingot_last_error());
    test_failures++;
  } else {
    check_dims(dc->name, &out, yd, dc->ns + 2);
    ingot_dims ydims = ingot_dims_make(dc->ns + 2, yd);
    double *want = calloc((size_t)volume(&ydims), sizeof(double));
    ref_deconv(p, &in[0], &in[1], dc->bias ? &in[2] : NULL, &ydims, pre, want);
    check_close(dc->name, F(&out), want, volume(&ydims), 1e-5);
    free(want);
  }
  t_free(&out);
  for (int32_t i = 0; i < 2 + dc->bias; i++) t_free(&in[i]);
}

static void test_deconv(void) {
  /* By hand: x = [1, 2], w = [1, 1, 1], stride 2 -> [1, 1, 1+2, 2, 2]. */
  tensor in[2] = {t_f32(DIMS(1, 1, 2), (const float[]){1, 2}), t_f32(DIMS(1, 1, 3), (const float[]){1, 1, 1})};
  ingot_node node = make_node("deconv_hand", INGOT_OP_DECONVOLUTION, 2);
  node.params.conv.nb_spatial_dims = 1;
  node.params.conv.num_output_maps = 1;
  node.params.conv.kernel_size[0] = 3;
  node.params.conv.stride[0] = 2;
  node.params.conv.epilogue.activation = -1;
  tensor out;
  CHECK_OK(run_op(&node, ingot_infer_deconvolution, ingot_cpu_deconvolution, in, &out));
  check_values("deconv 1-d stride 2", &out, (const double[]){1, 1, 3, 2, 2}, 5);
  t_free(&out);
  /* output_padding 1 appends a cell that no input reaches; pre padding 1 crops the first. */
  node.params.conv.output_padding[0] = 1;
  node.params.conv.pre_padding[0] = 1;
  CHECK_OK(run_op(&node, ingot_infer_deconvolution, ingot_cpu_deconvolution, in, &out));
  check_values("deconv output_padding + pre pad", &out, (const double[]){1, 3, 2, 2, 0}, 5);
  t_free(&out);
  node.params.conv.output_padding[0] = 2;
  CHECK_FAILS(run_op(&node, ingot_infer_deconvolution, ingot_cpu_deconvolution, in, &out), INGOT_INVALID_ARGUMENT,
              "output_padding[0] is 2, expected less than the stride (2)");
  t_free(&in[0]);
  t_free(&in[1]);

  static const deconv_case cases[] = {
      {"deconv 2-d plain", 2, 2, 3, 2, 1, {4, 5}, {3, 3}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, {0, 0}, 0, 1},
      {"deconv stride 2 pad", 2, 1, 2, 3, 1, {4, 3}, {3, 4}, {2, 2}, {1, 1}, {1, 0}, {1, 2}, {1, 0}, 0, 1},
      {"deconv stride 3 op 2", 2, 1, 2, 2, 1, {3, 4}, {2, 3}, {3, 2}, {1, 1}, {0, 1}, {0, 0}, {2, 1}, 0, 0},
      {"deconv groups 2", 2, 2, 4, 6, 2, {3, 4}, {3, 2}, {2, 1}, {1, 1}, {1, 0}, {0, 0}, {1, 0}, 0, 1},
      {"deconv depthwise", 2, 1, 3, 3, 3, {4, 4}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 0, 1},
      {"deconv dilation", 2, 1, 2, 2, 1, {4, 3}, {3, 2}, {2, 1}, {2, 3}, {0, 1}, {1, 0}, {1, 2}, 0, 1},
      {"deconv same_upper", 2, 1, 2, 3, 1, {3, 4}, {3, 4}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, {0, 0}, 1, 1},
      {"deconv same_lower", 2, 1, 2, 3, 1, {3, 4}, {3, 4}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, {1, 0}, 2, 1},
      {"deconv same, kernel < stride", 1, 1, 2, 2, 1, {5}, {1}, {3}, {1}, {0}, {0}, {0}, 1, 1},
      {"deconv 1-d", 1, 2, 3, 2, 1, {7}, {4}, {3}, {1}, {1}, {2}, {2}, 0, 1},
      {"deconv 3-d", 3, 1, 2, 2, 2, {3, 2, 3}, {2, 3, 2}, {2, 1, 2}, {1, 1, 1}, {0, 1, 0}, {1, 0, 0}, {1, 0, 0}, 0, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_deconv_case(&cases[i]);
}

/* ---- pooling ---------------------------------------------------------------------------- */

/* Each tap of each window is classed as inside the input, in the padding, or past the
 * post padding (ceil mode): a naive restatement of the counting rules. */
static void ref_pool(const ingot_pooling_params *p, const tensor *x, const ingot_dims *yd, double *y) {
  int32_t ns = x->dims.nb_dims - 2;
  int64_t win[6], s[6], dl[6], pre[6], post[6];
  for (int32_t i = 0; i < ns; i++) {
    int64_t in = x->dims.d[2 + i];
    win[i] = p->global ? in : p->window_size[i];
    s[i] = p->global || !p->stride[i] ? 1 : p->stride[i];
    dl[i] = p->global || !p->dilation[i] ? 1 : p->dilation[i];
    if (p->global)
      pre[i] = post[i] = 0;
    else
      ref_pads(p->padding_mode, in, win[i], s[i], dl[i], p->pre_padding[i], p->post_padding[i], &pre[i], &post[i]);
  }
  int64_t taps = 1;
  for (int32_t i = 0; i < ns; i++) taps *= win[i];
  for (int64_t o = 0; o < volume(yd); o++) {
    int64_t oc[8], tc[6], xc[8];
    unravel(o, yd->d, yd->nb_dims, oc);
    double sum = 0, max = -INFINITY;
    int64_t real = 0, padded = 0;
    for (int64_t t = 0; t < taps; t++) {
      unravel(t, win, ns, tc);
      bool inside = true, in_pad_box = true;
      xc[0] = oc[0];
      xc[1] = oc[1];
      for (int32_t i = 0; i < ns; i++) {
        int64_t pos = oc[2 + i] * s[i] - pre[i] + tc[i] * dl[i];
        xc[2 + i] = pos;
        if (pos < 0 || pos >= x->dims.d[2 + i]) inside = false;
        if (pos < -pre[i] || pos >= x->dims.d[2 + i] + post[i]) in_pad_box = false;
      }
      if (in_pad_box) padded++;
      if (!inside) continue;
      real++;
      double v = F(x)[ravel(xc, x->dims.d, ns + 2)];
      sum += v;
      if (v > max) max = v;
    }
    if (p->type == INGOT_POOLING_MAX)
      y[o] = max;
    else
      y[o] = sum / (double)(p->average_count_excludes_padding ? real : padded);
  }
}

typedef struct pool_case {
  const char *name;
  int32_t ns, type, mode, exclude, ceil, global;
  int64_t N, C;
  int64_t in[3], k[3], s[3], d[3], pre[3], post[3];
  int64_t out[3]; /* expected output spatial dims, worked out by hand */
} pool_case;

static void check_pool_case(const pool_case *pc) {
  ingot_node node = make_node(pc->name, INGOT_OP_POOLING, 1);
  ingot_pooling_params *p = &node.params.pooling;
  p->type = pc->type;
  p->nb_spatial_dims = pc->ns;
  p->padding_mode = pc->mode;
  p->average_count_excludes_padding = pc->exclude;
  p->ceil_mode = pc->ceil;
  p->global = pc->global;
  int64_t xd[8] = {pc->N, pc->C}, yd[8] = {pc->N, pc->C};
  for (int32_t i = 0; i < pc->ns; i++) {
    p->window_size[i] = pc->global ? 1 : pc->k[i];
    p->stride[i] = pc->s[i];
    p->dilation[i] = pc->d[i];
    p->pre_padding[i] = pc->pre[i];
    p->post_padding[i] = pc->post[i];
    xd[2 + i] = pc->in[i];
    yd[2 + i] = pc->out[i];
  }
  tensor x = t_f32(xd, pc->ns + 2, NULL), out;
  ingot_status st = run_op(&node, ingot_infer_pooling, ingot_cpu_pooling, &x, &out);
  if (st != INGOT_SUCCESS) {
    fprintf(stderr, "pool case %s failed: %s\n", pc->name, ingot_last_error());
    test_failures++;
  } else {
    check_dims(pc->name, &out, yd, pc->ns + 2);
    ingot_dims ydims = ingot_dims_make(pc->ns + 2, yd);
    double *want = calloc((size_t)volume(&ydims), sizeof(double));
    ref_pool(p, &x, &ydims, want);
    check_close(pc->name, F(&out), want, volume(&ydims), 1e-5);
    free(want);
  }
  t_free(&out);
  t_free(&x);
}

static void test_pool(void) {
  enum { MAX = INGOT_POOLING_MAX, AVG = INGOT_POOLING_AVERAGE };
  /* By hand, x = [1,2,3,4,5], window 3, stride 2, padding 1 each side:
   * windows [p,1,2] [2,3,4] [4,5,p]: excluding padding 1.5, 3, 4.5; including 1, 3, 3. */
  tensor x = t_f32(DIMS(1, 1, 5), (const float[]){1, 2, 3, 4, 5}), out;
  ingot_node node = make_node("pool_hand", INGOT_OP_POOLING, 1);
  ingot_pooling_params *p = &node.params.pooling;
  p->type = AVG;
  p->nb_spatial_dims = 1;
  p->window_size[0] = 3;
  p->stride[0] = 2;
  p->pre_padding[0] = p->post_padding[0] = 1;
  p->average_count_excludes_padding = 1;
  CHECK_OK(run_op(&node, ingot_infer_pooling, ingot_cpu_pooling, &x, &out));
  check_values("avg exclude pad", &out, (const double[]){1.5, 3, 4.5}, 3);
  t_free(&out);
  p->average_count_excludes_padding = 0;
  CHECK_OK(run_op(&node, ingot_infer_pooling, ingot_cpu_pooling, &x, &out));
  check_values("avg include pad", &out, (const double[]){1, 3, 3}, 3);
  t_free(&out);
  /* ceil mode, window 2 stride 2, no padding: [1,2] [3,4] [5] -> the last window holds
   * one cell, whatever the padding rule. Floor mode drops it. */
  p->window_size[0] = 2;
  p->pre_padding[0] = p->post_padding[0] = 0;
  p->ceil_mode = 1;
  CHECK_OK(run_op(&node, ingot_infer_pooling, ingot_cpu_pooling, &x, &out));
  check_values("avg ceil", &out, (const double[]){1.5, 3.5, 5}, 3);
  t_free(&out);
  p->ceil_mode = 0;
  p->type = MAX;
  CHECK_OK(run_op(&node, ingot_infer_pooling, ingot_cpu_pooling, &x, &out));
  check_values("max floor", &out, (const double[]){2, 4}, 2);
  t_free(&out);
  t_free(&x);
  /* ceil with padding: x = [1,2,3,4], window 3, stride 2, pad 1+1 -> 3 windows:
   * [p,1,2] [2,3,4] [4,p,beyond]: include-pad averages 1, 3, 2; exclude 1.5, 3, 4. */
  x = t_f32(DIMS(1, 1, 4), (const float[]){1, 2, 3, 4});
  p->type = AVG;
  p->window_size[0] = 3;
  p->pre_padding[0] = p->post_padding[0] = 1;
  p->ceil_mode = 1;
  p->average_count_excludes_padding = 0;
  CHECK_OK(run_op(&node, ingot_infer_pooling, ingot_cpu_pooling, &x, &out));
  check_values("avg ceil include pad", &out, (const double[]){1, 3, 2}, 3);
  t_free(&out);
  p->average_count_excludes_padding = 1;
  CHECK_OK(run_op(&node, ingot_infer_pooling, ingot_cpu_pooling, &x, &out));
  check_values("avg ceil exclude pad", &out, (const double[]){1.5, 3, 4}, 3);
  t_free(&out);
  t_free(&x);
  /* 2-d max 2x2 stride 2 on a 4x4 ramp, and a global average. */
  float ramp[16];
  for (int i = 0; i < 16; i++) ramp[i] = (float)i;
  x = t_f32(DIMS(1, 1, 4, 4), ramp);
  ingot_node n2 = make_node("pool_2d", INGOT_OP_POOLING, 1);
  n2.params.pooling.type = MAX;
  n2.params.pooling.nb_spatial_dims = 2;
  n2.params.pooling.window_size[0] = n2.params.pooling.window_size[1] = 2;
  n2.params.pooling.stride[0] = n2.params.pooling.stride[1] = 2;
  CHECK_OK(run_op(&n2, ingot_infer_pooling, ingot_cpu_pooling, &x, &out));
  check_values("max 2x2", &out, (const double[]){5, 7, 13, 15}, 4);
  t_free(&out);
  n2.params.pooling.type = AVG;
  n2.params.pooling.global = 1;
  CHECK_OK(run_op(&n2, ingot_infer_pooling, ingot_cpu_pooling, &x, &out));
  check_values("global avg", &out, (const double[]){7.5}, 1);
  t_free(&out);
  t_free(&x);

  static const pool_case cases[] = {
      {"max 3x3 s2 p1", 2, MAX, 0, 0, 0, 0, 2, 3, {9, 8}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, {5, 4}},
      {"avg excl asym", 2, AVG, 0, 1, 0, 0, 1, 2, {7, 9}, {3, 2}, {2, 3}, {1, 1}, {2, 0}, {0, 1}, {4, 3}},
      {"avg incl asym", 2, AVG, 0, 0, 0, 0, 1, 2, {7, 9}, {3, 2}, {2, 3}, {1, 1}, {2, 0}, {0, 1}, {4, 3}},
      {"max ceil (last col dropped)", 2, MAX, 0, 0, 1, 0, 1, 3, {8, 7}, {3, 2}, {2, 2}, {1, 1}, {0, 1}, {0, 1}, {4, 4}},
      {"avg ceil incl", 2, AVG, 0, 0, 1, 0, 1, 3, {8, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, {5, 4}},
      {"avg ceil excl", 2, AVG, 0, 1, 1, 0, 1, 3, {8, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, {5, 4}},
      {"avg ceil drop last", 1, AVG, 0, 0, 1, 0, 1, 2, {6}, {2}, {3}, {1}, {1}, {1}, {3}},
      {"max dilated", 2, MAX, 0, 0, 0, 0, 1, 2, {9, 10}, {3, 2}, {1, 2}, {2, 3}, {1, 0}, {1, 1}, {7, 4}},
      {"avg dilated incl", 2, AVG, 0, 0, 0, 0, 1, 2, {9, 10}, {3, 2}, {2, 2}, {2, 3}, {2, 1}, {2, 1}, {5, 5}},
      {"max same_upper", 2, MAX, 1, 0, 0, 0, 1, 2, {7, 8}, {3, 2}, {2, 3}, {1, 1}, {0, 0}, {0, 0}, {4, 3}},
      {"avg same_lower incl", 2, AVG, 2, 0, 0, 0, 1, 2, {7, 8}, {4, 3}, {2, 3}, {1, 1}, {0, 0}, {0, 0}, {4, 3}},
      {"avg valid", 2, AVG, 3, 1, 0, 0, 1, 2, {7, 8}, {3, 3}, {2, 2}, {1, 1}, {9, 9}, {9, 9}, {3, 3}},
      {"max 1-d", 1, MAX, 0, 0, 0, 0, 3, 2, {11}, {4}, {3}, {1}, {2}, {1}, {4}},
      {"avg 3-d incl", 3, AVG, 0, 0, 0, 0, 1, 2, {5, 6, 4}, {2, 3, 2}, {2, 2, 1}, {1, 1, 1}, {1, 1, 0}, {1, 0, 1}, {3, 3, 4}},
      {"max 3-d ceil", 3, MAX, 0, 0, 1, 0, 1, 2, {5, 6, 4}, {2, 3, 2}, {2, 2, 3}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, {3, 3, 2}},
      {"global max 2-d", 2, MAX, 0, 0, 0, 1, 2, 3, {5, 6}, {0}, {0}, {0}, {0}, {0}, {1, 1}},
      {"global avg 3-d", 3, AVG, 0, 0, 0, 1, 2, 2, {3, 4, 5}, {0}, {0}, {0}, {0}, {0}, {1, 1, 1}},
      {"global avg 1-d", 1, AVG, 0, 1, 0, 1, 1, 4, {9}, {0}, {0}, {0}, {0}, {0}, {1}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_pool_case(&cases[i]);

  /* Errors. */
  x = t_f32(DIMS(1, 2, 4, 4), NULL);
  n2.params.pooling.global = 0;
  n2.params.pooling.window_size[1] = 0;
  CHECK_FAILS(run_op(&n2, ingot_infer_pooling, ingot_cpu_pooling, &x, &out), INGOT_INVALID_ARGUMENT,
              "layer 'pool_2d' (pooling): window_size[1] is 0");
  n2.params.pooling.window_size[1] = 6;
  CHECK_FAILS(run_op(&n2, ingot_infer_pooling, ingot_cpu_pooling, &x, &out), INGOT_INVALID_ARGUMENT,
              "gives an output of 0");
  n2.params.pooling.window_size[1] = 2;
  n2.params.pooling.type = 7;
  CHECK_FAILS(run_op(&n2, ingot_infer_pooling, ingot_cpu_pooling, &x, &out), INGOT_INVALID_ARGUMENT,
              "pooling type is 7");
  t_free(&x);
}

/* ---- batch and layer normalization ----------------------------------------------------- */

static void test_batch_norm(void) {
  /* By hand: 3 * (2 - 1) / sqrt(3 + 1) + 1 = 2.5 */
  tensor in[5] = {t_f32(DIMS(1, 1, 1), (const float[]){2}), t_f32(DIMS(1), (const float[]){3}),
                  t_f32(DIMS(1), (const float[]){1}), t_f32(DIMS(1), (const float[]){1}),
                  t_f32(DIMS(1), (const float[]){3})};
  ingot_node node = make_node("bn_hand", INGOT_OP_BATCH_NORMALIZATION, 5);
  node.params.batchnorm.epsilon = 1.0f;
  tensor out;
  CHECK_OK(run_op(&node, ingot_infer_batch_normalization, ingot_cpu_batch_normalization, in, &out));
  check_values("batch norm by hand", &out, (const double[]){2.5}, 1);
  t_free(&out);
  for (int i = 0; i < 5; i++) t_free(&in[i]);

  /* Random [2, 3, 4, 5]; variance positive. */
  in[0] = t_f32(DIMS(2, 3, 4, 5), NULL);
  for (int i = 1; i < 5; i++) in[i] = t_f32(DIMS(3), NULL);
  for (int c = 0; c < 3; c++) F(&in[4])[c] = 0.5f + fabsf(F(&in[4])[c]);
  node.params.batchnorm.epsilon = 1e-5f;
  CHECK_OK(run_op(&node, ingot_infer_batch_normalization, ingot_cpu_batch_normalization, in, &out));
  double want[120];
  for (int i = 0; i < 120; i++) {
    int c = (i / 20) % 3;
    want[i] = F(&in[1])[c] * (F(&in[0])[i] - F(&in[3])[c]) / sqrt(F(&in[4])[c] + 1e-5) + F(&in[2])[c];
  }
  check_values("batch norm random", &out, want, 120);
  t_free(&out);
  /* 2-d input [N, C] works too; a weight of the wrong size is named. */
  in[0].dims = ingot_dims_make(2, (const int64_t[]){40, 3});
  CHECK_OK(run_op(&node, ingot_infer_batch_normalization, ingot_cpu_batch_normalization, in, &out));
  for (int i = 0; i < 120; i++) {
    int c = i % 3;
    want[i] = F(&in[1])[c] * (F(&in[0])[i] - F(&in[3])[c]) / sqrt(F(&in[4])[c] + 1e-5) + F(&in[2])[c];
  }
  check_values("batch norm 2-d", &out, want, 120);
  t_free(&out);
  in[3].dims = ingot_dims_make(1, (const int64_t[]){2});
  CHECK_FAILS(run_op(&node, ingot_infer_batch_normalization, ingot_cpu_batch_normalization, in, &out),
              INGOT_INVALID_ARGUMENT, "mean has 2 values (dims 2), expected one per channel = 3");
  in[3].dims = ingot_dims_make(1, (const int64_t[]){3});
  node.params.batchnorm.epsilon = -1.0f;
  CHECK_FAILS(run_op(&node, ingot_infer_batch_normalization, ingot_cpu_batch_normalization, in, &out),
              INGOT_INVALID_ARGUMENT, "epsilon is -1");
  for (int i = 0; i < 5; i++) t_free(&in[i]);
}

static void ref_layer_norm(const tensor *x, int32_t first, const tensor *scale, const tensor *bias, double eps,
                           double *y) {
  int64_t inner = 1, rows = 1;
  for (int32_t i = 0; i < x->dims.nb_dims; i++) {
    if (i < first)
      rows *= x->dims.d[i];
    else
      inner *= x->dims.d[i];
  }
  for (int64_t r = 0; r < rows; r++) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < inner; i++) mean += F(x)[r * inner + i];
    mean /= (double)inner;
    for (int64_t i = 0; i < inner; i++) var += pow(F(x)[r * inner + i] - mean, 2);
    var /= (double)inner;
    for (int64_t i = 0; i < inner; i++) {
      /* broadcast by coordinates: align trailing dims, index 0 where the dim is 1 */
      int64_t xc[8], sc[8], e = r * inner + i;
      unravel(e, x->dims.d, x->dims.nb_dims, xc);
      double s = 1, b = 0;
      const tensor *ab[2] = {scale, bias};
      for (int k = 0; k < 2; k++) {
        if (!ab[k]) continue;
        int32_t off = x->dims.nb_dims - ab[k]->dims.nb_dims;
        for (int32_t d = 0; d < ab[k]->dims.nb_dims; d++) sc[d] = ab[k]->dims.d[d] == 1 ? 0 : xc[off + d];
        double v = F(ab[k])[ravel(sc, ab[k]->dims.d, ab[k]->dims.nb_dims)];
        if (k == 0) s = v; else b = v;
      }
      y[e] = (F(x)[e] - mean) / sqrt(var + eps) * s + b;
    }
  }
}

static void check_layer_norm(const char *what, const int64_t *xd, int32_t xn, uint32_t mask, int32_t first,
                             const int64_t *sd, int32_t sn, const int64_t *bd, int32_t bn) {
  tensor in[3];
  in[0] = t_f32(xd, xn, NULL);
  in[1] = t_f32(sd, sn, NULL);
  in[2] = bd ? t_f32(bd, bn, NULL) : t_absent();
  ingot_node node = make_node(what, INGOT_OP_LAYER_NORMALIZATION, bd ? 3 : 2);
  node.params.layernorm.axes_mask = mask;
  node.params.layernorm.epsilon = 1e-5f;
  tensor out;
  ingot_status st = run_op(&node, ingot_infer_layer_normalization, ingot_cpu_layer_normalization, in, &out);
  if (st != INGOT_SUCCESS) {
    fprintf(stderr, "%s failed: %s\n", what, ingot_last_error());
    test_failures++;
  } else {
    int64_t n = volume(&in[0].dims);
    double *want = calloc((size_t)n, sizeof(double));
    ref_layer_norm(&in[0], first, &in[1], bd ? &in[2] : NULL, 1e-5, want);
    check_close(what, F(&out), want, n, 1e-5);
    free(want);
  }
  t_free(&out);
  for (int i = 0; i < 3; i++) t_free(&in[i]);
}

static void test_layer_norm(void) {
  /* By hand: [1,2,3,4]: mean 2.5, variance 1.25; scale 2, bias 1. */
  tensor in[3] = {t_f32(DIMS(1, 4), (const float[]){1, 2, 3, 4}), t_f32(DIMS(4), (const float[]){2, 2, 2, 2}),
                  t_f32(DIMS(1), (const float[]){1})};
  ingot_node node = make_node("ln_hand", INGOT_OP_LAYER_NORMALIZATION, 3);
  node.params.layernorm.axes_mask = 0x2;
  tensor out;
  CHECK_OK(run_op(&node, ingot_infer_layer_normalization, ingot_cpu_layer_normalization, in, &out));
  double r = 1.0 / sqrt(1.25);
  check_values("layer norm by hand", &out, (const double[]){1 - 3 * r, 1 - r, 1 + r, 1 + 3 * r}, 4);
  t_free(&out);
  for (int i = 0; i < 3; i++) t_free(&in[i]);

  check_layer_norm("ln last axis", DIMS(3, 5, 16), 0x4, 2, DIMS(16), DIMS(16));
  check_layer_norm("ln last axis, no bias", DIMS(4, 7), 0x2, 1, DIMS(7), NULL, 0);
  check_layer_norm("ln two axes", DIMS(2, 3, 4, 5), 0xC, 2, DIMS(4, 5), DIMS(4, 5));
  check_layer_norm("ln two axes, rank-4 scale", DIMS(2, 3, 4, 5), 0xC, 2, DIMS(1, 1, 4, 5), DIMS(1, 1, 1, 5));
  check_layer_norm("ln broadcast scale dim", DIMS(2, 3, 4, 5), 0xC, 2, DIMS(1, 5), DIMS(4, 1));
  check_layer_norm("ln per-channel scale", DIMS(2, 3, 4, 5), 0xC, 2, DIMS(3, 1, 1), DIMS(3, 4, 5));
  check_layer_norm("ln all axes", DIMS(3, 4, 5), 0x7, 0, DIMS(3, 4, 5), DIMS(5));

  in[0] = t_f32(DIMS(2, 3, 4), NULL);
  in[1] = t_f32(DIMS(3), NULL);
  node.nb_inputs = 2;
  node.params.layernorm.axes_mask = 0x2;
  CHECK_FAILS(run_op(&node, ingot_infer_layer_normalization, ingot_cpu_layer_normalization, in, &out),
              INGOT_INVALID_ARGUMENT, "axes mask 0x2 does not select trailing dims");
  node.params.layernorm.axes_mask = 0x4;
  CHECK_FAILS(run_op(&node, ingot_infer_layer_normalization, ingot_cpu_layer_normalization, in, &out),
              INGOT_INVALID_ARGUMENT, "scale has dims 3, which do not broadcast against the input dims 2x3x4");
  node.params.layernorm.axes_mask = 0x10;
  CHECK_FAILS(run_op(&node, ingot_infer_layer_normalization, ingot_cpu_layer_normalization, in, &out),
              INGOT_INVALID_ARGUMENT, "out of range");
  t_free(&in[0]);
  t_free(&in[1]);
}

/* ---- resize ---------------------------------------------------------------------------- */

static const char *const transform_names[4] = {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"};
static const char *const rounding_names[4] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};

/* 1-d sampling position, restated from the ONNX spec. */
static double ref_coord(int32_t transform, int64_t x, int64_t in, double scale, double length) {
  switch (transform) {
    case INGOT_RESIZE_HALF_PIXEL: return (x + 0.5) / scale - 0.5;
    case INGOT_RESIZE_ASYMMETRIC: return x / scale;
    case INGOT_RESIZE_ALIGN_CORNERS: return length == 1 ? 0 : x * (in - 1.0) / (length - 1.0);
    default: return length > 1 ? (x + 0.5) / scale - 0.5 : 0;
  }
}

static int64_t ref_round(int32_t mode, double v, int64_t in) {
  double r;
  switch (mode) {
    case INGOT_RESIZE_ROUND_HALF_DOWN: r = ceil(v - 0.5); break;
    case INGOT_RESIZE_ROUND_HALF_UP: r = floor(v + 0.5); break;
    case INGOT_RESIZE_FLOOR: r = floor(v); break;
    default: r = ceil(v); break;
  }
  return r < 0 ? 0 : r > in - 1 ? in - 1 : (int64_t)r;
}

/* Separable resize: one dim at a time, in double. */
static double *ref_resize(const ingot_resize_params *p, const tensor *x, const ingot_dims *yd) {
  int32_t rank = x->dims.nb_dims;
  ingot_dims cur = x->dims;
  int64_t n = volume(&cur);
  double *a = malloc((size_t)n * sizeof(double));
  for (int64_t i = 0; i < n; i++) a[i] = F(x)[i];
  for (int32_t d = 0; d < rank; d++) {
    ingot_dims next = cur;
    next.d[d] = yd->d[d];
    int64_t in = cur.d[d], out = yd->d[d];
    double scale = p->use_scales ? p->scales[d] : (double)out / (double)in;
    double length = p->use_scales ? in * scale : (double)out;
    int64_t outer = 1, inner = 1;
    for (int32_t i = 0; i < d; i++) outer *= cur.d[i];
    for (int32_t i = d + 1; i < rank; i++) inner *= cur.d[i];
    double *b = malloc((size_t)(outer * out * inner) * sizeof(double));
    for (int64_t o = 0; o < outer; o++)
      for (int64_t i = 0; i < out; i++) {
        double c = ref_coord(p->coordinate_transform, i, in, scale, length);
        for (int64_t k = 0; k < inner; k++) {
          const double *src = a + o * in * inner + k;
          double v;
          if (p->mode == INGOT_RESIZE_NEAREST) {
            v = src[ref_round(p->nearest_rounding, c, in) * inner];
          } else {
            double cc = c < 0 ? 0 : c > in - 1 ? in - 1 : c; /* edge clamp */
            int64_t lo = (int64_t)floor(cc), hi = lo + 1 < in ? lo + 1 : in - 1;
            v = src[lo * inner] * (1 - (cc - lo)) + src[hi * inner] * (cc - lo);
          }
          b[(o * out + i) * inner + k] = v;
        }
      }
    free(a);
    a = b;
    cur = next;
  }
  return a;
}

static void check_resize(const char *what, const int64_t *xd, int32_t rank, int32_t mode, int32_t transform,
                         int32_t rounding, const int64_t *out_dims, int32_t out_rank, const float *scales) {
  ingot_node node = make_node(what, INGOT_OP_RESIZE, 1);
  ingot_resize_params *p = &node.params.resize;
  p->mode = mode;
  p->coordinate_transform = transform;
  p->nearest_rounding = rounding;
  ingot_dims yd = {0};
  yd.nb_dims = rank;
  if (scales) {
    p->use_scales = 1;
    p->nb_scales = rank;
    for (int32_t i = 0; i < rank; i++) {
      p->scales[i] = scales[i];
      yd.d[i] = (int64_t)floor((double)xd[i] * scales[i]);
    }
  } else {
    p->output_dims = ingot_dims_make(out_rank, out_dims);
    yd = p->output_dims;
  }
  tensor x = t_f32(xd, rank, NULL), out;
  ingot_status st = run_op(&node, ingot_infer_resize, ingot_cpu_resize, &x, &out);
  if (st != INGOT_SUCCESS) {
    fprintf(stderr, "%s failed: %s\n", what, ingot_last_error());
    test_failures++;
  } else {
    check_dims(what, &out, yd.d, rank);
    double *want = ref_resize(p, &x, &yd);
    char label[256];
    snprintf(label, sizeof label, "%s %s %s %s", what, mode ? "linear" : "nearest", transform_names[transform],
             mode ? "" : rounding_names[rounding]);
    check_close(label, F(&out), want, volume(&yd), 1e-5);
    free(want);
  }
  t_free(&out);
  t_free(&x);
}

static void test_resize(void) {
  /* By hand, 1-d [1,2,3,4] -> 8, linear half_pixel: x = i/2 - 1/4, clamped at the edges. */
  tensor x = t_f32(DIMS(4), (const float[]){1, 2, 3, 4}), out;
  ingot_node node = make_node("resize_hand", INGOT_OP_RESIZE, 1);
  ingot_resize_params *p = &node.params.resize;
  p->mode = INGOT_RESIZE_LINEAR;
  p->output_dims = ingot_dims_make(1, (const int64_t[]){8});
  CHECK_OK(run_op(&node, ingot_infer_resize, ingot_cpu_resize, &x, &out));
  check_values("linear half_pixel x2", &out, (const double[]){1, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4}, 8);
  t_free(&out);
  /* align_corners 4 -> 7: x = i/2 */
  p->coordinate_transform = INGOT_RESIZE_ALIGN_CORNERS;
  p->output_dims.d[0] = 7;
  CHECK_OK(run_op(&node, ingot_infer_resize, ingot_cpu_resize, &x, &out));
  check_values("linear align_corners", &out, (const double[]){1, 1.5, 2, 2.5, 3, 3.5, 4}, 7);
  t_free(&out);
  /* nearest asymmetric x2 with floor: [1,1,2,2,3,3,4,4]; half_pixel round_prefer_ceil
   * 4 -> 3 (scale 3/4): x = (i+0.5)*4/3 - 0.5 = 1/6, 3/2, 17/6 -> 0, 2, 3 */
  p->mode = INGOT_RESIZE_NEAREST;
  p->coordinate_transform = INGOT_RESIZE_ASYMMETRIC;
  p->nearest_rounding = INGOT_RESIZE_FLOOR;
  p->output_dims.d[0] = 8;
  CHECK_OK(run_op(&node, ingot_infer_resize, ingot_cpu_resize, &x, &out));
  check_values("nearest asymmetric floor", &out, (const double[]){1, 1, 2, 2, 3, 3, 4, 4}, 8);
  t_free(&out);
  p->coordinate_transform = INGOT_RESIZE_HALF_PIXEL;
  p->nearest_rounding = INGOT_RESIZE_ROUND_HALF_UP;
  p->output_dims.d[0] = 3;
  CHECK_OK(run_op(&node, ingot_infer_resize, ingot_cpu_resize, &x, &out));
  check_values("nearest half_pixel prefer_ceil", &out, (const double[]){1, 3, 4}, 3);
  t_free(&out);
  p->nearest_rounding = INGOT_RESIZE_ROUND_HALF_DOWN; /* 3/2 now rounds down */
  CHECK_OK(run_op(&node, ingot_infer_resize, ingot_cpu_resize, &x, &out));
  check_values("nearest half_pixel prefer_floor", &out, (const double[]){1, 2, 4}, 3);
  t_free(&out);
  t_free(&x);

  /* Every mode x transform x rounding on 2-d and 4-d, up and down, sizes and scales. */
  for (int32_t mode = 0; mode < 2; mode++)
    for (int32_t tr = 0; tr < 4; tr++)
      for (int32_t rd = 0; rd < (mode == 0 ? 4 : 1); rd++) {
        check_resize("2-d up", DIMS(5, 4), mode, tr, rd, DIMS(11, 9), NULL);
        check_resize("2-d down", DIMS(9, 8), mode, tr, rd, DIMS(4, 3), NULL);
        check_resize("2-d to 1", DIMS(5, 4), mode, tr, rd, DIMS(1, 7), NULL);
        check_resize("2-d scales", DIMS(5, 6), mode, tr, rd, NULL, 0, (const float[]){1.5f, 0.7f});
        check_resize("4-d up", DIMS(2, 3, 4, 5), mode, tr, rd, DIMS(2, 3, 7, 10), NULL);
        check_resize("4-d all dims", DIMS(2, 3, 4, 5), mode, tr, rd, DIMS(3, 2, 6, 3), NULL);
        check_resize("4-d scales", DIMS(1, 2, 5, 4), mode, tr, rd, NULL, 0, (const float[]){1, 1, 2.5f, 0.6f});
      }

  /* Nearest copies bytes of any dtype; linear needs floats. */
  int64_t iv[4] = {10, -20, 30, INT64_C(1) << 40};
  tensor xi = {INGOT_INT64, ingot_dims_make(2, (const int64_t[]){2, 2}), iv};
  ingot_node ni = make_node("resize_int", INGOT_OP_RESIZE, 1);
  ni.params.resize.mode = INGOT_RESIZE_NEAREST;
  ni.params.resize.coordinate_transform = INGOT_RESIZE_ASYMMETRIC;
  ni.params.resize.nearest_rounding = INGOT_RESIZE_FLOOR;
  ni.params.resize.output_dims = ingot_dims_make(2, (const int64_t[]){2, 4});
  CHECK_OK(run_op(&ni, ingot_infer_resize, ingot_cpu_resize, &xi, &out));
  if (out.data) {
    const int64_t *o = out.data, want[8] = {10, 10, -20, -20, 30, 30, INT64_C(1) << 40, INT64_C(1) << 40};
    for (int i = 0; i < 8; i++) CHECK(o[i] == want[i]);
  }
  t_free(&out);
  ni.params.resize.mode = INGOT_RESIZE_LINEAR;
  CHECK_FAILS(run_op(&ni, ingot_infer_resize, ingot_cpu_resize, &xi, &out), INGOT_INVALID_ARGUMENT,
              "resize of dtype int64");
  /* Output dims as input 1 override the parameters (scales here): sampling uses out / in. */
  int64_t sizes_v[2] = {2, 4};
  tensor with_sizes[2] = {xi, {INGOT_INT64, ingot_dims_make(1, (const int64_t[]){2}), sizes_v}};
  ni.params.resize.mode = INGOT_RESIZE_NEAREST;
  ni.params.resize.use_scales = 1;
  ni.params.resize.nb_scales = 2;
  ni.params.resize.scales[0] = ni.params.resize.scales[1] = 3.0f;
  ni.nb_inputs = 2;
  CHECK_OK(run_op(&ni, ingot_infer_resize, ingot_cpu_resize, with_sizes, &out));
  check_dims("resize sizes input", &out, DIMS(2, 4));
  if (out.data) {
    const int64_t *o = out.data, want[8] = {10, 10, -20, -20, 30, 30, INT64_C(1) << 40, INT64_C(1) << 40};
    for (int i = 0; i < 8; i++) CHECK(o[i] == want[i]);
  }
  t_free(&out);
  with_sizes[1].dims.d[0] = 3;
  CHECK_FAILS(run_op(&ni, ingot_infer_resize, ingot_cpu_resize, with_sizes, &out), INGOT_INVALID_ARGUMENT,
              "output dims (input 1) have dims 3, expected [2]");
  ni.nb_inputs = 1;
  ni.params.resize.use_scales = 0;
  ni.params.resize.output_dims = ingot_dims_make(3, (const int64_t[]){2, 4, 1});
  CHECK_FAILS(run_op(&ni, ingot_infer_resize, ingot_cpu_resize, &xi, &out), INGOT_INVALID_ARGUMENT,
              "expected the input's rank 2");
  ni.params.resize.use_scales = 1;
  ni.params.resize.nb_scales = 2;
  ni.params.resize.scales[0] = 2.0f;
  ni.params.resize.scales[1] = 0.0f;
  CHECK_FAILS(run_op(&ni, ingot_infer_resize, ingot_cpu_resize, &xi, &out), INGOT_INVALID_ARGUMENT,
              "scale[1] is 0");
}

/* ---- softmax ----------------------------------------------------------------------------- */

static void test_softmax(void) {
  tensor x = t_f32(DIMS(1, 3), (const float[]){1, 2, 3}), out;
  ingot_node node = make_node("softmax_hand", INGOT_OP_SOFTMAX, 1);
  node.params.softmax.axis = -1;
  CHECK_OK(run_op(&node, ingot_infer_softmax, ingot_cpu_softmax, &x, &out));
  check_values("softmax by hand", &out, (const double[]){0.09003057317, 0.24472847105, 0.66524095578}, 3);
  t_free(&out);
  node.params.softmax.log = 1;
  CHECK_OK(run_op(&node, ingot_infer_softmax, ingot_cpu_softmax, &x, &out));
  check_values("log-softmax by hand", &out, (const double[]){-2.40760596444, -1.40760596444, -0.40760596444}, 3);
  t_free(&out);
  /* Large values: stable only if the max is subtracted. */
  F(&x)[0] = 1000;
  F(&x)[1] = 1001;
  F(&x)[2] = 1002;
  node.params.softmax.log = 0;
  CHECK_OK(run_op(&node, ingot_infer_softmax, ingot_cpu_softmax, &x, &out));
  check_values("softmax large", &out, (const double[]){0.09003057317, 0.24472847105, 0.66524095578}, 3);
  t_free(&out);
  t_free(&x);

  x = t_f32(DIMS(3, 4, 5, 2), NULL);
  for (int32_t lg = 0; lg < 2; lg++)
    for (int32_t axis = -4; axis < 4; axis++) {
      node.params.softmax.axis = axis;
      node.params.softmax.log = lg;
      CHECK_OK(run_op(&node, ingot_infer_softmax, ingot_cpu_softmax, &x, &out));
      int32_t a = axis < 0 ? axis + 4 : axis;
      int64_t inner = 1, len = x.dims.d[a];
      for (int32_t i = a + 1; i < 4; i++) inner *= x.dims.d[i];
      double want[120];
      for (int64_t e = 0; e < 120; e++) {
        int64_t start = e - ((e / inner) % len) * inner;
        double sum = 0;
        for (int64_t k = 0; k < len; k++) sum += exp(F(&x)[start + k * inner]);
        want[e] = lg ? F(&x)[e] - log(sum) : exp(F(&x)[e]) / sum;
      }
      char label[64];
      snprintf(label, sizeof label, "%ssoftmax axis %d", lg ? "log-" : "", (int)axis);
      check_values(label, &out, want, 120);
      t_free(&out);
    }
  node.params.softmax.axis = 4;
  CHECK_FAILS(run_op(&node, ingot_infer_softmax, ingot_cpu_softmax, &x, &out), INGOT_INVALID_ARGUMENT,
              "axis 4 is out of range");
  x.dtype = INGOT_INT32;
  node.params.softmax.axis = 0;
  CHECK_FAILS(run_op(&node, ingot_infer_softmax, ingot_cpu_softmax, &x, &out), INGOT_INVALID_ARGUMENT,
              "input has dtype int32");
  t_free(&x);
}

/* ---- reduce ------------------------------------------------------------------------------ */

/* Scatter formulation: each input element folds into the output cell its coordinates
 * reach with the reduced ones set to 0. */
static void ref_reduce(int32_t op, uint32_t mask, const ingot_dims *xd, const double *x, double *y, int64_t *count,
                       const ingot_dims *kd) {
  int64_t nout = volume(kd);
  for (int64_t o = 0; o < nout; o++) {
    y[o] = op == INGOT_REDUCE_PROD ? 1 : op == INGOT_REDUCE_MAX ? -INFINITY : op == INGOT_REDUCE_MIN ? INFINITY : 0;
    count[o] = 0;
  }
  for (int64_t i = 0; i < volume(xd); i++) {
    int64_t c[8];
    unravel(i, xd->d, xd->nb_dims, c);
    for (int32_t d = 0; d < xd->nb_dims; d++)
      if (mask & (1u << d)) c[d] = 0;
    int64_t o = ravel(c, kd->d, kd->nb_dims);
    count[o]++;
    switch (op) {
      case INGOT_REDUCE_SUM:
      case INGOT_REDUCE_MEAN: y[o] += x[i]; break;
      case INGOT_REDUCE_PROD: y[o] *= x[i]; break;
      case INGOT_REDUCE_MAX: y[o] = x[i] > y[o] ? x[i] : y[o]; break;
      default: y[o] = x[i] < y[o] ? x[i] : y[o]; break;
    }
  }
}

static void check_reduce(ingot_dtype dtype, const int64_t *xdv, int32_t rank, uint32_t mask, int32_t keep) {
  static const char *const names[5] = {"sum", "mean", "max", "min", "prod"};
  ingot_dims xd = ingot_dims_make(rank, xdv), kd = xd, want_dims = {0};
  for (int32_t d = 0; d < rank; d++) {
    if (mask & (1u << d)) kd.d[d] = 1;
    if (!(mask & (1u << d)) || keep) want_dims.d[want_dims.nb_dims++] = kd.d[d];
  }
  int64_t n = volume(&xd), nout = volume(&kd);
  tensor x = t_new(dtype, &xd), out;
  double *xv = malloc((size_t)n * sizeof(double)), *want = malloc((size_t)nout * sizeof(double));
  int64_t *count = malloc((size_t)nout * sizeof(int64_t));
  for (int64_t i = 0; i < n; i++) {
    float r = test_randf(&g_seed);
    if (dtype == INGOT_FLOAT32) {
      /* near 1 in magnitude, so that products stay in range */
      ((float *)x.data)[i] = (r < 0 ? -0.6f : 0.6f) + r * 0.5f;
      xv[i] = ((float *)x.data)[i];
    } else {
      int64_t v = (int64_t)floor(r * 9.0);
      if (dtype == INGOT_INT32) ((int32_t *)x.data)[i] = (int32_t)v;
      else ((int64_t *)x.data)[i] = v * 1000003; /* beyond int32 once summed or multiplied */
      xv[i] = dtype == INGOT_INT32 ? (double)v : (double)(v * 1000003);
    }
  }
  for (int32_t op = 0; op < INGOT_REDUCE_OP_COUNT; op++) {
    /* Integer products are checked only where they stay exact in double and in range. */
    int64_t per_output = n / (nout ? nout : 1);
    if (op == INGOT_REDUCE_PROD && ((dtype == INGOT_INT64 && per_output > 2) || (dtype == INGOT_INT32 && per_output > 9)))
      continue;
    ingot_node node = make_node("reduce", INGOT_OP_REDUCE, 1);
    node.params.reduce.op = op;
    node.params.reduce.axes_mask = mask;
    node.params.reduce.keep_dims = keep;
    ingot_status st = run_op(&node, ingot_infer_reduce, ingot_cpu_reduce, &x, &out);
    char label[128];
    snprintf(label, sizeof label, "reduce %s %s mask 0x%x keep %d", names[op], ingot_dtype_name(dtype),
             (unsigned)mask, (int)keep);
    if (st != INGOT_SUCCESS) {
      fprintf(stderr, "%s failed: %s\n", label, ingot_last_error());
      test_failures++;
      continue;
    }
    check_dims(label, &out, want_dims.d, want_dims.nb_dims);
    CHECK(out.dtype == dtype);
    ref_reduce(op, mask, &xd, xv, want, count, &kd);
    for (int64_t o = 0; o < nout; o++) {
      if (op != INGOT_REDUCE_MEAN) continue;
      want[o] = dtype == INGOT_FLOAT32 ? want[o] / (double)count[o] : trunc(want[o] / (double)count[o]);
    }
    if (dtype == INGOT_FLOAT32) {
      check_close(label, out.data, want, nout, 1e-5);
    } else {
      for (int64_t o = 0; o < nout; o++) {
        double g = dtype == INGOT_INT32 ? ((int32_t *)out.data)[o] : (double)((int64_t *)out.data)[o];
        if (g != want[o]) {
          fprintf(stderr, "%s: element %lld is %.17g, expected %.17g\n", label, (long long)o, g, want[o]);
          test_failures++;
          break;
        }
      }
    }
    t_free(&out);
  }
  free(xv);
  free(want);
  free(count);
  t_free(&x);
}

static void test_reduce(void) {
  /* By hand: [[1,2,3],[4,5,6]] */
  tensor x = t_f32(DIMS(2, 3), (const float[]){1, 2, 3, 4, 5, 6}), out;
  ingot_node node = make_node("reduce_hand", INGOT_OP_REDUCE, 1);
  node.params.reduce.op = INGOT_REDUCE_SUM;
  node.params.reduce.axes_mask = 0x2;
  CHECK_OK(run_op(&node, ingot_infer_reduce, ingot_cpu_reduce, &x, &out));
  check_values("sum axis 1", &out, (const double[]){6, 15}, 2);
  check_dims("sum axis 1", &out, DIMS(2));
  t_free(&out);
  node.params.reduce.op = INGOT_REDUCE_PROD;
  node.params.reduce.axes_mask = 0x1;
  node.params.reduce.keep_dims = 1;
  CHECK_OK(run_op(&node, ingot_infer_reduce, ingot_cpu_reduce, &x, &out));
  check_values("prod axis 0", &out, (const double[]){4, 10, 18}, 3);
  check_dims("prod axis 0 keep", &out, DIMS(1, 3));
  t_free(&out);
  node.params.reduce.op = INGOT_REDUCE_MEAN;
  node.params.reduce.axes_mask = 0x3;
  node.params.reduce.keep_dims = 0;
  CHECK_OK(run_op(&node, ingot_infer_reduce, ingot_cpu_reduce, &x, &out));
  check_values("mean all", &out, (const double[]){3.5}, 1);
  CHECK(out.dims.nb_dims == 0);
  t_free(&out);
  node.params.reduce.axes_mask = 0;
  CHECK_OK(run_op(&node, ingot_infer_reduce, ingot_cpu_reduce, &x, &out));
  check_values("no axes = identity", &out, (const double[]){1, 2, 3, 4, 5, 6}, 6);
  t_free(&out);
  node.params.reduce.axes_mask = 0x4;
  CHECK_FAILS(run_op(&node, ingot_infer_reduce, ingot_cpu_reduce, &x, &out), INGOT_INVALID_ARGUMENT,
              "axes mask 0x4 names dims beyond the rank-2 input");
  node.params.reduce.axes_mask = 0x1;
  x.dtype = INGOT_INT8;
  CHECK_FAILS(run_op(&node, ingot_infer_reduce, ingot_cpu_reduce, &x, &out), INGOT_INVALID_ARGUMENT,
              "input has dtype int8");
  t_free(&x);
  /* Integer mean truncates toward zero: [[-1,-2],[3,4]] over axis 1 -> [-1, 3]. */
  int32_t iv[4] = {-1, -2, 3, 4};
  tensor xi = {INGOT_INT32, ingot_dims_make(2, (const int64_t[]){2, 2}), iv};
  node.params.reduce.axes_mask = 0x2;
  CHECK_OK(run_op(&node, ingot_infer_reduce, ingot_cpu_reduce, &xi, &out));
  if (out.data) CHECK(((int32_t *)out.data)[0] == -1 && ((int32_t *)out.data)[1] == 3);
  t_free(&out);

  static const uint32_t masks[] = {0x1, 0x2, 0x4, 0x8, 0x5, 0xA, 0x6, 0xE, 0xF, 0x9};
  const ingot_dtype dtypes[3] = {INGOT_FLOAT32, INGOT_INT32, INGOT_INT64};
  for (int t = 0; t < 3; t++)
    for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++)
      for (int32_t keep = 0; keep < 2; keep++) check_reduce(dtypes[t], DIMS(3, 4, 2, 5), masks[m], keep);
  check_reduce(INGOT_FLOAT32, DIMS(7), 0x1, 0);
  check_reduce(INGOT_INT64, DIMS(3, 2), 0x1, 1);
}

int main(void) {
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1 && ingot_thread_pool_create(3, &g_pool) != INGOT_SUCCESS) {
      fprintf(stderr, "thread pool: %s\n", ingot_last_error());
      return 1;
    }
    test_conv_hand();
    test_conv_random();
    test_conv_errors();
    test_deconv();
    test_pool();
    test_batch_norm();
    test_layer_norm();
    test_resize();
    test_softmax();
    test_reduce();
  }
  ingot_thread_pool_destroy(g_pool);
  TEST_EXIT();
}
