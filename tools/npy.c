/* Strict .npy reader and writer; see npy.h. The header dict is parsed by a small recursive
 * descent over exactly the grammar NumPy writes: {'descr': STR, 'fortran_order': BOOL,
 * 'shape': TUPLE}, keys in any order, each exactly once, whitespace and one trailing comma
 * allowed, then spaces and a newline. */
#include "npy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

typedef struct npy_dtype_row {
  ingot_dtype dtype;
  const char *descr; /* what the writer emits */
  const char *alt;   /* another spelling the reader accepts (NULL if none) */
  size_t size;
} npy_dtype_row;

/* Single-byte types carry no byte order: NumPy writes '|', and '<' is accepted too. */
static const npy_dtype_row npy_dtypes[] = {
    {INGOT_FLOAT32, "<f4", NULL, 4}, {INGOT_FLOAT16, "<f2", NULL, 2}, {INGOT_BFLOAT16, "<u2", NULL, 2},
    {INGOT_INT8, "|i1", "<i1", 1},   {INGOT_INT32, "<i4", NULL, 4},   {INGOT_INT64, "<i8", NULL, 8},
    {INGOT_BOOL, "|b1", "<b1", 1},   {INGOT_UINT8, "|u1", "<u1", 1},
};
#define NPY_NB_DTYPES (sizeof(npy_dtypes) / sizeof(npy_dtypes[0]))

static int fail(char *err, size_t err_size, const char *fmt, ...) {
  if (err && err_size) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static const npy_dtype_row *row_of(ingot_dtype dtype) {
  for (size_t i = 0; i < NPY_NB_DTYPES; i++)
    if (npy_dtypes[i].dtype == dtype) return &npy_dtypes[i];
  return NULL;
}

const char *tool_npy_descr(ingot_dtype dtype) {
  const npy_dtype_row *r = row_of(dtype);
  return r ? r->descr : NULL;
}

/* ---- header dict parser ------------------------------------------------------------- */
typedef struct hparser {
  const char *s;
  size_t n, i;
  const char *name;
  char *err;
  size_t err_size;
} hparser;

static void skip_ws(hparser *p) {
  while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t')) p->i++;
}

static int expect(hparser *p, char c, const char *what) {
  skip_ws(p);
  if (p->i >= p->n || p->s[p->i] != c)
    return fail(p->err, p->err_size, "%s: malformed .npy header: expected '%c' %s at offset %zu", p->name, c, what,
                p->i);
  p->i++;
  return 0;
}

/* A Python string literal in single or double quotes, without escapes (NumPy writes none
 * in the keys and simple descrs this reader accepts). */
static int parse_string(hparser *p, char *out, size_t out_size) {
  skip_ws(p);
  if (p->i >= p->n || (p->s[p->i] != '\'' && p->s[p->i] != '"'))
    return fail(p->err, p->err_size, "%s: malformed .npy header: expected a quoted string at offset %zu", p->name,
                p->i);
  char q = p->s[p->i++];
  size_t start = p->i;
  while (p->i < p->n && p->s[p->i] != q) {
    unsigned char c = (unsigned char)p->s[p->i];
    if (c == '\\' || c < 0x20 || c >= 0x7f)
      return fail(p->err, p->err_size, "%s: malformed .npy header: unexpected character in string at offset %zu",
                  p->name, p->i);
    p->i++;
  }
  if (p->i >= p->n) return fail(p->err, p->err_size, "%s: malformed .npy header: unterminated string", p->name);
  size_t len = p->i - start;
  p->i++;
  if (len + 1 > out_size)
    return fail(p->err, p->err_size, "%s: malformed .npy header: string of %zu characters is too long", p->name,
                len);
  memcpy(out, p->s + start, len);
  out[len] = '\0';
  return 0;
}

static int parse_bool(hparser *p, int *out) {
  skip_ws(p);
  if (p->n - p->i >= 4 && memcmp(p->s + p->i, "True", 4) == 0) {
    p->i += 4;
    *out = 1;
    return 0;
  }
  if (p->n - p->i >= 5 && memcmp(p->s + p->i, "False", 5) == 0) {
    p->i += 5;
    *out = 0;
    return 0;
  }
  return fail(p->err, p->err_size, "%s: malformed .npy header: fortran_order must be True or False", p->name);
}

/* (), (N,), (N, M), (N, M,) with non-negative decimal integers. */
static int parse_shape(hparser *p, ingot_dims *dims) {
  if (expect(p, '(', "to open the shape") != 0) return -1;
  dims->nb_dims = 0;
  int saw_comma_after_last = 0;
  for (;;) {
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == ')') {
      p->i++;
      break;
    }
    if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
      return fail(p->err, p->err_size, "%s: malformed .npy header: shape must hold non-negative integers (offset %zu)",
                  p->name, p->i);
    if (dims->nb_dims >= INGOT_MAX_DIMS)
      return fail(p->err, p->err_size, "%s: shape has more than %d dims", p->name, INGOT_MAX_DIMS);
    int64_t v = 0;
    size_t digits = 0;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
      int d = p->s[p->i] - '0';
      if (v > (INT64_MAX - d) / 10)
        return fail(p->err, p->err_size, "%s: shape dim %d does not fit in 64 bits", p->name, dims->nb_dims);
      v = v * 10 + d;
      p->i++;
      digits++;
    }
    if (digits > 1 && p->s[p->i - digits] == '0')
      return fail(p->err, p->err_size, "%s: malformed .npy header: shape dim %d has a leading zero", p->name,
                  dims->nb_dims);
    if (p->i < p->n && p->s[p->i] == 'L') p->i++; /* Python 2 long suffix, written by old NumPy */
    dims->d[dims->nb_dims++] = v;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == ',') {
      p->i++;
      saw_comma_after_last = 1;
      continue;
    }
    saw_comma_after_last = 0;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == ')') {
      p->i++;
      break;
    }
    return fail(p->err, p->err_size, "%s: malformed .npy header: expected ',' or ')' in the shape at offset %zu",
                p->name, p->i);
  }
  if (dims->nb_dims == 1 && !saw_comma_after_last)
    return fail(p->err, p->err_size, "%s: malformed .npy header: a one-dim shape needs a trailing comma: (%lld,)",
                p->name, (long long)dims->d[0]);
  return 0;
}

