/* Matrix multiply (numpy.matmul with transpose / vector operand flags and batch
 * broadcasting) and fully connected, each with the fused epilogue: + bias, + residual,
 * then the activation. Reference kernels: a dot product per output element, accumulated
 * in double so that faster tactics can be compared against a result close to exact. */
#include "backend/cpu/broadcast.h"
#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/elementwise_io.h"
#include "core/dims.h"
#include "core/error.h"

/* Sum over k < len of a[oa + k * sa] * b[ob + k * sb]. */
static double dot(const void *a, ingot_dtype at, int64_t oa, int64_t sa, const void *b, ingot_dtype bt, int64_t ob,
                  int64_t sb, int64_t len) {
  double acc = 0.0;
  if (at == INGOT_FLOAT32 && bt == INGOT_FLOAT32) {
    const float *pa = (const float *)a + oa, *pb = (const float *)b + ob;
    for (int64_t k = 0; k < len; k++) acc += (double)pa[k * sa] * (double)pb[k * sb];
    return acc;
  }
  for (int64_t k = 0; k < len; k++) {
    acc += (double)ingot_cpu_load_float(a, at, oa + k * sa) * (double)ingot_cpu_load_float(b, bt, ob + k * sb);
  }
  return acc;
}

/* The epilogue shared by both ops, for output element `i` holding `acc`. */
typedef struct epilogue_io {
  const ingot_epilogue *e;
  const void *bias; /* NULL: none */
  ingot_dtype bias_dtype;
  const void *residual; /* NULL: none; same shape as the output */
  ingot_dtype residual_dtype;
} epilogue_io;

static inline float finish(const epilogue_io *io, double acc, int64_t bias_index, int64_t i) {
  if (io->bias) acc += ingot_cpu_load_float(io->bias, io->bias_dtype, bias_index);
  if (io->residual) acc += ingot_cpu_load_float(io->residual, io->residual_dtype, i);
  return ingot_cpu_activation(io->e->activation, io->e->alpha, io->e->beta, (float)acc);
}

static ingot_status setup_epilogue(const ingot_kernel_args *args, int32_t has_bias, const ingot_epilogue *e,
                                   epilogue_io *io, const ingot_tensor_view **bias_out) {
  io->e = e;
  io->bias = NULL;
  io->residual = NULL;
  *bias_out = NULL;
  if (has_bias) {
    if (args->nb_inputs < 3 || args->inputs[2].data == NULL) {
      return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "has_bias is set but input 2 (bias) is absent");
    }
    *bias_out = &args->inputs[2];
    io->bias = args->inputs[2].data;
    io->bias_dtype = args->inputs[2].dtype;
  }
  if (e->has_residual) {
    const ingot_tensor_view *r = &args->inputs[args->nb_inputs - 1];
    if (args->nb_inputs < 3 + (has_bias ? 1 : 0) || r->data == NULL ||
        !ingot_dims_equal(&r->dims, &args->outputs[0].dims)) {
      return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "the residual input is absent or not of the output's shape");
    }
    io->residual = r->data;
    io->residual_dtype = r->dtype;
  }
  for (int32_t i = 0; i < args->nb_inputs; i++) {
    if (args->inputs[i].data != NULL && !ingot_cpu_float_dtype(args->inputs[i].dtype)) {
      return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "kernel takes float inputs, input %d is %s", (int)i,
                             ingot_dtype_name(args->inputs[i].dtype));
    }
  }
  if (!ingot_cpu_float_dtype(args->outputs[0].dtype)) {
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "kernel gives float output, found %s",
                           ingot_dtype_name(args->outputs[0].dtype));
  }
  return INGOT_SUCCESS;
}

/* ---- matrix multiply ---------------------------------------------------------------------- */

typedef struct matmul_ctx {
  ingot_broadcast batch;   /* output batch dims; input 0: a's batch, input 1: b's batch */
  ingot_broadcast bias_bc; /* output dims; input 0: bias (when present) */
  const void *a, *b;
  ingot_dtype a_dtype, b_dtype, y_dtype;
  void *y;
  int64_t m, n, k;
  int64_t a_mat, b_mat;   /* elements per matrix of a and of b */
  int64_t sa_m, sa_k;     /* a's strides along M and K */
  int64_t sb_k, sb_n;     /* b's strides along K and N */
  epilogue_io io;
} matmul_ctx;

