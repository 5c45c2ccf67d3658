/* Runtime internals shared by runtime.c, engine.c, context.c and stream.c. */
#ifndef INGOT_RUNTIME_INTERNAL_H
#define INGOT_RUNTIME_INTERNAL_H

#include "ingot/runtime.h"
#include "backend/backend.h"
#include "plan/plan_format.h"

struct ingot_runtime {
  ingot_logger *logger;
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
  uint64_t weights_bytes;
  int32_t max_node_inputs;
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
  struct ingot_dynamic_state *dynamic; /* dynamic_shapes.c: NULL without data-dependent shapes */
};

/* Index of an I/O tensor by name (engine order), or -1 with last error NOT_FOUND naming it. */
int32_t ingot_engine_find_io(const ingot_engine *engine, const char *name, const char *function);

#endif
