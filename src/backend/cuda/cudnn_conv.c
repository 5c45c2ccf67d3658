/* cuDNN convolution tactics on cuDNN's graph (backend) API: 2-D and 3-D, 1-D as 2-D with a
 * unit height; groups (depthwise too) and dilation.
 *
 * Why the graph API: cuDNN 9 runs its legacy calls (cudnnConvolutionForward and friends)
 * through the graph API and keeps one execution plan per handle, compared with the
 * previous call only, so a network of many different convolutions rebuilt a plan on
 * every call (about 100 us of host time per layer). Here everything that costs is made
 * once, when a context's state is made (create_state, never on the execute path): the
 * tensor descriptors (x, w, y, bias, residual and the virtual fp32 intermediates, with
 * NCHW or NHWC strides), the convolution and its pointwise epilogue, the operation graph,
 * the engine configuration and its finalized execution plan, and the workspace size.
 * run() only binds the data pointers and the workspace in a variant pack (kept while
 * they do not change) and calls cudnnBackendExecute on the handle bound to the caller's
 * stream; nothing there allocates or synchronizes, so whole enqueues stay capturable in
 * a CUDA graph.
 *
 * Epilogue (y = act(conv(x, w) + bias + residual)): the "fused" graph puts the residual
 * add, the bias add and the activation (relu, sigmoid, tanh, gelu, gelu-tanh, silu) after
 * the convolution as pointwise operations on fp32 virtual tensors, for cuDNN's fusion
 * engines (on an H100, fp16 NHWC ResNet-50 runs every convolution fused, on precompiled
 * engines); an activation cuDNN has no pointwise mode for (clip, leaky relu, ...) runs
 * after it as the backend's own kernel. A layer's "plain" graph is the convolution alone,
 * with bias, residual and activation as the backend's own kernels after it: the fallback
 * where the fused graph has no engine (NCHW, fp32 without tensor cores, ...).
 *
 * Tactics: per precision mode, rows engine0..engine7 = the i-th usable engine
 * configuration of the layer, counting the fused graph's heuristic configurations first
 * (cuDNN's heuristics, mode A, best first; its fallback list where mode A gives nothing
 * that finalizes), then the plain graph's. "Usable" is: allowed by the mode (fp32 rows
 * take no tensor-core engine, which would round to tf32; "_tf32" rows take any: cuDNN's
 * default for float data; fp16/bf16 accumulate in fp32) and finalizes for the layer.
 * prepare() answers whether the layer has an i-th one (the builder then times the rows
 * that do and keeps the fastest); the plan stores the row name and re-derives the
 * configuration when a context is made, taking the last usable one if a different GPU or
 * cuDNN offers fewer. Plans of one handle (one context, or the builder) live in a cache
 * keyed by the layer's description, so layers of one shape share them.
 * INGOT_CUDNN_NO_RUNTIME_COMPILATION=1 leaves out engines cuDNN compiles with NVRTC when
 * a plan is finalized (shorter builds and context creation, slower fused epilogues);
 * INGOT_CUDNN_LOG=1 prints, as each state is made, the graph and engine a layer runs.
 *
 * The legacy API is no longer used: every case it ran (asymmetric padding excepted,
 * which neither path takes) is a graph of one convolution, which cuDNN's fallback
 * heuristics always serve. Tensors are declared 16-byte aligned (ingot's arena,
 * constants and device allocations are at least 64); run() refuses a less aligned
 * pointer, and, on the plain graph, a residual bound to the output's memory (the conv
 * writes y before the residual is added; ingot's arena never aliases the two). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cuda_common.h"
#include "backend/cuda/kernels/ck_launch.h"
#include "backend/cuda/kernels/ck_tactics.h"
#include "core/alloc.h"
#include "core/dims.h"
#include "ops/conv_geometry.h"

#define DNN_MAGIC 0x4e4e4467 /* "gDNN" */
#define NO_WORKSPACE UINT64_MAX
#define DNN_ENGINES 8  /* rows per precision mode */
#define MAX_CFGS 24    /* heuristic configurations kept per graph */
#define MAX_DESCS 24   /* descriptors a graph owns */
#define CACHE_LIMIT 128 /* unreferenced graphs kept per handle */
#define ALIGNMENT 16

/* Deprecated in the newest headers in favour of device-property descriptors, still the
 * way every cuDNN 9 binds a graph and a plan to a handle's device. */
#define ATTR_OPERATIONGRAPH_HANDLE ((cudnnBackendAttributeName_t)800)
#define ATTR_EXECUTION_PLAN_HANDLE ((cudnnBackendAttributeName_t)400)

enum { MODE_TF32 = 0, MODE_F32 = 1, MODE_HALF = 2 };
enum { GRAPH_FUSED = 0, GRAPH_PLAIN = 1 };
enum { SLOT_X = 0, SLOT_W, SLOT_Y, SLOT_BIAS, SLOT_RES, NB_SLOTS };

typedef struct dnn_choice {
  int32_t magic, mode, engine, reserved;
} dnn_choice;

/* The layer as cuDNN's descriptors see it (at least 2 spatial dims); dims in logical
 * [N, C, spatial...] order whatever the memory layout. */
typedef struct dnn_shape {
  int nb; /* tensor rank: 4 or 5 */
  int64_t x[5], w[5], y[5];
  int64_t pad[3], stride[3], dilation[3];
  int activation; /* ingot activation or -1 */
  bool has_bias, has_residual;
  bool channels_last; /* memory NHWC / KRSC */
  ingot_dtype dtype;
} dnn_shape;

/* What one operation graph is: the cache's key (memset, then filled: compared bytewise). */
typedef struct dnn_key {
  int32_t kind, mode, dtype, nb, channels_last, has_bias, has_residual, act_mode;
  int64_t x[5], w[5], y[5], pad[3], stride[3], dilation[3];
} dnn_key;

typedef struct dnn_graph {
  struct dnn_graph *next;
  dnn_key key;
  int32_t refs;   /* states using a plan of it */
  bool orphan;    /* its cache is gone: the last state frees it */
  bool fallback;  /* the fallback heuristics were asked */
  int32_t nb_descs;
  cudnnBackendDescriptor_t descs[MAX_DESCS]; /* tensors, operations, the graph: freed last */
  cudnnBackendDescriptor_t graph;
  bool graph_ok; /* finalized: cuDNN takes the layer as a graph */
  int32_t nb_cfgs, nb_ok;
  cudnnBackendDescriptor_t cfgs[MAX_CFGS];
  cudnnBackendDescriptor_t plans[MAX_CFGS];
  int8_t plan_status[MAX_CFGS]; /* 0 not tried, 1 finalized, -1 cannot run the layer */
  int64_t plan_workspace[MAX_CFGS];
  int32_t nb_uids;
  int64_t uids[NB_SLOTS];
  int32_t slots[NB_SLOTS]; /* which data pointer each uid binds */
  /* why it has no configuration, for the error message */
  const char *fail_what;
  cudnnStatus_t fail_status;
} dnn_graph;

