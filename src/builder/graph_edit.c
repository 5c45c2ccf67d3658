/* Graph editing for the passes: copy, insert, count uses, and compaction (dead-layer
 * removal and renumbering after passes have detached nodes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/builder_internal.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/logger.h"
#include "plugin/plugin_internal.h"

ingot_status ingot_graph_copy(const ingot_graph *src, ingot_graph **dst_out) {
  ingot_graph *g;
  INGOT_TRY(ingot_graph_create(&g));
  ingot_status st = INGOT_SUCCESS;
  for (int32_t t = 0; t < src->nb_tensors && st == INGOT_SUCCESS; t++) {
    const ingot_graph_tensor *s = &src->tensors[t];
    st = ingot_graph_add_tensor(g, s->name, s->dtype, &s->dims, (ingot_tensor_kind)s->kind, NULL);
    if (st == INGOT_SUCCESS) {
      g->tensors[t].is_output = s->is_output;
      g->tensors[t].producer = s->producer;
      if (s->kind == INGOT_TENSOR_KIND_CONSTANT) st = ingot_graph_set_constant(g, t, s->data, s->data_size);
    }
  }
  for (int32_t i = 0; i < src->nb_nodes && st == INGOT_SUCCESS; i++) {
    const ingot_node *s = &src->nodes[i];
    st = ingot_graph_add_node(g, s->name, s->op, &s->params, s->inputs, s->nb_inputs, NULL);
    if (st == INGOT_SUCCESS) {
      ingot_node *d = &g->nodes[i];
      d->nb_outputs = s->nb_outputs;
      memcpy(d->outputs, s->outputs, sizeof d->outputs);
      if (s->fused_name && !(d->fused_name = ingot_strdup(s->fused_name))) st = INGOT_OUT_OF_MEMORY;
      if (st == INGOT_SUCCESS && s->plugin) st = ingot_plugin_copy(s->plugin, &d->plugin);
    }
  }
  if (st == INGOT_SUCCESS) {
    g->inputs = ingot_calloc((size_t)src->nb_inputs + 1, sizeof(int32_t));
    g->outputs = ingot_calloc((size_t)src->nb_outputs + 1, sizeof(int32_t));
    g->profiles = ingot_calloc((size_t)src->nb_profiles * (size_t)src->nb_inputs + 1, sizeof(ingot_profile_dims));
    if (!g->inputs || !g->outputs || !g->profiles) st = INGOT_OUT_OF_MEMORY;
  }
  if (st != INGOT_SUCCESS) {
    ingot_graph_destroy(g);
    return st;
  }
  /* (memcpy from a NULL array is undefined even for 0 bytes) */
  if (src->nb_inputs) memcpy(g->inputs, src->inputs, (size_t)src->nb_inputs * sizeof(int32_t));
  if (src->nb_outputs) memcpy(g->outputs, src->outputs, (size_t)src->nb_outputs * sizeof(int32_t));
  if (src->nb_profiles && src->nb_inputs)
    memcpy(g->profiles, src->profiles, (size_t)src->nb_profiles * (size_t)src->nb_inputs * sizeof(ingot_profile_dims));
  g->nb_inputs = src->nb_inputs;
  g->nb_outputs = src->nb_outputs;
  g->nb_profiles = src->nb_profiles;
  *dst_out = g;
  return INGOT_SUCCESS;
}

ingot_status ingot_graph_insert_node(ingot_graph *graph, int32_t position, const char *name, ingot_op op,
                                     const ingot_op_params *params, const int32_t *inputs, int32_t nb_inputs,
                                     int32_t *index_out) {
  int32_t last;
  INGOT_TRY(ingot_graph_add_node(graph, name, op, params, inputs, nb_inputs, &last));
  if (position < last) {
    ingot_node tmp = graph->nodes[last];
    memmove(&graph->nodes[position + 1], &graph->nodes[position], (size_t)(last - position) * sizeof(ingot_node));
    graph->nodes[position] = tmp;
    for (int32_t t = 0; t < graph->nb_tensors; t++)
      if (graph->tensors[t].producer >= position) graph->tensors[t].producer++;
  }
  if (index_out) *index_out = position < last ? position : last;
  return INGOT_SUCCESS;
}

int32_t ingot_graph_use_count(const ingot_graph *graph, int32_t t) {
  int32_t uses = graph->tensors[t].is_output ? 1 : 0;
  for (int32_t i = 0; i < graph->nb_nodes; i++)
    for (int32_t k = 0; k < graph->nodes[i].nb_inputs; k++)
      if (graph->nodes[i].inputs[k] == t) uses++;
  return uses;
}

