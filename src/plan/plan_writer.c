/* Plan writer: serializes an engine's contents (plan_format.h).
 *
 * Layout, all little-endian:
 *   header, 64 bytes:
 *     0  char magic[8] "INGOTPLN"        24 char arch[16], NUL-terminated, NUL-padded
 *     8  u32 format_version              40 u64 payload_size (bytes after the header)
 *     12 u32 library_version             48 u64 payload_checksum (ingot_checksum64)
 *     16 u32 target (ingot_target)       56 u8 reserved[8], zero
 *     20 u32 reserved, zero
 *   The checksum covers the payload only; every header field is covered otherwise: magic,
 *   versions, target and arch are compared, reserved bytes must be zero, the payload size
 *   must equal the bytes given, and library_version is repeated in the INFO section.
 *
 *   payload: sections, each u32 tag | u32 reserved (0) | u64 size | size bytes. All seven,
 *   once each, in this order (tags are four ASCII bytes, see plan_sections.h):
 *   "INFO" u32 library_version (= header's) | i32 num_threads (>= 0) | u32 builder_flags
 *          (bits below INGOT_BUILDER_FLAG_COUNT only)
 *   "TENS" u32 count, per tensor: string name | u32 dtype | dims | u32 kind | u32 is_output
 *          (0/1) | i32 producer (node index or -1) | u32 flags (format version 3 on; see
 *          below) | u64 data_size | data bytes (constants only; either 0 bytes or exactly
 *          volume x dtype size; 0 bytes when flag "packed" is set)
 *   "NODE" u32 count, per node: string name | u32 op | u32 params_size (=
 *          sizeof(ingot_op_params)) | the params union's raw bytes (plain structs without
 *          pointers, zeroed before use: params.h) | u32 nb_inputs | i32 inputs[] (-1:
 *          absent) | u32 nb_outputs (<= INGOT_MAX_OUTPUTS) | i32 outputs[] | string
 *          fused_name ("" for none) | string tactic_name | i32 tactic_version |
 *          u64 prepared_size | prepared bytes
 *   "GINP" u32 count | i32 tensor index[]     (graph inputs, in the network's order)
 *   "GOUT" u32 count | i32 tensor index[]     (graph outputs)
 *   "PROF" u32 nb_inputs (= GINP count) | u32 nb_profiles (>= 1) | per profile, per input:
 *          dims min | dims opt | dims max
 *   "ARNA" u32 count (= nb_profiles) | u64 activation bytes[] (at each profile's max)
 *   "PLUG" (only when the graph has plugin layers, after ARNA) u32 count, per plugin node:
 *          i32 node index | string name | string version | string namespace | u64 size |
 *          the state bytes its serialize wrote
 *   dims = i32 nb_dims | i64 d[nb_dims] (each >= -1): nb_dims in 0..8, or -1 (rank not
 *   known) for a tensor's dims only;  string = u32 length (<= 4096) | bytes (no NUL
 *   inside, none after).
 *   Tensor flags: bit 0, "packed" (INGOT_PLAN_TENSOR_PACKED), other bits zero. The writer
 *   sets it on a constant, and leaves its data out, when the plan's nodes hold that data
 *   packed: the constant is not a graph output, at least one node reads it, and every
 *   node reading it, at every input slot where it does, has a tactic whose packed_inputs
 *   (backend.h) has that slot's bit and a non-empty prepared block (the CPU GEMM and
 *   convolution tactics' weight panels). The weights are then in the plan once, as
 *   TensorRT's plans hold them, not also as plain tensors. Only a constant with concrete
 *   dims, data_size 0 and is_output 0 may have the flag. The reader gives it NULL data
 *   ("value unknown", as in shape inference) with its dims and dtype; the runtime, binding
 *   each node to its tactic, refuses with INGOT_INVALID_PLAN (naming the tensor and the
 *   layer) a plan in which any constant without data is read by a node whose tactic does
 *   not declare that slot packed or that has no prepared block, so that no kernel reads a
 *   missing buffer. A plan read back and written again keeps the flags as read.
 * The params bytes are the host's layout: ingot targets little-endian LP64 hosts, where
 * every compiler lays these structs out alike; the reader checks the recorded size. */
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "core/alloc.h"
#include "core/checksum.h"
#include "core/error.h"
#include "ingot/builder.h"
#include "plan/byte_io.h"
#include "plan/plan_sections.h"
#include "plugin/plugin_internal.h"

