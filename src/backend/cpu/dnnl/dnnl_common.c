/* The oneDNN tactics' shared machinery: threads, post-ops, the prepared-weights blob and
 * the per-context state of steps (see dnnl_common.h). */
#include "backend/cpu/dnnl/dnnl_common.h"

#include <oneapi/dnnl/dnnl_debug.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/dims.h"
#include "core/error.h"
#include "ops/ops.h"

#define ALIGN 64

static uint64_t round_up(uint64_t v) { return (v + ALIGN - 1) / ALIGN * ALIGN; }

/* ---- threads ------------------------------------------------------------------------------ */

/* Debian's oneDNN runs on OpenMP, whose thread count is a per-thread setting: set to the
 * context's count around each call into oneDNN (its scratchpad is sized for the count at
 * primitive creation, and a run must not use more), and put back afterwards so that the
 * caller's own OpenMP code is not changed. */
int32_t ingot_dnnl_threads_begin(int32_t threads) {
  int32_t previous = omp_get_max_threads();
  if (threads < 1) threads = 1;
  if (previous != threads) omp_set_num_threads(threads);
  return previous;
}

void ingot_dnnl_threads_end(int32_t threads, int32_t previous) {
  if (threads < 1) threads = 1;
  if (previous != threads) omp_set_num_threads(previous);
}

int32_t ingot_dnnl_pool_threads(const ingot_kernel_args *args) { return ingot_thread_pool_size(args->pool); }

/* ---- errors and descriptors --------------------------------------------------------------- */

bool ingot_dnnl_ok(dnnl_status_t st, const ingot_node *node, const char *what) {
  if (st == dnnl_success) return true;
  ingot_node_fail(node, INGOT_UNSUPPORTED, "oneDNN: %s: %s", what, dnnl_status2str(st));
  return false;
}

bool ingot_dnnl_plain_md(dnnl_memory_desc_t *md, int32_t nb_dims, const int64_t *dims) {
  dnnl_dims_t d, strides;
  if (nb_dims < 1 || nb_dims > DNNL_MAX_NDIMS) return false;
  int64_t stride = 1;
  for (int32_t i = nb_dims - 1; i >= 0; i--) {
    if (dims[i] <= 0) return false; /* empty tensors go to the reference kernel */
    d[i] = dims[i];
    strides[i] = stride;
    stride *= dims[i];
  }
  return dnnl_memory_desc_init_by_strides(md, nb_dims, d, dnnl_f32, strides) == dnnl_success;
}

/* One eltwise post-op: scale * alg(x; alpha, beta). */
typedef struct eltwise_op {
  dnnl_alg_kind_t alg;
  float scale, alpha, beta;
} eltwise_op;

/* The activation as a chain of eltwise post-ops: the count, or -1 when oneDNN has none
 * that computes it (softsign, thresholded relu). */
