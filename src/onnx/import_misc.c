/* ONNX importers of small operators composed from elementwise, select and index-grid layers:
 * Swish, Shrink, Trilu, EyeLike, OneHot, ReverseSequence; and the bitwise operators (BitwiseAnd/Or/Xor/Not,
 * BitShift), one integer elementwise or unary layer each. */
#include <string.h>

#include "core/dims.h"
#include "onnx/import_masks.h"

#define TRY INGOT_ONNX_TRY

static ingot_dtype input_dtype(ingot_onnx_node *n, int32_t i) {
  const ingot_onnx_value *v = ingot_onnx_input(n, i);
  return v ? v->dtype : INGOT_FLOAT32;
}

/* Swish (opset 24): x * sigmoid(alpha * x). */
static ingot_status import_swish(ingot_onnx_node *n) {
  float alpha = ingot_onnx_attr_float(n, "alpha", 1.0f);
  ingot_tensor *x, *ax, *s, *y;
  TRY(ingot_onnx_input_tensor(n, 0, &x));
  if (alpha == 1.0f) {
    TRY(ingot_onnx_add_activation(n, x, INGOT_ACTIVATION_SILU, 0, 0, &y));
    return ingot_onnx_set_output(n, 0, y);
  }
  TRY(ingot_onnx_add_scalar(n, input_dtype(n, 0), alpha, 0, &ax));
  TRY(ingot_onnx_add_elementwise(n, x, ax, INGOT_ELEMENTWISE_PROD, &ax));
  TRY(ingot_onnx_add_activation(n, ax, INGOT_ACTIVATION_SIGMOID, 0, 0, &s));
  TRY(ingot_onnx_add_elementwise(n, x, s, INGOT_ELEMENTWISE_PROD, &y));
  return ingot_onnx_set_output(n, 0, y);
}

/* Shrink: x < -lambd ? x + bias : x > lambd ? x - bias : 0. */
static ingot_status import_shrink(ingot_onnx_node *n) {
  ingot_dtype dt = input_dtype(n, 0);
  if (dt == INGOT_BOOL)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 is bool, expected a numeric type");
  double lambd = ingot_onnx_attr_float(n, "lambd", 0.5f), bias = ingot_onnx_attr_float(n, "bias", 0.0f);
  ingot_tensor *x, *lo, *hi, *b, *zero, *below, *above, *plus, *minus, *y;
  TRY(ingot_onnx_input_tensor(n, 0, &x));
  TRY(ingot_onnx_add_scalar(n, dt, -lambd, 0, &lo));
  TRY(ingot_onnx_add_scalar(n, dt, lambd, 0, &hi));
  TRY(ingot_onnx_add_scalar(n, dt, bias, 0, &b));
  TRY(ingot_onnx_add_scalar(n, dt, 0.0, 0, &zero));
  TRY(ingot_onnx_add_elementwise(n, x, lo, INGOT_ELEMENTWISE_LESS, &below));
  TRY(ingot_onnx_add_elementwise(n, x, hi, INGOT_ELEMENTWISE_GREATER, &above));
  TRY(ingot_onnx_add_elementwise(n, x, b, INGOT_ELEMENTWISE_SUM, &plus));
  TRY(ingot_onnx_add_elementwise(n, x, b, INGOT_ELEMENTWISE_SUB, &minus));
  TRY(ingot_onnx_select(n, above, minus, zero, &y));
  TRY(ingot_onnx_select(n, below, plus, y, &y));
  return ingot_onnx_set_output(n, 0, y);
}

/* Trilu: keeps the cells on and above (upper) or on and below the k-th diagonal of the last
 * two dims, zeroes the others; k (input 1) may be computed by the network. */
