"""ONNX import of the tensor family (src/onnx/import_tensor.c, import_shape_ops.c): single-
node and tiny models built with onnx.helper at old and new opsets, run by ingot and by
onnxruntime and compared exactly (data movement is exact); dynamic-shape graphs as
PyTorch's exporter writes them, built once with a profile and run at two batch sizes; and
host folding of shape computations (no shape layers left when the shapes are static)."""
import ctypes

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import ingot  # noqa: E402

F, I32, I64, BOOL, U8 = TensorProto.FLOAT, TensorProto.INT32, TensorProto.INT64, TensorProto.BOOL, TensorProto.UINT8
INT64_MAX, INT64_MIN = np.iinfo(np.int64).max, np.iinfo(np.int64).min


# ---- harness ---------------------------------------------------------------------------------

def make_model(nodes, inputs, outputs, inits=(), opset=13):
    """inputs/outputs: (name, elem_type, shape or None); inits: (name, ndarray)."""
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
        [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs],
        initializer=[numpy_helper.from_array(np.asarray(v), n) for n, v in inits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8 if opset <= 17 else 10
    return model


def _parse_ctypes(network, data):
    lib = ingot._lib.lib
    parser = ctypes.c_void_p()
    st = lib.ingot_onnx_parser_create(network.handle, None, ctypes.byref(parser))
    assert st == 0, ingot._lib.lib.ingot_last_error()
    try:
        st = lib.ingot_onnx_parser_parse(parser, data, len(data), None)
        if st != 0:
            msgs = []
            for i in range(lib.ingot_onnx_parser_num_errors(parser)):
                err = ingot._lib.ingot_onnx_parser_error()
                lib.ingot_onnx_parser_get_error(parser, i, ctypes.byref(err))
                msgs.append(err.message.decode())
            raise ingot.IngotError(st, "; ".join(msgs)) if _error_takes_two() else RuntimeError("; ".join(msgs))
    finally:
        lib.ingot_onnx_parser_destroy(parser)


def _error_takes_two():
    try:
        ingot.IngotError(1, "x")
        return True
    except Exception:
        return False


def parse(network, model):
    """Fills `network` from `model`, through ingot.OnnxParser when the package has it."""
    data = model.SerializeToString()
    if hasattr(ingot, "OnnxParser"):
        parser = ingot.OnnxParser(network, network.logger)
        ok = parser.parse(data)
        if ok is False:
            n = parser.num_errors
            raise RuntimeError("; ".join(str(parser.get_error(i)) for i in range(n)))
        return
    _parse_ctypes(network, data)


def ort_run(model, feeds):
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))


def compare(got, want):
    assert set(got) >= set(want), f"outputs {sorted(got)} lack {sorted(set(want) - set(got))}"
    for name, w in want.items():
        g = got[name]
        assert g.dtype == w.dtype, f"{name}: dtype {g.dtype}, onnxruntime {w.dtype}"
        assert g.shape == w.shape, f"{name}: shape {g.shape}, onnxruntime {w.shape}"
        np.testing.assert_array_equal(g, w, err_msg=name)


@pytest.fixture
def check(logger, run):
    """check(model, feeds, expected=None, profiles=None) -> the ingot network: parses, runs
    with ingot and compares every output exactly with onnxruntime (or `expected`)."""
    networks = []

    def _check(model, feeds, expected=None, profiles=None):
        network = ingot.Network(logger)
        networks.append(network)
        parse(network, model)
        got = run(network, feeds, profiles=profiles)
        compare(got, expected if expected is not None else ort_run(model, feeds))
        return network

    yield _check
    for n in networks:
        n.close()


def build_engine(logger, model, profile):
    """One plan for `model` with one profile {name: (min, opt, max)}: (network, engine)."""
    network = ingot.Network(logger)
    parse(network, model)
    builder = ingot.Builder(logger)
    config = builder.create_builder_config()
    config.add_optimization_profile(profile)
    plan = builder.build_serialized_network(network, config)
    engine = ingot.Runtime(logger).deserialize_engine(plan)
    return network, engine


def layer_types(network):
    return [ingot.LayerType(int(layer.type)).name.lower() for layer in network.layers]


def single(op, inputs, outputs, opset=13, inits=(), **attrs):
    """A one-node model: inputs/outputs as for make_model; node inputs are the names of
    inputs then inits (in order), with "" kept for absent optional inputs."""
    names = [n for n, _, _ in inputs]
    node_inputs = attrs.pop("node_inputs", None)
    if node_inputs is None:
        node_inputs = names + [n for n, _ in inits]
    node = helper.make_node(op, node_inputs, [n for n, _, _ in outputs], **attrs)
    return make_model([node], inputs, outputs, inits, opset)


