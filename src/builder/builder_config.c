/* Builder config and optimization profiles: plain records, checked as they are set. */
#include <stdlib.h>
#include <string.h>

#include "builder/builder_internal.h"
#include "core/alloc.h"
#include "core/dims.h"
#include "core/error.h"

#define DEFAULT_WORKSPACE (UINT64_C(1) << 30)

const char *ingot_target_name(ingot_target target) {
  switch (target) {
    case INGOT_TARGET_CPU: return "cpu";
    case INGOT_TARGET_CUDA: return "cuda";
  }
  return "unknown";
}

ingot_status ingot_builder_config_create(ingot_builder_config **config_out) {
  INGOT_CHECK_NULL(config_out, "ingot_builder_config_create");
  ingot_builder_config *c = ingot_calloc(1, sizeof *c);
  if (!c) return INGOT_OUT_OF_MEMORY;
  c->target = INGOT_TARGET_CPU;
  c->workspace_limit = DEFAULT_WORKSPACE;
  c->flags = 1u << INGOT_BUILDER_FLAG_TF32;
  c->timing_iterations = 4;
  c->tactic_sources = INGOT_TACTIC_SOURCE_DEFAULT;
  *config_out = c;
  return INGOT_SUCCESS;
}

void ingot_builder_config_destroy(ingot_builder_config *config) {
  if (!config) return;
  for (int32_t i = 0; i < config->nb_profiles; i++) ingot_optimization_profile_destroy(config->profiles[i]);
  free(config->profiles);
  free(config);
}

ingot_status ingot_builder_config_set_target(ingot_builder_config *config, ingot_target target, int32_t device_index) {
  INGOT_CHECK_NULL(config, "ingot_builder_config_set_target");
  if (target != INGOT_TARGET_CPU && target != INGOT_TARGET_CUDA)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_builder_config_set_target: target %d is neither cpu (0) nor cuda (1)",
                      (int)target);
  if (device_index < 0)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_builder_config_set_target: device index %d is negative", device_index);
  config->target = target;
  config->device_index = device_index;
  return INGOT_SUCCESS;
}

ingot_status ingot_builder_config_set_workspace_limit(ingot_builder_config *config, uint64_t bytes) {
  INGOT_CHECK_NULL(config, "ingot_builder_config_set_workspace_limit");
  config->workspace_limit = bytes;
  return INGOT_SUCCESS;
}

uint64_t ingot_builder_config_get_workspace_limit(const ingot_builder_config *config) {
  return config ? config->workspace_limit : 0;
}

ingot_status ingot_builder_config_set_flag(ingot_builder_config *config, ingot_builder_flag flag, int32_t enabled) {
  INGOT_CHECK_NULL(config, "ingot_builder_config_set_flag");
  if ((int)flag < 0 || flag >= INGOT_BUILDER_FLAG_COUNT)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_builder_config_set_flag: flag %d out of range [0, %d)", (int)flag,
                      INGOT_BUILDER_FLAG_COUNT);
  if (enabled)
    config->flags |= 1u << flag;
  else
    config->flags &= ~(1u << flag);
  return INGOT_SUCCESS;
}

int32_t ingot_builder_config_get_flag(const ingot_builder_config *config, ingot_builder_flag flag) {
  if (!config || (int)flag < 0 || flag >= INGOT_BUILDER_FLAG_COUNT) return 0;
  return (config->flags >> flag) & 1u;
}

ingot_status ingot_builder_config_set_timing_iterations(ingot_builder_config *config, int32_t iterations) {
  INGOT_CHECK_NULL(config, "ingot_builder_config_set_timing_iterations");
  if (iterations < 0 || iterations > 100000)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_builder_config_set_timing_iterations: %d out of range [0, 100000]",
                      iterations);
  config->timing_iterations = iterations;
  return INGOT_SUCCESS;
}

ingot_status ingot_builder_config_set_num_threads(ingot_builder_config *config, int32_t threads) {
  INGOT_CHECK_NULL(config, "ingot_builder_config_set_num_threads");
  if (threads < 0 || threads > 1024)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_builder_config_set_num_threads: %d out of range [0, 1024]", threads);
  config->num_threads = threads;
  return INGOT_SUCCESS;
}

