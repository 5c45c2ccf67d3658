/* Activations: the per-value function every fused epilogue shares, the activation layer
 * and parametric relu. Reference kernels: written for clarity and numerical stability,
 * not speed (vectorized tactics are compared against these). */
#include <math.h>

#include "backend/cpu/broadcast.h"
#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/elementwise_io.h"
#include "core/error.h"

#define INGOT_SQRT1_2 0.70710678118654752440f
#define INGOT_SQRT_2_OVER_PI 0.79788456080286535588f

/* log(1 + exp(t)) without overflow for large t and without losing small results for very
 * negative t. */
static inline float softplus(float t) {
  return t > 0.0f ? t + log1pf(expf(-t)) : log1pf(expf(t));
}

/* 1 / (1 + exp(-x)) evaluated so that exp never overflows. */
static inline float sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  float e = expf(x);
  return e / (1.0f + e);
}

float ingot_cpu_activation(int32_t type, float alpha, float beta, float x) {
  switch (type) {
    case INGOT_ACTIVATION_RELU: return x < 0.0f ? 0.0f : x; /* keeps NaN */
    case INGOT_ACTIVATION_LEAKY_RELU: return x >= 0.0f ? x : alpha * x;
    case INGOT_ACTIVATION_SIGMOID: return sigmoid(x);
    case INGOT_ACTIVATION_TANH: return tanhf(x);
    case INGOT_ACTIVATION_ELU: return x >= 0.0f ? x : alpha * expm1f(x);
    case INGOT_ACTIVATION_SELU: return beta * (x >= 0.0f ? x : alpha * expm1f(x));
    case INGOT_ACTIVATION_SOFTPLUS: return alpha * softplus(beta * x);
    case INGOT_ACTIVATION_SOFTSIGN: return x / (1.0f + fabsf(x));
    case INGOT_ACTIVATION_CLIP: return x < alpha ? alpha : (x > beta ? beta : x);
    case INGOT_ACTIVATION_HARD_SIGMOID: {
      float v = alpha * x + beta;
      return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
    }
    case INGOT_ACTIVATION_HARD_SWISH: {
      float v = x / 6.0f + 0.5f;
      return x * (v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v));
    }
    case INGOT_ACTIVATION_GELU_ERF: return 0.5f * x * (1.0f + erff(x * INGOT_SQRT1_2));
    case INGOT_ACTIVATION_GELU_TANH:
      return 0.5f * x * (1.0f + tanhf(INGOT_SQRT_2_OVER_PI * (x + 0.044715f * x * x * x)));
    case INGOT_ACTIVATION_SILU: return x * sigmoid(x);
    case INGOT_ACTIVATION_MISH: return x * tanhf(softplus(x));
    case INGOT_ACTIVATION_SCALED_TANH: return alpha * tanhf(beta * x);
    case INGOT_ACTIVATION_THRESHOLDED_RELU: return x > alpha ? x : 0.0f;
    default: return x; /* -1: no activation */
  }
}

/* ---- activation layer ------------------------------------------------------------------ */

typedef struct activation_ctx {
  const ingot_activation_params *p;
  ingot_dtype dtype;
  const void *x;
  void *y;
} activation_ctx;

static void activation_chunk(void *ctx, int64_t begin, int64_t end) {
  const activation_ctx *c = ctx;
  int32_t type = c->p->type;
  float alpha = c->p->alpha, beta = c->p->beta;
  if (c->dtype == INGOT_FLOAT32) {
    const float *x = c->x;
    float *y = c->y;
    for (int64_t i = begin; i < end; i++) y[i] = ingot_cpu_activation(type, alpha, beta, x[i]);
    return;
  }
  for (int64_t i = begin; i < end; i++) {
    float v = ingot_cpu_load_float(c->x, c->dtype, i);
    ingot_cpu_store_float(c->y, c->dtype, i, ingot_cpu_activation(type, alpha, beta, v));
  }
}

INGOT_CPU_KERNEL(ingot_cpu_activation_layer) {
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  if (!ingot_cpu_float_dtype(x->dtype) || y->dtype != x->dtype) {
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "activation kernel takes float input and output of one dtype, found %s and %s",
                           ingot_dtype_name(x->dtype), ingot_dtype_name(y->dtype));
  }
  int64_t n = ingot_dims_volume(&y->dims);
  if (n <= 0) return INGOT_SUCCESS;
  activation_ctx c = {&args->params->activation, x->dtype, x->data, y->data};
  ingot_parallel_for(args->pool, n, 16384, activation_chunk, &c);
  return INGOT_SUCCESS;
}

/* ---- parametric relu ---------------------------------------------------------------- */

typedef struct prelu_ctx {
  ingot_broadcast bc; /* input 0: x, input 1: slope */
  ingot_dtype x_dtype, slope_dtype;
  const void *x, *slope;
  void *y;
} prelu_ctx;

static void prelu_chunk(void *ctx, int64_t begin, int64_t end) {
  const prelu_ctx *c = ctx;
  ingot_broadcast_iter it;
  ingot_broadcast_seek(&c->bc, begin, &it);
  int64_t sx = c->bc.inner_stride[0], ss = c->bc.inner_stride[1];
  for (int64_t i = begin; i < end;) {
    int64_t n = ingot_broadcast_row(&c->bc, &it, end - i);
    int64_t ox = it.offset[0], os = it.offset[1];
    for (int64_t j = 0; j < n; j++, ox += sx, os += ss) {
      float v = ingot_cpu_load_float(c->x, c->x_dtype, ox);
      float s = ingot_cpu_load_float(c->slope, c->slope_dtype, os);
      ingot_cpu_store_float(c->y, c->x_dtype, i + j, v >= 0.0f ? v : s * v);
    }
    ingot_broadcast_advance(&c->bc, &it, n);
    i += n;
  }
}

INGOT_CPU_KERNEL(ingot_cpu_parametric_relu) {
  const ingot_tensor_view *x = &args->inputs[0], *slope = &args->inputs[1], *y = &args->outputs[0];
  if (!ingot_cpu_float_dtype(x->dtype) || !ingot_cpu_float_dtype(slope->dtype) || y->dtype != x->dtype) {
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED,
                           "parametric relu kernel takes float input, slope and output, found %s, %s and %s",
                           ingot_dtype_name(x->dtype), ingot_dtype_name(slope->dtype), ingot_dtype_name(y->dtype));
  }
  prelu_ctx c = {.x_dtype = x->dtype, .slope_dtype = slope->dtype, .x = x->data, .slope = slope->data, .y = y->data};
  const ingot_dims *in[2] = {&x->dims, &slope->dims};
  if (!ingot_broadcast_init(&c.bc, &y->dims, 2, in)) {
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "input and slope do not broadcast to the output's shape");
  }
  if (c.bc.volume <= 0) return INGOT_SUCCESS;
  ingot_parallel_for(args->pool, c.bc.volume, 16384, prelu_chunk, &c);
  return INGOT_SUCCESS;
}
