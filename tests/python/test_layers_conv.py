"""Layer tier for convolution, deconvolution, pooling and resize: networks of one layer
built through the Python package, run with ingot.run_network and compared on random inputs
with NumPy references written here (tap by tap over padded arrays) and, for resize, with
the ONNX reference implementation (onnx.reference) when it is installed."""
import math

import numpy as np
import pytest

import ingot

P = ingot.PaddingMode
PT = ingot.PoolingType
RM = ingot.ResizeMode
RT = ingot.ResizeCoordinateTransformation
RR = ingot.ResizeRoundMode


def run_layer(logger, inputs, build, profiles=None):
    """Builds a network with `inputs` (dict name -> array, or name -> (array, declared shape)),
    adds the layer made by build(network, tensors), runs it and returns output 0."""
    net = ingot.Network(logger)
    try:
        arrays = {}
        tensors = {}
        for n, a in inputs.items():
            a, shape = a if isinstance(a, tuple) else (a, a.shape)
            arrays[n] = a
            tensors[n] = net.add_input(n, a.dtype, shape)
        layer = build(net, tensors)
        out = layer.get_output(0)
        out.name = "y"
        net.mark_output(out)
        return ingot.run_network(net, arrays, profiles=profiles, logger=logger)["y"]
    finally:
        net.close()


def rand(rng, *shape):
    return rng.uniform(-1, 1, size=shape).astype(np.float32)


# ---- geometry, restated from the ONNX spec -----------------------------------------------------