ingot_status ingot_builder_config_set_tactic_sources(ingot_builder_config *config, uint32_t mask) {
  INGOT_CHECK_NULL(config, "ingot_builder_config_set_tactic_sources");
  if (mask & ~(uint32_t)INGOT_TACTIC_SOURCE_ALL)
    return ingot_fail(INGOT_INVALID_ARGUMENT,
                      "ingot_builder_config_set_tactic_sources: mask 0x%x has bits outside INGOT_TACTIC_SOURCE_ALL (0x%x)",
                      (unsigned)mask, (unsigned)INGOT_TACTIC_SOURCE_ALL);
  config->tactic_sources = mask;
  return INGOT_SUCCESS;
}

uint32_t ingot_builder_config_get_tactic_sources(const ingot_builder_config *config) {
  return config ? config->tactic_sources : 0;
}

ingot_status ingot_builder_config_set_timing_cache(ingot_builder_config *config, ingot_timing_cache *cache) {
  INGOT_CHECK_NULL(config, "ingot_builder_config_set_timing_cache");
  config->timing_cache = cache;
  return INGOT_SUCCESS;
}

static ingot_status profile_copy(const ingot_optimization_profile *src, ingot_optimization_profile **dst_out) {
  ingot_optimization_profile *dst;
  INGOT_TRY(ingot_optimization_profile_create(&dst));
  for (int32_t i = 0; i < src->nb_entries; i++)
    for (int s = 0; s < 3; s++) {
      if (src->entries[i].dims[s].nb_dims < 0) continue;
      ingot_status st =
          ingot_optimization_profile_set_dimensions(dst, src->entries[i].input_name, (ingot_profile_selector)s,
                                                    &src->entries[i].dims[s]);
      if (st != INGOT_SUCCESS) {
        ingot_optimization_profile_destroy(dst);
        return st;
      }
    }
  *dst_out = dst;
  return INGOT_SUCCESS;
}

ingot_status ingot_builder_config_add_optimization_profile(ingot_builder_config *config,
                                                           const ingot_optimization_profile *profile,
                                                           int32_t *index_out) {
  INGOT_CHECK_NULL(config, "ingot_builder_config_add_optimization_profile");
  INGOT_CHECK_NULL(profile, "ingot_builder_config_add_optimization_profile");
  char a[INGOT_DIMS_STR_SIZE], b[INGOT_DIMS_STR_SIZE], c[INGOT_DIMS_STR_SIZE];
  for (int32_t i = 0; i < profile->nb_entries; i++) {
    const ingot_profile_entry *e = &profile->entries[i];
    static const char *const sel[3] = {"min", "opt", "max"};
    for (int s = 0; s < 3; s++)
      if (e->dims[s].nb_dims < 0)
        return ingot_fail(INGOT_INVALID_ARGUMENT, "optimization profile: input '%s' has no %s dims", e->input_name,
                          sel[s]);
    const ingot_dims *mn = &e->dims[0], *op = &e->dims[1], *mx = &e->dims[2];
    bool ok = mn->nb_dims == op->nb_dims && op->nb_dims == mx->nb_dims;
    for (int32_t k = 0; ok && k < mn->nb_dims; k++)
      ok = mn->d[k] >= 0 && mn->d[k] <= op->d[k] && op->d[k] <= mx->d[k];
    if (!ok)
      return ingot_fail(INGOT_INVALID_ARGUMENT,
                        "optimization profile: input '%s' needs min <= opt <= max of one rank, got min %s, opt %s, max %s",
                        e->input_name, ingot_dims_format(mn, a, sizeof a), ingot_dims_format(op, b, sizeof b),
                        ingot_dims_format(mx, c, sizeof c));
  }
  ingot_optimization_profile **list =
      ingot_realloc_array(config->profiles, (size_t)config->nb_profiles + 1, sizeof *list);
  if (!list) return INGOT_OUT_OF_MEMORY;
  config->profiles = list;
  INGOT_TRY(profile_copy(profile, &config->profiles[config->nb_profiles]));
  if (index_out) *index_out = config->nb_profiles;
  config->nb_profiles++;
  return INGOT_SUCCESS;
}

