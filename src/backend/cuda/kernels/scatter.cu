// GatherND, ScatterND and ScatterElements. The scatters keep the reference's order where
// updates collide: ScatterND runs a thread per slice element walking the index tuples in
// order; ScatterElements a thread per line of the index tensor (updates of different lines
// never meet) walking the axis in order. So duplicates combine, and the last write wins,
// exactly as in the CPU reference. Out-of-range indices are skipped (gather: zeros).
#include "ck_common.cuh"

namespace ingot_ck {
namespace {

enum { NONE, ADD, MUL, MAX, MIN };

template <typename I>
__device__ __forceinline__ bool nd_offset(const ingot_ck_nd &nd, const I *idx, int64_t item, int64_t *off) {
  int64_t o = nd.per_batch > 0 ? (item / nd.per_batch) * nd.batch_stride : 0;
  for (int t = 0; t < nd.depth; t++) {
    int64_t v = (int64_t)idx[item * nd.depth + t];
    if (v < 0) v += nd.dims[t];
    if (v < 0 || v >= nd.dims[t]) return false;
    o += v * nd.strides[t];
  }
  *off = o;
  return true;
}

template <typename E, typename I>
__global__ void gather_nd_kernel(ingot_ck_nd nd, const E *__restrict__ data, const I *__restrict__ idx,
                                 E *__restrict__ y) {
  int64_t total = nd.items * nd.inner, stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
    int64_t item = i / nd.inner, e = i % nd.inner, off;
    y[i] = nd_offset<I>(nd, idx, item, &off) ? data[off + e] : E(0);
  }
}

// dst = dst (reduction) src, in the compute type of T (integers wrap).
template <typename T> __device__ __forceinline__ void combine(int reduction, T *dst, T src) {
  typedef Num<T> N;
  typename N::W a = N::ld(*dst), b = N::ld(src), r;
  switch (reduction) {
    case ADD: r = (typename N::W)(a + b); break;
    case MUL: r = (typename N::W)(a * b); break;
    case MAX: r = b > a ? b : a; break;
    case MIN: r = b < a ? b : a; break;
    default: *dst = src; return;
  }
  *dst = N::st(r);
}
// Moved by size only (no reduction): every dtype.
template <> __device__ __forceinline__ void combine<uint8_t>(int, uint8_t *dst, uint8_t src) { *dst = src; }
template <> __device__ __forceinline__ void combine<uint16_t>(int, uint16_t *dst, uint16_t src) { *dst = src; }
template <> __device__ __forceinline__ void combine<unsigned long long>(int, unsigned long long *dst,
                                                                       unsigned long long src) {
  *dst = src;
}
// Integer add and mul through unsigned arithmetic (wrapping, no signed overflow).
template <> __device__ __forceinline__ void combine<int32_t>(int reduction, int32_t *dst, int32_t src) {
  uint32_t a = (uint32_t)*dst, b = (uint32_t)src;
  switch (reduction) {
    case ADD: *dst = (int32_t)(a + b); break;
    case MUL: *dst = (int32_t)(a * b); break;
    case MAX: *dst = src > *dst ? src : *dst; break;
    case MIN: *dst = src < *dst ? src : *dst; break;
    default: *dst = src; break;
  }
}
template <> __device__ __forceinline__ void combine<long long>(int reduction, long long *dst, long long src) {
  unsigned long long a = (unsigned long long)*dst, b = (unsigned long long)src;
  switch (reduction) {
    case ADD: *dst = (long long)(a + b); break;
    case MUL: *dst = (long long)(a * b); break;
    case MAX: *dst = src > *dst ? src : *dst; break;
    case MIN: *dst = src < *dst ? src : *dst; break;
    default: *dst = src; break;
  }
}

template <typename T, typename I>
__global__ void scatter_nd_kernel(int reduction, ingot_ck_nd nd, const I *__restrict__ idx,
                                  const T *__restrict__ upd, T *__restrict__ y) {
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < nd.inner; e += stride)
    for (int64_t item = 0; item < nd.items; item++) {
      int64_t off;
      if (nd_offset<I>(nd, idx, item, &off)) combine<T>(reduction, &y[off + e], upd[item * nd.inner + e]);
    }
}

template <typename T, typename I>
__global__ void scatter_elements_kernel(int reduction, ingot_ck_box lines, int64_t axis_len, int64_t axis_dim,
                                        int64_t y_axis_stride, int64_t idx_axis_stride, const I *__restrict__ idx,
                                        const T *__restrict__ upd, T *__restrict__ y) {
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t l = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; l < lines.volume; l += stride) {
    int64_t off[2];
    box_offsets<2, int64_t>(lines, l, off);
    for (int64_t a = 0; a < axis_len; a++) {
      int64_t u = off[1] + a * idx_axis_stride, v = (int64_t)idx[u];
      if (v < 0) v += axis_dim;
      if (v >= 0 && v < axis_dim) combine<T>(reduction, &y[off[0] + v * y_axis_stride], upd[u]);
    }
  }
}

