/* Data-dependent shapes on the execute path: a network with NonZero feeding a transpose and
 * a GatherND (re-inferred after NonZero runs), NonMaxSuppression, Compress and Unique runs
 * many times with different extents; execute allocates nothing (malloc-family calls are
 * counted: the test links with -Wl,--wrap), the shapes reported before execute carry -1,
 * after execute the real extent, and the values match a scalar reference. */
#include "alloc_count.h"
#include "test_util.h"

enum { ROWS = 4, COLS = 6, VOL = ROWS * COLS, BOXES = 8, CLASSES = 2 };

static void name_output(ingot_network *net, ingot_layer *layer, int32_t k, const char *name) {
  CHECK_OK(ingot_tensor_set_name(ingot_layer_get_output(layer, k), name));
  CHECK_OK(ingot_network_mark_output(net, ingot_layer_get_output(layer, k)));
}

static ingot_tensor *scalar_constant(ingot_network *net, ingot_dtype dtype, const void *value) {
  ingot_dims d = {0, {0}};
  ingot_layer *c = NULL;
  CHECK_OK(ingot_network_add_constant(net, &d, (ingot_weights){dtype, value, 1}, &c));
  return c ? ingot_layer_get_output(c, 0) : NULL;
}

static ingot_network *make_network(void) {
  static const int64_t max_boxes = 3;
  static const float iou = 0.4f, score = 0.1f;
  ingot_network *net = NULL;
  CHECK_OK(ingot_network_create(NULL, &net));
  ingot_dims xd = {2, {ROWS, COLS}}, cd = {1, {COLS}}, bd = {3, {1, BOXES, 4}}, sd = {3, {1, CLASSES, BOXES}};
  ingot_tensor *x = NULL, *cond = NULL, *boxes = NULL, *scores = NULL;
  CHECK_OK(ingot_network_add_input(net, "x", INGOT_FLOAT32, &xd, &x));
  CHECK_OK(ingot_network_add_input(net, "cond", INGOT_BOOL, &cd, &cond));
  CHECK_OK(ingot_network_add_input(net, "boxes", INGOT_FLOAT32, &bd, &boxes));
  CHECK_OK(ingot_network_add_input(net, "scores", INGOT_FLOAT32, &sd, &scores));
  ingot_layer *nz = NULL, *tr = NULL, *gather = NULL, *nms = NULL, *comp = NULL, *uniq = NULL;
  CHECK_OK(ingot_network_add_non_zero(net, x, &nz));
  ingot_shuffle_desc t;
  memset(&t, 0, sizeof t);
  t.has_first_transpose = 1;
  t.first_transpose[0] = 1;
  t.first_transpose[1] = 0;
  CHECK_OK(ingot_network_add_shuffle(net, ingot_layer_get_output(nz, 0), &t, &tr));
  CHECK_OK(ingot_network_add_gather_nd(net, x, ingot_layer_get_output(tr, 0), 0, &gather));
  CHECK_OK(ingot_network_add_non_max_suppression(net, boxes, scores, scalar_constant(net, INGOT_INT64, &max_boxes),
                                                 scalar_constant(net, INGOT_FLOAT32, &iou),
                                                 scalar_constant(net, INGOT_FLOAT32, &score), 0, &nms));
  CHECK_OK(ingot_network_add_compress(net, x, cond, 1, 1, &comp));
  CHECK_OK(ingot_network_add_unique(net, x, 1, 0, 0, &uniq));
  name_output(net, nz, 0, "nz");
  name_output(net, gather, 0, "vals");
  name_output(net, nms, 0, "sel");
  name_output(net, comp, 0, "comp");
  name_output(net, uniq, 0, "uniq");
  name_output(net, uniq, 3, "counts");
  return net;
}

static ingot_dims shape_of(ingot_execution_context *ctx, const char *name) {
  ingot_dims d = {-1, {0}};
  CHECK_OK(ingot_execution_context_get_tensor_shape(ctx, name, &d));
  return d;
}

