/* The C launcher API of ingot's own CUDA kernels (the .cu files beside it). Plain C:
 * device pointers, sizes, small POD descriptors and a stream; the .cu files include only
 * this header and CUDA's, never ingot's. Dtype codes equal ingot_dtype's values (checked
 * by _Static_assert in cuda_kernel_table.c). Every launcher only enqueues work on
 * `stream` and returns a cudaError_t (0 on success); none allocates or synchronizes. */
#ifndef INGOT_BACKEND_CUDA_KERNELS_CK_LAUNCH_H
#define INGOT_BACKEND_CUDA_KERNELS_CK_LAUNCH_H

#include <stdbool.h>
#include <stdint.h>
#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
  INGOT_CK_F32 = 0, INGOT_CK_F16 = 1, INGOT_CK_BF16 = 2, INGOT_CK_I8 = 3,
  INGOT_CK_I32 = 4, INGOT_CK_I64 = 5, INGOT_CK_BOOL = 6, INGOT_CK_U8 = 7
};

#define INGOT_CK_MAX_DIMS 8
#define INGOT_CK_MAX_OPERANDS 3

/* A box of `rank` dims (outermost first) walked in row-major order; stride[k][d] is
 * operand k's element stride along dim d (0 where it broadcasts, negative allowed).
 * Built by ingot_ck_box_* in ck_box.c, which merges dims so rank is small. */
typedef struct ingot_ck_box {
  int32_t rank; /* 1..8 */
  int32_t nb_operands;
  int64_t dims[INGOT_CK_MAX_DIMS];
  int64_t stride[INGOT_CK_MAX_OPERANDS][INGOT_CK_MAX_DIMS];
  int64_t volume;
} ingot_ck_box;

/* ---- elementwise.cu ---------------------------------------------------------------------- */
/* y = a op b (op: ingot_elementwise_op); box operands 0 = a, 1 = b; y contiguous. dtype is
 * a's (and b's); y is bool for comparisons and logic. Integer division by zero gives 0. */
cudaError_t ingot_ck_binary(int32_t op, int32_t dtype, const ingot_ck_box *box, const void *a, const void *b, void *y,
                            cudaStream_t stream);
/* y = cond ? t : e; operands 0 = cond (bool), 1 = t, 2 = e; elem_size of t, e and y. */
cudaError_t ingot_ck_select(int32_t elem_size, const ingot_ck_box *box, const void *cond, const void *t, const void *e,
                            void *y, cudaStream_t stream);
/* y = x >= 0 ? x : slope * x; operands 0 = x, 1 = slope (of slope_dtype). */
cudaError_t ingot_ck_prelu(int32_t dtype, int32_t slope_dtype, const ingot_ck_box *box, const void *x,
                           const void *slope, void *y, cudaStream_t stream);

/* ---- unary.cu ---------------------------------------------------------------------------- */
/* Unary op (ingot_unary_op) over n contiguous elements; y_dtype is bool for isnan/isinf. */
cudaError_t ingot_ck_unary(int32_t op, int32_t x_dtype, int32_t y_dtype, int64_t n, const void *x, void *y,
                           cudaStream_t stream);
/* Activation (ingot_activation_type) over n contiguous float elements. */
cudaError_t ingot_ck_activation(int32_t type, float alpha, float beta, int32_t dtype, int64_t n, const void *x,
                                void *y, cudaStream_t stream);
/* Cast of n elements with the rules of ingot_network_add_cast. */
cudaError_t ingot_ck_cast(int32_t x_dtype, int32_t y_dtype, int64_t n, const void *x, void *y, cudaStream_t stream);

/* ---- softmax.cu -------------------------------------------------------------------------- */
/* Softmax (or log-softmax) of [outer, len, inner] along len, fp32 accumulation. */
cudaError_t ingot_ck_softmax(int32_t dtype, int32_t log, int64_t outer, int64_t len, int64_t inner, const void *x,
                             void *y, cudaStream_t stream);

/* ---- normalization.cu -------------------------------------------------------------------- */
/* Layer norm of `rows` contiguous rows of `len`: scale/bias hold `len` values each (bias may
 * be NULL), of their own dtypes. Two-pass statistics in fp32 from registers/L1. */
