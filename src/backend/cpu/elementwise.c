/* Binary elementwise ops with numpy broadcasting: arithmetic on float and integer dtypes,
 * comparisons giving bool, logic on bool. Reference kernel.
 *
 * Floats compute in fp32 (float16 / bfloat16 are widened on load, rounded on store);
 * floor_div and mod follow numpy's divmod so results agree at the edges. Integers compute
 * in int64 with wrap-around (as numpy does) through unsigned arithmetic, so overflow on
 * user data is never undefined behaviour; narrower integer results are truncated back to
 * their width. Integer division by zero is found before any output is written. */
#include <math.h>

#include "backend/cpu/broadcast.h"
#include "backend/cpu/cpu_kernels.h"
#include "core/dims.h"
#include "core/error.h"

typedef struct ew_ctx {
  ingot_broadcast bc; /* input 0: a, input 1: b */
  int32_t op;
  ingot_dtype dtype;
  const void *a, *b;
  void *y;
} ew_ctx;

/* ---- scalar operations ------------------------------------------------------------------- */

static inline float f_min(float x, float y) { return isnan(x) || isnan(y) ? NAN : (y < x ? y : x); }
static inline float f_max(float x, float y) { return isnan(x) || isnan(y) ? NAN : (y > x ? y : x); }

/* numpy's npy_divmodf: the floor quotient and a remainder with the divisor's sign. */
static inline float f_divmod(float a, float b, float *mod_out) {
  float mod = fmodf(a, b);
  if (b == 0.0f) {
    *mod_out = mod;
    return a / b;
  }
  float div = (a - mod) / b;
  if (mod != 0.0f) {
    if ((b < 0.0f) != (mod < 0.0f)) {
      mod += b;
      div -= 1.0f;
    }
  } else {
    mod = copysignf(0.0f, b);
  }
  float floordiv;
  if (div != 0.0f) {
    floordiv = floorf(div);
    if (div - floordiv > 0.5f) floordiv += 1.0f;
  } else {
    floordiv = copysignf(0.0f, a / b);
  }
  *mod_out = mod;
  return floordiv;
}
static inline float f_floordiv(float a, float b) {
  float m;
  return f_divmod(a, b, &m);
}
static inline float f_mod(float a, float b) {
  float m;
  f_divmod(a, b, &m);
  return m;
}

/* Shifts of the value widened to int64 (zero-extended for uint8, sign-extended otherwise):
 * storing back truncates to the dtype, so a left shift loses the bits shifted out; a
 * negative shift counts as one past the width (ONNX BitShift). */
static inline int64_t i_shl(int64_t x, int64_t y) { return y < 0 || y >= 64 ? 0 : (int64_t)((uint64_t)x << y); }
static inline int64_t i_shr(int64_t x, int64_t y) { return y < 0 || y >= 64 ? (x < 0 ? -1 : 0) : x >> y; }
static inline int64_t i_add(int64_t x, int64_t y) { return (int64_t)((uint64_t)x + (uint64_t)y); }
static inline int64_t i_sub(int64_t x, int64_t y) { return (int64_t)((uint64_t)x - (uint64_t)y); }
static inline int64_t i_mul(int64_t x, int64_t y) { return (int64_t)((uint64_t)x * (uint64_t)y); }
/* y == -1 is handled apart: INT64_MIN / -1 overflows (and INT64_MIN % -1 is undefined). */
static inline int64_t i_div(int64_t x, int64_t y) { return y == -1 ? i_sub(0, x) : x / y; }
static inline int64_t i_fmod(int64_t x, int64_t y) { return y == -1 ? 0 : x % y; }
static inline int64_t i_floordiv(int64_t x, int64_t y) {
  if (y == -1) return i_sub(0, x);
  int64_t q = x / y;
  if (x % y != 0 && ((x < 0) != (y < 0))) q--;
  return q;
}
static inline int64_t i_mod(int64_t x, int64_t y) {
  if (y == -1) return 0;
  int64_t r = x % y;
  if (r != 0 && ((r < 0) != (y < 0))) r += y;
  return r;
}
/* Negative exponents truncate toward zero as integer division would: only 1 and -1 keep
 * a nonzero result. */