static ingot_status import_trilu(ingot_onnx_node *n) {
  int64_t upper = ingot_onnx_attr_int(n, "upper", 1);
  if (upper != 0 && upper != 1)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute upper is %lld, expected 0 or 1", (long long)upper);
  ingot_tensor *x, *diag, *k, *keep, *zero, *y;
  TRY(ingot_onnx_input_tensor(n, 0, &x));
  TRY(ingot_onnx_diagonal_offsets(n, x, &diag));
  if (ingot_onnx_input(n, 1)) {
    ingot_dims scalar = {0, {0}};
    TRY(ingot_onnx_input_tensor(n, 1, &k));
    if (ingot_onnx_value_count(ingot_onnx_input(n, 1)) > 1)
      return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 1 (k) holds %lld values, expected 1",
                             (long long)ingot_onnx_value_count(ingot_onnx_input(n, 1)));
    if (input_dtype(n, 1) != INGOT_INT64) TRY(ingot_onnx_add_cast(n, k, INGOT_INT64, &k));
    TRY(ingot_onnx_reshape(n, k, &scalar, false, &k));
  } else {
    TRY(ingot_onnx_add_scalar(n, INGOT_INT64, 0, 0, &k));
  }
  TRY(ingot_onnx_add_elementwise(n, diag, k, upper ? INGOT_ELEMENTWISE_GREATER_EQUAL : INGOT_ELEMENTWISE_LESS_EQUAL,
                                 &keep));
  TRY(ingot_onnx_add_scalar(n, input_dtype(n, 0), 0.0, 0, &zero));
  TRY(ingot_onnx_select(n, keep, x, zero, &y));
  return ingot_onnx_set_output(n, 0, y);
}

/* EyeLike: ones on the k-th diagonal of a 2-D tensor shaped like the input, zeros elsewhere,
 * of attribute dtype (default the input's). */
static ingot_status import_eye_like(ingot_onnx_node *n) {
  ingot_dtype dt = input_dtype(n, 0);
  if (ingot_onnx_has_attr(n, "dtype")) {
    int64_t onnx_dt = ingot_onnx_attr_int(n, "dtype", 1);
    if (!ingot_onnx_dtype_from_onnx(onnx_dt, &dt))
      return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "attribute dtype is %lld (%s): not a dtype ingot has",
                             (long long)onnx_dt, ingot_onnx_dtype_onnx_name(onnx_dt));
  }
  int32_t rank;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  if (rank != 2) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 has rank %d, expected 2", (int)rank);
  ingot_tensor *x, *diag, *k, *on, *y;
  TRY(ingot_onnx_input_tensor(n, 0, &x));
  TRY(ingot_onnx_diagonal_offsets(n, x, &diag));
  TRY(ingot_onnx_add_scalar(n, INGOT_INT64, (double)ingot_onnx_attr_int(n, "k", 0), 0, &k));
  TRY(ingot_onnx_add_elementwise(n, diag, k, INGOT_ELEMENTWISE_EQUAL, &on));
  TRY(ingot_onnx_add_cast(n, on, dt, &y));
  return ingot_onnx_set_output(n, 0, y);
}

/* OneHot: output[..., i, ...] = i == indices[...] (negative indices count from depth) ?
 * on : off, with the new dim of size depth at `axis`; depth (input 1) must be a constant
 * since it sizes the output. */