ingot_status ingot_graph_compact(ingot_graph *graph, const uint8_t *remove_node) {
  int32_t nn = graph->nb_nodes, nt = graph->nb_tensors;
  uint8_t *live_node = ingot_calloc((size_t)nn + 1, 1);
  uint8_t *live_tensor = ingot_calloc((size_t)nt + 1, 1);
  int32_t *node_map = ingot_calloc((size_t)nn + 1, sizeof(int32_t));
  int32_t *tensor_map = ingot_calloc((size_t)nt + 1, sizeof(int32_t));
  if (!live_node || !live_tensor || !node_map || !tensor_map) {
    free(live_node), free(live_tensor), free(node_map), free(tensor_map);
    return INGOT_OUT_OF_MEMORY;
  }
  /* Live: outputs and inputs of the graph, then everything a live node reads, walking
   * backwards (nodes are in topological order). */
  for (int32_t i = 0; i < graph->nb_outputs; i++) live_tensor[graph->outputs[i]] = 1;
  for (int32_t i = 0; i < graph->nb_inputs; i++) live_tensor[graph->inputs[i]] = 1;
  for (int32_t i = nn - 1; i >= 0; i--) {
    const ingot_node *n = &graph->nodes[i];
    if (remove_node && remove_node[i]) continue;
    bool needed = false;
    for (int32_t k = 0; k < n->nb_outputs; k++)
      if (live_tensor[n->outputs[k]] && graph->tensors[n->outputs[k]].producer == i) needed = true;
    if (!needed) continue;
    live_node[i] = 1;
    for (int32_t k = 0; k < n->nb_outputs; k++) live_tensor[n->outputs[k]] = 1;
    for (int32_t k = 0; k < n->nb_inputs; k++)
      if (n->inputs[k] >= 0) live_tensor[n->inputs[k]] = 1;
  }
  int32_t nodes_kept = 0, tensors_kept = 0;
  for (int32_t t = 0; t < nt; t++) {
    if (!live_tensor[t]) {
      free(graph->tensors[t].name);
      ingot_aligned_free(graph->tensors[t].data);
      tensor_map[t] = -1;
      continue;
    }
    tensor_map[t] = tensors_kept;
    graph->tensors[tensors_kept++] = graph->tensors[t];
  }
  for (int32_t i = 0; i < nn; i++) {
    if (!live_node[i]) {
      ingot_node_clear(&graph->nodes[i]);
      node_map[i] = -1;
      continue;
    }
    node_map[i] = nodes_kept;
    graph->nodes[nodes_kept++] = graph->nodes[i];
  }
  graph->nb_tensors = tensors_kept;
  graph->nb_nodes = nodes_kept;
  for (int32_t t = 0; t < tensors_kept; t++) {
    ingot_graph_tensor *gt = &graph->tensors[t];
    gt->producer = gt->producer >= 0 ? node_map[gt->producer] : -1;
    /* A tensor whose producer was removed but that is still read holds constant data
     * (folded) or is a bug caught by validation. */
  }
  for (int32_t i = 0; i < nodes_kept; i++) {
    ingot_node *n = &graph->nodes[i];
    for (int32_t k = 0; k < n->nb_inputs; k++)
      if (n->inputs[k] >= 0) n->inputs[k] = tensor_map[n->inputs[k]];
    for (int32_t k = 0; k < n->nb_outputs; k++) n->outputs[k] = tensor_map[n->outputs[k]];
  }
  for (int32_t i = 0; i < graph->nb_inputs; i++) graph->inputs[i] = tensor_map[graph->inputs[i]];
  for (int32_t i = 0; i < graph->nb_outputs; i++) graph->outputs[i] = tensor_map[graph->outputs[i]];
  free(live_node), free(live_tensor), free(node_map), free(tensor_map);
  return ingot_graph_validate(graph);
}

ingot_status ingot_build_roll_back(ingot_build *build, ingot_graph *saved, ingot_status st, const char *fallback) {
  if (st == INGOT_OUT_OF_MEMORY) {
    ingot_graph_destroy(saved);
    return st;
  }
  char why[512];
  snprintf(why, sizeof why, "%s", ingot_last_error());
  ingot_graph_destroy(build->graph);
  build->graph = saved;
  ingot_log(build->logger, INGOT_SEVERITY_WARNING, "%s: %s", fallback, why);
  return ingot_build_infer_all(build);
}
