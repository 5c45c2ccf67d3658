/* Operation kinds (from ops.def) and their shape inference. */
#ifndef INGOT_OPS_OPS_H
#define INGOT_OPS_OPS_H

#include <stdbool.h>
#include "ops/params.h"

typedef enum ingot_op {
#define X(e, name, infer) INGOT_OP_##e,
#include "ops/ops.def"
#undef X
  INGOT_OP_COUNT
} ingot_op;

struct ingot_node;

/* What shape inference knows of a tensor: dtype, concrete dims and, for constants, the data. */
typedef struct ingot_value_info {
  ingot_dtype dtype;
  ingot_dims dims;
  const void *data; /* constant data, or NULL */
} ingot_value_info;

/* Checks a node's params and input dtypes/dims and fills the outputs' dtype and dims.
 * `inputs` has node->nb_inputs entries (an absent optional input has nb_dims = -1);
 * `outputs` node->nb_outputs entries. On error it returns ingot_node_fail(...). Dims are
 * concrete here: the builder infers once per profile shape (min, opt, max) and the runtime
 * again whenever input shapes are set. */
typedef ingot_status (*ingot_infer_fn)(const struct ingot_node *node, const ingot_value_info *inputs,
                                       ingot_value_info *outputs);

#define X(e, name, infer) ingot_status infer(const struct ingot_node *, const ingot_value_info *, ingot_value_info *);
#include "ops/ops.def"
#undef X

const char *ingot_op_name(ingot_op op); /* "convolution"; "unknown" out of range */
ingot_infer_fn ingot_op_infer(ingot_op op);

/* Sets the last error to "layer 'NAME' (OP): MESSAGE" and returns status. */
ingot_status ingot_node_fail(const struct ingot_node *node, ingot_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Checks the enum and range fields of a node's params (run on every node read from a plan,
 * before any kernel sees it). Shape-dependent checks are in the infer functions. */
ingot_status ingot_op_validate_params(const struct ingot_node *node);
/* The recurrent layer's part of it (infer_rnn.c). */
ingot_status ingot_rnn_validate_params(const struct ingot_node *node);
/* The attention layer's part of it (infer_attention.c). */
ingot_status ingot_attention_validate_params(const struct ingot_node *node);
/* Ops whose output dims depend on input values (TensorRT's data-dependent shapes): shape
 * inference gives an upper bound, the kernel writes the real dims (see backend.h). */
bool ingot_op_is_data_dependent(ingot_op op);
/* The dim of output `output` (of rank `rank`) whose extent depends on the values, or -1. */
int32_t ingot_op_data_dependent_dim(const struct ingot_node *node, int32_t output, int32_t rank);

#endif