def same_pads(mode, size, k, s, d):
    out = -(-size // s)
    total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
    small, big = total // 2, total - total // 2
    return (small, big) if mode == P.SAME_UPPER else (big, small)


def resolve_pads(mode, in_sizes, ks, ss, ds, pre, post):
    if mode == P.EXPLICIT:
        return list(pre), list(post)
    if mode == P.VALID:
        return [0] * len(ks), [0] * len(ks)
    pads = [same_pads(mode, n, k, s, d) for n, k, s, d in zip(in_sizes, ks, ss, ds)]
    return [p[0] for p in pads], [p[1] for p in pads]


# ---- convolution -------------------------------------------------------------------------------

def ref_conv(x, w, b, stride, pre, post, dilation, groups):
    """Convolution as a sum over kernel taps of strided slices of the zero-padded input."""
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    ns = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + list(zip(pre, post)))
    N, C = x.shape[:2]
    K = w.shape[0]
    ks = w.shape[2:]
    out = [(xp.shape[2 + i] - dilation[i] * (ks[i] - 1) - 1) // stride[i] + 1 for i in range(ns)]
    y = np.zeros((N, K, *out))
    cpg, kpg = C // groups, K // groups
    for tap in np.ndindex(*ks):
        sl = tuple(slice(t * d, t * d + s * (o - 1) + 1, s) for t, d, s, o in zip(tap, dilation, stride, out))
        patch = xp[(slice(None), slice(None)) + sl]  # [N, C, *out]
        for g in range(groups):
            wg = w[(slice(g * kpg, (g + 1) * kpg), slice(None)) + tap]  # [kpg, cpg]
            y[:, g * kpg:(g + 1) * kpg] += np.einsum("nc...,kc->nk...", patch[:, g * cpg:(g + 1) * cpg], wg)
    if b is not None:
        y += b.reshape((1, K) + (1,) * ns)
    return y


CONV_CASES = [
    # name, x shape, K, kernel, stride, pre, post, dilation, groups, mode, bias
    ("3x3", (2, 3, 9, 8), 4, (3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 1, P.EXPLICIT, True),
    ("stride2_asym", (1, 2, 11, 10), 3, (3, 2), (2, 3), (2, 0), (1, 1), (1, 1), 1, P.EXPLICIT, True),
    ("dilated", (1, 3, 12, 11), 2, (3, 3), (1, 2), (2, 1), (0, 2), (2, 3), 1, P.EXPLICIT, False),
    ("groups", (2, 6, 7, 7), 4, (3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 2, P.EXPLICIT, True),
    ("depthwise", (1, 8, 9, 9), 8, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 8, P.EXPLICIT, True),
    ("depthwise_mult", (1, 4, 8, 7), 8, (5, 3), (1, 1), (2, 1), (2, 1), (1, 1), 4, P.EXPLICIT, True),
    ("odd_1x1", (3, 5, 7, 5), 3, (1, 1), (2, 3), (0, 0), (0, 0), (1, 1), 1, P.EXPLICIT, True),
    ("same_upper", (1, 3, 10, 9), 4, (3, 4), (2, 2), (0, 0), (0, 0), (1, 1), 1, P.SAME_UPPER, True),
    ("same_lower", (1, 3, 10, 9), 4, (4, 3), (3, 2), (0, 0), (0, 0), (1, 2), 1, P.SAME_LOWER, True),
    ("valid", (1, 3, 10, 9), 4, (3, 3), (2, 1), (0, 0), (0, 0), (1, 1), 1, P.VALID, False),
    ("1d", (2, 3, 17), 5, (5,), (2,), (2,), (1,), (1,), 1, P.EXPLICIT, True),
    ("1d_grouped_dilated", (1, 4, 20), 6, (3,), (1,), (3,), (0,), (4,), 2, P.EXPLICIT, True),
    ("3d", (1, 2, 6, 7, 5), 3, (3, 2, 3), (1, 2, 1), (1, 0, 1), (1, 1, 0), (1, 1, 1), 1, P.EXPLICIT, True),
    ("3d_strided_dilated", (2, 4, 7, 6, 8), 4, (2, 3, 2), (2, 1, 3), (0, 1, 1), (1, 1, 0), (2, 1, 1), 2,
     P.EXPLICIT, True),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_convolution(logger, rng, case):
    name, xs, K, ks, stride, pre, post, dil, groups, mode, has_bias = case
    x = rand(rng, *xs)
    w = rand(rng, K, xs[1] // groups, *ks)
    b = rand(rng, K) if has_bias else None
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_convolution_nd(
        t["x"], K, ks, w, b, stride=stride, pre_padding=pre, post_padding=post, dilation=dil, groups=groups,
        padding_mode=mode))
    p0, p1 = resolve_pads(mode, xs[2:], ks, stride, dil, pre, post)
    want = ref_conv(x, w, b, stride, p0, p1, dil, groups)
    assert y.shape == want.shape
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)


def test_convolution_hand(logger):
    """x = 1..9 as 3x3, w = [[1,2],[3,4]], bias 1: worked out by hand."""
    x = np.arange(1, 10, dtype=np.float32).reshape(1, 1, 3, 3)
    w = np.array([1, 2, 3, 4], dtype=np.float32).reshape(1, 1, 2, 2)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_convolution_nd(t["x"], 1, (2, 2), w, np.ones(1, np.float32)))
    np.testing.assert_array_equal(y, [[[[38, 48], [68, 78]]]])
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_convolution_nd(t["x"], 1, (2, 2), w, stride=(2, 2),
                                                                      padding=(1, 1)))
    np.testing.assert_array_equal(y, [[[[4, 18], [36, 77]]]])


def test_convolution_dynamic_batch(logger, rng):
    x = rand(rng, 3, 2, 8, 8)
    w = rand(rng, 4, 2, 3, 3)
    b = rand(rng, 4)
    y = run_layer(logger, {"x": (x, (-1, 2, 8, 8))},
                  lambda n, t: n.add_convolution_nd(t["x"], 4, (3, 3), w, b, padding=(1, 1)),
                  profiles=[{"x": ((1, 2, 8, 8), (2, 2, 8, 8), (4, 2, 8, 8))}])
    np.testing.assert_allclose(y, ref_conv(x, w, b, (1, 1), (1, 1), (1, 1), (1, 1), 1), rtol=1e-5, atol=1e-5)


def test_convolution_kernel_from_tensor(logger, rng):
    """Kernel weights fed by a network input through set_input(1, tensor)."""
    x = rand(rng, 1, 3, 7, 6)
    w = rand(rng, 5, 3, 3, 3)

    def build(n, t):
        layer = n.add_convolution_nd(t["x"], 5, (3, 3), np.zeros((5, 3, 3, 3), np.float32), padding=(1, 1))
        layer.set_input(1, t["w"])
        return layer

    y = run_layer(logger, {"x": x, "w": w}, build)
    np.testing.assert_allclose(y, ref_conv(x, w, None, (1, 1), (1, 1), (1, 1), (1, 1), 1), rtol=1e-5, atol=1e-5)


def test_convolution_kernel_tensor_mismatch(logger, rng):
    x = rand(rng, 1, 3, 7, 6)
    w = rand(rng, 5, 3, 2, 3)  # kernel_size says 3x3

    def build(n, t):
        layer = n.add_convolution_nd(t["x"], 5, (3, 3), np.zeros((5, 3, 3, 3), np.float32))
        layer.name = "conv_w"
        layer.set_input(1, t["w"])
        return layer

    with pytest.raises(ingot.IngotError) as err:
        run_layer(logger, {"x": x, "w": w}, build)
    msg = str(err.value)
    assert "conv_w" in msg and "5x3x2x3" in msg and "5x3x3x3" in msg, msg


def test_convolution_too_small_input(logger, rng):
    x = rand(rng, 1, 1, 4, 4)
    with pytest.raises(ingot.IngotError) as err:
        run_layer(logger, {"x": x}, lambda n, t: n.add_convolution_nd(t["x"], 1, (5, 5), rand(rng, 1, 1, 5, 5)))
    assert "expected >= 1" in str(err.value)


# ---- deconvolution -----------------------------------------------------------------------------

def ref_deconv(x, w, b, stride, pre, post, dilation, groups, output_padding):
    """Transposed convolution as a scatter: each tap adds x * w into a strided slice of the
    full (uncropped) output, which is then cropped by the padding."""
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    ns = x.ndim - 2
    N, C = x.shape[:2]
    ks = w.shape[2:]
    kpg = w.shape[1]
    K = kpg * groups
    cpg = C // groups
    full = [s * (n - 1) + d * (k - 1) + 1 + op for n, s, d, k, op in zip(x.shape[2:], stride, dilation, ks,
                                                                         output_padding)]
    y = np.zeros((N, K, *full))
    for tap in np.ndindex(*ks):
        sl = tuple(slice(t * d, t * d + s * (n - 1) + 1, s) for t, d, s, n in zip(tap, dilation, stride, x.shape[2:]))
        for g in range(groups):
            contrib = np.einsum("nc...,ck->nk...", x[:, g * cpg:(g + 1) * cpg], w[(slice(g * cpg, (g + 1) * cpg), slice(None)) + tap])
            y[(slice(None), slice(g * kpg, (g + 1) * kpg)) + sl] += contrib
    y = y[(slice(None), slice(None)) + tuple(slice(p, f - q) for p, q, f in zip(pre, post, full))]
    if b is not None:
        y = y + b.reshape((1, K) + (1,) * ns)
    return y


DECONV_CASES = [
    # name, x shape, K, kernel, stride, pre, post, dilation, groups, output_padding, mode
    ("plain", (2, 3, 5, 4), 2, (3, 3), (1, 1), (0, 0), (0, 0), (1, 1), 1, (0, 0), P.EXPLICIT),
    ("stride2_pad", (1, 2, 5, 4), 3, (3, 4), (2, 2), (1, 0), (1, 2), (1, 1), 1, (1, 0), P.EXPLICIT),
    ("stride3_outpad2", (1, 2, 4, 5), 2, (2, 3), (3, 2), (0, 1), (0, 0), (1, 1), 1, (2, 1), P.EXPLICIT),
    ("groups", (2, 4, 4, 5), 6, (3, 2), (2, 1), (1, 0), (0, 0), (1, 1), 2, (1, 0), P.EXPLICIT),
    ("depthwise", (1, 3, 5, 5), 3, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 3, (1, 1), P.EXPLICIT),
    ("dilated", (1, 2, 5, 4), 2, (3, 2), (2, 1), (0, 1), (1, 0), (2, 3), 1, (1, 2), P.EXPLICIT),
    ("same_upper", (1, 2, 4, 5), 3, (3, 4), (2, 2), (0, 0), (0, 0), (1, 1), 1, (0, 0), P.SAME_UPPER),
    ("same_lower", (1, 2, 4, 5), 3, (3, 4), (2, 2), (0, 0), (0, 0), (1, 1), 1, (1, 0), P.SAME_LOWER),
    ("1d", (2, 3, 7), 2, (4,), (3,), (1,), (2,), (1,), 1, (2,), P.EXPLICIT),
    ("3d", (1, 2, 3, 4, 3), 4, (2, 3, 2), (2, 1, 2), (0, 1, 0), (1, 0, 0), (1, 1, 1), 2, (1, 0, 0), P.EXPLICIT),
]


def deconv_same_pads(mode, in_sizes, ks, ss, ds, ops):
    pre, post = [], []
    for n, k, s, d, op in zip(in_sizes, ks, ss, ds, ops):
        total = s * (n - 1) + op + (k - 1) * d + 1 - n * s
        first = total // 2 if mode == P.SAME_UPPER else total - total // 2
        pre.append(first)
        post.append(total - first)
    return pre, post


@pytest.mark.parametrize("case", DECONV_CASES, ids=[c[0] for c in DECONV_CASES])
def test_deconvolution(logger, rng, case):
    name, xs, K, ks, stride, pre, post, dil, groups, op, mode = case
    x = rand(rng, *xs)
    w = rand(rng, xs[1], K // groups, *ks)
    b = rand(rng, K)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_deconvolution_nd(
        t["x"], K, ks, w, b, stride=stride, pre_padding=pre, post_padding=post, dilation=dil, groups=groups,
        padding_mode=mode, output_padding=op))
    if mode != P.EXPLICIT:
        pre, post = deconv_same_pads(mode, xs[2:], ks, stride, dil, op)
        assert y.shape[2:] == tuple(n * s for n, s in zip(xs[2:], stride))
    want = ref_deconv(x, w, b, stride, pre, post, dil, groups, op)
    assert y.shape == want.shape
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)


