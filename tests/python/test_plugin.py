"""Plugins (include/ingot/plugin.h) from Python and the command line: the example C library
(examples/plugin: ScaledSoftsign, SplitTail) through Network.add_plugin and through an
ONNX model with the custom ops in their own domain (parsed in Python and built, run and
inspected by the `ingot` tool with --plugin), a plugin written in Python with NumPy, plan
round trips, one plan serving two shapes of a profile, and the failures: missing plugin,
failing enqueue, bad fields, unknown op naming the plugins searched."""
import os
import struct
import subprocess

import numpy as np
import pytest

import ingot

BINARY_DIR = os.environ.get("INGOT_BINARY_DIR", "build")
LIBRARY = os.environ.get("INGOT_EXAMPLE_PLUGINS", os.path.join(BINARY_DIR, "examples", "libingot_example_plugins.so"))
TOOL = os.path.join(BINARY_DIR, "tools", "ingot")

needs_library = pytest.mark.skipif(not os.path.exists(LIBRARY), reason=f"{LIBRARY} not built")


def softsign(x, alpha):
    return (alpha * x / (1.0 + np.abs(x))).astype(np.float32)


@pytest.fixture(scope="module")
def example_library():
    if not os.path.exists(LIBRARY):
        if os.environ.get("INGOT_EXAMPLE_PLUGINS"):  # named (as ctest does): it must be there
            pytest.fail(f"$INGOT_EXAMPLE_PLUGINS={LIBRARY} does not exist")
        pytest.skip(f"{LIBRARY} not built")
    ingot.load_plugin_library(LIBRARY)
    return LIBRARY


def build(network, profile, logger=None):
    builder = ingot.Builder(logger)
    config = builder.create_builder_config()
    p = builder.create_optimization_profile()
    for name, (mn, opt, mx) in profile.items():
        p.set_shape(name, mn, opt, mx)
    config.add_optimization_profile(p)
    return builder.build_serialized_network(network, config)


def example_network(alpha, k):
    net = ingot.Network()
    x = net.add_input("x", ingot.float32, (-1, 3, 8))
    act = net.add_plugin([x], "ScaledSoftsign", {"alpha": alpha})
    split = net.add_plugin([act.get_output(0)], "SplitTail", {"k": k}, version="1", namespace="ingot.example")
    assert split.type == ingot.LayerType.PLUGIN and split.num_outputs == 2
    split.get_output(0).name, split.get_output(1).name = "head", "tail"
    net.mark_output(split.get_output(0))
    net.mark_output(split.get_output(1))
    return net


def test_example_library_through_the_network_api(example_library, rng, tmp_path):
    assert ("SplitTail", "1", "ingot.example") in ingot.registered_plugins()
    alpha, k = 0.75, 3
    plan = build(example_network(alpha, k), {"x": ((1, 3, 8), (2, 3, 8), (5, 3, 8))})
    path = tmp_path / "example.plan"
    path.write_bytes(bytes(plan))
    for engine in (ingot.Runtime().deserialize_engine(plan), ingot.Runtime().load_engine(str(path))):
        assert [info["plugin"] for info in engine.layers] == [("ScaledSoftsign", "1", "ingot.example"),
                                                             ("SplitTail", "1", "ingot.example")]
        ctx = engine.create_execution_context()
        for batch in (5, 1):  # one plan, two shapes of its profile
            x = rng.standard_normal((batch, 3, 8)).astype(np.float32) * 3
            out = ctx.execute({"x": x})
            y = softsign(x, alpha)
            np.testing.assert_allclose(out["head"], y[..., :k], rtol=1e-6, atol=1e-7)
            np.testing.assert_allclose(out["tail"], y[..., k:], rtol=1e-6, atol=1e-7)


