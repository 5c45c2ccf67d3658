"""Runtime, Engine, ExecutionContext, Stream and Profiler (include/ingot/runtime.h), and
run_network, the one-call build-load-run used by tests.

Lifetimes: an Engine holds its Runtime, an ExecutionContext its Engine, so Python never
destroys a parent first; closing a parent explicitly closes its children first.
"""
import ctypes
import os
import weakref

import numpy as np

from . import _lib
from ._enums import DataType, ProfileSelector, Status, Target, TensorIOMode
from ._lib import IngotError, check, contiguous, make_dims, to_bytes, to_str
from .logger import _handle


def _name_bytes(name):
    return to_bytes(name)


# ---- minimal CUDA runtime access, only for engines built for the CUDA target ------------
class _Cudart:
    _instance = None

    def __init__(self):
        lib = None
        errors = []
        for n in ("libcudart.so", "libcudart.so.12", "libcudart.so.11.0", "libcudart.so.13"):
            try:
                lib = ctypes.CDLL(n)
                break
            except OSError as e:
                errors.append(str(e))
        if lib is None:
            raise IngotError(Status.UNSUPPORTED, "engine targets CUDA but libcudart.so cannot be loaded "
                             "to move NumPy arrays to the device: " + "; ".join(errors))
        self.lib = lib
        lib.cudaMalloc.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t]
        lib.cudaMalloc.restype = ctypes.c_int
        lib.cudaFree.argtypes = [ctypes.c_void_p]
        lib.cudaFree.restype = ctypes.c_int
        lib.cudaMemcpy.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        lib.cudaMemcpy.restype = ctypes.c_int

    @classmethod
    def get(cls):
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def _check(self, rc, what):
        if rc != 0:
            raise IngotError(Status.RUNTIME_ERROR, f"{what} failed with CUDA error {rc}")

    def malloc(self, nbytes):
        p = ctypes.c_void_p()
        self._check(self.lib.cudaMalloc(ctypes.byref(p), max(int(nbytes), 1)), "cudaMalloc")
        return p.value

    def free(self, p):
        self.lib.cudaFree(p)

    def h2d(self, dst, arr):
        if arr.nbytes:
            self._check(self.lib.cudaMemcpy(dst, arr.ctypes.data, arr.nbytes, 1), "cudaMemcpy to device")

    def d2h(self, arr, src):
        if arr.nbytes:
            self._check(self.lib.cudaMemcpy(arr.ctypes.data, src, arr.nbytes, 2), "cudaMemcpy to host")


# ---- profiler ------------------------------------------------------------------------------
def _make_profiler_trampoline(ref):
    def trampoline(user_data, layer_name, ms):
        try:
            self = ref()
            if self is not None:
                self._dispatch(to_str(layer_name) or "", float(ms))
        except BaseException:
            pass
    return _lib.ingot_profiler_callback(trampoline)


class Profiler:
    """Per-layer timings: report_layer_time(layer_name, ms) is called once per layer per
    run. By default records (layer_name, ms) pairs in `.records`; pass a callback or
    override report_layer_time (TensorRT's IProfiler)."""

    def __init__(self, callback=None):
        self._ptr = None
        self._destroy = _lib.ingot_profiler_destroy
        self._callback = callback
        self.records = []
        self._cfunc = _make_profiler_trampoline(weakref.ref(self))
        out = ctypes.c_void_p()
        check(_lib.ingot_profiler_create(self._cfunc, None, ctypes.byref(out)))
        self._ptr = out.value

    def _dispatch(self, name, ms):
        if self._callback is not None:
            self._callback(name, ms)
        else:
            self.report_layer_time(name, ms)

    def report_layer_time(self, layer_name, ms):
        self.records.append((layer_name, ms))

    def clear(self):
        self.records = []

    def total(self):
        """Sum of the recorded times, per layer name."""
        out = {}
        for n, ms in self.records:
            out[n] = out.get(n, 0.0) + ms
        return out

    def close(self):
        if self._ptr:
            self._destroy(self._ptr)
            self._ptr = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


