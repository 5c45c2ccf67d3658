"""ctypes bindings of every function in include/ingot/*.h, and the library loader.

The library is looked for, in order: $INGOT_LIBRARY (a file, or a directory holding
libingot.so); libingot.so beside this file (an install may copy it there); the build
directories of the source tree (../../build/libingot.so relative to this package, then
../../build*/libingot.so, newest first); finally the system's loader path. Symbols the
loaded library lacks are recorded in `missing` and raise NotImplementedError when called,
so a partial library still imports.
"""
import ctypes
import glob
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_float, c_int, c_int32,
                    c_int64, c_size_t, c_uint32, c_uint64, c_void_p)

MAX_DIMS = 8          # INGOT_MAX_DIMS
MAX_SPATIAL_DIMS = 6  # INGOT_MAX_SPATIAL_DIMS

c_enum = c_int        # every C enum is passed as int
c_status = c_int


# ---- structs (field order and types exactly as in the headers) -------------------------
class ingot_dims(Structure):
    _fields_ = [("nb_dims", c_int32), ("d", c_int64 * MAX_DIMS)]


class ingot_weights(Structure):
    _fields_ = [("dtype", c_enum), ("values", c_void_p), ("count", c_int64)]


_Spatial = c_int64 * MAX_SPATIAL_DIMS


class ingot_convolution_desc(Structure):
    _fields_ = [
        ("nb_spatial_dims", c_int32),
        ("num_output_maps", c_int64),
        ("kernel_size", _Spatial),
        ("stride", _Spatial),
        ("pre_padding", _Spatial),
        ("post_padding", _Spatial),
        ("dilation", _Spatial),
        ("output_padding", _Spatial),
        ("groups", c_int64),
        ("padding_mode", c_enum),
        ("kernel_weights", ingot_weights),
        ("bias_weights", ingot_weights),
    ]


class ingot_pooling_desc(Structure):
    _fields_ = [
        ("type", c_enum),
        ("nb_spatial_dims", c_int32),
        ("window_size", _Spatial),
        ("stride", _Spatial),
        ("pre_padding", _Spatial),
        ("post_padding", _Spatial),
        ("dilation", _Spatial),
        ("padding_mode", c_enum),
        ("average_count_excludes_padding", c_int32),
        ("ceil_mode", c_int32),
        ("global_", c_int32),  # C field `global` (a Python keyword)
    ]


class ingot_shuffle_desc(Structure):
    _fields_ = [
        ("has_first_transpose", c_int32),
        ("first_transpose", c_int32 * MAX_DIMS),
        ("has_reshape", c_int32),
        ("reshape_dims", ingot_dims),
        ("zero_is_literal", c_int32),
        ("has_second_transpose", c_int32),
        ("second_transpose", c_int32 * MAX_DIMS),
    ]


class ingot_resize_desc(Structure):
    _fields_ = [
        ("mode", c_enum),
        ("coordinate_transform", c_enum),
        ("nearest_rounding", c_enum),
        ("use_scales", c_int32),
        ("output_dims", ingot_dims),
        ("nb_scales", c_int32),
        ("scales", c_float * MAX_DIMS),
        ("cubic_coeff_a", c_float),
        ("exclude_outside", c_int32),
        ("antialias", c_int32),
        ("extrapolation_value", c_float),
        ("roi", c_float * (2 * MAX_DIMS)),
    ]


class ingot_padding_desc(Structure):
    _fields_ = [
        ("nb_dims", c_int32),
        ("pre_padding", c_int64 * MAX_DIMS),
        ("post_padding", c_int64 * MAX_DIMS),
        ("mode", c_enum),
        ("value", c_float),
    ]


class ingot_rnn_desc(Structure):
    _fields_ = [
        ("cell", c_enum),
        ("direction", c_enum),
        ("hidden_size", c_int64),
        ("layout", c_int32),
        ("nb_activations", c_int32),
        ("activations", c_enum * 6),
        ("activation_alpha", c_float * 6),
        ("activation_beta", c_float * 6),
        ("has_clip", c_int32),
        ("clip", c_float),
        ("input_forget", c_int32),
        ("linear_before_reset", c_int32),
    ]


class ingot_layer_info(Structure):
    _fields_ = [
        ("name", c_char_p),
        ("type", c_char_p),
        ("tactic", c_char_p),
        ("precision", c_enum),
        ("nb_inputs", c_int32),
        ("nb_outputs", c_int32),
        ("input_names", POINTER(c_char_p)),
        ("output_names", POINTER(c_char_p)),
    ]


