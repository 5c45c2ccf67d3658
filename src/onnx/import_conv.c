/* ONNX importers of the conv family: Conv, ConvTranspose, pooling, BatchNormalization,
 * Instance/Layer/Group normalization, LRN, Resize and Upsample. Windowed ops share one
 * reader of kernel_shape/strides/dilations/pads/auto_pad; normalizations that ingot has no
 * layer for are composed from layer normalization, shuffles and elementwise layers. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/dims.h"
#include "onnx/import_helpers.h"

#define TRY INGOT_ONNX_TRY

static ingot_status input(ingot_onnx_node *node, int32_t i, ingot_tensor **t) {
  return ingot_onnx_input_tensor(node, i, t);
}

static ingot_status output(ingot_onnx_node *node, ingot_tensor *t) { return ingot_onnx_set_output(node, 0, t); }

static ingot_dtype input_dtype(ingot_onnx_node *node, int32_t i) {
  const ingot_onnx_value *v = ingot_onnx_input(node, i);
  return v ? v->dtype : INGOT_FLOAT32;
}

static ingot_status name_and_output(ingot_onnx_node *n, ingot_status st, ingot_layer *layer, const char *what) {
  TRY(ingot_onnx_check(n, st, what));
  ingot_onnx_name_layer(n, layer);
  return output(n, ingot_layer_get_output(layer, 0));
}

/* ---- window attributes ------------------------------------------------------------------------ */

typedef struct window_attrs {
  int32_t ns; /* spatial dims */
  int64_t kernel[INGOT_MAX_SPATIAL_DIMS], stride[INGOT_MAX_SPATIAL_DIMS], dilation[INGOT_MAX_SPATIAL_DIMS];
  int64_t pre[INGOT_MAX_SPATIAL_DIMS], post[INGOT_MAX_SPATIAL_DIMS];
  ingot_padding_mode mode;
  bool same_upper; /* auto_pad SAME_UPPER: ConvTranspose's output_shape pads follow it */
} window_attrs;

/* Reads an ints attribute of `expected` values (or `fill` everywhere when absent). */
static ingot_status spatial_attr(ingot_onnx_node *n, const char *name, int32_t expected, int64_t fill,
                                 int64_t *values) {
  int64_t v[2 * INGOT_MAX_SPATIAL_DIMS];
  int32_t count = -1;
  ingot_onnx_attr_ints(n, name, v, 2 * INGOT_MAX_SPATIAL_DIMS, &count);
  if (count < 0) {
    for (int32_t i = 0; i < expected; i++) values[i] = fill;
    return INGOT_SUCCESS;
  }
  if (count != expected)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute %s holds %d values, expected %d", name, count,
                           expected);
  for (int32_t i = 0; i < expected; i++) values[i] = v[i];
  return INGOT_SUCCESS;
}

/* kernel_shape (when `kernel_from` is NULL it is required), strides, dilations, pads and
 * auto_pad of a windowed op with `ns` spatial dims. */
static ingot_status read_window(ingot_onnx_node *n, int32_t ns, const int64_t *kernel_from, window_attrs *w) {
  memset(w, 0, sizeof *w);
  if (ns < 1 || ns > INGOT_MAX_SPATIAL_DIMS)
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "has %d spatial dims, expected 1 to %d", ns, INGOT_MAX_SPATIAL_DIMS);
  w->ns = ns;
  if (!kernel_from && !ingot_onnx_has_attr(n, "kernel_shape"))
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute kernel_shape is missing");
  if (ingot_onnx_has_attr(n, "kernel_shape")) {
    TRY(spatial_attr(n, "kernel_shape", ns, 1, w->kernel));
    for (int32_t i = 0; kernel_from && i < ns; i++)
      if (kernel_from[i] >= 0 && kernel_from[i] != w->kernel[i])
        return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT,
                               "attribute kernel_shape[%d] is %lld but the weights give %lld", i,
                               (long long)w->kernel[i], (long long)kernel_from[i]);
  } else {
    for (int32_t i = 0; i < ns; i++) w->kernel[i] = kernel_from[i];
  }
  for (int32_t i = 0; i < ns; i++)
    if (w->kernel[i] < 1)
      return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "kernel size %lld in spatial dim %d, expected >= 1",
                             (long long)w->kernel[i], i);
  TRY(spatial_attr(n, "strides", ns, 1, w->stride));
  TRY(spatial_attr(n, "dilations", ns, 1, w->dilation));
  int64_t pads[2 * INGOT_MAX_SPATIAL_DIMS];
  TRY(spatial_attr(n, "pads", 2 * ns, 0, pads));
  for (int32_t i = 0; i < ns; i++) {
    w->pre[i] = pads[i];
    w->post[i] = pads[ns + i];
    if (w->stride[i] < 1 || w->dilation[i] < 1 || w->pre[i] < 0 || w->post[i] < 0)
      return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT,
                             "spatial dim %d has stride %lld, dilation %lld, pads %lld/%lld: expected strides and "
                             "dilations >= 1, pads >= 0",
                             i, (long long)w->stride[i], (long long)w->dilation[i], (long long)w->pre[i],
                             (long long)w->post[i]);
  }
  const char *auto_pad = ingot_onnx_attr_string(n, "auto_pad", "NOTSET");
  if (strcmp(auto_pad, "NOTSET") == 0 || auto_pad[0] == '\0') {
    w->mode = INGOT_PADDING_EXPLICIT;
  } else if (strcmp(auto_pad, "SAME_UPPER") == 0) {
    w->mode = INGOT_PADDING_SAME_UPPER;
    w->same_upper = true;
  } else if (strcmp(auto_pad, "SAME_LOWER") == 0) {
    w->mode = INGOT_PADDING_SAME_LOWER;
  } else if (strcmp(auto_pad, "VALID") == 0) {
    w->mode = INGOT_PADDING_VALID;
  } else {
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT,
                           "attribute auto_pad is '%s', expected NOTSET, SAME_UPPER, SAME_LOWER or VALID", auto_pad);
  }
  if (w->mode != INGOT_PADDING_EXPLICIT)
    for (int32_t i = 0; i < ns; i++) w->pre[i] = w->post[i] = 0;
  return INGOT_SUCCESS;
}

static void window_to_conv(const window_attrs *w, ingot_convolution_desc *d) {
  d->nb_spatial_dims = w->ns;
  d->padding_mode = w->mode;
  for (int32_t i = 0; i < w->ns; i++) {
    d->kernel_size[i] = w->kernel[i];
    d->stride[i] = w->stride[i];
    d->dilation[i] = w->dilation[i];
    d->pre_padding[i] = w->pre[i];
    d->post_padding[i] = w->post[i];
  }
}

/* ---- Conv and ConvTranspose ------------------------------------------------------------------- */

/* The weights (input 1) and optional bias (input 2) of a convolution: constants go into the
 * descriptor; tensors are set as layer inputs after the layer exists (TensorRT's setInput),
 * the descriptor then holding zeros of the right count. */
typedef struct conv_inputs {
  const ingot_onnx_value *w, *b;
  float *dummy; /* zero kernel for a weights tensor */
} conv_inputs;

