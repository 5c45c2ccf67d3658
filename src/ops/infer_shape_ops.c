/* Shape inference of the layers that ONNX import adds: shape, fill, range, gather
 * elements / nd, scatter, cumulative, expand, tile, quantize, dequantize, einsum.
 * Fill, range, expand and tile take their output dims from the values of inputs, which
 * must be known when input shapes are set (constants, or computed from shapes by the
 * value store, see graph.h). Arithmetic layers accept float16/bfloat16 here: where no
 * kernel computes in half precision, the builder runs them in float32 between casts. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/dims.h"
#include "core/error.h"
#include "ops/dims_inputs.h"
#include "ops/einsum_plan.h"
#include "ops/graph.h"
#include "ops/infer_common.h"

/* ---- shared checks ------------------------------------------------------------------ */

/* Input k is present with concrete dims ("data", "indices", ... name it). */
static ingot_status check_in(const ingot_node *node, const ingot_value_info *inputs, int32_t k, const char *what) {
  char buf[INGOT_DIMS_STR_SIZE];
  if (!ingot_input_present(node, inputs, k))
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "%s (input %d) is absent", what, k);
  if (!ingot_dtype_valid(inputs[k].dtype))
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "%s (input %d) has an unknown dtype (%d)", what, k,
                           (int)inputs[k].dtype);
  if (!ingot_dims_is_concrete(&inputs[k].dims))
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "%s (input %d) has dims %s; shape inference needs concrete dims",
                           what, k, ingot_dims_format(&inputs[k].dims, buf, sizeof buf));
  return INGOT_SUCCESS;
}

static ingot_status expect_index_dtype(const ingot_node *node, const char *what, ingot_dtype dtype) {
  if (dtype == INGOT_INT32 || dtype == INGOT_INT64) return INGOT_SUCCESS;
  return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s are %s, expected int32 or int64", what,
                         ingot_dtype_name(dtype));
}

/* The dtypes the arithmetic layers compute in (half ones through casts to float32). */
static ingot_status expect_arithmetic(const ingot_node *node, const char *what, ingot_dtype dtype) {
  if (dtype == INGOT_FLOAT32 || dtype == INGOT_FLOAT16 || dtype == INGOT_BFLOAT16 || dtype == INGOT_INT32 ||
      dtype == INGOT_INT64)
    return INGOT_SUCCESS;
  return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s is %s, expected float32, float16, bfloat16, int32 or int64",
                         what, ingot_dtype_name(dtype));
}

static void set_out(ingot_value_info *out, ingot_dtype dtype, const ingot_dims *dims) {
  out->dtype = dtype;
  out->dims = *dims;
  for (int32_t i = dims->nb_dims; i < INGOT_MAX_DIMS; i++) out->dims.d[i] = 0;
  out->data = NULL;
}

static int64_t index_value(const void *data, ingot_dtype dtype, int64_t i) {
  return dtype == INGOT_INT32 ? ((const int32_t *)data)[i] : ((const int64_t *)data)[i];
}

/* ---- shape, fill, range --------------------------------------------------------------- */

ingot_status ingot_infer_shape(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  INGOT_TRY(ingot_infer_expect_arity(node, 1, 1, 1));
  INGOT_TRY(check_in(node, inputs, 0, "input"));
  outputs[0].dtype = INGOT_INT64;
  memset(&outputs[0].dims, 0, sizeof outputs[0].dims);
  outputs[0].dims.nb_dims = 1;
  outputs[0].dims.d[0] = inputs[0].dims.nb_dims;
  outputs[0].data = NULL;
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_fill(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  INGOT_TRY(ingot_infer_expect_arity(node, 1, 1, 1));
  INGOT_TRY(check_in(node, inputs, 0, "shape"));
  if (!ingot_dtype_valid((ingot_dtype)node->params.fill.dtype))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "fill dtype %d is unknown", node->params.fill.dtype);
  int64_t v[INGOT_MAX_DIMS];
  int32_t n;
  INGOT_TRY(ingot_read_int_input(node, inputs, 0, "fill shape", false, v, INGOT_MAX_DIMS, &n));
  ingot_dims out;
  memset(&out, 0, sizeof out);
  out.nb_dims = n;
  for (int32_t i = 0; i < n; i++) {
    if (v[i] < 0)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "fill shape[%d] is %lld, expected >= 0", i,
                             (long long)v[i]);
    out.d[i] = v[i];
  }
  set_out(&outputs[0], (ingot_dtype)node->params.fill.dtype, &out);
  return INGOT_SUCCESS;
}

