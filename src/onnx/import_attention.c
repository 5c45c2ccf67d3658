/* ONNX importers of the transformer family: Attention (opsets 23 to 25: 3-D or 4-D Q/K/V,
 * grouped-query heads, scale, softcap, float or bool masks, causal and sliding-window masks,
 * the past/present key-value cache, nonpad_kv_seqlen, the four qk_matmul_output modes) and
 * RotaryEmbedding. Both are composed from matrix multiply, softmax, elementwise, select and
 * shuffle layers, in the order of the ONNX function body, so results match the reference
 * to float rounding; the masks are built from iotas the builder folds when shapes are known. */
#include <math.h>
#include <string.h>

#include "onnx/import_helpers.h"
#include "core/dims.h"
#include "onnx/import_masks.h"

#define TRY INGOT_ONNX_TRY

static ingot_status check(ingot_onnx_node *n, ingot_status st, ingot_layer *layer, const char *what,
                          ingot_tensor **out) {
  TRY(ingot_onnx_check(n, st, what));
  ingot_onnx_name_layer(n, layer);
  *out = ingot_layer_get_output(layer, 0);
  return INGOT_SUCCESS;
}

static ingot_status matmul(ingot_onnx_node *n, ingot_tensor *a, ingot_tensor *b, ingot_matrix_op op_b,
                           ingot_tensor **out) {
  ingot_layer *layer = NULL;
  ingot_status st = ingot_network_add_matrix_multiply(ingot_onnx_node_network(n), a, INGOT_MATRIX_OP_NONE, b, op_b,
                                                      &layer);
  return check(n, st, layer, "adding a matrix multiply", out);
}

static ingot_status concat2(ingot_onnx_node *n, ingot_tensor *a, ingot_tensor *b, int32_t axis, ingot_tensor **out) {
  ingot_tensor *parts[2] = {a, b};
  ingot_layer *layer = NULL;
  ingot_status st = ingot_network_add_concatenation(ingot_onnx_node_network(n), parts, 2, axis, &layer);
  return check(n, st, layer, "adding a concatenation", out);
}

/* Dim `d` of a 4-D tensor as a one-element shape value (known or computed). */
static ingot_status dim_of(ingot_onnx_node *n, ingot_tensor *t, int64_t d, ingot_onnx_sv *out) {
  ingot_dims dims = ingot_onnx_tensor_dims(t);
  ingot_onnx_sv shape;
  TRY(ingot_onnx_sv_shape_of(n, t, &dims, &shape));
  return ingot_onnx_sv_gather(n, &shape, &d, 1, out);
}

/* [B, S, H * D] -> [B, H, S, D] */
static ingot_status split_heads(ingot_onnx_node *n, ingot_tensor *x, int64_t heads, ingot_tensor **out) {
  ingot_dims dims = {4, {0, 0, heads, -1}};
  static const int32_t perm[4] = {0, 2, 1, 3};
  TRY(ingot_onnx_reshape(n, x, &dims, true, &x));
  return ingot_onnx_transpose(n, x, perm, 4, out);
}

