/* Numpy broadcast index mapping (see broadcast.h). Dims are merged where every input is
 * contiguous across the boundary, so the common cases (same shapes, a scalar, a row)
 * become one long innermost row and kernels spend their time in plain strided loops. */
#include "backend/cpu/broadcast.h"

#include <string.h>

bool ingot_broadcast_init(ingot_broadcast *bc, const ingot_dims *out, int32_t nb_inputs,
                          const ingot_dims *const *inputs) {
  if (nb_inputs < 1 || nb_inputs > INGOT_BROADCAST_MAX_INPUTS) return false;
  if (out->nb_dims < 0 || out->nb_dims > INGOT_MAX_DIMS) return false;
  memset(bc, 0, sizeof *bc);
  bc->nb_inputs = nb_inputs;

  /* Full-rank strides of each input, aligned to the output's dims from the right. */
  int32_t rank = out->nb_dims;
  int64_t full[INGOT_BROADCAST_MAX_INPUTS][INGOT_MAX_DIMS];
  for (int32_t k = 0; k < nb_inputs; k++) {
    const ingot_dims *in = inputs[k];
    if (in->nb_dims < 0 || in->nb_dims > rank) return false;
    int64_t stride = 1;
    for (int32_t d = rank - 1; d >= 0; d--) {
      int32_t id = d - (rank - in->nb_dims);
      int64_t dim = id >= 0 ? in->d[id] : 1;
      if (dim < 0 || out->d[d] < 0) return false;
      if (dim == out->d[d]) {
        full[k][d] = stride;
      } else if (dim == 1) {
        full[k][d] = 0;
      } else {
        return false;
      }
      stride *= dim;
    }
  }

  /* Drop dims of size 1 and merge a dim into its outer neighbour when every input steps
   * through both as through one (outer stride == inner stride * inner dim). */
  int32_t m = 0;
  bc->volume = 1;
  for (int32_t d = 0; d < rank; d++) {
    int64_t dim = out->d[d];
    bc->volume *= dim;
    if (dim == 1) continue;
    bool merge = m > 0;
    for (int32_t k = 0; k < nb_inputs && merge; k++) {
      if (bc->strides[k][m - 1] != full[k][d] * dim) merge = false;
    }
    if (merge) {
      bc->dims[m - 1] *= dim;
      for (int32_t k = 0; k < nb_inputs; k++) bc->strides[k][m - 1] = full[k][d];
    } else {
      bc->dims[m] = dim;
      for (int32_t k = 0; k < nb_inputs; k++) bc->strides[k][m] = full[k][d];
      m++;
    }
  }
  if (m == 0) { /* scalar or all-ones output: one element */
    bc->dims[0] = 1;
    m = 1;
  }
  bc->rank = m;
  for (int32_t k = 0; k < nb_inputs; k++) bc->inner_stride[k] = bc->strides[k][m - 1];
  return true;
}

static void offsets_from_index(const ingot_broadcast *bc, ingot_broadcast_iter *it) {
  for (int32_t k = 0; k < bc->nb_inputs; k++) {
    int64_t off = 0;
    for (int32_t d = 0; d < bc->rank; d++) off += it->index[d] * bc->strides[k][d];
    it->offset[k] = off;
  }
}

void ingot_broadcast_seek(const ingot_broadcast *bc, int64_t linear, ingot_broadcast_iter *it) {
  memset(it, 0, sizeof *it);
  if (bc->volume > 0 && linear >= bc->volume) {
    /* one past the end: index[0] == dims[0], which only ever compares as "done" */
    it->index[0] = bc->dims[0];
    offsets_from_index(bc, it);
    return;
  }
  for (int32_t d = bc->rank - 1; d >= 0 && linear > 0; d--) {
    it->index[d] = linear % bc->dims[d];
    linear /= bc->dims[d];
  }
  offsets_from_index(bc, it);
}

void ingot_broadcast_advance(const ingot_broadcast *bc, ingot_broadcast_iter *it, int64_t n) {
  int32_t last = bc->rank - 1;
  it->index[last] += n;
  if (it->index[last] < bc->dims[last]) {
    for (int32_t k = 0; k < bc->nb_inputs; k++) it->offset[k] += n * bc->inner_stride[k];
    return;
  }
  /* Carry into outer dims, then recompute the offsets (rare: once per row). */
  for (int32_t d = last; d > 0 && it->index[d] >= bc->dims[d]; d--) {
    it->index[d - 1] += it->index[d] / bc->dims[d];
    it->index[d] %= bc->dims[d];
  }
  offsets_from_index(bc, it);
}

int64_t ingot_broadcast_offset(const ingot_broadcast *bc, int32_t k, int64_t linear) {
  int64_t off = 0;
  for (int32_t d = bc->rank - 1; d >= 0 && linear > 0; d--) {
    off += (linear % bc->dims[d]) * bc->strides[k][d];
    linear /= bc->dims[d];
  }
  return off;
}
