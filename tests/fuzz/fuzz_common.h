/* What the fuzz targets share: a silent logger, the caps that keep one input fast, and
 * "run the engine once" with every input set from the engine's own I/O list. */
#ifndef INGOT_FUZZ_COMMON_H
#define INGOT_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingot/ingot.h"

/* A fuzz input may declare any size; the harness, like a careful server, runs only what
 * fits these budgets, so one input stays fast and libFuzzer's malloc limit means a bug. */
#define FUZZ_MAX_ELEMENTS ((int64_t)1 << 18)   /* per I/O tensor */
#define FUZZ_MAX_ARENA ((uint64_t)64 << 20)    /* activation bytes per context */

/* The machine the fuzzer pretends to be has little memory: any one allocation of the
 * library over FUZZ_MAX_ALLOC fails (the targets link with -Wl,--wrap for the malloc
 * family). A hostile plan can describe a valid but enormous computation; ingot must then
 * return a status, which this exercises, instead of the fuzzer reporting the size. */
#define FUZZ_MAX_ALLOC ((size_t)256 << 20)
void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
int __real_posix_memalign(void **, size_t, size_t);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t s);
void *__wrap_realloc(void *p, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n);
void *__wrap_malloc(size_t n) { return n > FUZZ_MAX_ALLOC ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t s) {
  return s && n > FUZZ_MAX_ALLOC / s ? NULL : __real_calloc(n, s);
}
void *__wrap_realloc(void *p, size_t n) { return n > FUZZ_MAX_ALLOC ? NULL : __real_realloc(p, n); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) { return n > FUZZ_MAX_ALLOC ? 12 : __real_posix_memalign(p, a, n); }

/* Every failed call must say why: an empty message is a finding. */
#define FUZZ_REQUIRE_MESSAGE() \
  do {                                     \
    if (ingot_last_error()[0] == '\0') __builtin_trap(); \
  } while (0)

static void fuzz_quiet_log(void *user, ingot_severity severity, const char *message) {
  (void)user;
  (void)severity;
  if (!message) __builtin_trap();
}

static ingot_logger *fuzz_logger(void) {
  static ingot_logger *logger;
  if (!logger && ingot_logger_create(fuzz_quiet_log, NULL, INGOT_SEVERITY_VERBOSE, &logger) != INGOT_SUCCESS)
    __builtin_trap();
  return logger;
}

/* Elements of dims, or -1 when a dim is negative or the count passes FUZZ_MAX_ELEMENTS. */
static int64_t fuzz_volume(const ingot_dims *d) {
  if (d->nb_dims < 0 || d->nb_dims > INGOT_MAX_DIMS) return -1;
  int64_t v = 1;
  for (int32_t i = 0; i < d->nb_dims; i++) {
    if (d->d[i] < 0) return -1;
    if (d->d[i] == 0) return 0;
    if (d->d[i] > FUZZ_MAX_ELEMENTS || v > FUZZ_MAX_ELEMENTS / d->d[i]) return -1;
    v *= d->d[i];
  }
  return v;
}

/* One execute of `engine` in a new context: inputs at profile 0's min shapes, zero-filled;
 * outputs sized from the shapes the context infers. Failures are fine, crashes are not. */
static void fuzz_execute_once(const ingot_engine *engine) {
  if (ingot_engine_get_activation_memory(engine, 0) > FUZZ_MAX_ARENA) return;
  ingot_execution_context *ctx = NULL;
  if (ingot_engine_create_execution_context(engine, &ctx) != INGOT_SUCCESS) {
    FUZZ_REQUIRE_MESSAGE();
    return;
  }
  ingot_execution_context_set_num_threads(ctx, 1);
  int32_t n = ingot_engine_num_io_tensors(engine);
  if (n < 0 || n > 256) n = 0;
  void **buffers = calloc((size_t)n + 1, sizeof *buffers);
  int ok = buffers != NULL;
  /* Inputs first (shapes), then every address, since outputs need the input shapes. */
  for (int pass = 0; ok && pass < 2; pass++) {
    for (int32_t i = 0; ok && i < n; i++) {
      const char *name = ingot_engine_get_io_tensor_name(engine, i);
      ingot_tensor_io_mode mode;
      ingot_dtype dtype;
      ingot_dims dims;
      if (!name || ingot_engine_get_tensor_io_mode(engine, name, &mode) != INGOT_SUCCESS ||
          ingot_engine_get_tensor_dtype(engine, name, &dtype) != INGOT_SUCCESS) {
        ok = 0;
        break;
      }
      if (pass == 0) {
        if (mode != INGOT_TENSOR_INPUT) continue;
        if (ingot_engine_get_tensor_dims(engine, name, &dims) != INGOT_SUCCESS) ok = 0;
        int dynamic = 0;
        for (int32_t k = 0; ok && k < dims.nb_dims && k < INGOT_MAX_DIMS; k++) dynamic |= dims.d[k] < 0;
        if (ok && dynamic &&
            ingot_engine_get_profile_dims(engine, name, 0, INGOT_PROFILE_MIN, &dims) != INGOT_SUCCESS)
          ok = 0;
        if (ok && fuzz_volume(&dims) < 0) ok = 0;
        if (ok && ingot_execution_context_set_input_shape(ctx, name, &dims) != INGOT_SUCCESS) {
          FUZZ_REQUIRE_MESSAGE();
          ok = 0;
        }
        continue;
      }
      if (ingot_execution_context_get_tensor_shape(ctx, name, &dims) != INGOT_SUCCESS) {
        FUZZ_REQUIRE_MESSAGE();
        ok = 0;
        break;
      }
      int64_t volume = fuzz_volume(&dims);
      size_t elem = ingot_dtype_size(dtype);
      if (volume < 0 || elem == 0) {
        ok = 0;
        break;
      }
      /* At least one element, so an empty tensor still gets a real, distinct address. */
      buffers[i] = calloc((size_t)(volume ? volume : 1), elem);
      if (!buffers[i] || ingot_execution_context_set_tensor_address(ctx, name, buffers[i]) != INGOT_SUCCESS) ok = 0;
    }
  }
  if (ok && ingot_execution_context_execute(ctx) != INGOT_SUCCESS) FUZZ_REQUIRE_MESSAGE();
  ingot_execution_context_destroy(ctx);
  for (int32_t i = 0; buffers && i < n; i++) free(buffers[i]);
  free(buffers);
}

#endif