static void matmul_chunk(void *ctx, int64_t begin, int64_t end) {
  const matmul_ctx *c = ctx;
  int64_t mn = c->m * c->n;
  int64_t cur_batch = -1, a_base = 0, b_base = 0;
  ingot_broadcast_iter bias_it;
  if (c->io.bias) ingot_broadcast_seek(&c->bias_bc, begin, &bias_it);
  for (int64_t idx = begin; idx < end; idx++) {
    int64_t bt = idx / mn, rem = idx % mn, i = rem / c->n, j = rem % c->n;
    if (bt != cur_batch) {
      cur_batch = bt;
      a_base = ingot_broadcast_offset(&c->batch, 0, bt) * c->a_mat;
      b_base = ingot_broadcast_offset(&c->batch, 1, bt) * c->b_mat;
    }
    double acc = dot(c->a, c->a_dtype, a_base + i * c->sa_m, c->sa_k, c->b, c->b_dtype, b_base + j * c->sb_n, c->sb_k,
                     c->k);
    int64_t bias_index = 0;
    if (c->io.bias) {
      bias_index = bias_it.offset[0];
      ingot_broadcast_advance(&c->bias_bc, &bias_it, 1);
    }
    ingot_cpu_store_float(c->y, c->y_dtype, idx, finish(&c->io, acc, bias_index, idx));
  }
}

INGOT_CPU_KERNEL(ingot_cpu_matrix_multiply) {
  const ingot_matmul_params *p = &args->params->matmul;
  const ingot_tensor_view *a = &args->inputs[0], *b = &args->inputs[1], *y = &args->outputs[0];
  matmul_ctx c = {.a = a->data, .b = b->data, .a_dtype = a->dtype, .b_dtype = b->dtype, .y_dtype = y->dtype, .y = y->data};
  const ingot_tensor_view *bias;
  INGOT_TRY(setup_epilogue(args, p->has_bias, &p->epilogue, &c.io, &bias));

  /* Split each operand into batch dims and its matrix (or vector) with strides. */
  int32_t ra = a->dims.nb_dims, rb = b->dims.nb_dims;
  int32_t need_a = p->op_a == INGOT_MATRIX_OP_VECTOR ? 1 : 2, need_b = p->op_b == INGOT_MATRIX_OP_VECTOR ? 1 : 2;
  if (ra < need_a || rb < need_b) {
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "a has %d dims and b %d: too few for their matrix ops",
                           (int)ra, (int)rb);
  }
  int64_t ka, kb;
  switch (p->op_a) {
    case INGOT_MATRIX_OP_NONE: c.m = a->dims.d[ra - 2]; ka = a->dims.d[ra - 1]; c.sa_m = ka; c.sa_k = 1; break;
    case INGOT_MATRIX_OP_TRANSPOSE: ka = a->dims.d[ra - 2]; c.m = a->dims.d[ra - 1]; c.sa_m = 1; c.sa_k = c.m; break;
    default: c.m = 1; ka = a->dims.d[ra - 1]; c.sa_m = 0; c.sa_k = 1; break;
  }
  switch (p->op_b) {
    case INGOT_MATRIX_OP_NONE: kb = b->dims.d[rb - 2]; c.n = b->dims.d[rb - 1]; c.sb_k = c.n; c.sb_n = 1; break;
    case INGOT_MATRIX_OP_TRANSPOSE: c.n = b->dims.d[rb - 2]; kb = b->dims.d[rb - 1]; c.sb_k = 1; c.sb_n = kb; break;
    default: c.n = 1; kb = b->dims.d[rb - 1]; c.sb_k = 1; c.sb_n = 0; break;
  }
  if (ka != kb) {
    return ingot_node_fail(args->node, INGOT_INVALID_ARGUMENT, "K of a (%lld) differs from K of b (%lld)", (long long)ka,
                           (long long)kb);
  }
  c.k = ka;
  c.a_mat = c.m * ka;
  c.b_mat = kb * c.n;

  ingot_dims batch_a = a->dims, batch_b = b->dims, batch_y = y->dims;
  batch_a.nb_dims -= need_a;
  batch_b.nb_dims -= need_b;
  batch_y.nb_dims -= (p->op_a != INGOT_MATRIX_OP_VECTOR) + (p->op_b != INGOT_MATRIX_OP_VECTOR);
  const ingot_dims *batches[2] = {&batch_a, &batch_b};
  if (batch_y.nb_dims < 0 || !ingot_broadcast_init(&c.batch, &batch_y, 2, batches) ||
      c.batch.volume * c.m * c.n != ingot_dims_volume(&y->dims)) {
    char sa[INGOT_DIMS_STR_SIZE], sb[INGOT_DIMS_STR_SIZE], sy[INGOT_DIMS_STR_SIZE];
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "a %s and b %s do not multiply into the output %s",
                           ingot_dims_format(&a->dims, sa, sizeof sa), ingot_dims_format(&b->dims, sb, sizeof sb),
                           ingot_dims_format(&y->dims, sy, sizeof sy));
  }
  if (bias) {
    const ingot_dims *bd[1] = {&bias->dims};
    if (!ingot_broadcast_init(&c.bias_bc, &y->dims, 1, bd)) {
      return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "bias does not broadcast to the output's shape");
    }
  }
  int64_t total = c.batch.volume * c.m * c.n;
  if (total <= 0) return INGOT_SUCCESS;
  int64_t grain = c.k > 0 ? 8192 / c.k + 1 : 8192;
  ingot_parallel_for(args->pool, total, grain, matmul_chunk, &c);
  return INGOT_SUCCESS;
}