# ---- stream --------------------------------------------------------------------------------
class Stream:
    """Runs queued work in order, asynchronously (CPU target: on a thread of its own).
    Keeps the contexts enqueued on it alive until synchronize()."""

    def __init__(self, target=Target.CPU, device_index=0):
        self._ptr = None
        self._destroy = _lib.ingot_stream_destroy
        self._pending = []
        out = ctypes.c_void_p()
        check(_lib.ingot_stream_create(int(Target(target)), int(device_index), ctypes.byref(out)))
        self._ptr = out.value
        self.target = Target(target)

    def synchronize(self):
        """Waits for queued work; raises IngotError with the first error of that work."""
        try:
            check(_lib.ingot_stream_synchronize(self._ptr))
        finally:
            self._pending = []

    def close(self):
        if self._ptr:
            self._destroy(self._ptr)  # waits for queued work
            self._ptr = None
        self._pending = []

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


# ---- runtime and engine --------------------------------------------------------------------
def _plan_buffer(plan):
    if isinstance(plan, np.ndarray):
        return contiguous(plan).view(np.uint8).reshape(-1)
    return np.frombuffer(memoryview(plan).cast("B"), dtype=np.uint8)


class Runtime:
    """Turns plan bytes back into engines. Keeps a reference to its logger."""

    def __init__(self, logger=None):
        self._ptr = None
        self._destroy = _lib.ingot_runtime_destroy
        self._logger = logger
        self._engines = weakref.WeakSet()
        out = ctypes.c_void_p()
        check(_lib.ingot_runtime_create(_handle(logger), ctypes.byref(out)))
        self._ptr = out.value

    @property
    def logger(self):
        return self._logger

    def deserialize_engine(self, plan):
        """plan: bytes, bytearray, memoryview or a uint8 array (copied by ingot)."""
        buf = _plan_buffer(plan)
        out = ctypes.c_void_p()
        check(_lib.ingot_runtime_deserialize_engine(self._ptr, buf.ctypes.data if buf.size else None,
                                                    buf.size, ctypes.byref(out)))
        return Engine(self, out.value)

    deserialize_cuda_engine = deserialize_engine

    def load_engine(self, path):
        out = ctypes.c_void_p()
        check(_lib.ingot_runtime_load_engine(self._ptr, to_bytes(os.fspath(path)), ctypes.byref(out)))
        return Engine(self, out.value)

    def close(self):
        """Destroys the runtime, after every engine it made."""
        for e in list(self._engines):
            e.close()
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


