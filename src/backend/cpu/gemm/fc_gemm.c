/* fc_f32_gemm: fully connected as one packed GEMM, Y[rows, outputs] = X[rows, K] * W^T,
 * with W [outputs, K] constant and packed by prepare() (B panels, read through W's
 * transposed strides); X is packed per run into the workspace. Bias (one per output
 * column), residual and activation are applied on each C tile. */
#include "backend/cpu/gemm/gemm_tactic.h"
#include "core/dims.h"

/* x [rows, ...] flattens to rows x K. */
static void fc_dims(const ingot_tensor_view *x, int64_t *rows, int64_t *k) {
  *rows = x->dims.nb_dims > 0 ? x->dims.d[0] : 0;
  int64_t v = ingot_dims_volume(&x->dims);
  *k = *rows > 0 ? v / *rows : 0;
}

bool ingot_cpu_fc_gemm_supports(const ingot_node *node, const ingot_tensor_view *inputs,
                                const ingot_tensor_view *outputs) {
  const ingot_fc_params *p = &node->params.fc;
  if (!ingot_gemm_all_f32(node, inputs, outputs) || inputs[0].dims.nb_dims < 2 || inputs[1].data == NULL) return false;
  int64_t rows, k;
  fc_dims(&inputs[0], &rows, &k);
  return p->num_outputs > 0 && ingot_dims_volume(&inputs[1].dims) == p->num_outputs * k;
}

uint64_t ingot_cpu_fc_gemm_workspace(const ingot_kernel_args *args) {
  ingot_gemm_kernel storage;
  const ingot_gemm_kernel *kr = ingot_gemm_kernel_of(args, &storage);
  int64_t rows, k;
  fc_dims(&args->inputs[0], &rows, &k);
  return (uint64_t)ingot_gemm_packed_a_floats(kr, rows, k) * sizeof(float);
}

ingot_status ingot_cpu_fc_gemm_prepare(const ingot_kernel_args *args, void **prepared_out, uint64_t *size_out) {
  const ingot_fc_params *p = &args->params->fc;
  const ingot_tensor_view *w = &args->inputs[1];
  int64_t rows, k;
  fc_dims(&args->inputs[0], &rows, &k);
  if (!w->data || w->dtype != INGOT_FLOAT32 || ingot_dims_volume(&w->dims) != p->num_outputs * k)
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT,
                           "fc_f32_gemm packs constant float32 weights of %lld x %lld values", (long long)p->num_outputs,
                           (long long)k);
  const ingot_gemm_kernel *kr = ingot_gemm_default_kernel();
  void *block = ingot_gemm_pack_alloc(kr, 1, k, p->num_outputs, 1, size_out);
  if (!block) return INGOT_OUT_OF_MEMORY;
  /* B(p, j) = W[j][p] */
  ingot_gemm_pack_b(NULL, kr, k, p->num_outputs, w->data, 1, k, (float *)ingot_gemm_pack_matrix(block, 0));
  *prepared_out = block;
  return INGOT_SUCCESS;
}

ingot_status ingot_cpu_fc_gemm(const ingot_kernel_args *args) {
  const ingot_fc_params *p = &args->params->fc;
  INGOT_TRY(ingot_gemm_check_f32(args));
  const ingot_tensor_view *x = &args->inputs[0], *y = &args->outputs[0];
  int64_t rows, k, n = p->num_outputs;
  fc_dims(x, &rows, &k);
  ingot_gemm_kernel storage;
  const ingot_gemm_kernel *kr;
  INGOT_TRY(ingot_gemm_use_pack(args, 1, k, n, 1, &storage, &kr));
  if (ingot_dims_volume(&y->dims) != rows * n)
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "output has %lld values, expected %lld x %lld",
                           (long long)ingot_dims_volume(&y->dims), (long long)rows, (long long)n);
  if (args->workspace_size < (uint64_t)ingot_gemm_packed_a_floats(kr, rows, k) * sizeof(float))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "workspace of %llu bytes is too small",
                           (unsigned long long)args->workspace_size);
  ingot_gemm_epilogue ep = ingot_gemm_no_epilogue();
  int32_t residual_slot = args->nb_inputs - 1;
  if (p->has_bias) {
    if (args->nb_inputs < 3 || !args->inputs[2].data || ingot_dims_volume(&args->inputs[2].dims) != n)
      return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "has_bias is set but the bias (input 2) is absent or not %lld values",
                             (long long)n);
    ep.bias = args->inputs[2].data;
    ep.bias_cs = 1;
  }
  if (p->epilogue.has_residual) {
    const ingot_tensor_view *r = &args->inputs[residual_slot];
    if (residual_slot < 2 + (p->has_bias ? 1 : 0) || !r->data || ingot_dims_volume(&r->dims) != rows * n)
      return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "the residual input is absent or not of the output's size");
    ep.residual = r->data;
    ep.ldr = n;
  }
  ep.activation = p->epilogue.activation;
  ep.alpha = p->epilogue.alpha;
  ep.beta = p->epilogue.beta;
  if (rows <= 0 || n <= 0) return INGOT_SUCCESS;
  float *ap = args->workspace;
  ingot_gemm_pack_a(args->pool, kr, rows, k, x->data, k, 1, ap);
  ingot_gemm_problem prob = {.kernel = kr, .m = rows, .n = n, .k = k, .a_packed = ap,
                             .b_packed = ingot_gemm_pack_matrix(args->prepared, 0), .c = y->data, .ldc = n,
                             .epilogue = ep};
  ingot_gemm_compute(args->pool, &prob);
  return INGOT_SUCCESS;
}
