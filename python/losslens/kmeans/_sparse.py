"""KMeans helpers for CSR input (KMeans [sparse rows]) and scikit-learn's verbose trace."""
import numpy as np

from .. import _core
from .._validation import native

_ALGORITHMS = {"lloyd": _core.KMEANS_LLOYD, "elkan": _core.KMEANS_ELKAN}


def csr_arrays(X):
    """The CSR arrays of ``X`` as the Swift kernels take them: values (native, aligned), int32 column
    indices, int64 row starts."""
    return native(X.data), native(X.indices.astype(np.int32, copy=False)), native(X.indptr.astype(np.int64))


def sparse_tolerance(X, tol):
    """``tol`` times the mean feature variance of a sparse ``X`` (scikit-learn's ``_tolerance``)."""
    from sklearn.utils.sparsefuncs import mean_variance_axis

    return 0.0 if tol == 0 else float(np.mean(mean_variance_axis(X, axis=0)[1]) * tol)


def fit_run(X, sample_weight, centers, algorithm, max_iter, tol, threads):
    """One k-means run from ``centers`` (overwritten): ``(labels, inertia, n_iter)``."""
    if not hasattr(X, "indptr"):
        return _core.kmeans_fit(X, sample_weight, centers, _ALGORITHMS[algorithm], max_iter, tol, threads)
    data, indices, indptr = csr_arrays(X)
    return _core.kmeans_sparse_fit(data, indices, indptr, X.shape[1], sample_weight, centers,
                                   _ALGORITHMS[algorithm], max_iter, tol, threads)


def assign(X, sample_weight, centers, threads):
    """Nearest-centre labels of every row and the weighted inertia."""
    if not hasattr(X, "indptr"):
        return _core.kmeans_assign(X, sample_weight, centers, threads)
    data, indices, indptr = csr_arrays(X)
    return _core.kmeans_sparse_assign(data, indices, indptr, X.shape[1], sample_weight, centers, threads)


def squared_distances(X, centers):
    """``‖x − c‖²`` of every row to every centre (dense or CSR ``X``), clipped at 0."""
    if hasattr(X, "indptr"):
        rows = np.asarray(X.multiply(X).sum(axis=1)).ravel()
        cross = np.asarray(X @ centers.T)
    else:
        rows = np.einsum("ij,ij->i", X, X)
        cross = X @ centers.T
    squared = rows[:, None] + np.einsum("ij,ij->i", centers, centers)[None, :] - 2 * cross
    return np.maximum(squared, 0)


def print_trace(X, sample_weight, centers, algorithm, max_iter, tol, threads):
    """Prints scikit-learn's verbose lines of one run from ``centers`` (``_kmeans_single_lloyd`` /
    ``_elkan``), measured with the same kernels, one iteration at a time."""
    current = centers.copy()
    previous = None
    period = "." if algorithm == "lloyd" else ""
    for i in range(max_iter):
        labels, inertia = assign(X, sample_weight, current, threads)
        print(f"Iteration {i}, inertia {inertia}{period}")
        following = current.copy()
        fit_run(X, sample_weight, following, "lloyd", 1, 0.0, threads)
        if previous is not None and np.array_equal(labels, previous):
            print(f"Converged at iteration {i}: strict convergence.")
            return
        shift = float(((following - current) ** 2).sum())
        if shift <= tol:
            print(f"Converged at iteration {i}: center shift {shift} within tolerance {tol}.")
            return
        previous, current = labels, following
