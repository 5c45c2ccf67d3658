/* cuBLASLt tactics for matrix multiply and fully connected, with the fused epilogue
 * (+ bias over the last dim, + residual through C with beta = 1, then relu or gelu-tanh
 * in cuBLASLt's epilogue; any other activation after it, in place, by the backend's own
 * activation kernel).
 * ingot's tensors are row-major; cuBLASLt is column-major, so Y = opA(A) opB(B) (M x N
 * row-major) is computed as Y^T = opB(B)^T opA(A)^T in column-major terms: the B side is
 * cuBLASLt's first operand. Batches are strided; an operand whose batch volume is 1 is
 * broadcast with batch stride 0. Each heuristic candidate (0..3) of cuBLASLt is its own
 * tactic row, so the builder times them and keeps the fastest. fp32 runs with tf32
 * ("_tf32" rows, dropped by the builder when tf32 is not allowed) or full fp32; fp16 and
 * bf16 accumulate in fp32. */
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cuda_common.h"
#include "backend/cuda/kernels/ck_launch.h"
#include "core/alloc.h"
#include "core/dims.h"

#define LT_WORKSPACE (32u << 20) /* cuBLAS's advice for Hopper */
#define LT_CANDIDATES 4
#define LT_MAGIC 0x544c6769 /* "igLT" */

enum { MODE_TF32 = 0, MODE_F32 = 1, MODE_HALF = 2 };

/* What prepare() records (host memory, in the plan): the row's precision mode and which
 * heuristic candidate it is. */
typedef struct lt_choice {
  int32_t magic, mode, candidate, reserved;
} lt_choice;

/* The problem in column-major terms. */
typedef struct lt_problem {
  int64_t m, n, k;                 /* row-major Y is m x n */
  int64_t batch;                   /* output matrices */
  int64_t stride_a, stride_b;      /* per batch, elements; 0 when broadcast */
  cublasOperation_t op_first, op_second; /* cuBLASLt's A (our B side) and B (our A side) */
  int64_t rows_first, cols_first, ld_first;
  int64_t rows_second, cols_second, ld_second;
  const ingot_tensor_view *bias, *residual;
  int32_t activation;
  float alpha, beta;  /* the activation's */
  bool activation_after; /* not one cuBLASLt fuses */
  ingot_dtype dtype;
} lt_problem;

typedef struct lt_state {
  cublasLtMatmulDesc_t desc;
  cublasLtMatrixLayout_t first, second, c, d;
  cublasLtMatmulAlgo_t algo;
  lt_problem p;
} lt_state;

static const ingot_epilogue *epilogue_of(const ingot_node *n, int32_t *has_bias) {
  if (n->op == INGOT_OP_FULLY_CONNECTED) {
    *has_bias = n->params.fc.has_bias;
    return &n->params.fc.epilogue;
  }
  *has_bias = n->params.matmul.has_bias;
  return &n->params.matmul.epilogue;
}

static int64_t batch_volume(const ingot_dims *d, int32_t matrix_dims) {
  int64_t v = 1;
  for (int32_t i = 0; i < d->nb_dims - matrix_dims; i++) v *= d->d[i];
  return v;
}

