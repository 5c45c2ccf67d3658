/* The runtime: plan bytes -> engine. The plan reader checks everything; here the engine's
 * lookup tables are built and each node's tactic is found by name and version. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/dims.h"
#include "core/error.h"
#include "core/logger.h"
#include "plugin/plugin_internal.h"
#include "runtime/dynamic_shapes.h"
#include "runtime/runtime_internal.h"

ingot_status ingot_runtime_create(ingot_logger *logger, ingot_runtime **runtime_out) {
  INGOT_CHECK_NULL(runtime_out, "ingot_runtime_create");
  ingot_runtime *r = ingot_calloc(1, sizeof *r);
  if (!r) return INGOT_OUT_OF_MEMORY;
  r->logger = logger;
  r->device_index = -1;
  *runtime_out = r;
  return INGOT_SUCCESS;
}

void ingot_runtime_destroy(ingot_runtime *runtime) { free(runtime); }

void ingot_engine_destroy(ingot_engine *engine) {
  if (!engine) return;
  if (engine->layer_inputs)
    for (int32_t i = 0; i < engine->graph->nb_nodes; i++) free((void *)engine->layer_inputs[i]);
  if (engine->layer_outputs)
    for (int32_t i = 0; i < engine->graph->nb_nodes; i++) free((void *)engine->layer_outputs[i]);
  free(engine->layer_inputs);
  free(engine->layer_outputs);
  free(engine->layer_types);
  free(engine->io_tensors);
  free(engine->tensor_io);
  free(engine->io_dims);
  ingot_engine_device_unload(engine);
  ingot_plan_contents_destroy(engine->contents);
  free(engine);
}

/* A constant without data (left out of the plan: flag "packed", plan_writer.c) may only
 * reach an input slot that node n's tactic declares packed (ingot_tactic.packed_inputs),
 * and only when n has its prepared block: run() then never reads it. Anything else is a
 * corrupted or forged plan, refused before a kernel could read the missing buffer. */
static ingot_status check_packed_inputs(const ingot_graph *g, const ingot_node *n) {
  for (int32_t k = 0; k < n->nb_inputs; k++) {
    int32_t t = n->inputs[k];
    if (t < 0 || g->tensors[t].kind != INGOT_TENSOR_KIND_CONSTANT || g->tensors[t].data) continue;
    const ingot_tactic *tactic = n->tactic;
    bool declared = k < 32 && (tactic->packed_inputs >> k & 1u);
    if (!declared || !n->prepared || n->prepared_size == 0)
      return ingot_fail(INGOT_INVALID_PLAN,
                        "plan constant '%s' has no data (left out as packed), but layer '%s' reads it as input %d "
                        "and its tactic %s %s",
                        g->tensors[t].name, n->name, (int)k, tactic->name,
                        !declared ? "reads that input's data (it does not hold it packed)"
                                  : "has no packed data in the plan");
  }
  return INGOT_SUCCESS;
}

/* I/O dims: the declared dims for inputs; for outputs, the dims at every profile bound,
 * with -1 where they differ. */
