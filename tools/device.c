/* The `--device` option and the GPU side of `ingot bench`: host latency (wall time of
 * one iteration: inputs copied in from pinned memory, the enqueue, outputs copied out,
 * synchronized), and between CUDA events on the same stream the copy-in time, the GPU
 * compute time and the copy-out time, as trtexec reports them. Without the CUDA backend
 * only the CPU can be selected. */
#include <stdlib.h>
#include <string.h>

#include "device.h"

#ifdef INGOT_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

tool_device tool_selected_device = {INGOT_TARGET_CPU, 0};

int tool_device_parse(const char *cmd, const char *text) {
  long long index = 0;
  if (strcmp(text, "cpu") == 0) {
    tool_selected_device.target = INGOT_TARGET_CPU;
    tool_selected_device.index = 0;
    return 0;
  }
  if (strncmp(text, "cuda", 4) == 0 && (text[4] == '\0' || (text[4] == ':' && tool_parse_int(text + 5, 0, 1023, &index) == 0))) {
    tool_selected_device.target = INGOT_TARGET_CUDA;
    tool_selected_device.index = (int32_t)index;
    return 0;
  }
  return tool_error(cmd, "--device '%s': expected cpu, cuda or cuda:N", text);
}

#ifdef INGOT_HAVE_CUDA
#define PHASES 3 /* copy in, compute, copy out */

struct tool_gpu_bench {
  ingot_execution_context *ctx;
  ingot_stream *stream;
  cudaStream_t native;
  cudaEvent_t events[PHASES + 1];
  int32_t n;
  void **host, **dev;
  const size_t *bytes;
  const int *is_input;
  double *ms[PHASES + 1]; /* per phase, then host latency */
  long long count, cap;
};

static int cuda_check(cudaError_t err, const char *what) {
  if (err == cudaSuccess) return 0;
  return tool_error("bench", "%s: %s", what, cudaGetErrorString(err));
}

int tool_gpu_bench_create(ingot_execution_context *ctx, int32_t n, const char *const *names, void *const *host,
                          const size_t *bytes, const int *is_input, int cuda_graph, tool_gpu_bench **out) {
  *out = NULL;
  tool_gpu_bench *b = calloc(1, sizeof *b);
  if (!b) return tool_error("bench", "out of memory");
  *out = b;
  b->ctx = ctx;
  b->n = n;
  b->bytes = bytes;
  b->is_input = is_input;
  b->host = calloc((size_t)n + 1, sizeof(void *));
  b->dev = calloc((size_t)n + 1, sizeof(void *));
  if (!b->host || !b->dev) return tool_error("bench", "out of memory");
  if (ingot_stream_create(INGOT_TARGET_CUDA, tool_selected_device.index, &b->stream) != INGOT_SUCCESS)
    return tool_error("bench", "cannot create a CUDA stream: %s", ingot_last_error());
  b->native = ingot_stream_get_native(b->stream);
  for (int k = 0; k <= PHASES; k++)
    if (cuda_check(cudaEventCreate(&b->events[k]), "cudaEventCreate")) return 1;
  for (int32_t i = 0; i < n; i++) {
    if (ingot_device_malloc_host(INGOT_TARGET_CUDA, bytes[i] + 1, &b->host[i]) != INGOT_SUCCESS ||
        ingot_device_malloc(INGOT_TARGET_CUDA, bytes[i] + 1, &b->dev[i]) != INGOT_SUCCESS)
      return tool_error("bench", "tensor '%s': %s", names[i], ingot_last_error());
    memcpy(b->host[i], host[i], bytes[i]);
    if (ingot_execution_context_set_tensor_address(ctx, names[i], b->dev[i]) != INGOT_SUCCESS)
      return tool_error("bench", "tensor '%s': %s", names[i], ingot_last_error());
  }
  if (cuda_graph && ingot_execution_context_set_graph_capture(ctx, 1) != INGOT_SUCCESS)
    return tool_error("bench", "--cuda-graph: %s", ingot_last_error());
  return 0;
}

static int copies(tool_gpu_bench *b, int inputs) {
  for (int32_t i = 0; i < b->n; i++) {
    if (!b->is_input[i] != !inputs) continue;
    cudaError_t err = inputs ? cudaMemcpyAsync(b->dev[i], b->host[i], b->bytes[i], cudaMemcpyHostToDevice, b->native)
                             : cudaMemcpyAsync(b->host[i], b->dev[i], b->bytes[i], cudaMemcpyDeviceToHost, b->native);
    if (cuda_check(err, "cudaMemcpyAsync")) return 1;
  }
  return 0;
}