/* Fills *p from the node and its views; false when this tactic family cannot run it. */
static bool describe(const ingot_node *node, const ingot_tensor_view *in, const ingot_tensor_view *out,
                     lt_problem *p) {
  memset(p, 0, sizeof *p);
  int32_t has_bias = 0;
  const ingot_epilogue *e = epilogue_of(node, &has_bias);
  const ingot_tensor_view *a = &in[0], *b = &in[1], *y = &out[0];
  p->dtype = y->dtype;
  for (int32_t i = 0; i < node->nb_inputs; i++)
    if (in[i].dims.nb_dims >= 0 && in[i].dtype != p->dtype) return false;
  if (p->dtype != INGOT_FLOAT32 && p->dtype != INGOT_FLOAT16 && p->dtype != INGOT_BFLOAT16) return false;
  if (e->activation >= INGOT_ACTIVATION_TYPE_COUNT) return false;
  p->activation = e->activation;
  p->alpha = e->alpha, p->beta = e->beta;
  p->activation_after =
      e->activation >= 0 && e->activation != INGOT_ACTIVATION_RELU && e->activation != INGOT_ACTIVATION_GELU_TANH;
  if (a->dims.nb_dims < 1 || b->dims.nb_dims < 1) return false;
  int64_t yv = ingot_dims_volume(&y->dims);
  if (node->op == INGOT_OP_FULLY_CONNECTED) {
    int64_t rows = a->dims.d[0], nout = node->params.fc.num_outputs;
    if (a->dims.nb_dims < 2 || rows <= 0 || nout <= 0) return false;
    p->m = rows;
    p->k = ingot_dims_volume(&a->dims) / rows;
    p->n = nout;
    if (ingot_dims_volume(&b->dims) != p->n * p->k || yv != p->m * p->n) return false;
    p->batch = 1;
    /* W is [n, k] row-major: col-major k x n, transposed */
    p->op_first = CUBLAS_OP_T, p->rows_first = p->k, p->cols_first = p->n, p->ld_first = p->k;
    p->op_second = CUBLAS_OP_N, p->rows_second = p->k, p->cols_second = p->m, p->ld_second = p->k;
  } else {
    const ingot_matmul_params *mp = &node->params.matmul;
    int32_t ra = a->dims.nb_dims, rb = b->dims.nb_dims;
    int32_t need_a = mp->op_a == INGOT_MATRIX_OP_VECTOR ? 1 : 2, need_b = mp->op_b == INGOT_MATRIX_OP_VECTOR ? 1 : 2;
    if (ra < need_a || rb < need_b) return false;
    int64_t ka, kb;
    switch (mp->op_a) {
      case INGOT_MATRIX_OP_NONE:
        p->m = a->dims.d[ra - 2], ka = a->dims.d[ra - 1];
        p->op_second = CUBLAS_OP_N, p->rows_second = ka, p->cols_second = p->m, p->ld_second = ka;
        break;
      case INGOT_MATRIX_OP_TRANSPOSE:
        ka = a->dims.d[ra - 2], p->m = a->dims.d[ra - 1];
        p->op_second = CUBLAS_OP_T, p->rows_second = p->m, p->cols_second = ka, p->ld_second = p->m;
        break;
      default:
        p->m = 1, ka = a->dims.d[ra - 1];
        p->op_second = CUBLAS_OP_N, p->rows_second = ka, p->cols_second = 1, p->ld_second = ka;
        break;
    }
    switch (mp->op_b) {
      case INGOT_MATRIX_OP_NONE:
        kb = b->dims.d[rb - 2], p->n = b->dims.d[rb - 1];
        p->op_first = CUBLAS_OP_N, p->rows_first = p->n, p->cols_first = kb, p->ld_first = p->n;
        break;
      case INGOT_MATRIX_OP_TRANSPOSE:
        p->n = b->dims.d[rb - 2], kb = b->dims.d[rb - 1];
        p->op_first = CUBLAS_OP_T, p->rows_first = kb, p->cols_first = p->n, p->ld_first = kb;
        break;
      default:
        p->n = 1, kb = b->dims.d[rb - 1];
        p->op_first = CUBLAS_OP_T, p->rows_first = kb, p->cols_first = 1, p->ld_first = kb;
        break;
    }
    if (ka != kb || p->m <= 0 || p->n <= 0 || ka <= 0) return false;
    p->k = ka;
    p->batch = p->m * p->n > 0 ? yv / (p->m * p->n) : 0;
    if (p->batch < 1 || p->batch * p->m * p->n != yv) return false;
    int64_t ba = batch_volume(&a->dims, need_a), bb = batch_volume(&b->dims, need_b);
    /* batches broadcast only as all-or-one (stride 0), not dim by dim */
    if ((ba != p->batch && ba != 1) || (bb != p->batch && bb != 1)) return false;
    if (ba == p->batch && bb == p->batch && ba > 1 && a->dims.nb_dims - need_a != b->dims.nb_dims - need_b)
      return false;
    p->stride_a = ba == 1 ? 0 : p->m * p->k;
    p->stride_b = bb == 1 ? 0 : p->k * p->n;
  }
  if (has_bias) {
    if (node->nb_inputs < 3 || in[2].dims.nb_dims < 0 || ingot_dims_volume(&in[2].dims) != p->n) return false;
    p->bias = &in[2];
  }
  if (e->has_residual) {
    const ingot_tensor_view *r = &in[node->nb_inputs - 1];
    if (r->dims.nb_dims < 0 || !ingot_dims_equal(&r->dims, &y->dims)) return false;
    p->residual = r;
  }
  return true;
}

