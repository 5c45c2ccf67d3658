"""python -m ingot.compare: ingot against onnxruntime on small models, in a subprocess."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import ingot
from ingot import _lib

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

pytestmark = pytest.mark.skipif(bool(_lib.missing_onnx), reason=f"library {_lib.path} has no ONNX parser")


def _env():
    env = dict(os.environ)
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(ingot.__file__)))
    env["PYTHONPATH"] = pkg + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["INGOT_LIBRARY"] = os.path.abspath(ingot.library_path)
    return env


def _compare(*args):
    r = subprocess.run([sys.executable, "-m", "ingot.compare", *map(str, args)], capture_output=True, text=True,
                       env=_env(), timeout=300)
    return r.returncode, r.stdout, r.stderr


def _save(model, path):
    onnx.save(model, str(path))
    return path


@pytest.fixture
def mlp(tmp_path):
    """y = relu(x @ W + b), z = sum(y, axis=1): x is [N, 4] with N dynamic."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal((3,)).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["xw"]),
             helper.make_node("Add", ["xw", "b"], ["pre"]),
             helper.make_node("Relu", ["pre"], ["y"]),
             helper.make_node("ReduceSum", ["y", "axes"], ["z"], keepdims=0)]
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N"])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "b"),
         numpy_helper.from_array(np.array([1], np.int64), "axes")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return _save(model, tmp_path / "mlp.onnx")


def _lines(out):
    return {m.group(1): line for line in out.splitlines() for m in [re.search(r"output '([^']+)'", line)] if m}


def test_pass(mlp):
    rc, out, err = _compare(mlp)
    assert rc == 0, out + err
    lines = _lines(out)
    assert set(lines) == {"y", "z"}
    assert "shape (1, 3)" in lines["y"] and "shape (1,)" in lines["z"]  # dynamic N defaults to 1
    for line in lines.values():
        assert "max abs err" in line and "max rel err" in line and "rel L2 err" in line
        assert line.rstrip().endswith("PASS")
    assert "PASSED: 2/2" in out


def test_shapes_and_input_file(mlp, tmp_path):
    rc, out, err = _compare(mlp, "--shapes", "x:5x4", "--rtol", "1e-4", "--atol", "1e-4")
    assert rc == 0, out + err
    assert "shape (5, 3)" in _lines(out)["y"]
    x = np.linspace(-1, 1, 28, dtype=np.float32).reshape(7, 4)
    np.save(tmp_path / "x.npy", x)
    rc, out, err = _compare(mlp, "--input", f"x={tmp_path / 'x.npy'}")
    assert rc == 0, out + err
    assert "shape (7,)" in _lines(out)["z"]
    assert "from file" in out


def test_fail_exit_code(tmp_path):
    """A long sum and exp with zero tolerance: ingot and onnxruntime differ in the last bits
    (order of summation, exp's approximation), so it must report FAIL and exit 1."""
    graph = helper.make_graph(
        [helper.make_node("Exp", ["x"], ["e"]), helper.make_node("ReduceSum", ["e"], ["s"], keepdims=1),
         helper.make_node("Div", ["e", "s"], ["y"])], "sum",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 65536])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 65536]),
         helper.make_tensor_value_info("s", TensorProto.FLOAT, [1, 1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = _save(model, tmp_path / "sum.onnx")
    rc, out, err = _compare(path, "--rtol", "0", "--atol", "0", "--seed", "3")
    assert rc in (0, 1), out + err
    errors = [float(m) for m in re.findall(r"max abs err ([0-9.eE+-]+|inf|nan)", out)]
    if rc == 0:
        assert errors and all(e == 0 for e in errors)
        pytest.skip("ingot and onnxruntime agree to the last bit on this model: no FAIL to provoke")
    assert "FAIL" in out and "FAILED" in out and "elements out of tolerance" in out
    # and the same model passes with a sane tolerance
    rc, out, err = _compare(path, "--rtol", "1e-4", "--atol", "1e-6", "--seed", "3")
    assert rc == 0, out + err


def test_usage_errors(mlp, tmp_path):
    rc, out, err = _compare(tmp_path / "missing.onnx")
    assert rc == 2 and "no such file" in err
    rc, out, err = _compare(mlp, "--shapes", "x:2by4")
    assert rc == 2 and "--shapes" in err
    rc, out, err = _compare(mlp, "--shapes", "nope:2x4")
    assert rc == 2 and "nope" in err
    rc, out, err = _compare(mlp, "--shapes", "x:2x5")  # dim 1 is fixed to 4
    assert rc == 2 and "fixes it to 4" in err
    rc, out, err = _compare(mlp, "--input", "x")
    assert rc == 2 and "NAME=FILE.npy" in err


def test_model_ingot_refuses(tmp_path):
    """A model ingot cannot import (an operator of an unknown domain): exit 2, with ingot's
    message naming the node on stderr."""
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Frobnicate", ["r"], ["y"], name="frob",
                                                                 domain="com.example")], "bad",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    model.ir_version = 8
    rc, out, err = _compare(_save(model, tmp_path / "bad.onnx"))
    assert rc == 2, out + err
    assert "error: ingot failed" in err and "Frobnicate" in err
