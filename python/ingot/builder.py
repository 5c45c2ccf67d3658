"""Builder, BuilderConfig and OptimizationProfile (include/ingot/builder.h)."""
import ctypes
import enum

from . import _lib
from ._enums import BuilderFlag, ProfileSelector, Target
from ._lib import check, make_dims, to_bytes
from .logger import _handle
from .network import Network


class TacticSource(enum.IntFlag):
    """ingot_tactic_source bits (INGOT_TACTIC_SOURCE_*), TensorRT's TacticSource: where the
    builder may take tactics from. The reference kernels are always available."""
    INGOT = 1 << 0     # ingot's own fast CPU kernels
    ONEDNN = 1 << 1    # oneDNN convolution, inner product, matmul (CPU)
    CUBLASLT = 1 << 2  # cuBLASLt (CUDA)
    CUDNN = 1 << 3     # cuDNN (CUDA)
    ALL = 0xF
    DEFAULT = 0xD      # all but ONEDNN (see INGOT_TACTIC_SOURCE_DEFAULT in builder.h)


class OptimizationProfile:
    """min/opt/max dims for each dynamic input. Copied into a config when added."""

    def __init__(self):
        self._ptr = None
        self._destroy = _lib.ingot_optimization_profile_destroy
        out = ctypes.c_void_p()
        check(_lib.ingot_optimization_profile_create(ctypes.byref(out)))
        self._ptr = out.value
        self._names = []

    def set_shape(self, input, min, opt, max):
        """Sets the min, opt and max dims of input `input` (a name or a Tensor)."""
        name = input.name if hasattr(input, "name") and not isinstance(input, str) else input
        for sel, shape in ((ProfileSelector.MIN, min), (ProfileSelector.OPT, opt), (ProfileSelector.MAX, max)):
            d = make_dims(shape)
            check(_lib.ingot_optimization_profile_set_dimensions(self._ptr, to_bytes(name), int(sel),
                                                                 ctypes.byref(d)))
        if name not in self._names:
            self._names.append(name)

    def get_shape(self, input):
        """[min, opt, max] dims of input `input`, as tuples."""
        name = input.name if hasattr(input, "name") and not isinstance(input, str) else input
        result = []
        for sel in (ProfileSelector.MIN, ProfileSelector.OPT, ProfileSelector.MAX):
            d = _lib.ingot_dims()
            check(_lib.ingot_optimization_profile_get_dimensions(self._ptr, to_bytes(name), int(sel),
                                                                 ctypes.byref(d)))
            result.append(_lib.dims_tuple(d))
        return result

    @property
    def input_names(self):
        """Inputs set through this wrapper."""
        return list(self._names)

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
        return f"<ingot.OptimizationProfile inputs={self._names}>"


class TimingCache:
    """Tactic timings reused across builds (TensorRT's ITimingCache). Make one with
    `BuilderConfig.create_timing_cache(data)` or `TimingCache(data)` (bytes from
    `serialize()`, or empty), attach it with `BuilderConfig.set_timing_cache`."""

    def __init__(self, data=b""):
        self._ptr = None
        self._destroy = _lib.ingot_timing_cache_destroy
        data = bytes(data or b"")
        out = ctypes.c_void_p()
        check(_lib.ingot_timing_cache_create(data if data else None, len(data), ctypes.byref(out)))
        self._ptr = out.value

    @classmethod
    def load(cls, path):
        self = cls.__new__(cls)
        self._destroy = _lib.ingot_timing_cache_destroy
        out = ctypes.c_void_p()
        check(_lib.ingot_timing_cache_load(to_bytes(str(path)), ctypes.byref(out)))
        self._ptr = out.value
        return self

    def save(self, path):
        check(_lib.ingot_timing_cache_save(self._ptr, to_bytes(str(path))))

    def serialize(self):
        size = _lib.ingot_timing_cache_serialized_size(self._ptr)
        buf = ctypes.create_string_buffer(size)
        check(_lib.ingot_timing_cache_serialize(self._ptr, buf, size))
        return buf.raw

    def combine(self, other):
        check(_lib.ingot_timing_cache_combine(self._ptr, other._ptr))

    def __len__(self):
        return int(_lib.ingot_timing_cache_num_entries(self._ptr))

    def close(self):
        if self._ptr:
            self._destroy(self._ptr)
            self._ptr = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    @property
    def handle(self):
        return self._ptr


