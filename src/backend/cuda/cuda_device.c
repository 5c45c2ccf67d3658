/* The CUDA backend's device services: devices, memory, copies, streams, events, graphs
 * and the per-context library handles. Each wraps one CUDA runtime call and turns its
 * error into a status with a message; with no driver or no GPU every call fails that way
 * (cudaErrorNoDevice, cudaErrorInsufficientDriver), so a build without a GPU still runs
 * its CPU work. */
#include <stdio.h>
#include <stdlib.h>

#include "backend/cuda/cuda_common.h"
#include "core/alloc.h"

ingot_status ingot_cuda_fail(cudaError_t err, const char *what) {
  return ingot_fail(err == cudaErrorMemoryAllocation ? INGOT_OUT_OF_MEMORY
                    : (err == cudaErrorNoDevice || err == cudaErrorInsufficientDriver)
                        ? INGOT_UNSUPPORTED
                        : INGOT_RUNTIME_ERROR,
                    "cuda: %s: %s (%s)", what, cudaGetErrorName(err), cudaGetErrorString(err));
}

static ingot_status cuda_device_count(int32_t *count_out) {
  int n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  *count_out = 0;
  if (err != cudaSuccess) {
    (void)cudaGetLastError(); /* clear the sticky "no device" for later calls */
    return ingot_cuda_fail(err, "no usable CUDA device");
  }
  *count_out = n;
  return INGOT_SUCCESS;
}

static ingot_status cuda_set_device(int32_t index) {
  int32_t n = 0;
  INGOT_TRY(cuda_device_count(&n));
  if (index < 0 || index >= n)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "cuda: device %d does not exist (this machine has %d)", index, n);
  INGOT_CUDA_TRY(cudaSetDevice(index), "cudaSetDevice");
  return INGOT_SUCCESS;
}

static ingot_status cuda_get_device(int32_t *index_out) {
  int d = 0;
  INGOT_CUDA_TRY(cudaGetDevice(&d), "cudaGetDevice");
  *index_out = d;
  return INGOT_SUCCESS;
}

static ingot_status cuda_device_arch(int32_t index, char *buf, size_t size) {
  int major = 0, minor = 0;
  INGOT_CUDA_TRY(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, index), "compute capability");
  INGOT_CUDA_TRY(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, index), "compute capability");
  snprintf(buf, size, "sm_%d%d", major, minor);
  return INGOT_SUCCESS;
}

static ingot_status cuda_malloc(void **ptr_out, uint64_t bytes) {
  *ptr_out = NULL;
  if (bytes == 0) return INGOT_SUCCESS;
  cudaError_t err = cudaMalloc(ptr_out, (size_t)bytes);
  if (err != cudaSuccess) {
    *ptr_out = NULL;
    char what[96];
    snprintf(what, sizeof what, "cudaMalloc of %llu bytes", (unsigned long long)bytes);
    return ingot_cuda_fail(err, what);
  }
  return INGOT_SUCCESS;
}

static void cuda_free(void *ptr) {
  if (ptr) (void)cudaFree(ptr);
}

static ingot_status cuda_malloc_host(void **ptr_out, uint64_t bytes) {
  *ptr_out = NULL;
  cudaError_t err = cudaMallocHost(ptr_out, (size_t)(bytes ? bytes : 1));
  if (err != cudaSuccess) {
    *ptr_out = NULL;
    return ingot_cuda_fail(err, "cudaMallocHost (pinned memory)");
  }
  return INGOT_SUCCESS;
}

static void cuda_free_host(void *ptr) {
  if (ptr) (void)cudaFreeHost(ptr);
}

static ingot_status cuda_copy(void *dst, const void *src, uint64_t bytes, ingot_copy_kind kind, void *stream) {
  static const enum cudaMemcpyKind kinds[] = {cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost,
                                              cudaMemcpyDeviceToDevice};
  if (bytes == 0) return INGOT_SUCCESS;
  INGOT_CUDA_TRY(cudaMemcpyAsync(dst, src, (size_t)bytes, kinds[kind], (cudaStream_t)stream), "cudaMemcpyAsync");
  return INGOT_SUCCESS;
}

static ingot_status cuda_memset(void *dst, int value, uint64_t bytes, void *stream) {
  if (bytes == 0) return INGOT_SUCCESS;
  INGOT_CUDA_TRY(cudaMemsetAsync(dst, value, (size_t)bytes, (cudaStream_t)stream), "cudaMemsetAsync");
  return INGOT_SUCCESS;
}

