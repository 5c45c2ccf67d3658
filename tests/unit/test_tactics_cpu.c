/* Tactic-tier tests: every non-reference CPU tactic against the reference tactic of its op
 * (the first row of that op in the table, the oracle), on random inputs over many shapes:
 * convolution (strides, padding modes, dilation, groups incl. depthwise, 1x1, 1-D, odd
 * sizes, batch > 1, bias / residual / activation epilogues, several B tiles), fully
 * connected and matrix multiply (transposes, vectors, batch broadcast, constant or
 * computed B, bias broadcasts). A tactic runs as the builder and the runtime run it:
 * supports() and prepare() see only the constant inputs' data, the workspace is what
 * workspace_size() asks for (with guard bytes after it and after the output), and it runs
 * serially and on a pool. Also: what the fast tactics refuse, and packed weights made
 * for another kernel's tile (a plan from another machine). */
#include "tactic_case.h"

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/gemm/gemm.h"
#include "backend/cpu/vmath.h"
#include "core/dims.h"
#include "core/thread_pool.h"
#include "ops/graph.h"

#define MAX_IN TACTIC_CASE_MAX_INPUTS
#define GUARD_BYTES 256
static const unsigned char GUARD = 0xA5;

static uint64_t g_seed = 0xC0FFEE123ULL;
static ingot_thread_pool *g_pool;
static int32_t g_runs[128]; /* per tactic row: cases compared */

static int64_t rnd(int64_t n) { return tactic_rnd(&g_seed, n); }

static void set_epilogue(ingot_epilogue *e, int64_t pick) {
  static const int32_t acts[] = {-1, -1, INGOT_ACTIVATION_RELU, INGOT_ACTIVATION_CLIP, INGOT_ACTIVATION_SIGMOID,
                                 INGOT_ACTIVATION_LEAKY_RELU};
  e->activation = acts[pick % 6];
  e->alpha = e->activation == INGOT_ACTIVATION_CLIP ? -0.5f : 0.1f;
  e->beta = e->activation == INGOT_ACTIVATION_CLIP ? 0.75f : 0.0f;
}

/* ---- running a tactic as the builder and runtime do ---------------------------------------- */

typedef struct result {
  ingot_status status;
  bool supported;
  float *y;
  int64_t volume;
} result;

static void views_of(const tactic_case *c, bool constants_only, ingot_tensor_view *v) {
  for (int32_t i = 0; i < c->nb_inputs; i++) {
    v[i].dtype = c->dtype[i];
    v[i].dims = c->dims[i];
    v[i].data = !constants_only || c->constant[i] ? c->data[i] : NULL;
  }
}

static bool guard_intact(const unsigned char *p) {
  for (int32_t i = 0; i < GUARD_BYTES; i++)
    if (p[i] != GUARD) return false;
  return true;
}

/* Runs tactic t on the case; prepared_override (may be NULL) replaces prepare(). */
static result run_tactic(const ingot_tactic *t, tactic_case *c, const ingot_dims *ydims, const void *prepared_override,
                         uint64_t prepared_override_size) {
  result r = {INGOT_SUCCESS, false, NULL, ingot_dims_volume(ydims)};
  ingot_tensor_view in[MAX_IN], out;
  out.dtype = INGOT_FLOAT32;
  out.dims = *ydims;
  out.data = NULL;
  c->node.nb_inputs = c->nb_inputs;
  views_of(c, true, in);
  if (t->supports && !t->supports(&c->node, in, &out)) return r;
  r.supported = true;
  ingot_kernel_args args;
  memset(&args, 0, sizeof args);
  args.node = &c->node;
  args.params = &c->node.params;
  args.nb_inputs = c->nb_inputs;
  args.inputs = in;
  args.nb_outputs = 1;
  args.outputs = &out;
  void *prepared = NULL;
  uint64_t prepared_size = 0;
  if (prepared_override) {
    prepared = (void *)prepared_override;
    prepared_size = prepared_override_size;
  } else if (t->prepare) {
    r.status = t->prepare(&args, &prepared, &prepared_size);
    if (r.status != INGOT_SUCCESS) return r;
  }
  /* run time: no data in the views while sizing the workspace, as the context does */
  for (int32_t i = 0; i < c->nb_inputs; i++) in[i].data = NULL;
  args.prepared = prepared;
  args.prepared_size = prepared_size;
  uint64_t ws = t->workspace_size ? t->workspace_size(&args) : 0;
  unsigned char *wsb = NULL, *yb = NULL;
  size_t ybytes = sizeof(float) * (size_t)r.volume;
  if (posix_memalign((void **)&wsb, 64, ws + GUARD_BYTES) != 0 || posix_memalign((void **)&yb, 64, ybytes + GUARD_BYTES) != 0) {
    fprintf(stderr, "%s: out of memory\n", c->name);
    exit(2);
  }
  memset(wsb, GUARD, ws + GUARD_BYTES);
  memset(yb, GUARD, ybytes + GUARD_BYTES);
  views_of(c, false, in);
  out.data = yb;
  args.workspace = ws ? wsb : NULL;
  args.workspace_size = ws;
  args.pool = g_pool;
  r.status = t->run(&args);
  if (!guard_intact(wsb + ws)) {
    fprintf(stderr, "%s: %s wrote past its workspace of %llu bytes\n", c->name, t->name, (unsigned long long)ws);
    test_failures++;
  }
  if (!guard_intact(yb + ybytes)) {
    fprintf(stderr, "%s: %s wrote past its output\n", c->name, t->name);
    test_failures++;
  }
  if (!prepared_override) free(prepared);
  free(wsb);
  r.y = (float *)yb;
  return r;
}

static const ingot_tactic *reference_of(const ingot_backend *be, ingot_op op) {
  for (int32_t i = 0; i < be->nb_tactics; i++)
    if (be->tactics[i].op == op) return &be->tactics[i];
  return NULL;
}

static bool is_reference(const ingot_tactic *t) {
  size_t n = strlen(t->name);
  return n >= 10 && strcmp(t->name + n - 10, "_reference") == 0;
}

/* Every non-reference tactic of the case's op against the reference. `expect` names a
 * tactic that must support the case (NULL: none in particular). */
static void compare_case(tactic_case *c, const char *expect) {
  const ingot_backend *be = ingot_cpu_backend();
  ingot_infer_fn infer = ingot_op_infer(c->node.op);
  ingot_value_info vi[MAX_IN], vo[INGOT_MAX_OUTPUTS];
  memset(vo, 0, sizeof vo);
  c->node.nb_inputs = c->nb_inputs;
  for (int32_t i = 0; i < c->nb_inputs; i++) {
    vi[i].dtype = c->dtype[i];
    vi[i].dims = c->dims[i];
    vi[i].data = c->constant[i] ? c->data[i] : NULL;
  }
  if (infer(&c->node, vi, vo) != INGOT_SUCCESS) {
    fprintf(stderr, "%s: shape inference failed: %s\n", c->name, ingot_last_error());
    test_failures++;
    return;
  }
  const ingot_tactic *ref = reference_of(be, c->node.op);
  result want = run_tactic(ref, c, &vo[0].dims, NULL, 0);
  if (want.status != INGOT_SUCCESS) {
    fprintf(stderr, "%s: reference %s failed: %s\n", c->name, ref->name, ingot_last_error());
    test_failures++;
    free(want.y);
    return;
  }
  bool expected_seen = expect == NULL;
  for (int32_t i = 0; i < be->nb_tactics; i++) {
    const ingot_tactic *t = &be->tactics[i];
    if (t->op != c->node.op || is_reference(t)) continue;
    result got = run_tactic(t, c, &vo[0].dims, NULL, 0);
    if (!got.supported) continue;
    if (expect && strcmp(expect, t->name) == 0) expected_seen = true;
    if (got.status != INGOT_SUCCESS) {
      fprintf(stderr, "%s: %s failed: %s\n", c->name, t->name, ingot_last_error());
      test_failures++;
    } else {
      if (i < (int32_t)(sizeof g_runs / sizeof g_runs[0])) g_runs[i]++;
      for (int64_t k = 0; k < want.volume; k++) {
        double g = got.y[k], w = want.y[k];
        if (!(g == w || (isnan(g) && isnan(w)) || fabs(g - w) <= 1e-4 * (1.0 + fabs(w)))) { /* g == w: equal infinities */
          fprintf(stderr, "%s: %s element %lld is %.8g, the reference %s gives %.8g\n", c->name, t->name, (long long)k, g,
                  ref->name, w);
          test_failures++;
          break;
        }
      }
    }
    free(got.y);
  }
  if (!expected_seen) {
    fprintf(stderr, "%s: %s does not support it\n", c->name, expect);
    test_failures++;
  }
  free(want.y);
}

/* ---- convolution ------------------------------------------------------------------------- */

typedef struct conv_spec {
  int32_t ns, mode;
  int64_t N, C, K, G;
  int64_t in[2], k[2], s[2], d[2], pre[2], post[2];
  int32_t bias, residual, act;
  int32_t channels_last; /* 2-D only: x [N, H, W, C], w [K, R, S, C/G], y [N, OH, OW, K] */
} conv_spec;

static int64_t conv_out(const conv_spec *s, int32_t i) {
  int64_t st = s->s[i] ? s->s[i] : 1, dl = s->d[i] ? s->d[i] : 1, in = s->in[i], k = s->k[i];
  int64_t span = in - dl * (k - 1) - 1; /* < 0: no output (C division would round it up to 0) */
  if (s->mode == INGOT_PADDING_EXPLICIT) span += s->pre[i] + s->post[i];
  else if (s->mode != INGOT_PADDING_VALID) return (in + st - 1) / st;
  return span < 0 ? 0 : span / st + 1;
}