static ingot_status import_one_hot(ingot_onnx_node *n) {
  const ingot_onnx_value *dv = ingot_onnx_input(n, 1), *vv = ingot_onnx_input(n, 2);
  if (!dv || !dv->is_constant || ingot_onnx_value_count(dv) != 1)
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "input 1 (depth) must be a constant holding one value: it sets the "
                           "output's size");
  if (!vv || ingot_onnx_value_count(vv) != 2)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 2 (values) must hold 2 values [off, on], found %lld",
                           vv ? (long long)ingot_onnx_value_count(vv) : 0LL);
  double depth_d = ingot_onnx_value_at(dv, 0);
  int64_t depth = (int64_t)depth_d;
  if (!(depth_d >= 1.0) || depth_d > 1e9)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 1 (depth) is %g, expected >= 1", depth_d);
  int32_t rank, axis;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  TRY(ingot_onnx_normalize_axis(n, ingot_onnx_attr_int(n, "axis", -1), rank + 1, "attribute axis", &axis));
  ingot_tensor *idx, *d, *neg, *zero, *wrapped, *grid, *hit, *values, *on, *off, *y;
  TRY(ingot_onnx_input_tensor(n, 0, &idx));
  if (input_dtype(n, 0) != INGOT_INT64) TRY(ingot_onnx_add_cast(n, idx, INGOT_INT64, &idx));
  TRY(ingot_onnx_add_scalar(n, INGOT_INT64, (double)depth, 0, &d));
  TRY(ingot_onnx_add_scalar(n, INGOT_INT64, 0, 0, &zero));
  TRY(ingot_onnx_add_elementwise(n, idx, zero, INGOT_ELEMENTWISE_LESS, &neg));
  TRY(ingot_onnx_add_elementwise(n, idx, d, INGOT_ELEMENTWISE_SUM, &wrapped));
  TRY(ingot_onnx_select(n, neg, wrapped, idx, &idx));
  /* indices with a size-1 dim at axis, against 0..depth-1 along that dim */
  ingot_dims id = ingot_onnx_tensor_dims(idx);
  ingot_onnx_sv shape, parts[3], grown, depth_sv = ingot_onnx_sv_scalar(depth);
  int32_t np = 0;
  TRY(ingot_onnx_sv_shape_of(n, idx, &id, &shape));
  if (axis > 0) TRY(ingot_onnx_sv_slice(n, &shape, 0, axis, &parts[np++]));
  parts[np++] = ingot_onnx_sv_scalar(1);
  if (axis < rank) TRY(ingot_onnx_sv_slice(n, &shape, axis, rank - axis, &parts[np++]));
  TRY(ingot_onnx_sv_concat(n, parts, np, &grown));
  TRY(ingot_onnx_sv_reshape(n, idx, &grown, true, &idx));
  TRY(ingot_onnx_iota(n, &depth_sv, axis, rank + 1, &grid));
  TRY(ingot_onnx_add_elementwise(n, idx, grid, INGOT_ELEMENTWISE_EQUAL, &hit));
  TRY(ingot_onnx_input_tensor(n, 2, &values));
  ingot_dims one = {1, {1}};
  const ingot_dims start0 = {1, {0}}, start1 = {1, {1}}, stride = {1, {1}};
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_slice(ingot_onnx_node_network(n), values, &start0, &one, &stride, &layer),
                       "adding a slice"));
  ingot_onnx_name_layer(n, layer);
  off = ingot_layer_get_output(layer, 0);
  TRY(ingot_onnx_check(n, ingot_network_add_slice(ingot_onnx_node_network(n), values, &start1, &one, &stride, &layer),
                       "adding a slice"));
  ingot_onnx_name_layer(n, layer);
  on = ingot_layer_get_output(layer, 0);
  TRY(ingot_onnx_select(n, hit, on, off, &y));
  return ingot_onnx_set_output(n, 0, y);
}

/* ReverseSequence: along the time axis, the first sequence_lens[b] steps of batch b
 * reversed, the rest as they are: a gather-elements whose index is built from an iota. */
static ingot_status import_reverse_sequence(ingot_onnx_node *n) {
  int64_t time_axis = ingot_onnx_attr_int(n, "time_axis", 0), batch_axis = ingot_onnx_attr_int(n, "batch_axis", 1);
  if (!((time_axis == 0 && batch_axis == 1) || (time_axis == 1 && batch_axis == 0)))
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attributes time_axis %lld and batch_axis %lld: expected 0 and "
                           "1, or 1 and 0", (long long)time_axis, (long long)batch_axis);
  int32_t rank;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  if (rank < 2) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 has rank %d, expected >= 2", (int)rank);
  ingot_tensor *x, *lens, *t, *one, *last, *rev, *inside, *idx, *shape;
  TRY(ingot_onnx_input_tensor(n, 0, &x));
  TRY(ingot_onnx_input_tensor(n, 1, &lens));
  if (input_dtype(n, 1) != INGOT_INT64) TRY(ingot_onnx_add_cast(n, lens, INGOT_INT64, &lens));
  ingot_dims xd = ingot_onnx_tensor_dims(x), ld = {2, {1, 1}};
  ld.d[batch_axis] = -1;
  TRY(ingot_onnx_reshape(n, lens, &ld, false, &lens));
  ingot_onnx_sv shape_sv, steps;
  TRY(ingot_onnx_sv_shape_of(n, x, &xd, &shape_sv));
  TRY(ingot_onnx_sv_gather(n, &shape_sv, &time_axis, 1, &steps));
  TRY(ingot_onnx_iota(n, &steps, (int32_t)time_axis, 2, &t));
  TRY(ingot_onnx_add_scalar(n, INGOT_INT64, 1, 0, &one));
  TRY(ingot_onnx_add_elementwise(n, lens, one, INGOT_ELEMENTWISE_SUB, &last));
  TRY(ingot_onnx_add_elementwise(n, last, t, INGOT_ELEMENTWISE_SUB, &rev));
  TRY(ingot_onnx_add_elementwise(n, t, lens, INGOT_ELEMENTWISE_LESS, &inside));
  TRY(ingot_onnx_select(n, inside, rev, t, &idx)); /* [T, B] or [B, T] */
  ingot_dims full = {rank, {0}};
  for (int32_t d = 0; d < rank; d++) full.d[d] = d < 2 ? 0 : 1;
  TRY(ingot_onnx_reshape(n, idx, &full, true, &idx));
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_shape(ingot_onnx_node_network(n), x, &layer), "adding a shape"));
  ingot_onnx_name_layer(n, layer);
  shape = ingot_layer_get_output(layer, 0);
  TRY(ingot_onnx_check(n, ingot_network_add_expand(ingot_onnx_node_network(n), idx, shape, &layer), "adding an expand"));
  ingot_onnx_name_layer(n, layer);
  idx = ingot_layer_get_output(layer, 0);
  TRY(ingot_onnx_check(n, ingot_network_add_gather_elements(ingot_onnx_node_network(n), x, idx, (int32_t)time_axis,
                                                            &layer),
                       "adding a gather-elements"));
  ingot_onnx_name_layer(n, layer);
  return ingot_onnx_set_output(n, 0, ingot_layer_get_output(layer, 0));
}

