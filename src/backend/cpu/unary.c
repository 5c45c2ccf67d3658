/* Unary ops: float math on float32 (float16 / bfloat16 through fp32), abs / neg / sign on
 * signed integers (wrapping as numpy does), not on bool, isnan / isinf giving bool.
 * Reference kernel: one switch per element keeps it short; the branch is predictable. */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/elementwise_io.h"
#include "core/error.h"

/* Round half to even (ONNX Round) without depending on the FPU rounding mode. */
static inline float round_half_even(float x) {
  float r = floorf(x);
  float d = x - r;
  if (d > 0.5f || (d == 0.5f && fmodf(r, 2.0f) != 0.0f)) r += 1.0f;
  return r;
}

static inline float unary_float(int32_t op, float x) {
  switch (op) {
    case INGOT_UNARY_EXP: return expf(x);
    case INGOT_UNARY_LOG: return logf(x);
    case INGOT_UNARY_SQRT: return sqrtf(x);
    case INGOT_UNARY_ABS: return fabsf(x);
    case INGOT_UNARY_NEG: return -x;
    case INGOT_UNARY_RECIPROCAL: return 1.0f / x;
    case INGOT_UNARY_FLOOR: return floorf(x);
    case INGOT_UNARY_CEIL: return ceilf(x);
    case INGOT_UNARY_ROUND: return round_half_even(x);
    case INGOT_UNARY_SIN: return sinf(x);
    case INGOT_UNARY_COS: return cosf(x);
    case INGOT_UNARY_TAN: return tanf(x);
    case INGOT_UNARY_ASIN: return asinf(x);
    case INGOT_UNARY_ACOS: return acosf(x);
    case INGOT_UNARY_ATAN: return atanf(x);
    case INGOT_UNARY_SINH: return sinhf(x);
    case INGOT_UNARY_COSH: return coshf(x);
    case INGOT_UNARY_ASINH: return asinhf(x);
    case INGOT_UNARY_ACOSH: return acoshf(x);
    case INGOT_UNARY_ATANH: return atanhf(x);
    case INGOT_UNARY_ERF: return erff(x);
    case INGOT_UNARY_SIGN: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : x); /* keeps 0 and NaN */
    default: return x;
  }
}

/* 0 - x through unsigned arithmetic: the most negative value wraps to itself. */
static inline int64_t wrap_neg(int64_t x) { return (int64_t)(0 - (uint64_t)x); }

static inline int64_t unary_int(int32_t op, int64_t x) {
  switch (op) {
    case INGOT_UNARY_ABS: return x < 0 ? wrap_neg(x) : x;
    case INGOT_UNARY_NEG: return wrap_neg(x);
    case INGOT_UNARY_SIGN: return (x > 0) - (x < 0);
    default: return x;
  }
}

typedef struct unary_ctx {
  int32_t op;
  ingot_dtype dtype;
  const void *x;
  void *y;
} unary_ctx;

static void unary_chunk(void *ctx, int64_t begin, int64_t end) {
  const unary_ctx *c = ctx;
  int32_t op = c->op;
  if (op == INGOT_UNARY_NOT) {
    const uint8_t *x = c->x;
    uint8_t *y = c->y;
    for (int64_t i = begin; i < end; i++) y[i] = x[i] ? 0 : 1;
    return;
  }
  if (op == INGOT_UNARY_BITWISE_NOT) { /* every byte of every element */
    size_t esz = ingot_dtype_size(c->dtype);
    const uint8_t *x = c->x;
    uint8_t *y = c->y;
    for (size_t i = (size_t)begin * esz; i < (size_t)end * esz; i++) y[i] = (uint8_t)~x[i];
    return;
  }
  if (op == INGOT_UNARY_ISNAN || op == INGOT_UNARY_ISINF) {
    uint8_t *y = c->y;
    for (int64_t i = begin; i < end; i++) {
      float v = ingot_cpu_load_float(c->x, c->dtype, i);
      y[i] = (uint8_t)(op == INGOT_UNARY_ISNAN ? isnan(v) != 0 : isinf(v) != 0);
    }
    return;
  }
  switch (c->dtype) {
    case INGOT_FLOAT32: {
      const float *x = c->x;
      float *y = c->y;
      for (int64_t i = begin; i < end; i++) y[i] = unary_float(op, x[i]);
      return;
    }
    case INGOT_INT8: {
      const int8_t *x = c->x;
      int8_t *y = c->y;
      for (int64_t i = begin; i < end; i++) y[i] = (int8_t)unary_int(op, x[i]);
      return;
    }
    case INGOT_INT32: {
      const int32_t *x = c->x;
      int32_t *y = c->y;
      for (int64_t i = begin; i < end; i++) y[i] = (int32_t)unary_int(op, x[i]);
      return;
    }
    case INGOT_INT64: {
      const int64_t *x = c->x;
      int64_t *y = c->y;
      for (int64_t i = begin; i < end; i++) y[i] = unary_int(op, x[i]);
      return;
    }
    default: /* float16, bfloat16 */
      for (int64_t i = begin; i < end; i++) {
        ingot_cpu_store_float(c->y, c->dtype, i, unary_float(op, ingot_cpu_load_float(c->x, c->dtype, i)));
      }
      return;
  }
}

static bool kernel_accepts(int32_t op, ingot_dtype in, ingot_dtype out) {
  bool is_float = ingot_cpu_float_dtype(in);
  switch (op) {
    case INGOT_UNARY_NOT: return in == INGOT_BOOL && out == INGOT_BOOL;
    case INGOT_UNARY_ISNAN:
    case INGOT_UNARY_ISINF: return is_float && out == INGOT_BOOL;
    case INGOT_UNARY_BITWISE_NOT: return ingot_dtype_is_integer(in) && out == in;
    case INGOT_UNARY_ABS:
    case INGOT_UNARY_NEG:
    case INGOT_UNARY_SIGN:
      return out == in && (is_float || in == INGOT_INT8 || in == INGOT_INT32 || in == INGOT_INT64);
    default: return op >= 0 && op < INGOT_UNARY_OP_COUNT && is_float && out == in;
  }
}

INGOT_CPU_KERNEL(ingot_cpu_unary) {
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  int32_t op = args->params->unary.op;
  if (!kernel_accepts(op, x->dtype, y->dtype)) {
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "unary kernel cannot run op %d from %s to %s", (int)op,
                           ingot_dtype_name(x->dtype), ingot_dtype_name(y->dtype));
  }
  int64_t n = ingot_dims_volume(&y->dims);
  if (n <= 0) return INGOT_SUCCESS;
  unary_ctx c = {op, x->dtype, x->data, y->data};
  ingot_parallel_for(args->pool, n, 16384, unary_chunk, &c);
  return INGOT_SUCCESS;
}
