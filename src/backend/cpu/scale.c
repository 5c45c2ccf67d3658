/* Scale: y = (x * scale + shift) ^ power with one coefficient for the tensor, one per
 * channel or one per element after the batch dim; any coefficient may be absent. */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/elementwise_io.h"
#include "core/error.h"

typedef struct coef {
  const void *data; /* NULL: absent */
  ingot_dtype dtype;
} coef;

typedef struct scale_ctx {
  ingot_dtype dtype;
  const void *x;
  void *y;
  coef shift, scale, power;
  int32_t mode;
  int64_t inner;    /* elements per coefficient step: after the channel dim / after dim 0 */
  int64_t channels; /* channel mode: size of the channel dim */
} scale_ctx;

static void scale_chunk(void *ctx, int64_t begin, int64_t end) {
  const scale_ctx *c = ctx;
  for (int64_t i = begin; i < end; i++) {
    int64_t k = 0;
    if (c->mode == INGOT_SCALE_CHANNEL) {
      k = (i / c->inner) % c->channels;
    } else if (c->mode == INGOT_SCALE_ELEMENTWISE) {
      k = i % c->inner;
    }
    float v = ingot_cpu_load_float(c->x, c->dtype, i);
    if (c->scale.data) v *= ingot_cpu_load_float(c->scale.data, c->scale.dtype, k);
    if (c->shift.data) v += ingot_cpu_load_float(c->shift.data, c->shift.dtype, k);
    if (c->power.data) v = powf(v, ingot_cpu_load_float(c->power.data, c->power.dtype, k));
    ingot_cpu_store_float(c->y, c->dtype, i, v);
  }
}

static coef coef_at(const ingot_kernel_args *args, int32_t index) {
  coef c = {NULL, INGOT_FLOAT32};
  if (index < args->nb_inputs && args->inputs[index].data != NULL) {
    c.data = args->inputs[index].data;
    c.dtype = args->inputs[index].dtype;
  }
  return c;
}

INGOT_CPU_KERNEL(ingot_cpu_scale) {
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  const ingot_scale_params *p = &args->params->scale;
  if (!ingot_cpu_float_dtype(x->dtype) || y->dtype != x->dtype) {
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "scale kernel takes float input and output of one dtype, found %s and %s",
                           ingot_dtype_name(x->dtype), ingot_dtype_name(y->dtype));
  }
  scale_ctx c = {.dtype = x->dtype, .x = x->data, .y = y->data, .mode = p->mode, .inner = 1, .channels = 1};
  c.shift = coef_at(args, 1);
  c.scale = coef_at(args, 2);
  c.power = coef_at(args, 3);
  for (int32_t i = 1; i < args->nb_inputs && i < 4; i++) {
    if (args->inputs[i].data != NULL && !ingot_cpu_float_dtype(args->inputs[i].dtype)) {
      return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "scale kernel takes float coefficients, input %d is %s",
                             (int)i, ingot_dtype_name(args->inputs[i].dtype));
    }
  }
  const ingot_dims *d = &x->dims;
  if (p->mode == INGOT_SCALE_CHANNEL) {
    int32_t axis;
    if (!ingot_axis_normalize(p->channel_axis, d->nb_dims, &axis)) {
      return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "channel_axis %d is out of range for %d dims",
                             (int)p->channel_axis, (int)d->nb_dims);
    }
    c.channels = d->d[axis];
    for (int32_t i = axis + 1; i < d->nb_dims; i++) c.inner *= d->d[i];
  } else if (p->mode == INGOT_SCALE_ELEMENTWISE) {
    for (int32_t i = 1; i < d->nb_dims; i++) c.inner *= d->d[i];
  } else if (p->mode != INGOT_SCALE_UNIFORM) {
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "scale mode must be 0, 1 or 2, found %d", (int)p->mode);
  }
  int64_t n = ingot_dims_volume(&y->dims);
  if (n <= 0 || c.inner <= 0 || c.channels <= 0) return INGOT_SUCCESS;
  ingot_parallel_for(args->pool, n, 16384, scale_chunk, &c);
  return INGOT_SUCCESS;
}
