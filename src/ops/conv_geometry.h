/* Window geometry shared by shape inference (src/ops/infer_conv.c, which implements these)
 * and the kernels of convolution, deconvolution and pooling, so that both derive padding
 * and output sizes from the same arithmetic. All functions work on one spatial dim and
 * take strides and dilations already mapped from 0 to 1. */
#ifndef INGOT_OPS_CONV_GEOMETRY_H
#define INGOT_OPS_CONV_GEOMETRY_H

#include <stdint.h>
#include "ops/params.h"

/* A zero stride, dilation or group count means 1 (the public API's convention). */
static inline int64_t ingot_or_one(int64_t v) { return v == 0 ? 1 : v; }

/* floor(a / b) and ceil(a / b) for b > 0 and any sign of a (C division truncates toward
 * zero; the remainder corrects it). No intermediate overflows, whatever a and b a plan
 * holds (a + b - 1 did, found by fuzz_plan). */
static inline int64_t ingot_floor_div(int64_t a, int64_t b) { return a / b - (a % b < 0); }
static inline int64_t ingot_ceil_div(int64_t a, int64_t b) { return a / b + (a % b > 0); }

/* Convolution and pooling: the padding actually applied (`pre_out`, `post_out`) and the
 * output size, for an input of `in` cells and a window of `window` taps. EXPLICIT uses
 * pre/post, VALID none, SAME_* pad to ceil(in / stride) outputs as ONNX auto_pad does.
 * ceil_mode rounds up (pooling), dropping a last window that would start in the post
 * padding. The result may be < 1: the caller reports it. */
int64_t ingot_window_forward(int64_t in, int64_t window, int64_t stride, int64_t dilation, int32_t padding_mode,
                             int64_t pre, int64_t post, int32_t ceil_mode, int64_t *pre_out, int64_t *post_out);

/* Deconvolution (ONNX ConvTranspose): padding applied (negative for SAME when the kernel
 * is smaller than the stride) and output size stride*(in-1) + output_padding +
 * dilation*(k-1) + 1 - pre - post. */
int64_t ingot_window_backward(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t output_padding,
                              int32_t padding_mode, int64_t pre, int64_t post, int64_t *pre_out, int64_t *post_out);

/* Where a window layer's (conv, deconv, pooling, batch norm) channels and spatial dim i
 * are in a tensor of `rank` dims: [N, C, spatial...], or [N, spatial..., C] with
 * channels_last (the builder's layout pass, for kernels that want NHWC). */
static inline int32_t ingot_channel_axis(int32_t channels_last, int32_t rank) { return channels_last ? rank - 1 : 1; }
static inline int32_t ingot_spatial_axis(int32_t channels_last, int32_t i) { return channels_last ? 1 + i : 2 + i; }

/* Index of a conv/deconv node's bias among its inputs [x, kernel, bias?, residual?], or -1
 * when the node has no bias slot (the residual, if any, is always the last input). */
static inline int32_t ingot_conv_bias_slot(const ingot_conv_params *p, int32_t nb_inputs) {
  return nb_inputs - (p->epilogue.has_residual ? 1 : 0) >= 3 ? 2 : -1;
}

#endif
