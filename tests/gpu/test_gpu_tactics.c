/* Every cuBLASLt and cuDNN tactic of the CUDA backend against the CPU reference tactic of
 * its op, on random inputs (never zeros) in float32, float16 and bfloat16: convolution
 * (padding, stride, dilation, groups incl. depthwise, 1x1, 1-D, bias / residual / relu,
 * sigmoid, tanh epilogues), fully connected (flattened input, bias + relu, gelu) and
 * matrix multiply (batched, broadcast B, transposes, vectors, residual). A tactic runs
 * as the builder and the runtime run it: supports() and prepare() see host constants,
 * the state is made for the shapes, inputs are device copies, the output is poisoned
 * with NaN first so an unwritten element fails. The reference sees the inputs rounded to
 * the tactic's dtype; tolerances (relative L2 error) fit each precision. Skipped (77)
 * where no CUDA device can be used. */
#include "gpu_util.h"
#include "../unit/tactic_case.h"

#include "backend/backend.h"
#include "core/dims.h"
#include "ops/graph.h"
#include "ops/ops.h"

#define MAX_IN TACTIC_CASE_MAX_INPUTS

static uint64_t g_seed = 0x5EED1234ULL;
static const ingot_device_ops *g_dev;
static void *g_stream, *g_handles;
static int32_t g_compared[256], g_declined[256];

static double tolerance(ingot_dtype dt, const char *tactic) {
  if (dt == INGOT_FLOAT16) return 4e-3;
  if (dt == INGOT_BFLOAT16) return 2.5e-2;
  return strstr(tactic, "_tf32") ? 3e-3 : 2e-5;
}

/* float data rounded through dtype (what the device will see), as float32 and as dtype. */
static void convert(const float *src, int64_t n, ingot_dtype dt, float *rounded, void *packed) {
  for (int64_t i = 0; i < n; i++) {
    ingot_store_from_double(packed, dt, i, src[i]);
    rounded[i] = (float)ingot_load_as_double(packed, dt, i);
  }
}

/* The CPU reference on the rounded inputs. */
static float *reference(tactic_case *c, float **rounded, const ingot_dims *ydims) {
  const ingot_backend *cpu = ingot_cpu_backend();
  const ingot_tactic *ref = NULL;
  for (int32_t i = 0; i < cpu->nb_tactics && !ref; i++)
    if (cpu->tactics[i].op == c->node.op) ref = &cpu->tactics[i];
  ingot_tensor_view in[MAX_IN], out;
  for (int32_t i = 0; i < c->nb_inputs; i++) in[i] = (ingot_tensor_view){INGOT_FLOAT32, c->dims[i], rounded[i]};
  int64_t yv = ingot_dims_volume(ydims);
  float *y = malloc(sizeof(float) * (size_t)(yv > 0 ? yv : 1));
  out = (ingot_tensor_view){INGOT_FLOAT32, *ydims, y};
  ingot_kernel_args args = {.node = &c->node, .params = &c->node.params, .nb_inputs = c->nb_inputs, .inputs = in,
                            .nb_outputs = 1, .outputs = &out};
  if (ref->run(&args) != INGOT_SUCCESS) {
    fprintf(stderr, "%s: reference %s failed: %s\n", c->name, ref->name, ingot_last_error());
    test_failures++;
    free(y);
    return NULL;
  }
  return y;
}