class ingot_onnx_parser_error(Structure):
    _fields_ = [
        ("status", c_enum),
        ("node_name", c_char_p),
        ("op_type", c_char_p),
        ("opset", c_int64),
        ("node_index", c_int32),
        ("message", c_char_p),
    ]


# ---- callbacks ---------------------------------------------------------------------------
# void (*)(void *user_data, ingot_severity severity, const char *message)
ingot_log_callback = CFUNCTYPE(None, c_void_p, c_enum, c_char_p)
# void (*)(void *user_data, const char *layer_name, float milliseconds)
ingot_profiler_callback = CFUNCTYPE(None, c_void_p, c_char_p, c_float)

# ---- functions: name -> (restype, argtypes) ----------------------------------------------
P = c_void_p           # any opaque handle
PP = POINTER(c_void_p)  # handle out-parameter
PDIMS = POINTER(ingot_dims)
W = ingot_weights

FUNCTIONS = {
    # core.h
    "ingot_version": (c_uint32, []),
    "ingot_version_string": (c_char_p, []),
    "ingot_status_name": (c_char_p, [c_status]),
    "ingot_last_error": (c_char_p, []),
    "ingot_clear_last_error": (None, []),
    "ingot_dtype_size": (c_size_t, [c_enum]),
    "ingot_dtype_name": (c_char_p, [c_enum]),
    "ingot_logger_create": (c_status, [ingot_log_callback, P, c_enum, PP]),
    "ingot_logger_destroy": (None, [P]),
    "ingot_logger_set_severity": (c_status, [P, c_enum]),
    "ingot_severity_name": (c_char_p, [c_enum]),
    # network.h
    "ingot_layer_type_name": (c_char_p, [c_enum]),
    "ingot_network_create": (c_status, [P, PP]),
    "ingot_network_destroy": (None, [P]),
    "ingot_network_add_input": (c_status, [P, c_char_p, c_enum, PDIMS, PP]),
    "ingot_network_mark_output": (c_status, [P, P]),
    "ingot_network_unmark_output": (c_status, [P, P]),
    "ingot_network_num_inputs": (c_int32, [P]),
    "ingot_network_num_outputs": (c_int32, [P]),
    "ingot_network_num_layers": (c_int32, [P]),
    "ingot_network_get_input": (P, [P, c_int32]),
    "ingot_network_get_output": (P, [P, c_int32]),
    "ingot_network_get_layer": (P, [P, c_int32]),
    "ingot_network_find_tensor": (P, [P, c_char_p]),
    "ingot_tensor_get_name": (c_char_p, [P]),
    "ingot_tensor_set_name": (c_status, [P, c_char_p]),
    "ingot_tensor_get_dtype": (c_enum, [P]),
    "ingot_tensor_get_dims": (c_status, [P, PDIMS]),
    "ingot_tensor_is_input": (c_int, [P]),
    "ingot_tensor_is_output": (c_int, [P]),
    "ingot_layer_get_name": (c_char_p, [P]),
    "ingot_layer_set_name": (c_status, [P, c_char_p]),
    "ingot_layer_get_type": (c_enum, [P]),
    "ingot_layer_num_inputs": (c_int32, [P]),
    "ingot_layer_num_outputs": (c_int32, [P]),
    "ingot_layer_get_input": (P, [P, c_int32]),
    "ingot_layer_get_output": (P, [P, c_int32]),
    "ingot_layer_set_input": (c_status, [P, c_int32, P]),
    "ingot_network_add_convolution": (c_status, [P, P, POINTER(ingot_convolution_desc), PP]),
    "ingot_network_add_deconvolution": (c_status, [P, P, POINTER(ingot_convolution_desc), PP]),
    "ingot_network_add_pooling": (c_status, [P, P, POINTER(ingot_pooling_desc), PP]),
    "ingot_activation_type_name": (c_char_p, [c_enum]),
    "ingot_network_add_activation": (c_status, [P, P, c_enum, c_float, c_float, PP]),
    "ingot_network_add_parametric_relu": (c_status, [P, P, P, PP]),
    "ingot_network_add_matrix_multiply": (c_status, [P, P, c_enum, P, c_enum, PP]),
    "ingot_network_add_fully_connected": (c_status, [P, P, c_int64, W, W, PP]),
    "ingot_network_add_softmax": (c_status, [P, P, c_int32, PP]),
    "ingot_network_add_log_softmax": (c_status, [P, P, c_int32, PP]),
    "ingot_network_add_elementwise": (c_status, [P, P, P, c_enum, PP]),
    "ingot_network_add_unary": (c_status, [P, P, c_enum, PP]),
    "ingot_network_add_scale": (c_status, [P, P, c_enum, W, W, W, c_int32, PP]),
    "ingot_network_add_concatenation": (c_status, [P, POINTER(c_void_p), c_int32, c_int32, PP]),
    "ingot_network_add_shuffle": (c_status, [P, P, POINTER(ingot_shuffle_desc), PP]),
    "ingot_network_add_reduce": (c_status, [P, P, c_enum, c_uint32, c_int32, PP]),
    "ingot_network_add_constant": (c_status, [P, PDIMS, W, PP]),
    "ingot_network_add_identity": (c_status, [P, P, PP]),
    "ingot_network_add_cast": (c_status, [P, P, c_enum, PP]),
    "ingot_network_add_slice": (c_status, [P, P, PDIMS, PDIMS, PDIMS, PP]),
    "ingot_network_add_gather": (c_status, [P, P, P, c_int32, PP]),
    "ingot_network_add_select": (c_status, [P, P, P, P, PP]),
    "ingot_network_add_batch_normalization": (c_status, [P, P, W, W, W, W, c_float, PP]),
    "ingot_network_add_layer_normalization": (c_status, [P, P, P, P, c_uint32, c_float, PP]),
    "ingot_network_add_attention": (c_status, [P, P, P, P, P, c_float, PP]),
    "ingot_network_add_resize": (c_status, [P, P, POINTER(ingot_resize_desc), PP]),
    "ingot_network_add_padding": (c_status, [P, P, POINTER(ingot_padding_desc), PP]),
    "ingot_network_add_topk": (c_status, [P, P, c_enum, c_int64, c_int32, PP]),
    "ingot_network_add_shape": (c_status, [P, P, PP]),
    "ingot_network_add_fill": (c_status, [P, P, c_enum, c_double, PP]),
    "ingot_network_add_range": (c_status, [P, P, P, P, PP]),
    "ingot_network_add_gather_elements": (c_status, [P, P, P, c_int32, PP]),
    "ingot_network_add_gather_nd": (c_status, [P, P, P, c_int32, PP]),
    "ingot_network_add_scatter": (c_status, [P, P, P, P, c_enum, c_int32, c_enum, PP]),
    "ingot_network_add_cumulative": (c_status, [P, P, c_int32, c_int32, c_int32, PP]),
    "ingot_network_add_expand": (c_status, [P, P, P, PP]),
    "ingot_network_add_tile": (c_status, [P, P, P, PP]),
    "ingot_network_add_quantize": (c_status, [P, P, P, P, c_int32, c_enum, PP]),
    "ingot_network_add_dequantize": (c_status, [P, P, P, P, c_int32, PP]),
    "ingot_network_add_einsum": (c_status, [P, POINTER(c_void_p), c_int32, c_char_p, PP]),
    "ingot_network_add_rnn": (c_status, [P, P, P, P, P, P, PP]),
    "ingot_network_add_non_zero": (c_status, [P, P, PP]),
    "ingot_network_add_non_max_suppression": (c_status, [P, P, P, P, P, P, c_int32, PP]),
    "ingot_network_add_compress": (c_status, [P, P, P, c_int32, c_int32, PP]),
    "ingot_network_add_unique": (c_status, [P, P, c_int32, c_int32, c_int32, PP]),
    # builder.h
    "ingot_target_name": (c_char_p, [c_enum]),
    "ingot_builder_create": (c_status, [P, PP]),
    "ingot_builder_destroy": (None, [P]),
    "ingot_builder_build_serialized_network": (c_status, [P, P, P, PP]),
    "ingot_builder_config_create": (c_status, [PP]),
    "ingot_builder_config_destroy": (None, [P]),
    "ingot_builder_config_set_target": (c_status, [P, c_enum, c_int32]),
    "ingot_builder_config_set_workspace_limit": (c_status, [P, c_uint64]),
    "ingot_builder_config_get_workspace_limit": (c_uint64, [P]),
    "ingot_builder_config_set_flag": (c_status, [P, c_enum, c_int32]),
    "ingot_builder_config_get_flag": (c_int32, [P, c_enum]),
    "ingot_builder_config_set_timing_iterations": (c_status, [P, c_int32]),
    "ingot_builder_config_set_num_threads": (c_status, [P, c_int32]),
    "ingot_builder_config_set_tactic_sources": (c_status, [P, c_uint32]),
    "ingot_builder_config_get_tactic_sources": (c_uint32, [P]),
    "ingot_builder_config_add_optimization_profile": (c_status, [P, P, POINTER(c_int32)]),
    "ingot_builder_config_set_timing_cache": (c_status, [P, P]),
    "ingot_timing_cache_create": (c_status, [c_void_p, c_size_t, PP]),
    "ingot_timing_cache_destroy": (None, [P]),
    "ingot_timing_cache_num_entries": (c_int64, [P]),
    "ingot_timing_cache_serialized_size": (c_size_t, [P]),
    "ingot_timing_cache_serialize": (c_status, [P, c_void_p, c_size_t]),
    "ingot_timing_cache_load": (c_status, [c_char_p, PP]),
    "ingot_timing_cache_save": (c_status, [P, c_char_p]),
    "ingot_timing_cache_combine": (c_status, [P, P]),
    "ingot_builder_config_num_optimization_profiles": (c_int32, [P]),
    "ingot_optimization_profile_create": (c_status, [PP]),
    "ingot_optimization_profile_destroy": (None, [P]),
    "ingot_optimization_profile_set_dimensions": (c_status, [P, c_char_p, c_enum, PDIMS]),
    "ingot_optimization_profile_get_dimensions": (c_status, [P, c_char_p, c_enum, PDIMS]),
    "ingot_plan_data": (c_void_p, [P]),
    "ingot_plan_size": (c_size_t, [P]),
    "ingot_plan_save": (c_status, [P, c_char_p]),
    "ingot_plan_destroy": (None, [P]),
    # runtime.h
    "ingot_runtime_create": (c_status, [P, PP]),
    "ingot_runtime_destroy": (None, [P]),
    "ingot_runtime_deserialize_engine": (c_status, [P, c_void_p, c_size_t, PP]),
    "ingot_runtime_load_engine": (c_status, [P, c_char_p, PP]),
    "ingot_engine_destroy": (None, [P]),
    "ingot_engine_num_io_tensors": (c_int32, [P]),
    "ingot_engine_get_io_tensor_name": (c_char_p, [P, c_int32]),
    "ingot_engine_get_tensor_io_mode": (c_status, [P, c_char_p, POINTER(c_enum)]),
    "ingot_engine_get_tensor_dtype": (c_status, [P, c_char_p, POINTER(c_enum)]),
    "ingot_engine_get_tensor_dims": (c_status, [P, c_char_p, PDIMS]),
    "ingot_engine_num_optimization_profiles": (c_int32, [P]),
    "ingot_engine_get_profile_dims": (c_status, [P, c_char_p, c_int32, c_enum, PDIMS]),
    "ingot_engine_get_target": (c_enum, [P]),
    "ingot_engine_num_layers": (c_int32, [P]),
    "ingot_engine_get_layer_info": (c_status, [P, c_int32, POINTER(ingot_layer_info)]),
    "ingot_engine_get_layer_plugin": (c_status, [P, c_int32, POINTER(c_char_p), POINTER(c_char_p), POINTER(c_char_p)]),
    "ingot_engine_get_activation_memory": (c_uint64, [P, c_int32]),
    "ingot_engine_get_weights_memory": (c_uint64, [P]),
    "ingot_engine_get_packed_weights_memory": (c_uint64, [P]),
    "ingot_engine_create_execution_context": (c_status, [P, PP]),
    "ingot_execution_context_destroy": (None, [P]),
    "ingot_execution_context_set_optimization_profile": (c_status, [P, c_int32]),
    "ingot_execution_context_set_input_shape": (c_status, [P, c_char_p, PDIMS]),
    "ingot_execution_context_get_tensor_shape": (c_status, [P, c_char_p, PDIMS]),
    "ingot_execution_context_get_tensor_max_shape": (c_status, [P, c_char_p, PDIMS]),
    "ingot_execution_context_set_tensor_address": (c_status, [P, c_char_p, c_void_p]),
    "ingot_execution_context_set_num_threads": (c_status, [P, c_int32]),
    "ingot_execution_context_execute": (c_status, [P]),
    "ingot_execution_context_enqueue": (c_status, [P, P]),
    "ingot_execution_context_set_profiler": (c_status, [P, P]),
    "ingot_stream_create": (c_status, [c_enum, c_int32, PP]),
    "ingot_stream_destroy": (None, [P]),
    "ingot_stream_synchronize": (c_status, [P]),
    "ingot_stream_wrap": (c_status, [c_enum, c_void_p, PP]),
    "ingot_stream_get_native": (c_void_p, [P]),
    "ingot_runtime_set_device": (c_status, [P, c_int32]),
    "ingot_execution_context_set_device_memory": (c_status, [P, c_void_p, c_uint64]),
    "ingot_execution_context_get_device_memory_size": (c_status, [P, POINTER(c_uint64)]),
    "ingot_execution_context_set_graph_capture": (c_status, [P, c_int32]),
    "ingot_profiler_create": (c_status, [ingot_profiler_callback, P, PP]),
    "ingot_profiler_destroy": (None, [P]),
    # wts.h
    "ingot_wts_load": (c_status, [c_char_p, PP]),
    "ingot_wts_parse": (c_status, [c_char_p, c_size_t, PP]),
    "ingot_weights_map_destroy": (None, [P]),
    "ingot_weights_map_count": (c_int32, [P]),
    "ingot_weights_map_name": (c_char_p, [P, c_int32]),
    "ingot_weights_map_get": (c_status, [P, c_char_p, POINTER(ingot_weights)]),
}

