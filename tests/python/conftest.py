"""Shared fixtures for the Python tests of ingot.

ctest (tests/CMakeLists.txt) sets PYTHONPATH=<source>/python, INGOT_LIBRARY=<libingot.so>
and INGOT_BINARY_DIR. Run by hand (`python -m pytest tests/python`), this file puts the
source tree's python/ first on sys.path and, when $INGOT_LIBRARY is unset, uses
$INGOT_BINARY_DIR/libingot.so if it exists (else the package searches build*/ itself).
Set INGOT_TEST_INSTALLED=1 to test an installed package instead of the source tree.
INGOT_TARGET=cuda makes ingot.run_network build for the CUDA target.

Fixtures: logger (collects messages in .messages), network (a fresh Network with that
logger), run (ingot.run_network with that logger), rng (seeded NumPy generator),
source_dir.
"""
import os
import sys

import numpy as np
import pytest

SOURCE_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir))

if not os.environ.get("INGOT_TEST_INSTALLED"):
    _pkg = os.path.join(SOURCE_DIR, "python")
    if _pkg not in sys.path:
        sys.path.insert(0, _pkg)

if not os.environ.get("INGOT_LIBRARY") and os.environ.get("INGOT_BINARY_DIR"):
    _cand = os.path.join(os.environ["INGOT_BINARY_DIR"], "libingot.so")
    if os.path.exists(_cand):
        os.environ["INGOT_LIBRARY"] = _cand

import ingot  # noqa: E402  (an ImportError here names every place searched)


def pytest_report_header(config):
    return [f"ingot {ingot.__version__}: library {ingot.library_path}, package {os.path.dirname(ingot.__file__)}",
            f"INGOT_TARGET={os.environ.get('INGOT_TARGET', 'cpu')}"]


class CollectingLogger(ingot.Logger):
    """Keeps (severity, message) pairs instead of printing; prints them too when
    INGOT_TEST_VERBOSE is set."""

    def __init__(self, min_severity=ingot.Logger.WARNING):
        self.messages = []
        super().__init__(min_severity)

    def log(self, severity, message):
        self.messages.append((severity, message))
        if os.environ.get("INGOT_TEST_VERBOSE"):
            super().log(severity, message)

    def errors(self):
        return [m for s, m in self.messages if s <= ingot.Severity.ERROR]


@pytest.fixture
def logger():
    return CollectingLogger(ingot.Logger.VERBOSE if os.environ.get("INGOT_TEST_VERBOSE") else ingot.Logger.WARNING)


@pytest.fixture
def network(logger):
    net = ingot.Network(logger)
    yield net
    net.close()


@pytest.fixture
def run(logger):
    """run(network, inputs, profiles=None, config=None, **kw) -> dict of outputs."""
    def _run(network, inputs, profiles=None, config=None, **kw):
        kw.setdefault("logger", logger)
        return ingot.run_network(network, inputs, profiles=profiles, config=config, **kw)
    return _run


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def source_dir():
    return SOURCE_DIR
