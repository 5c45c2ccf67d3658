/* Kernel tier for the elementwise and matrix multiply families: nodes are built by hand,
 * shape inference and the CPU reference kernel are called directly, and results are
 * compared with values worked out by hand or with independent double-precision loops
 * written here (coordinates, not the kernels' broadcast helper). */
#include <stdint.h>

#include "backend/cpu/broadcast.h"
#include "backend/cpu/cpu_kernels.h"
#include "core/dims.h"
#include "core/thread_pool.h"
#include "ops/graph.h"
#include "test_util.h"

static ingot_thread_pool *g_pool; /* 4 threads: every kernel runs serially and pooled */
static uint64_t g_rng = 12345;

/* ---- harness ------------------------------------------------------------------------------ */

static ingot_dims D(int32_t n, int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
  ingot_dims d = {0};
  d.nb_dims = n;
  int64_t v[4] = {d0, d1, d2, d3};
  for (int32_t i = 0; i < n && i < 4; i++) d.d[i] = v[i];
  return d;
}
#define D0() D(0, 0, 0, 0, 0)
#define D1(a) D(1, a, 0, 0, 0)
#define D2(a, b) D(2, a, b, 0, 0)
#define D3(a, b, c) D(3, a, b, c, 0)
#define D4(a, b, c, e) D(4, a, b, c, e)

static ingot_tensor_view V(ingot_dtype dtype, ingot_dims dims, void *data) {
  ingot_tensor_view v = {dtype, dims, data};
  return v;
}
static ingot_tensor_view ABSENT(void) {
  ingot_tensor_view v = {INGOT_FLOAT32, {0}, NULL};
  v.dims.nb_dims = -1;
  return v;
}

