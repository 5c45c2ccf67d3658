"""ONNX import of the math family (src/onnx/import_math.c), each operator checked against
onnxruntime on single-node (or tiny) models built with onnx.helper, at the opsets where the
operator's form changed. Ops ingot cannot import are expected to fail parsing with a message
naming the attribute or dtype."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import ingot  # noqa: E402

F = TensorProto.FLOAT


# ---- harness ------------------------------------------------------------------------------------

def _elem(arr):
    return helper.np_dtype_to_tensor_dtype(np.asarray(arr).dtype)


def make_model(op, inputs, attrs=None, opset=17, outputs=("y",), out_types=None, inits=None, nodes=None,
               dynamic=None):
    """A one-node model: `inputs` is a list of (name, array) fed at run time (None as a name
    leaves an optional input empty), `inits` a dict name -> array of initializers (listed
    among the node's inputs by name)."""
    inits = inits or {}
    names = [n for n, _ in inputs]
    dynamic = dynamic or {}  # input name -> the axes declared dynamic ("d0", "d1", ...)
    graph_inputs = [helper.make_tensor_value_info(n, _elem(a), [f"d{i}" if i in dynamic.get(n, ()) else d
                                                                 for i, d in enumerate(a.shape)])
                    for n, a in inputs if n is not None and n not in inits]
    out_types = out_types or [F] * len(outputs)
    graph_outputs = [helper.make_tensor_value_info(o, t, None) for o, t in zip(outputs, out_types)]
    if nodes is None:
        nodes = [helper.make_node(op, [n or "" for n in names], list(outputs), **(attrs or {}))]
    graph = helper.make_graph(nodes, "g", graph_inputs, graph_outputs,
                              initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10 if opset >= 21 else 8
    return model


def run_ort(model, feeds):
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, feeds)))


def parse(model, logger):
    network = ingot.Network(logger)
    parser = ingot.OnnxParser(network, logger)
    ok = parser.parse(model)
    return network, parser, ok


def run_ingot(model, feeds, logger):
    network, parser, ok = parse(model, logger)
    if not ok:
        raise AssertionError("parse failed: " + "; ".join(e.message for e in parser.errors))
    return ingot.run_network(network, feeds, logger=logger)


def check(logger, model, feeds, rtol=1e-5, atol=1e-5):
    want = run_ort(model, feeds)
    got = run_ingot(model, feeds, logger)
    for name, w in want.items():
        g = got[name]
        assert g.shape == w.shape, f"{name}: shape {g.shape}, expected {w.shape}"
        if w.dtype.kind in "fc":
            assert g.dtype == w.dtype, f"{name}: dtype {g.dtype}, expected {w.dtype}"
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=name)
        else:
            np.testing.assert_array_equal(g.astype(w.dtype), w, err_msg=name)
            assert g.dtype == w.dtype, f"{name}: dtype {g.dtype}, expected {w.dtype}"


def expect_parse_error(logger, model, *words):
    _, parser, ok = parse(model, logger)
    assert not ok
    msg = " ".join(e.message for e in parser.errors)
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"


def randn(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def unary_check(logger, rng, op, attrs=None, opset=17, x=None, rtol=1e-5, atol=1e-5, out_type=F):
    x = randn(rng, 2, 3, 4) if x is None else x
    model = make_model(op, [("x", x)], attrs, opset, out_types=[out_type])
    check(logger, model, {"x": x}, rtol, atol)


# ---- activations --------------------------------------------------------------------------------

@pytest.mark.parametrize("op,attrs,opset", [
    ("Relu", {}, 7), ("Relu", {}, 14),
    ("LeakyRelu", {}, 7), ("LeakyRelu", {"alpha": 0.2}, 16),
    ("Sigmoid", {}, 13), ("Tanh", {}, 13),
    ("Elu", {}, 7), ("Elu", {"alpha": 0.4}, 7),
    ("Selu", {}, 7), ("Selu", {"alpha": 1.2, "gamma": 0.9}, 7),
    ("Softplus", {}, 7), ("Softsign", {}, 7),
    ("HardSigmoid", {}, 7), ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}, 7),
    ("HardSwish", {}, 14),
    ("Gelu", {}, 20), ("Gelu", {"approximate": "tanh"}, 20),
    ("Mish", {}, 18),
    ("ThresholdedRelu", {}, 10), ("ThresholdedRelu", {"alpha": 0.3}, 10),
    ("Celu", {}, 12), ("Celu", {"alpha": 1.7}, 12),
])
def test_activation(logger, rng, op, attrs, opset):
    x = randn(rng, 2, 3, 4, 5) * 3
    unary_check(logger, rng, op, attrs, opset, x=x, rtol=1e-4, atol=1e-5)


