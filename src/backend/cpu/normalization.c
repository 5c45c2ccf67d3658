/* Scalar reference batch normalization (inference, over dim 1, or the last dim with
 * channels_last) and layer normalization
 * (over the trailing dims), float32. Statistics are computed in double, two passes. */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "core/error.h"

static ingot_status check_f32(const ingot_kernel_args *args) {
  for (int32_t i = 0; i < args->nb_inputs; i++)
    if (args->inputs[i].data != NULL && args->inputs[i].dtype != INGOT_FLOAT32)
      return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "the reference kernel takes float32, input %d is %s",
                             (int)i, ingot_dtype_name(args->inputs[i].dtype));
  if (args->outputs[0].dtype != INGOT_FLOAT32)
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "the reference kernel takes float32, the output is %s",
                           ingot_dtype_name(args->outputs[0].dtype));
  return INGOT_SUCCESS;
}

/* ---- batch normalization --------------------------------------------------------------- */

typedef struct bn_job {
  const float *x, *scale, *bias, *mean, *var;
  float *y;
  int64_t C, inner;
  float epsilon;
} bn_job;

/* Channels last: rows of C channels, one coefficient per position in the row. */
static void bn_rows(void *ctx, int64_t begin, int64_t end) {
  const bn_job *j = ctx;
  for (int64_t row = begin; row < end; row++)
    for (int64_t c = 0; c < j->C; c++) {
      double a = (double)j->scale[c] / sqrt((double)j->var[c] + (double)j->epsilon);
      double b = (double)j->bias[c] - (double)j->mean[c] * a;
      j->y[row * j->C + c] = (float)((double)j->x[row * j->C + c] * a + b);
    }
}

static void bn_planes(void *ctx, int64_t begin, int64_t end) {
  const bn_job *j = ctx;
  for (int64_t plane = begin; plane < end; plane++) {
    int64_t c = plane % j->C;
    /* y = x * a + b with a = scale / sqrt(var + eps), b = bias - mean * a */
    double a = (double)j->scale[c] / sqrt((double)j->var[c] + (double)j->epsilon);
    double b = (double)j->bias[c] - (double)j->mean[c] * a;
    const float *x = j->x + plane * j->inner;
    float *y = j->y + plane * j->inner;
    for (int64_t i = 0; i < j->inner; i++) y[i] = (float)((double)x[i] * a + b);
  }
}

ingot_status ingot_cpu_batch_normalization(const ingot_kernel_args *args) {
  INGOT_TRY(check_f32(args));
  const ingot_dims *d = &args->inputs[0].dims;
  bn_job j = {
      .x = args->inputs[0].data,
      .scale = args->inputs[1].data,
      .bias = args->inputs[2].data,
      .mean = args->inputs[3].data,
      .var = args->inputs[4].data,
      .y = args->outputs[0].data,
      .C = d->d[1],
      .inner = 1,
      .epsilon = args->params->batchnorm.epsilon,
  };
  if (args->params->batchnorm.channels_last) {
    j.C = d->d[d->nb_dims - 1];
    int64_t rows = 1;
    for (int32_t i = 0; i < d->nb_dims - 1; i++) rows *= d->d[i];
    ingot_parallel_for(args->pool, rows, 64, bn_rows, &j);
    return INGOT_SUCCESS;
  }
  for (int32_t i = 2; i < d->nb_dims; i++) j.inner *= d->d[i];
  ingot_parallel_for(args->pool, d->d[0] * j.C, 1, bn_planes, &j);
  return INGOT_SUCCESS;
}

/* ---- layer normalization --------------------------------------------------------------- */

typedef struct ln_job {
  const float *x, *scale, *bias;
  float *y;
  int32_t rank, first; /* normalized dims are [first, rank) */
  int64_t rows, inner;
  int64_t dims[INGOT_MAX_DIMS];
  /* element strides of scale and bias seen with the input's rank (0 where broadcast) */
  int64_t s_stride[INGOT_MAX_DIMS], b_stride[INGOT_MAX_DIMS];
  bool contiguous_affine; /* scale/bias index = position within the row: the common case */
  float epsilon;
} ln_job;

