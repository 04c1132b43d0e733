"""Linear algebra on the Swift core: a thick-restart Lanczos eigensolver for symmetric operators."""
import numbers
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from .. import _core
from .._validation import as_real_array, check_scalar

_WHICH = {"LA": _core.LANCZOS_LA, "LM": _core.LANCZOS_LM, "SA": _core.LANCZOS_SA}


@dataclass(frozen=True)
class EigshResult:
    """Eigenpairs found by :func:`eigsh`.

    Attributes
    ----------
    eigenvalues : ndarray of shape (k,)
        Wanted first: descending for ``"LA"``, by descending magnitude for ``"LM"``, ascending for ``"SA"``.
    eigenvectors : ndarray of shape (n, k)
        Orthonormal; column ``i`` belongs to ``eigenvalues[i]``.
    residuals : ndarray of shape (k,)
        ``||A v - lambda v||`` per pair (Lanczos residual estimates, exact up to rounding).
    n_operator_calls : int
        Number of times the operator was applied.
    n_restarts : int
        Number of thick restarts.
    converged : ndarray of bool, shape (k,)
        Whether each pair met ``tol``.
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    residuals: np.ndarray
    n_operator_calls: int
    n_restarts: int
    converged: np.ndarray


def _operator_parts(operator, n):
    """Split ``operator`` into (dense matrix or None, callable or None, n)."""
    if isinstance(operator, np.ndarray) or (hasattr(operator, "__array__") and not callable(operator)):
        A = as_real_array(operator, "operator", ndim=(2,), allow_float32=False)
        if A.shape[0] != A.shape[1]:
            raise ValueError(f"operator must be a square matrix, got shape {A.shape}")
        scale = max(np.abs(A).max(), np.finfo(float).tiny)
        if np.abs(A - A.T).max() > 1e-10 * scale:
            raise ValueError("operator must be symmetric")
        return A, None, A.shape[0]
    matvec = getattr(operator, "matvec", None)
    shape = getattr(operator, "shape", None)
    if callable(matvec) and shape is not None:  # scipy.sparse.linalg.LinearOperator and alike
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f"operator must be square, got shape {shape}")
        n = shape[0] if n is None else n
        operator = matvec
    if not callable(operator):
        raise TypeError(f"operator must be a square ndarray or a callable v -> A v, got {type(operator).__name__}")
    if n is None:
        raise ValueError("n (the operator's dimension) is required for a callable operator without v0 or deflate")
    return None, operator, n


def _checked_product(operator, n):
    """Wrap a callable so that its product is a finite float64 vector of length n."""

    def apply(x):
        y = np.asarray(operator(x))
        if y.shape not in ((n,), (n, 1)):
            raise ValueError(f"operator(v) must return a vector of length {n}, got shape {y.shape}")
        y = np.ascontiguousarray(y.reshape(n), dtype=np.float64)
        if not np.isfinite(y).all():
            raise ValueError("operator(v) returned NaN or infinity")
        return y

    return apply


def eigsh(operator, k=6, which="LA", tol=1e-10, max_iter=None, v0=None, deflate=None, ncv=None,
          random_state=None, n=None):
    """Eigenpairs of a symmetric operator by thick-restart Lanczos with full reorthogonalisation.

    Lanczos [Krylov relation] `A V = V T + β v_m e_mᵀ`, Lanczos [convergence test] on every step,
    Lanczos [deflation] by ``deflate`` (the operator ``(I - BBᵀ) A (I - BBᵀ)``).

    The run is the same whether the operator is a matrix or a Python callable: the Swift core holds
    the solver state and asks for one product at a time (reverse communication). For a callable,
    the extension calls it with the GIL held between Swift steps, which run with the GIL released;
    Swift never calls Python and keeps no pointer to NumPy memory between steps.

    Parameters
    ----------
    operator : ndarray of shape (n, n), callable, or LinearOperator
        A dense symmetric matrix (products by BLAS ``gemv`` inside Swift), a callable ``v -> A v``
        taking and returning vectors of length ``n`` (e.g. a Hessian-vector product), or an
        object with ``shape`` and ``matvec`` such as ``scipy.sparse.linalg.LinearOperator``.
    k : int, default=6
        Number of eigenpairs; ``1 <= k <= n - p`` where ``p`` is the number of deflated columns.
    which : {"LA", "LM", "SA"}, default="LA"
        Largest algebraic, largest magnitude or smallest algebraic eigenvalues.
    tol : float, default=1e-10
        Relative accuracy, ARPACK's test: a pair is converged when
        ``||A v - lambda v|| <= tol * max(|lambda|, eps**(2/3) * max|theta|)``; 0 means machine precision.
    max_iter : int, default=None
        Maximum number of restarts (``None``: ``10 * n``, SciPy's default).
    v0 : array-like of shape (n,), default=None
        Start vector; random (from ``random_state``) when None.
    deflate : array-like of shape (n, p), default=None
        Orthonormal columns ``B``; the run then targets ``(I - B B^T) A (I - B B^T)`` on the
        orthogonal complement of ``span(B)`` (the projected Hessian of POLCA's Algorithm 1). The
        eigenvalue 0 that the projected operator has on ``span(B)`` is never returned.
    ncv : int, default=None
        Krylov basis size between restarts; None uses SciPy's ``min(max(2k + 1, 20), n - p)``.
    random_state : int, RandomState instance or None, default=None
        Seeds the random start vector and the vectors drawn after an invariant subspace is found.
    n : int, default=None
        Dimension of a callable operator (needed only when neither ``v0`` nor ``deflate`` gives it).

    Returns
    -------
    EigshResult
        ``eigenvalues``, ``eigenvectors``, ``residuals``, ``n_operator_calls``, ``n_restarts``,
        ``converged``. A :class:`~sklearn.exceptions.ConvergenceWarning` is issued when fewer than
        ``k`` pairs converged within ``max_iter`` restarts; the best Ritz pairs are returned.

    Notes
    -----
    Single-vector Krylov methods (this one and ARPACK alike) see an eigenvalue of multiplicity
    ``r > 1`` once in exact arithmetic; further copies appear only through rounding. Deflating the
    vectors already found (``deflate=``) and calling again returns the remaining copies.

    References
    ----------
    K. Wu and H. Simon, "Thick-restart Lanczos method for large symmetric eigenvalue problems",
    SIAM J. Matrix Anal. Appl. 22(2), 602-616, 2000, doi:10.1137/S0895479898334605.
    G. W. Stewart, "A Krylov-Schur algorithm for large eigenproblems", SIAM J. Matrix Anal. Appl.
    23(3), 601-614, 2001, doi:10.1137/S0895479800371529.
    """
    if which not in _WHICH:
        raise ValueError(f"which must be one of {sorted(_WHICH)}, got {which!r}")
    tol = check_scalar(tol, "tol", low=0)
    if v0 is not None:
        v0 = as_real_array(v0, "v0", ndim=(1,), allow_float32=False)
        n = v0.shape[0] if n is None else n
    if deflate is not None:
        deflate = as_real_array(deflate, "deflate", ndim=(2,), allow_float32=False)
        n = deflate.shape[0] if n is None else n
    A, matvec, n = _operator_parts(operator, n)
    n = check_scalar(n, "n", kind=numbers.Integral, low=1)
    if v0 is not None and v0.shape[0] != n:
        raise ValueError(f"v0 must have length {n}, got {v0.shape[0]}")
    rows = None
    if deflate is not None:
        if deflate.shape[0] != n:
            raise ValueError(f"deflate must have {n} rows, got shape {deflate.shape}")
        rows = np.ascontiguousarray(deflate.T)
        if rows.shape[0] == 0:
            rows = None
    p = 0 if rows is None else rows.shape[0]
    k = check_scalar(k, "k", kind=numbers.Integral, low=1, high=n - p)
    max_iter = 10 * n if max_iter is None else check_scalar(max_iter, "max_iter", kind=numbers.Integral, low=1)
    ncv = 0 if ncv is None else check_scalar(ncv, "ncv", kind=numbers.Integral, low=min(k + 1, n - p), high=n - p)
    seed = int(check_random_state(random_state).randint(0, 2**63 - 1, dtype=np.int64))
    args = (k, _WHICH[which], tol, max_iter, ncv, seed, v0, rows)
    if A is not None:
        values, vectors, residuals, info = _core.lanczos_dense(A, *args)
    else:
        values, vectors, residuals, info = _core.lanczos_operator(_checked_product(matvec, n), n, *args)
    n_calls, n_restarts, n_converged = (int(v) for v in info)
    converged = np.arange(k) < n_converged
    if n_converged < k:
        warnings.warn(
            f"eigsh: {n_converged} of {k} eigenpairs converged to tol={tol} within max_iter={max_iter} restarts",
            ConvergenceWarning,
        )
    return EigshResult(values, vectors, residuals, n_calls, n_restarts, converged)


__all__ = ["EigshResult", "eigsh"]
