/* Plan writer and reader: a round trip that compares every field, then every way a plan
 * can be damaged (truncation, bit flips, other version or target, forged counts and
 * indices) refused cleanly. Every read is of a heap buffer of exactly the plan's size, so
 * AddressSanitizer catches a read past its end. */
#include <stdint.h>

#include "backend/backend.h"
#include "core/alloc.h"
#include "core/dims.h"
#include "core/checksum.h"
#include "plan/byte_io.h"
#include "plan/plan_format.h"
#include "plan/plan_sections.h"
#include "test_util.h"

static ingot_dims dims_of(int32_t nb, int64_t a, int64_t b) {
  ingot_dims d;
  memset(&d, 0, sizeof d);
  d.nb_dims = nb;
  d.d[0] = a;
  d.d[1] = b;
  return d;
}

/* A tactic chosen by the "builder": the writer must prefer it over tactic_names. */
static const ingot_tactic fake_fc_tactic = {INGOT_OP_FULLY_CONNECTED, "fc_f32_test", 3, NULL, NULL, NULL, NULL};

/* x[-1,4] -> fully_connected(w[3,4], b[3]) -> y[-1,3] -> relu -> z[-1,3] -> softmax -> out[-1,3]
 * with two profiles; target cpu / x86_64. */
static ingot_plan_contents *make_contents(void) {
  ingot_plan_contents *c = ingot_calloc(1, sizeof *c);
  CHECK(c != NULL);
  if (!c) return NULL;
  c->target = INGOT_TARGET_CPU;
  strcpy(c->arch, "x86_64");
  c->library_version = ingot_version();
  c->num_threads = 3;
  c->builder_flags = 1u << INGOT_BUILDER_FLAG_TF32 | 1u << INGOT_BUILDER_FLAG_FP16;
  CHECK_OK(ingot_graph_create(&c->graph));
  ingot_graph *g = c->graph;
  int32_t x, w, b, y, z, out;
  ingot_dims d;
  d = dims_of(2, -1, 4);
  CHECK_OK(ingot_graph_add_tensor(g, "x", INGOT_FLOAT32, &d, INGOT_TENSOR_KIND_INPUT, &x));
  d = dims_of(2, 3, 4);
  CHECK_OK(ingot_graph_add_tensor(g, "fc.weight", INGOT_FLOAT32, &d, INGOT_TENSOR_KIND_CONSTANT, &w));
  d = dims_of(1, 3, 0);
  CHECK_OK(ingot_graph_add_tensor(g, "fc.bias", INGOT_FLOAT32, &d, INGOT_TENSOR_KIND_CONSTANT, &b));
  d = dims_of(2, -1, 3);
  CHECK_OK(ingot_graph_add_tensor(g, "y", INGOT_FLOAT32, &d, INGOT_TENSOR_KIND_ACTIVATION, &y));
  CHECK_OK(ingot_graph_add_tensor(g, "z", INGOT_FLOAT32, NULL, INGOT_TENSOR_KIND_ACTIVATION, &z)); /* rank unknown */
  CHECK_OK(ingot_graph_add_tensor(g, "out", INGOT_FLOAT32, &d, INGOT_TENSOR_KIND_ACTIVATION, &out));
  float wv[12], bv[3];
  uint64_t seed = 42;
  for (int i = 0; i < 12; i++) wv[i] = test_randf(&seed);
  for (int i = 0; i < 3; i++) bv[i] = test_randf(&seed);
  CHECK_OK(ingot_graph_set_constant(g, w, wv, sizeof wv));
  CHECK_OK(ingot_graph_set_constant(g, b, bv, sizeof bv));

  ingot_op_params p;
  int32_t n0, n1, n2;
  memset(&p, 0, sizeof p);
  p.fc.num_outputs = 3;
  p.fc.has_bias = 1;
  p.fc.epilogue.activation = -1;
  p.fc.epilogue.alpha = 0.25f;
  int32_t fc_in[3] = {x, w, b};
  CHECK_OK(ingot_graph_add_node(g, "fc", INGOT_OP_FULLY_CONNECTED, &p, fc_in, 3, &n0));
  memset(&p, 0, sizeof p);
  p.activation.type = INGOT_ACTIVATION_RELU;
  p.activation.alpha = 0.5f;
  CHECK_OK(ingot_graph_add_node(g, "relu", INGOT_OP_ACTIVATION, &p, &y, 1, &n1));
  memset(&p, 0, sizeof p);
  p.softmax.axis = -1;
  CHECK_OK(ingot_graph_add_node(g, "softmax", INGOT_OP_SOFTMAX, &p, &z, 1, &n2));
  g->nodes[n0].nb_outputs = 1;
  g->nodes[n0].outputs[0] = y;
  g->nodes[n1].nb_outputs = 1;
  g->nodes[n1].outputs[0] = z;
  g->nodes[n2].nb_outputs = 1;
  g->nodes[n2].outputs[0] = out;
  g->tensors[y].producer = n0;
  g->tensors[z].producer = n1;
  g->tensors[out].producer = n2;
  g->tensors[out].is_output = 1;
  g->nodes[n1].fused_name = ingot_strdup("activation+test");
  g->nodes[n0].tactic = &fake_fc_tactic;
  g->nodes[n0].prepared_size = 37;
  g->nodes[n0].prepared = ingot_calloc(37, 1);
  for (int i = 0; i < 37; i++) ((uint8_t *)g->nodes[n0].prepared)[i] = (uint8_t)(i * 7 + 1);

  g->nb_inputs = 1;
  g->inputs = ingot_calloc(1, sizeof(int32_t));
  g->inputs[0] = x;
  g->nb_outputs = 1;
  g->outputs = ingot_calloc(1, sizeof(int32_t));
  g->outputs[0] = out;
  g->nb_profiles = 2;
  g->profiles = ingot_calloc(2, sizeof(ingot_profile_dims));
  g->profiles[0] = (ingot_profile_dims){dims_of(2, 1, 4), dims_of(2, 4, 4), dims_of(2, 8, 4)};
  g->profiles[1] = (ingot_profile_dims){dims_of(2, 16, 4), dims_of(2, 32, 4), dims_of(2, 64, 4)};

  c->tactic_names = ingot_calloc(3, sizeof(char *));
  c->tactic_versions = ingot_calloc(3, sizeof(int32_t));
  c->tactic_names[0] = ingot_strdup("ignored_because_node_tactic_is_set");
  c->tactic_names[1] = ingot_strdup("activation_f32_reference");
  c->tactic_versions[1] = 1;
  c->tactic_names[2] = ingot_strdup("softmax_f32_avx2");
  c->tactic_versions[2] = 7;
  c->arena_sizes = ingot_calloc(2, sizeof(uint64_t));
  c->arena_sizes[0] = 8 * 3 * 4 * 2;
  c->arena_sizes[1] = (uint64_t)1 << 33; /* past 32 bits */
  CHECK_OK(ingot_graph_validate(g));
  return c;
}

static bool dims_same(const ingot_dims *a, const ingot_dims *b) {
  if (a->nb_dims != b->nb_dims) return false;
  for (int32_t i = 0; i < a->nb_dims; i++)
    if (a->d[i] != b->d[i]) return false;
  return true;
}

static bool str_same(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : "") == 0; }