static ingot_status conv_weights(ingot_onnx_node *n, conv_inputs *ci, ingot_convolution_desc *d) {
  ci->dummy = NULL;
  if (ci->w->is_constant && ci->w->data) {
    d->kernel_weights = ingot_onnx_value_weights(ci->w);
  } else {
    int64_t count = ingot_dims_volume(&ci->w->dims);
    if (count <= 0)
      return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "input 1 (W) is a tensor whose dims must be known, found rank %d",
                             ci->w->dims.nb_dims);
    ci->dummy = calloc((size_t)count, sizeof *ci->dummy);
    if (!ci->dummy) return ingot_onnx_fail(n, INGOT_OUT_OF_MEMORY, "out of memory for %lld weights", (long long)count);
    d->kernel_weights = (ingot_weights){INGOT_FLOAT32, ci->dummy, count};
  }
  if (ci->b && ci->b->is_constant && ci->b->data) d->bias_weights = ingot_onnx_value_weights(ci->b);
  return INGOT_SUCCESS;
}

static ingot_status conv_set_tensor_inputs(ingot_onnx_node *n, conv_inputs *ci, ingot_layer *layer) {
  if (!(ci->w->is_constant && ci->w->data)) {
    ingot_tensor *wt;
    TRY(input(n, 1, &wt));
    TRY(ingot_onnx_check(n, ingot_layer_set_input(layer, 1, wt), "setting input 1 (W) of the convolution"));
  }
  if (ci->b && !(ci->b->is_constant && ci->b->data)) {
    ingot_tensor *bt;
    TRY(input(n, 2, &bt));
    TRY(ingot_onnx_check(n, ingot_layer_set_input(layer, 2, bt), "setting input 2 (B) of the convolution"));
  }
  return INGOT_SUCCESS;
}

static ingot_status conv_common(ingot_onnx_node *n, bool transpose) {
  conv_inputs ci = {ingot_onnx_input(n, 1), ingot_onnx_input(n, 2), NULL};
  if (!ci.w) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 1 (W) is missing");
  if (ci.w->dims.nb_dims < 3)
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "input 1 (W) has rank %d, expected 3 or more ([M, C/group, k...])",
                           ci.w->dims.nb_dims);
  int32_t ns = ci.w->dims.nb_dims - 2;
  window_attrs w;
  TRY(read_window(n, ns, ci.w->dims.d + 2, &w));
  int64_t group = ingot_onnx_attr_int(n, "group", 1);
  if (group < 1) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute group is %lld, expected >= 1", (long long)group);
  ingot_convolution_desc d;
  memset(&d, 0, sizeof d);
  window_to_conv(&w, &d);
  d.groups = group;
  d.num_output_maps = transpose ? ci.w->dims.d[1] * group : ci.w->dims.d[0];
  if (d.num_output_maps < 1)
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "the output channel count is unknown from input 1 (W)");
  ingot_tensor *x;
  TRY(input(n, 0, &x));

  if (transpose) {
    TRY(spatial_attr(n, "output_padding", ns, 0, d.output_padding));
    int64_t out_shape[INGOT_MAX_DIMS + 2];
    int32_t out_count = -1;
    ingot_onnx_attr_ints(n, "output_shape", out_shape, INGOT_MAX_DIMS + 2, &out_count);
    /* auto_pad SAME_*: ingot's SAME modes are ONNX ConvTranspose's (output = input * stride,
     * SAME_UPPER puts the odd cell at the end), already in d. output_shape: explicit pads,
     * distributed as the spec and onnxruntime do (the odd cell at the end for SAME_UPPER,
     * at the start otherwise). */
    if (out_count >= 0) {
      if (out_count != ns && out_count != ns + 2)
        return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute output_shape holds %d values, expected %d",
                               out_count, ns);
      ingot_dims xd = ingot_onnx_input_dims(n, 0);
      bool spatial_known = xd.nb_dims == ns + 2;
      for (int32_t i = 0; spatial_known && i < ns; i++) spatial_known = xd.d[2 + i] >= 0;
      if (!spatial_known)
        return ingot_onnx_fail(n, INGOT_UNSUPPORTED,
                               "attribute output_shape needs the input's spatial dims, which are not known");
      d.padding_mode = INGOT_PADDING_EXPLICIT;
      for (int32_t i = 0; i < ns; i++) {
        int64_t in = xd.d[2 + i], want = out_shape[out_count == ns ? i : i + 2];
        int64_t full = w.stride[i] * (in - 1) + d.output_padding[i] + (w.kernel[i] - 1) * w.dilation[i] + 1;
        int64_t total = full - want;
        if (total < 0) {
          /* A larger output than the full one: the extra cells at the end get no input, as
           * output_padding's (the ONNX reference pads negatively at the end). */
          d.output_padding[i] -= total;
          continue;
        }
        d.pre_padding[i] = w.same_upper ? total / 2 : total - total / 2;
        d.post_padding[i] = total - d.pre_padding[i];
      }
    }
  }

  TRY(conv_weights(n, &ci, &d));
  ingot_layer *layer = NULL;
  ingot_network *net = ingot_onnx_node_network(n);
  ingot_status st = transpose ? ingot_network_add_deconvolution(net, x, &d, &layer)
                              : ingot_network_add_convolution(net, x, &d, &layer);
  free(ci.dummy);
  TRY(ingot_onnx_check(n, st, transpose ? "adding a deconvolution" : "adding a convolution"));
  ingot_onnx_name_layer(n, layer);
  TRY(conv_set_tensor_inputs(n, &ci, layer));
  return output(n, ingot_layer_get_output(layer, 0));
}

static ingot_status import_conv(ingot_onnx_node *n) { return conv_common(n, false); }
static ingot_status import_conv_transpose(ingot_onnx_node *n) { return conv_common(n, true); }

/* ---- pooling ---------------------------------------------------------------------------------- */

