"""LeNet-5 (examples/lenet) through the Python package against a NumPy forward pass of the
same weights on the held-out digits: the .wts as ingot reads it equals an independent
Python parse, the probabilities match to 1e-4, and the accuracy is the NumPy model's."""
import os

import numpy as np
import pytest

import ingot

LENET_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "examples", "lenet")
WTS = os.path.join(LENET_DIR, "lenet5.wts")
IMAGES = os.path.join(LENET_DIR, "digits_test_images.npy")
LABELS = os.path.join(LENET_DIR, "digits_test_labels.npy")

SHAPES = {
    "conv1.weight": (6, 1, 5, 5), "conv1.bias": (6,),
    "conv2.weight": (16, 6, 5, 5), "conv2.bias": (16,),
    "fc1.weight": (120, 400), "fc1.bias": (120,),
    "fc2.weight": (84, 120), "fc2.bias": (84,),
    "fc3.weight": (10, 84), "fc3.bias": (10,),
}

pytestmark = pytest.mark.skipif(not all(os.path.exists(p) for p in (WTS, IMAGES, LABELS)),
                                reason="run examples/lenet/train_lenet.py first")


def parse_wts_py(path):
    """An independent reader of the tensorrtx format, for cross-checking ingot's."""
    with open(path) as f:
        lines = [ln.split() for ln in f.read().splitlines() if ln.strip()]
    count = int(lines[0][0])
    assert len(lines) == count + 1
    out = {}
    for tok in lines[1:]:
        n = int(tok[1])
        assert len(tok) == n + 2, tok[0]
        out[tok[0]] = np.array([int(h, 16) for h in tok[2:]], dtype=np.uint32).view(np.float32)
    return out


@pytest.fixture(scope="module")
def weights():
    w = ingot.load_wts(WTS)
    return {k: np.asarray(v, dtype=np.float32).reshape(SHAPES[k]) for k, v in w.items()}


@pytest.fixture(scope="module")
def digits():
    x = np.load(IMAGES)
    y = np.load(LABELS)
    assert x.dtype == np.float32 and x.ndim == 4 and x.shape[1:] == (1, 32, 32)
    assert y.dtype == np.int64 and y.shape == (x.shape[0],)
    return x, y


# ---- NumPy reference (float64) -------------------------------------------------------------
def conv2d(x, w, b):
    n, c, h, wd = x.shape
    k = w.shape[2]
    oh, ow = h - k + 1, wd - k + 1
    s = x.strides
    cols = np.lib.stride_tricks.as_strided(x, (n, oh, ow, c, k, k), (s[0], s[2], s[3], s[1], s[2], s[3]))
    y = cols.reshape(n * oh * ow, -1) @ w.reshape(w.shape[0], -1).T + b
    return y.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2)


def maxpool2(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def numpy_lenet(p, x):
    """Returns (logits, probabilities), float64."""
    p = {k: v.astype(np.float64) for k, v in p.items()}
    x = np.ascontiguousarray(x, dtype=np.float64)
    h = maxpool2(np.maximum(conv2d(x, p["conv1.weight"], p["conv1.bias"]), 0))
    h = maxpool2(np.maximum(conv2d(np.ascontiguousarray(h), p["conv2.weight"], p["conv2.bias"]), 0))
    h = h.reshape(len(x), -1)
    h = np.maximum(h @ p["fc1.weight"].T + p["fc1.bias"], 0)
    h = np.maximum(h @ p["fc2.weight"].T + p["fc2.bias"], 0)
    logits = h @ p["fc3.weight"].T + p["fc3.bias"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return logits, e / e.sum(axis=1, keepdims=True)


# ---- the network, as examples/lenet/lenet.c builds it ----------------------------------------
def build_lenet(network, p):
    data = network.add_input("data", ingot.float32, (-1, 1, 32, 32))
    x = data
    for name, maps in (("conv1", 6), ("conv2", 16)):
        conv = network.add_convolution_nd(x, maps, (5, 5), p[name + ".weight"], p[name + ".bias"])
        conv.name = name
        relu = network.add_activation(conv.get_output(0), ingot.ActivationType.RELU)
        pool = network.add_pooling_nd(relu.get_output(0), ingot.PoolingType.MAX, (2, 2), stride=(2, 2))
        x = pool.get_output(0)
    for name, outputs, relu in (("fc1", 120, True), ("fc2", 84, True), ("fc3", 10, False)):
        fc = network.add_fully_connected(x, outputs, p[name + ".weight"], p[name + ".bias"])
        fc.name = name
        x = fc.get_output(0)
        if relu:
            x = network.add_activation(x, ingot.ActivationType.RELU).get_output(0)
    x.name = "logits"
    softmax = network.add_softmax(x, axis=1)
    softmax.get_output(0).name = "prob"
    network.mark_output(softmax.get_output(0))
    network.mark_output(x)
    return data


def test_wts_matches_python_parser(weights):
    ref = parse_wts_py(WTS)
    assert list(ref) == list(SHAPES)
    for k, v in ref.items():
        assert v.size == int(np.prod(SHAPES[k]))
        np.testing.assert_array_equal(weights[k].ravel().view(np.uint32), v.view(np.uint32), err_msg=k)


def test_lenet_matches_numpy(network, logger, weights, digits):
    x, y = digits
    build_lenet(network, weights)
    ref_logits, ref_prob = numpy_lenet(weights, x)
    ref_acc = float((ref_prob.argmax(1) == y).mean())
    assert ref_acc >= 0.95, ref_acc

    config = ingot.BuilderConfig()
    config.add_optimization_profile({"data": ((1, 1, 32, 32), (8, 1, 32, 32), (64, 1, 32, 32))})
    builder = ingot.Builder(logger)
    plan = builder.build_serialized_network(network, config)
    runtime = ingot.Runtime(logger)
    engine = runtime.deserialize_engine(plan)
    context = engine.create_execution_context()
    try:
        probs, logits = [], []
        # uneven batches cover min, opt, max and odd sizes of the profile
        sizes = [1, 8, 64, 37, 3, 64, 64, 64, 64]
        start = 0
        for b in sizes + [64] * len(x):
            if start >= len(x):
                break
            out = context.execute({"data": x[start:start + b]})
            n = min(b, len(x) - start)
            assert out["prob"].shape == (n, 10) and out["logits"].shape == (n, 10)
            probs.append(out["prob"])
            logits.append(out["logits"])
            start += n
        prob = np.concatenate(probs)
        logit = np.concatenate(logits)
    finally:
        context.close()
        engine.close()
        runtime.close()
        builder.close()
        config.close()

    assert prob.dtype == np.float32
    diff = float(np.abs(prob - ref_prob).max())
    assert diff < 1e-4, f"max |prob - numpy| = {diff}"
    scale = 1.0 + float(np.abs(ref_logits).max())
    ldiff = float(np.abs(logit - ref_logits).max())
    assert ldiff < 1e-4 * scale, f"max |logits - numpy| = {ldiff} (scale {scale})"
    acc = float((prob.argmax(1) == y).mean())
    assert abs(acc - ref_acc) <= 1.0 / len(y) + 1e-12, (acc, ref_acc)
    assert acc >= 0.95, acc
    assert not logger.errors()


def test_lenet_run_network_batch_one(network, run, weights, digits):
    """One image through ingot.run_network (a profile fixed at batch 1)."""
    x, _ = digits
    build_lenet(network, weights)
    out = run(network, {"data": x[:1]})
    _, ref_prob = numpy_lenet(weights, x[:1])
    assert float(np.abs(out["prob"] - ref_prob).max()) < 1e-4