/* `a` was written, `b` read back. */
static void compare_contents(const ingot_plan_contents *a, const ingot_plan_contents *b) {
  CHECK(a->target == b->target);
  CHECK(strcmp(a->arch, b->arch) == 0);
  CHECK(a->library_version == b->library_version);
  CHECK(a->num_threads == b->num_threads);
  CHECK(a->builder_flags == b->builder_flags);
  const ingot_graph *ga = a->graph, *gb = b->graph;
  CHECK(ga->nb_tensors == gb->nb_tensors);
  for (int32_t i = 0; i < ga->nb_tensors && i < gb->nb_tensors; i++) {
    const ingot_graph_tensor *ta = &ga->tensors[i], *tb = &gb->tensors[i];
    CHECK(strcmp(ta->name, tb->name) == 0);
    CHECK(ta->dtype == tb->dtype);
    CHECK(dims_same(&ta->dims, &tb->dims));
    CHECK(ta->kind == tb->kind);
    CHECK(ta->is_output == tb->is_output);
    CHECK(ta->producer == tb->producer);
    CHECK(ta->data_size == tb->data_size);
    CHECK((ta->data == NULL) == (tb->data == NULL));
    if (ta->data && tb->data) {
      CHECK(memcmp(ta->data, tb->data, (size_t)ta->data_size) == 0);
      CHECK(((uintptr_t)tb->data & 63) == 0);
    }
  }
  CHECK(ga->nb_nodes == gb->nb_nodes);
  for (int32_t i = 0; i < ga->nb_nodes && i < gb->nb_nodes; i++) {
    const ingot_node *na = &ga->nodes[i], *nb = &gb->nodes[i];
    CHECK(strcmp(na->name, nb->name) == 0);
    CHECK(na->op == nb->op);
    CHECK(memcmp(&na->params, &nb->params, sizeof na->params) == 0);
    CHECK(na->nb_inputs == nb->nb_inputs);
    for (int32_t k = 0; k < na->nb_inputs && k < nb->nb_inputs; k++) CHECK(na->inputs[k] == nb->inputs[k]);
    CHECK(na->nb_outputs == nb->nb_outputs);
    for (int32_t k = 0; k < na->nb_outputs && k < nb->nb_outputs; k++) CHECK(na->outputs[k] == nb->outputs[k]);
    CHECK(str_same(na->fused_name, nb->fused_name));
    CHECK(nb->tactic == NULL); /* resolved later by the runtime, by name */
    const char *tactic = na->tactic ? na->tactic->name : a->tactic_names[i];
    int32_t version = na->tactic ? na->tactic->version : a->tactic_versions[i];
    CHECK(str_same(tactic, b->tactic_names[i]));
    CHECK(version == b->tactic_versions[i]);
    CHECK(na->prepared_size == nb->prepared_size);
    if (na->prepared && nb->prepared) {
      CHECK(memcmp(na->prepared, nb->prepared, (size_t)na->prepared_size) == 0);
      CHECK(((uintptr_t)nb->prepared & 63) == 0);
    }
  }
  CHECK(ga->nb_inputs == gb->nb_inputs);
  for (int32_t i = 0; i < ga->nb_inputs && i < gb->nb_inputs; i++) CHECK(ga->inputs[i] == gb->inputs[i]);
  CHECK(ga->nb_outputs == gb->nb_outputs);
  for (int32_t i = 0; i < ga->nb_outputs && i < gb->nb_outputs; i++) CHECK(ga->outputs[i] == gb->outputs[i]);
  CHECK(ga->nb_profiles == gb->nb_profiles);
  if (ga->nb_profiles == gb->nb_profiles && ga->nb_inputs == gb->nb_inputs) {
    for (int32_t k = 0; k < ga->nb_profiles * ga->nb_inputs; k++) {
      CHECK(dims_same(&ga->profiles[k].min, &gb->profiles[k].min));
      CHECK(dims_same(&ga->profiles[k].opt, &gb->profiles[k].opt));
      CHECK(dims_same(&ga->profiles[k].max, &gb->profiles[k].max));
    }
    for (int32_t p = 0; p < ga->nb_profiles; p++) CHECK(a->arena_sizes[p] == b->arena_sizes[p]);
  }
}

/* Reads a copy of `len` bytes in a heap block of exactly that size (ASan sees overreads). */
static ingot_status read_copy(const void *data, size_t len, int32_t target, const char *arch,
                              ingot_plan_contents **out) {
  void *copy = malloc(len ? len : 1);
  if (len) memcpy(copy, data, len);
  ingot_status st = ingot_plan_read(copy, len, target, arch, out);
  free(copy);
  return st;
}

static void test_round_trip(const ingot_plan_contents *c, const void *plan, size_t size) {
  ingot_plan_contents *back = NULL;
  CHECK_OK(read_copy(plan, size, INGOT_TARGET_CPU, "x86_64", &back));
  CHECK(back != NULL);
  if (!back) return;
  compare_contents(c, back);
  /* Written again, the read contents give the same bytes: nothing lost or reordered. */
  void *again = NULL;
  size_t again_size = 0;
  CHECK_OK(ingot_plan_write(back, &again, &again_size));
  CHECK(again_size == size && again && memcmp(again, plan, size) == 0);
  free(again);
  ingot_plan_contents_destroy(back);

  /* A tool that only inspects accepts any target and arch. */
  CHECK_OK(read_copy(plan, size, -1, NULL, &back));
  ingot_plan_contents_destroy(back);
}

static void test_truncation(const void *plan, size_t size) {
  int accepted = 0;
  for (size_t len = 0; len < size; len++) {
    ingot_plan_contents *back = NULL;
    ingot_status st = read_copy(plan, len, INGOT_TARGET_CPU, "x86_64", &back);
    if (st != INGOT_INVALID_PLAN || back != NULL) {
      fprintf(stderr, "truncation to %zu of %zu bytes: %s (%s)\n", len, size, ingot_status_name(st), ingot_last_error());
      accepted++;
    }
    ingot_plan_contents_destroy(back);
  }
  CHECK(accepted == 0);
  CHECK_FAILS(read_copy(plan, size - 1, INGOT_TARGET_CPU, "x86_64", &(ingot_plan_contents *){NULL}),
              INGOT_INVALID_PLAN, "plan truncated");
  CHECK_FAILS(read_copy(plan, size - 1, INGOT_TARGET_CPU, "x86_64", &(ingot_plan_contents *){NULL}),
              INGOT_INVALID_PLAN, "header declares");
  CHECK_FAILS(read_copy(plan, 20, INGOT_TARGET_CPU, "x86_64", &(ingot_plan_contents *){NULL}), INGOT_INVALID_PLAN,
              "plan truncated");
}

