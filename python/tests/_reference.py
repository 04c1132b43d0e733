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


# ---- DIDS -------------------------------------------------------------------------------------


def dids_topk_mask(X, k):
    """DIDS §4.1 TopK: keep each row's k entries of largest magnitude (ties: lower index first)."""
    X = np.asarray(X)
    order = np.argsort(-np.abs(X), axis=1, kind="stable")[:, :k]
    out = np.zeros_like(X)
    np.put_along_axis(out, order, np.take_along_axis(X, order, axis=1), axis=1)
    return out


def dids_fisher_diagonal(G, eps=0.0):
    """DIDS eq. (11): mean of the squared per-sample gradients."""
    G = np.asarray(G, dtype=np.float64)
    return (G**2).mean(axis=0) + eps


def dids_impact(D, T, F, kind="divergence"):
    """DIDS eq. (12) (divergence) or the authors' Fisher kernel, for every (domain, task) pair."""
    D, T, F = (np.asarray(a, dtype=np.float64) for a in (D, T, F))
    if kind == "kernel":
        return 0.5 * (D * F) @ T.T
    delta = T[None, :, :] - D[:, None, :]
    return 0.5 * np.einsum("ijp,p,ijp->ij", delta, F, delta)


def dids_update(impact, improvement, potential, previous, beta, normalization="softmax",
                impact_normalization="max_gap", temperature=1.0):
    """DIDS eqs. (13)-(16) with appendix C: normalised impact, utilities, p-hat, EMA."""
    I = np.asarray(impact, dtype=np.float64)
    if impact_normalization == "max_gap":
        gap = I.max(axis=0, keepdims=True) - I
        total = gap.sum(axis=0, keepdims=True)
        N = np.divide(gap, total, out=np.zeros_like(gap), where=total > 0)
    elif impact_normalization == "sum":
        total = np.abs(I).sum(axis=0, keepdims=True)
        N = np.divide(I, total, out=np.zeros_like(I), where=total > 0)
    else:
        N = I
    U = N @ (np.asarray(improvement) + np.asarray(potential)) / np.asarray(previous)
    if normalization == "softmax":
        z = np.exp(U / temperature - (U / temperature).max())
        p_hat = z / z.sum()
    else:
        w = np.where(U < 0, 1e-7, U)
        p_hat = w / w.sum() if w.sum() > 0 else np.full(len(U), 1 / len(U))
    p = beta * np.asarray(previous) + (1 - beta) * p_hat
    return p / p.sum(), U, N


def polca_allocation(projected_grads, step_projections, curvatures, order=2, share_tol=1e-6):
    """POLCA eqs. (4)-(10), vectorised: returns (allocation, first_order, projected_loss, guarded)."""
    p = np.asarray(projected_grads, dtype=np.float64)
    s = np.asarray(step_projections, dtype=np.float64)
    lam = np.asarray(curvatures, dtype=np.float64)
    n = p.shape[1]
    first = p[:-1] * s[:, None, :]  # POLCA eq. (4)
    change = p[1:] - p[:-1]
    aggregate = change.sum(axis=1, keepdims=True)
    guarded = np.abs(aggregate) <= share_tol * np.abs(change).sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(guarded, 1.0 / n, change / aggregate)  # POLCA eq. (6)
    if lam.ndim == 3:  # per-sample curvatures: POLCA eq. (5), no share
        second, guarded = 0.5 * lam * s[:, None, :] ** 2, np.zeros_like(guarded)
    else:
        second = 0.5 * lam[:, None, :] * s[:, None, :] ** 2 * share  # POLCA eq. (7)
    allocation = first + second if order == 2 else first  # POLCA eq. (9)
    projected = np.concatenate([np.zeros((1,) + allocation.shape[1:]), np.cumsum(allocation, axis=0)])  # eq. (10)
    return allocation, first, projected, guarded[:, 0, :] & (order == 2)
