/* Counts that follow from a recurrent layer's params, shared by its validation, shape
 * inference, the network API and the kernels. */
#ifndef INGOT_OPS_RNN_INFO_H
#define INGOT_OPS_RNN_INFO_H

#include "ops/params.h"

/* Gates per direction: RNN 1, GRU 3 (z, r, h), LSTM 4 (i, o, f, c). */
static inline int32_t ingot_rnn_gates(int32_t cell) {
  return cell == INGOT_RNN_CELL_LSTM ? 4 : cell == INGOT_RNN_CELL_GRU ? 3 : 1;
}
/* Activation functions per direction: RNN f; GRU f, g; LSTM f, g, h. */
static inline int32_t ingot_rnn_activations_per_direction(int32_t cell) {
  return cell == INGOT_RNN_CELL_LSTM ? 3 : cell == INGOT_RNN_CELL_GRU ? 2 : 1;
}
static inline int32_t ingot_rnn_directions(int32_t direction) { return direction == INGOT_RNN_BIDIRECTIONAL ? 2 : 1; }
/* Whether an activation reads alpha / beta (the others ignore them). */
static inline bool ingot_rnn_activation_takes_alpha(int32_t a) {
  return a == INGOT_RNN_ACTIVATION_AFFINE || a == INGOT_RNN_ACTIVATION_LEAKY_RELU ||
         a == INGOT_RNN_ACTIVATION_THRESHOLDED_RELU || a == INGOT_RNN_ACTIVATION_SCALED_TANH ||
         a == INGOT_RNN_ACTIVATION_HARD_SIGMOID || a == INGOT_RNN_ACTIVATION_ELU;
}
static inline bool ingot_rnn_activation_takes_beta(int32_t a) {
  return a == INGOT_RNN_ACTIVATION_AFFINE || a == INGOT_RNN_ACTIVATION_SCALED_TANH ||
         a == INGOT_RNN_ACTIVATION_HARD_SIGMOID;
}

#endif
