/* `ingot bench PLAN`: times the engine on random inputs (fixed seed) with a monotonic clock
 * and reports throughput, latency percentiles and, with --dump-profile, per-layer times. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "device.h"
#include "shapes.h"
#include "onnx_build.h"

void cmd_bench_usage(FILE *f) {
  fprintf(f,
          "usage: ingot bench PLAN [--shapes NAME:1x3x224x224,...] [--profile N] [--warmup N]\n"
          "                   [--iterations N | --duration S] [--threads N] [--streams N]\n"
          "                   [--dump-profile] [--json FILE] [--verbose] [--device cpu|cuda[:N]]\n"
          "                   [--cuda-graph]\n"
          "\n"
          "Runs the engine on random inputs (fixed seed: floats uniform in [-1, 1], integers 0 or\n"
          "1, valid indices into any table (BERT's token types have two), bools 0/1) and reports\n"
          "throughput and latency (min, mean, median, p90, p95, p99, max in ms). A dynamic input\n"
          "without --shapes gets the profile's opt shape.\n"
          "PLAN may be an .onnx model: it is built first, for the --shapes given.\n"
          "\n"
          "  --shapes LIST     input shapes, NAME:AxBxC joined by ','\n"
          "  --profile N       the optimization profile to use (default 0)\n"
          "  --warmup N        untimed runs first (default 10)\n"
          "  --iterations N    timed runs (default: as many as --duration allows, at least 10)\n"
          "  --duration S      seconds of timed runs (default 3)\n"
          "  --threads N       threads per context (default: the engine's)\n"
          "  --streams N       contexts run at once, each on its own stream (default 1); one\n"
          "                    iteration then is one inference per stream\n"
          "  --dump-profile    per-layer mean time and share, slowest first, from as many extra\n"
          "                    runs on stream 0 after the timed ones\n"
          "  --json FILE       also write every number as JSON to FILE\n"
          "  --verbose         let the library log info and verbose messages\n"
          "  --device D        cpu or cuda[:N]: where an .onnx model is built and loaded (a plan\n"
          "                    runs on its own target). On cuda, inputs are copied in from pinned\n"
          "                    memory and outputs out each iteration, and the medians of the copy\n"
          "                    times and GPU compute time (CUDA events) are reported beside the\n"
          "                    host latency, as trtexec does\n"
          "  --cuda-graph      cuda: capture the enqueue as a CUDA graph and replay it\n");
}

typedef struct bench_tensor {
  const char *name;
  ingot_tensor_io_mode mode;
  ingot_dtype dtype;
  ingot_dims engine_dims; /* with -1 */
  ingot_dims dims;        /* the shape used */
  size_t bytes;
} bench_tensor;

typedef struct layer_time {
  char *name;
  double total_ms;
  long long calls;
} layer_time;

typedef struct bench_profile {
  pthread_mutex_t lock;
  layer_time *layers;
  int32_t count, capacity, cursor;
  int oom;
} bench_profile;

typedef struct bench_state {
  const char *plan, *shapes_text, *json_path;
  long long profile, warmup, iterations, threads, streams;
  double duration;
  int dump_profile, verbose, iterations_set, duration_set, cuda_graph;
  tool_gpu_bench *gpu; /* cuda engines: copies and compute timed with events */
  tool_shape_list shapes;
  ingot_logger *logger;
  ingot_runtime *runtime;
  ingot_engine *engine;
  bench_tensor *tensors;
  int32_t nb_tensors;
  ingot_execution_context **contexts;
  ingot_stream **stream_list;
  void **buffers; /* [stream * nb_tensors + tensor] */
  ingot_profiler *profiler;
  bench_profile prof;
  double *latencies;
  long long nb_latencies;
  double total_s;
  int64_t batch; /* 0 when no input has a dynamic first dim */
} bench_state;

