/* Building an engine from an .onnx file, as trtexec does: `ingot build` writes the plan,
 * `ingot run` and `ingot bench` accept a model in place of a plan and build it first. */
#ifndef INGOT_TOOL_ONNX_BUILD_H
#define INGOT_TOOL_ONNX_BUILD_H

#include "common.h"
#include "shapes.h"

/* `ingot build` (cmd_build.c). */
int cmd_build(int argc, char **argv);
void cmd_build_usage(FILE *f);

typedef struct tool_onnx_options {
  int fp16, bf16, int8;
  long long workspace_mib; /* 0: the builder's default */
  long long threads;       /* 0: the builder's default */
  const char *timing_cache; /* NULL: none */
  int has_tactic_sources;   /* 0: the builder's default (every source) */
  uint32_t tactic_sources;  /* INGOT_TACTIC_SOURCE_* bits */
  int progress;             /* "parsing...", "building..." on stderr when it is a terminal */
  /* The profile: opt is required for each dynamic input; min and max default to opt. */
  const tool_shape_list *min_shapes, *opt_shapes, *max_shapes;
  /* How the command's user gives shapes, for messages: "--opt-shapes" or "--shapes". */
  const char *shapes_flag;
} tool_onnx_options;

typedef struct tool_onnx_times {
  double parse_s, build_s;
  long long cache_entries, cache_new; /* with --timing-cache: entries after the build, and added by it */
} tool_onnx_times;

/* Parses --tactic-sources LIST ("ingot,onednn"; entries with a leading '-' or '+' edit
 * the default of every source: "-onednn"). Returns 0, or -1 after printing why. */
int tool_tactic_sources_parse(const char *cmd, const char *list, uint32_t *mask_out);

/* True when `path` names an ONNX model (it ends in ".onnx", any case). */
int tool_is_onnx(const char *path);

/* Parses the model at `path` (each parser error printed on its own line, naming the node,
 * op type and opset), makes one optimization profile from the shape lists and builds a
 * plan (free with ingot_plan_destroy). Returns 0, or 1 after printing why. */
int tool_onnx_build(const char *cmd, const char *path, const tool_onnx_options *options, ingot_logger *logger,
                    ingot_plan **plan_out, tool_onnx_times *times_out);

/* run/bench: loads the plan at `path`, or, for an .onnx file, builds it first with min =
 * opt = max = `shapes` for its dynamic inputs (shapes_flag names where they come from).
 * Returns 0, or 1 after printing why. */
int tool_load_engine_any(const char *cmd, const char *path, const tool_shape_list *shapes, const char *shapes_flag,
                         ingot_logger *logger, ingot_runtime **runtime_out, ingot_engine **engine_out);

/* The shape of an .npy file, read from its header only. Returns 0, or -1 with err set. */
int tool_npy_shape(const char *path, ingot_dims *dims_out, char *err, size_t err_size);

#endif