struct ingot_cudnn_cache {
  dnn_graph *head; /* most recently used first */
  int32_t count;
};

typedef struct dnn_state {
  dnn_graph *graph;
  cudnnBackendDescriptor_t plan; /* graph->plans[cfg] */
  uint64_t plan_workspace;
  /* what runs after the graph, as the backend's own kernels */
  bool add_bias, add_residual, run_activation;
  int32_t ck_dtype;
  int64_t y_volume;
  ingot_ck_box bias_box, res_box;
  /* the variant pack of the last run and what it binds */
  cudnnBackendDescriptor_t pack;
  void *pack_ptrs[NB_SLOTS];
  void *pack_workspace;
} dnn_state;

static bool fits_int(int64_t v) { return v >= 0 && v <= INT32_MAX; }

static bool describe(const ingot_node *node, const ingot_tensor_view *in, const ingot_tensor_view *out, dnn_shape *s) {
  const ingot_conv_params *p = &node->params.conv;
  memset(s, 0, sizeof *s);
  int sp = p->nb_spatial_dims;
  if (sp < 1 || sp > 3 || in[0].dims.nb_dims != sp + 2 || out[0].dims.nb_dims != sp + 2 || in[1].dims.nb_dims != sp + 2)
    return false;
  s->dtype = out[0].dtype;
  if (s->dtype != INGOT_FLOAT32 && s->dtype != INGOT_FLOAT16 && s->dtype != INGOT_BFLOAT16) return false;
  for (int32_t i = 0; i < node->nb_inputs; i++)
    if (in[i].dims.nb_dims >= 0 && in[i].dtype != s->dtype) return false;
  int a = p->epilogue.activation;
  if (a >= INGOT_ACTIVATION_TYPE_COUNT) return false;
  s->activation = a < 0 ? -1 : a;
  int64_t groups = p->groups > 0 ? p->groups : 1;
  int lead = sp == 1 ? 1 : 0; /* 1-D: a unit height in front */
  int nsp = sp + lead;
  s->nb = nsp + 2;
  s->channels_last = p->channels_last != 0;
  /* where ingot keeps channels and spatial dim d (the same for x, w and y) */
  const int cax = ingot_channel_axis(p->channels_last, sp + 2);
  s->x[0] = in[0].dims.d[0], s->x[1] = in[0].dims.d[cax];
  s->w[0] = in[1].dims.d[0], s->w[1] = in[1].dims.d[cax];
  s->y[0] = out[0].dims.d[0], s->y[1] = out[0].dims.d[cax];
  for (int k = 0; k < 2; k++)
    if (!fits_int(s->x[k]) || !fits_int(s->w[k]) || !fits_int(s->y[k])) return false;
  for (int i = 0; i < nsp; i++) {
    int d = i - lead; /* ingot's spatial index, -1 for the unit height */
    int ax = d < 0 ? 0 : ingot_spatial_axis(p->channels_last, d);
    int64_t xi = d < 0 ? 1 : in[0].dims.d[ax], wi = d < 0 ? 1 : in[1].dims.d[ax];
    int64_t yi = d < 0 ? 1 : out[0].dims.d[ax];
    int64_t st = d < 0 ? 1 : p->stride[d], dil = d < 0 ? 1 : p->dilation[d];
    if (st <= 0) st = 1;
    if (dil <= 0) dil = 1;
    int64_t pre = 0, post = 0;
    if (d >= 0) {
      if (p->padding_mode == INGOT_PADDING_EXPLICIT) {
        pre = p->pre_padding[d], post = p->post_padding[d];
      } else if (p->padding_mode != INGOT_PADDING_VALID) {
        int64_t total = (yi - 1) * st + (wi - 1) * dil + 1 - xi;
        if (total < 0) total = 0;
        pre = p->padding_mode == INGOT_PADDING_SAME_UPPER ? total / 2 : total - total / 2;
        post = total - pre;
      }
    }
    if (pre != post) return false; /* symmetric padding only: what the tests cover */
    if (!fits_int(xi) || !fits_int(wi) || !fits_int(yi) || !fits_int(pre) || !fits_int(st) || !fits_int(dil))
      return false;
    s->x[2 + i] = xi, s->w[2 + i] = wi, s->y[2 + i] = yi;
    s->pad[i] = pre, s->stride[i] = st, s->dilation[i] = dil;
    if ((xi + 2 * pre - (wi - 1) * dil - 1) / st + 1 != yi) return false;
  }
  if (s->x[1] != s->w[1] * groups || s->y[1] != s->w[0] || s->w[0] % groups != 0) return false;
  s->has_bias = p->has_bias != 0;
  if (s->has_bias && (node->nb_inputs < 3 || in[2].dims.nb_dims < 0 || ingot_dims_volume(&in[2].dims) != s->y[1]))
    return false;
  s->has_residual = p->epilogue.has_residual != 0;
  if (s->has_residual && !ingot_dims_equal(&in[node->nb_inputs - 1].dims, &out[0].dims)) return false;
  return true;
}

/* cuDNN's pointwise mode for an ingot activation, or -1 where it has none. */
static int fused_activation(int act) {
  switch (act) {
    case INGOT_ACTIVATION_RELU: return CUDNN_POINTWISE_RELU_FWD;
    case INGOT_ACTIVATION_SIGMOID: return CUDNN_POINTWISE_SIGMOID_FWD;
    case INGOT_ACTIVATION_TANH: return CUDNN_POINTWISE_TANH_FWD;
    case INGOT_ACTIVATION_GELU_ERF: return CUDNN_POINTWISE_GELU_FWD;
    case INGOT_ACTIVATION_GELU_TANH: return CUDNN_POINTWISE_GELU_APPROX_TANH_FWD;
    case INGOT_ACTIVATION_SILU: return CUDNN_POINTWISE_SWISH_FWD; /* beta 1 */
    default: return -1;
  }
}

static bool dnn_supports(const ingot_node *n, const ingot_tensor_view *in, const ingot_tensor_view *out, int mode) {
  dnn_shape s;
  if (!describe(n, in, out, &s)) return false;
  return mode == MODE_HALF ? s.dtype != INGOT_FLOAT32 : s.dtype == INGOT_FLOAT32;
}

/* Strides of a packed tensor whose logical dims are [N, C, spatial...]: NCHW, or with
 * channels_last NHWC (C innermost, then the spatial dims, N outermost). */
