/* The builder's shared internals: config and profile objects, and the passes. */
#ifndef INGOT_BUILDER_INTERNAL_H
#define INGOT_BUILDER_INTERNAL_H

#include "ingot/builder.h"
#include "ops/graph.h"
#include "backend/backend.h"

typedef struct ingot_profile_entry {
  char *input_name;
  ingot_dims dims[3]; /* min, opt, max; nb_dims = -1 until set */
} ingot_profile_entry;

struct ingot_optimization_profile {
  int32_t nb_entries, cap;
  ingot_profile_entry *entries;
};

struct ingot_builder_config {
  int32_t target;
  int32_t device_index;
  uint64_t workspace_limit;
  uint32_t flags; /* bit per ingot_builder_flag */
  int32_t timing_iterations;
  int32_t num_threads;
  uint32_t tactic_sources; /* INGOT_TACTIC_SOURCE_* bits */
  int32_t nb_profiles;
  ingot_optimization_profile **profiles; /* owned copies */
  ingot_timing_cache *timing_cache;      /* the caller's, or NULL */
};

struct ingot_builder {
  ingot_logger *logger;
};

struct ingot_plan {
  void *data;
  size_t size;
};

/* The state of one build, passed through the passes. */
typedef struct ingot_build {
  ingot_logger *logger;
  const ingot_builder_config *config;
  const ingot_backend *backend;
  ingot_graph *graph;
  /* per profile p and selector s (min/opt/max): dims/dtypes of every tensor */
  int32_t nb_shape_sets;           /* nb_profiles * 3 (or 1 without profiles) */
  ingot_dims **shape_dims;         /* [set][tensor] */
  ingot_dtype **shape_dtypes;      /* [set][tensor] */
  ingot_value_store *shape_values; /* [set]: small values computed from shapes */
  int32_t opt_set;                 /* the set used for tactic choice: profile 0 opt */
  /* device targets: the stream and library handles tactics are timed with */
  void *device_stream;
  void *device_handles;
} ingot_build;

/* One tactic considered for a node while choosing (tactics.c, device_timing.c). */
typedef struct ingot_tactic_candidate {
  const ingot_tactic *tactic;
  void *prepared;
  uint64_t prepared_size;
  uint64_t workspace;
  double ms;    /* median; INFINITY when not timed or failed */
  int32_t runs; /* 0 with a finite ms: predicted, not run */
} ingot_tactic_candidate;

/* Random values for a timing input: floats in [-1, 1); other dtypes are left as they are
 * (zeroed by the caller: a valid index and count everywhere). */
void ingot_build_fill_random(void *data, ingot_dtype dtype, int64_t count, uint64_t *seed);

/* device_timing.c: the device's stream and handles for a build (no-op on the CPU), and
 * the timing of candidates on the device with its events, on device copies of random
 * inputs and of the real constants. False when buffers could not be had. */
ingot_status ingot_build_device_begin(ingot_build *build);
void ingot_build_device_end(ingot_build *build);
bool ingot_time_candidates_device(ingot_build *build, const ingot_node *n, ingot_kernel_args *args,
                                  ingot_tensor_view *in, ingot_tensor_view *out, ingot_tactic_candidate *cands,
                                  int32_t nb, uint64_t *seed);

/* Inference at every profile's min, opt and max (fills build->shape_*); the error names
 * the layer and the profile. Called again after each pass that changes the graph. */
ingot_status ingot_build_infer_all(ingot_build *build);
void ingot_build_free_shapes(ingot_build *build);

/* Graph editing helpers. */
ingot_status ingot_graph_copy(const ingot_graph *src, ingot_graph **dst_out);
/* Inserts a node at `position`, shifting later nodes (producer indices are fixed up). */
ingot_status ingot_graph_insert_node(ingot_graph *graph, int32_t position, const char *name, ingot_op op,
                                     const ingot_op_params *params, const int32_t *inputs, int32_t nb_inputs,
                                     int32_t *index_out);
/* Number of node inputs reading tensor t, plus 1 if t is a graph output. */
int32_t ingot_graph_use_count(const ingot_graph *graph, int32_t t);
/* Drops nodes not needed for any output, nodes marked in remove_node (may be NULL), and
 * tensors nothing refers to; renumbers everything. */
ingot_status ingot_graph_compact(ingot_graph *graph, const uint8_t *remove_node);
/* After a pass that rewrites build->graph failed with `st`, on a copy `saved` taken before
 * it: out of memory is returned as it is; any other failure puts `saved` back, logs a
 * warning "<fallback>: <the error>" and re-infers shapes, so the build goes on without the
 * pass (lower_half.c, layout_channels_last.c). Takes ownership of `saved`. */
ingot_status ingot_build_roll_back(ingot_build *build, ingot_graph *saved, ingot_status st, const char *fallback);

/* Passes, in the order the builder runs them. */
ingot_status ingot_pass_fold_constants(ingot_build *build);
/* fuse_patterns.c: SiLU and GELU chains of elementwise layers -> one activation layer */
ingot_status ingot_pass_fuse_patterns(ingot_build *build);
ingot_status ingot_pass_fuse(ingot_build *build);
ingot_status ingot_pass_precision(ingot_build *build);
/* lower_half.c: device targets with FP16/BF16 compute in half inside, float32 at the edges. */
ingot_status ingot_pass_lower_half(ingot_build *build);
/* layout_channels_last.c: on CUDA with half (or INGOT_FORCE_CHANNELS_LAST=1 on any
 * target), regions of convolutions and their neighbours run NHWC, transposes at the edges.
 * *channels_first_out: the graph as it was, when the pass changed it (the caller's, to
 * fall back to), else NULL. */
ingot_status ingot_pass_layout_channels_last(ingot_build *build, ingot_graph **channels_first_out);
ingot_status ingot_pass_choose_tactics(ingot_build *build);

#endif