static int dtype_of_descr(hparser *p, const char *descr, ingot_dtype *out) {
  for (size_t k = 0; k < NPY_NB_DTYPES; k++) {
    if (strcmp(descr, npy_dtypes[k].descr) == 0 || (npy_dtypes[k].alt && strcmp(descr, npy_dtypes[k].alt) == 0)) {
      *out = npy_dtypes[k].dtype;
      return 0;
    }
  }
  if (descr[0] == '>')
    return fail(p->err, p->err_size, "%s: big-endian dtype '%s' is not supported (use little-endian '<')", p->name,
                descr);
  return fail(p->err, p->err_size,
              "%s: unsupported dtype '%s' (supported: <f4 <f2 <u2(bfloat16) |i1 |u1 |b1 <i4 <i8)", p->name, descr);
}

static int parse_dict(hparser *p, ingot_dtype *dtype, ingot_dims *dims) {
  int have_descr = 0, have_fortran = 0, have_shape = 0, fortran = 0;
  if (expect(p, '{', "to open the header dict") != 0) return -1;
  for (;;) {
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == '}') {
      p->i++;
      break;
    }
    char key[32];
    if (parse_string(p, key, sizeof key) != 0) return -1;
    if (expect(p, ':', "after a key") != 0) return -1;
    if (strcmp(key, "descr") == 0) {
      if (have_descr) return fail(p->err, p->err_size, "%s: malformed .npy header: 'descr' appears twice", p->name);
      skip_ws(p);
      if (p->i < p->n && p->s[p->i] == '[')
        return fail(p->err, p->err_size, "%s: structured dtypes are not supported", p->name);
      char descr[16];
      if (parse_string(p, descr, sizeof descr) != 0) return -1;
      if (dtype_of_descr(p, descr, dtype) != 0) return -1;
      have_descr = 1;
    } else if (strcmp(key, "fortran_order") == 0) {
      if (have_fortran)
        return fail(p->err, p->err_size, "%s: malformed .npy header: 'fortran_order' appears twice", p->name);
      if (parse_bool(p, &fortran) != 0) return -1;
      have_fortran = 1;
    } else if (strcmp(key, "shape") == 0) {
      if (have_shape) return fail(p->err, p->err_size, "%s: malformed .npy header: 'shape' appears twice", p->name);
      if (parse_shape(p, dims) != 0) return -1;
      have_shape = 1;
    } else {
      return fail(p->err, p->err_size, "%s: malformed .npy header: unexpected key '%s'", p->name, key);
    }
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == ',') {
      p->i++;
      continue;
    }
    if (expect(p, '}', "to close the header dict") != 0) return -1;
    break;
  }
  if (!have_descr || !have_fortran || !have_shape)
    return fail(p->err, p->err_size, "%s: malformed .npy header: missing key '%s'", p->name,
                !have_descr ? "descr" : !have_fortran ? "fortran_order" : "shape");
  if (fortran)
    return fail(p->err, p->err_size,
                "%s: fortran_order is True; only C-order arrays are supported (save np.ascontiguousarray(a))",
                p->name);
  /* Only padding may follow: spaces, then the newline that ends the header. */
  skip_ws(p);
  if (p->i < p->n && p->s[p->i] == '\n') p->i++;
  else
    return fail(p->err, p->err_size, "%s: malformed .npy header: unexpected text after the dict at offset %zu",
                p->name, p->i);
  while (p->i < p->n && p->s[p->i] == ' ') p->i++; /* tolerate padding placed after the newline */
  if (p->i != p->n)
    return fail(p->err, p->err_size, "%s: malformed .npy header: unexpected text after the dict at offset %zu",
                p->name, p->i);
  return 0;
}

