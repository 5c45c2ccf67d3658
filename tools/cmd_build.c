/* `ingot build MODEL.onnx -o PLAN`: parses an ONNX model, builds it for one profile and
 * saves the plan (trtexec --onnx --saveEngine). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "onnx_build.h"
#include "device.h"
#include "shapes.h"

void cmd_build_usage(FILE *f) {
  fprintf(f,
          "usage: ingot build MODEL.onnx -o PLAN [--fp16] [--bf16] [--int8]\n"
          "                   [--min-shapes LIST] [--opt-shapes LIST] [--max-shapes LIST]\n"
          "                   [--workspace MiB] [--timing-cache FILE] [--threads N] [--verbose]\n"
          "                   [--device cpu|cuda[:N]] [--tactic-sources LIST]\n"
          "\n"
          "Parses the model (every error is printed, naming the node, its op type and the opset),\n"
          "builds it for the CPU and writes the plan. Each input with dynamic dims needs its shape\n"
          "in --opt-shapes; --min-shapes and --max-shapes give a range (they default to the opt\n"
          "shape). LIST is NAME:1x3x224x224 entries joined by ','.\n"
          "\n"
          "  -o, --output PLAN     where the plan goes\n"
          "  --fp16, --bf16        allow float16 / bfloat16 kernels\n"
          "  --int8                allow int8 kernels\n"
          "  --min-shapes LIST     smallest input shapes of the profile\n"
          "  --opt-shapes LIST     the shapes the engine is tuned for\n"
          "  --max-shapes LIST     largest input shapes of the profile\n"
          "  --workspace MiB       most scratch memory one layer may use\n"
          "  --timing-cache FILE   read before and written after the build (tactic timings)\n"
          "  --threads N           threads the engine's contexts use by default (0: all cores)\n"
          "  --device D            the target: cpu (default) or cuda[:N], timed on that GPU\n"
          "  --tactic-sources LIST where tactics may come from: ingot, onednn, cublaslt, cudnn\n"
          "                        joined by ',' (\"ingot,onednn\"), or edits of the default, all\n"
          "                        but onednn (\"+onednn\"); the reference kernels always remain\n"
          "  --verbose             let the library log info and verbose messages\n");
}

typedef struct build_args {
  const char *model, *plan, *timing_cache;
  int fp16, bf16, int8, verbose;
  long long workspace, threads;
  int has_tactic_sources;
  uint32_t tactic_sources;
  tool_shape_list shapes[3]; /* min, opt, max */
} build_args;