/* Runs tactic t of row `row` on the device; compares with want. */
static void run_on_device(const ingot_tactic *t, int32_t row, tactic_case *c, ingot_dtype dt, void **packed,
                          const ingot_dims *ydims, const float *want) {
  ingot_tensor_view in[MAX_IN], out;
  for (int32_t i = 0; i < c->nb_inputs; i++) in[i] = (ingot_tensor_view){dt, c->dims[i], c->constant[i] ? packed[i] : NULL};
  out = (ingot_tensor_view){dt, *ydims, NULL};
  if (t->supports && !t->supports(&c->node, in, &out)) return;
  ingot_kernel_args args = {.node = &c->node, .params = &c->node.params, .nb_inputs = c->nb_inputs, .inputs = in,
                            .nb_outputs = 1, .outputs = &out, .stream = g_stream, .device_handles = g_handles};
  void *prepared = NULL, *state = NULL, *ws = NULL, *dev_in[MAX_IN] = {0}, *dev_y = NULL;
  uint64_t prepared_size = 0;
  if (t->prepare && t->prepare(&args, &prepared, &prepared_size) != INGOT_SUCCESS) {
    /* a cuDNN row whose engine configuration the layer does not have (fewer usable
     * heuristic candidates than its index): declined, as the builder drops it */
    if (!strstr(t->name, "_cudnn_engine")) {
      fprintf(stderr, "%s [%s]: %s prepare: %s\n", c->name, ingot_dtype_name(dt), t->name, ingot_last_error());
      test_failures++;
    } else if (strstr(t->name, "_cudnn_engine0")) {
      printf("note: %s [%s]: %s declines: %s\n", c->name, ingot_dtype_name(dt), t->name, ingot_last_error());
    }
    ingot_clear_last_error();
    g_declined[row]++;
    return;
  }
  for (int32_t i = 0; i < c->nb_inputs; i++) in[i].data = NULL;
  args.prepared = prepared;
  args.prepared_size = prepared_size;
  uint64_t wsb = t->workspace_size ? t->workspace_size(&args) : 0;
  if (wsb == UINT64_MAX) { /* this algorithm cannot run the case */
    g_declined[row]++;
    free(prepared);
    return;
  }
  int64_t yv = ingot_dims_volume(ydims);
  size_t es = ingot_dtype_size(dt);
  bool ok = true;
  for (int32_t i = 0; i < c->nb_inputs && ok; i++) {
    uint64_t bytes = (uint64_t)ingot_dims_volume(&c->dims[i]) * es;
    ok = g_dev->malloc(&dev_in[i], bytes) == INGOT_SUCCESS &&
         g_dev->copy(dev_in[i], packed[i], bytes, INGOT_COPY_H2D, g_stream) == INGOT_SUCCESS;
    in[i].data = dev_in[i];
  }
  ok = ok && g_dev->malloc(&dev_y, (uint64_t)yv * es) == INGOT_SUCCESS &&
       g_dev->memset(dev_y, 0xFF, (uint64_t)yv * es, g_stream) == INGOT_SUCCESS; /* NaN */
  ok = ok && (wsb == 0 || g_dev->malloc(&ws, wsb) == INGOT_SUCCESS);
  CHECK(ok);
  for (int32_t i = 0; i < c->nb_inputs; i++) in[i].data = NULL;
  if (ok && t->create_state) {
    ingot_status st = t->create_state(&args, &state);
    if (st != INGOT_SUCCESS) {
      fprintf(stderr, "%s [%s]: %s create_state: %s\n", c->name, ingot_dtype_name(dt), t->name, ingot_last_error());
      test_failures++;
      ok = false;
    }
  }
  void *host_y = malloc((size_t)yv * es);
  float *got = malloc(sizeof(float) * (size_t)yv);
  if (ok) {
    for (int32_t i = 0; i < c->nb_inputs; i++) in[i].data = dev_in[i];
    out.data = dev_y;
    args.workspace = ws;
    args.workspace_size = wsb;
    args.state = state;
    ingot_status st = t->run(&args);
    if (st == INGOT_SUCCESS) st = g_dev->stream_synchronize(g_stream);
    if (st == INGOT_SUCCESS) st = g_dev->copy(host_y, dev_y, (uint64_t)yv * es, INGOT_COPY_D2H, g_stream);
    if (st == INGOT_SUCCESS) st = g_dev->stream_synchronize(g_stream);
    if (st != INGOT_SUCCESS) {
      fprintf(stderr, "%s [%s]: %s failed: %s\n", c->name, ingot_dtype_name(dt), t->name, ingot_last_error());
      test_failures++;
    } else {
      for (int64_t k = 0; k < yv; k++) got[k] = (float)ingot_load_as_double(host_y, dt, k);
      double err = rel_error(got, want, yv), tol = tolerance(dt, t->name);
      g_compared[row]++;
      if (!(err <= tol)) {
        fprintf(stderr, "%s [%s]: %s relative error %.3g over %.3g\n", c->name, ingot_dtype_name(dt), t->name, err,
                tol);
        test_failures++;
      }
    }
  }
  if (t->destroy_state) t->destroy_state(state);
  free(host_y);
  free(got);
  free(prepared);
  g_dev->free(ws);
  g_dev->free(dev_y);
  for (int32_t i = 0; i < c->nb_inputs; i++) g_dev->free(dev_in[i]);
}