static ingot_status pool_common(ingot_onnx_node *n, ingot_pooling_type type) {
  /* The spatial rank comes from kernel_shape, so an input of unknown rank is fine. */
  int64_t kernel[2 * INGOT_MAX_SPATIAL_DIMS];
  int32_t ns = -1;
  ingot_onnx_attr_ints(n, "kernel_shape", kernel, 2 * INGOT_MAX_SPATIAL_DIMS, &ns);
  if (ns < 0) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute kernel_shape is missing");
  int32_t rank = ingot_onnx_input_rank_or_unknown(n, 0);
  if (rank >= 0 && rank != ns + 2)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute kernel_shape holds %d values for an input of rank %d",
                           ns, rank);
  if (type == INGOT_POOLING_MAX) {
    if (ingot_onnx_node_num_outputs(n) > 1)
      return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "output 1 (Indices) is not supported");
    int64_t order = ingot_onnx_attr_int(n, "storage_order", 0);
    if (order != 0)
      return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "attribute storage_order is %lld, only 0 is supported",
                             (long long)order);
  }
  window_attrs w;
  TRY(read_window(n, ns, NULL, &w));
  ingot_pooling_desc d;
  memset(&d, 0, sizeof d);
  d.type = type;
  d.nb_spatial_dims = w.ns;
  d.padding_mode = w.mode;
  for (int32_t i = 0; i < w.ns; i++) {
    d.window_size[i] = w.kernel[i];
    d.stride[i] = w.stride[i];
    d.dilation[i] = w.dilation[i];
    d.pre_padding[i] = w.pre[i];
    d.post_padding[i] = w.post[i];
  }
  d.ceil_mode = ingot_onnx_attr_int(n, "ceil_mode", 0) != 0;
  d.average_count_excludes_padding = ingot_onnx_attr_int(n, "count_include_pad", 0) == 0;
  ingot_tensor *x, *y;
  TRY(input(n, 0, &x));
  /* 8-bit max pooling runs in float32: every int8/uint8 value is exact there. */
  ingot_dtype dt = input_dtype(n, 0);
  bool via_float = type == INGOT_POOLING_MAX && (dt == INGOT_INT8 || dt == INGOT_UINT8);
  if (via_float) TRY(ingot_onnx_add_cast(n, x, INGOT_FLOAT32, &x));
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_pooling(ingot_onnx_node_network(n), x, &d, &layer),
                       "adding a pooling layer"));
  ingot_onnx_name_layer(n, layer);
  y = ingot_layer_get_output(layer, 0);
  if (via_float) TRY(ingot_onnx_add_cast(n, y, dt, &y));
  return output(n, y);
}

static ingot_status import_max_pool(ingot_onnx_node *n) { return pool_common(n, INGOT_POOLING_MAX); }
static ingot_status import_average_pool(ingot_onnx_node *n) { return pool_common(n, INGOT_POOLING_AVERAGE); }

/* LpPool: (sum over the window of |x|^p)^(1/p), padded cells counting as zeros: an average
 * pool that counts the padding, times the window volume, inside one scale layer's power. */
static ingot_status import_lp_pool(ingot_onnx_node *n) {
  int64_t p = ingot_onnx_attr_int(n, "p", 2);
  if (p < 1) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute p is %lld, expected >= 1", (long long)p);
  int64_t kernel[2 * INGOT_MAX_SPATIAL_DIMS];
  int32_t ns = -1;
  ingot_onnx_attr_ints(n, "kernel_shape", kernel, 2 * INGOT_MAX_SPATIAL_DIMS, &ns);
  if (ns < 0) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute kernel_shape is missing");
  window_attrs w;
  TRY(read_window(n, ns, NULL, &w));
  ingot_pooling_desc d;
  memset(&d, 0, sizeof d);
  d.type = INGOT_POOLING_AVERAGE;
  d.nb_spatial_dims = w.ns;
  d.padding_mode = w.mode;
  float volume = 1.0f;
  for (int32_t i = 0; i < w.ns; i++) {
    d.window_size[i] = w.kernel[i];
    d.stride[i] = w.stride[i];
    d.dilation[i] = w.dilation[i];
    d.pre_padding[i] = w.pre[i];
    d.post_padding[i] = w.post[i];
    volume *= (float)w.kernel[i];
  }
  d.ceil_mode = ingot_onnx_attr_int(n, "ceil_mode", 0) != 0;
  d.average_count_excludes_padding = 0;
  ingot_network *net = ingot_onnx_node_network(n);
  ingot_tensor *x, *t;
  TRY(input(n, 0, &x));
  TRY(ingot_onnx_add_unary(n, x, INGOT_UNARY_ABS, &t));
  ingot_layer *layer = NULL;
  float pf = (float)p, inv = 1.0f / (float)p;
  if (p != 1) {
    ingot_weights none = {INGOT_FLOAT32, NULL, 0}, pw = {INGOT_FLOAT32, &pf, 1};
    TRY(ingot_onnx_check(n, ingot_network_add_scale(net, t, INGOT_SCALE_UNIFORM, none, none, pw, 1, &layer),
                         "adding |x|^p (scale)"));
    ingot_onnx_name_layer(n, layer);
    t = ingot_layer_get_output(layer, 0);
  }
  TRY(ingot_onnx_check(n, ingot_network_add_pooling(net, t, &d, &layer), "adding the window sum (average pooling)"));
  ingot_onnx_name_layer(n, layer);
  t = ingot_layer_get_output(layer, 0);
  ingot_weights none = {INGOT_FLOAT32, NULL, 0}, sw = {INGOT_FLOAT32, &volume, 1};
  ingot_weights pw = p != 1 ? (ingot_weights){INGOT_FLOAT32, &inv, 1} : none;
  ingot_status st = ingot_network_add_scale(net, t, INGOT_SCALE_UNIFORM, none, sw, pw, 1, &layer);
  return name_and_output(n, st, layer, "adding (volume * average)^(1/p) (scale)");
}

static ingot_status global_pool(ingot_onnx_node *n, ingot_pooling_type type) {
  ingot_dims xd = ingot_onnx_input_dims(n, 0);
  ingot_pooling_desc d;
  memset(&d, 0, sizeof d);
  d.type = type;
  d.global = 1;
  /* Unknown rank: 0 leaves the spatial rank to the input at build time. */
  d.nb_spatial_dims = xd.nb_dims >= 3 ? xd.nb_dims - 2 : 0;
  if (xd.nb_dims >= 0 && xd.nb_dims < 3)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 has rank %d, expected [N, C, spatial...]", xd.nb_dims);
  ingot_tensor *x;
  TRY(input(n, 0, &x));
  ingot_layer *layer = NULL;
  ingot_status st = ingot_network_add_pooling(ingot_onnx_node_network(n), x, &d, &layer);
  return name_and_output(n, st, layer, "adding a global pooling layer");
}

static ingot_status import_global_average_pool(ingot_onnx_node *n) { return global_pool(n, INGOT_POOLING_AVERAGE); }
static ingot_status import_global_max_pool(ingot_onnx_node *n) { return global_pool(n, INGOT_POOLING_MAX); }

/* ---- normalization ---------------------------------------------------------------------------- */

/* Input i, a per-channel vector [C], as a tensor [C, 1, ...] of rank `rank` - 1 so that it
 * broadcasts against [N, C, spatial...] of rank `rank`. */
static ingot_status per_channel(ingot_onnx_node *n, int32_t i, int32_t rank, ingot_dtype dtype, ingot_tensor **out) {
  const ingot_onnx_value *v = ingot_onnx_input(n, i);
  if (!v) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input %d is missing", i);
  if (v->is_constant && v->data && v->dims.nb_dims <= 1 && v->dtype == dtype) {
    ingot_dims d;
    memset(&d, 0, sizeof d);
    d.nb_dims = rank - 1;
    d.d[0] = ingot_onnx_value_count(v);
    for (int32_t k = 1; k < rank - 1; k++) d.d[k] = 1;
    return ingot_onnx_add_constant(n, dtype, &d, v->data, out);
  }
  ingot_dims vd = ingot_onnx_input_dims(n, i);
  if (vd.nb_dims != 1)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input %d has rank %d, expected 1 (one value per channel)", i,
                           vd.nb_dims);
  ingot_tensor *t;
  TRY(input(n, i, &t));
  if (v->dtype != dtype) TRY(ingot_onnx_add_cast(n, t, dtype, &t));
  return ingot_onnx_unsqueeze(n, t, 1, 0, rank - 1, out);
}

