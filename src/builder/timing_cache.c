/* Timing cache (TensorRT's ITimingCache): remembers how long each tactic took on a node of
 * given params, dtypes and opt shapes, so a rebuild of the same model (or of another model
 * sharing layer shapes) skips the timing. An open-addressing table of 64-bit keys; the
 * serialized form is the entries sorted by key, framed by a magic, a format version, a
 * count and a checksum, so a file from elsewhere is refused instead of misread. */
#include "builder/timing_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checksum.h"
#include "core/error.h"

#define CACHE_MAGIC "INGOTTC\0"
#define CACHE_FORMAT 1u
#define HEADER_BYTES 24u /* magic 8, format 4, reserved 4, count 8 */
#define ENTRY_BYTES 16u  /* key 8, ms as IEEE double 8 */
#define MAX_ENTRIES (1ll << 26)

typedef struct entry {
  uint64_t key; /* 0: empty slot (a real key of 0 is remapped to 1) */
  double ms;
} entry;

struct ingot_timing_cache {
  pthread_mutex_t lock;
  int64_t count, capacity; /* capacity: a power of two, or 0 */
  entry *slots;
};

static uint64_t nonzero(uint64_t key) { return key ? key : 1; }

/* The slot of `key`, or the empty slot where it would go. capacity > 0. */
static entry *find_slot(entry *slots, int64_t capacity, uint64_t key) {
  uint64_t mask = (uint64_t)capacity - 1;
  for (uint64_t i = key & mask;; i = (i + 1) & mask)
    if (slots[i].key == key || slots[i].key == 0) return &slots[i];
}

static bool grow(ingot_timing_cache *c) {
  int64_t capacity = c->capacity ? c->capacity * 2 : 256;
  entry *slots = calloc((size_t)capacity, sizeof *slots);
  if (!slots) return false;
  for (int64_t i = 0; i < c->capacity; i++)
    if (c->slots[i].key) *find_slot(slots, capacity, c->slots[i].key) = c->slots[i];
  free(c->slots);
  c->slots = slots;
  c->capacity = capacity;
  return true;
}

/* Caller holds the lock. Keeps the load at most 1/2. */
static bool put(ingot_timing_cache *c, uint64_t key, double ms, bool replace) {
  key = nonzero(key);
  if ((c->count + 1) * 2 > c->capacity && !grow(c)) return false;
  entry *e = find_slot(c->slots, c->capacity, key);
  if (e->key == 0) {
    e->key = key;
    e->ms = ms;
    c->count++;
  } else if (replace) {
    e->ms = ms;
  }
  return true;
}

static void put_u64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint64_t get_u64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

ingot_status ingot_timing_cache_create(const void *data, size_t size, ingot_timing_cache **cache_out) {
  INGOT_CHECK_NULL(cache_out, "ingot_timing_cache_create");
  *cache_out = NULL;
  if (!data && size)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_timing_cache_create: data is NULL but size is %zu", size);
  const unsigned char *p = data;
  int64_t count = 0;
  if (size) {
    if (size < HEADER_BYTES + 8 || memcmp(p, CACHE_MAGIC, 8) != 0)
      return ingot_fail(INGOT_INVALID_PLAN, "timing cache: not an ingot timing cache (%zu bytes, bad magic)", size);
    uint32_t format = (uint32_t)get_u64(p + 8) & 0xffffffffu;
    if (format != CACHE_FORMAT)
      return ingot_fail(INGOT_VERSION_MISMATCH, "timing cache: format %u, this library reads format %u", format,
                        CACHE_FORMAT);
    uint64_t n = get_u64(p + 16);
    if (n > (uint64_t)MAX_ENTRIES || size != HEADER_BYTES + n * ENTRY_BYTES + 8)
      return ingot_fail(INGOT_INVALID_PLAN, "timing cache: %llu entries do not fit its %zu bytes",
                        (unsigned long long)n, size);
    if (ingot_checksum64(p, size - 8) != get_u64(p + size - 8))
      return ingot_fail(INGOT_INVALID_PLAN, "timing cache: checksum mismatch (the bytes are corrupted)");
    count = (int64_t)n;
  }
  ingot_timing_cache *c = calloc(1, sizeof *c);
  if (!c) return INGOT_OUT_OF_MEMORY;
  pthread_mutex_init(&c->lock, NULL);
  for (int64_t i = 0; i < count; i++) {
    const unsigned char *e = p + HEADER_BYTES + (size_t)i * ENTRY_BYTES;
    uint64_t bits = get_u64(e + 8);
    double ms;
    memcpy(&ms, &bits, sizeof ms);
    if (!(ms >= 0.0) || !put(c, get_u64(e), ms, true)) {
      ingot_timing_cache_destroy(c);
      return ms >= 0.0 ? INGOT_OUT_OF_MEMORY
                       : ingot_fail(INGOT_INVALID_PLAN, "timing cache: entry %lld has a negative or NaN time", (long long)i);
    }
  }
  *cache_out = c;
  return INGOT_SUCCESS;
}

