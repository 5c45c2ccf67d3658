"""Plugins (include/ingot/plugin.h) from Python: load a C plugin library, add plugin layers
to a network, and write a plugin in Python with NumPy for the CPU target (TensorRT 10
style; handy for prototypes, slow for production).

    class Scaled(ingot.Plugin):
        num_outputs = 1
        def __init__(self, alpha): self.alpha = alpha
        def get_output_dtypes(self, input_dtypes): return [input_dtypes[0]]
        def get_output_shapes(self, inputs, exprs): return [inputs[0]]
        def enqueue(self, inputs, outputs): outputs[0][...] = self.alpha * inputs[0]
        def serialize(self): return struct.pack("<f", self.alpha)

    class ScaledCreator(ingot.PluginCreator):
        name, version, namespace = "Scaled", "1", ""
        fields = [ingot.PluginField("alpha", ingot.PluginFieldType.FLOAT32, 1, required=True)]
        def create_plugin(self, layer_name, fields): return Scaled(float(fields["alpha"][0]))
        def deserialize_plugin(self, layer_name, data): return Scaled(struct.unpack("<f", data)[0])

    ingot.register_plugin_creator(ScaledCreator())
    layer = network.add_plugin([x], "Scaled", {"alpha": 2.0})

Output shapes are expressions of the input dims (DimExpr: +, -, *, //, ceil_div, max, min
and ints), evaluated by ingot at every shape of a profile. An exception raised by a
plugin's method fails the ingot call with a status; `last_error()` has the traceback.
"""
import ctypes
import threading
import traceback
from ctypes import CFUNCTYPE, POINTER, Structure, c_char_p, c_int, c_int32, c_int64, c_size_t, c_uint64, c_void_p
from enum import IntEnum

import numpy as np

from . import _lib
from ._enums import DataType, Status
from ._lib import check, ingot_dims, nptype, to_bytes

ABI_VERSION = 1  # INGOT_PLUGIN_ABI_VERSION
MAX_INPUTS = 32  # INGOT_PLUGIN_MAX_INPUTS
TARGET_CPU = 0


class PluginFieldType(IntEnum):
    """ingot_plugin_field_type (INGOT_PLUGIN_FIELD_*)."""
    FLOAT32 = 0
    INT32 = 1
    INT64 = 2
    STRING = 3
    BYTES = 4


class DimOp(IntEnum):
    """ingot_dim_op (INGOT_DIM_*): the operations of dim expressions."""
    SUM = 0
    SUB = 1
    PROD = 2
    FLOOR_DIV = 3
    CEIL_DIV = 4
    MAX = 5
    MIN = 6


class PluginField:
    """A field a creator declares: name, type, length (-1: any number) and required."""

    def __init__(self, name, type, length=1, required=True):
        self.name, self.type, self.length, self.required = name, PluginFieldType(type), int(length), bool(required)


# ---- the C structs (plugin.h) ---------------------------------------------------------------
class _Field(Structure):
    _fields_ = [("name", c_char_p), ("type", c_int), ("length", c_int32), ("data", c_void_p)]


class _FieldDecl(Structure):
    _fields_ = [("name", c_char_p), ("type", c_int), ("length", c_int32), ("required", c_int32)]


class _DimsExpr(Structure):
    _fields_ = [("nb_dims", c_int32), ("d", c_void_p * 8)]


_ConstantFn = CFUNCTYPE(c_void_p, c_void_p, c_int64)
_OperationFn = CFUNCTYPE(c_void_p, c_void_p, c_int, c_void_p, c_void_p)
_GetConstantFn = CFUNCTYPE(c_int32, c_void_p, c_void_p, POINTER(c_int64))


class _ExprBuilder(Structure):
    _fields_ = [("size", c_size_t), ("constant", _ConstantFn), ("operation", _OperationFn),
                ("get_constant", _GetConstantFn)]


class _Tensor(Structure):
    _fields_ = [("dtype", c_int), ("dims", ingot_dims), ("data", c_void_p)]


