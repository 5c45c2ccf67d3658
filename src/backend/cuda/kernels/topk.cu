// TopK by rank: under the reference's total order (value, NaN above every number, then
// lower index first) every element of a row has a distinct rank, the number of elements
// better than it; an element of rank r < k is output r. A thread per element counts its
// rank over the row staged through shared memory in tiles, so the row is read from global
// memory once per block. O(n^2) per row: the tactic takes rows up to 16384.
#include "ck_common.cuh"

namespace ingot_ck {
namespace {

template <typename W> __device__ __forceinline__ bool less(W x, W y) { return x < y; }
template <> __device__ __forceinline__ bool less<float>(float x, float y) {
  return x < y || (isnan(y) && !isnan(x));
}

// Is element (va, a) better than (vb, b)?
template <typename W> __device__ __forceinline__ bool better(bool min, W va, int64_t a, W vb, int64_t b) {
  if (min ? less(va, vb) : less(vb, va)) return true;
  if (min ? less(vb, va) : less(va, vb)) return false;
  return a < b;
}

constexpr int kTile = 256;

// Grid: x over blocks of kTile elements of a row, y over rows (outer * inner).
template <typename T>
__global__ void topk_kernel(bool min, int64_t n, int64_t inner, int64_t k, const T *__restrict__ x,
                            T *__restrict__ values, int64_t *__restrict__ indices) {
  typedef typename Num<T>::W W;
  __shared__ W tile[kTile];
  int64_t row = blockIdx.y, o = row / inner, c = row % inner;
  const T *xr = x + o * n * inner + c;
  int64_t i = (int64_t)blockIdx.x * kTile + threadIdx.x;
  W vi = i < n ? Num<T>::ld(xr[i * inner]) : W(0);
  int64_t rank = 0;
  for (int64_t t0 = 0; t0 < n; t0 += kTile) {
    int64_t j = t0 + threadIdx.x;
    __syncthreads();
    if (j < n) tile[threadIdx.x] = Num<T>::ld(xr[j * inner]);
    __syncthreads();
    int64_t m = n - t0 < kTile ? n - t0 : kTile;
    if (i < n)
      for (int64_t u = 0; u < m; u++) rank += better<W>(min, tile[u], t0 + u, vi, i);
  }
  if (i < n && rank < k) {
    int64_t out = o * k * inner + rank * inner + c;
    values[out] = xr[i * inner];
    indices[out] = i;
  }
}

}  // namespace
}  // namespace ingot_ck

using namespace ingot_ck;

extern "C" cudaError_t ingot_ck_topk(int32_t dtype, int32_t min, int64_t outer, int64_t n, int64_t inner, int64_t k,
                                     const void *x, void *values, int64_t *indices, cudaStream_t stream) {
  int64_t rows = outer * inner;
  if (rows <= 0 || k <= 0 || n <= 0) return cudaSuccess;
  if (k > n || rows > 65535 || n > (int64_t)kTile * 65535) return cudaErrorInvalidValue;
  dim3 grid((unsigned)((n + kTile - 1) / kTile), (unsigned)rows);
  INGOT_CK_NUMERIC_SWITCH(dtype, T,
                          topk_kernel<T><<<grid, kTile, 0, stream>>>(min != 0, n, inner, k, (const T *)x, (T *)values,
                                                                     indices));
  return cudaGetLastError();
}
