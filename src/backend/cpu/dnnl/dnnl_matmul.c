/* fc_f32_onednn (oneDNN inner product) and matmul_f32_onednn (oneDNN matmul): float32,
 * with the node's fused bias, residual and activation as in the reference kernels. FC
 * weights and a constant matmul B are reordered to oneDNN's layout by prepare(); a
 * computed B is read in place. Matmul transposes and vectors are strides and unit dims of
 * oneDNN's descriptors; batch broadcasting is oneDNN's (each batch dim of A, B and the
 * bias is 1 or the output's). */
#include <string.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/dnnl/dnnl_common.h"
#include "backend/cpu/dnnl/dnnl_tactics.h"
#include "core/dims.h"
#include "ops/ops.h"

static bool all_f32(const ingot_node *node, const ingot_tensor_view *inputs, const ingot_tensor_view *outputs) {
  for (int32_t i = 0; i < node->nb_inputs; i++)
    if (inputs[i].dims.nb_dims >= 0 && inputs[i].dtype != INGOT_FLOAT32) return false;
  return outputs[0].dtype == INGOT_FLOAT32;
}

static bool make_pd(const ingot_kernel_args *args, const void *desc, const ingot_epilogue *e,
                    const dnnl_memory_desc_t *residual, bool as_sum, dnnl_engine_t engine,
                    dnnl_primitive_desc_t *pd_out) {
  dnnl_primitive_attr_t attr = NULL;
  if (!ingot_dnnl_attr(args->node, e, residual, as_sum, &attr)) return false;
  bool ok = ingot_dnnl_ok(dnnl_primitive_desc_create(pd_out, desc, attr, engine, NULL), args->node, "primitive");
  dnnl_primitive_attr_destroy(attr);
  return ok;
}

/* The primitive with its epilogue, then the steps: the residual copy (when it is a sum)
 * and the main step reading src (input 0), the weights (input 1), the bias (input
 * bias_slot, or none) into the output. The residual is a binary add read by the primitive,
 * or, when oneDNN would run its reference code for that, a sum onto the output after the
 * residual is copied there. */
static bool finish(const ingot_kernel_args *args, ingot_dnnl_state *s, const void *desc, const ingot_epilogue *e,
                   const dnnl_memory_desc_t *src_md, const dnnl_memory_desc_t *w_plain, bool w_fixed,
                   const dnnl_memory_desc_t *bias_md, int32_t bias_slot, const dnnl_memory_desc_t *dst_md) {
  const ingot_node *node = args->node;
  int32_t res = e->has_residual ? args->nb_inputs - 1 : -1;
  const dnnl_memory_desc_t *residual = res >= 0 ? dst_md : NULL;
  dnnl_primitive_desc_t pd = NULL;
  bool as_sum = false;
  if (!make_pd(args, desc, e, residual, false, s->engine, &pd)) return false;
  if (residual && ingot_dnnl_pd_is_reference(pd)) {
    dnnl_primitive_desc_t sum_pd = NULL;
    if (make_pd(args, desc, e, residual, true, s->engine, &sum_pd)) {
      dnnl_primitive_desc_destroy(pd);
      pd = sum_pd;
      as_sum = true;
    }
  }
  int32_t x = ingot_dnnl_add_mem(s, src_md, INGOT_DNNL_FROM_INPUT, 0);
  int32_t y = ingot_dnnl_add_mem(s, dst_md, INGOT_DNNL_FROM_OUTPUT, 0);
  int32_t w = w_fixed ? ingot_dnnl_fixed_weights(s, args, w_plain,
                                                 dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0))
                      : ingot_dnnl_add_mem(s, w_plain, INGOT_DNNL_FROM_INPUT, 1);
  int32_t b = bias_md ? ingot_dnnl_add_mem(s, bias_md, INGOT_DNNL_FROM_INPUT, bias_slot) : -1;
  int32_t r = res >= 0 ? ingot_dnnl_add_mem(s, dst_md, INGOT_DNNL_FROM_INPUT, res) : -1;
  bool ok = x >= 0 && y >= 0 && w >= 0 && (!bias_md || b >= 0) && (res < 0 || r >= 0);
  if (ok && as_sum) ok = ingot_dnnl_add_reorder(s, node, r, y);
  if (!ok) {
    dnnl_primitive_desc_destroy(pd);
    return false;
  }
  ingot_dnnl_step *step = ingot_dnnl_add_step(s, pd);
  if (!step) return false;
  ingot_dnnl_step_arg(step, DNNL_ARG_SRC, x);
  ingot_dnnl_step_arg(step, DNNL_ARG_WEIGHTS, w);
  ingot_dnnl_step_arg(step, DNNL_ARG_BIAS, b);
  ingot_dnnl_step_arg(step, DNNL_ARG_DST, y);
  if (res >= 0 && !as_sum) ingot_dnnl_step_arg(step, DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, r);
  return true;
}