static void test_bit_flips(const void *plan, size_t size) {
  uint8_t *copy = malloc(size);
  memcpy(copy, plan, size);
  int accepted = 0;
  /* Every bit of the header, then one bit of every payload byte. */
  for (size_t bit = 0; bit < (size_t)INGOT_PLAN_HEADER_SIZE * 8 + (size - INGOT_PLAN_HEADER_SIZE); bit++) {
    size_t byte = bit < INGOT_PLAN_HEADER_SIZE * 8 ? bit / 8 : INGOT_PLAN_HEADER_SIZE + (bit - INGOT_PLAN_HEADER_SIZE * 8);
    uint8_t mask = (uint8_t)(1u << (bit % 8));
    copy[byte] ^= mask;
    ingot_plan_contents *back = NULL;
    ingot_status st = ingot_plan_read(copy, size, INGOT_TARGET_CPU, "x86_64", &back);
    if ((st != INGOT_INVALID_PLAN && st != INGOT_VERSION_MISMATCH) || back != NULL) {
      fprintf(stderr, "flip of byte %zu mask 0x%02x: %s\n", byte, mask, ingot_status_name(st));
      accepted++;
    }
    ingot_plan_contents_destroy(back);
    copy[byte] ^= mask;
  }
  CHECK(accepted == 0);
  copy[size / 2] ^= 0x10;
  CHECK_FAILS(ingot_plan_read(copy, size, INGOT_TARGET_CPU, "x86_64", &(ingot_plan_contents *){NULL}),
              INGOT_INVALID_PLAN, "plan checksum mismatch (corrupted)");
  free(copy);
}

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Header forgeries: magic, format version, target and arch (checksum recomputed). */
static void test_header_forgeries(const ingot_plan_contents *c, const void *plan, size_t size) {
  uint8_t *copy = malloc(size);
  ingot_plan_contents *none = NULL;
#define RESET() memcpy(copy, plan, size)
#define RESUM() put_u64(copy + INGOT_PLAN_OFF_CHECKSUM, ingot_checksum64(copy + INGOT_PLAN_HEADER_SIZE, size - INGOT_PLAN_HEADER_SIZE))
  RESET();
  memcpy(copy, "GGUF\x03\0\0\0", 8);
  CHECK_FAILS(ingot_plan_read(copy, size, INGOT_TARGET_CPU, "x86_64", &none), INGOT_INVALID_PLAN,
              "not an ingot plan (magic");
  CHECK_FAILS(ingot_plan_read("PK", 2, INGOT_TARGET_CPU, "x86_64", &none), INGOT_INVALID_PLAN, "not an ingot plan");

  RESET();
  put_u32(copy + INGOT_PLAN_OFF_FORMAT_VERSION, 7);
  RESUM();
  CHECK_FAILS(ingot_plan_read(copy, size, INGOT_TARGET_CPU, "x86_64", &none), INGOT_VERSION_MISMATCH,
              "plan format version 7, this ingot reads versions 1 to 3 (the plan is newer");
  RESET();
  put_u32(copy + INGOT_PLAN_OFF_FORMAT_VERSION, 0);
  RESUM();
  CHECK_FAILS(ingot_plan_read(copy, size, INGOT_TARGET_CPU, "x86_64", &none), INGOT_VERSION_MISMATCH,
              "plan format version 0, this ingot reads versions 1 to 3 (rebuild the plan)");
  /* A version-3 record read as version 2 (no flags field) is misread, never accepted. */
  RESET();
  put_u32(copy + INGOT_PLAN_OFF_FORMAT_VERSION, 2);
  RESUM();
  CHECK_FAILS(ingot_plan_read(copy, size, INGOT_TARGET_CPU, "x86_64", &none), INGOT_INVALID_PLAN, "plan");

  RESET();
  put_u32(copy + INGOT_PLAN_OFF_TARGET, INGOT_TARGET_CUDA);
  memset(copy + INGOT_PLAN_OFF_ARCH, 0, INGOT_PLAN_ARCH_SIZE);
  memcpy(copy + INGOT_PLAN_OFF_ARCH, "sm_90", 5);
  RESUM();
  CHECK_FAILS(ingot_plan_read(copy, size, INGOT_TARGET_CPU, "x86_64", &none), INGOT_VERSION_MISMATCH,
              "plan is for target cuda (sm_90), this runtime runs cpu (x86_64)");

  RESET();
  CHECK_FAILS(ingot_plan_read(copy, size, INGOT_TARGET_CPU, "aarch64", &none), INGOT_VERSION_MISMATCH,
              "plan is for target cpu (x86_64), this runtime runs cpu (aarch64)");
  put_u32(copy + INGOT_PLAN_OFF_TARGET, 9);
  CHECK_FAILS(ingot_plan_read(copy, size, INGOT_TARGET_CPU, "x86_64", &none), INGOT_VERSION_MISMATCH,
              "plan is for target 9 (unknown) (x86_64)");

  /* Arch without its NUL, and padding after it: corrupted, not another target. */
  RESET();
  memset(copy + INGOT_PLAN_OFF_ARCH, 'a', INGOT_PLAN_ARCH_SIZE);
  CHECK_FAILS(ingot_plan_read(copy, size, INGOT_TARGET_CPU, "x86_64", &none), INGOT_INVALID_PLAN, "NUL");

  /* Library version in the header must agree with the payload's copy. */
  RESET();
  put_u32(copy + INGOT_PLAN_OFF_LIBRARY_VERSION, c->library_version + 1);
  CHECK_FAILS(ingot_plan_read(copy, size, INGOT_TARGET_CPU, "x86_64", &none), INGOT_INVALID_PLAN, "library version");

  /* Trailing bytes after the declared payload. */
  uint8_t *longer = malloc(size + 3);
  memcpy(longer, plan, size);
  memset(longer + size, 0, 3);
  CHECK_FAILS(ingot_plan_read(longer, size + 3, INGOT_TARGET_CPU, "x86_64", &none), INGOT_INVALID_PLAN,
              "trailing bytes");
  free(longer);

  CHECK_FAILS(ingot_plan_read(NULL, 0, INGOT_TARGET_CPU, "x86_64", &none), INGOT_INVALID_PLAN, "plan truncated");
  CHECK_FAILS(ingot_plan_read(plan, size, INGOT_TARGET_CPU, "x86_64", NULL), INGOT_INVALID_ARGUMENT, "NULL");
  CHECK(none == NULL);
#undef RESET
#undef RESUM
  free(copy);

  /* A plan written for another target, refused naming both. */
  ingot_plan_contents cuda = *c;
  cuda.target = INGOT_TARGET_CUDA;
  memset(cuda.arch, 0, sizeof cuda.arch);
  strcpy(cuda.arch, "sm_90");
  void *cplan = NULL;
  size_t csize = 0;
  CHECK_OK(ingot_plan_write(&cuda, &cplan, &csize));
  CHECK_FAILS(read_copy(cplan, csize, INGOT_TARGET_CPU, "x86_64", &none), INGOT_VERSION_MISMATCH,
              "plan is for target cuda (sm_90), this runtime runs cpu (x86_64)");
  CHECK_OK(read_copy(cplan, csize, INGOT_TARGET_CUDA, "sm_90", &none));
  ingot_plan_contents_destroy(none);
  free(cplan);
}

/* ---- crafted plans: valid checksums around forged contents ------------------------------ */

typedef enum fault {
  FAULT_NONE,
  FAULT_TENSOR_COUNT_HUGE,
  FAULT_TENSOR_COUNT_MAX,
  FAULT_NODE_COUNT_HUGE,
  FAULT_NAME_LENGTH_HUGE,
  FAULT_NAME_NUL,
  FAULT_DATA_SIZE_HUGE,
  FAULT_NB_DIMS,
  FAULT_DIM_NEGATIVE,
  FAULT_DTYPE,
  FAULT_KIND,
  FAULT_OP,
  FAULT_PARAMS_SIZE,
  FAULT_NODE_INPUTS_HUGE,
  FAULT_NODE_INPUT_INDEX,
  FAULT_NODE_OUTPUT_INDEX,
  FAULT_NODE_OUTPUTS_COUNT,
  FAULT_PRODUCER,
  FAULT_GRAPH_OUTPUT_INDEX,
  FAULT_PROFILE_COUNT_HUGE,
  FAULT_PROFILE_ORDER,
  FAULT_ARENA_COUNT,
  FAULT_SECTION_TAG,
  FAULT_SECTION_SIZE_HUGE,
  FAULT_SECTION_EXTRA_BYTES,
  FAULT_SECTION_RESERVED,
  FAULT_TRAILING_SECTION,
  FAULT_PARAMS_INVALID,
  FAULT_TENSOR_FLAGS,
  FAULT_PACKED_ACTIVATION,
  FAULT_COUNT
} fault;