cudaError_t ingot_ck_layernorm(int32_t dtype, int64_t rows, int64_t len, float epsilon, const void *x,
                               int32_t scale_dtype, const void *scale, int32_t bias_dtype, const void *bias, void *y,
                               cudaStream_t stream);
/* Inference batch norm of [N, C, inner]; the four per-channel vectors share param_dtype. */
cudaError_t ingot_ck_batchnorm(int32_t dtype, int64_t n, int64_t c, int64_t inner, float epsilon, const void *x,
                               int32_t param_dtype, const void *scale, const void *bias, const void *mean,
                               const void *var, void *y, cudaStream_t stream);

/* ---- reduce.cu --------------------------------------------------------------------------- */
/* Reduce op (ingot_reduce_op) of [outer, len, inner] along len into [outer, inner]. */
cudaError_t ingot_ck_reduce(int32_t op, int32_t dtype, int64_t outer, int64_t len, int64_t inner, const void *x,
                            void *y, cudaStream_t stream);
/* The general case: box operand 0 gives x's strides over the kept dims (box.dims, the
 * output's), operand 1 over the reduced dims (their extents in red_dims, rank red_rank). */
cudaError_t ingot_ck_reduce_strided(int32_t op, int32_t dtype, const ingot_ck_box *kept, int32_t red_rank,
                                    const int64_t *red_dims, const int64_t *red_strides, int64_t count, const void *x,
                                    void *y, cudaStream_t stream);

/* ---- pooling.cu -------------------------------------------------------------------------- */
typedef struct ingot_ck_pool {
  int32_t type;           /* ingot_pooling_type */
  int32_t nsp;            /* 1..3 spatial dims */
  int32_t exclude_padding;
  int32_t channels_last;  /* x and y [N, spatial..., C] instead of [N, C, spatial...] */
  int64_t channels;       /* C */
  int64_t planes;         /* N * C */
  int64_t in[3], out[3], win[3], stride[3], dil[3], pre[3], post[3];
} ingot_ck_pool;
cudaError_t ingot_ck_pooling(int32_t dtype, const ingot_ck_pool *p, const void *x, void *y, cudaStream_t stream);

/* ---- movement.cu ------------------------------------------------------------------------- */
/* Strided copy of box elements of elem_size bytes: operand 0 = dst strides, 1 = src. */
cudaError_t ingot_ck_copy(int32_t elem_size, const ingot_ck_box *box, void *dst, const void *src, cudaStream_t stream);
/* Gather: y[o, k, i] = data[o, idx[k], i] for o < outer, k < nidx, i < inner; negative
 * indices count from axis_dim; an index out of range gives zeros (no crash). */
cudaError_t ingot_ck_gather(int32_t elem_size, int64_t outer, int64_t axis_dim, int64_t inner, int32_t idx_int32,
                            int64_t nidx, const void *data, const void *idx, void *y, cudaStream_t stream);

typedef struct ingot_ck_pad {
  int32_t mode; /* ingot_pad_mode */
  int32_t rank;
  int64_t out_dims[INGOT_CK_MAX_DIMS], in_dims[INGOT_CK_MAX_DIMS], in_strides[INGOT_CK_MAX_DIMS];
  int64_t pre[INGOT_CK_MAX_DIMS];
  uint64_t value_bits; /* the constant in the tensor's dtype, low elem_size bytes */
  int64_t volume;
} ingot_ck_pad;
cudaError_t ingot_ck_pad_run(int32_t elem_size, const ingot_ck_pad *p, const void *x, void *y, cudaStream_t stream);

/* Slice with start and stride read on the device (a slice whose bounds are computed values,
 * as exporters write for GPT's causal mask or YOLO's splits): out[c] = x[sum_d (start[d] +
 * c[d] * stride[d]) * in_strides[d]]. start_values / stride_values are device arrays of
 * `rank` int64 (values_int32: int32) numbers, or NULL to use p->start / p->stride.
 * Shape inference has checked on the host, from the same values, that every read is inside x. */