static bool unsupported(const ingot_node *node, const char *what) {
  ingot_node_fail(node, INGOT_UNSUPPORTED, "oneDNN %s: these dims are not supported", what);
  return false;
}

/* ---- fully connected ------------------------------------------------------------------------ */

/* x [rows, ...] flattens to rows x k. */
static bool fc_dims(const ingot_fc_params *p, const ingot_tensor_view *inputs, const ingot_tensor_view *y,
                    int64_t *rows, int64_t *k) {
  const ingot_dims *x = &inputs[0].dims;
  if (x->nb_dims < 2 || x->d[0] <= 0 || p->num_outputs <= 0) return false;
  *rows = x->d[0];
  *k = ingot_dims_volume(x) / *rows;
  return *k > 0 && ingot_dims_volume(&inputs[1].dims) == p->num_outputs * *k &&
         ingot_dims_volume(&y->dims) == *rows * p->num_outputs;
}

bool ingot_onednn_fc_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                              const ingot_tensor_view *outputs) {
  const ingot_fc_params *p = &node->params.fc;
  int64_t rows, k;
  if (node->nb_inputs < 2 || !inputs[1].data || !all_f32(node, inputs, outputs) ||
      !ingot_dnnl_activation_supported(&p->epilogue) || !fc_dims(p, inputs, &outputs[0], &rows, &k))
    return false;
  if (p->has_bias && (node->nb_inputs < 3 || ingot_dims_volume(&inputs[2].dims) != p->num_outputs)) return false;
  if (p->epilogue.has_residual && node->nb_inputs < 3 + (p->has_bias ? 1 : 0)) return false;
  return !p->epilogue.has_residual ||
         ingot_dims_volume(&inputs[node->nb_inputs - 1].dims) == ingot_dims_volume(&outputs[0].dims);
}

static bool plan_fc(const ingot_kernel_args *args, ingot_dnnl_state *s) {
  const ingot_fc_params *p = &args->params->fc;
  int64_t rows, k;
  if (!fc_dims(p, args->inputs, &args->outputs[0], &rows, &k)) return unsupported(args->node, "inner product");
  int64_t xd[2] = {rows, k}, wd[2] = {p->num_outputs, k}, yd[2] = {rows, p->num_outputs};
  dnnl_memory_desc_t x_md, w_plain, w_any, b_md, y_md;
  dnnl_dims_t wdims = {wd[0], wd[1]};
  if (!ingot_dnnl_plain_md(&x_md, 2, xd) || !ingot_dnnl_plain_md(&w_plain, 2, wd) ||
      !ingot_dnnl_plain_md(&y_md, 2, yd) || !ingot_dnnl_plain_md(&b_md, 1, &p->num_outputs) ||
      dnnl_memory_desc_init_by_tag(&w_any, 2, wdims, dnnl_f32, dnnl_format_tag_any) != dnnl_success)
    return unsupported(args->node, "inner product");
  dnnl_inner_product_desc_t desc;
  if (!ingot_dnnl_ok(dnnl_inner_product_forward_desc_init(&desc, dnnl_forward_inference, &x_md, &w_any,
                                                          p->has_bias ? &b_md : NULL, &y_md),
                     args->node, "inner product descriptor"))
    return false;
  return finish(args, s, &desc, &p->epilogue, &x_md, &w_plain, true, p->has_bias ? &b_md : NULL, 2, &y_md);
}

/* ---- matrix multiply ------------------------------------------------------------------------ */

typedef struct mm_mds {
  dnnl_memory_desc_t a, b, bias, y;
  bool has_bias;
} mm_mds;

/* The descriptors of A [batch..., M, K], B [batch..., K, N], the bias and Y [batch..., M, N]
 * at rank r = 2 + the output's batch rank, the operands' batch dims right-aligned and
 * padded with 1s, their memory read through strides. */
