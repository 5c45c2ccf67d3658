"""Finds the package and the library as tests/python/conftest.py does: python/ of the source
tree first on sys.path, $INGOT_LIBRARY (else $INGOT_BINARY_DIR/libingot.so, else the
package's own search of build*/)."""
import os
import sys

SOURCE_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir))
HERE = os.path.dirname(os.path.abspath(__file__))

if not os.environ.get("INGOT_TEST_INSTALLED"):
    _pkg = os.path.join(SOURCE_DIR, "python")
    if _pkg not in sys.path:
        sys.path.insert(0, _pkg)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

if not os.environ.get("INGOT_LIBRARY") and os.environ.get("INGOT_BINARY_DIR"):
    _cand = os.path.join(os.environ["INGOT_BINARY_DIR"], "libingot.so")
    if os.path.exists(_cand):
        os.environ["INGOT_LIBRARY"] = _cand

import ingot  # noqa: E402


def pytest_report_header(config):
    return [f"ingot {ingot.__version__}: library {ingot.library_path}"]
