/* ingot — core types: status and last error, dtypes, dims, weights, logger, version.
 * Every ingot call that can fail returns an ingot_status; on failure the message is kept
 * in a thread-local buffer (ingot_last_error) and sent to the logger as an error. */
#ifndef INGOT_CORE_H
#define INGOT_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define INGOT_API __declspec(dllexport)
#else
#define INGOT_API __attribute__((visibility("default")))
#endif

#define INGOT_VERSION_MAJOR 0
#define INGOT_VERSION_MINOR 1
#define INGOT_VERSION_PATCH 0
/* major * 10000 + minor * 100 + patch, as ingot_version() returns it. */
#define INGOT_VERSION (INGOT_VERSION_MAJOR * 10000 + INGOT_VERSION_MINOR * 100 + INGOT_VERSION_PATCH)

/* The version of the library actually loaded (may differ from INGOT_VERSION of the headers). */
INGOT_API uint32_t ingot_version(void);
INGOT_API const char *ingot_version_string(void);

typedef enum ingot_status {
  INGOT_SUCCESS = 0,
  INGOT_INVALID_ARGUMENT = 1, /* null pointer, value out of range, wrong dtype or shape */
  INGOT_NOT_FOUND = 2,        /* unknown tensor, layer, file or profile */
  INGOT_INVALID_STATE = 3,    /* call out of order: address not set, shape not set, ... */
  INGOT_UNSUPPORTED = 4,      /* valid request that this build or backend cannot do */
  INGOT_OUT_OF_MEMORY = 5,
  INGOT_INVALID_GRAPH = 6,    /* network fails validation or shape inference */
  INGOT_INVALID_PLAN = 7,     /* plan bytes truncated or corrupted */
  INGOT_VERSION_MISMATCH = 8, /* plan of another format version or target */
  INGOT_IO_ERROR = 9,         /* file cannot be read or written */
  INGOT_RUNTIME_ERROR = 10,   /* a kernel failed on its data (index out of range, ...) */
  INGOT_INTERNAL_ERROR = 11   /* a bug in ingot: please report */
} ingot_status;

/* Static name of a status ("INGOT_INVALID_ARGUMENT"); never NULL. */
INGOT_API const char *ingot_status_name(ingot_status status);
/* Message of the last failed ingot call on this thread ("" if none). Valid until the next
 * ingot call on this thread. */
INGOT_API const char *ingot_last_error(void);
INGOT_API void ingot_clear_last_error(void);

typedef enum ingot_dtype {
  INGOT_FLOAT32 = 0,
  INGOT_FLOAT16 = 1,
  INGOT_BFLOAT16 = 2,
  INGOT_INT8 = 3,
  INGOT_INT32 = 4,
  INGOT_INT64 = 5,
  INGOT_BOOL = 6, /* one byte per element, 0 or 1 */
  INGOT_UINT8 = 7
} ingot_dtype;
#define INGOT_DTYPE_COUNT 8

/* Bytes per element (0 for an unknown value) and a static name ("float32"). */
INGOT_API size_t ingot_dtype_size(ingot_dtype dtype);
INGOT_API const char *ingot_dtype_name(ingot_dtype dtype);

#define INGOT_MAX_DIMS 8
/* Dims of a tensor, outermost first. -1 marks a dynamic dim (bound by a profile). */
typedef struct ingot_dims {
  int32_t nb_dims;
  int64_t d[INGOT_MAX_DIMS];
} ingot_dims;

/* Weights in host memory. ingot copies them when a layer is added: the caller may free
 * them right after the call. count = 0 with values = NULL means "no weights". */
typedef struct ingot_weights {
  ingot_dtype dtype;
  const void *values;
  int64_t count;
} ingot_weights;

/* ---- logger ------------------------------------------------------------------------ */
typedef enum ingot_severity {
  INGOT_SEVERITY_INTERNAL_ERROR = 0,
  INGOT_SEVERITY_ERROR = 1,
  INGOT_SEVERITY_WARNING = 2,
  INGOT_SEVERITY_INFO = 3,
  INGOT_SEVERITY_VERBOSE = 4
} ingot_severity;

typedef void (*ingot_log_callback)(void *user_data, ingot_severity severity, const char *message);
typedef struct ingot_logger ingot_logger;

/* A logger passes messages up to `max_severity` (INFO passes internal errors, errors,
 * warnings and info) to `callback`, or to stderr when callback is NULL. ingot serializes
 * calls to one logger, so the callback needs no lock of its own. The logger must outlive
 * every builder, runtime, network and parser that uses it. */
INGOT_API ingot_status ingot_logger_create(ingot_log_callback callback, void *user_data,
                                           ingot_severity max_severity, ingot_logger **logger_out);
INGOT_API void ingot_logger_destroy(ingot_logger *logger);
INGOT_API ingot_status ingot_logger_set_severity(ingot_logger *logger, ingot_severity max_severity);
INGOT_API const char *ingot_severity_name(ingot_severity severity);

#ifdef __cplusplus
}
#endif
#endif
