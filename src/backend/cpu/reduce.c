/* Scalar reference reduce (sum, mean, max, min, prod) over any set of axes, for float32,
 * int32 and int64. Floats accumulate in double; integers wrap as two's complement (no
 * undefined overflow) and mean truncates toward zero, as ONNX. */
#include <math.h>
#include <string.h>

#include "backend/cpu/cpu_kernels.h"

typedef struct reduce_job {
  const void *x;
  void *y;
  ingot_dtype dtype;
  int32_t op;
  int32_t nb_kept, nb_red;
  int64_t kept_dim[INGOT_MAX_DIMS], kept_stride[INGOT_MAX_DIMS]; /* input strides of kept dims */
  int64_t red_dim[INGOT_MAX_DIMS], red_stride[INGOT_MAX_DIMS];
  int64_t count; /* elements reduced into each output */
} reduce_job;

/* Input offset of the first element reduced into output `o`. */
static int64_t base_offset(const reduce_job *j, int64_t o) {
  int64_t off = 0;
  for (int32_t i = j->nb_kept - 1; i >= 0; i--) {
    off += (o % j->kept_dim[i]) * j->kept_stride[i];
    o /= j->kept_dim[i];
  }
  return off;
}

/* Offset, from an output's base, of the reduced element at coordinates rc. */
static int64_t red_offset(const reduce_job *j, const int64_t *rc) {
  int64_t off = 0;
  for (int32_t i = 0; i < j->nb_red; i++) off += rc[i] * j->red_stride[i];
  return off;
}

/* Advances the odometer over the reduced dims; false once past the last. */
static bool red_next(const reduce_job *j, int64_t *rc) {
  for (int32_t i = j->nb_red - 1; i >= 0; i--) {
    if (++rc[i] < j->red_dim[i]) return true;
    rc[i] = 0;
  }
  return false;
}

static double reduce_float(const reduce_job *j, const float *x) {
  int64_t rc[INGOT_MAX_DIMS] = {0};
  int32_t op = j->op;
  double acc = op == INGOT_REDUCE_PROD ? 1.0 : op == INGOT_REDUCE_MAX ? -INFINITY : op == INGOT_REDUCE_MIN ? INFINITY : 0.0;
  if (j->count == 0) return op == INGOT_REDUCE_MEAN ? NAN : acc;
  do {
    double v = x[red_offset(j, rc)];
    switch (op) {
      case INGOT_REDUCE_SUM:
      case INGOT_REDUCE_MEAN: acc += v; break;
      case INGOT_REDUCE_PROD: acc *= v; break;
      case INGOT_REDUCE_MAX: if (v > acc || isnan(v)) acc = v; break;
      default: if (v < acc || isnan(v)) acc = v; break;
    }
    if (isnan(acc) && (op == INGOT_REDUCE_MAX || op == INGOT_REDUCE_MIN)) break;
  } while (red_next(j, rc));
  return op == INGOT_REDUCE_MEAN ? acc / (double)j->count : acc;
}

static int64_t load_int(const void *x, ingot_dtype dtype, int64_t i) {
  return dtype == INGOT_INT32 ? (int64_t)((const int32_t *)x)[i] : ((const int64_t *)x)[i];
}

static int64_t reduce_int(const reduce_job *j, int64_t base) {
  int64_t rc[INGOT_MAX_DIMS] = {0};
  int32_t op = j->op;
  int64_t lowest = j->dtype == INGOT_INT32 ? INT32_MIN : INT64_MIN;
  int64_t highest = j->dtype == INGOT_INT32 ? INT32_MAX : INT64_MAX;
  uint64_t acc = op == INGOT_REDUCE_PROD ? 1u : 0u; /* sum/prod in unsigned: wraps, no UB */
  int64_t best = op == INGOT_REDUCE_MAX ? lowest : highest;
  if (j->count == 0) return op == INGOT_REDUCE_MAX || op == INGOT_REDUCE_MIN ? best : (int64_t)acc;
  do {
    int64_t v = load_int(j->x, j->dtype, base + red_offset(j, rc));
    switch (op) {
      case INGOT_REDUCE_SUM:
      case INGOT_REDUCE_MEAN: acc += (uint64_t)v; break;
      case INGOT_REDUCE_PROD: acc *= (uint64_t)v; break;
      case INGOT_REDUCE_MAX: if (v > best) best = v; break;
      default: if (v < best) best = v; break;
    }
  } while (red_next(j, rc));
  if (op == INGOT_REDUCE_MAX || op == INGOT_REDUCE_MIN) return best;
  int64_t total;
  if (j->dtype == INGOT_INT32)
    total = (int64_t)(int32_t)(uint32_t)acc; /* the int32 sum wraps at 32 bits */
  else
    memcpy(&total, &acc, sizeof total);
  return op == INGOT_REDUCE_MEAN ? total / j->count : total;
}

static void reduce_outputs(void *ctx, int64_t begin, int64_t end) {
  const reduce_job *j = ctx;
  for (int64_t o = begin; o < end; o++) {
    int64_t base = base_offset(j, o);
    switch (j->dtype) {
      case INGOT_FLOAT32: ((float *)j->y)[o] = (float)reduce_float(j, (const float *)j->x + base); break;
      case INGOT_INT32: ((int32_t *)j->y)[o] = (int32_t)reduce_int(j, base); break;
      default: ((int64_t *)j->y)[o] = reduce_int(j, base); break;
    }
  }
}

static void reverse(int64_t *v, int32_t n) {
  for (int32_t a = 0, b = n - 1; a < b; a++, b--) {
    int64_t t = v[a];
    v[a] = v[b];
    v[b] = t;
  }
}

ingot_status ingot_cpu_reduce(const ingot_kernel_args *args) {
  const ingot_reduce_params *p = &args->params->reduce;
  const ingot_tensor_view *xv = &args->inputs[0], *yv = &args->outputs[0];
  ingot_dtype dt = xv->dtype;
  if ((dt != INGOT_FLOAT32 && dt != INGOT_INT32 && dt != INGOT_INT64) || yv->dtype != dt)
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED,
                           "the reference kernel takes float32, int32 or int64 in and out, found %s -> %s",
                           ingot_dtype_name(dt), ingot_dtype_name(yv->dtype));
  reduce_job j = {.x = xv->data, .y = yv->data, .dtype = dt, .op = p->op, .count = 1};
  int64_t stride = 1, outputs = 1;
  for (int32_t i = xv->dims.nb_dims - 1; i >= 0; i--) {
    int64_t d = xv->dims.d[i];
    if (p->axes_mask & (1u << i)) {
      j.red_dim[j.nb_red] = d;
      j.red_stride[j.nb_red++] = stride;
      j.count *= d;
    } else {
      j.kept_dim[j.nb_kept] = d;
      j.kept_stride[j.nb_kept++] = stride;
      outputs *= d;
    }
    stride *= d;
  }
  /* Collected innermost first: flip to outermost first (the order of the output). */
  reverse(j.kept_dim, j.nb_kept);
  reverse(j.kept_stride, j.nb_kept);
  reverse(j.red_dim, j.nb_red);
  reverse(j.red_stride, j.nb_red);
  if (j.nb_red == 0) {
    /* No axes: the identity (every op of one element is that element). */
    if (outputs > 0) memcpy(yv->data, xv->data, (size_t)outputs * ingot_dtype_size(dt));
    return INGOT_SUCCESS;
  }
  int64_t grain = 16384 / (j.count + 1) + 1;
  ingot_parallel_for(args->pool, outputs, grain, reduce_outputs, &j);
  return INGOT_SUCCESS;
}
