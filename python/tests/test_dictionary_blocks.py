"""The per-block kernels of the distributed LDD fit against NumPy twins on the same inputs."""
import numpy as np
import pytest

from losslens import _core
from losslens.dictionary_learning._estimator import _CODE_TOL


def test_block_products_target_and_atom_match_numpy(rng):
    X, V = rng.normal(size=(7, 40)), np.abs(rng.normal(size=(3, 40)))
    cross, gram = _core.dl_block_products(X, V)
    np.testing.assert_allclose(cross, X @ V.T, rtol=1e-12)
    np.testing.assert_allclose(gram, V @ V.T, rtol=1e-12)
    code = rng.normal(size=(7, 3))
    target = _core.dl_block_target(code, X)
    np.testing.assert_allclose(target, code.T @ X, rtol=1e-12)
    usage = code.T @ code
    w, largest, total = _core.dl_block_atom(V, target, usage, 1)
    expected = V[1] + (target[1] - V.T @ usage[1]) / usage[1, 1]
    np.testing.assert_allclose(w, expected, rtol=1e-12)
    assert largest == w.max() and total == pytest.approx(w.sum(), rel=1e-14)
    with pytest.raises(ValueError, match="usage"):
        _core.dl_block_atom(V, target, np.zeros((3, 3)), 1)
    with pytest.raises(ValueError, match="atom"):
        _core.dl_block_atom(V, target, usage, 3)


def test_encode_gram_equals_sparse_encode_on_the_data(rng):
    X, V = rng.normal(size=(20, 30)), rng.normal(size=(4, 30))
    expected = np.zeros((20, 4))
    _core.sparse_encode_lasso(X, V, expected, 0.3, False, 1000, _CODE_TOL, 1)
    code = np.zeros((20, 4))
    _core.dl_encode_gram(V @ V.T, X @ V.T, np.einsum("ij,ij->i", X, X), code, 0.3, False, 1000, _CODE_TOL, 1)
    np.testing.assert_allclose(code, expected, rtol=0, atol=1e-12)


def test_ldd_eq11_simplex_block_sums_give_the_exact_threshold(rng):
    y = rng.normal(size=200)
    thresholds = np.array([0.3, -2.0, 0.0, 0.3, 5.0])
    counts, sums = _core.simplex_block_sums(y, 0.5, thresholds)
    z = y - 0.5
    np.testing.assert_array_equal(counts, [(z > t).sum() for t in thresholds])
    np.testing.assert_allclose(sums, [z[z > t].sum() for t in thresholds], rtol=1e-12, atol=1e-15)
    # Summed over blocks, the counts and sums at τ* give τ* = (Σ_{z>τ*} z − 1) / #{z > τ*}.
    projected = _core.project_simplex(np.ascontiguousarray(z[:, None]), 0, 1.0, 1)[:, 0]
    tau = (z - projected)[projected > 0].mean()
    parts = [_core.simplex_block_sums(np.ascontiguousarray(b), 0.5, np.array([tau])) for b in np.split(y, 4)]
    count, total = sum(p[0][0] for p in parts), sum(p[1][0] for p in parts)
    assert (total - 1) / count == pytest.approx(tau, rel=1e-12)


def test_xoshiro_state_resumes_the_stream():
    state = _core.xoshiro_seed(42)
    whole = _core.xoshiro_gaussians(state.copy(), 10)
    first = _core.xoshiro_gaussians(state, 4)
    np.testing.assert_array_equal(np.r_[first, _core.xoshiro_gaussians(state, 6)], whole)
    assert 0 <= _core.xoshiro_next(state) < 2**64
    assert abs(_core.xoshiro_gaussians(_core.xoshiro_seed(1), 20000).std() - 1) < 0.03
    with pytest.raises(ValueError, match="state"):
        _core.xoshiro_next(np.zeros(3, dtype=np.uint64))
