/* The oneDNN tactics' functions and their rows for the CPU backend's table
 * (cpu_backend.c lists INGOT_ONEDNN_TACTIC_ROWS when built with INGOT_ONEDNN). This header
 * does not include oneDNN's. */
#ifndef INGOT_BACKEND_CPU_DNNL_TACTICS_H
#define INGOT_BACKEND_CPU_DNNL_TACTICS_H

#include "backend/backend.h"

#define INGOT_ONEDNN_TACTIC(prefix)                                                                        \
  uint64_t prefix##_workspace(const ingot_kernel_args *args);                                              \
  ingot_status prefix##_prepare(const ingot_kernel_args *args, void **prepared_out, uint64_t *size_out);   \
  ingot_status prefix##_create_state(const ingot_kernel_args *args, void **state_out)
INGOT_ONEDNN_TACTIC(ingot_onednn_conv);         /* dnnl_conv.c: NCHW as it is */
INGOT_ONEDNN_TACTIC(ingot_onednn_conv_blocked); /* dnnl_conv.c: oneDNN's layouts, reordered */
INGOT_ONEDNN_TACTIC(ingot_onednn_fc);           /* dnnl_matmul.c */
INGOT_ONEDNN_TACTIC(ingot_onednn_matmul);       /* dnnl_matmul.c */
#undef INGOT_ONEDNN_TACTIC

bool ingot_onednn_conv_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                const ingot_tensor_view *outputs);
bool ingot_onednn_fc_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                              const ingot_tensor_view *outputs);
bool ingot_onednn_matmul_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                  const ingot_tensor_view *outputs);
ingot_status ingot_onednn_conv_run(const ingot_kernel_args *args);
ingot_status ingot_onednn_fc_run(const ingot_kernel_args *args);
ingot_status ingot_onednn_matmul_run(const ingot_kernel_args *args);
/* Frees a state any of them made (dnnl_common.c). */
void ingot_dnnl_destroy_state(void *state);

/* packed_inputs: the weights (input 1) are read from the prepared blob only, also on the
 * reference fallback for shapes oneDNN declines (the state unpacks them: dnnl_common.c). */
#define INGOT_ONEDNN_ROW(OP, NAME, SUPPORTS, PREFIX, RUN)                                                  \
  {INGOT_OP_##OP, NAME, 1, SUPPORTS, PREFIX##_workspace, PREFIX##_prepare, RUN, PREFIX##_create_state,     \
   ingot_dnnl_destroy_state, INGOT_TACTIC_SOURCE_ONEDNN, 1u << 1}
#define INGOT_ONEDNN_TACTIC_ROWS                                                                                 \
  INGOT_ONEDNN_ROW(CONVOLUTION, "conv_f32_onednn", ingot_onednn_conv_supports, ingot_onednn_conv,                \
                   ingot_onednn_conv_run),                                                                       \
  INGOT_ONEDNN_ROW(CONVOLUTION, "conv_f32_onednn_blocked", ingot_onednn_conv_supports, ingot_onednn_conv_blocked, \
                   ingot_onednn_conv_run),                                                                       \
  INGOT_ONEDNN_ROW(FULLY_CONNECTED, "fc_f32_onednn", ingot_onednn_fc_supports, ingot_onednn_fc, ingot_onednn_fc_run), \
  INGOT_ONEDNN_ROW(MATRIX_MULTIPLY, "matmul_f32_onednn", ingot_onednn_matmul_supports, ingot_onednn_matmul,      \
                   ingot_onednn_matmul_run),

#endif
