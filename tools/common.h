/* Helpers the `ingot` tool's commands share: one-line errors, strict number parsing,
 * option values, the logger, loading an engine, JSON strings, file-safe names. */
#ifndef INGOT_TOOL_COMMON_H
#define INGOT_TOOL_COMMON_H

#include <stdio.h>
#include "ingot/ingot.h"

/* Commands: argv[0] is the command name; return the process exit status. */
int cmd_inspect(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_bench(int argc, char **argv);
void cmd_inspect_usage(FILE *f);
void cmd_run_usage(FILE *f);
void cmd_bench_usage(FILE *f);

/* Prints "ingot CMD: error: ..." as one line on stderr; returns 1 (the exit status). */
int tool_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Strict decimal integer in [min, max]: no sign other than '-', no spaces, no suffix. */
int tool_parse_int(const char *text, long long min, long long max, long long *out);
/* Strict non-negative decimal number ("3", "0.5"); rejects nan, inf, hex and trailing text. */
int tool_parse_seconds(const char *text, double *out);

/* Matches option `name` at argv[*i] as "--name VALUE" or "--name=VALUE". Returns 1 and
 * sets *value (advancing *i past a separate value), 0 if argv[*i] is another option, -1
 * (after printing an error for cmd) when the value is missing. */
int tool_option(const char *cmd, int argc, char **argv, int *i, const char *name, const char **value);

/* A logger that prints warnings (and info/verbose when verbose) to stderr; errors are not
 * printed by it because each command prints the failing call's message itself. */
ingot_logger *tool_logger_create(int verbose);

/* Creates a runtime and loads the plan at `path`; prints the error and returns 1 on failure. */
int tool_load_engine(const char *cmd, const char *path, ingot_logger *logger, ingot_runtime **runtime_out,
                     ingot_engine **engine_out);

/* Number of elements of dims (every dim >= 0), or -1 on overflow or a negative dim. */
int64_t tool_volume(const ingot_dims *dims);

/* Writes `s` as a JSON string literal, quotes included. */
void tool_json_string(FILE *f, const char *s);
/* Writes dims as a JSON array: [1, 3, -1]. */
void tool_json_dims(FILE *f, const ingot_dims *dims);

/* Copies `name` into buf with every character outside [A-Za-z0-9._-] replaced by '_'. */
void tool_safe_name(const char *name, char *buf, size_t size);

/* Seconds on a monotonic clock. */
double tool_now(void);

#endif