static bool constant_float(const ingot_onnx_value *v) {
  return v && v->is_constant && v->data && ingot_dtype_is_float(v->dtype);
}

/* BatchNormalization (inference): constant statistics give one batch normalization layer;
 * computed ones are composed: (x - mean) / sqrt(var + eps) * scale + B, per channel. */
/* BatchNormalization with training_mode=1 (opset 14+): normalized by the batch's own mean
 * and (population) variance over every dim but 1; outputs 1 and 2 are the running mean and
 * variance updated with `momentum`, as the ONNX spec computes them. */
static ingot_status batch_norm_training(ingot_onnx_node *n, float eps) {
  int32_t rank;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  if (rank < 2) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 has rank %d, expected [N, C, ...]", rank);
  uint32_t mask = ((1u << rank) - 1) & ~2u;
  ingot_dtype dt = input_dtype(n, 0);
  ingot_tensor *x, *mean, *d, *var, *scale, *bias, *e, *t, *y;
  TRY(input(n, 0, &x));
  TRY(ingot_onnx_add_reduce(n, x, INGOT_REDUCE_MEAN, mask, true, &mean));
  TRY(ingot_onnx_add_elementwise(n, x, mean, INGOT_ELEMENTWISE_SUB, &d));
  TRY(ingot_onnx_add_elementwise(n, d, d, INGOT_ELEMENTWISE_PROD, &var));
  TRY(ingot_onnx_add_reduce(n, var, INGOT_REDUCE_MEAN, mask, true, &var));
  TRY(per_channel(n, 1, rank, dt, &scale));
  TRY(per_channel(n, 2, rank, dt, &bias));
  TRY(ingot_onnx_add_scalar(n, dt, eps, 0, &e));
  TRY(ingot_onnx_add_elementwise(n, var, e, INGOT_ELEMENTWISE_SUM, &t));
  TRY(ingot_onnx_add_unary(n, t, INGOT_UNARY_SQRT, &t));
  TRY(ingot_onnx_add_elementwise(n, d, t, INGOT_ELEMENTWISE_DIV, &y));
  TRY(ingot_onnx_add_elementwise(n, y, scale, INGOT_ELEMENTWISE_PROD, &y));
  TRY(ingot_onnx_add_elementwise(n, y, bias, INGOT_ELEMENTWISE_SUM, &y));
  float momentum = ingot_onnx_attr_float(n, "momentum", 0.9f);
  ingot_tensor *batch[2] = {mean, var};
  for (int32_t k = 1; k <= 2 && k < ingot_onnx_node_num_outputs(n); k++) {
    ingot_tensor *running, *m, *b, *r;
    ingot_dims flat = {1, {-1}};
    TRY(input(n, 2 + k, &running));
    if (ingot_onnx_input(n, 2 + k)->dtype != dt) TRY(ingot_onnx_add_cast(n, running, dt, &running));
    TRY(ingot_onnx_reshape(n, batch[k - 1], &flat, false, &b));
    TRY(ingot_onnx_add_scalar(n, dt, momentum, 0, &m));
    TRY(ingot_onnx_add_elementwise(n, running, m, INGOT_ELEMENTWISE_PROD, &r));
    TRY(ingot_onnx_add_scalar(n, dt, 1.0 - (double)momentum, 0, &m));
    TRY(ingot_onnx_add_elementwise(n, b, m, INGOT_ELEMENTWISE_PROD, &b));
    TRY(ingot_onnx_add_elementwise(n, r, b, INGOT_ELEMENTWISE_SUM, &r));
    TRY(ingot_onnx_set_output(n, k, r));
  }
  return output(n, y);
}

static ingot_status import_batch_norm(ingot_onnx_node *n) {
  int64_t training = ingot_onnx_attr_int(n, "training_mode", 0);
  if (training != 0 && training != 1)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute training_mode is %lld, expected 0 or 1",
                           (long long)training);
  if (training) return batch_norm_training(n, ingot_onnx_attr_float(n, "epsilon", 1e-5f));
  if (ingot_onnx_node_opset(n) < 9 && ingot_onnx_attr_int(n, "spatial", 1) == 0)
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "attribute spatial is 0: only per-channel statistics are supported");
  float eps = ingot_onnx_attr_float(n, "epsilon", 1e-5f);
  const ingot_onnx_value *v[4];
  bool all_constant = true;
  for (int32_t i = 0; i < 4; i++) {
    v[i] = ingot_onnx_input(n, 1 + i);
    if (!v[i]) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input %d is missing", 1 + i);
    all_constant &= constant_float(v[i]) && v[i]->dtype == v[0]->dtype;
  }
  ingot_tensor *x, *y;
  TRY(input(n, 0, &x));
  if (all_constant) {
    ingot_layer *layer = NULL;
    ingot_status st = ingot_network_add_batch_normalization(
        ingot_onnx_node_network(n), x, ingot_onnx_value_weights(v[0]), ingot_onnx_value_weights(v[1]),
        ingot_onnx_value_weights(v[2]), ingot_onnx_value_weights(v[3]), eps, &layer);
    return name_and_output(n, st, layer, "adding a batch normalization");
  }
  int32_t rank;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  if (rank < 2) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 has rank %d, expected [N, C, ...]", rank);
  ingot_dtype dt = input_dtype(n, 0);
  ingot_tensor *scale, *bias, *mean, *var, *e, *t;
  TRY(per_channel(n, 1, rank, dt, &scale));
  TRY(per_channel(n, 2, rank, dt, &bias));
  TRY(per_channel(n, 3, rank, dt, &mean));
  TRY(per_channel(n, 4, rank, dt, &var));
  TRY(ingot_onnx_add_scalar(n, dt, eps, 0, &e));
  TRY(ingot_onnx_add_elementwise(n, var, e, INGOT_ELEMENTWISE_SUM, &t));
  TRY(ingot_onnx_add_unary(n, t, INGOT_UNARY_SQRT, &t));
  TRY(ingot_onnx_add_elementwise(n, scale, t, INGOT_ELEMENTWISE_DIV, &t)); /* scale / sqrt(var + eps) */
  TRY(ingot_onnx_add_elementwise(n, x, mean, INGOT_ELEMENTWISE_SUB, &y));
  TRY(ingot_onnx_add_elementwise(n, y, t, INGOT_ELEMENTWISE_PROD, &y));
  TRY(ingot_onnx_add_elementwise(n, y, bias, INGOT_ELEMENTWISE_SUM, &y));
  return output(n, y);
}

static ingot_status add_layer_norm(ingot_onnx_node *n, ingot_tensor *x, ingot_tensor *scale, ingot_tensor *bias,
                                   uint32_t mask, float eps, ingot_tensor **out) {
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(
      n, ingot_network_add_layer_normalization(ingot_onnx_node_network(n), x, scale, bias, mask, eps, &layer),
      "adding a layer normalization"));
  ingot_onnx_name_layer(n, layer);
  *out = ingot_layer_get_output(layer, 0);
  return INGOT_SUCCESS;
}

