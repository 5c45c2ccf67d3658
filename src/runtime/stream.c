/* CPU streams: a worker thread running queued executions in order. enqueue returns at
 * once; synchronize waits for the queue to drain and reports the first failure, with its
 * message moved to the synchronizing thread's last error. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "runtime/runtime_internal.h"

#define STREAM_QUEUE 64

struct ingot_stream {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t changed;
  ingot_execution_context *queue[STREAM_QUEUE];
  int32_t head, count;
  bool busy, stopping;
  ingot_status first_error;
  char error_message[2048];
  /* device targets: the native stream (no thread); owned unless wrapped */
  const ingot_device_ops *device;
  void *native;
  bool owns_native;
};

static ingot_status device_stream_create(ingot_target target, int32_t device_index, void *native,
                                         ingot_stream **stream_out) {
  const ingot_backend *b = ingot_backend_for_target(target);
  if (!b || !b->device)
    return ingot_fail(INGOT_UNSUPPORTED, "ingot_stream_create: target %s is not built into this ingot",
                      ingot_target_name(target));
  ingot_stream *s = ingot_calloc(1, sizeof *s);
  if (!s) return INGOT_OUT_OF_MEMORY;
  s->device = b->device;
  s->native = native;
  ingot_status st = INGOT_SUCCESS;
  if (!native) {
    if (device_index >= 0) st = b->device->set_device(device_index);
    if (st == INGOT_SUCCESS) st = b->device->stream_create(&s->native);
    s->owns_native = true;
  }
  if (st != INGOT_SUCCESS) {
    free(s);
    return st;
  }
  *stream_out = s;
  return INGOT_SUCCESS;
}

ingot_status ingot_stream_wrap(ingot_target target, void *native_stream, ingot_stream **stream_out) {
  INGOT_CHECK_NULL(stream_out, "ingot_stream_wrap");
  INGOT_CHECK_NULL(native_stream, "ingot_stream_wrap");
  *stream_out = NULL;
  return device_stream_create(target, -1, native_stream, stream_out);
}

void *ingot_stream_get_native(ingot_stream *stream) { return stream ? stream->native : NULL; }

static void *stream_main(void *arg) {
  ingot_stream *s = arg;
  pthread_mutex_lock(&s->lock);
  for (;;) {
    while (s->count == 0 && !s->stopping) pthread_cond_wait(&s->changed, &s->lock);
    if (s->count == 0 && s->stopping) break;
    ingot_execution_context *c = s->queue[s->head];
    s->busy = true;
    pthread_mutex_unlock(&s->lock);
    ingot_status st = ingot_execution_context_execute(c);
    pthread_mutex_lock(&s->lock);
    if (st != INGOT_SUCCESS && s->first_error == INGOT_SUCCESS) {
      s->first_error = st;
      snprintf(s->error_message, sizeof s->error_message, "%s", ingot_last_error());
    }
    s->head = (s->head + 1) % STREAM_QUEUE;
    s->count--;
    s->busy = false;
    pthread_cond_broadcast(&s->changed);
  }
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

ingot_status ingot_stream_create(ingot_target target, int32_t device_index, ingot_stream **stream_out) {
  INGOT_CHECK_NULL(stream_out, "ingot_stream_create");
  *stream_out = NULL;
  if (target != INGOT_TARGET_CPU) return device_stream_create(target, device_index, NULL, stream_out);
  ingot_stream *s = ingot_calloc(1, sizeof *s);
  if (!s) return INGOT_OUT_OF_MEMORY;
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->changed, NULL);
  if (pthread_create(&s->thread, NULL, stream_main, s) != 0) {
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
    free(s);
    return ingot_fail(INGOT_OUT_OF_MEMORY, "ingot_stream_create: cannot start the stream's thread");
  }
  *stream_out = s;
  return INGOT_SUCCESS;
}

ingot_status ingot_execution_context_enqueue(ingot_execution_context *context, ingot_stream *stream) {
  INGOT_CHECK_NULL(context, "ingot_execution_context_enqueue");
  INGOT_CHECK_NULL(stream, "ingot_execution_context_enqueue");
  if (stream->device) {
    if (context->engine->backend->device != stream->device)
      return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_execution_context_enqueue: the stream is not of the engine's target");
    return ingot_context_enqueue_device(context, stream->native);
  }
  if (ingot_engine_get_target(context->engine) != INGOT_TARGET_CPU)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_execution_context_enqueue: a CPU stream cannot run this engine");
  pthread_mutex_lock(&stream->lock);
  while (stream->count == STREAM_QUEUE) pthread_cond_wait(&stream->changed, &stream->lock);
  stream->queue[(stream->head + stream->count) % STREAM_QUEUE] = context;
  stream->count++;
  pthread_cond_broadcast(&stream->changed);
  pthread_mutex_unlock(&stream->lock);
  return INGOT_SUCCESS;
}

ingot_status ingot_stream_synchronize(ingot_stream *stream) {
  INGOT_CHECK_NULL(stream, "ingot_stream_synchronize");
  if (stream->device) return stream->device->stream_synchronize(stream->native);
  pthread_mutex_lock(&stream->lock);
  while (stream->count > 0) pthread_cond_wait(&stream->changed, &stream->lock);
  ingot_status st = stream->first_error;
  if (st != INGOT_SUCCESS) ingot_fail(st, "%s", stream->error_message);
  stream->first_error = INGOT_SUCCESS;
  pthread_mutex_unlock(&stream->lock);
  return st;
}

void ingot_stream_destroy(ingot_stream *stream) {
  if (!stream) return;
  if (stream->device) {
    (void)stream->device->stream_synchronize(stream->native);
    if (stream->owns_native) stream->device->stream_destroy(stream->native);
    free(stream);
    return;
  }
  pthread_mutex_lock(&stream->lock);
  stream->stopping = true;
  pthread_cond_broadcast(&stream->changed);
  pthread_mutex_unlock(&stream->lock);
  pthread_join(stream->thread, NULL);
  pthread_cond_destroy(&stream->changed);
  pthread_mutex_destroy(&stream->lock);
  free(stream);
}
