"""HDBSCAN as a drop-in for scikit-learn's (issue 19): every metric, sparse input, sparse
precomputed graphs, ``dbscan_clustering``, against ``sklearn.cluster.HDBSCAN`` on the same inputs.

scikit-learn counts the point itself among its ``min_samples`` neighbours: its ``k + 1`` is our ``k``.
"""
import warnings

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from sklearn.cluster import HDBSCAN as SklearnHDBSCAN
from sklearn.datasets import make_blobs
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import pairwise_distances
from sklearn.neighbors import kneighbors_graph

import losslens

X_BLOBS = make_blobs(240, centers=4, n_features=4, cluster_std=0.8, random_state=0)[0]
X_POSITIVE = np.abs(X_BLOBS) + 0.1
rng = np.random.default_rng(0)
X_BINARY = (rng.random((200, 12)) < np.repeat(rng.random((4, 12)), 50, axis=0)).astype(np.float64)
COVARIANCE = np.cov(X_BLOBS.T)
X_TOUCHING = make_blobs(240, centers=3, n_features=2, cluster_std=1.6, random_state=1)[0]


def _knn_graph(neighbours):
    """A symmetric k-nearest-neighbour distance graph of X_TOUCHING, joined with its Euclidean minimum
    spanning tree so that it is connected."""
    G = kneighbors_graph(X_TOUCHING, neighbours, mode="distance")
    G = G.maximum(minimum_spanning_tree(pairwise_distances(X_TOUCHING)))
    G = G.maximum(G.T).tocsr()
    assert connected_components(G, return_labels=False) == 1
    return G

# metric, data, metric_params
METRICS = [
    ("euclidean", X_BLOBS, {}), ("l2", X_BLOBS, {}), ("manhattan", X_BLOBS, {}), ("cityblock", X_BLOBS, {}),
    ("l1", X_BLOBS, {}), ("chebyshev", X_BLOBS, {}), ("infinity", X_BLOBS, {}),
    ("minkowski", X_BLOBS, {"p": 3}), ("minkowski", X_BLOBS, {"p": 1.5, "w": np.arange(1.0, 5.0)}),
    ("p", X_BLOBS, {"p": 3}), ("cosine", X_BLOBS, {}), ("correlation", X_BLOBS, {}),
    ("sqeuclidean", X_BLOBS, {}), ("braycurtis", X_POSITIVE, {}), ("canberra", X_POSITIVE, {}),
    ("seuclidean", X_BLOBS, {"V": np.var(X_BLOBS, axis=0)}), ("mahalanobis", X_BLOBS, {"VI": np.linalg.inv(COVARIANCE)}),
    ("haversine", X_BLOBS[:, :2] / 10, {}), ("nan_euclidean", X_BLOBS, {}), ("wminkowski", X_BLOBS, {"p": 2, "w": np.ones(4)}),
    ("hamming", X_BINARY, {}), ("jaccard", X_BINARY, {}), ("dice", X_BINARY, {}), ("matching", X_BINARY, {}),
    ("rogerstanimoto", X_BINARY, {}), ("russellrao", X_BINARY, {}), ("sokalsneath", X_BINARY, {}),
    ("sokalmichener", X_BINARY, {}), ("yule", X_BINARY, {}),
]


