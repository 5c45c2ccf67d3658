/* The process-wide plugin registry: creators by (name, version, namespace), behind one
 * mutex (the only global mutable state ingot has besides its lazily built tables). A
 * creator is a copy of the caller's descriptor, so static or stack descriptors both work. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "plugin/plugin_internal.h"

struct ingot_plugin_creator {
  ingot_plugin_creator_desc desc; /* strings and fields point into the copies below */
  char *name, *version, *plugin_namespace;
  ingot_plugin_field_decl *fields;
  char **field_names;
};

struct ingot_plugin_registry {
  pthread_mutex_t lock;
  int32_t count, cap;
  ingot_plugin_creator **creators;
};

static ingot_plugin_registry the_registry = {PTHREAD_MUTEX_INITIALIZER, 0, 0, NULL};

ingot_plugin_registry *ingot_get_plugin_registry(void) { return &the_registry; }

const char *ingot_plugin_field_type_name(ingot_plugin_field_type type) {
  static const char *const names[] = {"float32", "int32", "int64", "string", "bytes"};
  return (int)type >= 0 && type < INGOT_PLUGIN_FIELD_TYPE_COUNT ? names[type] : "unknown";
}

static void creator_free(ingot_plugin_creator *c) {
  if (!c) return;
  for (int32_t i = 0; c->field_names && i < c->desc.nb_fields; i++) free(c->field_names[i]);
  free(c->field_names);
  free(c->fields);
  free(c->name);
  free(c->version);
  free(c->plugin_namespace);
  free(c);
}

static ingot_status check_name(const char *s, const char *what) {
  if (!s) return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_plugin_registry_register_creator: %s is NULL", what);
  if (strlen(s) > INGOT_PLUGIN_MAX_NAME)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_plugin_registry_register_creator: %s is longer than %d bytes",
                      what, INGOT_PLUGIN_MAX_NAME);
  return INGOT_SUCCESS;
}

/* Everything a descriptor can get wrong, before anything is copied. */
static ingot_status check_desc(const ingot_plugin_creator_desc *d) {
  static const char fn[] = "ingot_plugin_registry_register_creator";
  if (d->size < sizeof(ingot_plugin_creator_desc) || d->abi_version != INGOT_PLUGIN_ABI_VERSION)
    return ingot_fail(INGOT_VERSION_MISMATCH, "%s: creator '%s' has descriptor size %zu and ABI version %d; this ingot "
                      "expects size %zu and ABI version %d", fn, d->name ? d->name : "?", d->size, d->abi_version,
                      sizeof(ingot_plugin_creator_desc), INGOT_PLUGIN_ABI_VERSION);
  INGOT_TRY(check_name(d->name, "name"));
  INGOT_TRY(check_name(d->version, "version"));
  if (!d->name[0]) return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: the creator's name is empty", fn);
  INGOT_TRY(check_name(d->plugin_namespace ? d->plugin_namespace : "", "namespace"));
  if (!d->create || !d->deserialize)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: creator '%s' lacks %s", fn, d->name,
                      !d->create ? "create" : "deserialize");
  if (d->nb_fields < 0 || (d->nb_fields > 0 && !d->fields))
    return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: creator '%s' declares %d fields at %p", fn, d->name, d->nb_fields,
                      (const void *)d->fields);
  for (int32_t i = 0; i < d->nb_fields; i++) {
    const ingot_plugin_field_decl *f = &d->fields[i];
    INGOT_TRY(check_name(f->name, "a field name"));
    if ((int)f->type < 0 || f->type >= INGOT_PLUGIN_FIELD_TYPE_COUNT || f->length < -1)
      return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: creator '%s' field '%s' has type %d and length %d", fn, d->name,
                        f->name, (int)f->type, f->length);
  }
  return INGOT_SUCCESS;
}