/* [B, H, S, D] -> [B, H * rep, S, D], each head repeated rep times in a row (h0, h0, h1, ...). */
static ingot_status repeat_heads(ingot_onnx_node *n, ingot_tensor *x, int64_t rep, ingot_tensor **out) {
  ingot_dims dims = ingot_onnx_tensor_dims(x);
  ingot_onnx_sv shape, a, b, one = ingot_onnx_sv_scalar(1), heads, parts[3], five, merged;
  static const int64_t lead[2] = {0, 1}, tail[2] = {2, 3};
  TRY(ingot_onnx_sv_shape_of(n, x, &dims, &shape));
  TRY(ingot_onnx_sv_gather(n, &shape, lead, 2, &a));
  TRY(ingot_onnx_sv_gather(n, &shape, tail, 2, &b));
  parts[0] = a, parts[1] = one, parts[2] = b;
  TRY(ingot_onnx_sv_concat(n, parts, 3, &five));
  ingot_tensor *x5, *copies[64], *cat;
  TRY(ingot_onnx_sv_reshape(n, x, &five, true, &x5));
  if (rep > 64) return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "%lld query heads per key head: at most 64", (long long)rep);
  for (int64_t i = 0; i < rep; i++) copies[i] = x5;
  ingot_layer *layer = NULL;
  ingot_status st = ingot_network_add_concatenation(ingot_onnx_node_network(n), copies, (int32_t)rep, 2, &layer);
  TRY(check(n, st, layer, "adding a concatenation", &cat));
  ingot_onnx_sv rep_sv = ingot_onnx_sv_scalar(rep), h1;
  static const int64_t one_idx = 1, first = 0;
  TRY(ingot_onnx_sv_gather(n, &shape, &one_idx, 1, &heads));
  TRY(ingot_onnx_sv_binary(n, &heads, &rep_sv, INGOT_ELEMENTWISE_PROD, &h1));
  ingot_onnx_sv b0;
  TRY(ingot_onnx_sv_gather(n, &shape, &first, 1, &b0));
  parts[0] = b0, parts[1] = h1, parts[2] = b;
  TRY(ingot_onnx_sv_concat(n, parts, 3, &merged));
  return ingot_onnx_sv_reshape(n, cat, &merged, true, out);
}

/* bias += cond ? 0 : -inf (cond bool, broadcasting). */
static ingot_status add_allowed(ingot_onnx_node *n, ingot_dtype dt, ingot_tensor *cond, ingot_tensor **bias) {
  ingot_tensor *zero, *ninf, *b;
  TRY(ingot_onnx_add_scalar(n, dt, 0.0, 0, &zero));
  TRY(ingot_onnx_add_scalar(n, dt, -INFINITY, 0, &ninf));
  TRY(ingot_onnx_select(n, cond, zero, ninf, &b));
  if (!*bias) {
    *bias = b;
    return INGOT_SUCCESS;
  }
  return ingot_onnx_add_elementwise(n, *bias, b, INGOT_ELEMENTWISE_SUM, bias);
}

typedef struct attention_geometry {
  ingot_dtype dt;
  ingot_onnx_sv q_len, kv_len, past_len; /* one element each */
  ingot_tensor *nonpad;                  /* [B, 1, 1, 1] int64, or NULL */
  bool has_past;
} attention_geometry;

/* The offset of the causal and window frontiers: the past length, nonpad_kv_seqlen - q_len
 * per batch, or 0 (as a broadcastable int64 tensor). */
static ingot_status frontier_offset(ingot_onnx_node *n, attention_geometry *g, ingot_tensor **out) {
  if (!g->has_past && g->nonpad) {
    ingot_tensor *q;
    ingot_dims one4 = {4, {1, 1, 1, 1}};
    TRY(ingot_onnx_sv_tensor(n, &g->q_len, &q));
    TRY(ingot_onnx_reshape(n, q, &one4, false, &q));
    return ingot_onnx_add_elementwise(n, g->nonpad, q, INGOT_ELEMENTWISE_SUB, out);
  }
  ingot_onnx_sv off = g->has_past ? g->past_len : ingot_onnx_sv_scalar(0);
  ingot_tensor *t;
  ingot_dims one2 = {2, {1, 1}};
  TRY(ingot_onnx_sv_tensor(n, &off, &t));
  return ingot_onnx_reshape(n, t, &one2, false, out);
}

/* The additive bias of the float/bool mask, the causal and window frontiers and the padding
 * of nonpad_kv_seqlen, or NULL when there is none. */