static bool mm_descs(const ingot_matmul_params *p, const ingot_dims *ad, const ingot_dims *bd, const ingot_dims *yd,
                     const ingot_dims *biasd, mm_mds *out) {
  int32_t ra = ad->nb_dims, rb = bd->nb_dims, ry = yd->nb_dims;
  bool va = p->op_a == INGOT_MATRIX_OP_VECTOR, vb = p->op_b == INGOT_MATRIX_OP_VECTOR;
  int32_t na = va ? 1 : 2, nb = vb ? 1 : 2, y_mat = !va + !vb;
  if (ra < na || rb < nb || ry < y_mat) return false;
  int64_t m, ka, kb, n;
  if (va) m = 1, ka = ad->d[ra - 1];
  else if (p->op_a == INGOT_MATRIX_OP_TRANSPOSE) ka = ad->d[ra - 2], m = ad->d[ra - 1];
  else m = ad->d[ra - 2], ka = ad->d[ra - 1];
  if (vb) n = 1, kb = bd->d[rb - 1];
  else if (p->op_b == INGOT_MATRIX_OP_TRANSPOSE) n = bd->d[rb - 2], kb = bd->d[rb - 1];
  else kb = bd->d[rb - 2], n = bd->d[rb - 1];
  int32_t batch = ry - y_mat, r = batch + 2;
  if (ka != kb || m <= 0 || n <= 0 || ka <= 0 || r > DNNL_MAX_NDIMS || ra - na > batch || rb - nb > batch)
    return false;
  dnnl_dims_t a_dims, a_str, b_dims, b_str, y_dims, y_str, bias_dims, bias_str;
  /* batch dims, right-aligned; strides dense over each operand's own batch dims */
  int64_t a_stride = m * ka, b_stride = ka * n, y_stride = m * n;
  for (int32_t i = batch - 1; i >= 0; i--) {
    int32_t ia = i - (batch - (ra - na)), ib = i - (batch - (rb - nb));
    y_dims[i] = yd->d[i];
    a_dims[i] = ia >= 0 ? ad->d[ia] : 1;
    b_dims[i] = ib >= 0 ? bd->d[ib] : 1;
    if ((a_dims[i] != 1 && a_dims[i] != y_dims[i]) || (b_dims[i] != 1 && b_dims[i] != y_dims[i]) || y_dims[i] <= 0)
      return false;
    a_str[i] = a_stride;
    b_str[i] = b_stride;
    y_str[i] = y_stride;
    a_stride *= a_dims[i];
    b_stride *= b_dims[i];
    y_stride *= y_dims[i];
  }
  if (y_stride != ingot_dims_volume(yd)) return false;
  a_dims[batch] = m, a_dims[batch + 1] = ka;
  b_dims[batch] = ka, b_dims[batch + 1] = n;
  y_dims[batch] = m, y_dims[batch + 1] = n;
  bool ta = p->op_a == INGOT_MATRIX_OP_TRANSPOSE, tb = p->op_b == INGOT_MATRIX_OP_TRANSPOSE;
  a_str[batch] = ta ? 1 : ka, a_str[batch + 1] = ta ? m : 1;
  b_str[batch] = tb ? 1 : n, b_str[batch + 1] = tb ? ka : 1;
  y_str[batch] = n, y_str[batch + 1] = 1;
  out->has_bias = biasd != NULL;
  if (biasd) {
    /* the bias right-aligned to the output's dims, then placed on Y's rank-r dims */
    int32_t rbias = biasd->nb_dims;
    if (rbias > ry) return false;
    int64_t aligned[INGOT_MAX_DIMS];
    for (int32_t d = 0; d < ry; d++) aligned[d] = d - (ry - rbias) >= 0 ? biasd->d[d - (ry - rbias)] : 1;
    for (int32_t i = 0; i < batch; i++) bias_dims[i] = aligned[i];
    bias_dims[batch] = va ? 1 : aligned[batch];
    bias_dims[batch + 1] = vb ? 1 : aligned[ry - 1];
    int64_t stride = 1;
    for (int32_t i = r - 1; i >= 0; i--) {
      if (bias_dims[i] != 1 && bias_dims[i] != y_dims[i]) return false;
      bias_str[i] = stride;
      stride *= bias_dims[i];
    }
    if (dnnl_memory_desc_init_by_strides(&out->bias, r, bias_dims, dnnl_f32, bias_str) != dnnl_success) return false;
  }
  return dnnl_memory_desc_init_by_strides(&out->a, r, a_dims, dnnl_f32, a_str) == dnnl_success &&
         dnnl_memory_desc_init_by_strides(&out->b, r, b_dims, dnnl_f32, b_str) == dnnl_success &&
         dnnl_memory_desc_init_by_strides(&out->y, r, y_dims, dnnl_f32, y_str) == dnnl_success;
}