static inline int64_t i_pow(int64_t x, int64_t y) {
  if (y < 0) return x == 1 ? 1 : (x == -1 ? ((y & 1) ? -1 : 1) : 0);
  uint64_t base = (uint64_t)x, r = 1;
  for (uint64_t e = (uint64_t)y; e; e >>= 1) {
    if (e & 1) r *= base;
    base *= base;
  }
  return (int64_t)r;
}

/* ---- rows: n output elements from oy, a from oa, b from ob ---------------------------------- */

#define LD_F32(p, i) (((const float *)(p))[i])
#define LD_F16(p, i) ingot_f16_to_f32(((const uint16_t *)(p))[i])
#define LD_BF16(p, i) ingot_bf16_to_f32(((const uint16_t *)(p))[i])
#define ST_F32(p, i, v) (((float *)(p))[i] = (v))
#define ST_F16(p, i, v) (((uint16_t *)(p))[i] = ingot_f32_to_f16(v))
#define ST_BF16(p, i, v) (((uint16_t *)(p))[i] = ingot_f32_to_bf16(v))
#define ST_BOOL(p, i, v) (((uint8_t *)(p))[i] = (uint8_t)((v) ? 1 : 0))

#define EW_LOOP(TV, LD, ST, EXPR)                           \
  for (int64_t j = 0; j < n; j++, oa += sa, ob += sb) {     \
    TV x = LD(c->a, oa), y = LD(c->b, ob);                  \
    ST(c->y, oy + j, EXPR);                                 \
  }                                                         \
  break;

#define EW_FLOAT_ROW(fname, LD, ST)                                                       \
  static void fname(const ew_ctx *c, int64_t oa, int64_t ob, int64_t oy, int64_t n) {     \
    int64_t sa = c->bc.inner_stride[0], sb = c->bc.inner_stride[1];                       \
    switch (c->op) {                                                                      \
      case INGOT_ELEMENTWISE_SUM: EW_LOOP(float, LD, ST, x + y)                           \
      case INGOT_ELEMENTWISE_SUB: EW_LOOP(float, LD, ST, x - y)                           \
      case INGOT_ELEMENTWISE_PROD: EW_LOOP(float, LD, ST, x * y)                          \
      case INGOT_ELEMENTWISE_DIV: EW_LOOP(float, LD, ST, x / y)                           \
      case INGOT_ELEMENTWISE_MIN: EW_LOOP(float, LD, ST, f_min(x, y))                     \
      case INGOT_ELEMENTWISE_MAX: EW_LOOP(float, LD, ST, f_max(x, y))                     \
      case INGOT_ELEMENTWISE_POW: EW_LOOP(float, LD, ST, powf(x, y))                      \
      case INGOT_ELEMENTWISE_FLOOR_DIV: EW_LOOP(float, LD, ST, f_floordiv(x, y))          \
      case INGOT_ELEMENTWISE_MOD: EW_LOOP(float, LD, ST, f_mod(x, y))                     \
      case INGOT_ELEMENTWISE_FMOD: EW_LOOP(float, LD, ST, fmodf(x, y))                    \
      case INGOT_ELEMENTWISE_EQUAL: EW_LOOP(float, LD, ST_BOOL, x == y)                   \
      case INGOT_ELEMENTWISE_GREATER: EW_LOOP(float, LD, ST_BOOL, x > y)                  \
      case INGOT_ELEMENTWISE_GREATER_EQUAL: EW_LOOP(float, LD, ST_BOOL, x >= y)           \
      case INGOT_ELEMENTWISE_LESS: EW_LOOP(float, LD, ST_BOOL, x < y)                     \
      case INGOT_ELEMENTWISE_LESS_EQUAL: EW_LOOP(float, LD, ST_BOOL, x <= y)              \
      default: break; /* logic ops take bool only (checked by shape inference) */        \
    }                                                                                     \
  }

EW_FLOAT_ROW(row_f32, LD_F32, ST_F32)
EW_FLOAT_ROW(row_f16, LD_F16, ST_F16)
EW_FLOAT_ROW(row_bf16, LD_BF16, ST_BF16)

