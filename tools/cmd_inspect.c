/* `ingot inspect PLAN [--json]`: what a plan holds, as text or as one JSON document. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "shapes.h"

void cmd_inspect_usage(FILE *f) {
  fprintf(f,
          "usage: ingot inspect PLAN [--json] [--verbose]\n"
          "\n"
          "Shows the plan's target, library version, I/O tensors (name, input/output, dtype,\n"
          "dims with -1 for dynamic dims, min/opt/max of each profile for inputs), layers (name,\n"
          "type, tactic, precision, inputs -> outputs; for a plugin layer, its plugin's name,\n"
          "version and namespace), activation memory per profile and weights memory (as\n"
          "stored, and the bytes of weights the plan holds only packed by their layers). A plan\n"
          "with plugins loads with their library: --plugin LIB.so.\n"
          "\n"
          "  --json      print one JSON document with the same facts\n"
          "  --verbose   let the library log info and verbose messages\n");
}

static const char *mode_name(ingot_tensor_io_mode mode) { return mode == INGOT_TENSOR_INPUT ? "input" : "output"; }

static void human_bytes(uint64_t bytes, char *buf, size_t size) {
  static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)bytes;
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    u++;
  }
  if (u == 0) snprintf(buf, size, "%llu B", (unsigned long long)bytes);
  else snprintf(buf, size, "%.1f %s", v, units[u]);
}

typedef struct io_info {
  const char *name;
  ingot_tensor_io_mode mode;
  ingot_dtype dtype;
  ingot_dims dims;
} io_info;

/* Gathers every I/O tensor, failing with a message naming the tensor. */
static int gather_io(const ingot_engine *engine, io_info **out, int32_t *count_out) {
  int32_t n = ingot_engine_num_io_tensors(engine);
  if (n < 0) return tool_error("inspect", "engine reports %d I/O tensors", n);
  io_info *io = calloc((size_t)n + 1, sizeof *io);
  if (!io) return tool_error("inspect", "out of memory");
  for (int32_t i = 0; i < n; i++) {
    io[i].name = ingot_engine_get_io_tensor_name(engine, i);
    if (!io[i].name) {
      free(io);
      return tool_error("inspect", "I/O tensor %d has no name: %s", i, ingot_last_error());
    }
    if (ingot_engine_get_tensor_io_mode(engine, io[i].name, &io[i].mode) != INGOT_SUCCESS ||
        ingot_engine_get_tensor_dtype(engine, io[i].name, &io[i].dtype) != INGOT_SUCCESS ||
        ingot_engine_get_tensor_dims(engine, io[i].name, &io[i].dims) != INGOT_SUCCESS) {
      int rc = tool_error("inspect", "tensor '%s': %s", io[i].name, ingot_last_error());
      free(io);
      return rc;
    }
  }
  *out = io;
  *count_out = n;
  return 0;
}

/* min/opt/max of `name` in `profile`; 0 if the engine has them. */
static int profile_dims(const ingot_engine *engine, const char *name, int32_t profile, ingot_dims out[3]) {
  for (int s = 0; s < 3; s++)
    if (ingot_engine_get_profile_dims(engine, name, profile, (ingot_profile_selector)s, &out[s]) != INGOT_SUCCESS) {
      ingot_clear_last_error();
      return -1;
    }
  return 0;
}

/* The plugin layer `index` runs, or 0 (name NULL) for any other layer. */
static int layer_plugin(const ingot_engine *engine, int32_t index, const char **name, const char **version,
                        const char **ns) {
  if (ingot_engine_get_layer_plugin(engine, index, name, version, ns) != INGOT_SUCCESS || !*name) {
    ingot_clear_last_error();
    return 0;
  }
  return 1;
}

