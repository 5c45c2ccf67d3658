/* Tactic choice: each node gets one of the backend's tactics that support it at the opt
 * shapes, fit the workspace limit and come from a tactic source the config allows. With
 * several and timing_iterations > 0 they are timed (TensorRT's autotuning): each runs on
 * the opt shapes with random inputs, the real constants, its real prepare() output and
 * its per-shape state, once to warm up and then timing_iterations times, on a pool of
 * the config's thread count; the lowest median wins. Timing a node is kept to about
 * TIME_BUDGET_MS: a candidate already much slower than the best after its
 * warm-up is not run again, the repetitions shrink to fit the budget, and a candidate
 * whose time predicted from its earlier runs in this build (per unit of work: MACs for
 * conv / fc / matmul) is far above the best is not run at all. Without timing
 * the last-listed supported tactic is taken (the backends list faster tactics after the
 * reference ones). The chosen tactic's prepare() output (packed weights) goes into the
 * plan. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builder/builder_internal.h"
#include "builder/timing_cache.h"
#include "core/alloc.h"
#include "core/dims.h"
#include "core/error.h"
#include "core/logger.h"
#include "core/thread_pool.h"

#define TIME_BUDGET_MS 50.0
#define MAX_CANDIDATES 16
#define MAX_REPEATS 1000
#define SLOWER_FACTOR 4.0 /* after its warm-up, a candidate this much slower than the best is dropped */
#define PREDICT_FACTOR 10.0 /* predicted this much slower than the best: not run */
#define MAX_TACTICS 512     /* rows of a backend's table whose speed is remembered */

typedef ingot_tactic_candidate candidate;

/* Build-wide state of the choice: the timing pool, made on first use. */
typedef struct chooser {
  ingot_build *build;
  ingot_thread_pool *pool;
  bool pool_tried;
  uint64_t seed;
  double ms_per_work[MAX_TACTICS]; /* per tactic row: last warm-up time / work; 0 unknown */
} chooser;

/* The work of a node, for predicting a tactic's time from its earlier runs: multiply-adds
 * for conv, deconv, fc and matmul; elements touched otherwise. */
