/* ingot — the network definition: inputs, layers, constants, outputs.
 * A network owns its tensors and layers; handles stay valid until ingot_network_destroy.
 * A network is not thread-safe: build it from one thread (several networks may be built
 * on several threads at once). */
#ifndef INGOT_NETWORK_H
#define INGOT_NETWORK_H

#include "ingot/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ingot_network ingot_network;
typedef struct ingot_tensor ingot_tensor; /* owned by its network */
typedef struct ingot_layer ingot_layer;   /* owned by its network */

typedef enum ingot_layer_type {
  INGOT_LAYER_CONVOLUTION = 0,
  INGOT_LAYER_DECONVOLUTION,
  INGOT_LAYER_POOLING,
  INGOT_LAYER_ACTIVATION,
  INGOT_LAYER_PARAMETRIC_RELU,
  INGOT_LAYER_MATRIX_MULTIPLY,
  INGOT_LAYER_FULLY_CONNECTED,
  INGOT_LAYER_SOFTMAX,
  INGOT_LAYER_ELEMENTWISE,
  INGOT_LAYER_UNARY,
  INGOT_LAYER_SCALE,
  INGOT_LAYER_CONCATENATION,
  INGOT_LAYER_SHUFFLE,
  INGOT_LAYER_REDUCE,
  INGOT_LAYER_CONSTANT,
  INGOT_LAYER_IDENTITY,
  INGOT_LAYER_CAST,
  INGOT_LAYER_SLICE,
  INGOT_LAYER_GATHER,
  INGOT_LAYER_SELECT,
  INGOT_LAYER_BATCH_NORMALIZATION,
  INGOT_LAYER_LAYER_NORMALIZATION,
  INGOT_LAYER_RESIZE,
  INGOT_LAYER_PADDING,
  INGOT_LAYER_TOPK,
  INGOT_LAYER_SHAPE,
  INGOT_LAYER_FILL,
  INGOT_LAYER_RANGE,
  INGOT_LAYER_GATHER_ELEMENTS,
  INGOT_LAYER_GATHER_ND,
  INGOT_LAYER_SCATTER,
  INGOT_LAYER_CUMULATIVE,
  INGOT_LAYER_EXPAND,
  INGOT_LAYER_TILE,
  INGOT_LAYER_QUANTIZE,
  INGOT_LAYER_DEQUANTIZE,
  INGOT_LAYER_EINSUM,
  INGOT_LAYER_RNN,
  INGOT_LAYER_NON_ZERO,
  INGOT_LAYER_NON_MAX_SUPPRESSION,
  INGOT_LAYER_COMPRESS,
  INGOT_LAYER_UNIQUE,
  INGOT_LAYER_PLUGIN, /* a user's own layer (plugin.h) */
  INGOT_LAYER_ATTENTION,
  INGOT_LAYER_TYPE_COUNT
} ingot_layer_type;

/* Static name of a layer type ("convolution"). */
INGOT_API const char *ingot_layer_type_name(ingot_layer_type type);

/* The logger (may be NULL) receives validation messages; it must outlive the network. */
INGOT_API ingot_status ingot_network_create(ingot_logger *logger, ingot_network **network_out);
INGOT_API void ingot_network_destroy(ingot_network *network);

/* Adds a network input. dims may hold -1 for dynamic dims; every such input needs an
 * optimization profile at build time. Names must be unique among tensors. */
INGOT_API ingot_status ingot_network_add_input(ingot_network *network, const char *name, ingot_dtype dtype,
                                               const ingot_dims *dims, ingot_tensor **tensor_out);
INGOT_API ingot_status ingot_network_mark_output(ingot_network *network, ingot_tensor *tensor);
INGOT_API ingot_status ingot_network_unmark_output(ingot_network *network, ingot_tensor *tensor);

INGOT_API int32_t ingot_network_num_inputs(const ingot_network *network);
INGOT_API int32_t ingot_network_num_outputs(const ingot_network *network);
INGOT_API int32_t ingot_network_num_layers(const ingot_network *network);
INGOT_API ingot_tensor *ingot_network_get_input(const ingot_network *network, int32_t index);
INGOT_API ingot_tensor *ingot_network_get_output(const ingot_network *network, int32_t index);
INGOT_API ingot_layer *ingot_network_get_layer(const ingot_network *network, int32_t index);
/* Finds a tensor by name; NULL (and INGOT_NOT_FOUND as last error) if none. */
INGOT_API ingot_tensor *ingot_network_find_tensor(const ingot_network *network, const char *name);

/* ---- tensors -------------------------------------------------------------------------- */
INGOT_API const char *ingot_tensor_get_name(const ingot_tensor *tensor);
INGOT_API ingot_status ingot_tensor_set_name(ingot_tensor *tensor, const char *name);
INGOT_API ingot_dtype ingot_tensor_get_dtype(const ingot_tensor *tensor);
/* Dims as declared (inputs) or as inferred with dynamic dims left -1 (layer outputs:
 * the builder infers them; before that, nb_dims is -1 when unknown). */