double tool_gpu_bench_iteration(tool_gpu_bench *b) {
  double t0 = tool_now();
  if (cuda_check(cudaEventRecord(b->events[0], b->native), "cudaEventRecord") || copies(b, 1) ||
      cuda_check(cudaEventRecord(b->events[1], b->native), "cudaEventRecord"))
    return -1;
  if (ingot_execution_context_enqueue(b->ctx, b->stream) != INGOT_SUCCESS)
    return tool_error("bench", "enqueue failed: %s", ingot_last_error()), -1;
  if (cuda_check(cudaEventRecord(b->events[2], b->native), "cudaEventRecord") || copies(b, 0) ||
      cuda_check(cudaEventRecord(b->events[3], b->native), "cudaEventRecord"))
    return -1;
  if (ingot_stream_synchronize(b->stream) != INGOT_SUCCESS)
    return tool_error("bench", "execution failed: %s", ingot_last_error()), -1;
  double latency = tool_now() - t0;
  if (b->count == b->cap) {
    long long cap = b->cap ? b->cap * 2 : 1024;
    for (int k = 0; k <= PHASES; k++) {
      double *grown = realloc(b->ms[k], (size_t)cap * sizeof(double));
      if (!grown) return tool_error("bench", "out of memory"), -1;
      b->ms[k] = grown;
    }
    b->cap = cap;
  }
  for (int k = 0; k < PHASES; k++) {
    float ms = 0.0f;
    if (cuda_check(cudaEventElapsedTime(&ms, b->events[k], b->events[k + 1]), "cudaEventElapsedTime")) return -1;
    b->ms[k][b->count] = ms;
  }
  b->ms[PHASES][b->count++] = latency * 1e3;
  return latency;
}

void tool_gpu_bench_reset(tool_gpu_bench *b) { b->count = 0; }

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, long long n) {
  if (n <= 0) return 0.0;
  qsort(v, (size_t)n, sizeof *v, by_value);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void tool_gpu_bench_report(const tool_gpu_bench *b, long long batch, FILE *f) {
  static const char *const names[PHASES + 1] = {"H2D copy", "GPU compute", "D2H copy", "host latency"};
  double med[PHASES + 1];
  for (int k = 0; k <= PHASES; k++) med[k] = median(b->ms[k], b->count);
  fprintf(f, "GPU (medians of %lld iterations, pinned host memory):\n", b->count);
  for (int k = 0; k <= PHASES; k++) fprintf(f, "  %-13s %10.4f ms\n", names[k], med[k]);
  if (med[1] > 0 && batch > 0)
    fprintf(f, "  GPU compute throughput %.1f inferences/s (batch %lld)\n", 1e3 * (double)batch / med[1], batch);
}

void tool_gpu_bench_destroy(tool_gpu_bench *b) {
  if (!b) return;
  if (b->stream) ingot_stream_synchronize(b->stream);
  for (int32_t i = 0; b->host && i < b->n; i++) ingot_device_free_host(INGOT_TARGET_CUDA, b->host[i]);
  for (int32_t i = 0; b->dev && i < b->n; i++) ingot_device_free(INGOT_TARGET_CUDA, b->dev[i]);
  for (int k = 0; k <= PHASES; k++) {
    if (b->events[k]) cudaEventDestroy(b->events[k]);
    free(b->ms[k]);
  }
  ingot_stream_destroy(b->stream);
  free(b->host);
  free(b->dev);
  free(b);
}
#else
int tool_gpu_bench_create(ingot_execution_context *ctx, int32_t n, const char *const *names, void *const *host,
                          const size_t *bytes, const int *is_input, int cuda_graph, tool_gpu_bench **out) {
  *out = NULL;
  return tool_error("bench", "this ingot was built without the CUDA backend");
}
double tool_gpu_bench_iteration(tool_gpu_bench *b) { return -1; }
void tool_gpu_bench_reset(tool_gpu_bench *b) {}
void tool_gpu_bench_report(const tool_gpu_bench *b, long long batch, FILE *f) {}
void tool_gpu_bench_destroy(tool_gpu_bench *b) {}
#endif
