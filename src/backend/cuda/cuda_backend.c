/* The CUDA backend: its tactic table (cuBLASLt and cuDNN rows, then the own kernels of
 * cuda_kernel_table.c) and its device services. Tensor views, workspace and constants are
 * device memory; a tactic's prepared block stays in host memory (algorithm choices and
 * descriptors' inputs, read by create_state), so a plan holds no device pointers. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "backend/cuda/cuda_common.h"
#include "backend/cuda/cuda_kernel_table.h"
#include "backend/plugin_tactic.h"
#include "ingot/builder.h"

extern const ingot_device_ops ingot_cuda_device_ops;

#define MAX_CUDA_TACTICS 1024
static ingot_tactic cuda_tactics[MAX_CUDA_TACTICS];
static ingot_backend cuda_backend;
static pthread_once_t cuda_once = PTHREAD_ONCE_INIT;

static int32_t append(int32_t at, const ingot_tactic *rows, int32_t count) {
  for (int32_t i = 0; i < count && at < MAX_CUDA_TACTICS; i++) cuda_tactics[at++] = rows[i];
  return at;
}

/* The architecture of the current device ("sm_90"), recorded in plans and checked when
 * one is loaded. */
static const char *cuda_arch(void) {
  static _Thread_local char arch[32];
  int32_t dev = 0;
  if (ingot_cuda_device_ops.get_device(&dev) != INGOT_SUCCESS ||
      ingot_cuda_device_ops.device_arch(dev, arch, sizeof arch) != INGOT_SUCCESS) {
    (void)cudaGetLastError();
    snprintf(arch, sizeof arch, "no-cuda-device");
  }
  return arch;
}

static void init_backend(void) {
  /* Own kernels first, library tactics after: when nothing is timed the builder takes
   * the last-listed, and for conv and GEMM that is the library's. */
  int32_t n = 0;
  n = append(n, ingot_cuda_kernel_tactics, ingot_cuda_kernel_tactic_count);
  n = append(n, ingot_cudnn_tactics, ingot_cudnn_tactic_count);
  n = append(n, ingot_cublaslt_tactics, ingot_cublaslt_tactic_count);
  n = append(n, ingot_plugin_cuda_tactics, ingot_plugin_cuda_tactic_count);
  cuda_backend.abi_version = INGOT_BACKEND_ABI_VERSION;
  cuda_backend.target = INGOT_TARGET_CUDA;
  cuda_backend.name = "cuda";
  cuda_backend.arch = cuda_arch;
  cuda_backend.nb_tactics = n;
  cuda_backend.tactics = cuda_tactics;
  cuda_backend.device = &ingot_cuda_device_ops;
}

const ingot_backend *ingot_cuda_backend(void) {
  pthread_once(&cuda_once, init_backend);
  return &cuda_backend;
}

ingot_status ingot_cublas_fail(cublasStatus_t st, const char *what, const ingot_node *node) {
  if (node)
    return ingot_node_fail(node, INGOT_RUNTIME_ERROR, "cuBLASLt: %s: %s (%d)", what, cublasLtGetStatusName(st),
                           (int)st);
  return ingot_fail(INGOT_RUNTIME_ERROR, "cuBLASLt: %s: %s (%d)", what, cublasLtGetStatusName(st), (int)st);
}

ingot_status ingot_cudnn_fail(cudnnStatus_t st, const char *what, const ingot_node *node) {
  if (node)
    return ingot_node_fail(node, INGOT_RUNTIME_ERROR, "cuDNN: %s: %s", what, cudnnGetErrorString(st));
  return ingot_fail(INGOT_RUNTIME_ERROR, "cuDNN: %s: %s", what, cudnnGetErrorString(st));
}

bool ingot_cuda_data_type(ingot_dtype dtype, cudaDataType_t *out) {
  switch (dtype) {
    case INGOT_FLOAT32: *out = CUDA_R_32F; return true;
    case INGOT_FLOAT16: *out = CUDA_R_16F; return true;
    case INGOT_BFLOAT16: *out = CUDA_R_16BF; return true;
    default: return false;
  }
}

bool ingot_cudnn_data_type(ingot_dtype dtype, cudnnDataType_t *out) {
  switch (dtype) {
    case INGOT_FLOAT32: *out = CUDNN_DATA_FLOAT; return true;
    case INGOT_FLOAT16: *out = CUDNN_DATA_HALF; return true;
    case INGOT_BFLOAT16: *out = CUDNN_DATA_BFLOAT16; return true;
    default: return false;
  }
}
