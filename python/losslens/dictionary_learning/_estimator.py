"""Sparse dictionary learning: a drop-in for ``sklearn.decomposition.DictionaryLearning``."""
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import svd_flip
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from .. import _core
from .._validation import check_n_jobs, check_squares_representable, validate_native

_CONSTRAINTS = {"unit_norm": _core.DL_UNIT_NORM, "simplex": _core.DL_SIMPLEX}
# scikit-learn's sparse_encode solves its "lasso_cd" codes to this duality-gap tolerance.
_CODE_TOL = 1e-8
# scikit-learn calls `callback` after every 5th iteration.
_CALLBACK_EVERY = 5
# Iterations between progress-bar updates when nothing else needs the GIL more often.
_PROGRESS_EVERY = 25


def leading_left_singular_vectors(gram, count):
    """The ``count`` leading left singular vectors of X from its row Gram matrix ``gram = X Xᵀ``.

    Eigenvectors of X Xᵀ by decreasing eigenvalue (σ² of X), each signed as scikit-learn's
    ``svd_flip`` signs U: its largest-magnitude entry positive.
    """
    vectors = np.linalg.eigh(gram)[1][:, ::-1][:, :count]
    signs = np.sign(vectors[np.argmax(np.abs(vectors), axis=0), np.arange(vectors.shape[1])])
    return vectors * signs


def _svd_start(X, n_components):
    """scikit-learn's SVD start ``(U, S Vᵀ)`` of ``X = U S Vᵀ``, signs fixed as ``svd_flip`` fixes them,
    truncated to the leading ``n_components`` singular triplets (fewer when X has fewer), and the
    Gram matrix ``X Xᵀ`` when this route formed it (else None).

    For wide float64 ``X`` (n_features >= 4 n_samples, e.g. LDD's ``L_Δᵀ``) ``U`` comes from the
    eigenvectors of the small Gram matrix ``X Xᵀ`` and ``S Vᵀ = Uᵀ X``: two BLAS products instead of a
    full SVD (about 30x faster at 100 x 30000), equal to it up to rounding for distinct singular values.
    NumPy's BLAS runs them on one thread: its idle threads would otherwise spin for a while after
    the call, competing with the fit for the cores.
    """
    n_samples, n_features = X.shape
    if X.dtype != np.float64 or n_features < 4 * n_samples:
        code, singular_values, dictionary = np.linalg.svd(X, full_matrices=False)
        code, dictionary = svd_flip(code, dictionary)
        return code[:, :n_components], (singular_values[:, np.newaxis] * dictionary)[:n_components], None
    with threadpool_limits(1, user_api="blas"):
        gram = X @ X.T
        code = leading_left_singular_vectors(gram, min(n_components, n_samples))
        return code, code.T @ X, gram


def _initial_factors(X, n_components, dict_init, code_init, dict_constraint):
    """Starting code and dictionary: the given inits, else scikit-learn's SVD start; and ``X Xᵀ`` when
    the start formed it (None otherwise)."""
    gram = None
    if dict_init is not None and code_init is not None:
        code = np.array(code_init, dtype=X.dtype, order="C")
        dictionary = np.array(dict_init, dtype=X.dtype, order="C")
    elif dict_constraint == "simplex":
        # A feasible start with the leading singular directions' support: |Σ Vᵀ| = |Uᵀ X|, row-normalised.
        # When X is not tall, U comes from the row Gram matrix X Xᵀ (n×n), which a fit with X's columns
        # spread over processes forms by summing blocks (losslens._ldd_dask), so both start identically;
        # a tall X (whose n×n Gram matrix would outgrow X) takes the SVD.
        if X.shape[0] <= X.shape[1]:
            with threadpool_limits(1, user_api="blas"):  # as in _svd_start
                gram = X @ X.T
                code = leading_left_singular_vectors(gram, min(n_components, *X.shape))
                dictionary = code.T @ X
        else:
            code, dictionary, gram = _svd_start(X, n_components)
        dictionary = np.abs(dictionary)
        dictionary /= np.maximum(dictionary.sum(axis=1, keepdims=True), np.finfo(X.dtype).tiny)
    else:
        code, dictionary, gram = _svd_start(X, n_components)
    rank = len(dictionary)
    if n_components <= rank:
        code, dictionary = code[:, :n_components], dictionary[:n_components]
    else:
        code = np.c_[code, np.zeros((len(code), n_components - rank), dtype=code.dtype)]
        filler = np.zeros((n_components - rank, dictionary.shape[1]), dtype=dictionary.dtype)
        if dict_constraint == "simplex":
            filler += 1.0 / dictionary.shape[1]
        dictionary = np.r_[dictionary, filler]
    if code.shape != (X.shape[0], n_components) or dictionary.shape != (n_components, X.shape[1]):
        raise ValueError(
            f"code_init must have shape {(X.shape[0], n_components)} and dict_init {(n_components, X.shape[1])}, "
            f"got {code.shape} and {dictionary.shape}"
        )
    if not (np.isfinite(code).all() and np.isfinite(dictionary).all()):
        raise ValueError("code_init and dict_init must be finite")
    if gram is not None and gram.dtype != np.float64:
        gram = None  # the core takes X Xᵀ in double precision only
    return np.ascontiguousarray(code, dtype=X.dtype), np.ascontiguousarray(dictionary, dtype=X.dtype), gram


