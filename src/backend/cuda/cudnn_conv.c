/* cuDNN convolution tactics (2-D and 3-D, 1-D as 2-D with a unit height; groups and
 * dilation), with the epilogue fused where cuDNN allows: conv + bias + relu (+ residual
 * as cuDNN's z input) in one cudnnConvolutionBiasActivationForward call; otherwise the
 * convolution (residual accumulated through beta = 1), then the bias (cudnnAddTensor)
 * and any other activation in place (the backend's own activation kernel). Layout: NCHW,
 * ingot's tensor layout, or NHWC for nodes the builder's layout pass made channels last
 * (params.channels_last: tensors [N, spatial..., C], filters KRSC, already permuted in
 * the plan's constants), which the fp16/bf16 tensor-core kernels read without cuDNN's
 * internal transposes. Each cuDNN forward algorithm
 * is its own tactic row, timed by the builder; an algorithm that cannot run a layer asks
 * for unbounded workspace and so drops out. fp32 runs with tf32 ("_tf32" rows: cuDNN's
 * default math) or without (FMA math); fp16 and bf16 accumulate in fp32. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cuda_common.h"
#include "backend/cuda/kernels/ck_launch.h"
#include "core/alloc.h"
#include "core/dims.h"
#include "ops/conv_geometry.h"

#define DNN_MAGIC 0x4e4e4469 /* "iDNN" */
#define NO_WORKSPACE UINT64_MAX

enum { MODE_TF32 = 0, MODE_F32 = 1, MODE_HALF = 2 };

typedef struct dnn_choice {
  int32_t magic, mode, algo, reserved;
} dnn_choice;

typedef struct dnn_state {
  cudnnTensorDescriptor_t x, y, bias;
  cudnnFilterDescriptor_t w;
  cudnnConvolutionDescriptor_t conv;
  cudnnActivationDescriptor_t act;
  cudnnConvolutionFwdAlgo_t algo;
  bool fused, has_bias, has_residual, has_act;
  size_t workspace;
} dnn_state;

/* The layer as cuDNN's Nd descriptors see it (at least 2 spatial dims). */
typedef struct dnn_shape {
  int nb; /* tensor rank: 4 or 5 */
  int x[5], w[5], y[5];
  int pad[3], stride[3], dilation[3];
  int groups;
  int activation; /* ingot activation or -1 */
  bool has_bias, has_residual;
  bool channels_last; /* memory NHWC / KRSC; dims above stay in cuDNN's logical NCHW order */
  ingot_dtype dtype;
} dnn_shape;

static bool fits_int(int64_t v) { return v >= 0 && v <= INT32_MAX; }

