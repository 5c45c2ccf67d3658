/* Checks shared by the shape inference of the elementwise and matrix multiply families
 * (defined in infer_elementwise.c). Each returns ingot_node_fail(...) with a message that
 * names the tensors involved, what was expected and what was found. */
#ifndef INGOT_OPS_INFER_COMMON_H
#define INGOT_OPS_INFER_COMMON_H

#include "ops/graph.h"

/* Numpy broadcast of a and b into out ("a is 2x3 and b is 4x3: dim 0 (2 vs 4) cannot
 * broadcast"). A -1 (dynamic) dim broadcasts with 1 to -1 and with n to n. */
ingot_status ingot_infer_broadcast_dims(const ingot_node *node, const char *name_a, const ingot_dims *a,
                                        const char *name_b, const ingot_dims *b, ingot_dims *out);

/* One-way broadcast: `from` must broadcast to `to` leaving `to` unchanged. */
ingot_status ingot_infer_broadcast_to(const ingot_node *node, const char *name_from, const ingot_dims *from,
                                      const char *name_to, const ingot_dims *to);

/* dtype must be float32, float16 or bfloat16. */
ingot_status ingot_infer_expect_float(const ingot_node *node, const char *what, ingot_dtype dtype);

/* The node has exactly nb_outputs outputs and between min_inputs and max_inputs inputs. */
ingot_status ingot_infer_expect_arity(const ingot_node *node, int32_t min_inputs, int32_t max_inputs,
                                      int32_t nb_outputs);

/* Validates an epilogue's activation (-1 or a known type, alpha/beta as the type needs). */
ingot_status ingot_infer_check_activation(const ingot_node *node, const char *what, int32_t type, float alpha,
                                          float beta);

#endif
