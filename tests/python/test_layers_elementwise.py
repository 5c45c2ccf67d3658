"""Layer tier for activation, parametric relu, elementwise, unary, scale and select:
networks of one layer built through the Python package, run with ingot.run_network and
compared with NumPy references on random inputs."""
import math

import numpy as np
import pytest

import ingot

A = ingot.ActivationType
E = ingot.ElementWiseOperation
U = ingot.UnaryOperation


def run_layer(logger, inputs, build, name=None):
    """Builds a network whose inputs are `inputs` (dict name -> array), adds the layer made
    by build(network, tensors) and returns its output as run by ingot."""
    net = ingot.Network(logger)
    try:
        tensors = {n: net.add_input(n, a.dtype, a.shape) for n, a in inputs.items()}
        layer = build(net, tensors)
        if name:
            layer.name = name
        out = layer.get_output(0)
        out.name = "y"
        net.mark_output(out)
        return ingot.run_network(net, inputs, logger=logger)["y"]
    finally:
        net.close()


# ---- activation -------------------------------------------------------------------------------

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(0.0, x)  # log(1 + exp(x)), stable


ACTIVATIONS = [
    (A.RELU, 0.0, 0.0, lambda x, a, b: np.maximum(x, 0)),
    (A.LEAKY_RELU, 0.15, 0.0, lambda x, a, b: np.where(x >= 0, x, a * x)),
    (A.SIGMOID, 0.0, 0.0, lambda x, a, b: _sigmoid(x)),
    (A.TANH, 0.0, 0.0, lambda x, a, b: np.tanh(x)),
    (A.ELU, 0.8, 0.0, lambda x, a, b: np.where(x >= 0, x, a * np.expm1(x))),
    (A.SELU, 1.6732632, 1.050701, lambda x, a, b: b * np.where(x >= 0, x, a * np.expm1(x))),
    (A.SOFTPLUS, 1.5, 0.7, lambda x, a, b: a * _softplus(b * x)),
    (A.SOFTSIGN, 0.0, 0.0, lambda x, a, b: x / (1 + np.abs(x))),
    (A.CLIP, -0.6, 1.3, lambda x, a, b: np.clip(x, a, b)),
    (A.HARD_SIGMOID, 0.2, 0.5, lambda x, a, b: np.clip(a * x + b, 0, 1)),
    (A.HARD_SWISH, 0.0, 0.0, lambda x, a, b: x * np.clip(x / 6 + 0.5, 0, 1)),
    (A.GELU_ERF, 0.0, 0.0, lambda x, a, b: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    (A.GELU_TANH, 0.0, 0.0,
     lambda x, a, b: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    (A.SILU, 0.0, 0.0, lambda x, a, b: x * _sigmoid(x)),
    (A.MISH, 0.0, 0.0, lambda x, a, b: x * np.tanh(_softplus(x))),
    (A.SCALED_TANH, 1.7159, 0.6667, lambda x, a, b: a * np.tanh(b * x)),
    (A.THRESHOLDED_RELU, 0.4, 0.0, lambda x, a, b: np.where(x > a, x, 0)),
]


def test_every_activation_is_tested():
    assert sorted(int(t) for t, *_ in ACTIVATIONS) == list(range(len(A)))


@pytest.mark.parametrize("kind,alpha,beta,ref", ACTIVATIONS, ids=[t.name for t, *_ in ACTIVATIONS])
def test_activation(logger, rng, kind, alpha, beta, ref):
    x = rng.uniform(-5, 5, size=(2, 3, 7, 5)).astype(np.float32)
    x[0, 0, 0, :4] = [60.0, -60.0, 95.0, -95.0]  # far tails: nothing may overflow to inf or NaN
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_activation(t["x"], kind, alpha, beta))
    want = ref(x.astype(np.float64), np.float64(np.float32(alpha)), np.float64(np.float32(beta)))
    assert y.dtype == np.float32 and y.shape == x.shape
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y, want, rtol=2e-5, atol=1e-6)


def test_activation_rejects_int(logger):
    x = np.arange(6, dtype=np.int32).reshape(2, 3) + 1
    with pytest.raises(ingot.IngotError, match="int32"):
        run_layer(logger, {"x": x}, lambda n, t: n.add_activation(t["x"], A.RELU))