/* ---- random data ----------------------------------------------------------------------- */
static uint64_t rng_next(uint64_t *s) {
  /* splitmix64: fixed seed, same data on every run and machine */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static float rng_uniform(uint64_t *s) { return (float)((double)(rng_next(s) >> 40) / 8388608.0 - 1.0); }

static uint16_t float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, mant = x & 0x7fffff;
  int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
  if (exp >= 31) return (uint16_t)(sign | 0x7c00);
  if (exp <= 0) {
    if (exp < -10) return (uint16_t)sign;
    mant |= 0x800000;
    uint32_t shift = (uint32_t)(14 - exp);
    uint32_t h = mant >> shift, rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) h++;
    return (uint16_t)(sign | h);
  }
  uint32_t h = sign | ((uint32_t)exp << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
  return (uint16_t)h;
}

static uint16_t float_to_bf16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  x += 0x7fff + ((x >> 16) & 1);
  return (uint16_t)(x >> 16);
}

static void fill_random(void *data, ingot_dtype dtype, size_t count, uint64_t *seed) {
  for (size_t i = 0; i < count; i++) {
    switch (dtype) {
      case INGOT_FLOAT32: ((float *)data)[i] = rng_uniform(seed); break;
      case INGOT_FLOAT16: ((uint16_t *)data)[i] = float_to_half(rng_uniform(seed)); break;
      case INGOT_BFLOAT16: ((uint16_t *)data)[i] = float_to_bf16(rng_uniform(seed)); break;
      case INGOT_INT8: ((int8_t *)data)[i] = (int8_t)(rng_next(seed) % 2); break;
      case INGOT_UINT8: ((uint8_t *)data)[i] = (uint8_t)(rng_next(seed) % 2); break;
      case INGOT_INT32: ((int32_t *)data)[i] = (int32_t)(rng_next(seed) % 2); break;
      case INGOT_INT64: ((int64_t *)data)[i] = (int64_t)(rng_next(seed) % 2); break;
      case INGOT_BOOL: ((uint8_t *)data)[i] = (uint8_t)(rng_next(seed) & 1); break;
      default: break;
    }
  }
}

/* ---- profiler -------------------------------------------------------------------------- */
static void on_layer(void *user_data, const char *layer_name, float ms) {
  bench_profile *p = user_data;
  pthread_mutex_lock(&p->lock);
  int32_t found = -1;
  /* Layers report in the same order every run: try the next one first. */
  if (p->cursor < p->count && strcmp(p->layers[p->cursor].name, layer_name ? layer_name : "") == 0) found = p->cursor;
  for (int32_t i = 0; found < 0 && i < p->count; i++)
    if (strcmp(p->layers[i].name, layer_name ? layer_name : "") == 0) found = i;
  if (found < 0 && !p->oom) {
    if (p->count == p->capacity) {
      int32_t cap = p->capacity ? p->capacity * 2 : 64;
      layer_time *grown = realloc(p->layers, (size_t)cap * sizeof *grown);
      if (grown) {
        p->layers = grown;
        p->capacity = cap;
      }
    }
    char *copy = p->count < p->capacity ? strdup(layer_name ? layer_name : "") : NULL;
    if (copy) {
      p->layers[p->count].name = copy;
      p->layers[p->count].total_ms = 0;
      p->layers[p->count].calls = 0;
      found = p->count++;
    } else {
      p->oom = 1;
    }
  }
  if (found >= 0) {
    p->layers[found].total_ms += ms;
    p->layers[found].calls++;
    p->cursor = found + 1;
  }
  pthread_mutex_unlock(&p->lock);
}