static void conv_case(const conv_spec *s, const char *expect) {
  tactic_case c;
  char name[160];
  snprintf(name, sizeof name,
           "conv%dd%s N%lld C%lld K%lld G%lld in %lldx%lld k %lldx%lld s %lldx%lld d %lldx%lld pad %lld,%lld/%lld,%lld mode %d b%d r%d a%d",
           s->ns, s->channels_last ? " nhwc" : "", (long long)s->N, (long long)s->C, (long long)s->K, (long long)s->G, (long long)s->in[0],
           (long long)s->in[1], (long long)s->k[0], (long long)s->k[1], (long long)s->s[0], (long long)s->s[1],
           (long long)s->d[0], (long long)s->d[1], (long long)s->pre[0], (long long)s->pre[1], (long long)s->post[0],
           (long long)s->post[1], s->mode, s->bias, s->residual, s->act);
  tactic_case_init(&c, INGOT_OP_CONVOLUTION, name);
  ingot_conv_params *p = &c.node.params.conv;
  p->nb_spatial_dims = s->ns;
  p->padding_mode = s->mode;
  p->num_output_maps = s->K;
  p->groups = s->G;
  p->has_bias = s->bias;
  set_epilogue(&p->epilogue, (uint64_t)s->act);
  p->epilogue.has_residual = s->residual;
  int64_t xd[4] = {s->N, s->C}, wd[4] = {s->K, s->C / s->G}, yd[4] = {s->N, s->K};
  for (int32_t i = 0; i < s->ns; i++) {
    p->kernel_size[i] = s->k[i];
    p->stride[i] = s->s[i];
    p->dilation[i] = s->d[i];
    p->pre_padding[i] = s->pre[i];
    p->post_padding[i] = s->post[i];
    xd[2 + i] = s->in[i];
    wd[2 + i] = s->k[i];
    yd[2 + i] = conv_out(s, i);
    if (yd[2 + i] < 1) return;
  }
  if (s->channels_last) { /* [N, C, H, W] -> [N, H, W, C]; weights [K, C/G, R, S] -> [K, R, S, C/G] */
    p->channels_last = 1;
    int64_t t[4];
    memcpy(t, xd, sizeof t), xd[1] = t[2], xd[2] = t[3], xd[3] = t[1];
    memcpy(t, wd, sizeof t), wd[1] = t[2], wd[2] = t[3], wd[3] = t[1];
    memcpy(t, yd, sizeof t), yd[1] = t[2], yd[2] = t[3], yd[3] = t[1];
  }
  tactic_case_add(&c, false, 2 + s->ns, xd, &g_seed);
  tactic_case_add(&c, true, 2 + s->ns, wd, &g_seed);
  if (s->bias) tactic_case_add(&c, true, 1, (const int64_t[]){s->K}, &g_seed);
  if (s->residual) tactic_case_add(&c, false, 2 + s->ns, yd, &g_seed);
  compare_case(&c, expect);
  tactic_case_free(&c);
}

static conv_spec conv2(int64_t N, int64_t C, int64_t K, int64_t G, int64_t h, int64_t w, int64_t k, int64_t s,
                       int64_t pad) {
  conv_spec c = {2, INGOT_PADDING_EXPLICIT, N, C, K, G, {h, w}, {k, k}, {s, s}, {1, 1}, {pad, pad}, {pad, pad}, 0, 0, 0};
  return c;
}

static void test_conv(void) {
  /* hand-picked: the layers the fast paths were written for */
  conv_spec s;
  s = conv2(1, 3, 8, 1, 9, 11, 3, 1, 1), conv_case(&s, "conv_f32_gemm");
  s = conv2(2, 16, 24, 1, 7, 7, 1, 1, 0), s.bias = 1, s.act = 2, conv_case(&s, "conv_f32_gemm"); /* 1x1 direct */
  s = conv2(1, 16, 20, 1, 9, 9, 1, 2, 0), s.bias = 1, conv_case(&s, "conv_f32_gemm");          /* 1x1 stride 2 */
  s = conv2(2, 8, 8, 8, 10, 13, 3, 1, 1), s.bias = 1, s.act = 2, conv_case(&s, "conv_f32_depthwise");
  s = conv2(1, 12, 12, 12, 11, 9, 3, 2, 1), s.residual = 1, conv_case(&s, "conv_f32_depthwise");
  s = conv2(1, 6, 6, 6, 8, 8, 5, 1, 2), s.d[0] = 2, s.d[1] = 1, conv_case(&s, "conv_f32_depthwise");
  s = conv2(1, 8, 12, 4, 9, 9, 3, 1, 1), s.bias = 1, s.residual = 1, s.act = 2, conv_case(&s, "conv_f32_gemm");
  s = conv2(1, 3, 7, 1, 23, 19, 7, 2, 3), s.bias = 1, conv_case(&s, "conv_f32_gemm");          /* stem-like */
  s = conv2(1, 256, 9, 1, 28, 28, 3, 1, 1), s.bias = 1, s.residual = 1, conv_case(&s, "conv_f32_gemm"); /* 2 B tiles */
  s = conv2(3, 5, 17, 1, 4, 3, 1, 1, 0), s.residual = 1, s.act = 3, conv_case(&s, "conv_f32_gemm");
  s = conv2(1, 4, 4, 1, 6, 6, 3, 1, 0), s.mode = INGOT_PADDING_SAME_UPPER, s.s[0] = 2, conv_case(&s, "conv_f32_gemm");
  s = conv2(1, 4, 4, 4, 7, 6, 4, 1, 0), s.mode = INGOT_PADDING_SAME_LOWER, conv_case(&s, "conv_f32_depthwise");
  s = conv2(1, 2, 3, 1, 5, 5, 3, 1, 0), s.mode = INGOT_PADDING_VALID, conv_case(&s, "conv_f32_gemm");
  s = conv2(1, 2, 3, 1, 2, 2, 3, 1, 0), s.pre[0] = 3, s.post[1] = 4, conv_case(&s, "conv_f32_gemm"); /* mostly padding */
  conv_spec one_d = {1, INGOT_PADDING_EXPLICIT, 2, 6, 10, 2, {37, 0}, {5, 0}, {2, 0}, {2, 0}, {3, 0}, {1, 0}, 1, 1, 2};
  conv_case(&one_d, "conv_f32_gemm");
  conv_spec one_dw = {1, INGOT_PADDING_EXPLICIT, 1, 5, 5, 5, {40, 0}, {3, 0}, {1, 0}, {1, 0}, {1, 0}, {1, 0}, 1, 0, 4};
  conv_case(&one_dw, "conv_f32_depthwise");
  /* random */
  static const int64_t chans[] = {1, 2, 3, 4, 6, 8, 12, 16, 17, 32};
  for (int32_t r = 0; r < 160; r++) {
    conv_spec x;
    memset(&x, 0, sizeof x);
    x.ns = rnd(5) == 0 ? 1 : 2;
    x.mode = rnd(4) == 0 ? (int32_t)rnd(4) : INGOT_PADDING_EXPLICIT;
    x.N = 1 + rnd(3);
    int64_t kind = rnd(5);
    if (kind == 0) { /* depthwise */
      x.C = x.K = x.G = chans[rnd(10)];
      if (x.G == 1) x.C = x.K = x.G = 2;
    } else if (kind == 1) { /* grouped */
      x.G = 1 + rnd(4);
      x.C = x.G * (1 + rnd(4));
      x.K = x.G * (1 + rnd(5));
    } else {
      x.G = 1;
      x.C = chans[rnd(10)];
      x.K = chans[rnd(10)] + rnd(3);
    }
    for (int32_t i = 0; i < x.ns; i++) {
      int32_t j = x.ns == 1 ? 0 : i;
      x.in[j] = 1 + rnd(x.ns == 1 ? 60 : 20);
      x.k[j] = 1 + rnd(5);
      x.s[j] = 1 + rnd(3);
      x.d[j] = rnd(4) == 0 ? 2 : 1;
      x.pre[j] = rnd(3);
      x.post[j] = rnd(3);
    }
    x.bias = rnd(2);
    x.residual = rnd(3) == 0;
    x.act = (int32_t)rnd(6);
    conv_case(&x, NULL);
  }
}

/* Channels last (the CPU layout pass's regions): conv_f32_nhwc_gemm on the shapes of
 * ResNet / MobileNet / EfficientNet layers and on random ones (groups, strides, dilation,
 * padding modes, column counts that are not a multiple of the tile's, epilogues). */
