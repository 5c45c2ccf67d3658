/* Plan reader: parses plan bytes (layout at the top of plan_writer.c) with bounds-checked
 * reads only. Any structural problem is refused with INGOT_INVALID_PLAN before the graph
 * reaches the runtime, so no kernel ever sees an index, enum or size out of range.
 * The bytes are only read; everything kept is copied (constants into 64-byte aligned
 * blocks), so the caller may free its buffer as soon as this returns. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/checksum.h"
#include "core/error.h"
#include "ingot/builder.h"
#include "plan/byte_io.h"
#include "plan/plan_sections.h"
#include "plugin/plugin_internal.h"

/* Smallest encodings, for checking counts against the bytes left before allocating. */
#define TENSOR_MIN_BYTES (4u + 4u + 4u + 4u + 4u + 4u + 8u) /* name dtype dims kind out producer size */
#define TENSOR_FLAGS_BYTES 4u /* and flags, from format version 3 */
#define NODE_MIN_BYTES (4u + 4u + 4u + (uint32_t)sizeof(ingot_op_params) + 4u + 4u + 4u + 4u + 4u + 8u)
#define PROFILE_ENTRY_MIN_BYTES (3u * 4u) /* min, opt, max of rank 0 */

static const char *target_name(uint32_t target) {
  switch (target) {
    case INGOT_TARGET_CPU: return "cpu";
    case INGOT_TARGET_CUDA: return "cuda";
  }
  return "unknown";
}

/* A failure of a graph function on plan data is the plan's fault, not the caller's:
 * report it as INVALID_PLAN, naming where in the plan it came from. */
static ingot_status as_plan_error(ingot_status st, const char *what, uint32_t index) {
  if (st == INGOT_SUCCESS || st == INGOT_OUT_OF_MEMORY) return st;
  ingot_error_prefix("plan %s %u", what, index);
  return INGOT_INVALID_PLAN;
}

/* ---- header ---------------------------------------------------------------------------- */

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

/* The magic as found, printable or in hex, for the message. */
static void describe_magic(const uint8_t *p, size_t n, char *buf, size_t size) {
  bool printable = true;
  for (size_t i = 0; i < n; i++) printable = printable && isprint(p[i]);
  if (printable) {
    snprintf(buf, size, "'%.*s'", (int)n, (const char *)p);
    return;
  }
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && len + 3 < size; i++) len += (size_t)snprintf(buf + len, size - len, "%02x", p[i]);
}

