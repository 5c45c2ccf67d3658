"""ONNX import of the normalization variants (src/onnx/import_normalization.c):
RMSNormalization, LpNormalization and MeanVarianceNormalization on random inputs against
onnx's reference implementation (NumPy) or a NumPy formula, plus the attribute errors."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto  # noqa: E402

from test_onnx_import_attention import check_ref, randn  # noqa: E402
from test_onnx_import_math import expect_parse_error, make_model, run_ingot  # noqa: E402


@pytest.mark.parametrize("axis,dtype", [(-1, np.float32), (1, np.float32), (-2, np.float16)])
def test_rms_normalization(logger, rng, axis, dtype):
    x = randn(rng, 2, 3, 4, 5, dtype=dtype)
    scale = randn(rng, *x.shape[axis:], dtype=dtype)
    model = make_model("RMSNormalization", [("x", x), ("scale", scale)], {"axis": axis, "epsilon": 1e-3}, 23,
                       out_types=[TensorProto.FLOAT16 if dtype == np.float16 else TensorProto.FLOAT])
    tol = 2e-3 if dtype == np.float16 else 1e-5
    check_ref(logger, model, {"x": x, "scale": scale}, rtol=tol, atol=tol)


def test_rms_normalization_errors(logger, rng):
    x = randn(rng, 2, 3)
    model = make_model("RMSNormalization", [("x", x), ("scale", x[0])], {"stash_type": 10}, 23)
    expect_parse_error(logger, model, "RMSNormalization", "opset 23", "stash_type is 10")
    model = make_model("RMSNormalization", [("x", x), ("scale", x[0])], {"axis": 5}, 23)
    expect_parse_error(logger, model, "RMSNormalization", "axis")


@pytest.mark.parametrize("p,axis", [(1, -1), (2, 0), (2, 1), (1, 2)])
def test_lp_normalization(logger, rng, p, axis):
    x = randn(rng, 3, 4, 5)
    x[0, 0, :] = 0.0 if axis == 2 else x[0, 0, :]  # a zero norm gives 0, not NaN
    norm = np.sum(np.abs(x) ** p, axis=axis, keepdims=True) ** (1.0 / p)
    want = np.where(norm == 0, 0, x / np.where(norm == 0, 1, norm))
    got = run_ingot(make_model("LpNormalization", [("x", x)], {"p": p, "axis": axis}, 22), {"x": x}, logger)["y"]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_lp_normalization_errors(logger, rng):
    x = randn(rng, 3, 4)
    expect_parse_error(logger, make_model("LpNormalization", [("x", x)], {"p": 3}, 22), "LpNormalization",
                       "opset 22", "attribute p is 3")


@pytest.mark.parametrize("axes", [None, [1], [0, 1, 2, 3], [-1, -2]])
def test_mean_variance_normalization(logger, rng, axes):
    x = randn(rng, 2, 3, 4, 5) * 3 + 1
    attrs = {} if axes is None else {"axes": axes}
    model = make_model("MeanVarianceNormalization", [("x", x)], attrs, 13)
    red = tuple(axes) if axes is not None else (0, 2, 3)
    mean = x.mean(axis=red, keepdims=True)
    std = np.sqrt((x * x).mean(axis=red, keepdims=True) - mean * mean)
    got = run_ingot(model, {"x": x}, logger)["y"]
    np.testing.assert_allclose(got, (x - mean) / (std + 1e-9), rtol=1e-4, atol=1e-4)


def test_mean_variance_normalization_errors(logger, rng):
    x = randn(rng, 2, 3, 4)
    model = make_model("MeanVarianceNormalization", [("x", x)], {"axes": [0, 0]}, 13)
    expect_parse_error(logger, model, "MeanVarianceNormalization", "axes")


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (4, 3), (2, 3, 6)])
def test_batch_normalization_training_mode(logger, rng, shape):
    """BatchNormalization (src/onnx/import_conv.c) with training_mode=1: batch statistics and
    the updated running mean and variance."""
    c = shape[1]
    x = randn(rng, *shape) * 2 + 0.5
    s, b, m = randn(rng, c), randn(rng, c), randn(rng, c)
    v = rng.uniform(0.5, 2, c).astype(np.float32)
    inputs = [("x", x), ("s", s), ("b", b), ("m", m), ("v", v)]
    model = make_model("BatchNormalization", inputs, {"training_mode": 1, "momentum": 0.8, "epsilon": 1e-3}, 15,
                       outputs=("y", "rm", "rv"), out_types=[TensorProto.FLOAT] * 3)
    got = run_ingot(model, dict(inputs), logger)
    axes = tuple(i for i in range(len(shape)) if i != 1)
    bshape = [1, c] + [1] * (len(shape) - 2)
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    y = (x - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + 1e-3) * s.reshape(bshape) + b.reshape(bshape)
    np.testing.assert_allclose(got["y"], y, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got["rm"], m * 0.8 + mean * 0.2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["rv"], v * 0.8 + var * 0.2, rtol=1e-5, atol=1e-6)


def test_batch_normalization_training_mode_errors(logger, rng):
    x, c = randn(rng, 2, 3), np.ones(3, np.float32)
    inputs = [("x", x), ("s", c), ("b", c), ("m", c), ("v", c)]
    model = make_model("BatchNormalization", inputs, {"training_mode": 2}, 15)
    expect_parse_error(logger, model, "BatchNormalization", "opset 15", "training_mode is 2")
