/* Shape inference of the ops whose output dims depend on input values (TensorRT's
 * data-dependent shapes): NonZero, NonMaxSuppression, Compress, Unique. Without the values,
 * each output gets an upper bound (NonZero: [rank, volume]; NMS: [batch * classes *
 * min(max_per_class, boxes), 3]); the context plans its arena at the bounds and, once the
 * kernel has written the real extent, infers the nodes downstream again. When the values
 * are known (constants, shape arithmetic), the dims are exact, so the builder can fold. */
#include <string.h>

#include "core/dims.h"
#include "core/error.h"
#include "ops/graph.h"

bool ingot_op_is_data_dependent(ingot_op op) {
  return op == INGOT_OP_NON_ZERO || op == INGOT_OP_NON_MAX_SUPPRESSION || op == INGOT_OP_COMPRESS ||
         op == INGOT_OP_UNIQUE;
}

int32_t ingot_op_data_dependent_dim(const ingot_node *node, int32_t output, int32_t rank) {
  int32_t axis = -1;
  switch (node->op) {
    case INGOT_OP_NON_ZERO: return output == 0 && rank == 2 ? 1 : -1;
    case INGOT_OP_NON_MAX_SUPPRESSION: return output == 0 && rank == 2 ? 0 : -1;
    case INGOT_OP_COMPRESS:
      if (output != 0) return -1;
      if (!node->params.compress.has_axis) return rank == 1 ? 0 : -1;
      axis = node->params.compress.axis;
      break;
    case INGOT_OP_UNIQUE:
      if (output == 1 || output == 3) return rank == 1 ? 0 : -1;
      if (output != 0) return -1;
      if (!node->params.unique.has_axis) return rank == 1 ? 0 : -1;
      axis = node->params.unique.axis;
      break;
    default: return -1;
  }
  int32_t a;
  return ingot_axis_normalize(axis, rank, &a) ? a : -1;
}

static ingot_status normalize_axis(const ingot_node *node, int32_t axis, int32_t rank, const char *what,
                                   int32_t *out) {
  if (!ingot_axis_normalize(axis, rank, out))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s %d is out of range for rank %d (expected [%d, %d))", what,
                           axis, rank, -rank, rank);
  return INGOT_SUCCESS;
}

static ingot_dims dims1(int64_t n) {
  ingot_dims d;
  memset(&d, 0, sizeof d);
  d.nb_dims = 1;
  d.d[0] = n;
  return d;
}

/* ---- NonZero ----------------------------------------------------------------------------------------- */

ingot_status ingot_infer_non_zero(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  const ingot_value_info *x = &inputs[0];
  int64_t volume = ingot_dims_volume(&x->dims);
  int64_t count = volume;
  if (x->data) {
    count = 0;
    for (int64_t i = 0; i < volume; i++) count += ingot_load_as_double(x->data, x->dtype, i) != 0.0;
  }
  memset(&outputs[0].dims, 0, sizeof outputs[0].dims);
  outputs[0].dims.nb_dims = 2;
  outputs[0].dims.d[0] = x->dims.nb_dims;
  outputs[0].dims.d[1] = count;
  outputs[0].dtype = INGOT_INT64;
  (void)node;
  return INGOT_SUCCESS;
}

/* ---- NonMaxSuppression ------------------------------------------------------------------------------- */

static ingot_status expect_scalar(const ingot_node *node, const ingot_value_info *inputs, int32_t k, const char *what,
                                  bool integer) {
  char a[INGOT_DIMS_STR_SIZE];
  if (k >= node->nb_inputs || inputs[k].dims.nb_dims < 0) return INGOT_SUCCESS;
  if (ingot_dims_volume(&inputs[k].dims) != 1)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s must hold one value, found dims %s", what,
                           ingot_dims_format(&inputs[k].dims, a, sizeof a));
  bool ok = integer ? (inputs[k].dtype == INGOT_INT64 || inputs[k].dtype == INGOT_INT32)
                    : inputs[k].dtype == INGOT_FLOAT32;
  if (!ok)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s must be %s, found %s", what,
                           integer ? "int64 or int32" : "float32", ingot_dtype_name(inputs[k].dtype));
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_non_max_suppression(const ingot_node *node, const ingot_value_info *inputs,
                                             ingot_value_info *outputs) {
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE];
  const ingot_dims *boxes = &inputs[0].dims, *scores = &inputs[1].dims;
  if (boxes->nb_dims != 3 || boxes->d[2] != 4)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "boxes must be [batch, boxes, 4], found %s",
                           ingot_dims_format(boxes, a, sizeof a));
  if (scores->nb_dims != 3 || scores->d[0] != boxes->d[0] || scores->d[2] != boxes->d[1])
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "scores must be [batch, classes, boxes] = [%lld, C, %lld] for boxes %s, found %s",
                           (long long)boxes->d[0], (long long)boxes->d[1], ingot_dims_format(boxes, a, sizeof a),
                           ingot_dims_format(scores, b, sizeof b));
  if (inputs[0].dtype != INGOT_FLOAT32 || inputs[1].dtype != INGOT_FLOAT32)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "boxes and scores must be float32, found %s and %s",
                           ingot_dtype_name(inputs[0].dtype), ingot_dtype_name(inputs[1].dtype));
  INGOT_TRY(expect_scalar(node, inputs, 2, "max_output_boxes_per_class", true));
  INGOT_TRY(expect_scalar(node, inputs, 3, "iou_threshold", false));
  INGOT_TRY(expect_scalar(node, inputs, 4, "score_threshold", false));
  int64_t per_class = boxes->d[1];
  if (node->nb_inputs > 2 && inputs[2].dims.nb_dims >= 0 && inputs[2].data) {
    double k = ingot_load_as_double(inputs[2].data, inputs[2].dtype, 0);
    if (k < (double)per_class) per_class = k > 0 ? (int64_t)k : 0;
  } else if (node->nb_inputs <= 2 || inputs[2].dims.nb_dims < 0) {
    per_class = 0; /* ONNX: an absent max_output_boxes_per_class selects nothing */
  }
  memset(&outputs[0].dims, 0, sizeof outputs[0].dims);
  outputs[0].dims.nb_dims = 2;
  outputs[0].dims.d[0] = boxes->d[0] * scores->d[1] * per_class;
  outputs[0].dims.d[1] = 3;
  outputs[0].dtype = INGOT_INT64;
  return INGOT_SUCCESS;
}