static bool lt_supports(const ingot_node *node, const ingot_tensor_view *in, const ingot_tensor_view *out, int mode) {
  lt_problem p;
  if (!describe(node, in, out, &p)) return false;
  return mode == MODE_HALF ? p.dtype != INGOT_FLOAT32 : p.dtype == INGOT_FLOAT32;
}

static ingot_status lt_prepare(const ingot_kernel_args *args, int mode, int candidate, void **out, uint64_t *size) {
  lt_choice *c = ingot_calloc(1, sizeof *c);
  if (!c) return INGOT_OUT_OF_MEMORY;
  c->magic = LT_MAGIC;
  c->mode = mode;
  c->candidate = candidate;
  *out = c;
  *size = sizeof *c;
  return INGOT_SUCCESS;
}

static uint64_t lt_workspace(const ingot_kernel_args *args) { return LT_WORKSPACE; }

static void lt_destroy_state(void *state) {
  lt_state *s = state;
  if (!s) return;
  if (s->desc) cublasLtMatmulDescDestroy(s->desc);
  if (s->first) cublasLtMatrixLayoutDestroy(s->first);
  if (s->second) cublasLtMatrixLayoutDestroy(s->second);
  if (s->c) cublasLtMatrixLayoutDestroy(s->c);
  if (s->d) cublasLtMatrixLayoutDestroy(s->d);
  free(s);
}

#define LT_TRY(call, what)                                                           \
  do {                                                                               \
    cublasStatus_t lt_st_ = (call);                                                  \
    if (lt_st_ != CUBLAS_STATUS_SUCCESS) {                                           \
      lt_destroy_state(s);                                                           \
      return ingot_cublas_fail(lt_st_, what, args->node);                            \
    }                                                                                \
  } while (0)

static cublasStatus_t make_layout(cublasLtMatrixLayout_t *l, cudaDataType_t t, int64_t rows, int64_t cols, int64_t ld,
                                  int64_t batch, int64_t stride) {
  cublasStatus_t st = cublasLtMatrixLayoutCreate(l, t, (uint64_t)rows, (uint64_t)cols, ld);
  if (st != CUBLAS_STATUS_SUCCESS || batch <= 1) return st;
  int32_t count = (int32_t)batch;
  st = cublasLtMatrixLayoutSetAttribute(*l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof count);
  if (st == CUBLAS_STATUS_SUCCESS)
    st = cublasLtMatrixLayoutSetAttribute(*l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof stride);
  return st;
}

/* Descriptors for these shapes and the chosen heuristic candidate (clamped to those
 * cuBLASLt returns for these shapes). */
