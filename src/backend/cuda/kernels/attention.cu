// Fused attention O = softmax(scale * Q K^T + mask) V, per batch and head, in two kernels.
//
// Flash (fp16/bf16, d == dv in {64, 128}, 16-byte aligned rows): FlashAttention-2 style. A
// block of 4 warps takes 64 queries of one (batch, head), each warp 16 of them, and walks the
// keys in tiles of 64, double-buffered in shared memory by cp.async. S = Q K^T and O += P V
// run on the tensor cores (mma.sync m16n8k16, fp32 accumulation) from ldmatrix fragments;
// the scores, the online-softmax state (running max and sum of each row) and O stay in
// registers, and P goes from the S accumulators straight into the A operand of P V. A mask
// that does not depend on the query (BERT's [B, 1, 1, Sk] padding mask) is staged in shared
// memory as fp32; any other is read per score through its broadcast strides.
//
// Rows (any float dtype, any d and dv, any strides): a block takes up to 8 queries of one
// (batch, head) with their sk scores in dynamic shared memory (fp32): a warp per key for the
// dot products, the rows' maxima and sums, then a thread per output column.
//
// Both follow the reference: s = scale * q.k, then the mask (added, or replaced by the fill
// where the bool mask equals mask_select), softmax with the row max subtracted. A row whose
// scores are all -inf gives NaN (0 / 0) as the reference does; a finite fill such as
// -3.4e38 gives ordinary weights (uniform if the whole row is masked); no keys (sk = 0)
// give zeros.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>

#include "ck_common.cuh"

namespace ingot_ck {
namespace {

constexpr float kLog2e = 1.4426950408889634f;
constexpr int kSmallSmem = 48 * 1024; /* dynamic shared memory a launch may use without opting in */

// The device's per-block shared-memory limit for kernels that opt in (0 if unknown).
int smem_optin_limit() {
  int dev = 0, bytes = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) return 0;
  if (cudaDeviceGetAttribute(&bytes, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev) != cudaSuccess) return 0;
  return bytes;
}

// Lets `kernel` take `bytes` of dynamic shared memory: past 48 KB it opts in to the device's
// limit (always that one value, so concurrent launchers never lower it under each other).
template <typename K> cudaError_t allow_smem(K kernel, int64_t bytes) {
  if (bytes <= kSmallSmem) return cudaSuccess;
  int limit = smem_optin_limit();
  if (bytes > limit) return cudaErrorInvalidValue;
  return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, limit);
}

// The mask's value at element offset `off`: the additive value as fp32, or for a bool mask
// 1 where the score is to be replaced by the fill and 0 where it is kept.
template <typename T> __device__ __forceinline__ float mask_at(const ingot_ck_attention_desc &a, int64_t off) {
  if (a.mask_kind == 1) return Num<T>::ld(((const T *)a.mask)[off]);
  return ((((const unsigned char *)a.mask)[off] != 0) == (a.mask_select != 0)) ? 1.0f : 0.0f;
}

// A scaled score with the mask value m of mask_at applied.
__device__ __forceinline__ float apply_mask(const ingot_ck_attention_desc &a, float s, float m) {
  if (a.mask_kind == 1) return s + m;
  return m != 0.0f ? a.mask_fill : s;
}

// ---- flash kernel ------------------------------------------------------------------------------

// 2^x (MUFU, ~2 ulp; 2^-inf = 0, NaN stays NaN).
__device__ __forceinline__ float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

// How the flash kernel reads the mask: none; one row for every query (the scores' query
// stride is 0), additive or bool, staged per key tile in shared memory; or per score.
enum FlashMask { kMaskNone = 0, kMaskAddRow = 1, kMaskSelectRow = 2, kMaskPerScore = 3 };

constexpr int kFlashWarps = 4, kFlashThreads = kFlashWarps * 32;
constexpr int kBQ = 16 * kFlashWarps; /* queries per block, 16 a warp */
constexpr int kBK = 64;               /* keys per tile */
constexpr int kPad = 8;               /* 16 bytes a row: ldmatrix's 8 row addresses fall in distinct banks */
constexpr int kMaskKeys = 512;        /* a query-independent mask row up to this long is loaded once */

