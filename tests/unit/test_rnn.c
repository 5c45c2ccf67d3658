/* The recurrent layer's tactics: rnn_f32_gemm against rnn_f32_reference (the oracle) on
 * random inputs for every cell (RNN, GRU with and without linear_before_reset, LSTM with
 * peepholes, clip, input_forget), direction and layout, with and without bias, initial
 * states and variable sequence lengths, sizes past a GEMM tile, serially and on a pool;
 * each run as the builder and runtime run it (prepare sees only constants, workspace as
 * asked with guard bytes after it and after every output). Also: the errors of the data
 * (a sequence length out of range), of shape inference and of the network API. */
#include "test_util.h"

#include "backend/cpu/cpu_kernels.h"
#include "core/dims.h"
#include "core/thread_pool.h"
#include "ops/graph.h"
#include "ops/rnn_info.h"

#define GUARD_BYTES 256
static const unsigned char GUARD = 0xA5;
static uint64_t g_seed = 0x5EED0F4E2ULL;
static ingot_thread_pool *g_pool;
static int32_t g_cases;

typedef struct rcase {
  char name[160];
  ingot_node node;
  int32_t inputs[INGOT_RNN_INPUT_COUNT];
  ingot_tensor_view in[INGOT_RNN_INPUT_COUNT];
  ingot_tensor_view out[3];
  ingot_value_info vo[INGOT_MAX_OUTPUTS];
} rcase;

typedef struct spec {
  int32_t cell, direction, layout;
  int64_t seq, batch, input, hidden;
  bool bias, lengths, initial, peepholes, clip, input_forget, lbr, zero_length;
  int32_t act_pick; /* 0: defaults; else a non-default list */
} spec;

static int64_t rnd(int64_t n) {
  g_seed = g_seed * 6364136223846793005ULL + 1442695040888963407ULL;
  return (int64_t)((g_seed >> 33) % (uint64_t)n);
}

static void add_input(rcase *c, int32_t i, ingot_dtype dt, int32_t nb, const int64_t *d) {
  c->in[i].dtype = dt;
  c->in[i].dims = ingot_dims_make(nb, d);
  int64_t v = ingot_dims_volume(&c->in[i].dims);
  c->in[i].data = malloc(ingot_dtype_size(dt) * (size_t)(v > 0 ? v : 1));
  if (dt == INGOT_FLOAT32)
    for (int64_t k = 0; k < v; k++) ((float *)c->in[i].data)[k] = test_randf(&g_seed);
  c->inputs[i] = i;
}

static void set_activations(ingot_rnn_params *p, int32_t pick) {
  int32_t per = ingot_rnn_activations_per_direction(p->cell), n = p->nb_activations;
  static const int32_t lists[3][6] = {
      {INGOT_RNN_ACTIVATION_SIGMOID, INGOT_RNN_ACTIVATION_TANH, INGOT_RNN_ACTIVATION_TANH,
       INGOT_RNN_ACTIVATION_SIGMOID, INGOT_RNN_ACTIVATION_TANH, INGOT_RNN_ACTIVATION_TANH},
      {INGOT_RNN_ACTIVATION_HARD_SIGMOID, INGOT_RNN_ACTIVATION_SOFTSIGN, INGOT_RNN_ACTIVATION_SCALED_TANH,
       INGOT_RNN_ACTIVATION_SIGMOID, INGOT_RNN_ACTIVATION_ELU, INGOT_RNN_ACTIVATION_SOFTPLUS},
      {INGOT_RNN_ACTIVATION_SIGMOID, INGOT_RNN_ACTIVATION_LEAKY_RELU, INGOT_RNN_ACTIVATION_AFFINE,
       INGOT_RNN_ACTIVATION_HARD_SIGMOID, INGOT_RNN_ACTIVATION_THRESHOLDED_RELU, INGOT_RNN_ACTIVATION_RELU}};
  for (int32_t i = 0; i < n; i++) {
    p->activations[i] = lists[pick][i];
    if (p->cell == INGOT_RNN_CELL_RNN && pick == 0) p->activations[i] = INGOT_RNN_ACTIVATION_TANH;
    p->alpha[i] = 0.2f + 0.1f * (float)i;
    p->beta[i] = 0.5f - 0.05f * (float)(i % per);
  }
}