class BuilderConfig:
    """How to build: target, precision flags, workspace limit, profiles, timing."""

    def __init__(self):
        self._ptr = None
        self._destroy = _lib.ingot_builder_config_destroy
        out = ctypes.c_void_p()
        check(_lib.ingot_builder_config_create(ctypes.byref(out)))
        self._ptr = out.value
        self._target = Target.CPU
        self._device_index = 0
        self._timing_iterations = None
        self._num_threads = None

    # target
    def set_target(self, target, device_index=0):
        check(_lib.ingot_builder_config_set_target(self._ptr, int(Target(target)), int(device_index)))
        self._target = Target(target)
        self._device_index = int(device_index)

    @property
    def target(self):
        return self._target

    @target.setter
    def target(self, value):
        self.set_target(value, self._device_index)

    @property
    def device_index(self):
        return self._device_index

    # workspace
    @property
    def workspace_limit(self):
        return int(_lib.ingot_builder_config_get_workspace_limit(self._ptr))

    @workspace_limit.setter
    def workspace_limit(self, nbytes):
        check(_lib.ingot_builder_config_set_workspace_limit(self._ptr, int(nbytes)))

    # flags (TensorRT names)
    def set_flag(self, flag, enabled=True):
        check(_lib.ingot_builder_config_set_flag(self._ptr, int(BuilderFlag(flag)), int(bool(enabled))))

    def clear_flag(self, flag):
        self.set_flag(flag, False)

    def get_flag(self, flag):
        return bool(_lib.ingot_builder_config_get_flag(self._ptr, int(BuilderFlag(flag))))

    # timing, threads
    @property
    def timing_iterations(self):
        """As last set through this wrapper (None: the library's default)."""
        return self._timing_iterations

    @timing_iterations.setter
    def timing_iterations(self, n):
        check(_lib.ingot_builder_config_set_timing_iterations(self._ptr, int(n)))
        self._timing_iterations = int(n)

    avg_timing_iterations = timing_iterations

    @property
    def num_threads(self):
        return self._num_threads

    @num_threads.setter
    def num_threads(self, n):
        check(_lib.ingot_builder_config_set_num_threads(self._ptr, int(n)))
        self._num_threads = int(n)

    @property
    def tactic_sources(self):
        """The TacticSource mask the builder chooses tactics from (default TacticSource.DEFAULT: all but ONEDNN)."""
        return TacticSource(_lib.ingot_builder_config_get_tactic_sources(self._ptr))

    @tactic_sources.setter
    def tactic_sources(self, mask):
        check(_lib.ingot_builder_config_set_tactic_sources(self._ptr, int(mask)))

    # profiles
    def create_timing_cache(self, data=b""):
        return TimingCache(data)

    def set_timing_cache(self, cache, ignore_mismatch=False):
        """Attach `cache` (None detaches); the config keeps a reference so it lives as long.
        `ignore_mismatch` is accepted for TensorRT compatibility: entries of another device
        or library simply never match."""
        check(_lib.ingot_builder_config_set_timing_cache(self._ptr, cache.handle if cache is not None else None))
        self._timing_cache = cache
        return True

    def get_timing_cache(self):
        return getattr(self, "_timing_cache", None)

    def add_optimization_profile(self, profile):
        """Copies `profile` (an OptimizationProfile, or a dict name -> (min, opt, max)) into
        the config; returns its index."""
        if isinstance(profile, dict):
            p = OptimizationProfile()
            for name, (mn, op, mx) in profile.items():
                p.set_shape(name, mn, op, mx)
            profile = p
        index = ctypes.c_int32(-1)
        check(_lib.ingot_builder_config_add_optimization_profile(self._ptr, profile._ptr, ctypes.byref(index)))
        return int(index.value)

    @property
    def num_optimization_profiles(self):
        return int(_lib.ingot_builder_config_num_optimization_profiles(self._ptr))

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


class Builder:
    """Turns a network and a config into plan bytes. Keeps a reference to its logger."""

    def __init__(self, logger=None):
        self._ptr = None
        self._destroy = _lib.ingot_builder_destroy
        self._logger = logger
        out = ctypes.c_void_p()
        check(_lib.ingot_builder_create(_handle(logger), ctypes.byref(out)))
        self._ptr = out.value

    @property
    def logger(self):
        return self._logger

    def create_network(self, flags=0):
        """A new Network using this builder's logger (flags: ignored, for TensorRT parity)."""
        return Network(self._logger)

    def create_builder_config(self):
        return BuilderConfig()

    def create_optimization_profile(self):
        return OptimizationProfile()

    def build_serialized_network(self, network, config=None, path=None):
        """Builds `network` for `config` (None: a default config) and returns the plan bytes;
        with `path`, also saves them there (ingot_plan_save). Raises IngotError."""
        if not isinstance(network, Network):
            raise TypeError(f"network must be an ingot.Network, got {type(network).__name__}")
        own_config = None
        if config is None:
            config = own_config = BuilderConfig()
        plan = ctypes.c_void_p()
        try:
            check(_lib.ingot_builder_build_serialized_network(self._ptr, network._ptr, config._ptr,
                                                              ctypes.byref(plan)))
        finally:
            if own_config is not None:
                own_config.close()
        try:
            size = int(_lib.ingot_plan_size(plan.value))
            data = _lib.ingot_plan_data(plan.value)
            if size and not data:
                raise _lib.IngotError(_lib.Status.INTERNAL_ERROR, "plan has a size but no data")
            result = ctypes.string_at(data, size) if size else b""
            if path is not None:
                check(_lib.ingot_plan_save(plan.value, to_bytes(str(path))))
        finally:
            _lib.ingot_plan_destroy(plan.value)
        return result

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