static int by_total_desc(const void *a, const void *b) {
  const layer_time *x = a, *y = b;
  return (x->total_ms < y->total_ms) - (x->total_ms > y->total_ms);
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* ---- arguments ------------------------------------------------------------------------- */
static int parse_args(bench_state *s, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *v = NULL;
    int m;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      cmd_bench_usage(stdout);
      return -2;
    } else if (strcmp(argv[i], "--dump-profile") == 0) {
      s->dump_profile = 1;
    } else if (strcmp(argv[i], "--verbose") == 0) {
      s->verbose = 1;
    } else if (strcmp(argv[i], "--cuda-graph") == 0) {
      s->cuda_graph = 1;
    } else if ((m = tool_option("bench", argc, argv, &i, "--device", &v)) != 0) {
      if (m < 0 || tool_device_parse("bench", v) != 0) return -1;
    } else if ((m = tool_option("bench", argc, argv, &i, "--shapes", &v)) != 0) {
      if (m < 0) return -1;
      char err[1024];
      tool_shapes_free(&s->shapes);
      if (tool_shapes_parse(v, &s->shapes, err, sizeof err) != 0) return tool_error("bench", "--shapes: %s", err), -1;
    } else if ((m = tool_option("bench", argc, argv, &i, "--profile", &v)) != 0) {
      if (m < 0) return -1;
      if (tool_parse_int(v, 0, INT32_MAX, &s->profile) != 0)
        return tool_error("bench", "--profile '%s': expected a profile index >= 0", v), -1;
    } else if ((m = tool_option("bench", argc, argv, &i, "--warmup", &v)) != 0) {
      if (m < 0) return -1;
      if (tool_parse_int(v, 0, 1000000000, &s->warmup) != 0)
        return tool_error("bench", "--warmup '%s': expected an integer >= 0", v), -1;
    } else if ((m = tool_option("bench", argc, argv, &i, "--iterations", &v)) != 0) {
      if (m < 0) return -1;
      if (tool_parse_int(v, 1, 1000000000, &s->iterations) != 0)
        return tool_error("bench", "--iterations '%s': expected an integer >= 1", v), -1;
      s->iterations_set = 1;
    } else if ((m = tool_option("bench", argc, argv, &i, "--duration", &v)) != 0) {
      if (m < 0) return -1;
      if (tool_parse_seconds(v, &s->duration) != 0 || s->duration > 86400.0)
        return tool_error("bench", "--duration '%s': expected seconds in [0, 86400]", v), -1;
      s->duration_set = 1;
    } else if ((m = tool_option("bench", argc, argv, &i, "--threads", &v)) != 0) {
      if (m < 0) return -1;
      if (tool_parse_int(v, 0, 4096, &s->threads) != 0)
        return tool_error("bench", "--threads '%s': expected an integer in [0, 4096]", v), -1;
    } else if ((m = tool_option("bench", argc, argv, &i, "--streams", &v)) != 0) {
      if (m < 0) return -1;
      if (tool_parse_int(v, 1, 256, &s->streams) != 0)
        return tool_error("bench", "--streams '%s': expected an integer in [1, 256]", v), -1;
    } else if ((m = tool_option("bench", argc, argv, &i, "--json", &v)) != 0) {
      if (m < 0) return -1;
      if (!*v) return tool_error("bench", "--json: empty file name"), -1;
      s->json_path = v;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      return tool_error("bench", "unknown option '%s' (see ingot bench --help)", argv[i]), -1;
    } else if (!s->plan) {
      s->plan = argv[i];
    } else {
      return tool_error("bench", "unexpected argument '%s' (one PLAN only)", argv[i]), -1;
    }
  }
  if (!s->plan) return tool_error("bench", "missing PLAN (usage: ingot bench PLAN [options])"), -1;
  if (s->iterations_set && s->duration_set)
    return tool_error("bench", "give --iterations or --duration, not both"), -1;
  return 0;
}

