/* Backends and tactics. A tactic is one implementation of one op kind; a backend lists
 * its tactics in a table (rows, as XNNPACK lists micro-kernels) so that the builder, the
 * tests and the benchmarks all see every tactic by being listed. Core code never includes
 * a backend's internals. */
#ifndef INGOT_BACKEND_BACKEND_H
#define INGOT_BACKEND_BACKEND_H

#include <stdbool.h>
#include "ops/graph.h"
#include "core/thread_pool.h"
#include "ingot/builder.h" /* INGOT_TACTIC_SOURCE_* */

#define INGOT_BACKEND_ABI_VERSION 1

/* A tensor as a kernel sees it: dtype, concrete dims and where its data is. */
typedef struct ingot_tensor_view {
  ingot_dtype dtype;
  ingot_dims dims;
  void *data; /* NULL for an absent optional input */
} ingot_tensor_view;

typedef struct ingot_kernel_args {
  const ingot_node *node;           /* name and params */
  const ingot_op_params *params;    /* == &node->params */
  int32_t nb_inputs;
  const ingot_tensor_view *inputs;  /* node->nb_inputs entries */
  int32_t nb_outputs;
  const ingot_tensor_view *outputs; /* node->nb_outputs entries */
  void *workspace;                  /* workspace_size() bytes, 64-byte aligned */
  uint64_t workspace_size;
  const void *prepared;             /* what prepare() made at build time, or NULL */
  uint64_t prepared_size;
  ingot_thread_pool *pool;          /* may be NULL: run serially */
  /* Device targets only (NULL on the CPU): the stream the kernels are launched on (a
   * cudaStream_t for cuda) and the backend's per-context handles (for cuda an
   * ingot_cuda_handles: cuBLASLt and cuDNN handles bound to that stream). Tensor views,
   * workspace and prepared data are then device pointers. */
  void *stream;
  void *device_handles;
  /* What the tactic's create_state() made for this node in this context (NULL if none). */
  void *state;
  /* Data-dependent ops (ingot_op_is_data_dependent): the outputs' views have the dims of
   * the upper bound shape inference gave; the kernel writes each output's real dims here
   * (nb_outputs entries), its data packed at those dims. NULL: not wanted. */
  ingot_dims *output_dims;
} ingot_kernel_args;

typedef struct ingot_tactic {
  ingot_op op;
  const char *name; /* unique, says dtype, algorithm and ISA: "conv_f32_reference" */
  int32_t version;  /* bump when prepare()'s output format changes: plans store name+version */
  /* Can this tactic run the node with these input/output dtypes and shapes (opt shapes at
   * build time)? NULL: supports everything infer accepts. */
  bool (*supports)(const ingot_node *node, const ingot_tensor_view *inputs, const ingot_tensor_view *outputs);
  /* Scratch bytes for a run (args has dims but no data). NULL: none. */
  uint64_t (*workspace_size)(const ingot_kernel_args *args);
  /* Build-time work on constant inputs (pack weights): returns a malloc'd block in
   * *prepared_out. NULL: none. */
  ingot_status (*prepare)(const ingot_kernel_args *args, void **prepared_out, uint64_t *prepared_size_out);
  /* Runs the node. Allocates nothing. Errors on data (index out of range) go through
   * ingot_node_fail with INGOT_RUNTIME_ERROR. */
  ingot_status (*run)(const ingot_kernel_args *args);
  /* Optional per-context state for these shapes (device targets: descriptors, algorithm
   * choices, execution plans), made when a context's shapes are set or before timing,
   * never on the execute path; args has dims, stream and device_handles, no data.
   * destroy_state(NULL) must be harmless. */
  ingot_status (*create_state)(const ingot_kernel_args *args, void **state_out);
  void (*destroy_state)(void *state);
  /* The INGOT_TACTIC_SOURCE_* bit (ingot/builder.h) the config's tactic-source mask must
   * hold for the builder to consider this row; 0: always considered (the reference
   * kernels and the CUDA backend's own kernels, the fallback when a source is off). */
  uint32_t source;
  /* Bit k set: when prepare() made a non-empty block (args->prepared non-NULL), run() and
   * everything it calls (create_state, workspace_size, a fallback kernel) never read the
   * data of input k: the block holds all they need of it. Only its dtype and dims are
   * still read. The plan writer then leaves out the data of a constant that only such
   * slots read (plan_writer.c), and the runtime refuses a plan where a constant without
   * data reaches a slot whose bit is clear or a node without a block. Set a bit only
   * after reading run() through: a slot read even for a check or on a rare path (other
   * shapes, a fallback) must stay clear. 0 for every tactic without prepare(). */
  uint32_t packed_inputs;
} ingot_tactic;