def test_deconvolution_hand(logger):
    """x = [1, 2], w = [1, 1, 1], stride 2 -> [1, 1, 3, 2, 2]."""
    x = np.array([[[1, 2]]], np.float32)
    w = np.ones((1, 1, 3), np.float32)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_deconvolution_nd(t["x"], 1, (3,), w, stride=(2,)))
    np.testing.assert_array_equal(y, [[[1, 1, 3, 2, 2]]])


# ---- pooling -----------------------------------------------------------------------------------

def pool_out_size(n, k, s, d, pre, post, ceil_mode):
    span = n + pre + post - d * (k - 1) - 1
    if not ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    if (out - 1) * s >= n + pre:
        out -= 1
    return out


def ref_pool(x, kind, ks, stride, pre, post, dilation, ceil_mode, exclude_padding):
    """Pooling over a padded array whose cells are tagged: input, padding, or beyond the
    padding (the extra cells ceil_mode reaches, which never count)."""
    x = x.astype(np.float64)
    ns = x.ndim - 2
    out = [pool_out_size(x.shape[2 + i], ks[i], stride[i], dilation[i], pre[i], post[i], ceil_mode)
           for i in range(ns)]
    extra = [max(0, (o - 1) * s + d * (k - 1) + 1 - (n + p + q))
             for o, s, d, k, n, p, q in zip(out, stride, dilation, ks, x.shape[2:], pre, post)]
    widths = [(0, 0), (0, 0)] + [(p, q + e) for p, q, e in zip(pre, post, extra)]
    vals = np.pad(x, widths)
    real = np.pad(np.ones(x.shape), widths)
    padded = np.pad(np.ones(x.shape), [(0, 0), (0, 0)] + list(zip(pre, post)), constant_values=1)
    padded = np.pad(padded, [(0, 0), (0, 0)] + [(0, e) for e in extra])
    acc = np.full(x.shape[:2] + tuple(out), -np.inf if kind == PT.MAX else 0.0)
    n_real = np.zeros(acc.shape)
    n_pad = np.zeros(acc.shape)
    for tap in np.ndindex(*ks):
        sl = (slice(None), slice(None)) + tuple(
            slice(t * d, t * d + s * (o - 1) + 1, s) for t, d, s, o in zip(tap, dilation, stride, out))
        v, r = vals[sl], real[sl]
        if kind == PT.MAX:
            acc = np.where(r > 0, np.maximum(acc, v), acc)
        else:
            acc += v * r
        n_real += r
        n_pad += padded[sl]
    if kind == PT.AVERAGE:
        acc /= n_real if exclude_padding else n_pad
    return acc


