/* Runtime internals shared by runtime.c, engine.c, context.c and stream.c. */
#ifndef INGOT_RUNTIME_INTERNAL_H
#define INGOT_RUNTIME_INTERNAL_H

#include "ingot/runtime.h"
#include "backend/backend.h"
#include "plan/plan_format.h"

struct ingot_runtime {
  ingot_logger *logger;
  int32_t device_index; /* device targets: -1 current */
};

struct ingot_engine {
  ingot_logger *logger;
  ingot_plan_contents *contents; /* owns the graph */
  const ingot_graph *graph;
  const ingot_backend *backend;
  int32_t nb_io;
  int32_t *io_tensors;           /* graph inputs, then graph outputs */
  int32_t *tensor_io;            /* per tensor: its I/O index, or -1 */
  ingot_dims *io_dims;           /* -1 where they vary across profiles */
  const char **layer_types;      /* per node: fused name or op name */
  const char ***layer_inputs;    /* per node: input tensor names */
  const char ***layer_outputs;
  uint64_t weights_bytes;        /* constants' data as the plan stores it */
  uint64_t packed_weights_bytes; /* constants the plan left out: their layers hold them packed */
  int32_t max_node_inputs;
  /* Device targets (see device_runtime.c): the device, and per tensor the device copy of
   * each constant (NULL elsewhere). NULL array on the CPU. */
  int32_t device_index;
  void **device_constants;
};

struct ingot_profiler {
  ingot_profiler_callback callback;
  void *user_data;
};

struct ingot_execution_context {
  const ingot_engine *engine;
  int32_t profile;
  ingot_dims *input_dims;  /* per graph input; nb_dims -1 until set */
  bool shapes_ready;       /* every input set and shapes inferred */
  ingot_dims *dims;        /* per tensor, valid when shapes_ready */
  ingot_dtype *dtypes;
  uint64_t *sizes;
  uint64_t *offsets;       /* arena offsets */
  int32_t *alias;          /* per tensor: the tensor whose bytes it is (a reshape's input), or -1 */
  uint64_t *alias_offset;  /* per aliasing tensor: where its bytes start in alias[t]'s */
  uint8_t *view_node;      /* per node: its output aliases its input, nothing to run */
  uint8_t *arena;
  uint64_t arena_capacity;
  void *workspace;
  uint64_t workspace_capacity;
  uint64_t *workspace_sizes; /* per node */
  void **io_addresses;     /* per io tensor (engine order) */
  ingot_tensor_view *in_views, *out_views; /* scratch for one node */
  int32_t num_threads;
  ingot_thread_pool *pool;
  ingot_profiler *profiler;
  /* Device targets (device_runtime.c): stream, library handles, per-node tactic states,
   * caller-owned device memory, CUDA graph of the last enqueue. */
  void *stream;
  void *handles;
  void **states;
  /* kept apart from the engine: a context may be destroyed after it (Python's collector) */
  const ingot_device_ops *device;
  void (**state_destroy)(void *);
  int32_t nb_states;
  void *user_memory;
  uint64_t user_memory_size;
  bool graph_capture;
  void *graph_exec;
  void *graph_stream;
  bool graph_stale;
  struct ingot_dynamic_state *dynamic; /* dynamic_shapes.c: NULL without data-dependent shapes */
};

/* device_runtime.c: what differs on device targets, a no-op on the CPU. */
ingot_status ingot_engine_device_load(ingot_engine *engine, int32_t device_index);
void ingot_engine_device_unload(ingot_engine *engine);
ingot_status ingot_context_device_create(ingot_execution_context *c);
void ingot_context_device_destroy(ingot_execution_context *c);
/* Arena and workspace: host memory on the CPU, device memory (or the caller's) otherwise. */
ingot_status ingot_context_buffers_resize(ingot_execution_context *c, uint64_t arena_size, uint64_t workspace_size);
/* Kernel args of node `index` at the context's current shapes (views with dims, no data;
 * stream and handles), for sizing its workspace and making its state. */
void ingot_context_shape_args(ingot_execution_context *c, int32_t index, ingot_kernel_args *args);
/* Re-makes each node's tactic state for the shapes just inferred. */
ingot_status ingot_context_states_update(ingot_execution_context *c);
/* Data of a constant tensor as the tactics see it (device copy on device targets). */
void *ingot_engine_constant_data(const ingot_engine *e, int32_t t);
/* context.c: runs every node on `stream` (device targets; NULL on the CPU) without waiting. */
ingot_status ingot_context_launch(ingot_execution_context *c, void *stream);
/* device_runtime.c: an enqueue on a device stream (graph capture and replay if enabled). */
ingot_status ingot_context_enqueue_device(ingot_execution_context *c, void *stream);

/* Index of an I/O tensor by name (engine order), or -1 with last error NOT_FOUND naming it. */
int32_t ingot_engine_find_io(const ingot_engine *engine, const char *name, const char *function);

#endif
