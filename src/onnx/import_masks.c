/* Index grids for masks (see import_masks.h). */
#include <stdlib.h>

#include "onnx/import_masks.h"

#define TRY INGOT_ONNX_TRY

ingot_status ingot_onnx_iota(ingot_onnx_node *n, ingot_onnx_sv *len, int32_t at, int32_t rank, ingot_tensor **out) {
  ingot_dims dims = {rank, {0}};
  for (int32_t i = 0; i < rank; i++) dims.d[i] = 1;
  if (len->known) {
    int64_t count = len->v[0];
    if (count < 0 || count > ((int64_t)1 << 24))
      return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "an index range of %lld: expected 0 to 2^24", (long long)count);
    int64_t *v = malloc((size_t)(count ? count : 1) * sizeof *v);
    if (!v) return ingot_onnx_fail(n, INGOT_OUT_OF_MEMORY, "out of memory for an index range of %lld", (long long)count);
    for (int64_t i = 0; i < count; i++) v[i] = i;
    dims.d[at] = count;
    ingot_status st = ingot_onnx_add_constant(n, INGOT_INT64, &dims, v, out); /* copies */
    free(v);
    return st;
  }
  ingot_tensor *start, *delta, *limit, *t;
  ingot_dims scalar = {0, {0}};
  TRY(ingot_onnx_add_scalar(n, INGOT_INT64, 0, 0, &start));
  TRY(ingot_onnx_add_scalar(n, INGOT_INT64, 1, 0, &delta));
  TRY(ingot_onnx_sv_tensor(n, len, &limit));
  TRY(ingot_onnx_reshape(n, limit, &scalar, false, &limit));
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_range(ingot_onnx_node_network(n), start, limit, delta, &layer),
                       "adding a range"));
  ingot_onnx_name_layer(n, layer);
  t = ingot_layer_get_output(layer, 0);
  dims.d[at] = -1;
  return ingot_onnx_reshape(n, t, &dims, false, out);
}

ingot_status ingot_onnx_select(ingot_onnx_node *n, ingot_tensor *cond, ingot_tensor *a, ingot_tensor *b,
                               ingot_tensor **out) {
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_select(ingot_onnx_node_network(n), cond, a, b, &layer),
                       "adding a select"));
  ingot_onnx_name_layer(n, layer);
  *out = ingot_layer_get_output(layer, 0);
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_diagonal_offsets(ingot_onnx_node *n, ingot_tensor *x, ingot_tensor **out) {
  ingot_dims dims = ingot_onnx_tensor_dims(x);
  if (dims.nb_dims < 2)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 has rank %d, expected at least 2", (int)dims.nb_dims);
  ingot_onnx_sv shape, rows, cols;
  int64_t r = dims.nb_dims - 2, c = dims.nb_dims - 1;
  TRY(ingot_onnx_sv_shape_of(n, x, &dims, &shape));
  TRY(ingot_onnx_sv_gather(n, &shape, &r, 1, &rows));
  TRY(ingot_onnx_sv_gather(n, &shape, &c, 1, &cols));
  ingot_tensor *i, *j;
  TRY(ingot_onnx_iota(n, &rows, 0, 2, &i));
  TRY(ingot_onnx_iota(n, &cols, 1, 2, &j));
  return ingot_onnx_add_elementwise(n, j, i, INGOT_ELEMENTWISE_SUB, out);
}
