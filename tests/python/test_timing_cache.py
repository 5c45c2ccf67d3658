"""Timing cache (TensorRT's ITimingCache): a build records what it timed; a second build of
the same network with the cache times nothing (the info log says "timing cache" for every
timed layer), chooses the same tactics and gives the same plan; the cache survives
serialize / create and save / load; corrupted or foreign bytes are refused with a message;
the `ingot build --timing-cache` CLI reuses a file across runs."""
import os
import subprocess

import numpy as np
import pytest

import ingot
from test_tactic_timing import Collect, build_network, forward_np, make_weights

pytestmark = pytest.mark.skipif(os.environ.get("INGOT_TARGET", "cpu").lower() != "cpu",
                                reason="CPU tactics")


def build(p, cache, timing_iterations=4):
    logger = Collect()
    net = build_network(logger, p)
    config = ingot.BuilderConfig()
    config.timing_iterations = timing_iterations
    config.num_threads = 1  # part of the key: the same for both builds
    if cache is not None:
        config.set_timing_cache(cache)
    builder = ingot.Builder(logger)
    try:
        plan = builder.build_serialized_network(net, config)
        return bytes(plan), logger.messages
    finally:
        builder.close()
        config.close()
        net.close()


def timed_lines(messages):
    return [m for s, m in messages if s == ingot.Severity.INFO and " ms (" in m]


@pytest.fixture(scope="module")
def weights():
    return make_weights(np.random.default_rng(11))


def test_second_build_uses_the_cache(weights):
    cache = ingot.TimingCache()
    assert len(cache) == 0
    plan1, msgs1 = build(weights, cache)
    first = timed_lines(msgs1)
    assert first and not any("timing cache" in m for m in first)
    entries = len(cache)
    assert entries >= len(first)
    plan2, msgs2 = build(weights, cache)
    second = timed_lines(msgs2)
    assert len(second) == len(first)
    assert all(m.endswith("(timing cache)") for m in second), second
    assert len(cache) == entries  # nothing new timed
    # the same choices: the plans are the same bytes
    assert plan1 == plan2
    runtime = ingot.Runtime()
    engine = runtime.deserialize_engine(plan2)
    ctx = engine.create_execution_context()
    x = np.random.default_rng(3).uniform(-1, 1, size=(2, 16, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(ctx.execute({"x": x})["y"], forward_np(weights, x), rtol=1e-4, atol=1e-4)
    ctx.close()
    engine.close()
    runtime.close()


def test_serialize_save_load_combine(weights, tmp_path):
    cache = ingot.TimingCache()
    build(weights, cache)
    data = cache.serialize()
    assert data[:8] == b"INGOTTC\0" and len(data) == 24 + 16 * len(cache) + 8
    again = ingot.TimingCache(data)
    assert len(again) == len(cache) and again.serialize() == data
    path = tmp_path / "timing.cache"
    again.save(path)
    loaded = ingot.TimingCache.load(path)
    assert loaded.serialize() == data
    _, msgs = build(weights, loaded)
    assert all(m.endswith("(timing cache)") for m in timed_lines(msgs))
    merged = ingot.TimingCache()
    merged.combine(loaded)
    assert len(merged) == len(loaded)


def test_bad_cache_bytes_are_refused():
    good = ingot.TimingCache().serialize()
    with pytest.raises(ingot.IngotError, match="not an ingot timing cache"):
        ingot.TimingCache(b"PK\x03\x04 a zip file, not a cache" + bytes(16))
    flipped = bytearray(good)
    flipped[20] ^= 1
    with pytest.raises(ingot.IngotError, match="entries do not fit|checksum"):
        ingot.TimingCache(bytes(flipped))
    truncated = good[:-3]
    with pytest.raises(ingot.IngotError, match="not an ingot timing cache|entries do not fit"):
        ingot.TimingCache(truncated)
    with pytest.raises(ingot.IngotError, match="timing cache '.*missing.cache'"):
        ingot.TimingCache.load("/nonexistent/missing.cache")


def test_cli_timing_cache(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    tool = os.path.join(os.environ.get("INGOT_BINARY_DIR", "build"), "tools", "ingot")
    if not os.path.exists(tool):
        pytest.skip("the ingot tool is not built")
    rng = np.random.default_rng(5)
    w = numpy_helper.from_array(rng.standard_normal((32, 16, 3, 3)).astype(np.float32), "w")
    graph = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 16, 20, 20])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 32, 20, 20])], [w])
    model = tmp_path / "conv.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(model))
    cache = tmp_path / "t.cache"
    cmd = [tool, "build", str(model), "-o", str(tmp_path / "p.plan"), "--opt-shapes", "x:2x16x20x20",
           "--threads", "1", "--timing-cache", str(cache)]
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    first = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    assert cache.exists() and "new" in first.stdout
    n = int(first.stdout.split("timing cache")[1].split(":")[1].split("entries")[0])
    assert n >= 1
    second = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert second.returncode == 0, second.stderr
    assert f"{n} entries, 0 new" in second.stdout, second.stdout
    cache.write_bytes(b"garbage, not a cache at all, long enough to read")
    bad = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert bad.returncode != 0 and "not an ingot timing cache" in bad.stderr, bad.stderr
