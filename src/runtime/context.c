/* Execution contexts: the state of one inference in flight. Setting shapes re-infers the
 * graph and re-plans the arena (and may allocate); execute only reads that plan and runs
 * each node's tactic on views into the arena, the weights and the caller's buffers. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builder/memory_plan.h"
#include "core/alloc.h"
#include "core/dims.h"
#include "core/error.h"
#include "core/logger.h"
#include "runtime/dynamic_shapes.h"
#include "runtime/runtime_internal.h"

void ingot_execution_context_destroy(ingot_execution_context *c) {
  if (!c) return;
  ingot_context_device_destroy(c); /* frees the arena and workspace too */
  ingot_dynamic_destroy(c);
  ingot_thread_pool_destroy(c->pool);
  free(c->input_dims);
  free(c->dims);
  free(c->dtypes);
  free(c->sizes);
  free(c->offsets);
  free(c->alias);
  free(c->alias_offset);
  free(c->view_node);
  free(c->workspace_sizes);
  free(c->io_addresses);
  free(c->in_views);
  free(c->out_views);
  free(c);
}

static ingot_status update_shapes(ingot_execution_context *c);

/* Inputs whose declared dims are concrete need no set_input_shape. */
static void reset_input_dims(ingot_execution_context *c) {
  const ingot_graph *g = c->engine->graph;
  for (int32_t i = 0; i < g->nb_inputs; i++) {
    const ingot_dims *declared = &g->tensors[g->inputs[i]].dims;
    c->input_dims[i] = *declared;
    if (!ingot_dims_is_concrete(declared)) c->input_dims[i].nb_dims = -1;
  }
  c->shapes_ready = false;
}

static bool all_inputs_set(const ingot_execution_context *c, int32_t *missing) {
  for (int32_t i = 0; i < c->engine->graph->nb_inputs; i++)
    if (c->input_dims[i].nb_dims < 0) {
      if (missing) *missing = i;
      return false;
    }
  return true;
}

ingot_status ingot_engine_create_execution_context(const ingot_engine *engine, ingot_execution_context **context_out) {
  INGOT_CHECK_NULL(engine, "ingot_engine_create_execution_context");
  INGOT_CHECK_NULL(context_out, "ingot_engine_create_execution_context");
  *context_out = NULL;
  const ingot_graph *g = engine->graph;
  ingot_execution_context *c = ingot_calloc(1, sizeof *c);
  if (!c) return INGOT_OUT_OF_MEMORY;
  c->engine = engine;
  size_t nt = (size_t)g->nb_tensors + 1;
  c->input_dims = ingot_calloc((size_t)g->nb_inputs + 1, sizeof(ingot_dims));
  c->dims = ingot_calloc(nt, sizeof(ingot_dims));
  c->dtypes = ingot_calloc(nt, sizeof(ingot_dtype));
  c->sizes = ingot_calloc(nt, sizeof(uint64_t));
  c->offsets = ingot_calloc(nt, sizeof(uint64_t));
  c->alias = ingot_calloc(nt, sizeof(int32_t));
  c->alias_offset = ingot_calloc(nt, sizeof(uint64_t));
  c->view_node = ingot_calloc((size_t)g->nb_nodes + 1, 1);
  c->workspace_sizes = ingot_calloc((size_t)g->nb_nodes + 1, sizeof(uint64_t));
  c->io_addresses = ingot_calloc((size_t)engine->nb_io + 1, sizeof(void *));
  c->in_views = ingot_calloc((size_t)engine->max_node_inputs + 1, sizeof(ingot_tensor_view));
  c->out_views = ingot_calloc(INGOT_MAX_OUTPUTS, sizeof(ingot_tensor_view));
  ingot_status st = (c->input_dims && c->dims && c->dtypes && c->sizes && c->offsets && c->alias && c->alias_offset && c->view_node &&
                     c->workspace_sizes &&
                     c->io_addresses && c->in_views && c->out_views)
                        ? INGOT_SUCCESS
                        : INGOT_OUT_OF_MEMORY;
  c->num_threads = engine->contents->num_threads;
  if (st == INGOT_SUCCESS) st = ingot_thread_pool_create(c->num_threads, &c->pool);
  if (st == INGOT_SUCCESS) st = ingot_context_device_create(c);
  if (st == INGOT_SUCCESS) st = ingot_dynamic_create(c);
  if (st == INGOT_SUCCESS) {
    reset_input_dims(c);
    if (all_inputs_set(c, NULL)) st = update_shapes(c);
  }
  if (st != INGOT_SUCCESS) {
    ingot_execution_context_destroy(c);
    return ingot_log_failure(engine->logger, st);
  }
  *context_out = c;
  return INGOT_SUCCESS;
}

