/* matmul_f32_gemm: matrix multiply (numpy.matmul with transpose / vector flags and batch
 * broadcasting) as packed GEMMs, one per output batch. A constant B is packed by
 * prepare() (every batch matrix of it); otherwise B is packed per run into the workspace,
 * as A always is; the packing reads each operand through its own strides, so transposes
 * cost nothing extra. When every batch shares one B and A is a plain batch of matrices,
 * the batches fold into one taller GEMM. Many small batches (attention's per-head
 * products) run side by side instead, one whole GEMM per thread at a time, each lane of
 * the workspace packing its own operands. Bias (broadcast against the output as the
 * reference does), residual and activation are applied on each C tile. */
#include <string.h>

#include "backend/cpu/broadcast.h"
#include "backend/cpu/gemm/gemm_tactic.h"
#include "core/dims.h"

typedef struct mm_geom {
  int64_t m, n, k;
  int64_t sa_m, sa_k, sb_k, sb_n; /* element strides of A (M, K) and B (K, N) */
  int64_t a_mat, b_mat;           /* elements per matrix */
  ingot_broadcast batch;          /* output batch dims; input 0: A's batch, 1: B's */
  int64_t batches, a_count, b_count;
  int32_t y_batch_rank;
  int64_t y_batch_dims[INGOT_MAX_DIMS];
  int64_t bias_rs, bias_cs, bias_batch_stride[INGOT_MAX_DIMS];
  bool flatten; /* batches folded into M */
} mm_geom;

/* Works out the multiply from the dims (no data): false when they do not fit together. */
static bool mm_geometry(const ingot_matmul_params *p, const ingot_dims *ad, const ingot_dims *bd, const ingot_dims *yd,
                        const ingot_dims *bias_d, mm_geom *g) {
  memset(g, 0, sizeof *g);
  int32_t ra = ad->nb_dims, rb = bd->nb_dims, ry = yd->nb_dims;
  int32_t need_a = p->op_a == INGOT_MATRIX_OP_VECTOR ? 1 : 2, need_b = p->op_b == INGOT_MATRIX_OP_VECTOR ? 1 : 2;
  if (ra < need_a || rb < need_b) return false;
  int64_t ka, kb;
  switch (p->op_a) {
    case INGOT_MATRIX_OP_NONE: g->m = ad->d[ra - 2]; ka = ad->d[ra - 1]; g->sa_m = ka; g->sa_k = 1; break;
    case INGOT_MATRIX_OP_TRANSPOSE: ka = ad->d[ra - 2]; g->m = ad->d[ra - 1]; g->sa_m = 1; g->sa_k = g->m; break;
    default: g->m = 1; ka = ad->d[ra - 1]; g->sa_m = 0; g->sa_k = 1; break;
  }
  switch (p->op_b) {
    case INGOT_MATRIX_OP_NONE: kb = bd->d[rb - 2]; g->n = bd->d[rb - 1]; g->sb_k = g->n; g->sb_n = 1; break;
    case INGOT_MATRIX_OP_TRANSPOSE: g->n = bd->d[rb - 2]; kb = bd->d[rb - 1]; g->sb_k = 1; g->sb_n = kb; break;
    default: g->n = 1; kb = bd->d[rb - 1]; g->sb_k = 1; g->sb_n = 0; break;
  }
  if (ka != kb || g->m < 0 || g->n < 0 || ka < 0) return false;
  g->k = ka;
  g->a_mat = g->m * ka;
  g->b_mat = kb * g->n;
  int32_t y_mat = (p->op_a != INGOT_MATRIX_OP_VECTOR) + (p->op_b != INGOT_MATRIX_OP_VECTOR);
  ingot_dims batch_a = *ad, batch_b = *bd, batch_y = *yd;
  batch_a.nb_dims -= need_a;
  batch_b.nb_dims -= need_b;
  batch_y.nb_dims -= y_mat;
  const ingot_dims *batches[2] = {&batch_a, &batch_b};
  if (batch_y.nb_dims < 0 || !ingot_broadcast_init(&g->batch, &batch_y, 2, batches)) return false;
  g->batches = g->batch.volume;
  g->a_count = ingot_dims_volume(&batch_a);
  g->b_count = ingot_dims_volume(&batch_b);
  if (g->batches * g->m * g->n != ingot_dims_volume(yd)) return false;
  g->y_batch_rank = batch_y.nb_dims;
  for (int32_t d = 0; d < batch_y.nb_dims; d++) g->y_batch_dims[d] = batch_y.d[d];
  if (bias_d) {
    /* bias dims right-aligned to the output's: a stride per output dim, 0 where it is 1 */
    int64_t bstride[INGOT_MAX_DIMS], stride = 1;
    if (bias_d->nb_dims > ry) return false;
    for (int32_t d = ry - 1; d >= 0; d--) {
      int32_t id = d - (ry - bias_d->nb_dims);
      int64_t dim = id >= 0 ? bias_d->d[id] : 1;
      if (dim != 1 && dim != yd->d[d]) return false;
      bstride[d] = dim == 1 ? 0 : stride;
      stride *= dim;
    }
    g->bias_rs = p->op_a != INGOT_MATRIX_OP_VECTOR ? bstride[ry - y_mat] : 0;
    g->bias_cs = p->op_b != INGOT_MATRIX_OP_VECTOR ? bstride[ry - 1] : 0;
    for (int32_t d = 0; d < batch_y.nb_dims; d++) g->bias_batch_stride[d] = bstride[d];
  }
  bool bias_flat = g->bias_rs == 0;
  for (int32_t d = 0; d < batch_y.nb_dims; d++) bias_flat = bias_flat && g->bias_batch_stride[d] == 0;
  g->flatten = g->batches > 1 && g->b_count == 1 && p->op_a == INGOT_MATRIX_OP_NONE && g->a_count == g->batches &&
               bias_flat;
  return true;
}

