"""The ONNX parser core through its C API (ctypes on the loaded libingot, independent of the
Python OnnxParser wrapper): tiny models made with onnx.helper are parsed into a network,
built and run, and compared with onnxruntime; malformed models must give errors that name
what is wrong (the node, its op type and opset, the value, the path) without crashing."""
import ctypes
import os
import random

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import ingot  # noqa: E402
from ingot import _lib  # noqa: E402
from ingot.logger import _handle as _logger_handle  # noqa: E402


class _Error(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("node_name", ctypes.c_char_p), ("op_type", ctypes.c_char_p),
                ("opset", ctypes.c_int64), ("node_index", ctypes.c_int32), ("message", ctypes.c_char_p)]


# Our own prototypes over the library the package loaded (same handle, own function objects).
_c = ctypes.CDLL(_lib.path, handle=_lib.lib._handle)
_P = ctypes.c_void_p
for _name, _res, _args in [
        ("ingot_onnx_parser_create", ctypes.c_int, [_P, _P, ctypes.POINTER(_P)]),
        ("ingot_onnx_parser_destroy", None, [_P]),
        ("ingot_onnx_parser_parse", ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p]),
        ("ingot_onnx_parser_parse_from_file", ctypes.c_int, [_P, ctypes.c_char_p]),
        ("ingot_onnx_parser_num_errors", ctypes.c_int32, [_P]),
        ("ingot_onnx_parser_get_error", ctypes.c_int, [_P, ctypes.c_int32, ctypes.POINTER(_Error)]),
        ("ingot_onnx_supports_operator", ctypes.c_int32, [ctypes.c_char_p, ctypes.c_int64]),
        ("ingot_onnx_num_operators", ctypes.c_int32, []),
        ("ingot_onnx_operator", ctypes.c_char_p, [ctypes.c_int32, ctypes.POINTER(ctypes.c_int64)]),
        ("ingot_last_error", ctypes.c_char_p, [])]:
    _f = getattr(_c, _name)
    _f.restype, _f.argtypes = _res, _args

UNSUPPORTED, INVALID_GRAPH, INVALID_ARGUMENT = 4, 6, 1


class Parsed:
    """A network filled by the C parser: status, errors [(status, node, op, opset, index,
    message)], the ingot.Network."""

    def __init__(self, network, status, errors, last_error):
        self.network, self.status, self.errors, self.last_error = network, status, errors, last_error

    @property
    def messages(self):
        return [e[5] for e in self.errors]


def _parse(logger, model=None, data=None, path=None, model_dir=None):
    network = ingot.Network(logger)
    parser = _P()
    assert _c.ingot_onnx_parser_create(network._ptr, _logger_handle(logger), ctypes.byref(parser)) == 0
    try:
        if path is not None:
            status = _c.ingot_onnx_parser_parse_from_file(parser, os.fsencode(path))
        else:
            if data is None:
                data = model.SerializeToString()
            status = _c.ingot_onnx_parser_parse(parser, data, len(data),
                                                None if model_dir is None else os.fsencode(model_dir))
        last = _c.ingot_last_error().decode()
        errors = []
        for i in range(_c.ingot_onnx_parser_num_errors(parser)):
            e = _Error()
            assert _c.ingot_onnx_parser_get_error(parser, i, ctypes.byref(e)) == 0
            errors.append((e.status, e.node_name.decode(), e.op_type.decode(), e.opset, e.node_index,
                           e.message.decode()))
    finally:
        _c.ingot_onnx_parser_destroy(parser)
    return Parsed(network, status, errors, last)


def _model(nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, "test", inputs, outputs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="ingot-test")
    model.ir_version = 8
    return model


def _ort(model, feeds):
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, feeds)))