static ingot_node make_node(ingot_op op, const char *name, int32_t nb_inputs) {
  static int32_t idx[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  ingot_node n;
  memset(&n, 0, sizeof n);
  n.name = (char *)name;
  n.op = op;
  n.nb_inputs = nb_inputs;
  n.inputs = idx;
  n.nb_outputs = 1;
  return n;
}

static int64_t vol(const ingot_dims *d) { return ingot_dims_volume(d); }

/* Infers the node's output from `in`, then runs `kernel` serially and on the pool, checking
 * that both runs give the same bytes. *out gets a malloc'd output (free it). */
static ingot_status infer_run(ingot_node *node, ingot_status (*kernel)(const ingot_kernel_args *), int32_t nb_in,
                              ingot_tensor_view *in, ingot_tensor_view *out) {
  ingot_value_info vi[4], vo[1];
  for (int32_t i = 0; i < nb_in; i++) {
    vi[i].dtype = in[i].dtype;
    vi[i].dims = in[i].dims;
    vi[i].data = NULL;
  }
  memset(vo, 0, sizeof vo);
  ingot_status st = ingot_op_infer(node->op)(node, vi, vo);
  out->data = NULL;
  if (st != INGOT_SUCCESS) return st;
  out->dtype = vo[0].dtype;
  out->dims = vo[0].dims;
  size_t bytes = (size_t)vol(&out->dims) * ingot_dtype_size(out->dtype);
  out->data = calloc(1, bytes + 8);
  void *pooled = calloc(1, bytes + 8);
  ingot_tensor_view pooled_view = *out;
  pooled_view.data = pooled;
  ingot_kernel_args args = {node, &node->params, nb_in, in, 1, out, NULL, 0, NULL, 0, NULL};
  st = kernel(&args);
  if (st == INGOT_SUCCESS) {
    args.outputs = &pooled_view;
    args.pool = g_pool;
    st = kernel(&args);
    CHECK(st == INGOT_SUCCESS);
    CHECK(memcmp(out->data, pooled, bytes) == 0);
  }
  free(pooled);
  return st;
}

static void fill_rand(float *x, int64_t n, float lo, float hi) {
  for (int64_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * (test_randf(&g_rng) + 1.0f) * 0.5f;
}

/* Offset in a tensor of dims `in` of the output element at coordinates `coord` (rank `r`)
 * under numpy broadcasting: the independent reference for the broadcast helper. */
static int64_t bcast_offset(const ingot_dims *in, const int64_t *coord, int32_t r) {
  int64_t off = 0;
  for (int32_t d = 0; d < in->nb_dims; d++) {
    int64_t c = coord[d + (r - in->nb_dims)];
    off = off * in->d[d] + (in->d[d] == 1 ? 0 : c);
  }
  return off;
}
static void coords_of(const ingot_dims *out, int64_t linear, int64_t *coord) {
  for (int32_t d = out->nb_dims - 1; d >= 0; d--) {
    coord[d] = linear % out->d[d];
    linear /= out->d[d];
  }
}

/* ---- broadcast helper --------------------------------------------------------------------- */

static void test_broadcast_helper(void) {
  ingot_dims out = D4(2, 3, 4, 5);
  ingot_dims a = D2(4, 1), b = D4(2, 1, 4, 5), c = D0();
  const ingot_dims *ins[3] = {&a, &b, &c};
  ingot_broadcast bc;
  CHECK(ingot_broadcast_init(&bc, &out, 3, ins));
  CHECK(bc.volume == 120);
  for (int64_t start = 0; start <= 120; start += 7) {
    ingot_broadcast_iter it;
    ingot_broadcast_seek(&bc, start, &it);
    for (int64_t i = start; i < 120;) {
      int64_t n = ingot_broadcast_row(&bc, &it, 3);
      CHECK(n >= 1);
      for (int64_t j = 0; j < n; j++) {
        int64_t coord[8];
        coords_of(&out, i + j, coord);
        for (int32_t k = 0; k < 3; k++) {
          int64_t want = bcast_offset(ins[k], coord, 4);
          if (it.offset[k] + j * bc.inner_stride[k] != want) {
            fprintf(stderr, "broadcast: element %lld input %d: %lld, expected %lld\n", (long long)(i + j), k,
                    (long long)(it.offset[k] + j * bc.inner_stride[k]), (long long)want);
            test_failures++;
          }
          CHECK(ingot_broadcast_offset(&bc, k, i + j) == want);
        }
      }
      ingot_broadcast_advance(&bc, &it, n);
      i += n;
    }
  }
  /* Same shapes merge into one row; a non-broadcastable input is refused. */
  ingot_dims s = D3(2, 3, 4);
  const ingot_dims *same[2] = {&s, &s};
  CHECK(ingot_broadcast_init(&bc, &s, 2, same));
  CHECK(bc.rank == 1 && bc.dims[0] == 24);
  ingot_dims bad = D1(3);
  const ingot_dims *badv[1] = {&bad};
  CHECK(!ingot_broadcast_init(&bc, &s, 1, badv));
  ingot_dims scalar = D0();
  const ingot_dims *sc[1] = {&scalar};
  CHECK(ingot_broadcast_init(&bc, &scalar, 1, sc));
  CHECK(bc.volume == 1 && bc.rank == 1);
}

/* ---- activation ------------------------------------------------------------------------------ */

typedef struct act_case {
  int32_t type;
  float alpha, beta, x, want;
} act_case;

static void test_activation_values(void) {
  /* Worked out by hand or with a calculator (double precision). */
  static const act_case cases[] = {
      {INGOT_ACTIVATION_RELU, 0, 0, -2.0f, 0.0f},
      {INGOT_ACTIVATION_RELU, 0, 0, 1.5f, 1.5f},
      {INGOT_ACTIVATION_LEAKY_RELU, 0.1f, 0, -2.0f, -0.2f},
      {INGOT_ACTIVATION_LEAKY_RELU, 0.1f, 0, 3.0f, 3.0f},
      {INGOT_ACTIVATION_SIGMOID, 0, 0, 0.0f, 0.5f},
      {INGOT_ACTIVATION_SIGMOID, 0, 0, 2.0f, 0.8807970779778823f},
      {INGOT_ACTIVATION_SIGMOID, 0, 0, -100.0f, 3.720075976020836e-44f},
      {INGOT_ACTIVATION_TANH, 0, 0, 0.5f, 0.46211715726000974f},
      {INGOT_ACTIVATION_ELU, 2.0f, 0, -1.0f, -1.2642411176571153f},
      {INGOT_ACTIVATION_ELU, 2.0f, 0, 1.0f, 1.0f},
      {INGOT_ACTIVATION_SELU, 1.6732632f, 1.0507010f, -1.0f, -1.1113307230562288f},
      {INGOT_ACTIVATION_SELU, 1.6732632f, 1.0507010f, 2.0f, 2.101402f},
      {INGOT_ACTIVATION_SOFTPLUS, 1.0f, 1.0f, 0.0f, 0.6931471805599453f},
      {INGOT_ACTIVATION_SOFTPLUS, 2.0f, 0.5f, 2.0f, 2.6265233750364456f},
      {INGOT_ACTIVATION_SOFTPLUS, 1.0f, 1.0f, 200.0f, 200.0f}, /* exp(200) overflows float */
      {INGOT_ACTIVATION_SOFTPLUS, 1.0f, 1.0f, -30.0f, 9.357622968840175e-14f},
      {INGOT_ACTIVATION_SOFTSIGN, 0, 0, -3.0f, -0.75f},
      {INGOT_ACTIVATION_CLIP, -1.0f, 2.0f, 5.0f, 2.0f},
      {INGOT_ACTIVATION_CLIP, -1.0f, 2.0f, -5.0f, -1.0f},
      {INGOT_ACTIVATION_CLIP, -1.0f, 2.0f, 0.25f, 0.25f},
      {INGOT_ACTIVATION_HARD_SIGMOID, 0.2f, 0.5f, 1.0f, 0.7f},
      {INGOT_ACTIVATION_HARD_SIGMOID, 0.2f, 0.5f, 10.0f, 1.0f},
      {INGOT_ACTIVATION_HARD_SIGMOID, 0.2f, 0.5f, -10.0f, 0.0f},
      {INGOT_ACTIVATION_HARD_SWISH, 0, 0, -1.0f, -1.0f / 3.0f},
      {INGOT_ACTIVATION_HARD_SWISH, 0, 0, 4.0f, 4.0f},
      {INGOT_ACTIVATION_HARD_SWISH, 0, 0, -4.0f, 0.0f},
      {INGOT_ACTIVATION_GELU_ERF, 0, 0, 1.0f, 0.8413447460685429f},
      {INGOT_ACTIVATION_GELU_ERF, 0, 0, -0.5f, -0.15426876936299344f},
      {INGOT_ACTIVATION_GELU_TANH, 0, 0, 1.0f, 0.8411919906082768f},
      {INGOT_ACTIVATION_SILU, 0, 0, 1.0f, 0.7310585786300049f},
      {INGOT_ACTIVATION_SILU, 0, 0, -2.0f, -0.2384058440442351f},
      {INGOT_ACTIVATION_MISH, 0, 0, 1.0f, 0.8650983882673103f},
      {INGOT_ACTIVATION_MISH, 0, 0, -1.0f, -0.3034014613741853f},
      {INGOT_ACTIVATION_SCALED_TANH, 1.7159f, 0.6667f, 1.0f, 1.0000350258105386f},
      {INGOT_ACTIVATION_THRESHOLDED_RELU, 1.0f, 0, 0.5f, 0.0f},
      {INGOT_ACTIVATION_THRESHOLDED_RELU, 1.0f, 0, 2.0f, 2.0f},
      {-1, 0, 0, -7.0f, -7.0f},
  };
  int seen[INGOT_ACTIVATION_TYPE_COUNT] = {0};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const act_case *c = &cases[i];
    float got = ingot_cpu_activation(c->type, c->alpha, c->beta, c->x);
    if (!(fabs(got - c->want) <= 1e-5 * (1.0 + fabs(c->want)) || (c->want != 0 && fabs(got / c->want - 1) < 1e-4))) {
      fprintf(stderr, "activation %d(%g): %.9g, expected %.9g\n", c->type, c->x, got, c->want);
      test_failures++;
    }
    if (c->type >= 0) seen[c->type] = 1;
  }
  for (int t = 0; t < INGOT_ACTIVATION_TYPE_COUNT; t++) {
    if (!seen[t]) {
      fprintf(stderr, "activation %d has no hand-worked case\n", t);
      test_failures++;
    }
  }
}

static void test_activation_layer(void) {
  float x[2 * 3 * 5];
  fill_rand(x, 30, -3.0f, 3.0f);
  ingot_node node = make_node(INGOT_OP_ACTIVATION, "act", 1);
  node.params.activation.type = INGOT_ACTIVATION_ELU;
  node.params.activation.alpha = 0.7f;
  ingot_tensor_view in[1] = {V(INGOT_FLOAT32, D3(2, 3, 5), x)}, out;
  CHECK_OK(infer_run(&node, ingot_cpu_activation_layer, 1, in, &out));
  CHECK(out.dtype == INGOT_FLOAT32 && ingot_dims_equal(&out.dims, &in[0].dims));
  for (int i = 0; i < 30 && out.data; i++) {
    double want = x[i] >= 0 ? x[i] : 0.7 * (exp((double)x[i]) - 1.0);
    CHECK_NEAR(((float *)out.data)[i], want, 1e-5);
  }
  free(out.data);

  /* Parameter and dtype errors name the layer and what was found. */
  node.params.activation.type = INGOT_ACTIVATION_TYPE_COUNT;
  CHECK_FAILS(infer_run(&node, ingot_cpu_activation_layer, 1, in, &out), INGOT_INVALID_ARGUMENT, "layer 'act'");
  node.params.activation.type = INGOT_ACTIVATION_LEAKY_RELU;
  node.params.activation.alpha = NAN;
  CHECK_FAILS(infer_run(&node, ingot_cpu_activation_layer, 1, in, &out), INGOT_INVALID_ARGUMENT, "finite alpha");
  node.params.activation.type = INGOT_ACTIVATION_CLIP;
  node.params.activation.alpha = 2.0f;
  node.params.activation.beta = 1.0f;
  CHECK_FAILS(infer_run(&node, ingot_cpu_activation_layer, 1, in, &out), INGOT_INVALID_ARGUMENT, "alpha <= beta");
  node.params.activation.type = INGOT_ACTIVATION_RELU;
  int32_t xi[30] = {0};
  in[0] = V(INGOT_INT32, D3(2, 3, 5), xi);
  CHECK_FAILS(infer_run(&node, ingot_cpu_activation_layer, 1, in, &out), INGOT_INVALID_GRAPH, "found int32");
}

static void test_parametric_relu(void) {
  enum { N = 2, C = 3, H = 2, W = 4 };
  float x[N * C * H * W], slope[C];
  fill_rand(x, N * C * H * W, -2.0f, 2.0f);
  fill_rand(slope, C, 0.1f, 0.9f);
  ingot_node node = make_node(INGOT_OP_PARAMETRIC_RELU, "prelu", 2);
  ingot_tensor_view in[2] = {V(INGOT_FLOAT32, D4(N, C, H, W), x), V(INGOT_FLOAT32, D3(C, 1, 1), slope)}, out;
  CHECK_OK(infer_run(&node, ingot_cpu_parametric_relu, 2, in, &out));
  for (int i = 0; i < N * C * H * W && out.data; i++) {
    int c = (i / (H * W)) % C;
    float want = x[i] >= 0 ? x[i] : slope[c] * x[i];
    CHECK_NEAR(((float *)out.data)[i], want, 1e-6);
  }
  free(out.data);
  in[1].dims = D1(3); /* aligns with W = 4: cannot broadcast */
  CHECK_FAILS(infer_run(&node, ingot_cpu_parametric_relu, 2, in, &out), INGOT_INVALID_GRAPH, "slope is 3");
}

/* ---- elementwise ----------------------------------------------------------------------------- */

static ingot_node ew_node(int32_t op) {
  ingot_node n = make_node(INGOT_OP_ELEMENTWISE, "ew", 2);
  n.params.elementwise.op = op;
  return n;
}

/* Runs a op b on 1-D data of n elements of `dtype`; the output must have `out_dtype`. */
static void *ew_run(int32_t op, ingot_dtype dtype, ingot_dtype out_dtype, int64_t n, void *a, void *b) {
  ingot_node node = ew_node(op);
  ingot_tensor_view in[2] = {V(dtype, D1(n), a), V(dtype, D1(n), b)}, out;
  ingot_status st = infer_run(&node, ingot_cpu_elementwise, 2, in, &out);
  if (st != INGOT_SUCCESS) {
    fprintf(stderr, "elementwise op %d on %s failed: %s\n", op, ingot_dtype_name(dtype), ingot_last_error());
    test_failures++;
    return NULL;
  }
  CHECK(out.dtype == out_dtype);
  return out.data;
}

static void test_elementwise_float(void) {
  float a[6] = {7.5f, -7.5f, 7.5f, -7.5f, 2.0f, 0.25f};
  float b[6] = {2.0f, 2.0f, -2.0f, -2.0f, 3.0f, -0.5f};
  /* Worked by hand: each row is the op on the 6 pairs above. */
  static const struct {
    int32_t op;
    float want[6];
  } rows[] = {
      {INGOT_ELEMENTWISE_SUM, {9.5f, -5.5f, 5.5f, -9.5f, 5.0f, -0.25f}},
      {INGOT_ELEMENTWISE_SUB, {5.5f, -9.5f, 9.5f, -5.5f, -1.0f, 0.75f}},
      {INGOT_ELEMENTWISE_PROD, {15.0f, -15.0f, -15.0f, 15.0f, 6.0f, -0.125f}},
      {INGOT_ELEMENTWISE_DIV, {3.75f, -3.75f, -3.75f, 3.75f, 0.6666667f, -0.5f}},
      {INGOT_ELEMENTWISE_MIN, {2.0f, -7.5f, -2.0f, -7.5f, 2.0f, -0.5f}},
      {INGOT_ELEMENTWISE_MAX, {7.5f, 2.0f, 7.5f, -2.0f, 3.0f, 0.25f}},
      {INGOT_ELEMENTWISE_POW, {56.25f, 56.25f, 0.017777778f, 0.017777778f, 8.0f, 2.0f}},
      {INGOT_ELEMENTWISE_FLOOR_DIV, {3.0f, -4.0f, -4.0f, 3.0f, 0.0f, -1.0f}},
      {INGOT_ELEMENTWISE_MOD, {1.5f, 0.5f, -0.5f, -1.5f, 2.0f, -0.25f}},
      {INGOT_ELEMENTWISE_FMOD, {1.5f, -1.5f, 1.5f, -1.5f, 2.0f, 0.25f}},
  };
  for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
    float *y = ew_run(rows[r].op, INGOT_FLOAT32, INGOT_FLOAT32, 6, a, b);
    for (int i = 0; i < 6 && y; i++) {
      if (!(fabsf(y[i] - rows[r].want[i]) <= 1e-6f * (1 + fabsf(rows[r].want[i])))) {
        fprintf(stderr, "float op %d element %d: %g, expected %g\n", rows[r].op, i, y[i], rows[r].want[i]);
        test_failures++;
      }
    }
    free(y);
  }
  /* Float division by zero is IEEE, not an error. */
  float z[2] = {1.0f, -1.0f}, zero[2] = {0.0f, 0.0f};
  float *y = ew_run(INGOT_ELEMENTWISE_DIV, INGOT_FLOAT32, INGOT_FLOAT32, 2, z, zero);
  if (y) CHECK(isinf(y[0]) && y[0] > 0 && isinf(y[1]) && y[1] < 0);
  free(y);
}

