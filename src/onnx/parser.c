/* The ONNX parser (include/ingot/onnx_parser.h): decodes a model, turns graph inputs into
 * network inputs, keeps initializers and Constant outputs as host constants, imports each
 * node in graph order through the importer table, and marks the graph outputs. Every
 * problem is recorded (TensorRT's getNbErrors/getError) and parsing goes on: a failed
 * node's outputs are "poisoned", and nodes that use them are skipped without a second
 * error, so one cause gives one message. */
#include "ingot/onnx_parser.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/logger.h"
#include "onnx/model_reader.h"
#include "onnx/import_plugin.h"
#include "onnx/node.h"

typedef struct parser_error {
  ingot_status status;
  char *node_name, *op_type, *message;
  int64_t opset;
  int32_t node_index;
} parser_error;

struct ingot_onnx_parser {
  ingot_network *network;
  ingot_logger *logger;
  parser_error *errors;
  int32_t nb_errors, errors_cap;
  bool errors_lost; /* an error could not be recorded (out of memory) */
};

/* The state of one parse call. */
typedef struct parse_run {
  ingot_onnx_parser *parser;
  ingot_onnx_model *model;
  ingot_onnx_read_ctx ctx;
  ingot_onnx_values values;
  int64_t opset;
  ingot_status first;  /* the first failure of this call */
  int32_t nb_failures; /* errors of this call */
  char first_message[2048];
} parse_run;

/* ---- the error list ------------------------------------------------------------------------ */

static void record(parse_run *r, ingot_status status, const ingot_onnx_node *node, const char *message) {
  ingot_onnx_parser *p = r->parser;
  if (r->first == INGOT_SUCCESS) {
    r->first = status;
    snprintf(r->first_message, sizeof r->first_message, "%s", message);
  }
  r->nb_failures++;
  ingot_log(p->logger, status == INGOT_INTERNAL_ERROR ? INGOT_SEVERITY_INTERNAL_ERROR : INGOT_SEVERITY_ERROR, "%s",
            message);
  if (p->nb_errors == p->errors_cap) {
    int32_t cap = p->errors_cap ? p->errors_cap * 2 : 16;
    parser_error *grown = realloc(p->errors, (size_t)cap * sizeof *grown);
    if (!grown) {
      p->errors_lost = true;
      return;
    }
    p->errors = grown;
    p->errors_cap = cap;
  }
  parser_error *e = &p->errors[p->nb_errors];
  e->status = status;
  e->node_name = ingot_strdup(node ? node->name : "");
  e->op_type = ingot_strdup(node ? node->desc->op_type : "");
  e->message = ingot_strdup(message);
  e->opset = r->opset;
  e->node_index = node ? node->index : -1;
  if (!e->node_name || !e->op_type || !e->message) {
    free(e->node_name);
    free(e->op_type);
    free(e->message);
    p->errors_lost = true;
    return;
  }
  p->nb_errors++;
}

/* Records the thread's last error (set by the failing call) as a model-level error. */
static void record_last(parse_run *r, ingot_status status) {
  char message[2048];
  snprintf(message, sizeof message, "%s", ingot_last_error()[0] ? ingot_last_error() : ingot_status_name(status));
  record(r, status, NULL, message);
}