static double node_work(const ingot_node *n, const ingot_tensor_view *in, const ingot_tensor_view *out) {
  double y = n->nb_outputs > 0 ? (double)ingot_dims_volume(&out[0].dims) : 0.0, reduce = 1.0;
  const ingot_dims *x = n->nb_inputs > 0 ? &in[0].dims : NULL;
  switch (n->op) {
    case INGOT_OP_CONVOLUTION:
    case INGOT_OP_DECONVOLUTION: {
      const ingot_conv_params *p = &n->params.conv;
      int64_t groups = p->groups > 0 ? p->groups : 1;
      reduce = x && x->nb_dims > 1 ? (double)(x->d[1] / groups) : 1.0;
      for (int32_t i = 0; i < p->nb_spatial_dims && i < INGOT_MAX_SPATIAL_DIMS; i++) reduce *= (double)p->kernel_size[i];
      break;
    }
    case INGOT_OP_FULLY_CONNECTED:
      if (x && x->nb_dims > 0 && x->d[0] > 0) reduce = (double)ingot_dims_volume(x) / (double)x->d[0];
      break;
    case INGOT_OP_MATRIX_MULTIPLY:
      if (x && x->nb_dims > 0)
        reduce = (double)(n->params.matmul.op_a == INGOT_MATRIX_OP_TRANSPOSE && x->nb_dims > 1 ? x->d[x->nb_dims - 2]
                                                                                                : x->d[x->nb_dims - 1]);
      break;
    default:
      for (int32_t k = 0; k < n->nb_inputs; k++)
        if (in[k].dims.nb_dims >= 0) y += (double)ingot_dims_volume(&in[k].dims);
      break;
  }
  double w = y * reduce;
  return w > 1.0 ? w : 1.0;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void free_prepared(candidate *c) {
  free(c->prepared);
  c->prepared = NULL;
  c->prepared_size = 0;
}

/* Runs prepare() and sizes the workspace; false (with a verbose note) when the candidate
 * cannot be used. *over_limit tells why. A prepare() failure is kept in *first_error. */
static bool ready_candidate(ingot_build *build, const ingot_node *n, ingot_kernel_args *args, candidate *c,
                            bool *over_limit, ingot_status *first_error) {
  c->ms = INFINITY;
  if (c->tactic->prepare) {
    ingot_status st = c->tactic->prepare(args, &c->prepared, &c->prepared_size);
    if (st != INGOT_SUCCESS) {
      ingot_log(build->logger, INGOT_SEVERITY_VERBOSE, "layer '%s': tactic %s cannot prepare: %s", n->name,
                c->tactic->name, ingot_last_error());
      if (*first_error == INGOT_SUCCESS) *first_error = st;
      free_prepared(c);
      return false;
    }
  }
  args->prepared = c->prepared;
  args->prepared_size = c->prepared_size;
  c->workspace = c->tactic->workspace_size ? c->tactic->workspace_size(args) : 0;
  args->prepared = NULL;
  args->prepared_size = 0;
  if (c->workspace > build->config->workspace_limit) {
    *over_limit = true;
    ingot_log(build->logger, INGOT_SEVERITY_VERBOSE, "layer '%s': tactic %s needs %llu workspace bytes, over the limit",
              n->name, c->tactic->name, (unsigned long long)c->workspace);
    free_prepared(c);
    return false;
  }
  return true;
}

/* Random values for a timing input: floats in [-1, 1); integers and booleans 0 (a valid
 * index and a valid count everywhere). */
void ingot_build_fill_random(void *data, ingot_dtype dtype, int64_t count, uint64_t *seed) {
  if (!ingot_dtype_is_float(dtype)) return; /* already zeroed */
  for (int64_t i = 0; i < count; i++) {
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    double v = (double)((*seed >> 40) & 0xFFFFFF) / 8388608.0 - 1.0;
    ingot_store_from_double(data, dtype, i, v);
  }
}

/* Times every usable candidate on the opt shapes; their `ms` says how it went. False when
 * the buffers could not be had (then nothing is timed). */
static bool time_candidates(chooser *ch, const ingot_node *n, ingot_kernel_args *args, ingot_tensor_view *in,
                            ingot_tensor_view *out, candidate *cands, int32_t nb) {
  ingot_build *build = ch->build;
  if (build->backend->device) return ingot_time_candidates_device(build, n, args, in, out, cands, nb, &ch->seed);
  void *owned[INGOT_MAX_OUTPUTS + 64];
  int32_t nb_owned = 0;
  bool ok = true;
  uint64_t ws_max = 0;
  for (int32_t i = 0; i < nb; i++)
    if (cands[i].workspace > ws_max) ws_max = cands[i].workspace;
  /* inputs that are not constants, then the outputs and the workspace */
  for (int32_t k = 0; k < args->nb_inputs && ok; k++) {
    if (in[k].dims.nb_dims < 0 || in[k].data) continue;
    int64_t v = ingot_dims_volume(&in[k].dims);
    if (v < 0 || nb_owned >= 64) {
      ok = false;
      break;
    }
    void *p = ingot_aligned_alloc((size_t)v * ingot_dtype_size(in[k].dtype) + 64);
    if (!p) {
      ok = false;
      break;
    }
    ingot_build_fill_random(p, in[k].dtype, v, &ch->seed);
    in[k].data = p;
    owned[nb_owned++] = p;
  }
  for (int32_t k = 0; k < args->nb_outputs && ok; k++) {
    int64_t v = ingot_dims_volume(&out[k].dims);
    void *p = v >= 0 ? ingot_aligned_alloc((size_t)v * ingot_dtype_size(out[k].dtype) + 64) : NULL;
    if (!p) {
      ok = false;
      break;
    }
    out[k].data = p;
    owned[nb_owned++] = p;
  }
  void *ws = ok && ws_max ? ingot_aligned_alloc((size_t)ws_max) : NULL;
  if (ok && ws_max && !ws) ok = false;
  double work = node_work(n, in, out);
  if (ok) {
    double started = now_ms(), best = INFINITY;
    double *times = malloc(sizeof(double) * MAX_REPEATS);
    ok = times != NULL;
    /* last-listed first: the fast ones set the bar the slow ones are measured against */
    for (int32_t i = nb - 1; i >= 0 && ok; i--) {
      candidate *c = &cands[i];
      ptrdiff_t row = c->tactic - build->backend->tactics;
      double *rate = row >= 0 && row < MAX_TACTICS ? &ch->ms_per_work[row] : NULL;
      if (rate && *rate > 0.0 && *rate * work > PREDICT_FACTOR * best) {
        c->ms = *rate * work; /* predicted, not run */
        c->runs = 0;
        continue;
      }
      args->prepared = c->prepared;
      args->prepared_size = c->prepared_size;
      args->workspace = ws;
      args->workspace_size = c->workspace;
      args->pool = ch->pool;
      /* per-shape state (oneDNN primitives), made as a context makes it, outside the timing */
      void *state = NULL;
      ingot_status st = c->tactic->create_state ? c->tactic->create_state(args, &state) : INGOT_SUCCESS;
      args->state = state;
      double t0 = now_ms();
      if (st == INGOT_SUCCESS) st = c->tactic->run(args);
      double warm = now_ms() - t0;
      if (st != INGOT_SUCCESS) {
        if (c->tactic->destroy_state) c->tactic->destroy_state(state);
        args->state = NULL;
        ingot_log(build->logger, INGOT_SEVERITY_VERBOSE, "layer '%s': tactic %s failed on random inputs: %s", n->name,
                  c->tactic->name, ingot_last_error());
        continue;
      }
      c->ms = warm;
      c->runs = 1;
      if (rate) *rate = warm / work;
      if (warm > SLOWER_FACTOR * best) {
        if (c->tactic->destroy_state) c->tactic->destroy_state(state);
        args->state = NULL;
        continue;
      }
      double left = TIME_BUDGET_MS - (now_ms() - started);
      int64_t reps = build->config->timing_iterations;
      if (reps > MAX_REPEATS) reps = MAX_REPEATS;
      if (warm > 0 && (double)reps * warm > left) reps = (int64_t)(left / warm);
      if (reps < 1) reps = 1;
      for (int64_t r = 0; r < reps && st == INGOT_SUCCESS; r++) {
        t0 = now_ms();
        st = c->tactic->run(args);
        times[r] = now_ms() - t0;
      }
      if (c->tactic->destroy_state) c->tactic->destroy_state(state);
      args->state = NULL;
      if (st != INGOT_SUCCESS) {
        c->ms = INFINITY;
        continue;
      }
      qsort(times, (size_t)reps, sizeof(double), cmp_double);
      c->ms = reps % 2 ? times[reps / 2] : 0.5 * (times[reps / 2 - 1] + times[reps / 2]);
      c->runs = (int32_t)reps;
      if (c->ms < best) best = c->ms;
    }
    free(times);
  }
  ingot_aligned_free(ws);
  for (int32_t k = 0; k < nb_owned; k++) ingot_aligned_free(owned[k]);
  for (int32_t k = 0; k < args->nb_inputs; k++)
    if (in[k].dims.nb_dims >= 0 && (n->inputs[k] < 0 || !build->graph->tensors[n->inputs[k]].data)) in[k].data = NULL;
  for (int32_t k = 0; k < args->nb_outputs; k++) out[k].data = NULL;
  args->prepared = NULL;
  args->prepared_size = 0;
  args->workspace = NULL;
  args->workspace_size = 0;
  args->pool = NULL;
  for (int32_t i = 0; i < nb && ok; i++)
    ingot_log(build->logger, INGOT_SEVERITY_VERBOSE, "layer '%s': tactic %s %.4f ms (%s%d)", n->name,
              cands[i].tactic->name, cands[i].ms,
              cands[i].runs > 1 ? "median of " : (cands[i].runs ? "one run of " : "predicted, runs: "), cands[i].runs);
  return ok;
}

static void log_choice(ingot_build *build, const ingot_node *n, const candidate *cands, int32_t nb, int32_t chosen) {
  char others[512];
  size_t used = 0;
  others[0] = '\0';
  for (int32_t i = nb - 1; i >= 0; i--) {
    if (i == chosen || used >= sizeof others) continue;
    int w = isfinite(cands[i].ms)
                ? snprintf(others + used, sizeof others - used, "%s%s %s%.3g ms", used ? ", " : "",
                           cands[i].tactic->name, cands[i].runs ? "" : "~", cands[i].ms)
                : snprintf(others + used, sizeof others - used, "%s%s failed", used ? ", " : "", cands[i].tactic->name);
    if (w > 0) used += (size_t)w;
  }
  ingot_log(build->logger, INGOT_SEVERITY_INFO, "%s: %s %.3g ms (%s)", n->name, cands[chosen].tactic->name,
            cands[chosen].ms, others);
}

static uint64_t candidate_key(chooser *ch, const ingot_node *n, const ingot_kernel_args *args, const candidate *c) {
  return ingot_timing_cache_key(ch->build->backend, ch->build->config->num_threads, c->tactic, n, args->inputs,
                                args->outputs);
}

/* With a timing cache that knows every candidate, nothing is timed: the fastest cached
 * candidate that prepares and fits the workspace is chosen (only it is prepared, which
 * is most of what a warm-cache build saves). False when a candidate is not cached. */
static bool cached_choice(chooser *ch, const ingot_node *n, ingot_kernel_args *args, candidate *cands, int32_t nb,
                          int32_t *chosen, bool *over_limit, ingot_status *prepare_error) {
  ingot_timing_cache *cache = ch->build->config->timing_cache;
  if (!cache) return false;
  double ms[MAX_CANDIDATES];
  for (int32_t i = 0; i < nb; i++)
    if (!ingot_timing_cache_lookup(cache, candidate_key(ch, n, args, &cands[i]), &ms[i])) return false;
  for (;;) {
    int32_t best = -1;
    for (int32_t i = nb - 1; i >= 0; i--)
      if (isfinite(ms[i]) && (best < 0 || ms[i] < ms[best])) best = i;
    if (best < 0) {
      *chosen = -1;
      return true; /* none usable: the caller reports why */
    }
    if (ready_candidate(ch->build, n, args, &cands[best], over_limit, prepare_error)) {
      for (int32_t i = 0; i < nb; i++) {
        cands[i].ms = ms[i];
        cands[i].runs = 0;
      }
      cands[best].runs = -1; /* marks the log line "cached" */
      *chosen = best;
      ingot_log(ch->build->logger, INGOT_SEVERITY_INFO, "%s: %s %.3g ms (timing cache)", n->name,
                cands[best].tactic->name, ms[best]);
      return true;
    }
    ms[best] = INFINITY;
  }
}

static ingot_status choose(chooser *ch, int32_t index) {
  ingot_build *build = ch->build;
  ingot_graph *g = build->graph;
  ingot_node *n = &g->nodes[index];
  const ingot_dims *dims = build->shape_dims[build->opt_set];
  const ingot_dtype *dtypes = build->shape_dtypes[build->opt_set];
  ingot_tensor_view *in = ingot_calloc((size_t)n->nb_inputs + 1, sizeof *in);
  if (!in) return INGOT_OUT_OF_MEMORY;
  ingot_tensor_view out[INGOT_MAX_OUTPUTS];
  memset(out, 0, sizeof out);
  for (int32_t k = 0; k < n->nb_inputs; k++) {
    if (n->inputs[k] < 0) {
      in[k].dims.nb_dims = -1;
      continue;
    }
    in[k].dtype = dtypes[n->inputs[k]];
    in[k].dims = dims[n->inputs[k]];
    in[k].data = g->tensors[n->inputs[k]].data; /* constants only */
  }
  for (int32_t k = 0; k < n->nb_outputs; k++) {
    out[k].dtype = dtypes[n->outputs[k]];
    out[k].dims = dims[n->outputs[k]];
  }
  ingot_kernel_args args;
  memset(&args, 0, sizeof args);
  args.node = n;
  args.params = &n->params;
  args.nb_inputs = n->nb_inputs;
  args.inputs = in;
  args.nb_outputs = n->nb_outputs;
  args.outputs = out;
  args.stream = build->device_stream;
  args.device_handles = build->device_handles;
  /* CPU: the timing pool from the start, so that prepare() and workspace_size() see the
   * thread count the tactic will run with (oneDNN sizes its scratchpad by it) */
  if (!build->backend->device && !ch->pool_tried) {
    ch->pool_tried = true;
    if (ingot_thread_pool_create(build->config->num_threads, &ch->pool) != INGOT_SUCCESS) ch->pool = NULL;
  }
  args.pool = ch->pool;

  candidate cands[MAX_CANDIDATES];
  int32_t nb = 0;
  for (int32_t i = 0; i < build->backend->nb_tactics && nb < MAX_CANDIDATES; i++) {
    const ingot_tactic *t = &build->backend->tactics[i];
    if (t->op != n->op || (t->source && !(build->config->tactic_sources & t->source))) continue;
    if (t->supports && !t->supports(n, in, out)) continue;
    /* "_tf32" tactics round float32 inputs to tf32: only where the config allows it */
    if (strstr(t->name, "_tf32") && !(build->config->flags & (1u << INGOT_BUILDER_FLAG_TF32))) continue;
    memset(&cands[nb], 0, sizeof cands[nb]);
    cands[nb++].tactic = t;
  }
  bool over_limit = false;
  ingot_status prepare_error = INGOT_SUCCESS;
  int32_t chosen = -1;
  bool timed = false;
  bool cached = nb > 1 && build->config->timing_iterations > 0 && cached_choice(ch, n, &args, cands, nb, &chosen,
                                                                                  &over_limit, &prepare_error);
  if (cached) {
    timed = true;
  } else if (nb > 1 && build->config->timing_iterations > 0) {
    /* every usable candidate prepared, then timed */
    ingot_timing_cache *cache = build->config->timing_cache;
    int32_t usable = 0;
    for (int32_t i = 0; i < nb; i++) {
      bool this_over = false;
      if (ready_candidate(build, n, &args, &cands[i], &this_over, &prepare_error)) {
        cands[usable++] = cands[i];
      } else if (!this_over) {
        /* prepare() refuses this node whatever the config: cached as never usable */
        ingot_timing_cache_insert(cache, candidate_key(ch, n, &args, &cands[i]), INFINITY);
      }
      over_limit = over_limit || this_over;
    }
    nb = usable;
    if (nb > 1) timed = time_candidates(ch, n, &args, in, out, cands, nb);
    /* What decided the choice is cached: medians, one-run times of dropped candidates,
     * predicted times of candidates not run, failures as never usable; a lone usable
     * candidate as 0 ms (it wins whatever the others cost). */
    if (cache && nb == 1) ingot_timing_cache_insert(cache, candidate_key(ch, n, &args, &cands[0]), 0.0);
    if (cache && timed)
      for (int32_t i = 0; i < nb; i++)
        ingot_timing_cache_insert(cache, candidate_key(ch, n, &args, &cands[i]), cands[i].ms);
    if (timed) {
      for (int32_t i = nb - 1; i >= 0; i--)
        if (isfinite(cands[i].ms) && cands[i].runs > 0 && (chosen < 0 || cands[i].ms < cands[chosen].ms)) chosen = i;
      if (chosen >= 0) log_choice(build, n, cands, nb, chosen);
    }
    if (chosen < 0 && nb > 0) chosen = nb - 1; /* nothing timed: the last-listed */
  } else {
    /* the last-listed that prepares and fits */
    for (int32_t i = nb - 1; i >= 0 && chosen < 0; i--)
      if (ready_candidate(build, n, &args, &cands[i], &over_limit, &prepare_error)) chosen = i;
  }

  ingot_status st = INGOT_SUCCESS;
  if (chosen < 0) {
    char d[INGOT_DIMS_STR_SIZE];
    const char *first = n->nb_inputs > 0 && n->inputs[0] >= 0 ? ingot_dtype_name(in[0].dtype) : "none";
    if (prepare_error != INGOT_SUCCESS && !over_limit)
      st = prepare_error; /* its message is the last error */
    else
      st = over_limit ? ingot_node_fail(n, INGOT_OUT_OF_MEMORY,
                                        "every %s tactic needs more workspace than the limit of %llu bytes",
                                        build->backend->name, (unsigned long long)build->config->workspace_limit)
                      : ingot_node_fail(n, INGOT_UNSUPPORTED, "no %s tactic supports it (input dtype %s, output %s)",
                                        build->backend->name, first,
                                        n->nb_outputs ? ingot_dims_format(&out[0].dims, d, sizeof d) : "none");
  } else {
    n->tactic = cands[chosen].tactic;
    free(n->prepared);
    n->prepared = cands[chosen].prepared;
    n->prepared_size = cands[chosen].prepared_size;
    cands[chosen].prepared = NULL;
    ingot_log(build->logger, INGOT_SEVERITY_VERBOSE, "layer '%s' (%s): tactic %s%s", n->name,
              n->fused_name ? n->fused_name : ingot_op_name(n->op), n->tactic->name,
              cached ? " (timing cache)" : timed ? " (timed)" : "");
  }
  for (int32_t i = 0; i < nb; i++) free_prepared(&cands[i]);
  free(in);
  return st;
}

ingot_status ingot_pass_choose_tactics(ingot_build *build) {
  chooser *ch = ingot_calloc(1, sizeof *ch);
  if (!ch) return INGOT_OUT_OF_MEMORY;
  ch->build = build;
  ch->seed = 0x5DEECE66DULL;
  ingot_status st = ingot_build_device_begin(build);
  for (int32_t i = 0; i < build->graph->nb_nodes && st == INGOT_SUCCESS; i++) st = choose(ch, i);
  ingot_build_device_end(build);
  ingot_thread_pool_destroy(ch->pool);
  free(ch);
  return st;
}
