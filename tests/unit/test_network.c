/* The network definition API: every layer type, the hidden weight constants, names,
 * dtypes and counts, and every kind of bad call (each must fail with the right status and
 * a message naming the function or layer). */
#include "test_util.h"

#include "core/dims.h"
#include "network/network_impl.h"
#include "ops/graph.h"

static int logged_errors = 0;
static char logged_last[2048];

static void on_log(void *user, ingot_severity severity, const char *message) {
  (void)user;
  if (severity <= INGOT_SEVERITY_ERROR) {
    logged_errors++;
    snprintf(logged_last, sizeof logged_last, "%s", message);
  }
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static float *random_floats(int64_t n) {
  float *v = malloc((size_t)n * sizeof *v);
  for (int64_t i = 0; i < n; i++) v[i] = test_randf(&rng);
  return v;
}

static ingot_weights f32(const float *v, int64_t n) {
  ingot_weights w = {INGOT_FLOAT32, v, n};
  return w;
}

static const ingot_weights no_weights = {INGOT_FLOAT32, NULL, 0};

static ingot_dims make_dims(int32_t n, int64_t a, int64_t b, int64_t c, int64_t d) {
  ingot_dims r;
  memset(&r, 0, sizeof r);
  r.nb_dims = n;
  int64_t v[4] = {a, b, c, d};
  for (int32_t i = 0; i < n && i < 4; i++) r.d[i] = v[i];
  return r;
}

static const ingot_graph_tensor *gtensor(const ingot_tensor *t) { return &t->network->graph->tensors[t->index]; }
static const ingot_node *gnode(const ingot_layer *l) { return &l->network->graph->nodes[l->index]; }

static int dims_are(const ingot_dims *d, int32_t n, const int64_t *v) {
  if (d->nb_dims != n) return 0;
  for (int32_t i = 0; i < n; i++)
    if (d->d[i] != v[i]) return 0;
  return 1;
}

/* A hidden constant: its name, dims and a copy of the data it was given. */
static void check_constant(const ingot_layer *layer, int32_t input, const char *name, int32_t nb_dims,
                           const int64_t *dims, const void *data, uint64_t bytes) {
  ingot_tensor *t = ingot_layer_get_input(layer, input);
  CHECK(t != NULL);
  if (!t) return;
  CHECK(strcmp(ingot_tensor_get_name(t), name) == 0);
  const ingot_graph_tensor *g = gtensor(t);
  CHECK(g->kind == INGOT_TENSOR_KIND_CONSTANT);
  CHECK(dims_are(&g->dims, nb_dims, dims));
  CHECK(g->data_size == bytes);
  CHECK(g->data != NULL && g->data != data && memcmp(g->data, data, bytes) == 0);
  ingot_dims got;
  CHECK_OK(ingot_tensor_get_dims(t, &got));
  CHECK(dims_are(&got, nb_dims, dims));
  /* The producer is a CONSTANT node of the same name that the user does not see. */
  CHECK(g->producer >= 0);
  const ingot_node *n = &t->network->graph->nodes[g->producer];
  CHECK(n->op == INGOT_OP_CONSTANT && n->nb_inputs == 0 && n->nb_outputs == 1 && strcmp(n->name, name) == 0);
  for (int32_t i = 0; i < ingot_network_num_layers(t->network); i++)
    CHECK(ingot_network_get_layer(t->network, i)->index != g->producer);
}

static void check_output(const ingot_layer *layer, int32_t i, ingot_dtype dtype) {
  char name[300];
  snprintf(name, sizeof name, "%s_output_%d", ingot_layer_get_name(layer), i);
  ingot_tensor *t = ingot_layer_get_output(layer, i);
  CHECK(t != NULL);
  if (!t) return;
  CHECK(strcmp(ingot_tensor_get_name(t), name) == 0);
  CHECK(ingot_tensor_get_dtype(t) == dtype);
  CHECK(gtensor(t)->kind == INGOT_TENSOR_KIND_ACTIVATION && gtensor(t)->dims.nb_dims == -1);
  CHECK(gtensor(t)->producer == layer->index);
  CHECK(!ingot_tensor_is_input(t) && !ingot_tensor_is_output(t));
}

/* Every layer type on one network, checking names, types, params and hidden constants. */
static void test_all_layers(ingot_logger *logger) {
  ingot_network *net = NULL;
  CHECK_OK(ingot_network_create(logger, &net));
  if (!net) return;
  ingot_dims xd = make_dims(4, 2, 3, 8, 8);
  ingot_tensor *x = NULL, *ids = NULL, *cond = NULL;
  CHECK_OK(ingot_network_add_input(net, "x", INGOT_FLOAT32, &xd, &x));
  ingot_dims idd = make_dims(1, 5, 0, 0, 0);
  CHECK_OK(ingot_network_add_input(net, "ids", INGOT_INT64, &idd, &ids));
  ingot_dims cd = make_dims(2, -1, 8, 0, 0);
  CHECK_OK(ingot_network_add_input(net, "cond", INGOT_BOOL, &cd, &cond));
  CHECK(ingot_network_num_inputs(net) == 3);
  CHECK(ingot_network_get_input(net, 1) == ids);
  CHECK(ingot_tensor_is_input(x) && !ingot_tensor_is_output(x));
  CHECK(ingot_network_find_tensor(net, "cond") == cond);
  ingot_dims got;
  CHECK_OK(ingot_tensor_get_dims(cond, &got));
  CHECK(ingot_dims_equal(&got, &cd));
  int32_t layers = 0;

  /* convolution: K=4, C=3, 3x3, bias; zero stride/dilation/groups mean 1 */
  float *kern = random_floats(4 * 3 * 9), *bias = random_floats(4);
  ingot_convolution_desc cdesc;
  memset(&cdesc, 0, sizeof cdesc);
  cdesc.nb_spatial_dims = 2;
  cdesc.num_output_maps = 4;
  cdesc.kernel_size[0] = cdesc.kernel_size[1] = 3;
  cdesc.pre_padding[0] = cdesc.pre_padding[1] = cdesc.post_padding[0] = cdesc.post_padding[1] = 1;
  cdesc.stride[1] = 2;
  cdesc.kernel_weights = f32(kern, 108);
  cdesc.bias_weights = f32(bias, 4);
  ingot_layer *conv = NULL;
  CHECK_OK(ingot_network_add_convolution(net, x, &cdesc, &conv));
  layers++;
  CHECK(conv && strcmp(ingot_layer_get_name(conv), "convolution_2") == 0); /* after kernel and bias nodes */
  CHECK(ingot_layer_get_type(conv) == INGOT_LAYER_CONVOLUTION);
  CHECK(ingot_layer_num_inputs(conv) == 3 && ingot_layer_num_outputs(conv) == 1);
  CHECK(ingot_layer_get_input(conv, 0) == x);
  check_constant(conv, 1, "convolution_2.kernel", 4, (int64_t[]){4, 3, 3, 3}, kern, 108 * 4);
  check_constant(conv, 2, "convolution_2.bias", 1, (int64_t[]){4}, bias, 16);
  check_output(conv, 0, INGOT_FLOAT32);
  const ingot_conv_params *cp = &gnode(conv)->params.conv;
  CHECK(cp->has_bias == 1 && cp->groups == 1 && cp->stride[0] == 1 && cp->stride[1] == 2 && cp->dilation[0] == 1 &&
        cp->dilation[1] == 1 && cp->epilogue.activation == -1 && cp->num_output_maps == 4 && cp->kernel_size[1] == 3);
  ingot_tensor *y = ingot_layer_get_output(conv, 0);

  /* activation, then a grouped convolution whose input channels are unknown at add time:
   * C/groups comes from the weight count. float16 weights are stored as given. */
  ingot_layer *act = NULL;
  CHECK_OK(ingot_network_add_activation(net, y, INGOT_ACTIVATION_LEAKY_RELU, 0.25f, 0.0f, &act));
  layers++;
  CHECK(act && ingot_layer_get_type(act) == INGOT_LAYER_ACTIVATION);
  CHECK(gnode(act)->params.activation.type == INGOT_ACTIVATION_LEAKY_RELU && gnode(act)->params.activation.alpha == 0.25f);
  check_output(act, 0, INGOT_FLOAT32);
  memset(&cdesc, 0, sizeof cdesc);
  cdesc.nb_spatial_dims = 2;
  cdesc.num_output_maps = 6;
  cdesc.groups = 2;
  cdesc.kernel_size[0] = 2;
  cdesc.kernel_size[1] = 1;
  cdesc.kernel_weights.dtype = INGOT_FLOAT16;
  cdesc.kernel_weights.count = 12 * 2; /* K=6, C/G=2, 2x1 */
  uint16_t hk2[24];
  for (int i = 0; i < 24; i++) hk2[i] = (uint16_t)(0x3800 + i * 31);
  cdesc.kernel_weights.values = hk2;
  ingot_layer *gconv = NULL;
  CHECK_OK(ingot_network_add_convolution(net, ingot_layer_get_output(act, 0), &cdesc, &gconv));
  layers++;
  CHECK(gconv && ingot_layer_num_inputs(gconv) == 2 && gnode(gconv)->params.conv.has_bias == 0);
  check_constant(gconv, 1, "convolution_5.kernel", 4, (int64_t[]){6, 2, 2, 1}, hk2, 48);
  CHECK(gtensor(ingot_layer_get_input(gconv, 1))->dtype == INGOT_FLOAT16);
  /* 25 values are not a multiple of K x kernel volume = 12 */
  cdesc.kernel_weights.count = 25;
  CHECK_FAILS(ingot_network_add_convolution(net, ingot_layer_get_output(act, 0), &cdesc, &gconv),
              INGOT_INVALID_ARGUMENT, "ingot_network_add_convolution");

  /* deconvolution: kernel [C, K/G, k...] = [3, 2, 2, 2] for K=2 */
  float *dk = random_floats(3 * 2 * 4);
  memset(&cdesc, 0, sizeof cdesc);
  cdesc.nb_spatial_dims = 2;
  cdesc.num_output_maps = 2;
  cdesc.kernel_size[0] = cdesc.kernel_size[1] = 2;
  cdesc.stride[0] = cdesc.stride[1] = 2;
  cdesc.output_padding[0] = 1;
  cdesc.kernel_weights = f32(dk, 24);
  ingot_layer *deconv = NULL;
  CHECK_OK(ingot_network_add_deconvolution(net, x, &cdesc, &deconv));
  layers++;
  CHECK(deconv && ingot_layer_get_type(deconv) == INGOT_LAYER_DECONVOLUTION);
  check_constant(deconv, 1, "deconvolution_7.kernel", 4, (int64_t[]){3, 2, 2, 2}, dk, 96);
  CHECK(gnode(deconv)->params.conv.output_padding[0] == 1 && gnode(deconv)->params.conv.stride[1] == 2);
  /* C = 3 is declared: 4 channels' worth of weights is wrong */
  cdesc.num_output_maps = 1;
  CHECK_FAILS(ingot_network_add_deconvolution(net, x, &cdesc, &deconv), INGOT_INVALID_ARGUMENT, "expected 12");

  /* pooling */
  ingot_pooling_desc pdesc;
  memset(&pdesc, 0, sizeof pdesc);
  pdesc.type = INGOT_POOLING_AVERAGE;
  pdesc.nb_spatial_dims = 2;
  pdesc.window_size[0] = pdesc.window_size[1] = 2;
  pdesc.ceil_mode = 7;
  ingot_layer *pool = NULL;
  CHECK_OK(ingot_network_add_pooling(net, x, &pdesc, &pool));
  layers++;
  CHECK(pool && gnode(pool)->params.pooling.stride[0] == 1 && gnode(pool)->params.pooling.ceil_mode == 1 &&
        gnode(pool)->params.pooling.type == INGOT_POOLING_AVERAGE);
  check_output(pool, 0, INGOT_FLOAT32);

  /* constant (a visible layer) feeding prelu */
  float *slope_v = random_floats(3);
  ingot_dims sd = make_dims(3, 3, 1, 1, 0);
  ingot_layer *slope = NULL;
  CHECK_OK(ingot_network_add_constant(net, &sd, f32(slope_v, 3), &slope));
  layers++;
  CHECK(slope && ingot_layer_get_type(slope) == INGOT_LAYER_CONSTANT && ingot_layer_num_inputs(slope) == 0);
  ingot_tensor *st = ingot_layer_get_output(slope, 0);
  CHECK(strcmp(ingot_tensor_get_name(st), "constant_9_output_0") == 0);
  CHECK(gtensor(st)->kind == INGOT_TENSOR_KIND_CONSTANT && memcmp(gtensor(st)->data, slope_v, 12) == 0);
  CHECK_OK(ingot_tensor_get_dims(st, &got));
  CHECK(ingot_dims_equal(&got, &sd));
  ingot_layer *prelu = NULL;
  CHECK_OK(ingot_network_add_parametric_relu(net, x, st, &prelu));
  layers++;
  CHECK(prelu && ingot_layer_get_input(prelu, 1) == st);
  check_output(prelu, 0, INGOT_FLOAT32);

  /* matrix multiply and fully connected */
  ingot_layer *mm = NULL;
  CHECK_OK(ingot_network_add_matrix_multiply(net, x, INGOT_MATRIX_OP_NONE, x, INGOT_MATRIX_OP_TRANSPOSE, &mm));
  layers++;
  CHECK(mm && gnode(mm)->params.matmul.op_b == INGOT_MATRIX_OP_TRANSPOSE && gnode(mm)->params.matmul.epilogue.activation == -1 &&
        gnode(mm)->params.matmul.has_bias == 0);
  check_output(mm, 0, INGOT_FLOAT32);
  float *fk = random_floats(5 * 192), *fb = random_floats(5);
  ingot_layer *fc = NULL;
  CHECK_OK(ingot_network_add_fully_connected(net, x, 5, f32(fk, 5 * 192), f32(fb, 5), &fc));
  layers++;
  CHECK(fc && gnode(fc)->params.fc.num_outputs == 5 && gnode(fc)->params.fc.has_bias == 1 &&
        gnode(fc)->params.fc.epilogue.activation == -1);
  {
    char kname[64], bname[64];
    snprintf(kname, sizeof kname, "%s.kernel", ingot_layer_get_name(fc));
    snprintf(bname, sizeof bname, "%s.bias", ingot_layer_get_name(fc));
    check_constant(fc, 1, kname, 2, (int64_t[]){5, 192}, fk, 5 * 192 * 4);
    check_constant(fc, 2, bname, 1, (int64_t[]){5}, fb, 20);
  }
  check_output(fc, 0, INGOT_FLOAT32);
  /* x has 3*8*8 = 192 values per row: 5 x 100 weights do not fit */
  CHECK_FAILS(ingot_network_add_fully_connected(net, x, 5, f32(fk, 500), no_weights, &fc), INGOT_INVALID_ARGUMENT,
              "expected num_outputs x 192");

  /* softmax, log softmax */
  ingot_layer *sm = NULL, *lsm = NULL;
  CHECK_OK(ingot_network_add_softmax(net, x, -1, &sm));
  CHECK_OK(ingot_network_add_log_softmax(net, x, 1, &lsm));
  layers += 2;
  CHECK(sm && lsm && ingot_layer_get_type(lsm) == INGOT_LAYER_SOFTMAX && gnode(lsm)->params.softmax.log == 1 &&
        gnode(sm)->params.softmax.log == 0 && gnode(sm)->params.softmax.axis == -1);
  CHECK_FAILS(ingot_network_add_softmax(net, x, 4, &sm), INGOT_INVALID_ARGUMENT, "axis");

  /* elementwise: arithmetic keeps the dtype, comparisons and logic give bool */
  ingot_layer *sum = NULL, *less = NULL, *land = NULL;
  CHECK_OK(ingot_network_add_elementwise(net, x, x, INGOT_ELEMENTWISE_SUM, &sum));
  CHECK_OK(ingot_network_add_elementwise(net, x, x, INGOT_ELEMENTWISE_LESS, &less));
  CHECK_OK(ingot_network_add_elementwise(net, cond, cond, INGOT_ELEMENTWISE_XOR, &land));
  layers += 3;
  check_output(sum, 0, INGOT_FLOAT32);
  check_output(less, 0, INGOT_BOOL);
  check_output(land, 0, INGOT_BOOL);
  CHECK(gnode(less)->params.elementwise.op == INGOT_ELEMENTWISE_LESS);

  /* unary */
  ingot_layer *ex = NULL, *isnan_l = NULL, *not_l = NULL;
  CHECK_OK(ingot_network_add_unary(net, x, INGOT_UNARY_EXP, &ex));
  CHECK_OK(ingot_network_add_unary(net, x, INGOT_UNARY_ISNAN, &isnan_l));
  CHECK_OK(ingot_network_add_unary(net, cond, INGOT_UNARY_NOT, &not_l));
  layers += 3;
  check_output(ex, 0, INGOT_FLOAT32);
  check_output(isnan_l, 0, INGOT_BOOL);
  check_output(not_l, 0, INGOT_BOOL);

  /* scale: shift absent, scale and power per channel */
  float *sc = random_floats(3), *pw = random_floats(3);
  ingot_layer *scale = NULL;
  CHECK_OK(ingot_network_add_scale(net, x, INGOT_SCALE_CHANNEL, no_weights, f32(sc, 3), f32(pw, 3), 1, &scale));
  layers++;
  CHECK(scale && ingot_layer_num_inputs(scale) == 4 && ingot_layer_get_input(scale, 1) == NULL);
  CHECK(gnode(scale)->inputs[1] == -1 && gnode(scale)->params.scale.mode == INGOT_SCALE_CHANNEL &&
        gnode(scale)->params.scale.channel_axis == 1);
  {
    char n1[64], n2[64];
    snprintf(n1, sizeof n1, "%s.scale", ingot_layer_get_name(scale));
    snprintf(n2, sizeof n2, "%s.power", ingot_layer_get_name(scale));
    check_constant(scale, 2, n1, 1, (int64_t[]){3}, sc, 12);
    check_constant(scale, 3, n2, 1, (int64_t[]){3}, pw, 12);
  }
  /* x has 3 channels */
  CHECK_FAILS(ingot_network_add_scale(net, x, INGOT_SCALE_CHANNEL, f32(sc, 2), no_weights, no_weights, 1, &scale),
              INGOT_INVALID_ARGUMENT, "one per channel = 3");
  CHECK_FAILS(ingot_network_add_scale(net, x, INGOT_SCALE_UNIFORM, f32(sc, 2), no_weights, no_weights, 0, &scale),
              INGOT_INVALID_ARGUMENT, "uniform");

  /* concatenation */
  ingot_tensor *cat_in[3] = {x, ingot_layer_get_output(sum, 0), ingot_layer_get_output(ex, 0)};
  ingot_layer *cat = NULL;
  CHECK_OK(ingot_network_add_concatenation(net, cat_in, 3, 1, &cat));
  layers++;
  CHECK(cat && ingot_layer_num_inputs(cat) == 3 && ingot_layer_get_input(cat, 2) == cat_in[2] &&
        gnode(cat)->params.concat.axis == 1);
  check_output(cat, 0, INGOT_FLOAT32);

  /* shuffle */
  ingot_shuffle_desc sh;
  memset(&sh, 0, sizeof sh);
  sh.has_first_transpose = 1;
  int32_t perm[8] = {0, 2, 3, 1};
  memcpy(sh.first_transpose, perm, sizeof perm);
  sh.has_reshape = 1;
  sh.reshape_dims = make_dims(2, 0, -1, 0, 0);
  ingot_layer *shuf = NULL;
  CHECK_OK(ingot_network_add_shuffle(net, x, &sh, &shuf));
  layers++;
  CHECK(shuf && gnode(shuf)->params.shuffle.first_transpose[3] == 1 && gnode(shuf)->params.shuffle.has_reshape == 1 &&
        gnode(shuf)->params.shuffle.reshape_dims.d[1] == -1 && gnode(shuf)->params.shuffle.has_second_transpose == 0);
  sh.first_transpose[1] = 1; /* 0, 1, 3, 1: not a permutation */
  CHECK_FAILS(ingot_network_add_shuffle(net, x, &sh, &shuf), INGOT_INVALID_ARGUMENT, "permutation");
  sh.first_transpose[1] = 2;
  sh.reshape_dims = make_dims(2, -1, -1, 0, 0);
  CHECK_FAILS(ingot_network_add_shuffle(net, x, &sh, &shuf), INGOT_INVALID_ARGUMENT, "more than one -1");

  /* reduce */
  ingot_layer *red = NULL;
  CHECK_OK(ingot_network_add_reduce(net, x, INGOT_REDUCE_MEAN, 0xC, 5, &red));
  layers++;
  CHECK(red && gnode(red)->params.reduce.axes_mask == 0xC && gnode(red)->params.reduce.keep_dims == 1);
  CHECK_FAILS(ingot_network_add_reduce(net, x, INGOT_REDUCE_MEAN, 0x100, 0, &red), INGOT_INVALID_ARGUMENT, "axes_mask");
  CHECK_FAILS(ingot_network_add_reduce(net, x, INGOT_REDUCE_MEAN, 0x10, 0, &red), INGOT_INVALID_ARGUMENT, "rank 4");

  /* identity, cast */
  ingot_layer *idl = NULL, *cast = NULL;
  CHECK_OK(ingot_network_add_identity(net, x, &idl));
  CHECK_OK(ingot_network_add_cast(net, x, INGOT_INT32, &cast));
  layers += 2;
  check_output(idl, 0, INGOT_FLOAT32);
  check_output(cast, 0, INGOT_INT32);
  CHECK(gnode(cast)->params.cast.to == INGOT_INT32);

  /* slice */
  ingot_dims s0 = make_dims(4, 0, 1, 7, 0), s1 = make_dims(4, 2, 2, 4, 8), s2 = make_dims(4, 1, 1, -2, 1);
  ingot_layer *slice = NULL;
  CHECK_OK(ingot_network_add_slice(net, x, &s0, &s1, &s2, &slice));
  layers++;
  CHECK(slice && gnode(slice)->params.slice.stride.d[2] == -2 && gnode(slice)->params.slice.size.d[3] == 8);
  ingot_dims s3 = make_dims(3, 0, 0, 0, 0);
  CHECK_FAILS(ingot_network_add_slice(net, x, &s3, &s3, &s3, &slice), INGOT_INVALID_ARGUMENT, "rank 4");

  /* gather: data dtype */
  ingot_layer *gather = NULL;
  CHECK_OK(ingot_network_add_gather(net, x, ids, -1, &gather));
  layers++;
  check_output(gather, 0, INGOT_FLOAT32);
  CHECK(gnode(gather)->params.gather.axis == -1 && ingot_layer_get_input(gather, 1) == ids);

  /* select: then dtype */
  ingot_tensor *less_out = ingot_layer_get_output(less, 0);
  ingot_layer *sel = NULL;
  CHECK_OK(ingot_network_add_select(net, less_out, x, ingot_layer_get_output(idl, 0), &sel));
  layers++;
  check_output(sel, 0, INGOT_FLOAT32);
  CHECK(ingot_layer_get_input(sel, 0) == less_out);

  /* batch normalization: four hidden constants [C] */
  float *bw[4];
  for (int i = 0; i < 4; i++) bw[i] = random_floats(3);
  ingot_layer *bn = NULL;
  CHECK_OK(ingot_network_add_batch_normalization(net, x, f32(bw[0], 3), f32(bw[1], 3), f32(bw[2], 3), f32(bw[3], 3),
                                                 1e-5f, &bn));
  layers++;
  CHECK(bn && ingot_layer_num_inputs(bn) == 5 && gnode(bn)->params.batchnorm.epsilon == 1e-5f);
  {
    static const char *const roles[4] = {"scale", "bias", "mean", "variance"};
    for (int i = 0; i < 4; i++) {
      char n[64];
      snprintf(n, sizeof n, "%s.%s", ingot_layer_get_name(bn), roles[i]);
      check_constant(bn, 1 + i, n, 1, (int64_t[]){3}, bw[i], 12);
    }
  }
  CHECK_FAILS(ingot_network_add_batch_normalization(net, x, f32(bw[0], 3), f32(bw[1], 3), f32(bw[2], 2), f32(bw[3], 3),
                                                    1e-5f, &bn),
              INGOT_INVALID_ARGUMENT, "mean");
  CHECK_FAILS(ingot_network_add_batch_normalization(net, x, f32(bw[0], 2), f32(bw[1], 2), f32(bw[2], 2), f32(bw[3], 2),
                                                    1e-5f, &bn),
              INGOT_INVALID_ARGUMENT, "one per channel = 3");
  CHECK_FAILS(ingot_network_add_batch_normalization(net, x, f32(bw[0], 3), f32(bw[1], 3), f32(bw[2], 3), f32(bw[3], 3),
                                                    -1.0f, &bn),
              INGOT_INVALID_ARGUMENT, "epsilon");

  /* layer normalization: bias absent is -1 */
  ingot_layer *ln = NULL;
  CHECK_OK(ingot_network_add_layer_normalization(net, x, st, NULL, 0xE, 1e-6f, &ln));
  layers++;
  CHECK(ln && ingot_layer_num_inputs(ln) == 3 && gnode(ln)->inputs[2] == -1 && ingot_layer_get_input(ln, 2) == NULL &&
        gnode(ln)->params.layernorm.axes_mask == 0xE);
  CHECK_FAILS(ingot_network_add_layer_normalization(net, x, st, NULL, 0, 1e-6f, &ln), INGOT_INVALID_ARGUMENT,
              "axes_mask");

  /* resize, padding */
  ingot_resize_desc rd;
  memset(&rd, 0, sizeof rd);
  rd.mode = INGOT_RESIZE_LINEAR;
  rd.use_scales = 1;
  rd.nb_scales = 4;
  rd.scales[0] = rd.scales[1] = 1.0f;
  rd.scales[2] = rd.scales[3] = 2.0f;
  ingot_layer *rs = NULL;
  CHECK_OK(ingot_network_add_resize(net, x, &rd, &rs));
  layers++;
  CHECK(rs && gnode(rs)->params.resize.use_scales == 1 && gnode(rs)->params.resize.scales[3] == 2.0f);
  rd.scales[2] = 0.0f;
  CHECK_FAILS(ingot_network_add_resize(net, x, &rd, &rs), INGOT_INVALID_ARGUMENT, "scales[2]");
  ingot_padding_desc pad;
  memset(&pad, 0, sizeof pad);
  pad.nb_dims = 4;
  pad.pre_padding[2] = 1;
  pad.post_padding[3] = -1;
  pad.mode = INGOT_PAD_REFLECT;
  pad.value = 0.5f;
  ingot_layer *padl = NULL;
  CHECK_OK(ingot_network_add_padding(net, x, &pad, &padl));
  layers++;
  CHECK(padl && gnode(padl)->params.padding.post_padding[3] == -1 && gnode(padl)->params.padding.mode == INGOT_PAD_REFLECT);

  /* top-k: two outputs, values and int64 indices */
  ingot_layer *topk = NULL;
  CHECK_OK(ingot_network_add_topk(net, x, INGOT_TOPK_MIN, 3, 3, &topk));
  layers++;
  CHECK(topk && ingot_layer_num_outputs(topk) == 2 && gnode(topk)->params.topk.k == 3);
  check_output(topk, 0, INGOT_FLOAT32);
  check_output(topk, 1, INGOT_INT64);

  /* counts: every user layer is visible, hidden constants are not */
  CHECK(ingot_network_num_layers(net) == layers);
  int hidden = 0;
  for (int32_t i = 0; i < net->graph->nb_nodes; i++)
    if (net->graph->nodes[i].op == INGOT_OP_CONSTANT && strchr(net->graph->nodes[i].name, '.')) hidden++;
  CHECK(net->graph->nb_nodes == layers + hidden);
  CHECK(hidden == 2 + 1 + 1 + 2 + 2 + 4); /* conv, grouped conv, deconv, fc, scale, bn */
  for (int32_t i = 0; i < layers; i++) {
    ingot_layer *l = ingot_network_get_layer(net, i);
    CHECK(l != NULL && ingot_layer_get_type(l) < INGOT_LAYER_TYPE_COUNT);
  }
  CHECK(ingot_network_get_layer(net, 0) == conv && ingot_network_get_layer(net, layers - 1) == topk);

  /* outputs */
  ingot_tensor *outs[2] = {ingot_layer_get_output(topk, 1), ingot_layer_get_output(sel, 0)};
  CHECK_OK(ingot_network_mark_output(net, outs[0]));
  CHECK_OK(ingot_network_mark_output(net, outs[1]));
  CHECK_OK(ingot_network_mark_output(net, x)); /* an input may be an output too */
  CHECK(ingot_network_num_outputs(net) == 3 && ingot_tensor_is_output(outs[1]) && ingot_network_get_output(net, 2) == x);
  CHECK_FAILS(ingot_network_mark_output(net, outs[1]), INGOT_INVALID_ARGUMENT, ingot_tensor_get_name(outs[1]));
  CHECK_OK(ingot_network_unmark_output(net, outs[0]));
  CHECK(ingot_network_num_outputs(net) == 2 && ingot_network_get_output(net, 0) == outs[1] && !ingot_tensor_is_output(outs[0]));
  CHECK_FAILS(ingot_network_unmark_output(net, outs[0]), INGOT_INVALID_ARGUMENT, "not a network output");

  /* the graph the builder will read is well formed */
  CHECK_OK(ingot_graph_validate(net->graph));

  /* activations' dims while an input is dynamic: what does not depend on the dynamic dims
   * (the conv reads only the static input x [2,3,8,8]: 3x3 kernel, stride (1, 2), no padding) */
  got.nb_dims = 3;
  CHECK_OK(ingot_tensor_get_dims(y, &got));
  CHECK(got.nb_dims == 4 && got.d[0] == 2 && got.d[1] == 4 && got.d[2] == 8 && got.d[3] == 4);
  {
    /* a layer on a dynamic input: the dynamic dim is -1, the others are known */
    ingot_network *dyn = NULL;
    ingot_tensor *dx = NULL;
    ingot_layer *sm = NULL, *sh = NULL;
    ingot_dims dd = make_dims(3, -1, 5, 6, 0);
    CHECK_OK(ingot_network_create(NULL, &dyn));
    CHECK_OK(ingot_network_add_input(dyn, "x", INGOT_FLOAT32, &dd, &dx));
    CHECK_OK(ingot_network_add_softmax(dyn, dx, -1, &sm));
    CHECK_OK(ingot_network_add_shape(dyn, ingot_layer_get_output(sm, 0), &sh));
    CHECK_OK(ingot_tensor_get_dims(ingot_layer_get_output(sm, 0), &got));
    CHECK(got.nb_dims == 3 && got.d[0] == -1 && got.d[1] == 5 && got.d[2] == 6);
    CHECK_OK(ingot_tensor_get_dims(ingot_layer_get_output(sh, 0), &got));
    CHECK(got.nb_dims == 1 && got.d[0] == 3);
    ingot_network_destroy(dyn);
  }

  free(kern);
  free(bias);
  free(dk);
  free(slope_v);
  free(fk);
  free(fb);
  free(sc);
  free(pw);
  for (int i = 0; i < 4; i++) free(bw[i]);
  ingot_network_destroy(net);
}

/* Names: defaults, renames, uniqueness. */
static void test_names(void) {
  ingot_network *net = NULL;
  CHECK_OK(ingot_network_create(NULL, &net));
  if (!net) return;
  ingot_dims d = make_dims(2, 4, 4, 0, 0);
  ingot_tensor *a = NULL, *b = NULL;
  CHECK_OK(ingot_network_add_input(net, "a", INGOT_FLOAT32, &d, &a));
  CHECK_FAILS(ingot_network_add_input(net, "a", INGOT_FLOAT32, &d, &b), INGOT_INVALID_ARGUMENT, "'a'");
  CHECK_FAILS(ingot_network_add_input(net, "", INGOT_FLOAT32, &d, &b), INGOT_INVALID_ARGUMENT, "empty");
  CHECK_OK(ingot_network_add_input(net, "b", INGOT_FLOAT32, &d, &b));
  CHECK_FAILS(ingot_tensor_set_name(b, "a"), INGOT_INVALID_ARGUMENT, "ingot_tensor_set_name");
  CHECK_OK(ingot_tensor_set_name(b, "b"));
  CHECK_OK(ingot_tensor_set_name(b, "bee"));
  CHECK(strcmp(ingot_tensor_get_name(b), "bee") == 0 && ingot_network_find_tensor(net, "bee") == b);
  CHECK(ingot_network_find_tensor(net, "b") == NULL);
  CHECK(strstr(ingot_last_error(), "'b'") != NULL);

  float w[16];
  for (int i = 0; i < 16; i++) w[i] = test_randf(&rng);
  ingot_layer *fc = NULL;
  CHECK_OK(ingot_network_add_fully_connected(net, a, 4, f32(w, 16), no_weights, &fc));
  CHECK(strcmp(ingot_layer_get_name(fc), "fully_connected_1") == 0);
  CHECK_OK(ingot_layer_set_name(fc, "dense"));
  CHECK(strcmp(ingot_layer_get_name(fc), "dense") == 0);
  /* hidden constants and outputs keep their names */
  CHECK(strcmp(ingot_tensor_get_name(ingot_layer_get_input(fc, 1)), "fully_connected_1.kernel") == 0);
  CHECK(strcmp(ingot_tensor_get_name(ingot_layer_get_output(fc, 0)), "fully_connected_1_output_0") == 0);
  /* a generated name that a user already took gets a suffix instead of a clash */
  ingot_tensor *out = ingot_layer_get_output(fc, 0);
  CHECK_OK(ingot_tensor_set_name(out, "identity_2_output_0"));
  ingot_layer *id = NULL;
  CHECK_OK(ingot_network_add_identity(net, a, &id));
  CHECK(strcmp(ingot_layer_get_name(id), "identity_2") == 0);
  CHECK(strcmp(ingot_tensor_get_name(ingot_layer_get_output(id, 0)), "identity_2_output_0_1") == 0);

  CHECK(strcmp(ingot_layer_type_name(INGOT_LAYER_BATCH_NORMALIZATION), "batch_normalization") == 0);
  CHECK(strcmp(ingot_layer_type_name(INGOT_LAYER_TOPK), "topk") == 0);
  CHECK(strcmp(ingot_activation_type_name(INGOT_ACTIVATION_GELU_TANH), "gelu_tanh") == 0);
  CHECK(strcmp(ingot_activation_type_name(INGOT_ACTIVATION_THRESHOLDED_RELU), "thresholded_relu") == 0);
  CHECK(strcmp(ingot_activation_type_name((ingot_activation_type)99), "unknown") == 0);
  CHECK_FAILS(ingot_layer_set_name(id, NULL), INGOT_INVALID_ARGUMENT, "ingot_layer_set_name");
  ingot_network_destroy(net);
}

/* Bad calls: each fails with its status, a message naming the function, reaches the
 * logger, and leaves the network as it was. */
static void test_bad_calls(ingot_logger *logger) {
  ingot_network *net = NULL, *other = NULL;
  CHECK_OK(ingot_network_create(logger, &net));
  CHECK_OK(ingot_network_create(NULL, &other));
  if (!net || !other) return;
  ingot_dims d = make_dims(4, 1, 2, 4, 4);
  ingot_tensor *x = NULL, *foreign = NULL, *t = NULL;
  ingot_layer *l = NULL;
  CHECK_OK(ingot_network_add_input(net, "x", INGOT_FLOAT32, &d, &x));
  CHECK_OK(ingot_network_add_input(other, "x", INGOT_FLOAT32, &d, &foreign));
  CHECK_FAILS(ingot_network_create(NULL, NULL), INGOT_INVALID_ARGUMENT, "ingot_network_create");

  /* inputs */
  ingot_dims bad = d;
  bad.nb_dims = 9;
  CHECK_FAILS(ingot_network_add_input(net, "y", INGOT_FLOAT32, &bad, &t), INGOT_INVALID_ARGUMENT, "nb_dims 9");
  bad = d;
  bad.d[2] = -2;
  CHECK_FAILS(ingot_network_add_input(net, "y", INGOT_FLOAT32, &bad, &t), INGOT_INVALID_ARGUMENT, "dim 2 is -2");
  CHECK_FAILS(ingot_network_add_input(net, "y", (ingot_dtype)8, &d, &t), INGOT_INVALID_ARGUMENT, "dtype");
  CHECK_FAILS(ingot_network_add_input(NULL, "y", INGOT_FLOAT32, &d, &t), INGOT_INVALID_ARGUMENT, "ingot_network_add_input");
  CHECK_FAILS(ingot_network_add_input(net, NULL, INGOT_FLOAT32, &d, &t), INGOT_INVALID_ARGUMENT, "'name'");
  CHECK_FAILS(ingot_network_add_input(net, "y", INGOT_FLOAT32, NULL, &t), INGOT_INVALID_ARGUMENT, "'dims'");
  CHECK_FAILS(ingot_network_add_input(net, "y", INGOT_FLOAT32, &d, NULL), INGOT_INVALID_ARGUMENT, "'tensor_out'");

  int32_t nodes = net->graph->nb_nodes, tensors = net->graph->nb_tensors;
  int before = logged_errors;

  /* null network, null input, a tensor of another network, enums out of range */
  CHECK_FAILS(ingot_network_add_activation(NULL, x, INGOT_ACTIVATION_RELU, 0, 0, &l), INGOT_INVALID_ARGUMENT,
              "ingot_network_add_activation");
  CHECK_FAILS(ingot_network_add_activation(net, NULL, INGOT_ACTIVATION_RELU, 0, 0, &l), INGOT_INVALID_ARGUMENT,
              "'input'");
  CHECK_FAILS(ingot_network_add_activation(net, x, INGOT_ACTIVATION_RELU, 0, 0, NULL), INGOT_INVALID_ARGUMENT,
              "layer_out");
  CHECK_FAILS(ingot_network_add_activation(net, foreign, INGOT_ACTIVATION_RELU, 0, 0, &l), INGOT_INVALID_ARGUMENT,
              "another network");
  CHECK_FAILS(ingot_network_add_activation(net, x, INGOT_ACTIVATION_TYPE_COUNT, 0, 0, &l), INGOT_INVALID_ARGUMENT,
              "activation type 17");
  CHECK_FAILS(ingot_network_add_activation(net, x, (ingot_activation_type)-1, 0, 0, &l), INGOT_INVALID_ARGUMENT,
              "out of range");
  CHECK(l == NULL);
  CHECK(logged_errors > before && strstr(logged_last, "ingot_network_add_activation") != NULL);
  CHECK_FAILS(ingot_network_add_elementwise(net, x, foreign, INGOT_ELEMENTWISE_SUM, &l), INGOT_INVALID_ARGUMENT,
              "argument 'b'");
  CHECK_FAILS(ingot_network_add_elementwise(net, x, x, INGOT_ELEMENTWISE_OP_COUNT, &l), INGOT_INVALID_ARGUMENT,
              "ingot_network_add_elementwise");
  CHECK_FAILS(ingot_network_add_unary(net, x, INGOT_UNARY_OP_COUNT, &l), INGOT_INVALID_ARGUMENT, "unary op");
  CHECK_FAILS(ingot_network_add_reduce(NULL, x, INGOT_REDUCE_SUM, 1, 0, &l), INGOT_INVALID_ARGUMENT,
              "ingot_network_add_reduce");
  CHECK_FAILS(ingot_network_add_reduce(net, x, INGOT_REDUCE_OP_COUNT, 1, 0, &l), INGOT_INVALID_ARGUMENT, "reduce op");
  CHECK_FAILS(ingot_network_add_matrix_multiply(net, x, (ingot_matrix_op)3, x, INGOT_MATRIX_OP_NONE, &l),
              INGOT_INVALID_ARGUMENT, "op_a");
  CHECK_FAILS(ingot_network_add_cast(net, x, (ingot_dtype)8, &l), INGOT_INVALID_ARGUMENT, "to_dtype");
  CHECK_FAILS(ingot_network_add_topk(net, x, INGOT_TOPK_MAX, -1, 0, &l), INGOT_INVALID_ARGUMENT, "k is -1");
  CHECK_FAILS(ingot_network_add_topk(net, x, (ingot_topk_op)2, 1, 0, &l), INGOT_INVALID_ARGUMENT, "ingot_network_add_topk");
  CHECK_FAILS(ingot_network_add_gather(net, x, NULL, 0, &l), INGOT_INVALID_ARGUMENT, "'indices'");
  CHECK_FAILS(ingot_network_add_select(net, x, x, foreign, &l), INGOT_INVALID_ARGUMENT, "else_input");
  CHECK_FAILS(ingot_network_add_parametric_relu(net, x, NULL, &l), INGOT_INVALID_ARGUMENT, "'slope'");
  CHECK_FAILS(ingot_network_add_layer_normalization(net, x, x, foreign, 8, 1e-5f, &l), INGOT_INVALID_ARGUMENT,
              "'bias'");
  CHECK_FAILS(ingot_network_add_identity(net, NULL, &l), INGOT_INVALID_ARGUMENT, "ingot_network_add_identity");
  CHECK_FAILS(ingot_network_add_concatenation(net, NULL, 2, 0, &l), INGOT_INVALID_ARGUMENT, "'inputs'");
  ingot_tensor *cat_in[2] = {x, NULL};
  CHECK_FAILS(ingot_network_add_concatenation(net, cat_in, 2, 0, &l), INGOT_INVALID_ARGUMENT, "inputs[1]");
  CHECK_FAILS(ingot_network_add_concatenation(net, cat_in, 0, 0, &l), INGOT_INVALID_ARGUMENT, "nb_inputs");
  CHECK_FAILS(ingot_network_add_shuffle(net, x, NULL, &l), INGOT_INVALID_ARGUMENT, "'desc'");
  ingot_resize_desc rd;
  memset(&rd, 0, sizeof rd);
  rd.mode = (ingot_resize_mode)(INGOT_RESIZE_CUBIC + 1);
  CHECK_FAILS(ingot_network_add_resize(net, x, &rd, &l), INGOT_INVALID_ARGUMENT, "mode");
  rd.mode = INGOT_RESIZE_CUBIC;
  rd.roi[3] = NAN;
  CHECK_FAILS(ingot_network_add_resize(net, x, &rd, &l), INGOT_INVALID_ARGUMENT, "roi[3]");
  rd.roi[3] = 0.0f;
  rd.mode = INGOT_RESIZE_NEAREST;
  rd.output_dims = make_dims(2, 4, 4, 0, 0);
  CHECK_FAILS(ingot_network_add_resize(net, x, &rd, &l), INGOT_INVALID_ARGUMENT, "rank 4");
  ingot_padding_desc pad;
  memset(&pad, 0, sizeof pad);
  pad.nb_dims = 4;
  pad.mode = (ingot_pad_mode)4;
  CHECK_FAILS(ingot_network_add_padding(net, x, &pad, &l), INGOT_INVALID_ARGUMENT, "ingot_network_add_padding");

  /* convolution parameters */
  float w[2 * 2 * 9], bw[3];
  for (int i = 0; i < 36; i++) w[i] = test_randf(&rng);
  for (int i = 0; i < 3; i++) bw[i] = test_randf(&rng);
  ingot_convolution_desc c;
  memset(&c, 0, sizeof c);
  c.nb_spatial_dims = 2;
  c.num_output_maps = 2;
  c.kernel_size[0] = c.kernel_size[1] = 3;
  c.kernel_weights = f32(w, 36);
  CHECK_FAILS(ingot_network_add_convolution(net, x, NULL, &l), INGOT_INVALID_ARGUMENT, "'desc'");
  c.nb_spatial_dims = 7;
  CHECK_FAILS(ingot_network_add_convolution(net, x, &c, &l), INGOT_INVALID_ARGUMENT, "nb_spatial_dims is 7");
  c.nb_spatial_dims = 0;
  CHECK_FAILS(ingot_network_add_convolution(net, x, &c, &l), INGOT_INVALID_ARGUMENT, "nb_spatial_dims is 0");
  c.nb_spatial_dims = 1;
  CHECK_FAILS(ingot_network_add_convolution(net, x, &c, &l), INGOT_INVALID_ARGUMENT, "rank 3");
  c.nb_spatial_dims = 2;
  c.kernel_size[1] = 0;
  CHECK_FAILS(ingot_network_add_convolution(net, x, &c, &l), INGOT_INVALID_ARGUMENT, "kernel_size[1]");
  c.kernel_size[1] = 3;
  c.stride[0] = -1;
  CHECK_FAILS(ingot_network_add_convolution(net, x, &c, &l), INGOT_INVALID_ARGUMENT, "stride[0] is -1");
  c.stride[0] = 0;
  c.padding_mode = (ingot_padding_mode)4;
  CHECK_FAILS(ingot_network_add_convolution(net, x, &c, &l), INGOT_INVALID_ARGUMENT, "padding_mode");
  c.padding_mode = INGOT_PADDING_SAME_UPPER;
  c.groups = 3;
  CHECK_FAILS(ingot_network_add_convolution(net, x, &c, &l), INGOT_INVALID_ARGUMENT, "groups");
  c.groups = 0;
  c.num_output_maps = 0;
  CHECK_FAILS(ingot_network_add_convolution(net, x, &c, &l), INGOT_INVALID_ARGUMENT, "num_output_maps");
  c.num_output_maps = 2;
  c.bias_weights = f32(bw, 3);
  CHECK_FAILS(ingot_network_add_convolution(net, x, &c, &l), INGOT_INVALID_ARGUMENT, "bias_weights hold 3");
  c.bias_weights = no_weights;
  c.kernel_weights.dtype = INGOT_INT32;
  CHECK_FAILS(ingot_network_add_convolution(net, x, &c, &l), INGOT_INVALID_ARGUMENT, "int32");
  c.kernel_weights = f32(NULL, 36);
  CHECK_FAILS(ingot_network_add_convolution(net, x, &c, &l), INGOT_INVALID_ARGUMENT, "values is NULL");
  c.kernel_weights = no_weights;
  CHECK_FAILS(ingot_network_add_convolution(net, x, &c, &l), INGOT_INVALID_ARGUMENT, "empty");
  c.kernel_weights = f32(w, 18); /* C = 2 declared: 2 x 2 x 9 = 36 expected */
  CHECK_FAILS(ingot_network_add_convolution(net, x, &c, &l), INGOT_INVALID_ARGUMENT, "expected 36");
  c.kernel_weights = f32(w, -4);
  CHECK_FAILS(ingot_network_add_convolution(net, x, &c, &l), INGOT_INVALID_ARGUMENT, "count is -4");

  ingot_pooling_desc p;
  memset(&p, 0, sizeof p);
  p.nb_spatial_dims = 2;
  p.window_size[0] = 2;
  CHECK_FAILS(ingot_network_add_pooling(net, x, &p, &l), INGOT_INVALID_ARGUMENT, "window_size[1]");
  p.type = (ingot_pooling_type)2;
  CHECK_FAILS(ingot_network_add_pooling(net, x, &p, &l), INGOT_INVALID_ARGUMENT, "pooling type");

  CHECK_FAILS(ingot_network_add_fully_connected(net, x, 0, f32(w, 32), no_weights, &l), INGOT_INVALID_ARGUMENT,
              "num_outputs");
  CHECK_FAILS(ingot_network_add_fully_connected(net, x, 3, f32(w, 32), no_weights, &l), INGOT_INVALID_ARGUMENT,
              "multiple of num_outputs 3");
  CHECK_FAILS(ingot_network_add_scale(net, x, (ingot_scale_mode)3, no_weights, no_weights, no_weights, 0, &l),
              INGOT_INVALID_ARGUMENT, "scale mode");

  ingot_dims cd = make_dims(2, 2, 3, 0, 0);
  CHECK_FAILS(ingot_network_add_constant(net, &cd, f32(w, 5), &l), INGOT_INVALID_ARGUMENT, "expected 6");
  cd.d[0] = -1;
  CHECK_FAILS(ingot_network_add_constant(net, &cd, f32(w, 6), &l), INGOT_INVALID_ARGUMENT, "ingot_network_add_constant");
  CHECK_FAILS(ingot_network_add_constant(net, NULL, f32(w, 6), &l), INGOT_INVALID_ARGUMENT, "'dims'");

  /* nothing stayed behind */
  CHECK(net->graph->nb_nodes == nodes && net->graph->nb_tensors == tensors && ingot_network_num_layers(net) == 0);

  /* outputs and accessors */
  CHECK_FAILS(ingot_network_mark_output(net, foreign), INGOT_INVALID_ARGUMENT, "another network");
  CHECK_FAILS(ingot_network_mark_output(NULL, x), INGOT_INVALID_ARGUMENT, "ingot_network_mark_output");
  CHECK_FAILS(ingot_network_unmark_output(net, NULL), INGOT_INVALID_ARGUMENT, "ingot_network_unmark_output");
  CHECK(ingot_network_get_input(net, 1) == NULL && strstr(ingot_last_error(), "out of range") != NULL);
  CHECK(ingot_network_get_output(net, 0) == NULL);
  CHECK(ingot_network_get_layer(net, -1) == NULL);
  CHECK(ingot_network_get_layer(NULL, 0) == NULL);
  CHECK(ingot_network_find_tensor(net, NULL) == NULL);
  CHECK(ingot_network_num_layers(NULL) == 0 && ingot_network_num_inputs(NULL) == 0);
  CHECK(ingot_tensor_get_name(NULL) == NULL);
  CHECK(ingot_tensor_get_dtype(NULL) == (ingot_dtype)INGOT_DTYPE_COUNT);
  CHECK(ingot_layer_get_type(NULL) == INGOT_LAYER_TYPE_COUNT);
  ingot_dims got;
  CHECK_FAILS(ingot_tensor_get_dims(NULL, &got), INGOT_INVALID_ARGUMENT, "ingot_tensor_get_dims");
  CHECK_FAILS(ingot_tensor_get_dims(x, NULL), INGOT_INVALID_ARGUMENT, "dims_out");
  CHECK_OK(ingot_network_add_identity(net, x, &l));
  CHECK(ingot_layer_get_input(l, 1) == NULL && strstr(ingot_last_error(), "identity_0") != NULL);
  CHECK(ingot_layer_get_output(l, 1) == NULL);
  CHECK_FAILS(ingot_layer_set_input(l, 1, x), INGOT_INVALID_ARGUMENT, "layer 'identity_0' (identity)");
  CHECK_FAILS(ingot_layer_set_input(l, 0, foreign), INGOT_INVALID_ARGUMENT, "ingot_layer_set_input");
  CHECK_FAILS(ingot_layer_set_input(NULL, 0, x), INGOT_INVALID_ARGUMENT, "ingot_layer_set_input");

  ingot_network_destroy(other);
  ingot_network_destroy(net);
}

/* set_input: a constant added after the layer it feeds moves before it; a cycle is refused
 * and changes nothing; a bias can be added to a convolution that had none. */
static void test_set_input(void) {
  ingot_network *net = NULL;
  CHECK_OK(ingot_network_create(NULL, &net));
  if (!net) return;
  ingot_dims d = make_dims(4, 1, 2, 5, 5);
  ingot_tensor *x = NULL;
  CHECK_OK(ingot_network_add_input(net, "x", INGOT_FLOAT32, &d, &x));
  float w[3 * 2 * 4], b[3];
  for (int i = 0; i < 24; i++) w[i] = test_randf(&rng);
  for (int i = 0; i < 3; i++) b[i] = test_randf(&rng);
  ingot_convolution_desc c;
  memset(&c, 0, sizeof c);
  c.nb_spatial_dims = 2;
  c.num_output_maps = 3;
  c.kernel_size[0] = c.kernel_size[1] = 2;
  c.kernel_weights = f32(w, 24);
  ingot_layer *conv = NULL, *relu = NULL, *kc = NULL, *bc = NULL, *id = NULL;
  CHECK_OK(ingot_network_add_convolution(net, x, &c, &conv));
  CHECK_OK(ingot_network_add_activation(net, ingot_layer_get_output(conv, 0), INGOT_ACTIVATION_RELU, 0, 0, &relu));
  ingot_dims kd = make_dims(4, 3, 2, 2, 2), bd = make_dims(1, 3, 0, 0, 0);
  for (int i = 0; i < 24; i++) w[i] = -w[i];
  CHECK_OK(ingot_network_add_constant(net, &kd, f32(w, 24), &kc));
  CHECK_OK(ingot_network_add_constant(net, &bd, f32(b, 3), &bc));
  ingot_tensor *kt = ingot_layer_get_output(kc, 0), *bt = ingot_layer_get_output(bc, 0);
  CHECK(conv->index < kc->index);
  CHECK_OK(ingot_layer_set_input(conv, 1, kt));
  CHECK_OK(ingot_layer_set_input(conv, 2, bt)); /* adds the bias */
  CHECK(ingot_layer_get_input(conv, 1) == kt && ingot_layer_get_input(conv, 2) == bt);
  CHECK(ingot_layer_num_inputs(conv) == 3 && gnode(conv)->params.conv.has_bias == 1);
  CHECK(kc->index < conv->index && bc->index < conv->index && conv->index < relu->index);
  CHECK(strcmp(ingot_layer_get_name(conv), "convolution_1") == 0 && gnode(kc)->op == INGOT_OP_CONSTANT);
  CHECK(gtensor(kt)->producer == kc->index && gtensor(ingot_layer_get_output(conv, 0))->producer == conv->index);
  CHECK(ingot_network_get_layer(net, 0) == conv && ingot_network_get_layer(net, 2) == kc);
  CHECK_OK(ingot_graph_validate(net->graph));

  /* feeding the relu's output back into the convolution would be a cycle */
  CHECK_OK(ingot_network_add_identity(net, ingot_layer_get_output(relu, 0), &id));
  int32_t conv_index = conv->index;
  CHECK_FAILS(ingot_layer_set_input(conv, 0, ingot_layer_get_output(id, 0)), INGOT_INVALID_ARGUMENT, "cycle");
  CHECK(ingot_layer_get_input(conv, 0) == x && conv->index == conv_index);
  CHECK_OK(ingot_graph_validate(net->graph));

  /* with every input concrete, an activation's dims come from shape inference */
  ingot_dims got;
  CHECK_OK(ingot_tensor_get_dims(ingot_layer_get_output(id, 0), &got));
  CHECK(dims_are(&got, 4, (int64_t[]){1, 3, 4, 4}));
  /* and a layer that shape inference rejects (5 against 3 does not broadcast) is named */
  ingot_layer *add = NULL;
  CHECK_OK(ingot_network_add_elementwise(net, x, bt, INGOT_ELEMENTWISE_SUM, &add));
  ingot_status st = ingot_tensor_get_dims(ingot_layer_get_output(add, 0), &got);
  CHECK(st != INGOT_SUCCESS && got.nb_dims == -1);
  CHECK(strstr(ingot_last_error(), "ingot_tensor_get_dims") != NULL);
  CHECK(strstr(ingot_last_error(), ingot_layer_get_name(add)) != NULL);
  ingot_network_destroy(net);
}

int main(void) {
  ingot_logger *logger = NULL;
  CHECK_OK(ingot_logger_create(on_log, NULL, INGOT_SEVERITY_WARNING, &logger));
  test_all_layers(logger);
  test_names();
  test_bad_calls(logger);
  test_set_input();
  ingot_logger_destroy(logger);
  TEST_EXIT();
}