int main(void) {
  ingot_network *net = make_network();
  ingot_builder *builder = NULL;
  ingot_builder_config *config = NULL;
  ingot_plan *plan = NULL;
  CHECK_OK(ingot_builder_create(NULL, &builder));
  CHECK_OK(ingot_builder_config_create(&config));
  if (net && builder && config) CHECK_OK(ingot_builder_build_serialized_network(builder, net, config, &plan));
  ingot_runtime *runtime = NULL;
  ingot_engine *engine = NULL;
  ingot_execution_context *ctx = NULL;
  CHECK_OK(ingot_runtime_create(NULL, &runtime));
  if (plan) CHECK_OK(ingot_runtime_deserialize_engine(runtime, ingot_plan_data(plan), ingot_plan_size(plan), &engine));
  if (engine) CHECK_OK(ingot_engine_create_execution_context(engine, &ctx));
  if (!ctx) TEST_EXIT();

  /* before execute: -1 in the data-dependent dims, the bound from get_tensor_max_shape */
  ingot_dims d = shape_of(ctx, "nz"), m = {-1, {0}};
  CHECK(d.nb_dims == 2 && d.d[0] == 2 && d.d[1] == -1);
  d = shape_of(ctx, "vals");
  CHECK(d.nb_dims == 1 && d.d[0] == -1);
  CHECK_OK(ingot_execution_context_get_tensor_max_shape(ctx, "vals", &m));
  CHECK(m.nb_dims == 1 && m.d[0] == VOL);
  CHECK_OK(ingot_execution_context_get_tensor_max_shape(ctx, "sel", &m));
  CHECK(m.nb_dims == 2 && m.d[0] == CLASSES * 3 && m.d[1] == 3);
  CHECK_FAILS(ingot_execution_context_get_tensor_max_shape(ctx, "nope", &m), INGOT_NOT_FOUND, "nope");

  static float x[VOL], boxes[BOXES * 4], scores[CLASSES * BOXES], vals[VOL], comp[VOL], uniq[VOL];
  static uint8_t cond[COLS];
  static int64_t nz[2 * VOL], sel[CLASSES * 3 * 3], counts[VOL];
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "x", x));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "cond", cond));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "boxes", boxes));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "scores", scores));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "nz", nz));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "vals", vals));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "sel", sel));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "comp", comp));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "uniq", uniq));
  CHECK_OK(ingot_execution_context_set_tensor_address(ctx, "counts", counts));

  uint64_t seed = 11;
  long allocated = 0;
  for (int run = 0; run < 12; run++) {
    int64_t want_nz = 0, want_comp_cols = 0;
    for (int i = 0; i < VOL; i++) {
      float r = test_randf(&seed);
      x[i] = (r > 0.2f * (float)(run % 4)) ? (float)((int)(r * 4.0f) + 1) : 0.0f; /* extents vary per run */
      want_nz += x[i] != 0.0f;
    }
    for (int i = 0; i < COLS; i++) want_comp_cols += (cond[i] = test_randf(&seed) > 0.0f);
    for (int i = 0; i < BOXES; i++) {
      float cx = 2.0f * test_randf(&seed), cy = 2.0f * test_randf(&seed);
      boxes[i * 4 + 0] = cy, boxes[i * 4 + 1] = cx, boxes[i * 4 + 2] = cy + 1.0f, boxes[i * 4 + 3] = cx + 1.0f;
    }
    for (int i = 0; i < CLASSES * BOXES; i++) scores[i] = 0.5f + 0.5f * test_randf(&seed);
    long before = atomic_load(&test_allocations);
    CHECK_OK(ingot_execution_context_execute(ctx));
    if (run > 0) allocated += atomic_load(&test_allocations) - before; /* the first run may warm nothing lazily either */
    d = shape_of(ctx, "nz");
    CHECK(d.nb_dims == 2 && d.d[0] == 2 && d.d[1] == want_nz);
    d = shape_of(ctx, "vals");
    CHECK(d.nb_dims == 1 && d.d[0] == want_nz);
    int64_t j = 0;
    for (int i = 0; i < VOL && j <= want_nz; i++) {
      if (x[i] == 0.0f) continue;
      if (j < want_nz) {
        CHECK(nz[j] == i / COLS && nz[want_nz + j] == i % COLS);
        CHECK(vals[j] == x[i]);
      }
      j++;
    }
    d = shape_of(ctx, "comp");
    CHECK(d.nb_dims == 2 && d.d[0] == ROWS && d.d[1] == want_comp_cols);
    for (int r = 0, k = 0; r < ROWS; r++)
      for (int c = 0; c < COLS; c++)
        if (cond[c]) CHECK(comp[k++] == x[r * COLS + c]);
    d = shape_of(ctx, "sel");
    CHECK(d.nb_dims == 2 && d.d[0] >= CLASSES && d.d[0] <= CLASSES * 3 && d.d[1] == 3); /* >= 1 box per class */
    for (int64_t s = 0; s < d.d[0]; s++) CHECK(sel[s * 3] == 0 && sel[s * 3 + 1] < CLASSES && sel[s * 3 + 2] < BOXES);
    d = shape_of(ctx, "counts");
    int64_t total = 0;
    for (int64_t k = 0; k < d.d[0]; k++) total += counts[k];
    CHECK(total == VOL);
    for (int64_t k = 1; k < d.d[0]; k++) CHECK(uniq[k - 1] < uniq[k]); /* sorted, distinct */
  }
  CHECK(allocated == 0);
  if (allocated) fprintf(stderr, "execute allocated %ld times\n", allocated);

  ingot_execution_context_destroy(ctx);
  ingot_engine_destroy(engine);
  ingot_runtime_destroy(runtime);
  ingot_plan_destroy(plan);
  ingot_builder_config_destroy(config);
  ingot_builder_destroy(builder);
  ingot_network_destroy(net);
  TEST_EXIT();
}