/* ---- bitwise ---------------------------------------------------------------------------------- */

static ingot_status integer_input(ingot_onnx_node *n, int32_t i, ingot_tensor **t) {
  ingot_dtype dt = input_dtype(n, i);
  if (!ingot_dtype_is_integer(dt))
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input %d is %s, expected an integer type", (int)i,
                           ingot_dtype_name(dt));
  return ingot_onnx_input_tensor(n, i, t);
}

static ingot_status bitwise(ingot_onnx_node *n, ingot_elementwise_op op) {
  ingot_tensor *a, *b, *y;
  TRY(integer_input(n, 0, &a));
  TRY(integer_input(n, 1, &b));
  TRY(ingot_onnx_add_elementwise(n, a, b, op, &y));
  return ingot_onnx_set_output(n, 0, y);
}

static ingot_status import_bitwise_and(ingot_onnx_node *n) { return bitwise(n, INGOT_ELEMENTWISE_BITWISE_AND); }
static ingot_status import_bitwise_or(ingot_onnx_node *n) { return bitwise(n, INGOT_ELEMENTWISE_BITWISE_OR); }
static ingot_status import_bitwise_xor(ingot_onnx_node *n) { return bitwise(n, INGOT_ELEMENTWISE_BITWISE_XOR); }

static ingot_status import_bitwise_not(ingot_onnx_node *n) {
  ingot_tensor *x, *y;
  TRY(integer_input(n, 0, &x));
  TRY(ingot_onnx_add_unary(n, x, INGOT_UNARY_BITWISE_NOT, &y));
  return ingot_onnx_set_output(n, 0, y);
}

static ingot_status import_bit_shift(ingot_onnx_node *n) {
  const char *direction = ingot_onnx_attr_string(n, "direction", "");
  if (strcmp(direction, "LEFT") == 0) return bitwise(n, INGOT_ELEMENTWISE_SHIFT_LEFT);
  if (strcmp(direction, "RIGHT") == 0) return bitwise(n, INGOT_ELEMENTWISE_SHIFT_RIGHT);
  return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute direction is '%s', expected LEFT or RIGHT", direction);
}

const ingot_onnx_importer ingot_onnx_misc_importers[] = {
    {"BitwiseAnd", 18, import_bitwise_and},
    {"BitwiseOr", 18, import_bitwise_or},
    {"BitwiseXor", 18, import_bitwise_xor},
    {"BitwiseNot", 18, import_bitwise_not},
    {"BitShift", 11, import_bit_shift},
    {"OneHot", 9, import_one_hot},
    {"ReverseSequence", 10, import_reverse_sequence},
    {"Swish", 24, import_swish},
    {"Shrink", 9, import_shrink},
    {"Trilu", 14, import_trilu},
    {"EyeLike", 9, import_eye_like},
};
const int32_t ingot_onnx_misc_importer_count =
    (int32_t)(sizeof ingot_onnx_misc_importers / sizeof ingot_onnx_misc_importers[0]);
