// One-input elementwise kernels over contiguous tensors: unary math, activations and
// casts. All go through one vectorized map (16-byte loads of the wider side when the
// pointers allow, several elements in flight per thread).
#include "ck_common.cuh"

namespace ingot_ck {
namespace {

template <typename T, int V> struct alignas(sizeof(T) * V) Pack {
  T v[V];
};

template <typename X, typename Y, int V, typename F>
__global__ void map_kernel(int64_t n, const X *__restrict__ x, Y *__restrict__ y, F f, bool vec) {
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  int64_t start = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  int64_t done = 0;
  if (vec) {
    int64_t packs = n / V;
    for (int64_t p = start; p < packs; p += stride) {
      Pack<X, V> px = ((const Pack<X, V> *)x)[p];
      Pack<Y, V> py;
#pragma unroll
      for (int k = 0; k < V; k++) py.v[k] = f(px.v[k]);
      ((Pack<Y, V> *)y)[p] = py;
    }
    done = packs * V;
  }
  for (int64_t i = done + start; i < n; i += stride) y[i] = f(x[i]);
}

template <typename X, typename Y, typename F>
cudaError_t map(int64_t n, const void *x, void *y, F f, cudaStream_t s) {
  if (n <= 0) return cudaSuccess;
  constexpr int WIDE = sizeof(X) > sizeof(Y) ? sizeof(X) : sizeof(Y);
  constexpr int V = 16 / WIDE;
  bool vec = (((uintptr_t)x | (uintptr_t)y) & 15u) == 0;
  map_kernel<X, Y, V, F><<<grid_for(n, vec ? V : 1), kThreads, 0, s>>>(n, (const X *)x, (Y *)y, f, vec);
  return cudaGetLastError();
}

// ---- unary (ingot_unary_op) --------------------------------------------------------------

enum { EXP, LOG, SQRT, ABS, NEG, RECIP, FLOOR, CEIL, ROUND, SIN, COS, TAN, ASIN, ACOS, ATAN, SINH, COSH, ASINH,
       ACOSH, ATANH, ERF, NOT, SIGN, ISNAN, ISINF, BIT_NOT };

__device__ __forceinline__ float unary_f(int op, float x) {
  switch (op) {
    case EXP: return expf(x);
    case LOG: return logf(x);
    case SQRT: return sqrtf(x);
    case ABS: return fabsf(x);
    case NEG: return -x;
    case RECIP: return 1.0f / x;
    case FLOOR: return floorf(x);
    case CEIL: return ceilf(x);
    case ROUND: return rintf(x); /* the GPU's default rounding is half to even */
    case SIN: return sinf(x);
    case COS: return cosf(x);
    case TAN: return tanf(x);
    case ASIN: return asinf(x);
    case ACOS: return acosf(x);
    case ATAN: return atanf(x);
    case SINH: return sinhf(x);
    case COSH: return coshf(x);
    case ASINH: return asinhf(x);
    case ACOSH: return acoshf(x);
    case ATANH: return atanhf(x);
    case ERF: return erff(x);
    case SIGN: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : x);
    default: return x;
  }
}

template <typename T> struct UnaryFloat {
  int op;
  __device__ T operator()(T v) const { return Num<T>::st(unary_f(op, Num<T>::ld(v))); }
};
template <typename T> struct UnaryInt {
  int op;
  __device__ T operator()(T v) const {
    long long x = v;
    unsigned long long neg = 0ull - (unsigned long long)x;
    switch (op) {
      case ABS: return (T)(x < 0 ? (long long)neg : x);
      case NEG: return (T)(long long)neg;
      case SIGN: return (T)((x > 0) - (x < 0));
      case BIT_NOT: return (T)~x;
      default: return v;
    }
  }
};
template <typename T> struct Classify {
  int op;
  __device__ uint8_t operator()(T v) const {
    float x = Num<T>::ld(v);
    return op == ISNAN ? (uint8_t)(isnan(x) != 0) : (uint8_t)(isinf(x) != 0);
  }
};
struct NotBool {
  __device__ uint8_t operator()(uint8_t v) const { return v ? 0 : 1; }
};

// ---- activations (ingot_activation_type) --------------------------------------------------

enum { RELU, LEAKY, SIGMOID, TANH, ELU, SELU, SOFTPLUS, SOFTSIGN, CLIP, HSIGMOID, HSWISH, GELU_ERF, GELU_TANH, SILU,
       MISH, SCALED_TANH, THRESH_RELU };

__device__ __forceinline__ float softplus(float t) { return t > 0.0f ? t + log1pf(expf(-t)) : log1pf(expf(t)); }
__device__ __forceinline__ float sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  float e = expf(x);
  return e / (1.0f + e);
}