static int32_t activation_ops(const ingot_epilogue *e, eltwise_op ops[3]) {
  float a = e->alpha, b = e->beta;
  switch (e->activation) {
    case -1: return 0;
    case INGOT_ACTIVATION_RELU: ops[0] = (eltwise_op){dnnl_eltwise_relu, 1.0f, 0.0f, 0.0f}; return 1;
    case INGOT_ACTIVATION_LEAKY_RELU: ops[0] = (eltwise_op){dnnl_eltwise_relu, 1.0f, a, 0.0f}; return 1;
    case INGOT_ACTIVATION_SIGMOID: ops[0] = (eltwise_op){dnnl_eltwise_logistic, 1.0f, 0.0f, 0.0f}; return 1;
    case INGOT_ACTIVATION_TANH: ops[0] = (eltwise_op){dnnl_eltwise_tanh, 1.0f, 0.0f, 0.0f}; return 1;
    case INGOT_ACTIVATION_ELU: ops[0] = (eltwise_op){dnnl_eltwise_elu, 1.0f, a, 0.0f}; return 1;
    case INGOT_ACTIVATION_SELU: ops[0] = (eltwise_op){dnnl_eltwise_elu, b, a, 0.0f}; return 1;
    case INGOT_ACTIVATION_SOFTPLUS: /* alpha * log(1 + exp(beta * x)) */
      ops[0] = (eltwise_op){dnnl_eltwise_linear, 1.0f, b, 0.0f};
      ops[1] = (eltwise_op){dnnl_eltwise_soft_relu, a, 0.0f, 0.0f};
      return 2;
    case INGOT_ACTIVATION_CLIP: ops[0] = (eltwise_op){dnnl_eltwise_clip, 1.0f, a, b}; return 1;
    case INGOT_ACTIVATION_HARD_SIGMOID:
      ops[0] = (eltwise_op){dnnl_eltwise_linear, 1.0f, a, b};
      ops[1] = (eltwise_op){dnnl_eltwise_clip, 1.0f, 0.0f, 1.0f};
      return 2;
    case INGOT_ACTIVATION_HARD_SWISH: ops[0] = (eltwise_op){dnnl_eltwise_hardswish, 1.0f, 0.0f, 0.0f}; return 1;
    case INGOT_ACTIVATION_GELU_ERF: ops[0] = (eltwise_op){dnnl_eltwise_gelu_erf, 1.0f, 0.0f, 0.0f}; return 1;
    case INGOT_ACTIVATION_GELU_TANH: ops[0] = (eltwise_op){dnnl_eltwise_gelu_tanh, 1.0f, 0.0f, 0.0f}; return 1;
    case INGOT_ACTIVATION_SILU: ops[0] = (eltwise_op){dnnl_eltwise_swish, 1.0f, 1.0f, 0.0f}; return 1;
    case INGOT_ACTIVATION_MISH: ops[0] = (eltwise_op){dnnl_eltwise_mish, 1.0f, 0.0f, 0.0f}; return 1;
    case INGOT_ACTIVATION_SCALED_TANH: /* alpha * tanh(beta * x) */
      ops[0] = (eltwise_op){dnnl_eltwise_linear, 1.0f, b, 0.0f};
      ops[1] = (eltwise_op){dnnl_eltwise_tanh, a, 0.0f, 0.0f};
      return 2;
    default: return -1;
  }
}

bool ingot_dnnl_activation_supported(const ingot_epilogue *e) {
  eltwise_op ops[3];
  return activation_ops(e, ops) >= 0;
}

bool ingot_dnnl_attr(const ingot_node *node, const ingot_epilogue *e, const dnnl_memory_desc_t *residual_md,
                     bool as_sum, dnnl_primitive_attr_t *attr_out) {
  eltwise_op ops[3];
  int32_t nb_ops = activation_ops(e, ops);
  *attr_out = NULL;
  if (nb_ops < 0) {
    ingot_node_fail(node, INGOT_UNSUPPORTED, "oneDNN has no post-op for activation %d", (int)e->activation);
    return false;
  }
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t po = NULL;
  bool ok = ingot_dnnl_ok(dnnl_primitive_attr_create(&attr), node, "attributes") &&
            ingot_dnnl_ok(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), node,
                          "user scratchpad") &&
            ingot_dnnl_ok(dnnl_post_ops_create(&po), node, "post-ops");
  if (ok && residual_md)
    ok = ingot_dnnl_ok(as_sum ? dnnl_post_ops_append_sum(po, 1.0f)
                              : dnnl_post_ops_append_binary(po, dnnl_binary_add, residual_md),
                       node, "residual post-op");
  for (int32_t i = 0; ok && i < nb_ops; i++)
    ok = ingot_dnnl_ok(dnnl_post_ops_append_eltwise(po, ops[i].scale, ops[i].alg, ops[i].alpha, ops[i].beta), node,
                       "activation post-op");
  if (ok) ok = ingot_dnnl_ok(dnnl_primitive_attr_set_post_ops(attr, po), node, "post-ops");
  if (po) dnnl_post_ops_destroy(po);
  if (!ok) {
    if (attr) dnnl_primitive_attr_destroy(attr);
    return false;
  }
  *attr_out = attr;
  return true;
}

bool ingot_dnnl_pd_is_reference(const_dnnl_primitive_desc_t pd) {
  const char *name = NULL;
  if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, (void *)&name) != dnnl_success || !name) return true;
  return strstr(name, "ref") != NULL;
}

/* ---- building the steps ------------------------------------------------------------------- */