static void print_text(const char *path, long long plan_size, const ingot_engine *engine, const io_info *io,
                       int32_t nio) {
  char buf[256], b2[256], b3[256];
  int32_t nprof = ingot_engine_num_optimization_profiles(engine);
  printf("plan:      %s (%lld bytes)\n", path, plan_size);
  printf("target:    %s\n", ingot_target_name(ingot_engine_get_target(engine)));
  printf("library:   ingot %s\n", ingot_version_string());
  printf("profiles:  %d\n", nprof);
  printf("I/O tensors (%d):\n", nio);
  for (int32_t i = 0; i < nio; i++) {
    tool_dims_format(&io[i].dims, buf, sizeof buf);
    printf("  %-6s %-20s %-8s [%s]\n", mode_name(io[i].mode), io[i].name, ingot_dtype_name(io[i].dtype), buf);
    if (io[i].mode != INGOT_TENSOR_INPUT) continue;
    for (int32_t p = 0; p < nprof; p++) {
      ingot_dims d[3];
      if (profile_dims(engine, io[i].name, p, d) != 0) continue;
      tool_dims_format(&d[0], buf, sizeof buf);
      tool_dims_format(&d[1], b2, sizeof b2);
      tool_dims_format(&d[2], b3, sizeof b3);
      printf("         profile %d: min [%s] opt [%s] max [%s]\n", p, buf, b2, b3);
    }
  }
  int32_t nl = ingot_engine_num_layers(engine);
  printf("layers (%d):\n", nl < 0 ? 0 : nl);
  for (int32_t l = 0; l < nl; l++) {
    ingot_layer_info info;
    memset(&info, 0, sizeof info);
    if (ingot_engine_get_layer_info(engine, l, &info) != INGOT_SUCCESS) {
      printf("  %3d  (no information: %s)\n", l, ingot_last_error());
      continue;
    }
    printf("  %3d  %-24s %-20s %-28s %-8s ", l, info.name ? info.name : "?", info.type ? info.type : "?",
           info.tactic ? info.tactic : "?", ingot_dtype_name(info.precision));
    for (int32_t k = 0; k < info.nb_inputs; k++)
      printf("%s%s", k ? ", " : "", info.input_names && info.input_names[k] ? info.input_names[k] : "?");
    printf(" -> ");
    for (int32_t k = 0; k < info.nb_outputs; k++)
      printf("%s%s", k ? ", " : "", info.output_names && info.output_names[k] ? info.output_names[k] : "?");
    printf("\n");
    const char *pname, *pversion, *pns;
    if (layer_plugin(engine, l, &pname, &pversion, &pns)) {
      printf("       plugin %s v%s", pname, pversion ? pversion : "?");
      if (pns && pns[0]) printf(" (ns \"%s\")", pns);
      printf("\n");
    }
  }
  printf("memory:\n");
  for (int32_t p = 0; p < nprof; p++) {
    uint64_t a = ingot_engine_get_activation_memory(engine, p);
    human_bytes(a, buf, sizeof buf);
    printf("  activations, profile %d: %llu bytes (%s)\n", p, (unsigned long long)a, buf);
  }
  if (nprof == 0) {
    uint64_t a = ingot_engine_get_activation_memory(engine, 0);
    human_bytes(a, buf, sizeof buf);
    printf("  activations: %llu bytes (%s)\n", (unsigned long long)a, buf);
  }
  uint64_t w = ingot_engine_get_weights_memory(engine), packed = ingot_engine_get_packed_weights_memory(engine);
  human_bytes(w, buf, sizeof buf);
  printf("  weights: %llu bytes (%s)", (unsigned long long)w, buf);
  if (packed) {
    human_bytes(packed, b2, sizeof b2);
    printf(", and %llu bytes (%s) left out of the plan: their layers hold them packed", (unsigned long long)packed, b2);
  }
  printf("\n");
}

static void json_names(const char *const *names, int32_t n) {
  printf("[");
  for (int32_t k = 0; k < n; k++) {
    if (k) printf(", ");
    tool_json_string(stdout, names ? names[k] : NULL);
  }
  printf("]");
}

