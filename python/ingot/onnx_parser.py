"""OnnxParser (include/ingot/onnx_parser.h) and the one-call helpers build_onnx / run_onnx.

    network = ingot.Network(logger)
    parser = ingot.OnnxParser(network, logger)
    if not parser.parse_from_file("model.onnx"):
        for i in range(parser.num_errors):
            print(parser.get_error(i))

    engine = ingot.build_onnx("model.onnx", profiles=[{"x": (min, opt, max)}])
    outputs = ingot.run_onnx("model.onnx", {"x": x})      # dict output name -> ndarray

As TensorRT's parser, `parse` and `parse_from_file` return a bool and keep every problem
of the model in the error list (one entry per failing node); they raise only for misuse
(a closed parser, a model of the wrong type).
"""
import ctypes
import os

import numpy as np

from . import _lib
from ._enums import Status, Target
from ._lib import IngotError, check, to_bytes, to_str
from .logger import _handle
from .network import Network


class ParserError:
    """One problem found while parsing. Attributes: status (ingot.Status), node_name and
    op_type ("" when not about a node), opset (the model's default-domain opset),
    node_index (-1 when not about a node), message (the whole message). str() gives the
    message; desc(), code(), node(), node_operator() are TensorRT's accessors."""

    __slots__ = ("status", "node_name", "op_type", "opset", "node_index", "message")

    def __init__(self, status, node_name="", op_type="", opset=0, node_index=-1, message=""):
        try:
            status = Status(int(status))
        except ValueError:
            pass
        self.status = status
        self.node_name = node_name or ""
        self.op_type = op_type or ""
        self.opset = int(opset)
        self.node_index = int(node_index)
        self.message = message or ""

    def desc(self):
        return self.message

    def code(self):
        return self.status

    def node(self):
        return self.node_index

    def node_operator(self):
        return self.op_type

    def __str__(self):
        return self.message

    def __repr__(self):
        name = self.status.name if isinstance(self.status, Status) else str(self.status)
        where = f" node {self.node_index} '{self.node_name}' ({self.op_type})" if self.node_index >= 0 else ""
        return f"<ingot.ParserError {name}{where}: {self.message}>"


def _model_bytes(model):
    """bytes-like, an onnx.ModelProto, or a NumPy uint8 array -> (bytes-like buffer, size)."""
    if hasattr(model, "SerializeToString"):
        model = model.SerializeToString()
    if isinstance(model, np.ndarray):
        model = np.ascontiguousarray(model).view(np.uint8).reshape(-1).tobytes()
    if isinstance(model, (bytearray, memoryview)):
        model = bytes(model)
    if not isinstance(model, bytes):
        raise TypeError(f"model must be bytes, bytearray, memoryview or an onnx.ModelProto, "
                        f"not {type(model).__name__} (use parse_from_file for a path)")
    return model


