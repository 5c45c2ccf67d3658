/* ONNX importers of the math family: activations, elementwise and unary ops, comparisons
 * and logic, MatMul and Gemm, softmax, reductions, ArgMax/ArgMin, CumSum, Einsum,
 * quantization and Cast. Where ingot has no layer of its own, an op is composed from a few
 * (Celu, IsInf, the ReduceL1/L2/LogSum/LogSumExp/SumSquare family, Hardmax). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/dims.h"
#include "onnx/import_helpers.h"
#include "onnx/import_tensor_helpers.h"

#define TRY INGOT_ONNX_TRY

static ingot_status input(ingot_onnx_node *node, int32_t i, ingot_tensor **t) {
  return ingot_onnx_input_tensor(node, i, t);
}

static ingot_status output(ingot_onnx_node *node, ingot_tensor *t) { return ingot_onnx_set_output(node, 0, t); }

static ingot_dtype input_dtype(ingot_onnx_node *node, int32_t i) {
  const ingot_onnx_value *v = ingot_onnx_input(node, i);
  return v ? v->dtype : INGOT_FLOAT32;
}

static bool is_float(ingot_dtype dtype) { return ingot_dtype_is_float(dtype); }

/* An axis for a layer that takes negative axes itself (softmax, top-k, cumulative): with
 * the rank unknown, a negative axis passes as is and the builder checks it. */
static ingot_status layer_axis(ingot_onnx_node *n, int64_t axis, int32_t rank, const char *what, int32_t *axis_out) {
  if (rank < 0 && axis < 0 && axis >= -INGOT_MAX_DIMS) {
    *axis_out = (int32_t)axis;
    return INGOT_SUCCESS;
  }
  return ingot_onnx_normalize_axis(n, axis, rank, what, axis_out);
}

/* ---- activations ------------------------------------------------------------------------------ */

static ingot_status activation(ingot_onnx_node *node, ingot_activation_type type, float alpha, float beta) {
  ingot_tensor *x, *y;
  TRY(input(node, 0, &x));
  TRY(ingot_onnx_add_activation(node, x, type, alpha, beta, &y));
  return output(node, y);
}

static ingot_status import_relu(ingot_onnx_node *n) { return activation(n, INGOT_ACTIVATION_RELU, 0, 0); }
static ingot_status import_sigmoid(ingot_onnx_node *n) { return activation(n, INGOT_ACTIVATION_SIGMOID, 0, 0); }
static ingot_status import_tanh(ingot_onnx_node *n) { return activation(n, INGOT_ACTIVATION_TANH, 0, 0); }
static ingot_status import_softsign(ingot_onnx_node *n) { return activation(n, INGOT_ACTIVATION_SOFTSIGN, 0, 0); }
static ingot_status import_softplus(ingot_onnx_node *n) { return activation(n, INGOT_ACTIVATION_SOFTPLUS, 1, 1); }
static ingot_status import_hard_swish(ingot_onnx_node *n) { return activation(n, INGOT_ACTIVATION_HARD_SWISH, 0, 0); }
static ingot_status import_mish(ingot_onnx_node *n) { return activation(n, INGOT_ACTIVATION_MISH, 0, 0); }

static ingot_status import_leaky_relu(ingot_onnx_node *n) {
  return activation(n, INGOT_ACTIVATION_LEAKY_RELU, ingot_onnx_attr_float(n, "alpha", 0.01f), 0);
}
static ingot_status import_elu(ingot_onnx_node *n) {
  return activation(n, INGOT_ACTIVATION_ELU, ingot_onnx_attr_float(n, "alpha", 1.0f), 0);
}
static ingot_status import_selu(ingot_onnx_node *n) {
  return activation(n, INGOT_ACTIVATION_SELU, ingot_onnx_attr_float(n, "alpha", 1.67326319217681884765625f),
                    ingot_onnx_attr_float(n, "gamma", 1.05070102214813232421875f));
}
static ingot_status import_hard_sigmoid(ingot_onnx_node *n) {
  return activation(n, INGOT_ACTIVATION_HARD_SIGMOID, ingot_onnx_attr_float(n, "alpha", 0.2f),
                    ingot_onnx_attr_float(n, "beta", 0.5f));
}
static ingot_status import_thresholded_relu(ingot_onnx_node *n) {
  return activation(n, INGOT_ACTIVATION_THRESHOLDED_RELU, ingot_onnx_attr_float(n, "alpha", 1.0f), 0);
}

static ingot_status import_gelu(ingot_onnx_node *n) {
  const char *approximate = ingot_onnx_attr_string(n, "approximate", "none");
  if (strcmp(approximate, "none") == 0) return activation(n, INGOT_ACTIVATION_GELU_ERF, 0, 0);
  if (strcmp(approximate, "tanh") == 0) return activation(n, INGOT_ACTIVATION_GELU_TANH, 0, 0);
  return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute approximate is '%s', expected 'none' or 'tanh'",
                         approximate);
}

/* Celu(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) = alpha * Elu_1(x / alpha). */
static ingot_status import_celu(ingot_onnx_node *n) {
  float alpha = ingot_onnx_attr_float(n, "alpha", 1.0f);
  if (alpha == 0.0f) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute alpha is 0, expected non-zero");
  ingot_tensor *x, *inv, *scaled, *elu, *a, *y;
  TRY(input(n, 0, &x));
  ingot_dtype dt = input_dtype(n, 0);
  TRY(ingot_onnx_add_scalar(n, dt, 1.0 / alpha, 0, &inv));
  TRY(ingot_onnx_add_elementwise(n, x, inv, INGOT_ELEMENTWISE_PROD, &scaled));
  TRY(ingot_onnx_add_activation(n, scaled, INGOT_ACTIVATION_ELU, 1.0f, 0, &elu));
  TRY(ingot_onnx_add_scalar(n, dt, alpha, 0, &a));
  TRY(ingot_onnx_add_elementwise(n, elu, a, INGOT_ELEMENTWISE_PROD, &y));
  return output(n, y);
}

/* PRelu: ONNX broadcasts the slope unidirectionally against X, which numpy's rules cover.
 * Before opset 7 a 1-D slope holds one value per channel (dim 1), as in PyTorch's exports
 * of that time: it gets trailing size-1 dims so that it lines up with dim 1. */
static ingot_status import_prelu(ingot_onnx_node *n) {
  ingot_tensor *x, *slope;
  TRY(input(n, 0, &x));
  TRY(input(n, 1, &slope));
  ingot_dims dx_dims = ingot_onnx_input_dims(n, 0), ds_dims = ingot_onnx_input_dims(n, 1);
  if (ingot_onnx_node_opset(n) < 7 && ds_dims.nb_dims == 1 && dx_dims.nb_dims > 2 && ds_dims.d[0] > 1 &&
      ds_dims.d[0] == dx_dims.d[1])
    TRY(ingot_onnx_unsqueeze(n, slope, 1, 0, dx_dims.nb_dims - 1, &slope));
  ingot_dtype dx = input_dtype(n, 0), ds = input_dtype(n, 1);
  if (ds != dx) TRY(ingot_onnx_add_cast(n, slope, dx, &slope));
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_parametric_relu(ingot_onnx_node_network(n), x, slope, &layer),
                       "adding a parametric relu"));
  ingot_onnx_name_layer(n, layer);
  return output(n, ingot_layer_get_output(layer, 0));
}

/* Clip: opset < 11 takes min/max attributes; later ones optional inputs 1 and 2. Constant
 * bounds on a float input make one clip activation; others max then min. */
