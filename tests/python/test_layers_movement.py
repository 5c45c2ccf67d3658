"""Layer tier for the data movement layers (shuffle, concatenation, slice, gather, padding,
identity, cast) and topk: networks of one layer built through the Python package, run with
ingot.run_network and compared with NumPy on random inputs of several dtypes. Movement
results must match bit for bit."""
import numpy as np
import pytest

import ingot

P = ingot.PadMode
K = ingot.TopKOperation

MOVE_DTYPES = [np.float32, np.float16, np.int8, np.int64, np.bool_]
DTYPE_IDS = ["float32", "float16", "int8", "int64", "bool"]


def rand(rng, shape, dtype):
    """Random values of `dtype` (never all zero): normals for floats, the full range for
    int8, wide values for int64, coin flips for bool; bfloat16 as uint16 bit patterns."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if dtype == np.int8:
        return rng.integers(-128, 128, size=shape).astype(np.int8)
    if dtype == np.uint8:
        return rng.integers(0, 256, size=shape).astype(np.uint8)
    if dtype.kind == "i":
        return rng.integers(-2**40, 2**40, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def run_layer(logger, inputs, build, n_outputs=1, profiles=None):
    """Builds a network whose inputs are `inputs` (dict name -> array; uint16 arrays are
    bfloat16 bits), adds the layer made by build(network, tensors) and returns its
    output(s) as run by ingot. profiles: name -> (min, opt, max, declared shape)."""
    net = ingot.Network(logger)
    try:
        tensors = {n: net.add_input(n, ingot.bfloat16 if a.dtype == np.uint16 else a.dtype,
                                    a.shape if profiles is None else profiles[n][3])
                   for n, a in inputs.items()}
        layer = build(net, tensors)
        names = []
        for i in range(n_outputs):
            out = layer.get_output(i)
            out.name = f"y{i}"
            net.mark_output(out)
            names.append(out.name)
        prof = None if profiles is None else [{n: p[:3] for n, p in profiles.items()}]
        got = ingot.run_network(net, inputs, profiles=prof, logger=logger)
        return got["y0"] if n_outputs == 1 else tuple(got[n] for n in names)
    finally:
        net.close()


def assert_same(got, want):
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    # As bytes: NaN payloads and -0.0 must move unchanged too.
    got, want = np.ascontiguousarray(got), np.ascontiguousarray(want)
    np.testing.assert_array_equal(got.reshape(-1).view(np.uint8), want.reshape(-1).view(np.uint8))


# ---- shuffle --------------------------------------------------------------------------------

def np_shuffle(x, first=None, reshape=None, second=None, zero_is_placeholder=True):
    y = np.transpose(x, first) if first is not None else x
    if reshape is not None:
        dims = [y.shape[i] if (d == 0 and zero_is_placeholder) else d for i, d in enumerate(reshape)]
        y = y.reshape(dims)
    return np.transpose(y, second) if second is not None else y


SHUFFLES = [
    ((2, 3, 4, 5), (0, 2, 3, 1), None, None),
    ((2, 3, 4, 5), None, (0, -1), None),
    ((2, 3, 4, 5), None, (0, 0, 20), (2, 0, 1)),
    ((2, 3, 4, 5), (3, 1, 0, 2), None, (1, 3, 2, 0)),
    ((2, 3, 4, 5), (2, 0, 1, 3), (0, -1, 5), (2, 1, 0)),
    ((2, 3, 4, 5), (1, 0, 2, 3), (6, 0, 10, 1), (3, 1, 2, 0)),
    ((1, 1), None, (), None),
    ((7, 30, 41), (2, 0, 1), (0, -1), (1, 0)),
]


@pytest.mark.parametrize("dtype", MOVE_DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("case", range(len(SHUFFLES)))
def test_shuffle(logger, rng, dtype, case):
    shape, first, reshape, second = SHUFFLES[case]
    x = rand(rng, shape, dtype)
    got = run_layer(logger, {"x": x}, lambda n, t: n.add_shuffle(t["x"], first, reshape, second))
    assert_same(got, np_shuffle(x, first, reshape, second))


def test_shuffle_zero_is_literal(logger, rng):
    x = rand(rng, (3, 0, 4), np.float32)
    got = run_layer(logger, {"x": x}, lambda n, t: n.add_shuffle(t["x"], reshape_dims=(4, 0, 2),
                                                                zero_is_placeholder=False))
    assert got.shape == (4, 0, 2)


def test_shuffle_dynamic_batch(logger, rng):
    """0 and -1 resolve at each run's shapes: one engine, two batch sizes."""
    for batch in (1, 5):
        x = rand(rng, (batch, 3, 4), np.float32)
        got = run_layer(logger, {"x": x},
                        lambda n, t: n.add_shuffle(t["x"], (0, 2, 1), (0, -1), None),
                        profiles={"x": ((1, 3, 4), (2, 3, 4), (8, 3, 4), (-1, 3, 4))})
        assert_same(got, np_shuffle(x, (0, 2, 1), (0, -1)))


