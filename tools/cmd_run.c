/* `ingot run PLAN --input NAME=FILE.npy ...`: one inference on .npy inputs; each output is
 * written to DIR/NAME.npy. Input dtypes must match the engine's exactly (no conversion). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common.h"
#include "npy.h"
#include "onnx_build.h"
#include "shapes.h"

void cmd_run_usage(FILE *f) {
  fprintf(f,
          "usage: ingot run PLAN --input NAME=FILE.npy [--input ...] [--output-dir DIR]\n"
          "                 [--profile N] [--threads N] [--verbose]\n"
          "\n"
          "PLAN may be an .onnx model: it is built first, its dynamic inputs taking the shapes\n"
          "of their --input files.\n"
          "\n"
          "Runs the engine once. Every engine input needs one --input; its shape is taken from the\n"
          "file and its dtype must be the engine's (float32 <f4, float16 <f2, bfloat16 as <u2\n"
          "bits, int8 |i1, uint8 |u1, int32 <i4, int64 <i8, bool |b1). Each output is written\n"
          "to DIR/NAME.npy, NAME with characters outside [A-Za-z0-9._-] replaced by '_'.\n"
          "\n"
          "  --input NAME=FILE   an input tensor and its .npy file\n"
          "  --output-dir DIR    where the outputs go (default '.'; created if missing)\n"
          "  --profile N         the optimization profile to use (default 0)\n"
          "  --threads N         threads for the context (default: the engine's)\n"
          "  --verbose           let the library log info and verbose messages\n");
}

typedef struct run_input {
  const char *name; /* points into argv */
  const char *file;
  tool_npy npy;
} run_input;

typedef struct run_output {
  const char *name;
  ingot_dtype dtype;
  ingot_dims dims;
  void *data;
  char path[4096];
} run_output;

typedef struct run_state {
  const char *plan, *output_dir;
  long long profile, threads;
  int verbose;
  run_input *inputs;
  int32_t nb_inputs;
  run_output *outputs;
  int32_t nb_outputs;
  ingot_logger *logger;
  ingot_runtime *runtime;
  ingot_engine *engine;
  ingot_execution_context *context;
} run_state;

static int parse_args(run_state *s, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *v = NULL;
    int m;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      cmd_run_usage(stdout);
      return -2;
    } else if (strcmp(argv[i], "--verbose") == 0) {
      s->verbose = 1;
    } else if ((m = tool_option("run", argc, argv, &i, "--input", &v)) != 0) {
      if (m < 0) return -1;
      const char *eq = strchr(v, '=');
      if (!eq || eq == v || eq[1] == '\0')
        return tool_error("run", "--input '%s': expected NAME=FILE.npy", v), -1;
      /* argv strings are writable: split NAME=FILE in place. */
      char *name = (char *)v;
      name[eq - v] = '\0';
      for (int32_t k = 0; k < s->nb_inputs; k++)
        if (strcmp(s->inputs[k].name, name) == 0)
          return tool_error("run", "input '%s' is given twice", name), -1;
      s->inputs[s->nb_inputs].name = name;
      s->inputs[s->nb_inputs].file = eq + 1;
      s->nb_inputs++;
    } else if ((m = tool_option("run", argc, argv, &i, "--output-dir", &v)) != 0) {
      if (m < 0) return -1;
      if (!*v) return tool_error("run", "--output-dir: empty directory name"), -1;
      s->output_dir = v;
    } else if ((m = tool_option("run", argc, argv, &i, "--profile", &v)) != 0) {
      if (m < 0) return -1;
      if (tool_parse_int(v, 0, INT32_MAX, &s->profile) != 0)
        return tool_error("run", "--profile '%s': expected a profile index >= 0", v), -1;
    } else if ((m = tool_option("run", argc, argv, &i, "--threads", &v)) != 0) {
      if (m < 0) return -1;
      if (tool_parse_int(v, 0, 4096, &s->threads) != 0)
        return tool_error("run", "--threads '%s': expected an integer in [0, 4096]", v), -1;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      return tool_error("run", "unknown option '%s' (see ingot run --help)", argv[i]), -1;
    } else if (!s->plan) {
      s->plan = argv[i];
    } else {
      return tool_error("run", "unexpected argument '%s' (one PLAN only)", argv[i]), -1;
    }
  }
  if (!s->plan) return tool_error("run", "missing PLAN (usage: ingot run PLAN --input NAME=FILE.npy ...)"), -1;
  return 0;
}

