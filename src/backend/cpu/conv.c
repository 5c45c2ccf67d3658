/* Scalar reference convolution and deconvolution, N-d, float32, with the fused epilogue
 * (bias, residual, activation), channels first or last (params.channels_last: tensors
 * [N, spatial..., C], kernels with the tap dims before the channel dim). Parallel over
 * output planes (n, k). These are the oracle other tactics are tested against: written
 * to be obviously right, not fast. */
#include "backend/cpu/cpu_kernels.h"
#include "core/error.h"
#include "ops/conv_geometry.h"

typedef struct conv_job {
  const float *x, *w, *bias, *res;
  float *y;
  int32_t nsp;
  int64_t C, K, cpg, kpg; /* channels, output maps, channels and maps per group */
  int64_t in[INGOT_MAX_SPATIAL_DIMS], out[INGOT_MAX_SPATIAL_DIMS], ker[INGOT_MAX_SPATIAL_DIMS];
  int64_t stride[INGOT_MAX_SPATIAL_DIMS], dil[INGOT_MAX_SPATIAL_DIMS], pre[INGOT_MAX_SPATIAL_DIMS];
  int64_t in_stride[INGOT_MAX_SPATIAL_DIMS], ker_stride[INGOT_MAX_SPATIAL_DIMS]; /* row-major, within a plane */
  int64_t in_plane, out_plane, ker_plane;
  /* Element strides, so that one loop serves both layouts: x[n*x_n + c*x_c + s*x_s] for
   * input cell s (row-major over the spatial dims), likewise y; the kernel's tap t of
   * (output map k or map-in-group kl, input channel c) at k*w_k (kl*w_k) + c*w_c + t*w_t. */
  int64_t x_n, x_c, x_s, y_n, y_c, y_s, w_k, w_c, w_t;
  ingot_epilogue ep;
} conv_job;

static ingot_status check_f32(const ingot_kernel_args *args) {
  for (int32_t i = 0; i < args->nb_inputs; i++)
    if (args->inputs[i].data != NULL && args->inputs[i].dtype != INGOT_FLOAT32)
      return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "the reference kernel takes float32, input %d is %s",
                             (int)i, ingot_dtype_name(args->inputs[i].dtype));
  if (args->outputs[0].dtype != INGOT_FLOAT32)
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "the reference kernel takes float32, the output is %s",
                           ingot_dtype_name(args->outputs[0].dtype));
  return INGOT_SUCCESS;
}

/* Fills the parts of the job common to both directions; `deconv` picks the geometry. */
static void job_init(conv_job *j, const ingot_kernel_args *args, bool deconv) {
  const ingot_conv_params *p = &args->params->conv;
  const ingot_dims *xd = &args->inputs[0].dims, *yd = &args->outputs[0].dims;
  int32_t slot = ingot_conv_bias_slot(p, args->nb_inputs);
  const int32_t cl = p->channels_last, rank = xd->nb_dims;
  j->x = args->inputs[0].data;
  j->w = args->inputs[1].data;
  j->bias = slot >= 0 ? args->inputs[slot].data : NULL;
  j->res = p->epilogue.has_residual ? args->inputs[args->nb_inputs - 1].data : NULL;
  j->y = args->outputs[0].data;
  j->nsp = p->nb_spatial_dims;
  j->C = xd->d[ingot_channel_axis(cl, rank)];
  j->K = yd->d[ingot_channel_axis(cl, rank)];
  int64_t G = ingot_or_one(p->groups);
  j->cpg = j->C / G;
  j->kpg = j->K / G;
  j->ep = p->epilogue;
  j->in_plane = j->out_plane = j->ker_plane = 1;
  for (int32_t i = j->nsp - 1; i >= 0; i--) {
    int64_t post;
    j->in[i] = xd->d[ingot_spatial_axis(cl, i)];
    j->out[i] = yd->d[ingot_spatial_axis(cl, i)];
    j->ker[i] = p->kernel_size[i];
    j->stride[i] = ingot_or_one(p->stride[i]);
    j->dil[i] = ingot_or_one(p->dilation[i]);
    if (deconv)
      ingot_window_backward(j->in[i], j->ker[i], j->stride[i], j->dil[i], p->output_padding[i], p->padding_mode,
                            p->pre_padding[i], p->post_padding[i], &j->pre[i], &post);
    else
      ingot_window_forward(j->in[i], j->ker[i], j->stride[i], j->dil[i], p->padding_mode, p->pre_padding[i],
                           p->post_padding[i], 0, &j->pre[i], &post);
    j->in_stride[i] = j->in_plane;
    j->ker_stride[i] = j->ker_plane;
    j->in_plane *= j->in[i];
    j->out_plane *= j->out[i];
    j->ker_plane *= j->ker[i];
  }
  j->x_n = j->C * j->in_plane;
  j->y_n = j->K * j->out_plane;
  j->x_c = cl ? 1 : j->in_plane;
  j->x_s = cl ? j->C : 1;
  j->y_c = cl ? 1 : j->out_plane;
  j->y_s = cl ? j->K : 1;
  if (deconv) { /* [C, K/groups, taps] or [C, taps, K/groups]: w_k steps over kl */
    j->w_c = j->kpg * j->ker_plane;
    j->w_k = cl ? 1 : j->ker_plane;
    j->w_t = cl ? j->kpg : 1;
  } else { /* [K, C/groups, taps] or [K, taps, C/groups] */
    j->w_k = j->cpg * j->ker_plane;
    j->w_c = cl ? 1 : j->ker_plane;
    j->w_t = cl ? j->cpg : 1;
  }
}

