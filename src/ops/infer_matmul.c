/* Shape inference of matrix multiply (numpy.matmul semantics plus TensorRT's transpose and
 * vector operand flags) and fully connected. */

#include "core/dims.h"
#include "core/error.h"
#include "ops/infer_common.h"

static const char *matrix_op_name(int32_t op) {
  switch (op) {
    case INGOT_MATRIX_OP_NONE: return "none";
    case INGOT_MATRIX_OP_TRANSPOSE: return "transpose";
    case INGOT_MATRIX_OP_VECTOR: return "vector";
    default: return "unknown";
  }
}

/* One operand seen as batch dims plus a matrix: `rows` is M for a and N for b (ignored for
 * a vector), `k_dim` the index of its K dim. */
typedef struct operand {
  ingot_dims batch;
  int64_t rows, k;
  int32_t k_dim;
} operand;

static ingot_status split_operand(const ingot_node *node, const char *name, const ingot_dims *dims, int32_t op,
                                  bool is_b, operand *out) {
  int32_t rank = dims->nb_dims;
  int32_t need = op == INGOT_MATRIX_OP_VECTOR ? 1 : 2;
  if (rank < need) {
    char s[INGOT_DIMS_STR_SIZE];
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "%s (op %s) needs at least %d dim(s), found %s", name,
                           matrix_op_name(op), (int)need, ingot_dims_format(dims, s, sizeof s));
  }
  out->batch.nb_dims = rank - need;
  for (int32_t d = 0; d < rank - need; d++) out->batch.d[d] = dims->d[d];
  if (op == INGOT_MATRIX_OP_VECTOR) {
    out->k_dim = rank - 1;
    out->rows = 1;
  } else {
    /* a [M, K] or transposed [K, M]; b [K, N] or transposed [N, K] */
    bool k_last = (op == INGOT_MATRIX_OP_TRANSPOSE) == is_b;
    out->k_dim = k_last ? rank - 1 : rank - 2;
    out->rows = dims->d[k_last ? rank - 2 : rank - 1];
  }
  out->k = dims->d[out->k_dim];
  return INGOT_SUCCESS;
}

static ingot_status check_residual(const ingot_node *node, const ingot_value_info *res, const ingot_value_info *out) {
  INGOT_TRY(ingot_infer_expect_float(node, "residual", res->dtype));
  bool same = res->dims.nb_dims == out->dims.nb_dims;
  for (int32_t d = 0; same && d < res->dims.nb_dims; d++) {
    int64_t r = res->dims.d[d], o = out->dims.d[d];
    if (r != o && r != -1 && o != -1) same = false;
  }
  if (!same) {
    char sr[INGOT_DIMS_STR_SIZE], so[INGOT_DIMS_STR_SIZE];
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "residual must have the output's shape %s, found %s",
                           ingot_dims_format(&out->dims, so, sizeof so), ingot_dims_format(&res->dims, sr, sizeof sr));
  }
  return INGOT_SUCCESS;
}

/* Inputs [x, y, bias?, residual?]: the residual is the last input when present. */
static ingot_status check_epilogue_arity(const ingot_node *node, int32_t has_bias, const ingot_epilogue *e) {
  INGOT_TRY(ingot_infer_check_activation(node, "epilogue activation", e->activation, e->alpha, e->beta));
  if (has_bias != 0 && has_bias != 1) {
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "has_bias must be 0 or 1, found %d", (int)has_bias);
  }
  if (e->has_residual != 0 && e->has_residual != 1) {
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "epilogue has_residual must be 0 or 1, found %d",
                           (int)e->has_residual);
  }
  /* Without a bias, a residual may sit at index 3 after an absent (-1) bias slot. */
  int32_t min = 2 + has_bias + e->has_residual;
  int32_t max = e->has_residual && !has_bias ? 4 : min;
  return ingot_infer_expect_arity(node, min, max, 1);
}

