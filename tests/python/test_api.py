"""End-to-end tests of the Python package: bindings against the headers, a small network
against NumPy, dynamic shapes and profiles, error paths, inspection, plans."""
import gc
import os
import enum
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import ingot
from ingot import _lib

HEADERS = ["core.h", "network.h", "builder.h", "runtime.h", "wts.h", "plugin.h"]


def _header_text(source_dir):
    text = ""
    for h in HEADERS:
        with open(os.path.join(source_dir, "include", "ingot", h)) as f:
            text += f.read() + "\n"
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return text


# ---- bindings match the headers --------------------------------------------------------------
def test_every_function_declared(source_dir):
    text = _header_text(source_dir)
    names = set(re.findall(r"INGOT_API\s+[^;(]*?\b(ingot_\w+)\s*\(", text))
    assert len(names) > 100
    # the plugin API's bindings live beside its Python classes (ingot/plugin.py)
    declared = dict(_lib.FUNCTIONS, **ingot.plugin._FUNCTIONS)
    assert names == set(declared), (names - set(declared), set(declared) - names)
    for name in names:
        params = re.search(r"\b" + name + r"\s*\((.*?)\)\s*;", text, flags=re.S).group(1).strip()
        nparams = 0 if params in ("", "void") else params.count(",") + 1
        assert len(declared[name][1]) == nparams, name
    assert _lib.missing == [], f"library {_lib.path} lacks {_lib.missing}"


def test_every_onnx_parser_function_declared(source_dir):
    with open(os.path.join(source_dir, "include", "ingot", "onnx_parser.h")) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    names = set(re.findall(r"INGOT_API\s+[^;(]*?\b(ingot_\w+)\s*\(", text))
    assert len(names) >= 8
    assert names == set(_lib.ONNX_FUNCTIONS), (names - set(_lib.ONNX_FUNCTIONS), set(_lib.ONNX_FUNCTIONS) - names)
    for name in names:
        params = re.search(r"\b" + name + r"\s*\((.*?)\)\s*;", text, flags=re.S).group(1).strip()
        nparams = 0 if params in ("", "void") else params.count(",") + 1
        assert len(_lib.ONNX_FUNCTIONS[name][1]) == nparams, name
    assert _lib.missing_onnx == [], f"library {_lib.path} lacks {_lib.missing_onnx}"


def test_unloadable_library_named_by_env_is_an_error(tmp_path):
    bogus = tmp_path / "libingot.so"
    bogus.write_bytes(b"not an ELF file")
    code = "import ingot"
    env = dict(os.environ, INGOT_LIBRARY=str(bogus))
    env.pop("LD_PRELOAD", None)
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "does not load" in r.stderr, r.stderr


ENUMS = {
    "ingot_status": (ingot.Status, "INGOT_"),
    "ingot_dtype": (ingot.DataType, "INGOT_"),
    "ingot_severity": (ingot.Severity, "INGOT_SEVERITY_"),
    "ingot_layer_type": (ingot.LayerType, "INGOT_LAYER_"),
    "ingot_padding_mode": (ingot.PaddingMode, "INGOT_PADDING_"),
    "ingot_pooling_type": (ingot.PoolingType, "INGOT_POOLING_"),
    "ingot_activation_type": (ingot.ActivationType, "INGOT_ACTIVATION_"),
    "ingot_matrix_op": (ingot.MatrixOperation, "INGOT_MATRIX_OP_"),
    "ingot_elementwise_op": (ingot.ElementWiseOperation, "INGOT_ELEMENTWISE_"),
    "ingot_unary_op": (ingot.UnaryOperation, "INGOT_UNARY_"),
    "ingot_scale_mode": (ingot.ScaleMode, "INGOT_SCALE_"),
    "ingot_reduce_op": (ingot.ReduceOperation, "INGOT_REDUCE_"),
    "ingot_resize_mode": (ingot.ResizeMode, "INGOT_RESIZE_"),
    "ingot_resize_coordinate_transform": (ingot.ResizeCoordinateTransformation, "INGOT_RESIZE_"),
    "ingot_resize_round_mode": (ingot.ResizeRoundMode, "INGOT_RESIZE_(ROUND_)?"),
    "ingot_pad_mode": (ingot.PadMode, "INGOT_PAD_"),
    "ingot_topk_op": (ingot.TopKOperation, "INGOT_TOPK_"),
    "ingot_scatter_mode": (ingot.ScatterMode, "INGOT_SCATTER_"),
    "ingot_scatter_reduction": (ingot.ScatterReduction, "INGOT_SCATTER_REDUCE_"),
    "ingot_target": (ingot.Target, "INGOT_TARGET_"),
    "ingot_builder_flag": (ingot.BuilderFlag, "INGOT_BUILDER_FLAG_"),
    "ingot_profile_selector": (ingot.ProfileSelector, "INGOT_PROFILE_"),
    "ingot_tensor_io_mode": (ingot.TensorIOMode, "INGOT_TENSOR_"),
    "ingot_rnn_cell": (ingot.RNNCell, "INGOT_RNN_CELL_"),
    "ingot_rnn_direction": (ingot.RNNDirection, "INGOT_RNN_"),
    "ingot_rnn_activation": (ingot.RNNActivation, "INGOT_RNN_ACTIVATION_"),
    "ingot_rnn_input": (ingot.RNNInput, "INGOT_RNN_INPUT_"),
    "ingot_plugin_field_type": (ingot.PluginFieldType, "INGOT_PLUGIN_FIELD_"),
    "ingot_dim_op": (ingot.plugin.DimOp, "INGOT_DIM_"),
    "ingot_tactic_source": (ingot.builder.TacticSource, "INGOT_TACTIC_SOURCE_"),
}
DTYPE_NAMES = {"FLOAT32": "FLOAT", "FLOAT16": "HALF", "BFLOAT16": "BF16"}


