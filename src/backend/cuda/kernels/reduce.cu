// Reductions (sum, mean, max, min, prod) of [outer, len, inner] along len: a warp per
// output when len is the contiguous axis (a block when few long rows), a thread per
// output column otherwise; and a general strided form for axis sets that do not merge
// into one run. Floats accumulate in fp32, integers in int64 wrapping as the reference.
#include "ck_common.cuh"

namespace ingot_ck {
namespace {

enum { SUM, MEAN, MAX, MIN, PROD };

template <typename W> struct Red;
template <> struct Red<float> {
  int op;
  __device__ float init() const {
    return op == PROD ? 1.0f : op == MAX ? -INFINITY : op == MIN ? INFINITY : 0.0f;
  }
  __device__ float combine(float a, float b) const {
    switch (op) {
      case PROD: return a * b;
      case MAX: return (isnan(a) || isnan(b)) ? __int_as_float(0x7fc00000) : fmaxf(a, b);
      case MIN: return (isnan(a) || isnan(b)) ? __int_as_float(0x7fc00000) : fminf(a, b);
      default: return a + b;
    }
  }
  __device__ float finish(float a, int64_t count, bool narrow) const {
    (void)narrow;
    return op == MEAN ? a / (float)count : a;
  }
};
template <> struct Red<long long> {
  int op;
  bool narrow; /* int32: min/max start from the int32 extremes */
  __device__ long long init() const {
    if (op == PROD) return 1;
    if (op == MAX) return narrow ? INT32_MIN : (long long)INT64_MIN;
    if (op == MIN) return narrow ? INT32_MAX : (long long)INT64_MAX;
    return 0;
  }
  __device__ long long combine(long long a, long long b) const {
    switch (op) {
      case PROD: return (long long)((unsigned long long)a * (unsigned long long)b);
      case MAX: return a > b ? a : b;
      case MIN: return a < b ? a : b;
      default: return (long long)((unsigned long long)a + (unsigned long long)b);
    }
  }
  __device__ long long finish(long long a, int64_t count, bool is32) const {
    if (op == MAX || op == MIN) return a;
    if (is32) a = (long long)(int32_t)(uint32_t)(unsigned long long)a; /* the int32 sum wraps at 32 bits */
    return op == MEAN ? a / count : a;
  }
};

template <typename W> __device__ __forceinline__ W shfl(W v, int o) { return __shfl_xor_sync(0xffffffffu, v, o); }

template <typename T, bool kBlock>
__global__ void reduce_rows(Red<typename Num<T>::W> r, int64_t rows, int64_t len, const T *__restrict__ x,
                            T *__restrict__ y) {
  typedef typename Num<T>::W W;
  __shared__ W sh[32];
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const RowSpan span = row_span<kBlock>();
  const int64_t row = span.row, first = span.first, step = span.step;
  if (row >= rows) return;
  const T *xr = x + row * len;
  W acc = r.init();
  for (int64_t i = first; i < len; i += step) acc = r.combine(acc, Num<T>::ld(xr[i]));
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) acc = r.combine(acc, shfl(acc, o));
  if (kBlock) {
    if (lane == 0) sh[warp] = acc;
    __syncthreads();
    if (threadIdx.x != 0) return;
    acc = sh[0];
    for (int w = 1; w < (int)(blockDim.x >> 5); w++) acc = r.combine(acc, sh[w]);
  } else if (lane != 0) {
    return;
  }
  y[row] = Num<T>::st(r.finish(acc, len, sizeof(T) == 4));
}

template <typename T>
__global__ void reduce_cols(Red<typename Num<T>::W> r, int64_t outer, int64_t len, int64_t inner,
                            const T *__restrict__ x, T *__restrict__ y) {
  typedef typename Num<T>::W W;
  int64_t cols = outer * inner, stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < cols; c += stride) {
    const T *xc = x + (c / inner) * len * inner + c % inner;
    W acc = r.init();
    for (int64_t i = 0; i < len; i++) acc = r.combine(acc, Num<T>::ld(xc[i * inner]));
    y[c] = Num<T>::st(r.finish(acc, len, sizeof(T) == 4));
  }
}