def randf(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


# ---- Reshape, Flatten, Squeeze, Unsqueeze ----------------------------------------------------------

@pytest.mark.parametrize("shape", [[4, -1], [0, 12], [24], [2, 3, 2, 2], [-1, 0, 1]])
def test_reshape_constant_shape(check, rng, shape):
    m = single("Reshape", [("x", F, [2, 3, 4])], [("y", F, None)],
               inits=[("shape", np.array(shape, np.int64))])
    net = check(m, {"x": randf(rng, 2, 3, 4)})
    assert layer_types(net).count("shuffle") == 1


def test_reshape_allowzero(check, rng):
    m = single("Reshape", [("x", F, [2, 3, 4])], [("y", F, None)], opset=14,
               inits=[("shape", np.array([4, 6], np.int64))], allowzero=1)
    check(m, {"x": randf(rng, 2, 3, 4)})


@pytest.mark.parametrize("axis", [0, 1, 2, 3, -1, -3])
def test_flatten(check, rng, axis):
    m = single("Flatten", [("x", F, [2, 3, 4, 5])], [("y", F, None)], axis=axis)
    check(m, {"x": randf(rng, 2, 3, 4, 5)})


def test_flatten_default_axis(check, rng):
    x = randf(rng, 2, 3, 4)
    m = single("Flatten", [("x", F, [2, 3, 4])], [("y", F, None)], opset=9)
    check(m, {"x": x}, expected={"y": x.reshape(2, 12)})


@pytest.mark.parametrize("opset,axes", [(11, [1, 3]), (11, [-1]), (13, [1, 3]), (13, [-3, -1]), (13, None)])
def test_squeeze(check, rng, opset, axes):
    x = randf(rng, 2, 1, 3, 1)
    if axes is None:
        m = single("Squeeze", [("x", F, [2, 1, 3, 1])], [("y", F, None)], opset=opset)
    elif opset >= 13:
        m = single("Squeeze", [("x", F, [2, 1, 3, 1])], [("y", F, None)], opset=opset,
                   inits=[("axes", np.array(axes, np.int64))])
    else:
        m = single("Squeeze", [("x", F, [2, 1, 3, 1])], [("y", F, None)], opset=opset, axes=axes)
    check(m, {"x": x})


def test_squeeze_wrong_dim_fails(logger):
    m = single("Squeeze", [("x", F, [2, 3])], [("y", F, None)], opset=11, axes=[1])
    with pytest.raises(Exception, match="axes"):
        parse(ingot.Network(logger), m)


@pytest.mark.parametrize("opset,axes", [(11, [0]), (11, [1, 4]), (11, [-1]), (13, [0, 2]), (13, [-1, -4])])
def test_unsqueeze(check, rng, opset, axes):
    if opset >= 13:
        m = single("Unsqueeze", [("x", F, [2, 3, 4])], [("y", F, None)], opset=opset,
                   inits=[("axes", np.array(axes, np.int64))])
    else:
        m = single("Unsqueeze", [("x", F, [2, 3, 4])], [("y", F, None)], opset=opset, axes=axes)
    check(m, {"x": randf(rng, 2, 3, 4)})


# ---- Transpose, Concat, Split ----------------------------------------------------------------------

@pytest.mark.parametrize("perm", [None, [0, 2, 1, 3], [3, 0, 1, 2]])
def test_transpose(check, rng, perm):
    kw = {} if perm is None else {"perm": perm}
    m = single("Transpose", [("x", F, [2, 3, 4, 5])], [("y", F, None)], **kw)
    check(m, {"x": randf(rng, 2, 3, 4, 5)})


# Large enough for the tiled transpose (16 x 16 tiles, ragged edges): the layout pass's
# NCHW <-> NHWC perms, a middle pair, a reversal; 4-, 2-, 1- and 8-byte elements.
@pytest.mark.parametrize("perm", [[0, 2, 3, 1], [0, 3, 1, 2], [0, 2, 1, 3], [3, 2, 1, 0]])
@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int8, np.int64])
@pytest.mark.parametrize("shape", [(2, 37, 5, 19), (1, 3, 20, 24)])  # the second: an image's 3 channels
def test_transpose_tiled(check, rng, perm, dtype, shape):
    x = (rng.standard_normal(shape) * 50).astype(dtype)
    elem = {np.float32: F, np.float16: TensorProto.FLOAT16, np.int8: TensorProto.INT8, np.int64: TensorProto.INT64}[dtype]
    m = single("Transpose", [("x", elem, list(x.shape))], [("y", elem, None)], perm=perm)
    check(m, {"x": x})


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat(check, rng, axis):
    shapes = {0: ([2, 3, 4], [1, 3, 4], [3, 3, 4]), 1: ([2, 3, 4], [2, 1, 4], [2, 2, 4]),
              -1: ([2, 3, 4], [2, 3, 1], [2, 3, 5])}[axis]
    m = single("Concat", [("a", F, shapes[0]), ("b", F, shapes[1])], [("y", F, None)],
               inits=[("c", randf(rng, *shapes[2]))], axis=axis)
    check(m, {"a": randf(rng, *shapes[0]), "b": randf(rng, *shapes[1])})


def test_concat_int64(check, rng):
    m = single("Concat", [("a", I64, [3]), ("b", I64, [2])], [("y", I64, None)], axis=0)
    check(m, {"a": np.array([1, 2, 3], np.int64), "b": np.array([-4, 5], np.int64)})


@pytest.mark.parametrize("opset,split,n,axis", [
    (11, [1, 2, 3], 3, 1), (13, [2, 4], 2, 1), (13, None, 3, 1), (13, None, 2, -1), (11, None, 2, 0)])
def test_split(check, rng, opset, split, n, axis):
    outs = [(f"y{i}", F, None) for i in range(n)]
    if split is not None and opset >= 13:
        m = single("Split", [("x", F, [2, 6, 4])], outs, opset=opset, inits=[("split", np.array(split, np.int64))],
                   axis=axis)
    elif split is not None:
        m = single("Split", [("x", F, [2, 6, 4])], outs, opset=opset, split=split, axis=axis)
    else:
        m = single("Split", [("x", F, [2, 6, 4])], outs, opset=opset, axis=axis)
    check(m, {"x": randf(rng, 2, 6, 4)})


@pytest.mark.parametrize("dim,n", [(7, 3), (8, 3), (6, 3), (10, 4)])
def test_split_num_outputs_opset18(check, rng, dim, n):
    outs = [(f"y{i}", F, None) for i in range(n)]
    m = single("Split", [("x", F, [2, dim])], outs, opset=18, axis=1, num_outputs=n)
    check(m, {"x": randf(rng, 2, dim)})


# ---- Slice -----------------------------------------------------------------------------------------

def test_slice_opset1_attributes(check, rng):
    x = randf(rng, 4, 6, 5)
    m = single("Slice", [("x", F, [4, 6, 5])], [("y", F, None)], opset=9, starts=[1, -4], ends=[3, 1000],
               axes=[0, 2])
    check(m, {"x": x})


SLICE_CASES = [
    # starts, ends, axes, steps
    ([1, 0], [3, 5], None, None),
    ([-3], [INT64_MAX], [1], None),
    ([0, 1], [INT64_MAX, -1], [2, 0], [2, 1]),
    ([-1], [INT64_MIN], [1], [-1]),
    ([5, 4], [0, -100], [1, -1], [-2, -3]),
    ([10], [20], [0], None),              # empty: start past the end
    ([2], [2], [2], None),                # empty: start == end
    ([-100], [100], [-2], [3]),
]


