/* The CUDA backend's own-kernel tactics (src/backend/cuda/kernels/): every layer the CPU
 * backend has except convolution and matrix multiply (cuDNN / cuBLASLt), as rows the
 * cuda backend merges into its table. Tensor views, workspace and prepared data are
 * device pointers; args->stream is the cudaStream_t every kernel is launched on. */
#ifndef INGOT_BACKEND_CUDA_CUDA_KERNEL_TABLE_H
#define INGOT_BACKEND_CUDA_CUDA_KERNEL_TABLE_H

#include <stdint.h>

#include "backend/backend.h"

extern const ingot_tactic ingot_cuda_kernel_tactics[];
extern const int32_t ingot_cuda_kernel_tactic_count;

#endif
