/* Helpers of the tensor family (import_tensor.c, import_shape_ops.c): shape values, the
 * small int64 vectors that shape-manipulating ops compute (onnx-tensorrt's ShapeTensor),
 * and host folding of ops whose inputs are all constants.
 *
 * A shape value is known on the host (all its elements) or is an int64 1-D network tensor
 * whose value the builder works out from input shapes. Every operation on shape values
 * computes on the host when its operands are known there and adds shape-arithmetic layers
 * otherwise, so one importer serves static shapes (no layers at all) and dynamic ones. */
#ifndef INGOT_ONNX_IMPORT_TENSOR_HELPERS_H
#define INGOT_ONNX_IMPORT_TENSOR_HELPERS_H

#include "onnx/import_helpers.h"

/* The most elements a shape value keeps on the host (pads of rank 8 take 16). */
#define INGOT_ONNX_SV_MAX (2 * INGOT_MAX_DIMS)

typedef struct ingot_onnx_sv {
  int32_t length;       /* element count; -1 when only the builder will know it */
  bool known;           /* v holds the values */
  int64_t v[INGOT_ONNX_SV_MAX];
  ingot_tensor *tensor; /* the int64 1-D tensor; NULL while the value lives only on the host */
} ingot_onnx_sv;

/* A known value of n elements (n <= INGOT_ONNX_SV_MAX). */
ingot_onnx_sv ingot_onnx_sv_host(int32_t n, const int64_t *values);
ingot_onnx_sv ingot_onnx_sv_scalar(int64_t value); /* one element */
/* The dims of `tensor` (dims as the network knows them, nb_dims -1 if unknown): known
 * when every dim is, else a shape layer. */
ingot_status ingot_onnx_sv_shape_of(ingot_onnx_node *node, ingot_tensor *tensor, const ingot_dims *dims,
                                    ingot_onnx_sv *out);
/* The dims of input i (a constant's dims are always known). */
ingot_status ingot_onnx_sv_input_shape(ingot_onnx_node *node, int32_t i, ingot_onnx_sv *out);
/* Input i (int32/int64, 1-D or scalar) as a shape value: known if constant, else the tensor
 * (cast to int64). Fails naming `what` if absent or too long to keep on the host. */
ingot_status ingot_onnx_sv_input(ingot_onnx_node *node, int32_t i, const char *what, ingot_onnx_sv *out);
/* The value as an int64 1-D tensor (a constant layer for a known value; cached). */
ingot_status ingot_onnx_sv_tensor(ingot_onnx_node *node, ingot_onnx_sv *sv, ingot_tensor **out);

ingot_status ingot_onnx_sv_concat(ingot_onnx_node *node, ingot_onnx_sv *parts, int32_t n, ingot_onnx_sv *out);
/* out[j] = s[idx[j]] (idx known, in range). */
ingot_status ingot_onnx_sv_gather(ingot_onnx_node *node, ingot_onnx_sv *s, const int64_t *idx, int32_t n,
                                  ingot_onnx_sv *out);
/* s[start : start + count]. */
ingot_status ingot_onnx_sv_slice(ingot_onnx_node *node, ingot_onnx_sv *s, int32_t start, int32_t count,
                                 ingot_onnx_sv *out);
/* s[start :] even when the length of s is unknown (its size then comes from a shape layer). */
ingot_status ingot_onnx_sv_tail(ingot_onnx_node *node, ingot_onnx_sv *s, int32_t start, ingot_onnx_sv *out);
/* The last `count` elements of s, and s without its last `drop` elements, even when the
 * length of s is unknown. */
ingot_status ingot_onnx_sv_last(ingot_onnx_node *node, ingot_onnx_sv *s, int32_t count, ingot_onnx_sv *out);
ingot_status ingot_onnx_sv_head(ingot_onnx_node *node, ingot_onnx_sv *s, int32_t drop, ingot_onnx_sv *out);
/* A value like `base` (length unknown) whose first (front) or last w->length elements are
 * w instead (base_w: those elements of base, or one value that broadcasts). */
ingot_status ingot_onnx_sv_place(ingot_onnx_node *node, ingot_onnx_sv *base, ingot_onnx_sv *w, ingot_onnx_sv *base_w,
                                 bool front, ingot_onnx_sv *out);
/* The length of s as a one-element value (a shape layer of s when unknown). */
ingot_status ingot_onnx_sv_length(ingot_onnx_node *node, ingot_onnx_sv *s, ingot_onnx_sv *out);
/* s[start : start + size], start and size one-element values (known or not). */
ingot_status ingot_onnx_sv_slice_dyn(ingot_onnx_node *node, ingot_onnx_sv *s, ingot_onnx_sv *start, ingot_onnx_sv *size,
                                     ingot_onnx_sv *out);
