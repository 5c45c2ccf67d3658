/* rnn_f32_reference: the recurrent layer one batch row and one step at a time, every
 * product a plain dot product over the weights as they are laid out (W [D, G*H, I],
 * R [D, G*H, H]). The oracle the GEMM tactic is tested against. */
#include "backend/cpu/rnn.h"
#include "core/error.h"

/* Floats of the state (h and c, D x batch x H each), then one row's gates (G*H) and GRU's
 * r * h and its product (H each). */
static int64_t workspace_floats(const ingot_rnn_problem *pr) {
  return 2 * pr->dirs * pr->batch * pr->hidden + (pr->gates + 2) * pr->hidden;
}

static void shape_only(const ingot_kernel_args *args, ingot_rnn_problem *pr) {
  const ingot_rnn_params *p = &args->params->rnn;
  const ingot_dims *xd = &args->inputs[INGOT_RNN_INPUT_X].dims;
  pr->p = p;
  pr->seq = xd->nb_dims == 3 ? xd->d[p->layout ? 1 : 0] : 0;
  pr->batch = xd->nb_dims == 3 ? xd->d[p->layout ? 0 : 1] : 0;
  pr->hidden = p->hidden_size;
  pr->gates = ingot_rnn_gates(p->cell);
  pr->dirs = ingot_rnn_directions(p->direction);
}

uint64_t ingot_cpu_rnn_workspace(const ingot_kernel_args *args) {
  ingot_rnn_problem pr = {0};
  shape_only(args, &pr);
  return (uint64_t)workspace_floats(&pr) * sizeof(float);
}

/* out[j] (+)= sum_k m[j * ld + k] * v[k] for j < rows */
static void matvec(const float *m, int64_t ld, int64_t rows, int64_t cols, const float *v, float *out, bool add) {
  for (int64_t j = 0; j < rows; j++) {
    double s = 0.0; /* the oracle accumulates in double */
    for (int64_t k = 0; k < cols; k++) s += (double)m[j * ld + k] * v[k];
    out[j] = add ? out[j] + (float)s : (float)s;
  }
}

ingot_status ingot_cpu_rnn(const ingot_kernel_args *args) {
  ingot_rnn_problem pr;
  INGOT_TRY(ingot_rnn_problem_init(args, false, &pr));
  if (args->workspace_size < (uint64_t)workspace_floats(&pr) * sizeof(float))
    return ingot_node_fail(args->node, INGOT_INTERNAL_ERROR, "workspace of %llu bytes is too small",
                           (unsigned long long)args->workspace_size);
  const int64_t H = pr.hidden, I = pr.input, GH = pr.gates * H;
  const bool gru = pr.p->cell == INGOT_RNN_CELL_GRU;
  float *hs = args->workspace, *cs = hs + pr.dirs * pr.batch * H, *g = cs + pr.dirs * pr.batch * H;
  float *rh = g + GH, *hh = rh + H;
  ingot_rnn_start(&pr, hs, pr.p->cell == INGOT_RNN_CELL_LSTM ? cs : NULL);
  for (int32_t d = 0; d < pr.dirs; d++) {
    const float *w = pr.w + d * GH * I, *r = pr.r + d * GH * H;
    const float *wb = pr.b ? pr.b + d * 2 * GH : NULL, *rb = wb ? wb + GH : NULL;
    /* GRU's h gate takes its recurrent product (and Rbh) separately */
    const int64_t rec_rows = gru ? 2 * H : GH;
    for (int64_t b = 0; b < pr.batch; b++) {
      const int64_t len = ingot_rnn_length(&pr, b);
      float *h = hs + ingot_rnn_state_row(&pr, d, b), *c = cs + ingot_rnn_state_row(&pr, d, b);
      for (int64_t s = 0; s < len; s++) {
        const int64_t t = ingot_rnn_time(&pr, d, s, len);
        matvec(w, I, GH, I, pr.x + ingot_rnn_x_row(&pr, t, b), g, false);
        matvec(r, H, rec_rows, H, h, g, true);
        for (int64_t j = 0; wb && j < GH; j++) g[j] += wb[j] + (j < rec_rows ? rb[j] : 0.0f);
        if (gru) {
          ingot_rnn_gru_gates(&pr, d, g, h, rh);
          matvec(r + 2 * H * H, H, H, H, rh, hh, false);
          for (int64_t j = 0; rb && j < H; j++) hh[j] += rb[2 * H + j];
          ingot_rnn_gru_update(&pr, d, g, hh, h);
        } else {
          ingot_rnn_cell_step(&pr, d, g, h, c);
        }
        float *y = pr.y + ingot_rnn_y_row(&pr, t, d, b);
        for (int64_t j = 0; j < H; j++) y[j] = h[j];
      }
    }
  }
  ingot_rnn_finish(&pr, hs, cs);
  return INGOT_SUCCESS;
}
