/* Shape and data-movement layers: concatenation, shuffle, constant, identity, cast,
 * slice, gather, resize, padding and top-k. Ranks are checked against the input's
 * declared dims when it has some (network inputs and constants); shape inference checks
 * everything else at build time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/dims.h"
#include "network/network_internal.h"

static ingot_op_params zero_params(void) {
  ingot_op_params p;
  memset(&p, 0, sizeof p);
  return p;
}

/* The input's rank from its declared dims, or -1 if only the builder will know it. */
static int32_t declared_rank(const ingot_network *network, const ingot_tensor *tensor) {
  ingot_dims dims;
  return ingot_net_declared_dims(network, tensor->index, &dims) ? dims.nb_dims : -1;
}

/* A rank given by the caller (slice, padding, resize) must equal the input's, when known. */
static ingot_status check_rank(const ingot_network *network, const ingot_tensor *input, int32_t rank,
                               const char *fn, const char *what) {
  if (rank < 0 || rank > INGOT_MAX_DIMS)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s has rank %d, expected 0 to %d", fn, what, rank,
                          INGOT_MAX_DIMS);
  int32_t known = declared_rank(network, input);
  if (known >= 0 && known != rank)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s has rank %d, expected the rank %d of input '%s'", fn,
                          what, rank, known, ingot_net_tensor_name(network, input->index));
  return INGOT_SUCCESS;
}

static ingot_status add_one_input(ingot_network *network, ingot_op op, const char *fn, const ingot_op_params *params,
                                  const ingot_tensor *input, ingot_dtype out, ingot_layer **layer_out) {
  int32_t inputs[1] = {input->index};
  return ingot_net_add_layer(network, op, fn, params, inputs, 1, &out, 1, layer_out);
}

ingot_status ingot_network_add_concatenation(ingot_network *network, ingot_tensor *const *inputs, int32_t nb_inputs,
                                             int32_t axis, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_concatenation";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_NET_CHECK_NULL(network, inputs, fn);
  if (nb_inputs < 1 || nb_inputs > (1 << 20))
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: nb_inputs is %d, expected 1 to %d", fn, nb_inputs,
                          1 << 20);
  for (int32_t i = 0; i < nb_inputs; i++) {
    char arg[32];
    snprintf(arg, sizeof arg, "inputs[%d]", i);
    INGOT_TRY(ingot_net_check_tensor(network, inputs[i], fn, arg));
  }
  INGOT_TRY(ingot_net_check_axis(network, inputs[0], axis, fn, "axis"));
  int32_t *indices = ingot_calloc((size_t)nb_inputs, sizeof *indices);
  if (!indices) return ingot_net_log(network, INGOT_OUT_OF_MEMORY);
  for (int32_t i = 0; i < nb_inputs; i++) indices[i] = inputs[i]->index;
  ingot_op_params params = zero_params();
  params.concat.axis = axis;
  ingot_dtype out = ingot_net_tensor_dtype(network, inputs[0]);
  ingot_status st = ingot_net_add_layer(network, INGOT_OP_CONCATENATION, fn, &params, indices, nb_inputs, &out, 1,
                                        layer_out);
  free(indices);
  return st;
}

/* A transpose: every entry names a dim (0 to 7); with a known rank, the first `rank`
 * entries are a permutation of 0..rank-1. */
static ingot_status check_permutation(const ingot_network *network, const int32_t *perm, int32_t rank, const char *fn,
                                      const char *what) {
  for (int32_t i = 0; i < INGOT_MAX_DIMS; i++)
    if (perm[i] < 0 || perm[i] >= INGOT_MAX_DIMS)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s[%d] is %d, expected 0 to %d", fn, what, i, perm[i],
                            INGOT_MAX_DIMS - 1);
  if (rank < 0) return INGOT_SUCCESS;
  uint32_t seen = 0;
  for (int32_t i = 0; i < rank; i++) {
    if (perm[i] >= rank || (seen & (1u << perm[i])))
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                            "%s: %s is not a permutation of 0 to %d: entry %d is %d", fn, what, rank - 1, i, perm[i]);
    seen |= 1u << perm[i];
  }
  return INGOT_SUCCESS;
}

