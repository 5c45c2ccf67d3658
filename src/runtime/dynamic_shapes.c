/* Data-dependent shapes in an execution context (see dynamic_shapes.h).
 *
 * Which dims are data-dependent is found by a probe rather than by symbolic rules: after
 * the inference at the bounds, each data-dependent node's extent is made one smaller and
 * the nodes after it are inferred again; a dim that changes is data-dependent. This
 * follows the real shape functions of every op downstream (a Transpose moves the dim, a
 * Shape layer's output stays fixed), and when a probe cannot be inferred (a Reshape that
 * needs a multiple) every dim reachable from the node is reported as data-dependent. */
#include "runtime/dynamic_shapes.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/dims.h"
#include "core/error.h"

struct ingot_dynamic_state {
  ingot_dims *bound_dims;    /* per tensor: the dims the arena was planned at */
  ingot_dims *report_dims;   /* per tensor: bound dims with -1 where data-dependent */
  ingot_dims *scratch_dims;  /* per tensor: the probe's dims */
  ingot_dtype *scratch_dtypes;
  ingot_value_store planned; /* values of the inference at the bounds (kept as is) */
  ingot_value_store rerun;   /* values of the re-inferences (reset every run, never grows) */
  bool executed;             /* a run finished since the shapes were set */
};

typedef struct ingot_dynamic_state dynamic_state;

static bool has_data_dependent_node(const ingot_graph *g) {
  for (int32_t i = 0; i < g->nb_nodes; i++)
    if (ingot_op_is_data_dependent(g->nodes[i].op)) return true;
  return false;
}

static void state_free(dynamic_state *d) {
  if (!d) return;
  free(d->bound_dims);
  free(d->report_dims);
  free(d->scratch_dims);
  free(d->scratch_dtypes);
  ingot_value_store_free(&d->planned);
  ingot_value_store_free(&d->rerun);
  free(d);
}

static ingot_status state_new(const ingot_graph *g, dynamic_state **out) {
  *out = NULL;
  dynamic_state *d = ingot_calloc(1, sizeof *d);
  if (!d) return INGOT_OUT_OF_MEMORY;
  size_t nt = (size_t)g->nb_tensors + 1;
  d->bound_dims = ingot_calloc(nt, sizeof(ingot_dims));
  d->report_dims = ingot_calloc(nt, sizeof(ingot_dims));
  d->scratch_dims = ingot_calloc(nt, sizeof(ingot_dims));
  d->scratch_dtypes = ingot_calloc(nt, sizeof(ingot_dtype));
  ingot_status st = d->bound_dims && d->report_dims && d->scratch_dims && d->scratch_dtypes ? INGOT_SUCCESS
                                                                                             : INGOT_OUT_OF_MEMORY;
  if (st == INGOT_SUCCESS) st = ingot_value_store_init(&d->planned, g, ingot_cpu_eval_node);
  if (st == INGOT_SUCCESS) st = ingot_value_store_init(&d->rerun, g, ingot_cpu_eval_node);
  if (st != INGOT_SUCCESS) {
    state_free(d);
    return st;
  }
  *out = d;
  return INGOT_SUCCESS;
}

ingot_status ingot_dynamic_create(ingot_execution_context *c) {
  c->dynamic = NULL;
  if (!has_data_dependent_node(c->engine->graph)) return INGOT_SUCCESS;
  return state_new(c->engine->graph, &c->dynamic);
}

void ingot_dynamic_destroy(ingot_execution_context *c) {
  state_free(c->dynamic);
  c->dynamic = NULL;
}

/* Values of tensors produced after node `index` are recomputed by the next inference:
 * stale pointers must not stand in for values it cannot compute. */
static void forget_later_values(const ingot_graph *g, int32_t index, ingot_value_store *store) {
  for (int32_t j = index + 1; j < g->nb_nodes; j++)
    for (int32_t k = 0; k < g->nodes[j].nb_outputs; k++) {
      int32_t t = g->nodes[j].outputs[k];
      if (g->tensors[t].kind == INGOT_TENSOR_KIND_ACTIVATION) store->data[t] = NULL;
    }
}

/* Whether every input of node n has a known value (its dims are then exact). */
static bool inputs_known(const ingot_node *n, const ingot_value_store *store) {
  for (int32_t k = 0; k < n->nb_inputs; k++)
    if (n->inputs[k] >= 0 && !store->data[n->inputs[k]]) return false;
  return n->op != INGOT_OP_NON_MAX_SUPPRESSION;
}

/* The probe (see the top of the file): `bound`/`dtypes` from the inference at the bounds,
 * whose values `planned` holds; `store` is the scratch value store (it grows here, which
 * also sizes it for the re-inferences of a run). Fills `report`. */