/* A scalar value input (rank 0, or one element) of a range, as a double and an int64. */
static ingot_status range_scalar(const ingot_node *node, const ingot_value_info *inputs, int32_t k, const char *what,
                                 double *d_out, int64_t *i_out) {
  char buf[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(check_in(node, inputs, k, what));
  const ingot_value_info *v = &inputs[k];
  if (v->dims.nb_dims > 1 || ingot_dims_volume(&v->dims) != 1)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s (input %d) has dims %s, expected a scalar", what, k,
                           ingot_dims_format(&v->dims, buf, sizeof buf));
  if (v->data == NULL)
    return ingot_node_fail(node, INGOT_UNSUPPORTED,
                           "range %s must be known when input shapes are set (a constant, or computed from input "
                           "shapes), but input %d depends on input data",
                           what, k);
  switch (v->dtype) {
    case INGOT_FLOAT32: *d_out = *(const float *)v->data; *i_out = 0; break;
    case INGOT_INT32: *i_out = *(const int32_t *)v->data; *d_out = (double)*i_out; break;
    default: *i_out = *(const int64_t *)v->data; *d_out = (double)*i_out; break;
  }
  return INGOT_SUCCESS;
}

/* ONNX Range: max(ceil((limit - start) / delta), 0) elements; integers exactly, float32 in
 * double as the ONNX reference (numpy.arange) does. */
ingot_status ingot_infer_range(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  static const char *const names[3] = {"start", "limit", "delta"};
  INGOT_TRY(ingot_infer_expect_arity(node, 3, 3, 1));
  for (int32_t k = 0; k < 3; k++) INGOT_TRY(check_in(node, inputs, k, names[k]));
  const ingot_dtype dt = inputs[0].dtype;
  if (dt != INGOT_FLOAT32 && dt != INGOT_INT32 && dt != INGOT_INT64)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "start is %s, expected float32, int32 or int64",
                           ingot_dtype_name(dt));
  for (int32_t k = 1; k < 3; k++)
    if (inputs[k].dtype != dt)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s is %s, expected %s as start", names[k],
                             ingot_dtype_name(inputs[k].dtype), ingot_dtype_name(dt));
  double d[3];
  int64_t iv[3];
  for (int32_t k = 0; k < 3; k++) INGOT_TRY(range_scalar(node, inputs, k, names[k], &d[k], &iv[k]));
  int64_t n;
  if (dt == INGOT_FLOAT32) {
    if (d[2] == 0.0)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "delta is 0; a range needs a non-zero step");
    double count = ceil((d[1] - d[0]) / d[2]);
    if (!isfinite(count) || count > 4611686018427387904.0)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "range from %g to %g by %g has no finite length", d[0],
                             d[1], d[2]);
    n = count > 0 ? (int64_t)count : 0;
  } else {
    int64_t diff, delta = iv[2];
    if (delta == 0)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "delta is 0; a range needs a non-zero step");
    if (__builtin_sub_overflow(iv[1], iv[0], &diff))
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "range from %lld to %lld overflows int64",
                             (long long)iv[0], (long long)iv[1]);
    if (diff == 0 || (diff > 0) != (delta > 0)) {
      n = 0;
    } else if (delta == -1) { /* diff / -1 could overflow for INT64_MIN */
      n = diff == INT64_MIN ? INT64_MAX : -diff;
    } else {
      n = diff / delta + (diff % delta != 0);
    }
  }
  ingot_dims out;
  memset(&out, 0, sizeof out);
  out.nb_dims = 1;
  out.d[0] = n;
  set_out(&outputs[0], dt, &out);
  return INGOT_SUCCESS;
}

