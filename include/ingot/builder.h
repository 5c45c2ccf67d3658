/* ingot — builder, builder config, optimization profiles and plans.
 * A builder turns a network and a config into a plan (serialized engine bytes). Builders
 * and configs are not thread-safe objects, but several builders may build on several
 * threads at once. */
#ifndef INGOT_BUILDER_H
#define INGOT_BUILDER_H

#include "ingot/network.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ingot_builder ingot_builder;
typedef struct ingot_builder_config ingot_builder_config;
typedef struct ingot_timing_cache ingot_timing_cache;
typedef struct ingot_optimization_profile ingot_optimization_profile;
typedef struct ingot_plan ingot_plan;

typedef enum ingot_target { INGOT_TARGET_CPU = 0, INGOT_TARGET_CUDA = 1 } ingot_target;
INGOT_API const char *ingot_target_name(ingot_target target);

typedef enum ingot_builder_flag {
  INGOT_BUILDER_FLAG_FP16 = 0, /* allow float16 kernels */
  INGOT_BUILDER_FLAG_BF16,     /* allow bfloat16 kernels */
  INGOT_BUILDER_FLAG_INT8,     /* allow int8 kernels */
  INGOT_BUILDER_FLAG_TF32,     /* allow tf32 for float32 math (on by default, as TensorRT) */
  INGOT_BUILDER_FLAG_COUNT
} ingot_builder_flag;

/* Where tactics come from (TensorRT's TacticSource), as bits of a mask. The reference
 * kernels (and the CUDA backend's own kernels) are always available whatever the mask. */
typedef enum ingot_tactic_source {
  INGOT_TACTIC_SOURCE_INGOT = 1u << 0,    /* ingot's own fast CPU kernels (packed GEMM, depthwise) */
  INGOT_TACTIC_SOURCE_ONEDNN = 1u << 1,   /* oneDNN convolution, inner product and matmul (CPU) */
  INGOT_TACTIC_SOURCE_CUBLASLT = 1u << 2, /* cuBLASLt matrix multiply (CUDA) */
  INGOT_TACTIC_SOURCE_CUDNN = 1u << 3,    /* cuDNN convolution (CUDA) */
  INGOT_TACTIC_SOURCE_ALL = 0xF,
  /* The default: all but oneDNN. Debian's oneDNN runs on libgomp, whose workers spin for a
   * while after each call and, on a machine with as many threads as cores, slow ingot's
   * next kernels about 2x: timed one layer at a time oneDNN often wins, while the whole
   * network loses. Turn it on (+onednn) where OMP_WAIT_POLICY=PASSIVE is set, or measure.
   * TensorRT 10 likewise leaves its library sources off by default. */
  INGOT_TACTIC_SOURCE_DEFAULT = 0xD
} ingot_tactic_source;

typedef enum ingot_profile_selector {
  INGOT_PROFILE_MIN = 0,
  INGOT_PROFILE_OPT = 1,
  INGOT_PROFILE_MAX = 2
} ingot_profile_selector;

/* The logger (may be NULL) must outlive the builder. */
INGOT_API ingot_status ingot_builder_create(ingot_logger *logger, ingot_builder **builder_out);
INGOT_API void ingot_builder_destroy(ingot_builder *builder);

/* Builds `network` for `config` into a new plan (free with ingot_plan_destroy). The network
 * and config are only read. On failure the message names the layer and what is wrong. */
INGOT_API ingot_status ingot_builder_build_serialized_network(ingot_builder *builder, const ingot_network *network,
                                                              const ingot_builder_config *config,
                                                              ingot_plan **plan_out);

/* ---- builder config ------------------------------------------------------------------- */
INGOT_API ingot_status ingot_builder_config_create(ingot_builder_config **config_out);
INGOT_API void ingot_builder_config_destroy(ingot_builder_config *config);
/* Target backend and device index (ignored for the CPU). Default: CPU. */
INGOT_API ingot_status ingot_builder_config_set_target(ingot_builder_config *config, ingot_target target,
                                                       int32_t device_index);
/* Most scratch memory any one layer may use, in bytes (default: 1 GiB). */
INGOT_API ingot_status ingot_builder_config_set_workspace_limit(ingot_builder_config *config, uint64_t bytes);
INGOT_API uint64_t ingot_builder_config_get_workspace_limit(const ingot_builder_config *config);
INGOT_API ingot_status ingot_builder_config_set_flag(ingot_builder_config *config, ingot_builder_flag flag,
                                                     int32_t enabled);
