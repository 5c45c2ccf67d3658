/* .onnx to plan for the `ingot` tool (see onnx_build.h): parse with every error printed,
 * one profile from the shape flags, build, time each step. */
#include "onnx_build.h"
#include "device.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npy.h"

int tool_tactic_sources_parse(const char *cmd, const char *list, uint32_t *mask_out) {
  static const struct {
    const char *name;
    uint32_t bit;
  } names[] = {{"ingot", INGOT_TACTIC_SOURCE_INGOT},       {"onednn", INGOT_TACTIC_SOURCE_ONEDNN},
               {"cublaslt", INGOT_TACTIC_SOURCE_CUBLASLT}, {"cudnn", INGOT_TACTIC_SOURCE_CUDNN},
               {"all", INGOT_TACTIC_SOURCE_ALL},           {"none", 0}};
  /* TensorRT's trtexec: signed entries edit the default set, unsigned ones name the set */
  uint32_t mask = list[0] == '-' || list[0] == '+' ? INGOT_TACTIC_SOURCE_DEFAULT : 0;
  const char *p = list;
  do {
    size_t len = strcspn(p, ",");
    char sign = *p == '-' || *p == '+' ? *p : '+';
    const char *name = *p == '-' || *p == '+' ? p + 1 : p;
    size_t name_len = len - (size_t)(name - p), k = 0;
    while (k < sizeof names / sizeof names[0] &&
           (strlen(names[k].name) != name_len || strncasecmp(names[k].name, name, name_len) != 0))
      k++;
    if (k == sizeof names / sizeof names[0])
      return tool_error(cmd, "--tactic-sources: unknown source '%.*s' (ingot, onednn, cublaslt, cudnn, all, none)",
                        (int)len, p),
             -1;
    mask = sign == '-' ? mask & ~names[k].bit : mask | names[k].bit;
    p += len;
  } while (*p++ == ',');
  *mask_out = mask;
  return 0;
}

int tool_is_onnx(const char *path) {
  size_t n = path ? strlen(path) : 0;
  return n >= 5 && strcasecmp(path + n - 5, ".onnx") == 0;
}

static void progress(const tool_onnx_options *o, const char *fmt, const char *arg) {
  if (!o->progress || !isatty(fileno(stderr))) return;
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
}

/* ---- the profile ------------------------------------------------------------------------------ */

/* "?x3x224x224" for dims with -1, and an example with 1 for each -1. */
static void dims_text(const ingot_dims *d, char *text, size_t size, char *example, size_t example_size) {
  size_t u = 0, v = 0;
  text[0] = example[0] = '\0';
  for (int32_t k = 0; k < d->nb_dims; k++) {
    int w = snprintf(text + u, u < size ? size - u : 0, "%s%s", k ? "x" : "", d->d[k] < 0 ? "?" : "");
    if (w > 0) u += (size_t)w;
    if (d->d[k] >= 0) {
      w = snprintf(text + u, u < size ? size - u : 0, "%lld", (long long)d->d[k]);
      if (w > 0) u += (size_t)w;
    }
    w = snprintf(example + v, v < example_size ? example_size - v : 0, "%s%lld", k ? "x" : "",
                 (long long)(d->d[k] < 0 ? 1 : d->d[k]));
    if (w > 0) v += (size_t)w;
  }
  if (d->nb_dims == 0) snprintf(text, size, "scalar");
}

/* Each name in `list` must be a network input. */
static int check_names(const char *cmd, const char *flag, const tool_shape_list *list, const ingot_network *net) {
  if (!list) return 0;
  for (int32_t k = 0; k < list->count; k++) {
    int found = 0;
    for (int32_t i = 0; i < ingot_network_num_inputs(net) && !found; i++)
      found = strcmp(ingot_tensor_get_name(ingot_network_get_input(net, i)), list->items[k].name) == 0;
    if (found) continue;
    char names[1024];
    size_t used = 0;
    names[0] = '\0';
    for (int32_t i = 0; i < ingot_network_num_inputs(net) && used < sizeof names; i++) {
      int w = snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                       ingot_tensor_get_name(ingot_network_get_input(net, i)));
      if (w > 0) used += (size_t)w;
    }
    return tool_error(cmd, "%s: the model has no input '%s' (its inputs: %s)", flag, list->items[k].name, names);
  }
  return 0;
}

