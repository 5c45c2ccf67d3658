/* The packed GEMM's driver: kernel dispatch, packing, the blocked multiply on the thread
 * pool, the tile epilogue and the packed-weights header (see gemm.h). */
#include "backend/cpu/gemm/gemm.h"
#include "backend/cpu/vmath.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/gemm/gemm_ukernels.h"
#include "core/alloc.h"

/* ---- kernels ---------------------------------------------------------------------------- */

static const ingot_gemm_kernel *const all_kernels[] = {
#if defined(INGOT_GEMM_HAVE_X86)
    &ingot_gemm_f32_14x32_avx512,
    &ingot_gemm_f32_6x16_avx2,
#endif
    &ingot_gemm_f32_4x16_c,
};
#define NB_KERNELS ((int32_t)(sizeof all_kernels / sizeof all_kernels[0]))

const ingot_gemm_kernel *const *ingot_gemm_kernels(int32_t *count_out) {
  *count_out = NB_KERNELS;
  return all_kernels;
}

static const ingot_gemm_kernel *default_kernel;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void choose_default(void) {
  const char *forced = getenv("INGOT_GEMM_KERNEL");
  for (int32_t i = 0; forced && i < NB_KERNELS; i++)
    if (strcmp(forced, all_kernels[i]->name) == 0 && all_kernels[i]->available()) default_kernel = all_kernels[i];
  for (int32_t i = 0; !default_kernel && i < NB_KERNELS; i++)
    if (all_kernels[i]->available()) default_kernel = all_kernels[i];
}

const ingot_gemm_kernel *ingot_gemm_default_kernel(void) {
  pthread_once(&default_once, choose_default);
  return default_kernel;
}

/* The generic kernels' end: acc (m x nr) + C when accumulating, the fused epilogue, the store. */
static void generic_finish(int32_t m, int32_t nr, const float *acc, float *c, int64_t ldc, int32_t accumulate,
                           const ingot_gemm_fused *f) {
  for (int32_t i = 0; i < m; i++)
    for (int32_t j = 0; j < nr; j++) {
      float v = (accumulate ? c[i * ldc + j] : 0.0f) + acc[i * nr + j];
      if (f) {
        if (f->bias_row) v += f->bias_row[i];
        if (f->bias_col) v += f->bias_col[j];
        for (int t = 0; t < 2; t++)
          if (f->add[t]) v += f->add[t][i * f->ld_add[t] + j];
        if (f->clamp) {
          v = v < f->lo ? f->lo : v;
          v = v > f->hi ? f->hi : v;
        }
      }
      c[i * ldc + j] = v;
    }
}

/* Any (mr, nr) up to the maxima, at scalar speed: runs data packed for a kernel this CPU
 * lacks (a plan built on a machine with AVX-512, run on one without). */
static void generic_ukernel(const ingot_gemm_kernel *self, int64_t kc, const float *a, const float *b, float *c,
                            int64_t ldc, int32_t m, int32_t accumulate, const ingot_gemm_fused *f) {
  int32_t mr = self->mr, nr = self->nr;
  float acc[INGOT_GEMM_MAX_MR * INGOT_GEMM_MAX_NR];
  memset(acc, 0, sizeof(float) * (size_t)(m * nr));
  for (int64_t p = 0; p < kc; p++, a += mr, b += nr)
    for (int32_t i = 0; i < m; i++)
      for (int32_t j = 0; j < nr; j++) acc[i * nr + j] += a[i] * b[j];
  generic_finish(m, nr, acc, c, ldc, accumulate, f);
}

static void generic_indirect(const ingot_gemm_kernel *self, int64_t taps, int64_t kc, const float *const *rows,
                             const float *b, float *c, int64_t ldc, int32_t m, const ingot_gemm_fused *f) {
  int32_t mr = self->mr, nr = self->nr;
  float acc[INGOT_GEMM_MAX_MR * INGOT_GEMM_MAX_NR];
  memset(acc, 0, sizeof(float) * (size_t)(m * nr));
  for (int64_t t = 0; t < taps; t++)
    for (int64_t p = 0; p < kc; p++, b += nr)
      for (int32_t i = 0; i < m; i++) {
        float ai = rows[t * mr + i][p];
        for (int32_t j = 0; j < nr; j++) acc[i * nr + j] += ai * b[j];
      }
  generic_finish(m, nr, acc, c, ldc, 0, f);
}