static ingot_status attention_bias(ingot_onnx_node *n, attention_geometry *g, ingot_tensor **bias_out) {
  ingot_tensor *bias = NULL;
  const ingot_onnx_value *mask_v = ingot_onnx_input(n, 3);
  if (mask_v) {
    ingot_tensor *mask;
    TRY(ingot_onnx_input_tensor(n, 3, &mask));
    if (mask_v->dtype == INGOT_BOOL) TRY(add_allowed(n, g->dt, mask, &bias));
    else if (mask_v->dtype != g->dt) TRY(ingot_onnx_add_cast(n, mask, g->dt, &bias));
    else bias = mask;
    /* A mask shorter than the keys leaves the rest masked: pad its last dim with -inf. */
    int32_t rank = mask_v->dims.nb_dims;
    int64_t last = rank > 0 ? mask_v->dims.d[rank - 1] : -1;
    if (rank < 1) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 3 (attn_mask) has rank %d", (int)rank);
    if (!g->kv_len.known || last < 0)
      return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "input 3 (attn_mask): the key length and the mask's last dim "
                             "must be known to align them");
    if (last > g->kv_len.v[0])
      return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 3 (attn_mask) has %lld keys, more than the %lld of "
                             "past and present keys", (long long)last, (long long)g->kv_len.v[0]);
    if (last < g->kv_len.v[0]) {
      ingot_padding_desc pad;
      memset(&pad, 0, sizeof pad);
      pad.nb_dims = rank;
      pad.post_padding[rank - 1] = g->kv_len.v[0] - last;
      pad.mode = INGOT_PAD_CONSTANT;
      pad.value = -INFINITY;
      ingot_layer *layer = NULL;
      ingot_status st = ingot_network_add_padding(ingot_onnx_node_network(n), bias, &pad, &layer);
      TRY(check(n, st, layer, "adding a padding", &bias));
    }
  }
  int64_t causal = ingot_onnx_attr_int(n, "is_causal", 0);
  int64_t left = ingot_onnx_attr_int(n, "left_window_size", -1), right = ingot_onnx_attr_int(n, "right_window_size", -1);
  if (causal != 0 && causal != 1)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute is_causal is %lld, expected 0 or 1", (long long)causal);
  if (left < -1 || right < -1)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT,
                           "attributes left_window_size %lld and right_window_size %lld: each must be -1 or >= 0",
                           (long long)left, (long long)right);
  if (causal || left >= 0 || right >= 0 || g->nonpad) {
    ingot_tensor *i, *j, *off, *pos, *diff;
    TRY(ingot_onnx_iota(n, &g->q_len, 0, 2, &i));  /* [q, 1] */
    TRY(ingot_onnx_iota(n, &g->kv_len, 1, 2, &j)); /* [1, kv] */
    TRY(frontier_offset(n, g, &off));
    TRY(ingot_onnx_add_elementwise(n, i, off, INGOT_ELEMENTWISE_SUM, &pos)); /* query's absolute position */
    TRY(ingot_onnx_add_elementwise(n, pos, j, INGOT_ELEMENTWISE_SUB, &diff));
    ingot_tensor *zero, *cond;
    TRY(ingot_onnx_add_scalar(n, INGOT_INT64, 0, 0, &zero));
    if (causal) {
      TRY(ingot_onnx_add_elementwise(n, diff, zero, INGOT_ELEMENTWISE_GREATER_EQUAL, &cond));
      TRY(add_allowed(n, g->dt, cond, &bias));
    }
    if (left >= 0) {
      ingot_tensor *w;
      TRY(ingot_onnx_add_scalar(n, INGOT_INT64, (double)left, 0, &w));
      TRY(ingot_onnx_add_elementwise(n, diff, w, INGOT_ELEMENTWISE_LESS_EQUAL, &cond));
      TRY(add_allowed(n, g->dt, cond, &bias));
    }
    if (right >= 0) {
      ingot_tensor *w;
      TRY(ingot_onnx_add_scalar(n, INGOT_INT64, (double)-right, 0, &w));
      TRY(ingot_onnx_add_elementwise(n, diff, w, INGOT_ELEMENTWISE_GREATER_EQUAL, &cond));
      TRY(add_allowed(n, g->dt, cond, &bias));
    }
    if (g->nonpad) { /* keys at or past nonpad_kv_seqlen[b] are padding */
      TRY(ingot_onnx_add_elementwise(n, j, g->nonpad, INGOT_ELEMENTWISE_LESS, &cond));
      TRY(add_allowed(n, g->dt, cond, &bias));
    }
  }
  *bias_out = bias;
  return INGOT_SUCCESS;
}

