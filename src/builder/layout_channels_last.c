/* Channels-last layout, TensorRT's "reformat" approach: cuDNN's fp16/bf16 tensor-core
 * convolutions read NHWC, so on NCHW tensors cuDNN transposes around every convolution;
 * on the CPU, NHWC lets a convolution read each input pixel's channels as one contiguous
 * row (the indirect GEMM and Winograd tactics) and vectorizes depthwise convolution and
 * pooling over channels. This pass finds maximal regions of 4-D layers that can run on [N, H, W, C] tensors
 * (convolution, deconvolution, pooling, batch norm, scale, concatenation, resize,
 * softmax and reduce along remapped axes, elementwise, activation, unary), each holding
 * at least one convolution, and runs them channels last, with one transpose (a shuffle,
 * perm 0,2,3,1) where an NCHW tensor enters a region and one (0,3,1,2) where a region's
 * tensor leaves it (graph outputs; consumers outside, such as a flatten or a GEMM).
 *
 * What changes inside a region: layout-aware layers get channels_last or remapped axes;
 * constant kernels are permuted once ([K, C/g, R, S] -> [K, R, S, C/g]); constants
 * broadcast against a region tensor ([1, C, 1, 1] biases, per-channel slopes) get a
 * permuted copy. A layer joins only if the backend supports its channels-last form
 * whenever it supports the channels-first one (asked through the tactics' supports(),
 * for its dtypes and for the float32 fallback of the precision pass), so the pass never
 * turns a supported network into an unsupported one.
 *
 * When: on device targets with the network lowered to half (lower_half.c runs first); on
 * the CPU for float32 networks while ingot's own tactic source is on (its NHWC
 * convolution, depthwise and pooling tactics are faster than the NCHW ones); on any
 * target when INGOT_FORCE_CHANNELS_LAST=1 (tests compare the two layouts on the CPU's
 * reference kernels); INGOT_FORCE_CHANNELS_LAST=0 turns it off. If the
 * rewritten graph does not infer, the pass logs why and keeps the original one; the
 * original also goes back to the builder, which builds it instead when tactic choice
 * fails on the channels-last graph. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/builder_internal.h"
#include "core/alloc.h"
#include "core/dims.h"
#include "core/error.h"
#include "core/logger.h"
#include "ops/conv_geometry.h"

/* NHWC dim j is NCHW dim TO_CL[j]; NCHW axis a is NHWC axis AXIS_CL[a]. */
static const int32_t TO_CL[4] = {0, 2, 3, 1};
static const int32_t AXIS_CL[4] = {0, 3, 1, 2};
static const int32_t TO_CF[4] = {0, 3, 1, 2};

/* How a layer's input is rewritten inside a region. */
typedef enum role {
  ROLE_DATA,    /* a 4-D tensor laid out as the layer's output: NHWC version (or permuted constant) */
  ROLE_KERNEL,  /* a conv/deconv kernel: must be a constant, permuted to taps-before-channels */
  ROLE_KEEP     /* per-channel vectors (bias, batch-norm statistics, scale coefficients): as they are */
} role;

typedef struct layout_pass {
  ingot_build *build;
  ingot_graph *g;
  const ingot_dims *dims;   /* opt-set dims, per tensor */
  const ingot_dtype *dtypes;
  int32_t nb_nodes;         /* nodes before the pass */
  uint8_t *candidate;       /* per node */
  int32_t *parent;          /* union-find over nodes */
  uint8_t *in_region;       /* per node */
  int32_t *cl_of;           /* per tensor: its NHWC version, -1 none */
  int32_t *kernel_cl;       /* per tensor: permuted kernel copy, -1 none */
  int64_t *order_key;       /* per node (grown as transposes are appended) */
  int32_t keys_cap;
  int32_t transposes;
} layout_pass;

