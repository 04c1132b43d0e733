"""Breakthrough clustering of POLCA projected-loss trajectories and of exact-loss trajectories."""
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import pairwise_distances_chunked

from ..hdbscan import HDBSCAN
from .._validation import as_real_array

# Labels that are not clusters.
OUTLIER = -1  # HDBSCAN noise
FILTERED = -2  # dropped before clustering: the projected loss along the direction increased


@dataclass(frozen=True)
class TrajectoryClusters:
    """Clusters of per-sample trajectories and their summary curves.

    Attributes
    ----------
    labels : ndarray of shape (n_samples,)
        Cluster id per sample; ``-1`` HDBSCAN outlier, ``-2`` filtered out before clustering.
    clusters : ndarray of shape (c,)
        Cluster ids, largest cluster first.
    sizes : ndarray of shape (c,)
    medoids : ndarray of shape (c,)
        Sample index of each cluster's medoid (least total Euclidean distance to its members).
    median, lower, upper : ndarray of shape (c, n_checkpoints)
        Median and 25th/75th percentile of the clustered trajectories per cluster.
    exact_median : ndarray of shape (c, n_checkpoints) or None
        Median exact loss of each cluster's members, when exact losses are known.
    direction : int or None
        The basis direction (POLCA clusters) or None (exact-loss clusters).
    """

    labels: np.ndarray
    clusters: np.ndarray
    sizes: np.ndarray
    medoids: np.ndarray
    median: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    exact_median: object
    direction: object


def _medoid(points):
    """Row of ``points`` with the least total distance to the others."""
    totals = np.concatenate(list(pairwise_distances_chunked(points, reduce_func=lambda chunk, start: chunk.sum(axis=1))))
    return int(np.argmin(totals))


def _summarize(trajectories, labels, exact, direction):
    """Quartile curves and medoids of every cluster of ``trajectories`` (n_samples, n_checkpoints)."""
    ids, sizes = np.unique(labels[labels >= 0], return_counts=True)
    order = np.argsort(-sizes, kind="stable")
    ids, sizes = ids[order], sizes[order]
    medoids, quartiles, exact_medians = [], [], []
    for cluster in ids:
        members = np.flatnonzero(labels == cluster)
        medoids.append(members[_medoid(trajectories[members])])
        quartiles.append(np.percentile(trajectories[members], [25, 50, 75], axis=0))
        if exact is not None:
            exact_medians.append(np.median(exact[members], axis=0))
    width = trajectories.shape[1]
    q = np.array(quartiles).reshape(len(ids), 3, width)
    return TrajectoryClusters(
        labels=labels, clusters=ids, sizes=sizes, medoids=np.array(medoids, dtype=np.int64),
        median=q[:, 1], lower=q[:, 0], upper=q[:, 2],
        exact_median=None if exact is None else np.array(exact_medians).reshape(len(ids), exact.shape[1]),
        direction=direction)


def _cluster(features, min_cluster_size, min_samples, hdbscan_params):
    """HDBSCAN labels of the rows of ``features`` (all outliers when there are too few rows)."""
    if features.shape[0] < max(2, min_cluster_size):
        return np.full(features.shape[0], OUTLIER, dtype=np.int64)
    model = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples, **hdbscan_params)
    return model.fit_predict(features).astype(np.int64)


def _along(values, direction):
    """Per-sample trajectories (n_samples, T + 1) of ``values`` (T + 1, n_samples, m) along one direction."""
    m = values.shape[2]
    if not 0 <= direction < m:
        raise ValueError(f"direction must be in [0, {m}), got {direction}")
    return values[:, :, direction].T


def _exact_losses(polca):
    """The exact losses (n_samples, T + 1) given to ``polca.fit``, or None."""
    return polca.losses_.T if hasattr(polca, "losses_") else None