INGOT_API ingot_status ingot_tensor_get_dims(const ingot_tensor *tensor, ingot_dims *dims_out);
INGOT_API int ingot_tensor_is_input(const ingot_tensor *tensor);
INGOT_API int ingot_tensor_is_output(const ingot_tensor *tensor);

/* ---- layers --------------------------------------------------------------------------- */
INGOT_API const char *ingot_layer_get_name(const ingot_layer *layer);
INGOT_API ingot_status ingot_layer_set_name(ingot_layer *layer, const char *name);
INGOT_API ingot_layer_type ingot_layer_get_type(const ingot_layer *layer);
INGOT_API int32_t ingot_layer_num_inputs(const ingot_layer *layer);
INGOT_API int32_t ingot_layer_num_outputs(const ingot_layer *layer);
INGOT_API ingot_tensor *ingot_layer_get_input(const ingot_layer *layer, int32_t index);
INGOT_API ingot_tensor *ingot_layer_get_output(const ingot_layer *layer, int32_t index);
/* Replaces input `index` (TensorRT's setInput), e.g. to feed convolution weights from a
 * tensor instead of constant weights. The dtype and shape are checked at build time. */
INGOT_API ingot_status ingot_layer_set_input(ingot_layer *layer, int32_t index, ingot_tensor *tensor);

/* ---- layer parameters ------------------------------------------------------------------
 * Parameter structs: zero-initialize, then set what you need; a zero stride, dilation or
 * group count means 1. Spatial arrays hold nb_spatial_dims entries (1 to 6). */
#define INGOT_MAX_SPATIAL_DIMS 6

typedef enum ingot_padding_mode {
  INGOT_PADDING_EXPLICIT = 0, /* pre/post padding as given */
  INGOT_PADDING_SAME_UPPER,   /* output = ceil(input / stride); extra padding at the end */
  INGOT_PADDING_SAME_LOWER,   /* same, extra padding at the start */
  INGOT_PADDING_VALID         /* no padding */
} ingot_padding_mode;

/* Convolution input [N, C, spatial...]; kernel weights [K, C/groups, kernel...];
 * bias [K] or none. Deconvolution kernel weights [C, K/groups, kernel...] (ONNX layout). */
typedef struct ingot_convolution_desc {
  int32_t nb_spatial_dims;
  int64_t num_output_maps;
  int64_t kernel_size[INGOT_MAX_SPATIAL_DIMS];
  int64_t stride[INGOT_MAX_SPATIAL_DIMS];
  int64_t pre_padding[INGOT_MAX_SPATIAL_DIMS];
  int64_t post_padding[INGOT_MAX_SPATIAL_DIMS];
  int64_t dilation[INGOT_MAX_SPATIAL_DIMS];
  int64_t output_padding[INGOT_MAX_SPATIAL_DIMS]; /* deconvolution only */
  int64_t groups;
  ingot_padding_mode padding_mode;
  ingot_weights kernel_weights;
  ingot_weights bias_weights;
} ingot_convolution_desc;

INGOT_API ingot_status ingot_network_add_convolution(ingot_network *network, ingot_tensor *input,
                                                     const ingot_convolution_desc *desc, ingot_layer **layer_out);
INGOT_API ingot_status ingot_network_add_deconvolution(ingot_network *network, ingot_tensor *input,
                                                       const ingot_convolution_desc *desc, ingot_layer **layer_out);

typedef enum ingot_pooling_type { INGOT_POOLING_MAX = 0, INGOT_POOLING_AVERAGE } ingot_pooling_type;

typedef struct ingot_pooling_desc {
  ingot_pooling_type type;
  int32_t nb_spatial_dims;
  int64_t window_size[INGOT_MAX_SPATIAL_DIMS];
  int64_t stride[INGOT_MAX_SPATIAL_DIMS];
  int64_t pre_padding[INGOT_MAX_SPATIAL_DIMS];
  int64_t post_padding[INGOT_MAX_SPATIAL_DIMS];
  int64_t dilation[INGOT_MAX_SPATIAL_DIMS];
  ingot_padding_mode padding_mode;
  int32_t average_count_excludes_padding; /* 1: padded cells do not count in the average */
  int32_t ceil_mode;                      /* 1: output size rounds up, as ONNX ceil_mode */
  int32_t global;                         /* 1: the window is the whole spatial extent */
} ingot_pooling_desc;

INGOT_API ingot_status ingot_network_add_pooling(ingot_network *network, ingot_tensor *input,
                                                 const ingot_pooling_desc *desc, ingot_layer **layer_out);

