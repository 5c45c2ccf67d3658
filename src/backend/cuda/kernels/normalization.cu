// Layer normalization over contiguous rows (a warp per row, a block when long) with the
// statistics in one pass (Welford per thread, Chan's merge across threads), and
// inference batch normalization as one fused multiply-add per element.
#include "ck_common.cuh"

namespace ingot_ck {
namespace {

struct Welford {
  float n, mean, m2;
  __device__ void add(float x) {
    n += 1.0f;
    float d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  __device__ void merge(float n2, float mean2, float m22) {
    if (n2 == 0.0f) return;
    float nn = n + n2, d = mean2 - mean;
    mean += d * (n2 / nn);
    m2 += m22 + d * d * (n * n2 / nn);
    n = nn;
  }
};

__device__ __forceinline__ void warp_merge(Welford &w) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    float n2 = __shfl_xor_sync(0xffffffffu, w.n, o), mean2 = __shfl_xor_sync(0xffffffffu, w.mean, o),
          m22 = __shfl_xor_sync(0xffffffffu, w.m2, o);
    w.merge(n2, mean2, m22);
  }
}

template <typename T, bool kBlock>
__global__ void layernorm_rows(int64_t rows, int64_t len, float eps, const T *__restrict__ x, int32_t sdt,
                               const void *scale, int32_t bdt, const void *bias, T *__restrict__ y) {
  __shared__ float sh[3][32];
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const RowSpan span = row_span<kBlock>();
  const int64_t row = span.row, first = span.first, step = span.step;
  if (row >= rows) return;
  const T *xr = x + row * len;
  T *yr = y + row * len;
  Welford w = {0.0f, 0.0f, 0.0f};
  for (int64_t i = first; i < len; i += step) w.add(Num<T>::ld(xr[i]));
  warp_merge(w);
  if (kBlock) {
    if (lane == 0) {
      sh[0][warp] = w.n;
      sh[1][warp] = w.mean;
      sh[2][warp] = w.m2;
    }
    __syncthreads();
    w = {sh[0][0], sh[1][0], sh[2][0]};
    for (int k = 1; k < (int)(blockDim.x >> 5); k++) w.merge(sh[0][k], sh[1][k], sh[2][k]);
  }
  float rstd = rsqrtf(w.m2 / (float)len + eps);
  for (int64_t i = first; i < len; i += step) {
    float v = (Num<T>::ld(xr[i]) - w.mean) * rstd * ld_float(scale, sdt, i);
    if (bias) v += ld_float(bias, bdt, i);
    yr[i] = Num<T>::st(v);
  }
}

// Rows of up to 1024 values held in registers (K a lane, a warp per row): exact two-pass
// statistics with one read of the row.
template <typename T, int K>
__global__ void layernorm_rows_cached(int64_t rows, int64_t len, float eps, const T *__restrict__ x, int32_t sdt,
                                      const void *scale, int32_t bdt, const void *bias, T *__restrict__ y) {
  const RowSpan span = row_span<false>();
  if (span.row >= rows) return;
  const T *xr = x + span.row * len;
  T *yr = y + span.row * len;
  float v[K], sum = 0.0f;
#pragma unroll
  for (int k = 0; k < K; k++) {
    int64_t i = span.first + 32 * k;
    v[k] = i < len ? Num<T>::ld(xr[i]) : 0.0f;
    sum += v[k];
  }
  const float mean = warp_sum(sum) / (float)len;
  float sq = 0.0f;
#pragma unroll
  for (int k = 0; k < K; k++) {
    int64_t i = span.first + 32 * k;
    float d = i < len ? v[k] - mean : 0.0f;
    sq += d * d;
  }
  const float rstd = rsqrtf(warp_sum(sq) / (float)len + eps);
#pragma unroll
  for (int k = 0; k < K; k++) {
    int64_t i = span.first + 32 * k;
    if (i < len) {
      float r = (v[k] - mean) * rstd * ld_float(scale, sdt, i);
      if (bias) r += ld_float(bias, bdt, i);
      yr[i] = Num<T>::st(r);
    }
  }
}

template <typename T>
__global__ void batchnorm_kernel(int64_t total, int64_t c, int64_t inner, float eps, const T *__restrict__ x,
                                 int32_t pdt, const void *scale, const void *bias, const void *mean, const void *var,
                                 T *__restrict__ y) {
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
    int64_t ch = (i / inner) % c;
    float a = ld_float(scale, pdt, ch) * rsqrtf(ld_float(var, pdt, ch) + eps);
    float b = ld_float(bias, pdt, ch) - ld_float(mean, pdt, ch) * a;
    y[i] = Num<T>::st(fmaf(Num<T>::ld(x[i]), a, b));
  }
}

}  // namespace
}  // namespace ingot_ck

using namespace ingot_ck;

extern "C" cudaError_t ingot_ck_layernorm(int32_t dtype, int64_t rows, int64_t len, float epsilon, const void *x,
                                          int32_t scale_dtype, const void *scale, int32_t bias_dtype,
                                          const void *bias, void *y, cudaStream_t stream) {
  if (rows <= 0 || len <= 0) return cudaSuccess;
  if (len <= 1024) {
    const int64_t warps = kThreads / 32;
    const unsigned blocks = (unsigned)((rows + warps - 1) / warps);
    INGOT_CK_FLOAT_SWITCH(dtype, T,
                          INGOT_CK_PER_LANE(len, K,
                                            layernorm_rows_cached<T, K><<<blocks, kThreads, 0, stream>>>(
                                                rows, len, epsilon, (const T *)x, scale_dtype, scale, bias_dtype,
                                                bias, (T *)y)));
    return cudaGetLastError();
  }
  INGOT_CK_FLOAT_SWITCH(dtype, T,
                        return launch_rows(layernorm_rows<T, true>, layernorm_rows<T, false>, len > 2048, rows, stream,
                                           rows, len, epsilon, (const T *)x, scale_dtype, scale, bias_dtype, bias,
                                           (T *)y));
  return cudaGetLastError();
}

extern "C" cudaError_t ingot_ck_batchnorm(int32_t dtype, int64_t n, int64_t c, int64_t inner, float epsilon,
                                          const void *x, int32_t param_dtype, const void *scale, const void *bias,
                                          const void *mean, const void *var, void *y, cudaStream_t stream) {
  int64_t total = n * c * inner;
  if (total <= 0) return cudaSuccess;
  INGOT_CK_FLOAT_SWITCH(dtype, T,
                        batchnorm_kernel<T><<<grid_for(total), kThreads, 0, stream>>>(
                            total, c, inner, epsilon, (const T *)x, param_dtype, scale, bias, mean, var, (T *)y));
  return cudaGetLastError();
}