static void test_elementwise_int(void) {
  /* int32 and int64 with negative operands: floor_div rounds down, mod takes the divisor's
   * sign, fmod the dividend's. */
  int32_t a32[5] = {7, -7, 7, -7, INT32_MIN};
  int32_t b32[5] = {2, 2, -2, -2, -1};
  int64_t a64[5], b64[5];
  for (int i = 0; i < 5; i++) {
    a64[i] = a32[i];
    b64[i] = b32[i];
  }
  a64[4] = INT64_MIN;
  static const struct {
    int32_t op;
    int64_t want[4];
  } rows[] = {
      {INGOT_ELEMENTWISE_SUM, {9, -5, 5, -9}},       {INGOT_ELEMENTWISE_SUB, {5, -9, 9, -5}},
      {INGOT_ELEMENTWISE_PROD, {14, -14, -14, 14}},  {INGOT_ELEMENTWISE_DIV, {3, -3, -3, 3}},
      {INGOT_ELEMENTWISE_MIN, {2, -7, -2, -7}},      {INGOT_ELEMENTWISE_MAX, {7, 2, 7, -2}},
      {INGOT_ELEMENTWISE_FLOOR_DIV, {3, -4, -4, 3}}, {INGOT_ELEMENTWISE_MOD, {1, 1, -1, -1}},
      {INGOT_ELEMENTWISE_FMOD, {1, -1, 1, -1}},
  };
  for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
    int32_t *y32 = ew_run(rows[r].op, INGOT_INT32, INGOT_INT32, 5, a32, b32);
    int64_t *y64 = ew_run(rows[r].op, INGOT_INT64, INGOT_INT64, 5, a64, b64);
    for (int i = 0; i < 4; i++) {
      if (y32 && y32[i] != rows[r].want[i]) {
        fprintf(stderr, "int32 op %d element %d: %d, expected %lld\n", rows[r].op, i, y32[i], (long long)rows[r].want[i]);
        test_failures++;
      }
      if (y64 && y64[i] != rows[r].want[i]) {
        fprintf(stderr, "int64 op %d element %d: %lld, expected %lld\n", rows[r].op, i, (long long)y64[i],
                (long long)rows[r].want[i]);
        test_failures++;
      }
    }
    free(y32);
    free(y64);
  }
  /* MIN / -1 wraps to MIN (as numpy) instead of trapping. */
  int32_t *y = ew_run(INGOT_ELEMENTWISE_DIV, INGOT_INT32, INGOT_INT32, 5, a32, b32);
  if (y) CHECK(y[4] == INT32_MIN);
  free(y);
  y = ew_run(INGOT_ELEMENTWISE_MOD, INGOT_INT32, INGOT_INT32, 5, a32, b32);
  if (y) CHECK(y[4] == 0);
  free(y);
  int64_t *y64 = ew_run(INGOT_ELEMENTWISE_FLOOR_DIV, INGOT_INT64, INGOT_INT64, 5, a64, b64);
  if (y64) CHECK(y64[4] == INT64_MIN);
  free(y64);
  /* pow on integers */
  int32_t pa[4] = {3, -2, 5, 1}, pb[4] = {4, 3, 0, -3};
  y = ew_run(INGOT_ELEMENTWISE_POW, INGOT_INT32, INGOT_INT32, 4, pa, pb);
  if (y) CHECK(y[0] == 81 && y[1] == -8 && y[2] == 1 && y[3] == 1);
  free(y);
  /* int8 and uint8 wrap around as numpy does */
  int8_t i8a[3] = {100, -100, 7}, i8b[3] = {100, 100, -3};
  int8_t *y8 = ew_run(INGOT_ELEMENTWISE_SUM, INGOT_INT8, INGOT_INT8, 3, i8a, i8b);
  if (y8) CHECK(y8[0] == -56 && y8[1] == 0 && y8[2] == 4);
  free(y8);
  uint8_t u8a[3] = {200, 3, 10}, u8b[3] = {100, 5, 3};
  uint8_t *yu8 = ew_run(INGOT_ELEMENTWISE_SUB, INGOT_UINT8, INGOT_UINT8, 3, u8a, u8b);
  if (yu8) CHECK(yu8[0] == 100 && yu8[1] == 254 && yu8[2] == 7);
  free(yu8);
  yu8 = ew_run(INGOT_ELEMENTWISE_MOD, INGOT_UINT8, INGOT_UINT8, 3, u8a, u8b);
  if (yu8) CHECK(yu8[0] == 0 && yu8[1] == 3 && yu8[2] == 1);
  free(yu8);
}