static bool is_library_tactic(const ingot_tactic *t) {
  return strstr(t->name, "_cublaslt_") != NULL || strstr(t->name, "_cudnn_") != NULL;
}

static void compare_case(tactic_case *c) {
  c->node.nb_inputs = c->nb_inputs;
  ingot_value_info vi[MAX_IN], vo[INGOT_MAX_OUTPUTS];
  memset(vo, 0, sizeof vo);
  memset(vi, 0, sizeof vi);
  for (int32_t i = 0; i < c->nb_inputs; i++) vi[i] = (ingot_value_info){.dtype = INGOT_FLOAT32, .dims = c->dims[i]};
  if (ingot_op_infer(c->node.op)(&c->node, vi, vo) != INGOT_SUCCESS) {
    fprintf(stderr, "%s: shape inference failed: %s\n", c->name, ingot_last_error());
    test_failures++;
    return;
  }
  const ingot_dims *ydims = &vo[0].dims;
  static const ingot_dtype dtypes[] = {INGOT_FLOAT32, INGOT_FLOAT16, INGOT_BFLOAT16};
  const ingot_backend *be = ingot_cuda_backend();
  for (int d = 0; d < 3; d++) {
    ingot_dtype dt = dtypes[d];
    float *rounded[MAX_IN];
    void *packed[MAX_IN];
    for (int32_t i = 0; i < c->nb_inputs; i++) {
      int64_t v = ingot_dims_volume(&c->dims[i]);
      rounded[i] = malloc(sizeof(float) * (size_t)v);
      packed[i] = malloc((size_t)v * ingot_dtype_size(dt));
      convert(c->data[i], v, dt, rounded[i], packed[i]);
    }
    float *want = reference(c, rounded, ydims);
    for (int32_t r = 0; want && r < be->nb_tactics && r < 256; r++) {
      const ingot_tactic *t = &be->tactics[r];
      if (t->op == c->node.op && is_library_tactic(t)) run_on_device(t, r, c, dt, packed, ydims, want);
    }
    free(want);
    for (int32_t i = 0; i < c->nb_inputs; i++) free(rounded[i]), free(packed[i]);
  }
}

/* ---- cases ------------------------------------------------------------------------------ */

static void conv_case(const char *name, int64_t n, int64_t ci, int64_t hw, int64_t co, int64_t k, int64_t stride,
                      int64_t pad, int64_t dil, int64_t groups, bool bias, bool residual, int32_t act, int sp) {
  tactic_case c;
  tactic_case_init(&c, INGOT_OP_CONVOLUTION, name);
  ingot_conv_params *p = &c.node.params.conv;
  p->nb_spatial_dims = sp;
  p->num_output_maps = co;
  p->groups = groups;
  for (int i = 0; i < sp; i++) {
    p->kernel_size[i] = k, p->stride[i] = stride, p->pre_padding[i] = p->post_padding[i] = pad, p->dilation[i] = dil;
  }
  p->has_bias = bias;
  p->epilogue.activation = act;
  p->epilogue.alpha = act == INGOT_ACTIVATION_CLIP ? -0.25f : 0.1f; /* clip to [-0.25, 0.5] */
  p->epilogue.beta = act == INGOT_ACTIVATION_CLIP ? 0.5f : 0.0f;
  p->epilogue.has_residual = residual;
  int64_t x[5] = {n, ci, hw, hw + 1, hw}, w[5] = {co, ci / groups, k, k, k};
  tactic_case_add(&c, false, sp + 2, x, &g_seed);
  tactic_case_add(&c, true, sp + 2, w, &g_seed);
  if (bias) tactic_case_add(&c, true, 1, &co, &g_seed);
  if (residual) {
    int64_t y[5] = {n, co, 0, 0, 0};
    for (int i = 0; i < sp; i++) y[2 + i] = (x[2 + i] + 2 * pad - dil * (k - 1) - 1) / stride + 1;
    tactic_case_add(&c, false, sp + 2, y, &g_seed);
  }
  compare_case(&c);
  tactic_case_free(&c);
}