static bool describe(const ingot_node *node, const ingot_tensor_view *in, const ingot_tensor_view *out, dnn_shape *s) {
  const ingot_conv_params *p = &node->params.conv;
  memset(s, 0, sizeof *s);
  int sp = p->nb_spatial_dims;
  if (sp < 1 || sp > 3 || in[0].dims.nb_dims != sp + 2 || out[0].dims.nb_dims != sp + 2 || in[1].dims.nb_dims != sp + 2)
    return false;
  s->dtype = out[0].dtype;
  if (s->dtype != INGOT_FLOAT32 && s->dtype != INGOT_FLOAT16 && s->dtype != INGOT_BFLOAT16) return false;
  for (int32_t i = 0; i < node->nb_inputs; i++)
    if (in[i].dims.nb_dims >= 0 && in[i].dtype != s->dtype) return false;
  int a = p->epilogue.activation;
  if (a >= INGOT_ACTIVATION_TYPE_COUNT) return false;
  s->activation = a;
  s->groups = (int)(p->groups > 0 ? p->groups : 1);
  int lead = sp == 1 ? 1 : 0; /* 1-D: a unit height in front */
  int nsp = sp + lead;
  s->nb = nsp + 2;
  s->channels_last = p->channels_last != 0;
  /* where ingot keeps channels and spatial dim d (the same for x, w and y) */
  const int cax = ingot_channel_axis(p->channels_last, sp + 2);
  s->x[0] = (int)in[0].dims.d[0], s->x[1] = (int)in[0].dims.d[cax];
  s->w[0] = (int)in[1].dims.d[0], s->w[1] = (int)in[1].dims.d[cax];
  s->y[0] = (int)out[0].dims.d[0], s->y[1] = (int)out[0].dims.d[cax];
  const int64_t lead_dims[2] = {0, cax};
  for (int k = 0; k < 2; k++) {
    int a = (int)lead_dims[k];
    if (!fits_int(in[0].dims.d[a]) || !fits_int(in[1].dims.d[a]) || !fits_int(out[0].dims.d[a])) return false;
  }
  for (int i = 0; i < nsp; i++) {
    int d = i - lead; /* ingot's spatial index, -1 for the unit height */
    int a = d < 0 ? 0 : ingot_spatial_axis(p->channels_last, d);
    int64_t xi = d < 0 ? 1 : in[0].dims.d[a], wi = d < 0 ? 1 : in[1].dims.d[a];
    int64_t yi = d < 0 ? 1 : out[0].dims.d[a];
    int64_t st = d < 0 ? 1 : p->stride[d], dil = d < 0 ? 1 : p->dilation[d];
    if (st <= 0) st = 1;
    if (dil <= 0) dil = 1;
    int64_t pre = 0, post = 0;
    if (d >= 0) {
      if (p->padding_mode == INGOT_PADDING_EXPLICIT) {
        pre = p->pre_padding[d], post = p->post_padding[d];
      } else if (p->padding_mode != INGOT_PADDING_VALID) {
        int64_t total = (yi - 1) * st + (wi - 1) * dil + 1 - xi;
        if (total < 0) total = 0;
        pre = p->padding_mode == INGOT_PADDING_SAME_UPPER ? total / 2 : total - total / 2;
        post = total - pre;
      }
    }
    if (pre != post) return false; /* cuDNN pads symmetrically */
    if (!fits_int(xi) || !fits_int(wi) || !fits_int(yi) || !fits_int(pre) || !fits_int(st) || !fits_int(dil))
      return false;
    s->x[2 + i] = (int)xi, s->w[2 + i] = (int)wi, s->y[2 + i] = (int)yi;
    s->pad[i] = (int)pre, s->stride[i] = (int)st, s->dilation[i] = (int)dil;
    if ((xi + 2 * pre - (wi - 1) * dil - 1) / st + 1 != yi) return false;
  }
  if (s->x[1] != s->w[1] * s->groups || s->y[1] != s->w[0]) return false;
  s->has_bias = p->has_bias != 0;
  if (s->has_bias && (node->nb_inputs < 3 || in[2].dims.nb_dims < 0 || ingot_dims_volume(&in[2].dims) != s->y[1]))
    return false;
  s->has_residual = p->epilogue.has_residual != 0;
  if (s->has_residual && !ingot_dims_equal(&in[node->nb_inputs - 1].dims, &out[0].dims)) return false;
  return true;
}

static bool dnn_supports(const ingot_node *n, const ingot_tensor_view *in, const ingot_tensor_view *out, int mode) {
  dnn_shape s;
  if (!describe(n, in, out, &s)) return false;
  return mode == MODE_HALF ? s.dtype != INGOT_FLOAT32 : s.dtype == INGOT_FLOAT32;
}

static ingot_status dnn_prepare(const ingot_kernel_args *args, int mode, int algo, void **out, uint64_t *size) {
  dnn_choice *c = ingot_calloc(1, sizeof *c);
  if (!c) return INGOT_OUT_OF_MEMORY;
  c->magic = DNN_MAGIC, c->mode = mode, c->algo = algo;
  *out = c;
  *size = sizeof *c;
  return INGOT_SUCCESS;
}

static void dnn_destroy_state(void *state) {
  dnn_state *s = state;
  if (!s) return;
  if (s->x) cudnnDestroyTensorDescriptor(s->x);
  if (s->y) cudnnDestroyTensorDescriptor(s->y);
  if (s->bias) cudnnDestroyTensorDescriptor(s->bias);
  if (s->w) cudnnDestroyFilterDescriptor(s->w);
  if (s->conv) cudnnDestroyConvolutionDescriptor(s->conv);
  if (s->act) cudnnDestroyActivationDescriptor(s->act);
  free(s);
}

