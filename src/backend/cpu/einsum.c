/* Einsum on the CPU: the general reference. The equation is parsed on each run into a
 * plan on the stack (ops/einsum_plan.h: per label an extent and a stride per input), then
 * every output element sums the product of its inputs over the labels that are not in
 * the output, walking them as an odometer that moves the input offsets by their strides.
 * Diagonals (repeated letters), broadcast '...' dims and transposes all come out of the
 * strides. Accumulates in double; parallel over output elements. */
#include <string.h>

#include "backend/cpu/cpu_kernels.h"
#include "core/dims.h"
#include "core/error.h"
#include "ops/einsum_plan.h"

typedef struct einsum_job {
  const ingot_einsum_plan *plan;
  const float *in[2];
  float *out;
  int64_t sum_count; /* product of the summed extents */
} einsum_job;

static void einsum_range(void *ctx, int64_t begin, int64_t end) {
  const einsum_job *j = ctx;
  const ingot_einsum_plan *p = j->plan;
  const int32_t two = p->nb_inputs == 2;
  for (int64_t e = begin; e < end; e++) {
    /* offsets of the output coordinate in each input */
    int64_t off0 = 0, off1 = 0, rem = e;
    for (int32_t k = p->nb_out - 1; k >= 0; k--) {
      int32_t l = p->out_label[k];
      int64_t i = rem % p->extent[l];
      rem /= p->extent[l];
      off0 += i * p->stride[0][l];
      off1 += i * p->stride[1][l];
    }
    double acc = 0.0;
    int64_t idx[INGOT_EINSUM_MAX_LABELS] = {0};
    for (int64_t s = 0; s < j->sum_count; s++) {
      acc += two ? (double)j->in[0][off0] * (double)j->in[1][off1] : (double)j->in[0][off0];
      for (int32_t k = p->nb_sum - 1; k >= 0; k--) {
        int32_t l = p->sum_label[k];
        off0 += p->stride[0][l];
        off1 += p->stride[1][l];
        if (++idx[k] < p->extent[l]) break;
        off0 -= p->stride[0][l] * p->extent[l];
        off1 -= p->stride[1][l] * p->extent[l];
        idx[k] = 0;
      }
    }
    j->out[e] = (float)acc;
  }
}

INGOT_CPU_KERNEL(ingot_cpu_einsum) {
  ingot_dims dims[2];
  memset(dims, 0, sizeof dims);
  for (int32_t k = 0; k < args->nb_inputs && k < 2; k++) dims[k] = args->inputs[k].dims;
  ingot_einsum_plan plan;
  INGOT_TRY(ingot_einsum_plan_make(args->node, args->params->einsum.equation, args->nb_inputs, dims, &plan));
  einsum_job j;
  j.plan = &plan;
  j.in[0] = args->inputs[0].data;
  j.in[1] = args->nb_inputs > 1 ? args->inputs[1].data : NULL;
  j.out = args->outputs[0].data;
  j.sum_count = 1;
  for (int32_t k = 0; k < plan.nb_sum; k++) j.sum_count *= plan.extent[plan.sum_label[k]];
  const int64_t n = ingot_dims_volume(&plan.out_dims);
  if (n <= 0) return INGOT_SUCCESS;
  const int64_t work = j.sum_count > 0 ? j.sum_count : 1;
  ingot_parallel_for(args->pool, n, work >= 16384 ? 1 : 16384 / work, einsum_range, &j);
  return INGOT_SUCCESS;
}