/* Writes a section header with a size to be patched; returns where the size lives. */
static size_t begin_section(ingot_byte_writer *w, uint32_t tag) {
  ingot_byte_write_u32(w, tag);
  ingot_byte_write_u32(w, 0);
  size_t at = w->size;
  ingot_byte_write_u64(w, 0);
  return at;
}

static ingot_status end_section(ingot_byte_writer *w, size_t size_at) {
  if (w->status != INGOT_SUCCESS) return w->status;
  return ingot_byte_patch_u64(w, size_at, (uint64_t)(w->size - size_at - 8));
}

static void write_dims(ingot_byte_writer *w, const ingot_dims *dims) {
  ingot_byte_write_i32(w, dims->nb_dims);
  for (int32_t i = 0; i < dims->nb_dims; i++) ingot_byte_write_i64(w, dims->d[i]);
}

/* A string field, with the failure (too long) named by what it belongs to. */
static ingot_status write_name(ingot_byte_writer *w, const char *s, const char *owner, int32_t index) {
  ingot_status st = ingot_byte_write_string(w, s, INGOT_PLAN_MAX_STRING);
  if (st != INGOT_SUCCESS) ingot_error_prefix("ingot_plan_write: %s %d", owner, index);
  return st;
}

/* Rank -1 (not known) is allowed for tensors, never for profile bounds. */
static bool dims_writable(const ingot_dims *dims, bool allow_unknown_rank) {
  return dims->nb_dims >= (allow_unknown_rank ? -1 : 0) && dims->nb_dims <= INGOT_MAX_DIMS;
}

/* Refuses, at build time, what the reader would refuse at load time. */
static ingot_status check_contents(const ingot_plan_contents *c) {
  const ingot_graph *g = c->graph;
  if (memchr(c->arch, '\0', sizeof c->arch) == NULL)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_plan_write: arch is not NUL-terminated within %u bytes",
                      INGOT_PLAN_ARCH_SIZE);
  if (c->num_threads < 0)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_plan_write: num_threads is %d, expected >= 0", c->num_threads);
  if (c->builder_flags >> INGOT_BUILDER_FLAG_COUNT)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_plan_write: builder_flags 0x%x has bits above flag %d",
                      c->builder_flags, INGOT_BUILDER_FLAG_COUNT - 1);
  if (g->nb_tensors < 0 || g->nb_nodes < 0 || g->nb_inputs < 0 || g->nb_outputs < 0)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_plan_write: negative count in graph");
  if (g->nb_profiles < 1)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_plan_write: %d optimization profiles, a plan needs at least 1",
                      g->nb_profiles);
  if (!c->arena_sizes) return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_plan_write: arena_sizes is NULL");
  if (g->nb_inputs > 0 && (!g->inputs || !g->profiles))
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_plan_write: graph has %d inputs but no input list or profiles",
                      g->nb_inputs);
  if (g->nb_outputs > 0 && !g->outputs)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_plan_write: graph has %d outputs but no output list",
                      g->nb_outputs);
  for (int32_t i = 0; i < g->nb_tensors; i++) {
    const ingot_graph_tensor *t = &g->tensors[i];
    if (!dims_writable(&t->dims, true))
      return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_plan_write: tensor %d ('%s') has %d dims, expected -1..%d", i,
                        t->name ? t->name : "", t->dims.nb_dims, INGOT_MAX_DIMS);
    if (t->data_size > 0 && !t->data)
      return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_plan_write: tensor %d ('%s') has data_size %llu but no data",
                        i, t->name ? t->name : "", (unsigned long long)t->data_size);
  }
  for (int32_t i = 0; i < g->nb_nodes; i++) {
    const ingot_node *n = &g->nodes[i];
    if (n->nb_inputs < 0 || (n->nb_inputs > 0 && !n->inputs) || n->nb_outputs < 0 ||
        n->nb_outputs > INGOT_MAX_OUTPUTS || (n->prepared_size > 0 && !n->prepared))
      return ingot_fail(INGOT_INVALID_ARGUMENT,
                        "ingot_plan_write: node %d ('%s') has %d inputs, %d outputs (at most %d), %llu prepared bytes "
                        "at %p: inconsistent",
                        i, n->name ? n->name : "", n->nb_inputs, n->nb_outputs, INGOT_MAX_OUTPUTS,
                        (unsigned long long)n->prepared_size, n->prepared);
  }
  for (int64_t k = 0; k < (int64_t)g->nb_profiles * g->nb_inputs; k++) {
    const ingot_profile_dims *p = &g->profiles[k];
    if (!dims_writable(&p->min, false) || !dims_writable(&p->opt, false) || !dims_writable(&p->max, false))
      return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_plan_write: profile %lld input %lld has a rank outside 0..%d",
                        (long long)(k / g->nb_inputs), (long long)(k % g->nb_inputs), INGOT_MAX_DIMS);
  }
  return INGOT_SUCCESS;
}