static bool is_float(ingot_dtype d) { return d == INGOT_FLOAT32 || d == INGOT_FLOAT16 || d == INGOT_BFLOAT16; }
static bool is_half(ingot_dtype d) { return d == INGOT_FLOAT16 || d == INGOT_BFLOAT16; }
static bool is_constant(const ingot_graph *g, int32_t t) {
  return g->tensors[t].kind == INGOT_TENSOR_KIND_CONSTANT && g->tensors[t].data != NULL;
}

static ingot_dims permute4(const ingot_dims *d, const int32_t *perm) {
  ingot_dims r = *d;
  for (int32_t j = 0; j < 4; j++) r.d[j] = d->d[perm[j]];
  return r;
}

/* A broadcast operand of rank <= 4 seen as rank 4 (numpy aligns trailing dims). */
static ingot_dims pad4(const ingot_dims *d) {
  ingot_dims r = {.nb_dims = 4, .d = {1, 1, 1, 1}};
  for (int32_t i = 0; i < d->nb_dims; i++) r.d[4 - d->nb_dims + i] = d->d[i];
  return r;
}

static int32_t remap_axis(int32_t axis) {
  int32_t a = axis < 0 ? axis + 4 : axis;
  return a >= 0 && a < 4 ? AXIS_CL[a] : axis;
}

/* ---- which layers, and how ------------------------------------------------------------- */

/* Role of input k of node n, or -1 when the node cannot run channels last at all. */
static int role_of(const ingot_node *n, int32_t k) {
  switch (n->op) {
    case INGOT_OP_CONVOLUTION:
    case INGOT_OP_DECONVOLUTION: {
      int32_t bias = ingot_conv_bias_slot(&n->params.conv, n->nb_inputs);
      if (k == 1) return ROLE_KERNEL;
      return k == bias ? ROLE_KEEP : ROLE_DATA; /* x, residual */
    }
    case INGOT_OP_BATCH_NORMALIZATION:
    case INGOT_OP_SCALE:
      return k == 0 ? ROLE_DATA : ROLE_KEEP;
    default:
      return ROLE_DATA;
  }
}

/* Whether the op kind and its params allow channels last (shapes are checked apart). */
static bool op_allows(const ingot_node *n) {
  const ingot_op_params *p = &n->params;
  switch (n->op) {
    case INGOT_OP_CONVOLUTION:
    case INGOT_OP_DECONVOLUTION:
      return p->conv.nb_spatial_dims == 2 && n->nb_inputs >= 2;
    case INGOT_OP_POOLING:
      return p->pooling.nb_spatial_dims == 2 || (p->pooling.global && p->pooling.nb_spatial_dims == 0);
    case INGOT_OP_BATCH_NORMALIZATION:
      return true;
    case INGOT_OP_SCALE: /* per element after N would need its coefficients permuted: not worth it */
      return p->scale.mode == INGOT_SCALE_UNIFORM || p->scale.mode == INGOT_SCALE_CHANNEL;
    case INGOT_OP_CONCATENATION:
    case INGOT_OP_SOFTMAX:
    case INGOT_OP_ELEMENTWISE:
    case INGOT_OP_PARAMETRIC_RELU:
    case INGOT_OP_ACTIVATION:
    case INGOT_OP_UNARY:
    case INGOT_OP_IDENTITY:
      return true;
    case INGOT_OP_REDUCE: /* without keep_dims the output rank changes: it stays outside */
      return p->reduce.keep_dims != 0;
    case INGOT_OP_RESIZE: { /* sizes fed as a tensor would need permuting at run time */
      const ingot_resize_params *r = &p->resize;
      if (n->nb_inputs > 1 && n->inputs[1] >= 0) return false;
      if (r->coordinate_transform == INGOT_RESIZE_TF_CROP_AND_RESIZE) return false; /* its roi is per dim */
      return (!r->use_scales || r->nb_scales == 4) && (r->output_dims.nb_dims == 0 || r->output_dims.nb_dims == 4);
    }
    default:
      /* CAST stays outside on purpose: the region's edge transposes then move half values
       * after the input casts and before the output ones, not float32 ones. */
      return false;
  }
}