/* ---- setup ----------------------------------------------------------------------------- */
static int choose_shapes(bench_state *s) {
  int32_t n = ingot_engine_num_io_tensors(s->engine);
  s->tensors = calloc((size_t)n + 1, sizeof *s->tensors);
  if (!s->tensors) return tool_error("bench", "out of memory");
  s->nb_tensors = n;
  char inputs[1024] = "";
  size_t used = 0;
  for (int32_t i = 0; i < n; i++) {
    bench_tensor *t = &s->tensors[i];
    t->name = ingot_engine_get_io_tensor_name(s->engine, i);
    if (!t->name || ingot_engine_get_tensor_io_mode(s->engine, t->name, &t->mode) != INGOT_SUCCESS ||
        ingot_engine_get_tensor_dtype(s->engine, t->name, &t->dtype) != INGOT_SUCCESS ||
        ingot_engine_get_tensor_dims(s->engine, t->name, &t->engine_dims) != INGOT_SUCCESS)
      return tool_error("bench", "I/O tensor %d: %s", i, ingot_last_error());
    if (t->mode == INGOT_TENSOR_INPUT && used < sizeof inputs) {
      int w = snprintf(inputs + used, sizeof inputs - used, "%s%s", used ? ", " : "", t->name);
      if (w > 0) used += (size_t)w;
    }
  }
  for (int32_t k = 0; k < s->shapes.count; k++) {
    int32_t i = 0;
    while (i < n && strcmp(s->tensors[i].name, s->shapes.items[k].name) != 0) i++;
    if (i == n) return tool_error("bench", "--shapes: unknown input '%s' (the engine's inputs: %s)", s->shapes.items[k].name, inputs);
    if (s->tensors[i].mode != INGOT_TENSOR_INPUT)
      return tool_error("bench", "--shapes: '%s' is an output, not an input (inputs: %s)", s->shapes.items[k].name, inputs);
  }
  for (int32_t i = 0; i < n; i++) {
    bench_tensor *t = &s->tensors[i];
    if (t->mode != INGOT_TENSOR_INPUT) continue;
    const ingot_dims *given = tool_shapes_find(&s->shapes, t->name);
    int dynamic = 0;
    for (int32_t d = 0; d < t->engine_dims.nb_dims; d++)
      if (t->engine_dims.d[d] < 0) dynamic = 1;
    char a[256], b[256];
    if (given) {
      tool_dims_format(given, a, sizeof a);
      tool_dims_format(&t->engine_dims, b, sizeof b);
      int match = given->nb_dims == t->engine_dims.nb_dims;
      for (int32_t d = 0; match && d < given->nb_dims; d++)
        if (t->engine_dims.d[d] >= 0 && t->engine_dims.d[d] != given->d[d]) match = 0;
      if (!match) return tool_error("bench", "--shapes: input '%s' given %s, the engine expects %s", t->name, a, b);
      t->dims = *given;
    } else if (dynamic) {
      if (ingot_engine_get_profile_dims(s->engine, t->name, (int32_t)s->profile, INGOT_PROFILE_OPT, &t->dims) !=
          INGOT_SUCCESS)
        return tool_error("bench", "input '%s': no opt shape in profile %lld: %s", t->name, s->profile,
                          ingot_last_error());
    } else {
      t->dims = t->engine_dims;
    }
    if (s->batch == 0 && t->engine_dims.nb_dims > 0 && t->engine_dims.d[0] < 0) s->batch = t->dims.d[0];
  }
  return 0;
}

static int tensor_bytes(bench_tensor *t) {
  int64_t count = tool_volume(&t->dims);
  size_t esize = ingot_dtype_size(t->dtype);
  if (count < 0 || esize == 0 || (uint64_t)count > SIZE_MAX / esize) {
    char buf[256];
    tool_dims_format(&t->dims, buf, sizeof buf);
    return tool_error("bench", "tensor '%s': unusable shape %s of %s", t->name, buf, ingot_dtype_name(t->dtype));
  }
  t->bytes = (size_t)count * esize;
  return 0;
}

