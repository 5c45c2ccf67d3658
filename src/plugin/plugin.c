/* Plugin instances as ingot holds them: the creator's identity (name, version, namespace)
 * with the instance, made from fields, cloned for every graph copy, serialized into plans
 * and rebuilt from them through the registry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "plugin/plugin_internal.h"

const char *ingot_plugin_describe(const ingot_plugin *p, char *buf, size_t size) {
  snprintf(buf, size, "plugin '%s' version '%s' namespace '%s'", p->name, p->version, p->plugin_namespace);
  return buf;
}

static ingot_plugin *record_alloc(const char *name, const char *version, const char *ns) {
  ingot_plugin *p = ingot_calloc(1, sizeof *p);
  if (!p) return NULL;
  p->name = ingot_strdup(name);
  p->version = ingot_strdup(version);
  p->plugin_namespace = ingot_strdup(ns);
  if (!p->name || !p->version || !p->plugin_namespace) {
    ingot_plugin_destroy(p);
    return NULL;
  }
  return p;
}

void ingot_plugin_destroy(ingot_plugin *p) {
  if (!p) return;
  if (p->inst.vtbl && p->inst.vtbl->destroy) p->inst.vtbl->destroy(p->inst.self);
  free(p->name);
  free(p->version);
  free(p->plugin_namespace);
  free(p->state);
  free(p);
}

static ingot_status set_state(ingot_plugin *p, const void *state, uint64_t size) {
  if (size > SIZE_MAX - 1) return ingot_fail(INGOT_OUT_OF_MEMORY, "plugin state of %llu bytes", (unsigned long long)size);
  uint8_t *copy = malloc((size_t)size + 1);
  if (!copy) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory for %llu bytes of plugin state",
                               (unsigned long long)size);
  if (size) memcpy(copy, state, (size_t)size);
  free(p->state);
  p->state = copy;
  p->state_size = size;
  return INGOT_SUCCESS;
}

ingot_status ingot_plugin_new_record(const char *name, const char *version, const char *ns, const void *state,
                                     uint64_t state_size, ingot_plugin **plugin_out) {
  *plugin_out = NULL;
  ingot_plugin *p = record_alloc(name, version, ns);
  if (!p) return INGOT_OUT_OF_MEMORY;
  ingot_status st = set_state(p, state, state_size);
  if (st != INGOT_SUCCESS) {
    ingot_plugin_destroy(p);
    return st;
  }
  *plugin_out = p;
  return INGOT_SUCCESS;
}

bool ingot_plugin_is_instantiated(const ingot_plugin *p) { return p && p->inst.vtbl; }

/* What every instance must have, checked once where it enters ingot. */
static ingot_status check_instance(const ingot_plugin *p, const char *layer, ingot_plugin_instance inst) {
  char who[INGOT_PLUGIN_MAX_NAME * 3 + 64];
  ingot_plugin_describe(p, who, sizeof who);
  const ingot_plugin_vtbl *v = inst.vtbl;
  if (!v) return ingot_fail(INGOT_INVALID_ARGUMENT, "layer '%s': %s returned no vtable", layer, who);
  if (v->size < sizeof(ingot_plugin_vtbl) || v->abi_version != INGOT_PLUGIN_ABI_VERSION)
    return ingot_fail(INGOT_VERSION_MISMATCH, "layer '%s': %s has vtable size %zu and ABI version %d, this ingot "
                      "expects %zu and %d", layer, who, v->size, v->abi_version, sizeof(ingot_plugin_vtbl),
                      INGOT_PLUGIN_ABI_VERSION);
  const char *missing = !v->get_nb_outputs ? "get_nb_outputs" : !v->get_output_dtypes ? "get_output_dtypes"
                        : !v->get_output_dims ? "get_output_dims" : !v->serialize ? "serialize"
                        : !v->enqueue ? "enqueue" : !v->clone ? "clone" : !v->destroy ? "destroy" : NULL;
  if (missing) return ingot_fail(INGOT_INVALID_ARGUMENT, "layer '%s': %s has no %s", layer, who, missing);
  return INGOT_SUCCESS;
}