static ingot_status compute_io_dims(ingot_engine *e) {
  const ingot_graph *g = e->graph;
  for (int32_t i = 0; i < g->nb_inputs; i++) e->io_dims[i] = g->tensors[g->inputs[i]].dims;
  if (g->nb_outputs == 0) return INGOT_SUCCESS;
  ingot_dims *dims = ingot_calloc((size_t)g->nb_tensors + 1, sizeof *dims);
  ingot_dtype *dtypes = ingot_calloc((size_t)g->nb_tensors + 1, sizeof *dtypes);
  ingot_dims *in = ingot_calloc((size_t)g->nb_inputs + 1, sizeof *in);
  if (!dims || !dtypes || !in) {
    free(dims), free(dtypes), free(in);
    return INGOT_OUT_OF_MEMORY;
  }
  ingot_status st = INGOT_SUCCESS;
  for (int32_t p = 0; p < g->nb_profiles && st == INGOT_SUCCESS; p++)
    for (int s = 0; s < 3 && st == INGOT_SUCCESS; s++) {
      for (int32_t i = 0; i < g->nb_inputs; i++) {
        const ingot_profile_dims *pd = &g->profiles[p * g->nb_inputs + i];
        in[i] = s == 0 ? pd->min : s == 1 ? pd->opt : pd->max;
      }
      st = ingot_graph_infer_shapes(g, in, dims, dtypes);
      /* Buffers are sized by the dtypes the plan records: a forged one that differs from
       * what its layer computes would let a kernel write past its output (fuzzer). */
      for (int32_t t = 0; t < g->nb_tensors && st == INGOT_SUCCESS; t++)
        if (dtypes[t] != g->tensors[t].dtype)
          st = ingot_fail(INGOT_INVALID_PLAN, "tensor '%s' is %s in the plan but its layer computes %s",
                          g->tensors[t].name, ingot_dtype_name(g->tensors[t].dtype), ingot_dtype_name(dtypes[t]));
      for (int32_t o = 0; o < g->nb_outputs && st == INGOT_SUCCESS; o++) {
        ingot_dims *io = &e->io_dims[g->nb_inputs + o];
        const ingot_dims *d = &dims[g->outputs[o]];
        if (p == 0 && s == 0) {
          *io = *d;
          continue;
        }
        for (int32_t k = 0; k < io->nb_dims && k < d->nb_dims; k++)
          if (io->d[k] != d->d[k]) io->d[k] = -1;
      }
    }
  free(dims), free(dtypes), free(in);
  if (st != INGOT_SUCCESS) ingot_error_prefix("plan's shapes do not infer");
  return st == INGOT_SUCCESS ? st : INGOT_INVALID_PLAN;
}