/* Lists the engine's inputs as "a, b" into buf. */
static void input_names(const ingot_engine *engine, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  int32_t n = ingot_engine_num_io_tensors(engine);
  for (int32_t i = 0; i < n && used < size; i++) {
    const char *name = ingot_engine_get_io_tensor_name(engine, i);
    ingot_tensor_io_mode mode;
    if (!name || ingot_engine_get_tensor_io_mode(engine, name, &mode) != INGOT_SUCCESS || mode != INGOT_TENSOR_INPUT)
      continue;
    int w = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", name);
    if (w < 0) break;
    used += (size_t)w;
  }
}

/* Checks every --input against the engine, loads its file and sets shape and address. */
static int bind_inputs(run_state *s) {
  char names[1024], a[256], b[256];
  input_names(s->engine, names, sizeof names);
  for (int32_t k = 0; k < s->nb_inputs; k++) {
    run_input *in = &s->inputs[k];
    ingot_tensor_io_mode mode;
    if (ingot_engine_get_tensor_io_mode(s->engine, in->name, &mode) != INGOT_SUCCESS) {
      ingot_clear_last_error();
      return tool_error("run", "unknown input '%s' (the engine's inputs: %s)", in->name, names);
    }
    if (mode != INGOT_TENSOR_INPUT)
      return tool_error("run", "'%s' is an output of the engine, not an input (inputs: %s)", in->name, names);
  }
  int32_t n = ingot_engine_num_io_tensors(s->engine);
  for (int32_t i = 0; i < n; i++) {
    const char *name = ingot_engine_get_io_tensor_name(s->engine, i);
    ingot_tensor_io_mode mode;
    if (!name || ingot_engine_get_tensor_io_mode(s->engine, name, &mode) != INGOT_SUCCESS)
      return tool_error("run", "I/O tensor %d: %s", i, ingot_last_error());
    if (mode != INGOT_TENSOR_INPUT) continue;
    int32_t k = 0;
    while (k < s->nb_inputs && strcmp(s->inputs[k].name, name) != 0) k++;
    if (k == s->nb_inputs) return tool_error("run", "input '%s' has no --input %s=FILE.npy", name, name);
  }
  for (int32_t k = 0; k < s->nb_inputs; k++) {
    run_input *in = &s->inputs[k];
    char err[1024];
    if (tool_npy_load(in->file, &in->npy, err, sizeof err) != 0) return tool_error("run", "input '%s': %s", in->name, err);
    ingot_dtype want;
    ingot_dims dims;
    if (ingot_engine_get_tensor_dtype(s->engine, in->name, &want) != INGOT_SUCCESS ||
        ingot_engine_get_tensor_dims(s->engine, in->name, &dims) != INGOT_SUCCESS)
      return tool_error("run", "input '%s': %s", in->name, ingot_last_error());
    if (in->npy.dtype != want)
      return tool_error("run", "input '%s': %s holds %s (%s), the engine expects %s (%s)", in->name, in->file,
                        ingot_dtype_name(in->npy.dtype), tool_npy_descr(in->npy.dtype), ingot_dtype_name(want),
                        tool_npy_descr(want) ? tool_npy_descr(want) : "?");
    tool_dims_format(&in->npy.dims, a, sizeof a);
    tool_dims_format(&dims, b, sizeof b);
    int dynamic = 0, match = in->npy.dims.nb_dims == dims.nb_dims;
    for (int32_t d = 0; match && d < dims.nb_dims; d++) {
      if (dims.d[d] < 0) dynamic = 1;
      else if (dims.d[d] != in->npy.dims.d[d]) match = 0;
    }
    if (!match)
      return tool_error("run", "input '%s': %s has shape %s, the engine expects %s", in->name, in->file, a, b);
    if (dynamic && ingot_execution_context_set_input_shape(s->context, in->name, &in->npy.dims) != INGOT_SUCCESS)
      return tool_error("run", "%s: shape %s refused: %s", in->file, a, ingot_last_error());
    if (ingot_execution_context_set_tensor_address(s->context, in->name, in->npy.data) != INGOT_SUCCESS)
      return tool_error("run", "input '%s': %s", in->name, ingot_last_error());
  }
  return 0;
}

