/* Loggers: a caller's callback behind a mutex, so messages from several threads never
 * interleave and the callback needs no lock of its own. */
#include "core/logger.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"

struct ingot_logger {
  ingot_log_callback callback;
  void *user_data;
  ingot_severity max_severity;
  pthread_mutex_t lock;
};

const char *ingot_severity_name(ingot_severity severity) {
  switch (severity) {
    case INGOT_SEVERITY_INTERNAL_ERROR: return "internal error";
    case INGOT_SEVERITY_ERROR: return "error";
    case INGOT_SEVERITY_WARNING: return "warning";
    case INGOT_SEVERITY_INFO: return "info";
    case INGOT_SEVERITY_VERBOSE: return "verbose";
  }
  return "unknown";
}

ingot_status ingot_logger_create(ingot_log_callback callback, void *user_data, ingot_severity max_severity,
                                 ingot_logger **logger_out) {
  INGOT_CHECK_NULL(logger_out, "ingot_logger_create");
  *logger_out = NULL;
  if ((int)max_severity < 0 || max_severity > INGOT_SEVERITY_VERBOSE)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_logger_create: severity %d out of range [0, 4]", (int)max_severity);
  ingot_logger *logger = ingot_calloc(1, sizeof *logger);
  if (!logger) return INGOT_OUT_OF_MEMORY;
  logger->callback = callback;
  logger->user_data = user_data;
  logger->max_severity = max_severity;
  pthread_mutex_init(&logger->lock, NULL);
  *logger_out = logger;
  return INGOT_SUCCESS;
}

void ingot_logger_destroy(ingot_logger *logger) {
  if (!logger) return;
  pthread_mutex_destroy(&logger->lock);
  free(logger);
}

ingot_status ingot_logger_set_severity(ingot_logger *logger, ingot_severity max_severity) {
  INGOT_CHECK_NULL(logger, "ingot_logger_set_severity");
  if ((int)max_severity < 0 || max_severity > INGOT_SEVERITY_VERBOSE)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_logger_set_severity: severity %d out of range [0, 4]",
                      (int)max_severity);
  pthread_mutex_lock(&logger->lock);
  logger->max_severity = max_severity;
  pthread_mutex_unlock(&logger->lock);
  return INGOT_SUCCESS;
}

void ingot_log(ingot_logger *logger, ingot_severity severity, const char *fmt, ...) {
  if (!logger) return;
  char message[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  pthread_mutex_lock(&logger->lock);
  if (severity <= logger->max_severity) {
    if (logger->callback)
      logger->callback(logger->user_data, severity, message);
    else
      fprintf(stderr, "[ingot] %s: %s\n", ingot_severity_name(severity), message);
  }
  pthread_mutex_unlock(&logger->lock);
}

ingot_status ingot_log_failure(ingot_logger *logger, ingot_status status) {
  if (status != INGOT_SUCCESS)
    ingot_log(logger, status == INGOT_INTERNAL_ERROR ? INGOT_SEVERITY_INTERNAL_ERROR : INGOT_SEVERITY_ERROR, "%s",
              ingot_last_error());
  return status;
}
