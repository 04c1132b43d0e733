"""POLCA Algorithm 1: an orthonormal basis of Hessian eigenvectors grown over checkpoints."""
import numbers

import numpy as np

from .._validation import as_real_array, check_scalar
from ..linalg import eigsh


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


__all__ = ["HessianBasis"]
