/* The ONNX reader and parser core: models built here with protobuf-c and packed to bytes,
 * then read back through the reader (model_reader.h) and the public parser API. Covers
 * every storage of initializer data (raw, typed fields, external files), every check on
 * counts, dims, sizes and paths, and the parse loop's error list (unknown ops, undefined
 * values, poisoned outputs, opsets, domains, subgraphs). */
#include "test_util.h"

#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx.pb-c.h"
#include "onnx/importer.h"
#include "onnx/model_reader.h"

/* ---- building models: everything from one arena, freed at the end ------------------------- */
static void *arena[8192];
static int arena_n = 0;

static void *A(size_t size) {
  void *p = calloc(1, size ? size : 1);
  if (!p || arena_n == (int)(sizeof arena / sizeof arena[0])) {
    fprintf(stderr, "test arena exhausted\n");
    exit(2);
  }
  arena[arena_n++] = p;
  return p;
}
static char *S(const char *s) { return strcpy(A(strlen(s) + 1), s); }
static void arena_free(void) {
  while (arena_n > 0) free(arena[--arena_n]);
}

#define CAP 32 /* room in every repeated field built here */

static Onnx__TensorProto *tp_new(const char *name, int32_t data_type, int32_t nd, const int64_t *dims) {
  Onnx__TensorProto *t = A(sizeof *t);
  onnx__tensor_proto__init(t);
  t->name = S(name);
  t->has_data_type = 1;
  t->data_type = data_type;
  t->n_dims = (size_t)nd;
  t->dims = A(sizeof(int64_t) * (size_t)(nd ? nd : 1));
  for (int32_t i = 0; i < nd; i++) t->dims[i] = dims[i];
  return t;
}
static void tp_raw(Onnx__TensorProto *t, const void *bytes, size_t n) {
  t->has_raw_data = 1;
  t->raw_data.len = n;
  t->raw_data.data = A(n);
  if (n) memcpy(t->raw_data.data, bytes, n);
}
static void tp_floats(Onnx__TensorProto *t, const float *v, size_t n) {
  t->n_float_data = n;
  t->float_data = A(n * sizeof *v);
  memcpy(t->float_data, v, n * sizeof *v);
}
static void tp_int32s(Onnx__TensorProto *t, const int32_t *v, size_t n) {
  t->n_int32_data = n;
  t->int32_data = A(n * sizeof *v);
  memcpy(t->int32_data, v, n * sizeof *v);
}
static void tp_int64s(Onnx__TensorProto *t, const int64_t *v, size_t n) {
  t->n_int64_data = n;
  t->int64_data = A(n * sizeof *v);
  memcpy(t->int64_data, v, n * sizeof *v);
}
static void tp_doubles(Onnx__TensorProto *t, const double *v, size_t n) {
  t->n_double_data = n;
  t->double_data = A(n * sizeof *v);
  memcpy(t->double_data, v, n * sizeof *v);
}
static void tp_uint64s(Onnx__TensorProto *t, const uint64_t *v, size_t n) {
  t->n_uint64_data = n;
  t->uint64_data = A(n * sizeof *v);
  memcpy(t->uint64_data, v, n * sizeof *v);
}
static void tp_external(Onnx__TensorProto *t, const char *location, const char *offset, const char *length) {
  t->has_data_location = 1;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  t->external_data = A(3 * sizeof *t->external_data);
  const char *keys[3] = {"location", "offset", "length"}, *vals[3] = {location, offset, length};
  for (int k = 0; k < 3; k++) {
    if (!vals[k]) continue;
    Onnx__StringStringEntryProto *e = A(sizeof *e);
    onnx__string_string_entry_proto__init(e);
    e->key = S(keys[k]);
    e->value = S(vals[k]);
    t->external_data[t->n_external_data++] = e;
  }
}

/* A tensor value info; a dim of -1 becomes a dim_param "N". nd = -1: no shape. */
static Onnx__ValueInfoProto *vi_new(const char *name, int32_t elem, int32_t nd, const int64_t *dims) {
  Onnx__ValueInfoProto *v = A(sizeof *v);
  onnx__value_info_proto__init(v);
  v->name = S(name);
  Onnx__TypeProto *type = A(sizeof *type);
  onnx__type_proto__init(type);
  Onnx__TypeProto__Tensor *tt = A(sizeof *tt);
  onnx__type_proto__tensor__init(tt);
  tt->has_elem_type = 1;
  tt->elem_type = elem;
  if (nd >= 0) {
    Onnx__TensorShapeProto *shape = A(sizeof *shape);
    onnx__tensor_shape_proto__init(shape);
    shape->n_dim = (size_t)nd;
    shape->dim = A(sizeof *shape->dim * (size_t)(nd ? nd : 1));
    for (int32_t i = 0; i < nd; i++) {
      Onnx__TensorShapeProto__Dimension *d = A(sizeof *d);
      onnx__tensor_shape_proto__dimension__init(d);
      if (dims[i] >= 0) {
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d->dim_value = dims[i];
      } else {
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
        d->dim_param = S("N");
      }
      shape->dim[i] = d;
    }
    tt->shape = shape;
  }
  type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  type->tensor_type = tt;
  v->type = type;
  return v;
}

static Onnx__NodeProto *node_new(const char *op, const char *name, const char *in0, const char *in1,
                                 const char *out0) {
  Onnx__NodeProto *n = A(sizeof *n);
  onnx__node_proto__init(n);
  n->op_type = S(op);
  if (name) n->name = S(name);
  n->input = A(CAP * sizeof(char *));
  n->output = A(CAP * sizeof(char *));
  n->attribute = A(CAP * sizeof *n->attribute);
  if (in0) n->input[n->n_input++] = S(in0);
  if (in1) n->input[n->n_input++] = S(in1);
  if (out0) n->output[n->n_output++] = S(out0);
  return n;
}
static Onnx__AttributeProto *attr_new(Onnx__NodeProto *n, const char *name, int type) {
  Onnx__AttributeProto *a = A(sizeof *a);
  onnx__attribute_proto__init(a);
  a->name = S(name);
  a->has_type = 1;
  a->type = (Onnx__AttributeProto__AttributeType)type;
  n->attribute[n->n_attribute++] = a;
  return a;
}