def test_enums_match_headers(source_dir):
    text = _header_text(source_dir)
    found = set()
    for cname, body in re.findall(r"typedef enum (\w+)\s*\{(.*?)\}\s*\w+\s*;", text, flags=re.S):
        assert cname in ENUMS, f"enum {cname} has no Python mirror"
        cls, prefix = ENUMS[cname]
        found.add(cname)
        value = -1
        expected = {}
        for item in [s.strip() for s in body.split(",") if s.strip()]:
            m = re.match(r"(\w+)\s*(?:=\s*(-?(?:0x[0-9a-fA-F]+|\d+)u?(?:\s*<<\s*\d+)?))?$", item)
            assert m, item
            if m.group(2) is not None:  # 7, -1, 0xF, 1u << 3
                value = eval(re.sub(r"(\d)u\b", r"\1", m.group(2)), {})
            else:
                value += 1
            if m.group(1).endswith("_COUNT"):
                continue
            short = re.sub("^" + prefix, "", m.group(1))
            expected[DTYPE_NAMES.get(short, short) if cls is ingot.DataType else short] = value
        if issubclass(cls, enum.Flag):  # masks: their combinations (ALL) are members too
            actual = {name: int(v) for name, v in cls.__members__.items()}
        else:
            actual = {m.name: int(m) for m in cls}  # canonical members only
        assert actual == expected, cname
    assert found == set(ENUMS)


def test_struct_layouts_match_c(source_dir, tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no C compiler to check struct layouts")
    structs = [_lib.ingot_dims, _lib.ingot_weights, _lib.ingot_convolution_desc, _lib.ingot_pooling_desc,
               _lib.ingot_shuffle_desc, _lib.ingot_resize_desc, _lib.ingot_padding_desc, _lib.ingot_layer_info,
               _lib.ingot_rnn_desc]
    lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "ingot/ingot.h"', "int main(void) {"]
    expected = []
    for s in structs:
        lines.append(f'printf("%zu\\n", sizeof({s.__name__}));')
        expected.append(_ctypes_sizeof(s))
        for fname, _ in s._fields_:
            cfield = "global" if fname == "global_" else fname
            lines.append(f'printf("%zu\\n", offsetof({s.__name__}, {cfield}));')
            expected.append(getattr(s, fname).offset)
    lines.append("return 0; }")
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines))
    exe = tmp_path / "layout"
    subprocess.check_call([cc, "-std=c11", "-I", os.path.join(source_dir, "include"), str(src), "-o", str(exe)])
    got = [int(x) for x in subprocess.check_output([str(exe)]).split()]
    assert got == expected


def _ctypes_sizeof(s):
    import ctypes
    return ctypes.sizeof(s)


def test_version_and_names():
    assert ingot.version() == 100  # 0.1.0
    assert ingot.__version__.startswith("0.1")
    assert ingot.dtype_size(ingot.float16) == 2
    assert ingot.dtype_size(np.int64) == 8
    assert ingot.DataType.INT64.itemsize == 8
    assert ingot.dtype_name(ingot.float32) == "float32"
    assert ingot.status_name(ingot.Status.NOT_FOUND) == "INGOT_NOT_FOUND"
    assert ingot.to_dtype(np.float32) is ingot.DataType.FLOAT
    assert ingot.to_dtype("bool") is ingot.DataType.BOOL
    assert ingot.nptype(ingot.bfloat16) == np.uint16
    assert ingot.float32 is ingot.DataType.FLOAT and ingot.bool is ingot.DataType.BOOL


def test_bf16_helpers():
    x = np.array([1.0, -2.5, 3.14159, 1e-3, np.inf], np.float32)
    back = ingot.bf16_to_float(ingot.float_to_bf16(x))
    np.testing.assert_allclose(back, x, rtol=1 / 128)
    assert ingot.float_to_bf16(np.array([1.0], np.float32))[0] == 0x3F80