def _check_against_ort(logger, model, feeds, rtol=1e-5, atol=1e-5, **parse_kw):
    parsed = _parse(logger, model, **parse_kw)
    assert parsed.status == 0, parsed.messages
    assert parsed.errors == []
    got = ingot.run_network(parsed.network, feeds, logger=logger)
    want = _ort(model, feeds)
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name].shape == want[name].shape, name
        np.testing.assert_allclose(got[name], want[name], rtol=rtol, atol=atol, err_msg=name)
    parsed.network.close()
    return got


def _f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


# ---- models that import ---------------------------------------------------------------------------

def test_relu(logger, rng):
    model = _model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 4])])
    _check_against_ort(logger, model, {"x": _f32(rng, 2, 3, 4)})


def test_add_with_initializer(logger, rng):
    b = _f32(rng, 3, 4)
    model = _model([helper.make_node("Add", ["x", "b"], ["y"])],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 4])],
                   [numpy_helper.from_array(b, "b")])
    _check_against_ort(logger, model, {"x": _f32(rng, 2, 3, 4)})


def test_conv_with_initializer_weights(logger, rng):
    w, bias = _f32(rng, 3, 2, 3, 3), _f32(rng, 3)
    model = _model([helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[1, 1, 1, 1], strides=[1, 1])],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5, 5])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 5, 5])],
                   [numpy_helper.from_array(w, "w"), numpy_helper.from_array(bias, "b")])
    _check_against_ort(logger, model, {"x": _f32(rng, 1, 2, 5, 5)}, rtol=1e-4, atol=1e-4)


def test_chain_with_constant_nodes(logger, rng):
    """Constant (value tensor, value_float, value_floats), Identity, Dropout and a typed-field
    initializer (float_data, not raw) in one chain."""
    c = _f32(rng, 4)
    nodes = [
        helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(c)),
        helper.make_node("Constant", [], ["s"], value_float=0.5),
        helper.make_node("Constant", [], ["v"], value_floats=[1.0, -1.0, 2.0, 0.0]),
        helper.make_node("Add", ["x", "c"], ["a"], name="add"),
        helper.make_node("Mul", ["a", "s"], ["m"]),
        helper.make_node("Sub", ["m", "v"], ["d"]),
        helper.make_node("Identity", ["d"], ["i"]),
        helper.make_node("Dropout", ["i"], ["r"]),
        helper.make_node("Relu", ["r"], ["y"]),
        helper.make_node("Mul", ["y", "k"], ["z"]),
    ]
    k = helper.make_tensor("k", TensorProto.FLOAT, [4], [2.0, 3.0, 4.0, 5.0])  # float_data
    model = _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
                   [helper.make_tensor_value_info("z", TensorProto.FLOAT, [2, 4]),
                    helper.make_tensor_value_info("c", TensorProto.FLOAT, [4])], [k])
    got = _check_against_ort(logger, model, {"x": _f32(rng, 2, 4)})
    np.testing.assert_array_equal(got["c"], c)


def test_dynamic_batch(logger, rng):
    model = _model([helper.make_node("Relu", ["x"], ["y"])],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])])
    parsed = _parse(logger, model)
    assert parsed.status == 0, parsed.messages
    assert parsed.network.inputs[0].shape == (-1, 3)
    parsed.network.close()
    _check_against_ort(logger, model, {"x": _f32(rng, 5, 3)})


def test_external_data(logger, rng, tmp_path):
    w = _f32(rng, 4, 4)
    model = _model([helper.make_node("MatMul", ["x", "w"], ["y"])],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
                   [numpy_helper.from_array(w, "w")])
    path = tmp_path / "m.onnx"
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights.bin", size_threshold=0)
    assert (tmp_path / "weights.bin").exists()
    parsed = _parse(logger, path=path)
    assert parsed.status == 0, parsed.messages
    x = _f32(rng, 2, 4)
    got = ingot.run_network(parsed.network, {"x": x}, logger=logger)
    np.testing.assert_allclose(got["y"], x @ w, rtol=1e-5, atol=1e-5)
    parsed.network.close()
    # The same bytes without the model's directory cannot reach the weights.
    parsed = _parse(logger, data=path.read_bytes())
    assert parsed.status != 0 and "no model directory" in parsed.messages[0]