template <typename T, int D> struct FlashSmem {
  T q[kBQ][D + kPad];    /* also stages each warp's output rows at the end */
  T k[2][kBK][D + kPad]; /* double-buffered key and value tiles */
  T v[2][kBK][D + kPad];
  float mask[kMaskKeys]; /* a query-independent mask row: all of it, or two tiles' worth */
};

__device__ __forceinline__ uint32_t smem_addr(const void *p) { return (uint32_t)__cvta_generic_to_shared(p); }

// 16 bytes global -> shared, asynchronously; zeros when !valid (src is then not read).
__device__ __forceinline__ void cp_async16(void *dst, const void *src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src), "r"(valid ? 16 : 0)
               : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N> __device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

__device__ __forceinline__ void ldsm_x4(uint32_t (&r)[4], const void *p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p))
               : "memory");
}
__device__ __forceinline__ void ldsm_x4_trans(uint32_t (&r)[4], const void *p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p))
               : "memory");
}

// d += a b for one m16n8k16 tile (a: 16x16 row-major fragment, b: 16x8 column-major), and
// two floats rounded into one register of T pairs (lo in the low half); TY is T's PTX name.
template <typename T> struct Mma;
#define INGOT_CK_MMA(T, TY)                                                                                    \
  template <> struct Mma<T> {                                                                                  \
    static __device__ __forceinline__ void run(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) { \
      asm("mma.sync.aligned.m16n8k16.row.col.f32." TY "." TY ".f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "       \
          "{%8, %9}, {%0, %1, %2, %3};\n"                                                                      \
          : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])                                                      \
          : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));                                     \
    }                                                                                                          \
    static __device__ __forceinline__ uint32_t pack(float lo, float hi) {                                      \
      uint32_t r;                                                                                              \
      asm("cvt.rn." TY "x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));                                  \
      return r;                                                                                                \
    }                                                                                                          \
  };
INGOT_CK_MMA(__half, "f16")
INGOT_CK_MMA(__nv_bfloat16, "bf16")
#undef INGOT_CK_MMA

// Rows [row0, row0 + rows) of a [n, D] matrix whose rows are `stride` elements apart into a
// shared tile (zeros past n), 16 bytes a copy.
template <typename T, int D, int ROWS>
__device__ __forceinline__ void load_rows(T (*tile)[D + kPad], const T *src, int64_t stride, int64_t row0,
                                          int64_t n) {
  constexpr int CH = D / 8; /* 16-byte chunks a row */
  static_assert(ROWS * CH % kFlashThreads == 0, "every thread copies the same number of chunks");
#pragma unroll
  for (int i = 0; i < ROWS * CH / kFlashThreads; i++) {
    const int e = threadIdx.x + i * kFlashThreads, r = e / CH, c = (e % CH) * 8;
    const bool ok = row0 + r < n;
    cp_async16(&tile[r][c], ok ? src + (row0 + r) * stride + c : src, ok);
  }
}

// Grid: one block per (64-query block, batch * head), query blocks of a head adjacent.
// Occupancy: D = 64 asks for 4 blocks an SM (<= 128 registers, a few bytes spilled), which
// measured faster than the 3 its ~160 registers give; D = 128 asks for no minimum (0), as
// any minimum measured slower.
template <typename T, int D, int MASK>
__global__ void __launch_bounds__(kFlashThreads, D == 64 ? 4 : 0)
    flash_kernel(const ingot_ck_attention_desc a, int64_t q_blocks) {
  extern __shared__ __align__(16) unsigned char smem_raw[];
  FlashSmem<T, D> &sm = *reinterpret_cast<FlashSmem<T, D> *>(smem_raw);
  constexpr int NT = kBK / 8; /* score n-tiles of 8 keys */
  constexpr int ND = D / 8;   /* output n-tiles of 8 columns */
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int g = lane >> 2, t4 = lane & 3; /* the fragment row (and row + 8) and column pair of a lane */
  const int64_t bh = blockIdx.x / q_blocks, q0 = (blockIdx.x % q_blocks) * (int64_t)kBQ;
  const int64_t b = bh / a.heads, h = bh % a.heads, sq = a.sq, sk = a.sk;
  const T *qg = (const T *)a.q + b * a.q_stride[0] + h * a.q_stride[1];
  const T *kg = (const T *)a.k + b * a.k_stride[0] + h * a.k_stride[1];
  const T *vg = (const T *)a.v + b * a.v_stride[0] + h * a.v_stride[1];
  T *og = (T *)a.o + b * a.o_stride[0] + h * a.o_stride[1];
  const int64_t mask_base = b * a.mask_stride[0] + h * a.mask_stride[1];
  const int64_t row_q[2] = {q0 + warp * 16 + g, q0 + warp * 16 + g + 8};
  constexpr bool kRowMask = MASK == kMaskAddRow || MASK == kMaskSelectRow;

  // A query-independent mask row goes through shared memory as fp32. Up to kMaskKeys keys
  // (BERT's padding masks) it is loaded whole, with the first copies; a longer one a tile
  // ahead into two tile-sized slots, each tile's loads issued after the previous wait and
  // stored before the next barrier (per-tile loads in the loop were seen to cost much more
  // than the bytes they move).
  static_assert(kBK <= kFlashThreads && kMaskKeys % kFlashThreads == 0 && 2 * kBK <= kMaskKeys, "mask staging");
  constexpr int kMaskPer = kMaskKeys / kFlashThreads;
  const bool mask_whole = sk <= kMaskKeys;
  auto mask_of_key = [&](int64_t key) {
    return key < sk ? mask_at<T>(a, mask_base + key * a.mask_stride[3]) : 0.0f;
  };
  float mask_next[kMaskPer];
  if (kRowMask) {
#pragma unroll
    for (int i = 0; i < kMaskPer; i++) mask_next[i] = mask_whole || i == 0 ? mask_of_key(tid + i * kFlashThreads) : 0.0f;
  }

  load_rows<T, D, kBQ>(sm.q, qg, a.q_stride[2], q0, sq);
  load_rows<T, D, kBK>(sm.k[0], kg, a.k_stride[2], 0, sk);
  load_rows<T, D, kBK>(sm.v[0], vg, a.v_stride[2], 0, sk);
  cp_async_commit();
  if (kRowMask) {
#pragma unroll
    for (int i = 0; i < kMaskPer; i++)
      if (mask_whole || (i == 0 && tid < kBK)) sm.mask[tid + i * kFlashThreads] = mask_next[i];
  }

  float o[ND][4];
#pragma unroll
  for (int j = 0; j < ND; j++) o[j][0] = o[j][1] = o[j][2] = o[j][3] = 0.0f;
  float m_run[2] = {-INFINITY, -INFINITY}, l_run[2] = {0.0f, 0.0f}; /* l: this lane's part of the row sum */
  const int64_t tiles = (sk + kBK - 1) / kBK;

  for (int64_t t = 0; t < tiles; t++) {
    const int buf = (int)(t & 1);
    const int64_t k0 = t * kBK;
    // Prefetch the next tile into the other buffer (freed by the barrier that ended the
    // last iteration); an empty group otherwise, so that "all but the newest" is this tile.
    if (t + 1 < tiles) {
      load_rows<T, D, kBK>(sm.k[buf ^ 1], kg, a.k_stride[2], k0 + kBK, sk);
      load_rows<T, D, kBK>(sm.v[buf ^ 1], vg, a.v_stride[2], k0 + kBK, sk);
    }
    cp_async_commit();
    cp_async_wait<1>();
    __syncthreads();
    const bool mask_ahead = kRowMask && !mask_whole && tid < kBK && t + 1 < tiles;
    if (mask_ahead) mask_next[0] = mask_of_key(k0 + kBK + tid);
    const int mask_at0 = mask_whole ? (int)k0 : buf * kBK; /* where this tile's keys start in sm.mask */

    // S = Q K^T for the warp's 16 queries and the tile's 64 keys.
    float s[NT][4];
#pragma unroll
    for (int j = 0; j < NT; j++) s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.0f;
#pragma unroll
    for (int kk = 0; kk < D / 16; kk++) {
      uint32_t qa[4];
      ldsm_x4(qa, &sm.q[warp * 16 + (lane & 15)][kk * 16 + (lane >> 4) * 8]);
#pragma unroll
      for (int j = 0; j < NT; j += 2) {
        uint32_t kb[4]; /* key n-tiles j and j + 1, dims kk*16 + [0, 8) and [8, 16) */
        ldsm_x4(kb, &sm.k[buf][j * 8 + ((lane >> 4) << 3) + (lane & 7)][kk * 16 + ((lane >> 3) & 1) * 8]);
        Mma<T>::run(s[j], qa, kb[0], kb[1]);
        Mma<T>::run(s[j + 1], qa, kb[2], kb[3]);
      }
    }

    // Scale and mask; keys past sk (the last tile only) out.
#pragma unroll
    for (int j = 0; j < NT; j++) {
      const int col = j * 8 + t4 * 2; /* this lane's two keys of the n-tile: col, col + 1 */
      float2 ms = make_float2(0.0f, 0.0f);
      if (kRowMask) ms = *reinterpret_cast<const float2 *>(&sm.mask[mask_at0 + col]);
#pragma unroll
      for (int e = 0; e < 4; e++) {
        const float m = (e & 1) ? ms.y : ms.x;
        float x;
        if (MASK == kMaskAddRow) x = fmaf(s[j][e], a.scale, m);
        else x = s[j][e] * a.scale;
        if (MASK == kMaskSelectRow) x = m != 0.0f ? a.mask_fill : x;
        if (MASK == kMaskPerScore) {
          const int64_t key = k0 + col + (e & 1), qi = row_q[e >> 1];
          if (key < sk && qi < sq)
            x = apply_mask(a, x, mask_at<T>(a, mask_base + qi * a.mask_stride[2] + key * a.mask_stride[3]));
        }
        s[j][e] = x;
      }
    }
    if (k0 + kBK > sk) {
      const int valid = (int)(sk - k0);
#pragma unroll
      for (int j = 0; j < NT; j++)
#pragma unroll
        for (int e = 0; e < 4; e++)
          if (j * 8 + t4 * 2 + (e & 1) >= valid) s[j][e] = -INFINITY;
    }
    // The rows' new maxima (a row lives in the 4 lanes of a quad).
    float mx[2] = {m_run[0], m_run[1]};
#pragma unroll
    for (int j = 0; j < NT; j++) {
      mx[0] = fmaxf(mx[0], fmaxf(s[j][0], s[j][1]));
      mx[1] = fmaxf(mx[1], fmaxf(s[j][2], s[j][3]));
    }
    float base[2], corr[2];
#pragma unroll
    for (int r = 0; r < 2; r++) {
      mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 1));
      mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 2));
      // All -inf so far: exponents against 0 give zeros (and 0 / 0 = NaN at the end, as the
      // reference); otherwise the running max, and the old sums scale by exp(old - new).
      base[r] = mx[r] == -INFINITY ? 0.0f : mx[r];
      corr[r] = fast_exp2((m_run[r] - base[r]) * kLog2e);
      m_run[r] = mx[r];
      l_run[r] *= corr[r];
    }