/* Device backends (cuda): what the runtime and the builder need from the device, so that
 * neither includes a backend's internals. All pointers here are device pointers except
 * where "host" is said; `stream` is the backend's native stream (NULL: the default one). A
 * call without a usable device (no driver, no GPU) returns an error status with a
 * message, never aborts. */
typedef enum ingot_copy_kind { INGOT_COPY_H2D = 0, INGOT_COPY_D2H = 1, INGOT_COPY_D2D = 2 } ingot_copy_kind;
typedef struct ingot_device_ops {
  ingot_status (*device_count)(int32_t *count_out);
  /* Makes `index` current for the calling thread. */
  ingot_status (*set_device)(int32_t index);
  ingot_status (*get_device)(int32_t *index_out);
  /* "sm_90" for device `index` into buf. */
  ingot_status (*device_arch)(int32_t index, char *buf, size_t size);
  ingot_status (*malloc)(void **ptr_out, uint64_t bytes);
  void (*free)(void *ptr);
  ingot_status (*malloc_host)(void **ptr_out, uint64_t bytes); /* pinned host memory */
  void (*free_host)(void *ptr);
  /* Asynchronous on `stream` (host memory must be pinned for it to overlap). */
  ingot_status (*copy)(void *dst, const void *src, uint64_t bytes, ingot_copy_kind kind, void *stream);
  ingot_status (*memset)(void *dst, int value, uint64_t bytes, void *stream);
  ingot_status (*stream_create)(void **stream_out);
  void (*stream_destroy)(void *stream);
  ingot_status (*stream_synchronize)(void *stream);
  ingot_status (*event_create)(void **event_out);
  void (*event_destroy)(void *event);
  ingot_status (*event_record)(void *event, void *stream);
  /* Waits for `end`, then the milliseconds between the two records. */
  ingot_status (*event_elapsed_ms)(void *start, void *end, float *ms_out);
  /* Per-context library handles (ingot_cuda_handles) bound to `stream`. */
  ingot_status (*handles_create)(void *stream, void **handles_out);
  ingot_status (*handles_set_stream)(void *handles, void *stream);
  void (*handles_destroy)(void *handles);
  /* CUDA-graph capture of what is launched on `stream` between begin and end; replay
   * with graph_launch. */
  ingot_status (*capture_begin)(void *stream);
  ingot_status (*capture_end)(void *stream, void **graph_exec_out);
  ingot_status (*graph_launch)(void *graph_exec, void *stream);
  void (*graph_destroy)(void *graph_exec);
} ingot_device_ops;

typedef struct ingot_backend {
  int32_t abi_version;
  int32_t target; /* ingot_target */
  const char *name;
  /* architecture string recorded in plans ("x86_64" / "sm_90") */
  const char *(*arch)(void);
  int32_t nb_tactics;
  const ingot_tactic *tactics;
  /* NULL for the host (cpu) backend. */
  const ingot_device_ops *device;
} ingot_backend;

/* Runs a node on host values with the CPU reference kernels (an ingot_value_eval_fn). */
ingot_status ingot_cpu_eval_node(const ingot_node *node, const ingot_value_info *inputs,
                                 const ingot_value_info *outputs, void *const *out_data);
/* ingot_graph_infer with its own value store evaluated by ingot_cpu_eval_node. */
ingot_status ingot_graph_infer_shapes(const ingot_graph *graph, const ingot_dims *input_dims, ingot_dims *dims_out,
                                      ingot_dtype *dtypes_out);

/* The CPU backend (always built). */
const ingot_backend *ingot_cpu_backend(void);
#ifdef INGOT_HAVE_CUDA
/* The CUDA backend (built with INGOT_CUDA). */
const ingot_backend *ingot_cuda_backend(void);
#endif
/* The backend of a target, or NULL if not built in. */
const ingot_backend *ingot_backend_for_target(int32_t target);
/* Finds a tactic by name and version in a backend; NULL if none. */
const ingot_tactic *ingot_backend_find_tactic(const ingot_backend *backend, const char *name, int32_t version);

#endif