static const ingot_dims *bias_dims(const ingot_node *node, const ingot_tensor_view *inputs) {
  return node->params.matmul.has_bias && node->nb_inputs >= 3 && inputs[2].dims.nb_dims >= 0 ? &inputs[2].dims : NULL;
}

bool ingot_cpu_matmul_gemm_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                    const ingot_tensor_view *outputs) {
  mm_geom g;
  return ingot_gemm_all_f32(node, inputs, outputs) &&
         mm_geometry(&node->params.matmul, &inputs[0].dims, &inputs[1].dims, &outputs[0].dims,
                     bias_dims(node, inputs), &g);
}

/* Floats of one batch's packing: A packed (all batches when they fold), B unless prepared. */
static int64_t mm_workspace_floats(const ingot_gemm_kernel *kr, const mm_geom *g, bool b_prepared) {
  int64_t rows = g->flatten ? g->batches * g->m : g->m;
  return ingot_gemm_round_up(ingot_gemm_packed_a_floats(kr, rows, g->k), 16) +
         ingot_gemm_round_up(b_prepared ? 0 : ingot_gemm_packed_b_floats(kr, g->k, g->n), 16);
}

/* Batches run side by side when there are several and each is small (too small to split
 * well over threads: a pool wake-up per head costs more than its multiply). */
#define MM_LANES 16
static bool batch_parallel(const mm_geom *g) {
  return !g->flatten && g->batches > 1 && (double)g->m * (double)g->n * (double)g->k <= (double)(1 << 23);
}
static int64_t mm_lanes(const mm_geom *g) { return g->batches < MM_LANES ? g->batches : MM_LANES; }

uint64_t ingot_cpu_matmul_gemm_workspace(const ingot_kernel_args *args) {
  mm_geom g;
  if (!mm_geometry(&args->params->matmul, &args->inputs[0].dims, &args->inputs[1].dims, &args->outputs[0].dims,
                   bias_dims(args->node, args->inputs), &g))
    return 0;
  ingot_gemm_kernel storage;
  const ingot_gemm_kernel *kr = ingot_gemm_kernel_of(args, &storage);
  uint64_t one = (uint64_t)mm_workspace_floats(kr, &g, args->prepared != NULL) * sizeof(float);
  return batch_parallel(&g) ? one * (uint64_t)mm_lanes(&g) : one;
}

