/* What the recurrent-layer tactics share (rnn_reference.c, rnn_gemm.c): the problem read
 * from a node's tensors, with its index arithmetic for both layouts, and the cell math that
 * follows the matrix products (rnn_cell.c). The tactics differ in how they compute the
 * products X W^T and H R^T; everything after them is this one code. */
#ifndef INGOT_BACKEND_CPU_RNN_H
#define INGOT_BACKEND_CPU_RNN_H

#include "backend/cpu/cpu_kernels.h"
#include "ops/rnn_info.h"

typedef struct ingot_rnn_problem {
  const ingot_rnn_params *p;
  int64_t seq, batch, input, hidden; /* from X and the params */
  int32_t gates, dirs;
  const float *x, *w, *r, *b, *h0, *c0, *peep; /* b, h0, c0, peep NULL when absent */
  const int32_t *lengths;                     /* NULL: every sequence is seq long */
  float *y, *yh, *yc;                         /* yc NULL except for LSTM */
} ingot_rnn_problem;

/* Reads the problem from the kernel args and checks what only the data can say: every
 * sequence length within [0, seq] (a failure names the layer, the batch entry and its value).
 * weights_packed: the caller multiplies by W and R packed in its prepared block, so their
 * data is neither needed nor read (a plan may leave it out); w and r may then be NULL. */
ingot_status ingot_rnn_problem_init(const ingot_kernel_args *args, bool weights_packed, ingot_rnn_problem *pr);

static inline int64_t ingot_rnn_length(const ingot_rnn_problem *pr, int64_t b) {
  return pr->lengths ? pr->lengths[b] : pr->seq;
}
/* Offsets (in floats) of X row (t, b), Y row (t, d, b) and state row (d, b). */
static inline int64_t ingot_rnn_x_row(const ingot_rnn_problem *pr, int64_t t, int64_t b) {
  return (pr->p->layout ? b * pr->seq + t : t * pr->batch + b) * pr->input;
}
static inline int64_t ingot_rnn_y_row(const ingot_rnn_problem *pr, int64_t t, int32_t d, int64_t b) {
  return (pr->p->layout ? (b * pr->seq + t) * pr->dirs + d : (t * pr->dirs + d) * pr->batch + b) * pr->hidden;
}
static inline int64_t ingot_rnn_state_row(const ingot_rnn_problem *pr, int32_t d, int64_t b) {
  return (pr->p->layout ? b * pr->dirs + d : d * pr->batch + b) * pr->hidden;
}
/* The time index of step s of direction d for a sequence of `length` steps (s < length). */
static inline int64_t ingot_rnn_time(const ingot_rnn_problem *pr, int32_t d, int64_t s, int64_t length) {
  bool reverse = pr->p->direction == INGOT_RNN_REVERSE || d == 1;
  return reverse ? length - 1 - s : s;
}

/* Sets Y to zero and the states (h, c: dirs x batch x hidden, in the state-row order) to
 * the initial ones (zero when absent). */
void ingot_rnn_start(const ingot_rnn_problem *pr, float *h, float *c);
/* Copies the final states to Y_h (and Y_c). */
void ingot_rnn_finish(const ingot_rnn_problem *pr, const float *h, const float *c);

/* The cell math of one batch row of direction d after the products. `g` holds, per gate,
 * X W^T + Wb + H R^T + Rb (GRU: for the h gate only X Wh^T + Wbh); it is overwritten.
 * RNN and LSTM: ingot_rnn_cell_step updates h (and c) in place. GRU: ingot_rnn_gru_gates computes z
 * and r into g and writes into `rh` the vector the h gate's product takes (r * h, or h
 * with linear_before_reset); the caller computes hh = rh Rh^T + Rbh and
 * ingot_rnn_gru_update finishes. */
void ingot_rnn_cell_step(const ingot_rnn_problem *pr, int32_t d, float *g, float *h, float *c);
void ingot_rnn_gru_gates(const ingot_rnn_problem *pr, int32_t d, float *g, const float *h, float *rh);
void ingot_rnn_gru_update(const ingot_rnn_problem *pr, int32_t d, float *g, const float *hh, float *h);

#endif