def test_gelu_bad_approximate(logger, rng):
    x = randn(rng, 2, 3)
    expect_parse_error(logger, make_model("Gelu", [("x", x)], {"approximate": "fast"}, 20), "approximate", "fast")


@pytest.mark.parametrize("slope_shape", [(3, 1, 1), (1,), (5,), (4, 5), (1, 3, 4, 5)])
def test_prelu(logger, rng, slope_shape):
    x = randn(rng, 2, 3, 4, 5)
    slope = rng.uniform(0, 0.5, slope_shape).astype(np.float32)
    model = make_model("PRelu", [("x", x), ("slope", slope)], opset=16, inits={"slope": slope})
    check(logger, model, {"x": x})


def test_prelu_opset6_per_channel_slope(logger, rng):
    x, slope = randn(rng, 2, 3, 4, 5), rng.uniform(0, 0.5, (3,)).astype(np.float32)
    got = run_ingot(make_model("PRelu", [("x", x), ("slope", slope)], opset=6, inits={"slope": slope}), {"x": x},
                    logger)["y"]
    np.testing.assert_allclose(got, np.where(x >= 0, x, x * slope[:, None, None]), rtol=1e-6)


def test_prelu_slope_input(logger, rng):
    x, slope = randn(rng, 2, 3, 4), rng.uniform(0, 0.5, (3, 1)).astype(np.float32)
    model = make_model("PRelu", [("x", x), ("slope", slope)], opset=9)
    check(logger, model, {"x": x, "slope": slope})


# ---- Clip ---------------------------------------------------------------------------------------

def test_clip_attrs_before_opset11(logger, rng):
    x = randn(rng, 3, 4) * 2
    check(logger, make_model("Clip", [("x", x)], {"min": -0.5, "max": 0.7}, 7), {"x": x})
    check(logger, make_model("Clip", [("x", x)], {"max": 0.1}, 10), {"x": x})


@pytest.mark.parametrize("lo,hi", [(-0.5, 0.7), (None, 0.3), (-0.2, None), (None, None)])
def test_clip_constant_bounds(logger, rng, lo, hi):
    x = randn(rng, 3, 4) * 2
    inputs, inits = [("x", x)], {}
    for name, v in (("lo", lo), ("hi", hi)):
        if v is None:
            inputs.append((None, None))
        else:
            inits[name] = np.array(v, np.float32)
            inputs.append((name, inits[name]))
    while inputs and inputs[-1][0] is None:
        inputs.pop()
    check(logger, make_model("Clip", inputs, opset=13, inits=inits), {"x": x})


def test_clip_tensor_bounds(logger, rng):
    x = randn(rng, 3, 4) * 2
    lo, hi = np.array(-0.3, np.float32), np.array(0.6, np.float32)
    model = make_model("Clip", [("x", x), ("lo", lo), ("hi", hi)], opset=13)
    check(logger, model, {"x": x, "lo": lo, "hi": hi})


def test_clip_int(logger, rng):
    x = rng.integers(-10, 10, (3, 4)).astype(np.int32)
    inits = {"lo": np.array(-3, np.int32), "hi": np.array(4, np.int32)}
    model = make_model("Clip", [("x", x), ("lo", inits["lo"]), ("hi", inits["hi"])], opset=13, inits=inits,
                       out_types=[TensorProto.INT32])
    check(logger, model, {"x": x})


# ---- binary elementwise --------------------------------------------------------------------------

SHAPES = [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)), ((2, 1, 4), (3, 1)), ((3, 4), ()), ((1,), (2, 3))]


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div"])
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_arith(logger, rng, op, sa, sb):
    a, b = randn(rng, *sa), randn(rng, *sb)
    if op == "Div":
        b = np.where(np.abs(b) < 0.1, 0.5, b).astype(np.float32)
    check(logger, make_model(op, [("a", a), ("b", b)], opset=14), {"a": a, "b": b})


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div"])
def test_arith_int(logger, rng, op):
    a = rng.integers(-20, 20, (3, 4)).astype(np.int32)
    b = rng.integers(1, 5, (4,)).astype(np.int32) * rng.choice([-1, 1], (4,)).astype(np.int32)
    check(logger, make_model(op, [("a", a), ("b", b)], opset=14, out_types=[TensorProto.INT32]), {"a": a, "b": b})