/* A node of spec s with its inputs; false when shape inference refuses it. */
static bool make_case(rcase *c, const spec *s) {
  memset(c, 0, sizeof *c);
  snprintf(c->name, sizeof c->name, "rnn cell %d dir %d layout %d seq %lld batch %lld in %lld hid %lld", s->cell,
           s->direction, s->layout, (long long)s->seq, (long long)s->batch, (long long)s->input, (long long)s->hidden);
  ingot_rnn_params *p = &c->node.params.rnn;
  p->cell = s->cell;
  p->direction = s->direction;
  p->hidden_size = s->hidden;
  p->layout = s->layout;
  p->nb_activations = ingot_rnn_activations_per_direction(s->cell) * ingot_rnn_directions(s->direction);
  set_activations(p, s->act_pick);
  p->has_clip = s->clip;
  p->clip = s->clip ? 0.8f : 0.0f;
  p->input_forget = s->input_forget;
  p->linear_before_reset = s->lbr;
  c->node.name = c->name;
  c->node.op = INGOT_OP_RNN;
  c->node.nb_inputs = INGOT_RNN_INPUT_COUNT;
  c->node.inputs = c->inputs;
  c->node.nb_outputs = s->cell == INGOT_RNN_CELL_LSTM ? 3 : 2;
  const int64_t D = ingot_rnn_directions(s->direction), G = ingot_rnn_gates(s->cell), H = s->hidden;
  for (int32_t i = 0; i < INGOT_RNN_INPUT_COUNT; i++) {
    c->inputs[i] = -1;
    c->in[i].dims.nb_dims = -1;
  }
  int64_t x[3] = {s->layout ? s->batch : s->seq, s->layout ? s->seq : s->batch, s->input};
  int64_t w[3] = {D, G * H, s->input}, r[3] = {D, G * H, H}, b[2] = {D, 2 * G * H}, l[1] = {s->batch};
  int64_t st[3] = {s->layout ? s->batch : D, s->layout ? D : s->batch, H}, pp[2] = {D, 3 * H};
  add_input(c, INGOT_RNN_INPUT_X, INGOT_FLOAT32, 3, x);
  add_input(c, INGOT_RNN_INPUT_W, INGOT_FLOAT32, 3, w);
  add_input(c, INGOT_RNN_INPUT_R, INGOT_FLOAT32, 3, r);
  if (s->bias) add_input(c, INGOT_RNN_INPUT_B, INGOT_FLOAT32, 2, b);
  if (s->lengths) {
    add_input(c, INGOT_RNN_INPUT_SEQUENCE_LENGTHS, INGOT_INT32, 1, l);
    for (int64_t k = 0; k < s->batch; k++)
      ((int32_t *)c->in[INGOT_RNN_INPUT_SEQUENCE_LENGTHS].data)[k] =
          s->zero_length && k == 0 ? 0 : (int32_t)(1 + rnd(s->seq));
  }
  if (s->initial) add_input(c, INGOT_RNN_INPUT_INITIAL_HIDDEN, INGOT_FLOAT32, 3, st);
  if (s->initial && s->cell == INGOT_RNN_CELL_LSTM) add_input(c, INGOT_RNN_INPUT_INITIAL_CELL, INGOT_FLOAT32, 3, st);
  if (s->peepholes) add_input(c, INGOT_RNN_INPUT_PEEPHOLES, INGOT_FLOAT32, 2, pp);
  ingot_value_info vi[INGOT_RNN_INPUT_COUNT];
  for (int32_t i = 0; i < INGOT_RNN_INPUT_COUNT; i++) {
    vi[i].dtype = c->in[i].dtype;
    vi[i].dims = c->in[i].dims;
    vi[i].data = NULL;
  }
  if (ingot_infer_rnn(&c->node, vi, c->vo) != INGOT_SUCCESS) return false;
  for (int32_t k = 0; k < c->node.nb_outputs; k++) {
    c->out[k].dtype = INGOT_FLOAT32;
    c->out[k].dims = c->vo[k].dims;
  }
  return true;
}

static void free_case(rcase *c) {
  for (int32_t i = 0; i < INGOT_RNN_INPUT_COUNT; i++) free(c->in[i].data);
}

static bool guard_intact(const unsigned char *p) {
  for (int32_t i = 0; i < GUARD_BYTES; i++)
    if (p[i] != GUARD) return false;
  return true;
}

