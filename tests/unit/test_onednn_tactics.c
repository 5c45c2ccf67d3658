/* The oneDNN tactics (src/backend/cpu/dnnl/) against the reference kernels, on random
 * inputs: convolution (strides, padding modes, dilation, groups, depthwise, 1x1, 1-D and
 * 3-D, bias, residual and activation epilogues), fully connected (bias, residual,
 * activations) and matrix multiply (transposes, vectors, batch broadcasting, constant
 * and computed B, bias broadcasts, residual). Each tactic runs as the builder and a
 * context run it: supports() and prepare() see only constant data, workspace_size() and
 * create_state() only dims, run() the data, serially and on a pool of 2; its state must
 * be a oneDNN one (not the reference fallback), and a state made for other shapes falls
 * back to the reference. The weights packed by prepare() unpack to input 1's exactly, and
 * the fallback runs on them without input 1's data (packed_inputs: a plan may leave the
 * weights out). Then the tactic-source mask: a build with INGOT only names no oneDNN
 * tactic, one with ONEDNN only names oneDNN's for its conv and FC, and its plan holds their
 * weights only packed. Without oneDNN built in, only the mask checks run. */
#include "tactic_case.h"

#include "backend/cpu/cpu_kernels.h"
#include "core/dims.h"
#include "core/thread_pool.h"
#include "ops/graph.h"
#include "ops/ops.h"
#ifdef INGOT_HAVE_ONEDNN
#include "backend/cpu/dnnl/dnnl_common.h"
#include "core/alloc.h"
#endif

#define MAX_IN TACTIC_CASE_MAX_INPUTS

static uint64_t g_seed = 0xD11AULL;
static ingot_thread_pool *g_pool;
static int32_t g_compared[4]; /* conv, conv blocked, fc, matmul */

static int64_t rnd(int64_t n) { return tactic_rnd(&g_seed, n); }

static bool infer(tactic_case *c) {
  ingot_value_info vi[MAX_IN], vo[INGOT_MAX_OUTPUTS];
  memset(vo, 0, sizeof vo);
  for (int32_t i = 0; i < c->nb_inputs; i++) {
    vi[i].dtype = INGOT_FLOAT32;
    vi[i].dims = c->dims[i];
    vi[i].data = c->constant[i] ? c->data[i] : NULL;
  }
  if (ingot_op_infer(c->node.op)(&c->node, vi, vo) != INGOT_SUCCESS) {
    fprintf(stderr, "%s: shape inference failed: %s\n", c->name, ingot_last_error());
    test_failures++;
    return false;
  }
  c->ydims = vo[0].dims;
  return true;
}

static const ingot_tactic *find_tactic(const char *name) {
  const ingot_backend *be = ingot_cpu_backend();
  for (int32_t i = 0; i < be->nb_tactics; i++)
    if (strcmp(be->tactics[i].name, name) == 0) return &be->tactics[i];
  return NULL;
}

static void views(const tactic_case *c, bool constants_only, bool with_data, ingot_tensor_view *in) {
  for (int32_t i = 0; i < c->nb_inputs; i++) {
    in[i].dtype = INGOT_FLOAT32;
    in[i].dims = c->dims[i];
    in[i].data = with_data && (!constants_only || c->constant[i]) ? c->data[i] : NULL;
  }
}

/* The reference's output (malloc'd). */
static float *reference(tactic_case *c) {
  const ingot_tactic *ref = ingot_cpu_backend()->tactics; /* first row of the op: the oracle */
  for (int32_t i = 0; i < ingot_cpu_backend()->nb_tactics; i++)
    if (ingot_cpu_backend()->tactics[i].op == c->node.op) {
      ref = &ingot_cpu_backend()->tactics[i];
      break;
    }
  ingot_tensor_view in[MAX_IN], out = {INGOT_FLOAT32, c->ydims, NULL};
  views(c, false, true, in);
  float *y = malloc(sizeof(float) * (size_t)ingot_dims_volume(&c->ydims) + 4);
  out.data = y;
  ingot_kernel_args args = {.node = &c->node, .params = &c->node.params, .nb_inputs = c->nb_inputs, .inputs = in,
                            .nb_outputs = 1, .outputs = &out};
  if (ref->run(&args) != INGOT_SUCCESS) {
    fprintf(stderr, "%s: reference failed: %s\n", c->name, ingot_last_error());
    test_failures++;
  }
  return y;
}

#ifdef INGOT_HAVE_ONEDNN
static int32_t g_unpacked; /* cases whose packed weights were unpacked and run on */

