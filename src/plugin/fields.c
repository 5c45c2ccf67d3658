/* Fields given to a creator, checked against what it declares and converted to the
 * declared types, so that a creator's create() reads exactly what it asked for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "plugin/plugin_internal.h"

static bool is_int(ingot_plugin_field_type t) { return t == INGOT_PLUGIN_FIELD_INT32 || t == INGOT_PLUGIN_FIELD_INT64; }

static size_t elem_size(ingot_plugin_field_type t) {
  switch (t) {
    case INGOT_PLUGIN_FIELD_FLOAT32:
    case INGOT_PLUGIN_FIELD_INT32: return 4;
    case INGOT_PLUGIN_FIELD_INT64: return 8;
    default: return 1;
  }
}

/* May a value of type `given` be read as `want`? Integers of both widths into each other,
 * integers into float32; strings and bytes only as themselves. */
static bool convertible(ingot_plugin_field_type given, ingot_plugin_field_type want) {
  if (given == want) return true;
  if (is_int(given)) return is_int(want) || want == INGOT_PLUGIN_FIELD_FLOAT32;
  return false;
}

static int64_t read_int(const ingot_plugin_field *f, int32_t i) {
  if (f->type == INGOT_PLUGIN_FIELD_INT32) {
    int32_t v;
    memcpy(&v, (const char *)f->data + 4 * (size_t)i, 4);
    return v;
  }
  int64_t v;
  memcpy(&v, (const char *)f->data + 8 * (size_t)i, 8);
  return v;
}

static ingot_status convert(const ingot_plugin_creator_desc *d, const ingot_plugin_field *f,
                            ingot_plugin_field_type want, void *dst) {
  size_t n = (size_t)f->length;
  if (f->type == want) {
    if (n) memcpy(dst, f->data, n * elem_size(want));
    return INGOT_SUCCESS;
  }
  for (int32_t i = 0; i < f->length; i++) {
    int64_t v = read_int(f, i);
    if (want == INGOT_PLUGIN_FIELD_FLOAT32) {
      float x = (float)v;
      memcpy((char *)dst + 4 * (size_t)i, &x, 4);
    } else if (want == INGOT_PLUGIN_FIELD_INT32) {
      if (v < INT32_MIN || v > INT32_MAX)
        return ingot_fail(INGOT_INVALID_ARGUMENT, "plugin '%s' field '%s': value %lld does not fit int32", d->name,
                          f->name, (long long)v);
      int32_t x = (int32_t)v;
      memcpy((char *)dst + 4 * (size_t)i, &x, 4);
    } else {
      memcpy((char *)dst + 8 * (size_t)i, &v, 8);
    }
  }
  return INGOT_SUCCESS;
}

static ingot_status check_given(const ingot_plugin_creator_desc *d, const ingot_plugin_field *fields, int32_t nb) {
  for (int32_t i = 0; i < nb; i++) {
    const ingot_plugin_field *f = &fields[i];
    if (!f->name) return ingot_fail(INGOT_INVALID_ARGUMENT, "plugin '%s': field %d has no name", d->name, (int)i);
    if ((int)f->type < 0 || f->type >= INGOT_PLUGIN_FIELD_TYPE_COUNT || f->length < 0 || (f->length > 0 && !f->data))
      return ingot_fail(INGOT_INVALID_ARGUMENT, "plugin '%s' field '%s': type %d, %d values at %p", d->name, f->name,
                        (int)f->type, (int)f->length, f->data);
    for (int32_t j = 0; j < i; j++)
      if (strcmp(fields[j].name, f->name) == 0)
        return ingot_fail(INGOT_INVALID_ARGUMENT, "plugin '%s': field '%s' is given twice", d->name, f->name);
    bool known = false;
    for (int32_t k = 0; k < d->nb_fields && !known; k++) known = strcmp(d->fields[k].name, f->name) == 0;
    if (!known) {
      char names[512];
      size_t used = 0;
      names[0] = '\0';
      for (int32_t k = 0; k < d->nb_fields && used < sizeof names; k++) {
        int w = snprintf(names + used, sizeof names - used, "%s%s", k ? ", " : "", d->fields[k].name);
        if (w > 0) used += (size_t)w;
      }
      return ingot_fail(INGOT_INVALID_ARGUMENT, "plugin '%s': unknown field '%s' (it accepts: %s)", d->name, f->name,
                        d->nb_fields ? names : "no fields");
    }
  }
  return INGOT_SUCCESS;
}