def test_shuffle_errors(logger, rng):
    x = rand(rng, (3, 4), np.float32)
    with pytest.raises(ingot.IngotError) as e:
        run_layer(logger, {"x": x}, lambda n, t: n.add_shuffle(t["x"], reshape_dims=(2, 5)))
    assert "2x5" in str(e.value) and "3x4" in str(e.value)
    with pytest.raises(ingot.IngotError) as e:
        run_layer(logger, {"x": x}, lambda n, t: n.add_shuffle(t["x"], first_transpose=(1, 1)))
    assert "permutation" in str(e.value)


# ---- concatenation --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", MOVE_DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_concatenation(logger, rng, dtype, axis):
    base = [3, 4, 5]
    arrays = {}
    for i, size in enumerate((2, 1, 3)):
        shape = list(base)
        shape[axis] = size
        arrays[f"x{i}"] = rand(rng, tuple(shape), dtype)
    got = run_layer(logger, arrays,
                    lambda n, t: n.add_concatenation([t["x0"], t["x1"], t["x2"]], axis=axis))
    assert_same(got, np.concatenate(list(arrays.values()), axis=axis))


def test_concatenation_mismatch(logger, rng):
    a, b = rand(rng, (2, 3), np.float32), rand(rng, (3, 3), np.float32)
    with pytest.raises(ingot.IngotError) as e:
        run_layer(logger, {"a": a, "b": b}, lambda n, t: n.add_concatenation([t["a"], t["b"]], axis=1))
    assert "input 1" in str(e.value) and "3x3" in str(e.value)


# ---- slice ----------------------------------------------------------------------------------

SLICES = [
    ((7, 9), (1, 2), (3, 4), (2, 1)),
    ((7, 9), (6, 8), (4, 3), (-2, -3)),
    ((5, 6, 7), (4, 0, 6), (5, 3, 7), (-1, 2, -1)),
    ((5, 6, 7), (2, 5, 1), (1, 1, 3), (1, 1, 2)),
    ((5, 6, 7), (0, 0, 0), (0, 6, 7), (1, 1, 1)),
    ((33, 17, 65), (32, 3, 1), (11, 5, 21), (-3, 3, 3)),
]


