/* Internal error reporting: a failing function records its message in the thread-local
 * last error and returns the status, so callers can simply `return ingot_fail(...)`. */
#ifndef INGOT_CORE_ERROR_H
#define INGOT_CORE_ERROR_H

#include "ingot/core.h"

#if defined(__GNUC__)
#define INGOT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define INGOT_PRINTF(f, a)
#endif

/* Sets the thread-local last error to the formatted message and returns `status`. */
ingot_status ingot_fail(ingot_status status, const char *fmt, ...) INGOT_PRINTF(2, 3);
/* Prepends "prefix: " to the current last error (context added on the way up). */
void ingot_error_prefix(const char *fmt, ...) INGOT_PRINTF(1, 2);

/* Null checks at API boundaries: `INGOT_CHECK_ARG(ptr, "ingot_x")` returns INVALID_ARGUMENT. */
#define INGOT_CHECK_NULL(ptr, fn)                                                           \
  do {                                                                                      \
    if ((ptr) == NULL) return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: argument '%s' is NULL", fn, #ptr); \
  } while (0)

/* Propagates a failure. */
#define INGOT_TRY(expr)                         \
  do {                                          \
    ingot_status ingot_try_st_ = (expr);        \
    if (ingot_try_st_ != INGOT_SUCCESS) return ingot_try_st_; \
  } while (0)

#endif
