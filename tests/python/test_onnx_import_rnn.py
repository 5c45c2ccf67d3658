"""ONNX import of the recurrent family (src/onnx/import_rnn.c): RNN, GRU and LSTM on
single-node models built with onnx.helper and random weights, compared to onnxruntime
(within 1e-4 relative) for every cell, direction and layout, with variable sequence
lengths, initial states, peepholes, clip, input_forget, linear_before_reset and
non-default activations; dynamic batch and sequence length through a profile; and the
errors for bad attributes, which name the node."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import ingot  # noqa: E402

F = TensorProto.FLOAT
GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
OUTPUTS = {"RNN": ("Y", "Y_h"), "GRU": ("Y", "Y_h"), "LSTM": ("Y", "Y_h", "Y_c")}


def recurrent_model(op, rng, seq=5, batch=3, inp=4, hidden=6, direction="forward", layout=0, opset=22,
                    lengths=None, initial=True, bias=True, peepholes=False, attrs=None, dynamic=False,
                    outputs=None):
    """A model of one `op` node; returns (model, feeds). W, R, B, P are initializers; X,
    sequence_lens and the initial states are graph inputs."""
    dirs = 2 if direction == "bidirectional" else 1
    g = GATES[op]
    x = rng.standard_normal((batch, seq, inp) if layout else (seq, batch, inp)).astype(np.float32)
    state_shape = (batch, dirs, hidden) if layout else (dirs, batch, hidden)
    inits = {"W": (rng.standard_normal((dirs, g * hidden, inp)) * 0.5).astype(np.float32),
             "R": (rng.standard_normal((dirs, g * hidden, hidden)) * 0.5).astype(np.float32)}
    if bias:
        inits["B"] = (rng.standard_normal((dirs, 2 * g * hidden)) * 0.5).astype(np.float32)
    feeds = {"X": x}
    names = ["X", "W", "R", "B" if bias else ""]
    if lengths is not None:
        feeds["L"] = np.asarray(lengths, dtype=np.int32)
    names.append("L" if lengths is not None else "")
    if initial:
        feeds["H0"] = rng.standard_normal(state_shape).astype(np.float32)
    names.append("H0" if initial else "")
    if op == "LSTM":
        if initial:
            feeds["C0"] = rng.standard_normal(state_shape).astype(np.float32)
        names.append("C0" if initial else "")
        if peepholes:
            inits["P"] = (rng.standard_normal((dirs, 3 * hidden)) * 0.5).astype(np.float32)
        names.append("P" if peepholes else "")
    while names and names[-1] == "":
        names.pop()
    outputs = outputs or OUTPUTS[op]
    node_attrs = {"hidden_size": hidden, "direction": direction}
    if opset >= 14:
        node_attrs["layout"] = layout
    node_attrs.update(attrs or {})
    node = helper.make_node(op, names, list(outputs), name=f"my_{op.lower()}", **node_attrs)

    def shape_of(name, arr):
        if not dynamic:
            return list(arr.shape)
        if name == "X":  # batch and sequence dynamic
            return ["b", "s", inp] if layout else ["s", "b", inp]
        if name == "L":
            return ["b"]
        return [dirs, "b", hidden] if not layout else ["b", dirs, hidden]

    graph_inputs = [helper.make_tensor_value_info(n, TensorProto.INT32 if n == "L" else F, shape_of(n, a))
                    for n, a in feeds.items()]
    graph_outputs = [helper.make_tensor_value_info(o, F, None) for o in outputs if o]
    graph = helper.make_graph([node], "g", graph_inputs, graph_outputs,
                              initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10 if opset >= 21 else 8
    return model, feeds


def run_ort(model, feeds):
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))


def parse(model, logger):
    network = ingot.Network(logger)
    parser = ingot.OnnxParser(network, logger)
    ok = parser.parse(model)
    return network, parser, ok


def run_ingot(model, feeds, logger, profiles=None):
    network, parser, ok = parse(model, logger)
    assert ok, "parse failed: " + "; ".join(e.message for e in parser.errors)
    return ingot.run_network(network, feeds, profiles=profiles, logger=logger)


def compare(got, want, rtol=1e-4, atol=1e-5):
    for name, w in want.items():
        assert got[name].shape == w.shape, f"{name}: shape {got[name].shape}, expected {w.shape}"
        np.testing.assert_allclose(got[name], w, rtol=rtol, atol=atol, err_msg=name)


def to_layout0(want, op):
    """onnxruntime's outputs of the layout-0 twin, transposed to layout 1."""
    out = {"Y": np.transpose(want["Y"], (2, 0, 1, 3))}
    for k in ("Y_h", "Y_c"):
        if k in want:
            out[k] = np.transpose(want[k], (1, 0, 2))
    return out