static void test_conv_nhwc(void) {
  conv_spec s;
  const char *t = "conv_f32_nhwc_gemm";
  s = conv2(1, 16, 24, 1, 7, 7, 1, 1, 0), s.channels_last = 1, s.bias = 1, s.act = 2, conv_case(&s, t); /* 1x1 */
  s = conv2(2, 32, 40, 1, 9, 9, 1, 2, 0), s.channels_last = 1, s.bias = 1, conv_case(&s, t);           /* 1x1 s2 */
  s = conv2(1, 64, 64, 1, 14, 14, 3, 1, 1), s.channels_last = 1, s.bias = 1, s.residual = 1, s.act = 2,
  conv_case(&s, t);                                                                                   /* 3x3 */
  s = conv2(1, 3, 32, 1, 23, 19, 7, 2, 3), s.channels_last = 1, s.bias = 1, s.act = 3, conv_case(&s, t); /* stem */
  s = conv2(1, 3, 16, 1, 20, 20, 3, 2, 1), s.channels_last = 1, s.act = 4, conv_case(&s, t);           /* C = 3, sigmoid */
  s = conv2(1, 8, 12, 4, 9, 9, 3, 1, 1), s.channels_last = 1, s.bias = 1, s.residual = 1, conv_case(&s, t); /* groups */
  s = conv2(1, 8, 8, 8, 10, 13, 3, 2, 1), s.channels_last = 1, s.bias = 1, conv_case(&s, t);          /* depthwise */
  s = conv2(3, 5, 17, 1, 4, 3, 1, 1, 0), s.channels_last = 1, s.residual = 1, s.act = 5, conv_case(&s, t); /* leaky */
  s = conv2(1, 4, 4, 1, 6, 6, 3, 1, 0), s.channels_last = 1, s.mode = INGOT_PADDING_SAME_UPPER, s.s[0] = 2,
  conv_case(&s, t);
  s = conv2(1, 2, 3, 1, 2, 2, 3, 1, 0), s.channels_last = 1, s.pre[0] = 3, s.post[1] = 4, conv_case(&s, t);
  s = conv2(1, 40, 100, 1, 5, 5, 3, 1, 2), s.channels_last = 1, s.d[0] = 2, s.bias = 1, conv_case(&s, t); /* dilation */
  s = conv2(1, 512, 70, 1, 3, 3, 3, 1, 1), s.channels_last = 1, s.bias = 1, s.residual = 1, conv_case(&s, t); /* long K */
  static const int64_t chans[] = {1, 2, 3, 4, 6, 8, 12, 16, 17, 32, 33, 48};
  for (int32_t r = 0; r < 120; r++) {
    conv_spec x;
    memset(&x, 0, sizeof x);
    x.ns = 2;
    x.channels_last = 1;
    x.mode = rnd(4) == 0 ? (int32_t)rnd(4) : INGOT_PADDING_EXPLICIT;
    x.N = 1 + rnd(3);
    if (rnd(4) == 0) { /* grouped */
      x.G = 1 + rnd(4);
      x.C = x.G * (1 + rnd(6));
      x.K = x.G * (1 + rnd(9));
    } else {
      x.G = 1;
      x.C = chans[rnd(12)];
      x.K = chans[rnd(12)] + rnd(20);
    }
    for (int32_t i = 0; i < 2; i++) {
      x.in[i] = 1 + rnd(20);
      x.k[i] = 1 + rnd(5);
      x.s[i] = 1 + rnd(3);
      x.d[i] = rnd(4) == 0 ? 2 : 1;
      x.pre[i] = rnd(3);
      x.post[i] = rnd(3);
    }
    x.bias = rnd(2);
    x.residual = rnd(3) == 0;
    x.act = (int32_t)rnd(6);
    conv_case(&x, t);
  }
}

/* conv_f32_winograd_nhwc: 3x3 stride-1 channels-last layers of ResNet and YOLO, edge tiles
 * clipped (odd outputs), every padding, the epilogues; then random ones. */
static void test_conv_winograd_nhwc(void) {
  conv_spec s;
  const char *t = "conv_f32_winograd_nhwc";
  s = conv2(1, 64, 64, 1, 14, 14, 3, 1, 1), s.channels_last = 1, s.bias = 1, s.residual = 1, s.act = 2,
  conv_case(&s, t);                                                                                   /* ResNet */
  s = conv2(1, 32, 48, 1, 9, 11, 3, 1, 1), s.channels_last = 1, s.bias = 1, s.act = 3, conv_case(&s, t); /* clip */
  s = conv2(1, 8, 8, 1, 5, 6, 3, 1, 1), s.channels_last = 1, s.act = 4, conv_case(&s, t);            /* sigmoid */
  s = conv2(1, 128, 64, 1, 7, 7, 3, 1, 1), s.channels_last = 1, s.bias = 1, s.act = 5, conv_case(&s, t); /* leaky */
  s = conv2(2, 24, 40, 1, 13, 10, 3, 1, 1), s.channels_last = 1, s.bias = 1, s.residual = 1, conv_case(&s, t);
  s = conv2(1, 16, 20, 1, 12, 9, 3, 1, 0), s.channels_last = 1, s.bias = 1, s.act = 2, conv_case(&s, t); /* pad 0 */
  s = conv2(1, 16, 16, 1, 3, 3, 3, 1, 0), s.channels_last = 1, conv_case(&s, t);                     /* one pixel */
  s = conv2(2, 9, 17, 1, 8, 7, 3, 1, 0), s.channels_last = 1, s.mode = INGOT_PADDING_SAME_UPPER, s.bias = 1,
  conv_case(&s, t);
  s = conv2(1, 12, 33, 1, 6, 9, 3, 1, 0), s.channels_last = 1, s.mode = INGOT_PADDING_SAME_LOWER, s.act = 3,
  conv_case(&s, t);
  s = conv2(1, 8, 10, 1, 5, 7, 3, 1, 0), s.channels_last = 1, s.pre[0] = 2, s.post[1] = 3, s.residual = 1,
  conv_case(&s, t); /* asymmetric */
  s = conv2(1, 20, 8, 1, 2, 2, 3, 1, 2), s.channels_last = 1, s.bias = 1, conv_case(&s, t); /* mostly padding */
  s = conv2(1, 256, 96, 1, 9, 9, 3, 1, 1), s.channels_last = 1, s.bias = 1, s.residual = 1, s.act = 2,
  conv_case(&s, t); /* wide, several chunks and map blocks */
  s = conv2(1, 48, 40, 1, 40, 38, 3, 1, 1), s.channels_last = 1, s.bias = 1, s.act = 4, conv_case(&s, t); /* YOLO */
  for (int32_t r = 0; r < 60; r++) {
    conv_spec x = conv2(1 + rnd(2), 8 + rnd(41), 8 + rnd(41), 1, 1 + rnd(16), 1 + rnd(16), 3, 1, 0);
    x.channels_last = 1;
    x.mode = rnd(4) == 0 ? (int32_t)rnd(4) : INGOT_PADDING_EXPLICIT;
    for (int32_t i = 0; i < 2; i++) x.pre[i] = rnd(3), x.post[i] = rnd(3);
    x.bias = rnd(2);
    x.residual = rnd(3) == 0;
    x.act = (int32_t)rnd(6);
    if (conv_out(&x, 0) < 1 || conv_out(&x, 1) < 1) continue; /* no output: nothing to compare */
    conv_case(&x, t);
  }
}

/* What the conv tactics refuse, and what they need. */
static void test_conv_refusals(void) {
  const ingot_backend *be = ingot_cpu_backend();
  const ingot_tactic *gemm = NULL, *dw = NULL;
  for (int32_t i = 0; i < be->nb_tactics; i++) {
    if (strcmp(be->tactics[i].name, "conv_f32_gemm") == 0) gemm = &be->tactics[i];
    if (strcmp(be->tactics[i].name, "conv_f32_depthwise") == 0) dw = &be->tactics[i];
  }
  CHECK(gemm && dw);
  if (!gemm || !dw) return;
  ingot_node n;
  memset(&n, 0, sizeof n);
  n.name = "refuse";
  n.op = INGOT_OP_CONVOLUTION;
  n.nb_inputs = 2;
  n.nb_outputs = 1;
  n.params.conv.nb_spatial_dims = 3;
  n.params.conv.num_output_maps = 2;
  n.params.conv.kernel_size[0] = n.params.conv.kernel_size[1] = n.params.conv.kernel_size[2] = 1;
  n.params.conv.epilogue.activation = -1;
  float w[8] = {0};
  ingot_tensor_view in[2] = {{INGOT_FLOAT32, ingot_dims_make(5, (const int64_t[]){1, 2, 3, 3, 3}), NULL},
                             {INGOT_FLOAT32, ingot_dims_make(5, (const int64_t[]){2, 2, 1, 1, 1}), w}};
  ingot_tensor_view out = {INGOT_FLOAT32, ingot_dims_make(5, (const int64_t[]){1, 2, 3, 3, 3}), NULL};
  CHECK(!gemm->supports(&n, in, &out)); /* 3-D */
  n.params.conv.nb_spatial_dims = 2;
  in[0].dims = ingot_dims_make(4, (const int64_t[]){1, 2, 3, 3});
  in[1].dims = ingot_dims_make(4, (const int64_t[]){2, 2, 1, 1});
  out.dims = ingot_dims_make(4, (const int64_t[]){1, 2, 3, 3});
  CHECK(gemm->supports(&n, in, &out));
  CHECK(!dw->supports(&n, in, &out)); /* not depthwise */
  in[1].data = NULL;
  CHECK(!gemm->supports(&n, in, &out)); /* weights not constant */
  in[1].data = w;
  in[0].dtype = INGOT_FLOAT16;
  CHECK(!gemm->supports(&n, in, &out));
  in[0].dtype = INGOT_FLOAT32;
  out.dtype = INGOT_BFLOAT16;
  CHECK(!gemm->supports(&n, in, &out));
}

/* Packed weights made for another tile (a plan built where another kernel was best) run
 * through the kernel of that tile or the generic one, with the same results. */
