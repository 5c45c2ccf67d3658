#!/usr/bin/env python3
"""Writes ONNX models for ingot's model tests, made with onnx.helper and NumPy random weights
(fixed seeds, opset 17), with the node patterns PyTorch's exporter emits.

    python models/make_models.py --out build/models            # full size (hundreds of MB)
    python models/make_models.py --small --out build/models    # reduced variants, for CI
    python models/make_models.py --small --only bert_base,gpt_decoder --check

Models: resnet50, mobilenetv2, efficientnet_b0, vit_b16, bert_base, gpt_decoder,
yolo_detector. Every model has a dynamic batch (dim_param "batch"); gpt_decoder also a
dynamic "seq". See models/README.md for what each one exercises.

Only onnx and numpy are needed (onnxruntime for --check). The test
tests/models/test_models.py imports this file: MODELS, make_model(), make_inputs() and
profile_shapes() are its interface.
"""
import argparse
import contextlib
import math
import os
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64


# Random weights without batch norm drift in scale layer after layer: these gains (the std of
# a weight is gain / sqrt(fan_in)) keep activations near unit scale. 1.68 = 1 / rms(silu(z)),
# z ~ N(0, 1); at larger scales SiLU is ReLU-like (sqrt 2), so deep nets want less.
SILU_GAIN = 1.6