def test_arith_constant_operand(logger, rng):
    a = randn(rng, 2, 3)
    inits = {"b": np.array([1.0, 2.0, 3.0], np.float32)}
    check(logger, make_model("Mul", [("a", a), ("b", inits["b"])], opset=13, inits=inits), {"a": a})


def test_arith_folded_constants(logger, rng):
    # Mul of two initializers folds to a constant that then feeds an Add.
    x = randn(rng, 2, 3)
    inits = {"c1": np.array([1.0, 2.0, 3.0], np.float32), "c2": np.array(2.0, np.float32)}
    nodes = [helper.make_node("Mul", ["c1", "c2"], ["c"]), helper.make_node("Add", ["x", "c"], ["y"])]
    model = make_model(None, [("x", x)], opset=13, inits=inits, nodes=nodes)
    check(logger, model, {"x": x})


def test_pow(logger, rng):
    a = rng.uniform(0.5, 2, (3, 4)).astype(np.float32)
    b = randn(rng, 4)
    check(logger, make_model("Pow", [("a", a), ("b", b)], opset=13), {"a": a, "b": b}, rtol=1e-5)


@pytest.mark.parametrize("etype", [np.int32, np.int64])
def test_pow_integer_exponent(logger, rng, etype):
    a = randn(rng, 3, 4)
    b = rng.integers(0, 4, (3, 4)).astype(etype)
    check(logger, make_model("Pow", [("a", a), ("b", b)], opset=15), {"a": a, "b": b}, rtol=1e-5)


@pytest.mark.parametrize("op", ["Max", "Min", "Sum", "Mean"])
@pytest.mark.parametrize("count", [1, 2, 3])
def test_variadic(logger, rng, op, count):
    shapes = [(2, 3, 4), (3, 1), (4,)][:count]
    ins = [(f"x{i}", randn(rng, *s)) for i, s in enumerate(shapes)]
    check(logger, make_model(op, ins, opset=13), dict(ins))


def test_mod(logger, rng):
    a = rng.integers(-20, 20, (3, 4)).astype(np.int32)
    b = rng.integers(1, 6, (3, 4)).astype(np.int32) * rng.choice([-1, 1], (3, 4)).astype(np.int32)
    check(logger, make_model("Mod", [("a", a), ("b", b)], opset=13, out_types=[TensorProto.INT32]), {"a": a, "b": b})
    check(logger, make_model("Mod", [("a", a), ("b", b)], {"fmod": 1}, opset=13, out_types=[TensorProto.INT32]),
          {"a": a, "b": b})
    fa, fb = randn(rng, 3, 4) * 5, rng.uniform(0.5, 2, (3, 4)).astype(np.float32)
    check(logger, make_model("Mod", [("a", fa), ("b", fb)], {"fmod": 1}, opset=13), {"a": fa, "b": fb})
    fb = fb * rng.choice([-1, 1], (3, 4)).astype(np.float32)  # fmod=0 on floats: numpy's mod (divisor's sign)
    got = run_ingot(make_model("Mod", [("a", fa), ("b", fb)], opset=13), {"a": fa, "b": fb}, logger)["y"]
    np.testing.assert_allclose(got, np.mod(fa, fb), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op,opset", [("Equal", 13), ("Greater", 13), ("GreaterOrEqual", 16), ("Less", 13),
                                      ("LessOrEqual", 16)])
def test_compare(logger, rng, op, opset):
    a = rng.integers(-3, 3, (3, 4)).astype(np.float32)
    b = rng.integers(-3, 3, (4,)).astype(np.float32)
    check(logger, make_model(op, [("a", a), ("b", b)], opset=opset, out_types=[TensorProto.BOOL]), {"a": a, "b": b})


def test_equal_int(logger, rng):
    a, b = rng.integers(0, 3, (3, 4)).astype(np.int64), rng.integers(0, 3, (3, 4)).astype(np.int64)
    check(logger, make_model("Equal", [("a", a), ("b", b)], opset=13, out_types=[TensorProto.BOOL]), {"a": a, "b": b})


@pytest.mark.parametrize("op", ["And", "Or", "Xor"])
def test_logic(logger, rng, op):
    a, b = rng.integers(0, 2, (3, 4)).astype(bool), rng.integers(0, 2, (4,)).astype(bool)
    check(logger, make_model(op, [("a", a), ("b", b)], opset=7, out_types=[TensorProto.BOOL]), {"a": a, "b": b})


def test_not(logger, rng):
    a = rng.integers(0, 2, (3, 4)).astype(bool)
    check(logger, make_model("Not", [("a", a)], opset=7, out_types=[TensorProto.BOOL]), {"a": a})


