// Max and average pooling over 1 to 3 spatial dims, channels first ([N, C, spatial...])
// or last ([N, spatial..., C], the layout pass's NHWC): a thread per output, consecutive
// threads on consecutive outputs so window loads coalesce (along a row of a plane, or
// along the channels of one cell). Padding
// modes, ceil mode and dilation arrive resolved as pre/post pads (the tactic computes
// them as the CPU reference does). Global pooling runs as a reduction instead.
#include "ck_common.cuh"

namespace ingot_ck {
namespace {

template <typename I> __device__ __forceinline__ I fdiv(I a, I b) {
  I q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
template <typename I> __device__ __forceinline__ I cdiv(I a, I b) { return -fdiv<I>(-a, b); }

// I: the index type, int32_t whenever the tensors are small enough (cheaper divisions).
template <typename T, typename I>
__global__ void pool_kernel(ingot_ck_pool p, const T *__restrict__ x, T *__restrict__ y) {
  // The descriptor's fields in the index type, so every division below is I's.
  I in_[3], out_[3], win_[3], stride_[3], dil_[3], pre_[3], post_[3];
#pragma unroll
  for (int i = 0; i < 3; i++) {
    in_[i] = (I)p.in[i];
    out_[i] = (I)p.out[i];
    win_[i] = (I)p.win[i];
    stride_[i] = (I)p.stride[i];
    dil_[i] = (I)p.dil[i];
    pre_[i] = (I)p.pre[i];
    post_[i] = (I)p.post[i];
  }
  I out_plane = 1, in_plane = 1;
#pragma unroll
  for (int i = 0; i < 3; i++) { /* dims past nsp are 1 (see the launcher): no-ops here */
    out_plane *= out_[i];
    in_plane *= in_[i];
  }
  I total = (I)p.planes * out_plane, stride = (I)(gridDim.x * blockDim.x);
  bool is_max = p.type == 0;
  const bool last = p.channels_last != 0;
  const I C = (I)p.channels, cell = last ? C : 1; /* elements between neighbouring cells */
  for (I o = (I)(blockIdx.x * blockDim.x + threadIdx.x); o < total; o += stride) {
    I plane, rem;
    if (last) { /* o = (n * out_plane + rem) * C + c */
      I c = o % C, nr = o / C;
      rem = nr % out_plane;
      plane = (nr / out_plane) * C + c;
    } else {
      plane = o / out_plane;
      rem = o % out_plane;
    }
    I oc[3] = {0, 0, 0}, lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0}, base[3] = {0, 0, 0};
#pragma unroll
    for (int i = 2; i >= 0; i--) {
      oc[i] = rem % out_[i];
      rem /= out_[i];
    }
    I real = 1, padded = 1;
#pragma unroll
    for (int i = 0; i < 3; i++) {
      base[i] = oc[i] * stride_[i] - pre_[i];
      const bool unit = dil_[i] == 1; /* the common case: no divisions */
      lo[i] = unit ? -base[i] : cdiv<I>(-base[i], dil_[i]);
      if (lo[i] < 0) lo[i] = 0;
      hi[i] = unit ? in_[i] - 1 - base[i] : fdiv<I>(in_[i] - 1 - base[i], dil_[i]);
      if (hi[i] > win_[i] - 1) hi[i] = win_[i] - 1;
      real *= lo[i] <= hi[i] ? hi[i] - lo[i] + 1 : 0;
      I hi_pad = unit ? in_[i] + post_[i] - 1 - base[i] : fdiv<I>(in_[i] + post_[i] - 1 - base[i], dil_[i]);
      if (hi_pad > win_[i] - 1) hi_pad = win_[i] - 1;
      padded *= hi_pad >= 0 ? hi_pad + 1 : 0;
    }
    float acc = is_max ? -INFINITY : 0.0f;
    if (real > 0) {
      const T *xp = last ? x + (plane / C) * in_plane * C + plane % C : x + plane * in_plane;
      // Dims past nsp have lo = hi = 0 and base = 0, so the three loops cover 1-3 dims.
      I s1 = in_[2], s0 = in_[1] * s1, d0 = dil_[0], d1 = dil_[1], d2 = dil_[2];
      for (I a = lo[0]; a <= hi[0]; a++)
        for (I b = lo[1]; b <= hi[1]; b++)
          for (I c = lo[2]; c <= hi[2]; c++) {
            I off = ((base[0] + a * d0) * s0 + (base[1] + b * d1) * s1 + base[2] + c * d2) * cell;
            float v = Num<T>::ld(xp[off]);
            if (!is_max)
              acc += v;
            else if (v > acc || isnan(v))
              acc = isnan(acc) ? acc : v;
          }
      if (!is_max) acc /= (float)(p.exclude_padding ? real : padded);
    }
    y[o] = Num<T>::st(acc);
  }
}

}  // namespace
}  // namespace ingot_ck

extern "C" cudaError_t ingot_ck_pooling(int32_t dtype, const ingot_ck_pool *p, const void *x, void *y,
                                        cudaStream_t stream) {
  if (p->nsp < 1 || p->nsp > 3) return cudaErrorInvalidValue;
  ingot_ck_pool q = *p;
  for (int i = q.nsp; i < 3; i++) { /* unused dims: one tap */
    q.in[i] = q.out[i] = q.win[i] = q.stride[i] = q.dil[i] = 1;
    q.pre[i] = q.post[i] = 0;
  }
  int64_t total = q.planes;
  for (int i = 0; i < q.nsp; i++) total *= q.out[i];
  if (total <= 0) return cudaSuccess;
  int64_t in_total = q.planes;
  for (int i = 0; i < q.nsp; i++) in_total *= q.in[i];
  bool small = total < INT32_MAX / 2 && in_total < INT32_MAX / 2;
  for (int i = 0; i < 3; i++) /* window arithmetic stays far inside int32 too */
    small = small && q.win[i] * q.dil[i] < (1 << 20) && q.stride[i] < (1 << 20) && q.pre[i] < (1 << 20) &&
            q.post[i] < (1 << 20) && q.out[i] * q.stride[i] < (1 << 28);
  unsigned g = ingot_ck::grid_for(total);
  if (small) {
    INGOT_CK_FLOAT_SWITCH(dtype, T, ingot_ck::pool_kernel<T, int32_t><<<g, ingot_ck::kThreads, 0, stream>>>(
                                        q, (const T *)x, (T *)y));
  } else {
    INGOT_CK_FLOAT_SWITCH(dtype, T, ingot_ck::pool_kernel<T, int64_t><<<g, ingot_ck::kThreads, 0, stream>>>(
                                        q, (const T *)x, (T *)y));
  }
  return cudaGetLastError();
}
