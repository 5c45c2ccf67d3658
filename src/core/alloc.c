#include "core/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

void *ingot_calloc(size_t n, size_t size) {
  if (size != 0 && n > SIZE_MAX / size) {
    ingot_fail(INGOT_OUT_OF_MEMORY, "allocation of %zu x %zu bytes overflows", n, size);
    return NULL;
  }
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory allocating %zu bytes", n * size);
  return p;
}

void *ingot_realloc_array(void *ptr, size_t n, size_t size) {
  if (size != 0 && n > SIZE_MAX / size) {
    ingot_fail(INGOT_OUT_OF_MEMORY, "allocation of %zu x %zu bytes overflows", n, size);
    return NULL;
  }
  size_t bytes = n * size;
  void *p = realloc(ptr, bytes ? bytes : 1);
  if (!p) ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory allocating %zu bytes", n * size);
  return p;
}

void *ingot_aligned_alloc(size_t size) {
  size_t rounded = (size + 63) & ~(size_t)63;
  if (rounded < size) {
    ingot_fail(INGOT_OUT_OF_MEMORY, "allocation of %zu bytes overflows", size);
    return NULL;
  }
  void *p = NULL;
  if (posix_memalign(&p, 64, rounded ? rounded : 64) != 0) {
    ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory allocating %zu bytes", size);
    return NULL;
  }
  memset(p, 0, rounded ? rounded : 64);
  return p;
}

void ingot_aligned_free(void *ptr) { free(ptr); }

char *ingot_strdup(const char *s) {
  if (!s) s = "";
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (!p) {
    ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory copying a string of %zu bytes", n);
    return NULL;
  }
  memcpy(p, s, n);
  return p;
}
