/* layernorm_f32_vector: layer normalization over trailing axes in float32 with the scale
 * (and bias) covering exactly the normalized values, through vmath.c (vector mean and
 * variance, then one affine pass): BERT's, GPT's and ViT's layer norms, made single layers
 * by the builder's pattern pass. The reference (normalization.c) accumulates in double
 * and handles every broadcast of the affine parameters; this one, in float with vector
 * accumulators and a corrected two-pass mean and variance, agrees with it within about 1e-6
 * relative, rows far from zero included (test_tactics_cpu.c, test_layers_norm.py). */
#include <math.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/vmath.h"
#include "core/dims.h"

typedef struct ln_rows_job {
  const float *x, *scale, *bias;
  float *y;
  int64_t inner;
  float epsilon;
} ln_rows_job;

static void ln_rows(void *ctx, int64_t begin, int64_t end) {
  const ln_rows_job *j = ctx;
  for (int64_t r = begin; r < end; r++) {
    const float *x = j->x + r * j->inner;
    float hi, lo, var;
    ingot_vmath_mean_var(x, j->inner, &hi, &lo, &var);
    float rstd = 1.0f / sqrtf(var + j->epsilon);
    ingot_vmath_normalize(x, hi, lo, rstd, j->scale, j->bias, j->y + r * j->inner, j->inner);
  }
}

/* The normalized values per row when the axes are trailing and scale / bias hold exactly
 * those (leading 1s allowed); 0 when this tactic does not take the layer. */
static int64_t row_length(const ingot_node *node, const ingot_tensor_view *inputs, int32_t nb_inputs) {
  const ingot_dims *d = &inputs[0].dims;
  uint32_t mask = node->params.layernorm.axes_mask;
  int32_t rank = d->nb_dims;
  if (rank < 1 || rank > 31 || mask == 0) return 0;
  int32_t first = __builtin_ctz(mask);
  if (mask != (((uint32_t)1 << rank) - 1) - (((uint32_t)1 << first) - 1)) return 0;
  int64_t inner = 1;
  for (int32_t i = first; i < rank; i++) inner *= d->d[i];
  for (int32_t k = 1; k < nb_inputs && k < 3; k++) {
    const ingot_tensor_view *v = &inputs[k];
    if (v->dims.nb_dims < 0) continue; /* absent bias */
    if (v->dtype != INGOT_FLOAT32 || ingot_dims_volume(&v->dims) != inner || v->dims.nb_dims > rank) return 0;
    /* the same trailing dims as the normalized ones, after leading 1s */
    for (int32_t i = 0; i < v->dims.nb_dims; i++) {
      int32_t xi = rank - v->dims.nb_dims + i;
      if (xi < first ? v->dims.d[i] != 1 : v->dims.d[i] != d->d[xi]) return 0;
    }
  }
  return inner;
}

bool ingot_cpu_layernorm_vector_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                         const ingot_tensor_view *outputs) {
  return inputs[0].dtype == INGOT_FLOAT32 && outputs[0].dtype == INGOT_FLOAT32 && node->nb_inputs >= 2 &&
         row_length(node, inputs, node->nb_inputs) > 0;
}

INGOT_CPU_KERNEL(ingot_cpu_layernorm_vector) {
  const ingot_tensor_view *xv = &args->inputs[0];
  int64_t inner = args->outputs[0].dtype == INGOT_FLOAT32 && xv->dtype == INGOT_FLOAT32
                      ? row_length(args->node, args->inputs, args->nb_inputs)
                      : 0;
  if (inner <= 0)
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED,
                           "layernorm_f32_vector takes float32 over trailing axes with scale and bias of those dims");
  ln_rows_job j = {.x = xv->data,
                   .scale = args->inputs[1].data,
                   .bias = args->nb_inputs > 2 ? args->inputs[2].data : NULL, /* NULL: absent */
                   .y = args->outputs[0].data,
                   .inner = inner,
                   .epsilon = args->params->layernorm.epsilon};
  int64_t rows = ingot_dims_volume(&xv->dims) / inner;
  if (rows <= 0) return INGOT_SUCCESS;
  if (!j.x || !j.scale || !j.y)
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "layernorm_f32_vector: an input or the output is absent");
  ingot_parallel_for(args->pool, rows, 8192 / (inner + 1) + 1, ln_rows, &j);
  return INGOT_SUCCESS;
}