#pragma unroll
    for (int j = 0; j < ND; j++) {
      o[j][0] *= corr[0];
      o[j][1] *= corr[0];
      o[j][2] *= corr[1];
      o[j][3] *= corr[1];
    }
    // P = exp(S - max), summed in fp32 and rounded to T for P V: the accumulators of key
    // n-tiles 2kk and 2kk + 1 are the A fragment of keys [16kk, 16kk + 16).
    uint32_t pa[kBK / 16][4];
#pragma unroll
    for (int j = 0; j < NT; j++)
#pragma unroll
      for (int r = 0; r < 2; r++) {
        const float p0 = fast_exp2((s[j][2 * r] - base[r]) * kLog2e);
        const float p1 = fast_exp2((s[j][2 * r + 1] - base[r]) * kLog2e);
        pa[j >> 1][(j & 1) * 2 + r] = Mma<T>::pack(p0, p1);
        l_run[r] += p0 + p1;
      }

    // O += P V.
#pragma unroll
    for (int kk = 0; kk < kBK / 16; kk++)
#pragma unroll
      for (int j = 0; j < ND; j += 2) {
        uint32_t vb[4]; /* keys kk*16 + [0, 8) and [8, 16) of column n-tiles j and j + 1 */
        ldsm_x4_trans(vb, &sm.v[buf][kk * 16 + ((lane >> 3) & 1) * 8 + (lane & 7)][j * 8 + (lane >> 4) * 8]);
        Mma<T>::run(o[j], pa[kk], vb[0], vb[1]);
        Mma<T>::run(o[j + 1], pa[kk], vb[2], vb[3]);
      }
    /* the other slot was last read in the previous tile, before the last barrier */
    if (mask_ahead) sm.mask[(buf ^ 1) * kBK + tid] = mask_next[0];
    __syncthreads(); /* every warp is done with this tile's buffers; the next tile's mask is in */
  }
  cp_async_wait<0>(); /* sk == 0: Q's copies may still be in flight */
  __syncthreads();

  // O / l, staged through the warp's own Q rows (only this warp read them) for 16-byte stores.
  float inv[2];
