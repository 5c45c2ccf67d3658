// Resize (ONNX semantics, as the CPU reference): nearest for any dtype, n-linear for
// floats, with half_pixel, asymmetric, align_corners and pytorch_half_pixel transforms and
// edge clamping. A thread per output element; coordinates are computed in double so the
// sampled cells match the reference exactly.
#include "ck_common.cuh"

namespace ingot_ck {
namespace {

__device__ __forceinline__ double original_coord(const ingot_ck_resize &p, int d, int64_t x) {
  double xr = (double)x, s = p.scale[d];
  switch (p.coord) {
    case 1: return xr / s; /* asymmetric */
    case 2: return p.length[d] == 1.0 ? 0.0 : xr * (double)(p.in_dims[d] - 1) / (p.length[d] - 1.0);
    case 3: return p.length[d] == 1.0 ? 0.0 : (xr + 0.5) / s - 0.5; /* pytorch half pixel */
    default: return (xr + 0.5) / s - 0.5;
  }
}

__device__ __forceinline__ int64_t clamp_index(int64_t i, int64_t n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

__device__ __forceinline__ int64_t nearest_index(const ingot_ck_resize &p, int d, int64_t x) {
  double xo = original_coord(p, d, x), f = floor(xo), r = xo - f;
  int64_t i = (int64_t)f;
  if (r > 0.0) {
    switch (p.round) {
      case 0: i += r > 0.5; break;
      case 1: i += r >= 0.5; break;
      case 2: break;
      default: i += 1; break;
    }
  }
  return clamp_index(i, p.in_dims[d]);
}

template <typename E>
__global__ void resize_nearest(ingot_ck_resize p, const E *__restrict__ x, E *__restrict__ y) {
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t o = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; o < p.volume; o += stride) {
    int64_t rem = o, off = 0, in_stride = 1;
    for (int d = p.rank - 1; d >= 0; d--) {
      int64_t c = rem % p.out_dims[d];
      rem /= p.out_dims[d];
      off += (p.identity[d] ? c : nearest_index(p, d, c)) * in_stride;
      in_stride *= p.in_dims[d];
    }
    y[o] = x[off];
  }
}

template <typename T>
__global__ void resize_linear(ingot_ck_resize p, const T *__restrict__ x, T *__restrict__ y) {
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t o = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; o < p.volume; o += stride) {
    int64_t rem = o, base = 0, in_stride = 1, step[INGOT_CK_MAX_DIMS];
    float w[INGOT_CK_MAX_DIMS];
    int m = 0;
    for (int d = p.rank - 1; d >= 0; d--) {
      int64_t c = rem % p.out_dims[d];
      rem /= p.out_dims[d];
      if (p.identity[d]) {
        base += c * in_stride;
      } else {
        double xo = original_coord(p, d, c), f = floor(xo);
        int64_t lo = clamp_index((int64_t)f, p.in_dims[d]), hi = clamp_index((int64_t)f + 1, p.in_dims[d]);
        base += lo * in_stride;
        double frac = xo - f;
        if (hi != lo && frac > 0.0 && m < INGOT_CK_MAX_DIMS) {
          step[m] = (hi - lo) * in_stride;
          w[m++] = (float)frac;
        }
      }
      in_stride *= p.in_dims[d];
    }
    float acc = 0.0f;
    for (int corner = 0; corner < (1 << m); corner++) {
      float weight = 1.0f;
      int64_t off = base;
      for (int k = 0; k < m; k++) {
        if (corner & (1 << k)) {
          weight *= w[k];
          off += step[k];
        } else {
          weight *= 1.0f - w[k];
        }
      }
      acc += weight * Num<T>::ld(x[off]);
    }
    y[o] = Num<T>::st(acc);
  }
}

}  // namespace
}  // namespace ingot_ck

using namespace ingot_ck;

extern "C" cudaError_t ingot_ck_resize_run(int32_t dtype, int32_t elem_size, const ingot_ck_resize *p, const void *x,
                                           void *y, cudaStream_t stream) {
  if (p->volume <= 0) return cudaSuccess;
  if (p->rank < 1 || p->rank > INGOT_CK_MAX_DIMS) return cudaErrorInvalidValue;
  unsigned g = grid_for(p->volume);
  if (p->mode == 1) {
    INGOT_CK_FLOAT_SWITCH(dtype, T, resize_linear<T><<<g, kThreads, 0, stream>>>(*p, (const T *)x, (T *)y));
    return cudaGetLastError();
  }
  switch (elem_size) {
    case 1: resize_nearest<uint8_t><<<g, kThreads, 0, stream>>>(*p, (const uint8_t *)x, (uint8_t *)y); break;
    case 2: resize_nearest<uint16_t><<<g, kThreads, 0, stream>>>(*p, (const uint16_t *)x, (uint16_t *)y); break;
    case 4: resize_nearest<uint32_t><<<g, kThreads, 0, stream>>>(*p, (const uint32_t *)x, (uint32_t *)y); break;
    case 8:
      resize_nearest<unsigned long long><<<g, kThreads, 0, stream>>>(*p, (const unsigned long long *)x,
                                                                     (unsigned long long *)y);
      break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}