/* The scratchpad has its own kind: it always starts the workspace. */
#define FROM_SCRATCHPAD 100

int32_t ingot_dnnl_add_mem(ingot_dnnl_state *s, const dnnl_memory_desc_t *md, int32_t from, int32_t index) {
  if (s->nb_mems >= INGOT_DNNL_MAX_MEMS) return -1;
  ingot_dnnl_mem *m = &s->mems[s->nb_mems];
  memset(m, 0, sizeof *m);
  m->md = *md;
  m->from = from;
  m->index = index;
  return s->nb_mems++;
}

/* Buffers are laid out after the scratchpad, whose size is known once every step is in:
 * their offsets are kept relative to its end until then (see layout). */
int32_t ingot_dnnl_add_buffer(ingot_dnnl_state *s, const dnnl_memory_desc_t *md) {
  int32_t i = ingot_dnnl_add_mem(s, md, INGOT_DNNL_FROM_WORKSPACE, 0);
  if (i < 0) return -1;
  uint64_t used = 0;
  for (int32_t k = 0; k < s->nb_mems; k++)
    if (k != i && s->mems[k].from == INGOT_DNNL_FROM_WORKSPACE) {
      uint64_t end = round_up(s->mems[k].offset + dnnl_memory_desc_get_size(&s->mems[k].md));
      if (end > used) used = end;
    }
  s->mems[i].offset = used;
  return i;
}

ingot_dnnl_step *ingot_dnnl_add_step(ingot_dnnl_state *s, dnnl_primitive_desc_t pd) {
  if (s->nb_steps >= INGOT_DNNL_MAX_STEPS) {
    dnnl_primitive_desc_destroy(pd);
    return NULL;
  }
  ingot_dnnl_step *step = &s->steps[s->nb_steps++];
  memset(step, 0, sizeof *step);
  step->pd = pd;
  const dnnl_memory_desc_t *scratch = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
  uint64_t bytes = scratch ? dnnl_memory_desc_get_size(scratch) : 0;
  if (bytes > 0) {
    int32_t m = ingot_dnnl_add_mem(s, scratch, FROM_SCRATCHPAD, 0);
    if (m < 0) return NULL;
    ingot_dnnl_step_arg(step, DNNL_ARG_SCRATCHPAD, m);
    if (bytes > s->scratchpad_bytes) s->scratchpad_bytes = bytes;
  }
  return step;
}

void ingot_dnnl_step_arg(ingot_dnnl_step *step, int32_t kind, int32_t mem) {
  if (!step || mem < 0 || step->nb_args >= INGOT_DNNL_MAX_STEP_ARGS) return;
  step->arg_kind[step->nb_args] = kind;
  step->arg_mem[step->nb_args++] = mem;
}

static bool reorder_pd(const ingot_node *node, dnnl_engine_t engine, const dnnl_memory_desc_t *from,
                       const dnnl_memory_desc_t *to, bool user_scratchpad, dnnl_primitive_desc_t *pd_out) {
  dnnl_primitive_attr_t attr = NULL;
  bool ok = ingot_dnnl_ok(dnnl_primitive_attr_create(&attr), node, "attributes");
  if (ok && user_scratchpad)
    ok = ingot_dnnl_ok(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), node, "scratchpad");
  if (ok) ok = ingot_dnnl_ok(dnnl_reorder_primitive_desc_create(pd_out, from, engine, to, engine, attr), node, "reorder");
  if (attr) dnnl_primitive_attr_destroy(attr);
  return ok;
}

bool ingot_dnnl_add_reorder(ingot_dnnl_state *s, const ingot_node *node, int32_t from, int32_t to) {
  if (from < 0 || to < 0) return false;
  dnnl_primitive_desc_t pd = NULL;
  if (!reorder_pd(node, s->engine, &s->mems[from].md, &s->mems[to].md, true, &pd)) return false;
  ingot_dnnl_step *step = ingot_dnnl_add_step(s, pd);
  ingot_dnnl_step_arg(step, DNNL_ARG_FROM, from);
  ingot_dnnl_step_arg(step, DNNL_ARG_TO, to);
  return step != NULL;
}

/* ---- prepared weights --------------------------------------------------------------------- */

#define BLOB_MAGIC 0x4E4E4449u /* "IDNN" */