static int setup_contexts(bench_state *s) {
  size_t S = (size_t)s->streams, N = (size_t)s->nb_tensors;
  s->contexts = calloc(S, sizeof *s->contexts);
  s->stream_list = calloc(S, sizeof *s->stream_list);
  s->buffers = calloc(S * N + 1, sizeof *s->buffers);
  if (!s->contexts || !s->stream_list || !s->buffers) return tool_error("bench", "out of memory");
  for (size_t c = 0; c < S; c++) {
    if (ingot_engine_create_execution_context(s->engine, &s->contexts[c]) != INGOT_SUCCESS)
      return tool_error("bench", "cannot create execution context %zu: %s", c, ingot_last_error());
    ingot_execution_context *ctx = s->contexts[c];
    if (s->profile > 0 && ingot_execution_context_set_optimization_profile(ctx, (int32_t)s->profile) != INGOT_SUCCESS)
      return tool_error("bench", "--profile %lld: %s", s->profile, ingot_last_error());
    if (s->threads > 0 && ingot_execution_context_set_num_threads(ctx, (int32_t)s->threads) != INGOT_SUCCESS)
      return tool_error("bench", "--threads %lld: %s", s->threads, ingot_last_error());
    uint64_t seed = 0x1d607ULL;
    for (size_t i = 0; i < N; i++) {
      bench_tensor *t = &s->tensors[i];
      if (t->mode != INGOT_TENSOR_INPUT) continue;
      int dynamic = 0;
      for (int32_t d = 0; d < t->engine_dims.nb_dims; d++)
        if (t->engine_dims.d[d] < 0) dynamic = 1;
      if (dynamic && ingot_execution_context_set_input_shape(ctx, t->name, &t->dims) != INGOT_SUCCESS) {
        char buf[256];
        tool_dims_format(&t->dims, buf, sizeof buf);
        return tool_error("bench", "input shape %s refused: %s", buf, ingot_last_error());
      }
      if (c == 0 && tensor_bytes(t) != 0) return 1;
      void *p = malloc(t->bytes ? t->bytes : 1);
      if (!p) return tool_error("bench", "input '%s': out of memory for %zu bytes", t->name, t->bytes);
      s->buffers[c * N + i] = p;
      fill_random(p, t->dtype, t->bytes / ingot_dtype_size(t->dtype), &seed);
      if (ingot_execution_context_set_tensor_address(ctx, t->name, p) != INGOT_SUCCESS)
        return tool_error("bench", "input '%s': %s", t->name, ingot_last_error());
    }
    for (size_t i = 0; i < N; i++) {
      bench_tensor *t = &s->tensors[i];
      if (t->mode != INGOT_TENSOR_OUTPUT) continue;
      if (c == 0) {
        /* the largest shape: a data-dependent output's extent is known only after a run */
        if (ingot_execution_context_get_tensor_max_shape(ctx, t->name, &t->dims) != INGOT_SUCCESS)
          return tool_error("bench", "output '%s': %s", t->name, ingot_last_error());
        if (tensor_bytes(t) != 0) return 1;
      }
      void *p = calloc(1, t->bytes ? t->bytes : 1);
      if (!p) return tool_error("bench", "output '%s': out of memory for %zu bytes", t->name, t->bytes);
      s->buffers[c * N + i] = p;
      if (ingot_execution_context_set_tensor_address(ctx, t->name, p) != INGOT_SUCCESS)
        return tool_error("bench", "output '%s': %s", t->name, ingot_last_error());
    }
    if (s->streams > 1 && ingot_stream_create(ingot_engine_get_target(s->engine), 0, &s->stream_list[c]) != INGOT_SUCCESS)
      return tool_error("bench", "cannot create stream %zu: %s", c, ingot_last_error());
  }
  return 0;
}

/* One iteration: one inference per stream; returns its wall time in seconds or < 0. */
static double one_iteration(bench_state *s) {
  if (s->gpu) return tool_gpu_bench_iteration(s->gpu);
  double t0 = tool_now();
  if (s->streams == 1) {
    ingot_status st = ingot_execution_context_execute(s->contexts[0]);
    if (st != INGOT_SUCCESS) {
      tool_error("bench", "execution failed (%s): %s", ingot_status_name(st), ingot_last_error());
      return -1;
    }
    return tool_now() - t0;
  }
  for (long long c = 0; c < s->streams; c++) {
    ingot_status st = ingot_execution_context_enqueue(s->contexts[c], s->stream_list[c]);
    if (st != INGOT_SUCCESS) {
      tool_error("bench", "enqueue on stream %lld failed (%s): %s", c, ingot_status_name(st), ingot_last_error());
      for (long long k = 0; k < c; k++) ingot_stream_synchronize(s->stream_list[k]);
      return -1;
    }
  }
  int failed = 0;
  for (long long c = 0; c < s->streams; c++) {
    ingot_status st = ingot_stream_synchronize(s->stream_list[c]);
    if (st != INGOT_SUCCESS && !failed) {
      tool_error("bench", "execution on stream %lld failed (%s): %s", c, ingot_status_name(st), ingot_last_error());
      failed = 1;
    }
  }
  return failed ? -1 : tool_now() - t0;
}

