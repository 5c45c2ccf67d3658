/* Helpers shared by the ONNX importer families (import_conv.c, import_math.c,
 * import_tensor.c). Every helper that adds a layer names it after the node
 * (ingot_onnx_name_layer) and, when the network refuses, fails through ingot_onnx_fail with
 * the network's message, so an importer can simply INGOT_ONNX_TRY each step. Nothing here
 * keeps state: the parser owns the node, the network owns the layers. */
#ifndef INGOT_ONNX_IMPORT_HELPERS_H
#define INGOT_ONNX_IMPORT_HELPERS_H

#include "onnx/importer.h"

/* Returns from the enclosing function when `expr` is not INGOT_SUCCESS. */
#define INGOT_ONNX_TRY(expr)                       \
  do {                                             \
    ingot_status ingot_onnx_try_st_ = (expr);      \
    if (ingot_onnx_try_st_ != INGOT_SUCCESS) return ingot_onnx_try_st_; \
  } while (0)

/* ---- failures of network calls -------------------------------------------------------------- */
/* Turns the status of a network call into a node failure carrying the network's message
 * ("node 'n' (Conv, opset 13): adding convolution: <message>"); SUCCESS passes through. */
ingot_status ingot_onnx_check(ingot_onnx_node *node, ingot_status status, const char *what);

/* ---- dims and axes -------------------------------------------------------------------------- */
/* Dims of a network tensor as the network knows them (nb_dims -1 if unknown). */
ingot_dims ingot_onnx_tensor_dims(const ingot_tensor *tensor);
/* The rank of input i, failing (naming the input) when the parser does not know it. */
ingot_status ingot_onnx_input_rank(ingot_onnx_node *node, int32_t i, int32_t *rank_out);
/* The rank of input i, or -1 when the parser does not know it (a value computed from
 * dynamic inputs without a value_info declaration). */
int32_t ingot_onnx_input_rank_or_unknown(ingot_onnx_node *node, int32_t i);
/* Normalizes `axis` (negative counts from the end) for `rank`; fails naming `what` and the
 * value when it is out of [-rank, rank). With rank -1 (unknown) a non-negative axis passes
 * as is (below INGOT_MAX_DIMS) and a negative one fails, saying the rank is needed. */
ingot_status ingot_onnx_normalize_axis(ingot_onnx_node *node, int64_t axis, int32_t rank, const char *what,
                                       int32_t *axis_out);
/* Reads an "axes" list (attribute or constant input, already read into `axes`) into a bit
 * mask for `rank` (-1: unknown, then only non-negative axes pass), normalizing negatives
 * and refusing duplicates. */
ingot_status ingot_onnx_axes_mask(ingot_onnx_node *node, const int64_t *axes, int32_t count, int32_t rank,
                                  const char *what, uint32_t *mask_out);

/* ---- constants ------------------------------------------------------------------------------ */
/* A constant value as weights (no copy: valid while the parser lives). */
ingot_weights ingot_onnx_value_weights(const ingot_onnx_value *value);
/* Number of elements of a value (its dims' volume; -1 if unknown). */
int64_t ingot_onnx_value_count(const ingot_onnx_value *value);
/* A constant value converted to float32: *values_out is malloc'ed (the caller frees it).
 * Fails naming `what` for a value that is not constant or not numeric. */
ingot_status ingot_onnx_value_floats(ingot_onnx_node *node, const ingot_onnx_value *value, const char *what,
                                     float **values_out, int64_t *count_out);
/* Element i of a constant as a double (any ingot dtype). */
double ingot_onnx_value_at(const ingot_onnx_value *value, int64_t i);

/* ONNX TensorProto.DataType number -> ingot dtype; false for types ingot lacks. */
bool ingot_onnx_dtype_from_onnx(int64_t onnx_type, ingot_dtype *dtype_out);
/* Static name of an ONNX TensorProto.DataType ("DOUBLE"), "UNDEFINED(n)" style never NULL. */
const char *ingot_onnx_dtype_onnx_name(int64_t onnx_type);