/* Takes `inst` into `p` (destroying it on failure). */
static ingot_status adopt(ingot_plugin *p, const char *layer, ingot_plugin_instance inst) {
  ingot_status st = check_instance(p, layer, inst);
  if (st != INGOT_SUCCESS) {
    if (inst.vtbl && inst.vtbl->destroy) inst.vtbl->destroy(inst.self);
    return st;
  }
  p->inst = inst;
  int32_t n = inst.vtbl->get_nb_outputs(inst.self);
  if (n < 1 || n > INGOT_PLUGIN_MAX_OUTPUTS) {
    char who[INGOT_PLUGIN_MAX_NAME * 3 + 64];
    return ingot_fail(INGOT_INVALID_ARGUMENT, "layer '%s': %s says it has %d outputs, expected 1 to %d", layer,
                      ingot_plugin_describe(p, who, sizeof who), (int)n, INGOT_PLUGIN_MAX_OUTPUTS);
  }
  p->nb_outputs = n;
  return INGOT_SUCCESS;
}

ingot_status ingot_plugin_wrap(const ingot_plugin_creator *creator, const char *layer_name, ingot_plugin_instance inst,
                               ingot_plugin **plugin_out) {
  *plugin_out = NULL;
  ingot_plugin *p = record_alloc(ingot_plugin_creator_get_name(creator), ingot_plugin_creator_get_version(creator),
                                 ingot_plugin_creator_get_namespace(creator));
  if (!p) {
    if (inst.vtbl && inst.vtbl->destroy) inst.vtbl->destroy(inst.self);
    return INGOT_OUT_OF_MEMORY;
  }
  ingot_status st = adopt(p, layer_name, inst);
  if (st != INGOT_SUCCESS) {
    ingot_plugin_destroy(p);
    return st;
  }
  *plugin_out = p;
  return INGOT_SUCCESS;
}

ingot_status ingot_plugin_creator_create_plugin(const ingot_plugin_creator *creator, const char *layer_name,
                                                const ingot_plugin_field *fields, int32_t nb_fields,
                                                ingot_plugin **plugin_out) {
  static const char fn[] = "ingot_plugin_creator_create_plugin";
  INGOT_CHECK_NULL(creator, fn);
  INGOT_CHECK_NULL(plugin_out, fn);
  *plugin_out = NULL;
  if (!layer_name) layer_name = "";
  const ingot_plugin_creator_desc *d = ingot_plugin_creator_desc_of(creator);
  ingot_plugin_field *checked = NULL;
  int32_t nb_checked = 0;
  INGOT_TRY(ingot_plugin_check_fields(creator, fields, nb_fields, &checked, &nb_checked));
  ingot_plugin_instance inst = {0};
  ingot_clear_last_error();
  ingot_status st = d->create(d->user_data, layer_name, checked, nb_checked, &inst);
  free(checked);
  if (st != INGOT_SUCCESS) {
    const char *why = ingot_last_error();
    return ingot_fail(st, "layer '%s': plugin '%s' version '%s' namespace '%s': create failed (%s)%s%s", layer_name,
                      d->name, d->version, d->plugin_namespace, ingot_status_name(st), why[0] ? ": " : "", why);
  }
  return ingot_plugin_wrap(creator, layer_name, inst, plugin_out);
}