static void fc_case(const char *name, int32_t nb, const int64_t *x, int64_t nout, bool bias, int32_t act) {
  tactic_case c;
  tactic_case_init(&c, INGOT_OP_FULLY_CONNECTED, name);
  c.node.params.fc.num_outputs = nout;
  c.node.params.fc.has_bias = bias;
  c.node.params.fc.epilogue.activation = act;
  tactic_case_add(&c, false, nb, x, &g_seed);
  int64_t k = ingot_dims_volume(&c.dims[0]) / x[0], w[2] = {nout, k};
  tactic_case_add(&c, true, 2, w, &g_seed);
  if (bias) tactic_case_add(&c, true, 1, &nout, &g_seed);
  compare_case(&c);
  tactic_case_free(&c);
}

static void matmul_case(const char *name, int32_t na, const int64_t *a, int32_t op_a, int32_t nb, const int64_t *b,
                        int32_t op_b, bool b_constant, int64_t bias_n, int32_t act, int32_t nr, const int64_t *res) {
  tactic_case c;
  tactic_case_init(&c, INGOT_OP_MATRIX_MULTIPLY, name);
  ingot_matmul_params *p = &c.node.params.matmul;
  p->op_a = op_a, p->op_b = op_b;
  p->has_bias = bias_n > 0;
  p->epilogue.activation = act;
  p->epilogue.has_residual = nr > 0;
  tactic_case_add(&c, false, na, a, &g_seed);
  tactic_case_add(&c, b_constant, nb, b, &g_seed);
  if (bias_n > 0) tactic_case_add(&c, true, 1, &bias_n, &g_seed);
  if (nr > 0) tactic_case_add(&c, false, nr, res, &g_seed);
  compare_case(&c);
  tactic_case_free(&c);
}

