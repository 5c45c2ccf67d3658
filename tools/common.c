/* Shared helpers of the `ingot` tool; see common.h. */
#include "common.h"
#include "device.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int tool_error(const char *cmd, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  /* Keep it one line even when a library message holds a newline. */
  for (char *p = msg; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  fprintf(stderr, "ingot%s%s: error: %s\n", cmd ? " " : "", cmd ? cmd : "", msg);
  return 1;
}

int tool_parse_int(const char *text, long long min, long long max, long long *out) {
  if (!text || !*text) return -1;
  const char *p = text;
  if (*p == '-') p++;
  if (*p < '0' || *p > '9') return -1;
  for (const char *q = p; *q; q++)
    if (*q < '0' || *q > '9') return -1;
  errno = 0;
  char *end = NULL;
  long long v = strtoll(text, &end, 10);
  if (errno != 0 || !end || *end != '\0' || v < min || v > max) return -1;
  *out = v;
  return 0;
}

int tool_parse_seconds(const char *text, double *out) {
  if (!text || !*text) return -1;
  int dot = 0, digits = 0;
  for (const char *q = text; *q; q++) {
    if (*q == '.' && !dot) dot = 1;
    else if (*q >= '0' && *q <= '9') digits++;
    else return -1;
  }
  if (!digits) return -1;
  char *end = NULL;
  double v = strtod(text, &end);
  if (!end || *end != '\0' || !isfinite(v) || v < 0) return -1;
  *out = v;
  return 0;
}

int tool_option(const char *cmd, int argc, char **argv, int *i, const char *name, const char **value) {
  const char *arg = argv[*i];
  size_t n = strlen(name);
  if (strncmp(arg, name, n) != 0) return 0;
  if (arg[n] == '=') {
    *value = arg + n + 1;
    return 1;
  }
  if (arg[n] != '\0') return 0;
  if (*i + 1 >= argc) {
    tool_error(cmd, "option %s needs a value", name);
    return -1;
  }
  *value = argv[++*i];
  return 1;
}

static void log_to_stderr(void *user_data, ingot_severity severity, const char *message) {
  (void)user_data;
  if (severity == INGOT_SEVERITY_ERROR) return; /* each command reports the failing call itself */
  fprintf(stderr, "[ingot] %s: %s\n", ingot_severity_name(severity), message);
}

ingot_logger *tool_logger_create(int verbose) {
  ingot_logger *logger = NULL;
  if (ingot_logger_create(log_to_stderr, NULL, verbose ? INGOT_SEVERITY_VERBOSE : INGOT_SEVERITY_WARNING,
                          &logger) != INGOT_SUCCESS)
    return NULL; /* the library then logs to stderr on its own; not fatal */
  return logger;
}

int tool_load_engine(const char *cmd, const char *path, ingot_logger *logger, ingot_runtime **runtime_out,
                     ingot_engine **engine_out) {
  *runtime_out = NULL;
  *engine_out = NULL;
  struct stat st;
  if (stat(path, &st) != 0) return tool_error(cmd, "%s: cannot open plan: %s", path, strerror(errno));
  if (!S_ISREG(st.st_mode)) return tool_error(cmd, "%s: not a regular file", path);
  ingot_runtime *runtime = NULL;
  ingot_status st_ = ingot_runtime_create(logger, &runtime);
  if (st_ != INGOT_SUCCESS) return tool_error(cmd, "cannot create a runtime: %s", ingot_last_error());
  ingot_engine *engine = NULL;
  if (tool_selected_device.target != INGOT_TARGET_CPU) (void)ingot_runtime_set_device(runtime, tool_selected_device.index);
  st_ = ingot_runtime_load_engine(runtime, path, &engine);
  if (st_ != INGOT_SUCCESS) {
    /* The library's message names the plan already; add the path only when it does not. */
    const char *msg = ingot_last_error();
    int rc = strstr(msg, path) ? tool_error(cmd, "cannot load plan (%s): %s", ingot_status_name(st_), msg)
                               : tool_error(cmd, "%s: cannot load plan (%s): %s", path, ingot_status_name(st_), msg);
    ingot_runtime_destroy(runtime);
    return rc;
  }
  *runtime_out = runtime;
  *engine_out = engine;
  return 0;
}

int64_t tool_volume(const ingot_dims *dims) {
  if (!dims || dims->nb_dims < 0 || dims->nb_dims > INGOT_MAX_DIMS) return -1;
  int64_t v = 1;
  for (int32_t k = 0; k < dims->nb_dims; k++) {
    if (dims->d[k] < 0) return -1;
    if (dims->d[k] != 0 && v > INT64_MAX / dims->d[k]) return -1;
    v *= dims->d[k];
  }
  return v;
}

/* Length of the valid UTF-8 sequence at p (2 to 4), or 0 if it is not one. */
static int utf8_length(const unsigned char *p) {
  int n = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
  if (n == 0) return 0;
  for (int k = 1; k < n; k++)
    if ((p[k] & 0xc0) != 0x80) return 0;
  uint32_t cp = p[0] & (0x7f >> n);
  for (int k = 1; k < n; k++) cp = (cp << 6) | (p[k] & 0x3f);
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

void tool_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    switch (*p) {
      case '"': fputs("\\\"", f); break;
      case '\\': fputs("\\\\", f); break;
      case '\n': fputs("\\n", f); break;
      case '\r': fputs("\\r", f); break;
      case '\t': fputs("\\t", f); break;
      default:
        if (*p < 0x20 || *p == 0x7f) {
          fprintf(f, "\\u%04x", *p);
        } else if (*p >= 0x80) {
          /* Valid UTF-8 passes through; a stray byte becomes U+FFFD so the JSON stays valid. */
          int n = utf8_length(p);
          if (n) {
            fwrite(p, 1, (size_t)n, f);
            p += n - 1;
          } else {
            fputs("\\ufffd", f);
          }
        } else {
          fputc(*p, f);
        }
    }
  }
  fputc('"', f);
}

void tool_json_dims(FILE *f, const ingot_dims *dims) {
  fputc('[', f);
  if (dims && dims->nb_dims > 0 && dims->nb_dims <= INGOT_MAX_DIMS)
    for (int32_t k = 0; k < dims->nb_dims; k++) fprintf(f, "%s%lld", k ? ", " : "", (long long)dims->d[k]);
  fputc(']', f);
}

void tool_safe_name(const char *name, char *buf, size_t size) {
  if (!buf || size == 0) return;
  size_t i = 0;
  for (; name && name[i] && i + 1 < size; i++) {
    char c = name[i];
    int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
             c == '-';
    buf[i] = ok ? c : '_';
  }
  buf[i] = '\0';
  if (i == 0 && size > 1) snprintf(buf, size, "_");
}

double tool_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