/* ---- Compress ---------------------------------------------------------------------------------------- */

ingot_status ingot_infer_compress(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  char a[INGOT_DIMS_STR_SIZE];
  const ingot_value_info *x = &inputs[0], *cond = &inputs[1];
  if (cond->dims.nb_dims != 1)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "condition must be 1-D, found dims %s",
                           ingot_dims_format(&cond->dims, a, sizeof a));
  if (cond->dtype != INGOT_BOOL && !ingot_dtype_is_integer(cond->dtype))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "condition must be bool, found %s",
                           ingot_dtype_name(cond->dtype));
  int64_t extent = ingot_dims_volume(&x->dims);
  int32_t axis = 0;
  if (node->params.compress.has_axis) {
    INGOT_TRY(normalize_axis(node, node->params.compress.axis, x->dims.nb_dims, "axis", &axis));
    extent = x->dims.d[axis];
  }
  int64_t n = cond->dims.d[0] < extent ? cond->dims.d[0] : extent; /* a short condition truncates */
  int64_t count = n;
  if (cond->data) {
    count = 0;
    for (int64_t i = 0; i < n; i++) count += ingot_load_as_double(cond->data, cond->dtype, i) != 0.0;
  }
  outputs[0].dtype = x->dtype;
  if (node->params.compress.has_axis) {
    outputs[0].dims = x->dims;
    outputs[0].dims.d[axis] = count;
  } else {
    outputs[0].dims = dims1(count);
  }
  return INGOT_SUCCESS;
}

/* ---- Unique ------------------------------------------------------------------------------------------ */

/* Distinct slices among `n` slices of `inner` values each (values known): at most
 * INGOT_VALUE_MAX_ELEMENTS values, so the quadratic count is cheap. */
static int64_t count_distinct(const ingot_value_info *x, int64_t outer, int64_t n, int64_t inner) {
  int64_t distinct = 0;
  for (int64_t i = 0; i < n; i++) {
    bool seen = false;
    for (int64_t j = 0; j < i && !seen; j++) {
      bool same = true;
      for (int64_t o = 0; o < outer && same; o++)
        for (int64_t k = 0; k < inner && same; k++)
          same = ingot_load_as_double(x->data, x->dtype, (o * n + i) * inner + k) ==
                 ingot_load_as_double(x->data, x->dtype, (o * n + j) * inner + k);
      seen = same;
    }
    distinct += !seen;
  }
  return distinct;
}

ingot_status ingot_infer_unique(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  const ingot_value_info *x = &inputs[0];
  int64_t outer = 1, n = ingot_dims_volume(&x->dims), inner = 1;
  int32_t axis = 0;
  if (node->params.unique.has_axis) {
    INGOT_TRY(normalize_axis(node, node->params.unique.axis, x->dims.nb_dims, "axis", &axis));
    n = x->dims.d[axis];
    for (int32_t k = 0; k < axis; k++) outer *= x->dims.d[k];
    for (int32_t k = axis + 1; k < x->dims.nb_dims; k++) inner *= x->dims.d[k];
  }
  int64_t count = n;
  if (x->data && n > 0) count = count_distinct(x, outer, n, inner);
  outputs[0].dtype = x->dtype;
  if (node->params.unique.has_axis) {
    outputs[0].dims = x->dims;
    outputs[0].dims.d[axis] = count;
  } else {
    outputs[0].dims = dims1(count);
  }
  outputs[1].dtype = outputs[2].dtype = outputs[3].dtype = INGOT_INT64;
  outputs[1].dims = dims1(count);
  outputs[2].dims = dims1(n);
  outputs[3].dims = dims1(count);
  return INGOT_SUCCESS;
}
