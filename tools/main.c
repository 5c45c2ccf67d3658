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
          "  --plugin LIB.so                  (any command, repeatable) load a plugin library first\n"
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

/* `--plugin LIB.so` (or --plugin=LIB.so), repeatable, is taken out of argv wherever it
 * stands after the command and loaded before the command runs, so build, run, bench and
 * inspect all accept it without parsing it themselves. -1 on failure (reported). */
static int load_plugins(int *argc, char **argv) {
  int kept = 2;
  for (int i = 2; i < *argc; i++) {
    const char *path = NULL;
    if (strcmp(argv[i], "--plugin") == 0) {
      if (i + 1 >= *argc) return tool_error(argv[1], "option --plugin needs a value"), -1;
      path = argv[++i];
    } else if (strncmp(argv[i], "--plugin=", 9) == 0) {
      path = argv[i] + 9;
    } else {
      argv[kept++] = argv[i];
      continue;
    }
    if (ingot_plugin_library_load(path) != INGOT_SUCCESS)
      return tool_error(argv[1], "--plugin: %s", ingot_last_error()), -1;
  }
  argv[kept] = NULL;
  *argc = kept;
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && load_plugins(&argc, argv) != 0) return 1;
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
