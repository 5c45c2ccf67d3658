// CUDA halves of the example plugins (example_plugins.c): one thread per element.
#include <cuda_runtime.h>

#include "example_plugins.h"

__global__ void scaled_softsign_kernel(const float *x, float *y, int64_t n, float alpha) {
  int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = alpha * x[i] / (1.0f + fabsf(x[i]));
}

// elem is 4 (float32 or int32): copied as 32-bit words.
__global__ void split_tail_kernel(const int32_t *x, int32_t *head, int32_t *tail, int64_t rows, int64_t width,
                                  int64_t k) {
  int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= rows * width) return;
  int64_t r = i / width, c = i % width;
  if (c < k) head[r * k + c] = x[i];
  else tail[r * (width - k) + (c - k)] = x[i];
}

static unsigned blocks(int64_t n) { return (unsigned)((n + 255) / 256); }

extern "C" int example_scaled_softsign_cuda(const float *x, float *y, int64_t n, float alpha, void *stream) {
  if (n == 0) return 0;
  scaled_softsign_kernel<<<blocks(n), 256, 0, (cudaStream_t)stream>>>(x, y, n, alpha);
  return cudaGetLastError() == cudaSuccess ? 0 : 1;
}

extern "C" int example_split_tail_cuda(const void *x, void *head, void *tail, int64_t rows, int64_t width, int64_t k,
                                       int64_t elem, void *stream) {
  if (elem != 4) return 1;
  int64_t n = rows * width;
  if (n == 0) return 0;
  split_tail_kernel<<<blocks(n), 256, 0, (cudaStream_t)stream>>>((const int32_t *)x, (int32_t *)head,
                                                                  (int32_t *)tail, rows, width, k);
  return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