static bool always(void) { return true; }

const ingot_gemm_kernel *ingot_gemm_kernel_for_shape(int32_t mr, int32_t nr, ingot_gemm_kernel *storage) {
  const ingot_gemm_kernel *d = ingot_gemm_default_kernel();
  if (d->mr == mr && d->nr == nr) return d;
  for (int32_t i = 0; i < NB_KERNELS; i++)
    if (all_kernels[i]->mr == mr && all_kernels[i]->nr == nr && all_kernels[i]->available()) return all_kernels[i];
  if (mr < 1 || nr < 1 || mr > INGOT_GEMM_MAX_MR || nr > INGOT_GEMM_MAX_NR) return NULL;
  storage->name = "gemm_f32_generic_c";
  storage->mr = mr;
  storage->nr = nr;
  storage->kc = 256;
  storage->mc = mr * (96 / mr > 0 ? 96 / mr : 1);
  storage->available = always;
  storage->ukernel = generic_ukernel;
  storage->ukernel_indirect = generic_indirect;
  return storage;
}

/* ---- packing ------------------------------------------------------------------------------ */

typedef struct pack_job {
  int64_t rows, k, tile; /* rows: m (A) or n (B); tile: mr or nr */
  const float *src;
  int64_t rs, cs;        /* stride along rows (A's i / B's j) and along k */
  float *out;
} pack_job;

/* Panel q: out[q][p][t] = src(q * tile + t, p), zero past the last row. */
static void pack_panels(void *ctx, int64_t begin, int64_t end) {
  const pack_job *j = ctx;
  int64_t T = j->tile, k = j->k;
  for (int64_t q = begin; q < end; q++) {
    float *dst = j->out + q * T * k;
    int64_t r0 = q * T, valid = j->rows - r0 < T ? j->rows - r0 : T;
    const float *s = j->src + r0 * j->rs;
    if (j->rs == 1 && valid == T) {
      /* the panel's rows are adjacent: one contiguous run per k */
      for (int64_t p = 0; p < k; p++) memcpy(dst + p * T, s + p * j->cs, sizeof(float) * (size_t)T);
      continue;
    }
    if (valid < T)
      for (int64_t p = 0; p < k; p++)
        for (int64_t t = valid; t < T; t++) dst[p * T + t] = 0.0f;
    if (j->cs == 1) {
      for (int64_t t = 0; t < valid; t++) {
        const float *row = s + t * j->rs;
        for (int64_t p = 0; p < k; p++) dst[p * T + t] = row[p];
      }
    } else {
      for (int64_t p = 0; p < k; p++)
        for (int64_t t = 0; t < valid; t++) dst[p * T + t] = s[t * j->rs + p * j->cs];
    }
  }
}

static void pack(ingot_thread_pool *pool, int64_t rows, int64_t k, int64_t tile, const float *src, int64_t rs,
                 int64_t cs, float *out) {
  if (rows <= 0 || k <= 0) return;
  pack_job j = {rows, k, tile, src, rs, cs, out};
  int64_t panels = (rows + tile - 1) / tile;
  int64_t grain = 32768 / (tile * k) + 1;
  ingot_parallel_for(pool, panels, grain, pack_panels, &j);
}

void ingot_gemm_pack_a(ingot_thread_pool *pool, const ingot_gemm_kernel *kr, int64_t m, int64_t k, const float *a,
                       int64_t rs, int64_t cs, float *out) {
  pack(pool, m, k, kr->mr, a, rs, cs, out);
}

void ingot_gemm_pack_b(ingot_thread_pool *pool, const ingot_gemm_kernel *kr, int64_t k, int64_t n, const float *b,
                       int64_t rs, int64_t cs, float *out) {
  pack(pool, n, k, kr->nr, b, cs, rs, out);
}