void ingot_timing_cache_destroy(ingot_timing_cache *cache) {
  if (!cache) return;
  pthread_mutex_destroy(&cache->lock);
  free(cache->slots);
  free(cache);
}

int64_t ingot_timing_cache_num_entries(const ingot_timing_cache *cache) {
  if (!cache) return 0;
  ingot_timing_cache *c = (ingot_timing_cache *)cache; /* the lock, not the contents, changes */
  pthread_mutex_lock(&c->lock);
  int64_t n = c->count;
  pthread_mutex_unlock(&c->lock);
  return n;
}

size_t ingot_timing_cache_serialized_size(const ingot_timing_cache *cache) {
  if (!cache) return 0;
  return HEADER_BYTES + (size_t)ingot_timing_cache_num_entries(cache) * ENTRY_BYTES + 8;
}

static int cmp_entry(const void *a, const void *b) {
  uint64_t x = ((const entry *)a)->key, y = ((const entry *)b)->key;
  return x < y ? -1 : x > y;
}

ingot_status ingot_timing_cache_serialize(const ingot_timing_cache *cache, void *buffer, size_t size) {
  INGOT_CHECK_NULL(cache, "ingot_timing_cache_serialize");
  INGOT_CHECK_NULL(buffer, "ingot_timing_cache_serialize");
  ingot_timing_cache *c = (ingot_timing_cache *)cache;
  pthread_mutex_lock(&c->lock);
  size_t need = HEADER_BYTES + (size_t)c->count * ENTRY_BYTES + 8;
  entry *sorted = need <= size ? malloc((size_t)(c->count ? c->count : 1) * sizeof *sorted) : NULL;
  int64_t n = 0;
  if (sorted)
    for (int64_t i = 0; i < c->capacity; i++)
      if (c->slots[i].key) sorted[n++] = c->slots[i];
  pthread_mutex_unlock(&c->lock);
  if (need > size)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_timing_cache_serialize: buffer of %zu bytes, %zu needed", size,
                      need);
  if (!sorted) return INGOT_OUT_OF_MEMORY;
  qsort(sorted, (size_t)n, sizeof *sorted, cmp_entry); /* the same cache always gives the same bytes */
  unsigned char *p = buffer;
  memcpy(p, CACHE_MAGIC, 8);
  put_u64(p + 8, CACHE_FORMAT);
  put_u64(p + 16, (uint64_t)n);
  for (int64_t i = 0; i < n; i++) {
    unsigned char *e = p + HEADER_BYTES + (size_t)i * ENTRY_BYTES;
    uint64_t bits;
    memcpy(&bits, &sorted[i].ms, sizeof bits);
    put_u64(e, sorted[i].key);
    put_u64(e + 8, bits);
  }
  size_t body = HEADER_BYTES + (size_t)n * ENTRY_BYTES;
  put_u64(p + body, ingot_checksum64(p, body));
  free(sorted);
  return INGOT_SUCCESS;
}

ingot_status ingot_timing_cache_load(const char *path, ingot_timing_cache **cache_out) {
  INGOT_CHECK_NULL(path, "ingot_timing_cache_load");
  INGOT_CHECK_NULL(cache_out, "ingot_timing_cache_load");
  *cache_out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return ingot_fail(INGOT_IO_ERROR, "timing cache '%s': %s", path, strerror(errno));
  long size = -1;
  if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
  if (size < 0 || size > (long)(HEADER_BYTES + (size_t)MAX_ENTRIES * ENTRY_BYTES + 8) || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return ingot_fail(INGOT_IO_ERROR, "timing cache '%s': not a regular file of a plausible size", path);
  }
  void *data = malloc(size ? (size_t)size : 1);
  if (!data) {
    fclose(f);
    return INGOT_OUT_OF_MEMORY;
  }
  size_t got = fread(data, 1, (size_t)size, f);
  fclose(f);
  ingot_status st = got == (size_t)size ? ingot_timing_cache_create(data, (size_t)size, cache_out)
                                        : ingot_fail(INGOT_IO_ERROR, "timing cache '%s': short read", path);
  if (st != INGOT_SUCCESS && st != INGOT_IO_ERROR && st != INGOT_OUT_OF_MEMORY) {
    char why[512]; /* a copy: ingot_fail rewrites the buffer ingot_last_error points to */
    snprintf(why, sizeof why, "%s", ingot_last_error());
    st = ingot_fail(st, "timing cache '%s': %s", path, why);
  }
  free(data);
  return st;
}

