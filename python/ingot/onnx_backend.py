"""ingot as an ONNX backend (onnx.backend.base.Backend), for onnx's backend test suite and
for code written against that interface:

    import ingot.onnx_backend as backend
    rep = backend.prepare(model, "CPU")       # parses (and builds, if every input is static)
    outputs = rep.run([x])                    # outputs in graph output order
    outputs = backend.run_node(node, [x, y])  # one node, its inputs' dtypes and shapes

Dynamic dims: the model is built for the shapes of the inputs actually given, with a
profile min = opt = max = those shapes; plans are cached per input-shape signature.

Inputs that must be constants: a model whose parse fails is tried again at run time with
its small integer inputs (int32/int64, at most 4096 elements: shape, axes, pads, ...)
turned into initializers holding the values given; such plans are cached per value too,
and `rep.frozen_inputs` names the inputs frozen (the conformance report counts them).

Options (keyword arguments of prepare, run_model, run_node): fp16 (allow float16
kernels), target ("cpu"/"cuda"), num_threads, timing_iterations, logger (an
ingot.Logger; default: one that drops everything below ERROR and raises with messages),
freeze_inputs (default True: the retry described above), cache_size (default 8).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.backend.base import Backend, BackendRep, Device, DeviceType, namedtupledict

from ._enums import Status, Target
from ._lib import IngotError
from .logger import Logger
from .onnx_parser import OnnxParser, supports_operator

FREEZE_MAX_ELEMENTS = 4096
# Float inputs that set an output's shape (Resize's roi and scales, Upsample's scales,
# Range's bounds, OneHot's depth): frozen like the integer ones, as a TensorRT parser needs them constant.
SHAPE_SETTING_INPUTS = {"Resize": (1, 2), "Upsample": (1,), "Range": (0, 1, 2), "OneHot": (1,)}

# Counters over the process, read by tests/onnx_conformance/report.py.
stats = {"prepared": 0, "builds": 0, "frozen_models": 0}


def _quiet_logger():
    if os.environ.get("INGOT_ONNX_BACKEND_VERBOSE"):
        return Logger(Logger.VERBOSE)
    return Logger(Logger.ERROR, lambda severity, message: None)


def _device_target(device):
    d = Device(device) if isinstance(device, str) else device
    if d.type == DeviceType.CPU:
        return Target.CPU, 0
    if d.type == DeviceType.CUDA:
        return Target.CUDA, d.device_id
    raise IngotError(Status.UNSUPPORTED, f"device {device!r} is not supported by ingot")


def _np_of_elem_type(elem_type):
    try:
        return helper.tensor_dtype_to_np_dtype(elem_type)
    except Exception:
        return None


class IngotBackendRep(BackendRep):
    """A parsed model ready to run; builds (and caches) one engine per input signature."""

    def __init__(self, model, device="CPU", **options):
        self.model = model
        self.device = device
        self.options = dict(options)
        self._logger = options.get("logger") or _quiet_logger()
        self._target, self._device_index = _device_target(device)
        self._cache = {}
        self._cache_order = []
        self._cache_size = int(options.get("cache_size", 8))
        self.frozen_inputs = []
        graph = model.graph
        inits = {i.name for i in graph.initializer}
        self.input_names = [i.name for i in graph.input if i.name not in inits]
        self.output_names = [o.name for o in graph.output]
        self._output_elem = {o.name: o.type.tensor_type.elem_type for o in graph.output
                             if o.type.HasField("tensor_type")}
        self._input_elem = {i.name: i.type.tensor_type.elem_type for i in graph.input
                            if i.type.HasField("tensor_type")}
        self._bytes = model.SerializeToString()
        self._network = None
        self._dynamic = set()
        self._first_error = None  # why the model is run with its integer inputs frozen
        self._shape_setting = {name for node in _all_nodes(graph) if node.domain in ("", "ai.onnx")
                               for i, name in enumerate(node.input)
                               if i in SHAPE_SETTING_INPUTS.get(node.op_type, ())}
        self._freeze = bool(options.get("freeze_inputs", True)) and self._freezable()
        try:
            self._network = self._parse(self._bytes)
            self._dynamic = {t.name for t in self._network.inputs if t.shape is None or -1 in t.shape}
            if not self._dynamic:
                self._engine_for({}, None)  # static: build now
        except IngotError as e:
            if not self._freeze:
                self.close()
                raise
            self._first_error = e  # retried at run time with the integer inputs frozen
        stats["prepared"] += 1

    # ---- parsing and building ----
    def _parse(self, data):
        from .network import Network
        network = Network(self._logger)
        try:
            with OnnxParser(network, self._logger) as parser:
                ok = parser.parse(data)
                if not ok or parser.num_errors:
                    parser.raise_errors()
                    raise IngotError(Status.INVALID_GRAPH, "the ONNX parser failed without an error message")
        except BaseException:
            network.close()
            raise
        return network

    def _freezable(self):
        return any(self._input_elem.get(n) in (TensorProto.INT64, TensorProto.INT32) or n in self._shape_setting
                   for n in self.input_names)

    def _config(self, profile):
        from .builder import BuilderConfig
        from ._enums import BuilderFlag
        cfg = BuilderConfig()
        target = self.options.get("target")
        if target is not None:
            cfg.set_target(Target[target.upper()] if isinstance(target, str) else Target(target),
                           self._device_index)
        else:
            cfg.set_target(self._target, self._device_index)
        if self.options.get("fp16"):
            cfg.set_flag(BuilderFlag.FP16)
        if self.options.get("num_threads") is not None:
            cfg.num_threads = int(self.options["num_threads"])
        if self.options.get("timing_iterations") is not None:
            cfg.timing_iterations = int(self.options["timing_iterations"])
        if profile:
            cfg.add_optimization_profile(profile)
        return cfg

    def _build(self, network, profile):
        from .builder import Builder
        from .runtime import Runtime
        cfg = self._config(profile)
        builder = Builder(self._logger)
        try:
            plan = builder.build_serialized_network(network, cfg)
        finally:
            builder.close()
            cfg.close()
        stats["builds"] += 1
        engine = Runtime(self._logger).deserialize_engine(plan)
        return engine, engine.create_execution_context()

    def _remember(self, key, value):
        self._cache[key] = value
        self._cache_order.append(key)
        while len(self._cache_order) > self._cache_size:
            old = self._cache_order.pop(0)
            engine, context = self._cache.pop(old)
            context.close()
            engine.close()

    def _engine_for(self, shapes, frozen):
        """The (engine, context) for these dynamic input shapes (dict) and frozen values."""
        key = (tuple(sorted((n, tuple(s)) for n, s in shapes.items())),
               None if frozen is None else tuple((n, a.dtype.str, a.shape, a.tobytes()) for n, a in frozen))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if frozen is None:
            network = self._network
            own = False
        else:
            network = self._parse(self._frozen_model(frozen))
            own = True
        try:
            dyn = {t.name: t.shape for t in network.inputs}
            profile = {}
            for n, s in dyn.items():
                if s is None or -1 in s:
                    if n not in shapes:
                        raise IngotError(Status.INVALID_ARGUMENT,
                                         f"input '{n}' has dynamic dims {s} and no array was given for it")
                    profile[n] = (tuple(shapes[n]),) * 3
            value = self._build(network, profile or None)
            inputs = [t.name for t in network.inputs]
        finally:
            if own:
                network.close()
        self._remember(key, value + (inputs,))
        return self._cache[key]

    def _frozen_model(self, frozen):
        m = onnx.ModelProto()
        m.CopyFrom(self.model)
        names = {n for n, _ in frozen}
        keep = [i for i in m.graph.input if i.name not in names]
        del m.graph.input[:]
        m.graph.input.extend(keep)
        for n, a in frozen:
            m.graph.initializer.append(numpy_helper.from_array(a, n))
        return m.SerializeToString()

    # ---- running ----
    def _feeds(self, inputs):
        if isinstance(inputs, dict):
            return dict(inputs)
        if isinstance(inputs, np.ndarray) or not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        if len(inputs) > len(self.input_names):
            raise IngotError(Status.INVALID_ARGUMENT, f"{len(inputs)} arrays for the model's "
                             f"{len(self.input_names)} inputs {self.input_names}")
        return dict(zip(self.input_names, inputs))

    def run(self, inputs, **kwargs):
        feeds = {n: np.asarray(v) for n, v in self._feeds(inputs).items()}
        engine_ctx = None
        if self._first_error is None:
            try:
                engine_ctx = self._engine_for({n: feeds[n].shape for n in self._dynamic if n in feeds}, None)
            except IngotError as e:
                if not self._freeze:
                    raise
                self._first_error = e
        if engine_ctx is None:
            frozen = [(n, np.ascontiguousarray(feeds[n])) for n in self.input_names
                      if n in feeds and (feeds[n].dtype in (np.int64, np.int32) or n in self._shape_setting)
                      and feeds[n].size <= FREEZE_MAX_ELEMENTS]
            if not frozen:
                raise self._first_error
            try:
                engine_ctx = self._engine_for({n: a.shape for n, a in feeds.items()}, frozen)
            except IngotError as e:
                raise IngotError(e.status, f"{self._first_error.message}\n(and with the inputs "
                                 f"{[n for n, _ in frozen]} frozen to their values: {e.message})") from None
            if not self.frozen_inputs:
                stats["frozen_models"] += 1
            self.frozen_inputs = [n for n, _ in frozen]
        engine, context, net_inputs = engine_ctx
        outputs = context.execute({n: feeds[n] for n in net_inputs if n in feeds})
        result = []
        for name in self.output_names:
            if name not in outputs:
                raise IngotError(Status.NOT_FOUND, f"graph output '{name}' is not an output of the engine "
                                 f"(engine outputs: {list(outputs)})")
            result.append(self._to_onnx_dtype(name, outputs[name]))
        return namedtupledict("Outputs", self.output_names)(*result)

    def _to_onnx_dtype(self, name, arr):
        elem = self._output_elem.get(name)
        if elem == TensorProto.BFLOAT16 and arr.dtype == np.uint16:
            try:
                import ml_dtypes
                return arr.view(ml_dtypes.bfloat16)
            except ImportError:
                return arr
        return arr

    def close(self):
        for engine, context, _ in self._cache.values():
            context.close()
            engine.close()
        self._cache = {}
        self._cache_order = []
        if self._network is not None:
            self._network.close()
            self._network = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class IngotBackend(Backend):
    """onnx.backend.base.Backend over ingot."""

    @classmethod
    def is_compatible(cls, model, device="CPU", **kwargs):
        """True when ingot imports every default-domain operator of `model` at its opset (a
        quick check by op type; attributes and dtypes are checked only by prepare)."""
        opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
        if opset is None:
            return False
        for node in _all_nodes(model.graph):
            if node.domain not in ("", "ai.onnx") or not supports_operator(node.op_type, opset):
                return False
        return True

    @classmethod
    def prepare(cls, model, device="CPU", **kwargs):
        if isinstance(model, (bytes, bytearray)):
            model = onnx.load_from_string(bytes(model))
        elif isinstance(model, (str, os.PathLike)):
            model = onnx.load(os.fspath(model))
        return IngotBackendRep(model, device, **kwargs)

    @classmethod
    def run_model(cls, model, inputs, device="CPU", **kwargs):
        rep = cls.prepare(model, device, **kwargs)
        try:
            return rep.run(inputs)
        finally:
            rep.close()

    @classmethod
    def run_node(cls, node, inputs, device="CPU", outputs_info=None, **kwargs):
        """Runs one node: builds a one-node model whose inputs have the dtypes and shapes
        of `inputs` (given for the node's non-empty inputs, in order, or as a dict)."""
        model = make_node_model(node, inputs, outputs_info, kwargs.pop("opset_version", None))
        present = [n for n in node.input if n]
        feeds = inputs if isinstance(inputs, dict) else dict(zip(present, inputs))
        return cls.run_model(model, feeds, device, **kwargs)

    @classmethod
    def supports_device(cls, device):
        try:
            d = Device(device)
        except Exception:
            return False
        return d.type == DeviceType.CPU  # CUDA: not yet through this backend


def _all_nodes(graph):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from _all_nodes(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    yield from _all_nodes(g)


def make_node_model(node, inputs, outputs_info=None, opset_version=None):
    """A model of one node whose graph inputs are the node's non-empty inputs, typed and
    shaped like `inputs`; output types from `outputs_info` ([(dtype, shape)]) or from
    ONNX shape inference. Opset: `opset_version`, else the one where the operator's newest
    definition begins."""
    present = [n for n in node.input if n]
    if isinstance(inputs, dict):
        arrays = [np.asarray(inputs[n]) for n in present]
    else:
        arrays = [np.asarray(a) for a in inputs]
        if len(arrays) != len(present):
            raise IngotError(Status.INVALID_ARGUMENT, f"node {node.op_type} has {len(present)} inputs "
                             f"{present}; {len(arrays)} arrays given")
    graph_inputs = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
                    for n, a in zip(present, arrays)]
    if not opset_version and node.domain in ("", "ai.onnx"):
        # the opset where the operator's current definition begins: the newest semantics,
        # at the oldest opset that has them
        try:
            opset_version = onnx.defs.get_schema(node.op_type, onnx.defs.onnx_opset_version(), "").since_version
        except Exception:
            opset_version = None
    opsets = [helper.make_opsetid("", int(opset_version or onnx.defs.onnx_opset_version()))]
    if node.domain not in ("", "ai.onnx"):
        opsets.append(helper.make_opsetid(node.domain, 1))
    outputs = [n for n in node.output if n]
    if outputs_info:
        graph_outputs = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(np.dtype(dt)), shape)
                         for n, (dt, shape) in zip(outputs, outputs_info)]
    else:
        graph_outputs = [helper.make_tensor_value_info(n, TensorProto.UNDEFINED, None) for n in outputs]
    graph = helper.make_graph([node], f"{node.op_type}_node", graph_inputs, graph_outputs)
    model = helper.make_model(graph, opset_imports=opsets)
    if not outputs_info:
        try:
            inferred = onnx.shape_inference.infer_shapes(model)
            types = {v.name: v.type for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
            for o in model.graph.output:
                t = types.get(o.name)
                if t is not None and t.tensor_type.elem_type:
                    o.type.CopyFrom(t)
        except Exception:
            pass
        for o in model.graph.output:
            if not o.type.tensor_type.elem_type and arrays:
                o.type.tensor_type.elem_type = helper.np_dtype_to_tensor_dtype(arrays[0].dtype)
    return model


# The module is the backend, as onnx.backend.test.BackendTest(ingot.onnx_backend) expects.
is_compatible = IngotBackend.is_compatible
prepare = IngotBackend.prepare
run_model = IngotBackend.run_model
run_node = IngotBackend.run_node
supports_device = IngotBackend.supports_device

__all__ = ["IngotBackend", "IngotBackendRep", "is_compatible", "prepare", "run_model", "run_node",
           "supports_device", "make_node_model", "stats"]
