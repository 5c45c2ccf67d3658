/* ingot — plugins: a user's own layers, written in C, for the CPU and (optionally) CUDA.
 *
 * A plugin creator is registered under (name, version, namespace) in the process-wide
 * registry; it declares the fields it accepts and makes plugin instances from fields (when
 * a network is built) or from the bytes an instance serialized into a plan (when an engine
 * is loaded). An instance is a vtable (ingot_plugin_vtbl) plus the plugin's own pointer
 * (`self`): it says how many outputs it has, their dtypes, their dims as expressions of
 * the input dims (so one plan serves every shape of a profile), which dtypes it takes on
 * which target, its workspace, and it runs on the CPU (host pointers) and, if it has
 * enqueue_cuda, on a CUDA stream (device pointers).
 *
 * A shared library of plugins needs only this header, not libingot: the expression
 * builder is a table of function pointers that ingot hands to the plugin, and the library
 * exports one function, ingot_plugin_library_creators, that lists its creators for
 * ingot_plugin_library_load. See docs/plugins.md for a walk-through. */
#ifndef INGOT_PLUGIN_H
#define INGOT_PLUGIN_H

#include "ingot/core.h"
#include "ingot/network.h"

#ifdef __cplusplus
extern "C" {
#endif

#define INGOT_PLUGIN_ABI_VERSION 1
/* Longest name, version or namespace (bytes, without the NUL). */
#define INGOT_PLUGIN_MAX_NAME 255

/* ---- fields: a creator's typed parameters (TensorRT's PluginFieldCollection) ---------- */
typedef enum ingot_plugin_field_type {
  INGOT_PLUGIN_FIELD_FLOAT32 = 0, /* float values */
  INGOT_PLUGIN_FIELD_INT32 = 1,   /* int32_t values */
  INGOT_PLUGIN_FIELD_INT64 = 2,   /* int64_t values */
  INGOT_PLUGIN_FIELD_STRING = 3,  /* chars (length bytes, no NUL needed) */
  INGOT_PLUGIN_FIELD_BYTES = 4,   /* raw bytes */
  INGOT_PLUGIN_FIELD_TYPE_COUNT
} ingot_plugin_field_type;

/* One field given: `length` values of `type` at `data` (for STRING and BYTES, bytes). */
typedef struct ingot_plugin_field {
  const char *name;
  ingot_plugin_field_type type;
  int32_t length;
  const void *data;
} ingot_plugin_field;

/* One field a creator accepts: its type, how many values (-1: any number, an array) and
 * whether it must be given. ingot checks the fields given against these before the
 * creator sees them: an unknown name, a missing required field or a wrong type or length
 * is refused naming the field. int32 and int64 convert into each other (values must fit),
 * and integers into float32 (ONNX writes alpha=1 as an int). */
typedef struct ingot_plugin_field_decl {
  const char *name;
  ingot_plugin_field_type type;
  int32_t length;
  int32_t required;
} ingot_plugin_field_decl;

INGOT_API const char *ingot_plugin_field_type_name(ingot_plugin_field_type type); /* "float32" */

/* ---- dim expressions ----------------------------------------------------------------------
 * A plugin's output dims are expressions over its input dims: constants, input dims and
 * the operations below. ingot evaluates them whenever shapes are known (at each profile
 * bound while building, and whenever a context's input shapes are set). Expressions live
 * in the builder ingot passes to get_output_dims and die with the call. A NULL operand
 * gives NULL; a NULL output dim fails shape inference naming the layer. */
typedef struct ingot_dim_expr ingot_dim_expr;
typedef enum ingot_dim_op {
  INGOT_DIM_SUM = 0,
  INGOT_DIM_SUB,
  INGOT_DIM_PROD,
  INGOT_DIM_FLOOR_DIV, /* a / b rounded down; b = 0 fails inference */
  INGOT_DIM_CEIL_DIV,  /* a / b rounded up */
  INGOT_DIM_MAX,
  INGOT_DIM_MIN,
  INGOT_DIM_OP_COUNT
} ingot_dim_op;

typedef struct ingot_dims_expr {
  int32_t nb_dims;
  const ingot_dim_expr *d[INGOT_MAX_DIMS];
} ingot_dims_expr;

typedef struct ingot_expr_builder ingot_expr_builder;
struct ingot_expr_builder {
  size_t size; /* sizeof(ingot_expr_builder) of the ingot that made it */
  const ingot_dim_expr *(*constant)(ingot_expr_builder *self, int64_t value);
  const ingot_dim_expr *(*operation)(ingot_expr_builder *self, ingot_dim_op op, const ingot_dim_expr *a,
                                     const ingot_dim_expr *b);
  /* 1 and *value_out when `e` is a constant (input dims never are), else 0. */
  int32_t (*get_constant)(ingot_expr_builder *self, const ingot_dim_expr *e, int64_t *value_out);
};

static inline const ingot_dim_expr *ingot_expr_constant(ingot_expr_builder *b, int64_t value) {
  return b->constant(b, value);
}
static inline const ingot_dim_expr *ingot_expr_operation(ingot_expr_builder *b, ingot_dim_op op,
                                                         const ingot_dim_expr *a, const ingot_dim_expr *c) {
  return b->operation(b, op, a, c);
}

/* ---- the plugin instance ------------------------------------------------------------------ */
/* A tensor as enqueue sees it (host memory on the CPU, device memory on CUDA). In
 * get_workspace_size, data is NULL. */
typedef struct ingot_plugin_tensor {
  ingot_dtype dtype;
  ingot_dims dims;
  void *data;
} ingot_plugin_tensor;

/* The functions of a plugin instance; `self` is the plugin's own pointer. ingot calls
 * them from one thread at a time for one instance except enqueue/enqueue_cuda, which
 * contexts of one engine may call at once (keep self read-only there). Required unless
 * said otherwise. A status other than INGOT_SUCCESS is a failure; ingot reports it naming
 * the layer and the plugin. */
typedef struct ingot_plugin_vtbl {
  size_t size;         /* sizeof(ingot_plugin_vtbl) as the plugin was compiled */
  int32_t abi_version; /* INGOT_PLUGIN_ABI_VERSION */
  /* 1 to 4 outputs (INGOT_PLUGIN_MAX_OUTPUTS). */
  int32_t (*get_nb_outputs)(void *self);
  ingot_status (*get_output_dtypes)(void *self, const ingot_dtype *input_dtypes, int32_t nb_inputs,
                                    ingot_dtype *output_dtypes, int32_t nb_outputs);
  /* Fill outputs[k] (nb_dims and each d) with expressions built through `builder` from
   * the inputs' dim expressions. */
  ingot_status (*get_output_dims)(void *self, const ingot_dims_expr *inputs, int32_t nb_inputs,
                                  ingot_dims_expr *outputs, int32_t nb_outputs, ingot_expr_builder *builder);
  /* 1 if tensor `position` (inputs 0..nb_inputs-1, then the outputs) may have `dtype` on
   * `target` (ingot_target: 0 cpu, 1 cuda). NULL: float32 everywhere. */
  int32_t (*supports_format)(void *self, int32_t position, int32_t nb_inputs, ingot_dtype dtype, int32_t target);
  /* Scratch bytes for a run at these dims; ingot provides them 64-byte aligned. NULL: none. */
  uint64_t (*get_workspace_size)(void *self, const ingot_plugin_tensor *inputs, int32_t nb_inputs,
                                 const ingot_plugin_tensor *outputs, int32_t nb_outputs);
  /* The instance's state as bytes for the plan: with buffer NULL only *size_out is set;
   * otherwise writes *size_out bytes into buffer (capacity bytes available). */
  ingot_status (*serialize)(void *self, void *buffer, size_t capacity, size_t *size_out);
  /* Runs on the CPU: host pointers, `stream` NULL. Must not keep the pointers. */
  ingot_status (*enqueue)(void *self, const ingot_plugin_tensor *inputs, int32_t nb_inputs,
                          const ingot_plugin_tensor *outputs, int32_t nb_outputs, void *workspace, void *stream);
  /* Runs on CUDA: device pointers, `stream` a cudaStream_t; launches and returns without
   * waiting. NULL: the plugin runs on the CPU only. */
  ingot_status (*enqueue_cuda)(void *self, const ingot_plugin_tensor *inputs, int32_t nb_inputs,
                               const ingot_plugin_tensor *outputs, int32_t nb_outputs, void *workspace,
                               void *stream);
  /* A new independent instance with the same state (same vtbl). */
  ingot_status (*clone)(void *self, void **clone_out);
  void (*destroy)(void *self);
} ingot_plugin_vtbl;

#define INGOT_PLUGIN_MAX_OUTPUTS 4
#define INGOT_PLUGIN_MAX_INPUTS 32

/* What a creator returns: the vtable (static, outliving the instance) and self. */
typedef struct ingot_plugin_instance {
  const ingot_plugin_vtbl *vtbl;
  void *self;
} ingot_plugin_instance;

/* ---- the creator -------------------------------------------------------------------------- */
typedef struct ingot_plugin_creator_desc {
  size_t size;         /* sizeof(ingot_plugin_creator_desc) as the plugin was compiled */
  int32_t abi_version; /* INGOT_PLUGIN_ABI_VERSION */
  const char *name;    /* e.g. "LeakyClip"; the ONNX op type it stands for */
  const char *version; /* e.g. "1" */
  const char *plugin_namespace; /* "" for none; the ONNX domain of its nodes, if any */
  const ingot_plugin_field_decl *fields;
  int32_t nb_fields;
  /* A new instance from fields already checked against the declarations and converted to
   * their declared types, in declaration order, absent optional ones left out. */
  ingot_status (*create)(void *user_data, const char *layer_name, const ingot_plugin_field *fields,
                         int32_t nb_fields, ingot_plugin_instance *instance_out);
  /* A new instance from bytes its serialize wrote (from a plan: check them, they may be
   * corrupted). */
  ingot_status (*deserialize)(void *user_data, const char *layer_name, const void *data, size_t size,
                              ingot_plugin_instance *instance_out);
  void *user_data;
  /* Called once when the creator is deregistered (NULL: nothing to release). */
  void (*release)(void *user_data);
} ingot_plugin_creator_desc;

typedef struct ingot_plugin_registry ingot_plugin_registry; /* the process's */
typedef struct ingot_plugin_creator ingot_plugin_creator;   /* a registered creator */
typedef struct ingot_plugin ingot_plugin;                   /* an instance, owned by whoever made it */

/* The process-wide registry (TensorRT's getPluginRegistry). Every registry call is
 * thread-safe. */
INGOT_API ingot_plugin_registry *ingot_get_plugin_registry(void);
/* Registers a copy of `desc` (strings and field declarations copied; user_data kept). A
 * creator of the same name, version and namespace already registered is refused.
 * creator_out (may be NULL) gets the registered creator. */
INGOT_API ingot_status ingot_plugin_registry_register_creator(ingot_plugin_registry *registry,
                                                              const ingot_plugin_creator_desc *desc,
                                                              const ingot_plugin_creator **creator_out);
/* Removes a creator (and calls its release). Networks and engines that hold instances of
 * it keep working; creator pointers to it must no longer be used. */
INGOT_API ingot_status ingot_plugin_registry_deregister_creator(ingot_plugin_registry *registry, const char *name,
                                                                const char *version, const char *plugin_namespace);
/* Finds a creator; version NULL takes any version, plugin_namespace NULL any namespace
 * (the first registered). INGOT_NOT_FOUND (message naming what was searched) if none. */
INGOT_API ingot_status ingot_plugin_registry_get_creator(ingot_plugin_registry *registry, const char *name,
                                                         const char *version, const char *plugin_namespace,
                                                         const ingot_plugin_creator **creator_out);
/* Enumeration: how many creators, and the index-th (NULL out of range). */
INGOT_API int32_t ingot_plugin_registry_num_creators(ingot_plugin_registry *registry);
INGOT_API const ingot_plugin_creator *ingot_plugin_registry_get_creator_at(ingot_plugin_registry *registry,
                                                                           int32_t index);
INGOT_API const char *ingot_plugin_creator_get_name(const ingot_plugin_creator *creator);
INGOT_API const char *ingot_plugin_creator_get_version(const ingot_plugin_creator *creator);
INGOT_API const char *ingot_plugin_creator_get_namespace(const ingot_plugin_creator *creator);
INGOT_API int32_t ingot_plugin_creator_num_fields(const ingot_plugin_creator *creator);
/* The index-th declared field (NULL out of range); valid while the creator is registered. */
INGOT_API const ingot_plugin_field_decl *ingot_plugin_creator_get_field(const ingot_plugin_creator *creator,
                                                                        int32_t index);

/* A new instance from fields (checked against the declarations; errors name the field).
 * The caller owns it: pass it to ingot_network_add_plugin_instance, then destroy it. */
INGOT_API ingot_status ingot_plugin_creator_create_plugin(const ingot_plugin_creator *creator,
                                                          const char *layer_name, const ingot_plugin_field *fields,
                                                          int32_t nb_fields, ingot_plugin **plugin_out);
INGOT_API void ingot_plugin_destroy(ingot_plugin *plugin);

/* Loads a shared library of plugins: dlopens `path` and registers every creator that its
 * exported function
 *     int32_t ingot_plugin_library_creators(const ingot_plugin_creator_desc **creators_out)
 * lists (it returns their count and points creators_out at an array of them). Errors name
 * the path and dlerror(). The library stays loaded for the life of the process; loading
 * it again registers nothing new. */
INGOT_API ingot_status ingot_plugin_library_load(const char *path);
typedef int32_t (*ingot_plugin_library_creators_fn)(const ingot_plugin_creator_desc **creators_out);
#define INGOT_PLUGIN_LIBRARY_ENTRY "ingot_plugin_library_creators"

/* ---- network ------------------------------------------------------------------------------ */
/* A plugin layer over `inputs` (1 to INGOT_PLUGIN_MAX_INPUTS), its instance made by the registered creator
 * (name, version, namespace; version and namespace NULL: any) from `fields`. The outputs
 * (get_nb_outputs of them) are the layer's outputs 0..n-1. */
INGOT_API ingot_status ingot_network_add_plugin(ingot_network *network, ingot_tensor *const *inputs,
                                                int32_t nb_inputs, const char *name, const char *version,
                                                const char *plugin_namespace, const ingot_plugin_field *fields,
                                                int32_t nb_fields, ingot_layer **layer_out);
/* The same with an instance the caller made (the network keeps a clone of it). */
INGOT_API ingot_status ingot_network_add_plugin_instance(ingot_network *network, ingot_tensor *const *inputs,
                                                         int32_t nb_inputs, const ingot_plugin *plugin,
                                                         ingot_layer **layer_out);

#ifdef __cplusplus
}
#endif
#endif