static ingot_status check_header(const uint8_t *p, size_t size, int32_t expected_target, const char *expected_arch,
                                 uint32_t *library_version_out, uint32_t *format_version_out) {
  size_t magic_len = size < 8 ? size : 8;
  if (memcmp(p, INGOT_PLAN_MAGIC, magic_len) != 0) {
    char found[32];
    describe_magic(p, magic_len, found, sizeof found);
    return ingot_fail(INGOT_INVALID_PLAN, "not an ingot plan (magic %s, expected '%s')", found, INGOT_PLAN_MAGIC);
  }
  if (size < INGOT_PLAN_HEADER_SIZE)
    return ingot_fail(INGOT_INVALID_PLAN, "plan truncated: %zu bytes, shorter than the %u-byte header", size,
                      INGOT_PLAN_HEADER_SIZE);
  uint32_t version = le32(p + INGOT_PLAN_OFF_FORMAT_VERSION);
  if (version < INGOT_PLAN_FORMAT_VERSION_MIN || version > INGOT_PLAN_FORMAT_VERSION)
    return ingot_fail(INGOT_VERSION_MISMATCH, "plan format version %u, this ingot reads versions %u to %u%s", version,
                      INGOT_PLAN_FORMAT_VERSION_MIN, INGOT_PLAN_FORMAT_VERSION,
                      version > INGOT_PLAN_FORMAT_VERSION ? " (the plan is newer: rebuild it, or use a newer ingot)"
                                                          : " (rebuild the plan)");

  const char *arch = (const char *)p + INGOT_PLAN_OFF_ARCH;
  const char *nul = memchr(arch, '\0', INGOT_PLAN_ARCH_SIZE);
  if (!nul)
    return ingot_fail(INGOT_INVALID_PLAN, "plan header arch '%.*s' is not NUL-terminated (corrupted)",
                      (int)INGOT_PLAN_ARCH_SIZE, arch);
  /* Printable, so that a flipped bit never shows as the same name in the message. */
  for (const char *q = arch; q < nul; q++)
    if (!isprint((unsigned char)*q))
      return ingot_fail(INGOT_INVALID_PLAN, "plan header arch has byte 0x%02x at offset %d (corrupted)",
                        (unsigned char)*q, (int)(q - (const char *)p));
  for (const char *q = nul; q < arch + INGOT_PLAN_ARCH_SIZE; q++)
    if (*q != '\0')
      return ingot_fail(INGOT_INVALID_PLAN, "plan header arch padding has byte 0x%02x at offset %d (corrupted)",
                        (unsigned char)*q, (int)(q - (const char *)p));
  uint32_t target = le32(p + INGOT_PLAN_OFF_TARGET);
  bool target_ok = expected_target < 0 || target == (uint32_t)expected_target;
  bool arch_ok = expected_arch == NULL || strcmp(arch, expected_arch) == 0;
  if (!target_ok || !arch_ok) {
    char plan_target[32], our_target[32];
    if (target <= INGOT_TARGET_CUDA)
      snprintf(plan_target, sizeof plan_target, "%s", target_name(target));
    else
      snprintf(plan_target, sizeof plan_target, "%u (unknown)", target);
    snprintf(our_target, sizeof our_target, "%s", expected_target < 0 ? "any" : target_name((uint32_t)expected_target));
    return ingot_fail(INGOT_VERSION_MISMATCH, "plan is for target %s (%s), this runtime runs %s (%s)", plan_target,
                      arch, our_target, expected_arch ? expected_arch : "any");
  }

  uint32_t reserved = le32(p + INGOT_PLAN_OFF_RESERVED);
  if (reserved != 0)
    return ingot_fail(INGOT_INVALID_PLAN, "plan header reserved field is 0x%08x, expected 0 (corrupted)", reserved);
  for (size_t i = INGOT_PLAN_OFF_TAIL; i < INGOT_PLAN_HEADER_SIZE; i++)
    if (p[i] != 0)
      return ingot_fail(INGOT_INVALID_PLAN, "plan header reserved byte %zu is 0x%02x, expected 0 (corrupted)", i,
                        p[i]);

  uint64_t payload_size = le64(p + INGOT_PLAN_OFF_PAYLOAD_SIZE);
  size_t have = size - INGOT_PLAN_HEADER_SIZE;
  if (payload_size > have)
    return ingot_fail(INGOT_INVALID_PLAN, "plan truncated: %zu bytes, header declares %llu (%u + %llu payload)", size,
                      (unsigned long long)payload_size + INGOT_PLAN_HEADER_SIZE, INGOT_PLAN_HEADER_SIZE,
                      (unsigned long long)payload_size);
  if (payload_size < have)
    return ingot_fail(INGOT_INVALID_PLAN, "plan has %zu bytes, header declares %llu (trailing bytes)", size,
                      (unsigned long long)payload_size + INGOT_PLAN_HEADER_SIZE);
  uint64_t declared = le64(p + INGOT_PLAN_OFF_CHECKSUM);
  uint64_t actual = ingot_checksum64(p + INGOT_PLAN_HEADER_SIZE, have);
  if (declared != actual)
    return ingot_fail(INGOT_INVALID_PLAN, "plan checksum mismatch (corrupted): header says %016llx, payload hashes to %016llx",
                      (unsigned long long)declared, (unsigned long long)actual);
  *library_version_out = le32(p + INGOT_PLAN_OFF_LIBRARY_VERSION);
  *format_version_out = version;
  return INGOT_SUCCESS;
}

/* ---- fields ---------------------------------------------------------------------------- */

/* Rank -1 (not known) is allowed for a tensor's dims only (activations whose rank the
 * builder left open), never for profile bounds. */
static ingot_status read_dims(ingot_byte_reader *r, const char *field, bool allow_unknown_rank, ingot_dims *dims) {
  memset(dims, 0, sizeof *dims);
  size_t at = ingot_byte_reader_offset(r);
  int32_t nb;
  INGOT_TRY(ingot_byte_read_i32(r, &nb));
  int32_t lowest = allow_unknown_rank ? -1 : 0;
  if (nb < lowest || nb > INGOT_MAX_DIMS)
    return ingot_fail(INGOT_INVALID_PLAN, "%s: %s at offset %zu has %d dims, expected %d..%d", r->what, field, at, nb,
                      lowest, INGOT_MAX_DIMS);
  dims->nb_dims = nb;
  for (int32_t i = 0; i < nb; i++) {
    INGOT_TRY(ingot_byte_read_i64(r, &dims->d[i]));
    if (dims->d[i] < -1)
      return ingot_fail(INGOT_INVALID_PLAN, "%s: %s at offset %zu has dim %d = %lld, expected >= -1", r->what, field,
                        at, i, (long long)dims->d[i]);
  }
  return INGOT_SUCCESS;
}