ingot_status ingot_execution_context_set_optimization_profile(ingot_execution_context *c, int32_t profile_index) {
  INGOT_CHECK_NULL(c, "ingot_execution_context_set_optimization_profile");
  const ingot_graph *g = c->engine->graph;
  if (profile_index < 0 || profile_index >= g->nb_profiles)
    return ingot_fail(INGOT_INVALID_ARGUMENT,
                      "ingot_execution_context_set_optimization_profile: profile %d out of range [0, %d)",
                      profile_index, g->nb_profiles);
  c->profile = profile_index;
  reset_input_dims(c);
  if (all_inputs_set(c, NULL)) INGOT_TRY(update_shapes(c));
  return INGOT_SUCCESS;
}

/* The one index of a gather's constant indices (int32 or int64, one element), or false. */
static bool constant_index(const ingot_graph *g, int32_t t, int64_t *index) {
  const ingot_graph_tensor *gt = &g->tensors[t];
  if (gt->kind != INGOT_TENSOR_KIND_CONSTANT || !gt->data || ingot_dims_volume(&gt->dims) != 1) return false;
  if (gt->dtype == INGOT_INT64) *index = *(const int64_t *)gt->data;
  else if (gt->dtype == INGOT_INT32) *index = *(const int32_t *)gt->data;
  else return false;
  return true;
}

/* A node whose output is bytes of its input as they are, from byte *offset on: a shuffle
 * that only reshapes (no transpose, or identity ones: Reshape, Flatten, Squeeze,
 * Unsqueeze), a same-dtype identity, or a gather of one constant index along an axis with
 * only 1s before it (ViT's Q, K and V taken from one [3, ...] tensor: a contiguous block).
 * Its output then aliases its input and the node does not run (TensorRT's no-op reshapes),
 * unless the output is a graph output, which lives in the caller's buffer. */
static bool is_view_node(const ingot_execution_context *c, const ingot_node *n, uint64_t *offset) {
  const ingot_graph *g = c->engine->graph;
  *offset = 0;
  if (n->nb_outputs != 1 || n->nb_inputs < 1 || n->inputs[0] < 0) return false;
  int32_t in = n->inputs[0], out = n->outputs[0];
  if (!ingot_tensor_in_arena(g, out) || c->dtypes[in] != c->dtypes[out]) return false;
  if (n->op == INGOT_OP_GATHER) {
    const ingot_dims *d = &c->dims[in];
    int32_t axis = n->params.gather.axis;
    int64_t index;
    if (n->nb_inputs != 2 || n->inputs[1] < 0 || !constant_index(g, n->inputs[1], &index)) return false;
    if (axis < 0) axis += d->nb_dims;
    if (axis < 0 || axis >= d->nb_dims) return false;
    for (int32_t i = 0; i < axis; i++)
      if (d->d[i] != 1) return false;
    if (index < 0) index += d->d[axis];
    if (index < 0 || index >= d->d[axis] || d->d[axis] <= 0) return false; /* the kernel reports it */
    uint64_t block = c->sizes[in] / (uint64_t)d->d[axis];
    /* kernels may load 16 bytes (or more) at a time: keep the arena's alignment */
    if (block != c->sizes[out] || ((uint64_t)index * block) % INGOT_ARENA_ALIGNMENT != 0) return false;
    *offset = (uint64_t)index * block;
    return true;
  }
  if (c->sizes[in] != c->sizes[out]) return false;
  if (n->op == INGOT_OP_IDENTITY) return n->nb_inputs == 1;
  if (n->op != INGOT_OP_SHUFFLE) return false;
  const ingot_shuffle_params *p = &n->params.shuffle;
  for (int32_t i = 0; i < INGOT_MAX_DIMS; i++)
    if ((p->has_first_transpose && p->first_transpose[i] != i) || (p->has_second_transpose && p->second_transpose[i] != i))
      return false;
  return true;
}