def test_library_not_found_names_the_places_searched(tmp_path):
    env = dict(os.environ, INGOT_LIBRARY=str(tmp_path / "nowhere" / "libingot.so"),
               PYTHONPATH=os.path.dirname(os.path.dirname(ingot.__file__)))
    r = subprocess.run([sys.executable, "-c", "import ingot"], env=env, capture_output=True, text=True,
                       cwd=str(tmp_path))
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "nowhere" in r.stderr


# ---- the network API ---------------------------------------------------------------------------
def test_network_objects(network):
    x = network.add_input("x", ingot.float32, (2, 3))
    assert x.name == "x" and x.dtype == ingot.float32 and x.shape == (2, 3)
    assert x.is_network_input and not x.is_network_output
    relu = network.add_activation(x, ingot.ActivationType.RELU)
    assert relu.type == ingot.LayerType.ACTIVATION
    assert relu.num_inputs == 1 and relu.num_outputs == 1
    assert relu.get_input(0) == x
    relu.name = "my_relu"
    assert relu.name == "my_relu"
    y = relu.get_output(0)
    y.name = "y"
    network.mark_output(y)
    assert y.is_network_output
    assert network.num_inputs == 1 and network.num_outputs == 1 and network.num_layers == 1
    assert network.get_input(0) == x and network.get_output(0) == y
    assert network.get_layer(0) == relu and network.layers == [relu]
    assert network.find_tensor("y") == y and network.find_tensor("nope") is None
    network.unmark_output(y)
    assert network.num_outputs == 0 and not y.is_network_output
    with pytest.raises(IndexError):
        network.get_layer(5)
    other = ingot.Network()
    with pytest.raises(ingot.IngotError):
        other.add_activation(x, ingot.ActivationType.RELU)  # x belongs to `network`


def test_duplicate_input_name_fails(network):
    network.add_input("x", ingot.float32, (2,))
    with pytest.raises(ingot.IngotError) as e:
        network.add_input("x", ingot.float32, (2,))
    assert _names(e.value.message, "x")


def _small_network(logger, shape=(2, 3, 4), dynamic=False):
    """x -> relu -> + c -> softmax(-1), with c of shape (1, shape[1], shape[2])."""
    net = ingot.Network(logger)
    c = np.linspace(-1.0, 1.0, shape[1] * shape[2]).reshape(1, shape[1], shape[2])  # float64 on purpose
    x = net.add_input("x", ingot.float32, ((-1,) + tuple(shape[1:])) if dynamic else shape)
    relu = net.add_activation(x, ingot.ActivationType.RELU)
    relu.name = "relu"
    const = net.add_constant(c.shape, c)
    const.name = "bias_const"
    add = net.add_elementwise(relu.get_output(0), const.get_output(0), ingot.ElementWiseOperation.SUM)
    add.name = "add"
    sm = net.add_softmax(add.get_output(0), axis=-1)
    sm.name = "softmax"
    y = sm.get_output(0)
    y.name = "y"
    net.mark_output(y)
    return net, c.astype(np.float32)


def _names(message, name):
    """Whether `message` names `name` as a word (not as part of another one)."""
    return re.search(r"(?<![\w.])" + re.escape(name) + r"(?![\w])", message) is not None


def _reference(x, c):
    z = np.maximum(x, 0) + c
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_small_network_against_numpy(logger, rng):
    net, c = _small_network(logger)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    out = ingot.run_network(net, {"x": x})
    assert set(out) == {"y"}
    assert out["y"].dtype == np.float32 and out["y"].shape == (2, 3, 4)
    np.testing.assert_allclose(out["y"], _reference(x, c), rtol=1e-5, atol=1e-6)
    # float64 input is converted to the engine's float32
    out2 = ingot.run_network(net, {"x": x.astype(np.float64)})
    np.testing.assert_allclose(out2["y"], out["y"], rtol=1e-6)
    assert not logger.errors()


def test_full_path_builder_runtime_context(logger, rng):
    net, c = _small_network(logger)
    builder = ingot.Builder(logger)
    config = builder.create_builder_config()
    config.workspace_limit = 1 << 26
    assert config.workspace_limit == 1 << 26
    config.timing_iterations = 1
    plan = builder.build_serialized_network(net, config)
    assert isinstance(plan, bytes) and len(plan) > 0
    runtime = ingot.Runtime(logger)
    engine = runtime.deserialize_cuda_engine(plan)
    context = engine.create_execution_context()
    for _ in range(3):  # a context runs many times
        x = rng.standard_normal((2, 3, 4)).astype(np.float32)
        y = context.execute({"x": x})["y"]
        np.testing.assert_allclose(y, _reference(x, c), rtol=1e-5, atol=1e-6)
    # list form, in input order
    y2 = context.execute([x])["y"]
    np.testing.assert_allclose(y2, y)