static ingot_status engine_from_contents(ingot_runtime *runtime, ingot_plan_contents *contents,
                                         ingot_engine **engine_out) {
  ingot_engine *e = ingot_calloc(1, sizeof *e);
  if (!e) {
    ingot_plan_contents_destroy(contents);
    return INGOT_OUT_OF_MEMORY;
  }
  e->logger = runtime->logger;
  e->contents = contents;
  e->graph = contents->graph;
  const ingot_graph *g = e->graph;
  e->backend = ingot_backend_for_target(contents->target);
  ingot_status st = INGOT_SUCCESS;
  if (!e->backend)
    st = ingot_fail(INGOT_UNSUPPORTED, "plan is for target %s, which this ingot was built without",
                    ingot_target_name((ingot_target)contents->target));
  e->nb_io = g->nb_inputs + g->nb_outputs;
  e->io_tensors = ingot_calloc((size_t)e->nb_io + 1, sizeof(int32_t));
  e->io_dims = ingot_calloc((size_t)e->nb_io + 1, sizeof(ingot_dims));
  e->tensor_io = ingot_calloc((size_t)g->nb_tensors + 1, sizeof(int32_t));
  e->layer_types = ingot_calloc((size_t)g->nb_nodes + 1, sizeof(char *));
  e->layer_inputs = ingot_calloc((size_t)g->nb_nodes + 1, sizeof(char **));
  e->layer_outputs = ingot_calloc((size_t)g->nb_nodes + 1, sizeof(char **));
  if (st == INGOT_SUCCESS && (!e->io_tensors || !e->io_dims || !e->tensor_io || !e->layer_types || !e->layer_inputs ||
                              !e->layer_outputs))
    st = INGOT_OUT_OF_MEMORY;
  if (st == INGOT_SUCCESS && g->nb_profiles < 1) st = ingot_fail(INGOT_INVALID_PLAN, "plan has no optimization profile");
  for (int32_t t = 0; t < g->nb_tensors && st == INGOT_SUCCESS; t++) e->tensor_io[t] = -1;
  for (int32_t i = 0; i < g->nb_inputs && st == INGOT_SUCCESS; i++) {
    e->io_tensors[i] = g->inputs[i];
    e->tensor_io[g->inputs[i]] = i;
  }
  for (int32_t i = 0; i < g->nb_outputs && st == INGOT_SUCCESS; i++) {
    int32_t t = g->outputs[i];
    e->io_tensors[g->nb_inputs + i] = t;
    if (e->tensor_io[t] >= 0)
      st = ingot_fail(INGOT_INVALID_PLAN, "plan lists tensor '%s' twice among inputs and outputs", g->tensors[t].name);
    e->tensor_io[t] = g->nb_inputs + i;
    if (g->tensors[t].kind != INGOT_TENSOR_KIND_ACTIVATION || !g->tensors[t].is_output)
      st = ingot_fail(INGOT_INVALID_PLAN, "plan output '%s' is not written by a layer", g->tensors[t].name);
  }
  /* Plugin layers get their instances back from the registry (the error names the
   * plugin and the layer where it is not registered). */
  for (int32_t i = 0; i < g->nb_nodes && st == INGOT_SUCCESS; i++)
    if (g->nodes[i].plugin) st = ingot_plugin_instantiate(g->nodes[i].plugin, g->nodes[i].name);
  for (int32_t i = 0; i < g->nb_nodes && st == INGOT_SUCCESS; i++) {
    ingot_node *n = &g->nodes[i];
    const ingot_tactic *t =
        ingot_backend_find_tactic(e->backend, contents->tactic_names[i], contents->tactic_versions[i]);
    if (!t || t->op != n->op) {
      st = ingot_fail(INGOT_VERSION_MISMATCH,
                      "layer '%s': plan names tactic %s version %d, which this ingot (%s) does not have", n->name,
                      contents->tactic_names[i], contents->tactic_versions[i], ingot_version_string());
      break;
    }
    n->tactic = t;
    st = check_packed_inputs(g, n);
    if (st != INGOT_SUCCESS) break;
    e->layer_types[i] = n->fused_name ? n->fused_name : ingot_op_name(n->op);
    const char **ins = ingot_calloc((size_t)n->nb_inputs + 1, sizeof(char *));
    const char **outs = ingot_calloc((size_t)n->nb_outputs + 1, sizeof(char *));
    e->layer_inputs[i] = ins;
    e->layer_outputs[i] = outs;
    if (!ins || !outs) {
      st = INGOT_OUT_OF_MEMORY;
      break;
    }
    for (int32_t k = 0; k < n->nb_inputs; k++) ins[k] = n->inputs[k] >= 0 ? g->tensors[n->inputs[k]].name : "";
    for (int32_t k = 0; k < n->nb_outputs; k++) outs[k] = g->tensors[n->outputs[k]].name;
    if (n->nb_inputs > e->max_node_inputs) e->max_node_inputs = n->nb_inputs;
  }
  for (int32_t t = 0; t < g->nb_tensors && st == INGOT_SUCCESS; t++) {
    const ingot_graph_tensor *gt = &g->tensors[t];
    if (gt->kind != INGOT_TENSOR_KIND_CONSTANT) continue;
    e->weights_bytes += gt->data_size;
    /* the reader checked a left-out constant's dims: concrete, under 1 TiB */
    if (gt->data_packed) e->packed_weights_bytes += (uint64_t)ingot_dims_volume(&gt->dims) * ingot_dtype_size(gt->dtype);
  }
  if (st == INGOT_SUCCESS) st = compute_io_dims(e);
  if (st == INGOT_SUCCESS) st = ingot_dynamic_mark_output_dims(e->graph, e->io_dims + e->graph->nb_inputs);
  if (st == INGOT_SUCCESS) st = ingot_engine_device_load(e, runtime->device_index);
  if (st != INGOT_SUCCESS) {
    ingot_engine_destroy(e);
    return st;
  }
  *engine_out = e;
  return INGOT_SUCCESS;
}