int32_t ingot_builder_config_num_optimization_profiles(const ingot_builder_config *config) {
  return config ? config->nb_profiles : 0;
}

ingot_status ingot_optimization_profile_create(ingot_optimization_profile **profile_out) {
  INGOT_CHECK_NULL(profile_out, "ingot_optimization_profile_create");
  *profile_out = ingot_calloc(1, sizeof(ingot_optimization_profile));
  return *profile_out ? INGOT_SUCCESS : INGOT_OUT_OF_MEMORY;
}

void ingot_optimization_profile_destroy(ingot_optimization_profile *profile) {
  if (!profile) return;
  for (int32_t i = 0; i < profile->nb_entries; i++) free(profile->entries[i].input_name);
  free(profile->entries);
  free(profile);
}

static ingot_profile_entry *profile_find(const ingot_optimization_profile *profile, const char *name) {
  for (int32_t i = 0; i < profile->nb_entries; i++)
    if (strcmp(profile->entries[i].input_name, name) == 0) return &profile->entries[i];
  return NULL;
}

ingot_status ingot_optimization_profile_set_dimensions(ingot_optimization_profile *profile, const char *input_name,
                                                       ingot_profile_selector selector, const ingot_dims *dims) {
  INGOT_CHECK_NULL(profile, "ingot_optimization_profile_set_dimensions");
  INGOT_CHECK_NULL(input_name, "ingot_optimization_profile_set_dimensions");
  INGOT_CHECK_NULL(dims, "ingot_optimization_profile_set_dimensions");
  if ((int)selector < 0 || selector > INGOT_PROFILE_MAX)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_optimization_profile_set_dimensions: selector %d out of range",
                      (int)selector);
  if (!ingot_dims_is_concrete(dims))
    return ingot_fail(INGOT_INVALID_ARGUMENT,
                      "ingot_optimization_profile_set_dimensions: dims of '%s' must be concrete (rank 0 to 8, no -1)",
                      input_name);
  ingot_profile_entry *e = profile_find(profile, input_name);
  if (!e) {
    if (profile->nb_entries == profile->cap) {
      int32_t cap = profile->cap ? profile->cap * 2 : 4;
      ingot_profile_entry *list = ingot_realloc_array(profile->entries, (size_t)cap, sizeof *list);
      if (!list) return INGOT_OUT_OF_MEMORY;
      profile->entries = list;
      profile->cap = cap;
    }
    e = &profile->entries[profile->nb_entries];
    memset(e, 0, sizeof *e);
    e->input_name = ingot_strdup(input_name);
    if (!e->input_name) return INGOT_OUT_OF_MEMORY;
    for (int s = 0; s < 3; s++) e->dims[s].nb_dims = -1;
    profile->nb_entries++;
  }
  e->dims[selector] = *dims;
  return INGOT_SUCCESS;
}

ingot_status ingot_optimization_profile_get_dimensions(const ingot_optimization_profile *profile,
                                                       const char *input_name, ingot_profile_selector selector,
                                                       ingot_dims *dims_out) {
  INGOT_CHECK_NULL(profile, "ingot_optimization_profile_get_dimensions");
  INGOT_CHECK_NULL(input_name, "ingot_optimization_profile_get_dimensions");
  INGOT_CHECK_NULL(dims_out, "ingot_optimization_profile_get_dimensions");
  if ((int)selector < 0 || selector > INGOT_PROFILE_MAX)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_optimization_profile_get_dimensions: selector %d out of range",
                      (int)selector);
  const ingot_profile_entry *e = profile_find(profile, input_name);
  if (!e || e->dims[selector].nb_dims < 0)
    return ingot_fail(INGOT_NOT_FOUND, "optimization profile has no dims for input '%s'", input_name);
  *dims_out = e->dims[selector];
  return INGOT_SUCCESS;
}