typedef enum ingot_activation_type {
  INGOT_ACTIVATION_RELU = 0,
  INGOT_ACTIVATION_LEAKY_RELU,   /* x >= 0 ? x : alpha * x */
  INGOT_ACTIVATION_SIGMOID,
  INGOT_ACTIVATION_TANH,
  INGOT_ACTIVATION_ELU,          /* x >= 0 ? x : alpha * (exp(x) - 1) */
  INGOT_ACTIVATION_SELU,         /* beta * (x >= 0 ? x : alpha * (exp(x) - 1)) */
  INGOT_ACTIVATION_SOFTPLUS,     /* alpha * log(1 + exp(beta * x)) */
  INGOT_ACTIVATION_SOFTSIGN,     /* x / (1 + |x|) */
  INGOT_ACTIVATION_CLIP,         /* min(max(x, alpha), beta) */
  INGOT_ACTIVATION_HARD_SIGMOID, /* max(0, min(1, alpha * x + beta)) */
  INGOT_ACTIVATION_HARD_SWISH,   /* x * max(0, min(1, x / 6 + 0.5)) */
  INGOT_ACTIVATION_GELU_ERF,     /* 0.5 x (1 + erf(x / sqrt 2)) */
  INGOT_ACTIVATION_GELU_TANH,    /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
  INGOT_ACTIVATION_SILU,         /* x * sigmoid(x) */
  INGOT_ACTIVATION_MISH,         /* x * tanh(softplus(x)) */
  INGOT_ACTIVATION_SCALED_TANH,  /* alpha * tanh(beta * x) */
  INGOT_ACTIVATION_THRESHOLDED_RELU, /* x > alpha ? x : 0 */
  INGOT_ACTIVATION_TYPE_COUNT
} ingot_activation_type;

INGOT_API const char *ingot_activation_type_name(ingot_activation_type type);

INGOT_API ingot_status ingot_network_add_activation(ingot_network *network, ingot_tensor *input,
                                                    ingot_activation_type type, float alpha, float beta,
                                                    ingot_layer **layer_out);
/* PReLU: x >= 0 ? x : slope * x, slope broadcast against x (numpy rules). */
INGOT_API ingot_status ingot_network_add_parametric_relu(ingot_network *network, ingot_tensor *input,
                                                         ingot_tensor *slope, ingot_layer **layer_out);

typedef enum ingot_matrix_op {
  INGOT_MATRIX_OP_NONE = 0,
  INGOT_MATRIX_OP_TRANSPOSE, /* swap the last two dims */
  INGOT_MATRIX_OP_VECTOR     /* the tensor is a (batch of) vector(s): last dim is the vector */
} ingot_matrix_op;

/* Batched matrix multiply over the last two dims; leading dims broadcast (numpy rules). */
INGOT_API ingot_status ingot_network_add_matrix_multiply(ingot_network *network, ingot_tensor *a, ingot_matrix_op op_a,
                                                         ingot_tensor *b, ingot_matrix_op op_b,
                                                         ingot_layer **layer_out);
/* Fully connected: input [N, ...] is flattened to [N, K] (K = product of the other dims),
 * kernel weights [num_outputs, K], bias [num_outputs] or none; output [N, num_outputs]. */
INGOT_API ingot_status ingot_network_add_fully_connected(ingot_network *network, ingot_tensor *input,
                                                         int64_t num_outputs, ingot_weights kernel_weights,
                                                         ingot_weights bias_weights, ingot_layer **layer_out);

/* Softmax along `axis` (negative counts from the end). */
INGOT_API ingot_status ingot_network_add_softmax(ingot_network *network, ingot_tensor *input, int32_t axis,
                                                 ingot_layer **layer_out);
INGOT_API ingot_status ingot_network_add_log_softmax(ingot_network *network, ingot_tensor *input, int32_t axis,
                                                     ingot_layer **layer_out);

typedef enum ingot_elementwise_op {
  INGOT_ELEMENTWISE_SUM = 0,
  INGOT_ELEMENTWISE_SUB,
  INGOT_ELEMENTWISE_PROD,
  INGOT_ELEMENTWISE_DIV,       /* integers: truncates toward zero, as C; division by 0 fails */
  INGOT_ELEMENTWISE_MIN,
  INGOT_ELEMENTWISE_MAX,
  INGOT_ELEMENTWISE_POW,
  INGOT_ELEMENTWISE_FLOOR_DIV,
  INGOT_ELEMENTWISE_MOD,       /* sign of the divisor, as Python / ONNX Mod fmod=0 */
  INGOT_ELEMENTWISE_FMOD,      /* sign of the dividend, as C fmod */
  INGOT_ELEMENTWISE_EQUAL,     /* comparisons give bool */
  INGOT_ELEMENTWISE_GREATER,
  INGOT_ELEMENTWISE_GREATER_EQUAL,
  INGOT_ELEMENTWISE_LESS,
  INGOT_ELEMENTWISE_LESS_EQUAL,
  INGOT_ELEMENTWISE_AND,       /* logic: bool in, bool out */
  INGOT_ELEMENTWISE_OR,
  INGOT_ELEMENTWISE_XOR,
  INGOT_ELEMENTWISE_BITWISE_AND, /* integers: bit by bit, same dtype out */
  INGOT_ELEMENTWISE_BITWISE_OR,
  INGOT_ELEMENTWISE_BITWISE_XOR,
  INGOT_ELEMENTWISE_SHIFT_LEFT,  /* integers: a << b; bits shifted out are lost, b >= the width gives 0 */
  INGOT_ELEMENTWISE_SHIFT_RIGHT, /* integers: a >> b, logical for uint8, arithmetic for signed types */
  INGOT_ELEMENTWISE_OP_COUNT
} ingot_elementwise_op;