/* Which nodes are views and which tensors alias which (chains resolved to the first, the
 * offsets summed). Gathers depend on the dims, so this runs whenever shapes are set. */
static void find_views(ingot_execution_context *c) {
  const ingot_graph *g = c->engine->graph;
  for (int32_t t = 0; t < g->nb_tensors; t++) c->alias[t] = -1, c->alias_offset[t] = 0;
  for (int32_t i = 0; i < g->nb_nodes; i++) {
    const ingot_node *n = &g->nodes[i];
    uint64_t offset;
    c->view_node[i] = is_view_node(c, n, &offset);
    if (!c->view_node[i]) continue;
    int32_t in = n->inputs[0], out = n->outputs[0];
    c->alias[out] = c->alias[in] >= 0 ? c->alias[in] : in;
    c->alias_offset[out] = (c->alias[in] >= 0 ? c->alias_offset[in] : 0) + offset;
  }
}

/* Infers every tensor's dims for the input dims set, plans the arena and sizes the
 * workspace; grows the arena and workspace if they are too small. */
static ingot_status update_shapes(ingot_execution_context *c) {
  const ingot_engine *e = c->engine;
  const ingot_graph *g = e->graph;
  c->shapes_ready = false;
  INGOT_TRY(ingot_graph_infer_shapes(g, c->input_dims, c->dims, c->dtypes));
  for (int32_t t = 0; t < g->nb_tensors; t++) {
    int64_t v = ingot_dims_volume(&c->dims[t]);
    c->sizes[t] = v < 0 ? 0 : (uint64_t)v * ingot_dtype_size(c->dtypes[t]);
  }
  uint64_t arena_size = 0;
  find_views(c);
  INGOT_TRY(ingot_memory_plan(g, c->sizes, c->alias, c->offsets, &arena_size));
  uint64_t ws_max = 0;
  for (int32_t i = 0; i < g->nb_nodes; i++) {
    const ingot_node *n = &g->nodes[i];
    c->workspace_sizes[i] = 0;
    if (!n->tactic->workspace_size) continue;
    ingot_kernel_args args;
    ingot_context_shape_args(c, i, &args);
    c->workspace_sizes[i] = n->tactic->workspace_size(&args);
    if (c->workspace_sizes[i] > ws_max) ws_max = c->workspace_sizes[i];
  }
  INGOT_TRY(ingot_context_buffers_resize(c, arena_size, ws_max));
  INGOT_TRY(ingot_context_states_update(c));
  INGOT_TRY(ingot_dynamic_planned(c));
  c->shapes_ready = true;
  return INGOT_SUCCESS;
}

ingot_status ingot_execution_context_set_input_shape(ingot_execution_context *c, const char *name,
                                                     const ingot_dims *dims) {
  INGOT_CHECK_NULL(c, "ingot_execution_context_set_input_shape");
  INGOT_CHECK_NULL(dims, "ingot_execution_context_set_input_shape");
  const ingot_engine *e = c->engine;
  const ingot_graph *g = e->graph;
  int32_t i = ingot_engine_find_io(e, name, "ingot_execution_context_set_input_shape");
  if (i < 0) return ingot_log_failure(e->logger, name ? INGOT_NOT_FOUND : INGOT_INVALID_ARGUMENT);
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE], m[INGOT_DIMS_STR_SIZE];
  if (i >= g->nb_inputs)
    return ingot_log_failure(e->logger, ingot_fail(INGOT_INVALID_ARGUMENT,
                                                   "ingot_execution_context_set_input_shape: '%s' is an output", name));
  const ingot_profile_dims *pd = &g->profiles[c->profile * g->nb_inputs + i];
  bool ok = ingot_dims_is_concrete(dims) && dims->nb_dims == pd->min.nb_dims;
  for (int32_t k = 0; ok && k < dims->nb_dims; k++) ok = dims->d[k] >= pd->min.d[k] && dims->d[k] <= pd->max.d[k];
  if (!ok)
    return ingot_log_failure(
        e->logger, ingot_fail(INGOT_INVALID_ARGUMENT,
                              "input '%s': dims %s are outside optimization profile %d (min %s, max %s)", name,
                              ingot_dims_format(dims, a, sizeof a), c->profile,
                              ingot_dims_format(&pd->min, m, sizeof m), ingot_dims_format(&pd->max, b, sizeof b)));
  c->input_dims[i] = *dims;
  c->shapes_ready = false;
  if (all_inputs_set(c, NULL)) return ingot_log_failure(e->logger, update_shapes(c));
  return INGOT_SUCCESS;
}