/* Strides of a packed tensor whose logical dims are [N, C, spatial...]: NCHW, or with
 * channels_last NHWC (C innermost, then the spatial dims, N outermost). */
static void packed_strides(int nb, const int *dims, int *strides, bool channels_last) {
  if (!channels_last) {
    strides[nb - 1] = 1;
    for (int i = nb - 2; i >= 0; i--) strides[i] = strides[i + 1] * dims[i + 1];
    return;
  }
  int s = 1;
  strides[1] = s;
  s *= dims[1];
  for (int i = nb - 1; i >= 2; i--) {
    strides[i] = s;
    s *= dims[i];
  }
  strides[0] = s;
}

#define DNN_TRY(call, what)                                     \
  do {                                                          \
    cudnnStatus_t dnn_st_ = (call);                             \
    if (dnn_st_ != CUDNN_STATUS_SUCCESS) {                      \
      dnn_destroy_state(s);                                     \
      return ingot_cudnn_fail(dnn_st_, what, args->node);       \
    }                                                           \
  } while (0)

/* Descriptors and workspace size for these shapes; the algorithm is the row's. */
static ingot_status make_state(const ingot_kernel_args *args, dnn_state **state_out) {
  *state_out = NULL;
  const dnn_choice *choice = args->prepared;
  if (!choice || args->prepared_size != sizeof *choice || choice->magic != DNN_MAGIC)
    return ingot_node_fail(args->node, INGOT_INVALID_PLAN, "cuDNN tactic: prepared block missing or damaged");
  const ingot_cuda_handles *h = args->device_handles;
  if (!h) return ingot_node_fail(args->node, INGOT_INVALID_STATE, "cuDNN tactic used without device handles");
  dnn_shape sh;
  if (!describe(args->node, args->inputs, args->outputs, &sh))
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "cuDNN convolution does not support these shapes or dtypes");
  dnn_state *s = ingot_calloc(1, sizeof *s);
  if (!s) return INGOT_OUT_OF_MEMORY;
  cudnnDataType_t dt;
  ingot_cudnn_data_type(sh.dtype, &dt);
  int strides[5], bias_dims[5] = {1, sh.y[1], 1, 1, 1}, bias_strides[5];
  DNN_TRY(cudnnCreateTensorDescriptor(&s->x), "create x descriptor");
  packed_strides(sh.nb, sh.x, strides, sh.channels_last);
  DNN_TRY(cudnnSetTensorNdDescriptor(s->x, dt, sh.nb, sh.x, strides), "x descriptor");
  DNN_TRY(cudnnCreateTensorDescriptor(&s->y), "create y descriptor");
  packed_strides(sh.nb, sh.y, strides, sh.channels_last);
  DNN_TRY(cudnnSetTensorNdDescriptor(s->y, dt, sh.nb, sh.y, strides), "y descriptor");
  DNN_TRY(cudnnCreateTensorDescriptor(&s->bias), "create bias descriptor");
  packed_strides(sh.nb, bias_dims, bias_strides, sh.channels_last);
  DNN_TRY(cudnnSetTensorNdDescriptor(s->bias, dt, sh.nb, bias_dims, bias_strides), "bias descriptor");
  DNN_TRY(cudnnCreateFilterDescriptor(&s->w), "create filter descriptor");
  /* filter dims are logical KCRS either way; the format says how they lie in memory */
  DNN_TRY(cudnnSetFilterNdDescriptor(s->w, dt, sh.channels_last ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW, sh.nb, sh.w),
          "filter descriptor");
  DNN_TRY(cudnnCreateConvolutionDescriptor(&s->conv), "create convolution descriptor");
  DNN_TRY(cudnnSetConvolutionNdDescriptor(s->conv, sh.nb - 2, sh.pad, sh.stride, sh.dilation, CUDNN_CROSS_CORRELATION,
                                          CUDNN_DATA_FLOAT),
          "convolution descriptor");
  DNN_TRY(cudnnSetConvolutionGroupCount(s->conv, sh.groups), "group count");
  cudnnMathType_t math = choice->mode == MODE_F32 ? CUDNN_FMA_MATH
                         : choice->mode == MODE_TF32 ? CUDNN_DEFAULT_MATH
                                                     : CUDNN_TENSOR_OP_MATH;
  DNN_TRY(cudnnSetConvolutionMathType(s->conv, math), "math type");
  s->algo = (cudnnConvolutionFwdAlgo_t)choice->algo;
  s->has_bias = sh.has_bias, s->has_residual = sh.has_residual, s->has_act = sh.activation >= 0;
  cudnnActivationMode_t mode = sh.activation == INGOT_ACTIVATION_RELU ? CUDNN_ACTIVATION_RELU
                               : sh.activation < 0                    ? CUDNN_ACTIVATION_IDENTITY
                                                                      : CUDNN_ACTIVATION_SIGMOID; /* unfused */
  /* cuDNN fuses bias with relu (any algorithm) or with no activation (implicit precomp
   * GEMM only). */
  s->fused = sh.has_bias && (mode == CUDNN_ACTIVATION_RELU ||
                             (mode == CUDNN_ACTIVATION_IDENTITY && s->algo == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM));
  DNN_TRY(cudnnCreateActivationDescriptor(&s->act), "create activation descriptor");
  DNN_TRY(cudnnSetActivationDescriptor(s->act, mode, CUDNN_NOT_PROPAGATE_NAN, 0.0), "activation descriptor");
  DNN_TRY(cudnnGetConvolutionForwardWorkspaceSize(h->dnn, s->x, s->w, s->conv, s->y, s->algo, &s->workspace),
          "this algorithm cannot run the layer");
  *state_out = s;
  return INGOT_SUCCESS;
}