@pytest.mark.parametrize("starts,ends,axes,steps", SLICE_CASES)
def test_slice(check, rng, starts, ends, axes, steps):
    inits = [("starts", np.array(starts, np.int64)), ("ends", np.array(ends, np.int64))]
    names = ["x", "starts", "ends"]
    if axes is not None or steps is not None:
        inits.append(("axes", np.array(axes if axes is not None else list(range(len(starts))), np.int64)))
        names.append("axes")
    if steps is not None:
        inits.append(("steps", np.array(steps, np.int64)))
        names.append("steps")
    m = single("Slice", [("x", F, [4, 6, 5])], [("y", F, None)], inits=inits, node_inputs=names)
    check(m, {"x": randf(rng, 4, 6, 5)})


def test_slice_int32_indices(check, rng):
    m = single("Slice", [("x", F, [4, 6])], [("y", F, None)],
               inits=[("s", np.array([1], np.int32)), ("e", np.array([-1], np.int32)), ("a", np.array([1], np.int32))])
    check(m, {"x": randf(rng, 4, 6)})


# ---- Gather family, Scatter family -----------------------------------------------------------------

@pytest.mark.parametrize("axis,indices", [(0, [2, 0]), (1, [[0, -1], [1, 1]]), (-1, 3), (1, [-2])])
def test_gather(check, rng, axis, indices):
    idx = np.array(indices, np.int64)
    m = single("Gather", [("x", F, [3, 4, 5])], [("y", F, None)], inits=[("i", idx)], axis=axis)
    check(m, {"x": randf(rng, 3, 4, 5)})


def test_gather_computed_indices(check, rng):
    m = single("Gather", [("x", F, [3, 4]), ("i", I64, [2])], [("y", F, None)], axis=1)
    check(m, {"x": randf(rng, 3, 4), "i": np.array([3, -4], np.int64)})


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather_elements(check, rng, axis):
    idx = rng.integers(-3, 3, size=(3, 3)).astype(np.int64)
    m = single("GatherElements", [("x", F, [3, 3])], [("y", F, None)], inits=[("i", idx)], axis=axis)
    check(m, {"x": randf(rng, 3, 3)})


@pytest.mark.parametrize("batch_dims,indices", [(0, [[0, 1], [1, 0]]), (0, [[1], [0]]), (1, [[1], [0]])])
def test_gather_nd(check, rng, batch_dims, indices):
    m = single("GatherND", [("x", F, [2, 2, 3])], [("y", F, None)], opset=12,
               inits=[("i", np.array(indices, np.int64))], batch_dims=batch_dims)
    check(m, {"x": randf(rng, 2, 2, 3)})


@pytest.mark.parametrize("opset,reduction", [(11, None), (16, "add"), (16, "mul"), (18, "max"), (18, "min")])
def test_scatter_nd(check, rng, opset, reduction):
    kw = {} if reduction is None else {"reduction": reduction}
    idx = np.array([[0], [2]], np.int64)
    m = single("ScatterND", [("x", F, [4, 3]), ("u", F, [2, 3])], [("y", F, None)], opset=opset,
               inits=[("i", idx)], node_inputs=["x", "i", "u"], **kw)
    check(m, {"x": randf(rng, 4, 3), "u": randf(rng, 2, 3)})


@pytest.mark.parametrize("op,opset,reduction,axis", [
    ("ScatterElements", 11, None, 0), ("ScatterElements", 13, None, 1), ("ScatterElements", 16, "add", 1),
    ("ScatterElements", 18, "max", 0), ("Scatter", 9, None, 1), ("Scatter", 10, None, -1)])
def test_scatter_elements(check, rng, op, opset, reduction, axis):
    kw = {} if reduction is None else {"reduction": reduction}
    idx = np.array([[1, 0, 2], [0, 2, 1]], np.int64)
    m = single(op, [("x", F, [3, 3]), ("u", F, [2, 3])], [("y", F, None)], opset=opset,
               inits=[("i", idx)], node_inputs=["x", "i", "u"], axis=axis, **kw)
    check(m, {"x": randf(rng, 3, 3), "u": randf(rng, 2, 3)})


# ---- Expand, Tile, Pad -----------------------------------------------------------------------------

@pytest.mark.parametrize("xshape,shape", [([3, 1], [2, 3, 4]), ([1, 4], [3, 1]), ([2, 1, 5], [2, 4, 5])])
def test_expand(check, rng, xshape, shape):
    m = single("Expand", [("x", F, xshape)], [("y", F, None)], inits=[("s", np.array(shape, np.int64))])
    check(m, {"x": randf(rng, *xshape)})


def test_tile(check, rng):
    m = single("Tile", [("x", F, [2, 3])], [("y", F, None)], inits=[("r", np.array([2, 3], np.int64))])
    check(m, {"x": randf(rng, 2, 3)})


@pytest.mark.parametrize("mode,pads", [
    ("constant", [0, 1, 2, 1, 0, 3]), ("reflect", [1, 2, 0, 1, 1, 2]), ("edge", [0, 2, 1, 2, 0, 1]),
    ("constant", [0, -1, 1, 0, 1, -2])])
def test_pad(check, rng, mode, pads):
    inits = [("p", np.array(pads, np.int64))]
    names = ["x", "p"]
    if mode == "constant":
        inits.append(("v", np.array(1.5, np.float32)))
        names.append("v")
    m = single("Pad", [("x", F, [2, 4, 5])], [("y", F, None)], inits=inits, node_inputs=names, mode=mode)
    check(m, {"x": randf(rng, 2, 4, 5)})


def test_pad_wrap_opset19(check, rng):
    m = single("Pad", [("x", F, [3, 4])], [("y", F, None)], opset=19, inits=[("p", np.array([1, 2, 2, 1], np.int64))],
               mode="wrap")
    check(m, {"x": randf(rng, 3, 4)})


def test_pad_axes_opset18(check, rng):
    m = single("Pad", [("x", F, [2, 3, 4])], [("y", F, None)], opset=18,
               inits=[("p", np.array([1, 2, 0, 3], np.int64)), ("a", np.array([-1, 1], np.int64))],
               node_inputs=["x", "p", "", "a"])
    check(m, {"x": randf(rng, 2, 3, 4)})