ingot_status ingot_execution_context_get_tensor_shape(ingot_execution_context *c, const char *name,
                                                      ingot_dims *dims_out) {
  INGOT_CHECK_NULL(c, "ingot_execution_context_get_tensor_shape");
  INGOT_CHECK_NULL(dims_out, "ingot_execution_context_get_tensor_shape");
  const ingot_engine *e = c->engine;
  int32_t i = ingot_engine_find_io(e, name, "ingot_execution_context_get_tensor_shape");
  if (i < 0) return name ? INGOT_NOT_FOUND : INGOT_INVALID_ARGUMENT;
  if (i < e->graph->nb_inputs) {
    *dims_out = c->input_dims[i].nb_dims >= 0 ? c->input_dims[i] : e->io_dims[i];
    return INGOT_SUCCESS;
  }
  int32_t missing = 0;
  if (!c->shapes_ready) {
    if (!all_inputs_set(c, &missing))
      return ingot_fail(INGOT_INVALID_STATE, "shape of output '%s' is known once every input shape is set; input '%s' is not",
                        name, e->graph->tensors[e->graph->inputs[missing]].name);
    INGOT_TRY(update_shapes(c));
  }
  *dims_out = ingot_dynamic_reported_dims(c, e->io_tensors[i]);
  return INGOT_SUCCESS;
}

ingot_status ingot_execution_context_set_tensor_address(ingot_execution_context *c, const char *name, void *address) {
  INGOT_CHECK_NULL(c, "ingot_execution_context_set_tensor_address");
  int32_t i = ingot_engine_find_io(c->engine, name, "ingot_execution_context_set_tensor_address");
  if (i < 0) return ingot_log_failure(c->engine->logger, name ? INGOT_NOT_FOUND : INGOT_INVALID_ARGUMENT);
  if (!address)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_execution_context_set_tensor_address: address for '%s' is NULL",
                      name);
  c->io_addresses[i] = address;
  c->graph_stale = true; /* a captured graph holds the old address */
  return INGOT_SUCCESS;
}

ingot_status ingot_execution_context_set_num_threads(ingot_execution_context *c, int32_t threads) {
  INGOT_CHECK_NULL(c, "ingot_execution_context_set_num_threads");
  if (threads < 0 || threads > 1024)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_execution_context_set_num_threads: %d out of range [0, 1024]",
                      threads);
  if (threads == 0) threads = c->engine->contents->num_threads;
  ingot_thread_pool *pool;
  INGOT_TRY(ingot_thread_pool_create(threads, &pool));
  ingot_thread_pool_destroy(c->pool);
  c->pool = pool;
  c->num_threads = threads;
  /* workspaces and tactic states may depend on the thread count (oneDNN's scratchpad) */
  if (c->shapes_ready) return ingot_log_failure(c->engine->logger, update_shapes(c));
  return INGOT_SUCCESS;
}

ingot_status ingot_execution_context_set_profiler(ingot_execution_context *c, ingot_profiler *profiler) {
  INGOT_CHECK_NULL(c, "ingot_execution_context_set_profiler");
  c->profiler = profiler;
  return INGOT_SUCCESS;
}