_NbOutputsFn = CFUNCTYPE(c_int32, c_void_p)
_DtypesFn = CFUNCTYPE(c_int, c_void_p, POINTER(c_int), c_int32, POINTER(c_int), c_int32)
_DimsFn = CFUNCTYPE(c_int, c_void_p, POINTER(_DimsExpr), c_int32, POINTER(_DimsExpr), c_int32, POINTER(_ExprBuilder))
_FormatFn = CFUNCTYPE(c_int32, c_void_p, c_int32, c_int32, c_int, c_int32)
_WorkspaceFn = CFUNCTYPE(c_uint64, c_void_p, POINTER(_Tensor), c_int32, POINTER(_Tensor), c_int32)
_SerializeFn = CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t, POINTER(c_size_t))
_EnqueueFn = CFUNCTYPE(c_int, c_void_p, POINTER(_Tensor), c_int32, POINTER(_Tensor), c_int32, c_void_p, c_void_p)
_CloneFn = CFUNCTYPE(c_int, c_void_p, POINTER(c_void_p))
_DestroyFn = CFUNCTYPE(None, c_void_p)


class _Vtbl(Structure):
    _fields_ = [("size", c_size_t), ("abi_version", c_int32), ("get_nb_outputs", _NbOutputsFn),
                ("get_output_dtypes", _DtypesFn), ("get_output_dims", _DimsFn), ("supports_format", _FormatFn),
                ("get_workspace_size", _WorkspaceFn), ("serialize", _SerializeFn), ("enqueue", _EnqueueFn),
                ("enqueue_cuda", _EnqueueFn), ("clone", _CloneFn), ("destroy", _DestroyFn)]


class _Instance(Structure):
    _fields_ = [("vtbl", POINTER(_Vtbl)), ("self", c_void_p)]


_CreateFn = CFUNCTYPE(c_int, c_void_p, c_char_p, POINTER(_Field), c_int32, POINTER(_Instance))
_DeserializeFn = CFUNCTYPE(c_int, c_void_p, c_char_p, c_void_p, c_size_t, POINTER(_Instance))
_ReleaseFn = CFUNCTYPE(None, c_void_p)


class _CreatorDesc(Structure):
    _fields_ = [("size", c_size_t), ("abi_version", c_int32), ("name", c_char_p), ("version", c_char_p),
                ("plugin_namespace", c_char_p), ("fields", POINTER(_FieldDecl)), ("nb_fields", c_int32),
                ("create", _CreateFn), ("deserialize", _DeserializeFn), ("user_data", c_void_p),
                ("release", _ReleaseFn)]


P, PP = c_void_p, POINTER(c_void_p)
_FUNCTIONS = {
    "ingot_get_plugin_registry": (c_void_p, []),
    "ingot_plugin_registry_register_creator": (c_int, [P, POINTER(_CreatorDesc), PP]),
    "ingot_plugin_registry_deregister_creator": (c_int, [P, c_char_p, c_char_p, c_char_p]),
    "ingot_plugin_registry_get_creator": (c_int, [P, c_char_p, c_char_p, c_char_p, PP]),
    "ingot_plugin_registry_num_creators": (c_int32, [P]),
    "ingot_plugin_registry_get_creator_at": (c_void_p, [P, c_int32]),
    "ingot_plugin_creator_get_name": (c_char_p, [P]),
    "ingot_plugin_creator_get_version": (c_char_p, [P]),
    "ingot_plugin_creator_get_namespace": (c_char_p, [P]),
    "ingot_plugin_library_load": (c_int, [c_char_p]),
    "ingot_network_add_plugin": (c_int, [P, PP, c_int32, c_char_p, c_char_p, c_char_p, POINTER(_Field), c_int32, PP]),
    "ingot_network_add_plugin_instance": (c_int, [P, PP, c_int32, P, PP]),
    "ingot_plugin_creator_create_plugin": (c_int, [P, c_char_p, POINTER(_Field), c_int32, PP]),
    "ingot_plugin_destroy": (None, [P]),
    "ingot_plugin_creator_num_fields": (c_int32, [P]),
    "ingot_plugin_creator_get_field": (POINTER(_FieldDecl), [P, c_int32]),
    "ingot_plugin_field_type_name": (c_char_p, [c_int]),
}
_c = {}
for _name, (_restype, _argtypes) in _FUNCTIONS.items():
    _f = getattr(_lib.lib, _name)
    _f.restype, _f.argtypes = _restype, _argtypes
    _c[_name] = _f
del _name, _restype, _argtypes, _f

_registry = _c["ingot_get_plugin_registry"]()


def _opt_bytes(s):
    """None stays NULL (the C side's "any")."""
    return None if s is None else to_bytes(s)


