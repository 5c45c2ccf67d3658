/* Little-endian byte writer and bounds-checked reader (see byte_io.h). Values are encoded
 * byte by byte, so the format is the same whatever the host's endianness. */
#include "plan/byte_io.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

/* ---- writer ---------------------------------------------------------------------------- */

void ingot_byte_writer_init(ingot_byte_writer *w) {
  w->data = NULL;
  w->size = 0;
  w->capacity = 0;
  w->status = INGOT_SUCCESS;
}

void ingot_byte_writer_free(ingot_byte_writer *w) {
  free(w->data);
  ingot_byte_writer_init(w);
}

ingot_status ingot_byte_writer_release(ingot_byte_writer *w, void **data_out, size_t *size_out) {
  ingot_status st = w->status;
  if (st != INGOT_SUCCESS) {
    ingot_byte_writer_free(w);
    return st;
  }
  *data_out = w->data;
  *size_out = w->size;
  ingot_byte_writer_init(w);
  return INGOT_SUCCESS;
}

/* Makes room for n more bytes; doubling keeps appends amortized O(1). */
static ingot_status writer_reserve(ingot_byte_writer *w, size_t n) {
  if (w->status != INGOT_SUCCESS) return w->status;
  if (n > SIZE_MAX - w->size) {
    w->status = ingot_fail(INGOT_OUT_OF_MEMORY, "byte writer: %zu + %zu bytes overflows", w->size, n);
    return w->status;
  }
  size_t need = w->size + n;
  if (need <= w->capacity) return INGOT_SUCCESS;
  size_t cap = w->capacity ? w->capacity : 256;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  uint8_t *p = ingot_realloc_array(w->data, cap, 1);
  if (!p) {
    w->status = INGOT_OUT_OF_MEMORY; /* ingot_realloc_array set the message */
    return w->status;
  }
  w->data = p;
  w->capacity = cap;
  return INGOT_SUCCESS;
}

ingot_status ingot_byte_write_bytes(ingot_byte_writer *w, const void *data, size_t size) {
  INGOT_TRY(writer_reserve(w, size));
  if (size) memcpy(w->data + w->size, data, size);
  w->size += size;
  return INGOT_SUCCESS;
}

ingot_status ingot_byte_write_zeros(ingot_byte_writer *w, size_t size) {
  INGOT_TRY(writer_reserve(w, size));
  if (size) memset(w->data + w->size, 0, size);
  w->size += size;
  return INGOT_SUCCESS;
}

static void store_le(uint8_t *p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static ingot_status write_le(ingot_byte_writer *w, uint64_t v, int bytes) {
  INGOT_TRY(writer_reserve(w, (size_t)bytes));
  store_le(w->data + w->size, v, bytes);
  w->size += (size_t)bytes;
  return INGOT_SUCCESS;
}

ingot_status ingot_byte_write_u8(ingot_byte_writer *w, uint8_t v) { return write_le(w, v, 1); }
ingot_status ingot_byte_write_u32(ingot_byte_writer *w, uint32_t v) { return write_le(w, v, 4); }
ingot_status ingot_byte_write_i32(ingot_byte_writer *w, int32_t v) { return write_le(w, (uint32_t)v, 4); }
ingot_status ingot_byte_write_u64(ingot_byte_writer *w, uint64_t v) { return write_le(w, v, 8); }
ingot_status ingot_byte_write_i64(ingot_byte_writer *w, int64_t v) { return write_le(w, (uint64_t)v, 8); }

ingot_status ingot_byte_write_f32(ingot_byte_writer *w, float v) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  return write_le(w, bits, 4);
}

ingot_status ingot_byte_write_string(ingot_byte_writer *w, const char *s, size_t max_len) {
  if (w->status != INGOT_SUCCESS) return w->status;
  if (!s) s = "";
  size_t n = strlen(s);
  if (n > max_len || n > UINT32_MAX) {
    w->status = ingot_fail(INGOT_INVALID_ARGUMENT, "string of %zu bytes is longer than the %zu allowed: '%.40s...'",
                           n, max_len, s);
    return w->status;
  }
  INGOT_TRY(ingot_byte_write_u32(w, (uint32_t)n));
  return ingot_byte_write_bytes(w, s, n);
}

static ingot_status patch_le(ingot_byte_writer *w, size_t offset, uint64_t v, int bytes) {
  if (w->status != INGOT_SUCCESS) return w->status;
  if (offset > w->size || w->size - offset < (size_t)bytes)
    return ingot_fail(INGOT_INTERNAL_ERROR, "byte writer: patch of %d bytes at offset %zu past the end (%zu)", bytes,
                      offset, w->size);
  store_le(w->data + offset, v, bytes);
  return INGOT_SUCCESS;
}

ingot_status ingot_byte_patch_u32(ingot_byte_writer *w, size_t offset, uint32_t v) { return patch_le(w, offset, v, 4); }
ingot_status ingot_byte_patch_u64(ingot_byte_writer *w, size_t offset, uint64_t v) { return patch_le(w, offset, v, 8); }

/* ---- reader ---------------------------------------------------------------------------- */

void ingot_byte_reader_init(ingot_byte_reader *r, const void *data, size_t size, const char *what,
                            ingot_status error) {
  r->data = data;
  r->size = data ? size : 0;
  r->pos = 0;
  r->base = 0;
  r->what = what ? what : "data";
  r->error = error;
}

size_t ingot_byte_reader_remaining(const ingot_byte_reader *r) { return r->size - r->pos; }
size_t ingot_byte_reader_offset(const ingot_byte_reader *r) { return r->base + r->pos; }

