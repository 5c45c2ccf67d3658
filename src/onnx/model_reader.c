/* The ONNX model behind accessors: protobuf-c decodes the bytes once (bounded by the 2 GiB
 * protobuf limit), and everything else reads the decoded tree, turning ONNX types into
 * ingot's and refusing what ingot cannot hold with a message naming it. */
#include "onnx/model_reader.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "onnx/tensor_data.h"

struct ingot_onnx_model {
  Onnx__ModelProto *proto;
  char producer[256];
};

/* protobuf-c's allocations go through malloc/free, so raw_data buffers taken from the tree
 * (tensor_data.c) are freed with free() like every other buffer. */
static void *pb_alloc(void *data, size_t size) {
  (void)data;
  return malloc(size ? size : 1);
}
static void pb_free(void *data, void *ptr) {
  (void)data;
  free(ptr);
}
static ProtobufCAllocator pb_allocator = {pb_alloc, pb_free, NULL};

static const char *str_or_empty(const char *s) { return s ? s : ""; }

/* ---- names ------------------------------------------------------------------------------- */

const char *ingot_onnx_data_type_name(int32_t data_type, char *buf, size_t size) {
  static const char *const names[] = {
      "UNDEFINED", "FLOAT",  "UINT8",     "INT8",          "UINT16",     "INT16",          "INT32",
      "INT64",     "STRING", "BOOL",      "FLOAT16",       "DOUBLE",     "UINT32",         "UINT64",
      "COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ",
      "UINT4",     "INT4",   "FLOAT4E2M1", "FLOAT8E8M0",   "UINT2",      "INT2",           "FLOAT6E2M3",
      "FLOAT6E3M2"};
  if (data_type >= 0 && (size_t)data_type < sizeof names / sizeof names[0]) return names[data_type];
  snprintf(buf, size, "data type %d", (int)data_type);
  return buf;
}

bool ingot_onnx_data_type_to_ingot(int32_t data_type, ingot_dtype *dtype_out) {
  switch (data_type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: *dtype_out = INGOT_FLOAT32; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: *dtype_out = INGOT_FLOAT16; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: *dtype_out = INGOT_BFLOAT16; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: *dtype_out = INGOT_INT8; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: *dtype_out = INGOT_UINT8; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: *dtype_out = INGOT_INT32; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: *dtype_out = INGOT_INT64; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: *dtype_out = INGOT_BOOL; return true;
    default: return false;
  }
}

const char *ingot_onnx_attr_type_name(int32_t type) {
  switch ((ingot_onnx_attr_type)type) {
    case INGOT_ONNX_ATTR_UNDEFINED: return "UNDEFINED";
    case INGOT_ONNX_ATTR_FLOAT: return "FLOAT";
    case INGOT_ONNX_ATTR_INT: return "INT";
    case INGOT_ONNX_ATTR_STRING: return "STRING";
    case INGOT_ONNX_ATTR_TENSOR: return "TENSOR";
    case INGOT_ONNX_ATTR_GRAPH: return "GRAPH";
    case INGOT_ONNX_ATTR_FLOATS: return "FLOATS";
    case INGOT_ONNX_ATTR_INTS: return "INTS";
    case INGOT_ONNX_ATTR_STRINGS: return "STRINGS";
    case INGOT_ONNX_ATTR_TENSORS: return "TENSORS";
    case INGOT_ONNX_ATTR_GRAPHS: return "GRAPHS";
    case INGOT_ONNX_ATTR_SPARSE_TENSOR: return "SPARSE_TENSOR";
    case INGOT_ONNX_ATTR_SPARSE_TENSORS: return "SPARSE_TENSORS";
    case INGOT_ONNX_ATTR_TYPE_PROTO: return "TYPE_PROTO";
    case INGOT_ONNX_ATTR_TYPE_PROTOS: return "TYPE_PROTOS";
  }
  return "unknown attribute type";
}

/* ---- the model --------------------------------------------------------------------------- */

