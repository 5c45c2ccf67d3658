/* The CPU backend's kernels: one run function per op family, each in its own file
 * (conv.c, pooling.c, ...). They are listed as tactics in cpu_backend.c. */
#ifndef INGOT_BACKEND_CPU_KERNELS_H
#define INGOT_BACKEND_CPU_KERNELS_H

#include "backend/backend.h"

/* Applies an epilogue activation to one value (shared by every fused producer). */
float ingot_cpu_activation(int32_t type, float alpha, float beta, float x);

#define INGOT_CPU_KERNEL(fn) ingot_status fn(const ingot_kernel_args *args)
INGOT_CPU_KERNEL(ingot_cpu_convolution);
INGOT_CPU_KERNEL(ingot_cpu_deconvolution);
INGOT_CPU_KERNEL(ingot_cpu_pooling);
INGOT_CPU_KERNEL(ingot_cpu_activation_layer);
INGOT_CPU_KERNEL(ingot_cpu_parametric_relu);
INGOT_CPU_KERNEL(ingot_cpu_matrix_multiply);
INGOT_CPU_KERNEL(ingot_cpu_fully_connected);
INGOT_CPU_KERNEL(ingot_cpu_softmax);
INGOT_CPU_KERNEL(ingot_cpu_elementwise);
INGOT_CPU_KERNEL(ingot_cpu_unary);
INGOT_CPU_KERNEL(ingot_cpu_scale);
INGOT_CPU_KERNEL(ingot_cpu_concatenation);
INGOT_CPU_KERNEL(ingot_cpu_shuffle);
INGOT_CPU_KERNEL(ingot_cpu_reduce);
INGOT_CPU_KERNEL(ingot_cpu_identity);
INGOT_CPU_KERNEL(ingot_cpu_cast);
INGOT_CPU_KERNEL(ingot_cpu_slice);
INGOT_CPU_KERNEL(ingot_cpu_gather);
INGOT_CPU_KERNEL(ingot_cpu_select);
INGOT_CPU_KERNEL(ingot_cpu_batch_normalization);
INGOT_CPU_KERNEL(ingot_cpu_layer_normalization);
INGOT_CPU_KERNEL(ingot_cpu_resize);
/* resize.c: nearest through per-dim index tables (workspace) */
bool ingot_cpu_resize_nearest_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                       const ingot_tensor_view *outputs);
uint64_t ingot_cpu_resize_nearest_workspace(const ingot_kernel_args *args);
INGOT_CPU_KERNEL(ingot_cpu_resize_nearest);
INGOT_CPU_KERNEL(ingot_cpu_padding);
INGOT_CPU_KERNEL(ingot_cpu_topk);
INGOT_CPU_KERNEL(ingot_cpu_shape);
INGOT_CPU_KERNEL(ingot_cpu_fill_layer);      /* fill.c */
INGOT_CPU_KERNEL(ingot_cpu_range);           /* fill.c */
INGOT_CPU_KERNEL(ingot_cpu_gather_elements); /* gather_ex.c */
INGOT_CPU_KERNEL(ingot_cpu_gather_nd);       /* gather_ex.c */
INGOT_CPU_KERNEL(ingot_cpu_scatter);
INGOT_CPU_KERNEL(ingot_cpu_cumulative);
INGOT_CPU_KERNEL(ingot_cpu_expand);          /* expand.c */
INGOT_CPU_KERNEL(ingot_cpu_tile);            /* expand.c */
INGOT_CPU_KERNEL(ingot_cpu_quantize);        /* quantize.c */
INGOT_CPU_KERNEL(ingot_cpu_dequantize);      /* quantize.c */
INGOT_CPU_KERNEL(ingot_cpu_einsum);
INGOT_CPU_KERNEL(ingot_cpu_rnn);             /* rnn_reference.c */
uint64_t ingot_cpu_rnn_workspace(const ingot_kernel_args *args);
INGOT_CPU_KERNEL(ingot_cpu_non_zero);         /* select_dynamic.c */
INGOT_CPU_KERNEL(ingot_cpu_compress);         /* select_dynamic.c */
INGOT_CPU_KERNEL(ingot_cpu_non_max_suppression); /* nms.c */
INGOT_CPU_KERNEL(ingot_cpu_unique);           /* unique.c */
uint64_t ingot_cpu_nms_workspace(const ingot_kernel_args *args);
uint64_t ingot_cpu_unique_workspace(const ingot_kernel_args *args);
/* Scratch for top-k (implemented in topk.c). */
uint64_t ingot_cpu_topk_workspace(const ingot_kernel_args *args);