ingot_status ingot_plugin_copy(const ingot_plugin *src, ingot_plugin **copy_out) {
  *copy_out = NULL;
  ingot_plugin *p = record_alloc(src->name, src->version, src->plugin_namespace);
  if (!p) return INGOT_OUT_OF_MEMORY;
  ingot_status st = src->state ? set_state(p, src->state, src->state_size) : INGOT_SUCCESS;
  if (st == INGOT_SUCCESS && src->inst.vtbl) {
    void *self = NULL;
    st = src->inst.vtbl->clone(src->inst.self, &self);
    if (st != INGOT_SUCCESS) {
      char who[INGOT_PLUGIN_MAX_NAME * 3 + 64];
      st = ingot_fail(st, "%s: clone failed (%s)", ingot_plugin_describe(src, who, sizeof who), ingot_status_name(st));
    } else {
      p->inst.vtbl = src->inst.vtbl;
      p->inst.self = self;
      p->nb_outputs = src->nb_outputs;
    }
  }
  if (st != INGOT_SUCCESS) {
    ingot_plugin_destroy(p);
    return st;
  }
  *copy_out = p;
  return INGOT_SUCCESS;
}

ingot_status ingot_plugin_instantiate(ingot_plugin *p, const char *layer_name) {
  if (p->inst.vtbl) return INGOT_SUCCESS;
  const ingot_plugin_creator *creator = NULL;
  ingot_status st = ingot_plugin_registry_get_creator(ingot_get_plugin_registry(), p->name, p->version,
                                                      p->plugin_namespace, &creator);
  if (st != INGOT_SUCCESS) {
    char registered[1024];
    ingot_plugin_registry_list(registered, sizeof registered);
    return ingot_fail(INGOT_NOT_FOUND, "layer '%s' needs plugin '%s' version '%s' namespace '%s', which is not "
                      "registered (registered: %s); load its library first (ingot_plugin_library_load, --plugin)",
                      layer_name, p->name, p->version, p->plugin_namespace, registered);
  }
  const ingot_plugin_creator_desc *d = ingot_plugin_creator_desc_of(creator);
  ingot_plugin_instance inst = {0};
  ingot_clear_last_error();
  st = d->deserialize(d->user_data, layer_name, p->state, (size_t)p->state_size, &inst);
  if (st != INGOT_SUCCESS) {
    const char *why = ingot_last_error();
    return ingot_fail(st == INGOT_OUT_OF_MEMORY ? st : INGOT_INVALID_PLAN,
                      "layer '%s': plugin '%s' version '%s' namespace '%s' cannot rebuild itself from its %llu bytes "
                      "of state (%s)%s%s", layer_name, p->name, p->version, p->plugin_namespace,
                      (unsigned long long)p->state_size, ingot_status_name(st), why[0] ? ": " : "", why);
  }
  st = adopt(p, layer_name, inst);
  if (st != INGOT_SUCCESS) {
    p->inst.vtbl = NULL;
    p->inst.self = NULL;
  }
  return st;
}

ingot_status ingot_plugin_serialize(ingot_plugin *p, const char *layer_name) {
  char who[INGOT_PLUGIN_MAX_NAME * 3 + 64];
  if (!p->inst.vtbl) return INGOT_SUCCESS; /* the state read from a plan stays as it is */
  size_t size = 0;
  ingot_status st = p->inst.vtbl->serialize(p->inst.self, NULL, 0, &size);
  if (st == INGOT_SUCCESS && size > ((size_t)1 << 40))
    return ingot_fail(INGOT_INVALID_ARGUMENT, "layer '%s': %s wants %zu bytes of state", layer_name,
                      ingot_plugin_describe(p, who, sizeof who), size);
  uint8_t *buf = st == INGOT_SUCCESS ? malloc(size + 1) : NULL;
  if (st == INGOT_SUCCESS && !buf) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory for plugin state");
  size_t written = size;
  if (st == INGOT_SUCCESS) st = p->inst.vtbl->serialize(p->inst.self, buf, size, &written);
  if (st != INGOT_SUCCESS || written > size) {
    free(buf);
    return ingot_fail(st != INGOT_SUCCESS ? st : INGOT_INTERNAL_ERROR, "layer '%s': %s: serialize failed (%s)",
                      layer_name, ingot_plugin_describe(p, who, sizeof who),
                      st != INGOT_SUCCESS ? ingot_status_name(st) : "wrote more than it asked room for");
  }
  free(p->state);
  p->state = buf;
  p->state_size = written;
  return INGOT_SUCCESS;
}