def breakthrough_clusters(polca, direction, min_cluster_size=10, min_samples=None, **hdbscan_params):
    """Cluster the projected-loss trajectories of one direction (the paper's breakthrough clustering).

    Samples whose projected loss along ``direction`` increased over training
    (``L_b(x, theta_T) > 0``) are dropped (label -2), the remaining trajectories
    ``L_b(x, theta_1..T)`` are clustered with :class:`losslens.HDBSCAN`, and its outliers keep
    label -1 (excluded from the summaries).

    Parameters
    ----------
    polca : fitted POLCA
    direction : int
        Basis vector index.
    min_cluster_size, min_samples, **hdbscan_params
        Passed to :class:`losslens.HDBSCAN`.

    Returns
    -------
    TrajectoryClusters
        Summaries are over the projected loss ``L_b(x, theta_t)``, t = 0..T; ``exact_median``
        holds the median exact loss of each cluster when ``fit`` received ``losses``.
    """
    trajectories = _along(polca.projected_loss_, direction)
    kept = trajectories[:, -1] <= 0
    labels = np.full(trajectories.shape[0], FILTERED, dtype=np.int64)
    labels[kept] = _cluster(trajectories[kept, 1:], min_cluster_size, min_samples, hdbscan_params)
    return _summarize(trajectories, labels, _exact_losses(polca), direction)


def fisher_clusters(polca, direction, min_cluster_size=10, min_samples=None, **hdbscan_params):
    """Baseline: cluster the empirical Fisher information along one direction (the paper's Appendix D).

    The trajectory of sample ``x`` is ``<b, grad l(x; theta_t)>^2``, t = 0..T (Achille et al.'s
    empirical Fisher projected on ``b``); all samples are clustered (no filtering), outliers keep
    label -1.

    Parameters
    ----------
    polca : fitted POLCA
    direction : int
        Basis vector index.
    min_cluster_size, min_samples, **hdbscan_params
        Passed to :class:`losslens.HDBSCAN`.

    Returns
    -------
    TrajectoryClusters
    """
    trajectories = _along(polca.projected_grads_, direction) ** 2
    labels = _cluster(trajectories, min_cluster_size, min_samples, hdbscan_params)
    return _summarize(trajectories, labels, _exact_losses(polca), direction)


def exact_loss_clusters(losses, kind="loss", min_cluster_size=10, min_samples=None, **hdbscan_params):
    """Baseline: cluster exact per-sample loss trajectories (the paper's Section 4.2).

    Parameters
    ----------
    losses : array-like of shape (T + 1, n_samples)
    kind : {"loss", "change", "abs_change"}, default="loss"
        Cluster ``L(x, theta_t)``, ``L(theta_t) - L(theta_{t-1})`` or its magnitude.
    min_cluster_size, min_samples, **hdbscan_params
        Passed to :class:`losslens.HDBSCAN`.

    Returns
    -------
    TrajectoryClusters
        Summaries are over the clustered quantity; ``exact_median`` over the loss itself.
    """
    losses = as_real_array(losses, "losses", ndim=(2,), allow_float32=False)
    features = {"loss": lambda: losses.T, "change": lambda: np.diff(losses, axis=0).T,
                "abs_change": lambda: np.abs(np.diff(losses, axis=0)).T}
    if kind not in features:
        raise ValueError(f"kind must be one of {sorted(features)}, got {kind!r}")
    trajectories = features[kind]()
    labels = _cluster(trajectories, min_cluster_size, min_samples, hdbscan_params)
    return _summarize(trajectories, labels, losses.T, None)


def homogeneity(labels, categories, category=None):
    """Dominant-category fraction of every cluster (the paper's skill-homogeneity tables).

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
        Cluster labels; negative labels (outliers, filtered samples) are ignored.
    categories : array-like of shape (n_samples,)
        Known category per sample (e.g. a skill or class).
    category : object, default=None
        When given, ``fraction`` is the share of this category in each cluster instead of the
        dominant one's (the paper's Table 3: the fraction of tokens that carry), and
        ``dominant`` is ``category`` throughout.

    Returns
    -------
    dict of ndarray
        ``cluster``, ``size``, ``dominant`` (most frequent category) and ``fraction`` (its share
        of the cluster), largest cluster first.
    """
    labels = np.asarray(labels)
    categories = np.asarray(categories)
    if labels.shape != categories.shape or labels.ndim != 1:
        raise ValueError(f"labels and categories must be 1-D of equal length, got {labels.shape} and {categories.shape}")
    ids, sizes = np.unique(labels[labels >= 0], return_counts=True)
    order = np.argsort(-sizes, kind="stable")
    rows = {"cluster": ids[order], "size": sizes[order], "dominant": [], "fraction": []}
    for cluster, size in zip(rows["cluster"], rows["size"]):
        members = categories[labels == cluster]
        if category is None:
            values, counts = np.unique(members, return_counts=True)
            rows["dominant"].append(values[np.argmax(counts)])
            rows["fraction"].append(counts.max() / size)
        else:
            rows["dominant"].append(category)
            rows["fraction"].append(np.count_nonzero(members == category) / size)
    rows["dominant"] = np.array(rows["dominant"])
    rows["fraction"] = np.array(rows["fraction"], dtype=np.float64)
    return rows


