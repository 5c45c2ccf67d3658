/* The CUDA kernel tactics' shared host-side pieces: boxes (ck_box.c) and the run and
 * supports functions of each family file, gathered into cuda_kernel_table.c. */
#ifndef INGOT_BACKEND_CUDA_KERNELS_CK_TACTICS_H
#define INGOT_BACKEND_CUDA_KERNELS_CK_TACTICS_H

#include "backend/backend.h"
#include "backend/cuda/kernels/ck_launch.h"

/* A box over `rank` dims with nb_operands stride sets; dims of 1 are dropped and
 * neighbours contiguous in every operand merged. False if more than INGOT_CK_MAX_DIMS
 * dims remain or a dim is negative. */
bool ingot_ck_box_make(ingot_ck_box *box, int32_t rank, const int64_t *dims, int32_t nb_operands,
                       const int64_t strides[][INGOT_MAX_DIMS]);
/* Broadcasting of inputs onto contiguous output dims: operand k = input k. */
bool ingot_ck_box_broadcast(ingot_ck_box *box, const ingot_dims *out, int32_t nb_inputs, const ingot_dims *const *in);

/* A failed launch as the node's error. */
ingot_status ingot_ck_status(const ingot_kernel_args *args, cudaError_t err);
/* float32, float16 or bfloat16 */
bool ingot_ck_is_float(ingot_dtype dtype);
/* Is input k present? (views of absent optional inputs have rank -1 and no data) */
static inline bool ingot_ck_present(int32_t nb_inputs, const ingot_tensor_view *inputs, int32_t k) {
  return k < nb_inputs && inputs[k].dims.nb_dims >= 0;
}

#define INGOT_CK_TACTIC(name)                                                                                   \
  bool name##_supports(const ingot_node *node, const ingot_tensor_view *inputs, const ingot_tensor_view *outputs); \
  ingot_status name(const ingot_kernel_args *args)

/* ck_pointwise.c */
INGOT_CK_TACTIC(ingot_ck_elementwise_tactic);
INGOT_CK_TACTIC(ingot_ck_select_tactic);
INGOT_CK_TACTIC(ingot_ck_prelu_tactic);
INGOT_CK_TACTIC(ingot_ck_unary_tactic);
INGOT_CK_TACTIC(ingot_ck_activation_tactic);
INGOT_CK_TACTIC(ingot_ck_cast_tactic);
INGOT_CK_TACTIC(ingot_ck_identity_tactic);
/* ck_rows.c: softmax, reduce, normalization, pooling */
INGOT_CK_TACTIC(ingot_ck_softmax_tactic);
INGOT_CK_TACTIC(ingot_ck_reduce_tactic);
INGOT_CK_TACTIC(ingot_ck_layernorm_tactic);
INGOT_CK_TACTIC(ingot_ck_batchnorm_tactic);
INGOT_CK_TACTIC(ingot_ck_pooling_tactic);
/* ck_move.c */
INGOT_CK_TACTIC(ingot_ck_shuffle_tactic);
INGOT_CK_TACTIC(ingot_ck_slice_tactic);
INGOT_CK_TACTIC(ingot_ck_concat_tactic);
INGOT_CK_TACTIC(ingot_ck_expand_tactic);
INGOT_CK_TACTIC(ingot_ck_tile_tactic);
INGOT_CK_TACTIC(ingot_ck_gather_tactic);
INGOT_CK_TACTIC(ingot_ck_padding_tactic);
INGOT_CK_TACTIC(ingot_ck_resize_tactic);
/* ck_misc.c */
INGOT_CK_TACTIC(ingot_ck_scale_tactic);
INGOT_CK_TACTIC(ingot_ck_cumsum_tactic);
INGOT_CK_TACTIC(ingot_ck_quantize_tactic);
INGOT_CK_TACTIC(ingot_ck_dequantize_tactic);
INGOT_CK_TACTIC(ingot_ck_fill_tactic);
INGOT_CK_TACTIC(ingot_ck_shape_tactic);
INGOT_CK_TACTIC(ingot_ck_gather_elements_tactic);
INGOT_CK_TACTIC(ingot_ck_topk_tactic);
/* ck_scatter.c */
INGOT_CK_TACTIC(ingot_ck_gather_nd_tactic);
INGOT_CK_TACTIC(ingot_ck_scatter_tactic);
/* ck_attention.c */
INGOT_CK_TACTIC(ingot_ck_attention_flash_tactic);
INGOT_CK_TACTIC(ingot_ck_attention_rows_tactic);
#undef INGOT_CK_TACTIC

#endif