/* ---- epilogue ----------------------------------------------------------------------------- */

void ingot_gemm_apply_epilogue(const ingot_gemm_epilogue *e, float *c, int64_t ldc, int64_t i0, int64_t j0, int64_t m,
                               int64_t n) {
  for (int64_t i = 0; i < m && (e->bias || e->residual || e->activation == INGOT_ACTIVATION_RELU ||
                                e->activation == INGOT_ACTIVATION_CLIP);
       i++) {
    float *restrict row = c + i * ldc;
    int64_t gi = i0 + i;
    if (e->bias) {
      const float *b = e->bias + gi * e->bias_rs + j0 * e->bias_cs;
      if (e->bias_cs == 0) {
        float v = b[0];
        for (int64_t j = 0; j < n; j++) row[j] += v;
      } else if (e->bias_cs == 1) {
        for (int64_t j = 0; j < n; j++) row[j] += b[j];
      } else {
        for (int64_t j = 0; j < n; j++) row[j] += b[j * e->bias_cs];
      }
    }
    if (e->residual) {
      const float *restrict r = e->residual + gi * e->ldr + j0;
      for (int64_t j = 0; j < n; j++) row[j] += r[j];
    }
    if (e->activation == INGOT_ACTIVATION_RELU) {
      for (int64_t j = 0; j < n; j++) row[j] = row[j] < 0.0f ? 0.0f : row[j];
    } else if (e->activation == INGOT_ACTIVATION_CLIP) {
      float lo = e->alpha, hi = e->beta;
      for (int64_t j = 0; j < n; j++) {
        float v = row[j] < lo ? lo : row[j];
        row[j] = v > hi ? hi : v;
      }
    }
  }
  /* other activations over the whole block at once (a tile's rows are short) */
  if (e->activation >= 0 && e->activation != INGOT_ACTIVATION_RELU && e->activation != INGOT_ACTIVATION_CLIP)
    ingot_vmath_activation_rows(e->activation, e->alpha, e->beta, c, ldc, m, n);
}

static bool has_epilogue(const ingot_gemm_epilogue *e) { return e->bias || e->residual || e->activation >= 0; }

void ingot_gemm_plan_epilogue(const ingot_gemm_epilogue *e, ingot_gemm_epilogue_plan *pl) {
  memset(pl, 0, sizeof *pl);
  pl->any = has_epilogue(e);
  pl->in_kernel = true;
  if (e->bias) {
    if (e->bias_rs == 1 && e->bias_cs == 0) {
      pl->bias_kind = 1;
    } else if (e->bias_rs == 0 && e->bias_cs == 1) {
      pl->bias_kind = 2;
    } else if (e->bias_cs == 1 && e->bias_rs > 0) {
      pl->bias_kind = 3;
    } else {
      pl->in_kernel = false;
      return;
    }
  }
  if (e->residual) {
    pl->fused.add[1] = e->residual;
    pl->fused.ld_add[1] = e->ldr;
  }
  if (e->activation == INGOT_ACTIVATION_RELU) {
    pl->fused.clamp = 1;
    pl->fused.lo = 0.0f;
    pl->fused.hi = INFINITY;
  } else if (e->activation == INGOT_ACTIVATION_CLIP) {
    pl->fused.clamp = 1;
    pl->fused.lo = e->alpha;
    pl->fused.hi = e->beta;
  } else if (e->activation >= 0) {
    pl->activation_pass = true;
    pl->activation_only = ingot_gemm_no_epilogue();
    pl->activation_only.activation = e->activation;
    pl->activation_only.alpha = e->alpha;
    pl->activation_only.beta = e->beta;
  }
}