int tool_npy_parse_header(const char *name, const void *bytes, size_t size, ingot_dtype *dtype_out,
                          ingot_dims *dims_out, size_t *data_offset_out, size_t *nbytes_out, char *err,
                          size_t err_size) {
  const unsigned char *b = bytes;
  if (!name) name = "(npy)";
  if (!b || !dtype_out || !dims_out || !data_offset_out || !nbytes_out)
    return fail(err, err_size, "%s: internal error: null argument", name);
  if (size < 8 || memcmp(b, npy_magic, 6) != 0)
    return fail(err, err_size, "%s: not an .npy file (the magic \\x93NUMPY is missing)", name);
  unsigned major = b[6], minor = b[7];
  size_t prefix, header_len;
  if (major == 1) {
    if (size < 10) return fail(err, err_size, "%s: truncated .npy header (file of %zu bytes)", name, size);
    header_len = (size_t)b[8] | ((size_t)b[9] << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) return fail(err, err_size, "%s: truncated .npy header (file of %zu bytes)", name, size);
    header_len = (size_t)b[8] | ((size_t)b[9] << 8) | ((size_t)b[10] << 16) | ((size_t)b[11] << 24);
    prefix = 12;
  } else {
    return fail(err, err_size, "%s: unsupported .npy format version %u.%u (supported: 1.0, 2.0, 3.0)", name, major,
                minor);
  }
  if (minor != 0)
    return fail(err, err_size, "%s: unsupported .npy format version %u.%u (supported: 1.0, 2.0, 3.0)", name, major,
                minor);
  if (header_len > TOOL_NPY_MAX_HEADER)
    return fail(err, err_size, "%s: .npy header length %zu is larger than the %u bytes allowed", name, header_len,
                TOOL_NPY_MAX_HEADER);
  if (header_len > size - prefix)
    return fail(err, err_size, "%s: truncated .npy header: %zu bytes announced, %zu present", name, header_len,
                size - prefix);
  hparser p = {(const char *)b + prefix, header_len, 0, name, err, err_size};
  ingot_dims dims;
  memset(&dims, 0, sizeof dims);
  ingot_dtype dtype = INGOT_FLOAT32;
  if (parse_dict(&p, &dtype, &dims) != 0) return -1;

  size_t count = 1;
  for (int32_t k = 0; k < dims.nb_dims; k++) {
    uint64_t d = (uint64_t)dims.d[k];
    if (d != 0 && count > SIZE_MAX / d)
      return fail(err, err_size, "%s: shape of %d dims holds more elements than memory can address", name,
                  dims.nb_dims);
    count *= (size_t)d;
  }
  size_t esize = row_of(dtype)->size;
  if (count > SIZE_MAX / esize)
    return fail(err, err_size, "%s: data of the shape does not fit in memory (element count %zu)", name, count);
  *dtype_out = dtype;
  *dims_out = dims;
  *data_offset_out = prefix + header_len;
  *nbytes_out = count * esize;
  return 0;
}

static void format_shape(const ingot_dims *dims, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  used += (size_t)snprintf(buf, size, "(");
  for (int32_t k = 0; k < dims->nb_dims && used < size; k++)
    used += (size_t)snprintf(buf + used, size - used, "%s%lld", k ? ", " : "", (long long)dims->d[k]);
  if (used < size) snprintf(buf + used, size - used, dims->nb_dims == 1 ? ",)" : ")");
}

