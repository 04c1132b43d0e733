"""POLCA: loss change of every sample allocated to the directions of a Hessian eigenbasis."""
import numbers

import numpy as np
from sklearn.base import BaseEstimator

from . import _core
from ._polca_clusters import breakthrough_clusters
from ._validation import as_real_array, check_n_jobs, check_scalar
from .linalg import eigsh


class HessianBasis:
    """Orthonormal basis of the training subspace built from Hessian eigenvectors (Algorithm 1).

    Each :meth:`extend` call appends the top ``k`` eigenvectors of the Hessian at one checkpoint,
    projected onto the orthogonal complement of the vectors found so far:
    ``B+ = top_k((I - B B^T) H (I - B B^T))`` computed by :func:`losslens.linalg.eigsh` with
    ``deflate=B`` (the projector ``I - B (B^T B)^{-1} B^T`` of Algorithm 1 is ``I - B B^T`` because
    ``B`` is kept orthonormal).

    Parameters
    ----------
    dim : int
        Number of model parameters ``d``.

    Attributes
    ----------
    vectors_ : ndarray of shape (dim, m)
        Orthonormal basis vectors, in the order they were added.
    eigenvalues_ : ndarray of shape (m,)
        Eigenvalue of the projected Hessian each vector had when it was added (NaN for
        :meth:`from_vectors` without eigenvalues).
    origin_checkpoint_ : ndarray of shape (m,)
        Checkpoint label passed to :meth:`extend` (or :meth:`from_vectors`) for each vector.
    n_operator_calls_ : int
        Hessian-vector products spent by all :meth:`extend` calls.
    n_extend_calls_ : int
        Number of :meth:`extend` calls so far.

    References
    ----------
    S. Kangaslahti, E. Rosenfeld, N. Saphra, "Hidden Breakthroughs in Language Model Training",
    arXiv:2506.15872, Algorithm 1.
    """

    def __init__(self, dim):
        self.dim = check_scalar(dim, "dim", kind=numbers.Integral, low=1)
        self.vectors_ = np.zeros((self.dim, 0))
        self.eigenvalues_ = np.zeros(0)
        self.origin_checkpoint_ = np.zeros(0, dtype=np.int64)
        self.n_operator_calls_ = 0
        self.n_extend_calls_ = 0

    @property
    def n_directions(self):
        """Number of basis vectors ``m``."""
        return self.vectors_.shape[1]

    def extend(self, hvp, k, checkpoint=None, which="LA", tol=1e-6, max_iter=None, ncv=None, random_state=None):
        """Append the top ``k`` eigenvectors of the Hessian deflated by the current basis.

        Parameters
        ----------
        hvp : callable or ndarray of shape (dim, dim)
            Hessian-vector product ``v -> H v`` at one checkpoint (NumPy in and out), or the Hessian.
        k : int
            Number of vectors to add.
        checkpoint : int, default=None
            Label stored in ``origin_checkpoint_``; None uses the number of earlier ``extend`` calls.
        which : {"LA", "LM", "SA"}, default="LA"
            "LA" (top eigenvectors) is the paper's choice.
        tol, max_iter, ncv, random_state
            Passed to :func:`losslens.linalg.eigsh`; ``tol=1e-6`` is ample for a basis and saves products.

        Returns
        -------
        self
        """
        result = eigsh(
            hvp, k=k, which=which, tol=tol, max_iter=max_iter, ncv=ncv, random_state=random_state, n=self.dim,
            deflate=self.vectors_ if self.n_directions else None)
        label = self.n_extend_calls_ if checkpoint is None else checkpoint
        self.n_extend_calls_ += 1
        self.vectors_ = np.hstack([self.vectors_, result.eigenvectors])
        self.eigenvalues_ = np.concatenate([self.eigenvalues_, result.eigenvalues])
        self.origin_checkpoint_ = np.concatenate([self.origin_checkpoint_, np.full(k, label, dtype=np.int64)])
        self.n_operator_calls_ += result.n_operator_calls
        return self

    @classmethod
    def from_vectors(cls, V, eigenvalues=None, origin_checkpoint=None):
        """A basis from any orthonormal columns (e.g. the random or shuffled bases of the paper's Appendix E).

        Parameters
        ----------
        V : array-like of shape (dim, m)
            Orthonormal columns (``|V^T V - I| <= 1e-8``).
        eigenvalues : array-like of shape (m,), default=None
        origin_checkpoint : array-like of shape (m,), default=None
        """
        V = as_real_array(V, "V", ndim=(2,), allow_float32=False)
        if np.abs(V.T @ V - np.eye(V.shape[1])).max() > 1e-8:
            raise ValueError("V must have orthonormal columns")
        basis = cls(V.shape[0])
        m = V.shape[1]
        basis.vectors_ = V.copy()
        basis.eigenvalues_ = np.full(m, np.nan) if eigenvalues is None else as_real_array(
            eigenvalues, "eigenvalues", ndim=(1,), allow_float32=False).copy()
        basis.origin_checkpoint_ = np.zeros(m, dtype=np.int64) if origin_checkpoint is None else np.asarray(
            origin_checkpoint, dtype=np.int64).copy()
        if basis.eigenvalues_.shape != (m,) or basis.origin_checkpoint_.shape != (m,):
            raise ValueError(f"eigenvalues and origin_checkpoint must have shape ({m},)")
        return basis

    def project(self, v):
        """Coordinates ``B^T v`` of a parameter-space vector (or of the columns of a matrix)."""
        return self.vectors_.T @ np.asarray(v, dtype=np.float64)


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
        1: first-order term only (eq. 4); 2: with the second-order term (eq. 9).
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
            (eqs. 6-7). Or per-sample ``b^T H_t(x) b``: the exact second-order term of eq. (5) is
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
        self.n_samples_, self.n_directions_, self.n_steps_ = n, m, T
        self.decreasing_directions_ = np.flatnonzero(projected[-1].mean(axis=0) < 0)
        if losses is not None:
            self.losses_ = losses
            self.loss_change_ = np.diff(losses, axis=0)
            self.first_order_error_ = first.sum(axis=2) - self.loss_change_
            self.approximation_error_ = allocation.sum(axis=2) - self.loss_change_
        return self

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


__all__ = ["HessianBasis", "POLCA"]