/* args: a run's, with prepare()'s blob. The blob unpacks to input 1's data exactly; a
 * state that is not native (shapes oneDNN declined) runs the reference on the unpacked
 * weights with input 1 given no data, bit for bit as the reference on the data, and
 * without them refuses rather than read the missing input. */
static void check_unpacked(const ingot_tactic *t, tactic_case *c, const ingot_kernel_args *args) {
  int64_t n = ingot_dims_volume(&c->dims[1]);
  void *unpacked = NULL;
  CHECK_OK(ingot_dnnl_unpack_weights(args, &unpacked));
  float *plain = unpacked;
  if (!plain || memcmp(plain, c->data[1], sizeof(float) * (size_t)n) != 0) {
    fprintf(stderr, "%s: %s: the packed weights %s\n", c->name, t->name,
            plain ? "unpack to other values than input 1's" : "do not unpack");
    test_failures++;
    ingot_aligned_free(plain);
    return;
  }
  ingot_dnnl_state *fallback = calloc(1, sizeof *fallback);
  fallback->plain_weights = plain; /* owned by the state now */
  ingot_tensor_view in[MAX_IN], out = args->outputs[0];
  memcpy(in, args->inputs, sizeof(ingot_tensor_view) * (size_t)args->nb_inputs);
  in[1].data = NULL;
  float *y = malloc(sizeof(float) * (size_t)ingot_dims_volume(&c->ydims) + 4);
  out.data = y;
  ingot_kernel_args a = *args;
  a.inputs = in;
  a.outputs = &out;
  a.state = fallback;
  CHECK_OK(t->run(&a));
  float *want = reference(c);
  CHECK(memcmp(y, want, sizeof(float) * (size_t)ingot_dims_volume(&c->ydims)) == 0);
  fallback->plain_weights = NULL;
  CHECK_FAILS(t->run(&a), INGOT_INVALID_ARGUMENT, "neither the plan nor the packed weights");
  fallback->plain_weights = plain;
  ingot_dnnl_destroy_state(fallback);
  free(want);
  free(y);
  g_unpacked++;
}
#endif

/* Runs tactic t on the case as the builder and a context do, twice; returns its output
 * (malloc'd) or NULL when it does not support the case. *native: the state ran oneDNN. */
static float *run_tactic(const ingot_tactic *t, tactic_case *c, ingot_thread_pool *pool, bool *native) {
  ingot_tensor_view in[MAX_IN], out = {INGOT_FLOAT32, c->ydims, NULL};
  views(c, true, true, in);
  *native = false;
  if (t->supports && !t->supports(&c->node, in, &out)) return NULL;
  ingot_kernel_args args = {.node = &c->node, .params = &c->node.params, .nb_inputs = c->nb_inputs, .inputs = in,
                            .nb_outputs = 1, .outputs = &out, .pool = pool};
  void *prepared = NULL, *state = NULL;
  uint64_t prepared_size = 0;
  ingot_status st = t->prepare ? t->prepare(&args, &prepared, &prepared_size) : INGOT_SUCCESS;
  float *y = NULL;
  if (st != INGOT_SUCCESS) {
    fprintf(stderr, "%s: %s prepare: %s\n", c->name, t->name, ingot_last_error());
    test_failures++;
    return NULL;
  }
  views(c, false, false, in); /* run time: dims only until run() */
  args.prepared = prepared;
  args.prepared_size = prepared_size;
  args.workspace_size = t->workspace_size ? t->workspace_size(&args) : 0;
  st = t->create_state ? t->create_state(&args, &state) : INGOT_SUCCESS;
  void *ws = NULL;
  if (st == INGOT_SUCCESS && posix_memalign(&ws, 64, (size_t)args.workspace_size + 64) != 0) st = INGOT_OUT_OF_MEMORY;
  if (st == INGOT_SUCCESS) {
    views(c, false, true, in);
    y = malloc(sizeof(float) * (size_t)ingot_dims_volume(&c->ydims) + 4);
    out.data = y;
    args.workspace = ws;
    args.state = state;
    st = t->run(&args);
    if (st == INGOT_SUCCESS) st = t->run(&args); /* a second run: handles already set */
#ifdef INGOT_HAVE_ONEDNN
    if (st == INGOT_SUCCESS && prepared && c->constant[1] && pool) check_unpacked(t, c, &args);
#endif
  }
  if (st != INGOT_SUCCESS) {
    fprintf(stderr, "%s: %s failed: %s\n", c->name, t->name, ingot_last_error());
    test_failures++;
    free(y);
    y = NULL;
  }
#ifdef INGOT_HAVE_ONEDNN
  *native = ingot_dnnl_state_is_native(state);
#endif
  if (t->destroy_state) t->destroy_state(state);
  free(ws);
  free(prepared);
  return y;
}

