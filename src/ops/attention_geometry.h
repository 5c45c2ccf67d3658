/* Where the attention layer's operands live: the logical sizes (B, H, Sq, Sk, D, Dv) and,
 * per operand, the element stride of each logical dim, from the stored dims and the
 * params' permutations (see ingot_attention_params). Shared by shape inference and every
 * tactic, so they all read the operands the same way. */
#ifndef INGOT_OPS_ATTENTION_GEOMETRY_H
#define INGOT_OPS_ATTENTION_GEOMETRY_H

#include <stdbool.h>

#include "ops/params.h"

typedef struct ingot_attention_geometry {
  int64_t batch, heads, sq, sk, d, dv;
  /* strides of the logical dims (B, H, S, D) of q, k, v and o */
  int64_t q[4], k[4], v[4], o[4];
  /* strides of the mask broadcast to [B, H, Sq, Sk] (0 where it broadcasts) */
  int64_t mask[4];
  bool has_mask;
} ingot_attention_geometry;

/* Logical dim i of a rank-4 operand stored with `dims` under `perm`: its size and stride. */
static inline void ingot_attention_operand(const ingot_dims *dims, const int32_t perm[4], int64_t size[4],
                                           int64_t stride[4]) {
  int64_t stored_stride[4], s = 1;
  for (int32_t i = 3; i >= 0; i--) {
    stored_stride[i] = s;
    s *= dims->d[i];
  }
  for (int32_t i = 0; i < 4; i++) {
    size[i] = dims->d[perm[i]];
    stride[i] = stored_stride[perm[i]];
  }
}

/* Fills g from the inputs' dims (mask NULL or of rank -1: none) after shape inference
 * accepted them; false if they do not fit together (ranks, sizes, broadcast). */
static inline bool ingot_attention_geometry_make(const ingot_attention_params *p, const ingot_dims *q,
                                                 const ingot_dims *k, const ingot_dims *v, const ingot_dims *mask,
                                                 ingot_attention_geometry *g) {
  if (q->nb_dims != 4 || k->nb_dims != 4 || v->nb_dims != 4) return false;
  int64_t qs[4], ks[4], vs[4], os[4];
  ingot_attention_operand(q, p->perm[0], qs, g->q);
  ingot_attention_operand(k, p->perm[1], ks, g->k);
  ingot_attention_operand(v, p->perm[2], vs, g->v);
  g->batch = qs[0], g->heads = qs[1], g->sq = qs[2], g->d = qs[3], g->sk = ks[2], g->dv = vs[3];
  if (ks[0] != g->batch || vs[0] != g->batch || ks[1] != g->heads || vs[1] != g->heads || ks[3] != g->d ||
      vs[2] != g->sk)
    return false;
  /* o's strides: stored dims are the logical ones permuted */
  ingot_dims od = {4, {0}};
  const int64_t logical_o[4] = {g->batch, g->heads, g->sq, g->dv};
  for (int32_t i = 0; i < 4; i++) od.d[p->perm[3][i]] = logical_o[i];
  ingot_attention_operand(&od, p->perm[3], os, g->o);
  g->has_mask = mask && mask->nb_dims >= 0;
  for (int32_t i = 0; i < 4; i++) g->mask[i] = 0;
  if (g->has_mask) {
    if (mask->nb_dims > 4) return false;
    const int64_t target[4] = {g->batch, g->heads, g->sq, g->sk};
    int64_t s = 1;
    for (int32_t j = mask->nb_dims - 1; j >= 0; j--) {
      int32_t i = 4 - mask->nb_dims + j;
      if (mask->d[j] != 1 && mask->d[j] != target[i]) return false;
      g->mask[i] = mask->d[j] == 1 ? 0 : s;
      s *= mask->d[j];
    }
  }
  return true;
}

/* The output's stored dims for logical [B, H, Sq, Dv] under perm o. */
static inline void ingot_attention_output_dims(const ingot_attention_params *p, const ingot_attention_geometry *g,
                                               ingot_dims *out) {
  const int64_t logical_o[4] = {g->batch, g->heads, g->sq, g->dv};
  out->nb_dims = 4;
  for (int32_t i = 0; i < 4; i++) out->d[p->perm[3][i]] = logical_o[i];
}

#endif