/* The blob's header: the weights' oneDNN layout (a plain struct in oneDNN 2.x), valid for
 * the oneDNN major.minor that wrote it. */
typedef struct blob_header {
  uint32_t magic;
  uint32_t dnnl_version; /* major * 100 + minor */
  uint64_t md_size;      /* sizeof(dnnl_memory_desc_t) */
  uint64_t weights_offset, weights_bytes;
  dnnl_memory_desc_t md;
} blob_header;

static uint32_t dnnl_version_code(void) {
  const dnnl_version_t *v = dnnl_version();
  return (uint32_t)(v->major * 100 + v->minor);
}

/* Runs one reorder of `from` (at src) to `to` (at dst) now, with oneDNN's own scratchpad:
 * build time and state creation only. */
static bool reorder_now(const ingot_node *node, dnnl_engine_t engine, const dnnl_memory_desc_t *from, const void *src,
                        const dnnl_memory_desc_t *to, void *dst) {
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_t prim = NULL;
  dnnl_stream_t stream = NULL;
  dnnl_memory_t a = NULL, b = NULL;
  bool ok = reorder_pd(node, engine, from, to, false, &pd) &&
            ingot_dnnl_ok(dnnl_primitive_create(&prim, pd), node, "reorder primitive") &&
            ingot_dnnl_ok(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags), node, "stream") &&
            ingot_dnnl_ok(dnnl_memory_create(&a, from, engine, (void *)src), node, "memory") &&
            ingot_dnnl_ok(dnnl_memory_create(&b, to, engine, dst), node, "memory");
  if (ok) {
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, a}, {DNNL_ARG_TO, b}};
    ok = ingot_dnnl_ok(dnnl_primitive_execute(prim, stream, 2, args), node, "reorder") &&
         ingot_dnnl_ok(dnnl_stream_wait(stream), node, "reorder");
  }
  if (a) dnnl_memory_destroy(a);
  if (b) dnnl_memory_destroy(b);
  if (stream) dnnl_stream_destroy(stream);
  if (prim) dnnl_primitive_destroy(prim);
  if (pd) dnnl_primitive_desc_destroy(pd);
  return ok;
}

static ingot_status pack_weights(const ingot_node *node, dnnl_engine_t engine, const dnnl_memory_desc_t *plain,
                                 const dnnl_memory_desc_t *wanted, const void *data, void **blob_out,
                                 uint64_t *size_out) {
  blob_header h;
  memset(&h, 0, sizeof h);
  h.magic = BLOB_MAGIC;
  h.dnnl_version = dnnl_version_code();
  h.md_size = sizeof(dnnl_memory_desc_t);
  h.weights_offset = round_up(sizeof h);
  h.weights_bytes = dnnl_memory_desc_get_size(wanted);
  h.md = *wanted;
  uint64_t size = h.weights_offset + h.weights_bytes;
  uint8_t *blob = ingot_aligned_alloc((size_t)size);
  if (!blob) return INGOT_OUT_OF_MEMORY;
  memset(blob, 0, (size_t)size); /* padding bytes too: plans are compared byte for byte */
  memcpy(blob, &h, sizeof h);
  if (!reorder_now(node, engine, plain, data, wanted, blob + h.weights_offset)) {
    ingot_aligned_free(blob);
    return INGOT_UNSUPPORTED;
  }
  *blob_out = blob;
  *size_out = size;
  return INGOT_SUCCESS;
}

/* The blob's header after checking it against the weights' plain layout: NULL (last error
 * set) when it is not one of ours, is from another oneDNN, or describes other weights. */
