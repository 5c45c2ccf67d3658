/* The ONNX model as the parser sees it: a decoded ModelProto behind accessors that speak
 * ingot's types, so only the reader (model_reader.c, tensor_data.c) knows protobuf-c.
 * Everything a model can get wrong comes back as a status with a message naming the
 * value, node or field, what was expected and what was found; nothing aborts. */
#ifndef INGOT_ONNX_MODEL_READER_H
#define INGOT_ONNX_MODEL_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "ingot/ingot.h"

typedef struct ingot_onnx_model ingot_onnx_model;

/* Protobuf caps one message at 2 GiB; bigger weights belong in external data files. */
#define INGOT_ONNX_MAX_MODEL_BYTES ((size_t)INT32_MAX)

/* The opsets of the default domain ("" or "ai.onnx") ingot imports. */
#define INGOT_ONNX_MIN_OPSET 1
#define INGOT_ONNX_MAX_OPSET 28 /* the newest the pinned onnx (1.23.2) defines */

/* What reading tensors needs besides the model: where external data files are (NULL:
 * external data refused) and where verbose notes go (may be NULL). */
typedef struct ingot_onnx_read_ctx {
  const char *model_dir;
  ingot_logger *logger;
} ingot_onnx_read_ctx;

/* A tensor's data converted to an ingot dtype; `data` is malloc'ed and owned by whoever
 * holds the struct (free with free()); NULL when the tensor has no elements. */
typedef struct ingot_onnx_tensor {
  ingot_dtype dtype;
  ingot_dims dims;
  void *data;
  size_t size; /* bytes */
} ingot_onnx_tensor;

/* ONNX AttributeProto.AttributeType values. */
typedef enum ingot_onnx_attr_type {
  INGOT_ONNX_ATTR_UNDEFINED = 0,
  INGOT_ONNX_ATTR_FLOAT = 1,
  INGOT_ONNX_ATTR_INT = 2,
  INGOT_ONNX_ATTR_STRING = 3,
  INGOT_ONNX_ATTR_TENSOR = 4,
  INGOT_ONNX_ATTR_GRAPH = 5,
  INGOT_ONNX_ATTR_FLOATS = 6,
  INGOT_ONNX_ATTR_INTS = 7,
  INGOT_ONNX_ATTR_STRINGS = 8,
  INGOT_ONNX_ATTR_TENSORS = 9,
  INGOT_ONNX_ATTR_GRAPHS = 10,
  INGOT_ONNX_ATTR_SPARSE_TENSOR = 11,
  INGOT_ONNX_ATTR_SPARSE_TENSORS = 12,
  INGOT_ONNX_ATTR_TYPE_PROTO = 13,
  INGOT_ONNX_ATTR_TYPE_PROTOS = 14
} ingot_onnx_attr_type;

/* "INTS" for a type value; "unknown attribute type" for a value outside the enum. */
const char *ingot_onnx_attr_type_name(int32_t type);

typedef struct ingot_onnx_attr {
  const char *name;          /* "" if absent */
  const char *ref_attr_name; /* non-empty: a function's attribute reference (refused in graphs) */
  int32_t type;              /* ingot_onnx_attr_type; deduced from the fields set when the file omits it */
  int64_t i;
  float f;
  char *s; /* STRING: a NUL-terminated copy; NULL otherwise */
  size_t s_len;
  const int64_t *ints;
  int32_t nb_ints;
  const float *floats;
  int32_t nb_floats;
  const struct ProtobufCBinaryData *strings; /* STRINGS: byte strings, not NUL-terminated */
  int32_t nb_strings;
  /* TENSOR: the converted value, or why it could not be converted. */
  bool has_tensor;
  ingot_onnx_tensor tensor;
  ingot_status tensor_status;
  char *tensor_error; /* malloc'ed; NULL when tensor_status is success */
} ingot_onnx_attr;

/* One NodeProto. Strings point into the model (valid while it lives); attrs is owned. */
typedef struct ingot_onnx_node_desc {
  const char *name, *op_type, *domain; /* "" when absent */
  const char *const *inputs;           /* "" marks an absent optional input */
  int32_t nb_inputs;
  const char *const *outputs;
  int32_t nb_outputs;
  ingot_onnx_attr *attrs;
  int32_t nb_attrs;
} ingot_onnx_node_desc;