def test_where(logger, rng):
    c = rng.integers(0, 2, (3, 1)).astype(bool)
    a, b = randn(rng, 3, 4), randn(rng, 4)
    check(logger, make_model("Where", [("c", c), ("a", a), ("b", b)], opset=16), {"c": c, "a": a, "b": b})


# ---- unary --------------------------------------------------------------------------------------

def _domain(rng, kind):
    if kind == "pos":
        return rng.uniform(0.1, 3, (3, 4)).astype(np.float32)
    if kind == "unit":
        return rng.uniform(-0.95, 0.95, (3, 4)).astype(np.float32)
    if kind == "gt1":
        return rng.uniform(1.05, 4, (3, 4)).astype(np.float32)
    if kind == "nz":
        x = rng.standard_normal((3, 4)).astype(np.float32)
        return np.where(np.abs(x) < 0.1, 0.5, x).astype(np.float32)
    if kind == "round":
        return np.array([[-2.5, -1.5, -0.5, 0.5], [1.5, 2.5, 0.4, -0.6], [3.7, -3.2, 0.0, 2.0]], np.float32)
    return rng.standard_normal((3, 4)).astype(np.float32) * 2


@pytest.mark.parametrize("op,kind,opset,tol", [
    ("Abs", "any", 13, 1e-6), ("Neg", "any", 13, 1e-6), ("Exp", "any", 13, 1e-5), ("Log", "pos", 13, 1e-5),
    ("Sqrt", "pos", 13, 1e-6), ("Reciprocal", "nz", 13, 1e-6), ("Floor", "any", 13, 0), ("Ceil", "any", 13, 0),
    ("Round", "round", 11, 0), ("Sin", "any", 7, 1e-5), ("Cos", "any", 7, 1e-5), ("Tan", "unit", 7, 1e-5),
    ("Asin", "unit", 7, 1e-5), ("Acos", "unit", 7, 1e-5), ("Atan", "any", 7, 1e-5), ("Sinh", "any", 9, 1e-5),
    ("Cosh", "any", 9, 1e-5), ("Asinh", "any", 9, 1e-5), ("Acosh", "gt1", 9, 1e-5), ("Atanh", "unit", 9, 1e-5),
    ("Erf", "any", 13, 1e-5), ("Sign", "any", 13, 0),
])
def test_unary(logger, rng, op, kind, opset, tol):
    x = _domain(rng, kind)
    unary_check(logger, rng, op, opset=opset, x=x, rtol=tol, atol=tol)


def test_isnan(logger):
    x = np.array([[1.0, np.nan, -np.inf], [np.inf, 0.0, np.nan]], np.float32)
    unary_check(logger, None, "IsNaN", opset=13, x=x, out_type=TensorProto.BOOL)


@pytest.mark.parametrize("attrs", [{}, {"detect_negative": 0}, {"detect_positive": 0},
                                   {"detect_negative": 0, "detect_positive": 0}])
def test_isinf(logger, attrs):
    x = np.array([[1.0, np.nan, -np.inf], [np.inf, 0.0, -2.0]], np.float32)
    unary_check(logger, None, "IsInf", attrs, opset=10, x=x, out_type=TensorProto.BOOL)


# ---- MatMul and Gemm ----------------------------------------------------------------------------

@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((4,), (4, 5)), ((2, 3, 4), (4,)),
                                   ((2, 1, 3, 4), (5, 4, 6)), ((4,), (4,)), ((4,), (2, 4, 3))])
def test_matmul(logger, rng, sa, sb):
    a, b = randn(rng, *sa), randn(rng, *sb)
    check(logger, make_model("MatMul", [("a", a), ("b", b)], opset=13), {"a": a, "b": b}, rtol=1e-4, atol=1e-5)


def test_matmul_constant_b(logger, rng):
    a, b = randn(rng, 2, 3, 4), randn(rng, 4, 5)
    check(logger, make_model("MatMul", [("a", a), ("b", b)], opset=13, inits={"b": b}), {"a": a}, rtol=1e-4)


@pytest.mark.parametrize("trans_a", [0, 1])
@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize("b_const", [True, False])
@pytest.mark.parametrize("c_shape", [None, (5,), (1, 5), (3, 5), (3, 1), ()])
def test_gemm(logger, rng, trans_a, trans_b, b_const, c_shape):
    M, K, N = 3, 4, 5
    a = randn(rng, *((K, M) if trans_a else (M, K)))
    b = randn(rng, *((N, K) if trans_b else (K, N)))
    inputs, inits, feeds = [("a", a), ("b", b)], {}, {"a": a}
    if b_const:
        inits["b"] = b
    else:
        feeds["b"] = b
    if c_shape is not None:
        c = randn(rng, *c_shape)
        inputs.append(("c", c))
        inits["c"] = c
    attrs = {"transA": trans_a, "transB": trans_b, "alpha": 0.7, "beta": 1.3}
    check(logger, make_model("Gemm", inputs, attrs, opset=13, inits=inits), feeds, rtol=1e-4, atol=1e-5)


