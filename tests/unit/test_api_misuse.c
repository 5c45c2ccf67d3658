/* API misuse: every public function of the headers in include/ingot/ called with null handles, null
 * out-pointers, unknown names, wrong dtypes, shapes outside the profile and calls out of
 * order. Functions that return a status must fail with a non-empty ingot_last_error();
 * the others must return their documented "nothing" (NULL, 0, -1) and never crash.
 * The list of cases is checked against the functions declared in the headers (read at
 * test time from INGOT_SOURCE_DIR), so a new public function without a case fails here. */
#include <ctype.h>
#include <dirent.h>
#include <stdint.h>

#include "ingot/ingot.h"
#include "ingot/onnx_parser.h"
#include "ingot/wts.h"
#include "test_util.h"

/* The call fails with a status and a message. */
#define FAILS(call)                                                                                   \
  do {                                                                                                \
    ingot_clear_last_error();                                                                         \
    ingot_status st_ = (call);                                                                        \
    if (st_ == INGOT_SUCCESS) {                                                                       \
      fprintf(stderr, "%s:%d: %s succeeded, expected a failure\n", __FILE__, __LINE__, #call);        \
      test_failures++;                                                                                \
    } else if (ingot_last_error()[0] == '\0') {                                                       \
      fprintf(stderr, "%s:%d: %s failed (%s) without a message\n", __FILE__, __LINE__, #call,         \
              ingot_status_name(st_));                                                                \
      test_failures++;                                                                                \
    }                                                                                                 \
  } while (0)

/* What every case may use: one network with a few tensors, a second network whose tensor
 * is "foreign" to the first, a built engine with a dynamic input, and the rest. */
typedef struct fixture {
  ingot_logger *logger;
  ingot_network *net, *other;
  ingot_tensor *x, *idx, *foreign, *flag;
  ingot_layer *layer;
  ingot_builder *builder;
  ingot_builder_config *config;
  ingot_optimization_profile *profile;
  ingot_plan *plan;
  ingot_runtime *runtime;
  ingot_engine *engine;
  ingot_execution_context *ctx;
  ingot_onnx_parser *parser;
  ingot_weights_map *wts;
  ingot_stream *stream;
  ingot_profiler *profiler;
  ingot_layer *out_layer;
  ingot_tensor *out_tensor;
  float buf[64];
} fixture;

static fixture F;
static const ingot_weights NO_WEIGHTS = {INGOT_FLOAT32, NULL, 0};

static ingot_dims dims2(int64_t a, int64_t b) {
  ingot_dims d;
  memset(&d, 0, sizeof d);
  d.nb_dims = 2;
  d.d[0] = a;
  d.d[1] = b;
  return d;
}

static void noop_log(void *u, ingot_severity s, const char *m) { (void)u, (void)s, (void)m; }
static void noop_profile(void *u, const char *n, float ms) { (void)u, (void)n, (void)ms; }

/* x [-1, 3] float32 -> relu -> y, profile batch 1..4; built and loaded. */
static void setup(void) {
  memset(&F, 0, sizeof F);
  CHECK_OK(ingot_logger_create(noop_log, NULL, INGOT_SEVERITY_ERROR, &F.logger));
  CHECK_OK(ingot_network_create(F.logger, &F.net));
  CHECK_OK(ingot_network_create(F.logger, &F.other));
  ingot_dims d = dims2(-1, 3);
  CHECK_OK(ingot_network_add_input(F.net, "x", INGOT_FLOAT32, &d, &F.x));
  ingot_dims di = dims2(2, 1);
  CHECK_OK(ingot_network_add_input(F.net, "idx", INGOT_INT64, &di, &F.idx));
  ingot_dims db = dims2(2, 3);
  CHECK_OK(ingot_network_add_input(F.net, "flag", INGOT_BOOL, &db, &F.flag));
  CHECK_OK(ingot_network_add_input(F.other, "foreign", INGOT_FLOAT32, &db, &F.foreign));
  CHECK_OK(ingot_network_add_activation(F.net, F.x, INGOT_ACTIVATION_RELU, 0, 0, &F.layer));
  F.out_tensor = ingot_layer_get_output(F.layer, 0);
  CHECK_OK(ingot_tensor_set_name(F.out_tensor, "y"));
  CHECK_OK(ingot_network_mark_output(F.net, F.out_tensor));

  /* The engine comes from a network of its own (F.net keeps growing in the cases). */
  ingot_network *small;
  ingot_tensor *sx;
  ingot_layer *relu;
  CHECK_OK(ingot_network_create(F.logger, &small));
  CHECK_OK(ingot_network_add_input(small, "x", INGOT_FLOAT32, &d, &sx));
  CHECK_OK(ingot_network_add_activation(small, sx, INGOT_ACTIVATION_RELU, 0, 0, &relu));
  CHECK_OK(ingot_tensor_set_name(ingot_layer_get_output(relu, 0), "y"));
  CHECK_OK(ingot_network_mark_output(small, ingot_layer_get_output(relu, 0)));
  CHECK_OK(ingot_builder_create(F.logger, &F.builder));
  CHECK_OK(ingot_builder_config_create(&F.config));
  CHECK_OK(ingot_builder_config_set_timing_iterations(F.config, 0));
  CHECK_OK(ingot_optimization_profile_create(&F.profile));
  ingot_dims mn = dims2(1, 3), mx = dims2(4, 3);
  CHECK_OK(ingot_optimization_profile_set_dimensions(F.profile, "x", INGOT_PROFILE_MIN, &mn));
  CHECK_OK(ingot_optimization_profile_set_dimensions(F.profile, "x", INGOT_PROFILE_OPT, &mx));
  CHECK_OK(ingot_optimization_profile_set_dimensions(F.profile, "x", INGOT_PROFILE_MAX, &mx));
  CHECK_OK(ingot_builder_config_add_optimization_profile(F.config, F.profile, NULL));
  CHECK_OK(ingot_builder_build_serialized_network(F.builder, small, F.config, &F.plan));
  ingot_network_destroy(small);
  CHECK_OK(ingot_runtime_create(F.logger, &F.runtime));
  if (F.plan) CHECK_OK(ingot_runtime_deserialize_engine(F.runtime, ingot_plan_data(F.plan), ingot_plan_size(F.plan), &F.engine));
  if (F.engine) CHECK_OK(ingot_engine_create_execution_context(F.engine, &F.ctx));
  CHECK_OK(ingot_onnx_parser_create(F.net, F.logger, &F.parser));
  const char wts[] = "1\nw 2 3f800000 0\n";
  CHECK_OK(ingot_wts_parse(wts, sizeof wts - 1, &F.wts));
  CHECK_OK(ingot_stream_create(INGOT_TARGET_CPU, 0, &F.stream));
  CHECK_OK(ingot_profiler_create(noop_profile, NULL, &F.profiler));
  if (!F.net || !F.engine || !F.ctx || !F.wts || !F.stream) {
    fprintf(stderr, "setup failed: %s\n", ingot_last_error());
    exit(1);
  }
}

static void teardown(void) {
  ingot_profiler_destroy(F.profiler);
  ingot_stream_destroy(F.stream);
  ingot_weights_map_destroy(F.wts);
  ingot_onnx_parser_destroy(F.parser);
  ingot_execution_context_destroy(F.ctx);
  ingot_engine_destroy(F.engine);
  ingot_runtime_destroy(F.runtime);
  ingot_plan_destroy(F.plan);
  ingot_optimization_profile_destroy(F.profile);
  ingot_builder_config_destroy(F.config);
  ingot_builder_destroy(F.builder);
  ingot_network_destroy(F.other);
  ingot_network_destroy(F.net);
  ingot_logger_destroy(F.logger);
}

/* ---- core ------------------------------------------------------------------------------ */
static void c_version(void) { CHECK(ingot_version() == INGOT_VERSION); }
static void c_version_string(void) { CHECK(ingot_version_string() && ingot_version_string()[0]); }
static void c_status_name(void) {
  CHECK(ingot_status_name((ingot_status)-1) != NULL);
  CHECK(ingot_status_name((ingot_status)12345) != NULL);
}
static void c_last_error(void) {
  FAILS(ingot_network_create(NULL, NULL));
  CHECK(ingot_last_error() != NULL && ingot_last_error()[0] != '\0');
}
static void c_clear_last_error(void) {
  ingot_network_create(NULL, NULL);
  ingot_clear_last_error();
  CHECK(ingot_last_error()[0] == '\0');
}
static void c_dtype_size(void) {
  CHECK(ingot_dtype_size((ingot_dtype)-1) == 0);
  CHECK(ingot_dtype_size((ingot_dtype)INGOT_DTYPE_COUNT) == 0);
}
static void c_dtype_name(void) { CHECK(ingot_dtype_name((ingot_dtype)99) != NULL); }
static void c_severity_name(void) { CHECK(ingot_severity_name((ingot_severity)99) != NULL); }
static void c_logger_create(void) {
  ingot_logger *l = NULL;
  FAILS(ingot_logger_create(noop_log, NULL, INGOT_SEVERITY_INFO, NULL));
  FAILS(ingot_logger_create(noop_log, NULL, (ingot_severity)99, &l));
  ingot_logger_destroy(l);
}
static void c_logger_destroy(void) { ingot_logger_destroy(NULL); }
static void c_logger_set_severity(void) {
  FAILS(ingot_logger_set_severity(NULL, INGOT_SEVERITY_INFO));
  FAILS(ingot_logger_set_severity(F.logger, (ingot_severity)-3));
}

/* ---- network ----------------------------------------------------------------------------- */
static void c_layer_type_name(void) { CHECK(ingot_layer_type_name((ingot_layer_type)-1) != NULL); }
static void c_activation_type_name(void) { CHECK(ingot_activation_type_name((ingot_activation_type)999) != NULL); }
static void c_network_create(void) { FAILS(ingot_network_create(F.logger, NULL)); }
static void c_network_destroy(void) { ingot_network_destroy(NULL); }
static void c_network_add_input(void) {
  ingot_dims d = dims2(2, 3), bad = dims2(2, -7);
  ingot_tensor *t;
  FAILS(ingot_network_add_input(NULL, "a", INGOT_FLOAT32, &d, &t));
  FAILS(ingot_network_add_input(F.net, NULL, INGOT_FLOAT32, &d, &t));
  FAILS(ingot_network_add_input(F.net, "a", INGOT_FLOAT32, NULL, &t));
  FAILS(ingot_network_add_input(F.net, "a", (ingot_dtype)77, &d, &t));
  FAILS(ingot_network_add_input(F.net, "a", INGOT_FLOAT32, &bad, &t));
  FAILS(ingot_network_add_input(F.net, "x", INGOT_FLOAT32, &d, &t)); /* the name is taken */
  d.nb_dims = INGOT_MAX_DIMS + 1;
  FAILS(ingot_network_add_input(F.net, "a", INGOT_FLOAT32, &d, &t));
  d.nb_dims = -2;
  FAILS(ingot_network_add_input(F.net, "a", INGOT_FLOAT32, &d, &t));
}
static void c_network_mark_output(void) {
  FAILS(ingot_network_mark_output(NULL, F.out_tensor));
  FAILS(ingot_network_mark_output(F.net, NULL));
  FAILS(ingot_network_mark_output(F.net, F.foreign));
}
static void c_network_unmark_output(void) {
  FAILS(ingot_network_unmark_output(NULL, F.out_tensor));
  FAILS(ingot_network_unmark_output(F.net, NULL));
  FAILS(ingot_network_unmark_output(F.net, F.foreign));
  FAILS(ingot_network_unmark_output(F.net, F.x)); /* not an output */
}
static void c_network_num_inputs(void) { CHECK(ingot_network_num_inputs(NULL) <= 0); }
static void c_network_num_outputs(void) { CHECK(ingot_network_num_outputs(NULL) <= 0); }
static void c_network_num_layers(void) { CHECK(ingot_network_num_layers(NULL) <= 0); }
static void c_network_get_input(void) {
  CHECK(ingot_network_get_input(NULL, 0) == NULL);
  CHECK(ingot_network_get_input(F.net, -1) == NULL);
  CHECK(ingot_network_get_input(F.net, 1 << 30) == NULL);
}
static void c_network_get_output(void) {
  CHECK(ingot_network_get_output(NULL, 0) == NULL);
  CHECK(ingot_network_get_output(F.net, 99) == NULL);
}
static void c_network_get_layer(void) {
  CHECK(ingot_network_get_layer(NULL, 0) == NULL);
  CHECK(ingot_network_get_layer(F.net, -5) == NULL);
}
static void c_network_find_tensor(void) {
  ingot_clear_last_error();
  CHECK(ingot_network_find_tensor(F.net, "no such tensor") == NULL);
  CHECK(ingot_last_error()[0] != '\0');
  CHECK(ingot_network_find_tensor(NULL, "x") == NULL);
  CHECK(ingot_network_find_tensor(F.net, NULL) == NULL);
}
static void c_tensor_get_name(void) { CHECK(ingot_tensor_get_name(NULL) == NULL || !ingot_tensor_get_name(NULL)[0]); }
static void c_tensor_set_name(void) {
  FAILS(ingot_tensor_set_name(NULL, "n"));
  FAILS(ingot_tensor_set_name(F.x, NULL));
  FAILS(ingot_tensor_set_name(F.x, "idx")); /* another tensor's name */
}
static void c_tensor_get_dtype(void) { (void)ingot_tensor_get_dtype(NULL); }
static void c_tensor_get_dims(void) {
  ingot_dims d;
  FAILS(ingot_tensor_get_dims(NULL, &d));
  FAILS(ingot_tensor_get_dims(F.x, NULL));
}
static void c_tensor_is_input(void) { CHECK(ingot_tensor_is_input(NULL) == 0); }
static void c_tensor_is_output(void) { CHECK(ingot_tensor_is_output(NULL) == 0); }
static void c_layer_get_name(void) { CHECK(ingot_layer_get_name(NULL) == NULL || !ingot_layer_get_name(NULL)[0]); }
static void c_layer_set_name(void) {
  FAILS(ingot_layer_set_name(NULL, "n"));
  FAILS(ingot_layer_set_name(F.layer, NULL));
}
static void c_layer_get_type(void) { (void)ingot_layer_get_type(NULL); }
static void c_layer_num_inputs(void) { CHECK(ingot_layer_num_inputs(NULL) <= 0); }
static void c_layer_num_outputs(void) { CHECK(ingot_layer_num_outputs(NULL) <= 0); }
static void c_layer_get_input(void) {
  CHECK(ingot_layer_get_input(NULL, 0) == NULL);
  CHECK(ingot_layer_get_input(F.layer, 7) == NULL);
  CHECK(ingot_layer_get_input(F.layer, -1) == NULL);
}
static void c_layer_get_output(void) {
  CHECK(ingot_layer_get_output(NULL, 0) == NULL);
  CHECK(ingot_layer_get_output(F.layer, 3) == NULL);
}
static void c_layer_set_input(void) {
  FAILS(ingot_layer_set_input(NULL, 0, F.x));
  FAILS(ingot_layer_set_input(F.layer, 0, NULL));
  FAILS(ingot_layer_set_input(F.layer, 99, F.x));
  FAILS(ingot_layer_set_input(F.layer, -1, F.x));
  FAILS(ingot_layer_set_input(F.layer, 0, F.foreign));
}

/* Every add_* function: no network, no input (or one of another network), no layer_out,
 * and where the function takes one, a value out of range. */
#define L (&F.out_layer)
static void c_network_add_convolution(void) {
  ingot_convolution_desc c;
  memset(&c, 0, sizeof c);
  c.nb_spatial_dims = 1, c.num_output_maps = 1, c.kernel_size[0] = 1;
  c.kernel_weights = (ingot_weights){INGOT_FLOAT32, F.buf, 3};
  FAILS(ingot_network_add_convolution(NULL, F.x, &c, L));
  FAILS(ingot_network_add_convolution(F.net, NULL, &c, L));
  FAILS(ingot_network_add_convolution(F.net, F.x, NULL, L));
  FAILS(ingot_network_add_convolution(F.net, F.x, &c, NULL));
  FAILS(ingot_network_add_convolution(F.net, F.foreign, &c, L));
  c.nb_spatial_dims = 99;
  FAILS(ingot_network_add_convolution(F.net, F.x, &c, L));
  c.nb_spatial_dims = 1, c.kernel_weights.values = NULL; /* a count with no values */
  FAILS(ingot_network_add_convolution(F.net, F.x, &c, L));
}
static void c_network_add_deconvolution(void) {
  ingot_convolution_desc c;
  memset(&c, 0, sizeof c);
  FAILS(ingot_network_add_deconvolution(NULL, F.x, &c, L));
  FAILS(ingot_network_add_deconvolution(F.net, NULL, &c, L));
  FAILS(ingot_network_add_deconvolution(F.net, F.x, NULL, L));
  FAILS(ingot_network_add_deconvolution(F.net, F.x, &c, NULL));
  c.nb_spatial_dims = -1;
  FAILS(ingot_network_add_deconvolution(F.net, F.x, &c, L));
}
static void c_network_add_pooling(void) {
  ingot_pooling_desc p;
  memset(&p, 0, sizeof p);
  p.nb_spatial_dims = 1, p.window_size[0] = 1;
  FAILS(ingot_network_add_pooling(NULL, F.x, &p, L));
  FAILS(ingot_network_add_pooling(F.net, NULL, &p, L));
  FAILS(ingot_network_add_pooling(F.net, F.x, NULL, L));
  FAILS(ingot_network_add_pooling(F.net, F.x, &p, NULL));
  p.type = (ingot_pooling_type)42;
  FAILS(ingot_network_add_pooling(F.net, F.x, &p, L));
}
static void c_network_add_activation(void) {
  FAILS(ingot_network_add_activation(NULL, F.x, INGOT_ACTIVATION_RELU, 0, 0, L));
  FAILS(ingot_network_add_activation(F.net, NULL, INGOT_ACTIVATION_RELU, 0, 0, L));
  FAILS(ingot_network_add_activation(F.net, F.x, INGOT_ACTIVATION_RELU, 0, 0, NULL));
  FAILS(ingot_network_add_activation(F.net, F.foreign, INGOT_ACTIVATION_RELU, 0, 0, L));
  FAILS(ingot_network_add_activation(F.net, F.x, INGOT_ACTIVATION_TYPE_COUNT, 0, 0, L));
}
static void c_network_add_parametric_relu(void) {
  FAILS(ingot_network_add_parametric_relu(NULL, F.x, F.x, L));
  FAILS(ingot_network_add_parametric_relu(F.net, NULL, F.x, L));
  FAILS(ingot_network_add_parametric_relu(F.net, F.x, NULL, L));
  FAILS(ingot_network_add_parametric_relu(F.net, F.x, F.foreign, L));
  FAILS(ingot_network_add_parametric_relu(F.net, F.x, F.x, NULL));
}
static void c_network_add_matrix_multiply(void) {
  FAILS(ingot_network_add_matrix_multiply(NULL, F.x, INGOT_MATRIX_OP_NONE, F.x, INGOT_MATRIX_OP_NONE, L));
  FAILS(ingot_network_add_matrix_multiply(F.net, NULL, INGOT_MATRIX_OP_NONE, F.x, INGOT_MATRIX_OP_NONE, L));
  FAILS(ingot_network_add_matrix_multiply(F.net, F.x, INGOT_MATRIX_OP_NONE, NULL, INGOT_MATRIX_OP_NONE, L));
  FAILS(ingot_network_add_matrix_multiply(F.net, F.x, INGOT_MATRIX_OP_NONE, F.x, INGOT_MATRIX_OP_NONE, NULL));
  FAILS(ingot_network_add_matrix_multiply(F.net, F.x, (ingot_matrix_op)9, F.x, INGOT_MATRIX_OP_NONE, L));
}
static void c_network_add_fully_connected(void) {
  ingot_weights k = {INGOT_FLOAT32, F.buf, 6};
  FAILS(ingot_network_add_fully_connected(NULL, F.x, 2, k, NO_WEIGHTS, L));
  FAILS(ingot_network_add_fully_connected(F.net, NULL, 2, k, NO_WEIGHTS, L));
  FAILS(ingot_network_add_fully_connected(F.net, F.x, 2, k, NO_WEIGHTS, NULL));
  FAILS(ingot_network_add_fully_connected(F.net, F.x, -2, k, NO_WEIGHTS, L));
  k.values = NULL;
  FAILS(ingot_network_add_fully_connected(F.net, F.x, 2, k, NO_WEIGHTS, L));
}
static void c_network_add_softmax(void) {
  FAILS(ingot_network_add_softmax(NULL, F.x, 1, L));
  FAILS(ingot_network_add_softmax(F.net, NULL, 1, L));
  FAILS(ingot_network_add_softmax(F.net, F.x, 1, NULL));
  FAILS(ingot_network_add_softmax(F.net, F.x, 40, L));
}
static void c_network_add_log_softmax(void) {
  FAILS(ingot_network_add_log_softmax(NULL, F.x, 1, L));
  FAILS(ingot_network_add_log_softmax(F.net, NULL, 1, L));
  FAILS(ingot_network_add_log_softmax(F.net, F.x, 1, NULL));
  FAILS(ingot_network_add_log_softmax(F.net, F.x, -40, L));
}
static void c_network_add_elementwise(void) {
  FAILS(ingot_network_add_elementwise(NULL, F.x, F.x, INGOT_ELEMENTWISE_SUM, L));
  FAILS(ingot_network_add_elementwise(F.net, NULL, F.x, INGOT_ELEMENTWISE_SUM, L));
  FAILS(ingot_network_add_elementwise(F.net, F.x, NULL, INGOT_ELEMENTWISE_SUM, L));
  FAILS(ingot_network_add_elementwise(F.net, F.x, F.foreign, INGOT_ELEMENTWISE_SUM, L));
  FAILS(ingot_network_add_elementwise(F.net, F.x, F.x, INGOT_ELEMENTWISE_SUM, NULL));
  FAILS(ingot_network_add_elementwise(F.net, F.x, F.x, (ingot_elementwise_op)-1, L));
}
static void c_network_add_unary(void) {
  FAILS(ingot_network_add_unary(NULL, F.x, INGOT_UNARY_EXP, L));
  FAILS(ingot_network_add_unary(F.net, NULL, INGOT_UNARY_EXP, L));
  FAILS(ingot_network_add_unary(F.net, F.x, INGOT_UNARY_EXP, NULL));
  FAILS(ingot_network_add_unary(F.net, F.x, (ingot_unary_op)1000, L));
}
static void c_network_add_scale(void) {
  ingot_weights one = {INGOT_FLOAT32, F.buf, 1};
  FAILS(ingot_network_add_scale(NULL, F.x, INGOT_SCALE_UNIFORM, one, one, one, 1, L));
  FAILS(ingot_network_add_scale(F.net, NULL, INGOT_SCALE_UNIFORM, one, one, one, 1, L));
  FAILS(ingot_network_add_scale(F.net, F.x, INGOT_SCALE_UNIFORM, one, one, one, 1, NULL));
  FAILS(ingot_network_add_scale(F.net, F.x, (ingot_scale_mode)7, one, one, one, 1, L));
}
static void c_network_add_concatenation(void) {
  ingot_tensor *two[2] = {F.x, F.x}, *with_null[2] = {F.x, NULL}, *mixed[2] = {F.x, F.foreign};
  FAILS(ingot_network_add_concatenation(NULL, two, 2, 0, L));
  FAILS(ingot_network_add_concatenation(F.net, NULL, 2, 0, L));
  FAILS(ingot_network_add_concatenation(F.net, with_null, 2, 0, L));
  FAILS(ingot_network_add_concatenation(F.net, mixed, 2, 0, L));
  FAILS(ingot_network_add_concatenation(F.net, two, 0, 0, L));
  FAILS(ingot_network_add_concatenation(F.net, two, -3, 0, L));
  FAILS(ingot_network_add_concatenation(F.net, two, 2, 0, NULL));
}
static void c_network_add_shuffle(void) {
  ingot_shuffle_desc s;
  memset(&s, 0, sizeof s);
  FAILS(ingot_network_add_shuffle(NULL, F.x, &s, L));
  FAILS(ingot_network_add_shuffle(F.net, NULL, &s, L));
  FAILS(ingot_network_add_shuffle(F.net, F.x, NULL, L));
  FAILS(ingot_network_add_shuffle(F.net, F.x, &s, NULL));
  s.has_reshape = 1;
  s.reshape_dims.nb_dims = 99;
  FAILS(ingot_network_add_shuffle(F.net, F.x, &s, L));
}
static void c_network_add_reduce(void) {
  FAILS(ingot_network_add_reduce(NULL, F.x, INGOT_REDUCE_SUM, 1, 1, L));
  FAILS(ingot_network_add_reduce(F.net, NULL, INGOT_REDUCE_SUM, 1, 1, L));
  FAILS(ingot_network_add_reduce(F.net, F.x, INGOT_REDUCE_SUM, 1, 1, NULL));
  FAILS(ingot_network_add_reduce(F.net, F.x, INGOT_REDUCE_OP_COUNT, 1, 1, L));
}
static void c_network_add_constant(void) {
  ingot_dims d = dims2(2, 3);
  ingot_weights w = {INGOT_FLOAT32, F.buf, 6}, short_w = {INGOT_FLOAT32, F.buf, 5}, bad = {(ingot_dtype)50, F.buf, 6};
  FAILS(ingot_network_add_constant(NULL, &d, w, L));
  FAILS(ingot_network_add_constant(F.net, NULL, w, L));
  FAILS(ingot_network_add_constant(F.net, &d, w, NULL));
  FAILS(ingot_network_add_constant(F.net, &d, short_w, L)); /* count is not the volume */
  FAILS(ingot_network_add_constant(F.net, &d, bad, L));
  ingot_dims huge = dims2(INT64_C(1) << 40, INT64_C(1) << 40);
  FAILS(ingot_network_add_constant(F.net, &huge, w, L));
}
static void c_network_add_identity(void) {
  FAILS(ingot_network_add_identity(NULL, F.x, L));
  FAILS(ingot_network_add_identity(F.net, NULL, L));
  FAILS(ingot_network_add_identity(F.net, F.x, NULL));
  FAILS(ingot_network_add_identity(F.net, F.foreign, L));
}
static void c_network_add_cast(void) {
  FAILS(ingot_network_add_cast(NULL, F.x, INGOT_INT32, L));
  FAILS(ingot_network_add_cast(F.net, NULL, INGOT_INT32, L));
  FAILS(ingot_network_add_cast(F.net, F.x, INGOT_INT32, NULL));
  FAILS(ingot_network_add_cast(F.net, F.x, (ingot_dtype)31, L));
}
static void c_network_add_slice(void) {
  ingot_dims s = dims2(0, 0), z = dims2(1, 1), st = dims2(1, 1);
  FAILS(ingot_network_add_slice(NULL, F.x, &s, &z, &st, L));
  FAILS(ingot_network_add_slice(F.net, NULL, &s, &z, &st, L));
  FAILS(ingot_network_add_slice(F.net, F.x, &s, &z, &st, NULL));
  s.nb_dims = 77;
  FAILS(ingot_network_add_slice(F.net, F.x, &s, &z, &st, L));
}
static void c_network_add_gather(void) {
  FAILS(ingot_network_add_gather(NULL, F.x, F.idx, 0, L));
  FAILS(ingot_network_add_gather(F.net, NULL, F.idx, 0, L));
  FAILS(ingot_network_add_gather(F.net, F.x, NULL, 0, L));
  FAILS(ingot_network_add_gather(F.net, F.x, F.idx, 0, NULL));
}
static void c_network_add_select(void) {
  FAILS(ingot_network_add_select(NULL, F.flag, F.x, F.x, L));
  FAILS(ingot_network_add_select(F.net, NULL, F.x, F.x, L));
  FAILS(ingot_network_add_select(F.net, F.flag, NULL, F.x, L));
  FAILS(ingot_network_add_select(F.net, F.flag, F.x, NULL, L));
  FAILS(ingot_network_add_select(F.net, F.flag, F.x, F.x, NULL));
}
static void c_network_add_batch_normalization(void) {
  ingot_weights w = {INGOT_FLOAT32, F.buf, 3};
  FAILS(ingot_network_add_batch_normalization(NULL, F.x, w, w, w, w, 1e-5f, L));
  FAILS(ingot_network_add_batch_normalization(F.net, NULL, w, w, w, w, 1e-5f, L));
  FAILS(ingot_network_add_batch_normalization(F.net, F.x, w, w, w, w, 1e-5f, NULL));
  w.values = NULL;
  FAILS(ingot_network_add_batch_normalization(F.net, F.x, w, w, w, w, 1e-5f, L));
}
static void c_network_add_attention(void) {
  FAILS(ingot_network_add_attention(NULL, F.x, F.x, F.x, NULL, 0.5f, L));
  FAILS(ingot_network_add_attention(F.net, NULL, F.x, F.x, NULL, 0.5f, L));
  FAILS(ingot_network_add_attention(F.net, F.x, NULL, F.x, NULL, 0.5f, L));
  FAILS(ingot_network_add_attention(F.net, F.x, F.x, NULL, NULL, 0.5f, L));
  FAILS(ingot_network_add_attention(F.net, F.x, F.x, F.x, NULL, 0.5f, NULL));
  FAILS(ingot_network_add_attention(F.net, F.x, F.foreign, F.x, NULL, 0.5f, L));
  FAILS(ingot_network_add_attention(F.net, F.x, F.x, F.x, F.foreign, 0.5f, L));
  FAILS(ingot_network_add_attention(F.net, F.x, F.x, F.x, NULL, NAN, L));
}

static void c_network_add_layer_normalization(void) {
  FAILS(ingot_network_add_layer_normalization(NULL, F.x, NULL, NULL, 2, 1e-5f, L));
  FAILS(ingot_network_add_layer_normalization(F.net, NULL, NULL, NULL, 2, 1e-5f, L));
  FAILS(ingot_network_add_layer_normalization(F.net, F.x, NULL, NULL, 2, 1e-5f, NULL));
  FAILS(ingot_network_add_layer_normalization(F.net, F.x, F.foreign, NULL, 2, 1e-5f, L));
}
static void c_network_add_resize(void) {
  ingot_resize_desc r;
  memset(&r, 0, sizeof r);
  r.output_dims = dims2(2, 3);
  FAILS(ingot_network_add_resize(NULL, F.x, &r, L));
  FAILS(ingot_network_add_resize(F.net, NULL, &r, L));
  FAILS(ingot_network_add_resize(F.net, F.x, NULL, L));
  FAILS(ingot_network_add_resize(F.net, F.x, &r, NULL));
  r.mode = (ingot_resize_mode)12;
  FAILS(ingot_network_add_resize(F.net, F.x, &r, L));
}
static void c_network_add_padding(void) {
  ingot_padding_desc p;
  memset(&p, 0, sizeof p);
  p.nb_dims = 2;
  FAILS(ingot_network_add_padding(NULL, F.x, &p, L));
  FAILS(ingot_network_add_padding(F.net, NULL, &p, L));
  FAILS(ingot_network_add_padding(F.net, F.x, NULL, L));
  FAILS(ingot_network_add_padding(F.net, F.x, &p, NULL));
  p.mode = (ingot_pad_mode)-4;
  FAILS(ingot_network_add_padding(F.net, F.x, &p, L));
}
static void c_network_add_topk(void) {
  FAILS(ingot_network_add_topk(NULL, F.x, INGOT_TOPK_MAX, 1, 1, L));
  FAILS(ingot_network_add_topk(F.net, NULL, INGOT_TOPK_MAX, 1, 1, L));
  FAILS(ingot_network_add_topk(F.net, F.x, INGOT_TOPK_MAX, 1, 1, NULL));
  FAILS(ingot_network_add_topk(F.net, F.x, (ingot_topk_op)5, 1, 1, L));
  FAILS(ingot_network_add_topk(F.net, F.x, INGOT_TOPK_MAX, -1, 1, L));
}
static void c_network_add_shape(void) {
  FAILS(ingot_network_add_shape(NULL, F.x, L));
  FAILS(ingot_network_add_shape(F.net, NULL, L));
  FAILS(ingot_network_add_shape(F.net, F.x, NULL));
}
static void c_network_add_fill(void) {
  FAILS(ingot_network_add_fill(NULL, F.idx, INGOT_FLOAT32, 0, L));
  FAILS(ingot_network_add_fill(F.net, NULL, INGOT_FLOAT32, 0, L));
  FAILS(ingot_network_add_fill(F.net, F.idx, INGOT_FLOAT32, 0, NULL));
  FAILS(ingot_network_add_fill(F.net, F.idx, (ingot_dtype)66, 0, L));
}
static void c_network_add_range(void) {
  FAILS(ingot_network_add_range(NULL, F.x, F.x, F.x, L));
  FAILS(ingot_network_add_range(F.net, NULL, F.x, F.x, L));
  FAILS(ingot_network_add_range(F.net, F.x, NULL, F.x, L));
  FAILS(ingot_network_add_range(F.net, F.x, F.x, NULL, L));
  FAILS(ingot_network_add_range(F.net, F.x, F.x, F.x, NULL));
}
static void c_network_add_gather_elements(void) {
  FAILS(ingot_network_add_gather_elements(NULL, F.x, F.idx, 0, L));
  FAILS(ingot_network_add_gather_elements(F.net, NULL, F.idx, 0, L));
  FAILS(ingot_network_add_gather_elements(F.net, F.x, NULL, 0, L));
  FAILS(ingot_network_add_gather_elements(F.net, F.x, F.idx, 0, NULL));
}
static void c_network_add_gather_nd(void) {
  FAILS(ingot_network_add_gather_nd(NULL, F.x, F.idx, 0, L));
  FAILS(ingot_network_add_gather_nd(F.net, NULL, F.idx, 0, L));
  FAILS(ingot_network_add_gather_nd(F.net, F.x, NULL, 0, L));
  FAILS(ingot_network_add_gather_nd(F.net, F.x, F.idx, 0, NULL));
}
static void c_network_add_scatter(void) {
  FAILS(ingot_network_add_scatter(NULL, F.x, F.idx, F.x, INGOT_SCATTER_ND, 0, INGOT_SCATTER_REDUCE_NONE, L));
  FAILS(ingot_network_add_scatter(F.net, NULL, F.idx, F.x, INGOT_SCATTER_ND, 0, INGOT_SCATTER_REDUCE_NONE, L));
  FAILS(ingot_network_add_scatter(F.net, F.x, NULL, F.x, INGOT_SCATTER_ND, 0, INGOT_SCATTER_REDUCE_NONE, L));
  FAILS(ingot_network_add_scatter(F.net, F.x, F.idx, NULL, INGOT_SCATTER_ND, 0, INGOT_SCATTER_REDUCE_NONE, L));
  FAILS(ingot_network_add_scatter(F.net, F.x, F.idx, F.x, INGOT_SCATTER_ND, 0, INGOT_SCATTER_REDUCE_NONE, NULL));
  FAILS(ingot_network_add_scatter(F.net, F.x, F.idx, F.x, (ingot_scatter_mode)8, 0, INGOT_SCATTER_REDUCE_NONE, L));
}
static void c_network_add_cumulative(void) {
  FAILS(ingot_network_add_cumulative(NULL, F.x, 0, 0, 0, L));
  FAILS(ingot_network_add_cumulative(F.net, NULL, 0, 0, 0, L));
  FAILS(ingot_network_add_cumulative(F.net, F.x, 0, 0, 0, NULL));
}
static void c_network_add_expand(void) {
  FAILS(ingot_network_add_expand(NULL, F.x, F.idx, L));
  FAILS(ingot_network_add_expand(F.net, NULL, F.idx, L));
  FAILS(ingot_network_add_expand(F.net, F.x, NULL, L));
  FAILS(ingot_network_add_expand(F.net, F.x, F.idx, NULL));
}
static void c_network_add_tile(void) {
  FAILS(ingot_network_add_tile(NULL, F.x, F.idx, L));
  FAILS(ingot_network_add_tile(F.net, NULL, F.idx, L));
  FAILS(ingot_network_add_tile(F.net, F.x, NULL, L));
  FAILS(ingot_network_add_tile(F.net, F.x, F.idx, NULL));
}
static void c_network_add_quantize(void) {
  FAILS(ingot_network_add_quantize(NULL, F.x, F.x, NULL, 0, INGOT_INT8, L));
  FAILS(ingot_network_add_quantize(F.net, NULL, F.x, NULL, 0, INGOT_INT8, L));
  FAILS(ingot_network_add_quantize(F.net, F.x, NULL, NULL, 0, INGOT_INT8, L));
  FAILS(ingot_network_add_quantize(F.net, F.x, F.x, NULL, 0, INGOT_INT8, NULL));
  FAILS(ingot_network_add_quantize(F.net, F.x, F.x, NULL, 0, INGOT_FLOAT32, L)); /* not int8/uint8 */
}
static void c_network_add_dequantize(void) {
  FAILS(ingot_network_add_dequantize(NULL, F.idx, F.x, NULL, 0, L));
  FAILS(ingot_network_add_dequantize(F.net, NULL, F.x, NULL, 0, L));
  FAILS(ingot_network_add_dequantize(F.net, F.idx, NULL, NULL, 0, L));
  FAILS(ingot_network_add_dequantize(F.net, F.idx, F.x, NULL, 0, NULL));
}
static void c_network_add_einsum(void) {
  ingot_tensor *one[1] = {F.x}, *none[1] = {NULL};
  FAILS(ingot_network_add_einsum(NULL, one, 1, "ij->ji", L));
  FAILS(ingot_network_add_einsum(F.net, NULL, 1, "ij->ji", L));
  FAILS(ingot_network_add_einsum(F.net, none, 1, "ij->ji", L));
  FAILS(ingot_network_add_einsum(F.net, one, 1, NULL, L));
  FAILS(ingot_network_add_einsum(F.net, one, 1, "ij->ji", NULL));
  FAILS(ingot_network_add_einsum(F.net, one, 3, "ij->ji", L));
}
static void c_network_add_rnn(void) {
  ingot_rnn_desc r;
  memset(&r, 0, sizeof r);
  r.hidden_size = 2;
  FAILS(ingot_network_add_rnn(NULL, F.x, F.x, F.x, NULL, &r, L));
  FAILS(ingot_network_add_rnn(F.net, NULL, F.x, F.x, NULL, &r, L));
  FAILS(ingot_network_add_rnn(F.net, F.x, NULL, F.x, NULL, &r, L));
  FAILS(ingot_network_add_rnn(F.net, F.x, F.x, NULL, NULL, &r, L));
  FAILS(ingot_network_add_rnn(F.net, F.x, F.x, F.x, NULL, NULL, L));
  FAILS(ingot_network_add_rnn(F.net, F.x, F.x, F.x, NULL, &r, NULL));
  r.hidden_size = -1;
  FAILS(ingot_network_add_rnn(F.net, F.x, F.x, F.x, NULL, &r, L));
}
static void c_network_add_non_zero(void) {
  FAILS(ingot_network_add_non_zero(NULL, F.x, L));
  FAILS(ingot_network_add_non_zero(F.net, NULL, L));
  FAILS(ingot_network_add_non_zero(F.net, F.x, NULL));
}
static void c_network_add_non_max_suppression(void) {
  FAILS(ingot_network_add_non_max_suppression(NULL, F.x, F.x, NULL, NULL, NULL, 0, L));
  FAILS(ingot_network_add_non_max_suppression(F.net, NULL, F.x, NULL, NULL, NULL, 0, L));
  FAILS(ingot_network_add_non_max_suppression(F.net, F.x, NULL, NULL, NULL, NULL, 0, L));
  FAILS(ingot_network_add_non_max_suppression(F.net, F.x, F.x, NULL, NULL, NULL, 0, NULL));
}
static void c_network_add_compress(void) {
  FAILS(ingot_network_add_compress(NULL, F.x, F.flag, 0, 0, L));
  FAILS(ingot_network_add_compress(F.net, NULL, F.flag, 0, 0, L));
  FAILS(ingot_network_add_compress(F.net, F.x, NULL, 0, 0, L));
  FAILS(ingot_network_add_compress(F.net, F.x, F.flag, 0, 0, NULL));
}
static void c_network_add_unique(void) {
  FAILS(ingot_network_add_unique(NULL, F.x, 1, 0, 0, L));
  FAILS(ingot_network_add_unique(F.net, NULL, 1, 0, 0, L));
  FAILS(ingot_network_add_unique(F.net, F.x, 1, 0, 0, NULL));
}
#undef L

/* ---- builder, config, profile, plan --------------------------------------------------------- */
static void c_target_name(void) { CHECK(ingot_target_name((ingot_target)9) != NULL); }
static void c_builder_create(void) { FAILS(ingot_builder_create(F.logger, NULL)); }
static void c_builder_destroy(void) { ingot_builder_destroy(NULL); }
static void c_builder_build_serialized_network(void) {
  ingot_plan *p = NULL;
  FAILS(ingot_builder_build_serialized_network(NULL, F.net, F.config, &p));
  FAILS(ingot_builder_build_serialized_network(F.builder, NULL, F.config, &p));
  FAILS(ingot_builder_build_serialized_network(F.builder, F.net, NULL, &p));
  FAILS(ingot_builder_build_serialized_network(F.builder, F.net, F.config, NULL));
  /* F.net's inputs idx and flag are unused and "x" lacks nothing, but the other network
   * has no outputs at all: refused with a message. */
  FAILS(ingot_builder_build_serialized_network(F.builder, F.other, F.config, &p));
  /* A dynamic input with no profile covering it. */
  ingot_builder_config *bare = NULL;
  CHECK_OK(ingot_builder_config_create(&bare));
  ingot_network *dyn = NULL;
  ingot_tensor *t;
  ingot_layer *l;
  ingot_dims d = dims2(-1, 3);
  CHECK_OK(ingot_network_create(F.logger, &dyn));
  CHECK_OK(ingot_network_add_input(dyn, "x", INGOT_FLOAT32, &d, &t));
  CHECK_OK(ingot_network_add_activation(dyn, t, INGOT_ACTIVATION_RELU, 0, 0, &l));
  CHECK_OK(ingot_network_mark_output(dyn, ingot_layer_get_output(l, 0)));
  FAILS(ingot_builder_build_serialized_network(F.builder, dyn, bare, &p));
  ingot_network_destroy(dyn);
  ingot_builder_config_destroy(bare);
}
static void c_builder_config_create(void) { FAILS(ingot_builder_config_create(NULL)); }
static void c_builder_config_destroy(void) { ingot_builder_config_destroy(NULL); }
static void c_builder_config_set_target(void) {
  FAILS(ingot_builder_config_set_target(NULL, INGOT_TARGET_CPU, 0));
  FAILS(ingot_builder_config_set_target(F.config, (ingot_target)7, 0));
  FAILS(ingot_builder_config_set_target(F.config, INGOT_TARGET_CUDA, -1));
}
static void c_builder_config_set_workspace_limit(void) { FAILS(ingot_builder_config_set_workspace_limit(NULL, 1)); }
static void c_builder_config_get_workspace_limit(void) { CHECK(ingot_builder_config_get_workspace_limit(NULL) == 0); }
static void c_builder_config_set_flag(void) {
  FAILS(ingot_builder_config_set_flag(NULL, INGOT_BUILDER_FLAG_FP16, 1));
  FAILS(ingot_builder_config_set_flag(F.config, INGOT_BUILDER_FLAG_COUNT, 1));
  FAILS(ingot_builder_config_set_flag(F.config, (ingot_builder_flag)-1, 1));
}
static void c_builder_config_get_flag(void) {
  CHECK(ingot_builder_config_get_flag(NULL, INGOT_BUILDER_FLAG_FP16) == 0);
  CHECK(ingot_builder_config_get_flag(F.config, INGOT_BUILDER_FLAG_COUNT) == 0);
}
static void c_builder_config_set_timing_iterations(void) {
  FAILS(ingot_builder_config_set_timing_iterations(NULL, 1));
  FAILS(ingot_builder_config_set_timing_iterations(F.config, -1));
}
static void c_builder_config_set_num_threads(void) {
  FAILS(ingot_builder_config_set_num_threads(NULL, 1));
  FAILS(ingot_builder_config_set_num_threads(F.config, -2));
}
static void c_builder_config_set_tactic_sources(void) {
  FAILS(ingot_builder_config_set_tactic_sources(NULL, INGOT_TACTIC_SOURCE_ALL));
  FAILS(ingot_builder_config_set_tactic_sources(F.config, 1u << 31)); /* not a source */
}
static void c_builder_config_get_tactic_sources(void) { CHECK(ingot_builder_config_get_tactic_sources(NULL) == 0); }
static void c_builder_config_add_optimization_profile(void) {
  FAILS(ingot_builder_config_add_optimization_profile(NULL, F.profile, NULL));
  FAILS(ingot_builder_config_add_optimization_profile(F.config, NULL, NULL));
  /* min > max */
  ingot_optimization_profile *p = NULL;
  CHECK_OK(ingot_optimization_profile_create(&p));
  ingot_dims mn = dims2(8, 3), mx = dims2(2, 3);
  CHECK_OK(ingot_optimization_profile_set_dimensions(p, "x", INGOT_PROFILE_MIN, &mn));
  CHECK_OK(ingot_optimization_profile_set_dimensions(p, "x", INGOT_PROFILE_OPT, &mx));
  CHECK_OK(ingot_optimization_profile_set_dimensions(p, "x", INGOT_PROFILE_MAX, &mx));
  FAILS(ingot_builder_config_add_optimization_profile(F.config, p, NULL));
  ingot_optimization_profile_destroy(p);
}
static void c_builder_config_num_optimization_profiles(void) {
  CHECK(ingot_builder_config_num_optimization_profiles(NULL) <= 0);
}
static void c_optimization_profile_create(void) { FAILS(ingot_optimization_profile_create(NULL)); }
static void c_optimization_profile_destroy(void) { ingot_optimization_profile_destroy(NULL); }
static void c_optimization_profile_set_dimensions(void) {
  ingot_dims d = dims2(1, 3);
  FAILS(ingot_optimization_profile_set_dimensions(NULL, "x", INGOT_PROFILE_MIN, &d));
  FAILS(ingot_optimization_profile_set_dimensions(F.profile, NULL, INGOT_PROFILE_MIN, &d));
  FAILS(ingot_optimization_profile_set_dimensions(F.profile, "x", INGOT_PROFILE_MIN, NULL));
  FAILS(ingot_optimization_profile_set_dimensions(F.profile, "x", (ingot_profile_selector)3, &d));
  d.d[0] = -1; /* a profile's dims are concrete */
  FAILS(ingot_optimization_profile_set_dimensions(F.profile, "x", INGOT_PROFILE_MIN, &d));
}
static void c_optimization_profile_get_dimensions(void) {
  ingot_dims d;
  FAILS(ingot_optimization_profile_get_dimensions(NULL, "x", INGOT_PROFILE_MIN, &d));
  FAILS(ingot_optimization_profile_get_dimensions(F.profile, NULL, INGOT_PROFILE_MIN, &d));
  FAILS(ingot_optimization_profile_get_dimensions(F.profile, "x", INGOT_PROFILE_MIN, NULL));
  FAILS(ingot_optimization_profile_get_dimensions(F.profile, "nope", INGOT_PROFILE_MIN, &d));
  FAILS(ingot_optimization_profile_get_dimensions(F.profile, "x", (ingot_profile_selector)-1, &d));
}
static void c_plan_data(void) { CHECK(ingot_plan_data(NULL) == NULL); }
static void c_plan_size(void) { CHECK(ingot_plan_size(NULL) == 0); }
static void c_plan_save(void) {
  FAILS(ingot_plan_save(NULL, "/tmp/x.plan"));
  FAILS(ingot_plan_save(F.plan, NULL));
  FAILS(ingot_plan_save(F.plan, "/nonexistent-dir/sub/x.plan"));
}
static void c_plan_destroy(void) { ingot_plan_destroy(NULL); }

/* ---- timing cache ------------------------------------------------------------------------------ */
static void c_builder_config_set_timing_cache(void) {
  FAILS(ingot_builder_config_set_timing_cache(NULL, NULL));
  CHECK_OK(ingot_builder_config_set_timing_cache(F.config, NULL)); /* detaching is allowed */
}
static void c_timing_cache_create(void) {
  ingot_timing_cache *c = NULL;
  FAILS(ingot_timing_cache_create(NULL, 0, NULL));
  FAILS(ingot_timing_cache_create(NULL, 16, &c));
  CHECK(c == NULL);
  FAILS(ingot_timing_cache_create("not a timing cache, only text here", 34, &c));
  CHECK(c == NULL);
}
static void c_timing_cache_destroy(void) { ingot_timing_cache_destroy(NULL); }
static void c_timing_cache_num_entries(void) { CHECK(ingot_timing_cache_num_entries(NULL) == 0); }
static void c_timing_cache_serialized_size(void) { CHECK(ingot_timing_cache_serialized_size(NULL) == 0); }
static void c_timing_cache_serialize(void) {
  ingot_timing_cache *c = NULL;
  char buf[8];
  FAILS(ingot_timing_cache_serialize(NULL, buf, sizeof buf));
  CHECK_OK(ingot_timing_cache_create(NULL, 0, &c));
  FAILS(ingot_timing_cache_serialize(c, NULL, 64));
  FAILS(ingot_timing_cache_serialize(c, buf, sizeof buf)); /* too small */
  ingot_timing_cache_destroy(c);
}
static void c_timing_cache_load(void) {
  ingot_timing_cache *c = NULL;
  FAILS(ingot_timing_cache_load(NULL, &c));
  FAILS(ingot_timing_cache_load("/nonexistent-dir/t.cache", NULL));
  FAILS(ingot_timing_cache_load("/nonexistent-dir/t.cache", &c));
  CHECK(c == NULL);
}
static void c_timing_cache_save(void) {
  ingot_timing_cache *c = NULL;
  FAILS(ingot_timing_cache_save(NULL, "/tmp/t.cache"));
  CHECK_OK(ingot_timing_cache_create(NULL, 0, &c));
  FAILS(ingot_timing_cache_save(c, NULL));
  FAILS(ingot_timing_cache_save(c, "/nonexistent-dir/sub/t.cache"));
  ingot_timing_cache_destroy(c);
}
static void c_timing_cache_combine(void) {
  ingot_timing_cache *c = NULL;
  CHECK_OK(ingot_timing_cache_create(NULL, 0, &c));
  FAILS(ingot_timing_cache_combine(NULL, c));
  FAILS(ingot_timing_cache_combine(c, NULL));
  ingot_timing_cache_destroy(c);
}

/* ---- runtime, engine, context, stream, profiler ---------------------------------------------- */
static void c_runtime_create(void) { FAILS(ingot_runtime_create(F.logger, NULL)); }
static void c_runtime_destroy(void) { ingot_runtime_destroy(NULL); }
static void c_runtime_deserialize_engine(void) {
  ingot_engine *e = NULL;
  const char junk[80] = "not a plan";
  FAILS(ingot_runtime_deserialize_engine(NULL, ingot_plan_data(F.plan), ingot_plan_size(F.plan), &e));
  FAILS(ingot_runtime_deserialize_engine(F.runtime, NULL, 100, &e));
  FAILS(ingot_runtime_deserialize_engine(F.runtime, ingot_plan_data(F.plan), ingot_plan_size(F.plan), NULL));
  FAILS(ingot_runtime_deserialize_engine(F.runtime, junk, sizeof junk, &e));
  FAILS(ingot_runtime_deserialize_engine(F.runtime, ingot_plan_data(F.plan), 0, &e));
  FAILS(ingot_runtime_deserialize_engine(F.runtime, ingot_plan_data(F.plan), ingot_plan_size(F.plan) - 1, &e));
}
static void c_runtime_load_engine(void) {
  ingot_engine *e = NULL;
  FAILS(ingot_runtime_load_engine(NULL, "/tmp/x.plan", &e));
  FAILS(ingot_runtime_load_engine(F.runtime, NULL, &e));
  FAILS(ingot_runtime_load_engine(F.runtime, "/nonexistent/x.plan", &e));
  FAILS(ingot_runtime_load_engine(F.runtime, "/", &e)); /* a directory */
  FAILS(ingot_runtime_load_engine(F.runtime, "/nonexistent/x.plan", NULL));
}
static void c_engine_destroy(void) { ingot_engine_destroy(NULL); }
static void c_engine_num_io_tensors(void) { CHECK(ingot_engine_num_io_tensors(NULL) <= 0); }
static void c_engine_get_io_tensor_name(void) {
  CHECK(ingot_engine_get_io_tensor_name(NULL, 0) == NULL);
  CHECK(ingot_engine_get_io_tensor_name(F.engine, -1) == NULL);
  CHECK(ingot_engine_get_io_tensor_name(F.engine, 2) == NULL);
}
static void c_engine_get_tensor_io_mode(void) {
  ingot_tensor_io_mode m;
  FAILS(ingot_engine_get_tensor_io_mode(NULL, "x", &m));
  FAILS(ingot_engine_get_tensor_io_mode(F.engine, NULL, &m));
  FAILS(ingot_engine_get_tensor_io_mode(F.engine, "nope", &m));
  FAILS(ingot_engine_get_tensor_io_mode(F.engine, "x", NULL));
}
static void c_engine_get_tensor_dtype(void) {
  ingot_dtype t;
  FAILS(ingot_engine_get_tensor_dtype(NULL, "x", &t));
  FAILS(ingot_engine_get_tensor_dtype(F.engine, NULL, &t));
  FAILS(ingot_engine_get_tensor_dtype(F.engine, "nope", &t));
  FAILS(ingot_engine_get_tensor_dtype(F.engine, "x", NULL));
}
static void c_engine_get_tensor_dims(void) {
  ingot_dims d;
  FAILS(ingot_engine_get_tensor_dims(NULL, "x", &d));
  FAILS(ingot_engine_get_tensor_dims(F.engine, NULL, &d));
  FAILS(ingot_engine_get_tensor_dims(F.engine, "nope", &d));
  FAILS(ingot_engine_get_tensor_dims(F.engine, "x", NULL));
}
static void c_engine_num_optimization_profiles(void) { CHECK(ingot_engine_num_optimization_profiles(NULL) <= 0); }
static void c_engine_get_profile_dims(void) {
  ingot_dims d;
  FAILS(ingot_engine_get_profile_dims(NULL, "x", 0, INGOT_PROFILE_MIN, &d));
  FAILS(ingot_engine_get_profile_dims(F.engine, NULL, 0, INGOT_PROFILE_MIN, &d));
  FAILS(ingot_engine_get_profile_dims(F.engine, "nope", 0, INGOT_PROFILE_MIN, &d));
  FAILS(ingot_engine_get_profile_dims(F.engine, "y", 0, INGOT_PROFILE_MIN, &d)); /* an output */
  FAILS(ingot_engine_get_profile_dims(F.engine, "x", 1, INGOT_PROFILE_MIN, &d));
  FAILS(ingot_engine_get_profile_dims(F.engine, "x", -1, INGOT_PROFILE_MIN, &d));
  FAILS(ingot_engine_get_profile_dims(F.engine, "x", 0, (ingot_profile_selector)5, &d));
  FAILS(ingot_engine_get_profile_dims(F.engine, "x", 0, INGOT_PROFILE_MIN, NULL));
}
static void c_engine_get_target(void) { (void)ingot_engine_get_target(NULL); }
static void c_engine_num_layers(void) { CHECK(ingot_engine_num_layers(NULL) <= 0); }
static void c_engine_get_layer_info(void) {
  ingot_layer_info info;
  FAILS(ingot_engine_get_layer_info(NULL, 0, &info));
  FAILS(ingot_engine_get_layer_info(F.engine, -1, &info));
  FAILS(ingot_engine_get_layer_info(F.engine, 1000, &info));
  FAILS(ingot_engine_get_layer_info(F.engine, 0, NULL));
}
static void c_engine_get_layer_plugin(void) {
  const char *name = "x", *version = "x", *ns = "x";
  FAILS(ingot_engine_get_layer_plugin(NULL, 0, &name, &version, &ns));
  CHECK(name == NULL && version == NULL && ns == NULL);
  FAILS(ingot_engine_get_layer_plugin(F.engine, -1, &name, NULL, NULL));
  FAILS(ingot_engine_get_layer_plugin(F.engine, 1000, NULL, NULL, NULL));
  name = "x";
  CHECK_OK(ingot_engine_get_layer_plugin(F.engine, 0, &name, NULL, NULL)); /* not a plugin layer */
  CHECK(name == NULL);
}
static void c_engine_get_activation_memory(void) {
  CHECK(ingot_engine_get_activation_memory(NULL, 0) == 0);
  CHECK(ingot_engine_get_activation_memory(F.engine, 5) == 0);
  CHECK(ingot_engine_get_activation_memory(F.engine, -1) == 0);
}
static void c_engine_get_weights_memory(void) { CHECK(ingot_engine_get_weights_memory(NULL) == 0); }
static void c_engine_get_packed_weights_memory(void) { CHECK(ingot_engine_get_packed_weights_memory(NULL) == 0); }
static void c_engine_create_execution_context(void) {
  ingot_execution_context *c = NULL;
  FAILS(ingot_engine_create_execution_context(NULL, &c));
  FAILS(ingot_engine_create_execution_context(F.engine, NULL));
}
static void c_execution_context_destroy(void) { ingot_execution_context_destroy(NULL); }
static void c_execution_context_set_optimization_profile(void) {
  FAILS(ingot_execution_context_set_optimization_profile(NULL, 0));
  FAILS(ingot_execution_context_set_optimization_profile(F.ctx, 1));
  FAILS(ingot_execution_context_set_optimization_profile(F.ctx, -1));
}
static void c_execution_context_set_input_shape(void) {
  ingot_dims d = dims2(2, 3), big = dims2(5, 3), small = dims2(0, 3), wrong_rank = dims2(2, 3);
  wrong_rank.nb_dims = 3;
  FAILS(ingot_execution_context_set_input_shape(NULL, "x", &d));
  FAILS(ingot_execution_context_set_input_shape(F.ctx, NULL, &d));
  FAILS(ingot_execution_context_set_input_shape(F.ctx, "x", NULL));
  FAILS(ingot_execution_context_set_input_shape(F.ctx, "nope", &d));
  FAILS(ingot_execution_context_set_input_shape(F.ctx, "y", &d)); /* an output */
  FAILS(ingot_execution_context_set_input_shape(F.ctx, "x", &big)); /* over the profile's max */
  FAILS(ingot_execution_context_set_input_shape(F.ctx, "x", &small)); /* under its min */
  FAILS(ingot_execution_context_set_input_shape(F.ctx, "x", &wrong_rank));
  d.d[1] = 4; /* a fixed dim changed */
  FAILS(ingot_execution_context_set_input_shape(F.ctx, "x", &d));
}
static void c_execution_context_get_tensor_shape(void) {
  ingot_dims d;
  ingot_execution_context *c = NULL;
  CHECK_OK(ingot_engine_create_execution_context(F.engine, &c));
  FAILS(ingot_execution_context_get_tensor_shape(c, "y", &d)); /* input shape not set yet */
  ingot_execution_context_destroy(c);
  FAILS(ingot_execution_context_get_tensor_shape(NULL, "y", &d));
  FAILS(ingot_execution_context_get_tensor_shape(F.ctx, NULL, &d));
  FAILS(ingot_execution_context_get_tensor_shape(F.ctx, "nope", &d));
  FAILS(ingot_execution_context_get_tensor_shape(F.ctx, "x", NULL));
}
static void c_execution_context_get_tensor_max_shape(void) {
  ingot_dims d;
  ingot_execution_context *c = NULL;
  CHECK_OK(ingot_engine_create_execution_context(F.engine, &c));
  FAILS(ingot_execution_context_get_tensor_max_shape(c, "y", &d)); /* input shape not set yet */
  ingot_execution_context_destroy(c);
  FAILS(ingot_execution_context_get_tensor_max_shape(NULL, "y", &d));
  FAILS(ingot_execution_context_get_tensor_max_shape(F.ctx, NULL, &d));
  FAILS(ingot_execution_context_get_tensor_max_shape(F.ctx, "nope", &d));
  FAILS(ingot_execution_context_get_tensor_max_shape(F.ctx, "x", NULL));
}
static void c_execution_context_set_tensor_address(void) {
  FAILS(ingot_execution_context_set_tensor_address(NULL, "x", F.buf));
  FAILS(ingot_execution_context_set_tensor_address(F.ctx, NULL, F.buf));
  FAILS(ingot_execution_context_set_tensor_address(F.ctx, "nope", F.buf));
}
static void c_execution_context_set_num_threads(void) {
  FAILS(ingot_execution_context_set_num_threads(NULL, 1));
  FAILS(ingot_execution_context_set_num_threads(F.ctx, -1));
}
/* Out of order: no shape, then no addresses; then a correct run still works. */
static void c_execution_context_execute(void) {
  FAILS(ingot_execution_context_execute(NULL));
  ingot_execution_context *c = NULL;
  CHECK_OK(ingot_engine_create_execution_context(F.engine, &c));
  FAILS(ingot_execution_context_execute(c)); /* no input shape */
  ingot_dims d = dims2(2, 3);
  CHECK_OK(ingot_execution_context_set_input_shape(c, "x", &d));
  FAILS(ingot_execution_context_execute(c)); /* no addresses */
  float in[6] = {-1, 2, -3, 4, -5, 6}, out[6] = {0};
  CHECK_OK(ingot_execution_context_set_tensor_address(c, "x", in));
  FAILS(ingot_execution_context_execute(c)); /* output address missing */
  CHECK_OK(ingot_execution_context_set_tensor_address(c, "y", out));
  CHECK_OK(ingot_execution_context_execute(c));
  CHECK(out[0] == 0 && out[1] == 2 && out[5] == 6);
  /* Switching the profile clears the shapes: execute must refuse again. */
  CHECK_OK(ingot_execution_context_set_optimization_profile(c, 0));
  FAILS(ingot_execution_context_execute(c));
  ingot_execution_context_destroy(c);
}
static void c_execution_context_enqueue(void) {
  FAILS(ingot_execution_context_enqueue(NULL, F.stream));
  FAILS(ingot_execution_context_enqueue(F.ctx, NULL));
  ingot_execution_context *c = NULL;
  CHECK_OK(ingot_engine_create_execution_context(F.engine, &c));
  /* Either refused at once or reported by synchronize: never silently run. */
  ingot_clear_last_error();
  ingot_status st = ingot_execution_context_enqueue(c, F.stream);
  if (st == INGOT_SUCCESS) st = ingot_stream_synchronize(F.stream);
  CHECK(st != INGOT_SUCCESS && ingot_last_error()[0] != '\0');
  ingot_execution_context_destroy(c);
  CHECK_OK(ingot_stream_synchronize(F.stream)); /* the error was reported once */
}
static void c_execution_context_set_profiler(void) { FAILS(ingot_execution_context_set_profiler(NULL, F.profiler)); }
static void c_stream_create(void) {
  ingot_stream *s = NULL;
  FAILS(ingot_stream_create(INGOT_TARGET_CPU, 0, NULL));
  FAILS(ingot_stream_create((ingot_target)42, 0, &s));
}
static void c_stream_destroy(void) { ingot_stream_destroy(NULL); }
static void c_stream_wrap(void) {
  ingot_stream *s = NULL;
  int native = 0;
  FAILS(ingot_stream_wrap(INGOT_TARGET_CUDA, NULL, &s));
  FAILS(ingot_stream_wrap(INGOT_TARGET_CPU, &native, &s)); /* the CPU has no native streams */
  FAILS(ingot_stream_wrap(INGOT_TARGET_CUDA, &native, NULL));
}
static void c_stream_get_native(void) {
  CHECK(ingot_stream_get_native(NULL) == NULL);
  CHECK(ingot_stream_get_native(F.stream) == NULL); /* a CPU stream */
}
static void c_runtime_set_device(void) {
  FAILS(ingot_runtime_set_device(NULL, 0));
  FAILS(ingot_runtime_set_device(F.runtime, -2));
}
static void c_execution_context_set_device_memory(void) {
  int mem = 0;
  FAILS(ingot_execution_context_set_device_memory(NULL, &mem, 4));
  FAILS(ingot_execution_context_set_device_memory(F.ctx, &mem, 4)); /* a CPU context */
}
static void c_execution_context_get_device_memory_size(void) {
  uint64_t bytes = 0;
  FAILS(ingot_execution_context_get_device_memory_size(NULL, &bytes));
  FAILS(ingot_execution_context_get_device_memory_size(F.ctx, NULL));
}
static void c_execution_context_set_graph_capture(void) {
  FAILS(ingot_execution_context_set_graph_capture(NULL, 1));
  FAILS(ingot_execution_context_set_graph_capture(F.ctx, 1)); /* a CPU context */
  CHECK_OK(ingot_execution_context_set_graph_capture(F.ctx, 0));
}

/* ---- devices: the CPU target has none; without a GPU the cuda target fails with a status -- */
static void c_device_count(void) {
  int32_t n = -1;
  FAILS(ingot_device_count(INGOT_TARGET_CUDA, NULL));
  FAILS(ingot_device_count(INGOT_TARGET_CPU, &n));
  CHECK(n == 0);
  (void)ingot_device_count(INGOT_TARGET_CUDA, &n); /* either way, no crash */
}
static void c_device_arch(void) {
  char buf[32];
  FAILS(ingot_device_arch(INGOT_TARGET_CUDA, 0, NULL, 8));
  FAILS(ingot_device_arch(INGOT_TARGET_CUDA, 999, buf, sizeof buf));
  FAILS(ingot_device_arch(INGOT_TARGET_CPU, 0, buf, sizeof buf));
}
static void c_device_set_current(void) {
  FAILS(ingot_device_set_current(INGOT_TARGET_CUDA, 999));
  FAILS(ingot_device_set_current(INGOT_TARGET_CPU, 0));
}
static void c_device_malloc(void) {
  void *p = NULL;
  FAILS(ingot_device_malloc(INGOT_TARGET_CUDA, 16, NULL));
  FAILS(ingot_device_malloc(INGOT_TARGET_CPU, 16, &p));
}
static void c_device_free(void) {
  ingot_device_free(INGOT_TARGET_CUDA, NULL);
  ingot_device_free(INGOT_TARGET_CPU, NULL);
}
static void c_device_malloc_host(void) {
  void *p = NULL;
  FAILS(ingot_device_malloc_host(INGOT_TARGET_CUDA, 16, NULL));
  FAILS(ingot_device_malloc_host(INGOT_TARGET_CPU, 16, &p));
}
static void c_device_free_host(void) {
  ingot_device_free_host(INGOT_TARGET_CUDA, NULL);
  ingot_device_free_host(INGOT_TARGET_CPU, NULL);
}
static void c_device_copy_to_device(void) {
  int v = 0;
  FAILS(ingot_device_copy_to_device(INGOT_TARGET_CUDA, NULL, &v, 4));
  FAILS(ingot_device_copy_to_device(INGOT_TARGET_CPU, &v, &v, 4));
}
static void c_device_copy_to_host(void) {
  int v = 0;
  FAILS(ingot_device_copy_to_host(INGOT_TARGET_CUDA, &v, NULL, 4));
  FAILS(ingot_device_copy_to_host(INGOT_TARGET_CPU, &v, &v, 4));
}
static void c_stream_synchronize(void) { FAILS(ingot_stream_synchronize(NULL)); }
static void c_profiler_create(void) {
  ingot_profiler *p = NULL;
  FAILS(ingot_profiler_create(noop_profile, NULL, NULL));
  FAILS(ingot_profiler_create(NULL, NULL, &p));
}
static void c_profiler_destroy(void) { ingot_profiler_destroy(NULL); }

/* ---- ONNX parser ------------------------------------------------------------------------------- */
static void c_onnx_parser_create(void) {
  ingot_onnx_parser *p = NULL;
  FAILS(ingot_onnx_parser_create(NULL, F.logger, &p));
  FAILS(ingot_onnx_parser_create(F.net, F.logger, NULL));
}
static void c_onnx_parser_destroy(void) { ingot_onnx_parser_destroy(NULL); }
static void c_onnx_parser_parse(void) {
  const unsigned char junk[] = {0xff, 0xff, 0xff, 0x01, 0x02};
  FAILS(ingot_onnx_parser_parse(NULL, junk, sizeof junk, NULL));
  FAILS(ingot_onnx_parser_parse(F.parser, NULL, 10, NULL));
  FAILS(ingot_onnx_parser_parse(F.parser, junk, sizeof junk, NULL));
  CHECK(ingot_onnx_parser_num_errors(F.parser) > 0);
}
static void c_onnx_parser_parse_from_file(void) {
  FAILS(ingot_onnx_parser_parse_from_file(NULL, "/tmp/m.onnx"));
  FAILS(ingot_onnx_parser_parse_from_file(F.parser, NULL));
  FAILS(ingot_onnx_parser_parse_from_file(F.parser, "/nonexistent/m.onnx"));
}
static void c_onnx_parser_num_errors(void) { CHECK(ingot_onnx_parser_num_errors(NULL) <= 0); }
static void c_onnx_parser_get_error(void) {
  ingot_onnx_parser_error e;
  FAILS(ingot_onnx_parser_get_error(NULL, 0, &e));
  FAILS(ingot_onnx_parser_get_error(F.parser, -1, &e));
  FAILS(ingot_onnx_parser_get_error(F.parser, 1 << 20, &e));
  FAILS(ingot_onnx_parser_get_error(F.parser, 0, NULL));
}
static void c_onnx_parser_clear_errors(void) { ingot_onnx_parser_clear_errors(NULL); }
static void c_onnx_supports_operator(void) {
  CHECK(ingot_onnx_supports_operator(NULL, 17) == 0);
  CHECK(ingot_onnx_supports_operator("NoSuchOp", 17) == 0);
  CHECK(ingot_onnx_supports_operator("Relu", -1) == 0);
}
static void c_onnx_num_operators(void) { CHECK(ingot_onnx_num_operators() > 0); }
static void c_onnx_operator(void) {
  int64_t since = 0;
  CHECK(ingot_onnx_operator(-1, &since) == NULL);
  CHECK(ingot_onnx_operator(ingot_onnx_num_operators(), &since) == NULL);
  (void)ingot_onnx_operator(0, NULL); /* a NULL out-pointer is optional, not a crash */
}

/* ---- .wts ---------------------------------------------------------------------------------------- */
static void c_wts_load(void) {
  ingot_weights_map *m = NULL;
  FAILS(ingot_wts_load(NULL, &m));
  FAILS(ingot_wts_load("/nonexistent.wts", &m));
  FAILS(ingot_wts_load("/", &m));
  FAILS(ingot_wts_load("/nonexistent.wts", NULL));
}
static void c_wts_parse(void) {
  ingot_weights_map *m = NULL;
  FAILS(ingot_wts_parse(NULL, 4, &m));
  FAILS(ingot_wts_parse("1\n", 2, NULL));
  FAILS(ingot_wts_parse("2\nw 1 0\n", 8, &m)); /* promises 2 entries */
  FAILS(ingot_wts_parse("1\nw 99999999999 0\n", 18, &m));
}
static void c_weights_map_destroy(void) { ingot_weights_map_destroy(NULL); }
static void c_weights_map_count(void) { CHECK(ingot_weights_map_count(NULL) == 0); }
static void c_weights_map_name(void) {
  CHECK(ingot_weights_map_name(NULL, 0) == NULL);
  CHECK(ingot_weights_map_name(F.wts, 1) == NULL);
  CHECK(ingot_weights_map_name(F.wts, -1) == NULL);
}
static void c_weights_map_get(void) {
  ingot_weights w;
  FAILS(ingot_weights_map_get(NULL, "w", &w));
  FAILS(ingot_weights_map_get(F.wts, NULL, &w));
  FAILS(ingot_weights_map_get(F.wts, "nope", &w));
  FAILS(ingot_weights_map_get(F.wts, "w", NULL));
}

/* Plugins (plugin.h): NULL and unknown names refused; the creator getters of NULL give NULL/0. */
static void c_plugin_field_type_name(void) { CHECK(strcmp(ingot_plugin_field_type_name((ingot_plugin_field_type)99), "unknown") == 0); }
static void c_get_plugin_registry(void) { CHECK(ingot_get_plugin_registry() != NULL); }
static void c_plugin_registry_register_creator(void) {
  ingot_plugin_creator_desc d;
  memset(&d, 0, sizeof d);
  FAILS(ingot_plugin_registry_register_creator(ingot_get_plugin_registry(), NULL, NULL));
  FAILS(ingot_plugin_registry_register_creator(NULL, &d, NULL));
  FAILS(ingot_plugin_registry_register_creator(ingot_get_plugin_registry(), &d, NULL)); /* size 0 */
  d.size = sizeof d, d.abi_version = INGOT_PLUGIN_ABI_VERSION, d.name = "NoFunctions", d.version = "1";
  FAILS(ingot_plugin_registry_register_creator(ingot_get_plugin_registry(), &d, NULL));
}
static void c_plugin_registry_deregister_creator(void) {
  FAILS(ingot_plugin_registry_deregister_creator(NULL, "x", NULL, NULL));
  FAILS(ingot_plugin_registry_deregister_creator(ingot_get_plugin_registry(), NULL, NULL, NULL));
  FAILS(ingot_plugin_registry_deregister_creator(ingot_get_plugin_registry(), "NoSuchPlugin", NULL, NULL));
}
static void c_plugin_registry_get_creator(void) {
  const ingot_plugin_creator *c = NULL;
  FAILS(ingot_plugin_registry_get_creator(NULL, "x", NULL, NULL, &c));
  FAILS(ingot_plugin_registry_get_creator(ingot_get_plugin_registry(), NULL, NULL, NULL, &c));
  FAILS(ingot_plugin_registry_get_creator(ingot_get_plugin_registry(), "x", NULL, NULL, NULL));
  FAILS(ingot_plugin_registry_get_creator(ingot_get_plugin_registry(), "NoSuchPlugin", NULL, NULL, &c));
}
static void c_plugin_registry_num_creators(void) { CHECK(ingot_plugin_registry_num_creators(NULL) == 0); }
static void c_plugin_registry_get_creator_at(void) {
  CHECK(ingot_plugin_registry_get_creator_at(NULL, 0) == NULL);
  CHECK(ingot_plugin_registry_get_creator_at(ingot_get_plugin_registry(), -1) == NULL);
}
static void c_plugin_creator_get_name(void) { CHECK(ingot_plugin_creator_get_name(NULL) == NULL); }
static void c_plugin_creator_get_version(void) { CHECK(ingot_plugin_creator_get_version(NULL) == NULL); }
static void c_plugin_creator_get_namespace(void) { CHECK(ingot_plugin_creator_get_namespace(NULL) == NULL); }
static void c_plugin_creator_num_fields(void) { CHECK(ingot_plugin_creator_num_fields(NULL) == 0); }
static void c_plugin_creator_get_field(void) { CHECK(ingot_plugin_creator_get_field(NULL, 0) == NULL); }
static void c_plugin_creator_create_plugin(void) {
  ingot_plugin *p = NULL;
  FAILS(ingot_plugin_creator_create_plugin(NULL, "l", NULL, 0, &p));
}
static void c_plugin_destroy(void) { ingot_plugin_destroy(NULL); }
static void c_plugin_library_load(void) {
  FAILS(ingot_plugin_library_load(NULL));
  FAILS(ingot_plugin_library_load("/nonexistent/libnothing.so"));
}
static void c_network_add_plugin(void) {
  ingot_layer *l = NULL;
  FAILS(ingot_network_add_plugin(NULL, &F.x, 1, "x", NULL, NULL, NULL, 0, &l));
  FAILS(ingot_network_add_plugin(F.net, NULL, 1, "x", NULL, NULL, NULL, 0, &l));
  FAILS(ingot_network_add_plugin(F.net, &F.x, 1, NULL, NULL, NULL, NULL, 0, &l));
  FAILS(ingot_network_add_plugin(F.net, &F.x, 1, "NoSuchPlugin", NULL, NULL, NULL, 0, &l));
  FAILS(ingot_network_add_plugin(F.net, &F.foreign, 1, "NoSuchPlugin", NULL, NULL, NULL, 0, &l));
  FAILS(ingot_network_add_plugin(F.net, &F.x, 1, "x", NULL, NULL, NULL, 0, NULL));
}
static void c_network_add_plugin_instance(void) {
  ingot_layer *l = NULL;
  FAILS(ingot_network_add_plugin_instance(NULL, &F.x, 1, NULL, &l));
  FAILS(ingot_network_add_plugin_instance(F.net, &F.x, 1, NULL, &l));
}

#define CASE(fn) {"ingot_" #fn, c_##fn}
typedef struct misuse_case {
  const char *function;
  void (*run)(void);
} misuse_case;

static const misuse_case cases[] = {
    CASE(plugin_field_type_name), CASE(get_plugin_registry), CASE(plugin_registry_register_creator),
    CASE(plugin_registry_deregister_creator), CASE(plugin_registry_get_creator), CASE(plugin_registry_num_creators),
    CASE(plugin_registry_get_creator_at), CASE(plugin_creator_get_name), CASE(plugin_creator_get_version),
    CASE(plugin_creator_get_namespace), CASE(plugin_creator_num_fields), CASE(plugin_creator_get_field),
    CASE(plugin_creator_create_plugin), CASE(plugin_destroy), CASE(plugin_library_load), CASE(network_add_plugin),
    CASE(network_add_plugin_instance),
    CASE(version), CASE(version_string), CASE(status_name), CASE(last_error), CASE(clear_last_error),
    CASE(dtype_size), CASE(dtype_name), CASE(severity_name), CASE(logger_create), CASE(logger_destroy),
    CASE(logger_set_severity),
    CASE(layer_type_name), CASE(activation_type_name), CASE(network_create), CASE(network_destroy),
    CASE(network_add_input), CASE(network_mark_output), CASE(network_unmark_output), CASE(network_num_inputs),
    CASE(network_num_outputs), CASE(network_num_layers), CASE(network_get_input), CASE(network_get_output),
    CASE(network_get_layer), CASE(network_find_tensor), CASE(tensor_get_name), CASE(tensor_set_name),
    CASE(tensor_get_dtype), CASE(tensor_get_dims), CASE(tensor_is_input), CASE(tensor_is_output),
    CASE(layer_get_name), CASE(layer_set_name), CASE(layer_get_type), CASE(layer_num_inputs),
    CASE(layer_num_outputs), CASE(layer_get_input), CASE(layer_get_output), CASE(layer_set_input),
    CASE(network_add_convolution), CASE(network_add_deconvolution), CASE(network_add_pooling),
    CASE(network_add_activation), CASE(network_add_parametric_relu), CASE(network_add_matrix_multiply),
    CASE(network_add_fully_connected), CASE(network_add_softmax), CASE(network_add_log_softmax),
    CASE(network_add_elementwise), CASE(network_add_unary), CASE(network_add_scale),
    CASE(network_add_concatenation), CASE(network_add_shuffle), CASE(network_add_reduce),
    CASE(network_add_constant), CASE(network_add_identity), CASE(network_add_cast), CASE(network_add_slice),
    CASE(network_add_gather), CASE(network_add_select), CASE(network_add_batch_normalization),
    CASE(network_add_layer_normalization), CASE(network_add_attention), CASE(network_add_resize), CASE(network_add_padding),
    CASE(network_add_topk), CASE(network_add_shape), CASE(network_add_fill), CASE(network_add_range),
    CASE(network_add_gather_elements), CASE(network_add_gather_nd), CASE(network_add_scatter),
    CASE(network_add_cumulative), CASE(network_add_expand), CASE(network_add_tile), CASE(network_add_quantize),
    CASE(network_add_dequantize), CASE(network_add_einsum), CASE(network_add_rnn), CASE(network_add_non_zero),
    CASE(network_add_non_max_suppression), CASE(network_add_compress), CASE(network_add_unique),
    CASE(target_name), CASE(builder_create), CASE(builder_destroy), CASE(builder_build_serialized_network),
    CASE(builder_config_create), CASE(builder_config_destroy), CASE(builder_config_set_target),
    CASE(builder_config_set_workspace_limit), CASE(builder_config_get_workspace_limit),
    CASE(builder_config_set_flag), CASE(builder_config_get_flag), CASE(builder_config_set_timing_iterations),
    CASE(builder_config_set_num_threads), CASE(builder_config_set_tactic_sources),
    CASE(builder_config_get_tactic_sources), CASE(builder_config_add_optimization_profile),
    CASE(builder_config_num_optimization_profiles), CASE(optimization_profile_create),
    CASE(optimization_profile_destroy), CASE(optimization_profile_set_dimensions),
    CASE(optimization_profile_get_dimensions), CASE(plan_data), CASE(plan_size), CASE(plan_save),
    CASE(plan_destroy),
    CASE(builder_config_set_timing_cache),
    CASE(timing_cache_create),
    CASE(timing_cache_destroy),
    CASE(timing_cache_num_entries),
    CASE(timing_cache_serialized_size),
    CASE(timing_cache_serialize),
    CASE(timing_cache_load),
    CASE(timing_cache_save),
    CASE(timing_cache_combine),
    CASE(runtime_create), CASE(runtime_destroy), CASE(runtime_deserialize_engine), CASE(runtime_load_engine),
    CASE(engine_destroy), CASE(engine_num_io_tensors), CASE(engine_get_io_tensor_name),
    CASE(engine_get_tensor_io_mode), CASE(engine_get_tensor_dtype), CASE(engine_get_tensor_dims),
    CASE(engine_num_optimization_profiles), CASE(engine_get_profile_dims), CASE(engine_get_target),
    CASE(engine_num_layers), CASE(engine_get_layer_info), CASE(engine_get_layer_plugin),
    CASE(engine_get_activation_memory),
    CASE(engine_get_weights_memory), CASE(engine_get_packed_weights_memory), CASE(engine_create_execution_context), CASE(execution_context_destroy),
    CASE(execution_context_set_optimization_profile), CASE(execution_context_set_input_shape),
    CASE(execution_context_get_tensor_shape), CASE(execution_context_get_tensor_max_shape),
    CASE(execution_context_set_tensor_address),
    CASE(execution_context_set_num_threads), CASE(execution_context_execute), CASE(execution_context_enqueue),
    CASE(execution_context_set_profiler), CASE(stream_create), CASE(stream_destroy), CASE(stream_synchronize),
    CASE(stream_wrap), CASE(stream_get_native), CASE(runtime_set_device), CASE(execution_context_set_device_memory),
    CASE(execution_context_get_device_memory_size), CASE(execution_context_set_graph_capture), CASE(device_count),
    CASE(device_arch), CASE(device_set_current), CASE(device_malloc), CASE(device_free), CASE(device_malloc_host),
    CASE(device_free_host), CASE(device_copy_to_device), CASE(device_copy_to_host),
    CASE(profiler_create), CASE(profiler_destroy),
    CASE(onnx_parser_create), CASE(onnx_parser_destroy), CASE(onnx_parser_parse), CASE(onnx_parser_parse_from_file),
    CASE(onnx_parser_num_errors), CASE(onnx_parser_get_error), CASE(onnx_parser_clear_errors),
    CASE(onnx_supports_operator), CASE(onnx_num_operators), CASE(onnx_operator),
    CASE(wts_load), CASE(wts_parse), CASE(weights_map_destroy), CASE(weights_map_count), CASE(weights_map_name),
    CASE(weights_map_get),
};
#define NB_CASES ((int)(sizeof cases / sizeof cases[0]))

static int has_case(const char *name) {
  for (int i = 0; i < NB_CASES; i++)
    if (strcmp(cases[i].function, name) == 0) return 1;
  return 0;
}

/* Every "INGOT_API <type> ingot_name(" of the public headers must have a case, and every
 * case must name a declared function. */
static void check_cases_cover_headers(void) {
  /* Every header of include/ingot/, so a new header is covered too. */
  char dir_path[1024];
  snprintf(dir_path, sizeof dir_path, "%s/include/ingot", INGOT_SOURCE_DIR);
  DIR *dir = opendir(dir_path);
  CHECK(dir != NULL);
  if (!dir) return;
  int declared = 0, headers = 0, seen[sizeof cases / sizeof cases[0]] = {0};
  for (struct dirent *ent; (ent = readdir(dir)) != NULL;) {
    size_t name_len = strlen(ent->d_name);
    if (name_len < 3 || strcmp(ent->d_name + name_len - 2, ".h") != 0) continue;
    headers++;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir_path, ent->d_name);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f) continue;
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    for (char *p = strstr(text, "INGOT_API "); p; p = strstr(p + 1, "INGOT_API ")) {
      char *paren = strchr(p, '(');
      if (!paren || memchr(p, ';', (size_t)(paren - p))) continue;
      char *end = paren;
      while (end > p && isspace((unsigned char)end[-1])) end--;
      char *start = end;
      while (start > p && (isalnum((unsigned char)start[-1]) || start[-1] == '_')) start--;
      char name[128];
      size_t len = (size_t)(end - start);
      if (len == 0 || len >= sizeof name || strncmp(start, "ingot_", 6) != 0) continue; /* the macro itself */
      memcpy(name, start, len);
      name[len] = '\0';
      declared++;
      if (!has_case(name)) {
        fprintf(stderr, "%s (include/ingot/%s) has no misuse case in test_api_misuse.c\n", name, ent->d_name);
        test_failures++;
      }
      for (int i = 0; i < NB_CASES; i++)
        if (strcmp(cases[i].function, name) == 0) seen[i] = 1;
    }
  }
  closedir(dir);
  CHECK(headers >= 7);
  for (int i = 0; i < NB_CASES; i++)
    if (!seen[i]) {
      fprintf(stderr, "misuse case %s names no function of the public headers\n", cases[i].function);
      test_failures++;
    }
  CHECK(declared >= NB_CASES);
  printf("%d public functions declared, %d misuse cases\n", declared, NB_CASES);
}

int main(void) {
  setup();
  for (int i = 0; i < NB_CASES; i++) {
    int before = test_failures;
    cases[i].run();
    if (test_failures != before) fprintf(stderr, "  ^ in the case of %s\n", cases[i].function);
  }
  check_cases_cover_headers();
  teardown();
  TEST_EXIT();
}
