/* Internal logging: ingot_log formats and passes a message to a logger (NULL: dropped). */
#ifndef INGOT_CORE_LOGGER_H
#define INGOT_CORE_LOGGER_H

#include "core/error.h"

void ingot_log(ingot_logger *logger, ingot_severity severity, const char *fmt, ...) INGOT_PRINTF(3, 4);
/* Sends the thread's last error to the logger at error severity and returns `status`;
 * API entry points that own a logger call this on their way out of a failure. */
ingot_status ingot_log_failure(ingot_logger *logger, ingot_status status);

#endif