static void *guarded(size_t bytes) {
  unsigned char *p = NULL;
  if (posix_memalign((void **)&p, 64, bytes + GUARD_BYTES) != 0) exit(2);
  memset(p, GUARD, bytes + GUARD_BYTES);
  return p;
}

static const ingot_tactic *find_tactic(const char *name) {
  const ingot_backend *be = ingot_cpu_backend();
  for (int32_t i = 0; i < be->nb_tactics; i++)
    if (strcmp(be->tactics[i].name, name) == 0) return &be->tactics[i];
  return NULL;
}

/* Runs t; its outputs (malloc'd, guard bytes checked) into ys. */
static ingot_status run(const ingot_tactic *t, rcase *c, float **ys) {
  ingot_tensor_view in[INGOT_RNN_INPUT_COUNT];
  /* build time: only the constants (W, R, B, P) have data */
  for (int32_t i = 0; i < INGOT_RNN_INPUT_COUNT; i++) {
    in[i] = c->in[i];
    bool constant = i == INGOT_RNN_INPUT_W || i == INGOT_RNN_INPUT_R || i == INGOT_RNN_INPUT_B || i == INGOT_RNN_INPUT_PEEPHOLES;
    if (!constant) in[i].data = NULL;
  }
  if (t->supports && !t->supports(&c->node, in, c->out)) {
    fprintf(stderr, "%s: %s does not support it\n", c->name, t->name);
    test_failures++;
    return INGOT_UNSUPPORTED;
  }
  ingot_kernel_args args;
  memset(&args, 0, sizeof args);
  args.node = &c->node;
  args.params = &c->node.params;
  args.nb_inputs = INGOT_RNN_INPUT_COUNT;
  args.inputs = in;
  args.nb_outputs = c->node.nb_outputs;
  args.outputs = c->out;
  void *prepared = NULL;
  uint64_t prepared_size = 0;
  if (t->prepare) {
    ingot_status st = t->prepare(&args, &prepared, &prepared_size);
    if (st != INGOT_SUCCESS) return st;
  }
  for (int32_t i = 0; i < INGOT_RNN_INPUT_COUNT; i++) in[i].data = NULL;
  args.prepared = prepared;
  args.prepared_size = prepared_size;
  uint64_t ws = t->workspace_size ? t->workspace_size(&args) : 0;
  unsigned char *wsb = guarded(ws);
  ingot_tensor_view out[3];
  for (int32_t k = 0; k < c->node.nb_outputs; k++) {
    out[k] = c->out[k];
    out[k].data = ys[k] = guarded(sizeof(float) * (size_t)ingot_dims_volume(&out[k].dims));
  }
  for (int32_t i = 0; i < INGOT_RNN_INPUT_COUNT; i++) in[i] = c->in[i];
  args.outputs = out;
  args.workspace = wsb;
  args.workspace_size = ws;
  args.pool = g_pool;
  ingot_status st = t->run(&args);
  if (!guard_intact(wsb + ws)) {
    fprintf(stderr, "%s: %s wrote past its workspace of %llu bytes\n", c->name, t->name, (unsigned long long)ws);
    test_failures++;
  }
  for (int32_t k = 0; k < c->node.nb_outputs; k++)
    if (!guard_intact((unsigned char *)ys[k] + sizeof(float) * (size_t)ingot_dims_volume(&out[k].dims))) {
      fprintf(stderr, "%s: %s wrote past output %d\n", c->name, t->name, (int)k);
      test_failures++;
    }
  free(prepared);
  free(wsb);
  return st;
}

