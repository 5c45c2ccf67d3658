/* Plugin tactics: the bridge from a node's kernel args to the instance's enqueue. The
 * tensor views are passed as they are (ingot_plugin_tensor has ingot_tensor_view's
 * layout, checked below), so running a plugin allocates nothing. */
#include <stddef.h>

#include "backend/plugin_tactic.h"
#include "ingot/builder.h"
#include "plugin/plugin_internal.h"

_Static_assert(sizeof(ingot_plugin_tensor) == sizeof(ingot_tensor_view), "plugin tensor layout");
_Static_assert(offsetof(ingot_plugin_tensor, dtype) == offsetof(ingot_tensor_view, dtype), "plugin tensor dtype");
_Static_assert(offsetof(ingot_plugin_tensor, dims) == offsetof(ingot_tensor_view, dims), "plugin tensor dims");
_Static_assert(offsetof(ingot_plugin_tensor, data) == offsetof(ingot_tensor_view, data), "plugin tensor data");

static bool supports_on(const ingot_node *node, const ingot_tensor_view *in, const ingot_tensor_view *out,
                        int32_t target) {
  const ingot_plugin *p = node->plugin;
  if (!ingot_plugin_is_instantiated(p)) return false;
  const ingot_plugin_vtbl *v = p->inst.vtbl;
  if (target == INGOT_TARGET_CUDA && !v->enqueue_cuda) return false;
  for (int32_t k = 0; k < node->nb_inputs + node->nb_outputs; k++) {
    ingot_dtype dtype = k < node->nb_inputs ? in[k].dtype : out[k - node->nb_inputs].dtype;
    bool ok = v->supports_format ? v->supports_format(p->inst.self, k, node->nb_inputs, dtype, target) != 0
                                 : dtype == INGOT_FLOAT32;
    if (!ok) return false;
  }
  return true;
}

bool ingot_plugin_cpu_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                               const ingot_tensor_view *outputs) {
  return supports_on(node, inputs, outputs, INGOT_TARGET_CPU);
}

static bool cuda_supports(const ingot_node *node, const ingot_tensor_view *inputs, const ingot_tensor_view *outputs) {
  return supports_on(node, inputs, outputs, INGOT_TARGET_CUDA);
}

uint64_t ingot_plugin_workspace(const ingot_kernel_args *args) {
  const ingot_plugin *p = args->node->plugin;
  if (!ingot_plugin_is_instantiated(p) || !p->inst.vtbl->get_workspace_size) return 0;
  return p->inst.vtbl->get_workspace_size(p->inst.self, (const ingot_plugin_tensor *)args->inputs, args->nb_inputs,
                                          (const ingot_plugin_tensor *)args->outputs, args->nb_outputs);
}

static ingot_status run_on(const ingot_kernel_args *args, bool cuda) {
  const ingot_node *node = args->node;
  const ingot_plugin *p = node->plugin;
  if (!ingot_plugin_is_instantiated(p)) return ingot_node_fail(node, INGOT_INVALID_STATE, "plugin not loaded");
  const ingot_plugin_vtbl *v = p->inst.vtbl;
  ingot_status (*enqueue)(void *, const ingot_plugin_tensor *, int32_t, const ingot_plugin_tensor *, int32_t, void *,
                          void *) = cuda ? v->enqueue_cuda : v->enqueue;
  if (!enqueue) return ingot_node_fail(node, INGOT_UNSUPPORTED, "plugin '%s' has no CUDA enqueue", p->name);
  ingot_status st = enqueue(p->inst.self, (const ingot_plugin_tensor *)args->inputs, args->nb_inputs,
                            (const ingot_plugin_tensor *)args->outputs, args->nb_outputs, args->workspace,
                            cuda ? args->stream : NULL);
  if (st == INGOT_SUCCESS) return st;
  return ingot_node_fail(node, INGOT_RUNTIME_ERROR, "plugin '%s' version '%s' namespace '%s': %s failed (%s)", p->name,
                         p->version, p->plugin_namespace, cuda ? "enqueue_cuda" : "enqueue", ingot_status_name(st));
}

ingot_status ingot_plugin_cpu_run(const ingot_kernel_args *args) { return run_on(args, false); }
static ingot_status cuda_run(const ingot_kernel_args *args) { return run_on(args, true); }

const ingot_tactic ingot_plugin_cuda_tactics[] = {
    {INGOT_OP_PLUGIN, "plugin_cuda", 1, cuda_supports, ingot_plugin_workspace, NULL, cuda_run, NULL, NULL},
};
const int32_t ingot_plugin_cuda_tactic_count = 1;
