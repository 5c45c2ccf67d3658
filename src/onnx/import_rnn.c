/* The recurrent family: RNN, GRU and LSTM, every opset (1 to 22) through one importer
 * over ingot_network_add_rnn. The forms differ little: opset 14 added `layout`, opsets
 * before 7 had `output_sequence` (Y is then still an optional output: ignored), GRU-3 added
 * linear_before_reset and opset 22 bfloat16. Activation names and their alpha / beta
 * follow onnxruntime: the floats of activation_alpha / activation_beta are consumed in
 * order by the activations that take them, and a missing one is LeakyRelu's 0.01,
 * HardSigmoid's 0.2 / 0.5, Elu's 1, else 0. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "onnx/import_helpers.h"

typedef struct activation_name {
  const char *name;
  ingot_rnn_activation type;
  float alpha, beta; /* the defaults */
} activation_name;

static const activation_name activation_names[] = {
    {"Sigmoid", INGOT_RNN_ACTIVATION_SIGMOID, 0.0f, 0.0f},
    {"Tanh", INGOT_RNN_ACTIVATION_TANH, 0.0f, 0.0f},
    {"Relu", INGOT_RNN_ACTIVATION_RELU, 0.0f, 0.0f},
    {"Affine", INGOT_RNN_ACTIVATION_AFFINE, 0.0f, 0.0f},
    {"LeakyRelu", INGOT_RNN_ACTIVATION_LEAKY_RELU, 0.01f, 0.0f},
    {"ThresholdedRelu", INGOT_RNN_ACTIVATION_THRESHOLDED_RELU, 0.0f, 0.0f},
    {"ScaledTanh", INGOT_RNN_ACTIVATION_SCALED_TANH, 0.0f, 0.0f},
    {"HardSigmoid", INGOT_RNN_ACTIVATION_HARD_SIGMOID, 0.2f, 0.5f},
    {"Elu", INGOT_RNN_ACTIVATION_ELU, 1.0f, 0.0f},
    {"Softsign", INGOT_RNN_ACTIVATION_SOFTSIGN, 0.0f, 0.0f},
    {"Softplus", INGOT_RNN_ACTIVATION_SOFTPLUS, 0.0f, 0.0f},
};
#define NB_ACTIVATION_NAMES ((int32_t)(sizeof activation_names / sizeof activation_names[0]))

static bool takes_alpha(ingot_rnn_activation a) {
  return a == INGOT_RNN_ACTIVATION_AFFINE || a == INGOT_RNN_ACTIVATION_LEAKY_RELU ||
         a == INGOT_RNN_ACTIVATION_THRESHOLDED_RELU || a == INGOT_RNN_ACTIVATION_SCALED_TANH ||
         a == INGOT_RNN_ACTIVATION_HARD_SIGMOID || a == INGOT_RNN_ACTIVATION_ELU;
}
static bool takes_beta(ingot_rnn_activation a) {
  return a == INGOT_RNN_ACTIVATION_AFFINE || a == INGOT_RNN_ACTIVATION_SCALED_TANH ||
         a == INGOT_RNN_ACTIVATION_HARD_SIGMOID;
}

/* activations, activation_alpha, activation_beta into the desc (nb_activations 0 when the
 * attribute is absent: the cell's defaults). */
