"""Data-dependent output shapes (NonZero, NonMaxSuppression, Compress, Unique): random inputs
against NumPy and onnxruntime, the shapes a context reports before execute (-1 and the max
shape) and after (the real one), layers downstream of a data-dependent extent, several runs
of one context with different extents, dynamic input shapes, plan round trips and errors."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import ingot  # noqa: E402

F, I64, BOOL = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def make_model(nodes, inputs, outputs, inits=(), opset=13):
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
        [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs],
        initializer=[numpy_helper.from_array(np.asarray(v), n) for n, v in inits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def build(logger, model, profile=None):
    network = ingot.Network(logger)
    parser = ingot.OnnxParser(network, logger)
    assert parser.parse(model.SerializeToString()), [str(parser.get_error(i)) for i in range(parser.num_errors)]
    builder = ingot.Builder(logger)
    config = builder.create_builder_config()
    if profile:
        config.add_optimization_profile(profile)
    plan = builder.build_serialized_network(network, config)
    network.close()
    return plan


def engine_of(logger, plan):
    return ingot.Runtime(logger).deserialize_engine(plan)


def ort_run(model, feeds):
    ort = pytest.importorskip("onnxruntime")
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, feeds)))


def sparse(rng, *shape):
    """Random values, about half of them zero (never all zero, never all non-zero)."""
    x = rng.standard_normal(shape).astype(np.float32) * (rng.random(shape) < 0.5)
    x.flat[0], x.flat[-1] = 0.0, 1.5
    return x


# ---- NonZero ---------------------------------------------------------------------------------------


def test_non_zero_shapes_before_and_after_execute(logger, rng):
    network = ingot.Network(logger)
    x = network.add_input("x", ingot.DataType.FLOAT, (3, 4, 5))
    y = network.add_non_zero(x).get_output(0)
    y.name = "y"
    network.mark_output(y)
    builder = ingot.Builder(logger)
    plan = builder.build_serialized_network(network, builder.create_builder_config())
    engine = engine_of(logger, plan)
    assert engine.get_tensor_shape("y") == (3, -1)  # data-dependent dim, as TensorRT reports it
    ctx = engine.create_execution_context()
    assert ctx.get_tensor_shape("y") == (3, -1)
    assert ctx.get_tensor_max_shape("y") == (3, 60)
    for _ in range(3):  # one context, different extents each run
        data = sparse(rng, 3, 4, 5)
        out = np.zeros((3, 60), np.int64)
        ctx.set_tensor_address("x", data)
        ctx.set_tensor_address("y", out)
        ctx.execute_v2()
        want = np.array(np.nonzero(data))
        assert ctx.get_tensor_shape("y") == want.shape
        np.testing.assert_array_equal(out.reshape(-1)[:want.size].reshape(want.shape), want)
        np.testing.assert_array_equal(ctx.execute({"x": data})["y"], want)
    network.close()


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_, np.int32, np.uint8])
def test_non_zero_dtypes(logger, rng, dtype):
    x = (rng.integers(0, 3, (4, 6)) * (rng.random((4, 6)) < 0.6)).astype(dtype)
    x.flat[0] = 1
    et = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    model = make_model([helper.make_node("NonZero", ["x"], ["y"])], [("x", et, [4, 6])], [("y", I64, None)])
    got = engine_of(logger, build(logger, model)).create_execution_context().execute({"x": x})["y"]
    np.testing.assert_array_equal(got, np.array(np.nonzero(x)))


def test_layers_downstream_of_a_data_dependent_extent(logger, rng):
    """NonZero -> Transpose -> Gather of the data at those indices (GatherND), and Shape of
    the NonZero output: the real extent flows through re-inference after the node runs."""
    nodes = [helper.make_node("NonZero", ["x"], ["nz"]),
             helper.make_node("Transpose", ["nz"], ["idx"], perm=[1, 0]),
             helper.make_node("GatherND", ["x", "idx"], ["vals"]),
             helper.make_node("Shape", ["nz"], ["shape"]),
             helper.make_node("Mul", ["vals", "two"], ["scaled"])]
    model = make_model(nodes, [("x", F, ["n", 5])], [("scaled", F, None), ("shape", I64, None), ("idx", I64, None)],
                       inits=[("two", np.array(2.0, np.float32))])
    plan = build(logger, model, {"x": ((1, 5), (4, 5), (8, 5))})
    engine = engine_of(logger, plan)
    assert engine.get_tensor_shape("scaled") == (-1,)
    assert engine.get_tensor_shape("idx") == (-1, 2)
    ctx = engine.create_execution_context()
    for rows in (8, 3, 6):
        x = sparse(rng, rows, 5)
        ctx.set_input_shape("x", x.shape)
        assert ctx.get_tensor_shape("idx") == (-1, 2)
        assert ctx.get_tensor_shape("shape") == (2,)  # a fixed dim stays known before execute
        got = ctx.execute({"x": x})
        want = ort_run(model, {"x": x})
        for name in want:
            np.testing.assert_array_equal(got[name], want[name], err_msg=name)


def test_plan_round_trip_keeps_data_dependent_outputs(logger, rng, tmp_path):
    model = make_model([helper.make_node("NonZero", ["x"], ["y"])], [("x", F, [6, 7])], [("y", I64, None)])
    plan = build(logger, model)
    path = tmp_path / "nz.plan"
    path.write_bytes(bytes(plan))
    engine = ingot.Runtime(logger).load_engine(str(path))
    assert engine.get_tensor_shape("y") == (2, -1)
    x = sparse(rng, 6, 7)
    np.testing.assert_array_equal(engine.create_execution_context().execute({"x": x})["y"], np.array(np.nonzero(x)))


def test_non_zero_of_a_constant_is_folded(logger):
    c = np.array([[0, 3], [4, 0]], np.float32)
    nodes = [helper.make_node("NonZero", ["c"], ["nz"]), helper.make_node("Cast", ["nz"], ["y"], to=F),
             helper.make_node("Add", ["y", "x"], ["z"])]
    model = make_model(nodes, [("x", F, [2, 2])], [("z", F, None)], inits=[("c", c)])
    engine = engine_of(logger, build(logger, model))
    assert engine.get_tensor_shape("z") == (2, 2)  # exact: the values were known when building
    x = np.ones((2, 2), np.float32)
    np.testing.assert_array_equal(engine.create_execution_context().execute({"x": x})["z"],
                                  np.array(np.nonzero(c), np.float32) + 1)


# ---- NonMaxSuppression -----------------------------------------------------------------------------


def nms_model(center, with_score=True, opset=11):
    inputs = [("boxes", F, ["b", 12, 4]), ("scores", F, ["b", 3, 12])]
    names = ["boxes", "scores", "max", "iou"] + (["score"] if with_score else [])
    inits = [("max", np.array([4], np.int64)), ("iou", np.array([0.3], np.float32))]
    if with_score:
        inits.append(("score", np.array([0.2], np.float32)))
    node = helper.make_node("NonMaxSuppression", names, ["sel"], center_point_box=center)
    return make_model([node], inputs, [("sel", I64, None)], inits, opset)


def random_boxes(rng, batch, n, center):
    xy = rng.random((batch, n, 2)).astype(np.float32) * 4
    wh = (rng.random((batch, n, 2)).astype(np.float32) + 0.5) * 2
    if center:
        return np.concatenate([xy, wh], axis=2)
    corners = np.concatenate([xy[..., ::-1], xy[..., ::-1] + wh[..., ::-1]], axis=2)  # [y1, x1, y2, x2]
    flip = rng.random((batch, n)) < 0.3  # corners given in either order
    corners[flip] = corners[flip][:, [2, 3, 0, 1]]
    return corners


@pytest.mark.parametrize("center", [0, 1])
@pytest.mark.parametrize("with_score", [True, False])
def test_non_max_suppression_matches_onnxruntime(logger, rng, center, with_score):
    model = nms_model(center, with_score)
    plan = build(logger, model, {"boxes": ((1, 12, 4), (2, 12, 4), (3, 12, 4)),
                                 "scores": ((1, 3, 12), (2, 3, 12), (3, 3, 12))})
    ctx = engine_of(logger, plan).create_execution_context()
    for batch in (3, 1, 2):
        feeds = {"boxes": random_boxes(rng, batch, 12, center), "scores": rng.random((batch, 3, 12)).astype(np.float32)}
        got = ctx.execute(feeds)["sel"]
        assert ctx.get_tensor_max_shape("sel") == (batch * 3 * 4, 3)  # min(max_per_class, boxes) per class
        want = ort_run(model, feeds)["sel"]
        assert got.shape[0] > 0
        np.testing.assert_array_equal(got, want)


def test_non_max_suppression_network_api_without_limits_selects_nothing(logger, rng):
    network = ingot.Network(logger)
    boxes = network.add_input("boxes", ingot.DataType.FLOAT, (1, 5, 4))
    scores = network.add_input("scores", ingot.DataType.FLOAT, (1, 2, 5))
    out = network.add_non_max_suppression(boxes, scores).get_output(0)
    out.name = "sel"
    network.mark_output(out)
    feeds = {"boxes": random_boxes(rng, 1, 5, 0), "scores": rng.random((1, 2, 5)).astype(np.float32)}
    got = ingot.run_network(network, feeds)["sel"]
    assert got.shape == (0, 3)  # ONNX: max_output_boxes_per_class defaults to 0
    network.close()


def test_non_max_suppression_errors_name_the_layer(logger):
    network = ingot.Network(logger)
    boxes = network.add_input("boxes", ingot.DataType.FLOAT, (1, 5, 3))
    scores = network.add_input("scores", ingot.DataType.FLOAT, (1, 2, 5))
    network.mark_output(network.add_non_max_suppression(boxes, scores).get_output(0))
    builder = ingot.Builder(logger)
    with pytest.raises(ingot.IngotError, match=r"non_max_suppression.*boxes must be \[batch, boxes, 4\], found"):
        builder.build_serialized_network(network, builder.create_builder_config())
    network.close()


# ---- Compress --------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_compress_matches_numpy(logger, rng, axis):
    x = rng.standard_normal((5, 6)).astype(np.float32)
    n = x.size if axis is None else x.shape[axis]
    cond = rng.random(n - 1) < 0.5  # shorter than the axis: the rest is left out
    cond[0] = True
    attrs = {} if axis is None else {"axis": axis}
    model = make_model([helper.make_node("Compress", ["x", "c"], ["y"], **attrs)],
                       [("x", F, [5, 6]), ("c", BOOL, [n - 1])], [("y", F, None)], opset=11)
    ctx = engine_of(logger, build(logger, model)).create_execution_context()
    for _ in range(2):
        got = ctx.execute({"x": x, "c": cond})["y"]
        np.testing.assert_array_equal(got, np.compress(cond, x, axis=axis))
        cond = rng.random(n - 1) < 0.3


# ---- Unique ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("sorted_", [0, 1])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_unique_matches_onnxruntime(logger, rng, sorted_, axis):
    x = rng.integers(0, 3, (6, 4)).astype(np.float32)
    if axis == 1:
        x[:, 2] = x[:, 0]  # a repeated column
    attrs = {"sorted": sorted_} if axis is None else {"sorted": sorted_, "axis": axis}
    node = helper.make_node("Unique", ["x"], ["y", "indices", "inverse", "counts"], **attrs)
    model = make_model([node], [("x", F, [6, 4])],
                       [("y", F, None), ("indices", I64, None), ("inverse", I64, None), ("counts", I64, None)],
                       opset=11)
    got = engine_of(logger, build(logger, model)).create_execution_context().execute({"x": x})
    if sorted_ or axis is None:
        want = ort_run(model, {"x": x})
    else:  # reference semantics (first-occurrence order) from NumPy
        y, idx, inv, cnt = np.unique(x, axis=axis, return_index=True, return_inverse=True, return_counts=True)
        order = np.argsort(idx)
        rank = np.argsort(order)
        want = {"y": np.take(y, order, axis=axis), "indices": idx[order], "inverse": rank[inv.reshape(-1)],
                "counts": cnt[order]}
    for name in ("y", "indices", "inverse", "counts"):
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