static void test_integer_division_by_zero(void) {
  int32_t a[4] = {1, 2, 3, 4}, b[4] = {1, 2, 0, 4};
  int32_t ops[4] = {INGOT_ELEMENTWISE_DIV, INGOT_ELEMENTWISE_FLOOR_DIV, INGOT_ELEMENTWISE_MOD, INGOT_ELEMENTWISE_FMOD};
  for (int i = 0; i < 4; i++) {
    ingot_node node = ew_node(ops[i]);
    node.name = "divider";
    ingot_tensor_view in[2] = {V(INGOT_INT32, D1(4), a), V(INGOT_INT32, D1(4), b)}, out;
    CHECK_FAILS(infer_run(&node, ingot_cpu_elementwise, 2, in, &out), INGOT_RUNTIME_ERROR,
                "layer 'divider' (elementwise): integer division by zero: element 2");
    free(out.data);
  }
  int64_t a64[2] = {5, 6}, b64[2] = {0, 1};
  ingot_node node = ew_node(INGOT_ELEMENTWISE_DIV);
  ingot_tensor_view in[2] = {V(INGOT_INT64, D1(2), a64), V(INGOT_INT64, D1(1), b64)}, out;
  CHECK_FAILS(infer_run(&node, ingot_cpu_elementwise, 2, in, &out), INGOT_RUNTIME_ERROR, "division by zero");
  free(out.data);
}

static void test_comparisons_and_logic(void) {
  float fa[4] = {1.0f, 2.0f, 3.0f, NAN}, fb[4] = {2.0f, 2.0f, 2.0f, 1.0f};
  int32_t ia[4] = {1, 2, 3, -4}, ib[4] = {2, 2, 2, 1};
  int64_t la[4] = {1, 2, 3, -4}, lb[4] = {2, 2, 2, 1};
  uint8_t ba[4] = {0, 1, 1, 0}, bb[4] = {1, 1, 0, 0};
  static const struct {
    int32_t op;
    uint8_t want_f[4], want_i[4], want_b[4];
  } rows[] = {
      {INGOT_ELEMENTWISE_EQUAL, {0, 1, 0, 0}, {0, 1, 0, 0}, {0, 1, 0, 1}},
      {INGOT_ELEMENTWISE_GREATER, {0, 0, 1, 0}, {0, 0, 1, 0}, {0, 0, 1, 0}},
      {INGOT_ELEMENTWISE_GREATER_EQUAL, {0, 1, 1, 0}, {0, 1, 1, 0}, {0, 1, 1, 1}},
      {INGOT_ELEMENTWISE_LESS, {1, 0, 0, 0}, {1, 0, 0, 1}, {1, 0, 0, 0}},
      {INGOT_ELEMENTWISE_LESS_EQUAL, {1, 1, 0, 0}, {1, 1, 0, 1}, {1, 1, 0, 1}},
  };
  for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
    uint8_t *yf = ew_run(rows[r].op, INGOT_FLOAT32, INGOT_BOOL, 4, fa, fb);
    uint8_t *yi = ew_run(rows[r].op, INGOT_INT32, INGOT_BOOL, 4, ia, ib);
    uint8_t *yl = ew_run(rows[r].op, INGOT_INT64, INGOT_BOOL, 4, la, lb);
    uint8_t *yb = ew_run(rows[r].op, INGOT_BOOL, INGOT_BOOL, 4, ba, bb);
    for (int i = 0; i < 4; i++) {
      if (yf) CHECK(yf[i] == rows[r].want_f[i]);
      if (yi) CHECK(yi[i] == rows[r].want_i[i]);
      if (yl) CHECK(yl[i] == rows[r].want_i[i]);
      if (yb) CHECK(yb[i] == rows[r].want_b[i]);
    }
    free(yf);
    free(yi);
    free(yl);
    free(yb);
  }
  uint8_t *y = ew_run(INGOT_ELEMENTWISE_AND, INGOT_BOOL, INGOT_BOOL, 4, ba, bb);
  if (y) CHECK(y[0] == 0 && y[1] == 1 && y[2] == 0 && y[3] == 0);
  free(y);
  y = ew_run(INGOT_ELEMENTWISE_OR, INGOT_BOOL, INGOT_BOOL, 4, ba, bb);
  if (y) CHECK(y[0] == 1 && y[1] == 1 && y[2] == 1 && y[3] == 0);
  free(y);
  y = ew_run(INGOT_ELEMENTWISE_XOR, INGOT_BOOL, INGOT_BOOL, 4, ba, bb);
  if (y) CHECK(y[0] == 1 && y[1] == 0 && y[2] == 1 && y[3] == 0);
  free(y);
}

