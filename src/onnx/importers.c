/* The importer table: the explicit list of family tables (import_<family>.c), searched by op
 * type and opset. An op type may have several rows, one per opset where its semantics
 * changed; a model of opset N is imported by the row with the largest since_opset <= N. */
#include <string.h>

#include "onnx/importer.h"
#include "onnx/model_reader.h"

typedef struct family {
  const ingot_onnx_importer *rows;
  const int32_t *count;
} family;

static const family families[] = {
    {ingot_onnx_basic_importers, &ingot_onnx_basic_importer_count},
    {ingot_onnx_conv_importers, &ingot_onnx_conv_importer_count},
    {ingot_onnx_math_importers, &ingot_onnx_math_importer_count},
    {ingot_onnx_tensor_importers, &ingot_onnx_tensor_importer_count},
    {ingot_onnx_rnn_importers, &ingot_onnx_rnn_importer_count},
    {ingot_onnx_dynamic_importers, &ingot_onnx_dynamic_importer_count},
    {ingot_onnx_attention_importers, &ingot_onnx_attention_importer_count},
    {ingot_onnx_normalization_importers, &ingot_onnx_normalization_importer_count},
    {ingot_onnx_misc_importers, &ingot_onnx_misc_importer_count},
    {ingot_onnx_loss_importers, &ingot_onnx_loss_importer_count},
    {ingot_onnx_vision_importers, &ingot_onnx_vision_importer_count},
};
#define NB_FAMILIES ((int32_t)(sizeof families / sizeof families[0]))

const ingot_onnx_importer *ingot_onnx_find_importer(const char *op_type, int64_t opset) {
  if (!op_type) return NULL;
  const ingot_onnx_importer *best = NULL;
  for (int32_t f = 0; f < NB_FAMILIES; f++)
    for (int32_t r = 0; r < *families[f].count; r++) {
      const ingot_onnx_importer *row = &families[f].rows[r];
      if (row->since_opset <= opset && strcmp(row->op_type, op_type) == 0 &&
          (!best || row->since_opset > best->since_opset))
        best = row;
    }
  return best;
}

int32_t ingot_onnx_supports_operator(const char *op_type, int64_t opset) {
  if (opset < INGOT_ONNX_MIN_OPSET || opset > INGOT_ONNX_MAX_OPSET) return 0;
  return ingot_onnx_find_importer(op_type, opset) != NULL;
}

/* Whether row (f, r) is the first row of its op type in table order. */
static int first_of_its_op(int32_t f, int32_t r) {
  const char *op = families[f].rows[r].op_type;
  for (int32_t g = 0; g <= f; g++)
    for (int32_t s = 0; s < (g == f ? r : *families[g].count); s++)
      if (strcmp(families[g].rows[s].op_type, op) == 0) return 0;
  return 1;
}

/* Operators are counted and indexed without a cached list: the table is a few hundred rows
 * and these calls serve documentation, so a quadratic scan costs nothing and keeps the
 * library free of lazily built global state. */
int32_t ingot_onnx_num_operators(void) {
  int32_t n = 0;
  for (int32_t f = 0; f < NB_FAMILIES; f++)
    for (int32_t r = 0; r < *families[f].count; r++) n += first_of_its_op(f, r);
  return n;
}

const char *ingot_onnx_operator(int32_t index, int64_t *since_opset_out) {
  int32_t n = 0;
  for (int32_t f = 0; f < NB_FAMILIES; f++)
    for (int32_t r = 0; r < *families[f].count; r++) {
      if (!first_of_its_op(f, r) || n++ != index) continue;
      const char *op = families[f].rows[r].op_type;
      int64_t since = families[f].rows[r].since_opset;
      for (int32_t g = f; g < NB_FAMILIES; g++)
        for (int32_t s = 0; s < *families[g].count; s++)
          if (strcmp(families[g].rows[s].op_type, op) == 0 && families[g].rows[s].since_opset < since)
            since = families[g].rows[s].since_opset;
      if (since_opset_out) *since_opset_out = since;
      return op;
    }
  if (since_opset_out) *since_opset_out = 0;
  return NULL;
}
