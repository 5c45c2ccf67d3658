#!/usr/bin/env python3
"""Writes the trained LeNet-5 of lenet5.wts as an ONNX model, the way PyTorch's exporter
lays it out (Conv, Relu, MaxPool, Flatten, Gemm with transB, Softmax; opset 17; a dynamic
batch dim named "N"), so the ONNX path of ingot can be tried on a model with real weights:

    python3 examples/lenet/lenet_to_onnx.py build/lenet5.onnx
    ./build/tools/ingot build build/lenet5.onnx -o build/lenet5_onnx.plan \\
        --min-shapes data:1x1x32x32 --opt-shapes data:8x1x32x32 --max-shapes data:64x1x32x32
    python3 -m ingot.compare build/lenet5.onnx --shapes data:8x1x32x32

Needs NumPy and the onnx package.
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPES = {
    "conv1.weight": (6, 1, 5, 5), "conv1.bias": (6,),
    "conv2.weight": (16, 6, 5, 5), "conv2.bias": (16,),
    "fc1.weight": (120, 400), "fc1.bias": (120,),
    "fc2.weight": (84, 120), "fc2.bias": (84,),
    "fc3.weight": (10, 84), "fc3.bias": (10,),
}


def read_wts(path):
    """tensorrtx .wts: a count line, then `name count hex hex ...` (big-endian float32)."""
    params = {}
    with open(path) as f:
        count = int(f.readline())
        for _ in range(count):
            name, n, *words = f.readline().split()
            if len(words) != int(n):
                raise ValueError(f"{path}: {name} declares {n} values but has {len(words)}")
            values = np.frombuffer(bytes.fromhex("".join(words)), dtype=">f4").astype(np.float32)
            params[name] = values.reshape(SHAPES[name])
    return params


def lenet_model(params):
    nodes = [
        helper.make_node("Conv", ["data", "conv1.weight", "conv1.bias"], ["c1"], kernel_shape=[5, 5]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "conv2.weight", "conv2.bias"], ["c2"], kernel_shape=[5, 5]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p2"], ["f0"], axis=1),
        helper.make_node("Gemm", ["f0", "fc1.weight", "fc1.bias"], ["g1"], transB=1),
        helper.make_node("Relu", ["g1"], ["h1"]),
        helper.make_node("Gemm", ["h1", "fc2.weight", "fc2.bias"], ["g2"], transB=1),
        helper.make_node("Relu", ["g2"], ["h2"]),
        helper.make_node("Gemm", ["h2", "fc3.weight", "fc3.bias"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["prob"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "lenet5",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, ["N", 1, 32, 32])],
        [helper.make_tensor_value_info("prob", TensorProto.FLOAT, ["N", 10])],
        initializer=[numpy_helper.from_array(params[name], name) for name in SHAPES])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="ingot-examples")
    onnx.checker.check_model(model)
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="the .onnx file to write")
    ap.add_argument("--wts", default=os.path.join(HERE, "lenet5.wts"), help="weights (default: lenet5.wts beside this script)")
    args = ap.parse_args()
    onnx.save(lenet_model(read_wts(args.wts)), args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
