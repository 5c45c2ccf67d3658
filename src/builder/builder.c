/* The builder: network + config -> plan. The steps, in order:
 *   1 copy the network's graph; attach profiles; validate; infer shapes at every
 *     profile's min, opt and max
 *   2 passes: constant folding, fusion, dead-layer removal, half lowering (device
 *     targets), channels-last layout, precision (casts)
 *   3 tactic choice per node (timed when several fit), build-time preparation
 *   4 memory plan at each profile's max shapes
 *   5 serialization */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/builder_internal.h"
#include "builder/memory_plan.h"
#include "core/alloc.h"
#include "core/dims.h"
#include "core/error.h"
#include "core/logger.h"
#include "network/network_impl.h"
#include "plan/plan_format.h"

ingot_status ingot_builder_create(ingot_logger *logger, ingot_builder **builder_out) {
  INGOT_CHECK_NULL(builder_out, "ingot_builder_create");
  ingot_builder *b = ingot_calloc(1, sizeof *b);
  if (!b) return INGOT_OUT_OF_MEMORY;
  b->logger = logger;
  *builder_out = b;
  return INGOT_SUCCESS;
}

void ingot_builder_destroy(ingot_builder *builder) { free(builder); }

void ingot_build_free_shapes(ingot_build *build) {
  for (int32_t s = 0; s < build->nb_shape_sets; s++) {
    free(build->shape_dims[s]);
    free(build->shape_dtypes[s]);
    if (build->shape_values) ingot_value_store_free(&build->shape_values[s]);
  }
  free(build->shape_dims);
  free(build->shape_dtypes);
  free(build->shape_values);
  build->shape_dims = NULL;
  build->shape_dtypes = NULL;
  build->shape_values = NULL;
  build->nb_shape_sets = 0;
}

ingot_status ingot_build_infer_all(ingot_build *build) {
  ingot_graph *g = build->graph;
  ingot_build_free_shapes(build);
  int32_t sets = g->nb_profiles * 3;
  build->shape_dims = ingot_calloc((size_t)sets, sizeof(ingot_dims *));
  build->shape_dtypes = ingot_calloc((size_t)sets, sizeof(ingot_dtype *));
  build->shape_values = ingot_calloc((size_t)sets, sizeof(ingot_value_store));
  if (!build->shape_dims || !build->shape_dtypes || !build->shape_values) return INGOT_OUT_OF_MEMORY;
  build->nb_shape_sets = sets;
  ingot_dims *input_dims = ingot_calloc((size_t)g->nb_inputs + 1, sizeof(ingot_dims));
  if (!input_dims) return INGOT_OUT_OF_MEMORY;
  static const char *const sel[3] = {"min", "opt", "max"};
  for (int32_t s = 0; s < sets; s++) {
    int32_t p = s / 3, which = s % 3;
    build->shape_dims[s] = ingot_calloc((size_t)g->nb_tensors + 1, sizeof(ingot_dims));
    build->shape_dtypes[s] = ingot_calloc((size_t)g->nb_tensors + 1, sizeof(ingot_dtype));
    if (!build->shape_dims[s] || !build->shape_dtypes[s]) {
      free(input_dims);
      return INGOT_OUT_OF_MEMORY;
    }
    for (int32_t i = 0; i < g->nb_inputs; i++) {
      const ingot_profile_dims *pd = &g->profiles[p * g->nb_inputs + i];
      input_dims[i] = which == 0 ? pd->min : which == 1 ? pd->opt : pd->max;
    }
    ingot_status st = ingot_value_store_init(&build->shape_values[s], g, ingot_cpu_eval_node);
    if (st == INGOT_SUCCESS)
      st = ingot_graph_infer(g, input_dims, build->shape_dims[s], build->shape_dtypes[s], &build->shape_values[s]);
    if (st != INGOT_SUCCESS) {
      free(input_dims);
      if (sets > 3) ingot_error_prefix("optimization profile %d, %s shapes", p, sel[which]);
      else if (g->profiles && !ingot_dims_equal(&g->profiles[0].min, &g->profiles[0].max))
        ingot_error_prefix("at the profile's %s shapes", sel[which]);
      return st;
    }
  }
  free(input_dims);
  build->opt_set = 1;
  return INGOT_SUCCESS;
}

/* Fills graph->profiles from the config: one entry per (profile, input). Static inputs
 * need no profile entry; dynamic ones need one in every profile. */