def _both(X, min_samples=4, **params):
    """Our fit and scikit-learn's on the same input (scikit-learn's min_samples + 1)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataConversionWarning)
        ours = losslens.HDBSCAN(min_samples=min_samples, **params).fit(X)
        theirs = SklearnHDBSCAN(min_samples=min_samples + 1, copy=True, **params).fit(X)
    return ours, theirs


def _assert_same_labels(ours, theirs):
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(ours.probabilities_, theirs.probabilities_, rtol=0, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("metric,X,params", METRICS, ids=[f"{m}-{len(p)}" for m, _, p in METRICS])
@pytest.mark.parametrize("algorithm", ["auto", "brute"])
def test_every_metric_gives_sklearns_labels(metric, X, params, algorithm):
    if metric == "wminkowski" or (algorithm == "brute" and metric in ("infinity", "p", "sokalmichener")):
        pytest.skip("scikit-learn refuses it (pairwise_distances does not know this name)")
    if algorithm == "auto" and "w" in params:
        algorithm = "ball_tree"  # scikit-learn's auto picks a k-d tree, which refuses weights
    ours, theirs = _both(X, metric=metric, metric_params=params or None, algorithm=algorithm, min_cluster_size=12)
    _assert_same_labels(ours, theirs)


def test_callable_metric_gives_sklearns_labels():
    def weighted_l1(a, b):
        return float(np.sum(np.abs(a - b) * np.array([1.0, 2.0, 0.5, 1.0])))

    ours, theirs = _both(X_BLOBS[:120], metric=weighted_l1, min_cluster_size=10)
    assert ours.labels_.max() >= 1  # several clusters: the comparison is not trivial
    _assert_same_labels(ours, theirs)


@pytest.mark.parametrize("algorithm", ["kd_tree", "ball_tree"])
@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "chebyshev"])
def test_sklearn_tree_algorithms_are_accepted_and_give_its_labels(algorithm, metric):
    ours, theirs = _both(X_BLOBS, metric=metric, algorithm=algorithm, min_cluster_size=12)
    _assert_same_labels(ours, theirs)


@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine"])
def test_sparse_features_give_sklearns_labels(metric):
    X = X_BLOBS.copy()
    X[np.abs(X) < 2] = 0  # a sparse matrix with structural zeros
    ours, theirs = _both(csr_matrix(X), metric=metric, min_cluster_size=12)
    _assert_same_labels(ours, theirs)
    np.testing.assert_array_equal(ours.labels_, losslens.HDBSCAN(
        min_samples=4, metric=metric, min_cluster_size=12, algorithm="brute").fit(X).labels_)


def test_sparse_features_with_non_finite_rows_are_labelled_like_sklearn():
    X = X_BLOBS.copy()
    X[3, 1], X[7, 0] = np.inf, np.nan
    ours, theirs = _both(csr_matrix(X), min_cluster_size=12)
    _assert_same_labels(ours, theirs)
    assert list(ours.labels_[[3, 7]]) == [-2, -3]


@pytest.mark.parametrize("neighbours", [10, 30])
def test_sparse_precomputed_knn_graph_gives_sklearns_labels(neighbours):
    G = _knn_graph(neighbours)
    ours, theirs = _both(G, metric="precomputed", min_cluster_size=12, min_samples=3)
    assert ours.labels_.max() >= 1
    _assert_same_labels(ours, theirs)


def test_missing_distances_warn_like_sklearn():
    """Infinite entries of a dense precomputed matrix are missing distances; points left with too few
    finite neighbours join the tree at infinity, with scikit-learn's warning."""
    D = pairwise_distances(X_TOUCHING)
    far = D > np.quantile(D, 0.05)
    far[:12] |= D[:12] > 0  # twelve points with no finite neighbour
    D[far | far.T] = np.inf
    np.fill_diagonal(D, 0)
    with pytest.warns(UserWarning, match="infinity"):
        ours = losslens.HDBSCAN(metric="precomputed", min_samples=3, min_cluster_size=12).fit(D)
    with pytest.warns(UserWarning, match="infinity"):
        theirs = SklearnHDBSCAN(metric="precomputed", min_samples=4, min_cluster_size=12, copy=True).fit(D)
    _assert_same_labels(ours, theirs)


@pytest.mark.parametrize("cut,size", [(0.5, 5), (1.0, 5), (1.5, 10), (3.0, 2), (100.0, 5), (0.01, 1)])
def test_dbscan_clustering_equals_sklearns(cut, size):
    X = X_BLOBS.copy()
    X[5, 0], X[9, 1] = np.nan, np.inf
    ours, theirs = _both(X, min_cluster_size=12)
    np.testing.assert_array_equal(ours.dbscan_clustering(cut, size), theirs.dbscan_clustering(cut, size))


def test_copy_is_accepted_and_x_never_modified():
    D = np.ascontiguousarray(np.abs(X_BLOBS[:, :1] - X_BLOBS[:, :1].T))
    before = D.copy()
    for copy in (False, True):
        losslens.HDBSCAN(metric="precomputed", copy=copy, alpha=2.0).fit(D)
        np.testing.assert_array_equal(D, before)