static int run_timed(bench_state *s) {
  for (long long w = 0; w < s->warmup; w++)
    if (one_iteration(s) < 0) return 1;
  if (s->gpu) tool_gpu_bench_reset(s->gpu); /* the warm-up is not reported */
  long long cap = s->iterations_set ? s->iterations : 1024;
  s->latencies = malloc((size_t)cap * sizeof *s->latencies);
  if (!s->latencies) return tool_error("bench", "out of memory for %lld latencies", cap);
  double start = tool_now();
  for (;;) {
    if (s->iterations_set && s->nb_latencies >= s->iterations) break;
    if (!s->iterations_set && s->nb_latencies >= 10 && tool_now() - start >= s->duration) break;
    if (s->nb_latencies == cap) {
      double *grown = realloc(s->latencies, (size_t)cap * 2 * sizeof *grown);
      if (!grown) return tool_error("bench", "out of memory for %lld latencies", cap * 2);
      s->latencies = grown;
      cap *= 2;
    }
    double t = one_iteration(s);
    if (t < 0) return 1;
    s->latencies[s->nb_latencies++] = t * 1000.0;
  }
  s->total_s = tool_now() - start;
  /* Per-layer times come from as many extra runs, so that profiling costs do not show in
   * the latencies above. */
  if (s->dump_profile) {
    if (ingot_profiler_create(on_layer, &s->prof, &s->profiler) != INGOT_SUCCESS)
      return tool_error("bench", "cannot create a profiler: %s", ingot_last_error());
    if (ingot_execution_context_set_profiler(s->contexts[0], s->profiler) != INGOT_SUCCESS)
      return tool_error("bench", "cannot set the profiler: %s", ingot_last_error());
    for (long long i = 0; i < s->nb_latencies; i++)
      if (one_iteration(s) < 0) return 1;
    ingot_execution_context_set_profiler(s->contexts[0], NULL);
  }
  return 0;
}

/* ---- report ---------------------------------------------------------------------------- */
typedef struct bench_stats {
  double min, mean, median, p90, p95, p99, max, inferences_per_s, samples_per_s;
} bench_stats;

static double percentile(const double *sorted, long long n, double p) {
  long long rank = (long long)ceil(p / 100.0 * (double)n); /* nearest rank */
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return sorted[rank - 1];
}

static bench_stats compute_stats(bench_state *s) {
  bench_stats r;
  memset(&r, 0, sizeof r);
  long long n = s->nb_latencies;
  if (n == 0) return r;
  qsort(s->latencies, (size_t)n, sizeof *s->latencies, by_value);
  double sum = 0;
  for (long long i = 0; i < n; i++) sum += s->latencies[i];
  r.min = s->latencies[0];
  r.max = s->latencies[n - 1];
  r.mean = sum / (double)n;
  r.median = n % 2 ? s->latencies[n / 2] : 0.5 * (s->latencies[n / 2 - 1] + s->latencies[n / 2]);
  r.p90 = percentile(s->latencies, n, 90);
  r.p95 = percentile(s->latencies, n, 95);
  r.p99 = percentile(s->latencies, n, 99);
  if (s->total_s > 0) r.inferences_per_s = (double)n * (double)s->streams / s->total_s;
  r.samples_per_s = r.inferences_per_s * (double)s->batch;
  return r;
}