static ingot_status attach_profiles(ingot_graph *g, const ingot_builder_config *config) {
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE];
  int32_t np = config->nb_profiles > 0 ? config->nb_profiles : 1;
  free(g->profiles);
  g->profiles = ingot_calloc((size_t)np * (size_t)g->nb_inputs + 1, sizeof(ingot_profile_dims));
  if (!g->profiles) return INGOT_OUT_OF_MEMORY;
  g->nb_profiles = np;
  for (int32_t p = 0; p < config->nb_profiles; p++) {
    const ingot_optimization_profile *prof = config->profiles[p];
    for (int32_t e = 0; e < prof->nb_entries; e++)
      if (ingot_graph_find_input(g, prof->entries[e].input_name) < 0)
        return ingot_fail(INGOT_INVALID_ARGUMENT, "optimization profile %d names '%s', which is not a network input", p,
                          prof->entries[e].input_name);
  }
  for (int32_t p = 0; p < np; p++) {
    for (int32_t i = 0; i < g->nb_inputs; i++) {
      const ingot_graph_tensor *t = &g->tensors[g->inputs[i]];
      ingot_profile_dims *pd = &g->profiles[p * g->nb_inputs + i];
      const ingot_profile_entry *entry = NULL;
      if (config->nb_profiles > 0) {
        const ingot_optimization_profile *prof = config->profiles[p];
        for (int32_t e = 0; e < prof->nb_entries; e++)
          if (strcmp(prof->entries[e].input_name, t->name) == 0) entry = &prof->entries[e];
      }
      if (!entry) {
        if (!ingot_dims_is_concrete(&t->dims))
          return config->nb_profiles == 0
                     ? ingot_fail(INGOT_INVALID_ARGUMENT,
                                  "input '%s' has dynamic dims %s: add an optimization profile giving its min, opt "
                                  "and max dims",
                                  t->name, ingot_dims_format(&t->dims, a, sizeof a))
                     : ingot_fail(INGOT_INVALID_ARGUMENT,
                                  "optimization profile %d gives no dims for dynamic input '%s' (%s)", p, t->name,
                                  ingot_dims_format(&t->dims, a, sizeof a));
        pd->min = pd->opt = pd->max = t->dims;
        continue;
      }
      for (int s = 0; s < 3; s++) {
        const ingot_dims *d = &entry->dims[s];
        bool ok = d->nb_dims == t->dims.nb_dims;
        for (int32_t k = 0; ok && k < d->nb_dims; k++)
          if (t->dims.d[k] >= 0 && t->dims.d[k] != d->d[k]) ok = false;
        if (!ok)
          return ingot_fail(INGOT_INVALID_ARGUMENT,
                            "optimization profile %d: dims %s for input '%s' do not match its declared dims %s", p,
                            ingot_dims_format(d, a, sizeof a), t->name, ingot_dims_format(&t->dims, b, sizeof b));
      }
      pd->min = entry->dims[0];
      pd->opt = entry->dims[1];
      pd->max = entry->dims[2];
    }
  }
  return INGOT_SUCCESS;
}

/* Graph outputs must be activations written by a node (the context writes them straight
 * into the caller's buffer). A constant marked as output gets an identity node that takes
 * its name; an input cannot also be an output (the engine's I/O names must be unique). */
static ingot_status materialize_outputs(ingot_graph *g) {
  for (int32_t i = 0; i < g->nb_outputs; i++) {
    int32_t t = g->outputs[i];
    if (g->tensors[t].kind == INGOT_TENSOR_KIND_ACTIVATION) continue;
    if (g->tensors[t].kind == INGOT_TENSOR_KIND_INPUT)
      return ingot_fail(INGOT_INVALID_GRAPH,
                        "tensor '%s' is both a network input and a network output: an engine's inputs and outputs "
                        "need names of their own (add an identity layer and mark its output)",
                        g->tensors[t].name);
    char *name = g->tensors[t].name;
    size_t len = strlen(name) + 16;
    char *renamed = malloc(len);
    if (!renamed) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory");
    snprintf(renamed, len, "%s.source", name);
    g->tensors[t].name = renamed;
    g->tensors[t].is_output = 0;
    int32_t nt, nn;
    ingot_graph_tensor src = g->tensors[t];
    ingot_status st = ingot_graph_add_tensor(g, name, src.dtype, &src.dims, INGOT_TENSOR_KIND_ACTIVATION, &nt);
    free(name);
    if (st != INGOT_SUCCESS) return st;
    ingot_op_params params;
    memset(&params, 0, sizeof params);
    st = ingot_graph_add_node(g, g->tensors[nt].name, INGOT_OP_IDENTITY, &params, &t, 1, &nn);
    if (st != INGOT_SUCCESS) return st;
    g->nodes[nn].nb_outputs = 1;
    g->nodes[nn].outputs[0] = nt;
    g->tensors[nt].producer = nn;
    g->tensors[nt].is_output = 1;
    g->outputs[i] = nt;
  }
  return INGOT_SUCCESS;
}

/* The builder works on activations only: CONSTANT nodes disappear, their output tensors
 * already hold the data. */