static void probe(const ingot_graph *g, const ingot_dims *bound, const ingot_dtype *dtypes,
                  const ingot_value_store *planned, ingot_value_store *store, ingot_dims *scratch,
                  ingot_dtype *scratch_dtypes, ingot_dims *report) {
  size_t nt = (size_t)g->nb_tensors;
  memcpy(scratch, bound, nt * sizeof *scratch);
  memcpy(scratch_dtypes, dtypes, nt * sizeof *scratch_dtypes);
  ingot_value_store_reset(store, g, true);
  memcpy(store->data, planned->data, nt * sizeof *store->data);
  bool failed = false;
  for (int32_t i = 0; i < g->nb_nodes && !failed; i++) {
    const ingot_node *n = &g->nodes[i];
    if (!ingot_op_is_data_dependent(n->op) || inputs_known(n, store)) continue;
    for (int32_t k = 0; k < n->nb_outputs; k++) {
      int32_t t = n->outputs[k], d = ingot_op_data_dependent_dim(n, k, scratch[t].nb_dims);
      if (d >= 0 && scratch[t].d[d] > 0) scratch[t].d[d]--;
      store->data[t] = NULL;
    }
    forget_later_values(g, i, store);
    failed = ingot_graph_infer_nodes(g, i + 1, scratch, scratch_dtypes, store) != INGOT_SUCCESS;
  }
  memcpy(report, bound, nt * sizeof *report);
  if (failed) { /* every tensor reachable from a data-dependent node: all dims unknown */
    uint8_t *reach = (uint8_t *)scratch_dtypes; /* reused: dtypes are no longer needed */
    memset(reach, 0, nt);
    for (int32_t i = 0; i < g->nb_nodes; i++) {
      const ingot_node *n = &g->nodes[i];
      bool r = ingot_op_is_data_dependent(n->op);
      for (int32_t k = 0; k < n->nb_inputs && !r; k++) r = n->inputs[k] >= 0 && reach[n->inputs[k]];
      for (int32_t k = 0; k < n->nb_outputs && r; k++) reach[n->outputs[k]] = 1;
    }
    for (size_t t = 0; t < nt; t++)
      for (int32_t k = 0; reach[t] && k < report[t].nb_dims; k++) report[t].d[k] = -1;
    return;
  }
  for (size_t t = 0; t < nt; t++)
    for (int32_t k = 0; k < report[t].nb_dims; k++)
      if (scratch[t].nb_dims != bound[t].nb_dims || scratch[t].d[k] != bound[t].d[k]) report[t].d[k] = -1;
}

ingot_status ingot_dynamic_planned(ingot_execution_context *c) {
  dynamic_state *d = c->dynamic;
  if (!d) return INGOT_SUCCESS;
  const ingot_graph *g = c->engine->graph;
  size_t nt = (size_t)g->nb_tensors;
  d->executed = false;
  memcpy(d->bound_dims, c->dims, nt * sizeof *d->bound_dims);
  /* the values at the bounds, kept for every run's re-inference */
  INGOT_TRY(ingot_graph_infer(g, c->input_dims, d->scratch_dims, d->scratch_dtypes, &d->planned));
  probe(g, d->bound_dims, c->dtypes, &d->planned, &d->rerun, d->scratch_dims, d->scratch_dtypes, d->report_dims);
  return INGOT_SUCCESS;
}

void ingot_dynamic_begin(ingot_execution_context *c) {
  dynamic_state *d = c->dynamic;
  if (!d) return;
  const ingot_graph *g = c->engine->graph;
  d->executed = false;
  memcpy(c->dims, d->bound_dims, (size_t)g->nb_tensors * sizeof *c->dims);
  ingot_value_store_reset(&d->rerun, g, false);
  memcpy(d->rerun.data, d->planned.data, (size_t)g->nb_tensors * sizeof *d->rerun.data);
}

