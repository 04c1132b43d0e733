"""k-means on a ``dask.array``: Lloyd iterations and k-means|| seeding as map-reduce over row blocks.

Each task works on one block of whole rows with the Swift kernels (``_core.kmeans_assign``); the
client only sums k×d partial statistics, so no row ever leaves its worker except the few sampled
as candidate centres. Runs on whatever scheduler is active (a ``dask.distributed.Client`` or the
threaded scheduler).
"""
import numpy as np
from scipy import sparse

from .. import _core
from .._dask import import_dask


def _centred(x, w, mean):
    """A block of rows minus the data mean and its weights, both C-contiguous in the mean's dtype."""
    return np.ascontiguousarray(np.asarray(x, dtype=mean.dtype) - mean), np.array(w, dtype=mean.dtype, order="C")


def _squared_distances(x, centers, labels):
    """‖xᵢ − c_{labelᵢ}‖² per row."""
    diff = x - centers[labels]
    return np.einsum("ij,ij->i", diff, diff)


def _lloyd_block(x, w, previous, mean, centers, threads):
    """Lloyd's E-step on one block: its labels and (sums k×d, weights k, labels changed)."""
    x, w = _centred(x, w, mean)
    labels, _ = _core.kmeans_assign(x, w, centers, threads)
    k = centers.shape[0]
    w64 = np.asarray(w, dtype=np.float64)
    onehot = sparse.csr_matrix((w64, (labels, np.arange(len(labels)))), shape=(k, len(labels)))
    sums = np.asarray(onehot @ x.astype(np.float64))
    changed = len(labels) if previous is None else int(np.count_nonzero(labels != previous))
    return labels, (sums, np.bincount(labels, weights=w64, minlength=k), changed)


def _farthest_block(x, w, mean, centers, labels, offset, count):
    """The `count` rows of a block farthest from their (old) centre: (distance, index, row, weight, label)."""
    x, w = _centred(x, w, mean)
    distance = _squared_distances(x, centers, labels)
    order = np.lexsort((np.arange(len(x)), -distance))[:count]
    return [(distance[i], offset + i, x[i], w[i], labels[i]) for i in order]


def _assign_block(x, w, mean, centers, threads):
    """Labels of a block at `centers` and its inertia."""
    x, w = _centred(x, w, mean)
    return _core.kmeans_assign(x, w, centers, threads)


class DaskKMeansData:
    """Row blocks of X and of the weights as delayed objects, with the data mean and tolerance scale."""

    def __init__(self, X, sample_weight):
        dask, da = import_dask()
        self.dask = dask
        X = X.rechunk({1: -1})
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        X = X.astype(dtype)
        if sample_weight is None:
            weights = da.ones(X.shape[0], chunks=(X.chunks[0],), dtype=dtype)
        else:
            weights = da.asarray(sample_weight).astype(dtype).rechunk((X.chunks[0],))
            if weights.shape != (X.shape[0],):
                raise ValueError(f"sample_weight.shape == {weights.shape}, expected {(X.shape[0],)}!")
        mean, variance, finite, negative = dask.compute(
            X.mean(axis=0), X.var(axis=0).mean(), da.isfinite(X).all(), (weights < 0).any()
        )
        if not finite:
            raise ValueError("Input X contains NaN or infinity.")
        if negative:
            raise ValueError("sample_weight must be non-negative")
        self.X, self.weights = X, weights
        self.dtype = np.dtype(dtype)
        self.mean = np.asarray(mean, dtype=dtype)
        self.variance = float(variance)
        self.blocks = list(X.to_delayed().ravel())
        self.weight_blocks = list(weights.to_delayed().ravel())
        self.offsets = np.concatenate([[0], np.cumsum(X.chunks[0])])[:-1]
        self.n = X.shape[0]

    def map(self, function, *args, per_block=(), nout=None):
        """One delayed call of `function(x, w, *per_block[b], mean, *args)` per block b."""
        call = self.dask.delayed(function, nout=nout, pure=True)
        extra = per_block or [()] * len(self.blocks)
        return [call(x, w, *e, self.mean, *args) for x, w, e in zip(self.blocks, self.weight_blocks, extra)]

    def rows(self, indices):
        """The centred rows at `indices` (in this order)."""
        indices = np.asarray(indices)
        order = np.argsort(indices, kind="stable")
        picked = np.asarray(self.X[indices[order]].compute(), dtype=self.dtype) - self.mean
        out = np.empty_like(picked)
        out[order] = picked
        return np.ascontiguousarray(out)


def lloyd(data, centers, max_iter, tol, threads):
    """scikit-learn's Lloyd loop (as ``KMeansProblem.iterate`` in Swift) on dask blocks.

    Returns the final centres, the persisted label blocks, the inertia and the iterations run.
    """
    dask = data.dask
    previous = [None] * len(data.blocks)
    iterations = 0
    for _ in range(max_iter):
        steps = data.map(_lloyd_block, centers, threads, per_block=[(p,) for p in previous], nout=2)
        labels, stats = dask.persist([s[0] for s in steps], [s[1] for s in steps])
        stats = dask.compute(*stats)
        sums = sum(s[0] for s in stats)
        weight_in = sum(s[1] for s in stats)
        changed = sum(s[2] for s in stats)
        new = _finish_centers(data, centers, labels, sums, weight_in)
        shift = np.sqrt(((new - centers) ** 2).sum(axis=1))
        centers = new
        iterations += 1
        if changed == 0:
            break
        if float(np.sum(shift.astype(np.float64) ** 2)) <= tol:
            break
        previous = labels
    results = dask.compute(*data.map(_assign_block, centers, threads))
    labels = np.concatenate([r[0] for r in results])
    inertia = float(sum(r[1] for r in results))
    return centers, labels, inertia, iterations


