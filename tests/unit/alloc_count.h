/* Counts the library's malloc-family calls: a test that includes this links with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=posix_memalign (tests/CMakeLists.txt)
 * and reads test_allocations around the calls that must allocate nothing. */
#ifndef INGOT_TEST_ALLOC_COUNT_H
#define INGOT_TEST_ALLOC_COUNT_H

#include <stdatomic.h>
#include <stddef.h>

static atomic_long test_allocations;
void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
int __real_posix_memalign(void **, size_t, size_t);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t s);
void *__wrap_realloc(void *p, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n);
void *__wrap_malloc(size_t n) { atomic_fetch_add(&test_allocations, 1); return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t s) { atomic_fetch_add(&test_allocations, 1); return __real_calloc(n, s); }
void *__wrap_realloc(void *p, size_t n) { atomic_fetch_add(&test_allocations, 1); return __real_realloc(p, n); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) { atomic_fetch_add(&test_allocations, 1); return __real_posix_memalign(p, a, n); }

#endif