ingot_status ingot_onnx_model_decode(const void *data, size_t size, ingot_onnx_model **model_out) {
  *model_out = NULL;
  if (size == 0) return ingot_fail(INGOT_INVALID_ARGUMENT, "the model is empty (0 bytes), expected an ONNX ModelProto");
  if (!data) return ingot_fail(INGOT_INVALID_ARGUMENT, "the model's data is NULL with size %zu", size);
  if (size > INGOT_ONNX_MAX_MODEL_BYTES)
    return ingot_fail(INGOT_UNSUPPORTED,
                      "the model is %zu bytes, above protobuf's limit of 2 GiB for one message: save its weights as "
                      "external data (onnx.save_model(model, path, save_as_external_data=True)) and parse the .onnx "
                      "file", size);
  ingot_onnx_model *model = calloc(1, sizeof *model);
  if (!model) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory decoding the ONNX model");
  model->proto = onnx__model_proto__unpack(&pb_allocator, size, data);
  if (!model->proto) {
    free(model);
    return ingot_fail(INGOT_INVALID_ARGUMENT,
                      "the %zu bytes are not a valid ONNX model: protobuf decoding of ModelProto failed (truncated or "
                      "corrupted file, or not an .onnx file)", size);
  }
  const Onnx__ModelProto *p = model->proto;
  snprintf(model->producer, sizeof model->producer, "%s%s%s", str_or_empty(p->producer_name),
           p->producer_version && p->producer_version[0] ? " " : "", str_or_empty(p->producer_version));
  *model_out = model;
  return INGOT_SUCCESS;
}

void ingot_onnx_model_free(ingot_onnx_model *model) {
  if (!model) return;
  if (model->proto) onnx__model_proto__free_unpacked(model->proto, &pb_allocator);
  free(model);
}

int64_t ingot_onnx_model_ir_version(const ingot_onnx_model *model) {
  return model->proto->has_ir_version ? model->proto->ir_version : 0;
}

const char *ingot_onnx_model_producer(const ingot_onnx_model *model) { return model->producer; }

int32_t ingot_onnx_model_num_opsets(const ingot_onnx_model *model) {
  return model->proto->n_opset_import > INT32_MAX ? INT32_MAX : (int32_t)model->proto->n_opset_import;
}

const char *ingot_onnx_model_opset(const ingot_onnx_model *model, int32_t i, int64_t *version_out) {
  const Onnx__OperatorSetIdProto *o = model->proto->opset_import[i];
  *version_out = o->has_version ? o->version : 0;
  const char *domain = str_or_empty(o->domain);
  return strcmp(domain, "ai.onnx") == 0 ? "" : domain;
}

bool ingot_onnx_model_has_graph(const ingot_onnx_model *model) { return model->proto->graph != NULL; }

/* ---- graph values -------------------------------------------------------------------------- */

static int32_t clamp_count(size_t n) { return n > INT32_MAX ? INT32_MAX : (int32_t)n; }

static Onnx__ValueInfoProto *const *value_list(const ingot_onnx_model *model, ingot_onnx_value_kind kind,
                                               size_t *count) {
  const Onnx__GraphProto *g = model->proto->graph;
  *count = 0;
  if (!g) return NULL;
  switch (kind) {
    case INGOT_ONNX_GRAPH_INPUT: *count = g->n_input; return g->input;
    case INGOT_ONNX_GRAPH_OUTPUT: *count = g->n_output; return g->output;
    case INGOT_ONNX_VALUE_INFO: *count = g->n_value_info; return g->value_info;
  }
  return NULL;
}

static const char *kind_label(ingot_onnx_value_kind kind) {
  switch (kind) {
    case INGOT_ONNX_GRAPH_INPUT: return "graph input";
    case INGOT_ONNX_GRAPH_OUTPUT: return "graph output";
    case INGOT_ONNX_VALUE_INFO: return "value_info";
  }
  return "value";
}

int32_t ingot_onnx_model_num_values(const ingot_onnx_model *model, ingot_onnx_value_kind kind) {
  size_t n;
  value_list(model, kind, &n);
  return clamp_count(n);
}

const char *ingot_onnx_model_value_name(const ingot_onnx_model *model, ingot_onnx_value_kind kind, int32_t i) {
  size_t n;
  Onnx__ValueInfoProto *const *list = value_list(model, kind, &n);
  return str_or_empty(list[i]->name);
}

