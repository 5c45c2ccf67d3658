/* Backend lookup: the one place that knows which backends this build has. */
#include "backend/backend.h"
#include "ingot/builder.h"

#include <string.h>

const ingot_backend *ingot_backend_for_target(int32_t target) {
  if (target == INGOT_TARGET_CPU) return ingot_cpu_backend();
#ifdef INGOT_HAVE_CUDA
  if (target == INGOT_TARGET_CUDA) return ingot_cuda_backend();
#endif
  return NULL;
}

const ingot_tactic *ingot_backend_find_tactic(const ingot_backend *backend, const char *name, int32_t version) {
  if (!backend || !name) return NULL;
  for (int32_t i = 0; i < backend->nb_tactics; i++)
    if (strcmp(backend->tactics[i].name, name) == 0 && backend->tactics[i].version == version)
      return &backend->tactics[i];
  return NULL;
}
