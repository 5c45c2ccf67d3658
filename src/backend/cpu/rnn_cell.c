/* The recurrent cells' math after the matrix products (ONNX's equations), shared by the
 * reference and the GEMM tactics, and the problem setup both read from a node. */
#include <math.h>
#include <string.h>

#include "backend/cpu/rnn.h"
#include "core/dims.h"
#include "core/error.h"

ingot_status ingot_rnn_problem_init(const ingot_kernel_args *args, bool weights_packed, ingot_rnn_problem *pr) {
  const ingot_rnn_params *p = &args->params->rnn;
  const ingot_tensor_view *in = args->inputs;
  memset(pr, 0, sizeof *pr);
  pr->p = p;
  if (args->nb_inputs != INGOT_RNN_INPUT_COUNT || args->nb_outputs != (p->cell == INGOT_RNN_CELL_LSTM ? 3 : 2))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "has %d inputs and %d outputs, expected %d and %d",
                           args->nb_inputs, args->nb_outputs, INGOT_RNN_INPUT_COUNT,
                           p->cell == INGOT_RNN_CELL_LSTM ? 3 : 2);
  for (int32_t i = 0; i < INGOT_RNN_INPUT_COUNT; i++)
    if (in[i].data && in[i].dtype != (i == INGOT_RNN_INPUT_SEQUENCE_LENGTHS ? INGOT_INT32 : INGOT_FLOAT32))
      return ingot_node_fail(args->node, INGOT_UNSUPPORTED, "the CPU recurrent kernels take float32 (int32 lengths); input %d is %s",
                             i, ingot_dtype_name(in[i].dtype));
  const ingot_dims *xd = &in[INGOT_RNN_INPUT_X].dims;
  if (xd->nb_dims != 3 || !in[0].data || (!weights_packed && (!in[1].data || !in[2].data)))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "X, W and R must be present, X of rank 3");
  pr->seq = xd->d[p->layout ? 1 : 0];
  pr->batch = xd->d[p->layout ? 0 : 1];
  pr->input = xd->d[2];
  pr->hidden = p->hidden_size;
  pr->gates = ingot_rnn_gates(p->cell);
  pr->dirs = ingot_rnn_directions(p->direction);
  pr->x = in[INGOT_RNN_INPUT_X].data;
  pr->w = in[INGOT_RNN_INPUT_W].data;
  pr->r = in[INGOT_RNN_INPUT_R].data;
  pr->b = in[INGOT_RNN_INPUT_B].data;
  pr->lengths = in[INGOT_RNN_INPUT_SEQUENCE_LENGTHS].data;
  pr->h0 = in[INGOT_RNN_INPUT_INITIAL_HIDDEN].data;
  pr->c0 = in[INGOT_RNN_INPUT_INITIAL_CELL].data;
  pr->peep = in[INGOT_RNN_INPUT_PEEPHOLES].data;
  pr->y = args->outputs[0].data;
  pr->yh = args->outputs[1].data;
  pr->yc = p->cell == INGOT_RNN_CELL_LSTM ? args->outputs[2].data : NULL;
  if (ingot_dims_volume(&args->outputs[0].dims) != pr->seq * pr->dirs * pr->batch * pr->hidden)
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "output Y has %lld values, expected %lld",
                           (long long)ingot_dims_volume(&args->outputs[0].dims),
                           (long long)(pr->seq * pr->dirs * pr->batch * pr->hidden));
  for (int64_t b = 0; pr->lengths && b < pr->batch; b++)
    if (pr->lengths[b] < 0 || pr->lengths[b] > pr->seq)
      return ingot_node_fail(args->node, INGOT_RUNTIME_ERROR,
                             "sequence length %lld of batch entry %lld is %d, expected 0 to %lld (X's sequence length)",
                             (long long)b, (long long)b, (int)pr->lengths[b], (long long)pr->seq);
  return INGOT_SUCCESS;
}

void ingot_rnn_start(const ingot_rnn_problem *pr, float *h, float *c) {
  memset(pr->y, 0, sizeof(float) * (size_t)(pr->seq * pr->dirs * pr->batch * pr->hidden));
  size_t state = sizeof(float) * (size_t)(pr->dirs * pr->batch * pr->hidden);
  if (pr->h0) memcpy(h, pr->h0, state);
  else memset(h, 0, state);
  if (!c) return;
  if (pr->c0) memcpy(c, pr->c0, state);
  else memset(c, 0, state);
}

