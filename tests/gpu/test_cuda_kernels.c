/* Every row of ingot's own CUDA kernel table (src/backend/cuda/cuda_kernel_table.c)
 * against the CPU reference tactic of its op, on random inputs (never zeros): several
 * shapes per family (broadcasting, odd sizes, long rows that take the block paths), every
 * dtype the row supports. Float16/bfloat16 inputs are rounded first and the reference
 * runs on their exact float32 values; results are compared with a tolerance per precision
 * (exact for integers, bools and data movement). Guard bytes after each device output
 * catch overruns. Skips (exit 77, which ctest reports as skipped) when no CUDA device is
 * present.
 * INGOT_CK_BENCH=1 also times a few large cases (memory bandwidth). */
#include <cuda_runtime_api.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/cuda/cuda_kernel_table.h"
#include "backend/cuda/kernels/ck_launch.h"
#include "core/dims.h"
#include "ops/ops.h"

#define MAX_IN 5
#define GUARD 256

static int g_failures, g_cases;
static int g_row_cases[64], g_row_failures[64];
static uint64_t g_seed = 0x9E3779B97F4A7C15ULL;

static double urand(void) { /* [0, 1) */
  g_seed = g_seed * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(g_seed >> 11) / 9007199254740992.0;
}

typedef enum { DATA_ANY, DATA_POSITIVE, DATA_UNIT, DATA_GE1, DATA_WIDE, DATA_NONZERO, DATA_INDEX } data_kind;

typedef struct tcase {
  char label[160];
  ingot_node node;
  int32_t node_inputs[MAX_IN];
  int32_t nb_inputs;
  ingot_dtype dt[MAX_IN];
  ingot_dims dims[MAX_IN];
  data_kind kind[MAX_IN];
  int64_t index_range[MAX_IN]; /* DATA_INDEX: values in [-range, range) */
  const int64_t *fixed[MAX_IN]; /* int64 values to use instead of random ones (shapes) */
} tcase;

static tcase *case_new(ingot_op op, const char *fmt, const char *detail) {
  static tcase c;
  memset(&c, 0, sizeof c);
  snprintf(c.label, sizeof c.label, fmt, detail);
  c.node.name = c.label;
  c.node.op = op;
  c.node.nb_outputs = 1;
  c.node.inputs = c.node_inputs;
  return &c;
}

static void case_in(tcase *c, ingot_dtype dt, int32_t nb, const int64_t *d, data_kind kind) {
  int32_t k = c->nb_inputs++;
  c->node_inputs[k] = k;
  c->node.nb_inputs = c->nb_inputs;
  c->dt[k] = dt;
  c->dims[k] = ingot_dims_make(nb, d);
  c->kind[k] = kind;
}

/* An absent optional input (index -1 in the node, rank -1 in the views). */
static void case_absent(tcase *c) {
  int32_t k = c->nb_inputs++;
  c->node_inputs[k] = -1;
  c->node.nb_inputs = c->nb_inputs;
  c->dt[k] = INGOT_FLOAT32;
  c->dims[k].nb_dims = -1;
}

static void fill(void *data, ingot_dtype dt, int64_t n, data_kind kind, int64_t range) {
  for (int64_t i = 0; i < n; i++) {
    double u = urand() * 2.0 - 1.0, v;
    switch (kind) {
      case DATA_POSITIVE: v = 0.1 + 2.0 * fabs(u); break;
      case DATA_UNIT: v = 0.95 * u; break;
      case DATA_GE1: v = 1.0 + 3.0 * fabs(u); break;
      case DATA_WIDE: v = 300.0 * u; break;
      case DATA_INDEX: v = (double)((int64_t)(urand() * 2.0 * (double)range) - range); break;
      default: v = 3.0 * u; break;
    }
    if (ingot_dtype_is_integer(dt) && kind != DATA_INDEX) {
      int64_t span = dt == INGOT_UINT8 ? 200 : dt == INGOT_INT8 ? 100 : 1000;
      v = (double)(int64_t)(u * (double)span);
      if (dt == INGOT_UINT8) v = fabs(v);
      if (kind == DATA_NONZERO && v == 0.0) v = 3.0;
      if (kind == DATA_POSITIVE) v = fmod(fabs(v), 5.0) + 1.0;
    }
    if (dt == INGOT_BOOL) v = urand() < 0.5;
    ingot_store_from_double(data, dt, i, v);
  }
}

static bool is_half(ingot_dtype dt) { return dt == INGOT_FLOAT16 || dt == INGOT_BFLOAT16; }

static const ingot_tactic *reference_of(ingot_op op) {
  const ingot_backend *cpu = ingot_cpu_backend();
  for (int32_t i = 0; i < cpu->nb_tactics; i++)
    if (cpu->tactics[i].op == op) return &cpu->tactics[i];
  return NULL;
}

static double tolerance(ingot_dtype dt, ingot_op op) {
  double t = dt == INGOT_FLOAT16 ? 2e-3 : dt == INGOT_BFLOAT16 ? 1.6e-2 : dt == INGOT_FLOAT32 ? 2e-5 : 0.0;
  if (dt == INGOT_FLOAT32 && (op == INGOT_OP_UNARY || op == INGOT_OP_ACTIVATION || op == INGOT_OP_ELEMENTWISE)) t = 1e-4;
  if (dt == INGOT_FLOAT32 && (op == INGOT_OP_REDUCE || op == INGOT_OP_LAYER_NORMALIZATION)) t = 1e-4;
  return t;
}

static bool close_enough(double got, double want, double tol) {
  if (isnan(want)) return isnan(got);
  if (isinf(want)) return got == want;
  return fabs(got - want) <= tol * (1.0 + fabs(want));
}

#define MAX_OUT 2