typedef struct ingot_ck_slice {
  int32_t rank;
  int64_t out_dims[INGOT_CK_MAX_DIMS], in_strides[INGOT_CK_MAX_DIMS];
  int64_t start[INGOT_CK_MAX_DIMS], stride[INGOT_CK_MAX_DIMS];
  int64_t volume;
} ingot_ck_slice;
cudaError_t ingot_ck_slice_run(int32_t elem_size, const ingot_ck_slice *p, const void *start_values,
                               const void *stride_values, int32_t values_int32, const void *x, void *y,
                               cudaStream_t stream);

/* ---- resize.cu --------------------------------------------------------------------------- */
typedef struct ingot_ck_resize {
  int32_t mode, coord, round; /* ingot_resize_mode / _coordinate_transform / _round_mode */
  int32_t rank;
  int64_t in_dims[INGOT_CK_MAX_DIMS], out_dims[INGOT_CK_MAX_DIMS];
  double scale[INGOT_CK_MAX_DIMS];  /* the given scale, or out / in */
  double length[INGOT_CK_MAX_DIMS]; /* ONNX's output length: in * scale */
  int32_t identity[INGOT_CK_MAX_DIMS]; /* dim copied as is */
  int64_t volume;
} ingot_ck_resize;
/* Nearest (dtype: any, moved as elem_size bytes) or n-linear (float dtypes) resize of a
 * contiguous tensor; coordinates in double, interpolation in fp32. */
cudaError_t ingot_ck_resize_run(int32_t dtype, int32_t elem_size, const ingot_ck_resize *p, const void *x, void *y, cudaStream_t stream);

/* ---- misc.cu ------------------------------------------------------------------------------ */
/* y = (x * scale + shift) ^ power with coefficient k = (i / inner) % channels (channels = 1,
 * inner = 1: uniform); each coefficient pointer may be NULL (absent), of its own dtype. */
cudaError_t ingot_ck_scale(int32_t dtype, int64_t n, int64_t inner, int64_t channels, const void *x,
                           int32_t shift_dtype, const void *shift, int32_t scale_dtype, const void *scale,
                           int32_t power_dtype, const void *power, void *y, cudaStream_t stream);
/* Cumulative sum of [outer, len, inner] along len (f32/f16/bf16 in fp32, int32, int64). */
cudaError_t ingot_ck_cumsum(int32_t dtype, int32_t exclusive, int32_t reverse, int64_t outer, int64_t len,
                            int64_t inner, const void *x, void *y, cudaStream_t stream);
/* QuantizeLinear: float32 x, float32 scale per channel ((i / inner) % channels), zero point
 * of y's dtype (int8 or uint8) or NULL. Dequantize: x of x_dtype (int8, uint8, int32). */
cudaError_t ingot_ck_quantize(int32_t y_dtype, int64_t n, int64_t inner, int64_t channels, const float *x,
                              const float *scale, const void *zero_point, void *y, cudaStream_t stream);
cudaError_t ingot_ck_dequantize(int32_t x_dtype, int64_t n, int64_t inner, int64_t channels, const void *x,
                                const float *scale, const void *zero_point, float *y, cudaStream_t stream);
/* Writes n elements of elem_size bytes, each the low bytes of value_bits. */
cudaError_t ingot_ck_fill(int32_t elem_size, int64_t n, uint64_t value_bits, void *y, cudaStream_t stream);
/* Writes `count` (<= 8) int64 values, passed by value (shape layer). */
typedef struct ingot_ck_values {
  int32_t count;
  int64_t v[INGOT_CK_MAX_DIMS];
} ingot_ck_values;
cudaError_t ingot_ck_write_values(const ingot_ck_values *values, int64_t *y, cudaStream_t stream);
/* GatherElements: y (dims of the indices, `box` operand 0 = data strides with the axis
 * stride 0) reads data at its own coordinates with the axis one replaced by the index;
 * negative indices count from axis_dim, out of range ones give zeros. */
cudaError_t ingot_ck_gather_elements(int32_t elem_size, const ingot_ck_box *box, int64_t axis_dim,
                                     int64_t axis_stride, int32_t idx_int32, const void *data, const void *idx,
                                     void *y, cudaStream_t stream);

/* ---- scatter.cu --------------------------------------------------------------------------- */
/* GatherND: `items` index tuples of `depth` (dims[t], strides[t] of the addressed data dims),
 * tuple i reading a slice of `inner` elements at batch (i / per_batch) * batch_stride +
 * sum(index * stride); out-of-range indices give zeros. */