ingot_status ingot_cpu_matmul_gemm_prepare(const ingot_kernel_args *args, void **prepared_out, uint64_t *size_out) {
  const ingot_tensor_view *b = &args->inputs[1];
  *prepared_out = NULL;
  *size_out = 0;
  if (!b->data) return INGOT_SUCCESS; /* computed B: packed per run */
  mm_geom g;
  if (b->dtype != INGOT_FLOAT32 ||
      !mm_geometry(&args->params->matmul, &args->inputs[0].dims, &b->dims, &args->outputs[0].dims,
                   bias_dims(args->node, args->inputs), &g))
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "matmul_f32_gemm cannot pack B of these dims");
  const ingot_gemm_kernel *kr = ingot_gemm_default_kernel();
  void *block = ingot_gemm_pack_alloc(kr, 1, g.k, g.n, g.b_count, size_out);
  if (!block) return INGOT_OUT_OF_MEMORY;
  for (int64_t i = 0; i < g.b_count; i++)
    ingot_gemm_pack_b(NULL, kr, g.k, g.n, (const float *)b->data + i * g.b_mat, g.sb_k, g.sb_n,
                      (float *)ingot_gemm_pack_matrix(block, i));
  *prepared_out = block;
  return INGOT_SUCCESS;
}

typedef struct mm_run {
  const mm_geom *g;
  const ingot_gemm_kernel *kr;
  const void *prepared;
  bool b_prepared;
  const float *a, *b, *bias, *res;
  float *y;
  ingot_gemm_epilogue ep; /* bias and residual set per batch */
  int64_t lane_floats;
  float *ws; /* lanes of lane_floats (batch-parallel runs) */
  int64_t last_a[MM_LANES], last_b[MM_LANES]; /* per lane: the batch of A / B its slice holds, -1 none */
} mm_run;

/* Output batch bt, packing into ap / bp (A and B are not packed again when the batch
 * reads the same ones as the last, *last_a / *last_b). */
static void run_batch(const mm_run *r, ingot_thread_pool *pool, int64_t bt, float *ap, float *bp, int64_t *last_a,
                      int64_t *last_b) {
  const mm_geom *g = r->g;
  int64_t ia = ingot_broadcast_offset(&g->batch, 0, bt), ib = ingot_broadcast_offset(&g->batch, 1, bt);
  if (ia != *last_a) { /* a broadcast A is packed once for its run of batches */
    ingot_gemm_pack_a(pool, r->kr, g->m, g->k, r->a + ia * g->a_mat, g->sa_m, g->sa_k, ap);
    *last_a = ia;
  }
  const float *bpk = bp;
  if (r->b_prepared) {
    bpk = ingot_gemm_pack_matrix(r->prepared, ib);
  } else if (ib != *last_b) {
    ingot_gemm_pack_b(pool, r->kr, g->k, g->n, r->b + ib * g->b_mat, g->sb_k, g->sb_n, bp);
    *last_b = ib;
  }
  ingot_gemm_epilogue ep = r->ep;
  if (r->bias) {
    int64_t off = 0, rem = bt;
    for (int32_t d = g->y_batch_rank - 1; d >= 0; d--) {
      off += rem % g->y_batch_dims[d] * g->bias_batch_stride[d];
      rem /= g->y_batch_dims[d];
    }
    ep.bias = r->bias + off;
  }
  ep.residual = r->res ? r->res + bt * g->m * g->n : NULL;
  ingot_gemm_problem prob = {.kernel = r->kr, .m = g->m, .n = g->n, .k = g->k, .a_packed = ap, .b_packed = bpk,
                             .c = r->y + bt * g->m * g->n, .ldc = g->n, .epilogue = ep};
  ingot_gemm_compute(pool, &prob);
}

/* One batch, whole and serially, packing into the lane's own workspace (A and B are not
 * packed again when the lane's last batch read the same ones). */
static void run_lane_batch(void *ctx, int64_t lane, int64_t bt) {
  mm_run *r = ctx;
  float *ap = r->ws + lane * r->lane_floats;
  float *bp = ap + ingot_gemm_round_up(ingot_gemm_packed_a_floats(r->kr, r->g->m, r->g->k), 16);
  run_batch(r, NULL, bt, ap, bp, &r->last_a[lane], &r->last_b[lane]);
}