static ingot_status cuda_stream_create(void **stream_out) {
  cudaStream_t s = NULL;
  *stream_out = NULL;
  INGOT_CUDA_TRY(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate");
  *stream_out = s;
  return INGOT_SUCCESS;
}

static void cuda_stream_destroy(void *stream) {
  if (stream) (void)cudaStreamDestroy((cudaStream_t)stream);
}

static ingot_status cuda_stream_synchronize(void *stream) {
  INGOT_CUDA_TRY(cudaStreamSynchronize((cudaStream_t)stream), "cudaStreamSynchronize (a kernel failed)");
  return INGOT_SUCCESS;
}

static ingot_status cuda_event_create(void **event_out) {
  cudaEvent_t e = NULL;
  *event_out = NULL;
  INGOT_CUDA_TRY(cudaEventCreate(&e), "cudaEventCreate");
  *event_out = e;
  return INGOT_SUCCESS;
}

static void cuda_event_destroy(void *event) {
  if (event) (void)cudaEventDestroy((cudaEvent_t)event);
}

static ingot_status cuda_event_record(void *event, void *stream) {
  INGOT_CUDA_TRY(cudaEventRecord((cudaEvent_t)event, (cudaStream_t)stream), "cudaEventRecord");
  return INGOT_SUCCESS;
}

static ingot_status cuda_event_elapsed_ms(void *start, void *end, float *ms_out) {
  INGOT_CUDA_TRY(cudaEventSynchronize((cudaEvent_t)end), "cudaEventSynchronize (a kernel failed)");
  INGOT_CUDA_TRY(cudaEventElapsedTime(ms_out, (cudaEvent_t)start, (cudaEvent_t)end), "cudaEventElapsedTime");
  return INGOT_SUCCESS;
}

static void cuda_handles_destroy(void *handles) {
  ingot_cuda_handles *h = handles;
  if (!h) return;
  if (h->lt) cublasLtDestroy(h->lt);
  ingot_cudnn_cache_destroy(h->dnn_cache); /* plans before the handle they were made with */
  if (h->dnn) cudnnDestroy(h->dnn);
  free(h);
}

/* Called on every enqueue: cudnnSetStream only when the stream changes. */
static ingot_status cuda_handles_set_stream(void *handles, void *stream) {
  ingot_cuda_handles *h = handles;
  if (h->stream_set && h->stream == (cudaStream_t)stream) return INGOT_SUCCESS;
  h->stream = (cudaStream_t)stream;
  h->stream_set = false;
  cudnnStatus_t st = cudnnSetStream(h->dnn, h->stream);
  if (st != CUDNN_STATUS_SUCCESS) return ingot_cudnn_fail(st, "cudnnSetStream", NULL);
  h->stream_set = true;
  return INGOT_SUCCESS;
}

static ingot_status cuda_handles_create(void *stream, void **handles_out) {
  *handles_out = NULL;
  ingot_cuda_handles *h = ingot_calloc(1, sizeof *h);
  if (!h) return INGOT_OUT_OF_MEMORY;
  ingot_status st = INGOT_SUCCESS;
  cublasStatus_t bs = cublasLtCreate(&h->lt);
  if (bs != CUBLAS_STATUS_SUCCESS) {
    h->lt = NULL;
    st = ingot_cublas_fail(bs, "cublasLtCreate", NULL);
  }
  if (st == INGOT_SUCCESS) {
    cudnnStatus_t ds = cudnnCreate(&h->dnn);
    if (ds != CUDNN_STATUS_SUCCESS) {
      h->dnn = NULL;
      st = ingot_cudnn_fail(ds, "cudnnCreate", NULL);
    }
  }
  if (st == INGOT_SUCCESS) st = cuda_handles_set_stream(h, stream);
  if (st != INGOT_SUCCESS) {
    cuda_handles_destroy(h);
    return st;
  }
  *handles_out = h;
  return INGOT_SUCCESS;
}

static ingot_status cuda_capture_begin(void *stream) {
  INGOT_CUDA_TRY(cudaStreamBeginCapture((cudaStream_t)stream, cudaStreamCaptureModeThreadLocal),
                 "cudaStreamBeginCapture");
  return INGOT_SUCCESS;
}

static ingot_status cuda_capture_end(void *stream, void **graph_exec_out) {
  cudaGraph_t graph = NULL;
  cudaGraphExec_t exec = NULL;
  *graph_exec_out = NULL;
  INGOT_CUDA_TRY(cudaStreamEndCapture((cudaStream_t)stream, &graph), "cudaStreamEndCapture");
  cudaError_t err = cudaGraphInstantiate(&exec, graph, 0);
  (void)cudaGraphDestroy(graph);
  if (err != cudaSuccess) return ingot_cuda_fail(err, "cudaGraphInstantiate");
  *graph_exec_out = exec;
  return INGOT_SUCCESS;
}

static ingot_status cuda_graph_launch(void *graph_exec, void *stream) {
  INGOT_CUDA_TRY(cudaGraphLaunch((cudaGraphExec_t)graph_exec, (cudaStream_t)stream), "cudaGraphLaunch");
  return INGOT_SUCCESS;
}

static void cuda_graph_destroy(void *graph_exec) {
  if (graph_exec) (void)cudaGraphExecDestroy((cudaGraphExec_t)graph_exec);
}

const ingot_device_ops ingot_cuda_device_ops = {
    .device_count = cuda_device_count,
    .set_device = cuda_set_device,
    .get_device = cuda_get_device,
    .device_arch = cuda_device_arch,
    .malloc = cuda_malloc,
    .free = cuda_free,
    .malloc_host = cuda_malloc_host,
    .free_host = cuda_free_host,
    .copy = cuda_copy,
    .memset = cuda_memset,
    .stream_create = cuda_stream_create,
    .stream_destroy = cuda_stream_destroy,
    .stream_synchronize = cuda_stream_synchronize,
    .event_create = cuda_event_create,
    .event_destroy = cuda_event_destroy,
    .event_record = cuda_event_record,
    .event_elapsed_ms = cuda_event_elapsed_ms,
    .handles_create = cuda_handles_create,
    .handles_set_stream = cuda_handles_set_stream,
    .handles_destroy = cuda_handles_destroy,
    .capture_begin = cuda_capture_begin,
    .capture_end = cuda_capture_end,
    .graph_launch = cuda_graph_launch,
    .graph_destroy = cuda_graph_destroy,
};
