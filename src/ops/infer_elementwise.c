/* Shape inference of the elementwise family: activation, parametric relu, elementwise,
 * unary, scale, select; plus the broadcast and dtype checks they share with matmul
 * (infer_common.h). */
#include <math.h>
#include <stdio.h>

#include "core/dims.h"
#include "core/error.h"
#include "ops/infer_common.h"

/* ---- shared checks ------------------------------------------------------------------ */

ingot_status ingot_infer_broadcast_dims(const ingot_node *node, const char *name_a, const ingot_dims *a,
                                        const char *name_b, const ingot_dims *b, ingot_dims *out) {
  int32_t rank = a->nb_dims > b->nb_dims ? a->nb_dims : b->nb_dims;
  ingot_dims r = {0};
  r.nb_dims = rank;
  for (int32_t d = 0; d < rank; d++) {
    int32_t ia = d - (rank - a->nb_dims), ib = d - (rank - b->nb_dims);
    int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
    int64_t v;
    if (da == db || db == 1) {
      v = da;
    } else if (da == 1) {
      v = db;
    } else if (da == -1 || db == -1) {
      v = da == -1 ? db : da; /* a dynamic dim must match the known one at run time */
    } else {
      char sa[INGOT_DIMS_STR_SIZE], sb[INGOT_DIMS_STR_SIZE];
      return ingot_node_fail(node, INGOT_INVALID_GRAPH, "%s is %s and %s is %s: dim %d (%lld vs %lld) cannot broadcast",
                             name_a, ingot_dims_format(a, sa, sizeof sa), name_b,
                             ingot_dims_format(b, sb, sizeof sb), (int)d, (long long)da, (long long)db);
    }
    r.d[d] = v;
  }
  *out = r;
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_broadcast_to(const ingot_node *node, const char *name_from, const ingot_dims *from,
                                      const char *name_to, const ingot_dims *to) {
  char sf[INGOT_DIMS_STR_SIZE], st[INGOT_DIMS_STR_SIZE];
  if (from->nb_dims > to->nb_dims) {
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "%s is %s and %s is %s: %s has more dims (%d) than %s (%d)",
                           name_from, ingot_dims_format(from, sf, sizeof sf), name_to,
                           ingot_dims_format(to, st, sizeof st), name_from, (int)from->nb_dims, name_to,
                           (int)to->nb_dims);
  }
  for (int32_t d = 0; d < from->nb_dims; d++) {
    int32_t td = d + (to->nb_dims - from->nb_dims);
    int64_t f = from->d[d], t = to->d[td];
    if (f == 1 || f == t || f == -1 || t == -1) continue;
    return ingot_node_fail(node, INGOT_INVALID_GRAPH,
                           "%s is %s and %s is %s: dim %d of %s (%lld) must be 1 or %lld to broadcast to %s", name_from,
                           ingot_dims_format(from, sf, sizeof sf), name_to, ingot_dims_format(to, st, sizeof st),
                           (int)d, name_from, (long long)f, (long long)t, name_to);
  }
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_expect_float(const ingot_node *node, const char *what, ingot_dtype dtype) {
  if (dtype == INGOT_FLOAT32 || dtype == INGOT_FLOAT16 || dtype == INGOT_BFLOAT16) return INGOT_SUCCESS;
  return ingot_node_fail(node, INGOT_INVALID_GRAPH, "%s must be float32, float16 or bfloat16, found %s", what,
                         ingot_dtype_name(dtype));
}

ingot_status ingot_infer_expect_arity(const ingot_node *node, int32_t min_inputs, int32_t max_inputs,
                                      int32_t nb_outputs) {
  if (node->nb_inputs < min_inputs || node->nb_inputs > max_inputs) {
    if (min_inputs == max_inputs) {
      return ingot_node_fail(node, INGOT_INVALID_GRAPH, "expected %d input(s), found %d", (int)min_inputs,
                             (int)node->nb_inputs);
    }
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "expected %d to %d inputs, found %d", (int)min_inputs,
                           (int)max_inputs, (int)node->nb_inputs);
  }
  if (node->nb_outputs != nb_outputs) {
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "expected %d output(s), found %d", (int)nb_outputs,
                           (int)node->nb_outputs);
  }
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_check_activation(const ingot_node *node, const char *what, int32_t type, float alpha,
                                          float beta) {
  if (type == -1) return INGOT_SUCCESS;
  if (type < 0 || type >= INGOT_ACTIVATION_TYPE_COUNT) {
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s type must be in [0, %d) (or -1 for none), found %d", what,
                           (int)INGOT_ACTIVATION_TYPE_COUNT, (int)type);
  }
  const char *name = ingot_activation_type_name((ingot_activation_type)type);
  bool uses_alpha = false, uses_beta = false;
  switch (type) {
    case INGOT_ACTIVATION_LEAKY_RELU:
    case INGOT_ACTIVATION_ELU:
    case INGOT_ACTIVATION_THRESHOLDED_RELU: uses_alpha = true; break;
    case INGOT_ACTIVATION_SELU:
    case INGOT_ACTIVATION_SOFTPLUS:
    case INGOT_ACTIVATION_HARD_SIGMOID:
    case INGOT_ACTIVATION_SCALED_TANH: uses_alpha = uses_beta = true; break;
    case INGOT_ACTIVATION_CLIP:
      /* Infinite bounds mean "no bound" (ONNX Clip without min or max). */
      if (isnan(alpha) || isnan(beta) || alpha > beta) {
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                               "%s %s needs bounds alpha <= beta (not NaN), found alpha %g and beta %g", what, name,
                               (double)alpha, (double)beta);
      }
      return INGOT_SUCCESS;
    default: break;
  }
  if ((uses_alpha && !isfinite(alpha)) || (uses_beta && !isfinite(beta))) {
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s %s needs finite %s, found alpha %g and beta %g", what, name,
                           uses_beta ? "alpha and beta" : "alpha", (double)alpha, (double)beta);
  }
  return INGOT_SUCCESS;
}

