"""What the ONNX conformance suite leaves out, and why.

Every group gives a reason and any of: `ops` (a test is excluded when its model uses one
of these operators, its function-expanded form included), `types` (a graph input or
output of one of these element types: TensorProto names, or "sequence_type" /
"optional_type" / "map_type"), `domains` (a node of one of these domains), `patterns`
(regular expressions searched in the test name, without its _cpu suffix).

A test excluded here is skipped with "excluded (<group>): <reason>". Anything not
excluded runs, and fails honestly when ingot cannot do it: the list is kept short on
purpose, to what ingot does not aim to do (the first groups) and to operators no importer
handles yet (the last group: remove an entry when its importer lands; report.py lists
entries that have become stale: groups named "not imported yet: ...").
"""
import re

GROUPS = {
    "sequences": {
        "reason": "ONNX sequence values have no ingot tensor equivalent",
        "types": ["sequence_type"],
        "ops": ["SequenceAt", "SequenceConstruct", "SequenceEmpty", "SequenceErase", "SequenceInsert",
                "SequenceLength", "SequenceMap", "SplitToSequence", "ConcatFromSequence"],
        "patterns": [r"^test_sequence_model\d"],
    },
    "strings": {
        "reason": "ingot has no string dtype",
        "types": ["STRING"],
        "ops": ["StringConcat", "StringNormalizer", "StringSplit", "RegexFullMatch", "TfIdfVectorizer"],
        "patterns": [r"^test_strnorm_"],
    },
    "optionals": {
        "reason": "ONNX optional values have no ingot equivalent",
        "types": ["optional_type"],
        "ops": ["Optional", "OptionalGetElement", "OptionalHasElement"],
    },
    "training": {
        "reason": "training operators (ai.onnx.preview.training) and training-mode dropout: ingot is "
                  "an inference runtime",
        "domains": ["ai.onnx.preview.training"],
        "ops": ["Adagrad", "Adam", "Momentum", "Gradient"],
        "patterns": [r"^test_training_dropout", r"^test_gradient_of_"],
    },
    "random": {
        "reason": "random number generators: the expected values come from NumPy's generator",
        "ops": ["Bernoulli", "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike",
                "Multinomial"],
    },
    "float64": {
        "reason": "float64 (DOUBLE) tensors: ingot computes in float32/16/bf16 only",
        "types": ["DOUBLE"],
    },
    "int16/uint16/uint32/uint64": {
        "reason": "integer dtypes ingot does not have (it has int8, uint8, int32, int64, bool)",
        "types": ["INT16", "UINT16", "UINT32", "UINT64"],
    },
    "complex": {
        "reason": "complex dtypes",
        "types": ["COMPLEX64", "COMPLEX128"],
    },
    "float8/float4/int4/int2": {
        "reason": "sub-byte and 8-bit float dtypes (float8 e4m3/e5m2/e8m0, float4, int4/uint4, int2/uint2)",
        "types": ["FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "FLOAT8E8M0",
                  "FLOAT4E2M1", "INT4", "UINT4", "INT2", "UINT2"],
    },
    "ai.onnx.ml": {
        "reason": "classical machine-learning operators (ai.onnx.ml domain)",
        "domains": ["ai.onnx.ml"],
    },
    "ai.onnx.preview": {
        "reason": "preview-domain operators (ai.onnx.preview)",
        "domains": ["ai.onnx.preview"],
    },
    "control flow": {
        "reason": "subgraph operators (If, Loop, Scan): ingot networks have no control flow",
        "ops": ["If", "Loop", "Scan"],
    },
    "image decoding": {
        "reason": "ImageDecoder decodes encoded image bytes: not an inference kernel",
        "ops": ["ImageDecoder"],
    },
    # Operators no importer handles yet (src/onnx/import_*.c), by family. Remove an entry
    # when its importer lands: report.py lists the entries the library imports now.
    "not imported yet: attention and transformer blocks": {
        "reason": "no importer yet (FlexAttention, LinearAttention, SwiGLU, CausalConvWithState: "
                  "opset 25+ fused transformer operators)",
        "ops": ["FlexAttention", "LinearAttention", "SwiGLU", "CausalConvWithState"],
    },
    "not imported yet: normalization and pooling variants": {
        "reason": "no importer yet (MaxUnpool)",
        "ops": ["MaxUnpool"],
    },
    "not imported yet: signal processing": {
        "reason": "no importer yet for DFT, STFT, the window generators and MelWeightMatrix",
        "ops": ["DFT", "STFT", "BlackmanWindow", "HammingWindow", "HannWindow", "MelWeightMatrix"],
    },
    "not imported yet: vision and detection": {
        "reason": "no importer yet (GridSample, RoiAlign, DeformConv, Col2Im, CenterCropPad)",
        "ops": ["GridSample", "RoiAlign", "DeformConv", "Col2Im", "CenterCropPad"],
    },
    "not imported yet: integer quantized arithmetic": {
        "reason": "no importer yet for the integer-arithmetic quantized operators (QLinearConv, "
                  "QLinearMatMul, ConvInteger, MatMulInteger, DynamicQuantizeLinear)",
        "ops": ["QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger", "DynamicQuantizeLinear"],
    },
    "not imported yet: bitwise": {
        "reason": "no importer yet for BitCast",
        "ops": ["BitCast"],
    },
    "not imported yet: other": {
        "reason": "no importer yet (Det, TensorScatter, CumProd)",
        "ops": ["Det", "TensorScatter", "CumProd"],
    },
}


def _compile():
    out = []
    for group, g in GROUPS.items():
        out.append((group, g["reason"], set(g.get("ops", ())), set(g.get("types", ())),
                    set(g.get("domains", ())), [re.compile(p) for p in g.get("patterns", ())]))
    return out


_COMPILED = _compile()


def excluded(name, op_types=(), types=(), domains=()):
    """(group, reason) when the test is excluded, else None. `name` with or without the
    _cpu suffix; op_types, types (element type names) and domains of its model."""
    base = re.sub(r"_(cpu|cuda)$", "", name)
    op_types, types, domains = set(op_types), set(types), set(domains)
    for group, reason, ops, tys, doms, pats in _COMPILED:
        hit = (ops & op_types) or (tys & types) or (doms & domains) or any(p.search(base) for p in pats)
        if hit:
            if ops & op_types:
                what = ", ".join(sorted(ops & op_types))
            elif tys & types:
                what = ", ".join(sorted(tys & types))
            elif doms & domains:
                what = ", ".join(sorted(doms & domains))
            else:
                what = "name"
            return group, f"{reason} [{what}]"
    return None


def excluded_ops():
    """op type -> group, for the report."""
    out = {}
    for group, g in GROUPS.items():
        for op in g.get("ops", ()):
            out.setdefault(op, group)
    return out
