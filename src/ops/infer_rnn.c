/* Validation and shape inference of the recurrent layer (RNN, GRU, LSTM; ONNX's forms).
 * Every input's dims are checked against X's and the hidden size, so the kernels can trust
 * them; the values of the sequence lengths are checked by the kernels (they are data). */
#include <math.h>
#include <stdio.h>

#include "core/dims.h"
#include "core/error.h"
#include "ops/graph.h"
#include "ops/infer_common.h"
#include "ops/rnn_info.h"

static const char *const input_roles[INGOT_RNN_INPUT_COUNT] = {
    "X", "W", "R", "B", "sequence lengths", "initial hidden state", "initial cell state", "peepholes"};

ingot_status ingot_rnn_validate_params(const ingot_node *node) {
  const ingot_rnn_params *p = &node->params.rnn;
  if (p->cell < 0 || p->cell >= INGOT_RNN_CELL_COUNT)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "cell type %d out of range [0, %d)", p->cell,
                           INGOT_RNN_CELL_COUNT);
  if (p->direction < 0 || p->direction >= INGOT_RNN_DIRECTION_COUNT)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "direction %d out of range [0, %d)", p->direction,
                           INGOT_RNN_DIRECTION_COUNT);
  if (p->hidden_size < 1 || p->hidden_size > (1 << 24))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "hidden_size %lld out of range [1, 2^24]",
                           (long long)p->hidden_size);
  if (p->layout != 0 && p->layout != 1)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "layout %d, expected 0 or 1", p->layout);
  int32_t want = ingot_rnn_activations_per_direction(p->cell) * ingot_rnn_directions(p->direction);
  if (p->nb_activations != want)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "%d activations, expected %d", p->nb_activations, want);
  for (int32_t i = 0; i < p->nb_activations; i++) {
    if (p->activations[i] < 0 || p->activations[i] >= INGOT_RNN_ACTIVATION_COUNT)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "activation %d is %d, out of range [0, %d)", i,
                             p->activations[i], INGOT_RNN_ACTIVATION_COUNT);
    if (!isfinite(p->alpha[i]) || !isfinite(p->beta[i]))
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "activation %d has alpha %g, beta %g: expected finite values",
                             i, (double)p->alpha[i], (double)p->beta[i]);
  }
  if ((p->has_clip & ~1) || (p->input_forget & ~1) || (p->linear_before_reset & ~1))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "has_clip, input_forget and linear_before_reset must be 0 or 1");
  if (p->has_clip && !(p->clip >= 0.0f))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "clip %g, expected a value >= 0", (double)p->clip);
  if (p->input_forget && p->cell != INGOT_RNN_CELL_LSTM)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input_forget is an LSTM option");
  if (p->linear_before_reset && p->cell != INGOT_RNN_CELL_GRU)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "linear_before_reset is a GRU option");
  if (node->nb_inputs != INGOT_RNN_INPUT_COUNT)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "has %d inputs, expected %d (absent ones -1)", node->nb_inputs,
                           INGOT_RNN_INPUT_COUNT);
  for (int32_t i = 0; i <= INGOT_RNN_INPUT_R; i++)
    if (node->inputs[i] < 0)
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input %d (%s) is required", i, input_roles[i]);
  if (p->cell != INGOT_RNN_CELL_LSTM &&
      (node->inputs[INGOT_RNN_INPUT_INITIAL_CELL] >= 0 || node->inputs[INGOT_RNN_INPUT_PEEPHOLES] >= 0))
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "initial cell state and peepholes are LSTM inputs");
  return INGOT_SUCCESS;
}

/* dims == want, where -1 on either side matches anything (dynamic dims at network time). */
static ingot_status expect_dims(const ingot_node *node, int32_t input, const ingot_value_info *v, const ingot_dims *want) {
  bool ok = v->dims.nb_dims == want->nb_dims;
  for (int32_t i = 0; ok && i < want->nb_dims; i++)
    ok = v->dims.d[i] < 0 || want->d[i] < 0 || v->dims.d[i] == want->d[i];
  if (ok) return INGOT_SUCCESS;
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE];
  return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input %d (%s) has dims %s, expected %s", input,
                         input_roles[input], ingot_dims_format(&v->dims, a, sizeof a),
                         ingot_dims_format(want, b, sizeof b));
}

static ingot_dims dims3(int64_t a, int64_t b, int64_t c) {
  ingot_dims d = {3, {a, b, c}};
  return d;
}

ingot_status ingot_infer_rnn(const ingot_node *node, const ingot_value_info *inputs, ingot_value_info *outputs) {
  INGOT_TRY(ingot_rnn_validate_params(node));
  const ingot_rnn_params *p = &node->params.rnn;
  const int64_t H = p->hidden_size, G = ingot_rnn_gates(p->cell), D = ingot_rnn_directions(p->direction);
  const ingot_value_info *x = &inputs[INGOT_RNN_INPUT_X];
  char buf[INGOT_DIMS_STR_SIZE];
  if (x->dims.nb_dims != 3)
    return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input 0 (X) has dims %s, expected rank 3 (%s)",
                           ingot_dims_format(&x->dims, buf, sizeof buf),
                           p->layout ? "[batch, seq, input]" : "[seq, batch, input]");
  INGOT_TRY(ingot_infer_expect_float(node, "input 0 (X)", x->dtype));
  const int64_t seq = x->dims.d[p->layout ? 1 : 0], batch = x->dims.d[p->layout ? 0 : 1], in = x->dims.d[2];
  ingot_dims want[INGOT_RNN_INPUT_COUNT];
  want[INGOT_RNN_INPUT_W] = dims3(D, G * H, in);
  want[INGOT_RNN_INPUT_R] = dims3(D, G * H, H);
  want[INGOT_RNN_INPUT_B] = (ingot_dims){2, {D, 2 * G * H}};
  want[INGOT_RNN_INPUT_SEQUENCE_LENGTHS] = (ingot_dims){1, {batch}};
  want[INGOT_RNN_INPUT_INITIAL_HIDDEN] = p->layout ? dims3(batch, D, H) : dims3(D, batch, H);
  want[INGOT_RNN_INPUT_INITIAL_CELL] = want[INGOT_RNN_INPUT_INITIAL_HIDDEN];
  want[INGOT_RNN_INPUT_PEEPHOLES] = (ingot_dims){2, {D, 3 * H}};
  for (int32_t i = 1; i < INGOT_RNN_INPUT_COUNT; i++) {
    const ingot_value_info *v = &inputs[i];
    if (v->dims.nb_dims < 0) continue; /* absent */
    INGOT_TRY(expect_dims(node, i, v, &want[i]));
    if (i == INGOT_RNN_INPUT_SEQUENCE_LENGTHS) {
      if (v->dtype != INGOT_INT32)
        return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input 4 (sequence lengths) is %s, expected int32",
                               ingot_dtype_name(v->dtype));
    } else if (v->dtype != x->dtype) {
      return ingot_node_fail(node, INGOT_INVALID_ARGUMENT, "input %d (%s) is %s, expected X's dtype %s", i,
                             input_roles[i], ingot_dtype_name(v->dtype), ingot_dtype_name(x->dtype));
    }
  }
  ingot_dims y = p->layout ? (ingot_dims){4, {batch, seq, D, H}} : (ingot_dims){4, {seq, D, batch, H}};
  for (int32_t k = 0; k < node->nb_outputs; k++) {
    outputs[k].dtype = x->dtype;
    outputs[k].dims = k == 0 ? y : want[INGOT_RNN_INPUT_INITIAL_HIDDEN];
    outputs[k].data = NULL;
  }
  return INGOT_SUCCESS;
}
