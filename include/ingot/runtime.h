/* ingot — runtime, engine, execution context, stream and profiler.
 * An engine is immutable once created and may be shared by any number of threads; each
 * execution context is used by one thread (or stream) at a time. */
#ifndef INGOT_RUNTIME_H
#define INGOT_RUNTIME_H

#include "ingot/builder.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ingot_runtime ingot_runtime;
typedef struct ingot_engine ingot_engine;
typedef struct ingot_execution_context ingot_execution_context;
typedef struct ingot_stream ingot_stream;
typedef struct ingot_profiler ingot_profiler;

typedef enum ingot_tensor_io_mode { INGOT_TENSOR_INPUT = 0, INGOT_TENSOR_OUTPUT = 1 } ingot_tensor_io_mode;

/* The logger (may be NULL) must outlive the runtime and its engines. */
INGOT_API ingot_status ingot_runtime_create(ingot_logger *logger, ingot_runtime **runtime_out);
INGOT_API void ingot_runtime_destroy(ingot_runtime *runtime);
/* Rebuilds an engine from plan bytes (copied; the caller keeps its buffer). Every read is
 * bounds-checked: a truncated or corrupted plan gives INGOT_INVALID_PLAN, a plan of another
 * format version or target INGOT_VERSION_MISMATCH, naming both sides. */
INGOT_API ingot_status ingot_runtime_deserialize_engine(ingot_runtime *runtime, const void *data, size_t size,
                                                        ingot_engine **engine_out);
INGOT_API ingot_status ingot_runtime_load_engine(ingot_runtime *runtime, const char *plan_path,
                                                 ingot_engine **engine_out);
/* The device that engines of a device target (cuda) are loaded onto: -1 (the default) is
 * the calling thread's current device. Plans load only on a device of the architecture
 * they were built for. */
INGOT_API ingot_status ingot_runtime_set_device(ingot_runtime *runtime, int32_t device_index);
/* Destroy every context of an engine before the engine. */
INGOT_API void ingot_engine_destroy(ingot_engine *engine);

/* ---- engine: I/O tensors and inspection ------------------------------------------------ */
INGOT_API int32_t ingot_engine_num_io_tensors(const ingot_engine *engine);
/* Name of I/O tensor `index` (inputs first), valid while the engine lives; NULL if out of range. */
INGOT_API const char *ingot_engine_get_io_tensor_name(const ingot_engine *engine, int32_t index);
INGOT_API ingot_status ingot_engine_get_tensor_io_mode(const ingot_engine *engine, const char *name,
                                                       ingot_tensor_io_mode *mode_out);
INGOT_API ingot_status ingot_engine_get_tensor_dtype(const ingot_engine *engine, const char *name,
                                                     ingot_dtype *dtype_out);
/* Dims with -1 where they vary inside the profiles. */
INGOT_API ingot_status ingot_engine_get_tensor_dims(const ingot_engine *engine, const char *name,
                                                    ingot_dims *dims_out);
INGOT_API int32_t ingot_engine_num_optimization_profiles(const ingot_engine *engine);
INGOT_API ingot_status ingot_engine_get_profile_dims(const ingot_engine *engine, const char *input_name,
                                                     int32_t profile_index, ingot_profile_selector selector,
                                                     ingot_dims *dims_out);
INGOT_API ingot_target ingot_engine_get_target(const ingot_engine *engine);
INGOT_API int32_t ingot_engine_num_layers(const ingot_engine *engine);

/* One layer of the built engine, as inspect shows it. Strings live as long as the engine. */
typedef struct ingot_layer_info {
  const char *name;
  const char *type;      /* op kind ("convolution"); fused layers name their parts: "convolution+relu" */
  const char *tactic;    /* the kernel chosen ("conv_f32_reference") */
  ingot_dtype precision; /* the dtype the layer computes in */
  int32_t nb_inputs;
  int32_t nb_outputs;
  const char *const *input_names;
  const char *const *output_names;
} ingot_layer_info;

INGOT_API ingot_status ingot_engine_get_layer_info(const ingot_engine *engine, int32_t index,
                                                   ingot_layer_info *info_out);
/* The plugin that layer `index` runs (a layer of type "plugin"): its creator's name,
 * version and namespace as the plan records them (its PLUG section); the strings live as
 * long as the engine. For any other layer the three are set to NULL. Each out pointer
 * may be NULL. Fails only for a NULL engine or an index out of range. */
INGOT_API ingot_status ingot_engine_get_layer_plugin(const ingot_engine *engine, int32_t index, const char **name_out,
                                                     const char **version_out, const char **namespace_out);
/* Activation arena bytes needed at the max shapes of the profile. */
INGOT_API uint64_t ingot_engine_get_activation_memory(const ingot_engine *engine, int32_t profile_index);
/* Bytes of weights and constants the engine holds as tensors (as the plan stores them). */
INGOT_API uint64_t ingot_engine_get_weights_memory(const ingot_engine *engine);
/* Bytes (dims x dtype size) of the constants the plan left out because the layers
 * reading them hold them packed in their own data (the CPU GEMM and convolution
 * tactics' weight panels): not in ingot_engine_get_weights_memory. 0 for a NULL engine. */
INGOT_API uint64_t ingot_engine_get_packed_weights_memory(const ingot_engine *engine);