static Onnx__GraphProto *graph_new(void) {
  Onnx__GraphProto *g = A(sizeof *g);
  onnx__graph_proto__init(g);
  g->name = S("test");
  g->node = A(CAP * sizeof *g->node);
  g->initializer = A(CAP * sizeof *g->initializer);
  g->input = A(CAP * sizeof *g->input);
  g->output = A(CAP * sizeof *g->output);
  g->value_info = A(CAP * sizeof *g->value_info);
  return g;
}
static void add_node(Onnx__GraphProto *g, Onnx__NodeProto *n) { g->node[g->n_node++] = n; }
static void add_init(Onnx__GraphProto *g, Onnx__TensorProto *t) { g->initializer[g->n_initializer++] = t; }
static void add_input(Onnx__GraphProto *g, Onnx__ValueInfoProto *v) { g->input[g->n_input++] = v; }
static void add_output(Onnx__GraphProto *g, Onnx__ValueInfoProto *v) { g->output[g->n_output++] = v; }

static Onnx__ModelProto *model_new(Onnx__GraphProto *g, int64_t opset, const char *domain) {
  Onnx__ModelProto *m = A(sizeof *m);
  onnx__model_proto__init(m);
  m->has_ir_version = 1;
  m->ir_version = 8;
  m->producer_name = S("test_onnx_reader");
  m->graph = g;
  Onnx__OperatorSetIdProto *o = A(sizeof *o);
  onnx__operator_set_id_proto__init(o);
  o->domain = S(domain);
  o->has_version = 1;
  o->version = opset;
  m->opset_import = A(sizeof *m->opset_import);
  m->opset_import[0] = o;
  m->n_opset_import = 1;
  return m;
}

static uint8_t *pack(const Onnx__ModelProto *m, size_t *size) {
  *size = onnx__model_proto__get_packed_size(m);
  uint8_t *buf = A(*size);
  onnx__model_proto__pack(m, buf);
  return buf;
}

/* ---- parsing ----------------------------------------------------------------------------------- */
typedef struct parsed {
  ingot_network *network;
  ingot_onnx_parser *parser;
  ingot_status status;
} parsed;

static parsed parse_model(const Onnx__ModelProto *m, const char *dir) {
  parsed p = {NULL, NULL, INGOT_SUCCESS};
  size_t size;
  uint8_t *bytes = pack(m, &size);
  CHECK_OK(ingot_network_create(NULL, &p.network));
  CHECK_OK(ingot_onnx_parser_create(p.network, NULL, &p.parser));
  p.status = ingot_onnx_parser_parse(p.parser, bytes, size, dir);
  return p;
}
static void parsed_free(parsed *p) {
  ingot_onnx_parser_destroy(p->parser);
  ingot_network_destroy(p->network);
}
/* Whether error `i` has this status and its message contains `needle`. */
static int error_has(const parsed *p, int32_t i, ingot_status status, const char *needle) {
  ingot_onnx_parser_error e;
  if (ingot_onnx_parser_get_error(p->parser, i, &e) != INGOT_SUCCESS) return 0;
  if (e.status != status || !strstr(e.message, needle)) {
    fprintf(stderr, "  error %d: %s: %s (wanted %s with '%s')\n", (int)i, ingot_status_name(e.status), e.message,
            ingot_status_name(status), needle);
    return 0;
  }
  return 1;
}

static const int64_t dims23[2] = {2, 3};

/* A model whose only content is initializer `t`, also a graph output. */
static Onnx__ModelProto *initializer_model(Onnx__TensorProto *t) {
  Onnx__GraphProto *g = graph_new();
  add_init(g, t);
  add_output(g, vi_new(t->name, t->data_type, (int32_t)t->n_dims, t->dims));
  return model_new(g, 13, "");
}

/* Reads initializer 0 of `m` through the reader; *out owns its data. */
static ingot_status read_initializer(const Onnx__ModelProto *m, const char *dir, ingot_onnx_tensor *out) {
  size_t size;
  uint8_t *bytes = pack(m, &size);
  ingot_onnx_model *model = NULL;
  ingot_status st = ingot_onnx_model_decode(bytes, size, &model);
  if (st != INGOT_SUCCESS) return st;
  ingot_onnx_read_ctx ctx = {dir, NULL};
  st = ingot_onnx_model_initializer(model, 0, &ctx, out);
  ingot_onnx_model_free(model);
  return st;
}

/* ---- tests: tensor data ------------------------------------------------------------------------ */