#pragma unroll
  for (int r = 0; r < 2; r++) {
    float l = l_run[r];
    l += __shfl_xor_sync(0xffffffffu, l, 1);
    l += __shfl_xor_sync(0xffffffffu, l, 2);
    inv[r] = sk > 0 ? 1.0f / l : 0.0f; /* no keys: zeros, the reference's empty sum */
  }
  T(*stage)[D + kPad] = &sm.q[warp * 16];
#pragma unroll
  for (int j = 0; j < ND; j++) {
    const int col = j * 8 + t4 * 2;
    *reinterpret_cast<uint32_t *>(&stage[g][col]) = Mma<T>::pack(o[j][0] * inv[0], o[j][1] * inv[0]);
    *reinterpret_cast<uint32_t *>(&stage[g + 8][col]) = Mma<T>::pack(o[j][2] * inv[1], o[j][3] * inv[1]);
  }
  __syncwarp();
  for (int e = lane; e < 16 * ND; e += 32) {
    const int r = e / ND, c = (e % ND) * 8;
    const int64_t qi = q0 + warp * 16 + r;
    if (qi < sq) *reinterpret_cast<uint4 *>(og + qi * a.o_stride[2] + c) = *reinterpret_cast<const uint4 *>(&stage[r][c]);
  }
}