/* An absent optional input has nb_dims -1 (ops.h). */
static bool present(const ingot_value_info *v) { return v->dims.nb_dims >= 0; }

static void set_output(ingot_value_info *out, ingot_dtype dtype, const ingot_dims *dims) {
  out->dtype = dtype;
  out->dims = *dims;
  out->data = NULL;
}

/* ---- activation, parametric relu ----------------------------------------------------- */

ingot_status ingot_infer_activation(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  INGOT_TRY(ingot_infer_expect_arity(node, 1, 1, 1));
  const ingot_activation_params *p = &node->params.activation;
  if (p->type < 0 || p->type >= INGOT_ACTIVATION_TYPE_COUNT) {
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "activation type must be in [0, %d), found %d",
                           (int)INGOT_ACTIVATION_TYPE_COUNT, (int)p->type);
  }
  INGOT_TRY(ingot_infer_check_activation(node, "activation", p->type, p->alpha, p->beta));
  INGOT_TRY(ingot_infer_expect_float(node, "input", inputs[0].dtype));
  set_output(&outputs[0], inputs[0].dtype, &inputs[0].dims);
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_parametric_relu(const ingot_node *node, const ingot_value_info *inputs,
                                         ingot_value_info *outputs) {
  INGOT_TRY(ingot_infer_expect_arity(node, 2, 2, 1));
  INGOT_TRY(ingot_infer_expect_float(node, "input", inputs[0].dtype));
  INGOT_TRY(ingot_infer_expect_float(node, "slope", inputs[1].dtype));
  INGOT_TRY(ingot_infer_broadcast_to(node, "slope", &inputs[1].dims, "input", &inputs[0].dims));
  set_output(&outputs[0], inputs[0].dtype, &inputs[0].dims);
  return INGOT_SUCCESS;
}

/* ---- elementwise ----------------------------------------------------------------------- */

static bool is_comparison(int32_t op) { return op >= INGOT_ELEMENTWISE_EQUAL && op <= INGOT_ELEMENTWISE_LESS_EQUAL; }
static bool is_logic(int32_t op) { return op >= INGOT_ELEMENTWISE_AND && op <= INGOT_ELEMENTWISE_XOR; }
static bool is_bitwise(int32_t op) { return op >= INGOT_ELEMENTWISE_BITWISE_AND && op <= INGOT_ELEMENTWISE_SHIFT_RIGHT; }