static void packed_strides(int nb, const int64_t *dims, int64_t *strides, bool channels_last) {
  if (!channels_last) {
    strides[nb - 1] = 1;
    for (int i = nb - 2; i >= 0; i--) strides[i] = strides[i + 1] * dims[i + 1];
    return;
  }
  int64_t s = 1;
  strides[1] = s;
  s *= dims[1];
  for (int i = nb - 1; i >= 2; i--) {
    strides[i] = s;
    s *= dims[i];
  }
  strides[0] = s;
}

/* ---- the per-handle cache of graphs and plans -------------------------------------------- */

static void graph_free(dnn_graph *g) {
  if (!g) return;
  for (int32_t i = 0; i < g->nb_cfgs; i++) {
    if (g->plans[i]) cudnnBackendDestroyDescriptor(g->plans[i]);
    if (g->cfgs[i]) cudnnBackendDestroyDescriptor(g->cfgs[i]);
  }
  if (g->graph) cudnnBackendDestroyDescriptor(g->graph);
  for (int32_t i = g->nb_descs - 1; i >= 0; i--) cudnnBackendDestroyDescriptor(g->descs[i]);
  free(g);
}

void ingot_cudnn_cache_destroy(ingot_cudnn_cache *cache) {
  if (!cache) return;
  dnn_graph *g = cache->head;
  while (g) {
    dnn_graph *next = g->next;
    if (g->refs > 0) {
      g->orphan = true; /* a state still holds it (destroyed after its handles) */
      g->next = NULL;
    } else {
      graph_free(g);
    }
    g = next;
  }
  free(cache);
}

static void graph_release(dnn_graph *g) {
  if (!g) return;
  g->refs--;
  if (g->orphan && g->refs <= 0) graph_free(g);
}

/* Drops the least recently used unreferenced graphs beyond the limit. */
static void cache_trim(ingot_cudnn_cache *cache) {
  while (cache->count >= CACHE_LIMIT) {
    dnn_graph **victim = NULL;
    for (dnn_graph **p = &cache->head; *p; p = &(*p)->next)
      if ((*p)->refs <= 0) victim = p;
    if (!victim) return;
    dnn_graph *g = *victim;
    *victim = g->next;
    graph_free(g);
    cache->count--;
  }
}

/* ---- building a graph ------------------------------------------------------------------- */

typedef struct dnn_build {
  dnn_graph *g;
  const char *what; /* the call that failed */
  cudnnStatus_t st;
} dnn_build;

#define B_TRY(b, call, name)                    \
  do {                                          \
    cudnnStatus_t b_st_ = (call);               \
    if (b_st_ != CUDNN_STATUS_SUCCESS) {        \
      (b)->what = (name), (b)->st = b_st_;      \
      return false;                             \
    }                                           \
  } while (0)

static bool new_desc(dnn_build *b, cudnnBackendDescriptorType_t type, cudnnBackendDescriptor_t *out) {
  *out = NULL;
  if (b->g->nb_descs >= MAX_DESCS) {
    b->what = "too many descriptors", b->st = CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED;
    return false;
  }
  B_TRY(b, cudnnBackendCreateDescriptor(type, out), "cudnnBackendCreateDescriptor");
  b->g->descs[b->g->nb_descs++] = *out;
  return true;
}

static bool make_tensor(dnn_build *b, int64_t uid, cudnnDataType_t dt, int nb, const int64_t *dims,
                        const int64_t *strides, bool is_virtual, cudnnBackendDescriptor_t *out) {
  cudnnBackendDescriptor_t d;
  if (!new_desc(b, CUDNN_BACKEND_TENSOR_DESCRIPTOR, &d)) return false;
  int64_t align = ALIGNMENT;
  bool v = is_virtual;
  B_TRY(b, cudnnBackendSetAttribute(d, CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &dt), "tensor data type");
  B_TRY(b, cudnnBackendSetAttribute(d, CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, nb, dims), "tensor dims");
  B_TRY(b, cudnnBackendSetAttribute(d, CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, nb, strides), "tensor strides");
  B_TRY(b, cudnnBackendSetAttribute(d, CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, 1, &uid), "tensor id");
  B_TRY(b, cudnnBackendSetAttribute(d, CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, 1, &align),
        "tensor alignment");
  B_TRY(b, cudnnBackendSetAttribute(d, CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, 1, &v), "tensor virtual");
  B_TRY(b, cudnnBackendFinalize(d), "cudnnBackendFinalize (tensor)");
  *out = d;
  return true;
}

/* out = mode(x[, b]) with fp32 math. */
static bool make_pointwise(dnn_build *b, cudnnPointwiseMode_t mode, cudnnBackendDescriptor_t x,
                           cudnnBackendDescriptor_t bt, cudnnBackendDescriptor_t y, cudnnBackendDescriptor_t *op) {
  cudnnBackendDescriptor_t pw;
  cudnnDataType_t prec = CUDNN_DATA_FLOAT;
  if (!new_desc(b, CUDNN_BACKEND_POINTWISE_DESCRIPTOR, &pw)) return false;
  B_TRY(b, cudnnBackendSetAttribute(pw, CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, 1, &mode),
        "pointwise mode");
  B_TRY(b, cudnnBackendSetAttribute(pw, CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, 1, &prec),
        "pointwise precision");
  if (mode == CUDNN_POINTWISE_SWISH_FWD) {
    double beta = 1.0;
    B_TRY(b, cudnnBackendSetAttribute(pw, CUDNN_ATTR_POINTWISE_SWISH_BETA, CUDNN_TYPE_DOUBLE, 1, &beta), "swish beta");
  }
  B_TRY(b, cudnnBackendFinalize(pw), "cudnnBackendFinalize (pointwise)");
  if (!new_desc(b, CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR, op)) return false;
  B_TRY(b, cudnnBackendSetAttribute(*op, CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1,
                                    &pw),
        "pointwise operation");
  B_TRY(b, cudnnBackendSetAttribute(*op, CUDNN_ATTR_OPERATION_POINTWISE_XDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x),
        "pointwise x");
  if (bt)
    B_TRY(b, cudnnBackendSetAttribute(*op, CUDNN_ATTR_OPERATION_POINTWISE_BDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &bt),
          "pointwise b");
  B_TRY(b, cudnnBackendSetAttribute(*op, CUDNN_ATTR_OPERATION_POINTWISE_YDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &y),
        "pointwise y");
  B_TRY(b, cudnnBackendFinalize(*op), "cudnnBackendFinalize (pointwise operation)");
  return true;
}

static int env_flag(const char *name, int dflt) {
  const char *e = getenv(name);
  return e && *e ? strcmp(e, "0") != 0 : dflt;
}