class OnnxParser:
    """Fills `network` (an ingot.Network) from an ONNX model. Keeps references to the
    network and the logger, which must outlive it (the C API's rule)."""

    def __init__(self, network, logger=None):
        if not isinstance(network, Network):
            raise TypeError(f"network must be an ingot.Network, got {type(network).__name__}")
        self._ptr = None
        self._destroy = _lib.ingot_onnx_parser_destroy
        self._network = network
        self._logger = logger if logger is not None else getattr(network, "logger", None)
        self._extra_errors = []  # failures the C parser did not put in its list
        out = ctypes.c_void_p()
        check(_lib.ingot_onnx_parser_create(network._ptr, _handle(self._logger), ctypes.byref(out)))
        self._ptr = out.value

    def _live(self):
        if not self._ptr:
            raise IngotError(Status.INVALID_STATE, "the ONNX parser was closed")
        return self._ptr

    @property
    def network(self):
        return self._network

    @property
    def logger(self):
        return self._logger

    # ---- parsing ----
    def _after(self, status):
        if status != 0 and int(_lib.ingot_onnx_parser_num_errors(self._ptr)) == 0:
            self._extra_errors.append(ParserError(status, message=_lib.last_error() or _lib.to_str(
                _lib.ingot_status_name(status))))
        return status == 0

    def parse(self, model, path=None):
        """Parses a model from bytes (or an onnx.ModelProto). `path`: the model file's path
        (or its directory), where external data files are looked up; None refuses external
        data. Returns True on success; problems go to the error list."""
        data = _model_bytes(model)
        model_dir = None
        if path is not None:
            path = os.fspath(path)
            model_dir = path if os.path.isdir(path) else (os.path.dirname(os.path.abspath(path)))
        buf = ctypes.create_string_buffer(data, len(data)) if data else None
        status = _lib.ingot_onnx_parser_parse(self._live(), buf, len(data),
                                              to_bytes(model_dir) if model_dir is not None else None)
        return self._after(status)

    def parse_from_file(self, path):
        """Parses a model file (external data beside it). Returns True on success."""
        status = _lib.ingot_onnx_parser_parse_from_file(self._live(), to_bytes(os.fspath(path)))
        return self._after(status)

    # ---- errors ----
    @property
    def num_errors(self):
        return int(_lib.ingot_onnx_parser_num_errors(self._live())) + len(self._extra_errors)

    def get_error(self, index):
        """Error `index` as a ParserError (its strings are copied)."""
        n = int(_lib.ingot_onnx_parser_num_errors(self._live()))
        index = int(index)
        if index < 0:
            index += n + len(self._extra_errors)
        if n <= index < n + len(self._extra_errors):
            return self._extra_errors[index - n]
        if not 0 <= index < n:
            raise IndexError(f"the parser has {self.num_errors} errors; index {index} is out of range")
        e = _lib.ingot_onnx_parser_error()
        check(_lib.ingot_onnx_parser_get_error(self._ptr, index, ctypes.byref(e)))
        return ParserError(e.status, to_str(e.node_name), to_str(e.op_type), e.opset, e.node_index,
                           to_str(e.message))

    @property
    def errors(self):
        """Every error, as a list of ParserError."""
        return [self.get_error(i) for i in range(self.num_errors)]

    def clear_errors(self):
        _lib.ingot_onnx_parser_clear_errors(self._live())
        self._extra_errors = []

    def raise_errors(self):
        """Raises IngotError (status of the first error) listing every error, if any."""
        errs = self.errors
        if errs:
            raise IngotError(errs[0].status, _join_errors(errs))

    # ---- operators ----
    def supports_operator(self, op_type, opset=None):
        """Does ingot import this operator (default domain)? At `opset`, or (None) at any."""
        return supports_operator(op_type, opset)

    def close(self):
        if self._ptr:
            self._destroy(self._ptr)
            self._ptr = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def handle(self):
        return self._ptr

    def __repr__(self):
        return f"<ingot.OnnxParser errors={self.num_errors if self._ptr else '(closed)'}>"


def _join_errors(errors):
    if len(errors) == 1:
        return errors[0].message
    return f"{len(errors)} errors while parsing the ONNX model:\n" + "\n".join(
        f"  {e.message}" for e in errors)


def onnx_operators():
    """dict op_type -> the first opset ingot imports it at (the importer table)."""
    out = {}
    n = int(_lib.ingot_onnx_num_operators())
    for i in range(n):
        since = ctypes.c_int64(0)
        name = _lib.ingot_onnx_operator(i, ctypes.byref(since))
        if name is None:
            continue
        name = to_str(name)
        out[name] = min(out.get(name, int(since.value)), int(since.value))
    return out


def supports_operator(op_type, opset=None):
    """Does ingot import `op_type` (default domain) at `opset` (None: at some opset)?"""
    if opset is None:
        return op_type in onnx_operators()
    return bool(_lib.ingot_onnx_supports_operator(to_bytes(op_type), int(opset)))


# ---- one call helpers ------------------------------------------------------------------------
def _is_path(model):
    return isinstance(model, (str, os.PathLike))


def parse_onnx(model, logger=None, network=None):
    """Parses `model` (a path, bytes, or an onnx.ModelProto) into a new Network (or into
    `network`) and returns it; raises IngotError listing every parser error."""
    own = network is None
    if own:
        network = Network(logger)
    try:
        with OnnxParser(network, logger) as parser:
            ok = parser.parse_from_file(model) if _is_path(model) else parser.parse(model)
            if not ok or parser.num_errors:
                parser.raise_errors()
                raise IngotError(Status.INVALID_GRAPH, "the ONNX parser failed without an error message")
    except BaseException:
        if own:
            network.close()
        raise
    return network


