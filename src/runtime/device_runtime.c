/* What engines and contexts do differently on a device target (cuda), through the
 * backend's device services so that nothing here includes CUDA: an engine binds to one
 * device and uploads its constants there once; a context owns a stream, the libraries'
 * handles bound to it, each node's tactic state for the current shapes, and its arena and
 * workspace in device memory (or in memory the caller gives). On the CPU target each
 * function is a no-op or the host equivalent. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/logger.h"
#include "ingot/device.h"
#include "runtime/runtime_internal.h"

static const ingot_device_ops *device_of(const ingot_engine *e) { return e->backend ? e->backend->device : NULL; }

ingot_status ingot_engine_device_load(ingot_engine *e, int32_t device_index) {
  const ingot_device_ops *dev = device_of(e);
  if (!dev) return INGOT_SUCCESS;
  if (device_index >= 0) INGOT_TRY(dev->set_device(device_index));
  INGOT_TRY(dev->get_device(&e->device_index));
  const ingot_graph *g = e->graph;
  e->device_constants = ingot_calloc((size_t)g->nb_tensors + 1, sizeof(void *));
  if (!e->device_constants) return INGOT_OUT_OF_MEMORY;
  for (int32_t t = 0; t < g->nb_tensors; t++) {
    const ingot_graph_tensor *gt = &g->tensors[t];
    if (gt->kind != INGOT_TENSOR_KIND_CONSTANT || !gt->data) continue;
    /* at least one byte, so that an empty constant still has an address */
    uint64_t bytes = gt->data_size ? gt->data_size : 1;
    INGOT_TRY(dev->malloc(&e->device_constants[t], bytes));
    ingot_status st = dev->copy(e->device_constants[t], gt->data, gt->data_size, INGOT_COPY_H2D, NULL);
    if (st != INGOT_SUCCESS) return ingot_error_prefix("constant '%s'", gt->name), st;
  }
  return dev->stream_synchronize(NULL);
}

void ingot_engine_device_unload(ingot_engine *e) {
  const ingot_device_ops *dev = device_of(e);
  if (!dev || !e->device_constants) return;
  for (int32_t t = 0; t < e->graph->nb_tensors; t++) dev->free(e->device_constants[t]);
  free(e->device_constants);
  e->device_constants = NULL;
}

void *ingot_engine_constant_data(const ingot_engine *e, int32_t t) {
  return e->device_constants ? e->device_constants[t] : e->graph->tensors[t].data;
}

/* Reads nothing of the engine (the context may outlive it): the tactics' destroy
 * functions were noted when the states were made. */
static void destroy_states(ingot_execution_context *c) {
  if (!c->states) return;
  for (int32_t i = 0; i < c->nb_states; i++)
    if (c->states[i] && c->state_destroy[i]) c->state_destroy[i](c->states[i]);
  memset(c->states, 0, sizeof(void *) * (size_t)c->nb_states);
}

static void drop_graph(ingot_execution_context *c) {
  const ingot_device_ops *dev = c->device;
  if (dev && c->graph_exec) dev->graph_destroy(c->graph_exec);
  c->graph_exec = NULL;
  c->graph_stream = NULL;
}

ingot_status ingot_context_device_create(ingot_execution_context *c) {
  const ingot_engine *e = c->engine;
  c->nb_states = e->graph->nb_nodes;
  c->states = ingot_calloc((size_t)c->nb_states + 1, sizeof(void *));
  c->state_destroy = ingot_calloc((size_t)c->nb_states + 1, sizeof *c->state_destroy);
  if (!c->states || !c->state_destroy) return INGOT_OUT_OF_MEMORY;
  for (int32_t i = 0; i < c->nb_states; i++) c->state_destroy[i] = e->graph->nodes[i].tactic->destroy_state;
  c->device = device_of(e);
  const ingot_device_ops *dev = c->device;
  if (!dev) return INGOT_SUCCESS;
  INGOT_TRY(dev->set_device(e->device_index));
  INGOT_TRY(dev->stream_create(&c->stream));
  return dev->handles_create(c->stream, &c->handles);
}