static ingot_status creator_copy(const ingot_plugin_creator_desc *d, ingot_plugin_creator **out) {
  ingot_plugin_creator *c = ingot_calloc(1, sizeof *c);
  if (!c) return INGOT_OUT_OF_MEMORY;
  c->desc = *d;
  c->desc.size = sizeof c->desc;
  c->name = ingot_strdup(d->name);
  c->version = ingot_strdup(d->version);
  c->plugin_namespace = ingot_strdup(d->plugin_namespace ? d->plugin_namespace : "");
  c->fields = ingot_calloc((size_t)d->nb_fields + 1, sizeof *c->fields);
  c->field_names = ingot_calloc((size_t)d->nb_fields + 1, sizeof *c->field_names);
  bool ok = c->name && c->version && c->plugin_namespace && c->fields && c->field_names;
  for (int32_t i = 0; ok && i < d->nb_fields; i++) {
    c->fields[i] = d->fields[i];
    ok = (c->field_names[i] = ingot_strdup(d->fields[i].name)) != NULL;
    c->fields[i].name = c->field_names[i];
  }
  if (!ok) {
    c->desc.nb_fields = d->nb_fields;
    creator_free(c);
    return INGOT_OUT_OF_MEMORY;
  }
  c->desc.name = c->name;
  c->desc.version = c->version;
  c->desc.plugin_namespace = c->plugin_namespace;
  c->desc.fields = c->fields;
  *out = c;
  return INGOT_SUCCESS;
}

static bool matches(const ingot_plugin_creator *c, const char *name, const char *version, const char *ns) {
  return strcmp(c->name, name) == 0 && (!version || strcmp(c->version, version) == 0) &&
         (!ns || strcmp(c->plugin_namespace, ns) == 0);
}

/* Index of the first match, or -1; the lock is held. */
static int32_t find_locked(const char *name, const char *version, const char *ns) {
  for (int32_t i = 0; i < the_registry.count; i++)
    if (matches(the_registry.creators[i], name, version, ns)) return i;
  return -1;
}

static ingot_status check_registry(ingot_plugin_registry *registry, const char *fn) {
  if (registry != &the_registry)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "%s: registry is %s, not the one ingot_get_plugin_registry returns", fn,
                      registry ? "another pointer" : "NULL");
  return INGOT_SUCCESS;
}

ingot_status ingot_plugin_registry_register_creator(ingot_plugin_registry *registry,
                                                    const ingot_plugin_creator_desc *desc,
                                                    const ingot_plugin_creator **creator_out) {
  static const char fn[] = "ingot_plugin_registry_register_creator";
  INGOT_TRY(check_registry(registry, fn));
  INGOT_CHECK_NULL(desc, fn);
  if (creator_out) *creator_out = NULL;
  INGOT_TRY(check_desc(desc));
  ingot_plugin_creator *c;
  INGOT_TRY(creator_copy(desc, &c));
  ingot_status st = INGOT_SUCCESS;
  pthread_mutex_lock(&the_registry.lock);
  if (find_locked(c->name, c->version, c->plugin_namespace) >= 0) {
    st = ingot_fail(INGOT_INVALID_ARGUMENT, "%s: plugin '%s' version '%s' namespace '%s' is already registered", fn,
                    c->name, c->version, c->plugin_namespace);
  } else if (the_registry.count == the_registry.cap) {
    int32_t cap = the_registry.cap ? the_registry.cap * 2 : 16;
    ingot_plugin_creator **grown = ingot_realloc_array(the_registry.creators, (size_t)cap, sizeof *grown);
    if (!grown) st = INGOT_OUT_OF_MEMORY;
    else {
      the_registry.creators = grown;
      the_registry.cap = cap;
    }
  }
  if (st == INGOT_SUCCESS) the_registry.creators[the_registry.count++] = c;
  pthread_mutex_unlock(&the_registry.lock);
  if (st != INGOT_SUCCESS) {
    creator_free(c);
    return st;
  }
  if (creator_out) *creator_out = c;
  return INGOT_SUCCESS;
}

