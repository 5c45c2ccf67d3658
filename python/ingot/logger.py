"""Logger: receives ingot's messages with a severity.

    logger = ingot.Logger(ingot.Logger.WARNING)                 # prints to sys.stderr
    logger = ingot.Logger(ingot.Logger.INFO, lambda sev, msg: ...)  # your callable
    class MyLogger(ingot.Logger):                               # or override log()
        def log(self, severity, message): ...

The ctypes callback lives as long as the Logger; every Network, Builder and Runtime made
with a logger keeps a reference to it, so it outlives them as the C API requires.
Callbacks may come from other threads (a CPU stream's thread); ingot serializes them.
"""
import ctypes
import sys
import weakref

from . import _lib
from ._enums import Severity


def _make_trampoline(ref):
    # Holds only a weak reference: no cycle between the Logger and its callback.
    def trampoline(user_data, severity, message):
        try:
            self = ref()
            if self is None:
                return
            try:
                sev = Severity(severity)
            except ValueError:
                sev = severity
            text = message.decode("utf-8", "replace") if message else ""
            self._dispatch(sev, text)
        except BaseException:  # never let an exception unwind into C
            pass
    return _lib.ingot_log_callback(trampoline)


class Logger:
    """A C ingot_logger passing messages up to `min_severity` to `callback(severity, message)`
    (or to self.log, which prints to sys.stderr unless overridden)."""

    INTERNAL_ERROR = Severity.INTERNAL_ERROR
    ERROR = Severity.ERROR
    WARNING = Severity.WARNING
    INFO = Severity.INFO
    VERBOSE = Severity.VERBOSE
    Severity = Severity

    def __init__(self, min_severity=Severity.WARNING, callback=None):
        self._ptr = None
        self._destroy = _lib.ingot_logger_destroy
        self._callback = callback
        self._min_severity = Severity(int(min_severity))
        self._cfunc = _make_trampoline(weakref.ref(self))
        out = ctypes.c_void_p()
        _lib.check(_lib.ingot_logger_create(self._cfunc, None, int(self._min_severity), ctypes.byref(out)))
        self._ptr = out.value

    def _dispatch(self, severity, message):
        if self._callback is not None:
            self._callback(severity, message)
        else:
            self.log(severity, message)

    def log(self, severity, message):
        """Default: one line on sys.stderr. Override in a subclass, or pass a callback."""
        name = severity.name if isinstance(severity, Severity) else str(severity)
        try:
            print(f"[ingot] {name}: {message}", file=sys.stderr, flush=True)
        except Exception:
            pass

    @property
    def min_severity(self):
        return self._min_severity

    @min_severity.setter
    def min_severity(self, value):
        _lib.check(_lib.ingot_logger_set_severity(self._ptr, int(value)))
        self._min_severity = Severity(int(value))

    @property
    def handle(self):
        """The C ingot_logger* as an int."""
        return self._ptr

    def close(self):
        """Destroys the C logger. Only once nothing that uses it lives any more."""
        if self._ptr:
            self._destroy(self._ptr)
            self._ptr = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        return f"<ingot.Logger min_severity={self._min_severity.name}>"


def _handle(logger):
    """Logger or None -> the C pointer (None = no logger)."""
    if logger is None:
        return None
    if not isinstance(logger, Logger):
        raise TypeError(f"expected an ingot.Logger or None, got {type(logger).__name__}")
    return logger._ptr