static const char *const fault_needles[FAULT_COUNT] = {
    [FAULT_TENSOR_COUNT_HUGE] = "count of tensors",
    [FAULT_TENSOR_COUNT_MAX] = "count of tensors",
    [FAULT_NODE_COUNT_HUGE] = "count of nodes",
    [FAULT_NAME_LENGTH_HUGE] = "length",
    [FAULT_NAME_NUL] = "NUL",
    [FAULT_DATA_SIZE_HUGE] = "truncated",
    [FAULT_NB_DIMS] = "9 dims",
    [FAULT_DIM_NEGATIVE] = "-5",
    [FAULT_DTYPE] = "dtype 99",
    [FAULT_KIND] = "kind 3",
    [FAULT_OP] = "op 999",
    [FAULT_PARAMS_SIZE] = "params of",
    [FAULT_NODE_INPUTS_HUGE] = "count of node inputs",
    [FAULT_NODE_INPUT_INDEX] = "tensor 99",
    [FAULT_NODE_OUTPUT_INDEX] = "tensor -3",
    [FAULT_NODE_OUTPUTS_COUNT] = "count of node outputs",
    [FAULT_PRODUCER] = "producer",
    [FAULT_GRAPH_OUTPUT_INDEX] = "tensor 42",
    [FAULT_PROFILE_COUNT_HUGE] = "count of profiles",
    [FAULT_PROFILE_ORDER] = "min <= opt <= max",
    [FAULT_ARENA_COUNT] = "arena sizes",
    [FAULT_SECTION_TAG] = "tag",
    [FAULT_SECTION_SIZE_HUGE] = "truncated",
    [FAULT_SECTION_EXTRA_BYTES] = "left unread",
    [FAULT_SECTION_RESERVED] = "reserved",
    [FAULT_TRAILING_SECTION] = "left unread",
    [FAULT_PARAMS_INVALID] = "activation type",
    [FAULT_TENSOR_FLAGS] = "flags 0x2 have undefined bits",
    [FAULT_PACKED_ACTIVATION] = "flag packed (data left out) on a tensor of kind 0",
};

static size_t sec_begin(ingot_byte_writer *w, uint32_t tag) {
  ingot_byte_write_u32(w, tag);
  ingot_byte_write_u32(w, 0);
  size_t at = w->size;
  ingot_byte_write_u64(w, 0);
  return at;
}
static void sec_end(ingot_byte_writer *w, size_t at) { ingot_byte_patch_u64(w, at, w->size - at - 8); }

static void put_dims(ingot_byte_writer *w, int32_t nb, int64_t a) {
  ingot_byte_write_i32(w, nb);
  for (int32_t i = 0; i < nb; i++) ingot_byte_write_i64(w, a);
}

/* Hand-written plan of format `version`: input x[2] -> activation(relu) -> y[2] (output);
 * one profile. One field is forged by `f`; the header and checksum are always right. */
static void craft_plan_version(fault f, uint32_t version, void **data_out, size_t *size_out) {
  ingot_byte_writer w;
  ingot_byte_writer_init(&w);
  size_t at;

  at = sec_begin(&w, INGOT_PLAN_TAG_INFO);
  ingot_byte_write_u32(&w, ingot_version());
  ingot_byte_write_i32(&w, 0);
  ingot_byte_write_u32(&w, 0);
  sec_end(&w, at);

  at = sec_begin(&w, f == FAULT_SECTION_TAG ? INGOT_PLAN_TAG('T', 'E', 'N', 'Z') : INGOT_PLAN_TAG_TENSORS);
  if (f == FAULT_SECTION_RESERVED) put_u32(w.data + at - 4, 1);
  if (f == FAULT_TENSOR_COUNT_HUGE || f == FAULT_TENSOR_COUNT_MAX) {
    ingot_byte_write_u32(&w, f == FAULT_TENSOR_COUNT_HUGE ? 0x80000000u : 0xFFFFFFFFu);
  } else {
    ingot_byte_write_u32(&w, 2);
    for (int t = 0; t < 2; t++) {
      if (t == 0 && f == FAULT_NAME_LENGTH_HUGE) {
        ingot_byte_write_u32(&w, 0xFFFFFFF0u);
      } else if (t == 0 && f == FAULT_NAME_NUL) {
        ingot_byte_write_u32(&w, 3);
        ingot_byte_write_bytes(&w, "x\0y", 3);
      } else {
        ingot_byte_write_string(&w, t == 0 ? "x" : "y", 100);
      }
      ingot_byte_write_u32(&w, t == 1 && f == FAULT_DTYPE ? 99 : INGOT_FLOAT32);
      if (t == 0 && f == FAULT_NB_DIMS)
        put_dims(&w, 9, 2);
      else if (t == 1 && f == FAULT_DIM_NEGATIVE)
        put_dims(&w, 1, -5);
      else
        put_dims(&w, 1, t == 0 ? -1 : 2);
      ingot_byte_write_u32(&w, t == 0 ? INGOT_TENSOR_KIND_INPUT : (f == FAULT_KIND ? 3 : INGOT_TENSOR_KIND_ACTIVATION));
      ingot_byte_write_u32(&w, t == 1);
      ingot_byte_write_i32(&w, t == 0 ? -1 : (f == FAULT_PRODUCER ? 5 : 0));
      if (version >= INGOT_PLAN_VERSION_TENSOR_FLAGS) {
        uint32_t flags = 0;
        if (t == 0 && f == FAULT_TENSOR_FLAGS) flags = 0x2;
        if (t == 1 && f == FAULT_PACKED_ACTIVATION) flags = INGOT_PLAN_TENSOR_PACKED;
        ingot_byte_write_u32(&w, flags);
      }
      ingot_byte_write_u64(&w, t == 1 && f == FAULT_DATA_SIZE_HUGE ? (uint64_t)1 << 63 : 0);
    }
  }
  if (f == FAULT_SECTION_EXTRA_BYTES) ingot_byte_write_u32(&w, 0);
  sec_end(&w, at);
  if (f == FAULT_SECTION_SIZE_HUGE) put_u64(w.data + at, (uint64_t)1 << 40);

  at = sec_begin(&w, INGOT_PLAN_TAG_NODES);
  if (f == FAULT_NODE_COUNT_HUGE) {
    ingot_byte_write_u32(&w, 0x7FFFFFFFu);
  } else {
    ingot_byte_write_u32(&w, 1);
    ingot_byte_write_string(&w, "relu", 100);
    ingot_byte_write_u32(&w, f == FAULT_OP ? 999 : INGOT_OP_ACTIVATION);
    ingot_op_params p;
    memset(&p, 0, sizeof p);
    p.activation.type = f == FAULT_PARAMS_INVALID ? 1000 : INGOT_ACTIVATION_RELU;
    ingot_byte_write_u32(&w, (uint32_t)sizeof p + (f == FAULT_PARAMS_SIZE ? 8 : 0));
    ingot_byte_write_bytes(&w, &p, sizeof p);
    if (f == FAULT_NODE_INPUTS_HUGE) {
      ingot_byte_write_u32(&w, 0x10000000u);
    } else {
      ingot_byte_write_u32(&w, 1);
      ingot_byte_write_i32(&w, f == FAULT_NODE_INPUT_INDEX ? 99 : 0);
    }
    ingot_byte_write_u32(&w, f == FAULT_NODE_OUTPUTS_COUNT ? INGOT_MAX_OUTPUTS + 1 : 1);
    ingot_byte_write_i32(&w, f == FAULT_NODE_OUTPUT_INDEX ? -3 : 1);
    ingot_byte_write_string(&w, "", 100);
    ingot_byte_write_string(&w, "activation_f32_reference", 100);
    ingot_byte_write_i32(&w, 1);
    ingot_byte_write_u64(&w, 0);
  }
  sec_end(&w, at);

  at = sec_begin(&w, INGOT_PLAN_TAG_INPUTS);
  ingot_byte_write_u32(&w, 1);
  ingot_byte_write_i32(&w, 0);
  sec_end(&w, at);
  at = sec_begin(&w, INGOT_PLAN_TAG_OUTPUTS);
  ingot_byte_write_u32(&w, 1);
  ingot_byte_write_i32(&w, f == FAULT_GRAPH_OUTPUT_INDEX ? 42 : 1);
  sec_end(&w, at);

  at = sec_begin(&w, INGOT_PLAN_TAG_PROFILES);
  ingot_byte_write_u32(&w, 1);
  ingot_byte_write_u32(&w, f == FAULT_PROFILE_COUNT_HUGE ? 0x40000000u : 1);
  put_dims(&w, 1, 1);
  put_dims(&w, 1, f == FAULT_PROFILE_ORDER ? 9 : 2);
  put_dims(&w, 1, 4);
  sec_end(&w, at);

  at = sec_begin(&w, INGOT_PLAN_TAG_ARENAS);
  ingot_byte_write_u32(&w, f == FAULT_ARENA_COUNT ? 2 : 1);
  ingot_byte_write_u64(&w, 64);
  if (f == FAULT_ARENA_COUNT) ingot_byte_write_u64(&w, 64);
  sec_end(&w, at);
  if (f == FAULT_TRAILING_SECTION) {
    at = sec_begin(&w, INGOT_PLAN_TAG_ARENAS);
    sec_end(&w, at);
  }

  /* Header in front, checksum over the payload. */
  ingot_byte_writer plan;
  ingot_byte_writer_init(&plan);
  ingot_byte_write_bytes(&plan, INGOT_PLAN_MAGIC, 8);
  ingot_byte_write_u32(&plan, version);
  ingot_byte_write_u32(&plan, ingot_version());
  ingot_byte_write_u32(&plan, INGOT_TARGET_CPU);
  ingot_byte_write_u32(&plan, 0);
  char arch[INGOT_PLAN_ARCH_SIZE] = "x86_64";
  ingot_byte_write_bytes(&plan, arch, sizeof arch);
  ingot_byte_write_u64(&plan, w.size);
  ingot_byte_write_u64(&plan, ingot_checksum64(w.data, w.size));
  ingot_byte_write_zeros(&plan, 8);
  CHECK(plan.size == INGOT_PLAN_HEADER_SIZE);
  ingot_byte_write_bytes(&plan, w.data, w.size);
  ingot_byte_writer_free(&w);
  CHECK_OK(ingot_byte_writer_release(&plan, data_out, size_out));
}

