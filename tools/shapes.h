/* Parses shape lists as trtexec writes them: "NAME:1x3x224x224,NAME2:4x16". A name runs to
 * the last ':' of its entry (so "input:0:1x3" names "input:0"); dims are decimal integers
 * >= 0 joined by 'x', at most INGOT_MAX_DIMS of them. Anything else is refused with one line
 * naming the entry and what is wrong. */
#ifndef INGOT_TOOL_SHAPES_H
#define INGOT_TOOL_SHAPES_H

#include <stddef.h>
#include "ingot/ingot.h"

typedef struct tool_shape {
  char *name; /* owned */
  ingot_dims dims;
} tool_shape;

typedef struct tool_shape_list {
  int32_t count;
  tool_shape *items; /* owned */
} tool_shape_list;

/* Parses `text` into `out` (zeroed first). Returns 0, or -1 with a message in err and out
 * left empty. A name given twice is an error. */
int tool_shapes_parse(const char *text, tool_shape_list *out, char *err, size_t err_size);
/* The dims given for `name`, or NULL. */
const ingot_dims *tool_shapes_find(const tool_shape_list *list, const char *name);
void tool_shapes_free(tool_shape_list *list);

/* Writes dims as "1x3x224x224" ("scalar" for rank 0, -1 kept as "-1"). */
void tool_dims_format(const ingot_dims *dims, char *buf, size_t size);

#endif
