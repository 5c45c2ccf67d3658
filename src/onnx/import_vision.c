/* ONNX importers of the vision family composed from existing layers: AffineGrid (a host
 * built grid of normalized coordinates, times each batch's theta by one matrix multiply). */
#include <stdlib.h>

#include "core/dims.h"
#include "onnx/import_helpers.h"

#define TRY INGOT_ONNX_TRY

/* Coordinate i of n along one dim, normalized to [-1, 1] (pixel centres unless align_corners). */
static double grid_coord(int64_t i, int64_t n, bool align_corners) {
  if (align_corners) return n == 1 ? -1.0 : -1.0 + 2.0 * (double)i / (double)(n - 1);
  return -1.0 + (2.0 * (double)i + 1.0) / (double)n;
}

/* AffineGrid: theta [N, 2, 3] (2-D) or [N, 3, 4] (3-D), size (constant) [N, C, (D,) H, W]
 * -> grid [N, (D,) H, W, 2 or 3] of theta applied to the homogeneous points (x, y(, z), 1). */
static ingot_status import_affine_grid(ingot_onnx_node *n) {
  int64_t size[5];
  int32_t count = 0;
  TRY(ingot_onnx_input_ints(n, 1, size, 5, &count));
  if (count != 4 && count != 5)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 1 (size) holds %d values, expected 4 (2-D) or 5 (3-D)",
                           (int)count);
  int64_t align = ingot_onnx_attr_int(n, "align_corners", 0);
  if (align != 0 && align != 1)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute align_corners is %lld, expected 0 or 1",
                           (long long)align);
  int32_t k = count - 2; /* spatial dims */
  int64_t points = 1;
  for (int32_t d = 0; d < k; d++) {
    if (size[2 + d] < 1 || size[2 + d] > (1 << 20))
      return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 1 (size) has spatial dim %lld, expected 1 to 2^20",
                             (long long)size[2 + d]);
    points *= size[2 + d];
  }
  if (points > ((int64_t)1 << 24))
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "a grid of %lld points: at most 2^24", (long long)points);
  ingot_dims td = ingot_onnx_input_dims(n, 0);
  if (td.nb_dims != 3 || (td.d[1] >= 0 && td.d[1] != k) || (td.d[2] >= 0 && td.d[2] != k + 1))
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 (theta) must be [N, %d, %d] for a %d-D size", (int)k,
                           (int)k + 1, (int)k);
  ingot_dtype dt = ingot_onnx_input(n, 0)->dtype;
  if (!ingot_dtype_is_float(dt))
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 (theta) is %s, expected a float type",
                           ingot_dtype_name(dt));
  /* base [points, k + 1]: (x, y(, z), 1) with x along the last dim */
  float *base = malloc((size_t)points * (size_t)(k + 1) * sizeof *base);
  if (!base) return ingot_onnx_fail(n, INGOT_OUT_OF_MEMORY, "out of memory for a grid of %lld points", (long long)points);
  for (int64_t p = 0; p < points; p++) {
    int64_t rest = p;
    for (int32_t d = k - 1; d >= 0; d--) { /* dim 2 + d; coordinate index k - 1 - d */
      int64_t len = size[2 + d];
      base[p * (k + 1) + (k - 1 - d)] = (float)grid_coord(rest % len, len, align != 0);
      rest /= len;
    }
    base[p * (k + 1) + k] = 1.0f;
  }
  ingot_dims bd = {2, {points, k + 1}};
  ingot_tensor *b, *theta, *y;
  ingot_status st = ingot_onnx_add_constant(n, INGOT_FLOAT32, &bd, base, &b);
  free(base);
  TRY(st);
  if (dt != INGOT_FLOAT32) TRY(ingot_onnx_add_cast(n, b, dt, &b));
  TRY(ingot_onnx_input_tensor(n, 0, &theta));
  ingot_layer *layer = NULL;
  TRY(ingot_onnx_check(n, ingot_network_add_matrix_multiply(ingot_onnx_node_network(n), b, INGOT_MATRIX_OP_NONE, theta,
                                                            INGOT_MATRIX_OP_TRANSPOSE, &layer),
                       "adding a matrix multiply"));
  ingot_onnx_name_layer(n, layer);
  ingot_dims out = {k + 2, {0}};
  out.d[0] = 0; /* the batch of theta */
  for (int32_t d = 0; d < k; d++) out.d[1 + d] = size[2 + d];
  out.d[k + 1] = k;
  TRY(ingot_onnx_reshape(n, ingot_layer_get_output(layer, 0), &out, true, &y));
  return ingot_onnx_set_output(n, 0, y);
}

const ingot_onnx_importer ingot_onnx_vision_importers[] = {
    {"AffineGrid", 20, import_affine_grid},
};
const int32_t ingot_onnx_vision_importer_count =
    (int32_t)(sizeof ingot_onnx_vision_importers / sizeof ingot_onnx_vision_importers[0]);
