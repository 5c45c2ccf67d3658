/* Profilers: a caller's callback receiving one timing per layer per run. */
#include <stdlib.h>

#include "core/alloc.h"
#include "core/error.h"
#include "runtime/runtime_internal.h"

ingot_status ingot_profiler_create(ingot_profiler_callback callback, void *user_data, ingot_profiler **profiler_out) {
  INGOT_CHECK_NULL(callback, "ingot_profiler_create");
  INGOT_CHECK_NULL(profiler_out, "ingot_profiler_create");
  ingot_profiler *p = ingot_calloc(1, sizeof *p);
  if (!p) return INGOT_OUT_OF_MEMORY;
  p->callback = callback;
  p->user_data = user_data;
  *profiler_out = p;
  return INGOT_SUCCESS;
}

void ingot_profiler_destroy(ingot_profiler *profiler) { free(profiler); }