def test_pad_opset10_attribute(check, rng):
    x = randf(rng, 2, 3)
    m = single("Pad", [("x", F, [2, 3])], [("y", F, None)], opset=10, pads=[1, 0, 0, 2], value=-1.0)
    check(m, {"x": x}, expected={"y": np.pad(x, [(1, 0), (0, 2)], constant_values=-1.0)})


# ---- Shape, Size, ConstantOfShape, Range, NonZero --------------------------------------------------

def shape_to_output(shape_node, extra_nodes=(), opset=15):
    """x [2, 3, 4, 5] -> Shape... -> concat with an int64 input `z` (so a folded constant
    still reaches an output through a layer)."""
    nodes = [shape_node, *extra_nodes, helper.make_node("Concat", ["z", "s_out"], ["y"], axis=0)]
    return make_model(nodes, [("x", F, [2, 3, 4, 5]), ("z", I64, [1])], [("y", I64, None)], opset=opset)


@pytest.mark.parametrize("kw", [{}, {"start": 1}, {"start": -2}, {"end": -1}, {"start": 1, "end": 3},
                                {"start": -10, "end": 10}, {"start": 3, "end": 1}])
def test_shape(check, rng, kw):
    m = shape_to_output(helper.make_node("Shape", ["x"], ["s_out"], **kw))
    net = check(m, {"x": randf(rng, 2, 3, 4, 5), "z": np.array([7], np.int64)})
    assert "shape" not in layer_types(net), "the shape of a static input is folded at import"


def test_size(check, rng):
    nodes = [helper.make_node("Size", ["x"], ["n"]), helper.make_node("Unsqueeze", ["n", "ax"], ["s_out"])]
    m = make_model(nodes + [helper.make_node("Concat", ["z", "s_out"], ["y"], axis=0)],
                   [("x", F, [2, 3, 4, 5]), ("z", I64, [1])], [("y", I64, None)], inits=[("ax", np.array([0]))])
    check(m, {"x": randf(rng, 2, 3, 4, 5), "z": np.array([7], np.int64)})


@pytest.mark.parametrize("value", [None, np.array([3], np.int64), np.array([2.5], np.float32),
                                   np.array([7], np.int32)])
def test_constant_of_shape(check, rng, value):
    kw = {} if value is None else {"value": numpy_helper.from_array(value)}
    dtype = F if value is None else helper.np_dtype_to_tensor_dtype(value.dtype)
    nodes = [helper.make_node("ConstantOfShape", ["s"], ["c"], **kw),
             helper.make_node("Concat", ["c", "z"], ["y"], axis=0)]
    np_dtype = np.float32 if value is None else value.dtype
    m = make_model(nodes, [("z", dtype, [2, 3])], [("y", dtype, None)], inits=[("s", np.array([2, 3], np.int64))])
    check(m, {"z": np.ones((2, 3), np_dtype)})


@pytest.mark.parametrize("start,limit,delta,dtype", [
    (0, 10, 3, np.int64), (5, -3, -2, np.int32), (0.5, 3.2, 0.3, np.float32), (1.0, 1.0, 1.0, np.float32)])
def test_range_constant(check, start, limit, delta, dtype):
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    nodes = [helper.make_node("Range", ["s", "l", "d"], ["r"]), helper.make_node("Concat", ["z", "r"], ["y"], axis=0)]
    m = make_model(nodes, [("z", elem, [1])], [("y", elem, None)], opset=11,
                   inits=[("s", np.array(start, dtype)), ("l", np.array(limit, dtype)), ("d", np.array(delta, dtype))])
    check(m, {"z": np.array([9], dtype)})


def test_nonzero_constant(check):
    c = np.array([[1, 0, 2], [0, 0, 3]], np.float32)
    nodes = [helper.make_node("NonZero", ["c"], ["nz"]), helper.make_node("Concat", ["z", "nz"], ["y"], axis=1)]
    m = make_model(nodes, [("z", I64, [2, 1])], [("y", I64, None)], inits=[("c", c)])
    check(m, {"z": np.array([[5], [6]], np.int64)})


def test_nonzero_of_computed_input(check, rng):
    # a data-dependent output shape: computed when the node runs
    x = randf(rng, 3, 4)
    x[x < 0.2] = 0
    m = single("NonZero", [("x", F, [3, 4])], [("y", I64, None)])
    check(m, {"x": x})


# ---- DepthToSpace, SpaceToDepth, TopK -----------------------------------------------------------

@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_depth_to_space(check, rng, mode):
    m = single("DepthToSpace", [("x", F, [2, 8, 3, 4])], [("y", F, None)], blocksize=2, mode=mode)
    check(m, {"x": randf(rng, 2, 8, 3, 4)})


def test_space_to_depth(check, rng):
    m = single("SpaceToDepth", [("x", F, [2, 3, 4, 6])], [("y", F, None)], blocksize=2)
    check(m, {"x": randf(rng, 2, 3, 4, 6)})


@pytest.mark.parametrize("opset,k,axis,largest", [(9, 2, -1, 1), (10, 3, 1, 1), (11, 2, 0, 0), (11, 4, -1, 0)])
def test_topk(check, rng, opset, k, axis, largest):
    x = rng.permutation(60).astype(np.float32).reshape(3, 4, 5)  # distinct values: one right answer
    outs = [("v", F, None), ("i", I64, None)]
    if opset < 10:
        m = single("TopK", [("x", F, [3, 4, 5])], outs, opset=opset, k=k, axis=axis)
    else:
        kw = {} if opset < 11 else {"largest": largest}
        m = single("TopK", [("x", F, [3, 4, 5])], outs, opset=opset, inits=[("k", np.array([k], np.int64))],
                   axis=axis, **kw)
    check(m, {"x": x})


# ---- host folding ----------------------------------------------------------------------------------