def test_external_data_beyond_4_gib(logger, rng, tmp_path):
    """A model whose weights file is over 2 GiB (the protobuf limit that external data exists
    to get around): the tensors sit past 4 GiB in a sparse file, so the offsets need 64 bits
    and nothing of the file but the tensors is read."""
    w = _f32(rng, 4, 4)
    b = _f32(rng, 4)
    offset_w, offset_b = (4 << 30) + 4096, (5 << 30) + 8192
    with open(tmp_path / "big.bin", "wb") as f:
        f.seek(offset_w)
        f.write(w.tobytes())
        f.seek(offset_b)
        f.write(b.tobytes())
    assert os.path.getsize(tmp_path / "big.bin") > (5 << 30)
    tensors = []
    for name, arr, offset in (("w", w, offset_w), ("b", b, offset_b)):
        t = numpy_helper.from_array(arr, name)
        t.ClearField("raw_data")
        t.data_location = TensorProto.EXTERNAL
        for key, value in (("location", "big.bin"), ("offset", str(offset)), ("length", str(arr.nbytes))):
            entry = t.external_data.add()
            entry.key, entry.value = key, value
        tensors.append(t)
    model = _model([helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Add", ["m", "b"], ["y"])],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])], tensors)
    path = tmp_path / "big.onnx"
    path.write_bytes(model.SerializeToString())
    parsed = _parse(logger, path=path)
    assert parsed.status == 0, parsed.messages
    x = _f32(rng, 2, 4)
    got = ingot.run_network(parsed.network, {"x": x}, logger=logger)
    np.testing.assert_allclose(got["y"], x @ w + b, rtol=1e-5, atol=1e-5)
    parsed.network.close()


def test_operator_table():
    n = _c.ingot_onnx_num_operators()
    since = ctypes.c_int64()
    ops = {_c.ingot_onnx_operator(i, ctypes.byref(since)).decode(): since.value for i in range(n)}
    assert len(ops) == n
    for op in ("Identity", "Constant", "Dropout", "Relu", "Conv", "Add"):
        assert op in ops
        assert _c.ingot_onnx_supports_operator(op.encode(), 17) == 1
    assert _c.ingot_onnx_supports_operator(b"NoSuchOp", 17) == 0
    # Outside the opset range the parser reads, nothing is supported.
    assert _c.ingot_onnx_supports_operator(b"Relu", 0) == 0
    assert _c.ingot_onnx_supports_operator(b"Relu", 10000) == 0


# ---- models that do not ------------------------------------------------------------------------------

def _relu_model(opset=17):
    return _model([helper.make_node("Relu", ["x"], ["y"])],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], opset=opset)


def test_random_bytes(logger):
    r = random.Random(7)
    for size in (1, 2, 7, 64, 1000):
        for _ in range(20):
            data = bytes(r.randrange(256) for _ in range(size))
            parsed = _parse(logger, data=data)
            assert parsed.status != 0
            assert len(parsed.errors) >= 1
            parsed.network.close()


def test_truncated_model(logger, rng):
    data = _model([helper.make_node("Add", ["x", "b"], ["y"])],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
                  [numpy_helper.from_array(_f32(rng, 4), "b")]).SerializeToString()
    for cut in range(1, len(data)):
        parsed = _parse(logger, data=data[:cut])
        assert parsed.status != 0, cut  # every prefix of this model breaks a length or leaves no graph
        parsed.network.close()


def test_initializer_claims_more_than_its_data(logger):
    b = numpy_helper.from_array(np.zeros((2, 3), np.float32), "b")
    b.raw_data = np.zeros(4, np.float32).tobytes()  # onnx.helper refuses to make this lie
    model = _model([helper.make_node("Add", ["x", "b"], ["y"])],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], [b])
    parsed = _parse(logger, model)
    assert parsed.status == INVALID_ARGUMENT
    assert len(parsed.errors) == 1  # the Add that reads it is skipped without a second error
    assert "initializer 'b': raw_data holds 16 bytes, expected 24" in parsed.messages[0]
    assert parsed.network.num_outputs == 0