static void test_elementwise_infer_errors(void) {
  float f[24] = {0};
  int32_t i32[24] = {0};
  ingot_node node = ew_node(INGOT_ELEMENTWISE_SUM);
  ingot_tensor_view in[2] = {V(INGOT_FLOAT32, D2(2, 3), f), V(INGOT_INT32, D2(2, 3), i32)}, out;
  CHECK_FAILS(infer_run(&node, ingot_cpu_elementwise, 2, in, &out), INGOT_INVALID_GRAPH, "found a float32 and b int32");
  in[1] = V(INGOT_FLOAT32, D2(4, 3), f);
  CHECK_FAILS(infer_run(&node, ingot_cpu_elementwise, 2, in, &out), INGOT_INVALID_GRAPH,
              "a is 2x3 and b is 4x3: dim 0 (2 vs 4) cannot broadcast");
  in[1] = V(INGOT_FLOAT32, D2(2, 3), f);
  node.params.elementwise.op = INGOT_ELEMENTWISE_AND;
  CHECK_FAILS(infer_run(&node, ingot_cpu_elementwise, 2, in, &out), INGOT_INVALID_GRAPH, "takes bool, found float32");
  node.params.elementwise.op = 99;
  CHECK_FAILS(infer_run(&node, ingot_cpu_elementwise, 2, in, &out), INGOT_INVALID_ARGUMENT, "found 99");
  uint8_t bl[6] = {0};
  node.params.elementwise.op = INGOT_ELEMENTWISE_SUM;
  in[0] = V(INGOT_BOOL, D2(2, 3), bl);
  in[1] = V(INGOT_BOOL, D2(2, 3), bl);
  CHECK_FAILS(infer_run(&node, ingot_cpu_elementwise, 2, in, &out), INGOT_INVALID_GRAPH, "found bool");
}

/* Every kind of broadcast, checked against a coordinate-based double reference. */
static void test_elementwise_broadcasting(void) {
  static const struct {
    ingot_dims a, b, out;
  } cases[] = {
      {{2, {3, 4}}, {0, {0}}, {2, {3, 4}}},             /* scalar b */
      {{0, {0}}, {2, {3, 4}}, {2, {3, 4}}},             /* scalar a */
      {{2, {3, 4}}, {1, {4}}, {2, {3, 4}}},             /* row */
      {{2, {3, 4}}, {2, {3, 1}}, {2, {3, 4}}},          /* column */
      {{3, {2, 3, 4}}, {2, {3, 4}}, {3, {2, 3, 4}}},    /* rank mismatch */
      {{2, {3, 1}}, {2, {1, 4}}, {2, {3, 4}}},          /* both sides */
      {{4, {2, 1, 3, 1}}, {3, {5, 1, 4}}, {4, {2, 5, 3, 4}}},
      {{3, {64, 1, 17}}, {2, {33, 1}}, {3, {64, 33, 17}}}, /* large: several pool chunks */
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    int64_t na = vol(&cases[k].a), nb = vol(&cases[k].b);
    float *a = malloc(sizeof(float) * (size_t)na), *b = malloc(sizeof(float) * (size_t)nb);
    fill_rand(a, na, -2.0f, 2.0f);
    fill_rand(b, nb, 0.5f, 2.0f);
    int32_t ops[3] = {INGOT_ELEMENTWISE_SUB, INGOT_ELEMENTWISE_DIV, INGOT_ELEMENTWISE_GREATER};
    for (int o = 0; o < 3; o++) {
      ingot_node node = ew_node(ops[o]);
      ingot_tensor_view in[2] = {V(INGOT_FLOAT32, cases[k].a, a), V(INGOT_FLOAT32, cases[k].b, b)}, out;
      CHECK_OK(infer_run(&node, ingot_cpu_elementwise, 2, in, &out));
      CHECK(ingot_dims_equal(&out.dims, &cases[k].out));
      int32_t r = cases[k].out.nb_dims;
      for (int64_t i = 0; out.data && i < vol(&cases[k].out); i++) {
        int64_t coord[8];
        coords_of(&cases[k].out, i, coord);
        double x = a[bcast_offset(&cases[k].a, coord, r)], y = b[bcast_offset(&cases[k].b, coord, r)];
        if (ops[o] == INGOT_ELEMENTWISE_GREATER) {
          if (((uint8_t *)out.data)[i] != (x > y)) {
            fprintf(stderr, "broadcast case %zu greater element %lld wrong\n", k, (long long)i);
            test_failures++;
            break;
          }
        } else {
          double want = ops[o] == INGOT_ELEMENTWISE_SUB ? x - y : x / y;
          float got = ((float *)out.data)[i];
          if (!(fabs(got - want) <= 1e-6 * (1 + fabs(want)))) {
            fprintf(stderr, "broadcast case %zu op %d element %lld: %g, expected %g\n", k, ops[o], (long long)i, got,
                    want);
            test_failures++;
            break;
          }
        }
      }
      free(out.data);
    }
    free(a);
    free(b);
  }
}

/* ---- unary --------------------------------------------------------------------------------------- */