def test_static_shape_chain_is_folded(check, rng):
    """Shape -> Gather -> Unsqueeze -> Concat -> Reshape on a static input: only the reshape
    remains (every shape op computed at import)."""
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
             helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
             helper.make_node("Cast", ["n1"], ["n2"], to=I64),
             helper.make_node("Concat", ["n2", "minus1"], ["shape"], axis=0),
             helper.make_node("Slice", ["shape", "s0", "e0"], ["shape2"]),
             helper.make_node("Reshape", ["x", "shape2"], ["y"])]
    m = make_model(nodes, [("x", F, [3, 4, 5])], [("y", F, None)],
                   inits=[("zero", np.array(0, np.int64)), ("ax", np.array([0], np.int64)),
                          ("minus1", np.array([-1], np.int64)), ("s0", np.array([0], np.int64)),
                          ("e0", np.array([2], np.int64))])
    net = check(m, {"x": randf(rng, 3, 4, 5)})
    types = layer_types(net)
    assert not {"shape", "gather", "concatenation", "slice", "cast"} & set(types), types


def test_constant_gather_and_concat_fold(check, rng):
    table = rng.integers(0, 9, (4, 3)).astype(np.int64)
    nodes = [helper.make_node("Gather", ["t", "i"], ["g"], axis=0),
             helper.make_node("Transpose", ["g"], ["gt"], perm=[1, 0]),
             helper.make_node("Concat", ["gt", "gt"], ["c"], axis=1),
             helper.make_node("Concat", ["z", "c"], ["y"], axis=0)]
    m = make_model(nodes, [("z", I64, [1, 4])], [("y", I64, None)],
                   inits=[("t", table), ("i", np.array([3, -4], np.int64))])
    net = check(m, {"z": np.zeros((1, 4), np.int64)})
    assert layer_types(net).count("gather") == 0


# ---- dynamic shapes: PyTorch-exporter style graphs, one plan, two batch sizes ------------------------

@pytest.fixture(params=[False, True], ids=["bare", "value_info"])
def value_info(request):
    """bare: only graph inputs carry shapes, so the importers see computed tensors of unknown
    rank; value_info: the model went through ONNX shape inference, as exported models do."""
    return request.param


def run_batches(logger, model, profile, make_feeds, value_info, batches=(1, 5)):
    if value_info:
        model = onnx.shape_inference.infer_shapes(model)
    network, engine = build_engine(logger, model, profile)
    context = engine.create_execution_context()
    for b in batches:
        feeds = make_feeds(b)
        compare(context.execute(feeds), ort_run(model, feeds))
    context.close()
    engine.close()
    network.close()


def test_dynamic_batch_view_pattern(logger, rng, value_info):
    """x.view(x.size(0), -1): Shape -> Gather(0) -> Unsqueeze -> Concat([-1]) -> Reshape."""
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
             helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
             helper.make_node("Concat", ["n1", "minus1"], ["shape"], axis=0),
             helper.make_node("Reshape", ["x", "shape"], ["y"])]
    m = make_model(nodes, [("x", F, ["N", 3, 4, 4])], [("y", F, None)],
                   inits=[("zero", np.array(0, np.int64)), ("ax", np.array([0], np.int64)),
                          ("minus1", np.array([-1], np.int64))])
    run_batches(logger, m, {"x": ((1, 3, 4, 4), (4, 3, 4, 4), (8, 3, 4, 4))},
                lambda b: {"x": randf(rng, b, 3, 4, 4)}, value_info)


def test_dynamic_batch_flatten(logger, rng, value_info):
    m = make_model([helper.make_node("Flatten", ["x"], ["y"], axis=1)], [("x", F, ["N", 3, 4, 4])], [("y", F, None)])
    run_batches(logger, m, {"x": ((1, 3, 4, 4), (4, 3, 4, 4), (8, 3, 4, 4))},
                lambda b: {"x": randf(rng, b, 3, 4, 4)}, value_info)


def test_dynamic_flatten_axis2(logger, rng, value_info):
    m = make_model([helper.make_node("Flatten", ["x"], ["y"], axis=2)], [("x", F, [2, "N", 3, 4])], [("y", F, None)])
    run_batches(logger, m, {"x": ((2, 1, 3, 4), (2, 4, 3, 4), (2, 8, 3, 4))},
                lambda b: {"x": randf(rng, 2, b, 3, 4)}, value_info)


def test_dynamic_slice_computed_ends(logger, rng, value_info):
    """x[:, : x.size(0)]: the end comes from the dynamic batch dim."""
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
             helper.make_node("Unsqueeze", ["n", "ax"], ["end"]),
             helper.make_node("Slice", ["x", "start", "end", "axes"], ["y"])]
    m = make_model(nodes, [("x", F, ["N", 6])], [("y", F, None)],
                   inits=[("zero", np.array(0, np.int64)), ("ax", np.array([0], np.int64)),
                          ("start", np.array([0], np.int64)), ("axes", np.array([1], np.int64))])
    run_batches(logger, m, {"x": ((1, 6), (4, 6), (8, 6))}, lambda b: {"x": randf(rng, b, 6)}, value_info)


def test_dynamic_slice_negative_start(logger, rng, value_info):
    m = single("Slice", [("x", F, ["N", 6])], [("y", F, None)],
               inits=[("s", np.array([-2, 1], np.int64)), ("e", np.array([INT64_MAX, -1], np.int64))])
    run_batches(logger, m, {"x": ((1, 6), (4, 6), (8, 6))}, lambda b: {"x": randf(rng, b, 6)}, value_info)