static ingot_status read_activations(ingot_onnx_node *node, int32_t per_dir, int32_t dirs, ingot_rnn_desc *desc) {
  int32_t count = -1, nb_alpha = -1, nb_beta = -1;
  char name[64];
  ingot_onnx_attr_strings(node, "activations", 0, name, sizeof name, &count);
  if (count < 0) return INGOT_SUCCESS;
  if (count != per_dir && count != per_dir * dirs)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'activations' has %d names, expected %d (%d per direction)",
                           (int)count, (int)(per_dir * dirs), (int)per_dir);
  float alpha[INGOT_RNN_MAX_ACTIVATIONS], beta[INGOT_RNN_MAX_ACTIVATIONS];
  ingot_onnx_attr_floats(node, "activation_alpha", alpha, INGOT_RNN_MAX_ACTIVATIONS, &nb_alpha);
  ingot_onnx_attr_floats(node, "activation_beta", beta, INGOT_RNN_MAX_ACTIVATIONS, &nb_beta);
  int32_t next_alpha = 0, next_beta = 0;
  desc->nb_activations = count;
  for (int32_t i = 0; i < count; i++) {
    ingot_onnx_attr_strings(node, "activations", i, name, sizeof name, NULL);
    const activation_name *found = NULL;
    for (int32_t k = 0; k < NB_ACTIVATION_NAMES && !found; k++)
      if (strcasecmp(name, activation_names[k].name) == 0) found = &activation_names[k];
    if (!found)
      return ingot_onnx_fail(node, INGOT_UNSUPPORTED,
                             "activation %d is '%s', expected one of Sigmoid, Tanh, Relu, Affine, LeakyRelu, "
                             "ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus", (int)i, name);
    desc->activations[i] = found->type;
    desc->activation_alpha[i] = found->alpha;
    desc->activation_beta[i] = found->beta;
    if (takes_alpha(found->type) && next_alpha < nb_alpha && next_alpha < INGOT_RNN_MAX_ACTIVATIONS)
      desc->activation_alpha[i] = alpha[next_alpha++];
    if (takes_beta(found->type) && next_beta < nb_beta && next_beta < INGOT_RNN_MAX_ACTIVATIONS)
      desc->activation_beta[i] = beta[next_beta++];
  }
  return INGOT_SUCCESS;
}

static ingot_status read_desc(ingot_onnx_node *node, ingot_rnn_cell cell, ingot_rnn_desc *desc) {
  memset(desc, 0, sizeof *desc);
  desc->cell = cell;
  const char *direction = ingot_onnx_attr_string(node, "direction", "forward");
  if (strcmp(direction, "forward") == 0) desc->direction = INGOT_RNN_FORWARD;
  else if (strcmp(direction, "reverse") == 0) desc->direction = INGOT_RNN_REVERSE;
  else if (strcmp(direction, "bidirectional") == 0) desc->direction = INGOT_RNN_BIDIRECTIONAL;
  else
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT,
                           "attribute 'direction' is '%s', expected forward, reverse or bidirectional", direction);
  const int32_t dirs = desc->direction == INGOT_RNN_BIDIRECTIONAL ? 2 : 1;
  const int32_t gates = cell == INGOT_RNN_CELL_LSTM ? 4 : cell == INGOT_RNN_CELL_GRU ? 3 : 1;
  /* hidden_size: the attribute, else R's last dim ([D, G*H, H]) */
  ingot_dims r = ingot_onnx_input_dims(node, 2);
  int64_t from_r = r.nb_dims == 3 ? r.d[2] : -1;
  desc->hidden_size = ingot_onnx_attr_int(node, "hidden_size", from_r);
  if (desc->hidden_size < 1)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT,
                           "attribute 'hidden_size' is %lld; expected a positive value (or R [%d, %d*H, H] of known dims)",
                           (long long)desc->hidden_size, (int)dirs, (int)gates);
  if (from_r >= 0 && from_r != desc->hidden_size)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'hidden_size' is %lld but R (input 2) is [%lld, %lld, %lld]",
                           (long long)desc->hidden_size, (long long)r.d[0], (long long)r.d[1], (long long)r.d[2]);
  int64_t layout = ingot_onnx_attr_int(node, "layout", 0);
  if (layout != 0 && layout != 1)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'layout' is %lld, expected 0 or 1", (long long)layout);
  if (layout != 0 && ingot_onnx_node_opset(node) < 14)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'layout' exists from opset 14 on");
  desc->layout = (int32_t)layout;
  if (ingot_onnx_has_attr(node, "clip")) {
    desc->has_clip = 1;
    desc->clip = ingot_onnx_attr_float(node, "clip", 0.0f);
    if (!(desc->clip >= 0.0f))
      return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "attribute 'clip' is %g, expected a value >= 0", (double)desc->clip);
  }
  int64_t input_forget = ingot_onnx_attr_int(node, "input_forget", 0);
  int64_t lbr = ingot_onnx_attr_int(node, "linear_before_reset", 0);
  if ((input_forget != 0 && input_forget != 1) || (lbr != 0 && lbr != 1))
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT,
                           "attributes 'input_forget' (%lld) and 'linear_before_reset' (%lld) must be 0 or 1",
                           (long long)input_forget, (long long)lbr);
  desc->input_forget = cell == INGOT_RNN_CELL_LSTM && input_forget;
  desc->linear_before_reset = cell == INGOT_RNN_CELL_GRU && lbr;
  int32_t per_dir = cell == INGOT_RNN_CELL_LSTM ? 3 : cell == INGOT_RNN_CELL_GRU ? 2 : 1;
  return read_activations(node, per_dir, dirs, desc);
}

