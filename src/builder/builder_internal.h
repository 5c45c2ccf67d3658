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
  int32_t nb_profiles;
  ingot_optimization_profile **profiles; /* owned copies */
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
} ingot_build;

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

/* Passes, in the order the builder runs them. */
ingot_status ingot_pass_fold_constants(ingot_build *build);
ingot_status ingot_pass_fuse(ingot_build *build);
ingot_status ingot_pass_precision(ingot_build *build);
ingot_status ingot_pass_choose_tactics(ingot_build *build);

#endif
