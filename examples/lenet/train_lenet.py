#!/usr/bin/env python3
"""Trains LeNet-5 on scikit-learn's digits with NumPy alone and writes what the lenet
example needs, beside this script:

  lenet5.wts                tensorrtx weights (conv1.weight, conv1.bias, ..., fc3.bias)
  digits_test_images.npy    the held-out images, float32 [N, 1, 32, 32], normalized
  digits_test_labels.npy    their labels, int64 [N]

Data: the 1797 8x8 digits (pixel values 0..16) are scaled to [0, 1], upsampled to 32x32
by bilinear interpolation (half-pixel centres, edges clamped, as ONNX Resize "linear"
with half_pixel), then normalized with (x - MEAN) / STD, MEAN and STD being the training
images' pixel mean and standard deviation, rounded (printed when run). A fixed seed
splits them into 1400 training and 397 held-out images.

Architecture (tensorrtx's lenet, except for the pooling): tensorrtx uses average pooling;
this model uses max pooling, the common LeNet-5 variant, so that the example exercises
both the max and the fused-relu paths:
  data [N,1,32,32] -> conv1 6@5x5 (stride 1, no padding) -> relu -> maxpool 2x2 stride 2
  -> conv2 16@5x5 -> relu -> maxpool 2x2 stride 2 -> fc1 120 (on the flattened 16x5x5)
  -> relu -> fc2 84 -> relu -> fc3 10 -> softmax = prob [N,10]
Weights are in PyTorch/TensorRT layout: conv [K, C, kh, kw], fully connected [out, in],
fc1's input flattened in C, H, W order.

Training: im2col convolutions, cross-entropy, Adam (lr 2e-3 decayed by cosine), batch 32,
fixed seeds; the whole run is reproducible and takes a few seconds on two cores.
Usage: python3 train_lenet.py [--epochs N] [--out DIR]
"""
import argparse
import os
import struct
import sys
import time

import numpy as np
from sklearn.datasets import load_digits

SEED = 20240607
N_TRAIN = 1400
# The training images' pixel mean and std after scaling to [0, 1] and upsampling, rounded;
# train_lenet.py checks them against the data it sees and lenet.c documents them.
MEAN = 0.3055
STD = 0.3237

HERE = os.path.dirname(os.path.abspath(__file__))


# ---- data --------------------------------------------------------------------------------

def bilinear_matrix(n_in, n_out):
    """[n_out, n_in] matrix of 1-D linear interpolation, half-pixel centres, edges clamped."""
    m = np.zeros((n_out, n_in), dtype=np.float64)
    scale = n_in / n_out
    for o in range(n_out):
        x = (o + 0.5) * scale - 0.5
        x = min(max(x, 0.0), n_in - 1.0)
        x0 = int(np.floor(x))
        x1 = min(x0 + 1, n_in - 1)
        f = x - x0
        m[o, x0] += 1.0 - f
        m[o, x1] += f
    return m


def load_data():
    digits = load_digits()
    images = digits.images.astype(np.float64) / 16.0          # [1797, 8, 8] in [0, 1]
    labels = digits.target.astype(np.int64)
    r = bilinear_matrix(8, 32)
    up = np.einsum("oi,nij,pj->nop", r, images, r)             # [1797, 32, 32]
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(labels))
    train, test = order[:N_TRAIN], order[N_TRAIN:]
    mean, std = up[train].mean(), up[train].std()
    if abs(mean - MEAN) > 5e-4 or abs(std - STD) > 5e-4:
        print(f"note: training pixel mean {mean:.4f} std {std:.4f} differ from MEAN {MEAN} STD {STD}",
              file=sys.stderr)
    x = ((up - MEAN) / STD).astype(np.float32)[:, None, :, :]  # [1797, 1, 32, 32]
    return x[train], labels[train], x[test], labels[test], (mean, std)


# ---- layers ------------------------------------------------------------------------------

def im2col(x, k):
    """x [N, C, H, W] -> [N * OH * OW, C * k * k] for a k x k window, stride 1, no padding."""
    n, c, h, w = x.shape
    oh, ow = h - k + 1, w - k + 1
    s = x.strides
    cols = np.lib.stride_tricks.as_strided(x, (n, oh, ow, c, k, k), (s[0], s[2], s[3], s[1], s[2], s[3]))
    return cols.reshape(n * oh * ow, c * k * k), (n, oh, ow)