/* ---- fully connected ---------------------------------------------------------------------- */

typedef struct fc_ctx {
  const void *x, *w;
  ingot_dtype x_dtype, w_dtype, y_dtype;
  void *y;
  int64_t outputs, k;
  epilogue_io io;
} fc_ctx;

static void fc_chunk(void *ctx, int64_t begin, int64_t end) {
  const fc_ctx *c = ctx;
  for (int64_t idx = begin; idx < end; idx++) {
    int64_t row = idx / c->outputs, o = idx % c->outputs;
    double acc = dot(c->x, c->x_dtype, row * c->k, 1, c->w, c->w_dtype, o * c->k, 1, c->k);
    ingot_cpu_store_float(c->y, c->y_dtype, idx, finish(&c->io, acc, o, idx));
  }
}

INGOT_CPU_KERNEL(ingot_cpu_fully_connected) {
  const ingot_fc_params *p = &args->params->fc;
  const ingot_tensor_view *x = &args->inputs[0], *w = &args->inputs[1], *y = &args->outputs[0];
  fc_ctx c = {.x = x->data, .w = w->data, .x_dtype = x->dtype, .w_dtype = w->dtype, .y_dtype = y->dtype, .y = y->data,
              .outputs = p->num_outputs};
  const ingot_tensor_view *bias;
  INGOT_TRY(setup_epilogue(args, p->has_bias, &p->epilogue, &c.io, &bias));
  int64_t rows = x->dims.nb_dims > 0 ? x->dims.d[0] : 0;
  int64_t volume = ingot_dims_volume(&x->dims);
  c.k = rows > 0 ? volume / rows : 0;
  if (x->dims.nb_dims < 2 || p->num_outputs <= 0 || ingot_dims_volume(&w->dims) != p->num_outputs * c.k ||
      ingot_dims_volume(&y->dims) != rows * p->num_outputs ||
      (bias && ingot_dims_volume(&bias->dims) != p->num_outputs)) {
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR,
                           "input, kernel, bias or output sizes do not match num_outputs %lld", (long long)p->num_outputs);
  }
  int64_t total = rows * p->num_outputs;
  if (total <= 0) return INGOT_SUCCESS;
  int64_t grain = c.k > 0 ? 8192 / c.k + 1 : 8192;
  ingot_parallel_for(args->pool, total, grain, fc_chunk, &c);
  return INGOT_SUCCESS;
}