static void test_typed_fields(void) {
  const float f[6] = {1, -2, 3.5f, 4, 5, 6};
  ingot_onnx_tensor t;
  Onnx__TensorProto *p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_floats(p, f, 6);
  CHECK_OK(read_initializer(initializer_model(p), NULL, &t));
  CHECK(t.dtype == INGOT_FLOAT32 && t.dims.nb_dims == 2 && t.dims.d[1] == 3 && t.size == 24);
  CHECK(t.data && memcmp(t.data, f, sizeof f) == 0);
  free(t.data);

  /* int32_data carries every type of 16 bits or less. */
  const int32_t i8[6] = {-128, 127, 0, 1, -1, 5};
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 2, dims23);
  tp_int32s(p, i8, 6);
  CHECK_OK(read_initializer(initializer_model(p), NULL, &t));
  CHECK(t.dtype == INGOT_INT8 && ((int8_t *)t.data)[0] == -128 && ((int8_t *)t.data)[5] == 5);
  free(t.data);

  const int32_t u16[6] = {0, 65535, 7, 8, 9, 10};
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__UINT16, 2, dims23);
  tp_int32s(p, u16, 6);
  CHECK_OK(read_initializer(initializer_model(p), NULL, &t));
  CHECK(t.dtype == INGOT_INT64 && ((int64_t *)t.data)[1] == 65535);
  free(t.data);

  const int32_t half[6] = {0x3C00, 0xC000, 0, 0, 0, 0x7BFF}; /* 1.0, -2.0, ..., 65504 */
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16, 2, dims23);
  tp_int32s(p, half, 6);
  CHECK_OK(read_initializer(initializer_model(p), NULL, &t));
  CHECK(t.dtype == INGOT_FLOAT16 && ((uint16_t *)t.data)[0] == 0x3C00 && ((uint16_t *)t.data)[1] == 0xC000);
  free(t.data);

  const int32_t bools[6] = {0, 1, 0, 2, 1, 0};
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__BOOL, 2, dims23);
  tp_int32s(p, bools, 6);
  CHECK_OK(read_initializer(initializer_model(p), NULL, &t));
  CHECK(t.dtype == INGOT_BOOL && ((uint8_t *)t.data)[3] == 1 && ((uint8_t *)t.data)[2] == 0);
  free(t.data);

  const int64_t i64[6] = {INT64_MIN, INT64_MAX, 0, 1, 2, 3};
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 2, dims23);
  tp_int64s(p, i64, 6);
  CHECK_OK(read_initializer(initializer_model(p), NULL, &t));
  CHECK(t.dtype == INGOT_INT64 && memcmp(t.data, i64, sizeof i64) == 0);
  free(t.data);

  /* float64 becomes float32; uint32 becomes int64. */
  const double d[6] = {0.5, -1.25, 1e10, 0, 0, 3};
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, 2, dims23);
  tp_doubles(p, d, 6);
  CHECK_OK(read_initializer(initializer_model(p), NULL, &t));
  CHECK(t.dtype == INGOT_FLOAT32 && ((float *)t.data)[1] == -1.25f && ((float *)t.data)[2] == 1e10f);
  free(t.data);

  const uint64_t u32[6] = {0, 4294967295ULL, 1, 2, 3, 4};
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__UINT32, 2, dims23);
  tp_uint64s(p, u32, 6);
  CHECK_OK(read_initializer(initializer_model(p), NULL, &t));
  CHECK(t.dtype == INGOT_INT64 && ((int64_t *)t.data)[1] == 4294967295LL);
  free(t.data);

  /* Out of range for the declared type. */
  const int32_t bad8[6] = {0, 300, 0, 0, 0, 0};
  p = tp_new("w8", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 2, dims23);
  tp_int32s(p, bad8, 6);
  CHECK_FAILS(read_initializer(initializer_model(p), NULL, &t), INGOT_INVALID_ARGUMENT, "int32_data[1] = 300");
  const uint64_t big[1] = {UINT64_MAX};
  const int64_t one[1] = {1};
  p = tp_new("u", ONNX__TENSOR_PROTO__DATA_TYPE__UINT64, 1, one);
  tp_uint64s(p, big, 1);
  CHECK_FAILS(read_initializer(initializer_model(p), NULL, &t), INGOT_UNSUPPORTED, "out of range");
}

static void test_raw_data(void) {
  ingot_onnx_tensor t;
  const float f[6] = {1, 2, 3, 4, 5, 6};
  Onnx__TensorProto *p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_raw(p, f, sizeof f);
  CHECK_OK(read_initializer(initializer_model(p), NULL, &t));
  CHECK(t.dtype == INGOT_FLOAT32 && memcmp(t.data, f, sizeof f) == 0);
  free(t.data);

  const int16_t s16[6] = {-32768, 32767, -1, 0, 1, 2};
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__INT16, 2, dims23);
  tp_raw(p, s16, sizeof s16);
  CHECK_OK(read_initializer(initializer_model(p), NULL, &t));
  CHECK(t.dtype == INGOT_INT64 && ((int64_t *)t.data)[0] == -32768 && ((int64_t *)t.data)[2] == -1);
  free(t.data);

  const double d[6] = {1.5, -2, 0, 0, 0, 7};
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, 2, dims23);
  tp_raw(p, d, sizeof d);
  CHECK_OK(read_initializer(initializer_model(p), NULL, &t));
  CHECK(t.dtype == INGOT_FLOAT32 && ((float *)t.data)[0] == 1.5f && ((float *)t.data)[5] == 7.0f);
  free(t.data);

  const uint8_t b[6] = {0, 1, 0, 9, 1, 0};
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__BOOL, 2, dims23);
  tp_raw(p, b, sizeof b);
  CHECK_OK(read_initializer(initializer_model(p), NULL, &t));
  CHECK(t.dtype == INGOT_BOOL && ((uint8_t *)t.data)[3] == 1);
  free(t.data);

  /* Rank 0 (a scalar) and an empty tensor. */
  const int64_t v = 42;
  p = tp_new("s", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 0, NULL);
  tp_raw(p, &v, sizeof v);
  CHECK_OK(read_initializer(initializer_model(p), NULL, &t));
  CHECK(t.dims.nb_dims == 0 && *(int64_t *)t.data == 42);
  free(t.data);
  const int64_t zero[2] = {0, 3};
  p = tp_new("e", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, zero);
  CHECK_OK(read_initializer(initializer_model(p), NULL, &t));
  CHECK(t.data == NULL && t.size == 0 && t.dims.d[0] == 0);

  /* Counts and sizes that lie. */
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_raw(p, f, 20);
  CHECK_FAILS(read_initializer(initializer_model(p), NULL, &t), INGOT_INVALID_ARGUMENT, "raw_data holds 20 bytes, expected 24");
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_floats(p, f, 5);
  CHECK_FAILS(read_initializer(initializer_model(p), NULL, &t), INGOT_INVALID_ARGUMENT, "float_data holds 5 values, expected 6");
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  CHECK_FAILS(read_initializer(initializer_model(p), NULL, &t), INGOT_INVALID_ARGUMENT, "has no data");
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_raw(p, f, sizeof f);
  tp_floats(p, f, 6);
  CHECK_FAILS(read_initializer(initializer_model(p), NULL, &t), INGOT_INVALID_ARGUMENT, "both raw_data and float_data");
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_int64s(p, zero, 2);
  CHECK_FAILS(read_initializer(initializer_model(p), NULL, &t), INGOT_INVALID_ARGUMENT, "it holds int64_data");
  const int64_t neg[2] = {2, -3};
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, neg);
  CHECK_FAILS(read_initializer(initializer_model(p), NULL, &t), INGOT_INVALID_ARGUMENT, "dim 1 is -3");
  const int64_t huge[3] = {INT64_C(1) << 40, INT64_C(1) << 40, 2};
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 3, huge);
  CHECK_FAILS(read_initializer(initializer_model(p), NULL, &t), INGOT_INVALID_ARGUMENT, "overflows");
  const int64_t rank9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 9, rank9);
  tp_raw(p, f, 4);
  CHECK_FAILS(read_initializer(initializer_model(p), NULL, &t), INGOT_UNSUPPORTED, "rank 9");
  p = tp_new("str", ONNX__TENSOR_PROTO__DATA_TYPE__STRING, 0, NULL);
  CHECK_FAILS(read_initializer(initializer_model(p), NULL, &t), INGOT_UNSUPPORTED, "element type STRING");
  p = tp_new("seg", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_raw(p, f, sizeof f);
  p->segment = A(sizeof *p->segment);
  onnx__tensor_proto__segment__init(p->segment);
  CHECK_FAILS(read_initializer(initializer_model(p), NULL, &t), INGOT_UNSUPPORTED, "segment");
}