static const ingot_dims *bias_dims_of(const ingot_node *node, const ingot_tensor_view *inputs) {
  return node->params.matmul.has_bias && node->nb_inputs >= 3 && inputs[2].dims.nb_dims >= 0 ? &inputs[2].dims : NULL;
}

bool ingot_onednn_matmul_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                  const ingot_tensor_view *outputs) {
  const ingot_matmul_params *p = &node->params.matmul;
  mm_mds mds;
  if (node->nb_inputs < 2 || !all_f32(node, inputs, outputs) || !ingot_dnnl_activation_supported(&p->epilogue) ||
      !mm_descs(p, &inputs[0].dims, &inputs[1].dims, &outputs[0].dims, bias_dims_of(node, inputs), &mds))
    return false;
  if (p->has_bias && !bias_dims_of(node, inputs)) return false;
  return !p->epilogue.has_residual ||
         ingot_dims_volume(&inputs[node->nb_inputs - 1].dims) == ingot_dims_volume(&outputs[0].dims);
}

static bool plan_matmul(const ingot_kernel_args *args, ingot_dnnl_state *s) {
  const ingot_matmul_params *p = &args->params->matmul;
  mm_mds mds;
  if (!mm_descs(p, &args->inputs[0].dims, &args->inputs[1].dims, &args->outputs[0].dims,
                bias_dims_of(args->node, args->inputs), &mds))
    return unsupported(args->node, "matmul");
  /* a constant B (packed by prepare: present at build time, or a blob at run time) gets
   * oneDNN's own layout; a computed one is read where it is */
  bool b_fixed = args->prepared != NULL || (!s->making && args->inputs[1].data != NULL);
  dnnl_memory_desc_t b_req = mds.b;
  if (b_fixed && dnnl_memory_desc_init_by_tag(&b_req, mds.b.ndims, mds.b.dims, dnnl_f32, dnnl_format_tag_any) !=
                     dnnl_success)
    return unsupported(args->node, "matmul");
  dnnl_matmul_desc_t desc;
  if (!ingot_dnnl_ok(dnnl_matmul_desc_init(&desc, &mds.a, &b_req, mds.has_bias ? &mds.bias : NULL, &mds.y), args->node,
                     "matmul descriptor"))
    return false;
  return finish(args, s, &desc, &p->epilogue, &mds.a, &mds.b, b_fixed, mds.has_bias ? &mds.bias : NULL, 2, &mds.y);
}

/* ---- the tactic functions -------------------------------------------------------------------- */

uint64_t ingot_onednn_fc_workspace(const ingot_kernel_args *args) { return ingot_dnnl_workspace(args, plan_fc); }
ingot_status ingot_onednn_fc_prepare(const ingot_kernel_args *args, void **prepared_out, uint64_t *size_out) {
  return ingot_dnnl_prepare(args, plan_fc, prepared_out, size_out);
}
ingot_status ingot_onednn_fc_create_state(const ingot_kernel_args *args, void **state_out) {
  return ingot_dnnl_create_state(args, plan_fc, state_out);
}
ingot_status ingot_onednn_fc_run(const ingot_kernel_args *args) {
  return ingot_dnnl_run(args, ingot_cpu_fully_connected);
}

uint64_t ingot_onednn_matmul_workspace(const ingot_kernel_args *args) {
  return ingot_dnnl_workspace(args, plan_matmul);
}
ingot_status ingot_onednn_matmul_prepare(const ingot_kernel_args *args, void **prepared_out, uint64_t *size_out) {
  return ingot_dnnl_prepare(args, plan_matmul, prepared_out, size_out);
}
ingot_status ingot_onednn_matmul_create_state(const ingot_kernel_args *args, void **state_out) {
  return ingot_dnnl_create_state(args, plan_matmul, state_out);
}
ingot_status ingot_onednn_matmul_run(const ingot_kernel_args *args) {
  return ingot_dnnl_run(args, ingot_cpu_matrix_multiply);
}