struct RedDims {
  int32_t rank;
  int64_t dims[INGOT_CK_MAX_DIMS], strides[INGOT_CK_MAX_DIMS];
};

template <typename T>
__global__ void reduce_strided_kernel(Red<typename Num<T>::W> r, ingot_ck_box kept, RedDims red, int64_t count,
                                      const T *__restrict__ x, T *__restrict__ y) {
  typedef typename Num<T>::W W;
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t o = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; o < kept.volume; o += stride) {
    int64_t base;
    box_offsets<1, int64_t>(kept, o, &base);
    W acc = r.init();
    for (int64_t e = 0; e < count; e++) {
      int64_t off = 0, rem = e;
      for (int d = red.rank - 1; d >= 0; d--) {
        off += (rem % red.dims[d]) * red.strides[d];
        rem /= red.dims[d];
      }
      acc = r.combine(acc, Num<T>::ld(x[base + off]));
    }
    y[o] = Num<T>::st(r.finish(acc, count, sizeof(T) == 4));
  }
}

template <typename T> Red<typename Num<T>::W> make_red(int op);
template <> Red<float> make_red<float>(int op) { return Red<float>{op}; }
template <> Red<float> make_red<__half>(int op) { return Red<float>{op}; }
template <> Red<float> make_red<__nv_bfloat16>(int op) { return Red<float>{op}; }
template <> Red<long long> make_red<int32_t>(int op) { return Red<long long>{op, true}; }
template <> Red<long long> make_red<long long>(int op) { return Red<long long>{op, false}; }

template <typename T>
cudaError_t launch(int op, int64_t outer, int64_t len, int64_t inner, const void *x, void *y, cudaStream_t s) {
  auto r = make_red<T>(op);
  if (inner == 1)
    return launch_rows(reduce_rows<T, true>, reduce_rows<T, false>, len >= 4096 && outer <= 0x7fffffff, outer, s, r,
                       outer, len, (const T *)x, (T *)y);
  reduce_cols<T><<<grid_for(outer * inner), kThreads, 0, s>>>(r, outer, len, inner, (const T *)x, (T *)y);
  return cudaGetLastError();
}

}  // namespace
}  // namespace ingot_ck

using namespace ingot_ck;

extern "C" cudaError_t ingot_ck_reduce(int32_t op, int32_t dtype, int64_t outer, int64_t len, int64_t inner,
                                       const void *x, void *y, cudaStream_t stream) {
  if (outer <= 0 || inner <= 0 || len <= 0) return cudaSuccess;
  INGOT_CK_NUMERIC_SWITCH(dtype, T, return launch<T>(op, outer, len, inner, x, y, stream));
  return cudaErrorInvalidValue;
}

extern "C" cudaError_t ingot_ck_reduce_strided(int32_t op, int32_t dtype, const ingot_ck_box *kept, int32_t red_rank,
                                               const int64_t *red_dims, const int64_t *red_strides, int64_t count,
                                               const void *x, void *y, cudaStream_t stream) {
  if (kept->volume <= 0 || count <= 0 || red_rank < 1 || red_rank > INGOT_CK_MAX_DIMS) return cudaSuccess;
  RedDims red;
  red.rank = red_rank;
  for (int d = 0; d < red_rank; d++) {
    red.dims[d] = red_dims[d];
    red.strides[d] = red_strides[d];
  }
  INGOT_CK_NUMERIC_SWITCH(dtype, T,
                         reduce_strided_kernel<T><<<grid_for(kept->volume), kThreads, 0, stream>>>(
                             make_red<T>(op), *kept, red, count, (const T *)x, (T *)y));
  return cudaGetLastError();
}