void ingot_gemm_fused_at(const ingot_gemm_epilogue_plan *pl, const ingot_gemm_epilogue *e, int64_t i, int64_t j,
                         ingot_gemm_fused *f) {
  *f = pl->fused;
  switch (pl->bias_kind) {
    case 1: f->bias_row = e->bias + i; break;
    case 2: f->bias_col = e->bias + j; break;
    case 3:
      f->add[0] = e->bias + i * e->bias_rs + j;
      f->ld_add[0] = e->bias_rs;
      break;
    default: break;
  }
  if (f->add[1]) f->add[1] += i * f->ld_add[1] + j;
}

/* ---- multiply ----------------------------------------------------------------------------- */

static int64_t round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }
static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

typedef struct gemm_job {
  const ingot_gemm_problem *p;
  int64_t mc, nc, kc, tiles_m;
  bool epilogue;
  ingot_gemm_epilogue_plan plan;
} gemm_job;

/* C block [i0, i1) x [j0, j1): i0 a multiple of mr, j0 of nr. K blocks outermost, so an A
 * block (mc x kc) stays in L2 across the block's B panels, and each B panel (kc x nr) in
 * L1 across the A panels. */
static void run_block(const gemm_job *job, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  const ingot_gemm_problem *p = job->p;
  const ingot_gemm_kernel *kr = p->kernel;
  int64_t mr = kr->mr, nr = kr->nr, k = p->k;
  float tile[INGOT_GEMM_MAX_MR * INGOT_GEMM_MAX_NR] __attribute__((aligned(64)));
  if (k == 0) {
    for (int64_t i = i0; i < i1; i++)
      for (int64_t j = j0; j < j1 && !p->accumulate; j++) p->c[i * p->ldc + j] = 0.0f;
    if (job->epilogue) ingot_gemm_apply_epilogue(&p->epilogue, p->c + i0 * p->ldc + j0, p->ldc, i0, j0, i1 - i0, j1 - j0);
    return;
  }
  for (int64_t pc = 0; pc < k; pc += job->kc) {
    int64_t kcur = k - pc < job->kc ? k - pc : job->kc;
    bool last = pc + kcur == k;
    int32_t acc = p->accumulate || pc > 0;
    for (int64_t j = j0; j < j1; j += nr) {
      int64_t ncur = j1 - j < nr ? j1 - j : nr;
      const float *bp = p->b_packed + (j / nr) * nr * k + pc * nr;
      for (int64_t i = i0; i < i1; i += mr) {
        int32_t mcur = (int32_t)(i1 - i < mr ? i1 - i : mr);
        const float *ap = p->a_packed + (i / mr) * mr * k + pc * mr;
        float *cp = p->c + i * p->ldc + j;
        if (ncur == nr) {
          if (last && job->epilogue && job->plan.in_kernel) {
            ingot_gemm_fused f;
            ingot_gemm_fused_at(&job->plan, &p->epilogue, i, j, &f);
            kr->ukernel(kr, kcur, ap, bp, cp, p->ldc, mcur, acc, &f);
            continue; /* an activation the kernel does not take: over the whole block below */
          }
          kr->ukernel(kr, kcur, ap, bp, cp, p->ldc, mcur, acc, NULL);
        } else {
          /* the last columns: through a full-width tile on the stack */
          if (acc)
            for (int32_t r = 0; r < mcur; r++) memcpy(tile + r * nr, cp + r * p->ldc, sizeof(float) * (size_t)ncur);
          kr->ukernel(kr, kcur, ap, bp, tile, nr, mcur, acc, NULL);
          for (int32_t r = 0; r < mcur; r++) memcpy(cp + r * p->ldc, tile + r * nr, sizeof(float) * (size_t)ncur);
        }
        if (last && job->epilogue) {
          ingot_gemm_epilogue no_act = p->epilogue;
          no_act.activation = job->plan.activation_pass ? -1 : no_act.activation;
          ingot_gemm_apply_epilogue(&no_act, cp, p->ldc, i, j, mcur, ncur);
        }
      }
    }
  }
  /* The activation the kernels left (SiLU, sigmoid, GELU...) over the block at once: one
   * call on rows of the block's width instead of one per tile, whose rows are short. */
  if (job->epilogue && job->plan.activation_pass) {
    const ingot_gemm_epilogue *a = &job->plan.activation_only;
    ingot_vmath_activation_rows(a->activation, a->alpha, a->beta, p->c + i0 * p->ldc + j0, p->ldc, i1 - i0, j1 - j0);
  }
}

