"""Lanczos: operator calls to reach tol=1e-8, ours (thick restart, Swift) vs scipy.sparse.linalg.eigsh (ARPACK).

Both solvers get the same matrix, the same start vector, the same ``ncv`` default and ARPACK's
convergence test; the operator is a Python callable for both (as a Hessian-vector product would be).
Goal: never more operator calls than ARPACK.
"""
import numpy as np
from scipy.sparse.linalg import LinearOperator
from scipy.sparse.linalg import eigsh as arpack_eigsh

import losslens

from _harness import best_time, row

N = 1000
TOL = 1e-8


def spectra(rng):
    """Test spectra of length N: clustered, power-law decaying, and indefinite."""
    clustered = np.concatenate([
        10 + 1e-3 * np.arange(8), 9 + 1e-3 * np.arange(8), 8 + 1e-3 * np.arange(8),
        rng.uniform(0, 5, N - 24)])
    decaying = 100.0 * np.arange(1, N + 1) ** -1.5
    indefinite = np.concatenate([[-12, -9, -7, 11, 8, 6.5], rng.uniform(-5, 5, N - 6)])
    return {"clustered": clustered, "decaying": decaying, "indefinite": indefinite}


def random_symmetric(values, rng):
    Q, _ = np.linalg.qr(rng.normal(size=(len(values), len(values))))
    return (Q * values) @ Q.T


def wanted(values, k, which):
    key = {"LA": -values, "LM": -np.abs(values), "SA": values}[which]
    return values[np.argsort(key, kind="stable")[:k]]


def run(emit):
    rng = np.random.default_rng(0)
    for name, values in spectra(rng).items():
        A = random_symmetric(values, rng)
        v0 = rng.normal(size=N)
        for which in ("LA", "LM") if name == "indefinite" else ("LA",):
            for k in (1, 5, 20):
                truth = wanted(values, k, which)
                ours_time, ours = best_time(
                    lambda: losslens.linalg.eigsh(lambda v: A @ v, k=k, which=which, tol=TOL, v0=v0), repeat=1)
                calls = [0]

                def matvec(v):
                    calls[0] += 1
                    return A @ v

                operator = LinearOperator((N, N), matvec=matvec, dtype=np.float64)
                calls[0] = 0
                ref_time, (ref_values, _) = best_time(
                    lambda: arpack_eigsh(operator, k=k, which=which, tol=TOL, v0=v0), repeat=1, min_total=0)
                ref_calls = calls[0]
                ref_values = wanted(ref_values, k, which)
                error = np.abs(np.sort(ours.eigenvalues) - np.sort(truth)).max()
                ref_error = np.abs(np.sort(ref_values) - np.sort(truth)).max()
                residual = np.linalg.norm(A @ ours.eigenvectors - ours.eigenvectors * ours.eigenvalues, axis=0).max()
                emit(row(
                    f"{name} n={N} k={k} {which}", ours_time, ref_time,
                    f"calls {ours.n_operator_calls} vs {ref_calls}; |dlambda| {error:.0e} vs {ref_error:.0e}; "
                    f"max|Av-lv| {residual:.0e}"))