def load_plugin_library(path):
    """Loads a shared library of C plugins (its creators join the registry for good)."""
    check(_c["ingot_plugin_library_load"](to_bytes(str(path))))


def registered_plugins():
    """[(name, version, namespace)] of every registered creator."""
    out = []
    for i in range(_c["ingot_plugin_registry_num_creators"](_registry)):
        c = _c["ingot_plugin_registry_get_creator_at"](_registry, i)
        if c:
            out.append(tuple(_c[f"ingot_plugin_creator_get_{k}"](c).decode() for k in ("name", "version", "namespace")))
    return out


def deregister_plugin_creator(name, version=None, namespace=None):
    check(_c["ingot_plugin_registry_deregister_creator"](_registry, to_bytes(name), _opt_bytes(version),
                                                          _opt_bytes(namespace)))


# ---- fields ---------------------------------------------------------------------------------
def _field_array(fields):
    """A dict of Python values as a C field array (and what keeps its memory alive)."""
    fields = dict(fields or {})
    arr = (_Field * max(len(fields), 1))()
    keep = []
    for i, (name, value) in enumerate(fields.items()):
        if isinstance(value, str):
            data, ftype, n = value.encode(), PluginFieldType.STRING, len(value.encode())
            buf = ctypes.create_string_buffer(data, len(data) + 1)
            ptr = ctypes.cast(buf, c_void_p)
        elif isinstance(value, (bytes, bytearray)):
            buf = ctypes.create_string_buffer(bytes(value), len(value) + 1)
            ftype, n, ptr = PluginFieldType.BYTES, len(value), ctypes.cast(buf, c_void_p)
        else:
            a = np.asarray(value)
            if a.dtype == np.int32:
                ftype = PluginFieldType.INT32
            elif np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_:
                a, ftype = a.astype(np.int64), PluginFieldType.INT64
            else:
                a, ftype = a.astype(np.float32), PluginFieldType.FLOAT32
            buf = np.ascontiguousarray(a.reshape(-1))
            n, ptr = buf.size, buf.ctypes.data
        keep.append(buf)
        arr[i].name, arr[i].type, arr[i].length, arr[i].data = to_bytes(name), int(ftype), n, ptr
        keep.append(arr[i].name)
    return arr, len(fields), keep


def _fields_to_python(fields, n):
    out = {}
    for i in range(n):
        f = fields[i]
        t = PluginFieldType(f.type)
        if t in (PluginFieldType.STRING, PluginFieldType.BYTES):
            raw = ctypes.string_at(f.data, f.length) if f.length else b""
            out[f.name.decode()] = raw.decode() if t == PluginFieldType.STRING else raw
        else:
            ct = {PluginFieldType.FLOAT32: ctypes.c_float, PluginFieldType.INT32: c_int32,
                  PluginFieldType.INT64: c_int64}[t]
            out[f.name.decode()] = np.array((ct * f.length).from_address(f.data) if f.length else [],
                                            dtype={PluginFieldType.FLOAT32: np.float32, PluginFieldType.INT32: np.int32,
                                                   PluginFieldType.INT64: np.int64}[t])
    return out


def add_plugin_layer(network, inputs, name, fields=None, version=None, namespace=None):
    """ingot_network_add_plugin: a plugin layer over `inputs` made by the registered creator."""
    from .network import Layer
    ptrs = (c_void_p * max(len(inputs), 1))(*[network._own(t, f"inputs[{i}]") for i, t in enumerate(inputs)])
    arr, n, keep = _field_array(fields)
    out = c_void_p()
    check(_c["ingot_network_add_plugin"](network.handle, ptrs, len(inputs), to_bytes(name), _opt_bytes(version),
                                         _opt_bytes(namespace), arr, n, ctypes.byref(out)))
    del keep
    return Layer(network, out.value)


