/* Shape inference and params checks of the attention layer (see ingot_attention_params):
 * rank-4 q, k and v of one float dtype whose batch, head and feature sizes agree under
 * their permutations, and a mask that broadcasts against the scores. */
#include <math.h>

#include "core/dims.h"
#include "core/error.h"
#include "ops/attention_geometry.h"
#include "ops/infer_common.h"
#include "ops/ops.h"

static const char *const operand_names[4] = {"q", "k", "v", "output"};

ingot_status ingot_attention_validate_params(const ingot_node *node) {
  const ingot_attention_params *p = &node->params.attention;
  if (!isfinite(p->scale))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "scale %g must be finite", (double)p->scale);
  if (p->mask_kind < INGOT_ATTENTION_MASK_NONE || p->mask_kind > INGOT_ATTENTION_MASK_SELECT)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "mask kind %d, expected 0 (none), 1 (add) or 2 (select)",
                           (int)p->mask_kind);
  if (p->mask_select != 0 && p->mask_select != 1)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "mask select value %d, expected 0 or 1", (int)p->mask_select);
  if (isnan(p->mask_fill)) return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "mask fill value is NaN");
  for (int32_t t = 0; t < 4; t++) {
    uint32_t seen = 0;
    for (int32_t i = 0; i < 4; i++) {
      int32_t d = p->perm[t][i];
      if (d < 0 || d > 3 || (seen & (1u << d)))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s permutation {%d, %d, %d, %d} is not one of 0..3",
                               operand_names[t], (int)p->perm[t][0], (int)p->perm[t][1], (int)p->perm[t][2],
                               (int)p->perm[t][3]);
      seen |= 1u << d;
    }
  }
  int32_t want = 3 + (p->mask_kind != INGOT_ATTENTION_MASK_NONE);
  if (node->nb_inputs != want)
    return ingot_node_fail(node, INGOT_INVALID_GRAPH, "expected %d inputs for mask kind %d, found %d", (int)want,
                           (int)p->mask_kind, (int)node->nb_inputs);
  return INGOT_SUCCESS;
}

ingot_status ingot_infer_attention(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  INGOT_TRY(ingot_attention_validate_params(node));
  INGOT_TRY(ingot_infer_expect_arity(node, 3, 4, 1));
  const ingot_attention_params *p = &node->params.attention;
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE], c[INGOT_DIMS_STR_SIZE];
  for (int32_t i = 0; i < 3; i++) {
    if (inputs[i].dims.nb_dims != 4)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s has dims %s, expected rank 4 ([batch, heads, seq, dim])",
                             operand_names[i], ingot_dims_format(&inputs[i].dims, a, sizeof a));
    INGOT_TRY(ingot_infer_expect_float(node, operand_names[i], inputs[i].dtype));
    if (inputs[i].dtype != inputs[0].dtype)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%s is %s but q is %s", operand_names[i],
                             ingot_dtype_name(inputs[i].dtype), ingot_dtype_name(inputs[0].dtype));
  }
  const ingot_dims *mask = NULL;
  if (p->mask_kind != INGOT_ATTENTION_MASK_NONE) {
    const ingot_value_info *m = &inputs[3];
    if (m->dims.nb_dims < 0) return ingot_node_fail(node, INGOT_INVALID_GRAPH, "the mask (input 3) is missing");
    ingot_dtype want = p->mask_kind == INGOT_ATTENTION_MASK_ADD ? inputs[0].dtype : INGOT_BOOL;
    if (m->dtype != want)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "the %s mask is %s, expected %s",
                             p->mask_kind == INGOT_ATTENTION_MASK_ADD ? "additive" : "select",
                             ingot_dtype_name(m->dtype), ingot_dtype_name(want));
    if (m->dims.nb_dims > 4)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "the mask has rank %d, at most 4", (int)m->dims.nb_dims);
    mask = &m->dims;
  }
  ingot_attention_geometry g;
  if (!ingot_attention_geometry_make(p, &inputs[0].dims, &inputs[1].dims, &inputs[2].dims, NULL, &g))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "q %s, k %s and v %s do not fit together: under their permutations they must be "
                           "[B, H, Sq, D], [B, H, Sk, D] and [B, H, Sk, Dv]",
                           ingot_dims_format(&inputs[0].dims, a, sizeof a),
                           ingot_dims_format(&inputs[1].dims, b, sizeof b),
                           ingot_dims_format(&inputs[2].dims, c, sizeof c));
  if (mask && !ingot_attention_geometry_make(p, &inputs[0].dims, &inputs[1].dims, &inputs[2].dims, mask, &g)) {
    ingot_dims scores = {4, {g.batch, g.heads, g.sq, g.sk}};
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "the mask %s does not broadcast to the scores %s",
                           ingot_dims_format(mask, a, sizeof a), ingot_dims_format(&scores, b, sizeof b));
  }
  outputs[0].dtype = inputs[0].dtype;
  ingot_attention_output_dims(p, &g, &outputs[0].dims);
  outputs[0].data = NULL;
  return INGOT_SUCCESS;
}