static ingot_status drop_constant_nodes(ingot_graph *g) {
  uint8_t *remove = ingot_calloc((size_t)g->nb_nodes + 1, 1);
  if (!remove) return INGOT_OUT_OF_MEMORY;
  for (int32_t i = 0; i < g->nb_nodes; i++)
    if (g->nodes[i].op == INGOT_OP_CONSTANT) {
      remove[i] = 1;
      for (int32_t k = 0; k < g->nodes[i].nb_outputs; k++) g->tensors[g->nodes[i].outputs[k]].producer = -1;
    }
  ingot_status st = ingot_graph_compact(g, remove);
  free(remove);
  return st;
}

static uint64_t tensor_bytes(const ingot_dims *d, ingot_dtype dtype) {
  int64_t v = ingot_dims_volume(d);
  return v < 0 ? 0 : (uint64_t)v * ingot_dtype_size(dtype);
}

/* Activation dims as the plan records them: opt dims, -1 where any profile bound differs. */
static void record_activation_dims(ingot_build *build) {
  ingot_graph *g = build->graph;
  for (int32_t t = 0; t < g->nb_tensors; t++) {
    if (g->tensors[t].kind != INGOT_TENSOR_KIND_ACTIVATION) continue;
    ingot_dims d = build->shape_dims[build->opt_set][t];
    for (int32_t s = 0; s < build->nb_shape_sets; s++) {
      const ingot_dims *o = &build->shape_dims[s][t];
      for (int32_t k = 0; k < d.nb_dims && k < o->nb_dims; k++)
        if (o->d[k] != d.d[k]) d.d[k] = -1;
    }
    g->tensors[t].dims = d;
    g->tensors[t].dtype = build->shape_dtypes[build->opt_set][t];
  }
}

static void log_precision_flags(ingot_logger *logger, const ingot_builder_config *config) {
  static const char *const names[] = {"fp16", "bf16", "int8"};
  for (int f = INGOT_BUILDER_FLAG_FP16; f <= INGOT_BUILDER_FLAG_INT8; f++)
    if (config->flags & (1u << f))
      ingot_log(logger, INGOT_SEVERITY_INFO,
                "%s allowed: recorded in the plan; the CPU target has no %s kernels yet and runs float32 instead",
                names[f], names[f]);
}

