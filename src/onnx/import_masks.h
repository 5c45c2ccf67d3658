/* Index grids and selects for the masks some importers build (Attention's causal and window
 * masks, Trilu, EyeLike, OneHot, the losses' ignore_index): iotas placed along one dim, so that comparing a row iota with a column
 * iota broadcasts into a [rows, cols] condition. Constants when the length is known (the
 * builder folds what follows), range layers when it is only known once shapes are set. */
#ifndef INGOT_ONNX_IMPORT_MASKS_H
#define INGOT_ONNX_IMPORT_MASKS_H

#include "onnx/import_tensor_helpers.h"

/* 0, 1, ..., len - 1 as int64 along dim `at` of a tensor of rank `rank` whose other dims
 * are 1; len is a one-element shape value. */
ingot_status ingot_onnx_iota(ingot_onnx_node *node, ingot_onnx_sv *len, int32_t at, int32_t rank, ingot_tensor **out);

/* cond ? a : b (numpy broadcasting), one select layer named after the node. */
ingot_status ingot_onnx_select(ingot_onnx_node *node, ingot_tensor *cond, ingot_tensor *a, ingot_tensor *b,
                               ingot_tensor **out);

/* col - row for the last two dims of `x` (rank >= 2): an int64 [rows, cols] tensor (the
 * diagonal offset of each cell, as numpy's triu/tril/eye count it). */
ingot_status ingot_onnx_diagonal_offsets(ingot_onnx_node *node, ingot_tensor *x, ingot_tensor **out);

#endif