/* Runs the case on the CPU reference and on CUDA row `t`; false if the row refuses it. */
static bool run_case(int32_t row, const tcase *c) {
  const ingot_tactic *t = &ingot_cuda_kernel_tactics[row];
  const int32_t nout = c->node.nb_outputs;
  ingot_value_info vin[MAX_IN], vout[MAX_OUT];
  void *host[MAX_IN] = {0}, *ref_in[MAX_IN] = {0}, *dptr[MAX_IN] = {0};
  void *ref_y[MAX_OUT] = {0}, *dev_y_host[MAX_OUT] = {0}, *dy[MAX_OUT] = {0};
  ingot_tensor_view dev_in[MAX_IN], ref_view[MAX_IN], dev_out[MAX_OUT], ref_out[MAX_OUT];
  int64_t n_out[MAX_OUT] = {0};
  size_t es_out[MAX_OUT] = {0};
  ingot_dtype rdt_out[MAX_OUT];
  bool supported = true;
  for (int32_t k = 0; k < c->nb_inputs; k++) {
    if (c->dims[k].nb_dims < 0) { /* absent */
      vin[k] = (ingot_value_info){c->dt[k], c->dims[k], NULL};
      ref_view[k] = dev_in[k] = (ingot_tensor_view){c->dt[k], c->dims[k], NULL};
      continue;
    }
    int64_t n = ingot_dims_volume(&c->dims[k]);
    host[k] = calloc((size_t)(n > 0 ? n : 1), 8);
    if (c->fixed[k])
      memcpy(host[k], c->fixed[k], (size_t)n * sizeof(int64_t));
    else
      fill(host[k], c->dt[k], n, c->kind[k], c->index_range[k]);
    vin[k] = (ingot_value_info){c->dt[k], c->dims[k], host[k]};
    /* The reference computes halves through float32: hand it the exact widened values. */
    ingot_dtype rdt = is_half(c->dt[k]) ? INGOT_FLOAT32 : c->dt[k];
    ref_in[k] = calloc((size_t)(n > 0 ? n : 1), 8);
    for (int64_t i = 0; i < n; i++) ingot_store_from_double(ref_in[k], rdt, i, ingot_load_as_double(host[k], c->dt[k], i));
    ref_view[k] = (ingot_tensor_view){rdt, c->dims[k], ref_in[k]};
    dev_in[k] = (ingot_tensor_view){c->dt[k], c->dims[k], NULL};
  }
  memset(vout, 0, sizeof vout);
  if (ingot_op_infer(c->node.op)(&c->node, vin, vout) != INGOT_SUCCESS) {
    fprintf(stderr, "FAIL %s: shape inference refused the case: %s\n", c->label, ingot_last_error());
    g_failures++;
    goto out;
  }
  for (int32_t o = 0; o < nout; o++) dev_out[o] = (ingot_tensor_view){vout[o].dtype, vout[o].dims, NULL};
  if (t->supports && !t->supports(&c->node, dev_in, dev_out)) {
    supported = false;
    goto out;
  }
  g_cases++;
  g_row_cases[row]++;
  for (int32_t o = 0; o < nout; o++) {
    n_out[o] = ingot_dims_volume(&vout[o].dims);
    es_out[o] = ingot_dtype_size(vout[o].dtype);
    rdt_out[o] = is_half(vout[o].dtype) ? INGOT_FLOAT32 : vout[o].dtype;
    ref_y[o] = calloc((size_t)(n_out[o] > 0 ? n_out[o] : 1), 8);
    dev_y_host[o] = calloc((size_t)n_out[o] * es_out[o] + GUARD, 1);
    ref_out[o] = (ingot_tensor_view){rdt_out[o], vout[o].dims, ref_y[o]};
  }
  ingot_kernel_args a;
  memset(&a, 0, sizeof a);
  a.node = &c->node;
  a.params = &c->node.params;
  a.nb_inputs = c->nb_inputs;
  a.inputs = ref_view;
  a.nb_outputs = nout;
  a.outputs = ref_out;
  const ingot_tactic *ref = reference_of(c->node.op);
  a.workspace_size = ref->workspace_size ? ref->workspace_size(&a) : 0;
  void *ref_ws = a.workspace_size ? aligned_alloc(64, (size_t)(a.workspace_size + 63) / 64 * 64) : NULL;
  a.workspace = ref_ws;
  ingot_status ref_st = ref->run(&a);
  free(ref_ws);
  a.workspace = NULL;
  a.workspace_size = 0;
  if (ref_st != INGOT_SUCCESS) {
    fprintf(stderr, "FAIL %s: the CPU reference failed: %s\n", c->label, ingot_last_error());
    g_failures++;
    g_row_failures[row]++;
    goto out;
  }
  /* Device buffers, each output followed by guard bytes. */
  for (int32_t k = 0; k < c->nb_inputs; k++) {
    if (c->dims[k].nb_dims < 0) continue;
    size_t bytes = (size_t)ingot_dims_volume(&c->dims[k]) * ingot_dtype_size(c->dt[k]);
    cudaMalloc(&dptr[k], bytes ? bytes : 1);
    cudaMemcpy(dptr[k], host[k], bytes, cudaMemcpyHostToDevice);
    dev_in[k].data = dptr[k];
  }
  for (int32_t o = 0; o < nout; o++) {
    cudaMalloc(&dy[o], (size_t)n_out[o] * es_out[o] + GUARD);
    cudaMemset(dy[o], 0xA5, (size_t)n_out[o] * es_out[o] + GUARD);
    dev_out[o].data = dy[o];
  }
  cudaStream_t stream;
  cudaStreamCreate(&stream);
  a.inputs = dev_in;
  a.outputs = dev_out;
  a.stream = stream;
  ingot_status st = t->run(&a);
  cudaError_t err = cudaStreamSynchronize(stream);
  int bad = 0;
  if (st != INGOT_SUCCESS || err != cudaSuccess) {
    fprintf(stderr, "FAIL %s [%s]: run %s, %s\n", c->label, t->name, ingot_status_name(st),
            st != INGOT_SUCCESS ? ingot_last_error() : cudaGetErrorString(err));
    bad = 1;
  }
  for (int32_t o = 0; o < nout && !bad; o++) {
    cudaMemcpy(dev_y_host[o], dy[o], (size_t)n_out[o] * es_out[o] + GUARD, cudaMemcpyDeviceToHost);
    double tol = tolerance(vout[o].dtype, c->node.op);
    for (int64_t i = 0; i < n_out[o] && bad < 5; i++) {
      double got = ingot_load_as_double(dev_y_host[o], vout[o].dtype, i);
      double want = ingot_load_as_double(ref_y[o], rdt_out[o], i);
      if (!close_enough(got, want, tol)) {
        fprintf(stderr, "FAIL %s [%s]: output %d element %lld = %.9g, reference %.9g\n", c->label, t->name, (int)o,
                (long long)i, got, want);
        bad++;
      }
    }
    const unsigned char *g = (const unsigned char *)dev_y_host[o] + (size_t)n_out[o] * es_out[o];
    for (int i = 0; i < GUARD; i++)
      if (g[i] != 0xA5) {
        fprintf(stderr, "FAIL %s [%s]: wrote past output %d (guard byte %d)\n", c->label, t->name, (int)o, i);
        bad++;
        break;
      }
  }
  if (bad) {
    g_failures++;
    g_row_failures[row]++;
  }
  cudaStreamDestroy(stream);
out:
  for (int32_t k = 0; k < c->nb_inputs; k++) {
    cudaFree(dptr[k]);
    free(host[k]);
    free(ref_in[k]);
  }
  for (int32_t o = 0; o < MAX_OUT; o++) {
    cudaFree(dy[o]);
    free(ref_y[o]);
    free(dev_y_host[o]);
  }
  return supported;
}

/* Runs the case on every row of its op; a row that supports none of its cases is reported. */
static void check(const tcase *c) {
  bool any = false;
  for (int32_t r = 0; r < ingot_cuda_kernel_tactic_count; r++)
    if (ingot_cuda_kernel_tactics[r].op == c->node.op) any |= run_case(r, c);
  if (!any) {
    fprintf(stderr, "FAIL %s: no CUDA row supports it\n", c->label);
    g_failures++;
  }
}

/* ---- cases -------------------------------------------------------------------------------- */

static const ingot_dtype FLOATS[] = {INGOT_FLOAT32, INGOT_FLOAT16, INGOT_BFLOAT16};
static const ingot_dtype ALL[] = {INGOT_FLOAT32, INGOT_FLOAT16, INGOT_BFLOAT16, INGOT_INT8,
                                  INGOT_INT32,   INGOT_INT64,   INGOT_BOOL,     INGOT_UINT8};
#define N_OF(a) ((int32_t)(sizeof(a) / sizeof((a)[0])))
#define D(...) ((const int64_t[]){__VA_ARGS__})
#define R(...) (int32_t)(sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), D(__VA_ARGS__)

static void test_elementwise(void) {
  static const struct { int32_t na; int64_t a[4]; int32_t nb; int64_t b[4]; } shapes[] = {
      {3, {3, 5, 7}, 3, {3, 5, 7}},   {4, {2, 1, 4, 5}, 3, {3, 1, 5}}, {2, {1000, 37}, 1, {37}},
      {3, {64, 33, 17}, 3, {64, 1, 17}}, {0, {0}, 2, {4, 9}},          {1, {4099}, 1, {4099}}};
  const ingot_dtype dts[] = {INGOT_FLOAT32, INGOT_FLOAT16, INGOT_BFLOAT16, INGOT_INT8, INGOT_INT32, INGOT_INT64, INGOT_UINT8, INGOT_BOOL};
  for (int32_t op = 0; op < INGOT_ELEMENTWISE_OP_COUNT; op++)
    for (int32_t di = 0; di < N_OF(dts); di++) {
      ingot_dtype dt = dts[di];
      bool bitwise = op > INGOT_ELEMENTWISE_XOR; /* bitwise ops and shifts: integers */
      bool logic = op >= INGOT_ELEMENTWISE_AND && !bitwise;
      if (logic != (dt == INGOT_BOOL)) continue;
      if (bitwise && !ingot_dtype_is_integer(dt)) continue;
      if (op == INGOT_ELEMENTWISE_POW && ingot_dtype_is_integer(dt) && dt != INGOT_INT64) continue;
      for (int32_t s = 0; s < N_OF(shapes); s++) {
        char detail[64];
        snprintf(detail, sizeof detail, "op %d %s shape %d", (int)op, ingot_dtype_name(dt), (int)s);
        tcase *c = case_new(INGOT_OP_ELEMENTWISE, "elementwise %s", detail);
        c->node.params.elementwise.op = op;
        bool division = op == INGOT_ELEMENTWISE_DIV || op == INGOT_ELEMENTWISE_FLOOR_DIV ||
                        op == INGOT_ELEMENTWISE_MOD || op == INGOT_ELEMENTWISE_FMOD;
        data_kind ka = op == INGOT_ELEMENTWISE_POW ? DATA_POSITIVE : DATA_ANY;
        data_kind kb = op > INGOT_ELEMENTWISE_XOR + 3 ? DATA_POSITIVE /* shift counts 1..5 */
                       : division ? DATA_NONZERO : op == INGOT_ELEMENTWISE_POW && ingot_dtype_is_integer(dt) ? DATA_POSITIVE : DATA_ANY;
        case_in(c, dt, shapes[s].na, shapes[s].a, ka);
        case_in(c, dt, shapes[s].nb, shapes[s].b, kb);
        check(c);
      }
    }
}

static void test_select_prelu(void) {
  for (int32_t di = 0; di < N_OF(ALL); di++) {
    tcase *c = case_new(INGOT_OP_SELECT, "select %s", ingot_dtype_name(ALL[di]));
    case_in(c, INGOT_BOOL, R(2, 1, 5), DATA_ANY);
    case_in(c, ALL[di], R(3, 1), DATA_ANY);
    case_in(c, ALL[di], R(2, 3, 5), DATA_ANY);
    check(c);
  }
  for (int32_t di = 0; di < N_OF(FLOATS); di++) {
    tcase *c = case_new(INGOT_OP_PARAMETRIC_RELU, "prelu %s", ingot_dtype_name(FLOATS[di]));
    case_in(c, FLOATS[di], R(2, 3, 4, 5), DATA_ANY);
    case_in(c, FLOATS[di], R(3, 1, 1), DATA_ANY);
    check(c);
  }
}