def test_dynamic_expand_to_computed_shape(logger, rng, value_info):
    """b.expand(x.shape): Expand with the shape of another input."""
    nodes = [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Expand", ["b", "s"], ["y"])]
    m = make_model(nodes, [("x", F, ["N", 3, 4]), ("b", F, [1, 3, 1])], [("y", F, None)])
    run_batches(logger, m, {"x": ((1, 3, 4), (4, 3, 4), (8, 3, 4))},
                lambda n: {"x": randf(rng, n, 3, 4), "b": randf(rng, 1, 3, 1)}, value_info)


def test_dynamic_split_and_squeeze(logger, rng, value_info):
    nodes = [helper.make_node("Split", ["x"], ["a", "b"], axis=1),
             helper.make_node("Unsqueeze", ["a", "ax"], ["a1"]),
             helper.make_node("Squeeze", ["a1", "ax"], ["y0"]),
             helper.make_node("Transpose", ["b"], ["y1"], perm=[1, 0, 2])]
    m = make_model(nodes, [("x", F, ["N", 4, 3])], [("y0", F, None), ("y1", F, None)],
                   inits=[("ax", np.array([0], np.int64))])
    run_batches(logger, m, {"x": ((1, 4, 3), (4, 4, 3), (8, 4, 3))}, lambda b: {"x": randf(rng, b, 4, 3)}, value_info)


def test_dynamic_depth_to_space(logger, rng, value_info):
    m = single("DepthToSpace", [("x", F, ["N", 8, 2, 3])], [("y", F, None)], blocksize=2, mode="CRD")
    run_batches(logger, m, {"x": ((1, 8, 2, 3), (4, 8, 2, 3), (8, 8, 2, 3))},
                lambda b: {"x": randf(rng, b, 8, 2, 3)}, value_info)


def test_dynamic_constant_of_shape_and_range(logger, rng, value_info):
    """torch.arange(x.size(1)) + zeros(x.shape[:1]) style: Range and ConstantOfShape fed by shapes."""
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
             helper.make_node("Range", ["r0", "n", "r1"], ["r"]),
             helper.make_node("Shape", ["x"], ["s2"], start=0, end=1),
             helper.make_node("ConstantOfShape", ["s2"], ["c"], value=numpy_helper.from_array(np.array([4], np.int64))),
             helper.make_node("Concat", ["r", "c"], ["y"], axis=0)]
    m = make_model(nodes, [("x", F, ["N", 3])], [("y", I64, None)], opset=15,
                   inits=[("zero", np.array(0, np.int64)), ("r0", np.array(0, np.int64)), ("r1", np.array(1, np.int64))])
    run_batches(logger, m, {"x": ((1, 3), (4, 3), (8, 3))}, lambda b: {"x": randf(rng, b, 3)}, value_info)


def test_dynamic_pad_computed(logger, rng, value_info):
    """Pads computed from a shape: pad the last dim up to the batch size * 2."""
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
             helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
             helper.make_node("Concat", ["zeros3", "n1"], ["pads"], axis=0),
             helper.make_node("Pad", ["x", "pads"], ["y"])]
    m = make_model(nodes, [("x", F, ["N", 3])], [("y", F, None)],
                   inits=[("zero", np.array(0, np.int64)), ("ax", np.array([0], np.int64)),
                          ("zeros3", np.array([0, 0, 0], np.int64))])
    run_batches(logger, m, {"x": ((1, 3), (4, 3), (8, 3))}, lambda b: {"x": randf(rng, b, 3)}, value_info)


def test_dynamic_size_flattens_everything(logger, rng, value_info):
    """x.reshape(x.numel()): Size -> Unsqueeze -> Reshape."""
    nodes = [helper.make_node("Size", ["x"], ["n"]),
             helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
             helper.make_node("Reshape", ["x", "n1"], ["y"])]
    m = make_model(nodes, [("x", F, ["N", 3, 2])], [("y", F, None)], inits=[("ax", np.array([0], np.int64))])
    run_batches(logger, m, {"x": ((1, 3, 2), (4, 3, 2), (8, 3, 2))}, lambda b: {"x": randf(rng, b, 3, 2)}, value_info)


def test_dynamic_tile_computed_repeats(logger, rng, value_info):
    """b.repeat(x.size(0), 1): Tile with repeats from a shape."""
    nodes = [helper.make_node("Shape", ["x"], ["s"], end=1),
             helper.make_node("Concat", ["s", "one"], ["reps"], axis=0),
             helper.make_node("Tile", ["b", "reps"], ["y"])]
    m = make_model(nodes, [("x", F, ["N", 2]), ("b", F, [1, 3])], [("y", F, None)], opset=15,
                   inits=[("one", np.array([1], np.int64))])
    run_batches(logger, m, {"x": ((1, 2), (4, 2), (8, 2))},
                lambda n: {"x": randf(rng, n, 2), "b": randf(rng, 1, 3)}, value_info)


def test_dynamic_space_to_depth(logger, rng, value_info):
    m = single("SpaceToDepth", [("x", F, ["N", 2, 4, 6])], [("y", F, None)], blocksize=2)
    run_batches(logger, m, {"x": ((1, 2, 4, 6), (4, 2, 4, 6), (8, 2, 4, 6))},
                lambda b: {"x": randf(rng, b, 2, 4, 6)}, value_info)


def test_dynamic_ops_on_activations(logger, rng, value_info):
    """Slice, Split, Transpose, Gather, Concat, Squeeze and Flatten applied to computed
    tensors of a dynamic graph (whose rank only value_info tells the importers)."""
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2]),          # [3, N, 4]
             helper.make_node("Slice", ["t", "s", "e", "a"], ["sl"]),               # [3, N, 2]: 1:3
             helper.make_node("Split", ["sl", "sp"], ["p", "q"], axis=2),            # [3, N, 1] x2
             helper.make_node("Concat", ["q", "p"], ["c"], axis=-1),                # [3, N, 2]
             helper.make_node("Gather", ["c", "gi"], ["g"], axis=-1),               # [3, N]
             helper.make_node("Unsqueeze", ["g", "ax"], ["u"]),                     # [3, N, 1]
             helper.make_node("Squeeze", ["u", "ax"], ["sq"]),                      # [3, N]
             helper.make_node("Flatten", ["p"], ["y1"], axis=1),                     # [3, N]
             helper.make_node("Concat", ["sq", "y1"], ["y"], axis=0)]
    m = make_model(nodes, [("x", F, ["N", 3, 4])], [("y", F, None)],
                   inits=[("s", np.array([1], np.int64)), ("e", np.array([3], np.int64)),
                          ("a", np.array([2], np.int64)), ("sp", np.array([1, 1], np.int64)),
                          ("gi", np.array(1, np.int64)), ("ax", np.array([2], np.int64))])
    run_batches(logger, m, {"x": ((1, 3, 4), (4, 3, 4), (8, 3, 4))}, lambda b: {"x": randf(rng, b, 3, 4)},
                value_info)


