/* ingot — the ONNX parser: fills a network from an ONNX model through the public network
 * API. It reports every problem of a model in one pass (TensorRT's getNbErrors/getError):
 * parse returns the first failure's status, and the error list holds all of them, each
 * naming the node, its op type and the opset. A parser is used by one thread at a time;
 * it owns nothing the network needs after parsing. */
#ifndef INGOT_ONNX_PARSER_H
#define INGOT_ONNX_PARSER_H

#include "ingot/network.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ingot_onnx_parser ingot_onnx_parser;

typedef struct ingot_onnx_parser_error {
  ingot_status status;
  const char *node_name;  /* "" for errors not about a node (a bad file, a bad initializer) */
  const char *op_type;    /* "" likewise */
  int64_t opset;          /* the default-domain opset of the model */
  int32_t node_index;     /* -1 if not about a node */
  const char *message;    /* the whole message */
} ingot_onnx_parser_error;

/* The network and logger (may be NULL) must outlive the parser. */
INGOT_API ingot_status ingot_onnx_parser_create(ingot_network *network, ingot_logger *logger,
                                                ingot_onnx_parser **parser_out);
INGOT_API void ingot_onnx_parser_destroy(ingot_onnx_parser *parser);
/* Parses a model from bytes; `model_dir` is where external data files are looked up (may be
 * NULL: external data refused). */
INGOT_API ingot_status ingot_onnx_parser_parse(ingot_onnx_parser *parser, const void *data, size_t size,
                                               const char *model_dir);
/* Parses a model file (external data beside it). */
INGOT_API ingot_status ingot_onnx_parser_parse_from_file(ingot_onnx_parser *parser, const char *path);
INGOT_API int32_t ingot_onnx_parser_num_errors(const ingot_onnx_parser *parser);
/* Error `index`; its strings live until the parser is destroyed or cleared. */
INGOT_API ingot_status ingot_onnx_parser_get_error(const ingot_onnx_parser *parser, int32_t index,
                                                   ingot_onnx_parser_error *error_out);
INGOT_API void ingot_onnx_parser_clear_errors(ingot_onnx_parser *parser);

/* Does ingot import this operator (default domain) at this opset? */
INGOT_API int32_t ingot_onnx_supports_operator(const char *op_type, int64_t opset);
/* The importer table, for generated docs: operator `index`, the first opset it imports. */
INGOT_API int32_t ingot_onnx_num_operators(void);
INGOT_API const char *ingot_onnx_operator(int32_t index, int64_t *since_opset_out);

#ifdef __cplusplus
}
#endif
#endif