def col2im(dcols, x_shape, k):
    n, c, h, w = x_shape
    oh, ow = h - k + 1, w - k + 1
    d = dcols.reshape(n, oh, ow, c, k, k)
    dx = np.zeros(x_shape, dtype=dcols.dtype)
    for i in range(k):
        for j in range(k):
            dx[:, :, i:i + oh, j:j + ow] += d[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dx


def conv_forward(x, w, b):
    k = w.shape[2]
    cols, (n, oh, ow) = im2col(x, k)
    y = cols @ w.reshape(w.shape[0], -1).T + b
    return y.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2), cols


def conv_backward(dy, x_shape, cols, w):
    k = w.shape[2]
    dy2 = dy.transpose(0, 2, 3, 1).reshape(-1, w.shape[0])
    dw = (dy2.T @ cols).reshape(w.shape)
    db = dy2.sum(axis=0)
    dx = col2im(dy2 @ w.reshape(w.shape[0], -1), x_shape, k)
    return dx, dw, db


def maxpool_forward(x):
    n, c, h, w = x.shape
    xr = x.reshape(n, c, h // 2, 2, w // 2, 2)
    y = xr.max(axis=(3, 5))
    mask = xr == y[:, :, :, None, :, None]
    # keep one winner per window (ties go to the first), as the C kernels do
    flat = mask.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
    first = np.zeros_like(flat)
    idx = flat.argmax(axis=-1)
    np.put_along_axis(first, idx[..., None], True, axis=-1)
    return y, first


def maxpool_backward(dy, first, x_shape):
    n, c, h, w = x_shape
    d = first * dy[..., None]
    return d.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(x_shape)


PARAM_SHAPES = [
    ("conv1.weight", (6, 1, 5, 5)), ("conv1.bias", (6,)),
    ("conv2.weight", (16, 6, 5, 5)), ("conv2.bias", (16,)),
    ("fc1.weight", (120, 400)), ("fc1.bias", (120,)),
    ("fc2.weight", (84, 120)), ("fc2.bias", (84,)),
    ("fc3.weight", (10, 84)), ("fc3.bias", (10,)),
]


def init_params(rng):
    p = {}
    for name, shape in PARAM_SHAPES:
        if name.endswith(".bias"):
            p[name] = np.zeros(shape, dtype=np.float32)
        else:
            fan_in = int(np.prod(shape[1:]))
            p[name] = (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
    return p


def forward(p, x, keep=False):
    """Logits [N, 10]; with keep, also the intermediates the backward pass needs."""
    c1, cols1 = conv_forward(x, p["conv1.weight"], p["conv1.bias"])
    r1 = np.maximum(c1, 0)
    p1, m1 = maxpool_forward(r1)
    c2, cols2 = conv_forward(p1, p["conv2.weight"], p["conv2.bias"])
    r2 = np.maximum(c2, 0)
    p2, m2 = maxpool_forward(r2)
    f0 = p2.reshape(len(x), -1)
    h1 = np.maximum(f0 @ p["fc1.weight"].T + p["fc1.bias"], 0)
    h2 = np.maximum(h1 @ p["fc2.weight"].T + p["fc2.bias"], 0)
    logits = h2 @ p["fc3.weight"].T + p["fc3.bias"]
    if not keep:
        return logits
    return logits, dict(x=x, c1=c1, cols1=cols1, r1=r1, p1=p1, m1=m1, c2=c2, cols2=cols2, r2=r2, m2=m2,
                        f0=f0, h1=h1, h2=h2)


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def backward(p, cache, dlogits):
    g = {}
    h2, h1, f0 = cache["h2"], cache["h1"], cache["f0"]
    g["fc3.weight"] = dlogits.T @ h2
    g["fc3.bias"] = dlogits.sum(0)
    dh2 = (dlogits @ p["fc3.weight"]) * (h2 > 0)
    g["fc2.weight"] = dh2.T @ h1
    g["fc2.bias"] = dh2.sum(0)
    dh1 = (dh2 @ p["fc2.weight"]) * (h1 > 0)
    g["fc1.weight"] = dh1.T @ f0
    g["fc1.bias"] = dh1.sum(0)
    df0 = dh1 @ p["fc1.weight"]
    dr2 = maxpool_backward(df0.reshape(cache["r2"].shape[0], 16, 5, 5), cache["m2"], cache["r2"].shape)
    dc2 = dr2 * (cache["c2"] > 0)
    dp1, g["conv2.weight"], g["conv2.bias"] = conv_backward(dc2, cache["p1"].shape, cache["cols2"], p["conv2.weight"])
    dr1 = maxpool_backward(dp1, cache["m1"], cache["r1"].shape)
    dc1 = dr1 * (cache["c1"] > 0)
    _, g["conv1.weight"], g["conv1.bias"] = conv_backward(dc1, cache["x"].shape, cache["cols1"], p["conv1.weight"])
    return g


def accuracy(p, x, y, batch=256):
    correct = 0
    for i in range(0, len(x), batch):
        correct += int((forward(p, x[i:i + batch]).argmax(1) == y[i:i + batch]).sum())
    return correct / len(x)


def train(x, y, epochs, seed=SEED, batch=32, lr=2e-3):
    rng = np.random.default_rng(seed)
    p = init_params(rng)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    steps_per_epoch = (len(x) + batch - 1) // batch
    total, t = epochs * steps_per_epoch, 0
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        loss_sum = 0.0
        for i in range(0, len(x), batch):
            idx = order[i:i + batch]
            logits, cache = forward(p, x[idx], keep=True)
            prob = softmax(logits.astype(np.float64))
            loss_sum += float(-np.log(prob[np.arange(len(idx)), y[idx]] + 1e-12).sum())
            dlogits = prob
            dlogits[np.arange(len(idx)), y[idx]] -= 1.0
            dlogits = (dlogits / len(idx)).astype(np.float32)
            g = backward(p, cache, dlogits)
            t += 1
            step_lr = lr * 0.5 * (1.0 + np.cos(np.pi * (t - 1) / total))
            for k in p:
                m[k] = b1 * m[k] + (1 - b1) * g[k]
                v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k]
                mhat = m[k] / (1 - b1 ** t)
                vhat = v[k] / (1 - b2 ** t)
                p[k] = (p[k] - step_lr * mhat / (np.sqrt(vhat) + eps)).astype(np.float32)
        print(f"epoch {epoch + 1:2d}/{epochs}: loss {loss_sum / len(x):.4f}", flush=True)
    return p


# ---- output ------------------------------------------------------------------------------

def write_wts(path, params):
    """tensorrtx format: count, then per line name, element count and big-endian float hex."""
    with open(path, "w", newline="\n") as f:
        f.write(f"{len(params)}\n")
        for name, _ in PARAM_SHAPES:
            flat = np.ascontiguousarray(params[name], dtype=np.float32).ravel()
            hexs = flat.astype(">f4").tobytes().hex()
            words = [hexs[i:i + 8] for i in range(0, len(hexs), 8)]
            f.write(f"{name} {flat.size} " + " ".join(words) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--out", default=HERE, help="output directory (default: beside this script)")
    args = ap.parse_args()

    t0 = time.time()
    xtr, ytr, xte, yte, (mean, std) = load_data()
    print(f"digits: {len(xtr)} training, {len(xte)} held out; pixel mean {mean:.4f} std {std:.4f}")
    params = train(xtr, ytr, args.epochs)
    train_acc = accuracy(params, xtr, ytr)
    test_acc = accuracy(params, xte, yte)
    os.makedirs(args.out, exist_ok=True)
    write_wts(os.path.join(args.out, "lenet5.wts"), params)
    np.save(os.path.join(args.out, "digits_test_images.npy"), np.ascontiguousarray(xte, dtype=np.float32))
    np.save(os.path.join(args.out, "digits_test_labels.npy"), yte.astype(np.int64))
    print(f"training accuracy {train_acc:.4f}")
    print(f"held-out accuracy {test_acc:.4f} ({int(round(test_acc * len(yte)))}/{len(yte)})")
    print(f"wrote lenet5.wts, digits_test_images.npy, digits_test_labels.npy to {args.out} "
          f"in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