static bool read_blob(const ingot_kernel_args *args, const dnnl_memory_desc_t *plain, blob_header *h) {
  const ingot_node *node = args->node;
  if (!args->prepared || args->prepared_size < sizeof *h) {
    ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "oneDNN tactic: the packed weights are missing or truncated");
    return false;
  }
  memcpy(h, args->prepared, sizeof *h);
  if (h->magic != BLOB_MAGIC || h->md_size != sizeof(dnnl_memory_desc_t)) {
    ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "oneDNN tactic: the packed weights are not oneDNN's");
    return false;
  }
  if (h->dnnl_version != dnnl_version_code()) {
    ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                    "oneDNN tactic: weights packed by oneDNN %u.%u, this ingot runs oneDNN %u.%u: rebuild the plan",
                    h->dnnl_version / 100, h->dnnl_version % 100, dnnl_version_code() / 100,
                    dnnl_version_code() % 100);
    return false;
  }
  bool same = h->md.ndims == plain->ndims && h->md.data_type == dnnl_f32 && h->md.format_kind == dnnl_blocked;
  for (int32_t i = 0; same && i < plain->ndims; i++) same = h->md.dims[i] == plain->dims[i];
  if (!same || h->weights_offset < sizeof *h || h->weights_offset > args->prepared_size ||
      h->weights_bytes > args->prepared_size - h->weights_offset ||
      dnnl_memory_desc_get_size(&h->md) != h->weights_bytes) {
    ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "oneDNN tactic: the packed weights do not fit the layer's weights");
    return false;
  }
  return true;
}

int32_t ingot_dnnl_fixed_weights(ingot_dnnl_state *s, const ingot_kernel_args *args, const dnnl_memory_desc_t *plain,
                                 const dnnl_memory_desc_t *wanted) {
  s->has_weights = true;
  s->weights_plain = *plain;
  s->weights_wanted = *wanted;
  int32_t m = ingot_dnnl_add_mem(s, wanted, INGOT_DNNL_FIXED, 1);
  if (m < 0 || !s->making) return m;
  blob_header h;
  s->error = INGOT_INVALID_ARGUMENT; /* until the weights are in place */
  if (!read_blob(args, plain, &h)) return -1;
  uint8_t *packed = (uint8_t *)args->prepared + h.weights_offset;
  if (dnnl_memory_desc_equal(&h.md, wanted)) {
    s->mems[m].data = packed;
    s->error = INGOT_SUCCESS;
    return m;
  }
  /* packed for another choice of oneDNN's (another ISA or thread count): reordered once */
  s->owned_weights = ingot_aligned_alloc((size_t)round_up(dnnl_memory_desc_get_size(wanted)));
  if (!s->owned_weights) {
    s->error = ingot_fail(INGOT_OUT_OF_MEMORY, "oneDNN tactic: out of memory for the reordered weights");
    return -1;
  }
  if (!reorder_now(args->node, s->engine, &h.md, packed, wanted, s->owned_weights)) return -1;
  s->mems[m].data = s->owned_weights;
  s->error = INGOT_SUCCESS;
  return m;
}

/* The weights' plain layout (what prepare() reordered from) for blob dims `dims`: dense
 * row-major as plan_conv and plan_fc describe them, except a matmul's transposed B, whose
 * last two dims are swapped in memory (mm_descs). False when the dims are not positive. */
static bool plain_weights_md(const ingot_kernel_args *args, int32_t ndims, const dnnl_dims_t dims,
                             dnnl_memory_desc_t *md, int64_t *volume_out) {
  bool transposed = args->node->op == INGOT_OP_MATRIX_MULTIPLY &&
                    args->params->matmul.op_b == INGOT_MATRIX_OP_TRANSPOSE && ndims >= 2;
  dnnl_dims_t strides;
  int64_t volume = 1;
  for (int32_t i = ndims - 1; i >= 0; i--) {
    /* dim d is the i-th in memory order: the dims as given, or with the last two swapped */
    int32_t d = transposed && i >= ndims - 2 ? (i == ndims - 1 ? ndims - 2 : ndims - 1) : i;
    strides[d] = volume;
    if (dims[d] <= 0 || __builtin_mul_overflow(volume, dims[d], &volume)) return false;
  }
  if (volume > (int64_t)(SIZE_MAX / 8)) return false;
  *volume_out = volume;
  return dnnl_memory_desc_init_by_strides(md, ndims, dims, dnnl_f32, strides) == dnnl_success;
}

