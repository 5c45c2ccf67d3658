/* Shape inference of the data movement ops: shuffle, concatenation, slice, gather,
 * padding, identity, cast, constant and topk. Each checks its params against the input
 * dims and dtypes (which are concrete here, see ops.h) and fills the outputs; a failure
 * names what was expected and what was found, through ingot_node_fail. */
#include <stdio.h>
#include <string.h>

#include "core/dims.h"
#include "core/error.h"
#include "ops/dims_inputs.h"
#include "ops/graph.h"

/* ---- shared checks ------------------------------------------------------------------ */

static ingot_status check_arity(const ingot_node *node, int32_t nb_inputs, int32_t nb_outputs) {
  if (node->nb_inputs != nb_inputs)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "expected %d input(s), found %d", nb_inputs, node->nb_inputs);
  if (node->nb_outputs != nb_outputs)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "expected %d output(s), found %d", nb_outputs,
                           node->nb_outputs);
  return INGOT_SUCCESS;
}

/* Inputs are concrete by the time infer runs; a dynamic or absent one is a caller's bug
 * or a corrupted graph, so it is refused by name rather than trusted. */
static ingot_status check_input(const ingot_node *node, const ingot_value_info *inputs, int32_t i) {
  char buf[INGOT_DIMS_STR_SIZE];
  if (!ingot_dtype_valid(inputs[i].dtype))
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "input %d has an unknown dtype (%d)", i, (int)inputs[i].dtype);
  if (!ingot_dims_is_concrete(&inputs[i].dims))
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "input %d has dims %s; shape inference needs concrete dims", i,
                           inputs[i].dims.nb_dims < 0 ? "(absent)" : ingot_dims_format(&inputs[i].dims, buf, sizeof buf));
  return INGOT_SUCCESS;
}

/* "{1, 0, 2}" into buf. */
static const char *format_perm(const int32_t *perm, int32_t n, char *buf, size_t size) {
  size_t used = 0;
  used += (size_t)snprintf(buf, size, "{");
  for (int32_t i = 0; i < n && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, i ? ", %d" : "%d", perm[i]);
  if (used < size) snprintf(buf + used, size - used, "}");
  return buf;
}

static ingot_status check_permutation(const ingot_node *node, const char *what, const int32_t *perm, int32_t rank) {
  char buf[96];
  bool seen[INGOT_MAX_DIMS] = {false};
  for (int32_t i = 0; i < rank; i++) {
    if (perm[i] < 0 || perm[i] >= rank || seen[perm[i]])
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s %s is not a permutation of 0..%d (rank %d)", what,
                             format_perm(perm, rank, buf, sizeof buf), rank - 1, rank);
    seen[perm[i]] = true;
  }
  return INGOT_SUCCESS;
}

/* Layers whose trailing inputs are optional value inputs (dims_inputs.h): between 1 and
 * max_inputs inputs. */
static ingot_status check_arity_optional(const ingot_node *node, int32_t max_inputs, int32_t nb_outputs) {
  if (node->nb_inputs < 1 || node->nb_inputs > max_inputs)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "expected 1 to %d inputs, found %d", max_inputs,
                           node->nb_inputs);
  if (node->nb_outputs != nb_outputs)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "expected %d output(s), found %d", nb_outputs,
                           node->nb_outputs);
  return INGOT_SUCCESS;
}

/* ---- shuffle: transpose, reshape, transpose ----------------------------------------- */