/* a op b with numpy broadcasting; a and b must have the same dtype. */
INGOT_API ingot_status ingot_network_add_elementwise(ingot_network *network, ingot_tensor *a, ingot_tensor *b,
                                                     ingot_elementwise_op op, ingot_layer **layer_out);

typedef enum ingot_unary_op {
  INGOT_UNARY_EXP = 0,
  INGOT_UNARY_LOG,
  INGOT_UNARY_SQRT,
  INGOT_UNARY_ABS,
  INGOT_UNARY_NEG,
  INGOT_UNARY_RECIPROCAL,
  INGOT_UNARY_FLOOR,
  INGOT_UNARY_CEIL,
  INGOT_UNARY_ROUND, /* half to even, as ONNX Round */
  INGOT_UNARY_SIN,
  INGOT_UNARY_COS,
  INGOT_UNARY_TAN,
  INGOT_UNARY_ASIN,
  INGOT_UNARY_ACOS,
  INGOT_UNARY_ATAN,
  INGOT_UNARY_SINH,
  INGOT_UNARY_COSH,
  INGOT_UNARY_ASINH,
  INGOT_UNARY_ACOSH,
  INGOT_UNARY_ATANH,
  INGOT_UNARY_ERF,
  INGOT_UNARY_NOT,   /* bool only */
  INGOT_UNARY_SIGN,
  INGOT_UNARY_ISNAN, /* gives bool */
  INGOT_UNARY_ISINF, /* gives bool */
  INGOT_UNARY_BITWISE_NOT, /* integers only */
  INGOT_UNARY_OP_COUNT
} ingot_unary_op;

INGOT_API ingot_status ingot_network_add_unary(ingot_network *network, ingot_tensor *input, ingot_unary_op op,
                                               ingot_layer **layer_out);

typedef enum ingot_scale_mode {
  INGOT_SCALE_UNIFORM = 0, /* one coefficient for the whole tensor */
  INGOT_SCALE_CHANNEL,     /* one per channel (dim channel_axis) */
  INGOT_SCALE_ELEMENTWISE  /* one per element of the dims after the batch dim */
} ingot_scale_mode;

/* y = (x * scale + shift) ^ power; each weight may be empty (scale 1, shift 0, power 1). */
INGOT_API ingot_status ingot_network_add_scale(ingot_network *network, ingot_tensor *input, ingot_scale_mode mode,
                                               ingot_weights shift, ingot_weights scale, ingot_weights power,
                                               int32_t channel_axis, ingot_layer **layer_out);

INGOT_API ingot_status ingot_network_add_concatenation(ingot_network *network, ingot_tensor *const *inputs,
                                                       int32_t nb_inputs, int32_t axis, ingot_layer **layer_out);

/* Shuffle: first transpose, then reshape, then second transpose (TensorRT's IShuffleLayer).
 * permutation[i] = which input dim becomes output dim i. In reshape_dims, 0 copies the
 * input dim at that index (when zero_is_placeholder, the default) and one -1 is inferred. */
typedef struct ingot_shuffle_desc {
  int32_t has_first_transpose;
  int32_t first_transpose[INGOT_MAX_DIMS];
  int32_t has_reshape;
  ingot_dims reshape_dims;
  int32_t zero_is_literal; /* 1: a 0 in reshape_dims is a zero-sized dim, not a copy */
  int32_t has_second_transpose;
  int32_t second_transpose[INGOT_MAX_DIMS];
} ingot_shuffle_desc;

INGOT_API ingot_status ingot_network_add_shuffle(ingot_network *network, ingot_tensor *input,
                                                 const ingot_shuffle_desc *desc, ingot_layer **layer_out);

typedef enum ingot_reduce_op {
  INGOT_REDUCE_SUM = 0,
  INGOT_REDUCE_MEAN,
  INGOT_REDUCE_MAX,
  INGOT_REDUCE_MIN,
  INGOT_REDUCE_PROD,
  INGOT_REDUCE_OP_COUNT
} ingot_reduce_op;

/* Reduces over the dims whose bit is set in axes_mask (bit i = dim i). */
INGOT_API ingot_status ingot_network_add_reduce(ingot_network *network, ingot_tensor *input, ingot_reduce_op op,
                                                uint32_t axes_mask, int32_t keep_dims, ingot_layer **layer_out);

/* A constant tensor of `dims` holding `weights` (count must equal the volume). */
INGOT_API ingot_status ingot_network_add_constant(ingot_network *network, const ingot_dims *dims,
                                                  ingot_weights weights, ingot_layer **layer_out);
INGOT_API ingot_status ingot_network_add_identity(ingot_network *network, ingot_tensor *input,
                                                  ingot_layer **layer_out);
/* Converts to `to_dtype`: float to int truncates toward zero; anything to bool is x != 0. */
INGOT_API ingot_status ingot_network_add_cast(ingot_network *network, ingot_tensor *input, ingot_dtype to_dtype,
                                              ingot_layer **layer_out);

/* Slice: output[i] = input[start + i * stride] for i < size, per dim; strides may be
 * negative. start, size and stride must have the input's rank. */