ingot_status ingot_timing_cache_save(const ingot_timing_cache *cache, const char *path) {
  INGOT_CHECK_NULL(cache, "ingot_timing_cache_save");
  INGOT_CHECK_NULL(path, "ingot_timing_cache_save");
  size_t size = ingot_timing_cache_serialized_size(cache);
  void *data = malloc(size);
  if (!data) return INGOT_OUT_OF_MEMORY;
  /* Entries added between the size query and the copy make the buffer short: retry once. */
  ingot_status st = ingot_timing_cache_serialize(cache, data, size);
  if (st == INGOT_INVALID_ARGUMENT) {
    free(data);
    size = ingot_timing_cache_serialized_size(cache) + 64 * ENTRY_BYTES;
    if (!(data = malloc(size))) return INGOT_OUT_OF_MEMORY;
    st = ingot_timing_cache_serialize(cache, data, size);
  }
  if (st == INGOT_SUCCESS) {
    size = HEADER_BYTES + (size_t)get_u64((unsigned char *)data + 16) * ENTRY_BYTES + 8;
    FILE *f = fopen(path, "wb");
    if (!f) {
      st = ingot_fail(INGOT_IO_ERROR, "timing cache '%s': %s", path, strerror(errno));
    } else {
      bool ok = fwrite(data, 1, size, f) == size;
      ok = fclose(f) == 0 && ok;
      if (!ok) st = ingot_fail(INGOT_IO_ERROR, "timing cache '%s': cannot write: %s", path, strerror(errno));
    }
  }
  free(data);
  return st;
}

ingot_status ingot_timing_cache_combine(ingot_timing_cache *dst, const ingot_timing_cache *src) {
  INGOT_CHECK_NULL(dst, "ingot_timing_cache_combine");
  INGOT_CHECK_NULL(src, "ingot_timing_cache_combine");
  if (dst == src) return INGOT_SUCCESS;
  size_t size = ingot_timing_cache_serialized_size(src) + 64 * ENTRY_BYTES;
  unsigned char *data = malloc(size);
  if (!data) return INGOT_OUT_OF_MEMORY;
  ingot_status st = ingot_timing_cache_serialize(src, data, size); /* a snapshot: no two locks held */
  if (st == INGOT_SUCCESS) {
    int64_t n = (int64_t)get_u64(data + 16);
    pthread_mutex_lock(&dst->lock);
    for (int64_t i = 0; i < n && st == INGOT_SUCCESS; i++) {
      const unsigned char *e = data + HEADER_BYTES + (size_t)i * ENTRY_BYTES;
      uint64_t bits = get_u64(e + 8);
      double ms;
      memcpy(&ms, &bits, sizeof ms);
      if (!put(dst, get_u64(e), ms, false)) st = INGOT_OUT_OF_MEMORY;
    }
    pthread_mutex_unlock(&dst->lock);
  }
  free(data);
  return st;
}

bool ingot_timing_cache_lookup(ingot_timing_cache *cache, uint64_t key, double *ms_out) {
  if (!cache) return false;
  key = nonzero(key);
  pthread_mutex_lock(&cache->lock);
  bool found = false;
  if (cache->capacity) {
    entry *e = find_slot(cache->slots, cache->capacity, key);
    if (e->key == key) {
      *ms_out = e->ms;
      found = true;
    }
  }
  pthread_mutex_unlock(&cache->lock);
  return found;
}

void ingot_timing_cache_insert(ingot_timing_cache *cache, uint64_t key, double ms) {
  if (!cache || !(ms >= 0.0)) return; /* NaN and negative times are not timings (INFINITY is) */
  pthread_mutex_lock(&cache->lock);
  (void)put(cache, key, ms, true);
  pthread_mutex_unlock(&cache->lock);
}

/* ---- keys ------------------------------------------------------------------------------- */

/* Keys hash their fields one after another, each field hashed with its length so that
 * ("ab", "c") and ("a", "bc") differ. */
typedef struct key_writer {
  uint64_t hash;
} key_writer;

static void key_bytes(key_writer *w, const void *data, size_t size) {
  w->hash = (w->hash ^ ingot_checksum64(data, size) ^ (uint64_t)size) * 0x100000001b3ULL;
  w->hash ^= w->hash >> 29;
}

static void key_string(key_writer *w, const char *s) { key_bytes(w, s ? s : "", strlen(s ? s : "")); }

static void key_view(key_writer *w, const ingot_tensor_view *v) {
  int32_t head[3] = {v->dims.nb_dims, (int32_t)v->dtype, v->data != NULL};
  key_bytes(w, head, sizeof head);
  if (v->dims.nb_dims > 0) key_bytes(w, v->dims.d, sizeof(int64_t) * (size_t)v->dims.nb_dims);
}

uint64_t ingot_timing_cache_key(const ingot_backend *backend, int32_t threads, const ingot_tactic *tactic,
                                const ingot_node *n, const ingot_tensor_view *inputs,
                                const ingot_tensor_view *outputs) {
  key_writer w = {0xcbf29ce484222325ULL};
  key_string(&w, backend->name);
  key_string(&w, backend->arch ? backend->arch() : "");
  key_string(&w, tactic->name);
  int32_t head[5] = {tactic->version, threads, (int32_t)n->op, n->nb_inputs, n->nb_outputs};
  key_bytes(&w, head, sizeof head);
  /* The params are written to plans as these bytes too; nodes start zeroed, so padding
   * and the union's unused tail are stable. */
  key_bytes(&w, &n->params, sizeof n->params);
  key_string(&w, n->fused_name);
  for (int32_t k = 0; k < n->nb_inputs; k++) key_view(&w, &inputs[k]);
  for (int32_t k = 0; k < n->nb_outputs; k++) key_view(&w, &outputs[k]);
  return w.hash;
}