def test_external_data_escaping_the_directory(logger, rng, tmp_path):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (tmp_path / "secret.bin").write_bytes(np.zeros(16, np.float32).tobytes())
    w = numpy_helper.from_array(_f32(rng, 4, 4), "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "../secret.bin"), ("offset", "0"), ("length", "64")):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    model = _model([helper.make_node("MatMul", ["x", "w"], ["y"])],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])], [w])
    path = model_dir / "m.onnx"
    path.write_bytes(model.SerializeToString())
    parsed = _parse(logger, path=path)
    assert parsed.status == INVALID_ARGUMENT
    assert "'../secret.bin' escapes the model's directory" in parsed.messages[0]
    assert len(parsed.errors) == 1
    model.graph.initializer[0].external_data[0].value = str(tmp_path / "secret.bin")  # absolute
    path.write_bytes(model.SerializeToString())
    parsed = _parse(logger, path=path)
    assert "is an absolute path" in parsed.messages[0]


def test_unsupported_op_names_it_and_the_opset(logger):
    model = _model([helper.make_node("FancyOp", ["x"], ["a"], name="fancy"), helper.make_node("Relu", ["x"], ["y"])],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3]),
                    helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 3])], opset=17)
    parsed = _parse(logger, model)
    assert parsed.status == UNSUPPORTED
    assert len(parsed.errors) == 1
    status, node, op, opset, index, message = parsed.errors[0]
    assert (node, op, opset, index) == ("fancy", "FancyOp", 17, 0)
    assert "no importer for operator 'FancyOp' (opset 17)" in message
    assert "FancyOp" in parsed.last_error
    # Parsing went on: the Relu branch is in the network, its output marked.
    assert parsed.network.num_outputs == 1


def test_two_unsupported_ops_give_two_errors(logger):
    model = _model([helper.make_node("FancyOp", ["x"], ["a"], name="one"),
                    helper.make_node("OtherOp", ["a"], ["y"], name="two")],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    parsed = _parse(logger, model)
    assert len(parsed.errors) == 2
    assert "'FancyOp'" in parsed.messages[0] and "'OtherOp'" in parsed.messages[1]
    assert [e[4] for e in parsed.errors] == [0, 1]
    # The logger saw each error too.
    logged = logger.errors()
    assert any("'FancyOp'" in m for m in logged) and any("'OtherOp'" in m for m in logged)


def test_undefined_input_value(logger):
    model = _model([helper.make_node("Add", ["x", "ghost"], ["y"], name="adder")],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    parsed = _parse(logger, model)
    assert parsed.status == INVALID_GRAPH
    assert len(parsed.errors) == 1
    assert "node 'adder' (Add, opset 17): input 1 ('ghost') is not defined" in parsed.messages[0]


def test_opset_beyond_the_newest_refused(logger):
    parsed = _parse(logger, _relu_model(opset=29))
    assert parsed.status == UNSUPPORTED
    assert "opset 29 is not supported" in parsed.messages[0]
    assert parsed.network.num_layers == 0


def test_subgraph_refused(logger):
    then_g = helper.make_graph([helper.make_node("Identity", ["x"], ["t"])], "then", [],
                               [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2, 3])])
    model = _model([helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=then_g, name="branch")],
                   [helper.make_tensor_value_info("c", TensorProto.BOOL, []),
                    helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    parsed = _parse(logger, model)
    assert len(parsed.errors) == 1
    assert "node 'branch' (If, opset 17): attribute" in parsed.messages[0]
    assert "subgraph" in parsed.messages[0]
