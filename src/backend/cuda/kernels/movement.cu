// Data movement by element size (every dtype moves through the same code): the strided
// box copy behind shuffle, transpose, slice, concatenation, expand and tile; gather; and
// padding. A thread per output element, consecutive threads on consecutive destination
// elements; 32-bit index arithmetic whenever the offsets fit.
#include "ck_common.cuh"

namespace ingot_ck {
namespace {

template <typename E, typename IndexT>
__global__ void copy_box(ingot_ck_box box, E *__restrict__ dst, const E *__restrict__ src) {
  IndexT n = (IndexT)box.volume, stride = (IndexT)gridDim.x * blockDim.x;
  for (IndexT i = (IndexT)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    IndexT off[2];
    box_offsets<2, IndexT>(box, i, off);
    dst[off[0]] = src[off[1]];
  }
}

// Contiguous rows copied 16 bytes at a time: rows of `row` elements (a multiple of V),
// row r at dst_row_off(r) / src_row_off(r) given by the box of the outer dims.
template <typename E, int V>
__global__ void copy_rows_vec(ingot_ck_box outer, int64_t row, E *__restrict__ dst, const E *__restrict__ src) {
  struct alignas(16) P { E v[V]; };
  int64_t packs_per_row = row / V, total = outer.volume * packs_per_row;
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
    int64_t r = i / packs_per_row, k = i % packs_per_row, off[2];
    box_offsets<2, int64_t>(outer, r, off);
    ((P *)(dst + off[0]))[k] = ((const P *)(src + off[1]))[k];
  }
}

// Transposes: the destination is contiguous along the last box dim L while the source is
// contiguous along another dim M. 32x32 tiles through shared memory (a column of padding
// against bank conflicts) make both the reads along M and the writes along L coalesced.
template <typename E>
__global__ void copy_transpose_tiles(ingot_ck_box outer, int64_t m_len, int64_t l_len, int64_t dst_m_stride,
                                     int64_t src_l_stride, E *__restrict__ dst, const E *__restrict__ src) {
  __shared__ E tile[32][33];
  int64_t m0 = (int64_t)blockIdx.y * 32, l0 = (int64_t)blockIdx.x * 32;
  int tx = threadIdx.x, ty = threadIdx.y;
  for (int64_t z = blockIdx.z; z < outer.volume; z += gridDim.z) {
    int64_t off[2];
    box_offsets<2, int64_t>(outer, z, off);
    for (int r = ty; r < 32; r += 8) {
      int64_t l = l0 + r, m = m0 + tx;
      if (l < l_len && m < m_len) tile[r][tx] = src[off[1] + l * src_l_stride + m];
    }
    __syncthreads();
    for (int r = ty; r < 32; r += 8) {
      int64_t m = m0 + r, l = l0 + tx;
      if (l < l_len && m < m_len) dst[off[0] + m * dst_m_stride + l] = tile[tx][r];
    }
    __syncthreads();
  }
}

// The dim M for a tiled transpose, or -1 when the copy is no transpose of that shape.
int transpose_dim(const ingot_ck_box &box) {
  int last = box.rank - 1;
  if (box.rank < 2 || box.stride[0][last] != 1 || box.stride[1][last] == 1 || box.dims[last] < 8) return -1;
  for (int d = 0; d < last; d++)
    if (box.stride[1][d] == 1 && box.dims[d] >= 8) return d;
  return -1;
}

template <typename E>
cudaError_t launch_transpose(const ingot_ck_box &box, int m, void *dst, const void *src, cudaStream_t s) {
  int last = box.rank - 1;
  ingot_ck_box outer = box;
  outer.rank = 0;
  for (int d = 0; d < last; d++) {
    if (d == m) continue;
    outer.dims[outer.rank] = box.dims[d];
    for (int k = 0; k < 2; k++) outer.stride[k][outer.rank] = box.stride[k][d];
    outer.rank++;
  }
  if (outer.rank == 0) {
    outer.rank = 1;
    outer.dims[0] = 1;
    outer.stride[0][0] = outer.stride[1][0] = 0;
  }
  outer.volume = box.volume / (box.dims[m] * box.dims[last]);
  dim3 grid((unsigned)((box.dims[last] + 31) / 32), (unsigned)((box.dims[m] + 31) / 32),
            (unsigned)(outer.volume < 65535 ? outer.volume : 65535));
  if (grid.y > 65535) return cudaErrorInvalidValue;
  copy_transpose_tiles<E><<<grid, dim3(32, 8), 0, s>>>(outer, box.dims[m], box.dims[last], box.stride[0][m],
                                                       box.stride[1][last], (E *)dst, (const E *)src);
  return cudaGetLastError();
}

template <typename E>
cudaError_t launch_copy(const ingot_ck_box &box, void *dst, const void *src, cudaStream_t s) {
  constexpr int V = 16 / sizeof(E);
  int last = box.rank - 1;
  int64_t row = box.dims[last];
  bool rows_contiguous = box.stride[0][last] == 1 && box.stride[1][last] == 1 && row % V == 0 && row >= 4 * V;
  if (rows_contiguous && box.rank > 1) {
    bool aligned = (((uintptr_t)dst | (uintptr_t)src) & 15u) == 0;
    for (int d = 0; d < last && aligned; d++)
      aligned = (box.stride[0][d] % V) == 0 && (box.stride[1][d] % V) == 0;
    if (aligned) {
      ingot_ck_box outer = box;
      outer.rank = last;
      outer.volume = box.volume / row;
      copy_rows_vec<E, V><<<grid_for(box.volume, V), kThreads, 0, s>>>(outer, row, (E *)dst, (const E *)src);
      return cudaGetLastError();
    }
  }
  int m = transpose_dim(box);
  if (m >= 0 && (box.dims[m] + 31) / 32 <= 65535) return launch_transpose<E>(box, m, dst, src, s);
  if (box_fits_int32(box))
    copy_box<E, int32_t><<<grid_for(box.volume), kThreads, 0, s>>>(box, (E *)dst, (const E *)src);
  else
    copy_box<E, int64_t><<<grid_for(box.volume), kThreads, 0, s>>>(box, (E *)dst, (const E *)src);
  return cudaGetLastError();
}

template <typename E, typename I>
__global__ void gather_kernel(int64_t outer, int64_t axis_dim, int64_t inner, int64_t nidx, const E *__restrict__ data,
                              const I *__restrict__ idx, E *__restrict__ y) {
  int64_t total = outer * nidx * inner, stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
    int64_t e = i % inner, rest = i / inner, k = rest % nidx, o = rest / nidx;
    int64_t j = (int64_t)idx[k];
    if (j < 0) j += axis_dim;
    y[i] = (j >= 0 && j < axis_dim) ? data[(o * axis_dim + j) * inner + e] : E(0);
  }
}