static inline float epilogue(const conv_job *j, float acc, int64_t k, int64_t y_index) {
  if (j->bias) acc += j->bias[k];
  if (j->res) acc += j->res[y_index];
  if (j->ep.activation >= 0) acc = ingot_cpu_activation(j->ep.activation, j->ep.alpha, j->ep.beta, acc);
  return acc;
}

/* Sum over the box of kernel taps [lo, hi] (inclusive, per dim) that land inside the
 * input, for one input channel `xc` and its kernel slice `wc`. `base` is the input
 * coordinate of tap 0 in each dim. */
static float conv_box(const conv_job *j, const float *xc, const float *wc, const int64_t *base, const int64_t *lo,
                      const int64_t *hi) {
  int32_t last = j->nsp - 1;
  int64_t kc[INGOT_MAX_SPATIAL_DIMS];
  for (int32_t i = 0; i < j->nsp; i++) kc[i] = lo[i];
  float acc = 0.0f;
  for (;;) {
    int64_t xo = 0, wo = 0;
    for (int32_t i = 0; i < last; i++) {
      xo += (base[i] + kc[i] * j->dil[i]) * j->in_stride[i];
      wo += kc[i] * j->ker_stride[i];
    }
    xo = (xo + base[last] + lo[last] * j->dil[last]) * j->x_s;
    wo = (wo + lo[last]) * j->w_t;
    const int64_t x_step = j->dil[last] * j->x_s;
    for (int64_t t = lo[last]; t <= hi[last]; t++, xo += x_step, wo += j->w_t) acc += xc[xo] * wc[wo];
    int32_t i = last - 1;
    while (i >= 0 && ++kc[i] > hi[i]) {
      kc[i] = lo[i];
      i--;
    }
    if (i < 0) break;
  }
  return acc;
}