static void test_unary(void) {
  float x[5] = {0.3f, -0.7f, 0.9f, -0.2f, 0.55f}; /* inside every domain but acosh's */
  float xa[5] = {1.5f, 2.0f, 3.7f, 1.1f, 10.0f};  /* acosh, log, sqrt on x >= 1 */
  for (int32_t op = 0; op < INGOT_UNARY_OP_COUNT; op++) {
    /* not, isnan, isinf and bitwise not take or give other dtypes: tested in Python
     * (test_layers_elementwise.py) */
    if (op == INGOT_UNARY_NOT || op == INGOT_UNARY_ISNAN || op == INGOT_UNARY_ISINF || op == INGOT_UNARY_BITWISE_NOT)
      continue;
    const float *in_data = (op == INGOT_UNARY_ACOSH || op == INGOT_UNARY_LOG || op == INGOT_UNARY_SQRT) ? xa : x;
    ingot_node node = make_node(INGOT_OP_UNARY, "un", 1);
    node.params.unary.op = op;
    ingot_tensor_view in[1] = {V(INGOT_FLOAT32, D1(5), (void *)in_data)}, out;
    CHECK_OK(infer_run(&node, ingot_cpu_unary, 1, in, &out));
    for (int i = 0; i < 5 && out.data; i++) {
      double v = in_data[i], want;
      switch (op) {
        case INGOT_UNARY_EXP: want = exp(v); break;
        case INGOT_UNARY_LOG: want = log(v); break;
        case INGOT_UNARY_SQRT: want = sqrt(v); break;
        case INGOT_UNARY_ABS: want = fabs(v); break;
        case INGOT_UNARY_NEG: want = -v; break;
        case INGOT_UNARY_RECIPROCAL: want = 1.0 / v; break;
        case INGOT_UNARY_FLOOR: want = floor(v); break;
        case INGOT_UNARY_CEIL: want = ceil(v); break;
        case INGOT_UNARY_ROUND: want = nearbyint(v); break;
        case INGOT_UNARY_SIN: want = sin(v); break;
        case INGOT_UNARY_COS: want = cos(v); break;
        case INGOT_UNARY_TAN: want = tan(v); break;
        case INGOT_UNARY_ASIN: want = asin(v); break;
        case INGOT_UNARY_ACOS: want = acos(v); break;
        case INGOT_UNARY_ATAN: want = atan(v); break;
        case INGOT_UNARY_SINH: want = sinh(v); break;
        case INGOT_UNARY_COSH: want = cosh(v); break;
        case INGOT_UNARY_ASINH: want = asinh(v); break;
        case INGOT_UNARY_ACOSH: want = acosh(v); break;
        case INGOT_UNARY_ATANH: want = atanh(v); break;
        case INGOT_UNARY_ERF: want = erf(v); break;
        case INGOT_UNARY_SIGN: want = v > 0 ? 1 : (v < 0 ? -1 : 0); break;
        default: want = NAN; break;
      }
      float got = ((float *)out.data)[i];
      if (!(fabs(got - want) <= 2e-6 * (1 + fabs(want)))) {
        fprintf(stderr, "unary op %d(%g): %.9g, expected %.9g\n", op, v, got, want);
        test_failures++;
      }
    }
    free(out.data);
  }

  /* round: half to even */
  float r[8] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.4999998f, -3.7f};
  float rwant[8] = {0.0f, 2.0f, 2.0f, -0.0f, -2.0f, -2.0f, 2.0f, -4.0f};
  ingot_node node = make_node(INGOT_OP_UNARY, "round", 1);
  node.params.unary.op = INGOT_UNARY_ROUND;
  ingot_tensor_view in[1] = {V(INGOT_FLOAT32, D1(8), r)}, out;
  CHECK_OK(infer_run(&node, ingot_cpu_unary, 1, in, &out));
  for (int i = 0; i < 8 && out.data; i++) CHECK(((float *)out.data)[i] == rwant[i]);
  free(out.data);

  /* integer abs, neg, sign (the most negative value wraps, as numpy) */
  int32_t xi[4] = {-5, 0, 7, INT32_MIN};
  int64_t xl[4] = {-5, 0, 7, INT64_MIN};
  int32_t iops[3] = {INGOT_UNARY_ABS, INGOT_UNARY_NEG, INGOT_UNARY_SIGN};
  int64_t iwant[3][3] = {{5, 0, 7}, {5, 0, -7}, {-1, 0, 1}};
  for (int o = 0; o < 3; o++) {
    node.params.unary.op = iops[o];
    in[0] = V(INGOT_INT32, D1(4), xi);
    CHECK_OK(infer_run(&node, ingot_cpu_unary, 1, in, &out));
    CHECK(out.dtype == INGOT_INT32);
    for (int i = 0; i < 3 && out.data; i++) CHECK(((int32_t *)out.data)[i] == iwant[o][i]);
    if (out.data && iops[o] != INGOT_UNARY_SIGN) CHECK(((int32_t *)out.data)[3] == INT32_MIN);
    free(out.data);
    in[0] = V(INGOT_INT64, D1(4), xl);
    CHECK_OK(infer_run(&node, ingot_cpu_unary, 1, in, &out));
    for (int i = 0; i < 3 && out.data; i++) CHECK(((int64_t *)out.data)[i] == iwant[o][i]);
    if (out.data && iops[o] == INGOT_UNARY_SIGN) CHECK(((int64_t *)out.data)[3] == -1);
    free(out.data);
  }

  /* not, isnan, isinf */
  uint8_t b[3] = {0, 1, 0};
  node.params.unary.op = INGOT_UNARY_NOT;
  in[0] = V(INGOT_BOOL, D1(3), b);
  CHECK_OK(infer_run(&node, ingot_cpu_unary, 1, in, &out));
  if (out.data) CHECK(((uint8_t *)out.data)[0] == 1 && ((uint8_t *)out.data)[1] == 0 && ((uint8_t *)out.data)[2] == 1);
  free(out.data);
  float special[4] = {NAN, INFINITY, -INFINITY, 1.0f};
  node.params.unary.op = INGOT_UNARY_ISNAN;
  in[0] = V(INGOT_FLOAT32, D1(4), special);
  CHECK_OK(infer_run(&node, ingot_cpu_unary, 1, in, &out));
  CHECK(out.dtype == INGOT_BOOL);
  if (out.data) CHECK(memcmp(out.data, (uint8_t[]){1, 0, 0, 0}, 4) == 0);
  free(out.data);
  node.params.unary.op = INGOT_UNARY_ISINF;
  CHECK_OK(infer_run(&node, ingot_cpu_unary, 1, in, &out));
  if (out.data) CHECK(memcmp(out.data, (uint8_t[]){0, 1, 1, 0}, 4) == 0);
  free(out.data);

  /* dtype errors */
  node.params.unary.op = INGOT_UNARY_EXP;
  in[0] = V(INGOT_INT32, D1(4), xi);
  CHECK_FAILS(infer_run(&node, ingot_cpu_unary, 1, in, &out), INGOT_INVALID_GRAPH, "unary exp takes float32");
  node.params.unary.op = INGOT_UNARY_NOT;
  CHECK_FAILS(infer_run(&node, ingot_cpu_unary, 1, in, &out), INGOT_INVALID_GRAPH, "found int32");
}

/* ---- scale ------------------------------------------------------------------------------------------ */

static void test_scale(void) {
  enum { N = 2, C = 3, H = 2, W = 2 };
  float x[N * C * H * W];
  fill_rand(x, N * C * H * W, 0.5f, 2.0f); /* positive: power stays real */
  float shift[C * H * W], scale[C * H * W], power[C * H * W];
  fill_rand(shift, C * H * W, -0.5f, 0.5f);
  fill_rand(scale, C * H * W, 0.5f, 1.5f);
  fill_rand(power, C * H * W, 0.5f, 2.0f);
  ingot_node node = make_node(INGOT_OP_SCALE, "sc", 4);
  for (int32_t mode = 0; mode < 3; mode++) {
    int64_t count = mode == INGOT_SCALE_UNIFORM ? 1 : (mode == INGOT_SCALE_CHANNEL ? C : C * H * W);
    node.params.scale.mode = mode;
    node.params.scale.channel_axis = 1;
    ingot_tensor_view in[4] = {V(INGOT_FLOAT32, D4(N, C, H, W), x), V(INGOT_FLOAT32, D1(count), shift),
                               V(INGOT_FLOAT32, D1(count), scale), V(INGOT_FLOAT32, D1(count), power)},
                      out;
    for (int absent = -1; absent < 3; absent++) { /* all three, then each one absent */
      if (absent >= 0) in[1 + absent] = ABSENT();
      CHECK_OK(infer_run(&node, ingot_cpu_scale, 4, in, &out));
      for (int i = 0; i < N * C * H * W && out.data; i++) {
        int k = mode == INGOT_SCALE_UNIFORM ? 0 : (mode == INGOT_SCALE_CHANNEL ? (i / (H * W)) % C : i % (C * H * W));
        double v = x[i] * (absent == 1 ? 1.0 : scale[k]) + (absent == 0 ? 0.0 : shift[k]);
        double want = absent == 2 ? v : pow(v, power[k]);
        CHECK_NEAR(((float *)out.data)[i], want, 1e-5);
      }
      free(out.data);
      in[1] = V(INGOT_FLOAT32, D1(count), shift);
      in[2] = V(INGOT_FLOAT32, D1(count), scale);
      in[3] = V(INGOT_FLOAT32, D1(count), power);
    }
  }
  /* channel on the last axis, shift only */
  node.params.scale.mode = INGOT_SCALE_CHANNEL;
  node.params.scale.channel_axis = -1;
  ingot_tensor_view in[4] = {V(INGOT_FLOAT32, D4(N, C, H, W), x), V(INGOT_FLOAT32, D1(W), shift), ABSENT(), ABSENT()},
                    out;
  CHECK_OK(infer_run(&node, ingot_cpu_scale, 4, in, &out));
  for (int i = 0; i < N * C * H * W && out.data; i++) CHECK_NEAR(((float *)out.data)[i], x[i] + shift[i % W], 1e-6);
  free(out.data);
  /* coefficient count errors */
  node.params.scale.channel_axis = 1;
  CHECK_FAILS(infer_run(&node, ingot_cpu_scale, 4, in, &out), INGOT_INVALID_GRAPH, "shift must hold 3 values");
  node.params.scale.mode = INGOT_SCALE_UNIFORM;
  CHECK_FAILS(infer_run(&node, ingot_cpu_scale, 4, in, &out), INGOT_INVALID_GRAPH, "found 2");
  node.params.scale.mode = 7;
  CHECK_FAILS(infer_run(&node, ingot_cpu_scale, 4, in, &out), INGOT_INVALID_ARGUMENT, "found 7");
  node.params.scale.mode = INGOT_SCALE_CHANNEL;
  node.params.scale.channel_axis = 4;
  CHECK_FAILS(infer_run(&node, ingot_cpu_scale, 4, in, &out), INGOT_INVALID_ARGUMENT, "channel_axis");
}