static ingot_status import_clip(ingot_onnx_node *n) {
  ingot_tensor *x;
  TRY(input(n, 0, &x));
  ingot_dtype dt = input_dtype(n, 0);
  if (ingot_onnx_node_opset(n) < 11) {
    float lo = ingot_onnx_attr_float(n, "min", -FLT_MAX), hi = ingot_onnx_attr_float(n, "max", FLT_MAX);
    return activation(n, INGOT_ACTIVATION_CLIP, lo, hi);
  }
  const ingot_onnx_value *vmin = ingot_onnx_input(n, 1), *vmax = ingot_onnx_input(n, 2);
  bool const_min = !vmin || (vmin->is_constant && ingot_onnx_value_count(vmin) == 1);
  bool const_max = !vmax || (vmax->is_constant && ingot_onnx_value_count(vmax) == 1);
  if (is_float(dt) && const_min && const_max) {
    float lo = vmin ? (float)ingot_onnx_value_at(vmin, 0) : -FLT_MAX;
    float hi = vmax ? (float)ingot_onnx_value_at(vmax, 0) : FLT_MAX;
    return activation(n, INGOT_ACTIVATION_CLIP, lo, hi);
  }
  ingot_tensor *y = x;
  for (int32_t i = 1; i <= 2; i++) {
    if (!ingot_onnx_input(n, i)) continue;
    ingot_tensor *bound;
    TRY(input(n, i, &bound));
    if (input_dtype(n, i) != dt) TRY(ingot_onnx_add_cast(n, bound, dt, &bound));
    TRY(ingot_onnx_add_elementwise(n, y, bound, i == 1 ? INGOT_ELEMENTWISE_MAX : INGOT_ELEMENTWISE_MIN, &y));
  }
  if (y == x) TRY(ingot_onnx_add_identity(n, x, &y));
  return output(n, y);
}

/* ---- elementwise ------------------------------------------------------------------------------ */

/* Folds a binary op of two small constants on the host (shape arithmetic between
 * initializers stays a constant that later importers can read). false: not folded. */
static bool fold_binary(ingot_onnx_node *n, ingot_elementwise_op op, ingot_status *st) {
  const ingot_onnx_value *a = ingot_onnx_input(n, 0), *b = ingot_onnx_input(n, 1);
  if (!a || !b || !a->is_constant || !b->is_constant || !a->data || !b->data || a->dtype != b->dtype) return false;
  if (a->dtype != INGOT_INT64 && a->dtype != INGOT_INT32 && a->dtype != INGOT_FLOAT32) return false;
  if (op != INGOT_ELEMENTWISE_SUM && op != INGOT_ELEMENTWISE_SUB && op != INGOT_ELEMENTWISE_PROD &&
      op != INGOT_ELEMENTWISE_DIV)
    return false;
  ingot_dims out;
  if (!ingot_dims_broadcast(&a->dims, &b->dims, &out)) return false;
  int64_t count = ingot_dims_volume(&out);
  if (count < 0 || count > 4096) return false;
  bool integer = a->dtype != INGOT_FLOAT32;
  int64_t sa[INGOT_MAX_DIMS], sb[INGOT_MAX_DIMS], so[INGOT_MAX_DIMS];
  ingot_dims ea, eb; /* the operands' dims right-aligned to out's rank */
  memset(&ea, 0, sizeof ea);
  memset(&eb, 0, sizeof eb);
  ea.nb_dims = eb.nb_dims = out.nb_dims;
  for (int32_t i = 0; i < out.nb_dims; i++) {
    int32_t ia = i - (out.nb_dims - a->dims.nb_dims), ib = i - (out.nb_dims - b->dims.nb_dims);
    ea.d[i] = ia >= 0 ? a->dims.d[ia] : 1;
    eb.d[i] = ib >= 0 ? b->dims.d[ib] : 1;
  }
  ingot_dims_strides(&ea, sa);
  ingot_dims_strides(&eb, sb);
  ingot_dims_strides(&out, so);
  unsigned char *data = malloc((size_t)(count > 0 ? count : 1) * 8);
  if (!data) return false;
  for (int64_t k = 0; k < count; k++) {
    int64_t ka = 0, kb = 0, rem = k;
    for (int32_t i = 0; i < out.nb_dims; i++) {
      int64_t c = rem / so[i];
      rem %= so[i];
      if (ea.d[i] != 1) ka += c * sa[i];
      if (eb.d[i] != 1) kb += c * sb[i];
    }
    double x = ingot_onnx_value_at(a, ka), y = ingot_onnx_value_at(b, kb), r;
    switch (op) {
      case INGOT_ELEMENTWISE_SUM: r = x + y; break;
      case INGOT_ELEMENTWISE_SUB: r = x - y; break;
      case INGOT_ELEMENTWISE_PROD: r = x * y; break;
      default:
        if (integer && y == 0) {
          free(data);
          return false; /* left to the layer, which reports it */
        }
        r = integer ? trunc(x / y) : x / y;
        break;
    }
    ingot_store_from_double(data, a->dtype, k, r);
  }
  *st = ingot_onnx_set_output_constant(n, 0, a->dtype, &out, data);
  free(data);
  return true;
}

static ingot_status binary(ingot_onnx_node *n, ingot_elementwise_op op) {
  ingot_status st;
  if (fold_binary(n, op, &st)) return st;
  ingot_tensor *a, *b, *y;
  TRY(input(n, 0, &a));
  TRY(input(n, 1, &b));
  TRY(ingot_onnx_add_elementwise(n, a, b, op, &y));
  return output(n, y);
}

static ingot_status import_add(ingot_onnx_node *n) { return binary(n, INGOT_ELEMENTWISE_SUM); }
static ingot_status import_sub(ingot_onnx_node *n) { return binary(n, INGOT_ELEMENTWISE_SUB); }
static ingot_status import_mul(ingot_onnx_node *n) { return binary(n, INGOT_ELEMENTWISE_PROD); }
static ingot_status import_div(ingot_onnx_node *n) { return binary(n, INGOT_ELEMENTWISE_DIV); }
static ingot_status import_equal(ingot_onnx_node *n) { return binary(n, INGOT_ELEMENTWISE_EQUAL); }
static ingot_status import_greater(ingot_onnx_node *n) { return binary(n, INGOT_ELEMENTWISE_GREATER); }
static ingot_status import_greater_equal(ingot_onnx_node *n) { return binary(n, INGOT_ELEMENTWISE_GREATER_EQUAL); }
static ingot_status import_less(ingot_onnx_node *n) { return binary(n, INGOT_ELEMENTWISE_LESS); }
static ingot_status import_less_equal(ingot_onnx_node *n) { return binary(n, INGOT_ELEMENTWISE_LESS_EQUAL); }
static ingot_status import_and(ingot_onnx_node *n) { return binary(n, INGOT_ELEMENTWISE_AND); }
static ingot_status import_or(ingot_onnx_node *n) { return binary(n, INGOT_ELEMENTWISE_OR); }
static ingot_status import_xor(ingot_onnx_node *n) { return binary(n, INGOT_ELEMENTWISE_XOR); }

static ingot_status import_mod(ingot_onnx_node *n) {
  int64_t fmod_attr = ingot_onnx_attr_int(n, "fmod", 0);
  if (fmod_attr != 0 && fmod_attr != 1)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute fmod is %lld, expected 0 or 1", (long long)fmod_attr);
  /* fmod=0 on floats: the ONNX tests and onnxruntime take it as numpy's mod (the sign of
   * the divisor), which the float MOD kernel computes. */
  return binary(n, fmod_attr ? INGOT_ELEMENTWISE_FMOD : INGOT_ELEMENTWISE_MOD);
}

/* Pow: the exponent may have another dtype than the base: cast it to the base's. */
static ingot_status import_pow(ingot_onnx_node *n) {
  ingot_tensor *a, *b, *y;
  TRY(input(n, 0, &a));
  TRY(input(n, 1, &b));
  ingot_dtype da = input_dtype(n, 0);
  if (input_dtype(n, 1) != da) TRY(ingot_onnx_add_cast(n, b, da, &b));
  TRY(ingot_onnx_add_elementwise(n, a, b, INGOT_ELEMENTWISE_POW, &y));
  return output(n, y);
}