static ingot_status softmax_in(ingot_onnx_node *n, ingot_tensor *s, ingot_dtype dt, ingot_tensor **out) {
  int64_t precision = ingot_onnx_attr_int(n, "softmax_precision", 0);
  ingot_dtype sdt = dt;
  /* DOUBLE (11): ingot's widest float is float32, whose softmax differs from a float64 one
   * by float32 rounding only. */
  if (precision == 11) sdt = INGOT_FLOAT32;
  else if (precision != 0 && !ingot_onnx_dtype_from_onnx(precision, &sdt))
    return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "attribute softmax_precision is %lld (%s): not a dtype ingot has",
                           (long long)precision, ingot_onnx_dtype_onnx_name(precision));
  if (!ingot_dtype_is_float(sdt))
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute softmax_precision is %lld (%s), expected a float type",
                           (long long)precision, ingot_onnx_dtype_onnx_name(precision));
  if (sdt != dt) TRY(ingot_onnx_add_cast(n, s, sdt, &s));
  ingot_layer *layer = NULL;
  ingot_status st = ingot_network_add_softmax(ingot_onnx_node_network(n), s, -1, &layer);
  TRY(check(n, st, layer, "adding a softmax", &s));
  if (sdt != dt) TRY(ingot_onnx_add_cast(n, s, dt, &s));
  *out = s;
  return INGOT_SUCCESS;
}