static void record_fmt(parse_run *r, ingot_status status, const char *fmt, ...) INGOT_PRINTF(3, 4);
static void record_fmt(parse_run *r, ingot_status status, const char *fmt, ...) {
  char message[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  record(r, status, NULL, message);
}

/* A node's error: "node 'NAME' (OP, opset N): ..." unless the message says so already. */
static void record_node(parse_run *r, const ingot_onnx_node *node, ingot_status status, const char *message) {
  char prefix[512], full[2048];
  ingot_onnx_node_prefix(node, prefix, sizeof prefix);
  if (strncmp(message, prefix, strlen(prefix)) == 0) snprintf(full, sizeof full, "%s", message);
  else snprintf(full, sizeof full, "%s%s", prefix, message[0] ? message : ingot_status_name(status));
  record(r, status, node, full);
}

static void record_node_fmt(parse_run *r, const ingot_onnx_node *node, ingot_status status, const char *fmt, ...)
    INGOT_PRINTF(4, 5);
static void record_node_fmt(parse_run *r, const ingot_onnx_node *node, ingot_status status, const char *fmt, ...) {
  char message[1600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  record_node(r, node, status, message);
}

/* ---- the public object --------------------------------------------------------------------- */

ingot_status ingot_onnx_parser_create(ingot_network *network, ingot_logger *logger, ingot_onnx_parser **parser_out) {
  INGOT_CHECK_NULL(parser_out, "ingot_onnx_parser_create");
  *parser_out = NULL;
  if (!network)
    return ingot_log_failure(logger, ingot_fail(INGOT_INVALID_ARGUMENT,
                                                "ingot_onnx_parser_create: argument 'network' is NULL, expected the "
                                                "network to fill"));
  ingot_onnx_parser *p = ingot_calloc(1, sizeof *p);
  if (!p) return ingot_log_failure(logger, INGOT_OUT_OF_MEMORY);
  p->network = network;
  p->logger = logger;
  *parser_out = p;
  return INGOT_SUCCESS;
}

void ingot_onnx_parser_clear_errors(ingot_onnx_parser *parser) {
  if (!parser) return;
  for (int32_t i = 0; i < parser->nb_errors; i++) {
    free(parser->errors[i].node_name);
    free(parser->errors[i].op_type);
    free(parser->errors[i].message);
  }
  parser->nb_errors = 0;
  parser->errors_lost = false;
}

void ingot_onnx_parser_destroy(ingot_onnx_parser *parser) {
  if (!parser) return;
  ingot_onnx_parser_clear_errors(parser);
  free(parser->errors);
  free(parser);
}

int32_t ingot_onnx_parser_num_errors(const ingot_onnx_parser *parser) { return parser ? parser->nb_errors : 0; }

ingot_status ingot_onnx_parser_get_error(const ingot_onnx_parser *parser, int32_t index,
                                         ingot_onnx_parser_error *error_out) {
  INGOT_CHECK_NULL(parser, "ingot_onnx_parser_get_error");
  INGOT_CHECK_NULL(error_out, "ingot_onnx_parser_get_error");
  if (index < 0 || index >= parser->nb_errors)
    return ingot_fail(INGOT_INVALID_ARGUMENT, "ingot_onnx_parser_get_error: index %d is out of range [0, %d)",
                      (int)index, (int)parser->nb_errors);
  const parser_error *e = &parser->errors[index];
  error_out->status = e->status;
  error_out->node_name = e->node_name;
  error_out->op_type = e->op_type;
  error_out->opset = e->opset;
  error_out->node_index = e->node_index;
  error_out->message = e->message;
  return INGOT_SUCCESS;
}

/* ---- graph inputs and initializers ---------------------------------------------------------- */

static void read_initializers(parse_run *r) {
  int32_t n = ingot_onnx_model_num_initializers(r->model);
  for (int32_t i = 0; i < n; i++) {
    const char *name = ingot_onnx_model_initializer_name(r->model, i);
    if (!name[0]) {
      record_fmt(r, INGOT_INVALID_GRAPH, "initializer %d has no name", (int)i);
      continue;
    }
    ingot_onnx_entry *e = NULL;
    ingot_status st = ingot_onnx_values_define(&r->values, name, -1, &e);
    if (st != INGOT_SUCCESS) {
      record_fmt(r, st, "initializer '%s': a value of that name is defined twice", name);
      continue;
    }
    e->initializer = true;
    ingot_onnx_tensor t;
    st = ingot_onnx_model_initializer(r->model, i, &r->ctx, &t);
    if (st != INGOT_SUCCESS) {
      record_last(r, st);
      e->poisoned = true;
      continue;
    }
    e->owned = t.data;
    e->value.is_constant = true;
    e->value.dtype = t.dtype;
    e->value.dims = t.dims;
    e->value.data = t.data;
    e->dims_known = true;
  }
  int32_t sparse = ingot_onnx_model_num_sparse_initializers(r->model);
  if (sparse > 0)
    record_fmt(r, INGOT_UNSUPPORTED, "the graph holds %d sparse initializer(s); ingot does not import sparse tensors",
               (int)sparse);
}

static void read_inputs(parse_run *r) {
  int32_t n = ingot_onnx_model_num_values(r->model, INGOT_ONNX_GRAPH_INPUT);
  for (int32_t i = 0; i < n; i++) {
    const char *name = ingot_onnx_model_value_name(r->model, INGOT_ONNX_GRAPH_INPUT, i);
    if (!name[0]) {
      record_fmt(r, INGOT_INVALID_GRAPH, "graph input %d has no name", (int)i);
      continue;
    }
    ingot_onnx_entry *e = ingot_onnx_values_find(&r->values, name);
    /* Models of IR version < 4 list every initializer among the inputs too: those are weights. */
    if (e && e->initializer) continue;
    ingot_status st = ingot_onnx_values_define(&r->values, name, -1, &e);
    if (st != INGOT_SUCCESS) {
      record_fmt(r, st, "graph input '%s' is listed twice", name);
      continue;
    }
    ingot_dtype dtype;
    ingot_dims dims;
    st = ingot_onnx_model_value_type(r->model, INGOT_ONNX_GRAPH_INPUT, i, &dtype, &dims);
    if (st == INGOT_SUCCESS && dims.nb_dims < 0)
      st = ingot_fail(INGOT_UNSUPPORTED, "graph input '%s' declares no shape; ingot needs each input's rank (its "
                      "dims may be dynamic: dim_param)", name);
    ingot_tensor *t = NULL;
    if (st == INGOT_SUCCESS) st = ingot_network_add_input(r->parser->network, name, dtype, &dims, &t);
    if (st != INGOT_SUCCESS) {
      record_last(r, st);
      e->poisoned = true;
      continue;
    }
    e->value.tensor = t;
    e->value.dtype = dtype;
    e->value.dims = dims;
    e->dims_known = true;
  }
}

/* Shapes the model declares for intermediate values: the importers' fallback when the
 * network cannot infer dims yet (dynamic inputs). Malformed declarations are only hints. */
static void read_declared(parse_run *r) {
  static const ingot_onnx_value_kind kinds[] = {INGOT_ONNX_VALUE_INFO, INGOT_ONNX_GRAPH_OUTPUT};
  size_t total = 0;
  for (int k = 0; k < 2; k++) total += (size_t)ingot_onnx_model_num_values(r->model, kinds[k]);
  if (ingot_onnx_values_reserve_declared(&r->values, total) != INGOT_SUCCESS) {
    ingot_clear_last_error();
    return;
  }
  for (int k = 0; k < 2; k++) {
    int32_t n = ingot_onnx_model_num_values(r->model, kinds[k]);
    for (int32_t i = 0; i < n; i++) {
      ingot_dtype dtype;
      ingot_dims dims;
      const char *name = ingot_onnx_model_value_name(r->model, kinds[k], i);
      if (ingot_onnx_model_value_type(r->model, kinds[k], i, &dtype, &dims) == INGOT_SUCCESS && dims.nb_dims >= 0 &&
          name[0])
        ingot_onnx_values_declare(&r->values, name, &dims);
      ingot_clear_last_error();
    }
  }
}

/* ---- nodes ----------------------------------------------------------------------------------- */

/* Defines every output of a failed or skipped node that is not defined yet as poisoned, and
 * poisons those it did define. */
static void poison_outputs(parse_run *r, const ingot_onnx_node *node) {
  for (int32_t o = 0; o < node->desc->nb_outputs; o++) {
    const char *name = node->desc->outputs[o];
    if (!name[0]) continue;
    ingot_onnx_entry *e = ingot_onnx_values_find(&r->values, name);
    if (e) {
      if (e->producer == node->index) e->poisoned = true;
      continue;
    }
    if (ingot_onnx_values_define(&r->values, name, node->index, &e) == INGOT_SUCCESS) e->poisoned = true;
    ingot_clear_last_error();
  }
}

/* What keeps a node from being imported whatever its inputs: a foreign domain, subgraphs,
 * attributes ingot cannot read, no importer. Records the error and returns false. */
static bool node_is_importable(parse_run *r, const ingot_onnx_node *node, const ingot_onnx_importer **importer_out) {
  const ingot_onnx_node_desc *d = node->desc;
  /* TensorRT's fallback: an op type ingot does not import may be a registered plugin. */
  char searched[1024];
  bool plugin = ingot_onnx_plugin_exists(d, searched, sizeof searched);
  if (d->domain[0] && !plugin) {
    record_node_fmt(r, node, INGOT_UNSUPPORTED,
                    "operator '%s' of domain '%s' is not supported: ingot imports the default ONNX domain only, "
                    "and no plugin stands for it (searched %s)",
                    d->op_type, d->domain, searched);
    return false;
  }
  for (int32_t a = 0; a < d->nb_attrs; a++) {
    const ingot_onnx_attr *at = &d->attrs[a];
    if (at->type == INGOT_ONNX_ATTR_GRAPH || at->type == INGOT_ONNX_ATTR_GRAPHS) {
      record_node_fmt(r, node, INGOT_UNSUPPORTED,
                      "attribute '%s' is a subgraph; ingot does not import subgraphs (If, Loop, Scan bodies)",
                      at->name);
      return false;
    }
    if (at->ref_attr_name[0]) {
      record_node_fmt(r, node, INGOT_INVALID_GRAPH,
                      "attribute '%s' refers to a function attribute ('%s'), which only a function body may do",
                      at->name, at->ref_attr_name);
      return false;
    }
    if (at->type == INGOT_ONNX_ATTR_TENSOR && !at->has_tensor) {
      record_node(r, node, at->tensor_status, at->tensor_error ? at->tensor_error : "attribute tensor unreadable");
      return false;
    }
  }
  const ingot_onnx_importer *imp = d->domain[0] ? NULL : ingot_onnx_find_importer(d->op_type, node->opset);
  if (!imp && plugin) imp = &ingot_onnx_plugin_importer;
  if (!imp) {
    int64_t later = 0;
    for (int64_t v = node->opset + 1; v <= INGOT_ONNX_MAX_OPSET && !later; v++)
      if (ingot_onnx_find_importer(d->op_type, v)) later = v;
    if (later)
      record_node_fmt(r, node, INGOT_UNSUPPORTED,
                      "no importer for operator '%s' (opset %" PRId64 "); ingot imports it from opset %" PRId64,
                      d->op_type, node->opset, later);
    else
      record_node_fmt(r, node, INGOT_UNSUPPORTED, "no importer for operator '%s' (opset %" PRId64 ") and no plugin "
                      "stands for it (searched %s)", d->op_type, node->opset, searched);
    return false;
  }
  *importer_out = imp;
  return true;
}

/* The node that defines `name` after node `after`, or -1. */
static int32_t later_producer(const parse_run *r, int32_t after, const char *name) {
  int32_t n = ingot_onnx_model_num_nodes(r->model);
  for (int32_t i = after + 1; i < n; i++) {
    int32_t count = 0;
    const char *const *outs = ingot_onnx_model_node_outputs(r->model, i, &count);
    for (int32_t o = 0; o < count; o++)
      if (strcmp(outs[o], name) == 0) return i;
  }
  return -1;
}

/* Resolves the inputs. Returns 1 when all are usable, 0 when one is poisoned (skip the node
 * silently), -1 when one is undefined (recorded). */
static int resolve_inputs(parse_run *r, ingot_onnx_node *node) {
  int result = 1;
  for (int32_t i = 0; i < node->desc->nb_inputs; i++) {
    const char *name = node->desc->inputs[i];
    if (!name[0]) continue; /* an optional input left out */
    ingot_onnx_entry *e = ingot_onnx_values_find(&r->values, name);
    if (!e) {
      int32_t later = later_producer(r, node->index, name);
      if (later >= 0) {
        const char *later_name = ingot_onnx_model_node_name(r->model, later);
        record_node_fmt(r, node, INGOT_INVALID_GRAPH,
                        "input %d ('%s') is not defined yet: node %d ('%s') produces it later; ONNX graphs must list "
                        "nodes in topological order", (int)i, name, (int)later, later_name[0] ? later_name : name);
      } else {
        record_node_fmt(r, node, INGOT_INVALID_GRAPH,
                        "input %d ('%s') is not defined: no graph input, initializer or earlier node produces it",
                        (int)i, name);
      }
      return -1;
    }
    if (e->poisoned) result = 0;
    node->inputs[i] = e;
  }
  return result;
}

/* Outputs must be new names (ONNX is single-assignment). */
static bool outputs_are_new(parse_run *r, const ingot_onnx_node *node) {
  for (int32_t o = 0; o < node->desc->nb_outputs; o++) {
    const char *name = node->desc->outputs[o];
    if (!name[0]) continue;
    const ingot_onnx_entry *e = ingot_onnx_values_find(&r->values, name);
    bool twice = false;
    for (int32_t p = 0; p < o; p++) twice |= strcmp(node->desc->outputs[p], name) == 0;
    if (e || twice) {
      record_node_fmt(r, node, INGOT_INVALID_GRAPH,
                      "output %d ('%s') is already defined%s; ONNX names each value once", (int)o, name,
                      twice ? " by this node" : e->producer >= 0 ? " by an earlier node" :
                                                " as a graph input or initializer");
      return false;
    }
  }
  return true;
}

static void run_importer(parse_run *r, ingot_onnx_node *node, const ingot_onnx_importer *imp) {
  ingot_clear_last_error();
  ingot_status st = imp->import(node);
  if (st != INGOT_SUCCESS) {
    char message[2048];
    snprintf(message, sizeof message, "%s", ingot_last_error());
    record_node(r, node, st, message[0] ? message : "the importer failed without a message");
    poison_outputs(r, node);
    return;
  }
  if (node->attr_status != INGOT_SUCCESS) {
    record_node(r, node, node->attr_status, node->attr_error);
    poison_outputs(r, node);
    return;
  }
  for (int32_t o = 0; o < node->desc->nb_outputs; o++) {
    const char *name = node->desc->outputs[o];
    if (name[0] && !ingot_onnx_values_find(&r->values, name)) {
      record_node_fmt(r, node, INGOT_INTERNAL_ERROR, "the importer of '%s' left output %d ('%s') unset",
                      node->desc->op_type, (int)o, name);
      poison_outputs(r, node);
      return;
    }
  }
}

static void import_node(parse_run *r, int32_t index) {
  ingot_onnx_node_desc desc;
  ingot_status st = ingot_onnx_model_node(r->model, index, &r->ctx, &desc);
  if (st != INGOT_SUCCESS) {
    record_last(r, st);
    return;
  }
  ingot_onnx_node node;
  st = ingot_onnx_node_init(&node, &r->values, r->parser->network, r->parser->logger, &desc, index, r->opset);
  if (st != INGOT_SUCCESS) {
    record_node(r, &node, st, "out of memory");
  } else {
    const ingot_onnx_importer *imp = NULL;
    if (!node_is_importable(r, &node, &imp) || !outputs_are_new(r, &node)) {
      poison_outputs(r, &node);
    } else {
      int usable = resolve_inputs(r, &node);
      if (usable <= 0) poison_outputs(r, &node); /* undefined: recorded; poisoned: silent */
      else run_importer(r, &node, imp);
    }
  }
  ingot_onnx_node_release(&node);
  ingot_onnx_node_desc_free(&desc);
}

/* ---- graph outputs --------------------------------------------------------------------------- */

static void mark_outputs(parse_run *r) {
  ingot_network *network = r->parser->network;
  int32_t n = ingot_onnx_model_num_values(r->model, INGOT_ONNX_GRAPH_OUTPUT);
  for (int32_t i = 0; i < n; i++) {
    const char *name = ingot_onnx_model_value_name(r->model, INGOT_ONNX_GRAPH_OUTPUT, i);
    if (!name[0]) {
      record_fmt(r, INGOT_INVALID_GRAPH, "graph output %d has no name", (int)i);
      continue;
    }
    ingot_onnx_entry *e = ingot_onnx_values_find(&r->values, name);
    if (!e) {
      record_fmt(r, INGOT_INVALID_GRAPH,
                 "graph output '%s' is not defined: no node, initializer or graph input produces it", name);
      continue;
    }
    if (e->poisoned) continue; /* its producer's error says why */
    ingot_tensor *t = NULL;
    ingot_status st = ingot_onnx_entry_tensor(&r->values, network, e, &t);
    if (st == INGOT_SUCCESS && strcmp(ingot_tensor_get_name(t), name) != 0) {
      /* The value shares another value's tensor (Identity of an input, two outputs of one
       * value): an identity layer gives the engine an output of the ONNX name. */
      ingot_layer *layer = NULL;
      st = ingot_network_add_identity(network, t, &layer);
      if (st == INGOT_SUCCESS) {
        if (ingot_layer_set_name(layer, name) != INGOT_SUCCESS) ingot_clear_last_error();
        t = ingot_layer_get_output(layer, 0);
        st = ingot_onnx_name_tensor(&r->values, network, t, name);
      }
    }
    if (st == INGOT_SUCCESS && !ingot_tensor_is_output(t)) st = ingot_network_mark_output(network, t);
    if (st != INGOT_SUCCESS) {
      ingot_error_prefix("graph output '%s'", name);
      record_last(r, st);
    }
  }
}

/* ---- parse ----------------------------------------------------------------------------------- */

/* The default domain's opset, or 0 (recorded) when the model has none ingot imports. */
static int64_t default_opset(parse_run *r) {
  int32_t n = ingot_onnx_model_num_opsets(r->model);
  bool found = false;
  int64_t opset = 0;
  for (int32_t i = 0; i < n; i++) {
    int64_t v = 0;
    const char *domain = ingot_onnx_model_opset(r->model, i, &v);
    if (domain[0] == '\0' && (!found || v > opset)) {
      opset = v;
      found = true;
    }
  }
  if (!found) {
    record_fmt(r, INGOT_UNSUPPORTED, "the model imports no opset of the default ONNX domain (opset_import has no "
               "entry for domain '' or 'ai.onnx')");
    return 0;
  }
  if (opset < INGOT_ONNX_MIN_OPSET || opset > INGOT_ONNX_MAX_OPSET) {
    record_fmt(r, INGOT_UNSUPPORTED, "the model's opset %" PRId64 " is not supported: ingot imports opsets %d to %d",
               opset, INGOT_ONNX_MIN_OPSET, INGOT_ONNX_MAX_OPSET);
    return 0;
  }
  return opset;
}

static void parse_graph(parse_run *r) {
  if (!ingot_onnx_model_has_graph(r->model)) {
    record_fmt(r, INGOT_INVALID_ARGUMENT, "the model has no graph (ModelProto.graph is missing)");
    return;
  }
  r->opset = default_opset(r);
  if (r->opset == 0) return;
  ingot_log(r->parser->logger, INGOT_SEVERITY_VERBOSE, "ONNX model: IR version %" PRId64 ", opset %" PRId64
            ", producer '%s', %d nodes, %d initializers", ingot_onnx_model_ir_version(r->model), r->opset,
            ingot_onnx_model_producer(r->model), (int)ingot_onnx_model_num_nodes(r->model),
            (int)ingot_onnx_model_num_initializers(r->model));
  read_initializers(r);
  read_inputs(r);
  read_declared(r);
  int32_t n = ingot_onnx_model_num_nodes(r->model);
  for (int32_t i = 0; i < n; i++) import_node(r, i);
  mark_outputs(r);
}

/* `owned_bytes`, when not NULL, is the caller's buffer holding `data`, freed as soon as the
 * model is decoded so a big model is not held twice. */
static ingot_status parse(ingot_onnx_parser *parser, const void *data, size_t size, const char *model_dir,
                          void *owned_bytes) {
  parse_run r;
  memset(&r, 0, sizeof r);
  r.parser = parser;
  r.ctx.model_dir = model_dir;
  r.ctx.logger = parser->logger;
  ingot_status st = ingot_onnx_model_decode(data, size, &r.model);
  free(owned_bytes);
  if (st != INGOT_SUCCESS) {
    record_last(&r, st);
  } else {
    parse_graph(&r);
    ingot_onnx_values_free(&r.values);
    ingot_onnx_model_free(r.model);
  }
  if (r.first == INGOT_SUCCESS) {
    ingot_log(parser->logger, INGOT_SEVERITY_VERBOSE, "ONNX model parsed: %d layers, %d inputs, %d outputs",
              (int)ingot_network_num_layers(parser->network), (int)ingot_network_num_inputs(parser->network),
              (int)ingot_network_num_outputs(parser->network));
    return INGOT_SUCCESS;
  }
  if (r.nb_failures > 1)
    return ingot_fail(r.first, "%s (and %d more error(s): see ingot_onnx_parser_get_error)", r.first_message,
                      (int)r.nb_failures - 1);
  return ingot_fail(r.first, "%s", r.first_message);
}

ingot_status ingot_onnx_parser_parse(ingot_onnx_parser *parser, const void *data, size_t size,
                                     const char *model_dir) {
  INGOT_CHECK_NULL(parser, "ingot_onnx_parser_parse");
  return parse(parser, data, size, model_dir, NULL);
}

/* A file-level failure, recorded like any other. */
static ingot_status file_error(ingot_onnx_parser *parser, ingot_status status, const char *fmt, ...)
    INGOT_PRINTF(3, 4);
static ingot_status file_error(ingot_onnx_parser *parser, ingot_status status, const char *fmt, ...) {
  parse_run r;
  memset(&r, 0, sizeof r);
  r.parser = parser;
  char message[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  record(&r, status, NULL, message);
  return ingot_fail(status, "%s", message);
}

ingot_status ingot_onnx_parser_parse_from_file(ingot_onnx_parser *parser, const char *path) {
  INGOT_CHECK_NULL(parser, "ingot_onnx_parser_parse_from_file");
  if (!path) return file_error(parser, INGOT_INVALID_ARGUMENT, "ingot_onnx_parser_parse_from_file: argument 'path' is NULL");
  FILE *f = fopen(path, "rb");
  if (!f)
    return file_error(parser, errno == ENOENT ? INGOT_NOT_FOUND : INGOT_IO_ERROR, "cannot open ONNX model '%s': %s",
                      path, strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    fclose(f);
    return file_error(parser, INGOT_IO_ERROR, "ONNX model '%s' is not a regular file", path);
  }
  if ((uint64_t)st.st_size > INGOT_ONNX_MAX_MODEL_BYTES) {
    fclose(f);
    return file_error(parser, INGOT_UNSUPPORTED,
                      "ONNX model '%s' is %lld bytes, above protobuf's limit of 2 GiB for one message: save its "
                      "weights as external data (onnx.save_model(model, path, save_as_external_data=True))", path,
                      (long long)st.st_size);
  }
  size_t size = (size_t)st.st_size;
  void *data = malloc(size ? size : 1);
  if (!data) {
    fclose(f);
    return file_error(parser, INGOT_OUT_OF_MEMORY, "out of memory reading ONNX model '%s' (%zu bytes)", path, size);
  }
  size_t got = size ? fread(data, 1, size, f) : 0;
  fclose(f);
  if (got != size) {
    free(data);
    return file_error(parser, INGOT_IO_ERROR, "cannot read ONNX model '%s': got %zu of %zu bytes", path, got, size);
  }
  /* External data files sit beside the model. */
  char dir[4096];
  const char *slash = strrchr(path, '/');
  if (!slash) snprintf(dir, sizeof dir, ".");
  else if (slash == path) snprintf(dir, sizeof dir, "/");
  else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  ingot_status status = parse(parser, data, size, dir, data);
  if (status != INGOT_SUCCESS && !strstr(ingot_last_error(), path)) ingot_error_prefix("%s", path);
  return status;
}
