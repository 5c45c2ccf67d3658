/* pool2d_f32_direct: 2-D max and average pooling on NCHW float32, the fast tactic beside
 * the N-d reference (pooling.c), which costs several integer divisions per output and so
 * ran ResNet-50's stem max pool at a tenth of the network's time.
 *
 * The window's clipped tap range depends only on the output column (and, separately, the
 * output row), so both are computed once per run into the workspace. Columns whose window
 * lies wholly inside the input form one contiguous interior range; there every tap is a
 * strided row read, and the loop over output columns is innermost so that the compiler
 * vectorizes it. Border columns take the clipped ranges. Taps are visited in the
 * reference's order (row-major within the window) and the comparison is the reference's
 * (a NaN wins and stays), so results are bitwise equal to it. Parallel over (n, c) planes. */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "ops/conv_geometry.h"

/* Per output position along one axis: the first and last tap inside the input, and the
 * taps counted by count_include_pad averaging (inside input + padding, never past the
 * post padding that ceil mode adds). */
typedef struct axis_taps {
  int32_t lo, hi, padded;
} axis_taps;

typedef struct pool2d {
  const float *x;
  float *y;
  int64_t H, W, OH, OW;
  int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr; /* padding: top, left, bottom, right */
  int64_t interior_begin, interior_end; /* output columns whose window is all inside */
  int32_t is_max, exclude_padding;
  const axis_taps *rows, *cols;
} pool2d;

static void axis_fill(int64_t in, int64_t out, int64_t win, int64_t stride, int64_t dil, int64_t pre, int64_t post,
                      axis_taps *t) {
  for (int64_t o = 0; o < out; o++) {
    int64_t base = o * stride - pre;
    int64_t lo = ingot_ceil_div(-base, dil), hi = ingot_floor_div(in - 1 - base, dil);
    int64_t hi_pad = ingot_floor_div(in + post - 1 - base, dil);
    if (lo < 0) lo = 0;
    if (hi > win - 1) hi = win - 1;
    if (hi_pad > win - 1) hi_pad = win - 1;
    t[o].lo = (int32_t)lo;
    t[o].hi = (int32_t)hi;
    t[o].padded = (int32_t)(hi_pad >= 0 ? hi_pad + 1 : 0);
  }
}

static inline float take_max(float acc, float v) { return (v > acc || v != v) ? v : acc; }

/* One output element from clipped ranges (border columns). */
static float pool_one(const pool2d *p, const float *xc, int64_t oh, int64_t ow) {
  const axis_taps *r = &p->rows[oh], *c = &p->cols[ow];
  int64_t real = (int64_t)(r->hi >= r->lo ? r->hi - r->lo + 1 : 0) * (c->hi >= c->lo ? c->hi - c->lo + 1 : 0);
  if (real == 0) return p->is_max ? -INFINITY : 0.0f; /* a window wholly in the padding */
  float acc = p->is_max ? -INFINITY : 0.0f;
  int64_t y0 = oh * p->sh - p->pt, x0 = ow * p->sw - p->pl;
  for (int64_t ky = r->lo; ky <= r->hi; ky++) {
    int64_t row = (y0 + ky * p->dh) * p->W + x0; /* may be < 0: only taps in range are read */
    for (int64_t kx = c->lo; kx <= c->hi; kx++) {
      float v = xc[row + kx * p->dw];
      acc = p->is_max ? take_max(acc, v) : acc + v;
    }
  }
  if (!p->is_max) acc /= (float)(p->exclude_padding ? real : (int64_t)r->padded * c->padded);
  return acc;
}

/* The interior columns of one output row: every tap in range, the column loop innermost. */
static void pool_interior_row(const pool2d *p, const float *xc, int64_t oh, float *yr) {
  const axis_taps *r = &p->rows[oh];
  int64_t a = p->interior_begin, b = p->interior_end;
  float init = p->is_max ? -INFINITY : 0.0f;
  for (int64_t ow = a; ow < b; ow++) yr[ow] = init;
  if (r->hi < r->lo) return; /* the row's window is wholly in the padding */
  int64_t y0 = oh * p->sh - p->pt, sw = p->sw;
  for (int64_t ky = r->lo; ky <= r->hi; ky++) {
    for (int64_t kx = 0; kx < p->kw; kx++) {
      /* the first interior column's tap: inside the input by the interior's definition */
      const float *xs = xc + (y0 + ky * p->dh) * p->W + a * sw - p->pl + kx * p->dw;
      int64_t n = b - a;
      float *ys = yr + a;
      if (p->is_max) {
        if (sw == 1)
          for (int64_t i = 0; i < n; i++) ys[i] = take_max(ys[i], xs[i]);
        else
          for (int64_t i = 0; i < n; i++) ys[i] = take_max(ys[i], xs[i * sw]);
      } else {
        if (sw == 1)
          for (int64_t i = 0; i < n; i++) ys[i] += xs[i];
        else
          for (int64_t i = 0; i < n; i++) ys[i] += xs[i * sw];
      }
    }
  }
  if (!p->is_max) {
    int64_t rows_real = r->hi - r->lo + 1;
    float count = (float)(p->exclude_padding ? rows_real * p->kw : (int64_t)r->padded * p->kw);
    for (int64_t ow = a; ow < b; ow++) yr[ow] /= count;
  }
}

