/* Cast and identity on the CPU. A cast goes through one of two wide types, float for the
 * float dtypes (float16 and bfloat16 widen exactly) and int64 for the integer dtypes and
 * bool, in blocks on the stack: one loader per source dtype, one storer per (wide type,
 * target dtype), instead of 64 loops. Rules (include/ingot/network.h):
 * - float -> int truncates toward zero, clamps to the target's range (C makes an
 *   out-of-range conversion undefined), and NaN gives 0;
 * - int -> int keeps the low bits (two's complement wrap, as numpy's astype);
 * - anything -> bool is x != 0 (so NaN -> 1, as numpy); bool -> anything is 0 or 1. */
#include <stdint.h>
#include <string.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/movement.h"
#include "core/dims.h"

#define CAST_BLOCK 512

static int wide_is_float(ingot_dtype dt) { return ingot_dtype_is_float(dt); }

static void load_float(const void *src, ingot_dtype dt, int64_t n, float *w) {
  switch (dt) {
    case INGOT_FLOAT32: memcpy(w, src, (size_t)n * sizeof(float)); break;
    case INGOT_FLOAT16: {
      const uint16_t *s = src;
      for (int64_t i = 0; i < n; i++) w[i] = ingot_f16_to_f32(s[i]);
      break;
    }
    default: { /* bfloat16 */
      const uint16_t *s = src;
      for (int64_t i = 0; i < n; i++) w[i] = ingot_bf16_to_f32(s[i]);
      break;
    }
  }
}

static void load_int(const void *src, ingot_dtype dt, int64_t n, int64_t *w) {
  switch (dt) {
    case INGOT_INT8: {
      const int8_t *s = src;
      for (int64_t i = 0; i < n; i++) w[i] = s[i];
      break;
    }
    case INGOT_UINT8: {
      const uint8_t *s = src;
      for (int64_t i = 0; i < n; i++) w[i] = s[i];
      break;
    }
    case INGOT_BOOL: {
      const uint8_t *s = src;
      for (int64_t i = 0; i < n; i++) w[i] = s[i] != 0;
      break;
    }
    case INGOT_INT32: {
      const int32_t *s = src;
      for (int64_t i = 0; i < n; i++) w[i] = s[i];
      break;
    }
    default: memcpy(w, src, (size_t)n * sizeof(int64_t)); break; /* int64 */
  }
}

/* float -> integer, truncating toward zero; every comparison happens before the C
 * conversion, so the conversion only ever sees values in range. */
static int8_t f_to_i8(float x) {
  if (x != x) return 0;
  if (x >= 127.0f) return INT8_MAX;
  if (x <= -128.0f) return INT8_MIN;
  return (int8_t)x;
}
static uint8_t f_to_u8(float x) {
  if (x != x) return 0;
  if (x >= 255.0f) return UINT8_MAX;
  if (x <= -1.0f) return 0;
  return (uint8_t)x; /* (-1, 0) truncates to 0, which is in range */
}
static int32_t f_to_i32(float x) {
  if (x != x) return 0;
  if (x >= 2147483648.0f) return INT32_MAX;
  if (x <= -2147483648.0f) return INT32_MIN;
  return (int32_t)x;
}
static int64_t f_to_i64(float x) {
  if (x != x) return 0;
  if (x >= 9223372036854775808.0f) return INT64_MAX;
  if (x <= -9223372036854775808.0f) return INT64_MIN;
  return (int64_t)x;
}

static void store_float(const float *w, int64_t n, void *dst, ingot_dtype dt) {
  switch (dt) {
    case INGOT_FLOAT32: memcpy(dst, w, (size_t)n * sizeof(float)); break;
    case INGOT_FLOAT16: {
      uint16_t *d = dst;
      for (int64_t i = 0; i < n; i++) d[i] = ingot_f32_to_f16(w[i]);
      break;
    }
    case INGOT_BFLOAT16: {
      uint16_t *d = dst;
      for (int64_t i = 0; i < n; i++) d[i] = ingot_f32_to_bf16(w[i]);
      break;
    }
    case INGOT_INT8: {
      int8_t *d = dst;
      for (int64_t i = 0; i < n; i++) d[i] = f_to_i8(w[i]);
      break;
    }
    case INGOT_UINT8: {
      uint8_t *d = dst;
      for (int64_t i = 0; i < n; i++) d[i] = f_to_u8(w[i]);
      break;
    }
    case INGOT_BOOL: {
      uint8_t *d = dst;
      for (int64_t i = 0; i < n; i++) d[i] = w[i] != 0.0f;
      break;
    }
    case INGOT_INT32: {
      int32_t *d = dst;
      for (int64_t i = 0; i < n; i++) d[i] = f_to_i32(w[i]);
      break;
    }
    default: {
      int64_t *d = dst;
      for (int64_t i = 0; i < n; i++) d[i] = f_to_i64(w[i]);
      break;
    }
  }
}