def dict_learning_native(
    X, n_components, *, alpha, max_iter, tol, dict_constraint="unit_norm", positive_code=False,
    positive_dict=False, dict_init=None, code_init=None, code_max_iter=1000, random_state=None, n_jobs=None,
    callback=None, verbose=False, progress=None, extrapolate=True,
):
    """Alternating minimisation of ``0.5 ||X - U V||_F^2 + alpha ||U||_{1,1}`` in the Swift core.

    ``X`` must already be a C-contiguous float64/float32 array. Returns ``(code, dictionary, errors,
    n_iter)`` as scikit-learn's ``dict_learning(..., return_n_iter=True)`` does. ``progress`` is an
    optional object with ``update(n)`` (e.g. a tqdm bar) advanced after every chunk of iterations.
    ``extrapolate`` keeps, after every sweep, the cheaper of the sweep and an extrapolated dictionary.
    """
    random_state = check_random_state(random_state)
    code, dictionary, gram = _initial_factors(X, n_components, dict_init, code_init, dict_constraint)
    errors = np.empty(max(max_iter, 1), dtype=np.float64)
    threads = check_n_jobs(n_jobs)
    extrapolation = {}
    if extrapolate:
        # The extrapolation's state, carried from one call of the core to the next.
        state = np.zeros(3 + code.size, dtype=np.float64)
        state[:3] = (0.5, 1.0, 0.0)
        extrapolation = {"extrapolation_state": state, "previous_sweep": np.empty_like(dictionary)}
    # One call runs every iteration unless a callback, messages or a progress bar need the GIL in between.
    if callback is not None or verbose:
        chunk = _CALLBACK_EVERY
    else:
        chunk = _PROGRESS_EVERY if progress is not None else max_iter
    done, previous = 0, np.nan
    while done < max_iter:
        count = min(1 if done == 0 and callback is not None else chunk, max_iter - done)
        n_run, converged = _core.dict_learning(
            X, dictionary, code, errors[done:], alpha, tol, count, code_max_iter, _CODE_TOL,
            _CONSTRAINTS[dict_constraint], positive_code, positive_dict,
            int(random_state.randint(np.iinfo(np.int64).max)), previous, threads, data_gram=gram, **extrapolation,
        )
        done += n_run
        previous = errors[done - 1]
        if verbose:
            print(f"[dict_learning] iteration {done:4d}, cost {previous:.6g}")
        if progress is not None:
            progress.update(n_run)
        if converged:
            break
        if callback is not None and (done - 1) % _CALLBACK_EVERY == 0:
            callback({"ii": done - 1, "code": code, "dictionary": dictionary, "errors": list(errors[:done]),
                      "current_cost": previous})
    return code, dictionary, list(errors[:done]), done