/* a op b elementwise (SUM, SUB, PROD, DIV, FLOOR_DIV, MIN, MAX); a length-1 operand broadcasts. */
ingot_status ingot_onnx_sv_binary(ingot_onnx_node *node, ingot_onnx_sv *a, ingot_onnx_sv *b, ingot_elementwise_op op,
                                  ingot_onnx_sv *out);
/* x < 0 ? x + dims : x, elementwise (ONNX's negative indices). */
ingot_status ingot_onnx_sv_wrap_negative(ingot_onnx_node *node, ingot_onnx_sv *x, ingot_onnx_sv *dims,
                                         ingot_onnx_sv *out);
/* The product of all elements, as a one-element value (1 for an empty value). */
ingot_status ingot_onnx_sv_product(ingot_onnx_node *node, ingot_onnx_sv *s, ingot_onnx_sv *out);
/* Reshape `in` to the value of `shape` (0 copies the input dim unless zero_is_literal; one
 * -1 is inferred): static dims when known, else the shuffle's reshape-dims input. */
ingot_status ingot_onnx_sv_reshape(ingot_onnx_node *node, ingot_tensor *in, ingot_onnx_sv *shape,
                                   bool zero_is_literal, ingot_tensor **out);
/* Slice `in` (its rank = the length of each value, which may be unknown). */
ingot_status ingot_onnx_sv_slice_layer(ingot_onnx_node *node, ingot_tensor *in, ingot_onnx_sv *start,
                                       ingot_onnx_sv *size, ingot_onnx_sv *stride, ingot_tensor **out);

/* ---- host folding: every input a constant -------------------------------------------------- */
/* The most elements a fold produces (larger results become layers the builder folds). */
#define INGOT_ONNX_FOLD_MAX_ELEMENTS ((int64_t)1 << 22)

/* Are inputs first..last that are present all constants (absent ones are skipped)? */
bool ingot_onnx_inputs_constant(ingot_onnx_node *node, int32_t first, int32_t last);
/* Output `out` = the data of `x` with new dims (Reshape, Flatten, Squeeze, Unsqueeze). */
ingot_status ingot_onnx_fold_reshape(ingot_onnx_node *node, const ingot_onnx_value *x, const ingot_dims *dims,
                                     int32_t out);
/* Output `out` = slice of constant `x` (start/size/stride of x's rank, already in range). */
ingot_status ingot_onnx_fold_slice(ingot_onnx_node *node, const ingot_onnx_value *x, const int64_t *start,
                                   const int64_t *size, const int64_t *stride, int32_t out);
/* Output `out` = x transposed (output dim i is x's dim perm[i]). */
ingot_status ingot_onnx_fold_transpose(ingot_onnx_node *node, const ingot_onnx_value *x, const int32_t *perm,
                                       int32_t out);
/* Output `out` = Gather(data, indices, axis) (axis normalized; indices int32/int64 constant). */
ingot_status ingot_onnx_fold_gather(ingot_onnx_node *node, const ingot_onnx_value *data,
                                    const ingot_onnx_value *indices, int32_t axis, int32_t out);
/* Output `out` = Concat(values, axis) (axis normalized). */
ingot_status ingot_onnx_fold_concat(ingot_onnx_node *node, const ingot_onnx_value *const *values, int32_t n,
                                    int32_t axis, int32_t out);
/* Output `out` = an int64 1-D constant. */
ingot_status ingot_onnx_fold_ints(ingot_onnx_node *node, const int64_t *values, int32_t n, int32_t out);

/* ---- small things -------------------------------------------------------------------------- */
/* An "axes"-like list: the attribute `attr` before `input_since_opset`, input `input` from
 * it on. *count_out = -1 when absent. */
ingot_status ingot_onnx_read_axes(ingot_onnx_node *node, const char *attr, int32_t input, int64_t input_since_opset,
                                  int64_t *axes, int32_t max_count, int32_t *count_out);

/* Importers of import_shape_ops.c (listed in the table of import_tensor.c). */
ingot_status ingot_onnx_import_pad(ingot_onnx_node *node);
ingot_status ingot_onnx_import_shape(ingot_onnx_node *node);
ingot_status ingot_onnx_import_size(ingot_onnx_node *node);
ingot_status ingot_onnx_import_constant_of_shape(ingot_onnx_node *node);
ingot_status ingot_onnx_import_range(ingot_onnx_node *node);
ingot_status ingot_onnx_import_depth_to_space(ingot_onnx_node *node);
ingot_status ingot_onnx_import_space_to_depth(ingot_onnx_node *node);
ingot_status ingot_onnx_import_topk(ingot_onnx_node *node);
ingot_status ingot_onnx_import_expand(ingot_onnx_node *node);
ingot_status ingot_onnx_import_tile(ingot_onnx_node *node);

#endif