INGOT_API ingot_status ingot_network_add_slice(ingot_network *network, ingot_tensor *input, const ingot_dims *start,
                                               const ingot_dims *size, const ingot_dims *stride,
                                               ingot_layer **layer_out);

/* Gather along `axis` (ONNX Gather): indices int32 or int64, negative ones count from the
 * end; an index out of range makes execution fail with INGOT_RUNTIME_ERROR. */
INGOT_API ingot_status ingot_network_add_gather(ingot_network *network, ingot_tensor *data, ingot_tensor *indices,
                                                int32_t axis, ingot_layer **layer_out);

/* condition ? then : else, with numpy broadcasting of all three; condition is bool. */
INGOT_API ingot_status ingot_network_add_select(ingot_network *network, ingot_tensor *condition,
                                                ingot_tensor *then_input, ingot_tensor *else_input,
                                                ingot_layer **layer_out);

/* Inference batch normalization over dim 1: y = scale * (x - mean) / sqrt(variance + epsilon) + bias.
 * Each weight holds one value per channel. */
INGOT_API ingot_status ingot_network_add_batch_normalization(ingot_network *network, ingot_tensor *input,
                                                             ingot_weights scale, ingot_weights bias,
                                                             ingot_weights mean, ingot_weights variance,
                                                             float epsilon, ingot_layer **layer_out);

/* Scaled dot-product attention, O = softmax(scale * Q K^T + mask) V, one product per batch
 * and head: q [B, H, Sq, D], k [B, H, Sk, D], v [B, H, Sk, Dv] -> [B, H, Sq, Dv]. mask may be
 * NULL; a float mask (q's dtype) is added to the scaled scores; a bool mask keeps the scores
 * where it is true (false becomes -inf, as ONNX's Attention and TensorRT's attention mask);
 * either broadcasts against [B, H, Sq, Sk]. The builder also makes this layer from the
 * MatMul, scale, mask, Softmax, MatMul chains exporters write. */
INGOT_API ingot_status ingot_network_add_attention(ingot_network *network, ingot_tensor *q, ingot_tensor *k,
                                                   ingot_tensor *v, ingot_tensor *mask, float scale,
                                                   ingot_layer **layer_out);

/* Normalizes over the dims in axes_mask (which must be the trailing dims), then multiplies
 * by scale and adds bias (bias may be NULL); scale and bias broadcast against the input. */
INGOT_API ingot_status ingot_network_add_layer_normalization(ingot_network *network, ingot_tensor *input,
                                                             ingot_tensor *scale, ingot_tensor *bias,
                                                             uint32_t axes_mask, float epsilon,
                                                             ingot_layer **layer_out);

typedef enum ingot_resize_mode { INGOT_RESIZE_NEAREST = 0, INGOT_RESIZE_LINEAR, INGOT_RESIZE_CUBIC } ingot_resize_mode;

typedef enum ingot_resize_coordinate_transform {
  INGOT_RESIZE_HALF_PIXEL = 0,
  INGOT_RESIZE_ASYMMETRIC,
  INGOT_RESIZE_ALIGN_CORNERS,
  INGOT_RESIZE_PYTORCH_HALF_PIXEL,
  INGOT_RESIZE_HALF_PIXEL_SYMMETRIC, /* half_pixel centred on the output canvas */
  INGOT_RESIZE_TF_CROP_AND_RESIZE    /* samples the region `roi`; outside it: extrapolation_value */
} ingot_resize_coordinate_transform;

typedef enum ingot_resize_round_mode {
  INGOT_RESIZE_ROUND_HALF_DOWN = 0, /* ONNX round_prefer_floor */
  INGOT_RESIZE_ROUND_HALF_UP,       /* ONNX round_prefer_ceil */
  INGOT_RESIZE_FLOOR,
  INGOT_RESIZE_CEIL
} ingot_resize_round_mode;

/* Resize: either output_dims (use_scales = 0; full rank) or scales (one per dim, output
 * dim = floor(input dim * scale)); with both (use_scales and output_dims of full rank) the
 * output has output_dims and is sampled with the scales (ONNX keep_aspect_ratio_policy).
 * Linear and cubic modes interpolate every resized dim (float32 reference). A zeroed
 * desc's extra fields mean: cubic A = -0.75, taps outside the input clamp to the edge, no
 * antialias, extrapolation value 0, roi unused. */
typedef struct ingot_resize_desc {
  ingot_resize_mode mode;
  ingot_resize_coordinate_transform coordinate_transform;
  ingot_resize_round_mode nearest_rounding;
  int32_t use_scales;
  ingot_dims output_dims;
  int32_t nb_scales;
  float scales[INGOT_MAX_DIMS];
  float cubic_coeff_a;           /* cubic: the kernel's A; 0 stands for -0.75 (ONNX's default) */
  int32_t exclude_outside;       /* linear/cubic: taps outside the input weigh 0, the rest renormalized */
  int32_t antialias;             /* linear/cubic: when shrinking, the kernel is widened by 1 / scale */
  float extrapolation_value;     /* tf_crop_and_resize: the value sampled outside the input */
  float roi[2 * INGOT_MAX_DIMS]; /* tf_crop_and_resize: normalized starts of every dim, then ends */
} ingot_resize_desc;

