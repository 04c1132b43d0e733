import numpy as np
import pytest
from scipy.sparse.linalg import LinearOperator
from scipy.sparse.linalg import eigsh as arpack_eigsh
from sklearn.exceptions import ConvergenceWarning

from losslens.linalg import eigsh


def symmetric(values, seed):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(len(values), len(values))))
    return (Q * values) @ Q.T


def wanted(values, k, which):
    key = {"LA": -values, "LM": -np.abs(values), "SA": values}[which]
    return values[np.argsort(key, kind="stable")[:k]]


def spectrum(kind, n, rng):
    if kind == "decaying":
        return 50.0 * np.arange(1, n + 1) ** -1.2
    if kind == "clustered":
        return np.concatenate([5 + 1e-2 * np.arange(6), rng.uniform(0, 3, n - 6)])
    return np.concatenate([[-9.0, 7.5, -6.0], rng.uniform(-4, 4, n - 3)])


# Lanczos [Krylov relation]
@pytest.mark.parametrize("kind", ["decaying", "clustered", "indefinite"])
@pytest.mark.parametrize("which", ["LA", "LM", "SA"])
@pytest.mark.parametrize("as_callable", [False, True])
def test_eigenpairs_match_numpy_eigh(kind, which, as_callable):
    rng = np.random.default_rng(1)
    n, k = 150, 4
    A = symmetric(spectrum(kind, n, rng), seed=2)
    operator = (lambda v: A @ v) if as_callable else A
    result = eigsh(operator, k=k, which=which, tol=1e-10, n=n, random_state=0)
    truth = wanted(np.linalg.eigvalsh(A), k, which)
    np.testing.assert_allclose(result.eigenvalues, truth, rtol=0, atol=1e-8 * np.abs(truth).max())
    V = result.eigenvectors
    np.testing.assert_allclose(V.T @ V, np.eye(k), atol=1e-10)
    actual = np.linalg.norm(A @ V - V * result.eigenvalues, axis=0)
    assert (actual <= 1e-9 * np.abs(truth).max()).all()
    np.testing.assert_allclose(result.residuals, actual, atol=1e-9 * np.abs(truth).max())
    assert result.converged.all()