def test_gemm_defaults_c_input(logger, rng):
    a, b, c = randn(rng, 3, 4), randn(rng, 4, 5), randn(rng, 3, 5)
    check(logger, make_model("Gemm", [("a", a), ("b", b), ("c", c)], opset=11), {"a": a, "b": b, "c": c}, rtol=1e-4)


# ---- softmax ------------------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("opset,axis", [(11, None), (11, 1), (11, 0), (11, -1), (11, 2), (13, None), (13, 1),
                                        (13, 0), (13, -2)])
def test_softmax(logger, rng, op, opset, axis):
    x = randn(rng, 2, 3, 4) * 2
    attrs = {} if axis is None else {"axis": axis}
    check(logger, make_model(op, [("x", x)], attrs, opset), {"x": x}, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("opset,axis", [(11, None), (11, 2), (13, None), (13, 1), (13, 0)])
def test_hardmax(logger, rng, opset, axis):
    x = rng.integers(0, 3, (2, 3, 4)).astype(np.float32)  # ties: the first maximum wins
    attrs = {} if axis is None else {"axis": axis}
    check(logger, make_model("Hardmax", [("x", x)], attrs, opset), {"x": x})


# ---- reductions ---------------------------------------------------------------------------------

REDUCE_OPS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
              "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"]


def _reduce_input(rng, op):
    if op in ("ReduceLogSum",):
        return rng.uniform(0.5, 2, (2, 3, 4)).astype(np.float32)
    if op == "ReduceProd":
        return rng.uniform(0.5, 1.5, (2, 3, 4)).astype(np.float32)
    return randn(rng, 2, 3, 4)


@pytest.mark.parametrize("op", REDUCE_OPS)
@pytest.mark.parametrize("axes,keepdims", [(None, 1), (None, 0), ([1], 1), ([1], 0), ([0, 2], 1), ([-1], 0)])
def test_reduce_attr_axes(logger, rng, op, axes, keepdims):
    x = _reduce_input(rng, op)
    attrs = {"keepdims": keepdims}
    if axes is not None:
        attrs["axes"] = axes
    check(logger, make_model(op, [("x", x)], attrs, opset=11), {"x": x}, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", REDUCE_OPS)
@pytest.mark.parametrize("axes,keepdims,noop", [(None, 1, 0), ([1], 1, 0), ([0, -1], 0, 0), (None, 1, 1),
                                                ([2], 0, 1)])
def test_reduce_input_axes(logger, rng, op, axes, keepdims, noop):
    x = _reduce_input(rng, op)
    inputs, inits = [("x", x)], {}
    if axes is not None:
        inits["axes"] = np.array(axes, np.int64)
        inputs.append(("axes", inits["axes"]))
    attrs = {"keepdims": keepdims, "noop_with_empty_axes": noop}
    check(logger, make_model(op, inputs, attrs, opset=18, inits=inits), {"x": x}, rtol=1e-5, atol=1e-5)


def test_reduce_sum_opset13(logger, rng):
    x = randn(rng, 2, 3, 4)
    inits = {"axes": np.array([0, 2], np.int64)}
    check(logger, make_model("ReduceSum", [("x", x), ("axes", inits["axes"])], {"keepdims": 0}, 13, inits=inits),
          {"x": x})


def test_reduce_int(logger, rng):
    x = rng.integers(-5, 5, (2, 3, 4)).astype(np.int64)
    check(logger, make_model("ReduceMax", [("x", x)], {"axes": [1]}, 13, out_types=[TensorProto.INT64]), {"x": x})


@pytest.mark.parametrize("op", ["ReduceMax", "ReduceMin"])
@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int8])
def test_reduce_max_min_small_types(logger, rng, op, dtype):
    x = (rng.integers(0, 2, (2, 3, 4)).astype(bool) if dtype == np.bool_
         else rng.integers(np.iinfo(dtype).min, np.iinfo(dtype).max + 1, (2, 3, 4)).astype(dtype))
    inits = {"axes": np.array([1], np.int64)}
    model = make_model(op, [("x", x), ("axes", inits["axes"])], {"keepdims": 0}, 20, inits=inits,
                       out_types=[_elem(x)])
    check(logger, model, {"x": x})