# onnx_parser.h (kept apart from FUNCTIONS while tests/python/test_api.py checks only the other
# headers; the loader below binds both)
ONNX_FUNCTIONS = {
    "ingot_onnx_parser_create": (c_status, [P, P, PP]),
    "ingot_onnx_parser_destroy": (None, [P]),
    "ingot_onnx_parser_parse": (c_status, [P, c_void_p, c_size_t, c_char_p]),
    "ingot_onnx_parser_parse_from_file": (c_status, [P, c_char_p]),
    "ingot_onnx_parser_num_errors": (c_int32, [P]),
    "ingot_onnx_parser_get_error": (c_status, [P, c_int32, POINTER(ingot_onnx_parser_error)]),
    "ingot_onnx_parser_clear_errors": (None, [P]),
    "ingot_onnx_supports_operator": (c_int32, [c_char_p, c_int64]),
    "ingot_onnx_num_operators": (c_int32, []),
    "ingot_onnx_operator": (c_char_p, [c_int32, POINTER(c_int64)]),
}

LIBRARY_NAME = "libingot.so"


def candidate_paths():
    """The places searched for the library, in order (existing or not)."""
    here = os.path.dirname(os.path.abspath(__file__))
    paths = []
    env = os.environ.get("INGOT_LIBRARY")
    if env:
        paths.append(os.path.join(env, LIBRARY_NAME) if os.path.isdir(env) else env)
    paths.append(os.path.join(here, LIBRARY_NAME))
    root = os.path.normpath(os.path.join(here, os.pardir, os.pardir))
    paths.append(os.path.join(root, "build", LIBRARY_NAME))
    others = [p for p in glob.glob(os.path.join(root, "build*", LIBRARY_NAME)) if p not in paths]
    others.sort(key=lambda p: os.path.getmtime(p), reverse=True)
    paths.extend(others)
    return paths