POOL_CASES = [
    # name, x shape, kind, window, stride, pre, post, dilation, ceil, exclude, mode
    ("max3x3s2", (2, 3, 9, 8), PT.MAX, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), False, True, P.EXPLICIT),
    ("max_asym", (1, 2, 8, 9), PT.MAX, (3, 2), (2, 3), (2, 0), (0, 1), (1, 1), False, True, P.EXPLICIT),
    ("avg_excl", (1, 2, 7, 9), PT.AVERAGE, (3, 2), (2, 3), (2, 0), (0, 1), (1, 1), False, True, P.EXPLICIT),
    ("avg_incl", (1, 2, 7, 9), PT.AVERAGE, (3, 2), (2, 3), (2, 0), (0, 1), (1, 1), False, False, P.EXPLICIT),
    ("max_ceil", (1, 3, 8, 7), PT.MAX, (3, 2), (2, 2), (0, 1), (0, 1), (1, 1), True, True, P.EXPLICIT),
    ("avg_ceil_incl", (1, 3, 8, 7), PT.AVERAGE, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), True, False, P.EXPLICIT),
    ("avg_ceil_excl", (1, 3, 8, 7), PT.AVERAGE, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), True, True, P.EXPLICIT),
    ("avg_ceil_nopad", (2, 2, 5, 7), PT.AVERAGE, (2, 3), (2, 2), (0, 0), (0, 0), (1, 1), True, False, P.EXPLICIT),
    ("max_dilated", (1, 2, 9, 10), PT.MAX, (3, 2), (1, 2), (1, 0), (1, 1), (2, 3), False, True, P.EXPLICIT),
    ("avg_dilated_incl", (1, 2, 9, 10), PT.AVERAGE, (3, 2), (2, 2), (2, 1), (2, 1), (2, 3), False, False,
     P.EXPLICIT),
    ("max_same_upper", (1, 2, 7, 8), PT.MAX, (3, 2), (2, 3), (0, 0), (0, 0), (1, 1), False, True, P.SAME_UPPER),
    ("avg_same_lower_incl", (1, 2, 7, 8), PT.AVERAGE, (4, 3), (2, 3), (0, 0), (0, 0), (1, 1), False, False,
     P.SAME_LOWER),
    ("avg_valid", (1, 2, 7, 8), PT.AVERAGE, (3, 3), (2, 2), (0, 0), (0, 0), (1, 1), False, True, P.VALID),
    ("max_1d", (3, 2, 11), PT.MAX, (4,), (3,), (2,), (1,), (1,), False, True, P.EXPLICIT),
    ("avg_1d_ceil_incl", (3, 2, 12), PT.AVERAGE, (4,), (3,), (1,), (1,), (1,), True, False, P.EXPLICIT),
    ("avg_3d_incl", (1, 2, 5, 6, 4), PT.AVERAGE, (2, 3, 2), (2, 2, 1), (1, 1, 0), (1, 0, 1), (1, 1, 1), False,
     False, P.EXPLICIT),
    ("max_3d_ceil", (1, 2, 5, 6, 4), PT.MAX, (2, 3, 2), (2, 2, 3), (0, 0, 0), (0, 0, 0), (1, 1, 1), True, True,
     P.EXPLICIT),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=[c[0] for c in POOL_CASES])
