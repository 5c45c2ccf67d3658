/* `ingot`: the command-line tool (the start of a trtexec). Dispatches to one command per
 * file: build (cmd_build.c), inspect (cmd_inspect.c), run (cmd_run.c), bench (cmd_bench.c). */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "onnx_build.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: ingot COMMAND [ARGS]\n"
          "\n"
          "commands:\n"
          "  build MODEL.onnx -o PLAN         parse an ONNX model and build a plan\n"
          "  inspect PLAN [--json]            show a plan's target, I/O tensors, profiles, layers, memory\n"
          "  run PLAN --input NAME=FILE.npy   run once on .npy inputs, write one .npy per output\n"
          "  bench PLAN [--shapes ...]        time the engine on random inputs\n"
          "  help [COMMAND]                   show this help, or a command's\n"
          "\n"
          "options:\n"
          "  --version                        print the tool's and the library's versions\n"
          "  ingot COMMAND --help             show a command's options\n");
}

static int command_help(const char *name) {
  if (strcmp(name, "build") == 0) cmd_build_usage(stdout);
  else if (strcmp(name, "inspect") == 0) cmd_inspect_usage(stdout);
  else if (strcmp(name, "run") == 0) cmd_run_usage(stdout);
  else if (strcmp(name, "bench") == 0) cmd_bench_usage(stdout);
  else if (strcmp(name, "help") == 0) usage(stdout);
  else return tool_error("help", "unknown command '%s' (commands: build, inspect, run, bench, help)", name);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    if (argc > 2) return tool_error(NULL, "--version takes no arguments");
    printf("ingot %d.%d.%d (library %s)\n", INGOT_VERSION_MAJOR, INGOT_VERSION_MINOR, INGOT_VERSION_PATCH,
           ingot_version_string());
    return 0;
  }
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    if (argc == 2) {
      usage(stdout);
      return 0;
    }
    if (argc > 3) return tool_error("help", "expected at most one command name");
    return command_help(argv[2]);
  }
  if (strcmp(cmd, "build") == 0) return cmd_build(argc - 1, argv + 1);
  if (strcmp(cmd, "inspect") == 0) return cmd_inspect(argc - 1, argv + 1);
  if (strcmp(cmd, "run") == 0) return cmd_run(argc - 1, argv + 1);
  if (strcmp(cmd, "bench") == 0) return cmd_bench(argc - 1, argv + 1);
  tool_error(NULL, "unknown command '%s' (try 'ingot help')", cmd);
  return 2;
}