static uint32_t trailing_mask(int32_t from, int32_t rank) {
  uint32_t m = 0;
  for (int32_t i = from; i < rank; i++) m |= 1u << i;
  return m;
}

/* InstanceNormalization: layer normalization over the spatial dims, scale and bias [C]
 * reshaped to [C, 1, ...]. */
static ingot_status import_instance_norm(ingot_onnx_node *n) {
  int32_t rank;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  if (rank < 3)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 has rank %d, expected [N, C, spatial...]", rank);
  ingot_dtype dt = input_dtype(n, 0);
  ingot_tensor *x, *scale, *bias, *y;
  TRY(input(n, 0, &x));
  TRY(per_channel(n, 1, rank, dt, &scale));
  TRY(per_channel(n, 2, rank, dt, &bias));
  TRY(add_layer_norm(n, x, scale, bias, trailing_mask(2, rank), ingot_onnx_attr_float(n, "epsilon", 1e-5f), &y));
  return output(n, y);
}

/* LayerNormalization's optional outputs 1 (Mean) and 2 (InvStdDev), float32 (stash_type 1)
 * with the normalized dims kept as 1s: composed from reductions (unused ones are dead code
 * for the builder). */
static ingot_status layer_norm_stats(ingot_onnx_node *n, ingot_tensor *x, uint32_t mask, float eps) {
  int64_t stash = ingot_onnx_attr_int(n, "stash_type", 1);
  if (stash != 1)
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "attribute stash_type is %lld with outputs Mean/InvStdDev: only 1 "
                           "(float32) is supported", (long long)stash);
  ingot_tensor *xf = x, *mean, *d, *var, *e, *inv;
  if (input_dtype(n, 0) != INGOT_FLOAT32) TRY(ingot_onnx_add_cast(n, x, INGOT_FLOAT32, &xf));
  TRY(ingot_onnx_add_reduce(n, xf, INGOT_REDUCE_MEAN, mask, true, &mean));
  TRY(ingot_onnx_set_output(n, 1, mean));
  if (ingot_onnx_node_num_outputs(n) < 3) return INGOT_SUCCESS;
  TRY(ingot_onnx_add_elementwise(n, xf, mean, INGOT_ELEMENTWISE_SUB, &d));
  TRY(ingot_onnx_add_elementwise(n, d, d, INGOT_ELEMENTWISE_PROD, &d));
  TRY(ingot_onnx_add_reduce(n, d, INGOT_REDUCE_MEAN, mask, true, &var));
  TRY(ingot_onnx_add_scalar(n, INGOT_FLOAT32, eps, 0, &e));
  TRY(ingot_onnx_add_elementwise(n, var, e, INGOT_ELEMENTWISE_SUM, &var));
  TRY(ingot_onnx_add_unary(n, var, INGOT_UNARY_SQRT, &inv));
  TRY(ingot_onnx_add_unary(n, inv, INGOT_UNARY_RECIPROCAL, &inv));
  return ingot_onnx_set_output(n, 2, inv);
}

/* LayerNormalization: the dims from `axis` on. */
static ingot_status import_layer_norm(ingot_onnx_node *n) {
  int32_t rank, axis;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  TRY(ingot_onnx_normalize_axis(n, ingot_onnx_attr_int(n, "axis", -1), rank, "attribute axis", &axis));
  ingot_dtype dt = input_dtype(n, 0);
  ingot_tensor *x, *scale, *bias = NULL, *y;
  TRY(input(n, 0, &x));
  TRY(input(n, 1, &scale));
  if (input_dtype(n, 1) != dt) TRY(ingot_onnx_add_cast(n, scale, dt, &scale));
  if (ingot_onnx_input(n, 2)) {
    TRY(input(n, 2, &bias));
    if (input_dtype(n, 2) != dt) TRY(ingot_onnx_add_cast(n, bias, dt, &bias));
  }
  float eps = ingot_onnx_attr_float(n, "epsilon", 1e-5f);
  TRY(add_layer_norm(n, x, scale, bias, trailing_mask(axis, rank), eps, &y));
  TRY(output(n, y));
  if (ingot_onnx_node_num_outputs(n) > 1) TRY(layer_norm_stats(n, x, trailing_mask(axis, rank), eps));
  return INGOT_SUCCESS;
}

/* GroupNormalization: x [N, C, ...] seen as [N, G, C/G * spatial], normalized along its last
 * dim, reshaped back, then scaled and shifted per channel. Opset 18 gives scale and bias
 * per group (each repeated over its C/G channels), opset 21 per channel. */
static ingot_status group_param(ingot_onnx_node *n, int32_t i, int32_t rank, int64_t C, int64_t G, bool per_group,
                                ingot_dtype dt, ingot_tensor **out) {
  if (!per_group) return per_channel(n, i, rank, dt, out);
  const ingot_onnx_value *v = ingot_onnx_input(n, i);
  if (!v) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input %d is missing", i);
  ingot_dims d;
  memset(&d, 0, sizeof d);
  d.nb_dims = rank - 1;
  d.d[0] = C;
  for (int32_t k = 1; k < rank - 1; k++) d.d[k] = 1;
  if (v->is_constant && v->data) {
    if (ingot_onnx_value_count(v) != G)
      return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input %d holds %lld values, expected num_groups = %lld", i,
                             (long long)ingot_onnx_value_count(v), (long long)G);
    unsigned char *data = malloc((size_t)C * 8);
    if (!data) return ingot_onnx_fail(n, INGOT_OUT_OF_MEMORY, "out of memory");
    for (int64_t c = 0; c < C; c++) ingot_store_from_double(data, dt, c, ingot_onnx_value_at(v, c / (C / G)));
    ingot_status st = ingot_onnx_add_constant(n, dt, &d, data, out);
    free(data);
    return st;
  }
  /* [G] -> [G, 1] * ones [1, C/G] -> [G, C/G] -> [C, 1, ...] */
  ingot_tensor *t, *ones;
  TRY(input(n, i, &t));
  if (v->dtype != dt) TRY(ingot_onnx_add_cast(n, t, dt, &t));
  TRY(ingot_onnx_unsqueeze(n, t, 1, 0, 2, &t));
  ingot_dims od;
  memset(&od, 0, sizeof od);
  od.nb_dims = 2;
  od.d[0] = 1;
  od.d[1] = C / G;
  unsigned char *data = malloc((size_t)(C / G) * 8);
  if (!data) return ingot_onnx_fail(n, INGOT_OUT_OF_MEMORY, "out of memory");
  for (int64_t c = 0; c < C / G; c++) ingot_store_from_double(data, dt, c, 1.0);
  ingot_status st = ingot_onnx_add_constant(n, dt, &od, data, &ones);
  free(data);
  TRY(st);
  TRY(ingot_onnx_add_elementwise(n, t, ones, INGOT_ELEMENTWISE_PROD, &t));
  return ingot_onnx_reshape(n, t, &d, false, out);
}