class Engine:
    """An optimized network bound to one device; immutable, may be shared by threads."""

    def __init__(self, runtime, ptr):
        self._runtime = runtime
        self._ptr = ptr
        self._destroy = _lib.ingot_engine_destroy
        self._contexts = weakref.WeakSet()
        runtime._engines.add(self)

    @property
    def runtime(self):
        return self._runtime

    def _live(self):
        if not self._ptr:
            raise IngotError(Status.INVALID_STATE, "the engine was closed")
        return self._ptr

    # ---- I/O tensors ----
    @property
    def num_io_tensors(self):
        return int(_lib.ingot_engine_num_io_tensors(self._live()))

    def get_tensor_name(self, index):
        """Name of I/O tensor `index` (inputs first)."""
        n = _lib.ingot_engine_get_io_tensor_name(self._live(), int(index))
        if n is None:
            raise IndexError(f"engine has {self.num_io_tensors} I/O tensors; index {index} is out of range")
        return to_str(n)

    @property
    def io_tensor_names(self):
        return [self.get_tensor_name(i) for i in range(self.num_io_tensors)]

    @property
    def input_names(self):
        return [n for n in self.io_tensor_names if self.get_tensor_mode(n) == TensorIOMode.INPUT]

    @property
    def output_names(self):
        return [n for n in self.io_tensor_names if self.get_tensor_mode(n) == TensorIOMode.OUTPUT]

    def get_tensor_mode(self, name):
        m = ctypes.c_int()
        check(_lib.ingot_engine_get_tensor_io_mode(self._live(), _name_bytes(name), ctypes.byref(m)))
        return TensorIOMode(m.value)

    def get_tensor_dtype(self, name):
        d = ctypes.c_int()
        check(_lib.ingot_engine_get_tensor_dtype(self._live(), _name_bytes(name), ctypes.byref(d)))
        return DataType(d.value)

    def get_tensor_shape(self, name):
        """Dims with -1 where they vary inside the profiles."""
        d = _lib.ingot_dims()
        check(_lib.ingot_engine_get_tensor_dims(self._live(), _name_bytes(name), ctypes.byref(d)))
        return _lib.dims_tuple(d)

    @property
    def num_optimization_profiles(self):
        return int(_lib.ingot_engine_num_optimization_profiles(self._live()))

    def get_tensor_profile_shape(self, name, profile_index=0):
        """(min, opt, max) dims of input `name` in profile `profile_index`."""
        result = []
        for sel in (ProfileSelector.MIN, ProfileSelector.OPT, ProfileSelector.MAX):
            d = _lib.ingot_dims()
            check(_lib.ingot_engine_get_profile_dims(self._live(), _name_bytes(name), int(profile_index),
                                                     int(sel), ctypes.byref(d)))
            result.append(_lib.dims_tuple(d))
        return tuple(result)

    get_profile_shape = get_tensor_profile_shape

    # ---- inspection ----
    @property
    def target(self):
        return Target(_lib.ingot_engine_get_target(self._live()))

    @property
    def num_layers(self):
        return int(_lib.ingot_engine_num_layers(self._live()))

    def get_layer_info(self, index):
        """dict: name, type, tactic, precision (DataType), inputs, outputs (names), and
        plugin: (name, version, namespace) of a plugin layer's plugin, else None."""
        info = _lib.ingot_layer_info()
        check(_lib.ingot_engine_get_layer_info(self._live(), int(index), ctypes.byref(info)))
        pname, pversion, pnamespace = ctypes.c_char_p(), ctypes.c_char_p(), ctypes.c_char_p()
        check(_lib.ingot_engine_get_layer_plugin(self._live(), int(index), ctypes.byref(pname), ctypes.byref(pversion),
                                                 ctypes.byref(pnamespace)))

        def names(arr, n):
            if not arr or n <= 0:
                return []
            return [to_str(arr[i]) for i in range(n)]
        try:
            precision = DataType(info.precision)
        except ValueError:
            precision = int(info.precision)
        return {
            "name": to_str(info.name),
            "type": to_str(info.type),
            "tactic": to_str(info.tactic),
            "precision": precision,
            "inputs": names(info.input_names, info.nb_inputs),
            "outputs": names(info.output_names, info.nb_outputs),
            "plugin": (to_str(pname.value), to_str(pversion.value), to_str(pnamespace.value))
            if pname.value is not None else None,
        }

    @property
    def layers(self):
        return [self.get_layer_info(i) for i in range(self.num_layers)]

    def get_activation_memory(self, profile_index=0):
        """Activation arena bytes at the max shapes of profile `profile_index`."""
        return int(_lib.ingot_engine_get_activation_memory(self._live(), int(profile_index)))

    @property
    def activation_memory(self):
        """Largest activation arena over the profiles, in bytes."""
        n = max(self.num_optimization_profiles, 1)
        return max(self.get_activation_memory(i) for i in range(n))

    device_memory_size = activation_memory

    @property
    def weights_memory(self):
        """Bytes of constant data the engine holds as tensors (as the plan stores them)."""
        return int(_lib.ingot_engine_get_weights_memory(self._live()))

    @property
    def packed_weights_memory(self):
        """Bytes of the constants the plan left out: their layers hold them packed."""
        return int(_lib.ingot_engine_get_packed_weights_memory(self._live()))

    # ---- contexts ----
    def create_execution_context(self):
        out = ctypes.c_void_p()
        check(_lib.ingot_engine_create_execution_context(self._live(), ctypes.byref(out)))
        return ExecutionContext(self, out.value)

    def close(self):
        """Destroys the engine, after every context made from it."""
        for c in list(self._contexts):
            c.close()
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
        if not self._ptr:
            return "<ingot.Engine (closed)>"
        return f"<ingot.Engine {self.target.name} io={self.io_tensor_names} layers={self.num_layers}>"


