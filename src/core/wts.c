/* tensorrtx .wts weight files: a strictly bounds-checked line parser and a name -> weights
 * hash map.
 *
 * Format (as tensorrtx's gen_wts.py writes it):
 *   line 1:   the entry count, a non-negative decimal integer
 *   then one line per entry: name, element count (decimal), and that many float32 values,
 *   each the big-endian hex of its bits ("3f800000"), separated by blanks.
 * Accepted leniencies, all seen in real files: "\r\n" line ends, blanks (space, tab, \r,
 * \v, \f) anywhere between tokens and at line ends, blank lines, hex words of 1 to 8
 * digits in either case (C++ writers drop leading zeros). Everything else is refused
 * with INGOT_INVALID_ARGUMENT naming the line. Each entry must fit on its one line. */
#include "ingot/wts.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/error.h"

#define WTS_MAX_NAME 1024
/* Largest file ingot_wts_load reads (a .wts of 4 GiB already holds ~450M floats). */
#define WTS_MAX_FILE_BYTES ((uint64_t)4 << 30)

typedef struct wts_entry {
  char *name;
  float *values; /* NULL when count is 0 */
  int64_t count;
  int64_t line;  /* where it was declared, for duplicate messages */
} wts_entry;

struct ingot_weights_map {
  wts_entry *entries; /* file order */
  int32_t count;
  uint32_t *slots; /* open addressing: entry index + 1, 0 = empty */
  uint64_t nb_slots; /* a power of two, at least twice count */
};

/* ---- hash map ------------------------------------------------------------------------- */

static uint64_t wts_hash(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ULL;
  }
  return h;
}

/* Finds the slot holding `name` or the empty slot where it would go. */
static uint64_t wts_find_slot(const ingot_weights_map *map, const char *name, size_t len) {
  uint64_t mask = map->nb_slots - 1;
  uint64_t i = wts_hash(name, len) & mask;
  for (;;) {
    uint32_t s = map->slots[i];
    if (s == 0) return i;
    const wts_entry *e = &map->entries[s - 1];
    if (strlen(e->name) == len && memcmp(e->name, name, len) == 0) return i;
    i = (i + 1) & mask;
  }
}

void ingot_weights_map_destroy(ingot_weights_map *map) {
  if (!map) return;
  if (map->entries) {
    for (int32_t i = 0; i < map->count; i++) {
      free(map->entries[i].name);
      free(map->entries[i].values);
    }
  }
  free(map->entries);
  free(map->slots);
  free(map);
}

int32_t ingot_weights_map_count(const ingot_weights_map *map) { return map ? map->count : 0; }

const char *ingot_weights_map_name(const ingot_weights_map *map, int32_t index) {
  if (!map || index < 0 || index >= map->count) return NULL;
  return map->entries[index].name;
}

ingot_status ingot_weights_map_get(const ingot_weights_map *map, const char *name, ingot_weights *weights_out) {
  INGOT_CHECK_NULL(map, "ingot_weights_map_get");
  INGOT_CHECK_NULL(name, "ingot_weights_map_get");
  INGOT_CHECK_NULL(weights_out, "ingot_weights_map_get");
  uint32_t s = map->nb_slots ? map->slots[wts_find_slot(map, name, strlen(name))] : 0;
  if (s == 0) {
    weights_out->dtype = INGOT_FLOAT32;
    weights_out->values = NULL;
    weights_out->count = 0;
    return ingot_fail(INGOT_NOT_FOUND, "ingot_weights_map_get: no weights named '%.1024s' in the .wts map (%d entries%s%s%s)",
                      name, map->count, map->count ? ", first '" : "", map->count ? map->entries[0].name : "",
                      map->count ? "'" : "");
  }
  const wts_entry *e = &map->entries[s - 1];
  weights_out->dtype = INGOT_FLOAT32;
  weights_out->values = e->values;
  weights_out->count = e->count;
  return INGOT_SUCCESS;
}

/* ---- parser --------------------------------------------------------------------------- */

typedef struct wts_parser {
  const char *p;
  const char *end;
  int64_t line; /* 1-based line of p */
} wts_parser;

static bool wts_is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

static void wts_skip_blanks(wts_parser *ps) {
  while (ps->p < ps->end && wts_is_blank(*ps->p)) ps->p++;
}

