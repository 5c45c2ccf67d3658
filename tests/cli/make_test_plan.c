/* Builds the plan the CLI test runs: x [-1, 4] float32 (dynamic batch 1..8, opt 4) ->
 * fully connected (3 outputs, bias) -> "logits"; outputs y = relu(logits) and
 * "probs:0" = softmax(logits, axis 1) (a name that is not file-safe on purpose).
 *   make_test_plan DIR                 writes DIR/test.plan, DIR/x.npy (batch 3) and the
 *                                      expected outputs DIR/expected_y.npy, expected_probs.npy,
 *                                      plus bad inputs x_int32.npy, x_badshape.npy and
 *                                      x_batch9.npy (outside the profile)
 *   make_test_plan --plugin LIB DIR    loads the example plugin library LIB and writes
 *                                      DIR/plugin.plan: x [-1, 6] -> SplitTail (k 2, layer
 *                                      "split") -> its first output -> ScaledSoftsign (alpha 0.5,
 *                                      layer "softsign") -> head, its second -> tail; with
 *                                      DIR/xp.npy (batch 3), expected_head.npy, expected_tail.npy
 *   make_test_plan --compare A B TOL   exit 0 when A and B have one dtype and shape and
 *                                      float32 values within TOL (absolute) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingot/ingot.h"
#include "npy.h"

#define BATCH 3
#define IN 4
#define OUT 3

static int fail_call(const char *what, ingot_status st) {
  fprintf(stderr, "make_test_plan: %s failed (%s): %s\n", what, ingot_status_name(st), ingot_last_error());
  return 1;
}

#define TRY(call)                                      \
  do {                                                 \
    ingot_status st_ = (call);                         \
    if (st_ != INGOT_SUCCESS) {                        \
      rc = fail_call(#call, st_);                      \
      goto done;                                       \
    }                                                  \
  } while (0)

static int compare(const char *a_path, const char *b_path, const char *tol_text) {
  char err[1024];
  tool_npy a, b;
  double tol = atof(tol_text);
  if (tool_npy_load(a_path, &a, err, sizeof err) != 0) {
    fprintf(stderr, "compare: %s\n", err);
    return 1;
  }
  if (tool_npy_load(b_path, &b, err, sizeof err) != 0) {
    fprintf(stderr, "compare: %s\n", err);
    tool_npy_free(&a);
    return 1;
  }
  int rc = 0;
  if (a.dtype != b.dtype || a.dims.nb_dims != b.dims.nb_dims || a.nbytes != b.nbytes) rc = 1;
  for (int32_t k = 0; !rc && k < a.dims.nb_dims; k++)
    if (a.dims.d[k] != b.dims.d[k]) rc = 1;
  if (rc) fprintf(stderr, "compare: %s and %s differ in dtype or shape\n", a_path, b_path);
  if (!rc && a.dtype == INGOT_FLOAT32) {
    for (size_t i = 0; i < a.nbytes / 4; i++) {
      float x = ((float *)a.data)[i], y = ((float *)b.data)[i];
      if (!(fabs((double)x - (double)y) <= tol)) {
        fprintf(stderr, "compare: element %zu: %s has %g, %s has %g\n", i, a_path, x, b_path, y);
        rc = 1;
        break;
      }
    }
  } else if (!rc && memcmp(a.data, b.data, a.nbytes) != 0) {
    fprintf(stderr, "compare: %s and %s differ\n", a_path, b_path);
    rc = 1;
  }
  tool_npy_free(&a);
  tool_npy_free(&b);
  return rc;
}

static int save(const char *dir, const char *file, ingot_dtype dtype, ingot_dims dims, const void *data) {
  char path[4096], err[1024];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  if (tool_npy_save(path, dtype, &dims, data, err, sizeof err) != 0) {
    fprintf(stderr, "make_test_plan: %s\n", err);
    return 1;
  }
  return 0;
}

/* Builds `net` with one profile, x [1..8, cols] (opt rows `opt_rows`), into DIR/FILE; 0 on success. */
static int build_and_save(ingot_network *net, int64_t cols, int64_t opt_rows, const char *dir, const char *file) {
  int rc = 0;
  ingot_builder *builder = NULL;
  ingot_builder_config *config = NULL;
  ingot_optimization_profile *profile = NULL;
  ingot_plan *plan = NULL;
  ingot_dims mn = {2, {1, cols}}, opt = {2, {opt_rows, cols}}, mx = {2, {8, cols}};
  TRY(ingot_builder_create(NULL, &builder));
  TRY(ingot_builder_config_create(&config));
  TRY(ingot_optimization_profile_create(&profile));
  TRY(ingot_optimization_profile_set_dimensions(profile, "x", INGOT_PROFILE_MIN, &mn));
  TRY(ingot_optimization_profile_set_dimensions(profile, "x", INGOT_PROFILE_OPT, &opt));
  TRY(ingot_optimization_profile_set_dimensions(profile, "x", INGOT_PROFILE_MAX, &mx));
  TRY(ingot_builder_config_add_optimization_profile(config, profile, NULL));
  TRY(ingot_builder_build_serialized_network(builder, net, config, &plan));
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  TRY(ingot_plan_save(plan, path));
done:
  if (plan) ingot_plan_destroy(plan);
  if (profile) ingot_optimization_profile_destroy(profile);
  if (config) ingot_builder_config_destroy(config);
  if (builder) ingot_builder_destroy(builder);
  return rc;
}