/* Packed-GEMM tactics (src/backend/cpu/gemm/): supports, workspace, prepare, run. */
#define INGOT_CPU_TACTIC_FNS(prefix)                                                                   \
  bool prefix##_supports(const ingot_node *node, const ingot_tensor_view *inputs,                     \
                         const ingot_tensor_view *outputs);                                            \
  uint64_t prefix##_workspace(const ingot_kernel_args *args);                                          \
  ingot_status prefix##_prepare(const ingot_kernel_args *args, void **prepared_out, uint64_t *size_out); \
  INGOT_CPU_KERNEL(prefix)
INGOT_CPU_TACTIC_FNS(ingot_cpu_fc_gemm);     /* fc_gemm.c */
INGOT_CPU_TACTIC_FNS(ingot_cpu_matmul_gemm); /* matmul_gemm.c */
INGOT_CPU_TACTIC_FNS(ingot_cpu_conv_gemm);   /* conv_gemm.c */
INGOT_CPU_TACTIC_FNS(ingot_cpu_conv_nhwc);   /* conv_nhwc.c: channels last */
INGOT_CPU_TACTIC_FNS(ingot_cpu_conv_winograd_nhwc); /* conv_winograd_nhwc.c: 3x3 s1, F(2x2, 3x3) */
INGOT_CPU_TACTIC_FNS(ingot_cpu_rnn_gemm);    /* rnn_gemm.c */
#undef INGOT_CPU_TACTIC_FNS
/* conv_depthwise.c: no prepare, no workspace */
bool ingot_cpu_conv_depthwise_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                       const ingot_tensor_view *outputs);
INGOT_CPU_KERNEL(ingot_cpu_conv_depthwise);
/* conv_depthwise_nhwc.c: channels-last depthwise; prepare() repacks the weights taps-major */
bool ingot_cpu_conv_depthwise_nhwc_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                            const ingot_tensor_view *outputs);
ingot_status ingot_cpu_conv_depthwise_nhwc_prepare(const ingot_kernel_args *args, void **prepared_out,
                                                   uint64_t *size_out);
INGOT_CPU_KERNEL(ingot_cpu_conv_depthwise_nhwc);
/* pooling_direct.c: 2-D NCHW max / average pooling; workspace holds per-axis tap tables */
bool ingot_cpu_pool2d_direct_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                      const ingot_tensor_view *outputs);
uint64_t ingot_cpu_pool2d_direct_workspace(const ingot_kernel_args *args);
INGOT_CPU_KERNEL(ingot_cpu_pool2d_direct);
/* pooling_nhwc.c: 2-D channels-last max / average / global pooling; no workspace */
bool ingot_cpu_pool2d_nhwc_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                    const ingot_tensor_view *outputs);
INGOT_CPU_KERNEL(ingot_cpu_pool2d_nhwc);
/* activation_vector.c: float32 activations through vmath.c */
bool ingot_cpu_activation_vector_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                          const ingot_tensor_view *outputs);
INGOT_CPU_KERNEL(ingot_cpu_activation_vector);
/* softmax_vector.c: softmax / log-softmax over the innermost axis through vmath.c */
bool ingot_cpu_softmax_vector_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                       const ingot_tensor_view *outputs);
INGOT_CPU_KERNEL(ingot_cpu_softmax_vector);
/* layernorm_vector.c: float32 layer norm over trailing axes */
bool ingot_cpu_layernorm_vector_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                         const ingot_tensor_view *outputs);
INGOT_CPU_KERNEL(ingot_cpu_layernorm_vector);
/* attention.c: the attention layer's reference; gemm/attention_gemm.c: as packed GEMMs.
 * The geometry of a node's views (false if they do not fit), shared by both. */
struct ingot_attention_geometry;
bool ingot_cpu_attention_geometry(const ingot_kernel_args *args, struct ingot_attention_geometry *g);
uint64_t ingot_cpu_attention_workspace(const ingot_kernel_args *args);
INGOT_CPU_KERNEL(ingot_cpu_attention);
bool ingot_cpu_attention_gemm_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                       const ingot_tensor_view *outputs);
uint64_t ingot_cpu_attention_gemm_workspace(const ingot_kernel_args *args);
INGOT_CPU_KERNEL(ingot_cpu_attention_gemm);

#endif