ingot_status ingot_onnx_model_value_type(const ingot_onnx_model *model, ingot_onnx_value_kind kind, int32_t i,
                                         ingot_dtype *dtype_out, ingot_dims *dims_out) {
  size_t n;
  const Onnx__ValueInfoProto *vi = value_list(model, kind, &n)[i];
  const char *name = str_or_empty(vi->name), *label = kind_label(kind);
  memset(dims_out, 0, sizeof *dims_out);
  dims_out->nb_dims = -1;
  const Onnx__TypeProto *type = vi->type;
  const char *other = NULL;
  switch (type ? type->value_case : ONNX__TYPE_PROTO__VALUE__NOT_SET) {
    case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE: break;
    case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE: other = "a sequence"; break;
    case ONNX__TYPE_PROTO__VALUE_MAP_TYPE: other = "a map"; break;
    case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE: other = "an optional"; break;
    case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE: other = "a sparse tensor"; break;
    case ONNX__TYPE_PROTO__VALUE_OPAQUE_TYPE: other = "an opaque value"; break;
    default:
      return ingot_fail(INGOT_INVALID_ARGUMENT, "%s '%s' has no type, expected a tensor type", label, name);
  }
  if (other)
    return ingot_fail(INGOT_UNSUPPORTED, "%s '%s' is %s; ingot handles tensors only", label, name, other);
  const Onnx__TypeProto__Tensor *t = type->tensor_type;
  char buf[32];
  int32_t elem = t->has_elem_type ? t->elem_type : 0;
  if (!ingot_onnx_data_type_to_ingot(elem, dtype_out))
    return ingot_fail(INGOT_UNSUPPORTED,
                      "%s '%s' has element type %s; ingot's tensors are FLOAT, FLOAT16, BFLOAT16, INT8, UINT8, INT32, "
                      "INT64 or BOOL", label, name, ingot_onnx_data_type_name(elem, buf, sizeof buf));
  if (!t->shape) return INGOT_SUCCESS; /* rank unknown */
  if (t->shape->n_dim > INGOT_MAX_DIMS)
    return ingot_fail(INGOT_UNSUPPORTED, "%s '%s' has rank %zu; ingot handles at most %d dims", label, name,
                      t->shape->n_dim, INGOT_MAX_DIMS);
  dims_out->nb_dims = (int32_t)t->shape->n_dim;
  for (size_t d = 0; d < t->shape->n_dim; d++) {
    const Onnx__TensorShapeProto__Dimension *dim = t->shape->dim[d];
    if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
      if (dim->dim_value < 0)
        return ingot_fail(INGOT_INVALID_ARGUMENT, "%s '%s': dim %zu is %" PRId64 ", expected >= 0 (or a dim_param)",
                          label, name, d, dim->dim_value);
      dims_out->d[d] = dim->dim_value;
    } else {
      dims_out->d[d] = -1; /* dim_param, or nothing: dynamic */
    }
  }
  return INGOT_SUCCESS;
}

/* ---- initializers ------------------------------------------------------------------------ */

int32_t ingot_onnx_model_num_initializers(const ingot_onnx_model *model) {
  return model->proto->graph ? clamp_count(model->proto->graph->n_initializer) : 0;
}

const char *ingot_onnx_model_initializer_name(const ingot_onnx_model *model, int32_t i) {
  return str_or_empty(model->proto->graph->initializer[i]->name);
}

ingot_status ingot_onnx_model_initializer(ingot_onnx_model *model, int32_t i, const ingot_onnx_read_ctx *ctx,
                                          ingot_onnx_tensor *out) {
  Onnx__TensorProto *t = model->proto->graph->initializer[i];
  char what[320];
  snprintf(what, sizeof what, "initializer '%.280s'", str_or_empty(t->name));
  return ingot_onnx_tensor_convert(t, ctx, what, true, out);
}

int32_t ingot_onnx_model_num_sparse_initializers(const ingot_onnx_model *model) {
  return model->proto->graph ? clamp_count(model->proto->graph->n_sparse_initializer) : 0;
}

/* ---- nodes ------------------------------------------------------------------------------- */

int32_t ingot_onnx_model_num_nodes(const ingot_onnx_model *model) {
  return model->proto->graph ? clamp_count(model->proto->graph->n_node) : 0;
}

/* Files written before AttributeProto.type existed leave it out: the field set says it. */
static int32_t deduce_type(const Onnx__AttributeProto *a) {
  if (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED) return (int32_t)a->type;
  if (a->has_f) return INGOT_ONNX_ATTR_FLOAT;
  if (a->has_i) return INGOT_ONNX_ATTR_INT;
  if (a->has_s) return INGOT_ONNX_ATTR_STRING;
  if (a->t) return INGOT_ONNX_ATTR_TENSOR;
  if (a->has_g) return INGOT_ONNX_ATTR_GRAPH;
  if (a->has_sparse_tensor) return INGOT_ONNX_ATTR_SPARSE_TENSOR;
  if (a->has_tp) return INGOT_ONNX_ATTR_TYPE_PROTO;
  if (a->n_floats) return INGOT_ONNX_ATTR_FLOATS;
  if (a->n_ints) return INGOT_ONNX_ATTR_INTS;
  if (a->n_strings) return INGOT_ONNX_ATTR_STRINGS;
  if (a->n_tensors) return INGOT_ONNX_ATTR_TENSORS;
  if (a->n_graphs) return INGOT_ONNX_ATTR_GRAPHS;
  if (a->n_sparse_tensors) return INGOT_ONNX_ATTR_SPARSE_TENSORS;
  if (a->n_type_protos) return INGOT_ONNX_ATTR_TYPE_PROTOS;
  return INGOT_ONNX_ATTR_UNDEFINED;
}