static char tmpdir[256];

static void write_file(const char *name, const void *data, size_t size) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  if (!f) return;
  CHECK(fwrite(data, 1, size, f) == size);
  fclose(f);
}

static void test_external_data(void) {
  ingot_onnx_tensor t;
  float file[8] = {-1, 1, 2, 3, 4, 5, 6, -1}; /* the tensor is elements 1..6 */
  write_file("w.bin", file, sizeof file);
  CHECK(mkdir(strcat(strcpy((char[300]){0}, tmpdir), "/sub"), 0700) == 0);
  write_file("sub/w.bin", file, sizeof file);

  Onnx__TensorProto *p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_external(p, "w.bin", "4", "24");
  CHECK_OK(read_initializer(initializer_model(p), tmpdir, &t));
  CHECK(t.size == 24 && t.data && memcmp(t.data, file + 1, 24) == 0);
  free(t.data);
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_external(p, "sub/./w.bin", "4", NULL); /* no length: to the end (8 bytes too many) */
  CHECK_FAILS(read_initializer(initializer_model(p), tmpdir, &t), INGOT_INVALID_ARGUMENT, "length is 28 bytes, expected 24");

  /* Paths that leave the model's directory, and files that do not hold the data. */
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_external(p, "../w.bin", "0", "24");
  CHECK_FAILS(read_initializer(initializer_model(p), tmpdir, &t), INGOT_INVALID_ARGUMENT, "escapes the model's directory");
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_external(p, "sub/../../w.bin", "0", "24");
  CHECK_FAILS(read_initializer(initializer_model(p), tmpdir, &t), INGOT_INVALID_ARGUMENT, "'..' is refused");
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_external(p, "/etc/passwd", "0", "24");
  CHECK_FAILS(read_initializer(initializer_model(p), tmpdir, &t), INGOT_INVALID_ARGUMENT, "absolute path");
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_external(p, "w.bin", "16", "24");
  CHECK_FAILS(read_initializer(initializer_model(p), tmpdir, &t), INGOT_INVALID_ARGUMENT, "which holds 32 bytes");
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_external(p, "w.bin", "64", "24");
  CHECK_FAILS(read_initializer(initializer_model(p), tmpdir, &t), INGOT_INVALID_ARGUMENT, "past the end");
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_external(p, "w.bin", "-4", "24");
  CHECK_FAILS(read_initializer(initializer_model(p), tmpdir, &t), INGOT_INVALID_ARGUMENT, "not a non-negative");
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_external(p, "missing.bin", "0", "24");
  CHECK_FAILS(read_initializer(initializer_model(p), tmpdir, &t), INGOT_NOT_FOUND, "missing.bin");
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_external(p, "w.bin", "4", "24");
  CHECK_FAILS(read_initializer(initializer_model(p), NULL, &t), INGOT_INVALID_ARGUMENT, "no model directory");
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_external(p, "sub", "0", "24");
  CHECK_FAILS(read_initializer(initializer_model(p), tmpdir, &t), INGOT_INVALID_ARGUMENT, "not a regular file");

  /* Through the public API: a model file beside its data. */
  p = tp_new("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_external(p, "w.bin", "4", "24");
  size_t size;
  uint8_t *bytes = pack(initializer_model(p), &size);
  write_file("model.onnx", bytes, size);
  char path[512];
  snprintf(path, sizeof path, "%s/model.onnx", tmpdir);
  ingot_network *net = NULL;
  ingot_onnx_parser *parser = NULL;
  CHECK_OK(ingot_network_create(NULL, &net));
  CHECK_OK(ingot_onnx_parser_create(net, NULL, &parser));
  CHECK_OK(ingot_onnx_parser_parse_from_file(parser, path));
  CHECK(ingot_network_num_outputs(net) == 1 && ingot_network_num_layers(net) == 1);
  if (ingot_network_num_outputs(net) == 1) CHECK(strcmp(ingot_tensor_get_name(ingot_network_get_output(net, 0)), "w") == 0);
  snprintf(path, sizeof path, "%s/absent.onnx", tmpdir);
  CHECK_FAILS(ingot_onnx_parser_parse_from_file(parser, path), INGOT_NOT_FOUND, "absent.onnx");
  CHECK(ingot_onnx_parser_num_errors(parser) == 1);
  ingot_onnx_parser_destroy(parser);
  ingot_network_destroy(net);
}

/* ---- tests: decoding and the model --------------------------------------------------------- */

static void test_decode(void) {
  ingot_onnx_model *model = NULL;
  uint8_t junk[64];
  uint64_t s = 99;
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (uint8_t)(test_randf(&s) * 127 + 128);
  junk[0] = 0x07; /* field 0, wire type 7: never valid */
  CHECK_FAILS(ingot_onnx_model_decode(junk, sizeof junk, &model), INGOT_INVALID_ARGUMENT, "not a valid ONNX model");
  CHECK_FAILS(ingot_onnx_model_decode(junk, 0, &model), INGOT_INVALID_ARGUMENT, "empty");
  /* The size check comes before the bytes are touched. */
  CHECK_FAILS(ingot_onnx_model_decode(junk, (size_t)INT32_MAX + 1, &model), INGOT_UNSUPPORTED, "external data");

  Onnx__GraphProto *g = graph_new();
  add_input(g, vi_new("x", 1, 2, dims23));
  add_node(g, node_new("Identity", "id", "x", NULL, "y"));
  add_output(g, vi_new("y", 1, 2, dims23));
  size_t size;
  uint8_t *bytes = pack(model_new(g, 13, ""), &size);
  CHECK_FAILS(ingot_onnx_model_decode(bytes, size - 3, &model), INGOT_INVALID_ARGUMENT, "protobuf decoding");
  CHECK_OK(ingot_onnx_model_decode(bytes, size, &model));
  if (model) {
    CHECK(ingot_onnx_model_num_nodes(model) == 1 && ingot_onnx_model_ir_version(model) == 8);
    int64_t v = 0;
    CHECK(ingot_onnx_model_num_opsets(model) == 1 && strcmp(ingot_onnx_model_opset(model, 0, &v), "") == 0 && v == 13);
    ingot_onnx_model_free(model);
  }

  /* Through the parser: the error list holds the decoding failure. */
  ingot_network *net = NULL;
  ingot_onnx_parser *parser = NULL;
  CHECK_OK(ingot_network_create(NULL, &net));
  CHECK_OK(ingot_onnx_parser_create(net, NULL, &parser));
  CHECK_FAILS(ingot_onnx_parser_parse(parser, bytes, size / 2, NULL), INGOT_INVALID_ARGUMENT, "not a valid ONNX model");
  CHECK(ingot_onnx_parser_num_errors(parser) == 1);
  ingot_onnx_parser_error e;
  CHECK_OK(ingot_onnx_parser_get_error(parser, 0, &e));
  CHECK(e.node_index == -1 && strcmp(e.node_name, "") == 0 && strcmp(e.op_type, "") == 0);
  CHECK_FAILS(ingot_onnx_parser_get_error(parser, 1, &e), INGOT_INVALID_ARGUMENT, "out of range");
  ingot_onnx_parser_clear_errors(parser);
  CHECK(ingot_onnx_parser_num_errors(parser) == 0);
  ingot_onnx_parser_destroy(parser);
  ingot_network_destroy(net);
  CHECK_FAILS(ingot_onnx_parser_create(NULL, NULL, &parser), INGOT_INVALID_ARGUMENT, "network");
}

static void test_identity_and_inputs(void) {
  /* Identity of an input: the output gets an identity layer carrying its ONNX name. */
  Onnx__GraphProto *g = graph_new();
  const int64_t dyn[2] = {-1, 3};
  add_input(g, vi_new("x", 1, 2, dyn));
  add_node(g, node_new("Identity", "id", "x", NULL, "y"));
  add_output(g, vi_new("y", 1, 2, dyn));
  parsed p = parse_model(model_new(g, 13, ""), NULL);
  CHECK_OK(p.status);
  CHECK(ingot_network_num_inputs(p.network) == 1 && ingot_network_num_outputs(p.network) == 1);
  if (ingot_network_num_inputs(p.network) == 1) {
    ingot_tensor *x = ingot_network_get_input(p.network, 0);
    ingot_dims d;
    CHECK_OK(ingot_tensor_get_dims(x, &d));
    CHECK(strcmp(ingot_tensor_get_name(x), "x") == 0 && d.nb_dims == 2 && d.d[0] == -1 && d.d[1] == 3);
    CHECK(ingot_tensor_get_dtype(x) == INGOT_FLOAT32);
  }
  if (ingot_network_num_outputs(p.network) == 1)
    CHECK(strcmp(ingot_tensor_get_name(ingot_network_get_output(p.network, 0)), "y") == 0);
  parsed_free(&p);

  /* An output that is the input itself is marked as it is. An initializer listed among the
   * inputs (IR < 4) is a weight, not a network input. Element types map to ingot's. */
  g = graph_new();
  add_input(g, vi_new("x", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, dims23));
  add_input(g, vi_new("w", 1, 2, dims23));
  const float f[6] = {0};
  Onnx__TensorProto *w = tp_new("w", 1, 2, dims23);
  tp_raw(w, f, sizeof f);
  add_init(g, w);
  add_output(g, vi_new("x", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, dims23));
  p = parse_model(model_new(g, 11, "ai.onnx"), NULL);
  CHECK_OK(p.status);
  CHECK(ingot_network_num_inputs(p.network) == 1 && ingot_network_num_outputs(p.network) == 1);
  if (ingot_network_num_inputs(p.network) == 1)
    CHECK(ingot_tensor_get_dtype(ingot_network_get_input(p.network, 0)) == INGOT_INT64);
  parsed_free(&p);

  /* Inputs ingot cannot hold. */
  g = graph_new();
  add_input(g, vi_new("d", ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, 2, dims23));
  add_input(g, vi_new("noshape", 1, -1, NULL));
  Onnx__ValueInfoProto *seq = vi_new("seq", 1, 0, NULL);
  seq->type->value_case = ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE;
  seq->type->sequence_type = A(sizeof *seq->type->sequence_type);
  onnx__type_proto__sequence__init(seq->type->sequence_type);
  add_input(g, seq);
  add_input(g, vi_new("d", 1, 2, dims23));
  p = parse_model(model_new(g, 13, ""), NULL);
  CHECK(p.status == INGOT_UNSUPPORTED);
  CHECK(ingot_onnx_parser_num_errors(p.parser) == 4);
  CHECK(error_has(&p, 0, INGOT_UNSUPPORTED, "graph input 'd' has element type DOUBLE"));
  CHECK(error_has(&p, 1, INGOT_UNSUPPORTED, "graph input 'noshape' declares no shape"));
  CHECK(error_has(&p, 2, INGOT_UNSUPPORTED, "graph input 'seq' is a sequence"));
  CHECK(error_has(&p, 3, INGOT_INVALID_GRAPH, "graph input 'd' is listed twice"));
  parsed_free(&p);
}

static void test_opsets(void) {
  Onnx__GraphProto *g = graph_new();
  add_input(g, vi_new("x", 1, 2, dims23));
  add_node(g, node_new("Identity", "id", "x", NULL, "y"));
  add_output(g, vi_new("y", 1, 2, dims23));
  parsed p = parse_model(model_new(g, 0, ""), NULL);
  CHECK(p.status == INGOT_UNSUPPORTED && strstr(ingot_last_error(), "opset 0 is not supported") != NULL);
  CHECK(ingot_onnx_parser_num_errors(p.parser) == 1 && ingot_network_num_layers(p.network) == 0);
  parsed_free(&p);
  p = parse_model(model_new(g, 29, ""), NULL);
  CHECK(p.status == INGOT_UNSUPPORTED && error_has(&p, 0, INGOT_UNSUPPORTED, "opset 29 is not supported"));
  parsed_free(&p);
  p = parse_model(model_new(g, 1, "ai.onnx.ml"), NULL);
  CHECK(p.status == INGOT_UNSUPPORTED && error_has(&p, 0, INGOT_UNSUPPORTED, "no opset of the default ONNX domain"));
  parsed_free(&p);
  Onnx__ModelProto *m = model_new(g, 13, "");
  m->graph = NULL;
  p = parse_model(m, NULL);
  CHECK(p.status == INGOT_INVALID_ARGUMENT && error_has(&p, 0, INGOT_INVALID_ARGUMENT, "no graph"));
  parsed_free(&p);

  CHECK(ingot_onnx_supports_operator("Identity", 13) == 1);
  CHECK(ingot_onnx_supports_operator("Identity", 3) == 1);
  CHECK(ingot_onnx_supports_operator("Identity", 29) == 0);
  CHECK(ingot_onnx_supports_operator("NoSuchOp", 13) == 0);
  CHECK(ingot_onnx_supports_operator(NULL, 13) == 0);
}

/* ---- tests: the parse loop --------------------------------------------------------------------- */

static void test_errors_and_poison(void) {
  /* x -> Foo -> a -> Identity -> b -> Bar -> c ; x -> Identity -> d. Foo and Bar: two
   * errors (each names its op and the opset); Identity after Foo is skipped silently; the
   * independent branch is imported. */
  Onnx__GraphProto *g = graph_new();
  add_input(g, vi_new("x", 1, 2, dims23));
  add_node(g, node_new("Foo", "foo", "x", NULL, "a"));
  add_node(g, node_new("Identity", NULL, "a", NULL, "b"));
  add_node(g, node_new("Bar", "bar", "b", NULL, "c"));
  add_node(g, node_new("Identity", "ok", "x", NULL, "d"));
  add_output(g, vi_new("c", 1, 2, dims23));
  add_output(g, vi_new("d", 1, 2, dims23));
  parsed p = parse_model(model_new(g, 17, ""), NULL);
  CHECK(p.status == INGOT_UNSUPPORTED);
  CHECK(strstr(ingot_last_error(), "and 1 more error") != NULL);
  CHECK(ingot_onnx_parser_num_errors(p.parser) == 2);
  CHECK(error_has(&p, 0, INGOT_UNSUPPORTED, "node 'foo' (Foo, opset 17): no importer for operator 'Foo' (opset 17)"));
  CHECK(error_has(&p, 1, INGOT_UNSUPPORTED, "no importer for operator 'Bar' (opset 17)"));
  ingot_onnx_parser_error e;
  CHECK_OK(ingot_onnx_parser_get_error(p.parser, 1, &e));
  CHECK(strcmp(e.node_name, "bar") == 0 && strcmp(e.op_type, "Bar") == 0 && e.opset == 17 && e.node_index == 2);
  CHECK(ingot_network_num_outputs(p.network) == 1);
  parsed_free(&p);

  /* Undefined values: one never defined, one defined later (not topologically sorted). */
  g = graph_new();
  add_input(g, vi_new("x", 1, 2, dims23));
  add_node(g, node_new("Identity", "first", "later", NULL, "y"));
  add_node(g, node_new("Identity", "second", "nowhere", NULL, "z"));
  add_node(g, node_new("Identity", "third", "x", NULL, "later"));
  add_output(g, vi_new("y", 1, 2, dims23));
  add_output(g, vi_new("missing", 1, 2, dims23));
  p = parse_model(model_new(g, 13, ""), NULL);
  CHECK(p.status == INGOT_INVALID_GRAPH);
  CHECK(ingot_onnx_parser_num_errors(p.parser) == 3);
  CHECK(error_has(&p, 0, INGOT_INVALID_GRAPH, "input 0 ('later') is not defined yet: node 2 ('third') produces it later"));
  CHECK(error_has(&p, 1, INGOT_INVALID_GRAPH, "node 'second' (Identity, opset 13): input 0 ('nowhere') is not defined"));
  CHECK(error_has(&p, 2, INGOT_INVALID_GRAPH, "graph output 'missing' is not defined"));
  parsed_free(&p);

  /* Domains, subgraphs, a value defined twice, a node without a name (named after its output). */
  g = graph_new();
  add_input(g, vi_new("x", 1, 2, dims23));
  Onnx__NodeProto *ms = node_new("FusedGemm", "ms", "x", NULL, "a");
  ms->domain = S("com.microsoft");
  add_node(g, ms);
  Onnx__NodeProto *iff = node_new("If", "cond", "x", NULL, "b");
  Onnx__AttributeProto *then_branch = attr_new(iff, "then_branch", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
  then_branch->has_g = 1;
  then_branch->g.len = 2;
  then_branch->g.data = (uint8_t *)S("\x12\x01"); /* a GraphProto with name "" (not decoded anyway) */
  add_node(g, iff);
  add_node(g, node_new("Identity", NULL, "x", NULL, "x"));
  add_output(g, vi_new("a", 1, 2, dims23));
  p = parse_model(model_new(g, 13, ""), NULL);
  CHECK(ingot_onnx_parser_num_errors(p.parser) == 3);
  CHECK(error_has(&p, 0, INGOT_UNSUPPORTED, "domain 'com.microsoft'"));
  CHECK(error_has(&p, 1, INGOT_UNSUPPORTED, "attribute 'then_branch' is a subgraph"));
  CHECK(error_has(&p, 2, INGOT_INVALID_GRAPH, "node 'x' (Identity, opset 13): output 0 ('x') is already defined"));
  parsed_free(&p);
}

static void test_constants(void) {
  /* Constant nodes of every form, an Identity of a constant, a constant graph output. */
  Onnx__GraphProto *g = graph_new();
  Onnx__NodeProto *c1 = node_new("Constant", "c1", NULL, NULL, "floats");
  Onnx__AttributeProto *a = attr_new(c1, "value_floats", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
  float fl[3] = {1, 2, 3};
  a->n_floats = 3;
  a->floats = fl;
  add_node(g, c1);
  Onnx__NodeProto *c2 = node_new("Constant", "c2", NULL, NULL, "int");
  a = attr_new(c2, "value_int", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  a->has_i = 1;
  a->i = 7;
  add_node(g, c2);
  Onnx__NodeProto *c3 = node_new("Constant", "c3", NULL, NULL, "tensor");
  a = attr_new(c3, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
  a->t = tp_new("", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  float six[6] = {1, 2, 3, 4, 5, 6};
  tp_floats(a->t, six, 6);
  add_node(g, c3);
  add_node(g, node_new("Identity", "id", "tensor", NULL, "tensor2"));
  add_node(g, node_new("Dropout", "drop", "tensor2", NULL, "tensor3"));
  add_output(g, vi_new("floats", 1, 1, (int64_t[]){3}));
  add_output(g, vi_new("int", 7, 0, NULL));
  add_output(g, vi_new("tensor3", 1, 2, dims23));
  parsed p = parse_model(model_new(g, 13, ""), NULL);
  CHECK_OK(p.status);
  CHECK(ingot_network_num_outputs(p.network) == 3 && ingot_network_num_layers(p.network) == 3);
  for (int32_t i = 0; i < ingot_network_num_outputs(p.network); i++) {
    ingot_tensor *t = ingot_network_get_output(p.network, i);
    ingot_dims d;
    CHECK_OK(ingot_tensor_get_dims(t, &d));
    const char *name = ingot_tensor_get_name(t);
    if (strcmp(name, "floats") == 0) CHECK(d.nb_dims == 1 && d.d[0] == 3 && ingot_tensor_get_dtype(t) == INGOT_FLOAT32);
    else if (strcmp(name, "int") == 0) CHECK(d.nb_dims == 0 && ingot_tensor_get_dtype(t) == INGOT_INT64);
    else CHECK(strcmp(name, "tensor3") == 0 && d.nb_dims == 2 && d.d[1] == 3);
  }
  parsed_free(&p);

  /* Bad constants: no value, two values, a wrong attribute type, an unreadable tensor, a
   * string; Dropout's mask output is imported (all true at inference). */
  g = graph_new();
  add_input(g, vi_new("x", 1, 2, dims23));
  add_node(g, node_new("Constant", "none", NULL, NULL, "k1"));
  Onnx__NodeProto *two = node_new("Constant", "two", NULL, NULL, "k2");
  attr_new(two, "value_int", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT)->has_i = 1;
  attr_new(two, "value_float", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)->has_f = 1;
  add_node(g, two);
  Onnx__NodeProto *wrong = node_new("Constant", "wrong", NULL, NULL, "k3");
  attr_new(wrong, "value_int", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)->has_f = 1;
  add_node(g, wrong);
  Onnx__NodeProto *bad = node_new("Constant", "bad", NULL, NULL, "k4");
  a = attr_new(bad, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
  a->t = tp_new("", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, dims23);
  tp_floats(a->t, six, 4);
  add_node(g, bad);
  Onnx__NodeProto *str = node_new("Constant", "str", NULL, NULL, "k5");
  attr_new(str, "value_string", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING)->has_s = 1;
  add_node(g, str);
  Onnx__NodeProto *list = node_new("Constant", "list", NULL, NULL, "k6");
  a = attr_new(list, "value_ints", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
  a->n_floats = 3;
  a->floats = fl;
  add_node(g, list);
  Onnx__NodeProto *drop = node_new("Dropout", "drop", "x", NULL, "y");
  drop->output[drop->n_output++] = S("mask");
  add_node(g, drop);
  p = parse_model(model_new(g, 13, ""), NULL);
  CHECK(ingot_onnx_parser_num_errors(p.parser) == 6);
  CHECK(error_has(&p, 0, INGOT_INVALID_ARGUMENT, "node 'none' (Constant, opset 13): has 0 value attributes"));
  CHECK(error_has(&p, 1, INGOT_INVALID_ARGUMENT, "has 2 value attributes"));
  CHECK(error_has(&p, 2, INGOT_INVALID_ARGUMENT, "attribute 'value_int' is FLOAT, expected INT"));
  CHECK(error_has(&p, 3, INGOT_INVALID_ARGUMENT, "node 'bad' (Constant, opset 13): attribute 'value': float_data holds 4 values"));
  CHECK(error_has(&p, 4, INGOT_UNSUPPORTED, "attribute 'value_string' is not supported"));
  CHECK(error_has(&p, 5, INGOT_INVALID_ARGUMENT, "node 'list' (Constant, opset 13): attribute 'value_ints' is FLOATS, expected INTS"));
  CHECK(ingot_network_find_tensor(p.network, "mask") != NULL);
  parsed_free(&p);
}

static void test_initializer_errors_poison(void) {
  /* A bad initializer is one error; the node reading it is skipped without another. */
  Onnx__GraphProto *g = graph_new();
  add_input(g, vi_new("x", 1, 2, dims23));
  Onnx__TensorProto *w = tp_new("w", 1, 2, dims23);
  const float f[7] = {0};
  tp_floats(w, f, 7);
  add_init(g, w);
  add_node(g, node_new("Identity", "id", "w", NULL, "y"));
  add_output(g, vi_new("y", 1, 2, dims23));
  add_output(g, vi_new("x", 1, 2, dims23));
  parsed p = parse_model(model_new(g, 13, ""), NULL);
  CHECK(p.status == INGOT_INVALID_ARGUMENT);
  CHECK(ingot_onnx_parser_num_errors(p.parser) == 1);
  CHECK(error_has(&p, 0, INGOT_INVALID_ARGUMENT, "initializer 'w': float_data holds 7 values, expected 6"));
  CHECK(ingot_network_num_outputs(p.network) == 1);
  parsed_free(&p);
}

/* The family tables: rows well formed, one row per (op, opset), lookups by opset. */
static void test_tables(void) {
  int32_t n = ingot_onnx_num_operators();
  CHECK(n >= 3);
  int found_identity = 0;
  const char **seen = calloc((size_t)n + 1, sizeof *seen);
  for (int32_t i = 0; i < n && seen; i++) {
    int64_t since = -1;
    const char *op = ingot_onnx_operator(i, &since);
    CHECK(op != NULL && op[0] != '\0' && since >= 1 && since <= 24);
    if (!op) continue;
    if (strcmp(op, "Identity") == 0) found_identity = 1;
    for (int32_t j = 0; j < i; j++) CHECK(!seen[j] || strcmp(seen[j], op) != 0);
    seen[i] = op;
    const ingot_onnx_importer *imp = ingot_onnx_find_importer(op, 24);
    CHECK(imp != NULL && imp->import != NULL);
    CHECK(ingot_onnx_find_importer(op, since - 1) == NULL);
    /* Each opset gets the row with the largest since_opset not above it. */
    for (int64_t v = since; v <= 24; v++) {
      const ingot_onnx_importer *r = ingot_onnx_find_importer(op, v);
      CHECK(r != NULL && r->since_opset <= v);
      if (r && v > since) CHECK(r->since_opset >= ingot_onnx_find_importer(op, v - 1)->since_opset);
    }
  }
  free(seen);
  CHECK(found_identity);
  CHECK(ingot_onnx_operator(n, NULL) == NULL && ingot_onnx_operator(-1, NULL) == NULL);
  const ingot_onnx_importer *const tables[] = {ingot_onnx_basic_importers, ingot_onnx_conv_importers,
                                               ingot_onnx_math_importers, ingot_onnx_tensor_importers};
  const int32_t counts[] = {ingot_onnx_basic_importer_count, ingot_onnx_conv_importer_count,
                            ingot_onnx_math_importer_count, ingot_onnx_tensor_importer_count};
  for (int t = 0; t < 4; t++)
    for (int32_t r = 0; r < counts[t]; r++)
      for (int u = 0; u <= t; u++)
        for (int32_t s = 0; s < (u == t ? r : counts[u]); s++)
          if (strcmp(tables[t][r].op_type, tables[u][s].op_type) == 0 &&
              tables[t][r].since_opset == tables[u][s].since_opset) {
            fprintf(stderr, "importer rows repeat (%s, %d)\n", tables[t][r].op_type, (int)tables[t][r].since_opset);
            test_failures++;
          }
}

int main(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/ingot_onnx_reader_XXXXXX");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 1;
  }
  test_typed_fields();
  test_raw_data();
  test_external_data();
  test_decode();
  test_identity_and_inputs();
  test_opsets();
  test_errors_and_poison();
  test_constants();
  test_initializer_errors_poison();
  test_tables();
  arena_free();
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
  TEST_EXIT();
}
