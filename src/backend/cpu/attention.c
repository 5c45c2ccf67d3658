/* attention_f32_reference: the attention layer (see ingot_attention_params) written out
 * as the chain it replaces, one query row at a time in double: scores scale * q.k, the
 * mask added or selected, softmax with the maximum subtracted, then the weighted sum of
 * the values. A row of -inf scores gives NaN (0 / 0) as the softmax reference does. The
 * scores of one row live in the workspace. */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "ops/attention_geometry.h"

bool ingot_cpu_attention_geometry(const ingot_kernel_args *args, ingot_attention_geometry *g) {
  const ingot_tensor_view *in = args->inputs;
  const ingot_dims *mask = args->nb_inputs > 3 ? &in[3].dims : NULL;
  return ingot_attention_geometry_make(&args->params->attention, &in[0].dims, &in[1].dims, &in[2].dims, mask, g);
}

uint64_t ingot_cpu_attention_workspace(const ingot_kernel_args *args) {
  ingot_attention_geometry g;
  if (!ingot_cpu_attention_geometry(args, &g)) return 0;
  return (uint64_t)(g.sk > 0 ? g.sk : 1) * sizeof(double);
}

INGOT_CPU_KERNEL(ingot_cpu_attention) {
  const ingot_attention_params *p = &args->params->attention;
  ingot_attention_geometry g;
  if (!ingot_cpu_attention_geometry(args, &g))
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "q, k, v and mask dims do not fit together");
  if (args->workspace_size < ingot_cpu_attention_workspace(args))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "workspace too small for %lld scores", (long long)g.sk);
  const float *q = args->inputs[0].data, *k = args->inputs[1].data, *v = args->inputs[2].data;
  const void *mask = g.has_mask ? args->inputs[3].data : NULL;
  float *o = args->outputs[0].data;
  double *s = args->workspace;
  for (int64_t b = 0; b < g.batch; b++)
    for (int64_t h = 0; h < g.heads; h++)
      for (int64_t i = 0; i < g.sq; i++) {
        const float *qi = q + b * g.q[0] + h * g.q[1] + i * g.q[2];
        double max = -INFINITY;
        for (int64_t j = 0; j < g.sk; j++) {
          const float *kj = k + b * g.k[0] + h * g.k[1] + j * g.k[2];
          double dot = 0.0;
          for (int64_t c = 0; c < g.d; c++) dot += (double)qi[c * g.q[3]] * kj[c * g.k[3]];
          double x = dot * p->scale;
          if (mask) {
            int64_t at = b * g.mask[0] + h * g.mask[1] + i * g.mask[2] + j * g.mask[3];
            if (p->mask_kind == INGOT_ATTENTION_MASK_ADD)
              x += ((const float *)mask)[at];
            else if ((((const uint8_t *)mask)[at] != 0) == (p->mask_select != 0))
              x = p->mask_fill;
          }
          s[j] = x;
          if (x > max || isnan(x)) max = isnan(max) ? max : x;
        }
        double sum = 0.0;
        for (int64_t j = 0; j < g.sk; j++) sum += s[j] = exp(s[j] - max);
        float *oi = o + b * g.o[0] + h * g.o[1] + i * g.o[2];
        for (int64_t c = 0; c < g.dv; c++) {
          double acc = 0.0;
          for (int64_t j = 0; j < g.sk; j++) acc += s[j] * v[b * g.v[0] + h * g.v[1] + j * g.v[2] + c * g.v[3]];
          oi[c * g.o[3]] = g.sk > 0 ? (float)(acc / sum) : 0.0f; /* no keys: the unfused chain's empty sum */
        }
      }
  return INGOT_SUCCESS;
}