static void free_buffers(ingot_execution_context *c) {
  const ingot_device_ops *dev = c->device;
  if (dev) {
    if (!c->user_memory) {
      dev->free(c->arena);
      dev->free(c->workspace);
    }
  } else {
    ingot_aligned_free(c->arena);
    ingot_aligned_free(c->workspace);
  }
  c->arena = NULL;
  c->workspace = NULL;
  c->arena_capacity = 0;
  c->workspace_capacity = 0;
}

void ingot_context_device_destroy(ingot_execution_context *c) {
  const ingot_device_ops *dev = c->device;
  if (dev && c->stream) (void)dev->stream_synchronize(c->stream);
  destroy_states(c);
  free(c->states);
  free(c->state_destroy);
  c->states = NULL;
  c->state_destroy = NULL;
  drop_graph(c);
  free_buffers(c);
  if (dev) {
    if (c->handles) dev->handles_destroy(c->handles);
    if (c->stream) dev->stream_destroy(c->stream);
  }
  c->handles = NULL;
  c->stream = NULL;
}

#define ALIGN 256 /* cuDNN and cuBLASLt like 256-byte aligned buffers */
static uint64_t round_up(uint64_t v) { return (v + ALIGN - 1) / ALIGN * ALIGN; }

ingot_status ingot_context_buffers_resize(ingot_execution_context *c, uint64_t arena_size, uint64_t ws_size) {
  const ingot_device_ops *dev = device_of(c->engine);
  c->graph_stale = true;
  if (c->user_memory) {
    uint64_t need = round_up(arena_size) + ws_size;
    if (need > c->user_memory_size)
      return ingot_fail(INGOT_INVALID_ARGUMENT,
                        "the device memory given to the context holds %llu bytes; these shapes need %llu (arena %llu "
                        "+ workspace %llu)",
                        (unsigned long long)c->user_memory_size, (unsigned long long)need,
                        (unsigned long long)arena_size, (unsigned long long)ws_size);
    c->arena = c->user_memory;
    c->workspace = ws_size ? (uint8_t *)c->user_memory + round_up(arena_size) : NULL;
    c->arena_capacity = arena_size;
    c->workspace_capacity = ws_size;
    return INGOT_SUCCESS;
  }
  if (arena_size > c->arena_capacity) {
    void *p = NULL;
    if (dev) INGOT_TRY(dev->malloc(&p, arena_size));
    else if (!(p = ingot_aligned_alloc((size_t)arena_size))) return INGOT_OUT_OF_MEMORY;
    if (dev) dev->free(c->arena);
    else ingot_aligned_free(c->arena);
    c->arena = p;
    c->arena_capacity = arena_size;
  }
  if (ws_size > c->workspace_capacity) {
    void *p = NULL;
    if (dev) INGOT_TRY(dev->malloc(&p, ws_size));
    else if (!(p = ingot_aligned_alloc((size_t)ws_size))) return INGOT_OUT_OF_MEMORY;
    if (dev) dev->free(c->workspace);
    else ingot_aligned_free(c->workspace);
    c->workspace = p;
    c->workspace_capacity = ws_size;
  }
  return INGOT_SUCCESS;
}

void ingot_context_shape_args(ingot_execution_context *c, int32_t index, ingot_kernel_args *args) {
  const ingot_node *n = &c->engine->graph->nodes[index];
  for (int32_t k = 0; k < n->nb_inputs; k++) {
    int32_t t = n->inputs[k];
    memset(&c->in_views[k], 0, sizeof c->in_views[k]);
    if (t < 0) {
      c->in_views[k].dims.nb_dims = -1;
      continue;
    }
    c->in_views[k].dtype = c->dtypes[t];
    c->in_views[k].dims = c->dims[t];
  }
  for (int32_t k = 0; k < n->nb_outputs; k++) {
    c->out_views[k].dtype = c->dtypes[n->outputs[k]];
    c->out_views[k].dims = c->dims[n->outputs[k]];
    c->out_views[k].data = NULL;
  }
  *args = (ingot_kernel_args){.node = n, .params = &n->params, .nb_inputs = n->nb_inputs, .inputs = c->in_views,
                              .nb_outputs = n->nb_outputs, .outputs = c->out_views, .prepared = n->prepared,
                              .prepared_size = n->prepared_size, .pool = c->pool, .stream = c->stream,
                              .device_handles = c->handles};
}