static void craft_plan(fault f, void **data_out, size_t *size_out) {
  craft_plan_version(f, INGOT_PLAN_FORMAT_VERSION, data_out, size_out);
}

static void test_crafted(void) {
  for (int f = 0; f < FAULT_COUNT; f++) {
    void *plan = NULL;
    size_t size = 0;
    craft_plan((fault)f, &plan, &size);
    ingot_plan_contents *back = NULL;
    ingot_status st = read_copy(plan, size, INGOT_TARGET_CPU, "x86_64", &back);
    if (f == FAULT_NONE) {
      if (st != INGOT_SUCCESS) fprintf(stderr, "crafted valid plan refused: %s\n", ingot_last_error());
      CHECK(st == INGOT_SUCCESS && back && back->graph->nb_nodes == 1 && strcmp(back->tactic_names[0],
                                                                                 "activation_f32_reference") == 0);
      CHECK(back && back->graph->tensors[0].dims.d[0] == -1 && back->graph->nodes[0].fused_name == NULL);
    } else {
      if (st != INGOT_INVALID_PLAN || strstr(ingot_last_error(), fault_needles[f]) == NULL) {
        fprintf(stderr, "fault %d: %s, message: %s (expected INGOT_INVALID_PLAN with '%s')\n", f,
                ingot_status_name(st), ingot_last_error(), fault_needles[f]);
        test_failures++;
      }
      CHECK(back == NULL);
    }
    ingot_plan_contents_destroy(back);
    free(plan);
  }
  /* Versions 1 and 2 (tensor records without flags) still read: their params bytes for
   * channels last are zero, and they keep every constant's data. */
  for (uint32_t version = 1; version < INGOT_PLAN_VERSION_TENSOR_FLAGS; version++) {
    void *plan = NULL;
    size_t size = 0;
    craft_plan_version(FAULT_NONE, version, &plan, &size);
    ingot_plan_contents *back = NULL;
    CHECK_OK(read_copy(plan, size, INGOT_TARGET_CPU, "x86_64", &back));
    CHECK(back && back->graph->nb_tensors == 2 && back->graph->nb_nodes == 1);
    ingot_plan_contents_destroy(back);
    free(plan);
  }
}

/* Graphs the writer accepts but the reader must refuse: indices out of range in a node. */
static void test_bad_graph(ingot_plan_contents *c) {
  ingot_graph *g = c->graph;
  ingot_plan_contents *none = NULL;
  void *plan;
  size_t size;
  int32_t saved = g->nodes[1].inputs[0];
  g->nodes[1].inputs[0] = 99;
  CHECK_OK(ingot_plan_write(c, &plan, &size));
  CHECK_FAILS(read_copy(plan, size, INGOT_TARGET_CPU, "x86_64", &none), INGOT_INVALID_PLAN, "tensor 99");
  free(plan);
  g->nodes[1].inputs[0] = saved;

  saved = g->outputs[0];
  g->outputs[0] = 6;
  CHECK_OK(ingot_plan_write(c, &plan, &size));
  CHECK_FAILS(read_copy(plan, size, INGOT_TARGET_CPU, "x86_64", &none), INGOT_INVALID_PLAN, "tensor 6");
  free(plan);
  g->outputs[0] = saved;

  /* Caught only by ingot_graph_validate: a node reading a tensor produced after it. */
  saved = g->nodes[1].inputs[0];
  g->nodes[1].inputs[0] = 5;
  CHECK_OK(ingot_plan_write(c, &plan, &size));
  CHECK_FAILS(read_copy(plan, size, INGOT_TARGET_CPU, "x86_64", &none), INGOT_INVALID_PLAN, "plan graph is invalid");
  free(plan);
  g->nodes[1].inputs[0] = saved;
  CHECK(none == NULL);

  /* What the writer itself refuses. */
  c->graph->nb_profiles = 0;
  CHECK_FAILS(ingot_plan_write(c, &plan, &size), INGOT_INVALID_ARGUMENT, "profiles");
  c->graph->nb_profiles = 2;
  memset(c->arch, 'a', sizeof c->arch);
  CHECK_FAILS(ingot_plan_write(c, &plan, &size), INGOT_INVALID_ARGUMENT, "arch");
  memset(c->arch, 0, sizeof c->arch);
  strcpy(c->arch, "x86_64");
  char *long_name = malloc(INGOT_PLAN_MAX_STRING + 2);
  memset(long_name, 'n', INGOT_PLAN_MAX_STRING + 1);
  long_name[INGOT_PLAN_MAX_STRING + 1] = '\0';
  char *old = g->tensors[0].name;
  g->tensors[0].name = long_name;
  CHECK_FAILS(ingot_plan_write(c, &plan, &size), INGOT_INVALID_ARGUMENT, "tensor 0");
  g->tensors[0].name = old;
  free(long_name);
}

/* ---- weights left out of the plan: held only packed by their layers ------------------- */

#define PK_N 2
#define PK_C 16
#define PK_K 32
#define PK_HW 12
#define PK_CLASSES 64
#define PK_M 64
#define PK_SEQ 5
#define PK_BATCH 2
#define PK_IN 8
#define PK_HIDDEN 16

typedef struct pk_data {
  float conv_w[PK_K * PK_C * 9], conv_b[PK_K], dw_w[PK_K * 9], fc_w[PK_CLASSES * PK_K * PK_HW * PK_HW], fc_b[PK_CLASSES];
  float shared_w[PK_M * PK_M], w2[PK_M * 32];
  float rnn_w[4 * PK_HIDDEN * PK_IN], rnn_r[4 * PK_HIDDEN * PK_HIDDEN], rnn_b[8 * PK_HIDDEN];
  float x[PK_N * PK_C * PK_HW * PK_HW], q[PK_M * PK_M], s[PK_SEQ * PK_BATCH * PK_IN];
} pk_data;