static ingot_status need(const ingot_byte_reader *r, uint64_t n, const char *field) {
  size_t left = r->size - r->pos;
  if (n > left)
    return ingot_fail(r->error, "%s truncated: reading %s needs %llu bytes at offset %zu, only %zu left", r->what,
                      field, (unsigned long long)n, ingot_byte_reader_offset(r), left);
  return INGOT_SUCCESS;
}

static ingot_status read_le(ingot_byte_reader *r, int bytes, const char *field, uint64_t *out) {
  INGOT_TRY(need(r, (uint64_t)bytes, field));
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) v |= (uint64_t)r->data[r->pos + (size_t)i] << (8 * i);
  r->pos += (size_t)bytes;
  *out = v;
  return INGOT_SUCCESS;
}

ingot_status ingot_byte_read_u8(ingot_byte_reader *r, uint8_t *out) {
  uint64_t v;
  INGOT_TRY(read_le(r, 1, "a u8", &v));
  *out = (uint8_t)v;
  return INGOT_SUCCESS;
}

ingot_status ingot_byte_read_u32(ingot_byte_reader *r, uint32_t *out) {
  uint64_t v;
  INGOT_TRY(read_le(r, 4, "a u32", &v));
  *out = (uint32_t)v;
  return INGOT_SUCCESS;
}

ingot_status ingot_byte_read_i32(ingot_byte_reader *r, int32_t *out) {
  uint64_t v;
  INGOT_TRY(read_le(r, 4, "an i32", &v));
  uint32_t u = (uint32_t)v;
  memcpy(out, &u, sizeof u); /* two's complement reinterpretation without UB */
  return INGOT_SUCCESS;
}

ingot_status ingot_byte_read_u64(ingot_byte_reader *r, uint64_t *out) { return read_le(r, 8, "a u64", out); }

ingot_status ingot_byte_read_i64(ingot_byte_reader *r, int64_t *out) {
  uint64_t v;
  INGOT_TRY(read_le(r, 8, "an i64", &v));
  memcpy(out, &v, sizeof v);
  return INGOT_SUCCESS;
}

ingot_status ingot_byte_read_f32(ingot_byte_reader *r, float *out) {
  uint64_t v;
  INGOT_TRY(read_le(r, 4, "an f32", &v));
  uint32_t u = (uint32_t)v;
  memcpy(out, &u, sizeof u);
  return INGOT_SUCCESS;
}

ingot_status ingot_byte_read_bytes(ingot_byte_reader *r, void *dst, size_t n) {
  INGOT_TRY(need(r, n, "bytes"));
  if (n) memcpy(dst, r->data + r->pos, n);
  r->pos += n;
  return INGOT_SUCCESS;
}

ingot_status ingot_byte_read_view(ingot_byte_reader *r, uint64_t n, const uint8_t **out) {
  INGOT_TRY(need(r, n, "a block of data"));
  *out = r->data ? r->data + r->pos : NULL; /* n is 0 when data is NULL */
  r->pos += (size_t)n;
  return INGOT_SUCCESS;
}

ingot_status ingot_byte_read_string(ingot_byte_reader *r, size_t max_len, const char *field, char **out) {
  *out = NULL;
  size_t at = ingot_byte_reader_offset(r);
  uint32_t n;
  INGOT_TRY(ingot_byte_read_u32(r, &n));
  if (n > max_len)
    return ingot_fail(r->error, "%s: %s at offset %zu has length %u, at most %zu allowed", r->what, field, at, n,
                      max_len);
  const uint8_t *bytes;
  INGOT_TRY(ingot_byte_read_view(r, n, &bytes));
  if (n && memchr(bytes, '\0', n) != NULL)
    return ingot_fail(r->error, "%s: %s at offset %zu contains a NUL byte", r->what, field, at);
  char *s = ingot_calloc((size_t)n + 1, 1);
  if (!s) return INGOT_OUT_OF_MEMORY;
  if (n) memcpy(s, bytes, n);
  *out = s;
  return INGOT_SUCCESS;
}

ingot_status ingot_byte_read_count(ingot_byte_reader *r, uint64_t min_item_size, uint32_t max_count,
                                   const char *item, uint32_t *count_out) {
  size_t at = ingot_byte_reader_offset(r);
  uint32_t n;
  INGOT_TRY(ingot_byte_read_u32(r, &n));
  if (n > max_count)
    return ingot_fail(r->error, "%s: count of %s at offset %zu is %u, at most %u allowed", r->what, item, at, n,
                      max_count);
  /* n < 2^32 and min_item_size is small, so the product cannot overflow 64 bits in practice;
   * check anyway rather than trust the caller. */
  size_t left = ingot_byte_reader_remaining(r);
  if (min_item_size != 0 && (uint64_t)n > (uint64_t)left / min_item_size)
    return ingot_fail(r->error, "%s: count of %s at offset %zu is %u, but %u items need at least %llu bytes and only %zu are left",
                      r->what, item, at, n, n, (unsigned long long)n * min_item_size, left);
  *count_out = n;
  return INGOT_SUCCESS;
}

ingot_status ingot_byte_reader_sub(ingot_byte_reader *r, uint64_t n, const char *what, ingot_byte_reader *sub) {
  INGOT_TRY(need(r, n, what ? what : "a record"));
  ingot_byte_reader_init(sub, r->data ? r->data + r->pos : NULL, (size_t)n, what ? what : r->what, r->error);
  sub->base = ingot_byte_reader_offset(r);
  r->pos += (size_t)n;
  return INGOT_SUCCESS;
}

ingot_status ingot_byte_reader_expect_end(const ingot_byte_reader *r) {
  size_t left = ingot_byte_reader_remaining(r);
  if (left != 0)
    return ingot_fail(r->error, "%s: %zu bytes left unread at offset %zu (its size says more than its contents)",
                      r->what, left, ingot_byte_reader_offset(r));
  return INGOT_SUCCESS;
}