ingot_status ingot_context_states_update(ingot_execution_context *c) {
  const ingot_engine *e = c->engine;
  const ingot_graph *g = e->graph;
  destroy_states(c);
  for (int32_t i = 0; i < g->nb_nodes; i++) {
    const ingot_node *n = &g->nodes[i];
    if (!n->tactic->create_state) continue;
    ingot_kernel_args args;
    ingot_context_shape_args(c, i, &args);
    args.workspace_size = c->workspace_sizes[i];
    INGOT_TRY(n->tactic->create_state(&args, &c->states[i]));
  }
  return INGOT_SUCCESS;
}

ingot_status ingot_context_enqueue_device(ingot_execution_context *c, void *stream) {
  const ingot_device_ops *dev = device_of(c->engine);
  INGOT_TRY(dev->handles_set_stream(c->handles, stream));
  if (!c->graph_capture) return ingot_context_launch(c, stream);
  if (c->graph_exec && !c->graph_stale && c->graph_stream == stream) return dev->graph_launch(c->graph_exec, stream);
  drop_graph(c);
  INGOT_TRY(dev->capture_begin(stream));
  ingot_status st = ingot_context_launch(c, stream);
  void *exec = NULL;
  ingot_status end = dev->capture_end(stream, &exec);
  if (st != INGOT_SUCCESS) {
    if (exec) dev->graph_destroy(exec);
    return st;
  }
  INGOT_TRY(end);
  c->graph_exec = exec;
  c->graph_stream = stream;
  c->graph_stale = false;
  return dev->graph_launch(exec, stream);
}

ingot_status ingot_execution_context_set_graph_capture(ingot_execution_context *c, int32_t enabled) {
  INGOT_CHECK_NULL(c, "ingot_execution_context_set_graph_capture");
  if (enabled && !device_of(c->engine))
    return ingot_fail(INGOT_UNSUPPORTED, "ingot_execution_context_set_graph_capture: the %s target has no graphs",
                      c->engine->backend->name);
  c->graph_capture = enabled != 0;
  drop_graph(c);
  return INGOT_SUCCESS;
}

static uint64_t workspace_need(const ingot_execution_context *c) {
  uint64_t ws = 0;
  for (int32_t i = 0; i < c->engine->graph->nb_nodes; i++)
    if (c->workspace_sizes[i] > ws) ws = c->workspace_sizes[i];
  return ws;
}

ingot_status ingot_execution_context_get_device_memory_size(ingot_execution_context *c, uint64_t *bytes_out) {
  INGOT_CHECK_NULL(c, "ingot_execution_context_get_device_memory_size");
  INGOT_CHECK_NULL(bytes_out, "ingot_execution_context_get_device_memory_size");
  *bytes_out = 0;
  if (!c->shapes_ready)
    return ingot_fail(INGOT_INVALID_STATE,
                      "ingot_execution_context_get_device_memory_size: set every input shape first");
  uint64_t arena = 0;
  for (int32_t t = 0; t < c->engine->graph->nb_tensors; t++)
    if (c->sizes[t] && c->offsets[t] + c->sizes[t] > arena) arena = c->offsets[t] + c->sizes[t];
  *bytes_out = round_up(arena) + workspace_need(c);
  return INGOT_SUCCESS;
}

ingot_status ingot_execution_context_set_device_memory(ingot_execution_context *c, void *memory, uint64_t bytes) {
  INGOT_CHECK_NULL(c, "ingot_execution_context_set_device_memory");
  if (!device_of(c->engine))
    return ingot_fail(INGOT_UNSUPPORTED, "ingot_execution_context_set_device_memory: the %s target has no device memory",
                      c->engine->backend->name);
  free_buffers(c);
  c->user_memory = memory;
  c->user_memory_size = memory ? bytes : 0;
  c->graph_stale = true;
  if (!c->shapes_ready) return INGOT_SUCCESS;
  uint64_t arena = 0;
  for (int32_t t = 0; t < c->engine->graph->nb_tensors; t++)
    if (c->sizes[t] && c->offsets[t] + c->sizes[t] > arena) arena = c->offsets[t] + c->sizes[t];
  return ingot_context_buffers_resize(c, arena, workspace_need(c));
}