void ingot_rnn_finish(const ingot_rnn_problem *pr, const float *h, const float *c) {
  size_t state = sizeof(float) * (size_t)(pr->dirs * pr->batch * pr->hidden);
  memcpy(pr->yh, h, state);
  if (pr->yc && c) memcpy(pr->yc, c, state);
}

static float activate(int32_t type, float alpha, float beta, float x) {
  switch (type) {
    case INGOT_RNN_ACTIVATION_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case INGOT_RNN_ACTIVATION_TANH: return tanhf(x);
    case INGOT_RNN_ACTIVATION_RELU: return x > 0.0f ? x : 0.0f;
    case INGOT_RNN_ACTIVATION_AFFINE: return alpha * x + beta;
    case INGOT_RNN_ACTIVATION_LEAKY_RELU: return x >= 0.0f ? x : alpha * x;
    case INGOT_RNN_ACTIVATION_THRESHOLDED_RELU: return x > alpha ? x : 0.0f;
    case INGOT_RNN_ACTIVATION_SCALED_TANH: return alpha * tanhf(beta * x);
    case INGOT_RNN_ACTIVATION_HARD_SIGMOID: return fminf(fmaxf(alpha * x + beta, 0.0f), 1.0f);
    case INGOT_RNN_ACTIVATION_ELU: return x >= 0.0f ? x : alpha * (expf(x) - 1.0f);
    case INGOT_RNN_ACTIVATION_SOFTSIGN: return x / (1.0f + fabsf(x));
    case INGOT_RNN_ACTIVATION_SOFTPLUS: return x > 20.0f ? x : log1pf(expf(x)); /* exp overflows past ~88 */
    default: return x;
  }
}

/* Activation k of direction d (k: 0 = f, 1 = g, 2 = h) on the clipped pre-activation. */
static inline float act(const ingot_rnn_problem *pr, int32_t d, int32_t k, float x) {
  const ingot_rnn_params *p = pr->p;
  int32_t i = d * ingot_rnn_activations_per_direction(p->cell) + k;
  if (p->has_clip) x = fminf(fmaxf(x, -p->clip), p->clip);
  return activate(p->activations[i], p->alpha[i], p->beta[i], x);
}

void ingot_rnn_cell_step(const ingot_rnn_problem *pr, int32_t d, float *g, float *h, float *c) {
  const int64_t H = pr->hidden;
  if (pr->p->cell == INGOT_RNN_CELL_RNN) {
    for (int64_t j = 0; j < H; j++) h[j] = act(pr, d, 0, g[j]);
    return;
  }
  /* LSTM, gates i, o, f, c; peepholes i, o, f */
  const float *pi = pr->peep ? pr->peep + d * 3 * H : NULL, *po = pi ? pi + H : NULL, *pf = pi ? pi + 2 * H : NULL;
  float *gi = g, *go = g + H, *gf = g + 2 * H, *gc = g + 3 * H;
  for (int64_t j = 0; j < H; j++) {
    float c_prev = c[j];
    float i = act(pr, d, 0, gi[j] + (pi ? pi[j] * c_prev : 0.0f));
    float f = pr->p->input_forget ? 1.0f - i : act(pr, d, 0, gf[j] + (pf ? pf[j] * c_prev : 0.0f));
    float cand = act(pr, d, 1, gc[j]);
    float c_new = f * c_prev + i * cand;
    float o = act(pr, d, 0, go[j] + (po ? po[j] * c_new : 0.0f));
    c[j] = c_new;
    /* h(C) sees the cell state unclipped: clip bounds gate inputs only */
    int32_t k = d * 3 + 2;
    h[j] = o * activate(pr->p->activations[k], pr->p->alpha[k], pr->p->beta[k], c_new);
  }
}

void ingot_rnn_gru_gates(const ingot_rnn_problem *pr, int32_t d, float *g, const float *h, float *rh) {
  const int64_t H = pr->hidden;
  for (int64_t j = 0; j < 2 * H; j++) g[j] = act(pr, d, 0, g[j]);
  const float *r = g + H;
  for (int64_t j = 0; j < H; j++) rh[j] = pr->p->linear_before_reset ? h[j] : r[j] * h[j];
}

void ingot_rnn_gru_update(const ingot_rnn_problem *pr, int32_t d, float *g, const float *hh, float *h) {
  const int64_t H = pr->hidden;
  const float *z = g, *r = g + H, *gh = g + 2 * H;
  for (int64_t j = 0; j < H; j++) {
    float cand = act(pr, d, 1, gh[j] + (pr->p->linear_before_reset ? r[j] * hh[j] : hh[j]));
    h[j] = (1.0f - z[j]) * cand + z[j] * h[j];
  }
}