static void compare(tactic_case *c, const char *tactic, int32_t counter, bool must_support) {
  const ingot_tactic *t = find_tactic(tactic);
  if (!t) {
    fprintf(stderr, "tactic %s is not in the CPU table\n", tactic);
    test_failures++;
    return;
  }
  float *want = reference(c);
  ingot_thread_pool *pools[2] = {NULL, g_pool};
  for (int32_t p = 0; p < 2; p++) {
    bool native = false;
    float *got = run_tactic(t, c, pools[p], &native);
    if (!got) {
      if (must_support) {
        fprintf(stderr, "%s: %s does not support it\n", c->name, tactic);
        test_failures++;
      }
      break;
    }
    if (!native) {
      fprintf(stderr, "%s: %s ran the reference fallback, not oneDNN\n", c->name, tactic);
      test_failures++;
    }
    int64_t v = ingot_dims_volume(&c->ydims);
    for (int64_t k = 0; k < v; k++) {
      double g = got[k], w = want[k];
      if (!(fabs(g - w) <= 1e-4 * (1.0 + fabs(w)))) {
        fprintf(stderr, "%s: %s (%s) element %lld is %.8g, the reference gives %.8g\n", c->name, tactic,
                p ? "pool of 2" : "serial", (long long)k, g, w);
        test_failures++;
        break;
      }
    }
    if (p == 1) g_compared[counter]++;
    free(got);
  }
  free(want);
}

/* ---- convolution ------------------------------------------------------------------------- */

typedef struct conv_spec {
  int32_t ns, mode;
  int64_t N, C, K, G;
  int64_t in[3], k[3], s[3], d[3], pre[3], post[3];
  int32_t bias, residual, act; /* act: -1 none, else an ingot_activation_type */
} conv_spec;

static void conv_case(const conv_spec *s) {
  tactic_case c;
  char name[200];
  snprintf(name, sizeof name, "conv%dd N%lld C%lld K%lld G%lld in %lld,%lld,%lld k %lld s %lld d %lld pad %lld/%lld mode %d b%d r%d a%d",
           s->ns, (long long)s->N, (long long)s->C, (long long)s->K, (long long)s->G, (long long)s->in[0],
           (long long)s->in[1], (long long)s->in[2], (long long)s->k[0], (long long)s->s[0], (long long)s->d[0],
           (long long)s->pre[0], (long long)s->post[0], s->mode, s->bias, s->residual, s->act);
  tactic_case_init(&c, INGOT_OP_CONVOLUTION, name);
  ingot_conv_params *p = &c.node.params.conv;
  p->nb_spatial_dims = s->ns;
  p->padding_mode = s->mode;
  p->num_output_maps = s->K;
  p->groups = s->G;
  p->has_bias = s->bias;
  p->epilogue.activation = s->act;
  p->epilogue.alpha = s->act == INGOT_ACTIVATION_CLIP ? -0.5f : 0.1f;
  p->epilogue.beta = s->act == INGOT_ACTIVATION_CLIP ? 0.75f : (s->act == INGOT_ACTIVATION_SELU ? 1.05f : 0.0f);
  if (s->act == INGOT_ACTIVATION_HARD_SIGMOID) p->epilogue.alpha = 0.2f, p->epilogue.beta = 0.5f;
  if (s->act == INGOT_ACTIVATION_SCALED_TANH || s->act == INGOT_ACTIVATION_SOFTPLUS)
    p->epilogue.alpha = 1.5f, p->epilogue.beta = 0.7f;
  int64_t xd[5] = {s->N, s->C}, wd[5] = {s->K, s->C / s->G};
  for (int32_t i = 0; i < s->ns; i++) {
    p->kernel_size[i] = s->k[i];
    p->stride[i] = s->s[i];
    p->dilation[i] = s->d[i];
    p->pre_padding[i] = s->pre[i];
    p->post_padding[i] = s->post[i];
    xd[2 + i] = s->in[i];
    wd[2 + i] = s->k[i];
  }
  tactic_case_add(&c, false, 2 + s->ns, xd, &g_seed);
  tactic_case_add(&c, true, 2 + s->ns, wd, &g_seed);
  if (s->bias) tactic_case_add(&c, true, 1, (const int64_t[]){s->K}, &g_seed);
  if (s->residual) {
    /* the residual has the output's dims: infer them without it first */
    if (!infer(&c)) return tactic_case_free(&c);
    tactic_case_add(&c, false, c.ydims.nb_dims, c.ydims.d, &g_seed);
    p->epilogue.has_residual = 1;
  }
  if (infer(&c) && ingot_dims_volume(&c.ydims) > 0) {
    compare(&c, "conv_f32_onednn", 0, true);
    compare(&c, "conv_f32_onednn_blocked", 1, true);
  }
  tactic_case_free(&c);
}