static void print_json(const char *path, long long plan_size, const ingot_engine *engine, const io_info *io,
                       int32_t nio) {
  int32_t nprof = ingot_engine_num_optimization_profiles(engine);
  printf("{\n  \"plan\": ");
  tool_json_string(stdout, path);
  printf(",\n  \"plan_bytes\": %lld,\n  \"target\": ", plan_size);
  tool_json_string(stdout, ingot_target_name(ingot_engine_get_target(engine)));
  printf(",\n  \"library_version\": ");
  tool_json_string(stdout, ingot_version_string());
  printf(",\n  \"num_profiles\": %d,\n  \"io_tensors\": [", nprof);
  for (int32_t i = 0; i < nio; i++) {
    printf("%s\n    {\"name\": ", i ? "," : "");
    tool_json_string(stdout, io[i].name);
    printf(", \"mode\": \"%s\", \"dtype\": ", mode_name(io[i].mode));
    tool_json_string(stdout, ingot_dtype_name(io[i].dtype));
    printf(", \"dims\": ");
    tool_json_dims(stdout, &io[i].dims);
    if (io[i].mode == INGOT_TENSOR_INPUT) {
      printf(", \"profiles\": [");
      int first = 1;
      for (int32_t p = 0; p < nprof; p++) {
        ingot_dims d[3];
        if (profile_dims(engine, io[i].name, p, d) != 0) continue;
        printf("%s{\"index\": %d, \"min\": ", first ? "" : ", ", p);
        tool_json_dims(stdout, &d[0]);
        printf(", \"opt\": ");
        tool_json_dims(stdout, &d[1]);
        printf(", \"max\": ");
        tool_json_dims(stdout, &d[2]);
        printf("}");
        first = 0;
      }
      printf("]");
    }
    printf("}");
  }
  printf("\n  ],\n  \"layers\": [");
  int32_t nl = ingot_engine_num_layers(engine);
  for (int32_t l = 0; l < nl; l++) {
    ingot_layer_info info;
    memset(&info, 0, sizeof info);
    int ok = ingot_engine_get_layer_info(engine, l, &info) == INGOT_SUCCESS;
    printf("%s\n    {\"index\": %d, \"name\": ", l ? "," : "", l);
    tool_json_string(stdout, ok ? info.name : NULL);
    printf(", \"type\": ");
    tool_json_string(stdout, ok ? info.type : NULL);
    printf(", \"tactic\": ");
    tool_json_string(stdout, ok ? info.tactic : NULL);
    printf(", \"precision\": ");
    tool_json_string(stdout, ok ? ingot_dtype_name(info.precision) : NULL);
    printf(", \"inputs\": ");
    json_names(info.input_names, ok ? info.nb_inputs : 0);
    printf(", \"outputs\": ");
    json_names(info.output_names, ok ? info.nb_outputs : 0);
    const char *pname, *pversion, *pns;
    if (layer_plugin(engine, l, &pname, &pversion, &pns)) {
      printf(", \"plugin\": {\"name\": ");
      tool_json_string(stdout, pname);
      printf(", \"version\": ");
      tool_json_string(stdout, pversion);
      printf(", \"namespace\": ");
      tool_json_string(stdout, pns);
      printf("}");
    } else {
      printf(", \"plugin\": null");
    }
    printf("}");
  }
  printf("%s],\n  \"activation_memory\": [", nl > 0 ? "\n  " : "");
  for (int32_t p = 0; p < nprof; p++)
    printf("%s%llu", p ? ", " : "", (unsigned long long)ingot_engine_get_activation_memory(engine, p));
  if (nprof == 0) printf("%llu", (unsigned long long)ingot_engine_get_activation_memory(engine, 0));
  printf("],\n  \"weights_memory\": %llu,\n  \"packed_weights_memory\": %llu\n}\n",
         (unsigned long long)ingot_engine_get_weights_memory(engine),
         (unsigned long long)ingot_engine_get_packed_weights_memory(engine));
}

int cmd_inspect(int argc, char **argv) {
  const char *plan = NULL;
  int json = 0, verbose = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      cmd_inspect_usage(stdout);
      return 0;
    } else if (strcmp(argv[i], "--json") == 0) {
      json = 1;
    } else if (strcmp(argv[i], "--verbose") == 0) {
      verbose = 1;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      return tool_error("inspect", "unknown option '%s' (see ingot inspect --help)", argv[i]);
    } else if (!plan) {
      plan = argv[i];
    } else {
      return tool_error("inspect", "unexpected argument '%s' (one PLAN only)", argv[i]);
    }
  }
  if (!plan) return tool_error("inspect", "missing PLAN (usage: ingot inspect PLAN [--json])");
  ingot_logger *logger = tool_logger_create(verbose);
  ingot_runtime *runtime = NULL;
  ingot_engine *engine = NULL;
  int rc = tool_load_engine("inspect", plan, logger, &runtime, &engine);
  if (rc == 0) {
    struct stat st;
    long long plan_size = stat(plan, &st) == 0 ? (long long)st.st_size : -1;
    io_info *io = NULL;
    int32_t nio = 0;
    rc = gather_io(engine, &io, &nio);
    if (rc == 0) {
      if (json) print_json(plan, plan_size, engine, io, nio);
      else print_text(plan, plan_size, engine, io, nio);
      if (fflush(stdout) != 0 || ferror(stdout)) rc = tool_error("inspect", "cannot write to standard output");
    }
    free(io);
    ingot_engine_destroy(engine);
    ingot_runtime_destroy(runtime);
  }
  if (logger) ingot_logger_destroy(logger);
  return rc;
}
