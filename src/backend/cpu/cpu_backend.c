/* The CPU backend: its tactic table. Each row is one implementation of one op; the
 * builder picks among the rows of a node's op that support it, timing them when there
 * are several. The reference rows are the scalar kernels every other tactic is tested
 * against. */
#include <string.h>
#include <sys/utsname.h>

#include "backend/cpu/cpu_kernels.h"
#ifdef INGOT_HAVE_ONEDNN
#include "backend/cpu/dnnl/dnnl_tactics.h"
#endif
#include "backend/plugin_tactic.h"
#include "ingot/builder.h"

/* The reference float kernels compute in float32: the builder casts float16/bfloat16
 * around them (see builder/precision.c). */
static bool no_half_inputs(const ingot_node *node, const ingot_tensor_view *inputs, const ingot_tensor_view *outputs) {
  for (int32_t i = 0; i < node->nb_inputs; i++)
    if (inputs[i].dims.nb_dims >= 0 && (inputs[i].dtype == INGOT_FLOAT16 || inputs[i].dtype == INGOT_BFLOAT16))
      return false;
  for (int32_t i = 0; i < node->nb_outputs; i++)
    if (outputs[i].dtype == INGOT_FLOAT16 || outputs[i].dtype == INGOT_BFLOAT16) return false;
  return true;
}

static bool resize_supports(const ingot_node *node, const ingot_tensor_view *inputs, const ingot_tensor_view *outputs) {
  return node->params.resize.mode == INGOT_RESIZE_NEAREST || no_half_inputs(node, inputs, outputs);
}

/* Scatter without a reduction only moves elements (any dtype); its reductions compute in
 * float32, int32 or int64. */
static bool scatter_supports(const ingot_node *node, const ingot_tensor_view *inputs, const ingot_tensor_view *outputs) {
  return node->params.scatter.reduction == INGOT_SCATTER_REDUCE_NONE || no_half_inputs(node, inputs, outputs);
}

#define ROW(OP, NAME, SUPPORTS, RUN) {INGOT_OP_##OP, NAME, 1, SUPPORTS, NULL, NULL, RUN}
/* packed_inputs (backend.h): the GEMM-based rows read their weights (input 1; an RNN's W
 * and R) only from the panels prepare() packed; biases, residuals, an RNN's B, lengths,
 * states and peepholes are read from their inputs at run time. */
