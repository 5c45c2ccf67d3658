/* Parameters of every op kind: plain structs without pointers, so that a node's params
 * can be copied and written into a plan as they are. Weights are not here: they are the
 * node's constant input tensors (see graph.h for each op's input order). */
#ifndef INGOT_OPS_PARAMS_H
#define INGOT_OPS_PARAMS_H

#include "ingot/network.h"

/* An activation applied in a producer's epilogue (conv, deconv, matmul, FC):
 * type = -1 for none. Residual: when has_residual, the op's last input is added to the
 * result (after bias, before the activation), as ResNet's "conv + bn + add + relu". */
typedef struct ingot_epilogue {
  int32_t activation; /* ingot_activation_type or -1 */
  float alpha, beta;
  int32_t has_residual;
} ingot_epilogue;

/* conv/deconv inputs: [x, kernel, bias?, residual?] */
typedef struct ingot_conv_params {
  int32_t nb_spatial_dims;
  int32_t padding_mode; /* ingot_padding_mode */
  int64_t num_output_maps;
  int64_t groups;
  int64_t kernel_size[INGOT_MAX_SPATIAL_DIMS];
  int64_t stride[INGOT_MAX_SPATIAL_DIMS];
  int64_t pre_padding[INGOT_MAX_SPATIAL_DIMS];
  int64_t post_padding[INGOT_MAX_SPATIAL_DIMS];
  int64_t dilation[INGOT_MAX_SPATIAL_DIMS];
  int64_t output_padding[INGOT_MAX_SPATIAL_DIMS];
  int32_t has_bias;
  ingot_epilogue epilogue;
  /* Channels last (set by the builder's layout pass, layout_channels_last.c): x, the
   * residual and y are [N, spatial..., C] and the kernel [K, kernel..., C/groups] (deconv:
   * [C, kernel..., K/groups]); 0: [N, C, spatial...] and [K, C/groups, kernel...]. */
  int32_t channels_last;
} ingot_conv_params;

/* inputs: [x] */
typedef struct ingot_pooling_params {
  int32_t type; /* ingot_pooling_type */
  int32_t nb_spatial_dims;
  int64_t window_size[INGOT_MAX_SPATIAL_DIMS];
  int64_t stride[INGOT_MAX_SPATIAL_DIMS];
  int64_t pre_padding[INGOT_MAX_SPATIAL_DIMS];
  int64_t post_padding[INGOT_MAX_SPATIAL_DIMS];
  int64_t dilation[INGOT_MAX_SPATIAL_DIMS];
  int32_t padding_mode;
  int32_t average_count_excludes_padding;
  int32_t ceil_mode;
  int32_t global;
  int32_t channels_last; /* x and y are [N, spatial..., C] (see ingot_conv_params) */
} ingot_pooling_params;

/* inputs: [x] */
typedef struct ingot_activation_params {
  int32_t type; /* ingot_activation_type */
  float alpha, beta;
} ingot_activation_params;

/* inputs: [a, b, bias?, residual?]; bias broadcasts against the result's last dim. */
typedef struct ingot_matmul_params {
  int32_t op_a, op_b; /* ingot_matrix_op */
  int32_t has_bias;
  ingot_epilogue epilogue;
} ingot_matmul_params;

/* inputs: [x, kernel [num_outputs, K], bias?, residual?] */
typedef struct ingot_fc_params {
  int64_t num_outputs;
  int32_t has_bias;
  ingot_epilogue epilogue;
} ingot_fc_params;

/* inputs: [x] */
typedef struct ingot_softmax_params {
  int32_t axis; /* may be negative */
  int32_t log;
} ingot_softmax_params;

/* inputs: [a, b] */
typedef struct ingot_elementwise_params {
  int32_t op; /* ingot_elementwise_op */
} ingot_elementwise_params;

/* inputs: [x] */
typedef struct ingot_unary_params {
  int32_t op; /* ingot_unary_op */
} ingot_unary_params;

/* inputs: [x, shift?, scale?, power?]: an absent one is index -1 in node->inputs. */
typedef struct ingot_scale_params {
  int32_t mode; /* ingot_scale_mode */
  int32_t channel_axis;
} ingot_scale_params;

/* inputs: [x0, x1, ...] */
typedef struct ingot_concat_params {
  int32_t axis;
} ingot_concat_params;

/* inputs: [x, reshape dims?] (int64 1-D; overrides reshape_dims when present) */
typedef struct ingot_shuffle_params {
  int32_t has_first_transpose;
  int32_t first_transpose[INGOT_MAX_DIMS];
  int32_t has_reshape;
  int32_t zero_is_literal;
  ingot_dims reshape_dims;
  int32_t has_second_transpose;
  int32_t second_transpose[INGOT_MAX_DIMS];
} ingot_shuffle_params;