/* Outputs of one inference, by name. */
typedef struct pk_outputs {
  float probs[PK_N * PK_CLASSES], z[PK_M * PK_M], m2[PK_M * 32], y[PK_SEQ * PK_BATCH * PK_HIDDEN];
} pk_outputs;

static ingot_tensor *pk_constant(ingot_network *net, const char *name, int32_t nb, const int64_t *d, float *v) {
  ingot_dims dims;
  memset(&dims, 0, sizeof dims);
  dims.nb_dims = nb;
  int64_t count = 1;
  for (int32_t i = 0; i < nb; i++) count *= (dims.d[i] = d[i]);
  ingot_layer *layer = NULL;
  CHECK_OK(ingot_network_add_constant(net, &dims, (ingot_weights){INGOT_FLOAT32, v, count}, &layer));
  ingot_tensor *t = layer ? ingot_layer_get_output(layer, 0) : NULL;
  if (t) CHECK_OK(ingot_tensor_set_name(t, name));
  return t;
}

static void pk_name_output(ingot_network *net, ingot_layer *layer, const char *name) {
  ingot_tensor *t = layer ? ingot_layer_get_output(layer, 0) : NULL;
  CHECK(t != NULL);
  if (!t) return;
  CHECK_OK(ingot_tensor_set_name(t, name));
  CHECK_OK(ingot_network_mark_output(net, t));
}

/* Four branches, each a kind of layer whose CPU tactic packs its weights:
 *   x [2,16,12,12] -> conv 3x3 (32 maps, bias) "conv1" -> relu -> depthwise 3x3 "conv2"
 *     -> relu -> fully connected (10, bias) "fc" -> softmax -> probs
 *   q [64,64] -> matmul by shared_w "mm1" -> relu -> + shared_w "add_w" -> z  (shared_w is
 *     read packed by mm1 and plainly by add_w: it must keep its data)
 *   q -> matmul by w2 [64,32] "mm2" -> m2
 *   s [5,2,8] -> LSTM (hidden 16; W, R, B constants) "lstm" -> y */
static ingot_network *pk_network(pk_data *d) {
  uint64_t seed = 7;
  float *all[] = {d->conv_w, d->conv_b, d->dw_w, d->fc_w, d->fc_b, d->shared_w, d->w2, d->rnn_w, d->rnn_r, d->rnn_b,
                  d->x, d->q, d->s};
  size_t sizes[] = {sizeof d->conv_w, sizeof d->conv_b, sizeof d->dw_w, sizeof d->fc_w, sizeof d->fc_b,
                    sizeof d->shared_w, sizeof d->w2, sizeof d->rnn_w, sizeof d->rnn_r, sizeof d->rnn_b,
                    sizeof d->x, sizeof d->q, sizeof d->s};
  for (size_t a = 0; a < sizeof all / sizeof all[0]; a++)
    for (size_t i = 0; i < sizes[a] / sizeof(float); i++) all[a][i] = test_randf(&seed) * 0.25f;
  ingot_network *net = NULL;
  CHECK_OK(ingot_network_create(NULL, &net));
  ingot_tensor *x = NULL, *q = NULL, *s = NULL;
  ingot_dims xd = {4, {PK_N, PK_C, PK_HW, PK_HW}}, qd = {2, {PK_M, PK_M}}, sd = {3, {PK_SEQ, PK_BATCH, PK_IN}};
  CHECK_OK(ingot_network_add_input(net, "x", INGOT_FLOAT32, &xd, &x));
  CHECK_OK(ingot_network_add_input(net, "q", INGOT_FLOAT32, &qd, &q));
  CHECK_OK(ingot_network_add_input(net, "s", INGOT_FLOAT32, &sd, &s));

  /* 3x3, padding 1: conv1 (32 maps, bias), then conv2 depthwise (one group per map) */
  ingot_convolution_desc cd = {.nb_spatial_dims = 2, .num_output_maps = PK_K, .kernel_size = {3, 3},
                               .pre_padding = {1, 1}, .post_padding = {1, 1},
                               .kernel_weights = {INGOT_FLOAT32, d->conv_w, PK_K * PK_C * 9},
                               .bias_weights = {INGOT_FLOAT32, d->conv_b, PK_K}};
  ingot_layer *conv1 = NULL, *relu1 = NULL, *conv2 = NULL, *relu2 = NULL, *fc = NULL, *sm = NULL;
  CHECK_OK(ingot_network_add_convolution(net, x, &cd, &conv1));
  CHECK_OK(ingot_layer_set_name(conv1, "conv1"));
  CHECK_OK(ingot_network_add_activation(net, ingot_layer_get_output(conv1, 0), INGOT_ACTIVATION_RELU, 0, 0, &relu1));
  cd.groups = PK_K;
  cd.kernel_weights = (ingot_weights){INGOT_FLOAT32, d->dw_w, PK_K * 9};
  cd.bias_weights = (ingot_weights){INGOT_FLOAT32, NULL, 0};
  CHECK_OK(ingot_network_add_convolution(net, ingot_layer_get_output(relu1, 0), &cd, &conv2));
  CHECK_OK(ingot_layer_set_name(conv2, "conv2"));
  CHECK_OK(ingot_network_add_activation(net, ingot_layer_get_output(conv2, 0), INGOT_ACTIVATION_RELU, 0, 0, &relu2));
  CHECK_OK(ingot_network_add_fully_connected(net, ingot_layer_get_output(relu2, 0), PK_CLASSES,
                                             (ingot_weights){INGOT_FLOAT32, d->fc_w, PK_CLASSES * PK_K * PK_HW * PK_HW},
                                             (ingot_weights){INGOT_FLOAT32, d->fc_b, PK_CLASSES}, &fc));
  CHECK_OK(ingot_layer_set_name(fc, "fc"));
  CHECK_OK(ingot_network_add_softmax(net, ingot_layer_get_output(fc, 0), 1, &sm));
  pk_name_output(net, sm, "probs");

  ingot_tensor *shared = pk_constant(net, "shared_w", 2, (const int64_t[]){PK_M, PK_M}, d->shared_w);
  ingot_tensor *w2 = pk_constant(net, "w2", 2, (const int64_t[]){PK_M, 32}, d->w2);
  ingot_layer *mm1 = NULL, *relu3 = NULL, *add = NULL, *mm2 = NULL, *lstm = NULL;
  CHECK_OK(ingot_network_add_matrix_multiply(net, q, INGOT_MATRIX_OP_NONE, shared, INGOT_MATRIX_OP_NONE, &mm1));
  CHECK_OK(ingot_layer_set_name(mm1, "mm1"));
  CHECK_OK(ingot_network_add_activation(net, ingot_layer_get_output(mm1, 0), INGOT_ACTIVATION_RELU, 0, 0, &relu3));
  CHECK_OK(ingot_network_add_elementwise(net, ingot_layer_get_output(relu3, 0), shared, INGOT_ELEMENTWISE_SUM, &add));
  CHECK_OK(ingot_layer_set_name(add, "add_w"));
  pk_name_output(net, add, "z");
  CHECK_OK(ingot_network_add_matrix_multiply(net, q, INGOT_MATRIX_OP_NONE, w2, INGOT_MATRIX_OP_NONE, &mm2));
  CHECK_OK(ingot_layer_set_name(mm2, "mm2"));
  pk_name_output(net, mm2, "m2");

  ingot_tensor *rw = pk_constant(net, "lstm_w", 3, (const int64_t[]){1, 4 * PK_HIDDEN, PK_IN}, d->rnn_w);
  ingot_tensor *rr = pk_constant(net, "lstm_r", 3, (const int64_t[]){1, 4 * PK_HIDDEN, PK_HIDDEN}, d->rnn_r);
  ingot_tensor *rb = pk_constant(net, "lstm_b", 2, (const int64_t[]){1, 8 * PK_HIDDEN}, d->rnn_b);
  ingot_rnn_desc rd;
  memset(&rd, 0, sizeof rd);
  rd.cell = INGOT_RNN_CELL_LSTM;
  rd.direction = INGOT_RNN_FORWARD;
  rd.hidden_size = PK_HIDDEN;
  CHECK_OK(ingot_network_add_rnn(net, s, rw, rr, rb, &rd, &lstm));
  CHECK_OK(ingot_layer_set_name(lstm, "lstm"));
  pk_name_output(net, lstm, "y");
  return net;
}