#define PACKED(SLOT) (1u << (SLOT))
static const ingot_tactic cpu_tactics[] = {
    ROW(CONVOLUTION, "conv_f32_reference", no_half_inputs, ingot_cpu_convolution),
    ROW(DECONVOLUTION, "deconv_f32_reference", no_half_inputs, ingot_cpu_deconvolution),
    ROW(POOLING, "pooling_f32_reference", no_half_inputs, ingot_cpu_pooling),
    ROW(ACTIVATION, "activation_f32_reference", no_half_inputs, ingot_cpu_activation_layer),
    ROW(PARAMETRIC_RELU, "prelu_f32_reference", no_half_inputs, ingot_cpu_parametric_relu),
    ROW(MATRIX_MULTIPLY, "matmul_f32_reference", no_half_inputs, ingot_cpu_matrix_multiply),
    ROW(FULLY_CONNECTED, "fc_f32_reference", no_half_inputs, ingot_cpu_fully_connected),
    ROW(SOFTMAX, "softmax_f32_reference", no_half_inputs, ingot_cpu_softmax),
    ROW(ELEMENTWISE, "elementwise_reference", no_half_inputs, ingot_cpu_elementwise),
    ROW(UNARY, "unary_reference", no_half_inputs, ingot_cpu_unary),
    ROW(SCALE, "scale_f32_reference", no_half_inputs, ingot_cpu_scale),
    ROW(CONCATENATION, "concat_reference", NULL, ingot_cpu_concatenation),
    ROW(SHUFFLE, "shuffle_reference", NULL, ingot_cpu_shuffle),
    ROW(REDUCE, "reduce_reference", no_half_inputs, ingot_cpu_reduce),
    ROW(IDENTITY, "identity_reference", NULL, ingot_cpu_identity),
    ROW(CAST, "cast_reference", NULL, ingot_cpu_cast),
    ROW(SLICE, "slice_reference", NULL, ingot_cpu_slice),
    ROW(GATHER, "gather_reference", NULL, ingot_cpu_gather),
    ROW(SELECT, "select_reference", NULL, ingot_cpu_select),
    ROW(BATCH_NORMALIZATION, "batchnorm_f32_reference", no_half_inputs, ingot_cpu_batch_normalization),
    ROW(LAYER_NORMALIZATION, "layernorm_f32_reference", no_half_inputs, ingot_cpu_layer_normalization),
    ROW(RESIZE, "resize_reference", resize_supports, ingot_cpu_resize),
    ROW(PADDING, "padding_reference", NULL, ingot_cpu_padding),
    {INGOT_OP_TOPK, "topk_reference", 1, no_half_inputs, ingot_cpu_topk_workspace, NULL, ingot_cpu_topk},
    ROW(SHAPE, "shape_reference", NULL, ingot_cpu_shape),
    ROW(FILL, "fill_reference", NULL, ingot_cpu_fill_layer),
    ROW(RANGE, "range_reference", NULL, ingot_cpu_range),
    ROW(GATHER_ELEMENTS, "gather_elements_reference", NULL, ingot_cpu_gather_elements),
    ROW(GATHER_ND, "gather_nd_reference", NULL, ingot_cpu_gather_nd),
    ROW(SCATTER, "scatter_reference", scatter_supports, ingot_cpu_scatter),
    ROW(CUMULATIVE, "cumsum_reference", no_half_inputs, ingot_cpu_cumulative),
    ROW(EXPAND, "expand_reference", NULL, ingot_cpu_expand),
    ROW(TILE, "tile_reference", NULL, ingot_cpu_tile),
    ROW(QUANTIZE, "quantize_f32_reference", no_half_inputs, ingot_cpu_quantize),
    ROW(DEQUANTIZE, "dequantize_f32_reference", no_half_inputs, ingot_cpu_dequantize),
    ROW(EINSUM, "einsum_f32_reference", no_half_inputs, ingot_cpu_einsum),
    {INGOT_OP_RNN, "rnn_f32_reference", 1, no_half_inputs, ingot_cpu_rnn_workspace, NULL, ingot_cpu_rnn},
    /* data-dependent output shapes: they report their outputs' real dims */
    ROW(NON_ZERO, "non_zero_reference", NULL, ingot_cpu_non_zero),
    {INGOT_OP_NON_MAX_SUPPRESSION, "nms_f32_reference", 1, NULL, ingot_cpu_nms_workspace, NULL,
     ingot_cpu_non_max_suppression},
    ROW(COMPRESS, "compress_reference", NULL, ingot_cpu_compress),
    {INGOT_OP_UNIQUE, "unique_reference", 1, NULL, ingot_cpu_unique_workspace, NULL, ingot_cpu_unique},
    {INGOT_OP_ATTENTION, "attention_f32_reference", 1, no_half_inputs, ingot_cpu_attention_workspace, NULL,
     ingot_cpu_attention},
    /* a user's layer: its own enqueue (backend/plugin_tactic.c) */
    {INGOT_OP_PLUGIN, "plugin_cpu", 1, ingot_plugin_cpu_supports, ingot_plugin_workspace, NULL, ingot_plugin_cpu_run},
    /* Fast tactics, after every reference row (the oracle); last-listed is fastest by
     * design, taken when the builder does not time. oneDNN's (tactic source ONEDNN) come
     * before ingot's own (source INGOT), which untimed builds keep taking. */
#ifdef INGOT_HAVE_ONEDNN
    INGOT_ONEDNN_TACTIC_ROWS
#endif
    {INGOT_OP_CONVOLUTION, "conv_f32_gemm", 1, ingot_cpu_conv_gemm_supports, ingot_cpu_conv_gemm_workspace,
     ingot_cpu_conv_gemm_prepare, ingot_cpu_conv_gemm, NULL, NULL, INGOT_TACTIC_SOURCE_INGOT, PACKED(1)},
    {INGOT_OP_CONVOLUTION, "conv_f32_nhwc_gemm", 1, ingot_cpu_conv_nhwc_supports, ingot_cpu_conv_nhwc_workspace,
     ingot_cpu_conv_nhwc_prepare, ingot_cpu_conv_nhwc, NULL, NULL, INGOT_TACTIC_SOURCE_INGOT, PACKED(1)},
    {INGOT_OP_CONVOLUTION, "conv_f32_winograd_nhwc", 1, ingot_cpu_conv_winograd_nhwc_supports,
     ingot_cpu_conv_winograd_nhwc_workspace, ingot_cpu_conv_winograd_nhwc_prepare, ingot_cpu_conv_winograd_nhwc, NULL,
     NULL, INGOT_TACTIC_SOURCE_INGOT, PACKED(1)},
    {INGOT_OP_CONVOLUTION, "conv_f32_depthwise", 1, ingot_cpu_conv_depthwise_supports, NULL, NULL,
     ingot_cpu_conv_depthwise, NULL, NULL, INGOT_TACTIC_SOURCE_INGOT},
    {INGOT_OP_CONVOLUTION, "conv_f32_depthwise_nhwc", 1, ingot_cpu_conv_depthwise_nhwc_supports, NULL,
     ingot_cpu_conv_depthwise_nhwc_prepare, ingot_cpu_conv_depthwise_nhwc, NULL, NULL, INGOT_TACTIC_SOURCE_INGOT,
     PACKED(1)},
    {INGOT_OP_ACTIVATION, "activation_f32_vector", 1, ingot_cpu_activation_vector_supports, NULL, NULL,
     ingot_cpu_activation_vector, NULL, NULL, INGOT_TACTIC_SOURCE_INGOT},
    {INGOT_OP_SOFTMAX, "softmax_f32_vector", 1, ingot_cpu_softmax_vector_supports, NULL, NULL,
     ingot_cpu_softmax_vector, NULL, NULL, INGOT_TACTIC_SOURCE_INGOT},
    {INGOT_OP_RESIZE, "resize_nearest_table", 1, ingot_cpu_resize_nearest_supports, ingot_cpu_resize_nearest_workspace,
     NULL, ingot_cpu_resize_nearest, NULL, NULL, INGOT_TACTIC_SOURCE_INGOT},
    {INGOT_OP_LAYER_NORMALIZATION, "layernorm_f32_vector", 1, ingot_cpu_layernorm_vector_supports, NULL, NULL,
     ingot_cpu_layernorm_vector, NULL, NULL, INGOT_TACTIC_SOURCE_INGOT},
    {INGOT_OP_POOLING, "pool2d_f32_direct", 1, ingot_cpu_pool2d_direct_supports, ingot_cpu_pool2d_direct_workspace,
     NULL, ingot_cpu_pool2d_direct, NULL, NULL, INGOT_TACTIC_SOURCE_INGOT},
    {INGOT_OP_POOLING, "pool2d_f32_nhwc", 1, ingot_cpu_pool2d_nhwc_supports, NULL, NULL, ingot_cpu_pool2d_nhwc, NULL,
     NULL, INGOT_TACTIC_SOURCE_INGOT},
    {INGOT_OP_FULLY_CONNECTED, "fc_f32_gemm", 1, ingot_cpu_fc_gemm_supports, ingot_cpu_fc_gemm_workspace,
     ingot_cpu_fc_gemm_prepare, ingot_cpu_fc_gemm, NULL, NULL, INGOT_TACTIC_SOURCE_INGOT, PACKED(1)},
    {INGOT_OP_MATRIX_MULTIPLY, "matmul_f32_gemm", 1, ingot_cpu_matmul_gemm_supports, ingot_cpu_matmul_gemm_workspace,
     ingot_cpu_matmul_gemm_prepare, ingot_cpu_matmul_gemm, NULL, NULL, INGOT_TACTIC_SOURCE_INGOT, PACKED(1)},
    {INGOT_OP_ATTENTION, "attention_f32_gemm", 1, ingot_cpu_attention_gemm_supports, ingot_cpu_attention_gemm_workspace,
     NULL, ingot_cpu_attention_gemm, NULL, NULL, INGOT_TACTIC_SOURCE_INGOT},
    {INGOT_OP_RNN, "rnn_f32_gemm", 1, ingot_cpu_rnn_gemm_supports, ingot_cpu_rnn_gemm_workspace,
     ingot_cpu_rnn_gemm_prepare, ingot_cpu_rnn_gemm, NULL, NULL, INGOT_TACTIC_SOURCE_INGOT,
     PACKED(INGOT_RNN_INPUT_W) | PACKED(INGOT_RNN_INPUT_R)},
};
#undef ROW
#undef PACKED

static const char *cpu_arch(void) {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "generic";
#endif
}

static const ingot_backend cpu_backend = {
    /* .abi_version = */ INGOT_BACKEND_ABI_VERSION,
    /* .target = */ INGOT_TARGET_CPU,
    /* .name = */ "cpu",
    /* .arch = */ cpu_arch,
    /* .nb_tactics = */ (int32_t)(sizeof cpu_tactics / sizeof cpu_tactics[0]),
    /* .tactics = */ cpu_tactics,
};

const ingot_backend *ingot_cpu_backend(void) { return &cpu_backend; }