/* The plan of two example plugins (examples/plugin), for inspect and run with --plugin. */
static int plugin_plan(const char *library, const char *dir) {
  enum { ROWS = 3, COLS = 6, K = 2 };
  const float alpha = 0.5f;
  float x[ROWS * COLS], head[ROWS * K], tail[ROWS * (COLS - K)];
  for (int i = 0; i < ROWS * COLS; i++) {
    x[i] = (float)((i * 5) % 13 - 6) * 0.75f;
    int r = i / COLS, c = i % COLS;
    if (c < K) head[r * K + c] = alpha * x[i] / (1.0f + fabsf(x[i]));
    else tail[r * (COLS - K) + c - K] = x[i];
  }
  int rc = 0;
  ingot_network *net = NULL;
  ingot_tensor *in = NULL;
  ingot_layer *act = NULL, *split = NULL;
  ingot_dims in_dims = {2, {-1, COLS}};
  int32_t k = K;
  ingot_plugin_field af = {"alpha", INGOT_PLUGIN_FIELD_FLOAT32, 1, &alpha}, kf = {"k", INGOT_PLUGIN_FIELD_INT32, 1, &k};
  TRY(ingot_plugin_library_load(library));
  TRY(ingot_network_create(NULL, &net));
  TRY(ingot_network_add_input(net, "x", INGOT_FLOAT32, &in_dims, &in));
  TRY(ingot_network_add_plugin(net, &in, 1, "SplitTail", "1", "ingot.example", &kf, 1, &split));
  TRY(ingot_layer_set_name(split, "split"));
  ingot_tensor *first = ingot_layer_get_output(split, 0), *rest = ingot_layer_get_output(split, 1);
  TRY(ingot_network_add_plugin(net, &first, 1, "ScaledSoftsign", "1", "ingot.example", &af, 1, &act));
  TRY(ingot_layer_set_name(act, "softsign"));
  TRY(ingot_tensor_set_name(ingot_layer_get_output(act, 0), "head"));
  TRY(ingot_tensor_set_name(rest, "tail"));
  TRY(ingot_network_mark_output(net, ingot_layer_get_output(act, 0)));
  TRY(ingot_network_mark_output(net, rest));
  if (build_and_save(net, COLS, 2, dir, "plugin.plan")) {
    rc = 1;
    goto done;
  }
  ingot_dims xd = {2, {ROWS, COLS}}, hd = {2, {ROWS, K}}, td = {2, {ROWS, COLS - K}};
  if (save(dir, "xp.npy", INGOT_FLOAT32, xd, x) || save(dir, "expected_head.npy", INGOT_FLOAT32, hd, head) ||
      save(dir, "expected_tail.npy", INGOT_FLOAT32, td, tail))
    rc = 1;
done:
  if (net) ingot_network_destroy(net);
  return rc;
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "--compare") == 0) return compare(argv[2], argv[3], argv[4]);
  if (argc == 4 && strcmp(argv[1], "--plugin") == 0) return plugin_plan(argv[2], argv[3]);
  if (argc != 2) {
    fprintf(stderr, "usage: make_test_plan DIR | make_test_plan --plugin LIB.so DIR | make_test_plan --compare A.npy "
                    "B.npy TOL\n");
    return 2;
  }
  const char *dir = argv[1];
  float w[OUT * IN], bias[OUT], x[BATCH * IN], logits[BATCH * OUT], y[BATCH * OUT], probs[BATCH * OUT];
  for (int i = 0; i < OUT * IN; i++) w[i] = (float)((i * 7) % 11 - 5) * 0.25f;
  for (int i = 0; i < OUT; i++) bias[i] = (float)i * 0.5f - 0.5f;
  for (int i = 0; i < BATCH * IN; i++) x[i] = (float)((i * 5) % 9 - 4) * 0.5f;
  for (int n = 0; n < BATCH; n++) {
    double mx = -INFINITY, sum = 0;
    for (int o = 0; o < OUT; o++) {
      double acc = bias[o];
      for (int k = 0; k < IN; k++) acc += (double)x[n * IN + k] * w[o * IN + k];
      logits[n * OUT + o] = (float)acc;
      y[n * OUT + o] = acc > 0 ? (float)acc : 0.0f;
      if (acc > mx) mx = acc;
    }
    for (int o = 0; o < OUT; o++) sum += exp(logits[n * OUT + o] - mx);
    for (int o = 0; o < OUT; o++) probs[n * OUT + o] = (float)(exp(logits[n * OUT + o] - mx) / sum);
  }

  int rc = 0;
  ingot_network *net = NULL;
  ingot_tensor *in = NULL;
  ingot_layer *fc = NULL, *relu = NULL, *softmax = NULL;
  ingot_dims in_dims = {2, {-1, IN}};
  TRY(ingot_network_create(NULL, &net));
  TRY(ingot_network_add_input(net, "x", INGOT_FLOAT32, &in_dims, &in));
  ingot_weights kw = {INGOT_FLOAT32, w, OUT * IN}, bw = {INGOT_FLOAT32, bias, OUT};
  TRY(ingot_network_add_fully_connected(net, in, OUT, kw, bw, &fc));
  TRY(ingot_layer_set_name(fc, "fc"));
  TRY(ingot_tensor_set_name(ingot_layer_get_output(fc, 0), "logits"));
  TRY(ingot_network_add_activation(net, ingot_layer_get_output(fc, 0), INGOT_ACTIVATION_RELU, 0, 0, &relu));
  TRY(ingot_layer_set_name(relu, "relu"));
  TRY(ingot_tensor_set_name(ingot_layer_get_output(relu, 0), "y"));
  TRY(ingot_network_mark_output(net, ingot_layer_get_output(relu, 0)));
  TRY(ingot_network_add_softmax(net, ingot_layer_get_output(fc, 0), 1, &softmax));
  TRY(ingot_layer_set_name(softmax, "softmax"));
  TRY(ingot_tensor_set_name(ingot_layer_get_output(softmax, 0), "probs:0"));
  TRY(ingot_network_mark_output(net, ingot_layer_get_output(softmax, 0)));
  if (build_and_save(net, IN, 4, dir, "test.plan")) {
    rc = 1;
    goto done;
  }

  ingot_dims xd = {2, {BATCH, IN}}, od = {2, {BATCH, OUT}}, bad = {2, {BATCH, IN + 1}};
  int32_t xi[BATCH * IN];
  float xbad[BATCH * (IN + 1)], x9[9 * IN] = {0};
  ingot_dims d9 = {2, {9, IN}};
  for (int i = 0; i < BATCH * IN; i++) xi[i] = i;
  for (int i = 0; i < BATCH * (IN + 1); i++) xbad[i] = (float)i;
  if (save(dir, "x.npy", INGOT_FLOAT32, xd, x) || save(dir, "expected_y.npy", INGOT_FLOAT32, od, y) ||
      save(dir, "expected_probs.npy", INGOT_FLOAT32, od, probs) || save(dir, "x_int32.npy", INGOT_INT32, xd, xi) ||
      save(dir, "x_badshape.npy", INGOT_FLOAT32, bad, xbad) || save(dir, "x_batch9.npy", INGOT_FLOAT32, d9, x9))
    rc = 1;

done:
  if (net) ingot_network_destroy(net);
  return rc;
}