def test_dynamic_batch_profile(logger, rng):
    net, c = _small_network(logger, dynamic=True)
    assert net.get_input(0).shape == (-1, 3, 4)
    maxb = 5
    for batch in (1, 3, maxb):
        x = rng.standard_normal((batch, 3, 4)).astype(np.float32)
        out = ingot.run_network(net, {"x": x}, profiles=[{"x": ((1, 3, 4), (3, 3, 4), (maxb, 3, 4))}])
        np.testing.assert_allclose(out["y"], _reference(x, c), rtol=1e-5, atol=1e-6)
    # one engine, one context, several shapes
    builder = ingot.Builder(logger)
    config = builder.create_builder_config()
    profile = builder.create_optimization_profile()
    profile.set_shape("x", (1, 3, 4), (3, 3, 4), (maxb, 3, 4))
    assert profile.get_shape("x") == [(1, 3, 4), (3, 3, 4), (maxb, 3, 4)]
    assert config.add_optimization_profile(profile) == 0
    assert config.num_optimization_profiles == 1
    engine = ingot.Runtime(logger).deserialize_engine(builder.build_serialized_network(net, config))
    assert engine.get_tensor_shape("x") == (-1, 3, 4)
    assert engine.get_tensor_shape("y") == (-1, 3, 4)
    assert engine.num_optimization_profiles == 1
    assert engine.get_tensor_profile_shape("x", 0) == ((1, 3, 4), (3, 3, 4), (maxb, 3, 4))
    ctx = engine.create_execution_context()
    for batch in (maxb, 1, 3):
        x = rng.standard_normal((batch, 3, 4)).astype(np.float32)
        ctx.set_input_shape("x", x.shape)
        assert ctx.get_tensor_shape("y") == (batch, 3, 4)
        np.testing.assert_allclose(ctx.execute({"x": x})["y"], _reference(x, c), rtol=1e-5, atol=1e-6)
    # outside the profile: the message names the tensor
    with pytest.raises(ingot.IngotError) as e:
        ctx.set_input_shape("x", (maxb + 1, 3, 4))
    assert _names(e.value.message, "x")
    with pytest.raises(ingot.IngotError) as e:
        ctx.execute({"x": np.zeros((maxb + 1, 3, 4), np.float32)})
    assert _names(e.value.message, "x")


def test_two_profiles(logger, rng):
    net, c = _small_network(logger, dynamic=True)
    profiles = [{"x": ((1, 3, 4), (2, 3, 4), (2, 3, 4))}, {"x": ((3, 3, 4), (6, 3, 4), (8, 3, 4))}]
    for batch in (2, 7):
        x = rng.standard_normal((batch, 3, 4)).astype(np.float32)
        out = ingot.run_network(net, {"x": x}, profiles=profiles)
        np.testing.assert_allclose(out["y"], _reference(x, c), rtol=1e-5, atol=1e-6)


def test_auto_profile_from_inputs(logger, rng):
    net, c = _small_network(logger, dynamic=True)
    x = rng.standard_normal((4, 3, 4)).astype(np.float32)
    out = ingot.run_network(net, {"x": x})  # no profiles: min = opt = max = x.shape
    np.testing.assert_allclose(out["y"], _reference(x, c), rtol=1e-5, atol=1e-6)


# ---- error paths ----------------------------------------------------------------------------------
def _engine(logger, net, config=None):
    builder = ingot.Builder(logger)
    return ingot.Runtime(logger).deserialize_engine(builder.build_serialized_network(net, config))


def test_unknown_tensor_name(logger):
    net, _ = _small_network(logger)
    engine = _engine(logger, net)
    ctx = engine.create_execution_context()
    with pytest.raises(ingot.IngotError) as e:
        ctx.set_input_shape("no_such_tensor", (2, 3, 4))
    assert e.value.status == ingot.Status.NOT_FOUND
    assert "no_such_tensor" in e.value.message
    with pytest.raises(ingot.IngotError) as e:
        engine.get_tensor_dtype("no_such_tensor")
    assert "no_such_tensor" in e.value.message
    with pytest.raises(ingot.IngotError) as e:
        ctx.execute({"x": np.zeros((2, 3, 4), np.float32), "no_such_tensor": np.zeros(1, np.float32)})
    assert "no_such_tensor" in e.value.message
    with pytest.raises(ingot.IngotError) as e:
        ctx.execute({})
    assert _names(e.value.message, "x")
    assert str(e.value).startswith("INVALID_ARGUMENT")


def test_static_shape_mismatch(logger):
    net, _ = _small_network(logger)
    ctx = _engine(logger, net).create_execution_context()
    with pytest.raises(ingot.IngotError) as e:
        ctx.execute({"x": np.zeros((2, 3, 5), np.float32)})
    assert _names(e.value.message, "x")