static void test_foreign_pack(void) {
  const ingot_backend *be = ingot_cpu_backend();
  const ingot_tactic *gemm = NULL;
  for (int32_t i = 0; i < be->nb_tactics; i++)
    if (strcmp(be->tactics[i].name, "conv_f32_gemm") == 0) gemm = &be->tactics[i];
  if (!gemm) return;
  conv_spec s = conv2(2, 5, 11, 1, 9, 8, 3, 1, 1);
  s.bias = 1;
  tactic_case c;
  tactic_case_init(&c, INGOT_OP_CONVOLUTION, "conv with a foreign pack");
  ingot_conv_params *p = &c.node.params.conv;
  p->nb_spatial_dims = 2;
  p->num_output_maps = s.K;
  p->has_bias = 1;
  p->epilogue.activation = -1;
  for (int32_t i = 0; i < 2; i++) {
    p->kernel_size[i] = 3;
    p->pre_padding[i] = p->post_padding[i] = 1;
  }
  tactic_case_add(&c, false, 4, (const int64_t[]){2, 5, 9, 8}, &g_seed);
  tactic_case_add(&c, true, 4, (const int64_t[]){11, 5, 3, 3}, &g_seed);
  tactic_case_add(&c, true, 1, (const int64_t[]){11}, &g_seed);
  c.node.nb_inputs = 3;
  ingot_dims yd = ingot_dims_make(4, (const int64_t[]){2, 11, 9, 8});
  result want = run_tactic(reference_of(be, INGOT_OP_CONVOLUTION), &c, &yd, NULL, 0);
  ingot_gemm_kernel shapes[2] = {{.mr = 4, .nr = 16}, {.mr = 5, .nr = 24}}; /* portable's tile; one of no kernel */
  for (int32_t v = 0; v < 2; v++) {
    ingot_gemm_kernel storage;
    const ingot_gemm_kernel *kr = ingot_gemm_kernel_for_shape(shapes[v].mr, shapes[v].nr, &storage);
    uint64_t size = 0;
    void *block = ingot_gemm_pack_alloc(kr, 0, 11, 45, 1, &size);
    ingot_gemm_pack_a(NULL, kr, 11, 45, c.data[1], 45, 1, (float *)ingot_gemm_pack_matrix(block, 0));
    result got = run_tactic(gemm, &c, &yd, block, size);
    CHECK_OK(got.status);
    for (int64_t k = 0; got.status == INGOT_SUCCESS && k < want.volume; k++)
      if (!(fabs(got.y[k] - want.y[k]) <= 1e-4 * (1.0 + fabs(want.y[k])))) {
        fprintf(stderr, "foreign pack %dx%d: element %lld is %g, expected %g\n", kr->mr, kr->nr, (long long)k, got.y[k],
                want.y[k]);
        test_failures++;
        break;
      }
    free(got.y);
    /* a pack for other dims is refused with a message */
    c.dims[1].d[0] = 10;
    c.dims[2].d[0] = 10;
    ingot_dims yd10 = ingot_dims_make(4, (const int64_t[]){2, 10, 9, 8});
    p->num_output_maps = 10;
    got = run_tactic(gemm, &c, &yd10, block, size);
    CHECK(got.status == INGOT_INVALID_ARGUMENT);
    CHECK(strstr(ingot_last_error(), "packed weights") != NULL);
    free(got.y);
    c.dims[1].d[0] = 11;
    c.dims[2].d[0] = 11;
    p->num_output_maps = 11;
    free(block);
  }
  free(want.y);
  tactic_case_free(&c);
}

/* ---- fully connected ---------------------------------------------------------------------- */

static void fc_case(int64_t rows, const int64_t *xtail, int32_t ntail, int64_t outputs, int32_t bias, int32_t residual,
                    int64_t act) {
  tactic_case c;
  char name[128];
  int64_t k = 1;
  for (int32_t i = 0; i < ntail; i++) k *= xtail[i];
  snprintf(name, sizeof name, "fc rows %lld K %lld out %lld b%d r%d a%lld", (long long)rows, (long long)k,
           (long long)outputs, bias, residual, (long long)act);
  tactic_case_init(&c, INGOT_OP_FULLY_CONNECTED, name);
  ingot_fc_params *p = &c.node.params.fc;
  p->num_outputs = outputs;
  p->has_bias = bias;
  set_epilogue(&p->epilogue, act);
  p->epilogue.has_residual = residual;
  int64_t xd[5] = {rows};
  for (int32_t i = 0; i < ntail; i++) xd[1 + i] = xtail[i];
  tactic_case_add(&c, false, 1 + ntail, xd, &g_seed);
  tactic_case_add(&c, true, 2, (const int64_t[]){outputs, k}, &g_seed);
  if (bias) tactic_case_add(&c, true, 1, (const int64_t[]){outputs}, &g_seed);
  if (residual) tactic_case_add(&c, false, 2, (const int64_t[]){rows, outputs}, &g_seed);
  compare_case(&c, "fc_f32_gemm");
  tactic_case_free(&c);
}

static void test_fc(void) {
  fc_case(1, (const int64_t[]){400}, 1, 120, 1, 0, 2);
  fc_case(8, (const int64_t[]){16, 5, 5}, 3, 120, 1, 1, 2);
  fc_case(3, (const int64_t[]){1}, 1, 1, 0, 0, 0);
  fc_case(33, (const int64_t[]){300}, 1, 257, 1, 1, 3);
  static const int64_t sizes[] = {1, 2, 5, 7, 16, 17, 31, 64, 100, 130};
  for (int32_t r = 0; r < 60; r++) {
    int64_t k = sizes[rnd(10)];
    fc_case(sizes[rnd(10)], &k, 1, sizes[rnd(10)], (int32_t)rnd(2), rnd(3) == 0, rnd(6));
  }
}

/* ---- matrix multiply ---------------------------------------------------------------------- */

typedef struct mm_spec {
  int32_t op_a, op_b;
  int32_t ra, rb;             /* ranks */
  int64_t a[4], b[4];         /* dims */
  bool b_const;
  int32_t bias_rank;          /* 0: none */
  int64_t bias[4];
  int32_t residual;
  int64_t act;
} mm_spec;

static void mm_case(const mm_spec *s) {
  tactic_case c;
  char name[160];
  snprintf(name, sizeof name, "matmul op %d,%d a rank %d [%lld %lld %lld %lld] b rank %d [%lld %lld %lld %lld] bconst %d bias %d r%d a%lld",
           s->op_a, s->op_b, s->ra, (long long)s->a[0], (long long)s->a[1], (long long)s->a[2], (long long)s->a[3], s->rb,
           (long long)s->b[0], (long long)s->b[1], (long long)s->b[2], (long long)s->b[3], s->b_const, s->bias_rank,
           s->residual, (long long)s->act);
  tactic_case_init(&c, INGOT_OP_MATRIX_MULTIPLY, name);
  ingot_matmul_params *p = &c.node.params.matmul;
  p->op_a = s->op_a;
  p->op_b = s->op_b;
  p->has_bias = s->bias_rank > 0;
  set_epilogue(&p->epilogue, s->act);
  p->epilogue.has_residual = s->residual;
  tactic_case_add(&c, false, s->ra, s->a, &g_seed);
  tactic_case_add(&c, s->b_const, s->rb, s->b, &g_seed);
  if (s->bias_rank) tactic_case_add(&c, true, s->bias_rank, s->bias, &g_seed);
  if (s->residual) {
    /* the output's dims, from inference */
    ingot_value_info vi[3], vo[1];
    memset(vi, 0, sizeof vi);
    for (int32_t i = 0; i < c.nb_inputs; i++) {
      vi[i].dtype = INGOT_FLOAT32;
      vi[i].dims = c.dims[i];
    }
    c.node.nb_inputs = c.nb_inputs;
    if (ingot_op_infer(c.node.op)(&c.node, vi, vo) != INGOT_SUCCESS) {
      tactic_case_free(&c);
      return;
    }
    tactic_case_add(&c, false, vo[0].dims.nb_dims, vo[0].dims.d, &g_seed);
  }
  compare_case(&c, "matmul_f32_gemm");
  tactic_case_free(&c);
}

static void test_matmul(void) {
  static const int64_t sizes[] = {1, 2, 3, 5, 7, 8, 16, 17, 33, 64, 100};
  for (int32_t r = 0; r < 120; r++) {
    mm_spec s;
    memset(&s, 0, sizeof s);
    s.op_a = (int32_t)rnd(3);
    s.op_b = (int32_t)rnd(3);
    int64_t m = sizes[rnd(11)], n = sizes[rnd(11)], k = sizes[rnd(11)];
    int32_t batch_a = (int32_t)rnd(3), batch_b = (int32_t)rnd(3); /* extra leading dims */
    int64_t bdims[2] = {1 + rnd(3), 1 + rnd(3)};
    /* each operand's batch dims: a suffix of bdims, some set to 1 to broadcast */
    int32_t need_a = s.op_a == INGOT_MATRIX_OP_VECTOR ? 1 : 2, need_b = s.op_b == INGOT_MATRIX_OP_VECTOR ? 1 : 2;
    s.ra = batch_a + need_a;
    s.rb = batch_b + need_b;
    for (int32_t i = 0; i < batch_a; i++) s.a[i] = rnd(3) == 0 ? 1 : bdims[2 - batch_a + i];
    for (int32_t i = 0; i < batch_b; i++) s.b[i] = rnd(3) == 0 ? 1 : bdims[2 - batch_b + i];
    if (s.op_a == INGOT_MATRIX_OP_NONE) s.a[batch_a] = m, s.a[batch_a + 1] = k;
    else if (s.op_a == INGOT_MATRIX_OP_TRANSPOSE) s.a[batch_a] = k, s.a[batch_a + 1] = m;
    else s.a[batch_a] = k;
    if (s.op_b == INGOT_MATRIX_OP_NONE) s.b[batch_b] = k, s.b[batch_b + 1] = n;
    else if (s.op_b == INGOT_MATRIX_OP_TRANSPOSE) s.b[batch_b] = n, s.b[batch_b + 1] = k;
    else s.b[batch_b] = k;
    s.b_const = rnd(2);
    s.residual = rnd(3) == 0;
    s.act = rnd(6);
    int64_t bias_kind = rnd(4);
    if (bias_kind == 1 && s.op_b != INGOT_MATRIX_OP_VECTOR) {
      s.bias_rank = 1;
      s.bias[0] = n;
    } else if (bias_kind == 2 && s.op_a != INGOT_MATRIX_OP_VECTOR && s.op_b != INGOT_MATRIX_OP_VECTOR) {
      s.bias_rank = 2;
      s.bias[0] = m;
      s.bias[1] = rnd(2) ? n : 1;
    } else if (bias_kind == 3 && (s.op_a != INGOT_MATRIX_OP_VECTOR || s.op_b != INGOT_MATRIX_OP_VECTOR)) {
      s.bias_rank = 1;
      s.bias[0] = 1;
    }
    mm_case(&s);
  }
  /* the folded path: A [B, S, K] times a shared constant B [K, N], per-column bias */
  mm_spec t = {0, 0, 3, 2, {4, 13, 37}, {37, 29}, true, 1, {29}, 1, 2};
  mm_case(&t);
  t.b_const = false;
  mm_case(&t);
  mm_spec u = {1, 1, 4, 3, {2, 3, 21, 9}, {3, 18, 21}, false, 3, {3, 9, 18}, 0, 3}; /* both transposed, batch bias */
  mm_case(&u);
}

