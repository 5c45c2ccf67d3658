"""The shipped LeNet-5 through the ONNX path: examples/lenet/lenet_to_onnx.py writes it as
ONNX; ingot parses and builds it and classifies the held-out digits. Its accuracy must match
the network-API example's (>= 95%), and its probabilities must match onnxruntime's."""
import importlib.util
import os

import numpy as np
import pytest

import ingot

onnx = pytest.importorskip("onnx")

SOURCE_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir))
LENET_DIR = os.path.join(SOURCE_DIR, "examples", "lenet")


def _lenet_module():
    spec = importlib.util.spec_from_file_location("lenet_to_onnx", os.path.join(LENET_DIR, "lenet_to_onnx.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lenet_onnx_accuracy_and_onnxruntime(tmp_path):
    path = str(tmp_path / "lenet5.onnx")
    mod = _lenet_module()
    onnx.save(mod.lenet_model(mod.read_wts(os.path.join(LENET_DIR, "lenet5.wts"))), path)
    images = np.load(os.path.join(LENET_DIR, "digits_test_images.npy"))
    labels = np.load(os.path.join(LENET_DIR, "digits_test_labels.npy"))
    prob = ingot.run_onnx(path, {"data": images})["prob"]
    assert prob.shape == (len(images), 10)
    np.testing.assert_allclose(prob.sum(axis=1), 1.0, rtol=1e-5)
    accuracy = float(np.mean(prob.argmax(axis=1) == labels))
    assert accuracy >= 0.95, accuracy
    ort = pytest.importorskip("onnxruntime")
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    expected = sess.run(None, {"data": images})[0]
    np.testing.assert_allclose(prob, expected, rtol=1e-4, atol=1e-6)


def test_lenet_wts_with_wrong_count_is_refused(tmp_path):
    bad = tmp_path / "bad.wts"
    with open(os.path.join(LENET_DIR, "lenet5.wts")) as f:
        lines = f.read().splitlines()
    name, n, *words = lines[1].split()
    lines[1] = " ".join([name, n] + words[:-1])
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="conv1.weight declares 150 values but has 149"):
        _lenet_module().read_wts(str(bad))