/* Bytes of a concrete tensor, or UINT64_MAX when dynamic, past 2^62 elements or past
 * 2^64 bytes. */
static uint64_t dense_bytes(const ingot_dims *dims, ingot_dtype dtype) {
  if (dims->nb_dims < 0) return UINT64_MAX;
  uint64_t volume = 1;
  for (int32_t i = 0; i < dims->nb_dims; i++) {
    if (dims->d[i] < 0) return UINT64_MAX;
    if (dims->d[i] != 0 && volume > (UINT64_C(1) << 62) / (uint64_t)dims->d[i]) return UINT64_MAX;
    volume *= (uint64_t)dims->d[i];
  }
  uint64_t size = ingot_dtype_size(dtype);
  return size && volume > UINT64_MAX / size ? UINT64_MAX : volume * size;
}

/* ---- sections -------------------------------------------------------------------------- */

typedef struct plan_parse {
  ingot_plan_contents *c;
  ingot_graph *g;
  uint32_t header_library_version;
  uint32_t format_version;
} plan_parse;

static ingot_status read_info(plan_parse *ps, ingot_byte_reader *r) {
  ingot_plan_contents *c = ps->c;
  INGOT_TRY(ingot_byte_read_u32(r, &c->library_version));
  INGOT_TRY(ingot_byte_read_i32(r, &c->num_threads));
  INGOT_TRY(ingot_byte_read_u32(r, &c->builder_flags));
  if (c->library_version != ps->header_library_version)
    return ingot_fail(INGOT_INVALID_PLAN, "plan library version %u in the header but %u in the payload (corrupted)",
                      ps->header_library_version, c->library_version);
  /* The builder and contexts allow 0 to 1024; a forged count would start that many
   * threads in every context (the fuzzer found one of millions). */
  if (c->num_threads < 0 || c->num_threads > 1024)
    return ingot_fail(INGOT_INVALID_PLAN, "plan num_threads is %d, expected 0 to 1024", c->num_threads);
  if (c->builder_flags >> INGOT_BUILDER_FLAG_COUNT)
    return ingot_fail(INGOT_INVALID_PLAN, "plan builder flags 0x%x have bits above flag %d", c->builder_flags,
                      INGOT_BUILDER_FLAG_COUNT - 1);
  return INGOT_SUCCESS;
}

