// The lighter layers: scale, cumulative sum, quantize / dequantize, fill, shape values and
// gather-elements. Each is one pass, a thread per output element (cumulative sum: a
// thread per column, walking the axis in order so float sums match the reference's order).
#include "ck_common.cuh"

namespace ingot_ck {
namespace {

template <typename T>
__global__ void scale_kernel(int64_t n, int64_t inner, int64_t channels, const T *__restrict__ x, int32_t shd,
                             const void *shift, int32_t scd, const void *scale, int32_t pwd, const void *power,
                             T *__restrict__ y) {
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t k = (i / inner) % channels;
    float v = Num<T>::ld(x[i]);
    if (scale) v *= ld_float(scale, scd, k);
    if (shift) v += ld_float(shift, shd, k);
    if (power) v = powf(v, ld_float(power, pwd, k));
    y[i] = Num<T>::st(v);
  }
}

__device__ __forceinline__ float add_wrap(float a, float b) { return a + b; }
__device__ __forceinline__ long long add_wrap(long long a, long long b) { /* integers wrap, as the reference */
  return (long long)((unsigned long long)a + (unsigned long long)b);
}

template <typename T>
__global__ void cumsum_kernel(int exclusive, int reverse, int64_t outer, int64_t len, int64_t inner,
                              const T *__restrict__ x, T *__restrict__ y) {
  typedef typename Num<T>::W W;
  int64_t cols = outer * inner, stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < cols; c += stride) {
    int64_t base = (c / inner) * len * inner + c % inner;
    W acc = 0;
    for (int64_t s = 0; s < len; s++) {
      int64_t row = reverse ? len - 1 - s : s, off = base + row * inner;
      W v = Num<T>::ld(x[off]);
      if (exclusive) y[off] = Num<T>::st(acc);
      acc = add_wrap(acc, v);
      if (!exclusive) y[off] = Num<T>::st(acc);
    }
  }
}

template <typename Q>
__global__ void quantize_kernel(int64_t n, int64_t inner, int64_t channels, const float *__restrict__ x,
                                const float *__restrict__ scale, const Q *__restrict__ zp, Q *__restrict__ y, float lo,
                                float hi) {
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t c = channels > 1 ? (i / inner) % channels : 0;
    float z = zp ? (float)zp[c] : 0.0f;
    float v = rintf(x[i] / scale[c]) + z; /* half to even, as nearbyintf */
    if (isnan(v)) v = z;
    v = fminf(fmaxf(v, lo), hi);
    y[i] = (Q)v;
  }
}

template <typename Q>
__global__ void dequantize_kernel(int64_t n, int64_t inner, int64_t channels, const Q *__restrict__ x,
                                  const float *__restrict__ scale, const Q *__restrict__ zp, float *__restrict__ y) {
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t c = channels > 1 ? (i / inner) % channels : 0;
    long long q = (long long)x[i] - (zp ? (long long)zp[c] : 0);
    y[i] = (float)q * scale[c];
  }
}

template <typename E> __global__ void fill_kernel(int64_t n, E value, E *__restrict__ y) {
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) y[i] = value;
}

__global__ void values_kernel(ingot_ck_values v, int64_t *y) {
  if (threadIdx.x < (unsigned)v.count) y[threadIdx.x] = v.v[threadIdx.x];
}

template <typename E, typename I>
__global__ void gather_elements_kernel(ingot_ck_box box, int64_t axis_dim, int64_t axis_stride,
                                       const E *__restrict__ data, const I *__restrict__ idx, E *__restrict__ y) {
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < box.volume; i += stride) {
    int64_t off;
    box_offsets<1, int64_t>(box, i, &off);
    int64_t j = (int64_t)idx[i];
    if (j < 0) j += axis_dim;
    y[i] = (j >= 0 && j < axis_dim) ? data[off + j * axis_stride] : E(0);
  }
}

template <typename E>
cudaError_t gather_elements_as(const ingot_ck_box &box, int64_t axis_dim, int64_t axis_stride, int32_t idx_int32,
                               const void *data, const void *idx, void *y, cudaStream_t s) {
  if (idx_int32)
    gather_elements_kernel<E, int32_t><<<grid_for(box.volume), kThreads, 0, s>>>(
        box, axis_dim, axis_stride, (const E *)data, (const int32_t *)idx, (E *)y);
  else
    gather_elements_kernel<E, long long><<<grid_for(box.volume), kThreads, 0, s>>>(
        box, axis_dim, axis_stride, (const E *)data, (const long long *)idx, (E *)y);
  return cudaGetLastError();
}

}  // namespace
}  // namespace ingot_ck

using namespace ingot_ck;

extern "C" cudaError_t ingot_ck_scale(int32_t dtype, int64_t n, int64_t inner, int64_t channels, const void *x,
                                      int32_t shift_dtype, const void *shift, int32_t scale_dtype, const void *scale,
                                      int32_t power_dtype, const void *power, void *y, cudaStream_t stream) {
  if (n <= 0 || inner <= 0 || channels <= 0) return cudaSuccess;
  INGOT_CK_FLOAT_SWITCH(dtype, T,
                        scale_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(n, inner, channels, (const T *)x,
                                                                              shift_dtype, shift, scale_dtype, scale,
                                                                              power_dtype, power, (T *)y));
  return cudaGetLastError();
}