def test_reduce_axes_tensor_refused(logger, rng):
    x, axes = randn(rng, 2, 3), np.array([1], np.int64)
    expect_parse_error(logger, make_model("ReduceSum", [("x", x), ("axes", axes)], opset=13), "axes")


# ---- ArgMax / ArgMin / CumSum / Einsum ----------------------------------------------------------

@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("axis,keepdims", [(None, None), (1, 1), (2, 0), (-1, 1), (0, 0)])
def test_arg(logger, rng, op, axis, keepdims):
    x = rng.integers(0, 4, (2, 3, 4)).astype(np.float32)  # ties: the first index wins
    attrs = {}
    if axis is not None:
        attrs["axis"] = axis
    if keepdims is not None:
        attrs["keepdims"] = keepdims
    check(logger, make_model(op, [("x", x)], attrs, 13, out_types=[TensorProto.INT64]), {"x": x})


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("axis,keepdims", [(0, 1), (1, 0), (-1, 1)])
def test_arg_select_last(logger, rng, op, axis, keepdims):
    x = rng.integers(0, 3, (3, 4, 5)).astype(np.float32)  # many ties: the last one must win
    attrs = {"axis": axis, "keepdims": keepdims, "select_last_index": 1}
    check(logger, make_model(op, [("x", x)], attrs, 13, out_types=[TensorProto.INT64]), {"x": x})


def test_arg_select_last_refused(logger, rng):
    x = randn(rng, 2, 3)
    expect_parse_error(logger, make_model("ArgMax", [("x", x)], {"select_last_index": 2}, 13,
                                          out_types=[TensorProto.INT64]), "ArgMax", "select_last_index is 2")


@pytest.mark.parametrize("axis,exclusive,reverse", [(0, 0, 0), (1, 0, 0), (-1, 1, 0), (1, 0, 1), (2, 1, 1)])
def test_cumsum(logger, rng, axis, exclusive, reverse):
    x = randn(rng, 2, 3, 4)
    inits = {"axis": np.array(axis, np.int64)}
    model = make_model("CumSum", [("x", x), ("axis", inits["axis"])], {"exclusive": exclusive, "reverse": reverse},
                       14, inits=inits)
    check(logger, model, {"x": x}, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("eq,shapes", [("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
                                       ("ij->ji", [(3, 4)]), ("i,i->", [(5,), (5,)]),
                                       ("bij, bkj -> bik", [(2, 3, 4), (2, 5, 4)]), ("ij->i", [(3, 4)])])
def test_einsum(logger, rng, eq, shapes):
    ins = [(f"x{i}", randn(rng, *s)) for i, s in enumerate(shapes)]
    check(logger, make_model("Einsum", ins, {"equation": eq}, 12), dict(ins), rtol=1e-4, atol=1e-5)


# ---- quantization and casts ---------------------------------------------------------------------

@pytest.mark.parametrize("zp_dtype", [np.uint8, np.int8, None])
def test_quantize_per_tensor(logger, rng, zp_dtype):
    x = randn(rng, 2, 3, 4) * 3
    inits = {"s": np.array(0.05, np.float32)}
    inputs = [("x", x), ("s", inits["s"])]
    if zp_dtype is not None:
        inits["zp"] = np.array(3, zp_dtype)
        inputs.append(("zp", inits["zp"]))
    out = _elem(np.zeros(1, zp_dtype or np.uint8))
    check(logger, make_model("QuantizeLinear", inputs, opset=13, inits=inits, out_types=[out]), {"x": x})


def test_quantize_per_axis(logger, rng):
    x = randn(rng, 2, 3, 4) * 3
    inits = {"s": np.array([0.02, 0.05, 0.1], np.float32), "zp": np.array([0, -3, 5], np.int8)}
    model = make_model("QuantizeLinear", [("x", x), ("s", inits["s"]), ("zp", inits["zp"])], {"axis": 1}, 13,
                       inits=inits, out_types=[TensorProto.INT8])
    check(logger, model, {"x": x})


def test_quantize_opset10(logger, rng):
    x = randn(rng, 3, 4) * 3
    inits = {"s": np.array(0.03, np.float32), "zp": np.array(128, np.uint8)}
    model = make_model("QuantizeLinear", [("x", x), ("s", inits["s"]), ("zp", inits["zp"])], opset=10, inits=inits,
                       out_types=[TensorProto.UINT8])
    check(logger, model, {"x": x})


@pytest.mark.parametrize("xdtype", [np.uint8, np.int8])
@pytest.mark.parametrize("per_axis", [False, True])
def test_dequantize(logger, rng, xdtype, per_axis):
    info = np.iinfo(xdtype)
    x = rng.integers(info.min, info.max + 1, (2, 3, 4)).astype(xdtype)
    if per_axis:
        inits = {"s": np.array([0.02, 0.05, 0.1], np.float32), "zp": np.array([0, 3, 5], xdtype)}
        attrs = {"axis": 1}
    else:
        inits = {"s": np.array(0.05, np.float32), "zp": np.array(7, xdtype)}
        attrs = {}
    model = make_model("DequantizeLinear", [("x", x), ("s", inits["s"]), ("zp", inits["zp"])], attrs, 13,
                       inits=inits)
    check(logger, model, {"x": x})


def test_quantize_dequantize_chain(logger, rng):
    x = randn(rng, 2, 8)
    inits = {"s": np.array(0.02, np.float32), "zp": np.array(0, np.int8)}
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"]),
             helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["y"])]
    check(logger, make_model(None, [("x", x)], opset=13, inits=inits, nodes=nodes), {"x": x})


