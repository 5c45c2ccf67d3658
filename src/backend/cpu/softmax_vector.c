/* softmax_f32_vector: softmax and log-softmax over the last axis (contiguous rows) in
 * float32, through vmath.c (vector max, exp and sum in one pass, then one scaling pass),
 * the fast tactic beside the reference (softmax.c, which sums in double). Attention's
 * score rows are its main customer. Other axes are left to the reference. Edge rows as
 * the reference: a NaN makes the row NaN, a row of -inf gives NaN (0 / 0), +inf gives NaN. */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/vmath.h"
#include "core/dims.h"

typedef struct rows_job {
  const float *x;
  float *y;
  int64_t len;
  int32_t log;
} rows_job;

static void softmax_rows(void *ctx, int64_t begin, int64_t end) {
  const rows_job *j = ctx;
  for (int64_t r = begin; r < end; r++) {
    const float *x = j->x + r * j->len;
    float *y = j->y + r * j->len;
    float max = ingot_vmath_max(x, j->len);
    if (isinf(max) && max < 0) max = 0.0f; /* all -inf: keep -inf - -inf = NaN out of the shift */
    float sum = ingot_vmath_exp_shift_sum(x, max, y, j->len);
    if (j->log) {
      /* (x - max) first: max + log(sum) rounded as one float would lose the small part */
      float lse = logf(sum);
      for (int64_t i = 0; i < j->len; i++) y[i] = (x[i] - max) - lse;
    } else {
      ingot_vmath_scale(y, 1.0f / sum, j->len);
    }
  }
}

/* The axis, normalized, when it is innermost in memory (every later dim is 1). */
static bool last_axis(const ingot_node *node, const ingot_dims *d, int32_t *axis_out) {
  if (!ingot_axis_normalize(node->params.softmax.axis, d->nb_dims, axis_out)) return false;
  for (int32_t i = *axis_out + 1; i < d->nb_dims; i++)
    if (d->d[i] != 1) return false;
  return true;
}

bool ingot_cpu_softmax_vector_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                       const ingot_tensor_view *outputs) {
  int32_t axis;
  return inputs[0].dtype == INGOT_FLOAT32 && outputs[0].dtype == INGOT_FLOAT32 &&
         last_axis(node, &inputs[0].dims, &axis);
}

INGOT_CPU_KERNEL(ingot_cpu_softmax_vector) {
  const ingot_tensor_view *xv = &args->inputs[0];
  int32_t axis;
  if (xv->dtype != INGOT_FLOAT32 || args->outputs[0].dtype != INGOT_FLOAT32 || !last_axis(args->node, &xv->dims, &axis))
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "softmax_f32_vector takes float32 over the innermost axis");
  rows_job j = {.x = xv->data, .y = args->outputs[0].data, .len = xv->dims.d[axis], .log = args->params->softmax.log};
  int64_t volume = ingot_dims_volume(&xv->dims);
  if (j.len <= 0 || volume <= 0) return INGOT_SUCCESS;
  ingot_parallel_for(args->pool, volume / j.len, 4096 / (j.len + 1) + 1, softmax_rows, &j);
  return INGOT_SUCCESS;
}
