/* Kernel-tier tests of the packed GEMM (src/backend/cpu/gemm): every micro-kernel this
 * machine runs, and the generic one, against a naive triple loop in double, over many
 * shapes (1 to ~300, primes, tile remainders), strides (row-major, transposed, padded
 * rows), accumulation into C, each epilogue, serially and on a pool. Guard values around
 * C and in its row padding catch writes outside the matrix. */
#include "test_util.h"

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/gemm/gemm.h"
#include "core/thread_pool.h"

static uint64_t g_seed = 0x9e3779b97f4a7c15ULL;
static const float GUARD = 1234.5f;

static int64_t pick(const int64_t *list, int32_t n) {
  g_seed = g_seed * 6364136223846793005ULL + 1442695040888963407ULL;
  return list[(g_seed >> 33) % (uint64_t)n];
}

typedef struct gemm_case {
  int64_t m, n, k;
  bool a_trans, b_trans; /* A stored [K, M] / B stored [N, K] */
  int64_t pad;           /* extra elements per row of A, B and C */
  int32_t accumulate;
  int32_t bias;          /* 0 none, 1 per row, 2 per column, 3 full matrix */
  bool residual;
  int32_t activation;    /* -1 or an ingot_activation_type */
} gemm_case;

static double ref_act(int32_t type, double x) {
  return type < 0 ? x : (double)ingot_cpu_activation(type, 0.1f, 0.5f, (float)x);
}

/* Returns the failures found (0 or 1: the first bad element is reported). */
static int run_case(ingot_thread_pool *pool, const ingot_gemm_kernel *kr, const gemm_case *t) {
  int64_t m = t->m, n = t->n, k = t->k;
  int64_t lda = (t->a_trans ? m : k) + t->pad, ldb = (t->b_trans ? k : n) + t->pad, ldc = n + t->pad;
  int64_t a_rows = t->a_trans ? k : m, b_rows = t->b_trans ? n : k;
  float *a = malloc(sizeof(float) * (size_t)(a_rows * lda + 1));
  float *b = malloc(sizeof(float) * (size_t)(b_rows * ldb + 1));
  int64_t c_elems = m * ldc + 16; /* 16 guard values after the last row */
  float *c = malloc(sizeof(float) * (size_t)c_elems);
  float *bias = malloc(sizeof(float) * (size_t)(m * n + 1));
  float *res = malloc(sizeof(float) * (size_t)(m * n + 1));
  double *want = malloc(sizeof(double) * (size_t)(m * n + 1));
  double *scale = malloc(sizeof(double) * (size_t)(m * n + 1));
  for (int64_t i = 0; i < a_rows * lda; i++) a[i] = test_randf(&g_seed);
  for (int64_t i = 0; i < b_rows * ldb; i++) b[i] = test_randf(&g_seed);
  for (int64_t i = 0; i < m * n; i++) {
    bias[i] = test_randf(&g_seed);
    res[i] = test_randf(&g_seed);
  }
  for (int64_t i = 0; i < c_elems; i++) c[i] = GUARD;
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) c[i * ldc + j] = t->accumulate ? test_randf(&g_seed) : GUARD;

  ingot_gemm_epilogue ep = ingot_gemm_no_epilogue();
  if (t->bias) {
    ep.bias = bias;
    ep.bias_rs = t->bias == 1 ? 1 : (t->bias == 2 ? 0 : n);
    ep.bias_cs = t->bias == 1 ? 0 : 1;
  }
  if (t->residual) {
    ep.residual = res;
    ep.ldr = n;
  }
  ep.activation = t->activation;
  ep.alpha = 0.1f;
  ep.beta = 0.5f;
  if (t->activation == INGOT_ACTIVATION_CLIP) {
    ep.alpha = -0.5f;
    ep.beta = 0.75f;
  }
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      double acc = t->accumulate ? c[i * ldc + j] : 0.0, mag = fabs(acc);
      for (int64_t p = 0; p < k; p++) {
        double av = a[t->a_trans ? p * lda + i : i * lda + p], bv = b[t->b_trans ? j * ldb + p : p * ldb + j];
        acc += av * bv;
        mag += fabs(av * bv);
      }
      if (t->bias) acc += bias[i * ep.bias_rs + j * ep.bias_cs];
      if (t->residual) acc += res[i * n + j];
      want[i * n + j] = t->activation == INGOT_ACTIVATION_CLIP ? (acc < -0.5 ? -0.5 : (acc > 0.75 ? 0.75 : acc))
                                                               : ref_act(t->activation, acc);
      scale[i * n + j] = mag + 3.0;
    }

  float *ws = NULL;
  int64_t ws_floats = ingot_gemm_workspace_floats(kr, m, n, k);
  if (posix_memalign((void **)&ws, 64, sizeof(float) * (size_t)(ws_floats > 0 ? ws_floats : 1)) != 0) ws = NULL;
  int failed = 0;
  if (!ws) {
    failed = 1;
  } else {
    ingot_gemm_f32(pool, kr, m, n, k, a, t->a_trans ? 1 : lda, t->a_trans ? lda : 1, b, t->b_trans ? 1 : ldb,
                   t->b_trans ? ldb : 1, c, ldc, t->accumulate, &ep, ws);
    for (int64_t i = 0; i < m && !failed; i++) {
      for (int64_t j = 0; j < ldc && !failed; j++) {
        float got = c[i * ldc + j];
        if (j >= n) {
          if (got != GUARD) {
            fprintf(stderr, "%s: wrote row padding C[%lld][%lld]\n", kr->name, (long long)i, (long long)j);
            failed = 1;
          }
          continue;
        }
        double w = want[i * n + j];
        if (!(fabs(got - w) <= 1e-5 * scale[i * n + j])) {
          fprintf(stderr, "%s: C[%lld][%lld] = %.8g, expected %.8g\n", kr->name, (long long)i, (long long)j, got, w);
          failed = 1;
        }
      }
    }
    for (int64_t i = m * ldc; i < c_elems && !failed; i++)
      if (c[i] != GUARD) {
        fprintf(stderr, "%s: wrote past C (element %lld)\n", kr->name, (long long)(i - m * ldc));
        failed = 1;
      }
  }
  if (failed)
    fprintf(stderr, "  case m=%lld n=%lld k=%lld a_trans=%d b_trans=%d pad=%lld acc=%d bias=%d res=%d act=%d threads=%d\n",
            (long long)m, (long long)n, (long long)k, t->a_trans, t->b_trans, (long long)t->pad, t->accumulate, t->bias,
            t->residual, t->activation, ingot_thread_pool_size(pool));
  free(ws);
  free(a);
  free(b);
  free(c);
  free(bias);
  free(res);
  free(want);
  free(scale);
  return failed;
}

