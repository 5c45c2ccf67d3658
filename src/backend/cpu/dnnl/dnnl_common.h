/* What the oneDNN tactics (dnnl_conv.c, dnnl_matmul.c) share: a node's work as a short
 * list of oneDNN primitives ("steps": reorders around the main primitive where its layouts
 * are not ingot's plain ones) over memories whose data comes, at run time, from the
 * node's inputs, its output, the tactic's workspace, or is fixed (the packed weights).
 * prepare() packs the constant weights into a blob that names their oneDNN layout; the
 * per-context state holds the engine, stream, primitives and memories, so that run()
 * only points the memories at this run's buffers and executes. oneDNN's scratchpad is
 * the user's (the start of the workspace): nothing is allocated on the execute path. */
#ifndef INGOT_BACKEND_CPU_DNNL_COMMON_H
#define INGOT_BACKEND_CPU_DNNL_COMMON_H

#include <oneapi/dnnl/dnnl.h>
#include <stdbool.h>

#include "backend/backend.h"

#define INGOT_DNNL_MAX_MEMS 12
#define INGOT_DNNL_MAX_STEPS 4
#define INGOT_DNNL_MAX_STEP_ARGS 8

/* Where a memory's data comes from at run time. */
typedef enum ingot_dnnl_from {
  INGOT_DNNL_FROM_INPUT = 0,  /* inputs[index].data */
  INGOT_DNNL_FROM_OUTPUT,     /* outputs[0].data */
  INGOT_DNNL_FROM_WORKSPACE,  /* workspace + offset */
  INGOT_DNNL_FIXED            /* set once when the state is made (weights) */
} ingot_dnnl_from;

typedef struct ingot_dnnl_mem {
  dnnl_memory_desc_t md;
  int32_t from; /* ingot_dnnl_from */
  int32_t index;
  uint64_t offset;
  void *data;        /* INGOT_DNNL_FIXED: the data */
  dnnl_memory_t mem; /* made with the state */
} ingot_dnnl_mem;

typedef struct ingot_dnnl_step {
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t primitive;
  int32_t nb_args;
  int32_t arg_kind[INGOT_DNNL_MAX_STEP_ARGS]; /* DNNL_ARG_* */
  int32_t arg_mem[INGOT_DNNL_MAX_STEP_ARGS];  /* index into the state's mems */
  dnnl_exec_arg_t args[INGOT_DNNL_MAX_STEP_ARGS];
} ingot_dnnl_step;

typedef struct ingot_dnnl_state {
  /* false: oneDNN has no primitive for these shapes (a dynamic shape unlike the one
   * built for): run() calls the reference kernel instead */
  bool native;
  int32_t threads; /* OpenMP threads the primitives were made for and run with */
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  int32_t nb_mems, nb_steps;
  ingot_dnnl_mem mems[INGOT_DNNL_MAX_MEMS];
  ingot_dnnl_step steps[INGOT_DNNL_MAX_STEPS];
  uint64_t scratchpad_bytes; /* the largest step's; at workspace offset 0 */
  uint64_t workspace_bytes;  /* scratchpad and the reordered copies after it */
  void *owned_weights;       /* weights reordered for this machine, when the plan's layout differs */
  /* not native: the weights unpacked from the prepared blob into their plain layout, for
   * the reference kernel (so input 1's data is never read: packed_inputs); NULL when the
   * blob is absent or unusable (the fallback then reads input 1's data) */
  void *plain_weights;
  /* constant weights (input 1): their plain layout and the one the main step wants */
  bool has_weights;
  dnnl_memory_desc_t weights_plain, weights_wanted;
  bool making; /* false while only planning (workspace_size, prepare): nothing is read or made */
  ingot_status error; /* why making failed when it is not oneDNN declining the shapes */
} ingot_dnnl_state;

/* Builds a node's steps (primitive descriptors and memory descriptors, nothing made yet)
 * into a zeroed state whose engine is set. Returns false when oneDNN cannot do these
 * shapes (the last error then says why). */
typedef bool (*ingot_dnnl_plan_fn)(const ingot_kernel_args *args, ingot_dnnl_state *s);

/* ---- threads -------------------------------------------------------------------------- */
/* oneDNN's OpenMP threads for the calling thread: the pool's size (1 without a pool).
 * Returns what to give ingot_dnnl_threads_end so that the caller's own OpenMP setting is
 * restored. */
int32_t ingot_dnnl_threads_begin(int32_t threads);
void ingot_dnnl_threads_end(int32_t threads, int32_t previous);
int32_t ingot_dnnl_pool_threads(const ingot_kernel_args *args);