static int parse_args(build_args *a, int argc, char **argv) {
  static const char *const shape_flags[3] = {"--min-shapes", "--opt-shapes", "--max-shapes"};
  for (int i = 1; i < argc; i++) {
    const char *v = NULL;
    int m = 0, matched = 0;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      cmd_build_usage(stdout);
      return -2;
    }
    if (strcmp(argv[i], "--fp16") == 0) a->fp16 = matched = 1;
    else if (strcmp(argv[i], "--bf16") == 0) a->bf16 = matched = 1;
    else if (strcmp(argv[i], "--int8") == 0) a->int8 = matched = 1;
    else if (strcmp(argv[i], "--verbose") == 0) a->verbose = matched = 1;
    if (matched) continue;
    for (int k = 0; k < 3 && !matched; k++) {
      if ((m = tool_option("build", argc, argv, &i, shape_flags[k], &v)) == 0) continue;
      if (m < 0) return -1;
      matched = 1;
      char err[1024];
      tool_shapes_free(&a->shapes[k]);
      if (tool_shapes_parse(v, &a->shapes[k], err, sizeof err) != 0)
        return tool_error("build", "%s: %s", shape_flags[k], err), -1;
    }
    if (matched) continue;
    if ((m = tool_option("build", argc, argv, &i, "--output", &v)) != 0 ||
        (m = tool_option("build", argc, argv, &i, "-o", &v)) != 0) {
      if (m < 0) return -1;
      if (!*v) return tool_error("build", "--output: empty file name"), -1;
      a->plan = v;
    } else if ((m = tool_option("build", argc, argv, &i, "--workspace", &v)) != 0) {
      if (m < 0) return -1;
      if (tool_parse_int(v, 1, (long long)1 << 30, &a->workspace) != 0)
        return tool_error("build", "--workspace '%s': expected MiB, an integer >= 1", v), -1;
    } else if ((m = tool_option("build", argc, argv, &i, "--threads", &v)) != 0) {
      if (m < 0) return -1;
      if (tool_parse_int(v, 0, 4096, &a->threads) != 0)
        return tool_error("build", "--threads '%s': expected an integer in [0, 4096]", v), -1;
    } else if ((m = tool_option("build", argc, argv, &i, "--tactic-sources", &v)) != 0) {
      if (m < 0 || tool_tactic_sources_parse("build", v, &a->tactic_sources) != 0) return -1;
      a->has_tactic_sources = 1;
    } else if ((m = tool_option("build", argc, argv, &i, "--device", &v)) != 0) {
      if (m < 0 || tool_device_parse("build", v) != 0) return -1;
    } else if ((m = tool_option("build", argc, argv, &i, "--timing-cache", &v)) != 0) {
      if (m < 0) return -1;
      if (!*v) return tool_error("build", "--timing-cache: empty file name"), -1;
      a->timing_cache = v;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      return tool_error("build", "unknown option '%s' (see ingot build --help)", argv[i]), -1;
    } else if (!a->model) {
      a->model = argv[i];
    } else {
      return tool_error("build", "unexpected argument '%s' (one MODEL only)", argv[i]), -1;
    }
  }
  if (!a->model) return tool_error("build", "missing MODEL (usage: ingot build MODEL.onnx -o PLAN)"), -1;
  if (!a->plan) return tool_error("build", "missing -o PLAN: where should the plan go?"), -1;
  return 0;
}

int cmd_build(int argc, char **argv) {
  build_args a;
  memset(&a, 0, sizeof a);
  int rc = parse_args(&a, argc, argv);
  if (rc == -2) {
    rc = 0;
  } else if (rc != 0) {
    rc = 1;
  } else {
    ingot_logger *logger = tool_logger_create(a.verbose);
    tool_onnx_options o;
    memset(&o, 0, sizeof o);
    o.fp16 = a.fp16;
    o.bf16 = a.bf16;
    o.int8 = a.int8;
    o.workspace_mib = a.workspace;
    o.threads = a.threads;
    o.timing_cache = a.timing_cache;
    o.has_tactic_sources = a.has_tactic_sources;
    o.tactic_sources = a.tactic_sources;
    o.progress = 1;
    o.min_shapes = &a.shapes[0];
    o.opt_shapes = &a.shapes[1];
    o.max_shapes = &a.shapes[2];
    o.shapes_flag = "--opt-shapes";
    ingot_plan *plan = NULL;
    tool_onnx_times times;
    double t0 = tool_now();
    rc = tool_onnx_build("build", a.model, &o, logger, &plan, &times);
    if (rc == 0) {
      if (isatty(fileno(stderr))) fprintf(stderr, "writing %s...\n", a.plan);
      if (ingot_plan_save(plan, a.plan) != INGOT_SUCCESS) {
        rc = tool_error("build", "%s: %s", a.plan, ingot_last_error());
      } else {
        printf("built %s -> %s (%zu bytes) in %.3f s: parse %.3f s, build %.3f s\n", a.model, a.plan,
               ingot_plan_size(plan), tool_now() - t0, times.parse_s, times.build_s);
        if (a.timing_cache)
          printf("timing cache %s: %lld entries, %lld new\n", a.timing_cache, times.cache_entries, times.cache_new);
      }
    }
    ingot_plan_destroy(plan);
    if (logger) ingot_logger_destroy(logger);
  }
  for (int k = 0; k < 3; k++) tool_shapes_free(&a.shapes[k]);
  return rc;
}
