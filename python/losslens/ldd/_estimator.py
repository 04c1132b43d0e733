"""Learning-Domain Decomposition (LDD): what a model learns and forgets, when, and from which samples."""
import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .. import _core
from .._dask import is_dask_array
from .._validation import as_real_array, check_n_jobs, check_scalar
from ..dictionary_learning._estimator import _CODE_TOL, dict_learning_native
from ._common import Decomposition, check_losses, domain_losses, lasso_objective, loss_differences, progress_bar
from ._refit import FORMULATIONS, REFITS, refit_codes, rescale_to_simplex


class LDD(BaseEstimator):
    """Learning-Domain Decomposition of a loss matrix (Oyama et al.).

    Factors the loss differences ``L_Δ = L[:, :-1] − L[:, 1:]`` (eq. 3-4; positive = learned) as
    ``L_Δ ≈ D A_Δ`` with every column of D on the probability simplex and an L1 penalty on A_Δ
    (eq. 11), by sparse dictionary learning on ``X = L_Δᵀ`` (``losslens.DictionaryLearning``), refits
    the codes on their supports, then integrates A_Δ into non-negative domain losses whose sum
    tracks the total loss (eq. 8). docs/ldd.md gives the measurements behind the defaults.

    Parameters
    ----------
    n_domains : int, default=10
        Number of learning-domains K; at most min(n_samples, n_checkpoints − 1).
    alpha : float, default=0.01
        L1 weight in scikit-learn's convention: the objective is
        ``0.5 ‖L_Δ − D A_Δ‖²_F + alpha ‖A_Δ‖₁,₁``, i.e. eq. (11) with λ = 2·alpha.
    formulation : {"paper", "authors"}, default="paper"
        "paper": eq. (11) as printed, every atom on the simplex during the fit. "authors": the paper
        as its footnote 2 ran it, scikit-learn's ``DictionaryLearning`` with non-negative unit-norm
        atoms (alpha then weighs codes of unit atoms, a penalty about sqrt(N/K) times milder);
        afterwards each atom is rescaled onto the simplex and its code row by the inverse factor, so
        D A_Δ is unchanged and eq. (10) holds. Both run on a dask array too.
    refit : {"loss_sum", "least_squares", "none"}, default="loss_sum"
        Code refit on each step's support once the sparse fit is done. "least_squares": the relaxed
        lasso, the L1 shrinkage removed. "loss_sum": the same least squares subject to
        Σ_k Δa_k^(t) = Σ_i Δℓ_i^(t) (the second half of eq. (9)), so the domain losses add up to the
        total loss (eq. 8) except at steps with an empty code. "none": the Lasso codes of eq. (11).
    max_iter : int, default=1000
        Maximum alternating iterations per initialisation.
    tol : float, default=1e-8
        Stop when the objective decreased by less than ``tol`` times itself.
    n_init : int, default=1
        Initialisations; the fit with the lowest objective is kept. The first starts from the
        leading singular vectors of L_Δ (absolute values, normalised), the others from random
        checkpoints' positive loss differences.
    random_state : int, RandomState instance or None, default=None
        Seeds the restarts and atom redraws.
    verbose : bool, default=False
        Print the objective as the fit proceeds.
    progress : bool, default=True
        Show a progress bar (tqdm, if installed) during ``fit``.
    n_jobs : int, default=None
        Threads of the native core; None uses the library budget.
    extrapolate : bool, default=True
        Extrapolated iterations of the dictionary learner (``DictionaryLearning(extrapolate=...)``):
        the same objective in fewer iterations. A fit on a dask array runs the plain iteration.

    Attributes
    ----------
    dictionary_ : ndarray of shape (n_samples, n_domains)
        D: column k holds every sample's contribution to domain k (non-negative, sums to 1).
        A lazy ``dask.array`` chunked like the input after a fit on a dask array.
    code_differences_ : ndarray of shape (n_domains, n_checkpoints − 1)
        A_Δ: Δa^(t) = a^(t−1) − a^(t); positive = the domain is learned at step t.
    domain_losses_ : ndarray of shape (n_domains, n_checkpoints)
        a^(t), non-negative, integrated from A_Δ with the constant fixed as described in ``fit``.
    loss_sum_residual_ : ndarray of shape (n_checkpoints,)
        Σ_k a_k^(t) − Σ_i ℓ_i^(t), the deviation from eq. (8) (None after ``fit_differences``
        without ``initial_losses``).
    multiplicity_ : ndarray of shape (n_samples,)
        Domain multiplicity m_i = Σ_k d_ki (eq. 12); lazy like ``dictionary_`` after a dask fit.
    objective_ : float
        Final objective of the sparse fit, ``0.5 ‖X − U V‖²_F + alpha ‖U‖₁,₁`` in the fitted atoms'
        scale (simplex for "paper", unit norm for "authors"), before the refit.
    n_iter_ : int
        Iterations of the kept fit.
    reconstruction_error_ : float
        ‖L_Δ − D A_Δ‖_F / ‖L_Δ‖_F of the final (refitted) codes.

    References
    ----------
    M. Oyama et al., "Learning-Domain Decomposition: what a model learns, when and from which data",
    eq. (3)-(4) loss differences, (8) loss-sum identity, (11) objective, (12) multiplicity, sec. 5.4 pruning.
    P. Efraimidis, P. Spirakis, "Weighted random sampling with a reservoir", Inf. Process. Lett. 97 (2006).
    """

    def __init__(self, n_domains=10, alpha=0.01, max_iter=1000, tol=1e-8, n_init=1, random_state=None,
                 verbose=False, progress=True, n_jobs=None, extrapolate=True, formulation="paper",
                 refit="loss_sum"):
        self.n_domains = n_domains
        self.alpha = alpha
        self.formulation = formulation
        self.refit = refit
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.random_state = random_state
        self.verbose = verbose
        self.progress = progress
        self.n_jobs = n_jobs
        self.extrapolate = extrapolate

    def fit(self, losses, y=None):
        """Fit on the loss matrix ``losses`` of shape (n_samples, n_checkpoints); returns self.

        Column t holds every sample's loss at checkpoint t; at least two checkpoints. The matrix is
        read in place (e.g. ``LossRecorder.losses``); only the differences are allocated (float64).
        The integration constant of ``domain_losses_`` is the one of eq. (8) made unique: every
        domain's loss stays ≥ 0, the total Σ_k c_k is the least-squares fit of Σ_k a_k^(t) to
        Σ_i ℓ_i^(t) over t, and its split among domains best reconstructs the mean loss vector (eq. 6).

        A ``dask.array`` (e.g. ``LossRecorder.open(path, chunks=...)``) is fitted block by block on the
        active Dask scheduler without gathering it: D stays on the workers, chunked like the input's
        rows, and ``dictionary_`` and ``multiplicity_`` are lazy dask arrays; every other attribute
        equals the in-memory fit's to rounding (see ``docs/scaling.md``).
        """
        if is_dask_array(losses):
            from ._dask import fit_dask

            return self._store(fit_dask(self, losses, "losses", None))
        losses = check_losses(losses, "losses", 2)
        differences = loss_differences(losses)
        mean_losses = losses.mean(axis=1, dtype=np.float64)
        loss_sums = losses.sum(axis=0, dtype=np.float64)
        return self._fit(differences, mean_losses, loss_sums)

    def fit_differences(self, L_delta, initial_losses=None):
        """Fit on the loss differences ``L_delta`` (n_samples, n_checkpoints − 1) directly; returns self.

        ``initial_losses`` (n_samples,), the losses ℓ^(0) at the first checkpoint, recovers the loss
        matrix and with it the integration constant of ``fit``; without it every domain's loss curve
        is shifted to bottom out at 0 and ``loss_sum_residual_`` is None. ``L_delta`` may be a
        ``dask.array`` chunked along samples, as in ``fit``.
        """
        if is_dask_array(L_delta):
            from ._dask import fit_dask

            return self._store(fit_dask(self, L_delta, "differences", initial_losses))
        L_delta = check_losses(L_delta, "L_delta", 1)
        differences = np.ascontiguousarray(L_delta.T, dtype=np.float64)
        if initial_losses is None:
            return self._fit(differences, None, None)
        initial = as_real_array(initial_losses, "initial_losses", ndim=(1,), allow_float32=False)
        if initial.shape != (L_delta.shape[0],):
            raise ValueError(f"initial_losses must have shape ({L_delta.shape[0]},), got {initial.shape}")
        # ℓ^(t) = ℓ^(0) − Σ_{s≤t} Δℓ^(s)
        drops = np.zeros(L_delta.shape[1] + 1)
        np.cumsum(differences.sum(axis=1), out=drops[1:])
        loss_sums = initial.sum() - drops
        mean_losses = initial - (differences.shape[0] - np.arange(differences.shape[0])) @ differences / (
            differences.shape[0] + 1)
        return self._fit(differences, mean_losses, loss_sums)

    def _check_params(self, n_samples, n_steps):
        n_domains = check_scalar(self.n_domains, "n_domains", kind=numbers.Integral, low=1)
        if n_domains > min(n_samples, n_steps):
            raise ValueError(
                f"n_domains={n_domains} is larger than the data allows: at most min(n_samples, n_checkpoints - 1)"
                f" = {min(n_samples, n_steps)}"
            )
        check_scalar(self.alpha, "alpha", low=0)
        check_scalar(self.max_iter, "max_iter", kind=numbers.Integral, low=0)
        check_scalar(self.tol, "tol", low=0)
        check_scalar(self.n_init, "n_init", kind=numbers.Integral, low=1)
        check_n_jobs(self.n_jobs)
        for name, allowed in (("formulation", FORMULATIONS), ("refit", REFITS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        return n_domains

    def _initial_dictionary(self, X, n_domains, random_state):
        """Random restart: the positive loss drops of random checkpoints, normalised (rows of V = Dᵀ) to
        sum 1 ("paper") or to unit norm ("authors")."""
        rows = random_state.choice(X.shape[0], size=n_domains, replace=False)
        atoms = np.maximum(X[rows], 0) + 1e-3 * random_state.random_sample((n_domains, X.shape[1])) * (
            np.abs(X).mean() + np.finfo(float).tiny)
        if self.formulation == "authors":
            return atoms / np.linalg.norm(atoms, axis=1, keepdims=True)
        return atoms / atoms.sum(axis=1, keepdims=True)

    def _constraint(self):
        """dict_learning_native's atom constraint of the formulation: LDD eq. (11) or the paper's footnote 2."""
        if self.formulation == "authors":
            return {"dict_constraint": "unit_norm", "positive_dict": True}
        return {"dict_constraint": "simplex"}

    def _fit(self, X, mean_losses, loss_sums):
        n_steps, n_samples = X.shape
        n_domains = self._check_params(n_samples, n_steps)
        random_state = check_random_state(self.random_state)
        bar = progress_bar(self.progress and not self.verbose, self.max_iter * self.n_init, "LDD")
        best = None
        try:
            for restart in range(self.n_init):
                inits = {}
                if restart > 0:
                    inits = {"dict_init": self._initial_dictionary(X, n_domains, random_state),
                             "code_init": np.zeros((n_steps, n_domains))}
                code, dictionary, errors, n_iter = dict_learning_native(
                    X, n_domains, alpha=self.alpha, max_iter=self.max_iter, tol=self.tol, random_state=random_state,
                    n_jobs=self.n_jobs, verbose=self.verbose, progress=bar, extrapolate=self.extrapolate,
                    **self._constraint(), **inits)
                objective = lasso_objective(X, code, dictionary, self.alpha)
                if bar is not None:
                    bar.update(self.max_iter - n_iter)
                if best is None or objective < best[0]:
                    best = (objective, code, dictionary, n_iter)
        finally:
            if bar is not None:
                bar.close()
        best_objective, code, dictionary, n_iter = best
        code, dictionary = rescale_to_simplex(code, dictionary)  # "paper": the sums are 1 already
        code = refit_codes(code, X @ dictionary.T, dictionary @ dictionary.T, X.sum(axis=1),
                           dictionary.sum(axis=1), self.refit)
        residual = X - code @ dictionary
        dictionary = np.ascontiguousarray(dictionary.T)
        code_differences = np.ascontiguousarray(code.T)
        mean_projection = None if mean_losses is None else dictionary.T @ mean_losses
        losses = domain_losses(code_differences, dictionary.T @ dictionary, mean_projection, loss_sums)
        return self._store(Decomposition(
            objective=best_objective, n_iter=n_iter, dictionary=dictionary, code_differences=code_differences,
            reconstruction_error=float(np.linalg.norm(residual) / max(np.linalg.norm(X), np.finfo(float).tiny)),
            multiplicity=dictionary.sum(axis=1),  # LDD eq. (12)
            domain_losses=losses, loss_sum_residual=None if loss_sums is None else losses.sum(axis=0) - loss_sums))

    def _store(self, fitted):
        """Copy a :class:`Decomposition` onto the fitted attributes; returns self."""
        self.objective_ = fitted.objective
        self.n_iter_ = fitted.n_iter
        self.dictionary_ = fitted.dictionary
        self.code_differences_ = fitted.code_differences
        self.reconstruction_error_ = fitted.reconstruction_error
        self.multiplicity_ = fitted.multiplicity
        self.domain_losses_ = fitted.domain_losses
        self.loss_sum_residual_ = fitted.loss_sum_residual
        return self

    def transform(self, new_losses):
        """Code new checkpoints against the fitted domains.

        ``new_losses`` (n_samples, n_new_checkpoints ≥ 2) is differenced as in ``fit``, each step's
        difference is Lasso-coded against the atoms in the fitted scale (D's columns, at unit norm for
        "authors", the codes then rescaled) and refitted as in ``fit``; returns A_Δ of shape
        (n_domains, n_new_checkpoints − 1).
        """
        check_is_fitted(self)
        losses = check_losses(new_losses, "new_losses", 2)
        if losses.shape[0] != self.dictionary_.shape[0]:
            raise ValueError(f"new_losses must have {self.dictionary_.shape[0]} rows (samples), got {losses.shape[0]}")
        X = loss_differences(losses)
        atoms = np.ascontiguousarray(self.dictionary_.T)
        scale = np.linalg.norm(atoms, axis=1) if self.formulation == "authors" else np.ones(len(atoms))
        code = np.zeros((X.shape[0], len(atoms)))
        _core.sparse_encode_lasso(X, np.ascontiguousarray(atoms / scale[:, None]), code, float(self.alpha), False,
                                  1000, _CODE_TOL, check_n_jobs(self.n_jobs))
        code = refit_codes(code / scale, X @ atoms.T, atoms @ atoms.T, X.sum(axis=1), atoms.sum(axis=1), self.refit)
        return code.T

    def top_samples(self, k, n=10):
        """Indices of the ``n`` samples contributing most to domain ``k``, largest first."""
        check_is_fitted(self)
        k = check_scalar(k, "k", kind=numbers.Integral, low=0, high=self.dictionary_.shape[1] - 1)
        n = check_scalar(n, "n", kind=numbers.Integral, low=1)
        column = self.dictionary_[:, k]
        n = min(n, len(column))
        if is_dask_array(column):
            from ._dask import top_samples_dask

            return top_samples_dask(column, n)
        top = np.argpartition(-column, n - 1)[:n]
        return top[np.argsort(-column[top], kind="stable")]

    def prune(self, n_keep, random_state=None):
        """Keep ``n_keep`` distinct samples drawn without replacement with probability ∝ m_i (LDD §5.4).

        Efraimidis–Spirakis keys log(u_i) / m_i with u_i uniform: the ``n_keep`` largest keys are a
        weighted sample without replacement, in O(N log N).
        Samples with m_i = 0 come only after every positive-weight sample, in random order.
        Returns the indices in order of selection. After a fit on a dask array the keys are drawn and
        ranked block by block (the same indices as in memory) without gathering the multiplicity.
        """
        check_is_fitted(self)
        weights = self.multiplicity_
        n_keep = check_scalar(n_keep, "n_keep", kind=numbers.Integral, low=1, high=len(weights))
        random_state = check_random_state(random_state)
        if is_dask_array(weights):
            from ._dask import prune_dask

            return prune_dask(weights, n_keep, random_state)
        uniform = random_state.random_sample(len(weights))
        with np.errstate(divide="ignore", over="ignore"):  # tiny m_i: key −inf
            keys = np.where(weights > 0, np.log(uniform) / np.maximum(weights, np.finfo(float).tiny),
                            -np.inf)
        # Zero-weight samples: ordered by a second random key, below every positive-weight one.
        tie_break = np.where(weights > 0, 0.0, uniform)
        return np.lexsort((tie_break, keys))[::-1][:n_keep]

    def match_domains(self, other):
        """Pair this fit's domains with those of ``other``: another fitted LDD on the same samples, or a
        dictionary array of shape (n_samples, n_other_domains) (e.g. a planted one).

        Hungarian matching (``scipy.optimize.linear_sum_assignment``) maximising the cosine similarity
        of D's columns. Returns ``(pairs, similarities)``: ``pairs`` of shape (m, 2) holds
        (domain of self, domain of other), m = min of the two n_domains, sorted by self's domain.
        """
        from scipy.optimize import linear_sum_assignment

        check_is_fitted(self)
        if isinstance(other, LDD):
            check_is_fitted(other)
            other = other.dictionary_
        other = as_real_array(other, "other", allow_float32=False)
        if other.shape[0] != self.dictionary_.shape[0]:
            raise ValueError(f"other must cover the same {self.dictionary_.shape[0]} samples, got {other.shape[0]}")
        ours = self.dictionary_ / np.maximum(np.linalg.norm(self.dictionary_, axis=0), np.finfo(float).tiny)
        theirs = other / np.maximum(np.linalg.norm(other, axis=0), np.finfo(float).tiny)
        similarity = ours.T @ theirs
        rows, cols = linear_sum_assignment(similarity, maximize=True)
        return np.column_stack([rows, cols]), similarity[rows, cols]

    def plot_code_differences(self, ax=None):
        """Heatmap of A_Δ (domains × steps): blue = learning (Δa > 0), red = forgetting."""
        check_is_fitted(self)
        ax = _axes(ax)
        limit = max(np.abs(self.code_differences_).max(), np.finfo(float).tiny)
        image = ax.imshow(self.code_differences_, aspect="auto", cmap="RdBu", vmin=-limit, vmax=limit,
                          interpolation="nearest")
        ax.set_xlabel("step t")
        ax.set_ylabel("domain k")
        ax.set_title("A_Δ (blue: learning, red: forgetting)")
        ax.figure.colorbar(image, ax=ax)
        return ax

    def plot_domain_losses(self, ax=None):
        """Each domain's loss curve a_k^(t) over the checkpoints."""
        check_is_fitted(self)
        ax = _axes(ax)
        for k, curve in enumerate(self.domain_losses_):
            ax.plot(curve, label=f"domain {k}")
        ax.set_xlabel("checkpoint t")
        ax.set_ylabel("domain loss a_k")
        ax.legend(fontsize="small", ncol=2)
        return ax

    def plot_multiplicity(self, ax=None, bins=50):
        """Histogram of the domain multiplicity m_i (eq. 12)."""
        check_is_fitted(self)
        ax = _axes(ax)
        ax.hist(self.multiplicity_, bins=bins)
        ax.set_xlabel("domain multiplicity m_i")
        ax.set_ylabel("samples")
        return ax


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots()[1]


__all__ = ["LDD"]
