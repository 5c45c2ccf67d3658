/* ingot — tensorrtx .wts weight files: a name -> weights map.
 * Format: first line the entry count; then one line per entry: name, element count and
 * that many float32 values as hexadecimal words ("3f800000"). */
#ifndef INGOT_WTS_H
#define INGOT_WTS_H

#include "ingot/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ingot_weights_map ingot_weights_map;

/* Reads a .wts file; every field is checked (a malformed line fails naming its line). */
INGOT_API ingot_status ingot_wts_load(const char *path, ingot_weights_map **map_out);
/* Same, from bytes in memory. */
INGOT_API ingot_status ingot_wts_parse(const char *text, size_t size, ingot_weights_map **map_out);
INGOT_API void ingot_weights_map_destroy(ingot_weights_map *map);
INGOT_API int32_t ingot_weights_map_count(const ingot_weights_map *map);
/* Name of entry `index` (file order); NULL if out of range. */
INGOT_API const char *ingot_weights_map_name(const ingot_weights_map *map, int32_t index);
/* Finds `name`; the weights (float32) stay valid while the map lives. */
INGOT_API ingot_status ingot_weights_map_get(const ingot_weights_map *map, const char *name,
                                             ingot_weights *weights_out);

#ifdef __cplusplus
}
#endif
#endif