/* Max, Min, Sum, Mean: a chain over every input (broadcast at each step). */
static ingot_status variadic(ingot_onnx_node *n, ingot_elementwise_op op, bool mean) {
  int32_t count = ingot_onnx_node_num_inputs(n);
  if (count < 1) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "has no inputs, expected at least 1");
  ingot_tensor *y;
  TRY(input(n, 0, &y));
  for (int32_t i = 1; i < count; i++) {
    ingot_tensor *t;
    TRY(input(n, i, &t));
    TRY(ingot_onnx_add_elementwise(n, y, t, op, &y));
  }
  if (mean && count > 1) {
    ingot_tensor *c;
    TRY(ingot_onnx_add_scalar(n, input_dtype(n, 0), (double)count, 0, &c));
    TRY(ingot_onnx_add_elementwise(n, y, c, INGOT_ELEMENTWISE_DIV, &y));
  }
  if (count == 1) TRY(ingot_onnx_add_identity(n, y, &y));
  return output(n, y);
}

static ingot_status import_max(ingot_onnx_node *n) { return variadic(n, INGOT_ELEMENTWISE_MAX, false); }
static ingot_status import_min(ingot_onnx_node *n) { return variadic(n, INGOT_ELEMENTWISE_MIN, false); }
static ingot_status import_sum(ingot_onnx_node *n) { return variadic(n, INGOT_ELEMENTWISE_SUM, false); }
static ingot_status import_mean(ingot_onnx_node *n) { return variadic(n, INGOT_ELEMENTWISE_SUM, true); }

static ingot_status import_where(ingot_onnx_node *n) {
  ingot_tensor *c, *a, *b;
  TRY(input(n, 0, &c));
  TRY(input(n, 1, &a));
  TRY(input(n, 2, &b));
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_select(ingot_onnx_node_network(n), c, a, b, &layer), "adding a select"));
  ingot_onnx_name_layer(n, layer);
  return output(n, ingot_layer_get_output(layer, 0));
}

/* ---- unary ------------------------------------------------------------------------------------ */

static ingot_status unary(ingot_onnx_node *n, ingot_unary_op op) {
  ingot_tensor *x, *y;
  TRY(input(n, 0, &x));
  TRY(ingot_onnx_add_unary(n, x, op, &y));
  return output(n, y);
}

#define UNARY_IMPORTER(fn, op) \
  static ingot_status fn(ingot_onnx_node *n) { return unary(n, op); }
UNARY_IMPORTER(import_abs, INGOT_UNARY_ABS)
UNARY_IMPORTER(import_neg, INGOT_UNARY_NEG)
UNARY_IMPORTER(import_exp, INGOT_UNARY_EXP)
UNARY_IMPORTER(import_log, INGOT_UNARY_LOG)
UNARY_IMPORTER(import_sqrt, INGOT_UNARY_SQRT)
UNARY_IMPORTER(import_reciprocal, INGOT_UNARY_RECIPROCAL)
UNARY_IMPORTER(import_floor, INGOT_UNARY_FLOOR)
UNARY_IMPORTER(import_ceil, INGOT_UNARY_CEIL)
UNARY_IMPORTER(import_round, INGOT_UNARY_ROUND)
UNARY_IMPORTER(import_sin, INGOT_UNARY_SIN)
UNARY_IMPORTER(import_cos, INGOT_UNARY_COS)
UNARY_IMPORTER(import_tan, INGOT_UNARY_TAN)
UNARY_IMPORTER(import_asin, INGOT_UNARY_ASIN)
UNARY_IMPORTER(import_acos, INGOT_UNARY_ACOS)
UNARY_IMPORTER(import_atan, INGOT_UNARY_ATAN)
UNARY_IMPORTER(import_sinh, INGOT_UNARY_SINH)
UNARY_IMPORTER(import_cosh, INGOT_UNARY_COSH)
UNARY_IMPORTER(import_asinh, INGOT_UNARY_ASINH)
UNARY_IMPORTER(import_acosh, INGOT_UNARY_ACOSH)
UNARY_IMPORTER(import_atanh, INGOT_UNARY_ATANH)
UNARY_IMPORTER(import_erf, INGOT_UNARY_ERF)
UNARY_IMPORTER(import_not, INGOT_UNARY_NOT)
UNARY_IMPORTER(import_sign, INGOT_UNARY_SIGN)
UNARY_IMPORTER(import_isnan, INGOT_UNARY_ISNAN)
#undef UNARY_IMPORTER

/* IsInf: isinf(x), narrowed by sign when detect_positive or detect_negative is 0. */
static ingot_status import_isinf(ingot_onnx_node *n) {
  int64_t pos = ingot_onnx_attr_int(n, "detect_positive", 1), neg = ingot_onnx_attr_int(n, "detect_negative", 1);
  ingot_tensor *x, *y;
  TRY(input(n, 0, &x));
  TRY(ingot_onnx_add_unary(n, x, INGOT_UNARY_ISINF, &y));
  if (pos && neg) return output(n, y);
  if (!pos && !neg) {
    ingot_tensor *f;
    TRY(ingot_onnx_add_scalar(n, INGOT_BOOL, 0.0, 0, &f));
    TRY(ingot_onnx_add_elementwise(n, y, f, INGOT_ELEMENTWISE_AND, &y));
    return output(n, y);
  }
  ingot_tensor *zero, *side;
  TRY(ingot_onnx_add_scalar(n, input_dtype(n, 0), 0.0, 0, &zero));
  TRY(ingot_onnx_add_elementwise(n, x, zero, pos ? INGOT_ELEMENTWISE_GREATER : INGOT_ELEMENTWISE_LESS, &side));
  TRY(ingot_onnx_add_elementwise(n, y, side, INGOT_ELEMENTWISE_AND, &y));
  return output(n, y);
}

/* ---- matrix multiply -------------------------------------------------------------------------- */

static ingot_status add_matmul(ingot_onnx_node *n, ingot_tensor *a, ingot_matrix_op op_a, ingot_tensor *b,
                               ingot_matrix_op op_b, ingot_tensor **out) {
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_matrix_multiply(ingot_onnx_node_network(n), a, op_a, b, op_b, &layer),
                       "adding a matrix multiply"));
  ingot_onnx_name_layer(n, layer);
  *out = ingot_layer_get_output(layer, 0);
  return INGOT_SUCCESS;
}

/* MatMul: numpy.matmul; a 1-D operand is a vector (its dim is dropped from the output). */
static ingot_status import_matmul(ingot_onnx_node *n) {
  int32_t ra, rb;
  TRY(ingot_onnx_input_rank(n, 0, &ra));
  TRY(ingot_onnx_input_rank(n, 1, &rb));
  ingot_tensor *a, *b, *y;
  TRY(input(n, 0, &a));
  TRY(input(n, 1, &b));
  if (ra == 0 || rb == 0)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input %d is a scalar, expected rank >= 1", ra == 0 ? 0 : 1);
  TRY(add_matmul(n, a, ra == 1 ? INGOT_MATRIX_OP_VECTOR : INGOT_MATRIX_OP_NONE, b,
                 rb == 1 ? INGOT_MATRIX_OP_VECTOR : INGOT_MATRIX_OP_NONE, &y));
  return output(n, y);
}

/* Gemm with a constant float32 B, no transA and a bias of one value per output column:
 * one fully connected layer (alpha and beta folded into its weights). */