ingot_status ingot_network_add_shuffle(ingot_network *network, ingot_tensor *input, const ingot_shuffle_desc *desc,
                                       ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_shuffle";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_NET_CHECK_NULL(network, desc, fn);
  int32_t rank = declared_rank(network, input);
  ingot_op_params params = zero_params();
  ingot_shuffle_params *p = &params.shuffle;
  if (desc->has_first_transpose) {
    INGOT_TRY(check_permutation(network, desc->first_transpose, rank, fn, "first_transpose"));
    p->has_first_transpose = 1;
    memcpy(p->first_transpose, desc->first_transpose, sizeof p->first_transpose);
  }
  if (desc->has_reshape) {
    const ingot_dims *r = &desc->reshape_dims;
    if (r->nb_dims < 0 || r->nb_dims > INGOT_MAX_DIMS)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: reshape_dims has rank %d, expected 0 to %d", fn,
                            r->nb_dims, INGOT_MAX_DIMS);
    int32_t inferred = 0;
    for (int32_t i = 0; i < r->nb_dims; i++) {
      if (r->d[i] < -1)
        return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                              "%s: reshape_dims[%d] is %lld, expected >= 0 or -1 (inferred)", fn, i, (long long)r->d[i]);
      if (r->d[i] == -1 && ++inferred > 1)
        return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: reshape_dims has more than one -1 (dims %d and "
                              "earlier); at most one dim can be inferred", fn, i);
      if (r->d[i] == 0 && !desc->zero_is_literal && rank >= 0 && i >= rank)
        return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                              "%s: reshape_dims[%d] is 0 (copy input dim %d) but input '%s' has rank %d", fn, i, i,
                              ingot_net_tensor_name(network, input->index), rank);
    }
    p->has_reshape = 1;
    p->zero_is_literal = desc->zero_is_literal != 0;
    p->reshape_dims = *r;
    for (int32_t i = r->nb_dims; i < INGOT_MAX_DIMS; i++) p->reshape_dims.d[i] = 0;
  }
  if (desc->has_second_transpose) {
    int32_t second_rank = desc->has_reshape ? desc->reshape_dims.nb_dims : rank;
    INGOT_TRY(check_permutation(network, desc->second_transpose, second_rank, fn, "second_transpose"));
    p->has_second_transpose = 1;
    memcpy(p->second_transpose, desc->second_transpose, sizeof p->second_transpose);
  }
  return add_one_input(network, INGOT_OP_SHUFFLE, fn, &params, input, ingot_net_tensor_dtype(network, input),
                       layer_out);
}

ingot_status ingot_network_add_constant(ingot_network *network, const ingot_dims *dims, ingot_weights weights,
                                        ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_constant";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_NET_CHECK_NULL(network, dims, fn);
  if (!ingot_dims_is_concrete(dims)) {
    char buf[INGOT_DIMS_STR_SIZE];
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                          "%s: dims %s are not valid constant dims, expected rank 0 to %d and every dim >= 0", fn,
                          ingot_dims_format(dims, buf, sizeof buf), INGOT_MAX_DIMS);
  }
  INGOT_TRY(ingot_net_check_weights(network, &weights, fn, "weights", false, false));
  if (!ingot_dtype_valid(weights.dtype))
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: weights.dtype %d is not a valid ingot_dtype", fn,
                          (int)weights.dtype);
  int64_t volume = ingot_dims_volume(dims);
  if (volume != weights.count) {
    char buf[INGOT_DIMS_STR_SIZE];
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: weights hold %lld values, expected %lld (the volume of %s)",
                          fn, (long long)weights.count, (long long)volume, ingot_dims_format(dims, buf, sizeof buf));
  }
  ingot_dims declared = *dims;
  for (int32_t i = declared.nb_dims; i < INGOT_MAX_DIMS; i++) declared.d[i] = 0;
  ingot_net_layer layer;
  ingot_net_layer_begin(&layer, network, INGOT_OP_CONSTANT, 0, fn);
  return ingot_net_finish_constant(&layer, &declared, &weights, layer_out);
}

ingot_status ingot_network_add_identity(ingot_network *network, ingot_tensor *input, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_identity";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  ingot_op_params params = zero_params();
  return add_one_input(network, INGOT_OP_IDENTITY, fn, &params, input, ingot_net_tensor_dtype(network, input),
                       layer_out);
}