/* ---- gather elements, gather nd ------------------------------------------------------- */

/* Constant indices are checked now rather than failing at run time. */
static ingot_status check_const_indices(const ingot_node *node, const ingot_value_info *idx, int64_t dim,
                                        int32_t axis) {
  if (!idx->data) return INGOT_SUCCESS;
  int64_t n = ingot_dims_volume(&idx->dims);
  for (int64_t i = 0; i < n; i++) {
    int64_t v = index_value(idx->data, idx->dtype, i);
    if (v < -dim || v >= dim)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "index %lld out of range [%lld, %lld) on axis %d",
                             (long long)v, (long long)-dim, (long long)dim, axis);
  }
  return INGOT_SUCCESS;
}

/* Indices of the shape of `data` but for `axis` (GatherElements, ScatterElements): the same
 * rank, and no dim larger than data's except along the axis. */
static ingot_status check_elements_shape(const ingot_node *node, const ingot_dims *data, const ingot_dims *idx,
                                         int32_t axis) {
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE];
  if (idx->nb_dims != data->nb_dims)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "indices %s have rank %d, expected the rank %d of data %s",
                           ingot_dims_format(idx, a, sizeof a), idx->nb_dims, data->nb_dims,
                           ingot_dims_format(data, b, sizeof b));
  for (int32_t i = 0; i < data->nb_dims; i++)
    if (i != axis && idx->d[i] > data->d[i])
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                             "indices %s exceed data %s in dim %d (%lld > %lld); only the axis %d may be larger",
                             ingot_dims_format(idx, a, sizeof a), ingot_dims_format(data, b, sizeof b), i,
                             (long long)idx->d[i], (long long)data->d[i], axis);
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_gather_elements(const ingot_node *node, const ingot_value_info *inputs,
                                         ingot_value_info *outputs) {
  char a[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(ingot_infer_expect_arity(node, 2, 2, 1));
  INGOT_TRY(check_in(node, inputs, 0, "data"));
  INGOT_TRY(check_in(node, inputs, 1, "indices"));
  const ingot_dims *data = &inputs[0].dims, *idx = &inputs[1].dims;
  INGOT_TRY(expect_index_dtype(node, "indices", inputs[1].dtype));
  int32_t axis;
  if (!ingot_axis_normalize(node->params.gather_ex.axis, data->nb_dims, &axis))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "axis %d is out of range for data of rank %d (%s)",
                           node->params.gather_ex.axis, data->nb_dims, ingot_dims_format(data, a, sizeof a));
  INGOT_TRY(check_elements_shape(node, data, idx, axis));
  INGOT_TRY(check_const_indices(node, &inputs[1], data->d[axis], axis));
  set_out(&outputs[0], inputs[0].dtype, idx);
  return INGOT_SUCCESS;
}