static ingot_status read_one_tensor(plan_parse *ps, ingot_byte_reader *r, uint32_t i, const char *name) {
  ingot_graph *g = ps->g;
  uint32_t dtype, kind, is_output, flags = 0;
  int32_t producer;
  ingot_dims dims;
  uint64_t data_size;
  const uint8_t *data;
  INGOT_TRY(ingot_byte_read_u32(r, &dtype));
  INGOT_TRY(read_dims(r, "tensor dims", true, &dims));
  INGOT_TRY(ingot_byte_read_u32(r, &kind));
  INGOT_TRY(ingot_byte_read_u32(r, &is_output));
  INGOT_TRY(ingot_byte_read_i32(r, &producer));
  if (ps->format_version >= INGOT_PLAN_VERSION_TENSOR_FLAGS) INGOT_TRY(ingot_byte_read_u32(r, &flags));
  INGOT_TRY(ingot_byte_read_u64(r, &data_size));
  INGOT_TRY(ingot_byte_read_view(r, data_size, &data));
  if (dtype >= INGOT_DTYPE_COUNT)
    return ingot_fail(INGOT_INVALID_PLAN, "plan tensor %u ('%s'): dtype %u out of range 0..%d", i, name, dtype,
                      INGOT_DTYPE_COUNT - 1);
  if (kind > INGOT_TENSOR_KIND_CONSTANT)
    return ingot_fail(INGOT_INVALID_PLAN, "plan tensor %u ('%s'): kind %u out of range 0..%d", i, name, kind,
                      INGOT_TENSOR_KIND_CONSTANT);
  if (is_output > 1)
    return ingot_fail(INGOT_INVALID_PLAN, "plan tensor %u ('%s'): is_output is %u, expected 0 or 1", i, name,
                      is_output);
  if (producer < -1)
    return ingot_fail(INGOT_INVALID_PLAN, "plan tensor %u ('%s'): producer %d, expected a node index or -1", i, name,
                      producer);
  if (flags & ~INGOT_PLAN_TENSOR_FLAGS)
    return ingot_fail(INGOT_INVALID_PLAN, "plan tensor %u ('%s'): flags 0x%x have undefined bits (0x%x defined)", i,
                      name, flags, INGOT_PLAN_TENSOR_FLAGS);
  bool packed = (flags & INGOT_PLAN_TENSOR_PACKED) != 0;
  /* its size is only claimed (no bytes back it): held to the 1 TiB of any tensor */
  if (packed && (kind != INGOT_TENSOR_KIND_CONSTANT || is_output || data_size > 0 ||
                 dense_bytes(&dims, (ingot_dtype)dtype) >= ((uint64_t)1 << 40)))
    return ingot_fail(INGOT_INVALID_PLAN,
                      "plan tensor %u ('%s'): flag packed (data left out) on a tensor of kind %u, is_output %u, with "
                      "%llu bytes of data: only a constant of concrete dims under 1 TiB that is not an output, "
                      "without data, may have it", i, name, kind, is_output, (unsigned long long)data_size);
  if (data_size > 0) {
    if (kind != INGOT_TENSOR_KIND_CONSTANT)
      return ingot_fail(INGOT_INVALID_PLAN, "plan tensor %u ('%s'): %llu bytes of data on a tensor of kind %u, only constants have data",
                        i, name, (unsigned long long)data_size, kind);
    uint64_t expected = dense_bytes(&dims, (ingot_dtype)dtype);
    if (data_size != expected)
      return ingot_fail(INGOT_INVALID_PLAN, "plan tensor %u ('%s'): %llu bytes of data, its dims and dtype need %llu", i,
                        name, (unsigned long long)data_size, (unsigned long long)expected);
  }
  int32_t index;
  INGOT_TRY(as_plan_error(ingot_graph_add_tensor(g, name, (ingot_dtype)dtype, &dims, (ingot_tensor_kind)kind, &index),
                          "tensor", i));
  if (index != (int32_t)i)
    return ingot_fail(INGOT_INTERNAL_ERROR, "plan tensor %u was added as graph tensor %d", i, index);
  g->tensors[index].is_output = (int32_t)is_output;
  g->tensors[index].producer = producer;
  /* constants always get a block, even an empty one: a NULL data pointer means "value
   * unknown", which only a constant the plan left out has (its readers hold it packed;
   * the runtime checks that they all do once it has their tactics) */
  if (packed)
    g->tensors[index].data_packed = true;
  else if (kind == INGOT_TENSOR_KIND_CONSTANT)
    INGOT_TRY(as_plan_error(ingot_graph_set_constant(g, index, data, data_size), "tensor", i));
  return INGOT_SUCCESS;
}

static ingot_status read_tensors(plan_parse *ps, ingot_byte_reader *r) {
  uint32_t n;
  uint32_t min_bytes = TENSOR_MIN_BYTES + (ps->format_version >= INGOT_PLAN_VERSION_TENSOR_FLAGS ? TENSOR_FLAGS_BYTES : 0);
  INGOT_TRY(ingot_byte_read_count(r, min_bytes, INT32_MAX, "tensors", &n));
  for (uint32_t i = 0; i < n; i++) {
    char *name = NULL;
    INGOT_TRY(ingot_byte_read_string(r, INGOT_PLAN_MAX_STRING, "tensor name", &name));
    ingot_status st = read_one_tensor(ps, r, i, name);
    free(name);
    INGOT_TRY(st);
  }
  return INGOT_SUCCESS;
}

/* Index fields that point at tensors: checked here, so the graph never holds one out of
 * range even before ingot_graph_validate looks at it. */
static ingot_status read_tensor_index(ingot_byte_reader *r, const ingot_graph *g, bool optional, const char *field,
                                      int32_t *out) {
  size_t at = ingot_byte_reader_offset(r);
  INGOT_TRY(ingot_byte_read_i32(r, out));
  if (*out >= g->nb_tensors || *out < (optional ? -1 : 0))
    return ingot_fail(INGOT_INVALID_PLAN, "%s: %s at offset %zu is tensor %d, expected %s0..%d", r->what, field, at,
                      *out, optional ? "-1 or " : "", g->nb_tensors - 1);
  return INGOT_SUCCESS;
}

typedef struct node_fields {
  char *name, *fused_name, *tactic_name;
  int32_t *inputs;
} node_fields;

static void node_fields_free(node_fields *f) {
  free(f->name);
  free(f->fused_name);
  free(f->tactic_name);
  free(f->inputs);
}