/* ---- execution context ---------------------------------------------------------------- */
INGOT_API ingot_status ingot_engine_create_execution_context(const ingot_engine *engine,
                                                             ingot_execution_context **context_out);
INGOT_API void ingot_execution_context_destroy(ingot_execution_context *context);
/* Selects the profile whose bounds apply to input shapes (default 0). Clears set shapes. */
INGOT_API ingot_status ingot_execution_context_set_optimization_profile(ingot_execution_context *context,
                                                                        int32_t profile_index);
/* Sets the shape of a dynamic input; outside the profile it fails naming the bounds. */
INGOT_API ingot_status ingot_execution_context_set_input_shape(ingot_execution_context *context, const char *name,
                                                               const ingot_dims *dims);
/* The shape of an I/O tensor once every input shape is set (outputs: inferred).
 * Data-dependent shapes (outputs of non-zero, non-max suppression, compress, unique and
 * what follows them, as TensorRT's): before execute, such an output's data-dependent dims
 * are -1 (allocate it at ingot_execution_context_get_tensor_max_shape); after a successful
 * execute, its real shape, valid until the next execute or shape change. */
INGOT_API ingot_status ingot_execution_context_get_tensor_shape(ingot_execution_context *context,
                                                                const char *name, ingot_dims *dims_out);
/* The largest shape an I/O tensor can have for the input shapes set: equal to
 * get_tensor_shape's except for data-dependent dims, given at their upper bound (NonZero:
 * the input's volume; NonMaxSuppression: batch * classes * min(max_output_boxes_per_class,
 * boxes)). An output's buffer must hold this shape. */
INGOT_API ingot_status ingot_execution_context_get_tensor_max_shape(ingot_execution_context *context,
                                                                    const char *name, ingot_dims *dims_out);
/* Where the data of an I/O tensor lives (host memory for the CPU target). The caller owns
 * it; it must stay valid until execution that uses it ends. */
INGOT_API ingot_status ingot_execution_context_set_tensor_address(ingot_execution_context *context,
                                                                  const char *name, void *address);
/* Threads this context uses (0: the engine's default). Not while an enqueue is in flight. */
INGOT_API ingot_status ingot_execution_context_set_num_threads(ingot_execution_context *context, int32_t threads);
/* Runs the engine and returns when the outputs are written. Allocates nothing. */
INGOT_API ingot_status ingot_execution_context_execute(ingot_execution_context *context);
/* Queues one run on `stream` and returns; errors of the run itself come from
 * ingot_stream_synchronize. Leave the context (shapes, addresses, buffers) unchanged until
 * the stream is synchronized, as with CUDA streams. */
INGOT_API ingot_status ingot_execution_context_enqueue(ingot_execution_context *context, ingot_stream *stream);
/* Device targets: the context's activation arena and workspace in caller-owned device
 * memory of at least ingot_execution_context_get_device_memory_size() bytes at the
 * shapes that will be run (as TensorRT's setDeviceMemory); NULL goes back to memory the
 * context owns. The caller keeps it valid while the context runs. */
INGOT_API ingot_status ingot_execution_context_set_device_memory(ingot_execution_context *context, void *memory,
                                                                 uint64_t bytes);
INGOT_API ingot_status ingot_execution_context_get_device_memory_size(ingot_execution_context *context,
                                                                      uint64_t *bytes_out);
/* Device targets: capture the whole enqueue as a CUDA graph and replay it while shapes,
 * addresses and stream stay the same (recaptured when one changes). Default off. */
INGOT_API ingot_status ingot_execution_context_set_graph_capture(ingot_execution_context *context, int32_t enabled);
/* Per-layer timings of every later run go to `profiler` (NULL to stop). */
INGOT_API ingot_status ingot_execution_context_set_profiler(ingot_execution_context *context,
                                                            ingot_profiler *profiler);

/* ---- streams -------------------------------------------------------------------------- */
/* A stream runs queued work in order, asynchronously to the caller (for the CPU target, on
 * a thread of its own). */
INGOT_API ingot_status ingot_stream_create(ingot_target target, int32_t device_index, ingot_stream **stream_out);
/* Waits for queued work, then frees the stream. */
INGOT_API void ingot_stream_destroy(ingot_stream *stream);
/* Wraps a caller's native stream (a cudaStream_t for cuda) without taking it over:
 * destroying the ingot_stream leaves the native one alone. */
INGOT_API ingot_status ingot_stream_wrap(ingot_target target, void *native_stream, ingot_stream **stream_out);
/* The native stream (cudaStream_t) of a device stream; NULL for a CPU stream. */
INGOT_API void *ingot_stream_get_native(ingot_stream *stream);
/* Waits for all queued work; returns the first error of that work, if any. */
INGOT_API ingot_status ingot_stream_synchronize(ingot_stream *stream);

/* ---- profiler ------------------------------------------------------------------------- */
/* Called once per layer per run with the layer's name and its time in milliseconds, from
 * the thread that runs the context. */
typedef void (*ingot_profiler_callback)(void *user_data, const char *layer_name, float milliseconds);
INGOT_API ingot_status ingot_profiler_create(ingot_profiler_callback callback, void *user_data,
                                             ingot_profiler **profiler_out);
INGOT_API void ingot_profiler_destroy(ingot_profiler *profiler);

#ifdef __cplusplus
}
#endif
#endif
