"""k-means: losslens.KMeans vs sklearn.cluster.KMeans, same data, same initial centres, same caps."""
import numpy as np
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans as SKKMeans
from sklearn.cluster import kmeans_plusplus

import losslens
from losslens import _core

from _harness import best_time, row

# (name, n, d, k, algorithm, max_iter): iteration caps keep each case within a couple of minutes.
CASES = [
    ("DIDS sketches 100000x1024 k=72 lloyd", 100_000, 1024, 72, "lloyd", 10),
    ("1000000x32 k=100 lloyd", 1_000_000, 32, 100, "lloyd", 20),
    ("1000000x32 k=100 elkan", 1_000_000, 32, 100, "elkan", 20),
]


def _blobs(rng, n, d, k):
    centres = rng.normal(scale=4.0, size=(k, d))
    return centres[rng.integers(0, k, size=n)] + rng.normal(size=(n, d))


def run(emit):
    rng = np.random.default_rng(0)
    for name, n, d, k, algorithm, max_iter in CASES:
        X = _blobs(rng, n, d, k)
        init = X[rng.choice(n, size=k, replace=False)]
        params = dict(n_clusters=k, init=init, n_init=1, max_iter=max_iter, algorithm=algorithm)
        ours, a = best_time(lambda: losslens.KMeans(**params).fit(X), repeat=1, min_total=0)
        ref, b = best_time(lambda: SKKMeans(**params).fit(X), repeat=1, min_total=0)
        same = np.mean(a.labels_ == b.labels_)
        gap = abs(a.inertia_ - b.inertia_) / b.inertia_
        emit(row(name, ours, ref, f"labels equal {same:.4f}, |dinertia|/inertia {gap:.1e}, iters {a.n_iter_}/{b.n_iter_}"))
    X = _blobs(rng, 1_000_000, 32, 100)
    trials = 2 + int(np.log(100))  # scikit-learn's n_local_trials; X centred as both fits do
    X -= X.mean(axis=0)
    ones = np.ones(len(X))
    ours, (a, _) = best_time(lambda: _core.kmeans_plusplus(X, ones, 100, trials, 0), repeat=1, min_total=0)
    ref, (b, _) = best_time(lambda: kmeans_plusplus(X, 100, random_state=0), repeat=1, min_total=0)
    sample = X[::100]
    ratio = cdist(sample, a, "sqeuclidean").min(axis=1).sum() / cdist(sample, b, "sqeuclidean").min(axis=1).sum()
    emit(row("k-means++ seeding 1000000x32 k=100", ours, ref, f"potential on 1% of rows ours/sklearn {ratio:.3f}"))
    ours_time = ref_time = 0.0
    ours_inertia, ref_inertia = [], []
    for seed in range(10):  # k-means++ lands in different local minima per seed: compare averages
        X = _blobs(rng, 20_000, 32, 50)
        params = dict(n_clusters=50, n_init=3, random_state=seed)
        t, a = best_time(lambda: losslens.KMeans(**params).fit(X), repeat=1, min_total=0)
        u, b = best_time(lambda: SKKMeans(**params).fit(X), repeat=1, min_total=0)
        ours_time, ref_time = ours_time + t, ref_time + u
        ours_inertia.append(a.inertia_)
        ref_inertia.append(b.inertia_)
    ratio = np.mean(ours_inertia) / np.mean(ref_inertia)
    emit(row("k-means++ n_init=3 10x(20000x32 k=50)", ours_time, ref_time, f"mean inertia ours/sklearn {ratio:.4f}"))
