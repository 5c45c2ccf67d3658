/* TensorProto to host data. The ONNX specification stores an element type in one of
 * several places: raw_data (fixed-width little-endian), a typed repeated field (float_data,
 * int32_data for every type of 16 bits or less, int64_data, double_data, uint64_data for
 * uint32/uint64) or an external file. Each count is checked against the dims' volume, and
 * each external file's offset and length against its size, before any buffer is allocated
 * for the data, so a lying header can neither overrun nor make ingot allocate what the
 * file does not hold. */
#include "onnx/tensor_data.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/dims.h"
#include "core/error.h"
#include "core/logger.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ingot's ONNX reader copies raw_data as is: it assumes a little-endian host"
#endif

/* Where the specification keeps each element type when raw_data is absent. */
typedef enum typed_field {
  FIELD_NONE = 0,
  FIELD_FLOAT,  /* float_data */
  FIELD_INT32,  /* int32_data */
  FIELD_INT64,  /* int64_data */
  FIELD_DOUBLE, /* double_data */
  FIELD_UINT64  /* uint64_data */
} typed_field;

static const char *field_name(typed_field f) {
  switch (f) {
    case FIELD_FLOAT: return "float_data";
    case FIELD_INT32: return "int32_data";
    case FIELD_INT64: return "int64_data";
    case FIELD_DOUBLE: return "double_data";
    case FIELD_UINT64: return "uint64_data";
    case FIELD_NONE: break;
  }
  return "?";
}

/* One ONNX element type as ingot reads it. */
typedef struct elem_kind {
  int32_t onnx;       /* TensorProto.DataType */
  ingot_dtype dtype;  /* what ingot keeps */
  size_t raw_size;    /* bytes per element in raw_data and external files */
  typed_field field;
  bool converted;     /* dtype differs from the file's type */
} elem_kind;

static const elem_kind kinds[] = {
    {ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, INGOT_FLOAT32, 4, FIELD_FLOAT, false},
    {ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, INGOT_UINT8, 1, FIELD_INT32, false},
    {ONNX__TENSOR_PROTO__DATA_TYPE__INT8, INGOT_INT8, 1, FIELD_INT32, false},
    {ONNX__TENSOR_PROTO__DATA_TYPE__UINT16, INGOT_INT64, 2, FIELD_INT32, true},
    {ONNX__TENSOR_PROTO__DATA_TYPE__INT16, INGOT_INT64, 2, FIELD_INT32, true},
    {ONNX__TENSOR_PROTO__DATA_TYPE__INT32, INGOT_INT32, 4, FIELD_INT32, false},
    {ONNX__TENSOR_PROTO__DATA_TYPE__INT64, INGOT_INT64, 8, FIELD_INT64, false},
    {ONNX__TENSOR_PROTO__DATA_TYPE__BOOL, INGOT_BOOL, 1, FIELD_INT32, false},
    {ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16, INGOT_FLOAT16, 2, FIELD_INT32, false},
    {ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, INGOT_FLOAT32, 8, FIELD_DOUBLE, true},
    {ONNX__TENSOR_PROTO__DATA_TYPE__UINT32, INGOT_INT64, 4, FIELD_UINT64, true},
    {ONNX__TENSOR_PROTO__DATA_TYPE__UINT64, INGOT_INT64, 8, FIELD_UINT64, true},
    {ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16, INGOT_BFLOAT16, 2, FIELD_INT32, false},
};

static const elem_kind *find_kind(int32_t onnx) {
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
    if (kinds[k].onnx == onnx) return &kinds[k];
  return NULL;
}

/* ---- external data ------------------------------------------------------------------------ */

ingot_status ingot_onnx_check_location(const char *location, const char *what) {
  if (!location || location[0] == '\0')
    return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: external data location is empty, expected a file name", what);
  if (location[0] == '/')
    return ingot_fail(INGOT_INVALID_ARGUMENT,
                      "%s: external data location '%s' is an absolute path; it must be relative to the model's "
                      "directory", what, location);
  /* A ".." component anywhere could climb out of the model's directory. */
  for (const char *p = location; *p;) {
    const char *end = strchr(p, '/');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == 2 && p[0] == '.' && p[1] == '.')
      return ingot_fail(INGOT_INVALID_ARGUMENT,
                        "%s: external data location '%s' escapes the model's directory ('..' is refused)", what,
                        location);
    p += len;
    while (*p == '/') p++;
  }
  return INGOT_SUCCESS;
}

