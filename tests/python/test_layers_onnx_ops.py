"""Layer tier for the layers ONNX import needs: shape, fill, range, gather elements / nd,
scatter, cumulative, expand, tile, quantize, dequantize and einsum, plus the optional
dims inputs of shuffle, slice and padding (Layer.set_input). Each is compared with NumPy,
or with onnxruntime running a one-node ONNX model where NumPy has no direct equivalent
(GatherND, ScatterND/ScatterElements, Einsum), on random inputs of several dtypes.

Dims computed from input shapes (shape -> gather -> concat -> reshape) are the value
store's job: those networks are built once with a dynamic batch and run at several batch
sizes on one execution context."""
import numpy as np
import pytest

import ingot
from ingot._enums import ScatterMode, ScatterReduction

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper  # noqa: E402

MOVE_DTYPES = [np.float32, np.float16, np.int8, np.int64, np.bool_]
MOVE_IDS = ["float32", "float16", "int8", "int64", "bool"]
ARITH_DTYPES = [np.float32, np.int32, np.int64]
ARITH_IDS = ["float32", "int32", "int64"]


def rand(rng, shape, dtype):
    """Random values of `dtype`, never all zero."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if dtype == np.int8:
        return rng.integers(-128, 128, size=shape).astype(np.int8)
    if dtype == np.uint8:
        return rng.integers(0, 256, size=shape).astype(np.uint8)
    if dtype.kind == "i":
        return rng.integers(-1000, 1000, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def const(net, values, dtype=None):
    """A constant tensor (shape from the array; 0-d stays a scalar)."""
    arr = np.asarray(values, dtype=dtype)
    return net.add_constant(arr.shape, arr, arr.dtype).get_output(0)


def run_net(logger, inputs, build, profiles=None, n_outputs=1):
    """Builds a network whose inputs are `inputs` (name -> array, or name -> (array,
    declared shape)), whose output(s) are what build(net, tensors) returns (a layer or a
    tensor), and runs it once."""
    net = ingot.Network(logger)
    try:
        tensors = {}
        arrays = {}
        for n, a in inputs.items():
            arr, shape = a if isinstance(a, tuple) else (a, a.shape)
            tensors[n] = net.add_input(n, arr.dtype, shape)
            arrays[n] = arr
        result = build(net, tensors)
        outs = result if isinstance(result, (list, tuple)) else [result]
        names = []
        for i, o in enumerate(outs):
            t = o.get_output(0) if isinstance(o, ingot.Layer) else o
            t.name = f"y{i}"
            net.mark_output(t)
            names.append(t.name)
        got = ingot.run_network(net, arrays, profiles=profiles, logger=logger)
        return got["y0"] if len(names) == 1 else tuple(got[n] for n in names)
    finally:
        net.close()


class Engine:
    """One network built once with a profile, run many times on one context."""

    def __init__(self, logger, net, profile):
        builder = ingot.Builder(logger)
        config = builder.create_builder_config()
        config.add_optimization_profile(profile)
        plan = builder.build_serialized_network(net, config)
        self.runtime = ingot.Runtime(logger)
        self.engine = self.runtime.deserialize_engine(plan)
        self.context = self.engine.create_execution_context()

    def __call__(self, inputs):
        return self.context.execute(inputs)

    def close(self):
        self.context.close()
        self.engine.close()
        self.runtime.close()


def assert_same(got, want):
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    got, want = np.ascontiguousarray(got), np.ascontiguousarray(want)
    np.testing.assert_array_equal(got.reshape(-1).view(np.uint8), want.reshape(-1).view(np.uint8))


def ort_run(node, inputs, out_type, opset=18):
    """Runs one ONNX node on onnxruntime. inputs: list of (name, array)."""
    np_to_onnx = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float16): TensorProto.FLOAT16,
                  np.dtype(np.int8): TensorProto.INT8, np.dtype(np.uint8): TensorProto.UINT8,
                  np.dtype(np.int32): TensorProto.INT32, np.dtype(np.int64): TensorProto.INT64,
                  np.dtype(np.bool_): TensorProto.BOOL}
    ins = [helper.make_tensor_value_info(n, np_to_onnx[a.dtype], a.shape) for n, a in inputs]
    out = helper.make_tensor_value_info(node.output[0], np_to_onnx[np.dtype(out_type)], None)
    graph = helper.make_graph([node], "g", ins, [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, dict(inputs))[0]


# ---- shape, fill, range ---------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(2, 3, 4), (5,), (), (1, 0, 7)])
def test_shape(logger, rng, shape):
    x = rand(rng, shape, np.float32)
    got = run_net(logger, {"x": x}, lambda n, t: n.add_shape(t["x"]))
    assert_same(got, np.array(shape, dtype=np.int64))


@pytest.mark.parametrize("dtype,value", [(np.float32, -2.75), (np.float16, 1.5), (np.int64, -(2**40) - 3),
                                         (np.int8, 100), (np.bool_, 1), (np.int32, 7)])
def test_fill(logger, rng, dtype, value):
    x = rand(rng, (3, 5), np.float32)
    got = run_net(logger, {"x": x}, lambda n, t: n.add_fill(n.add_shape(t["x"]).get_output(0), dtype, value))
    assert_same(got, np.full((3, 5), value, dtype=dtype))
    got = run_net(logger, {"x": x}, lambda n, t: [n.add_fill((2, 1, 4), dtype, value), n.add_identity(t["x"])])[0]
    assert_same(got, np.full((2, 1, 4), value, dtype=dtype))


RANGES = [(np.int32, 0, 10, 1), (np.int32, 3, -7, -2), (np.int64, -4, 17, 3), (np.int64, 5, 5, 1),
          (np.int64, 5, 1, 1), (np.int64, -(2**40), 2**40, 2**37 + 1), (np.float32, 1.5, 7.25, 0.75),
          (np.float32, 2.0, -3.1, -0.3), (np.float32, -1.0, 1.0, 0.1), (np.int32, 7, 0, -7)]


@pytest.mark.parametrize("dtype,start,limit,delta", RANGES)
def test_range(logger, rng, dtype, start, limit, delta):
    s, l_, d = (np.array(v, dtype=dtype) for v in (start, limit, delta))
    x = rand(rng, (2,), np.float32)
    got = run_net(logger, {"x": x},
                  lambda n, t: [n.add_range(const(n, s), const(n, l_), const(n, d)), n.add_identity(t["x"])])[0]
    want = np.arange(s.item(), l_.item(), d.item()).astype(dtype)
    assert got.dtype == want.dtype and got.shape == want.shape
    if np.dtype(dtype).kind == "f":
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(got, want)


def test_range_zero_delta_fails(logger, rng):
    x = rand(rng, (2,), np.float32)
    with pytest.raises(ingot.IngotError) as e:
        run_net(logger, {"x": x}, lambda n, t: [n.add_range(const(n, np.int64(0)), const(n, np.int64(4)),
                                                            const(n, np.int64(0))), n.add_identity(t["x"])])
    assert "delta is 0" in str(e.value)


# ---- gather elements, gather nd -------------------------------------------------------------

def np_gather_elements(data, idx, axis):
    axis = axis % data.ndim
    region = tuple(slice(None) if i == axis else slice(0, n) for i, n in enumerate(idx.shape))
    return np.take_along_axis(data[region], idx.astype(np.int64) % data.shape[axis], axis=axis)


@pytest.mark.parametrize("dtype", MOVE_DTYPES, ids=MOVE_IDS)
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("axis,idx_shape", [(0, (6, 5, 3)), (1, (4, 2, 3)), (-1, (3, 5, 7)), (-2, (4, 9, 2))])
def test_gather_elements(logger, rng, dtype, index_dtype, axis, idx_shape):
    data = rand(rng, (4, 5, 3), dtype)
    dim = data.shape[axis]
    idx = rng.integers(-dim, dim, size=idx_shape).astype(index_dtype)
    idx.flat[0] = -1
    got = run_net(logger, {"data": data, "idx": idx}, lambda n, t: n.add_gather_elements(t["data"], t["idx"], axis))
    assert_same(got, np_gather_elements(data, idx, axis))


def test_gather_elements_out_of_range(logger, rng):
    data = rand(rng, (3, 4), np.float32)
    idx = np.array([[0, 1], [4, 2]], dtype=np.int64)
    with pytest.raises(ingot.IngotError) as e:
        run_net(logger, {"data": data, "idx": idx}, lambda n, t: n.add_gather_elements(t["data"], t["idx"], 1))
    assert e.value.status == ingot.Status.RUNTIME_ERROR
    assert "index 4 out of range [-4, 4) on axis 1" in str(e.value)


GATHER_ND = [  # data shape, indices shape (last dim = addressed dims), batch_dims
    ((4, 5, 6), (3, 2), 0),
    ((4, 5, 6), (2, 3, 3), 0),
    ((4, 5, 6), (7, 1), 0),
    ((3, 5, 6), (3, 4, 1), 1),
    ((3, 5, 6, 2), (3, 2, 2), 1),
    ((2, 3, 5, 4), (2, 3, 6, 1), 2),
]


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.float16], ids=["float32", "int64", "float16"])
@pytest.mark.parametrize("case", range(len(GATHER_ND)))
def test_gather_nd(logger, rng, dtype, case):
    dshape, ishape, b = GATHER_ND[case]
    data = rand(rng, dshape, dtype)
    k = ishape[-1]
    idx = np.stack([rng.integers(-dshape[b + t], dshape[b + t], size=ishape[:-1]) for t in range(k)],
                   axis=-1).astype(np.int64)
    got = run_net(logger, {"data": data, "idx": idx}, lambda n, t: n.add_gather_nd(t["data"], t["idx"], b))
    node = helper.make_node("GatherND", ["data", "idx"], ["y"], batch_dims=b)
    assert_same(got, ort_run(node, [("data", data), ("idx", idx)], dtype))


def test_gather_nd_out_of_range(logger, rng):
    data = rand(rng, (3, 4), np.float32)
    idx = np.array([[0, 1], [2, -5]], dtype=np.int64)
    with pytest.raises(ingot.IngotError) as e:
        run_net(logger, {"data": data, "idx": idx}, lambda n, t: n.add_gather_nd(t["data"], t["idx"]))
    assert e.value.status == ingot.Status.RUNTIME_ERROR
    assert "index -5 out of range [-4, 4) on axis 1" in str(e.value)


# ---- scatter ---------------------------------------------------------------------------------

REDUCTIONS = [ScatterReduction.NONE, ScatterReduction.ADD, ScatterReduction.MUL, ScatterReduction.MAX,
              ScatterReduction.MIN]
ONNX_REDUCTION = {ScatterReduction.NONE: "none", ScatterReduction.ADD: "add", ScatterReduction.MUL: "mul",
                  ScatterReduction.MAX: "max", ScatterReduction.MIN: "min"}


def scatter_values(rng, shape, dtype):
    """Small values so that products of repeated updates stay exact."""
    if np.dtype(dtype).kind == "f":
        return (rng.integers(1, 4, size=shape) * rng.choice([-1, 1], size=shape) * 0.5).astype(dtype)
    if np.dtype(dtype) == np.bool_:
        return rng.random(shape) > 0.5
    return (rng.integers(1, 5, size=shape) * rng.choice([-1, 1], size=shape)).astype(dtype)


@pytest.mark.parametrize("dtype", ARITH_DTYPES, ids=ARITH_IDS)
@pytest.mark.parametrize("reduction", REDUCTIONS, ids=[r.name.lower() for r in REDUCTIONS])
@pytest.mark.parametrize("dshape,ishape", [((6, 5, 4), (3, 1)), ((6, 5, 4), (2, 2, 2)), ((6, 5), (4, 2)),
                                           ((6, 5, 4), (2, 3))])
def test_scatter_nd(logger, rng, dtype, reduction, dshape, ishape):
    data = scatter_values(rng, dshape, dtype)
    k = ishape[-1]
    n_tuples = int(np.prod(ishape[:-1]))
    # Unique tuples without a reduction (duplicates are undefined there); repeats otherwise.
    space = np.array(np.unravel_index(rng.permutation(int(np.prod(dshape[:k])))[:n_tuples], dshape[:k])).T
    if reduction != ScatterReduction.NONE:
        space[-1] = space[0]
    idx = space.reshape(ishape).astype(np.int64)
    idx[..., 0] -= dshape[0] * (rng.random(ishape[:-1]) > 0.5)  # some negative
    updates = scatter_values(rng, ishape[:-1] + dshape[k:], dtype)
    got = run_net(logger, {"data": data, "idx": idx, "upd": updates},
                  lambda n, t: n.add_scatter(t["data"], t["idx"], t["upd"], ScatterMode.ND, reduction=reduction))
    node = helper.make_node("ScatterND", ["data", "idx", "upd"], ["y"], reduction=ONNX_REDUCTION[reduction])
    try:
        want = ort_run(node, [("data", data), ("idx", idx), ("upd", updates)], dtype)
    except Exception as e:  # onnxruntime lacks some (dtype, reduction) kernels
        pytest.skip(f"onnxruntime: {e}")
    assert_same(got, want)


@pytest.mark.parametrize("dtype", ARITH_DTYPES, ids=ARITH_IDS)
@pytest.mark.parametrize("reduction", REDUCTIONS, ids=[r.name.lower() for r in REDUCTIONS])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_scatter_elements(logger, rng, dtype, reduction, axis):
    data = scatter_values(rng, (5, 6, 4), dtype)
    ishape = [3, 4, 2]
    dim = data.shape[axis]
    if reduction == ScatterReduction.NONE:  # distinct targets along the axis
        ishape[axis] = min(ishape[axis], dim)
        idx = np.argsort(rng.random(tuple(ishape[:axis % 3]) + (dim,) + tuple(ishape[axis % 3 + 1:])), axis=axis)
        idx = np.take(idx, np.arange(ishape[axis]), axis=axis)
    else:
        idx = rng.integers(0, dim, size=ishape)
    idx = np.where(rng.random(idx.shape) > 0.5, idx - dim, idx).astype(np.int64)
    updates = scatter_values(rng, idx.shape, dtype)
    got = run_net(logger, {"data": data, "idx": idx, "upd": updates},
                  lambda n, t: n.add_scatter(t["data"], t["idx"], t["upd"], "elements", axis=axis,
                                             reduction=reduction))
    node = helper.make_node("ScatterElements", ["data", "idx", "upd"], ["y"], axis=axis,
                            reduction=ONNX_REDUCTION[reduction])
    try:
        want = ort_run(node, [("data", data), ("idx", idx), ("upd", updates)], dtype)
    except Exception as e:
        pytest.skip(f"onnxruntime: {e}")
    assert_same(got, want)


@pytest.mark.parametrize("dtype", [np.float16, np.int8, np.bool_], ids=["float16", "int8", "bool"])
def test_scatter_moves_any_dtype(logger, rng, dtype):
    data = rand(rng, (4, 3), dtype)
    idx = np.array([[2], [0]], dtype=np.int64)
    updates = rand(rng, (2, 3), dtype)
    got = run_net(logger, {"data": data, "idx": idx, "upd": updates},
                  lambda n, t: n.add_scatter(t["data"], t["idx"], t["upd"], ScatterMode.ND))
    want = data.copy()
    want[2], want[0] = updates[0], updates[1]
    assert_same(got, want)


def test_scatter_half_reduction_computes_in_float32(logger, rng):
    data = scatter_values(rng, (4, 3), np.float16)
    idx = np.array([[1, 1], [2, 0], [1, 1]], dtype=np.int32)
    updates = scatter_values(rng, (3,), np.float16)
    got = run_net(logger, {"data": data, "idx": idx, "upd": updates},
                  lambda n, t: n.add_scatter(t["data"], t["idx"], t["upd"], ScatterMode.ND,
                                             reduction=ScatterReduction.ADD))
    want = data.copy()
    want[1, 1] += updates[0] + updates[2]
    want[2, 0] += updates[1]
    assert_same(got, want)


def test_scatter_out_of_range(logger, rng):
    data = rand(rng, (3, 4), np.float32)
    idx = np.array([[0, 1], [2, 4]], dtype=np.int64)
    upd = rand(rng, (2, 2), np.float32)
    with pytest.raises(ingot.IngotError) as e:
        run_net(logger, {"data": data, "idx": idx, "upd": upd},
                lambda n, t: n.add_scatter(t["data"], t["idx"], t["upd"], ScatterMode.ELEMENTS, axis=1))
    assert e.value.status == ingot.Status.RUNTIME_ERROR
    assert "index 4 out of range [-4, 4) on axis 1" in str(e.value)


# ---- cumulative ----------------------------------------------------------------------------

def np_cumsum(x, axis, exclusive, reverse):
    y = np.flip(x, axis) if reverse else x
    c = np.cumsum(y, axis=axis, dtype=x.dtype)
    if exclusive:
        c = np.concatenate([np.zeros_like(np.take(c, [0], axis=axis)),
                            np.take(c, np.arange(c.shape[axis] - 1), axis=axis)], axis=axis)
    return np.flip(c, axis) if reverse else c


@pytest.mark.parametrize("dtype", ARITH_DTYPES, ids=ARITH_IDS)
@pytest.mark.parametrize("axis", [0, 1, -1, 2])
@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumulative(logger, rng, dtype, axis, exclusive, reverse):
    x = rand(rng, (3, 7, 300), dtype)
    got = run_net(logger, {"x": x}, lambda n, t: n.add_cumulative(t["x"], axis, exclusive, reverse))
    want = np_cumsum(x, axis, exclusive, reverse)
    assert got.dtype == want.dtype and got.shape == want.shape
    if np.dtype(dtype).kind == "f":
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)
    else:
        np.testing.assert_array_equal(got, want)


def test_cumulative_int64_wraps(logger):
    x = np.array([2**62, 2**62, 2**62], dtype=np.int64)
    got = run_net(logger, {"x": x}, lambda n, t: n.add_cumulative(t["x"], 0))
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(got, np.cumsum(x))


def test_cumulative_float16(logger, rng):
    x = rand(rng, (4, 6), np.float16)
    got = run_net(logger, {"x": x}, lambda n, t: n.add_cumulative(t["x"], 1))
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float32), np.cumsum(x.astype(np.float32), axis=1), rtol=2e-3,
                               atol=2e-3)


# ---- expand, tile ----------------------------------------------------------------------------

EXPANDS = [((3, 1), (2, 3, 4)), ((1,), (5,)), ((2, 1, 4), (1, 3, 1)), ((4,), (3, 1)), ((), (2, 3)),
           ((2, 3), (0, 1, 3))]


@pytest.mark.parametrize("dtype", MOVE_DTYPES, ids=MOVE_IDS)
@pytest.mark.parametrize("case", range(len(EXPANDS)))
def test_expand(logger, rng, dtype, case):
    in_shape, shape = EXPANDS[case]
    x = rand(rng, in_shape, dtype)
    got = run_net(logger, {"x": x}, lambda n, t: n.add_expand(t["x"], shape))
    assert_same(got, np.broadcast_to(x, np.broadcast_shapes(x.shape, shape)).copy())


TILES = [((2, 3), (2, 3)), ((4,), (5,)), ((2, 1, 3), (1, 4, 2)), ((3, 2), (0, 2)), ((), ()),
         ((1, 2, 1, 2, 1, 2, 1, 2), (2, 1, 2, 1, 2, 1, 2, 1))]


@pytest.mark.parametrize("dtype", MOVE_DTYPES, ids=MOVE_IDS)
@pytest.mark.parametrize("case", range(len(TILES)))
def test_tile(logger, rng, dtype, case):
    in_shape, repeats = TILES[case]
    x = rand(rng, in_shape, dtype)
    got = run_net(logger, {"x": x}, lambda n, t: n.add_tile(t["x"], np.array(repeats, dtype=np.int64)))
    assert_same(got, np.tile(x, repeats) if repeats else x.copy())


# ---- quantize, dequantize --------------------------------------------------------------------

def np_quantize(x, scale, zp, axis, out_dtype):
    info = np.iinfo(out_dtype)
    shape = [1] * x.ndim
    if scale.size > 1:
        shape[axis] = scale.size
    s = scale.reshape(shape)
    z = (np.zeros(shape) if zp is None else zp.reshape(shape)).astype(np.float32)
    q = np.rint(x / s) + z  # x / s in float32; rint rounds half to even
    return np.clip(q, info.min, info.max).astype(out_dtype)


@pytest.mark.parametrize("out_dtype", [np.int8, np.uint8], ids=["int8", "uint8"])
@pytest.mark.parametrize("per_axis,axis", [(False, 1), (True, 1), (True, 0), (True, -1)])
@pytest.mark.parametrize("with_zp", [True, False])
def test_quantize(logger, rng, out_dtype, per_axis, axis, with_zp):
    x = (rng.standard_normal((3, 4, 5)) * 40).astype(np.float32)
    n = x.shape[axis] if per_axis else 1
    scale = rng.uniform(0.2, 0.8, size=(n,) if per_axis else ()).astype(np.float32)
    if not per_axis:  # exact halves (k + 0.5) * scale must round to even
        x[0, 0, :] = (np.arange(5) - 2.5).astype(np.float32) * scale
    lo, hi = (-20, 20) if out_dtype == np.int8 else (0, 60)
    zp = rng.integers(lo, hi, size=scale.shape).astype(out_dtype) if with_zp else None

    def build(n_, t):
        zpt = const(n_, zp) if zp is not None else None
        return n_.add_quantize(t["x"], const(n_, scale), zpt, axis, out_dtype)
    got = run_net(logger, {"x": x}, build)
    assert_same(got, np_quantize(x, scale, zp, axis, out_dtype))


def test_quantize_round_half_even_and_saturate(logger):
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1000.0, -1000.0, np.inf, -np.inf], dtype=np.float32)
    got = run_net(logger, {"x": x}, lambda n, t: n.add_quantize(t["x"], const(n, np.float32(1.0)), None, 0,
                                                                ingot.int8))
    np.testing.assert_array_equal(got, np.array([0, 2, 2, 0, -2, -2, 127, -128, 127, -128], dtype=np.int8))
    got = run_net(logger, {"x": x}, lambda n, t: n.add_quantize(t["x"], const(n, np.float32(1.0)),
                                                                const(n, np.uint8(10)), 0, ingot.uint8))
    np.testing.assert_array_equal(got, np.array([10, 12, 12, 10, 8, 8, 255, 0, 255, 0], dtype=np.uint8))


@pytest.mark.parametrize("in_dtype", [np.int8, np.uint8, np.int32], ids=["int8", "uint8", "int32"])
@pytest.mark.parametrize("per_axis,axis", [(False, 1), (True, 1), (True, -1)])
@pytest.mark.parametrize("with_zp", [True, False])
def test_dequantize(logger, rng, in_dtype, per_axis, axis, with_zp):
    x = rand(rng, (3, 4, 5), in_dtype)
    n = x.shape[axis] if per_axis else 1
    scale = rng.uniform(0.01, 2.0, size=(n,) if per_axis else ()).astype(np.float32)
    zp = rand(rng, scale.shape, in_dtype) if with_zp else None

    def build(n_, t):
        return n_.add_dequantize(t["x"], const(n_, scale), const(n_, zp) if zp is not None else None, axis)
    got = run_net(logger, {"x": x}, build)
    shape = [1] * 3
    if per_axis:
        shape[axis] = n
    z = np.zeros(shape, np.int64) if zp is None else zp.astype(np.int64).reshape(shape)
    want = (x.astype(np.int64) - z).astype(np.float32) * scale.reshape(shape)
    assert_same(got, want.astype(np.float32))


def test_quantize_dequantize_round_trip_vs_onnxruntime(logger, rng):
    x = (rng.standard_normal((2, 3, 4)) * 3).astype(np.float32)
    scale = np.array([0.05, 0.1, 0.02], dtype=np.float32)
    zp = np.array([3, -7, 0], dtype=np.int8)

    def build(n, t):
        q = n.add_quantize(t["x"], const(n, scale), const(n, zp), 1, ingot.int8).get_output(0)
        return [q, n.add_dequantize(q, const(n, scale), const(n, zp), 1)]
    got_q, got_y = run_net(logger, {"x": x}, build)
    qnode = helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], axis=1)
    sess_in = [("x", x), ("s", scale), ("z", zp)]
    np_to = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int8): TensorProto.INT8}
    ins = [helper.make_tensor_value_info(n, np_to[a.dtype], a.shape) for n, a in sess_in]
    dq = helper.make_node("DequantizeLinear", ["y", "s", "z"], ["d"], axis=1)
    graph = helper.make_graph([qnode, dq], "g", ins, [helper.make_tensor_value_info("y", TensorProto.INT8, None),
                                                       helper.make_tensor_value_info("d", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    want_q, want_y = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, dict(sess_in))
    assert_same(got_q, want_q)
    np.testing.assert_allclose(got_y, want_y, rtol=1e-6, atol=1e-7)


# ---- einsum -----------------------------------------------------------------------------------

EINSUMS = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("ij->ji", [(3, 4)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(5, 5)]),
    ("iij->j", [(3, 3, 2)]),
    ("i,i", [(6,), (6,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (3, 4, 2)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("b...,b...->...b", [(2, 3, 4), (2, 1, 4)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("Ab,bA", [(3, 4), (4, 3)]),
    ("ba", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("i...", [(3, 2, 4)]),
    (" ij , jk -> ki ", [(2, 3), (3, 4)]),
]


@pytest.mark.parametrize("case", range(len(EINSUMS)))
def test_einsum(logger, rng, case):
    eq, shapes = EINSUMS[case]
    xs = {f"x{i}": rand(rng, s, np.float32) for i, s in enumerate(shapes)}
    got = run_net(logger, xs, lambda n, t: n.add_einsum([t[k] for k in xs], eq))
    want = np.einsum(eq.replace(" ", ""), *[a.astype(np.float64) for a in xs.values()])
    assert got.dtype == np.float32 and got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("eq,shapes", [("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("ii->i", [(4, 4)]),
                                       ("...ij,...jk->...ik", [(2, 1, 3, 4), (1, 5, 4, 2)]), ("ij,jk", [(3, 4), (4, 5)])])
def test_einsum_vs_onnxruntime(logger, rng, eq, shapes):
    xs = [(f"x{i}", rand(rng, s, np.float32)) for i, s in enumerate(shapes)]
    got = run_net(logger, dict(xs), lambda n, t: n.add_einsum([t[k] for k, _ in xs], eq))
    node = helper.make_node("Einsum", [k for k, _ in xs], ["y"], equation=eq)
    np.testing.assert_allclose(got, ort_run(node, xs, np.float32, opset=12), rtol=1e-5, atol=1e-5)


def test_einsum_float16(logger, rng):
    a, b = rand(rng, (3, 4), np.float16), rand(rng, (4, 2), np.float16)
    got = run_net(logger, {"a": a, "b": b}, lambda n, t: n.add_einsum([t["a"], t["b"]], "ij,jk->ik"))
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float32), a.astype(np.float32) @ b.astype(np.float32), rtol=5e-3,
                               atol=5e-3)


@pytest.mark.parametrize("eq,shapes,needle", [
    ("ij,jk->ik", [(3, 4), (5, 6)], "'j' has extent 4 in one place and 5"),
    ("ijk->ik", [(3, 4)], "term 0 names 3 dim(s)"),
    ("ij->iz", [(3, 4)], "output letter 'z' is in no input"),
    ("ij,jk,kl", [(3, 4), (4, 5)], "more terms"),
    ("i$j", [(3, 4)], "unexpected character '$'"),
    ("...ij->ij", [(2, 3, 4)], "no '...'"),
])
def test_einsum_errors(logger, rng, eq, shapes, needle):
    xs = {f"x{i}": rand(rng, s, np.float32) for i, s in enumerate(shapes)}
    with pytest.raises(ingot.IngotError) as e:
        run_net(logger, xs, lambda n, t: n.add_einsum([t[k] for k in xs], eq))
    assert needle in str(e.value)


# ---- dims computed from shapes: the value store end to end --------------------------------

BATCHES = (1, 3, 7)
PROFILE = ((1, 3, 4), (4, 3, 4), (8, 3, 4))


def batch_dim(net, x):
    """dims[0] of x as an int64 1-D tensor of one element."""
    return net.add_gather(net.add_shape(x).get_output(0), const(net, np.array([0], np.int64)), 0).get_output(0)


def test_reshape_dims_from_shape(logger, rng):
    """shape -> gather -> concat -> shuffle(set_input 1): reshape [B, 3, 4] to [B, 12],
    then back to [B, 4, 3] with a transposed copy: one engine, several batch sizes."""
    net = ingot.Network(logger)
    x = net.add_input("x", ingot.float32, (-1, 3, 4))
    dims = net.add_concatenation([batch_dim(net, x), const(net, np.array([12], np.int64))], 0).get_output(0)
    flat = net.add_shuffle(x)
    flat.set_input(1, dims)
    assert flat.num_inputs == 2 and flat.get_input(1) == dims
    back_dims = net.add_concatenation([batch_dim(net, x), const(net, np.array([4, 3], np.int64))], 0)
    back = net.add_shuffle(flat.get_output(0), second_transpose=(0, 2, 1))
    back.set_input(1, back_dims.get_output(0))
    y, z = flat.get_output(0), back.get_output(0)
    y.name, z.name = "y", "z"
    net.mark_output(y)
    net.mark_output(z)
    eng = Engine(logger, net, {"x": PROFILE})
    try:
        for b in BATCHES:
            a = rand(rng, (b, 3, 4), np.float32)
            out = eng({"x": a})
            assert_same(out["y"], a.reshape(b, 12))
            assert_same(out["z"], a.reshape(b, 4, 3).transpose(0, 2, 1))
    finally:
        eng.close()
        net.close()


def test_reshape_dims_int32_and_placeholders(logger, rng):
    """int32 dims with 0 (copy) and -1 (inferred), given as a constant through set_input."""
    x = rand(rng, (2, 3, 4), np.float32)

    def build(n, t):
        s = n.add_shuffle(t["x"])
        s.set_input(1, const(n, np.array([0, -1], np.int32)))
        return s
    assert_same(run_net(logger, {"x": x}, build), x.reshape(2, 12))


def test_expand_tile_fill_range_from_shapes(logger, rng):
    """Expand, tile, fill and range driven by a dynamic batch through the value store."""
    net = ingot.Network(logger)
    x = net.add_input("x", ingot.float32, (-1, 3, 4))
    row = net.add_input("row", ingot.int32, (1, 4))
    b = batch_dim(net, x)
    expand_shape = net.add_concatenation([b, const(net, np.array([4], np.int64))], 0).get_output(0)
    expanded = net.add_expand(row, expand_shape).get_output(0)
    repeats = net.add_concatenation([b, const(net, np.array([2], np.int64))], 0).get_output(0)
    tiled = net.add_tile(row, repeats).get_output(0)
    filled = net.add_fill(net.add_shape(x).get_output(0), ingot.int64, 9).get_output(0)
    limit = net.add_gather(net.add_shape(x).get_output(0), const(net, np.int64(0)), 0).get_output(0)
    ranged = net.add_range(const(net, np.int64(0)), limit, const(net, np.int64(1))).get_output(0)
    for name, t in (("e", expanded), ("t", tiled), ("f", filled), ("r", ranged)):
        t.name = name
        net.mark_output(t)
    eng = Engine(logger, net, {"x": PROFILE})
    try:
        for bs in BATCHES:
            a = rand(rng, (bs, 3, 4), np.float32)
            r = rand(rng, (1, 4), np.int32)
            out = eng({"x": a, "row": r})
            assert_same(out["e"], np.broadcast_to(r, (bs, 4)).copy())
            assert_same(out["t"], np.tile(r, (bs, 2)))
            assert_same(out["f"], np.full((bs, 3, 4), 9, np.int64))
            assert_same(out["r"], np.arange(bs, dtype=np.int64))
    finally:
        eng.close()
        net.close()


def test_slice_inputs_from_shapes(logger, rng):
    """Slice size from the shape (set_input 2), stride alone (set_input 3 with 1 and 2
    absent), start from a constant tensor: every row but the first, every other column."""
    net = ingot.Network(logger)
    x = net.add_input("x", ingot.int64, (-1, 6))
    rows = net.add_elementwise(batch_dim(net, x), const(net, np.array([1], np.int64)),
                               ingot.ElementWiseOperation.SUB).get_output(0)
    size = net.add_concatenation([rows, const(net, np.array([3], np.int64))], 0).get_output(0)
    sl = net.add_slice(x, (1, 0), (1, 1), (1, 1))
    sl.set_input(2, size)
    sl.set_input(3, const(net, np.array([1, 2], np.int64)))
    assert sl.num_inputs == 4 and sl.get_input(1) is None
    only_stride = net.add_slice(x, (0, 5), (1, 3), (1, 1))
    only_stride.set_input(3, const(net, np.array([1, -2], np.int32)))
    assert only_stride.get_input(1) is None and only_stride.get_input(2) is None
    with_start = net.add_slice(x, (0, 0), (1, 2), (1, 1))
    with_start.set_input(1, const(net, np.array([0, 4], np.int64)))
    for name, l in (("a", sl), ("b", only_stride), ("c", with_start)):
        l.get_output(0).name = name
        net.mark_output(l.get_output(0))
    eng = Engine(logger, net, {"x": ((2, 6), (4, 6), (8, 6))})
    try:
        for bs in (2, 5, 8):
            a = rand(rng, (bs, 6), np.int64)
            out = eng({"x": a})
            assert_same(out["a"], a[1:, 0::2])
            assert_same(out["b"], a[0:1, 5::-2])
            assert_same(out["c"], a[0:1, 4:6])
    finally:
        eng.close()
        net.close()


def test_padding_pads_input(logger, rng):
    x = rand(rng, (2, 3, 4), np.float32)

    def build(n, t):
        p = n.add_padding_nd(t["x"], (0, 0, 0), (0, 0, 0), ingot.PadMode.CONSTANT, 1.5)
        p.set_input(1, const(n, np.array([0, 1, 2, 1, 0, -1], np.int64)))
        return p
    got = run_net(logger, {"x": x}, build)
    want = np.pad(x, ((0, 1), (1, 0), (2, 0)), constant_values=1.5)[:, :, :-1]
    assert_same(got, want.astype(np.float32))


def test_dims_input_with_unknown_value_fails(logger, rng):
    """Reshape dims that depend on input data cannot be known when shapes are set."""
    x = rand(rng, (2, 6), np.float32)
    d = np.array([3, 4], dtype=np.int64)

    def build(n, t):
        s = n.add_shuffle(t["x"])
        s.set_input(1, t["d"])
        s.name = "reshape_by_data"
        return s
    with pytest.raises(ingot.IngotError) as e:
        run_net(logger, {"x": x, "d": d}, build)
    assert "reshape_by_data" in str(e.value)
    assert "reshape dims must be known when input shapes are set" in str(e.value)


def test_set_input_index_checks(logger):
    net = ingot.Network(logger)
    try:
        x = net.add_input("x", ingot.float32, (2, 3))
        d = const(net, np.array([3, 2], np.int64))
        with pytest.raises(ingot.IngotError):
            net.add_shuffle(x).set_input(2, d)  # shuffle has only input 1 as an option
        with pytest.raises(ingot.IngotError):
            net.add_slice(x, (0, 0), (1, 1), (1, 1)).set_input(4, d)
        with pytest.raises(ingot.IngotError):
            net.add_identity(x).set_input(1, d)
    finally:
        net.close()


def test_fill_shape_from_data_fails(logger, rng):
    x = rand(rng, (2,), np.int64)
    with pytest.raises(ingot.IngotError) as e:
        run_net(logger, {"x": x}, lambda n, t: n.add_fill(t["x"], ingot.float32, 1.0))
    assert "fill shape must be known when input shapes are set" in str(e.value)


def test_layer_types(logger):
    net = ingot.Network(logger)
    try:
        x = net.add_input("x", ingot.float32, (2, 3))
        i = net.add_input("i", ingot.int64, (2, 3))
        assert net.add_shape(x).type == ingot.LayerType.SHAPE
        assert net.add_gather_elements(x, i, 1).type == ingot.LayerType.GATHER_ELEMENTS
        assert net.add_einsum([x], "ij->ji").type == ingot.LayerType.EINSUM
        assert net.add_cumulative(x, 0).type == ingot.LayerType.CUMULATIVE
        with pytest.raises(ingot.IngotError):
            net.add_cumulative(net.add_cast(x, ingot.bool).get_output(0), 0)
        with pytest.raises(ingot.IngotError):
            net.add_einsum([x], "x" * 64)
    finally:
        net.close()
