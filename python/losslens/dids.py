"""DIDS: domain impact-aware data sampling (Shi et al.), on the Swift core.

Pieces, in the order of the method:

- :class:`losslens.GradientSketch` — top-k + Johnson–Lindenstrauss sketches of per-sample gradients (§4.1);
- :func:`repartition` — k-means domains over the sketches, globally or within each source domain (§4.1);
- :func:`empirical_fisher_diagonal`, :func:`fim_impact` — FIM-guided impact of domains on tasks (§4.2);
- :func:`fit_exponential_decay`, :func:`potential` — loss-trajectory fits and the potential factor (§4.3);
- :class:`losslens.DomainSampler` — the probability update of eqs. (13)–(16) and sampling.

The authors' public code departs from the paper in three places; each is an option here:
(a) impact: ``fim_impact(kind="kernel")`` is the code's Fisher kernel ½ Σ F ⊙ g_domain ⊙ g_task,
``kind="divergence"`` the paper's ½ Δᵀ F Δ (eq. 12); (b) normalisation of the utilities:
``DomainSampler(normalization="linear")`` is the code's (negatives floored at 1e-7, divided by the
sum), ``"softmax"`` the paper's (appendix C); (c) potential: ``potential(variant="code")`` fits the
whole history over indices and predicts 5 records ahead, 1 with fewer than 5 points, 0 when the fit
fails; ``variant="paper"`` fits eq. (14) over the record times and predicts τ ahead (eq. 15).

References
----------
W. Shi, J. Zhang, Y. Wu et al., "DIDS: Domain Impact-aware Data Sampling for Large Language Model
Training", 2025, arXiv:2504.13227.
"""
import numbers
from collections import namedtuple

import numpy as np

from . import _core
from ._kmeans import KMeans
from ._validation import as_real_array, check_n_jobs, check_scalar

DecayFit = namedtuple("DecayFit", ["a", "b", "c", "status", "cost", "n_evaluations"])
DecayFit.__doc__ = """Result of :func:`fit_exponential_decay`: y ≈ a·exp(−b·t) + c.

status is "converged", "max_evaluations" (best point returned) or "too_few_points" (a, b, c NaN);
cost is half the residual sum of squares."""

Repartition = namedtuple("Repartition", ["labels", "names"])
Repartition.__doc__ = """Result of :func:`repartition`: row i belongs to domain ``names[labels[i]]``."""

_FIT_STATUS = {0: "converged", 1: "max_evaluations", 2: "too_few_points"}
_IMPACT_KINDS = {"divergence": 0, "kernel": 1}


def repartition(sketches, source_domains=None, n_clusters=72, *, random_state=None, **kmeans_params):
    """Group training rows into domains by k-means on their gradient sketches (DIDS §4.1).

    Parameters
    ----------
    sketches : array-like of shape (n_samples, n_components)
        Rows of :meth:`GradientSketch.transform`.
    source_domains : array-like of shape (n_samples,), default=None
        Original domain of each row. None clusters all rows together into ``n_clusters`` domains
        named "0", "1", …; otherwise each source domain is split into ``min(n_clusters, its size)``
        clusters named ``"{domain}-{i}"``, as the authors' code does.
    n_clusters : int, default=72
        The paper uses 72 domains.
    random_state : int, RandomState instance or None
    **kmeans_params
        Passed to :class:`losslens.KMeans` (e.g. ``n_init``, ``algorithm``).

    Returns
    -------
    Repartition
        ``labels`` (int64, one per row) and ``names`` (list of str).
    """
    X = as_real_array(sketches, "sketches", ndim=(2,))
    n_clusters = check_scalar(n_clusters, "n_clusters", kind=numbers.Integral, low=1)
    if source_domains is None:
        if n_clusters > X.shape[0]:
            raise ValueError(f"n_clusters={n_clusters} is larger than the number of rows {X.shape[0]}")
        km = KMeans(n_clusters, random_state=random_state, **kmeans_params).fit(X)
        return Repartition(km.labels_.astype(np.int64), [str(i) for i in range(n_clusters)])
    domains = np.asarray(source_domains)
    if domains.shape != (X.shape[0],):
        raise ValueError(f"source_domains must have one entry per row ({X.shape[0]}), got shape {domains.shape}")
    rng = np.random.RandomState(random_state) if not isinstance(random_state, np.random.RandomState) else random_state
    labels = np.empty(X.shape[0], dtype=np.int64)
    names = []
    for domain in np.unique(domains):
        rows = np.flatnonzero(domains == domain)
        k = min(n_clusters, rows.size)
        km = KMeans(k, random_state=rng, **kmeans_params).fit(X[rows])
        labels[rows] = len(names) + km.labels_
        names.extend(f"{domain}-{i}" for i in range(k))
    return Repartition(labels, names)