static void print_report(bench_state *s, const bench_stats *r) {
  char buf[256];
  printf("plan:        %s (%s)\n", s->plan, ingot_target_name(ingot_engine_get_target(s->engine)));
  for (int32_t i = 0; i < s->nb_tensors; i++) {
    tool_dims_format(&s->tensors[i].dims, buf, sizeof buf);
    printf("%-12s %s %s %s\n", s->tensors[i].mode == INGOT_TENSOR_INPUT ? "input:" : "output:", s->tensors[i].name,
           buf, ingot_dtype_name(s->tensors[i].dtype));
  }
  printf("runs:        %lld warmup, %lld timed x %lld stream(s) in %.4g s\n", s->warmup, s->nb_latencies, s->streams,
         s->total_s);
  printf("throughput:  %.2f inferences/s", r->inferences_per_s);
  if (s->batch > 0) printf(", %.2f samples/s (batch %lld)", r->samples_per_s, (long long)s->batch);
  printf("\n");
  printf("latency ms:  min %.4f  mean %.4f  median %.4f  p90 %.4f  p95 %.4f  p99 %.4f  max %.4f\n", r->min, r->mean,
         r->median, r->p90, r->p95, r->p99, r->max);
  if (s->dump_profile) {
    double total = 0;
    for (int32_t i = 0; i < s->prof.count; i++) total += s->prof.layers[i].total_ms;
    printf("per-layer profile (mean over %lld extra runs, stream 0, slowest first):\n", s->nb_latencies);
    printf("  %-32s %12s %8s\n", "layer", "mean ms", "share");
    for (int32_t i = 0; i < s->prof.count; i++) {
      const layer_time *l = &s->prof.layers[i];
      printf("  %-32s %12.4f %7.2f%%\n", l->name, l->calls ? l->total_ms / (double)l->calls : 0.0,
             total > 0 ? 100.0 * l->total_ms / total : 0.0);
    }
    if (s->prof.count == 0) printf("  (the engine reported no layer times)\n");
  }
}

static int write_json(bench_state *s, const bench_stats *r) {
  FILE *f = fopen(s->json_path, "w");
  if (!f) return tool_error("bench", "--json %s: cannot create the file", s->json_path);
  fprintf(f, "{\n  \"plan\": ");
  tool_json_string(f, s->plan);
  fprintf(f, ",\n  \"target\": ");
  tool_json_string(f, ingot_target_name(ingot_engine_get_target(s->engine)));
  fprintf(f, ",\n  \"library_version\": ");
  tool_json_string(f, ingot_version_string());
  fprintf(f, ",\n  \"profile\": %lld,\n  \"threads\": %lld,\n  \"streams\": %lld,\n  \"warmup\": %lld,\n", s->profile,
          s->threads, s->streams, s->warmup);
  fprintf(f, "  \"iterations\": %lld,\n  \"total_s\": %.9g,\n  \"tensors\": [", s->nb_latencies, s->total_s);
  for (int32_t i = 0; i < s->nb_tensors; i++) {
    fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
    tool_json_string(f, s->tensors[i].name);
    fprintf(f, ", \"mode\": \"%s\", \"dtype\": \"%s\", \"shape\": ",
            s->tensors[i].mode == INGOT_TENSOR_INPUT ? "input" : "output", ingot_dtype_name(s->tensors[i].dtype));
    tool_json_dims(f, &s->tensors[i].dims);
    fprintf(f, "}");
  }
  fprintf(f, "\n  ],\n  \"throughput\": {\"inferences_per_s\": %.9g", r->inferences_per_s);
  if (s->batch > 0) fprintf(f, ", \"batch\": %lld, \"samples_per_s\": %.9g", (long long)s->batch, r->samples_per_s);
  fprintf(f, "},\n  \"latency_ms\": {\"min\": %.9g, \"mean\": %.9g, \"median\": %.9g, \"p90\": %.9g, \"p95\": %.9g, "
             "\"p99\": %.9g, \"max\": %.9g}",
          r->min, r->mean, r->median, r->p90, r->p95, r->p99, r->max);
  if (s->dump_profile) {
    double total = 0;
    for (int32_t i = 0; i < s->prof.count; i++) total += s->prof.layers[i].total_ms;
    fprintf(f, ",\n  \"layers\": [");
    for (int32_t i = 0; i < s->prof.count; i++) {
      const layer_time *l = &s->prof.layers[i];
      fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
      tool_json_string(f, l->name);
      fprintf(f, ", \"mean_ms\": %.9g, \"share\": %.9g, \"calls\": %lld}", l->calls ? l->total_ms / (double)l->calls : 0.0,
              total > 0 ? l->total_ms / total : 0.0, l->calls);
    }
    fprintf(f, "%s]", s->prof.count ? "\n  " : "");
  }
  fprintf(f, "\n}\n");
  int bad = ferror(f);
  if (fclose(f) != 0 || bad) return tool_error("bench", "--json %s: write error", s->json_path);
  return 0;
}

