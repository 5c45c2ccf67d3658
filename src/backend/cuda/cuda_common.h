/* Shared by the CUDA backend's C files: error conversion for the CUDA runtime, cuBLASLt
 * and cuDNN, and the per-context handles. Only src/backend/cuda/ includes this. */
#ifndef INGOT_BACKEND_CUDA_COMMON_H
#define INGOT_BACKEND_CUDA_COMMON_H

#include <cublasLt.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "backend/backend.h"
#include "core/error.h"

/* The cuDNN tactics' per-handle store of operation graphs and finalized execution plans
 * (cudnn_conv.c), so that layers of one shape in a context share them and sizing the
 * workspace and making the state build each plan once. */
typedef struct ingot_cudnn_cache ingot_cudnn_cache;
void ingot_cudnn_cache_destroy(ingot_cudnn_cache *cache);

/* Per execution context: library handles bound to the context's stream. */
typedef struct ingot_cuda_handles {
  cublasLtHandle_t lt;
  cudnnHandle_t dnn;
  cudaStream_t stream;
  bool stream_set;              /* cudnnSetStream(dnn, stream) done */
  ingot_cudnn_cache *dnn_cache; /* made on first use, freed with the handles */
} ingot_cuda_handles;

/* A failed CUDA runtime call as a status and message: "what: cudaErrorX (text)". */
ingot_status ingot_cuda_fail(cudaError_t err, const char *what);
ingot_status ingot_cublas_fail(cublasStatus_t st, const char *what, const ingot_node *node);
ingot_status ingot_cudnn_fail(cudnnStatus_t st, const char *what, const ingot_node *node);

#define INGOT_CUDA_TRY(call, what)                           \
  do {                                                       \
    cudaError_t ingot_err_ = (call);                         \
    if (ingot_err_ != cudaSuccess) return ingot_cuda_fail(ingot_err_, what); \
  } while (0)

/* cuBLASLt and cuDNN data types for an ingot dtype; false when there is none. */
bool ingot_cuda_data_type(ingot_dtype dtype, cudaDataType_t *out);
bool ingot_cudnn_data_type(ingot_dtype dtype, cudnnDataType_t *out);

/* Tactic rows of the library families, merged into the backend's table. */
extern const ingot_tactic ingot_cublaslt_tactics[];
extern const int32_t ingot_cublaslt_tactic_count;
extern const ingot_tactic ingot_cudnn_tactics[];
extern const int32_t ingot_cudnn_tactic_count;

#endif