def _finish_centers(data, old, labels, sums, weight_in):
    """The M-step of ``finishCenters``: empty clusters take the globally farthest rows, then means."""
    new = sums.copy()
    empty = np.flatnonzero(weight_in == 0)
    if len(empty):
        candidates = [c for block in _farthest(data, old, labels, len(empty)) for c in block]
        candidates.sort(key=lambda c: (-c[0], c[1]))
        for cluster, (_, _, row, w, source) in zip(empty, candidates):
            new[source] -= row * w
            new[cluster] = row * w
            weight_in[cluster] = w
            weight_in[source] -= w
    filled = weight_in > 0
    new[filled] *= (1 / weight_in[filled])[:, None]
    return new.astype(old.dtype)


def _farthest(data, old, labels, count):
    """Per block, its `count` rows farthest from their old centre."""
    calls = [
        data.dask.delayed(_farthest_block, pure=True)(x, w, data.mean, old, lb, off, count)
        for x, w, lb, off in zip(data.blocks, data.weight_blocks, labels, data.offsets)
    ]
    return data.dask.compute(*calls)


def _phi_block(x, w, mean, candidates, threads):
    """Σ w·d² of a block to its nearest candidate."""
    x, w = _centred(x, w, mean)
    return _core.kmeans_assign(x, w, candidates, threads)[1]


def _sample_block(x, w, seed, mean, candidates, factor, threads):
    """Rows of a block drawn independently with probability min(1, factor·w·d²) (k-means|| step)."""
    x, w = _centred(x, w, mean)
    labels, _ = _core.kmeans_assign(x, w, candidates, threads)
    p = factor * np.asarray(w, dtype=np.float64) * _squared_distances(x, candidates, labels)
    return x[np.random.default_rng(seed).random(len(x)) < p]


def _count_block(x, w, mean, candidates, threads):
    """Summed weight of the rows nearest to each candidate."""
    x, w = _centred(x, w, mean)
    labels, _ = _core.kmeans_assign(x, w, candidates, threads)
    return np.bincount(labels, weights=np.asarray(w, dtype=np.float64), minlength=len(candidates))


def kmeans_parallel(data, k, rng, threads, rounds=5):
    """k-means|| seeding: ``rounds`` passes oversampling 2k rows each, then greedy k-means++ on them.

    References
    ----------
    B. Bahmani et al., "Scalable K-Means++", PVLDB 5(7), 2012, algorithm 2.
    """
    dask = data.dask
    totals = np.asarray(dask.compute(*[dask.delayed(np.sum)(w) for w in data.weight_blocks]), dtype=np.float64)
    first = _draw_row(data, totals, rng)
    candidates = data.rows([first])
    oversampling = 2 * k
    for _ in range(rounds):
        phi = float(sum(dask.compute(*data.map(_phi_block, candidates, threads))))
        if phi <= 0:
            break
        seeds = rng.randint(np.iinfo(np.int64).max, size=len(data.blocks))
        drawn = dask.compute(*data.map(
            _sample_block, candidates, oversampling / phi, threads, per_block=[(int(s),) for s in seeds]
        ))
        new = [d for d in drawn if len(d)]
        if new:
            candidates = np.ascontiguousarray(np.concatenate([candidates, *new]).astype(data.dtype))
    if len(candidates) < k:
        extra = rng.choice(data.n, size=k - len(candidates), replace=False)
        candidates = np.ascontiguousarray(np.concatenate([candidates, data.rows(extra)]))
    weights = sum(dask.compute(*data.map(_count_block, candidates, threads))).astype(data.dtype)
    seed = int(rng.randint(np.iinfo(np.int64).max))
    centers, _ = _core.kmeans_plusplus(candidates, weights, k, 2 + int(np.log(k)), seed, threads)
    return centers


def _draw_row(data, totals, rng):
    """One row index drawn with probability ∝ its weight (block first, then row within it)."""
    block = rng.choice(len(totals), p=totals / totals.sum())
    w = np.asarray(data.weight_blocks[block].compute(), dtype=np.float64)
    return int(data.offsets[block] + rng.choice(len(w), p=w / w.sum()))


def random_rows(data, k, rng):
    """k distinct rows drawn as the in-memory ``init="random"`` draws them (the same rows for a seed)."""
    w = np.asarray(data.weights.compute(), dtype=np.float64)
    return data.rows(rng.choice(data.n, size=k, replace=False, p=w / w.sum()))


__all__ = ["DaskKMeansData", "kmeans_parallel", "lloyd", "random_rows"]