static void test_unary_activation(void) {
  for (int32_t op = 0; op < INGOT_UNARY_OP_COUNT; op++)
    for (int32_t di = 0; di < N_OF(ALL); di++) {
      ingot_dtype dt = ALL[di];
      bool ok = op > INGOT_UNARY_ISINF ? ingot_dtype_is_integer(dt) /* bitwise not */
                : op == INGOT_UNARY_NOT ? dt == INGOT_BOOL
                : (op == INGOT_UNARY_ABS || op == INGOT_UNARY_NEG || op == INGOT_UNARY_SIGN)
                    ? (ingot_dtype_is_float(dt) || dt == INGOT_INT8 || dt == INGOT_INT32 || dt == INGOT_INT64)
                    : ingot_dtype_is_float(dt);
      if (!ok) continue;
      char detail[64];
      snprintf(detail, sizeof detail, "op %d %s", (int)op, ingot_dtype_name(dt));
      tcase *c = case_new(INGOT_OP_UNARY, "unary %s", detail);
      c->node.params.unary.op = op;
      data_kind k = (op == INGOT_UNARY_LOG || op == INGOT_UNARY_SQRT) ? DATA_POSITIVE
                    : (op == INGOT_UNARY_ASIN || op == INGOT_UNARY_ACOS || op == INGOT_UNARY_ATANH) ? DATA_UNIT
                    : op == INGOT_UNARY_ACOSH ? DATA_GE1 : DATA_ANY;
      case_in(c, dt, R(7, 131), k);
      check(c);
    }
  for (int32_t type = 0; type < INGOT_ACTIVATION_TYPE_COUNT; type++)
    for (int32_t di = 0; di < N_OF(FLOATS); di++) {
      char detail[64];
      snprintf(detail, sizeof detail, "type %d %s", (int)type, ingot_dtype_name(FLOATS[di]));
      tcase *c = case_new(INGOT_OP_ACTIVATION, "activation %s", detail);
      c->node.params.activation = (ingot_activation_params){type, 0.3f, 0.8f};
      if (type == INGOT_ACTIVATION_CLIP) c->node.params.activation = (ingot_activation_params){type, -0.5f, 0.75f};
      case_in(c, FLOATS[di], R(3, 1001), DATA_ANY);
      check(c);
    }
}

static void test_cast(void) {
  for (int32_t i = 0; i < N_OF(ALL); i++) {
    tcase *c = case_new(INGOT_OP_IDENTITY, "identity %s", ingot_dtype_name(ALL[i]));
    case_in(c, ALL[i], R(3, 333), DATA_ANY);
    check(c);
  }
  for (int32_t i = 0; i < N_OF(ALL); i++)
    for (int32_t o = 0; o < N_OF(ALL); o++) {
      char detail[64];
      snprintf(detail, sizeof detail, "%s -> %s", ingot_dtype_name(ALL[i]), ingot_dtype_name(ALL[o]));
      tcase *c = case_new(INGOT_OP_CAST, "cast %s", detail);
      c->node.params.cast.to = ALL[o];
      case_in(c, ALL[i], R(5, 77), DATA_WIDE);
      check(c);
    }
}

static void test_softmax(void) {
  static const struct { int32_t n; int64_t d[4]; int32_t axis; } cases[] = {
      {2, {4, 33}, -1}, {3, {2, 3, 1500}, 2}, {3, {3, 7, 5}, 1}, {3, {3, 7, 5}, 0}, {2, {300, 128}, 1}};
  for (int32_t s = 0; s < N_OF(cases); s++)
    for (int32_t log = 0; log < 2; log++)
      for (int32_t di = 0; di < N_OF(FLOATS); di++) {
        char detail[64];
        snprintf(detail, sizeof detail, "case %d log %d %s", (int)s, (int)log, ingot_dtype_name(FLOATS[di]));
        tcase *c = case_new(INGOT_OP_SOFTMAX, "softmax %s", detail);
        c->node.params.softmax = (ingot_softmax_params){cases[s].axis, log};
        case_in(c, FLOATS[di], cases[s].n, cases[s].d, DATA_ANY);
        check(c);
      }
}

static void test_reduce(void) {
  static const struct { int32_t n; int64_t d[4]; uint32_t mask; } cases[] = {
      {3, {4, 6, 5}, 1}, {3, {4, 6, 5}, 2}, {3, {4, 6, 5}, 4}, {3, {4, 6, 5}, 5}, {3, {4, 6, 5}, 7},
      {2, {3, 5000}, 2}, {4, {2, 3, 4, 5}, 10}};
  const ingot_dtype dts[] = {INGOT_FLOAT32, INGOT_FLOAT16, INGOT_BFLOAT16, INGOT_INT32, INGOT_INT64};
  for (int32_t s = 0; s < N_OF(cases); s++)
    for (int32_t op = 0; op < INGOT_REDUCE_OP_COUNT; op++)
      for (int32_t di = 0; di < N_OF(dts); di++) {
        if (op == INGOT_REDUCE_PROD && cases[s].d[1] == 5000) continue; /* underflows to 0 */
        char detail[64];
        snprintf(detail, sizeof detail, "case %d op %d %s", (int)s, (int)op, ingot_dtype_name(dts[di]));
        tcase *c = case_new(INGOT_OP_REDUCE, "reduce %s", detail);
        c->node.params.reduce = (ingot_reduce_params){op, cases[s].mask, s & 1};
        case_in(c, dts[di], cases[s].n, cases[s].d, op == INGOT_REDUCE_PROD ? DATA_POSITIVE : DATA_ANY);
        check(c);
      }
}

static void test_normalization(void) {
  for (int32_t di = 0; di < N_OF(FLOATS); di++) {
    ingot_dtype dt = FLOATS[di];
    const char *name = ingot_dtype_name(dt);
    tcase *c = case_new(INGOT_OP_LAYER_NORMALIZATION, "layernorm [2,3,64] %s", name);
    c->node.params.layernorm = (ingot_layernorm_params){4u, 1e-5f};
    case_in(c, dt, R(2, 3, 64), DATA_ANY);
    case_in(c, dt, R(64), DATA_ANY);
    case_in(c, dt, R(64), DATA_ANY);
    check(c);
    c = case_new(INGOT_OP_LAYER_NORMALIZATION, "layernorm [5,3000] no bias %s", name);
    c->node.params.layernorm = (ingot_layernorm_params){2u, 1e-5f};
    case_in(c, dt, R(5, 3000), DATA_ANY);
    case_in(c, INGOT_FLOAT32, R(3000), DATA_ANY);
    check(c);
    c = case_new(INGOT_OP_LAYER_NORMALIZATION, "layernorm [2,3,4,5] axes 2,3 %s", name);
    c->node.params.layernorm = (ingot_layernorm_params){12u, 1e-3f};
    case_in(c, dt, R(2, 3, 4, 5), DATA_ANY);
    case_in(c, dt, R(4, 5), DATA_ANY);
    case_in(c, dt, R(1, 4, 5), DATA_ANY);
    check(c);
    c = case_new(INGOT_OP_BATCH_NORMALIZATION, "batchnorm [2,3,4,5] %s", name);
    c->node.params.batchnorm.epsilon = 1e-5f;
    case_in(c, dt, R(2, 3, 4, 5), DATA_ANY);
    for (int32_t k = 0; k < 4; k++) case_in(c, INGOT_FLOAT32, R(3), k == 3 ? DATA_POSITIVE : DATA_ANY);
    check(c);
  }
}

static void test_pooling(void) {
  for (int32_t di = 0; di < N_OF(FLOATS); di++)
    for (int32_t v = 0; v < 9; v++) {
      char detail[64];
      snprintf(detail, sizeof detail, "variant %d %s", (int)v, ingot_dtype_name(FLOATS[di]));
      tcase *c = case_new(INGOT_OP_POOLING, "pooling %s", detail);
      ingot_pooling_params *p = &c->node.params.pooling;
      p->type = v % 2 ? INGOT_POOLING_AVERAGE : INGOT_POOLING_MAX;
      p->nb_spatial_dims = 2;
      for (int32_t i = 0; i < 3; i++) {
        p->window_size[i] = 3;
        p->stride[i] = 2;
        p->pre_padding[i] = p->post_padding[i] = 1;
        p->dilation[i] = 1;
      }
      if (v == 2 || v == 3) p->ceil_mode = 1;
      if (v == 3) p->average_count_excludes_padding = 1;
      if (v == 4) p->dilation[0] = p->dilation[1] = 2;
      if (v == 5) p->padding_mode = INGOT_PADDING_SAME_UPPER;
      if (v == 6 || v == 7) p->global = 1;
      if (v == 8) {
        p->nb_spatial_dims = 3;
        case_in(c, FLOATS[di], R(1, 2, 5, 6, 7), DATA_ANY);
      } else {
        case_in(c, FLOATS[di], R(2, 3, 9, 10), DATA_ANY);
      }
      check(c);
    }
  tcase *c = case_new(INGOT_OP_POOLING, "pooling %s", "1-D average");
  c->node.params.pooling = (ingot_pooling_params){.type = INGOT_POOLING_AVERAGE, .nb_spatial_dims = 1,
                                                  .window_size = {4}, .stride = {3}, .pre_padding = {2},
                                                  .post_padding = {1}, .dilation = {1}};
  case_in(c, INGOT_FLOAT32, R(2, 3, 17), DATA_ANY);
  check(c);
}

