"""k-means clustering on the Swift core, with scikit-learn's interface and semantics.

KMeans [Lloyd] and KMeans [Elkan bounds] iterations and KMeans [k-means++] seeding run in Swift
(docs/equations.md).
"""
import numbers
import warnings

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import _core
from .._dask import is_dask_array, whole_rows
from .._validation import check_n_jobs, check_sample_weight, validate_native
from ._sparse import assign, fit_run, print_trace, sparse_tolerance, squared_distances


def _same_clustering(labels1, labels2, n_clusters):
    """True when ``labels1`` maps to ``labels2`` cluster by cluster (scikit-learn's test)."""
    pairs = labels1.astype(np.int64) * n_clusters + labels2
    return np.unique(pairs).size == np.unique(labels1).size


def _scaled_tol(X_centred, tol):
    """``tol`` times the mean feature variance (scikit-learn's ``_tolerance``), from the centred data
    in one pass without a temporary copy (float64 accumulation)."""
    if tol == 0:
        return 0.0
    squares = np.einsum("ij,ij->j", X_centred, X_centred, dtype=np.float64)
    return float(squares.mean() / X_centred.shape[0] * tol)


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """K-means clustering (Lloyd or Elkan) with scikit-learn's interface, on the Swift core.

    Same parameters, attributes and results as :class:`sklearn.cluster.KMeans`: the data are
    centred before fitting, ``tol`` is scaled by the mean feature variance, a run stops when the
    labels repeat or the summed squared centre shift falls to the scaled ``tol``, a run that did
    not converge strictly ends with an assignment step so that ``labels_`` match
    ``cluster_centers_``, and the best of ``n_init`` runs by inertia is kept. Empty clusters take
    the points farthest from their centres. Given the same initial centres, labels and inertia
    equal scikit-learn's up to rounding; k-means++ draws from losslens' own generator, so seeded
    runs differ from scikit-learn's but are reproducible.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means++", "random"}, callable or array-like of shape (n_clusters, n_features), default="k-means++"
        Greedy k-means++ with ``2 + log(n_clusters)`` candidates per centre (on sparse ``X``:
        scikit-learn's ``kmeans_plusplus`` with the same random state), rows drawn with probability
        ∝ ``sample_weight`` ("random"), ``init(X, n_clusters, random_state=rng)`` (given the centred
        ``X`` as scikit-learn gives it), or the given centres.
    n_init : "auto" or int, default="auto"
        Runs from different seeds; "auto" means 1 for "k-means++" and an array, 10 for "random" and
        a callable.
    max_iter : int, default=300
    tol : float, default=1e-4
        Relative tolerance on the summed squared centre shift (times the mean feature variance).
    verbose : int, default=0
        Print scikit-learn's lines ("Initialization complete", the inertia of every iteration, how
        the run converged); the trace is measured with the same kernels one iteration at a time, so
        a verbose fit takes about three times as long.
    random_state : int, RandomState instance or None, default=None
    copy_x : bool, default=True
        Kept for interface compatibility: the centred data are always a copy.
    algorithm : {"lloyd", "elkan"}, default="lloyd"
    n_jobs : int, default=None
        Threads of the Swift core (None: the library's budget).

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,), int32
    inertia_ : float
        Sum of weighted squared distances of the samples to their closest centre.
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    References
    ----------
    S. Lloyd, "Least squares quantization in PCM", IEEE Trans. Inf. Theory 28 (1982).
    C. Elkan, "Using the triangle inequality to accelerate k-means", ICML 2003.
    D. Arthur and S. Vassilvitskii, "k-means++: the advantages of careful seeding", SODA 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from losslens import KMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_[:, 0].tolist())
    [1.0, 10.0]
    """

    _parameter_constraints = {
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++", "random"}), callable, "array-like"],
        "n_init": [StrOptions({"auto"}), Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "copy_x": ["boolean"],
        "algorithm": [StrOptions({"lloyd", "elkan"})],
        "n_jobs": [None, Interval(numbers.Integral, None, None, closed="neither")],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        algorithm="lloyd",
        n_jobs=None,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.n_jobs = n_jobs

    def _resolved_runs(self):
        """Number of runs and the algorithm actually used, with scikit-learn's warnings."""
        array_init = not isinstance(self.init, str) and not callable(self.init)
        if self.n_init == "auto":
            n_init = 10 if callable(self.init) or (isinstance(self.init, str) and self.init == "random") else 1
        else:
            n_init = self.n_init
        if array_init and n_init != 1:
            warnings.warn(
                f"Explicit initial center position passed: performing only one init in KMeans instead of n_init={n_init}.",
                RuntimeWarning,
                stacklevel=3,
            )
            n_init = 1
        algorithm = self.algorithm
        if algorithm == "elkan" and self.n_clusters == 1:
            warnings.warn(
                "algorithm='elkan' doesn't make sense for a single cluster. Using 'lloyd' instead.",
                RuntimeWarning,
                stacklevel=3,
            )
            algorithm = "lloyd"
        return n_init, algorithm

    def _initial_centers(self, X, sample_weight, rng, threads, init_array):
        """Initial centres of one run (in the centred coordinates of dense X)."""
        if init_array is not None:
            return init_array.copy()
        if callable(self.init):
            from sklearn.utils import check_array

            centers = self.init(X, self.n_clusters, random_state=rng)
            centers = check_array(centers, dtype=X.dtype, copy=False, order="C", accept_sparse=True)
            centers = centers.toarray() if issparse(centers) else centers
            self._check_center_shape(centers.shape, X.shape[1])
            return np.array(centers, dtype=X.dtype, order="C", copy=True)
        if self.init == "random":
            rows = rng.choice(X.shape[0], size=self.n_clusters, replace=False, p=sample_weight / sample_weight.sum())
            centers = X[rows]
            return np.ascontiguousarray(centers.toarray() if issparse(centers) else centers)
        if issparse(X):
            from sklearn.cluster import kmeans_plusplus

            return np.ascontiguousarray(kmeans_plusplus(
                X, self.n_clusters, sample_weight=sample_weight, random_state=rng)[0], dtype=X.dtype)
        trials = 2 + int(np.log(self.n_clusters))
        seed = int(rng.randint(np.iinfo(np.int64).max))
        centers, _ = _core.kmeans_plusplus(X, sample_weight, self.n_clusters, trials, seed, threads)
        return centers

    def _check_center_shape(self, shape, n_features):
        """scikit-learn's check of initial centres."""
        if len(shape) != 2 or shape[0] != self.n_clusters:
            raise ValueError(
                f"The shape of the initial centers {shape} does not match the number of clusters {self.n_clusters}."
            )
        if shape[1] != n_features:
            raise ValueError(
                f"The shape of the initial centers {shape} does not match the number of features of the data {n_features}."
            )

    def _checked_init_array(self, dtype, n_features):
        """A copy of an explicit ``init`` after checking its shape and values, else None."""
        if isinstance(self.init, str) or callable(self.init):
            return None
        init_array = np.array(self.init, dtype=dtype, order="C", copy=True)
        self._check_center_shape(init_array.shape, n_features)
        if not np.isfinite(init_array).all():
            raise ValueError("init contains NaN or infinity")
        return init_array

    def fit(self, X, y=None, sample_weight=None):
        """Compute k-means clustering.

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_features)
            float32 stays float32; other dtypes become float64. A ``dask.array`` is fitted block by
            block on the active scheduler: Lloyd iterations as map-reduce (each block assigned by the
            Swift core on its worker, k×d partial sums added on the client), and k-means|| seeding
            (Bahmani et al. 2012) for ``init="k-means++"``; only ``labels_`` (4 bytes a row) is
            gathered on the client. From the same initial centres the labels equal the in-memory fit's and the inertia
            matches it up to rounding.
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; not used to draw an explicit ``init``.

        Returns
        -------
        self : KMeans
        """
        self._validate_params()
        if is_dask_array(X):
            return self._fit_dask(X, sample_weight)
        X = validate_native(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], order="C",
                            accept_large_sparse=False)
        if X.shape[0] < self.n_clusters:
            raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={self.n_clusters}.")
        n_init, algorithm = self._resolved_runs()
        threads = check_n_jobs(self.n_jobs)
        rng = check_random_state(self.random_state)
        sample_weight = check_sample_weight(sample_weight, X)
        init_array = self._checked_init_array(X.dtype, X.shape[1])
        if issparse(X):
            # scikit-learn does not centre sparse data.
            X_mean = np.zeros(X.shape[1], dtype=X.dtype)
            tol = sparse_tolerance(X, self.tol)
        else:
            X_mean = X.mean(axis=0)
            X = np.subtract(X, X_mean)  # the centred copy, in one pass
            tol = _scaled_tol(X, self.tol)
            if init_array is not None:
                init_array -= X_mean

        best = None
        for run in range(n_init):
            centers = self._initial_centers(X, sample_weight, rng, threads, init_array)
            if self.verbose:
                print("Initialization complete")
                print_trace(X, sample_weight, centers, algorithm, self.max_iter, tol, threads)
            labels, inertia, n_iter = fit_run(X, sample_weight, centers, algorithm, self.max_iter, tol, threads)
            if best is None or (inertia < best[1] and not _same_clustering(labels, best[0], self.n_clusters)):
                best = (labels, inertia, centers, n_iter)
        self._set_result(*best, X_mean)
        return self

    def _fit_dask(self, X, sample_weight):
        """``fit`` on a ``dask.array`` (see ``fit``)."""
        from ._dask import DaskKMeansData, kmeans_parallel, lloyd, random_rows

        if callable(self.init):
            raise ValueError("init must be 'k-means++', 'random' or an array for a dask.array X, got a callable")
        X = whole_rows(X, None)
        if X.shape[0] < self.n_clusters:
            raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={self.n_clusters}.")
        self.n_features_in_ = X.shape[1]
        n_init, _ = self._resolved_runs()
        threads = check_n_jobs(self.n_jobs)
        rng = check_random_state(self.random_state)
        data = DaskKMeansData(X, sample_weight)
        tol = data.variance * self.tol if self.tol != 0 else 0.0
        init_array = self._checked_init_array(data.dtype, X.shape[1])
        best = None
        for run in range(n_init):
            if init_array is not None:
                centers = init_array - data.mean
            elif self.init == "random":
                centers = random_rows(data, self.n_clusters, rng)
            else:
                centers = kmeans_parallel(data, self.n_clusters, rng, threads)
            if self.verbose:
                print("Initialization complete")
            centers, labels, inertia, n_iter = lloyd(data, centers, self.max_iter, tol, threads)
            if self.verbose:
                print(f"Converged after {n_iter} iterations: inertia {inertia}.")
            if best is None or (inertia < best[1] and not _same_clustering(labels, best[0], self.n_clusters)):
                best = (labels, inertia, centers, n_iter)
        self._set_result(*best, data.mean)
        return self

    def _set_result(self, labels, inertia, centers, n_iter, X_mean):
        """Store the best run (centres shifted back by the data mean)."""
        centers = centers + X_mean
        distinct = len(np.unique(labels))
        if distinct < self.n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({distinct}) found smaller than n_clusters ({self.n_clusters}). "
                "Possibly due to duplicate points in X.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.cluster_centers_ = centers
        self._n_features_out = centers.shape[0]
        self.labels_ = labels
        self.inertia_ = inertia
        self.n_iter_ = n_iter

    def _checked_test_data(self, X):
        check_is_fitted(self)
        return validate_native(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], order="C", reset=False,
                               accept_large_sparse=False)

    def _assign(self, X, sample_weight):
        X = self._checked_test_data(X)
        sample_weight = check_sample_weight(sample_weight, X)
        centers = np.ascontiguousarray(self.cluster_centers_, dtype=X.dtype)
        return assign(X, sample_weight, centers, check_n_jobs(self.n_jobs))

    def predict(self, X):
        """Index of the closest cluster centre of each sample (dense or CSR ``X``)."""
        return self._assign(X, None)[0]

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit and return ``labels_``."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the (weighted) inertia of ``X`` on the fitted centres."""
        return -self._assign(X, sample_weight)[1]

    def transform(self, X):
        """Euclidean distances of each sample (dense or CSR ``X``) to every cluster centre."""
        X = self._checked_test_data(X)
        return np.sqrt(squared_distances(X, self.cluster_centers_.astype(X.dtype, copy=False)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit and return distances to the centres."""
        return self.fit(X, sample_weight=sample_weight).transform(X)


__all__ = ["KMeans"]