/* ---- select ------------------------------------------------------------------------------------------ */

static void test_select(void) {
  uint8_t cond[2] = {1, 0};           /* [2, 1] */
  float then_v[3] = {1.5f, 2.5f, 3.5f}; /* [3] */
  float else_v[1] = {-9.0f};          /* scalar */
  ingot_node node = make_node(INGOT_OP_SELECT, "sel", 3);
  ingot_tensor_view in[3] = {V(INGOT_BOOL, D2(2, 1), cond), V(INGOT_FLOAT32, D1(3), then_v),
                             V(INGOT_FLOAT32, D0(), else_v)},
                    out;
  CHECK_OK(infer_run(&node, ingot_cpu_select, 3, in, &out));
  CHECK(ingot_dims_equal(&out.dims, &(ingot_dims){2, {2, 3}}));
  float want[6] = {1.5f, 2.5f, 3.5f, -9.0f, -9.0f, -9.0f};
  if (out.data) CHECK(memcmp(out.data, want, sizeof want) == 0);
  free(out.data);

  /* int64 with all three broadcasting: cond [2,1,3], then [4,1], else [2,1,1] */
  uint8_t c3[6] = {1, 0, 1, 0, 0, 1};
  int64_t t[4] = {10, 20, 30, 40}, e[2] = {-1, -2};
  in[0] = V(INGOT_BOOL, D3(2, 1, 3), c3);
  in[1] = V(INGOT_INT64, D2(4, 1), t);
  in[2] = V(INGOT_INT64, D3(2, 1, 1), e);
  CHECK_OK(infer_run(&node, ingot_cpu_select, 3, in, &out));
  CHECK(ingot_dims_equal(&out.dims, &(ingot_dims){3, {2, 4, 3}}));
  for (int i = 0; i < 24 && out.data; i++) {
    int b = i / 12, r = (i / 3) % 4, col = i % 3;
    int64_t want_v = c3[b * 3 + col] ? t[r] : e[b];
    CHECK(((int64_t *)out.data)[i] == want_v);
  }
  free(out.data);
  /* errors */
  in[0] = V(INGOT_INT32, D3(2, 1, 3), c3);
  CHECK_FAILS(infer_run(&node, ingot_cpu_select, 3, in, &out), INGOT_INVALID_GRAPH, "condition must be bool, found int32");
  in[0] = V(INGOT_BOOL, D3(2, 1, 3), c3);
  in[2] = V(INGOT_INT32, D3(2, 1, 1), e);
  CHECK_FAILS(infer_run(&node, ingot_cpu_select, 3, in, &out), INGOT_INVALID_GRAPH, "then int64 and else int32");
}

/* ---- matrix multiply ------------------------------------------------------------------------------ */

/* Element (i, k) of a logical [M, K] matrix stored per `op` in `data` (NONE: [M, K];
 * TRANSPOSE: [K, M]; VECTOR: [K], M = 1). */
static float mat_at(const float *data, int32_t op, int64_t rows, int64_t cols, int64_t r, int64_t c, bool is_b) {
  /* logical a is [rows=M, cols=K]; logical b is [rows=K, cols=N] */
  if (op == INGOT_MATRIX_OP_VECTOR) return data[is_b ? r : c];
  if (op == INGOT_MATRIX_OP_NONE) return data[r * cols + c];
  return data[c * rows + r]; /* stored transposed */
}

static void test_matmul_ops(void) {
  const int64_t M = 3, K = 4, N = 5;
  float a[12], b[20];
  fill_rand(a, 12, -1.0f, 1.0f);
  fill_rand(b, 20, -1.0f, 1.0f);
  for (int32_t oa = 0; oa < 3; oa++) {
    for (int32_t ob = 0; ob < 3; ob++) {
      int64_t m = oa == INGOT_MATRIX_OP_VECTOR ? 1 : M, n = ob == INGOT_MATRIX_OP_VECTOR ? 1 : N;
      ingot_dims da = oa == INGOT_MATRIX_OP_VECTOR ? D1(K) : (oa == INGOT_MATRIX_OP_NONE ? D2(M, K) : D2(K, M));
      ingot_dims db = ob == INGOT_MATRIX_OP_VECTOR ? D1(K) : (ob == INGOT_MATRIX_OP_NONE ? D2(K, N) : D2(N, K));
      ingot_node node = make_node(INGOT_OP_MATRIX_MULTIPLY, "mm", 2);
      node.params.matmul.op_a = oa;
      node.params.matmul.op_b = ob;
      node.params.matmul.epilogue.activation = -1;
      ingot_tensor_view in[2] = {V(INGOT_FLOAT32, da, a), V(INGOT_FLOAT32, db, b)}, out;
      CHECK_OK(infer_run(&node, ingot_cpu_matrix_multiply, 2, in, &out));
      int32_t want_rank = (oa != INGOT_MATRIX_OP_VECTOR) + (ob != INGOT_MATRIX_OP_VECTOR);
      CHECK(out.dims.nb_dims == want_rank);
      CHECK(vol(&out.dims) == m * n);
      for (int64_t i = 0; i < m && out.data; i++) {
        for (int64_t j = 0; j < n; j++) {
          double want = 0;
          for (int64_t k = 0; k < K; k++)
            want += (double)mat_at(a, oa, m, K, i, k, false) * mat_at(b, ob, K, n, k, j, true);
          float got = ((float *)out.data)[i * n + j];
          if (!(fabs(got - want) <= 1e-5 * (1 + fabs(want)))) {
            fprintf(stderr, "matmul op_a %d op_b %d [%lld,%lld]: %g, expected %g\n", oa, ob, (long long)i,
                    (long long)j, got, want);
            test_failures++;
          }
        }
      }
      free(out.data);
    }
  }
}

