/* Dim expressions of plugin outputs. The builder handed to get_output_dims already knows
 * the concrete input dims, so each expression is evaluated as it is built: an expression
 * is its value plus whether it is a constant. Storage is a fixed array on the caller's
 * stack, so shape inference (also run when a context's shapes are set) allocates nothing;
 * a plugin that builds more than EXPR_CAPACITY expressions gets NULL and the inference
 * fails naming the layer. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/dims.h"
#include "core/error.h"
#include "plugin/plugin_internal.h"

#define EXPR_CAPACITY 512
#define INPUT_EXPRS (INGOT_PLUGIN_MAX_INPUTS * INGOT_MAX_DIMS)

struct ingot_dim_expr {
  int64_t value;
  int32_t constant;
};

typedef struct eval_builder {
  ingot_expr_builder pub; /* first: the plugin's pointer is ours */
  struct ingot_dim_expr inputs[INPUT_EXPRS];
  struct ingot_dim_expr exprs[EXPR_CAPACITY];
  int32_t count;
  const char *problem; /* the first thing that went wrong, for the message */
} eval_builder;

static bool ours(const eval_builder *b, const ingot_dim_expr *e) {
  uintptr_t p = (uintptr_t)e;
  uintptr_t lo = (uintptr_t)b->inputs, hi = (uintptr_t)(b->exprs + b->count);
  /* inputs and exprs are adjacent members: one range covers both */
  return p >= lo && p < hi && (p - lo) % sizeof(struct ingot_dim_expr) == 0;
}

static const ingot_dim_expr *make(eval_builder *b, int64_t value, int32_t constant) {
  if (b->count == EXPR_CAPACITY) {
    if (!b->problem) b->problem = "more than 512 expressions";
    return NULL;
  }
  struct ingot_dim_expr *e = &b->exprs[b->count++];
  e->value = value;
  e->constant = constant;
  return e;
}

static const ingot_dim_expr *expr_constant(ingot_expr_builder *self, int64_t value) {
  return make((eval_builder *)self, value, 1);
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static const ingot_dim_expr *expr_operation(ingot_expr_builder *self, ingot_dim_op op, const ingot_dim_expr *a,
                                            const ingot_dim_expr *c) {
  eval_builder *b = (eval_builder *)self;
  if (!a || !c) return NULL; /* an earlier failure: its problem is recorded */
  if (!ours(b, a) || !ours(b, c)) {
    if (!b->problem) b->problem = "an operand is not an expression of this builder";
    return NULL;
  }
  int64_t x = a->value, y = c->value, r = 0;
  bool overflow = false;
  switch (op) {
    case INGOT_DIM_SUM: overflow = __builtin_add_overflow(x, y, &r); break;
    case INGOT_DIM_SUB: overflow = __builtin_sub_overflow(x, y, &r); break;
    case INGOT_DIM_PROD: overflow = __builtin_mul_overflow(x, y, &r); break;
    case INGOT_DIM_FLOOR_DIV:
    case INGOT_DIM_CEIL_DIV:
      if (y == 0 || (x == INT64_MIN && y == -1)) {
        if (!b->problem) b->problem = "a division by zero";
        return NULL;
      }
      r = op == INGOT_DIM_FLOOR_DIV ? floor_div(x, y) : -floor_div(-x, y);
      break;
    case INGOT_DIM_MAX: r = x > y ? x : y; break;
    case INGOT_DIM_MIN: r = x < y ? x : y; break;
    default:
      if (!b->problem) b->problem = "an operation out of range";
      return NULL;
  }
  if (overflow) {
    if (!b->problem) b->problem = "an overflow";
    return NULL;
  }
  return make(b, r, a->constant && c->constant);
}

static int32_t expr_get_constant(ingot_expr_builder *self, const ingot_dim_expr *e, int64_t *value_out) {
  eval_builder *b = (eval_builder *)self;
  if (!e || !ours(b, e) || !e->constant) return 0;
  if (value_out) *value_out = e->value;
  return 1;
}

ingot_status ingot_plugin_eval_output_dims(const ingot_plugin *plugin, const char *layer_name,
                                           const ingot_dims *inputs, int32_t nb_inputs, ingot_dims *outputs,
                                           int32_t nb_outputs) {
  char who[INGOT_PLUGIN_MAX_NAME * 3 + 64];
  ingot_plugin_describe(plugin, who, sizeof who);
  if (nb_inputs > INGOT_PLUGIN_MAX_INPUTS || nb_outputs > INGOT_PLUGIN_MAX_OUTPUTS)
    return ingot_fail(INGOT_INVALID_GRAPH, "layer '%s' (%s): %d inputs and %d outputs, at most %d and %d", layer_name,
                      who, nb_inputs, nb_outputs, INGOT_PLUGIN_MAX_INPUTS, INGOT_PLUGIN_MAX_OUTPUTS);
  eval_builder b;
  b.pub.size = sizeof b.pub;
  b.pub.constant = expr_constant;
  b.pub.operation = expr_operation;
  b.pub.get_constant = expr_get_constant;
  b.count = 0;
  b.problem = NULL;
  ingot_dims_expr in[INGOT_PLUGIN_MAX_INPUTS], out[INGOT_PLUGIN_MAX_OUTPUTS];
  memset(out, 0, sizeof out);
  for (int32_t i = 0; i < nb_inputs; i++) {
    in[i].nb_dims = inputs[i].nb_dims;
    for (int32_t k = 0; k < INGOT_MAX_DIMS; k++) {
      struct ingot_dim_expr *e = &b.inputs[i * INGOT_MAX_DIMS + k];
      e->value = k < inputs[i].nb_dims ? inputs[i].d[k] : 0;
      e->constant = 0;
      in[i].d[k] = k < inputs[i].nb_dims ? e : NULL;
    }
  }
  ingot_status st = plugin->inst.vtbl->get_output_dims(plugin->inst.self, in, nb_inputs, out, nb_outputs, &b.pub);
  if (st != INGOT_SUCCESS)
    return ingot_fail(INGOT_INVALID_GRAPH, "layer '%s' (%s): get_output_dims failed (%s)", layer_name, who,
                      ingot_status_name(st));
  for (int32_t o = 0; o < nb_outputs; o++) {
    if (out[o].nb_dims < 0 || out[o].nb_dims > INGOT_MAX_DIMS)
      return ingot_fail(INGOT_INVALID_GRAPH, "layer '%s' (%s): output %d has rank %d, expected 0 to %d", layer_name,
                        who, o, out[o].nb_dims, INGOT_MAX_DIMS);
    outputs[o].nb_dims = out[o].nb_dims;
    for (int32_t k = 0; k < out[o].nb_dims; k++) {
      const ingot_dim_expr *e = out[o].d[k];
      if (!e || !ours(&b, e))
        return ingot_fail(INGOT_INVALID_GRAPH, "layer '%s' (%s): output %d dim %d has no valid expression%s%s",
                          layer_name, who, o, k, b.problem ? ": " : "", b.problem ? b.problem : "");
      if (e->value < 0)
        return ingot_fail(INGOT_INVALID_GRAPH, "layer '%s' (%s): output %d dim %d evaluates to %lld, negative",
                          layer_name, who, o, k, (long long)e->value);
      outputs[o].d[k] = e->value;
    }
  }
  return INGOT_SUCCESS;
}