static const int64_t SIZES[] = {1, 2, 3, 4, 5, 6, 7, 8, 13, 14, 15, 16, 17, 28, 31, 32, 33, 47, 64, 65, 97, 127, 129, 191, 257, 300};
#define NB_SIZES ((int32_t)(sizeof SIZES / sizeof SIZES[0]))
static const int32_t ACTIVATIONS[] = {-1, INGOT_ACTIVATION_RELU, INGOT_ACTIVATION_CLIP, INGOT_ACTIVATION_SIGMOID,
                                      INGOT_ACTIVATION_LEAKY_RELU};

static void test_kernel(ingot_thread_pool *pool, const ingot_gemm_kernel *kr, int32_t random_cases) {
  int before = test_failures;
  /* every small shape, around one and two tiles in each dim */
  for (int64_t m = 1; m <= 2 * kr->mr + 1 && test_failures == before; m++)
    for (int64_t n = 1; n <= 2 * kr->nr + 1; n += (n < 4 ? 1 : 3)) {
      gemm_case t = {m, n, (m * 7 + n) % 19 + 1, false, false, 0, 0, 0, false, -1};
      test_failures += run_case(pool, kr, &t);
    }
  /* K crossing the K blocking and M the M blocking */
  int64_t big_k[] = {kr->kc - 1, kr->kc, kr->kc + 1, 2 * kr->kc + 3};
  for (int32_t i = 0; i < 4 && test_failures == before; i++) {
    gemm_case t = {kr->mc + 5, 2 * kr->nr + 3, big_k[i], i & 1, i >> 1, 3, i & 1, 1 + i % 3, i & 1, INGOT_ACTIVATION_RELU};
    test_failures += run_case(pool, kr, &t);
  }
  /* K = 0: C is 0 (or unchanged when accumulating), then the epilogue */
  for (int32_t acc = 0; acc < 2; acc++) {
    gemm_case t = {5, 21, 0, false, false, 1, acc, 2, true, INGOT_ACTIVATION_RELU};
    test_failures += run_case(pool, kr, &t);
  }
  for (int32_t r = 0; r < random_cases && test_failures == before; r++) {
    gemm_case t;
    t.m = pick(SIZES, NB_SIZES);
    t.n = pick(SIZES, NB_SIZES);
    t.k = pick(SIZES, NB_SIZES);
    t.a_trans = pick((const int64_t[]){0, 1}, 2);
    t.b_trans = pick((const int64_t[]){0, 1}, 2);
    t.pad = pick((const int64_t[]){0, 0, 1, 5}, 4);
    t.accumulate = (int32_t)pick((const int64_t[]){0, 0, 1}, 3);
    t.bias = (int32_t)pick((const int64_t[]){0, 1, 2, 3}, 4);
    t.residual = pick((const int64_t[]){0, 1}, 2);
    t.activation = ACTIVATIONS[pick((const int64_t[]){0, 1, 2, 3, 4}, 5)];
    test_failures += run_case(pool, kr, &t);
  }
  printf("%-24s %s (%d threads)\n", kr->name, test_failures == before ? "ok" : "FAILED", ingot_thread_pool_size(pool));
}