ingot_status ingot_runtime_deserialize_engine(ingot_runtime *runtime, const void *data, size_t size,
                                              ingot_engine **engine_out) {
  INGOT_CHECK_NULL(runtime, "ingot_runtime_deserialize_engine");
  INGOT_CHECK_NULL(data, "ingot_runtime_deserialize_engine");
  INGOT_CHECK_NULL(engine_out, "ingot_runtime_deserialize_engine");
  *engine_out = NULL;
  /* The plan says its target; the runtime runs it on that backend if built in. */
  int32_t target = INGOT_TARGET_CPU;
  if (size >= INGOT_PLAN_HEADER_SIZE && memcmp(data, INGOT_PLAN_MAGIC, 8) == 0) {
    const unsigned char *h = data;
    target = (int32_t)(h[16] | h[17] << 8 | h[18] << 16 | (uint32_t)h[19] << 24);
  }
  const ingot_backend *backend = ingot_backend_for_target(target);
  if (!backend) backend = ingot_cpu_backend(); /* the reader names both targets */
  ingot_plan_contents *contents = NULL;
  ingot_status st = INGOT_SUCCESS;
  /* a device engine binds to the runtime's device: its arch is the one checked */
  if (backend->device && runtime->device_index >= 0) st = backend->device->set_device(runtime->device_index);
  if (st == INGOT_SUCCESS) st = ingot_plan_read(data, size, backend->target, backend->arch(), &contents);
  if (st == INGOT_SUCCESS) st = engine_from_contents(runtime, contents, engine_out);
  if (st == INGOT_SUCCESS)
    ingot_log(runtime->logger, INGOT_SEVERITY_INFO,
              "engine: %d layers, %d I/O tensors, %.3f MiB of weights (and %.3f MiB held only packed by their layers)",
              (*engine_out)->graph->nb_nodes, (*engine_out)->nb_io,
              (double)(*engine_out)->weights_bytes / (1024.0 * 1024.0),
              (double)(*engine_out)->packed_weights_bytes / (1024.0 * 1024.0));
  return ingot_log_failure(runtime->logger, st);
}

ingot_status ingot_runtime_load_engine(ingot_runtime *runtime, const char *plan_path, ingot_engine **engine_out) {
  INGOT_CHECK_NULL(runtime, "ingot_runtime_load_engine");
  INGOT_CHECK_NULL(plan_path, "ingot_runtime_load_engine");
  INGOT_CHECK_NULL(engine_out, "ingot_runtime_load_engine");
  *engine_out = NULL;
  FILE *f = fopen(plan_path, "rb");
  if (!f)
    return ingot_log_failure(runtime->logger,
                             ingot_fail(INGOT_IO_ERROR, "cannot open plan '%s': %s", plan_path, strerror(errno)));
  ingot_status st = INGOT_SUCCESS;
  long size = -1;
  /* A directory opens and seeks "fine" on Linux, with ftell giving LONG_MAX: only a
   * regular file has a size worth allocating. */
  struct stat sb;
  if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && fseek(f, 0, SEEK_END) == 0) size = ftell(f);
  if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
    st = ingot_fail(INGOT_IO_ERROR, "cannot read plan '%s': not a regular file", plan_path);
  void *data = NULL;
  if (st == INGOT_SUCCESS) {
    data = malloc((size_t)size + 1);
    if (!data) st = ingot_fail(INGOT_OUT_OF_MEMORY, "plan '%s' of %ld bytes does not fit in memory", plan_path, size);
  }
  if (st == INGOT_SUCCESS && fread(data, 1, (size_t)size, f) != (size_t)size)
    st = ingot_fail(INGOT_IO_ERROR, "cannot read plan '%s': %s", plan_path, strerror(errno));
  fclose(f);
  if (st == INGOT_SUCCESS) {
    st = ingot_runtime_deserialize_engine(runtime, data, (size_t)size, engine_out);
    if (st != INGOT_SUCCESS) ingot_error_prefix("plan '%s'", plan_path);
    free(data);
    return st;
  }
  free(data);
  return ingot_log_failure(runtime->logger, st);
}