static bool is_anchor(const ingot_node *n) {
  return n->op == INGOT_OP_CONVOLUTION || n->op == INGOT_OP_DECONVOLUTION;
}

/* The node's params as they are channels last. */
static void rewrite_params(ingot_node *n) {
  ingot_op_params *p = &n->params;
  switch (n->op) {
    case INGOT_OP_CONVOLUTION:
    case INGOT_OP_DECONVOLUTION: p->conv.channels_last = 1; break;
    case INGOT_OP_POOLING: p->pooling.channels_last = 1; break;
    case INGOT_OP_BATCH_NORMALIZATION: p->batchnorm.channels_last = 1; break;
    case INGOT_OP_SCALE:
      if (p->scale.mode == INGOT_SCALE_CHANNEL) p->scale.channel_axis = remap_axis(p->scale.channel_axis);
      break;
    case INGOT_OP_CONCATENATION: p->concat.axis = remap_axis(p->concat.axis); break;
    case INGOT_OP_SOFTMAX: p->softmax.axis = remap_axis(p->softmax.axis); break;
    case INGOT_OP_REDUCE: {
      uint32_t m = 0;
      for (int32_t a = 0; a < 4; a++)
        if (p->reduce.axes_mask & (1u << a)) m |= 1u << AXIS_CL[a];
      p->reduce.axes_mask = m;
      break;
    }
    case INGOT_OP_RESIZE: {
      ingot_resize_params *r = &p->resize;
      if (r->nb_scales == 4) {
        float s[4];
        for (int32_t j = 0; j < 4; j++) s[j] = r->scales[TO_CL[j]];
        memcpy(r->scales, s, sizeof s);
      }
      if (r->output_dims.nb_dims == 4) r->output_dims = permute4(&r->output_dims, TO_CL);
      break;
    }
    default: break;
  }
}

/* Kernel dims channels last: conv [K, C/g, R, S] -> [K, R, S, C/g]; deconv [C, K/g, R, S]
 * -> [C, R, S, K/g]. A kernel handed over flat is read with the dims the layer implies. */
static bool kernel_dims(const ingot_node *n, const ingot_dims *x, ingot_dims *cf, ingot_dims *cl) {
  const ingot_conv_params *p = &n->params.conv;
  int64_t G = p->groups > 0 ? p->groups : 1, C = x->d[1], K = p->num_output_maps;
  if (x->nb_dims != 4 || C < 1 || K < 1 || C % G || K % G) return false;
  int64_t d0 = n->op == INGOT_OP_CONVOLUTION ? K : C, d1 = n->op == INGOT_OP_CONVOLUTION ? C / G : K / G;
  *cf = (ingot_dims){.nb_dims = 4, .d = {d0, d1, p->kernel_size[0], p->kernel_size[1]}};
  *cl = (ingot_dims){.nb_dims = 4, .d = {d0, p->kernel_size[0], p->kernel_size[1], d1}};
  return true;
}

/* ---- can the backend run it? ----------------------------------------------------------- */

static bool any_tactic(const ingot_build *build, const ingot_node *n, const ingot_tensor_view *in,
                       const ingot_tensor_view *out) {
  for (int32_t i = 0; i < build->backend->nb_tactics; i++) {
    const ingot_tactic *t = &build->backend->tactics[i];
    if (t->op == n->op && (!t->supports || t->supports(n, in, out))) return true;
  }
  return false;
}

static void to_float32(ingot_tensor_view *v, int32_t nb) {
  for (int32_t k = 0; k < nb; k++)
    if (v[k].dims.nb_dims >= 0 && is_half(v[k].dtype)) v[k].dtype = INGOT_FLOAT32;
}