@pytest.mark.parametrize("slope_shape", [(3, 1, 1), (1,), (4,), (2, 3, 5, 4), (1, 3, 1, 4)])
def test_parametric_relu(logger, rng, slope_shape):
    x = rng.uniform(-3, 3, size=(2, 3, 5, 4)).astype(np.float32)
    s = rng.uniform(0.05, 0.9, size=slope_shape).astype(np.float32)
    y = run_layer(logger, {"x": x, "s": s}, lambda n, t: n.add_parametric_relu(t["x"], t["s"]))
    np.testing.assert_allclose(y, np.where(x >= 0, x, s * x), rtol=1e-6, atol=1e-7)


# ---- elementwise -----------------------------------------------------------------------------------

BROADCAST_SHAPES = [
    ((3, 4), (3, 4)),            # same
    ((3, 4), ()),                # scalar b
    ((), (3, 4)),                # scalar a
    ((3, 4), (4,)),              # row
    ((3, 4), (3, 1)),            # column
    ((2, 3, 4), (3, 4)),         # rank mismatch
    ((3, 1), (1, 4)),            # both sides
    ((2, 1, 3, 1), (5, 1, 4)),   # both sides, rank mismatch
    ((1,), (2, 3)),
]

FLOAT_OPS = {
    E.SUM: np.add, E.SUB: np.subtract, E.PROD: np.multiply, E.DIV: np.divide,
    E.MIN: np.minimum, E.MAX: np.maximum, E.POW: np.power,
    E.FLOOR_DIV: np.floor_divide, E.MOD: np.mod, E.FMOD: np.fmod,
}

COMPARISONS = {E.EQUAL: np.equal, E.GREATER: np.greater, E.GREATER_EQUAL: np.greater_equal,
               E.LESS: np.less, E.LESS_EQUAL: np.less_equal}


def _nonzero(rng, shape, lo, hi, dtype):
    v = rng.integers(lo, hi, size=shape).astype(dtype)
    v[v == 0] = 1
    return v


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=[f"{a}x{b}" for a, b in BROADCAST_SHAPES])
@pytest.mark.parametrize("op", list(FLOAT_OPS), ids=[o.name for o in FLOAT_OPS])
def test_elementwise_float32(logger, rng, op, shapes):
    sa, sb = shapes
    a = rng.uniform(-3, 3, size=sa).astype(np.float32)
    b = rng.uniform(-3, 3, size=sb).astype(np.float32)
    if op == E.POW:
        a = np.abs(a) + np.float32(0.1)  # real results only
    if op in (E.DIV, E.FLOOR_DIV, E.MOD, E.FMOD):
        b = np.where(np.abs(b) < 0.1, np.float32(0.5), b).astype(np.float32)
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    y = run_layer(logger, {"a": a, "b": b}, lambda n, t: n.add_elementwise(t["a"], t["b"], op))
    want = FLOAT_OPS[op](a, b)  # float32 NumPy, as ingot computes
    assert y.dtype == np.float32 and y.shape == want.shape
    np.testing.assert_allclose(y, want, rtol=2e-6, atol=1e-6)


def _int_ref(op, a, b):
    if op == E.DIV:  # C division truncates toward zero
        q = np.abs(a) // np.abs(b)
        return (np.sign(a) * np.sign(b) * q).astype(a.dtype)
    if op == E.POW:
        return np.power(a, b)
    return {E.SUM: np.add, E.SUB: np.subtract, E.PROD: np.multiply, E.MIN: np.minimum, E.MAX: np.maximum,
            E.FLOOR_DIV: np.floor_divide, E.MOD: np.mod, E.FMOD: np.fmod}[op](a, b)


INT_OPS = [E.SUM, E.SUB, E.PROD, E.DIV, E.MIN, E.MAX, E.POW, E.FLOOR_DIV, E.MOD, E.FMOD]


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int8, np.uint8])
@pytest.mark.parametrize("op", INT_OPS, ids=[o.name for o in INT_OPS])
def test_elementwise_integer(logger, rng, op, dtype):
    signed = np.issubdtype(dtype, np.signedinteger)
    lo = -60 if signed else 0
    a = rng.integers(lo, 100, size=(3, 5)).astype(dtype)
    b = _nonzero(rng, (5,), -9 if signed else 1, 10, dtype)
    if op == E.POW:
        b = rng.integers(0, 5, size=(5,)).astype(dtype)
    y = run_layer(logger, {"a": a, "b": b}, lambda n, t: n.add_elementwise(t["a"], t["b"], op))
    with np.errstate(over="ignore"):
        want = _int_ref(op, a, b)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, want)


