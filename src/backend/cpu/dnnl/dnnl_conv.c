/* conv_f32_onednn and conv_f32_onednn_blocked: 1-D to 3-D float32 convolution by oneDNN,
 * with the node's fused epilogue as post-ops (bias in the primitive, then the residual,
 * then the activation). The plain tactic hands oneDNN ingot's NCHW tensors as they are
 * (oneDNN then runs its im2col + GEMM code); the blocked one lets oneDNN choose its
 * layouts (nChw8c and the like, its direct JIT kernels) and reorders the input, the
 * residual and the output around it in the workspace. The weights are reordered to
 * oneDNN's layout once, by prepare(). */
#include "backend/cpu/dnnl/dnnl_common.h"
#include "backend/cpu/dnnl/dnnl_tactics.h"
#include "backend/cpu/cpu_kernels.h"
#include "core/dims.h"
#include "ops/conv_geometry.h"
#include "ops/ops.h"

typedef struct conv_geom {
  int32_t ns;
  int64_t G;
  dnnl_dims_t strides, dilates, pad_l, pad_r;
} conv_geom;

/* False when the node is not a convolution oneDNN can express with these dims. */
static bool geometry(const ingot_conv_params *p, const ingot_dims *x, const ingot_dims *w, const ingot_dims *y,
                     conv_geom *g) {
  int32_t ns = p->nb_spatial_dims;
  if (ns < 1 || ns > 3 || x->nb_dims != 2 + ns || y->nb_dims != 2 + ns || w->nb_dims != 2 + ns) return false;
  g->ns = ns;
  g->G = ingot_or_one(p->groups);
  int64_t C = x->d[1], K = y->d[1];
  if (g->G <= 0 || C % g->G || K % g->G || y->d[0] != x->d[0] || w->d[0] != K || w->d[1] != C / g->G) return false;
  for (int32_t i = 0; i < ns; i++) {
    int64_t k = p->kernel_size[i], s = ingot_or_one(p->stride[i]), d = ingot_or_one(p->dilation[i]), pre, post;
    if (k != w->d[2 + i] || k <= 0 || s <= 0 || d <= 0 || s > INT32_MAX || d > INT32_MAX) return false;
    int64_t in = x->d[2 + i], out = y->d[2 + i];
    if (ingot_window_forward(in, k, s, d, p->padding_mode, p->pre_padding[i], p->post_padding[i], 0, &pre, &post) !=
        out)
      return false;
    /* oneDNN wants out == (in + pad_l + pad_r - reach) / stride + 1 exactly: the right
     * padding the last window really reads */
    int64_t reach = (k - 1) * d + 1;
    g->strides[i] = s;
    g->dilates[i] = d - 1;
    g->pad_l[i] = pre;
    g->pad_r[i] = (out - 1) * s + reach - in - pre;
    if (pre < 0 || pre > INT32_MAX || g->pad_r[i] < -in || g->pad_r[i] > INT32_MAX) return false;
  }
  return true;
}

static bool activation_and_f32(const ingot_node *node, const ingot_tensor_view *inputs,
                               const ingot_tensor_view *outputs) {
  for (int32_t i = 0; i < node->nb_inputs; i++)
    if (inputs[i].dims.nb_dims >= 0 && inputs[i].dtype != INGOT_FLOAT32) return false;
  return outputs[0].dtype == INGOT_FLOAT32 && ingot_dnnl_activation_supported(&node->params.conv.epilogue);
}

bool ingot_onednn_conv_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                const ingot_tensor_view *outputs) {
  const ingot_conv_params *p = &node->params.conv;
  conv_geom g;
  if (p->channels_last) return false; /* the descriptors below are NCHW */
  if (node->nb_inputs < 2 || !inputs[1].data || !activation_and_f32(node, inputs, outputs) ||
      !geometry(p, &inputs[0].dims, &inputs[1].dims, &outputs[0].dims, &g))
    return false;
  int32_t slot = ingot_conv_bias_slot(p, node->nb_inputs);
  if (slot >= 0 && inputs[slot].dims.nb_dims >= 0 && ingot_dims_volume(&inputs[slot].dims) != outputs[0].dims.d[1])
    return false;
  if (p->epilogue.has_residual &&
      ingot_dims_volume(&inputs[node->nb_inputs - 1].dims) != ingot_dims_volume(&outputs[0].dims))
    return false;
  return true;
}

