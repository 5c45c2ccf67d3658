/* Kernel tier: shape inference and the scalar CPU kernels of the data movement ops
 * (shuffle, concatenation, slice, gather, padding, identity, cast, topk) and constant's
 * infer. Nodes are built here and infer + run are called directly. Small cases have
 * values worked out by hand; large random ones are checked against naive per-element
 * references written here (two-stage for shuffle), with and without a thread pool.
 * Outputs carry guard bytes after their end and start filled with junk. */
#include <stdint.h>

#include "backend/cpu/cpu_kernels.h"
#include "core/dims.h"
#include "core/thread_pool.h"
#include "test_util.h"

#define GUARD 64
typedef ingot_status (*kernel_fn)(const ingot_kernel_args *);

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static ingot_thread_pool *pool4;

/* ---- harness ------------------------------------------------------------------------ */

static int32_t node_inputs[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static ingot_node make_node(ingot_op op, int32_t nb_inputs, int32_t nb_outputs) {
  ingot_node n;
  memset(&n, 0, sizeof n);
  n.name = "k3";
  n.op = op;
  n.nb_inputs = nb_inputs;
  n.inputs = node_inputs;
  n.nb_outputs = nb_outputs;
  for (int32_t i = 0; i < nb_outputs; i++) n.outputs[i] = 100 + i;
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

static ingot_tensor_view view(ingot_dtype dt, ingot_dims d, void *data) {
  ingot_tensor_view v;
  v.dtype = dt;
  v.dims = d;
  v.data = data;
  return v;
}

static size_t bytes_of(const ingot_tensor_view *v) {
  return (size_t)ingot_dims_volume(&v->dims) * ingot_dtype_size(v->dtype);
}

/* Infers the outputs, allocates them (junk-filled, guard bytes after), runs the kernel
 * and checks the guards. Inputs whose bit is in const_mask are shown to infer as
 * constants. The caller frees outs[k].data (NULL when infer failed). */
static ingot_status run_node(ingot_node *node, kernel_fn kernel, const ingot_tensor_view *ins, ingot_tensor_view *outs,
                             uint32_t const_mask, ingot_thread_pool *pool) {
  ingot_value_info vi[16], vo[INGOT_MAX_OUTPUTS];
  memset(vi, 0, sizeof vi);
  memset(vo, 0, sizeof vo);
  for (int32_t i = 0; i < node->nb_inputs; i++) {
    vi[i].dtype = ins[i].dtype;
    vi[i].dims = ins[i].dims;
    vi[i].data = (const_mask >> i) & 1 ? ins[i].data : NULL;
  }
  for (int32_t k = 0; k < node->nb_outputs; k++) {
    vo[k].dims.nb_dims = -1;
    outs[k].data = NULL;
  }
  ingot_status st = ingot_op_infer(node->op)(node, vi, vo);
  if (st != INGOT_SUCCESS) return st;
  for (int32_t k = 0; k < node->nb_outputs; k++) {
    outs[k] = view(vo[k].dtype, vo[k].dims, NULL);
    size_t b = bytes_of(&outs[k]);
    unsigned char *p = malloc(b + GUARD);
    memset(p, 0x5A, b);
    memset(p + b, 0xA5, GUARD);
    outs[k].data = p;
  }
  ingot_kernel_args args;
  memset(&args, 0, sizeof args);
  args.node = node;
  args.params = &node->params;
  args.nb_inputs = node->nb_inputs;
  args.inputs = ins;
  args.nb_outputs = node->nb_outputs;
  args.outputs = outs;
  args.pool = pool;
  void *ws = NULL;
  if (node->op == INGOT_OP_TOPK) {
    args.workspace_size = ingot_cpu_topk_workspace(&args);
    ws = args.workspace_size ? malloc(args.workspace_size) : NULL;
    args.workspace = ws;
  }
  st = kernel(&args);
  free(ws);
  for (int32_t k = 0; k < node->nb_outputs; k++) {
    const unsigned char *g = (const unsigned char *)outs[k].data + bytes_of(&outs[k]);
    for (int i = 0; i < GUARD; i++)
      if (g[i] != 0xA5) {
        fprintf(stderr, "output %d of %s: guard byte %d overwritten\n", k, ingot_op_name(node->op), i);
        test_failures++;
        break;
      }
  }
  return st;
}

static void free_outs(ingot_tensor_view *outs, int n) {
  for (int i = 0; i < n; i++) free(outs[i].data), outs[i].data = NULL;
}

/* Random contents: any bit pattern for data movement (compared as bytes), 0/1 for bool,
 * floats in [-1, 1) for float32. Never all zeros. */
static void *random_buffer(ingot_dtype dt, int64_t n) {
  size_t es = ingot_dtype_size(dt);
  unsigned char *p = malloc((size_t)n * es + 1);
  for (int64_t i = 0; i < n; i++) {
    if (dt == INGOT_FLOAT32) {
      float f = test_randf(&rng);
      memcpy(p + i * 4, &f, 4);
    } else if (dt == INGOT_BOOL) {
      p[i] = test_randf(&rng) > 0.0f;
    } else {
      for (size_t b = 0; b < es; b++) p[i * es + b] = (unsigned char)((test_randf(&rng) + 1.0f) * 127.9f);
    }
  }
  return p;
}

static void unravel(int64_t flat, const ingot_dims *d, int64_t *idx) {
  for (int32_t k = d->nb_dims - 1; k >= 0; k--) {
    idx[k] = flat % d->d[k];
    flat /= d->d[k];
  }
}
static int64_t ravel(const int64_t *idx, const ingot_dims *d) {
  int64_t f = 0;
  for (int32_t k = 0; k < d->nb_dims; k++) f = f * d->d[k] + idx[k];
  return f;
}

/* Naive transpose: out dim i = in dim perm[i]. */
static void ref_transpose(const void *src, const ingot_dims *in, const int32_t *perm, size_t es, void *dst) {
  ingot_dims out = *in;
  for (int32_t i = 0; i < in->nb_dims; i++) out.d[i] = in->d[perm[i]];
  int64_t n = ingot_dims_volume(in), oi[INGOT_MAX_DIMS], ii[INGOT_MAX_DIMS];
  for (int64_t e = 0; e < n; e++) {
    unravel(e, &out, oi);
    for (int32_t i = 0; i < in->nb_dims; i++) ii[perm[i]] = oi[i];
    memcpy((char *)dst + e * es, (const char *)src + ravel(ii, in) * es, es);
  }
}

static int bytes_equal(const void *a, const void *b, size_t n, const char *what) {
  if (memcmp(a, b, n) == 0) return 1;
  fprintf(stderr, "%s: output differs from the reference\n", what);
  return 0;
}

static const ingot_dtype move_dtypes[] = {INGOT_FLOAT32, INGOT_FLOAT16, INGOT_INT8, INGOT_INT64, INGOT_BOOL};
#define NB_MOVE_DTYPES 5

/* ---- shuffle ------------------------------------------------------------------------ */

static ingot_node shuffle_node(const int32_t *t1, int32_t n1, const ingot_dims *reshape, int zero_literal,
                               const int32_t *t2, int32_t n2) {
  ingot_node n = make_node(INGOT_OP_SHUFFLE, 1, 1);
  ingot_shuffle_params *p = &n.params.shuffle;
  if (t1) {
    p->has_first_transpose = 1;
    memcpy(p->first_transpose, t1, (size_t)n1 * sizeof(int32_t));
  }
  if (reshape) {
    p->has_reshape = 1;
    p->reshape_dims = *reshape;
    p->zero_is_literal = zero_literal;
  }
  if (t2) {
    p->has_second_transpose = 1;
    memcpy(p->second_transpose, t2, (size_t)n2 * sizeof(int32_t));
  }
  return n;
}

static void test_shuffle_small(void) {
  ingot_tensor_view out;
  /* [2,3] transposed: [[1,2,3],[4,5,6]] -> [[1,4],[2,5],[3,6]] */
  float x[6] = {1, 2, 3, 4, 5, 6};
  ingot_tensor_view in = view(INGOT_FLOAT32, DIMS(2, 3), x);
  ingot_node n = shuffle_node((int32_t[]){1, 0}, 2, NULL, 0, NULL, 0);
  CHECK_OK(run_node(&n, ingot_cpu_shuffle, &in, &out, 0, NULL));
  CHECK(out.dims.nb_dims == 2 && out.dims.d[0] == 3 && out.dims.d[1] == 2);
  const float want[6] = {1, 4, 2, 5, 3, 6};
  CHECK(memcmp(out.data, want, sizeof want) == 0);
  free_outs(&out, 1);

  /* 0 copies the dim, -1 is inferred: int8 [2,3,4] -> {0,-1} -> [2,12], same bytes */
  int8_t *b = random_buffer(INGOT_INT8, 24);
  in = view(INGOT_INT8, DIMS(2, 3, 4), b);
  ingot_dims r = DIMS(0, -1);
  n = shuffle_node(NULL, 0, &r, 0, NULL, 0);
  CHECK_OK(run_node(&n, ingot_cpu_shuffle, &in, &out, 0, NULL));
  CHECK(out.dims.nb_dims == 2 && out.dims.d[0] == 2 && out.dims.d[1] == 12);
  CHECK(memcmp(out.data, b, 24) == 0);
  free_outs(&out, 1);
  free(b);

  /* reshape then second transpose: int64 0..5 -> [2,3] -> T = [[0,3],[1,4],[2,5]] */
  int64_t v[6] = {10, 11, 12, 13, 14, 15};
  in = view(INGOT_INT64, DIMS(6), v);
  r = DIMS(2, 3);
  n = shuffle_node(NULL, 0, &r, 0, (int32_t[]){1, 0}, 2);
  CHECK_OK(run_node(&n, ingot_cpu_shuffle, &in, &out, 0, NULL));
  const int64_t want64[6] = {10, 13, 11, 14, 12, 15};
  CHECK(out.dims.d[0] == 3 && out.dims.d[1] == 2 && memcmp(out.data, want64, sizeof want64) == 0);
  free_outs(&out, 1);

  /* zero_is_literal: a 0 is a zero-sized dim */
  in = view(INGOT_FLOAT32, DIMS(2, 0, 3), x);
  r = DIMS(3, 0);
  n = shuffle_node(NULL, 0, &r, 1, NULL, 0);
  CHECK_OK(run_node(&n, ingot_cpu_shuffle, &in, &out, 0, NULL));
  CHECK(out.dims.nb_dims == 2 && out.dims.d[0] == 3 && out.dims.d[1] == 0);
  free_outs(&out, 1);
  r = DIMS(0, -1);
  n = shuffle_node(NULL, 0, &r, 1, NULL, 0);
  CHECK_FAILS(run_node(&n, ingot_cpu_shuffle, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "cannot infer the -1");

  /* reshape to a scalar and back */
  in = view(INGOT_FLOAT32, DIMS(1, 1), x);
  ingot_dims scalar = DIMS0();
  n = shuffle_node(NULL, 0, &scalar, 0, NULL, 0);
  CHECK_OK(run_node(&n, ingot_cpu_shuffle, &in, &out, 0, NULL));
  CHECK(out.dims.nb_dims == 0 && ((float *)out.data)[0] == 1.0f);
  free_outs(&out, 1);

  /* errors */
  in = view(INGOT_FLOAT32, DIMS(3, 4), x);
  n = shuffle_node((int32_t[]){0, 0}, 2, NULL, 0, NULL, 0);
  CHECK_FAILS(run_node(&n, ingot_cpu_shuffle, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT,
              "layer 'k3' (shuffle): first_transpose {0, 0} is not a permutation");
  n = shuffle_node((int32_t[]){0, 1, 2}, 3, NULL, 0, NULL, 0); /* reads 3 entries for a rank-2 input: only 0, 1 */
  n.params.shuffle.first_transpose[1] = 2;
  CHECK_FAILS(run_node(&n, ingot_cpu_shuffle, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "not a permutation");
  r = DIMS(2, 5);
  n = shuffle_node(NULL, 0, &r, 0, NULL, 0);
  CHECK_FAILS(run_node(&n, ingot_cpu_shuffle, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT,
              "reshape to 2x5 (10 elements) does not match input 3x4 (12 elements)");
  r = DIMS(-1, -1);
  n = shuffle_node(NULL, 0, &r, 0, NULL, 0);
  CHECK_FAILS(run_node(&n, ingot_cpu_shuffle, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "-1 at both 0 and 1");
  r = DIMS(5, -1);
  n = shuffle_node(NULL, 0, &r, 0, NULL, 0);
  CHECK_FAILS(run_node(&n, ingot_cpu_shuffle, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "3x4");
  r = DIMS(0, 0, 0);
  n = shuffle_node(NULL, 0, &r, 0, NULL, 0);
  CHECK_FAILS(run_node(&n, ingot_cpu_shuffle, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "has only 2 dims");
  r = DIMS(12);
  n = shuffle_node(NULL, 0, &r, 0, (int32_t[]){1, 0}, 2);
  CHECK_FAILS(run_node(&n, ingot_cpu_shuffle, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "second_transpose");
}

/* Random shuffles on every dtype against a two-stage reference: transpose, (reshape: no
 * data moves), transpose. Covers each kernel path: copy, first only, second only, both
 * composed (no reshape) and the general element map (both, reshape regrouping). */
static void test_shuffle_random(void) {
  struct {
    int64_t in[4];
    int32_t rank;
    int32_t t1[4];
    int has_t1;
    int64_t reshape[4];
    int32_t reshape_rank; /* 0: no reshape */
    int32_t t2[4];
    int has_t2;
  } cases[] = {
      {{3, 5, 7, 2}, 4, {2, 0, 3, 1}, 1, {0}, 0, {0}, 0},
      {{3, 5, 7, 2}, 4, {0}, 0, {15, -1}, 2, {1, 0}, 1},
      {{3, 5, 7, 2}, 4, {1, 0, 2, 3}, 1, {0}, 0, {3, 2, 0, 1}, 1},
      {{3, 5, 7, 2}, 4, {2, 0, 1, 3}, 1, {0, 15, 2}, 3, {2, 0, 1}, 1},
      {{3, 5, 7, 2}, 4, {3, 1, 2, 0}, 1, {-1, 21}, 2, {1, 0}, 1},
      {{3, 5, 7, 2}, 4, {0}, 0, {0, 0, 14}, 3, {0}, 0},
      {{64, 33, 40}, 3, {2, 0, 1}, 1, {40, -1}, 2, {1, 0}, 1}, /* large: parallel general path */
      {{64, 33, 40}, 3, {1, 2, 0}, 1, {0}, 0, {0}, 0},            /* large: parallel strided copy */
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    for (int t = 0; t < NB_MOVE_DTYPES; t++) {
      ingot_dtype dt = move_dtypes[t];
      size_t es = ingot_dtype_size(dt);
      ingot_dims in_d = dims_of(cases[c].rank, cases[c].in);
      int64_t vol = ingot_dims_volume(&in_d);
      void *x = random_buffer(dt, vol);
      ingot_dims r = dims_of(cases[c].reshape_rank, cases[c].reshape);
      ingot_node n = shuffle_node(cases[c].has_t1 ? cases[c].t1 : NULL, cases[c].rank, cases[c].reshape_rank ? &r : NULL,
                                  0, cases[c].has_t2 ? cases[c].t2 : NULL,
                                  cases[c].reshape_rank ? cases[c].reshape_rank : cases[c].rank);
      /* reference */
      char *stage = malloc((size_t)vol * es), *want = malloc((size_t)vol * es);
      ingot_dims mid = in_d;
      if (cases[c].has_t1) {
        ref_transpose(x, &in_d, cases[c].t1, es, stage);
        for (int32_t i = 0; i < in_d.nb_dims; i++) mid.d[i] = in_d.d[cases[c].t1[i]];
      } else {
        memcpy(stage, x, (size_t)vol * es);
      }
      if (cases[c].reshape_rank) {
        ingot_dims rr = r;
        int64_t known = 1;
        int32_t minus = -1;
        for (int32_t i = 0; i < rr.nb_dims; i++) {
          if (rr.d[i] == 0) rr.d[i] = mid.d[i];
          if (rr.d[i] == -1) minus = i;
          else known *= rr.d[i];
        }
        if (minus >= 0) rr.d[minus] = vol / known;
        mid = rr;
      }
      if (cases[c].has_t2) ref_transpose(stage, &mid, cases[c].t2, es, want);
      else memcpy(want, stage, (size_t)vol * es);

      ingot_tensor_view in = view(dt, in_d, x), out;
      CHECK_OK(run_node(&n, ingot_cpu_shuffle, &in, &out, 0, NULL));
      if (out.data) CHECK(bytes_equal(out.data, want, (size_t)vol * es, "shuffle (serial)"));
      free_outs(&out, 1);
      CHECK_OK(run_node(&n, ingot_cpu_shuffle, &in, &out, 0, pool4));
      if (out.data) CHECK(bytes_equal(out.data, want, (size_t)vol * es, "shuffle (pool)"));
      free_outs(&out, 1);
      free(stage);
      free(want);
      free(x);
    }
  }
}

/* ---- concatenation ------------------------------------------------------------------ */

static void test_concat(void) {
  /* hand-worked: axis 1 of [2,1] and [2,2] int32 */
  int32_t a[2] = {1, 2}, b[4] = {30, 31, 40, 41};
  ingot_tensor_view ins[3] = {view(INGOT_INT32, DIMS(2, 1), a), view(INGOT_INT32, DIMS(2, 2), b)}, out;
  ingot_node n = make_node(INGOT_OP_CONCATENATION, 2, 1);
  n.params.concat.axis = -1;
  CHECK_OK(run_node(&n, ingot_cpu_concatenation, ins, &out, 0, NULL));
  const int32_t want[6] = {1, 30, 31, 2, 40, 41};
  CHECK(out.dims.d[0] == 2 && out.dims.d[1] == 3 && memcmp(out.data, want, sizeof want) == 0);
  free_outs(&out, 1);

  /* random, three inputs of different sizes on the first, middle and last axis */
  for (int axis = 0; axis < 3; axis++) {
    for (int t = 0; t < NB_MOVE_DTYPES; t++) {
      ingot_dtype dt = move_dtypes[t];
      size_t es = ingot_dtype_size(dt);
      int64_t sizes[3] = {3, 1, 5};
      int large = t == 0; /* one big case per axis to go through the pool */
      ingot_dims base = large ? DIMS(40, 30, 70) : DIMS(2, 3, 4);
      void *xs[3];
      ingot_dims ds[3];
      for (int k = 0; k < 3; k++) {
        ds[k] = base;
        ds[k].d[axis] = sizes[k];
        xs[k] = random_buffer(dt, ingot_dims_volume(&ds[k]));
        ins[k] = view(dt, ds[k], xs[k]);
      }
      n = make_node(INGOT_OP_CONCATENATION, 3, 1);
      n.params.concat.axis = axis == 2 ? -1 : axis;
      CHECK_OK(run_node(&n, ingot_cpu_concatenation, ins, &out, 0, large ? pool4 : NULL));
      ingot_dims od = base;
      od.d[axis] = 9;
      CHECK(ingot_dims_equal(&out.dims, &od));
      int64_t vol = ingot_dims_volume(&od), idx[3];
      char *want = malloc((size_t)vol * es);
      for (int64_t e = 0; e < vol; e++) {
        unravel(e, &od, idx);
        int k = 0;
        while (idx[axis] >= sizes[k]) idx[axis] -= sizes[k++];
        memcpy(want + e * es, (char *)xs[k] + ravel(idx, &ds[k]) * es, es);
      }
      if (out.data) CHECK(bytes_equal(out.data, want, (size_t)vol * es, "concatenation"));
      free(want);
      free_outs(&out, 1);
      for (int k = 0; k < 3; k++) free(xs[k]);
    }
  }

  /* errors name the input and its dims */
  float f[64];
  ins[0] = view(INGOT_FLOAT32, DIMS(2, 3), f);
  ins[1] = view(INGOT_FLOAT32, DIMS(2, 4), f);
  ins[2] = view(INGOT_FLOAT32, DIMS(3, 4), f);
  n = make_node(INGOT_OP_CONCATENATION, 3, 1);
  n.params.concat.axis = 1;
  CHECK_FAILS(run_node(&n, ingot_cpu_concatenation, ins, &out, 0, NULL), INGOT_INVALID_ARGUMENT,
              "input 2 has dims 3x4, which differ from input 0 (2x3) in dim 0");
  ins[2] = view(INGOT_INT32, DIMS(2, 4), f);
  CHECK_FAILS(run_node(&n, ingot_cpu_concatenation, ins, &out, 0, NULL), INGOT_INVALID_ARGUMENT,
              "input 2 is int32, expected float32");
  ins[2] = view(INGOT_FLOAT32, DIMS(2, 4, 1), f);
  CHECK_FAILS(run_node(&n, ingot_cpu_concatenation, ins, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "rank 3");
  n.params.concat.axis = 2;
  ins[2] = view(INGOT_FLOAT32, DIMS(2, 4), f);
  CHECK_FAILS(run_node(&n, ingot_cpu_concatenation, ins, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "axis 2");
}

/* ---- slice -------------------------------------------------------------------------- */

static ingot_node slice_node(ingot_dims start, ingot_dims size, ingot_dims stride) {
  ingot_node n = make_node(INGOT_OP_SLICE, 1, 1);
  n.params.slice.start = start;
  n.params.slice.size = size;
  n.params.slice.stride = stride;
  return n;
}

static void test_slice(void) {
  /* [5,7] with x[r][c] = 10r + c: rows 1,3 (stride 2), cols 6,4,2 (stride -2) */
  float x[35];
  for (int i = 0; i < 35; i++) x[i] = (float)(10 * (i / 7) + i % 7);
  ingot_tensor_view in = view(INGOT_FLOAT32, DIMS(5, 7), x), out;
  ingot_node n = slice_node(DIMS(1, 6), DIMS(2, 3), DIMS(2, -2));
  CHECK_OK(run_node(&n, ingot_cpu_slice, &in, &out, 0, NULL));
  const float want[6] = {16, 14, 12, 36, 34, 32};
  CHECK(out.dims.d[0] == 2 && out.dims.d[1] == 3 && memcmp(out.data, want, sizeof want) == 0);
  free_outs(&out, 1);

  /* random: odd sizes, mixed strides, every dtype, serial and pooled */
  struct {
    int64_t in[3], start[3], size[3], stride[3];
  } cases[] = {
      {{7, 9, 5}, {6, 0, 1}, {3, 5, 3}, {-3, 2, 1}},
      {{7, 9, 5}, {0, 8, 4}, {7, 9, 5}, {1, -1, -1}},
      {{7, 9, 5}, {2, 3, 0}, {1, 1, 5}, {1, 1, 1}},
      {{7, 9, 5}, {3, 4, 2}, {5, 3, 1}, {0, -2, 7}}, /* stride 0 repeats */
      {{61, 47, 129}, {60, 1, 128}, {31, 23, 43}, {-2, 2, -3}},
      {{61, 47, 129}, {1, 0, 3}, {59, 47, 120}, {1, 1, 1}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    for (int t = 0; t < NB_MOVE_DTYPES; t++) {
      ingot_dtype dt = move_dtypes[t];
      size_t es = ingot_dtype_size(dt);
      ingot_dims d = dims_of(3, cases[c].in), sz = dims_of(3, cases[c].size);
      void *data = random_buffer(dt, ingot_dims_volume(&d));
      in = view(dt, d, data);
      n = slice_node(dims_of(3, cases[c].start), sz, dims_of(3, cases[c].stride));
      int64_t vol = ingot_dims_volume(&sz), oi[3], ii[3];
      char *want = malloc((size_t)vol * es);
      for (int64_t e = 0; e < vol; e++) {
        unravel(e, &sz, oi);
        for (int k = 0; k < 3; k++) ii[k] = cases[c].start[k] + oi[k] * cases[c].stride[k];
        memcpy(want + e * es, (char *)data + ravel(ii, &d) * es, es);
      }
      for (int pooled = 0; pooled < 2; pooled++) {
        CHECK_OK(run_node(&n, ingot_cpu_slice, &in, &out, 0, pooled ? pool4 : NULL));
        CHECK(ingot_dims_equal(&out.dims, &sz));
        if (out.data) CHECK(bytes_equal(out.data, want, (size_t)vol * es, "slice"));
        free_outs(&out, 1);
      }
      free(want);
      free(data);
    }
  }

  /* zero size: reads nothing, so start may be anywhere */
  in = view(INGOT_FLOAT32, DIMS(5, 7), x);
  n = slice_node(DIMS(9, 0), DIMS(0, 3), DIMS(1, 1));
  CHECK_OK(run_node(&n, ingot_cpu_slice, &in, &out, 0, NULL));
  CHECK(out.dims.d[0] == 0 && out.dims.d[1] == 3);
  free_outs(&out, 1);
  /* errors: reading past the end, before the start, wrong rank */
  n = slice_node(DIMS(0, 2), DIMS(5, 4), DIMS(1, 2));
  CHECK_FAILS(run_node(&n, ingot_cpu_slice, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT,
              "dim 1: start 2, size 4, stride 2 reads outside [0, 7)");
  n = slice_node(DIMS(0, 1), DIMS(5, 3), DIMS(1, -1));
  CHECK_FAILS(run_node(&n, ingot_cpu_slice, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "stride -1 reads outside");
  n = slice_node(DIMS(5, 0), DIMS(1, 3), DIMS(1, 1));
  CHECK_FAILS(run_node(&n, ingot_cpu_slice, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "dim 0: start 5");
  n = slice_node(DIMS(0), DIMS(1, 3), DIMS(1, 1));
  CHECK_FAILS(run_node(&n, ingot_cpu_slice, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "start has 1 dims, expected 2");
}

/* ---- gather ------------------------------------------------------------------------- */

static void test_gather(void) {
  /* data [3,5] (10r + c), int32 indices [[4,-1],[0,-5]] on axis 1 -> [3,2,2] */
  float x[15];
  for (int i = 0; i < 15; i++) x[i] = (float)(10 * (i / 5) + i % 5) + 0.5f;
  int32_t idx32[4] = {4, -1, 0, -5};
  ingot_tensor_view ins[2] = {view(INGOT_FLOAT32, DIMS(3, 5), x), view(INGOT_INT32, DIMS(2, 2), idx32)}, out;
  ingot_node n = make_node(INGOT_OP_GATHER, 2, 1);
  n.params.gather.axis = 1;
  CHECK_OK(run_node(&n, ingot_cpu_gather, ins, &out, 0, NULL));
  CHECK(out.dims.nb_dims == 3 && out.dims.d[0] == 3 && out.dims.d[1] == 2 && out.dims.d[2] == 2);
  const float want[12] = {4.5f, 4.5f, 0.5f, 0.5f, 14.5f, 14.5f, 10.5f, 10.5f, 24.5f, 24.5f, 20.5f, 20.5f};
  if (out.data) CHECK(memcmp(out.data, want, sizeof want) == 0);
  free_outs(&out, 1);

  /* int64 indices, axis 0 (negative axis spelling), int8 data: rows -3 -> 0, 2 */
  int8_t x8[15];
  for (int i = 0; i < 15; i++) x8[i] = (int8_t)(i * 7 - 50);
  int64_t idx64[3] = {-3, 2, -1};
  ins[0] = view(INGOT_INT8, DIMS(3, 5), x8);
  ins[1] = view(INGOT_INT64, DIMS(3), idx64);
  n.params.gather.axis = -2;
  CHECK_OK(run_node(&n, ingot_cpu_gather, ins, &out, 0, NULL));
  CHECK(out.dims.nb_dims == 2 && out.dims.d[0] == 3 && out.dims.d[1] == 5);
  if (out.data) {
    CHECK(memcmp(out.data, x8, 5) == 0);
    CHECK(memcmp((int8_t *)out.data + 5, x8 + 10, 5) == 0);
    CHECK(memcmp((int8_t *)out.data + 10, x8 + 10, 5) == 0);
  }
  free_outs(&out, 1);

  /* scalar index removes the axis */
  int64_t one = 1;
  ins[0] = view(INGOT_FLOAT32, DIMS(3, 5), x);
  ins[1] = view(INGOT_INT64, DIMS0(), &one);
  n.params.gather.axis = 1;
  CHECK_OK(run_node(&n, ingot_cpu_gather, ins, &out, 0, NULL));
  CHECK(out.dims.nb_dims == 1 && out.dims.d[0] == 3);
  if (out.data) CHECK(((float *)out.data)[2] == 21.5f);
  free_outs(&out, 1);

  /* random on every dtype, middle axis, against a naive reference */
  for (int t = 0; t < NB_MOVE_DTYPES; t++) {
    ingot_dtype dt = move_dtypes[t];
    size_t es = ingot_dtype_size(dt);
    ingot_dims dd = DIMS(6, 9, 130);
    void *data = random_buffer(dt, ingot_dims_volume(&dd));
    int32_t id[2 * 7];
    for (int i = 0; i < 14; i++) id[i] = (int32_t)((test_randf(&rng) + 1.0f) * 9.0f) - 9; /* [-9, 9) */
    ins[0] = view(dt, dd, data);
    ins[1] = view(INGOT_INT32, DIMS(2, 7), id);
    n.params.gather.axis = 1;
    ingot_dims od = DIMS(6, 2, 7, 130);
    int64_t vol = ingot_dims_volume(&od), oi[4];
    char *w = malloc((size_t)vol * es);
    for (int64_t e = 0; e < vol; e++) {
      unravel(e, &od, oi);
      int64_t k = id[oi[1] * 7 + oi[2]];
      if (k < 0) k += 9;
      memcpy(w + e * es, (char *)data + ((oi[0] * 9 + k) * 130 + oi[3]) * es, es);
    }
    for (int pooled = 0; pooled < 2; pooled++) {
      CHECK_OK(run_node(&n, ingot_cpu_gather, ins, &out, 0, pooled ? pool4 : NULL));
      CHECK(ingot_dims_equal(&out.dims, &od));
      if (out.data) CHECK(bytes_equal(out.data, w, (size_t)vol * es, "gather"));
      free_outs(&out, 1);
    }
    free(w);
    free(data);
  }

  /* out of range at run time, both ends and both index dtypes; constant indices at infer */
  ins[0] = view(INGOT_FLOAT32, DIMS(3, 5), x);
  int32_t bad32[3] = {1, 7, 0};
  ins[1] = view(INGOT_INT32, DIMS(3), bad32);
  n.params.gather.axis = 1;
  CHECK_FAILS(run_node(&n, ingot_cpu_gather, ins, &out, 0, NULL), INGOT_RUNTIME_ERROR,
              "layer 'k3' (gather): index 7 out of range [-5, 5) on axis 1");
  free_outs(&out, 1);
  int64_t bad64[2] = {-6, 0};
  ins[1] = view(INGOT_INT64, DIMS(2), bad64);
  CHECK_FAILS(run_node(&n, ingot_cpu_gather, ins, &out, 0, NULL), INGOT_RUNTIME_ERROR,
              "index -6 out of range [-5, 5) on axis 1");
  free_outs(&out, 1);
  CHECK_FAILS(run_node(&n, ingot_cpu_gather, ins, &out, 2, NULL), INGOT_INVALID_ARGUMENT,
              "index -6 out of range [-5, 5) on axis 1");
  float fidx[2] = {0, 1};
  ins[1] = view(INGOT_FLOAT32, DIMS(2), fidx);
  CHECK_FAILS(run_node(&n, ingot_cpu_gather, ins, &out, 0, NULL), INGOT_INVALID_ARGUMENT,
              "indices are float32, expected int32 or int64");
  ins[1] = view(INGOT_INT32, DIMS(3), bad32);
  n.params.gather.axis = 2;
  CHECK_FAILS(run_node(&n, ingot_cpu_gather, ins, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "axis 2 is out of range");
}

/* ---- padding ------------------------------------------------------------------------ */

static ingot_node pad_node(int32_t rank, const int64_t *pre, const int64_t *post, ingot_pad_mode mode, float value) {
  ingot_node n = make_node(INGOT_OP_PADDING, 1, 1);
  n.params.padding.nb_dims = rank;
  n.params.padding.mode = mode;
  n.params.padding.value = value;
  for (int32_t i = 0; i < rank; i++) {
    n.params.padding.pre_padding[i] = pre[i];
    n.params.padding.post_padding[i] = post[i];
  }
  return n;
}

static void check_pad_1d(ingot_pad_mode mode, int64_t pre, int64_t post, const float *want, int64_t n_want) {
  float x[4] = {1, 2, 3, 4};
  ingot_tensor_view in = view(INGOT_FLOAT32, DIMS(4), x), out;
  ingot_node n = pad_node(1, &pre, &post, mode, -7.0f);
  CHECK_OK(run_node(&n, ingot_cpu_padding, &in, &out, 0, NULL));
  CHECK(out.dims.nb_dims == 1 && out.dims.d[0] == n_want);
  if (out.data && out.dims.d[0] == n_want && memcmp(out.data, want, (size_t)n_want * 4) != 0) {
    fprintf(stderr, "pad mode %d pre %lld post %lld: got", mode, (long long)pre, (long long)post);
    for (int64_t i = 0; i < n_want; i++) fprintf(stderr, " %g", ((float *)out.data)[i]);
    fprintf(stderr, "\n");
    test_failures++;
  }
  free_outs(&out, 1);
}

/* numpy.pad (positive pads) then crop (negative pads), written per element. */
static int64_t ref_pad_index(int64_t i, int64_t n, ingot_pad_mode mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case INGOT_PAD_CONSTANT: return -1;
    case INGOT_PAD_EDGE: return i < 0 ? 0 : n - 1;
    case INGOT_PAD_REFLECT: return i < 0 ? -i : 2 * (n - 1) - i; /* one reflection: pad < n */
    default: return ((i % n) + n) % n;
  }
}

static void test_padding(void) {
  /* 1-D by hand against numpy.pad([1,2,3,4], ...) */
  check_pad_1d(INGOT_PAD_CONSTANT, 2, 1, (const float[]){-7, -7, 1, 2, 3, 4, -7}, 7);
  check_pad_1d(INGOT_PAD_REFLECT, 2, 1, (const float[]){3, 2, 1, 2, 3, 4, 3}, 7);
  check_pad_1d(INGOT_PAD_REFLECT, 3, 3, (const float[]){4, 3, 2, 1, 2, 3, 4, 3, 2, 1}, 10);
  check_pad_1d(INGOT_PAD_EDGE, 2, 1, (const float[]){1, 1, 1, 2, 3, 4, 4}, 7);
  check_pad_1d(INGOT_PAD_WRAP, 2, 3, (const float[]){3, 4, 1, 2, 3, 4, 1, 2, 3}, 9);
  check_pad_1d(INGOT_PAD_WRAP, 6, 0, (const float[]){3, 4, 1, 2, 3, 4, 1, 2, 3, 4}, 10);
  /* cropping: pad, then drop */
  check_pad_1d(INGOT_PAD_REFLECT, -1, 2, (const float[]){2, 3, 4, 3, 2}, 5);
  check_pad_1d(INGOT_PAD_CONSTANT, -3, -1, (const float[]){0}, 0);
  check_pad_1d(INGOT_PAD_EDGE, -1, -2, (const float[]){2}, 1);
  check_pad_1d(INGOT_PAD_CONSTANT, -5, 3, (const float[]){-7, -7}, 2);

  /* 2-D by hand: [[1,2,3],[4,5,6]], pre {1,-1} post {0,2}, constant 9.5 */
  float x[6] = {1, 2, 3, 4, 5, 6};
  ingot_tensor_view in = view(INGOT_FLOAT32, DIMS(2, 3), x), out;
  ingot_node n = pad_node(2, (int64_t[]){1, -1}, (int64_t[]){0, 2}, INGOT_PAD_CONSTANT, 9.5f);
  CHECK_OK(run_node(&n, ingot_cpu_padding, &in, &out, 0, NULL));
  const float want[12] = {9.5f, 9.5f, 9.5f, 9.5f, 2, 3, 9.5f, 9.5f, 5, 6, 9.5f, 9.5f};
  CHECK(out.dims.d[0] == 3 && out.dims.d[1] == 4);
  if (out.data) CHECK(memcmp(out.data, want, sizeof want) == 0);
  free_outs(&out, 1);

  /* the constant in the tensor's dtype: int8 2.7 -> 2, float16 1.5 -> 0x3E00, bool 0.5 -> 1 */
  int8_t x8[2] = {-5, 6};
  in = view(INGOT_INT8, DIMS(2), x8);
  n = pad_node(1, (int64_t[]){1}, (int64_t[]){1}, INGOT_PAD_CONSTANT, 2.7f);
  CHECK_OK(run_node(&n, ingot_cpu_padding, &in, &out, 0, NULL));
  if (out.data) CHECK(memcmp(out.data, (const int8_t[]){2, -5, 6, 2}, 4) == 0);
  free_outs(&out, 1);
  uint16_t h[1] = {0xC500}; /* -5.0 */
  in = view(INGOT_FLOAT16, DIMS(1), h);
  n = pad_node(1, (int64_t[]){0}, (int64_t[]){1}, INGOT_PAD_CONSTANT, 1.5f);
  CHECK_OK(run_node(&n, ingot_cpu_padding, &in, &out, 0, NULL));
  if (out.data) CHECK(((uint16_t *)out.data)[0] == 0xC500 && ((uint16_t *)out.data)[1] == 0x3E00);
  free_outs(&out, 1);
  uint8_t bb[1] = {0};
  in = view(INGOT_BOOL, DIMS(1), bb);
  n = pad_node(1, (int64_t[]){1}, (int64_t[]){0}, INGOT_PAD_CONSTANT, 0.5f);
  CHECK_OK(run_node(&n, ingot_cpu_padding, &in, &out, 0, NULL));
  if (out.data) CHECK(((uint8_t *)out.data)[0] == 1 && ((uint8_t *)out.data)[1] == 0);
  free_outs(&out, 1);

  /* random 3-D, every mode and dtype, asymmetric pads with crops, serial and pooled */
  const ingot_pad_mode modes[4] = {INGOT_PAD_CONSTANT, INGOT_PAD_REFLECT, INGOT_PAD_EDGE, INGOT_PAD_WRAP};
  struct {
    int64_t in[3], pre[3], post[3];
  } cases[] = {
      {{3, 5, 6}, {1, -1, 2}, {2, 3, -2}},
      {{4, 3, 7}, {0, 2, -3}, {-1, 0, 5}},
      {{33, 41, 150}, {2, -3, 7}, {-1, 4, 3}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    for (int m = 0; m < 4; m++) {
      for (int t = 0; t < NB_MOVE_DTYPES; t++) {
        ingot_dtype dt = move_dtypes[t];
        size_t es = ingot_dtype_size(dt);
        ingot_dims d = dims_of(3, cases[c].in), od = d;
        for (int k = 0; k < 3; k++) od.d[k] += cases[c].pre[k] + cases[c].post[k];
        void *data = random_buffer(dt, ingot_dims_volume(&d));
        in = view(dt, d, data);
        n = pad_node(3, cases[c].pre, cases[c].post, modes[m], 3.0f);
        unsigned char value[8];
        ingot_store_from_double(value, dt, 0, 3.0);
        int64_t vol = ingot_dims_volume(&od), oi[3], ii[3];
        char *w = malloc((size_t)vol * es);
        for (int64_t e = 0; e < vol; e++) {
          unravel(e, &od, oi);
          int inside = 1;
          for (int k = 0; k < 3; k++) {
            ii[k] = ref_pad_index(oi[k] - cases[c].pre[k], d.d[k], modes[m]);
            if (ii[k] < 0) inside = 0;
          }
          memcpy(w + e * es, inside ? (char *)data + ravel(ii, &d) * es : (char *)value, es);
        }
        for (int pooled = 0; pooled < 2; pooled++) {
          CHECK_OK(run_node(&n, ingot_cpu_padding, &in, &out, 0, pooled ? pool4 : NULL));
          CHECK(ingot_dims_equal(&out.dims, &od));
          if (out.data) CHECK(bytes_equal(out.data, w, (size_t)vol * es, "padding"));
          free_outs(&out, 1);
        }
        free(w);
        free(data);
      }
    }
  }

  /* errors */
  in = view(INGOT_FLOAT32, DIMS(2, 3), x);
  n = pad_node(2, (int64_t[]){0, 3}, (int64_t[]){0, 0}, INGOT_PAD_REFLECT, 0);
  CHECK_FAILS(run_node(&n, ingot_cpu_padding, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT,
              "dim 1: reflect padding of 3 needs a dim larger than the pad, found 3");
  n = pad_node(2, (int64_t[]){0, 0}, (int64_t[]){2, 0}, INGOT_PAD_REFLECT, 0);
  CHECK_FAILS(run_node(&n, ingot_cpu_padding, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "reflect padding of 2");
  n = pad_node(1, (int64_t[]){0}, (int64_t[]){0}, INGOT_PAD_CONSTANT, 0);
  CHECK_FAILS(run_node(&n, ingot_cpu_padding, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT,
              "padding has 1 dims, expected 2");
  n = pad_node(2, (int64_t[]){-2, 0}, (int64_t[]){-1, 0}, INGOT_PAD_CONSTANT, 0);
  CHECK_FAILS(run_node(&n, ingot_cpu_padding, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "dim 0: padding -2");
  in = view(INGOT_FLOAT32, DIMS(0, 3), x);
  n = pad_node(2, (int64_t[]){1, 0}, (int64_t[]){0, 0}, INGOT_PAD_EDGE, 0);
  CHECK_FAILS(run_node(&n, ingot_cpu_padding, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "non-empty dim");
  n = pad_node(2, (int64_t[]){1, 0}, (int64_t[]){0, 0}, INGOT_PAD_CONSTANT, 4.0f); /* constant may pad an empty dim */
  CHECK_OK(run_node(&n, ingot_cpu_padding, &in, &out, 0, NULL));
  if (out.data) CHECK(out.dims.d[0] == 1 && ((float *)out.data)[2] == 4.0f);
  free_outs(&out, 1);
}

/* ---- identity and constant ---------------------------------------------------------- */

static void test_identity_constant(void) {
  for (int t = 0; t < NB_MOVE_DTYPES; t++) {
    ingot_dtype dt = move_dtypes[t];
    void *data = random_buffer(dt, 3 * 50000);
    ingot_tensor_view in = view(dt, DIMS(3, 50000), data), out;
    ingot_node n = make_node(INGOT_OP_IDENTITY, 1, 1);
    CHECK_OK(run_node(&n, ingot_cpu_identity, &in, &out, 0, t % 2 ? pool4 : NULL));
    CHECK(out.dtype == dt && ingot_dims_equal(&out.dims, &in.dims));
    if (out.data) CHECK(bytes_equal(out.data, data, bytes_of(&in), "identity"));
    free_outs(&out, 1);
    free(data);
  }
  /* constant: outputs are the graph's, kept as given; unset dims are refused */
  ingot_node n = make_node(INGOT_OP_CONSTANT, 0, 1);
  float c[6] = {1, 2, 3, 4, 5, 6};
  ingot_value_info o;
  memset(&o, 0, sizeof o);
  o.dtype = INGOT_INT64;
  o.dims = DIMS(2, 3);
  o.data = c;
  CHECK_OK(ingot_op_infer(INGOT_OP_CONSTANT)(&n, NULL, &o));
  CHECK(o.dtype == INGOT_INT64 && o.dims.nb_dims == 2 && o.dims.d[1] == 3 && o.data == c);
  o.dims.nb_dims = -1;
  CHECK_FAILS(ingot_op_infer(INGOT_OP_CONSTANT)(&n, NULL, &o), INGOT_INVALID_GRAPH, "layer 'k3' (constant)");
}

/* ---- cast --------------------------------------------------------------------------- */

static const ingot_dtype all_dtypes[8] = {INGOT_FLOAT32, INGOT_FLOAT16, INGOT_BFLOAT16, INGOT_INT8,
                                          INGOT_INT32,   INGOT_INT64,   INGOT_BOOL,     INGOT_UINT8};

/* Source values per dtype, all exactly representable in it. */
static int source_values(ingot_dtype dt, double *v) {
  static const double f32[] = {-1.5, 2.75, 300.0, -300.0, NAN, 0.0, 1.0, -0.75, 1e10, -1e10, 100.5, 127.5, -128.5};
  static const double f16[] = {-1.5, 2.75, 300.0, -300.0, NAN, 0.0, 1.0, -0.75, 100.5, 255.5, -0.5, 60000.0};
  static const double i8[] = {-128, -1, 0, 1, 127, 100, -56};
  static const double u8[] = {0, 1, 200, 255, 127, 44};
  static const double i32[] = {-1, 0, 300, -300, 2147483647.0, -2147483648.0, 65535, 1000};
  static const double i64[] = {-1, 0, 300, -300, 4294967301.0, -4294967296.0, 1099511627781.0, 70000};
  static const double b[] = {0, 1};
#define COPY(a) (memcpy(v, a, sizeof a), (int)(sizeof a / sizeof a[0]))
  switch (dt) {
    case INGOT_FLOAT32: return COPY(f32);
    case INGOT_FLOAT16:
    case INGOT_BFLOAT16: return COPY(f16);
    case INGOT_INT8: return COPY(i8);
    case INGOT_UINT8: return COPY(u8);
    case INGOT_INT32: return COPY(i32);
    case INGOT_INT64: return COPY(i64);
    default: return COPY(b);
  }
#undef COPY
}

static void encode(void *p, ingot_dtype dt, int i, double v) {
  switch (dt) {
    case INGOT_FLOAT32: ((float *)p)[i] = (float)v; break;
    case INGOT_FLOAT16: ((uint16_t *)p)[i] = ingot_f32_to_f16((float)v); break;
    case INGOT_BFLOAT16: ((uint16_t *)p)[i] = ingot_f32_to_bf16((float)v); break;
    case INGOT_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case INGOT_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case INGOT_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
    case INGOT_INT64: ((int64_t *)p)[i] = (int64_t)v; break;
    default: ((uint8_t *)p)[i] = (uint8_t)v; break;
  }
}

static double decode(const void *p, ingot_dtype dt, int i) {
  switch (dt) {
    case INGOT_FLOAT32: return ((const float *)p)[i];
    case INGOT_FLOAT16: return ingot_f16_to_f32(((const uint16_t *)p)[i]);
    case INGOT_BFLOAT16: return ingot_bf16_to_f32(((const uint16_t *)p)[i]);
    case INGOT_INT8: return ((const int8_t *)p)[i];
    case INGOT_UINT8: return ((const uint8_t *)p)[i];
    case INGOT_INT32: return ((const int32_t *)p)[i];
    case INGOT_INT64: return (double)((const int64_t *)p)[i];
    default: return ((const uint8_t *)p)[i];
  }
}

/* The rule, from the value: float -> int truncates, clamps, NaN -> 0; int -> int wraps. */
static double expected_cast(double v, ingot_dtype from, ingot_dtype to, int64_t raw_int) {
  if (to == INGOT_BOOL) return v != 0.0;
  if (ingot_dtype_is_float(to)) {
    if (to == INGOT_FLOAT16 && fabs(v) >= 65520.0) return v > 0 ? INFINITY : -INFINITY;
    return v;
  }
  double lo, hi;
  int bits;
  switch (to) {
    case INGOT_INT8: lo = -128, hi = 127, bits = 8; break;
    case INGOT_UINT8: lo = 0, hi = 255, bits = 8; break;
    case INGOT_INT32: lo = -2147483648.0, hi = 2147483647.0, bits = 32; break;
    default: lo = -9223372036854775808.0, hi = 9223372036854775807.0, bits = 64; break;
  }
  if (ingot_dtype_is_float(from)) {
    if (isnan(v)) return 0;
    double t = trunc(v);
    return t < lo ? lo : t > hi ? hi : t;
  }
  if (bits == 64) return (double)raw_int;
  uint64_t u = (uint64_t)raw_int & ((1ULL << bits) - 1);
  if (to != INGOT_UINT8 && (u >> (bits - 1))) return (double)((int64_t)u - (int64_t)(1ULL << bits));
  return (double)u;
}

static void test_cast(void) {
  int pairs = 0;
  for (int a = 0; a < 8; a++) {
    for (int b = 0; b < 8; b++) {
      ingot_dtype from = all_dtypes[a], to = all_dtypes[b];
      double v[16];
      int nv = source_values(from, v);
      unsigned char src[16 * 8];
      for (int i = 0; i < nv; i++) {
        encode(src, from, i, v[i]);
        if (ingot_dtype_is_float(from)) v[i] = decode(src, from, i); /* bfloat16 rounds some */
      }
      ingot_tensor_view in = view(from, DIMS(nv), src), out;
      ingot_node n = make_node(INGOT_OP_CAST, 1, 1);
      n.params.cast.to = to;
      CHECK_OK(run_node(&n, ingot_cpu_cast, &in, &out, 0, NULL));
      if (!out.data) continue;
      CHECK(out.dtype == to && out.dims.d[0] == nv);
      for (int i = 0; i < nv; i++) {
        int64_t raw = ingot_dtype_is_float(from) ? 0 : (int64_t)decode(src, from, i);
        if (from == INGOT_INT64) raw = ((int64_t *)src)[i];
        double got = decode(out.data, to, i), want = expected_cast(v[i], from, to, raw);
        double tol = to == INGOT_FLOAT16 ? 1e-3 : to == INGOT_BFLOAT16 ? 8e-3 : to == INGOT_FLOAT32 ? 1e-7 : 0;
        int ok = isnan(want) ? isnan(got) : isinf(want) ? got == want : fabs(got - want) <= tol * fabs(want);
        if (!ok) {
          fprintf(stderr, "cast %s -> %s of %g: got %.17g, expected %.17g\n", ingot_dtype_name(from),
                  ingot_dtype_name(to), v[i], got, want);
          test_failures++;
        }
      }
      free_outs(&out, 1);
      pairs++;
    }
  }
  CHECK(pairs == 64);

  /* Edge values, bit for bit. */
  float f[8] = {NAN, -1.5f, 300.0f, -300.0f, 2.5f, -0.5f, 3e9f, -0.0f};
  ingot_tensor_view in = view(INGOT_FLOAT32, DIMS(8), f), out;
  ingot_node n = make_node(INGOT_OP_CAST, 1, 1);
  n.params.cast.to = INGOT_INT8;
  CHECK_OK(run_node(&n, ingot_cpu_cast, &in, &out, 0, NULL));
  if (out.data) CHECK(memcmp(out.data, (const int8_t[]){0, -1, 127, -128, 2, 0, 127, 0}, 8) == 0);
  free_outs(&out, 1);
  n.params.cast.to = INGOT_UINT8;
  CHECK_OK(run_node(&n, ingot_cpu_cast, &in, &out, 0, NULL));
  if (out.data) CHECK(memcmp(out.data, (const uint8_t[]){0, 0, 255, 0, 2, 0, 255, 0}, 8) == 0);
  free_outs(&out, 1);
  n.params.cast.to = INGOT_INT32;
  CHECK_OK(run_node(&n, ingot_cpu_cast, &in, &out, 0, NULL));
  if (out.data)
    CHECK(memcmp(out.data, (const int32_t[]){0, -1, 300, -300, 2, 0, INT32_MAX, 0}, 32) == 0);
  free_outs(&out, 1);
  n.params.cast.to = INGOT_INT64;
  CHECK_OK(run_node(&n, ingot_cpu_cast, &in, &out, 0, NULL));
  if (out.data) CHECK(memcmp(out.data, (const int64_t[]){0, -1, 300, -300, 2, 0, 3000000000LL, 0}, 64) == 0);
  free_outs(&out, 1);
  n.params.cast.to = INGOT_BOOL;
  CHECK_OK(run_node(&n, ingot_cpu_cast, &in, &out, 0, NULL));
  if (out.data) CHECK(memcmp(out.data, (const uint8_t[]){1, 1, 1, 1, 1, 1, 1, 0}, 8) == 0);
  free_outs(&out, 1);
  n.params.cast.to = INGOT_FLOAT16; /* -1.5 = 0xBE00, 300 = 0x5CB0, 2.5 = 0x4100, 3e9 = +inf */
  CHECK_OK(run_node(&n, ingot_cpu_cast, &in, &out, 0, NULL));
  if (out.data) {
    const uint16_t *h = out.data;
    CHECK((h[0] & 0x7C00) == 0x7C00 && (h[0] & 0x3FF) != 0);
    CHECK(h[1] == 0xBE00 && h[2] == 0x5CB0 && h[4] == 0x4100 && h[6] == 0x7C00 && h[7] == 0x8000);
  }
  free_outs(&out, 1);
  n.params.cast.to = INGOT_BFLOAT16; /* -1.5 = 0xBFC0, 300 = 0x4396 */
  CHECK_OK(run_node(&n, ingot_cpu_cast, &in, &out, 0, NULL));
  if (out.data) CHECK(((uint16_t *)out.data)[1] == 0xBFC0 && ((uint16_t *)out.data)[2] == 0x4396);
  free_outs(&out, 1);

  /* bool -> x is 0/1 (any nonzero byte is true); int narrowing wraps */
  uint8_t bools[3] = {0, 1, 1};
  in = view(INGOT_BOOL, DIMS(3), bools);
  n.params.cast.to = INGOT_FLOAT32;
  CHECK_OK(run_node(&n, ingot_cpu_cast, &in, &out, 0, NULL));
  if (out.data) CHECK(memcmp(out.data, (const float[]){0, 1, 1}, 12) == 0);
  free_outs(&out, 1);
  int64_t big[3] = {300, -1, (1LL << 40) + 5};
  in = view(INGOT_INT64, DIMS(3), big);
  n.params.cast.to = INGOT_INT8;
  CHECK_OK(run_node(&n, ingot_cpu_cast, &in, &out, 0, NULL));
  if (out.data) CHECK(memcmp(out.data, (const int8_t[]){44, -1, 5}, 3) == 0);
  free_outs(&out, 1);
  n.params.cast.to = INGOT_UINT8;
  CHECK_OK(run_node(&n, ingot_cpu_cast, &in, &out, 0, NULL));
  if (out.data) CHECK(memcmp(out.data, (const uint8_t[]){44, 255, 5}, 3) == 0);
  free_outs(&out, 1);
  uint16_t h3[2] = {0x3E00, 0xC0A0}; /* float16 1.5, -2.3125 */
  in = view(INGOT_FLOAT16, DIMS(2), h3);
  n.params.cast.to = INGOT_INT32;
  CHECK_OK(run_node(&n, ingot_cpu_cast, &in, &out, 0, NULL));
  if (out.data) CHECK(memcmp(out.data, (const int32_t[]){1, -2}, 8) == 0);
  free_outs(&out, 1);

  /* large random float32 -> int32 through the pool */
  int64_t count = 300001;
  float *big_f = random_buffer(INGOT_FLOAT32, count);
  in = view(INGOT_FLOAT32, DIMS(count), big_f);
  n.params.cast.to = INGOT_INT32;
  for (int64_t i = 0; i < count; i++) big_f[i] *= 1000.0f;
  CHECK_OK(run_node(&n, ingot_cpu_cast, &in, &out, 0, pool4));
  if (out.data) {
    int bad = 0;
    for (int64_t i = 0; i < count; i++) bad += ((int32_t *)out.data)[i] != (int32_t)truncf(big_f[i]);
    CHECK(bad == 0);
  }
  free_outs(&out, 1);
  free(big_f);

  n.params.cast.to = 8;
  in = view(INGOT_FLOAT32, DIMS(2), f);
  CHECK_FAILS(run_node(&n, ingot_cpu_cast, &in, &out, 0, NULL), INGOT_INVALID_ARGUMENT, "target dtype 8 is unknown");
}

/* ---- topk --------------------------------------------------------------------------- */

static ingot_node topk_node(ingot_topk_op op, int64_t k, int32_t axis) {
  ingot_node n = make_node(INGOT_OP_TOPK, 1, 2);
  n.params.topk.op = op;
  n.params.topk.k = k;
  n.params.topk.axis = axis;
  return n;
}

static void check_topk_row(const ingot_tensor_view *outs, int row, int k, const float *wv, const int64_t *wi) {
  const float *v = (const float *)outs[0].data + row * k;
  const int64_t *ix = (const int64_t *)outs[1].data + row * k;
  for (int j = 0; j < k; j++) {
    int same = isnan(wv[j]) ? isnan(v[j]) : v[j] == wv[j];
    if (!same || ix[j] != wi[j]) {
      fprintf(stderr, "topk row %d, %d: got (%g, %lld), expected (%g, %lld)\n", row, j, v[j], (long long)ix[j],
              wv[j], (long long)wi[j]);
      test_failures++;
    }
  }
}

/* Reference: key order with NaN above numbers, ties by index; selection by repeated scan. */
static int ref_better(double a, int64_t ia, double b, int64_t ib, int min) {
  double ka = isnan(a) ? INFINITY : a, kb = isnan(b) ? INFINITY : b;
  int a_nan = isnan(a), b_nan = isnan(b);
  if (a_nan != b_nan) return min ? b_nan : a_nan;
  if (!a_nan && ka != kb) return min ? ka < kb : ka > kb;
  return ia < ib;
}

static void test_topk(void) {
  float x[12] = {1.5f, -2, 1.5f, 7, -2, 0.25f, NAN, 4, -1, NAN, 4, 2};
  ingot_tensor_view in = view(INGOT_FLOAT32, DIMS(2, 6), x), outs[2];
  ingot_node n = topk_node(INGOT_TOPK_MAX, 3, -1);
  CHECK_OK(run_node(&n, ingot_cpu_topk, &in, outs, 0, NULL));
  CHECK(outs[0].dims.d[1] == 3 && outs[1].dtype == INGOT_INT64 && outs[0].dtype == INGOT_FLOAT32);
  if (outs[0].data) {
    check_topk_row(outs, 0, 3, (const float[]){7, 1.5f, 1.5f}, (const int64_t[]){3, 0, 2});
    check_topk_row(outs, 1, 3, (const float[]){NAN, NAN, 4}, (const int64_t[]){0, 3, 1});
  }
  free_outs(outs, 2);
  n = topk_node(INGOT_TOPK_MIN, 3, 1);
  CHECK_OK(run_node(&n, ingot_cpu_topk, &in, outs, 0, NULL));
  if (outs[0].data) {
    check_topk_row(outs, 0, 3, (const float[]){-2, -2, 0.25f}, (const int64_t[]){1, 4, 5});
    check_topk_row(outs, 1, 3, (const float[]){-1, 2, 4}, (const int64_t[]){2, 5, 1});
  }
  free_outs(outs, 2);
  n = topk_node(INGOT_TOPK_MIN, 6, 1);
  CHECK_OK(run_node(&n, ingot_cpu_topk, &in, outs, 0, NULL));
  if (outs[0].data) {
    check_topk_row(outs, 0, 6, (const float[]){-2, -2, 0.25f, 1.5f, 1.5f, 7}, (const int64_t[]){1, 4, 5, 0, 2, 3});
    check_topk_row(outs, 1, 6, (const float[]){-1, 2, 4, 4, NAN, NAN}, (const int64_t[]){2, 5, 1, 4, 0, 3});
  }
  free_outs(outs, 2);

  /* axis 0 of int32 [4,3] (strided rows) with ties */
  int32_t xi[12] = {5, -1, 2, 5, 7, 2, -3, 7, 9, 5, 0, 2};
  in = view(INGOT_INT32, DIMS(4, 3), xi);
  n = topk_node(INGOT_TOPK_MAX, 2, 0);
  CHECK_OK(run_node(&n, ingot_cpu_topk, &in, outs, 0, NULL));
  CHECK(outs[0].dims.d[0] == 2 && outs[0].dims.d[1] == 3 && outs[0].dtype == INGOT_INT32);
  if (outs[0].data) {
    CHECK(memcmp(outs[0].data, (const int32_t[]){5, 7, 9, 5, 7, 2}, 24) == 0);
    CHECK(memcmp(outs[1].data, (const int64_t[]){0, 1, 2, 1, 2, 0}, 48) == 0);
  }
  free_outs(outs, 2);
  /* int64, min, k = 1 */
  int64_t xl[5] = {INT64_MAX, -4, INT64_MIN, -4, 0};
  in = view(INGOT_INT64, DIMS(5), xl);
  n = topk_node(INGOT_TOPK_MIN, 2, 0);
  CHECK_OK(run_node(&n, ingot_cpu_topk, &in, outs, 0, NULL));
  if (outs[0].data) {
    CHECK(((int64_t *)outs[0].data)[0] == INT64_MIN && ((int64_t *)outs[0].data)[1] == -4);
    CHECK(((int64_t *)outs[1].data)[0] == 2 && ((int64_t *)outs[1].data)[1] == 1);
  }
  free_outs(outs, 2);
  /* k = 0: empty outputs */
  n = topk_node(INGOT_TOPK_MAX, 0, 0);
  CHECK_OK(run_node(&n, ingot_cpu_topk, &in, outs, 0, NULL));
  CHECK(outs[0].dims.nb_dims == 1 && outs[0].dims.d[0] == 0);
  free_outs(outs, 2);

  /* random with many ties (values on a coarse grid), middle axis, through the pool */
  ingot_dims d = DIMS(3, 1000, 5);
  int64_t vol = ingot_dims_volume(&d);
  float *xr = malloc((size_t)vol * sizeof(float));
  for (int64_t i = 0; i < vol; i++) xr[i] = roundf(test_randf(&rng) * 20.0f) / 4.0f;
  xr[7] = NAN;
  xr[5 * 500 + 1] = NAN;
  in = view(INGOT_FLOAT32, d, xr);
  for (int op = 0; op < 2; op++) {
    const int64_t k = 17;
    n = topk_node((ingot_topk_op)op, k, 1);
    CHECK_OK(run_node(&n, ingot_cpu_topk, &in, outs, 0, pool4));
    if (!outs[0].data) continue;
    int bad = 0;
    for (int64_t o = 0; o < 3; o++) {
      for (int64_t i = 0; i < 5; i++) {
        int64_t prev = -1;
        for (int64_t j = 0; j < k; j++) {
          /* the j-th best: best among those worse than the previous one */
          int64_t best = -1;
          for (int64_t c = 0; c < 1000; c++) {
            double vc = xr[(o * 1000 + c) * 5 + i];
            if (prev >= 0 && !ref_better(xr[(o * 1000 + prev) * 5 + i], prev, vc, c, op)) continue;
            if (best < 0 || ref_better(vc, c, xr[(o * 1000 + best) * 5 + i], best, op)) best = c;
          }
          int64_t at = (o * k + j) * 5 + i;
          float got = ((float *)outs[0].data)[at], want = xr[(o * 1000 + best) * 5 + i];
          if (((int64_t *)outs[1].data)[at] != best || !(got == want || (isnan(got) && isnan(want)))) bad++;
          prev = best;
        }
      }
    }
    CHECK(bad == 0);
    free_outs(outs, 2);
  }
  free(xr);

  /* errors */
  in = view(INGOT_FLOAT32, DIMS(2, 6), x);
  n = topk_node(INGOT_TOPK_MAX, 7, 1);
  CHECK_FAILS(run_node(&n, ingot_cpu_topk, &in, outs, 0, NULL), INGOT_INVALID_ARGUMENT,
              "k = 7 is outside [0, 6], the dim of axis 1");
  n = topk_node(INGOT_TOPK_MAX, -1, 1);
  CHECK_FAILS(run_node(&n, ingot_cpu_topk, &in, outs, 0, NULL), INGOT_INVALID_ARGUMENT, "k = -1");
  n = topk_node(INGOT_TOPK_MAX, 1, 2);
  CHECK_FAILS(run_node(&n, ingot_cpu_topk, &in, outs, 0, NULL), INGOT_INVALID_ARGUMENT, "axis 2 is out of range");
  in = view(INGOT_INT8, DIMS(2, 6), x);
  n = topk_node(INGOT_TOPK_MAX, 1, 1);
  CHECK_FAILS(run_node(&n, ingot_cpu_topk, &in, outs, 0, NULL), INGOT_INVALID_ARGUMENT,
              "input is int8, expected float32, int32 or int64");
}

int main(void) {
  CHECK_OK(ingot_thread_pool_create(4, &pool4));
  test_shuffle_small();
  test_shuffle_random();
  test_concat();
  test_slice();
  test_gather();
  test_padding();
  test_identity_constant();
  test_cast();
  test_topk();
  ingot_thread_pool_destroy(pool4);
  TEST_EXIT();
}