static bool try_gemm_fc(ingot_onnx_node *n, float alpha, float beta, int64_t trans_b, ingot_status *st) {
  const ingot_onnx_value *a = ingot_onnx_input(n, 0), *b = ingot_onnx_input(n, 1), *c = ingot_onnx_input(n, 2);
  if (ingot_onnx_attr_int(n, "transA", 0) != 0 || !a || !b || !b->is_constant || !b->data || b->dtype != INGOT_FLOAT32 ||
      b->dims.nb_dims != 2 || a->dtype != INGOT_FLOAT32)
    return false;
  int64_t N = trans_b ? b->dims.d[0] : b->dims.d[1], K = trans_b ? b->dims.d[1] : b->dims.d[0];
  if (N < 1 || K < 1) return false;
  ingot_dims ad = ingot_onnx_input_dims(n, 0);
  if (ad.nb_dims != 2 || (ad.d[1] >= 0 && ad.d[1] != K)) return false;
  if (c && beta != 0.0f) {
    if (!c->is_constant || !c->data || !is_float(c->dtype) || ingot_onnx_value_count(c) != N) return false;
    if (c->dims.nb_dims > 2 || (c->dims.nb_dims == 2 && c->dims.d[0] != 1)) return false;
  }
  float *kernel = malloc((size_t)(N * K) * sizeof *kernel);
  float *bias = c && beta != 0.0f ? malloc((size_t)N * sizeof *bias) : NULL;
  if (!kernel || (c && beta != 0.0f && !bias)) {
    free(kernel);
    free(bias);
    return false;
  }
  const float *bv = b->data;
  for (int64_t o = 0; o < N; o++)
    for (int64_t k = 0; k < K; k++) kernel[o * K + k] = alpha * (trans_b ? bv[o * K + k] : bv[k * N + o]);
  if (bias)
    for (int64_t o = 0; o < N; o++) bias[o] = beta * (float)ingot_onnx_value_at(c, o);
  ingot_tensor *x;
  *st = input(n, 0, &x);
  if (*st == INGOT_SUCCESS) {
    ingot_weights kw = {INGOT_FLOAT32, kernel, N * K};
    ingot_weights bw = {INGOT_FLOAT32, bias, bias ? N : 0};
    ingot_layer *layer = NULL;
    *st = ingot_onnx_check(n, ingot_network_add_fully_connected(ingot_onnx_node_network(n), x, N, kw, bw, &layer),
                           "adding a fully connected layer");
    if (*st == INGOT_SUCCESS) {
      ingot_onnx_name_layer(n, layer);
      *st = output(n, ingot_layer_get_output(layer, 0));
    }
  }
  free(kernel);
  free(bias);
  return true;
}

/* Gemm: alpha * op(A) op(B) + beta * C, C broadcast to [M, N]. */
static ingot_status import_gemm(ingot_onnx_node *n) {
  float alpha = ingot_onnx_attr_float(n, "alpha", 1.0f), beta = ingot_onnx_attr_float(n, "beta", 1.0f);
  int64_t trans_a = ingot_onnx_attr_int(n, "transA", 0), trans_b = ingot_onnx_attr_int(n, "transB", 0);
  ingot_status st;
  if (try_gemm_fc(n, alpha, beta, trans_b, &st)) return st;
  ingot_tensor *a, *b, *y;
  TRY(input(n, 0, &a));
  TRY(input(n, 1, &b));
  ingot_dtype dt = input_dtype(n, 0);
  TRY(add_matmul(n, a, trans_a ? INGOT_MATRIX_OP_TRANSPOSE : INGOT_MATRIX_OP_NONE, b,
                 trans_b ? INGOT_MATRIX_OP_TRANSPOSE : INGOT_MATRIX_OP_NONE, &y));
  if (alpha != 1.0f) {
    ingot_tensor *s;
    TRY(ingot_onnx_add_scalar(n, dt, alpha, 0, &s));
    TRY(ingot_onnx_add_elementwise(n, y, s, INGOT_ELEMENTWISE_PROD, &y));
  }
  if (ingot_onnx_input(n, 2) && beta != 0.0f) {
    ingot_tensor *c;
    TRY(input(n, 2, &c));
    if (input_dtype(n, 2) != dt) TRY(ingot_onnx_add_cast(n, c, dt, &c));
    if (beta != 1.0f) {
      ingot_tensor *s;
      TRY(ingot_onnx_add_scalar(n, dt, beta, 0, &s));
      TRY(ingot_onnx_add_elementwise(n, c, s, INGOT_ELEMENTWISE_PROD, &c));
    }
    TRY(ingot_onnx_add_elementwise(n, y, c, INGOT_ELEMENTWISE_SUM, &y));
  }
  return output(n, y);
}

/* ---- softmax ---------------------------------------------------------------------------------- */

typedef enum { SOFTMAX, LOG_SOFTMAX, HARDMAX } softmax_kind;

/* Hardmax along `axis`: 1 at the first maximum, 0 elsewhere. The first one is where the
 * running count of maxima (an inclusive cumulative sum) reaches 1 on a maximum. */
static ingot_status add_hardmax(ingot_onnx_node *n, ingot_tensor *x, int32_t axis, int32_t rank, ingot_dtype dt,
                                ingot_tensor **out) {
  ingot_tensor *m, *eq, *eqf, *count, *one, *first, *y;
  TRY(ingot_onnx_add_reduce(n, x, INGOT_REDUCE_MAX, 1u << axis, true, &m));
  TRY(ingot_onnx_add_elementwise(n, x, m, INGOT_ELEMENTWISE_EQUAL, &eq));
  TRY(ingot_onnx_add_cast(n, eq, INGOT_FLOAT32, &eqf));
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_cumulative(ingot_onnx_node_network(n), eqf, axis, 0, 0, &layer),
                       "adding a cumulative sum"));
  ingot_onnx_name_layer(n, layer);
  count = ingot_layer_get_output(layer, 0);
  TRY(ingot_onnx_add_scalar(n, INGOT_FLOAT32, 1.0, 0, &one));
  TRY(ingot_onnx_add_elementwise(n, count, one, INGOT_ELEMENTWISE_EQUAL, &first));
  TRY(ingot_onnx_add_elementwise(n, first, eq, INGOT_ELEMENTWISE_AND, &y));
  (void)rank;
  return ingot_onnx_add_cast(n, y, dt, out);
}

static ingot_status softmax_on(ingot_onnx_node *n, ingot_tensor *x, softmax_kind kind, int32_t axis, int32_t rank,
                               ingot_tensor **out) {
  if (kind == HARDMAX) return add_hardmax(n, x, axis, rank, input_dtype(n, 0), out);
  ingot_layer *layer = NULL;
  ingot_network *net = ingot_onnx_node_network(n);
  ingot_status st = kind == SOFTMAX ? ingot_network_add_softmax(net, x, axis, &layer)
                                    : ingot_network_add_log_softmax(net, x, axis, &layer);
  TRY(ingot_onnx_check(n, st, kind == SOFTMAX ? "adding a softmax" : "adding a log softmax"));
  ingot_onnx_name_layer(n, layer);
  *out = ingot_layer_get_output(layer, 0);
  return INGOT_SUCCESS;
}

/* Opset < 13: the input is seen as 2-D [prod(dims before axis), prod(dims from axis)] and
 * normalized along its second dim; 13+: along `axis` itself. */
static ingot_status softmax_family(ingot_onnx_node *n, softmax_kind kind) {
  bool legacy = ingot_onnx_node_opset(n) < 13;
  int32_t rank = ingot_onnx_input_rank_or_unknown(n, 0), axis;
  int64_t axis_attr = ingot_onnx_attr_int(n, "axis", legacy ? 1 : -1);
  ingot_tensor *x, *y;
  TRY(input(n, 0, &x));
  if (rank == 0) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input is a scalar, expected rank >= 1");
  if (rank < 0 && (kind == HARDMAX || (legacy && axis_attr != -1))) TRY(ingot_onnx_input_rank(n, 0, &rank));
  TRY(layer_axis(n, axis_attr, rank, "attribute axis", &axis));
  if (!legacy || axis == rank - 1 || axis == -1) {
    TRY(softmax_on(n, x, kind, axis, rank, &y));
    return output(n, y);
  }
  ingot_tensor *x2, *y2;
  TRY(ingot_onnx_flatten_2d(n, x, axis, rank, &x2));
  TRY(softmax_on(n, x2, kind, 1, 2, &y2));
  TRY(ingot_onnx_reshape_like(n, y2, x, &y));
  return output(n, y);
}

static ingot_status import_softmax(ingot_onnx_node *n) { return softmax_family(n, SOFTMAX); }
static ingot_status import_log_softmax(ingot_onnx_node *n) { return softmax_family(n, LOG_SOFTMAX); }
static ingot_status import_hardmax(ingot_onnx_node *n) { return softmax_family(n, HARDMAX); }

/* ---- reductions ------------------------------------------------------------------------------- */

typedef enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_LOG_SUM, R_LOG_SUM_EXP, R_SUM_SQUARE } reduce_kind;

