/* The recurrent layer (TensorRT's IRNNv2Layer in ONNX's terms): argument checks, the
 * activation list completed with the cell's defaults, and the node with its 8 input slots
 * (optional ones -1, set later with ingot_layer_set_input) and 2 or 3 outputs. Dims are
 * checked by shape inference at build time (infer_rnn.c). */
#include <math.h>
#include <string.h>

#include "network/network_internal.h"
#include "ops/rnn_info.h"

static ingot_status check_float_tensor(const ingot_network *network, const ingot_tensor *t, const char *fn,
                                       const char *arg) {
  INGOT_TRY(ingot_net_check_tensor(network, t, fn, arg));
  ingot_dtype dt = ingot_net_tensor_dtype(network, t);
  if (dt == INGOT_FLOAT32 || dt == INGOT_FLOAT16 || dt == INGOT_BFLOAT16) return INGOT_SUCCESS;
  return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: %s '%s' is %s, expected float32, float16 or bfloat16",
                        fn, arg, ingot_net_tensor_name(network, t->index), ingot_dtype_name(dt));
}

/* The params from the desc: enums in range, the activation list completed. */
static ingot_status make_params(const ingot_network *network, const ingot_rnn_desc *desc, const char *fn,
                                ingot_rnn_params *p) {
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)desc->cell, INGOT_RNN_CELL_COUNT, fn, "desc->cell"));
  INGOT_TRY(ingot_net_check_enum(network, (int32_t)desc->direction, INGOT_RNN_DIRECTION_COUNT, fn, "desc->direction"));
  if (desc->hidden_size < 1 || desc->hidden_size > (1 << 24))
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: hidden_size is %lld, expected 1 to 2^24", fn,
                          (long long)desc->hidden_size);
  if (desc->layout != 0 && desc->layout != 1)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: layout is %d, expected 0 or 1", fn, desc->layout);
  if (desc->has_clip && !(desc->clip >= 0.0f))
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: clip is %g, expected a value >= 0", fn,
                          (double)desc->clip);
  if (desc->input_forget && desc->cell != INGOT_RNN_CELL_LSTM)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: input_forget is set, but only LSTM cells have it", fn);
  if (desc->linear_before_reset && desc->cell != INGOT_RNN_CELL_GRU)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                          "%s: linear_before_reset is set, but only GRU cells have it", fn);
  const int32_t per_dir = ingot_rnn_activations_per_direction(desc->cell);
  const int32_t total = per_dir * ingot_rnn_directions(desc->direction);
  if (desc->nb_activations != 0 && desc->nb_activations != per_dir && desc->nb_activations != total)
    return ingot_net_fail(network, INGOT_INVALID_ARGUMENT,
                          "%s: %d activations given, expected 0 (the defaults), %d (per direction) or %d (all)",
                          fn, desc->nb_activations, per_dir, total);
  memset(p, 0, sizeof *p);
  p->cell = (int32_t)desc->cell;
  p->direction = (int32_t)desc->direction;
  p->hidden_size = desc->hidden_size;
  p->layout = desc->layout;
  p->nb_activations = total;
  p->has_clip = desc->has_clip ? 1 : 0;
  p->clip = desc->has_clip ? desc->clip : 0.0f;
  p->input_forget = desc->input_forget ? 1 : 0;
  p->linear_before_reset = desc->linear_before_reset ? 1 : 0;
  static const int32_t defaults[3] = {INGOT_RNN_ACTIVATION_SIGMOID, INGOT_RNN_ACTIVATION_TANH,
                                      INGOT_RNN_ACTIVATION_TANH};
  for (int32_t i = 0; i < total; i++) {
    if (desc->nb_activations == 0) {
      p->activations[i] = desc->cell == INGOT_RNN_CELL_RNN ? INGOT_RNN_ACTIVATION_TANH : defaults[i % per_dir];
      continue;
    }
    int32_t j = i % desc->nb_activations; /* one direction's list serves both */
    INGOT_TRY(ingot_net_check_enum(network, (int32_t)desc->activations[j], INGOT_RNN_ACTIVATION_COUNT, fn,
                                   "desc->activations[i]"));
    if (!isfinite(desc->activation_alpha[j]) || !isfinite(desc->activation_beta[j]))
      return ingot_net_fail(network, INGOT_INVALID_ARGUMENT, "%s: activation %d has alpha %g and beta %g, expected finite values",
                            fn, j, (double)desc->activation_alpha[j], (double)desc->activation_beta[j]);
    p->activations[i] = (int32_t)desc->activations[j];
    p->alpha[i] = desc->activation_alpha[j];
    p->beta[i] = desc->activation_beta[j];
  }
  return INGOT_SUCCESS;
}

ingot_status ingot_network_add_rnn(ingot_network *network, ingot_tensor *x, ingot_tensor *w, ingot_tensor *r,
                                   ingot_tensor *b, const ingot_rnn_desc *desc, ingot_layer **layer_out) {
  static const char fn[] = "ingot_network_add_rnn";
  INGOT_NET_BEGIN(network, layer_out, fn);
  INGOT_NET_CHECK_NULL(network, desc, fn);
  INGOT_TRY(check_float_tensor(network, x, fn, "x"));
  INGOT_TRY(check_float_tensor(network, w, fn, "w"));
  INGOT_TRY(check_float_tensor(network, r, fn, "r"));
  if (b) INGOT_TRY(check_float_tensor(network, b, fn, "b"));
  ingot_op_params params;
  memset(&params, 0, sizeof params);
  INGOT_TRY(make_params(network, desc, fn, &params.rnn));
  int32_t inputs[INGOT_RNN_INPUT_COUNT];
  for (int32_t i = 0; i < INGOT_RNN_INPUT_COUNT; i++) inputs[i] = -1;
  inputs[INGOT_RNN_INPUT_X] = x->index;
  inputs[INGOT_RNN_INPUT_W] = w->index;
  inputs[INGOT_RNN_INPUT_R] = r->index;
  if (b) inputs[INGOT_RNN_INPUT_B] = b->index;
  ingot_dtype dt = ingot_net_tensor_dtype(network, x);
  ingot_dtype outs[3] = {dt, dt, dt};
  int32_t nb_outputs = desc->cell == INGOT_RNN_CELL_LSTM ? 3 : 2;
  return ingot_net_add_layer(network, INGOT_OP_RNN, fn, &params, inputs, INGOT_RNN_INPUT_COUNT, outs, nb_outputs,
                             layer_out);
}