static void test_matmul_batch_epilogue(void) {
  /* [2,1,3,4] x [5,4,6] -> [2,5,3,6], + bias [6], + residual, then relu */
  enum { B0 = 2, B1 = 5, M = 3, K = 4, N = 6 };
  float a[B0 * M * K], b[B1 * K * N], bias[N], res[B0 * B1 * M * N];
  fill_rand(a, B0 * M * K, -1, 1);
  fill_rand(b, B1 * K * N, -1, 1);
  fill_rand(bias, N, -1, 1);
  fill_rand(res, B0 * B1 * M * N, -1, 1);
  ingot_node node = make_node(INGOT_OP_MATRIX_MULTIPLY, "bmm", 2);
  node.params.matmul.epilogue.activation = -1;
  ingot_tensor_view in[4] = {V(INGOT_FLOAT32, D4(B0, 1, M, K), a), V(INGOT_FLOAT32, D3(B1, K, N), b),
                             V(INGOT_FLOAT32, D1(N), bias), V(INGOT_FLOAT32, D4(B0, B1, M, N), res)},
                    out;
  for (int variant = 0; variant < 2; variant++) {
    if (variant == 1) {
      node.nb_inputs = 4;
      node.params.matmul.has_bias = 1;
      node.params.matmul.epilogue.has_residual = 1;
      node.params.matmul.epilogue.activation = INGOT_ACTIVATION_RELU;
    }
    CHECK_OK(infer_run(&node, ingot_cpu_matrix_multiply, node.nb_inputs, in, &out));
    CHECK(ingot_dims_equal(&out.dims, &(ingot_dims){4, {B0, B1, M, N}}));
    for (int p = 0; p < B0 && out.data; p++)
      for (int q = 0; q < B1; q++)
        for (int i = 0; i < M; i++)
          for (int j = 0; j < N; j++) {
            double want = 0;
            for (int k = 0; k < K; k++) want += (double)a[(p * M + i) * K + k] * b[(q * K + k) * N + j];
            int64_t o = ((p * B1 + q) * M + i) * N + j;
            if (variant == 1) {
              want += bias[j] + res[o];
              if (want < 0) want = 0;
            }
            CHECK_NEAR(((float *)out.data)[o], want, 1e-5);
          }
    free(out.data);
  }
  /* batch of vectors times a batch of matrices: [2,4] (vector) x [2,4,6] -> [2,6] */
  node.nb_inputs = 2;
  node.params.matmul.has_bias = 0;
  node.params.matmul.epilogue.has_residual = 0;
  node.params.matmul.epilogue.activation = -1;
  node.params.matmul.op_a = INGOT_MATRIX_OP_VECTOR;
  in[0] = V(INGOT_FLOAT32, D2(2, K), a);
  in[1] = V(INGOT_FLOAT32, D3(2, K, N), b);
  CHECK_OK(infer_run(&node, ingot_cpu_matrix_multiply, 2, in, &out));
  CHECK(ingot_dims_equal(&out.dims, &(ingot_dims){2, {2, N}}));
  for (int p = 0; p < 2 && out.data; p++)
    for (int j = 0; j < N; j++) {
      double want = 0;
      for (int k = 0; k < K; k++) want += (double)a[p * K + k] * b[(p * K + k) * N + j];
      CHECK_NEAR(((float *)out.data)[p * N + j], want, 1e-5);
    }
  free(out.data);

  /* errors: K mismatch names both shapes; batch dims that cannot broadcast */
  node.params.matmul.op_a = INGOT_MATRIX_OP_NONE;
  in[0] = V(INGOT_FLOAT32, D2(M, K), a);
  in[1] = V(INGOT_FLOAT32, D2(K + 1, N), b);
  CHECK_FAILS(infer_run(&node, ingot_cpu_matrix_multiply, 2, in, &out), INGOT_INVALID_GRAPH,
              "a is 3x4 (op none) and b is 5x6 (op none): K differs");
  in[0] = V(INGOT_FLOAT32, D3(2, M, K), a);
  in[1] = V(INGOT_FLOAT32, D3(3, K, N), b);
  CHECK_FAILS(infer_run(&node, ingot_cpu_matrix_multiply, 2, in, &out), INGOT_INVALID_GRAPH, "dim 0 (2 vs 3) cannot broadcast");
  node.params.matmul.op_b = 5;
  CHECK_FAILS(infer_run(&node, ingot_cpu_matrix_multiply, 2, in, &out), INGOT_INVALID_ARGUMENT, "op_b");
}

static void test_fully_connected(void) {
  enum { N = 3, C = 2, H = 2, W = 3, K = C * H * W, O = 5 };
  float x[N * K], w[O * K], bias[O];
  fill_rand(x, N * K, -1, 1);
  fill_rand(w, O * K, -1, 1);
  fill_rand(bias, O, -1, 1);
  ingot_node node = make_node(INGOT_OP_FULLY_CONNECTED, "fc", 2);
  node.params.fc.num_outputs = O;
  node.params.fc.epilogue.activation = -1;
  ingot_tensor_view in[3] = {V(INGOT_FLOAT32, D4(N, C, H, W), x), V(INGOT_FLOAT32, D2(O, K), w),
                             V(INGOT_FLOAT32, D1(O), bias)},
                    out;
  for (int with_bias = 0; with_bias < 2; with_bias++) {
    node.nb_inputs = 2 + with_bias;
    node.params.fc.has_bias = with_bias;
    CHECK_OK(infer_run(&node, ingot_cpu_fully_connected, node.nb_inputs, in, &out));
    CHECK(ingot_dims_equal(&out.dims, &(ingot_dims){2, {N, O}}));
    for (int n = 0; n < N && out.data; n++)
      for (int o = 0; o < O; o++) {
        double want = with_bias ? bias[o] : 0.0;
        for (int k = 0; k < K; k++) want += (double)x[n * K + k] * w[o * K + k];
        CHECK_NEAR(((float *)out.data)[n * O + o], want, 1e-5);
      }
    free(out.data);
  }
  in[1].dims = D2(O, K + 1);
  CHECK_FAILS(infer_run(&node, ingot_cpu_fully_connected, 3, in, &out), INGOT_INVALID_GRAPH,
              "kernel must be [num_outputs, K] = [5, 12] (input 3x2x2x3 flattens to K = 12), found 5x13");
  in[1].dims = D2(O, K);
  in[2].dims = D1(O + 1);
  CHECK_FAILS(infer_run(&node, ingot_cpu_fully_connected, 3, in, &out), INGOT_INVALID_GRAPH, "bias must hold");
}

int main(void) {
  CHECK_OK(ingot_thread_pool_create(4, &g_pool));
  test_broadcast_helper();
  test_activation_values();
  test_activation_layer();
  test_parametric_relu();
  test_elementwise_float();
  test_elementwise_int();
  test_integer_division_by_zero();
  test_comparisons_and_logic();
  test_elementwise_infer_errors();
  test_elementwise_broadcasting();
  test_unary();
  test_scale();
  test_select();
  test_matmul_ops();
  test_matmul_batch_epilogue();
  test_fully_connected();
  ingot_thread_pool_destroy(g_pool);
  TEST_EXIT();
}
