/* `--device cpu|cuda[:N]` for build, run and bench, and the GPU side of `ingot bench`. */
#ifndef INGOT_TOOL_DEVICE_H
#define INGOT_TOOL_DEVICE_H

#include "common.h"

/* The device the command builds for and loads engines on (default: the CPU). */
typedef struct tool_device {
  ingot_target target;
  int32_t index;
} tool_device;
extern tool_device tool_selected_device;

/* Parses "cpu", "cuda" or "cuda:N" into tool_selected_device; prints an error for cmd and
 * returns 1 when the text is none of them. */
int tool_device_parse(const char *cmd, const char *text);

/* The GPU side of bench: pinned host copies of the I/O tensors, device buffers bound to
 * the context, and per iteration the input copies, the enqueue and the output copies,
 * each between CUDA events on one stream, as trtexec reports them. */
typedef struct tool_gpu_bench tool_gpu_bench;
/* host[i] (bytes[i]) holds the random inputs (outputs: any); is_input[i] says which. */
int tool_gpu_bench_create(ingot_execution_context *ctx, int32_t n, const char *const *names, void *const *host,
                          const size_t *bytes, const int *is_input, int cuda_graph, tool_gpu_bench **out);
/* One iteration; returns its host latency in seconds, or < 0 after printing the error. */
double tool_gpu_bench_iteration(tool_gpu_bench *b);
/* Medians of the timed iterations since the last reset (warm-up excluded by the caller). */
void tool_gpu_bench_reset(tool_gpu_bench *b);
void tool_gpu_bench_report(const tool_gpu_bench *b, long long batch, FILE *f);
void tool_gpu_bench_destroy(tool_gpu_bench *b);

#endif
