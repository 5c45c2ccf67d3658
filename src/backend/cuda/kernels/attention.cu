// Fused attention, flash-attention style: a block takes 64 queries of one head and walks
// the keys in tiles of 32. Scores S = Q K^T and the update O += P V run on tensor cores
// (wmma, 16x16x16, fp16/bf16 in, fp32 accumulate); the running row maximum and sum of the
// online softmax rescale O between tiles, so the [sq, sk] matrix never reaches memory.
// Shared memory: Q, K, V and P tiles in the input type, S and O in fp32.
#include <mma.h>

#include "ck_common.cuh"

namespace ingot_ck {
namespace {

using namespace nvcuda;

constexpr int kBQ = 64, kBK = 32, kWarps = 4;

// Rows padded by 16 bytes so that the tensor-core tile loads, which read 16 rows at a
// time, spread over the banks (wmma wants leading dimensions of whole 16-byte steps).
constexpr int kPadH = 8, kPadF = 4;

template <typename T, int D> struct AttnSmem {
  T q[kBQ][D + kPadH];
  T k[kBK][D + kPadH];
  T v[kBK][D + kPadH];
  T p[kBQ][kBK + kPadH];
  float s[kBQ][kBK + kPadF];
  float o[kBQ][D + kPadF];
  float m[kBQ], l[kBQ];
};

template <typename T> __device__ __forceinline__ T zero_of() { return Num<T>::st(0.0f); }

// Copies rows [row0, row0 + rows) of a [n, D] matrix into tile (zeros past n), 16 bytes a step.
template <typename T, int D>
__device__ __forceinline__ void load_tile(T (*tile)[D + kPadH], const T *src, int64_t row0, int rows, int64_t n) {
  constexpr int V = 16 / sizeof(T), PER_ROW = D / V;
  for (int e = threadIdx.x; e < rows * PER_ROW; e += blockDim.x) {
    int r = e / PER_ROW, c = (e % PER_ROW) * V;
    uint4 val = make_uint4(0, 0, 0, 0);
    if (row0 + r < n) val = *(const uint4 *)(src + (row0 + r) * D + c);
    *(uint4 *)&tile[r][c] = val;
  }
}

template <typename T, int D>
__global__ void __launch_bounds__(kWarps * 32) attention_kernel(int64_t sq, int64_t sk, float scale,
                                                                  const T *__restrict__ q, const T *__restrict__ k,
                                                                  const T *__restrict__ v, T *__restrict__ o) {
  extern __shared__ __align__(16) unsigned char smem_raw[];
  AttnSmem<T, D> &sm = *reinterpret_cast<AttnSmem<T, D> *>(smem_raw);
  const int64_t head = blockIdx.y, q0 = (int64_t)blockIdx.x * kBQ;
  const T *qh = q + head * sq * D, *kh = k + head * sk * D, *vh = v + head * sk * D;
  const int warp = threadIdx.x >> 5, tid = threadIdx.x;
  load_tile<T, D>(sm.q, qh, q0, kBQ, sq);
  for (int e = tid; e < kBQ * D; e += blockDim.x) sm.o[e / D][e % D] = 0.0f;
  for (int r = tid; r < kBQ; r += blockDim.x) {
    sm.m[r] = -INFINITY;
    sm.l[r] = 0.0f;
  }
  for (int64_t k0 = 0; k0 < sk; k0 += kBK) {
    __syncthreads(); /* the previous tile's P V is done with K, V, P */
    load_tile<T, D>(sm.k, kh, k0, kBK, sk);
    load_tile<T, D>(sm.v, vh, k0, kBK, sk);
    __syncthreads();
    // S = Q K^T: 4 x 2 tiles of 16 x 16, two a warp.
    for (int t = warp; t < (kBQ / 16) * (kBK / 16); t += kWarps) {
      int tr = t / (kBK / 16), tc = t % (kBK / 16);
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::fill_fragment(acc, 0.0f);
#pragma unroll
      for (int kk = 0; kk < D; kk += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> b; /* K^T: key n, dim k at k[n][k] */
        wmma::load_matrix_sync(a, &sm.q[tr * 16][kk], D + kPadH);
        wmma::load_matrix_sync(b, &sm.k[tc * 16][kk], D + kPadH);
        wmma::mma_sync(acc, a, b, acc);
      }
      wmma::store_matrix_sync(&sm.s[tr * 16][tc * 16], acc, kBK + kPadF, wmma::mem_row_major);
    }
    __syncthreads();
    // Online softmax: a warp per 16 rows, a lane per key (kBK = 32) and per column of O,
    // so shared memory is read along rows without bank conflicts.
    for (int r = warp * (kBQ / kWarps); r < (warp + 1) * (kBQ / kWarps); r++) {
      const int lane = tid & 31;
      const float x = k0 + lane < sk ? sm.s[r][lane] * scale : -INFINITY;
      const float m_old = sm.m[r], m_new = fmaxf(m_old, warp_max(x));
      const float corr = m_old == -INFINITY ? 0.0f : expf(m_old - m_new);
      const float e = x == -INFINITY ? 0.0f : expf(x - m_new);
      sm.p[r][lane] = Num<T>::st(e);
      const float sum = warp_sum(e);
#pragma unroll
      for (int c = lane; c < D; c += 32) sm.o[r][c] *= corr;
      __syncwarp();
      if (lane == 0) {
        sm.m[r] = m_new;
        sm.l[r] = sm.l[r] * corr + sum;
      }
    }
    __syncthreads();
    // O += P V: (64 / 16) x (D / 16) tiles over the warps.
    for (int t = warp; t < (kBQ / 16) * (D / 16); t += kWarps) {
      int tr = t / (D / 16), tc = t % (D / 16);
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::load_matrix_sync(acc, &sm.o[tr * 16][tc * 16], D + kPadF, wmma::mem_row_major);
#pragma unroll
      for (int kk = 0; kk < kBK; kk += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> b;
        wmma::load_matrix_sync(a, &sm.p[tr * 16][kk], kBK + kPadH);
        wmma::load_matrix_sync(b, &sm.v[kk][tc * 16], D + kPadH);
        wmma::mma_sync(acc, a, b, acc);
      }
      wmma::store_matrix_sync(&sm.o[tr * 16][tc * 16], acc, D + kPadF, wmma::mem_row_major);
    }
  }
  __syncthreads();
  T *oh = o + head * sq * D;
  for (int e = tid; e < kBQ * D; e += blockDim.x) {
    int r = e / D, c = e % D;
    if (q0 + r < sq) oh[(q0 + r) * D + c] = Num<T>::st(sm.o[r][c] / sm.l[r]);
  }
}

template <typename T, int D>
cudaError_t launch(int64_t bh, int64_t sq, int64_t sk, float scale, const void *q, const void *k, const void *v,
                   void *o, cudaStream_t s) {
  const int bytes = (int)sizeof(AttnSmem<T, D>);
  cudaError_t err = cudaFuncSetAttribute(attention_kernel<T, D>, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
  if (err != cudaSuccess) return err;
  dim3 grid((unsigned)((sq + kBQ - 1) / kBQ), (unsigned)bh);
  attention_kernel<T, D><<<grid, kWarps * 32, bytes, s>>>(sq, sk, scale, (const T *)q, (const T *)k, (const T *)v,
                                                         (T *)o);
  return cudaGetLastError();
}

}  // namespace
}  // namespace ingot_ck

extern "C" cudaError_t ingot_ck_attention(int32_t dtype, int64_t bh, int64_t sq, int64_t sk, int64_t d, float scale,
                                          const void *q, const void *k, const void *v, void *o, cudaStream_t stream) {
  if (bh <= 0 || sq <= 0) return cudaSuccess;
  if (sk <= 0 || bh > 65535 || (d != 64 && d != 128)) return cudaErrorInvalidValue;
  if ((((uintptr_t)q | (uintptr_t)k | (uintptr_t)v) & 15u) != 0) return cudaErrorMisalignedAddress;
  switch (dtype) {
    case INGOT_CK_F16:
      return d == 64 ? ingot_ck::launch<__half, 64>(bh, sq, sk, scale, q, k, v, o, stream)
                     : ingot_ck::launch<__half, 128>(bh, sq, sk, scale, q, k, v, o, stream);
    case INGOT_CK_BF16:
      return d == 64 ? ingot_ck::launch<__nv_bfloat16, 64>(bh, sq, sk, scale, q, k, v, o, stream)
                     : ingot_ck::launch<__nv_bfloat16, 128>(bh, sq, sk, scale, q, k, v, o, stream);
    default: return cudaErrorInvalidValue;
  }
}