static conv_spec conv2(int64_t N, int64_t C, int64_t K, int64_t G, int64_t hw, int64_t k, int64_t s, int64_t pad) {
  conv_spec c = {2, INGOT_PADDING_EXPLICIT, N, C, K, G, {hw, hw + 1, 0}, {k, k, 0}, {s, s, 0}, {1, 1, 0},
                 {pad, pad, 0}, {pad, pad, 0}, 0, 0, -1};
  return c;
}

static void test_conv(void) {
  conv_spec s;
  s = conv2(1, 3, 8, 1, 9, 3, 1, 1), conv_case(&s);
  s = conv2(2, 16, 24, 1, 7, 1, 1, 0), s.bias = 1, s.act = INGOT_ACTIVATION_RELU, conv_case(&s); /* 1x1 */
  s = conv2(1, 16, 20, 1, 9, 1, 2, 0), s.bias = 1, conv_case(&s);                                /* 1x1 stride 2 */
  s = conv2(2, 8, 8, 8, 10, 3, 1, 1), s.bias = 1, s.act = INGOT_ACTIVATION_RELU, conv_case(&s);  /* depthwise */
  s = conv2(1, 12, 12, 12, 11, 3, 2, 1), s.residual = 1, conv_case(&s);
  s = conv2(1, 6, 6, 6, 8, 5, 1, 2), s.d[0] = 2, conv_case(&s);                                  /* dilation */
  s = conv2(1, 8, 12, 4, 9, 3, 1, 1), s.bias = 1, s.residual = 1, s.act = INGOT_ACTIVATION_RELU, conv_case(&s);
  s = conv2(1, 3, 16, 1, 23, 7, 2, 3), s.bias = 1, s.act = INGOT_ACTIVATION_RELU, conv_case(&s); /* stem */
  s = conv2(1, 64, 32, 1, 14, 3, 1, 1), s.bias = 1, s.residual = 1, s.act = INGOT_ACTIVATION_RELU, conv_case(&s);
  s = conv2(3, 5, 17, 1, 4, 1, 1, 0), s.residual = 1, s.act = INGOT_ACTIVATION_CLIP, conv_case(&s);
  s = conv2(1, 4, 4, 1, 6, 3, 2, 0), s.mode = INGOT_PADDING_SAME_UPPER, conv_case(&s);
  s = conv2(1, 4, 4, 4, 7, 4, 1, 0), s.mode = INGOT_PADDING_SAME_LOWER, conv_case(&s);
  s = conv2(1, 2, 3, 1, 5, 3, 1, 0), s.mode = INGOT_PADDING_VALID, conv_case(&s);
  s = conv2(1, 2, 3, 1, 8, 3, 3, 0), conv_case(&s); /* stride skips the last columns */
  /* every activation oneDNN has a post-op for, after bias and residual */
  static const int32_t acts[] = {INGOT_ACTIVATION_LEAKY_RELU, INGOT_ACTIVATION_SIGMOID,   INGOT_ACTIVATION_TANH,
                                 INGOT_ACTIVATION_ELU,        INGOT_ACTIVATION_SELU,      INGOT_ACTIVATION_SOFTPLUS,
                                 INGOT_ACTIVATION_HARD_SIGMOID, INGOT_ACTIVATION_HARD_SWISH, INGOT_ACTIVATION_GELU_ERF,
                                 INGOT_ACTIVATION_GELU_TANH,  INGOT_ACTIVATION_SILU,      INGOT_ACTIVATION_MISH,
                                 INGOT_ACTIVATION_SCALED_TANH};
  for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++)
    s = conv2(1, 8, 16, 1, 6, 3, 1, 1), s.bias = 1, s.residual = 1, s.act = acts[a], conv_case(&s);
  conv_spec one_d = {1, INGOT_PADDING_EXPLICIT, 2, 6, 10, 2, {37}, {5}, {2}, {2}, {3}, {1}, 1, 1, INGOT_ACTIVATION_RELU};
  conv_case(&one_d);
  conv_spec three_d = {3, INGOT_PADDING_EXPLICIT, 1, 4, 8, 1, {5, 6, 7}, {3, 3, 3}, {1, 2, 1}, {1, 1, 1},
                       {1, 1, 1}, {1, 0, 1}, 1, 0, -1};
  conv_case(&three_d);
  static const int64_t chans[] = {1, 2, 3, 4, 8, 16, 17, 32};
  for (int32_t r = 0; r < 40; r++) {
    conv_spec x;
    memset(&x, 0, sizeof x);
    x.ns = 2;
    x.mode = rnd(4) == 0 ? (int32_t)rnd(4) : INGOT_PADDING_EXPLICIT;
    x.N = 1 + rnd(2);
    int64_t kind = rnd(4);
    if (kind == 0) { /* depthwise */
      x.C = x.K = x.G = 2 + rnd(15);
    } else if (kind == 1) { /* grouped */
      x.G = 2 + rnd(3);
      x.C = x.G * (1 + rnd(4));
      x.K = x.G * (1 + rnd(4));
    } else {
      x.G = 1;
      x.C = chans[rnd(8)];
      x.K = chans[rnd(8)];
    }
    for (int32_t i = 0; i < 2; i++) {
      x.k[i] = 1 + rnd(5);
      x.s[i] = 1 + rnd(3);
      x.d[i] = rnd(4) == 0 ? 2 : 1;
      x.pre[i] = rnd(3);
      x.post[i] = rnd(3);
      x.in[i] = x.d[i] * (x.k[i] - 1) + 1 + rnd(12);
    }
    x.bias = (int32_t)rnd(2);
    x.residual = (int32_t)rnd(2);
    x.act = rnd(2) ? INGOT_ACTIVATION_RELU : -1;
    conv_case(&x);
  }
}

