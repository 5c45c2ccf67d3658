/* activation_f32_vector: the activation layer on float32 through the vectorized math of
 * vmath.c, the fast tactic beside the scalar reference (activation.c). Offered for the
 * activation types vmath vectorizes on this CPU; chunks are a multiple of 16 values so
 * that only the last one takes a masked tail. */
#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/vmath.h"
#include "core/dims.h"

typedef struct vector_ctx {
  const ingot_activation_params *p;
  const float *x;
  float *y;
} vector_ctx;

static void vector_chunk(void *ctx, int64_t begin, int64_t end) {
  const vector_ctx *c = ctx;
  ingot_vmath_activation(c->p->type, c->p->alpha, c->p->beta, c->x + begin, c->y + begin, end - begin);
}

bool ingot_cpu_activation_vector_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                          const ingot_tensor_view *outputs) {
  return inputs[0].dtype == INGOT_FLOAT32 && outputs[0].dtype == INGOT_FLOAT32 &&
         ingot_vmath_vectorizes(node->params.activation.type);
}

INGOT_CPU_KERNEL(ingot_cpu_activation_vector) {
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  if (x->dtype != INGOT_FLOAT32 || y->dtype != INGOT_FLOAT32)
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "activation_f32_vector takes float32, found %s -> %s",
                           ingot_dtype_name(x->dtype), ingot_dtype_name(y->dtype));
  int64_t n = ingot_dims_volume(&y->dims);
  if (n <= 0) return INGOT_SUCCESS;
  vector_ctx c = {&args->params->activation, x->data, y->data};
  ingot_parallel_for(args->pool, n, 16384, vector_chunk, &c);
  return INGOT_SUCCESS;
}