static bool wts_at_line_end(const wts_parser *ps) { return ps->p == ps->end || *ps->p == '\n'; }

/* Skips blank and empty lines; true if a token follows (p then points at it). */
static bool wts_skip_empty_lines(wts_parser *ps) {
  for (;;) {
    wts_skip_blanks(ps);
    if (ps->p == ps->end) return false;
    if (*ps->p != '\n') return true;
    ps->p++;
    ps->line++;
  }
}

/* The run of non-blank characters at p (possibly empty). */
static size_t wts_token(wts_parser *ps, const char **tok) {
  const char *s = ps->p;
  while (ps->p < ps->end && *ps->p != '\n' && !wts_is_blank(*ps->p)) ps->p++;
  *tok = s;
  return (size_t)(ps->p - s);
}

/* A printable, escaped copy of at most 40 bytes of a token for messages. */
static const char *wts_quote(const char *s, size_t n, char *buf, size_t size) {
  size_t o = 0;
  size_t shown = n < 40 ? n : 40;
  for (size_t i = 0; i < shown && o + 5 < size; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7f) buf[o++] = (char)c;
    else o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
  }
  if (shown < n && o + 4 < size) {
    memcpy(buf + o, "...", 3);
    o += 3;
  }
  buf[o < size ? o : size - 1] = '\0';
  return buf;
}

/* Non-negative decimal: digits only, no sign, value <= max. */
static bool wts_parse_decimal(const char *s, size_t n, int64_t max, int64_t *out) {
  if (n == 0) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    int d = s[i] - '0';
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

static bool wts_parse_hex(const char *s, size_t n, uint32_t *out) {
  if (n == 0 || n > 8) return false;
  uint32_t v = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    uint32_t d;
    if (c >= '0' && c <= '9') d = (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f') d = (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = (uint32_t)(c - 'A' + 10);
    else return false;
    v = (v << 4) | d;
  }
  *out = v;
  return true;
}

static bool wts_valid_name(const char *s, size_t n, size_t *bad_index) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x21 || c == 0x7f) {
      *bad_index = i;
      return false;
    }
  }
  return true;
}

/* Parses one entry line into e (name and values owned by e on success or failure). */
static ingot_status wts_parse_entry(wts_parser *ps, wts_entry *e, int32_t index) {
  char q[200];
  const char *tok;
  e->line = ps->line;

  size_t n = wts_token(ps, &tok);
  if (n > WTS_MAX_NAME)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "line %lld: entry %d: name of %zu bytes is longer than the limit of %d ('%s')",
                      (long long)ps->line, index + 1, n, WTS_MAX_NAME, wts_quote(tok, n, q, sizeof q));
  size_t bad = 0;
  if (!wts_valid_name(tok, n, &bad))
    return ingot_fail(INGOT_INVALID_ARGUMENT, "line %lld: entry %d: name '%s' holds a control byte 0x%02x at offset %zu",
                      (long long)ps->line, index + 1, wts_quote(tok, n, q, sizeof q), (unsigned char)tok[bad], bad);
  e->name = ingot_calloc(n + 1, 1);
  if (!e->name) return INGOT_OUT_OF_MEMORY;
  memcpy(e->name, tok, n);

  wts_skip_blanks(ps);
  if (wts_at_line_end(ps))
    return ingot_fail(INGOT_INVALID_ARGUMENT, "line %lld: entry '%s': expected its element count after the name, found %s",
                      (long long)ps->line, e->name, ps->p == ps->end ? "end of file" : "end of line");
  n = wts_token(ps, &tok);
  int64_t count = 0;
  if (!wts_parse_decimal(tok, n, INT64_MAX / 4, &count))
    return ingot_fail(INGOT_INVALID_ARGUMENT,
                      "line %lld: entry '%s': expected the element count as a non-negative decimal integer, found '%s'",
                      (long long)ps->line, e->name, wts_quote(tok, n, q, sizeof q));
  /* Each value takes at least one separator and one hex digit: refuse counts the rest of the
   * input cannot hold before allocating anything for them. */
  size_t remaining = (size_t)(ps->end - ps->p);
  if ((uint64_t)count > remaining / 2)
    return ingot_fail(INGOT_INVALID_ARGUMENT,
                      "line %lld: entry '%s': declares %lld values but only %zu bytes follow (each value needs at least 2)",
                      (long long)ps->line, e->name, (long long)count, remaining);
  e->count = count;
  if (count > 0) {
    e->values = ingot_calloc((size_t)count, sizeof(float));
    if (!e->values) return INGOT_OUT_OF_MEMORY;
  }
  for (int64_t i = 0; i < count; i++) {
    wts_skip_blanks(ps);
    if (wts_at_line_end(ps))
      return ingot_fail(INGOT_INVALID_ARGUMENT, "line %lld: entry '%s': declares %lld values, found %lld before the %s",
                        (long long)ps->line, e->name, (long long)count, (long long)i,
                        ps->p == ps->end ? "end of file" : "end of line");
    n = wts_token(ps, &tok);
    uint32_t bits = 0;
    if (!wts_parse_hex(tok, n, &bits))
      return ingot_fail(INGOT_INVALID_ARGUMENT,
                        "line %lld: entry '%s': value %lld of %lld: expected a float32 as 1 to 8 hex digits (like "
                        "3f800000), found '%s'",
                        (long long)ps->line, e->name, (long long)i + 1, (long long)count,
                        wts_quote(tok, n, q, sizeof q));
    memcpy(&e->values[i], &bits, sizeof bits);
  }
  wts_skip_blanks(ps);
  if (!wts_at_line_end(ps)) {
    n = wts_token(ps, &tok);
    return ingot_fail(INGOT_INVALID_ARGUMENT, "line %lld: entry '%s': declares %lld values, found more ('%s' follows)",
                      (long long)ps->line, e->name, (long long)count, wts_quote(tok, n, q, sizeof q));
  }
  return INGOT_SUCCESS;
}