/* Views of node i at the opt shapes, channels first (cf) and as the pass would make it
 * (cl); false when some input cannot be rewritten. */
static bool node_views(const layout_pass *lp, int32_t i, ingot_node *cl_node, ingot_tensor_view *in_cf,
                       ingot_tensor_view *in_cl, ingot_tensor_view *out_cf, ingot_tensor_view *out_cl) {
  const ingot_graph *g = lp->g;
  const ingot_node *n = &g->nodes[i];
  *cl_node = *n;
  rewrite_params(cl_node);
  for (int32_t k = 0; k < n->nb_inputs; k++) {
    int32_t t = n->inputs[k];
    memset(&in_cf[k], 0, sizeof in_cf[k]);
    if (t < 0) {
      in_cf[k].dims.nb_dims = -1;
      in_cl[k] = in_cf[k];
      continue;
    }
    in_cf[k].dtype = lp->dtypes[t];
    in_cf[k].dims = lp->dims[t];
    in_cf[k].data = g->tensors[t].data;
    in_cl[k] = in_cf[k];
    const ingot_dims *d = &lp->dims[t];
    switch (role_of(n, k)) {
      case ROLE_KERNEL: {
        ingot_dims cf, cl;
        if (!is_constant(g, t) || !kernel_dims(n, &lp->dims[n->inputs[0]], &cf, &cl) ||
            ingot_dims_volume(&cf) != ingot_dims_volume(d))
          return false;
        in_cl[k].dims = cl;
        break;
      }
      case ROLE_KEEP:
        if (!is_constant(g, t)) return false; /* an activation here would need its own layout */
        break;
      default:
        if (is_constant(g, t)) {
          if (d->nb_dims > 4 || d->nb_dims < 0) return false;
          ingot_dims p = pad4(d);
          in_cl[k].dims = permute4(&p, TO_CL);
        } else {
          if (d->nb_dims != 4 || !is_float(lp->dtypes[t])) return false;
          in_cl[k].dims = permute4(d, TO_CL);
        }
        break;
    }
  }
  for (int32_t k = 0; k < n->nb_outputs; k++) {
    int32_t t = n->outputs[k];
    memset(&out_cf[k], 0, sizeof out_cf[k]);
    out_cf[k].dtype = lp->dtypes[t];
    out_cf[k].dims = lp->dims[t];
    out_cl[k] = out_cf[k];
    out_cl[k].dims = permute4(&lp->dims[t], TO_CL);
  }
  return true;
}

/* Never makes the node worse off: wherever the channels-first form has a tactic (at its
 * dtypes, or at float32 when the precision pass would fall back to that), so must the
 * channels-last one. */
static bool backend_allows(const layout_pass *lp, int32_t i) {
  const ingot_node *n = &lp->g->nodes[i];
  ingot_tensor_view in_cf[32], in_cl[32], out_cf[INGOT_MAX_OUTPUTS], out_cl[INGOT_MAX_OUTPUTS];
  if (n->nb_inputs > 32) return false;
  ingot_node cl_node;
  if (!node_views(lp, i, &cl_node, in_cf, in_cl, out_cf, out_cl)) return false;
  if (any_tactic(lp->build, n, in_cf, out_cf)) return any_tactic(lp->build, &cl_node, in_cl, out_cl);
  to_float32(in_cf, n->nb_inputs), to_float32(in_cl, n->nb_inputs);
  to_float32(out_cf, n->nb_outputs), to_float32(out_cl, n->nb_outputs);
  return !any_tactic(lp->build, n, in_cf, out_cf) || any_tactic(lp->build, &cl_node, in_cl, out_cl);
}

static bool is_candidate(const layout_pass *lp, int32_t i) {
  const ingot_node *n = &lp->g->nodes[i];
  if (!op_allows(n) || n->nb_outputs != 1 || n->nb_inputs < 1 || n->inputs[0] < 0) return false;
  int32_t y = n->outputs[0];
  if (lp->dims[y].nb_dims != 4 || !is_float(lp->dtypes[y])) return false;
  return backend_allows(lp, i);
}