/* The reduced axes as a mask: the "axes" attribute before `input_opset`, input 1 from it
 * on (noop_with_empty_axes: no axes means identity instead of every axis). *noop_out is
 * set when the node is an identity. */
static ingot_status reduce_axes(ingot_onnx_node *n, int32_t rank, int64_t input_opset, uint32_t *mask_out,
                                bool *noop_out) {
  int64_t axes[INGOT_MAX_DIMS * 2];
  int32_t count = -1;
  *noop_out = false;
  if (ingot_onnx_node_opset(n) >= input_opset) {
    const ingot_onnx_value *v = ingot_onnx_input(n, 1);
    if (v) {
      if (!v->is_constant)
        return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "input 1 (axes) must be a constant; a computed axes tensor is not supported");
      int64_t c = ingot_onnx_value_count(v);
      if (c > (int64_t)(sizeof axes / sizeof axes[0]))
        return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 1 (axes) holds %lld values, expected at most the rank %d",
                               (long long)c, rank);
      if (c > 0) TRY(ingot_onnx_input_ints(n, 1, axes, (int32_t)(sizeof axes / sizeof axes[0]), &count));
      else count = 0;
    }
    if (count <= 0 && ingot_onnx_attr_int(n, "noop_with_empty_axes", 0)) {
      *noop_out = true;
      return INGOT_SUCCESS;
    }
  } else {
    ingot_onnx_attr_ints(n, "axes", axes, (int32_t)(sizeof axes / sizeof axes[0]), &count);
    if (count > (int32_t)(sizeof axes / sizeof axes[0]))
      return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute axes holds %d values, expected at most the rank %d",
                             count, rank);
  }
  if (count <= 0) {
    if (rank < 0) TRY(ingot_onnx_input_rank(n, 0, &rank)); /* every axis: the rank is needed */
    *mask_out = rank >= 32 ? 0xFFFFFFFFu : (1u << rank) - 1u;
    return INGOT_SUCCESS;
  }
  return ingot_onnx_axes_mask(n, axes, count, rank, ingot_onnx_node_opset(n) >= input_opset ? "input 1 (axes)"
                                                                                               : "attribute axes",
                              mask_out);
}

static ingot_status reduce_family(ingot_onnx_node *n, reduce_kind kind) {
  int32_t rank = ingot_onnx_input_rank_or_unknown(n, 0); /* unknown: non-negative axes still do */
  uint32_t mask = 0;
  bool noop = false;
  TRY(reduce_axes(n, rank, kind == R_SUM ? 13 : 18, &mask, &noop));
  bool keep = ingot_onnx_attr_int(n, "keepdims", 1) != 0;
  ingot_tensor *x, *y, *t;
  TRY(input(n, 0, &x));
  /* Max and min of bool (any / all) and 8-bit values run in int32, exactly. */
  ingot_dtype dt = input_dtype(n, 0);
  bool via_int = (kind == R_MAX || kind == R_MIN) && (dt == INGOT_BOOL || dt == INGOT_INT8 || dt == INGOT_UINT8);
  if (via_int && !noop && mask != 0) {
    TRY(ingot_onnx_add_cast(n, x, INGOT_INT32, &x));
    TRY(ingot_onnx_add_reduce(n, x, kind == R_MAX ? INGOT_REDUCE_MAX : INGOT_REDUCE_MIN, mask, keep, &y));
    /* An empty set gives int32's extreme: clamped into the dtype, so that it is the dtype's
     * own (false / true for bool, -128 or 0 for int8 / uint8 maxima), not a wrapped value. */
    ingot_tensor *lo, *hi;
    TRY(ingot_onnx_add_scalar(n, INGOT_INT32, dt == INGOT_INT8 ? -128 : 0, 0, &lo));
    TRY(ingot_onnx_add_scalar(n, INGOT_INT32, dt == INGOT_INT8 ? 127 : dt == INGOT_UINT8 ? 255 : 1, 0, &hi));
    TRY(ingot_onnx_add_elementwise(n, y, lo, INGOT_ELEMENTWISE_MAX, &y));
    TRY(ingot_onnx_add_elementwise(n, y, hi, INGOT_ELEMENTWISE_MIN, &y));
    TRY(ingot_onnx_add_cast(n, y, dt, &y));
    return output(n, y);
  }
  if (noop || (mask == 0 && rank == 0)) {
    /* No axes: the input as is (the composed ones still apply their elementwise part). */
    switch (kind) {
      case R_L1: TRY(ingot_onnx_add_unary(n, x, INGOT_UNARY_ABS, &y)); break;
      case R_L2: TRY(ingot_onnx_add_unary(n, x, INGOT_UNARY_ABS, &y)); break;
      case R_LOG_SUM: TRY(ingot_onnx_add_unary(n, x, INGOT_UNARY_LOG, &y)); break;
      case R_SUM_SQUARE: TRY(ingot_onnx_add_elementwise(n, x, x, INGOT_ELEMENTWISE_PROD, &y)); break;
      default: TRY(ingot_onnx_add_identity(n, x, &y)); break;
    }
    return output(n, y);
  }
  switch (kind) {
    case R_SUM: TRY(ingot_onnx_add_reduce(n, x, INGOT_REDUCE_SUM, mask, keep, &y)); break;
    case R_MEAN: TRY(ingot_onnx_add_reduce(n, x, INGOT_REDUCE_MEAN, mask, keep, &y)); break;
    case R_MAX: TRY(ingot_onnx_add_reduce(n, x, INGOT_REDUCE_MAX, mask, keep, &y)); break;
    case R_MIN: TRY(ingot_onnx_add_reduce(n, x, INGOT_REDUCE_MIN, mask, keep, &y)); break;
    case R_PROD: TRY(ingot_onnx_add_reduce(n, x, INGOT_REDUCE_PROD, mask, keep, &y)); break;
    case R_L1:
      TRY(ingot_onnx_add_unary(n, x, INGOT_UNARY_ABS, &t));
      TRY(ingot_onnx_add_reduce(n, t, INGOT_REDUCE_SUM, mask, keep, &y));
      break;
    case R_L2:
      TRY(ingot_onnx_add_elementwise(n, x, x, INGOT_ELEMENTWISE_PROD, &t));
      TRY(ingot_onnx_add_reduce(n, t, INGOT_REDUCE_SUM, mask, keep, &t));
      if (is_float(input_dtype(n, 0))) {
        TRY(ingot_onnx_add_unary(n, t, INGOT_UNARY_SQRT, &y));
      } else { /* integers: sqrt in float32, truncated back as ONNX's reference does */
        ingot_dtype dt = input_dtype(n, 0);
        TRY(ingot_onnx_add_cast(n, t, INGOT_FLOAT32, &t));
        TRY(ingot_onnx_add_unary(n, t, INGOT_UNARY_SQRT, &t));
        TRY(ingot_onnx_add_cast(n, t, dt, &y));
      }
      break;
    case R_LOG_SUM:
      TRY(ingot_onnx_add_reduce(n, x, INGOT_REDUCE_SUM, mask, keep, &t));
      TRY(ingot_onnx_add_unary(n, t, INGOT_UNARY_LOG, &y));
      break;
    case R_LOG_SUM_EXP: {
      /* log(sum(exp(x - m))) + m with m the max: no overflow for large inputs. */
      ingot_tensor *m, *d, *m_out;
      TRY(ingot_onnx_add_reduce(n, x, INGOT_REDUCE_MAX, mask, true, &m));
      TRY(ingot_onnx_add_elementwise(n, x, m, INGOT_ELEMENTWISE_SUB, &d));
      TRY(ingot_onnx_add_unary(n, d, INGOT_UNARY_EXP, &t));
      TRY(ingot_onnx_add_reduce(n, t, INGOT_REDUCE_SUM, mask, keep, &t));
      TRY(ingot_onnx_add_unary(n, t, INGOT_UNARY_LOG, &t));
      m_out = m;
      if (!keep) TRY(ingot_onnx_add_reduce(n, x, INGOT_REDUCE_MAX, mask, false, &m_out));
      TRY(ingot_onnx_add_elementwise(n, t, m_out, INGOT_ELEMENTWISE_SUM, &y));
      break;
    }
    case R_SUM_SQUARE:
      TRY(ingot_onnx_add_elementwise(n, x, x, INGOT_ELEMENTWISE_PROD, &t));
      TRY(ingot_onnx_add_reduce(n, t, INGOT_REDUCE_SUM, mask, keep, &y));
      break;
  }
  return output(n, y);
}