static ingot_status read_attr(const Onnx__AttributeProto *a, const ingot_onnx_read_ctx *ctx, ingot_onnx_attr *out) {
  out->name = str_or_empty(a->name);
  out->ref_attr_name = str_or_empty(a->ref_attr_name);
  out->type = deduce_type(a);
  out->i = a->i;
  out->f = a->f;
  out->ints = a->ints;
  out->nb_ints = clamp_count(a->n_ints);
  out->floats = a->floats;
  out->nb_floats = clamp_count(a->n_floats);
  out->strings = a->strings;
  out->nb_strings = clamp_count(a->n_strings);
  if (out->type == INGOT_ONNX_ATTR_STRING) {
    /* bytes, not NUL-terminated in the file: a copy the importers can use as a C string. */
    out->s = malloc(a->s.len + 1);
    if (!out->s) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory copying attribute '%s'", out->name);
    if (a->s.len) memcpy(out->s, a->s.data, a->s.len);
    out->s[a->s.len] = '\0';
    out->s_len = a->s.len;
  }
  if (out->type == INGOT_ONNX_ATTR_TENSOR) {
    if (!a->t) {
      out->tensor_status = ingot_fail(INGOT_INVALID_ARGUMENT, "attribute '%s' has type TENSOR but holds no tensor",
                                      out->name);
    } else {
      /* The parser puts the node in front of a failure: the message names the attribute. */
      char what[300];
      snprintf(what, sizeof what, "attribute '%.200s'", out->name);
      /* The model stays const: attribute tensors are copied, never taken. */
      out->tensor_status = ingot_onnx_tensor_convert(a->t, ctx, what, false, &out->tensor);
      out->has_tensor = out->tensor_status == INGOT_SUCCESS;
    }
    if (out->tensor_status != INGOT_SUCCESS) {
      out->tensor_error = strdup(ingot_last_error());
      if (!out->tensor_error) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory reading attribute '%s'", out->name);
    }
  }
  return INGOT_SUCCESS;
}

ingot_status ingot_onnx_model_node(const ingot_onnx_model *model, int32_t i, const ingot_onnx_read_ctx *ctx,
                                   ingot_onnx_node_desc *out) {
  memset(out, 0, sizeof *out);
  const Onnx__NodeProto *n = model->proto->graph->node[i];
  out->name = str_or_empty(n->name);
  out->op_type = str_or_empty(n->op_type);
  out->domain = str_or_empty(n->domain);
  if (strcmp(out->domain, "ai.onnx") == 0) out->domain = "";
  out->inputs = (const char *const *)n->input;
  out->nb_inputs = clamp_count(n->n_input);
  out->outputs = (const char *const *)n->output;
  out->nb_outputs = clamp_count(n->n_output);
  if (n->n_attribute == 0) return INGOT_SUCCESS;
  out->attrs = calloc(n->n_attribute, sizeof *out->attrs);
  if (!out->attrs) return ingot_fail(INGOT_OUT_OF_MEMORY, "out of memory reading the attributes of node %d", (int)i);
  out->nb_attrs = clamp_count(n->n_attribute);
  for (int32_t a = 0; a < out->nb_attrs; a++) {
    ingot_status st = read_attr(n->attribute[a], ctx, &out->attrs[a]);
    if (st != INGOT_SUCCESS) {
      ingot_onnx_node_desc_free(out);
      return st;
    }
  }
  return INGOT_SUCCESS;
}

void ingot_onnx_node_desc_free(ingot_onnx_node_desc *desc) {
  for (int32_t a = 0; a < desc->nb_attrs; a++) {
    free(desc->attrs[a].s);
    free(desc->attrs[a].tensor.data);
    free(desc->attrs[a].tensor_error);
  }
  free(desc->attrs);
  memset(desc, 0, sizeof *desc);
}

const char *ingot_onnx_model_node_name(const ingot_onnx_model *model, int32_t i) {
  return str_or_empty(model->proto->graph->node[i]->name);
}

const char *const *ingot_onnx_model_node_outputs(const ingot_onnx_model *model, int32_t i, int32_t *count_out) {
  const Onnx__NodeProto *n = model->proto->graph->node[i];
  *count_out = clamp_count(n->n_output);
  return (const char *const *)n->output;
}