static ingot_plan *pk_build(ingot_network *net, uint32_t sources) {
  ingot_builder *builder = NULL;
  ingot_builder_config *config = NULL;
  ingot_plan *plan = NULL;
  CHECK_OK(ingot_builder_create(NULL, &builder));
  CHECK_OK(ingot_builder_config_create(&config));
  CHECK_OK(ingot_builder_config_set_tactic_sources(config, sources));
  CHECK_OK(ingot_builder_config_set_timing_iterations(config, 0));
  CHECK_OK(ingot_builder_build_serialized_network(builder, net, config, &plan));
  ingot_builder_config_destroy(config);
  ingot_builder_destroy(builder);
  return plan;
}

/* Loads plan bytes and runs one inference; the status of loading (the rest is checked). */
static ingot_status pk_run(const void *plan, size_t size, pk_data *d, pk_outputs *out) {
  ingot_runtime *runtime = NULL;
  ingot_engine *engine = NULL;
  CHECK_OK(ingot_runtime_create(NULL, &runtime));
  ingot_status st = ingot_runtime_deserialize_engine(runtime, plan, size, &engine);
  if (st == INGOT_SUCCESS) {
    ingot_execution_context *ctx = NULL;
    memset(out, 0, sizeof *out);
    CHECK_OK(ingot_engine_create_execution_context(engine, &ctx));
    if (ctx) {
      const char *names[] = {"x", "q", "s", "probs", "z", "m2", "y"};
      void *buffers[] = {d->x, d->q, d->s, out->probs, out->z, out->m2, out->y};
      for (int i = 0; i < 7; i++) CHECK_OK(ingot_execution_context_set_tensor_address(ctx, names[i], buffers[i]));
      CHECK_OK(ingot_execution_context_execute(ctx));
      ingot_execution_context_destroy(ctx);
    }
    ingot_engine_destroy(engine);
  }
  ingot_runtime_destroy(runtime);
  return st;
}

static const ingot_node *pk_node(const ingot_graph *g, const char *name) {
  for (int32_t i = 0; i < g->nb_nodes; i++)
    if (strcmp(g->nodes[i].name, name) == 0) return &g->nodes[i];
  fprintf(stderr, "no layer named '%s' in the plan\n", name);
  test_failures++;
  return NULL;
}

static int32_t pk_tensor(const ingot_graph *g, const char *name) {
  int32_t t = ingot_graph_find_tensor(g, name);
  if (t < 0) {
    fprintf(stderr, "no tensor named '%s' in the plan\n", name);
    test_failures++;
  }
  return t;
}

/* Rewrites a plan read back (its contents edited) and checks what loading it says. */
static void pk_expect_refused(ingot_plan_contents *c, pk_data *d, const char *needle_a, const char *needle_b) {
  void *bytes = NULL;
  size_t size = 0;
  CHECK_OK(ingot_plan_write(c, &bytes, &size)); /* the writer puts header and checksum right */
  pk_outputs out;
  ingot_clear_last_error();
  ingot_status st = bytes ? pk_run(bytes, size, d, &out) : INGOT_INTERNAL_ERROR;
  if (st != INGOT_INVALID_PLAN || !strstr(ingot_last_error(), needle_a) || !strstr(ingot_last_error(), needle_b)) {
    fprintf(stderr, "forged plan: %s (%s), expected INGOT_INVALID_PLAN naming '%s' and '%s'\n",
            ingot_status_name(st), ingot_last_error(), needle_a, needle_b);
    test_failures++;
  }
  free(bytes);
}