static void store_int(const int64_t *w, int64_t n, void *dst, ingot_dtype dt) {
  switch (dt) {
    case INGOT_FLOAT32: {
      float *d = dst;
      for (int64_t i = 0; i < n; i++) d[i] = (float)w[i];
      break;
    }
    case INGOT_FLOAT16: {
      uint16_t *d = dst;
      for (int64_t i = 0; i < n; i++) d[i] = ingot_f32_to_f16((float)w[i]);
      break;
    }
    case INGOT_BFLOAT16: {
      uint16_t *d = dst;
      for (int64_t i = 0; i < n; i++) d[i] = ingot_f32_to_bf16((float)w[i]);
      break;
    }
    /* Narrowing keeps the low bits: done on unsigned types, where C defines it. */
    case INGOT_INT8: {
      uint8_t *d = dst;
      for (int64_t i = 0; i < n; i++) d[i] = (uint8_t)(uint64_t)w[i];
      break;
    }
    case INGOT_UINT8: {
      uint8_t *d = dst;
      for (int64_t i = 0; i < n; i++) d[i] = (uint8_t)(uint64_t)w[i];
      break;
    }
    case INGOT_BOOL: {
      uint8_t *d = dst;
      for (int64_t i = 0; i < n; i++) d[i] = w[i] != 0;
      break;
    }
    case INGOT_INT32: {
      uint32_t *d = dst;
      for (int64_t i = 0; i < n; i++) d[i] = (uint32_t)(uint64_t)w[i];
      break;
    }
    default: memcpy(dst, w, (size_t)n * sizeof(int64_t)); break;
  }
}

typedef struct cast_job {
  const char *src;
  char *dst;
  ingot_dtype from, to;
  int64_t count;
} cast_job;

/* Items are blocks of CAST_BLOCK elements. */
static void cast_blocks(void *ctx, int64_t begin, int64_t end) {
  const cast_job *j = ctx;
  const int64_t in_es = (int64_t)ingot_dtype_size(j->from), out_es = (int64_t)ingot_dtype_size(j->to);
  union {
    float f[CAST_BLOCK];
    int64_t i[CAST_BLOCK];
  } w;
  for (int64_t b = begin; b < end; b++) {
    int64_t first = b * CAST_BLOCK, n = j->count - first < CAST_BLOCK ? j->count - first : CAST_BLOCK;
    const char *s = j->src + first * in_es;
    char *d = j->dst + first * out_es;
    if (wide_is_float(j->from)) {
      load_float(s, j->from, n, w.f);
      store_float(w.f, n, d, j->to);
    } else {
      load_int(s, j->from, n, w.i);
      store_int(w.i, n, d, j->to);
    }
  }
}

INGOT_CPU_KERNEL(ingot_cpu_cast) {
  const ingot_tensor_view *in = &args->inputs[0], *out = &args->outputs[0];
  const int64_t count = ingot_dims_volume(&in->dims);
  if (count <= 0) return INGOT_SUCCESS;
  if (in->dtype == out->dtype) {
    ingot_cpu_copy_bytes(out->data, in->data, (uint64_t)count * ingot_dtype_size(in->dtype), args->pool);
    return INGOT_SUCCESS;
  }
  cast_job j = {in->data, out->data, in->dtype, out->dtype, count};
  const int64_t blocks = (count + CAST_BLOCK - 1) / CAST_BLOCK;
  ingot_parallel_for(args->pool, blocks, 16, cast_blocks, &j);
  return INGOT_SUCCESS;
}

INGOT_CPU_KERNEL(ingot_cpu_identity) {
  const ingot_tensor_view *in = &args->inputs[0], *out = &args->outputs[0];
  const int64_t count = ingot_dims_volume(&in->dims);
  if (count <= 0) return INGOT_SUCCESS;
  ingot_cpu_copy_bytes(out->data, in->data, (uint64_t)count * ingot_dtype_size(in->dtype), args->pool);
  return INGOT_SUCCESS;
}