def test_build_unmarked_network_fails(logger):
    net = ingot.Network(logger)
    x = net.add_input("x", ingot.float32, (2, 2))
    net.add_activation(x, ingot.ActivationType.RELU)
    with pytest.raises(ingot.IngotError) as e:
        ingot.Builder(logger).build_serialized_network(net)
    assert e.value.message
    assert e.value.status in (ingot.Status.INVALID_GRAPH, ingot.Status.INVALID_ARGUMENT)
    # the error also reached the logger
    assert any(e.value.message in m or m in e.value.message for m in logger.errors())


def test_dynamic_input_without_profile_fails(logger):
    net, _ = _small_network(logger, dynamic=True)
    with pytest.raises(ingot.IngotError) as e:
        ingot.Builder(logger).build_serialized_network(net)
    assert _names(e.value.message, "x")


def test_corrupted_plan_refused(logger):
    net, _ = _small_network(logger)
    plan = ingot.Builder(logger).build_serialized_network(net)
    runtime = ingot.Runtime(logger)
    with pytest.raises(ingot.IngotError) as e:
        runtime.deserialize_engine(plan[: len(plan) // 2])
    assert e.value.status in (ingot.Status.INVALID_PLAN, ingot.Status.VERSION_MISMATCH)
    bad = bytearray(plan)
    bad[len(bad) // 2] ^= 0xFF
    with pytest.raises(ingot.IngotError):
        runtime.deserialize_engine(bytes(bad))
    with pytest.raises(ingot.IngotError):
        runtime.deserialize_engine(b"")


# ---- inspection and plans ----------------------------------------------------------------------------
def test_engine_inspection(logger):
    net, c = _small_network(logger)
    engine = _engine(logger, net)
    assert engine.target == ingot.Target.CPU
    assert engine.num_io_tensors == 2
    assert [engine.get_tensor_name(i) for i in range(2)] == ["x", "y"]
    assert engine.io_tensor_names == ["x", "y"]
    assert engine.get_tensor_mode("x") == ingot.TensorIOMode.INPUT
    assert engine.get_tensor_mode("y") == ingot.TensorIOMode.OUTPUT
    assert engine.get_tensor_dtype("y") == ingot.float32
    assert engine.get_tensor_shape("x") == (2, 3, 4)
    with pytest.raises(IndexError):
        engine.get_tensor_name(2)
    assert engine.num_layers >= 1
    infos = engine.layers
    assert len(infos) == engine.num_layers
    for info in infos:
        assert set(info) == {"name", "type", "tactic", "precision", "inputs", "outputs", "plugin"}
        assert info["plugin"] is None
        assert info["type"] and info["tactic"]
        assert isinstance(info["precision"], ingot.DataType)
    produced = [o for info in infos for o in info["outputs"]]
    assert "y" in produced
    assert any("x" in info["inputs"] for info in infos)
    assert engine.weights_memory >= c.nbytes
    assert engine.get_activation_memory(0) >= 0
    assert engine.activation_memory >= engine.get_activation_memory(0)
    with pytest.raises(ingot.IngotError):
        engine.get_layer_info(engine.num_layers)


def test_plan_round_trip(logger, rng, tmp_path):
    net, c = _small_network(logger)
    builder = ingot.Builder(logger)
    path = tmp_path / "small.plan"
    plan = builder.build_serialized_network(net, path=str(path))
    assert path.read_bytes() == plan
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    runtime = ingot.Runtime(logger)
    ys = []
    for engine in (runtime.deserialize_engine(plan), runtime.deserialize_engine(bytearray(plan)),
                   runtime.deserialize_engine(np.frombuffer(plan, np.uint8)), runtime.load_engine(path)):
        ys.append(engine.create_execution_context().execute({"x": x})["y"])
        engine.close()
    for y in ys:
        np.testing.assert_array_equal(y, ys[0])
    np.testing.assert_allclose(ys[0], _reference(x, c), rtol=1e-5, atol=1e-6)
    with pytest.raises(ingot.IngotError):
        runtime.load_engine(tmp_path / "missing.plan")


def test_plan_holds_packed_weights_once(logger, rng):
    """Weights that the CPU GEMM tactics pack (convolution, FC, a constant matmul B) are in
    the plan once, as the packed panels: the plan is about the weights' size, not twice it,
    and the engine counts them apart. A constant that another layer also reads as it is
    (shared, added to mm2's output) keeps its data."""
    net = ingot.Network(logger)
    x = net.add_input("x", ingot.float32, (4, 8, 10, 10))
    q = net.add_input("q", ingot.float32, (64, 64))
    conv_w = (rng.standard_normal((32, 8, 3, 3)) * 0.1).astype(np.float32)
    conv = net.add_convolution_nd(x, 32, (3, 3), conv_w, padding=(1, 1))
    fc_w = (rng.standard_normal((64, 32 * 10 * 10)) * 0.01).astype(np.float32)
    fc_b = rng.standard_normal(64).astype(np.float32)
    fc = net.add_fully_connected(conv.get_output(0), 64, fc_w, fc_b)
    fc.get_output(0).name = "f"
    net.mark_output(fc.get_output(0))
    b = (rng.standard_normal((64, 64)) * 0.1).astype(np.float32)
    shared = (rng.standard_normal((64, 64)) * 0.1).astype(np.float32)
    b_const, shared_const = net.add_constant(b.shape, b), net.add_constant(shared.shape, shared)
    none = ingot.MatrixOperation.NONE
    mm = net.add_matrix_multiply(q, none, b_const.get_output(0), none)
    mm2 = net.add_matrix_multiply(mm.get_output(0), none, shared_const.get_output(0), none)
    relu = net.add_activation(mm2.get_output(0), ingot.ActivationType.RELU)
    z = net.add_elementwise(relu.get_output(0), shared_const.get_output(0), ingot.ElementWiseOperation.SUM)
    z.get_output(0).name = "z"
    net.mark_output(z.get_output(0))
    weights = conv_w.nbytes + fc_w.nbytes + fc_b.nbytes + b.nbytes + shared.nbytes
    builder = ingot.Builder(logger)
    config = builder.create_builder_config()
    config.timing_iterations = 0  # the GEMM tactics, not a timed choice
    plan = builder.build_serialized_network(net, config)
    assert len(plan) < 1.5 * weights, (len(plan), weights)
    engine = ingot.Runtime(logger).deserialize_engine(plan)
    tactics = {info["tactic"] for info in engine.layers}
    assert "fc_f32_gemm" in tactics and "matmul_f32_gemm" in tactics, tactics
    assert engine.packed_weights_memory == conv_w.nbytes + fc_w.nbytes + b.nbytes
    assert engine.weights_memory == fc_b.nbytes + shared.nbytes
    xv = rng.standard_normal((4, 8, 10, 10)).astype(np.float32)
    qv = rng.standard_normal((64, 64)).astype(np.float32)
    out = engine.create_execution_context().execute({"x": xv, "q": qv})
    pad = np.pad(xv.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    conv_y = np.zeros((4, 32, 10, 10))
    for i in range(3):
        for j in range(3):
            conv_y += np.einsum("nchw,kc->nkhw", pad[:, :, i:i + 10, j:j + 10], conv_w[:, :, i, j])
    np.testing.assert_allclose(out["f"], conv_y.reshape(4, -1) @ fc_w.T + fc_b, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out["z"], np.maximum((qv @ b) @ shared, 0) + shared, rtol=1e-4, atol=1e-4)
    engine.close()


# ---- lifetimes, low level API, profiler, streams ----------------------------------------------------------
def test_lifetimes_parents_kept_alive(rng):
    logger = ingot.Logger(ingot.Logger.ERROR)
    net, c = _small_network(logger)
    ctx = _engine(logger, net).create_execution_context()  # engine and runtime only referenced by ctx
    t = net.get_output(0)
    del net, logger
    gc.collect()
    assert t.name == "y"  # the network lives while its tensor does
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(ctx.execute({"x": x})["y"], _reference(x, c), rtol=1e-5, atol=1e-6)
    # closing explicitly closes the children first
    engine = ctx.engine
    engine.runtime.close()
    with pytest.raises(ingot.IngotError):
        ctx.execute({"x": x})
    with ingot.Network() as n2:
        n2.add_input("a", ingot.int32, (1,))
    assert n2.handle is None


def test_low_level_execute_v2_and_profiler(logger, rng):
    net, c = _small_network(logger)
    engine = _engine(logger, net)
    ctx = engine.create_execution_context()
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    y = np.empty((2, 3, 4), np.float32)
    ctx.set_tensor_address("x", x.ctypes.data)
    ctx.set_tensor_address("y", y.ctypes.data)
    prof = ingot.Profiler()
    ctx.profiler = prof
    assert ctx.execute_v2()
    np.testing.assert_allclose(y, _reference(x, c), rtol=1e-5, atol=1e-6)
    assert prof.records, "the profiler got no layer timing"
    layer_names = {info["name"] for info in engine.layers}
    assert {n for n, _ in prof.records} <= layer_names
    assert all(ms >= 0 for _, ms in prof.records)
    seen = []
    ctx.profiler = lambda name, ms: seen.append(name)
    y2 = np.empty_like(y)
    assert ctx.execute_v2([x, y2])  # bindings in I/O order
    np.testing.assert_array_equal(y2, y)
    assert seen
    ctx.profiler = None


def test_stream_enqueue(logger, rng):
    net, c = _small_network(logger)
    engine = _engine(logger, net)
    contexts = [engine.create_execution_context() for _ in range(2)]
    xs = [rng.standard_normal((2, 3, 4)).astype(np.float32) for _ in contexts]
    ys = [np.empty((2, 3, 4), np.float32) for _ in contexts]
    with ingot.Stream() as stream:
        for ctx, x, y in zip(contexts, xs, ys):
            ctx.set_tensor_address("x", x)
            ctx.set_tensor_address("y", y)
            ctx.execute_async(stream)
        stream.synchronize()
    for x, y in zip(xs, ys):
        np.testing.assert_allclose(y, _reference(x, c), rtol=1e-5, atol=1e-6)


def test_logger_callable_and_severity():
    got = []
    logger = ingot.Logger(ingot.Logger.INFO, lambda sev, msg: got.append((sev, msg)))
    assert logger.min_severity == ingot.Logger.INFO
    net = ingot.Network(logger)
    net.add_input("x", ingot.float32, (1,))
    with pytest.raises(ingot.IngotError):
        net.add_input("x", ingot.float32, (1,))
    assert any(sev == ingot.Severity.ERROR and _names(msg, "x") for sev, msg in got)
    logger.min_severity = ingot.Logger.INTERNAL_ERROR
    got.clear()
    with pytest.raises(ingot.IngotError):
        net.add_input("x", ingot.float32, (1,))
    assert not [m for s, m in got if s == ingot.Severity.ERROR]


# ---- dtypes and weights --------------------------------------------------------------------------------
def test_int_and_bool_io(logger):
    net = ingot.Network(logger)
    a = net.add_input("a", ingot.int32, (4,))
    b = net.add_input("b", np.int32, (4,))
    gt = net.add_elementwise(a, b, ingot.ElementWiseOperation.GREATER)
    s = net.add_elementwise(a, b, ingot.ElementWiseOperation.SUM)
    gt.get_output(0).name = "gt"
    s.get_output(0).name = "sum"
    net.mark_output(gt.get_output(0))
    net.mark_output(s.get_output(0))
    av = np.array([1, 5, -3, 7])  # int64: converted to the engine's int32
    bv = np.array([2, 4, -3, 0], np.int32)
    out = ingot.run_network(net, {"a": av, "b": bv})
    assert out["gt"].dtype == np.bool_ and out["sum"].dtype == np.int32
    np.testing.assert_array_equal(out["gt"], av > bv)
    np.testing.assert_array_equal(out["sum"], av + bv)


def test_fully_connected_float64_weights(logger, rng):
    net = ingot.Network(logger)
    x = net.add_input("x", ingot.float32, (2, 6))
    w = rng.standard_normal((3, 6))  # float64: converted to float32
    b = rng.standard_normal(3)
    fc = net.add_fully_connected(x, 3, w, b)
    net.mark_output(fc.get_output(0))
    xv = rng.standard_normal((2, 6)).astype(np.float32)
    out = ingot.run_network(net, {"x": xv})
    (y,) = out.values()
    np.testing.assert_allclose(y, xv @ w.T.astype(np.float32) + b.astype(np.float32), rtol=1e-4, atol=1e-5)


def test_wts_parse():
    text = "2\nconv.weight 2 3f800000 40000000\nconv.bias 1 bf800000\n"
    w = ingot.parse_wts(text)
    assert list(w) == ["conv.weight", "conv.bias"]
    np.testing.assert_array_equal(w["conv.weight"], np.array([1.0, 2.0], np.float32))
    np.testing.assert_array_equal(w["conv.bias"], np.array([-1.0], np.float32))
    with pytest.raises(ingot.IngotError):
        ingot.parse_wts("2\nonly_one 1 3f800000\n")


def test_scalar_input_and_constant(logger):
    """0-d arrays stay 0-d (np.ascontiguousarray would make them 1-d)."""
    net = ingot.Network(logger)
    a = net.add_input("a", ingot.float32, (2, 3))
    s = net.add_input("s", ingot.float32, ())
    assert s.shape == ()
    k = net.add_constant(None, np.float32(0.5))
    assert k.get_output(0).shape == ()
    t = net.add_elementwise(a, s, ingot.ElementWiseOperation.PROD)
    u = net.add_elementwise(t.get_output(0), k.get_output(0), ingot.ElementWiseOperation.SUM)
    u.get_output(0).name = "y"
    net.mark_output(u.get_output(0))
    av = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = ingot.run_network(net, {"a": av, "s": np.float32(3.0)})
    np.testing.assert_allclose(out["y"], av * 3 + 0.5)
    out = ingot.run_network(net, {"a": av, "s": 2.0})  # a Python float
    np.testing.assert_allclose(out["y"], av * 2 + 0.5)


def test_non_contiguous_input(logger, rng):
    net, c = _small_network(logger)
    x = np.ascontiguousarray(rng.standard_normal((4, 3, 2)).astype(np.float32)).transpose(2, 1, 0)
    assert not x.flags.c_contiguous
    out = ingot.run_network(net, {"x": x})
    np.testing.assert_allclose(out["y"], _reference(x, c), rtol=1e-5, atol=1e-6)


def test_bfloat16_io(logger, rng):
    net = ingot.Network(logger)
    x = net.add_input("x", ingot.bfloat16, (2, 4))
    relu = net.add_activation(x, ingot.ActivationType.RELU)
    cast = net.add_cast(relu.get_output(0), ingot.float32)
    relu.get_output(0).name = "y16"
    cast.get_output(0).name = "y32"
    net.mark_output(relu.get_output(0))
    net.mark_output(cast.get_output(0))
    xv = rng.standard_normal((2, 4)).astype(np.float32)
    try:
        out = ingot.run_network(net, {"x": xv})  # float32 values rounded to bfloat16
    except ingot.IngotError as e:
        if e.status == ingot.Status.UNSUPPORTED:
            pytest.skip(f"bfloat16 not supported by this build: {e.message}")
        raise
    want = np.maximum(ingot.bf16_to_float(ingot.float_to_bf16(xv)), 0)
    assert out["y16"].dtype == np.uint16
    np.testing.assert_array_equal(ingot.bf16_to_float(out["y16"]), want)
    np.testing.assert_array_equal(out["y32"], want)


def _profiled_run(logger, net, inputs):
    """Builds net, runs it once with a profiler; returns the outputs and (layer, ms) records."""
    engine = _engine(logger, net)
    ctx = engine.create_execution_context()
    records = []
    ctx.profiler = lambda name, ms: records.append((name, ms))
    return ctx.execute(inputs), records


def test_reshapes_are_views(logger, rng):
    """A reshape's output aliases its input (the layer does not run; the profiler reports
    0 ms), and the input's bytes stay alive until the alias's last reader: layers between
    the reshape and that reader would reuse them otherwise, and the result would be wrong."""
    net = ingot.Network(logger)
    x = net.add_input("x", np.float32, (4, 6))
    a = net.add_activation(x, ingot.ActivationType.RELU).get_output(0)
    view = net.add_shuffle(a, reshape_dims=(2, 12))
    view.name = "the_view"
    v = view.get_output(0)
    t = net.add_unary(x, ingot.UnaryOperation.EXP).get_output(0)
    for _ in range(4):  # intermediates that would land on a's bytes if it were dead
        t = net.add_activation(t, ingot.ActivationType.SIGMOID).get_output(0)
    t2 = net.add_shuffle(t, reshape_dims=(2, 12)).get_output(0)
    y = net.add_elementwise(v, t2, ingot.ElementWiseOperation.SUM).get_output(0)
    y.name = "y"
    net.mark_output(y)
    xv = rng.standard_normal((4, 6)).astype(np.float32)
    out, records = _profiled_run(logger, net, {"x": xv})
    got = out["y"]
    want = np.maximum(xv, 0).reshape(2, 12)
    t = np.exp(xv.astype(np.float64))
    for _ in range(4):
        t = 1 / (1 + np.exp(-t))
    np.testing.assert_allclose(got, want + t.reshape(2, 12), rtol=1e-5, atol=1e-6)
    assert ("the_view", 0.0) in records, records


def test_gather_of_one_index_is_a_view(logger, rng):
    """Gathering one constant index along an axis with only 1s before it (ViT's Q, K, V
    from one [3, ...] tensor) aliases a block of the input: the layer reports 0 ms and the
    result is right, negative index included; a gather along a later axis (a strided
    selection, copied) gives the right values too."""
    net = ingot.Network(logger)
    x = net.add_input("x", np.float32, (3, 4, 16))
    a = net.add_activation(x, ingot.ActivationType.RELU).get_output(0)
    layers = []
    for name, index, axis in (("g_first", 1, 0), ("g_last", -1, 0), ("g_inner", 2, 1)):
        idx = net.add_constant((), np.array(index, np.int64)).get_output(0)
        g = net.add_gather(a, idx, axis)
        g.name = name
        layers.append(g.get_output(0))
    t = net.add_unary(x, ingot.UnaryOperation.EXP).get_output(0)
    for _ in range(3):  # would overwrite a's bytes if the views did not keep it alive
        t = net.add_activation(t, ingot.ActivationType.SIGMOID).get_output(0)
    t = net.add_gather(t, net.add_constant((), np.array(0, np.int64)).get_output(0), 0).get_output(0)
    y = net.add_elementwise(layers[0], layers[1], ingot.ElementWiseOperation.SUM).get_output(0)
    y = net.add_elementwise(y, t, ingot.ElementWiseOperation.PROD).get_output(0)
    y.name = "y"
    net.mark_output(y)
    z = layers[2]
    z.name = "z"
    net.mark_output(z)
    xv = rng.standard_normal((3, 4, 16)).astype(np.float32)
    out, records = _profiled_run(logger, net, {"x": xv})
    r = np.maximum(xv, 0)
    s = np.exp(xv[0].astype(np.float64))
    for _ in range(3):
        s = 1 / (1 + np.exp(-s))
    np.testing.assert_allclose(out["y"], (r[1] + r[2]) * s, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["z"], r[:, 2], rtol=0, atol=0)
    assert ("g_first", 0.0) in records and ("g_last", 0.0) in records, records
