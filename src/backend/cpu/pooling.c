/* Scalar reference max and average pooling, N-d, float32: explicit/SAME/VALID padding,
 * ceil mode, dilation, global windows, channels first or last (params.channels_last).
 * Parallel over (n, c) planes. */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "ops/conv_geometry.h"

typedef struct pool_job {
  const float *x;
  float *y;
  int32_t nsp, type, exclude_padding;
  int64_t in[INGOT_MAX_SPATIAL_DIMS], out[INGOT_MAX_SPATIAL_DIMS], win[INGOT_MAX_SPATIAL_DIMS];
  int64_t stride[INGOT_MAX_SPATIAL_DIMS], dil[INGOT_MAX_SPATIAL_DIMS];
  int64_t pre[INGOT_MAX_SPATIAL_DIMS], post[INGOT_MAX_SPATIAL_DIMS];
  int64_t in_stride[INGOT_MAX_SPATIAL_DIMS];
  int64_t in_plane, out_plane;
  int64_t C;
  int32_t cl;
  int64_t c_step, s_step; /* element strides of a channel and of a spatial cell (either layout) */
} pool_job;

/* Max or sum over the taps [lo, hi] of the window (all inside the input). */
static float pool_box(const pool_job *j, const float *xc, const int64_t *base, const int64_t *lo, const int64_t *hi) {
  int32_t last = j->nsp - 1;
  int64_t tc[INGOT_MAX_SPATIAL_DIMS];
  for (int32_t i = 0; i < j->nsp; i++) tc[i] = lo[i];
  bool is_max = j->type == INGOT_POOLING_MAX;
  float acc = is_max ? -INFINITY : 0.0f;
  for (;;) {
    int64_t xo = 0;
    for (int32_t i = 0; i < last; i++) xo += (base[i] + tc[i] * j->dil[i]) * j->in_stride[i];
    xo = (xo + base[last] + lo[last] * j->dil[last]) * j->s_step;
    const int64_t x_step = j->dil[last] * j->s_step;
    for (int64_t t = lo[last]; t <= hi[last]; t++, xo += x_step) {
      float v = xc[xo];
      if (!is_max)
        acc += v;
      else if (v > acc || isnan(v))
        acc = v; /* NaN propagates, as numpy's max */
    }
    int32_t i = last - 1;
    while (i >= 0 && ++tc[i] > hi[i]) {
      tc[i] = lo[i];
      i--;
    }
    if (i < 0) break;
  }
  return acc;
}

static void pool_planes(void *ctx, int64_t begin, int64_t end) {
  const pool_job *j = ctx;
  for (int64_t plane = begin; plane < end; plane++) {
    int64_t n = plane / j->C, c = plane % j->C;
    const float *xc = j->x + n * j->C * j->in_plane + c * j->c_step;
    float *y = j->y + n * j->C * j->out_plane + c * (j->cl ? 1 : j->out_plane);
    const int64_t y_step = j->cl ? j->C : 1;
    int64_t oc[INGOT_MAX_SPATIAL_DIMS] = {0};
    for (int64_t o = 0; o < j->out_plane; o++) {
      int64_t base[INGOT_MAX_SPATIAL_DIMS], lo[INGOT_MAX_SPATIAL_DIMS], hi[INGOT_MAX_SPATIAL_DIMS];
      int64_t real = 1, padded = 1; /* taps inside the input; taps inside input + padding */
      for (int32_t i = 0; i < j->nsp; i++) {
        base[i] = oc[i] * j->stride[i] - j->pre[i];
        lo[i] = ingot_ceil_div(-base[i], j->dil[i]);
        if (lo[i] < 0) lo[i] = 0;
        hi[i] = ingot_floor_div(j->in[i] - 1 - base[i], j->dil[i]);
        if (hi[i] > j->win[i] - 1) hi[i] = j->win[i] - 1;
        real *= lo[i] <= hi[i] ? hi[i] - lo[i] + 1 : 0;
        /* Taps past the post padding (added by ceil_mode) never count, as ONNX/PyTorch. */
        int64_t hi_pad = ingot_floor_div(j->in[i] + j->post[i] - 1 - base[i], j->dil[i]);
        if (hi_pad > j->win[i] - 1) hi_pad = j->win[i] - 1;
        padded *= hi_pad >= 0 ? hi_pad + 1 : 0;
      }
      float v;
      if (real == 0)
        v = j->type == INGOT_POOLING_MAX ? -INFINITY : 0.0f; /* a window wholly in the padding */
      else {
        v = pool_box(j, xc, base, lo, hi);
        if (j->type == INGOT_POOLING_AVERAGE) v /= (float)(j->exclude_padding ? real : padded);
      }
      y[o * y_step] = v;
      for (int32_t i = j->nsp - 1; i >= 0 && ++oc[i] == j->out[i]; i--) oc[i] = 0;
    }
  }
}

ingot_status ingot_cpu_pooling(const ingot_kernel_args *args) {
  const ingot_pooling_params *p = &args->params->pooling;
  const ingot_tensor_view *xv = &args->inputs[0], *yv = &args->outputs[0];
  if (xv->dtype != INGOT_FLOAT32 || yv->dtype != INGOT_FLOAT32)
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "the reference kernel takes float32, found %s -> %s",
                           ingot_dtype_name(xv->dtype), ingot_dtype_name(yv->dtype));
  pool_job j;
  j.x = xv->data;
  j.y = yv->data;
  j.nsp = xv->dims.nb_dims - 2;
  const int32_t cl = p->channels_last;
  j.C = xv->dims.d[ingot_channel_axis(cl, xv->dims.nb_dims)];
  j.type = p->type;
  j.exclude_padding = p->average_count_excludes_padding;
  j.in_plane = j.out_plane = 1;
  for (int32_t i = j.nsp - 1; i >= 0; i--) {
    j.in[i] = xv->dims.d[ingot_spatial_axis(cl, i)];
    j.out[i] = yv->dims.d[ingot_spatial_axis(cl, i)];
    if (p->global) {
      j.win[i] = j.in[i];
      j.stride[i] = j.dil[i] = 1;
      j.pre[i] = j.post[i] = 0;
    } else {
      j.win[i] = p->window_size[i];
      j.stride[i] = ingot_or_one(p->stride[i]);
      j.dil[i] = ingot_or_one(p->dilation[i]);
      ingot_window_forward(j.in[i], j.win[i], j.stride[i], j.dil[i], p->padding_mode, p->pre_padding[i],
                           p->post_padding[i], p->ceil_mode, &j.pre[i], &j.post[i]);
    }
    j.in_stride[i] = j.in_plane;
    j.in_plane *= j.in[i];
    j.out_plane *= j.out[i];
  }
  j.cl = cl;
  j.c_step = cl ? 1 : j.in_plane;
  j.s_step = cl ? j.C : 1;
  int64_t planes = xv->dims.d[0] * j.C;
  ingot_parallel_for(args->pool, planes, 1, pool_planes, &j);
  return INGOT_SUCCESS;
}
