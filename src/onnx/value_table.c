/* The values of one parse. Models have up to hundreds of thousands of names, so lookups go
 * through a hash map rather than a scan. */
#include "onnx/value_table.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

/* FNV-1a. */
static size_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ULL;
  return (size_t)h;
}

/* The slot of `key`, or the empty slot where it would go. cap is a power of two. */
static size_t slot_of(const char *const *keys, size_t cap, const char *key) {
  size_t i = hash_str(key) & (cap - 1);
  while (keys[i] && strcmp(keys[i], key) != 0) i = (i + 1) & (cap - 1);
  return i;
}

static ingot_status grow(ingot_onnx_map *map) {
  size_t cap = map->cap ? map->cap * 2 : 64;
  const char **keys = ingot_calloc(cap, sizeof *keys);
  void **vals = ingot_calloc(cap, sizeof *vals);
  if (!keys || !vals) {
    free(keys);
    free(vals);
    return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory for the ONNX value table (%zu names)", map->count);
  }
  for (size_t i = 0; i < map->cap; i++) {
    if (!map->keys[i]) continue;
    size_t j = slot_of(keys, cap, map->keys[i]);
    keys[j] = map->keys[i];
    vals[j] = map->vals[i];
  }
  free(map->keys);
  free(map->vals);
  map->keys = keys;
  map->vals = vals;
  map->cap = cap;
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_map_put(ingot_onnx_map *map, const char *key, void *val) {
  if ((map->count + 1) * 2 > map->cap) INGOT_TRY(grow(map));
  size_t i = slot_of(map->keys, map->cap, key);
  if (!map->keys[i]) {
    map->keys[i] = key;
    map->count++;
  }
  map->vals[i] = val;
  return INGOT_SUCCESS;
}

void *ingot_onnx_map_get(const ingot_onnx_map *map, const char *key) {
  if (map->cap == 0) return NULL;
  size_t i = slot_of(map->keys, map->cap, key);
  return map->keys[i] ? map->vals[i] : NULL;
}

void ingot_onnx_map_free(ingot_onnx_map *map) {
  free(map->keys);
  free(map->vals);
  memset(map, 0, sizeof *map);
}

/* ---- entries ------------------------------------------------------------------------------- */

ingot_onnx_entry *ingot_onnx_values_find(const ingot_onnx_values *values, const char *name) {
  return ingot_onnx_map_get(&values->map, name);
}

ingot_status ingot_onnx_values_define(ingot_onnx_values *values, const char *name, int32_t producer,
                                      ingot_onnx_entry **entry_out) {
  *entry_out = NULL;
  const ingot_onnx_entry *old = ingot_onnx_values_find(values, name);
  if (old) {
    if (old->producer >= 0)
      return ingot_fail(INGOT_INVALID_GRAPH, "value '%s' is already defined, as an output of node %d (ONNX names each "
                        "value once)", name, (int)old->producer);
    return ingot_fail(INGOT_INVALID_GRAPH, "value '%s' is already defined, as a graph input or initializer (ONNX "
                      "names each value once)", name);
  }
  if (values->nb_entries == values->entries_cap) {
    size_t cap = values->entries_cap ? values->entries_cap * 2 : 64;
    ingot_onnx_entry **grown = ingot_realloc_array(values->entries, cap, sizeof *grown);
    if (!grown) return INGOT_OUT_OF_MEMORY;
    values->entries = grown;
    values->entries_cap = cap;
  }
  ingot_onnx_entry *e = ingot_calloc(1, sizeof *e);
  char *copy = e ? ingot_strdup(name) : NULL;
  if (!copy) {
    free(e);
    return INGOT_OUT_OF_MEMORY;
  }
  e->name = copy;
  e->producer = producer;
  e->value.dims.nb_dims = -1;
  ingot_status st = ingot_onnx_map_put(&values->map, e->name, e);
  if (st != INGOT_SUCCESS) {
    free(copy);
    free(e);
    return st;
  }
  values->entries[values->nb_entries++] = e;
  *entry_out = e;
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_values_reserve_declared(ingot_onnx_values *values, size_t count) {
  if (count == 0) return INGOT_SUCCESS;
  values->declared_dims = ingot_calloc(count, sizeof *values->declared_dims);
  if (!values->declared_dims) return INGOT_OUT_OF_MEMORY;
  values->declared_cap = count;
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_values_declare(ingot_onnx_values *values, const char *name, const ingot_dims *dims) {
  if (ingot_onnx_map_get(&values->declared, name)) return INGOT_SUCCESS;
  if (values->nb_declared == values->declared_cap)
    return ingot_fail(INGOT_INTERNAL_ERROR, "ONNX value table: more declared shapes than reserved (%zu)",
                      values->declared_cap);
  ingot_dims *slot = &values->declared_dims[values->nb_declared];
  *slot = *dims;
  INGOT_TRY(ingot_onnx_map_put(&values->declared, name, slot));
  values->nb_declared++;
  return INGOT_SUCCESS;
}

const ingot_dims *ingot_onnx_values_declared(const ingot_onnx_values *values, const char *name) {
  return ingot_onnx_map_get(&values->declared, name);
}

void ingot_onnx_values_free(ingot_onnx_values *values) {
  for (size_t i = 0; i < values->nb_entries; i++) {
    free(values->entries[i]->name);
    free(values->entries[i]->owned);
    free(values->entries[i]);
  }
  free(values->entries);
  free(values->declared_dims);
  ingot_onnx_map_free(&values->map);
  ingot_onnx_map_free(&values->declared);
  memset(values, 0, sizeof *values);
}