static void pool_planes(void *ctx, int64_t begin, int64_t end) {
  const pool2d *p = ctx;
  for (int64_t plane = begin; plane < end; plane++) {
    const float *xc = p->x + plane * p->H * p->W;
    float *yc = p->y + plane * p->OH * p->OW;
    for (int64_t oh = 0; oh < p->OH; oh++) {
      float *yr = yc + oh * p->OW;
      for (int64_t ow = 0; ow < p->interior_begin; ow++) yr[ow] = pool_one(p, xc, oh, ow);
      if (p->interior_end > p->interior_begin) pool_interior_row(p, xc, oh, yr);
      for (int64_t ow = p->interior_end; ow < p->OW; ow++) yr[ow] = pool_one(p, xc, oh, ow);
    }
  }
}

/* The window geometry of a supported node; false when it is not a 2-D NCHW pool. */
static bool geometry(const ingot_pooling_params *pp, const ingot_dims *xd, const ingot_dims *yd, pool2d *p) {
  if (xd->nb_dims != 4 || yd->nb_dims != 4 || pp->channels_last) return false;
  if (pp->type != INGOT_POOLING_MAX && pp->type != INGOT_POOLING_AVERAGE) return false;
  p->H = xd->d[2];
  p->W = xd->d[3];
  p->OH = yd->d[2];
  p->OW = yd->d[3];
  int64_t pre[2], post[2];
  if (pp->global) {
    p->kh = p->H;
    p->kw = p->W;
    p->sh = p->sw = p->dh = p->dw = 1;
    pre[0] = pre[1] = post[0] = post[1] = 0;
  } else {
    p->kh = pp->window_size[0];
    p->kw = pp->window_size[1];
    p->sh = ingot_or_one(pp->stride[0]);
    p->sw = ingot_or_one(pp->stride[1]);
    p->dh = ingot_or_one(pp->dilation[0]);
    p->dw = ingot_or_one(pp->dilation[1]);
    for (int32_t i = 0; i < 2; i++)
      ingot_window_forward(xd->d[2 + i], pp->window_size[i], i ? p->sw : p->sh, i ? p->dw : p->dh, pp->padding_mode,
                           pp->pre_padding[i], pp->post_padding[i], pp->ceil_mode, &pre[i], &post[i]);
  }
  p->pt = pre[0];
  p->pl = pre[1];
  p->pb = post[0];
  p->pr = post[1];
  /* the per-axis tables hold taps as int32 */
  return p->kh > 0 && p->kw > 0 && p->kh <= INT32_MAX && p->kw <= INT32_MAX && p->OH >= 0 && p->OW >= 0;
}

static uint64_t table_bytes(const pool2d *p) { return (uint64_t)(p->OH + p->OW) * sizeof(axis_taps); }

bool ingot_cpu_pool2d_direct_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                      const ingot_tensor_view *outputs) {
  pool2d p;
  return inputs[0].dtype == INGOT_FLOAT32 && outputs[0].dtype == INGOT_FLOAT32 &&
         geometry(&node->params.pooling, &inputs[0].dims, &outputs[0].dims, &p);
}

uint64_t ingot_cpu_pool2d_direct_workspace(const ingot_kernel_args *args) {
  pool2d p;
  if (!geometry(&args->params->pooling, &args->inputs[0].dims, &args->outputs[0].dims, &p)) return 0;
  return table_bytes(&p);
}

ingot_status ingot_cpu_pool2d_direct(const ingot_kernel_args *args) {
  const ingot_pooling_params *pp = &args->params->pooling;
  const ingot_tensor_view *xv = &args->inputs[0], *yv = &args->outputs[0];
  pool2d p;
  if (!geometry(pp, &xv->dims, &yv->dims, &p))
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "pool2d_f32_direct takes 2-D NCHW max or average pooling");
  if (args->workspace_size < table_bytes(&p))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "pool2d_f32_direct: workspace of %llu bytes, %llu needed",
                           (unsigned long long)args->workspace_size, (unsigned long long)table_bytes(&p));
  axis_taps *rows = args->workspace, *cols = rows + p.OH;
  axis_fill(p.H, p.OH, p.kh, p.sh, p.dh, p.pt, p.pb, rows);
  axis_fill(p.W, p.OW, p.kw, p.sw, p.dw, p.pl, p.pr, cols);
  /* Interior: the window starts at or after column 0 and ends inside; as both ends grow
   * with the output column, the columns that satisfy it are one range. */
  p.interior_begin = p.OW;
  p.interior_end = p.OW;
  for (int64_t ow = 0; ow < p.OW; ow++)
    if (cols[ow].lo == 0 && cols[ow].hi == p.kw - 1) {
      if (p.interior_begin == p.OW) p.interior_begin = ow;
      p.interior_end = ow + 1;
    }
  p.rows = rows;
  p.cols = cols;
  p.x = xv->data;
  p.y = yv->data;
  p.is_max = pp->type == INGOT_POOLING_MAX;
  p.exclude_padding = pp->average_count_excludes_padding;
  ingot_parallel_for(args->pool, xv->dims.d[0] * xv->dims.d[1], 1, pool_planes, &p);
  return INGOT_SUCCESS;
}