#define EW_INT_ROW(fname, T)                                                              \
  static inline int64_t fname##_ld(const void *p, int64_t i) { return (int64_t)((const T *)p)[i]; } \
  static inline void fname##_st(void *p, int64_t i, int64_t v) { ((T *)p)[i] = (T)v; }   \
  static void fname(const ew_ctx *c, int64_t oa, int64_t ob, int64_t oy, int64_t n) {     \
    int64_t sa = c->bc.inner_stride[0], sb = c->bc.inner_stride[1];                       \
    switch (c->op) {                                                                      \
      case INGOT_ELEMENTWISE_SUM: EW_LOOP(int64_t, fname##_ld, fname##_st, i_add(x, y))   \
      case INGOT_ELEMENTWISE_SUB: EW_LOOP(int64_t, fname##_ld, fname##_st, i_sub(x, y))   \
      case INGOT_ELEMENTWISE_PROD: EW_LOOP(int64_t, fname##_ld, fname##_st, i_mul(x, y))  \
      case INGOT_ELEMENTWISE_DIV: EW_LOOP(int64_t, fname##_ld, fname##_st, i_div(x, y))   \
      case INGOT_ELEMENTWISE_MIN: EW_LOOP(int64_t, fname##_ld, fname##_st, y < x ? y : x) \
      case INGOT_ELEMENTWISE_MAX: EW_LOOP(int64_t, fname##_ld, fname##_st, y > x ? y : x) \
      case INGOT_ELEMENTWISE_POW: EW_LOOP(int64_t, fname##_ld, fname##_st, i_pow(x, y))   \
      case INGOT_ELEMENTWISE_FLOOR_DIV: EW_LOOP(int64_t, fname##_ld, fname##_st, i_floordiv(x, y)) \
      case INGOT_ELEMENTWISE_MOD: EW_LOOP(int64_t, fname##_ld, fname##_st, i_mod(x, y))   \
      case INGOT_ELEMENTWISE_FMOD: EW_LOOP(int64_t, fname##_ld, fname##_st, i_fmod(x, y)) \
      case INGOT_ELEMENTWISE_EQUAL: EW_LOOP(int64_t, fname##_ld, ST_BOOL, x == y)         \
      case INGOT_ELEMENTWISE_GREATER: EW_LOOP(int64_t, fname##_ld, ST_BOOL, x > y)        \
      case INGOT_ELEMENTWISE_GREATER_EQUAL: EW_LOOP(int64_t, fname##_ld, ST_BOOL, x >= y) \
      case INGOT_ELEMENTWISE_LESS: EW_LOOP(int64_t, fname##_ld, ST_BOOL, x < y)           \
      case INGOT_ELEMENTWISE_LESS_EQUAL: EW_LOOP(int64_t, fname##_ld, ST_BOOL, x <= y)    \
      case INGOT_ELEMENTWISE_AND: EW_LOOP(int64_t, fname##_ld, ST_BOOL, x && y)           \
      case INGOT_ELEMENTWISE_OR: EW_LOOP(int64_t, fname##_ld, ST_BOOL, x || y)            \
      case INGOT_ELEMENTWISE_XOR: EW_LOOP(int64_t, fname##_ld, ST_BOOL, (x != 0) != (y != 0)) \
      case INGOT_ELEMENTWISE_BITWISE_AND: EW_LOOP(int64_t, fname##_ld, fname##_st, x & y) \
      case INGOT_ELEMENTWISE_BITWISE_OR: EW_LOOP(int64_t, fname##_ld, fname##_st, x | y)  \
      case INGOT_ELEMENTWISE_BITWISE_XOR: EW_LOOP(int64_t, fname##_ld, fname##_st, x ^ y) \
      case INGOT_ELEMENTWISE_SHIFT_LEFT: EW_LOOP(int64_t, fname##_ld, fname##_st, i_shl(x, y)) \
      case INGOT_ELEMENTWISE_SHIFT_RIGHT: EW_LOOP(int64_t, fname##_ld, fname##_st, i_shr(x, y)) \
      default: break;                                                                     \
    }                                                                                     \
  }

EW_INT_ROW(row_i8, int8_t)
EW_INT_ROW(row_u8, uint8_t) /* also bool: one byte, 0 or 1 */
EW_INT_ROW(row_i32, int32_t)
EW_INT_ROW(row_i64, int64_t)

typedef void (*ew_row_fn)(const ew_ctx *c, int64_t oa, int64_t ob, int64_t oy, int64_t n);

static ew_row_fn row_for(ingot_dtype dtype) {
  switch (dtype) {
    case INGOT_FLOAT32: return row_f32;
    case INGOT_FLOAT16: return row_f16;
    case INGOT_BFLOAT16: return row_bf16;
    case INGOT_INT8: return row_i8;
    case INGOT_UINT8:
    case INGOT_BOOL: return row_u8;
    case INGOT_INT32: return row_i32;
    case INGOT_INT64: return row_i64;
    default: return NULL;
  }
}

static void ew_chunk(void *ctx, int64_t begin, int64_t end) {
  const ew_ctx *c = ctx;
  ew_row_fn row = row_for(c->dtype);
  ingot_broadcast_iter it;
  ingot_broadcast_seek(&c->bc, begin, &it);
  for (int64_t i = begin; i < end;) {
    int64_t n = ingot_broadcast_row(&c->bc, &it, end - i);
    row(c, it.offset[0], it.offset[1], i, n);
    ingot_broadcast_advance(&c->bc, &it, n);
    i += n;
  }
}

static bool is_integer_division(int32_t op) {
  return op == INGOT_ELEMENTWISE_DIV || op == INGOT_ELEMENTWISE_FLOOR_DIV || op == INGOT_ELEMENTWISE_MOD ||
         op == INGOT_ELEMENTWISE_FMOD;
}

/* First zero in an integer divisor, or -1. */
static int64_t find_zero(const void *data, ingot_dtype dtype, int64_t count) {
  for (int64_t i = 0; i < count; i++) {
    int64_t v;
    switch (dtype) {
      case INGOT_INT8: v = ((const int8_t *)data)[i]; break;
      case INGOT_UINT8: v = ((const uint8_t *)data)[i]; break;
      case INGOT_INT32: v = ((const int32_t *)data)[i]; break;
      default: v = ((const int64_t *)data)[i]; break;
    }
    if (v == 0) return i;
  }
  return -1;
}

INGOT_CPU_KERNEL(ingot_cpu_elementwise) {
  const ingot_tensor_view *a = &args->inputs[0], *b = &args->inputs[1], *y = &args->outputs[0];
  int32_t op = args->params->elementwise.op;
  bool gives_bool = op >= INGOT_ELEMENTWISE_EQUAL && op <= INGOT_ELEMENTWISE_XOR;
  ingot_dtype want = gives_bool ? INGOT_BOOL : a->dtype;
  if (op < 0 || op >= INGOT_ELEMENTWISE_OP_COUNT || a->dtype != b->dtype || y->dtype != want ||
      row_for(a->dtype) == NULL) {
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED,
                           "elementwise kernel cannot run op %d on a %s, b %s giving %s", (int)op,
                           ingot_dtype_name(a->dtype), ingot_dtype_name(b->dtype), ingot_dtype_name(y->dtype));
  }
  ew_ctx c = {.op = op, .dtype = a->dtype, .a = a->data, .b = b->data, .y = y->data};
  const ingot_dims *in[2] = {&a->dims, &b->dims};
  if (!ingot_broadcast_init(&c.bc, &y->dims, 2, in)) {
    char sa[INGOT_DIMS_STR_SIZE], sb[INGOT_DIMS_STR_SIZE], sy[INGOT_DIMS_STR_SIZE];
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "a %s and b %s do not broadcast to the output %s",
                           ingot_dims_format(&a->dims, sa, sizeof sa), ingot_dims_format(&b->dims, sb, sizeof sb),
                           ingot_dims_format(&y->dims, sy, sizeof sy));
  }
  if (c.bc.volume <= 0) return INGOT_SUCCESS;
  if (ingot_dtype_is_integer(a->dtype) && is_integer_division(op)) {
    int64_t zero = find_zero(b->data, b->dtype, ingot_dims_volume(&b->dims));
    if (zero >= 0) {
      char sb[INGOT_DIMS_STR_SIZE];
      return ingot_node_fail(args->node, INGOT_RUNTIME_ERROR,
                             "integer division by zero: element %lld of b (%s, %s) is 0", (long long)zero,
                             ingot_dtype_name(b->dtype), ingot_dims_format(&b->dims, sb, sizeof sb));
    }
  }
  ingot_parallel_for(args->pool, c.bc.volume, 16384, ew_chunk, &c);
  return INGOT_SUCCESS;
}