static ingot_status write_info(ingot_byte_writer *w, const ingot_plan_contents *c) {
  size_t at = begin_section(w, INGOT_PLAN_TAG_INFO);
  ingot_byte_write_u32(w, c->library_version);
  ingot_byte_write_i32(w, c->num_threads);
  ingot_byte_write_u32(w, c->builder_flags);
  return end_section(w, at);
}

/* Which constants the plan holds only packed (flag "packed", see the layout above): one
 * pass over the nodes' inputs. packed[t] is set for each such tensor. */
static ingot_status find_packed(const ingot_graph *g, bool *packed) {
  enum { UNREAD = 0, PACKED_ONLY = 1, READ_PLAIN = 2 };
  uint8_t *use = ingot_calloc((size_t)g->nb_tensors + 1, 1);
  if (!use) return INGOT_OUT_OF_MEMORY;
  for (int32_t i = 0; i < g->nb_nodes; i++) {
    const ingot_node *n = &g->nodes[i];
    for (int32_t k = 0; k < n->nb_inputs; k++) {
      int32_t t = n->inputs[k];
      if (t < 0 || t >= g->nb_tensors) continue;
      bool slot_packed = n->tactic && k < 32 && (n->tactic->packed_inputs >> k & 1u) && n->prepared &&
                         n->prepared_size > 0;
      use[t] = slot_packed && use[t] != READ_PLAIN ? PACKED_ONLY : READ_PLAIN;
    }
  }
  for (int32_t i = 0; i < g->nb_outputs; i++)
    if (g->outputs[i] >= 0 && g->outputs[i] < g->nb_tensors) use[g->outputs[i]] = READ_PLAIN;
  for (int32_t t = 0; t < g->nb_tensors; t++) {
    const ingot_graph_tensor *gt = &g->tensors[t];
    /* a plan read back and written again: what it left out stays out */
    packed[t] = gt->kind == INGOT_TENSOR_KIND_CONSTANT &&
                (gt->data_packed || (gt->data && !gt->is_output && use[t] == PACKED_ONLY));
  }
  free(use);
  return INGOT_SUCCESS;
}

static ingot_status write_tensors(ingot_byte_writer *w, const ingot_graph *g) {
  bool *packed = ingot_calloc((size_t)g->nb_tensors + 1, sizeof(bool));
  if (!packed) return INGOT_OUT_OF_MEMORY;
  ingot_status st = find_packed(g, packed);
  size_t at = begin_section(w, INGOT_PLAN_TAG_TENSORS);
  ingot_byte_write_u32(w, (uint32_t)g->nb_tensors);
  for (int32_t i = 0; i < g->nb_tensors && st == INGOT_SUCCESS; i++) {
    const ingot_graph_tensor *t = &g->tensors[i];
    st = write_name(w, t->name, "tensor", i);
    if (st != INGOT_SUCCESS) break;
    ingot_byte_write_u32(w, (uint32_t)t->dtype);
    write_dims(w, &t->dims);
    ingot_byte_write_u32(w, (uint32_t)t->kind);
    ingot_byte_write_u32(w, (uint32_t)t->is_output);
    ingot_byte_write_i32(w, t->producer);
    ingot_byte_write_u32(w, packed[i] ? INGOT_PLAN_TENSOR_PACKED : 0u);
    uint64_t size = t->data && !packed[i] ? t->data_size : 0;
    ingot_byte_write_u64(w, size);
    if (size > SIZE_MAX) {
      st = ingot_fail(INGOT_OUT_OF_MEMORY, "ingot_plan_write: tensor %d data of %llu bytes exceeds memory", i,
                      (unsigned long long)size);
      break;
    }
    if (size) ingot_byte_write_bytes(w, t->data, (size_t)size);
  }
  free(packed);
  INGOT_TRY(st);
  return end_section(w, at);
}