ingot_status ingot_network_add_cast(ingot_network *network, ingot_tensor *input, ingot_dtype to_dtype,
                                    ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_cast";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)to_dtype, INGOT_DTYPE_COUNT, fn, "to_dtype"));
  ingot_op_params params = zero_params();
  params.cast.to = (int32_t)to_dtype;
  return add_one_input(network, INGOT_OP_CAST, fn, &params, input, to_dtype, layer_out);
}

ingot_status ingot_network_add_slice(ingot_network *network, ingot_tensor *input, const ingot_dims *start,
                                     const ingot_dims *size, const ingot_dims *stride, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_slice";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_NET_CHECK_NULL(network, start, fn);
  INGOT_NET_CHECK_NULL(network, size, fn);
  INGOT_NET_CHECK_NULL(network, stride, fn);
  INGOT_TRY(check_rank(network, input, start->nb_dims, fn, "start"));
  if (size->nb_dims != start->nb_dims || stride->nb_dims != start->nb_dims)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                          "%s: start, size and stride have ranks %d, %d and %d, expected the same rank", fn,
                          start->nb_dims, size->nb_dims, stride->nb_dims);
  for (int32_t i = 0; i < size->nb_dims; i++)
    if (size->d[i] < 0)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: size[%d] is %lld, expected >= 0", fn, i,
                            (long long)size->d[i]);
  ingot_op_params params = zero_params();
  /* Only the first nb_dims entries are meaningful: copy those, so plans hold zeros after. */
  params.slice.start.nb_dims = params.slice.size.nb_dims = params.slice.stride.nb_dims = start->nb_dims;
  for (int32_t i = 0; i < start->nb_dims; i++) {
    params.slice.start.d[i] = start->d[i];
    params.slice.size.d[i] = size->d[i];
    params.slice.stride.d[i] = stride->d[i];
  }
  return add_one_input(network, INGOT_OP_SLICE, fn, &params, input, ingot_net_tensor_dtype(network, input), layer_out);
}

ingot_status ingot_network_add_gather(ingot_network *network, ingot_tensor *data, ingot_tensor *indices, int32_t axis,
                                      ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_gather";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, data, fn, "data"));
  INGOT_TRY(ingot_net_check_tensor(network, indices, fn, "indices"));
  INGOT_TRY(ingot_net_check_axis(network, data, axis, fn, "axis"));
  ingot_op_params params = zero_params();
  params.gather.axis = axis;
  int32_t inputs[2] = {data->index, indices->index};
  ingot_dtype out = ingot_net_tensor_dtype(network, data);
  return ingot_net_add_layer(network, INGOT_OP_GATHER, fn, &params, inputs, 2, &out, 1, layer_out);
}