ingot_status ingot_cpu_matmul_gemm(const ingot_kernel_args *args) {
  const ingot_matmul_params *p = &args->params->matmul;
  INGOT_TRY(ingot_gemm_check_f32(args));
  const ingot_tensor_view *a = &args->inputs[0], *b = &args->inputs[1], *y = &args->outputs[0];
  const ingot_tensor_view *bias = NULL, *res = NULL;
  if (p->has_bias) {
    if (args->nb_inputs < 3 || !args->inputs[2].data)
      return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "has_bias is set but input 2 (bias) is absent");
    bias = &args->inputs[2];
  }
  if (p->epilogue.has_residual) {
    res = &args->inputs[args->nb_inputs - 1];
    if (args->nb_inputs < 3 + (p->has_bias ? 1 : 0) || !res->data || !ingot_dims_equal(&res->dims, &y->dims))
      return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "the residual input is absent or not of the output's shape");
  }
  mm_geom g;
  if (!mm_geometry(p, &a->dims, &b->dims, &y->dims, bias ? &bias->dims : NULL, &g)) {
    char sa[INGOT_DIMS_STR_SIZE], sb[INGOT_DIMS_STR_SIZE], sy[INGOT_DIMS_STR_SIZE];
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "a %s and b %s (and bias) do not multiply into the output %s",
                           ingot_dims_format(&a->dims, sa, sizeof sa), ingot_dims_format(&b->dims, sb, sizeof sb),
                           ingot_dims_format(&y->dims, sy, sizeof sy));
  }
  ingot_gemm_kernel storage;
  const ingot_gemm_kernel *kr;
  bool b_prepared = args->prepared != NULL;
  if (b_prepared)
    INGOT_TRY(ingot_gemm_use_pack(args, 1, g.k, g.n, g.b_count, &storage, &kr));
  else
    kr = ingot_gemm_default_kernel();
  if (args->workspace_size < (uint64_t)mm_workspace_floats(kr, &g, b_prepared) * sizeof(float))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "workspace of %llu bytes is too small",
                           (unsigned long long)args->workspace_size);
  if (g.batches * g.m * g.n == 0) return INGOT_SUCCESS;

  ingot_gemm_epilogue ep = ingot_gemm_no_epilogue();
  ep.bias_rs = g.bias_rs;
  ep.bias_cs = g.bias_cs;
  ep.ldr = g.n;
  ep.activation = p->epilogue.activation;
  ep.alpha = p->epilogue.alpha;
  ep.beta = p->epilogue.beta;
  float *ap = args->workspace;
  float *bp = ap + ingot_gemm_round_up(ingot_gemm_packed_a_floats(kr, g.flatten ? g.batches * g.m : g.m, g.k), 16);
  const float *a_data = a->data, *b_data = b->data;
  float *y_data = y->data;

  if (g.flatten) {
    /* one GEMM of (batches * m) x n: A's batches are consecutive rows, B is shared */
    int64_t rows = g.batches * g.m;
    ingot_gemm_pack_a(args->pool, kr, rows, g.k, a_data, g.k, 1, ap);
    const float *bpk = b_prepared ? ingot_gemm_pack_matrix(args->prepared, 0) : bp;
    if (!b_prepared) ingot_gemm_pack_b(args->pool, kr, g.k, g.n, b_data, g.sb_k, g.sb_n, bp);
    ep.bias = bias ? bias->data : NULL;
    ep.residual = res ? res->data : NULL;
    ingot_gemm_problem prob = {.kernel = kr, .m = rows, .n = g.n, .k = g.k, .a_packed = ap, .b_packed = bpk,
                               .c = y_data, .ldc = g.n, .epilogue = ep};
    ingot_gemm_compute(args->pool, &prob);
    return INGOT_SUCCESS;
  }

  mm_run r = {&g, kr, args->prepared, b_prepared, a_data, b_data, bias ? bias->data : NULL, res ? res->data : NULL,
              y_data, ep, mm_workspace_floats(kr, &g, b_prepared), NULL, {0}, {0}};
  int64_t threads = ingot_thread_pool_size(args->pool), lanes = mm_lanes(&g);
  if (batch_parallel(&g) && threads > 1 &&
      args->workspace_size >= (uint64_t)(r.lane_floats * lanes) * sizeof(float)) {
    r.ws = args->workspace;
    for (int64_t l = 0; l < MM_LANES; l++) r.last_a[l] = r.last_b[l] = -1;
    ingot_parallel_lanes(args->pool, lanes, g.batches, run_lane_batch, &r);
    return INGOT_SUCCESS;
  }
  int64_t last_a = -1, last_b = -1;
  for (int64_t bt = 0; bt < g.batches; bt++) run_batch(&r, args->pool, bt, ap, bp, &last_a, &last_b);
  return INGOT_SUCCESS;
}