/* ---- errors and descriptors ----------------------------------------------------------- */
/* false after ingot_node_fail(node, INGOT_UNSUPPORTED, "oneDNN: what: status") when st is
 * not dnnl_success. */
bool ingot_dnnl_ok(dnnl_status_t st, const ingot_node *node, const char *what);
/* A dense row-major float32 descriptor of `dims`. */
bool ingot_dnnl_plain_md(dnnl_memory_desc_t *md, int32_t nb_dims, const int64_t *dims);
/* The epilogue's activation as oneDNN eltwise post-ops; false when it has none. */
bool ingot_dnnl_activation_supported(const ingot_epilogue *e);
/* Attributes: user scratchpad; post-ops: the residual (when residual_md is non-NULL) as
 * a binary add of that memory or, with as_sum, as a sum onto the destination, then the
 * activation. */
bool ingot_dnnl_attr(const ingot_node *node, const ingot_epilogue *e, const dnnl_memory_desc_t *residual_md,
                     bool as_sum, dnnl_primitive_attr_t *attr_out);
/* The implementation's name contains "ref" (oneDNN's slow reference code). */
bool ingot_dnnl_pd_is_reference(const_dnnl_primitive_desc_t pd);

/* ---- building the steps --------------------------------------------------------------- */
int32_t ingot_dnnl_add_mem(ingot_dnnl_state *s, const dnnl_memory_desc_t *md, int32_t from, int32_t index);
/* A memory in the workspace (after the scratchpad) for a copy in another layout. */
int32_t ingot_dnnl_add_buffer(ingot_dnnl_state *s, const dnnl_memory_desc_t *md);
/* A step for `pd` (taken over by the state); its scratchpad is added as an argument. */
ingot_dnnl_step *ingot_dnnl_add_step(ingot_dnnl_state *s, dnnl_primitive_desc_t pd);
void ingot_dnnl_step_arg(ingot_dnnl_step *step, int32_t kind, int32_t mem);
/* A reorder step from memory `from` to memory `to`; false (last error set) if oneDNN has none. */
bool ingot_dnnl_add_reorder(ingot_dnnl_state *s, const ingot_node *node, int32_t from, int32_t to);
/* The memory of the constant weights (input 1, layout `plain`) in the layout `wanted` by
 * the main step: the prepared blob's weights when they have it, else a copy reordered to
 * it (owned by the state: a plan packed on a machine where oneDNN chose otherwise).
 * While planning it only notes both layouts; returns -1 with the last error set. */
int32_t ingot_dnnl_fixed_weights(ingot_dnnl_state *s, const ingot_kernel_args *args, const dnnl_memory_desc_t *plain,
                                 const dnnl_memory_desc_t *wanted);

/* The prepared blob's weights reordered back to their plain layout (input 1's dims, as
 * the op stores them: a matmul's transposed B transposed) into *plain_out, a 64-byte
 * aligned block (free with ingot_aligned_free): what the reference fallback of a state
 * that is not native runs on, so that input 1's data is never read. *plain_out NULL, and
 * success, when the blob is absent or does not fit input 1 (another oneDNN, other dims);
 * INGOT_OUT_OF_MEMORY when the copy cannot be allocated. */
ingot_status ingot_dnnl_unpack_weights(const ingot_kernel_args *args, void **plain_out);

/* ---- the tactic functions, given the op's plan function -------------------------------- */
/* The plan at these shapes and threads, destroyed again: its workspace need (0: none, or
 * oneDNN cannot do these shapes and run() will call the reference kernel). */
uint64_t ingot_dnnl_workspace(const ingot_kernel_args *args, ingot_dnnl_plan_fn plan);
/* prepare(): fails when oneDNN cannot do the opt shapes; packs constant weights into a
 * blob (header naming their layout, then the data), else prepares nothing. */
ingot_status ingot_dnnl_prepare(const ingot_kernel_args *args, ingot_dnnl_plan_fn plan, void **prepared_out,
                                uint64_t *size_out);
ingot_status ingot_dnnl_create_state(const ingot_kernel_args *args, ingot_dnnl_plan_fn plan, void **state_out);
void ingot_dnnl_destroy_state(void *state);
/* Executes the steps, or `reference` when the state is not native (or absent): on the
 * state's unpacked weights when it has them, else on input 1's data (refused when absent). */
ingot_status ingot_dnnl_run(const ingot_kernel_args *args, ingot_status (*reference)(const ingot_kernel_args *));
/* Whether a state runs oneDNN primitives (tests). */
bool ingot_dnnl_state_is_native(const void *state);

#endif