/* ---- the model --------------------------------------------------------------------------- */
/* Decodes `size` bytes (refused above INGOT_ONNX_MAX_MODEL_BYTES, pointing at external
 * data). The bytes are not kept: the caller may free them after the call. */
ingot_status ingot_onnx_model_decode(const void *data, size_t size, ingot_onnx_model **model_out);
void ingot_onnx_model_free(ingot_onnx_model *model);

int64_t ingot_onnx_model_ir_version(const ingot_onnx_model *model);
const char *ingot_onnx_model_producer(const ingot_onnx_model *model); /* "name version" or "" */
int32_t ingot_onnx_model_num_opsets(const ingot_onnx_model *model);
/* Domain of opset import i ("" for the default domain, "ai.onnx" mapped to ""). */
const char *ingot_onnx_model_opset(const ingot_onnx_model *model, int32_t i, int64_t *version_out);
bool ingot_onnx_model_has_graph(const ingot_onnx_model *model);

/* ---- graph inputs, outputs, value_info ---------------------------------------------------- */
typedef enum ingot_onnx_value_kind {
  INGOT_ONNX_GRAPH_INPUT = 0,
  INGOT_ONNX_GRAPH_OUTPUT,
  INGOT_ONNX_VALUE_INFO
} ingot_onnx_value_kind;

int32_t ingot_onnx_model_num_values(const ingot_onnx_model *model, ingot_onnx_value_kind kind);
const char *ingot_onnx_model_value_name(const ingot_onnx_model *model, ingot_onnx_value_kind kind, int32_t i);
/* The declared type as an ingot dtype and dims: dim_value, or -1 for dim_param / unknown;
 * nb_dims -1 when no shape is declared. Fails naming the value for a non-tensor type, an
 * element type ingot lacks, a negative dim or a rank above INGOT_MAX_DIMS. */
ingot_status ingot_onnx_model_value_type(const ingot_onnx_model *model, ingot_onnx_value_kind kind, int32_t i,
                                         ingot_dtype *dtype_out, ingot_dims *dims_out);

/* ---- initializers ------------------------------------------------------------------------ */
int32_t ingot_onnx_model_num_initializers(const ingot_onnx_model *model);
const char *ingot_onnx_model_initializer_name(const ingot_onnx_model *model, int32_t i);
/* Converts initializer i (raw, typed or external data) into *out (data owned by the caller).
 * Its buffer may be taken from the model: call once per initializer. */
ingot_status ingot_onnx_model_initializer(ingot_onnx_model *model, int32_t i, const ingot_onnx_read_ctx *ctx,
                                          ingot_onnx_tensor *out);
int32_t ingot_onnx_model_num_sparse_initializers(const ingot_onnx_model *model);

/* ---- nodes ------------------------------------------------------------------------------- */
int32_t ingot_onnx_model_num_nodes(const ingot_onnx_model *model);
/* Node i with its attributes decoded (tensor attributes converted; a conversion failure is
 * kept in the attribute, not returned). Fails only when memory runs out. */
ingot_status ingot_onnx_model_node(const ingot_onnx_model *model, int32_t i, const ingot_onnx_read_ctx *ctx,
                                   ingot_onnx_node_desc *out);
void ingot_onnx_node_desc_free(ingot_onnx_node_desc *desc);
/* Node i's name ("" if none) and output names, without decoding its attributes. */
const char *ingot_onnx_model_node_name(const ingot_onnx_model *model, int32_t i);
const char *const *ingot_onnx_model_node_outputs(const ingot_onnx_model *model, int32_t i, int32_t *count_out);

/* ---- dtypes ------------------------------------------------------------------------------ */
/* ONNX TensorProto.DataType name ("FLOAT16"), or "data type N" for an unknown value. */
const char *ingot_onnx_data_type_name(int32_t data_type, char *buf, size_t size);
/* The ingot dtype of an ONNX element type, false if ingot has none. */
bool ingot_onnx_data_type_to_ingot(int32_t data_type, ingot_dtype *dtype_out);

#endif