def test_bad_fields_name_the_field(example_library):
    net = ingot.Network()
    x = net.add_input("x", ingot.float32, (2, 4))
    with pytest.raises(ingot.IngotError, match="field 'alpha': expected float32, given string"):
        net.add_plugin([x], "ScaledSoftsign", {"alpha": "big"})
    with pytest.raises(ingot.IngotError, match="required field 'k'"):
        net.add_plugin([x], "SplitTail", {})
    with pytest.raises(ingot.IngotError, match="unknown field 'kk'"):
        net.add_plugin([x], "SplitTail", {"kk": 1})
    with pytest.raises(ingot.IngotError, match="NoSuchPlugin"):
        net.add_plugin([x], "NoSuchPlugin", {})


# ---- a plugin written in Python ------------------------------------------------------------
class PyClip(ingot.Plugin):
    """y0 = clip(x, -limit, limit) and y1 = x[..., ::2] (its last dim halved, rounded up)."""
    num_outputs = 2

    def __init__(self, limit, fail=False):
        self.limit, self.fail = limit, fail

    def get_output_dtypes(self, input_dtypes):
        return [input_dtypes[0], input_dtypes[0]]

    def get_output_shapes(self, inputs, exprs):
        x = inputs[0]
        assert x[-1].constant_value() is None and exprs.constant(4).constant_value() == 4
        return [x, x[:-1] + [x[-1].ceil_div(2)]]

    def enqueue(self, inputs, outputs):
        if self.fail:
            raise RuntimeError("this plugin fails on purpose")
        np.clip(inputs[0], -self.limit, self.limit, out=outputs[0])
        outputs[1][...] = inputs[0][..., ::2]

    def serialize(self):
        return struct.pack("<f?", self.limit, self.fail)


class PyClipCreator(ingot.PluginCreator):
    name, version, namespace = "PyClip", "1", ""
    fields = [ingot.PluginField("limit", ingot.PluginFieldType.FLOAT32, 1, required=True),
              ingot.PluginField("fail", ingot.PluginFieldType.INT32, 1, required=False)]

    def create_plugin(self, layer_name, fields):
        return PyClip(float(fields["limit"][0]), bool(fields.get("fail", [0])[0]))

    def deserialize_plugin(self, layer_name, data):
        limit, fail = struct.unpack("<f?", data)
        return PyClip(limit, fail)


@pytest.fixture(scope="module")
def py_plugin():
    if ("PyClip", "1", "") not in ingot.registered_plugins():
        ingot.register_plugin_creator(PyClipCreator())
    yield
    ingot.deregister_plugin_creator("PyClip", "1", "")


def py_network(fail=False):
    net = ingot.Network()
    x = net.add_input("x", ingot.float32, (2, -1))
    layer = net.add_plugin([x], "PyClip", {"limit": 0.5, "fail": int(fail)})
    layer.name = "py_clip_layer"
    layer.get_output(0).name, layer.get_output(1).name = "clipped", "evens"
    net.mark_output(layer.get_output(0))
    net.mark_output(layer.get_output(1))
    return net


def test_python_plugin(py_plugin, rng):
    plan = build(py_network(), {"x": ((2, 1), (2, 6), (2, 9))})
    engine = ingot.Runtime().deserialize_engine(plan)  # rebuilt through the Python creator
    assert engine.get_layer_info(0)["plugin"] == ("PyClip", "1", "")
    ctx = engine.create_execution_context()
    for n in (7, 4):
        x = rng.standard_normal((2, n)).astype(np.float32)
        out = ctx.execute({"x": x})
        np.testing.assert_array_equal(out["clipped"], np.clip(x, -0.5, 0.5))
        np.testing.assert_array_equal(out["evens"], x[:, ::2])


def test_failing_python_plugin_names_the_layer(py_plugin):
    engine = ingot.Runtime().deserialize_engine(build(py_network(fail=True), {"x": ((2, 4), (2, 4), (2, 4))}))
    ctx = engine.create_execution_context()
    with pytest.raises(ingot.IngotError, match="py_clip_layer"):
        ctx.execute({"x": np.zeros((2, 4), np.float32)})
    assert "fails on purpose" in ingot.plugin.last_error()