static const char *elementwise_op_name(int32_t op) {
  static const char *const names[INGOT_ELEMENTWISE_OP_COUNT] = {
      "sum", "sub", "prod", "div", "min", "max", "pow", "floor_div", "mod", "fmod",
      "equal", "greater", "greater_equal", "less", "less_equal", "and", "or", "xor",
      "bitwise_and", "bitwise_or", "bitwise_xor", "shift_left", "shift_right"};
  return op >= 0 && op < INGOT_ELEMENTWISE_OP_COUNT ? names[op] : "unknown";
}

ingot_status ingot_infer_elementwise(const ingot_node *node, const ingot_value_info *inputs,
                                     ingot_value_info *outputs) {
  INGOT_TRY(ingot_infer_expect_arity(node, 2, 2, 1));
  int32_t op = node->params.elementwise.op;
  if (op < 0 || op >= INGOT_ELEMENTWISE_OP_COUNT) {
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "elementwise op must be in [0, %d), found %d",
                           (int)INGOT_ELEMENTWISE_OP_COUNT, (int)op);
  }
  ingot_dtype da = inputs[0].dtype, db = inputs[1].dtype;
  if (da != db) {
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "a and b must have the same dtype, found a %s and b %s",
                           ingot_dtype_name(da), ingot_dtype_name(db));
  }
  bool ok;
  const char *accepted;
  if (is_logic(op)) {
    ok = da == INGOT_BOOL;
    accepted = "bool";
  } else if (is_comparison(op)) {
    ok = ingot_dtype_valid(da);
    accepted = "any dtype";
  } else if (is_bitwise(op)) {
    ok = ingot_dtype_is_integer(da);
    accepted = "integer dtypes";
  } else {
    ok = ingot_dtype_valid(da) && da != INGOT_BOOL;
    accepted = "float or integer dtypes";
  }
  if (!ok) {
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "elementwise %s takes %s, found %s", elementwise_op_name(op),
                           accepted, ingot_dtype_name(da));
  }
  ingot_dims out;
  INGOT_TRY(ingot_infer_broadcast_dims(node, "a", &inputs[0].dims, "b", &inputs[1].dims, &out));
  set_output(&outputs[0], is_comparison(op) || is_logic(op) ? INGOT_BOOL : da, &out);
  return INGOT_SUCCESS;
}

/* ---- unary ------------------------------------------------------------------------------- */

static const char *unary_op_name(int32_t op) {
  static const char *const names[INGOT_UNARY_OP_COUNT] = {
      "exp",  "log",  "sqrt", "abs",   "neg",   "reciprocal", "floor", "ceil", "round",
      "sin",  "cos",  "tan",  "asin",  "acos",  "atan",       "sinh",  "cosh", "asinh",
      "acosh", "atanh", "erf", "not", "sign", "isnan", "isinf", "bitwise_not"};
  return op >= 0 && op < INGOT_UNARY_OP_COUNT ? names[op] : "unknown";
}

ingot_status ingot_infer_unary(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  INGOT_TRY(ingot_infer_expect_arity(node, 1, 1, 1));
  int32_t op = node->params.unary.op;
  if (op < 0 || op >= INGOT_UNARY_OP_COUNT) {
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "unary op must be in [0, %d), found %d",
                           (int)INGOT_UNARY_OP_COUNT, (int)op);
  }
  ingot_dtype dt = inputs[0].dtype;
  bool is_float = dt == INGOT_FLOAT32 || dt == INGOT_FLOAT16 || dt == INGOT_BFLOAT16;
  bool ok;
  const char *accepted;
  ingot_dtype out_dtype = dt;
  switch (op) {
    case INGOT_UNARY_NOT:
      ok = dt == INGOT_BOOL;
      accepted = "bool";
      break;
    case INGOT_UNARY_ABS:
    case INGOT_UNARY_NEG:
    case INGOT_UNARY_SIGN:
      ok = is_float || dt == INGOT_INT8 || dt == INGOT_INT32 || dt == INGOT_INT64;
      accepted = "float32, float16, bfloat16, int8, int32 or int64";
      break;
    case INGOT_UNARY_ISNAN:
    case INGOT_UNARY_ISINF:
      ok = is_float;
      accepted = "float32, float16 or bfloat16";
      out_dtype = INGOT_BOOL;
      break;
    case INGOT_UNARY_BITWISE_NOT:
      ok = ingot_dtype_is_integer(dt);
      accepted = "integer dtypes";
      break;
    default:
      ok = is_float;
      accepted = "float32, float16 or bfloat16";
      break;
  }
  if (!ok) {
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "unary %s takes %s, found %s", unary_op_name(op), accepted,
                           ingot_dtype_name(dt));
  }
  set_output(&outputs[0], out_dtype, &inputs[0].dims);
  return INGOT_SUCCESS;
}