static int bind_outputs(run_state *s) {
  int32_t n = ingot_engine_num_io_tensors(s->engine);
  s->outputs = calloc((size_t)n + 1, sizeof *s->outputs);
  if (!s->outputs) return tool_error("run", "out of memory");
  for (int32_t i = 0; i < n; i++) {
    const char *name = ingot_engine_get_io_tensor_name(s->engine, i);
    ingot_tensor_io_mode mode;
    if (!name || ingot_engine_get_tensor_io_mode(s->engine, name, &mode) != INGOT_SUCCESS)
      return tool_error("run", "I/O tensor %d: %s", i, ingot_last_error());
    if (mode != INGOT_TENSOR_OUTPUT) continue;
    run_output *o = &s->outputs[s->nb_outputs++];
    o->name = name;
    if (ingot_engine_get_tensor_dtype(s->engine, name, &o->dtype) != INGOT_SUCCESS ||
        ingot_execution_context_get_tensor_max_shape(s->context, name, &o->dims) != INGOT_SUCCESS)
      return tool_error("run", "output '%s': %s", name, ingot_last_error()); /* data-dependent: at the bound */
    int64_t count = tool_volume(&o->dims);
    size_t esize = ingot_dtype_size(o->dtype);
    if (count < 0 || esize == 0 || (uint64_t)count > SIZE_MAX / esize) {
      char buf[256];
      tool_dims_format(&o->dims, buf, sizeof buf);
      return tool_error("run", "output '%s': unusable shape %s of %s", name, buf, ingot_dtype_name(o->dtype));
    }
    size_t bytes = (size_t)count * esize;
    o->data = calloc(1, bytes ? bytes : 1);
    if (!o->data) return tool_error("run", "output '%s': out of memory for %zu bytes", name, bytes);
    if (ingot_execution_context_set_tensor_address(s->context, name, o->data) != INGOT_SUCCESS)
      return tool_error("run", "output '%s': %s", name, ingot_last_error());
  }
  return 0;
}

/* DIR/SAFE.npy for every output; a second output whose safe name collides gets _2, _3, ... */
static int name_outputs(run_state *s) {
  for (int32_t i = 0; i < s->nb_outputs; i++) {
    char safe[1024];
    tool_safe_name(s->outputs[i].name, safe, sizeof safe);
    for (int suffix = 1;; suffix++) {
      char candidate[1100];
      if (suffix == 1) snprintf(candidate, sizeof candidate, "%s", safe);
      else snprintf(candidate, sizeof candidate, "%s_%d", safe, suffix);
      int n = snprintf(s->outputs[i].path, sizeof s->outputs[i].path, "%s/%s.npy", s->output_dir, candidate);
      if (n < 0 || (size_t)n >= sizeof s->outputs[i].path)
        return tool_error("run", "output path for '%s' is too long", s->outputs[i].name);
      int taken = 0;
      for (int32_t j = 0; j < i; j++)
        if (strcmp(s->outputs[j].path, s->outputs[i].path) == 0) taken = 1;
      if (!taken) break;
    }
  }
  return 0;
}