ingot_status ingot_dnnl_unpack_weights(const ingot_kernel_args *args, void **plain_out) {
  *plain_out = NULL;
  if (args->nb_inputs < 2 || !args->prepared || args->prepared_size < sizeof(blob_header)) return INGOT_SUCCESS;
  const ingot_tensor_view *w = &args->inputs[1];
  blob_header h;
  memcpy(&h, args->prepared, sizeof h);
  dnnl_memory_desc_t plain;
  int64_t volume = 0;
  if (h.magic != BLOB_MAGIC || h.md_size != sizeof(dnnl_memory_desc_t) || h.dnnl_version != dnnl_version_code() ||
      h.md.data_type != dnnl_f32 || h.md.format_kind != dnnl_blocked || h.md.ndims < 1 ||
      h.md.ndims > DNNL_MAX_NDIMS || w->dtype != INGOT_FLOAT32 ||
      !plain_weights_md(args, h.md.ndims, h.md.dims, &plain, &volume) || volume != ingot_dims_volume(&w->dims) ||
      h.weights_offset < sizeof h || h.weights_offset > args->prepared_size ||
      h.weights_bytes > args->prepared_size - h.weights_offset || dnnl_memory_desc_get_size(&h.md) != h.weights_bytes ||
      (uint64_t)volume * sizeof(float) > h.weights_bytes)
    return INGOT_SUCCESS; /* the last: oneDNN's layouts pad, never shrink: no copy larger than the plan's bytes */
  void *plain_data = ingot_aligned_alloc((size_t)volume * sizeof(float));
  if (!plain_data) return INGOT_OUT_OF_MEMORY;
  dnnl_engine_t engine = NULL;
  bool ok = ingot_dnnl_ok(dnnl_engine_create(&engine, dnnl_cpu, 0), args->node, "CPU engine") &&
            reorder_now(args->node, engine, &h.md, (const uint8_t *)args->prepared + h.weights_offset, &plain,
                        plain_data);
  if (engine) dnnl_engine_destroy(engine);
  if (!ok) {
    ingot_aligned_free(plain_data);
    ingot_clear_last_error(); /* unusable: the fallback says what is missing if it needs the weights */
    return INGOT_SUCCESS;
  }
  *plain_out = plain_data;
  return INGOT_SUCCESS;
}

/* ---- the state ---------------------------------------------------------------------------- */

static void layout(ingot_dnnl_state *s) {
  uint64_t base = round_up(s->scratchpad_bytes), end = base;
  for (int32_t i = 0; i < s->nb_mems; i++) {
    ingot_dnnl_mem *m = &s->mems[i];
    if (m->from != INGOT_DNNL_FROM_WORKSPACE) continue;
    m->offset += base;
    uint64_t e = round_up(m->offset + dnnl_memory_desc_get_size(&m->md));
    if (e > end) end = e;
  }
  s->workspace_bytes = end;
}

/* Frees what the state holds (not the state itself). */
static void release(ingot_dnnl_state *s) {
  for (int32_t i = 0; i < s->nb_steps; i++) {
    if (s->steps[i].primitive) dnnl_primitive_destroy(s->steps[i].primitive);
    if (s->steps[i].pd) dnnl_primitive_desc_destroy(s->steps[i].pd);
  }
  for (int32_t i = 0; i < s->nb_mems; i++)
    if (s->mems[i].mem) dnnl_memory_destroy(s->mems[i].mem);
  if (s->stream) dnnl_stream_destroy(s->stream);
  if (s->engine) dnnl_engine_destroy(s->engine);
  ingot_aligned_free(s->owned_weights);
  ingot_aligned_free(s->plain_weights);
  s->nb_steps = s->nb_mems = 0;
  s->stream = NULL;
  s->engine = NULL;
  s->owned_weights = NULL;
  s->plain_weights = NULL;
}

/* Plans the node's steps at the args' shapes on `threads` threads (the caller has set
 * them). False: oneDNN cannot do them (last error says why). */
static bool plan_steps(const ingot_kernel_args *args, ingot_dnnl_plan_fn plan, ingot_dnnl_state *s) {
  if (!ingot_dnnl_ok(dnnl_engine_create(&s->engine, dnnl_cpu, 0), args->node, "CPU engine")) return false;
  if (!plan(args, s)) return false;
  layout(s);
  return true;
}

