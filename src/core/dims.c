/* Dims and dtype helpers. */
#include "core/dims.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int64_t ingot_dims_volume(const ingot_dims *dims) {
  int64_t v = 1;
  for (int32_t i = 0; i < dims->nb_dims; i++) {
    int64_t d = dims->d[i];
    if (d < 0) return -1;
    if (d != 0 && v > (INT64_C(1) << 62) / d) return -1;
    v *= d;
  }
  return v;
}

bool ingot_dims_equal(const ingot_dims *a, const ingot_dims *b) {
  if (a->nb_dims != b->nb_dims) return false;
  for (int32_t i = 0; i < a->nb_dims; i++)
    if (a->d[i] != b->d[i]) return false;
  return true;
}

bool ingot_dims_valid(const ingot_dims *dims) {
  if (dims->nb_dims < 0 || dims->nb_dims > INGOT_MAX_DIMS) return false;
  for (int32_t i = 0; i < dims->nb_dims; i++)
    if (dims->d[i] < -1) return false;
  return true;
}

bool ingot_dims_is_concrete(const ingot_dims *dims) {
  if (!ingot_dims_valid(dims)) return false;
  for (int32_t i = 0; i < dims->nb_dims; i++)
    if (dims->d[i] < 0) return false;
  return true;
}

ingot_dims ingot_dims_make(int32_t nb_dims, const int64_t *values) {
  ingot_dims d;
  memset(&d, 0, sizeof d);
  d.nb_dims = nb_dims;
  for (int32_t i = 0; i < nb_dims && i < INGOT_MAX_DIMS; i++) d.d[i] = values[i];
  return d;
}

const char *ingot_dims_format(const ingot_dims *dims, char *buf, size_t size) {
  if (!buf || size == 0) return "";
  buf[0] = '\0';
  if (dims->nb_dims < 0 || dims->nb_dims > INGOT_MAX_DIMS) {
    snprintf(buf, size, "(invalid rank %d)", dims->nb_dims);
    return buf;
  }
  if (dims->nb_dims == 0) {
    snprintf(buf, size, "scalar");
    return buf;
  }
  size_t used = 0;
  for (int32_t i = 0; i < dims->nb_dims && used < size; i++) {
    int n = dims->d[i] < 0 ? snprintf(buf + used, size - used, "%s?", i ? "x" : "")
                           : snprintf(buf + used, size - used, "%s%lld", i ? "x" : "", (long long)dims->d[i]);
    if (n < 0) break;
    used += (size_t)n;
  }
  return buf;
}

void ingot_dims_strides(const ingot_dims *dims, int64_t strides_out[INGOT_MAX_DIMS]) {
  int64_t s = 1;
  for (int32_t i = dims->nb_dims - 1; i >= 0; i--) {
    strides_out[i] = s;
    s *= dims->d[i] > 0 ? dims->d[i] : 1;
  }
  for (int32_t i = dims->nb_dims; i < INGOT_MAX_DIMS; i++) strides_out[i] = 0;
}

bool ingot_dims_broadcast(const ingot_dims *a, const ingot_dims *b, ingot_dims *out) {
  int32_t rank = a->nb_dims > b->nb_dims ? a->nb_dims : b->nb_dims;
  ingot_dims r;
  memset(&r, 0, sizeof r);
  r.nb_dims = rank;
  for (int32_t i = 0; i < rank; i++) {
    int32_t ia = i - (rank - a->nb_dims), ib = i - (rank - b->nb_dims);
    int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
    if (da == db || db == 1)
      r.d[i] = da;
    else if (da == 1)
      r.d[i] = db;
    else
      return false;
  }
  *out = r;
  return true;
}

bool ingot_axis_normalize(int64_t axis, int32_t rank, int32_t *axis_out) {
  if (axis < -(int64_t)rank || axis >= rank) return false;
  *axis_out = (int32_t)(axis < 0 ? axis + rank : axis);
  return true;
}

bool ingot_dtype_valid(ingot_dtype dtype) { return (int)dtype >= 0 && (int)dtype < INGOT_DTYPE_COUNT; }
bool ingot_dtype_is_float(ingot_dtype dtype) {
  return dtype == INGOT_FLOAT32 || dtype == INGOT_FLOAT16 || dtype == INGOT_BFLOAT16;
}
bool ingot_dtype_is_integer(ingot_dtype dtype) {
  return dtype == INGOT_INT8 || dtype == INGOT_UINT8 || dtype == INGOT_INT32 || dtype == INGOT_INT64;
}