static int check_output_dir(const char *dir, int create) {
  struct stat st;
  if (stat(dir, &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return tool_error("run", "--output-dir %s: exists and is not a directory", dir);
    return 0;
  }
  if (errno != ENOENT) return tool_error("run", "--output-dir %s: %s", dir, strerror(errno));
  if (create && mkdir(dir, 0777) != 0) return tool_error("run", "--output-dir %s: cannot create: %s", dir, strerror(errno));
  return 0;
}

/* For an .onnx PLAN: NAME -> the shape in its .npy header, for every --input. */
static int input_shapes_for_onnx(const char *cmd, const char *path, const run_input *inputs, int32_t n,
                                 tool_shape_list *out) {
  if (!tool_is_onnx(path) || n == 0) return 0;
  out->items = calloc((size_t)n, sizeof *out->items);
  if (!out->items) return tool_error(cmd, "out of memory");
  for (int32_t k = 0; k < n; k++) {
    char err[1024];
    if (tool_npy_shape(inputs[k].file, &out->items[k].dims, err, sizeof err) != 0)
      return tool_error(cmd, "input '%s': %s", inputs[k].name, err);
    if (!(out->items[out->count++].name = strdup(inputs[k].name))) return tool_error(cmd, "out of memory");
  }
  return 0;
}

static int run_once(run_state *s) {
  if (check_output_dir(s->output_dir, 0) != 0) return 1;
  s->logger = tool_logger_create(s->verbose);
  /* An .onnx model is built first, its dynamic inputs shaped like their --input files. */
  tool_shape_list shapes = {0, NULL};
  int loaded = input_shapes_for_onnx("run", s->plan, s->inputs, s->nb_inputs, &shapes) == 0 &&
               tool_load_engine_any("run", s->plan, &shapes, "--input", s->logger, &s->runtime, &s->engine) == 0;
  tool_shapes_free(&shapes);
  if (!loaded) return 1;
  ingot_target target = ingot_engine_get_target(s->engine);
  if (target != INGOT_TARGET_CPU)
    return tool_error("run", "%s: the plan targets %s; ingot run handles cpu plans only for now (the public API has "
                      "no device memory allocation)", s->plan, ingot_target_name(target));
  int32_t nprof = ingot_engine_num_optimization_profiles(s->engine);
  if (s->profile > 0 && s->profile >= nprof)
    return tool_error("run", "--profile %lld: the engine has %d profile(s)", s->profile, nprof);
  if (ingot_engine_create_execution_context(s->engine, &s->context) != INGOT_SUCCESS)
    return tool_error("run", "cannot create an execution context: %s", ingot_last_error());
  if (s->profile > 0 &&
      ingot_execution_context_set_optimization_profile(s->context, (int32_t)s->profile) != INGOT_SUCCESS)
    return tool_error("run", "--profile %lld: %s", s->profile, ingot_last_error());
  if (s->threads > 0 && ingot_execution_context_set_num_threads(s->context, (int32_t)s->threads) != INGOT_SUCCESS)
    return tool_error("run", "--threads %lld: %s", s->threads, ingot_last_error());
  if (bind_inputs(s) != 0 || bind_outputs(s) != 0 || name_outputs(s) != 0) return 1;
  ingot_status st = ingot_execution_context_execute(s->context);
  if (st != INGOT_SUCCESS) return tool_error("run", "execution failed (%s): %s", ingot_status_name(st), ingot_last_error());
  if (check_output_dir(s->output_dir, 1) != 0) return 1;
  for (int32_t i = 0; i < s->nb_outputs; i++) {
    run_output *o = &s->outputs[i];
    char err[1024], shape[256];
    /* the real shape (a data-dependent output fills a prefix of its buffer) */
    if (ingot_execution_context_get_tensor_shape(s->context, o->name, &o->dims) != INGOT_SUCCESS)
      return tool_error("run", "output '%s': %s", o->name, ingot_last_error());
    if (tool_npy_save(o->path, o->dtype, &o->dims, o->data, err, sizeof err) != 0)
      return tool_error("run", "output '%s': %s", o->name, err);
    tool_dims_format(&o->dims, shape, sizeof shape);
    printf("output %s: shape %s %s -> %s\n", o->name, shape, ingot_dtype_name(o->dtype), o->path);
  }
  return 0;
}

int cmd_run(int argc, char **argv) {
  run_state s;
  memset(&s, 0, sizeof s);
  s.output_dir = ".";
  s.inputs = calloc((size_t)argc + 1, sizeof *s.inputs);
  if (!s.inputs) return tool_error("run", "out of memory");
  int rc = parse_args(&s, argc, argv);
  if (rc == -2) rc = 0;
  else if (rc != 0) rc = 1;
  else rc = run_once(&s);
  for (int32_t k = 0; k < s.nb_inputs; k++) tool_npy_free(&s.inputs[k].npy);
  free(s.inputs);
  for (int32_t i = 0; i < s.nb_outputs; i++) free(s.outputs[i].data);
  free(s.outputs);
  if (s.context) ingot_execution_context_destroy(s.context);
  if (s.engine) ingot_engine_destroy(s.engine);
  if (s.runtime) ingot_runtime_destroy(s.runtime);
  if (s.logger) ingot_logger_destroy(s.logger);
  return rc;
}