static ingot_status read_one_node(plan_parse *ps, ingot_byte_reader *r, uint32_t i, node_fields *f) {
  ingot_graph *g = ps->g;
  uint32_t op, params_size, nb_inputs, nb_outputs;
  int32_t outputs[INGOT_MAX_OUTPUTS] = {0}, tactic_version;
  ingot_op_params params;
  uint64_t prepared_size;
  const uint8_t *prepared;

  INGOT_TRY(ingot_byte_read_string(r, INGOT_PLAN_MAX_STRING, "node name", &f->name));
  INGOT_TRY(ingot_byte_read_u32(r, &op));
  if (op >= INGOT_OP_COUNT)
    return ingot_fail(INGOT_INVALID_PLAN, "plan node %u ('%s'): op %u out of range 0..%d", i, f->name, op,
                      INGOT_OP_COUNT - 1);
  INGOT_TRY(ingot_byte_read_u32(r, &params_size));
  if (params_size != sizeof(ingot_op_params))
    return ingot_fail(INGOT_INVALID_PLAN, "plan node %u ('%s'): params of %u bytes, this ingot's are %zu", i, f->name,
                      params_size, sizeof(ingot_op_params));
  memset(&params, 0, sizeof params);
  INGOT_TRY(ingot_byte_read_bytes(r, &params, sizeof params));
  INGOT_TRY(ingot_byte_read_count(r, 4, INT32_MAX, "node inputs", &nb_inputs));
  f->inputs = ingot_calloc(nb_inputs, sizeof(int32_t));
  if (!f->inputs) return INGOT_OUT_OF_MEMORY;
  for (uint32_t k = 0; k < nb_inputs; k++) INGOT_TRY(read_tensor_index(r, g, true, "node input", &f->inputs[k]));
  INGOT_TRY(ingot_byte_read_count(r, 4, INGOT_MAX_OUTPUTS, "node outputs", &nb_outputs));
  for (uint32_t k = 0; k < nb_outputs; k++) INGOT_TRY(read_tensor_index(r, g, false, "node output", &outputs[k]));
  INGOT_TRY(ingot_byte_read_string(r, INGOT_PLAN_MAX_STRING, "fused name", &f->fused_name));
  INGOT_TRY(ingot_byte_read_string(r, INGOT_PLAN_MAX_STRING, "tactic name", &f->tactic_name));
  INGOT_TRY(ingot_byte_read_i32(r, &tactic_version));
  INGOT_TRY(ingot_byte_read_u64(r, &prepared_size));
  INGOT_TRY(ingot_byte_read_view(r, prepared_size, &prepared));

  int32_t index;
  INGOT_TRY(as_plan_error(ingot_graph_add_node(g, f->name, (ingot_op)op, &params, f->inputs, (int32_t)nb_inputs, &index),
                          "node", i));
  if (index != (int32_t)i)
    return ingot_fail(INGOT_INTERNAL_ERROR, "plan node %u was added as graph node %d", i, index);
  ingot_node *node = &g->nodes[index];
  node->nb_outputs = (int32_t)nb_outputs;
  memcpy(node->outputs, outputs, sizeof outputs);
  if (f->fused_name[0] != '\0') {
    node->fused_name = f->fused_name; /* the node owns it now */
    f->fused_name = NULL;
  }
  if (prepared_size > 0) {
    /* Aligned so kernels may use aligned vector loads on packed weights; an aligned block
     * is also a valid free() target, so the node frees it like any prepare() result. */
    node->prepared = ingot_aligned_alloc((size_t)prepared_size);
    if (!node->prepared) return INGOT_OUT_OF_MEMORY;
    memcpy(node->prepared, prepared, (size_t)prepared_size);
    node->prepared_size = prepared_size;
  }
  ps->c->tactic_names[index] = f->tactic_name;
  f->tactic_name = NULL;
  ps->c->tactic_versions[index] = tactic_version;
  return INGOT_SUCCESS;
}

static ingot_status read_nodes(plan_parse *ps, ingot_byte_reader *r) {
  uint32_t n;
  INGOT_TRY(ingot_byte_read_count(r, NODE_MIN_BYTES, INT32_MAX, "nodes", &n));
  /* n is bounded by the bytes left, so these stay within a small multiple of the plan. */
  ps->c->tactic_names = ingot_calloc(n, sizeof(char *));
  ps->c->tactic_versions = ingot_calloc(n, sizeof(int32_t));
  if (!ps->c->tactic_names || !ps->c->tactic_versions) return INGOT_OUT_OF_MEMORY;
  for (uint32_t i = 0; i < n; i++) {
    node_fields f = {0};
    ingot_status st = read_one_node(ps, r, i, &f);
    node_fields_free(&f);
    INGOT_TRY(st);
  }
  /* Producers could not be checked while the tensors were read: the nodes came after. */
  for (int32_t t = 0; t < ps->g->nb_tensors; t++)
    if (ps->g->tensors[t].producer >= ps->g->nb_nodes)
      return ingot_fail(INGOT_INVALID_PLAN, "plan tensor %d ('%s'): producer is node %d, the plan has %d nodes", t,
                        ps->g->tensors[t].name, ps->g->tensors[t].producer, ps->g->nb_nodes);
  return INGOT_SUCCESS;
}