# ---- dim expressions --------------------------------------------------------------------------
class DimExpr:
    """An output dim as an expression of input dims (valid during get_output_shapes)."""
    SUM, SUB, PROD, FLOOR_DIV, CEIL_DIV, MAX, MIN = (int(op) for op in DimOp)

    def __init__(self, builder, ptr):
        self._b, self._p = builder, ptr

    def _wrap(self, v):
        if isinstance(v, DimExpr):
            return v
        return DimExpr(self._b, self._b.contents.constant(self._b, int(v)))

    def _op(self, op, other, swap=False):
        a, b = (self._wrap(other), self) if swap else (self, self._wrap(other))
        return DimExpr(self._b, self._b.contents.operation(self._b, op, a._p, b._p))

    def __add__(self, o): return self._op(self.SUM, o)
    def __radd__(self, o): return self._op(self.SUM, o, True)
    def __sub__(self, o): return self._op(self.SUB, o)
    def __rsub__(self, o): return self._op(self.SUB, o, True)
    def __mul__(self, o): return self._op(self.PROD, o)
    def __rmul__(self, o): return self._op(self.PROD, o, True)
    def __floordiv__(self, o): return self._op(self.FLOOR_DIV, o)
    def ceil_div(self, o): return self._op(self.CEIL_DIV, o)
    def max(self, o): return self._op(self.MAX, o)
    def min(self, o): return self._op(self.MIN, o)

    def constant_value(self):
        """The value if this is a constant (input dims never are), else None."""
        v = c_int64()
        return v.value if self._p and self._b.contents.get_constant(self._b, self._p, ctypes.byref(v)) else None


class ExprBuilder:
    """Makes constants for get_output_shapes: exprs.constant(3)."""

    def __init__(self, builder):
        self._b = builder

    def constant(self, value):
        return DimExpr(self._b, self._b.contents.constant(self._b, int(value)))


# ---- Python plugins --------------------------------------------------------------------------
class Plugin:
    """Base of a plugin written in Python (CPU only). Override get_output_dtypes,
    get_output_shapes, enqueue and serialize; num_outputs (an attribute or property) says
    how many outputs; supports_format(position, dtype) defaults to float32 only;
    get_workspace_size is not offered (allocate in enqueue if you must)."""
    num_outputs = 1

    def get_output_dtypes(self, input_dtypes):
        return [input_dtypes[0]] * self.num_outputs

    def get_output_shapes(self, inputs, exprs):
        raise NotImplementedError

    def supports_format(self, position, dtype):
        return dtype == DataType.FLOAT

    def enqueue(self, inputs, outputs):
        raise NotImplementedError

    def serialize(self):
        return b""

    def clone(self):
        import copy
        return copy.deepcopy(self)


class PluginCreator:
    """Base of a creator written in Python: name, version, namespace, fields (a list of
    PluginField), create_plugin(layer_name, fields: dict) and
    deserialize_plugin(layer_name, data: bytes), each returning a Plugin."""
    name, version, namespace, fields = None, "1", "", []

    def create_plugin(self, layer_name, fields):
        raise NotImplementedError

    def deserialize_plugin(self, layer_name, data):
        raise NotImplementedError


_lock = threading.Lock()
_instances = {}  # id -> Plugin (the `self` ingot holds is the id)
_next_id = [1]
_creators = {}   # id -> (creator, desc, decls, keep)
_errors = threading.local()


def last_error():
    """The traceback of the last exception a Python plugin raised on this thread ("" if none)."""
    return getattr(_errors, "text", "")


def _fail(status=Status.RUNTIME_ERROR):
    _errors.text = traceback.format_exc()
    return int(status)


def _new_id(plugin):
    with _lock:
        i = _next_id[0]
        _next_id[0] += 1
        _instances[i] = plugin
    return i


def _plugin(self_id):
    return _instances[self_id]


def _np_view(t):
    shape = tuple(t.dims.d[k] for k in range(t.dims.nb_dims))
    dtype = nptype(DataType(t.dtype))
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if n == 0 or not t.data:
        return np.zeros(shape, dtype=dtype)
    buf = (ctypes.c_char * (n * np.dtype(dtype).itemsize)).from_address(t.data)
    return np.frombuffer(buf, dtype=dtype).reshape(shape)


@_NbOutputsFn
def _nb_outputs(self_id):
    try:
        return int(_plugin(self_id).num_outputs)
    except Exception:
        _fail()
        return -1


@_DtypesFn
def _output_dtypes(self_id, in_dtypes, nb_in, out_dtypes, nb_out):
    try:
        got = _plugin(self_id).get_output_dtypes([DataType(in_dtypes[i]) for i in range(nb_in)])
        for k in range(nb_out):
            out_dtypes[k] = int(_lib.to_dtype(got[k]))
        return 0
    except Exception:
        return _fail(Status.INVALID_ARGUMENT)