// The element type a scatter runs on: the dtype's own for reductions, its size otherwise.
#define INGOT_CK_SCATTER_SWITCH(dtype, elem_size, reduction, T, ...)                 \
  if ((reduction) == NONE) {                                                        \
    switch (elem_size) {                                                            \
      case 1: { typedef uint8_t T; __VA_ARGS__; } break;                            \
      case 2: { typedef uint16_t T; __VA_ARGS__; } break;                           \
      case 4: { typedef int32_t T; __VA_ARGS__; } break;                            \
      case 8: { typedef unsigned long long T; __VA_ARGS__; } break;                 \
      default: return cudaErrorInvalidValue;                                        \
    }                                                                               \
  } else {                                                                          \
    INGOT_CK_NUMERIC_SWITCH(dtype, T, __VA_ARGS__);                                  \
  }

}  // namespace
}  // namespace ingot_ck

using namespace ingot_ck;

extern "C" cudaError_t ingot_ck_gather_nd(int32_t elem_size, const ingot_ck_nd *nd, int32_t idx_int32,
                                          const void *data, const void *idx, void *y, cudaStream_t stream) {
  int64_t total = nd->items * nd->inner;
  if (total <= 0) return cudaSuccess;
  unsigned g = grid_for(total);
#define GATHER_ND(E)                                                                                          \
  (idx_int32 ? gather_nd_kernel<E, int32_t><<<g, kThreads, 0, stream>>>(*nd, (const E *)data, (const int32_t *)idx, \
                                                                         (E *)y)                                \
             : gather_nd_kernel<E, long long><<<g, kThreads, 0, stream>>>(*nd, (const E *)data,                   \
                                                                           (const long long *)idx, (E *)y))
  switch (elem_size) {
    case 1: GATHER_ND(uint8_t); break;
    case 2: GATHER_ND(uint16_t); break;
    case 4: GATHER_ND(uint32_t); break;
    case 8: GATHER_ND(unsigned long long); break;
    default: return cudaErrorInvalidValue;
  }
#undef GATHER_ND
  return cudaGetLastError();
}

extern "C" cudaError_t ingot_ck_scatter_nd(int32_t dtype, int32_t elem_size, int32_t reduction, const ingot_ck_nd *nd,
                                           int32_t idx_int32, const void *idx, const void *updates, void *y,
                                           cudaStream_t stream) {
  if (nd->items <= 0 || nd->inner <= 0) return cudaSuccess;
  unsigned g = grid_for(nd->inner);
  INGOT_CK_SCATTER_SWITCH(dtype, elem_size, reduction, T,
                          if (idx_int32) scatter_nd_kernel<T, int32_t><<<g, kThreads, 0, stream>>>(
                              reduction, *nd, (const int32_t *)idx, (const T *)updates, (T *)y);
                          else scatter_nd_kernel<T, long long><<<g, kThreads, 0, stream>>>(
                              reduction, *nd, (const long long *)idx, (const T *)updates, (T *)y));
  return cudaGetLastError();
}

extern "C" cudaError_t ingot_ck_scatter_elements(int32_t dtype, int32_t elem_size, int32_t reduction,
                                                 const ingot_ck_box *lines, int64_t axis_len, int64_t axis_dim,
                                                 int64_t y_axis_stride, int64_t idx_axis_stride, int32_t idx_int32,
                                                 const void *idx, const void *updates, void *y, cudaStream_t stream) {
  if (lines->volume <= 0 || axis_len <= 0) return cudaSuccess;
  unsigned g = grid_for(lines->volume);
  INGOT_CK_SCATTER_SWITCH(dtype, elem_size, reduction, T,
                          if (idx_int32) scatter_elements_kernel<T, int32_t><<<g, kThreads, 0, stream>>>(
                              reduction, *lines, axis_len, axis_dim, y_axis_stride, idx_axis_stride,
                              (const int32_t *)idx, (const T *)updates, (T *)y);
                          else scatter_elements_kernel<T, long long><<<g, kThreads, 0, stream>>>(
                              reduction, *lines, axis_len, axis_dim, y_axis_stride, idx_axis_stride,
                              (const long long *)idx, (const T *)updates, (T *)y));
  return cudaGetLastError();
}