static void conv_planes(void *ctx, int64_t begin, int64_t end) {
  const conv_job *j = ctx;
  for (int64_t plane = begin; plane < end; plane++) {
    int64_t n = plane / j->K, k = plane % j->K, g = k / j->kpg;
    const float *x_group = j->x + n * j->x_n + g * j->cpg * j->x_c;
    const float *w_map = j->w + k * j->w_k;
    const int64_t y_base = n * j->y_n + k * j->y_c;
    int64_t oc[INGOT_MAX_SPATIAL_DIMS] = {0};
    for (int64_t o = 0; o < j->out_plane; o++) {
      int64_t base[INGOT_MAX_SPATIAL_DIMS], lo[INGOT_MAX_SPATIAL_DIMS], hi[INGOT_MAX_SPATIAL_DIMS];
      bool empty = false;
      for (int32_t i = 0; i < j->nsp; i++) {
        /* Taps t with 0 <= base + t*dil <= in-1. */
        base[i] = oc[i] * j->stride[i] - j->pre[i];
        lo[i] = ingot_ceil_div(-base[i], j->dil[i]);
        if (lo[i] < 0) lo[i] = 0;
        hi[i] = ingot_floor_div(j->in[i] - 1 - base[i], j->dil[i]);
        if (hi[i] > j->ker[i] - 1) hi[i] = j->ker[i] - 1;
        if (lo[i] > hi[i]) empty = true;
      }
      float acc = 0.0f;
      if (!empty)
        for (int64_t c = 0; c < j->cpg; c++)
          acc += conv_box(j, x_group + c * j->x_c, w_map + c * j->w_c, base, lo, hi);
      const int64_t yi = y_base + o * j->y_s;
      j->y[yi] = epilogue(j, acc, k, yi);
      for (int32_t i = j->nsp - 1; i >= 0 && ++oc[i] == j->out[i]; i--) oc[i] = 0;
    }
  }
}

ingot_status ingot_cpu_convolution(const ingot_kernel_args *args) {
  INGOT_TRY(check_f32(args));
  conv_job j;
  job_init(&j, args, false);
  int64_t planes = args->outputs[0].dims.d[0] * j.K;
  ingot_parallel_for(args->pool, planes, 1, conv_planes, &j);
  return INGOT_SUCCESS;
}

/* Deconvolution as a gather: output cell o receives input cell i through tap t when
 * o + pre = i*stride + t*dil. Each output plane is written by one thread, no races. */
static void deconv_planes(void *ctx, int64_t begin, int64_t end) {
  const conv_job *j = ctx;
  int32_t nsp = j->nsp;
  for (int64_t plane = begin; plane < end; plane++) {
    int64_t n = plane / j->K, k = plane % j->K, g = k / j->kpg, kl = k % j->kpg;
    const float *x_group = j->x + n * j->x_n + g * j->cpg * j->x_c;
    /* weights: channel g*cpg + c, map kl */
    const float *w_map = j->w + g * j->cpg * j->w_c + kl * j->w_k;
    const int64_t y_base = n * j->y_n + k * j->y_c;
    int64_t oc[INGOT_MAX_SPATIAL_DIMS] = {0};
    for (int64_t o = 0; o < j->out_plane; o++) {
      float acc = 0.0f;
      int64_t tc[INGOT_MAX_SPATIAL_DIMS] = {0};
      for (int64_t t = 0; t < j->ker_plane; t++) {
        int64_t xo = 0;
        bool valid = true;
        for (int32_t i = 0; i < nsp && valid; i++) {
          int64_t q = oc[i] + j->pre[i] - tc[i] * j->dil[i];
          valid = q >= 0 && q % j->stride[i] == 0 && q / j->stride[i] < j->in[i];
          if (valid) xo += (q / j->stride[i]) * j->in_stride[i];
        }
        if (valid)
          for (int64_t c = 0; c < j->cpg; c++) acc += x_group[c * j->x_c + xo * j->x_s] * w_map[c * j->w_c + t * j->w_t];
        for (int32_t i = nsp - 1; i >= 0 && ++tc[i] == j->ker[i]; i--) tc[i] = 0;
      }
      const int64_t yi = y_base + o * j->y_s;
      j->y[yi] = epilogue(j, acc, k, yi);
      for (int32_t i = nsp - 1; i >= 0 && ++oc[i] == j->out[i]; i--) oc[i] = 0;
    }
  }
}

ingot_status ingot_cpu_deconvolution(const ingot_kernel_args *args) {
  INGOT_TRY(check_f32(args));
  conv_job j;
  job_init(&j, args, true);
  int64_t planes = args->outputs[0].dims.d[0] * j.K;
  ingot_parallel_for(args->pool, planes, 1, deconv_planes, &j);
  return INGOT_SUCCESS;
}