/* Is an engine configuration allowed in this precision mode? */
static bool config_allowed(cudnnBackendDescriptor_t cfg, int mode) {
  cudnnBackendDescriptor_t engine = NULL;
  if (cudnnBackendCreateDescriptor(CUDNN_BACKEND_ENGINE_DESCRIPTOR, &engine) != CUDNN_STATUS_SUCCESS) return false;
  int64_t n = 0;
  bool ok = cudnnBackendGetAttribute(cfg, CUDNN_ATTR_ENGINECFG_ENGINE, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &n, &engine) ==
                CUDNN_STATUS_SUCCESS &&
            n == 1;
  cudnnBackendNumericalNote_t notes[CUDNN_NUMERICAL_NOTE_TYPE_COUNT + 8];
  n = 0;
  if (ok && cudnnBackendGetAttribute(engine, CUDNN_ATTR_ENGINE_NUMERICAL_NOTE, CUDNN_TYPE_NUMERICAL_NOTE,
                                     CUDNN_NUMERICAL_NOTE_TYPE_COUNT + 8, &n, notes) == CUDNN_STATUS_SUCCESS) {
    for (int64_t i = 0; i < n && i < CUDNN_NUMERICAL_NOTE_TYPE_COUNT + 8; i++) {
      if (mode == MODE_F32 &&
          (notes[i] == CUDNN_NUMERICAL_NOTE_TENSOR_CORE || notes[i] == CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS))
        ok = false; /* tf32 */
      if (notes[i] == CUDNN_NUMERICAL_NOTE_REDUCED_PRECISION_REDUCTION) ok = false; /* fp16 accumulation */
    }
  }
  cudnnBackendBehaviorNote_t behavior[CUDNN_BEHAVIOR_NOTE_TYPE_COUNT + 8];
  n = 0;
  if (ok && cudnnBackendGetAttribute(engine, CUDNN_ATTR_ENGINE_BEHAVIOR_NOTE, CUDNN_TYPE_BEHAVIOR_NOTE,
                                     CUDNN_BEHAVIOR_NOTE_TYPE_COUNT + 8, &n, behavior) == CUDNN_STATUS_SUCCESS) {
    const int no_rtc = env_flag("INGOT_CUDNN_NO_RUNTIME_COMPILATION", 0);
    for (int64_t i = 0; i < n && i < CUDNN_BEHAVIOR_NOTE_TYPE_COUNT + 8; i++) {
      if (behavior[i] == CUDNN_BEHAVIOR_NOTE_REQUIRES_FILTER_INT8x32_REORDER ||
          behavior[i] == CUDNN_BEHAVIOR_NOTE_REQUIRES_BIAS_INT8x32_REORDER)
        ok = false;
      if (no_rtc && behavior[i] == CUDNN_BEHAVIOR_NOTE_RUNTIME_COMPILATION) ok = false;
    }
  }
  cudnnBackendDestroyDescriptor(engine);
  return ok;
}

/* Appends the heuristics' configurations (allowed in the graph's mode) to g->cfgs. */
static bool add_configs(dnn_build *b, cudnnBackendHeurMode_t heur_mode) {
  dnn_graph *g = b->g;
  cudnnBackendDescriptor_t heur = NULL;
  cudnnStatus_t st = cudnnBackendCreateDescriptor(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR, &heur);
  if (st != CUDNN_STATUS_SUCCESS) {
    b->what = "cudnnBackendCreateDescriptor (heuristics)", b->st = st;
    return false;
  }
  cudnnBackendDescriptor_t found[MAX_CFGS];
  int64_t n = 0, got = 0;
  const char *what = "heuristics graph";
  st = cudnnBackendSetAttribute(heur, CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1,
                                &g->graph);
  if (st == CUDNN_STATUS_SUCCESS)
    what = "heuristics mode",
    st = cudnnBackendSetAttribute(heur, CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, &heur_mode);
  if (st == CUDNN_STATUS_SUCCESS) what = "cudnnBackendFinalize (heuristics)", st = cudnnBackendFinalize(heur);
  if (st == CUDNN_STATUS_SUCCESS)
    what = "heuristics results",
    st = cudnnBackendGetAttribute(heur, CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, &n, NULL);
  int64_t room = MAX_CFGS - g->nb_cfgs;
  if (n > room) n = room;
  int64_t made = 0;
  for (; st == CUDNN_STATUS_SUCCESS && made < n; made++)
    st = cudnnBackendCreateDescriptor(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR, &found[made]);
  if (st != CUDNN_STATUS_SUCCESS) what = "cudnnBackendCreateDescriptor (engine config)";
  if (st == CUDNN_STATUS_SUCCESS && n > 0)
    what = "heuristics results",
    st = cudnnBackendGetAttribute(heur, CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, n, &got, found);
  if (got > n) got = n;
  for (int64_t i = 0; i < made; i++) {
    if (st == CUDNN_STATUS_SUCCESS && i < got && config_allowed(found[i], g->key.mode))
      g->cfgs[g->nb_cfgs++] = found[i];
    else
      cudnnBackendDestroyDescriptor(found[i]);
  }
  cudnnBackendDestroyDescriptor(heur);
  if (st != CUDNN_STATUS_SUCCESS) {
    b->what = what, b->st = st;
    return false;
  }
  return true;
}

/* The operation graph of key k: conv (into y, or a virtual fp32 tensor followed by the
 * epilogue's pointwise operations ending in y), and mode A's configurations for it. */
