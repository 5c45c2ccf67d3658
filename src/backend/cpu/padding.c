/* Padding on the CPU: constant, reflect (numpy 'reflect': mirror without the edge), edge
 * and wrap, with negative pads cropping. Output coordinate o of a dim reads input
 * coordinate o - pre, mapped into the input by the mode when it falls outside; this is
 * numpy.pad with the positive pads followed by cropping the negative ones. Each output row
 * (the last dim) is one contiguous memcpy for its interior plus mapped elements at its ends. */
#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/movement.h"
#include "backend/cpu/value_views.h"
#include "core/dims.h"
#include "core/error.h"
#include "ops/dims_inputs.h"

/* Input coordinate for padded coordinate i of a dim of n, or -1 for "the constant". */
static int64_t map_index(int64_t i, int64_t n, int32_t mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case INGOT_PAD_EDGE: return i < 0 ? 0 : n - 1;
    case INGOT_PAD_REFLECT: {
      if (n == 1) return 0;
      int64_t period = 2 * (n - 1), r = i % period;
      if (r < 0) r += period;
      return r < n ? r : period - r;
    }
    case INGOT_PAD_WRAP: {
      int64_t r = i % n;
      return r < 0 ? r + n : r;
    }
    default: return -1;
  }
}

typedef struct pad_job {
  char *dst;
  const char *src;
  size_t es;
  int32_t mode;
  int32_t rank; /* >= 1 */
  int64_t out_dims[INGOT_MAX_DIMS];
  int64_t in_dims[INGOT_MAX_DIMS];
  int64_t in_strides[INGOT_MAX_DIMS];
  int64_t pre[INGOT_MAX_DIMS];
  union {
    int64_t align;
    unsigned char bytes[8];
  } value; /* the constant, in the dtype */
} pad_job;

static void pad_rows(void *ctx, int64_t begin, int64_t end) {
  const pad_job *j = ctx;
  const int32_t last = j->rank - 1;
  const int64_t width = j->out_dims[last], n = j->in_dims[last], pre = j->pre[last];
  const size_t es = j->es;
  /* Interior of a row: output columns whose input column o - pre is inside [0, n). */
  int64_t lo = pre < 0 ? 0 : pre, hi = pre + n < width ? pre + n : width;
  if (hi < lo) hi = lo;
  for (int64_t r = begin; r < end; r++) {
    char *d = j->dst + r * width * (int64_t)es;
    int64_t rem = r, soff = 0;
    int constant_row = 0;
    for (int32_t k = last - 1; k >= 0; k--) {
      int64_t o = rem % j->out_dims[k];
      rem /= j->out_dims[k];
      int64_t m = map_index(o - j->pre[k], j->in_dims[k], j->mode);
      if (m < 0) constant_row = 1;
      else soff += m * j->in_strides[k];
    }
    if (constant_row) {
      ingot_cpu_fill(d, j->value.bytes, width, es);
      continue;
    }
    const char *s = j->src + soff * (int64_t)es;
    for (int64_t o = 0; o < lo; o++) {
      int64_t m = map_index(o - pre, n, j->mode);
      ingot_cpu_copy_elem(d + o * (int64_t)es, m < 0 ? (const char *)j->value.bytes : s + m * (int64_t)es, es);
    }
    if (hi > lo) memcpy(d + lo * (int64_t)es, s + (lo - pre) * (int64_t)es, (size_t)(hi - lo) * es);
    for (int64_t o = hi; o < width; o++) {
      int64_t m = map_index(o - pre, n, j->mode);
      ingot_cpu_copy_elem(d + o * (int64_t)es, m < 0 ? (const char *)j->value.bytes : s + m * (int64_t)es, es);
    }
  }
}

INGOT_CPU_KERNEL(ingot_cpu_padding) {
  /* The pads may come from value input 1 (dims_inputs.h), resolved as inference did. */
  ingot_value_info values[2];
  ingot_cpu_value_infos(args, values, 2);
  ingot_padding_params eff;
  INGOT_TRY(ingot_padding_effective(args->node, values, &eff));
  const ingot_padding_params *p = &eff;
  const ingot_tensor_view *in = &args->inputs[0], *out = &args->outputs[0];
  const size_t es = ingot_dtype_size(in->dtype);
  const int64_t volume = ingot_dims_volume(&out->dims);
  if (volume == 0) return INGOT_SUCCESS;
  if (out->dims.nb_dims == 0) { /* a scalar has nothing to pad */
    ingot_cpu_copy_elem(out->data, in->data, es);
    return INGOT_SUCCESS;
  }
  pad_job j;
  memset(&j, 0, sizeof j);
  j.dst = out->data;
  j.src = in->data;
  j.es = es;
  j.mode = p->mode;
  j.rank = out->dims.nb_dims;
  ingot_dims_strides(&in->dims, j.in_strides);
  for (int32_t i = 0; i < j.rank; i++) {
    j.out_dims[i] = out->dims.d[i];
    j.in_dims[i] = in->dims.d[i];
    j.pre[i] = p->pre_padding[i];
  }
  /* The constant in the tensor's dtype, converted as the cast layer converts. */
  ingot_store_from_double(j.value.bytes, in->dtype, 0, (double)p->value);
  const int64_t width = j.out_dims[j.rank - 1], rows = volume / width;
  const int64_t row_bytes = width * (int64_t)es;
  const int64_t grain = row_bytes >= INGOT_CPU_MOVE_GRAIN_BYTES ? 1 : INGOT_CPU_MOVE_GRAIN_BYTES / row_bytes;
  ingot_parallel_for(args->pool, rows, grain, pad_rows, &j);
  return INGOT_SUCCESS;
}
