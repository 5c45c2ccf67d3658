/* Scalar reference resize, following the ONNX Resize spec (and its reference
 * implementation): nearest (any dtype: bytes are copied) and n-linear / n-cubic (float32)
 * over every dim, with the half_pixel, half_pixel_symmetric, asymmetric, align_corners,
 * pytorch_half_pixel and tf_crop_and_resize coordinate transforms, antialiasing (the kernel
 * widened by 1 / scale when shrinking) and exclude_outside. Taps outside the input clamp to
 * the edge; tf_crop_and_resize samples outside the input take the extrapolation value.
 * Interpolation is the product of per-dim taps, which equals ONNX's axis-by-axis passes.
 *
 * Also resize_nearest_table, the fast nearest tactic (YOLO's and U-Net's upsampling):
 * the same coordinate arithmetic, done once per output coordinate of each dim into index
 * tables in the workspace instead of once per output element, then whole runs of the
 * unresized trailing dims (the channels, channels last) copied at a time. */
#include <math.h>
#include <string.h>

#include "backend/cpu/cpu_kernels.h"
#include "core/dims.h"
#include "core/error.h"

enum { MAX_TAPS = 64 }; /* per dim: cubic antialias down to a scale of 1/15 */

typedef struct resize_job {
  const unsigned char *x;
  unsigned char *y;
  size_t esz;
  ingot_dtype dtype;
  int32_t rank, mode, transform, rounding, exclude_outside, antialias;
  double cubic_a, extrapolation;
  int64_t in[INGOT_MAX_DIMS], out[INGOT_MAX_DIMS], in_stride[INGOT_MAX_DIMS];
  double scale[INGOT_MAX_DIMS];  /* given scale, or out / in */
  double length[INGOT_MAX_DIMS]; /* ONNX's output_width: in * scale, fractional with scales */
  double roi_start[INGOT_MAX_DIMS], roi_end[INGOT_MAX_DIMS];
  bool identity[INGOT_MAX_DIMS]; /* dim copied as is (same size, scale 1, whole roi) */
} resize_job;

/* Coordinate in the input of output coordinate `x` along dim d. */
static double original_coord(const resize_job *j, int32_t d, int64_t x) {
  double xr = (double)x, s = j->scale[d], in = (double)j->in[d];
  switch (j->transform) {
    case INGOT_RESIZE_ASYMMETRIC: return xr / s;
    case INGOT_RESIZE_ALIGN_CORNERS:
      return j->length[d] == 1.0 ? 0.0 : xr * (double)(j->in[d] - 1) / (j->length[d] - 1.0);
    case INGOT_RESIZE_PYTORCH_HALF_PIXEL: return j->length[d] == 1.0 ? 0.0 : (xr + 0.5) / s - 0.5;
    case INGOT_RESIZE_HALF_PIXEL_SYMMETRIC: {
      double adjustment = (double)j->out[d] / j->length[d], center = in / 2.0;
      return center * (1.0 - adjustment) + (xr + 0.5) / s - 0.5;
    }
    case INGOT_RESIZE_TF_CROP_AND_RESIZE: {
      double r0 = j->roi_start[d], r1 = j->roi_end[d];
      double xo = j->length[d] == 1.0 ? (r1 - r0) * (in - 1.0) / 2.0 : xr * (r1 - r0) * (in - 1.0) / (j->length[d] - 1.0);
      return xo + r0 * (in - 1.0);
    }
    default: return (xr + 0.5) / s - 0.5; /* half_pixel */
  }
}

static bool extrapolated(const resize_job *j, int32_t d, double xo) {
  return j->transform == INGOT_RESIZE_TF_CROP_AND_RESIZE && (xo < 0.0 || xo > (double)(j->in[d] - 1));
}