def _div8(v, divisor=8):
    """torchvision's _make_divisible."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class Graph:
    """A small graph writer: node and parameter names follow the exporter's
    ("/layer1/layer1.0/conv1/Conv", "layer1.0.conv1.weight")."""

    def __init__(self, name, seed):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.inputs, self.outputs = [], [], [], []
        self._scope = []
        self._used = set()

    # ---- naming ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def scope(self, *parts):
        self._scope.extend(parts)
        try:
            yield
        finally:
            del self._scope[len(self._scope) - len(parts):]

    def _unique(self, base):
        name, i = base, 1
        while name in self._used:
            name = f"{base}_{i}"
            i += 1
        self._used.add(name)
        return name

    def _param_prefix(self):
        prefix = ""
        for s in self._scope:
            if prefix and s.startswith(prefix + "."):
                prefix = s
            else:
                prefix = f"{prefix}.{s}" if prefix else s
        return prefix

    # ---- graph pieces ---------------------------------------------------------------------
    def input(self, name, elem_type, shape):
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, shape))
        self._used.add(name)
        return name

    def output(self, value, name, elem_type, shape):
        """Marks `value` as a graph output called `name` (through an Identity-free rename)."""
        for n in self.nodes:
            for i, o in enumerate(n.output):
                if o == value:
                    n.output[i] = name
        for n in self.nodes:
            for i, o in enumerate(n.input):
                if o == value:
                    n.input[i] = name
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, shape))
        return name

    def op(self, op_type, inputs, outputs=1, name=None, **attrs):
        path = "/".join([""] + self._scope + [name or op_type])
        node_name = self._unique(path)
        outs = [f"{node_name}_output_{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=node_name, **attrs))
        return outs[0] if outputs == 1 else outs

    def param(self, suffix, array):
        prefix = self._param_prefix()
        name = self._unique(f"{prefix}.{suffix}" if prefix else suffix)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def anon(self, array, kind="MatMul"):
        """An initializer the exporter would name onnx::MatMul_123 (a transposed Linear weight)."""
        name = self._unique(f"onnx::{kind}_{len(self.inits) + 1000}")
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def const(self, value, dtype=np.int64):
        """A Constant node, as the exporter emits for shape pieces and scalars."""
        arr = np.asarray(value, dtype=dtype)
        node_name = self._unique("/".join([""] + self._scope + ["Constant"]))
        out = f"{node_name}_output_0"
        self.nodes.append(helper.make_node("Constant", [], [out], name=node_name,
                                           value=numpy_helper.from_array(arr)))
        return out

    def model(self):
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="ingot-make_models", producer_version="1")
        m.ir_version = 8
        return m

    # ---- random weights -------------------------------------------------------------------
    def randn(self, shape, std):
        return (self.rng.standard_normal(shape) * std).astype(np.float32)

    def uniform(self, shape, lo, hi):
        return self.rng.uniform(lo, hi, shape).astype(np.float32)

    # ---- shape patterns -------------------------------------------------------------------
    def dim(self, x, i):
        """Shape(x) -> Gather(i): a scalar int64 (how x.size(i) exports)."""
        s = self.op("Shape", [x])
        return self.op("Gather", [s, self.const(i)], axis=0)

    def unsq(self, x, axes):
        return self.op("Unsqueeze", [x, self.const(list(axes))])

    def shape_of(self, parts):
        """Concat of 1-D pieces: ints become Constants, names of scalars are Unsqueezed."""
        pieces = []
        for p in parts:
            if isinstance(p, str):
                pieces.append(self.unsq(p, [0]))
            else:
                pieces.append(self.const([p]))
        return self.op("Concat", pieces, axis=0)

    def reshape(self, x, parts):
        return self.op("Reshape", [x, self.shape_of(parts)])

    # ---- layers ---------------------------------------------------------------------------
    def conv(self, x, cin, cout, k, s=1, p=None, groups=1, bias=True, gain=math.sqrt(2.0)):
        if p is None:
            p = k // 2
        fan_in = cin // groups * k * k
        w = self.param("weight", self.randn((cout, cin // groups, k, k), gain / math.sqrt(fan_in)))
        ins = [x, w]
        if bias:
            ins.append(self.param("bias", self.randn((cout,), 0.05)))
        return self.op("Conv", ins, dilations=[1, 1], group=groups, kernel_shape=[k, k],
                       pads=[p, p, p, p], strides=[s, s])

    def bn(self, x, c):
        scale = self.param("weight", self.uniform((c,), 0.5, 1.5))
        bias = self.param("bias", self.randn((c,), 0.1))
        mean = self.param("running_mean", self.randn((c,), 0.1))
        var = self.param("running_var", self.uniform((c,), 0.5, 1.5))
        return self.op("BatchNormalization", [x, scale, bias, mean, var], epsilon=1e-5, momentum=0.9)

    def relu(self, x):
        return self.op("Relu", [x])

    def relu6(self, x):
        return self.op("Clip", [x, self.const(0.0, np.float32), self.const(6.0, np.float32)])

    def silu(self, x):
        return self.op("Mul", [x, self.op("Sigmoid", [x])])

    def gelu_erf(self, x):
        """x * 0.5 * (1 + erf(x / sqrt(2))), as torch.nn.functional.gelu exports before opset 20."""
        d = self.op("Div", [x, self.const(1.4142135381698608, np.float32)])
        e = self.op("Erf", [d])
        a = self.op("Add", [e, self.const(1.0, np.float32)])
        m = self.op("Mul", [x, a])
        return self.op("Mul", [m, self.const(0.5, np.float32)])

    def gelu_tanh(self, x):
        """GPT-2's gelu_new: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))."""
        h = self.op("Mul", [self.const(0.5, np.float32), x])
        p = self.op("Pow", [x, self.const(3.0, np.float32)])
        c = self.op("Mul", [self.const(0.044715, np.float32), p])
        s = self.op("Add", [x, c])
        t = self.op("Mul", [self.const(math.sqrt(2.0 / math.pi), np.float32), s])
        t = self.op("Tanh", [t])
        a = self.op("Add", [self.const(1.0, np.float32), t])
        return self.op("Mul", [h, a])

    def linear(self, x, fin, fout, gain=1.0):
        """A Linear on a 3-D input: MatMul with the transposed weight, then Add of the bias."""
        w = self.anon(self.randn((fin, fout), gain / math.sqrt(fin)))
        y = self.op("MatMul", [x, w])
        return self.op("Add", [self.param("bias", self.randn((fout,), 0.02)), y])

    def gemm(self, x, fin, fout):
        """A Linear on a 2-D input: Gemm with transB."""
        w = self.param("weight", self.randn((fout, fin), 1.0 / math.sqrt(fin)))
        b = self.param("bias", self.randn((fout,), 0.02))
        return self.op("Gemm", [x, w, b], alpha=1.0, beta=1.0, transB=1)

    def layernorm(self, x, d, eps=1e-5, decomposed=False):
        gamma = self.param("weight", self.uniform((d,), 0.8, 1.2))
        beta = self.param("bias", self.randn((d,), 0.05))
        if not decomposed:
            return self.op("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=eps)
        # the form exported before LayerNormalization existed (opset < 17)
        mean = self.op("ReduceMean", [x], axes=[-1], keepdims=1)
        xc = self.op("Sub", [x, mean])
        sq = self.op("Pow", [xc, self.const(2.0, np.float32)])
        var = self.op("ReduceMean", [sq], axes=[-1], keepdims=1)
        ve = self.op("Add", [var, self.const(eps, np.float32)])
        sd = self.op("Sqrt", [ve])
        y = self.op("Div", [xc, sd])
        y = self.op("Mul", [y, gamma])
        return self.op("Add", [y, beta])

    def heads(self, x, b, s, nh, hd, perm=(0, 2, 1, 3)):
        """[B, S, nh*hd] -> [B, nh, S, hd] (transpose_for_scores)."""
        r = self.reshape(x, [b, s, nh, hd])
        return self.op("Transpose", [r], perm=list(perm))


# ------------------------------------------------------------------------------------------
# CNNs
# ------------------------------------------------------------------------------------------
def resnet50(small):
    g = Graph("resnet50", 50)
    blocks = [1, 1, 1, 1] if small else [3, 4, 6, 3]
    base = 16 if small else 64
    res = 64 if small else 224
    classes = 10 if small else 1000
    x = g.input("input", FLOAT, ["batch", 3, res, res])
    # the stem's BatchNormalization is left unfused (an export with do_constant_folding off)
    with g.scope("conv1"):
        y = g.conv(x, 3, base, 7, 2, 3, bias=False)
    with g.scope("bn1"):
        y = g.bn(y, base)
    with g.scope("relu"):
        y = g.relu(y)
    with g.scope("maxpool"):
        y = g.op("MaxPool", [y], ceil_mode=0, kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2])
    cin = base
    for li, n in enumerate(blocks):
        w = base * (2 ** li)
        for bi in range(n):
            stride = 2 if (bi == 0 and li > 0) else 1
            with g.scope(f"layer{li + 1}", f"layer{li + 1}.{bi}"):
                with g.scope("conv1"):
                    h = g.conv(y, cin, w, 1, 1, 0)
                with g.scope("relu"):
                    h = g.relu(h)
                with g.scope("conv2"):
                    h = g.conv(h, w, w, 3, stride, 1)
                with g.scope("relu_1"):
                    h = g.relu(h)
                with g.scope("conv3"):
                    h = g.conv(h, w, w * 4, 1, 1, 0, gain=0.5)
                if bi == 0:
                    with g.scope("downsample", "downsample.0"):
                        sc = g.conv(y, cin, w * 4, 1, stride, 0, bias=(li % 2 == 1))
                    if li % 2 == 0:  # unfused in layer1 and layer3
                        with g.scope("downsample", "downsample.1"):
                            sc = g.bn(sc, w * 4)
                else:
                    sc = y
                with g.scope("add"):
                    y = g.op("Add", [h, sc])
                with g.scope("relu_2"):
                    y = g.relu(y)
            cin = w * 4
    with g.scope("avgpool"):
        y = g.op("GlobalAveragePool", [y])
    with g.scope("flatten"):
        y = g.op("Flatten", [y], axis=1)
    with g.scope("fc"):
        y = g.gemm(y, cin, classes)
    g.output(y, "output", FLOAT, ["batch", classes])
    return g.model()


