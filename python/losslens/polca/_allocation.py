"""POLCA: loss change of every sample allocated to the directions of a Hessian eigenbasis."""
import numpy as np
from sklearn.base import BaseEstimator

from .. import _core
from .._validation import as_real_array, check_n_jobs, check_scalar
from ._clusters import breakthrough_clusters


class POLCA(BaseEstimator):
    """Projection Oriented Loss Change Allocation over a fixed orthonormal basis.

    For checkpoints ``t = 0..T``, samples ``x`` and basis vectors ``b`` it allocates the loss change
    of each sample between consecutive checkpoints to each direction (eqs. 4-9, numbers of the full
    paper) and accumulates it into projected loss trajectories (eq. 10)::

        first(x, b, t)  = <b, grad l(x; theta_t)> <b, theta_{t+1} - theta_t>                 (4)
        share(x, b, t)  = <g_{t+1}(x) - g_t(x), b> / <g_{t+1}(X) - g_t(X), b>, g(X) = sum_x g(x)  (6)
        h~(x, b, t)     = lambda_t(X, b) / 2 <theta_{t+1} - theta_t, b>^2 share(x, b, t)      (7)
        POLCA(x, b; t)  = first + h~                                                         (9)
        L_b(x, theta_t) = sum_{i < t} POLCA(x, b; theta_i)                                   (10)

    The paper writes the numerator of the share as ``<L(x; theta_{t+1}) - L(x; theta_t), b>``; its
    Appendix A derives it from gradient differences, which is what is used here. ``lambda_t(X, b)``
    is the curvature of the *summed* loss over the same samples, so the shares sum to 1 and the
    second-order terms add up exactly to the aggregate term ``lambda_t(X, b) s^2 / 2``.

    Per-sample curvatures: the paper replaces ``lambda_t(x, b) = b^T H_t(x) b`` of eq. (5) by the
    share estimate because it deems it intractable; with forward-mode AD it costs one
    forward-over-forward pass per direction for all samples (``losslens.torch``,
    ``second_order="per_sample"``). Passing curvatures of shape (T, n_samples, m) uses eq. (5)
    exactly: ``h(x, b, t) = lambda_t(x, b) / 2 <theta_{t+1} - theta_t, b>^2``.

    Zero-denominator guard: when ``|sum_x dp| <= share_tol * sum_x |dp|`` (which includes 0/0, and
    aggregate changes that cancel to within ``share_tol`` of the per-sample ones), the ratio is
    undefined or dominated by noise; the share then becomes ``1/n`` (the aggregate second-order term
    split evenly), preserving the sum. Such (t, b) are flagged in ``share_guarded_``.

    Parameters
    ----------
    order : {1, 2}, default=2
        1: first-order term only (POLCA eq. (4)); 2: with the second-order term (POLCA eq. (9)).
    share_tol : float, default=1e-6
        Relative threshold of the zero-denominator guard.
    n_jobs : int, default=None
        Threads of the Swift kernel (None: the library budget).

    Attributes
    ----------
    allocation_ : ndarray of shape (T, n_samples, m)
        POLCA(x, b; theta_t).
    first_order_ : ndarray of shape (T, n_samples, m)
        The first-order term (eq. 4).
    projected_loss_ : ndarray of shape (T + 1, n_samples, m)
        L_b(x, theta_t), zero at t = 0 (eq. 10).
    share_guarded_ : ndarray of bool, shape (T, m)
        Where the guard replaced the eq. (6) share by 1/n.
    loss_change_ : ndarray of shape (T, n_samples)
        Exact per-sample loss change (only when ``losses`` was given; likewise below).
    first_order_error_ : ndarray of shape (T, n_samples)
        ``sum_b first_order_ - loss_change_``.
    approximation_error_ : ndarray of shape (T, n_samples)
        ``sum_b allocation_ - loss_change_``.
    losses_ : ndarray of shape (T + 1, n_samples)
        The exact losses given to ``fit``.
    decreasing_directions_ : ndarray of int
        Directions whose mean projected loss decreased over training (the ones the paper keeps).
    projected_grads_ : ndarray of shape (T + 1, n_samples, m)
        The ``projected_grads`` given to ``fit``; squared, the empirical Fisher information along
        each direction (the paper's Appendix D baseline, :func:`losslens.polca.fisher_clusters`).

    References
    ----------
    S. Kangaslahti, E. Rosenfeld, N. Saphra, "Hidden Breakthroughs in Language Model Training",
    arXiv:2506.15872, eqs. (4)-(10) and Appendix A. J. Lan, R. Liu, H. Zhou, J. Yosinski,
    "LCA: Loss Change Allocation for Neural Network Training", NeurIPS 2019.
    """

    def __init__(self, order=2, share_tol=1e-6, n_jobs=None):
        self.order = order
        self.share_tol = share_tol
        self.n_jobs = n_jobs

    def fit(self, projected_grads, step_projections, curvatures, losses=None):
        """Compute the allocation.

        Parameters
        ----------
        projected_grads : array-like of shape (T + 1, n_samples, m)
            ``<b, grad l(x; theta_t)>`` for every checkpoint, sample and direction.
        step_projections : array-like of shape (T, m)
            ``<b, theta_{t+1} - theta_t>``.
        curvatures : array-like of shape (T, m) or (T, n_samples, m)
            ``b^T H_t(X) b`` of the loss summed over the same n_samples: the paper's estimator
            (POLCA eq. (6) and POLCA eq. (7)). Or per-sample ``b^T H_t(x) b``: the exact second-order term of POLCA eq. (5) is
            used instead (no share, no guard). Ignored when ``order=1``.
        losses : array-like of shape (T + 1, n_samples), default=None
            Exact per-sample losses; enables the error attributes and exact-loss plots.

        Returns
        -------
        self
        """
        if self.order not in (1, 2) or isinstance(self.order, bool):
            raise ValueError(f"order must be 1 or 2, got {self.order!r}")
        share_tol = check_scalar(self.share_tol, "share_tol", low=0)
        threads = check_n_jobs(self.n_jobs)
        grads = as_real_array(projected_grads, "projected_grads", ndim=(3,), allow_float32=False)
        T, n, m = grads.shape[0] - 1, grads.shape[1], grads.shape[2]
        if T < 1:
            raise ValueError("projected_grads needs at least 2 checkpoints")
        steps = as_real_array(step_projections, "step_projections", ndim=(2,), allow_float32=False)
        curv = as_real_array(curvatures, "curvatures", ndim=(2, 3), allow_float32=False)
        if steps.shape != (T, m):
            raise ValueError(f"step_projections must have shape (T, m) = ({T}, {m}), got {steps.shape}")
        if curv.shape not in ((T, m), (T, n, m)):
            raise ValueError(f"curvatures must have shape (T, m) = ({T}, {m}) or (T, n, m) = ({T}, {n}, {m}), "
                             f"got {curv.shape}")
        if losses is not None:
            losses = as_real_array(losses, "losses", ndim=(2,), allow_float32=False)
            if losses.shape != (T + 1, n):
                raise ValueError(f"losses must have shape (T + 1, n_samples) = ({T + 1}, {n}), got {losses.shape}")
        allocation, first, projected, guarded = _core.polca_allocate(grads, steps, curv, self.order, share_tol, threads)
        self.allocation_ = allocation
        self.first_order_ = first
        self.projected_loss_ = projected
        self.share_guarded_ = guarded.astype(bool)
        self.projected_grads_ = grads
        self.n_samples_, self.n_directions_, self.n_steps_ = n, m, T
        self.decreasing_directions_ = np.flatnonzero(projected[-1].mean(axis=0) < 0)
        if losses is not None:
            self.losses_ = losses
            self.loss_change_ = np.diff(losses, axis=0)
            self.first_order_error_ = first.sum(axis=2) - self.loss_change_
            self.approximation_error_ = allocation.sum(axis=2) - self.loss_change_
        return self

    def compare_orders(self):
        """First- against second-order projected-loss trajectories (the paper's Appendix F, Table 5).

        For every sample and direction the trajectory ``L_b(x, theta_1..T)`` of eq. (10) is built
        once from the first-order terms (eq. 4) and once from the full allocation (eq. 9).

        Returns
        -------
        dict
            ``cosine``: mean cosine similarity of the two trajectories over the pairs where both
            are non-zero; ``l2``: mean Euclidean distance; ``relative_l2``: mean distance divided
            by the second-order trajectory's norm (pairs with a non-zero norm).
        """
        if self.order != 2:
            raise ValueError("compare_orders needs a fit with order=2")
        first = np.cumsum(self.first_order_, axis=0)  # POLCA eq. (10) with the eq. (4) terms
        second = self.projected_loss_[1:]
        dot = np.einsum("tnm,tnm->nm", first, second)
        norm_first, norm_second = np.linalg.norm(first, axis=0), np.linalg.norm(second, axis=0)
        distance = np.linalg.norm(first - second, axis=0)
        both = (norm_first > 0) & (norm_second > 0)
        return {"cosine": float(np.mean(dot[both] / (norm_first[both] * norm_second[both]))),
                "l2": float(distance.mean()),
                "relative_l2": float(np.mean(distance[norm_second > 0] / norm_second[norm_second > 0]))}

    def breakthrough_clusters(self, direction, min_cluster_size=10, min_samples=None, **hdbscan_params):
        """Cluster the projected-loss trajectories along ``direction``; see :func:`losslens.polca.breakthrough_clusters`."""
        return breakthrough_clusters(self, direction, min_cluster_size, min_samples, **hdbscan_params)

    def cluster_all(self, min_cluster_size=10, min_samples=None, **hdbscan_params):
        """Breakthrough clusters of every direction in ``decreasing_directions_``.

        Returns
        -------
        dict
            ``{direction: TrajectoryClusters}``.
        """
        return {int(d): self.breakthrough_clusters(d, min_cluster_size, min_samples, **hdbscan_params)
                for d in self.decreasing_directions_}


__all__ = ["POLCA"]