/* ---- fully connected ----------------------------------------------------------------------- */

static void fc_case(int64_t rows, const int64_t *x_rest, int32_t nb_rest, int64_t n, int32_t bias, int32_t residual,
                    int32_t act) {
  tactic_case c;
  char name[200];
  snprintf(name, sizeof name, "fc rows %lld rank %d n %lld b%d r%d a%d", (long long)rows, 1 + nb_rest, (long long)n,
           bias, residual, act);
  tactic_case_init(&c, INGOT_OP_FULLY_CONNECTED, name);
  ingot_fc_params *p = &c.node.params.fc;
  p->num_outputs = n;
  p->has_bias = bias;
  p->epilogue.activation = act;
  p->epilogue.alpha = 0.1f;
  p->epilogue.has_residual = residual;
  int64_t xd[INGOT_MAX_DIMS] = {rows}, k = 1;
  for (int32_t i = 0; i < nb_rest; i++) xd[1 + i] = x_rest[i], k *= x_rest[i];
  tactic_case_add(&c, false, 1 + nb_rest, xd, &g_seed);
  tactic_case_add(&c, true, 2, (const int64_t[]){n, k}, &g_seed);
  if (bias) tactic_case_add(&c, true, 1, &n, &g_seed);
  if (residual) tactic_case_add(&c, false, 2, (const int64_t[]){rows, n}, &g_seed);
  if (infer(&c)) compare(&c, "fc_f32_onednn", 2, true);
  tactic_case_free(&c);
}

static void test_fc(void) {
  fc_case(1, (const int64_t[]){2048}, 1, 1000, 1, 0, -1); /* a classifier head */
  fc_case(4, (const int64_t[]){8, 3, 3}, 3, 10, 1, 0, INGOT_ACTIVATION_RELU);
  fc_case(7, (const int64_t[]){33}, 1, 17, 0, 1, INGOT_ACTIVATION_GELU_ERF);
  fc_case(3, (const int64_t[]){5}, 1, 9, 1, 1, INGOT_ACTIVATION_LEAKY_RELU);
  for (int32_t r = 0; r < 10; r++)
    fc_case(1 + rnd(9), (const int64_t[]){1 + rnd(40)}, 1, 1 + rnd(50), (int32_t)rnd(2), (int32_t)rnd(2),
            rnd(2) ? INGOT_ACTIVATION_RELU : -1);
}

/* ---- matrix multiply ----------------------------------------------------------------------- */

typedef struct mm_spec {
  int32_t ra, rb;
  int64_t a[INGOT_MAX_DIMS], b[INGOT_MAX_DIMS];
  int32_t op_a, op_b, b_const;
  int32_t rbias;
  int64_t bias[INGOT_MAX_DIMS];
  int32_t residual, act;
} mm_spec;