def test_topk_unsorted(check, rng):
    """sorted=0 leaves the order open: compare as sets (ingot sorts anyway)."""
    x = rng.permutation(40).astype(np.float32).reshape(5, 8)
    m = single("TopK", [("x", F, [5, 8])], [("v", F, None), ("i", I64, None)], opset=11,
               inits=[("k", np.array([3], np.int64))], sorted=0)
    network = ingot.Network(ingot.Logger())
    parse(network, m)
    got = ingot.run_network(network, {"x": x})
    want = ort_run(m, {"x": x})
    np.testing.assert_array_equal(np.sort(got["v"], axis=1), np.sort(want["v"], axis=1))
    np.testing.assert_array_equal(np.take_along_axis(x, got["i"], axis=1), got["v"])
    network.close()


# ---- refusals name what is wrong -------------------------------------------------------------------

def _refused(logger, model, pattern):
    network = ingot.Network(logger)
    with pytest.raises(Exception, match=pattern):
        parse(network, model)
    network.close()


def test_topk_computed_k_is_refused(logger):
    nodes = [helper.make_node("Shape", ["x"], ["s"], start=1), helper.make_node("TopK", ["x", "s"], ["v", "i"])]
    m = make_model(nodes, [("x", F, ["N", 4])], [("v", F, None), ("i", I64, None)], opset=15)
    _refused(logger, m, "K")


def test_squeeze_without_axes_on_dynamic_dims_is_refused(logger):
    m = single("Squeeze", [("x", F, ["N", 1, 3])], [("y", F, None)])
    _refused(logger, m, "Squeeze without axes")


def test_reshape_two_minus_ones_is_refused(logger):
    m = single("Reshape", [("x", F, [2, 3, 4])], [("y", F, None)], inits=[("shape", np.array([-1, -1], np.int64))])
    _refused(logger, m, "-1")


def test_gather_constant_index_out_of_range_is_refused(logger):
    nodes = [helper.make_node("Gather", ["t", "i"], ["g"]), helper.make_node("Concat", ["z", "g"], ["y"], axis=0)]
    m = make_model(nodes, [("z", I64, [1])], [("y", I64, None)],
                   inits=[("t", np.array([1, 2, 3], np.int64)), ("i", np.array([3], np.int64))])
    _refused(logger, m, "indices")


@pytest.mark.parametrize("axes,starts,ends,steps", [
    ([1], [1], [INT64_MAX], [1]), ([-1, -2], [-1, 0], [INT64_MIN, 2], [-2, 1]), ([0, 2], [1, 3], [3, 0], [1, -1])])
def test_dynamic_slice_of_unranked_activation(logger, rng, value_info, axes, starts, ends, steps):
    """Slice of a computed tensor: without value_info its rank is unknown at import, and the
    slice covers a window of dims counted from the front or from the end."""
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2]),
             helper.make_node("Slice", ["t", "s", "e", "a", "st"], ["y"])]
    m = make_model(nodes, [("x", F, ["N", 3, 5])], [("y", F, None)],
                   inits=[("s", np.array(starts, np.int64)), ("e", np.array(ends, np.int64)),
                          ("a", np.array(axes, np.int64)), ("st", np.array(steps, np.int64))])
    run_batches(logger, m, {"x": ((1, 3, 5), (4, 3, 5), (8, 3, 5))}, lambda b: {"x": randf(rng, b, 3, 5)}, value_info)


@pytest.mark.parametrize("axis,split", [(2, [2, 3]), (-1, None), (1, None)])
def test_dynamic_split_of_unranked_activation(logger, rng, value_info, axis, split):
    outs = ["p", "q"]
    inputs = ["t"] + (["sp"] if split else [])
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2]),
             helper.make_node("Split", inputs, outs, axis=axis)]
    inits = [("sp", np.array(split, np.int64))] if split else []
    m = make_model(nodes, [("x", F, ["N", 4, 5 if split else 6])], [(o, F, None) for o in outs], inits=inits)
    w = 5 if split else 6
    run_batches(logger, m, {"x": ((2, 4, w), (4, 4, w), (10, 4, w))}, lambda b: {"x": randf(rng, 2 * b, 4, w)},
                value_info)


@pytest.mark.parametrize("op,axes", [("Unsqueeze", [0]), ("Unsqueeze", [2]), ("Unsqueeze", [1, 3]), ("Unsqueeze", [3, 0]),
                                     ("Squeeze", [1]), ("Squeeze", [0, 1]), ("Squeeze", [1, 3])])
def test_dynamic_unsqueeze_squeeze_of_unranked_activation(logger, rng, value_info, op, axes):
    """Unsqueeze/Squeeze of a computed tensor (rank unknown at import without value_info)."""
    shape = ["N", 3] if op == "Unsqueeze" else [1, 1, "N", 1]
    perm = [1, 0] if op == "Unsqueeze" else [1, 0, 2, 3]
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=perm),
             helper.make_node(op, ["t", "ax"], ["y"])]
    m = make_model(nodes, [("x", F, shape)], [("y", F, None)], inits=[("ax", np.array(axes, np.int64))])
    mk = (lambda b: {"x": randf(rng, b, 3)}) if op == "Unsqueeze" else (lambda b: {"x": randf(rng, 1, 1, b, 1)})
    prof = [tuple(1 if d == "N" else d for d in shape), tuple(4 if d == "N" else d for d in shape),
            tuple(8 if d == "N" else d for d in shape)]
    run_batches(logger, m, {"x": tuple(prof)}, mk, value_info)


@pytest.mark.parametrize("kw", [{"start": 1}, {"start": 0, "end": 2}, {"start": -1}, {"start": -2, "end": -1}, {"end": 10}])
def test_dynamic_shape_start_end_of_unranked_activation(logger, rng, value_info, kw):
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2]),
             helper.make_node("Shape", ["t"], ["s"], **kw),
             helper.make_node("Concat", ["s", "z"], ["y"], axis=0)]
    m = make_model(nodes, [("x", F, ["N", 3, 2]), ("z", I64, [1])], [("y", I64, None)], opset=15)
    run_batches(logger, m, {"x": ((1, 3, 2), (4, 3, 2), (8, 3, 2)), "z": ((1,), (1,), (1,))},
                lambda b: {"x": randf(rng, b, 3, 2), "z": np.array([7], np.int64)}, value_info)