size_t ingot_dtype_size(ingot_dtype dtype) {
  switch (dtype) {
    case INGOT_FLOAT32: case INGOT_INT32: return 4;
    case INGOT_FLOAT16: case INGOT_BFLOAT16: return 2;
    case INGOT_INT8: case INGOT_UINT8: case INGOT_BOOL: return 1;
    case INGOT_INT64: return 8;
  }
  return 0;
}

const char *ingot_dtype_name(ingot_dtype dtype) {
  switch (dtype) {
    case INGOT_FLOAT32: return "float32";
    case INGOT_FLOAT16: return "float16";
    case INGOT_BFLOAT16: return "bfloat16";
    case INGOT_INT8: return "int8";
    case INGOT_INT32: return "int32";
    case INGOT_INT64: return "int64";
    case INGOT_BOOL: return "bool";
    case INGOT_UINT8: return "uint8";
  }
  return "unknown";
}

static uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static float bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

float ingot_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  if (exp == 0) {
    /* zero or subnormal: value = man * 2^-24 */
    float v = (float)man * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  if (exp == 31) return bits_f32(sign | 0x7f800000u | (man << 13));
  return bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t ingot_f32_to_f16(float f) {
  uint32_t u = f32_bits(f);
  uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
  uint32_t abs = u & 0x7fffffffu;
  if (abs >= 0x7f800000u) return (uint16_t)(sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 : 0));
  if (abs >= 0x477ff000u) return (uint16_t)(sign | 0x7c00); /* rounds to >= 65520: inf */
  if (abs < 0x38800000u) {
    /* subnormal half: round abs * 2^24 to nearest even integer */
    float v = bits_f32(abs) * 16777216.0f;
    float r = nearbyintf(v);
    return (uint16_t)(sign | (uint16_t)r);
  }
  uint32_t exp = (abs >> 23) - 112, man = abs & 0x7fffff;
  uint32_t h = (exp << 10) | (man >> 13);
  uint32_t rest = man & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
  return (uint16_t)(sign | h);
}

float ingot_bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }

uint16_t ingot_f32_to_bf16(float f) {
  uint32_t u = f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
  u += 0x7fff + ((u >> 16) & 1);
  return (uint16_t)(u >> 16);
}

double ingot_load_as_double(const void *data, ingot_dtype dtype, int64_t i) {
  switch (dtype) {
    case INGOT_FLOAT32: return ((const float *)data)[i];
    case INGOT_FLOAT16: return ingot_f16_to_f32(((const uint16_t *)data)[i]);
    case INGOT_BFLOAT16: return ingot_bf16_to_f32(((const uint16_t *)data)[i]);
    case INGOT_INT8: return ((const int8_t *)data)[i];
    case INGOT_UINT8: return ((const uint8_t *)data)[i];
    case INGOT_INT32: return ((const int32_t *)data)[i];
    case INGOT_INT64: return (double)((const int64_t *)data)[i];
    case INGOT_BOOL: return ((const uint8_t *)data)[i] ? 1.0 : 0.0;
  }
  return 0.0;
}

/* Float to integer without C undefined behaviour: NaN gives 0, out of range clamps. */
static int64_t clamp_to_int(double v, double lo, double hi) {
  if (isnan(v)) return 0;
  if (v <= lo) return (int64_t)lo;
  if (v >= hi) return (int64_t)hi;
  return (int64_t)v;
}

void ingot_store_from_double(void *data, ingot_dtype dtype, int64_t i, double v) {
  switch (dtype) {
    case INGOT_FLOAT32: ((float *)data)[i] = (float)v; break;
    case INGOT_FLOAT16: ((uint16_t *)data)[i] = ingot_f32_to_f16((float)v); break;
    case INGOT_BFLOAT16: ((uint16_t *)data)[i] = ingot_f32_to_bf16((float)v); break;
    case INGOT_INT8: ((int8_t *)data)[i] = (int8_t)clamp_to_int(v, -128.0, 127.0); break;
    case INGOT_UINT8: ((uint8_t *)data)[i] = (uint8_t)clamp_to_int(v, 0.0, 255.0); break;
    case INGOT_INT32: ((int32_t *)data)[i] = (int32_t)clamp_to_int(v, -2147483648.0, 2147483647.0); break;
    case INGOT_INT64:
      ((int64_t *)data)[i] = clamp_to_int(v, -9223372036854775808.0, 9223372036854774784.0);
      break;
    case INGOT_BOOL: ((uint8_t *)data)[i] = v != 0.0; break;
  }
}