static void test_movement(void) {
  const ingot_dtype dts[] = {INGOT_FLOAT32, INGOT_FLOAT16, INGOT_INT64, INGOT_BOOL};
  for (int32_t di = 0; di < N_OF(dts); di++) {
    ingot_dtype dt = dts[di];
    const char *name = ingot_dtype_name(dt);
    tcase *c = case_new(INGOT_OP_SHUFFLE, "transpose 0231 %s", name);
    c->node.params.shuffle.has_first_transpose = 1;
    memcpy(c->node.params.shuffle.first_transpose, (int32_t[]){0, 2, 3, 1}, 4 * sizeof(int32_t));
    case_in(c, dt, R(2, 3, 4, 5), DATA_ANY);
    check(c);
    c = case_new(INGOT_OP_SHUFFLE, "reshape + transpose %s", name);
    c->node.params.shuffle.has_reshape = 1;
    c->node.params.shuffle.reshape_dims = ingot_dims_make(R(6, 4, 5));
    c->node.params.shuffle.has_second_transpose = 1;
    memcpy(c->node.params.shuffle.second_transpose, (int32_t[]){2, 0, 1}, 3 * sizeof(int32_t));
    case_in(c, dt, R(2, 3, 4, 5), DATA_ANY);
    check(c);
    c = case_new(INGOT_OP_SHUFFLE, "transpose 10 [67,129] %s", name);
    c->node.params.shuffle.has_first_transpose = 1;
    memcpy(c->node.params.shuffle.first_transpose, (int32_t[]){1, 0}, 2 * sizeof(int32_t));
    case_in(c, dt, R(67, 129), DATA_ANY);
    check(c);
    c = case_new(INGOT_OP_SLICE, "slice strided %s", name);
    c->node.params.slice.start = ingot_dims_make(R(1, 0, 2));
    c->node.params.slice.size = ingot_dims_make(R(2, 3, 2));
    c->node.params.slice.stride = ingot_dims_make(R(2, 2, 1));
    case_in(c, dt, R(5, 6, 7), DATA_ANY);
    check(c);
    c = case_new(INGOT_OP_SLICE, "slice reversed %s", name);
    c->node.params.slice.start = ingot_dims_make(R(4, 0, 63));
    c->node.params.slice.size = ingot_dims_make(R(3, 6, 64));
    c->node.params.slice.stride = ingot_dims_make(R(-1, 1, -1));
    case_in(c, dt, R(5, 6, 64), DATA_ANY);
    check(c);
    for (int32_t axis = 0; axis < 3; axis++) {
      char detail[64];
      snprintf(detail, sizeof detail, "axis %d %s", (int)axis, name);
      c = case_new(INGOT_OP_CONCATENATION, "concat %s", detail);
      c->node.params.concat.axis = axis;
      int64_t a[3] = {2, 3, 40}, b[3] = {2, 3, 40}, e[3] = {2, 3, 40};
      a[axis] = 1;
      b[axis] = 5;
      e[axis] = 2;
      case_in(c, dt, 3, a, DATA_ANY);
      case_in(c, dt, 3, b, DATA_ANY);
      case_in(c, dt, 3, e, DATA_ANY);
      check(c);
    }
    c = case_new(INGOT_OP_GATHER, "gather axis 1 int64 %s", name);
    c->node.params.gather.axis = 1;
    case_in(c, dt, R(5, 4, 3), DATA_ANY);
    case_in(c, INGOT_INT64, R(2, 3), DATA_INDEX);
    c->index_range[1] = 4;
    check(c);
    c = case_new(INGOT_OP_GATHER, "gather axis 0 int32 %s", name);
    case_in(c, dt, R(50, 77), DATA_ANY);
    case_in(c, INGOT_INT32, R(9), DATA_INDEX);
    c->index_range[1] = 50;
    check(c);
    for (int32_t mode = 0; mode < 4; mode++) {
      char detail[64];
      snprintf(detail, sizeof detail, "mode %d %s", (int)mode, name);
      c = case_new(INGOT_OP_PADDING, "padding %s", detail);
      ingot_padding_params *p = &c->node.params.padding;
      p->nb_dims = 3;
      p->mode = mode;
      p->value = 1.5f;
      memcpy(p->pre_padding, D(0, 1, 2), 3 * sizeof(int64_t));
      memcpy(p->post_padding, D(1, mode == 0 ? -1 : 0, 2), 3 * sizeof(int64_t));
      case_in(c, dt, R(2, 3, 4), DATA_ANY);
      check(c);
    }
    c = case_new(INGOT_OP_RESIZE, "resize nearest %s", name);
    c->node.params.resize = (ingot_resize_params){.mode = INGOT_RESIZE_NEAREST,
                                                  .coordinate_transform = INGOT_RESIZE_ASYMMETRIC,
                                                  .nearest_rounding = INGOT_RESIZE_FLOOR,
                                                  .output_dims = ingot_dims_make(R(1, 2, 8, 13))};
    case_in(c, dt, R(1, 2, 4, 5), DATA_ANY);
    check(c);
  }
  for (int32_t di = 0; di < N_OF(FLOATS); di++)
    for (int32_t tr = 0; tr < 4; tr++) {
      char detail[64];
      snprintf(detail, sizeof detail, "transform %d %s", (int)tr, ingot_dtype_name(FLOATS[di]));
      tcase *c = case_new(INGOT_OP_RESIZE, "resize linear %s", detail);
      c->node.params.resize = (ingot_resize_params){.mode = INGOT_RESIZE_LINEAR, .coordinate_transform = tr,
                                                    .output_dims = ingot_dims_make(R(1, 2, 7, 3))};
      case_in(c, FLOATS[di], R(1, 2, 4, 5), DATA_ANY);
      check(c);
    }
}

/* Expand and tile take their target shape / repeats as int64 value inputs. */
static void test_expand_tile(void) {
  const ingot_dtype dts[] = {INGOT_FLOAT32, INGOT_BFLOAT16, INGOT_INT32, INGOT_UINT8};
  static const int64_t shape[4] = {2, 3, 4, 5}, repeats[3] = {2, 2, 3};
  for (int32_t di = 0; di < N_OF(dts); di++) {
    tcase *c = case_new(INGOT_OP_EXPAND, "expand [3,1,5] to [2,3,4,5] %s", ingot_dtype_name(dts[di]));
    case_in(c, dts[di], R(3, 1, 5), DATA_ANY);
    case_in(c, INGOT_INT64, R(4), DATA_ANY);
    c->fixed[1] = shape;
    check(c);
    c = case_new(INGOT_OP_TILE, "tile [3,1,5] by [2,2,3] %s", ingot_dtype_name(dts[di]));
    case_in(c, dts[di], R(3, 1, 5), DATA_ANY);
    case_in(c, INGOT_INT64, R(3), DATA_ANY);
    c->fixed[1] = repeats;
    check(c);
  }
}

static void test_misc(void) {
  for (int32_t di = 0; di < N_OF(FLOATS); di++) {
    ingot_dtype dt = FLOATS[di];
    const char *name = ingot_dtype_name(dt);
    for (int32_t mode = 0; mode < 3; mode++) {
      char detail[64];
      snprintf(detail, sizeof detail, "mode %d %s", (int)mode, name);
      tcase *c = case_new(INGOT_OP_SCALE, "scale %s", detail);
      c->node.params.scale = (ingot_scale_params){mode, 1};
      int64_t n = mode == INGOT_SCALE_UNIFORM ? 1 : mode == INGOT_SCALE_CHANNEL ? 3 : 60;
      case_in(c, dt, R(2, 3, 4, 5), DATA_POSITIVE);
      case_in(c, INGOT_FLOAT32, 1, &n, DATA_ANY);
      if (mode == 1) case_absent(c); else case_in(c, dt, 1, &n, DATA_ANY);
      if (mode == 2) case_in(c, INGOT_FLOAT32, 1, &n, DATA_UNIT); else case_absent(c);
      check(c);
    }
    for (int32_t v = 0; v < 4; v++) {
      char detail[64];
      snprintf(detail, sizeof detail, "exclusive %d reverse %d %s", v & 1, v >> 1, name);
      tcase *c = case_new(INGOT_OP_CUMULATIVE, "cumsum %s", detail);
      c->node.params.cumulative = (ingot_cumulative_params){v == 3 ? 0 : 1, v & 1, v >> 1};
      case_in(c, dt, R(3, 40, 7), DATA_ANY);
      check(c);
    }
    tcase *c = case_new(INGOT_OP_GATHER_ELEMENTS, "gather elements axis 1 %s", name);
    c->node.params.gather_ex.axis = 1;
    case_in(c, dt, R(4, 6, 5), DATA_ANY);
    case_in(c, INGOT_INT64, R(4, 3, 5), DATA_INDEX);
    c->index_range[1] = 6;
    check(c);
  }
  const ingot_dtype ints[] = {INGOT_INT32, INGOT_INT64};
  for (int32_t di = 0; di < 2; di++) {
    tcase *c = case_new(INGOT_OP_CUMULATIVE, "cumsum %s", ingot_dtype_name(ints[di]));
    c->node.params.cumulative = (ingot_cumulative_params){-1, 0, 1};
    case_in(c, ints[di], R(5, 300), DATA_ANY);
    check(c);
  }
  const ingot_dtype qs[] = {INGOT_INT8, INGOT_UINT8};
  for (int32_t qi = 0; qi < 2; qi++)
    for (int32_t per_channel = 0; per_channel < 2; per_channel++)
      for (int32_t zp = 0; zp < 2; zp++) {
        char detail[64];
        snprintf(detail, sizeof detail, "%s per channel %d zero point %d", ingot_dtype_name(qs[qi]), (int)per_channel,
                 (int)zp);
        int64_t nch = per_channel ? 4 : 1;
        tcase *c = case_new(INGOT_OP_QUANTIZE, "quantize %s", detail);
        c->node.params.quantize = (ingot_quantize_params){1, qs[qi]};
        case_in(c, INGOT_FLOAT32, R(3, 4, 50), DATA_WIDE);
        case_in(c, INGOT_FLOAT32, per_channel ? 1 : 0, &nch, DATA_POSITIVE);
        if (zp) case_in(c, qs[qi], per_channel ? 1 : 0, &nch, DATA_ANY);
        check(c);
        c = case_new(INGOT_OP_DEQUANTIZE, "dequantize %s", detail);
        c->node.params.quantize = (ingot_quantize_params){1, 0};
        case_in(c, qs[qi], R(3, 4, 50), DATA_ANY);
        case_in(c, INGOT_FLOAT32, per_channel ? 1 : 0, &nch, DATA_POSITIVE);
        if (zp) case_in(c, qs[qi], per_channel ? 1 : 0, &nch, DATA_ANY);
        check(c);
      }
  static const int64_t fill_shape[3] = {3, 5, 7};
  for (int32_t di = 0; di < N_OF(ALL); di++) {
    tcase *c = case_new(INGOT_OP_FILL, "fill %s", ingot_dtype_name(ALL[di]));
    c->node.params.fill = (ingot_fill_params){ALL[di], -2.75};
    case_in(c, INGOT_INT64, R(3), DATA_ANY);
    c->fixed[0] = fill_shape;
    check(c);
    c = case_new(INGOT_OP_SHAPE, "shape of %s", ingot_dtype_name(ALL[di]));
    case_in(c, ALL[di], R(2, 1, 7, 3), DATA_ANY);
    check(c);
  }
}

