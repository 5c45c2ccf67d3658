/* Plugin libraries: dlopen a shared object and register the creators its one exported
 * function lists. The library is never closed: instances made by its creators (in
 * networks and engines anywhere in the process) point into its code. */
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include "core/error.h"
#include "plugin/plugin_internal.h"

/* Loads of one library run one at a time, so that two threads loading it at once do not
 * both register its creators. */
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

static ingot_status register_all(const char *path, const ingot_plugin_creator_desc *descs, int32_t count) {
  ingot_plugin_registry *registry = ingot_get_plugin_registry();
  for (int32_t i = 0; i < count; i++) {
    const ingot_plugin_creator_desc *d = &descs[i];
    const ingot_plugin_creator *existing = NULL;
    /* loaded before (or registered by hand): same name, version and namespace is kept */
    if (d->name && d->version &&
        ingot_plugin_registry_get_creator(registry, d->name, d->version, d->plugin_namespace ? d->plugin_namespace : "",
                                          &existing) == INGOT_SUCCESS)
      continue;
    ingot_status st = ingot_plugin_registry_register_creator(registry, d, NULL);
    if (st != INGOT_SUCCESS) {
      ingot_error_prefix("plugin library '%s', creator %d", path, (int)i);
      return st;
    }
  }
  ingot_clear_last_error();
  return INGOT_SUCCESS;
}

ingot_status ingot_plugin_library_load(const char *path) {
  INGOT_CHECK_NULL(path, "ingot_plugin_library_load");
  pthread_mutex_lock(&load_lock);
  ingot_status st = INGOT_SUCCESS;
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    st = ingot_fail(INGOT_IO_ERROR, "ingot_plugin_library_load: cannot load '%s': %s", path, why ? why : "unknown");
  } else {
    (void)dlerror();
    void *sym = dlsym(handle, INGOT_PLUGIN_LIBRARY_ENTRY);
    const char *why = dlerror();
    if (!sym || why) {
      st = ingot_fail(INGOT_NOT_FOUND, "ingot_plugin_library_load: '%s' does not export %s: %s", path,
                      INGOT_PLUGIN_LIBRARY_ENTRY, why ? why : "symbol is NULL");
    } else {
      ingot_plugin_library_creators_fn entry;
      memcpy(&entry, &sym, sizeof entry); /* object to function pointer, as POSIX allows */
      const ingot_plugin_creator_desc *descs = NULL;
      int32_t count = entry(&descs);
      if (count < 0 || (count > 0 && !descs))
        st = ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_plugin_library_load: '%s': %s returned %d creators at %p", path,
                        INGOT_PLUGIN_LIBRARY_ENTRY, (int)count, (const void *)descs);
      else
        st = register_all(path, descs, count);
    }
  }
  pthread_mutex_unlock(&load_lock);
  return st;
}