static void gemm_tasks(void *ctx, int64_t begin, int64_t end) {
  const gemm_job *job = ctx;
  const ingot_gemm_problem *p = job->p;
  for (int64_t t = begin; t < end; t++) {
    int64_t im = t % job->tiles_m, jn = t / job->tiles_m;
    int64_t i0 = im * job->mc, j0 = jn * job->nc;
    int64_t i1 = i0 + job->mc < p->m ? i0 + job->mc : p->m;
    int64_t j1 = j0 + job->nc < p->n ? j0 + job->nc : p->n;
    run_block(job, i0, i1, j0, j1);
  }
}

void ingot_gemm_compute(ingot_thread_pool *pool, const ingot_gemm_problem *p) {
  if (p->m <= 0 || p->n <= 0) return;
  const ingot_gemm_kernel *kr = p->kernel;
  gemm_job job = {.p = p, .kc = kr->kc > 0 ? kr->kc : 256, .epilogue = has_epilogue(&p->epilogue)};
  ingot_gemm_plan_epilogue(&p->epilogue, &job.plan);
  /* K blocks of equal size: no short last block paying the C tile's loads and stores */
  if (p->k > job.kc) job.kc = ceil_div(p->k, ceil_div(p->k, job.kc));
  /* Small problems are not worth waking the pool. */
  double flops = 2.0 * (double)p->m * (double)p->n * (double)(p->k > 0 ? p->k : 1);
  int64_t threads = flops < 2e5 ? 1 : ingot_thread_pool_size(pool);
  job.mc = round_up(p->m < kr->mc ? p->m : kr->mc, kr->mr);
  job.nc = round_up(p->n < 4096 ? p->n : 4096, kr->nr);
  /* Enough tasks for every thread (about 3 each): narrow the N blocks first (B panels
   * are cheap to revisit), then the M blocks. */
  int64_t want = threads > 1 ? 3 * threads : 1;
  while (ceil_div(p->m, job.mc) * ceil_div(p->n, job.nc) < want && job.nc > kr->nr)
    job.nc = round_up(job.nc / 2, kr->nr);
  while (ceil_div(p->m, job.mc) * ceil_div(p->n, job.nc) < want && job.mc > kr->mr)
    job.mc = round_up(job.mc / 2, kr->mr);
  /* Equal blocks, and a number of tasks that is a multiple of the threads: 13 tasks on 2
   * threads leave one thread idle for a twelfth of the multiply (GPT's vocabulary
   * projection), and a short last block does the same. */
  int64_t tm = ceil_div(p->m, job.mc), tn = ceil_div(p->n, job.nc);
  if (threads > 1 && (tm * tn) % threads != 0) {
    if (tm % threads == 0 || tn >= tm) tn = (tn + threads - 1) / threads * threads;
    else tm = (tm + threads - 1) / threads * threads;
  }
  job.nc = round_up(ceil_div(p->n, tn), kr->nr);
  job.mc = round_up(ceil_div(p->m, tm), kr->mr);
  job.tiles_m = ceil_div(p->m, job.mc);
  int64_t tasks = job.tiles_m * ceil_div(p->n, job.nc);
  ingot_parallel_for(threads > 1 ? pool : NULL, tasks, 1, gemm_tasks, &job);
}

int64_t ingot_gemm_workspace_floats(const ingot_gemm_kernel *kr, int64_t m, int64_t n, int64_t k) {
  return round_up(ingot_gemm_packed_a_floats(kr, m, k), 16) + ingot_gemm_packed_b_floats(kr, k, n);
}