__device__ __forceinline__ int64_t pad_map(int64_t i, int64_t n, int mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 2: return i < 0 ? 0 : n - 1; /* edge */
    case 1: {                         /* reflect */
      if (n == 1) return 0;
      int64_t period = 2 * (n - 1), r = i % period;
      if (r < 0) r += period;
      return r < n ? r : period - r;
    }
    case 3: { /* wrap */
      int64_t r = i % n;
      return r < 0 ? r + n : r;
    }
    default: return -1; /* constant */
  }
}

template <typename E>
__global__ void pad_kernel(ingot_ck_pad p, const E *__restrict__ x, E *__restrict__ y) {
  E value;
  memcpy(&value, &p.value_bits, sizeof(E));
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < p.volume; i += stride) {
    int64_t rem = i, off = 0;
    bool constant = false;
    for (int d = p.rank - 1; d >= 0; d--) {
      int64_t o = rem % p.out_dims[d];
      rem /= p.out_dims[d];
      int64_t m = pad_map(o - p.pre[d], p.in_dims[d], p.mode);
      if (m < 0) constant = true;
      else off += m * p.in_strides[d];
    }
    y[i] = constant ? value : x[off];
  }
}

// Slice with device-side bounds: the block reads the rank start and stride values once
// into shared memory, then a thread per output element.
template <typename E, typename V>
__global__ void slice_kernel(ingot_ck_slice p, const V *__restrict__ start_values, const V *__restrict__ stride_values,
                             const E *__restrict__ x, E *__restrict__ y) {
  __shared__ int64_t base, step[INGOT_CK_MAX_DIMS];
  if (threadIdx.x == 0) {
    int64_t b = 0;
    for (int d = 0; d < p.rank; d++) {
      int64_t st = start_values ? (int64_t)start_values[d] : p.start[d];
      int64_t sd = stride_values ? (int64_t)stride_values[d] : p.stride[d];
      b += st * p.in_strides[d];
      step[d] = sd * p.in_strides[d];
    }
    base = b;
  }
  __syncthreads();
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < p.volume; i += stride) {
    int64_t rem = i, off = base;
    for (int d = p.rank - 1; d >= 0; d--) {
      off += (rem % p.out_dims[d]) * step[d];
      rem /= p.out_dims[d];
    }
    y[i] = x[off];
  }
}

}  // namespace
}  // namespace ingot_ck

using namespace ingot_ck;

