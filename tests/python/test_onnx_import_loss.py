"""ONNX import of the loss operators (src/onnx/import_loss.c): NegativeLogLikelihoodLoss and
SoftmaxCrossEntropyLoss on random inputs against onnx's reference implementation (NumPy),
over ranks 2 to 4, every reduction, weights and ignore_index; bad attributes and inputs fail
naming node, op type and opset."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto  # noqa: E402

from test_onnx_import_attention import check_ref, randn  # noqa: E402
from test_onnx_import_math import expect_parse_error, make_model  # noqa: E402

CASES = [((5, 4), "mean", False, None), ((5, 4), "none", True, None), ((3, 4, 6), "sum", False, 2),
         ((3, 4, 6), "mean", True, 1), ((2, 3, 4, 5), "mean", False, 0), ((2, 3, 4, 5), "none", True, -1)]


def _inputs(rng, shape, weighted, ignore):
    x = randn(rng, *shape)
    t = rng.integers(0, shape[1], (shape[0],) + shape[2:]).astype(np.int64)
    if ignore is not None:
        t.flat[::3] = ignore  # some cells ignored
    inputs = [("x", x), ("t", t)]
    if weighted:
        inputs.append(("w", rng.uniform(0.2, 2.0, shape[1]).astype(np.float32)))
    return inputs


@pytest.mark.parametrize("op,opset", [("NegativeLogLikelihoodLoss", 22), ("SoftmaxCrossEntropyLoss", 13)])
@pytest.mark.parametrize("shape,reduction,weighted,ignore", CASES)
def test_loss(logger, rng, op, opset, shape, reduction, weighted, ignore):
    inputs = _inputs(rng, shape, weighted, ignore)
    attrs = {"reduction": reduction}
    if ignore is not None:
        attrs["ignore_index"] = ignore
    sce = op == "SoftmaxCrossEntropyLoss"  # also its log_prob output
    model = make_model(op, inputs, attrs, opset, outputs=("loss", "log_prob") if sce else ("loss",),
                       out_types=[TensorProto.FLOAT] * (2 if sce else 1))
    check_ref(logger, model, dict(inputs), rtol=1e-5, atol=1e-5)


def test_loss_errors(logger, rng):
    x, t = randn(rng, 3, 4), np.zeros(3, dtype=np.int64)
    model = make_model("NegativeLogLikelihoodLoss", [("x", x), ("t", t)], {"reduction": "max"}, 22)
    expect_parse_error(logger, model, "NegativeLogLikelihoodLoss", "opset 22", "reduction is 'max'")
    model = make_model("SoftmaxCrossEntropyLoss", [("x", x), ("t", np.zeros((3, 2), np.int64))], {}, 13)
    expect_parse_error(logger, model, "SoftmaxCrossEntropyLoss", "target")
    model = make_model("SoftmaxCrossEntropyLoss", [("x", x), ("t", t.astype(np.float32))], {}, 13)
    expect_parse_error(logger, model, "SoftmaxCrossEntropyLoss", "float32, expected int32 or int64")