static void test_scatter_gather_nd(void) {
  const ingot_dtype dts[] = {INGOT_FLOAT32, INGOT_FLOAT16, INGOT_BFLOAT16, INGOT_INT32, INGOT_INT64, INGOT_BOOL};
  for (int32_t di = 0; di < N_OF(dts); di++) {
    ingot_dtype dt = dts[di];
    const char *name = ingot_dtype_name(dt);
    tcase *c = case_new(INGOT_OP_GATHER_ND, "gather nd depth 2 %s", name);
    case_in(c, dt, R(4, 5, 6), DATA_ANY);
    case_in(c, INGOT_INT64, R(3, 2), DATA_INDEX);
    c->index_range[1] = 4;
    check(c);
    c = case_new(INGOT_OP_GATHER_ND, "gather nd batch 1 %s", name);
    c->node.params.gather_ex.batch_dims = 1;
    case_in(c, dt, R(3, 4, 5), DATA_ANY);
    case_in(c, INGOT_INT32, R(3, 2, 1), DATA_INDEX);
    c->index_range[1] = 4;
    check(c);
    for (int32_t red = 0; red <= INGOT_SCATTER_REDUCE_MIN; red++) {
      if (red != INGOT_SCATTER_REDUCE_NONE && dt == INGOT_BOOL) continue;
      char detail[64];
      snprintf(detail, sizeof detail, "reduction %d %s", (int)red, name);
      c = case_new(INGOT_OP_SCATTER, "scatter nd %s", detail);
      c->node.params.scatter = (ingot_scatter_params){INGOT_SCATTER_ND, 0, red};
      case_in(c, dt, R(6, 5), DATA_ANY);
      case_in(c, INGOT_INT64, R(9, 1), DATA_INDEX); /* 9 updates into 6 rows: duplicates */
      c->index_range[1] = 6;
      case_in(c, dt, R(9, 5), DATA_ANY);
      check(c);
      c = case_new(INGOT_OP_SCATTER, "scatter elements %s", detail);
      c->node.params.scatter = (ingot_scatter_params){INGOT_SCATTER_ELEMENTS, 1, red};
      case_in(c, dt, R(4, 6), DATA_ANY);
      case_in(c, INGOT_INT32, R(4, 5), DATA_INDEX);
      c->index_range[1] = 6;
      case_in(c, dt, R(4, 5), DATA_ANY);
      check(c);
    }
  }
}

static void test_topk(void) {
  const ingot_dtype dts[] = {INGOT_FLOAT32, INGOT_INT32, INGOT_INT64}; /* what inference takes */
  static const struct { int32_t n; int64_t d[3]; int32_t axis; int64_t k; } cases[] = {
      {2, {3, 1000}, 1, 7}, {3, {2, 300, 3}, 1, 300}, {2, {40, 5}, 0, 3}};
  for (int32_t di = 0; di < N_OF(dts); di++)
    for (int32_t s = 0; s < N_OF(cases); s++)
      for (int32_t op = 0; op < 2; op++) {
        char detail[64];
        snprintf(detail, sizeof detail, "case %d op %d %s", (int)s, (int)op, ingot_dtype_name(dts[di]));
        tcase *c = case_new(INGOT_OP_TOPK, "topk %s", detail);
        c->node.nb_outputs = 2;
        c->node.params.topk = (ingot_topk_params){op, cases[s].axis, cases[s].k};
        /* small integer range in int dtypes: many ties, which the order breaks by index */
        case_in(c, dts[di], cases[s].n, cases[s].d, DATA_ANY);
        check(c);
      }
}

/* ---- attention ---------------------------------------------------------------------------- */

/* The node level: both rows against the CPU reference through check(), for each
 * permutation and mask kind (bool masks random, so a fully masked row is vanishingly rare
 * and would be NaN on both sides). */
static void attention_node_case(ingot_dtype dt, const char *what, const int32_t perm[4][4], int64_t sq, int64_t sk,
                                int64_t d, int64_t dv, int32_t mask_kind, int32_t select, float fill, int32_t mask_rank,
                                const int64_t *mask_dims) {
  char detail[96];
  snprintf(detail, sizeof detail, "%s %s", what, ingot_dtype_name(dt));
  tcase *c = case_new(INGOT_OP_ATTENTION, "attention %s", detail);
  ingot_attention_params *p = &c->node.params.attention;
  p->scale = 1.0f / sqrtf((float)d);
  p->mask_kind = mask_kind;
  p->mask_select = select;
  p->mask_fill = fill;
  memcpy(p->perm, perm, sizeof p->perm);
  const int64_t logical[3][4] = {{2, 3, sq, d}, {2, 3, sk, d}, {2, 3, sk, dv}};
  for (int32_t t = 0; t < 3; t++) {
    int64_t stored[4];
    for (int32_t i = 0; i < 4; i++) stored[perm[t][i]] = logical[t][i];
    case_in(c, dt, 4, stored, DATA_ANY);
  }
  if (mask_kind != INGOT_ATTENTION_MASK_NONE)
    case_in(c, mask_kind == INGOT_ATTENTION_MASK_ADD ? dt : INGOT_BOOL, mask_rank, mask_dims, DATA_ANY);
  check(c);
}

static void test_attention_nodes(void) {
  static const int32_t ident[4][4] = {{0, 1, 2, 3}, {0, 1, 2, 3}, {0, 1, 2, 3}, {0, 1, 2, 3}};
  static const int32_t bshd[4][4] = {{0, 2, 1, 3}, {0, 2, 1, 3}, {0, 2, 1, 3}, {0, 2, 1, 3}};
  static const int32_t mixed[4][4] = {{0, 1, 2, 3}, {0, 2, 1, 3}, {0, 2, 1, 3}, {0, 2, 1, 3}};
  for (int32_t di = 0; di < N_OF(FLOATS); di++) {
    ingot_dtype dt = FLOATS[di];
    attention_node_case(dt, "BHSD no mask", ident, 37, 45, 64, 64, INGOT_ATTENTION_MASK_NONE, 0, 0.0f, 0, NULL);
    attention_node_case(dt, "BSHD add [B,1,1,Sk]", bshd, 37, 45, 64, 64, INGOT_ATTENTION_MASK_ADD, 0, 0.0f, R(2, 1, 1, 45));
    attention_node_case(dt, "mixed select 1 fill -3.4e38 [1,1,Sq,Sk]", mixed, 37, 45, 128, 128,
                        INGOT_ATTENTION_MASK_SELECT, 1, -3.4e38f, R(1, 1, 37, 45));
    attention_node_case(dt, "BSHD select 0 fill -inf [B,H,Sq,Sk]", bshd, 70, 45, 64, 64, INGOT_ATTENTION_MASK_SELECT,
                        0, -INFINITY, R(2, 3, 70, 45));
    attention_node_case(dt, "BSHD d 40 dv 24 add [H,Sq,Sk]", bshd, 37, 45, 40, 24, INGOT_ATTENTION_MASK_ADD, 0, 0.0f,
                        R(3, 37, 45));
  }
}

/* The launchers against a double reference on the rounded inputs, every operand in its
 * own layout (stored [B, H, S, X] or [B, S, H, X]), the output poisoned with NaN and
 * followed by guard bytes. Bool masks follow a pattern: causal (true above the diagonal),
 * or a keep-mask (random, at least one key a row true); `masked_row` >= 0 makes one query's
 * whole row masked. Relative L2 error per precision; a NaN in the reference (a row of -inf
 * scores) must be NaN in the result. */
