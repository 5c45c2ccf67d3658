/* Kernel tier: shape inference and the scalar CPU kernels of the layers ONNX import needs
 * (fill, range, gather elements / nd, scatter, cumulative, expand, tile, quantize,
 * dequantize, einsum) and the value inputs of shuffle, slice and padding. Nodes are built
 * here and infer + run are called directly. Small cases have values worked out by hand
 * (most from the ONNX operator docs); larger random ones are checked against naive
 * references written here, with and without a thread pool. Outputs carry guard bytes and
 * start filled with junk. */
#include <stdint.h>

#include "backend/cpu/cpu_kernels.h"
#include "core/dims.h"
#include "core/thread_pool.h"
#include "test_util.h"

#define GUARD 64
typedef ingot_status (*kernel_fn)(const ingot_kernel_args *);

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static ingot_thread_pool *pool4;

/* ---- harness ------------------------------------------------------------------------ */

static int32_t node_inputs[8] = {0, 1, 2, 3, 4, 5, 6, 7};
static int32_t absent1_inputs[8] = {0, -1, 2, 3, 4, 5, 6, 7}; /* input 1 absent */
static int32_t absent2_inputs[8] = {0, 1, -1, 3, 4, 5, 6, 7}; /* input 2 absent */

static ingot_node make_node(ingot_op op, int32_t nb_inputs) {
  ingot_node n;
  memset(&n, 0, sizeof n);
  n.name = "k";
  n.op = op;
  n.nb_inputs = nb_inputs;
  n.inputs = node_inputs;
  n.nb_outputs = 1;
  n.outputs[0] = 100;
  return n;
}

static ingot_dims dims_of(int32_t n, const int64_t *v) {
  ingot_dims d;
  memset(&d, 0, sizeof d);
  d.nb_dims = n;
  for (int32_t i = 0; i < n; i++) d.d[i] = v[i];
  return d;
}
#define DIMS(...) dims_of((int32_t)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]){__VA_ARGS__})
#define DIMS0() dims_of(0, NULL)

static ingot_tensor_view view(ingot_dtype dt, ingot_dims d, const void *data) {
  ingot_tensor_view v;
  v.dtype = dt;
  v.dims = d;
  v.data = (void *)data;
  return v;
}

static ingot_tensor_view absent(void) {
  ingot_tensor_view v;
  memset(&v, 0, sizeof v);
  v.dims.nb_dims = -1;
  return v;
}

static size_t bytes_of(const ingot_tensor_view *v) {
  return (size_t)ingot_dims_volume(&v->dims) * ingot_dtype_size(v->dtype);
}

/* Infers the output, allocates it (junk-filled, guard bytes after), runs the kernel and
 * checks the guards. Inputs whose bit is in known_mask are shown to infer with their data
 * (constants, or values computed from shapes). The caller frees out->data (NULL when infer
 * failed). */
static ingot_status run_node(const ingot_node *node, kernel_fn kernel, const ingot_tensor_view *ins,
                             ingot_tensor_view *out, uint32_t known_mask, ingot_thread_pool *pool) {
  ingot_value_info vi[8], vo;
  memset(vi, 0, sizeof vi);
  memset(&vo, 0, sizeof vo);
  for (int32_t i = 0; i < node->nb_inputs; i++) {
    vi[i].dtype = ins[i].dtype;
    vi[i].dims = ins[i].dims;
    vi[i].data = (known_mask >> i) & 1 ? ins[i].data : NULL;
  }
  vo.dims.nb_dims = -1;
  out->data = NULL;
  ingot_status st = ingot_op_infer(node->op)(node, vi, &vo);
  if (st != INGOT_SUCCESS) return st;
  *out = view(vo.dtype, vo.dims, NULL);
  size_t b = bytes_of(out);
  unsigned char *p = malloc(b + GUARD);
  memset(p, 0x5A, b);
  memset(p + b, 0xA5, GUARD);
  out->data = p;
  ingot_kernel_args args;
  memset(&args, 0, sizeof args);
  args.node = node;
  args.params = &node->params;
  args.nb_inputs = node->nb_inputs;
  args.inputs = ins;
  args.nb_outputs = 1;
  args.outputs = out;
  args.pool = pool;
  st = kernel(&args);
  for (int i = 0; i < GUARD; i++)
    if (p[b + i] != 0xA5) {
      fprintf(stderr, "output of %s: guard byte %d overwritten\n", ingot_op_name(node->op), i);
      test_failures++;
      break;
    }
  return st;
}

static int dims_are(const ingot_tensor_view *v, ingot_dims want) {
  if (ingot_dims_equal(&v->dims, &want)) return 1;
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE];
  fprintf(stderr, "dims %s, expected %s\n", ingot_dims_format(&v->dims, a, sizeof a),
          ingot_dims_format(&want, b, sizeof b));
  return 0;
}

static int same_bytes(const void *got, const void *want, size_t n, const char *what) {
  if (got && memcmp(got, want, n) == 0) return 1;
  fprintf(stderr, "%s: output differs from the expected values\n", what);
  return 0;
}