static void mm_case(const mm_spec *s) {
  tactic_case c;
  char name[200];
  snprintf(name, sizeof name, "matmul rank %d/%d op %d/%d b_const %d bias rank %d r%d a%d", s->ra, s->rb, s->op_a,
           s->op_b, s->b_const, s->rbias, s->residual, s->act);
  tactic_case_init(&c, INGOT_OP_MATRIX_MULTIPLY, name);
  ingot_matmul_params *p = &c.node.params.matmul;
  p->op_a = s->op_a;
  p->op_b = s->op_b;
  p->has_bias = s->rbias > 0;
  p->epilogue.activation = s->act;
  tactic_case_add(&c, false, s->ra, s->a, &g_seed);
  tactic_case_add(&c, s->b_const, s->rb, s->b, &g_seed);
  if (s->rbias > 0) tactic_case_add(&c, true, s->rbias, s->bias, &g_seed);
  if (s->residual) {
    if (!infer(&c)) return tactic_case_free(&c);
    tactic_case_add(&c, false, c.ydims.nb_dims, c.ydims.d, &g_seed);
    p->epilogue.has_residual = 1;
  }
  if (infer(&c)) compare(&c, "matmul_f32_onednn", 3, true);
  tactic_case_free(&c);
}

static void test_matmul(void) {
  mm_spec s;
  /* plain, transposes, constant and computed B */
  for (int32_t ta = 0; ta < 2; ta++)
    for (int32_t tb = 0; tb < 2; tb++)
      for (int32_t bc = 0; bc < 2; bc++) {
        s = (mm_spec){2, 2, {ta ? 13 : 7, ta ? 7 : 13}, {tb ? 9 : 13, tb ? 13 : 9}, ta, tb, bc, 0, {0}, 0, -1};
        mm_case(&s);
      }
  /* batch broadcasting: A [2, 3, 5, 6] x B [3, 6, 4]; A [1, 5, 6] x B [4, 1, 6, 3] */
  s = (mm_spec){4, 3, {2, 3, 5, 6}, {3, 6, 4}, 0, 0, 0, 0, {0}, 0, -1}, mm_case(&s);
  s = (mm_spec){4, 3, {2, 3, 5, 6}, {3, 6, 4}, 0, 0, 1, 0, {0}, 0, -1}, mm_case(&s);
  s = (mm_spec){3, 4, {1, 5, 6}, {4, 1, 6, 3}, 0, 1, 0, 0, {0}, 0, -1}, s.b[2] = 3, s.b[3] = 6, mm_case(&s);
  s = (mm_spec){3, 2, {4, 5, 6}, {6, 8}, 0, 0, 1, 1, {8}, 1, INGOT_ACTIVATION_RELU}, mm_case(&s); /* linear layer */
  s = (mm_spec){3, 3, {4, 5, 6}, {4, 6, 8}, 0, 0, 0, 3, {4, 1, 8}, 0, INGOT_ACTIVATION_GELU_TANH}, mm_case(&s);
  s = (mm_spec){2, 2, {5, 6}, {6, 8}, 0, 0, 1, 2, {5, 1}, 1, -1}, mm_case(&s); /* bias per row */
  /* vectors */
  s = (mm_spec){1, 2, {6}, {6, 8}, INGOT_MATRIX_OP_VECTOR, 0, 1, 1, {8}, 0, -1}, mm_case(&s);
  s = (mm_spec){3, 1, {2, 5, 6}, {6}, 0, INGOT_MATRIX_OP_VECTOR, 0, 0, {0}, 1, -1}, mm_case(&s);
  s = (mm_spec){2, 3, {4, 6}, {4, 6, 5}, INGOT_MATRIX_OP_VECTOR, 0, 0, 0, {0}, 0, -1}, mm_case(&s);
  for (int32_t r = 0; r < 16; r++) {
    int64_t m = 1 + rnd(20), n = 1 + rnd(20), k = 1 + rnd(30), batch = 1 + rnd(3);
    int32_t ta = (int32_t)rnd(2), tb = (int32_t)rnd(2), bc = (int32_t)rnd(2);
    memset(&s, 0, sizeof s);
    s.ra = 3;
    s.rb = rnd(2) ? 3 : 2;
    s.a[0] = batch, s.a[1] = ta ? k : m, s.a[2] = ta ? m : k;
    int32_t o = s.rb == 3;
    if (o) s.b[0] = rnd(2) ? batch : 1;
    s.b[o] = tb ? n : k, s.b[o + 1] = tb ? k : n;
    s.op_a = ta, s.op_b = tb, s.b_const = bc;
    s.rbias = (int32_t)rnd(2), s.bias[0] = n;
    s.residual = (int32_t)rnd(2);
    s.act = rnd(2) ? INGOT_ACTIVATION_RELU : -1;
    mm_case(&s);
  }
}

/* A state for shapes oneDNN cannot do (an empty batch, as a dynamic shape may be) is the
 * reference fallback, not an error. */
