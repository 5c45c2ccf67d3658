/* The values of one parse: every ONNX name defined so far (graph inputs, initializers,
 * node outputs) with its network tensor and, for constants, its host data. An entry never
 * moves once created, so importers may hold its ingot_onnx_value while others are added. */
#ifndef INGOT_ONNX_VALUE_TABLE_H
#define INGOT_ONNX_VALUE_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "onnx/importer.h"

/* A string-keyed hash map (open addressing); keys are borrowed and must outlive the map. */
typedef struct ingot_onnx_map {
  const char **keys;
  void **vals;
  size_t cap, count;
} ingot_onnx_map;

/* Inserts or replaces. */
ingot_status ingot_onnx_map_put(ingot_onnx_map *map, const char *key, void *val);
void *ingot_onnx_map_get(const ingot_onnx_map *map, const char *key); /* NULL if absent */
void ingot_onnx_map_free(ingot_onnx_map *map);

typedef struct ingot_onnx_entry {
  char *name;
  ingot_onnx_value value;
  void *owned;       /* the constant's data, owned by the entry */
  bool poisoned;     /* its producer failed: users are skipped without a second error */
  bool dims_known;   /* value.dims is final (constants, inputs, inferred activations) */
  bool initializer;  /* defined by a graph initializer */
  int32_t producer;  /* node index; -1 for graph inputs and initializers */
} ingot_onnx_entry;

typedef struct ingot_onnx_values {
  ingot_onnx_map map;       /* name -> ingot_onnx_entry */
  ingot_onnx_map declared;  /* name -> ingot_dims the model declares (value_info, outputs) */
  ingot_onnx_entry **entries;
  size_t nb_entries, entries_cap;
  ingot_dims *declared_dims; /* storage for `declared` */
  size_t nb_declared, declared_cap;
} ingot_onnx_values;

/* A new entry named `name` (copied). Fails with INGOT_INVALID_GRAPH if the name is taken
 * (the message names the value and who defined it first). */
ingot_status ingot_onnx_values_define(ingot_onnx_values *values, const char *name, int32_t producer,
                                      ingot_onnx_entry **entry_out);
ingot_onnx_entry *ingot_onnx_values_find(const ingot_onnx_values *values, const char *name);
/* Room for `count` declared shapes; call once before ingot_onnx_values_declare. */
ingot_status ingot_onnx_values_reserve_declared(ingot_onnx_values *values, size_t count);
/* Records the dims the model declares for `name` (borrowed; first declaration wins). */
ingot_status ingot_onnx_values_declare(ingot_onnx_values *values, const char *name, const ingot_dims *dims);
const ingot_dims *ingot_onnx_values_declared(const ingot_onnx_values *values, const char *name);
void ingot_onnx_values_free(ingot_onnx_values *values);

#endif
