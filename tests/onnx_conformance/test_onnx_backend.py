"""onnx's backend conformance suite (onnx.backend.test.BackendTest) on ingot's CPU target.

    PYTHONPATH=python INGOT_LIBRARY=build/libingot.so python3 -m pytest -q tests/onnx_conformance
    python3 tests/onnx_conformance/report.py          # counts, and RESULTS.md by operator

Runs the *_cpu tests of every category that ships inside the onnx wheel (node, simple,
real = the "light" models, pytorch-converted, pytorch-operator); $INGOT_CONFORMANCE_KINDS
restricts them (e.g. "node"). Tests of exclusions.py are skipped with their reason. CUDA
variants are dropped (ingot.onnx_backend.supports_device("CUDA") is False for now).
"""
import unittest
import warnings

import onnx.backend.test

import _suite
import exclusions
import ingot.onnx_backend as backend

warnings.filterwarnings("ignore", category=RuntimeWarning)  # NumPy warnings of onnx's reference code

_KINDS = _suite.enabled_kinds()
_META = _suite.metadata(_KINDS)



class _Backend(backend.IngotBackend):
    """ingot.onnx_backend, except that every model is tried: the runner skips a model that
    is_compatible() refuses, and a refusal is a failure to report here, with the parser's
    message."""

    @classmethod
    def is_compatible(cls, model, device="CPU", **kwargs):
        return True


backend_test = onnx.backend.test.BackendTest(_Backend, __name__)
_cases = backend_test.test_cases

for _cls_name, _cls in list(_cases.items()):
    _kind = _suite.KIND_OF_CLASS.get(_cls_name)
    if _kind not in _KINDS:
        del _cases[_cls_name]
        continue
    for _attr in list(vars(_cls)):
        if not _attr.startswith("test_"):
            continue
        if not _attr.endswith("_cpu"):
            delattr(_cls, _attr)
            continue
        _m = _META.get(_attr[:-len("_cpu")], {})
        _why = exclusions.excluded(_attr, _m.get("ops", ()), _m.get("types", ()), _m.get("domains", ()))
        if _why:
            setattr(_cls, _attr, unittest.skip(f"excluded ({_why[0]}): {_why[1]}")(getattr(_cls, _attr)))

globals().update(_cases)
# (no module-level name may keep a TestCase class: pytest would collect it twice)
for _name in ("_cls_name", "_cls", "_attr", "_m", "_why", "_kind"):
    globals().pop(_name, None)