static ingot_status read_index_list(plan_parse *ps, ingot_byte_reader *r, const char *item, int32_t **list_out,
                                    int32_t *count_out) {
  uint32_t n;
  INGOT_TRY(ingot_byte_read_count(r, 4, INT32_MAX, item, &n));
  *list_out = ingot_calloc(n, sizeof(int32_t));
  if (!*list_out) return INGOT_OUT_OF_MEMORY;
  *count_out = (int32_t)n;
  for (uint32_t i = 0; i < n; i++) INGOT_TRY(read_tensor_index(r, ps->g, false, item, &(*list_out)[i]));
  return INGOT_SUCCESS;
}

static ingot_status read_inputs(plan_parse *ps, ingot_byte_reader *r) {
  return read_index_list(ps, r, "graph inputs", &ps->g->inputs, &ps->g->nb_inputs);
}

static ingot_status read_outputs(plan_parse *ps, ingot_byte_reader *r) {
  return read_index_list(ps, r, "graph outputs", &ps->g->outputs, &ps->g->nb_outputs);
}

/* Profile bounds are concrete, of the input's rank, and min <= opt <= max. */
static ingot_status check_profile(const ingot_graph *g, int32_t p, int32_t i, const ingot_profile_dims *pd) {
  const ingot_graph_tensor *t = &g->tensors[g->inputs[i]];
  const ingot_dims *all[3] = {&pd->min, &pd->opt, &pd->max};
  for (int k = 0; k < 3; k++)
    if (all[k]->nb_dims != t->dims.nb_dims)
      return ingot_fail(INGOT_INVALID_PLAN, "plan profile %d, input '%s': bounds of rank %d, the input has rank %d", p,
                        t->name, all[k]->nb_dims, t->dims.nb_dims);
  for (int32_t d = 0; d < t->dims.nb_dims; d++)
    if (pd->min.d[d] < 0 || pd->min.d[d] > pd->opt.d[d] || pd->opt.d[d] > pd->max.d[d])
      return ingot_fail(INGOT_INVALID_PLAN,
                        "plan profile %d, input '%s': dim %d has min %lld, opt %lld, max %lld, expected 0 <= min <= opt <= max",
                        p, t->name, d, (long long)pd->min.d[d], (long long)pd->opt.d[d], (long long)pd->max.d[d]);
  return INGOT_SUCCESS;
}

static ingot_status read_profiles(plan_parse *ps, ingot_byte_reader *r) {
  ingot_graph *g = ps->g;
  uint32_t nb_inputs, nb_profiles;
  INGOT_TRY(ingot_byte_read_u32(r, &nb_inputs));
  if (nb_inputs != (uint32_t)g->nb_inputs)
    return ingot_fail(INGOT_INVALID_PLAN, "plan profiles are for %u inputs, the graph has %d", nb_inputs, g->nb_inputs);
  INGOT_TRY(ingot_byte_read_count(r, (uint64_t)nb_inputs * PROFILE_ENTRY_MIN_BYTES, INT32_MAX, "profiles",
                                  &nb_profiles));
  if (nb_profiles < 1) return ingot_fail(INGOT_INVALID_PLAN, "plan has no optimization profile, at least 1 expected");
  uint64_t entries = (uint64_t)nb_profiles * nb_inputs; /* bounded by the bytes left */
  g->profiles = ingot_calloc((size_t)entries, sizeof(ingot_profile_dims));
  if (!g->profiles) return INGOT_OUT_OF_MEMORY;
  g->nb_profiles = (int32_t)nb_profiles;
  for (uint32_t p = 0; p < nb_profiles; p++)
    for (uint32_t i = 0; i < nb_inputs; i++) {
      ingot_profile_dims *pd = &g->profiles[(size_t)p * nb_inputs + i];
      INGOT_TRY(read_dims(r, "profile min", false, &pd->min));
      INGOT_TRY(read_dims(r, "profile opt", false, &pd->opt));
      INGOT_TRY(read_dims(r, "profile max", false, &pd->max));
      INGOT_TRY(check_profile(g, (int32_t)p, (int32_t)i, pd));
    }
  return INGOT_SUCCESS;
}

