/* Unique (ONNX semantics): the distinct elements of x, or distinct slices along `axis`,
 * sorted ascending or in order of first occurrence, with the index of each one's first
 * occurrence, the inverse indices (for each element or slice of x, its position in y) and
 * the counts. Slices are ordered by sorting their indices (lexicographic on the values,
 * ties by index), which groups equal slices with the first occurrence leading. The
 * outputs' extent is data-dependent: views hold the bound, real dims go to
 * args->output_dims. */
#include <string.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/index_sort.h"
#include "core/dims.h"
#include "core/error.h"

typedef struct slices {
  const void *data;
  ingot_dtype dtype;
  int64_t outer, n, inner; /* slice i: elements (o * n + i) * inner + k */
  const int64_t *first;    /* ordering groups by first occurrence: group -> index */
} slices;

static int compare_slices(const slices *s, int64_t a, int64_t b) {
  for (int64_t o = 0; o < s->outer; o++)
    for (int64_t k = 0; k < s->inner; k++) {
      double va = ingot_load_as_double(s->data, s->dtype, (o * s->n + a) * s->inner + k);
      double vb = ingot_load_as_double(s->data, s->dtype, (o * s->n + b) * s->inner + k);
      if (va != vb) return va < vb ? -1 : 1;
    }
  return 0;
}

static bool slice_before(const void *ctx, int64_t a, int64_t b) {
  int c = compare_slices(ctx, a, b);
  return c < 0 || (c == 0 && a < b);
}

static bool first_before(const void *ctx, int64_t a, int64_t b) {
  const slices *s = ctx;
  return s->first[a] < s->first[b];
}

static void geometry(const ingot_kernel_args *args, slices *s, int32_t *axis_out) {
  const ingot_tensor_view *x = &args->inputs[0];
  const ingot_unique_params *p = &args->params->unique;
  s->data = x->data;
  s->dtype = x->dtype;
  s->outer = 1, s->n = ingot_dims_volume(&x->dims), s->inner = 1;
  *axis_out = 0;
  if (p->has_axis && ingot_axis_normalize(p->axis, x->dims.nb_dims, axis_out)) {
    s->n = x->dims.d[*axis_out];
    for (int32_t k = 0; k < *axis_out; k++) s->outer *= x->dims.d[k];
    for (int32_t k = *axis_out + 1; k < x->dims.nb_dims; k++) s->inner *= x->dims.d[k];
  }
}

uint64_t ingot_cpu_unique_workspace(const ingot_kernel_args *args) {
  slices s;
  int32_t axis;
  geometry(args, &s, &axis);
  return (uint64_t)s.n * 5 * sizeof(int64_t);
}

ingot_status ingot_cpu_unique(const ingot_kernel_args *args) {
  slices s;
  int32_t axis;
  geometry(args, &s, &axis);
  int64_t n = s.n;
  int64_t *order = args->workspace, *group_of = order + n, *first = group_of + n, *counts = first + n,
          *rank = counts + n;
  for (int64_t i = 0; i < n; i++) order[i] = i;
  ingot_cpu_sort_indices(order, n, slice_before, &s);
  int64_t groups = 0;
  for (int64_t p = 0; p < n; p++) {
    if (p == 0 || compare_slices(&s, order[p - 1], order[p]) != 0) {
      first[groups] = order[p]; /* the lowest index of its group: ties sort by index */
      counts[groups++] = 0;
    }
    group_of[order[p]] = groups - 1;
    counts[groups - 1]++;
  }
  /* rank[g]: group g's position in y. Sorted: the value order; else first occurrence. */
  for (int64_t g = 0; g < groups; g++) order[g] = g;
  if (!args->params->unique.sorted) {
    s.first = first;
    ingot_cpu_sort_indices(order, groups, first_before, &s);
  }
  for (int64_t r = 0; r < groups; r++) rank[order[r]] = r;
  if (groups > args->outputs[1].dims.d[0])
    return ingot_node_fail(args->node, INGOT_RUNTIME_ERROR, "%lld unique values, more than the bound %lld",
                           (long long)groups, (long long)args->outputs[1].dims.d[0]);
  size_t es = ingot_dtype_size(s.dtype), row = (size_t)s.inner * es;
  const uint8_t *src = s.data;
  uint8_t *y = args->outputs[0].data;
  int64_t *indices = args->outputs[1].data, *inverse = args->outputs[2].data, *out_counts = args->outputs[3].data;
  for (int64_t g = 0; g < groups; g++) {
    int64_t r = rank[g];
    for (int64_t o = 0; o < s.outer; o++)
      memcpy(y + (size_t)(o * groups + r) * row, src + (size_t)(o * n + first[g]) * row, row);
    indices[r] = first[g];
    out_counts[r] = counts[g];
  }
  for (int64_t i = 0; i < n; i++) inverse[i] = rank[group_of[i]];
  if (args->output_dims) {
    for (int32_t k = 0; k < 4; k++) args->output_dims[k] = args->outputs[k].dims;
    args->output_dims[0].d[args->params->unique.has_axis ? axis : 0] = groups;
    args->output_dims[1].d[0] = args->output_dims[3].d[0] = groups;
  }
  return INGOT_SUCCESS;
}