static ingot_status import_group_norm(ingot_onnx_node *n) {
  int64_t G = ingot_onnx_attr_int(n, "num_groups", 0);
  if (G < 1) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute num_groups is %lld, expected >= 1", (long long)G);
  int32_t rank;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  if (rank < 3)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 has rank %d, expected [N, C, spatial...]", rank);
  ingot_dims xd = ingot_onnx_input_dims(n, 0);
  int64_t C = xd.d[1];
  if (C < 1) return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "the channel count (dim 1 of input 0) must be known");
  if (C % G != 0)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute num_groups %lld does not divide the %lld channels",
                           (long long)G, (long long)C);
  bool per_group = ingot_onnx_node_opset(n) < 21;
  ingot_dtype dt = input_dtype(n, 0);
  float eps = ingot_onnx_attr_float(n, "epsilon", 1e-5f);
  ingot_tensor *x, *g, *one, *y, *scale, *bias;
  TRY(input(n, 0, &x));
  ingot_dims gd;
  memset(&gd, 0, sizeof gd);
  gd.nb_dims = 3;
  gd.d[0] = 0; /* copies N */
  gd.d[1] = G;
  gd.d[2] = -1;
  TRY(ingot_onnx_reshape(n, x, &gd, true, &g));
  TRY(ingot_onnx_add_scalar(n, dt, 1.0, 1, &one));
  TRY(add_layer_norm(n, g, one, NULL, 1u << 2, eps, &y));
  TRY(ingot_onnx_reshape_like(n, y, x, &y));
  TRY(group_param(n, 1, rank, C, G, per_group, dt, &scale));
  TRY(group_param(n, 2, rank, C, G, per_group, dt, &bias));
  TRY(ingot_onnx_add_elementwise(n, y, scale, INGOT_ELEMENTWISE_PROD, &y));
  TRY(ingot_onnx_add_elementwise(n, y, bias, INGOT_ELEMENTWISE_SUM, &y));
  return output(n, y);
}

/* LRN: y = x / (bias + alpha / size * sum of x^2 over `size` neighbouring channels)^beta.
 * The window sum is an average pool (padding counted) over [N, 1, C, rest], whose scale,
 * shift and power come from one scale layer. */
static ingot_status import_lrn(ingot_onnx_node *n) {
  int64_t size = ingot_onnx_attr_int(n, "size", 0);
  if (size < 1) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute size is %lld, expected >= 1", (long long)size);
  float alpha = ingot_onnx_attr_float(n, "alpha", 1e-4f), beta = ingot_onnx_attr_float(n, "beta", 0.75f);
  float bias = ingot_onnx_attr_float(n, "bias", 1.0f);
  int32_t rank;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  ingot_dims xd = ingot_onnx_input_dims(n, 0);
  if (rank < 3) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 has rank %d, expected [N, C, ...]", rank);
  if (xd.d[1] < 1) return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "the channel count (dim 1 of input 0) must be known");
  ingot_tensor *x, *sq, *t;
  TRY(input(n, 0, &x));
  TRY(ingot_onnx_add_elementwise(n, x, x, INGOT_ELEMENTWISE_PROD, &sq));
  ingot_dims rd;
  memset(&rd, 0, sizeof rd);
  rd.nb_dims = 4;
  rd.d[0] = 0;
  rd.d[1] = 1;
  rd.d[2] = xd.d[1];
  rd.d[3] = -1;
  TRY(ingot_onnx_reshape(n, sq, &rd, true, &t));
  ingot_pooling_desc pd;
  memset(&pd, 0, sizeof pd);
  pd.type = INGOT_POOLING_AVERAGE;
  pd.nb_spatial_dims = 2;
  pd.window_size[0] = size;
  pd.window_size[1] = 1;
  pd.pre_padding[0] = (size - 1) / 2;
  pd.post_padding[0] = size - 1 - (size - 1) / 2;
  pd.average_count_excludes_padding = 0;
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_pooling(ingot_onnx_node_network(n), t, &pd, &layer),
                       "adding the window sum (average pooling)"));
  ingot_onnx_name_layer(n, layer);
  t = ingot_layer_get_output(layer, 0);
  /* (bias + alpha * average) ^ beta: alpha / size * sum = alpha * average. */
  float shift = bias, scale = alpha, power = beta;
  ingot_weights ws = {INGOT_FLOAT32, &shift, 1}, wc = {INGOT_FLOAT32, &scale, 1}, wp = {INGOT_FLOAT32, &power, 1};
  TRY(ingot_onnx_check(
      n, ingot_network_add_scale(ingot_onnx_node_network(n), t, INGOT_SCALE_UNIFORM, ws, wc, wp, 1, &layer),
      "adding the LRN scale"));
  ingot_onnx_name_layer(n, layer);
  t = ingot_layer_get_output(layer, 0);
  TRY(ingot_onnx_reshape_like(n, t, x, &t));
  ingot_tensor *y;
  TRY(ingot_onnx_add_elementwise(n, x, t, INGOT_ELEMENTWISE_DIV, &y));
  return output(n, y);
}

/* ---- Resize and Upsample ---------------------------------------------------------------------- */

static ingot_status resize_mode(ingot_onnx_node *n, ingot_resize_desc *d) {
  const char *mode = ingot_onnx_attr_string(n, "mode", "nearest");
  if (strcmp(mode, "nearest") == 0) d->mode = INGOT_RESIZE_NEAREST;
  else if (strcmp(mode, "linear") == 0 || strcmp(mode, "bilinear") == 0) d->mode = INGOT_RESIZE_LINEAR;
  else if (strcmp(mode, "cubic") == 0) d->mode = INGOT_RESIZE_CUBIC;
  else
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute mode is '%s', expected nearest, linear or cubic", mode);
  return INGOT_SUCCESS;
}

/* Before opset 11 (Resize-10, Upsample): asymmetric coordinates; nearest takes the floor
 * when enlarging and the ceiling when shrinking (onnxruntime's rule). */
static ingot_status legacy_scales(ingot_onnx_node *n, ingot_resize_desc *d, const float *scales, int64_t count,
                                  int32_t rank) {
  if (count != rank)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "scales hold %lld values, expected one per input dim (%d)",
                           (long long)count, rank);
  d->coordinate_transform = INGOT_RESIZE_ASYMMETRIC;
  bool up = false, down = false;
  for (int32_t i = 0; i < rank; i++) {
    if (!(scales[i] > 0.0f))
      return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "scales[%d] is %g, expected > 0", i, (double)scales[i]);
    up |= scales[i] > 1.0f;
    down |= scales[i] < 1.0f;
    d->scales[i] = scales[i];
  }
  if (up && down && d->mode == INGOT_RESIZE_NEAREST)
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "nearest resize that enlarges some dims and shrinks others");
  d->nearest_rounding = down ? INGOT_RESIZE_CEIL : INGOT_RESIZE_FLOOR;
  d->use_scales = 1;
  d->nb_scales = rank;
  return INGOT_SUCCESS;
}