static ingot_status wts_parse(const char *text, size_t size, ingot_weights_map **map_out) {
  char q[200];
  wts_parser ps = {text, text + size, 1};
  const char *tok;

  if (!wts_skip_empty_lines(&ps))
    return ingot_fail(INGOT_INVALID_ARGUMENT, "line %lld: expected the entry count, found end of file (%zu bytes)",
                      (long long)ps.line, size);
  int64_t header_line = ps.line;
  size_t n = wts_token(&ps, &tok);
  int64_t declared = 0;
  if (!wts_parse_decimal(tok, n, INT32_MAX, &declared))
    return ingot_fail(INGOT_INVALID_ARGUMENT,
                      "line %lld: expected the entry count as a decimal integer from 0 to %d, found '%s'",
                      (long long)ps.line, INT32_MAX, wts_quote(tok, n, q, sizeof q));
  wts_skip_blanks(&ps);
  if (!wts_at_line_end(&ps)) {
    n = wts_token(&ps, &tok);
    return ingot_fail(INGOT_INVALID_ARGUMENT, "line %lld: expected only the entry count on the first line, found '%s' after it",
                      (long long)ps.line, wts_quote(tok, n, q, sizeof q));
  }
  if (ps.p < ps.end) {
    ps.p++; /* the header's '\n' */
    ps.line++;
  }
  /* An entry takes at least "x 0" and a line end: 4 bytes (3 for the last). */
  size_t remaining = (size_t)(ps.end - ps.p);
  if ((uint64_t)declared > ((uint64_t)remaining + 1) / 4)
    return ingot_fail(INGOT_INVALID_ARGUMENT,
                      "line %lld: declares %lld entries but only %zu bytes follow (each entry needs at least 4)",
                      (long long)header_line, (long long)declared, remaining);

  ingot_weights_map *map = ingot_calloc(1, sizeof *map);
  if (!map) return INGOT_OUT_OF_MEMORY;
  ingot_status st = INGOT_SUCCESS;
  uint64_t slots = 8;
  while (slots < 2 * (uint64_t)declared) slots *= 2;
  map->nb_slots = slots;
  map->slots = ingot_calloc((size_t)slots, sizeof *map->slots);
  map->entries = declared ? ingot_calloc((size_t)declared, sizeof *map->entries) : NULL;
  if (!map->slots || (declared && !map->entries)) {
    st = INGOT_OUT_OF_MEMORY;
    goto fail;
  }

  for (int32_t i = 0; i < (int32_t)declared; i++) {
    if (!wts_skip_empty_lines(&ps)) {
      st = ingot_fail(INGOT_INVALID_ARGUMENT, "line %lld: end of file after %d of the %lld entries declared on line %lld",
                      (long long)ps.line, i, (long long)declared, (long long)header_line);
      goto fail;
    }
    wts_entry *e = &map->entries[i];
    map->count = i + 1; /* so destroy frees this entry's parts on failure */
    st = wts_parse_entry(&ps, e, i);
    if (st != INGOT_SUCCESS) goto fail;
    uint64_t slot = wts_find_slot(map, e->name, strlen(e->name));
    if (map->slots[slot] != 0) {
      st = ingot_fail(INGOT_INVALID_ARGUMENT, "line %lld: duplicate name '%s' (first on line %lld)", (long long)e->line,
                      e->name, (long long)map->entries[map->slots[slot] - 1].line);
      goto fail;
    }
    map->slots[slot] = (uint32_t)i + 1;
  }
  if (wts_skip_empty_lines(&ps)) {
    n = wts_token(&ps, &tok);
    st = ingot_fail(INGOT_INVALID_ARGUMENT, "line %lld: extra content after the %lld entries declared on line %lld: '%s'",
                    (long long)ps.line, (long long)declared, (long long)header_line, wts_quote(tok, n, q, sizeof q));
    goto fail;
  }
  *map_out = map;
  return INGOT_SUCCESS;

fail:
  ingot_weights_map_destroy(map);
  return st;
}

