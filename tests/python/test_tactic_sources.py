"""BuilderConfig.tactic_sources (ingot_builder_config_set_tactic_sources, TensorRT's
setTacticSources): the default is every source; a mask without ONEDNN leaves no oneDNN
tactic in the engine, one with ONEDNN only gives the convolution and the fully connected
layer oneDNN's tactics when this ingot has them (the reference ones otherwise); bits
outside the known sources are refused. Every engine's output equals NumPy's."""
import os

import numpy as np
import pytest

import ingot
from ingot.builder import TacticSource

pytestmark = pytest.mark.skipif(os.environ.get("INGOT_TARGET", "cpu").lower() != "cpu",
                                reason="CPU tactics")


def conv_relu_np(x, w, b):
    x = np.pad(x.astype(np.float64), [(0, 0), (0, 0), (1, 1), (1, 1)])
    n, c, h, wd = x.shape
    k = w.shape[0]
    y = np.zeros((n, k, h - 2, wd - 2))
    for ty in range(3):
        for tx in range(3):
            y += np.einsum("nchw,kc->nkhw", x[:, :, ty:ty + h - 2, tx:tx + wd - 2], w[:, :, ty, tx].astype(np.float64))
    return np.maximum(y + b.reshape(1, -1, 1, 1), 0)


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(3)
    p = {"w": (rng.uniform(-1, 1, (32, 16, 3, 3)) / 12).astype(np.float32),
         "b": rng.uniform(-1, 1, 32).astype(np.float32),
         "fw": (rng.uniform(-1, 1, (10, 32 * 12 * 12)) / 68).astype(np.float32),
         "fb": rng.uniform(-1, 1, 10).astype(np.float32)}
    x = rng.uniform(-1, 1, (2, 16, 12, 12)).astype(np.float32)
    h = conv_relu_np(x, p["w"], p["b"])
    want = h.reshape(2, -1) @ p["fw"].astype(np.float64).T + p["fb"]
    return p, x, want


def build_and_run(p, x, mask, timing_iterations=0):
    net = ingot.Network()
    xin = net.add_input("x", np.float32, x.shape)
    conv = net.add_convolution_nd(xin, 32, (3, 3), p["w"], p["b"], padding=(1, 1))
    conv.name = "conv"
    relu = net.add_activation(conv.get_output(0), ingot.ActivationType.RELU)
    fc = net.add_fully_connected(relu.get_output(0), 10, p["fw"], p["fb"])
    fc.name = "fc"
    y = fc.get_output(0)
    y.name = "y"
    net.mark_output(y)
    config = ingot.BuilderConfig()
    config.timing_iterations = timing_iterations
    config.num_threads = 2
    config.tactic_sources = mask
    assert config.tactic_sources == mask
    builder, runtime = ingot.Builder(), ingot.Runtime()
    try:
        engine = runtime.deserialize_engine(builder.build_serialized_network(net, config))
        tactics = {l["name"]: l["tactic"] for l in engine.layers}
        context = engine.create_execution_context()
        out = context.execute({"x": x})["y"]
        context.close()
        engine.close()
        return out, tactics
    finally:
        runtime.close()
        builder.close()
        config.close()
        net.close()


def test_default_and_refused_bits():
    config = ingot.BuilderConfig()
    try:
        assert config.tactic_sources == TacticSource.DEFAULT
        config.tactic_sources = TacticSource.INGOT | TacticSource.CUDNN
        assert config.tactic_sources == TacticSource.INGOT | TacticSource.CUDNN
        config.tactic_sources = 0
        assert config.tactic_sources == 0
        with pytest.raises(ingot.IngotError, match="outside"):
            config.tactic_sources = 1 << 8
        assert config.tactic_sources == 0  # unchanged by the refused call
    finally:
        config.close()


@pytest.mark.parametrize("timing", [0, 2])
def test_without_onednn_no_onednn_tactic(problem, timing):
    p, x, want = problem
    got, tactics = build_and_run(p, x, TacticSource.INGOT, timing)
    assert not [t for t in tactics.values() if "onednn" in t], tactics
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_onednn_only(problem):
    p, x, want = problem
    got, tactics = build_and_run(p, x, TacticSource.ONEDNN)
    conv = [t for n, t in tactics.items() if "conv" in n]
    fc = [t for n, t in tactics.items() if "fc" in n]
    assert conv and fc, tactics
    # ingot's own tactics are off: oneDNN's where built in, else the reference kernels
    assert conv[0] in ("conv_f32_onednn", "conv_f32_onednn_blocked", "conv_f32_reference"), tactics
    assert fc[0] in ("fc_f32_onednn", "fc_f32_reference"), tactics
    assert ("onednn" in conv[0]) == ("onednn" in fc[0]), tactics
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_everything_timed(problem):
    p, x, want = problem
    got, tactics = build_and_run(p, x, TacticSource.ALL, 2)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