static ingot_status add_resize(ingot_onnx_node *n, const ingot_resize_desc *d, ingot_tensor *sizes) {
  ingot_tensor *x;
  TRY(input(n, 0, &x));
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_resize(ingot_onnx_node_network(n), x, d, &layer), "adding a resize"));
  ingot_onnx_name_layer(n, layer);
  if (sizes) TRY(ingot_onnx_check(n, ingot_layer_set_input(layer, 1, sizes), "setting input 1 (sizes) of the resize"));
  return output(n, ingot_layer_get_output(layer, 0));
}

static ingot_status import_upsample(ingot_onnx_node *n) {
  int32_t rank;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  ingot_resize_desc d;
  memset(&d, 0, sizeof d);
  TRY(resize_mode(n, &d));
  float *scales = NULL;
  int64_t count = 0;
  if (ingot_onnx_node_opset(n) >= 9) {
    TRY(ingot_onnx_value_floats(n, ingot_onnx_input(n, 1), "input 1 (scales)", &scales, &count));
  } else {
    float v[INGOT_MAX_DIMS];
    int32_t c = -1;
    ingot_onnx_attr_floats(n, "scales", v, INGOT_MAX_DIMS, &c);
    if (c < 0) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute scales is missing");
    count = c;
    scales = malloc(sizeof v);
    if (!scales) return ingot_onnx_fail(n, INGOT_OUT_OF_MEMORY, "out of memory");
    memcpy(scales, v, sizeof v);
  }
  for (int64_t i = 0; i < count && i < rank; i++)
    if (scales[i] < 1.0f) {
      ingot_status st = ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "scales[%lld] is %g, expected >= 1", (long long)i,
                                        (double)scales[i]);
      free(scales);
      return st;
    }
  ingot_status st = legacy_scales(n, &d, scales, count, rank);
  free(scales);
  TRY(st);
  return add_resize(n, &d, NULL);
}

static ingot_status resize_transform(ingot_onnx_node *n, ingot_resize_desc *d) {
  const char *ctm = ingot_onnx_attr_string(n, "coordinate_transformation_mode", "half_pixel");
  static const struct {
    const char *name;
    ingot_resize_coordinate_transform value;
  } transforms[] = {{"half_pixel", INGOT_RESIZE_HALF_PIXEL},
                    {"asymmetric", INGOT_RESIZE_ASYMMETRIC},
                    {"align_corners", INGOT_RESIZE_ALIGN_CORNERS},
                    {"pytorch_half_pixel", INGOT_RESIZE_PYTORCH_HALF_PIXEL},
                    {"half_pixel_symmetric", INGOT_RESIZE_HALF_PIXEL_SYMMETRIC},
                    {"tf_crop_and_resize", INGOT_RESIZE_TF_CROP_AND_RESIZE}};
  bool found = false;
  for (size_t i = 0; i < sizeof transforms / sizeof transforms[0]; i++)
    if (strcmp(ctm, transforms[i].name) == 0) {
      d->coordinate_transform = transforms[i].value;
      found = true;
    }
  if (!found)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT,
                           "attribute coordinate_transformation_mode is '%s', expected half_pixel, "
                           "half_pixel_symmetric, asymmetric, align_corners, pytorch_half_pixel or tf_crop_and_resize",
                           ctm);
  const char *nearest = ingot_onnx_attr_string(n, "nearest_mode", "round_prefer_floor");
  if (strcmp(nearest, "round_prefer_floor") == 0) d->nearest_rounding = INGOT_RESIZE_ROUND_HALF_DOWN;
  else if (strcmp(nearest, "round_prefer_ceil") == 0) d->nearest_rounding = INGOT_RESIZE_ROUND_HALF_UP;
  else if (strcmp(nearest, "floor") == 0) d->nearest_rounding = INGOT_RESIZE_FLOOR;
  else if (strcmp(nearest, "ceil") == 0) d->nearest_rounding = INGOT_RESIZE_CEIL;
  else
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT,
                           "attribute nearest_mode is '%s', expected round_prefer_floor, round_prefer_ceil, floor or "
                           "ceil",
                           nearest);
  int64_t exclude = ingot_onnx_attr_int(n, "exclude_outside", 0), antialias = ingot_onnx_attr_int(n, "antialias", 0);
  if (exclude != 0 && exclude != 1)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute exclude_outside is %lld, expected 0 or 1",
                           (long long)exclude);
  if (antialias != 0 && antialias != 1)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute antialias is %lld, expected 0 or 1",
                           (long long)antialias);
  if (antialias && d->mode == INGOT_RESIZE_NEAREST)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute antialias is 1 with mode nearest: antialiasing is "
                           "defined for linear and cubic");
  d->exclude_outside = (int32_t)exclude;
  d->antialias = (int32_t)antialias;
  d->cubic_coeff_a = ingot_onnx_attr_float(n, "cubic_coeff_a", -0.75f);
  if (d->cubic_coeff_a == 0.0f)
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "attribute cubic_coeff_a is 0: ingot takes 0 for the default -0.75");
  d->extrapolation_value = ingot_onnx_attr_float(n, "extrapolation_value", 0.0f);
  return INGOT_SUCCESS;
}

/* keep_aspect_ratio_policy not_larger / not_smaller: one scale for the named dims, the
 * smallest or largest of sizes / input dims, and output dims round(scale * input dim). */
static ingot_status keep_aspect_ratio(ingot_onnx_node *n, ingot_resize_desc *d, const int32_t *axis_of, int32_t naxes,
                                      int32_t rank) {
  const char *policy = ingot_onnx_attr_string(n, "keep_aspect_ratio_policy", "stretch");
  if (strcmp(policy, "stretch") == 0) return INGOT_SUCCESS;
  bool larger = strcmp(policy, "not_smaller") == 0;
  if (!larger && strcmp(policy, "not_larger") != 0)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT,
                           "attribute keep_aspect_ratio_policy is '%s', expected stretch, not_larger or not_smaller",
                           policy);
  ingot_dims xd = ingot_onnx_input_dims(n, 0);
  double scale = 0.0;
  for (int32_t i = 0; i < naxes; i++) {
    int64_t in = xd.d[axis_of[i]];
    if (in <= 0)
      return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "keep_aspect_ratio_policy '%s' needs dim %d of input 0 known and "
                             "not empty (found %lld)", policy, (int)axis_of[i], (long long)in);
    double s = (double)d->output_dims.d[axis_of[i]] / (double)in;
    if (i == 0 || (larger ? s > scale : s < scale)) scale = s;
  }
  d->use_scales = 1;
  d->nb_scales = rank;
  for (int32_t i = 0; i < rank; i++) d->scales[i] = 1.0f;
  for (int32_t i = 0; i < naxes; i++) {
    d->scales[axis_of[i]] = (float)scale;
    d->output_dims.d[axis_of[i]] = (int64_t)(scale * (double)xd.d[axis_of[i]] + 0.5);
  }
  return INGOT_SUCCESS;
}

/* tf_crop_and_resize's roi (input 1, constant): starts then ends of the named dims; the
 * other dims keep the whole range [0, 1]. */
