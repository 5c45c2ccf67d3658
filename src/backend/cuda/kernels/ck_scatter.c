/* CUDA tactics of GatherND and Scatter (ND and elements), scatter.cu. A scatter first
 * copies data into the output, then applies the updates on the same stream. */
#include <string.h>

#include "backend/cuda/kernels/ck_tactics.h"
#include "core/dims.h"
#include "core/error.h"
#include "ops/ops.h"

#define STREAM(args) ((cudaStream_t)(args)->stream)

static bool index_dtype(ingot_dtype dt) { return dt == INGOT_INT32 || dt == INGOT_INT64; }

/* The tuple geometry of GatherND (batch_dims b) or ScatterND (b = 0); false if it does not fit. */
static bool nd_geometry(const ingot_dims *data, const ingot_dims *ind, int32_t b, ingot_ck_nd *nd) {
  const int32_t q = ind->nb_dims, r = data->nb_dims;
  memset(nd, 0, sizeof *nd);
  if (q < 1 || b < 0 || b >= q) return false;
  nd->depth = (int32_t)ind->d[q - 1];
  if (nd->depth < 0 || b + nd->depth > r || nd->depth > INGOT_CK_MAX_DIMS) return false;
  int64_t strides[INGOT_MAX_DIMS], batches = 1;
  ingot_dims_strides(data, strides);
  nd->items = 1;
  nd->inner = 1;
  for (int32_t i = 0; i < q - 1; i++) nd->items *= ind->d[i];
  for (int32_t i = 0; i < b; i++) batches *= ind->d[i];
  for (int32_t i = b + nd->depth; i < r; i++) nd->inner *= data->d[i];
  nd->per_batch = batches > 0 ? nd->items / batches : 0;
  nd->batch_stride = b > 0 ? strides[b - 1] : 0;
  for (int32_t t = 0; t < nd->depth; t++) {
    nd->dims[t] = data->d[b + t];
    nd->strides[t] = strides[b + t];
  }
  return true;
}

bool ingot_ck_gather_nd_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                        const ingot_tensor_view *outputs) {
  ingot_ck_nd nd;
  return inputs[0].dtype == outputs[0].dtype && index_dtype(inputs[1].dtype) &&
         nd_geometry(&inputs[0].dims, &inputs[1].dims, node->params.gather_ex.batch_dims, &nd);
}

ingot_status ingot_ck_gather_nd_tactic(const ingot_kernel_args *args) {
  const ingot_tensor_view *data = &args->inputs[0], *idx = &args->inputs[1], *y = &args->outputs[0];
  ingot_ck_nd nd;
  if (!nd_geometry(&data->dims, &idx->dims, args->params->gather_ex.batch_dims, &nd))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "gather nd geometry");
  return ingot_ck_status(args, ingot_ck_gather_nd((int32_t)ingot_dtype_size(data->dtype), &nd,
                                                  idx->dtype == INGOT_INT32, data->data, idx->data, y->data,
                                                  STREAM(args)));
}

/* ---- scatter ------------------------------------------------------------------------------ */

/* ScatterElements lines: the index dims with the axis left out. */
static bool elements_lines(const ingot_dims *data, const ingot_dims *ind, int32_t axis, ingot_ck_box *lines) {
  int64_t ys[INGOT_MAX_DIMS], is[INGOT_MAX_DIMS], dims[INGOT_MAX_DIMS], st[2][INGOT_MAX_DIMS];
  if (ind->nb_dims != data->nb_dims) return false;
  ingot_dims_strides(data, ys);
  ingot_dims_strides(ind, is);
  int32_t n = 0;
  for (int32_t i = 0; i < ind->nb_dims; i++) {
    if (i == axis) continue;
    dims[n] = ind->d[i];
    st[0][n] = ys[i];
    st[1][n] = is[i];
    n++;
  }
  return ingot_ck_box_make(lines, n, dims, 2, (const int64_t(*)[INGOT_MAX_DIMS])st);
}

bool ingot_ck_scatter_tactic_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                      const ingot_tensor_view *outputs) {
  const ingot_scatter_params *p = &node->params.scatter;
  ingot_dtype dt = inputs[0].dtype;
  if (outputs[0].dtype != dt || inputs[2].dtype != dt || !index_dtype(inputs[1].dtype)) return false;
  if (p->reduction < INGOT_SCATTER_REDUCE_NONE || p->reduction > INGOT_SCATTER_REDUCE_MIN) return false;
  if (p->reduction != INGOT_SCATTER_REDUCE_NONE && !ingot_ck_is_float(dt) && dt != INGOT_INT32 && dt != INGOT_INT64)
    return false;
  if (p->mode == INGOT_SCATTER_ND) {
    ingot_ck_nd nd;
    return nd_geometry(&inputs[0].dims, &inputs[1].dims, 0, &nd);
  }
  int32_t axis;
  ingot_ck_box lines;
  return p->mode == INGOT_SCATTER_ELEMENTS && ingot_axis_normalize(p->axis, inputs[0].dims.nb_dims, &axis) &&
         elements_lines(&inputs[0].dims, &inputs[1].dims, axis, &lines);
}

ingot_status ingot_ck_scatter_tactic(const ingot_kernel_args *args) {
  const ingot_scatter_params *p = &args->params->scatter;
  const ingot_tensor_view *data = &args->inputs[0], *idx = &args->inputs[1], *upd = &args->inputs[2];
  const ingot_tensor_view *y = &args->outputs[0];
  const int32_t es = (int32_t)ingot_dtype_size(data->dtype), i32 = idx->dtype == INGOT_INT32;
  const int64_t bytes = ingot_dims_volume(&data->dims) * es;
  if (bytes > 0 && y->data != data->data)
    INGOT_TRY(ingot_ck_status(args, cudaMemcpyAsync(y->data, data->data, (size_t)bytes, cudaMemcpyDeviceToDevice,
                                                    STREAM(args))));
  if (p->mode == INGOT_SCATTER_ND) {
    ingot_ck_nd nd;
    if (!nd_geometry(&data->dims, &idx->dims, 0, &nd))
      return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "scatter nd geometry");
    return ingot_ck_status(args, ingot_ck_scatter_nd((int32_t)data->dtype, es, p->reduction, &nd, i32, idx->data,
                                                     upd->data, y->data, STREAM(args)));
  }
  int32_t axis;
  ingot_ck_box lines;
  if (!ingot_axis_normalize(p->axis, data->dims.nb_dims, &axis) ||
      !elements_lines(&data->dims, &idx->dims, axis, &lines))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "scatter elements geometry");
  int64_t ys[INGOT_MAX_DIMS], is[INGOT_MAX_DIMS];
  ingot_dims_strides(&data->dims, ys);
  ingot_dims_strides(&idx->dims, is);
  return ingot_ck_status(args, ingot_ck_scatter_elements((int32_t)data->dtype, es, p->reduction, &lines,
                                                         idx->dims.d[axis], data->dims.d[axis], ys[axis], is[axis],
                                                         i32, idx->data, upd->data, y->data, STREAM(args)));
}