static void compare(const spec *s) {
  rcase c;
  if (!make_case(&c, s)) {
    fprintf(stderr, "shape inference refused a valid case: %s\n", ingot_last_error());
    test_failures++;
    free_case(&c);
    return;
  }
  const ingot_tactic *ref = find_tactic("rnn_f32_reference"), *fast = find_tactic("rnn_f32_gemm");
  CHECK(ref != NULL && fast != NULL);
  float *want[3] = {0}, *got[3] = {0};
  CHECK_OK(run(ref, &c, want));
  CHECK_OK(run(fast, &c, got));
  double biggest = 0.0;
  for (int32_t k = 0; k < c.node.nb_outputs && want[k] && got[k]; k++) {
    int64_t v = ingot_dims_volume(&c.out[k].dims);
    for (int64_t e = 0; e < v; e++) {
      double g = got[k][e], w = want[k][e];
      if (fabs(w) > biggest) biggest = fabs(w);
      if (!(fabs(g - w) <= 1e-4 * (1.0 + fabs(w)))) {
        fprintf(stderr, "%s: output %d element %lld is %.8g, the reference gives %.8g\n", c.name, (int)k, (long long)e, g,
                w);
        test_failures++;
        break;
      }
    }
  }
  if (!(biggest > 1e-3)) { /* the outputs are not trivially zero */
    fprintf(stderr, "%s: every output is near zero (%g)\n", c.name, biggest);
    test_failures++;
  }
  g_cases++;
  for (int32_t k = 0; k < 3; k++) {
    free(want[k]);
    free(got[k]);
  }
  free_case(&c);
}

static void test_tactics(void) {
  static const int64_t sizes[][4] = {{1, 1, 1, 1}, {5, 3, 4, 6}, {7, 2, 9, 17}, {3, 13, 37, 40}, {9, 5, 2, 33}};
  for (int32_t cell = 0; cell < INGOT_RNN_CELL_COUNT; cell++)
    for (int32_t dir = 0; dir < INGOT_RNN_DIRECTION_COUNT; dir++)
      for (int32_t layout = 0; layout < 2; layout++)
        for (int32_t z = 0; z < 5; z++) {
          spec s = {cell, dir, layout, sizes[z][0], sizes[z][1], sizes[z][2], sizes[z][3]};
          s.bias = z != 1;
          s.lengths = z >= 1;
          s.zero_length = z == 4;
          s.initial = z != 2;
          s.peepholes = cell == INGOT_RNN_CELL_LSTM && z != 3;
          s.clip = z == 2 || z == 4;
          s.input_forget = cell == INGOT_RNN_CELL_LSTM && z == 3;
          s.lbr = cell == INGOT_RNN_CELL_GRU && (z & 1);
          s.act_pick = (int32_t)((z + dir) % 3);
          compare(&s);
        }
}

static void test_bad_length(void) {
  spec s = {INGOT_RNN_CELL_GRU, INGOT_RNN_BIDIRECTIONAL, 0, 4, 3, 2, 5};
  s.lengths = true;
  rcase c;
  CHECK(make_case(&c, &s));
  ((int32_t *)c.in[INGOT_RNN_INPUT_SEQUENCE_LENGTHS].data)[1] = 5;
  const char *names[2] = {"rnn_f32_reference", "rnn_f32_gemm"};
  for (int32_t i = 0; i < 2; i++) {
    float *ys[3] = {0};
    CHECK_FAILS(run(find_tactic(names[i]), &c, ys), INGOT_RUNTIME_ERROR, "sequence length");
    CHECK(strstr(ingot_last_error(), c.name) != NULL);
    for (int32_t k = 0; k < 3; k++) free(ys[k]);
  }
  free_case(&c);
}

static void test_infer_errors(void) {
  spec s = {INGOT_RNN_CELL_LSTM, INGOT_RNN_FORWARD, 0, 4, 3, 2, 5};
  rcase c;
  CHECK(make_case(&c, &s));
  ingot_value_info vi[INGOT_RNN_INPUT_COUNT], vo[INGOT_MAX_OUTPUTS];
  for (int32_t i = 0; i < INGOT_RNN_INPUT_COUNT; i++) {
    vi[i].dtype = c.in[i].dtype;
    vi[i].dims = c.in[i].dims;
    vi[i].data = NULL;
  }
  vi[INGOT_RNN_INPUT_R].dims.d[2] = 4; /* R [1, 20, 4] but hidden is 5 */
  CHECK_FAILS(ingot_infer_rnn(&c.node, vi, vo), INGOT_INVALID_ARGUMENT, "input 2 (R) has dims");
  vi[INGOT_RNN_INPUT_R].dims.d[2] = 5;
  vi[INGOT_RNN_INPUT_X].dims.nb_dims = 2;
  CHECK_FAILS(ingot_infer_rnn(&c.node, vi, vo), INGOT_INVALID_ARGUMENT, "expected rank 3");
  vi[INGOT_RNN_INPUT_X].dims.nb_dims = 3;
  c.node.params.rnn.nb_activations = 2;
  CHECK_FAILS(ingot_infer_rnn(&c.node, vi, vo), INGOT_INVALID_ARGUMENT, "2 activations, expected 3");
  c.node.params.rnn.nb_activations = 3;
  c.node.params.rnn.linear_before_reset = 1;
  CHECK_FAILS(ingot_infer_rnn(&c.node, vi, vo), INGOT_INVALID_ARGUMENT, "GRU option");
  free_case(&c);
}