def test_missing_python_plugin_names_it(py_plugin):
    plan = build(py_network(), {"x": ((2, 4), (2, 4), (2, 4))})
    ingot.deregister_plugin_creator("PyClip", "1", "")
    try:
        with pytest.raises(ingot.IngotError, match="plugin 'PyClip' version '1' namespace ''.*not registered"):
            ingot.Runtime().deserialize_engine(plan)
    finally:
        ingot.register_plugin_creator(PyClipCreator())


# ---- ONNX: custom ops in a custom domain ----------------------------------------------------
def custom_model(alpha, k, path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("ScaledSoftsign", ["r"], ["s"], domain="ingot.example", alpha=alpha),
             helper.make_node("SplitTail", ["s"], ["head", "tail"], domain="ingot.example", k=k)]
    graph = helper.make_graph(nodes, "custom",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 6])],
                              [helper.make_tensor_value_info("head", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("tail", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ingot.example", 1)])
    onnx.save(model, str(path))
    return path


def test_onnx_custom_ops_in_python(example_library, rng, tmp_path):
    model = custom_model(2.0, 4, tmp_path / "custom.onnx")
    x = rng.standard_normal((3, 6)).astype(np.float32)
    out = ingot.run_onnx(str(model), {"x": x})
    y = softsign(np.maximum(x, 0), 2.0)
    np.testing.assert_allclose(out["head"], y[:, :4], rtol=1e-6)
    np.testing.assert_allclose(out["tail"], y[:, 4:], rtol=1e-6)


def test_onnx_unknown_op_says_which_plugins_were_searched(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    node = helper.make_node("NotAnOp", ["x"], ["y"], domain="my.ops")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("my.ops", 1)])
    with pytest.raises(ingot.IngotError, match="plugin 'NotAnOp' version 'any' namespace 'my.ops'"):
        ingot.parse_onnx(model.SerializeToString())


@pytest.mark.skipif(not os.path.exists(TOOL), reason="ingot tool not built")
def test_cli_with_plugin_library(example_library, rng, tmp_path):
    np_ = pytest.importorskip("numpy")
    model = custom_model(0.5, 2, tmp_path / "custom.onnx")
    plan = tmp_path / "custom.plan"

    def tool(*args, ok=True):
        r = subprocess.run([TOOL, *map(str, args)], capture_output=True, text=True)
        if ok:
            assert r.returncode == 0, r.stderr
        return r

    tool("build", model, "-o", plan, "--plugin", LIBRARY, "--min-shapes", "x:1x6", "--opt-shapes", "x:2x6",
         "--max-shapes", "x:8x6")
    inspect = tool("inspect", plan, f"--plugin={LIBRARY}").stdout
    assert "plugin_cpu" in inspect
    assert 'plugin ScaledSoftsign v1 (ns "ingot.example")' in inspect
    assert 'plugin SplitTail v1 (ns "ingot.example")' in inspect
    for n in (3, 8):  # two shapes, one plan
        x = rng.standard_normal((n, 6)).astype(np.float32)
        np_.save(tmp_path / "x.npy", x)
        out_dir = tmp_path / f"out{n}"
        tool("run", plan, "--plugin", LIBRARY, "--input", f"x={tmp_path / 'x.npy'}", "--output-dir", out_dir)
        y = softsign(np.maximum(x, 0), 0.5)
        np.testing.assert_allclose(np.load(out_dir / "head.npy"), y[:, :2], rtol=1e-6)
        np.testing.assert_allclose(np.load(out_dir / "tail.npy"), y[:, 2:], rtol=1e-6)
    tool("bench", plan, "--plugin", LIBRARY, "--shapes", "x:4x6", "--iterations", "3", "--warmup", "1")
    missing = tool("run", plan, "--input", f"x={tmp_path / 'x.npy'}", "--output-dir", tmp_path, ok=False)
    assert missing.returncode != 0
    assert "plugin 'ScaledSoftsign' version '1' namespace 'ingot.example'" in missing.stderr
    bad = tool("run", plan, "--plugin", tmp_path / "nope.so", ok=False)
    assert bad.returncode != 0 and "nope.so" in bad.stderr
