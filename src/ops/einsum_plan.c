/* Einsum equation parsing (see einsum_plan.h). Letters are numbered in ASCII order
 * (A-Z, then a-z), which is the order numpy gives an implicit output. */
#include "ops/einsum_plan.h"

#include <stdio.h>
#include <string.h>

#include "core/dims.h"
#include "core/error.h"

#define NB_LETTERS 52
#define ELLIPSIS (-1)

typedef struct term {
  int32_t n;                       /* tokens */
  int32_t tok[INGOT_MAX_DIMS + 1]; /* letter code, or ELLIPSIS */
  int32_t has_ellipsis;
} term;

static int32_t letter_code(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return 26 + (c - 'a');
  return -1;
}

static char code_letter(int32_t code) { return (char)(code < 26 ? 'A' + code : 'a' + (code - 26)); }

/* Parses eq[begin, end) as one term ("bij", "...ij", "i...j"; spaces ignored). */
static ingot_status parse_term(const ingot_node *node, const char *eq, size_t begin, size_t end, const char *what,
                               term *t) {
  memset(t, 0, sizeof *t);
  for (size_t i = begin; i < end; i++) {
    char c = eq[i];
    if (c == ' ') continue;
    if (c == '.') {
      if (!(i + 2 < end && eq[i + 1] == '.' && eq[i + 2] == '.'))
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                               "einsum equation '%s': '.' at position %zu is not part of an ellipsis '...'", eq, i);
      if (t->has_ellipsis)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "einsum equation '%s': %s has more than one '...'", eq,
                               what);
      t->has_ellipsis = 1;
      i += 2;
    } else if (letter_code(c) < 0) {
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                             "einsum equation '%s': unexpected character '%c' at position %zu; expected letters a-z, "
                             "A-Z, '...', ',' or '->'",
                             eq, c, i);
    }
    if (t->n == INGOT_MAX_DIMS + 1)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "einsum equation '%s': %s names more than %d dims", eq, what,
                             INGOT_MAX_DIMS);
    t->tok[t->n++] = c == '.' ? ELLIPSIS : letter_code(c);
  }
  return INGOT_SUCCESS;
}

/* Records that `label` has extent `dim` somewhere: extents must agree, except that 1
 * broadcasts against any other. */
static ingot_status merge_extent(const ingot_node *node, const char *eq, ingot_einsum_plan *plan, int32_t label,
                                 int64_t dim, const char *label_name) {
  int64_t *e = &plan->extent[label];
  if (*e < 0 || *e == 1)
    *e = dim;
  else if (dim != *e && dim != 1)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                           "einsum equation '%s': %s has extent %lld in one place and %lld in another", eq, label_name,
                           (long long)*e, (long long)dim);
  return INGOT_SUCCESS;
}

