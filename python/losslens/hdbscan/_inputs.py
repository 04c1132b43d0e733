"""HDBSCAN inputs beyond the Swift metrics: scikit-learn's metric routing, distance matrices for
every metric it accepts, sparse precomputed graphs and DBSCAN* cuts, with its errors and warnings."""
import warnings

import numpy as np
from scipy.sparse import csgraph, issparse
from sklearn.neighbors import BallTree, KDTree

from .. import _core

# Metrics scikit-learn's HDBSCAN sends to a tree (Prim's algorithm on DistanceMetric); every other
# metric it computes with pairwise_distances (its brute path).
FAST_METRICS = set(KDTree.valid_metrics + BallTree.valid_metrics)
# Metrics the Swift core measures on the fly (its ll_hdbscan_metric codes).
SWIFT_METRICS = {
    "euclidean": _core.HDBSCAN_EUCLIDEAN, "l2": _core.HDBSCAN_EUCLIDEAN,
    "manhattan": _core.HDBSCAN_MANHATTAN, "cityblock": _core.HDBSCAN_MANHATTAN, "l1": _core.HDBSCAN_MANHATTAN,
    "chebyshev": _core.HDBSCAN_CHEBYSHEV, "infinity": _core.HDBSCAN_CHEBYSHEV,
    "minkowski": _core.HDBSCAN_MINKOWSKI,
    "cosine": _core.HDBSCAN_COSINE,
}
PRECOMPUTED = _core.HDBSCAN_PRECOMPUTED


def check_algorithm(algorithm, metric, sparse):
    """scikit-learn's checks of ``algorithm`` against ``metric`` and sparse input."""
    if algorithm == "kd_tree" and metric not in KDTree.valid_metrics:
        raise ValueError(f"{metric} is not a valid metric for a KDTree-based algorithm. "
                         "Please select a different metric.")
    if algorithm == "ball_tree" and metric not in BallTree.valid_metrics:
        raise ValueError(f"{metric} is not a valid metric for a BallTree-based algorithm. "
                         "Please select a different metric.")
    if algorithm not in ("auto", "brute") and metric != "precomputed" and sparse:
        raise ValueError("Sparse data matrices only support algorithm `brute`.")


def swift_metric(metric, metric_params):
    """``(code, p)`` when the Swift core measures ``metric`` itself, else None."""
    if not isinstance(metric, str) or metric not in SWIFT_METRICS:
        return None
    params = dict(metric_params)
    p = params.pop("p", 2.0) if metric == "minkowski" else 2.0
    if params or isinstance(p, bool) or not isinstance(p, (int, float)) or not (1 <= p < np.inf):
        return None
    return SWIFT_METRICS[metric], float(p)


def distance_matrix(X, metric, metric_params, algorithm, n_jobs):
    """Dense pairwise distances as scikit-learn's HDBSCAN measures them for this metric and algorithm:
    ``DistanceMetric`` on its tree paths, ``pairwise_distances`` (SciPy's ``cdist`` for SciPy metrics)
    on its brute path, callables included."""
    from sklearn.metrics import DistanceMetric, pairwise_distances

    tree = algorithm in ("kd_tree", "ball_tree") or (algorithm == "auto" and metric in FAST_METRICS)
    if tree and not issparse(X):
        D = DistanceMetric.get_metric(metric, **metric_params).pairwise(X)
    else:
        D = pairwise_distances(X, metric=metric, n_jobs=n_jobs, **metric_params)
    D = np.ascontiguousarray(D, dtype=np.float64)
    if np.isnan(D).any():
        raise ValueError(f"metric {metric!r} gave NaN distances on X")
    return D


def check_symmetric(X):
    """scikit-learn's check of a precomputed distance matrix."""
    from sklearn.utils.validation import _allclose_dense_sparse

    if X.shape[0] != X.shape[1]:
        raise ValueError(
            "The precomputed distance matrix is expected to be symmetric, however"
            f" it has shape {X.shape}. Please verify that the distance matrix was constructed correctly.")
    if not _allclose_dense_sparse(X, X.T):
        raise ValueError(
            "The precomputed distance matrix is expected to be symmetric, however its values appear to be"
            " asymmetric. Please verify that the distance matrix was constructed correctly.")