static double cubic_weight(double x, double a) {
  x = fabs(x);
  if (x <= 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
  return 0.0;
}

/* The taps of dim d for input coordinate xo: indices (clamped) and weights; returns their
 * count. The window is ONNX's: the n cells nearest xo, ties to the lower side. */
static int32_t dim_taps(const resize_job *j, int32_t d, double xo, int64_t *idx, double *w) {
  /* far outside the input (a plan's absurd scale): every tap lands on an edge anyway, and
   * int64 conversions below are undefined past its range (and for NaN) */
  double lim = (double)j->in[d] + 2.0 * MAX_TAPS;
  if (!(xo > -lim)) xo = -lim;
  if (!(xo < lim)) xo = lim;
  double xi = floor(xo), ratio = xo == xi ? 1.0 : xo - xi;
  double sc = j->scale[d] < 1.0 ? j->scale[d] : 1.0;
  int32_t n;
  bool cubic = j->mode == INGOT_RESIZE_CUBIC;
  if (!j->antialias) {
    n = cubic ? 4 : 2;
    for (int32_t k = 0; k < n; k++) w[k] = cubic ? cubic_weight((double)(k - 1) - ratio, j->cubic_a)
                                                 : (k == 0 ? 1.0 - ratio : ratio);
  } else {
    int64_t start = (int64_t)floor((cubic ? -2.0 : -1.0) / sc) + 1;
    n = (int32_t)(2 - 2 * start);
    if (n > MAX_TAPS) n = MAX_TAPS; /* refused before the run */
    double sum = 0.0;
    for (int32_t k = 0; k < n; k++) {
      double t = ((double)(start + k) - ratio) * sc;
      w[k] = cubic ? cubic_weight(t, j->cubic_a) : (fabs(t) < 1.0 ? 1.0 - fabs(t) : 0.0);
      sum += w[k];
    }
    if (sum != 0.0)
      for (int32_t k = 0; k < n; k++) w[k] /= sum;
  }
  int64_t pad = (n + 1) / 2;
  double xp = xo + (double)pad, p = floor(xp), frac = xp - p;
  int64_t off = n % 2 == 0 ? (frac == 0.0 ? -(n / 2) : -(n / 2) + 1)
                           : (frac <= 0.5 ? -((n - 1) / 2) : -((n - 1) / 2) + 1);
  int64_t first = (int64_t)p + off - pad, in = j->in[d];
  double sum = 0.0;
  for (int32_t k = 0; k < n; k++) {
    idx[k] = first + k;
    if (j->exclude_outside && (idx[k] < 0 || idx[k] >= in)) w[k] = 0.0;
    sum += w[k];
    idx[k] = idx[k] < 0 ? 0 : idx[k] >= in ? in - 1 : idx[k];
  }
  if (j->exclude_outside && sum != 0.0)
    for (int32_t k = 0; k < n; k++) w[k] /= sum;
  return n;
}

static int64_t clamp_index(int64_t i, int64_t n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

static int64_t nearest_index(const resize_job *j, int32_t d, int64_t x) {
  double xo = original_coord(j, d, x), f = floor(xo), r = xo - f;
  /* far outside the input (a plan's absurd scale): clamped before the conversion, which
   * is undefined past int64's range (and for NaN) */
  if (!(f > -2.0)) return 0;
  if (!(f < (double)j->in[d])) return j->in[d] > 0 ? j->in[d] - 1 : 0;
  int64_t i = (int64_t)f;
  if (r > 0.0) {
    switch (j->rounding) {
      case INGOT_RESIZE_ROUND_HALF_DOWN: i += r > 0.5; break;
      case INGOT_RESIZE_ROUND_HALF_UP: i += r >= 0.5; break;
      case INGOT_RESIZE_FLOOR: break;
      default: i += 1; break; /* ceil */
    }
  }
  return clamp_index(i, j->in[d]);
}

static void copy_element(unsigned char *dst, const unsigned char *src, size_t esz) {
  switch (esz) {
    case 1: *dst = *src; break;
    case 2: memcpy(dst, src, 2); break;
    case 4: memcpy(dst, src, 4); break;
    default: memcpy(dst, src, esz); break;
  }
}

static void resize_range(void *ctx, int64_t begin, int64_t end) {
  const resize_job *j = ctx;
  int64_t oc[INGOT_MAX_DIMS];
  int64_t rest = begin;
  for (int32_t d = j->rank - 1; d >= 0; d--) {
    oc[d] = rest % j->out[d];
    rest /= j->out[d];
  }
  for (int64_t o = begin; o < end; o++) {
    bool outside = false;
    if (j->mode == INGOT_RESIZE_NEAREST) {
      int64_t off = 0;
      for (int32_t d = 0; d < j->rank; d++) {
        if (j->identity[d]) {
          off += oc[d] * j->in_stride[d];
          continue;
        }
        outside |= extrapolated(j, d, original_coord(j, d, oc[d]));
        off += nearest_index(j, d, oc[d]) * j->in_stride[d];
      }
      if (outside) ingot_store_from_double(j->y, j->dtype, o, j->extrapolation);
      else copy_element(j->y + (size_t)o * j->esz, j->x + (size_t)off * j->esz, j->esz);
    } else {
      /* The sum over every combination of the resized dims' taps, each weighted by the
       * product of its per-dim weights. */
      int64_t base = 0, idx[INGOT_MAX_DIMS][MAX_TAPS], tap[INGOT_MAX_DIMS];
      double w[INGOT_MAX_DIMS][MAX_TAPS];
      int32_t dims[INGOT_MAX_DIMS], n[INGOT_MAX_DIMS], m = 0;
      for (int32_t d = 0; d < j->rank && !outside; d++) {
        if (j->identity[d]) {
          base += oc[d] * j->in_stride[d];
          continue;
        }
        double xo = original_coord(j, d, oc[d]);
        outside = extrapolated(j, d, xo);
        dims[m] = d;
        n[m] = dim_taps(j, d, xo, idx[m], w[m]);
        m++;
      }
      if (outside) {
        ((float *)j->y)[o] = (float)j->extrapolation;
      } else {
        const float *x = (const float *)j->x;
        double acc = 0.0;
        for (int32_t k = 0; k < m; k++) tap[k] = 0;
        for (;;) {
          double weight = 1.0;
          int64_t off = base;
          for (int32_t k = 0; k < m; k++) {
            weight *= w[k][tap[k]];
            off += idx[k][tap[k]] * j->in_stride[dims[k]];
          }
          if (weight != 0.0) acc += weight * (double)x[off];
          int32_t k = m - 1;
          while (k >= 0 && ++tap[k] == n[k]) tap[k--] = 0;
          if (k < 0) break;
        }
        ((float *)j->y)[o] = (float)acc;
      }
    }
    for (int32_t d = j->rank - 1; d >= 0 && ++oc[d] == j->out[d]; d--) oc[d] = 0;
  }
}

/* Fills the job from the node and the views; fails naming the layer. */
static ingot_status setup_job(const ingot_kernel_args *args, resize_job *jo) {
  const ingot_resize_params *p = &args->params->resize;
  const ingot_tensor_view *xv = &args->inputs[0], *yv = &args->outputs[0];
  if (yv->dtype != xv->dtype || (p->mode != INGOT_RESIZE_NEAREST && xv->dtype != INGOT_FLOAT32))
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED,
                           "the reference kernel takes float32 (any dtype for nearest), found %s -> %s",
                           ingot_dtype_name(xv->dtype), ingot_dtype_name(yv->dtype));
  resize_job j = {.x = xv->data, .y = yv->data, .esz = ingot_dtype_size(xv->dtype), .dtype = xv->dtype,
                  .rank = xv->dims.nb_dims, .mode = p->mode, .transform = p->coordinate_transform,
                  .rounding = p->nearest_rounding, .exclude_outside = p->exclude_outside, .antialias = p->antialias,
                  .cubic_a = p->cubic_coeff_a, .extrapolation = p->extrapolation_value};
  /* Output dims fed as input 1 override the scales: the sampling uses out / in then. */
  bool use_scales = p->use_scales && !(args->nb_inputs > 1 && args->inputs[1].data != NULL);
  int64_t stride = 1;
  for (int32_t d = j.rank - 1; d >= 0; d--) {
    j.in[d] = xv->dims.d[d];
    j.out[d] = yv->dims.d[d];
    j.in_stride[d] = stride;
    stride *= j.in[d];
    /* ONNX: with sizes, scale = out / in; with scales, the given scale (so the output
     * length used by align_corners may be fractional). */
    j.scale[d] = use_scales ? (double)p->scales[d] : (double)j.out[d] / (double)j.in[d];
    j.length[d] = use_scales ? (double)j.in[d] * j.scale[d] : (double)j.out[d];
    j.roi_start[d] = p->roi[d];
    j.roi_end[d] = p->roi[j.rank + d];
    j.identity[d] = j.in[d] == j.out[d] && j.scale[d] == 1.0 &&
                    (j.transform != INGOT_RESIZE_TF_CROP_AND_RESIZE || (j.roi_start[d] == 0.0 && j.roi_end[d] == 1.0));
    if (p->antialias && p->mode != INGOT_RESIZE_NEAREST && !j.identity[d] && j.scale[d] < 1.0 &&
        (p->mode == INGOT_RESIZE_CUBIC ? 4.0 : 2.0) * (floor(1.0 / j.scale[d]) + 1.0) > (double)MAX_TAPS)
      return ingot_node_fail(args->node, INGOT_UNSUPPORTED,
                             "antialiased resize of dim %d by a scale of %g: the kernel would span more than %d input "
                             "cells", (int)d, j.scale[d], (int)MAX_TAPS);
  }
  *jo = j;
  return INGOT_SUCCESS;
}

ingot_status ingot_cpu_resize(const ingot_kernel_args *args) {
  resize_job j;
  INGOT_TRY(setup_job(args, &j));
  int64_t total = ingot_dims_volume(&args->outputs[0].dims);
  if (total <= 0) return INGOT_SUCCESS;
  ingot_parallel_for(args->pool, total, 1024, resize_range, &j);
  return INGOT_SUCCESS;
}

/* ---- resize_nearest_table ------------------------------------------------------------------ */

/* Nearest without extrapolation (every coordinate transform but tf_crop_and_resize), any dtype. */
bool ingot_cpu_resize_nearest_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                       const ingot_tensor_view *outputs) {
  const ingot_resize_params *p = &node->params.resize;
  return p->mode == INGOT_RESIZE_NEAREST && p->coordinate_transform != INGOT_RESIZE_TF_CROP_AND_RESIZE &&
         inputs[0].dtype == outputs[0].dtype && inputs[0].dims.nb_dims >= 1 &&
         inputs[0].dims.nb_dims == outputs[0].dims.nb_dims;
}

