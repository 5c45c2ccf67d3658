/* Thread-local last error: every failing ingot call leaves its message here. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define INGOT_ERROR_SIZE 2048
static _Thread_local char last_error[INGOT_ERROR_SIZE];

ingot_status ingot_fail(ingot_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  return status;
}

void ingot_error_prefix(const char *fmt, ...) {
  char prefix[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  char old[INGOT_ERROR_SIZE];
  memcpy(old, last_error, sizeof old);
  snprintf(last_error, sizeof last_error, "%.500s: %.1500s", prefix, old);
}

const char *ingot_last_error(void) { return last_error; }
void ingot_clear_last_error(void) { last_error[0] = '\0'; }

const char *ingot_status_name(ingot_status status) {
  switch (status) {
    case INGOT_SUCCESS: return "INGOT_SUCCESS";
    case INGOT_INVALID_ARGUMENT: return "INGOT_INVALID_ARGUMENT";
    case INGOT_NOT_FOUND: return "INGOT_NOT_FOUND";
    case INGOT_INVALID_STATE: return "INGOT_INVALID_STATE";
    case INGOT_UNSUPPORTED: return "INGOT_UNSUPPORTED";
    case INGOT_OUT_OF_MEMORY: return "INGOT_OUT_OF_MEMORY";
    case INGOT_INVALID_GRAPH: return "INGOT_INVALID_GRAPH";
    case INGOT_INVALID_PLAN: return "INGOT_INVALID_PLAN";
    case INGOT_VERSION_MISMATCH: return "INGOT_VERSION_MISMATCH";
    case INGOT_IO_ERROR: return "INGOT_IO_ERROR";
    case INGOT_RUNTIME_ERROR: return "INGOT_RUNTIME_ERROR";
    case INGOT_INTERNAL_ERROR: return "INGOT_INTERNAL_ERROR";
  }
  return "INGOT_UNKNOWN_STATUS";
}

uint32_t ingot_version(void) { return INGOT_VERSION; }

const char *ingot_version_string(void) {
#define INGOT_STR2(x) #x
#define INGOT_STR(x) INGOT_STR2(x)
  return INGOT_STR(INGOT_VERSION_MAJOR) "." INGOT_STR(INGOT_VERSION_MINOR) "." INGOT_STR(INGOT_VERSION_PATCH);
}
