/* A tiny test harness: CHECK records a failure with file and line and goes on; main
 * returns the failure count through TEST_EXIT. */
#ifndef INGOT_TEST_UTIL_H
#define INGOT_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ingot/ingot.h"

static int test_failures = 0;

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);       \
      test_failures++;                                                               \
    }                                                                                \
  } while (0)

/* Checks that an ingot call succeeds, printing the last error if not. */
#define CHECK_OK(call)                                                                          \
  do {                                                                                          \
    ingot_status st_ = (call);                                                                  \
    if (st_ != INGOT_SUCCESS) {                                                                 \
      fprintf(stderr, "%s:%d: %s returned %s: %s\n", __FILE__, __LINE__, #call,                 \
              ingot_status_name(st_), ingot_last_error());                                      \
      test_failures++;                                                                          \
    }                                                                                           \
  } while (0)

/* Checks that a call fails with `expected` and that its message contains `needle`. */
#define CHECK_FAILS(call, expected, needle)                                                        \
  do {                                                                                             \
    ingot_status st_ = (call);                                                                     \
    if (st_ != (expected)) {                                                                       \
      fprintf(stderr, "%s:%d: %s returned %s, expected %s (%s)\n", __FILE__, __LINE__, #call,      \
              ingot_status_name(st_), ingot_status_name(expected), ingot_last_error());            \
      test_failures++;                                                                             \
    } else if ((needle) != NULL && strstr(ingot_last_error(), (needle)) == NULL) {                 \
      fprintf(stderr, "%s:%d: message of %s lacks '%s': %s\n", __FILE__, __LINE__, #call,          \
              (const char *)(needle), ingot_last_error());                                         \
      test_failures++;                                                                             \
    }                                                                                              \
  } while (0)

#define CHECK_NEAR(a, b, tol)                                                                   \
  do {                                                                                          \
    double a_ = (a), b_ = (b);                                                                  \
    if (!(fabs(a_ - b_) <= (tol) * (1.0 + fabs(b_)))) {                                         \
      fprintf(stderr, "%s:%d: %s = %g, expected %g\n", __FILE__, __LINE__, #a, a_, b_);          \
      test_failures++;                                                                          \
    }                                                                                           \
  } while (0)

#define TEST_EXIT()                                                          \
  do {                                                                       \
    if (test_failures) fprintf(stderr, "%d check(s) failed\n", test_failures); \
    return test_failures ? 1 : 0;                                            \
  } while (0)

/* Deterministic random floats in [-1, 1). */
static inline float test_randf(uint64_t *state) {
  *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (float)((*state >> 40) & 0xFFFFFF) / 8388608.0f - 1.0f;
}

#endif