template <typename T, int D, int MASK> cudaError_t flash_launch_mask(const ingot_ck_attention_desc &a, cudaStream_t s) {
  const int64_t q_blocks = (a.sq + kBQ - 1) / kBQ;
  const int64_t bytes = (int64_t)sizeof(FlashSmem<T, D>);
  cudaError_t err = allow_smem(flash_kernel<T, D, MASK>, bytes);
  if (err != cudaSuccess) return err;
  flash_kernel<T, D, MASK><<<(unsigned)(q_blocks * a.batch * a.heads), kFlashThreads, (size_t)bytes, s>>>(a, q_blocks);
  return cudaGetLastError();
}

template <typename T, int D> cudaError_t flash_launch(const ingot_ck_attention_desc &a, cudaStream_t s) {
  if (a.mask_kind == 0) return flash_launch_mask<T, D, kMaskNone>(a, s);
  if (a.mask_stride[2] != 0) return flash_launch_mask<T, D, kMaskPerScore>(a, s);
  if (a.mask_kind == 1) return flash_launch_mask<T, D, kMaskAddRow>(a, s);
  return flash_launch_mask<T, D, kMaskSelectRow>(a, s);
}

bool aligned16(const void *p) { return ((uintptr_t)p & 15u) == 0; }
bool strides8(const int64_t *st) { return st[0] % 8 == 0 && st[1] % 8 == 0 && st[2] % 8 == 0; }

bool mask_kind_ok(const ingot_ck_attention_desc *a) { return a->mask_kind >= 0 && a->mask_kind <= 2; }
bool mask_missing(const ingot_ck_attention_desc *a) { return a->mask_kind != 0 && a->mask == NULL; }

bool sizes_ok(const ingot_ck_attention_desc *a) {
  return a->batch >= 0 && a->heads >= 0 && a->sq >= 0 && a->sk >= 0 && a->d >= 0 && a->dv >= 0;
}

bool nothing_to_do(const ingot_ck_attention_desc *a) {
  return a->batch == 0 || a->heads == 0 || a->sq == 0 || a->dv == 0;
}