static bool conv_pd(const ingot_kernel_args *args, const conv_geom *g, const dnnl_memory_desc_t *src,
                    const dnnl_memory_desc_t *wei, const dnnl_memory_desc_t *bias, const dnnl_memory_desc_t *dst,
                    const dnnl_memory_desc_t *residual, bool as_sum, dnnl_engine_t engine,
                    dnnl_primitive_desc_t *pd_out) {
  const ingot_node *node = args->node;
  dnnl_convolution_desc_t desc;
  dnnl_primitive_attr_t attr = NULL;
  if (!ingot_dnnl_ok(dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct,
                                                                src, wei, bias, dst, g->strides, g->dilates, g->pad_l,
                                                                g->pad_r),
                     node, "convolution descriptor") ||
      !ingot_dnnl_attr(node, &args->params->conv.epilogue, residual, as_sum, &attr))
    return false;
  bool ok = ingot_dnnl_ok(dnnl_primitive_desc_create(pd_out, &desc, attr, engine, NULL), node, "convolution");
  dnnl_primitive_attr_destroy(attr);
  return ok;
}

static bool any_md(dnnl_memory_desc_t *md, int32_t nb, const int64_t *dims) {
  dnnl_dims_t d;
  for (int32_t i = 0; i < nb; i++) d[i] = dims[i];
  return dnnl_memory_desc_init_by_tag(md, nb, d, dnnl_f32, dnnl_format_tag_any) == dnnl_success;
}