ingot_status ingot_plugin_registry_deregister_creator(ingot_plugin_registry *registry, const char *name,
                                                      const char *version, const char *plugin_namespace) {
  static const char fn[] = "ingot_plugin_registry_deregister_creator";
  INGOT_TRY(check_registry(registry, fn));
  INGOT_CHECK_NULL(name, fn);
  ingot_plugin_creator *c = NULL;
  pthread_mutex_lock(&the_registry.lock);
  int32_t i = find_locked(name, version, plugin_namespace);
  if (i >= 0) {
    c = the_registry.creators[i];
    memmove(&the_registry.creators[i], &the_registry.creators[i + 1],
            (size_t)(the_registry.count - i - 1) * sizeof *the_registry.creators);
    the_registry.count--;
  }
  pthread_mutex_unlock(&the_registry.lock);
  if (!c)
    return ingot_fail(INGOT_NOT_FOUND, "%s: no plugin '%s' version '%s' namespace '%s' is registered", fn, name,
                      version ? version : "(any)", plugin_namespace ? plugin_namespace : "(any)");
  if (c->desc.release) c->desc.release(c->desc.user_data);
  creator_free(c);
  return INGOT_SUCCESS;
}

void ingot_plugin_registry_list(char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  pthread_mutex_lock(&the_registry.lock);
  for (int32_t i = 0; i < the_registry.count && used < size; i++) {
    const ingot_plugin_creator *c = the_registry.creators[i];
    int w = c->plugin_namespace[0]
                ? snprintf(buf + used, size - used, "%s%s/%s (namespace '%s')", i ? ", " : "", c->name, c->version,
                           c->plugin_namespace)
                : snprintf(buf + used, size - used, "%s%s/%s", i ? ", " : "", c->name, c->version);
    if (w > 0) used += (size_t)w;
  }
  pthread_mutex_unlock(&the_registry.lock);
  if (!buf[0]) snprintf(buf, size, "none");
}

ingot_status ingot_plugin_registry_get_creator(ingot_plugin_registry *registry, const char *name, const char *version,
                                               const char *plugin_namespace, const ingot_plugin_creator **creator_out) {
  static const char fn[] = "ingot_plugin_registry_get_creator";
  INGOT_TRY(check_registry(registry, fn));
  INGOT_CHECK_NULL(name, fn);
  INGOT_CHECK_NULL(creator_out, fn);
  pthread_mutex_lock(&the_registry.lock);
  int32_t i = find_locked(name, version, plugin_namespace);
  *creator_out = i >= 0 ? the_registry.creators[i] : NULL;
  pthread_mutex_unlock(&the_registry.lock);
  if (*creator_out) return INGOT_SUCCESS;
  char registered[1024];
  ingot_plugin_registry_list(registered, sizeof registered);
  return ingot_fail(INGOT_NOT_FOUND, "no plugin '%s' version '%s' namespace '%s' is registered (registered: %s)", name,
                    version ? version : "(any)", plugin_namespace ? plugin_namespace : "(any)", registered);
}

int32_t ingot_plugin_registry_num_creators(ingot_plugin_registry *registry) {
  if (registry != &the_registry) return 0;
  pthread_mutex_lock(&the_registry.lock);
  int32_t n = the_registry.count;
  pthread_mutex_unlock(&the_registry.lock);
  return n;
}

const ingot_plugin_creator *ingot_plugin_registry_get_creator_at(ingot_plugin_registry *registry, int32_t index) {
  if (registry != &the_registry) return NULL;
  pthread_mutex_lock(&the_registry.lock);
  const ingot_plugin_creator *c = index >= 0 && index < the_registry.count ? the_registry.creators[index] : NULL;
  pthread_mutex_unlock(&the_registry.lock);
  return c;
}

const char *ingot_plugin_creator_get_name(const ingot_plugin_creator *c) { return c ? c->name : NULL; }
const char *ingot_plugin_creator_get_version(const ingot_plugin_creator *c) { return c ? c->version : NULL; }
const char *ingot_plugin_creator_get_namespace(const ingot_plugin_creator *c) {
  return c ? c->plugin_namespace : NULL;
}
int32_t ingot_plugin_creator_num_fields(const ingot_plugin_creator *c) { return c ? c->desc.nb_fields : 0; }
const ingot_plugin_field_decl *ingot_plugin_creator_get_field(const ingot_plugin_creator *c, int32_t index) {
  return c && index >= 0 && index < c->desc.nb_fields ? &c->fields[index] : NULL;
}
const ingot_plugin_creator_desc *ingot_plugin_creator_desc_of(const ingot_plugin_creator *c) { return &c->desc; }
