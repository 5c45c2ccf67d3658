/* The plan: what the builder writes and the runtime reads back.
 *
 * Layout (little-endian):
 *   header (64 bytes): magic "INGOTPLN" | u32 format_version | u32 library_version |
 *     u32 target (ingot_target) | u32 reserved | char arch[16] (NUL padded) |
 *     u64 payload_size | u64 payload_checksum (ingot_checksum64 of the payload)
 *   payload: a sequence of sections, each u32 tag | u32 reserved | u64 size | bytes.
 * The reader checks, in this order: size >= header, magic, format version (refused naming
 * both versions unless within [INGOT_PLAN_FORMAT_VERSION_MIN, INGOT_PLAN_FORMAT_VERSION]), target and arch (refused naming both), payload size against the bytes
 * given, checksum; then parses every section with bounds-checked reads, and finally runs
 * ingot_graph_validate so no kernel ever sees an index out of range. */
#ifndef INGOT_PLAN_FORMAT_H
#define INGOT_PLAN_FORMAT_H

#include "ops/graph.h"

#define INGOT_PLAN_MAGIC "INGOTPLN"
/* Version 2: conv, deconv, pooling and batch-norm params may be channels last (the
 * layout pass); an older reader would run such a plan as channels first, so it must
 * refuse it. A version-1 plan reads as it is: its params bytes there were zero.
 * Version 3: a tensor record has a flags field; flag "packed" leaves a constant's data
 * out when its readers hold it packed (plan_writer.c). Older plans read as they are:
 * their records have no flags and keep every constant's data. */
#define INGOT_PLAN_FORMAT_VERSION 3u
#define INGOT_PLAN_FORMAT_VERSION_MIN 1u /* oldest version this reader accepts */
#define INGOT_PLAN_HEADER_SIZE 64u
#define INGOT_PLAN_ARCH_SIZE 16u

/* Everything an engine is made from. The graph's nodes carry their tactic by name and
 * version (resolved by the runtime against the backend) and their prepared data. */
typedef struct ingot_plan_contents {
  int32_t target;                     /* ingot_target */
  char arch[INGOT_PLAN_ARCH_SIZE];    /* backend architecture, e.g. "x86_64" */
  uint32_t library_version;           /* ingot_version() of the writer */
  int32_t num_threads;                /* default threads of contexts (0: all cores) */
  uint32_t builder_flags;             /* bit i = ingot_builder_flag i was set */
  ingot_graph *graph;                 /* owned */
  char **tactic_names;                /* [nb_nodes] names as read (runtime resolves them) */
  int32_t *tactic_versions;           /* [nb_nodes] */
  uint64_t *arena_sizes;              /* [nb_profiles] activation bytes at each profile's max */
} ingot_plan_contents;

/* Serializes contents into a malloc'd buffer (*data_out, *size_out). The tactic of each
 * node is taken from node->tactic (name, version) when set, else from tactic_names. */
ingot_status ingot_plan_write(const ingot_plan_contents *contents, void **data_out, size_t *size_out);

/* Parses plan bytes. expected_target / expected_arch: what this runtime can run; a plan
 * for another target or arch fails with INGOT_VERSION_MISMATCH naming both. On success
 * *contents_out is a new object (free with ingot_plan_contents_destroy). */
ingot_status ingot_plan_read(const void *data, size_t size, int32_t expected_target, const char *expected_arch,
                             ingot_plan_contents **contents_out);

void ingot_plan_contents_destroy(ingot_plan_contents *contents);

#endif