/* ---- pooling ------------------------------------------------------------------------------- */

typedef struct pool_spec {
  int32_t type, mode, ceil, exclude, global;
  int64_t N, C, in[2], k[2], s[2], d[2], pre[2], post[2];
  int32_t channels_last; /* x [N, H, W, C], y [N, OH, OW, C] */
  int32_t specials;      /* some inputs NaN and -inf (the max's NaN propagation) */
} pool_spec;

static void pool_case(const pool_spec *s, const char *expect) {
  tactic_case c;
  char name[160];
  snprintf(name, sizeof name, "pool%s type %d N%lld C%lld in %lldx%lld k %lldx%lld s %lldx%lld d %lldx%lld pad %lld,%lld/%lld,%lld mode %d ceil %d excl %d global %d",
           s->channels_last ? " nhwc" : "", s->type, (long long)s->N, (long long)s->C, (long long)s->in[0], (long long)s->in[1], (long long)s->k[0],
           (long long)s->k[1], (long long)s->s[0], (long long)s->s[1], (long long)s->d[0], (long long)s->d[1],
           (long long)s->pre[0], (long long)s->pre[1], (long long)s->post[0], (long long)s->post[1], s->mode, s->ceil,
           s->exclude, s->global);
  tactic_case_init(&c, INGOT_OP_POOLING, name);
  ingot_pooling_params *p = &c.node.params.pooling;
  p->type = s->type;
  p->nb_spatial_dims = 2;
  p->padding_mode = s->mode;
  p->ceil_mode = s->ceil;
  p->average_count_excludes_padding = s->exclude;
  p->global = s->global;
  for (int32_t i = 0; i < 2; i++) {
    p->window_size[i] = s->k[i];
    p->stride[i] = s->s[i];
    p->dilation[i] = s->d[i];
    p->pre_padding[i] = s->pre[i];
    p->post_padding[i] = s->post[i];
  }
  p->channels_last = s->channels_last;
  if (s->channels_last)
    tactic_case_add(&c, false, 4, (const int64_t[]){s->N, s->in[0], s->in[1], s->C}, &g_seed);
  else
    tactic_case_add(&c, false, 4, (const int64_t[]){s->N, s->C, s->in[0], s->in[1]}, &g_seed);
  int64_t volume = ingot_dims_volume(&c.dims[0]);
  for (int64_t i = 0; s->specials && i < volume; i += 7) c.data[0][i] = i % 2 ? NAN : -INFINITY;
  compare_case(&c, expect);
  tactic_case_free(&c);
}

static void test_pooling(void) {
  /* ResNet's stem max pool, its global average pool, VGG's 2x2, a 3x3 stride-1 average */
  pool_spec p = {INGOT_POOLING_MAX, INGOT_PADDING_EXPLICIT, 0, 0, 0, 1, 4, {56, 56}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}};
  pool_case(&p, "pool2d_f32_direct");
  pool_spec g = {INGOT_POOLING_AVERAGE, INGOT_PADDING_EXPLICIT, 0, 0, 1, 2, 5, {7, 7}, {0, 0}, {1, 1}, {1, 1}, {0, 0}, {0, 0}};
  pool_case(&g, "pool2d_f32_direct");
  pool_spec v = {INGOT_POOLING_MAX, INGOT_PADDING_VALID, 0, 0, 0, 1, 3, {17, 16}, {2, 2}, {2, 2}, {1, 1}, {0, 0}, {0, 0}};
  pool_case(&v, "pool2d_f32_direct");
  pool_spec a = {INGOT_POOLING_AVERAGE, INGOT_PADDING_EXPLICIT, 1, 0, 0, 1, 3, {9, 10}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}};
  pool_case(&a, "pool2d_f32_direct");
  /* windows wholly in the padding; ceil mode adding a partial window */
  pool_spec w = {INGOT_POOLING_MAX, INGOT_PADDING_EXPLICIT, 1, 0, 0, 1, 2, {3, 2}, {2, 2}, {3, 3}, {1, 1}, {3, 2}, {4, 4}};
  pool_case(&w, "pool2d_f32_direct");
  for (int32_t r = 0; r < 200; r++) {
    pool_spec x;
    memset(&x, 0, sizeof x);
    x.type = rnd(2) ? INGOT_POOLING_MAX : INGOT_POOLING_AVERAGE;
    x.mode = rnd(4) == 0 ? (int32_t)rnd(4) : INGOT_PADDING_EXPLICIT;
    x.ceil = x.mode == INGOT_PADDING_EXPLICIT && rnd(3) == 0;
    x.exclude = (int32_t)rnd(2);
    x.global = rnd(10) == 0;
    x.N = 1 + rnd(2);
    x.C = 1 + rnd(5);
    for (int32_t i = 0; i < 2; i++) {
      x.in[i] = 1 + rnd(25);
      x.k[i] = 1 + rnd(5);
      x.s[i] = 1 + rnd(3);
      x.d[i] = rnd(4) == 0 ? 2 : 1;
      x.pre[i] = rnd(x.k[i]);
      x.post[i] = rnd(x.k[i]);
      int64_t room = x.in[i] + (x.mode == INGOT_PADDING_EXPLICIT ? x.pre[i] + x.post[i] : 0);
      if (x.d[i] * (x.k[i] - 1) + 1 > room) x.k[i] = 1; /* keep an output */
    }
    pool_case(&x, x.global ? "pool2d_f32_direct" : NULL);
  }
}

/* ---- channels last: depthwise convolution and pooling --------------------------------------- */

/* conv_f32_depthwise_nhwc and pool2d_f32_nhwc on MobileNetV2 / EfficientNet / ResNet
 * layers, channel counts that are not a multiple of the vector (3, 17, 300), wide layers
 * on few rows (split into channel chunks), and random shapes. */