static void *tensor_data(const ingot_execution_context *c, int32_t t) {
  const ingot_engine *e = c->engine;
  if (c->alias[t] >= 0) return (uint8_t *)tensor_data(c, c->alias[t]) + c->alias_offset[t];
  const ingot_graph_tensor *gt = &e->graph->tensors[t];
  if (gt->kind == INGOT_TENSOR_KIND_CONSTANT) return ingot_engine_constant_data(e, t);
  if (e->tensor_io[t] >= 0) return c->io_addresses[e->tensor_io[t]];
  return c->arena + c->offsets[t];
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

ingot_status ingot_execution_context_execute(ingot_execution_context *c) {
  INGOT_CHECK_NULL(c, "ingot_execution_context_execute");
  const ingot_device_ops *dev = c->engine->backend->device;
  /* the library handles may still be bound to the stream of the last enqueue */
  if (dev) INGOT_TRY(dev->handles_set_stream(c->handles, c->stream));
  INGOT_TRY(ingot_context_launch(c, c->stream));
  if (dev) return ingot_log_failure(c->engine->logger, dev->stream_synchronize(c->stream));
  return INGOT_SUCCESS;
}

/* Every node's tactic on `stream`; on device targets this only enqueues the work. */
ingot_status ingot_context_launch(ingot_execution_context *c, void *stream) {
  const ingot_engine *e = c->engine;
  const ingot_graph *g = e->graph;
  int32_t missing = 0;
  if (!c->shapes_ready) {
    if (!all_inputs_set(c, &missing))
      return ingot_log_failure(e->logger, ingot_fail(INGOT_INVALID_STATE,
                                                     "execute: the shape of input '%s' is not set "
                                                     "(ingot_execution_context_set_input_shape)",
                                                     g->tensors[g->inputs[missing]].name));
    return ingot_log_failure(e->logger, ingot_fail(INGOT_INVALID_STATE, "execute: shapes could not be inferred"));
  }
  for (int32_t i = 0; i < e->nb_io; i++)
    if (!c->io_addresses[i])
      return ingot_log_failure(e->logger, ingot_fail(INGOT_INVALID_STATE,
                                                     "execute: the address of %s '%s' is not set "
                                                     "(ingot_execution_context_set_tensor_address)",
                                                     i < g->nb_inputs ? "input" : "output",
                                                     g->tensors[e->io_tensors[i]].name));
  ingot_dynamic_begin(c);
  ingot_dims real_dims[INGOT_MAX_OUTPUTS]; /* what a data-dependent node reports */
  for (int32_t i = 0; i < g->nb_nodes; i++) {
    const ingot_node *n = &g->nodes[i];
    for (int32_t k = 0; k < n->nb_inputs; k++) {
      int32_t t = n->inputs[k];
      ingot_tensor_view *v = &c->in_views[k];
      if (t < 0) {
        v->dtype = INGOT_FLOAT32;
        v->dims.nb_dims = -1;
        v->data = NULL;
        continue;
      }
      v->dtype = c->dtypes[t];
      v->dims = c->dims[t];
      v->data = tensor_data(c, t);
    }
    for (int32_t k = 0; k < n->nb_outputs; k++) {
      int32_t t = n->outputs[k];
      c->out_views[k].dtype = c->dtypes[t];
      c->out_views[k].dims = c->dims[t];
      c->out_views[k].data = tensor_data(c, t);
      real_dims[k] = c->dims[t];
    }
    ingot_kernel_args args = {.node = n, .params = &n->params, .nb_inputs = n->nb_inputs, .inputs = c->in_views,
                              .nb_outputs = n->nb_outputs, .outputs = c->out_views, .workspace = c->workspace,
                              .workspace_size = c->workspace_sizes[i], .prepared = n->prepared,
                              .prepared_size = n->prepared_size, .pool = c->pool, .stream = stream,
                              .device_handles = c->handles, .state = c->states ? c->states[i] : NULL,
                              .output_dims = real_dims};
    double start = c->profiler ? now_ms() : 0.0;
    if (c->view_node[i]) { /* its output is its input's bytes: nothing to do */
      if (c->profiler) c->profiler->callback(c->profiler->user_data, n->name, 0.0f);
      continue;
    }
    ingot_status st = n->tactic->run(&args);
    if (st == INGOT_SUCCESS && c->dynamic && ingot_op_is_data_dependent(n->op))
      st = ingot_dynamic_after_node(c, i, real_dims);
    /* a device layer's time is its kernels': wait for them when profiling */
    if (st == INGOT_SUCCESS && c->profiler && e->backend->device) st = e->backend->device->stream_synchronize(stream);
    if (st != INGOT_SUCCESS) return ingot_log_failure(e->logger, st);
    if (c->profiler) c->profiler->callback(c->profiler->user_data, n->name, (float)(now_ms() - start));
  }
  ingot_dynamic_end(c);
  return INGOT_SUCCESS;
}
