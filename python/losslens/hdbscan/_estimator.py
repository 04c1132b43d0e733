"""HDBSCAN: hierarchical density-based clustering on the Swift core.

The Swift core computes HDBSCAN [core distance], HDBSCAN [mutual reachability] spanning trees,
HDBSCAN [condensed tree], HDBSCAN [excess of mass] selection and HDBSCAN [GLOSH] scores; this
module adds HDBSCAN [soft clustering] (membership vectors) on top (docs/equations.md).
"""
import numbers

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.metrics.pairwise import _VALID_METRICS
from sklearn.utils._param_validation import Interval, StrOptions

from .. import _core
from .._dask import is_dask_array
from .._validation import check_n_jobs, validate_native
from ._inputs import (FAST_METRICS, PRECOMPUTED, check_algorithm, check_symmetric, distance_matrix, finite_rows,
                      labelling_at_cut, raw_linkage, sparse_graph_mst, swift_metric, warn_infinite_edges)
from ._predict import TreeLookup, approximate_predict, join_points, query_blocks, threaded_map

# Labels and probabilities of samples left out of the clustering, as scikit-learn encodes them.
_OUTLIER_ENCODING = {"infinite": {"label": -2, "prob": 0.0}, "missing": {"label": -3, "prob": np.nan}}
# algorithm="auto" takes the k-d tree Borůvka path from this size on.
_KD_TREE_MIN_SAMPLES = 4000
CONDENSED_TREE_DTYPE = np.dtype(
    [("parent", np.intp), ("child", np.intp), ("lambda_val", np.float64), ("child_size", np.intp)]
)


def condensed_tree(parent, child, lambda_val, child_size):
    """The ``hdbscan`` package's record array of a condensed tree's columns."""
    condensed = np.empty(parent.shape[0], dtype=CONDENSED_TREE_DTYPE)
    condensed["parent"], condensed["child"] = parent, child
    condensed["lambda_val"], condensed["child_size"] = lambda_val, child_size
    return condensed