uint64_t ingot_dnnl_workspace(const ingot_kernel_args *args, ingot_dnnl_plan_fn plan) {
  ingot_dnnl_state s;
  memset(&s, 0, sizeof s);
  int32_t threads = ingot_dnnl_pool_threads(args), previous = ingot_dnnl_threads_begin(threads);
  uint64_t bytes = plan_steps(args, plan, &s) ? s.workspace_bytes : 0;
  if (!bytes) ingot_clear_last_error(); /* the reference kernel will run: not an error */
  release(&s);
  ingot_dnnl_threads_end(threads, previous);
  return bytes;
}

ingot_status ingot_dnnl_prepare(const ingot_kernel_args *args, ingot_dnnl_plan_fn plan, void **prepared_out,
                                uint64_t *size_out) {
  *prepared_out = NULL;
  *size_out = 0;
  ingot_dnnl_state s;
  memset(&s, 0, sizeof s);
  int32_t threads = ingot_dnnl_pool_threads(args), previous = ingot_dnnl_threads_begin(threads);
  ingot_status st = INGOT_SUCCESS;
  if (!plan_steps(args, plan, &s)) {
    st = INGOT_UNSUPPORTED; /* the message is the last error */
  } else if (s.has_weights) {
    const void *data = args->nb_inputs > 1 ? args->inputs[1].data : NULL;
    st = data ? pack_weights(args->node, s.engine, &s.weights_plain, &s.weights_wanted, data, prepared_out, size_out)
              : ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "oneDNN tactic packs constant weights only");
  }
  release(&s);
  ingot_dnnl_threads_end(threads, previous);
  return st;
}

ingot_status ingot_dnnl_create_state(const ingot_kernel_args *args, ingot_dnnl_plan_fn plan, void **state_out) {
  *state_out = NULL;
  ingot_dnnl_state *s = ingot_calloc(1, sizeof *s);
  if (!s) return INGOT_OUT_OF_MEMORY;
  s->making = true;
  s->threads = ingot_dnnl_pool_threads(args);
  int32_t previous = ingot_dnnl_threads_begin(s->threads);
  ingot_status st = INGOT_SUCCESS;
  bool ok = ingot_dnnl_ok(dnnl_engine_create(&s->engine, dnnl_cpu, 0), args->node, "CPU engine") &&
            ingot_dnnl_ok(dnnl_stream_create(&s->stream, s->engine, dnnl_stream_default_flags), args->node, "stream");
  if (!ok) st = INGOT_UNSUPPORTED;
  if (ok && !plan(args, s)) {
    /* packed weights that cannot be used are an error; shapes oneDNN cannot do are not */
    ok = false;
    st = s->error;
  }
  if (ok) {
    layout(s);
    if (args->workspace_size < s->workspace_bytes)
      st = ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "oneDNN tactic: workspace of %llu bytes, %llu needed",
                           (unsigned long long)args->workspace_size, (unsigned long long)s->workspace_bytes);
  }
  for (int32_t i = 0; ok && st == INGOT_SUCCESS && i < s->nb_steps; i++)
    if (!ingot_dnnl_ok(dnnl_primitive_create(&s->steps[i].primitive, s->steps[i].pd), args->node, "primitive"))
      st = INGOT_UNSUPPORTED;
  for (int32_t i = 0; ok && st == INGOT_SUCCESS && i < s->nb_mems; i++) {
    ingot_dnnl_mem *m = &s->mems[i];
    void *handle = m->from == INGOT_DNNL_FIXED ? m->data : DNNL_MEMORY_NONE;
    if (!ingot_dnnl_ok(dnnl_memory_create(&m->mem, &m->md, s->engine, handle), args->node, "memory"))
      st = INGOT_UNSUPPORTED;
  }
  if (ok && st == INGOT_SUCCESS) {
    for (int32_t i = 0; i < s->nb_steps; i++) {
      ingot_dnnl_step *step = &s->steps[i];
      for (int32_t k = 0; k < step->nb_args; k++)
        step->args[k] = (dnnl_exec_arg_t){step->arg_kind[k], s->mems[step->arg_mem[k]].mem};
    }
    s->native = true;
  } else if (st == INGOT_SUCCESS) {
    /* these shapes (a dynamic shape unlike the opt one) run on the reference kernel */
    release(s);
    ingot_clear_last_error();
    st = ingot_dnnl_unpack_weights(args, &s->plain_weights);
  }
  ingot_dnnl_threads_end(s->threads, previous);
  if (st != INGOT_SUCCESS) {
    ingot_dnnl_destroy_state(s);
    return st;
  }
  *state_out = s;
  return INGOT_SUCCESS;
}