/* `given` must fit the input's declared dims (same rank, same static dims). */
static int check_fits(const char *cmd, const char *flag, const char *name, const ingot_dims *declared,
                      const ingot_dims *given) {
  int ok = given->nb_dims == declared->nb_dims;
  for (int32_t k = 0; ok && k < declared->nb_dims; k++) ok = declared->d[k] < 0 || declared->d[k] == given->d[k];
  if (ok) return 0;
  char a[256], b[256], ex[256];
  tool_dims_format(given, a, sizeof a);
  dims_text(declared, b, sizeof b, ex, sizeof ex);
  return tool_error(cmd, "%s %s:%s does not fit the model's input '%s' of dims %s", flag, name, a, name, b);
}

static int make_profile(const char *cmd, const tool_onnx_options *o, const ingot_network *net,
                        ingot_builder_config *config) {
  const char *flag = o->shapes_flag ? o->shapes_flag : "--opt-shapes";
  if (check_names(cmd, "--min-shapes", o->min_shapes, net) || check_names(cmd, flag, o->opt_shapes, net) ||
      check_names(cmd, "--max-shapes", o->max_shapes, net))
    return 1;
  ingot_optimization_profile *profile = NULL;
  int dynamic = 0, rc = 0;
  for (int32_t i = 0; i < ingot_network_num_inputs(net) && rc == 0; i++) {
    ingot_tensor *t = ingot_network_get_input(net, i);
    const char *name = ingot_tensor_get_name(t);
    ingot_dims declared;
    if (ingot_tensor_get_dims(t, &declared) != INGOT_SUCCESS) return tool_error(cmd, "%s", ingot_last_error());
    int is_dynamic = 0;
    for (int32_t k = 0; k < declared.nb_dims; k++) is_dynamic |= declared.d[k] < 0;
    const ingot_dims *mn = tool_shapes_find(o->min_shapes, name), *op = tool_shapes_find(o->opt_shapes, name),
                     *mx = tool_shapes_find(o->max_shapes, name);
    if ((mn && check_fits(cmd, "--min-shapes", name, &declared, mn)) || (op && check_fits(cmd, flag, name, &declared, op)) ||
        (mx && check_fits(cmd, "--max-shapes", name, &declared, mx)))
      rc = 1;
    if (rc || !is_dynamic) continue;
    if (!op) {
      char text[256], example[256];
      dims_text(&declared, text, sizeof text, example, sizeof example);
      if (strcmp(flag, "--opt-shapes") == 0)
        rc = tool_error(cmd, "input '%s' has dynamic dims %s: give its shape with --opt-shapes %s:%s (and "
                        "--min-shapes/--max-shapes for a range)", name, text, name, example);
      else
        rc = tool_error(cmd, "input '%s' has dynamic dims %s: give its shape with %s %s:%s", name, text, flag, name,
                        example);
      continue;
    }
    if (!profile && ingot_optimization_profile_create(&profile) != INGOT_SUCCESS)
      return tool_error(cmd, "%s", ingot_last_error());
    dynamic = 1;
    const ingot_dims *dims[3] = {mn ? mn : op, op, mx ? mx : op};
    const ingot_profile_selector sel[3] = {INGOT_PROFILE_MIN, INGOT_PROFILE_OPT, INGOT_PROFILE_MAX};
    for (int k = 0; k < 3 && rc == 0; k++)
      if (ingot_optimization_profile_set_dimensions(profile, name, sel[k], dims[k]) != INGOT_SUCCESS)
        rc = tool_error(cmd, "input '%s': %s", name, ingot_last_error());
  }
  if (rc == 0 && dynamic && ingot_builder_config_add_optimization_profile(config, profile, NULL) != INGOT_SUCCESS)
    rc = tool_error(cmd, "the shapes do not make a valid profile: %s", ingot_last_error());
  ingot_optimization_profile_destroy(profile);
  return rc;
}