static ingot_status dnn_create_state(const ingot_kernel_args *args, void **state_out) {
  dnn_state *s = NULL;
  ingot_status st = make_state(args, &s);
  *state_out = s;
  return st;
}

/* Sizing needs the descriptors: made and dropped here (never on the execute path). An
 * algorithm that cannot run the layer asks for unbounded workspace, so it is not used. */
static uint64_t dnn_workspace(const ingot_kernel_args *args) {
  dnn_state *s = NULL;
  if (make_state(args, &s) != INGOT_SUCCESS) {
    ingot_clear_last_error();
    return NO_WORKSPACE;
  }
  uint64_t bytes = s->workspace;
  dnn_destroy_state(s);
  return bytes;
}

static ingot_status dnn_run(const ingot_kernel_args *args) {
  const dnn_state *s = args->state;
  const ingot_cuda_handles *h = args->device_handles;
  if (!s || !h) return ingot_node_fail(args->node, INGOT_INVALID_STATE, "cuDNN tactic run without its state");
  if (args->workspace_size < s->workspace)
    return ingot_node_fail(args->node, INGOT_INVALID_STATE, "cuDNN needs %zu workspace bytes, the context gave %llu",
                           s->workspace, (unsigned long long)args->workspace_size);
  const void *x = args->inputs[0].data, *w = args->inputs[1].data;
  void *y = args->outputs[0].data;
  const void *bias = s->has_bias ? args->inputs[2].data : NULL;
  const void *res = s->has_residual ? args->inputs[args->nb_inputs - 1].data : NULL;
  const float one = 1.0f, zero = 0.0f;
  cudnnStatus_t st;
  if (s->fused) {
    st = cudnnConvolutionBiasActivationForward(h->dnn, &one, s->x, x, s->w, w, s->conv, s->algo, args->workspace,
                                               s->workspace, res ? &one : &zero, s->y, res ? res : y, s->bias, bias,
                                               s->act, s->y, y);
    if (st != CUDNN_STATUS_SUCCESS) return ingot_cudnn_fail(st, "cudnnConvolutionBiasActivationForward", args->node);
    return INGOT_SUCCESS;
  }
  if (res && res != y) {
    size_t bytes = (size_t)ingot_dims_volume(&args->outputs[0].dims) * ingot_dtype_size(args->outputs[0].dtype);
    cudaError_t err = cudaMemcpyAsync(y, res, bytes, cudaMemcpyDeviceToDevice, (cudaStream_t)args->stream);
    if (err != cudaSuccess) return ingot_cuda_fail(err, "residual copy");
  }
  st = cudnnConvolutionForward(h->dnn, &one, s->x, x, s->w, w, s->conv, s->algo, args->workspace, s->workspace,
                               res ? &one : &zero, s->y, y);
  if (st != CUDNN_STATUS_SUCCESS) return ingot_cudnn_fail(st, "cudnnConvolutionForward", args->node);
  if (bias) {
    st = cudnnAddTensor(h->dnn, &one, s->bias, bias, &one, s->y, y);
    if (st != CUDNN_STATUS_SUCCESS) return ingot_cudnn_fail(st, "cudnnAddTensor (bias)", args->node);
  }
  if (s->has_act) { /* any ingot activation, in place, by the backend's own kernel */
    const ingot_epilogue *e = &args->params->conv.epilogue;
    cudaError_t err = ingot_ck_activation(e->activation, e->alpha, e->beta, args->outputs[0].dtype,
                                          ingot_dims_volume(&args->outputs[0].dims), y, y, (cudaStream_t)args->stream);
    if (err != cudaSuccess) return ingot_cuda_fail(err, "activation after the convolution");
  }
  return INGOT_SUCCESS;
}