@pytest.mark.parametrize("axis", [0, 1, 2, 3])
def test_dynamic_flatten_of_unranked_activation(logger, rng, value_info, axis):
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2]),
             helper.make_node("Flatten", ["t"], ["y"], axis=axis)]
    m = make_model(nodes, [("x", F, ["N", 3, 2])], [("y", F, None)])
    run_batches(logger, m, {"x": ((1, 3, 2), (4, 3, 2), (8, 3, 2))}, lambda b: {"x": randf(rng, b, 3, 2)}, value_info)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.bool_, np.float16])
def test_data_movement_dtypes(check, rng, dtype):
    """Transpose, Slice, Gather, Concat, Expand, Tile, Pad and DepthToSpace on every dtype."""
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1]),
             helper.make_node("Slice", ["t", "s", "e", "a", "st"], ["sl"]),
             helper.make_node("Gather", ["sl", "gi"], ["g"], axis=1),
             helper.make_node("Concat", ["g", "g"], ["c"], axis=-1),
             helper.make_node("Expand", ["c", "es"], ["ex"]),
             helper.make_node("Tile", ["ex", "reps"], ["ti"]),
             helper.make_node("Pad", ["ti", "pads"], ["y0"], mode="edge"),
             helper.make_node("DepthToSpace", ["x"], ["y1"], blocksize=2)]
    m = make_model(nodes, [("x", elem, [2, 4, 3, 3])], [("y0", elem, None), ("y1", elem, None)],
                   inits=[("s", np.array([2, 0], np.int64)), ("e", np.array([0, 3], np.int64)),
                          ("a", np.array([1, 2], np.int64)), ("st", np.array([-1, 2], np.int64)),
                          ("gi", np.array([1, 0], np.int64)), ("es", np.array([2, 1, 1, 1], np.int64)),
                          ("reps", np.array([1, 1, 2, 1], np.int64)), ("pads", np.array([0, 1, 0, 1, 0, 0, 1, 0], np.int64))])
    x = (rng.standard_normal((2, 4, 3, 3)) * 50).astype(dtype) if dtype != np.bool_ else rng.random((2, 4, 3, 3)) > 0.5
    # onnxruntime has DepthToSpace for float only: numpy gives that output
    without = make_model(nodes[:-1], [("x", elem, [2, 4, 3, 3])], [("y0", elem, None)], inits=[
        (t.name, numpy_helper.to_array(t)) for t in m.graph.initializer])
    want = ort_run(without, {"x": x})
    want["y1"] = x.reshape(2, 2, 2, 1, 3, 3).transpose(0, 3, 4, 1, 5, 2).reshape(2, 1, 6, 6)
    check(m, {"x": x}, expected=want)


# ---- ONNX's own node test cases (onnx.backend.test.case.node) --------------------------------------
# Every case of the operators above, with int inputs past the first made initializers (shape-
# like inputs are constants in real models) and the opset capped at the parser's maximum.

_CASE_MODULES = ["reshape", "flatten", "squeeze", "unsqueeze", "transpose", "concat", "split", "slice", "gather",
                 "gatherelements", "gathernd", "scatternd", "scatterelements", "scatter", "expand", "tile", "pad",
                 "shape", "size", "constantofshape", "rangeop", "nonzero", "depthtospace", "spacetodepth", "topk"]

# What ingot refuses by design: values that decide shapes must not depend on input data.
_REFUSED = {
    "test_constantofshape_float_ones": "the shape is a graph input",
    "test_constantofshape_int_zeros": "the shape is a graph input",
    "test_constantofshape_int_shape_zero": "the shape is a graph input",
    "test_range_float_type_positive_delta": "Range of graph inputs",
    "test_range_int32_type_negative_delta": "Range of graph inputs",
    "test_range_float16_type_positive_delta": "ingot's range layer has no float16",
    "test_range_bfloat16_type_positive_delta": "ingot's range layer has no bfloat16",
    "test_top_k_uint64": "ingot has no uint64",
}


def _onnx_cases():
    import importlib
    import warnings
    try:
        import onnx.backend.test.case.node as cases
    except ImportError:
        return []
    cases._TargetOpType = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in _CASE_MODULES:
            try:
                importlib.import_module("onnx.backend.test.case.node." + name)
            except ImportError:
                pass
    ops = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice", "Gather",
           "GatherElements", "GatherND", "ScatterND", "ScatterElements", "Scatter", "Expand", "Tile", "Pad", "Shape",
           "Size", "ConstantOfShape", "Range", "NonZero", "DepthToSpace", "SpaceToDepth", "TopK"}
    return sorted((c for c in cases._NodeTestCases
                   if c.data_sets and len(c.model.graph.node) == 1 and c.model.graph.node[0].op_type in ops),
                  key=lambda c: c.name)


_CASES = _onnx_cases()


@pytest.mark.parametrize("case", _CASES, ids=[c.name for c in _CASES])
def test_onnx_node_case(logger, case):
    model = onnx.ModelProto.FromString(case.model.SerializeToString())
    for op in model.opset_import:
        if op.domain in ("", "ai.onnx") and op.version > 24:
            op.version = 24
    inputs, outputs = case.data_sets[0]
    keep = []
    for k, (vi, arr) in enumerate(zip(list(model.graph.input), inputs)):
        if k > 0 and np.asarray(arr).dtype in (np.int64, np.int32):
            model.graph.initializer.append(numpy_helper.from_array(np.asarray(arr), vi.name))
        else:
            keep.append((vi, arr))
    del model.graph.input[:]
    model.graph.input.extend([vi for vi, _ in keep])
    network = ingot.Network(logger)
    try:
        if case.name in _REFUSED:
            with pytest.raises(Exception):
                parse(network, model)
                ingot.run_network(network, {vi.name: np.asarray(a) for vi, a in keep})
            return
        parse(network, model)
        got = ingot.run_network(network, {vi.name: np.asarray(a) for vi, a in keep})
        for vi, want in zip(model.graph.output, outputs):
            want = np.asarray(want)
            g = got[vi.name]
            assert g.shape == want.shape, (vi.name, g.shape, want.shape)
            np.testing.assert_array_equal(g, want, err_msg=vi.name)
    finally:
        network.close()