/* ---- timing cache --------------------------------------------------------------------------- */
/* A missing file is a first build: the cache starts empty and is written afterwards. */
static int load_timing_cache(const char *cmd, const char *path, ingot_timing_cache **cache_out) {
  FILE *f = fopen(path, "rb");
  if (!f && errno == ENOENT) {
    if (ingot_timing_cache_create(NULL, 0, cache_out) != INGOT_SUCCESS)
      return tool_error(cmd, "--timing-cache %s: %s", path, ingot_last_error());
    return 0;
  }
  if (f) fclose(f);
  if (ingot_timing_cache_load(path, cache_out) != INGOT_SUCCESS)
    return tool_error(cmd, "--timing-cache: %s", ingot_last_error());
  return 0;
}

/* ---- build ---------------------------------------------------------------------------------- */

static int print_parse_errors(const char *cmd, const char *path, ingot_onnx_parser *parser) {
  int32_t n = ingot_onnx_parser_num_errors(parser);
  for (int32_t i = 0; i < n; i++) {
    ingot_onnx_parser_error e;
    if (ingot_onnx_parser_get_error(parser, i, &e) != INGOT_SUCCESS) continue;
    tool_error(cmd, "%s: [%d/%d] %s", path, (int)(i + 1), (int)n, e.message);
  }
  if (n == 0) tool_error(cmd, "%s: %s", path, ingot_last_error());
  return tool_error(cmd, "%s: the model could not be parsed (%d error%s)", path, (int)n, n == 1 ? "" : "s");
}

int tool_onnx_build(const char *cmd, const char *path, const tool_onnx_options *o, ingot_logger *logger,
                    ingot_plan **plan_out, tool_onnx_times *times_out) {
  *plan_out = NULL;
  if (times_out) memset(times_out, 0, sizeof *times_out);
  ingot_timing_cache *cache = NULL;
  if (o->timing_cache && load_timing_cache(cmd, o->timing_cache, &cache) != 0) return 1;
  ingot_network *network = NULL;
  ingot_onnx_parser *parser = NULL;
  ingot_builder *builder = NULL;
  ingot_builder_config *config = NULL;
  int rc = 0;
  if (ingot_network_create(logger, &network) != INGOT_SUCCESS ||
      ingot_onnx_parser_create(network, logger, &parser) != INGOT_SUCCESS) {
    rc = tool_error(cmd, "%s", ingot_last_error());
    goto done;
  }
  progress(o, "parsing %s...", path);
  double t0 = tool_now();
  if (ingot_onnx_parser_parse_from_file(parser, path) != INGOT_SUCCESS) {
    rc = print_parse_errors(cmd, path, parser);
    goto done;
  }
  double t1 = tool_now();
  if (ingot_builder_create(logger, &builder) != INGOT_SUCCESS || ingot_builder_config_create(&config) != INGOT_SUCCESS) {
    rc = tool_error(cmd, "%s", ingot_last_error());
    goto done;
  }
  const struct {
    int on;
    ingot_builder_flag flag;
  } flags[] = {{o->fp16, INGOT_BUILDER_FLAG_FP16}, {o->bf16, INGOT_BUILDER_FLAG_BF16}, {o->int8, INGOT_BUILDER_FLAG_INT8}};
  for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
    if (flags[k].on && ingot_builder_config_set_flag(config, flags[k].flag, 1) != INGOT_SUCCESS) {
      rc = tool_error(cmd, "%s", ingot_last_error());
      goto done;
    }
  if (ingot_builder_config_set_target(config, tool_selected_device.target, tool_selected_device.index) != INGOT_SUCCESS) {
    rc = tool_error(cmd, "--device: %s", ingot_last_error());
    goto done;
  }
  if ((o->workspace_mib > 0 &&
       ingot_builder_config_set_workspace_limit(config, (uint64_t)o->workspace_mib << 20) != INGOT_SUCCESS) ||
      (o->threads > 0 && ingot_builder_config_set_num_threads(config, (int32_t)o->threads) != INGOT_SUCCESS) ||
      (o->has_tactic_sources && ingot_builder_config_set_tactic_sources(config, o->tactic_sources) != INGOT_SUCCESS)) {
    rc = tool_error(cmd, "%s", ingot_last_error());
    goto done;
  }
  if (make_profile(cmd, o, network, config) != 0) {
    rc = 1;
    goto done;
  }
  if (cache && ingot_builder_config_set_timing_cache(config, cache) != INGOT_SUCCESS) {
    rc = tool_error(cmd, "%s", ingot_last_error());
    goto done;
  }
  int64_t cached_before = ingot_timing_cache_num_entries(cache);
  progress(o, "building %s...", path);
  if (ingot_builder_build_serialized_network(builder, network, config, plan_out) != INGOT_SUCCESS) {
    rc = tool_error(cmd, "%s: build failed: %s", path, ingot_last_error());
    goto done;
  }
  double t2 = tool_now();
  if (times_out) {
    times_out->parse_s = t1 - t0;
    times_out->build_s = t2 - t1;
  }
  if (cache) {
    if (ingot_timing_cache_save(cache, o->timing_cache) != INGOT_SUCCESS) {
      ingot_plan_destroy(*plan_out);
      *plan_out = NULL;
      rc = tool_error(cmd, "--timing-cache: %s", ingot_last_error());
    } else if (times_out) {
      times_out->cache_entries = (long long)ingot_timing_cache_num_entries(cache);
      times_out->cache_new = times_out->cache_entries - (long long)cached_before;
    }
  }
done:
  ingot_builder_config_destroy(config);
  ingot_timing_cache_destroy(cache);
  ingot_builder_destroy(builder);
  ingot_onnx_parser_destroy(parser);
  ingot_network_destroy(network);
  return rc;
}

