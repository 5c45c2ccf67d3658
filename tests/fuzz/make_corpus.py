#!/usr/bin/env python3
"""Regenerates the fuzz seed corpora in tests/fuzz/corpus/<target>/: a few tiny ONNX
models (onnx.helper), the plans ingot builds from them, a .wts and some .npy files. Seeds
are kept small (a few KiB each) so libFuzzer mutates them quickly. Regression inputs
(crash-*, named after the bug they found) sit beside the seeds and are never removed here.

usage: INGOT_LIBRARY=build/libingot.so PYTHONPATH=python python3 tests/fuzz/make_corpus.py
(without a loadable ingot, the plan seeds are left as they are)."""
import io
import os
import struct
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
rng = np.random.default_rng(7)


def init(name, shape, dtype=np.float32):
    return numpy_helper.from_array((rng.standard_normal(shape)).astype(dtype), name)


def model(nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def vi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def models():
    """name -> (model, {input: dims for the plan's profile})."""
    m = {}
    m["relu"] = model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", ["N", 3])], [vi("y", ["N", 3])])
    m["conv_pool"] = model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["r"]),
         helper.make_node("MaxPool", ["r"], ["y"], kernel_shape=[2, 2], strides=[2, 2])],
        [vi("x", [1, 2, 6, 6])], [vi("y", [1, 4, 3, 3])], [init("w", (4, 2, 3, 3)), init("b", (4,))])
    m["gemm_softmax"] = model(
        [helper.make_node("Gemm", ["x", "w", "b"], ["g"], transB=1),
         helper.make_node("Softmax", ["g"], ["y"], axis=-1)],
        [vi("x", ["N", 8])], [vi("y", ["N", 4])], [init("w", (4, 8)), init("b", (4,))])
    m["reshape_concat"] = model(
        [helper.make_node("Shape", ["x"], ["s"]),
         helper.make_node("Reshape", ["x", "shape"], ["r"]),
         helper.make_node("Transpose", ["r"], ["t"], perm=[1, 0]),
         helper.make_node("Concat", ["t", "t"], ["c"], axis=0),
         helper.make_node("Slice", ["c", "starts", "ends"], ["y"])],
        [vi("x", [2, 3, 4])], [vi("y", None)],
        [numpy_helper.from_array(np.array([6, 4], np.int64), "shape"),
         numpy_helper.from_array(np.array([1], np.int64), "starts"),
         numpy_helper.from_array(np.array([5], np.int64), "ends")])
    m["matmul_layernorm"] = model(
        [helper.make_node("MatMul", ["x", "w"], ["m"]),
         helper.make_node("Add", ["m", "b"], ["a"]),
         helper.make_node("LayerNormalization", ["a", "gamma", "beta"], ["n"], axis=-1),
         helper.make_node("Tanh", ["n"], ["y"])],
        [vi("x", ["B", "S", 8])], [vi("y", ["B", "S", 8])],
        [init("w", (8, 8)), init("b", (8,)), init("gamma", (8,)), init("beta", (8,))])
    m["gather_reduce"] = model(
        [helper.make_node("Gather", ["emb", "ids"], ["e"], axis=0),
         helper.make_node("ReduceMean", ["e"], ["y"], axes=[1], keepdims=0)],
        [vi("ids", ["N", 4], TensorProto.INT64)], [vi("y", None)], [init("emb", (10, 6))], opset=13)
    m["if_subgraph"] = model(
        [helper.make_node("If", ["cond"], ["y"],
                          then_branch=helper.make_graph([helper.make_node("Relu", ["x"], ["t"])], "then", [], [vi("t", [2])]),
                          else_branch=helper.make_graph([helper.make_node("Neg", ["x"], ["e"])], "else", [], [vi("e", [2])]))],
        [vi("x", [2]), vi("cond", [], TensorProto.BOOL)], [vi("y", [2])])
    # Channels last on the CPU: the indirect-GEMM, Winograd, depthwise and pooling NHWC
    # tactics with their packed weights in the plan, and a nearest resize.
    m["nhwc_convs"] = model(
        [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
         helper.make_node("Conv", ["c1", "wd"], ["c2"], pads=[1, 1, 1, 1], group=8),
         helper.make_node("Sigmoid", ["c2"], ["s"]),
         helper.make_node("Mul", ["c2", "s"], ["c3"]),
         helper.make_node("Conv", ["c3", "w2"], ["c4"], strides=[2, 2]),
         helper.make_node("MaxPool", ["c4"], ["p"], kernel_shape=[2, 2], pads=[0, 0, 1, 1]),
         helper.make_node("Resize", ["p", "", "scales"], ["y"], mode="nearest")],
        [vi("x", [1, 8, 6, 6])], [vi("y", None)],
        [init("w1", (8, 8, 3, 3)), init("b1", (8,)), init("wd", (8, 1, 3, 3)), init("w2", (8, 8, 1, 1)),
         numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")])
    # LayerNorm as exporters spell it before opset 17: one vectorized layer-norm tactic.
    m["layernorm_chain"] = model(
        [helper.make_node("ReduceMean", ["x"], ["m"], axes=[-1], keepdims=1),
         helper.make_node("Sub", ["x", "m"], ["d"]),
         helper.make_node("Pow", ["d", "two"], ["p"]),
         helper.make_node("ReduceMean", ["p"], ["v"], axes=[-1], keepdims=1),
         helper.make_node("Add", ["v", "eps"], ["ve"]),
         helper.make_node("Sqrt", ["ve"], ["sd"]),
         helper.make_node("Div", ["d", "sd"], ["n"]),
         helper.make_node("Mul", ["n", "gamma"], ["g"]),
         helper.make_node("Add", ["g", "beta"], ["y"])],
        [vi("x", ["N", 12])], [vi("y", ["N", 12])],
        [numpy_helper.from_array(np.array(2.0, np.float32), "two"),
         numpy_helper.from_array(np.array(1e-5, np.float32), "eps"), init("gamma", (12,)), init("beta", (12,))])
    # Attention as BERT exports it (heads by Reshape + Transpose, K^T by the heads' own
    # transpose, Div, an additive mask) and GPT's causal Where: one attention layer each.
    def heads(x, name, perm):
        return [helper.make_node("Reshape", [x, "hshape"], [name + "_r"]),
                helper.make_node("Transpose", [name + "_r"], [name], perm=perm)]
    tail = [helper.make_node("Softmax", ["masked"], ["probs"], axis=-1),
            helper.make_node("MatMul", ["probs", "v"], ["ctx"]),
            helper.make_node("Transpose", ["ctx"], ["ctx_t"], perm=[0, 2, 1, 3]),
            helper.make_node("Reshape", ["ctx_t", "oshape"], ["y"])]
    shapes = [numpy_helper.from_array(np.array([0, 5, 2, 4], np.int64), "hshape"),
              numpy_helper.from_array(np.array([0, 5, 8], np.int64), "oshape"),
              numpy_helper.from_array(np.array(2.0, np.float32), "sqrt_d")]
    m["attention_mask"] = model(
        heads("x", "q", [0, 2, 1, 3]) + heads("x", "kt", [0, 2, 3, 1]) + heads("x", "v", [0, 2, 1, 3]) +
        [helper.make_node("MatMul", ["q", "kt"], ["s"]), helper.make_node("Div", ["s", "sqrt_d"], ["sd"]),
         helper.make_node("Add", ["sd", "mask"], ["masked"])] + tail,
        [vi("x", ["N", 5, 8]), vi("mask", ["N", 1, 1, 5])], [vi("y", None)], shapes)
    m["attention_causal"] = model(
        heads("x", "q", [0, 2, 1, 3]) + heads("x", "k", [0, 2, 1, 3]) + heads("x", "v", [0, 2, 1, 3]) +
        [helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
         helper.make_node("MatMul", ["q", "kt"], ["s"]), helper.make_node("Div", ["s", "sqrt_d"], ["sd"]),
         helper.make_node("Where", ["future", "fmin", "sd"], ["masked"])] + tail,
        [vi("x", ["N", 5, 8])], [vi("y", None)],
        shapes + [numpy_helper.from_array(~np.tril(np.ones((1, 1, 5, 5), bool)), "future"),
                  numpy_helper.from_array(np.array(np.finfo(np.float32).min, np.float32), "fmin")])
    # Absurd sizes, refused before anything is allocated (see tests/python/test_hostile_inputs.py).
    big = TensorProto()
    big.name, big.data_type, big.raw_data = "w", TensorProto.FLOAT, b"\0" * 4
    big.dims.extend([1 << 40])
    m["absurd_initializer"] = model([helper.make_node("Add", ["x", "w"], ["y"])], [vi("x", [1])], [vi("y", None)], [big])
    m["absurd_input"] = model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", [1, 1 << 40])], [vi("y", None)])
    m["absurd_fill"] = model(
        [helper.make_node("ConstantOfShape", ["s"], ["c"]), helper.make_node("Add", ["x", "c"], ["y"])],
        [vi("x", [1])], [vi("y", None)], [numpy_helper.from_array(np.array([1 << 40], np.int64), "s")])
    return m


def nested_if(depth):
    """Bytes of a model whose If nodes nest `depth` deep (protobuf written by hand)."""
    def varint(n):
        out = bytearray()
        while True:
            b, n = n & 0x7F, n >> 7
            out.append(b | (0x80 if n else 0))
            if not n:
                return bytes(out)

    def key(field, wire):
        return varint(field << 3 | wire)
    name, op, typ = key(1, 2) + varint(11) + b"then_branch", key(4, 2) + varint(2) + b"If", key(20, 0) + varint(5)
    glen, prefixes = 0, []
    for _ in range(depth):
        alen = len(name) + len(key(6, 2)) + len(varint(glen)) + glen + len(typ)
        nlen = len(op) + len(key(5, 2)) + len(varint(alen)) + alen
        prefixes.append(key(1, 2) + varint(nlen) + op + key(5, 2) + varint(alen) + name + key(6, 2) + varint(glen))
        glen = len(key(1, 2)) + len(varint(nlen)) + nlen
    body = b"".join(reversed(prefixes)) + typ * depth
    return key(1, 0) + varint(8) + key(8, 2) + varint(2) + key(2, 0) + varint(17) + key(7, 2) + varint(glen) + body


def checksum64(data):
    """ingot_checksum64 (src/core/checksum.c): FNV-1a over 8-byte words, then the tail."""
    mask, prime, h = (1 << 64) - 1, 0x100000001B3, 0xCBF29CE484222325
    whole = len(data) // 8 * 8
    for (w,) in struct.iter_unpack("<Q", data[:whole]):
        h = ((h ^ w) * prime) & mask
        h ^= h >> 29
    for b in data[whole:]:
        h = ((h ^ b) * prime) & mask
    return ((h ^ len(data)) * prime) & mask


def mark_kept_constant_packed(plan):
    """A plan (format 3) whose first constant that kept its data is marked "packed" (data
    left out) although a layer reads that data (here the bias of the Gemm's fully connected
    layer: its tactic packs only the weights). The runtime must refuse it naming the
    constant and the layer (plan_writer.c's layout); header and checksum are right."""
    header, payload = bytearray(plan[:64]), plan[64:]
    assert header[:8] == b"INGOTPLN" and struct.unpack_from("<I", header, 8)[0] >= 3
    out, pos, done = bytearray(), 0, False
    while pos < len(payload):
        tag, reserved, size = struct.unpack_from("<4sIQ", payload, pos)
        body = payload[pos + 16:pos + 16 + size]
        if tag == b"TENS":
            (count,), at, tens = struct.unpack_from("<I", body, 0), 4, bytearray(body[:4])
            for _ in range(count):
                start = at
                (n,) = struct.unpack_from("<I", body, at)
                at += 4 + n + 4  # name, dtype
                (nb,) = struct.unpack_from("<i", body, at)
                at += 4 + 8 * max(nb, 0)
                kind, _out, _producer, flags, data_size = struct.unpack_from("<IIiIQ", body, at)
                fields = at + 12  # flags
                at += 24 + data_size
                if not done and kind == 2 and data_size > 0:
                    tens += body[start:fields] + struct.pack("<IQ", flags | 1, 0)
                    done = True
                else:
                    tens += body[start:at]
            body = bytes(tens)
        out += struct.pack("<4sIQ", tag, reserved, len(body)) + body
        pos += 16 + size
    assert done, "no constant with data"
    struct.pack_into("<QQ", header, 40, len(out), checksum64(bytes(out)))
    return bytes(header + out)


def profile_dims(mdl):
    """Every symbolic dim pinned to 2."""
    out = {}
    for i in mdl.graph.input:
        dims = [d.dim_value if d.HasField("dim_value") else 2 for d in i.type.tensor_type.shape.dim]
        if any(not d.HasField("dim_value") for d in i.type.tensor_type.shape.dim):
            out[i.name] = dims
    return out


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def npy_bytes(arr):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def main():
    ms = models()
    for name, mdl in ms.items():
        write("onnx", name + ".onnx", mdl.SerializeToString())
    write("onnx", "nested_if_100.onnx", nested_if(100))
    try:
        import ingot
    except Exception as e:  # noqa: BLE001 - any load failure: keep the old plan seeds
        print(f"ingot not loadable ({e}); plan seeds unchanged", file=sys.stderr)
        ingot = None
    if ingot is not None:
        for name, mdl in ms.items():
            builder = ingot.Builder()
            network = builder.create_network()
            parser = ingot.OnnxParser(network)
            if not parser.parse(mdl.SerializeToString()):
                print(f"{name}: not parsed, no plan seed", file=sys.stderr)
                continue
            config = builder.create_builder_config()
            config.timing_iterations = 0
            dyn = profile_dims(mdl)
            if dyn:
                profile = builder.create_optimization_profile()
                for inp, dims in dyn.items():
                    profile.set_shape(inp, [1 if d == 2 else d for d in dims], dims, dims)
                config.add_optimization_profile(profile)
            try:
                plan = builder.build_serialized_network(network, config)
            except ingot.IngotError as e:
                print(f"{name}: not built ({e}), no plan seed", file=sys.stderr)
                continue
            write("plan", name + ".plan", plan)
            if name == "gemm_softmax":  # the Gemm's weights are left out, its bias kept
                write("plan", "reject-packed-flag-on-read-constant.plan", mark_kept_constant_packed(plan))
    lines = ["3", "conv.weight 4 3f800000 bf800000 0 40490fdb", "conv.bias 1 3f000000",
             "fc.weight 2 1 C2C80000"]
    write("wts", "small.wts", ("\n".join(lines) + "\n").encode())
    write("wts", "crlf.wts", b"2\r\na 1 3f800000\r\n\r\nb 0\r\n")
    write("npy", "f32_2x3.npy", npy_bytes(rng.standard_normal((2, 3)).astype(np.float32)))
    write("npy", "i64_vec.npy", npy_bytes(np.arange(5, dtype=np.int64)))
    write("npy", "bool_scalar.npy", npy_bytes(np.array(True)))
    write("npy", "f16_empty.npy", npy_bytes(np.zeros((0, 4), np.float16)))
    write("npy", "u8_3d.npy", npy_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4)))
    # Format version 2.0 (a 4-byte header length), as NumPy writes for long headers.
    hdr = b"{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }"
    hdr += b" " * (-(12 + len(hdr) + 1) % 64) + b"\n"
    write("npy", "v2_i4.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", len(hdr)) + hdr +
          np.array([1, 2], "<i4").tobytes())


if __name__ == "__main__":
    main()
