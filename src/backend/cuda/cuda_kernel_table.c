/* The rows of ingot's own CUDA kernels, one per layer family (see cuda_kernel_table.h).
 * Names say op, dtype range and "cuda"; each row's supports() says which dtypes and
 * shapes it runs (floats as fp32/fp16/bf16 with fp32 accumulation, and the integer and
 * bool dtypes the CPU op has). */
#include "backend/cuda/cuda_kernel_table.h"
#include "backend/cuda/kernels/ck_tactics.h"

/* The launchers' dtype codes are ingot_dtype's values. */
#define SAME(a, b) ((int)(a) == (int)(b))
_Static_assert(SAME(INGOT_CK_F32, INGOT_FLOAT32) && SAME(INGOT_CK_F16, INGOT_FLOAT16) &&
                   SAME(INGOT_CK_BF16, INGOT_BFLOAT16) && SAME(INGOT_CK_I8, INGOT_INT8) &&
                   SAME(INGOT_CK_I32, INGOT_INT32) && SAME(INGOT_CK_I64, INGOT_INT64) && SAME(INGOT_CK_BOOL, INGOT_BOOL) &&
                   SAME(INGOT_CK_U8, INGOT_UINT8),
               "ck_launch.h dtype codes must equal ingot_dtype");
_Static_assert(INGOT_CK_MAX_DIMS == INGOT_MAX_DIMS, "box rank equals the tensor rank limit");
#undef SAME

#define ROW(OP, NAME, FN) {.op = INGOT_OP_##OP, .name = NAME, .version = 1, .supports = FN##_supports, .run = FN}
const ingot_tactic ingot_cuda_kernel_tactics[] = {
    ROW(ELEMENTWISE, "elementwise_cuda", ingot_ck_elementwise_tactic),
    ROW(SELECT, "select_cuda", ingot_ck_select_tactic),
    ROW(PARAMETRIC_RELU, "prelu_cuda", ingot_ck_prelu_tactic),
    ROW(UNARY, "unary_cuda", ingot_ck_unary_tactic),
    ROW(ACTIVATION, "activation_cuda", ingot_ck_activation_tactic),
    ROW(CAST, "cast_cuda", ingot_ck_cast_tactic),
    ROW(IDENTITY, "identity_cuda", ingot_ck_identity_tactic),
    ROW(SOFTMAX, "softmax_cuda_online", ingot_ck_softmax_tactic),
    ROW(REDUCE, "reduce_cuda", ingot_ck_reduce_tactic),
    ROW(LAYER_NORMALIZATION, "layernorm_cuda_welford", ingot_ck_layernorm_tactic),
    ROW(BATCH_NORMALIZATION, "batchnorm_cuda", ingot_ck_batchnorm_tactic),
    ROW(POOLING, "pooling_cuda", ingot_ck_pooling_tactic),
    ROW(SHUFFLE, "shuffle_cuda", ingot_ck_shuffle_tactic),
    ROW(SLICE, "slice_cuda", ingot_ck_slice_tactic),
    ROW(CONCATENATION, "concat_cuda", ingot_ck_concat_tactic),
    ROW(EXPAND, "expand_cuda", ingot_ck_expand_tactic),
    ROW(TILE, "tile_cuda", ingot_ck_tile_tactic),
    ROW(GATHER, "gather_cuda", ingot_ck_gather_tactic),
    ROW(PADDING, "padding_cuda", ingot_ck_padding_tactic),
    ROW(RESIZE, "resize_cuda", ingot_ck_resize_tactic),
    ROW(SCALE, "scale_cuda", ingot_ck_scale_tactic),
    ROW(CUMULATIVE, "cumsum_cuda", ingot_ck_cumsum_tactic),
    ROW(QUANTIZE, "quantize_cuda", ingot_ck_quantize_tactic),
    ROW(DEQUANTIZE, "dequantize_cuda", ingot_ck_dequantize_tactic),
    ROW(FILL, "fill_cuda", ingot_ck_fill_tactic),
    ROW(SHAPE, "shape_cuda", ingot_ck_shape_tactic),
    ROW(GATHER_ELEMENTS, "gather_elements_cuda", ingot_ck_gather_elements_tactic),
    ROW(GATHER_ND, "gather_nd_cuda", ingot_ck_gather_nd_tactic),
    ROW(TOPK, "topk_cuda_rank", ingot_ck_topk_tactic),
    ROW(SCATTER, "scatter_cuda_ordered", ingot_ck_scatter_tactic),
    ROW(ATTENTION, "attention_cuda_flash", ingot_ck_attention_flash_tactic),
    ROW(ATTENTION, "attention_cuda_rows", ingot_ck_attention_rows_tactic),
};
#undef ROW

const int32_t ingot_cuda_kernel_tactic_count = (int32_t)(sizeof ingot_cuda_kernel_tactics / sizeof ingot_cuda_kernel_tactics[0]);