__device__ __forceinline__ float activation(int type, float a, float b, float x) {
  switch (type) {
    case RELU: return x < 0.0f ? 0.0f : x;
    case LEAKY: return x >= 0.0f ? x : a * x;
    case SIGMOID: return sigmoid(x);
    case TANH: return tanhf(x);
    case ELU: return x >= 0.0f ? x : a * expm1f(x);
    case SELU: return b * (x >= 0.0f ? x : a * expm1f(x));
    case SOFTPLUS: return a * softplus(b * x);
    case SOFTSIGN: return x / (1.0f + fabsf(x));
    case CLIP: return x < a ? a : (x > b ? b : x);
    case HSIGMOID: return fminf(fmaxf(a * x + b, 0.0f), 1.0f);
    case HSWISH: return x * fminf(fmaxf(x / 6.0f + 0.5f, 0.0f), 1.0f);
    case GELU_ERF: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752440f));
    case GELU_TANH: return 0.5f * x * (1.0f + tanhf(0.79788456080286535588f * (x + 0.044715f * x * x * x)));
    case SILU: return x * sigmoid(x);
    case MISH: return x * tanhf(softplus(x));
    case SCALED_TANH: return a * tanhf(b * x);
    case THRESH_RELU: return x > a ? x : 0.0f;
    default: return x;
  }
}

template <typename T> struct Act {
  int type;
  float a, b;
  __device__ T operator()(T v) const { return Num<T>::st(activation(type, a, b, Num<T>::ld(v))); }
};

// ---- cast ------------------------------------------------------------------------------

// float -> integer: NaN gives 0, values at or past [lo, hi) clamp to the target's range
// (checked before converting, as C leaves out-of-range conversions undefined).
template <typename Y>
__device__ __forceinline__ Y float_to_int(float x, float lo, float hi, long long lo_val, long long hi_val) {
  if (x != x) return 0;
  if (x >= hi) return (Y)hi_val;
  if (x <= lo) return (Y)lo_val;
  return (Y)(long long)x;
}

template <typename X, typename Y> struct Cast {
  __device__ Y operator()(X v) const { return (Y)v; } /* int -> int: keeps the low bits */
};
template <typename X> struct CastToBool {
  __device__ uint8_t operator()(X v) const { return Num<X>::ld(v) != 0; }
};
template <typename X> struct FromBool {
  __device__ X operator()(uint8_t v) const { return Num<X>::st((typename Num<X>::W)(v != 0)); }
};
template <typename X, typename Y> struct FloatToFloat {
  __device__ Y operator()(X v) const { return Num<Y>::st(Num<X>::ld(v)); }
};
template <typename X, typename Y> struct IntToFloat {
  __device__ Y operator()(X v) const { return Num<Y>::st((float)(long long)v); }
};
template <typename X, typename Y> struct FloatToInt {
  __device__ Y operator()(X v) const {
    float x = Num<X>::ld(v);
    if (sizeof(Y) == 8) return float_to_int<Y>(x, -9223372036854775808.0f, 9223372036854775808.0f, INT64_MIN, INT64_MAX);
    if (sizeof(Y) == 4) return float_to_int<Y>(x, -2147483648.0f, 2147483648.0f, INT32_MIN, INT32_MAX);
    if ((Y)-1 > 0) return float_to_int<Y>(x, -1.0f, 255.0f, 0, 255); /* uint8: (-1, 0) truncates to 0 */
    return float_to_int<Y>(x, -128.0f, 127.0f, -128, 127);
  }
};

bool is_float(int32_t dt) { return dt == INGOT_CK_F32 || dt == INGOT_CK_F16 || dt == INGOT_CK_BF16; }