/* inputs: [x] */
typedef struct ingot_reduce_params {
  int32_t op; /* ingot_reduce_op */
  uint32_t axes_mask;
  int32_t keep_dims;
} ingot_reduce_params;

/* inputs: [x] */
typedef struct ingot_cast_params {
  int32_t to; /* ingot_dtype */
} ingot_cast_params;

/* inputs: [x, start?, size?, stride?] (int64 1-D; each overrides its field when present) */
typedef struct ingot_slice_params {
  ingot_dims start, size, stride;
} ingot_slice_params;

/* inputs: [data, indices] */
typedef struct ingot_gather_params {
  int32_t axis;
} ingot_gather_params;

/* inputs: [x, scale, bias, mean, variance] (constants, one value per channel) */
typedef struct ingot_batchnorm_params {
  float epsilon;
  int32_t channels_last; /* the channel dim is the last one, not dim 1 */
} ingot_batchnorm_params;

/* inputs: [x, scale, bias?] */
typedef struct ingot_layernorm_params {
  uint32_t axes_mask;
  float epsilon;
} ingot_layernorm_params;

/* inputs: [x, output dims?] (int64 1-D; overrides output_dims/scales when present) */
typedef struct ingot_resize_params {
  int32_t mode;                 /* ingot_resize_mode */
  int32_t coordinate_transform; /* ingot_resize_coordinate_transform */
  int32_t nearest_rounding;     /* ingot_resize_round_mode */
  int32_t use_scales;
  ingot_dims output_dims;
  int32_t nb_scales;
  float scales[INGOT_MAX_DIMS];
  float cubic_coeff_a; /* as ingot_resize_desc: 0 stands for -0.75 */
  int32_t exclude_outside;
  int32_t antialias;
  float extrapolation_value;
  float roi[2 * INGOT_MAX_DIMS]; /* tf_crop_and_resize: starts, then ends */
} ingot_resize_params;

/* inputs: [x, pads?] (int64 1-D [pre..., post...]; overrides the fields when present) */
typedef struct ingot_padding_params {
  int32_t nb_dims;
  int32_t mode; /* ingot_pad_mode */
  int64_t pre_padding[INGOT_MAX_DIMS];
  int64_t post_padding[INGOT_MAX_DIMS];
  float value;
} ingot_padding_params;

/* inputs: [x]; outputs: [values, indices (int64)] */
typedef struct ingot_topk_params {
  int32_t op; /* ingot_topk_op */
  int32_t axis;
  int64_t k;
} ingot_topk_params;

/* inputs: [shape (int64 1-D)] */
typedef struct ingot_fill_params {
  int32_t dtype; /* ingot_dtype */
  double value;
} ingot_fill_params;

/* GATHER_ELEMENTS, GATHER_ND: inputs [data, indices]; axis or batch_dims */
typedef struct ingot_gather_ex_params {
  int32_t axis;
  int32_t batch_dims;
} ingot_gather_ex_params;

/* inputs: [data, indices, updates] */
typedef struct ingot_scatter_params {
  int32_t mode;      /* ingot_scatter_mode */
  int32_t axis;
  int32_t reduction; /* ingot_scatter_reduction */
} ingot_scatter_params;

/* inputs: [x] */
typedef struct ingot_cumulative_params {
  int32_t axis;
  int32_t exclusive;
  int32_t reverse;
} ingot_cumulative_params;

/* QUANTIZE: inputs [x, scale, zero_point?]; DEQUANTIZE likewise */
typedef struct ingot_quantize_params {
  int32_t axis;
  int32_t output_dtype; /* QUANTIZE: int8 or uint8 */
} ingot_quantize_params;

/* inputs: [x0, x1?] */
typedef struct ingot_einsum_params {
  char equation[64]; /* NUL-terminated */
} ingot_einsum_params;

/* RNN: inputs [x, W, R, B?, sequence lengths?, initial h?, initial c?, P?] (always 8
 * entries, -1 for absent ones; see ingot_rnn_input); outputs [Y, Y_h] and Y_c for LSTM.
 * The activation list is complete here (the network API fills in defaults): per direction
 * RNN f; GRU f, g; LSTM f, g, h, the reverse direction's after the forward one's. */
typedef struct ingot_rnn_params {
  int32_t cell;      /* ingot_rnn_cell */
  int32_t direction; /* ingot_rnn_direction */
  int64_t hidden_size;
  int32_t layout;
  int32_t nb_activations; /* activations per direction * num_directions */
  int32_t activations[INGOT_RNN_MAX_ACTIVATIONS]; /* ingot_rnn_activation */
  float alpha[INGOT_RNN_MAX_ACTIVATIONS];
  float beta[INGOT_RNN_MAX_ACTIVATIONS];
  int32_t has_clip;
  float clip;
  int32_t input_forget;
  int32_t linear_before_reset;
} ingot_rnn_params;