// ---- rows kernel ---------------------------------------------------------------------------------

constexpr int kRowsThreads = 128, kRowsWarps = kRowsThreads / 32;

// Shared memory of the rows kernel with QB queries a block: their weights [sk][QB], q's rows
// [QB][d] and the per-warp maxima and sums [warps][QB], all fp32.
int64_t rows_smem_bytes(const ingot_ck_attention_desc *a, int qb) {
  return (int64_t)qb * (a->sk + a->d + 2 * kRowsWarps) * (int64_t)sizeof(float);
}

// Sums v[i] (i < QB) over the 32 lanes, QB sums at once: each butterfly step sends away half
// of the values a lane still holds, so it takes log2(QB) + (5 - log2(QB)) steps of QB/2, ...,
// 1 shuffles rather than 5 QB. Lane l ends with the sum of row l / (32 / QB).
template <int QB> __device__ __forceinline__ float warp_sum_rows(float (&v)[QB], int lane) {
  int bit = 16;
#pragma unroll
  for (int half = QB / 2; half >= 1; half /= 2, bit /= 2) {
    const bool upper = (lane & bit) != 0;
#pragma unroll
    for (int i = 0; i < half; i++) {
      const float send = upper ? v[i] : v[i + half], keep = upper ? v[i + half] : v[i];
      v[i] = keep + __shfl_xor_sync(0xffffffffu, send, bit);
    }
  }
  for (; bit >= 1; bit /= 2) v[0] += __shfl_xor_sync(0xffffffffu, v[0], bit);
  return v[0];
}