int tool_load_engine_any(const char *cmd, const char *path, const tool_shape_list *shapes, const char *shapes_flag,
                         ingot_logger *logger, ingot_runtime **runtime_out, ingot_engine **engine_out) {
  if (!tool_is_onnx(path)) return tool_load_engine(cmd, path, logger, runtime_out, engine_out);
  *runtime_out = NULL;
  *engine_out = NULL;
  tool_onnx_options o;
  memset(&o, 0, sizeof o);
  o.progress = 1;
  o.opt_shapes = shapes;
  o.shapes_flag = shapes_flag;
  ingot_plan *plan = NULL;
  if (tool_onnx_build(cmd, path, &o, logger, &plan, NULL) != 0) return 1;
  ingot_runtime *runtime = NULL;
  ingot_engine *engine = NULL;
  int rc = 0;
  if (ingot_runtime_create(logger, &runtime) != INGOT_SUCCESS ||
      ingot_runtime_set_device(runtime, tool_selected_device.target == INGOT_TARGET_CPU ? -1
                                                                                      : tool_selected_device.index) !=
          INGOT_SUCCESS ||
      ingot_runtime_deserialize_engine(runtime, ingot_plan_data(plan), ingot_plan_size(plan), &engine) != INGOT_SUCCESS)
    rc = tool_error(cmd, "%s: cannot load the engine just built: %s", path, ingot_last_error());
  ingot_plan_destroy(plan);
  if (rc != 0) {
    ingot_runtime_destroy(runtime);
    return rc;
  }
  *runtime_out = runtime;
  *engine_out = engine;
  return 0;
}

int tool_npy_shape(const char *path, ingot_dims *dims_out, char *err, size_t err_size) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, err_size, "%s: %s", path, strerror(errno));
    return -1;
  }
  /* The header is all that is needed: at most TOOL_NPY_MAX_HEADER bytes plus the preamble. */
  size_t cap = TOOL_NPY_MAX_HEADER + 16;
  unsigned char *buf = malloc(cap);
  if (!buf) {
    fclose(f);
    snprintf(err, err_size, "%s: out of memory", path);
    return -1;
  }
  size_t got = fread(buf, 1, cap, f);
  fclose(f);
  ingot_dtype dtype;
  size_t offset = 0, nbytes = 0;
  int rc = tool_npy_parse_header(path, buf, got, &dtype, dims_out, &offset, &nbytes, err, err_size);
  free(buf);
  return rc;
}