static ingot_status lt_create_state(const ingot_kernel_args *args, void **state_out) {
  *state_out = NULL;
  const lt_choice *choice = args->prepared;
  if (!choice || args->prepared_size != sizeof *choice || choice->magic != LT_MAGIC)
    return ingot_node_fail(args->node, INGOT_INVALID_PLAN, "cuBLASLt tactic: prepared block missing or damaged");
  const ingot_cuda_handles *h = args->device_handles;
  if (!h) return ingot_node_fail(args->node, INGOT_INVALID_STATE, "cuBLASLt tactic run without device handles");
  lt_state *s = ingot_calloc(1, sizeof *s);
  if (!s) return INGOT_OUT_OF_MEMORY;
  if (!describe(args->node, args->inputs, args->outputs, &s->p)) {
    free(s);
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "cuBLASLt tactic does not support these shapes or dtypes");
  }
  lt_problem *p = &s->p;
  cudaDataType_t dt;
  ingot_cuda_data_type(p->dtype, &dt);
  cublasComputeType_t compute = choice->mode == MODE_TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  LT_TRY(cublasLtMatmulDescCreate(&s->desc, compute, CUDA_R_32F), "cublasLtMatmulDescCreate");
  LT_TRY(cublasLtMatmulDescSetAttribute(s->desc, CUBLASLT_MATMUL_DESC_TRANSA, &p->op_first, sizeof p->op_first),
         "set transa");
  LT_TRY(cublasLtMatmulDescSetAttribute(s->desc, CUBLASLT_MATMUL_DESC_TRANSB, &p->op_second, sizeof p->op_second),
         "set transb");
  cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_DEFAULT;
  if (p->activation == INGOT_ACTIVATION_RELU) epi = p->bias ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_RELU;
  else if (p->activation == INGOT_ACTIVATION_GELU_TANH)
    epi = p->bias ? CUBLASLT_EPILOGUE_GELU_BIAS : CUBLASLT_EPILOGUE_GELU;
  else if (p->bias) epi = CUBLASLT_EPILOGUE_BIAS;
  LT_TRY(cublasLtMatmulDescSetAttribute(s->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi), "set epilogue");
  if (p->bias) {
    int64_t zero = 0;
    LT_TRY(cublasLtMatmulDescSetAttribute(s->desc, CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE, &zero, sizeof zero),
           "set bias batch stride");
  }
  LT_TRY(make_layout(&s->first, dt, p->rows_first, p->cols_first, p->ld_first, p->batch, p->stride_b), "B layout");
  LT_TRY(make_layout(&s->second, dt, p->rows_second, p->cols_second, p->ld_second, p->batch, p->stride_a),
         "A layout");
  LT_TRY(make_layout(&s->c, dt, p->n, p->m, p->n, p->batch, p->m * p->n), "C layout");
  LT_TRY(make_layout(&s->d, dt, p->n, p->m, p->n, p->batch, p->m * p->n), "D layout");
  cublasLtMatmulPreference_t pref = NULL;
  LT_TRY(cublasLtMatmulPreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate");
  uint64_t ws = args->workspace_size ? args->workspace_size : LT_WORKSPACE;
  cublasLtMatmulHeuristicResult_t results[LT_CANDIDATES];
  int found = 0;
  cublasStatus_t st = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws,
                                                           sizeof ws);
  if (st == CUBLAS_STATUS_SUCCESS)
    st = cublasLtMatmulAlgoGetHeuristic(h->lt, s->desc, s->first, s->second, s->c, s->d, pref, LT_CANDIDATES, results,
                                        &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (st != CUBLAS_STATUS_SUCCESS) {
    lt_destroy_state(s);
    return ingot_cublas_fail(st, "cublasLtMatmulAlgoGetHeuristic", args->node);
  }
  if (found <= 0) {
    lt_destroy_state(s);
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "cuBLASLt has no algorithm for this %lldx%lldx%lld %s GEMM",
                           (long long)p->m, (long long)p->n, (long long)p->k, ingot_dtype_name(p->dtype));
  }
  int32_t pick = choice->candidate < found ? choice->candidate : found - 1;
  s->algo = results[pick].algo;
  *state_out = s;
  return INGOT_SUCCESS;
}

static ingot_status lt_run(const ingot_kernel_args *args) {
  lt_state *s = args->state;
  const ingot_cuda_handles *h = args->device_handles;
  if (!s || !h) return ingot_node_fail(args->node, INGOT_INVALID_STATE, "cuBLASLt tactic run without its state");
  const lt_problem *p = &s->p;
  if (p->batch * p->m * p->n == 0) return INGOT_SUCCESS;
  const float alpha = 1.0f, beta = p->residual ? 1.0f : 0.0f;
  if (p->bias) {
    const void *bias = args->inputs[2].data;
    cublasStatus_t st =
        cublasLtMatmulDescSetAttribute(s->desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias);
    if (st != CUBLAS_STATUS_SUCCESS) return ingot_cublas_fail(st, "set bias pointer", args->node);
  }
  const void *c = p->residual ? args->inputs[args->nb_inputs - 1].data : args->outputs[0].data;
  cublasStatus_t st = cublasLtMatmul(h->lt, s->desc, &alpha, args->inputs[1].data, s->first, args->inputs[0].data,
                                     s->second, &beta, c, s->c, args->outputs[0].data, s->d, &s->algo,
                                     args->workspace, args->workspace_size, (cudaStream_t)args->stream);
  if (st != CUBLAS_STATUS_SUCCESS) return ingot_cublas_fail(st, "cublasLtMatmul", args->node);
  if (p->activation_after) {
    cudaError_t err = ingot_ck_activation(p->activation, p->alpha, p->beta, p->dtype, p->batch * p->m * p->n,
                                          args->outputs[0].data, args->outputs[0].data, (cudaStream_t)args->stream);
    if (err != cudaSuccess) return ingot_cuda_fail(err, "activation after the matrix multiply");
  }
  return INGOT_SUCCESS;
}

