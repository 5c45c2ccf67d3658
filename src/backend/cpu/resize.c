/* Scalar reference resize, following the ONNX Resize spec (and its reference
 * implementation): nearest (any dtype: bytes are copied) and n-linear (float32) over
 * every dim, with the half_pixel, asymmetric, align_corners and pytorch_half_pixel
 * coordinate transforms. Sampling outside the input clamps to the edge. */
#include <math.h>
#include <string.h>

#include "backend/cpu/cpu_kernels.h"

typedef struct resize_job {
  const unsigned char *x;
  unsigned char *y;
  size_t esz;
  int32_t rank, mode, transform, rounding;
  int64_t in[INGOT_MAX_DIMS], out[INGOT_MAX_DIMS], in_stride[INGOT_MAX_DIMS];
  double scale[INGOT_MAX_DIMS];  /* given scale, or out / in */
  double length[INGOT_MAX_DIMS]; /* ONNX's output_width: in * scale, fractional with scales */
  bool identity[INGOT_MAX_DIMS]; /* dim copied as is (same size, scale 1) */
} resize_job;

/* Coordinate in the input of output coordinate `x` along dim d. */
static double original_coord(const resize_job *j, int32_t d, int64_t x) {
  double xr = (double)x, s = j->scale[d];
  switch (j->transform) {
    case INGOT_RESIZE_ASYMMETRIC: return xr / s;
    case INGOT_RESIZE_ALIGN_CORNERS:
      return j->length[d] == 1.0 ? 0.0 : xr * (double)(j->in[d] - 1) / (j->length[d] - 1.0);
    case INGOT_RESIZE_PYTORCH_HALF_PIXEL: return j->length[d] == 1.0 ? 0.0 : (xr + 0.5) / s - 0.5;
    default: return (xr + 0.5) / s - 0.5; /* half_pixel */
  }
}

static int64_t clamp_index(int64_t i, int64_t n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

static int64_t nearest_index(const resize_job *j, int32_t d, int64_t x) {
  double xo = original_coord(j, d, x), f = floor(xo), r = xo - f;
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
    if (j->mode == INGOT_RESIZE_NEAREST) {
      int64_t off = 0;
      for (int32_t d = 0; d < j->rank; d++)
        off += (j->identity[d] ? oc[d] : nearest_index(j, d, oc[d])) * j->in_stride[d];
      copy_element(j->y + (size_t)o * j->esz, j->x + (size_t)off * j->esz, j->esz);
    } else {
      /* n-linear: the value is the sum over the 2^m corners of the m dims that fall
       * between two input cells, each weighted by the product of its 1-d weights. */
      int64_t base = 0, step[INGOT_MAX_DIMS];
      double w[INGOT_MAX_DIMS];
      int32_t m = 0;
      for (int32_t d = 0; d < j->rank; d++) {
        if (j->identity[d]) {
          base += oc[d] * j->in_stride[d];
          continue;
        }
        double xo = original_coord(j, d, oc[d]), f = floor(xo);
        int64_t lo = clamp_index((int64_t)f, j->in[d]), hi = clamp_index((int64_t)f + 1, j->in[d]);
        base += lo * j->in_stride[d];
        double frac = xo - f;
        if (hi != lo && frac > 0.0) {
          step[m] = (hi - lo) * j->in_stride[d];
          w[m++] = frac;
        }
      }
      const float *x = (const float *)j->x;
      double acc = 0.0;
      for (int64_t corner = 0; corner < ((int64_t)1 << m); corner++) {
        double weight = 1.0;
        int64_t off = base;
        for (int32_t k = 0; k < m; k++) {
          if (corner & ((int64_t)1 << k)) {
            weight *= w[k];
            off += step[k];
          } else {
            weight *= 1.0 - w[k];
          }
        }
        acc += weight * (double)x[off];
      }
      ((float *)j->y)[o] = (float)acc;
    }
    for (int32_t d = j->rank - 1; d >= 0 && ++oc[d] == j->out[d]; d--) oc[d] = 0;
  }
}

ingot_status ingot_cpu_resize(const ingot_kernel_args *args) {
  const ingot_resize_params *p = &args->params->resize;
  const ingot_tensor_view *xv = &args->inputs[0], *yv = &args->outputs[0];
  if (yv->dtype != xv->dtype || (p->mode == INGOT_RESIZE_LINEAR && xv->dtype != INGOT_FLOAT32))
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED,
                           "the reference kernel takes float32 (any dtype for nearest), found %s -> %s",
                           ingot_dtype_name(xv->dtype), ingot_dtype_name(yv->dtype));
  resize_job j = {.x = xv->data, .y = yv->data, .esz = ingot_dtype_size(xv->dtype), .rank = xv->dims.nb_dims,
                  .mode = p->mode, .transform = p->coordinate_transform, .rounding = p->nearest_rounding};
  /* Output dims fed as input 1 override the scales: the sampling uses out / in then. */
  bool use_scales = p->use_scales && !(args->nb_inputs > 1 && args->inputs[1].data != NULL);
  int64_t stride = 1, total = 1;
  for (int32_t d = j.rank - 1; d >= 0; d--) {
    j.in[d] = xv->dims.d[d];
    j.out[d] = yv->dims.d[d];
    j.in_stride[d] = stride;
    stride *= j.in[d];
    total *= j.out[d];
    /* ONNX: with sizes, scale = out / in; with scales, the given scale (so the output
     * length used by align_corners may be fractional). */
    j.scale[d] = use_scales ? (double)p->scales[d] : (double)j.out[d] / (double)j.in[d];
    j.length[d] = use_scales ? (double)j.in[d] * j.scale[d] : (double)j.out[d];
    j.identity[d] = j.in[d] == j.out[d] && j.scale[d] == 1.0;
  }
  if (total == 0) return INGOT_SUCCESS;
  ingot_parallel_for(args->pool, total, 1024, resize_range, &j);
  return INGOT_SUCCESS;
}
