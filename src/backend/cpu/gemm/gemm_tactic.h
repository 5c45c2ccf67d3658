/* Helpers shared by the GEMM-based tactics (fc_gemm.c, matmul_gemm.c, conv_gemm.c,
 * conv_depthwise.c): dtype checks, the kernel of a node's packed weights, its errors. */
#ifndef INGOT_BACKEND_CPU_GEMM_TACTIC_H
#define INGOT_BACKEND_CPU_GEMM_TACTIC_H

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/gemm/gemm.h"
#include "core/dims.h"
#include "core/error.h"
#include "ops/conv_geometry.h"

/* Every present input and every output is float32 (these tactics compute in float32 and
 * leave half precision to the casts the builder inserts around the reference kernels). */
static inline bool ingot_gemm_all_f32(const ingot_node *node, const ingot_tensor_view *inputs,
                                      const ingot_tensor_view *outputs) {
  for (int32_t i = 0; i < node->nb_inputs; i++)
    if (inputs[i].dims.nb_dims >= 0 && inputs[i].dtype != INGOT_FLOAT32) return false;
  for (int32_t i = 0; i < node->nb_outputs; i++)
    if (outputs[i].dtype != INGOT_FLOAT32) return false;
  return true;
}

/* Run-time check of the same, for data handed to run() directly. */
static inline ingot_status ingot_gemm_check_f32(const ingot_kernel_args *args) {
  for (int32_t i = 0; i < args->nb_inputs; i++)
    if (args->inputs[i].data != NULL && args->inputs[i].dtype != INGOT_FLOAT32)
      return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "tactic %s takes float32, input %d is %s",
                             args->node->tactic ? args->node->tactic->name : "gemm", (int)i,
                             ingot_dtype_name(args->inputs[i].dtype));
  if (args->outputs[0].dtype != INGOT_FLOAT32)
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "tactic %s gives float32, the output is %s",
                           args->node->tactic ? args->node->tactic->name : "gemm",
                           ingot_dtype_name(args->outputs[0].dtype));
  return INGOT_SUCCESS;
}

/* The kernel to run a node's packed weights with (the default one when there are none);
 * `storage` as in ingot_gemm_kernel_for_shape. */
static inline const ingot_gemm_kernel *ingot_gemm_kernel_of(const ingot_kernel_args *args,
                                                            ingot_gemm_kernel *storage) {
  const ingot_gemm_pack_header *h = args->prepared;
  if (h && args->prepared_size >= sizeof *h && h->magic == INGOT_GEMM_PACK_MAGIC) {
    const ingot_gemm_kernel *kr = ingot_gemm_kernel_for_shape(h->mr, h->nr, storage);
    if (kr) return kr;
  }
  return ingot_gemm_default_kernel();
}

/* Checks the node's packed weights (see ingot_gemm_pack_check), failing with the layer's name. */
static inline ingot_status ingot_gemm_use_pack(const ingot_kernel_args *args, int32_t operand, int64_t rows,
                                               int64_t cols, int64_t count, ingot_gemm_kernel *storage,
                                               const ingot_gemm_kernel **kernel_out) {
  char why[256];
  if (!ingot_gemm_pack_check(args->prepared, args->prepared_size, operand, rows, cols, count, storage, kernel_out,
                             why, sizeof why))
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "%s", why);
  return INGOT_SUCCESS;
}

/* A convolution's bias (one value per output map, K of them) and residual (the output's
 * size) from the kernel args, checked; NULL for those the node does not have. */
static inline ingot_status ingot_conv_epilogue_inputs(const ingot_kernel_args *args, int64_t K, const float **bias_out,
                                                      const float **res_out) {
  const ingot_conv_params *p = &args->params->conv;
  int32_t slot = ingot_conv_bias_slot(p, args->nb_inputs);
  const float *bias = slot >= 0 ? args->inputs[slot].data : NULL;
  const float *res = p->epilogue.has_residual ? args->inputs[args->nb_inputs - 1].data : NULL;
  if (p->epilogue.has_residual &&
      (!res || ingot_dims_volume(&args->inputs[args->nb_inputs - 1].dims) != ingot_dims_volume(&args->outputs[0].dims)))
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "the residual input is absent or not of the output's size");
  if (bias && ingot_dims_volume(&args->inputs[slot].dims) != K)
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "the bias has %lld values for %lld output maps",
                           (long long)ingot_dims_volume(&args->inputs[slot].dims), (long long)K);
  *bias_out = bias;
  *res_out = res;
  return INGOT_SUCCESS;
}

/* How the channels-last convolutions (Winograd, depthwise) apply an epilogue activation:
 * relu and clip as a clamp in their vector loops, any other as a vmath pass afterwards. */
enum { INGOT_CONV_CLAMP_NONE = 0, INGOT_CONV_CLAMP_RELU, INGOT_CONV_CLAMP_CLIP };
static inline void ingot_conv_epilogue_split(const ingot_epilogue *e, int32_t *clamp, int32_t *activation) {
  *clamp = INGOT_CONV_CLAMP_NONE;
  *activation = -1;
  if (e->activation == INGOT_ACTIVATION_RELU)
    *clamp = INGOT_CONV_CLAMP_RELU;
  else if (e->activation == INGOT_ACTIVATION_CLIP)
    *clamp = INGOT_CONV_CLAMP_CLIP;
  else if (e->activation >= 0)
    *activation = e->activation;
}

static inline int64_t ingot_gemm_round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

#endif