static ingot_status write_nodes(ingot_byte_writer *w, const ingot_plan_contents *c) {
  const ingot_graph *g = c->graph;
  size_t at = begin_section(w, INGOT_PLAN_TAG_NODES);
  ingot_byte_write_u32(w, (uint32_t)g->nb_nodes);
  for (int32_t i = 0; i < g->nb_nodes; i++) {
    const ingot_node *n = &g->nodes[i];
    INGOT_TRY(write_name(w, n->name, "node", i));
    ingot_byte_write_u32(w, (uint32_t)n->op);
    ingot_byte_write_u32(w, (uint32_t)sizeof(ingot_op_params));
    ingot_byte_write_bytes(w, &n->params, sizeof(ingot_op_params));
    ingot_byte_write_u32(w, (uint32_t)n->nb_inputs);
    for (int32_t k = 0; k < n->nb_inputs; k++) ingot_byte_write_i32(w, n->inputs[k]);
    ingot_byte_write_u32(w, (uint32_t)n->nb_outputs);
    for (int32_t k = 0; k < n->nb_outputs; k++) ingot_byte_write_i32(w, n->outputs[k]);
    INGOT_TRY(write_name(w, n->fused_name, "fused name of node", i));
    /* The chosen tactic wins over the names given (a plan being rewritten as read). */
    const char *tactic = n->tactic ? n->tactic->name : (c->tactic_names ? c->tactic_names[i] : NULL);
    int32_t version = n->tactic ? n->tactic->version : (c->tactic_versions ? c->tactic_versions[i] : 0);
    INGOT_TRY(write_name(w, tactic, "tactic name of node", i));
    ingot_byte_write_i32(w, version);
    uint64_t size = n->prepared ? n->prepared_size : 0;
    if (size > SIZE_MAX)
      return ingot_fail(INGOT_OUT_OF_MEMORY, "ingot_plan_write: node %d prepared data of %llu bytes exceeds memory",
                        i, (unsigned long long)size);
    ingot_byte_write_u64(w, size);
    if (size) ingot_byte_write_bytes(w, n->prepared, (size_t)size);
  }
  return end_section(w, at);
}

static ingot_status write_index_list(ingot_byte_writer *w, uint32_t tag, const int32_t *list, int32_t count) {
  size_t at = begin_section(w, tag);
  ingot_byte_write_u32(w, (uint32_t)count);
  for (int32_t i = 0; i < count; i++) ingot_byte_write_i32(w, list[i]);
  return end_section(w, at);
}

static ingot_status write_profiles(ingot_byte_writer *w, const ingot_graph *g) {
  size_t at = begin_section(w, INGOT_PLAN_TAG_PROFILES);
  ingot_byte_write_u32(w, (uint32_t)g->nb_inputs);
  ingot_byte_write_u32(w, (uint32_t)g->nb_profiles);
  for (int64_t k = 0; k < (int64_t)g->nb_profiles * g->nb_inputs; k++) {
    write_dims(w, &g->profiles[k].min);
    write_dims(w, &g->profiles[k].opt);
    write_dims(w, &g->profiles[k].max);
  }
  return end_section(w, at);
}

static ingot_status write_arenas(ingot_byte_writer *w, const ingot_plan_contents *c) {
  size_t at = begin_section(w, INGOT_PLAN_TAG_ARENAS);
  ingot_byte_write_u32(w, (uint32_t)c->graph->nb_profiles);
  for (int32_t p = 0; p < c->graph->nb_profiles; p++) ingot_byte_write_u64(w, c->arena_sizes[p]);
  return end_section(w, at);
}