int main(void) {
  gpu_require_device("test_gpu_tactics");
  const ingot_backend *be = ingot_cuda_backend();
  g_dev = be->device;
  CHECK_OK(g_dev->set_device(0));
  CHECK_OK(g_dev->stream_create(&g_stream));
  CHECK_OK(g_dev->handles_create(g_stream, &g_handles));
  if (test_failures) TEST_EXIT();

  conv_case("conv 3x3 pad 1 bias relu", 2, 8, 13, 16, 3, 1, 1, 1, 1, true, false, INGOT_ACTIVATION_RELU, 2);
  conv_case("conv 5x5 stride 2 groups 2 bias residual", 1, 6, 10, 12, 5, 2, 2, 1, 2, true, true, -1, 2);
  conv_case("conv 1x1 sigmoid no bias", 3, 4, 9, 8, 1, 1, 0, 1, 1, false, false, INGOT_ACTIVATION_SIGMOID, 2);
  conv_case("conv depthwise 3x3 dilation 2 tanh residual", 2, 8, 11, 8, 3, 1, 2, 2, 8, true, true,
            INGOT_ACTIVATION_TANH, 2);
  conv_case("conv 1-D k5 stride 1 bias relu residual", 2, 5, 17, 7, 5, 1, 2, 1, 1, true, true, INGOT_ACTIVATION_RELU,
            1);
  conv_case("conv 3-D 3x3x3 bias", 1, 3, 6, 4, 3, 1, 1, 1, 1, true, false, -1, 3);
  conv_case("conv 3x3 stride 2 bias silu", 2, 6, 12, 10, 3, 2, 1, 1, 1, true, false, INGOT_ACTIVATION_SILU, 2);
  conv_case("conv 3x3 bias clip (relu6) residual", 1, 4, 8, 4, 3, 1, 1, 1, 1, true, true, INGOT_ACTIVATION_CLIP, 2);
  conv_case("conv 3x3 64->64 bias relu residual", 4, 64, 14, 64, 3, 1, 1, 1, 1, true, true, INGOT_ACTIVATION_RELU,
            2);

  int64_t x4[4] = {5, 3, 4, 2}, x2[2] = {7, 133};
  fc_case("fc flattened bias relu", 4, x4, 10, true, INGOT_ACTIVATION_RELU);
  fc_case("fc gelu-tanh no bias", 2, x2, 65, false, INGOT_ACTIVATION_GELU_TANH);
  fc_case("fc bias only", 2, x2, 128, true, -1);
  fc_case("fc bias gelu-erf", 2, x2, 40, true, INGOT_ACTIVATION_GELU_ERF);

  int64_t a4[4] = {2, 3, 5, 7}, b2[2] = {7, 4};
  matmul_case("matmul batched, B broadcast, bias relu", 4, a4, INGOT_MATRIX_OP_NONE, 2, b2, INGOT_MATRIX_OP_NONE, true,
              4, INGOT_ACTIVATION_RELU, 0, NULL);
  int64_t at[3] = {4, 9, 6}, bt[3] = {4, 5, 9}, rt[3] = {4, 6, 5};
  matmul_case("matmul both transposed, residual", 3, at, INGOT_MATRIX_OP_TRANSPOSE, 3, bt, INGOT_MATRIX_OP_TRANSPOSE,
              false, 0, -1, 3, rt);
  int64_t av[2] = {3, 8}, bv[3] = {3, 8, 6};
  matmul_case("matmul vector a, batched b", 2, av, INGOT_MATRIX_OP_VECTOR, 3, bv, INGOT_MATRIX_OP_NONE, false, 0, -1, 0,
              NULL);
  int64_t ab[3] = {2, 64, 96}, bb[2] = {96, 80};
  matmul_case("matmul 64x96x80 gelu bias", 3, ab, INGOT_MATRIX_OP_NONE, 2, bb, INGOT_MATRIX_OP_NONE, true, 80,
              INGOT_ACTIVATION_GELU_TANH, 0, NULL);
  int64_t avb[3] = {3, 2, 8}, bvv[1] = {8};
  matmul_case("matmul b vector", 3, avb, INGOT_MATRIX_OP_NONE, 1, bvv, INGOT_MATRIX_OP_VECTOR, false, 0, -1, 0, NULL);

  /* Every library row ran somewhere; cuDNN rows past engine0 (the heuristics' first
   * usable configuration, which every case has) may decline a case, not all of them. */
  printf("%-40s %8s %8s\n", "tactic", "compared", "declined");
  for (int32_t r = 0; r < be->nb_tactics && r < 256; r++) {
    const ingot_tactic *t = &be->tactics[r];
    if (!is_library_tactic(t)) continue;
    printf("%-40s %8d %8d\n", t->name, g_compared[r], g_declined[r]);
    bool must = strstr(t->name, "_cublaslt_") || strstr(t->name, "_cudnn_engine0");
    if (must && g_compared[r] == 0) {
      fprintf(stderr, "%s compared no case\n", t->name);
      test_failures++;
    }
  }
  g_dev->handles_destroy(g_handles);
  g_dev->stream_destroy(g_stream);
  if (!test_failures) printf("test_gpu_tactics: all library tactics match the CPU reference\n");
  TEST_EXIT();
}