@pytest.mark.parametrize("src,to", [(np.float32, TensorProto.INT32), (np.float32, TensorProto.INT64),
                                    (np.int64, TensorProto.FLOAT), (np.int32, TensorProto.INT64),
                                    (np.float32, TensorProto.BOOL), (np.float32, TensorProto.FLOAT16),
                                    (np.float32, TensorProto.UINT8), (np.bool_, TensorProto.FLOAT),
                                    (np.float32, TensorProto.FLOAT)])
def test_cast(logger, rng, src, to):
    if src == np.bool_:
        x = rng.integers(0, 2, (3, 4)).astype(bool)
    elif np.issubdtype(src, np.integer):
        x = rng.integers(-100, 100, (3, 4)).astype(src)
    else:
        x = (randn(rng, 3, 4) * 10).astype(src)
        if to == TensorProto.UINT8:
            x = np.abs(x)
        if to == TensorProto.BOOL:
            x[0, :2] = 0
    model = make_model("Cast", [("x", x)], {"to": to}, 13, out_types=[to])
    check(logger, model, {"x": x}, rtol=1e-3, atol=1e-3)


def test_cast_constant_folds(logger, rng):
    x = randn(rng, 2, 3)
    inits = {"c": np.array([1, 2, 3], np.int64)}
    nodes = [helper.make_node("Cast", ["c"], ["cf"], to=TensorProto.FLOAT), helper.make_node("Add", ["x", "cf"], ["y"])]
    check(logger, make_model(None, [("x", x)], opset=13, inits=inits, nodes=nodes), {"x": x})


@pytest.mark.parametrize("to,name", [(TensorProto.DOUBLE, "DOUBLE"), (TensorProto.INT16, "INT16"),
                                     (TensorProto.STRING, "STRING")])
def test_cast_unsupported_dtype(logger, rng, to, name):
    x = randn(rng, 3, 4)
    expect_parse_error(logger, make_model("Cast", [("x", x)], {"to": to}, 13, out_types=[to]), "to", name)


def test_cast_like(logger, rng):
    x = randn(rng, 3, 4) * 10
    t = np.zeros((1,), np.int32)
    model = make_model("CastLike", [("x", x), ("t", t)], opset=15, out_types=[TensorProto.INT32])
    check(logger, model, {"x": x, "t": t})


# ---- dynamic dims (the shapes come from the profile at build time) -------------------------------
# Importers that need the rank of a value computed from a dynamic input get it from the
# network's shape inference (dynamic dims left -1) or from the model's value_info, which
# exporters write (onnx.shape_inference): `declared` runs each model both ways.


def declare(model, declared, request):
    return onnx.shape_inference.infer_shapes(model) if declared else model


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax", "Hardmax"])
@pytest.mark.parametrize("dyn", [(0,), (0, 2), (1,)])
@pytest.mark.parametrize("declared", [True, False])
def test_dynamic_softmax_legacy(logger, rng, op, dyn, declared, request):
    x = randn(rng, 2, 3, 4)
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node(op, ["r"], ["y"], axis=1)]
    model = make_model(None, [("x", x)], opset=11, nodes=nodes, dynamic={"x": dyn})
    check(logger, declare(model, declared, request), {"x": x})


