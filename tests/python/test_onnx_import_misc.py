"""ONNX import of the small composed operators (src/onnx/import_misc.c): Swish, Shrink,
Trilu, EyeLike against NumPy on random inputs, with static and network-computed k, and the
attribute errors naming node, op type and opset."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto  # noqa: E402

from test_onnx_import_attention import randn  # noqa: E402
from test_onnx_import_math import expect_parse_error, make_model, run_ingot  # noqa: E402


@pytest.mark.parametrize("alpha", [1.0, 0.35])
def test_swish(logger, rng, alpha):
    x = randn(rng, 2, 3, 4) * 3
    got = run_ingot(make_model("Swish", [("x", x)], {"alpha": alpha}, 24), {"x": x}, logger)["y"]
    np.testing.assert_allclose(got, x / (1 + np.exp(-alpha * x)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("lambd,bias", [(0.5, 0.0), (1.2, 0.7)])
def test_shrink(logger, rng, lambd, bias):
    x = randn(rng, 4, 5) * 2
    want = np.where(x < -lambd, x + bias, np.where(x > lambd, x - bias, 0)).astype(np.float32)
    got = run_ingot(make_model("Shrink", [("x", x)], {"lambd": lambd, "bias": bias}, 9), {"x": x}, logger)["y"]
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_shrink_int(logger, rng):
    x = rng.integers(-5, 6, (3, 4)).astype(np.int32)
    model = make_model("Shrink", [("x", x)], {"lambd": 1.5, "bias": 1.0}, 9, out_types=[TensorProto.INT32])
    got = run_ingot(model, {"x": x}, logger)["y"]
    np.testing.assert_array_equal(got, np.where(x < -1.5, x + 1, np.where(x > 1.5, x - 1, 0)))


@pytest.mark.parametrize("upper", [0, 1])
@pytest.mark.parametrize("k,k_input", [(None, None), (2, "const"), (-1, "const"), (1, "fed"), (-7, "fed")])
def test_trilu(logger, rng, upper, k, k_input):
    x = randn(rng, 2, 4, 5)
    inputs, feeds, inits = [("x", x)], {"x": x}, {}
    if k_input is not None:
        kv = np.array(k, dtype=np.int64)
        inputs.append(("k", kv))
        if k_input == "const":
            inits["k"] = kv
        else:
            feeds["k"] = kv
    model = make_model("Trilu", inputs, {"upper": upper}, 14, inits=inits)
    want = (np.triu if upper else np.tril)(x, k or 0)
    np.testing.assert_array_equal(run_ingot(model, feeds, logger)["y"], want)


def test_trilu_errors(logger, rng):
    x = randn(rng, 3, 3)
    expect_parse_error(logger, make_model("Trilu", [("x", x)], {"upper": 2}, 14), "Trilu", "opset 14",
                       "attribute upper is 2")
    v = randn(rng, 3)
    expect_parse_error(logger, make_model("Trilu", [("x", v)], {}, 14), "Trilu", "rank 1")


@pytest.mark.parametrize("shape,k,dtype", [((3, 3), 0, None), ((3, 5), 1, TensorProto.INT32),
                                           ((4, 2), -1, TensorProto.FLOAT)])
def test_eye_like(logger, rng, shape, k, dtype):
    x = randn(rng, *shape)
    attrs = {"k": k}
    if dtype is not None:
        attrs["dtype"] = dtype
    out_type = dtype if dtype is not None else TensorProto.FLOAT
    got = run_ingot(make_model("EyeLike", [("x", x)], attrs, 9, out_types=[out_type]), {"x": x}, logger)["y"]
    want = np.eye(*shape, k=k, dtype=np.int32 if dtype == TensorProto.INT32 else np.float32)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_eye_like_errors(logger, rng):
    x = randn(rng, 2, 3, 4)
    expect_parse_error(logger, make_model("EyeLike", [("x", x)], {}, 9), "EyeLike", "opset 9", "rank 3")
    x2 = randn(rng, 2, 3)
    expect_parse_error(logger, make_model("EyeLike", [("x", x2)], {"dtype": TensorProto.STRING}, 9), "EyeLike",
                       "attribute dtype is 8")


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_pad_computed_constant_value(logger, rng, dtype):
    """Pad (src/onnx/import_shape_ops.c) with constant_value fed at run time, not a constant."""
    x = (randn(rng, 2, 3, 4) * 5).astype(dtype)
    pads = np.array([0, 1, 2, 1, 0, 3], dtype=np.int64)
    value = np.array(rng.uniform(-9, 9), dtype=dtype)
    model = make_model("Pad", [("x", x), ("pads", pads), ("v", value)], {"mode": "constant"}, 18,
                       inits={"pads": pads}, out_types=[TensorProto.FLOAT if dtype == np.float32 else TensorProto.INT32])
    got = run_ingot(model, {"x": x, "v": value}, logger)["y"]
    want = np.pad(x, [(0, 1), (1, 0), (2, 3)], constant_values=value)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [TensorProto.FLOAT16, TensorProto.BFLOAT16])
def test_range_half_precision(logger, dtype):
    """Range (src/onnx/import_shape_ops.c) of float16/bfloat16 constants: counted and stepped in
    float32, each value rounded (compared in float32 against NumPy's float32 arange)."""
    from onnx import helper
    consts = [helper.make_node("Constant", [], [n], value=helper.make_tensor(n, dtype, [], [v]))
              for n, v in (("s", 1.5), ("l", 9.0), ("d", 0.75))]
    nodes = consts + [helper.make_node("Range", ["s", "l", "d"], ["r"]),
                      helper.make_node("Cast", ["r"], ["y"], to=TensorProto.FLOAT)]
    graph = helper.make_graph(nodes, "g", [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    got = run_ingot(model, {}, logger)["y"]
    np.testing.assert_allclose(got, np.arange(1.5, 9.0, 0.75, dtype=np.float32), rtol=1e-2)


# ---- bitwise ------------------------------------------------------------------------------------

INT_TYPES = [(np.int8, TensorProto.INT8), (np.uint8, TensorProto.UINT8), (np.int32, TensorProto.INT32),
             (np.int64, TensorProto.INT64)]


@pytest.mark.parametrize("op,fn", [("BitwiseAnd", np.bitwise_and), ("BitwiseOr", np.bitwise_or),
                                   ("BitwiseXor", np.bitwise_xor)])
@pytest.mark.parametrize("dtype,onnx_type", INT_TYPES)
def test_bitwise_binary(logger, rng, op, fn, dtype, onnx_type):
    info = np.iinfo(dtype)
    a = rng.integers(info.min, info.max, (3, 4), dtype=dtype, endpoint=True)
    b = rng.integers(info.min, info.max, (4,), dtype=dtype, endpoint=True)  # broadcast
    got = run_ingot(make_model(op, [("a", a), ("b", b)], {}, 18, out_types=[onnx_type]), {"a": a, "b": b}, logger)["y"]
    np.testing.assert_array_equal(got, fn(a, b))


@pytest.mark.parametrize("dtype,onnx_type", INT_TYPES)
def test_bitwise_not(logger, rng, dtype, onnx_type):
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, (2, 5), dtype=dtype, endpoint=True)
    got = run_ingot(make_model("BitwiseNot", [("x", x)], {}, 18, out_types=[onnx_type]), {"x": x}, logger)["y"]
    np.testing.assert_array_equal(got, np.invert(x))


@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("dtype,onnx_type", [(np.uint8, TensorProto.UINT8), (np.int32, TensorProto.INT32)])
def test_bit_shift(logger, rng, direction, dtype, onnx_type):
    bits = np.iinfo(dtype).bits
    x = rng.integers(0, np.iinfo(dtype).max, (3, 6), dtype=dtype, endpoint=True)
    y = rng.integers(0, bits - 1, (3, 6), dtype=dtype, endpoint=True)
    model = make_model("BitShift", [("x", x), ("s", y)], {"direction": direction}, 11, out_types=[onnx_type])
    got = run_ingot(model, {"x": x, "s": y}, logger)["y"]
    want = np.left_shift(x, y) if direction == "LEFT" else np.right_shift(x, y)
    np.testing.assert_array_equal(got, want.astype(dtype))


def test_bitwise_errors(logger, rng):
    x = randn(rng, 2, 3)
    expect_parse_error(logger, make_model("BitwiseAnd", [("a", x), ("b", x)], {}, 18), "BitwiseAnd", "opset 18",
                       "float32, expected an integer type")
    u = np.ones((2, 3), np.uint8)
    expect_parse_error(logger, make_model("BitShift", [("x", u), ("s", u)], {"direction": "UP"}, 11,
                                          out_types=[TensorProto.UINT8]), "BitShift", "direction is 'UP'")


@pytest.mark.parametrize("axis,shape,depth", [(-1, (2, 3), 5), (0, (4,), 3), (1, (2, 3), 6), (-2, (3, 2), 4)])
def test_one_hot(logger, rng, axis, shape, depth):
    idx = rng.integers(-depth, depth + 2, shape).astype(np.int64)  # negative and out-of-range ones too
    values = np.array([rng.uniform(-3, 0), rng.uniform(1, 4)], np.float32)
    inputs = [("i", idx), ("depth", np.array(depth, np.int64)), ("values", values)]
    model = make_model("OneHot", inputs, {"axis": axis}, 11, inits={"depth": np.array(depth, np.int64)})
    got = run_ingot(model, {"i": idx, "values": values}, logger)["y"]
    wrapped = np.where(idx < 0, idx + depth, idx)
    hot = np.moveaxis(wrapped[..., None] == np.arange(depth), -1, axis % (len(shape) + 1))
    np.testing.assert_array_equal(got, np.where(hot, values[1], values[0]))


def test_one_hot_errors(logger, rng):
    idx = np.zeros((2, 2), np.int64)
    model = make_model("OneHot", [("i", idx), ("depth", np.array(3, np.int64)), ("values", np.zeros(2, np.float32))],
                       {}, 11)
    expect_parse_error(logger, model, "OneHot", "opset 11", "input 1 (depth) must be a constant")
    model = make_model("OneHot", [("i", idx), ("depth", np.array(3, np.int64)), ("values", np.zeros(2, np.float32))],
                       {"axis": 5}, 11, inits={"depth": np.array(3, np.int64)})
    expect_parse_error(logger, model, "OneHot", "axis")


@pytest.mark.parametrize("time_axis,shape", [(0, (5, 3, 2)), (1, (3, 6)), (0, (4, 2, 3, 2))])
def test_reverse_sequence(logger, rng, time_axis, shape):
    x = randn(rng, *shape)
    steps, batch = shape[time_axis], shape[1 - time_axis]
    lens = rng.integers(1, steps + 1, batch).astype(np.int64)
    model = make_model("ReverseSequence", [("x", x), ("lens", lens)],
                       {"time_axis": time_axis, "batch_axis": 1 - time_axis}, 10)
    got = run_ingot(model, {"x": x, "lens": lens}, logger)["y"]
    want = x.copy()
    for b in range(batch):
        sl = (slice(None, lens[b]), b) if time_axis == 0 else (b, slice(None, lens[b]))
        want[sl] = np.flip(x[sl], axis=0)
    np.testing.assert_array_equal(got, want)


def test_reverse_sequence_errors(logger, rng):
    x, lens = randn(rng, 3, 2), np.ones(2, np.int64)
    model = make_model("ReverseSequence", [("x", x), ("lens", lens)], {"time_axis": 0, "batch_axis": 0}, 10)
    expect_parse_error(logger, model, "ReverseSequence", "opset 10", "time_axis 0 and batch_axis 0")
