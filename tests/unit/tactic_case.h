/* One layer case for the tactic tests (test_tactics_cpu.c, test_onednn_tactics.c,
 * tests/gpu/test_gpu_tactics.c): a node and its float32 inputs, filled with random values
 * in [-1, 1), some marked constant (weights, which prepare() may pack). */
#ifndef INGOT_TEST_TACTIC_CASE_H
#define INGOT_TEST_TACTIC_CASE_H

#include "test_util.h"

#include "core/dims.h"
#include "ops/graph.h"

#define TACTIC_CASE_MAX_INPUTS 5

typedef struct tactic_case {
  char name[200];
  ingot_node node;
  int32_t nb_inputs;
  ingot_dims dims[TACTIC_CASE_MAX_INPUTS];
  bool constant[TACTIC_CASE_MAX_INPUTS];
  float *data[TACTIC_CASE_MAX_INPUTS];
  /* INGOT_FLOAT32 (0, the default) or INGOT_BOOL: then data holds one byte per element,
   * 0 or 1 (tactic_case_add_bool), and no float conversion applies to it */
  ingot_dtype dtype[TACTIC_CASE_MAX_INPUTS];
  ingot_dims ydims; /* the output's dims, where a test infers and keeps them */
} tactic_case;

/* A random integer in [0, n) from the test's generator state. */
static inline int64_t tactic_rnd(uint64_t *seed, int64_t n) {
  *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
  return (int64_t)((*seed >> 33) % (uint64_t)n);
}

static inline void tactic_case_init(tactic_case *c, ingot_op op, const char *name) {
  memset(c, 0, sizeof *c);
  snprintf(c->name, sizeof c->name, "%s", name);
  c->node.name = c->name;
  c->node.op = op;
  c->node.nb_outputs = 1;
}

/* Appends an input of dims d[0..nb) with random values. */
static inline void tactic_case_add(tactic_case *c, bool constant, int32_t nb, const int64_t *d, uint64_t *seed) {
  int32_t i = c->nb_inputs++;
  c->dims[i] = ingot_dims_make(nb, d);
  c->constant[i] = constant;
  int64_t v = ingot_dims_volume(&c->dims[i]);
  c->data[i] = malloc(sizeof(float) * (size_t)(v > 0 ? v : 1));
  for (int64_t k = 0; k < v; k++) c->data[i][k] = test_randf(seed);
  c->node.nb_inputs = c->nb_inputs;
}

/* Appends a bool input of dims d[0..nb), each element 1 with probability percent_true / 100. */
static inline void tactic_case_add_bool(tactic_case *c, int32_t nb, const int64_t *d, int32_t percent_true,
                                        uint64_t *seed) {
  int32_t i = c->nb_inputs++;
  c->dims[i] = ingot_dims_make(nb, d);
  c->dtype[i] = INGOT_BOOL;
  int64_t v = ingot_dims_volume(&c->dims[i]);
  c->data[i] = malloc(sizeof(float) * (size_t)(v > 0 ? v : 1));
  uint8_t *b = (uint8_t *)c->data[i];
  for (int64_t k = 0; k < v; k++) b[k] = tactic_rnd(seed, 100) < percent_true;
  c->node.nb_inputs = c->nb_inputs;
}

static inline void tactic_case_free(tactic_case *c) {
  for (int32_t i = 0; i < c->nb_inputs; i++) free(c->data[i]);
}

#endif