enum { MASK_RANDOM, MASK_CAUSAL, MASK_KEEP };
typedef struct attn_spec {
  ingot_dtype dt;
  int64_t b, h, sq, sk, d, dv;
  int32_t bshd[4]; /* q, k, v, o stored as [B, S, H, X] */
  int32_t mask_kind, mask_pattern, select;
  float fill;
  int32_t mask_rank;
  int64_t mask_dims[4];
  int64_t masked_row; /* -1: none */
} attn_spec;

typedef struct attn_operand {
  int64_t size, stride[4]; /* logical B, H, S, X strides */
  void *host, *dev;
} attn_operand;

static void attn_operand_make(attn_operand *t, const attn_spec *s, int32_t which, int64_t seq, int64_t x, bool poison) {
  const size_t es = ingot_dtype_size(s->dt);
  t->size = s->b * s->h * seq * x;
  if (s->bshd[which]) {
    t->stride[0] = seq * s->h * x, t->stride[1] = x, t->stride[2] = s->h * x, t->stride[3] = 1;
  } else {
    t->stride[0] = s->h * seq * x, t->stride[1] = seq * x, t->stride[2] = x, t->stride[3] = 1;
  }
  t->host = malloc((size_t)t->size * es + GUARD);
  cudaMalloc(&t->dev, (size_t)t->size * es + GUARD);
  if (poison) {
    cudaMemset(t->dev, 0xFF, (size_t)t->size * es); /* NaN in every float dtype */
    cudaMemset((char *)t->dev + (size_t)t->size * es, 0xA5, GUARD);
  } else {
    fill(t->host, s->dt, t->size, DATA_ANY, 0);
    cudaMemcpy(t->dev, t->host, (size_t)t->size * es, cudaMemcpyHostToDevice);
  }
}

static void attn_operand_free(attn_operand *t) {
  cudaFree(t->dev);
  free(t->host);
}

static double attn_load(const attn_operand *t, ingot_dtype dt, int64_t b, int64_t h, int64_t s, int64_t x) {
  return ingot_load_as_double(t->host, dt, b * t->stride[0] + h * t->stride[1] + s * t->stride[2] + x);
}

/* The mask (stored dims mask_dims, right-aligned) and its strides against [B, H, Sq, Sk]. */
static void *attn_mask_make(const attn_spec *s, int64_t mstride[4], void **dev) {
  const int32_t lead = 4 - s->mask_rank;
  int64_t n = 1;
  for (int32_t i = 0; i < 4; i++) mstride[i] = 0;
  for (int32_t j = s->mask_rank - 1; j >= 0; j--) {
    mstride[lead + j] = s->mask_dims[j] == 1 ? 0 : n;
    n *= s->mask_dims[j];
  }
  const ingot_dtype mdt = s->mask_kind == 1 ? s->dt : INGOT_BOOL;
  void *host = calloc((size_t)n, 8);
  if (s->mask_kind == 1) fill(host, mdt, n, DATA_ANY, 0);
  for (int64_t e = 0; e < n && s->mask_kind == 2; e++) {
    int64_t c[4] = {0, 0, 0, 0}, rest = e;
    for (int32_t j = s->mask_rank - 1; j >= 0; j--) {
      c[lead + j] = rest % s->mask_dims[j];
      rest /= s->mask_dims[j];
    }
    const int64_t qi = c[2], key = c[3];
    bool masked; /* the score is replaced by the fill */
    if (s->mask_pattern == MASK_CAUSAL) masked = key > qi;
    else if (s->mask_pattern == MASK_KEEP) masked = !(urand() < 0.6 || key == (qi * 7 + c[0] + c[1]) % s->sk);
    else masked = urand() < 0.5;
    if (qi == s->masked_row) masked = true;
    ((uint8_t *)host)[e] = (uint8_t)(masked == (s->select != 0));
  }
  size_t bytes = (size_t)n * ingot_dtype_size(mdt);
  cudaMalloc(dev, bytes);
  cudaMemcpy(*dev, host, bytes, cudaMemcpyHostToDevice);
  return host;
}

static void attn_desc_fill(ingot_ck_attention_desc *a, const attn_spec *s, const attn_operand t[4]) {
  memset(a, 0, sizeof *a);
  a->dtype = (int32_t)s->dt;
  a->batch = s->b, a->heads = s->h, a->sq = s->sq, a->sk = s->sk, a->d = s->d, a->dv = s->dv;
  a->scale = 1.0f / sqrtf((float)(s->d > 0 ? s->d : 1));
  a->q = t[0].dev, a->k = t[1].dev, a->v = t[2].dev, a->o = t[3].dev;
  int64_t *st[4] = {a->q_stride, a->k_stride, a->v_stride, a->o_stride};
  for (int32_t k = 0; k < 4; k++) memcpy(st[k], t[k].stride, 3 * sizeof(int64_t));
}

/* softmax(scale q.k + mask) v in double for every output element, at o's logical index. */
static double *attn_reference(const attn_spec *s, const ingot_ck_attention_desc *a, const attn_operand t[4],
                              const void *mask_host, const int64_t mstride[4]) {
  double *want = malloc(sizeof(double) * (size_t)(t[3].size > 0 ? t[3].size : 1));
  double *p = malloc(sizeof(double) * (size_t)(s->sk > 0 ? s->sk : 1));
  for (int64_t b = 0; b < s->b; b++)
    for (int64_t h = 0; h < s->h; h++)
      for (int64_t i = 0; i < s->sq; i++) {
        double mx = -INFINITY, sum = 0.0;
        for (int64_t j = 0; j < s->sk; j++) {
          double dot = 0.0;
          for (int64_t e = 0; e < s->d; e++) dot += attn_load(&t[0], s->dt, b, h, i, e) * attn_load(&t[1], s->dt, b, h, j, e);
          double x = dot * (double)a->scale;
          int64_t at = b * mstride[0] + h * mstride[1] + i * mstride[2] + j * mstride[3];
          if (s->mask_kind == 1) x += ingot_load_as_double(mask_host, s->dt, at);
          if (s->mask_kind == 2 && (((const uint8_t *)mask_host)[at] != 0) == (s->select != 0)) x = (double)s->fill;
          p[j] = x;
          if (x > mx) mx = x;
        }
        for (int64_t j = 0; j < s->sk; j++) sum += (p[j] = exp(p[j] - mx)); /* all -inf: NaN */
        for (int64_t c = 0; c < s->dv; c++) {
          double acc = 0.0;
          for (int64_t j = 0; j < s->sk; j++) acc += p[j] * attn_load(&t[2], s->dt, b, h, j, c);
          want[b * t[3].stride[0] + h * t[3].stride[1] + i * t[3].stride[2] + c] = s->sk > 0 ? acc / sum : 0.0;
        }
      }
  free(p);
  return want;
}

/* Compares launcher `name`'s output with want; returns the number of problems. */
static int attn_compare(const char *label, const char *name, const attn_spec *s, const attn_operand *o,
                        const double *want) {
  const size_t es = ingot_dtype_size(s->dt);
  unsigned char *got = malloc((size_t)o->size * es + GUARD);
  cudaMemcpy(got, o->dev, (size_t)o->size * es + GUARD, cudaMemcpyDeviceToHost);
  double num = 0.0, den = 0.0, tol = s->dt == INGOT_FLOAT32 ? 1e-5 : s->dt == INGOT_FLOAT16 ? 2e-3 : 1e-2;
  int bad = 0;
  int64_t nan_rows = 0;
  for (int64_t e = 0; e < o->size; e++) {
    double g = ingot_load_as_double(got, s->dt, e), w = want[e];
    if (isnan(w)) {
      nan_rows++;
      if (!isnan(g) && bad++ < 3) fprintf(stderr, "FAIL %s [%s]: element %lld = %g, reference NaN\n", label, name, (long long)e, g);
      continue;
    }
    if (!isfinite(g)) {
      if (bad++ < 3) fprintf(stderr, "FAIL %s [%s]: element %lld = %g, reference %g\n", label, name, (long long)e, g, w);
      continue;
    }
    num += (g - w) * (g - w);
    den += w * w;
  }
  double rel = den > 0.0 ? sqrt(num / den) : sqrt(num);
  if (!(rel <= tol)) {
    fprintf(stderr, "FAIL %s [%s]: relative error %.3g over %.3g\n", label, name, rel, tol);
    bad++;
  }
  for (int i = 0; i < GUARD; i++)
    if (got[(size_t)o->size * es + i] != 0xA5) {
      fprintf(stderr, "FAIL %s [%s]: wrote past the output\n", label, name);
      bad++;
      break;
    }
  printf("%-72s %-26s rel %.2e%s %s\n", label, name, rel, nan_rows ? " (NaN rows)" : "", bad ? "FAILED" : "ok");
  free(got);
  return bad;
}

typedef bool (*attn_fits_fn)(const ingot_ck_attention_desc *);
typedef cudaError_t (*attn_launch_fn)(const ingot_ck_attention_desc *, cudaStream_t);
static const struct {
  const char *name;
  attn_fits_fn fits;
  attn_launch_fn launch;
} ATTN_LAUNCHERS[2] = {{"ingot_ck_attention_flash", ingot_ck_attention_flash_fits, ingot_ck_attention_flash},
                       {"ingot_ck_attention_rows", ingot_ck_attention_rows_fits, ingot_ck_attention_rows}};