/* Strict non-negative decimal (external_data "offset"/"length"). */
static bool parse_u63(const char *text, int64_t *out) {
  if (!text || !*text) return false;
  uint64_t v = 0;
  for (const char *p = text; *p; p++) {
    if (*p < '0' || *p > '9') return false;
    v = v * 10 + (uint64_t)(*p - '0');
    if (v > (uint64_t)INT64_MAX) return false;
  }
  *out = (int64_t)v;
  return true;
}

/* Reads the tensor's bytes from its external file into a new buffer of exactly `expected`
 * bytes (NULL when 0). */
static ingot_status read_external(const Onnx__TensorProto *proto, const ingot_onnx_read_ctx *ctx, const char *what,
                                  uint64_t expected, void **data_out) {
  *data_out = NULL;
  const char *location = NULL, *offset_text = NULL, *length_text = NULL;
  for (size_t k = 0; k < proto->n_external_data; k++) {
    const Onnx__StringStringEntryProto *e = proto->external_data[k];
    const char *key = e->key ? e->key : "", *value = e->value ? e->value : "";
    if (strcmp(key, "location") == 0) location = value;
    else if (strcmp(key, "offset") == 0) offset_text = value;
    else if (strcmp(key, "length") == 0) length_text = value;
    /* "checksum" and keys of later versions carry nothing ingot needs to read the data. */
  }
  if (!location)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: data_location is EXTERNAL but external_data has no 'location' key",
                      what);
  INGOT_TRY(ingot_onnx_check_location(location, what));
  if (!ctx || !ctx->model_dir)
    return ingot_fail(INGOT_INVALID_ARGUMENT,
                      "%s: its data is in the external file '%s', but no model directory was given (parse the "
                      "model from its file, or pass model_dir)", what, location);
  int64_t offset = 0, length = -1;
  if (offset_text && !parse_u63(offset_text, &offset))
    return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: external data offset '%s' is not a non-negative decimal integer",
                      what, offset_text);
  if (length_text && !parse_u63(length_text, &length))
    return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: external data length '%s' is not a non-negative decimal integer",
                      what, length_text);
  char path[4096];
  int n = snprintf(path, sizeof path, "%s/%s", ctx->model_dir[0] ? ctx->model_dir : ".", location);
  if (n < 0 || (size_t)n >= sizeof path)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: external data path '%s/%s' is longer than %zu bytes", what,
                      ctx->model_dir, location, sizeof path - 1);
  FILE *f = fopen(path, "rb");
  if (!f)
    return ingot_fail(errno == ENOENT ? INGOT_NOT_FOUND : INGOT_IO_ERROR,
                      "%s: cannot open external data file '%s': %s", what, path, strerror(errno));
  struct stat st;
  ingot_status status = INGOT_SUCCESS;
  if (fstat(fileno(f), &st) != 0) {
    status = ingot_fail(INGOT_IO_ERROR, "%s: cannot stat external data file '%s': %s", what, path, strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    status = ingot_fail(INGOT_INVALID_ARGUMENT, "%s: external data file '%s' is not a regular file", what, path);
  } else {
    int64_t file_size = (int64_t)st.st_size;
    if (offset > file_size) {
      status = ingot_fail(INGOT_INVALID_ARGUMENT,
                          "%s: external data offset %" PRId64 " is past the end of '%s' (%" PRId64 " bytes)", what,
                          offset, path, file_size);
    } else {
      if (length < 0) length = file_size - offset;
      if (length > file_size - offset)
        status = ingot_fail(INGOT_INVALID_ARGUMENT,
                            "%s: external data needs bytes %" PRId64 " to %" PRId64 " of '%s', which holds %" PRId64
                            " bytes", what, offset, offset + length, path, file_size);
      else if ((uint64_t)length != expected)
        status = ingot_fail(INGOT_INVALID_ARGUMENT,
                            "%s: external data length is %" PRId64 " bytes, expected %" PRIu64
                            " (the tensor's volume times its element size)", what, length, expected);
    }
  }
  void *data = NULL;
  if (status == INGOT_SUCCESS && expected > 0) {
    if (expected > SIZE_MAX) {
      status = ingot_fail(INGOT_OUT_OF_MEMORY, "%s: %" PRIu64 " bytes of external data do not fit in memory", what,
                          expected);
    } else if (!(data = malloc((size_t)expected))) {
      status = ingot_fail(INGOT_OUT_OF_MEMORY, "%s: out of memory for %" PRIu64 " bytes of external data", what,
                          expected);
    } else if (fseeko(f, (off_t)offset, SEEK_SET) != 0 || fread(data, 1, (size_t)expected, f) != (size_t)expected) {
      status = ingot_fail(INGOT_IO_ERROR, "%s: cannot read %" PRIu64 " bytes at offset %" PRId64 " of '%s'", what,
                          expected, offset, path);
    }
  }
  fclose(f);
  if (status != INGOT_SUCCESS) {
    free(data);
    return status;
  }
  *data_out = data;
  return INGOT_SUCCESS;
}

