// Device helpers shared by ingot's CUDA kernels: dtype conversions through fp32 (floats)
// or int64 (integers), box index decoding, launch sizing and dtype dispatch. Included by
// the .cu files only.
#ifndef INGOT_BACKEND_CUDA_KERNELS_CK_COMMON_CUH
#define INGOT_BACKEND_CUDA_KERNELS_CK_COMMON_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#include "ck_launch.h"

namespace ingot_ck {

// Wide types: floats compute in fp32, integers in int64 (wrapping through uint64).
template <typename T> struct Num {
  using W = long long;
  static __device__ __forceinline__ W ld(T v) { return (W)v; }
  static __device__ __forceinline__ T st(W v) { return (T)v; }
};
template <> struct Num<float> {
  using W = float;
  static __device__ __forceinline__ float ld(float v) { return v; }
  static __device__ __forceinline__ float st(float v) { return v; }
};
template <> struct Num<__half> {
  using W = float;
  static __device__ __forceinline__ float ld(__half v) { return __half2float(v); }
  static __device__ __forceinline__ __half st(float v) { return __float2half_rn(v); }
};
template <> struct Num<__nv_bfloat16> {
  using W = float;
  static __device__ __forceinline__ float ld(__nv_bfloat16 v) { return __bfloat162float(v); }
  static __device__ __forceinline__ __nv_bfloat16 st(float v) { return __float2bfloat16_rn(v); }
};

// Loads element i of a float tensor of run-time dtype (for small side inputs: scales,
// biases, slopes), as fp32.
__device__ __forceinline__ float ld_float(const void *p, int32_t dtype, int64_t i) {
  switch (dtype) {
    case INGOT_CK_F16: return __half2float(((const __half *)p)[i]);
    case INGOT_CK_BF16: return __bfloat162float(((const __nv_bfloat16 *)p)[i]);
    default: return ((const float *)p)[i];
  }
}

// Offsets of operands [0, N) for element `linear` of a box. IndexT is int32_t when the
// box's volume and every reachable offset fit, which makes the divisions cheap.
template <int N, typename IndexT>
__device__ __forceinline__ void box_offsets(const ingot_ck_box &b, IndexT linear, IndexT *off) {
#pragma unroll
  for (int k = 0; k < N; k++) off[k] = 0;
  for (int d = b.rank - 1; d >= 0; d--) {
    IndexT dim = (IndexT)b.dims[d];
    IndexT c = linear % dim;
    linear /= dim;
#pragma unroll
    for (int k = 0; k < N; k++) off[k] += c * (IndexT)b.stride[k][d];
  }
}

constexpr int kThreads = 256;

// Grid for a grid-stride loop over n items: enough blocks to fill the GPU several times
// over, never more than the items need.
inline unsigned grid_for(int64_t n, int per_thread = 1) {
  int64_t blocks = (n + (int64_t)kThreads * per_thread - 1) / ((int64_t)kThreads * per_thread);
  if (blocks > 132 * 32) blocks = 132 * 32;
  return (unsigned)(blocks < 1 ? 1 : blocks);
}

// True when every offset a box can produce fits int32 (so 32-bit index math is exact).
inline bool box_fits_int32(const ingot_ck_box &b) {
  if (b.volume >= INT32_MAX) return false;
  for (int k = 0; k < b.nb_operands; k++) {
    int64_t reach = 0;
    for (int d = 0; d < b.rank; d++) {
      int64_t s = b.stride[k][d] < 0 ? -b.stride[k][d] : b.stride[k][d];
      reach += s * (b.dims[d] - 1);
    }
    if (reach >= INT32_MAX) return false;
  }
  return true;
}

// Warp sum / max.
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// The part of a row a thread walks in the row kernels (softmax, normalization, reduce):
// a warp per row, the warps of a block on consecutive rows; or, when kBlock, the whole
// block on row blockIdx.x (for long rows).
struct RowSpan {
  int64_t row, first, step;
};
template <bool kBlock> __device__ __forceinline__ RowSpan row_span() {
  if (kBlock) return {(int64_t)blockIdx.x, (int64_t)threadIdx.x, (int64_t)blockDim.x};
  return {(int64_t)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), (int64_t)(threadIdx.x & 31), 32};
}