def test_elementwise_int32_wraps(logger):
    a = np.array([2**31 - 1, -2**31, 70000], dtype=np.int32)
    b = np.array([1, -1, 70000], dtype=np.int32)
    y = run_layer(logger, {"a": a, "b": b}, lambda n, t: n.add_elementwise(t["a"], t["b"], E.PROD))
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(y, a * b)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("op", [E.DIV, E.FLOOR_DIV, E.MOD, E.FMOD], ids=lambda o: o.name)
def test_integer_division_by_zero_fails(logger, rng, op, dtype):
    a = rng.integers(1, 50, size=(2, 4)).astype(dtype)
    b = np.array([3, -2, 0, 5], dtype=dtype)
    with pytest.raises(ingot.IngotError) as err:
        run_layer(logger, {"a": a, "b": b}, lambda n, t: n.add_elementwise(t["a"], t["b"], op), name="divz")
    assert err.value.status == ingot.Status.RUNTIME_ERROR
    assert "divz" in err.value.message and "division by zero" in err.value.message


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64, np.bool_])
@pytest.mark.parametrize("op", list(COMPARISONS), ids=[o.name for o in COMPARISONS])
def test_comparisons_give_bool(logger, rng, op, dtype):
    if dtype == np.bool_:
        a = rng.integers(0, 2, size=(4, 6)).astype(bool)
        b = rng.integers(0, 2, size=(6,)).astype(bool)
    else:
        a = rng.integers(-3, 4, size=(4, 6)).astype(dtype)  # small range: many equal pairs
        b = rng.integers(-3, 4, size=(6,)).astype(dtype)
    y = run_layer(logger, {"a": a, "b": b}, lambda n, t: n.add_elementwise(t["a"], t["b"], op))
    assert y.dtype == np.bool_
    np.testing.assert_array_equal(y, COMPARISONS[op](a, b))


@pytest.mark.parametrize("op,ref", [(E.AND, np.logical_and), (E.OR, np.logical_or), (E.XOR, np.logical_xor)],
                         ids=["AND", "OR", "XOR"])
def test_logic(logger, rng, op, ref):
    a = rng.integers(0, 2, size=(3, 1, 5)).astype(bool)
    b = rng.integers(0, 2, size=(4, 5)).astype(bool)
    y = run_layer(logger, {"a": a, "b": b}, lambda n, t: n.add_elementwise(t["a"], t["b"], op))
    assert y.dtype == np.bool_
    np.testing.assert_array_equal(y, ref(a, b))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.int64])
def test_bitwise_layers(logger, rng, dtype):
    info = np.iinfo(dtype)
    a = rng.integers(info.min, info.max, size=(3, 1, 5), dtype=dtype, endpoint=True)
    b = rng.integers(info.min, info.max, size=(4, 5), dtype=dtype, endpoint=True)
    for op, ref in ((E.BITWISE_AND, np.bitwise_and), (E.BITWISE_OR, np.bitwise_or), (E.BITWISE_XOR, np.bitwise_xor)):
        y = run_layer(logger, {"a": a, "b": b}, lambda n, t: n.add_elementwise(t["a"], t["b"], op))
        assert y.dtype == dtype
        np.testing.assert_array_equal(y, ref(a, b))
    s = rng.integers(0, info.bits, size=(4, 5)).astype(dtype)
    s[0, 0] = info.bits + 1 if info.max > info.bits else s[0, 0]  # past the width: everything shifted out
    y = run_layer(logger, {"a": a, "s": s}, lambda n, t: n.add_elementwise(t["a"], t["s"], E.SHIFT_LEFT))
    want = np.where(s >= info.bits, 0, np.left_shift(a, np.minimum(s, info.bits - 1)))
    np.testing.assert_array_equal(y, want.astype(dtype))
    y = run_layer(logger, {"a": a, "s": s}, lambda n, t: n.add_elementwise(t["a"], t["s"], E.SHIFT_RIGHT))
    want = np.where(s >= info.bits, np.where(a < 0, -1, 0), np.right_shift(a, np.minimum(s, info.bits - 1)))
    np.testing.assert_array_equal(y, want.astype(dtype))
    y = run_layer(logger, {"x": b}, lambda n, t: n.add_unary(t["x"], U.BITWISE_NOT))
    np.testing.assert_array_equal(y, np.invert(b))