# Lanczos [convergence test]
@pytest.mark.parametrize("which", ["LA", "LM", "SA"])
def test_agrees_with_arpack_with_at_most_ten_percent_more_products(which):
    rng = np.random.default_rng(3)
    n = 400
    A = symmetric(np.concatenate([100.0 * np.arange(1, n // 2 + 1) ** -1.5, -rng.uniform(0, 1, n - n // 2)]), 4)
    v0 = rng.normal(size=n)
    calls = [0]

    def matvec(v):
        calls[0] += 1
        return A @ v

    ref_values = arpack_eigsh(LinearOperator((n, n), matvec=matvec, dtype=float), k=5, which=which, tol=1e-8, v0=v0)[0]
    ours = eigsh(lambda v: A @ v, k=5, which=which, tol=1e-8, v0=v0)
    np.testing.assert_allclose(np.sort(ours.eigenvalues), np.sort(ref_values), atol=1e-8)
    # Same restart rule as ARPACK, convergence tested after every product: usually fewer calls;
    # on the hard SA end (a dense cluster at -1) rounding makes either solver a few % faster.
    assert ours.n_operator_calls <= 1.1 * calls[0]


# Lanczos [deflation]
def test_deflation_finds_eigenpairs_of_the_projected_operator_orthogonal_to_B():
    rng = np.random.default_rng(5)
    n, p, k = 120, 7, 5
    A = symmetric(rng.normal(size=n), 6)
    B, _ = np.linalg.qr(rng.normal(size=(n, p)))  # an arbitrary orthonormal B, not eigenvectors
    P = np.eye(n) - B @ B.T
    complement = np.linalg.svd(P)[0][:, : n - p]  # orthonormal basis of span(B)^perp
    truth = wanted(np.linalg.eigvalsh(complement.T @ A @ complement), k, "LA")
    result = eigsh(lambda v: A @ v, k=k, tol=1e-11, deflate=B, random_state=1)
    np.testing.assert_allclose(result.eigenvalues, truth, atol=1e-9)
    np.testing.assert_allclose(B.T @ result.eigenvectors, 0, atol=1e-12)
    V = result.eigenvectors
    np.testing.assert_allclose(P @ A @ P @ V, V * result.eigenvalues, atol=1e-8)


def test_chained_deflation_equals_one_larger_run():
    n = 90
    A = symmetric(np.linspace(-1, 10, n), 7)
    first = eigsh(A, k=3, tol=1e-12, random_state=0)
    second = eigsh(A, k=3, tol=1e-12, deflate=first.eigenvectors, random_state=0)
    both = eigsh(A, k=6, tol=1e-12, random_state=0)
    np.testing.assert_allclose(np.concatenate([first.eigenvalues, second.eigenvalues]), both.eigenvalues, atol=1e-10)
    U = np.hstack([first.eigenvectors, second.eigenvectors])
    np.testing.assert_allclose(np.abs(U.T @ both.eigenvectors), np.eye(6), atol=1e-8)


def test_linear_operator_call_count_and_reproducibility(rng):
    n = 80
    A = symmetric(rng.uniform(0, 1, n), 8)
    calls = [0]

    def matvec(v):
        calls[0] += 1
        return A @ v

    result = eigsh(LinearOperator((n, n), matvec=matvec, dtype=float), k=2, random_state=3)
    assert result.n_operator_calls == calls[0]
    again = eigsh(A, k=2, random_state=3)
    np.testing.assert_array_equal(result.eigenvalues, again.eigenvalues)
    assert again.n_operator_calls == result.n_operator_calls


def test_low_rank_operator_and_whole_space():
    rng = np.random.default_rng(9)
    U, _ = np.linalg.qr(rng.normal(size=(30, 3)))
    A = (U * [4.0, 2.0, 1.0]) @ U.T
    result = eigsh(lambda v: A @ v, k=30, n=30, random_state=0)
    np.testing.assert_allclose(result.eigenvalues, np.sort(np.linalg.eigvalsh(A))[::-1], atol=1e-12)


def test_float32_product_is_accepted_and_returns_float64(rng):
    A = symmetric(rng.uniform(1, 2, 40), 10)
    result = eigsh(lambda v: (A @ v).astype(np.float32), k=1, n=40, tol=1e-5, random_state=0)
    assert result.eigenvalues.dtype == np.float64
    np.testing.assert_allclose(result.eigenvalues, np.linalg.eigvalsh(A)[-1:], rtol=1e-5)


def test_convergence_warning_when_restarts_run_out():
    A = symmetric(np.concatenate([[1.0, 0.9999999], np.linspace(0, 0.99, 298)]), 11)
    with pytest.warns(ConvergenceWarning, match="converged"):
        result = eigsh(A, k=2, max_iter=1, ncv=4, tol=1e-14, random_state=0)
    assert not result.converged.all()


def test_exception_in_the_operator_propagates():
    class Boom(RuntimeError):
        pass

    def operator(v):
        raise Boom("no product today")

    with pytest.raises(Boom):
        eigsh(operator, k=1, n=10)


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        ({"operator": np.arange(9.0).reshape(3, 3)}, ValueError, "symmetric"),
        ({"operator": np.eye(3), "which": "XX"}, ValueError, "which"),
        ({"operator": np.eye(3), "k": 4}, ValueError, "k must be <= 3"),
        ({"operator": np.eye(3), "k": 1, "tol": -1.0}, ValueError, "tol"),
        ({"operator": lambda v: v, "k": 1}, ValueError, "n \\(the operator"),
        ({"operator": lambda v: v[:2], "k": 1, "n": 3}, ValueError, "length 3"),
        ({"operator": lambda v: v * np.nan, "k": 1, "n": 3}, ValueError, "NaN"),
        ({"operator": np.eye(3), "k": 1, "v0": np.zeros(3)}, ValueError, "zero vector"),
        ({"operator": np.eye(3), "k": 1, "deflate": np.ones((3, 1))}, ValueError, "orthonormal"),
        ({"operator": np.eye(3), "k": 1, "v0": np.array([1.0, 0, 0]), "deflate": np.eye(3)[:, :1]}, ValueError,
         "span of deflate"),
        ({"operator": "matrix", "k": 1}, TypeError, "operator must be"),
    ],
)
def test_invalid_arguments(kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        eigsh(**kwargs)