/* GatherND / ScatterND geometry: indices [b..., m..., k] address data [b..., k dims, rest...]. */
static ingot_status nd_geometry(const ingot_node *node, const ingot_dims *data, const ingot_dims *idx,
                                int32_t batch_dims, ingot_dims *slices_out) {
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE];
  const int32_t r = data->nb_dims, q = idx->nb_dims;
  if (q < 1)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "indices are a scalar, expected rank >= 1");
  if (batch_dims < 0 || batch_dims >= q || batch_dims >= r)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "batch_dims %d is out of range for data %s and indices %s: expected 0 to %d", batch_dims,
                           ingot_dims_format(data, a, sizeof a), ingot_dims_format(idx, b, sizeof b),
                           (q < r ? q : r) - 1);
  for (int32_t i = 0; i < batch_dims; i++)
    if (data->d[i] != idx->d[i])
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                             "batch dim %d differs: data %s, indices %s; the first %d dims must match", i,
                             ingot_dims_format(data, a, sizeof a), ingot_dims_format(idx, b, sizeof b), batch_dims);
  const int64_t k = idx->d[q - 1];
  if (k < 0 || k > r - batch_dims)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "indices %s address %lld dims (their last dim), data %s has %d after the %d batch dim(s)",
                           ingot_dims_format(idx, a, sizeof a), (long long)k, ingot_dims_format(data, b, sizeof b),
                           r - batch_dims, batch_dims);
  /* [indices dims but the last..., data dims after the addressed ones...] */
  ingot_dims s;
  memset(&s, 0, sizeof s);
  int32_t rank = q - 1 + r - batch_dims - (int32_t)k;
  if (rank > INGOT_MAX_DIMS)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "the result would have rank %d, more than %d", rank,
                           INGOT_MAX_DIMS);
  for (int32_t i = 0; i < q - 1; i++) s.d[s.nb_dims++] = idx->d[i];
  for (int32_t i = batch_dims + (int32_t)k; i < r; i++) s.d[s.nb_dims++] = data->d[i];
  *slices_out = s;
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_gather_nd(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  INGOT_TRY(ingot_infer_expect_arity(node, 2, 2, 1));
  INGOT_TRY(check_in(node, inputs, 0, "data"));
  INGOT_TRY(check_in(node, inputs, 1, "indices"));
  INGOT_TRY(expect_index_dtype(node, "indices", inputs[1].dtype));
  ingot_dims out;
  INGOT_TRY(nd_geometry(node, &inputs[0].dims, &inputs[1].dims, node->params.gather_ex.batch_dims, &out));
  set_out(&outputs[0], inputs[0].dtype, &out);
  return INGOT_SUCCESS;
}

/* ---- scatter -------------------------------------------------------------------------- */

ingot_status ingot_infer_scatter(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  const ingot_scatter_params *p = &node->params.scatter;
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(ingot_infer_expect_arity(node, 3, 3, 1));
  INGOT_TRY(check_in(node, inputs, 0, "data"));
  INGOT_TRY(check_in(node, inputs, 1, "indices"));
  INGOT_TRY(check_in(node, inputs, 2, "updates"));
  const ingot_dims *data = &inputs[0].dims, *idx = &inputs[1].dims, *upd = &inputs[2].dims;
  INGOT_TRY(expect_index_dtype(node, "indices", inputs[1].dtype));
  if (inputs[2].dtype != inputs[0].dtype)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "updates are %s, expected %s as data",
                           ingot_dtype_name(inputs[2].dtype), ingot_dtype_name(inputs[0].dtype));
  if (p->reduction < INGOT_SCATTER_REDUCE_NONE || p->reduction > INGOT_SCATTER_REDUCE_MIN)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "reduction %d is unknown; expected 0 to 4", p->reduction);
  if (p->reduction != INGOT_SCATTER_REDUCE_NONE) INGOT_TRY(expect_arithmetic(node, "data", inputs[0].dtype));
  if (p->mode == INGOT_SCATTER_ND) {
    ingot_dims want;
    INGOT_TRY(nd_geometry(node, data, idx, 0, &want));
    if (!ingot_dims_equal(&want, upd))
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                             "updates have dims %s, expected %s (indices' dims but the last, then data's dims after "
                             "the %lld addressed)",
                             ingot_dims_format(upd, a, sizeof a), ingot_dims_format(&want, b, sizeof b),
                             (long long)idx->d[idx->nb_dims - 1]);
  } else if (p->mode == INGOT_SCATTER_ELEMENTS) {
    int32_t axis;
    if (!ingot_axis_normalize(p->axis, data->nb_dims, &axis))
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "axis %d is out of range for data of rank %d (%s)", p->axis,
                             data->nb_dims, ingot_dims_format(data, a, sizeof a));
    if (!ingot_dims_equal(idx, upd))
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "updates have dims %s, expected the dims %s of indices",
                             ingot_dims_format(upd, a, sizeof a), ingot_dims_format(idx, b, sizeof b));
    INGOT_TRY(check_elements_shape(node, data, idx, axis));
    INGOT_TRY(check_const_indices(node, &inputs[1], data->d[axis], axis));
  } else {
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "scatter mode %d is unknown; expected 0 (nd) or 1 (elements)",
                           p->mode);
  }
  set_out(&outputs[0], inputs[0].dtype, data);
  return INGOT_SUCCESS;
}

