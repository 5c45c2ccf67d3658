/* Allocation helpers: sizes are checked for overflow; failures set the last error. */
#ifndef INGOT_CORE_ALLOC_H
#define INGOT_CORE_ALLOC_H

#include <stddef.h>
#include "ingot/core.h"

/* calloc with an overflow check on n * size; NULL (with last error OUT_OF_MEMORY) on failure. */
void *ingot_calloc(size_t n, size_t size);
/* realloc of an array; NULL with last error on failure (the old block is kept). */
void *ingot_realloc_array(void *ptr, size_t n, size_t size);
/* 64-byte aligned, zeroed; free with ingot_aligned_free. */
void *ingot_aligned_alloc(size_t size);
void ingot_aligned_free(void *ptr);
char *ingot_strdup(const char *s);

#endif