/* ---- regions ---------------------------------------------------------------------------- */

static int32_t find(int32_t *parent, int32_t i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

/* Candidates joined through the tensors they pass each other; a region is kept when it
 * holds a convolution (elsewhere channels last buys nothing and costs transposes). */
static int32_t mark_regions(layout_pass *lp) {
  ingot_graph *g = lp->g;
  int32_t nn = lp->nb_nodes, kept = 0;
  for (int32_t i = 0; i < nn; i++) lp->parent[i] = i;
  for (int32_t i = 0; i < nn; i++) {
    if (!lp->candidate[i]) continue;
    const ingot_node *n = &g->nodes[i];
    for (int32_t k = 0; k < n->nb_inputs; k++) {
      int32_t t = n->inputs[k];
      if (t < 0 || role_of(n, k) != ROLE_DATA) continue;
      int32_t p = g->tensors[t].producer;
      if (p >= 0 && p < nn && lp->candidate[p]) lp->parent[find(lp->parent, i)] = find(lp->parent, p);
    }
  }
  uint8_t *anchored = ingot_calloc((size_t)nn + 1, 1);
  if (!anchored) return -1;
  for (int32_t i = 0; i < nn; i++)
    if (lp->candidate[i] && is_anchor(&g->nodes[i])) anchored[find(lp->parent, i)] = 1;
  for (int32_t i = 0; i < nn; i++) {
    lp->in_region[i] = lp->candidate[i] && anchored[find(lp->parent, i)];
    if (lp->in_region[i] && find(lp->parent, i) == i) kept++;
  }
  free(anchored);
  return kept;
}

/* ---- rewriting -------------------------------------------------------------------------- */

static ingot_status set_key(layout_pass *lp, int32_t node, int64_t key) {
  if (node >= lp->keys_cap) {
    int32_t cap = lp->keys_cap * 2 > node + 16 ? lp->keys_cap * 2 : node + 16;
    int64_t *k = realloc(lp->order_key, (size_t)cap * sizeof *k);
    if (!k) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory in the layout pass");
    lp->order_key = k;
    lp->keys_cap = cap;
  }
  lp->order_key[node] = key;
  return INGOT_SUCCESS;
}

/* Appends a transpose src -> dst; it runs right after `after` (a node index, -1: first). */
static ingot_status add_transpose(layout_pass *lp, int32_t src, int32_t dst, const int32_t *perm, const char *suffix,
                                  int32_t after) {
  ingot_graph *g = lp->g;
  ingot_op_params params;
  memset(&params, 0, sizeof params);
  params.shuffle.has_first_transpose = 1;
  for (int32_t j = 0; j < INGOT_MAX_DIMS; j++) params.shuffle.first_transpose[j] = j < 4 ? perm[j] : j;
  char name[600];
  snprintf(name, sizeof name, "%s.%s", g->tensors[src].name, suffix);
  int32_t idx;
  INGOT_TRY(ingot_graph_add_node(g, name, INGOT_OP_SHUFFLE, &params, &src, 1, &idx));
  g->nodes[idx].nb_outputs = 1;
  g->nodes[idx].outputs[0] = dst;
  g->tensors[dst].producer = idx;
  lp->transposes++;
  return set_key(lp, idx, 3 * (int64_t)after + 2);
}

static ingot_status new_activation(ingot_graph *g, int32_t like, ingot_dtype dtype, int32_t *out) {
  char name[600];
  snprintf(name, sizeof name, "%s.nhwc", g->tensors[like].name);
  ingot_dims unknown = {.nb_dims = -1};
  return ingot_graph_add_tensor(g, name, dtype, &unknown, INGOT_TENSOR_KIND_ACTIVATION, out);
}

/* A constant copy whose elements are permuted: element (a, b, c, d) of `cf` dims goes to
 * the position of (a, c, d, b) in `cl` dims (channels moved last). Half or float32. */
static ingot_status permuted_constant(ingot_graph *g, int32_t t, const ingot_dims *cf, const ingot_dims *cl,
                                      const char *suffix, int32_t *out) {
  ingot_graph_tensor *src = &g->tensors[t];
  size_t es = ingot_dtype_size(src->dtype);
  int64_t count = ingot_dims_volume(cf);
  if (count < 0 || (uint64_t)count * es != src->data_size)
    return ingot_fail(INGOT_INTERNAL_ERROR, "layout pass: constant '%s' has %llu bytes, expected %lld values",
                      src->name, (unsigned long long)src->data_size, (long long)count);
  uint8_t *data = malloc((size_t)(count > 0 ? count : 1) * es);
  if (!data) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory permuting constant '%s'", src->name);
  const uint8_t *from = src->data;
  int64_t B = cf->d[1], H = cf->d[2], W = cf->d[3];
  int64_t e = 0;
  for (int64_t a = 0; a < cf->d[0]; a++)
    for (int64_t b = 0; b < B; b++)
      for (int64_t h = 0; h < H; h++)
        for (int64_t w = 0; w < W; w++, e++) memcpy(data + (size_t)(((a * H + h) * W + w) * B + b) * es, from + (size_t)e * es, es);
  char name[600];
  snprintf(name, sizeof name, "%s.%s", src->name, suffix);
  ingot_dtype dtype = src->dtype;
  ingot_status st = ingot_graph_add_tensor(g, name, dtype, cl, INGOT_TENSOR_KIND_CONSTANT, out);
  if (st == INGOT_SUCCESS) st = ingot_graph_set_constant(g, *out, data, (uint64_t)count * es);
  free(data);
  return st;
}

/* Does tensor t need its channels-first form after the region writes it channels last? */
static bool needed_channels_first(const layout_pass *lp, int32_t t) {
  const ingot_graph *g = lp->g;
  if (g->tensors[t].is_output) return true;
  for (int32_t j = 0; j < lp->nb_nodes; j++) {
    if (lp->in_region[j]) continue;
    for (int32_t k = 0; k < g->nodes[j].nb_inputs; k++)
      if (g->nodes[j].inputs[k] == t) return true;
  }
  return false;
}

static ingot_status rewrite_inputs(layout_pass *lp, int32_t i) {
  ingot_graph *g = lp->g;
  const int32_t x = g->nodes[i].inputs[0]; /* before it is rewritten: the kernel's dims come from it */
  for (int32_t k = 0; k < g->nodes[i].nb_inputs; k++) {
    int32_t t = g->nodes[i].inputs[k];
    if (t < 0) continue;
    int r = role_of(&g->nodes[i], k);
    if (r == ROLE_KEEP) continue;
    if (r == ROLE_KERNEL) {
      if (lp->kernel_cl[t] < 0) {
        ingot_dims cf, cl;
        if (!kernel_dims(&g->nodes[i], &lp->dims[x], &cf, &cl))
          return ingot_node_fail(&g->nodes[i], INGOT_INTERNAL_ERROR, "layout pass: kernel dims changed");
        INGOT_TRY(permuted_constant(g, t, &cf, &cl, "khwc", &lp->kernel_cl[t]));
      }
      g->nodes[i].inputs[k] = lp->kernel_cl[t];
      continue;
    }
    if (lp->cl_of[t] < 0) {
      if (is_constant(g, t)) {
        ingot_dims cf = pad4(&g->tensors[t].dims), cl = permute4(&cf, TO_CL);
        INGOT_TRY(permuted_constant(g, t, &cf, &cl, "nhwc", &lp->cl_of[t]));
      } else { /* enters the region: transposed once, right after its producer */
        int32_t nt;
        INGOT_TRY(new_activation(g, t, g->tensors[t].dtype, &nt));
        lp->cl_of[t] = nt;
        INGOT_TRY(add_transpose(lp, t, nt, TO_CL, "to_nhwc", g->tensors[t].producer));
      }
    }
    g->nodes[i].inputs[k] = lp->cl_of[t];
  }
  return INGOT_SUCCESS;
}

/* The node writes an NHWC copy of its output; the original tensor, where something still
 * reads it channels first, is made from it by an exit transpose. */
static ingot_status rewrite_output(layout_pass *lp, int32_t i) {
  ingot_graph *g = lp->g;
  int32_t t = g->nodes[i].outputs[0], nt;
  INGOT_TRY(new_activation(g, t, lp->dtypes[t], &nt));
  g->nodes[i].outputs[0] = nt;
  g->tensors[nt].producer = i;
  lp->cl_of[t] = nt;
  g->tensors[t].producer = -1;
  if (needed_channels_first(lp, t)) INGOT_TRY(add_transpose(lp, nt, t, TO_CF, "to_nchw", i));
  return INGOT_SUCCESS;
}

/* Sorts the nodes by key (transposes right after the node they follow) and fixes the
 * producers. */
static ingot_status reorder(layout_pass *lp) {
  ingot_graph *g = lp->g;
  int32_t nn = g->nb_nodes;
  int32_t *order = ingot_calloc((size_t)nn + 1, sizeof *order);
  ingot_node *nodes = ingot_calloc((size_t)nn + 1, sizeof *nodes);
  if (!order || !nodes) {
    free(order), free(nodes);
    return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory in the layout pass");
  }
  for (int32_t i = 0; i < nn; i++) order[i] = i;
  for (int32_t i = 1; i < nn; i++) { /* insertion sort, stable; few keys are out of place */
    int32_t v = order[i], j = i - 1;
    while (j >= 0 && lp->order_key[order[j]] > lp->order_key[v]) {
      order[j + 1] = order[j];
      j--;
    }
    order[j + 1] = v;
  }
  for (int32_t i = 0; i < nn; i++) nodes[i] = g->nodes[order[i]];
  memcpy(g->nodes, nodes, (size_t)nn * sizeof *nodes);
  for (int32_t t = 0; t < g->nb_tensors; t++) g->tensors[t].producer = -1;
  for (int32_t i = 0; i < nn; i++)
    for (int32_t k = 0; k < g->nodes[i].nb_outputs; k++) g->tensors[g->nodes[i].outputs[k]].producer = i;
  free(order);
  free(nodes);
  return INGOT_SUCCESS;
}

static ingot_status rewrite(layout_pass *lp) {
  ingot_graph *g = lp->g;
  for (int32_t t = 0; t < g->nb_tensors; t++) lp->cl_of[t] = lp->kernel_cl[t] = -1;
  for (int32_t i = 0; i < lp->nb_nodes; i++) INGOT_TRY(set_key(lp, i, 3 * (int64_t)i + 1));
  for (int32_t i = 0; i < lp->nb_nodes; i++) {
    if (!lp->in_region[i]) continue;
    INGOT_TRY(rewrite_inputs(lp, i));
    rewrite_params(&g->nodes[i]);
    INGOT_TRY(rewrite_output(lp, i));
  }
  INGOT_TRY(reorder(lp));
  return ingot_graph_compact(g, NULL); /* drops channels-first tensors and constants no longer read */
}

/* ---- the pass --------------------------------------------------------------------------- */

static bool lowered_to_half(const ingot_build *build) {
  const ingot_dtype *dt = build->shape_dtypes[build->opt_set];
  for (int32_t t = 0; t < build->graph->nb_tensors; t++)
    if (build->graph->tensors[t].kind == INGOT_TENSOR_KIND_ACTIVATION && is_half(dt[t])) return true;
  return false;
}

static void free_pass(layout_pass *lp) {
  free(lp->candidate);
  free(lp->parent);
  free(lp->in_region);
  free(lp->cl_of);
  free(lp->kernel_cl);
  free(lp->order_key);
}

/* Runs the pass on build->graph; *regions_out = 0 when nothing changed. */
static ingot_status run_pass(ingot_build *build, int32_t *regions_out, int32_t *layers_out, int32_t *transposes_out) {
  layout_pass lp;
  memset(&lp, 0, sizeof lp);
  lp.build = build;
  lp.g = build->graph;
  lp.dims = build->shape_dims[build->opt_set];
  lp.dtypes = build->shape_dtypes[build->opt_set];
  lp.nb_nodes = lp.g->nb_nodes;
  size_t nn = (size_t)lp.nb_nodes + 1, nt = (size_t)lp.g->nb_tensors + 1;
  lp.candidate = ingot_calloc(nn, 1);
  lp.parent = ingot_calloc(nn, sizeof(int32_t));
  lp.in_region = ingot_calloc(nn, 1);
  lp.cl_of = ingot_calloc(nt, sizeof(int32_t));
  lp.kernel_cl = ingot_calloc(nt, sizeof(int32_t));
  ingot_status st = lp.candidate && lp.parent && lp.in_region && lp.cl_of && lp.kernel_cl
                        ? INGOT_SUCCESS
                        : ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory in the layout pass");
  *regions_out = *layers_out = *transposes_out = 0;
  if (st == INGOT_SUCCESS) {
    for (int32_t i = 0; i < lp.nb_nodes; i++) lp.candidate[i] = is_candidate(&lp, i);
    int32_t regions = mark_regions(&lp);
    if (regions < 0) st = ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory in the layout pass");
    else if (regions > 0) {
      for (int32_t i = 0; i < lp.nb_nodes; i++) *layers_out += lp.in_region[i];
      st = rewrite(&lp);
      *regions_out = regions;
      *transposes_out = lp.transposes;
    }
  }
  free_pass(&lp);
  return st;
}

ingot_status ingot_pass_layout_channels_last(ingot_build *build, ingot_graph **channels_first_out) {
  *channels_first_out = NULL;
  const char *force = getenv("INGOT_FORCE_CHANNELS_LAST");
  bool on;
  if (force && strcmp(force, "1") == 0) on = true;
  else if (force && strcmp(force, "0") == 0) on = false;
  else if (build->config->target == INGOT_TARGET_CPU)
    /* float32 on the CPU: the NHWC tactics (conv_nhwc.c's indirect GEMM, the depthwise and
     * pooling ones) beat the NCHW ones, which copy each input value under every tap. They
     * are ingot's own: with that source off, NHWC layers would fall to the reference. */
    on = !lowered_to_half(build) && (build->config->tactic_sources & INGOT_TACTIC_SOURCE_INGOT);
  else on = build->backend->device != NULL && build->config->target == INGOT_TARGET_CUDA && lowered_to_half(build);
  if (!on) return INGOT_SUCCESS;
  ingot_graph *saved;
  INGOT_TRY(ingot_graph_copy(build->graph, &saved));
  int32_t regions = 0, layers = 0, transposes = 0;
  ingot_status st = run_pass(build, &regions, &layers, &transposes);
  if (st == INGOT_SUCCESS && regions > 0) st = ingot_build_infer_all(build);
  if (st == INGOT_SUCCESS) {
    if (regions == 0) {
      ingot_graph_destroy(saved);
      return INGOT_SUCCESS;
    }
    *channels_first_out = saved;
    ingot_log(build->logger, INGOT_SEVERITY_INFO,
              "layout: %d layer(s) in %d region(s) run channels last (NHWC), %d transpose(s) at their edges", layers,
              regions, transposes);
    return INGOT_SUCCESS;
  }
  return ingot_build_roll_back(build, saved, st, "layout: the network stays channels first");
}