void ingot_dnnl_destroy_state(void *state) {
  if (!state) return;
  release(state);
  free(state);
}

bool ingot_dnnl_state_is_native(const void *state) { return state && ((const ingot_dnnl_state *)state)->native; }

/* The data of a memory for this run; NULL for fixed ones. */
static void *mem_data(const ingot_kernel_args *args, const ingot_dnnl_mem *m) {
  switch (m->from) {
    case INGOT_DNNL_FROM_INPUT: return m->index < args->nb_inputs ? args->inputs[m->index].data : NULL;
    case INGOT_DNNL_FROM_OUTPUT: return args->outputs[0].data;
    case INGOT_DNNL_FROM_WORKSPACE: return (uint8_t *)args->workspace + m->offset;
    case FROM_SCRATCHPAD: return args->workspace;
    default: return NULL;
  }
}

/* The reference kernel, on the state's unpacked weights when it has them: with the
 * weights packed, input 1's data is not read (packed_inputs), and a plan may lack it. */
static ingot_status run_reference(const ingot_kernel_args *args, const ingot_dnnl_state *s,
                                  ingot_status (*reference)(const ingot_kernel_args *)) {
  enum { MAX_INPUTS = 8 }; /* conv, fc and matmul take at most 4: x, w, bias, residual */
  if (args->nb_inputs < 2) return reference(args);
  if (!s || !s->plain_weights) {
    if (!args->inputs[1].data)
      return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT,
                             "oneDNN tactic: these shapes run on the reference kernel, and neither the plan nor the "
                             "packed weights give it the weights");
    return reference(args);
  }
  if (args->nb_inputs > MAX_INPUTS)
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "oneDNN tactic: %d inputs, at most %d expected",
                           (int)args->nb_inputs, MAX_INPUTS);
  ingot_tensor_view inputs[MAX_INPUTS];
  memcpy(inputs, args->inputs, sizeof(ingot_tensor_view) * (size_t)args->nb_inputs);
  inputs[1].data = s->plain_weights;
  ingot_kernel_args with_weights = *args;
  with_weights.inputs = inputs;
  return reference(&with_weights);
}

ingot_status ingot_dnnl_run(const ingot_kernel_args *args, ingot_status (*reference)(const ingot_kernel_args *)) {
  ingot_dnnl_state *s = args->state;
  if (!s || !s->native) return run_reference(args, s, reference);
  if (s->workspace_bytes && (!args->workspace || args->workspace_size < s->workspace_bytes))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "oneDNN tactic: workspace of %llu bytes, %llu needed",
                           (unsigned long long)args->workspace_size, (unsigned long long)s->workspace_bytes);
  for (int32_t i = 0; i < s->nb_mems; i++) {
    ingot_dnnl_mem *m = &s->mems[i];
    if (m->from == INGOT_DNNL_FIXED) continue;
    void *p = mem_data(args, m);
    if (!p) return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "oneDNN tactic: a tensor it reads has no data");
    /* oneDNN builds an argument map on each handle change: only when the address moved */
    if (p != m->data) {
      if (!ingot_dnnl_ok(dnnl_memory_set_data_handle(m->mem, p), args->node, "set data handle"))
        return INGOT_RUNTIME_ERROR;
      m->data = p;
    }
  }
  int32_t previous = ingot_dnnl_threads_begin(s->threads);
  ingot_status st = INGOT_SUCCESS;
  for (int32_t i = 0; i < s->nb_steps && st == INGOT_SUCCESS; i++)
    if (!ingot_dnnl_ok(dnnl_primitive_execute(s->steps[i].primitive, s->stream, s->steps[i].nb_args, s->steps[i].args),
                       args->node, "execute"))
      st = INGOT_RUNTIME_ERROR;
  if (st == INGOT_SUCCESS && !ingot_dnnl_ok(dnnl_stream_wait(s->stream), args->node, "stream wait"))
    st = INGOT_RUNTIME_ERROR;
  ingot_dnnl_threads_end(s->threads, previous);
  return st;
}