ingot_status ingot_dynamic_after_node(ingot_execution_context *c, int32_t index, const ingot_dims *real_dims) {
  dynamic_state *d = c->dynamic;
  const ingot_graph *g = c->engine->graph;
  const ingot_node *n = &g->nodes[index];
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE];
  for (int32_t k = 0; k < n->nb_outputs; k++) {
    int32_t t = n->outputs[k];
    bool ok = real_dims[k].nb_dims == c->dims[t].nb_dims;
    for (int32_t j = 0; ok && j < real_dims[k].nb_dims; j++)
      ok = real_dims[k].d[j] >= 0 && real_dims[k].d[j] <= c->dims[t].d[j];
    if (!ok)
      return ingot_node_fail(n, INGOT_INTERNAL_ERROR, "output '%s' came out %s, outside its bound %s",
                             g->tensors[t].name, ingot_dims_format(&real_dims[k], a, sizeof a),
                             ingot_dims_format(&c->dims[t], b, sizeof b));
    c->dims[t] = real_dims[k];
    d->rerun.data[t] = NULL;
  }
  forget_later_values(g, index, &d->rerun);
  ingot_status st = ingot_graph_infer_nodes(g, index + 1, c->dims, c->dtypes, &d->rerun);
  if (st != INGOT_SUCCESS) {
    ingot_error_prefix("after layer '%s' gave its data-dependent output", n->name);
    return st;
  }
  for (int32_t j = index + 1; j < g->nb_nodes; j++)
    for (int32_t k = 0; k < g->nodes[j].nb_outputs; k++) {
      int32_t t = g->nodes[j].outputs[k];
      uint64_t bytes = (uint64_t)ingot_dims_volume(&c->dims[t]) * ingot_dtype_size(c->dtypes[t]);
      if (bytes > c->sizes[t])
        return ingot_node_fail(&g->nodes[j], INGOT_RUNTIME_ERROR,
                               "output '%s' needs %llu bytes at dims %s, more than the %llu bytes planned at its bound "
                               "%s (its dims grow when a data-dependent extent shrinks)",
                               g->tensors[t].name, (unsigned long long)bytes,
                               ingot_dims_format(&c->dims[t], a, sizeof a), (unsigned long long)c->sizes[t],
                               ingot_dims_format(&d->bound_dims[t], b, sizeof b));
    }
  return INGOT_SUCCESS;
}

void ingot_dynamic_end(ingot_execution_context *c) {
  if (c->dynamic) c->dynamic->executed = true;
}

ingot_dims ingot_dynamic_reported_dims(const ingot_execution_context *c, int32_t t) {
  const dynamic_state *d = c->dynamic;
  if (!d || d->executed) return c->dims[t];
  return d->report_dims[t];
}

ingot_status ingot_dynamic_mark_output_dims(const ingot_graph *g, ingot_dims *output_dims) {
  if (!has_data_dependent_node(g) || g->nb_outputs == 0) return INGOT_SUCCESS;
  dynamic_state *d = NULL;
  INGOT_TRY(state_new(g, &d));
  ingot_dims *in = ingot_calloc((size_t)g->nb_inputs + 1, sizeof *in);
  ingot_dtype *dtypes = ingot_calloc((size_t)g->nb_tensors + 1, sizeof *dtypes);
  ingot_status st = in && dtypes ? INGOT_SUCCESS : INGOT_OUT_OF_MEMORY;
  for (int32_t p = 0; p < g->nb_profiles && st == INGOT_SUCCESS; p++)
    for (int s = 0; s < 3 && st == INGOT_SUCCESS; s++) {
      for (int32_t i = 0; i < g->nb_inputs; i++) {
        const ingot_profile_dims *pd = &g->profiles[p * g->nb_inputs + i];
        in[i] = s == 0 ? pd->min : s == 1 ? pd->opt : pd->max;
      }
      st = ingot_graph_infer(g, in, d->bound_dims, dtypes, &d->planned);
      if (st != INGOT_SUCCESS) break;
      probe(g, d->bound_dims, dtypes, &d->planned, &d->rerun, d->scratch_dims, d->scratch_dtypes, d->report_dims);
      for (int32_t o = 0; o < g->nb_outputs; o++) {
        const ingot_dims *r = &d->report_dims[g->outputs[o]];
        for (int32_t k = 0; k < r->nb_dims && k < output_dims[o].nb_dims; k++)
          if (r->d[k] < 0) output_dims[o].d[k] = -1;
      }
    }
  free(in);
  free(dtypes);
  state_free(d);
  return st;
}

ingot_status ingot_execution_context_get_tensor_max_shape(ingot_execution_context *c, const char *name,
                                                          ingot_dims *dims_out) {
  INGOT_CHECK_NULL(c, "ingot_execution_context_get_tensor_max_shape");
  INGOT_CHECK_NULL(dims_out, "ingot_execution_context_get_tensor_max_shape");
  /* checks the name and makes the shapes ready */
  INGOT_TRY(ingot_execution_context_get_tensor_shape(c, name, dims_out));
  const ingot_engine *e = c->engine;
  int32_t i = ingot_engine_find_io(e, name, "ingot_execution_context_get_tensor_max_shape");
  if (i >= e->graph->nb_inputs && c->dynamic) *dims_out = c->dynamic->bound_dims[e->io_tensors[i]];
  return INGOT_SUCCESS;
}