ingot_status ingot_network_add_resize(ingot_network *network, ingot_tensor *input, const ingot_resize_desc *desc,
                                      ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_resize";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_NET_CHECK_NULL(network, desc, fn);
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)desc->mode, INGOT_RESIZE_CUBIC + 1, fn, "mode"));
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)desc->coordinate_transform, INGOT_RESIZE_TF_CROP_AND_RESIZE + 1, fn,
                                 "coordinate_transform"));
  if (!isfinite(desc->cubic_coeff_a) || !isfinite(desc->extrapolation_value))
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: cubic_coeff_a %g and extrapolation_value %g must be "
                          "finite", fn, (double)desc->cubic_coeff_a, (double)desc->extrapolation_value);
  for (int32_t i = 0; i < 2 * INGOT_MAX_DIMS; i++)
    if (!isfinite(desc->roi[i]))
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: roi[%d] is %g, expected a finite value", fn, i,
                            (double)desc->roi[i]);
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)desc->nearest_rounding, INGOT_RESIZE_CEIL + 1, fn,
                                 "nearest_rounding"));
  ingot_op_params params = zero_params();
  ingot_resize_params *p = &params.resize;
  p->mode = (int32_t)desc->mode;
  p->coordinate_transform = (int32_t)desc->coordinate_transform;
  p->nearest_rounding = (int32_t)desc->nearest_rounding;
  p->cubic_coeff_a = desc->cubic_coeff_a == 0.0f ? -0.75f : desc->cubic_coeff_a;
  p->exclude_outside = desc->exclude_outside != 0;
  p->antialias = desc->antialias != 0;
  p->extrapolation_value = desc->extrapolation_value;
  memcpy(p->roi, desc->roi, sizeof p->roi);
  if (desc->use_scales) {
    if (desc->nb_scales < 1)
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: nb_scales is %d, expected 1 to %d", fn,
                            desc->nb_scales, INGOT_MAX_DIMS);
    INGOT_TRY(check_rank(network, input, desc->nb_scales, fn, "scales"));
    for (int32_t i = 0; i < desc->nb_scales; i++)
      if (!(desc->scales[i] > 0.0f) || isinf(desc->scales[i]))
        return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: scales[%d] is %g, expected a finite value > 0", fn,
                              i, (double)desc->scales[i]);
    p->use_scales = 1;
    p->nb_scales = desc->nb_scales;
    memcpy(p->scales, desc->scales, sizeof(float) * (size_t)desc->nb_scales);
    if (desc->output_dims.nb_dims > 0) { /* dims given too: they size the output */
      INGOT_TRY(check_rank(network, input, desc->output_dims.nb_dims, fn, "output_dims"));
      for (int32_t i = 0; i < desc->output_dims.nb_dims; i++)
        if (desc->output_dims.d[i] < 0)
          return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: output_dims[%d] is %lld, expected >= 0", fn, i,
                                (long long)desc->output_dims.d[i]);
      p->output_dims = desc->output_dims;
    }
  } else {
    const ingot_dims *o = &desc->output_dims;
    INGOT_TRY(check_rank(network, input, o->nb_dims, fn, "output_dims"));
    for (int32_t i = 0; i < o->nb_dims; i++)
      if (o->d[i] < 0)
        return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: output_dims[%d] is %lld, expected >= 0", fn, i,
                              (long long)o->d[i]);
    p->output_dims.nb_dims = o->nb_dims;
    for (int32_t i = 0; i < o->nb_dims; i++) p->output_dims.d[i] = o->d[i];
  }
  return add_one_input(network, INGOT_OP_RESIZE, fn, &params, input, ingot_net_tensor_dtype(network, input),
                       layer_out);
}

ingot_status ingot_network_add_padding(ingot_network *network, ingot_tensor *input, const ingot_padding_desc *desc,
                                       ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_padding";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_NET_CHECK_NULL(network, desc, fn);
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)desc->mode, INGOT_PAD_WRAP + 1, fn, "mode"));
  INGOT_TRY(check_rank(network, input, desc->nb_dims, fn, "padding"));
  ingot_op_params params = zero_params();
  ingot_padding_params *p = &params.padding;
  p->nb_dims = desc->nb_dims;
  p->mode = (int32_t)desc->mode;
  p->value = desc->value;
  for (int32_t i = 0; i < desc->nb_dims; i++) {
    p->pre_padding[i] = desc->pre_padding[i];
    p->post_padding[i] = desc->post_padding[i];
  }
  return add_one_input(network, INGOT_OP_PADDING, fn, &params, input, ingot_net_tensor_dtype(network, input),
                       layer_out);
}

ingot_status ingot_network_add_topk(ingot_network *network, ingot_tensor *input, ingot_topk_op op, int64_t k,
                                    int32_t axis, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_topk";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_TRY(ingot_net_check_tensor(network, input, fn, "input"));
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)op, INGOT_TOPK_MIN + 1, fn, "op"));
  if (k < 0)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: k is %lld, expected >= 0", fn, (long long)k);
  INGOT_TRY(ingot_net_check_axis(network, input, axis, fn, "axis"));
  ingot_op_params params = zero_params();
  params.topk.op = (int32_t)op;
  params.topk.axis = axis;
  params.topk.k = k;
  int32_t inputs[1] = {input->index};
  ingot_dtype out[2] = {ingot_net_tensor_dtype(network, input), INGOT_INT64};
  return ingot_net_add_layer(network, INGOT_OP_TOPK, fn, &params, inputs, 1, out, 2, layer_out);
}
