/* The op table (from ops.def) and the checks every node's params pass before any kernel
 * sees them: enum fields in range, counts within their arrays. Shape-dependent checks
 * live in each op's infer function. */
#include "ops/ops.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "ops/graph.h"

_Static_assert((int)INGOT_OP_COUNT == (int)INGOT_LAYER_TYPE_COUNT, "ops.def rows must match ingot_layer_type");
#define X(e, name, infer) _Static_assert((int)INGOT_OP_##e == (int)INGOT_LAYER_##e, "ops.def order: " #e);
#include "ops/ops.def"
#undef X

static const char *const op_names[] = {
#define X(e, name, infer) name,
#include "ops/ops.def"
#undef X
};
_Static_assert(sizeof op_names / sizeof op_names[0] == INGOT_OP_COUNT, "op name table size");

static const ingot_infer_fn op_infers[] = {
#define X(e, name, infer) infer,
#include "ops/ops.def"
#undef X
};

const char *ingot_op_name(ingot_op op) {
  return (int)op >= 0 && op < INGOT_OP_COUNT ? op_names[op] : "unknown";
}

const char *ingot_layer_type_name(ingot_layer_type type) { return ingot_op_name((ingot_op)type); }

ingot_infer_fn ingot_op_infer(ingot_op op) { return (int)op >= 0 && op < INGOT_OP_COUNT ? op_infers[op] : NULL; }

ingot_status ingot_node_fail(const ingot_node *node, ingot_status status, const char *fmt, ...) {
  char message[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  const char *type = node->fused_name ? node->fused_name : ingot_op_name(node->op);
  return ingot_fail(status, "layer '%s' (%s): %s", node->name ? node->name : "?", type, message);
}

static bool in_range(int32_t v, int32_t lo, int32_t hi) { return v >= lo && v < hi; }

static ingot_status check_epilogue(const ingot_node *node, const ingot_epilogue *e) {
  if (!in_range(e->activation, -1, INGOT_ACTIVATION_TYPE_COUNT))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "fused activation type %d out of range", e->activation);
  if (e->has_residual != 0 && e->has_residual != 1)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "has_residual must be 0 or 1, not %d", e->has_residual);
  return INGOT_SUCCESS;
}

static ingot_status check_spatial(const ingot_node *node, int32_t nb, const int64_t *a, const char *what,
                                  int64_t min) {
  for (int32_t i = 0; i < nb; i++)
    if (a[i] < min)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s[%d] = %lld, must be at least %lld", what, i,
                             (long long)a[i], (long long)min);
  return INGOT_SUCCESS;
}

static ingot_status check_dims_field(const ingot_node *node, const ingot_dims *d, const char *what) {
  if (d->nb_dims < 0 || d->nb_dims > INGOT_MAX_DIMS)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s has rank %d, must be 0 to %d", what, d->nb_dims,
                           INGOT_MAX_DIMS);
  return INGOT_SUCCESS;
}

/* Expected input count: exact, or [min, max] for ops with optional or variadic inputs. */
static ingot_status check_input_count(const ingot_node *node, int32_t min, int32_t max) {
  if (node->nb_inputs < min || node->nb_inputs > max)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "has %d inputs, expected %d to %d", node->nb_inputs, min,
                           max);
  return INGOT_SUCCESS;
}