@dataclass(frozen=True)
class BestCluster:
    """The cluster of one clustering richest in a skill: its skill fraction, size and identity."""

    fraction: float
    size: int
    cluster: int
    direction: object
    clusters: TrajectoryClusters


def best_clusters(clusterings, categories, category, top=3, min_size=1):
    """Rank clusterings by their most skill-homogeneous cluster (the rows of the paper's Table 3).

    For every clustering the cluster with the largest share of ``category`` is taken; the
    clusterings are then sorted by that share and the first ``top`` returned.

    Parameters
    ----------
    clusterings : iterable of TrajectoryClusters
        E.g. one per basis vector.
    categories : array-like of shape (n_samples,)
    category : object
        The skill value counted (e.g. ``True`` for "a carry arrives at this token").
    top : int, default=3
    min_size : int, default=1
        Clusters with fewer members are not considered. Samples with a negative label (outliers,
        filtered, or masked out by the caller) are never counted.

    Returns
    -------
    list of BestCluster
        Highest fraction first (ties: larger cluster first); clusterings without clusters are skipped.
    """
    best = []
    for clusters in clusterings:
        scores = homogeneity(clusters.labels, categories, category=category)
        large = scores["size"] >= min_size
        if large.any():
            i = int(np.argmax(np.where(large, scores["fraction"], -1.0)))
            best.append(BestCluster(fraction=float(scores["fraction"][i]), size=int(scores["size"][i]),
                                    cluster=int(scores["cluster"][i]), direction=clusters.direction,
                                    clusters=clusters))
    best.sort(key=lambda b: (-b.fraction, -b.size))
    return best[:top]


def plot_clusters(clusters, top=3, axes=None, title=None):
    """Cluster medians with quartile bands, and beside them the exact-loss medians of the same clusters.

    Parameters
    ----------
    clusters : TrajectoryClusters
    top : int, default=3
        Number of largest clusters drawn.
    axes : pair of matplotlib Axes, default=None
        Created when None (one row, two panels; one panel when no exact losses are known).
    title : str, default=None

    Returns
    -------
    axes
    """
    import matplotlib.pyplot as plt

    panels = 1 if clusters.exact_median is None else 2
    if axes is None:
        _, axes = plt.subplots(1, panels, figsize=(5 * panels, 3.5), squeeze=False)
        axes = axes[0]
    name = "projected loss" if clusters.direction is not None else "trajectory"
    steps = np.arange(clusters.median.shape[1])
    for i in range(min(top, len(clusters.clusters))):
        label = f"cluster {clusters.clusters[i]} (n={clusters.sizes[i]})"
        line, = axes[0].plot(steps, clusters.median[i], label=label)
        axes[0].fill_between(steps, clusters.lower[i], clusters.upper[i], color=line.get_color(), alpha=0.25)
        if panels == 2:
            axes[1].plot(np.arange(clusters.exact_median.shape[1]), clusters.exact_median[i], color=line.get_color())
    axes[0].set_xlabel("checkpoint")
    axes[0].set_ylabel(f"median {name}")
    axes[0].legend(fontsize="small")
    if panels == 2:
        axes[1].set_xlabel("checkpoint")
        axes[1].set_ylabel("median exact loss")
    if title:
        axes[0].set_title(title)
    return axes