static bool plan_conv(const ingot_kernel_args *args, ingot_dnnl_state *s, bool blocked) {
  const ingot_node *node = args->node;
  const ingot_conv_params *p = &args->params->conv;
  const ingot_dims *xd = &args->inputs[0].dims, *wd = &args->inputs[1].dims, *yd = &args->outputs[0].dims;
  conv_geom g;
  if (!geometry(p, xd, wd, yd, &g)) {
    ingot_node_fail(node, INGOT_UNSUPPORTED, "oneDNN convolution: dims do not agree");
    return false;
  }
  int32_t slot = ingot_conv_bias_slot(p, args->nb_inputs);
  bool has_bias = slot >= 0 && args->inputs[slot].dims.nb_dims >= 0;
  int32_t res = p->epilogue.has_residual ? args->nb_inputs - 1 : -1;
  /* weights: [K, C/G, k...] in memory; oneDNN's grouped weights are [G, K/G, C/G, k...] */
  int64_t wdims[2 + 1 + 3];
  int32_t wnb = 0;
  if (g.G > 1) wdims[wnb++] = g.G;
  wdims[wnb++] = wd->d[0] / g.G;
  for (int32_t i = 1; i < wd->nb_dims; i++) wdims[wnb++] = wd->d[i];
  int64_t K = yd->d[1];
  dnnl_memory_desc_t x_plain, y_plain, w_plain, w_any, b_md, src, dst;
  if (!ingot_dnnl_plain_md(&x_plain, xd->nb_dims, xd->d) || !ingot_dnnl_plain_md(&y_plain, yd->nb_dims, yd->d) ||
      !ingot_dnnl_plain_md(&w_plain, wnb, wdims) || !any_md(&w_any, wnb, wdims) ||
      (has_bias && !ingot_dnnl_plain_md(&b_md, 1, &K))) {
    ingot_node_fail(node, INGOT_UNSUPPORTED, "oneDNN convolution: empty or too many dims");
    return false;
  }
  src = x_plain;
  dst = y_plain;
  if (blocked && (!any_md(&src, xd->nb_dims, xd->d) || !any_md(&dst, yd->nb_dims, yd->d))) return false;
  /* the residual: added by the primitive reading it (binary post-op) unless oneDNN has
   * only its reference code for that; else summed onto the output, copied there first */
  dnnl_primitive_desc_t pd = NULL;
  bool as_sum = blocked;
  const dnnl_memory_desc_t *bias = has_bias ? &b_md : NULL, *residual = res >= 0 ? &y_plain : NULL;
  if (!conv_pd(args, &g, &src, &w_any, bias, &dst, residual, as_sum, s->engine, &pd)) return false;
  if (residual && !as_sum && ingot_dnnl_pd_is_reference(pd)) {
    dnnl_primitive_desc_t sum_pd = NULL;
    if (conv_pd(args, &g, &src, &w_any, bias, &dst, residual, true, s->engine, &sum_pd)) {
      dnnl_primitive_desc_destroy(pd);
      pd = sum_pd;
      as_sum = true;
    }
  }
  const dnnl_memory_desc_t *src_real = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
  const dnnl_memory_desc_t *dst_real = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
  const dnnl_memory_desc_t *w_real = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  int32_t x = ingot_dnnl_add_mem(s, &x_plain, INGOT_DNNL_FROM_INPUT, 0);
  int32_t y = ingot_dnnl_add_mem(s, &y_plain, INGOT_DNNL_FROM_OUTPUT, 0);
  int32_t w = ingot_dnnl_fixed_weights(s, args, &w_plain, w_real);
  int32_t b = has_bias ? ingot_dnnl_add_mem(s, &b_md, INGOT_DNNL_FROM_INPUT, slot) : -1;
  int32_t r = res >= 0 ? ingot_dnnl_add_mem(s, &y_plain, INGOT_DNNL_FROM_INPUT, res) : -1;
  int32_t conv_src = x, conv_dst = y;
  bool ok = x >= 0 && y >= 0 && w >= 0 && (!has_bias || b >= 0) && (res < 0 || r >= 0);
  if (ok && !dnnl_memory_desc_equal(src_real, &x_plain)) {
    conv_src = ingot_dnnl_add_buffer(s, src_real);
    ok = ingot_dnnl_add_reorder(s, node, x, conv_src);
  }
  if (ok && !dnnl_memory_desc_equal(dst_real, &y_plain)) conv_dst = ingot_dnnl_add_buffer(s, dst_real);
  if (ok && res >= 0 && as_sum) ok = ingot_dnnl_add_reorder(s, node, r, conv_dst);
  if (!ok) {
    dnnl_primitive_desc_destroy(pd);
    return false;
  }
  ingot_dnnl_step *step = ingot_dnnl_add_step(s, pd);
  if (!step || conv_dst < 0) return false;
  ingot_dnnl_step_arg(step, DNNL_ARG_SRC, conv_src);
  ingot_dnnl_step_arg(step, DNNL_ARG_WEIGHTS, w);
  ingot_dnnl_step_arg(step, DNNL_ARG_BIAS, b);
  ingot_dnnl_step_arg(step, DNNL_ARG_DST, conv_dst);
  if (res >= 0 && !as_sum) ingot_dnnl_step_arg(step, DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, r);
  if (conv_dst != y) return ingot_dnnl_add_reorder(s, node, conv_dst, y);
  return true;
}

static bool plan_plain(const ingot_kernel_args *args, ingot_dnnl_state *s) { return plan_conv(args, s, false); }
static bool plan_blocked(const ingot_kernel_args *args, ingot_dnnl_state *s) { return plan_conv(args, s, true); }

uint64_t ingot_onednn_conv_workspace(const ingot_kernel_args *args) { return ingot_dnnl_workspace(args, plan_plain); }
ingot_status ingot_onednn_conv_prepare(const ingot_kernel_args *args, void **prepared_out, uint64_t *size_out) {
  return ingot_dnnl_prepare(args, plan_plain, prepared_out, size_out);
}
ingot_status ingot_onednn_conv_create_state(const ingot_kernel_args *args, void **state_out) {
  return ingot_dnnl_create_state(args, plan_plain, state_out);
}

uint64_t ingot_onednn_conv_blocked_workspace(const ingot_kernel_args *args) {
  return ingot_dnnl_workspace(args, plan_blocked);
}
ingot_status ingot_onednn_conv_blocked_prepare(const ingot_kernel_args *args, void **prepared_out, uint64_t *size_out) {
  return ingot_dnnl_prepare(args, plan_blocked, prepared_out, size_out);
}
ingot_status ingot_onednn_conv_blocked_create_state(const ingot_kernel_args *args, void **state_out) {
  return ingot_dnnl_create_state(args, plan_blocked, state_out);
}

ingot_status ingot_onednn_conv_run(const ingot_kernel_args *args) {
  return ingot_dnnl_run(args, ingot_cpu_convolution);
}