def test_bitwise_layers_reject_floats(logger):
    a = np.ones((2, 3), np.float32)
    with pytest.raises(ingot.IngotError, match="bitwise_and takes integer dtypes, found float32"):
        run_layer(logger, {"a": a, "b": a.copy()}, lambda n, t: n.add_elementwise(t["a"], t["b"], E.BITWISE_AND))
    with pytest.raises(ingot.IngotError, match="bitwise_not takes integer dtypes"):
        run_layer(logger, {"x": a}, lambda n, t: n.add_unary(t["x"], U.BITWISE_NOT))


def test_elementwise_errors(logger):
    a = np.ones((2, 3), np.float32)
    with pytest.raises(ingot.IngotError, match=r"a is 2x3 and b is 4x3: dim 0 \(2 vs 4\) cannot broadcast"):
        run_layer(logger, {"a": a, "b": np.ones((4, 3), np.float32)},
                  lambda n, t: n.add_elementwise(t["a"], t["b"], E.SUM))
    with pytest.raises(ingot.IngotError, match="float32.*int32"):
        run_layer(logger, {"a": a, "b": np.ones((2, 3), np.int32)},
                  lambda n, t: n.add_elementwise(t["a"], t["b"], E.SUM))
    with pytest.raises(ingot.IngotError, match="bool"):
        run_layer(logger, {"a": a, "b": a.copy()}, lambda n, t: n.add_elementwise(t["a"], t["b"], E.AND))


# ---- unary -------------------------------------------------------------------------------------------

UNARY_FLOAT = {
    U.EXP: (np.exp, (-4, 4)), U.LOG: (np.log, (0.01, 10)), U.SQRT: (np.sqrt, (0, 10)),
    U.ABS: (np.abs, (-5, 5)), U.NEG: (np.negative, (-5, 5)), U.RECIPROCAL: (np.reciprocal, (0.1, 5)),
    U.FLOOR: (np.floor, (-5, 5)), U.CEIL: (np.ceil, (-5, 5)), U.ROUND: (np.round, (-5, 5)),
    U.SIN: (np.sin, (-6, 6)), U.COS: (np.cos, (-6, 6)), U.TAN: (np.tan, (-1.4, 1.4)),
    U.ASIN: (np.arcsin, (-0.99, 0.99)), U.ACOS: (np.arccos, (-0.99, 0.99)), U.ATAN: (np.arctan, (-5, 5)),
    U.SINH: (np.sinh, (-4, 4)), U.COSH: (np.cosh, (-4, 4)), U.ASINH: (np.arcsinh, (-5, 5)),
    U.ACOSH: (np.arccosh, (1.01, 10)), U.ATANH: (np.arctanh, (-0.99, 0.99)),
    U.ERF: (_erf, (-3, 3)), U.SIGN: (np.sign, (-5, 5)),
}


def test_every_unary_is_tested():
    covered = set(UNARY_FLOAT) | {U.NOT, U.ISNAN, U.ISINF, U.BITWISE_NOT}
    assert covered == set(U)


@pytest.mark.parametrize("op", list(UNARY_FLOAT), ids=[o.name for o in UNARY_FLOAT])
def test_unary_float32(logger, rng, op):
    ref, (lo, hi) = UNARY_FLOAT[op]
    x = rng.uniform(lo, hi, size=(3, 4, 5)).astype(np.float32)
    if op in (U.ROUND, U.FLOOR, U.CEIL, U.SIGN):
        x.flat[:8] = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.0, 3.0]  # ties: half to even
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_unary(t["x"], op))
    want = ref(x.astype(np.float64))
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y, want, rtol=3e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("op,ref", [(U.ABS, np.abs), (U.NEG, np.negative), (U.SIGN, np.sign)],
                         ids=["ABS", "NEG", "SIGN"])
def test_unary_integer(logger, rng, op, ref, dtype):
    x = rng.integers(-1000, 1000, size=(4, 6)).astype(dtype)
    x[0, 0] = 0
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_unary(t["x"], op))
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, ref(x))


def test_unary_not_isnan_isinf(logger, rng):
    b = rng.integers(0, 2, size=(3, 7)).astype(bool)
    y = run_layer(logger, {"x": b}, lambda n, t: n.add_unary(t["x"], U.NOT))
    np.testing.assert_array_equal(y, ~b)
    x = rng.uniform(-1, 1, size=(3, 7)).astype(np.float32)
    x[0, :4] = [np.nan, np.inf, -np.inf, np.nan]
    for op, ref in ((U.ISNAN, np.isnan), (U.ISINF, np.isinf)):
        y = run_layer(logger, {"x": x}, lambda n, t: n.add_unary(t["x"], op))
        assert y.dtype == np.bool_
        np.testing.assert_array_equal(y, ref(x))