static bool build_graph(dnn_build *b, cudnnHandle_t handle) {
  dnn_graph *g = b->g;
  const dnn_key *k = &g->key;
  cudnnDataType_t dt, fp32 = CUDNN_DATA_FLOAT;
  ingot_cudnn_data_type((ingot_dtype)k->dtype, &dt);
  const int nb = k->nb, nsp = nb - 2;
  const bool cl = k->channels_last != 0;
  int64_t xs[5], ws[5], ys[5], bd[5] = {1, k->y[1], 1, 1, 1}, bs[5];
  packed_strides(nb, k->x, xs, cl);
  packed_strides(nb, k->w, ws, cl);
  packed_strides(nb, k->y, ys, cl);
  packed_strides(nb, bd, bs, cl);
  cudnnBackendDescriptor_t x, w, y, bias = NULL, res = NULL;
  if (!make_tensor(b, 1, dt, nb, k->x, xs, false, &x) || !make_tensor(b, 2, dt, nb, k->w, ws, false, &w) ||
      !make_tensor(b, 3, dt, nb, k->y, ys, false, &y))
    return false;
  g->nb_uids = 0;
  g->uids[g->nb_uids] = 1, g->slots[g->nb_uids++] = SLOT_X;
  g->uids[g->nb_uids] = 2, g->slots[g->nb_uids++] = SLOT_W;
  g->uids[g->nb_uids] = 3, g->slots[g->nb_uids++] = SLOT_Y;
  const bool fused = k->kind == GRAPH_FUSED;
  if (fused && k->has_bias) {
    if (!make_tensor(b, 4, dt, nb, bd, bs, false, &bias)) return false;
    g->uids[g->nb_uids] = 4, g->slots[g->nb_uids++] = SLOT_BIAS;
  }
  if (fused && k->has_residual) {
    if (!make_tensor(b, 5, dt, nb, k->y, ys, false, &res)) return false;
    g->uids[g->nb_uids] = 5, g->slots[g->nb_uids++] = SLOT_RES;
  }
  int epilogue = fused ? (bias != NULL) + (res != NULL) + (k->act_mode >= 0) : 0;

  cudnnBackendDescriptor_t conv;
  cudnnConvolutionMode_t cmode = CUDNN_CROSS_CORRELATION;
  int64_t spatial = nsp;
  if (!new_desc(b, CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR, &conv)) return false;
  B_TRY(b, cudnnBackendSetAttribute(conv, CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &fp32),
        "convolution compute type");
  B_TRY(b, cudnnBackendSetAttribute(conv, CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, 1, &cmode),
        "convolution mode");
  B_TRY(b, cudnnBackendSetAttribute(conv, CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_TYPE_INT64, 1, &spatial),
        "convolution spatial dims");
  B_TRY(b, cudnnBackendSetAttribute(conv, CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_TYPE_INT64, nsp, k->pad),
        "convolution padding");
  B_TRY(b, cudnnBackendSetAttribute(conv, CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_TYPE_INT64, nsp, k->pad),
        "convolution padding");
  B_TRY(b, cudnnBackendSetAttribute(conv, CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, CUDNN_TYPE_INT64, nsp, k->stride),
        "convolution strides");
  B_TRY(b, cudnnBackendSetAttribute(conv, CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64, nsp, k->dilation),
        "convolution dilations");
  B_TRY(b, cudnnBackendFinalize(conv), "cudnnBackendFinalize (convolution)");

  cudnnBackendDescriptor_t ops[4];
  int nops = 0;
  cudnnBackendDescriptor_t cur = y;
  int64_t next_uid = 100;
  if (epilogue > 0 && !make_tensor(b, next_uid++, fp32, nb, k->y, ys, true, &cur)) return false;
  cudnnBackendDescriptor_t op;
  float alpha = 1.0f, beta = 0.0f;
  if (!new_desc(b, CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR, &op)) return false;
  B_TRY(b, cudnnBackendSetAttribute(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x),
        "convolution x");
  B_TRY(b, cudnnBackendSetAttribute(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &w),
        "convolution w");
  B_TRY(b,
        cudnnBackendSetAttribute(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &cur),
        "convolution y");
  B_TRY(b, cudnnBackendSetAttribute(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC,
                                    CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &conv),
        "convolution descriptor");
  B_TRY(b, cudnnBackendSetAttribute(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, CUDNN_TYPE_FLOAT, 1, &alpha),
        "convolution alpha");
  B_TRY(b, cudnnBackendSetAttribute(op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, CUDNN_TYPE_FLOAT, 1, &beta),
        "convolution beta");
  B_TRY(b, cudnnBackendFinalize(op), "cudnnBackendFinalize (convolution operation)");
  ops[nops++] = op;
  /* the epilogue: + residual, + bias, activation; the last writes y */
  /* the residual before the bias: the order of cuDNN's precompiled conv-add-bias-act
   * engines (bias first only matched the runtime-compiled generic fusion, 3% slower on
   * ResNet-50) */
  const cudnnBackendDescriptor_t operands[2] = {res, bias};
  for (int e = 0; e < 2; e++) {
    if (!operands[e]) continue;
    cudnnBackendDescriptor_t out = y;
    if (--epilogue > 0 && !make_tensor(b, next_uid++, fp32, nb, k->y, ys, true, &out)) return false;
    if (!make_pointwise(b, CUDNN_POINTWISE_ADD, cur, operands[e], out, &op)) return false;
    ops[nops++] = op;
    cur = out;
  }
  if (fused && k->act_mode >= 0) {
    if (!make_pointwise(b, (cudnnPointwiseMode_t)k->act_mode, cur, NULL, y, &op)) return false;
    ops[nops++] = op;
  }
  /* g->graph is freed before the descriptors it refers to */
  B_TRY(b, cudnnBackendCreateDescriptor(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR, &g->graph),
        "cudnnBackendCreateDescriptor (operation graph)");
  B_TRY(b, cudnnBackendSetAttribute(g->graph, CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR, nops, ops),
        "operation graph");
  B_TRY(b, cudnnBackendSetAttribute(g->graph, ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle),
        "operation graph handle");
  B_TRY(b, cudnnBackendFinalize(g->graph), "cudnnBackendFinalize (operation graph)");
  g->graph_ok = true;
  return add_configs(b, CUDNN_HEUR_MODE_A);
}

/* The cached graph of key k, made (with its heuristic configurations) if new. A graph
 * cuDNN will not make is cached too, with no configurations and the reason. */
static ingot_status cache_graph(ingot_cuda_handles *h, const dnn_key *k, dnn_graph **out) {
  *out = NULL;
  if (!h->dnn_cache && !(h->dnn_cache = ingot_calloc(1, sizeof *h->dnn_cache))) return INGOT_OUT_OF_MEMORY;
  ingot_cudnn_cache *cache = h->dnn_cache;
  for (dnn_graph **p = &cache->head; *p; p = &(*p)->next) {
    dnn_graph *g = *p;
    if (memcmp(&g->key, k, sizeof *k) != 0) continue;
    *p = g->next; /* to the front */
    g->next = cache->head;
    cache->head = g;
    *out = g;
    return INGOT_SUCCESS;
  }
  dnn_graph *g = ingot_calloc(1, sizeof *g);
  if (!g) return INGOT_OUT_OF_MEMORY;
  g->key = *k;
  dnn_build b = {g, NULL, CUDNN_STATUS_SUCCESS};
  if (!build_graph(&b, h->dnn)) g->fail_what = b.what, g->fail_status = b.st; /* kept: "no engine" */
  cache_trim(cache); /* before it joins: a caller's graphs are pinned (refs) */
  g->next = cache->head;
  cache->head = g;
  cache->count++;
  *out = g;
  return INGOT_SUCCESS;
}

