/* What an ONNX importer sees. Importers use only the public network API (ingot/ingot.h)
 * plus these helpers; one file per op family (import_<family>.c) exports a table of rows
 * gathered in importers.c. An importer returns ingot_onnx_fail(node, ...) on anything it
 * cannot do, naming the attribute or input and the value found; the parser records the
 * error and goes on with the next node. */
#ifndef INGOT_ONNX_IMPORTER_H
#define INGOT_ONNX_IMPORTER_H

#include <stdbool.h>
#include "ingot/ingot.h"

typedef struct ingot_onnx_node ingot_onnx_node; /* one node being imported (opaque) */

/* An ONNX value: a network tensor, and for initializers and Constant outputs (and values
 * importers fold on the host) the data too. */
typedef struct ingot_onnx_value {
  ingot_tensor *tensor; /* NULL for a constant not yet added to the network */
  bool is_constant;
  ingot_dtype dtype;
  ingot_dims dims;
  const void *data;     /* constants: owned by the parser, valid while it lives */
} ingot_onnx_value;

typedef ingot_status (*ingot_onnx_import_fn)(ingot_onnx_node *node);

typedef struct ingot_onnx_importer {
  const char *op_type;   /* default domain ("" or "ai.onnx") */
  int32_t since_opset;   /* the first opset this importer handles */
  ingot_onnx_import_fn import;
} ingot_onnx_importer;

/* ---- the node ---------------------------------------------------------------------------- */
const char *ingot_onnx_node_name(const ingot_onnx_node *node); /* the node's name, or its first output's */
const char *ingot_onnx_node_op_type(const ingot_onnx_node *node);
int64_t ingot_onnx_node_opset(const ingot_onnx_node *node); /* the model's default-domain opset */
ingot_network *ingot_onnx_node_network(ingot_onnx_node *node);
int32_t ingot_onnx_node_num_inputs(const ingot_onnx_node *node);  /* trailing absent ones included */
int32_t ingot_onnx_node_num_outputs(const ingot_onnx_node *node);

/* Records "node 'NAME' (OP_TYPE, opset N): MESSAGE" as the last error and returns status. */
ingot_status ingot_onnx_fail(const ingot_onnx_node *node, ingot_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- inputs -------------------------------------------------------------------------------- */
/* Input i, or NULL if absent (index past the end, or an empty name). */
const ingot_onnx_value *ingot_onnx_input(ingot_onnx_node *node, int32_t i);
/* Input i as a network tensor (a constant gets its constant layer on first use); fails
 * naming the input if absent. */
ingot_status ingot_onnx_input_tensor(ingot_onnx_node *node, int32_t i, ingot_tensor **tensor_out);
/* Input i must be a constant (initializer, Constant, or folded): fails naming it if not. */
ingot_status ingot_onnx_input_constant(ingot_onnx_node *node, int32_t i, const ingot_onnx_value **value_out);
/* A constant input read as int64 values (from int32/int64 data); count = its volume. */
ingot_status ingot_onnx_input_ints(ingot_onnx_node *node, int32_t i, int64_t *values, int32_t max_count,
                                   int32_t *count_out);
/* The dims of input i as the network knows them (-1 dynamic); nb_dims -1 if unknown. */
ingot_dims ingot_onnx_input_dims(ingot_onnx_node *node, int32_t i);

/* ---- attributes ---------------------------------------------------------------------------- */
bool ingot_onnx_has_attr(const ingot_onnx_node *node, const char *name);
int64_t ingot_onnx_attr_int(const ingot_onnx_node *node, const char *name, int64_t default_value);
float ingot_onnx_attr_float(const ingot_onnx_node *node, const char *name, float default_value);
/* A string attribute (NUL-terminated copy owned by the parser), or default_value. */
const char *ingot_onnx_attr_string(const ingot_onnx_node *node, const char *name, const char *default_value);
/* An ints attribute: copies up to max_count values; *count_out = how many it has (-1 if absent). */
void ingot_onnx_attr_ints(const ingot_onnx_node *node, const char *name, int64_t *values, int32_t max_count,
                          int32_t *count_out);
void ingot_onnx_attr_floats(const ingot_onnx_node *node, const char *name, float *values, int32_t max_count,
                            int32_t *count_out);
/* A strings attribute: *count_out = how many strings it has (-1 if absent); string `index`
 * (when in range) is copied NUL-terminated into buf, truncated to size - 1 bytes. */
void ingot_onnx_attr_strings(const ingot_onnx_node *node, const char *name, int32_t index, char *buf, size_t size,
                             int32_t *count_out);
/* A tensor attribute (Constant's value): NULL if absent. */
const ingot_onnx_value *ingot_onnx_attr_tensor(ingot_onnx_node *node, const char *name);

/* ---- outputs ------------------------------------------------------------------------------- */
/* Output i is `tensor`: it takes the ONNX output's name. */
ingot_status ingot_onnx_set_output(ingot_onnx_node *node, int32_t i, ingot_tensor *tensor);
/* Output i is a constant the importer computed on the host (data copied). */
ingot_status ingot_onnx_set_output_constant(ingot_onnx_node *node, int32_t i, ingot_dtype dtype,
                                            const ingot_dims *dims, const void *data);
/* Names a layer after the node (several layers of one node get "NAME", "NAME/2", ...). */
void ingot_onnx_name_layer(ingot_onnx_node *node, ingot_layer *layer);

/* ---- the tables ---------------------------------------------------------------------------- */
/* Each family file defines its table; importers.c lists the families. */
#define INGOT_ONNX_FAMILY(family)                                  \
  extern const ingot_onnx_importer ingot_onnx_##family##_importers[]; \
  extern const int32_t ingot_onnx_##family##_importer_count;
INGOT_ONNX_FAMILY(basic)       /* Constant, Identity, Dropout (import_basic.c) */
INGOT_ONNX_FAMILY(conv)        /* Conv, ConvTranspose, pools, BatchNormalization, norms, Resize/Upsample, LRN */
INGOT_ONNX_FAMILY(math)        /* activations, elementwise, unary, MatMul, Gemm, Softmax, reductions, Where, ... */
INGOT_ONNX_FAMILY(tensor)      /* Reshape, Transpose, Slice, Gather*, Concat, Split, Pad, shape ops, ... */
INGOT_ONNX_FAMILY(dynamic)     /* NonZero, NonMaxSuppression, Compress, Unique (import_dynamic.c) */
INGOT_ONNX_FAMILY(attention)   /* Attention, RotaryEmbedding (import_attention.c) */
INGOT_ONNX_FAMILY(normalization) /* RMSNormalization, LpNormalization, MeanVarianceNormalization */
INGOT_ONNX_FAMILY(misc)        /* Swish, Shrink, Trilu, EyeLike, bitwise (import_misc.c) */
INGOT_ONNX_FAMILY(loss)        /* NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss (import_loss.c) */
INGOT_ONNX_FAMILY(vision)      /* AffineGrid (import_vision.c) */
INGOT_ONNX_FAMILY(rnn)         /* RNN, GRU, LSTM (import_rnn.c) */
#undef INGOT_ONNX_FAMILY

/* The full table (importers.c), looked up by op type and opset. */
const ingot_onnx_importer *ingot_onnx_find_importer(const char *op_type, int64_t opset);

#endif