static int bench(bench_state *s) {
  s->logger = tool_logger_create(s->verbose);
  if (tool_load_engine_any("bench", s->plan, &s->shapes, "--shapes", s->logger, &s->runtime, &s->engine) != 0)
    return 1;
  ingot_target target = ingot_engine_get_target(s->engine);
  if (target != INGOT_TARGET_CPU && s->streams > 1)
    return tool_error("bench", "--streams %lld: a %s engine is benchmarked on one stream", s->streams,
                      ingot_target_name(target));
  int32_t nprof = ingot_engine_num_optimization_profiles(s->engine);
  if (s->profile > 0 && s->profile >= nprof)
    return tool_error("bench", "--profile %lld: the engine has %d profile(s)", s->profile, nprof);
  if (choose_shapes(s) != 0 || setup_contexts(s) != 0) return 1;
  if (target != INGOT_TARGET_CPU) {
    /* the host buffers just filled become the pinned copies; the context gets device ones */
    const char *names[64];
    void *host[64];
    size_t bytes[64];
    int is_input[64];
    if (s->nb_tensors > 64) return tool_error("bench", "more than 64 I/O tensors");
    for (int32_t i = 0; i < s->nb_tensors; i++) {
      names[i] = s->tensors[i].name;
      host[i] = s->buffers[i];
      bytes[i] = s->tensors[i].bytes;
      is_input[i] = s->tensors[i].mode == INGOT_TENSOR_INPUT;
    }
    if (tool_gpu_bench_create(s->contexts[0], s->nb_tensors, names, host, bytes, is_input, s->cuda_graph, &s->gpu) != 0)
      return 1;
  }
  if (run_timed(s) != 0) return 1;
  bench_stats r = compute_stats(s);
  if (s->prof.count > 1) qsort(s->prof.layers, (size_t)s->prof.count, sizeof *s->prof.layers, by_total_desc);
  print_report(s, &r);
  if (s->gpu) tool_gpu_bench_report(s->gpu, s->batch, stdout);
  if (s->json_path && write_json(s, &r) != 0) return 1;
  return 0;
}

int cmd_bench(int argc, char **argv) {
  bench_state s;
  memset(&s, 0, sizeof s);
  s.warmup = 10;
  s.streams = 1;
  s.duration = 3.0;
  pthread_mutex_init(&s.prof.lock, NULL);
  int rc = parse_args(&s, argc, argv);
  if (rc == -2) rc = 0;
  else if (rc != 0) rc = 1;
  else rc = bench(&s);
  if (s.contexts)
    for (long long c = 0; c < s.streams; c++) {
      if (s.stream_list && s.stream_list[c]) ingot_stream_destroy(s.stream_list[c]);
      if (c == 0) tool_gpu_bench_destroy(s.gpu); /* before its context */
      if (s.contexts[c]) ingot_execution_context_destroy(s.contexts[c]);
    }
  if (s.buffers)
    for (size_t i = 0; i < (size_t)s.streams * (size_t)s.nb_tensors; i++) free(s.buffers[i]);
  free(s.buffers);
  free(s.contexts);
  free(s.stream_list);
  free(s.tensors);
  free(s.latencies);
  if (s.profiler) ingot_profiler_destroy(s.profiler);
  for (int32_t i = 0; i < s.prof.count; i++) free(s.prof.layers[i].name);
  free(s.prof.layers);
  pthread_mutex_destroy(&s.prof.lock);
  tool_shapes_free(&s.shapes);
  if (s.engine) ingot_engine_destroy(s.engine);
  if (s.runtime) ingot_runtime_destroy(s.runtime);
  if (s.logger) ingot_logger_destroy(s.logger);
  return rc;
}