#define EXPECT(out, type, ...)                                                                    \
  do {                                                                                            \
    const type want_[] = {__VA_ARGS__};                                                           \
    CHECK(bytes_of(&(out)) == sizeof want_ && same_bytes((out).data, want_, sizeof want_, #out)); \
  } while (0)

/* ---- fill, range --------------------------------------------------------------------- */

static void test_fill(void) {
  ingot_tensor_view out;
  const int64_t shape[3] = {2, 1, 3};
  ingot_tensor_view in = view(INGOT_INT64, DIMS(3), shape);
  ingot_node n = make_node(INGOT_OP_FILL, 1);
  n.params.fill.dtype = INGOT_FLOAT32;
  n.params.fill.value = -1.25;
  CHECK_OK(run_node(&n, ingot_cpu_fill_layer, &in, &out, 1, NULL));
  CHECK(dims_are(&out, DIMS(2, 1, 3)));
  EXPECT(out, float, -1.25f, -1.25f, -1.25f, -1.25f, -1.25f, -1.25f);
  free(out.data);
  /* int8 saturates as the cast layer does; bool is value != 0; int32 shape input */
  const int32_t shape32[2] = {2, 2};
  in = view(INGOT_INT32, DIMS(2), shape32);
  n.params.fill.dtype = INGOT_INT8;
  n.params.fill.value = 300.0;
  CHECK_OK(run_node(&n, ingot_cpu_fill_layer, &in, &out, 1, pool4));
  EXPECT(out, int8_t, 127, 127, 127, 127);
  free(out.data);
  n.params.fill.dtype = INGOT_BOOL;
  n.params.fill.value = 2.0;
  CHECK_OK(run_node(&n, ingot_cpu_fill_layer, &in, &out, 1, NULL));
  EXPECT(out, uint8_t, 1, 1, 1, 1);
  free(out.data);
  /* an empty shape makes a scalar */
  in = view(INGOT_INT64, DIMS(0), shape);
  n.params.fill.dtype = INGOT_INT64;
  n.params.fill.value = 7.0;
  CHECK_OK(run_node(&n, ingot_cpu_fill_layer, &in, &out, 1, NULL));
  CHECK(dims_are(&out, DIMS0()));
  EXPECT(out, int64_t, 7);
  free(out.data);
  /* unknown shape value, negative dim, float shape */
  in = view(INGOT_INT64, DIMS(3), shape);
  CHECK_FAILS(run_node(&n, ingot_cpu_fill_layer, &in, &out, 0, NULL), INGOT_UNSUPPORTED,
              "fill shape must be known when input shapes are set");
  const int64_t bad[2] = {2, -3};
  in = view(INGOT_INT64, DIMS(2), bad);
  CHECK_FAILS(run_node(&n, ingot_cpu_fill_layer, &in, &out, 1, NULL), INGOT_INVALID_ARGUMENT, "fill shape[1] is -3");
  const float fshape[1] = {2.0f};
  in = view(INGOT_FLOAT32, DIMS(1), fshape);
  CHECK_FAILS(run_node(&n, ingot_cpu_fill_layer, &in, &out, 1, NULL), INGOT_INVALID_ARGUMENT,
              "expected int64 or int32");
}

static void test_range(void) {
  ingot_tensor_view out, in[3];
  ingot_node n = make_node(INGOT_OP_RANGE, 3);
  const int64_t s64 = 1, l64 = 10, d64 = 3;
  in[0] = view(INGOT_INT64, DIMS0(), &s64);
  in[1] = view(INGOT_INT64, DIMS0(), &l64);
  in[2] = view(INGOT_INT64, DIMS0(), &d64);
  CHECK_OK(run_node(&n, ingot_cpu_range, in, &out, 7, NULL));
  CHECK(dims_are(&out, DIMS(3)));
  EXPECT(out, int64_t, 1, 4, 7);
  free(out.data);
  const int32_t s32 = 5, l32 = -1, d32 = -2;
  in[0] = view(INGOT_INT32, DIMS(1), &s32); /* a one-element 1-D tensor counts as a scalar */
  in[1] = view(INGOT_INT32, DIMS0(), &l32);
  in[2] = view(INGOT_INT32, DIMS0(), &d32);
  CHECK_OK(run_node(&n, ingot_cpu_range, in, &out, 7, NULL));
  EXPECT(out, int32_t, 5, 3, 1);
  free(out.data);
  const float sf = 0.0f, lf = 1.0f, df = 0.25f;
  in[0] = view(INGOT_FLOAT32, DIMS0(), &sf);
  in[1] = view(INGOT_FLOAT32, DIMS0(), &lf);
  in[2] = view(INGOT_FLOAT32, DIMS0(), &df);
  CHECK_OK(run_node(&n, ingot_cpu_range, in, &out, 7, NULL));
  EXPECT(out, float, 0.0f, 0.25f, 0.5f, 0.75f);
  free(out.data);
  /* empty: limit before start with a positive delta */
  const float lneg = -2.0f;
  in[1] = view(INGOT_FLOAT32, DIMS0(), &lneg);
  CHECK_OK(run_node(&n, ingot_cpu_range, in, &out, 7, NULL));
  CHECK(dims_are(&out, DIMS(0)));
  free(out.data);
  /* errors: zero delta, mixed dtypes, unknown limit */
  const float zero = 0.0f;
  in[1] = view(INGOT_FLOAT32, DIMS0(), &lf);
  in[2] = view(INGOT_FLOAT32, DIMS0(), &zero);
  CHECK_FAILS(run_node(&n, ingot_cpu_range, in, &out, 7, NULL), INGOT_INVALID_ARGUMENT, "delta is 0");
  in[2] = view(INGOT_INT64, DIMS0(), &d64);
  CHECK_FAILS(run_node(&n, ingot_cpu_range, in, &out, 7, NULL), INGOT_INVALID_ARGUMENT, "delta is int64");
  in[2] = view(INGOT_FLOAT32, DIMS0(), &df);
  CHECK_FAILS(run_node(&n, ingot_cpu_range, in, &out, 5, NULL), INGOT_UNSUPPORTED,
              "range limit must be known when input shapes are set");
}

/* ---- gather elements, gather nd -------------------------------------------------------- */

static void test_gather_elements(void) {
  ingot_tensor_view out, in[2];
  ingot_node n = make_node(INGOT_OP_GATHER_ELEMENTS, 2);
  /* ONNX example 1: axis 1 */
  const float d1[4] = {1, 2, 3, 4};
  const int64_t i1[4] = {0, 0, 1, 0};
  in[0] = view(INGOT_FLOAT32, DIMS(2, 2), d1);
  in[1] = view(INGOT_INT64, DIMS(2, 2), i1);
  n.params.gather_ex.axis = 1;
  CHECK_OK(run_node(&n, ingot_cpu_gather_elements, in, &out, 0, NULL));
  EXPECT(out, float, 1, 1, 4, 3);
  free(out.data);
  /* ONNX example 2: axis 0, indices smaller than data; -1 is the last row */
  const int32_t d2[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const int32_t i2[6] = {1, 2, 0, -1, 0, 0};
  in[0] = view(INGOT_INT32, DIMS(3, 3), d2);
  in[1] = view(INGOT_INT32, DIMS(2, 3), i2);
  n.params.gather_ex.axis = 0;
  CHECK_OK(run_node(&n, ingot_cpu_gather_elements, in, &out, 0, pool4));
  CHECK(dims_are(&out, DIMS(2, 3)));
  EXPECT(out, int32_t, 4, 8, 3, 7, 2, 3);
  free(out.data);
  /* axis -1, one column of indices: [[x[0][2]], [x[1][-3]]] */
  const int64_t i3[2] = {2, -3};
  in[1] = view(INGOT_INT64, DIMS(2, 1), i3);
  n.params.gather_ex.axis = -1;
  CHECK_OK(run_node(&n, ingot_cpu_gather_elements, in, &out, 0, NULL));
  EXPECT(out, int32_t, 3, 4);
  free(out.data);
  /* out of range at run time; when constant, at infer */
  const int64_t i4[2] = {2, 3};
  in[1] = view(INGOT_INT64, DIMS(2, 1), i4);
  CHECK_FAILS(run_node(&n, ingot_cpu_gather_elements, in, &out, 0, NULL), INGOT_RUNTIME_ERROR,
              "index 3 out of range [-3, 3) on axis 1");
  free(out.data);
  CHECK_FAILS(run_node(&n, ingot_cpu_gather_elements, in, &out, 2, NULL), INGOT_INVALID_ARGUMENT,
              "index 3 out of range");
  /* indices larger than data outside the axis */
  in[1] = view(INGOT_INT64, DIMS(4, 1), i1);
  CHECK_FAILS(run_node(&n, ingot_cpu_gather_elements, in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "exceed data");

  /* random, all rank-3 axes, with a pool, against a naive reference */
  for (int32_t axis = 0; axis < 3; axis++) {
    enum { A = 9, B = 17, C = 33 };
    static float data[A * B * C], want[A * B * C];
    static int64_t idx[A * B * C];
    const int64_t dd[3] = {A, B, C};
    for (int i = 0; i < A * B * C; i++) data[i] = test_randf(&rng);
    for (int i = 0; i < A * B * C; i++) {
      int64_t dim = dd[axis];
      idx[i] = (int64_t)((test_randf(&rng) + 1.0f) * 0.5f * (float)(2 * dim)) - dim;
      if (idx[i] >= dim) idx[i] = dim - 1;
      int64_t c[3] = {i / (B * C), (i / C) % B, i % C};
      c[axis] = idx[i] < 0 ? idx[i] + dim : idx[i];
      want[i] = data[(c[0] * B + c[1]) * C + c[2]];
    }
    in[0] = view(INGOT_FLOAT32, DIMS(A, B, C), data);
    in[1] = view(INGOT_INT64, DIMS(A, B, C), idx);
    n.params.gather_ex.axis = axis;
    CHECK_OK(run_node(&n, ingot_cpu_gather_elements, in, &out, 0, pool4));
    CHECK(same_bytes(out.data, want, sizeof want, "gather elements random"));
    free(out.data);
  }
}

static void test_gather_nd(void) {
  ingot_tensor_view out, in[2];
  ingot_node n = make_node(INGOT_OP_GATHER_ND, 2);
  /* ONNX examples 1 and 2 (batch_dims 0) */
  const int32_t d1[4] = {0, 1, 2, 3};
  const int64_t i1[4] = {0, 0, 1, 1};
  in[0] = view(INGOT_INT32, DIMS(2, 2), d1);
  in[1] = view(INGOT_INT64, DIMS(2, 2), i1);
  CHECK_OK(run_node(&n, ingot_cpu_gather_nd, in, &out, 0, NULL));
  CHECK(dims_are(&out, DIMS(2)));
  EXPECT(out, int32_t, 0, 3);
  free(out.data);
  const int64_t i2[2] = {1, 0};
  in[1] = view(INGOT_INT64, DIMS(2, 1), i2);
  CHECK_OK(run_node(&n, ingot_cpu_gather_nd, in, &out, 0, NULL));
  CHECK(dims_are(&out, DIMS(2, 2)));
  EXPECT(out, int32_t, 2, 3, 0, 1);
  free(out.data);
  /* ONNX example 5: batch_dims 1 */
  const int32_t d5[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  in[0] = view(INGOT_INT32, DIMS(2, 2, 2), d5);
  in[1] = view(INGOT_INT64, DIMS(2, 1), i2);
  n.params.gather_ex.batch_dims = 1;
  CHECK_OK(run_node(&n, ingot_cpu_gather_nd, in, &out, 0, pool4));
  CHECK(dims_are(&out, DIMS(2, 2)));
  EXPECT(out, int32_t, 2, 3, 4, 5);
  free(out.data);
  /* negative index; then out of range; then too many addressed dims */
  const int32_t i6[2] = {-1, -2};
  in[0] = view(INGOT_INT32, DIMS(2, 2), d1);
  in[1] = view(INGOT_INT32, DIMS(1, 2), i6);
  n.params.gather_ex.batch_dims = 0;
  CHECK_OK(run_node(&n, ingot_cpu_gather_nd, in, &out, 0, NULL));
  EXPECT(out, int32_t, 2);
  free(out.data);
  const int32_t i7[2] = {1, 2};
  in[1] = view(INGOT_INT32, DIMS(1, 2), i7);
  CHECK_FAILS(run_node(&n, ingot_cpu_gather_nd, in, &out, 0, NULL), INGOT_RUNTIME_ERROR,
              "index 2 out of range [-2, 2) on axis 1");
  free(out.data);
  in[1] = view(INGOT_INT32, DIMS(1, 3), i7);
  CHECK_FAILS(run_node(&n, ingot_cpu_gather_nd, in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "address 3 dims");
}

/* ---- scatter ------------------------------------------------------------------------------ */

static ingot_node scatter_node(int32_t mode, int32_t axis, int32_t reduction) {
  ingot_node n = make_node(INGOT_OP_SCATTER, 3);
  n.params.scatter.mode = mode;
  n.params.scatter.axis = axis;
  n.params.scatter.reduction = reduction;
  return n;
}

static void test_scatter(void) {
  ingot_tensor_view out, in[3];
  /* ONNX ScatterND example 1 */
  const float d1[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const int64_t i1[4] = {4, 3, 1, 7};
  const float u1[4] = {9, 10, 11, 12};
  in[0] = view(INGOT_FLOAT32, DIMS(8), d1);
  in[1] = view(INGOT_INT64, DIMS(4, 1), i1);
  in[2] = view(INGOT_FLOAT32, DIMS(4), u1);
  ingot_node n = scatter_node(INGOT_SCATTER_ND, 0, INGOT_SCATTER_REDUCE_NONE);
  CHECK_OK(run_node(&n, ingot_cpu_scatter, in, &out, 0, NULL));
  EXPECT(out, float, 1, 11, 3, 10, 9, 6, 7, 12);
  free(out.data);
  /* duplicates combine in order: [1, 2, 3, 4] at 1 with 5 then 6 (index -3 is 1) */
  const int32_t d2[4] = {1, 2, 3, 4};
  const int32_t i2[2] = {1, -3};
  const int32_t u2[2] = {5, 6};
  in[0] = view(INGOT_INT32, DIMS(4), d2);
  in[1] = view(INGOT_INT32, DIMS(2, 1), i2);
  in[2] = view(INGOT_INT32, DIMS(2), u2);
  const int32_t want_none[4] = {1, 6, 3, 4}, want_add[4] = {1, 13, 3, 4}, want_mul[4] = {1, 60, 3, 4},
                want_max[4] = {1, 6, 3, 4}, want_min[4] = {1, 2, 3, 4};
  const int32_t *wants[5] = {want_none, want_add, want_mul, want_max, want_min};
  for (int32_t r = 0; r < 5; r++) {
    n = scatter_node(INGOT_SCATTER_ND, 0, r);
    CHECK_OK(run_node(&n, ingot_cpu_scatter, in, &out, 0, NULL));
    CHECK(same_bytes(out.data, wants[r], sizeof want_none, "scatter nd reduction"));
    free(out.data);
  }
  /* ScatterND of rows: data 3x2, index [[2], [0]] */
  const int64_t d3[6] = {1, 2, 3, 4, 5, 6}, i3[2] = {2, 0}, u3[4] = {-1, -2, -3, -4};
  in[0] = view(INGOT_INT64, DIMS(3, 2), d3);
  in[1] = view(INGOT_INT64, DIMS(2, 1), i3);
  in[2] = view(INGOT_INT64, DIMS(2, 2), u3);
  n = scatter_node(INGOT_SCATTER_ND, 0, INGOT_SCATTER_REDUCE_ADD);
  CHECK_OK(run_node(&n, ingot_cpu_scatter, in, &out, 0, pool4));
  EXPECT(out, int64_t, -2, -2, 3, 4, 4, 4);
  free(out.data);
  /* ONNX ScatterElements example 2: axis 1 */
  const float d4[5] = {1, 2, 3, 4, 5}, u4[2] = {1.1f, 2.1f};
  const int64_t i4[2] = {1, 3};
  in[0] = view(INGOT_FLOAT32, DIMS(1, 5), d4);
  in[1] = view(INGOT_INT64, DIMS(1, 2), i4);
  in[2] = view(INGOT_FLOAT32, DIMS(1, 2), u4);
  n = scatter_node(INGOT_SCATTER_ELEMENTS, 1, INGOT_SCATTER_REDUCE_NONE);
  CHECK_OK(run_node(&n, ingot_cpu_scatter, in, &out, 0, NULL));
  EXPECT(out, float, 1, 1.1f, 3, 2.1f, 5);
  free(out.data);
  /* ScatterElements axis 0, mul, with -1: data 2x3 */
  const float d5[6] = {1, 2, 3, 4, 5, 6}, u5[3] = {2, 3, 4};
  const int64_t i5[3] = {-1, 0, 1};
  in[0] = view(INGOT_FLOAT32, DIMS(2, 3), d5);
  in[1] = view(INGOT_INT64, DIMS(1, 3), i5);
  in[2] = view(INGOT_FLOAT32, DIMS(1, 3), u5);
  n = scatter_node(INGOT_SCATTER_ELEMENTS, 0, INGOT_SCATTER_REDUCE_MUL);
  CHECK_OK(run_node(&n, ingot_cpu_scatter, in, &out, 0, NULL));
  EXPECT(out, float, 1, 6, 3, 8, 5, 24);
  free(out.data);
  /* errors: out of range at run time, mismatched updates, reduction on bool */
  const int64_t i6[3] = {0, 2, 1};
  in[1] = view(INGOT_INT64, DIMS(1, 3), i6);
  CHECK_FAILS(run_node(&n, ingot_cpu_scatter, in, &out, 0, NULL), INGOT_RUNTIME_ERROR,
              "index 2 out of range [-2, 2) on axis 0");
  free(out.data);
  in[2] = view(INGOT_FLOAT32, DIMS(3, 1), u5);
  CHECK_FAILS(run_node(&n, ingot_cpu_scatter, in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "expected the dims 1x3");
  const uint8_t b[4] = {1, 0, 1, 0};
  in[0] = view(INGOT_BOOL, DIMS(4), b);
  in[1] = view(INGOT_INT32, DIMS(2, 1), i2);
  in[2] = view(INGOT_BOOL, DIMS(2), b);
  n = scatter_node(INGOT_SCATTER_ND, 0, INGOT_SCATTER_REDUCE_ADD);
  CHECK_FAILS(run_node(&n, ingot_cpu_scatter, in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "data is bool");
}

/* ---- cumulative ---------------------------------------------------------------------------- */

static void test_cumulative(void) {
  ingot_tensor_view out, in;
  ingot_node n = make_node(INGOT_OP_CUMULATIVE, 1);
  /* ONNX CumSum examples */
  const float x[5] = {1, 2, 3, 4, 5};
  in = view(INGOT_FLOAT32, DIMS(5), x);
  CHECK_OK(run_node(&n, ingot_cpu_cumulative, &in, &out, 0, NULL));
  EXPECT(out, float, 1, 3, 6, 10, 15);
  free(out.data);
  n.params.cumulative.exclusive = 1;
  CHECK_OK(run_node(&n, ingot_cpu_cumulative, &in, &out, 0, NULL));
  EXPECT(out, float, 0, 1, 3, 6, 10);
  free(out.data);
  n.params.cumulative.reverse = 1;
  CHECK_OK(run_node(&n, ingot_cpu_cumulative, &in, &out, 0, NULL));
  EXPECT(out, float, 14, 12, 9, 5, 0);
  free(out.data);
  n.params.cumulative.exclusive = 0;
  CHECK_OK(run_node(&n, ingot_cpu_cumulative, &in, &out, 0, NULL));
  EXPECT(out, float, 15, 14, 12, 9, 5);
  free(out.data);
  /* 2-D along axis 0 and axis -1, int32 */
  const int32_t m[6] = {1, 2, 3, 4, 5, 6};
  in = view(INGOT_INT32, DIMS(2, 3), m);
  n.params.cumulative.reverse = 0;
  CHECK_OK(run_node(&n, ingot_cpu_cumulative, &in, &out, 0, NULL));
  EXPECT(out, int32_t, 1, 2, 3, 5, 7, 9);
  free(out.data);
  n.params.cumulative.axis = -1;
  CHECK_OK(run_node(&n, ingot_cpu_cumulative, &in, &out, 0, NULL));
  EXPECT(out, int32_t, 1, 3, 6, 4, 9, 15);
  free(out.data);
  /* wide rows (several column blocks), int64, every flag combination, with a pool */
  enum { O = 3, N = 5, I = 700 };
  static int64_t big[O * N * I], want[O * N * I];
  for (int i = 0; i < O * N * I; i++) big[i] = (int64_t)(test_randf(&rng) * 1000.0f) | 1;
  in = view(INGOT_INT64, DIMS(O, N, I), big);
  n.params.cumulative.axis = 1;
  for (int flags = 0; flags < 4; flags++) {
    int excl = flags & 1, rev = flags >> 1;
    for (int o = 0; o < O; o++)
      for (int c = 0; c < I; c++) {
        int64_t acc = 0;
        for (int s = 0; s < N; s++) {
          int j = rev ? N - 1 - s : s;
          int64_t v = big[(o * N + j) * I + c];
          if (!excl) acc += v;
          want[(o * N + j) * I + c] = acc;
          if (excl) acc += v;
        }
      }
    n.params.cumulative.exclusive = excl;
    n.params.cumulative.reverse = rev;
    CHECK_OK(run_node(&n, ingot_cpu_cumulative, &in, &out, 0, pool4));
    CHECK(same_bytes(out.data, want, sizeof want, "cumulative random"));
    free(out.data);
  }
  /* errors: bool input, axis out of range */
  in = view(INGOT_BOOL, DIMS(5), x);
  CHECK_FAILS(run_node(&n, ingot_cpu_cumulative, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "input is bool");
  in = view(INGOT_FLOAT32, DIMS(5), x);
  CHECK_FAILS(run_node(&n, ingot_cpu_cumulative, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT,
              "axis 1 is out of range");
}

/* ---- expand, tile -------------------------------------------------------------------------- */

static void test_expand_tile(void) {
  ingot_tensor_view out, in[2];
  /* ONNX Expand example: [3, 1] to [2, 1, 6] gives [2, 3, 6] */
  const float x[3] = {1, 2, 3};
  const int64_t shape[3] = {2, 1, 6};
  in[0] = view(INGOT_FLOAT32, DIMS(3, 1), x);
  in[1] = view(INGOT_INT64, DIMS(3), shape);
  ingot_node n = make_node(INGOT_OP_EXPAND, 2);
  CHECK_OK(run_node(&n, ingot_cpu_expand, in, &out, 2, NULL));
  CHECK(dims_are(&out, DIMS(2, 3, 6)));
  const float *y = out.data;
  int ok = 1;
  for (int i = 0; i < 36; i++) ok &= y[i] == x[(i / 6) % 3];
  CHECK(ok);
  free(out.data);
  /* [3] against [2, 1]: [2, 3]; int8 */
  const int8_t v[3] = {-7, 8, 9};
  const int32_t shape2[2] = {2, 1};
  in[0] = view(INGOT_INT8, DIMS(3), v);
  in[1] = view(INGOT_INT32, DIMS(2), shape2);
  CHECK_OK(run_node(&n, ingot_cpu_expand, in, &out, 2, pool4));
  EXPECT(out, int8_t, -7, 8, 9, -7, 8, 9);
  free(out.data);
  /* incompatible; unknown shape */
  const int64_t shape3[1] = {4};
  in[1] = view(INGOT_INT64, DIMS(1), shape3);
  CHECK_FAILS(run_node(&n, ingot_cpu_expand, in, &out, 2, NULL), INGOT_INVALID_ARGUMENT, "cannot broadcast");
  CHECK_FAILS(run_node(&n, ingot_cpu_expand, in, &out, 0, NULL), INGOT_UNSUPPORTED, "expand shape must be known");

  /* Tile: [[1, 2], [3, 4]] by [1, 2] and by [2, 1] */
  const int32_t t[4] = {1, 2, 3, 4};
  const int64_t r12[2] = {1, 2}, r21[2] = {2, 1};
  n = make_node(INGOT_OP_TILE, 2);
  in[0] = view(INGOT_INT32, DIMS(2, 2), t);
  in[1] = view(INGOT_INT64, DIMS(2), r12);
  CHECK_OK(run_node(&n, ingot_cpu_tile, in, &out, 2, NULL));
  CHECK(dims_are(&out, DIMS(2, 4)));
  EXPECT(out, int32_t, 1, 2, 1, 2, 3, 4, 3, 4);
  free(out.data);
  in[1] = view(INGOT_INT64, DIMS(2), r21);
  CHECK_OK(run_node(&n, ingot_cpu_tile, in, &out, 2, pool4));
  EXPECT(out, int32_t, 1, 2, 3, 4, 1, 2, 3, 4);
  free(out.data);
  /* rank 3 by [2, 1, 3]: element [a, b, c] = x[a % 1, b, c % 2] */
  const int16_t h[4] = {10, 11, 12, 13};
  const int64_t r3[3] = {2, 1, 3};
  in[0] = view(INGOT_FLOAT16, DIMS(1, 2, 2), h);
  in[1] = view(INGOT_INT64, DIMS(3), r3);
  CHECK_OK(run_node(&n, ingot_cpu_tile, in, &out, 2, NULL));
  CHECK(dims_are(&out, DIMS(2, 2, 6)));
  EXPECT(out, int16_t, 10, 11, 10, 11, 10, 11, 12, 13, 12, 13, 12, 13, 10, 11, 10, 11, 10, 11, 12, 13, 12, 13, 12, 13);
  free(out.data);
  /* repeats of the wrong length; negative */
  in[1] = view(INGOT_INT64, DIMS(2), r12);
  CHECK_FAILS(run_node(&n, ingot_cpu_tile, in, &out, 2, NULL), INGOT_INVALID_ARGUMENT, "repeats has 2 entries");
  const int64_t rneg[3] = {1, -1, 1};
  in[1] = view(INGOT_INT64, DIMS(3), rneg);
  CHECK_FAILS(run_node(&n, ingot_cpu_tile, in, &out, 2, NULL), INGOT_INVALID_ARGUMENT, "repeats[1] is -1");
}

/* ---- quantize, dequantize ------------------------------------------------------------------- */

static void test_quantize(void) {
  ingot_tensor_view out, in[3];
  /* ONNX QuantizeLinear example: 3 / 2 = 1.5 rounds to 2 (half to even) */
  const float x[6] = {0, 2, 3, 1000, -254, -1000};
  const float scale = 2.0f;
  const uint8_t zp = 128;
  in[0] = view(INGOT_FLOAT32, DIMS(6), x);
  in[1] = view(INGOT_FLOAT32, DIMS0(), &scale);
  in[2] = view(INGOT_UINT8, DIMS0(), &zp);
  ingot_node n = make_node(INGOT_OP_QUANTIZE, 3);
  n.params.quantize.output_dtype = INGOT_UINT8;
  CHECK_OK(run_node(&n, ingot_cpu_quantize, in, &out, 6, NULL));
  EXPECT(out, uint8_t, 128, 129, 130, 255, 1, 0);
  free(out.data);
  /* half to even both ways, no zero point, int8 */
  const float h[8] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 200.0f, -200.0f};
  const float one = 1.0f;
  in[0] = view(INGOT_FLOAT32, DIMS(8), h);
  in[1] = view(INGOT_FLOAT32, DIMS0(), &one);
  in[2] = absent();
  n.inputs = absent2_inputs; /* no zero point */
  n.params.quantize.output_dtype = INGOT_INT8;
  CHECK_OK(run_node(&n, ingot_cpu_quantize, in, &out, 2, pool4));
  EXPECT(out, int8_t, 0, 2, 2, 0, -2, -2, 127, -128);
  free(out.data);
  /* per channel along axis 1 of [2, 3]: scales 1, 2, 4; zero points 0, -1, 5 */
  const float xc[6] = {3, 3, 3, -6, -6, -6};
  const float sc[3] = {1, 2, 4};
  const int8_t zc[3] = {0, -1, 5};
  in[0] = view(INGOT_FLOAT32, DIMS(2, 3), xc);
  in[1] = view(INGOT_FLOAT32, DIMS(3), sc);
  in[2] = view(INGOT_INT8, DIMS(3), zc);
  n.inputs = node_inputs;
  n.params.quantize.axis = 1;
  CHECK_OK(run_node(&n, ingot_cpu_quantize, in, &out, 6, NULL));
  EXPECT(out, int8_t, 3, 1, 6, -6, -4, 3); /* 3/2 = 1.5 -> 2, -1 = 1; 3/4 = 0.75 -> 1, +5 = 6; -6/4 = -1.5 -> -2 */
  free(out.data);
  /* errors: scale of the wrong size; zero point of the wrong dtype */
  in[1] = view(INGOT_FLOAT32, DIMS(2), sc);
  CHECK_FAILS(run_node(&n, ingot_cpu_quantize, in, &out, 6, NULL), INGOT_INVALID_ARGUMENT, "scale has 2 values");
  in[1] = view(INGOT_FLOAT32, DIMS(3), sc);
  in[2] = view(INGOT_UINT8, DIMS(3), zc);
  CHECK_FAILS(run_node(&n, ingot_cpu_quantize, in, &out, 6, NULL), INGOT_INVALID_ARGUMENT, "zero_point is uint8");

  /* ONNX DequantizeLinear example */
  const uint8_t q[4] = {0, 3, 128, 255};
  in[0] = view(INGOT_UINT8, DIMS(4), q);
  in[1] = view(INGOT_FLOAT32, DIMS0(), &scale);
  in[2] = view(INGOT_UINT8, DIMS0(), &zp);
  n = make_node(INGOT_OP_DEQUANTIZE, 3);
  CHECK_OK(run_node(&n, ingot_cpu_dequantize, in, &out, 6, NULL));
  CHECK(out.dtype == INGOT_FLOAT32);
  EXPECT(out, float, -256, -250, 0, 254);
  free(out.data);
  /* per channel int8 along axis 0 of [2, 2], and int32 without a zero point */
  const int8_t qc[4] = {-128, 127, 10, -10};
  const float s2[2] = {0.5f, 3.0f};
  const int8_t z2[2] = {127, -3};
  in[0] = view(INGOT_INT8, DIMS(2, 2), qc);
  in[1] = view(INGOT_FLOAT32, DIMS(2), s2);
  in[2] = view(INGOT_INT8, DIMS(2), z2);
  n.params.quantize.axis = 0;
  CHECK_OK(run_node(&n, ingot_cpu_dequantize, in, &out, 6, pool4));
  EXPECT(out, float, -127.5f, 0.0f, 39.0f, -21.0f);
  free(out.data);
  const int32_t q32[2] = {2147483647, -2147483647 - 1};
  in[0] = view(INGOT_INT32, DIMS(2), q32);
  in[1] = view(INGOT_FLOAT32, DIMS0(), &one);
  in[2] = absent();
  n.inputs = absent2_inputs;
  CHECK_OK(run_node(&n, ingot_cpu_dequantize, in, &out, 2, NULL));
  EXPECT(out, float, 2147483647.0f, -2147483648.0f);
  free(out.data);
  in[0] = view(INGOT_FLOAT32, DIMS(2), x);
  CHECK_FAILS(run_node(&n, ingot_cpu_dequantize, in, &out, 2, NULL), INGOT_INVALID_ARGUMENT, "input is float32");
}

/* ---- einsum ----------------------------------------------------------------------------------- */

static ingot_node einsum_node(const char *eq, int32_t nb_inputs) {
  ingot_node n = make_node(INGOT_OP_EINSUM, nb_inputs);
  snprintf(n.params.einsum.equation, sizeof n.params.einsum.equation, "%s", eq);
  return n;
}

static void test_einsum(void) {
  ingot_tensor_view out, in[2];
  /* matmul: [[1, 2], [3, 4]] x [[5, 6], [7, 8]] */
  const float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
  in[0] = view(INGOT_FLOAT32, DIMS(2, 2), a);
  in[1] = view(INGOT_FLOAT32, DIMS(2, 2), b);
  ingot_node n = einsum_node("ij,jk->ik", 2);
  CHECK_OK(run_node(&n, ingot_cpu_einsum, in, &out, 0, NULL));
  EXPECT(out, float, 19, 22, 43, 50);
  free(out.data);
  n = einsum_node("ij,jk", 2); /* implicit output: the same */
  CHECK_OK(run_node(&n, ingot_cpu_einsum, in, &out, 0, NULL));
  EXPECT(out, float, 19, 22, 43, 50);
  free(out.data);
  n = einsum_node("ij,ij->", 2); /* Frobenius product: 5 + 12 + 21 + 32 */
  CHECK_OK(run_node(&n, ingot_cpu_einsum, in, &out, 0, NULL));
  CHECK(dims_are(&out, DIMS0()));
  EXPECT(out, float, 70);
  free(out.data);
  n = einsum_node("ji", 1); /* implicit: letters sorted, so a transpose */
  CHECK_OK(run_node(&n, ingot_cpu_einsum, in, &out, 0, NULL));
  EXPECT(out, float, 1, 3, 2, 4);
  free(out.data);
  n = einsum_node("ii->i", 1); /* diagonal */
  CHECK_OK(run_node(&n, ingot_cpu_einsum, in, &out, 0, NULL));
  EXPECT(out, float, 1, 4);
  free(out.data);
  n = einsum_node("ii", 1); /* trace */
  CHECK_OK(run_node(&n, ingot_cpu_einsum, in, &out, 0, NULL));
  EXPECT(out, float, 5);
  free(out.data);
  /* broadcast '...': [2, 1, 2] with [2, 2] batch-matmuls per leading dim */
  const float c[4] = {1, 0, 0, 2};
  in[0] = view(INGOT_FLOAT32, DIMS(2, 1, 2), a);
  in[1] = view(INGOT_FLOAT32, DIMS(2, 2), c);
  n = einsum_node("...ij,jk->...ik", 2);
  CHECK_OK(run_node(&n, ingot_cpu_einsum, in, &out, 0, NULL));
  CHECK(dims_are(&out, DIMS(2, 1, 2)));
  EXPECT(out, float, 1, 4, 3, 8);
  free(out.data);
  /* outer product: nothing summed */
  in[0] = view(INGOT_FLOAT32, DIMS(2), a);
  in[1] = view(INGOT_FLOAT32, DIMS(3), b);
  n = einsum_node("i,j->ij", 2);
  CHECK_OK(run_node(&n, ingot_cpu_einsum, in, &out, 0, NULL));
  EXPECT(out, float, 5, 6, 7, 10, 12, 14);
  free(out.data);
  /* errors */
  in[0] = view(INGOT_FLOAT32, DIMS(2, 2), a);
  in[1] = view(INGOT_FLOAT32, DIMS(3, 1), b);
  n = einsum_node("ij,jk->ik", 2);
  CHECK_FAILS(run_node(&n, ingot_cpu_einsum, in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "'j' has extent 2");
  n = einsum_node("ij->i->j", 1);
  CHECK_FAILS(run_node(&n, ingot_cpu_einsum, in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "more than one '->'");
  n = einsum_node("ij->ii", 1);
  CHECK_FAILS(run_node(&n, ingot_cpu_einsum, in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "'i' repeats");
  n = einsum_node("i..j", 1);
  CHECK_FAILS(run_node(&n, ingot_cpu_einsum, in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "not part of an ellipsis");
  n = einsum_node("ij", 1);
  in[0] = view(INGOT_INT32, DIMS(2, 2), a);
  CHECK_FAILS(run_node(&n, ingot_cpu_einsum, in, &out, 0, NULL), INGOT_INVALID_GRAPH, "input 0 must be float32");

  /* random batched matmul with a transposed operand, pool, against a naive loop:
   * "bkj,bik->bij" */
  enum { B = 3, I = 17, J = 13, K = 29 };
  static float x[B * K * J], w[B * I * K], want[B * I * J];
  for (int i = 0; i < B * K * J; i++) x[i] = test_randf(&rng);
  for (int i = 0; i < B * I * K; i++) w[i] = test_randf(&rng);
  for (int bb = 0; bb < B; bb++)
    for (int i = 0; i < I; i++)
      for (int j = 0; j < J; j++) {
        double s = 0;
        for (int k = 0; k < K; k++) s += (double)x[(bb * K + k) * J + j] * w[(bb * I + i) * K + k];
        want[(bb * I + i) * J + j] = (float)s;
      }
  in[0] = view(INGOT_FLOAT32, DIMS(B, K, J), x);
  in[1] = view(INGOT_FLOAT32, DIMS(B, I, K), w);
  n = einsum_node("bkj,bik->bij", 2);
  CHECK_OK(run_node(&n, ingot_cpu_einsum, in, &out, 0, pool4));
  CHECK(dims_are(&out, DIMS(B, I, J)));
  int close = out.data != NULL;
  for (int i = 0; close && i < B * I * J; i++) close = fabsf(((float *)out.data)[i] - want[i]) <= 1e-5f;
  CHECK(close);
  free(out.data);
}

/* ---- value inputs of shuffle, slice and padding --------------------------------------------- */

static void test_value_inputs(void) {
  ingot_tensor_view out, in[4];
  const float x[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  /* shuffle: reshape dims [0, -1] (int32) from input 1 override the params */
  const int32_t dims32[2] = {0, -1};
  in[0] = view(INGOT_FLOAT32, DIMS(2, 3, 2), x);
  in[1] = view(INGOT_INT32, DIMS(2), dims32);
  ingot_node n = make_node(INGOT_OP_SHUFFLE, 2);
  n.params.shuffle.has_second_transpose = 1;
  memcpy(n.params.shuffle.second_transpose, (int32_t[]){1, 0, 2, 3, 4, 5, 6, 7}, 8 * sizeof(int32_t));
  CHECK_OK(run_node(&n, ingot_cpu_shuffle, in, &out, 2, NULL));
  CHECK(dims_are(&out, DIMS(6, 2)));
  EXPECT(out, float, 0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11);
  free(out.data);
  n.name = "reshape_node";
  CHECK_FAILS(run_node(&n, ingot_cpu_shuffle, in, &out, 0, NULL), INGOT_UNSUPPORTED,
              "layer 'reshape_node' (shuffle): reshape dims must be known when input shapes are set");
  const float bad[2] = {1, 2};
  in[1] = view(INGOT_FLOAT32, DIMS(2), bad);
  CHECK_FAILS(run_node(&n, ingot_cpu_shuffle, in, &out, 2, NULL), INGOT_INVALID_ARGUMENT,
              "reshape dims (input 1) is float32");

  /* slice of [3, 4]: start from params, size from input 2, stride from input 3; input 1
   * absent */
  const int64_t size[2] = {2, 2}, stride[2] = {2, -3};
  in[0] = view(INGOT_FLOAT32, DIMS(3, 4), x);
  in[1] = absent();
  in[2] = view(INGOT_INT64, DIMS(2), size);
  in[3] = view(INGOT_INT64, DIMS(2), stride);
  n = make_node(INGOT_OP_SLICE, 4);
  n.inputs = absent1_inputs;
  n.params.slice.start = DIMS(0, 3);
  n.params.slice.size = DIMS(1, 1);
  n.params.slice.stride = DIMS(1, 1);
  CHECK_OK(run_node(&n, ingot_cpu_slice, in, &out, 12, NULL));
  CHECK(dims_are(&out, DIMS(2, 2)));
  EXPECT(out, float, 3, 0, 11, 8);
  free(out.data);
  /* a start from input 1 that reads outside the input is refused at infer */
  const int64_t start[2] = {2, 3};
  in[1] = view(INGOT_INT64, DIMS(2), start);
  n.inputs = node_inputs;
  CHECK_FAILS(run_node(&n, ingot_cpu_slice, in, &out, 14, NULL), INGOT_INVALID_ARGUMENT, "reads outside");
  CHECK_FAILS(run_node(&n, ingot_cpu_slice, in, &out, 12, NULL), INGOT_UNSUPPORTED,
              "slice start must be known when input shapes are set");

  /* padding: pads [pre..., post...] from input 1, reflect */
  const int64_t pads[4] = {0, 2, 1, -1};
  in[0] = view(INGOT_FLOAT32, DIMS(2, 3), x);
  in[1] = view(INGOT_INT64, DIMS(4), pads);
  n = make_node(INGOT_OP_PADDING, 2);
  n.params.padding.mode = INGOT_PAD_REFLECT;
  n.params.padding.nb_dims = 2;
  CHECK_OK(run_node(&n, ingot_cpu_padding, in, &out, 2, pool4));
  CHECK(dims_are(&out, DIMS(3, 4)));
  /* columns read: -2 -> 2, -1 -> 1, 0, 1 (the last cropped); rows 0, 1, then 2 -> 0 */
  EXPECT(out, float, 2, 1, 0, 1, 5, 4, 3, 4, 2, 1, 0, 1);
  free(out.data);
  in[1] = view(INGOT_INT64, DIMS(3), pads);
  CHECK_FAILS(run_node(&n, ingot_cpu_padding, in, &out, 2, NULL), INGOT_INVALID_ARGUMENT, "an even count");
}

int main(void) {
  CHECK_OK(ingot_thread_pool_create(4, &pool4));
  test_fill();
  test_range();
  test_gather_elements();
  test_gather_nd();
  test_scatter();
  test_cumulative();
  test_expand_tile();
  test_quantize();
  test_einsum();
  test_value_inputs();
  ingot_thread_pool_destroy(pool4);
  TEST_EXIT();
}