ingot_status ingot_infer_shuffle(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  ingot_shuffle_params eff;
  const ingot_shuffle_params *p = &eff;
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(check_arity_optional(node, 2, 1));
  INGOT_TRY(check_input(node, inputs, 0));
  INGOT_TRY(ingot_shuffle_effective(node, inputs, &eff));
  const ingot_dims *in = &inputs[0].dims;

  ingot_dims t = *in; /* after the first transpose */
  if (p->has_first_transpose) {
    INGOT_TRY(check_permutation(node, "first_transpose", p->first_transpose, in->nb_dims));
    for (int32_t i = 0; i < in->nb_dims; i++) t.d[i] = in->d[p->first_transpose[i]];
  }

  ingot_dims r = t; /* after the reshape */
  if (p->has_reshape) {
    const ingot_dims *rd = &p->reshape_dims;
    if (rd->nb_dims < 0 || rd->nb_dims > INGOT_MAX_DIMS)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "reshape rank %d is outside [0, %d]", rd->nb_dims,
                             INGOT_MAX_DIMS);
    r.nb_dims = rd->nb_dims;
    int32_t inferred = -1;
    int64_t known = 1;
    for (int32_t i = 0; i < rd->nb_dims; i++) {
      int64_t d = rd->d[i];
      if (d == 0 && !p->zero_is_literal) {
        if (i >= t.nb_dims)
          return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                                 "reshape dim %d is 0 (copy the input dim) but the input %s has only %d dims", i,
                                 ingot_dims_format(&t, a, sizeof a), t.nb_dims);
        d = t.d[i];
      } else if (d == -1) {
        if (inferred >= 0)
          return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "reshape dims have -1 at both %d and %d; one at most",
                                 inferred, i);
        inferred = i;
        continue;
      } else if (d < 0) {
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "reshape dim %d is %lld; expected >= -1", i, (long long)d);
      }
      r.d[i] = d;
      if (d != 0 && known > INT64_MAX / d)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "reshape dims overflow 64-bit volume");
      known *= d;
    }
    int64_t volume = ingot_dims_volume(&t);
    if (inferred >= 0) {
      if (known == 0 || volume % known != 0) {
        r.d[inferred] = -1;
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                               "cannot infer the -1 of reshape %s from input %s (%lld elements)",
                               ingot_dims_format(&r, a, sizeof a), ingot_dims_format(&t, b, sizeof b),
                               (long long)volume);
      }
      r.d[inferred] = volume / known;
    } else if (known != volume) {
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                             "reshape to %s (%lld elements) does not match input %s (%lld elements)",
                             ingot_dims_format(&r, a, sizeof a), (long long)known, ingot_dims_format(&t, b, sizeof b),
                             (long long)volume);
    }
  }

  ingot_dims out = r;
  if (p->has_second_transpose) {
    INGOT_TRY(check_permutation(node, "second_transpose", p->second_transpose, r.nb_dims));
    for (int32_t i = 0; i < r.nb_dims; i++) out.d[i] = r.d[p->second_transpose[i]];
  }
  outputs[0].dtype = inputs[0].dtype;
  outputs[0].dims = out;
  outputs[0].data = NULL;
  return INGOT_SUCCESS;
}

/* ---- concatenation ------------------------------------------------------------------ */

ingot_status ingot_infer_concatenation(const ingot_node *node, const ingot_value_info *inputs,
                                       ingot_value_info *outputs) {
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE];
  if (node->nb_inputs < 1)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "expected at least 1 input, found %d", node->nb_inputs);
  if (node->nb_outputs != 1)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "expected 1 output, found %d", node->nb_outputs);
  for (int32_t i = 0; i < node->nb_inputs; i++) INGOT_TRY(check_input(node, inputs, i));

  const ingot_dims *first = &inputs[0].dims;
  int32_t axis;
  if (!ingot_axis_normalize(node->params.concat.axis, first->nb_dims, &axis))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "axis %d is out of range for input 0 of rank %d (%s)",
                           node->params.concat.axis, first->nb_dims, ingot_dims_format(first, a, sizeof a));
  ingot_dims out = *first;
  for (int32_t i = 1; i < node->nb_inputs; i++) {
    const ingot_dims *d = &inputs[i].dims;
    if (inputs[i].dtype != inputs[0].dtype)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input %d is %s, expected %s as input 0", i,
                             ingot_dtype_name(inputs[i].dtype), ingot_dtype_name(inputs[0].dtype));
    if (d->nb_dims != first->nb_dims)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input %d has dims %s (rank %d), expected rank %d as input 0 (%s)",
                             i, ingot_dims_format(d, a, sizeof a), d->nb_dims, first->nb_dims,
                             ingot_dims_format(first, b, sizeof b));
    for (int32_t j = 0; j < d->nb_dims; j++) {
      if (j != axis && d->d[j] != first->d[j])
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                               "input %d has dims %s, which differ from input 0 (%s) in dim %d; every dim but the "
                               "concatenation axis %d must match",
                               i, ingot_dims_format(d, a, sizeof a), ingot_dims_format(first, b, sizeof b), j, axis);
    }
    out.d[axis] += d->d[axis];
  }
  outputs[0].dtype = inputs[0].dtype;
  outputs[0].dims = out;
  outputs[0].data = NULL;
  return INGOT_SUCCESS;
}

/* ---- slice --------------------------------------------------------------------------- */