static ingot_status import_reduce_sum(ingot_onnx_node *n) { return reduce_family(n, R_SUM); }
static ingot_status import_reduce_mean(ingot_onnx_node *n) { return reduce_family(n, R_MEAN); }
static ingot_status import_reduce_max(ingot_onnx_node *n) { return reduce_family(n, R_MAX); }
static ingot_status import_reduce_min(ingot_onnx_node *n) { return reduce_family(n, R_MIN); }
static ingot_status import_reduce_prod(ingot_onnx_node *n) { return reduce_family(n, R_PROD); }
static ingot_status import_reduce_l1(ingot_onnx_node *n) { return reduce_family(n, R_L1); }
static ingot_status import_reduce_l2(ingot_onnx_node *n) { return reduce_family(n, R_L2); }
static ingot_status import_reduce_log_sum(ingot_onnx_node *n) { return reduce_family(n, R_LOG_SUM); }
static ingot_status import_reduce_log_sum_exp(ingot_onnx_node *n) { return reduce_family(n, R_LOG_SUM_EXP); }
static ingot_status import_reduce_sum_square(ingot_onnx_node *n) { return reduce_family(n, R_SUM_SQUARE); }

/* x reversed along `axis` (a slice of stride -1 from the last element; dynamic dims too),
 * and dim - 1 of that axis as an int64 tensor of dims [1] * rank. */
static ingot_status reverse_axis(ingot_onnx_node *n, ingot_tensor *x, int32_t axis, int32_t rank, ingot_tensor **out,
                                 ingot_tensor **last_out) {
  ingot_dims dims = ingot_onnx_tensor_dims(x);
  ingot_onnx_sv shape, unit, start, stride, t, last;
  int64_t unit_v[INGOT_MAX_DIMS], stride_v[INGOT_MAX_DIMS], axis64 = axis;
  for (int32_t i = 0; i < rank; i++) {
    unit_v[i] = i == axis;
    stride_v[i] = i == axis ? -1 : 1;
  }
  unit = ingot_onnx_sv_host(rank, unit_v);
  stride = ingot_onnx_sv_host(rank, stride_v);
  TRY(ingot_onnx_sv_shape_of(n, x, &dims, &shape));
  TRY(ingot_onnx_sv_binary(n, &shape, &unit, INGOT_ELEMENTWISE_PROD, &t));
  TRY(ingot_onnx_sv_binary(n, &t, &unit, INGOT_ELEMENTWISE_SUB, &start));
  TRY(ingot_onnx_sv_slice_layer(n, x, &start, &shape, &stride, out));
  TRY(ingot_onnx_sv_gather(n, &start, &axis64, 1, &last));
  ingot_tensor *last_1d;
  TRY(ingot_onnx_sv_tensor(n, &last, &last_1d));
  ingot_dims ones = {rank, {0}};
  for (int32_t i = 0; i < rank; i++) ones.d[i] = 1;
  return ingot_onnx_reshape(n, last_1d, &ones, false, last_out);
}

/* ArgMax/ArgMin: the indices output of top-1 along the axis (first index on ties, as ONNX's
 * default select_last_index=0; with select_last_index=1 the top-1 of the input reversed
 * along the axis, its index i mapped back to dim - 1 - i); keepdims=0 drops the axis with a
 * reduce over its single cell. */
static ingot_status arg_extreme(ingot_onnx_node *n, ingot_topk_op op) {
  int64_t last = ingot_onnx_attr_int(n, "select_last_index", 0);
  if (last != 0 && last != 1)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute select_last_index is %lld, expected 0 or 1",
                           (long long)last);
  int32_t rank = ingot_onnx_input_rank_or_unknown(n, 0), axis;
  if (last && rank < 0)
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED,
                           "attribute select_last_index is 1 and the rank of input 0 is unknown: it is needed to "
                           "reverse the axis");
  bool keep = ingot_onnx_attr_int(n, "keepdims", 1) != 0;
  int64_t axis_attr = ingot_onnx_attr_int(n, "axis", 0);
  if (keep && !last) TRY(layer_axis(n, axis_attr, rank, "attribute axis", &axis));
  else TRY(ingot_onnx_normalize_axis(n, axis_attr, rank, "attribute axis", &axis)); /* a mask bit below */
  ingot_tensor *x, *y, *last_index = NULL;
  TRY(input(n, 0, &x));
  if (last) TRY(reverse_axis(n, x, axis, rank, &x, &last_index));
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_topk(ingot_onnx_node_network(n), x, op, 1, axis, &layer), "adding a top-k"));
  ingot_onnx_name_layer(n, layer);
  y = ingot_layer_get_output(layer, 1);
  if (last) TRY(ingot_onnx_add_elementwise(n, last_index, y, INGOT_ELEMENTWISE_SUB, &y));
  if (!keep) TRY(ingot_onnx_add_reduce(n, y, INGOT_REDUCE_MAX, 1u << axis, false, &y));
  return output(n, y);
}

static ingot_status import_argmax(ingot_onnx_node *n) { return arg_extreme(n, INGOT_TOPK_MAX); }
static ingot_status import_argmin(ingot_onnx_node *n) { return arg_extreme(n, INGOT_TOPK_MIN); }

/* CumSum: the axis (input 1) must be a constant. */
static ingot_status import_cumsum(ingot_onnx_node *n) {
  int64_t axis_value;
  int32_t count = 0, rank, axis;
  TRY(ingot_onnx_input_ints(n, 1, &axis_value, 1, &count));
  if (count != 1)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 1 (axis) holds %d values, expected 1", count);
  rank = ingot_onnx_input_rank_or_unknown(n, 0);
  TRY(layer_axis(n, axis_value, rank, "input 1 (axis)", &axis));
  ingot_tensor *x;
  TRY(input(n, 0, &x));
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n,
                       ingot_network_add_cumulative(ingot_onnx_node_network(n), x, axis,
                                                    ingot_onnx_attr_int(n, "exclusive", 0) != 0,
                                                    ingot_onnx_attr_int(n, "reverse", 0) != 0, &layer),
                       "adding a cumulative sum"));
  ingot_onnx_name_layer(n, layer);
  return output(n, ingot_layer_get_output(layer, 0));
}

static ingot_status import_einsum(ingot_onnx_node *n) {
  const char *equation = ingot_onnx_attr_string(n, "equation", NULL);
  if (!equation) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute equation is missing");
  char eq[64];
  size_t len = 0;
  for (const char *p = equation; *p; p++) {
    if (*p == ' ' || *p == '\t') continue;
    if (len + 1 >= sizeof eq)
      return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "attribute equation '%s' is longer than %d characters", equation,
                             (int)sizeof eq - 1);
    eq[len++] = *p;
  }
  eq[len] = '\0';
  int32_t count = ingot_onnx_node_num_inputs(n);
  if (count < 1 || count > 2)
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "has %d inputs, only 1 or 2 are supported", count);
  ingot_tensor *inputs[2];
  for (int32_t i = 0; i < count; i++) TRY(input(n, i, &inputs[i]));
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_einsum(ingot_onnx_node_network(n), inputs, count, eq, &layer),
                       "adding an einsum"));
  ingot_onnx_name_layer(n, layer);
  return output(n, ingot_layer_get_output(layer, 0));
}

/* ---- quantization and casts ------------------------------------------------------------------- */

/* The axis of per-channel quantization: normalized when the rank is known. */
static ingot_status quant_axis(ingot_onnx_node *n, int32_t *axis_out) {
  int64_t axis = ingot_onnx_attr_int(n, "axis", 1);
  ingot_dims d = ingot_onnx_input_dims(n, 0);
  const ingot_onnx_value *scale = ingot_onnx_input(n, 1);
  if (scale && scale->dims.nb_dims == 0) { /* per tensor: the axis does not matter */
    *axis_out = 0;
    return INGOT_SUCCESS;
  }
  if (d.nb_dims >= 0) return ingot_onnx_normalize_axis(n, axis, d.nb_dims, "attribute axis", axis_out);
  *axis_out = (int32_t)axis;
  return INGOT_SUCCESS;
}