static ingot_status read_arenas(plan_parse *ps, ingot_byte_reader *r) {
  uint32_t n;
  INGOT_TRY(ingot_byte_read_count(r, 8, INT32_MAX, "arena sizes", &n));
  if (n != (uint32_t)ps->g->nb_profiles)
    return ingot_fail(INGOT_INVALID_PLAN, "plan has %u arena sizes for %d profiles", n, ps->g->nb_profiles);
  ps->c->arena_sizes = ingot_calloc(n, sizeof(uint64_t));
  if (!ps->c->arena_sizes) return INGOT_OUT_OF_MEMORY;
  for (uint32_t p = 0; p < n; p++) INGOT_TRY(ingot_byte_read_u64(r, &ps->c->arena_sizes[p]));
  return INGOT_SUCCESS;
}

/* Plugin records: each names a plugin node once; the instances are made later, by the
 * runtime (ingot_plugin_instantiate), where the plugin is registered. */
static ingot_status read_plugins(plan_parse *ps, ingot_byte_reader *r) {
  ingot_graph *g = ps->g;
  uint32_t n;
  INGOT_TRY(ingot_byte_read_count(r, 4u + 4u * 3u + 8u, INT32_MAX, "plugins", &n));
  for (uint32_t i = 0; i < n; i++) {
    int32_t node;
    char *name = NULL, *version = NULL, *ns = NULL;
    uint64_t size = 0;
    const uint8_t *state = NULL;
    size_t at = ingot_byte_reader_offset(r);
    ingot_status st = ingot_byte_read_i32(r, &node);
    if (st == INGOT_SUCCESS) st = ingot_byte_read_string(r, INGOT_PLUGIN_MAX_NAME, "plugin name", &name);
    if (st == INGOT_SUCCESS) st = ingot_byte_read_string(r, INGOT_PLUGIN_MAX_NAME, "plugin version", &version);
    if (st == INGOT_SUCCESS) st = ingot_byte_read_string(r, INGOT_PLUGIN_MAX_NAME, "plugin namespace", &ns);
    if (st == INGOT_SUCCESS) st = ingot_byte_read_u64(r, &size);
    if (st == INGOT_SUCCESS) st = ingot_byte_read_view(r, size, &state);
    if (st == INGOT_SUCCESS && (node < 0 || node >= g->nb_nodes || g->nodes[node].op != INGOT_OP_PLUGIN))
      st = ingot_fail(INGOT_INVALID_PLAN, "%s: plugin record %u at offset %zu names node %d, which is not a plugin "
                      "layer", r->what, i, at, node);
    if (st == INGOT_SUCCESS && g->nodes[node].plugin)
      st = ingot_fail(INGOT_INVALID_PLAN, "%s: layer '%s' has two plugin records", r->what, g->nodes[node].name);
    if (st == INGOT_SUCCESS) st = ingot_plugin_new_record(name, version, ns, state, size, &g->nodes[node].plugin);
    free(name);
    free(version);
    free(ns);
    INGOT_TRY(st);
  }
  return INGOT_SUCCESS;
}

typedef struct section_def {
  uint32_t tag;
  const char *what; /* reader name, static: messages say "plan section 'tensors' ..." */
  ingot_status (*read)(plan_parse *, ingot_byte_reader *);
} section_def;

static const section_def sections[INGOT_PLAN_NB_SECTIONS] = {
    {INGOT_PLAN_TAG_INFO, "plan section 'engine info'", read_info},
    {INGOT_PLAN_TAG_TENSORS, "plan section 'tensors'", read_tensors},
    {INGOT_PLAN_TAG_NODES, "plan section 'nodes'", read_nodes},
    {INGOT_PLAN_TAG_INPUTS, "plan section 'graph inputs'", read_inputs},
    {INGOT_PLAN_TAG_OUTPUTS, "plan section 'graph outputs'", read_outputs},
    {INGOT_PLAN_TAG_PROFILES, "plan section 'profiles'", read_profiles},
    {INGOT_PLAN_TAG_ARENAS, "plan section 'arena sizes'", read_arenas},
};