#define DNN_MODE(MODE, NAME)                                                                                   \
  static bool supports_##NAME(const ingot_node *n, const ingot_tensor_view *i, const ingot_tensor_view *o) { \
    return dnn_supports(n, i, o, MODE);                                                                      \
  }
DNN_MODE(MODE_TF32, tf32)
DNN_MODE(MODE_F32, f32)
DNN_MODE(MODE_HALF, half)
#undef DNN_MODE

#define DNN_PREP(MODE, NAME, ALGO, A)                                                       \
  static ingot_status prep_##NAME##_##A(const ingot_kernel_args *a, void **o, uint64_t *s) { \
    return dnn_prepare(a, MODE, ALGO, o, s);                                                \
  }
#define DNN_PREPS(MODE, NAME)                                                         \
  DNN_PREP(MODE, NAME, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, implicit_gemm)       \
  DNN_PREP(MODE, NAME, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, precomp_gemm) \
  DNN_PREP(MODE, NAME, CUDNN_CONVOLUTION_FWD_ALGO_GEMM, gemm)                         \
  DNN_PREP(MODE, NAME, CUDNN_CONVOLUTION_FWD_ALGO_FFT, fft)                           \
  DNN_PREP(MODE, NAME, CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING, fft_tiling)             \
  DNN_PREP(MODE, NAME, CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED, winograd_nonfused)
DNN_PREPS(MODE_TF32, tf32)
DNN_PREPS(MODE_F32, f32)
DNN_PREPS(MODE_HALF, half)
#undef DNN_PREPS
#undef DNN_PREP

#define DNN_ROW(NAME, MODE, A) \
  {INGOT_OP_CONVOLUTION, NAME, 1, supports_##MODE, dnn_workspace, prep_##MODE##_##A, dnn_run, dnn_create_state, \
   dnn_destroy_state, INGOT_TACTIC_SOURCE_CUDNN}
#define DNN_ROWS(MODE, PREFIX)                                                                                    \
  DNN_ROW(PREFIX "_cudnn_implicit_gemm", MODE, implicit_gemm), DNN_ROW(PREFIX "_cudnn_gemm", MODE, gemm),       \
  DNN_ROW(PREFIX "_cudnn_fft", MODE, fft), DNN_ROW(PREFIX "_cudnn_fft_tiling", MODE, fft_tiling),               \
  DNN_ROW(PREFIX "_cudnn_winograd_nonfused", MODE, winograd_nonfused),                                          \
  DNN_ROW(PREFIX "_cudnn_precomp_gemm", MODE, precomp_gemm)
const ingot_tactic ingot_cudnn_tactics[] = {
    DNN_ROWS(f32, "conv_f32"),
    DNN_ROWS(half, "conv_f16bf16"),
    DNN_ROWS(tf32, "conv_f32_tf32"),
};
const int32_t ingot_cudnn_tactic_count = (int32_t)(sizeof ingot_cudnn_tactics / sizeof ingot_cudnn_tactics[0]);
