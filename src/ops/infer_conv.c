/* Shape inference of convolution, deconvolution and pooling, and the window geometry
 * (conv_geometry.h) that their kernels share. Dims may hold -1 in the batch and spatial
 * dims (the result is then -1 where it depends on them); channels must be known. */
#include <stdio.h>
#include <string.h>

#include "core/dims.h"
#include "core/error.h"
#include "ops/conv_geometry.h"
#include "ops/graph.h"

int64_t ingot_window_forward(int64_t in, int64_t window, int64_t stride, int64_t dilation, int32_t padding_mode,
                             int64_t pre, int64_t post, int32_t ceil_mode, int64_t *pre_out, int64_t *post_out) {
  /* A plan or model may hold any window, dilation or padding: sums and products that
   * overflow give -1, which every caller refuses as an invalid output size. */
  int64_t extent, span;
  *pre_out = *post_out = 0;
  if (__builtin_mul_overflow(dilation, window - 1, &extent) || __builtin_add_overflow(extent, 1, &extent)) return -1;
  if (padding_mode == INGOT_PADDING_SAME_UPPER || padding_mode == INGOT_PADDING_SAME_LOWER) {
    int64_t out = ingot_ceil_div(in, stride), total;
    if (__builtin_mul_overflow(out - 1, stride, &total) || __builtin_add_overflow(total, extent - in, &total)) return -1;
    if (total < 0) total = 0;
    /* ONNX auto_pad: SAME_UPPER puts the odd cell at the end, SAME_LOWER at the start. */
    *pre_out = padding_mode == INGOT_PADDING_SAME_UPPER ? total / 2 : total - total / 2;
    *post_out = total - *pre_out;
    return out;
  }
  if (padding_mode == INGOT_PADDING_VALID) pre = post = 0;
  *pre_out = pre;
  *post_out = post;
  if (__builtin_add_overflow(in, pre, &span) || __builtin_add_overflow(span, post, &span) ||
      __builtin_sub_overflow(span, extent, &span))
    return -1;
  if (span < 0) return 0;
  if (!ceil_mode) return span / stride + 1;
  int64_t out = ingot_ceil_div(span, stride) + 1;
  /* ONNX/PyTorch: a last window starting in the post padding is dropped. */
  int64_t last_start, end;
  if (__builtin_mul_overflow(out - 1, stride, &last_start) || __builtin_add_overflow(in, pre, &end) ||
      last_start >= end)
    out--;
  return out;
}

int64_t ingot_window_backward(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t output_padding,
                              int32_t padding_mode, int64_t pre, int64_t post, int64_t *pre_out, int64_t *post_out) {
  int64_t full, reach, in_stride, result;
  *pre_out = *post_out = 0;
  if (__builtin_mul_overflow(stride, in - 1, &full) || __builtin_add_overflow(full, output_padding, &full) ||
      __builtin_mul_overflow(dilation, kernel - 1, &reach) || __builtin_add_overflow(full, reach, &full) ||
      __builtin_add_overflow(full, 1, &full) || __builtin_mul_overflow(in, stride, &in_stride))
    return -1; /* overflow: refused by the callers as an invalid output size */
  if (padding_mode == INGOT_PADDING_SAME_UPPER || padding_mode == INGOT_PADDING_SAME_LOWER) {
    /* ONNX ConvTranspose auto_pad: output = input * stride; the total may be negative
     * when the kernel is shorter than the stride, which extends the output instead. */
    int64_t total = full - in_stride;
    *pre_out = padding_mode == INGOT_PADDING_SAME_UPPER ? total / 2 : total - total / 2;
    *post_out = total - *pre_out;
    return in_stride;
  }
  if (padding_mode == INGOT_PADDING_VALID) pre = post = 0;
  *pre_out = pre;
  *post_out = post;
  if (__builtin_sub_overflow(full, pre, &result) || __builtin_sub_overflow(result, post, &result)) return -1;
  return result;
}

