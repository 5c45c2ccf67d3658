"""What test_onnx_backend.py and report.py share: the categories of onnx's backend test
suite that ship with the onnx package (no download), and for each test the operators,
element types and domains of its model and the operator it is about."""
import os
import re
import warnings

from onnx import TensorProto

# onnx.backend.test.BackendTest's categories (test class "OnnxBackend<category>Test") ->
# the loader's kind. All of them are on disk in the onnx wheel: "real" reads the
# "light" models of onnx/backend/test/data/light (weights built by ConstantOfShape, the
# expected outputs beside them), so nothing is downloaded.
CATEGORIES = {
    "NodeModel": "node",
    "SimpleModel": "simple",
    "RealModel": "real",
    "PyTorchConvertedModel": "pytorch-converted",
    "PyTorchOperatorModel": "pytorch-operator",
}
KIND_OF_CLASS = {f"OnnxBackend{c}Test": k for c, k in CATEGORIES.items()}


def enabled_kinds():
    """$INGOT_CONFORMANCE_KINDS (comma list of node, simple, real, pytorch-converted,
    pytorch-operator), default all."""
    env = os.environ.get("INGOT_CONFORMANCE_KINDS", "").strip()
    if not env:
        return set(CATEGORIES.values())
    return {k.strip() for k in env.split(",") if k.strip()}


def _type_name(value_info):
    t = value_info.type
    which = t.WhichOneof("value")
    if which == "tensor_type":
        return TensorProto.DataType.Name(t.tensor_type.elem_type)
    return which or "unknown"


def _walk(graph):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from _walk(attr.g)
            for g in attr.graphs:
                yield from _walk(g)


def describe(model):
    """dict(ops=[...] (subgraphs included), top_ops=[...] (the main graph's), types=[...],
    domains=[...]) of a ModelProto."""
    nodes = list(_walk(model.graph))
    types = {_type_name(v) for v in list(model.graph.input) + list(model.graph.output)}
    for init in model.graph.initializer:
        types.add(TensorProto.DataType.Name(init.data_type))
    for node in nodes:  # Constant values and Cast targets count as types used too
        for attr in node.attribute:
            if attr.HasField("t"):
                types.add(TensorProto.DataType.Name(attr.t.data_type))
            if node.op_type == "Cast" and attr.name == "to":
                types.add(TensorProto.DataType.Name(attr.i))
    return {
        "ops": sorted({n.op_type for n in nodes}),
        "top_ops": sorted({n.op_type for n in model.graph.node}),
        "types": sorted(types),
        "domains": sorted({n.domain for n in nodes if n.domain not in ("", "ai.onnx")}),
    }


def _model_path(case):
    if case.model_dir is not None:
        return os.path.join(case.model_dir, "model.onnx")
    if case.url and case.url.startswith("onnx/backend/test/data/light/"):
        import onnx
        root = os.path.dirname(os.path.dirname(os.path.abspath(onnx.__file__)))
        return os.path.join(root, case.url)
    return None


_CACHE = {}


def metadata(kinds=None):
    """test name (no device suffix) -> dict(kind, ops, types, domains, op), op being the
    operator the test is about (for node tests: the op of the node, the same op for its
    function-expanded form; for model tests: "model:<kind>")."""
    import onnx
    from onnx.backend.test.loader import load_model_tests
    kinds = set(kinds or CATEGORIES.values())
    key = tuple(sorted(kinds))
    if key in _CACHE:
        return _CACHE[key]
    out = {}
    for kind in sorted(kinds):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NumPy warnings of onnx's test generators
            cases = load_model_tests(kind=kind)
        for case in cases:
            model = case.model
            if model is None:
                path = _model_path(case)
                if path is None or not os.path.exists(path):
                    continue
                model = onnx.load(path, load_external_data=False)
            d = describe(model)
            d["kind"] = kind
            out[case.name] = d
    # the operator each test is about
    for name, d in out.items():
        if d["kind"] != "node":
            d["op"] = f"model:{d['kind']}"
            continue
        base = re.sub(r"_expanded(_ver\d+)?$", "", name)
        if base != name and base in out:
            src = out[base]
        else:
            src = d
        ops = [o for o in src["top_ops"] if o != "Constant"] or src["top_ops"]
        d["op"] = ops[0] if len(ops) == 1 else "+".join(ops)
    _CACHE[key] = out
    return out
