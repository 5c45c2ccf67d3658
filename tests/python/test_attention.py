"""The attention layer: built through the network API (checked against a float64 NumPy
reference) and made by the builder's pattern pass from the chains PyTorch's exporter writes
for BERT (heads transposed with perm (0, 2, 3, 1), Div by sqrt(d), an additive mask), GPT
(Split heads, Transpose(K), a causal Where) and ViT (Gather from a fused QKV, Q scaled
first). Each ONNX graph runs against onnxruntime, with the fused layer and with the pass
off (INGOT_FUSE_ATTENTION=0); near misses stay unfused. With INGOT_TARGET=cuda the same
tests run on the GPU (scripts/gpu-test.sh): the layer API on the general CUDA kernel in
float32, the patterns fused with fp16 (the tensor-core kernel) and left unfused in float32."""
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import ingot
from ingot.compare import run_onnxruntime

ON_GPU = os.environ.get("INGOT_TARGET", "cpu").strip().lower() == "cuda"


def reference(q, k, v, mask=None, scale=None):
    q, k, v = (a.astype(np.float64) for a in (q, k, v))
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = np.einsum("bhqd,bhkd->bhqk", q, k) * scale
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == np.bool_ else s + mask
    s = s - s.max(axis=-1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(axis=-1, keepdims=True)
    return np.einsum("bhqk,bhkd->bhqd", p, v)


def run_api(logger, arrays, scale=None):
    net = ingot.Network(logger)
    try:
        t = {n: net.add_input(n, a.dtype, a.shape) for n, a in arrays.items()}
        layer = net.add_attention(t["q"], t["k"], t["v"], t.get("mask"), scale)
        assert layer.type == ingot.LayerType.ATTENTION
        out = layer.get_output(0)
        out.name = "y"
        net.mark_output(out)
        return ingot.run_network(net, arrays, logger=logger)["y"]
    finally:
        net.close()


@pytest.mark.parametrize("mask", ["none", "float", "bool"])
@pytest.mark.parametrize("sizes", [(2, 3, 17, 33, 16, 16), (1, 2, 70, 129, 64, 64), (1, 1, 1, 5, 8, 4)],
                         ids=["small", "blocks", "one_query"])
def test_network_api(logger, rng, sizes, mask):
    b, h, sq, sk, d, dv = sizes
    arrays = {"q": rng.uniform(-2, 2, (b, h, sq, d)).astype(np.float32),
              "k": rng.uniform(-2, 2, (b, h, sk, d)).astype(np.float32),
              "v": rng.uniform(-1, 1, (b, h, sk, dv)).astype(np.float32)}
    if mask == "float":
        arrays["mask"] = rng.uniform(-3, 0, (b, 1, 1, sk)).astype(np.float32)
    elif mask == "bool":
        m = rng.uniform(size=(1, h, sq, sk)) < 0.7
        m[..., 0] = True  # every row keeps a key (a row of -inf is NaN, as in the reference)
        arrays["mask"] = m
    y = run_api(logger, arrays)
    want = reference(arrays["q"], arrays["k"], arrays["v"], arrays.get("mask"))
    np.testing.assert_allclose(y, want, rtol=2e-3 if ON_GPU else 1e-5, atol=2e-4 if ON_GPU else 1e-6)


@pytest.mark.parametrize("case", [
    ({"q": (2, 3, 4), "k": (1, 2, 5, 4), "v": (1, 2, 5, 4)}, "rank 4"),
    ({"q": (1, 2, 3, 4), "k": (1, 2, 5, 4), "v": (1, 2, 6, 4)}, "do not fit together"),  # 5 keys, 6 values
    ({"q": (1, 2, 3, 4), "k": (1, 2, 5, 4), "v": (1, 2, 5, 4), "mask": (2, 5)}, "does not broadcast"),
], ids=["rank", "keys", "mask"])
def test_network_api_errors(logger, case):
    """Shapes are checked when the network is built; the message names what is wrong."""
    shapes, message = case
    arrays = {n: np.ones(s, np.float32) for n, s in shapes.items()}
    with pytest.raises(ingot.IngotError, match=message):
        run_api(logger, arrays, scale=0.5)


def test_network_api_scale_must_be_finite(logger):
    net = ingot.Network(logger)
    try:
        q = net.add_input("q", np.float32, (1, 2, 3, 4))
        with pytest.raises(ingot.IngotError, match="not finite"):
            net.add_attention(q, q, q, None, float("inf"))
    finally:
        net.close()


# ---- the pattern pass on exported graphs ---------------------------------------------------------

def const(name, value, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)


def heads(nodes, inits, x, name, s, nh, hd, perm):
    inits.append(const(name + "_shape", [0, -1 if s is None else s, nh, hd], np.int64))
    nodes.append(helper.make_node("Reshape", [x, name + "_shape"], [name + "_r"]))
    nodes.append(helper.make_node("Transpose", [name + "_r"], [name], perm=list(perm)))


def projected_heads(s, nh, hd, rng, k_name, k_perm):
    """Separate q, k and v projections of x, each split into heads [B, H, S, D] (K as
    `k_name`, transposed by `k_perm`): the nodes and initializers."""
    dim = nh * hd
    nodes, inits = [], []
    for n in "qkv":
        inits.append(const("w" + n, rng.standard_normal((dim, dim)) * 0.3))
        nodes.append(helper.make_node("MatMul", ["x", "w" + n], [n + "_p"]))
    heads(nodes, inits, "q_p", "q", s, nh, hd, (0, 2, 1, 3))
    heads(nodes, inits, "k_p", k_name, s, nh, hd, k_perm)
    heads(nodes, inits, "v_p", "v", s, nh, hd, (0, 2, 1, 3))
    return nodes, inits


def bert_graph(s, nh, hd, rng, mask_output=False):
    """BERT-base's self-attention as exported: q/k/v projections, heads, K^T by the heads'
    transpose, Div, the extended mask added, Softmax, MatMul, merge heads."""
    dim = nh * hd
    nodes, inits = projected_heads(s, nh, hd, rng, "kt", (0, 2, 3, 1))
    inits += [const("sqrt_d", np.sqrt(hd)), const("one", 1.0), const("neg", -10000.0),
              const("axes12", [1, 2], np.int64), const("out_shape", [0, s, dim], np.int64)]
    nodes += [helper.make_node("Unsqueeze", ["mask", "axes12"], ["m4"]),
              helper.make_node("Cast", ["m4"], ["mf"], to=TensorProto.FLOAT),
              helper.make_node("Sub", ["one", "mf"], ["inv"]),
              helper.make_node("Mul", ["inv", "neg"], ["ext"]),
              helper.make_node("MatMul", ["q", "kt"], ["scores"]),
              helper.make_node("Div", ["scores", "sqrt_d"], ["scaled"]),
              helper.make_node("Add", ["scaled", "ext"], ["masked"]),
              helper.make_node("Softmax", ["masked"], ["probs"], axis=-1),
              helper.make_node("MatMul", ["probs", "v"], ["ctx"]),
              helper.make_node("Transpose", ["ctx"], ["ctx_t"], perm=[0, 2, 1, 3]),
              helper.make_node("Reshape", ["ctx_t", "out_shape"], ["y"])]
    outputs = ["y"] + (["probs"] if mask_output else [])
    graph = helper.make_graph(
        nodes, "bert_attention",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", s, dim]),
         helper.make_tensor_value_info("mask", TensorProto.INT64, ["b", s])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs], inits)
    return graph