INGOT_API ingot_status ingot_network_add_resize(ingot_network *network, ingot_tensor *input,
                                                const ingot_resize_desc *desc, ingot_layer **layer_out);

typedef enum ingot_pad_mode {
  INGOT_PAD_CONSTANT = 0,
  INGOT_PAD_REFLECT, /* mirror without repeating the edge */
  INGOT_PAD_EDGE,    /* repeat the edge */
  INGOT_PAD_WRAP
} ingot_pad_mode;

/* Pads every dim: pre_padding[i] before and post_padding[i] after dim i (rank = nb_dims of
 * the input); negative values crop. */
typedef struct ingot_padding_desc {
  int32_t nb_dims;
  int64_t pre_padding[INGOT_MAX_DIMS];
  int64_t post_padding[INGOT_MAX_DIMS];
  ingot_pad_mode mode;
  float value;
} ingot_padding_desc;

INGOT_API ingot_status ingot_network_add_padding(ingot_network *network, ingot_tensor *input,
                                                 const ingot_padding_desc *desc, ingot_layer **layer_out);

typedef enum ingot_topk_op { INGOT_TOPK_MAX = 0, INGOT_TOPK_MIN } ingot_topk_op;

/* Top-k along `axis`: output 0 the values (sorted, ties by lower index first), output 1
 * their indices as int64. */
INGOT_API ingot_status ingot_network_add_topk(ingot_network *network, ingot_tensor *input, ingot_topk_op op,
                                              int64_t k, int32_t axis, ingot_layer **layer_out);

/* ---- shape arithmetic and the layers ONNX import needs ---------------------------------
 * Several layers take dims as an int64 1-D tensor: set with ingot_layer_set_input, it
 * overrides the static parameter (TensorRT's habit). Such a tensor may be computed from
 * input shapes (shape -> gather -> concat): its value is worked out whenever input shapes
 * are known, at build time for each profile bound and at run time when shapes are set.
 *   shuffle  input 1: reshape dims          slice    inputs 1, 2, 3: start, size, stride
 *   resize   input 1: output dims           padding  input 1: [pre..., post...] */

/* The dims of `input` as an int64 1-D tensor of length rank. */
INGOT_API ingot_status ingot_network_add_shape(ingot_network *network, ingot_tensor *input, ingot_layer **layer_out);

/* A tensor of dtype `dtype` filled with `value`, its dims given by `shape`, an int64 1-D
 * tensor (ONNX ConstantOfShape). */
INGOT_API ingot_status ingot_network_add_fill(ingot_network *network, ingot_tensor *shape, ingot_dtype dtype,
                                              double value, ingot_layer **layer_out);

/* ONNX Range: start, limit, delta scalars (rank 0) of one dtype (float32, int32, int64);
 * output 1-D of max(ceil((limit - start) / delta), 0) elements. Its length must be known
 * when input shapes are set (the scalars are constants or computed from shapes). */
INGOT_API ingot_status ingot_network_add_range(ingot_network *network, ingot_tensor *start, ingot_tensor *limit,
                                               ingot_tensor *delta, ingot_layer **layer_out);

/* ONNX GatherElements: output[i][j][k] = data[index[i][j][k]][j][k] for axis 0, etc. */
INGOT_API ingot_status ingot_network_add_gather_elements(ingot_network *network, ingot_tensor *data,
                                                         ingot_tensor *indices, int32_t axis, ingot_layer **layer_out);
/* ONNX GatherND with batch_dims. */
INGOT_API ingot_status ingot_network_add_gather_nd(ingot_network *network, ingot_tensor *data, ingot_tensor *indices,
                                                   int32_t batch_dims, ingot_layer **layer_out);

typedef enum ingot_scatter_mode { INGOT_SCATTER_ND = 0, INGOT_SCATTER_ELEMENTS } ingot_scatter_mode;
typedef enum ingot_scatter_reduction {
  INGOT_SCATTER_REDUCE_NONE = 0,
  INGOT_SCATTER_REDUCE_ADD,
  INGOT_SCATTER_REDUCE_MUL,
  INGOT_SCATTER_REDUCE_MAX,
  INGOT_SCATTER_REDUCE_MIN
} ingot_scatter_reduction;

/* ONNX ScatterND (axis ignored) or ScatterElements: a copy of data with updates written at
 * indices, combined by `reduction`. */
INGOT_API ingot_status ingot_network_add_scatter(ingot_network *network, ingot_tensor *data, ingot_tensor *indices,
                                                 ingot_tensor *updates, ingot_scatter_mode mode, int32_t axis,
                                                 ingot_scatter_reduction reduction, ingot_layer **layer_out);

/* Cumulative sum along axis (ONNX CumSum): exclusive leaves out the current element,
 * reverse runs from the end. */
INGOT_API ingot_status ingot_network_add_cumulative(ingot_network *network, ingot_tensor *input, int32_t axis,
                                                    int32_t exclusive, int32_t reverse, ingot_layer **layer_out);

