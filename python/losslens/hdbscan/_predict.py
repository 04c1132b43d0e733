"""Vectorised ``approximate_predict``: new points join the condensed tree of a fitted HDBSCAN."""
import os

import numpy as np

from .._config import get_num_threads

# Points per task when the neighbour queries are spread over threads.
_BLOCK_ROWS = 8192


class TreeLookup:
    """The condensed tree's clusters as arrays indexed by ``cluster id − n``: parent, birth λ,
    selected-cluster label (−1: none) and the largest λ of the label's cluster."""

    def __init__(self, condensed_tree, n_points, selected, cluster_of, death):
        clusters = condensed_tree[condensed_tree["child_size"] > 1]
        count = int(max(condensed_tree["parent"].max(), clusters["child"].max(initial=n_points)) - n_points + 1)
        self.n_points = n_points
        self.parent = np.full(count, -1, dtype=np.intp)
        self.birth = np.zeros(count)
        self.parent[clusters["child"] - n_points] = clusters["parent"]
        self.birth[clusters["child"] - n_points] = clusters["lambda_val"]
        self.label = np.full(count, -1, dtype=np.int32)
        self.death = np.ones(count)
        for cluster, label in cluster_of.items():
            self.label[cluster - n_points] = label
            self.death[cluster - n_points] = death[cluster]


def threaded_map(function, items, threads=0):
    """``[function(item) for item in items]`` on ``threads`` threads (0 or None: the library's
    budget, negative: CPUs + 1 + threads); for work that releases the GIL, e.g. k-d tree queries."""
    if not threads:
        threads = get_num_threads()
    elif threads < 0:
        threads = max(1, (os.cpu_count() or 1) + 1 + threads)
    workers = max(1, min(threads, len(items)))
    if workers == 1:
        return [function(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(function, items))


def query_blocks(tree, X, k, threads=0):
    """``tree.query(X, k)`` (distances, indices) over blocks of rows on ``threads`` threads."""
    parts = threaded_map(lambda s: tree.query(X[s:s + _BLOCK_ROWS], k=k), range(0, X.shape[0], _BLOCK_ROWS), threads)
    if not parts:
        return np.empty((0, k)), np.empty((0, k), dtype=np.intp)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def join_points(distances, neighbours, core, k):
    """Nearest fitted point of each new point in mutual reachability and the λ at which it joins
    (its own core distance is the distance to its ``k + 1``-th neighbour); rows are points."""
    own_core = distances[:, min(k, distances.shape[1] - 1)]
    reach = np.maximum(np.maximum(core[neighbours], own_core[:, None]), distances)
    nearest = np.argmin(reach, axis=1)
    rows = np.arange(reach.shape[0])
    best = reach[rows, nearest]
    with np.errstate(divide="ignore"):
        lam = np.where(best > 0, 1.0 / np.where(best > 0, best, 1.0), np.finfo(np.float64).max)
    return neighbours[rows, nearest], lam


def approximate_predict(tree, core, k, fitted_count, condensed_tree, point_row, lookup, X, threads=0):
    """Labels (int32) and probabilities of the rows of ``X``, as the ``hdbscan`` package's
    ``approximate_predict``: each point joins through its nearest neighbour in mutual reachability
    at ``λ = 1 / d_mreach`` and takes the selected cluster above that point, if any.

    The neighbour queries of blocks of rows run on ``threads`` threads (see ``threaded_map``)."""
    query_k = min(2 * k, fitted_count)
    blocks = [X[s:s + _BLOCK_ROWS] for s in range(0, X.shape[0], _BLOCK_ROWS)]

    def one(block):
        distances, neighbours = tree.query(block, k=query_k)
        return join_points(distances, neighbours, core, k)

    parts = threaded_map(one, blocks, threads)
    if not parts:
        return np.empty(0, dtype=np.int32), np.empty(0)
    nearest = np.concatenate([p[0] for p in parts])
    lam = np.concatenate([p[1] for p in parts])
    row = point_row[nearest]
    n = lookup.n_points
    cluster = condensed_tree["parent"][row].astype(np.intp)
    # Climb while the cluster was born at or above the point's λ (the point's leaf λ exceeding it).
    climbing = condensed_tree["lambda_val"][row] > lam
    while climbing.any():
        at = np.flatnonzero(climbing)
        parent = lookup.parent[cluster[at] - n]
        rise = (parent >= n) & (lookup.birth[cluster[at] - n] >= lam[at])
        cluster[at[rise]] = parent[rise]
        climbing[at[~rise]] = False
    labels = lookup.label[cluster - n]
    death = lookup.death[cluster - n]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(death > 0, np.minimum(death, lam) / death, 1.0)
    probabilities = np.where(labels >= 0, share, 0.0)
    return labels, probabilities