def mobilenetv2(small):
    g = Graph("mobilenetv2", 2)
    width = 0.25 if small else 1.0
    res = 64 if small else 224
    classes = 10 if small else 1000
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1)]
    if small:
        settings = [(t, c, 1, s) for t, c, n, s in settings]
    x = g.input("input", FLOAT, ["batch", 3, res, res])
    cin = _div8(32 * width)
    last = _div8(1280 * width)
    fi = 0
    with g.scope("features", f"features.{fi}"):
        with g.scope("features.0.0"):
            y = g.conv(x, 3, cin, 3, 2, 1, bias=False)
        with g.scope("features.0.1"):
            y = g.bn(y, cin)  # unfused
        with g.scope("features.0.2"):
            y = g.relu6(y)
    for t, c, n, s in settings:
        cout = _div8(c * width)
        for i in range(n):
            fi += 1
            stride = s if i == 0 else 1
            hidden = int(round(cin * t))
            with g.scope("features", f"features.{fi}", "conv"):
                h, k = y, 0
                if t != 1:
                    with g.scope(f"conv.{k}", f"conv.{k}.0"):
                        h = g.conv(h, cin, hidden, 1, 1, 0)
                    with g.scope(f"conv.{k}", f"conv.{k}.2"):
                        h = g.relu6(h)
                    k += 1
                with g.scope(f"conv.{k}", f"conv.{k}.0"):
                    h = g.conv(h, hidden, hidden, 3, stride, 1, groups=hidden)
                with g.scope(f"conv.{k}", f"conv.{k}.2"):
                    h = g.relu6(h)
                with g.scope(f"conv.{k + 1}"):
                    h = g.conv(h, hidden, cout, 1, 1, 0, gain=1.0)
            if stride == 1 and cin == cout:
                with g.scope("features", f"features.{fi}"):
                    h = g.op("Add", [y, h])
            y, cin = h, cout
    fi += 1
    with g.scope("features", f"features.{fi}"):
        with g.scope(f"features.{fi}.0"):
            y = g.conv(y, cin, last, 1, 1, 0)
        with g.scope(f"features.{fi}.2"):
            y = g.relu6(y)
    y = g.op("GlobalAveragePool", [y])
    y = g.op("Flatten", [y], axis=1)
    with g.scope("classifier", "classifier.1"):
        y = g.gemm(y, last, classes)
    g.output(y, "output", FLOAT, ["batch", classes])
    return g.model()


