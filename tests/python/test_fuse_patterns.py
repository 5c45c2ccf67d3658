"""The builder's pattern pass (src/builder/fuse_patterns.c): SiLU and GELU spelled as chains
of elementwise ONNX nodes become one activation, folded into the convolution or matrix
multiply before it. Outputs are checked against onnxruntime; the engine's layer list shows
the chain gone. Near misses (a wrong constant, an inner tensor read elsewhere) are left as
they are and still compute the right values."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import ingot
from ingot.compare import run_onnxruntime

RNG = np.random.default_rng(7)


def const(name, value):
    return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)


def model(nodes, inits, x_shape, y_names):
    graph = helper.make_graph(
        nodes, "patterns",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in y_names],
        inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def run_both(m, x_shape, tmp_path):
    path = str(tmp_path / "m.onnx")
    onnx.save(m, path)
    x = (RNG.standard_normal(x_shape) * 3).astype(np.float32)
    want = run_onnxruntime(path, {"x": x})
    logger = ingot.Logger(ingot.Logger.ERROR, lambda s, msg: None)
    engine = ingot.build_onnx(path, shapes={"x": x_shape}, logger=logger)
    try:
        got = engine.create_execution_context().execute({"x": x})
        layers = engine.layers
    finally:
        engine.close()
    for name, w in want.items():
        np.testing.assert_allclose(got[name], w, rtol=2e-5, atol=2e-6)
    return layers


def silu_conv_model():
    w = (RNG.standard_normal((8, 3, 3, 3)) * 0.3).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Sigmoid", ["c"], ["s"]),
             helper.make_node("Mul", ["s", "c"], ["y"])]  # sigmoid first: either order
    return model(nodes, [const("w", w)], [1, 3, 9, 9], ["y"])


def gelu_erf_nodes(x, y, form):
    inv = form == "mul_inverse"
    nodes = [helper.make_node("Mul" if inv else "Div", [x, "k_inv" if inv else "k_sqrt2"], [y + "_d"]),
             helper.make_node("Erf", [y + "_d"], [y + "_e"]),
             helper.make_node("Add", ["k_one", y + "_e"], [y + "_a"])]
    if form == "half_first":
        nodes += [helper.make_node("Mul", [x, "k_half"], [y + "_h"]),
                  helper.make_node("Mul", [y + "_h", y + "_a"], [y])]
    else:
        nodes += [helper.make_node("Mul", [x, y + "_a"], [y + "_m"]),
                  helper.make_node("Mul", [y + "_m", "k_half"], [y])]
    return nodes


GELU_CONSTS = [const("k_sqrt2", 1.4142135381698608), const("k_inv", 0.7071067690849304), const("k_one", 1.0),
               const("k_half", 0.5)]


def matmul_bias(x, y):
    w = (RNG.standard_normal((16, 24)) * 0.25).astype(np.float32)
    b = (RNG.standard_normal(24) * 0.1).astype(np.float32)
    return [helper.make_node("MatMul", [x, y + "_w"], [y + "_mm"]),
            helper.make_node("Add", [y + "_mm", y + "_b"], [y])], [const(y + "_w", w), const(y + "_b", b)]


@pytest.mark.parametrize("form", ["div_then_half", "half_first", "mul_inverse"])
def test_gelu_erf_fused_into_matmul(form, tmp_path):
    mm, inits = matmul_bias("x", "h")
    m = model(mm + gelu_erf_nodes("h", "y", form), inits + GELU_CONSTS, [2, 5, 16], ["y"])
    layers = run_both(m, [2, 5, 16], tmp_path)
    types = [l["type"] for l in layers]
    assert not any(t in ("elementwise", "unary") for t in types), layers
    assert len(layers) == 1, layers  # matmul + bias + gelu: one layer


def test_gelu_tanh_gpt_form(tmp_path):
    c = lambda n, v: const(n, v)
    nodes = [helper.make_node("Mul", ["k05", "x"], ["h"]),
             helper.make_node("Pow", ["x", "k3"], ["p"]),
             helper.make_node("Mul", ["kc", "p"], ["cp"]),
             helper.make_node("Add", ["x", "cp"], ["s"]),
             helper.make_node("Mul", ["ks", "s"], ["t0"]),
             helper.make_node("Tanh", ["t0"], ["t"]),
             helper.make_node("Add", ["k1", "t"], ["a"]),
             helper.make_node("Mul", ["h", "a"], ["y"])]
    inits = [c("k05", 0.5), c("k3", 3.0), c("kc", 0.044715), c("ks", np.sqrt(2 / np.pi)), c("k1", 1.0)]
    layers = run_both(model(nodes, inits, [3, 40], ["y"]), [3, 40], tmp_path)
    assert len(layers) == 1 and layers[0]["type"] == "tanh+mul=gelu", layers


def test_silu_fused_into_conv(tmp_path):
    layers = run_both(silu_conv_model(), [1, 3, 9, 9], tmp_path)
    # the CPU's layout pass runs the conv channels last, with a transpose at each end
    layers = [l for l in layers if not l["name"].endswith((".to_nhwc", ".to_nchw"))]
    assert len(layers) == 1 and layers[0]["type"] == "convolution+silu", layers


def test_near_misses_are_left_alone(tmp_path):
    # sigmoid(x) * x where sigmoid(x) is also an output: the chain stays
    nodes = [helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Mul", ["x", "s"], ["y"])]
    layers = run_both(model(nodes, [], [4, 7], ["y", "s"]), [4, 7], tmp_path)
    assert len(layers) == 2, layers
    # a GELU with 0.6 instead of 0.5 is not a GELU
    consts = [const("k_sqrt2", 1.4142135381698608), const("k_one", 1.0), const("k_half", 0.6)]
    layers = run_both(model(gelu_erf_nodes("x", "y", "div_then_half"), consts, [4, 7], ["y"]), [4, 7], tmp_path)
    assert any(l["type"] == "unary" for l in layers), layers
    # x * sigmoid(z) with z != x: not SiLU
    nodes = [helper.make_node("Neg", ["x"], ["z"]), helper.make_node("Sigmoid", ["z"], ["s"]),
             helper.make_node("Mul", ["x", "s"], ["y"])]
    layers = run_both(model(nodes, [], [4, 7], ["y"]), [4, 7], tmp_path)
    assert len(layers) == 3, layers


def layernorm_nodes(x, y, square="pow", beta=True, eps_first=False):
    nodes = [helper.make_node("ReduceMean", [x], [y + "_m"], axes=[-1], keepdims=1),
             helper.make_node("Sub", [x, y + "_m"], [y + "_d"]),
             helper.make_node("Pow", [y + "_d", "k_two"], [y + "_p"]) if square == "pow"
             else helper.make_node("Mul", [y + "_d", y + "_d"], [y + "_p"]),
             helper.make_node("ReduceMean", [y + "_p"], [y + "_v"], axes=[-1], keepdims=1),
             helper.make_node("Add", ["k_eps", y + "_v"] if eps_first else [y + "_v", "k_eps"], [y + "_ve"]),
             helper.make_node("Sqrt", [y + "_ve"], [y + "_s"]),
             helper.make_node("Div", [y + "_d", y + "_s"], [y + "_n"]),
             helper.make_node("Mul", ["gamma", y + "_n"], [y + "_g"] if beta else [y])]
    if beta:
        nodes.append(helper.make_node("Add", [y + "_g", "beta"], [y]))
    return nodes


def layernorm_consts(width):
    return [const("k_two", 2.0), const("k_eps", 1e-12), const("gamma", RNG.standard_normal(width)),
            const("beta", RNG.standard_normal(width))]


@pytest.mark.parametrize("square,beta,eps_first", [("pow", True, False), ("mul", True, True), ("pow", False, False)])
def test_layernorm_chain_becomes_one_layer(square, beta, eps_first, tmp_path):
    # opset 17 ReduceMean takes axes as an attribute (PyTorch's export of BERT's LayerNorm)
    nodes = layernorm_nodes("x", "y", square, beta, eps_first)
    layers = run_both(model(nodes, layernorm_consts(48), [2, 5, 48], ["y"]), [2, 5, 48], tmp_path)
    assert len(layers) == 1 and layers[0]["type"] == "reduce+sub+pow+sqrt+div=layer_normalization", layers
    assert layers[0]["tactic"] == "layernorm_f32_vector", layers


def test_layernorm_near_miss_stays(tmp_path):
    # the centred value is also a network output: the chain must stay as it is
    nodes = layernorm_nodes("x", "y")
    m = model(nodes, layernorm_consts(16), [3, 16], ["y", "y_d"])
    layers = run_both(m, [3, 16], tmp_path)
    assert not any("layer_normalization" in l["type"] for l in layers), layers