// Grid: one block per QB queries of a (batch, head), the blocks of a head adjacent. A warp per
// key for the scores (lanes along d, coalesced), the warps' row maxima and sums combined in
// shared memory, then a thread per output column with QB accumulators (values coalesced).
template <typename T, int QB> __global__ void __launch_bounds__(kRowsThreads) rows_kernel(const ingot_ck_attention_desc a) {
  static_assert(QB >= 1 && QB <= 8 && (QB & (QB - 1)) == 0, "QB: 1, 2, 4 or 8");
  extern __shared__ __align__(16) float rsm[];
  const int64_t sk = a.sk, d = a.d, dv = a.dv;
  float *wgt = rsm, *qf = rsm + sk * QB, *red_max = qf + d * QB, *red_sum = red_max + kRowsWarps * QB;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int64_t q_blocks = (a.sq + QB - 1) / QB;
  const int64_t bh = blockIdx.x / q_blocks, q0 = (blockIdx.x % q_blocks) * QB;
  const int64_t b = bh / a.heads, h = bh % a.heads;
  const int rows = (int)min((int64_t)QB, a.sq - q0);
  const T *qg = (const T *)a.q + b * a.q_stride[0] + h * a.q_stride[1] + q0 * a.q_stride[2];
  const T *kg = (const T *)a.k + b * a.k_stride[0] + h * a.k_stride[1];
  const T *vg = (const T *)a.v + b * a.v_stride[0] + h * a.v_stride[1];
  T *og = (T *)a.o + b * a.o_stride[0] + h * a.o_stride[1] + q0 * a.o_stride[2];
  const int64_t mask_base = b * a.mask_stride[0] + h * a.mask_stride[1] + q0 * a.mask_stride[2];
  for (int64_t e = tid; e < d * QB; e += kRowsThreads) {
    const int i = (int)(e / d);
    qf[e] = i < rows ? Num<T>::ld(qg[i * a.q_stride[2] + e % d]) : 0.0f;
  }
  __syncthreads();

  // Scores: lane l's row after the reduction, and its running maximum over this warp's keys.
  const int my_row = lane / (32 / QB);
  const bool writer = lane % (32 / QB) == 0 && my_row < rows;
  float mx = -INFINITY;
  constexpr int KU = 2; /* keys a warp takes at once, kRowsWarps apart: more loads in flight */
  const int di = (int)d;
  for (int64_t j0 = warp; j0 < sk; j0 += kRowsWarps * KU) {
    float acc[KU][QB];
    const T *kr[KU];
#pragma unroll
    for (int u = 0; u < KU; u++) {
      const int64_t j = j0 + u * kRowsWarps;
      kr[u] = kg + (j < sk ? j : j0) * a.k_stride[2]; /* past sk: a row that exists, result unused */
#pragma unroll
      for (int i = 0; i < QB; i++) acc[u][i] = 0.0f;
    }
    for (int e = lane; e < di; e += 32) {
      float kv[KU];
#pragma unroll
      for (int u = 0; u < KU; u++) kv[u] = Num<T>::ld(kr[u][e]);
#pragma unroll
      for (int i = 0; i < QB; i++) {
        const float qv = qf[i * di + e]; /* lanes on consecutive words */
#pragma unroll
        for (int u = 0; u < KU; u++) acc[u][i] = fmaf(qv, kv[u], acc[u][i]);
      }
    }
#pragma unroll
    for (int u = 0; u < KU; u++) {
      const int64_t j = j0 + u * kRowsWarps;
      if (j >= sk) break; /* the same in every lane */
      float x = warp_sum_rows<QB>(acc[u], lane) * a.scale;
      if (writer) {
        if (a.mask_kind != 0) x = apply_mask(a, x, mask_at<T>(a, mask_base + my_row * a.mask_stride[2] + j * a.mask_stride[3]));
        wgt[j * QB + my_row] = x;
        mx = fmaxf(mx, x);
      }
    }
  }
  if (lane < QB) red_max[warp * QB + lane] = -INFINITY; /* rows past sq, and warps without keys */
  __syncwarp();
  if (writer) red_max[warp * QB + my_row] = mx;
  __syncthreads(); /* also publishes the scores */

  // Weights: thread t only ever touches row t % QB (the stride is a multiple of QB).
  const int row = tid % QB;
  float m = red_max[row];
#pragma unroll
  for (int w = 1; w < kRowsWarps; w++) m = fmaxf(m, red_max[w * QB + row]);
  float sum = 0.0f;
  for (int64_t e = tid; e < sk * QB; e += kRowsThreads) {
    const float p = row < rows ? expf(wgt[e] - m) : 0.0f; /* a row of -inf: exp(NaN) = NaN, as the reference */
    wgt[e] = p;
    sum += p;
  }
  for (int off = 16; off >= QB; off /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, off);
  if (lane < QB) red_sum[warp * QB + lane] = sum;
  __syncthreads(); /* also publishes the weights */
  float inv[QB];
#pragma unroll
  for (int i = 0; i < QB; i++) {
    float l = 0.0f;
#pragma unroll
    for (int w = 0; w < kRowsWarps; w++) l += red_sum[w * QB + i];
    inv[i] = sk > 0 ? 1.0f / l : 0.0f; /* no keys: zeros, the reference's empty sum */
  }

  for (int64_t c = tid; c < dv; c += kRowsThreads) {
    const T *vc = vg + c;
    float acc[QB];
#pragma unroll
    for (int i = 0; i < QB; i++) acc[i] = 0.0f;
    constexpr int JU = 8; /* values loaded ahead of their use */
    int64_t j = 0;
    for (; j + JU <= sk; j += JU) {
      float v[JU];
#pragma unroll
      for (int u = 0; u < JU; u++) v[u] = Num<T>::ld(vc[(j + u) * a.v_stride[2]]);
#pragma unroll
      for (int u = 0; u < JU; u++) {
        const float *p = wgt + (j + u) * QB; /* the same address in every lane: a broadcast */
#pragma unroll
        for (int i = 0; i < QB; i++) acc[i] = fmaf(p[i], v[u], acc[i]);
      }
    }
    for (; j < sk; j++) {
      const float v = Num<T>::ld(vc[j * a.v_stride[2]]);
#pragma unroll
      for (int i = 0; i < QB; i++) acc[i] = fmaf(wgt[j * QB + i], v, acc[i]);
    }
#pragma unroll
    for (int i = 0; i < QB; i++)
      if (i < rows) og[i * a.o_stride[2] + c] = Num<T>::st(acc[i] * inv[i]);
  }
}

// Queries a block: 8 when there are that many and their weights fit, fewer otherwise; 0 when
// not even one row's fits.
int rows_per_block(const ingot_ck_attention_desc *a) {
  const int64_t limit = std::max<int64_t>(kSmallSmem, smem_optin_limit());
  for (int qb = 8; qb >= 1; qb /= 2)
    if ((qb == 1 || a->sq >= qb) && rows_smem_bytes(a, qb) <= limit) return qb;
  return 0;
}