def test_pooling(logger, rng, case):
    name, xs, kind, ks, stride, pre, post, dil, ceil_mode, exclude, mode = case
    x = rand(rng, *xs)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_pooling_nd(
        t["x"], kind, ks, stride=stride, pre_padding=pre, post_padding=post, dilation=dil, padding_mode=mode,
        average_count_excludes_padding=exclude, ceil_mode=ceil_mode))
    p0, p1 = resolve_pads(mode, xs[2:], ks, stride, dil, pre, post)
    want = ref_pool(x, kind, ks, stride, p0, p1, dil, ceil_mode and mode == P.EXPLICIT, exclude)
    assert y.shape == want.shape
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)


def test_pooling_hand(logger):
    """x = [1,2,3,4,5], window 3, stride 2, padding 1: windows [p,1,2] [2,3,4] [4,5,p]."""
    x = np.arange(1, 6, dtype=np.float32).reshape(1, 1, 5)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_pooling_nd(t["x"], PT.AVERAGE, (3,), stride=(2,),
                                                                  padding=(1,)))
    np.testing.assert_allclose(y, [[[1.5, 3, 4.5]]])
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_pooling_nd(t["x"], PT.AVERAGE, (3,), stride=(2,), padding=(1,),
                                                                  average_count_excludes_padding=False))
    np.testing.assert_allclose(y, [[[1, 3, 3]]])
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_pooling_nd(t["x"], PT.MAX, (2,), stride=(2,), ceil_mode=True))
    np.testing.assert_array_equal(y, [[[2, 4, 5]]])