@pytest.mark.parametrize("declared", [True, False])
def test_dynamic_chain(logger, rng, declared, request):
    x, w = randn(rng, 2, 3, 4), randn(rng, 4, 5)
    slope = np.array([0.1, 0.2, 0.3, 0.4, 0.5], np.float32)
    inits = {"w": w, "slope": slope, "axes": np.array([-1], np.int64)}
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("PRelu", ["m", "slope"], ["p"]),
             helper.make_node("ReduceMean", ["p", "axes"], ["r"], keepdims=0),
             helper.make_node("ArgMax", ["p"], ["a"], axis=-1, keepdims=0),
             helper.make_node("Softmax", ["r"], ["y"])]
    model = make_model(None, [("x", x)], opset=18, outputs=("y", "a"), out_types=[F, TensorProto.INT64],
                       inits=inits, nodes=nodes, dynamic={"x": (0, 1)})
    check(logger, declare(model, declared, request), {"x": x})


def test_dynamic_gemm(logger, rng):
    a, b, c = randn(rng, 3, 4), randn(rng, 4, 5), randn(rng, 5)
    model = make_model("Gemm", [("a", a), ("b", b), ("c", c)], {"alpha": 0.5}, 13, inits={"b": b, "c": c},
                       dynamic={"a": (0,)})
    check(logger, model, {"a": a}, rtol=1e-4)


@pytest.mark.parametrize("block,shape,axis", [(2, (4, 6), 1), (3, (5, 4), 0), (4, (2, 3, 10), 2)])
def test_quantize_dequantize_blocked(logger, rng, block, shape, axis):
    """Blocked QuantizeLinear / DequantizeLinear (opset 21+) against onnx's reference."""
    from onnx.reference import ReferenceEvaluator
    nb = -(-shape[axis] // block)
    sshape = list(shape)
    sshape[axis] = nb
    x = randn(rng, *shape) * 4
    scale = rng.uniform(0.02, 0.2, sshape).astype(np.float32)
    zp = rng.integers(-20, 20, sshape).astype(np.int8)
    q = make_model("QuantizeLinear", [("x", x), ("s", scale), ("z", zp)], {"axis": axis, "block_size": block}, 21,
                   inits={"s": scale, "z": zp}, out_types=[TensorProto.INT8])
    want = ReferenceEvaluator(q).run(None, {"x": x})[0]
    np.testing.assert_array_equal(run_ingot(q, {"x": x}, logger)["y"], want)
    d = make_model("DequantizeLinear", [("q", want), ("s", scale), ("z", zp)], {"axis": axis, "block_size": block}, 21,
                   inits={"s": scale, "z": zp})
    np.testing.assert_allclose(run_ingot(d, {"q": want}, logger)["y"], ReferenceEvaluator(d).run(None, {"q": want})[0],
                               rtol=1e-6)
    bad = make_model("DequantizeLinear", [("q", want), ("s", scale), ("z", zp)], {"axis": axis, "block_size": block + 5},
                     21, inits={"s": scale, "z": zp})
    expect_parse_error(logger, bad, "DequantizeLinear", "opset 21", "blocks along axis")


@pytest.mark.parametrize("op", ["ReduceMax", "ReduceMin"])
@pytest.mark.parametrize("dtype,onnx_type", [(np.bool_, TensorProto.BOOL), (np.int8, TensorProto.INT8),
                                             (np.uint8, TensorProto.UINT8)])
def test_reduce_max_min_small_types_empty_and_not(logger, rng, op, dtype, onnx_type):
    """Max/min of bool and 8-bit values (run in int32): random data, and the empty set, whose
    result is the dtype's own extreme (numpy's identity), not a wrapped int32 one."""
    x = (rng.integers(0, 2, (3, 4)) if dtype == np.bool_ else rng.integers(-100, 100, (3, 4))).astype(dtype)
    axes = np.array([1], np.int64)
    model = make_model(op, [("x", x), ("axes", axes)], {"keepdims": 0}, 18, inits={"axes": axes},
                       out_types=[onnx_type])
    want = (np.max if op == "ReduceMax" else np.min)(x, axis=1)
    np.testing.assert_array_equal(run_ingot(model, {"x": x}, logger)["y"], want)
    e = np.zeros((2, 0, 3), dtype)
    model = make_model(op, [("x", e), ("axes", axes)], {"keepdims": 1}, 18, inits={"axes": axes},
                       out_types=[onnx_type])
    info = (0, 1) if dtype == np.bool_ else (np.iinfo(dtype).min, np.iinfo(dtype).max)
    want = np.full((2, 1, 3), info[0] if op == "ReduceMax" else info[1]).astype(dtype)
    np.testing.assert_array_equal(run_ingot(model, {"x": e}, logger)["y"], want)
