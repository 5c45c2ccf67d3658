/* ingot — inference optimizer and runtime. Include this one header.
 * Flow: network (by hand or from ONNX) -> builder + config -> plan bytes -> runtime ->
 * engine -> execution contexts -> outputs. */
#ifndef INGOT_INGOT_H
#define INGOT_INGOT_H

#include "ingot/core.h"
#include "ingot/network.h"
#include "ingot/builder.h"
#include "ingot/runtime.h"
#include "ingot/device.h"
#include "ingot/wts.h"
#include "ingot/onnx_parser.h"
#include "ingot/plugin.h"

#endif