ingot_status ingot_runtime_set_device(ingot_runtime *runtime, int32_t device_index) {
  INGOT_CHECK_NULL(runtime, "ingot_runtime_set_device");
  if (device_index < -1)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_runtime_set_device: device index %d is below -1", device_index);
  runtime->device_index = device_index;
  return INGOT_SUCCESS;
}

/* ---- ingot/device.h ---------------------------------------------------------------------- */

static ingot_status device_ops_for(ingot_target target, const char *fn, const ingot_device_ops **out) {
  const ingot_backend *b = ingot_backend_for_target(target);
  *out = b ? b->device : NULL;
  if (!*out)
    return ingot_fail(INGOT_UNSUPPORTED, "%s: target %s %s", fn, ingot_target_name(target),
                      b ? "has no device memory" : "is not built into this ingot");
  return INGOT_SUCCESS;
}

ingot_status ingot_device_count(ingot_target target, int32_t *count_out) {
  INGOT_CHECK_NULL(count_out, "ingot_device_count");
  *count_out = 0;
  const ingot_device_ops *dev;
  INGOT_TRY(device_ops_for(target, "ingot_device_count", &dev));
  return dev->device_count(count_out);
}

ingot_status ingot_device_arch(ingot_target target, int32_t device_index, char *buf, size_t size) {
  INGOT_CHECK_NULL(buf, "ingot_device_arch");
  const ingot_device_ops *dev;
  INGOT_TRY(device_ops_for(target, "ingot_device_arch", &dev));
  int32_t n = 0;
  INGOT_TRY(dev->device_count(&n));
  if (device_index < 0 || device_index >= n)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_device_arch: device %d does not exist (%d present)", device_index,
                      n);
  return dev->device_arch(device_index, buf, size);
}

ingot_status ingot_device_set_current(ingot_target target, int32_t device_index) {
  const ingot_device_ops *dev;
  INGOT_TRY(device_ops_for(target, "ingot_device_set_current", &dev));
  return dev->set_device(device_index);
}

ingot_status ingot_device_malloc(ingot_target target, uint64_t bytes, void **ptr_out) {
  INGOT_CHECK_NULL(ptr_out, "ingot_device_malloc");
  *ptr_out = NULL;
  const ingot_device_ops *dev;
  INGOT_TRY(device_ops_for(target, "ingot_device_malloc", &dev));
  return dev->malloc(ptr_out, bytes);
}

void ingot_device_free(ingot_target target, void *ptr) {
  const ingot_backend *b = ingot_backend_for_target(target);
  if (b && b->device && ptr) b->device->free(ptr);
}

ingot_status ingot_device_malloc_host(ingot_target target, uint64_t bytes, void **ptr_out) {
  INGOT_CHECK_NULL(ptr_out, "ingot_device_malloc_host");
  *ptr_out = NULL;
  const ingot_device_ops *dev;
  INGOT_TRY(device_ops_for(target, "ingot_device_malloc_host", &dev));
  return dev->malloc_host(ptr_out, bytes);
}

void ingot_device_free_host(ingot_target target, void *ptr) {
  const ingot_backend *b = ingot_backend_for_target(target);
  if (b && b->device && ptr) b->device->free_host(ptr);
}

static ingot_status copy_sync(ingot_target target, void *dst, const void *src, uint64_t bytes, ingot_copy_kind kind,
                              const char *fn) {
  if (bytes && (!dst || !src)) return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: NULL pointer for %llu bytes", fn,
                                                 (unsigned long long)bytes);
  const ingot_device_ops *dev;
  INGOT_TRY(device_ops_for(target, fn, &dev));
  INGOT_TRY(dev->copy(dst, src, bytes, kind, NULL));
  return dev->stream_synchronize(NULL);
}

ingot_status ingot_device_copy_to_device(ingot_target target, void *dst, const void *src, uint64_t bytes) {
  return copy_sync(target, dst, src, bytes, INGOT_COPY_H2D, "ingot_device_copy_to_device");
}

ingot_status ingot_device_copy_to_host(ingot_target target, void *dst, const void *src, uint64_t bytes) {
  return copy_sync(target, dst, src, bytes, INGOT_COPY_D2H, "ingot_device_copy_to_host");
}
