"""The builder's passes, checked against NumPy: fusion (conv + batch norm + residual add +
activation), constant folding, dead-layer removal, float16 through casts, several profiles,
and build errors that name the layer."""
import numpy as np
import pytest

import ingot

rng = np.random.default_rng(1234)


def conv2d_ref(x, w, b, pad):
    n, c, h, wd = x.shape
    k, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    out = np.zeros((n, k, oh, ow), np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + oh, j:j + ow]
            out += np.einsum("nchw,kc->nkhw", patch, w[:, :, i, j])
    return (out + b[None, :, None, None]).astype(np.float32)


def bn_ref(x, gamma, beta, mean, var, eps):
    s = gamma / np.sqrt(var + eps)
    return (x - mean[None, :, None, None]) * s[None, :, None, None] + beta[None, :, None, None]


def build(network, profiles=None, config=None, logger=None):
    builder = ingot.Builder(logger)
    config = config or builder.create_builder_config()
    for p in profiles or []:
        config.add_optimization_profile(p)
    plan = builder.build_serialized_network(network, config)
    return ingot.Runtime(logger).deserialize_engine(plan)


def resnet_block(network, x, c):
    """conv -> bn -> relu -> conv -> bn -> (+ x) -> relu, weights random."""
    params = []
    t = x
    for i in range(2):
        w = rng.standard_normal((c, c, 3, 3)).astype(np.float32) * 0.2
        b = rng.standard_normal(c).astype(np.float32) * 0.1
        gamma = rng.uniform(0.5, 1.5, c).astype(np.float32)
        beta = rng.standard_normal(c).astype(np.float32) * 0.1
        mean = rng.standard_normal(c).astype(np.float32) * 0.1
        var = rng.uniform(0.5, 1.5, c).astype(np.float32)
        conv = network.add_convolution_nd(t, c, (3, 3), w, b, padding=(1, 1))
        bn = network.add_batch_normalization(conv.get_output(0), gamma, beta, mean, var, 1e-5)
        t = bn.get_output(0)
        if i == 1:
            t = network.add_elementwise(t, x, ingot.ElementWiseOperation.SUM).get_output(0)
        t = network.add_activation(t, ingot.ActivationType.RELU).get_output(0)
        params.append((w, b, gamma, beta, mean, var))
    return t, params


def resnet_block_ref(x, params):
    t = x
    for i, (w, b, gamma, beta, mean, var) in enumerate(params):
        t = bn_ref(conv2d_ref(t, w, b, 1), gamma, beta, mean, var, 1e-5)
        if i == 1:
            t = t + x
        t = np.maximum(t, 0)
    return t


def test_conv_bn_add_relu_fuse_and_match_numpy():
    network = ingot.Network()
    x = network.add_input("x", ingot.float32, (-1, 4, 7, 7))
    y, params = resnet_block(network, x, 4)
    y.name = "y"
    network.mark_output(y)
    profile = ingot.OptimizationProfile()
    profile.set_shape("x", (1, 4, 7, 7), (2, 4, 7, 7), (3, 4, 7, 7))
    engine = build(network, [profile])
    infos = [engine.get_layer_info(i) for i in range(engine.num_layers)]
    # the CPU's layout pass runs the block channels last, with a transpose at each end
    types = [i["type"] for i in infos if not i["name"].endswith((".to_nhwc", ".to_nchw"))]
    # 8 layers in, 2 out: each conv absorbed its batch norm, the add and the relus.
    assert types == ["convolution+batch_normalization+relu",
                     "convolution+batch_normalization+elementwise_sum+relu"], types
    data = rng.standard_normal((3, 4, 7, 7)).astype(np.float32)
    out = engine.create_execution_context().execute({"x": data})["y"]
    np.testing.assert_allclose(out, resnet_block_ref(data, params), rtol=1e-4, atol=1e-4)


def test_fusion_keeps_a_shared_intermediate():
    # The conv output is also a network output: nothing may be fused into the conv.
    network = ingot.Network()
    x = network.add_input("x", ingot.float32, (1, 2, 5, 5))
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    conv = network.add_convolution_nd(x, 3, (3, 3), w, b)
    conv.get_output(0).name = "conv"
    relu = network.add_activation(conv.get_output(0), ingot.ActivationType.RELU)
    relu.get_output(0).name = "relu"
    network.mark_output(conv.get_output(0))
    network.mark_output(relu.get_output(0))
    data = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    out = ingot.run_network(network, {"x": data})
    ref = conv2d_ref(data, w, b, 0)
    np.testing.assert_allclose(out["conv"], ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["relu"], np.maximum(ref, 0), rtol=1e-5, atol=1e-5)