static void test_depthwise_pool_nhwc(void) {
  const char *dw = "conv_f32_depthwise_nhwc", *pool = "pool2d_f32_nhwc";
  conv_spec s;
#define DW(N, C, H, W, K, S, PAD) (s = conv2(N, C, C, C, H, W, K, S, PAD), s.channels_last = 1, s)
  s = DW(1, 32, 14, 14, 3, 1, 1), s.bias = 1, s.act = 2, conv_case(&s, dw);                   /* relu */
  s = DW(2, 96, 15, 13, 3, 2, 1), s.bias = 1, s.act = 3, conv_case(&s, dw);                   /* clip, s2 */
  s = DW(1, 144, 9, 9, 5, 2, 2), s.bias = 1, s.residual = 1, s.act = 4, conv_case(&s, dw);    /* sigmoid */
  s = DW(2, 17, 8, 11, 3, 1, 2), s.d[0] = s.d[1] = 2, s.residual = 1, s.act = 5, conv_case(&s, dw); /* leaky */
  s = DW(1, 3, 7, 9, 3, 2, 0), s.mode = INGOT_PADDING_SAME_UPPER, s.bias = 1, conv_case(&s, dw);
  s = DW(2, 17, 7, 6, 4, 1, 0), s.mode = INGOT_PADDING_SAME_LOWER, s.act = 2, conv_case(&s, dw);
  s = DW(1, 32, 10, 9, 3, 2, 0), s.pre[0] = 0, s.pre[1] = 1, s.post[0] = 2, s.post[1] = 0, conv_case(&s, dw);
  s = DW(1, 48, 6, 7, 3, 1, 0), s.mode = INGOT_PADDING_VALID, s.s[1] = 3, conv_case(&s, dw);
  s = DW(1, 960, 7, 7, 5, 1, 2), s.bias = 1, s.residual = 1, s.act = 3, conv_case(&s, dw);   /* chunks */
  s = DW(2, 300, 3, 4, 3, 1, 1), s.bias = 1, s.act = 4, conv_case(&s, dw);                   /* chunks, odd tail */
  s = DW(1, 5, 2, 2, 3, 1, 0), s.pre[0] = 3, s.post[1] = 4, s.bias = 1, conv_case(&s, dw);   /* mostly padding */
  s = DW(1, 16, 5, 5, 1, 1, 0), conv_case(&s, dw);                                           /* 1x1 */
  static const int64_t chans[] = {2, 3, 5, 16, 17, 32, 48, 96};
  for (int32_t r = 0; r < 100; r++) {
    conv_spec x;
    memset(&x, 0, sizeof x);
    x.ns = 2;
    x.channels_last = 1;
    x.mode = rnd(4) == 0 ? (int32_t)rnd(4) : INGOT_PADDING_EXPLICIT;
    x.N = 1 + rnd(2);
    x.C = x.K = x.G = chans[rnd(8)];
    for (int32_t i = 0; i < 2; i++) {
      x.in[i] = 1 + rnd(16);
      x.k[i] = 1 + rnd(5);
      x.s[i] = 1 + rnd(3);
      x.d[i] = rnd(4) == 0 ? 2 : 1;
      x.pre[i] = rnd(3);
      x.post[i] = rnd(3);
    }
    x.bias = rnd(2);
    x.residual = rnd(3) == 0;
    x.act = (int32_t)rnd(6);
    conv_case(&x, dw);
  }
#undef DW
  /* type, mode, ceil, exclude, global, N, C, in, k, s, d, pre, post, channels_last, specials */
  const int32_t M = INGOT_POOLING_MAX, A = INGOT_POOLING_AVERAGE, E = INGOT_PADDING_EXPLICIT;
  pool_spec list[] = {
      {M, E, 0, 0, 0, 1, 64, {56, 56}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, 1, 0}, /* ResNet's stem */
      {M, E, 0, 0, 0, 2, 17, {13, 12}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, 1, 1}, /* NaN, -inf */
      {A, E, 0, 1, 0, 2, 17, {13, 12}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, 1, 0}, /* exclude pad */
      {A, E, 0, 0, 0, 1, 32, {9, 10}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 1, 0},  /* include pad */
      {M, E, 1, 0, 0, 1, 24, {14, 14}, {3, 3}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, 1, 0}, /* ceil mode */
      {A, E, 1, 0, 0, 2, 19, {10, 11}, {3, 2}, {2, 2}, {1, 1}, {1, 0}, {1, 0}, 1, 0}, /* ceil, post pad */
      {A, E, 1, 1, 0, 1, 19, {10, 11}, {3, 3}, {2, 3}, {1, 1}, {1, 1}, {0, 1}, 1, 0},
      {M, E, 0, 0, 0, 1, 33, {12, 12}, {3, 3}, {1, 2}, {2, 2}, {2, 1}, {2, 1}, 1, 0}, /* dilation */
      {M, E, 1, 0, 0, 1, 5, {3, 2}, {2, 2}, {3, 3}, {1, 1}, {3, 2}, {4, 4}, 1, 0},    /* windows in padding */
      {A, INGOT_PADDING_SAME_UPPER, 0, 1, 0, 1, 3, {7, 8}, {3, 3}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, 1, 0},
      {M, INGOT_PADDING_SAME_LOWER, 0, 0, 0, 2, 16, {7, 8}, {2, 2}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, 1, 0},
      {A, E, 0, 0, 1, 1, 1280, {7, 7}, {0, 0}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, 1, 0}, /* global, chunks */
      {M, E, 0, 0, 1, 2, 96, {5, 6}, {0, 0}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, 1, 1},   /* global max */
      {A, E, 0, 0, 1, 2, 3, {9, 4}, {0, 0}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, 1, 0},
  };
  for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) pool_case(&list[i], pool);
  static const int64_t pchans[] = {1, 3, 5, 16, 17, 33, 64, 96};
  for (int32_t r = 0; r < 150; r++) {
    pool_spec x;
    memset(&x, 0, sizeof x);
    x.channels_last = 1;
    x.type = rnd(2) ? INGOT_POOLING_MAX : INGOT_POOLING_AVERAGE;
    x.mode = rnd(4) == 0 ? (int32_t)rnd(4) : INGOT_PADDING_EXPLICIT;
    x.ceil = x.mode == INGOT_PADDING_EXPLICIT && rnd(3) == 0;
    x.exclude = (int32_t)rnd(2);
    x.global = rnd(10) == 0;
    x.specials = rnd(8) == 0;
    x.N = 1 + rnd(2);
    x.C = pchans[rnd(8)];
    for (int32_t i = 0; i < 2; i++) {
      x.in[i] = 1 + rnd(20);
      x.k[i] = 1 + rnd(5);
      x.s[i] = 1 + rnd(3);
      x.d[i] = rnd(4) == 0 ? 2 : 1;
      x.pre[i] = rnd(x.k[i]);
      x.post[i] = rnd(x.k[i]);
      int64_t room = x.in[i] + (x.mode == INGOT_PADDING_EXPLICIT ? x.pre[i] + x.post[i] : 0);
      if (x.d[i] * (x.k[i] - 1) + 1 > room) x.k[i] = 1; /* keep an output */
    }
    pool_case(&x, pool);
  }
}

/* Each layout's tactics decline the other's nodes (the NCHW ones would read NHWC data as
 * planes), the depthwise one needs constant depthwise weights, and packed weights that do
 * not fit the layer (a corrupted plan) fail with the layer's name instead of being read. */
static void test_nhwc_refusals(void) {
  const ingot_backend *be = ingot_cpu_backend();
  const ingot_tactic *dw = NULL, *dwn = NULL, *direct = NULL, *pooln = NULL;
  for (int32_t i = 0; i < be->nb_tactics; i++) {
    const char *name = be->tactics[i].name;
    if (strcmp(name, "conv_f32_depthwise") == 0) dw = &be->tactics[i];
    if (strcmp(name, "conv_f32_depthwise_nhwc") == 0) dwn = &be->tactics[i];
    if (strcmp(name, "pool2d_f32_direct") == 0) direct = &be->tactics[i];
    if (strcmp(name, "pool2d_f32_nhwc") == 0) pooln = &be->tactics[i];
  }
  CHECK(dw && dwn && direct && pooln);
  if (!dw || !dwn || !direct || !pooln) return;
  ingot_node n;
  memset(&n, 0, sizeof n);
  n.name = "dw_nhwc";
  n.op = INGOT_OP_CONVOLUTION;
  n.nb_inputs = 2;
  n.nb_outputs = 1;
  ingot_conv_params *cp = &n.params.conv;
  cp->nb_spatial_dims = 2;
  cp->num_output_maps = 4;
  cp->groups = 4;
  cp->kernel_size[0] = cp->kernel_size[1] = 3;
  cp->pre_padding[0] = cp->pre_padding[1] = cp->post_padding[0] = cp->post_padding[1] = 1;
  cp->epilogue.activation = -1;
  float w[36] = {0};
  /* channels first: [1, 4, 5, 5], w [4, 1, 3, 3] */
  ingot_tensor_view in[2] = {{INGOT_FLOAT32, ingot_dims_make(4, (const int64_t[]){1, 4, 5, 5}), NULL},
                             {INGOT_FLOAT32, ingot_dims_make(4, (const int64_t[]){4, 1, 3, 3}), w}};
  ingot_tensor_view out = {INGOT_FLOAT32, ingot_dims_make(4, (const int64_t[]){1, 4, 5, 5}), NULL};
  CHECK(dw->supports(&n, in, &out));
  CHECK(!dwn->supports(&n, in, &out));
  /* channels last: x [1, 5, 5, 4], w [4, 3, 3, 1] */
  cp->channels_last = 1;
  in[0].dims = ingot_dims_make(4, (const int64_t[]){1, 5, 5, 4});
  in[1].dims = ingot_dims_make(4, (const int64_t[]){4, 3, 3, 1});
  out.dims = ingot_dims_make(4, (const int64_t[]){1, 5, 5, 4});
  CHECK(!dw->supports(&n, in, &out));
  CHECK(dwn->supports(&n, in, &out));
  in[1].data = NULL;
  CHECK(!dwn->supports(&n, in, &out)); /* weights not constant */
  in[1].data = w;
  in[0].dtype = INGOT_FLOAT16;
  CHECK(!dwn->supports(&n, in, &out));
  in[0].dtype = INGOT_FLOAT32;
  cp->groups = 2; /* grouped, not depthwise: [4, 3, 3, 2] */
  in[1].dims = ingot_dims_make(4, (const int64_t[]){4, 3, 3, 2});
  CHECK(!dwn->supports(&n, in, &out));
  cp->groups = 4;
  in[1].dims = ingot_dims_make(4, (const int64_t[]){4, 3, 3, 1});

  /* packed weights that do not fit: none, garbage, another layer's, truncated */
  tactic_case c;
  tactic_case_init(&c, INGOT_OP_CONVOLUTION, "dw_nhwc_pack");
  c.node.params.conv = *cp;
  tactic_case_add(&c, false, 4, (const int64_t[]){1, 5, 5, 4}, &g_seed);
  tactic_case_add(&c, true, 4, (const int64_t[]){4, 3, 3, 1}, &g_seed);
  ingot_dims yd = out.dims;
  ingot_kernel_args args;
  memset(&args, 0, sizeof args);
  ingot_tensor_view views[2];
  views_of(&c, false, views);
  args.node = &c.node;
  args.params = &c.node.params;
  args.nb_inputs = 2;
  args.inputs = views;
  args.nb_outputs = 1;
  args.outputs = &out;
  void *good = NULL;
  uint64_t good_size = 0;
  CHECK_OK(dwn->prepare(&args, &good, &good_size));
  result r = run_tactic(dwn, &c, &yd, good, good_size);
  CHECK_OK(r.status);
  free(r.y);
  unsigned char *bad = malloc((size_t)good_size);
  memset(bad, 0x5A, (size_t)good_size);
  struct {
    const void *data;
    uint64_t size;
  } tries[] = {{bad, 0}, {bad, good_size}, {good, 40}, {good, good_size - 4}};
  for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
    r = run_tactic(dwn, &c, &yd, tries[i].data, tries[i].size);
    CHECK(r.status == INGOT_INVALID_ARGUMENT);
    CHECK(strstr(ingot_last_error(), "dw_nhwc_pack") != NULL && strstr(ingot_last_error(), "packed weights") != NULL);
    free(r.y);
  }
  /* a pack made for 4 channels run on a layer of 8 */
  tactic_case c8;
  tactic_case_init(&c8, INGOT_OP_CONVOLUTION, "dw_nhwc_pack8");
  c8.node.params.conv = *cp;
  c8.node.params.conv.groups = c8.node.params.conv.num_output_maps = 8;
  tactic_case_add(&c8, false, 4, (const int64_t[]){1, 5, 5, 8}, &g_seed);
  tactic_case_add(&c8, true, 4, (const int64_t[]){8, 3, 3, 1}, &g_seed);
  ingot_dims yd8 = ingot_dims_make(4, (const int64_t[]){1, 5, 5, 8});
  r = run_tactic(dwn, &c8, &yd8, good, good_size);
  CHECK(r.status == INGOT_INVALID_ARGUMENT);
  CHECK(strstr(ingot_last_error(), "dw_nhwc_pack8") != NULL);
  free(r.y);
  tactic_case_free(&c8);
  free(bad);
  free(good);
  tactic_case_free(&c);

  /* pooling: 3x3 s2 max, channels first then last */
  memset(&n, 0, sizeof n);
  n.name = "pool_nhwc";
  n.op = INGOT_OP_POOLING;
  n.nb_inputs = 1;
  n.nb_outputs = 1;
  ingot_pooling_params *pp = &n.params.pooling;
  pp->type = INGOT_POOLING_MAX;
  pp->nb_spatial_dims = 2;
  pp->window_size[0] = pp->window_size[1] = 3;
  pp->stride[0] = pp->stride[1] = 2;
  pp->pre_padding[0] = pp->pre_padding[1] = pp->post_padding[0] = pp->post_padding[1] = 1;
  in[0].dims = ingot_dims_make(4, (const int64_t[]){1, 8, 9, 9});
  out.dims = ingot_dims_make(4, (const int64_t[]){1, 8, 5, 5});
  CHECK(direct->supports(&n, in, &out));
  CHECK(!pooln->supports(&n, in, &out));
  pp->channels_last = 1;
  in[0].dims = ingot_dims_make(4, (const int64_t[]){1, 9, 9, 8});
  out.dims = ingot_dims_make(4, (const int64_t[]){1, 5, 5, 8});
  CHECK(!direct->supports(&n, in, &out));
  CHECK(pooln->supports(&n, in, &out));
  out.dims = ingot_dims_make(4, (const int64_t[]){1, 4, 5, 8}); /* not what the windows give */
  CHECK(!pooln->supports(&n, in, &out));
  out.dims = ingot_dims_make(4, (const int64_t[]){1, 5, 5, 8});
  n.nb_outputs = 2; /* a second output (indices) */
  CHECK(!pooln->supports(&n, in, &out));
  n.nb_outputs = 1;
  in[0].dtype = INGOT_FLOAT16;
  CHECK(!pooln->supports(&n, in, &out));
}