static void test_network_api(void) {
  ingot_network *net = NULL;
  CHECK_OK(ingot_network_create(NULL, &net));
  ingot_tensor *x, *w, *r, *lengths, *h0;
  ingot_dims xd = {3, {-1, -1, 4}}, wd = {3, {1, 18, 4}}, rd = {3, {1, 18, 6}}, ld = {1, {-1}};
  CHECK_OK(ingot_network_add_input(net, "x", INGOT_FLOAT32, &xd, &x));
  CHECK_OK(ingot_network_add_input(net, "w", INGOT_FLOAT32, &wd, &w));
  CHECK_OK(ingot_network_add_input(net, "r", INGOT_FLOAT32, &rd, &r));
  CHECK_OK(ingot_network_add_input(net, "lengths", INGOT_INT32, &ld, &lengths));
  ingot_rnn_desc desc;
  memset(&desc, 0, sizeof desc);
  desc.cell = INGOT_RNN_CELL_GRU;
  desc.hidden_size = 6;
  ingot_layer *layer = NULL;
  desc.nb_activations = 3;
  CHECK_FAILS(ingot_network_add_rnn(net, x, w, r, NULL, &desc, &layer), INGOT_INVALID_ARGUMENT, "3 activations given");
  desc.nb_activations = 0;
  desc.input_forget = 1;
  CHECK_FAILS(ingot_network_add_rnn(net, x, w, r, NULL, &desc, &layer), INGOT_INVALID_ARGUMENT, "only LSTM");
  desc.input_forget = 0;
  desc.hidden_size = 0;
  CHECK_FAILS(ingot_network_add_rnn(net, x, w, r, NULL, &desc, &layer), INGOT_INVALID_ARGUMENT, "hidden_size");
  desc.hidden_size = 6;
  CHECK_FAILS(ingot_network_add_rnn(net, lengths, w, r, NULL, &desc, &layer), INGOT_INVALID_ARGUMENT, "int32");
  CHECK_OK(ingot_network_add_rnn(net, x, w, r, NULL, &desc, &layer));
  CHECK(layer != NULL && ingot_layer_get_type(layer) == INGOT_LAYER_RNN);
  CHECK(ingot_layer_num_inputs(layer) == INGOT_RNN_INPUT_COUNT && ingot_layer_num_outputs(layer) == 2);
  CHECK(ingot_layer_get_input(layer, INGOT_RNN_INPUT_B) == NULL);
  CHECK_OK(ingot_layer_set_input(layer, INGOT_RNN_INPUT_SEQUENCE_LENGTHS, lengths));
  ingot_dims hd = {3, {1, -1, 6}};
  CHECK_OK(ingot_network_add_input(net, "h0", INGOT_FLOAT32, &hd, &h0));
  CHECK_OK(ingot_layer_set_input(layer, INGOT_RNN_INPUT_INITIAL_HIDDEN, h0));
  ingot_dims yd;
  CHECK_OK(ingot_tensor_get_dims(ingot_layer_get_output(layer, 0), &yd));
  CHECK(yd.nb_dims == 4 && yd.d[1] == 1 && yd.d[3] == 6);
  ingot_network_destroy(net);
}

int main(void) {
  for (int32_t pass = 0; pass < 2; pass++) {
    if (pass == 1) CHECK_OK(ingot_thread_pool_create(3, &g_pool));
    test_tactics();
  }
  test_bad_length();
  test_infer_errors();
  test_network_api();
  ingot_thread_pool_destroy(g_pool);
  printf("rnn_f32_gemm: %d cases against rnn_f32_reference\n", g_cases);
  CHECK(g_cases == 2 * INGOT_RNN_CELL_COUNT * INGOT_RNN_DIRECTION_COUNT * 2 * 5);
  TEST_EXIT();
}