/* Finalizes configuration j's plan once; true if it runs the layer. */
static bool ensure_plan(cudnnHandle_t handle, dnn_graph *g, int32_t j) {
  if (g->plan_status[j]) return g->plan_status[j] > 0;
  cudnnBackendDescriptor_t plan = NULL;
  int64_t ws = 0, n = 0;
  cudnnStatus_t st = cudnnBackendCreateDescriptor(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR, &plan);
  const char *what = "cudnnBackendCreateDescriptor (execution plan)";
  if (st == CUDNN_STATUS_SUCCESS)
    what = "execution plan handle",
    st = cudnnBackendSetAttribute(plan, ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle);
  if (st == CUDNN_STATUS_SUCCESS)
    what = "execution plan engine config",
    st = cudnnBackendSetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1,
                                  &g->cfgs[j]);
  if (st == CUDNN_STATUS_SUCCESS) what = "cudnnBackendFinalize (execution plan)", st = cudnnBackendFinalize(plan);
  if (st == CUDNN_STATUS_SUCCESS)
    what = "execution plan workspace size",
    st = cudnnBackendGetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE, CUDNN_TYPE_INT64, 1, &n, &ws);
  if (st != CUDNN_STATUS_SUCCESS || ws < 0) {
    if (plan) cudnnBackendDestroyDescriptor(plan);
    g->plan_status[j] = -1;
    if (!g->nb_ok) g->fail_what = what, g->fail_status = st;
    return false;
  }
  g->plans[j] = plan;
  g->plan_workspace[j] = ws;
  g->plan_status[j] = 1;
  g->nb_ok++;
  return true;
}

static void make_key(const dnn_shape *sh, int mode, int kind, dnn_key *k) {
  memset(k, 0, sizeof *k);
  k->kind = kind, k->mode = mode, k->dtype = sh->dtype, k->nb = sh->nb, k->channels_last = sh->channels_last;
  k->has_bias = sh->has_bias, k->has_residual = sh->has_residual;
  k->act_mode = kind == GRAPH_FUSED ? fused_activation(sh->activation) : -1;
  memcpy(k->x, sh->x, sizeof k->x), memcpy(k->w, sh->w, sizeof k->w), memcpy(k->y, sh->y, sizeof k->y);
  memcpy(k->pad, sh->pad, sizeof k->pad), memcpy(k->stride, sh->stride, sizeof k->stride);
  memcpy(k->dilation, sh->dilation, sizeof k->dilation);
}

/* The index-th usable configuration of the layer (fused graph first, then the plain one);
 * not strict: the last usable one where there are fewer. */
static ingot_status pick_engine(const ingot_kernel_args *args, const dnn_shape *sh, int mode, int index, bool strict,
                                dnn_graph **g_out, int32_t *cfg_out) {
  ingot_cuda_handles *h = args->device_handles;
  *g_out = NULL, *cfg_out = -1;
  const bool fusable = sh->has_bias || sh->has_residual || fused_activation(sh->activation) >= 0;
  int kinds[2], nk = 0;
  if (fusable) kinds[nk++] = GRAPH_FUSED;
  kinds[nk++] = GRAPH_PLAIN;
  int found = 0;
  dnn_graph *last = NULL, *plain = NULL, *pinned[2] = {NULL, NULL};
  int32_t last_cfg = -1;
  ingot_status st = INGOT_SUCCESS;
  for (int v = 0; v < nk; v++) {
    dnn_key key;
    make_key(sh, mode, kinds[v], &key);
    dnn_graph *g;
    if ((st = cache_graph(h, &key, &g)) != INGOT_SUCCESS) break;
    g->refs++; /* pinned while the next one is looked up */
    pinned[v] = plain = g;
    for (int32_t j = 0;; j++) {
      if (j == g->nb_cfgs && !g->nb_ok && !g->fallback && g->graph_ok) {
        g->fallback = true; /* nothing of mode A runs it: cuDNN's fallback list */
        dnn_build b = {g, NULL, CUDNN_STATUS_SUCCESS};
        if (!add_configs(&b, CUDNN_HEUR_MODE_FALLBACK) && !g->nb_ok) g->fail_what = b.what, g->fail_status = b.st;
      }
      if (j >= g->nb_cfgs) break;
      if (!ensure_plan(h->dnn, g, j)) continue;
      if (found == index) {
        *g_out = g, *cfg_out = j;
        break;
      }
      found++;
      last = g, last_cfg = j;
    }
    if (*g_out) break;
  }
  for (int v = 0; v < 2; v++)
    if (pinned[v]) pinned[v]->refs--; /* the caller takes its own reference next */
  if (st != INGOT_SUCCESS || *g_out) return st;
  if (!strict && last) {
    *g_out = last, *cfg_out = last_cfg;
    return INGOT_SUCCESS;
  }
  if (found > 0)
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED,
                           "cuDNN: the heuristics give %d usable engine configurations for this layer, not engine%d",
                           found, index);
  if (plain && plain->fail_what) return ingot_cudnn_fail(plain->fail_status, plain->fail_what, args->node);
  return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "cuDNN: no engine configuration runs this layer");
}

/* ---- the tactic ------------------------------------------------------------------------- */

static const dnn_choice *choice_of(const ingot_kernel_args *args) {
  const dnn_choice *c = args->prepared;
  if (!c || args->prepared_size != sizeof *c || c->magic != DNN_MAGIC || c->engine < 0 || c->engine >= DNN_ENGINES ||
      c->mode < MODE_TF32 || c->mode > MODE_HALF)
    return NULL;
  return c;
}

/* The layer's description and its engine-th configuration (see pick_engine). */
static ingot_status layer_engine(const ingot_kernel_args *args, int mode, int engine, bool strict, dnn_shape *sh,
                                 dnn_graph **g, int32_t *cfg) {
  if (!args->device_handles)
    return ingot_node_fail(args->node, INGOT_INVALID_STATE, "cuDNN tactic used without device handles");
  if (!describe(args->node, args->inputs, args->outputs, sh))
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "cuDNN convolution does not support these shapes or dtypes");
  return pick_engine(args, sh, mode, engine, strict, g, cfg);
}

/* Build time: does the layer have an engine-th usable configuration? */
static ingot_status dnn_prepare(const ingot_kernel_args *args, int mode, int engine, void **out, uint64_t *size) {
  *out = NULL;
  *size = 0;
  dnn_shape sh;
  dnn_graph *g;
  int32_t cfg;
  INGOT_TRY(layer_engine(args, mode, engine, true, &sh, &g, &cfg));
  dnn_choice *c = ingot_calloc(1, sizeof *c);
  if (!c) return INGOT_OUT_OF_MEMORY;
  c->magic = DNN_MAGIC, c->mode = mode, c->engine = engine;
  *out = c;
  *size = sizeof *c;
  return INGOT_SUCCESS;
}

static void dnn_destroy_state(void *state) {
  dnn_state *s = state;
  if (!s) return;
  if (s->pack) cudnnBackendDestroyDescriptor(s->pack);
  graph_release(s->graph);
  free(s);
}