/* Blocked quantization (block_size > 0): input i (scale or zero point, x's shape but
 * ceil(D / block) along the axis) with each element repeated block times along the axis and
 * cut to D, so that it lines up with x elementwise. Needs static dims. */
static ingot_status expand_blocks(ingot_onnx_node *n, int32_t i, int32_t axis, int64_t block, ingot_tensor **out) {
  ingot_dims xd = ingot_onnx_input_dims(n, 0), sd = ingot_onnx_input_dims(n, i);
  if (xd.nb_dims < 1 || sd.nb_dims != xd.nb_dims)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "blocked quantization: input %d has rank %d, input 0 rank %d "
                           "(they must match)", (int)i, (int)sd.nb_dims, (int)xd.nb_dims);
  for (int32_t d = 0; d < xd.nb_dims; d++)
    if (xd.d[d] < 0 || sd.d[d] < 0)
      return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "blocked quantization needs the dims of inputs 0 and %d known",
                             (int)i);
  int64_t blocks = sd.d[axis], len = xd.d[axis];
  if (blocks * block < len || (blocks - 1) * block >= len)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "blocked quantization: input %d has %lld blocks along axis %d, "
                           "expected ceil(%lld / block_size %lld)", (int)i, (long long)blocks, (int)axis,
                           (long long)len, (long long)block);
  if (block > 256)
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "attribute block_size is %lld: at most 256 supported",
                           (long long)block);
  ingot_tensor *t, *copies[256];
  ingot_dims split = {sd.nb_dims + 1, {0}}, merged = sd, start = {xd.nb_dims, {0}}, stride = {xd.nb_dims, {0}};
  for (int32_t d = 0, k = 0; d < sd.nb_dims; d++) {
    split.d[k++] = sd.d[d];
    if (d == axis) split.d[k++] = 1;
  }
  TRY(input(n, i, &t));
  TRY(ingot_onnx_reshape(n, t, &split, false, &t));
  for (int64_t c = 0; c < block; c++) copies[c] = t;
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_concatenation(ingot_onnx_node_network(n), copies, (int32_t)block,
                                                          axis + 1, &layer),
                       "adding a concatenation"));
  ingot_onnx_name_layer(n, layer);
  merged.d[axis] = blocks * block;
  TRY(ingot_onnx_reshape(n, ingot_layer_get_output(layer, 0), &merged, false, &t));
  if (blocks * block != len) {
    for (int32_t d = 0; d < xd.nb_dims; d++) stride.d[d] = 1;
    TRY(ingot_onnx_check(n, ingot_network_add_slice(ingot_onnx_node_network(n), t, &start, &xd, &stride, &layer),
                         "adding a slice"));
    ingot_onnx_name_layer(n, layer);
    t = ingot_layer_get_output(layer, 0);
  }
  *out = t;
  return INGOT_SUCCESS;
}

static ingot_status block_size(ingot_onnx_node *n, int64_t *block_out) {
  int64_t block = ingot_onnx_attr_int(n, "block_size", 0);
  if (block < 0)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute block_size is %lld, expected >= 0", (long long)block);
  *block_out = block;
  return INGOT_SUCCESS;
}

/* Blocked QuantizeLinear: saturate(round_half_even(x / scale) + zero_point) elementwise. */
static ingot_status quantize_blocked(ingot_onnx_node *n, int32_t axis, int64_t block, ingot_dtype out_dtype) {
  ingot_tensor *x, *scale, *zp, *y, *lo, *hi;
  TRY(input(n, 0, &x));
  if (input_dtype(n, 0) != INGOT_FLOAT32) TRY(ingot_onnx_add_cast(n, x, INGOT_FLOAT32, &x));
  TRY(expand_blocks(n, 1, axis, block, &scale));
  if (input_dtype(n, 1) != INGOT_FLOAT32) TRY(ingot_onnx_add_cast(n, scale, INGOT_FLOAT32, &scale));
  TRY(ingot_onnx_add_elementwise(n, x, scale, INGOT_ELEMENTWISE_DIV, &y));
  TRY(ingot_onnx_add_unary(n, y, INGOT_UNARY_ROUND, &y));
  if (ingot_onnx_input(n, 2)) {
    TRY(expand_blocks(n, 2, axis, block, &zp));
    TRY(ingot_onnx_add_cast(n, zp, INGOT_FLOAT32, &zp));
    TRY(ingot_onnx_add_elementwise(n, y, zp, INGOT_ELEMENTWISE_SUM, &y));
  }
  TRY(ingot_onnx_add_scalar(n, INGOT_FLOAT32, out_dtype == INGOT_INT8 ? -128.0 : 0.0, 0, &lo));
  TRY(ingot_onnx_add_scalar(n, INGOT_FLOAT32, out_dtype == INGOT_INT8 ? 127.0 : 255.0, 0, &hi));
  TRY(ingot_onnx_add_elementwise(n, y, lo, INGOT_ELEMENTWISE_MAX, &y));
  TRY(ingot_onnx_add_elementwise(n, y, hi, INGOT_ELEMENTWISE_MIN, &y));
  TRY(ingot_onnx_add_cast(n, y, out_dtype, &y));
  return output(n, y);
}

/* Blocked DequantizeLinear: (x - zero_point) * scale elementwise, in the scale's dtype. */
static ingot_status dequantize_blocked(ingot_onnx_node *n, int32_t axis, int64_t block) {
  ingot_tensor *x, *scale, *zp, *y;
  ingot_dtype sd = input_dtype(n, 1);
  TRY(input(n, 0, &x));
  TRY(ingot_onnx_add_cast(n, x, INGOT_FLOAT32, &x));
  if (ingot_onnx_input(n, 2)) {
    TRY(expand_blocks(n, 2, axis, block, &zp));
    TRY(ingot_onnx_add_cast(n, zp, INGOT_FLOAT32, &zp));
    TRY(ingot_onnx_add_elementwise(n, x, zp, INGOT_ELEMENTWISE_SUB, &x));
  }
  TRY(expand_blocks(n, 1, axis, block, &scale));
  if (sd != INGOT_FLOAT32) TRY(ingot_onnx_add_cast(n, scale, INGOT_FLOAT32, &scale));
  TRY(ingot_onnx_add_elementwise(n, x, scale, INGOT_ELEMENTWISE_PROD, &y));
  if (sd != INGOT_FLOAT32) TRY(ingot_onnx_add_cast(n, y, sd, &y));
  return output(n, y);
}

static ingot_status import_quantize_linear(ingot_onnx_node *n) {
  int64_t block = 0;
  TRY(block_size(n, &block));
  ingot_dtype out_dtype = INGOT_UINT8;
  const ingot_onnx_value *zp = ingot_onnx_input(n, 2);
  if (zp) {
    out_dtype = zp->dtype;
  } else if (ingot_onnx_has_attr(n, "output_dtype")) {
    int64_t t = ingot_onnx_attr_int(n, "output_dtype", 0);
    if (t != 0 && !ingot_onnx_dtype_from_onnx(t, &out_dtype))
      return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "attribute output_dtype is %s (%lld), expected UINT8 or INT8",
                             ingot_onnx_dtype_onnx_name(t), (long long)t);
  }
  if (out_dtype != INGOT_INT8 && out_dtype != INGOT_UINT8)
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "output dtype is %s, only int8 and uint8 are supported",
                           ingot_dtype_name(out_dtype));
  int32_t axis;
  TRY(quant_axis(n, &axis));
  if (block > 0) return quantize_blocked(n, axis, block, out_dtype);
  ingot_tensor *x, *scale, *zero = NULL;
  TRY(input(n, 0, &x));
  TRY(input(n, 1, &scale));
  if (input_dtype(n, 1) != INGOT_FLOAT32) TRY(ingot_onnx_add_cast(n, scale, INGOT_FLOAT32, &scale));
  if (zp) TRY(input(n, 2, &zero));
  if (input_dtype(n, 0) != INGOT_FLOAT32) TRY(ingot_onnx_add_cast(n, x, INGOT_FLOAT32, &x));
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_quantize(ingot_onnx_node_network(n), x, scale, zero, axis, out_dtype, &layer),
                       "adding a quantize layer"));
  ingot_onnx_name_layer(n, layer);
  return output(n, ingot_layer_get_output(layer, 0));
}