ingot_status ingot_infer_slice(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  ingot_slice_params eff;
  const ingot_slice_params *p = &eff;
  char a[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(check_arity_optional(node, 4, 1));
  INGOT_TRY(check_input(node, inputs, 0));
  INGOT_TRY(ingot_slice_effective(node, inputs, &eff));
  const ingot_dims *in = &inputs[0].dims;
  const char *names[3] = {"start", "size", "stride"};
  const ingot_dims *given[3] = {&p->start, &p->size, &p->stride};
  for (int k = 0; k < 3; k++) {
    if (given[k]->nb_dims != in->nb_dims)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s has %d dims, expected %d as the input (%s)", names[k],
                             given[k]->nb_dims, in->nb_dims, ingot_dims_format(in, a, sizeof a));
  }
  ingot_dims out = *in;
  for (int32_t i = 0; i < in->nb_dims; i++) {
    int64_t start = p->start.d[i], size = p->size.d[i], stride = p->stride.d[i], dim = in->d[i];
    if (size < 0)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "size of dim %d is %lld; expected >= 0", i, (long long)size);
    out.d[i] = size;
    if (size == 0) continue; /* nothing is read: any start is allowed */
    int64_t span, last;
    if (__builtin_mul_overflow(size - 1, stride, &span) || __builtin_add_overflow(start, span, &last) || start < 0 ||
        start >= dim || last < 0 || last >= dim)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                             "dim %d: start %lld, size %lld, stride %lld reads outside [0, %lld) of input %s", i,
                             (long long)start, (long long)size, (long long)stride, (long long)dim,
                             ingot_dims_format(in, a, sizeof a));
  }
  outputs[0].dtype = inputs[0].dtype;
  outputs[0].dims = out;
  outputs[0].data = NULL;
  return INGOT_SUCCESS;
}

/* ---- gather -------------------------------------------------------------------------- */

ingot_status ingot_infer_gather(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(check_arity(node, 2, 1));
  INGOT_TRY(check_input(node, inputs, 0));
  INGOT_TRY(check_input(node, inputs, 1));
  const ingot_dims *data = &inputs[0].dims, *idx = &inputs[1].dims;
  int32_t axis;
  if (!ingot_axis_normalize(node->params.gather.axis, data->nb_dims, &axis))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "axis %d is out of range for data of rank %d (%s)",
                           node->params.gather.axis, data->nb_dims, ingot_dims_format(data, a, sizeof a));
  if (inputs[1].dtype != INGOT_INT32 && inputs[1].dtype != INGOT_INT64)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "indices are %s, expected int32 or int64",
                           ingot_dtype_name(inputs[1].dtype));
  int32_t rank = data->nb_dims - 1 + idx->nb_dims;
  if (rank > INGOT_MAX_DIMS)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "output rank would be %d (data %s, indices %s), more than the %d supported", rank,
                           ingot_dims_format(data, a, sizeof a), ingot_dims_format(idx, b, sizeof b), INGOT_MAX_DIMS);
  /* Constant indices can be checked now instead of failing at run time. */
  if (inputs[1].data != NULL) {
    int64_t n = ingot_dims_volume(idx), dim = data->d[axis];
    for (int64_t i = 0; i < n; i++) {
      int64_t v = inputs[1].dtype == INGOT_INT32 ? ((const int32_t *)inputs[1].data)[i]
                                                 : ((const int64_t *)inputs[1].data)[i];
      if (v < -dim || v >= dim)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "index %lld out of range [%lld, %lld) on axis %d",
                               (long long)v, (long long)-dim, (long long)dim, axis);
    }
  }
  ingot_dims out;
  out.nb_dims = rank;
  int32_t o = 0;
  for (int32_t i = 0; i < axis; i++) out.d[o++] = data->d[i];
  for (int32_t i = 0; i < idx->nb_dims; i++) out.d[o++] = idx->d[i];
  for (int32_t i = axis + 1; i < data->nb_dims; i++) out.d[o++] = data->d[i];
  for (; o < INGOT_MAX_DIMS; o++) out.d[o] = 0;
  outputs[0].dtype = inputs[0].dtype;
  outputs[0].dims = out;
  outputs[0].data = NULL;
  return INGOT_SUCCESS;
}

/* ---- padding ------------------------------------------------------------------------- */