static ingot_status resize_roi(ingot_onnx_node *n, ingot_resize_desc *d, const int32_t *axis_of, int32_t naxes,
                               int32_t rank) {
  for (int32_t i = 0; i < rank; i++) {
    d->roi[i] = 0.0f;
    d->roi[rank + i] = 1.0f;
  }
  if (d->coordinate_transform != INGOT_RESIZE_TF_CROP_AND_RESIZE) return INGOT_SUCCESS;
  const ingot_onnx_value *roi = ingot_onnx_input(n, 1);
  if (!roi || ingot_onnx_value_count(roi) == 0)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "coordinate_transformation_mode tf_crop_and_resize needs input "
                           "1 (roi)");
  float *values = NULL;
  int64_t count = 0;
  TRY(ingot_onnx_value_floats(n, roi, "input 1 (roi)", &values, &count));
  if (count != 2 * naxes) {
    free(values);
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 1 (roi) holds %lld values, expected %d (starts and ends "
                           "of %d dims)", (long long)count, 2 * naxes, naxes);
  }
  for (int32_t i = 0; i < naxes; i++) {
    d->roi[axis_of[i]] = values[i];
    d->roi[rank + axis_of[i]] = values[naxes + i];
  }
  free(values);
  return INGOT_SUCCESS;
}

static const ingot_onnx_value *nonempty_input(ingot_onnx_node *n, int32_t i) {
  const ingot_onnx_value *v = ingot_onnx_input(n, i);
  if (!v) return NULL;
  if (v->is_constant && ingot_onnx_value_count(v) == 0) return NULL;
  if (v->dims.nb_dims == 1 && v->dims.d[0] == 0) return NULL;
  return v;
}

static ingot_status import_resize(ingot_onnx_node *n) {
  int32_t rank;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  ingot_resize_desc d;
  memset(&d, 0, sizeof d);
  TRY(resize_mode(n, &d));
  int64_t opset = ingot_onnx_node_opset(n);
  if (opset < 11) {
    float *scales = NULL;
    int64_t count = 0;
    TRY(ingot_onnx_value_floats(n, ingot_onnx_input(n, 1), "input 1 (scales)", &scales, &count));
    ingot_status st = legacy_scales(n, &d, scales, count, rank);
    free(scales);
    TRY(st);
    return add_resize(n, &d, NULL);
  }
  TRY(resize_transform(n, &d));
  /* axes (opset 18): which dims the scales or sizes name; the others keep their size. */
  int64_t axes[INGOT_MAX_DIMS];
  int32_t naxes = -1;
  ingot_onnx_attr_ints(n, "axes", axes, INGOT_MAX_DIMS, &naxes);
  if (naxes > rank)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute axes holds %d values, expected at most %d", naxes, rank);
  int32_t axis_of[INGOT_MAX_DIMS]; /* k-th scale/size -> input dim */
  if (naxes < 0) {
    naxes = rank;
    for (int32_t i = 0; i < rank; i++) axis_of[i] = i;
  } else {
    uint32_t mask;
    TRY(ingot_onnx_axes_mask(n, axes, naxes, rank, "attribute axes", &mask));
    for (int32_t i = 0; i < naxes; i++) axis_of[i] = (int32_t)(axes[i] < 0 ? axes[i] + rank : axes[i]);
  }
  TRY(resize_roi(n, &d, axis_of, naxes, rank));
  const ingot_onnx_value *scales = nonempty_input(n, 2), *sizes = nonempty_input(n, 3);
  if (scales && sizes)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "inputs 2 (scales) and 3 (sizes) are both given, expected one");
  if (!scales && !sizes)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "neither input 2 (scales) nor input 3 (sizes) is given");
  if (scales) {
    float *values = NULL;
    int64_t count = 0;
    TRY(ingot_onnx_value_floats(n, scales, "input 2 (scales)", &values, &count));
    if (count != naxes) {
      free(values);
      return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 2 (scales) holds %lld values, expected %d",
                             (long long)count, naxes);
    }
    d.use_scales = 1;
    d.nb_scales = rank;
    for (int32_t i = 0; i < rank; i++) d.scales[i] = 1.0f;
    for (int32_t i = 0; i < naxes; i++) d.scales[axis_of[i]] = values[i];
    free(values);
    return add_resize(n, &d, NULL);
  }
  if (!sizes->is_constant) {
    if (naxes != rank)
      return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "input 3 (sizes) is computed and attribute axes is given: "
                                                   "only constant sizes may name axes");
    if (strcmp(ingot_onnx_attr_string(n, "keep_aspect_ratio_policy", "stretch"), "stretch") != 0)
      return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "input 3 (sizes) is computed: attribute keep_aspect_ratio_policy "
                                                   "needs constant sizes");
    ingot_tensor *s;
    TRY(input(n, 3, &s));
    if (sizes->dtype != INGOT_INT64) TRY(ingot_onnx_add_cast(n, s, INGOT_INT64, &s));
    d.output_dims.nb_dims = rank; /* overridden by input 1 */
    for (int32_t i = 0; i < rank; i++) d.output_dims.d[i] = 1;
    return add_resize(n, &d, s);
  }
  int64_t values[INGOT_MAX_DIMS];
  int32_t count = 0;
  if (ingot_onnx_value_count(sizes) > INGOT_MAX_DIMS)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 3 (sizes) holds %lld values, expected %d",
                           (long long)ingot_onnx_value_count(sizes), naxes);
  TRY(ingot_onnx_input_ints(n, 3, values, INGOT_MAX_DIMS, &count));
  if (count != naxes)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 3 (sizes) holds %d values, expected %d", count, naxes);
  ingot_dims xd = ingot_onnx_input_dims(n, 0);
  d.output_dims = xd;
  for (int32_t i = 0; i < naxes; i++) d.output_dims.d[axis_of[i]] = values[i];
  for (int32_t i = 0; i < rank; i++)
    if (d.output_dims.d[i] < 0)
      return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "dim %d of input 0 is dynamic and not named by attribute axes", i);
  TRY(keep_aspect_ratio(n, &d, axis_of, naxes, rank));
  return add_resize(n, &d, NULL);
}

/* ---- the table -------------------------------------------------------------------------------- */

const ingot_onnx_importer ingot_onnx_conv_importers[] = {
    {"Conv", 1, import_conv},
    {"ConvTranspose", 1, import_conv_transpose},
    {"MaxPool", 1, import_max_pool},
    {"AveragePool", 1, import_average_pool},
    {"GlobalAveragePool", 1, import_global_average_pool},
    {"GlobalMaxPool", 1, import_global_max_pool},
    {"LpPool", 2, import_lp_pool},
    {"BatchNormalization", 1, import_batch_norm},
    {"InstanceNormalization", 1, import_instance_norm},
    {"LayerNormalization", 17, import_layer_norm},
    {"GroupNormalization", 18, import_group_norm},
    {"LRN", 1, import_lrn},
    {"Resize", 10, import_resize},
    {"Upsample", 7, import_upsample},
};

const int32_t ingot_onnx_conv_importer_count =
    (int32_t)(sizeof ingot_onnx_conv_importers / sizeof ingot_onnx_conv_importers[0]);