def sparse_graph_mst(G, min_samples, alpha, max_distance):
    """Minimum spanning tree of the mutual-reachability graph of a sparse distance graph, as
    scikit-learn builds it: absent entries are infinite (no edge), a point's core distance is its
    ``min_samples``-th smallest stored distance (scikit-learn's count, the point itself included when
    stored), infinite weights become ``max_distance`` when it is > 0.

    Returns the core distances and the (n - 1, 3) edges ``(from, to, weight)``; raises scikit-learn's
    ``ValueError`` for points with too few neighbours or a disconnected graph and warns (``UserWarning``)
    when the tree needs infinite edges.
    """
    graph = G.tocsr(copy=True).astype(np.float64)
    graph.data /= alpha
    n = graph.shape[0]
    lengths = np.diff(graph.indptr)
    k = min_samples - 1
    core = np.full(n, np.inf)
    for i in np.flatnonzero(lengths > k):
        core[i] = np.partition(graph.data[graph.indptr[i]:graph.indptr[i + 1]], k)[k]
    rows = np.repeat(np.arange(n), lengths)
    reach = np.maximum(np.maximum(core[rows], core[graph.indices]), graph.data)
    if max_distance > 0:
        reach[~np.isfinite(reach)] = max_distance
    graph.data = reach
    if (lengths < min_samples).any():
        raise ValueError(
            f"There exists points with fewer than {min_samples} neighbors. Ensure your distance matrix has"
            f" non-zero values for at least `min_sample`={min_samples} neighbors for each points (i.e. K-nn"
            " graph), or specify a `max_distance` in `metric_params` to use when distances are missing.")
    components = csgraph.connected_components(graph, directed=False, return_labels=False)
    if components > 1:
        raise ValueError(
            f"Sparse mutual reachability matrix has {components} connected components. HDBSCAN cannot be"
            " performed on a disconnected graph. Ensure that the sparse distance matrix has only one"
            " connected component.")
    tree = csgraph.minimum_spanning_tree(graph)
    source, target = tree.nonzero()
    mst = np.column_stack([source, target, tree.data]).astype(np.float64)
    warn_infinite_edges(mst)
    return core, np.ascontiguousarray(mst)


def warn_infinite_edges(mst):
    """scikit-learn's warning when the spanning tree needs edges of infinite weight (missing distances)."""
    if np.isinf(mst[:, 2]).any():
        warnings.warn(
            "The minimum spanning tree contains edge weights with value infinity. Potentially, you are"
            " missing too many distances in the initial distance matrix for the given neighborhood size.",
            UserWarning, stacklevel=4)


def finite_rows(X):
    """Rows of ``X`` (dense or sparse) whose entries are all finite, and the rows scikit-learn labels
    missing (row sum NaN) and infinite (row sum ±inf)."""
    if issparse(X):
        X = X.tocsr()
        bad = np.zeros(X.shape[0], dtype=bool)
        bad[np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))[~np.isfinite(X.data)]] = True
    else:
        bad = ~np.isfinite(X).all(axis=1)
    if not bad.any():
        return np.arange(X.shape[0]), None, None
    with np.errstate(invalid="ignore", over="ignore"):
        sums = np.asarray(X.sum(axis=1)).ravel()
    return np.flatnonzero(~bad), np.flatnonzero(np.isnan(sums)), np.flatnonzero(np.isinf(sums))


def raw_linkage(linkage, finite, n_total):
    """The single-linkage tree in the row numbering of the full input, non-finite rows merged last at
    infinite height (scikit-learn's ``remap_single_linkage_tree``)."""
    n_finite = finite.shape[0]
    outliers = np.setdiff1d(np.arange(n_total), finite)
    tree = linkage.copy()
    for column in (0, 1):
        nodes = tree[:, column].astype(np.intp)
        tree[:, column] = np.where(nodes < n_finite, finite[np.minimum(nodes, n_finite - 1)],
                                   nodes + outliers.shape[0])
    last = int(max(tree[-1, 0], tree[-1, 1])) if tree.shape[0] else n_total - 1
    size = tree[-1, 3] if tree.shape[0] else 1
    extra = [(o, last + 1 + i, np.inf, size + 1 + i) for i, o in enumerate(outliers)]
    return np.vstack([tree, np.array(extra, dtype=np.float64).reshape(-1, 4)])


def labelling_at_cut(linkage, cut, min_cluster_size):
    """Flat DBSCAN* labels of a single-linkage tree cut at ``cut`` (merges strictly below it), clusters
    smaller than ``min_cluster_size`` being noise; numbered as scikit-learn's ``labelling_at_cut``
    numbers them (its union by rank decides the representative of each cluster)."""
    n = linkage.shape[0] + 1
    parent = np.arange(2 * n - 1)
    rank = np.zeros(2 * n - 1, dtype=np.intp)

    def find(x):
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(x, y):
        x, y = find(x), find(y)
        if rank[x] < rank[y]:
            parent[x] = y
        elif rank[x] > rank[y]:
            parent[y] = x
        else:
            parent[y] = x
            rank[x] += 1

    for row, (left, right, height, _) in enumerate(linkage):
        if height < cut:
            union(int(left), n + row)
            union(int(right), n + row)
    roots = np.array([find(i) for i in range(n)])
    sizes = np.bincount(roots, minlength=2 * n - 1)
    labels = np.full(n, -1, dtype=np.intp)
    next_label = 0
    for root in np.unique(roots):
        if sizes[root] >= min_cluster_size:
            labels[roots == root] = next_label
            next_label += 1
    return labels