def test_constant_folding_and_dead_layers():
    network = ingot.Network()
    x = network.add_input("x", ingot.float32, (2, 3))
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal((2, 3)).astype(np.float32)
    ca = network.add_constant((2, 3), a).get_output(0)
    cb = network.add_constant((2, 3), b).get_output(0)
    folded = network.add_elementwise(ca, cb, ingot.ElementWiseOperation.PROD).get_output(0)
    folded = network.add_unary(folded, ingot.UnaryOperation.EXP).get_output(0)
    y = network.add_elementwise(x, folded, ingot.ElementWiseOperation.SUM).get_output(0)
    y.name = "y"
    network.add_unary(x, ingot.UnaryOperation.SQRT)  # dead: feeds no output
    network.mark_output(y)
    engine = build(network)
    assert engine.num_layers == 1  # prod and exp folded, sqrt removed
    data = rng.standard_normal((2, 3)).astype(np.float32)
    out = engine.create_execution_context().execute({"x": data})["y"]
    np.testing.assert_allclose(out, data + np.exp(a * b), rtol=1e-6)


def test_float16_network_runs_in_float32_between_casts():
    network = ingot.Network()
    x = network.add_input("x", ingot.float16, (2, 3, 6, 6))
    w = (rng.standard_normal((4, 3, 3, 3)) * 0.3).astype(np.float16)
    b = rng.standard_normal(4).astype(np.float16)
    conv = network.add_convolution_nd(x, 4, (3, 3), w, b, padding=(1, 1))
    act = network.add_activation(conv.get_output(0), ingot.ActivationType.SIGMOID)
    act.get_output(0).name = "y"
    network.mark_output(act.get_output(0))
    data = rng.standard_normal((2, 3, 6, 6)).astype(np.float16)
    engine = build(network)
    assert engine.get_tensor_dtype("y") == ingot.DataType.HALF
    out = engine.create_execution_context().execute({"x": data})["y"]
    assert out.dtype == np.float16
    ref = 1 / (1 + np.exp(-conv2d_ref(data.astype(np.float32), w.astype(np.float32), b.astype(np.float32), 1)))
    np.testing.assert_allclose(out.astype(np.float32), ref, rtol=2e-3, atol=2e-3)


def test_precision_flags_are_recorded_and_logged():
    messages = []
    logger = ingot.Logger(ingot.Logger.INFO, lambda sev, msg: messages.append((sev, msg)))
    network = ingot.Network(logger)
    x = network.add_input("x", ingot.float32, (4,))
    y = network.add_activation(x, ingot.ActivationType.TANH).get_output(0)
    network.mark_output(y)
    builder = ingot.Builder(logger)
    config = builder.create_builder_config()
    config.set_flag(ingot.BuilderFlag.FP16)
    config.set_flag(ingot.BuilderFlag.INT8)
    assert config.get_flag(ingot.BuilderFlag.FP16) and config.get_flag(ingot.BuilderFlag.INT8)
    builder.build_serialized_network(network, config)
    infos = [m for s, m in messages if s == ingot.Logger.INFO]
    assert any("fp16" in m and "float32" in m for m in infos), infos
    assert any("int8" in m and "float32" in m for m in infos), infos


def test_several_profiles():
    network = ingot.Network()
    x = network.add_input("x", ingot.float32, (-1, 3))
    w = rng.standard_normal((2, 3)).astype(np.float32)
    fc = network.add_fully_connected(x, 2, w)
    fc.get_output(0).name = "y"
    network.mark_output(fc.get_output(0))
    small, large = ingot.OptimizationProfile(), ingot.OptimizationProfile()
    small.set_shape("x", (1, 3), (2, 3), (4, 3))
    large.set_shape("x", (8, 3), (16, 3), (32, 3))
    engine = build(network, [small, large])
    assert engine.num_optimization_profiles == 2
    assert engine.get_tensor_profile_shape("x", 1) == [(8, 3), (16, 3), (32, 3)] or \
        tuple(map(tuple, engine.get_tensor_profile_shape("x", 1))) == ((8, 3), (16, 3), (32, 3))
    ctx = engine.create_execution_context()
    with pytest.raises(ingot.IngotError, match="outside optimization profile 0"):
        ctx.execute({"x": np.ones((8, 3), np.float32)})
    ctx.set_optimization_profile(1)
    data = rng.standard_normal((20, 3)).astype(np.float32)
    np.testing.assert_allclose(ctx.execute({"x": data})["y"], data @ w.T, rtol=1e-5, atol=1e-6)
    assert engine.get_activation_memory(1) >= 0


def test_build_errors_name_the_layer():
    network = ingot.Network()
    a = network.add_input("a", ingot.float32, (2, 3))
    b = network.add_input("b", ingot.float32, (4, 3))
    add = network.add_elementwise(a, b, ingot.ElementWiseOperation.SUM)
    add.name = "my_add"
    network.mark_output(add.get_output(0))
    with pytest.raises(ingot.IngotError, match="my_add.*2x3.*4x3"):
        build(network)


def test_dynamic_input_without_profile_is_refused():
    network = ingot.Network()
    x = network.add_input("x", ingot.float32, (-1, 3))
    network.mark_output(network.add_activation(x, ingot.ActivationType.RELU).get_output(0))
    with pytest.raises(ingot.IngotError, match="'x'.*optimization profile"):
        build(network)


def test_network_without_outputs_is_refused():
    network = ingot.Network()
    network.add_input("x", ingot.float32, (3,))
    with pytest.raises(ingot.IngotError, match="no outputs"):
        build(network)