@pytest.mark.parametrize("kind", [PT.MAX, PT.AVERAGE], ids=["max", "avg"])
@pytest.mark.parametrize("shape", [(2, 3, 7), (2, 3, 5, 6), (1, 2, 3, 4, 5)], ids=["1d", "2d", "3d"])
def test_global_pooling(logger, rng, kind, shape):
    x = rand(rng, *shape)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_pooling_nd(t["x"], kind, global_pooling=True))
    axes = tuple(range(2, x.ndim))
    want = x.max(axis=axes, keepdims=True) if kind == PT.MAX else x.astype(np.float64).mean(axis=axes, keepdims=True)
    assert y.shape == want.shape
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)


# ---- resize ------------------------------------------------------------------------------------

TRANSFORM_NAMES = {RT.HALF_PIXEL: "half_pixel", RT.ASYMMETRIC: "asymmetric", RT.ALIGN_CORNERS: "align_corners",
                   RT.PYTORCH_HALF_PIXEL: "pytorch_half_pixel"}
ROUND_NAMES = {RR.HALF_DOWN: "round_prefer_floor", RR.HALF_UP: "round_prefer_ceil", RR.FLOOR: "floor",
               RR.CEIL: "ceil"}


def ref_resize_numpy(x, mode, transform, rounding, sizes, scales):
    """Separable resize in float64, one axis at a time, from the ONNX spec's formulas.
    Scales are float32 in ONNX (and in ingot), so they are rounded to float32 first."""
    y = x.astype(np.float64)
    if scales is not None:
        scales = [float(np.float32(s)) for s in scales]
    for ax in range(x.ndim):
        n = x.shape[ax]
        out = sizes[ax] if sizes is not None else int(math.floor(n * scales[ax]))
        scale = scales[ax] if scales is not None else out / n
        length = n * scale if scales is not None else out
        i = np.arange(out, dtype=np.float64)
        if transform == RT.HALF_PIXEL:
            c = (i + 0.5) / scale - 0.5
        elif transform == RT.ASYMMETRIC:
            c = i / scale
        elif transform == RT.ALIGN_CORNERS:
            c = np.zeros(out) if length == 1 else i * (n - 1) / (length - 1)
        else:
            c = (i + 0.5) / scale - 0.5 if length > 1 else np.zeros(out)
        if mode == RM.NEAREST:
            r = {RR.HALF_DOWN: np.ceil(c - 0.5), RR.HALF_UP: np.floor(c + 0.5), RR.FLOOR: np.floor(c),
                 RR.CEIL: np.ceil(c)}[rounding]
            y = np.take(y, np.clip(r, 0, n - 1).astype(np.int64), axis=ax)
        else:
            c = np.clip(c, 0, n - 1)
            lo = np.floor(c).astype(np.int64)
            hi = np.minimum(lo + 1, n - 1)
            f = (c - lo).reshape((-1,) + (1,) * (x.ndim - ax - 1))
            y = np.take(y, lo, axis=ax) * (1 - f) + np.take(y, hi, axis=ax) * f
    return y