/* One row per (op, precision mode, heuristic candidate). */
#define LT_ROWS_FOR(MODE, NAME)                                                                                    \
  static bool supports_##NAME(const ingot_node *n, const ingot_tensor_view *i, const ingot_tensor_view *o) {     \
    return lt_supports(n, i, o, MODE);                                                                           \
  }                                                                                                              \
  static ingot_status prep_##NAME##_0(const ingot_kernel_args *a, void **o, uint64_t *s) {                       \
    return lt_prepare(a, MODE, 0, o, s);                                                                         \
  }                                                                                                              \
  static ingot_status prep_##NAME##_1(const ingot_kernel_args *a, void **o, uint64_t *s) {                       \
    return lt_prepare(a, MODE, 1, o, s);                                                                         \
  }                                                                                                              \
  static ingot_status prep_##NAME##_2(const ingot_kernel_args *a, void **o, uint64_t *s) {                       \
    return lt_prepare(a, MODE, 2, o, s);                                                                         \
  }                                                                                                              \
  static ingot_status prep_##NAME##_3(const ingot_kernel_args *a, void **o, uint64_t *s) {                       \
    return lt_prepare(a, MODE, 3, o, s);                                                                         \
  }
LT_ROWS_FOR(MODE_TF32, tf32)
LT_ROWS_FOR(MODE_F32, f32)
LT_ROWS_FOR(MODE_HALF, half)
#undef LT_ROWS_FOR

#define LT_ROW(OP, NAME, MODE, H)                                                                                   \
  {INGOT_OP_##OP, NAME, 1, supports_##MODE, lt_workspace, prep_##MODE##_##H, lt_run, lt_create_state, \
   lt_destroy_state, INGOT_TACTIC_SOURCE_CUBLASLT}
#define LT_ROWS(OP, PREFIX)                                                                                          \
  LT_ROW(OP, PREFIX "_f32_cublaslt_h0", f32, 0), LT_ROW(OP, PREFIX "_f32_cublaslt_h1", f32, 1),                    \
  LT_ROW(OP, PREFIX "_f32_cublaslt_h2", f32, 2), LT_ROW(OP, PREFIX "_f32_cublaslt_h3", f32, 3),                    \
  LT_ROW(OP, PREFIX "_f16bf16_cublaslt_h0", half, 0), LT_ROW(OP, PREFIX "_f16bf16_cublaslt_h1", half, 1),          \
  LT_ROW(OP, PREFIX "_f16bf16_cublaslt_h2", half, 2), LT_ROW(OP, PREFIX "_f16bf16_cublaslt_h3", half, 3),          \
  LT_ROW(OP, PREFIX "_f32_tf32_cublaslt_h0", tf32, 0), LT_ROW(OP, PREFIX "_f32_tf32_cublaslt_h1", tf32, 1),        \
  LT_ROW(OP, PREFIX "_f32_tf32_cublaslt_h2", tf32, 2), LT_ROW(OP, PREFIX "_f32_tf32_cublaslt_h3", tf32, 3)
const ingot_tactic ingot_cublaslt_tactics[] = {
    LT_ROWS(FULLY_CONNECTED, "fc"),
    LT_ROWS(MATRIX_MULTIPLY, "matmul"),
};
const int32_t ingot_cublaslt_tactic_count = (int32_t)(sizeof ingot_cublaslt_tactics / sizeof ingot_cublaslt_tactics[0]);
