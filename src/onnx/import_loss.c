/* ONNX importers of the loss operators, composed as their ONNX function bodies are:
 * NegativeLogLikelihoodLoss (the class's input picked by gather-elements along dim 1,
 * weighted, ignore_index masked, reduced) and SoftmaxCrossEntropyLoss (the same on a
 * log-softmax over dim 1, which it can also output). */
#include <string.h>

#include "core/dims.h"
#include "onnx/import_masks.h"

#define TRY INGOT_ONNX_TRY

typedef enum { LOSS_NONE, LOSS_SUM, LOSS_MEAN } loss_reduction;

static ingot_status reduce_all(ingot_onnx_node *n, ingot_tensor *t, int32_t rank, ingot_tensor **out) {
  uint32_t mask = rank >= 32 ? 0xffffffffu : (1u << rank) - 1;
  return ingot_onnx_add_reduce(n, t, INGOT_REDUCE_SUM, mask, false, out);
}

/* The loss of input `logp` ([N, C, d1, ...], log-probabilities) for target input 1
 * ([N, d1, ...]), weight input 2 (optional, [C]), and the attributes. */
static ingot_status nll(ingot_onnx_node *n, ingot_tensor *logp, ingot_dtype dt, ingot_tensor **out) {
  const char *red = ingot_onnx_attr_string(n, "reduction", "mean");
  loss_reduction r;
  if (strcmp(red, "none") == 0) r = LOSS_NONE;
  else if (strcmp(red, "sum") == 0) r = LOSS_SUM;
  else if (strcmp(red, "mean") == 0) r = LOSS_MEAN;
  else return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute reduction is '%s', expected none, sum or mean", red);
  int32_t rank, trank;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  TRY(ingot_onnx_input_rank(n, 1, &trank));
  if (rank < 2 || trank != rank - 1)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 has rank %d and input 1 (target) rank %d: expected "
                           "[N, C, d1, ...] and [N, d1, ...]", (int)rank, (int)trank);
  const ingot_onnx_value *tv = ingot_onnx_input(n, 1);
  if (tv->dtype != INGOT_INT32 && tv->dtype != INGOT_INT64)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 1 (target) is %s, expected int32 or int64",
                           ingot_dtype_name(tv->dtype));
  ingot_tensor *target, *valid = NULL, *safe, *zero_i;
  TRY(ingot_onnx_input_tensor(n, 1, &target));
  if (tv->dtype != INGOT_INT64) TRY(ingot_onnx_add_cast(n, target, INGOT_INT64, &target));
  safe = target;
  bool has_ignore = ingot_onnx_has_attr(n, "ignore_index");
  if (has_ignore) { /* ignored cells read class 0 and get weight 0 */
    ingot_tensor *ign, *is_ign;
    TRY(ingot_onnx_add_scalar(n, INGOT_INT64, (double)ingot_onnx_attr_int(n, "ignore_index", 0), 0, &ign));
    TRY(ingot_onnx_add_elementwise(n, target, ign, INGOT_ELEMENTWISE_EQUAL, &is_ign));
    TRY(ingot_onnx_add_unary(n, is_ign, INGOT_UNARY_NOT, &valid));
    TRY(ingot_onnx_add_scalar(n, INGOT_INT64, 0, 0, &zero_i));
    TRY(ingot_onnx_select(n, valid, target, zero_i, &safe));
  }
  /* [N, d1, ...] -> [N, 1, d1, ...] for gather-elements along dim 1, and back. */
  ingot_dims tdims = ingot_onnx_tensor_dims(safe);
  ingot_onnx_sv tshape, head, tail, parts[3], idx_shape;
  static const int64_t zero_idx = 0;
  TRY(ingot_onnx_sv_shape_of(n, safe, &tdims, &tshape));
  TRY(ingot_onnx_sv_gather(n, &tshape, &zero_idx, 1, &head));
  parts[0] = head, parts[1] = ingot_onnx_sv_scalar(1);
  int32_t np = 2;
  if (trank > 1) {
    TRY(ingot_onnx_sv_slice(n, &tshape, 1, trank - 1, &tail));
    parts[np++] = tail;
  }
  TRY(ingot_onnx_sv_concat(n, parts, np, &idx_shape));
  ingot_tensor *idx, *picked, *loss;
  TRY(ingot_onnx_sv_reshape(n, safe, &idx_shape, true, &idx));
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_gather_elements(ingot_onnx_node_network(n), logp, idx, 1, &layer),
                       "adding a gather-elements"));
  ingot_onnx_name_layer(n, layer);
  TRY(ingot_onnx_sv_reshape(n, ingot_layer_get_output(layer, 0), &tshape, true, &picked));
  TRY(ingot_onnx_add_unary(n, picked, INGOT_UNARY_NEG, &loss));
  /* Per-cell weights: weight[target], 0 where ignored; or the valid mask alone. */
  ingot_tensor *w = NULL, *zero_f;
  TRY(ingot_onnx_add_scalar(n, dt, 0.0, 0, &zero_f));
  if (ingot_onnx_input(n, 2)) {
    ingot_tensor *weight;
    TRY(ingot_onnx_input_tensor(n, 2, &weight));
    if (ingot_onnx_input(n, 2)->dtype != dt) TRY(ingot_onnx_add_cast(n, weight, dt, &weight));
    layer = NULL;
    TRY(ingot_onnx_check(n, ingot_network_add_gather(ingot_onnx_node_network(n), weight, safe, 0, &layer),
                         "adding a gather"));
    ingot_onnx_name_layer(n, layer);
    w = ingot_layer_get_output(layer, 0);
    if (valid) TRY(ingot_onnx_select(n, valid, w, zero_f, &w));
  } else if (valid) {
    TRY(ingot_onnx_add_cast(n, valid, dt, &w));
  }
  if (w) TRY(ingot_onnx_add_elementwise(n, loss, w, INGOT_ELEMENTWISE_PROD, &loss));
  if (valid) TRY(ingot_onnx_select(n, valid, loss, zero_f, &loss)); /* 0, not -0 * inf, where ignored */
  if (r == LOSS_NONE) {
    *out = loss;
    return INGOT_SUCCESS;
  }
  if (r == LOSS_SUM || !w) {
    TRY(ingot_onnx_add_reduce(n, loss, r == LOSS_SUM ? INGOT_REDUCE_SUM : INGOT_REDUCE_MEAN,
                              trank >= 32 ? 0xffffffffu : (1u << trank) - 1, false, out));
    return INGOT_SUCCESS;
  }
  ingot_tensor *num, *den;
  TRY(reduce_all(n, loss, trank, &num));
  TRY(reduce_all(n, w, trank, &den));
  return ingot_onnx_add_elementwise(n, num, den, INGOT_ELEMENTWISE_DIV, out);
}