void ingot_gemm_f32(ingot_thread_pool *pool, const ingot_gemm_kernel *kr, int64_t m, int64_t n, int64_t k,
                    const float *a, int64_t a_rs, int64_t a_cs, const float *b, int64_t b_rs, int64_t b_cs, float *c,
                    int64_t ldc, int32_t accumulate, const ingot_gemm_epilogue *epilogue, float *workspace) {
  float *ap = workspace, *bp = workspace + round_up(ingot_gemm_packed_a_floats(kr, m, k), 16);
  ingot_gemm_pack_a(pool, kr, m, k, a, a_rs, a_cs, ap);
  ingot_gemm_pack_b(pool, kr, k, n, b, b_rs, b_cs, bp);
  ingot_gemm_problem p = {.kernel = kr, .m = m, .n = n, .k = k, .a_packed = ap, .b_packed = bp, .c = c, .ldc = ldc,
                          .accumulate = accumulate};
  p.epilogue = epilogue ? *epilogue : ingot_gemm_no_epilogue();
  ingot_gemm_compute(pool, &p);
}

/* ---- packed weights in plan data ------------------------------------------------------------ */

void *ingot_gemm_pack_alloc(const ingot_gemm_kernel *kr, int32_t operand, int64_t rows, int64_t cols, int64_t count,
                            uint64_t *size_out) {
  int64_t each = operand == 0 ? ingot_gemm_packed_a_floats(kr, rows, cols) : ingot_gemm_packed_b_floats(kr, rows, cols);
  each = round_up(each, 16);
  uint64_t size = INGOT_GEMM_PACK_OFFSET + (uint64_t)each * (uint64_t)count * sizeof(float);
  ingot_gemm_pack_header *h = ingot_aligned_alloc((size_t)size);
  if (!h) return NULL;
  h->magic = INGOT_GEMM_PACK_MAGIC;
  h->operand = operand;
  h->mr = kr->mr;
  h->nr = kr->nr;
  h->rows = rows;
  h->cols = cols;
  h->count = count;
  h->floats_each = each;
  snprintf(h->kernel, sizeof h->kernel, "%s", kr->name);
  *size_out = size;
  return h;
}

bool ingot_gemm_pack_check(const void *prepared, uint64_t size, int32_t operand, int64_t rows, int64_t cols,
                           int64_t count, ingot_gemm_kernel *storage, const ingot_gemm_kernel **kernel_out,
                           char *why, size_t why_size) {
  const ingot_gemm_pack_header *h = prepared;
  if (!h || size < INGOT_GEMM_PACK_OFFSET || h->magic != INGOT_GEMM_PACK_MAGIC) {
    snprintf(why, why_size, "its packed weights are missing or not a GEMM pack (%llu bytes)", (unsigned long long)size);
    return false;
  }
  char name[sizeof h->kernel + 1];
  memcpy(name, h->kernel, sizeof h->kernel);
  name[sizeof h->kernel] = '\0';
  if (h->operand != operand || h->rows != rows || h->cols != cols || h->count != count) {
    snprintf(why, why_size, "packed weights hold %lld matrices of %lld x %lld (operand %d), the layer needs %lld of %lld x %lld",
             (long long)h->count, (long long)h->rows, (long long)h->cols, (int)h->operand, (long long)count,
             (long long)rows, (long long)cols);
    return false;
  }
  const ingot_gemm_kernel *kr = ingot_gemm_kernel_for_shape(h->mr, h->nr, storage);
  if (!kr) {
    snprintf(why, why_size, "packed weights have a %dx%d tile (%s), which no kernel runs", (int)h->mr, (int)h->nr, name);
    return false;
  }
  int64_t need = operand == 0 ? ingot_gemm_packed_a_floats(kr, rows, cols) : ingot_gemm_packed_b_floats(kr, rows, cols);
  if (h->floats_each < need || (size - INGOT_GEMM_PACK_OFFSET) / sizeof(float) / (uint64_t)(count > 0 ? count : 1) <
                                   (uint64_t)h->floats_each) {
    snprintf(why, why_size, "packed weights of %llu bytes are too small for %lld matrices of %lld floats",
             (unsigned long long)size, (long long)count, (long long)need);
    return false;
  }
  *kernel_out = kr;
  return true;
}