/* ---- cumulative ----------------------------------------------------------------------- */

ingot_status ingot_infer_cumulative(const ingot_node *node, const ingot_value_info *inputs,
                                    ingot_value_info *outputs) {
  char a[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(ingot_infer_expect_arity(node, 1, 1, 1));
  INGOT_TRY(check_in(node, inputs, 0, "input"));
  INGOT_TRY(expect_arithmetic(node, "input", inputs[0].dtype));
  int32_t axis;
  if (!ingot_axis_normalize(node->params.cumulative.axis, inputs[0].dims.nb_dims, &axis))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "axis %d is out of range for input of rank %d (%s)",
                           node->params.cumulative.axis, inputs[0].dims.nb_dims,
                           ingot_dims_format(&inputs[0].dims, a, sizeof a));
  set_out(&outputs[0], inputs[0].dtype, &inputs[0].dims);
  return INGOT_SUCCESS;
}

/* ---- expand, tile --------------------------------------------------------------------- */

ingot_status ingot_infer_expand(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(ingot_infer_expect_arity(node, 2, 2, 1));
  INGOT_TRY(check_in(node, inputs, 0, "input"));
  INGOT_TRY(check_in(node, inputs, 1, "shape"));
  int64_t v[INGOT_MAX_DIMS];
  int32_t n;
  INGOT_TRY(ingot_read_int_input(node, inputs, 1, "expand shape", false, v, INGOT_MAX_DIMS, &n));
  ingot_dims shape, out;
  memset(&shape, 0, sizeof shape);
  shape.nb_dims = n;
  for (int32_t i = 0; i < n; i++) {
    if (v[i] < 0)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "expand shape[%d] is %lld, expected >= 0", i,
                             (long long)v[i]);
    shape.d[i] = v[i];
  }
  if (!ingot_dims_broadcast(&inputs[0].dims, &shape, &out))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input %s cannot broadcast with shape %s",
                           ingot_dims_format(&inputs[0].dims, a, sizeof a), ingot_dims_format(&shape, b, sizeof b));
  set_out(&outputs[0], inputs[0].dtype, &out);
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_tile(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  char a[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(ingot_infer_expect_arity(node, 2, 2, 1));
  INGOT_TRY(check_in(node, inputs, 0, "input"));
  INGOT_TRY(check_in(node, inputs, 1, "repeats"));
  const ingot_dims *in = &inputs[0].dims;
  int64_t v[INGOT_MAX_DIMS];
  int32_t n;
  INGOT_TRY(ingot_read_int_input(node, inputs, 1, "tile repeats", false, v, INGOT_MAX_DIMS, &n));
  if (n != in->nb_dims)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "repeats has %d entries, expected %d (the rank of input %s)",
                           n, in->nb_dims, ingot_dims_format(in, a, sizeof a));
  ingot_dims out = *in;
  for (int32_t i = 0; i < n; i++) {
    if (v[i] < 0)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "repeats[%d] is %lld, expected >= 0", i, (long long)v[i]);
    if (__builtin_mul_overflow(in->d[i], v[i], &out.d[i]))
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "dim %d: %lld repeated %lld times overflows", i,
                             (long long)in->d[i], (long long)v[i]);
  }
  set_out(&outputs[0], inputs[0].dtype, &out);
  return INGOT_SUCCESS;
}

/* ---- quantize, dequantize -------------------------------------------------------------- */

/* scale: one value (per tensor) or 1-D along `axis` (per channel); zero_point absent or of
 * scale's dims and dtype `zp_dtype`. */