/* ---- activations and the vector math under them ----------------------------------------- */

/* Values that probe every branch: both signs around 0, the exp overflow / underflow
 * points, infinities and NaN, then a random spread. */
static void fill_activation_inputs(float *x, int64_t n) {
  static const float special[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-6f, -1e-6f, 0.3465f, -0.3466f, 1.0f, -1.0f,
                                  9.0f, -9.0f, 15.0f, -15.0f, 44.0f, -44.0f, 88.5f, -88.5f, 89.0f, -89.0f,
                                  104.0f, -104.0f, 200.0f, -200.0f, 3e38f, -3e38f, INFINITY, -INFINITY, NAN};
  int64_t k = 0;
  for (; k < n && k < (int64_t)(sizeof special / sizeof special[0]); k++) x[k] = special[k];
  for (; k < n; k++) x[k] = 20.0f * test_randf(&g_seed) * (rnd(4) == 0 ? 0.05f : 1.0f);
}

/* vmath against the scalar reference over a dense sweep: relative 4e-6, and 4e-7 absolute
 * for GELU (erf's approximation error is absolute; the reference's own 1 + tanh cancels). */
static void test_vmath_accuracy(void) {
  if (!ingot_vmath_vectorizes(INGOT_ACTIVATION_SIGMOID)) {
    printf("vmath: no vector path on this CPU; the scalar loop is the reference itself\n");
    return;
  }
  enum { N = 200003 };
  float *x = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * N);
  fill_activation_inputs(x, N);
  for (int32_t type = 0; type < INGOT_ACTIVATION_TYPE_COUNT; type++) {
    if (!ingot_vmath_vectorizes(type)) continue;
    float alpha = type == INGOT_ACTIVATION_CLIP ? -0.5f : type == INGOT_ACTIVATION_HARD_SIGMOID ? 0.2f : 0.1f;
    float beta = type == INGOT_ACTIVATION_CLIP ? 0.75f : 0.5f;
    ingot_vmath_activation(type, alpha, beta, x, y, N);
    double worst = 0;
    int64_t at = -1;
    for (int64_t i = 0; i < N; i++) {
      double w = ingot_cpu_activation(type, alpha, beta, x[i]), g = y[i];
      if (g == w || (isnan(g) && isnan(w))) continue;
      /* relative, but absolute among subnormals (where float32 itself has few digits) */
      double err = fabs(g - w) / (fabs(w) + (type == INGOT_ACTIVATION_GELU_ERF || type == INGOT_ACTIVATION_GELU_TANH ? 0.1 : 1e-37));
      if (!(err <= worst)) worst = err, at = i;
    }
    if (!(worst <= 4e-6)) {
      fprintf(stderr, "vmath %s: relative error %.3g at x = %.9g (got %.9g, reference %.9g)\n",
              ingot_activation_type_name((ingot_activation_type)type), worst, at >= 0 ? x[at] : 0.0,
              at >= 0 ? y[at] : 0.0, at >= 0 ? ingot_cpu_activation(type, alpha, beta, x[at]) : 0.0);
      test_failures++;
    }
  }
  /* softmax helpers */
  float m = ingot_vmath_max(x + 29, N - 29), want = -INFINITY;
  for (int64_t i = 29; i < N; i++) want = x[i] > want ? x[i] : want;
  CHECK(m == want);
  CHECK(isnan(ingot_vmath_max(x, 29)));
  double sum = 0;
  float got = ingot_vmath_exp_shift_sum(x + 29, m, y, 1001);
  for (int64_t i = 0; i < 1001; i++) {
    double e = exp((double)x[29 + i] - m);
    sum += e;
    if (!(fabs(y[i] - e) <= 4e-6 * e + 1e-38)) {
      fprintf(stderr, "vmath exp(%.9g): %.9g, want %.9g\n", x[29 + i] - m, y[i], e);
      test_failures++;
      break;
    }
  }
  CHECK(fabs(got - sum) <= 1e-5 * sum);
  free(x);
  free(y);
}

/* The activation layer's vector tactic against the reference, every type, odd sizes. */
static void test_activation(void) {
  static const int64_t sizes[] = {1, 15, 16, 17, 100, 4099, 70001};
  for (int32_t type = 0; type < INGOT_ACTIVATION_TYPE_COUNT; type++)
    for (int32_t s = 0; s < 7; s++) {
      tactic_case c;
      char name[96];
      snprintf(name, sizeof name, "activation %s n %lld", ingot_activation_type_name((ingot_activation_type)type),
               (long long)sizes[s]);
      tactic_case_init(&c, INGOT_OP_ACTIVATION, name);
      c.node.params.activation.type = type;
      c.node.params.activation.alpha = type == INGOT_ACTIVATION_CLIP ? -0.5f : 0.2f;
      c.node.params.activation.beta = type == INGOT_ACTIVATION_CLIP ? 0.75f : 0.5f;
      tactic_case_add(&c, false, 1, &sizes[s], &g_seed);
      fill_activation_inputs(c.data[0], sizes[s]);
      compare_case(&c, ingot_vmath_vectorizes(type) ? "activation_f32_vector" : NULL);
      tactic_case_free(&c);
    }
}

/* Softmax and log-softmax over the innermost axis (also with trailing 1s), random rows
 * with a wide spread, and rows with NaN, -inf, +inf. */
static void test_softmax(void) {
  static const int64_t shapes[][4] = {{3, 1, 0, 0}, {2, 7, 0, 0}, {4, 16, 0, 0}, {2, 3, 17, 0}, {1, 12, 128, 0},
                                      {5, 33, 1, 1}, {1, 1000, 0, 0}};
  static const int32_t ranks[] = {2, 2, 2, 3, 3, 4, 2};
  for (int32_t log = 0; log < 2; log++)
    for (int32_t k = 0; k < 7; k++) {
      tactic_case c;
      char name[96];
      snprintf(name, sizeof name, "%s shape %d", log ? "log_softmax" : "softmax", (int)k);
      tactic_case_init(&c, INGOT_OP_SOFTMAX, name);
      c.node.params.softmax.log = log;
      c.node.params.softmax.axis = k == 5 ? 1 : -1;
      tactic_case_add(&c, false, ranks[k], shapes[k], &g_seed);
      int64_t v = ingot_dims_volume(&c.dims[0]);
      for (int64_t i = 0; i < v; i++) c.data[0][i] *= 30.0f;
      if (k == 1) { /* row 0 holds a NaN, row 1 is all -inf */
        c.data[0][3] = NAN;
        for (int32_t i = 7; i < 14; i++) c.data[0][i] = -INFINITY;
      }
      if (k == 2) c.data[0][20] = INFINITY;
      compare_case(&c, "softmax_f32_vector");
      tactic_case_free(&c);
    }
}