def _build_glob():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.normpath(os.path.join(here, os.pardir, os.pardir)), "build*", LIBRARY_NAME)


def _missing_function(name):
    def call(*args, **kwargs):
        raise NotImplementedError(f"{name} is not exported by the loaded ingot library ({path})")
    call.__name__ = name
    return call


def _load():
    searched = candidate_paths()
    errors = []
    env = os.environ.get("INGOT_LIBRARY")
    for i, p in enumerate(searched):
        if not os.path.exists(p):
            if env and i == 0:
                # An explicit choice that does not exist is an error, not something to skip.
                raise ImportError(f"ingot: $INGOT_LIBRARY={env!r} but {p} does not exist")
            continue
        try:
            return ctypes.CDLL(p), p
        except OSError as e:
            if env and i == 0:
                # The library the caller named exists but does not load: falling back to
                # another copy would hide the problem (and test a different build).
                raise ImportError(f"ingot: $INGOT_LIBRARY={env!r} names {p}, which does not load: {e}") from e
            errors.append(f"{p}: {e}")
    try:  # the system loader's path (e.g. an installed /usr/local/lib/libingot.so)
        return ctypes.CDLL(LIBRARY_NAME), LIBRARY_NAME
    except OSError as e:
        errors.append(f"{LIBRARY_NAME} (system loader path): {e}")
    raise ImportError(
        "ingot: cannot load libingot.so. Searched, in order:\n  "
        + "\n  ".join(searched + [_build_glob() + " (any other build directory)",
                                 LIBRARY_NAME + " (system loader path)"])
        + ("\nErrors:\n  " + "\n  ".join(errors) if errors else "")
        + "\nBuild it (cmake -S . -B build && cmake --build build) or set $INGOT_LIBRARY "
        "to the path of libingot.so.")