/* One int64 input index per output coordinate of every dim. */
uint64_t ingot_cpu_resize_nearest_workspace(const ingot_kernel_args *args) {
  uint64_t n = 0;
  for (int32_t d = 0; d < args->outputs[0].dims.nb_dims; d++)
    n += (uint64_t)(args->outputs[0].dims.d[d] > 0 ? args->outputs[0].dims.d[d] : 0);
  return n * sizeof(int64_t);
}

typedef struct table_job {
  const resize_job *j;
  const int64_t *table[INGOT_MAX_DIMS]; /* per dim: input index of each output coordinate */
  int32_t outer;                        /* dims [0, outer) are walked; the rest is one run */
  size_t run_bytes;
} table_job;

static void copy_runs(void *ctx, int64_t begin, int64_t end) {
  const table_job *t = ctx;
  const resize_job *j = t->j;
  int64_t oc[INGOT_MAX_DIMS], rest = begin;
  for (int32_t d = t->outer - 1; d >= 0; d--) {
    oc[d] = rest % j->out[d];
    rest /= j->out[d];
  }
  for (int64_t o = begin; o < end; o++) {
    int64_t off = 0;
    for (int32_t d = 0; d < t->outer; d++) off += t->table[d][oc[d]] * j->in_stride[d];
    memcpy(j->y + (size_t)o * t->run_bytes, j->x + (size_t)off * j->esz, t->run_bytes);
    for (int32_t d = t->outer - 1; d >= 0 && ++oc[d] == j->out[d]; d--) oc[d] = 0;
  }
}

