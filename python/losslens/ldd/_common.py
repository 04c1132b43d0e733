"""Helpers the in-memory LDD fit and its Dask path share: layout checks, eq. (3)-(4) differences,
the LDD eq. (8) integration constant, the fitted result both paths return, progress bars."""
from dataclasses import dataclass

import numpy as np

from .._simplex import project_simplex
from .._validation import check_squares_representable


@dataclass
class Decomposition:
    """What an LDD fit learns; the estimator copies these onto its trailing-underscore attributes.

    ``dictionary`` (n_samples, K) and ``multiplicity`` (n_samples,) are dask arrays after a Dask fit.
    """

    objective: float
    n_iter: int
    dictionary: object
    code_differences: np.ndarray
    reconstruction_error: float
    multiplicity: object
    domain_losses: np.ndarray
    loss_sum_residual: object


def loss_differences(losses):
    """LDD eq. (3)-(4) transposed: row t of the result is Δℓ^(t+1) = ℓ^(t) − ℓ^(t+1), C-contiguous float64.

    ``losses`` has shape (n_samples, n_checkpoints) in any memory layout; a transposed checkpoint-major
    array (``LossRecorder.losses``) is read in place and the differences come out without a transpose copy.
    """
    by_checkpoint = losses.T
    differences = np.empty((by_checkpoint.shape[0] - 1, by_checkpoint.shape[1]), dtype=np.float64)
    return np.subtract(by_checkpoint[:-1], by_checkpoint[1:], out=differences)


def check_loss_layout(array, name, min_columns):
    """The checks of a loss matrix that need no pass over its values: real dtype, 2-D, large enough."""
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_checkpoints), got an array of shape {array.shape}")
    if array.shape[0] < 1 or array.shape[1] < min_columns:
        raise ValueError(f"{name} must have at least 1 sample and {min_columns} columns, got shape {array.shape}")


def check_losses(losses, name, min_columns):
    """Validate a loss (or loss-difference) matrix without copying a float array that is already fine."""
    array = np.asarray(losses)
    check_loss_layout(array, name, min_columns)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return check_squares_representable(array, name, dtype=np.float64)  # differences are taken in float64


def domain_losses(code_differences, gram, mean_projection, loss_sums):
    """Integrate A_Δ into domain losses a^(t) (K, T+1), fixing the integration constant.

    With P(t) = Σ_{s≤t} Δa^(s) (P(0) = 0) every choice is a^(t) = c − P(t). The constant c is
    (1) at least b = max_t P(t), so that every a_k^(t) ≥ 0 (Assumption 2);
    (2) of total Σ_k c_k = max(Σ_k b_k, mean_t(Σ_i ℓ_i^(t) + Σ_k P_k(t))), the least-squares fit of
        Σ_k a_k^(t) ≈ Σ_i ℓ_i^(t) over t (eq. 8) subject to (1);
    (3) split among domains by least squares on the samples, min ‖mean_t(ℓ^(t) − D a^(t))‖² (eq. 6),
        over the simplex of that total above b (projected gradient, exact Euclidean projection).
    D enters only through ``gram`` = DᵀD (K, K) and ``mean_projection`` = Dᵀ mean_t ℓ^(t) (K,), sums
    over samples that a distributed fit reduces block by block. Without losses (``mean_projection``
    None) c = b: every domain's loss curve bottoms out at 0.
    """
    cumulative = np.zeros((code_differences.shape[0], code_differences.shape[1] + 1))
    np.cumsum(code_differences, axis=1, out=cumulative[:, 1:])
    lower = cumulative.max(axis=1)
    if mean_projection is None:
        return lower[:, None] - cumulative
    total = max(lower.sum(), float(np.mean(loss_sums + cumulative.sum(axis=0))))
    excess = total - lower.sum()
    offset = np.zeros_like(lower)
    if excess > 0:
        # min_u 0.5‖D(b + u) − m‖², u ≥ 0, Σu = excess, with m = mean_t ℓ^(t) + D mean_t P(t):
        # the gradient at u is DᵀD u − Dᵀ(m − D b).
        linear = mean_projection + gram @ (cumulative.mean(axis=1) - lower)
        step = 1.0 / max(np.linalg.eigvalsh(gram)[-1], np.finfo(float).tiny)
        offset = np.full_like(lower, excess / len(lower))
        momentum, t_k = offset.copy(), 1.0
        for _ in range(500):
            updated = project_simplex(momentum - step * (gram @ momentum - linear), radius=excess)
            t_next = 0.5 * (1 + np.sqrt(1 + 4 * t_k * t_k))
            momentum = updated + (t_k - 1) / t_next * (updated - offset)
            if np.abs(updated - offset).max() <= 1e-12 * excess:
                offset = updated
                break
            offset, t_k = updated, t_next
    return (lower + offset)[:, None] - cumulative


def lasso_objective(X, code, dictionary, alpha):
    """0.5 ‖X − U V‖²_F + alpha ‖U‖₁,₁ evaluated directly."""
    return float(0.5 * np.square(X - code @ dictionary).sum() + alpha * np.abs(code).sum())


def progress_bar(enabled, total, description):
    """A tqdm bar when enabled and tqdm is installed, else None."""
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=description, leave=False)


__all__ = ["Decomposition", "check_loss_layout", "check_losses", "domain_losses", "loss_differences",
           "lasso_objective", "progress_bar"]
