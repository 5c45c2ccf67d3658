/* Data-dependent shapes in an execution context (TensorRT's data-dependent output shapes):
 * the outputs of NonZero, NonMaxSuppression, Compress and Unique have an extent known only
 * once the kernel has run. The context plans its arena at the upper bounds shape inference
 * gives; after such a node runs, the nodes downstream are inferred again at its real dims
 * (with storage prepared when shapes were set: execute allocates nothing), and the caller
 * reads the real shape of an output after execute. */
#ifndef INGOT_RUNTIME_DYNAMIC_SHAPES_H
#define INGOT_RUNTIME_DYNAMIC_SHAPES_H

#include "runtime/runtime_internal.h"

/* Per-context state; c->dynamic stays NULL for graphs without data-dependent ops. */
ingot_status ingot_dynamic_create(ingot_execution_context *c);
void ingot_dynamic_destroy(ingot_execution_context *c);

/* After the context inferred and planned its shapes (c->dims at the bounds): keeps the
 * bounds, finds which dims are data-dependent, prepares the re-inference storage. */
ingot_status ingot_dynamic_planned(ingot_execution_context *c);

/* At the start of a run: every tensor back at its bound dims. */
void ingot_dynamic_begin(ingot_execution_context *c);
/* After node `index` ran and wrote its outputs' real dims (real_dims, nb_outputs entries):
 * records them and infers the nodes after it; fails naming the tensor if a dim outgrows
 * what was planned. */
ingot_status ingot_dynamic_after_node(ingot_execution_context *c, int32_t index, const ingot_dims *real_dims);
/* At the end of a successful run: the real dims are what get_tensor_shape reports. */
void ingot_dynamic_end(ingot_execution_context *c);

/* Dims of tensor t as get_tensor_shape reports them (shapes ready): before a run, -1 in
 * the data-dependent dims; after one, the real dims. */
ingot_dims ingot_dynamic_reported_dims(const ingot_execution_context *c, int32_t t);

/* For engine I/O dims: sets -1 in io_dims[o] (per graph output) for each dim that depends
 * on values at any profile bound. */
ingot_status ingot_dynamic_mark_output_dims(const ingot_graph *g, ingot_dims *output_dims);

#endif