def ref_resize_onnx(x, mode, transform, rounding, sizes, scales):
    """The ONNX reference implementation of Resize (opset 19), or None if onnx is missing."""
    try:
        import onnx
        from onnx import helper, TensorProto
        from onnx.reference import ReferenceEvaluator
    except ImportError:
        return None
    elem = helper.np_dtype_to_tensor_dtype(x.dtype)
    attrs = dict(mode="nearest" if mode == RM.NEAREST else "linear",
                 coordinate_transformation_mode=TRANSFORM_NAMES[transform])
    if mode == RM.NEAREST:
        attrs["nearest_mode"] = ROUND_NAMES[rounding]
    inputs = ["x", "", "scales"] if scales is not None else ["x", "", "", "sizes"]
    node = helper.make_node("Resize", inputs, ["y"], **attrs)
    inits = [helper.make_tensor("scales", TensorProto.FLOAT, [len(scales)], scales)] if scales is not None else \
        [helper.make_tensor("sizes", TensorProto.INT64, [len(sizes)], sizes)]
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", elem, x.shape)],
                              [helper.make_tensor_value_info("y", elem, None)], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
    return ReferenceEvaluator(model).run(None, {"x": x})[0]


RESIZE_SHAPES = [
    ("2d_up", (5, 4), (11, 9), None),
    ("2d_down", (9, 8), (4, 3), None),
    ("2d_to_1", (5, 4), (1, 7), None),
    ("2d_scales", (5, 6), None, (1.5, 0.7)),
    ("4d_up", (2, 3, 4, 5), (2, 3, 7, 10), None),
    ("4d_every_dim", (2, 3, 4, 5), (3, 2, 6, 3), None),
    ("4d_scales", (1, 2, 5, 4), None, (1.0, 1.0, 2.5, 0.6)),
]
RESIZE_MODES = [(RM.LINEAR, t, RR.HALF_DOWN) for t in TRANSFORM_NAMES] + \
               [(RM.NEAREST, t, r) for t in TRANSFORM_NAMES for r in ROUND_NAMES]


@pytest.mark.parametrize("shape_case", RESIZE_SHAPES, ids=[c[0] for c in RESIZE_SHAPES])
@pytest.mark.parametrize("mode,transform,rounding", RESIZE_MODES,
                         ids=["%s-%s%s" % ("linear" if m == RM.LINEAR else "nearest", TRANSFORM_NAMES[t],
                                           "" if m == RM.LINEAR else "-" + ROUND_NAMES[r]) for m, t, r in RESIZE_MODES])