/* ---- scale ----------------------------------------------------------------------------------- */

ingot_status ingot_infer_scale(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  INGOT_TRY(ingot_infer_expect_arity(node, 1, 4, 1));
  const ingot_scale_params *p = &node->params.scale;
  const ingot_dims *x = &inputs[0].dims;
  INGOT_TRY(ingot_infer_expect_float(node, "input", inputs[0].dtype));
  char sx[INGOT_DIMS_STR_SIZE];
  int64_t expected = 1;
  const char *what = "1 (uniform mode)";
  char what_buf[96];
  switch (p->mode) {
    case INGOT_SCALE_UNIFORM: break;
    case INGOT_SCALE_CHANNEL: {
      int32_t axis;
      if (!ingot_axis_normalize(p->channel_axis, x->nb_dims, &axis)) {
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "channel_axis must be in [%d, %d) for input %s, found %d",
                               -(int)x->nb_dims, (int)x->nb_dims, ingot_dims_format(x, sx, sizeof sx),
                               (int)p->channel_axis);
      }
      expected = x->d[axis];
      snprintf(what_buf, sizeof what_buf, "dim %d of the input (channel mode)", (int)axis);
      what = what_buf;
      break;
    }
    case INGOT_SCALE_ELEMENTWISE: {
      if (x->nb_dims < 1) {
        return ingot_node_fail(node, INGOT_INVALID_GRAPH, "elementwise mode needs an input of at least 1 dim, found a scalar");
      }
      for (int32_t d = 1; d < x->nb_dims; d++) expected = x->d[d] < 0 || expected < 0 ? -1 : expected * x->d[d];
      what = "the volume of the input's dims after dim 0 (elementwise mode)";
      break;
    }
    default:
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "scale mode must be 0 (uniform), 1 (channel) or 2 (elementwise), found %d",
                             (int)p->mode);
  }
  static const char *const roles[3] = {"shift", "scale", "power"};
  for (int32_t i = 1; i < node->nb_inputs; i++) {
    const ingot_value_info *c = &inputs[i];
    if (!present(c)) continue;
    INGOT_TRY(ingot_infer_expect_float(node, roles[i - 1], c->dtype));
    int64_t count = ingot_dims_volume(&c->dims);
    if (expected >= 0 && count != expected) {
      char sc[INGOT_DIMS_STR_SIZE];
      return ingot_node_fail(node, INGOT_INVALID_GRAPH, "%s must hold %lld values (%s of input %s), found %lld (%s)",
                             roles[i - 1], (long long)expected, what, ingot_dims_format(x, sx, sizeof sx),
                             (long long)count, ingot_dims_format(&c->dims, sc, sizeof sc));
    }
  }
  set_output(&outputs[0], inputs[0].dtype, x);
  return INGOT_SUCCESS;
}

/* ---- select ----------------------------------------------------------------------------------- */

ingot_status ingot_infer_select(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  INGOT_TRY(ingot_infer_expect_arity(node, 3, 3, 1));
  if (inputs[0].dtype != INGOT_BOOL) {
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "condition must be bool, found %s",
                           ingot_dtype_name(inputs[0].dtype));
  }
  if (inputs[1].dtype != inputs[2].dtype) {
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "then and else must have the same dtype, found then %s and else %s",
                           ingot_dtype_name(inputs[1].dtype), ingot_dtype_name(inputs[2].dtype));
  }
  ingot_dims branches, out;
  INGOT_TRY(ingot_infer_broadcast_dims(node, "then", &inputs[1].dims, "else", &inputs[2].dims, &branches));
  INGOT_TRY(ingot_infer_broadcast_dims(node, "condition", &inputs[0].dims, "then/else", &branches, &out));
  set_output(&outputs[0], inputs[1].dtype, &out);
  return INGOT_SUCCESS;
}