constexpr int kRowBlockThreads = 512;

// Launches the block form of a row kernel (a block per row; rows must fit a grid) or its
// warp form.
template <typename... P, typename... A>
cudaError_t launch_rows(void (*block_kernel)(P...), void (*warp_kernel)(P...), bool use_block, int64_t rows,
                        cudaStream_t s, A... args) {
  if (use_block) {
    if (rows > 0x7fffffff) return cudaErrorInvalidValue;
    block_kernel<<<(unsigned)rows, kRowBlockThreads, 0, s>>>(args...);
  } else {
    const int64_t warps = kThreads / 32;
    warp_kernel<<<(unsigned)((rows + warps - 1) / warps), kThreads, 0, s>>>(args...);
  }
  return cudaGetLastError();
}

}  // namespace ingot_ck

// Runs the code (the trailing arguments) with T bound to the C++ type of a float dtype; returns invalid value otherwise.
#define INGOT_CK_FLOAT_SWITCH(dtype, T, ...)                  \
  switch (dtype) {                                            \
    case INGOT_CK_F32: { typedef float T; __VA_ARGS__; } break;      \
    case INGOT_CK_F16: { typedef __half T; __VA_ARGS__; } break;     \
    case INGOT_CK_BF16: { typedef __nv_bfloat16 T; __VA_ARGS__; } break; \
    default: return cudaErrorInvalidValue;                    \
  }
// Runs the code with K the power of two (1..32) of values per lane that holds a row of
// len <= 1024 in a warp's registers.
#define INGOT_CK_PER_LANE(len, K, ...)                                   \
  do {                                                                   \
    if ((len) <= 32) { constexpr int K = 1; __VA_ARGS__; }               \
    else if ((len) <= 64) { constexpr int K = 2; __VA_ARGS__; }          \
    else if ((len) <= 128) { constexpr int K = 4; __VA_ARGS__; }         \
    else if ((len) <= 256) { constexpr int K = 8; __VA_ARGS__; }         \
    else if ((len) <= 512) { constexpr int K = 16; __VA_ARGS__; }        \
    else { constexpr int K = 32; __VA_ARGS__; }                          \
  } while (0)
// Same for the dtypes that compute (floats, int32, int64).
#define INGOT_CK_NUMERIC_SWITCH(dtype, T, ...)                            \
  switch (dtype) {                                                    \
    case INGOT_CK_F32: { typedef float T; __VA_ARGS__; } break;       \
    case INGOT_CK_F16: { typedef __half T; __VA_ARGS__; } break;      \
    case INGOT_CK_BF16: { typedef __nv_bfloat16 T; __VA_ARGS__; } break; \
    case INGOT_CK_I32: { typedef int32_t T; __VA_ARGS__; } break;     \
    case INGOT_CK_I64: { typedef long long T; __VA_ARGS__; } break;   \
    default: return cudaErrorInvalidValue;                            \
  }
// Same for every dtype (bool and uint8 share uint8_t).
#define INGOT_CK_ANY_SWITCH(dtype, T, ...)                    \
  switch (dtype) {                                            \
    case INGOT_CK_F32: { typedef float T; __VA_ARGS__; } break;      \
    case INGOT_CK_F16: { typedef __half T; __VA_ARGS__; } break;     \
    case INGOT_CK_BF16: { typedef __nv_bfloat16 T; __VA_ARGS__; } break; \
    case INGOT_CK_I8: { typedef int8_t T; __VA_ARGS__; } break;      \
    case INGOT_CK_I32: { typedef int32_t T; __VA_ARGS__; } break;    \
    case INGOT_CK_I64: { typedef long long T; __VA_ARGS__; } break;  \
    case INGOT_CK_BOOL:                                       \
    case INGOT_CK_U8: { typedef uint8_t T; __VA_ARGS__; } break;     \
    default: return cudaErrorInvalidValue;                    \
  }

#endif
