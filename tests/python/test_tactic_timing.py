"""Builder tier for tactic choice: a ResNet-like network (a big 3x3 convolution, a residual
1x1 convolution, a depthwise convolution, a fully connected layer and a matrix multiply by
a constant) is built with timing and without, and each engine's layers name the tactic
chosen. With timing, the big convolution gets a GEMM tactic and the build logs, at info
level, the chosen tactic and its time next to the others'; without timing the last-listed
(fast) tactics are taken. Both engines' outputs equal a NumPy forward pass in float64
(the reference-only results, computed independently)."""
import os
import re

import numpy as np
import pytest

import ingot

pytestmark = pytest.mark.skipif(os.environ.get("INGOT_TARGET", "cpu").lower() != "cpu",
                                reason="CPU tactics")

A = ingot.ActivationType
E = ingot.ElementWiseOperation


class Collect(ingot.Logger):
    def __init__(self):
        self.messages = []
        super().__init__(ingot.Logger.INFO)

    def log(self, severity, message):
        self.messages.append((severity, message))


def conv_np(x, w, b, stride=1, pad=0, groups=1):
    x = np.pad(x.astype(np.float64), [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    w = w.astype(np.float64)
    n, c, h, wd = x.shape
    k, cpg, kh, kw = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    kpg = k // groups
    y = np.zeros((n, k, oh, ow))
    for ty in range(kh):
        for tx in range(kw):
            patch = x[:, :, ty:ty + stride * (oh - 1) + 1:stride, tx:tx + stride * (ow - 1) + 1:stride]
            for g in range(groups):
                y[:, g * kpg:(g + 1) * kpg] += np.einsum("nchw,kc->nkhw", patch[:, g * cpg:(g + 1) * cpg],
                                                         w[g * kpg:(g + 1) * kpg, :, ty, tx])
    return y + b.astype(np.float64).reshape(1, -1, 1, 1)


def make_weights(rng):
    r = lambda *s: (rng.uniform(-1, 1, size=s) / np.sqrt(np.prod(s[1:]) if len(s) > 1 else 1)).astype(np.float32)
    return {
        "w1": r(48, 16, 3, 3), "b1": r(48),
        "w2": r(48, 48, 1, 1), "b2": r(48),
        "w3": r(48, 1, 3, 3), "b3": r(48),
        "w4": r(40, 48 * 14 * 14), "b4": r(40),
        "m5": r(40, 24),
    }


def build_network(logger, p):
    net = ingot.Network(logger)
    x = net.add_input("x", np.float32, (2, 16, 28, 28))
    c1 = net.add_convolution_nd(x, 48, (3, 3), p["w1"], p["b1"], padding=(1, 1))
    c1.name = "conv1"
    r1 = net.add_activation(c1.get_output(0), A.RELU)
    r1.name = "relu1"
    c2 = net.add_convolution_nd(r1.get_output(0), 48, (1, 1), p["w2"], p["b2"])
    c2.name = "conv2"
    add = net.add_elementwise(c2.get_output(0), r1.get_output(0), E.SUM)
    add.name = "add2"
    r2 = net.add_activation(add.get_output(0), A.RELU)
    r2.name = "relu2"
    c3 = net.add_convolution_nd(r2.get_output(0), 48, (3, 3), p["w3"], p["b3"], stride=(2, 2), padding=(1, 1),
                                groups=48)
    c3.name = "dwconv3"
    fc = net.add_fully_connected(c3.get_output(0), 40, p["w4"], p["b4"])
    fc.name = "fc4"
    m = net.add_constant(None, p["m5"])
    mm = net.add_matrix_multiply(fc.get_output(0), ingot.MatrixOperation.NONE, m.get_output(0),
                                 ingot.MatrixOperation.NONE)
    mm.name = "matmul5"
    y = mm.get_output(0)
    y.name = "y"
    net.mark_output(y)
    return net


def forward_np(p, x):
    h1 = np.maximum(conv_np(x, p["w1"], p["b1"], pad=1), 0)
    h2 = np.maximum(conv_np(h1, p["w2"], p["b2"]) + h1, 0)
    h3 = conv_np(h2, p["w3"], p["b3"], stride=2, pad=1, groups=48)
    f = h3.reshape(len(x), -1) @ p["w4"].astype(np.float64).T + p["b4"]
    return f.reshape(len(x), 40) @ p["m5"].astype(np.float64)


def build_and_run(p, x, timing_iterations, channels_last=False):
    # the CPU's layout pass is on by default for float32; these tests pin it either way
    os.environ["INGOT_FORCE_CHANNELS_LAST"] = "1" if channels_last else "0"
    logger = Collect()
    net = build_network(logger, p)
    config = ingot.BuilderConfig()
    config.timing_iterations = timing_iterations
    # ingot's own tactics against the reference (oneDNN's: test_tactic_sources.py)
    config.tactic_sources = ingot.builder.TacticSource.INGOT
    builder = ingot.Builder(logger)
    runtime = ingot.Runtime(logger)
    try:
        plan = builder.build_serialized_network(net, config)
        engine = runtime.deserialize_engine(plan)
        layers = engine.layers
        context = engine.create_execution_context()
        out = context.execute({"x": x})["y"]
        context.close()
        engine.close()
        return out, layers, logger.messages
    finally:
        del os.environ["INGOT_FORCE_CHANNELS_LAST"]
        runtime.close()
        builder.close()
        config.close()
        net.close()


def tactic_of(layers, name):
    found = [l["tactic"] for l in layers if name in l["name"]]
    assert found, f"no layer named like {name!r} in {[l['name'] for l in layers]}"
    return found[0]


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(7)
    p = make_weights(rng)
    x = rng.uniform(-1, 1, size=(2, 16, 28, 28)).astype(np.float32)
    return p, x, forward_np(p, x)


def test_timed_build_picks_gemm_for_big_conv(problem):
    p, x, want = problem
    got, layers, messages = build_and_run(p, x, 4)
    assert tactic_of(layers, "conv1") == "conv_f32_gemm"
    # every choice is one of the CPU tactics of its op
    assert tactic_of(layers, "fc4") in ("fc_f32_gemm", "fc_f32_reference")
    assert tactic_of(layers, "matmul5") in ("matmul_f32_gemm", "matmul_f32_reference")
    assert tactic_of(layers, "dwconv3") in ("conv_f32_depthwise", "conv_f32_gemm", "conv_f32_reference")
    # info: "conv1...: conv_f32_gemm 0.21 ms (conv_f32_reference 3.4 ms, ...)"
    infos = [m for s, m in messages if s == ingot.Severity.INFO]
    line = [m for m in infos if m.startswith("conv1")]
    assert line, infos
    assert re.search(r": conv_f32_gemm [0-9.e+-]+ ms \(.*conv_f32_reference ~?[0-9.e+-]+ ms", line[0]), line[0]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_untimed_build_takes_last_listed(problem):
    p, x, want = problem
    got, layers, messages = build_and_run(p, x, 0)
    assert tactic_of(layers, "conv1") == "conv_f32_gemm"
    assert tactic_of(layers, "conv2") == "conv_f32_gemm"
    assert tactic_of(layers, "dwconv3") == "conv_f32_depthwise"
    assert tactic_of(layers, "fc4") == "fc_f32_gemm"
    assert tactic_of(layers, "matmul5") == "matmul_f32_gemm"
    assert not [m for s, m in messages if s == ingot.Severity.INFO and " ms (" in m]  # nothing timed
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_channels_last_takes_nhwc_tactics(problem):
    p, x, want = problem
    for timing in (0, 4):
        got, layers, _ = build_and_run(p, x, timing, channels_last=True)
        # conv1 is 3x3 stride 1: Winograd (listed last) or the indirect GEMM when timed
        if timing == 0:
            assert tactic_of(layers, "conv1") == "conv_f32_winograd_nhwc"
        else:
            assert tactic_of(layers, "conv1") in ("conv_f32_winograd_nhwc", "conv_f32_nhwc_gemm")
        assert tactic_of(layers, "conv2") == "conv_f32_nhwc_gemm"
        if timing == 0:  # the last-listed tactic that reads NHWC
            assert tactic_of(layers, "dwconv3") == "conv_f32_depthwise_nhwc"
        else:
            assert tactic_of(layers, "dwconv3") in ("conv_f32_depthwise_nhwc", "conv_f32_nhwc_gemm")
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