def gpt_graph(s, nh, hd, rng):
    """GPT-2's: one QKV projection Split in three, K transposed by its own Transpose, Div,
    the causal mask sliced to the sequence and applied with Where(mask, min, scores)."""
    dim = nh * hd
    nodes, inits = [], []
    inits += [const("wqkv", rng.standard_normal((dim, 3 * dim)) * 0.3),
              const("split", [dim, dim, dim], np.int64),
              const("sqrt_d", np.sqrt(hd)), const("fmin", np.finfo(np.float32).min),
              const("future", ~np.tril(np.ones((1, 1, 128, 128), bool)), np.bool_),
              const("zero2", [0, 0], np.int64), const("axes23", [2, 3], np.int64),
              const("s_idx", [1], np.int64), const("out_shape", [0, 0, dim], np.int64)]
    nodes += [helper.make_node("MatMul", ["x", "wqkv"], ["qkv"]),
              helper.make_node("Split", ["qkv", "split"], ["q_p", "k_p", "v_p"], axis=2)]
    heads(nodes, inits, "q_p", "q", s, nh, hd, (0, 2, 1, 3))
    heads(nodes, inits, "k_p", "k", s, nh, hd, (0, 2, 1, 3))
    heads(nodes, inits, "v_p", "v", s, nh, hd, (0, 2, 1, 3))
    nodes += [helper.make_node("Shape", ["x"], ["xs"]),
              helper.make_node("Gather", ["xs", "s_idx"], ["n1"], axis=0),
              helper.make_node("Concat", ["n1", "n1"], ["ends"], axis=0),
              helper.make_node("Slice", ["future", "zero2", "ends", "axes23"], ["fut"]),
              helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
              helper.make_node("MatMul", ["q", "kt"], ["scores"]),
              helper.make_node("Div", ["scores", "sqrt_d"], ["scaled"]),
              helper.make_node("Where", ["fut", "fmin", "scaled"], ["masked"]),
              helper.make_node("Softmax", ["masked"], ["probs"], axis=-1),
              helper.make_node("MatMul", ["probs", "v"], ["ctx"]),
              helper.make_node("Transpose", ["ctx"], ["ctx_t"], perm=[0, 2, 1, 3]),
              helper.make_node("Reshape", ["ctx_t", "out_shape"], ["y"])]
    return helper.make_graph(
        nodes, "gpt_attention", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", s or "s", dim])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)


def vit_graph(s, nh, hd, rng):
    """ViT's (timm): a QKV projection reshaped to [B, N, 3, H, D], transposed to
    [3, B, H, N, D], Gathered, Q scaled before the product, K^T by Transpose."""
    dim = nh * hd
    inits = [const("wqkv", rng.standard_normal((dim, 3 * dim)) * 0.3),
             const("qkv_shape", [0, s, 3, nh, hd], np.int64), const("scale", hd ** -0.5),
             const("i0", 0, np.int64), const("i1", 1, np.int64), const("i2", 2, np.int64),
             const("out_shape", [0, s, dim], np.int64)]
    nodes = [helper.make_node("MatMul", ["x", "wqkv"], ["qkv"]),
             helper.make_node("Reshape", ["qkv", "qkv_shape"], ["qkv5"]),
             helper.make_node("Transpose", ["qkv5"], ["qkv_t"], perm=[2, 0, 3, 1, 4])]
    nodes += [helper.make_node("Gather", ["qkv_t", "i%d" % i], [n], axis=0) for i, n in enumerate(["q0", "k", "v"])]
    nodes += [helper.make_node("Mul", ["q0", "scale"], ["q"]),
              helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
              helper.make_node("MatMul", ["q", "kt"], ["scores"]),
              helper.make_node("Softmax", ["scores"], ["probs"], axis=-1),
              helper.make_node("MatMul", ["probs", "v"], ["ctx"]),
              helper.make_node("Transpose", ["ctx"], ["ctx_t"], perm=[0, 2, 1, 3]),
              helper.make_node("Reshape", ["ctx_t", "out_shape"], ["y"])]
    return helper.make_graph(
        nodes, "vit_attention", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", s, dim])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)


def sdpa_graph(s, nh, hd, rng):
    """PyTorch's export of F.scaled_dot_product_attention (torchvision's ViT, any model using
    SDPA): Q and K^T each multiplied by the square root of the scale, no Div after."""
    dim = nh * hd
    nodes, inits = projected_heads(s, nh, hd, rng, "k", (0, 2, 1, 3))
    inits += [const("sqrt_scale", hd ** -0.25), const("out_shape", [0, s, dim], np.int64)]
    nodes += [helper.make_node("Mul", ["q", "sqrt_scale"], ["qs"]),
              helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
              helper.make_node("Mul", ["kt", "sqrt_scale"], ["kts"]),
              helper.make_node("MatMul", ["qs", "kts"], ["scores"]),
              helper.make_node("Softmax", ["scores"], ["probs"], axis=-1),
              helper.make_node("MatMul", ["probs", "v"], ["ctx"]),
              helper.make_node("Transpose", ["ctx"], ["ctx_t"], perm=[0, 2, 1, 3]),
              helper.make_node("Reshape", ["ctx_t", "out_shape"], ["y"])]
    return helper.make_graph(
        nodes, "sdpa_attention", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", s, dim])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)


def save(graph, tmp_path):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    path = str(tmp_path / (graph.name + ".onnx"))
    onnx.save(m, path)
    return path


def run_model(path, inputs, fp16=False, fuse=True):
    old = os.environ.get("INGOT_FUSE_ATTENTION")
    os.environ["INGOT_FUSE_ATTENTION"] = "1" if fuse else "0"
    logger = ingot.Logger(ingot.Logger.ERROR, lambda s, msg: None)
    try:
        engine = ingot.build_onnx(path, shapes={n: a.shape for n, a in inputs.items()}, logger=logger, fp16=fp16)
    finally:
        if old is None:
            del os.environ["INGOT_FUSE_ATTENTION"]
        else:
            os.environ["INGOT_FUSE_ATTENTION"] = old
    try:
        return engine.create_execution_context().execute(inputs), engine.layers
    finally:
        engine.close()


def close(got, want):
    """CPU: float32 rounding differs from onnxruntime's order (one scale instead of two,
    blocked sums) and peaked softmax rows amplify it a little. GPU: float32 products run in
    TF32 (10-bit mantissa) by default, as TensorRT's do."""
    if ON_GPU:
        assert np.linalg.norm(got - want) <= 5e-3 * np.linalg.norm(want)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-5)
        assert np.linalg.norm(got - want) <= 1e-5 * np.linalg.norm(want)


def attention_layers(layers):
    return [l for l in layers if l["type"].endswith("=attention")]


def inputs_for(name, b, s, dim, rng):
    x = {"x": rng.standard_normal((b, s, dim)).astype(np.float32)}
    if name == "bert":
        mask = np.ones((b, s), np.int64)
        mask[0, s // 2:] = 0  # padding in the first sequence
        x["mask"] = mask
    return x


GRAPHS = {"bert": bert_graph, "gpt": gpt_graph, "vit": vit_graph, "sdpa": sdpa_graph}
KINDS = {"bert": "matmul+add_mask+softmax+matmul=attention", "gpt": "matmul+where_mask+softmax+matmul=attention",
         "vit": "matmul+softmax+matmul=attention", "sdpa": "matmul+softmax+matmul=attention"}


@pytest.mark.parametrize("name", ["bert", "gpt", "vit", "sdpa"])
@pytest.mark.parametrize("sizes", [(2, 24, 4, 16), (1, 50, 2, 64)], ids=["d16", "d64"])
def test_pattern_becomes_one_layer(name, sizes, rng, tmp_path):
    b, s, nh, hd = sizes
    path = save(GRAPHS[name](s, nh, hd, rng), tmp_path)
    inputs = inputs_for(name, b, s, nh * hd, rng)
    want = run_onnxruntime(path, inputs)["y"]
    got, layers = run_model(path, inputs)
    fused = attention_layers(layers)
    if ON_GPU:  # float32 on a GPU: cuBLASLt and the softmax kernel stay (faster than fusing)
        assert not fused, layers
    else:
        assert len(fused) == 1 and fused[0]["type"] == KINDS[name], layers
        # which of the two CPU tactics is faster on shapes this small is up to the timing
        assert fused[0]["tactic"] in ("attention_f32_gemm", "attention_f32_reference"), fused
        # the heads' transposes are read through: no shuffle is left before the output
        assert not any(l["type"] == "shuffle" and "ctx" in l["name"] for l in layers), layers
    close(got["y"], want)
    unfused, layers = run_model(path, inputs, fuse=False)
    assert not attention_layers(layers)
    close(unfused["y"], want)


@pytest.mark.skipif(not ON_GPU, reason="fp16 kernels are the CUDA target's")
@pytest.mark.parametrize("name", ["bert", "gpt", "vit", "sdpa"])
def test_pattern_fp16(name, rng, tmp_path):
    b, s, nh, hd = 2, 77, 4, 64
    path = save(GRAPHS[name](s, nh, hd, rng), tmp_path)
    inputs = inputs_for(name, b, s, nh * hd, rng)
    want = run_onnxruntime(path, inputs)["y"]
    got, layers = run_model(path, inputs, fp16=True)
    fused = attention_layers(layers)
    assert len(fused) == 1 and fused[0]["tactic"].startswith("attention_cuda"), layers
    err = np.linalg.norm(got["y"] - want) / np.linalg.norm(want)
    assert err < 1e-2, err


def test_dynamic_sequence(rng, tmp_path):
    """GPT's graph with the sequence length dynamic (1 to 100): the causal mask is sliced with
    bounds computed when shapes are set (on CUDA, a slice reading its bounds on the device);
    one engine runs at several lengths."""
    nh, hd = 2, 16
    path = save(gpt_graph(None, nh, hd, rng), tmp_path)
    dim = nh * hd
    logger = ingot.Logger(ingot.Logger.ERROR, lambda s, msg: None)
    engine = ingot.build_onnx(path, profiles=[{"x": ((1, 1, dim), (2, 24, dim), (2, 100, dim))}], logger=logger)
    try:
        assert len(attention_layers(engine.layers)) == (0 if ON_GPU else 1), engine.layers
        ctx = engine.create_execution_context()
        for b, s in [(2, 24), (1, 1), (2, 100), (1, 37)]:
            x = {"x": rng.standard_normal((b, s, dim)).astype(np.float32)}
            want = run_onnxruntime(path, x)["y"]
            close(ctx.execute(x)["y"], want)
    finally:
        engine.close()


def test_near_miss_probabilities_read_elsewhere(rng, tmp_path):
    """The softmax output is also a graph output: the chain must stay as it is."""
    path = save(bert_graph(12, 2, 8, rng, mask_output=True), tmp_path)
    inputs = inputs_for("bert", 2, 12, 16, rng)
    want = run_onnxruntime(path, inputs)
    got, layers = run_model(path, inputs)
    assert not attention_layers(layers), layers
    for n, w in want.items():
        close(got[n], w)


def test_onnx_attention_operator_without_mask_fuses(rng, tmp_path):
    """ONNX's own Attention operator (opset 23), imported as its function body (Q and K^T
    scaled by the square root of the scale), becomes the attention layer again."""
    b, h, s, d = 2, 4, 33, 16
    graph = helper.make_graph(
        [helper.make_node("Attention", ["Q", "K", "V"], ["y"])], "onnx_attention",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [b, h, s, d]) for n in "QKV"],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])
    m.ir_version = 10
    path = str(tmp_path / "attention_op.onnx")
    onnx.save(m, path)
    inputs = {n: rng.standard_normal((b, h, s, d)).astype(np.float32) for n in "QKV"}
    want = run_onnxruntime(path, inputs)["y"]
    got, layers = run_model(path, inputs)
    if not ON_GPU:
        assert [l["type"] for l in layers] == ["matmul+softmax+matmul=attention"], layers
    close(got["y"], want)
