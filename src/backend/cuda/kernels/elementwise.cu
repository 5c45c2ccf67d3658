// Binary elementwise ops with numpy broadcasting (arithmetic, comparisons, logic, pow,
// mod), select and parametric relu. Same-shape operands take a vectorized path (16-byte
// loads, several in flight per thread); broadcasting decodes each output index over a
// merged box (ck_box.c), in 32-bit arithmetic whenever the offsets fit.
#include "ck_common.cuh"

namespace ingot_ck {
namespace {

// Op codes (ingot_elementwise_op).
enum { SUM, SUB, PROD, DIV, MIN, MAX, POW, FLOOR_DIV, MOD, FMOD, EQ, GT, GE, LT, LE, AND, OR, XOR, BIT_AND, BIT_OR,
       BIT_XOR, SHIFT_LEFT, SHIFT_RIGHT };

// numpy's divmod for floats: floor quotient, remainder with the divisor's sign.
__device__ __forceinline__ float f_divmod(float a, float b, float *mod_out) {
  float mod = fmodf(a, b);
  if (b == 0.0f) {
    *mod_out = mod;
    return a / b;
  }
  float div = (a - mod) / b;
  if (mod != 0.0f) {
    if ((b < 0.0f) != (mod < 0.0f)) {
      mod += b;
      div -= 1.0f;
    }
  } else {
    mod = copysignf(0.0f, b);
  }
  float fl;
  if (div != 0.0f) {
    fl = floorf(div);
    if (div - fl > 0.5f) fl += 1.0f;
  } else {
    fl = copysignf(0.0f, a / b);
  }
  *mod_out = mod;
  return fl;
}

__device__ __forceinline__ float op_f(int op, float x, float y) {
  float m;
  switch (op) {
    case SUM: return x + y;
    case SUB: return x - y;
    case PROD: return x * y;
    case DIV: return x / y;
    case MIN: return (isnan(x) || isnan(y)) ? __int_as_float(0x7fc00000) : fminf(x, y);
    case MAX: return (isnan(x) || isnan(y)) ? __int_as_float(0x7fc00000) : fmaxf(x, y);
    case POW: return powf(x, y);
    case FLOOR_DIV: return f_divmod(x, y, &m);
    case MOD: f_divmod(x, y, &m); return m;
    case FMOD: return fmodf(x, y);
    case EQ: return x == y;
    case GT: return x > y;
    case GE: return x >= y;
    case LT: return x < y;
    case LE: return x <= y;
    default: return 0.0f;
  }
}

typedef long long i64;
typedef unsigned long long u64;

// Integer ops wrap as numpy does; a zero divisor gives 0 (the device cannot fail a run;
// the CPU reference refuses it).
__device__ __forceinline__ i64 op_i(int op, i64 x, i64 y) {
  switch (op) {
    case SUM: return (i64)((u64)x + (u64)y);
    case SUB: return (i64)((u64)x - (u64)y);
    case PROD: return (i64)((u64)x * (u64)y);
    case DIV: return y == 0 ? 0 : (y == -1 ? (i64)(0 - (u64)x) : x / y);
    case MIN: return y < x ? y : x;
    case MAX: return y > x ? y : x;
    case POW: {
      if (y < 0) return x == 1 ? 1 : (x == -1 ? ((y & 1) ? -1 : 1) : 0);
      u64 base = (u64)x, r = 1;
      for (u64 e = (u64)y; e; e >>= 1) {
        if (e & 1) r *= base;
        base *= base;
      }
      return (i64)r;
    }
    case FLOOR_DIV: {
      if (y == 0) return 0;
      if (y == -1) return (i64)(0 - (u64)x);
      i64 q = x / y;
      if (x % y != 0 && ((x < 0) != (y < 0))) q--;
      return q;
    }
    case MOD: {
      if (y == 0 || y == -1) return 0;
      i64 r = x % y;
      if (r != 0 && ((r < 0) != (y < 0))) r += y;
      return r;
    }
    case FMOD: return (y == 0 || y == -1) ? 0 : x % y;
    case EQ: return x == y;
    case GT: return x > y;
    case GE: return x >= y;
    case LT: return x < y;
    case LE: return x <= y;
    case AND: return x && y;
    case OR: return x || y;
    case XOR: return (x != 0) != (y != 0);
    case BIT_AND: return x & y;
    case BIT_OR: return x | y;
    case BIT_XOR: return x ^ y;
    /* on the value widened to int64 (uint8 zero-extended): the store truncates to the dtype */
    case SHIFT_LEFT: return y < 0 || y >= 64 ? 0 : (i64)((u64)x << y);
    case SHIFT_RIGHT: return y < 0 ? 0 : y >= 64 ? (x < 0 ? -1 : 0) : x >> y;
    default: return 0;
  }
}

template <typename T> __device__ __forceinline__ float apply(int op, float x, float y) { return op_f(op, x, y); }
template <typename T> __device__ __forceinline__ i64 apply(int op, i64 x, i64 y) { return op_i(op, x, y); }

template <typename T, typename Y>
__device__ __forceinline__ Y bin(int op, T a, T b) {
  typedef Num<T> N;
  auto r = apply<T>(op, N::ld(a), N::ld(b));
  return Num<Y>::st((typename Num<Y>::W)r);
}
// Comparisons and logic store 0/1 bytes.
template <> __device__ __forceinline__ uint8_t bin<float, uint8_t>(int op, float a, float b) {
  return op_f(op, a, b) != 0.0f;
}
template <> __device__ __forceinline__ uint8_t bin<__half, uint8_t>(int op, __half a, __half b) {
  return op_f(op, __half2float(a), __half2float(b)) != 0.0f;
}
template <> __device__ __forceinline__ uint8_t bin<__nv_bfloat16, uint8_t>(int op, __nv_bfloat16 a, __nv_bfloat16 b) {
  return op_f(op, __bfloat162float(a), __bfloat162float(b)) != 0.0f;
}

template <typename T, int V> struct alignas(sizeof(T) * V) Pack {
  T v[V];
};

// Same-shape operands: V elements per step (16 bytes of T), pointers 16-byte aligned.
template <typename T, typename Y, int V>
__global__ void binary_vec(int op, int64_t n, const T *__restrict__ a, const T *__restrict__ b, Y *__restrict__ y) {
  int64_t packs = n / V;
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t p = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; p < packs; p += stride) {
    Pack<T, V> pa = ((const Pack<T, V> *)a)[p], pb = ((const Pack<T, V> *)b)[p];
    Pack<Y, V> py;
#pragma unroll
    for (int k = 0; k < V; k++) py.v[k] = bin<T, Y>(op, pa.v[k], pb.v[k]);
    ((Pack<Y, V> *)y)[p] = py;
  }
  for (int64_t i = packs * V + (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
    y[i] = bin<T, Y>(op, a[i], b[i]);
}

template <typename T, typename Y, typename IndexT>
__global__ void binary_box(int op, ingot_ck_box box, const T *__restrict__ a, const T *__restrict__ b,
                           Y *__restrict__ y) {
  IndexT n = (IndexT)box.volume, stride = (IndexT)gridDim.x * blockDim.x;
  for (IndexT i = (IndexT)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    IndexT off[2];
    box_offsets<2, IndexT>(box, i, off);
    y[i] = bin<T, Y>(op, a[off[0]], b[off[1]]);
  }
}

// Broadcasting with rows of the innermost dim a multiple of V long: each thread decodes
// the offsets of V consecutive outputs once and walks them (input strides 0 or 1 there),
// storing the V results as one 16-byte (or narrower) store.
template <typename T, typename Y, int V>
__global__ void binary_rows(int op, ingot_ck_box box, const T *__restrict__ a, const T *__restrict__ b,
                            Y *__restrict__ y) {
  int32_t packs = (int32_t)(box.volume / V), stride = (int32_t)(gridDim.x * blockDim.x);
  int32_t sa = (int32_t)box.stride[0][box.rank - 1], sb = (int32_t)box.stride[1][box.rank - 1];
  for (int32_t p = (int32_t)(blockIdx.x * blockDim.x + threadIdx.x); p < packs; p += stride) {
    int32_t off[2];
    box_offsets<2, int32_t>(box, p * V, off);
    Pack<Y, V> py;
#pragma unroll
    for (int k = 0; k < V; k++) py.v[k] = bin<T, Y>(op, a[off[0] + k * sa], b[off[1] + k * sb]);
    ((Pack<Y, V> *)y)[p] = py;
  }
}

bool same_shape(const ingot_ck_box &b) {
  if (b.rank != 1) return false;
  for (int k = 0; k < b.nb_operands; k++)
    if (b.stride[k][0] != 1) return false;
  return true;
}

bool aligned16(const void *p) { return ((uintptr_t)p & 15u) == 0; }

template <typename T, typename Y>
cudaError_t launch_binary(int op, const ingot_ck_box &box, const void *a, const void *b, void *y, cudaStream_t s) {
  constexpr int V = 16 / sizeof(T) < 1 ? 1 : 16 / sizeof(T);
  if (same_shape(box) && aligned16(a) && aligned16(b) && aligned16(y)) {
    binary_vec<T, Y, V><<<grid_for(box.volume, V), kThreads, 0, s>>>(op, box.volume, (const T *)a, (const T *)b,
                                                                      (Y *)y);
  } else if (box_fits_int32(box) && box.dims[box.rank - 1] % V == 0 && aligned16(y)) {
    binary_rows<T, Y, V><<<grid_for(box.volume, V), kThreads, 0, s>>>(op, box, (const T *)a, (const T *)b, (Y *)y);
  } else if (box_fits_int32(box)) {
    binary_box<T, Y, int32_t><<<grid_for(box.volume), kThreads, 0, s>>>(op, box, (const T *)a, (const T *)b, (Y *)y);
  } else {
    binary_box<T, Y, int64_t><<<grid_for(box.volume), kThreads, 0, s>>>(op, box, (const T *)a, (const T *)b, (Y *)y);
  }
  return cudaGetLastError();
}

// ---- select and prelu: broadcasting decode only (they are rare and light) -------------

template <typename E, typename IndexT>
__global__ void select_box(ingot_ck_box box, const uint8_t *__restrict__ c, const E *__restrict__ t,
                           const E *__restrict__ e, E *__restrict__ y) {
  IndexT n = (IndexT)box.volume, stride = (IndexT)gridDim.x * blockDim.x;
  for (IndexT i = (IndexT)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    IndexT off[3];
    box_offsets<3, IndexT>(box, i, off);
    y[i] = c[off[0]] ? t[off[1]] : e[off[2]];
  }
}

template <typename E>
cudaError_t launch_select(const ingot_ck_box &box, const void *c, const void *t, const void *e, void *y,
                          cudaStream_t s) {
  if (box_fits_int32(box))
    select_box<E, int32_t><<<grid_for(box.volume), kThreads, 0, s>>>(box, (const uint8_t *)c, (const E *)t,
                                                                       (const E *)e, (E *)y);
  else
    select_box<E, int64_t><<<grid_for(box.volume), kThreads, 0, s>>>(box, (const uint8_t *)c, (const E *)t,
                                                                       (const E *)e, (E *)y);
  return cudaGetLastError();
}

template <typename T>
__global__ void prelu_box(ingot_ck_box box, const T *__restrict__ x, int32_t slope_dtype, const void *slope,
                          T *__restrict__ y) {
  int64_t n = box.volume, stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t off[2];
    box_offsets<2, int64_t>(box, i, off);
    float v = Num<T>::ld(x[off[0]]);
    y[i] = Num<T>::st(v >= 0.0f ? v : ld_float(slope, slope_dtype, off[1]) * v);
  }
}

}  // namespace
}  // namespace ingot_ck

