/* Layers that take dims from an optional int 1-D tensor (network.h: shuffle input 1, slice
 * inputs 1..3, padding input 1; fill, expand, tile and range read their value inputs the
 * same way). Shape inference and the CPU kernels both resolve a node's effective params
 * here, so the dims a kernel works with are the dims inference checked: at inference the
 * value is the one the value store computed, at run time the tensor's data holds the same
 * values. Kernels pass their views as ingot_value_info (dtype, dims, data). */
#ifndef INGOT_OPS_DIMS_INPUTS_H
#define INGOT_OPS_DIMS_INPUTS_H

#include <stdbool.h>

#include "ops/graph.h"

/* Is input k of the node present (set, and not an absent optional -1)? */
bool ingot_input_present(const ingot_node *node, const ingot_value_info *inputs, int32_t k);

/* Reads input k, an int32 or int64 tensor of rank 1 (rank 0 too when allow_scalar), into
 * `values` as int64; its element count goes to count_out (at most max_count). Fails naming
 * `what` when the dtype or rank is wrong, when it has more than max_count elements, or when
 * its value is unknown ("WHAT must be known when input shapes are set"). */
ingot_status ingot_read_int_input(const ingot_node *node, const ingot_value_info *inputs, int32_t k, const char *what,
                                  bool allow_scalar, int64_t *values, int32_t max_count, int32_t *count_out);

/* The node's params with its value inputs applied (shuffle: reshape dims; slice: start,
 * size, stride; padding: [pre..., post...]). */
ingot_status ingot_shuffle_effective(const ingot_node *node, const ingot_value_info *inputs,
                                     ingot_shuffle_params *out);
ingot_status ingot_slice_effective(const ingot_node *node, const ingot_value_info *inputs, ingot_slice_params *out);
ingot_status ingot_padding_effective(const ingot_node *node, const ingot_value_info *inputs,
                                     ingot_padding_params *out);

#endif
