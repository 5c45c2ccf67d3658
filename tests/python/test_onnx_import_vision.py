"""ONNX import of the vision family (src/onnx/import_vision.c): AffineGrid in 2-D and 3-D,
with and without align_corners, on random theta against onnx's reference (NumPy); bad
inputs fail naming node, op type and opset."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto  # noqa: E402

from test_onnx_import_attention import check_ref, randn  # noqa: E402
from test_onnx_import_math import expect_parse_error, make_model  # noqa: E402


@pytest.mark.parametrize("size,align", [([2, 3, 4, 5], 0), ([3, 1, 1, 6], 1), ([2, 3, 3, 4, 5], 0),
                                        ([1, 2, 2, 1, 3], 1)])
def test_affine_grid(logger, rng, size, align):
    k = len(size) - 2
    theta = randn(rng, size[0], k, k + 1)
    sz = np.array(size, np.int64)
    model = make_model("AffineGrid", [("theta", theta), ("size", sz)], {"align_corners": align}, 20,
                       inits={"size": sz})
    check_ref(logger, model, {"theta": theta}, rtol=1e-5, atol=1e-6)


def test_affine_grid_errors(logger, rng):
    theta = randn(rng, 2, 2, 3)
    sz = np.array([2, 3, 4], np.int64)
    model = make_model("AffineGrid", [("theta", theta), ("size", sz)], {}, 20, inits={"size": sz})
    expect_parse_error(logger, model, "AffineGrid", "opset 20", "input 1 (size) holds 3 values")
    sz = np.array([2, 3, 4, 5, 6], np.int64)
    model = make_model("AffineGrid", [("theta", theta), ("size", sz)], {}, 20, inits={"size": sz})
    expect_parse_error(logger, model, "AffineGrid", "theta", "[N, 3, 4]")