/* ---- element conversion --------------------------------------------------------------------- */

static int64_t load_le(const uint8_t *p, size_t size, bool is_signed) {
  uint64_t v = 0;
  for (size_t b = 0; b < size; b++) v |= (uint64_t)p[b] << (8 * b);
  if (is_signed && size < 8 && (v >> (8 * size - 1)) & 1) v |= ~(uint64_t)0 << (8 * size);
  return (int64_t)v;
}

/* Converts `count` raw little-endian elements of kind k into out (already sized). */
static ingot_status convert_raw(const elem_kind *k, const uint8_t *src, int64_t count, void *out, const char *what) {
  for (int64_t e = 0; e < count; e++) {
    const uint8_t *p = src + (size_t)e * k->raw_size;
    switch (k->onnx) {
      case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
        double d;
        memcpy(&d, p, sizeof d);
        ((float *)out)[e] = (float)d;
        break;
      }
      case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
        ((int64_t *)out)[e] = load_le(p, 2, true);
        break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
      case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
        ((int64_t *)out)[e] = load_le(p, k->raw_size, false);
        break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: {
        uint64_t v = (uint64_t)load_le(p, 8, false);
        if (v > (uint64_t)INT64_MAX)
          return ingot_fail(INGOT_UNSUPPORTED,
                            "%s: uint64 element %" PRId64 " is %" PRIu64 ", above the int64 range ingot converts to",
                            what, e, v);
        ((int64_t *)out)[e] = (int64_t)v;
        break;
      }
      default:
        return ingot_fail(INGOT_INTERNAL_ERROR, "%s: no raw conversion for ONNX data type %d", what, (int)k->onnx);
    }
  }
  return INGOT_SUCCESS;
}

/* int32_data holds every type of 16 bits or less, one element per int32. */
static ingot_status convert_int32_field(const elem_kind *k, const int32_t *src, int64_t count, void *out,
                                        const char *what) {
  int64_t lo = INT32_MIN, hi = INT32_MAX;
  switch (k->onnx) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: lo = INT8_MIN, hi = INT8_MAX; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: lo = 0, hi = UINT8_MAX; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: lo = INT16_MIN, hi = INT16_MAX; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: /* fall through: 16-bit patterns */
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: lo = 0, hi = UINT16_MAX; break;
    default: break;
  }
  char type_buf[32];
  for (int64_t e = 0; e < count; e++) {
    int32_t v = src[e];
    if (k->onnx == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL) {
      ((uint8_t *)out)[e] = v != 0; /* ingot's bool is 0 or 1 */
      continue;
    }
    if (v < lo || v > hi)
      return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: int32_data[%" PRId64 "] = %d is out of range for %s ([%" PRId64
                        ", %" PRId64 "])", what, e, v, ingot_onnx_data_type_name(k->onnx, type_buf, sizeof type_buf),
                        lo, hi);
    switch (k->dtype) {
      case INGOT_INT8: ((int8_t *)out)[e] = (int8_t)v; break;
      case INGOT_UINT8: ((uint8_t *)out)[e] = (uint8_t)v; break;
      case INGOT_INT32: ((int32_t *)out)[e] = v; break;
      case INGOT_INT64: ((int64_t *)out)[e] = v; break;
      case INGOT_FLOAT16:
      case INGOT_BFLOAT16: ((uint16_t *)out)[e] = (uint16_t)v; break;
      default: return ingot_fail(INGOT_INTERNAL_ERROR, "%s: no int32_data conversion to %s", what,
                                 ingot_dtype_name(k->dtype));
    }
  }
  return INGOT_SUCCESS;
}