using namespace ingot_ck;

extern "C" cudaError_t ingot_ck_binary(int32_t op, int32_t dtype, const ingot_ck_box *box, const void *a,
                                       const void *b, void *y, cudaStream_t stream) {
  if (box->volume <= 0) return cudaSuccess;
  bool to_bool = op >= EQ && op <= XOR;
  if (to_bool) {
    INGOT_CK_ANY_SWITCH(dtype, T, return launch_binary<T, uint8_t>(op, *box, a, b, y, stream));
  }
  INGOT_CK_ANY_SWITCH(dtype, T, return launch_binary<T, T>(op, *box, a, b, y, stream));
  return cudaErrorInvalidValue;
}

extern "C" cudaError_t ingot_ck_select(int32_t elem_size, const ingot_ck_box *box, const void *cond, const void *t,
                                       const void *e, void *y, cudaStream_t stream) {
  if (box->volume <= 0) return cudaSuccess;
  switch (elem_size) {
    case 1: return launch_select<uint8_t>(*box, cond, t, e, y, stream);
    case 2: return launch_select<uint16_t>(*box, cond, t, e, y, stream);
    case 4: return launch_select<uint32_t>(*box, cond, t, e, y, stream);
    case 8: return launch_select<unsigned long long>(*box, cond, t, e, y, stream);
    default: return cudaErrorInvalidValue;
  }
}

extern "C" cudaError_t ingot_ck_prelu(int32_t dtype, int32_t slope_dtype, const ingot_ck_box *box, const void *x,
                                      const void *slope, void *y, cudaStream_t stream) {
  if (box->volume <= 0) return cudaSuccess;
  INGOT_CK_FLOAT_SWITCH(dtype, T,
                        prelu_box<T><<<grid_for(box->volume), kThreads, 0, stream>>>(*box, (const T *)x, slope_dtype,
                                                                                   slope, (T *)y));
  return cudaGetLastError();
}
