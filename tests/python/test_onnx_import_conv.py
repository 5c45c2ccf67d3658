"""ONNX import of the conv family (src/onnx/import_conv.c): Conv, ConvTranspose, pooling,
normalizations, LRN, Resize and Upsample, each checked against onnxruntime on single-node
models built with onnx.helper, at the opsets where the operator's form changed."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import ingot  # noqa: E402

F = TensorProto.FLOAT


# ---- harness (as in test_onnx_import_math.py) ---------------------------------------------------

def _elem(arr):
    return helper.np_dtype_to_tensor_dtype(np.asarray(arr).dtype)


def make_model(op, inputs, attrs=None, opset=17, outputs=("y",), out_types=None, inits=None, nodes=None,
               dynamic=None):
    """`inputs`: list of (name, array); None as a name leaves an optional input empty; names
    in `inits` (dict name -> array) become initializers."""
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


def check(logger, model, feeds, rtol=1e-4, atol=1e-5):
    want = run_ort(model, feeds)
    got = run_ingot(model, feeds, logger)
    for name, w in want.items():
        g = got[name]
        assert g.shape == w.shape, f"{name}: shape {g.shape}, expected {w.shape}"
        assert g.dtype == w.dtype, f"{name}: dtype {g.dtype}, expected {w.dtype}"
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=name)


def expect_parse_error(logger, model, *words):
    _, parser, ok = parse(model, logger)
    assert not ok
    msg = " ".join(e.message for e in parser.errors)
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"


def randn(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


# ---- Conv ---------------------------------------------------------------------------------------

CONV_CASES = [
    # (x shape, w shape, attrs)
    ((1, 3, 8, 8), (4, 3, 3, 3), {}),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"pads": [1, 1, 1, 1]}),
    ((2, 3, 9, 8), (4, 3, 3, 2), {"pads": [0, 1, 2, 1], "strides": [2, 1]}),
    ((1, 3, 10, 10), (4, 3, 3, 3), {"dilations": [2, 2], "pads": [2, 2, 2, 2]}),
    ((1, 4, 8, 8), (6, 2, 3, 3), {"group": 2, "pads": [1, 1, 1, 1]}),
    ((1, 4, 8, 8), (4, 1, 3, 3), {"group": 4, "strides": [2, 2]}),
    ((1, 3, 9, 9), (4, 3, 3, 3), {"auto_pad": "SAME_UPPER", "strides": [2, 2]}),
    ((1, 3, 8, 8), (4, 3, 4, 4), {"auto_pad": "SAME_UPPER"}),
    ((1, 3, 8, 8), (4, 3, 4, 4), {"auto_pad": "SAME_LOWER"}),
    ((1, 3, 8, 8), (4, 3, 3, 3), {"auto_pad": "VALID", "strides": [2, 2]}),
    ((1, 3, 8, 8), (4, 3, 3, 3), {"kernel_shape": [3, 3]}),
    ((2, 3, 10), (4, 3, 3), {"pads": [1, 2], "strides": [2]}),
    ((1, 2, 5, 6, 7), (3, 2, 2, 3, 3), {"pads": [1, 0, 1, 0, 1, 1]}),
]


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("xs,ws,attrs", CONV_CASES)
def test_conv(logger, rng, xs, ws, attrs, bias):
    x, w = randn(rng, *xs), randn(rng, *ws)
    inputs, inits = [("x", x), ("w", w)], {"w": w}
    if bias:
        inits["b"] = randn(rng, ws[0])
        inputs.append(("b", inits["b"]))
    check(logger, make_model("Conv", inputs, attrs, 11, inits=inits), {"x": x})


def test_conv_opset7(logger, rng):
    x, w = randn(rng, 1, 2, 6, 6), randn(rng, 3, 2, 3, 3)
    check(logger, make_model("Conv", [("x", x), ("w", w)], {"pads": [1, 1, 1, 1]}, 7, inits={"w": w}), {"x": x})


def test_conv_weights_tensor(logger, rng):
    x, w, b = randn(rng, 1, 3, 8, 8), randn(rng, 4, 3, 3, 3), randn(rng, 4)
    model = make_model("Conv", [("x", x), ("w", w), ("b", b)], {"pads": [1, 1, 1, 1]}, 13)
    check(logger, model, {"x": x, "w": w, "b": b})


def test_conv_bad_auto_pad(logger, rng):
    x, w = randn(rng, 1, 3, 8, 8), randn(rng, 4, 3, 3, 3)
    expect_parse_error(logger, make_model("Conv", [("x", x), ("w", w)], {"auto_pad": "SAME"}, 13, inits={"w": w}),
                       "auto_pad", "SAME")


# ---- ConvTranspose ------------------------------------------------------------------------------

DECONV_CASES = [
    ((1, 3, 5, 5), (3, 4, 3, 3), {}),
    ((2, 3, 5, 5), (3, 4, 3, 3), {"strides": [2, 2]}),
    ((1, 3, 5, 6), (3, 2, 3, 3), {"strides": [2, 2], "pads": [1, 1, 1, 0]}),
    ((1, 3, 5, 5), (3, 2, 3, 3), {"strides": [2, 2], "output_padding": [1, 1]}),
    ((1, 4, 5, 5), (4, 2, 3, 3), {"group": 2, "strides": [2, 2]}),
    ((1, 2, 5, 5), (2, 3, 3, 3), {"dilations": [2, 2]}),
    ((1, 3, 5, 5), (3, 2, 3, 3), {"strides": [2, 2], "output_shape": [10, 10]}),
    ((1, 3, 5, 5), (3, 2, 3, 3), {"strides": [2, 2], "output_shape": [9, 10]}),
    ((1, 1, 3, 3), (1, 2, 3, 3), {"strides": [3, 2], "output_shape": [10, 8]}),  # larger than the full output
    ((1, 3, 5, 5), (3, 2, 3, 3), {"strides": [2, 2], "output_shape": [10, 10], "auto_pad": "SAME_UPPER"}),
    ((1, 3, 5, 5), (3, 2, 4, 4), {"strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    ((1, 3, 5, 5), (3, 2, 3, 3), {"strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    ((1, 3, 5, 5), (3, 2, 3, 3), {"strides": [2, 2], "auto_pad": "SAME_LOWER"}),
    ((1, 3, 5, 5), (3, 2, 3, 3), {"strides": [2, 2], "auto_pad": "VALID"}),
    ((2, 3, 7), (3, 2, 3), {"strides": [3], "pads": [1, 0]}),
    ((1, 2, 3, 4, 5), (2, 2, 2, 2, 3), {"strides": [2, 1, 2]}),
]


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("xs,ws,attrs", DECONV_CASES)
def test_conv_transpose(logger, rng, xs, ws, attrs, bias):
    x, w = randn(rng, *xs), randn(rng, *ws)
    inputs, inits = [("x", x), ("w", w)], {"w": w}
    if bias:
        inits["b"] = randn(rng, ws[1] * attrs.get("group", 1))
        inputs.append(("b", inits["b"]))
    check(logger, make_model("ConvTranspose", inputs, attrs, 11, inits=inits), {"x": x})


def test_conv_transpose_weights_tensor(logger, rng):
    x, w = randn(rng, 1, 3, 5, 5), randn(rng, 3, 2, 3, 3)
    check(logger, make_model("ConvTranspose", [("x", x), ("w", w)], {"strides": [2, 2]}, 13), {"x": x, "w": w})


# ---- pooling ------------------------------------------------------------------------------------

POOL_CASES = [
    ((1, 2, 8, 8), {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ((2, 3, 9, 7), {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ((1, 2, 9, 9), {"kernel_shape": [3, 2], "strides": [2, 2], "ceil_mode": 1}),
    ((1, 2, 8, 8), {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 0, 1, 0], "ceil_mode": 1}),
    ((1, 2, 9, 9), {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    ((1, 2, 8, 8), {"kernel_shape": [2, 2], "auto_pad": "SAME_LOWER"}),
    ((1, 2, 8, 8), {"kernel_shape": [3, 3], "auto_pad": "VALID"}),
    ((2, 3, 10), {"kernel_shape": [3], "strides": [2], "pads": [1, 1]}),
    ((1, 2, 4, 6, 6), {"kernel_shape": [2, 3, 3], "strides": [2, 2, 2]}),
]


@pytest.mark.parametrize("xs,attrs", POOL_CASES)
def test_max_pool(logger, rng, xs, attrs):
    x = randn(rng, *xs)
    check(logger, make_model("MaxPool", [("x", x)], attrs, 12), {"x": x})


@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
def test_max_pool_8bit(logger, rng, dtype):
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max + 1, (1, 2, 6, 6)).astype(dtype)
    model = make_model("MaxPool", [("x", x)], {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "strides": [2, 2]}, 12,
                       out_types=[_elem(x)])
    check(logger, model, {"x": x})


def test_max_pool_dilations(logger, rng):
    x = randn(rng, 1, 2, 10, 10)
    attrs = {"kernel_shape": [3, 3], "dilations": [2, 2], "pads": [1, 1, 1, 1]}
    check(logger, make_model("MaxPool", [("x", x)], attrs, 12), {"x": x})


def test_max_pool_opset7(logger, rng):
    x = randn(rng, 1, 2, 8, 8)
    check(logger, make_model("MaxPool", [("x", x)], {"kernel_shape": [2, 2], "strides": [2, 2]}, 7), {"x": x})


def test_max_pool_indices_refused(logger, rng):
    x = randn(rng, 1, 2, 8, 8)
    model = make_model("MaxPool", [("x", x)], {"kernel_shape": [2, 2]}, 12, outputs=("y", "i"),
                       out_types=[F, TensorProto.INT64])
    expect_parse_error(logger, model, "Indices")


def test_max_pool_storage_order_refused(logger, rng):
    x = randn(rng, 1, 2, 8, 8)
    expect_parse_error(logger, make_model("MaxPool", [("x", x)], {"kernel_shape": [2, 2], "storage_order": 1}, 12),
                       "storage_order")


@pytest.mark.parametrize("count_include_pad", [0, 1])
@pytest.mark.parametrize("xs,attrs", POOL_CASES)
def test_average_pool(logger, rng, xs, attrs, count_include_pad):
    x = randn(rng, *xs)
    attrs = dict(attrs, count_include_pad=count_include_pad)
    check(logger, make_model("AveragePool", [("x", x)], attrs, 11), {"x": x})


def test_average_pool_dilations(logger, rng):
    x = randn(rng, 1, 2, 10, 10)
    attrs = {"kernel_shape": [3, 3], "dilations": [2, 2], "pads": [1, 1, 1, 1], "count_include_pad": 1}
    check(logger, make_model("AveragePool", [("x", x)], attrs, 19), {"x": x})


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
@pytest.mark.parametrize("xs", [(2, 3, 5, 6), (2, 3, 7), (1, 2, 3, 4, 5)])
def test_global_pool(logger, rng, op, xs):
    x = randn(rng, *xs)
    check(logger, make_model(op, [("x", x)], {}, 13), {"x": x})


# ---- normalization ------------------------------------------------------------------------------

def _bn_params(rng, c):
    return {"scale": randn(rng, c), "bias": randn(rng, c), "mean": randn(rng, c),
            "var": rng.uniform(0.5, 2, c).astype(np.float32)}


@pytest.mark.parametrize("opset", [7, 9, 15])
@pytest.mark.parametrize("xs", [(2, 3, 4, 5), (2, 3), (2, 3, 6)])
def test_batch_norm(logger, rng, opset, xs):
    x = randn(rng, *xs)
    p = _bn_params(rng, xs[1])
    inputs = [("x", x)] + list(p.items())
    check(logger, make_model("BatchNormalization", inputs, {"epsilon": 1e-3}, opset, inits=p), {"x": x})


def test_batch_norm_tensor_params(logger, rng):
    x = randn(rng, 2, 3, 4, 5)
    p = _bn_params(rng, 3)
    inits = {"mean": p.pop("mean"), "var": p.pop("var")}
    inputs = [("x", x), ("scale", p["scale"]), ("bias", p["bias"]), ("mean", inits["mean"]), ("var", inits["var"])]
    check(logger, make_model("BatchNormalization", inputs, {}, 15, inits=inits), dict(x=x, **p))


def test_batch_norm_training_mode_value_refused(logger, rng):
    x = randn(rng, 2, 3, 4, 5)
    p = _bn_params(rng, 3)
    model = make_model("BatchNormalization", [("x", x)] + list(p.items()), {"training_mode": 3}, 15, inits=p)
    expect_parse_error(logger, model, "training_mode is 3")


@pytest.mark.parametrize("xs", [(2, 3, 4, 5), (2, 3, 7), (1, 2, 3, 4, 5)])
@pytest.mark.parametrize("const", [True, False])
def test_instance_norm(logger, rng, xs, const):
    x, s, b = randn(rng, *xs), randn(rng, xs[1]), randn(rng, xs[1])
    inits = {"s": s, "b": b} if const else {}
    feeds = {"x": x} if const else {"x": x, "s": s, "b": b}
    model = make_model("InstanceNormalization", [("x", x), ("s", s), ("b", b)], {"epsilon": 1e-4}, 7, inits=inits)
    check(logger, model, feeds)


@pytest.mark.parametrize("axis", [None, -1, 1, 2, -2])
@pytest.mark.parametrize("with_bias", [True, False])
def test_layer_norm(logger, rng, axis, with_bias):
    x = randn(rng, 2, 3, 4, 5)
    a = axis if axis is not None else -1
    ns = x.shape[a:] if a != -1 else x.shape[-1:]
    inits = {"s": randn(rng, *ns)}
    inputs = [("x", x), ("s", inits["s"])]
    if with_bias:
        inits["b"] = randn(rng, *ns)
        inputs.append(("b", inits["b"]))
    attrs = {"epsilon": 1e-4}
    if axis is not None:
        attrs["axis"] = axis
    check(logger, make_model("LayerNormalization", inputs, attrs, 17, inits=inits), {"x": x})


@pytest.mark.parametrize("outputs", [("y", "mean"), ("y", "mean", "inv")])
@pytest.mark.parametrize("axis", [-1, 1])
def test_layer_norm_mean_inv_std_dev(logger, rng, outputs, axis):
    x = randn(rng, 2, 3, 5)
    s = randn(rng, *x.shape[axis:])
    model = make_model("LayerNormalization", [("x", x), ("s", s)], {"axis": axis}, 17, inits={"s": s},
                       outputs=outputs)
    check(logger, model, {"x": x})


@pytest.mark.parametrize("opset", [18, 21])
@pytest.mark.parametrize("groups", [1, 2, 6])
@pytest.mark.parametrize("const", [True, False])
def test_group_norm(logger, rng, opset, groups, const):
    x = randn(rng, 2, 6, 4, 5)
    n = groups if opset < 21 else 6
    s, b = randn(rng, n), randn(rng, n)
    inits = {"s": s, "b": b} if const else {}
    feeds = {"x": x} if const else {"x": x, "s": s, "b": b}
    model = make_model("GroupNormalization", [("x", x), ("s", s), ("b", b)], {"num_groups": groups, "epsilon": 1e-4},
                       opset, inits=inits)
    check(logger, model, feeds)


def lrn_reference(x, size, alpha=1e-4, beta=0.75, bias=1.0):
    """ONNX LRN as its spec writes it (onnxruntime takes only 4-D inputs and odd sizes)."""
    C = x.shape[1]
    sq = x.astype(np.float64) ** 2
    out = np.empty_like(sq)
    for c in range(C):
        lo, hi = max(0, c - (size - 1) // 2), min(C - 1, c + int(np.ceil((size - 1) / 2)))
        out[:, c] = sq[:, lo:hi + 1].sum(axis=1)
    return (x / (bias + alpha / size * out) ** beta).astype(np.float32)


@pytest.mark.parametrize("size", [1, 3, 5])
def test_lrn(logger, rng, size):
    x = randn(rng, 2, 6, 4, 5)
    attrs = {"size": size, "alpha": 0.01, "beta": 0.6, "bias": 1.5}
    check(logger, make_model("LRN", [("x", x)], attrs, 13), {"x": x})


@pytest.mark.parametrize("size", [2, 4, 3])
@pytest.mark.parametrize("xs", [(2, 6, 4, 5), (1, 5, 7)])
def test_lrn_reference(logger, rng, size, xs):
    x = randn(rng, *xs)
    attrs = {"size": size, "alpha": 0.01, "beta": 0.6, "bias": 1.5}
    got = run_ingot(make_model("LRN", [("x", x)], attrs, 13), {"x": x}, logger)["y"]
    np.testing.assert_allclose(got, lrn_reference(x, size, 0.01, 0.6, 1.5), rtol=1e-5, atol=1e-6)


def test_lrn_defaults(logger, rng):
    x = randn(rng, 1, 8, 3, 3) * 10
    check(logger, make_model("LRN", [("x", x)], {"size": 3}, 13), {"x": x})


# ---- Resize and Upsample ------------------------------------------------------------------------

def _resize(logger, rng, xs, opset, attrs, scales=None, sizes=None, x=None, feed_sizes=False):
    x = randn(rng, *xs) if x is None else x
    inputs, inits = [("x", x)], {}
    if opset < 11:
        inits["scales"] = np.array(scales, np.float32)
        inputs.append(("scales", inits["scales"]))
    else:
        if opset < 13:
            inits["roi"] = np.array([], np.float32)
            inputs.append(("roi", inits["roi"]))
        else:
            inputs.append((None, None))
        if scales is not None:
            inits["scales"] = np.array(scales, np.float32)
            inputs.append(("scales", inits["scales"]))
        else:
            if opset < 13:
                inits["scales"] = np.array([], np.float32)
                inputs.append(("scales", inits["scales"]))
            else:
                inputs.append((None, None))
            sz = np.array(sizes, np.int64)
            if not feed_sizes:
                inits["sizes"] = sz
            inputs.append(("sizes", sz))
    feeds = {"x": x}
    if feed_sizes:
        feeds["sizes"] = np.array(sizes, np.int64)
    check(logger, make_model("Resize", inputs, attrs, opset, inits=inits), feeds)


@pytest.mark.parametrize("mode", ["nearest", "linear"])
@pytest.mark.parametrize("scales", [[1, 1, 2, 2], [1, 1, 3, 1.5], [1, 1, 0.5, 0.5]])
def test_resize_opset10(logger, rng, mode, scales):
    _resize(logger, rng, (1, 2, 4, 4), 10, {"mode": mode}, scales=scales)


CTMS = ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"]

# Where ingot's resize kernel (src/backend/cpu/resize.c, which follows the ONNX reference
# implementation) and onnxruntime part ways:
RESIZE_PRECISION = ("coordinates on an exact cell boundary ((1 + 0.5) / 0.6 - 0.5 = 2): onnxruntime computes "
                    "in float32 and lands on 2, the kernel in double on 1.9999999, so floor picks another cell")
RESIZE_ALIGN_CORNERS = ("align_corners with a scale whose output size is fractional (5 * 1.7 = 8.5): onnxruntime "
                        "divides by the integer output size - 1, the kernel (as the ONNX reference) by 8.5 - 1")


@pytest.mark.parametrize("ctm", CTMS)
@pytest.mark.parametrize("nearest_mode", ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"])
@pytest.mark.parametrize("scales", [[1, 1, 2, 3], [1, 1, 0.6, 0.5], [1, 1, 1.7, 2.5]])
def test_resize_nearest_scales(logger, rng, ctm, nearest_mode, scales, request):
    if nearest_mode == "floor" and scales == [1, 1, 0.6, 0.5] and ctm != "asymmetric":
        request.applymarker(pytest.mark.xfail(strict=True, reason=RESIZE_PRECISION))
    if nearest_mode == "floor" and scales == [1, 1, 1.7, 2.5] and ctm == "align_corners":
        request.applymarker(pytest.mark.xfail(strict=True, reason=RESIZE_ALIGN_CORNERS))
    attrs = {"mode": "nearest", "coordinate_transformation_mode": ctm, "nearest_mode": nearest_mode}
    _resize(logger, rng, (1, 2, 5, 4), 13, attrs, scales=scales)


@pytest.mark.parametrize("ctm", CTMS)
@pytest.mark.parametrize("scales", [[1, 1, 2, 3], [1, 1, 0.6, 0.5], [1, 1, 1.7, 2.5]])
def test_resize_linear_scales(logger, rng, ctm, scales, request):
    if ctm == "align_corners" and scales == [1, 1, 1.7, 2.5]:
        request.applymarker(pytest.mark.xfail(strict=True, reason=RESIZE_ALIGN_CORNERS))
    attrs = {"mode": "linear", "coordinate_transformation_mode": ctm}
    _resize(logger, rng, (1, 2, 5, 4), 13, attrs, scales=scales)


@pytest.mark.parametrize("mode", ["nearest", "linear"])
@pytest.mark.parametrize("opset", [11, 13])
@pytest.mark.parametrize("sizes", [[1, 2, 8, 9], [1, 2, 3, 2], [2, 2, 7, 5]])
def test_resize_sizes(logger, rng, mode, opset, sizes):
    xs = (1, 2, 5, 4) if sizes[0] == 1 else (2, 2, 5, 4)
    _resize(logger, rng, xs, opset, {"mode": mode}, sizes=sizes)


def test_resize_sizes_computed(logger, rng):
    # sizes computed from the (dynamic) input shape: Shape -> Mul -> Resize input 3
    x = randn(rng, 1, 2, 5, 4)
    inits = {"k": np.array([1, 1, 2, 3], np.int64)}
    nodes = [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Mul", ["s", "k"], ["sizes"]),
             helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode="linear")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", F, [1, 2, "h", "w"])],
                              [helper.make_tensor_value_info("y", F, None)],
                              initializer=[numpy_helper.from_array(inits["k"], "k")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    check(logger, model, {"x": x})


def test_resize_axes(logger, rng):
    _resize(logger, rng, (1, 2, 5, 4), 18, {"mode": "linear", "axes": [2, 3]}, scales=[2.0, 1.5])
    _resize(logger, rng, (1, 2, 5, 4), 18, {"mode": "nearest", "axes": [-1]}, sizes=[7])


def test_resize_3d_linear(logger, rng):
    _resize(logger, rng, (1, 2, 3, 4, 5), 13, {"mode": "linear"}, scales=[1, 1, 2, 1.5, 0.8])


def test_resize_cubic(logger, rng):
    x = randn(rng, 1, 2, 4, 5)
    inits = {"scales": np.array([1, 1, 2, 1.5], np.float32)}
    model = make_model("Resize", [("x", x), (None, None), ("scales", inits["scales"])], {"mode": "cubic"}, 13,
                       inits=inits)
    check(logger, model, {"x": x}, rtol=1e-4, atol=1e-5)


def test_resize_tf_crop_refused(logger, rng):
    x = randn(rng, 1, 2, 4, 4)
    inits = {"scales": np.array([1, 1, 2, 2], np.float32)}
    model = make_model("Resize", [("x", x), (None, None), ("scales", inits["scales"])],
                       {"coordinate_transformation_mode": "tf_crop_and_resize"}, 13, inits=inits)
    expect_parse_error(logger, model, "coordinate_transformation_mode", "tf_crop_and_resize")


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_upsample_opset7(logger, rng, mode):
    x = randn(rng, 1, 2, 3, 4)
    check(logger, make_model("Upsample", [("x", x)], {"mode": mode, "scales": [1.0, 1.0, 2.0, 3.0]}, 7), {"x": x})


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_upsample_opset9(logger, rng, mode):
    x = randn(rng, 1, 2, 3, 4)
    inits = {"scales": np.array([1, 1, 2, 2.5], np.float32)}
    check(logger, make_model("Upsample", [("x", x), ("scales", inits["scales"])], {"mode": mode}, 9, inits=inits),
          {"x": x})


# ---- dynamic dims (the shapes come from the profile at build time) -------------------------------
# Importers that need the rank of a value computed from a dynamic input get it from the
# network's shape inference (dynamic dims left -1) or from the model's value_info, which
# exporters write (onnx.shape_inference): `declared` runs each model both ways.


def declare(model, declared, request):
    return onnx.shape_inference.infer_shapes(model) if declared else model


@pytest.mark.parametrize("declared", [True, False])
def test_dynamic_conv_pool_chain(logger, rng, declared, request):
    x, w = randn(rng, 2, 3, 9, 8), randn(rng, 4, 3, 3, 3)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], auto_pad="SAME_UPPER", strides=[2, 2]),
             helper.make_node("MaxPool", ["c"], ["p"], kernel_shape=[2, 2], ceil_mode=1),
             helper.make_node("GlobalAveragePool", ["p"], ["y"])]
    model = make_model(None, [("x", x)], opset=13, inits={"w": w}, nodes=nodes, dynamic={"x": (0, 2, 3)})
    check(logger, declare(model, declared, request), {"x": x})


def test_dynamic_conv_transpose_same(logger, rng):
    x, w = randn(rng, 1, 3, 5, 6), randn(rng, 3, 2, 3, 3)
    model = make_model("ConvTranspose", [("x", x), ("w", w)], {"strides": [2, 2], "auto_pad": "SAME_UPPER"}, 13,
                       inits={"w": w}, dynamic={"x": (0, 2, 3)})
    check(logger, model, {"x": x})


@pytest.mark.parametrize("opset", [18, 21])
def test_dynamic_group_norm(logger, rng, opset):
    x = randn(rng, 2, 6, 4, 5)
    n = 3 if opset < 21 else 6
    inits = {"s": randn(rng, n), "b": randn(rng, n)}
    model = make_model("GroupNormalization", [("x", x), ("s", inits["s"]), ("b", inits["b"])], {"num_groups": 3},
                       opset, inits=inits, dynamic={"x": (0, 2, 3)})
    check(logger, model, {"x": x})


def test_dynamic_lrn(logger, rng):
    x = randn(rng, 2, 6, 4, 5)
    check(logger, make_model("LRN", [("x", x)], {"size": 3}, 13, dynamic={"x": (0, 2, 3)}), {"x": x})


@pytest.mark.parametrize("declared", [True, False])
def test_dynamic_norms(logger, rng, declared, request):
    x = randn(rng, 2, 3, 4, 5)
    p = _bn_params(rng, 3)
    nodes = [helper.make_node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["b"]),
             helper.make_node("InstanceNormalization", ["b", "scale", "bias"], ["i"]),
             helper.make_node("LayerNormalization", ["i", "ls"], ["y"], axis=2)]
    inits = dict(p, ls=randn(rng, 4, 5))
    model = make_model(None, [("x", x)], opset=17, inits=inits, nodes=nodes, dynamic={"x": (0, 2, 3)})
    check(logger, declare(model, declared, request), {"x": x})


def test_dynamic_batch_norm_tensor_params(logger, rng):
    x = randn(rng, 2, 3, 4, 5)
    p = _bn_params(rng, 3)
    inputs = [("x", x)] + list(p.items())
    model = make_model("BatchNormalization", inputs, {}, 15, dynamic={"x": (0, 2, 3)})
    check(logger, model, dict(x=x, **p))


def test_dynamic_resize_scales(logger, rng):
    x = randn(rng, 1, 2, 5, 4)
    inits = {"scales": np.array([1, 1, 2, 1.5], np.float32)}
    model = make_model("Resize", [("x", x), (None, None), ("scales", inits["scales"])], {"mode": "linear"}, 13,
                       inits=inits, dynamic={"x": (0, 2, 3)})
    check(logger, model, {"x": x})


@pytest.mark.parametrize("p", [1, 2, 3])
@pytest.mark.parametrize("xs,attrs", [((1, 2, 8, 8), {"kernel_shape": [2, 2], "strides": [2, 2]}),
                                      ((2, 3, 9, 7), {"kernel_shape": [3, 3], "strides": [2, 2],
                                                      "pads": [1, 1, 1, 1]}),
                                      ((2, 3, 10), {"kernel_shape": [3], "strides": [1]})])
def test_lp_pool(logger, rng, p, xs, attrs):
    x = randn(rng, *xs)
    check(logger, make_model("LpPool", [("x", x)], dict(attrs, p=p), 11), {"x": x}, rtol=1e-4, atol=1e-5)