static ingot_status convert_typed(const elem_kind *k, const Onnx__TensorProto *proto, int64_t count, void *out,
                                  const char *what) {
  switch (k->field) {
    case FIELD_FLOAT:
      if (count) memcpy(out, proto->float_data, (size_t)count * sizeof(float));
      return INGOT_SUCCESS;
    case FIELD_INT64:
      if (count) memcpy(out, proto->int64_data, (size_t)count * sizeof(int64_t));
      return INGOT_SUCCESS;
    case FIELD_DOUBLE:
      for (int64_t e = 0; e < count; e++) ((float *)out)[e] = (float)proto->double_data[e];
      return INGOT_SUCCESS;
    case FIELD_UINT64:
      for (int64_t e = 0; e < count; e++) {
        uint64_t v = proto->uint64_data[e];
        if (k->onnx == ONNX__TENSOR_PROTO__DATA_TYPE__UINT32 ? v > UINT32_MAX : v > (uint64_t)INT64_MAX)
          return ingot_fail(INGOT_UNSUPPORTED, "%s: uint64_data[%" PRId64 "] = %" PRIu64 " is out of range for %s",
                            what, e, v,
                            k->onnx == ONNX__TENSOR_PROTO__DATA_TYPE__UINT32 ? "UINT32" : "int64 (ingot's integers)");
        ((int64_t *)out)[e] = (int64_t)v;
      }
      return INGOT_SUCCESS;
    case FIELD_INT32:
      return convert_int32_field(k, proto->int32_data, count, out, what);
    case FIELD_NONE: break;
  }
  return ingot_fail(INGOT_INTERNAL_ERROR, "%s: no typed field for ONNX data type %d", what, (int)k->onnx);
}

static size_t typed_count(const Onnx__TensorProto *proto, typed_field f) {
  switch (f) {
    case FIELD_FLOAT: return proto->n_float_data;
    case FIELD_INT32: return proto->n_int32_data;
    case FIELD_INT64: return proto->n_int64_data;
    case FIELD_DOUBLE: return proto->n_double_data;
    case FIELD_UINT64: return proto->n_uint64_data;
    case FIELD_NONE: break;
  }
  return 0;
}

/* The first typed field other than `expected` that holds values (FIELD_NONE if none). */
static typed_field stray_field(const Onnx__TensorProto *proto, typed_field expected) {
  for (int f = FIELD_FLOAT; f <= FIELD_UINT64; f++)
    if ((typed_field)f != expected && typed_count(proto, (typed_field)f) > 0) return (typed_field)f;
  return FIELD_NONE;
}

/* ---- the tensor ----------------------------------------------------------------------------- */

/* Dims, rank and volume, checked. */
static ingot_status read_dims(const Onnx__TensorProto *proto, const char *what, ingot_dims *dims, int64_t *volume) {
  if (proto->n_dims > INGOT_MAX_DIMS)
    return ingot_fail(INGOT_UNSUPPORTED, "%s has rank %zu; ingot handles at most %d dims", what, proto->n_dims,
                      INGOT_MAX_DIMS);
  memset(dims, 0, sizeof *dims);
  dims->nb_dims = (int32_t)proto->n_dims;
  int64_t v = 1;
  for (size_t d = 0; d < proto->n_dims; d++) {
    int64_t n = proto->dims[d];
    if (n < 0)
      return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: dim %zu is %" PRId64 ", expected >= 0", what, d, n);
    dims->d[d] = n;
    if (n != 0 && v > ((int64_t)1 << 62) / n)
      return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: the volume of its dims overflows (dim %zu is %" PRId64 ")", what,
                        d, n);
    v *= n;
  }
  *volume = v;
  return INGOT_SUCCESS;
}

static char *dims_text(const ingot_dims *dims, char *buf, size_t size) {
  ingot_dims_format(dims, buf, size);
  return buf;
}