/* Attention: sizes across the 64-row query blocks and odd key counts, q/k/v/o stored as
 * [B, H, S, D] or [B, S, H, D] (the layouts the pattern pass leaves), no mask, an additive
 * mask broadcast from [B, 1, 1, Sk] or full, a Where-style mask with a finite fill (rows
 * wholly masked included) and a keep-mask with -inf. */
static void attention_stored(const int32_t perm[4], const int64_t logical[4], int64_t stored[4]) {
  for (int32_t i = 0; i < 4; i++) stored[perm[i]] = logical[i];
}

static void test_attention(void) {
  static const int64_t sizes[][6] = {/* B, H, Sq, Sk, D, Dv */
                                     {1, 2, 5, 7, 8, 8},    {2, 3, 100, 77, 16, 16}, {1, 1, 130, 1, 4, 3},
                                     {1, 4, 64, 128, 64, 64}, {2, 2, 3, 300, 12, 20}};
  static const int32_t bshd[4] = {0, 2, 1, 3}, bhsd[4] = {0, 1, 2, 3};
  for (int32_t k = 0; k < 5; k++)
    for (int32_t layout = 0; layout < 3; layout++)
      for (int32_t mask = 0; mask < 5; mask++) {
        const int64_t *z = sizes[k];
        tactic_case c;
        char name[128];
        snprintf(name, sizeof name, "attention sizes %d layout %d mask %d", (int)k, (int)layout, (int)mask);
        tactic_case_init(&c, INGOT_OP_ATTENTION, name);
        ingot_attention_params *p = &c.node.params.attention;
        p->scale = 1.0f / sqrtf((float)z[4]);
        for (int32_t t = 0; t < 4; t++) /* layout 0: all BHSD; 1: all BSHD; 2: mixed */
          memcpy(p->perm[t], layout == 1 || (layout == 2 && t % 2 == 0) ? bshd : bhsd, sizeof bhsd);
        int64_t lq[4] = {z[0], z[1], z[2], z[4]}, lk[4] = {z[0], z[1], z[3], z[4]}, lv[4] = {z[0], z[1], z[3], z[5]};
        int64_t sq[4], sk[4], sv[4];
        attention_stored(p->perm[0], lq, sq);
        attention_stored(p->perm[1], lk, sk);
        attention_stored(p->perm[2], lv, sv);
        tactic_case_add(&c, false, 4, sq, &g_seed);
        tactic_case_add(&c, false, 4, sk, &g_seed);
        tactic_case_add(&c, false, 4, sv, &g_seed);
        for (int64_t i = 0; i < ingot_dims_volume(&c.dims[0]); i++) c.data[0][i] *= 4.0f; /* peaked softmax rows */
        if (mask == 1 || mask == 2) {
          p->mask_kind = INGOT_ATTENTION_MASK_ADD;
          int64_t md[4] = {z[0], mask == 1 ? 1 : z[1], mask == 1 ? 1 : z[2], z[3]};
          tactic_case_add(&c, false, 4, md, &g_seed);
          for (int64_t i = 0; i < ingot_dims_volume(&c.dims[3]); i++) c.data[3][i] *= 3.0f;
        } else if (mask == 3 || mask == 4) {
          p->mask_kind = INGOT_ATTENTION_MASK_SELECT;
          p->mask_select = mask == 3;
          p->mask_fill = mask == 3 ? -3.4028235e38f : -INFINITY;
          int64_t md[3] = {z[1], z[2], z[3]}; /* broadcast over the batch */
          tactic_case_add_bool(&c, 3, md, mask == 3 ? 50 : 90, &g_seed);
        }
        compare_case(&c, "attention_f32_gemm");
        tactic_case_free(&c);
      }
}

/* Layer norm over trailing axes: rows of 1 to 1000 values (tails of every length), one
 * or two normalized axes, scale with leading 1s, bias present or absent, rows offset far
 * from zero (the variance of values near 1000 +- 1). */
static void test_layernorm(void) {
  static const int64_t shapes[][3] = {{4, 1, 0}, {3, 7, 0}, {2, 64, 0}, {5, 77, 0}, {2, 768, 0}, {3, 1000, 0},
                                      {2, 5, 6}, {1, 3, 33}};
  for (int32_t k = 0; k < 8; k++)
    for (int32_t variant = 0; variant < 3; variant++) {
      tactic_case c;
      char name[96];
      snprintf(name, sizeof name, "layernorm shape %d variant %d", (int)k, (int)variant);
      tactic_case_init(&c, INGOT_OP_LAYER_NORMALIZATION, name);
      int32_t rank = shapes[k][2] ? 3 : 2, axes = variant == 2 && rank == 3 ? 2 : 1;
      c.node.params.layernorm.axes_mask = ((1u << rank) - 1) & ~((1u << (rank - axes)) - 1);
      c.node.params.layernorm.epsilon = 1e-5f;
      tactic_case_add(&c, false, rank, shapes[k], &g_seed);
      if (variant == 1) {
        int64_t v = ingot_dims_volume(&c.dims[0]);
        for (int64_t i = 0; i < v; i++) c.data[0][i] += 1000.0f;
      }
      int64_t sd[3] = {1, 1, 1};
      int32_t srank = axes + (variant == 0); /* variant 0: a leading 1 */
      for (int32_t a = 0; a < axes; a++) sd[srank - axes + a] = shapes[k][rank - axes + a];
      tactic_case_add(&c, true, srank, sd, &g_seed);
      if (variant != 1) tactic_case_add(&c, true, srank, sd, &g_seed);
      compare_case(&c, "layernorm_f32_vector");
      tactic_case_free(&c);
    }
}

/* Nearest resize: every coordinate transform but crop-and-resize, every rounding, up and
 * down, sizes given and scales given (fractional), channels first (the last dim resized,
 * element by element) and channels last (the last dim copied whole). */
static void test_resize_nearest(void) {
  static const int64_t shapes[][2][4] = {
      {{1, 3, 5, 7}, {1, 3, 10, 14}}, {{2, 6, 4, 3}, {2, 12, 8, 3}}, {{1, 2, 9, 9}, {1, 2, 4, 5}},
      {{1, 4, 3, 5}, {1, 4, 7, 11}},  {{3, 1, 1, 2}, {3, 1, 3, 2}},  {{1, 2, 6, 8}, {1, 2, 6, 8}}};
  for (int32_t k = 0; k < 6; k++)
    for (int32_t transform = 0; transform < 5; transform++)
      for (int32_t rounding = 0; rounding < 4; rounding++) {
        tactic_case c;
        char name[96];
        snprintf(name, sizeof name, "resize nearest shape %d transform %d rounding %d", (int)k, (int)transform,
                 (int)rounding);
        tactic_case_init(&c, INGOT_OP_RESIZE, name);
        ingot_resize_params *p = &c.node.params.resize;
        p->mode = INGOT_RESIZE_NEAREST;
        p->coordinate_transform = transform;
        p->nearest_rounding = rounding;
        if ((transform + rounding) % 2) { /* scales: the fractional ones of out / in */
          p->use_scales = 1;
          p->nb_scales = 4;
          for (int32_t d = 0; d < 4; d++) p->scales[d] = (float)shapes[k][1][d] / (float)shapes[k][0][d];
        } else {
          p->output_dims = ingot_dims_make(4, shapes[k][1]);
        }
        tactic_case_add(&c, false, 4, shapes[k][0], &g_seed);
        compare_case(&c, "resize_nearest_table");
        tactic_case_free(&c);
      }
}

int main(void) {
  for (int32_t pass = 0; pass < 2; pass++) {
    if (pass == 1) CHECK_OK(ingot_thread_pool_create(3, &g_pool));
    test_conv();
    test_conv_nhwc();
    test_conv_winograd_nhwc();
    test_layernorm();
    test_attention();
    test_resize_nearest();
    test_fc();
    test_matmul();
    test_pooling();
    test_depthwise_pool_nhwc();
    test_activation();
    test_softmax();
  }
  test_vmath_accuracy();
  test_conv_refusals();
  test_foreign_pack();
  test_nhwc_refusals();
  ingot_thread_pool_destroy(g_pool);
  const ingot_backend *be = ingot_cpu_backend();
  for (int32_t i = 0; i < be->nb_tactics && i < (int32_t)(sizeof g_runs / sizeof g_runs[0]); i++) {
    const ingot_tactic *t = &be->tactics[i];
    if (is_reference(t)) continue;
    bool covered = t->op == INGOT_OP_CONVOLUTION || t->op == INGOT_OP_POOLING || t->op == INGOT_OP_ACTIVATION || t->op == INGOT_OP_SOFTMAX || t->op == INGOT_OP_FULLY_CONNECTED || t->op == INGOT_OP_MATRIX_MULTIPLY ||
                   t->op == INGOT_OP_LAYER_NORMALIZATION || t->op == INGOT_OP_RESIZE || t->op == INGOT_OP_ATTENTION;
    printf("%-24s %d cases%s\n", t->name, g_runs[i], covered ? "" : " (no cases for its op here)");
    if (covered) CHECK(g_runs[i] > 0);
  }
  TEST_EXIT();
}