@_DimsFn
def _output_dims(self_id, inputs, nb_in, outputs, nb_out, builder):
    try:
        ins = [[DimExpr(builder, inputs[i].d[k]) for k in range(inputs[i].nb_dims)] for i in range(nb_in)]
        got = _plugin(self_id).get_output_shapes(ins, ExprBuilder(builder))
        for k in range(nb_out):
            dims = list(got[k])
            outputs[k].nb_dims = len(dims)
            for j, e in enumerate(dims):
                e = e if isinstance(e, DimExpr) else DimExpr(builder, builder.contents.constant(builder, int(e)))
                outputs[k].d[j] = e._p
        return 0
    except Exception:
        return _fail(Status.INVALID_ARGUMENT)


@_FormatFn
def _supports_format(self_id, position, nb_inputs, dtype, target):
    try:
        return 1 if target == TARGET_CPU and _plugin(self_id).supports_format(position, DataType(dtype)) else 0
    except Exception:
        _fail()
        return 0


@_SerializeFn
def _serialize(self_id, buffer, capacity, size_out):
    try:
        data = bytes(_plugin(self_id).serialize())
        size_out[0] = len(data)
        if buffer:
            if capacity < len(data):
                return int(Status.INVALID_ARGUMENT)
            ctypes.memmove(buffer, data, len(data))
        return 0
    except Exception:
        return _fail()


@_EnqueueFn
def _enqueue(self_id, inputs, nb_in, outputs, nb_out, workspace, stream):
    try:
        _plugin(self_id).enqueue([_np_view(inputs[i]) for i in range(nb_in)],
                                 [_np_view(outputs[k]) for k in range(nb_out)])
        return 0
    except Exception:
        return _fail()


@_CloneFn
def _clone(self_id, clone_out):
    try:
        clone_out[0] = _new_id(_plugin(self_id).clone())
        return 0
    except Exception:
        return _fail()


@_DestroyFn
def _destroy(self_id):
    with _lock:
        _instances.pop(self_id, None)


_vtbl = _Vtbl(ctypes.sizeof(_Vtbl), ABI_VERSION, _nb_outputs, _output_dtypes, _output_dims, _supports_format,
              _WorkspaceFn(), _serialize, _enqueue, _EnqueueFn(), _clone, _destroy)


def _instance_out(plugin, out):
    if not isinstance(plugin, Plugin):
        raise TypeError(f"a creator must return an ingot.Plugin, not {type(plugin).__name__}")
    out[0].vtbl = ctypes.pointer(_vtbl)
    out[0].self = _new_id(plugin)


@_CreateFn
def _create(creator_id, layer_name, fields, nb_fields, out):
    try:
        creator = _creators[creator_id][0]
        _instance_out(creator.create_plugin(layer_name.decode(), _fields_to_python(fields, nb_fields)), out)
        return 0
    except Exception:
        return _fail(Status.INVALID_ARGUMENT)


@_DeserializeFn
def _deserialize(creator_id, layer_name, data, size, out):
    try:
        creator = _creators[creator_id][0]
        _instance_out(creator.deserialize_plugin(layer_name.decode(), ctypes.string_at(data, size) if size else b""),
                      out)
        return 0
    except Exception:
        return _fail(Status.INVALID_PLAN)


@_ReleaseFn
def _release(creator_id):
    with _lock:
        _creators.pop(creator_id, None)


def register_plugin_creator(creator):
    """Registers a PluginCreator written in Python (CPU target only)."""
    if not creator.name:
        raise ValueError("a plugin creator needs a name")
    decls = (_FieldDecl * max(len(creator.fields), 1))()
    keep = []
    for i, f in enumerate(creator.fields):
        name = to_bytes(f.name)
        keep.append(name)
        decls[i].name, decls[i].type, decls[i].length, decls[i].required = name, int(f.type), f.length, int(f.required)
    with _lock:
        cid = _next_id[0]
        _next_id[0] += 1
    strings = [to_bytes(creator.name), to_bytes(creator.version), to_bytes(creator.namespace or "")]
    desc = _CreatorDesc(ctypes.sizeof(_CreatorDesc), ABI_VERSION, strings[0], strings[1], strings[2], decls,
                        len(creator.fields), _create, _deserialize, cid, _release)
    _creators[cid] = (creator, desc, decls, keep + strings)
    st = _c["ingot_plugin_registry_register_creator"](_registry, ctypes.byref(desc), None)
    if st != 0:
        _creators.pop(cid, None)
    check(st)