@pytest.mark.parametrize("dtype", MOVE_DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("case", range(len(SLICES)))
def test_slice(logger, rng, dtype, case):
    shape, start, size, stride = SLICES[case]
    x = rand(rng, shape, dtype)
    got = run_layer(logger, {"x": x}, lambda n, t: n.add_slice(t["x"], start, size, stride))
    index = np.ix_(*[s + np.arange(z) * st for s, z, st in zip(start, size, stride)])
    assert_same(got, x[index])


def test_slice_out_of_bounds(logger, rng):
    x = rand(rng, (5, 7), np.float32)
    with pytest.raises(ingot.IngotError) as e:
        run_layer(logger, {"x": x}, lambda n, t: n.add_slice(t["x"], (0, 1), (5, 3), (1, -1)))
    assert "dim 1" in str(e.value) and "outside [0, 7)" in str(e.value)


# ---- gather ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", MOVE_DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather(logger, rng, dtype, index_dtype, axis):
    data = rand(rng, (4, 6, 5), dtype)
    dim = data.shape[axis]
    indices = rng.integers(-dim, dim, size=(2, 3)).astype(index_dtype)
    indices[0, 0] = -1
    got = run_layer(logger, {"data": data, "indices": indices},
                    lambda n, t: n.add_gather(t["data"], t["indices"], axis=axis))
    assert_same(got, np.take(data, indices.astype(np.int64) % dim, axis=axis))


def test_gather_out_of_range(logger, rng):
    data = rand(rng, (3, 5), np.float32)
    indices = np.array([1, 7, 0], dtype=np.int64)
    with pytest.raises(ingot.IngotError) as e:
        run_layer(logger, {"data": data, "indices": indices},
                  lambda n, t: n.add_gather(t["data"], t["indices"], axis=1))
    assert e.value.status == ingot.Status.RUNTIME_ERROR
    assert "index 7 out of range [-5, 5) on axis 1" in str(e.value)


# ---- padding --------------------------------------------------------------------------------

NP_MODES = {P.CONSTANT: "constant", P.REFLECT: "reflect", P.EDGE: "edge", P.WRAP: "wrap"}


def np_pad(x, pre, post, mode, value):
    """numpy.pad with the positive pads, then crop the negative ones."""
    widths = [(max(a, 0), max(b, 0)) for a, b in zip(pre, post)]
    kw = {"constant_values": np.array(value).astype(x.dtype)} if mode == P.CONSTANT else {}
    y = np.pad(x, widths, mode=NP_MODES[mode], **kw)
    index = tuple(slice(max(-a, 0), y.shape[i] - max(-b, 0)) for i, (a, b) in enumerate(zip(pre, post)))
    return y[index]


PADS = [
    ((4, 5), (1, 2), (3, 0)),
    ((3, 4, 6), (0, -1, 2), (2, 3, -2)),
    ((2, 3, 7, 8), (0, 1, 3, 0), (1, 0, -2, 7)),
]


@pytest.mark.parametrize("dtype", MOVE_DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("mode", list(NP_MODES), ids=list(NP_MODES.values()))
@pytest.mark.parametrize("case", range(len(PADS)))
def test_padding(logger, rng, dtype, mode, case):
    shape, pre, post = PADS[case]
    x = rand(rng, shape, dtype)
    value = 2.5 if np.dtype(dtype).kind == "f" else (1 if dtype == np.bool_ else -3)
    got = run_layer(logger, {"x": x}, lambda n, t: n.add_padding_nd(t["x"], pre, post, mode, value))
    assert_same(got, np_pad(x, pre, post, mode, value))


def test_padding_reflect_too_wide(logger, rng):
    x = rand(rng, (2, 3), np.float32)
    with pytest.raises(ingot.IngotError) as e:
        run_layer(logger, {"x": x}, lambda n, t: n.add_padding_nd(t["x"], (0, 3), (0, 0), P.REFLECT))
    assert "reflect" in str(e.value) and "dim 1" in str(e.value)


# ---- identity -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", MOVE_DTYPES + [np.int32, np.uint8], ids=DTYPE_IDS + ["int32", "uint8"])
def test_identity(logger, rng, dtype):
    x = rand(rng, (3, 7, 11), dtype)
    assert_same(run_layer(logger, {"x": x}, lambda n, t: n.add_identity(t["x"])), x)


# ---- cast -----------------------------------------------------------------------------------

CAST_TYPES = ["float32", "float16", "bfloat16", "int8", "int32", "int64", "bool", "uint8"]
NP_OF = {"float32": np.float32, "float16": np.float16, "bfloat16": np.uint16, "int8": np.int8, "int32": np.int32,
         "int64": np.int64, "bool": np.bool_, "uint8": np.uint8}


def bf16_bits(f32):
    """float32 -> bfloat16 bits, rounding to nearest even (NaN stays NaN)."""
    u = np.asarray(f32, dtype=np.float32).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    return np.where(np.isnan(f32), np.uint16(0x7FC0), r).astype(np.uint16)


def bf16_value(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def cast_source(rng, name, target):
    """Values every rule agrees on for this pair: floats inside the target's range, ints
    small enough for float16, so NumPy's astype is a valid reference."""
    lo, hi = -100.0, 100.0
    if target == "uint8":
        lo = 0.0
    if name in ("float32", "float16", "bfloat16"):
        v = rng.uniform(lo, hi, size=(5, 13)).astype(np.float32)
        v[0, :4] = [0.0, -0.0 if lo < 0 else 0.0, 2.5, 99.75]
        if name == "float16":
            return v.astype(np.float16)
        if name == "bfloat16":
            return bf16_bits(v)
        return v
    if name == "bool":
        return rng.random((5, 13)) > 0.5
    if name == "uint8":
        return rng.integers(0, 256, size=(5, 13)).astype(np.uint8)
    if name == "int8":
        return rng.integers(-128, 128, size=(5, 13)).astype(np.int8)
    return rng.integers(-2000, 2000, size=(5, 13)).astype(NP_OF[name])


def np_cast(x, src, dst):
    """NumPy reference; bfloat16 goes through float32 both ways."""
    if src == "bfloat16":
        x = bf16_value(x)
    if dst == "bfloat16":
        return bf16_bits(x.astype(np.float32))
    if dst == "bool":
        return x != 0
    return x.astype(NP_OF[dst])


@pytest.mark.parametrize("dst", CAST_TYPES)
@pytest.mark.parametrize("src", CAST_TYPES)
def test_cast(logger, rng, src, dst):
    x = cast_source(rng, src, dst)
    got = run_layer(logger, {"x": x}, lambda n, t: n.add_cast(t["x"], getattr(ingot, dst)))
    assert_same(got, np_cast(x, src, dst))


def test_cast_edge_values(logger):
    """The rules NumPy leaves undefined: NaN -> int is 0, out-of-range floats clamp, and
    anything -> bool is x != 0 (NaN is true)."""
    x = np.array([np.nan, -1.5, 300.0, -300.0, 2.5, -0.5, 3e9, 0.0], dtype=np.float32)
    got = run_layer(logger, {"x": x}, lambda n, t: n.add_cast(t["x"], ingot.int8))
    np.testing.assert_array_equal(got, np.array([0, -1, 127, -128, 2, 0, 127, 0], dtype=np.int8))
    got = run_layer(logger, {"x": x}, lambda n, t: n.add_cast(t["x"], ingot.int32))
    np.testing.assert_array_equal(got, np.array([0, -1, 300, -300, 2, 0, 2**31 - 1, 0], dtype=np.int32))
    got = run_layer(logger, {"x": x}, lambda n, t: n.add_cast(t["x"], ingot.uint8))
    np.testing.assert_array_equal(got, np.array([0, 0, 255, 0, 2, 0, 255, 0], dtype=np.uint8))
    got = run_layer(logger, {"x": x}, lambda n, t: n.add_cast(t["x"], ingot.bool))
    np.testing.assert_array_equal(got, np.array([1, 1, 1, 1, 1, 1, 1, 0], dtype=np.bool_))
    b = np.array([True, False, True])
    got = run_layer(logger, {"b": b}, lambda n, t: n.add_cast(t["b"], ingot.float16))
    np.testing.assert_array_equal(got, np.array([1, 0, 1], dtype=np.float16))
    wide = np.array([300, -1, 2**40 + 5], dtype=np.int64)
    got = run_layer(logger, {"w": wide}, lambda n, t: n.add_cast(t["w"], ingot.int8))
    np.testing.assert_array_equal(got, np.array([44, -1, 5], dtype=np.int8))


# ---- topk -----------------------------------------------------------------------------------

def np_topk(x, op, k, axis):
    """Stable sort: max is descending with NaN first, min ascending with NaN last; ties
    keep the lower index first."""
    if op == K.MAX:
        key = -x.astype(np.float64)
        key[np.isnan(key)] = -np.inf  # NaN counts as the largest
    else:
        key = x.astype(np.float64)
    order = np.argsort(key, axis=axis, kind="stable")
    idx = np.take(order, np.arange(k), axis=axis)
    return np.take_along_axis(x, idx, axis=axis), idx.astype(np.int64)


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
@pytest.mark.parametrize("op", [K.MAX, K.MIN], ids=["max", "min"])
@pytest.mark.parametrize("axis,k", [(-1, 4), (1, 1), (0, 3), (1, 9), (2, 0)])
def test_topk(logger, rng, dtype, op, axis, k):
    x = (rng.integers(-6, 7, size=(3, 9, 11))).astype(dtype)  # a coarse grid: many ties
    if dtype == np.float32:
        x = x * np.float32(0.5) + np.float32(0.25)
        x[1, 2, 3] = np.nan
        x[2, 5, 3] = np.nan
    values, indices = run_layer(logger, {"x": x}, lambda n, t: n.add_topk(t["x"], op, k, axis), n_outputs=2)
    want_v, want_i = np_topk(x, op, k, axis)
    assert values.dtype == x.dtype and indices.dtype == np.int64
    np.testing.assert_array_equal(indices, want_i)
    np.testing.assert_array_equal(values, want_v)  # NaN == NaN for assert_array_equal


def test_topk_k_too_large(logger, rng):
    x = rand(rng, (2, 6), np.float32)
    with pytest.raises(ingot.IngotError) as e:
        run_layer(logger, {"x": x}, lambda n, t: n.add_topk(t["x"], K.MAX, 7, 1), n_outputs=2)
    assert "k = 7" in str(e.value) and "6" in str(e.value)
