"""Plain NumPy twins of the native kernels, written for clarity; tests compare against them."""
import numpy as np


def project_simplex_sort(X, axis=0, radius=1.0):
    """Simplex projection by sorting (Held, Wolfe and Crowder 1974), O(n log n) per vector."""
    Y = np.moveaxis(np.asarray(X, dtype=np.float64), axis, 0)
    U = -np.sort(-Y, axis=0)
    cumulative = np.cumsum(U, axis=0) - radius
    ranks = np.arange(1, Y.shape[0] + 1).reshape((-1,) + (1,) * (Y.ndim - 1))
    positive = U - cumulative / ranks > 0
    count = positive.sum(axis=0)
    tau = np.take_along_axis(cumulative, (count - 1)[None], axis=0)[0] / count
    return np.moveaxis(np.maximum(Y - tau, 0.0), 0, axis)