typedef struct ingot_ck_nd {
  int32_t depth;
  int64_t items, per_batch, batch_stride, inner;
  int64_t dims[INGOT_CK_MAX_DIMS], strides[INGOT_CK_MAX_DIMS];
} ingot_ck_nd;
cudaError_t ingot_ck_gather_nd(int32_t elem_size, const ingot_ck_nd *nd, int32_t idx_int32, const void *data,
                               const void *idx, void *y, cudaStream_t stream);
/* ScatterND into y (which already holds data): update slice i goes to the tuple's place
 * (same descriptor, per_batch = items, batch_stride = 0), applied in index order so that
 * duplicates combine as the reference's sequential loop; reduction: ingot_scatter_reduction.
 * dtype: any for no reduction (moved by size), else f32/f16/bf16/i32/i64. */
cudaError_t ingot_ck_scatter_nd(int32_t dtype, int32_t elem_size, int32_t reduction, const ingot_ck_nd *nd,
                                int32_t idx_int32, const void *idx, const void *updates, void *y, cudaStream_t stream);
/* ScatterElements into y: box over the index dims with the axis left out (operand 0 = y
 * strides, 1 = index/update strides); each thread walks its line's axis_len updates in
 * order. */
cudaError_t ingot_ck_scatter_elements(int32_t dtype, int32_t elem_size, int32_t reduction, const ingot_ck_box *lines,
                                      int64_t axis_len, int64_t axis_dim, int64_t y_axis_stride,
                                      int64_t idx_axis_stride, int32_t idx_int32, const void *idx,
                                      const void *updates, void *y, cudaStream_t stream);

/* ---- topk.cu ------------------------------------------------------------------------------ */
/* TopK of [outer, n, inner] along n into values and int64 indices [outer, k, inner], best
 * first, in the reference's total order (NaN above every number; ties by lower index). */
cudaError_t ingot_ck_topk(int32_t dtype, int32_t min, int64_t outer, int64_t n, int64_t inner, int64_t k,
                          const void *x, void *values, int64_t *indices, cudaStream_t stream);

/* ---- attention.cu ------------------------------------------------------------------------- */
/* Fused attention O = softmax(scale * Q K^T + mask) V per batch and head, fp32 softmax and
 * accumulation, never materializing the scores in device memory: Q [batch, heads, sq, d],
 * K [batch, heads, sk, d], V [batch, heads, sk, dv], O [batch, heads, sq, dv] at any strides
 * (the last dim contiguous). The mask (broadcast through zero strides) is added to the
 * scaled scores, or, a bool one, replaces them by mask_fill where it equals mask_select. A
 * row whose scores are all -inf gives NaN, as the reference softmax does. */
typedef struct ingot_ck_attention_desc {
  int32_t dtype;                 /* INGOT_CK_F32, F16 or BF16: q, k, v, o and an additive mask */
  int64_t batch, heads, sq, sk, d, dv;
  float scale;
  const void *q, *k, *v;
  void *o;
  int64_t q_stride[3], k_stride[3], v_stride[3], o_stride[3]; /* elements per batch, head, position; the d dim has stride 1 */
  int32_t mask_kind;             /* 0 none, 1 additive (dtype), 2 bool (1 byte per element) */
  const void *mask;
  int64_t mask_stride[4];        /* elements per batch, head, query, key; 0 where it broadcasts */
  int32_t mask_select;
  float mask_fill;
} ingot_ck_attention_desc;
/* Tensor-core flash kernel: F16/BF16, d == dv in {64, 128}, 16-byte aligned rows (pointers and strides). */
bool ingot_ck_attention_flash_fits(const ingot_ck_attention_desc *a);
cudaError_t ingot_ck_attention_flash(const ingot_ck_attention_desc *a, cudaStream_t stream);
/* General kernel: any float dtype, any d and dv, any strides; up to 8 query rows per block with their sk scores in shared memory (fits when one row's fit). */
bool ingot_ck_attention_rows_fits(const ingot_ck_attention_desc *a);
cudaError_t ingot_ck_attention_rows(const ingot_ck_attention_desc *a, cudaStream_t stream);

#ifdef __cplusplus
}
#endif
#endif