static bool is_float_dtype(ingot_dtype dtype) {
  return dtype == INGOT_FLOAT32 || dtype == INGOT_FLOAT16 || dtype == INGOT_BFLOAT16;
}

static ingot_status check_float(const ingot_node *node, const char *what, ingot_dtype dtype) {
  if (is_float_dtype(dtype)) return INGOT_SUCCESS;
  return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s has dtype %s, expected float32, float16 or bfloat16", what,
                         ingot_dtype_name(dtype));
}

static bool present(const ingot_value_info *v) { return v->dims.nb_dims >= 0; }

/* Checks one spatial parameter array: values >= minimum (0 maps to 1 first when zero_is_one). */
static ingot_status check_spatial(const ingot_node *node, const char *what, const int64_t *values, int32_t nsp,
                                  int64_t minimum, bool zero_is_one) {
  for (int32_t i = 0; i < nsp; i++) {
    int64_t v = zero_is_one ? ingot_or_one(values[i]) : values[i];
    if (v < minimum)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s[%d] is %lld, expected >= %lld", what, (int)i,
                             (long long)values[i], (long long)minimum);
  }
  return INGOT_SUCCESS;
}

static ingot_status check_padding_mode(const ingot_node *node, int32_t mode) {
  if (mode < INGOT_PADDING_EXPLICIT || mode > INGOT_PADDING_VALID)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "padding mode is %d, expected 0 to 3 (explicit, same_upper, same_lower, valid)", (int)mode);
  return INGOT_SUCCESS;
}

/* Checks the data input: present, float, rank 2 + nsp. */
static ingot_status check_data(const ingot_node *node, const ingot_value_info *x, int32_t nsp) {
  char buf[INGOT_DIMS_STR_SIZE];
  if (node->nb_inputs < 1 || !present(x))
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "the data input (input 0) is missing");
  INGOT_TRY(check_float(node, "input", x->dtype));
  if (x->dims.nb_dims != nsp + 2)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "input has dims %s (rank %d), expected rank %d: [N, C] then %d spatial dims",
                           ingot_dims_format(&x->dims, buf, sizeof buf), (int)x->dims.nb_dims, (int)nsp + 2, (int)nsp);
  return INGOT_SUCCESS;
}

/* "6*1*5*5" into buf. */
static const char *format_product(const int64_t *v, int32_t n, char *buf, size_t size) {
  size_t len = 0;
  buf[0] = '\0';
  for (int32_t i = 0; i < n && len < size; i++)
    len += (size_t)snprintf(buf + len, size - len, "%s%lld", i ? "*" : "", (long long)v[i]);
  return buf;
}

/* The kernel weights input: [K, C/groups, k...] (conv) or [C, K/groups, k...] (deconv),
 * with channels_last [K, k..., C/groups] or [C, k..., K/groups]. A constant handed over
 * flat is accepted when its value count matches. */
static ingot_status check_kernel(const ingot_node *node, const ingot_value_info *w, int64_t d0, int64_t d1,
                                 const char *layout) {
  const ingot_conv_params *p = &node->params.conv;
  int32_t nsp = p->nb_spatial_dims;
  char got[INGOT_DIMS_STR_SIZE], want[INGOT_DIMS_STR_SIZE], prod[INGOT_DIMS_STR_SIZE];
  if (node->nb_inputs < 2 || !present(w))
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "the kernel weights input (input 1) is missing");
  INGOT_TRY(check_float(node, "kernel weights", w->dtype));
  int64_t expect[INGOT_MAX_DIMS];
  int32_t c_at = p->channels_last ? nsp + 1 : 1, k_at = p->channels_last ? 1 : 2;
  expect[0] = d0;
  expect[c_at] = d1;
  for (int32_t i = 0; i < nsp; i++) expect[k_at + i] = p->kernel_size[i];
  ingot_dims want_dims = ingot_dims_make(nsp + 2, expect);
  int64_t want_count = ingot_dims_volume(&want_dims);
  if (w->dims.nb_dims == nsp + 2) {
    if (ingot_dims_equal(&w->dims, &want_dims)) return INGOT_SUCCESS;
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "kernel weights have dims %s, expected %s (%s)",
                           ingot_dims_format(&w->dims, got, sizeof got),
                           ingot_dims_format(&want_dims, want, sizeof want), layout);
  }
  int64_t count = ingot_dims_volume(&w->dims);
  if (count == want_count) return INGOT_SUCCESS;
  return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "kernel weights have %lld values, expected %s = %lld (%s)",
                         (long long)count, format_product(expect, nsp + 2, prod, sizeof prod), (long long)want_count,
                         layout);
}

