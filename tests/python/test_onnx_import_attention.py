"""ONNX import of the transformer family (src/onnx/import_attention.c): Attention and
RotaryEmbedding on random inputs against onnx's reference implementation (NumPy), covering
the 3-D and 4-D forms, grouped-query heads, masks, causal and windowed attention, the key/value
cache and the qk_matmul_output modes; bad attributes fail naming node, op type and attribute."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

from test_onnx_import_math import expect_parse_error, make_model, run_ingot  # noqa: E402

F = TensorProto.FLOAT


def check_ref(logger, model, feeds, rtol=1e-4, atol=1e-5):
    want = ReferenceEvaluator(model).run(None, feeds)
    got = run_ingot(model, feeds, logger)
    for out, w in zip(model.graph.output, want):
        g = got[out.name]
        assert g.shape == w.shape, f"{out.name}: shape {g.shape}, expected {w.shape}"
        np.testing.assert_allclose(g.astype(np.float32), w.astype(np.float32), rtol=rtol, atol=atol,
                                   err_msg=out.name)


def randn(rng, *shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def attention_model(inputs, attrs, outputs=("y",), opset=23):
    return make_model("Attention", inputs, attrs, opset, outputs=outputs,
                      out_types=[helper.np_dtype_to_tensor_dtype(inputs[0][1].dtype)] * len(outputs))


@pytest.mark.parametrize("case", ["plain", "gqa", "causal", "scaled_softcap", "float_mask", "bool_mask",
                                  "short_mask_causal", "window"])
def test_attention_4d(logger, rng, case):
    b, qh, kvh, s, kv, d, dv = 2, 4, 4, 3, 5, 8, 6
    attrs = {}
    if case == "gqa":
        kvh = 2
    q, k, v = randn(rng, b, qh, s, d), randn(rng, b, kvh, kv, d), randn(rng, b, kvh, kv, dv)
    inputs = [("q", q), ("k", k), ("v", v)]
    if case == "causal":
        attrs["is_causal"] = 1
    if case == "scaled_softcap":
        attrs.update(scale=0.3, softcap=2.0)
    if case == "float_mask":
        inputs.append(("mask", randn(rng, s, kv)))
    if case == "bool_mask":
        m = rng.random((b, 1, s, kv)) > 0.3
        m[..., 0] = True
        inputs.append(("mask", m))
    if case == "short_mask_causal":  # a mask of fewer keys is padded with -inf
        inputs.append(("mask", randn(rng, qh, s, kv - 2)))
        attrs["is_causal"] = 1
    if case == "window":
        attrs.update(left_window_size=1, right_window_size=1)
    model = attention_model(inputs, attrs, opset=25 if case == "window" else 23)
    check_ref(logger, model, dict((n, a) for n, a in inputs))


def test_attention_3d_gqa_past_present_all_outputs(logger, rng):
    b, qh, kvh, s, past, d = 2, 6, 3, 2, 4, 4
    q, k, v = randn(rng, b, s, qh * d), randn(rng, b, s, kvh * d), randn(rng, b, s, kvh * d)
    pk, pv = randn(rng, b, kvh, past, d), randn(rng, b, kvh, past, d)
    inputs = [("q", q), ("k", k), ("v", v), (None, None), ("pk", pk), ("pv", pv)]
    for mode in (0, 1, 2, 3):
        # Mode 0 is the raw QK product (the spec); onnx's reference returns it softcapped,
        # so softcap is tested with the other modes only.
        model = make_model("Attention", inputs, dict(q_num_heads=qh, kv_num_heads=kvh, is_causal=1,
                                                     softcap=3.0 if mode else 0.0, qk_matmul_output_mode=mode),
                           23, outputs=("y", "present_key", "present_value", "qk"))
        check_ref(logger, model, {"q": q, "k": k, "v": v, "pk": pk, "pv": pv})


def test_attention_nonpad_kv_seqlen(logger, rng):
    b, h, s, kv, d = 2, 2, 3, 6, 4
    q, k, v = randn(rng, b, h, s, d), randn(rng, b, h, kv, d), randn(rng, b, h, kv, d)
    lens = np.array([4, 6], dtype=np.int64)
    inputs = [("q", q), ("k", k), ("v", v), (None, None), (None, None), (None, None), ("lens", lens)]
    model = make_model("Attention", inputs, dict(is_causal=1), 24)
    check_ref(logger, model, {"q": q, "k": k, "v": v, "lens": lens})


def test_attention_fp16(logger, rng):
    q, k, v = (randn(rng, 1, 2, 3, 8, dtype=np.float16) for _ in range(3))
    model = attention_model([("q", q), ("k", k), ("v", v)], {"is_causal": 1})
    check_ref(logger, model, {"q": q, "k": k, "v": v}, rtol=5e-3, atol=5e-3)


def test_attention_errors(logger, rng):
    q = randn(rng, 2, 3, 8)
    model = make_model("Attention", [("q", q), ("k", q), ("v", q)], {}, 23)
    expect_parse_error(logger, model, "Attention", "opset 23", "q_num_heads")
    q4 = randn(rng, 1, 2, 3, 4)
    model = make_model("Attention", [("q", q4), ("k", q4), ("v", q4)], {"qk_matmul_output_mode": 7}, 23)
    expect_parse_error(logger, model, "Attention", "qk_matmul_output_mode is 7")


@pytest.mark.parametrize("rank,interleaved,rotary_dim,positions", [
    (4, 0, 0, True), (4, 1, 0, True), (3, 0, 4, True), (3, 1, 0, False), (4, 0, 6, False)])
def test_rotary_embedding(logger, rng, rank, interleaved, rotary_dim, positions):
    b, s, h, d, max_pos = 2, 3, 2, 8, 10
    rd = rotary_dim or d
    x = randn(rng, b, h, s, d) if rank == 4 else randn(rng, b, s, h * d)
    table = max_pos if positions else s
    cos = randn(rng, table, rd // 2) if positions else randn(rng, b, s, rd // 2)
    sin = randn(rng, *cos.shape)
    inputs = [("x", x), ("cos", cos), ("sin", sin)]
    feeds = {"x": x, "cos": cos, "sin": sin}
    if positions:
        pos = rng.integers(0, max_pos, (b, s)).astype(np.int64)
        inputs.append(("pos", pos))
        feeds["pos"] = pos
    attrs = {"interleaved": interleaved}
    if rotary_dim:
        attrs["rotary_embedding_dim"] = rotary_dim
    if rank == 3:
        attrs["num_heads"] = h
    check_ref(logger, make_model("RotaryEmbedding", inputs, attrs, 23), feeds)


def test_rotary_embedding_errors(logger, rng):
    x = randn(rng, 1, 2, 3, 8)
    cos = randn(rng, 3, 4)
    model = make_model("RotaryEmbedding", [("x", x), ("cos", cos), ("sin", cos)], {"rotary_embedding_dim": 5}, 23)
    expect_parse_error(logger, model, "RotaryEmbedding", "opset 23", "rotary_embedding_dim is 5")