static ingot_status check_quant_params(const ingot_node *node, const ingot_value_info *inputs, ingot_dtype zp_dtype) {
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE];
  const ingot_dims *x = &inputs[0].dims, *scale = &inputs[1].dims;
  INGOT_TRY(check_in(node, inputs, 1, "scale"));
  INGOT_TRY(ingot_infer_expect_float(node, "scale", inputs[1].dtype));
  int64_t count = ingot_dims_volume(scale);
  if (scale->nb_dims > 1 || (scale->nb_dims == 1 && count < 1))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "scale has dims %s, expected a scalar or a 1-D tensor",
                           ingot_dims_format(scale, a, sizeof a));
  if (count != 1) {
    int32_t axis;
    if (!ingot_axis_normalize(node->params.quantize.axis, x->nb_dims, &axis))
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "axis %d is out of range for input of rank %d (%s)",
                             node->params.quantize.axis, x->nb_dims, ingot_dims_format(x, a, sizeof a));
    if (count != x->d[axis])
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                             "scale has %lld values, expected 1 or %lld (dim %d of input %s)", (long long)count,
                             (long long)x->d[axis], axis, ingot_dims_format(x, a, sizeof a));
  }
  if (ingot_input_present(node, inputs, 2)) {
    INGOT_TRY(check_in(node, inputs, 2, "zero_point"));
    if (inputs[2].dtype != zp_dtype)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "zero_point is %s, expected %s",
                             ingot_dtype_name(inputs[2].dtype), ingot_dtype_name(zp_dtype));
    if (ingot_dims_volume(&inputs[2].dims) != count || inputs[2].dims.nb_dims > 1)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "zero_point has dims %s, expected those of scale (%s)",
                             ingot_dims_format(&inputs[2].dims, a, sizeof a), ingot_dims_format(scale, b, sizeof b));
  }
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_quantize(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  INGOT_TRY(ingot_infer_expect_arity(node, 2, 3, 1));
  INGOT_TRY(check_in(node, inputs, 0, "input"));
  INGOT_TRY(ingot_infer_expect_float(node, "input", inputs[0].dtype));
  ingot_dtype to = (ingot_dtype)node->params.quantize.output_dtype;
  if (to != INGOT_INT8 && to != INGOT_UINT8)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "output dtype is %s, expected int8 or uint8",
                           ingot_dtype_valid(to) ? ingot_dtype_name(to) : "unknown");
  INGOT_TRY(check_quant_params(node, inputs, to));
  set_out(&outputs[0], to, &inputs[0].dims);
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_dequantize(const ingot_node *node, const ingot_value_info *inputs,
                                    ingot_value_info *outputs) {
  INGOT_TRY(ingot_infer_expect_arity(node, 2, 3, 1));
  INGOT_TRY(check_in(node, inputs, 0, "input"));
  ingot_dtype dt = inputs[0].dtype;
  if (dt != INGOT_INT8 && dt != INGOT_UINT8 && dt != INGOT_INT32)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input is %s, expected int8, uint8 or int32",
                           ingot_dtype_name(dt));
  INGOT_TRY(check_quant_params(node, inputs, dt));
  set_out(&outputs[0], INGOT_FLOAT32, &inputs[0].dims);
  return INGOT_SUCCESS;
}

/* ---- einsum ---------------------------------------------------------------------------- */

ingot_status ingot_infer_einsum(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  INGOT_TRY(ingot_infer_expect_arity(node, 1, 2, 1));
  ingot_dims dims[2];
  for (int32_t k = 0; k < node->nb_inputs; k++) {
    const char *what = k == 0 ? "input 0" : "input 1";
    INGOT_TRY(check_in(node, inputs, k, what));
    INGOT_TRY(ingot_infer_expect_float(node, what, inputs[k].dtype));
    if (inputs[k].dtype != inputs[0].dtype)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input %d is %s, expected %s as input 0", k,
                             ingot_dtype_name(inputs[k].dtype), ingot_dtype_name(inputs[0].dtype));
    dims[k] = inputs[k].dims;
  }
  const char *eq = node->params.einsum.equation;
  if (memchr(eq, '\0', sizeof node->params.einsum.equation) == NULL)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "einsum equation is not NUL-terminated");
  ingot_einsum_plan plan;
  INGOT_TRY(ingot_einsum_plan_make(node, eq, node->nb_inputs, dims, &plan));
  set_out(&outputs[0], inputs[0].dtype, &plan.out_dims);
  return INGOT_SUCCESS;
}