@pytest.mark.parametrize("op", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
@pytest.mark.parametrize("variable", [False, True])
def test_cells_and_directions(logger, op, direction, variable):
    rng = np.random.default_rng(hash((op, direction, variable)) % 2**32)
    lengths = [5, 2, 4] if variable else None
    model, feeds = recurrent_model(op, rng, direction=direction, lengths=lengths, peepholes=op == "LSTM")
    compare(run_ingot(model, feeds, logger), run_ort(model, feeds))


@pytest.mark.parametrize("op", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("direction", ["forward", "bidirectional"])
def test_layout_1_matches_layout_0(logger, op, direction):
    """Batch-first layout; onnxruntime's answer comes from the same weights in layout 0."""
    rng = np.random.default_rng(7)
    model1, feeds1 = recurrent_model(op, rng, direction=direction, layout=1, lengths=[3, 5, 1])
    rng = np.random.default_rng(7)
    model0, feeds0 = recurrent_model(op, rng, direction=direction, layout=0, lengths=[3, 5, 1])
    feeds0 = {"X": np.transpose(feeds1["X"], (1, 0, 2)), "L": feeds1["L"]}
    for k in ("H0", "C0"):
        if k in feeds1:
            feeds0[k] = np.transpose(feeds1[k], (1, 0, 2))
    compare(run_ingot(model1, feeds1, logger), to_layout0(run_ort(model0, feeds0), op))


@pytest.mark.parametrize("lbr", [0, 1])
@pytest.mark.parametrize("direction", ["forward", "bidirectional"])
def test_gru_linear_before_reset(logger, lbr, direction):
    rng = np.random.default_rng(11 + lbr)
    model, feeds = recurrent_model("GRU", rng, direction=direction, lengths=[4, 5, 1],
                                   attrs={"linear_before_reset": lbr})
    compare(run_ingot(model, feeds, logger), run_ort(model, feeds))


@pytest.mark.parametrize("attrs", [{"clip": 0.7}, {"input_forget": 1}, {"clip": 1.5, "input_forget": 1}])
def test_lstm_options(logger, attrs):
    rng = np.random.default_rng(5)
    model, feeds = recurrent_model("LSTM", rng, direction="bidirectional", peepholes=True, lengths=[5, 3, 2],
                                   attrs=attrs)
    compare(run_ingot(model, feeds, logger), run_ort(model, feeds))


@pytest.mark.parametrize("op,acts,alpha,beta", [
    ("RNN", ["Relu"], None, None),
    ("RNN", ["LeakyRelu", "Softsign"], [0.2], None),
    ("RNN", ["Affine"], [0.8], [0.1]),
    ("GRU", ["HardSigmoid", "ScaledTanh"], [0.3, 1.2], [0.4, 0.7]),
    ("GRU", ["Sigmoid", "Elu"], [0.9], None),
    ("LSTM", ["HardSigmoid", "Softsign", "Softplus"], None, None),
    ("LSTM", ["Sigmoid", "ThresholdedRelu", "Tanh", "Sigmoid", "Tanh", "Elu"], [0.1, 0.5], None),
])
def test_activations(logger, op, acts, alpha, beta):
    rng = np.random.default_rng(len(acts) * 31 + len(op))
    direction = "bidirectional" if len(acts) > 3 or (op == "RNN" and len(acts) == 2) else "forward"
    attrs = {"activations": acts, "clip": 3.0}
    if alpha is not None:
        attrs["activation_alpha"] = alpha
    if beta is not None:
        attrs["activation_beta"] = beta
    model, feeds = recurrent_model(op, rng, direction=direction, attrs=attrs)
    compare(run_ingot(model, feeds, logger), run_ort(model, feeds))


@pytest.mark.parametrize("opset", [7, 14, 22])
@pytest.mark.parametrize("op", ["RNN", "GRU", "LSTM"])
def test_opsets_and_optional_parts(logger, op, opset):
    """Each opset's form; no bias, no initial state, only Y_h asked for."""
    rng = np.random.default_rng(opset)
    outputs = ("", "Y_h") if op != "LSTM" else ("", "Y_h", "Y_c")
    model, feeds = recurrent_model(op, rng, opset=opset, bias=False, initial=False, outputs=outputs,
                                   direction="reverse")
    compare(run_ingot(model, feeds, logger), run_ort(model, feeds))


@pytest.mark.parametrize("op", ["GRU", "LSTM"])
def test_dynamic_batch_and_sequence(logger, op):
    """X's batch and sequence dims dynamic: one profile, run at a shape inside it."""
    rng = np.random.default_rng(3)
    model, feeds = recurrent_model(op, rng, seq=7, batch=2, direction="bidirectional", lengths=[7, 4],
                                   dynamic=True)
    dirs, hidden = 2, 6
    profiles = [{"X": ((1, 1, 4), (4, 4, 4), (12, 8, 4)), "L": ((1,), (4,), (8,)),
                 "H0": ((dirs, 1, hidden), (dirs, 4, hidden), (dirs, 8, hidden))}]
    if op == "LSTM":
        profiles[0]["C0"] = profiles[0]["H0"]
    compare(run_ingot(model, feeds, logger, profiles=profiles), run_ort(model, feeds))


def test_larger_sizes_fast_path(logger):
    """Sizes past one GEMM tile in every dim."""
    rng = np.random.default_rng(21)
    model, feeds = recurrent_model("LSTM", rng, seq=9, batch=13, inp=37, hidden=40, direction="bidirectional",
                                   lengths=list(rng.integers(1, 10, 13)))
    compare(run_ingot(model, feeds, logger), run_ort(model, feeds), rtol=1e-4, atol=2e-5)


def expect_parse_error(logger, model, *words):
    _, parser, ok = parse(model, logger)
    assert not ok
    msg = " ".join(e.message for e in parser.errors)
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"


@pytest.mark.parametrize("attrs,words", [
    ({"direction": "sideways"}, ["my_gru", "direction", "sideways"]),
    ({"activations": ["Sigmoid", "Cosh"]}, ["my_gru", "activation 1", "Cosh"]),
    ({"activations": ["Sigmoid", "Tanh", "Tanh"]}, ["my_gru", "activations", "3 names"]),
    ({"hidden_size": 5}, ["my_gru", "hidden_size", "5"]),
    ({"linear_before_reset": 2}, ["my_gru", "linear_before_reset"]),
    ({"clip": -1.0}, ["my_gru", "clip"]),
])
def test_bad_attributes_name_the_node(logger, attrs, words):
    rng = np.random.default_rng(1)
    model, _ = recurrent_model("GRU", rng, attrs=attrs)
    expect_parse_error(logger, model, *words)


def test_layout_before_opset_14_refused(logger):
    rng = np.random.default_rng(1)
    model, _ = recurrent_model("RNN", rng, opset=13)
    model.graph.node[0].attribute.append(helper.make_attribute("layout", 1))
    expect_parse_error(logger, model, "my_rnn", "layout", "opset 14")


def test_bad_weight_dims_name_the_layer(logger):
    """W of the wrong input size: shape inference names the layer and the input."""
    rng = np.random.default_rng(2)
    model, feeds = recurrent_model("LSTM", rng)
    w = numpy_helper.to_array(model.graph.initializer[0])
    model.graph.initializer[0].CopyFrom(numpy_helper.from_array(w[:, :, :3].copy(), "W"))
    with pytest.raises(Exception) as e:
        run_ingot(model, feeds, logger)
    assert "my_lstm" in str(e.value) and "W" in str(e.value)


def test_sequence_length_out_of_range_fails_at_run(logger):
    rng = np.random.default_rng(4)
    model, feeds = recurrent_model("RNN", rng, lengths=[5, 9, 1])
    with pytest.raises(Exception) as e:
        run_ingot(model, feeds, logger)
    assert "my_rnn" in str(e.value) and "sequence length" in str(e.value) and "9" in str(e.value)


@pytest.mark.parametrize("op", ["GRU", "LSTM"])
def test_network_api_add_rnn(logger, op):
    """Network.add_rnn (the Python binding of ingot_network_add_rnn) with the weights of an
    ONNX model, optional inputs through set_input, against onnxruntime on that model."""
    rng = np.random.default_rng(8)
    attrs = {"activations": ["HardSigmoid", "Tanh"] + (["Softsign"] if op == "LSTM" else []),
             "activation_alpha": [0.3], "activation_beta": [0.45], "clip": 2.0}
    if op == "GRU":
        attrs["linear_before_reset"] = 1
    model, feeds = recurrent_model(op, rng, direction="reverse", lengths=[5, 1, 3], peepholes=op == "LSTM",
                                   attrs=attrs)
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    network = ingot.Network(logger)
    x = network.add_input("X", ingot.DataType.FLOAT32, feeds["X"].shape)
    lengths = network.add_input("L", ingot.DataType.INT32, feeds["L"].shape)
    h0 = network.add_input("H0", ingot.DataType.FLOAT32, feeds["H0"].shape)
    c0 = network.add_input("C0", ingot.DataType.FLOAT32, feeds["C0"].shape) if op == "LSTM" else None
    acts = [a.replace("HardSigmoid", "hard_sigmoid") for a in attrs["activations"]]
    n = len(acts)
    layer = network.add_rnn(x, inits["W"], inits["R"], inits["B"], cell=op, hidden_size=6, direction="reverse",
                            activations=acts, activation_alpha=[0.3] + [0.0] * (n - 1),
                            activation_beta=[0.45] + [0.0] * (n - 1), clip=2.0,
                            linear_before_reset=op == "GRU", sequence_lengths=lengths, initial_hidden=h0,
                            initial_cell=c0, peepholes=inits.get("P"))
    assert layer.type == ingot.LayerType.RNN and layer.num_outputs == len(OUTPUTS[op])
    for k, name in enumerate(OUTPUTS[op]):
        out = layer.get_output(k)
        out.name = name
        network.mark_output(out)
    got = ingot.run_network(network, feeds, logger=logger)
    compare(got, run_ort(model, feeds))