/* ---- layers (each named after the node; outputs through *out) ------------------------------- */
/* A constant tensor of `dims` (data copied). */
ingot_status ingot_onnx_add_constant(ingot_onnx_node *node, ingot_dtype dtype, const ingot_dims *dims,
                                     const void *data, ingot_tensor **out);
/* A constant of `dtype` holding `value` with dims [1] * rank (rank 0: a scalar), so that it
 * broadcasts against any tensor of rank >= `rank`. */
ingot_status ingot_onnx_add_scalar(ingot_onnx_node *node, ingot_dtype dtype, double value, int32_t rank,
                                   ingot_tensor **out);
ingot_status ingot_onnx_add_elementwise(ingot_onnx_node *node, ingot_tensor *a, ingot_tensor *b,
                                        ingot_elementwise_op op, ingot_tensor **out);
ingot_status ingot_onnx_add_unary(ingot_onnx_node *node, ingot_tensor *in, ingot_unary_op op, ingot_tensor **out);
ingot_status ingot_onnx_add_activation(ingot_onnx_node *node, ingot_tensor *in, ingot_activation_type type,
                                       float alpha, float beta, ingot_tensor **out);
ingot_status ingot_onnx_add_cast(ingot_onnx_node *node, ingot_tensor *in, ingot_dtype dtype, ingot_tensor **out);
ingot_status ingot_onnx_add_reduce(ingot_onnx_node *node, ingot_tensor *in, ingot_reduce_op op, uint32_t mask,
                                   bool keep_dims, ingot_tensor **out);
ingot_status ingot_onnx_add_identity(ingot_onnx_node *node, ingot_tensor *in, ingot_tensor **out);

/* Reshape to `dims`: with placeholders, a 0 copies the input dim at that index and one -1
 * is inferred (ONNX Reshape with allowzero=0). */
ingot_status ingot_onnx_reshape(ingot_onnx_node *node, ingot_tensor *in, const ingot_dims *dims,
                                bool zero_is_placeholder, ingot_tensor **out);
/* Reshape to the value of `shape`, an int64 1-D tensor (shuffle input 1). */
ingot_status ingot_onnx_reshape_to(ingot_onnx_node *node, ingot_tensor *in, ingot_tensor *shape,
                                   ingot_tensor **out);
/* Reshape `in` to the dims of `like`: static dims when the network knows them all, else
 * through a shape layer of `like` (works with dynamic dims). */
ingot_status ingot_onnx_reshape_like(ingot_onnx_node *node, ingot_tensor *in, ingot_tensor *like,
                                     ingot_tensor **out);
/* ONNX Flatten: a tensor of rank `rank` seen as 2-D [prod(dims before axis), prod(dims from
 * axis)], 0 <= axis <= rank. Static dims where known; else the outer product is computed
 * from a shape layer (slice, reduce prod, concat with -1), so any dim may be dynamic. */
ingot_status ingot_onnx_flatten_2d(ingot_onnx_node *node, ingot_tensor *in, int32_t axis, int32_t rank,
                                   ingot_tensor **out);
/* Transpose: output dim i is input dim perm[i]. */
ingot_status ingot_onnx_transpose(ingot_onnx_node *node, ingot_tensor *in, const int32_t *perm, int32_t rank,
                                  ingot_tensor **out);
/* Inserts size-1 dims so that a tensor of rank `rank` gets rank `new_rank`: `leading` of them
 * at the front and the rest at the back (ONNX broadcasting puts all at the front; a per-
 * channel [C] vector against [N, C, H, W] wants leading 1 and 2 at the back). Works with
 * dynamic dims (0 placeholders plus a transpose of the size-1 dims). */
ingot_status ingot_onnx_unsqueeze(ingot_onnx_node *node, ingot_tensor *in, int32_t rank, int32_t leading,
                                  int32_t new_rank, ingot_tensor **out);
/* Numpy/ONNX multidirectional broadcast made explicit: the operand of lower rank gets
 * leading size-1 dims. Ranks of -1 (unknown) leave both as they are. */
ingot_status ingot_onnx_align_ranks(ingot_onnx_node *node, ingot_tensor **a, int32_t rank_a, ingot_tensor **b,
                                    int32_t rank_b);

#endif
