/* Scalar reference softmax and log-softmax along one axis, float32. Numerically stable:
 * the maximum is subtracted before exp; the sum is kept in double. */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "core/dims.h"

typedef struct softmax_job {
  const float *x;
  float *y;
  int64_t len, inner; /* axis length; elements after the axis (the stride along it) */
  int32_t log;
} softmax_job;

/* Item = one (outer, inner) pair: a vector of `len` values `inner` apart. */
static void softmax_vectors(void *ctx, int64_t begin, int64_t end) {
  const softmax_job *j = ctx;
  for (int64_t v = begin; v < end; v++) {
    int64_t start = (v / j->inner) * j->len * j->inner + v % j->inner;
    const float *x = j->x + start;
    float *y = j->y + start;
    float max = -INFINITY;
    for (int64_t i = 0; i < j->len; i++)
      if (x[i * j->inner] > max) max = x[i * j->inner];
    if (isinf(max) && max < 0) max = 0.0f; /* all -inf: avoid -inf - -inf = NaN here */
    double sum = 0.0;
    for (int64_t i = 0; i < j->len; i++) sum += exp((double)x[i * j->inner] - (double)max);
    if (j->log) {
      double lse = log(sum);
      for (int64_t i = 0; i < j->len; i++) y[i * j->inner] = (float)((double)x[i * j->inner] - (double)max - lse);
    } else {
      for (int64_t i = 0; i < j->len; i++)
        y[i * j->inner] = (float)(exp((double)x[i * j->inner] - (double)max) / sum);
    }
  }
}

ingot_status ingot_cpu_softmax(const ingot_kernel_args *args) {
  const ingot_tensor_view *xv = &args->inputs[0];
  if (xv->dtype != INGOT_FLOAT32 || args->outputs[0].dtype != INGOT_FLOAT32)
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "the reference kernel takes float32, found %s -> %s",
                           ingot_dtype_name(xv->dtype), ingot_dtype_name(args->outputs[0].dtype));
  int32_t axis;
  if (!ingot_axis_normalize(args->params->softmax.axis, xv->dims.nb_dims, &axis))
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "axis %d is out of range for rank %d",
                           (int)args->params->softmax.axis, (int)xv->dims.nb_dims);
  softmax_job j = {.x = xv->data, .y = args->outputs[0].data, .len = xv->dims.d[axis], .inner = 1,
                   .log = args->params->softmax.log};
  int64_t outer = 1;
  for (int32_t i = 0; i < axis; i++) outer *= xv->dims.d[i];
  for (int32_t i = axis + 1; i < xv->dims.nb_dims; i++) j.inner *= xv->dims.d[i];
  if (j.len == 0 || j.inner == 0) return INGOT_SUCCESS;
  int64_t vectors = outer * j.inner;
  int64_t grain = 4096 / (j.len + 1) + 1;
  ingot_parallel_for(args->pool, vectors, grain, softmax_vectors, &j);
  return INGOT_SUCCESS;
}