def empirical_fisher_diagonal(per_sample_grads, eps=0.0, n_jobs=None):
    """Diagonal of the empirical Fisher information, F ≈ E[∇log p ⊙ ∇log p] (DIDS eq. 11).

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

    ``kind="divergence"`` (the paper, eq. 12): I(D_i, S_j) = ½ Δᵀ F Δ with Δ = ∇ℓ_{S_j} − ∇ℓ_{D_i},
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


def fit_exponential_decay(t, y, p0=None, bounds=None, max_evaluations=2000):
    """Fit the learning curve y = a·exp(−b·t) + c (DIDS eq. 14) by Levenberg–Marquardt.

    Starts from ``p0`` (scipy's default (1, 1, 1) when None) and from the three best rates of a
    profile scan over b (for a fixed b the model is linear in a and c), refined by golden-section
    search, and keeps the best fit; so noisy, flat, increasing and short histories fit at least as
    well as with ``scipy.optimize.curve_fit``. Never raises for data the model cannot fit: the
    status says so.

    Parameters
    ----------
    t, y : array-like of shape (n_points,)
        Finite times and losses.
    p0 : (a, b, c), default=None
    bounds : ((a_lo, b_lo, c_lo), (a_hi, b_hi, c_hi)), default=None
        Box constraints, as scipy's ``bounds``.
    max_evaluations : int, default=2000
        Budget of model evaluations per start (the authors' ``maxfev``).

    Returns
    -------
    DecayFit
    """
    t = np.ascontiguousarray(as_real_array(t, "t", ndim=(1,), allow_float32=False, min_size=0))
    y = np.ascontiguousarray(as_real_array(y, "y", ndim=(1,), allow_float32=False, min_size=0))
    if t.shape != y.shape:
        raise ValueError(f"t and y must have the same length, got {t.shape[0]} and {y.shape[0]}")
    p0 = None if p0 is None else np.asarray(p0, dtype=np.float64).reshape(3)
    lower = upper = None
    if bounds is not None:
        lower, upper = (np.broadcast_to(np.asarray(b, dtype=np.float64), (3,)).copy() for b in bounds)
    max_evaluations = check_scalar(max_evaluations, "max_evaluations", kind=numbers.Integral, low=1)
    params, cost, evaluations, status = _core.dids_fit_exponential_decay(t, y, p0, lower, upper, max_evaluations)
    return DecayFit(float(params[0]), float(params[1]), float(params[2]), _FIT_STATUS[status], cost, evaluations)


def potential(history, tau, t=None, variant="paper"):
    """Potential factor of a task: the loss decrease the fitted learning curve still predicts (DIDS eq. 15).

    ``variant="paper"``: l_p = l_t − L(t + τ), L fitted by eq. (14) with b ≥ 0 (the paper's
    "exponential decay model": unconstrained, a history that rises at the end extrapolates exponential
    growth) over the record times ``t`` (default ``0, 1, …``, i.e. τ counted in records); 0 when
    fewer than 3 points or no fit.
    ``variant="code"`` (the authors' code): unconstrained fit over indices 0…n−1 from p0 = (y₀ − y_last, 0.1,
    y_last), l_p = y_last − L(n + 5); 1 with fewer than 5 points, 0 when the fit fails.

    Parameters
    ----------
    history : array-like of shape (n_points,)
        Task losses, oldest first.
    tau : float
        Prediction horizon (ignored by ``variant="code"``, which uses the code's window of 5).
    t : array-like of shape (n_points,), default=None
    variant : {"paper", "code"}

    Returns
    -------
    float
    """
    if variant not in ("paper", "code"):
        raise ValueError(f"variant must be 'paper' or 'code', got {variant!r}")
    y = np.ascontiguousarray(as_real_array(history, "history", ndim=(1,), allow_float32=False))
    t = np.arange(y.shape[0], dtype=np.float64) if t is None else np.ascontiguousarray(
        as_real_array(t, "t", ndim=(1,), allow_float32=False))
    if t.shape != y.shape:
        raise ValueError(f"t and history must have the same length, got {t.shape[0]} and {y.shape[0]}")
    horizon = 5.0 if variant == "code" else check_scalar(tau, "tau", low=0)
    return _core.dids_potential(t, y, horizon, variant == "code")


__all__ = [
    "DecayFit",
    "Repartition",
    "empirical_fisher_diagonal",
    "fim_impact",
    "fit_exponential_decay",
    "potential",
    "repartition",
]
