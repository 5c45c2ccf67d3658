"""Layer tier for batch normalization, layer normalization, softmax and reduce: networks of
one layer built through the Python package, run with ingot.run_network and compared with
NumPy references (in float64) on random inputs."""
import numpy as np
import pytest

import ingot

R = ingot.ReduceOperation


def run_layer(logger, inputs, build, profiles=None):
    """Builds a network with `inputs` (dict name -> array, or name -> (array, declared shape)),
    adds the layer made by build(network, tensors), runs it and returns output 0."""
    net = ingot.Network(logger)
    try:
        arrays = {}
        tensors = {}
        for n, a in inputs.items():
            a, shape = a if isinstance(a, tuple) else (a, a.shape)
            arrays[n] = a
            tensors[n] = net.add_input(n, a.dtype, shape)
        layer = build(net, tensors)
        out = layer.get_output(0)
        out.name = "y"
        net.mark_output(out)
        return ingot.run_network(net, arrays, profiles=profiles, logger=logger)["y"]
    finally:
        net.close()


def rand(rng, *shape):
    return rng.uniform(-1, 1, size=shape).astype(np.float32)


# ---- batch normalization -----------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(2, 3), (2, 4, 7), (2, 3, 5, 6), (1, 2, 3, 4, 5)],
                         ids=["2d", "3d", "4d", "5d"])
def test_batch_normalization(logger, rng, shape):
    C = shape[1]
    x = rand(rng, *shape)
    scale, bias, mean = rand(rng, C), rand(rng, C), rand(rng, C)
    var = rng.uniform(0.2, 2.0, size=C).astype(np.float32)
    eps = 1e-3
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_batch_normalization(t["x"], scale, bias, mean, var, eps))
    b = (1, C) + (1,) * (x.ndim - 2)
    want = scale.reshape(b).astype(np.float64) * (x - mean.reshape(b)) / np.sqrt(var.reshape(b) + np.float32(eps)) \
        + bias.reshape(b)
    assert y.shape == x.shape
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)


def test_batch_normalization_hand(logger):
    """3 * (2 - 1) / sqrt(3 + 1) + 1 = 2.5"""
    x = np.full((1, 1, 1), 2, np.float32)
    one = lambda v: np.array([v], np.float32)  # noqa: E731
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_batch_normalization(t["x"], one(3), one(1), one(1), one(3), 1.0))
    np.testing.assert_allclose(y, [[[2.5]]])


def test_batch_normalization_wrong_count(logger, rng):
    x = rand(rng, 2, 3, 4)
    c3, c2 = rand(rng, 3), rand(rng, 2)
    with pytest.raises(ingot.IngotError) as err:
        run_layer(logger, {"x": x}, lambda n, t: n.add_batch_normalization(t["x"], c3, c3, c2, np.abs(c3) + 1))
    assert "3" in str(err.value) and "2" in str(err.value)


# ---- layer normalization -----------------------------------------------------------------------

def ref_layer_norm(x, axes, scale, bias, eps):
    x = x.astype(np.float64)
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps) * scale
    return y + bias if bias is not None else y


LN_CASES = [
    # name, x shape, axes, scale shape, bias shape (None: no bias)
    ("last_axis", (3, 5, 16), (2,), (16,), (16,)),
    ("last_axis_no_bias", (4, 7), (1,), (7,), None),
    ("two_axes", (2, 3, 4, 5), (2, 3), (4, 5), (4, 5)),
    ("two_axes_full_rank_scale", (2, 3, 4, 5), (2, 3), (1, 1, 4, 5), (1, 1, 1, 5)),
    ("broadcast_in_normalized", (2, 3, 4, 5), (2, 3), (1, 5), (4, 1)),
    ("three_axes", (2, 3, 4, 5), (1, 2, 3), (3, 4, 5), (5,)),
    ("large_offset", (4, 64), (1,), (64,), (64,)),
]


@pytest.mark.parametrize("case", LN_CASES, ids=[c[0] for c in LN_CASES])
def test_layer_normalization(logger, rng, case):
    name, shape, axes, sshape, bshape = case
    x = rand(rng, *shape)
    if name == "large_offset":
        x = x + np.float32(1000.0)  # a one-pass E[x^2] - E[x]^2 in float32 would lose it all
    scale = rand(rng, *sshape)
    bias = rand(rng, *bshape) if bshape else None
    inputs = {"x": x, "scale": scale}
    if bias is not None:
        inputs["bias"] = bias
    y = run_layer(logger, inputs, lambda n, t: n.add_normalization(t["x"], t["scale"], t.get("bias"), axes, 1e-5))
    want = ref_layer_norm(x, axes, scale, bias, 1e-5)
    assert y.shape == x.shape
    np.testing.assert_allclose(y, want, rtol=1e-4 if name == "large_offset" else 1e-5, atol=1e-5)


def test_layer_normalization_constant_scale(logger, rng):
    x = rand(rng, 3, 8)
    s, b = rand(rng, 8), rand(rng, 8)

    def build(n, t):
        return n.add_normalization(t["x"], n.add_constant(None, s).get_output(0), n.add_constant(None, b).get_output(0),
                                   (1,))

    y = run_layer(logger, {"x": x}, build)
    np.testing.assert_allclose(y, ref_layer_norm(x, (1,), s, b, 1e-5), rtol=1e-5, atol=1e-5)


