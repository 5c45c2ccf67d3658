/* The tactics that run plugin layers: one row in each backend's table. The CPU row calls
 * the instance's enqueue with host pointers; the CUDA row (listed by the cuda backend)
 * calls enqueue_cuda with device pointers and the context's stream, and supports only
 * plugins that have it. Neither needs any backend internals. */
#ifndef INGOT_BACKEND_PLUGIN_TACTIC_H
#define INGOT_BACKEND_PLUGIN_TACTIC_H

#include "backend/backend.h"

bool ingot_plugin_cpu_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                               const ingot_tensor_view *outputs);
uint64_t ingot_plugin_workspace(const ingot_kernel_args *args);
ingot_status ingot_plugin_cpu_run(const ingot_kernel_args *args);
/* The CUDA row, as an array of one for the cuda backend's table. */
extern const ingot_tactic ingot_plugin_cuda_tactics[];
extern const int32_t ingot_plugin_cuda_tactic_count;

#endif