lib, path = _load()
missing = []       # FUNCTIONS the library lacks
missing_onnx = []  # ONNX_FUNCTIONS the library lacks (a build without the ONNX parser)

for _name, (_restype, _argtypes) in list(FUNCTIONS.items()) + list(ONNX_FUNCTIONS.items()):
    try:
        _f = getattr(lib, _name)
    except AttributeError:
        (missing if _name in FUNCTIONS else missing_onnx).append(_name)
        globals()[_name] = _missing_function(_name)
        continue
    _f.restype = _restype
    _f.argtypes = _argtypes
    globals()[_name] = _f

del _name, _restype, _argtypes


# ---- helpers shared by the wrapper modules ----------------------------------------------
import numpy as np  # noqa: E402

from ._enums import DataType, Status  # noqa: E402


class IngotError(RuntimeError):
    """An ingot call failed: `.status` (an ingot.Status) and `.message` (the C message,
    which names the layer or tensor concerned)."""

    def __init__(self, status, message):
        try:
            status = Status(int(status))
        except ValueError:
            pass
        self.status = status
        self.message = message
        name = status.name if isinstance(status, Status) else str(status)
        super().__init__(f"{name}: {message}" if message else name)


def last_error():
    msg = ingot_last_error()
    return msg.decode("utf-8", "replace") if msg else ""


