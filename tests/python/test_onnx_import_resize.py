"""ONNX Resize modes beyond nearest/linear (src/onnx/import_conv.c, src/backend/cpu/resize.c):
cubic (with cubic_coeff_a and exclude_outside), antialias, half_pixel_symmetric,
tf_crop_and_resize with its extrapolation value, and keep_aspect_ratio_policy, on random
inputs against onnx's reference implementation (NumPy); bad attribute values fail naming
node, op type, opset and the attribute."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto  # noqa: E402

from test_onnx_import_attention import check_ref, randn  # noqa: E402
from test_onnx_import_math import expect_parse_error, make_model  # noqa: E402

EMPTY = np.zeros(0, dtype=np.float32)


def resize_model(x, attrs, roi=None, scales=None, sizes=None, out_type=TensorProto.FLOAT):
    inputs = [("x", x), ("roi", EMPTY if roi is None else roi), ("scales", EMPTY if scales is None else scales)]
    inits = {"roi": inputs[1][1], "scales": inputs[2][1]}
    if sizes is not None:
        inputs.append(("sizes", sizes))
        inits["sizes"] = sizes
    return make_model("Resize", inputs, attrs, 19, inits=inits, out_types=[out_type])


@pytest.mark.parametrize("attrs,scales", [
    ({"mode": "cubic"}, [1, 1, 1.7, 2.3]),
    ({"mode": "cubic"}, [1, 1, 0.6, 0.75]),
    ({"mode": "cubic", "cubic_coeff_a": -0.5, "exclude_outside": 1}, [1, 1, 1.5, 0.8]),
    ({"mode": "cubic", "coordinate_transformation_mode": "align_corners"}, [1, 1, 2.0, 1.25]),
    ({"mode": "cubic", "coordinate_transformation_mode": "asymmetric"}, [1, 1, 1.3, 3.0]),
    ({"mode": "linear", "antialias": 1}, [1, 1, 0.55, 0.3]),
    ({"mode": "cubic", "antialias": 1}, [1, 1, 0.45, 0.8]),
    ({"mode": "linear", "coordinate_transformation_mode": "half_pixel_symmetric"}, [1, 1, 1.7, 0.6]),
    ({"mode": "nearest", "coordinate_transformation_mode": "half_pixel_symmetric"}, [1, 1, 2.2, 0.7]),
])
def test_resize_scales(logger, rng, attrs, scales):
    x = randn(rng, 2, 3, 7, 9)
    check_ref(logger, resize_model(x, attrs, scales=np.array(scales, np.float32)), {"x": x}, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode,extrapolation", [("linear", 0.0), ("linear", 7.5), ("nearest", -2.0), ("cubic", 1.0)])
def test_resize_tf_crop_and_resize(logger, rng, mode, extrapolation):
    x = randn(rng, 1, 2, 6, 8)
    roi = np.array([0, 0, -0.2, 0.3, 1, 1, 0.7, 1.25], np.float32)  # some samples outside the input
    attrs = {"mode": mode, "coordinate_transformation_mode": "tf_crop_and_resize",
             "extrapolation_value": extrapolation}
    model = resize_model(x, attrs, roi=roi, sizes=np.array([1, 2, 5, 4], np.int64))
    check_ref(logger, model, {"x": x}, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("policy,sizes", [("not_larger", [7, 3]), ("not_smaller", [7, 3]), ("not_larger", [20, 30])])
def test_resize_keep_aspect_ratio(logger, rng, policy, sizes):
    x = randn(rng, 1, 2, 6, 8)
    attrs = {"mode": "linear", "keep_aspect_ratio_policy": policy, "axes": [2, 3]}
    model = resize_model(x, attrs, sizes=np.array(sizes, np.int64))
    check_ref(logger, model, {"x": x}, rtol=1e-4, atol=1e-5)


def test_resize_errors(logger, rng):
    x = randn(rng, 1, 1, 4, 4)
    s = np.array([1, 1, 2, 2], np.float32)
    expect_parse_error(logger, resize_model(x, {"mode": "nearest", "antialias": 1}, scales=s), "Resize", "opset 19",
                       "antialias is 1 with mode nearest")
    expect_parse_error(logger, resize_model(x, {"mode": "cubic", "exclude_outside": 3}, scales=s), "Resize",
                       "exclude_outside is 3")
    expect_parse_error(logger, resize_model(x, {"keep_aspect_ratio_policy": "fit"}, sizes=np.array([1, 1, 3, 3])),
                       "Resize", "keep_aspect_ratio_policy is 'fit'")
    expect_parse_error(logger, resize_model(x, {"coordinate_transformation_mode": "tf_crop_and_resize"}, scales=s),
                       "Resize", "needs input 1 (roi)")