static ingot_status conv_infer(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs,
                               bool deconv) {
  const ingot_conv_params *p = &node->params.conv;
  char buf[INGOT_DIMS_STR_SIZE], buf2[INGOT_DIMS_STR_SIZE];
  int32_t nsp = p->nb_spatial_dims;
  if (nsp < 1 || nsp > INGOT_MAX_SPATIAL_DIMS)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "nb_spatial_dims is %d, expected 1 to %d", (int)nsp,
                           INGOT_MAX_SPATIAL_DIMS);
  if (node->nb_outputs != 1)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "has %d outputs, expected 1", (int)node->nb_outputs);
  const ingot_value_info *x = &inputs[0];
  INGOT_TRY(check_data(node, x, nsp));
  if (p->channels_last != 0 && p->channels_last != 1)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "channels_last is %d, expected 0 or 1", (int)p->channels_last);
  const int32_t cax = ingot_channel_axis(p->channels_last, nsp + 2);
  int64_t C = x->dims.d[cax], K = p->num_output_maps, G = p->groups == 0 ? 1 : p->groups;
  if (C < 1)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input channels (dim %d of %s) must be known and >= 1",
                           (int)cax, ingot_dims_format(&x->dims, buf, sizeof buf));
  if (K < 1)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "num_output_maps is %lld, expected >= 1", (long long)K);
  if (G < 1) return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "groups is %lld, expected >= 1", (long long)G);
  if (C % G != 0)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "groups (%lld) does not divide the input channels (%lld)",
                           (long long)G, (long long)C);
  if (K % G != 0)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "groups (%lld) does not divide num_output_maps (%lld)",
                           (long long)G, (long long)K);
  INGOT_TRY(check_padding_mode(node, p->padding_mode));
  INGOT_TRY(check_spatial(node, "kernel_size", p->kernel_size, nsp, 1, false));
  INGOT_TRY(check_spatial(node, "stride", p->stride, nsp, 1, true));
  INGOT_TRY(check_spatial(node, "dilation", p->dilation, nsp, 1, true));
  if (p->padding_mode == INGOT_PADDING_EXPLICIT) {
    INGOT_TRY(check_spatial(node, "pre_padding", p->pre_padding, nsp, 0, false));
    INGOT_TRY(check_spatial(node, "post_padding", p->post_padding, nsp, 0, false));
  }
  if (deconv) {
    INGOT_TRY(check_spatial(node, "output_padding", p->output_padding, nsp, 0, false));
    for (int32_t i = 0; i < nsp; i++) {
      int64_t s = ingot_or_one(p->stride[i]), d = ingot_or_one(p->dilation[i]);
      if (p->output_padding[i] >= s && p->output_padding[i] >= d)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                               "output_padding[%d] is %lld, expected less than the stride (%lld) or the dilation (%lld)",
                               (int)i, (long long)p->output_padding[i], (long long)s, (long long)d);
    }
  }
  char layout[160];
  const char *cl = p->channels_last ? "kernel..., " : "", *cf = p->channels_last ? "" : ", kernel...";
  if (deconv)
    snprintf(layout, sizeof layout, "[C, %sK/groups%s] with C = %lld, K = %lld, groups = %lld", cl, cf, (long long)C,
             (long long)K, (long long)G);
  else
    snprintf(layout, sizeof layout, "[K, %sC/groups%s] with K = %lld, C = %lld, groups = %lld", cl, cf, (long long)K,
             (long long)C, (long long)G);
  INGOT_TRY(check_kernel(node, &inputs[1], deconv ? C : K, deconv ? K / G : C / G, layout));

  int32_t bias_slot = ingot_conv_bias_slot(p, node->nb_inputs);
  bool has_bias = bias_slot >= 0 && present(&inputs[bias_slot]);
  if (p->has_bias && !has_bias)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "has_bias is set but the bias input (input 2) is missing");
  if (has_bias) {
    const ingot_value_info *b = &inputs[bias_slot];
    INGOT_TRY(check_float(node, "bias", b->dtype));
    int64_t count = ingot_dims_volume(&b->dims);
    if (count != K)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "bias has %lld values (dims %s), expected num_output_maps = %lld",
                             (long long)count, ingot_dims_format(&b->dims, buf, sizeof buf), (long long)K);
  }
  int32_t act = p->epilogue.activation;
  if (act != -1 && (act < 0 || act >= INGOT_ACTIVATION_TYPE_COUNT))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "epilogue activation is %d, expected -1 (none) or 0 to %d",
                           (int)act, INGOT_ACTIVATION_TYPE_COUNT - 1);

  ingot_dims out = x->dims;
  out.d[cax] = K;
  for (int32_t i = 0; i < nsp; i++) {
    const int32_t sax = ingot_spatial_axis(p->channels_last, i);
    int64_t in = x->dims.d[sax];
    if (in < 0) continue; /* dynamic: stays -1 */
    int64_t k = p->kernel_size[i], s = ingot_or_one(p->stride[i]), d = ingot_or_one(p->dilation[i]), pre, post;
    int64_t o = deconv ? ingot_window_backward(in, k, s, d, p->output_padding[i], p->padding_mode, p->pre_padding[i],
                                               p->post_padding[i], &pre, &post)
                       : ingot_window_forward(in, k, s, d, p->padding_mode, p->pre_padding[i], p->post_padding[i], 0,
                                              &pre, &post);
    if (in < 1 || o < 1)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                             "spatial dim %d of the input is %lld, which with kernel %lld, dilation %lld, stride %lld "
                             "and padding %lld+%lld gives an output of %lld, expected >= 1",
                             (int)i, (long long)in, (long long)k, (long long)d, (long long)s, (long long)pre,
                             (long long)post, (long long)o);
    out.d[sax] = o;
  }

  if (p->epilogue.has_residual) {
    if (node->nb_inputs < 3)
      return ingot_node_fail(node, INGOT_INVALID_GRAPH, "has_residual is set but the node has only %d inputs",
                             (int)node->nb_inputs);
    const ingot_value_info *r = &inputs[node->nb_inputs - 1];
    if (!present(r)) return ingot_node_fail(node, INGOT_INVALID_GRAPH, "the residual input is missing");
    INGOT_TRY(check_float(node, "residual", r->dtype));
    bool same = r->dims.nb_dims == out.nb_dims;
    for (int32_t i = 0; same && i < out.nb_dims; i++)
      same = r->dims.d[i] == out.d[i] || r->dims.d[i] < 0 || out.d[i] < 0;
    if (!same)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "residual has dims %s, expected the output dims %s",
                             ingot_dims_format(&r->dims, buf, sizeof buf), ingot_dims_format(&out, buf2, sizeof buf2));
  }
  outputs[0].dtype = x->dtype;
  outputs[0].dims = out;
  outputs[0].data = NULL;
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_convolution(const ingot_node *node, const ingot_value_info *inputs,
                                     ingot_value_info *outputs) {
  return conv_infer(node, inputs, outputs, false);
}

