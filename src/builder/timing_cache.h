/* The builder's side of the timing cache: a key per (backend, arch, threads, tactic, node
 * params, dtypes, opt shapes) and lookups/inserts, safe to call from several builds. */
#ifndef INGOT_BUILDER_TIMING_CACHE_H
#define INGOT_BUILDER_TIMING_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "ingot/builder.h"

/* The key of timing `tactic` on node `n` with these views (dims and dtypes; whether an
 * input is a constant, not its values) for `backend` with `threads` threads. */
uint64_t ingot_timing_cache_key(const ingot_backend *backend, int32_t threads, const ingot_tactic *tactic,
                                const ingot_node *n, const ingot_tensor_view *inputs,
                                const ingot_tensor_view *outputs);
/* The cached median in milliseconds, if any. */
bool ingot_timing_cache_lookup(ingot_timing_cache *cache, uint64_t key, double *ms_out);
/* Records a timing (replaces an older one); on allocation failure the cache is unchanged. */
void ingot_timing_cache_insert(ingot_timing_cache *cache, uint64_t key, double ms);

#endif
