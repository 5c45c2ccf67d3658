/* Select: condition ? then : else with numpy broadcasting of all three. Any dtype: the
 * chosen element is copied by its size, so no value is ever converted. */

#include "backend/cpu/broadcast.h"
#include "backend/cpu/cpu_kernels.h"
#include "core/dims.h"
#include "core/error.h"

typedef struct select_ctx {
  ingot_broadcast bc; /* inputs: condition, then, else */
  size_t esize;
  const uint8_t *cond;
  const char *then_data, *else_data;
  char *y;
} select_ctx;

#define SELECT_LOOP(T)                                                             \
  do {                                                                             \
    const T *t = (const T *)c->then_data, *e = (const T *)c->else_data;            \
    T *y = (T *)c->y;                                                              \
    for (int64_t j = 0; j < n; j++, oc += sc, ot += st, oe += se)                  \
      y[i + j] = c->cond[oc] ? t[ot] : e[oe];                                      \
  } while (0)

static void select_chunk(void *ctx, int64_t begin, int64_t end) {
  const select_ctx *c = ctx;
  int64_t sc = c->bc.inner_stride[0], st = c->bc.inner_stride[1], se = c->bc.inner_stride[2];
  ingot_broadcast_iter it;
  ingot_broadcast_seek(&c->bc, begin, &it);
  for (int64_t i = begin; i < end;) {
    int64_t n = ingot_broadcast_row(&c->bc, &it, end - i);
    int64_t oc = it.offset[0], ot = it.offset[1], oe = it.offset[2];
    switch (c->esize) {
      case 1: SELECT_LOOP(uint8_t); break;
      case 2: SELECT_LOOP(uint16_t); break;
      case 4: SELECT_LOOP(uint32_t); break;
      default: SELECT_LOOP(uint64_t); break;
    }
    ingot_broadcast_advance(&c->bc, &it, n);
    i += n;
  }
}

INGOT_CPU_KERNEL(ingot_cpu_select) {
  const ingot_tensor_view *cond = &args->inputs[0], *t = &args->inputs[1], *e = &args->inputs[2];
  const ingot_tensor_view *y = &args->outputs[0];
  size_t esize = ingot_dtype_size(y->dtype);
  if (cond->dtype != INGOT_BOOL || t->dtype != y->dtype || e->dtype != y->dtype ||
      (esize != 1 && esize != 2 && esize != 4 && esize != 8)) {
    return ingot_node_fail(args->node, INGOT_UNSUPPORTED,
                           "select kernel takes a bool condition and then, else and output of one dtype, found %s, %s, %s and %s",
                           ingot_dtype_name(cond->dtype), ingot_dtype_name(t->dtype), ingot_dtype_name(e->dtype),
                           ingot_dtype_name(y->dtype));
  }
  select_ctx c = {.esize = esize, .cond = cond->data, .then_data = t->data, .else_data = e->data, .y = y->data};
  const ingot_dims *in[3] = {&cond->dims, &t->dims, &e->dims};
  if (!ingot_broadcast_init(&c.bc, &y->dims, 3, in)) {
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "condition, then and else do not broadcast to the output's shape");
  }
  if (c.bc.volume <= 0) return INGOT_SUCCESS;
  ingot_parallel_for(args->pool, c.bc.volume, 16384, select_chunk, &c);
  return INGOT_SUCCESS;
}