/* The plan (from the handle's cache) and what runs after it, for these shapes. */
static ingot_status make_state(const ingot_kernel_args *args, dnn_state **state_out) {
  *state_out = NULL;
  const dnn_choice *choice = choice_of(args);
  if (!choice)
    return ingot_node_fail(args->node, INGOT_INVALID_PLAN, "cuDNN tactic: prepared block missing or damaged");
  dnn_shape sh;
  dnn_graph *g;
  int32_t cfg;
  INGOT_TRY(layer_engine(args, choice->mode, choice->engine, false, &sh, &g, &cfg));
  dnn_state *s = ingot_calloc(1, sizeof *s);
  if (!s) return INGOT_OUT_OF_MEMORY;
  s->graph = g;
  g->refs++;
  s->plan = g->plans[cfg];
  s->plan_workspace = (uint64_t)g->plan_workspace[cfg];
  const bool fused = g->key.kind == GRAPH_FUSED;
  s->add_bias = sh.has_bias && !fused;
  s->add_residual = sh.has_residual && !fused;
  s->run_activation = sh.activation >= 0 && !(fused && fused_activation(sh.activation) >= 0);
  s->ck_dtype = sh.dtype;
  const ingot_dims *yd = &args->outputs[0].dims;
  s->y_volume = ingot_dims_volume(yd);
  if (s->add_residual) {
    int64_t one[2][INGOT_MAX_DIMS] = {{1}, {1}};
    if (!ingot_ck_box_make(&s->res_box, 1, &s->y_volume, 2, (const int64_t(*)[INGOT_MAX_DIMS])one)) {
      dnn_destroy_state(s);
      return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "cuDNN tactic: residual too large for the add kernel");
    }
  }
  if (s->add_bias) {
    int64_t strides[2][INGOT_MAX_DIMS];
    int32_t rank = yd->nb_dims, cax = ingot_channel_axis(sh.channels_last, rank);
    int64_t st = 1;
    for (int32_t d = rank - 1; d >= 0; d--) {
      strides[0][d] = st;
      st *= yd->d[d];
      strides[1][d] = d == cax ? 1 : 0;
    }
    if (!ingot_ck_box_make(&s->bias_box, rank, yd->d, 2, (const int64_t(*)[INGOT_MAX_DIMS])strides)) {
      dnn_destroy_state(s);
      return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "cuDNN tactic: output too large for the bias kernel");
    }
  }
  *state_out = s;
  return INGOT_SUCCESS;
}

/* The engine behind configuration j: its global index and whether it compiles at run time. */
static void config_engine(cudnnBackendDescriptor_t cfg, int64_t *id, bool *rtc) {
  *id = -1, *rtc = false;
  cudnnBackendDescriptor_t engine = NULL;
  if (cudnnBackendCreateDescriptor(CUDNN_BACKEND_ENGINE_DESCRIPTOR, &engine) != CUDNN_STATUS_SUCCESS) return;
  int64_t n = 0;
  if (cudnnBackendGetAttribute(cfg, CUDNN_ATTR_ENGINECFG_ENGINE, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &n, &engine) ==
      CUDNN_STATUS_SUCCESS) {
    cudnnBackendGetAttribute(engine, CUDNN_ATTR_ENGINE_GLOBAL_INDEX, CUDNN_TYPE_INT64, 1, &n, id);
    cudnnBackendBehaviorNote_t behavior[CUDNN_BEHAVIOR_NOTE_TYPE_COUNT + 8];
    if (cudnnBackendGetAttribute(engine, CUDNN_ATTR_ENGINE_BEHAVIOR_NOTE, CUDNN_TYPE_BEHAVIOR_NOTE,
                                 CUDNN_BEHAVIOR_NOTE_TYPE_COUNT + 8, &n, behavior) == CUDNN_STATUS_SUCCESS)
      for (int64_t i = 0; i < n && i < CUDNN_BEHAVIOR_NOTE_TYPE_COUNT + 8; i++)
        if (behavior[i] == CUDNN_BEHAVIOR_NOTE_RUNTIME_COMPILATION) *rtc = true;
  }
  cudnnBackendDestroyDescriptor(engine);
}

static ingot_status dnn_create_state(const ingot_kernel_args *args, void **state_out) {
  dnn_state *s = NULL;
  ingot_status st = make_state(args, &s);
  *state_out = s;
  if (st == INGOT_SUCCESS && env_flag("INGOT_CUDNN_LOG", 0)) { /* which configuration a layer runs */
    const dnn_graph *g = s->graph;
    int32_t j = 0;
    while (j < g->nb_cfgs && g->plans[j] != s->plan) j++;
    int64_t id;
    bool rtc;
    config_engine(g->cfgs[j], &id, &rtc);
    fprintf(stderr, "cudnn: layer '%s' %s: %s graph, config %d of %d (engine %lld%s), workspace %llu\n",
            args->node->name, args->node->fused_name ? args->node->fused_name : "", 
            g->key.kind == GRAPH_FUSED ? "fused" : "plain", (int)j, (int)g->nb_cfgs, (long long)id,
            rtc ? ", runtime-compiled" : "", (unsigned long long)s->plan_workspace);
  }
  return st;
}

/* Sizing finalizes the plan (kept in the handle's cache for create_state), never on the
 * execute path. A layer the row cannot run asks for unbounded workspace. */
static uint64_t dnn_workspace(const ingot_kernel_args *args) {
  dnn_state *s = NULL;
  if (make_state(args, &s) != INGOT_SUCCESS) {
    ingot_clear_last_error();
    return NO_WORKSPACE;
  }
  uint64_t bytes = s->plan_workspace;
  dnn_destroy_state(s);
  return bytes;
}

static bool aligned(const void *p) { return ((uintptr_t)p & (ALIGNMENT - 1)) == 0; }