ingot_status ingot_op_validate_params(const ingot_node *node) {
  const ingot_op_params *p = &node->params;
  int32_t want_outputs = node->op == INGOT_OP_TOPK ? 2 : 1;
  if (node->op == INGOT_OP_RNN) want_outputs = p->rnn.cell == INGOT_RNN_CELL_LSTM ? 3 : 2;
  if (node->op == INGOT_OP_UNIQUE) want_outputs = 4;
  if (node->op == INGOT_OP_PLUGIN) want_outputs = p->plugin.nb_outputs;
  if ((int)node->op < 0 || node->op >= INGOT_OP_COUNT)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "layer '%s': op kind %d out of range", node->name ? node->name : "?",
                      (int)node->op);
  if (node->nb_outputs != want_outputs)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "has %d outputs, expected %d", node->nb_outputs,
                           want_outputs);
  switch (node->op) {
    case INGOT_OP_CONVOLUTION:
    case INGOT_OP_DECONVOLUTION: {
      const ingot_conv_params *c = &p->conv;
      if (c->nb_spatial_dims < 1 || c->nb_spatial_dims > INGOT_MAX_SPATIAL_DIMS)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "nb_spatial_dims %d out of range [1, %d]",
                               c->nb_spatial_dims, INGOT_MAX_SPATIAL_DIMS);
      if (!in_range(c->padding_mode, 0, 4))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "padding mode %d out of range", c->padding_mode);
      if (c->num_output_maps < 1)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "num_output_maps %lld must be positive",
                               (long long)c->num_output_maps);
      if (c->groups < 1)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "groups %lld must be positive", (long long)c->groups);
      INGOT_TRY(check_spatial(node, c->nb_spatial_dims, c->kernel_size, "kernel_size", 1));
      INGOT_TRY(check_spatial(node, c->nb_spatial_dims, c->stride, "stride", 1));
      INGOT_TRY(check_spatial(node, c->nb_spatial_dims, c->dilation, "dilation", 1));
      INGOT_TRY(check_spatial(node, c->nb_spatial_dims, c->pre_padding, "pre_padding", 0));
      INGOT_TRY(check_spatial(node, c->nb_spatial_dims, c->post_padding, "post_padding", 0));
      INGOT_TRY(check_spatial(node, c->nb_spatial_dims, c->output_padding, "output_padding", 0));
      INGOT_TRY(check_epilogue(node, &c->epilogue));
      if (c->has_bias != 0 && c->has_bias != 1)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "has_bias must be 0 or 1");
      return check_input_count(node, 2 + c->has_bias + c->epilogue.has_residual,
                               2 + c->has_bias + c->epilogue.has_residual);
    }
    case INGOT_OP_POOLING: {
      const ingot_pooling_params *c = &p->pooling;
      if (!in_range(c->type, 0, 2))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "pooling type %d out of range", c->type);
      /* global pooling may leave the spatial rank to the input (0 = every dim after C) */
      if (c->nb_spatial_dims < (c->global ? 0 : 1) || c->nb_spatial_dims > INGOT_MAX_SPATIAL_DIMS)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "nb_spatial_dims %d out of range [1, %d]",
                               c->nb_spatial_dims, INGOT_MAX_SPATIAL_DIMS);
      if (!in_range(c->padding_mode, 0, 4))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "padding mode %d out of range", c->padding_mode);
      if (!c->global) {
        INGOT_TRY(check_spatial(node, c->nb_spatial_dims, c->window_size, "window_size", 1));
        INGOT_TRY(check_spatial(node, c->nb_spatial_dims, c->stride, "stride", 1));
        INGOT_TRY(check_spatial(node, c->nb_spatial_dims, c->dilation, "dilation", 1));
        INGOT_TRY(check_spatial(node, c->nb_spatial_dims, c->pre_padding, "pre_padding", 0));
        INGOT_TRY(check_spatial(node, c->nb_spatial_dims, c->post_padding, "post_padding", 0));
      }
      return check_input_count(node, 1, 1);
    }
    case INGOT_OP_ACTIVATION:
      if (!in_range(p->activation.type, 0, INGOT_ACTIVATION_TYPE_COUNT))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "activation type %d out of range", p->activation.type);
      return check_input_count(node, 1, 1);
    case INGOT_OP_PARAMETRIC_RELU: return check_input_count(node, 2, 2);
    case INGOT_OP_MATRIX_MULTIPLY:
      if (!in_range(p->matmul.op_a, 0, 3) || !in_range(p->matmul.op_b, 0, 3))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "matrix operation (%d, %d) out of range", p->matmul.op_a,
                               p->matmul.op_b);
      INGOT_TRY(check_epilogue(node, &p->matmul.epilogue));
      if (p->matmul.has_bias != 0 && p->matmul.has_bias != 1)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "has_bias must be 0 or 1");
      return check_input_count(node, 2 + p->matmul.has_bias + p->matmul.epilogue.has_residual,
                               2 + p->matmul.has_bias + p->matmul.epilogue.has_residual);
    case INGOT_OP_FULLY_CONNECTED:
      if (p->fc.num_outputs < 1)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "num_outputs %lld must be positive",
                               (long long)p->fc.num_outputs);
      INGOT_TRY(check_epilogue(node, &p->fc.epilogue));
      if (p->fc.has_bias != 0 && p->fc.has_bias != 1)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "has_bias must be 0 or 1");
      return check_input_count(node, 2 + p->fc.has_bias + p->fc.epilogue.has_residual,
                               2 + p->fc.has_bias + p->fc.epilogue.has_residual);
    case INGOT_OP_SOFTMAX:
      if (p->softmax.log != 0 && p->softmax.log != 1)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "log flag must be 0 or 1");
      return check_input_count(node, 1, 1);
    case INGOT_OP_ELEMENTWISE:
      if (!in_range(p->elementwise.op, 0, INGOT_ELEMENTWISE_OP_COUNT))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "elementwise operation %d out of range",
                               p->elementwise.op);
      return check_input_count(node, 2, 2);
    case INGOT_OP_UNARY:
      if (!in_range(p->unary.op, 0, INGOT_UNARY_OP_COUNT))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "unary operation %d out of range", p->unary.op);
      return check_input_count(node, 1, 1);
    case INGOT_OP_SCALE:
      if (!in_range(p->scale.mode, 0, 3))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "scale mode %d out of range", p->scale.mode);
      return check_input_count(node, 4, 4);
    case INGOT_OP_CONCATENATION: return check_input_count(node, 1, 1 << 20);
    case INGOT_OP_SHUFFLE: {
      const ingot_shuffle_params *s = &p->shuffle;
      for (int i = 0; i < INGOT_MAX_DIMS; i++)
        if (!in_range(s->first_transpose[i], 0, INGOT_MAX_DIMS) || !in_range(s->second_transpose[i], 0, INGOT_MAX_DIMS))
          return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "permutation entry %d out of range [0, 8)", i);
      INGOT_TRY(check_dims_field(node, &s->reshape_dims, "reshape dims"));
      return check_input_count(node, 1, 2);
    }
    case INGOT_OP_REDUCE:
      if (!in_range(p->reduce.op, 0, INGOT_REDUCE_OP_COUNT))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "reduce operation %d out of range", p->reduce.op);
      if (p->reduce.axes_mask >> INGOT_MAX_DIMS)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "axes mask 0x%x names dims beyond 8",
                               (unsigned)p->reduce.axes_mask);
      return check_input_count(node, 1, 1);
    case INGOT_OP_CONSTANT: return check_input_count(node, 0, 0);
    case INGOT_OP_IDENTITY: return check_input_count(node, 1, 1);
    case INGOT_OP_CAST:
      if (!in_range(p->cast.to, 0, INGOT_DTYPE_COUNT))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "cast target dtype %d out of range", p->cast.to);
      return check_input_count(node, 1, 1);
    case INGOT_OP_SLICE:
      INGOT_TRY(check_dims_field(node, &p->slice.start, "slice start"));
      INGOT_TRY(check_dims_field(node, &p->slice.size, "slice size"));
      INGOT_TRY(check_dims_field(node, &p->slice.stride, "slice stride"));
      return check_input_count(node, 1, 4);
    case INGOT_OP_GATHER: return check_input_count(node, 2, 2);
    case INGOT_OP_SELECT: return check_input_count(node, 3, 3);
    case INGOT_OP_BATCH_NORMALIZATION:
      if (!(p->batchnorm.epsilon >= 0.0f) || isinf(p->batchnorm.epsilon))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "epsilon %g must be finite and >= 0",
                               (double)p->batchnorm.epsilon);
      return check_input_count(node, 5, 5);
    case INGOT_OP_LAYER_NORMALIZATION:
      if (!(p->layernorm.epsilon >= 0.0f) || isinf(p->layernorm.epsilon))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "epsilon %g must be finite and >= 0",
                               (double)p->layernorm.epsilon);
      if (p->layernorm.axes_mask == 0 || p->layernorm.axes_mask >> INGOT_MAX_DIMS)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "axes mask 0x%x must name dims 0 to 7",
                               (unsigned)p->layernorm.axes_mask);
      return check_input_count(node, 3, 3);
    case INGOT_OP_RESIZE:
      if (!in_range(p->resize.mode, 0, INGOT_RESIZE_CUBIC + 1) ||
          !in_range(p->resize.coordinate_transform, 0, INGOT_RESIZE_TF_CROP_AND_RESIZE + 1) ||
          !in_range(p->resize.nearest_rounding, 0, 4))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "resize mode, coordinate transform or rounding out of range");
      if (!isfinite(p->resize.cubic_coeff_a) || !isfinite(p->resize.extrapolation_value))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "resize cubic_coeff_a or extrapolation_value not finite");
      if (p->resize.nb_scales < 0 || p->resize.nb_scales > INGOT_MAX_DIMS)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%d scales, at most 8", p->resize.nb_scales);
      INGOT_TRY(check_dims_field(node, &p->resize.output_dims, "resize output dims"));
      return check_input_count(node, 1, 2);
    case INGOT_OP_PADDING:
      if (!in_range(p->padding.mode, 0, 4))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "pad mode %d out of range", p->padding.mode);
      if (p->padding.nb_dims < 0 || p->padding.nb_dims > INGOT_MAX_DIMS)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "padding rank %d out of range", p->padding.nb_dims);
      return check_input_count(node, 1, 2);
    case INGOT_OP_TOPK:
      if (!in_range(p->topk.op, 0, 2))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "top-k operation %d out of range", p->topk.op);
      if (p->topk.k < 0) return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "k = %lld is negative", (long long)p->topk.k);
      return check_input_count(node, 1, 1);
    case INGOT_OP_SHAPE: return check_input_count(node, 1, 1);
    case INGOT_OP_FILL:
      if (!in_range(p->fill.dtype, 0, INGOT_DTYPE_COUNT))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "fill dtype %d out of range", p->fill.dtype);
      return check_input_count(node, 1, 1);
    case INGOT_OP_RANGE: return check_input_count(node, 3, 3);
    case INGOT_OP_GATHER_ELEMENTS:
    case INGOT_OP_GATHER_ND: return check_input_count(node, 2, 2);
    case INGOT_OP_SCATTER:
      if (!in_range(p->scatter.mode, 0, 2) || !in_range(p->scatter.reduction, 0, 5))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "scatter mode %d or reduction %d out of range",
                               p->scatter.mode, p->scatter.reduction);
      return check_input_count(node, 3, 3);
    case INGOT_OP_CUMULATIVE:
      if ((p->cumulative.exclusive & ~1) || (p->cumulative.reverse & ~1))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "exclusive and reverse must be 0 or 1");
      return check_input_count(node, 1, 1);
    case INGOT_OP_EXPAND:
    case INGOT_OP_TILE: return check_input_count(node, 2, 2);
    case INGOT_OP_QUANTIZE:
      if (p->quantize.output_dtype != INGOT_INT8 && p->quantize.output_dtype != INGOT_UINT8)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "quantize output dtype must be int8 or uint8");
      return check_input_count(node, 3, 3);
    case INGOT_OP_DEQUANTIZE: return check_input_count(node, 3, 3);
    case INGOT_OP_EINSUM:
      if (memchr(p->einsum.equation, '\0', sizeof p->einsum.equation) == NULL)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "einsum equation is not NUL-terminated");
      return check_input_count(node, 1, 2);
    case INGOT_OP_RNN: return ingot_rnn_validate_params(node);
    case INGOT_OP_NON_ZERO: return check_input_count(node, 1, 1);
    case INGOT_OP_NON_MAX_SUPPRESSION:
      if (p->nms.center_point_box & ~1)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "center_point_box must be 0 or 1");
      return check_input_count(node, 2, 5);
    case INGOT_OP_COMPRESS:
      if (p->compress.has_axis & ~1) return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "has_axis must be 0 or 1");
      return check_input_count(node, 2, 2);
    case INGOT_OP_UNIQUE:
      if ((p->unique.sorted | p->unique.has_axis) & ~1)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "sorted and has_axis must be 0 or 1");
      return check_input_count(node, 1, 1);
    case INGOT_OP_PLUGIN:
      if (!node->plugin) return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "plugin layer without its plugin record");
      if (p->plugin.nb_outputs < 1 || p->plugin.nb_outputs > INGOT_MAX_OUTPUTS)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%d outputs, expected 1 to %d", p->plugin.nb_outputs,
                               INGOT_MAX_OUTPUTS);
      return check_input_count(node, 1, 32); /* INGOT_PLUGIN_MAX_INPUTS */
    case INGOT_OP_ATTENTION:
      return ingot_attention_validate_params(node);
    case INGOT_OP_COUNT: break;
  }
  return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "unknown op kind");
}