static ingot_status import_dequantize_linear(ingot_onnx_node *n) {
  int64_t block = 0;
  TRY(block_size(n, &block));
  ingot_dtype xd = input_dtype(n, 0);
  if (xd != INGOT_INT8 && xd != INGOT_UINT8 && xd != INGOT_INT32)
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "input 0 has dtype %s, expected int8, uint8 or int32",
                           ingot_dtype_name(xd));
  int32_t axis;
  TRY(quant_axis(n, &axis));
  if (block > 0) return dequantize_blocked(n, axis, block);
  ingot_tensor *x, *scale, *zero = NULL, *y;
  TRY(input(n, 0, &x));
  TRY(input(n, 1, &scale));
  ingot_dtype sd = input_dtype(n, 1);
  if (sd != INGOT_FLOAT32) TRY(ingot_onnx_add_cast(n, scale, INGOT_FLOAT32, &scale));
  if (ingot_onnx_input(n, 2)) TRY(input(n, 2, &zero));
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_dequantize(ingot_onnx_node_network(n), x, scale, zero, axis, &layer),
                       "adding a dequantize layer"));
  ingot_onnx_name_layer(n, layer);
  y = ingot_layer_get_output(layer, 0);
  /* Opset 19+: the output has the scale's dtype. */
  if (sd != INGOT_FLOAT32) TRY(ingot_onnx_add_cast(n, y, sd, &y));
  return output(n, y);
}

/* Cast of a small constant is folded on the host, so shape arithmetic stays readable. */
static ingot_status cast_to(ingot_onnx_node *n, ingot_dtype to) {
  const ingot_onnx_value *v = ingot_onnx_input(n, 0);
  if (!v) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 is missing");
  int64_t count = ingot_onnx_value_count(v);
  if (v->is_constant && v->data && count >= 0 && count <= 65536) {
    unsigned char *data = malloc((size_t)(count > 0 ? count : 1) * 8);
    if (data) {
      for (int64_t i = 0; i < count; i++) {
        double x = ingot_onnx_value_at(v, i);
        if (to == INGOT_BOOL) x = x != 0.0;
        else if (!is_float(to)) x = trunc(x);
        ingot_store_from_double(data, to, i, x);
      }
      ingot_status st = ingot_onnx_set_output_constant(n, 0, to, &v->dims, data);
      free(data);
      return st;
    }
  }
  ingot_tensor *x, *y;
  TRY(input(n, 0, &x));
  if (v->dtype == to) TRY(ingot_onnx_add_identity(n, x, &y));
  else TRY(ingot_onnx_add_cast(n, x, to, &y));
  return output(n, y);
}

static ingot_status import_cast(ingot_onnx_node *n) {
  if (!ingot_onnx_has_attr(n, "to")) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute to is missing");
  int64_t to = ingot_onnx_attr_int(n, "to", 0);
  ingot_dtype dt;
  if (!ingot_onnx_dtype_from_onnx(to, &dt))
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED,
                           "attribute to is %s (%lld): ingot has no such dtype (float32, float16, bfloat16, int8, "
                           "uint8, int32, int64, bool)",
                           ingot_onnx_dtype_onnx_name(to), (long long)to);
  return cast_to(n, dt);
}

static ingot_status import_cast_like(ingot_onnx_node *n) {
  const ingot_onnx_value *like = ingot_onnx_input(n, 1);
  if (!like) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 1 (target_type) is missing");
  return cast_to(n, like->dtype);
}

/* ---- the table -------------------------------------------------------------------------------- */

const ingot_onnx_importer ingot_onnx_math_importers[] = {
    {"Relu", 1, import_relu},
    {"LeakyRelu", 1, import_leaky_relu},
    {"PRelu", 1, import_prelu},
    {"Sigmoid", 1, import_sigmoid},
    {"Tanh", 1, import_tanh},
    {"Elu", 1, import_elu},
    {"Selu", 1, import_selu},
    {"Softplus", 1, import_softplus},
    {"Softsign", 1, import_softsign},
    {"Clip", 1, import_clip},
    {"HardSigmoid", 1, import_hard_sigmoid},
    {"HardSwish", 14, import_hard_swish},
    {"Gelu", 20, import_gelu},
    {"Mish", 18, import_mish},
    {"ThresholdedRelu", 10, import_thresholded_relu},
    {"Celu", 12, import_celu},
    {"Add", 1, import_add},
    {"Sub", 1, import_sub},
    {"Mul", 1, import_mul},
    {"Div", 1, import_div},
    {"Pow", 1, import_pow},
    {"Max", 1, import_max},
    {"Min", 1, import_min},
    {"Sum", 1, import_sum},
    {"Mean", 1, import_mean},
    {"Mod", 10, import_mod},
    {"Equal", 1, import_equal},
    {"Greater", 1, import_greater},
    {"GreaterOrEqual", 12, import_greater_equal},
    {"Less", 1, import_less},
    {"LessOrEqual", 12, import_less_equal},
    {"And", 1, import_and},
    {"Or", 1, import_or},
    {"Xor", 1, import_xor},
    {"Not", 1, import_not},
    {"Where", 9, import_where},
    {"Abs", 1, import_abs},
    {"Neg", 1, import_neg},
    {"Exp", 1, import_exp},
    {"Log", 1, import_log},
    {"Sqrt", 1, import_sqrt},
    {"Reciprocal", 1, import_reciprocal},
    {"Floor", 1, import_floor},
    {"Ceil", 1, import_ceil},
    {"Round", 11, import_round},
    {"Sin", 7, import_sin},
    {"Cos", 7, import_cos},
    {"Tan", 7, import_tan},
    {"Asin", 7, import_asin},
    {"Acos", 7, import_acos},
    {"Atan", 7, import_atan},
    {"Sinh", 9, import_sinh},
    {"Cosh", 9, import_cosh},
    {"Asinh", 9, import_asinh},
    {"Acosh", 9, import_acosh},
    {"Atanh", 9, import_atanh},
    {"Erf", 9, import_erf},
    {"Sign", 9, import_sign},
    {"IsNaN", 9, import_isnan},
    {"IsInf", 10, import_isinf},
    {"MatMul", 1, import_matmul},
    {"Gemm", 1, import_gemm},
    {"Softmax", 1, import_softmax},
    {"LogSoftmax", 1, import_log_softmax},
    {"Hardmax", 1, import_hardmax},
    {"ReduceSum", 1, import_reduce_sum},
    {"ReduceMean", 1, import_reduce_mean},
    {"ReduceMax", 1, import_reduce_max},
    {"ReduceMin", 1, import_reduce_min},
    {"ReduceProd", 1, import_reduce_prod},
    {"ReduceL1", 1, import_reduce_l1},
    {"ReduceL2", 1, import_reduce_l2},
    {"ReduceLogSum", 1, import_reduce_log_sum},
    {"ReduceLogSumExp", 1, import_reduce_log_sum_exp},
    {"ReduceSumSquare", 1, import_reduce_sum_square},
    {"ArgMax", 1, import_argmax},
    {"ArgMin", 1, import_argmin},
    {"CumSum", 11, import_cumsum},
    {"Einsum", 12, import_einsum},
    {"QuantizeLinear", 10, import_quantize_linear},
    {"DequantizeLinear", 10, import_dequantize_linear},
    {"Cast", 6, import_cast},
    {"CastLike", 15, import_cast_like},
};

const int32_t ingot_onnx_math_importer_count =
    (int32_t)(sizeof ingot_onnx_math_importers / sizeof ingot_onnx_math_importers[0]);
