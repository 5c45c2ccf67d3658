/* TensorRT's plugin fallback for ONNX: a node whose op type has no importer (or whose
 * domain is not the default one) is imported as the registered plugin of that name, its
 * attributes becoming the plugin's fields. */
#ifndef INGOT_ONNX_IMPORT_PLUGIN_H
#define INGOT_ONNX_IMPORT_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "onnx/importer.h"
#include "onnx/model_reader.h"

/* Whether a plugin stands for the node: its op type as the name, version from the
 * attribute "plugin_version" (else any), namespace from "plugin_namespace" (else the
 * node's domain). Either way `searched` says what was looked for, for error messages. */
bool ingot_onnx_plugin_exists(const ingot_onnx_node_desc *desc, char *searched, size_t size);
/* The importer of such a node (ingot_network_add_plugin with the attributes as fields). */
extern const ingot_onnx_importer ingot_onnx_plugin_importer;

#endif