static ingot_status read_payload(plan_parse *ps, const uint8_t *payload, size_t size) {
  ingot_byte_reader r;
  ingot_byte_reader_init(&r, payload, size, "plan payload", INGOT_INVALID_PLAN);
  r.base = INGOT_PLAN_HEADER_SIZE;
  for (int s = 0; s < INGOT_PLAN_NB_SECTIONS; s++) {
    const section_def *def = &sections[s];
    size_t at = ingot_byte_reader_offset(&r);
    uint32_t tag, reserved;
    uint64_t section_size;
    INGOT_TRY(ingot_byte_read_u32(&r, &tag));
    INGOT_TRY(ingot_byte_read_u32(&r, &reserved));
    INGOT_TRY(ingot_byte_read_u64(&r, &section_size));
    if (tag != def->tag)
      return ingot_fail(INGOT_INVALID_PLAN, "plan section %d at offset %zu has tag 0x%08x, expected '%.4s' (%s)", s,
                        at, tag, (const char *)&def->tag, def->what);
    if (reserved != 0)
      return ingot_fail(INGOT_INVALID_PLAN, "%s: reserved field is 0x%08x, expected 0", def->what, reserved);
    ingot_byte_reader sub;
    INGOT_TRY(ingot_byte_reader_sub(&r, section_size, def->what, &sub));
    INGOT_TRY(def->read(ps, &sub));
    INGOT_TRY(ingot_byte_reader_expect_end(&sub));
  }
  /* The optional plugins section; any other bytes are refused as left unread. */
  if (ingot_byte_reader_remaining(&r) >= INGOT_PLAN_SECTION_HEADER_SIZE &&
      le32(r.data + r.pos) == INGOT_PLAN_TAG_PLUGINS) {
    static const section_def plugins = {INGOT_PLAN_TAG_PLUGINS, "plan section 'plugins'", read_plugins};
    uint32_t tag, reserved;
    uint64_t section_size;
    INGOT_TRY(ingot_byte_read_u32(&r, &tag));
    INGOT_TRY(ingot_byte_read_u32(&r, &reserved));
    INGOT_TRY(ingot_byte_read_u64(&r, &section_size));
    if (reserved != 0)
      return ingot_fail(INGOT_INVALID_PLAN, "%s: reserved field is 0x%08x, expected 0", plugins.what, reserved);
    ingot_byte_reader sub;
    INGOT_TRY(ingot_byte_reader_sub(&r, section_size, plugins.what, &sub));
    INGOT_TRY(plugins.read(ps, &sub));
    INGOT_TRY(ingot_byte_reader_expect_end(&sub));
  }
  return ingot_byte_reader_expect_end(&r);
}

/* ---- entry points ---------------------------------------------------------------------- */

void ingot_plan_contents_destroy(ingot_plan_contents *contents) {
  if (!contents) return;
  if (contents->tactic_names && contents->graph)
    for (int32_t i = 0; i < contents->graph->nb_nodes; i++) free(contents->tactic_names[i]);
  free(contents->tactic_names);
  free(contents->tactic_versions);
  free(contents->arena_sizes);
  ingot_graph_destroy(contents->graph);
  free(contents);
}

/* expected_target < 0 or expected_arch NULL accept any (tools that only inspect a plan). */
ingot_status ingot_plan_read(const void *data, size_t size, int32_t expected_target, const char *expected_arch,
                             ingot_plan_contents **contents_out) {
  INGOT_CHECK_NULL(contents_out, "ingot_plan_read");
  *contents_out = NULL;
  if (!data && size > 0) return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_plan_read: data is NULL, size %zu", size);
  const uint8_t *bytes = data ? data : (const uint8_t *)"";
  plan_parse ps = {0};
  INGOT_TRY(check_header(bytes, size, expected_target, expected_arch, &ps.header_library_version, &ps.format_version));

  ps.c = ingot_calloc(1, sizeof(ingot_plan_contents));
  if (!ps.c) return INGOT_OUT_OF_MEMORY;
  ps.c->target = (int32_t)le32(bytes + INGOT_PLAN_OFF_TARGET);
  memcpy(ps.c->arch, bytes + INGOT_PLAN_OFF_ARCH, INGOT_PLAN_ARCH_SIZE);
  ingot_status st = ingot_graph_create(&ps.c->graph);
  if (st == INGOT_SUCCESS) {
    ps.g = ps.c->graph;
    st = read_payload(&ps, bytes + INGOT_PLAN_HEADER_SIZE, size - INGOT_PLAN_HEADER_SIZE);
  }
  if (st == INGOT_SUCCESS) {
    st = ingot_graph_validate(ps.g);
    if (st != INGOT_SUCCESS && st != INGOT_OUT_OF_MEMORY) {
      ingot_error_prefix("plan graph is invalid");
      st = INGOT_INVALID_PLAN;
    }
  }
  if (st != INGOT_SUCCESS) {
    ingot_plan_contents_destroy(ps.c);
    return st;
  }
  *contents_out = ps.c;
  return INGOT_SUCCESS;
}