def test_layer_normalization_not_trailing(logger, rng):
    x = rand(rng, 2, 3, 4)
    s = rand(rng, 3, 1)
    with pytest.raises(ingot.IngotError) as err:
        run_layer(logger, {"x": x, "s": s}, lambda n, t: n.add_normalization(t["x"], t["s"], None, 0b010))
    assert "trailing" in str(err.value)


# ---- softmax -----------------------------------------------------------------------------------

def ref_softmax(x, axis, log):
    x = x.astype(np.float64)
    z = x - x.max(axis=axis, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=axis, keepdims=True))
    return z - lse if log else np.exp(z - lse)


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, 1, 2, 3, -1, -2, -3, -4])
def test_softmax(logger, rng, axis, log):
    x = rng.uniform(-4, 4, size=(3, 4, 5, 6)).astype(np.float32)
    add = (lambda n, t: n.add_log_softmax(t["x"], axis)) if log else (lambda n, t: n.add_softmax(t["x"], axis))
    y = run_layer(logger, {"x": x}, add)
    np.testing.assert_allclose(y, ref_softmax(x, axis, log), rtol=1e-5, atol=1e-6)


def test_softmax_large_values(logger):
    x = np.array([[1000, 1001, 1002], [-1000, -1001, -1002]], np.float32)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_softmax(t["x"], -1))
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y[0], [0.09003057, 0.24472847, 0.66524096], rtol=1e-6)
    np.testing.assert_allclose(y[1], [0.66524096, 0.24472847, 0.09003057], rtol=1e-6)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_log_softmax(t["x"], 1))
    np.testing.assert_allclose(y[0], [-2.40760596, -1.40760596, -0.40760596], rtol=1e-6)


def test_softmax_bad_axis(logger, rng):
    x = rand(rng, 2, 3)
    with pytest.raises(ingot.IngotError) as err:
        run_layer(logger, {"x": x}, lambda n, t: n.add_softmax(t["x"], 2))
    assert "axis" in str(err.value)


# ---- reduce ------------------------------------------------------------------------------------

def ref_reduce(x, op, axes, keep):
    if op == R.MEAN and np.issubdtype(x.dtype, np.integer):
        s = x.astype(np.int64).sum(axis=axes, keepdims=keep)
        n = int(np.prod([x.shape[a] for a in axes]))
        return (np.sign(s) * (np.abs(s) // n)).astype(x.dtype)  # truncates toward zero
    f = {R.SUM: np.sum, R.MEAN: np.mean, R.MAX: np.max, R.MIN: np.min, R.PROD: np.prod}[op]
    if x.dtype == np.float32:
        return f(x.astype(np.float64), axis=axes, keepdims=keep)
    return f(x, axis=axes, keepdims=keep).astype(x.dtype)


AXES = [(0,), (1,), (3,), (-1,), (0, 2), (1, 3), (1, 2, 3), (0, 1, 2, 3)]


@pytest.mark.parametrize("keep", [False, True], ids=["drop", "keep"])
@pytest.mark.parametrize("axes", AXES, ids=["_".join(map(str, a)) for a in AXES])
@pytest.mark.parametrize("op", list(R), ids=[o.name for o in R])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
def test_reduce(logger, rng, dtype, op, axes, keep):
    shape = (3, 4, 2, 5)
    if dtype == np.float32:
        x = (rng.choice([-1, 1], size=shape) * rng.uniform(0.6, 1.1, size=shape)).astype(np.float32)
    else:
        x = rng.integers(-9, 10, size=shape).astype(dtype)
        if op == R.PROD:  # keep exact products small
            x = rng.choice([-2, -1, 1, 2], size=shape).astype(dtype)
    axes = tuple(a % 4 for a in axes)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_reduce(t["x"], op, sum(1 << a for a in axes), keep))
    want = ref_reduce(x, op, axes, keep)
    assert y.dtype == dtype and y.shape == np.shape(want)
    if dtype == np.float32:
        np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(y, want)


def test_reduce_no_axes_is_identity(logger, rng):
    x = rand(rng, 2, 3)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_reduce(t["x"], R.SUM, 0, True))
    np.testing.assert_array_equal(y, x)


def test_reduce_int_mean_truncates(logger):
    x = np.array([[-1, -2], [3, 4]], np.int32)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_reduce(t["x"], R.MEAN, 0b10, False))
    np.testing.assert_array_equal(y, [-1, 3])


def test_reduce_axis_out_of_range(logger, rng):
    x = rand(rng, 2, 3)
    with pytest.raises(ingot.IngotError):
        run_layer(logger, {"x": x}, lambda n, t: n.add_reduce(t["x"], R.SUM, 0b100, False))


def test_float16_softmax_and_layer_norm(logger, rng):
    """float16 tensors: the builder casts around the float32 kernels; output stays float16."""
    x = rng.uniform(-3, 3, size=(4, 5, 16)).astype(np.float16)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_softmax(t["x"], 1))
    assert y.dtype == np.float16
    np.testing.assert_allclose(y.astype(np.float64), ref_softmax(x, 1, False), rtol=2e-3, atol=1e-3)
    s = rand(rng, 16).astype(np.float16)
    y = run_layer(logger, {"x": x, "s": s}, lambda n, t: n.add_normalization(t["x"], t["s"], None, (2,)))
    assert y.dtype == np.float16
    np.testing.assert_allclose(y.astype(np.float64), ref_layer_norm(x, (2,), s.astype(np.float64), None, 1e-5),
                               rtol=4e-3, atol=4e-3)