ingot_status ingot_infer_padding(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  static const char *const mode_names[] = {"constant", "reflect", "edge", "wrap"};
  ingot_padding_params eff;
  const ingot_padding_params *p = &eff;
  char a[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(check_arity_optional(node, 2, 1));
  INGOT_TRY(check_input(node, inputs, 0));
  INGOT_TRY(ingot_padding_effective(node, inputs, &eff));
  const ingot_dims *in = &inputs[0].dims;
  if (p->mode < INGOT_PAD_CONSTANT || p->mode > INGOT_PAD_WRAP)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "pad mode %d is unknown; expected 0..3", p->mode);
  if (p->nb_dims != in->nb_dims)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "padding has %d dims, expected %d as the input (%s)",
                           p->nb_dims, in->nb_dims, ingot_dims_format(in, a, sizeof a));
  ingot_dims out = *in;
  for (int32_t i = 0; i < in->nb_dims; i++) {
    int64_t pre = p->pre_padding[i], post = p->post_padding[i], dim = in->d[i], total;
    if (__builtin_add_overflow(pre, dim, &total) || __builtin_add_overflow(total, post, &total) || total < 0)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                             "dim %d: padding %lld before and %lld after a dim of %lld leaves no valid size", i,
                             (long long)pre, (long long)post, (long long)dim);
    out.d[i] = total;
    int64_t grow = pre > post ? pre : post;
    if (grow <= 0 || total == 0) continue;
    /* Positive padding reads the input: reflect mirrors without the edge, so needs pad < dim;
     * edge and wrap need something to repeat. */
    if (p->mode == INGOT_PAD_REFLECT && grow >= dim)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                             "dim %d: reflect padding of %lld needs a dim larger than the pad, found %lld", i,
                             (long long)grow, (long long)dim);
    if ((p->mode == INGOT_PAD_EDGE || p->mode == INGOT_PAD_WRAP) && dim == 0)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "dim %d: %s padding of %lld needs a non-empty dim, found 0",
                             i, mode_names[p->mode], (long long)grow);
  }
  outputs[0].dtype = inputs[0].dtype;
  outputs[0].dims = out;
  outputs[0].data = NULL;
  return INGOT_SUCCESS;
}

/* ---- identity, cast, constant -------------------------------------------------------- */

ingot_status ingot_infer_identity(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  INGOT_TRY(check_arity(node, 1, 1));
  INGOT_TRY(check_input(node, inputs, 0));
  outputs[0].dtype = inputs[0].dtype;
  outputs[0].dims = inputs[0].dims;
  outputs[0].data = NULL;
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_cast(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  INGOT_TRY(check_arity(node, 1, 1));
  INGOT_TRY(check_input(node, inputs, 0));
  int32_t to = node->params.cast.to;
  if (!ingot_dtype_valid((ingot_dtype)to))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "target dtype %d is unknown; expected 0..%d", to,
                           INGOT_DTYPE_COUNT - 1);
  outputs[0].dtype = (ingot_dtype)to;
  outputs[0].dims = inputs[0].dims;
  outputs[0].data = NULL;
  return INGOT_SUCCESS;
}

/* A constant node has no inputs; its output tensor is a graph constant whose dtype, dims
 * and data the caller (ingot_graph_infer_shapes: "constants keep their dims") puts in
 * outputs[0] before calling. So there is nothing to infer: this only checks that what was
 * given is a usable shape, and leaves outputs as given. The builder folds constant nodes
 * away, so no backend runs them. */
ingot_status ingot_infer_constant(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  char a[INGOT_DIMS_STR_SIZE];
  (void)inputs;
  INGOT_TRY(check_arity(node, 0, 1));
  if (!ingot_dtype_valid(outputs[0].dtype))
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "constant output has an unknown dtype (%d)",
                           (int)outputs[0].dtype);
  if (!ingot_dims_is_concrete(&outputs[0].dims))
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "constant output has dims %s; expected concrete dims",
                           outputs[0].dims.nb_dims < 0 ? "(unset)" : ingot_dims_format(&outputs[0].dims, a, sizeof a));
  return INGOT_SUCCESS;
}

/* ---- topk ---------------------------------------------------------------------------- */

ingot_status ingot_infer_topk(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  const ingot_topk_params *p = &node->params.topk;
  char a[INGOT_DIMS_STR_SIZE];
  INGOT_TRY(check_arity(node, 1, 2));
  INGOT_TRY(check_input(node, inputs, 0));
  const ingot_dims *in = &inputs[0].dims;
  ingot_dtype dt = inputs[0].dtype;
  if (dt != INGOT_FLOAT32 && dt != INGOT_INT32 && dt != INGOT_INT64)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input is %s, expected float32, int32 or int64",
                           ingot_dtype_name(dt));
  if (p->op != INGOT_TOPK_MAX && p->op != INGOT_TOPK_MIN)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "topk op %d is unknown; expected 0 (max) or 1 (min)", p->op);
  int32_t axis;
  if (!ingot_axis_normalize(p->axis, in->nb_dims, &axis))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "axis %d is out of range for input of rank %d (%s)", p->axis,
                           in->nb_dims, ingot_dims_format(in, a, sizeof a));
  if (p->k < 0 || p->k > in->d[axis])
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "k = %lld is outside [0, %lld], the dim of axis %d of input %s",
                           (long long)p->k, (long long)in->d[axis], axis, ingot_dims_format(in, a, sizeof a));
  ingot_dims out = *in;
  out.d[axis] = p->k;
  outputs[0].dtype = dt;
  outputs[0].dims = out;
  outputs[0].data = NULL;
  outputs[1].dtype = INGOT_INT64;
  outputs[1].dims = out;
  outputs[1].data = NULL;
  return INGOT_SUCCESS;
}