/* Data-dependent output shapes (infer_dynamic.c): shape inference gives an upper bound,
 * the kernel writes the real extent (ingot_kernel_args.output_dims).
 * NON_ZERO [x] -> [rank, count] int64: no params.
 * COMPRESS [x, condition (bool 1-D)]: elements (or slices along axis) where condition. */
typedef struct ingot_compress_params {
  int32_t has_axis; /* 0: x is flattened */
  int32_t axis;
} ingot_compress_params;

/* NON_MAX_SUPPRESSION [boxes [B, N, 4], scores [B, C, N], max_output_boxes_per_class?
 * (int64 scalar), iou_threshold? (float32 scalar), score_threshold? (float32 scalar)]
 * -> selected [count, 3] int64 (batch, class, box) */
typedef struct ingot_nms_params {
  int32_t center_point_box; /* 0: [y1, x1, y2, x2]; 1: [x_center, y_center, w, h] */
} ingot_nms_params;

/* UNIQUE [x] -> [y, indices, inverse_indices, counts] (the last three int64) */
typedef struct ingot_unique_params {
  int32_t sorted;
  int32_t has_axis; /* 0: x is flattened */
  int32_t axis;
} ingot_unique_params;

/* PLUGIN [x0, x1, ...]: a user's layer (plugin.h). Its name, version, namespace and state
 * live in node->plugin (they are not plain data); the params keep only the output count. */
typedef struct ingot_plugin_params {
  int32_t nb_outputs;
} ingot_plugin_params;

/* SHAPE [x], RANGE [start, limit, delta], EXPAND [x, shape], TILE [x, repeats]: no params. */

/* ATTENTION [q, k, v, mask?] -> [o]: O = softmax(scale * Q K^T + mask) V per batch and
 * head, in the logical shapes Q [B, H, Sq, D], K [B, H, Sk, D], V [B, H, Sk, Dv],
 * O [B, H, Sq, Dv]. Each of q, k, v and o is a rank-4 tensor whose dim perm[i] holds
 * logical dim i: identity for [B, H, S, D]; {0, 2, 1, 3} for [B, S, H, D], the layout the
 * heads have before the Transpose an exporter writes (the builder's attention pattern
 * reads them there, so those transposes vanish). The mask broadcasts against
 * [B, H, Sq, Sk] (right-aligned, rank <= 4): kind 1 adds it (a float of q's dtype) to the
 * scaled scores; kind 2 is bool and a score is replaced by mask_fill where the mask equals
 * mask_select (Where(mask, fill, s) is select 1; the ONNX/TensorRT keep-mask, true =
 * attend, is select 0 with fill -inf). */
#define INGOT_ATTENTION_MASK_NONE 0
#define INGOT_ATTENTION_MASK_ADD 1
#define INGOT_ATTENTION_MASK_SELECT 2
typedef struct ingot_attention_params {
  float scale;
  int32_t mask_kind;
  int32_t mask_select;
  float mask_fill;
  int32_t perm[4][4]; /* q, k, v, o */
} ingot_attention_params;

/* Every op's params in one union; a node's `op` says which member is live. Zeroed before
 * use, so unused bytes are zero in plans. Ops without params use `none`. */
typedef union ingot_op_params {
  ingot_conv_params conv;           /* CONVOLUTION, DECONVOLUTION */
  ingot_pooling_params pooling;
  ingot_activation_params activation;
  ingot_matmul_params matmul;
  ingot_fc_params fc;
  ingot_softmax_params softmax;
  ingot_elementwise_params elementwise;
  ingot_unary_params unary;
  ingot_scale_params scale;
  ingot_concat_params concat;
  ingot_shuffle_params shuffle;
  ingot_reduce_params reduce;
  ingot_cast_params cast;
  ingot_slice_params slice;
  ingot_gather_params gather;
  ingot_batchnorm_params batchnorm;
  ingot_layernorm_params layernorm;
  ingot_resize_params resize;
  ingot_padding_params padding;
  ingot_topk_params topk;
  ingot_fill_params fill;
  ingot_gather_ex_params gather_ex; /* GATHER_ELEMENTS, GATHER_ND */
  ingot_scatter_params scatter;
  ingot_cumulative_params cumulative;
  ingot_quantize_params quantize;   /* QUANTIZE, DEQUANTIZE */
  ingot_einsum_params einsum;
  ingot_compress_params compress;
  ingot_nms_params nms;
  ingot_unique_params unique;
  ingot_rnn_params rnn;
  ingot_plugin_params plugin;
  ingot_attention_params attention;
  char none;
} ingot_op_params;

#endif