static ingot_status import_attention(ingot_onnx_node *n) {
  attention_geometry g;
  memset(&g, 0, sizeof g);
  const ingot_onnx_value *qv = ingot_onnx_input(n, 0);
  if (!qv) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 (Q) is absent");
  g.dt = qv->dtype;
  if (!ingot_dtype_is_float(g.dt))
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 (Q) is %s, expected a float type",
                           ingot_dtype_name(g.dt));
  int32_t rank;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  if (rank != 3 && rank != 4)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 (Q) has rank %d, expected 3 or 4", (int)rank);
  for (int32_t i = 1; i <= 2; i++) {
    int32_t r;
    TRY(ingot_onnx_input_rank(n, i, &r));
    if (r != rank)
      return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input %d (%s) has rank %d, Q has rank %d", (int)i,
                             i == 1 ? "K" : "V", (int)r, (int)rank);
  }
  int64_t mode = ingot_onnx_attr_int(n, "qk_matmul_output_mode", 0);
  if (mode < 0 || mode > 3)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute qk_matmul_output_mode is %lld, expected 0 to 3",
                           (long long)mode);
  ingot_tensor *q, *k, *v;
  TRY(ingot_onnx_input_tensor(n, 0, &q));
  TRY(ingot_onnx_input_tensor(n, 1, &k));
  TRY(ingot_onnx_input_tensor(n, 2, &v));
  int64_t qh = ingot_onnx_attr_int(n, "q_num_heads", 0), kvh = ingot_onnx_attr_int(n, "kv_num_heads", 0);
  if (rank == 3) {
    if (qh <= 0 || kvh <= 0)
      return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "3-D inputs need attributes q_num_heads and kv_num_heads > 0 "
                             "(found %lld and %lld)", (long long)qh, (long long)kvh);
    TRY(split_heads(n, q, qh, &q));
    TRY(split_heads(n, k, kvh, &k));
    TRY(split_heads(n, v, kvh, &v));
  } else {
    qh = ingot_onnx_tensor_dims(q).d[1];
    kvh = ingot_onnx_tensor_dims(k).d[1];
  }
  /* The cache: present = concat(past, new) along the sequence. */
  bool has_pk = ingot_onnx_input(n, 4) != NULL, has_pv = ingot_onnx_input(n, 5) != NULL;
  if (has_pk != has_pv)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "inputs 4 (past_key) and 5 (past_value) must come together");
  g.has_past = has_pk;
  if (has_pk) {
    ingot_tensor *pk, *pv;
    TRY(ingot_onnx_input_tensor(n, 4, &pk));
    TRY(ingot_onnx_input_tensor(n, 5, &pv));
    TRY(dim_of(n, pk, 2, &g.past_len));
    TRY(concat2(n, pk, k, 2, &k));
    TRY(concat2(n, pv, v, 2, &v));
  }
  if (ingot_onnx_input(n, 6)) {
    if (has_pk)
      return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 6 (nonpad_kv_seqlen) cannot come with a past cache");
    ingot_tensor *np;
    ingot_dims b111 = {4, {-1, 1, 1, 1}};
    TRY(ingot_onnx_input_tensor(n, 6, &np));
    if (ingot_onnx_input(n, 6)->dtype != INGOT_INT64) TRY(ingot_onnx_add_cast(n, np, INGOT_INT64, &np));
    TRY(ingot_onnx_reshape(n, np, &b111, false, &g.nonpad));
  }
  if (ingot_onnx_node_num_outputs(n) > 1) TRY(ingot_onnx_set_output(n, 1, k));
  if (ingot_onnx_node_num_outputs(n) > 2) TRY(ingot_onnx_set_output(n, 2, v));
  TRY(dim_of(n, q, 2, &g.q_len));
  TRY(dim_of(n, k, 2, &g.kv_len));

  if (qh != kvh) {
    if (qh <= 0 || kvh <= 0 || qh % kvh != 0)
      return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "%lld query heads and %lld key/value heads: the query heads "
                             "must be known and a multiple of the key heads", (long long)qh, (long long)kvh);
    TRY(repeat_heads(n, k, qh / kvh, &k));
    TRY(repeat_heads(n, v, qh / kvh, &v));
  }
  /* Q and K are each scaled by sqrt(scale), as the ONNX function does (and so in the input
   * dtype), default scale 1 / sqrt(head size). */
  double scale;
  if (ingot_onnx_has_attr(n, "scale")) {
    scale = ingot_onnx_attr_float(n, "scale", 1.0f);
  } else {
    int64_t d = ingot_onnx_tensor_dims(q).d[3];
    if (d <= 0)
      return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "the head size of Q is unknown: give attribute scale");
    scale = 1.0 / sqrt((double)d);
  }
  if (!(scale > 0))
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute scale is %g, expected > 0", scale);
  ingot_tensor *sq, *s, *bias = NULL, *p = NULL, *y, *qk_out = NULL;
  TRY(ingot_onnx_add_scalar(n, g.dt, sqrt(scale), 0, &sq));
  TRY(ingot_onnx_add_elementwise(n, q, sq, INGOT_ELEMENTWISE_PROD, &q));
  TRY(ingot_onnx_add_elementwise(n, k, sq, INGOT_ELEMENTWISE_PROD, &k));
  TRY(matmul(n, q, k, INGOT_MATRIX_OP_TRANSPOSE, &s));
  if (mode == 0) qk_out = s;
  float softcap = ingot_onnx_attr_float(n, "softcap", 0.0f);
  if (softcap < 0)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute softcap is %g, expected >= 0", (double)softcap);
  if (softcap > 0) TRY(ingot_onnx_add_activation(n, s, INGOT_ACTIVATION_SCALED_TANH, softcap, 1.0f / softcap, &s));
  if (mode == 1) qk_out = s;
  TRY(attention_bias(n, &g, &bias));
  if (bias) TRY(ingot_onnx_add_elementwise(n, s, bias, INGOT_ELEMENTWISE_SUM, &s));
  if (mode == 2) qk_out = s;
  TRY(softmax_in(n, s, g.dt, &p));
  if (bias) { /* a row whose bias is all -inf attends nothing: 0, not NaN */
    ingot_tensor *m, *ninf, *masked, *zero;
    int32_t brank = ingot_onnx_tensor_dims(bias).nb_dims;
    if (brank < 1) return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "the attention bias has rank %d", (int)brank);
    TRY(ingot_onnx_add_reduce(n, bias, INGOT_REDUCE_MAX, 1u << (brank - 1), true, &m));
    TRY(ingot_onnx_add_scalar(n, g.dt, -INFINITY, 0, &ninf));
    TRY(ingot_onnx_add_elementwise(n, m, ninf, INGOT_ELEMENTWISE_EQUAL, &masked));
    TRY(ingot_onnx_add_scalar(n, g.dt, 0.0, 0, &zero));
    TRY(ingot_onnx_select(n, masked, zero, p, &p));
  }
  if (mode == 3) qk_out = p;
  TRY(matmul(n, p, v, INGOT_MATRIX_OP_NONE, &y));
  if (rank == 3) {
    static const int32_t perm[4] = {0, 2, 1, 3};
    ingot_dims merged = {3, {0, 0, -1}};
    TRY(ingot_onnx_transpose(n, y, perm, 4, &y));
    TRY(ingot_onnx_reshape(n, y, &merged, true, &y));
  }
  if (ingot_onnx_node_num_outputs(n) > 3) TRY(ingot_onnx_set_output(n, 3, qk_out));
  return ingot_onnx_set_output(n, 0, y);
}