int tool_npy_parse(const char *name, const void *bytes, size_t size, tool_npy *out, char *err, size_t err_size) {
  if (!name) name = "(npy)";
  if (!out) return fail(err, err_size, "%s: internal error: null argument", name);
  memset(out, 0, sizeof *out);
  size_t offset = 0, nbytes = 0;
  ingot_dtype dtype = INGOT_FLOAT32;
  ingot_dims dims = {0};
  if (tool_npy_parse_header(name, bytes, size, &dtype, &dims, &offset, &nbytes, err, err_size) != 0) return -1;
  char shape[256];
  format_shape(&dims, shape, sizeof shape);
  if (size - offset < nbytes)
    return fail(err, err_size, "%s: truncated data: shape %s of %s needs %zu bytes, the file holds %zu", name, shape,
                tool_npy_descr(dtype), nbytes, size - offset);
  if (size - offset > nbytes)
    return fail(err, err_size, "%s: %zu unexpected bytes after the data of shape %s", name,
                size - offset - nbytes, shape);
  out->data = malloc(nbytes ? nbytes : 1);
  if (!out->data) return fail(err, err_size, "%s: out of memory for %zu bytes of data", name, nbytes);
  memcpy(out->data, (const unsigned char *)bytes + offset, nbytes);
  out->dtype = dtype;
  out->dims = dims;
  out->nbytes = nbytes;
  return 0;
}

int tool_npy_load(const char *path, tool_npy *out, char *err, size_t err_size) {
  if (!path || !out) return fail(err, err_size, "npy: internal error: null argument");
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (!f) return fail(err, err_size, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    fclose(f);
    return fail(err, err_size, "%s: not a regular file", path);
  }
  size_t file_size = (size_t)st.st_size;
  /* Read the fixed prefix, then the header it announces (bounded), never the data yet. */
  unsigned char prefix[12];
  size_t got = fread(prefix, 1, 8 < file_size ? 8 : file_size, f);
  if (got == 8 && memcmp(prefix, npy_magic, 6) == 0) {
    size_t len_bytes = prefix[6] == 1 ? 2 : (prefix[6] == 2 || prefix[6] == 3) ? 4 : 0;
    if (len_bytes && file_size >= 8 + len_bytes) got += fread(prefix + 8, 1, len_bytes, f);
  }
  size_t header_len, header_total;
  if (got >= 10 && memcmp(prefix, npy_magic, 6) == 0 && prefix[6] == 1 && prefix[7] == 0) {
    header_len = (size_t)prefix[8] | ((size_t)prefix[9] << 8);
    header_total = 10 + header_len;
  } else if (got >= 12 && memcmp(prefix, npy_magic, 6) == 0 && (prefix[6] == 2 || prefix[6] == 3) &&
             prefix[7] == 0) {
    header_len = (size_t)prefix[8] | ((size_t)prefix[9] << 8) | ((size_t)prefix[10] << 16) |
                 ((size_t)prefix[11] << 24);
    header_total = 12 + header_len;
  } else {
    /* Let the parser name what is wrong with the prefix. */
    ingot_dtype dt;
    ingot_dims dm;
    size_t o, nb;
    int rc = tool_npy_parse_header(path, prefix, got, &dt, &dm, &o, &nb, err, err_size);
    fclose(f);
    if (rc == 0) return fail(err, err_size, "%s: truncated .npy header", path);
    return -1;
  }
  if (header_len > TOOL_NPY_MAX_HEADER) {
    fclose(f);
    return fail(err, err_size, "%s: .npy header length %zu is larger than the %u bytes allowed", path, header_len,
                TOOL_NPY_MAX_HEADER);
  }
  if (header_total > file_size) {
    fclose(f);
    return fail(err, err_size, "%s: truncated .npy header: %zu bytes announced, the file holds %zu", path,
                header_total, file_size);
  }
  unsigned char *head = malloc(header_total);
  if (!head) {
    fclose(f);
    return fail(err, err_size, "%s: out of memory", path);
  }
  memcpy(head, prefix, got);
  if (fread(head + got, 1, header_total - got, f) != header_total - got) {
    free(head);
    fclose(f);
    return fail(err, err_size, "%s: read error in the header", path);
  }
  size_t offset, nbytes;
  ingot_dtype dtype;
  ingot_dims dims;
  int rc = tool_npy_parse_header(path, head, header_total, &dtype, &dims, &offset, &nbytes, err, err_size);
  free(head);
  if (rc != 0) {
    fclose(f);
    return -1;
  }
  char shape[256];
  format_shape(&dims, shape, sizeof shape);
  if (file_size - offset < nbytes) {
    fclose(f);
    return fail(err, err_size, "%s: truncated data: shape %s of %s needs %zu bytes, the file holds %zu", path, shape,
                tool_npy_descr(dtype), nbytes, file_size - offset);
  }
  if (file_size - offset > nbytes) {
    fclose(f);
    return fail(err, err_size, "%s: %zu unexpected bytes after the data of shape %s", path,
                file_size - offset - nbytes, shape);
  }
  void *data = malloc(nbytes ? nbytes : 1);
  if (!data) {
    fclose(f);
    return fail(err, err_size, "%s: out of memory for %zu bytes of data", path, nbytes);
  }
  if (nbytes && fread(data, 1, nbytes, f) != nbytes) {
    free(data);
    fclose(f);
    return fail(err, err_size, "%s: read error in the data", path);
  }
  fclose(f);
  out->dtype = dtype;
  out->dims = dims;
  out->data = data;
  out->nbytes = nbytes;
  return 0;
}

