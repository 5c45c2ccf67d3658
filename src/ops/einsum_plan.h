/* Einsum equations ("bij,bjk->bik", "...ii->...i", "ij") turned into a plan that shape
 * inference and the CPU kernel share: every distinct label (a letter, or one dim covered
 * by "...") gets an extent and, per input, the element stride it advances by. A repeated
 * letter in one term adds the strides of its axes (a diagonal); a dim of 1 facing a larger
 * extent gets stride 0 (broadcast). The plan lives on the stack: no allocation. */
#ifndef INGOT_OPS_EINSUM_PLAN_H
#define INGOT_OPS_EINSUM_PLAN_H

#include "ops/graph.h"

/* Each input has at most 8 axes, so two inputs name at most 16 labels. */
#define INGOT_EINSUM_MAX_LABELS (2 * INGOT_MAX_DIMS)

typedef struct ingot_einsum_plan {
  int32_t nb_inputs;
  int32_t nb_labels;
  int64_t extent[INGOT_EINSUM_MAX_LABELS];
  int64_t stride[2][INGOT_EINSUM_MAX_LABELS]; /* elements; 0 where an input lacks the label */
  int32_t nb_out;                             /* output rank */
  int32_t out_label[INGOT_MAX_DIMS];
  int32_t nb_sum; /* labels summed over (not in the output) */
  int32_t sum_label[INGOT_EINSUM_MAX_LABELS];
  ingot_dims out_dims;
} ingot_einsum_plan;

/* Parses `equation` for inputs of `dims` (nb_inputs of them, 1 or 2); fails through
 * ingot_node_fail naming what in the equation does not fit the inputs. */
ingot_status ingot_einsum_plan_make(const ingot_node *node, const char *equation, int32_t nb_inputs,
                                    const ingot_dims *dims, ingot_einsum_plan *plan);

#endif
