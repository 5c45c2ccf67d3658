"""ingot: an inference optimizer and runtime (Python bindings over libingot, ctypes + NumPy).

    import ingot
    logger = ingot.Logger(ingot.Logger.WARNING)
    builder = ingot.Builder(logger)
    network = builder.create_network()
    ...
    outputs = ingot.run_network(network, {"x": x})

See docs/python-api.md.
"""
import ctypes as _ctypes

import numpy as _np

from . import _lib
from ._enums import (ActivationType, BuilderFlag, DataType, ElementWiseOperation, LayerType,
                     MatrixOperation, PaddingMode, PadMode, PoolingType, ProfileSelector, ReduceOperation,
                     ResizeCoordinateTransformation, ResizeMode, ResizeRoundMode, ScaleMode, Severity,
                     ScatterMode, ScatterReduction, Status, Target, TensorIOMode, TopKOperation,
                     UnaryOperation)
from ._enums import RNNActivation, RNNCell, RNNDirection, RNNInput
from ._lib import IngotError, bf16_to_float, float_to_bf16, nptype
from .builder import Builder, BuilderConfig, OptimizationProfile, TimingCache
from .logger import Logger
from .network import Layer, Network, Tensor
from .plugin import (DimExpr, Plugin, PluginCreator, PluginField, PluginFieldType, deregister_plugin_creator,
                     load_plugin_library, register_plugin_creator, registered_plugins)
from .runtime import Engine, ExecutionContext, Profiler, Runtime, Stream, run_network
from .onnx_parser import (OnnxParser, ParserError, build_onnx, onnx_operators, parse_onnx, run_onnx,
                          supports_operator)

# DataType aliases (TensorRT style: trt.float32 ...)
float32 = DataType.FLOAT
float16 = DataType.HALF
bfloat16 = DataType.BF16
int8 = DataType.INT8
int32 = DataType.INT32
int64 = DataType.INT64
bool = DataType.BOOL  # noqa: A001 (shadows the builtin inside this module only, as trt.bool)
uint8 = DataType.UINT8

library_path = _lib.path


def version():
    """The loaded library's version as major * 10000 + minor * 100 + patch."""
    return int(_lib.ingot_version())


def _version_string():
    try:
        s = _lib.ingot_version_string()
        return s.decode() if s else "0.0.0"
    except Exception:
        return "0.1.0"


__version__ = _version_string()


def to_dtype(dtype):
    """DataType of a DataType, a NumPy dtype/type, or a name ("float32")."""
    return _lib.to_dtype(dtype)


def dtype_size(dtype):
    """Bytes per element (from the library)."""
    return int(_lib.ingot_dtype_size(int(_lib.to_dtype(dtype))))


def dtype_name(dtype):
    return _lib.to_str(_lib.ingot_dtype_name(int(_lib.to_dtype(dtype))))


def status_name(status):
    return _lib.to_str(_lib.ingot_status_name(int(status)))


def _weights_map_to_dict(mp):
    try:
        out = {}
        n = int(_lib.ingot_weights_map_count(mp))
        for i in range(n):
            name = _lib.ingot_weights_map_name(mp, i)
            w = _lib.ingot_weights()
            _lib.check(_lib.ingot_weights_map_get(mp, name, _ctypes.byref(w)))
            dt = DataType(w.dtype)
            npd = _lib.nptype(dt)
            if w.count and w.values:
                buf = (_ctypes.c_char * (int(w.count) * npd.itemsize)).from_address(w.values)
                arr = _np.frombuffer(buf, dtype=npd).copy()
            else:
                arr = _np.empty((0,), dtype=npd)
            out[_lib.to_str(name)] = arr
        return out
    finally:
        _lib.ingot_weights_map_destroy(mp)


def load_wts(path):
    """Reads a tensorrtx .wts file into a dict name -> 1-D float32 array (file order)."""
    import os
    mp = _ctypes.c_void_p()
    _lib.check(_lib.ingot_wts_load(_lib.to_bytes(os.fspath(path)), _ctypes.byref(mp)))
    return _weights_map_to_dict(mp.value)


def parse_wts(text):
    """Same as load_wts, from the file's text (str or bytes)."""
    data = text.encode() if isinstance(text, str) else bytes(text)
    mp = _ctypes.c_void_p()
    _lib.check(_lib.ingot_wts_parse(data, len(data), _ctypes.byref(mp)))
    return _weights_map_to_dict(mp.value)


def __getattr__(name):
    # ingot.onnx_backend and ingot.compare need the onnx package: imported on first use.
    if name in ("onnx_backend", "compare"):
        import importlib
        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'ingot' has no attribute {name!r}")


__all__ = [
    "ActivationType", "BuilderFlag", "DataType", "ElementWiseOperation", "LayerType", "MatrixOperation",
    "PaddingMode", "PadMode", "PoolingType", "ProfileSelector", "ReduceOperation",
    "ResizeCoordinateTransformation", "ResizeMode", "ResizeRoundMode", "ScaleMode", "Severity", "Status",
    "ScatterMode", "ScatterReduction", "Target", "TensorIOMode", "TopKOperation", "UnaryOperation",
    "IngotError", "Logger", "Network", "Tensor", "Layer", "Builder", "BuilderConfig", "OptimizationProfile", "TimingCache",
    "Runtime", "Engine", "ExecutionContext", "Stream", "Profiler", "run_network",
    "float32", "float16", "bfloat16", "int8", "int32", "int64", "bool", "uint8",
    "nptype", "to_dtype", "float_to_bf16", "bf16_to_float", "dtype_size", "dtype_name", "status_name",
    "version", "load_wts", "parse_wts", "library_path",
    "OnnxParser", "ParserError", "build_onnx", "run_onnx", "parse_onnx", "onnx_operators", "supports_operator",
]