int tool_npy_encode(ingot_dtype dtype, const ingot_dims *dims, const void *data, void **image_out,
                    size_t *size_out, char *err, size_t err_size) {
  const npy_dtype_row *row = row_of(dtype);
  if (!row) return fail(err, err_size, "npy: dtype %d cannot be written to .npy", (int)dtype);
  if (!dims || dims->nb_dims < 0 || dims->nb_dims > INGOT_MAX_DIMS || !image_out || !size_out)
    return fail(err, err_size, "npy: invalid dims or null argument");
  size_t count = 1;
  for (int32_t k = 0; k < dims->nb_dims; k++) {
    if (dims->d[k] < 0) return fail(err, err_size, "npy: dim %d is negative (%lld)", k, (long long)dims->d[k]);
    uint64_t d = (uint64_t)dims->d[k];
    if (d != 0 && count > SIZE_MAX / d) return fail(err, err_size, "npy: shape too large");
    count *= (size_t)d;
  }
  if (count > SIZE_MAX / row->size) return fail(err, err_size, "npy: shape too large");
  size_t nbytes = count * row->size;
  if (nbytes && !data) return fail(err, err_size, "npy: null data");

  char dict[512], shape[256];
  format_shape(dims, shape, sizeof shape);
  int dlen = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", row->descr, shape);
  /* Pad with spaces so that the data starts on a multiple of 64 bytes, then '\n'. */
  size_t prefix = 10;
  size_t total = prefix + (size_t)dlen + 1;
  size_t padded = (total + 63) / 64 * 64;
  size_t header_len = padded - prefix;
  int major = 1;
  if (header_len > 65535) {
    prefix = 12;
    total = prefix + (size_t)dlen + 1;
    padded = (total + 63) / 64 * 64;
    header_len = padded - prefix;
    major = 2;
  }
  if (nbytes > SIZE_MAX - padded) return fail(err, err_size, "npy: shape too large");
  unsigned char *img = malloc(padded + nbytes);
  if (!img) return fail(err, err_size, "npy: out of memory for %zu bytes", padded + nbytes);
  memcpy(img, npy_magic, 6);
  img[6] = (unsigned char)major;
  img[7] = 0;
  img[8] = (unsigned char)(header_len & 0xff);
  img[9] = (unsigned char)((header_len >> 8) & 0xff);
  if (major == 2) {
    img[10] = (unsigned char)((header_len >> 16) & 0xff);
    img[11] = (unsigned char)((header_len >> 24) & 0xff);
  }
  memcpy(img + prefix, dict, (size_t)dlen);
  memset(img + prefix + dlen, ' ', header_len - (size_t)dlen - 1);
  img[padded - 1] = '\n';
  if (nbytes) memcpy(img + padded, data, nbytes);
  *image_out = img;
  *size_out = padded + nbytes;
  return 0;
}

int tool_npy_save(const char *path, ingot_dtype dtype, const ingot_dims *dims, const void *data, char *err,
                  size_t err_size) {
  if (!path) return fail(err, err_size, "npy: null path");
  void *img;
  size_t size;
  char inner[512];
  if (tool_npy_encode(dtype, dims, data, &img, &size, inner, sizeof inner) != 0)
    return fail(err, err_size, "%s: %s", path, inner);
  FILE *f = fopen(path, "wb");
  if (!f) {
    int e = errno;
    free(img);
    return fail(err, err_size, "%s: cannot create: %s", path, strerror(e));
  }
  size_t put = fwrite(img, 1, size, f);
  free(img);
  int close_rc = fclose(f);
  if (put != size || close_rc != 0) return fail(err, err_size, "%s: write error", path);
  return 0;
}

void tool_npy_free(tool_npy *npy) {
  if (!npy) return;
  free(npy->data);
  npy->data = NULL;
  npy->nbytes = 0;
}
