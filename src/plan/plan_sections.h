/* Private to src/plan (and its tests): section tags, field offsets and limits of the plan
 * format, shared by the writer and the reader so the two cannot drift apart. The layout
 * itself is documented at the top of plan_writer.c. */
#ifndef INGOT_PLAN_SECTIONS_H
#define INGOT_PLAN_SECTIONS_H

#include "plan/plan_format.h"

/* A tag is four ASCII bytes as they appear in the file ("INFO" reads as INFO in a hex dump). */
#define INGOT_PLAN_TAG(a, b, c, d) \
  ((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))
#define INGOT_PLAN_TAG_INFO INGOT_PLAN_TAG('I', 'N', 'F', 'O')     /* engine info */
#define INGOT_PLAN_TAG_TENSORS INGOT_PLAN_TAG('T', 'E', 'N', 'S')  /* tensors */
#define INGOT_PLAN_TAG_NODES INGOT_PLAN_TAG('N', 'O', 'D', 'E')    /* nodes */
#define INGOT_PLAN_TAG_INPUTS INGOT_PLAN_TAG('G', 'I', 'N', 'P')   /* graph inputs */
#define INGOT_PLAN_TAG_OUTPUTS INGOT_PLAN_TAG('G', 'O', 'U', 'T')  /* graph outputs */
#define INGOT_PLAN_TAG_PROFILES INGOT_PLAN_TAG('P', 'R', 'O', 'F') /* optimization profiles */
#define INGOT_PLAN_TAG_ARENAS INGOT_PLAN_TAG('A', 'R', 'N', 'A')   /* arena sizes per profile */
#define INGOT_PLAN_NB_SECTIONS 7
/* Optional, after the seven, only in plans with plugin layers. */
#define INGOT_PLAN_TAG_PLUGINS INGOT_PLAN_TAG('P', 'L', 'U', 'G') /* plugin layers' identity and state */

/* Header field offsets (see plan_format.h). */
#define INGOT_PLAN_OFF_MAGIC 0
#define INGOT_PLAN_OFF_FORMAT_VERSION 8
#define INGOT_PLAN_OFF_LIBRARY_VERSION 12
#define INGOT_PLAN_OFF_TARGET 16
#define INGOT_PLAN_OFF_RESERVED 20
#define INGOT_PLAN_OFF_ARCH 24
#define INGOT_PLAN_OFF_PAYLOAD_SIZE 40
#define INGOT_PLAN_OFF_CHECKSUM 48
#define INGOT_PLAN_OFF_TAIL 56 /* 8 reserved bytes, zero, to the end of the header */

/* Section header: u32 tag | u32 reserved | u64 size. */
#define INGOT_PLAN_SECTION_HEADER_SIZE 16u

/* Tensor record flags (format version 3 on). */
#define INGOT_PLAN_TENSOR_PACKED 1u /* a constant whose data is left out: its readers hold it packed */
#define INGOT_PLAN_TENSOR_FLAGS 1u  /* every flag defined: any other bit is refused */
/* The first format version whose tensor records have flags. */
#define INGOT_PLAN_VERSION_TENSOR_FLAGS 3u

/* Longest name (tensor, node, fused, tactic) a plan may hold. */
#define INGOT_PLAN_MAX_STRING 4096u

#endif