/* ---- RotaryEmbedding ----------------------------------------------------------------------- */

/* x[..., start : start + size * stride : stride] along the last dim of a 4-D tensor. */
static ingot_status slice_last(ingot_onnx_node *n, ingot_tensor *x, int64_t start, int64_t size, int64_t stride,
                               ingot_tensor **out) {
  ingot_dims dims = ingot_onnx_tensor_dims(x);
  ingot_onnx_sv shape, lead, parts[2], size_sv;
  static const int64_t first3[3] = {0, 1, 2};
  const int64_t st[4] = {0, 0, 0, start}, sd[4] = {1, 1, 1, stride};
  TRY(ingot_onnx_sv_shape_of(n, x, &dims, &shape));
  TRY(ingot_onnx_sv_gather(n, &shape, first3, 3, &lead));
  parts[0] = lead, parts[1] = ingot_onnx_sv_scalar(size);
  TRY(ingot_onnx_sv_concat(n, parts, 2, &size_sv));
  ingot_onnx_sv start_sv = ingot_onnx_sv_host(4, st), stride_sv = ingot_onnx_sv_host(4, sd);
  return ingot_onnx_sv_slice_layer(n, x, &start_sv, &size_sv, &stride_sv, out);
}

/* cos or sin cache (input i) for the tokens: gathered by position_ids when given, as
 * [B, S, 1, rotary_dim / 2]. */
static ingot_status rope_cache(ingot_onnx_node *n, int32_t i, int64_t half, ingot_tensor **out) {
  ingot_tensor *c;
  TRY(ingot_onnx_input_tensor(n, i, &c));
  ingot_dims cd = ingot_onnx_tensor_dims(c);
  if (cd.nb_dims >= 1 && cd.d[cd.nb_dims - 1] >= 0 && cd.d[cd.nb_dims - 1] != half)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input %d (%s) has a last dim of %lld, expected rotary dim / 2 = "
                           "%lld", (int)i, i == 1 ? "cos_cache" : "sin_cache", (long long)cd.d[cd.nb_dims - 1],
                           (long long)half);
  if (ingot_onnx_input(n, 3)) {
    ingot_tensor *pos;
    TRY(ingot_onnx_input_tensor(n, 3, &pos));
    ingot_layer *layer = NULL;
    ingot_status st = ingot_network_add_gather(ingot_onnx_node_network(n), c, pos, 0, &layer);
    TRY(check(n, st, layer, "adding a gather", &c));
  }
  ingot_dims d4 = {4, {0, 0, 1, half}};
  return ingot_onnx_reshape(n, c, &d4, true, out);
}

