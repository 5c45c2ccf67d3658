// Softmax and log-softmax along any axis of [outer, len, inner], fp32 accumulation.
// One pass computes the running maximum and the sum of exponentials together (the online
// softmax), a second writes; rows along the last axis go to a warp each (a block when
// long), other axes to a thread per (outer, inner) column, so loads stay coalesced.
#include "ck_common.cuh"

namespace ingot_ck {
namespace {

// Running (max, sum of exp(x - max)); -inf values add nothing, as exp(-inf) = 0.
struct MaxSum {
  float m, s;
  __device__ void add(float x) {
    if (x == -INFINITY) return;
    if (x > m) {
      s = (m == -INFINITY ? 0.0f : s * expf(m - x)) + 1.0f;
      m = x;
    } else {
      s += expf(x - m);
    }
  }
  __device__ void merge(float m2, float s2) {
    if (m2 == -INFINITY) return;
    if (m == -INFINITY) {
      m = m2;
      s = s2;
      return;
    }
    float mm = fmaxf(m, m2);
    s = s * expf(m - mm) + s2 * expf(m2 - mm);
    m = mm;
  }
};

__device__ __forceinline__ void warp_merge(MaxSum &a) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    float m2 = __shfl_xor_sync(0xffffffffu, a.m, o), s2 = __shfl_xor_sync(0xffffffffu, a.s, o);
    a.merge(m2, s2);
  }
}

// A NaN anywhere in a vector makes all of it NaN, as in the reference (tracked apart from
// the running max, which comparisons would let NaN slip past).
template <typename T>
__device__ __forceinline__ T finish(float x, float m, float s, float log_s, int log, bool nan) {
  float v = nan ? __int_as_float(0x7fc00000) : (log ? x - m - log_s : expf(x - m) / s);
  return Num<T>::st(v);
}

// Rows of `len` contiguous values: a warp per row (kThreads / 32 rows a block), or a whole
// block per row when kBlock.
template <typename T, bool kBlock>
__global__ void softmax_rows(int64_t rows, int64_t len, int log, const T *__restrict__ x, T *__restrict__ y) {
  __shared__ float sh_m[32], sh_s[32];
  __shared__ int sh_nan[32];
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const RowSpan span = row_span<kBlock>();
  const int64_t row = span.row, first = span.first, step = span.step;
  if (row >= rows) return;
  const T *xr = x + row * len;
  T *yr = y + row * len;
  MaxSum a = {-INFINITY, 0.0f};
  bool nan = false;
  for (int64_t i = first; i < len; i += step) {
    float v = Num<T>::ld(xr[i]);
    nan |= isnan(v);
    a.add(v);
  }
  warp_merge(a);
  nan = __any_sync(0xffffffffu, nan);
  if (kBlock) {
    if (lane == 0) {
      sh_m[warp] = a.m;
      sh_s[warp] = a.s;
      sh_nan[warp] = nan;
    }
    __syncthreads();
    a.m = -INFINITY;
    a.s = 0.0f;
    nan = false;
    for (int w = 0; w < (int)(blockDim.x >> 5); w++) {
      a.merge(sh_m[w], sh_s[w]);
      nan |= sh_nan[w] != 0;
    }
  }
  float m = a.m == -INFINITY ? 0.0f : a.m; /* all -inf: as the reference, 0/0 */
  float log_s = logf(a.s);
  for (int64_t i = first; i < len; i += step) yr[i] = finish<T>(Num<T>::ld(xr[i]), m, a.s, log_s, log, nan);
}

// Rows of up to 1024 values held in registers, K a lane: one read, one write, no second
// pass over memory. A warp per row.
template <typename T, int K>
__global__ void softmax_rows_cached(int64_t rows, int64_t len, int log, const T *__restrict__ x, T *__restrict__ y) {
  const RowSpan span = row_span<false>();
  if (span.row >= rows) return;
  const T *xr = x + span.row * len;
  T *yr = y + span.row * len;
  float v[K];
  float m = -INFINITY;
  bool nan = false;
#pragma unroll
  for (int k = 0; k < K; k++) {
    int64_t i = span.first + 32 * k;
    v[k] = i < len ? Num<T>::ld(xr[i]) : -INFINITY;
    nan |= isnan(v[k]);
    m = fmaxf(m, v[k]);
  }
  m = warp_max(m);
  nan = __any_sync(0xffffffffu, nan);
  if (m == -INFINITY) m = 0.0f; /* all -inf: as the reference, 0/0 */
  float sum = 0.0f;
#pragma unroll
  for (int k = 0; k < K; k++) {
    v[k] -= m;
    sum += expf(v[k]);
  }
  sum = warp_sum(sum);
  float log_s = logf(sum), inv = 1.0f / sum;
#pragma unroll
  for (int k = 0; k < K; k++) {
    int64_t i = span.first + 32 * k;
    if (i < len) {
      float r = nan ? __int_as_float(0x7fc00000) : (log ? v[k] - log_s : expf(v[k]) * inv);
      yr[i] = Num<T>::st(r);
    }
  }
}

// Columns: thread per (outer, inner) pair; consecutive threads read consecutive inner.
template <typename T>
__global__ void softmax_cols(int64_t outer, int64_t len, int64_t inner, int log, const T *__restrict__ x,
                             T *__restrict__ y) {
  int64_t cols = outer * inner, stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < cols; c += stride) {
    int64_t base = (c / inner) * len * inner + c % inner;
    MaxSum a = {-INFINITY, 0.0f};
    bool nan = false;
    for (int64_t i = 0; i < len; i++) {
      float v = Num<T>::ld(x[base + i * inner]);
      nan |= isnan(v);
      a.add(v);
    }
    float m = a.m == -INFINITY ? 0.0f : a.m, log_s = logf(a.s);
    for (int64_t i = 0; i < len; i++)
      y[base + i * inner] = finish<T>(Num<T>::ld(x[base + i * inner]), m, a.s, log_s, log, nan);
  }
}

template <typename T>
cudaError_t launch(int32_t log, int64_t outer, int64_t len, int64_t inner, const void *x, void *y, cudaStream_t s) {
  if (inner == 1 && len <= 1024) {
    const int64_t warps = kThreads / 32;
    const unsigned blocks = (unsigned)((outer + warps - 1) / warps);
    INGOT_CK_PER_LANE(len, K,
                      softmax_rows_cached<T, K><<<blocks, kThreads, 0, s>>>(outer, len, log, (const T *)x, (T *)y));
    return cudaGetLastError();
  }
  if (inner == 1)
    return launch_rows(softmax_rows<T, true>, softmax_rows<T, false>, len > 1024, outer, s, outer, len, log,
                       (const T *)x, (T *)y);
  softmax_cols<T><<<grid_for(outer * inner), kThreads, 0, s>>>(outer, len, inner, log, (const T *)x, (T *)y);
  return cudaGetLastError();
}

}  // namespace
}  // namespace ingot_ck

extern "C" cudaError_t ingot_ck_softmax(int32_t dtype, int32_t log, int64_t outer, int64_t len, int64_t inner,
                                        const void *x, void *y, cudaStream_t stream) {
  if (outer <= 0 || len <= 0 || inner <= 0) return cudaSuccess;
  INGOT_CK_FLOAT_SWITCH(dtype, T, return ingot_ck::launch<T>(log, outer, len, inner, x, y, stream));
  return cudaErrorInvalidValue;
}