/* ONNX Expand: input broadcast (numpy rules, both ways) against `shape`, an int64 1-D tensor. */
INGOT_API ingot_status ingot_network_add_expand(ingot_network *network, ingot_tensor *input, ingot_tensor *shape,
                                                ingot_layer **layer_out);
/* ONNX Tile: input repeated repeats[i] times along dim i (repeats: int64 1-D). */
INGOT_API ingot_status ingot_network_add_tile(ingot_network *network, ingot_tensor *input, ingot_tensor *repeats,
                                              ingot_layer **layer_out);

/* ONNX QuantizeLinear: saturate(round_half_even(x / scale) + zero_point) into int8 or
 * uint8 (output_dtype); scale (float32) and zero_point (output_dtype, may be NULL) are
 * scalars or 1-D along `axis` (per channel). */
INGOT_API ingot_status ingot_network_add_quantize(ingot_network *network, ingot_tensor *input, ingot_tensor *scale,
                                                  ingot_tensor *zero_point, int32_t axis, ingot_dtype output_dtype,
                                                  ingot_layer **layer_out);
/* ONNX DequantizeLinear: (x - zero_point) * scale as float32. */
INGOT_API ingot_status ingot_network_add_dequantize(ingot_network *network, ingot_tensor *input, ingot_tensor *scale,
                                                    ingot_tensor *zero_point, int32_t axis, ingot_layer **layer_out);

/* Einstein summation (ONNX Einsum) over 1 or 2 inputs, e.g. "bij,bjk->bik"; the equation
 * is at most 63 characters, letters a-z and A-Z, with "..." for broadcast dims. */
INGOT_API ingot_status ingot_network_add_einsum(ingot_network *network, ingot_tensor *const *inputs, int32_t nb_inputs,
                                                const char *equation, ingot_layer **layer_out);

/* ---- recurrent layers (TensorRT's IRNNv2Layer, ONNX RNN / GRU / LSTM) -------------------- */
typedef enum ingot_rnn_cell {
  INGOT_RNN_CELL_RNN = 0, /* Ht = f(Xt W^T + Ht-1 R^T + Wb + Rb); f is tanh unless set */
  INGOT_RNN_CELL_GRU,     /* gates z, r, h (ONNX order); f = sigmoid, g = tanh by default */
  INGOT_RNN_CELL_LSTM,    /* gates i, o, f, c (ONNX order); f = sigmoid, g = h = tanh */
  INGOT_RNN_CELL_COUNT
} ingot_rnn_cell;

typedef enum ingot_rnn_direction {
  INGOT_RNN_FORWARD = 0,
  INGOT_RNN_REVERSE,
  INGOT_RNN_BIDIRECTIONAL, /* forward then reverse: num_directions = 2 */
  INGOT_RNN_DIRECTION_COUNT
} ingot_rnn_direction;

/* The activation functions ONNX recurrent operators name (their own list, as it includes
 * Affine, which no layer has). */
typedef enum ingot_rnn_activation {
  INGOT_RNN_ACTIVATION_SIGMOID = 0,
  INGOT_RNN_ACTIVATION_TANH,
  INGOT_RNN_ACTIVATION_RELU,
  INGOT_RNN_ACTIVATION_AFFINE,           /* alpha * x + beta */
  INGOT_RNN_ACTIVATION_LEAKY_RELU,       /* x >= 0 ? x : alpha * x */
  INGOT_RNN_ACTIVATION_THRESHOLDED_RELU, /* x > alpha ? x : 0 */
  INGOT_RNN_ACTIVATION_SCALED_TANH,      /* alpha * tanh(beta * x) */
  INGOT_RNN_ACTIVATION_HARD_SIGMOID,     /* min(max(alpha * x + beta, 0), 1) */
  INGOT_RNN_ACTIVATION_ELU,              /* x >= 0 ? x : alpha * (exp(x) - 1) */
  INGOT_RNN_ACTIVATION_SOFTSIGN,         /* x / (1 + |x|) */
  INGOT_RNN_ACTIVATION_SOFTPLUS,         /* log(1 + exp(x)) */
  INGOT_RNN_ACTIVATION_COUNT
} ingot_rnn_activation;

#define INGOT_RNN_MAX_ACTIVATIONS 6 /* 3 per direction (LSTM), 2 directions */

/* Inputs of a recurrent layer, by index (ingot_layer_set_input sets the optional ones, as
 * TensorRT's setSequenceLengths / setHiddenState / setCellState). With G gates (RNN 1,
 * GRU 3, LSTM 4), D directions and layout 0 (layout 1 swaps the seq/batch and dir/batch
 * dims of X, Y, the states and Y_h / Y_c):
 *   0 X [seq, batch, input]           1 W [D, G*hidden, input]     2 R [D, G*hidden, hidden]
 *   3 B [D, 2*G*hidden] (Wb then Rb)  4 sequence lengths [batch] int32 (each 0..seq)
 *   5 initial hidden [D, batch, hidden]  6 initial cell [D, batch, hidden] (LSTM)
 *   7 peepholes P [D, 3*hidden] (LSTM, gates i, o, f)
 * Outputs: 0 Y [seq, D, batch, hidden] (zero past a sequence's length), 1 Y_h [D, batch,
 * hidden] (the last valid state), and for LSTM 2 Y_c. Absent B, states and P are zeros. */