class HDBSCAN(ClusterMixin, BaseEstimator):
    """Hierarchical density-based clustering (HDBSCAN*).

    Builds the minimum spanning tree of the mutual-reachability distance
    ``max(core(a), core(b), d(a, b) / alpha)``, its single-linkage tree, the tree condensed with
    ``min_cluster_size``, and selects flat clusters by excess of mass or as leaves
    (Campello et al. 2013, Alg. 1; eq. (3) stability). Labels, probabilities, GLOSH outlier scores
    and persistence equal those of the ``hdbscan`` package (``algorithm="generic"`` or
    ``"prims_kdtree"``, which agree) on data without exact distance ties.

    Parameters
    ----------
    min_cluster_size : int, default=5
        Smallest group of points that counts as a cluster (>= 2).
    min_samples : int, default=None
        Neighbours that define the core distance: the distance to the ``min_samples``-th nearest
        other point, as in the ``hdbscan`` package. ``None`` uses ``min_cluster_size``.
        scikit-learn counts the point itself, so its ``min_samples=k + 1`` equals ours ``k``.
    cluster_selection_epsilon : float, default=0.0
        Clusters born below this distance are merged into their ancestor born above it.
    max_cluster_size : int, default=None
        Excess of mass never selects a larger cluster (ignored by ``"leaf"``).
    metric : str or callable, default="euclidean"
        Every metric scikit-learn's HDBSCAN accepts. Euclidean, Manhattan, Chebyshev, Minkowski
        (``p >= 1``) and cosine distances are measured on the fly by the Swift core (O(n) memory);
        every other metric, a callable or sparse ``X`` gives an n×n distance matrix computed as
        scikit-learn computes it (``DistanceMetric`` for its tree metrics, ``pairwise_distances`` /
        SciPy's ``cdist`` otherwise), then the same Prim's algorithm. ``"precomputed"`` takes a dense
        square distance matrix (``inf`` allowed) or a sparse distance graph (absent entries infinite).
    metric_params : dict, default=None
        Arguments of the metric (``p``, ``w``, ``V``, ``VI``, ...); ``max_distance`` for a sparse
        precomputed graph replaces infinite mutual-reachability distances, as in scikit-learn.
    alpha : float, default=1.0
        Distance scale of the mutual-reachability distance.
    algorithm : {"auto", "brute", "kd_tree", "ball_tree", "prims", "boruvka_kdtree"}, default="auto"
        scikit-learn's names are accepted with its metric checks. ``"brute"``/``"prims"``/``"ball_tree"``:
        Prim's algorithm on the full mutual-reachability graph, O(n²) time, every metric; its edges
        and their order are the references'. ``"kd_tree"``/``"boruvka_kdtree"``: Borůvka on a k-d tree
        for Euclidean data (other k-d tree metrics take Prim's algorithm), whose edges are then ordered
        as Prim's algorithm would take them; equal to ``"prims"`` except where mutual-reachability
        weights tie and another, equally minimal tree is found. ``"auto"`` uses the k-d tree for
        Euclidean data with n >= 4000 (above 16 features its boxes bound projections on the leading
        principal axes).
    leaf_size : int, default=40
        Accepted for compatibility with scikit-learn.
    n_jobs : int, default=None
        Threads; None uses the library's budget, -1 every CPU.
    cluster_selection_method : {"eom", "leaf"}, default="eom"
    allow_single_cluster : bool, default=False
    store_centers : {None, "centroid", "medoid", "both"}, default=None
    copy : bool, default=False
        Accepted for compatibility with scikit-learn: losslens never modifies ``X``, whatever its value.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster index, -1 noise, -2 rows with infinity, -3 rows with NaN.
    probabilities_ : ndarray of shape (n_samples,)
    outlier_scores_ : ndarray of shape (n_samples,)
        GLOSH scores (Campello et al. 2015, eq. (8)); 1 for non-finite rows.
    cluster_persistence_ : ndarray of shape (n_clusters,)
    condensed_tree_ : structured ndarray (parent, child, lambda_val, child_size)
    single_linkage_tree_ : ndarray of shape (n - 1, 4), SciPy linkage format
    minimum_spanning_tree_ : ndarray of shape (n - 1, 3)
        Edges (from, to, distance) sorted by distance.
    core_distances_ : ndarray of shape (n,)
    exemplars_ : list of ndarray
    relative_validity_ : float
        The ``hdbscan`` package's fast DBCV approximation on the spanning tree.
    centroids_, medoids_ : ndarray of shape (n_clusters, n_features)
        When ``store_centers`` asks for them.

    Notes
    -----
    The trees index the finite rows of ``X`` in order. With ``alpha != 1`` the core distances are
    not scaled, as in the ``hdbscan`` package.

    References
    ----------
    R. J. G. B. Campello, D. Moulavi, J. Sander, "Density-based clustering based on hierarchical
    density estimates", PAKDD 2013, doi:10.1007/978-3-642-37456-2_14.
    R. J. G. B. Campello, D. Moulavi, A. Zimek, J. Sander, "Hierarchical density estimates for data
    clustering, visualization, and outlier detection", ACM TKDD 10(1), 2015, doi:10.1145/2733381.
    """

    _parameter_constraints = {
        "min_cluster_size": [Interval(numbers.Integral, 2, None, closed="left")],
        "min_samples": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "cluster_selection_epsilon": [Interval(numbers.Real, 0, None, closed="left")],
        "max_cluster_size": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "metric": [StrOptions(FAST_METRICS | set(_VALID_METRICS) | {"precomputed"}), callable],
        "metric_params": [dict, None],
        "alpha": [Interval(numbers.Real, 0, None, closed="neither")],
        "algorithm": [StrOptions({"auto", "brute", "kd_tree", "ball_tree", "prims", "boruvka_kdtree"})],
        "leaf_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_jobs": [numbers.Integral, None],
        "cluster_selection_method": [StrOptions({"eom", "leaf"})],
        "allow_single_cluster": ["boolean"],
        "store_centers": [None, StrOptions({"centroid", "medoid", "both"})],
        "copy": ["boolean"],
    }

    def __init__(
        self,
        min_cluster_size=5,
        min_samples=None,
        cluster_selection_epsilon=0.0,
        max_cluster_size=None,
        metric="euclidean",
        metric_params=None,
        alpha=1.0,
        algorithm="auto",
        leaf_size=40,
        n_jobs=None,
        cluster_selection_method="eom",
        allow_single_cluster=False,
        store_centers=None,
        copy=False,
    ):
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.cluster_selection_epsilon = cluster_selection_epsilon
        self.max_cluster_size = max_cluster_size
        self.metric = metric
        self.metric_params = metric_params
        self.alpha = alpha
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.n_jobs = n_jobs
        self.cluster_selection_method = cluster_selection_method
        self.allow_single_cluster = allow_single_cluster
        self.store_centers = store_centers
        self.copy = copy

    def fit(self, X, y=None):
        """Cluster ``X`` (n_samples, n_features; dense or CSR/LIL sparse), or distances between samples
        when ``metric="precomputed"`` (a dense square matrix or a sparse distance graph).

        A ``dask.array`` is clustered by ``losslens.hdbscan.fit_sample_predict`` with its defaults:
        an exact fit on up to a million sampled rows, every row labelled against it on Dask.
        """
        if is_dask_array(X):
            from ._dask import fit_sample_predict

            return fit_sample_predict(self, X)
        self._validate_params()
        if self.metric == "precomputed" and self.store_centers is not None:
            raise ValueError("Cannot store centers when using a precomputed distance matrix.")
        params = dict(self.metric_params or {})
        precomputed = self.metric == "precomputed"
        # scikit-learn's own checks and messages; NaN and infinity in features are allowed: such rows
        # are set aside and labelled -3 / -2.
        X = validate_native(self, X, accept_sparse=["csr", "lil"], dtype=(np.float64, np.float32), order="C",
                            ensure_all_finite=precomputed and issparse(X))
        # float32 feature vectors measured by the Swift core stay float32 (it computes in float64 from
        # them); every other route measures float64 values.
        if X.dtype == np.float32 and (precomputed or issparse(X) or swift_metric(self.metric, params) is None):
            X = X.astype(np.float64)
        if precomputed and not issparse(X) and np.isnan(X).any():
            raise ValueError("np.nan values found in precomputed-dense")
        if X.shape[0] == 1:
            raise ValueError("n_samples=1 while HDBSCAN requires more than one sample")
        sparse = issparse(X)
        check_algorithm(self.algorithm, self.metric, sparse)
        finite, missing, infinite = (np.arange(X.shape[0]), None, None) if precomputed else finite_rows(X)
        if finite.shape[0] == X.shape[0]:
            data, finite = X, None   # every row clustered: no index array kept (8 B/point)
        else:
            data = X[finite]
        if not sparse and not precomputed:
            data = np.ascontiguousarray(data)
        n = data.shape[0]
        if n < 2:
            raise ValueError(f"X must have at least 2 finite samples, got {n}")
        min_samples = self.min_cluster_size if self.min_samples is None else self.min_samples
        if min_samples > n:
            raise ValueError(f"min_samples ({min_samples}) must be at most the number of samples in X ({n})")
        min_samples = min(n - 1, min_samples)
        core, mst = self._spanning_tree(data, params, min_samples, precomputed)
        # Mutual-reachability weights tie often (every edge ending at a core distance); both
        # references order the Prim edges with NumPy's default argsort, so the same call here
        # reproduces their dendrogram.
        # The edges are kept once, in that order (the unsorted copy is dropped before condensing),
        # and merged in it.
        mst = mst[np.argsort(mst[:, 2])]
        linkage, columns = _core.hdbscan_condense(mst, int(self.min_cluster_size))
        labels, probabilities, outliers, persistence, selected = _core.hdbscan_select(
            *columns, n, self.cluster_selection_method == "eom", float(self.cluster_selection_epsilon),
            int(self.max_cluster_size or 0), bool(self.allow_single_cluster), check_n_jobs(self.n_jobs))
        self.condensed_tree_ = condensed_tree(*columns)
        del columns
        self.single_linkage_tree_ = linkage
        self.minimum_spanning_tree_ = mst
        self.core_distances_ = core
        self.cluster_persistence_ = persistence
        self._selected_clusters = selected
        self._data = data
        self._finite = finite   # None: every row
        self._prediction_cache = None

        total = X.shape[0]
        if finite is None:  # every row clustered: the outputs are the attributes, no second copy
            self.labels_ = labels.astype(np.intp, copy=False)
            self.probabilities_, self.outlier_scores_ = probabilities, outliers
        else:
            self.labels_ = np.full(total, -1, dtype=np.intp)
            self.probabilities_ = np.zeros(total)
            self.outlier_scores_ = np.ones(total)
            self.labels_[finite] = labels
            self.probabilities_[finite] = probabilities
            self.outlier_scores_[finite] = outliers
        for kind, rows in (("infinite", infinite), ("missing", missing)):
            if rows is not None:
                self.labels_[rows] = _OUTLIER_ENCODING[kind]["label"]
                self.probabilities_[rows] = _OUTLIER_ENCODING[kind]["prob"]
        if self.store_centers is not None:
            self._weighted_cluster_centers(data, labels, probabilities)
        return self

    def _spanning_tree(self, data, params, min_samples, precomputed):
        """Core distances and spanning-tree edges ``(from, to, weight)`` of the finite rows."""
        threads = check_n_jobs(self.n_jobs)
        alpha = float(self.alpha)
        if precomputed and issparse(data):
            check_symmetric(data)
            # scikit-learn's min_samples counts the point itself: ours + 1.
            return sparse_graph_mst(data, min_samples + 1, alpha, float(params.get("max_distance", 0.0)))
        if precomputed:
            check_symmetric(data)
            if (data < 0).any():
                raise ValueError("X (precomputed distances) must be non-negative")
            metric, p = PRECOMPUTED, 2.0
        else:
            native = None if issparse(data) else swift_metric(self.metric, params)
            if native is None:
                data = distance_matrix(data, self.metric, params, self.algorithm, self.n_jobs)
                metric, p = PRECOMPUTED, 2.0
            else:
                metric, p = native
        if not self._brute(precomputed, issparse(data)):
            return _core.hdbscan_mst(data, metric, p, min_samples, alpha, self._algorithm_code(data, metric), threads)
        # scikit-learn's brute path divides the distances by alpha before the core distances, and
        # lists each Prim edge from the point added just before (mst_from_mutual_reachability).
        core, mst = _core.hdbscan_mst(data, metric, p, min_samples, 1.0, _core.HDBSCAN_PRIM, threads)
        mst[1:, 0] = mst[:-1, 1]
        mst[0, 0] = 0
        mst[:, 2] /= alpha
        warn_infinite_edges(mst)
        return core / alpha, mst

    def _brute(self, precomputed, sparse):
        """Whether scikit-learn's HDBSCAN takes its brute path (a distance matrix) for this input."""
        return precomputed or sparse or self.algorithm == "brute" or (
            self.algorithm == "auto" and self.metric not in FAST_METRICS)

    def _algorithm_code(self, data, metric=_core.HDBSCAN_EUCLIDEAN):
        """Exact Prim on the full graph, or Borůvka on a k-d tree (Euclidean feature vectors)."""
        tree = self.algorithm in ("kd_tree", "boruvka_kdtree") or (
            self.algorithm == "auto" and data.shape[0] >= _KD_TREE_MIN_SAMPLES)
        euclidean = metric == _core.HDBSCAN_EUCLIDEAN and self.metric in ("euclidean", "l2")
        return _core.HDBSCAN_BORUVKA_KDTREE if tree and euclidean else _core.HDBSCAN_PRIM

    def dbscan_clustering(self, cut_distance, min_cluster_size=5):
        """Flat DBSCAN* labels at mutual-reachability distance ``cut_distance`` (scikit-learn's
        ``HDBSCAN.dbscan_clustering``): the single-linkage tree cut below ``cut_distance``, groups
        smaller than ``min_cluster_size`` labelled -1, rows with infinity -2 and with NaN -3.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "single_linkage_tree_")
        total = self.labels_.shape[0]
        finite = np.arange(total) if self._finite is None else self._finite
        linkage = raw_linkage(self.single_linkage_tree_, finite, total)
        labels = labelling_at_cut(linkage, float(cut_distance), int(min_cluster_size))
        for kind in ("infinite", "missing"):
            code = _OUTLIER_ENCODING[kind]["label"]
            labels[self.labels_ == code] = code
        return labels

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.metric != "precomputed"
        tags.input_tags.sparse = True
        tags.input_tags.pairwise = self.metric == "precomputed"
        return tags

    def fit_predict(self, X, y=None):
        """Fit and return ``labels_``."""
        return self.fit(X).labels_

    def _weighted_cluster_centers(self, data, labels, probabilities):
        """Probability-weighted centroids and medoids of each cluster, as scikit-learn computes them."""
        from sklearn.metrics import pairwise_distances

        clusters = self.cluster_persistence_.shape[0]
        if self.store_centers in ("centroid", "both"):
            self.centroids_ = np.empty((clusters, data.shape[1]))
        if self.store_centers in ("medoid", "both"):
            self.medoids_ = np.empty((clusters, data.shape[1]))
        for k in range(clusters):
            members = labels == k
            points, weights = data[members].astype(np.float64), probabilities[members]
            if issparse(points):
                points = points.toarray()
            if self.store_centers in ("centroid", "both"):
                self.centroids_[k] = np.average(points, weights=weights, axis=0)
            if self.store_centers in ("medoid", "both"):
                inner = pairwise_distances(points, metric=self.metric, **(self.metric_params or {}))
                self.medoids_[k] = points[np.argmin((inner * weights).sum(axis=1))]

    def approximate_predict(self, X):
        """Labels and probabilities of new points without refitting (the ``hdbscan`` package's
        ``approximate_predict``).

        Each point joins the tree through its nearest neighbour in mutual reachability (its own core
        distance taken as the distance to its ``min_samples + 1``-th neighbour), at
        ``lambda = 1 / d_mreach``, and is assigned to the selected cluster above that point, if any.
        Euclidean feature input only.

        Returns
        -------
        labels : ndarray of int32, probabilities : ndarray of float64
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "condensed_tree_")
        if self.metric not in ("euclidean", "l2"):
            raise ValueError("approximate_predict supports metric='euclidean' only")
        X = validate_native(self, X, dtype=np.float64, order="C", reset=False)
        data = self._prediction_data()
        return approximate_predict(
            data["tree"], data["core"], data["min_samples"], self._data.shape[0], self.condensed_tree_,
            data["point_row"], data["lookup"], X, check_n_jobs(self.n_jobs))

    def membership_vector(self, X):
        """Soft membership of new points in each selected cluster (the package's ``membership_vector``).

        Combines closeness to each cluster's exemplars, the λ at which the point's branch of the
        condensed tree merges with each cluster, and the probability of being in some cluster.

        Returns
        -------
        ndarray of shape (n_points, n_clusters)
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "condensed_tree_")
        if self.metric not in ("euclidean", "l2"):
            raise ValueError("membership_vector supports metric='euclidean' only")
        X = validate_native(self, X, dtype=np.float64, order="C", reset=False)
        data = self._prediction_data()
        clusters = np.sort(self._selected_clusters)
        k = data["min_samples"]
        distances, neighbours = query_blocks(
            data["tree"], X, min(2 * k, self._data.shape[0]), check_n_jobs(self.n_jobs))
        tree = self.condensed_tree_
        cap = data["lambda_cap"]
        if clusters.shape[0] == 0:
            return np.zeros((X.shape[0], 0))
        closeness = _exemplar_closeness(X, self.exemplars_)
        nearest, lam = join_points(distances, neighbours, data["core"], k)
        row = data["point_row"][nearest]
        lam = np.minimum(np.minimum(lam, tree["lambda_val"][row]), cap)
        homes, home_of = np.unique(tree["parent"][row], return_inverse=True)
        table = self._home_heights(homes, clusters)[home_of]
        # The package passes this λ through single precision here.
        lam32 = lam.astype(np.float32).astype(np.float64)[:, None]
        heights = np.minimum(np.where(np.isnan(table), lam32, table), cap)
        top = np.minimum([data["direct_death"][int(h)] for h in homes], cap)[home_of][:, None]
        denominator = top - heights
        scores = top / np.where(denominator <= 0, 1e-8, denominator)
        scores = np.exp(scores - np.nanmax(scores, axis=1)[:, None])
        outlier = scores / scores.sum(axis=1)[:, None]
        combined = closeness ** 0.5 * outlier ** 2.0
        combined /= combined.sum(axis=1)[:, None]
        heights = np.minimum(np.where(np.isnan(table), lam[:, None], table), cap)
        nearest_death = np.minimum([data["direct_death"][int(c)] for c in clusters], cap)[np.argmax(heights, axis=1)]
        combined *= (heights.max(axis=1) / (np.maximum(lam, nearest_death) + 1e-8))[:, None]
        return combined

    def _home_heights(self, homes, clusters):
        """λ at which the branch of each cluster in ``homes`` meets each of ``clusters``; NaN where
        one contains the other (the point's own λ applies there)."""
        cluster_parent = self._prediction_data()["cluster_parent"]
        return np.array([_merge_heights(cluster_parent, int(h), np.nan, clusters) for h in homes]).reshape(
            len(homes), clusters.shape[0])

    def all_points_membership_vectors(self):
        """Soft membership of every fitted point in each selected cluster (the package's
        ``all_points_membership_vectors``); zeros when no cluster was found.

        Returns
        -------
        ndarray of shape (n_samples_fitted, n_clusters)
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "condensed_tree_")
        if self.metric not in ("euclidean", "l2"):
            raise ValueError("all_points_membership_vectors supports metric='euclidean' only")
        clusters = np.sort(self._selected_clusters)
        n = self._data.shape[0]
        if clusters.shape[0] == 0:
            return np.zeros(n)
        data = self._prediction_data()
        tree = self.condensed_tree_
        points = tree[tree["child_size"] == 1]
        cap = data["lambda_cap"]
        # The merge heights depend on the point only through its cluster, except where the point's
        # own λ applies (NaN in the per-cluster table): one tree walk per cluster, not per point.
        homes, home_of = np.unique(points["parent"], return_inverse=True)
        per_home = self._home_heights(homes, clusters)
        home_death = np.empty(n)
        point_lambda = np.empty(n)
        heights = np.empty((n, clusters.shape[0]))
        point_lambda[points["child"]] = np.minimum(points["lambda_val"], cap)
        home_death[points["child"]] = np.minimum([data["direct_death"][int(h)] for h in homes], cap)[home_of]
        table = per_home[home_of]
        own = point_lambda[points["child"]][:, None]
        heights[points["child"]] = np.minimum(np.where(np.isnan(table), own, table), cap)
        with np.errstate(divide="ignore"):
            scores = np.exp(-((home_death + 1e-8)[:, None] / heights))
        outlier = np.exp(scores - np.nanmax(scores))
        outlier /= outlier.sum(axis=1)[:, None]
        combined = _exemplar_closeness(self._data, self.exemplars_) * outlier
        combined /= combined.sum(axis=1)[:, None]
        best = np.argmax(heights, axis=1)
        nearest_death = np.array([min(data["direct_death"][int(c)], cap) for c in clusters])[best]
        combined *= (heights.max(axis=1) / np.maximum(nearest_death, point_lambda))[:, None]
        return combined

    def _prediction_data(self):
        """Neighbour tree, core distances and cluster lookups of the fitted data (cached)."""
        if getattr(self, "_prediction_cache", None) is None:
            from sklearn.neighbors import KDTree

            tree = self.condensed_tree_
            k = self.min_cluster_size if self.min_samples is None else self.min_samples
            neighbours = KDTree(self._data)
            # The package's prediction data count the point itself among its min_samples neighbours.
            core = query_blocks(
                neighbours, self._data, min(k, self._data.shape[0]), check_n_jobs(self.n_jobs))[0][:, -1]
            clusters = tree[tree["child_size"] > 1]
            cluster_parent = {int(c): (int(p), lam) for p, c, lam in zip(clusters["parent"], clusters["child"],
                                                                           clusters["lambda_val"])}
            direct_death = {}
            for parent, lam in zip(tree["parent"], tree["lambda_val"]):
                direct_death[int(parent)] = max(direct_death.get(int(parent), 0.0), lam)
            cluster_of, death = {}, {}
            for label, cluster in enumerate(sorted(int(c) for c in self._selected_clusters)):
                for sub in _clusters_below(clusters, cluster):
                    cluster_of[sub] = label
                    death[sub] = direct_death[cluster]
            point_row = np.empty(self._data.shape[0], dtype=np.intp)
            points = tree["child"] < self._data.shape[0]
            point_row[tree["child"][points]] = np.flatnonzero(points)
            # Soft clustering reads λ = ∞ (points at distance 0, e.g. min_samples duplicates) as a
            # finite λ above every finite one, where the package's ratios ∞/∞ give NaN.
            finite = tree["lambda_val"][np.isfinite(tree["lambda_val"])]
            lambda_cap = 2 * finite.max() if finite.shape[0] and finite.max() > 0 else 1.0
            lookup = TreeLookup(tree, self._data.shape[0], self._selected_clusters, cluster_of, death)
            self._prediction_cache = dict(tree=neighbours, core=core, min_samples=k, cluster_parent=cluster_parent,
                                          cluster_of=cluster_of, death=death, point_row=point_row,
                                          direct_death=direct_death, lookup=lookup, lambda_cap=lambda_cap)
        return self._prediction_cache

    @property
    def exemplars_(self):
        """Points of each selected cluster's leaves that persist longest (the package's exemplars)."""
        if self.metric == "precomputed":
            raise AttributeError("exemplars_ need feature vectors, not a precomputed matrix")
        tree = self.condensed_tree_
        cluster_rows = tree[tree["child_size"] > 1]
        exemplars = []
        for cluster in self._selected_clusters:
            parts = []
            for leaf in _leaves_below(cluster_rows, cluster):
                rows = tree[tree["parent"] == leaf]
                parts.append(rows["child"][rows["lambda_val"] == rows["lambda_val"].max()])
            exemplars.append(self._data[np.concatenate(parts)].astype(np.float64))
        return exemplars

    @property
    def relative_validity_(self):
        """Fast DBCV approximation (Moulavi et al. 2014) on the spanning tree, as the package computes it."""
        finite_labels = self.labels_[self.labels_ >= -1]
        mst = self.minimum_spanning_tree_
        return _relative_validity(finite_labels, mst[:, 0].astype(np.intp), mst[:, 1].astype(np.intp), mst[:, 2])


def _leaves_below(cluster_rows, cluster):
    """Leaf clusters under ``cluster`` in depth-first order (the cluster itself if it is a leaf)."""
    children = cluster_rows["child"][cluster_rows["parent"] == cluster]
    if children.shape[0] == 0:
        return [cluster]
    return [leaf for c in children for leaf in _leaves_below(cluster_rows, c)]


def _merge_heights(cluster_parent, home, lam, clusters):
    """λ at which the branch of cluster ``home`` meets each of ``clusters`` (``lam`` when one
    contains the other)."""
    heights = np.empty(clusters.shape[0])
    for i, target in enumerate(clusters):
        left, right, last, moved_left, moved_right = home, int(target), None, False, False
        while left != right:
            if left > right:
                last, left, moved_left = left, cluster_parent[left][0], True
            else:
                last, right, moved_right = right, cluster_parent[right][0], True
        heights[i] = cluster_parent[last][1] if moved_left and moved_right else lam
    return heights


def _exemplar_closeness(points, exemplars):
    """Inverse distance to each cluster's nearest exemplar, normalised per point (a k-d tree query
    per cluster: memory linear in the points)."""
    from sklearn.neighbors import KDTree

    nearest = np.column_stack(threaded_map(lambda e: KDTree(e).query(points, k=1)[0][:, 0], exemplars))
    with np.errstate(divide="ignore"):
        inverse = np.where(nearest != 0, 1.0 / nearest, np.finfo(np.float64).max / nearest.shape[1])
    return inverse / inverse.sum(axis=1)[:, None]


def _clusters_below(cluster_rows, cluster):
    """``cluster`` and every cluster under it, breadth first."""
    found, frontier = [cluster], [cluster]
    while frontier:
        frontier = [int(c) for c in cluster_rows["child"][np.isin(cluster_rows["parent"], frontier)]]
        found.extend(frontier)
    return found


def _relative_validity(labels, edge_from, edge_to, edge_dist):
    """Density separation vs sparseness of clusters read off the spanning tree's edges."""
    sizes = np.bincount(labels + 1)
    noise, cluster_size = sizes[0], sizes[1:]
    total = noise + cluster_size.sum()
    k = cluster_size.shape[0]
    sparseness = np.zeros(k)
    separation = np.full(k, np.inf)
    label1, label2 = labels[edge_from], labels[edge_to]
    max_distance = edge_dist.max() if edge_dist.shape[0] else 0.0
    one_noise = (label1 == -1) ^ (label2 == -1)
    neither = (label1 != -1) & (label2 != -1)
    outlier_sep = edge_dist[one_noise].min() if one_noise.any() else max_distance
    same, different = neither & (label1 == label2), neither & (label1 != label2)
    np.maximum.at(sparseness, label1[same], edge_dist[same])
    np.minimum.at(separation, label1[different], edge_dist[different])
    np.minimum.at(separation, label2[different], edge_dist[different])
    separation[np.isinf(separation)] = 2 * (max_distance if k > 1 else outlier_sep)
    validity = (separation - sparseness) / np.maximum(separation, sparseness)
    return float(np.sum(cluster_size * validity / total))


__all__ = ["HDBSCAN"]