static ingot_status import_rotary_embedding(ingot_onnx_node *n) {
  int32_t rank;
  TRY(ingot_onnx_input_rank(n, 0, &rank));
  if (rank != 3 && rank != 4)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "input 0 (X) has rank %d, expected 3 or 4", (int)rank);
  ingot_tensor *x, *c, *s, *x1, *x2, *a, *b, *real, *imag, *rot;
  TRY(ingot_onnx_input_tensor(n, 0, &x));
  static const int32_t perm[4] = {0, 2, 1, 3};
  int64_t heads = ingot_onnx_attr_int(n, "num_heads", 0);
  if (rank == 4) {
    TRY(ingot_onnx_transpose(n, x, perm, 4, &x)); /* [B, S, H, D] */
  } else {
    if (heads <= 0)
      return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "a 3-D input needs attribute num_heads > 0 (found %lld)",
                             (long long)heads);
    ingot_dims d4 = {4, {0, 0, heads, -1}};
    TRY(ingot_onnx_reshape(n, x, &d4, true, &x));
  }
  int64_t head = ingot_onnx_tensor_dims(x).d[3];
  if (head <= 0) return ingot_onnx_fail(n, INGOT_UNSUPPORTED, "the head size of input 0 (X) is unknown");
  int64_t rd = ingot_onnx_attr_int(n, "rotary_embedding_dim", 0), inter = ingot_onnx_attr_int(n, "interleaved", 0);
  if (rd == 0) rd = head;
  if (rd < 0 || rd > head || rd % 2)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute rotary_embedding_dim is %lld, expected an even "
                           "value up to the head size %lld", (long long)rd, (long long)head);
  if (inter != 0 && inter != 1)
    return ingot_onnx_fail(n, INGOT_INVALID_ARGUMENT, "attribute interleaved is %lld, expected 0 or 1", (long long)inter);
  int64_t half = rd / 2;
  TRY(rope_cache(n, 1, half, &c));
  TRY(rope_cache(n, 2, half, &s));
  if (inter) {
    TRY(slice_last(n, x, 0, half, 2, &x1));
    TRY(slice_last(n, x, 1, half, 2, &x2));
  } else {
    TRY(slice_last(n, x, 0, half, 1, &x1));
    TRY(slice_last(n, x, half, half, 1, &x2));
  }
  TRY(ingot_onnx_add_elementwise(n, c, x1, INGOT_ELEMENTWISE_PROD, &a));
  TRY(ingot_onnx_add_elementwise(n, s, x2, INGOT_ELEMENTWISE_PROD, &b));
  TRY(ingot_onnx_add_elementwise(n, a, b, INGOT_ELEMENTWISE_SUB, &real));
  TRY(ingot_onnx_add_elementwise(n, s, x1, INGOT_ELEMENTWISE_PROD, &a));
  TRY(ingot_onnx_add_elementwise(n, c, x2, INGOT_ELEMENTWISE_PROD, &b));
  TRY(ingot_onnx_add_elementwise(n, a, b, INGOT_ELEMENTWISE_SUM, &imag));
  if (inter) { /* pairs (real, imag) side by side: [..., half, 2] -> [..., rd] */
    ingot_dims d5 = {5, {0, 0, 0, half, 1}}, d4 = {4, {0, 0, 0, rd}};
    TRY(ingot_onnx_reshape(n, real, &d5, true, &real));
    TRY(ingot_onnx_reshape(n, imag, &d5, true, &imag));
    TRY(concat2(n, real, imag, 4, &rot));
    TRY(ingot_onnx_reshape(n, rot, &d4, true, &rot));
  } else {
    TRY(concat2(n, real, imag, 3, &rot));
  }
  if (rd < head) {
    ingot_tensor *rest;
    TRY(slice_last(n, x, rd, head - rd, 1, &rest));
    TRY(concat2(n, rot, rest, 3, &rot));
  }
  if (rank == 4) {
    TRY(ingot_onnx_transpose(n, rot, perm, 4, &rot));
  } else {
    ingot_dims d3 = {3, {0, 0, -1}};
    TRY(ingot_onnx_reshape(n, rot, &d3, true, &rot));
  }
  return ingot_onnx_set_output(n, 0, rot);
}

const ingot_onnx_importer ingot_onnx_attention_importers[] = {
    {"Attention", 23, import_attention},
    {"RotaryEmbedding", 23, import_rotary_embedding},
};
const int32_t ingot_onnx_attention_importer_count =
    (int32_t)(sizeof ingot_onnx_attention_importers / sizeof ingot_onnx_attention_importers[0]);