static ingot_status dnn_run(const ingot_kernel_args *args) {
  dnn_state *s = args->state;
  ingot_cuda_handles *h = args->device_handles;
  if (!s || !h) return ingot_node_fail(args->node, INGOT_INVALID_STATE, "cuDNN tactic run without its state");
  if (args->workspace_size < s->plan_workspace)
    return ingot_node_fail(args->node, INGOT_INVALID_STATE, "cuDNN needs %llu workspace bytes, the context gave %llu",
                           (unsigned long long)s->plan_workspace, (unsigned long long)args->workspace_size);
  cudaStream_t stream = (cudaStream_t)args->stream;
  if (!h->stream_set || h->stream != stream) { /* the runtime binds it per enqueue; a caller may not */
    cudnnStatus_t st = cudnnSetStream(h->dnn, stream);
    if (st != CUDNN_STATUS_SUCCESS) return ingot_cudnn_fail(st, "cudnnSetStream", args->node);
    h->stream = stream, h->stream_set = true;
  }
  const dnn_graph *g = s->graph;
  void *ptr[NB_SLOTS] = {args->inputs[0].data, args->inputs[1].data, args->outputs[0].data,
                         g->key.has_bias ? args->inputs[2].data : NULL,
                         g->key.has_residual ? args->inputs[args->nb_inputs - 1].data : NULL};
  void *res = ptr[SLOT_RES];
  if (s->add_residual && res == ptr[SLOT_Y]) /* the arena never does this; bound I/O might */
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT,
                           "cuDNN convolution: the residual input and the output share memory (%p)", res);
  void *bound[NB_SLOTS];
  for (int32_t i = 0; i < g->nb_uids; i++) {
    bound[i] = ptr[g->slots[i]];
    if (!aligned(bound[i]))
      return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT,
                             "cuDNN plan needs %d-byte aligned tensors; operand %d is at %p", ALIGNMENT, g->slots[i],
                             bound[i]);
  }
  void *ws = s->plan_workspace ? args->workspace : NULL;
  bool same = s->pack && s->pack_workspace == ws;
  for (int32_t i = 0; i < g->nb_uids && same; i++) same = s->pack_ptrs[i] == bound[i];
  if (!same) { /* a new variant pack: the pointers changed (the first run, a new arena) */
    cudnnBackendDescriptor_t pack = NULL;
    cudnnStatus_t st = cudnnBackendCreateDescriptor(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR, &pack);
    const char *what = "cudnnBackendCreateDescriptor (variant pack)";
    if (st == CUDNN_STATUS_SUCCESS)
      what = "variant pack pointers",
      st = cudnnBackendSetAttribute(pack, CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, g->nb_uids, bound);
    if (st == CUDNN_STATUS_SUCCESS)
      what = "variant pack ids",
      st = cudnnBackendSetAttribute(pack, CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, g->nb_uids, g->uids);
    if (st == CUDNN_STATUS_SUCCESS)
      what = "variant pack workspace",
      st = cudnnBackendSetAttribute(pack, CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &ws);
    if (st == CUDNN_STATUS_SUCCESS) what = "cudnnBackendFinalize (variant pack)", st = cudnnBackendFinalize(pack);
    if (st != CUDNN_STATUS_SUCCESS) {
      if (pack) cudnnBackendDestroyDescriptor(pack);
      return ingot_cudnn_fail(st, what, args->node);
    }
    if (s->pack) cudnnBackendDestroyDescriptor(s->pack);
    s->pack = pack;
    s->pack_workspace = ws;
    for (int32_t i = 0; i < g->nb_uids; i++) s->pack_ptrs[i] = bound[i];
  }
  cudnnStatus_t st = cudnnBackendExecute(h->dnn, s->plan, s->pack);
  if (st != CUDNN_STATUS_SUCCESS) return ingot_cudnn_fail(st, "cudnnBackendExecute", args->node);
  void *y = ptr[SLOT_Y];
  cudaError_t err;
  if (s->add_bias &&
      (err = ingot_ck_binary(INGOT_ELEMENTWISE_SUM, s->ck_dtype, &s->bias_box, y, ptr[SLOT_BIAS], y, stream)) !=
          cudaSuccess)
    return ingot_cuda_fail(err, "bias after the convolution");
  if (s->add_residual &&
      (err = ingot_ck_binary(INGOT_ELEMENTWISE_SUM, s->ck_dtype, &s->res_box, y, res, y, stream)) != cudaSuccess)
    return ingot_cuda_fail(err, "residual after the convolution");
  if (s->run_activation) { /* any ingot activation, in place, by the backend's own kernel */
    const ingot_epilogue *e = &args->params->conv.epilogue;
    err = ingot_ck_activation(e->activation, e->alpha, e->beta, s->ck_dtype, s->y_volume, y, y, stream);
    if (err != cudaSuccess) return ingot_cuda_fail(err, "activation after the convolution");
  }
  return INGOT_SUCCESS;
}

#define DNN_MODE(MODE, NAME)                                                                                   \
  static bool supports_##NAME(const ingot_node *n, const ingot_tensor_view *i, const ingot_tensor_view *o) { \
    return dnn_supports(n, i, o, MODE);                                                                      \
  }
DNN_MODE(MODE_TF32, tf32)
DNN_MODE(MODE_F32, f32)
DNN_MODE(MODE_HALF, half)
#undef DNN_MODE

#define DNN_PREP(MODE, NAME, E)                                                             \
  static ingot_status prep_##NAME##_##E(const ingot_kernel_args *a, void **o, uint64_t *s) { \
    return dnn_prepare(a, MODE, E, o, s);                                                   \
  }
#define DNN_PREPS(MODE, NAME)                                                                       \
  DNN_PREP(MODE, NAME, 0) DNN_PREP(MODE, NAME, 1) DNN_PREP(MODE, NAME, 2) DNN_PREP(MODE, NAME, 3) \
  DNN_PREP(MODE, NAME, 4) DNN_PREP(MODE, NAME, 5) DNN_PREP(MODE, NAME, 6) DNN_PREP(MODE, NAME, 7)
DNN_PREPS(MODE_TF32, tf32)
DNN_PREPS(MODE_F32, f32)
DNN_PREPS(MODE_HALF, half)
#undef DNN_PREPS
#undef DNN_PREP

/* Within a mode the heuristics' first choice is listed last: the builder takes the
 * last-listed when it times nothing. */
#define DNN_ROW(NAME, MODE, E)                                                                               \
  {INGOT_OP_CONVOLUTION, NAME #E, 1, supports_##MODE, dnn_workspace, prep_##MODE##_##E, dnn_run, dnn_create_state, \
   dnn_destroy_state, INGOT_TACTIC_SOURCE_CUDNN}
#define DNN_ROWS(MODE, PREFIX)                                                                     \
  DNN_ROW(PREFIX "_cudnn_engine", MODE, 7), DNN_ROW(PREFIX "_cudnn_engine", MODE, 6),              \
      DNN_ROW(PREFIX "_cudnn_engine", MODE, 5), DNN_ROW(PREFIX "_cudnn_engine", MODE, 4),          \
      DNN_ROW(PREFIX "_cudnn_engine", MODE, 3), DNN_ROW(PREFIX "_cudnn_engine", MODE, 2),          \
      DNN_ROW(PREFIX "_cudnn_engine", MODE, 1), DNN_ROW(PREFIX "_cudnn_engine", MODE, 0)
const ingot_tactic ingot_cudnn_tactics[] = {
    DNN_ROWS(f32, "conv_f32"),
    DNN_ROWS(half, "conv_f16bf16"),
    DNN_ROWS(tf32, "conv_f32_tf32"),
};
const int32_t ingot_cudnn_tactic_count = (int32_t)(sizeof ingot_cudnn_tactics / sizeof ingot_cudnn_tactics[0]);
