"""Euclidean projection onto the probability simplex."""
from . import _core
from ._validation import as_real_array, check_n_jobs, check_scalar


def project_simplex(X, axis=0, radius=1.0, n_jobs=None):
    """Project each column (``axis=0``) or row (``axis=1``) of ``X`` onto the simplex.

    Solves ``min_x ||x - y||_2`` subject to ``x >= 0`` and ``sum(x) = radius`` for every
    vector ``y`` along ``axis``; the solution is ``x = max(y - tau, 0)`` with the threshold
    ``tau`` found by Condat's algorithm in expected linear time (Simplex [projection]).

    Parameters
    ----------
    X : array-like of shape (n_rows, n_cols) or (n,)
        Finite real values. float32 stays float32; integers and booleans are converted to
        float64; other layouts are copied once to C order.
    axis : {0, 1}, default=0
        0 projects columns, 1 projects rows. Ignored for 1-D input.
    radius : float, default=1.0
        Sum of every projected vector; must be positive.
    n_jobs : int, default=None
        Threads; None uses the library's budget (``set_num_threads``), -1 every CPU.

    Returns
    -------
    ndarray of the shape and float dtype of ``X``
        Non-negative vectors along ``axis`` that sum to ``radius``.

    References
    ----------
    L. Condat, "Fast projection onto the simplex and the l1 ball", Math. Program. 158 (2016),
    doi:10.1007/s10107-015-0946-6.
    """
    array = as_real_array(X, "X", ndim=(1, 2))
    if isinstance(axis, bool) or axis not in (0, 1, -1, -2):
        raise ValueError(f"axis must be 0 or 1, got {axis!r}")
    radius = check_scalar(radius, "radius", low=0, low_open=True)
    threads = check_n_jobs(n_jobs)
    if array.ndim == 1:
        return _core.project_simplex(array.reshape(-1, 1), 0, radius, threads).reshape(array.shape)
    return _core.project_simplex(array, int(axis) % 2, radius, threads)


__all__ = ["project_simplex"]