/* Plan data: the header round-trips and a mismatch is refused with a reason. */
static void test_pack_header(void) {
  const ingot_gemm_kernel *kr = ingot_gemm_default_kernel();
  uint64_t size = 0;
  void *block = ingot_gemm_pack_alloc(kr, 1, 10, 20, 2, &size);
  CHECK(block != NULL);
  if (!block) return;
  ingot_gemm_kernel storage;
  const ingot_gemm_kernel *got = NULL;
  char why[200];
  CHECK(ingot_gemm_pack_check(block, size, 1, 10, 20, 2, &storage, &got, why, sizeof why));
  CHECK(got == kr);
  CHECK(!ingot_gemm_pack_check(block, size, 1, 10, 21, 2, &storage, &got, why, sizeof why));
  CHECK(strstr(why, "10 x 21") != NULL);
  CHECK(!ingot_gemm_pack_check(block, size - 64, 1, 10, 20, 2, &storage, &got, why, sizeof why));
  CHECK(!ingot_gemm_pack_check(block, 16, 1, 10, 20, 2, &storage, &got, why, sizeof why));
  /* packed for a tile no built-in kernel has: the generic kernel runs it */
  ingot_gemm_pack_header *h = block;
  h->mr = 3;
  h->nr = 5;
  CHECK(ingot_gemm_pack_check(block, size, 1, 10, 20, 2, &storage, &got, why, sizeof why));
  CHECK(got == &storage && got->mr == 3 && got->nr == 5);
  free(block);
}

int main(void) {
  ingot_thread_pool *pool = NULL;
  CHECK_OK(ingot_thread_pool_create(3, &pool));
  int32_t count = 0;
  const ingot_gemm_kernel *const *kernels = ingot_gemm_kernels(&count);
  printf("default kernel: %s\n", ingot_gemm_default_kernel()->name);
  for (int32_t i = 0; i < count; i++) {
    if (!kernels[i]->available()) {
      printf("%-24s skipped: this CPU lacks its ISA\n", kernels[i]->name);
      continue;
    }
    test_kernel(NULL, kernels[i], 150);
    test_kernel(pool, kernels[i], 60);
  }
  /* the generic kernel, for tiles no built-in kernel has */
  ingot_gemm_kernel storage;
  const ingot_gemm_kernel *generic = ingot_gemm_kernel_for_shape(3, 5, &storage);
  CHECK(generic == &storage);
  if (generic) {
    test_kernel(NULL, generic, 40);
    test_kernel(pool, generic, 20);
  }
  test_pack_header();
  ingot_thread_pool_destroy(pool);
  TEST_EXIT();
}