typedef enum ingot_rnn_input {
  INGOT_RNN_INPUT_X = 0,
  INGOT_RNN_INPUT_W,
  INGOT_RNN_INPUT_R,
  INGOT_RNN_INPUT_B,
  INGOT_RNN_INPUT_SEQUENCE_LENGTHS,
  INGOT_RNN_INPUT_INITIAL_HIDDEN,
  INGOT_RNN_INPUT_INITIAL_CELL,
  INGOT_RNN_INPUT_PEEPHOLES,
  INGOT_RNN_INPUT_COUNT
} ingot_rnn_input;

/* Zero-initialize, then set cell, direction and hidden_size. nb_activations 0 takes the
 * cell's defaults; else it is the per-direction count (RNN 1, GRU 2, LSTM 3: f, g, h),
 * repeated for the reverse direction, or twice that for bidirectional layers. alpha and
 * beta are used only by the activations that take them. */
typedef struct ingot_rnn_desc {
  ingot_rnn_cell cell;
  ingot_rnn_direction direction;
  int64_t hidden_size;
  int32_t layout; /* 0: [seq, batch, ...] (ONNX default); 1: [batch, seq, ...] */
  int32_t nb_activations;
  ingot_rnn_activation activations[INGOT_RNN_MAX_ACTIVATIONS];
  float activation_alpha[INGOT_RNN_MAX_ACTIVATIONS];
  float activation_beta[INGOT_RNN_MAX_ACTIVATIONS];
  int32_t has_clip;  /* 1: gate pre-activations clipped to [-clip, clip] */
  float clip;
  int32_t input_forget;        /* LSTM: forget gate = 1 - input gate */
  int32_t linear_before_reset; /* GRU: r applied after Ht-1 Rh^T + Rbh */
} ingot_rnn_desc;

/* A one-layer recurrent network over the sequence `x` with weights `w`, `r` (tensors,
 * usually constants, which the builder packs) and `b` (may be NULL). */
INGOT_API ingot_status ingot_network_add_rnn(ingot_network *network, ingot_tensor *x, ingot_tensor *w,
                                             ingot_tensor *r, ingot_tensor *b, const ingot_rnn_desc *desc,
                                             ingot_layer **layer_out);

/* ---- data-dependent output shapes (TensorRT's INonZeroLayer, INMSLayer, ...) -----------
 * The extent of these layers' outputs depends on the input values. The builder plans them
 * at an upper bound; an execution context reports the real dims after execute (see
 * ingot_execution_context_get_tensor_shape and _get_tensor_max_shape in runtime.h), and
 * the layers downstream run at the real dims. */

/* ONNX NonZero: the indices of the non-zero elements of `input`, as an int64 [rank, count]
 * tensor in row-major order of the elements. Bound: count = volume of input. */
INGOT_API ingot_status ingot_network_add_non_zero(ingot_network *network, ingot_tensor *input,
                                                  ingot_layer **layer_out);

/* ONNX NonMaxSuppression: boxes [batch, N, 4] and scores [batch, classes, N] (float32);
 * max_output_boxes_per_class (int64 scalar; NULL selects nothing, as ONNX's default 0),
 * iou_threshold and score_threshold (float32 scalars; NULL: 0 and no score threshold).
 * center_point_box 0: boxes are [y1, x1, y2, x2] corners; 1: [x_center, y_center, w, h].
 * Output: int64 [count, 3] rows (batch, class, box). Bound: batch * classes *
 * min(max_output_boxes_per_class when known at build time, else N, N). */
INGOT_API ingot_status ingot_network_add_non_max_suppression(ingot_network *network, ingot_tensor *boxes,
                                                             ingot_tensor *scores,
                                                             ingot_tensor *max_output_boxes_per_class,
                                                             ingot_tensor *iou_threshold,
                                                             ingot_tensor *score_threshold, int32_t center_point_box,
                                                             ingot_layer **layer_out);

/* ONNX Compress: the elements of `input` (flattened when has_axis is 0) or its slices along
 * `axis` where `condition` (bool 1-D; a shorter condition leaves the rest out) is true. */
INGOT_API ingot_status ingot_network_add_compress(ingot_network *network, ingot_tensor *input,
                                                  ingot_tensor *condition, int32_t has_axis, int32_t axis,
                                                  ingot_layer **layer_out);

/* ONNX Unique: outputs 0 the unique elements (flattened when has_axis is 0) or slices along
 * `axis`, sorted ascending (sorted = 1) or in order of first occurrence; 1 the index of
 * each one's first occurrence; 2 the inverse indices; 3 the counts (all int64). */
INGOT_API ingot_status ingot_network_add_unique(ingot_network *network, ingot_tensor *input, int32_t sorted,
                                                int32_t has_axis, int32_t axis, ingot_layer **layer_out);

#ifdef __cplusplus
}
#endif
#endif
