/* Boxes for the CUDA kernels: a tensor walk as few dims as possible (dims of 1 dropped,
 * neighbours that are one contiguous run in every operand merged), so the kernels decode
 * an index with few divisions; and the small helpers every tactic file shares. */
#include <string.h>

#include "backend/cuda/kernels/ck_tactics.h"
#include "core/dims.h"
#include "ops/ops.h"

bool ingot_ck_box_make(ingot_ck_box *box, int32_t rank, const int64_t *dims, int32_t nb_operands,
                       const int64_t strides[][INGOT_MAX_DIMS]) {
  memset(box, 0, sizeof *box);
  box->nb_operands = nb_operands;
  box->volume = 1;
  int32_t r = 0;
  for (int32_t d = 0; d < rank; d++) {
    if (dims[d] < 0) return false;
    box->volume *= dims[d];
    if (dims[d] == 1) continue;
    bool merge = r > 0;
    for (int32_t k = 0; k < nb_operands && merge; k++)
      merge = box->stride[k][r - 1] == strides[k][d] * dims[d];
    if (merge) {
      box->dims[r - 1] *= dims[d];
      for (int32_t k = 0; k < nb_operands; k++) box->stride[k][r - 1] = strides[k][d];
      continue;
    }
    if (r == INGOT_CK_MAX_DIMS) return false;
    box->dims[r] = dims[d];
    for (int32_t k = 0; k < nb_operands; k++) box->stride[k][r] = strides[k][d];
    r++;
  }
  if (r == 0) { /* one element (or a scalar) */
    box->dims[0] = 1;
    for (int32_t k = 0; k < nb_operands; k++) box->stride[k][0] = 1;
    r = 1;
  }
  box->rank = r;
  return true;
}

bool ingot_ck_box_broadcast(ingot_ck_box *box, const ingot_dims *out, int32_t nb_inputs, const ingot_dims *const *in) {
  int64_t strides[INGOT_CK_MAX_OPERANDS][INGOT_MAX_DIMS];
  int32_t rank = out->nb_dims;
  if (nb_inputs > INGOT_CK_MAX_OPERANDS) return false;
  for (int32_t k = 0; k < nb_inputs; k++) {
    int32_t shift = rank - in[k]->nb_dims;
    if (shift < 0) return false;
    int64_t s = 1;
    for (int32_t d = rank - 1; d >= 0; d--) {
      int64_t dim = d >= shift ? in[k]->d[d - shift] : 1;
      if (dim != 1 && dim != out->d[d]) return false;
      strides[k][d] = dim == 1 ? 0 : s;
      s *= dim;
    }
  }
  return ingot_ck_box_make(box, rank, out->d, nb_inputs, (const int64_t(*)[INGOT_MAX_DIMS])strides);
}

ingot_status ingot_ck_status(const ingot_kernel_args *args, cudaError_t err) {
  if (err == cudaSuccess) return INGOT_SUCCESS;
  return ingot_node_fail(args->node, INGOT_RUNTIME_ERROR, "CUDA kernel launch failed: %s", cudaGetErrorString(err));
}

bool ingot_ck_is_float(ingot_dtype dtype) {
  return dtype == INGOT_FLOAT32 || dtype == INGOT_FLOAT16 || dtype == INGOT_BFLOAT16;
}