static void attention_case(const attn_spec *s, bool bench_only) {
  attn_operand t[4];
  attn_operand_make(&t[0], s, 0, s->sq, s->d, false);
  attn_operand_make(&t[1], s, 1, s->sk, s->d, false);
  attn_operand_make(&t[2], s, 2, s->sk, s->dv, false);
  attn_operand_make(&t[3], s, 3, s->sq, s->dv, true);
  ingot_ck_attention_desc a;
  attn_desc_fill(&a, s, t);
  int64_t mstride[4] = {0, 0, 0, 0};
  void *mask_host = NULL, *mask_dev = NULL;
  if (s->mask_kind) {
    mask_host = attn_mask_make(s, mstride, &mask_dev);
    a.mask_kind = s->mask_kind, a.mask = mask_dev, a.mask_select = s->select, a.mask_fill = s->fill;
    memcpy(a.mask_stride, mstride, sizeof mstride);
  }
  char label[160];
  snprintf(label, sizeof label, "attention %s b %lld h %lld sq %lld sk %lld d %lld dv %lld layout %d%d%d%d mask %d",
           ingot_dtype_name(s->dt), (long long)s->b, (long long)s->h, (long long)s->sq, (long long)s->sk,
           (long long)s->d, (long long)s->dv, s->bshd[0], s->bshd[1], s->bshd[2], s->bshd[3], s->mask_kind);
  const bool flash_expected = (s->dt == INGOT_FLOAT16 || s->dt == INGOT_BFLOAT16) && s->d == s->dv &&
                              (s->d == 64 || s->d == 128);
  double *want = bench_only ? NULL : attn_reference(s, &a, t, mask_host, mstride);
  for (int32_t l = 0; l < 2; l++) {
    if (!ATTN_LAUNCHERS[l].fits(&a)) {
      if (l == 0 && flash_expected) {
        fprintf(stderr, "FAIL %s: the flash kernel refuses it\n", label);
        g_failures++;
      }
      continue;
    }
    cudaMemset(t[3].dev, 0xFF, (size_t)t[3].size * ingot_dtype_size(s->dt));
    cudaError_t err = ATTN_LAUNCHERS[l].launch(&a, NULL);
    if (err == cudaSuccess) err = cudaDeviceSynchronize();
    if (bench_only) {
      cudaEvent_t e0, e1;
      cudaEventCreate(&e0);
      cudaEventCreate(&e1);
      const int iters = 50;
      cudaEventRecord(e0, NULL);
      for (int i = 0; i < iters; i++) ATTN_LAUNCHERS[l].launch(&a, NULL);
      cudaEventRecord(e1, NULL);
      cudaEventSynchronize(e1);
      float ms = 0;
      cudaEventElapsedTime(&ms, e0, e1);
      double us = 1000.0 * ms / iters;
      double flops = 2.0 * (double)(s->b * s->h) * (double)s->sq * (double)s->sk * (double)(s->d + s->dv);
      printf("bench %-64s %-26s %9.1f us %7.1f TFLOP/s%s\n", label, ATTN_LAUNCHERS[l].name, us, flops / (us * 1e6),
             err == cudaSuccess ? "" : " (launch failed)");
      cudaEventDestroy(e0);
      cudaEventDestroy(e1);
      continue;
    }
    g_cases++;
    if (err != cudaSuccess) {
      fprintf(stderr, "FAIL %s [%s]: %s\n", label, ATTN_LAUNCHERS[l].name, cudaGetErrorString(err));
      g_failures++;
      continue;
    }
    if (attn_compare(label, ATTN_LAUNCHERS[l].name, s, &t[3], want)) g_failures++;
  }
  free(want);
  free(mask_host);
  cudaFree(mask_dev);
  for (int32_t k = 0; k < 4; k++) attn_operand_free(&t[k]);
}

/* A misaligned operand: the flash kernel declines it and its launcher returns an error. */
static void attention_misaligned(void) {
  attn_spec s = {INGOT_FLOAT16, 1, 2, 16, 16, 64, 64, {0, 0, 0, 0}, 0, 0, 0, 0.0f, 0, {0}, -1};
  attn_operand t[4];
  attn_operand_make(&t[0], &s, 0, s.sq, s.d, false);
  attn_operand_make(&t[1], &s, 1, s.sk, s.d, false);
  attn_operand_make(&t[2], &s, 2, s.sk, s.dv, false);
  attn_operand_make(&t[3], &s, 3, s.sq, s.dv, true);
  ingot_ck_attention_desc a;
  attn_desc_fill(&a, &s, t);
  a.k = (const char *)a.k + 2;
  a.sk -= 1; /* stay inside the allocation */
  g_cases++;
  cudaError_t err = ingot_ck_attention_flash(&a, NULL);
  cudaError_t after = cudaDeviceSynchronize();
  if (ingot_ck_attention_flash_fits(&a) || err != cudaErrorMisalignedAddress || after != cudaSuccess) {
    fprintf(stderr, "FAIL attention misaligned k: fits %d, launch %s, then %s\n", (int)ingot_ck_attention_flash_fits(&a),
            cudaGetErrorString(err), cudaGetErrorString(after));
    g_failures++;
  }
  for (int32_t k = 0; k < 4; k++) attn_operand_free(&t[k]);
}

static void test_attention(void) {
  const float big = -3.4e38f;
  const attn_spec specs[] = {
      /* dt, b, h, sq, sk, d, dv, layouts q k v o, mask kind, pattern, select, fill, mask rank, dims, masked row */
      {INGOT_FLOAT16, 2, 3, 100, 77, 64, 64, {0, 0, 0, 0}, 0, 0, 0, 0.0f, 0, {0}, -1},
      {INGOT_FLOAT16, 2, 2, 5, 300, 64, 64, {1, 1, 1, 1}, 1, 0, 0, 0.0f, 4, {2, 1, 1, 300}, -1},
      {INGOT_FLOAT16, 1, 2, 128, 128, 128, 128, {1, 0, 1, 0}, 1, 0, 0, 0.0f, 4, {1, 2, 128, 128}, -1},
      {INGOT_FLOAT16, 2, 2, 100, 77, 128, 128, {1, 1, 1, 1}, 2, MASK_CAUSAL, 1, big, 4, {1, 1, 100, 77}, -1},
      {INGOT_FLOAT16, 2, 3, 64, 200, 64, 64, {0, 1, 1, 1}, 2, MASK_KEEP, 0, -INFINITY, 4, {2, 1, 64, 200}, -1},
      {INGOT_FLOAT16, 1, 2, 33, 50, 64, 64, {0, 0, 0, 0}, 2, MASK_KEEP, 0, big, 2, {33, 50}, 5},       /* finite: uniform */
      {INGOT_FLOAT16, 1, 1, 20, 40, 64, 64, {1, 0, 0, 1}, 2, MASK_KEEP, 0, -INFINITY, 2, {20, 40}, 3}, /* -inf: NaN row */
      {INGOT_FLOAT16, 2, 3, 17, 33, 40, 24, {1, 0, 0, 0}, 1, 0, 0, 0.0f, 3, {3, 1, 33}, -1},
      {INGOT_FLOAT16, 1, 2, 3, 1000, 40, 24, {0, 1, 0, 1}, 0, 0, 0, 0.0f, 0, {0}, -1},
      {INGOT_FLOAT16, 1, 2, 7, 0, 64, 64, {0, 0, 0, 0}, 0, 0, 0, 0.0f, 0, {0}, -1}, /* no keys: zeros */
      /* query-independent masks longer than the flash kernel stages whole (512 keys) */
      {INGOT_FLOAT16, 1, 2, 70, 600, 64, 64, {1, 1, 1, 1}, 1, 0, 0, 0.0f, 4, {1, 1, 1, 600}, -1},
      {INGOT_FLOAT16, 2, 2, 33, 700, 128, 128, {0, 1, 1, 0}, 2, MASK_KEEP, 0, -INFINITY, 4, {2, 1, 1, 700}, -1},
      /* one query (the rows kernel's one-query blocks); a long row (fewer queries a block) */
      {INGOT_FLOAT16, 2, 3, 1, 200, 64, 64, {1, 1, 1, 1}, 1, 0, 0, 0.0f, 4, {2, 1, 1, 200}, -1},
      {INGOT_FLOAT16, 1, 1, 9, 8000, 64, 64, {0, 0, 0, 0}, 1, 0, 0, 0.0f, 2, {9, 8000}, -1},
  };
  const ingot_dtype dts[] = {INGOT_FLOAT32, INGOT_FLOAT16, INGOT_BFLOAT16};
  for (int32_t di = 0; di < N_OF(dts); di++)
    for (int32_t k = 0; k < N_OF(specs); k++) {
      attn_spec s = specs[k];
      s.dt = dts[di];
      attention_case(&s, false);
    }
  /* More than 65535 heads: the grid is one-dimensional. */
  attn_spec many = {INGOT_FLOAT16, 1, 70000, 3, 10, 64, 64, {0, 1, 1, 0}, 0, 0, 0, 0.0f, 0, {0}, -1};
  attention_case(&many, false);
  attention_misaligned();
  test_attention_nodes();
}

/* ---- timing (INGOT_CK_BENCH=1) -------------------------------------------------------------- */

/* Times row `name` on the case (inputs filled with small values on the device), printing
 * microseconds per run and the bytes moved per second (inputs read once, output written). */
