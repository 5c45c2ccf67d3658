"""Layer tier for matrix multiply and fully connected: one-layer networks run with
ingot.run_network and compared with NumPy (float64) references on random inputs."""
import itertools

import numpy as np
import pytest

import ingot

M = ingot.MatrixOperation


def run_layer(logger, inputs, build):
    net = ingot.Network(logger)
    try:
        tensors = {n: net.add_input(n, a.dtype, a.shape) for n, a in inputs.items()}
        layer = build(net, tensors)
        out = layer.get_output(0)
        out.name = "y"
        net.mark_output(out)
        return ingot.run_network(net, inputs, logger=logger)["y"]
    finally:
        net.close()


def matmul_ref(a, op_a, b, op_b):
    """numpy.matmul with TensorRT's operand flags: TRANSPOSE swaps the last two dims,
    VECTOR makes the last dim a vector whose dim is dropped from the result."""
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    A = a[..., None, :] if op_a == M.VECTOR else (np.swapaxes(a, -1, -2) if op_a == M.TRANSPOSE else a)
    B = b[..., :, None] if op_b == M.VECTOR else (np.swapaxes(b, -1, -2) if op_b == M.TRANSPOSE else b)
    y = A @ B  # [..., M, N]
    if op_b == M.VECTOR:
        y = y[..., 0]  # drop N: M is now last
        if op_a == M.VECTOR:
            y = y[..., 0]
    elif op_a == M.VECTOR:
        y = y[..., 0, :]  # drop M
    return y


def operand_shape(batch, rows, k, op, is_b):
    """Stored shape of an operand whose logical matrix is [rows, k] for a / [k, rows] for b."""
    if op == M.VECTOR:
        return batch + (k,)
    if is_b:
        return batch + ((k, rows) if op == M.NONE else (rows, k))
    return batch + ((rows, k) if op == M.NONE else (k, rows))


OPS = list(itertools.product(list(M), list(M)))


@pytest.mark.parametrize("op_a,op_b", OPS, ids=[f"{a.name}-{b.name}" for a, b in OPS])
@pytest.mark.parametrize("batch_a,batch_b", [((), ()), ((3,), (3,)), ((2, 1), (4,)), ((), (2, 3))],
                         ids=["nobatch", "batch", "broadcast", "a-unbatched"])
def test_matrix_multiply(logger, rng, op_a, op_b, batch_a, batch_b):
    m, k, n = 3, 5, 4
    a = rng.uniform(-1, 1, size=operand_shape(batch_a, m, k, op_a, False)).astype(np.float32)
    b = rng.uniform(-1, 1, size=operand_shape(batch_b, n, k, op_b, True)).astype(np.float32)
    y = run_layer(logger, {"a": a, "b": b}, lambda net, t: net.add_matrix_multiply(t["a"], op_a, t["b"], op_b))
    want = matmul_ref(a, op_a, b, op_b)
    assert y.dtype == np.float32
    assert y.shape == want.shape
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)


def test_matrix_multiply_batch_broadcast(logger, rng):
    a = rng.uniform(-1, 1, size=(2, 1, 3, 4)).astype(np.float32)
    b = rng.uniform(-1, 1, size=(5, 4, 6)).astype(np.float32)
    y = run_layer(logger, {"a": a, "b": b}, lambda net, t: net.add_matrix_multiply(t["a"], M.NONE, t["b"], M.NONE))
    assert y.shape == (2, 5, 3, 6)
    np.testing.assert_allclose(y, np.matmul(a.astype(np.float64), b), rtol=1e-5, atol=1e-6)


def test_matrix_multiply_large(logger, rng):
    # big enough for several threads' chunks and a long K
    a = rng.uniform(-1, 1, size=(4, 37, 129)).astype(np.float32)
    b = rng.uniform(-1, 1, size=(129, 53)).astype(np.float32)
    y = run_layer(logger, {"a": a, "b": b}, lambda net, t: net.add_matrix_multiply(t["a"], M.NONE, t["b"], M.NONE))
    np.testing.assert_allclose(y, a.astype(np.float64) @ b, rtol=1e-5, atol=1e-5)


def test_matrix_multiply_with_constant_operand(logger, rng):
    x = rng.uniform(-1, 1, size=(3, 8)).astype(np.float32)
    w = rng.uniform(-1, 1, size=(6, 8)).astype(np.float32)
    net = ingot.Network(logger)
    try:
        xt = net.add_input("x", np.float32, x.shape)
        wt = net.add_constant(w.shape, w).get_output(0)
        out = net.add_matrix_multiply(xt, M.NONE, wt, M.TRANSPOSE).get_output(0)
        out.name = "y"
        net.mark_output(out)
        y = ingot.run_network(net, {"x": x}, logger=logger)["y"]
    finally:
        net.close()
    np.testing.assert_allclose(y, x.astype(np.float64) @ w.T, rtol=1e-5, atol=1e-6)


def test_matrix_multiply_errors(logger):
    a = np.ones((3, 4), np.float32)
    with pytest.raises(ingot.IngotError, match="K differs"):
        run_layer(logger, {"a": a, "b": np.ones((5, 6), np.float32)},
                  lambda net, t: net.add_matrix_multiply(t["a"], M.NONE, t["b"], M.NONE))
    with pytest.raises(ingot.IngotError, match=r"dim 0 \(2 vs 3\) cannot broadcast"):
        run_layer(logger, {"a": np.ones((2, 3, 4), np.float32), "b": np.ones((3, 4, 5), np.float32)},
                  lambda net, t: net.add_matrix_multiply(t["a"], M.NONE, t["b"], M.NONE))


@pytest.mark.parametrize("with_bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("shape", [(4, 10), (3, 2, 3, 5), (1, 7)])
def test_fully_connected(logger, rng, shape, with_bias):
    outputs = 6
    k = int(np.prod(shape[1:]))
    x = rng.uniform(-1, 1, size=shape).astype(np.float32)
    w = rng.uniform(-1, 1, size=(outputs, k)).astype(np.float32)
    bias = rng.uniform(-1, 1, size=outputs).astype(np.float32) if with_bias else None
    y = run_layer(logger, {"x": x}, lambda net, t: net.add_fully_connected(t["x"], outputs, w, bias))
    want = x.reshape(shape[0], k).astype(np.float64) @ w.T.astype(np.float64)
    if with_bias:
        want = want + bias
    assert y.shape == (shape[0], outputs)
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)