def _engine_array(arr, dtype):
    """Array-like -> C-contiguous array of the NumPy dtype holding `dtype`."""
    if dtype == DataType.BF16:
        a = np.asarray(arr)
        if a.dtype.name == "bfloat16":
            return contiguous(a).view(np.uint16)
        if a.dtype == np.uint16:
            return contiguous(a)
        return _lib.float_to_bf16(a)
    return contiguous(arr, dtype=_lib.nptype(dtype))


class ExecutionContext:
    """What one inference in flight needs: shapes, addresses, activation memory. Use from one
    thread at a time. Keeps its Engine alive, and the arrays of the last execute()."""

    def __init__(self, engine, ptr):
        self._engine = engine
        self._ptr = ptr
        self._destroy = _lib.ingot_execution_context_destroy
        self._profiler = None
        self._profile_index = 0
        self._num_threads = 0
        self._bound = {}
        engine._contexts.add(self)

    @property
    def engine(self):
        return self._engine

    def _live(self):
        if not self._ptr:
            raise IngotError(Status.INVALID_STATE, "the execution context was closed")
        return self._ptr

    # ---- low level ----
    def set_optimization_profile(self, index):
        """Selects the profile whose bounds apply (clears the input shapes set)."""
        check(_lib.ingot_execution_context_set_optimization_profile(self._live(), int(index)))
        self._profile_index = int(index)

    def set_optimization_profile_async(self, index, stream=None):
        self.set_optimization_profile(index)
        return True

    @property
    def active_optimization_profile(self):
        return self._profile_index

    @active_optimization_profile.setter
    def active_optimization_profile(self, index):
        self.set_optimization_profile(index)

    def set_input_shape(self, name, shape):
        d = make_dims(shape)
        check(_lib.ingot_execution_context_set_input_shape(self._live(), _name_bytes(name), ctypes.byref(d)))
        return True

    def get_tensor_shape(self, name):
        """The shape of an I/O tensor; a data-dependent dim of an output is -1 before
        execute and its real extent after."""
        d = _lib.ingot_dims()
        check(_lib.ingot_execution_context_get_tensor_shape(self._live(), _name_bytes(name), ctypes.byref(d)))
        return _lib.dims_tuple(d)

    def get_tensor_max_shape(self, name):
        """The largest shape the tensor can have for the input shapes set (data-dependent
        dims at their upper bound): the size an output buffer must have."""
        d = _lib.ingot_dims()
        check(_lib.ingot_execution_context_get_tensor_max_shape(self._live(), _name_bytes(name), ctypes.byref(d)))
        return _lib.dims_tuple(d)

    def set_tensor_address(self, name, address):
        """address: an int (a pointer), or a NumPy array (its data; kept alive by the context)."""
        if isinstance(address, np.ndarray):
            if not address.flags.c_contiguous:
                raise ValueError(f"array for '{name}' must be C-contiguous")
            self._bound[name] = address
            address = address.ctypes.data
        check(_lib.ingot_execution_context_set_tensor_address(self._live(), _name_bytes(name),
                                                              ctypes.c_void_p(int(address) if address else 0)))
        return True

    @property
    def num_threads(self):
        return self._num_threads

    @num_threads.setter
    def num_threads(self, n):
        self.set_num_threads(n)

    def set_num_threads(self, n):
        check(_lib.ingot_execution_context_set_num_threads(self._live(), int(n)))
        self._num_threads = int(n)

    def execute_v2(self, bindings=None):
        """Runs once with the shapes and addresses set (bindings: optional addresses of every
        I/O tensor in engine order). Returns True; raises IngotError."""
        if bindings is not None:
            names = self._engine.io_tensor_names
            if len(bindings) != len(names):
                raise ValueError(f"{len(bindings)} bindings for {len(names)} I/O tensors {names}")
            for n, b in zip(names, bindings):
                self.set_tensor_address(n, b)
        check(_lib.ingot_execution_context_execute(self._live()))
        return True

    def execute_async(self, stream):
        """Queues one run on `stream` (a Stream) and returns; errors come from
        stream.synchronize(). Shapes and addresses are captured at the call."""
        if not isinstance(stream, Stream):
            raise TypeError(f"stream must be an ingot.Stream, got {type(stream).__name__}")
        check(_lib.ingot_execution_context_enqueue(self._live(), stream._ptr))
        # The stream keeps this context (and so its bound arrays) alive until synchronize.
        stream._pending.append((self, dict(self._bound)))
        return True

    execute_async_v3 = execute_async
    enqueue = execute_async

    @property
    def profiler(self):
        return self._profiler

    @profiler.setter
    def profiler(self, profiler):
        """A Profiler, a callable(layer_name, ms), or None to stop."""
        if profiler is not None and not isinstance(profiler, Profiler):
            profiler = Profiler(profiler)
        check(_lib.ingot_execution_context_set_profiler(self._live(), profiler._ptr if profiler else None))
        self._profiler = profiler

    # ---- high level ----
    def execute(self, inputs):
        """inputs: dict name -> array (or a list in engine input order). Converts each to the
        engine's dtype, sets shapes and addresses, allocates outputs at their inferred
        shapes, runs, and returns dict name -> np.ndarray (bfloat16 outputs as uint16)."""
        eng = self._engine
        ptr = self._live()
        input_names = eng.input_names
        output_names = eng.output_names
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != len(input_names):
                raise ValueError(f"{len(inputs)} arrays for {len(input_names)} inputs {input_names}")
            inputs = dict(zip(input_names, inputs))
        arrays = {}
        for name, value in inputs.items():
            dtype = eng.get_tensor_dtype(name)  # unknown names fail here, named by ingot
            if eng.get_tensor_mode(name) != TensorIOMode.INPUT:
                raise IngotError(Status.INVALID_ARGUMENT,
                                 f"tensor '{name}' is an output of the engine, not an input (inputs: {input_names})")
            arrays[name] = _engine_array(value, dtype)
        missing = [n for n in input_names if n not in arrays]
        if missing:
            raise IngotError(Status.INVALID_ARGUMENT,
                             f"no array given for engine input(s) {missing} (inputs: {input_names})")
        changed = [name for name, arr in arrays.items()
                   if eng.get_tensor_shape(name) is None or -1 in eng.get_tensor_shape(name)
                   or tuple(eng.get_tensor_shape(name)) != arr.shape]
        for i, name in enumerate(changed):
            # Shapes are inferred once every input has one: inputs sharing a dim (boxes and
            # scores of one batch) disagree until the last is set, so only its error counts.
            try:
                self.set_input_shape(name, arrays[name].shape)
            except IngotError:
                if i == len(changed) - 1:
                    raise
        outputs = {}
        for name in output_names:
            # at the largest shape: a data-dependent output is cut to its real shape after the run
            shape = self.get_tensor_max_shape(name)
            if shape is None or any(s < 0 for s in shape):
                raise IngotError(Status.INVALID_STATE,
                                 f"output '{name}' has no concrete shape ({shape}) after setting the input shapes")
            outputs[name] = np.empty(shape, dtype=_lib.nptype(eng.get_tensor_dtype(name)))
        if eng.target == Target.CUDA:
            self._execute_cuda(arrays, outputs)
        else:
            for name, arr in list(arrays.items()) + list(outputs.items()):
                check(_lib.ingot_execution_context_set_tensor_address(ptr, _name_bytes(name),
                                                                      ctypes.c_void_p(arr.ctypes.data)))
            self._bound = dict(arrays, **outputs)
            check(_lib.ingot_execution_context_execute(ptr))
        for name in output_names:  # a data-dependent output is packed at its real shape
            real = self.get_tensor_shape(name)
            if tuple(real) != outputs[name].shape:
                count = int(np.prod(real, dtype=np.int64))
                outputs[name] = outputs[name].reshape(-1)[:count].reshape(real).copy()
        return outputs

    def _execute_cuda(self, arrays, outputs):
        cuda = _Cudart.get()
        device = {}
        try:
            for name, arr in list(arrays.items()) + list(outputs.items()):
                device[name] = cuda.malloc(arr.nbytes)
                check(_lib.ingot_execution_context_set_tensor_address(self._ptr, _name_bytes(name),
                                                                      ctypes.c_void_p(device[name])))
            for name, arr in arrays.items():
                cuda.h2d(device[name], arr)
            check(_lib.ingot_execution_context_execute(self._ptr))
            for name, arr in outputs.items():
                cuda.d2h(arr, device[name])
        finally:
            for p in device.values():
                cuda.free(p)
            self._bound = {}

    def close(self):
        if self._ptr:
            self._destroy(self._ptr)
            self._ptr = None
        self._bound = {}

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


