/* The memory planner: packs every activation into one arena by lifetime. Used by the
 * builder (to size the arena at each profile's max shapes) and by execution contexts
 * (to place tensors for the shapes actually set). */
#ifndef INGOT_BUILDER_MEMORY_PLAN_H
#define INGOT_BUILDER_MEMORY_PLAN_H

#include "ops/graph.h"

#define INGOT_ARENA_ALIGNMENT 64u

/* True for tensors that live in the arena: activations that are not graph outputs. */
bool ingot_tensor_in_arena(const ingot_graph *graph, int32_t t);

/* sizes[t]: bytes of tensor t (ignored for tensors not in the arena). Fills offsets[t]
 * (UINT64_MAX for tensors not in the arena) and the arena size. Two tensors share bytes
 * only if their lifetimes (producer to last reader) do not overlap. alias (NULL: none):
 * alias[t] >= 0 says tensor t is tensor alias[t]'s bytes (a reshape's output, resolved to
 * the first of a chain): t gets no place of its own (offset UINT64_MAX) and alias[t] lives
 * until t's last reader. */
ingot_status ingot_memory_plan(const ingot_graph *graph, const uint64_t *sizes, const int32_t *alias,
                               uint64_t *offsets_out, uint64_t *arena_size_out);

#endif