ingot_status ingot_wts_parse(const char *text, size_t size, ingot_weights_map **map_out) {
  INGOT_CHECK_NULL(map_out, "ingot_wts_parse");
  *map_out = NULL;
  if (!text && size) return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_wts_parse: text is NULL but size is %zu", size);
  ingot_status st = wts_parse(text ? text : "", size, map_out);
  if (st != INGOT_SUCCESS) ingot_error_prefix(".wts");
  return st;
}

ingot_status ingot_wts_load(const char *path, ingot_weights_map **map_out) {
  INGOT_CHECK_NULL(path, "ingot_wts_load");
  INGOT_CHECK_NULL(map_out, "ingot_wts_load");
  *map_out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    int err = errno;
    return ingot_fail(err == ENOENT ? INGOT_NOT_FOUND : INGOT_IO_ERROR, "ingot_wts_load: cannot open '%s': %s", path,
                      strerror(err));
  }
  struct stat sb;
  memset(&sb, 0, sizeof sb);
  if (fstat(fileno(f), &sb) == 0) {
    if (S_ISDIR(sb.st_mode)) {
      fclose(f);
      return ingot_fail(INGOT_IO_ERROR, "ingot_wts_load: '%s' is a directory, expected a .wts file", path);
    }
    if (S_ISREG(sb.st_mode) && (uint64_t)sb.st_size > WTS_MAX_FILE_BYTES) {
      fclose(f);
      return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_wts_load: '%s' holds %llu bytes, more than the limit of %llu",
                        path, (unsigned long long)sb.st_size, (unsigned long long)WTS_MAX_FILE_BYTES);
    }
  }
  /* Read to EOF (pipes have no size), growing geometrically, never past the limit. */
  size_t cap = (S_ISREG(sb.st_mode) && sb.st_size > 0) ? (size_t)sb.st_size + 1 : 65536;
  size_t len = 0;
  char *buf = ingot_calloc(cap, 1);
  if (!buf) {
    fclose(f);
    return INGOT_OUT_OF_MEMORY;
  }
  for (;;) {
    if (len == cap) {
      size_t ncap = cap * 2;
      char *nb = ingot_realloc_array(buf, ncap, 1);
      if (!nb) {
        free(buf);
        fclose(f);
        return INGOT_OUT_OF_MEMORY;
      }
      buf = nb;
      cap = ncap;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0 || (uint64_t)len > WTS_MAX_FILE_BYTES) break;
  }
  if (ferror(f)) {
    int err = errno;
    free(buf);
    fclose(f);
    return ingot_fail(INGOT_IO_ERROR, "ingot_wts_load: cannot read '%s': %s", path, strerror(err));
  }
  fclose(f);
  if ((uint64_t)len > WTS_MAX_FILE_BYTES) {
    free(buf);
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_wts_load: '%s' holds more than the limit of %llu bytes", path,
                      (unsigned long long)WTS_MAX_FILE_BYTES);
  }
  ingot_status st = wts_parse(buf, len, map_out);
  free(buf);
  if (st != INGOT_SUCCESS) ingot_error_prefix("'%s'", path);
  return st;
}