/* Optional input i as a tensor, or NULL when absent; sequence lengths become int32. */
static ingot_status optional_input(ingot_onnx_node *node, int32_t i, ingot_tensor **out) {
  *out = NULL;
  if (!ingot_onnx_input(node, i)) return INGOT_SUCCESS;
  INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, i, out));
  if (i == INGOT_RNN_INPUT_SEQUENCE_LENGTHS && ingot_tensor_get_dtype(*out) == INGOT_INT64)
    INGOT_ONNX_TRY(ingot_onnx_add_cast(node, *out, INGOT_INT32, out));
  return INGOT_SUCCESS;
}

static ingot_status import_recurrent(ingot_onnx_node *node, ingot_rnn_cell cell) {
  ingot_rnn_desc desc;
  INGOT_ONNX_TRY(read_desc(node, cell, &desc));
  ingot_tensor *in[INGOT_RNN_INPUT_COUNT] = {0};
  for (int32_t i = 0; i < 3; i++) INGOT_ONNX_TRY(ingot_onnx_input_tensor(node, i, &in[i]));
  const int32_t nb_inputs = cell == INGOT_RNN_CELL_LSTM ? INGOT_RNN_INPUT_COUNT : INGOT_RNN_INPUT_INITIAL_CELL;
  for (int32_t i = 3; i < ingot_onnx_node_num_inputs(node); i++) {
    if (i >= nb_inputs) {
      if (ingot_onnx_input(node, i))
        return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "has input %d, but %s takes %d inputs", (int)i,
                               ingot_onnx_node_op_type(node), (int)nb_inputs);
      continue;
    }
    INGOT_ONNX_TRY(optional_input(node, i, &in[i]));
  }
  ingot_network *network = ingot_onnx_node_network(node);
  ingot_layer *layer = NULL;
  INGOT_ONNX_TRY(ingot_onnx_check(
      node, ingot_network_add_rnn(network, in[0], in[1], in[2], in[3], &desc, &layer), "adding the recurrent layer"));
  ingot_onnx_name_layer(node, layer);
  for (int32_t i = 4; i < INGOT_RNN_INPUT_COUNT; i++)
    if (in[i]) INGOT_ONNX_TRY(ingot_onnx_check(node, ingot_layer_set_input(layer, i, in[i]), "setting an optional input"));
  const int32_t nb_outputs = cell == INGOT_RNN_CELL_LSTM ? 3 : 2;
  if (ingot_onnx_node_num_outputs(node) > nb_outputs)
    return ingot_onnx_fail(node, INGOT_INVALID_ARGUMENT, "has %d outputs, %s gives at most %d",
                           (int)ingot_onnx_node_num_outputs(node), ingot_onnx_node_op_type(node), (int)nb_outputs);
  for (int32_t k = 0; k < ingot_onnx_node_num_outputs(node); k++)
    INGOT_ONNX_TRY(ingot_onnx_set_output(node, k, ingot_layer_get_output(layer, k)));
  return INGOT_SUCCESS;
}

static ingot_status import_rnn(ingot_onnx_node *node) { return import_recurrent(node, INGOT_RNN_CELL_RNN); }
static ingot_status import_gru(ingot_onnx_node *node) { return import_recurrent(node, INGOT_RNN_CELL_GRU); }
static ingot_status import_lstm(ingot_onnx_node *node) { return import_recurrent(node, INGOT_RNN_CELL_LSTM); }

const ingot_onnx_importer ingot_onnx_rnn_importers[] = {
    {"RNN", 1, import_rnn},
    {"GRU", 1, import_gru},
    {"LSTM", 1, import_lstm},
};
const int32_t ingot_onnx_rnn_importer_count =
    (int32_t)(sizeof ingot_onnx_rnn_importers / sizeof ingot_onnx_rnn_importers[0]);