INGOT_API int32_t ingot_builder_config_get_flag(const ingot_builder_config *config, ingot_builder_flag flag);
/* How many timed runs decide between tactics (default 4; 0 takes the first that fits). */
INGOT_API ingot_status ingot_builder_config_set_timing_iterations(ingot_builder_config *config, int32_t iterations);
/* Threads the engine's contexts use by default (0: all cores, the default). */
INGOT_API ingot_status ingot_builder_config_set_num_threads(ingot_builder_config *config, int32_t threads);
/* Which tactic sources the builder may choose from: an OR of INGOT_TACTIC_SOURCE_* bits
 * (default INGOT_TACTIC_SOURCE_DEFAULT; 0 leaves the reference kernels only). A source not
 * built into this ingot is simply absent. Bits outside ALL are refused. */
INGOT_API ingot_status ingot_builder_config_set_tactic_sources(ingot_builder_config *config, uint32_t mask);
/* The mask set (0 for a NULL config). */
INGOT_API uint32_t ingot_builder_config_get_tactic_sources(const ingot_builder_config *config);
/* Tactic timings to reuse and extend (TensorRT's ITimingCache): the builder looks each
 * node's candidates up before timing them and records what it times. The cache is not
 * copied: it must outlive the builds that use it; builds on several threads may share it.
 * NULL detaches it. */
INGOT_API ingot_status ingot_builder_config_set_timing_cache(ingot_builder_config *config,
                                                             ingot_timing_cache *cache);
/* Copies `profile` into the config; its index (0, 1, ...) goes to index_out (may be NULL).
 * A network with dynamic inputs needs at least one profile covering each of them. */
INGOT_API ingot_status ingot_builder_config_add_optimization_profile(ingot_builder_config *config,
                                                                     const ingot_optimization_profile *profile,
                                                                     int32_t *index_out);
INGOT_API int32_t ingot_builder_config_num_optimization_profiles(const ingot_builder_config *config);

/* ---- timing cache --------------------------------------------------------------------- */
/* A cache of tactic timings keyed by backend, device architecture, thread count, tactic and
 * the node's parameters, dtypes and opt shapes. `data`/`size` are bytes that
 * ingot_timing_cache_serialize wrote (NULL and 0: an empty cache); bytes of another format
 * or corrupted ones give INGOT_INVALID_PLAN naming what is wrong. */
INGOT_API ingot_status ingot_timing_cache_create(const void *data, size_t size, ingot_timing_cache **cache_out);
INGOT_API void ingot_timing_cache_destroy(ingot_timing_cache *cache);
INGOT_API int64_t ingot_timing_cache_num_entries(const ingot_timing_cache *cache);
/* Bytes ingot_timing_cache_serialize needs (0 for a NULL cache). */
INGOT_API size_t ingot_timing_cache_serialized_size(const ingot_timing_cache *cache);
/* Writes the cache into buffer (at least serialized_size bytes). */
INGOT_API ingot_status ingot_timing_cache_serialize(const ingot_timing_cache *cache, void *buffer, size_t size);
/* Reads a cache file; a missing file is an error (start from ingot_timing_cache_create). */
INGOT_API ingot_status ingot_timing_cache_load(const char *path, ingot_timing_cache **cache_out);
INGOT_API ingot_status ingot_timing_cache_save(const ingot_timing_cache *cache, const char *path);
/* Adds src's entries to dst (dst's own entries win where both have one). */
INGOT_API ingot_status ingot_timing_cache_combine(ingot_timing_cache *dst, const ingot_timing_cache *src);

/* ---- optimization profile ------------------------------------------------------------- */
INGOT_API ingot_status ingot_optimization_profile_create(ingot_optimization_profile **profile_out);
INGOT_API void ingot_optimization_profile_destroy(ingot_optimization_profile *profile);
/* Sets the min, opt or max dims of input `input_name` (all three must be set; checked
 * min <= opt <= max when the profile is added to a config). */
INGOT_API ingot_status ingot_optimization_profile_set_dimensions(ingot_optimization_profile *profile,
                                                                 const char *input_name,
                                                                 ingot_profile_selector selector,
                                                                 const ingot_dims *dims);
INGOT_API ingot_status ingot_optimization_profile_get_dimensions(const ingot_optimization_profile *profile,
                                                                 const char *input_name,
                                                                 ingot_profile_selector selector,
                                                                 ingot_dims *dims_out);

/* ---- plan ----------------------------------------------------------------------------- */
/* The plan's bytes, valid while the plan lives. */
INGOT_API const void *ingot_plan_data(const ingot_plan *plan);
INGOT_API size_t ingot_plan_size(const ingot_plan *plan);
INGOT_API ingot_status ingot_plan_save(const ingot_plan *plan, const char *path);
INGOT_API void ingot_plan_destroy(ingot_plan *plan);

#ifdef __cplusplus
}
#endif
#endif