template <typename X>
cudaError_t cast_from(int32_t x_dtype, int32_t y_dtype, int64_t n, const void *x, void *y, cudaStream_t s) {
  if (y_dtype == INGOT_CK_BOOL) return map<X, uint8_t>(n, x, y, CastToBool<X>{}, s);
  if (x_dtype == INGOT_CK_BOOL) {
    INGOT_CK_ANY_SWITCH(y_dtype, Y, return map<uint8_t, Y>(n, x, y, FromBool<Y>{}, s));
  }
  if (is_float(x_dtype)) {
    switch (y_dtype) {
      case INGOT_CK_F32: return map<X, float>(n, x, y, FloatToFloat<X, float>{}, s);
      case INGOT_CK_F16: return map<X, __half>(n, x, y, FloatToFloat<X, __half>{}, s);
      case INGOT_CK_BF16: return map<X, __nv_bfloat16>(n, x, y, FloatToFloat<X, __nv_bfloat16>{}, s);
      case INGOT_CK_I8: return map<X, int8_t>(n, x, y, FloatToInt<X, int8_t>{}, s);
      case INGOT_CK_U8: return map<X, uint8_t>(n, x, y, FloatToInt<X, uint8_t>{}, s);
      case INGOT_CK_I32: return map<X, int32_t>(n, x, y, FloatToInt<X, int32_t>{}, s);
      case INGOT_CK_I64: return map<X, long long>(n, x, y, FloatToInt<X, long long>{}, s);
      default: return cudaErrorInvalidValue;
    }
  }
  switch (y_dtype) {
    case INGOT_CK_F32: return map<X, float>(n, x, y, IntToFloat<X, float>{}, s);
    case INGOT_CK_F16: return map<X, __half>(n, x, y, IntToFloat<X, __half>{}, s);
    case INGOT_CK_BF16: return map<X, __nv_bfloat16>(n, x, y, IntToFloat<X, __nv_bfloat16>{}, s);
    case INGOT_CK_I8: return map<X, int8_t>(n, x, y, Cast<X, int8_t>{}, s);
    case INGOT_CK_U8: return map<X, uint8_t>(n, x, y, Cast<X, uint8_t>{}, s);
    case INGOT_CK_I32: return map<X, int32_t>(n, x, y, Cast<X, int32_t>{}, s);
    case INGOT_CK_I64: return map<X, long long>(n, x, y, Cast<X, long long>{}, s);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace
}  // namespace ingot_ck

using namespace ingot_ck;

extern "C" cudaError_t ingot_ck_unary(int32_t op, int32_t x_dtype, int32_t y_dtype, int64_t n, const void *x,
                                      void *y, cudaStream_t stream) {
  if (op == NOT) return map<uint8_t, uint8_t>(n, x, y, NotBool{}, stream);
  if (op == ISNAN || op == ISINF) {
    INGOT_CK_FLOAT_SWITCH(x_dtype, T, return map<T, uint8_t>(n, x, y, Classify<T>{op}, stream));
  }
  switch (x_dtype) {
    case INGOT_CK_I8: return map<int8_t, int8_t>(n, x, y, UnaryInt<int8_t>{op}, stream);
    case INGOT_CK_U8: return map<uint8_t, uint8_t>(n, x, y, UnaryInt<uint8_t>{op}, stream);
    case INGOT_CK_I32: return map<int32_t, int32_t>(n, x, y, UnaryInt<int32_t>{op}, stream);
    case INGOT_CK_I64: return map<long long, long long>(n, x, y, UnaryInt<long long>{op}, stream);
    default: break;
  }
  (void)y_dtype;
  INGOT_CK_FLOAT_SWITCH(x_dtype, T, return map<T, T>(n, x, y, UnaryFloat<T>{op}, stream));
  return cudaErrorInvalidValue;
}

extern "C" cudaError_t ingot_ck_activation(int32_t type, float alpha, float beta, int32_t dtype, int64_t n,
                                           const void *x, void *y, cudaStream_t stream) {
  INGOT_CK_FLOAT_SWITCH(dtype, T, return map<T, T>(n, x, y, Act<T>{type, alpha, beta}, stream));
  return cudaErrorInvalidValue;
}

extern "C" cudaError_t ingot_ck_cast(int32_t x_dtype, int32_t y_dtype, int64_t n, const void *x, void *y,
                                     cudaStream_t stream) {
  if (x_dtype == y_dtype) {
    INGOT_CK_ANY_SWITCH(x_dtype, T,
                        return n > 0 ? cudaMemcpyAsync(y, x, (size_t)n * sizeof(T), cudaMemcpyDeviceToDevice, stream)
                                     : cudaSuccess);
  }
  INGOT_CK_ANY_SWITCH(x_dtype, X, return cast_from<X>(x_dtype, y_dtype, n, x, y, stream));
  return cudaErrorInvalidValue;
}