static void test_packed_weights(void) {
  static pk_data d;
  ingot_network *net = pk_network(&d);
  ingot_plan *plan = pk_build(net, INGOT_TACTIC_SOURCE_INGOT);
  ingot_plan *ref_plan = pk_build(net, 0); /* the reference kernels: they pack nothing */
  CHECK(plan && ref_plan);
  if (!plan || !ref_plan) {
    ingot_plan_destroy(plan);
    ingot_plan_destroy(ref_plan);
    ingot_network_destroy(net);
    return;
  }
  const void *bytes = ingot_plan_data(plan);
  size_t size = ingot_plan_size(plan);
  ingot_plan_contents *c = NULL;
  CHECK_OK(read_copy(bytes, size, INGOT_TARGET_CPU, NULL, &c));
  if (!c) {
    ingot_plan_destroy(plan);
    ingot_plan_destroy(ref_plan);
    ingot_network_destroy(net);
    return;
  }
  const ingot_graph *g = c->graph;

  /* Each packing layer's weights are in the plan only as its packed block. */
  const char *packing[] = {"conv1", "conv2", "fc", "mm2", "lstm"};
  for (size_t i = 0; i < sizeof packing / sizeof packing[0]; i++) {
    const ingot_node *n = pk_node(g, packing[i]);
    if (!n) continue;
    const ingot_tactic *t = ingot_backend_find_tactic(ingot_cpu_backend(), c->tactic_names[n - g->nodes],
                                                      c->tactic_versions[n - g->nodes]);
    CHECK(t && (t->packed_inputs & 2u) && n->prepared && n->prepared_size > 0);
    const ingot_graph_tensor *w = &g->tensors[n->inputs[1]];
    if (!w->data_packed || w->data || w->data_size)
      fprintf(stderr, "layer %s (%s): its weights '%s' are in the plan\n", packing[i], t ? t->name : "?", w->name);
    CHECK(w->data_packed && !w->data && w->data_size == 0);
    if (strcmp(packing[i], "lstm") == 0) CHECK(g->tensors[n->inputs[2]].data_packed); /* R */
    if (strcmp(packing[i], "fc") == 0) CHECK(!g->tensors[n->inputs[2]].data_packed && g->tensors[n->inputs[2]].data);
  }
  /* shared_w: packed by mm1 (slot 1), but add_w reads its data: kept. */
  const ingot_node *mm1 = pk_node(g, "mm1");
  int32_t shared = pk_tensor(g, "shared_w");
  CHECK(mm1 && shared >= 0 && mm1->inputs[1] == shared && mm1->prepared && mm1->prepared_size > 0);
  if (shared >= 0)
    CHECK(!g->tensors[shared].data_packed && g->tensors[shared].data &&
          g->tensors[shared].data_size == sizeof d.shared_w);

  /* The plan is the weights about once, not twice. */
  uint64_t weights = 0, left_out = 0;
  for (int32_t t = 0; t < g->nb_tensors; t++) {
    const ingot_graph_tensor *gt = &g->tensors[t];
    if (gt->kind != INGOT_TENSOR_KIND_CONSTANT) continue;
    uint64_t bytes_t = (uint64_t)ingot_dims_volume(&gt->dims) * ingot_dtype_size(gt->dtype);
    weights += bytes_t;
    if (gt->data_packed) left_out += bytes_t;
  }
  printf("packed weights: plan of %zu bytes for %llu bytes of weights (%llu left out); reference-kernel plan %zu bytes\n",
         size, (unsigned long long)weights, (unsigned long long)left_out, ingot_plan_size(ref_plan));
  CHECK((double)size < 1.5 * (double)weights);
  CHECK(left_out > weights / 2);

  /* It runs, and as the reference kernels do. */
  pk_outputs out, ref;
  CHECK_OK(pk_run(bytes, size, &d, &out));
  CHECK_OK(pk_run(ingot_plan_data(ref_plan), ingot_plan_size(ref_plan), &d, &ref));
  const float *a = (const float *)&out, *b = (const float *)&ref;
  int bad = 0;
  for (size_t i = 0; i < sizeof out / sizeof(float); i++)
    if (!(fabsf(a[i] - b[i]) <= 1e-4f * (1.0f + fabsf(b[i])))) bad++;
  CHECK(bad == 0);

  /* The same plan with every left-out constant put back, as NaN: a plan that holds the
   * weights twice (before format 3), poisoned. Its outputs equal the first exactly: no
   * kernel read those weights. */
  ingot_plan_contents *full = NULL;
  CHECK_OK(read_copy(bytes, size, INGOT_TARGET_CPU, NULL, &full));
  for (int32_t t = 0; full && t < full->graph->nb_tensors; t++) {
    ingot_graph_tensor *gt = &full->graph->tensors[t];
    if (!gt->data_packed) continue;
    int64_t n = ingot_dims_volume(&gt->dims);
    float *nan = malloc(sizeof(float) * (size_t)n + 4);
    for (int64_t i = 0; i < n; i++) nan[i] = NAN;
    CHECK_OK(ingot_graph_set_constant(full->graph, t, nan, (uint64_t)n * sizeof(float)));
    CHECK(!gt->data_packed);
    free(nan);
  }
  void *full_bytes = NULL;
  size_t full_size = 0;
  if (full) CHECK_OK(ingot_plan_write(full, &full_bytes, &full_size));
  CHECK(full_bytes && full_size >= size + left_out);
  pk_outputs again;
  if (full_bytes) {
    CHECK_OK(pk_run(full_bytes, full_size, &d, &again));
    CHECK(memcmp(&again, &out, sizeof out) == 0);
  }
  free(full_bytes);
  ingot_plan_contents_destroy(full);

  /* Forged: a kept constant marked left out while a layer reads its data (shared_w, read
   * by add_w), refused naming both. The graph reads and validates: only binding the
   * tactics finds it. */
  if (shared >= 0) {
    ingot_graph_tensor *gt = &c->graph->tensors[shared];
    void *saved = gt->data;
    gt->data = NULL;
    gt->data_size = 0;
    gt->data_packed = true;
    pk_expect_refused(c, &d, "'shared_w'", "layer 'add_w'");
    gt->data = saved;
    gt->data_size = sizeof d.shared_w;
    gt->data_packed = false;
  }
  /* A bias (slot 2, not packed by fc_f32_gemm) marked left out. */
  const ingot_node *fc = pk_node(g, "fc");
  if (fc) {
    ingot_graph_tensor *gt = &c->graph->tensors[fc->inputs[2]];
    void *saved = gt->data;
    uint64_t saved_size = gt->data_size;
    gt->data = NULL;
    gt->data_size = 0;
    gt->data_packed = true;
    pk_expect_refused(c, &d, gt->name, "reads that input's data");
    gt->data = saved;
    gt->data_size = saved_size;
    gt->data_packed = false;
    /* fc's weights left out, but its packed block gone. */
    ingot_node *n = &c->graph->nodes[fc - g->nodes];
    uint64_t prepared_size = n->prepared_size;
    n->prepared_size = 0;
    pk_expect_refused(c, &d, c->graph->tensors[n->inputs[1]].name, "has no packed data");
    n->prepared_size = prepared_size;
  }
  /* Untouched, the contents write the same plan again (the flags kept as read). */
  void *rewritten = NULL;
  size_t rewritten_size = 0;
  CHECK_OK(ingot_plan_write(c, &rewritten, &rewritten_size));
  CHECK(rewritten && rewritten_size == size && memcmp(rewritten, bytes, size) == 0);
  free(rewritten);

  ingot_plan_contents_destroy(c);
  ingot_plan_destroy(plan);
  ingot_plan_destroy(ref_plan);
  ingot_network_destroy(net);
}

static void test_byte_io(void) {
  ingot_byte_writer w;
  ingot_byte_writer_init(&w);
  CHECK_OK(ingot_byte_write_u8(&w, 0xAB));
  CHECK_OK(ingot_byte_write_u32(&w, 0x01020304u));
  CHECK_OK(ingot_byte_write_i64(&w, -2));
  CHECK_OK(ingot_byte_write_f32(&w, 1.5f));
  CHECK_OK(ingot_byte_write_string(&w, "hello", 16));
  CHECK_FAILS(ingot_byte_write_string(&w, "too long", 3), INGOT_INVALID_ARGUMENT, "longer");
  CHECK(w.status == INGOT_INVALID_ARGUMENT); /* sticky */
  CHECK(w.size == 1 + 4 + 8 + 4 + 4 + 5);
  CHECK(w.data[1] == 0x04 && w.data[4] == 0x01); /* little-endian */
  w.status = INGOT_SUCCESS;
  void *data;
  size_t size;
  CHECK_OK(ingot_byte_writer_release(&w, &data, &size));
  ingot_byte_reader r;
  ingot_byte_reader_init(&r, data, size, "test bytes", INGOT_INVALID_PLAN);
  uint8_t u8;
  uint32_t u32;
  int64_t i64;
  float f;
  char *s;
  CHECK_OK(ingot_byte_read_u8(&r, &u8));
  CHECK_OK(ingot_byte_read_u32(&r, &u32));
  CHECK_OK(ingot_byte_read_i64(&r, &i64));
  CHECK_OK(ingot_byte_read_f32(&r, &f));
  CHECK_OK(ingot_byte_read_string(&r, 16, "greeting", &s));
  CHECK(u8 == 0xAB && u32 == 0x01020304u && i64 == -2 && f == 1.5f && s && strcmp(s, "hello") == 0);
  free(s);
  CHECK_OK(ingot_byte_reader_expect_end(&r));
  CHECK_FAILS(ingot_byte_read_u32(&r, &u32), INGOT_INVALID_PLAN, "test bytes truncated");
  CHECK(ingot_byte_reader_remaining(&r) == 0);
  r.pos = 5; /* at the i64: a string whose length is its low bytes (0xfffffffe) */
  CHECK_FAILS(ingot_byte_read_string(&r, 4096, "name", &s), INGOT_INVALID_PLAN, "at most 4096");
  r.pos = 0;
  CHECK_FAILS(ingot_byte_read_count(&r, 1, 10, "things", &u32), INGOT_INVALID_PLAN, "at most 10"); /* 0x020304ab */
  free(data);
}

int main(void) {
  test_byte_io();
  ingot_plan_contents *c = make_contents();
  if (!c) TEST_EXIT();
  void *plan = NULL;
  size_t size = 0;
  CHECK_OK(ingot_plan_write(c, &plan, &size));
  CHECK(plan != NULL && size > INGOT_PLAN_HEADER_SIZE);
  if (plan) {
    CHECK(memcmp(plan, INGOT_PLAN_MAGIC, 8) == 0);
    test_round_trip(c, plan, size);
    test_truncation(plan, size);
    test_bit_flips(plan, size);
    test_header_forgeries(c, plan, size);
  }
  test_crafted();
  test_bad_graph(c);
  test_packed_weights();
  free(plan);
  ingot_plan_contents_destroy(c);
  TEST_EXIT();
}