static void broadcast_strides(const ingot_tensor_view *v, const ingot_dims *x, int64_t *out) {
  int32_t off = x->nb_dims - v->dims.nb_dims;
  int64_t s = 1;
  for (int32_t i = x->nb_dims - 1; i >= 0; i--) {
    int64_t d = i >= off ? v->dims.d[i - off] : 1;
    out[i] = d == 1 ? 0 : s;
    s *= d;
  }
}

/* Offset of the affine parameter for element (row, i) given its strides. */
static int64_t affine_offset(const ln_job *j, const int64_t *strides, int64_t row, int64_t i) {
  int64_t off = 0;
  for (int32_t d = j->rank - 1; d >= j->first; d--) {
    off += (i % j->dims[d]) * strides[d];
    i /= j->dims[d];
  }
  for (int32_t d = j->first - 1; d >= 0; d--) {
    off += (row % j->dims[d]) * strides[d];
    row /= j->dims[d];
  }
  return off;
}

static void ln_rows(void *ctx, int64_t begin, int64_t end) {
  const ln_job *j = ctx;
  for (int64_t r = begin; r < end; r++) {
    const float *x = j->x + r * j->inner;
    float *y = j->y + r * j->inner;
    double sum = 0.0;
    for (int64_t i = 0; i < j->inner; i++) sum += x[i];
    double mean = sum / (double)j->inner, var = 0.0;
    for (int64_t i = 0; i < j->inner; i++) var += ((double)x[i] - mean) * ((double)x[i] - mean);
    var /= (double)j->inner;
    double rstd = 1.0 / sqrt(var + (double)j->epsilon);
    for (int64_t i = 0; i < j->inner; i++) {
      double s, b = 0.0;
      if (j->contiguous_affine) {
        s = j->scale[i];
        if (j->bias) b = j->bias[i];
      } else {
        s = j->scale[affine_offset(j, j->s_stride, r, i)];
        if (j->bias) b = j->bias[affine_offset(j, j->b_stride, r, i)];
      }
      y[i] = (float)(((double)x[i] - mean) * rstd * s + b);
    }
  }
}

ingot_status ingot_cpu_layer_normalization(const ingot_kernel_args *args) {
  INGOT_TRY(check_f32(args));
  const ingot_dims *d = &args->inputs[0].dims;
  uint32_t mask = args->params->layernorm.axes_mask;
  ln_job j = {
      .x = args->inputs[0].data,
      .scale = args->inputs[1].data,
      .bias = args->nb_inputs > 2 ? args->inputs[2].data : NULL,
      .y = args->outputs[0].data,
      .rank = d->nb_dims,
      .rows = 1,
      .inner = 1,
      .epsilon = args->params->layernorm.epsilon,
  };
  j.first = 0;
  while (j.first < j.rank && !(mask & (1u << j.first))) j.first++;
  for (int32_t i = 0; i < j.rank; i++) {
    j.dims[i] = d->d[i];
    if (i < j.first)
      j.rows *= d->d[i];
    else
      j.inner *= d->d[i];
  }
  broadcast_strides(&args->inputs[1], d, j.s_stride);
  if (j.bias) broadcast_strides(&args->inputs[2], d, j.b_stride);
  /* Common case: scale (and bias) hold exactly the normalized dims, contiguous. */
  j.contiguous_affine = true;
  for (int32_t i = 0; i < j.rank; i++) {
    int64_t want = 0;
    if (i >= j.first) {
      want = 1;
      for (int32_t k = i + 1; k < j.rank; k++) want *= d->d[k];
      if (d->d[i] == 1) want = 0; /* a dim of 1 is broadcast either way */
    }
    if (j.s_stride[i] != want || (j.bias && j.b_stride[i] != want)) j.contiguous_affine = false;
  }
  if (j.inner == 0) return INGOT_SUCCESS;
  ingot_parallel_for(args->pool, j.rows, 1, ln_rows, &j);
  return INGOT_SUCCESS;
}
