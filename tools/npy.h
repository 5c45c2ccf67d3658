/* A strict reader and writer of NumPy .npy files (format versions 1.0, 2.0 and 3.0).
 * Little-endian dtypes only (<f4 <f2 <i4 <i8, |i1 |u1 |b1, and <u2 carrying bfloat16 bits),
 * C order only. Every failure writes one line naming the file and what is wrong into the
 * caller's buffer; nothing is allocated for data that the file cannot hold. */
#ifndef INGOT_TOOL_NPY_H
#define INGOT_TOOL_NPY_H

#include <stddef.h>
#include "ingot/ingot.h"

/* Largest header (dict text) accepted, in bytes. NumPy itself refuses more than 10000. */
#define TOOL_NPY_MAX_HEADER (1u << 20)

typedef struct tool_npy {
  ingot_dtype dtype;
  ingot_dims dims; /* nb_dims 0 for a scalar */
  void *data;      /* owned; free with tool_npy_free */
  size_t nbytes;
} tool_npy;

/* Parses the header of an .npy image: magic, version, the dict. `size` may be just the
 * header or the whole file. On success *data_offset_out is where the data starts and
 * *nbytes_out its exact size in bytes (overflow-checked). `name` only labels messages.
 * Returns 0 on success, -1 with a message in err. */
int tool_npy_parse_header(const char *name, const void *bytes, size_t size, ingot_dtype *dtype_out,
                          ingot_dims *dims_out, size_t *data_offset_out, size_t *nbytes_out, char *err,
                          size_t err_size);

/* Parses a whole .npy image held in memory (the data is copied into out->data). The image
 * must hold exactly header + data. Returns 0 or -1 with a message. */
int tool_npy_parse(const char *name, const void *bytes, size_t size, tool_npy *out, char *err, size_t err_size);

/* Reads `path`. The data size implied by the header is checked against the file size before
 * anything is allocated. Returns 0 or -1 with a message. */
int tool_npy_load(const char *path, tool_npy *out, char *err, size_t err_size);

/* Writes `path` as an .npy version 1.0 file (2.0 when the header would not fit). */
int tool_npy_save(const char *path, ingot_dtype dtype, const ingot_dims *dims, const void *data, char *err,
                  size_t err_size);

/* Builds the complete .npy image (header + data) in a new malloc'ed buffer. */
int tool_npy_encode(ingot_dtype dtype, const ingot_dims *dims, const void *data, void **image_out,
                    size_t *size_out, char *err, size_t err_size);

void tool_npy_free(tool_npy *npy);

/* The descr string ("<f4") used for `dtype`; NULL for an unknown dtype. */
const char *tool_npy_descr(ingot_dtype dtype);

#endif
