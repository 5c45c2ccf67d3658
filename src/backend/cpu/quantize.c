/* QuantizeLinear and DequantizeLinear on the CPU, per tensor (one scale) or per channel
 * (scale and zero point 1-D along the axis). Quantize divides in float32, rounds half to
 * even (nearbyint in the default rounding mode), adds the zero point and saturates to
 * the int8 or uint8 range; NaN becomes the zero point. Dequantize is (x - zero point) *
 * scale in float32, the difference taken exactly in int64. */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "core/dims.h"
#include "core/error.h"

typedef struct quant_job {
  const void *src;
  void *dst;
  ingot_dtype int_dtype;  /* quantize: the output's; dequantize: the input's */
  const float *scale;
  const void *zero_point; /* of int_dtype, or NULL */
  int64_t inner, channels; /* channel of element e: (e / inner) % channels */
} quant_job;

static int64_t zero_point_at(const quant_job *j, int64_t c) {
  if (!j->zero_point) return 0;
  switch (j->int_dtype) {
    case INGOT_INT8: return ((const int8_t *)j->zero_point)[c];
    case INGOT_UINT8: return ((const uint8_t *)j->zero_point)[c];
    default: return ((const int32_t *)j->zero_point)[c];
  }
}

static void quantize_range(void *ctx, int64_t begin, int64_t end) {
  const quant_job *j = ctx;
  const float *x = j->src;
  const float lo = j->int_dtype == INGOT_INT8 ? -128.0f : 0.0f, hi = j->int_dtype == INGOT_INT8 ? 127.0f : 255.0f;
  for (int64_t e = begin; e < end; e++) {
    int64_t c = j->channels > 1 ? (e / j->inner) % j->channels : 0;
    float zp = (float)zero_point_at(j, c);
    float v = nearbyintf(x[e] / j->scale[c]) + zp;
    if (isnan(v)) v = zp;
    v = v < lo ? lo : v > hi ? hi : v;
    if (j->int_dtype == INGOT_INT8)
      ((int8_t *)j->dst)[e] = (int8_t)v;
    else
      ((uint8_t *)j->dst)[e] = (uint8_t)v;
  }
}

static void dequantize_range(void *ctx, int64_t begin, int64_t end) {
  const quant_job *j = ctx;
  float *y = j->dst;
  for (int64_t e = begin; e < end; e++) {
    int64_t c = j->channels > 1 ? (e / j->inner) % j->channels : 0;
    int64_t q;
    switch (j->int_dtype) {
      case INGOT_INT8: q = ((const int8_t *)j->src)[e]; break;
      case INGOT_UINT8: q = ((const uint8_t *)j->src)[e]; break;
      default: q = ((const int32_t *)j->src)[e]; break;
    }
    y[e] = (float)(q - zero_point_at(j, c)) * j->scale[c];
  }
}

/* The job of either direction: per-channel geometry from the scale's size. */
static ingot_status make_job(const ingot_kernel_args *args, ingot_dtype int_dtype, quant_job *j) {
  const ingot_tensor_view *x = &args->inputs[0], *scale = &args->inputs[1];
  j->src = x->data;
  j->dst = args->outputs[0].data;
  j->int_dtype = int_dtype;
  j->scale = scale->data;
  j->zero_point = args->nb_inputs > 2 && args->inputs[2].dims.nb_dims >= 0 ? args->inputs[2].data : NULL;
  j->channels = ingot_dims_volume(&scale->dims);
  j->inner = 1;
  if (j->channels > 1) {
    int32_t axis;
    if (!ingot_axis_normalize(args->params->quantize.axis, x->dims.nb_dims, &axis))
      return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "axis %d out of range for rank %d at run time",
                             args->params->quantize.axis, x->dims.nb_dims);
    for (int32_t i = axis + 1; i < x->dims.nb_dims; i++) j->inner *= x->dims.d[i];
  }
  return INGOT_SUCCESS;
}

INGOT_CPU_KERNEL(ingot_cpu_quantize) {
  quant_job j;
  INGOT_TRY(make_job(args, args->outputs[0].dtype, &j));
  ingot_parallel_for(args->pool, ingot_dims_volume(&args->inputs[0].dims), 16384, quantize_range, &j);
  return INGOT_SUCCESS;
}

INGOT_CPU_KERNEL(ingot_cpu_dequantize) {
  quant_job j;
  INGOT_TRY(make_job(args, args->inputs[0].dtype, &j));
  ingot_parallel_for(args->pool, ingot_dims_volume(&args->inputs[0].dims), 16384, dequantize_range, &j);
  return INGOT_SUCCESS;
}
