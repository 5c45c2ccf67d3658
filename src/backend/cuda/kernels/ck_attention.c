/* CUDA tactics of the attention layer (attention.cu): the tensor-core flash kernel (fp16 /
 * bf16, d == dv in {64, 128}) and the general rows kernel (any float dtype and size, up to
 * 8 queries a block). Both read q, k, v, o and the mask in place through the strides the
 * layer's permutations give (ops/attention_geometry.h); the feature dim must be the
 * innermost. */
#include "backend/cuda/kernels/ck_tactics.h"
#include "ops/attention_geometry.h"
#include "ops/ops.h"

#define STREAM(args) ((cudaStream_t)(args)->stream)

/* The launch descriptor of the node on these views (data pointers may be NULL at build
 * time); false if the operands do not fit the op or the kernels' common needs: one float
 * dtype, the mask's dtype, rank 4, the feature dim contiguous in q, k, v and o. */
static bool attention_desc(const ingot_node *node, const ingot_tensor_view *in, const ingot_tensor_view *out,
                           ingot_ck_attention_desc *a) {
  const ingot_attention_params *p = &node->params.attention;
  const ingot_dtype dt = in[0].dtype;
  if (!ingot_ck_is_float(dt) || in[1].dtype != dt || in[2].dtype != dt || out[0].dtype != dt) return false;
  if (p->mask_kind < INGOT_ATTENTION_MASK_NONE || p->mask_kind > INGOT_ATTENTION_MASK_SELECT) return false;
  const bool has_mask = p->mask_kind != INGOT_ATTENTION_MASK_NONE;
  if (has_mask) {
    if (!ingot_ck_present(node->nb_inputs, in, 3)) return false;
    if (in[3].dtype != (p->mask_kind == INGOT_ATTENTION_MASK_ADD ? dt : INGOT_BOOL)) return false;
  }
  if (out[0].dims.nb_dims != 4) return false;
  ingot_attention_geometry g;
  if (!ingot_attention_geometry_make(p, &in[0].dims, &in[1].dims, &in[2].dims, has_mask ? &in[3].dims : NULL, &g))
    return false;
  if (g.q[3] != 1 || g.k[3] != 1 || g.v[3] != 1 || g.o[3] != 1) return false;
  *a = (ingot_ck_attention_desc){
      .dtype = (int32_t)dt,
      .batch = g.batch, .heads = g.heads, .sq = g.sq, .sk = g.sk, .d = g.d, .dv = g.dv,
      .scale = p->scale,
      .q = in[0].data, .k = in[1].data, .v = in[2].data, .o = out[0].data,
      .q_stride = {g.q[0], g.q[1], g.q[2]},
      .k_stride = {g.k[0], g.k[1], g.k[2]},
      .v_stride = {g.v[0], g.v[1], g.v[2]},
      .o_stride = {g.o[0], g.o[1], g.o[2]},
      .mask_kind = has_mask ? p->mask_kind : 0,
      .mask = has_mask ? in[3].data : NULL,
      .mask_stride = {g.mask[0], g.mask[1], g.mask[2], g.mask[3]},
      .mask_select = p->mask_select,
      .mask_fill = p->mask_fill,
  };
  return true;
}

/* ---- flash ------------------------------------------------------------------------------------ */

bool ingot_ck_attention_flash_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                              const ingot_tensor_view *outputs) {
  ingot_ck_attention_desc a;
  if (!attention_desc(node, inputs, outputs, &a)) return false;
  /* Pointers are checked at run time (the launcher refuses misaligned ones); at build time
   * the views may hold none, or host copies of constants. */
  a.q = a.k = a.v = a.o = NULL;
  return ingot_ck_attention_flash_fits(&a);
}

ingot_status ingot_ck_attention_flash_tactic(const ingot_kernel_args *args) {
  ingot_ck_attention_desc a;
  if (!attention_desc(args->node, args->inputs, args->outputs, &a))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "attention operands do not fit the CUDA kernel");
  return ingot_ck_status(args, ingot_ck_attention_flash(&a, STREAM(args)));
}

/* ---- rows --------------------------------------------------------------------------------------- */

bool ingot_ck_attention_rows_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                             const ingot_tensor_view *outputs) {
  ingot_ck_attention_desc a;
  return attention_desc(node, inputs, outputs, &a) && ingot_ck_attention_rows_fits(&a);
}

ingot_status ingot_ck_attention_rows_tactic(const ingot_kernel_args *args) {
  ingot_ck_attention_desc a;
  if (!attention_desc(args->node, args->inputs, args->outputs, &a))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "attention operands do not fit the CUDA kernel");
  return ingot_ck_status(args, ingot_ck_attention_rows(&a, STREAM(args)));
}