ingot_status ingot_infer_deconvolution(const ingot_node *node, const ingot_value_info *inputs,
                                       ingot_value_info *outputs) {
  return conv_infer(node, inputs, outputs, true);
}

ingot_status ingot_infer_pooling(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  const ingot_pooling_params *p = &node->params.pooling;
  char buf[INGOT_DIMS_STR_SIZE];
  if (node->nb_outputs != 1)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "has %d outputs, expected 1", (int)node->nb_outputs);
  if (node->nb_inputs != 1)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "has %d inputs, expected 1", (int)node->nb_inputs);
  if (p->type != INGOT_POOLING_MAX && p->type != INGOT_POOLING_AVERAGE)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "pooling type is %d, expected 0 (max) or 1 (average)",
                           (int)p->type);
  if (p->channels_last != 0 && p->channels_last != 1)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "channels_last is %d, expected 0 or 1", (int)p->channels_last);
  const ingot_value_info *x = &inputs[0];
  int32_t nsp = p->nb_spatial_dims;
  if (p->global) {
    if (!present(x)) return ingot_node_fail(node, INGOT_INVALID_GRAPH, "the data input (input 0) is missing");
    int32_t rank = x->dims.nb_dims;
    if (rank < 3 || rank > 2 + INGOT_MAX_SPATIAL_DIMS)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                             "global pooling input has dims %s, expected [N, C] then 1 to %d spatial dims",
                             ingot_dims_format(&x->dims, buf, sizeof buf), INGOT_MAX_SPATIAL_DIMS);
    if (nsp != 0 && nsp != rank - 2)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                             "nb_spatial_dims is %d but the input %s has %d spatial dims", (int)nsp,
                             ingot_dims_format(&x->dims, buf, sizeof buf), (int)rank - 2);
    INGOT_TRY(check_float(node, "input", x->dtype));
    outputs[0].dtype = x->dtype;
    outputs[0].dims = x->dims;
    for (int32_t i = 0; i < rank - 2; i++) outputs[0].dims.d[ingot_spatial_axis(p->channels_last, i)] = 1;
    outputs[0].data = NULL;
    return INGOT_SUCCESS;
  }
  if (nsp < 1 || nsp > INGOT_MAX_SPATIAL_DIMS)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "nb_spatial_dims is %d, expected 1 to %d", (int)nsp,
                           INGOT_MAX_SPATIAL_DIMS);
  INGOT_TRY(check_data(node, x, nsp));
  INGOT_TRY(check_padding_mode(node, p->padding_mode));
  INGOT_TRY(check_spatial(node, "window_size", p->window_size, nsp, 1, false));
  INGOT_TRY(check_spatial(node, "stride", p->stride, nsp, 1, true));
  INGOT_TRY(check_spatial(node, "dilation", p->dilation, nsp, 1, true));
  if (p->padding_mode == INGOT_PADDING_EXPLICIT) {
    INGOT_TRY(check_spatial(node, "pre_padding", p->pre_padding, nsp, 0, false));
    INGOT_TRY(check_spatial(node, "post_padding", p->post_padding, nsp, 0, false));
  }
  ingot_dims out = x->dims;
  for (int32_t i = 0; i < nsp; i++) {
    const int32_t sax = ingot_spatial_axis(p->channels_last, i);
    int64_t in = x->dims.d[sax];
    if (in < 0) continue;
    int64_t k = p->window_size[i], s = ingot_or_one(p->stride[i]), d = ingot_or_one(p->dilation[i]), pre, post;
    int64_t o = ingot_window_forward(in, k, s, d, p->padding_mode, p->pre_padding[i], p->post_padding[i],
                                     p->ceil_mode, &pre, &post);
    if (in < 1 || o < 1)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                             "spatial dim %d of the input is %lld, which with window %lld, dilation %lld, stride %lld "
                             "and padding %lld+%lld gives an output of %lld, expected >= 1",
                             (int)i, (long long)in, (long long)k, (long long)d, (long long)s, (long long)pre,
                             (long long)post, (long long)o);
    out.d[sax] = o;
  }
  outputs[0].dtype = x->dtype;
  outputs[0].dims = out;
  outputs[0].data = NULL;
  return INGOT_SUCCESS;
}