template <typename T, int QB> cudaError_t rows_launch(const ingot_ck_attention_desc &a, cudaStream_t s) {
  const int64_t bytes = rows_smem_bytes(&a, QB), blocks = (a.sq + QB - 1) / QB * a.batch * a.heads;
  if (blocks > INT32_MAX) return cudaErrorInvalidValue;
  cudaError_t err = allow_smem(rows_kernel<T, QB>, bytes);
  if (err != cudaSuccess) return err;
  rows_kernel<T, QB><<<(unsigned)blocks, kRowsThreads, (size_t)bytes, s>>>(a);
  return cudaGetLastError();
}

}  // namespace
}  // namespace ingot_ck

using namespace ingot_ck;

extern "C" bool ingot_ck_attention_flash_fits(const ingot_ck_attention_desc *a) {
  if (!sizes_ok(a) || !mask_kind_ok(a) || a->d != a->dv || (a->d != 64 && a->d != 128)) return false;
  if (a->dtype != INGOT_CK_F16 && a->dtype != INGOT_CK_BF16) return false;
  if (!aligned16(a->q) || !aligned16(a->k) || !aligned16(a->v) || !aligned16(a->o)) return false;
  if (!strides8(a->q_stride) || !strides8(a->k_stride) || !strides8(a->v_stride) || !strides8(a->o_stride))
    return false;
  const int64_t blocks = (a->sq + kBQ - 1) / kBQ * a->batch * a->heads;
  const int64_t bytes = a->d == 64 ? sizeof(FlashSmem<__half, 64>) : sizeof(FlashSmem<__half, 128>);
  return blocks <= INT32_MAX && (bytes <= kSmallSmem || bytes <= smem_optin_limit());
}

extern "C" cudaError_t ingot_ck_attention_flash(const ingot_ck_attention_desc *a, cudaStream_t stream) {
  if (!ingot_ck_attention_flash_fits(a)) {
    if (sizes_ok(a) && nothing_to_do(a)) return cudaSuccess;
    const bool misaligned = !aligned16(a->q) || !aligned16(a->k) || !aligned16(a->v) || !aligned16(a->o);
    return misaligned ? cudaErrorMisalignedAddress : cudaErrorInvalidValue;
  }
  if (nothing_to_do(a)) return cudaSuccess;
  if (mask_missing(a)) return cudaErrorInvalidValue;
  if (a->dtype == INGOT_CK_F16)
    return a->d == 64 ? flash_launch<__half, 64>(*a, stream) : flash_launch<__half, 128>(*a, stream);
  return a->d == 64 ? flash_launch<__nv_bfloat16, 64>(*a, stream) : flash_launch<__nv_bfloat16, 128>(*a, stream);
}

extern "C" bool ingot_ck_attention_rows_fits(const ingot_ck_attention_desc *a) {
  if (!sizes_ok(a) || !mask_kind_ok(a)) return false;
  if (a->dtype != INGOT_CK_F32 && a->dtype != INGOT_CK_F16 && a->dtype != INGOT_CK_BF16) return false;
  if (a->sq * a->batch * a->heads > INT32_MAX) return false;
  return rows_per_block(a) > 0;
}

extern "C" cudaError_t ingot_ck_attention_rows(const ingot_ck_attention_desc *a, cudaStream_t stream) {
  if (!ingot_ck_attention_rows_fits(a)) return sizes_ok(a) && nothing_to_do(a) ? cudaSuccess : cudaErrorInvalidValue;
  if (nothing_to_do(a)) return cudaSuccess;
  if (mask_missing(a)) return cudaErrorInvalidValue;
  const int qb = rows_per_block(a);
  INGOT_CK_FLOAT_SWITCH(a->dtype, T, {
    switch (qb) {
      case 8: return rows_launch<T, 8>(*a, stream);
      case 4: return rows_launch<T, 4>(*a, stream);
      case 2: return rows_launch<T, 2>(*a, stream);
      default: return rows_launch<T, 1>(*a, stream);
    }
  });
  return cudaErrorInvalidValue;
}