class DictionaryLearning(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Dictionary learning with a Swift core; a drop-in for scikit-learn's ``DictionaryLearning``.

    Solves::

        (U*, V*) = argmin 0.5 ||X - U V||_F^2 + alpha ||U||_{1,1}
                   with every atom V_k in the set chosen by ``dict_constraint``

    by scikit-learn's alternating scheme: per iteration, Lasso codes for every sample (coordinate
    descent on the Gram matrix ``V Vᵀ``, samples in parallel), then one sweep of block coordinate
    descent over the atoms, each atom minimised exactly over its constraint set, then the cost.
    Iteration ``i`` stops the fit when the cost decreased by less than ``tol`` times the cost.
    With ``extrapolate=True`` (the default), every iteration also codes the extrapolated dictionary
    ``P(W + beta (W - W_prev))`` after the sweep ``W`` (``P``: the atoms' projection, ``beta``
    adapted as in Ang & Gillis 2019) and keeps whichever costs less: the same objective, reached in
    fewer iterations.

    Parameters
    ----------
    n_components : int, default=None
        Number of atoms; None uses ``n_features``.
    alpha : float, default=1.0
        Sparsity-controlling parameter.
    max_iter : int, default=1000
        Maximum number of iterations.
    tol : float, default=1e-8
        Tolerance of the relative cost decrease.
    fit_algorithm : {'lars', 'cd'}, default='lars'
        Accepted for compatibility. Both solve the same Lasso subproblem exactly (to the duality-gap
        tolerance 1e-8 scikit-learn uses for 'cd'); losslens always uses coordinate descent.
    transform_algorithm : {'lasso_lars', 'lasso_cd', 'lars', 'omp', 'threshold'}, default='omp'
        Coding method of ``transform``. 'lasso_cd' and 'lasso_lars' (the same Lasso solution) run in
        the Swift core; 'lars', 'omp' and 'threshold' delegate to ``sklearn.decomposition.sparse_encode``.
    transform_n_nonzero_coefs : int, default=None
        Non-zero coefficients per sample for 'lars' and 'omp'.
    transform_alpha : float, default=None
        Penalty of the lasso transforms / threshold of 'threshold'; None uses ``alpha``.
    n_jobs : int, default=None
        Threads of the native core; None uses the library budget (``losslens.set_num_threads``).
    code_init : ndarray of shape (n_samples, n_components), default=None
        Initial code (used only together with ``dict_init``, as in scikit-learn).
    dict_init : ndarray of shape (n_components, n_features), default=None
        Initial dictionary (used only together with ``code_init``).
    callback : callable, default=None
        Called with a dict of the current state after every 5th iteration.
    verbose : bool, default=False
        Print the cost after each iteration.
    split_sign : bool, default=False
        Split the transformed codes into positive and negative parts.
    random_state : int, RandomState instance or None, default=None
        Seeds the redrawing of unused atoms.
    positive_code : bool, default=False
        Non-negative codes.
    positive_dict : bool, default=False
        Non-negative atoms (implied by ``dict_constraint='simplex'``).
    transform_max_iter : int, default=1000
        Maximum iterations (coordinate sweeps) of each Lasso.
    dict_constraint : {'unit_norm', 'simplex'}, default='unit_norm'
        'unit_norm': ``||V_k||_2 <= 1`` (scikit-learn's constraint). 'simplex': ``V_k >= 0`` and
        ``sum(V_k) = 1``, enforced exactly by Euclidean projection (Condat 2016), as LDD eq. (11) needs.
    extrapolate : bool, default=True
        Try an extrapolated dictionary after every sweep and keep it when it costs less. False runs
        scikit-learn's iteration (its iterates, ``error_`` and ``n_iter_``, up to the tolerance of
        the Lasso solves).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The dictionary atoms.
    error_ : list of float
        Cost after every iteration (with ``extrapolate``, of the kept dictionary and its own code).
    n_iter_ : int
        Number of iterations run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names seen during fit, when X has string column names.

    References
    ----------
    J. Mairal, F. Bach, J. Ponce, G. Sapiro, "Online dictionary learning for sparse coding", ICML 2009
    (the block coordinate atom update, Algorithm 2). A. M. S. Ang, N. Gillis, "Accelerating nonnegative
    matrix factorization algorithms using extrapolation", Neural Computation 31 (2019). L. Condat, "Fast projection onto the simplex and the
    l1 ball", Math. Program. 158 (2016).

    Examples
    --------
    >>> import numpy as np
    >>> from losslens import DictionaryLearning
    >>> X = np.random.default_rng(0).normal(size=(30, 8))
    >>> model = DictionaryLearning(n_components=4, alpha=0.1, random_state=0).fit(X)
    >>> model.components_.shape
    (4, 8)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "fit_algorithm": [StrOptions({"lars", "cd"})],
        "transform_algorithm": [StrOptions({"lasso_lars", "lasso_cd", "lars", "omp", "threshold"})],
        "transform_n_nonzero_coefs": [Interval(Integral, 1, None, closed="left"), None],
        "transform_alpha": [Interval(Real, 0, None, closed="left"), None],
        "n_jobs": [Integral, None],
        "code_init": [np.ndarray, None],
        "dict_init": [np.ndarray, None],
        "callback": [callable, None],
        "verbose": ["verbose"],
        "split_sign": ["boolean"],
        "random_state": ["random_state"],
        "positive_code": ["boolean"],
        "positive_dict": ["boolean"],
        "transform_max_iter": [Interval(Integral, 0, None, closed="left")],
        "dict_constraint": [StrOptions(set(_CONSTRAINTS))],
        "extrapolate": ["boolean"],
    }

    def __init__(
        self,
        n_components=None,
        *,
        alpha=1,
        max_iter=1000,
        tol=1e-8,
        fit_algorithm="lars",
        transform_algorithm="omp",
        transform_n_nonzero_coefs=None,
        transform_alpha=None,
        n_jobs=None,
        code_init=None,
        dict_init=None,
        callback=None,
        verbose=False,
        split_sign=False,
        random_state=None,
        positive_code=False,
        positive_dict=False,
        transform_max_iter=1000,
        dict_constraint="unit_norm",
        extrapolate=True,
    ):
        self.n_components = n_components
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.fit_algorithm = fit_algorithm
        self.transform_algorithm = transform_algorithm
        self.transform_n_nonzero_coefs = transform_n_nonzero_coefs
        self.transform_alpha = transform_alpha
        self.n_jobs = n_jobs
        self.code_init = code_init
        self.dict_init = dict_init
        self.callback = callback
        self.verbose = verbose
        self.split_sign = split_sign
        self.random_state = random_state
        self.positive_code = positive_code
        self.positive_dict = positive_dict
        self.transform_max_iter = transform_max_iter
        self.dict_constraint = dict_constraint
        self.extrapolate = extrapolate

    def fit(self, X, y=None):
        """Fit the dictionary to ``X`` of shape (n_samples, n_features); returns self."""
        self.fit_transform(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit the dictionary to ``X`` and return the code of shape (n_samples, n_components)."""
        if self.positive_code and self.fit_algorithm == "lars":
            raise ValueError("Positive constraint not supported for 'lars' coding method.")
        X = check_squares_representable(validate_native(self, X, dtype=[np.float64, np.float32], order="C"), "X")
        n_components = X.shape[1] if self.n_components is None else self.n_components
        code, dictionary, errors, self.n_iter_ = dict_learning_native(
            X, n_components, alpha=self.alpha, max_iter=self.max_iter, tol=self.tol,
            dict_constraint=self.dict_constraint, positive_code=self.positive_code,
            positive_dict=self.positive_dict, dict_init=self.dict_init, code_init=self.code_init,
            code_max_iter=self.transform_max_iter, random_state=self.random_state, n_jobs=self.n_jobs,
            callback=self.callback, verbose=self.verbose, extrapolate=self.extrapolate,
        )
        self.components_ = dictionary
        self.error_ = errors
        return code

    def transform(self, X):
        """Code ``X`` against the fitted atoms with ``transform_algorithm``.

        Returns an array of shape (n_samples, n_components), or twice as many columns with ``split_sign``.
        """
        check_is_fitted(self)
        X = check_squares_representable(
            validate_native(self, X, reset=False, dtype=[np.float64, np.float32], order="C"), "X")
        alpha = self.alpha if self.transform_alpha is None else self.transform_alpha
        dictionary = np.ascontiguousarray(self.components_, dtype=X.dtype)
        if self.transform_algorithm in ("lasso_cd", "lasso_lars"):
            code = np.zeros((X.shape[0], dictionary.shape[0]), dtype=X.dtype)
            _core.sparse_encode_lasso(
                X, dictionary, code, float(alpha), bool(self.positive_code), int(self.transform_max_iter),
                _CODE_TOL, check_n_jobs(self.n_jobs),
            )
        else:
            from sklearn.decomposition import sparse_encode

            code = sparse_encode(
                X, dictionary, algorithm=self.transform_algorithm, n_nonzero_coefs=self.transform_n_nonzero_coefs,
                alpha=alpha, max_iter=self.transform_max_iter, n_jobs=self.n_jobs, positive=self.positive_code,
            )
        if self.split_sign:
            code = np.hstack([np.maximum(code, 0), -np.minimum(code, 0)])
        return code

    @property
    def _n_features_out(self):
        """Number of transformed output features."""
        return self.components_.shape[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


__all__ = ["DictionaryLearning", "dict_learning_native"]