extern "C" cudaError_t ingot_ck_cumsum(int32_t dtype, int32_t exclusive, int32_t reverse, int64_t outer, int64_t len,
                                       int64_t inner, const void *x, void *y, cudaStream_t stream) {
  int64_t cols = outer * inner;
  if (cols <= 0 || len <= 0) return cudaSuccess;
  unsigned g = grid_for(cols);
  switch (dtype) {
    case INGOT_CK_I32:
      cumsum_kernel<int32_t><<<g, kThreads, 0, stream>>>(exclusive, reverse, outer, len, inner, (const int32_t *)x,
                                                         (int32_t *)y);
      return cudaGetLastError();
    case INGOT_CK_I64:
      cumsum_kernel<long long><<<g, kThreads, 0, stream>>>(exclusive, reverse, outer, len, inner,
                                                           (const long long *)x, (long long *)y);
      return cudaGetLastError();
    default: break;
  }
  INGOT_CK_FLOAT_SWITCH(dtype, T,
                        cumsum_kernel<T><<<g, kThreads, 0, stream>>>(exclusive, reverse, outer, len, inner,
                                                                     (const T *)x, (T *)y));
  return cudaGetLastError();
}

extern "C" cudaError_t ingot_ck_quantize(int32_t y_dtype, int64_t n, int64_t inner, int64_t channels, const float *x,
                                         const float *scale, const void *zero_point, void *y, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  if (y_dtype == INGOT_CK_I8)
    quantize_kernel<int8_t><<<grid_for(n), kThreads, 0, stream>>>(n, inner, channels, x, scale,
                                                                   (const int8_t *)zero_point, (int8_t *)y, -128.0f,
                                                                   127.0f);
  else if (y_dtype == INGOT_CK_U8)
    quantize_kernel<uint8_t><<<grid_for(n), kThreads, 0, stream>>>(n, inner, channels, x, scale,
                                                                    (const uint8_t *)zero_point, (uint8_t *)y, 0.0f,
                                                                    255.0f);
  else
    return cudaErrorInvalidValue;
  return cudaGetLastError();
}

extern "C" cudaError_t ingot_ck_dequantize(int32_t x_dtype, int64_t n, int64_t inner, int64_t channels, const void *x,
                                           const float *scale, const void *zero_point, float *y, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  unsigned g = grid_for(n);
  switch (x_dtype) {
    case INGOT_CK_I8:
      dequantize_kernel<int8_t><<<g, kThreads, 0, stream>>>(n, inner, channels, (const int8_t *)x, scale,
                                                            (const int8_t *)zero_point, y);
      break;
    case INGOT_CK_U8:
      dequantize_kernel<uint8_t><<<g, kThreads, 0, stream>>>(n, inner, channels, (const uint8_t *)x, scale,
                                                             (const uint8_t *)zero_point, y);
      break;
    case INGOT_CK_I32:
      dequantize_kernel<int32_t><<<g, kThreads, 0, stream>>>(n, inner, channels, (const int32_t *)x, scale,
                                                             (const int32_t *)zero_point, y);
      break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

extern "C" cudaError_t ingot_ck_fill(int32_t elem_size, int64_t n, uint64_t value_bits, void *y,
                                     cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  unsigned g = grid_for(n);
  switch (elem_size) {
    case 1: fill_kernel<uint8_t><<<g, kThreads, 0, stream>>>(n, (uint8_t)value_bits, (uint8_t *)y); break;
    case 2: fill_kernel<uint16_t><<<g, kThreads, 0, stream>>>(n, (uint16_t)value_bits, (uint16_t *)y); break;
    case 4: fill_kernel<uint32_t><<<g, kThreads, 0, stream>>>(n, (uint32_t)value_bits, (uint32_t *)y); break;
    case 8:
      fill_kernel<unsigned long long><<<g, kThreads, 0, stream>>>(n, (unsigned long long)value_bits,
                                                                  (unsigned long long *)y);
      break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

extern "C" cudaError_t ingot_ck_write_values(const ingot_ck_values *values, int64_t *y, cudaStream_t stream) {
  if (values->count <= 0) return cudaSuccess;
  if (values->count > INGOT_CK_MAX_DIMS) return cudaErrorInvalidValue;
  values_kernel<<<1, 32, 0, stream>>>(*values, y);
  return cudaGetLastError();
}

extern "C" cudaError_t ingot_ck_gather_elements(int32_t elem_size, const ingot_ck_box *box, int64_t axis_dim,
                                                int64_t axis_stride, int32_t idx_int32, const void *data,
                                                const void *idx, void *y, cudaStream_t stream) {
  if (box->volume <= 0) return cudaSuccess;
  switch (elem_size) {
    case 1: return gather_elements_as<uint8_t>(*box, axis_dim, axis_stride, idx_int32, data, idx, y, stream);
    case 2: return gather_elements_as<uint16_t>(*box, axis_dim, axis_stride, idx_int32, data, idx, y, stream);
    case 4: return gather_elements_as<uint32_t>(*box, axis_dim, axis_stride, idx_int32, data, idx, y, stream);
    case 8:
      return gather_elements_as<unsigned long long>(*box, axis_dim, axis_stride, idx_int32, data, idx, y, stream);
    default: return cudaErrorInvalidValue;
  }
}