def _make_config(fp16=False, target=None, config=None, num_threads=None, timing_iterations=None,
                 workspace_limit=None):
    from .builder import BuilderConfig
    from ._enums import BuilderFlag
    own = config is None
    if own:
        config = BuilderConfig()
        if target is None and os.environ.get("INGOT_TARGET"):
            target = os.environ["INGOT_TARGET"].strip()
    if target is not None:
        config.set_target(Target[target.upper()] if isinstance(target, str) else Target(target))
    if fp16:
        config.set_flag(BuilderFlag.FP16)
    if num_threads is not None:
        config.num_threads = num_threads
    if timing_iterations is not None:
        config.timing_iterations = timing_iterations
    if workspace_limit is not None:
        config.workspace_limit = workspace_limit
    return config, own


def _auto_profile(network, shapes):
    """A profile min = opt = max = `shapes` for the network's dynamic inputs (dict), or None.
    Raises naming a dynamic input without a shape."""
    auto = {}
    for t in network.inputs:
        s = t.shape
        if s is None or -1 not in s:
            continue
        if shapes is None or t.name not in shapes:
            raise IngotError(Status.INVALID_ARGUMENT,
                             f"input '{t.name}' has dynamic dims {s}: give its shape (shapes= or an "
                             f"array) or an optimization profile")
        auto[t.name] = (tuple(shapes[t.name]),) * 3
    return auto or None


def build_onnx(model, profiles=None, fp16=False, *, shapes=None, logger=None, target=None, config=None,
               num_threads=None, timing_iterations=None, workspace_limit=None, plan_path=None):
    """Parses `model` (a path, bytes, or an onnx.ModelProto), builds it and returns the
    Engine. `profiles`: a list of dicts name -> (min, opt, max) or OptimizationProfiles;
    without them, `shapes` (dict name -> shape) gives min = opt = max for the dynamic
    inputs. `fp16` allows float16 kernels; `target` "cpu" or "cuda" ($INGOT_TARGET when no
    config is given); `plan_path` also saves the plan. Raises IngotError."""
    from .builder import Builder
    from .runtime import Runtime
    network = parse_onnx(model, logger)
    config, own_config = _make_config(fp16, target, config, num_threads, timing_iterations, workspace_limit)
    builder = Builder(logger)
    try:
        if profiles:
            for p in profiles:
                config.add_optimization_profile(p)
        elif config.num_optimization_profiles == 0:
            auto = _auto_profile(network, shapes)
            if auto:
                config.add_optimization_profile(auto)
        plan = builder.build_serialized_network(network, config, path=plan_path)
    finally:
        builder.close()
        network.close()
        if own_config:
            config.close()
    return Runtime(logger).deserialize_engine(plan)


def _graph_input_names(model):
    """Names of a model's graph inputs that are not initializers, in order (needs onnx
    only when `model` is not already a ModelProto and inputs are given as a list)."""
    if not hasattr(model, "graph"):
        import onnx
        model = onnx.load(model) if _is_path(model) else onnx.load_from_string(_model_bytes(model))
    inits = {i.name for i in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in inits]


def run_onnx(model, inputs, *, profiles=None, fp16=False, logger=None, target=None, config=None,
             num_threads=None, timing_iterations=None):
    """Parses and builds `model` (a path, bytes or an onnx.ModelProto), runs it once on
    `inputs` (dict name -> array, or a list in graph input order) and returns dict output
    name -> np.ndarray. Dynamic dims get a profile min = opt = max = the arrays' shapes
    (unless `profiles` are given)."""
    from .runtime import run_network
    if not isinstance(inputs, dict):
        inputs = dict(zip(_graph_input_names(model), inputs))
    network = parse_onnx(model, logger)
    cfg, own_config = _make_config(fp16, target, config, num_threads, timing_iterations)
    try:
        if not profiles and cfg.num_optimization_profiles == 0:
            auto = _auto_profile(network, {n: np.shape(v) for n, v in inputs.items()})
            profiles = [auto] if auto else None
        known = {t.name for t in network.inputs}
        feeds = {n: v for n, v in inputs.items() if n in known}
        return run_network(network, feeds, profiles=profiles, config=cfg, logger=logger)
    finally:
        network.close()
        if own_config:
            cfg.close()