ingot_status ingot_onnx_tensor_convert(Onnx__TensorProto *proto, const ingot_onnx_read_ctx *ctx, const char *what,
                                       bool steal, ingot_onnx_tensor *out) {
  memset(out, 0, sizeof *out);
  char type_buf[32], dims_buf[INGOT_DIMS_STR_SIZE];
  int32_t data_type = proto->has_data_type ? proto->data_type : 0;
  if (proto->segment)
    return ingot_fail(INGOT_UNSUPPORTED, "%s is a segment of a larger tensor (TensorProto.segment); ingot reads whole "
                      "tensors only", what);
  const elem_kind *k = find_kind(data_type);
  if (!k)
    return ingot_fail(INGOT_UNSUPPORTED,
                      "%s has element type %s, which ingot cannot hold (it reads FLOAT, FLOAT16, BFLOAT16, DOUBLE, "
                      "INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, UINT64, BOOL)",
                      what, ingot_onnx_data_type_name(data_type, type_buf, sizeof type_buf));
  ingot_dims dims;
  int64_t volume = 0;
  INGOT_TRY(read_dims(proto, what, &dims, &volume));
  uint64_t raw_bytes = (uint64_t)volume * k->raw_size; /* volume <= 2^62, raw_size <= 8: may wrap only past 2^64 */
  if (volume > 0 && raw_bytes / k->raw_size != (uint64_t)volume)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: %s of %s is too large", what, dims_text(&dims, dims_buf, sizeof dims_buf),
                      ingot_onnx_data_type_name(data_type, type_buf, sizeof type_buf));
  if ((uint64_t)volume > SIZE_MAX / ingot_dtype_size(k->dtype))
    return ingot_fail(INGOT_OUT_OF_MEMORY, "%s: %" PRId64 " elements of %s do not fit in memory", what, volume,
                      ingot_dtype_name(k->dtype));
  size_t out_bytes = (size_t)volume * ingot_dtype_size(k->dtype);
  bool external = proto->has_data_location && proto->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  typed_field stray = stray_field(proto, FIELD_NONE);

  const uint8_t *raw = NULL;
  uint8_t *owned_raw = NULL; /* external data, or raw_data taken from the proto */
  if (external) {
    if (proto->has_raw_data || stray != FIELD_NONE)
      return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: data_location is EXTERNAL but it also holds %s", what,
                        proto->has_raw_data ? "raw_data" : field_name(stray));
    void *data = NULL;
    INGOT_TRY(read_external(proto, ctx, what, raw_bytes, &data));
    owned_raw = data;
    raw = owned_raw;
  } else if (proto->has_raw_data) {
    if (stray != FIELD_NONE)
      return ingot_fail(INGOT_INVALID_ARGUMENT, "%s holds both raw_data and %s; a tensor keeps its data in one place",
                        what, field_name(stray));
    if ((uint64_t)proto->raw_data.len != raw_bytes)
      return ingot_fail(INGOT_INVALID_ARGUMENT,
                        "%s: raw_data holds %zu bytes, expected %" PRIu64 " (%" PRId64 " elements of %s, dims %s, %zu "
                        "bytes each)", what, proto->raw_data.len, raw_bytes, volume,
                        ingot_onnx_data_type_name(data_type, type_buf, sizeof type_buf),
                        dims_text(&dims, dims_buf, sizeof dims_buf), k->raw_size);
    raw = proto->raw_data.data;
    if (steal && !k->converted && k->dtype != INGOT_BOOL && raw_bytes > 0) {
      owned_raw = proto->raw_data.data;
      proto->raw_data.data = NULL;
      proto->raw_data.len = 0;
    }
  } else {
    typed_field other = stray_field(proto, k->field);
    if (other != FIELD_NONE)
      return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: element type %s keeps its values in %s or raw_data, but it holds %s",
                        what, ingot_onnx_data_type_name(data_type, type_buf, sizeof type_buf), field_name(k->field),
                        field_name(other));
    size_t count = typed_count(proto, k->field);
    if ((uint64_t)count != (uint64_t)volume) {
      if (count == 0 && proto->n_string_data == 0)
        return ingot_fail(INGOT_INVALID_ARGUMENT,
                          "%s has no data (no raw_data, no %s, not external), expected %" PRId64 " values for dims %s",
                          what, field_name(k->field), volume, dims_text(&dims, dims_buf, sizeof dims_buf));
      return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: %s holds %zu values, expected %" PRId64 " (the volume of dims %s)",
                        what, field_name(k->field), count, volume, dims_text(&dims, dims_buf, sizeof dims_buf));
    }
  }

  ingot_status status = INGOT_SUCCESS;
  void *data = NULL;
  if (owned_raw && !k->converted && k->dtype != INGOT_BOOL) {
    data = owned_raw; /* already in ingot's layout */
    owned_raw = NULL;
  } else if (out_bytes > 0) {
    data = malloc(out_bytes);
    if (!data) {
      status = ingot_fail(INGOT_OUT_OF_MEMORY, "%s: out of memory for %zu bytes", what, out_bytes);
    } else if (raw) {
      if (k->dtype == INGOT_BOOL) {
        for (int64_t e = 0; e < volume; e++) ((uint8_t *)data)[e] = raw[e] != 0;
      } else if (!k->converted) {
        memcpy(data, raw, out_bytes);
      } else {
        status = convert_raw(k, raw, volume, data, what);
      }
    } else {
      status = convert_typed(k, proto, volume, data, what);
    }
  }
  free(owned_raw);
  if (status != INGOT_SUCCESS) {
    free(data);
    return status;
  }
  if (k->converted && ctx && ctx->logger)
    ingot_log(ctx->logger, INGOT_SEVERITY_VERBOSE, "%s: %s converted to %s (ingot has no %s type)", what,
              ingot_onnx_data_type_name(data_type, type_buf, sizeof type_buf), ingot_dtype_name(k->dtype),
              ingot_onnx_data_type_name(data_type, type_buf, sizeof type_buf));
  out->dtype = k->dtype;
  out->dims = dims;
  out->data = data;
  out->size = out_bytes;
  return INGOT_SUCCESS;
}