static void test_fallback(void) {
#ifdef INGOT_HAVE_ONEDNN
  tactic_case c;
  tactic_case_init(&c, INGOT_OP_FULLY_CONNECTED, "fc with 0 rows");
  c.node.params.fc.num_outputs = 4;
  c.node.params.fc.epilogue.activation = -1;
  tactic_case_add(&c, false, 2, (const int64_t[]){0, 6}, &g_seed);
  tactic_case_add(&c, true, 2, (const int64_t[]){4, 6}, &g_seed);
  const ingot_tactic *t = find_tactic("fc_f32_onednn");
  ingot_tensor_view in[2], out = {INGOT_FLOAT32, ingot_dims_make(2, (const int64_t[]){0, 4}), NULL};
  views(&c, false, false, in);
  ingot_kernel_args args = {.node = &c.node, .params = &c.node.params, .nb_inputs = 2, .inputs = in,
                            .nb_outputs = 1, .outputs = &out};
  void *state = NULL;
  CHECK(t && t->workspace_size(&args) == 0);
  CHECK_OK(t ? t->create_state(&args, &state) : INGOT_INTERNAL_ERROR);
  CHECK(!ingot_dnnl_state_is_native(state));
  views(&c, false, true, in);
  float y[1];
  out.data = y;
  ingot_status ref = ingot_cpu_fully_connected(&args);
  args.state = state;
  CHECK(t && t->run(&args) == ref); /* what the reference does with it */
  if (t) t->destroy_state(state);
  tactic_case_free(&c);
#endif
}

/* ---- the tactic-source mask ------------------------------------------------------------------ */

/* conv 3x3 (16 -> 32 maps on 24x24) + relu, then FC to 10: built with `mask`, untimed
 * (the last-listed supported tactic of the allowed sources is taken). How many of its
 * layers run a oneDNN tactic, -1 if the build failed. */
static int32_t onednn_layers(uint32_t mask, int32_t timing) {
  static float w[32 * 16 * 9], b[32], fw[10 * 32 * 24 * 24], fb[10];
  uint64_t seed = 11;
  for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) w[i] = test_randf(&seed) * 0.1f;
  for (size_t i = 0; i < sizeof fw / sizeof fw[0]; i++) fw[i] = test_randf(&seed) * 0.01f;
  ingot_network *net = NULL;
  CHECK_OK(ingot_network_create(NULL, &net));
  ingot_dims d = {4, {1, 16, 24, 24}};
  ingot_tensor *x = NULL;
  CHECK_OK(ingot_network_add_input(net, "x", INGOT_FLOAT32, &d, &x));
  ingot_convolution_desc cd;
  memset(&cd, 0, sizeof cd);
  cd.nb_spatial_dims = 2;
  cd.num_output_maps = 32;
  cd.kernel_size[0] = cd.kernel_size[1] = 3;
  cd.pre_padding[0] = cd.pre_padding[1] = cd.post_padding[0] = cd.post_padding[1] = 1;
  cd.kernel_weights = (ingot_weights){INGOT_FLOAT32, w, sizeof w / sizeof w[0]};
  cd.bias_weights = (ingot_weights){INGOT_FLOAT32, b, 32};
  ingot_layer *conv = NULL, *act = NULL, *fc = NULL;
  CHECK_OK(ingot_network_add_convolution(net, x, &cd, &conv));
  CHECK_OK(ingot_network_add_activation(net, ingot_layer_get_output(conv, 0), INGOT_ACTIVATION_RELU, 0, 0, &act));
  CHECK_OK(ingot_network_add_fully_connected(net, ingot_layer_get_output(act, 0), 10,
                                             (ingot_weights){INGOT_FLOAT32, fw, sizeof fw / sizeof fw[0]},
                                             (ingot_weights){INGOT_FLOAT32, fb, 10}, &fc));
  CHECK_OK(ingot_tensor_set_name(ingot_layer_get_output(fc, 0), "y"));
  CHECK_OK(ingot_network_mark_output(net, ingot_layer_get_output(fc, 0)));
  ingot_builder *builder = NULL;
  ingot_builder_config *config = NULL;
  ingot_plan *plan = NULL;
  CHECK_OK(ingot_builder_create(NULL, &builder));
  CHECK_OK(ingot_builder_config_create(&config));
  CHECK(ingot_builder_config_get_tactic_sources(config) == INGOT_TACTIC_SOURCE_DEFAULT);
  CHECK_OK(ingot_builder_config_set_tactic_sources(config, mask));
  CHECK(ingot_builder_config_get_tactic_sources(config) == mask);
  CHECK_OK(ingot_builder_config_set_timing_iterations(config, timing));
  CHECK_OK(ingot_builder_config_set_num_threads(config, 2));
  CHECK_OK(ingot_builder_build_serialized_network(builder, net, config, &plan));
  int32_t count = -1;
  ingot_runtime *runtime = NULL;
  ingot_engine *engine = NULL;
  if (plan) {
    CHECK_OK(ingot_runtime_create(NULL, &runtime));
    CHECK_OK(ingot_runtime_deserialize_engine(runtime, ingot_plan_data(plan), ingot_plan_size(plan), &engine));
  }
  if (engine) {
    count = 0;
    for (int32_t i = 0; i < ingot_engine_num_layers(engine); i++) {
      ingot_layer_info info;
      CHECK_OK(ingot_engine_get_layer_info(engine, i, &info));
      if (strstr(info.tactic, "onednn")) count++;
    }
    /* conv and FC weights: in the plan only packed, by oneDNN's tactics or ingot's (when
     * untimed: timed, the reference may win); the reference kernels pack nothing */
    uint64_t packed = ingot_engine_get_packed_weights_memory(engine);
    if ((mask == INGOT_TACTIC_SOURCE_ONEDNN || mask == INGOT_TACTIC_SOURCE_INGOT) && timing == 0)
      CHECK(packed == sizeof w + sizeof fw);
    if (mask == 0) CHECK(packed == 0 && ingot_engine_get_weights_memory(engine) == sizeof w + sizeof b + sizeof fw + sizeof fb);
    /* and it runs: one inference on a context of 2 threads, then of 1 (states remade) */
    static float in[16 * 24 * 24], out[10];
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) in[i] = test_randf(&seed);
    ingot_execution_context *ctx = NULL;
    CHECK_OK(ingot_engine_create_execution_context(engine, &ctx));
    if (ctx) {
      CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "x", in));
      CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "y", out));
      CHECK_OK(ingot_execution_context_execute(ctx));
      float first = out[3];
      CHECK_OK(ingot_execution_context_set_num_threads(ctx, 1));
      CHECK_OK(ingot_execution_context_execute(ctx));
      CHECK_NEAR(out[3], first, 1e-5);
      ingot_execution_context_destroy(ctx);
    }
  }
  ingot_engine_destroy(engine);
  ingot_runtime_destroy(runtime);
  ingot_plan_destroy(plan);
  ingot_builder_config_destroy(config);
  ingot_builder_destroy(builder);
  ingot_network_destroy(net);
  return count;
}