def test_unary_rejects_wrong_dtypes(logger):
    with pytest.raises(ingot.IngotError, match="int32"):
        run_layer(logger, {"x": np.ones((2, 2), np.int32)}, lambda n, t: n.add_unary(t["x"], U.EXP))
    with pytest.raises(ingot.IngotError, match="float32"):
        run_layer(logger, {"x": np.ones((2, 2), np.float32)}, lambda n, t: n.add_unary(t["x"], U.NOT))


# ---- scale -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", list(ingot.ScaleMode), ids=[m.name for m in ingot.ScaleMode])
@pytest.mark.parametrize("which", ["all", "shift", "scale", "power", "scale+shift"])
def test_scale(logger, rng, mode, which):
    x = rng.uniform(0.2, 2.0, size=(2, 3, 4, 5)).astype(np.float32)
    coef_shape = {ingot.ScaleMode.UNIFORM: (1,), ingot.ScaleMode.CHANNEL: (3,),
                  ingot.ScaleMode.ELEMENTWISE: (3, 4, 5)}[mode]
    bshape = {ingot.ScaleMode.UNIFORM: (1, 1, 1, 1), ingot.ScaleMode.CHANNEL: (1, 3, 1, 1),
              ingot.ScaleMode.ELEMENTWISE: (1, 3, 4, 5)}[mode]
    shift = rng.uniform(0.0, 0.5, size=coef_shape).astype(np.float32)
    scale = rng.uniform(0.5, 1.5, size=coef_shape).astype(np.float32)
    power = rng.uniform(0.5, 2.0, size=coef_shape).astype(np.float32)
    use = {"shift": which in ("all", "shift", "scale+shift"), "scale": which in ("all", "scale", "scale+shift"),
           "power": which in ("all", "power")}
    kw = {k: v.reshape(-1) for k, v in (("shift", shift), ("scale", scale), ("power", power)) if use[k]}
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_scale(t["x"], mode, channel_axis=1, **kw))
    v = x.astype(np.float64)
    if use["scale"]:
        v = v * scale.reshape(bshape)
    if use["shift"]:
        v = v + shift.reshape(bshape)
    if use["power"]:
        v = v ** power.reshape(bshape).astype(np.float64)
    np.testing.assert_allclose(y, v, rtol=1e-5, atol=1e-6)


def test_scale_channel_last_axis(logger, rng):
    x = rng.uniform(-2, 2, size=(2, 3, 6)).astype(np.float32)
    scale = rng.uniform(0.5, 1.5, size=6).astype(np.float32)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_scale(t["x"], ingot.ScaleMode.CHANNEL, scale=scale,
                                                            channel_axis=-1))
    np.testing.assert_allclose(y, x * scale, rtol=1e-6)


# ---- select --------------------------------------------------------------------------------------------------

SELECT_SHAPES = [
    ((2, 3), (2, 3), (2, 3)),
    ((2, 1), (3,), ()),
    ((4, 1, 3), (5, 1), (1, 5, 3)),
    ((), (2, 2), (2, 2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32, np.bool_, np.uint8])
@pytest.mark.parametrize("shapes", SELECT_SHAPES, ids=[str(s) for s in SELECT_SHAPES])
def test_select(logger, rng, shapes, dtype):
    sc, st, se = shapes
    cond = rng.integers(0, 2, size=sc).astype(bool)
    if dtype == np.bool_:
        t = rng.integers(0, 2, size=st).astype(bool)
        e = rng.integers(0, 2, size=se).astype(bool)
    else:
        t = rng.uniform(1, 100, size=st).astype(dtype)
        e = rng.uniform(-100, -1, size=se).astype(dtype) if dtype != np.uint8 else rng.integers(101, 200, size=se).astype(dtype)
    t, e, cond = np.asarray(t, dtype), np.asarray(e, dtype), np.asarray(cond, bool)
    y = run_layer(logger, {"c": cond, "t": t, "e": e}, lambda n, ts: n.add_select(ts["c"], ts["t"], ts["e"]))
    want = np.where(cond, t, e)
    assert y.dtype == want.dtype and y.shape == want.shape
    np.testing.assert_array_equal(y, want)