static ingot_status float_input0(ingot_onnx_node *n, ingot_tensor **x, ingot_dtype *dt) {
  const ingot_onnx_value *v = ingot_onnx_input(n, 0);
  if (!v) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 is absent");
  if (!ingot_dtype_is_float(v->dtype))
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 is %s, expected a float type", ingot_dtype_name(v->dtype));
  *dt = v->dtype;
  return ingot_onnx_input_tensor(n, 0, x);
}

static ingot_status import_nll_loss(ingot_onnx_node *n) {
  ingot_tensor *x, *loss;
  ingot_dtype dt = INGOT_FLOAT32;
  TRY(float_input0(n, &x, &dt));
  TRY(nll(n, x, dt, &loss));
  return ingot_onnx_set_output(n, 0, loss);
}

static ingot_status import_softmax_cross_entropy_loss(ingot_onnx_node *n) {
  ingot_tensor *x, *logp, *loss;
  ingot_dtype dt = INGOT_FLOAT32;
  TRY(float_input0(n, &x, &dt));
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_log_softmax(ingot_onnx_node_network(n), x, 1, &layer),
                       "adding a log-softmax"));
  ingot_onnx_name_layer(n, layer);
  logp = ingot_layer_get_output(layer, 0);
  TRY(nll(n, logp, dt, &loss));
  if (ingot_onnx_node_num_outputs(n) > 1) TRY(ingot_onnx_set_output(n, 1, logp));
  return ingot_onnx_set_output(n, 0, loss);
}

const ingot_onnx_importer ingot_onnx_loss_importers[] = {
    {"NegativeLogLikelihoodLoss", 12, import_nll_loss},
    {"SoftmaxCrossEntropyLoss", 12, import_softmax_cross_entropy_loss},
};
const int32_t ingot_onnx_loss_importer_count =
    (int32_t)(sizeof ingot_onnx_loss_importers / sizeof ingot_onnx_loss_importers[0]);