static void bench_case(const char *name, const tcase *c) {
  const ingot_tactic *t = NULL;
  for (int32_t r = 0; r < ingot_cuda_kernel_tactic_count; r++)
    if (strcmp(ingot_cuda_kernel_tactics[r].name, name) == 0) t = &ingot_cuda_kernel_tactics[r];
  ingot_value_info vin[MAX_IN], vout[1];
  ingot_tensor_view in[MAX_IN], out;
  double bytes = 0;
  for (int32_t k = 0; k < c->nb_inputs; k++) {
    int64_t n = ingot_dims_volume(&c->dims[k]);
    size_t b = (size_t)n * ingot_dtype_size(c->dt[k]);
    in[k] = (ingot_tensor_view){c->dt[k], c->dims[k], NULL};
    cudaMalloc(&in[k].data, b);
    cudaMemset(in[k].data, 0x3c, b); /* small positive floats in every float dtype */
    bytes += (double)b;
    vin[k] = (ingot_value_info){c->dt[k], c->dims[k], c->fixed[k]};
  }
  memset(vout, 0, sizeof vout);
  if (!t || ingot_op_infer(c->node.op)(&c->node, vin, vout) != INGOT_SUCCESS) {
    fprintf(stderr, "bench %s: cannot set up\n", c->label);
    g_failures++;
    return;
  }
  out = (ingot_tensor_view){vout[0].dtype, vout[0].dims, NULL};
  size_t ob = (size_t)ingot_dims_volume(&out.dims) * ingot_dtype_size(out.dtype);
  cudaMalloc(&out.data, ob);
  bytes += (double)ob;
  cudaStream_t stream;
  cudaStreamCreate(&stream);
  ingot_kernel_args a = {.node = &c->node, .params = &c->node.params, .nb_inputs = c->nb_inputs, .inputs = in,
                         .nb_outputs = 1, .outputs = &out, .stream = stream};
  cudaEvent_t e0, e1;
  cudaEventCreate(&e0);
  cudaEventCreate(&e1);
  for (int i = 0; i < 3; i++) t->run(&a);
  const int iters = 50;
  cudaEventRecord(e0, stream);
  for (int i = 0; i < iters; i++) t->run(&a);
  cudaEventRecord(e1, stream);
  cudaEventSynchronize(e1);
  float ms = 0;
  cudaEventElapsedTime(&ms, e0, e1);
  double us = 1000.0 * ms / iters;
  printf("bench %-48s %-24s %9.1f us %7.0f GB/s\n", c->label, name, us, bytes / (us * 1e3));
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  cudaStreamDestroy(stream);
  for (int32_t k = 0; k < c->nb_inputs; k++) cudaFree(in[k].data);
  cudaFree(out.data);
}

static void bench(void) {
  /* BERT-base (batch 64, sequence 128, [B, S, H, D] operands, padding mask [B, 1, 1, Sk]) and a long sequence. */
  const attn_spec bert = {INGOT_FLOAT16, 64, 12, 128, 128, 64, 64, {1, 1, 1, 1}, 1, 0, 0, 0.0f, 4, {64, 1, 1, 128}, -1};
  const attn_spec longer = {INGOT_FLOAT16, 8, 16, 1024, 1024, 64, 64, {1, 1, 1, 1}, 0, 0, 0, 0.0f, 0, {0}, -1};
  attn_spec bert32 = bert;
  bert32.dt = INGOT_FLOAT32; /* the rows kernel only */
  attention_case(&bert, true);
  attention_case(&bert32, true);
  attention_case(&longer, true);
  tcase *c = case_new(INGOT_OP_ELEMENTWISE, "%s", "add f16 [64,256,56,56] same shape");
  case_in(c, INGOT_FLOAT16, R(64, 256, 56, 56), DATA_ANY);
  case_in(c, INGOT_FLOAT16, R(64, 256, 56, 56), DATA_ANY);
  bench_case("elementwise_cuda", c);
  c = case_new(INGOT_OP_ELEMENTWISE, "%s", "add f16 [64,256,56,56] + [256,1,1]");
  case_in(c, INGOT_FLOAT16, R(64, 256, 56, 56), DATA_ANY);
  case_in(c, INGOT_FLOAT16, R(256, 1, 1), DATA_ANY);
  bench_case("elementwise_cuda", c);
  c = case_new(INGOT_OP_ACTIVATION, "%s", "gelu f16 [64,256,56,56]");
  c->node.params.activation.type = INGOT_ACTIVATION_GELU_ERF;
  case_in(c, INGOT_FLOAT16, R(64, 256, 56, 56), DATA_ANY);
  bench_case("activation_cuda", c);
  c = case_new(INGOT_OP_CAST, "%s", "cast f32->f16 [64M]");
  c->node.params.cast.to = INGOT_FLOAT16;
  case_in(c, INGOT_FLOAT32, R(64 << 20), DATA_ANY);
  bench_case("cast_cuda", c);
  c = case_new(INGOT_OP_SOFTMAX, "%s", "softmax f16 [32,12,128,128] last axis");
  c->node.params.softmax.axis = -1;
  case_in(c, INGOT_FLOAT16, R(32, 12, 128, 128), DATA_ANY);
  bench_case("softmax_cuda_online", c);
  c = case_new(INGOT_OP_LAYER_NORMALIZATION, "%s", "layernorm f16 [32,128,768]");
  c->node.params.layernorm = (ingot_layernorm_params){4u, 1e-5f};
  case_in(c, INGOT_FLOAT16, R(32, 128, 768), DATA_ANY);
  case_in(c, INGOT_FLOAT16, R(768), DATA_ANY);
  case_in(c, INGOT_FLOAT16, R(768), DATA_ANY);
  bench_case("layernorm_cuda_welford", c);
  c = case_new(INGOT_OP_SHUFFLE, "%s", "transpose f16 [32,128,12,64] 0213");
  c->node.params.shuffle.has_first_transpose = 1;
  memcpy(c->node.params.shuffle.first_transpose, (int32_t[]){0, 2, 1, 3}, 4 * sizeof(int32_t));
  case_in(c, INGOT_FLOAT16, R(32, 128, 12, 64), DATA_ANY);
  bench_case("shuffle_cuda", c);
  c = case_new(INGOT_OP_SHUFFLE, "%s", "transpose f16 [64,256,56,56] 0231 (NCHW->NHWC)");
  c->node.params.shuffle.has_first_transpose = 1;
  memcpy(c->node.params.shuffle.first_transpose, (int32_t[]){0, 2, 3, 1}, 4 * sizeof(int32_t));
  case_in(c, INGOT_FLOAT16, R(64, 256, 56, 56), DATA_ANY);
  bench_case("shuffle_cuda", c);
  c = case_new(INGOT_OP_POOLING, "%s", "global avg pool f16 [64,2048,7,7]");
  c->node.params.pooling = (ingot_pooling_params){.type = INGOT_POOLING_AVERAGE, .nb_spatial_dims = 2, .global = 1};
  case_in(c, INGOT_FLOAT16, R(64, 2048, 7, 7), DATA_ANY);
  bench_case("pooling_cuda", c);
  c = case_new(INGOT_OP_POOLING, "%s", "max pool 3x3/2 f16 [64,64,112,112]");
  c->node.params.pooling = (ingot_pooling_params){.type = INGOT_POOLING_MAX, .nb_spatial_dims = 2,
                                                  .window_size = {3, 3}, .stride = {2, 2}, .pre_padding = {1, 1},
                                                  .post_padding = {1, 1}, .dilation = {1, 1}};
  case_in(c, INGOT_FLOAT16, R(64, 64, 112, 112), DATA_ANY);
  bench_case("pooling_cuda", c);
  c = case_new(INGOT_OP_REDUCE, "%s", "reduce sum f32 [4096,4096] last axis");
  c->node.params.reduce = (ingot_reduce_params){INGOT_REDUCE_SUM, 2u, 1};
  case_in(c, INGOT_FLOAT32, R(4096, 4096), DATA_ANY);
  bench_case("reduce_cuda", c);
  c = case_new(INGOT_OP_CONCATENATION, "%s", "concat f16 2x[64,128,56,56] axis 1");
  c->node.params.concat.axis = 1;
  case_in(c, INGOT_FLOAT16, R(64, 128, 56, 56), DATA_ANY);
  case_in(c, INGOT_FLOAT16, R(64, 128, 56, 56), DATA_ANY);
  bench_case("concat_cuda", c);
}

int main(void) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    printf("test_cuda_kernels: SKIPPED: no usable CUDA device\n");
    return 77;
  }
  test_elementwise();
  test_select_prelu();
  test_unary_activation();
  test_cast();
  test_softmax();
  test_reduce();
  test_normalization();
  test_pooling();
  test_movement();
  test_expand_tile();
  test_misc();
  test_scatter_gather_nd();
  test_topk();
  test_attention();
  for (int32_t r = 0; r < ingot_cuda_kernel_tactic_count; r++) {
    printf("%-24s %4d cases, %d failed\n", ingot_cuda_kernel_tactics[r].name, g_row_cases[r], g_row_failures[r]);
    if (g_row_cases[r] == 0) {
      fprintf(stderr, "FAIL row %s was never tested\n", ingot_cuda_kernel_tactics[r].name);
      g_failures++;
    }
  }
  printf("%d cases, %d failures\n", g_cases, g_failures);
  const char *b = getenv("INGOT_CK_BENCH");
  if (b && b[0] == '1') bench();
  return g_failures ? 1 : 0;
}