# ---- one call: build, load, run ---------------------------------------------------------------
def _fits(engine, profile_index, shapes):
    for name, shape in shapes.items():
        try:
            mn, _, mx = engine.get_tensor_profile_shape(name, profile_index)
        except IngotError:
            continue  # static input: not in the profile
        if mn is None or mx is None or len(mn) != len(shape):
            return False
        if any(not (lo <= s <= hi) for lo, s, hi in zip(mn, shape, mx)):
            return False
    return True


def run_network(network, inputs, profiles=None, config=None, logger=None, *, target=None, num_threads=None):
    """Builds `network` (with `config`, or a default one), adding `profiles` (a list of
    dicts name -> (min, opt, max), or OptimizationProfiles), loads the plan, runs it once on
    `inputs` (dict name -> array) and returns dict output name -> np.ndarray.

    Without profiles, a network with dynamic inputs gets one profile with min = opt = max =
    the shapes of the given arrays. With several profiles, the first whose bounds hold the
    input shapes is used. `target` (or $INGOT_TARGET = cpu|cuda when no config is given)
    picks the backend. `logger` defaults to the network's logger."""
    from .builder import Builder, BuilderConfig

    if logger is None:
        logger = network.logger
    own_config = config is None
    if own_config:
        config = BuilderConfig()
        if target is None and os.environ.get("INGOT_TARGET"):
            target = os.environ["INGOT_TARGET"].strip().upper()
    if target is not None:
        config.set_target(Target[target.upper()] if isinstance(target, str) else Target(target))
    if num_threads is not None:
        config.num_threads = num_threads
    shapes = {n: np.shape(v) for n, v in inputs.items()} if isinstance(inputs, dict) else None
    if profiles:
        for p in profiles:
            config.add_optimization_profile(p)
    elif config.num_optimization_profiles == 0 and shapes is not None:
        auto = {}
        for t in network.inputs:
            s = t.shape
            if s is not None and -1 in s and t.name in shapes:
                auto[t.name] = (shapes[t.name],) * 3
        if auto:
            config.add_optimization_profile(auto)

    builder = Builder(logger)
    runtime = engine = context = None
    try:
        plan = builder.build_serialized_network(network, config)
        runtime = Runtime(logger)
        engine = runtime.deserialize_engine(plan)
        context = engine.create_execution_context()
        if shapes is not None and engine.num_optimization_profiles > 1:
            for i in range(engine.num_optimization_profiles):
                if _fits(engine, i, shapes):
                    if i != 0:
                        context.set_optimization_profile(i)
                    break
        return context.execute(inputs)
    finally:
        if context is not None:
            context.close()
        if engine is not None:
            engine.close()
        if runtime is not None:
            runtime.close()
        builder.close()
        if own_config:
            config.close()
