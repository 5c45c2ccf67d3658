"""The Python ONNX API: OnnxParser (errors, supports_operator), parse_onnx, build_onnx,
run_onnx, and ingot.onnx_backend (prepare with dynamic shapes, run_node, frozen integer
inputs), against NumPy."""
import numpy as np
import pytest

import ingot
from ingot import _lib

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

pytestmark = pytest.mark.skipif(bool(_lib.missing_onnx), reason=f"library {_lib.path} has no ONNX parser")


def _model(nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


@pytest.fixture
def mlp():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal((3,)).astype(np.float32)
    m = _model([helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["pre"]),
                helper.make_node("Relu", ["pre"], ["y"])],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
               [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "b")])
    return m, (lambda x: np.maximum(x @ w + b, 0))


@pytest.fixture
def log():
    messages = []
    return messages, ingot.Logger(ingot.Logger.WARNING, lambda s, m: messages.append((s, m)))


def test_parser_parses(mlp, log, tmp_path):
    model, ref = mlp
    _, logger = log
    network = ingot.Network(logger)
    parser = ingot.OnnxParser(network, logger)
    assert parser.parse(model.SerializeToString())
    assert parser.num_errors == 0 and parser.errors == []
    assert [t.name for t in network.inputs] == ["x"] and network.inputs[0].shape == (-1, 4)
    assert [t.name for t in network.outputs] == ["y"]
    parser.close()
    # parse_from_file and parse(ModelProto) too
    path = tmp_path / "mlp.onnx"
    onnx.save(model, str(path))
    with ingot.OnnxParser(ingot.Network(logger), logger) as p2:
        assert p2.parse_from_file(path)
    with ingot.OnnxParser(ingot.Network(logger), logger) as p3:
        assert p3.parse(model, path=str(path))


def test_parser_errors(log):
    _, logger = log
    network = ingot.Network(logger)
    parser = ingot.OnnxParser(network, logger)
    assert parser.parse(b"not an onnx model") is False
    assert parser.num_errors >= 1
    e = parser.get_error(0)
    assert isinstance(e, ingot.ParserError)
    assert isinstance(e.status, ingot.Status) and e.status != ingot.Status.SUCCESS
    assert e.node_index == -1 and e.node_name == "" and e.op_type == ""
    assert str(e) == e.desc() == e.message and e.message
    with pytest.raises(IndexError):
        parser.get_error(parser.num_errors)
    parser.clear_errors()
    assert parser.num_errors == 0
    with pytest.raises(TypeError):
        parser.parse(12345)
    assert parser.parse_from_file("/nonexistent/model.onnx") is False
    assert parser.num_errors >= 1


def test_parser_node_errors_all_reported(log):
    """Two unsupported nodes: both reported, each naming its node and op type."""
    _, logger = log
    m = _model([helper.make_node("Frob", ["x"], ["a"], name="first", domain="com.example"),
                helper.make_node("Relu", ["x"], ["r"], name="ok"),
                helper.make_node("Frob", ["r"], ["b"], name="second", domain="com.example")],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
               [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2]),
                helper.make_tensor_value_info("b", TensorProto.FLOAT, [2])])
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    parser = ingot.OnnxParser(ingot.Network(logger), logger)
    assert not parser.parse(m.SerializeToString())
    errors = parser.errors
    named = {e.node_name for e in errors}
    assert {"first", "second"} <= named, [repr(e) for e in errors]
    first = next(e for e in errors if e.node_name == "first")
    assert first.op_type == "Frob" and first.node_index == 0 and first.opset == 17
    with pytest.raises(ingot.IngotError) as ei:
        parser.raise_errors()
    assert "first" in str(ei.value) and "second" in str(ei.value)


def test_supports_operator():
    ops = ingot.onnx_operators()
    assert "Relu" in ops and "Conv" in ops
    assert ingot.supports_operator("Relu", 17) and ingot.supports_operator("Relu")
    assert not ingot.supports_operator("NoSuchOp", 17) and not ingot.supports_operator("NoSuchOp")
    parser = ingot.OnnxParser(ingot.Network())
    assert parser.supports_operator("MatMul", opset=13)


def test_build_and_run_onnx(mlp, log):
    model, ref = mlp
    _, logger = log
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    out = ingot.run_onnx(model, {"x": x}, logger=logger)
    np.testing.assert_allclose(out["y"], ref(x), rtol=1e-5, atol=1e-5)
    out = ingot.run_onnx(model.SerializeToString(), [x[:2]], logger=logger)  # list in input order
    np.testing.assert_allclose(out["y"], ref(x[:2]), rtol=1e-5, atol=1e-5)

    engine = ingot.build_onnx(model, profiles=[{"x": ((1, 4), (4, 4), (8, 4))}], logger=logger)
    ctx = engine.create_execution_context()
    for n in (1, 3, 8):
        np.testing.assert_allclose(ctx.execute({"x": x[:n] if n <= 5 else np.tile(x, (2, 1))[:n]})["y"],
                                   ref(x[:n] if n <= 5 else np.tile(x, (2, 1))[:n]), rtol=1e-5, atol=1e-5)
    engine = ingot.build_onnx(model, shapes={"x": (2, 4)}, logger=logger)
    assert engine.get_tensor_profile_shape("x", 0) == ((2, 4), (2, 4), (2, 4))
    with pytest.raises(ingot.IngotError, match="'x'"):
        ingot.build_onnx(model, logger=logger)  # dynamic input, no profile nor shapes
    with pytest.raises(ingot.IngotError):
        ingot.build_onnx(b"garbage", logger=logger)


def test_backend_prepare_dynamic(mlp):
    import ingot.onnx_backend as backend
    model, ref = mlp
    rep = backend.prepare(model, "CPU")
    rng = np.random.default_rng(2)
    for n in (1, 3, 1, 7):
        x = rng.standard_normal((n, 4)).astype(np.float32)
        (y,) = rep.run([x])
        np.testing.assert_allclose(y, ref(x), rtol=1e-5, atol=1e-5)
        assert rep.run({"x": x})["y"].shape == (n, 3)
    assert len(rep._cache) == 3  # one plan per shape signature
    assert backend.supports_device("CPU") and not backend.supports_device("CUDA")
    assert backend.is_compatible(model)


def test_backend_run_node():
    import ingot.onnx_backend as backend
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([1, 2, 3], dtype=np.float32)
    (c,) = backend.run_node(helper.make_node("Add", ["a", "b"], ["c"]), [a, b])
    np.testing.assert_array_equal(c, a + b)
    (t,) = backend.run_node(helper.make_node("Transpose", ["a"], ["t"], perm=[1, 0]), [a], opset_version=21)
    np.testing.assert_array_equal(t, a.T)


def test_backend_freezes_shape_inputs():
    """Reshape whose shape is a graph input: ingot needs it constant; the backend freezes it."""
    import ingot.onnx_backend as backend
    m = _model([helper.make_node("Reshape", ["x", "shape"], ["y"])],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3]),
                helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    rep = backend.prepare(m)
    (y,) = rep.run([x, np.array([3, 2], np.int64)])
    np.testing.assert_array_equal(y, x.reshape(3, 2))
    (y,) = rep.run([x, np.array([1, 6], np.int64)])
    np.testing.assert_array_equal(y, x.reshape(1, 6))
    if rep.frozen_inputs:
        assert rep.frozen_inputs == ["shape"]
    with pytest.raises(ingot.IngotError):
        backend.prepare(m, freeze_inputs=False).run([x, np.array([3, 2], np.int64)])