extern "C" cudaError_t ingot_ck_copy(int32_t elem_size, const ingot_ck_box *box, void *dst, const void *src,
                                     cudaStream_t stream) {
  if (box->volume <= 0) return cudaSuccess;
  switch (elem_size) {
    case 1: return launch_copy<uint8_t>(*box, dst, src, stream);
    case 2: return launch_copy<uint16_t>(*box, dst, src, stream);
    case 4: return launch_copy<uint32_t>(*box, dst, src, stream);
    case 8: return launch_copy<unsigned long long>(*box, dst, src, stream);
    default: return cudaErrorInvalidValue;
  }
}

template <typename E>
static cudaError_t gather_as(int64_t outer, int64_t axis_dim, int64_t inner, int32_t idx_int32, int64_t nidx,
                             const void *data, const void *idx, void *y, cudaStream_t s) {
  int64_t total = outer * nidx * inner;
  if (idx_int32)
    gather_kernel<E, int32_t><<<grid_for(total), kThreads, 0, s>>>(outer, axis_dim, inner, nidx, (const E *)data,
                                                                    (const int32_t *)idx, (E *)y);
  else
    gather_kernel<E, long long><<<grid_for(total), kThreads, 0, s>>>(outer, axis_dim, inner, nidx, (const E *)data,
                                                                      (const long long *)idx, (E *)y);
  return cudaGetLastError();
}

extern "C" cudaError_t ingot_ck_gather(int32_t elem_size, int64_t outer, int64_t axis_dim, int64_t inner,
                                       int32_t idx_int32, int64_t nidx, const void *data, const void *idx, void *y,
                                       cudaStream_t stream) {
  if (outer * nidx * inner <= 0) return cudaSuccess;
  switch (elem_size) {
    case 1: return gather_as<uint8_t>(outer, axis_dim, inner, idx_int32, nidx, data, idx, y, stream);
    case 2: return gather_as<uint16_t>(outer, axis_dim, inner, idx_int32, nidx, data, idx, y, stream);
    case 4: return gather_as<uint32_t>(outer, axis_dim, inner, idx_int32, nidx, data, idx, y, stream);
    case 8: return gather_as<unsigned long long>(outer, axis_dim, inner, idx_int32, nidx, data, idx, y, stream);
    default: return cudaErrorInvalidValue;
  }
}

extern "C" cudaError_t ingot_ck_pad_run(int32_t elem_size, const ingot_ck_pad *p, const void *x, void *y,
                                        cudaStream_t stream) {
  if (p->volume <= 0) return cudaSuccess;
  unsigned g = grid_for(p->volume);
  switch (elem_size) {
    case 1: pad_kernel<uint8_t><<<g, kThreads, 0, stream>>>(*p, (const uint8_t *)x, (uint8_t *)y); break;
    case 2: pad_kernel<uint16_t><<<g, kThreads, 0, stream>>>(*p, (const uint16_t *)x, (uint16_t *)y); break;
    case 4: pad_kernel<uint32_t><<<g, kThreads, 0, stream>>>(*p, (const uint32_t *)x, (uint32_t *)y); break;
    case 8:
      pad_kernel<unsigned long long><<<g, kThreads, 0, stream>>>(*p, (const unsigned long long *)x,
                                                                 (unsigned long long *)y);
      break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

template <typename E>
static cudaError_t slice_as(const ingot_ck_slice *p, const void *start_values, const void *stride_values,
                            int32_t values_int32, const void *x, void *y, cudaStream_t s) {
  if (values_int32)
    slice_kernel<E, int32_t><<<grid_for(p->volume), kThreads, 0, s>>>(*p, (const int32_t *)start_values,
                                                                     (const int32_t *)stride_values, (const E *)x, (E *)y);
  else
    slice_kernel<E, long long><<<grid_for(p->volume), kThreads, 0, s>>>(*p, (const long long *)start_values,
                                                                       (const long long *)stride_values, (const E *)x,
                                                                       (E *)y);
  return cudaGetLastError();
}

extern "C" cudaError_t ingot_ck_slice_run(int32_t elem_size, const ingot_ck_slice *p, const void *start_values,
                                          const void *stride_values, int32_t values_int32, const void *x, void *y,
                                          cudaStream_t stream) {
  if (p->volume <= 0) return cudaSuccess;
  if (p->rank < 1 || p->rank > INGOT_CK_MAX_DIMS) return cudaErrorInvalidValue;
  switch (elem_size) {
    case 1: return slice_as<uint8_t>(p, start_values, stride_values, values_int32, x, y, stream);
    case 2: return slice_as<uint16_t>(p, start_values, stride_values, values_int32, x, y, stream);
    case 4: return slice_as<uint32_t>(p, start_values, stride_values, values_int32, x, y, stream);
    case 8: return slice_as<unsigned long long>(p, start_values, stride_values, values_int32, x, y, stream);
    default: return cudaErrorInvalidValue;
  }
}