static ingot_status write_plugins(ingot_byte_writer *w, const ingot_graph *g) {
  uint32_t count = 0;
  for (int32_t i = 0; i < g->nb_nodes; i++) count += g->nodes[i].plugin != NULL;
  if (count == 0) return INGOT_SUCCESS;
  size_t at = begin_section(w, INGOT_PLAN_TAG_PLUGINS);
  ingot_byte_write_u32(w, count);
  for (int32_t i = 0; i < g->nb_nodes; i++) {
    ingot_plugin *p = g->nodes[i].plugin;
    if (!p) continue;
    INGOT_TRY(ingot_plugin_serialize(p, g->nodes[i].name));
    ingot_byte_write_i32(w, i);
    INGOT_TRY(write_name(w, p->name, "plugin name of node", i));
    INGOT_TRY(write_name(w, p->version, "plugin version of node", i));
    INGOT_TRY(write_name(w, p->plugin_namespace, "plugin namespace of node", i));
    ingot_byte_write_u64(w, p->state_size);
    if (p->state_size) ingot_byte_write_bytes(w, p->state, (size_t)p->state_size);
  }
  return end_section(w, at);
}

static ingot_status write_header(ingot_byte_writer *w, const ingot_plan_contents *c) {
  uint64_t payload_size = (uint64_t)(w->size - INGOT_PLAN_HEADER_SIZE);
  uint64_t checksum = ingot_checksum64(w->data + INGOT_PLAN_HEADER_SIZE, (size_t)payload_size);
  memcpy(w->data + INGOT_PLAN_OFF_MAGIC, INGOT_PLAN_MAGIC, 8);
  INGOT_TRY(ingot_byte_patch_u32(w, INGOT_PLAN_OFF_FORMAT_VERSION, INGOT_PLAN_FORMAT_VERSION));
  INGOT_TRY(ingot_byte_patch_u32(w, INGOT_PLAN_OFF_LIBRARY_VERSION, c->library_version));
  INGOT_TRY(ingot_byte_patch_u32(w, INGOT_PLAN_OFF_TARGET, (uint32_t)c->target));
  /* strncpy pads with NULs, which the reader requires; check_contents found the NUL. */
  strncpy((char *)w->data + INGOT_PLAN_OFF_ARCH, c->arch, INGOT_PLAN_ARCH_SIZE);
  INGOT_TRY(ingot_byte_patch_u64(w, INGOT_PLAN_OFF_PAYLOAD_SIZE, payload_size));
  return ingot_byte_patch_u64(w, INGOT_PLAN_OFF_CHECKSUM, checksum);
}

ingot_status ingot_plan_write(const ingot_plan_contents *contents, void **data_out, size_t *size_out) {
  INGOT_CHECK_NULL(contents, "ingot_plan_write");
  INGOT_CHECK_NULL(contents->graph, "ingot_plan_write");
  INGOT_CHECK_NULL(data_out, "ingot_plan_write");
  INGOT_CHECK_NULL(size_out, "ingot_plan_write");
  *data_out = NULL;
  *size_out = 0;
  INGOT_TRY(check_contents(contents));

  ingot_byte_writer w;
  ingot_byte_writer_init(&w);
  ingot_byte_write_zeros(&w, INGOT_PLAN_HEADER_SIZE); /* filled in once the payload is known */
  const ingot_graph *g = contents->graph;
  ingot_status st = write_info(&w, contents);
  if (st == INGOT_SUCCESS) st = write_tensors(&w, g);
  if (st == INGOT_SUCCESS) st = write_nodes(&w, contents);
  if (st == INGOT_SUCCESS) st = write_index_list(&w, INGOT_PLAN_TAG_INPUTS, g->inputs, g->nb_inputs);
  if (st == INGOT_SUCCESS) st = write_index_list(&w, INGOT_PLAN_TAG_OUTPUTS, g->outputs, g->nb_outputs);
  if (st == INGOT_SUCCESS) st = write_profiles(&w, g);
  if (st == INGOT_SUCCESS) st = write_arenas(&w, contents);
  if (st == INGOT_SUCCESS) st = write_plugins(&w, g);
  if (st == INGOT_SUCCESS) st = w.status;
  if (st == INGOT_SUCCESS) st = write_header(&w, contents);
  if (st != INGOT_SUCCESS) {
    ingot_byte_writer_free(&w);
    return st;
  }
  return ingot_byte_writer_release(&w, data_out, size_out);
}
