/* Tactic timing on a device target (TensorRT's autotuning on the GPU): every candidate
 * runs on device copies of random inputs (floats in [-1, 1), integers 0) and of the
 * node's real constants, with its own prepare() output and per-shape state, on the
 * build's stream; one warm-up run, then the config's timing iterations between two
 * events, and the mean per run is the candidate's time. A candidate that cannot make its
 * state or fails to run is left untimed (INFINITY) with a verbose note. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "builder/builder_internal.h"
#include "core/alloc.h"
#include "core/dims.h"
#include "core/error.h"
#include "core/logger.h"

#define MAX_OWNED (INGOT_MAX_OUTPUTS + 64)
#define MAX_REPEATS 200

ingot_status ingot_build_device_begin(ingot_build *build) {
  const ingot_device_ops *dev = build->backend->device;
  if (!dev) return INGOT_SUCCESS;
  INGOT_TRY(dev->set_device(build->config->device_index));
  INGOT_TRY(dev->stream_create(&build->device_stream));
  return dev->handles_create(build->device_stream, &build->device_handles);
}

void ingot_build_device_end(ingot_build *build) {
  const ingot_device_ops *dev = build->backend->device;
  if (!dev) return;
  if (build->device_stream) (void)dev->stream_synchronize(build->device_stream);
  if (build->device_handles) dev->handles_destroy(build->device_handles);
  if (build->device_stream) dev->stream_destroy(build->device_stream);
  build->device_handles = NULL;
  build->device_stream = NULL;
}

/* A device buffer holding `host` (or random values when host is NULL). */
static ingot_status upload(const ingot_device_ops *dev, void *stream, const ingot_tensor_view *v, uint64_t *seed,
                           void **out) {
  int64_t count = ingot_dims_volume(&v->dims);
  uint64_t bytes = count > 0 ? (uint64_t)count * ingot_dtype_size(v->dtype) : 0;
  INGOT_TRY(dev->malloc(out, bytes + 256));
  if (bytes == 0) return INGOT_SUCCESS;
  if (v->data) return dev->copy(*out, v->data, bytes, INGOT_COPY_H2D, stream);
  void *host = ingot_calloc(1, (size_t)bytes);
  if (!host) return INGOT_OUT_OF_MEMORY;
  ingot_build_fill_random(host, v->dtype, count, seed);
  ingot_status st = dev->copy(*out, host, bytes, INGOT_COPY_H2D, stream);
  if (st == INGOT_SUCCESS) st = dev->stream_synchronize(stream); /* before host is freed */
  free(host);
  return st;
}

static double time_one(ingot_build *build, const ingot_node *n, ingot_kernel_args *args, ingot_tactic_candidate *c,
                       void *events[2]) {
  const ingot_device_ops *dev = build->backend->device;
  void *state = NULL;
  ingot_status st = INGOT_SUCCESS;
  if (c->tactic->create_state) st = c->tactic->create_state(args, &state);
  args->state = state;
  if (st == INGOT_SUCCESS) st = c->tactic->run(args); /* warm-up */
  if (st == INGOT_SUCCESS) st = dev->stream_synchronize(args->stream);
  int32_t reps = build->config->timing_iterations;
  if (reps > MAX_REPEATS) reps = MAX_REPEATS;
  if (reps < 1) reps = 1;
  if (st == INGOT_SUCCESS) st = dev->event_record(events[0], args->stream);
  for (int32_t r = 0; r < reps && st == INGOT_SUCCESS; r++) st = c->tactic->run(args);
  if (st == INGOT_SUCCESS) st = dev->event_record(events[1], args->stream);
  float ms = 0.0f;
  if (st == INGOT_SUCCESS) st = dev->event_elapsed_ms(events[0], events[1], &ms);
  if (c->tactic->destroy_state) c->tactic->destroy_state(state);
  args->state = NULL;
  if (st != INGOT_SUCCESS) {
    ingot_log(build->logger, INGOT_SEVERITY_VERBOSE, "layer '%s': tactic %s failed on random inputs: %s", n->name,
              c->tactic->name, ingot_last_error());
    (void)dev->stream_synchronize(args->stream);
    return INFINITY;
  }
  c->runs = reps;
  return (double)ms / reps;
}

bool ingot_time_candidates_device(ingot_build *build, const ingot_node *n, ingot_kernel_args *args,
                                  ingot_tensor_view *in, ingot_tensor_view *out, ingot_tactic_candidate *cands,
                                  int32_t nb, uint64_t *seed) {
  const ingot_device_ops *dev = build->backend->device;
  void *stream = build->device_stream;
  void *owned[MAX_OWNED];
  const void *host_data[64];
  int32_t nb_owned = 0;
  void *events[2] = {NULL, NULL};
  bool ok = args->nb_inputs <= 64 && dev->event_create(&events[0]) == INGOT_SUCCESS &&
            dev->event_create(&events[1]) == INGOT_SUCCESS;
  uint64_t ws_max = 0;
  for (int32_t i = 0; i < nb; i++)
    if (cands[i].workspace > ws_max) ws_max = cands[i].workspace;
  for (int32_t k = 0; k < args->nb_inputs && ok; k++) {
    host_data[k] = in[k].data;
    if (in[k].dims.nb_dims < 0) continue;
    ok = upload(dev, stream, &in[k], seed, &owned[nb_owned]) == INGOT_SUCCESS;
    if (ok) in[k].data = owned[nb_owned++];
  }
  for (int32_t k = 0; k < args->nb_outputs && ok; k++) {
    int64_t v = ingot_dims_volume(&out[k].dims);
    ok = v >= 0 && dev->malloc(&owned[nb_owned], (uint64_t)v * ingot_dtype_size(out[k].dtype) + 256) == INGOT_SUCCESS;
    if (ok) out[k].data = owned[nb_owned++];
  }
  void *ws = NULL;
  if (ok && ws_max) ok = dev->malloc(&ws, ws_max) == INGOT_SUCCESS;
  if (ok) ok = dev->stream_synchronize(stream) == INGOT_SUCCESS;
  for (int32_t i = nb - 1; i >= 0 && ok; i--) {
    ingot_tactic_candidate *c = &cands[i];
    args->prepared = c->prepared;
    args->prepared_size = c->prepared_size;
    args->workspace = ws;
    args->workspace_size = c->workspace;
    c->runs = 0;
    c->ms = time_one(build, n, args, c, events);
  }
  if (!ok) ingot_clear_last_error();
  (void)dev->stream_synchronize(stream);
  dev->free(ws);
  for (int32_t k = 0; k < nb_owned; k++) dev->free(owned[k]);
  for (int32_t k = 0; k < args->nb_inputs && k < 64; k++) in[k].data = (void *)host_data[k];
  for (int32_t k = 0; k < args->nb_outputs; k++) out[k].data = NULL;
  dev->event_destroy(events[0]);
  dev->event_destroy(events[1]);
  args->prepared = NULL;
  args->prepared_size = 0;
  args->workspace = NULL;
  args->workspace_size = 0;
  for (int32_t i = 0; i < nb && ok; i++)
    ingot_log(build->logger, INGOT_SEVERITY_VERBOSE, "layer '%s': tactic %s %.4f ms (mean of %d on the device)",
              n->name, cands[i].tactic->name, cands[i].ms, cands[i].runs);
  return ok;
}