def efficientnet_b0(small):
    g = Graph("efficientnet_b0", 0)
    width = 0.25 if small else 1.0
    res = 64 if small else 224
    classes = 10 if small else 1000
    # expand ratio, kernel, stride, in, out, layers
    cfg = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
           (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]
    silu_gain, proj_gain = (1.68, 2.0) if small else (1.55, 1.5)
    x = g.input("input", FLOAT, ["batch", 3, res, res])
    stem = _div8(32 * width)
    with g.scope("features", "features.0"):
        with g.scope("features.0.0"):
            y = g.conv(x, 3, stem, 3, 2, 1, bias=False, gain=silu_gain)
        with g.scope("features.0.1"):
            y = g.bn(y, stem)  # unfused
        with g.scope("features.0.2"):
            y = g.silu(y)
    cin = stem
    for si, (t, k, s, _cin, c, n) in enumerate(cfg):
        cout = _div8(c * width)
        for i in range(1 if small else n):
            stride = s if i == 0 else 1
            hidden = _div8(cin * t)
            squeeze = max(1, cin // 4)
            with g.scope("features", f"features.{si + 1}", f"features.{si + 1}.{i}", "block"):
                h, j = y, 0
                if t != 1:
                    with g.scope(f"block.{j}", f"block.{j}.0"):
                        h = g.conv(h, cin, hidden, 1, 1, 0, gain=silu_gain)
                    with g.scope(f"block.{j}", f"block.{j}.2"):
                        h = g.silu(h)
                    j += 1
                with g.scope(f"block.{j}", f"block.{j}.0"):
                    h = g.conv(h, hidden, hidden, k, stride, k // 2, groups=hidden, gain=silu_gain)
                with g.scope(f"block.{j}", f"block.{j}.2"):
                    h = g.silu(h)
                j += 1
                with g.scope(f"block.{j}"):  # squeeze-excitation
                    with g.scope("avgpool"):
                        sq = g.op("GlobalAveragePool", [h])
                    with g.scope("fc1"):
                        sq = g.conv(sq, hidden, squeeze, 1, 1, 0, gain=silu_gain)
                    with g.scope("activation"):
                        sq = g.silu(sq)
                    with g.scope("fc2"):
                        sq = g.conv(sq, squeeze, hidden, 1, 1, 0, gain=1.0)
                    with g.scope("scale_activation"):
                        sq = g.op("Sigmoid", [sq])
                    h = g.op("Mul", [sq, h])
                j += 1
                with g.scope(f"block.{j}", f"block.{j}.0"):
                    h = g.conv(h, hidden, cout, 1, 1, 0, gain=proj_gain)  # makes up for the SE gate
            if stride == 1 and cin == cout:
                with g.scope("features", f"features.{si + 1}", f"features.{si + 1}.{i}"):
                    h = g.op("Add", [h, y])
            y, cin = h, cout
    last = 4 * cin
    with g.scope("features", "features.8"):
        with g.scope("features.8.0"):
            y = g.conv(y, cin, last, 1, 1, 0, gain=silu_gain)
        with g.scope("features.8.2"):
            y = g.silu(y)
    with g.scope("avgpool"):
        y = g.op("GlobalAveragePool", [y])
    y = g.op("Flatten", [y], axis=1)
    with g.scope("classifier", "classifier.1"):
        y = g.gemm(y, last, classes)
    g.output(y, "output", FLOAT, ["batch", classes])
    return g.model()


# ------------------------------------------------------------------------------------------
# transformers
# ------------------------------------------------------------------------------------------
def vit_b16(small):
    g = Graph("vit_b16", 16)
    if small:
        res, patch, dim, depth, nh, mlp, classes = 32, 8, 64, 2, 2, 128, 10
    else:
        res, patch, dim, depth, nh, mlp, classes = 224, 16, 768, 12, 12, 3072, 1000
    hd = dim // nh
    ntok = (res // patch) ** 2 + 1
    x = g.input("pixel_values", FLOAT, ["batch", 3, res, res])
    with g.scope("patch_embed", "patch_embed.proj"):
        y = g.conv(x, 3, dim, patch, patch, 0, gain=1.0)
    with g.scope("patch_embed"):  # x.flatten(2).transpose(1, 2)
        s = g.op("Shape", [y])
        lead = g.op("Slice", [s, g.const([0]), g.const([2]), g.const([0])])
        y = g.op("Reshape", [y, g.op("Concat", [lead, g.const([-1])], axis=0)])
        y = g.op("Transpose", [y], perm=[0, 2, 1])
    cls = g.param("cls_token", g.randn((1, 1, dim), 0.5))
    pos = g.param("pos_embed", g.randn((1, ntok, dim), 0.5))
    b = g.dim(y, 0)
    cls = g.op("Expand", [cls, g.shape_of([b, 1, dim])])
    y = g.op("Concat", [cls, y], axis=1)
    y = g.op("Add", [y, pos])
    scale = 1.0 / math.sqrt(hd)
    for li in range(depth):
        with g.scope("blocks", f"blocks.{li}"):
            with g.scope("norm1"):
                h = g.layernorm(y, dim, 1e-6)
            with g.scope("attn"):
                b = g.dim(h, 0)
                n = g.dim(h, 1)
                with g.scope("qkv"):
                    qkv = g.linear(h, dim, 3 * dim)
                qkv = g.reshape(qkv, [b, n, 3, nh, hd])
                qkv = g.op("Transpose", [qkv], perm=[2, 0, 3, 1, 4])
                q = g.op("Gather", [qkv, g.const(0)], axis=0)
                k = g.op("Gather", [qkv, g.const(1)], axis=0)
                v = g.op("Gather", [qkv, g.const(2)], axis=0)
                q = g.op("Mul", [q, g.const(scale, np.float32)])
                kt = g.op("Transpose", [k], perm=[0, 1, 3, 2])
                a = g.op("MatMul", [q, kt])
                a = g.op("Softmax", [a], axis=-1)
                o = g.op("MatMul", [a, v])
                o = g.op("Transpose", [o], perm=[0, 2, 1, 3])
                o = g.reshape(o, [b, n, dim])
                with g.scope("proj"):
                    o = g.linear(o, dim, dim, gain=0.5)
            y = g.op("Add", [y, o])
            with g.scope("norm2"):
                h = g.layernorm(y, dim, 1e-6)
            with g.scope("mlp"):
                with g.scope("fc1"):
                    h = g.linear(h, dim, mlp)
                with g.scope("act"):
                    h = g.gelu_erf(h)
                with g.scope("fc2"):
                    h = g.linear(h, mlp, dim, gain=0.5)
            y = g.op("Add", [y, h])
    with g.scope("norm"):
        y = g.layernorm(y, dim, 1e-6)
    y = g.op("Gather", [y, g.const(0)], axis=1)  # x[:, 0]
    with g.scope("head"):
        y = g.gemm(y, dim, classes)
    g.output(y, "logits", FLOAT, ["batch", classes])
    return g.model()


BERT_SEQ = {False: 128, True: 16}


def bert_base(small):
    g = Graph("bert_base", 768)
    if small:
        vocab, dim, depth, nh, inter, maxpos = 1000, 128, 2, 2, 512, 64
    else:
        vocab, dim, depth, nh, inter, maxpos = 30522, 768, 12, 12, 3072, 512
    seq = BERT_SEQ[small]
    hd = dim // nh
    ids = g.input("input_ids", INT64, ["batch", seq])
    mask = g.input("attention_mask", INT64, ["batch", seq])
    tt = g.input("token_type_ids", INT64, ["batch", seq])
    # extended attention mask: (1 - mask[:, None, None, :].float()) * -10000
    with g.scope("bert"):
        m = g.unsq(mask, [1])
        m = g.unsq(m, [2])
        m = g.op("Cast", [m], to=FLOAT)
        m = g.op("Sub", [g.const(1.0, np.float32), m])
        ext = g.op("Mul", [m, g.const(-10000.0, np.float32)])
        with g.scope("embeddings"):
            s = g.dim(ids, 1)
            pos_ids = g.param("position_ids", np.arange(maxpos, dtype=np.int64)[None, :])
            pos_ids = g.op("Slice", [pos_ids, g.const([0]), g.unsq(s, [0]), g.const([1]), g.const([1])])
            with g.scope("word_embeddings"):
                e = g.op("Gather", [g.param("weight", g.randn((vocab, dim), 0.5)), ids])
            with g.scope("token_type_embeddings"):
                t = g.op("Gather", [g.param("weight", g.randn((2, dim), 0.5)), tt])
            e = g.op("Add", [e, t])
            with g.scope("position_embeddings"):
                p = g.op("Gather", [g.param("weight", g.randn((maxpos, dim), 0.5)), pos_ids])
            e = g.op("Add", [e, p])
            with g.scope("LayerNorm"):
                y = g.layernorm(e, dim, 1e-12, decomposed=True)
        for li in range(depth):
            with g.scope("encoder", f"encoder.layer.{li}"):
                with g.scope("attention"):
                    with g.scope("self"):
                        b = g.dim(y, 0)
                        n = g.dim(y, 1)
                        with g.scope("query"):
                            q = g.linear(y, dim, dim)
                        with g.scope("key"):
                            k = g.linear(y, dim, dim)
                        with g.scope("value"):
                            v = g.linear(y, dim, dim)
                        q = g.heads(q, b, n, nh, hd)
                        kt = g.heads(k, b, n, nh, hd, perm=(0, 2, 3, 1))
                        v = g.heads(v, b, n, nh, hd)
                        a = g.op("MatMul", [q, kt])
                        a = g.op("Div", [a, g.const(math.sqrt(hd), np.float32)])
                        a = g.op("Add", [a, ext])
                        a = g.op("Softmax", [a], axis=-1)
                        o = g.op("MatMul", [a, v])
                        o = g.op("Transpose", [o], perm=[0, 2, 1, 3])
                        o = g.reshape(o, [g.dim(o, 0), g.dim(o, 1), dim])
                    with g.scope("output"):
                        with g.scope("dense"):
                            o = g.linear(o, dim, dim, gain=0.5)
                        o = g.op("Add", [o, y])
                        with g.scope("LayerNorm"):
                            y = g.layernorm(o, dim, 1e-12, decomposed=True)
                with g.scope("intermediate"):
                    with g.scope("dense"):
                        h = g.linear(y, dim, inter)
                    with g.scope("intermediate_act_fn"):
                        h = g.gelu_erf(h)
                with g.scope("output"):
                    with g.scope("dense"):
                        h = g.linear(h, inter, dim, gain=0.5)
                    h = g.op("Add", [h, y])
                    with g.scope("LayerNorm"):
                        y = g.layernorm(h, dim, 1e-12, decomposed=True)
        last = y
        with g.scope("pooler"):
            f = g.op("Gather", [y, g.const(0)], axis=1)
            with g.scope("dense"):
                f = g.gemm(f, dim, dim)
            with g.scope("activation"):
                pooled = g.op("Tanh", [f])
    g.output(last, "last_hidden_state", FLOAT, ["batch", seq, dim])
    g.output(pooled, "pooler_output", FLOAT, ["batch", dim])
    return g.model()


def gpt_decoder(small):
    g = Graph("gpt_decoder", 2019)
    if small:
        vocab, dim, depth, nh, npos = 1000, 128, 2, 4, 64
    else:
        vocab, dim, depth, nh, npos = 50257, 768, 12, 12, 1024
    hd = dim // nh
    ids = g.input("input_ids", INT64, ["batch", "seq"])
    with g.scope("transformer"):
        s = g.dim(ids, 1)
        pos = g.op("Range", [g.const(0), s, g.const(1)])     # torch.arange(seq)
        pos = g.unsq(pos, [0])
        wte_w = g.randn((vocab, dim), 0.5)
        wte = g.param("wte.weight", wte_w)
        with g.scope("wte"):
            e = g.op("Gather", [wte, ids])
        with g.scope("wpe"):
            p = g.op("Gather", [g.param("weight", g.randn((npos, dim), 0.5)), pos])
        y = g.op("Add", [e, p])
        # causal mask from the dynamic length: future[i, j] = i < j
        r = g.op("Range", [g.const(0), s, g.const(1)])
        rows = g.unsq(r, [1])
        cols = g.unsq(r, [0])
        future = g.op("Less", [rows, cols])
        future = g.unsq(future, [0, 1])
        neg = g.const(np.finfo(np.float32).min, np.float32)
        for li in range(depth):
            with g.scope("h", f"h.{li}"):
                with g.scope("ln_1"):
                    h = g.layernorm(y, dim, 1e-5)
                with g.scope("attn"):
                    b = g.dim(h, 0)
                    n = g.dim(h, 1)
                    with g.scope("c_attn"):
                        qkv = g.linear(h, dim, 3 * dim)
                    q, k, v = g.op("Split", [qkv, g.const([dim, dim, dim])], outputs=3, axis=2)
                    q = g.heads(q, b, n, nh, hd)
                    k = g.heads(k, b, n, nh, hd)
                    v = g.heads(v, b, n, nh, hd)
                    kt = g.op("Transpose", [k], perm=[0, 1, 3, 2])
                    a = g.op("MatMul", [q, kt])
                    a = g.op("Div", [a, g.const(math.sqrt(hd), np.float32)])
                    a = g.op("Where", [future, neg, a])
                    a = g.op("Softmax", [a], axis=-1)
                    o = g.op("MatMul", [a, v])
                    o = g.op("Transpose", [o], perm=[0, 2, 1, 3])
                    o = g.reshape(o, [b, n, dim])
                    with g.scope("c_proj"):
                        o = g.linear(o, dim, dim, gain=0.5)
                y = g.op("Add", [o, y])
                with g.scope("ln_2"):
                    h = g.layernorm(y, dim, 1e-5)
                with g.scope("mlp"):
                    with g.scope("c_fc"):
                        h = g.linear(h, dim, 4 * dim)
                    with g.scope("act"):
                        h = g.gelu_tanh(h)
                    with g.scope("c_proj"):
                        h = g.linear(h, 4 * dim, dim, gain=0.5)
                y = g.op("Add", [y, h])
        with g.scope("ln_f"):
            y = g.layernorm(y, dim, 1e-5)
    with g.scope("lm_head"):  # tied to wte: the exporter writes the transposed copy
        logits = g.op("MatMul", [y, g.anon(wte_w.T)])
    g.output(logits, "logits", FLOAT, ["batch", "seq", vocab])
    return g.model()


# ------------------------------------------------------------------------------------------
# YOLO-style detector
# ------------------------------------------------------------------------------------------
def yolo_detector(small):
    g = Graph("yolo_detector", 5)
    if small:
        res, w, nc, depth = 64, [8, 16, 32, 64, 64], 3, [1, 1, 1, 1]
    else:
        res, w, nc, depth = 640, [16, 32, 64, 128, 256], 80, [1, 2, 3, 1]
    na, no = 3, nc + 5
    anchors = np.array([[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119], [116, 90, 156, 198, 373, 326]],
                       np.float32).reshape(3, 3, 2)
    strides = [8, 16, 32]
    counter = [0]

    def cbs(x, cin, cout, k=1, s=1, unfused=False):
        """Conv + (BatchNorm folded) + SiLU, as a YOLOv5 export."""
        i = counter[0]
        counter[0] += 1
        with g.scope(f"cv{i}"):
            if unfused:
                y = g.conv(x, cin, cout, k, s, k // 2, bias=False, gain=SILU_GAIN)
                y = g.bn(y, cout)
            else:
                y = g.conv(x, cin, cout, k, s, k // 2, gain=SILU_GAIN)
            return g.silu(y)

    def c3(x, cin, cout, n, shortcut=True):
        c_ = cout // 2
        a = cbs(x, cin, c_)
        b = cbs(x, cin, c_)
        for _ in range(n):
            h = cbs(a, c_, c_, 1)
            h = cbs(h, c_, c_, 3)
            a = g.op("Add", [a, h]) if shortcut else h
        y = g.op("Concat", [a, b], axis=1)
        return cbs(y, 2 * c_, cout)

    def c2f(x, cin, cout, n):
        c = cout // 2
        y = cbs(x, cin, 2 * c)
        parts = list(g.op("Split", [y, g.const([c, c])], outputs=2, axis=1))
        for _ in range(n):
            h = cbs(parts[-1], c, c, 3)
            h = cbs(h, c, c, 3)
            parts.append(h)
        y = g.op("Concat", parts, axis=1)
        return cbs(y, (2 + n) * c, cout)

    def sppf(x, cin, cout):
        c_ = cin // 2
        y = cbs(x, cin, c_)
        p1 = g.op("MaxPool", [y], ceil_mode=0, kernel_shape=[5, 5], pads=[2, 2, 2, 2], strides=[1, 1])
        p2 = g.op("MaxPool", [p1], ceil_mode=0, kernel_shape=[5, 5], pads=[2, 2, 2, 2], strides=[1, 1])
        p3 = g.op("MaxPool", [p2], ceil_mode=0, kernel_shape=[5, 5], pads=[2, 2, 2, 2], strides=[1, 1])
        return cbs(g.op("Concat", [y, p1, p2, p3], axis=1), 4 * c_, cout)

    def up(x):
        return g.op("Resize", [x, "", g.const([1.0, 1.0, 2.0, 2.0], np.float32)],
                    coordinate_transformation_mode="asymmetric", cubic_coeff_a=-0.75, mode="nearest",
                    nearest_mode="floor")

    x = g.input("images", FLOAT, ["batch", 3, res, res])
    with g.scope("model.0"):  # Focus: space-to-depth with strided Slices
        sl = []
        for hs, ws in [(0, 0), (1, 0), (0, 1), (1, 1)]:
            sl.append(g.op("Slice", [x, g.const([hs, ws]), g.const([np.iinfo(np.int64).max] * 2), g.const([2, 3]),
                                     g.const([2, 2])]))
        y = g.op("Concat", sl, axis=1)
        y = cbs(y, 12, w[0], 3, unfused=True)
    with g.scope("model.1"):
        y = cbs(y, w[0], w[1], 3, 2)
    with g.scope("model.2"):
        y = c3(y, w[1], w[1], depth[0])
    with g.scope("model.3"):
        y = cbs(y, w[1], w[2], 3, 2)
    with g.scope("model.4"):
        p3 = c3(y, w[2], w[2], depth[1])
    with g.scope("model.5"):
        y = cbs(p3, w[2], w[3], 3, 2)
    with g.scope("model.6"):
        p4 = c3(y, w[3], w[3], depth[2])
    with g.scope("model.7"):
        y = cbs(p4, w[3], w[4], 3, 2)
    with g.scope("model.8"):
        y = c3(y, w[4], w[4], depth[3])
    with g.scope("model.9"):
        y = sppf(y, w[4], w[4])
    # neck (PAN)
    with g.scope("model.10"):
        h1 = cbs(y, w[4], w[3])
    with g.scope("model.11"):
        y = g.op("Concat", [up(h1), p4], axis=1)
    with g.scope("model.12"):
        y = c2f(y, 2 * w[3], w[3], 1)
    with g.scope("model.13"):
        h3 = cbs(y, w[3], w[2])
    with g.scope("model.14"):
        y = g.op("Concat", [up(h3), p3], axis=1)
    with g.scope("model.15"):
        o3 = c2f(y, 2 * w[2], w[2], 1)
    with g.scope("model.16"):
        y = cbs(o3, w[2], w[2], 3, 2)
        y = g.op("Concat", [y, h3], axis=1)
    with g.scope("model.17"):
        o4 = c2f(y, 2 * w[2], w[3], 1)
    with g.scope("model.18"):
        y = cbs(o4, w[3], w[3], 3, 2)
        y = g.op("Concat", [y, h1], axis=1)
    with g.scope("model.19"):
        o5 = c2f(y, 2 * w[3], w[4], 1)
    # Detect: per level conv -> view(bs, na, no, ny, nx) -> permute -> sigmoid -> split -> decode
    outs = []
    with g.scope("model.24"):
        for i, (f, c) in enumerate([(o3, w[2]), (o4, w[3]), (o5, w[4])]):
            ny = nx = res // strides[i]
            with g.scope("m", f"m.{i}"):
                p = g.conv(f, c, na * no, 1, 1, 0, gain=1.0)
            bs = g.dim(p, 0)
            p = g.reshape(p, [bs, na, no, ny, nx])
            p = g.op("Transpose", [p], perm=[0, 1, 3, 4, 2])
            p = g.op("Sigmoid", [p])
            xy, wh, conf = g.op("Split", [p, g.const([2, 2, nc + 1])], outputs=3, axis=4)
            yv, xv = np.meshgrid(np.arange(ny, dtype=np.float32), np.arange(nx, dtype=np.float32), indexing="ij")
            grid = (np.stack((xv, yv), 2)[None, None] - 0.5).astype(np.float32)   # [1,1,ny,nx,2]
            grid = np.broadcast_to(grid, (1, na, ny, nx, 2)).copy()
            agrid = np.broadcast_to(anchors[i].reshape(1, na, 1, 1, 2), (1, na, ny, nx, 2)).copy()
            xy = g.op("Mul", [xy, g.const(2.0, np.float32)])
            xy = g.op("Add", [xy, g.const(grid, np.float32)])
            xy = g.op("Mul", [xy, g.const(float(strides[i]), np.float32)])
            wh = g.op("Mul", [wh, g.const(2.0, np.float32)])
            wh = g.op("Pow", [wh, g.const(2.0, np.float32)])
            wh = g.op("Mul", [wh, g.const(agrid, np.float32)])
            y = g.op("Concat", [xy, wh, conf], axis=4)
            outs.append(g.reshape(y, [bs, na * ny * nx, no]))
        det = g.op("Concat", outs, axis=1)
    n = sum(na * (res // s) ** 2 for s in strides)
    g.output(det, "output0", FLOAT, ["batch", n, no])
    return g.model()


# ------------------------------------------------------------------------------------------
# the registry
# ------------------------------------------------------------------------------------------
MODELS = {
    "resnet50": resnet50,
    "mobilenetv2": mobilenetv2,
    "efficientnet_b0": efficientnet_b0,
    "vit_b16": vit_b16,
    "bert_base": bert_base,
    "gpt_decoder": gpt_decoder,
    "yolo_detector": yolo_detector,
}

# Parts of an output compared on their own as well (slices of the last axis): YOLO's decoded
# boxes are hundreds of pixels and would hide errors in its scores (0..1) in one norm.
OUTPUT_PARTS = {
    "yolo_detector": {"output0": {"boxes": slice(0, 4), "scores": slice(4, None)}},
}

GPT_SEQ = (8, 16, 32)  # profile min / opt / max of gpt_decoder's "seq"


def make_model(name, small=False):
    return MODELS[name](small)


def file_name(name, small=False):
    return f"{name}_small.onnx" if small else f"{name}.onnx"


def _vocab(model):
    for t in model.graph.initializer:
        if t.name.endswith("word_embeddings.weight") or t.name == "transformer.wte.weight":
            return t.dims[0]
    return None


def make_inputs(model, batch, seq=None, seed=0):
    """Random inputs for `model` (a ModelProto): images ~ N(0, 1); token ids uniform over the
    vocabulary; BERT's attention mask pads the tail of every sequence but the first."""
    rng = np.random.default_rng(seed)
    vocab = _vocab(model)
    feeds = {}
    for vi in model.graph.input:
        dims = []
        for d in vi.type.tensor_type.shape.dim:
            if d.dim_param == "batch":
                dims.append(batch)
            elif d.dim_param == "seq":
                dims.append(seq)
            else:
                dims.append(d.dim_value)
        if vi.type.tensor_type.elem_type == FLOAT:
            feeds[vi.name] = rng.standard_normal(dims).astype(np.float32)
        elif vi.name == "attention_mask":
            m = np.ones(dims, np.int64)
            for b in range(1, dims[0]):
                m[b, dims[1] - min(dims[1] - 1, 3 * b):] = 0
            feeds[vi.name] = m
        elif vi.name == "token_type_ids":
            t = np.zeros(dims, np.int64)
            t[:, dims[1] // 2:] = 1
            feeds[vi.name] = t
        else:
            feeds[vi.name] = rng.integers(0, vocab, dims, dtype=np.int64)
    return feeds


def profile_shapes(model, batch=(1, 2, 4), seq=GPT_SEQ):
    """Profile for every dynamic input: name -> (min, opt, max) shapes."""
    prof = {}
    for vi in model.graph.input:
        dims = vi.type.tensor_type.shape.dim
        if not any(d.dim_param for d in dims):
            continue
        shapes = []
        for k in range(3):
            shapes.append(tuple(batch[k] if d.dim_param == "batch" else seq[k] if d.dim_param == "seq"
                                else d.dim_value for d in dims))
        prof[vi.name] = tuple(shapes)
    return prof


def run_cases(model):
    """(batch, seq) pairs the tests run: batch 1 and 3; gpt_decoder at two lengths too."""
    if any(d.dim_param == "seq" for vi in model.graph.input for d in vi.type.tensor_type.shape.dim):
        return [(1, GPT_SEQ[0]), (3, 20)]
    return [(1, None), (3, None)]


def check(model, path=None):
    onnx.checker.check_model(path if path and model.ByteSize() > 2**31 - 1 else model, full_check=True)


def run_ort(path_or_bytes, feeds):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(path_or_bytes, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    default_out = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "models")
    ap.add_argument("--out", default=default_out, help="output directory (default: build/models of the source tree)")
    ap.add_argument("--small", action="store_true", help="reduced-size variants (for CI)")
    ap.add_argument("--only", default="", help="comma-separated model names (default: all)")
    ap.add_argument("--check", action="store_true",
                    help="also run each model with onnxruntime at batch 1 and 3 and check outputs are finite")
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(MODELS)
    for n in names:
        if n not in MODELS:
            ap.error(f"unknown model '{n}' (known: {', '.join(MODELS)})")
    os.makedirs(args.out, exist_ok=True)
    for n in names:
        t0 = time.perf_counter()
        model = make_model(n, args.small)
        path = os.path.join(args.out, file_name(n, args.small))
        onnx.save(model, path)
        check(model, path)
        params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
        msg = (f"{path}: {len(model.graph.node)} nodes, {params / 1e6:.2f} M parameters, "
               f"{os.path.getsize(path) / 2**20:.1f} MiB, {time.perf_counter() - t0:.1f} s")
        if args.check:
            for batch, seq in run_cases(model):
                outs = run_ort(path, make_inputs(model, batch, seq))
                for k, v in outs.items():
                    if not np.all(np.isfinite(v)):
                        raise SystemExit(f"{n}: onnxruntime output {k} is not finite at batch {batch}")
                msg += f"; ort b={batch}" + (f" s={seq}" if seq else "") + ": " + \
                    ", ".join(f"{k}{list(v.shape)} rms {np.sqrt(np.mean(v.astype(np.float64) ** 2)):.3g}"
                              for k, v in outs.items())
        print(msg, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