def check(status, what=None):
    """Raises IngotError when `status` is not INGOT_SUCCESS."""
    if status != 0:
        msg = last_error()
        if not msg:
            name = ingot_status_name(status)
            msg = (what + ": " if what else "") + (name.decode() if name else f"status {status}")
        raise IngotError(status, msg)


def check_ptr(ptr, what):
    """For the C calls that return a handle, NULL on failure."""
    if not ptr:
        msg = last_error() or what
        raise IngotError(Status.NOT_FOUND, msg)
    return ptr


def to_bytes(s):
    if isinstance(s, bytes):
        return s
    return str(s).encode("utf-8")


def to_str(b):
    return b.decode("utf-8", "replace") if b is not None else None


def make_dims(shape):
    """A tuple (or any sequence of ints, or an int) -> ingot_dims."""
    if isinstance(shape, ingot_dims):
        return shape
    if shape is None:
        raise TypeError("shape must be a sequence of ints, not None")
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape = tuple(int(v) for v in shape)
    if len(shape) > MAX_DIMS:
        raise ValueError(f"shape {shape} has {len(shape)} dims; ingot allows at most {MAX_DIMS}")
    d = ingot_dims()
    d.nb_dims = len(shape)
    for i, v in enumerate(shape):
        d.d[i] = v
    return d


def dims_tuple(d):
    """ingot_dims -> tuple (None when nb_dims < 0, i.e. unknown)."""
    if d.nb_dims < 0:
        return None
    return tuple(int(d.d[i]) for i in range(min(d.nb_dims, MAX_DIMS)))


_NP_OF_DTYPE = {
    DataType.FLOAT: np.dtype(np.float32),
    DataType.HALF: np.dtype(np.float16),
    DataType.BF16: np.dtype(np.uint16),  # bit patterns: NumPy has no bfloat16
    DataType.INT8: np.dtype(np.int8),
    DataType.INT32: np.dtype(np.int32),
    DataType.INT64: np.dtype(np.int64),
    DataType.BOOL: np.dtype(np.bool_),
    DataType.UINT8: np.dtype(np.uint8),
}