ingot_status ingot_cpu_resize_nearest(const ingot_kernel_args *args) {
  resize_job j;
  INGOT_TRY(setup_job(args, &j));
  if (j.mode != INGOT_RESIZE_NEAREST || j.transform == INGOT_RESIZE_TF_CROP_AND_RESIZE)
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "resize_nearest_table takes nearest without crop-and-resize");
  if (args->workspace_size < ingot_cpu_resize_nearest_workspace(args))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "workspace of %llu bytes is too small",
                           (unsigned long long)args->workspace_size);
  int64_t total = ingot_dims_volume(&args->outputs[0].dims);
  if (total <= 0) return INGOT_SUCCESS;
  table_job t = {.j = &j, .outer = j.rank};
  int64_t run = 1;
  while (t.outer > 0 && j.identity[t.outer - 1]) run *= j.out[--t.outer]; /* trailing dims copied whole */
  t.run_bytes = (size_t)run * j.esz;
  int64_t *next = args->workspace;
  for (int32_t d = 0; d < t.outer; d++) {
    for (int64_t x = 0; x < j.out[d]; x++) next[x] = j.identity[d] ? x : nearest_index(&j, d, x);
    t.table[d] = next;
    next += j.out[d];
  }
  int64_t runs = total / run;
  ingot_parallel_for(args->pool, runs, 16384 / (int64_t)(t.run_bytes + 16) + 1, copy_runs, &t);
  return INGOT_SUCCESS;
}
