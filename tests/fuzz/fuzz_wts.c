/* libFuzzer target: .wts text -> weights map. Every entry found is read back, so a map
 * that claims an entry it does not hold shows up as an overrun. */
#include <stdint.h>
#include <string.h>

#include "ingot/wts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ingot_weights_map *map = NULL;
  if (ingot_wts_parse((const char *)data, size, &map) != INGOT_SUCCESS) {
    if (ingot_last_error()[0] == '\0') __builtin_trap(); /* a failure must say why */
    return 0;
  }
  volatile float sink = 0;
  for (int32_t i = 0; i < ingot_weights_map_count(map); i++) {
    const char *name = ingot_weights_map_name(map, i);
    ingot_weights w;
    if (!name || ingot_weights_map_get(map, name, &w) != INGOT_SUCCESS) __builtin_trap();
    if (w.count > 0) sink += ((const float *)w.values)[0] + ((const float *)w.values)[w.count - 1];
  }
  (void)sink;
  ingot_weights_map_destroy(map);
  return 0;
}