static ingot_status build_plan(ingot_build *build, const ingot_network *network, ingot_plan **plan_out) {
  const ingot_builder_config *config = build->config;
  ingot_logger *logger = build->logger;
  if (network->graph->nb_outputs == 0)
    return ingot_fail(INGOT_INVALID_GRAPH, "the network has no outputs: mark at least one with ingot_network_mark_output");
  build->backend = ingot_backend_for_target(config->target);
  if (!build->backend)
    return ingot_fail(INGOT_UNSUPPORTED, "target %s is not built into this ingot",
                      ingot_target_name((ingot_target)config->target));
  INGOT_TRY(ingot_graph_copy(network->graph, &build->graph));
  ingot_graph *g = build->graph;
  INGOT_TRY(attach_profiles(g, config));
  INGOT_TRY(ingot_graph_validate(g));
  INGOT_TRY(drop_constant_nodes(g));
  INGOT_TRY(materialize_outputs(g));
  INGOT_TRY(ingot_graph_validate(g));
  INGOT_TRY(ingot_build_infer_all(build));
  log_precision_flags(logger, config);
  int32_t layers_in = g->nb_nodes;

  INGOT_TRY(ingot_pass_fold_constants(build));
  INGOT_TRY(ingot_pass_fuse_patterns(build));
  INGOT_TRY(ingot_pass_fuse(build));
  INGOT_TRY(ingot_graph_compact(g, NULL)); /* dead-layer removal */
  INGOT_TRY(ingot_build_infer_all(build));
  INGOT_TRY(ingot_pass_lower_half(build));
  ingot_graph *channels_first = NULL; /* the graph before the layout pass, if it changed it */
  INGOT_TRY(ingot_pass_layout_channels_last(build, &channels_first));
  ingot_status chosen = ingot_pass_precision(build);
  if (chosen == INGOT_SUCCESS) chosen = ingot_pass_choose_tactics(build);
  if (chosen != INGOT_SUCCESS && channels_first) {
    /* A library may still refuse an NHWC layer its supports() let through (cuDNN knows
     * its engines only when asked): the network is then built channels first. */
    ingot_log(logger, INGOT_SEVERITY_WARNING, "layout: channels last failed (%s); building channels first",
              ingot_last_error());
    ingot_clear_last_error();
    ingot_graph_destroy(build->graph);
    build->graph = g = channels_first;
    channels_first = NULL;
    chosen = ingot_build_infer_all(build);
    if (chosen == INGOT_SUCCESS) chosen = ingot_pass_precision(build);
    if (chosen == INGOT_SUCCESS) chosen = ingot_pass_choose_tactics(build);
  }
  ingot_graph_destroy(channels_first);
  INGOT_TRY(chosen);
  g = build->graph; /* the half and layout passes replace the graph when they fall back */
  ingot_log(logger, INGOT_SEVERITY_INFO, "built %d layers from %d (after folding, fusion and dead-layer removal)",
            g->nb_nodes, layers_in);

  /* Memory plan at each profile's max shapes. */
  ingot_plan_contents contents;
  memset(&contents, 0, sizeof contents);
  uint64_t *sizes = ingot_calloc((size_t)g->nb_tensors + 1, sizeof(uint64_t));
  uint64_t *offsets = ingot_calloc((size_t)g->nb_tensors + 1, sizeof(uint64_t));
  contents.arena_sizes = ingot_calloc((size_t)g->nb_profiles + 1, sizeof(uint64_t));
  ingot_status st = (sizes && offsets && contents.arena_sizes) ? INGOT_SUCCESS : INGOT_OUT_OF_MEMORY;
  for (int32_t p = 0; p < g->nb_profiles && st == INGOT_SUCCESS; p++) {
    int32_t set = p * 3 + 2;
    for (int32_t t = 0; t < g->nb_tensors; t++)
      sizes[t] = tensor_bytes(&build->shape_dims[set][t], build->shape_dtypes[set][t]);
    st = ingot_memory_plan(g, sizes, NULL, offsets, &contents.arena_sizes[p]);
    if (st == INGOT_SUCCESS)
      ingot_log(logger, INGOT_SEVERITY_INFO, "profile %d: activation arena %.3f MiB at max shapes", p,
                (double)contents.arena_sizes[p] / (1024.0 * 1024.0));
  }
  free(sizes);
  free(offsets);
  if (st == INGOT_SUCCESS) {
    record_activation_dims(build);
    contents.target = config->target;
    snprintf(contents.arch, sizeof contents.arch, "%s", build->backend->arch());
    contents.library_version = ingot_version();
    contents.num_threads = config->num_threads;
    contents.builder_flags = config->flags;
    contents.graph = g;
    void *data = NULL;
    size_t size = 0;
    st = ingot_plan_write(&contents, &data, &size);
    if (st == INGOT_SUCCESS) {
      ingot_plan *plan = ingot_calloc(1, sizeof *plan);
      if (!plan) {
        free(data);
        st = INGOT_OUT_OF_MEMORY;
      } else {
        plan->data = data;
        plan->size = size;
        *plan_out = plan;
        ingot_log(logger, INGOT_SEVERITY_INFO, "plan: %zu bytes", size);
      }
    }
  }
  free(contents.arena_sizes);
  return st;
}

ingot_status ingot_builder_build_serialized_network(ingot_builder *builder, const ingot_network *network,
                                                    const ingot_builder_config *config, ingot_plan **plan_out) {
  INGOT_CHECK_NULL(builder, "ingot_builder_build_serialized_network");
  INGOT_CHECK_NULL(network, "ingot_builder_build_serialized_network");
  INGOT_CHECK_NULL(config, "ingot_builder_build_serialized_network");
  INGOT_CHECK_NULL(plan_out, "ingot_builder_build_serialized_network");
  *plan_out = NULL;
  ingot_build build;
  memset(&build, 0, sizeof build);
  build.logger = builder->logger;
  build.config = config;
  ingot_status st = build_plan(&build, network, plan_out);
  ingot_build_free_shapes(&build);
  ingot_graph_destroy(build.graph);
  return ingot_log_failure(builder->logger, st);
}

const void *ingot_plan_data(const ingot_plan *plan) { return plan ? plan->data : NULL; }
size_t ingot_plan_size(const ingot_plan *plan) { return plan ? plan->size : 0; }

void ingot_plan_destroy(ingot_plan *plan) {
  if (!plan) return;
  free(plan->data);
  free(plan);
}

ingot_status ingot_plan_save(const ingot_plan *plan, const char *path) {
  INGOT_CHECK_NULL(plan, "ingot_plan_save");
  INGOT_CHECK_NULL(path, "ingot_plan_save");
  FILE *f = fopen(path, "wb");
  if (!f) return ingot_fail(INGOT_IO_ERROR, "cannot open '%s' for writing: %s", path, strerror(errno));
  size_t written = fwrite(plan->data, 1, plan->size, f);
  int closed = fclose(f);
  if (written != plan->size || closed != 0)
    return ingot_fail(INGOT_IO_ERROR, "cannot write %zu bytes to '%s': %s", plan->size, path, strerror(errno));
  return INGOT_SUCCESS;
}