ingot_status ingot_plugin_check_fields(const ingot_plugin_creator *creator, const ingot_plugin_field *fields,
                                       int32_t nb_fields, ingot_plugin_field **checked_out, int32_t *nb_checked_out) {
  const ingot_plugin_creator_desc *d = ingot_plugin_creator_desc_of(creator);
  *checked_out = NULL;
  *nb_checked_out = 0;
  if (nb_fields < 0 || (nb_fields > 0 && !fields))
    return ingot_fail(INGOT_INVALID_ARGUMENT, "plugin '%s': %d fields at %p", d->name, (int)nb_fields,
                      (const void *)fields);
  INGOT_TRY(check_given(d, fields, nb_fields));
  /* One block: the array, then each value padded to 8 bytes. */
  size_t bytes = sizeof(ingot_plugin_field) * ((size_t)d->nb_fields + 1);
  const ingot_plugin_field **match = ingot_calloc((size_t)d->nb_fields + 1, sizeof *match);
  if (!match) return INGOT_OUT_OF_MEMORY;
  ingot_status st = INGOT_SUCCESS;
  for (int32_t k = 0; k < d->nb_fields && st == INGOT_SUCCESS; k++) {
    const ingot_plugin_field_decl *decl = &d->fields[k];
    for (int32_t i = 0; i < nb_fields; i++)
      if (strcmp(fields[i].name, decl->name) == 0) match[k] = &fields[i];
    const ingot_plugin_field *f = match[k];
    if (!f) {
      if (decl->required)
        st = ingot_fail(INGOT_INVALID_ARGUMENT, "plugin '%s': required field '%s' (%s) is missing", d->name,
                        decl->name, ingot_plugin_field_type_name(decl->type));
      continue;
    }
    if (!convertible(f->type, decl->type))
      st = ingot_fail(INGOT_INVALID_ARGUMENT, "plugin '%s' field '%s': expected %s, given %s", d->name, decl->name,
                      ingot_plugin_field_type_name(decl->type), ingot_plugin_field_type_name(f->type));
    else if (decl->length >= 0 && f->length != decl->length)
      st = ingot_fail(INGOT_INVALID_ARGUMENT, "plugin '%s' field '%s': expected %d value%s, given %d", d->name,
                      decl->name, (int)decl->length, decl->length == 1 ? "" : "s", (int)f->length);
    else
      bytes += ((size_t)f->length * elem_size(decl->type) + 7) & ~(size_t)7;
  }
  uint8_t *block = st == INGOT_SUCCESS ? ingot_calloc(1, bytes) : NULL;
  if (st == INGOT_SUCCESS && !block) st = INGOT_OUT_OF_MEMORY;
  int32_t n = 0;
  size_t at = sizeof(ingot_plugin_field) * ((size_t)d->nb_fields + 1);
  ingot_plugin_field *out = (ingot_plugin_field *)block;
  for (int32_t k = 0; k < d->nb_fields && st == INGOT_SUCCESS; k++) {
    if (!match[k]) continue;
    const ingot_plugin_field_decl *decl = &d->fields[k];
    out[n].name = decl->name;
    out[n].type = decl->type;
    out[n].length = match[k]->length;
    out[n].data = block + at;
    st = convert(d, match[k], decl->type, block + at);
    at += ((size_t)match[k]->length * elem_size(decl->type) + 7) & ~(size_t)7;
    n++;
  }
  free(match);
  if (st != INGOT_SUCCESS) {
    free(block);
    return st;
  }
  *checked_out = out;
  *nb_checked_out = n;
  return INGOT_SUCCESS;
}
