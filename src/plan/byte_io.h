/* Little-endian byte streams for serialized formats (plans, caches).
 *
 * The writer grows a malloc'd buffer; its first failure is kept (sticky) so a caller may
 * write a whole record and check the status once. The reader never reads past its end:
 * every read checks the bytes left first and fails with the reader's status (e.g.
 * INGOT_INVALID_PLAN) and a message naming what was being read, the offset, the bytes
 * needed and the bytes left. Counts are checked against the bytes left before the caller
 * allocates anything, so a forged count cannot cause a huge allocation.
 * Neither object is thread-safe; each belongs to one parse or one serialization. */
#ifndef INGOT_PLAN_BYTE_IO_H
#define INGOT_PLAN_BYTE_IO_H

#include <stddef.h>
#include <stdint.h>
#include "ingot/core.h"

/* ---- writer ---------------------------------------------------------------------------- */
typedef struct ingot_byte_writer {
  uint8_t *data;
  size_t size, capacity;
  ingot_status status; /* first failure; once set, later writes do nothing */
} ingot_byte_writer;

void ingot_byte_writer_init(ingot_byte_writer *w);
/* Frees the buffer (the writer may be reused after init). */
void ingot_byte_writer_free(ingot_byte_writer *w);
/* Hands the buffer to the caller (free with free()); the writer is left empty. Returns the
 * sticky status: on failure nothing is handed over and the buffer is freed. */
ingot_status ingot_byte_writer_release(ingot_byte_writer *w, void **data_out, size_t *size_out);

ingot_status ingot_byte_write_bytes(ingot_byte_writer *w, const void *data, size_t size);
ingot_status ingot_byte_write_zeros(ingot_byte_writer *w, size_t size);
ingot_status ingot_byte_write_u8(ingot_byte_writer *w, uint8_t v);
ingot_status ingot_byte_write_u32(ingot_byte_writer *w, uint32_t v);
ingot_status ingot_byte_write_i32(ingot_byte_writer *w, int32_t v);
ingot_status ingot_byte_write_u64(ingot_byte_writer *w, uint64_t v);
ingot_status ingot_byte_write_i64(ingot_byte_writer *w, int64_t v);
ingot_status ingot_byte_write_f32(ingot_byte_writer *w, float v);
/* u32 length + bytes without the NUL; NULL writes "". Fails (INVALID_ARGUMENT) on a string
 * longer than max_len. */
ingot_status ingot_byte_write_string(ingot_byte_writer *w, const char *s, size_t max_len);
/* Overwrites bytes already written at `offset` (sizes known only afterwards). */
ingot_status ingot_byte_patch_u32(ingot_byte_writer *w, size_t offset, uint32_t v);
ingot_status ingot_byte_patch_u64(ingot_byte_writer *w, size_t offset, uint64_t v);

/* ---- reader ---------------------------------------------------------------------------- */
typedef struct ingot_byte_reader {
  const uint8_t *data; /* not owned */
  size_t size, pos;
  size_t base;         /* offset of data[0] in the whole buffer, for messages */
  const char *what;    /* names the bytes in messages ("plan section 'tensors'"); static */
  ingot_status error;  /* the status a short or malformed read returns */
} ingot_byte_reader;

void ingot_byte_reader_init(ingot_byte_reader *r, const void *data, size_t size, const char *what,
                            ingot_status error);
size_t ingot_byte_reader_remaining(const ingot_byte_reader *r);
/* Absolute offset of the next byte (base + pos), for messages. */
size_t ingot_byte_reader_offset(const ingot_byte_reader *r);

ingot_status ingot_byte_read_u8(ingot_byte_reader *r, uint8_t *out);
ingot_status ingot_byte_read_u32(ingot_byte_reader *r, uint32_t *out);
ingot_status ingot_byte_read_i32(ingot_byte_reader *r, int32_t *out);
ingot_status ingot_byte_read_u64(ingot_byte_reader *r, uint64_t *out);
ingot_status ingot_byte_read_i64(ingot_byte_reader *r, int64_t *out);
ingot_status ingot_byte_read_f32(ingot_byte_reader *r, float *out);
/* Copies n bytes into dst. */
ingot_status ingot_byte_read_bytes(ingot_byte_reader *r, void *dst, size_t n);
/* Points *out at the next n bytes (inside the reader's buffer, unaligned) and skips them;
 * n is a u64 so a forged 64-bit size is refused, not truncated. */
ingot_status ingot_byte_read_view(ingot_byte_reader *r, uint64_t n, const uint8_t **out);
/* u32 length (<= max_len, no embedded NUL) + bytes into a new NUL-terminated malloc'd string. */
ingot_status ingot_byte_read_string(ingot_byte_reader *r, size_t max_len, const char *field, char **out);
/* A u32 count of items each at least min_item_size bytes long: refused when above
 * max_count or when count * min_item_size exceeds the bytes left. `item` names the items. */
ingot_status ingot_byte_read_count(ingot_byte_reader *r, uint64_t min_item_size, uint32_t max_count,
                                   const char *item, uint32_t *count_out);
/* Carves the next n bytes into a reader of their own (named `what`) and skips them. */
ingot_status ingot_byte_reader_sub(ingot_byte_reader *r, uint64_t n, const char *what, ingot_byte_reader *sub);
/* Fails if bytes are left unread (a record longer than its contents says). */
ingot_status ingot_byte_reader_expect_end(const ingot_byte_reader *r);

#endif
