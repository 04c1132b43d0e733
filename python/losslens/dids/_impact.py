"""DIDS §4.2: empirical Fisher diagonal and the FIM-guided impact of domains on tasks."""
import numpy as np

from .. import _core
from .._validation import as_real_array, check_n_jobs, check_scalar

_IMPACT_KINDS = {"divergence": _core.DIDS_DIVERGENCE, "kernel": _core.DIDS_KERNEL}


def empirical_fisher_diagonal(per_sample_grads, eps=0.0, n_jobs=None):
    """Diagonal of the empirical Fisher information, F ≈ E[∇log p ⊙ ∇log p] (DIDS eq. (11)).

    Parameters
    ----------
    per_sample_grads : array-like of shape (n_samples, n_params)
        Gradients of the log-likelihood (or loss) of single samples; float32 stays float32.
    eps : float, default=0.0
        Added to every entry (the authors' code adds 1e-10).

    Returns
    -------
    ndarray of shape (n_params,)
    """
    G = as_real_array(per_sample_grads, "per_sample_grads", ndim=(2,))
    eps = check_scalar(eps, "eps", low=0)
    return _core.dids_fisher_diagonal(G, eps, check_n_jobs(n_jobs))


def fim_impact(domain_grads, task_grads, fisher_diag, kind="divergence", n_jobs=None):
    """FIM-guided impact of every training domain on every downstream task (DIDS §4.2).

    ``kind="divergence"`` (the paper, DIDS eq. (12)): I(D_i, S_j) = ½ Δᵀ F Δ with Δ = ∇ℓ_{S_j} − ∇ℓ_{D_i},
    the KL divergence between the models updated by the domain and by the task — small means the
    domain moves the model like the task does. ``kind="kernel"`` (the authors' code): the Fisher
    kernel ½ Σ F ⊙ ∇ℓ_{D_i} ⊙ ∇ℓ_{S_j}, a similarity.

    Parameters
    ----------
    domain_grads : array-like of shape (n_domains, n_params)
        Mean gradient of each domain.
    task_grads : array-like of shape (n_tasks, n_params)
        Mean gradient of each task.
    fisher_diag : array-like of shape (n_params,)
        Non-negative Fisher diagonal (:func:`empirical_fisher_diagonal`).
    kind : {"divergence", "kernel"}

    Returns
    -------
    ndarray of shape (n_domains, n_tasks), float64
    """
    if kind not in _IMPACT_KINDS:
        raise ValueError(f"kind must be 'divergence' or 'kernel', got {kind!r}")
    D = as_real_array(domain_grads, "domain_grads", ndim=(2,))
    T = np.ascontiguousarray(as_real_array(task_grads, "task_grads", ndim=(2,)), dtype=D.dtype)
    F = np.ascontiguousarray(as_real_array(fisher_diag, "fisher_diag", ndim=(1,)), dtype=D.dtype)
    if not (D.shape[1] == T.shape[1] == F.shape[0]):
        raise ValueError(
            f"domain_grads, task_grads and fisher_diag must have the same number of parameters, "
            f"got {D.shape[1]}, {T.shape[1]} and {F.shape[0]}"
        )
    return _core.dids_impact(D, T, F, _IMPACT_KINDS[kind], check_n_jobs(n_jobs))


__all__ = ["empirical_fisher_diagonal", "fim_impact"]