_DTYPE_OF_NP = {
    np.dtype(np.float32): DataType.FLOAT,
    np.dtype(np.float16): DataType.HALF,
    np.dtype(np.int8): DataType.INT8,
    np.dtype(np.int32): DataType.INT32,
    np.dtype(np.int64): DataType.INT64,
    np.dtype(np.bool_): DataType.BOOL,
    np.dtype(np.uint8): DataType.UINT8,
}

_DTYPE_OF_NAME = {
    "float32": DataType.FLOAT, "float": DataType.FLOAT, "fp32": DataType.FLOAT,
    "float16": DataType.HALF, "half": DataType.HALF, "fp16": DataType.HALF,
    "bfloat16": DataType.BF16, "bf16": DataType.BF16,
    "int8": DataType.INT8, "int32": DataType.INT32, "int64": DataType.INT64,
    "bool": DataType.BOOL, "uint8": DataType.UINT8,
}


def nptype(dtype):
    """The NumPy dtype that holds an ingot DataType (BF16 -> uint16 bit patterns)."""
    return _NP_OF_DTYPE[to_dtype(dtype)]


def to_dtype(dtype):
    """A DataType, its int value, a NumPy dtype or type, or a name ("float32") -> DataType."""
    if isinstance(dtype, DataType):
        return dtype
    if isinstance(dtype, (int, np.integer)) and not isinstance(dtype, bool):
        return DataType(int(dtype))
    if isinstance(dtype, str) and dtype.lower() in _DTYPE_OF_NAME:
        return _DTYPE_OF_NAME[dtype.lower()]
    if dtype is bool:
        return DataType.BOOL
    try:
        npd = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"not a data type: {dtype!r}") from None
    if npd.name == "bfloat16":  # ml_dtypes.bfloat16
        return DataType.BF16
    if npd in _DTYPE_OF_NP:
        return _DTYPE_OF_NP[npd]
    raise TypeError(f"NumPy dtype {npd} has no ingot DataType (float64 arrays: convert to float32)")


def array_dtype(arr):
    """DataType of a NumPy array's elements (float64 counts as float32: it gets converted)."""
    if arr.dtype == np.float64:
        return DataType.FLOAT
    if arr.dtype == np.uint16:
        return DataType.BF16
    return to_dtype(arr.dtype)


def contiguous(a, dtype=None):
    """A C-contiguous array (0-d stays 0-d, unlike np.ascontiguousarray)."""
    return np.asarray(a, dtype=dtype, order="C")


def float_to_bf16(a):
    """float array -> bfloat16 bit patterns (uint16), rounding to nearest even."""
    a = contiguous(a, dtype=np.float32)
    bits = a.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    out = rounded.astype(np.uint16)
    nan = np.isnan(a)
    if nan.any():
        out[nan] = 0x7FC0
    return out


def bf16_to_float(a):
    """bfloat16 bit patterns (uint16) -> float32 array."""
    a = contiguous(a)
    if a.dtype.name == "bfloat16":
        return a.astype(np.float32)
    return (a.astype(np.uint32) << 16).view(np.float32)


def as_array(values, dtype=None):
    """Anything array-like -> (C-contiguous array, DataType). float64 becomes float32;
    `dtype` forces the DataType (BF16 from float values rounds to bfloat16 bits)."""
    arr = np.asarray(values)
    if dtype is not None:
        dt = to_dtype(dtype)
        if dt == DataType.BF16:
            if arr.dtype == np.uint16 or arr.dtype.name == "bfloat16":
                arr = contiguous(arr).view(np.uint16) if arr.dtype.name == "bfloat16" \
                    else contiguous(arr)
            else:
                arr = float_to_bf16(arr)
        else:
            arr = contiguous(arr, dtype=_NP_OF_DTYPE[dt])
        return arr, dt
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    elif arr.dtype.name == "bfloat16":
        return contiguous(arr).view(np.uint16), DataType.BF16
    dt = array_dtype(arr)
    return contiguous(arr), dt


def make_weights(values, dtype=None):
    """array-like or None -> (ingot_weights, the array to keep alive during the call).
    C copies the weights, so nothing needs to live after the call."""
    if values is None:
        return ingot_weights(int(DataType.FLOAT), None, 0), None
    arr, dt = as_array(values, dtype)
    w = ingot_weights()
    w.dtype = int(dt)
    w.count = int(arr.size)
    w.values = arr.ctypes.data if arr.size else None
    return w, arr