ingot_status ingot_einsum_plan_make(const ingot_node *node, const char *eq, int32_t nb_inputs, const ingot_dims *dims,
                                    ingot_einsum_plan *plan) {
  char buf[INGOT_DIMS_STR_SIZE];
  memset(plan, 0, sizeof *plan);
  plan->nb_inputs = nb_inputs;
  if (nb_inputs < 1 || nb_inputs > 2)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "einsum takes 1 or 2 inputs, found %d", nb_inputs);
  const size_t len = strlen(eq);
  const char *arrow = strstr(eq, "->");
  const size_t lhs_end = arrow ? (size_t)(arrow - eq) : len;
  if (arrow && strstr(arrow + 2, "->"))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "einsum equation '%s' has more than one '->'", eq);

  /* Input terms, split at commas. */
  term terms[2];
  size_t begin = 0;
  int32_t nb_terms = 0;
  for (size_t i = 0; i <= lhs_end; i++) {
    if (i < lhs_end && eq[i] != ',') continue;
    if (nb_terms == nb_inputs)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "einsum equation '%s' has more terms than the %d input(s)",
                             eq, nb_inputs);
    char what[32];
    snprintf(what, sizeof what, "term %d", nb_terms);
    INGOT_TRY(parse_term(node, eq, begin, i, what, &terms[nb_terms]));
    nb_terms++;
    begin = i + 1;
  }
  if (nb_terms != nb_inputs)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "einsum equation '%s' has %d term(s) for %d input(s)", eq,
                           nb_terms, nb_inputs);

  /* Ellipsis ranks: the dims a term's letters leave over; they broadcast right-aligned. */
  int32_t ell_rank[2] = {0, 0}, nb_ell = 0;
  for (int32_t i = 0; i < nb_inputs; i++) {
    int32_t letters = terms[i].n - terms[i].has_ellipsis, rank = dims[i].nb_dims;
    if (terms[i].has_ellipsis ? letters > rank : letters != rank)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                             "einsum equation '%s': term %d names %d dim(s)%s but input %d has dims %s (rank %d)", eq,
                             i, letters, terms[i].has_ellipsis ? " besides '...'" : "", i,
                             ingot_dims_format(&dims[i], buf, sizeof buf), rank);
    ell_rank[i] = terms[i].has_ellipsis ? rank - letters : 0;
    if (ell_rank[i] > nb_ell) nb_ell = ell_rank[i];
  }

  /* Labels: 0..nb_ell-1 the ellipsis dims, then the letters in order of appearance. */
  int32_t label_of[NB_LETTERS], count_of[NB_LETTERS];
  for (int32_t c = 0; c < NB_LETTERS; c++) label_of[c] = -1, count_of[c] = 0;
  for (int32_t l = 0; l < INGOT_EINSUM_MAX_LABELS; l++) plan->extent[l] = -1;
  plan->nb_labels = nb_ell;
  for (int32_t i = 0; i < nb_inputs; i++) {
    int32_t axis = 0;
    int64_t first_dim[NB_LETTERS]; /* a letter repeated in one term is a diagonal: equal dims */
    for (int32_t c = 0; c < NB_LETTERS; c++) first_dim[c] = -1;
    for (int32_t k = 0; k < terms[i].n; k++) {
      int32_t tok = terms[i].tok[k];
      if (tok == ELLIPSIS) {
        for (int32_t e = 0; e < ell_rank[i]; e++)
          INGOT_TRY(merge_extent(node, eq, plan, nb_ell - ell_rank[i] + e, dims[i].d[axis + e], "a '...' dim"));
        axis += ell_rank[i];
        continue;
      }
      char name[16];
      snprintf(name, sizeof name, "'%c'", code_letter(tok));
      int64_t dim = dims[i].d[axis++];
      if (first_dim[tok] >= 0 && first_dim[tok] != dim)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                               "einsum equation '%s': %s repeats in term %d over dims of %lld and %lld; a diagonal "
                               "needs equal dims",
                               eq, name, i, (long long)first_dim[tok], (long long)dim);
      first_dim[tok] = dim;
      count_of[tok]++;
      if (label_of[tok] < 0) {
        if (plan->nb_labels == INGOT_EINSUM_MAX_LABELS)
          return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "einsum equation '%s' has more than %d labels", eq,
                                 INGOT_EINSUM_MAX_LABELS);
        label_of[tok] = plan->nb_labels++;
      }
      INGOT_TRY(merge_extent(node, eq, plan, label_of[tok], dim, name));
    }
  }

  /* Strides: a label's axes add up (diagonals); a dim of 1 against a larger extent is 0. */
  for (int32_t i = 0; i < nb_inputs; i++) {
    int64_t strides[INGOT_MAX_DIMS];
    ingot_dims_strides(&dims[i], strides);
    int32_t axis = 0;
    for (int32_t k = 0; k < terms[i].n; k++) {
      int32_t tok = terms[i].tok[k];
      int32_t count = tok == ELLIPSIS ? ell_rank[i] : 1;
      for (int32_t e = 0; e < count; e++, axis++) {
        int32_t label = tok == ELLIPSIS ? nb_ell - ell_rank[i] + e : label_of[tok];
        if (dims[i].d[axis] == plan->extent[label]) plan->stride[i][label] += strides[axis];
      }
    }
  }

  /* The output: explicit after "->", or implicit ('...' dims, then the letters that appear
   * once, in ASCII order, as numpy). */
  bool in_out[INGOT_EINSUM_MAX_LABELS] = {false};
  if (arrow) {
    term out;
    INGOT_TRY(parse_term(node, eq, lhs_end + 2, len, "the output", &out));
    if (nb_ell > 0 && !out.has_ellipsis)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT,
                             "einsum equation '%s': the inputs' '...' cover %d dim(s) but the output has no '...'", eq,
                             nb_ell);
    for (int32_t k = 0; k < out.n; k++) {
      int32_t tok = out.tok[k];
      int32_t first = tok == ELLIPSIS ? 0 : label_of[tok], count = tok == ELLIPSIS ? nb_ell : 1;
      if (tok != ELLIPSIS && first < 0)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "einsum equation '%s': output letter '%c' is in no input",
                               eq, code_letter(tok));
      for (int32_t e = 0; e < count; e++) {
        int32_t label = first + e;
        if (in_out[label])
          return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "einsum equation '%s': output letter '%c' repeats", eq,
                                 code_letter(tok));
        if (plan->nb_out == INGOT_MAX_DIMS)
          return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "einsum equation '%s': output rank exceeds %d", eq,
                                 INGOT_MAX_DIMS);
        in_out[label] = true;
        plan->out_label[plan->nb_out++] = label;
      }
    }
  } else {
    for (int32_t e = 0; e < nb_ell; e++) {
      in_out[e] = true;
      plan->out_label[plan->nb_out++] = e;
    }
    for (int32_t c = 0; c < NB_LETTERS; c++) {
      if (count_of[c] != 1) continue;
      if (plan->nb_out == INGOT_MAX_DIMS)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "einsum equation '%s': output rank exceeds %d", eq,
                               INGOT_MAX_DIMS);
      in_out[label_of[c]] = true;
      plan->out_label[plan->nb_out++] = label_of[c];
    }
  }
  for (int32_t l = 0; l < plan->nb_labels; l++)
    if (!in_out[l]) plan->sum_label[plan->nb_sum++] = l;
  plan->out_dims.nb_dims = plan->nb_out;
  for (int32_t k = 0; k < plan->nb_out; k++) plan->out_dims.d[k] = plan->extent[plan->out_label[k]];
  return INGOT_SUCCESS;
}