static void test_mask(void) {
  ingot_builder_config *config = NULL;
  CHECK_OK(ingot_builder_config_create(&config));
  CHECK_FAILS(ingot_builder_config_set_tactic_sources(config, 0x100), INGOT_INVALID_ARGUMENT, "outside");
  CHECK_FAILS(ingot_builder_config_set_tactic_sources(NULL, 0), INGOT_INVALID_ARGUMENT, "NULL");
  CHECK(ingot_builder_config_get_tactic_sources(NULL) == 0);
  ingot_builder_config_destroy(config);
  CHECK(onednn_layers(INGOT_TACTIC_SOURCE_INGOT, 0) == 0);
  CHECK(onednn_layers(INGOT_TACTIC_SOURCE_INGOT, 2) == 0);
  CHECK(onednn_layers(0, 0) == 0); /* reference kernels only */
#ifdef INGOT_HAVE_ONEDNN
  CHECK(onednn_layers(INGOT_TACTIC_SOURCE_ONEDNN, 0) == 2); /* conv+relu and FC */
  CHECK(onednn_layers(INGOT_TACTIC_SOURCE_ALL, 2) >= 0);
#endif
}

int main(void) {
  CHECK_OK(ingot_thread_pool_create(2, &g_pool));
#ifdef INGOT_HAVE_ONEDNN
  test_conv();
  test_fc();
  test_matmul();
  test_fallback();
  printf("compared: conv_f32_onednn %d, conv_f32_onednn_blocked %d, fc_f32_onednn %d, matmul_f32_onednn %d cases\n",
         g_compared[0], g_compared[1], g_compared[2], g_compared[3]);
  CHECK(g_compared[0] > 50 && g_compared[1] > 50 && g_compared[2] > 10 && g_compared[3] > 20);
  printf("packed weights unpacked for the reference fallback: %d cases\n", g_unpacked);
  CHECK(g_unpacked > 100);
#else
  printf("oneDNN is not built in (INGOT_ONEDNN=OFF): mask checks only\n");
#endif
  test_mask();
  ingot_thread_pool_destroy(g_pool);
  TEST_EXIT();
}
