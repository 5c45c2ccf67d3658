/* Strict parser of "NAME:AxBxC,..." shape lists; see shapes.h. */
#include "shapes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t err_size, const char *fmt, ...) {
  if (err && err_size) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
  }
  return -1;
}

/* Parses "AxBxC" held in [s, s+n). */
static int parse_dims(const char *entry, const char *s, size_t n, ingot_dims *dims, char *err, size_t err_size) {
  memset(dims, 0, sizeof *dims);
  if (n == 0) return fail(err, err_size, "shape '%s': no dims after ':'", entry);
  size_t i = 0;
  for (;;) {
    if (i >= n || s[i] < '0' || s[i] > '9')
      return fail(err, err_size, "shape '%s': expected a non-negative integer dim at character %zu", entry,
                  (size_t)(s - entry) + i + 1);
    if (dims->nb_dims >= INGOT_MAX_DIMS)
      return fail(err, err_size, "shape '%s': more than %d dims", entry, INGOT_MAX_DIMS);
    int64_t v = 0;
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      int d = s[i] - '0';
      if (v > (INT64_MAX - d) / 10) return fail(err, err_size, "shape '%s': dim %d is too large", entry, dims->nb_dims);
      v = v * 10 + d;
      i++;
    }
    if (i - start > 1 && s[start] == '0')
      return fail(err, err_size, "shape '%s': dim %d has a leading zero", entry, dims->nb_dims);
    dims->d[dims->nb_dims++] = v;
    if (i == n) return 0;
    if (s[i] != 'x')
      return fail(err, err_size, "shape '%s': unexpected character '%c' (dims are joined by 'x')", entry, s[i]);
    i++;
  }
}

int tool_shapes_parse(const char *text, tool_shape_list *out, char *err, size_t err_size) {
  if (!out) return fail(err, err_size, "shapes: internal error: null argument");
  memset(out, 0, sizeof *out);
  if (!text || !*text) return fail(err, err_size, "shapes: empty shape list (expected NAME:1x3x224x224,...)");
  const char *p = text;
  for (;;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char *entry = malloc(len + 1);
    if (!entry) {
      tool_shapes_free(out);
      return fail(err, err_size, "shapes: out of memory");
    }
    memcpy(entry, p, len);
    entry[len] = '\0';
    char *colon = strrchr(entry, ':');
    ingot_dims dims;
    int rc = 0;
    if (len == 0) rc = fail(err, err_size, "shapes: empty entry in '%s' (expected NAME:1x3x224x224,...)", text);
    else if (!colon) rc = fail(err, err_size, "shape '%s': expected NAME:DIMS (no ':')", entry);
    else if (colon == entry) rc = fail(err, err_size, "shape '%s': empty tensor name before ':'", entry);
    else rc = parse_dims(entry, colon + 1, strlen(colon + 1), &dims, err, err_size);
    if (rc == 0) {
      *colon = '\0';
      if (tool_shapes_find(out, entry)) rc = fail(err, err_size, "shapes: tensor '%s' is given twice", entry);
    }
    if (rc == 0) {
      tool_shape *grown = realloc(out->items, (size_t)(out->count + 1) * sizeof *grown);
      if (!grown) rc = fail(err, err_size, "shapes: out of memory");
      else {
        out->items = grown;
        out->items[out->count].name = entry;
        out->items[out->count].dims = dims;
        out->count++;
        entry = NULL;
      }
    }
    free(entry);
    if (rc != 0) {
      tool_shapes_free(out);
      return -1;
    }
    if (!end) return 0;
    p = end + 1;
  }
}

const ingot_dims *tool_shapes_find(const tool_shape_list *list, const char *name) {
  if (!list || !name) return NULL;
  for (int32_t i = 0; i < list->count; i++)
    if (strcmp(list->items[i].name, name) == 0) return &list->items[i].dims;
  return NULL;
}

void tool_shapes_free(tool_shape_list *list) {
  if (!list) return;
  for (int32_t i = 0; i < list->count; i++) free(list->items[i].name);
  free(list->items);
  list->items = NULL;
  list->count = 0;
}

void tool_dims_format(const ingot_dims *dims, char *buf, size_t size) {
  if (!buf || size == 0) return;
  buf[0] = '\0';
  if (!dims || dims->nb_dims < 0 || dims->nb_dims > INGOT_MAX_DIMS) {
    snprintf(buf, size, "?");
    return;
  }
  if (dims->nb_dims == 0) {
    snprintf(buf, size, "scalar");
    return;
  }
  size_t used = 0;
  for (int32_t k = 0; k < dims->nb_dims && used < size; k++) {
    int w = snprintf(buf + used, size - used, "%s%lld", k ? "x" : "", (long long)dims->d[k]);
    if (w < 0) break;
    used += (size_t)w;
  }
}