ingot_status ingot_infer_matrix_multiply(const ingot_node *node, const ingot_value_info *inputs,
                                         ingot_value_info *outputs) {
  const ingot_matmul_params *p = &node->params.matmul;
  for (int32_t i = 0; i < 2; i++) {
    int32_t op = i == 0 ? p->op_a : p->op_b;
    if (op < 0 || op > INGOT_MATRIX_OP_VECTOR) {
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "op_%c must be 0 (none), 1 (transpose) or 2 (vector), found %d",
                             i == 0 ? 'a' : 'b', (int)op);
    }
  }
  INGOT_TRY(check_epilogue_arity(node, p->has_bias, &p->epilogue));
  const ingot_value_info *a = &inputs[0], *b = &inputs[1];
  INGOT_TRY(ingot_infer_expect_float(node, "a", a->dtype));
  if (b->dtype != a->dtype) {
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "a and b must have the same dtype, found a %s and b %s",
                           ingot_dtype_name(a->dtype), ingot_dtype_name(b->dtype));
  }
  operand oa, ob;
  INGOT_TRY(split_operand(node, "a", &a->dims, p->op_a, false, &oa));
  INGOT_TRY(split_operand(node, "b", &b->dims, p->op_b, true, &ob));
  if (oa.k != ob.k && oa.k != -1 && ob.k != -1) {
    char sa[INGOT_DIMS_STR_SIZE], sb[INGOT_DIMS_STR_SIZE];
    return ingot_node_fail(node, INGOT_INVALID_GRAPH,
                           "a is %s (op %s) and b is %s (op %s): K differs, dim %d of a is %lld but dim %d of b is %lld",
                           ingot_dims_format(&a->dims, sa, sizeof sa), matrix_op_name(p->op_a),
                           ingot_dims_format(&b->dims, sb, sizeof sb), matrix_op_name(p->op_b), (int)oa.k_dim,
                           (long long)oa.k, (int)ob.k_dim, (long long)ob.k);
  }
  ingot_dims out;
  INGOT_TRY(ingot_infer_broadcast_dims(node, "a's batch dims", &oa.batch, "b's batch dims", &ob.batch, &out));
  if (p->op_a != INGOT_MATRIX_OP_VECTOR) out.d[out.nb_dims++] = oa.rows;
  if (p->op_b != INGOT_MATRIX_OP_VECTOR) out.d[out.nb_dims++] = ob.rows;
  outputs[0].dtype = a->dtype;
  outputs[0].dims = out;
  outputs[0].data = NULL;

  if (p->has_bias) {
    const ingot_value_info *bias = &inputs[2];
    if (bias->dims.nb_dims < 0) return ingot_node_fail(node, INGOT_INVALID_GRAPH, "has_bias is set but input 2 (bias) is absent");
    INGOT_TRY(ingot_infer_expect_float(node, "bias", bias->dtype));
    INGOT_TRY(ingot_infer_broadcast_to(node, "bias", &bias->dims, "output", &out));
  }
  if (p->epilogue.has_residual) INGOT_TRY(check_residual(node, &inputs[node->nb_inputs - 1], &outputs[0]));
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_fully_connected(const ingot_node *node, const ingot_value_info *inputs,
                                         ingot_value_info *outputs) {
  const ingot_fc_params *p = &node->params.fc;
  INGOT_TRY(check_epilogue_arity(node, p->has_bias, &p->epilogue));
  if (p->num_outputs <= 0) {
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "num_outputs must be positive, found %lld",
                           (long long)p->num_outputs);
  }
  const ingot_value_info *x = &inputs[0], *w = &inputs[1];
  char sx[INGOT_DIMS_STR_SIZE], sw[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(ingot_infer_expect_float(node, "input", x->dtype));
  INGOT_TRY(ingot_infer_expect_float(node, "kernel", w->dtype));
  if (x->dims.nb_dims < 2) {
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "input must have at least 2 dims [N, ...], found %s",
                           ingot_dims_format(&x->dims, sx, sizeof sx));
  }
  int64_t k = 1;
  for (int32_t d = 1; d < x->dims.nb_dims; d++) k = (k < 0 || x->dims.d[d] < 0) ? -1 : k * x->dims.d[d];
  /* The kernel is [num_outputs, K]; a flat array of num_outputs * K values is accepted too. */
  bool ok;
  if (w->dims.nb_dims == 2) {
    ok = w->dims.d[0] == p->num_outputs && (k < 0 || w->dims.d[1] == k);
  } else if (w->dims.nb_dims == 1) {
    ok = k < 0 || w->dims.d[0] == p->num_outputs * k;
  } else {
    ok = false;
  }
  if (!ok) {
    return ingot_node_fail(node, INGOT_INVALID_GRAPH,
                           "kernel must be [num_outputs, K] = [%lld, %lld] (input %s flattens to K = %lld), found %s",
                           (long long)p->num_outputs, (long long)k, ingot_dims_format(&x->dims, sx, sizeof sx),
                           (long long)k, ingot_dims_format(&w->dims, sw, sizeof sw));
  }
  ingot_dims out = {0};
  out.nb_dims = 2;
  out.d[0] = x->dims.d[0];
  out.d[1] = p->num_outputs;
  outputs[0].dtype = x->dtype;
  outputs[0].dims = out;
  outputs[0].data = NULL;
  if (p->has_bias) {
    const ingot_value_info *bias = &inputs[2];
    if (bias->dims.nb_dims < 0) return ingot_node_fail(node, INGOT_INVALID_GRAPH, "has_bias is set but input 2 (bias) is absent");
    INGOT_TRY(ingot_infer_expect_float(node, "bias", bias->dtype));
    int64_t count = ingot_dims_volume(&bias->dims);
    if (count != p->num_outputs) {
      return ingot_node_fail(node, INGOT_INVALID_GRAPH, "bias must hold num_outputs = %lld values, found %lld (%s)",
                             (long long)p->num_outputs, (long long)count, ingot_dims_format(&bias->dims, sw, sizeof sw));
    }
  }
  if (p->epilogue.has_residual) INGOT_TRY(check_residual(node, &inputs[node->nb_inputs - 1], &outputs[0]));
  return INGOT_SUCCESS;
}
