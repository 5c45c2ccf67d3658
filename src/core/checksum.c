#include "core/checksum.h"

/* FNV-1a over 8-byte words (with a byte tail): fast enough for plans of hundreds of MB
 * while any single bit flip still changes the result. */
uint64_t ingot_checksum64(const void *data, size_t size) {
  const unsigned char *p = data;
  uint64_t h = 0xcbf29ce484222325ULL;
  const uint64_t prime = 0x100000001b3ULL;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t w = 0;
    for (int b = 0; b < 8; b++) w |= (uint64_t)p[i + b] << (8 * b);
    h ^= w;
    h *= prime;
    h ^= h >> 29;
  }
  for (; i < size; i++) {
    h ^= p[i];
    h *= prime;
  }
  h ^= (uint64_t)size;
  h *= prime;
  return h;
}