def test_resize(logger, rng, shape_case, mode, transform, rounding):
    name, shape, sizes, scales = shape_case
    x = rand(rng, *shape)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_resize(
        t["x"], mode, shape=sizes, scales=scales, coordinate_transformation=transform, nearest_rounding=rounding))
    want = ref_resize_numpy(x, mode, transform, rounding, sizes, scales)
    assert y.shape == want.shape
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)
    onnx_want = ref_resize_onnx(x, mode, transform, rounding, sizes, scales)
    if onnx_want is not None:
        np.testing.assert_allclose(y, onnx_want, rtol=1e-5, atol=1e-6)


def test_resize_hand(logger):
    x = np.array([1, 2, 3, 4], np.float32)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_resize(t["x"], RM.LINEAR, shape=(8,)))
    np.testing.assert_allclose(y, [1, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4])
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_resize(t["x"], RM.LINEAR, shape=(7,),
                                                              coordinate_transformation=RT.ALIGN_CORNERS))
    np.testing.assert_allclose(y, [1, 1.5, 2, 2.5, 3, 3.5, 4])


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.float16])
def test_resize_nearest_any_dtype(logger, rng, dtype):
    x = rng.integers(0, 100, size=(2, 3, 4)).astype(dtype)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_resize(t["x"], RM.NEAREST, shape=(2, 5, 8),
                                                              coordinate_transformation=RT.ASYMMETRIC,
                                                              nearest_rounding=RR.FLOOR))
    want = ref_resize_numpy(x, RM.NEAREST, RT.ASYMMETRIC, RR.FLOOR, (2, 5, 8), None).astype(dtype)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, want)


def test_resize_linear_rejects_int(logger):
    x = np.arange(8, dtype=np.int32).reshape(2, 4)
    with pytest.raises(ingot.IngotError) as err:
        run_layer(logger, {"x": x}, lambda n, t: n.add_resize(t["x"], RM.LINEAR, shape=(4, 8)))
    assert "int32" in str(err.value)


def test_resize_output_dims_from_tensor(logger, rng):
    """Output dims fed as an int64 tensor (input 1) override the scales given to add_resize."""
    x = rand(rng, 1, 2, 4, 5)

    def build(n, t):
        layer = n.add_resize(t["x"], RM.LINEAR, scales=(1, 1, 3, 3))
        layer.set_input(1, n.add_constant(None, np.array([1, 2, 7, 3], np.int64)).get_output(0))
        return layer

    y = run_layer(logger, {"x": x}, build)
    want = ref_resize_numpy(x, RM.LINEAR, RT.HALF_PIXEL, RR.HALF_DOWN, (1, 2, 7, 3), None)
    assert y.shape == want.shape
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)


def test_float16_convolution_and_pooling(logger, rng):
    """float16 tensors: the builder casts around the float32 kernels; output stays float16."""
    x = rand(rng, 1, 3, 9, 8).astype(np.float16)
    w = rand(rng, 4, 3, 3, 3)
    b = rand(rng, 4)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_convolution_nd(t["x"], 4, (3, 3), w, b, padding=(1, 1)))
    assert y.dtype == np.float16
    want = ref_conv(x.astype(np.float32), w, b, (1, 1), (1, 1), (1, 1), (1, 1), 1)
    np.testing.assert_allclose(y.astype(np.float64), want, rtol=2e-3, atol=4e-3)
    y = run_layer(logger, {"x": x}, lambda n, t: n.add_pooling_nd(t["x"], PT.AVERAGE, (3, 3), stride=(2, 2),
                                                                  padding=(1, 1)))
    assert y.dtype == np.float16
    want = ref_pool(x.astype(np.float32), PT.AVERAGE, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), False, True)
    np.testing.assert_allclose(y.astype(np.float64), want, rtol=2e-3, atol=2e-3)
