"""Issue 19: sparse KMeans (CSR) and HDBSCAN's brute path on metrics scikit-learn's trees do not
support, losslens vs scikit-learn on the same inputs in the same process."""
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import HDBSCAN as SKHDBSCAN
from sklearn.cluster import KMeans as SKKMeans

import losslens

from _harness import best_time, row


def _sparse_topics(rng, n, d, k, density):
    """CSR rows (float64) whose stored columns favour one of k topics' column blocks."""
    nnz_per_row = int(round(d * density))
    topic = rng.integers(k, size=n)
    block = d // k
    own = rng.integers(0, block, size=(n, nnz_per_row // 2)) + (topic * block)[:, None]
    other = rng.integers(0, d, size=(n, nnz_per_row - nnz_per_row // 2))
    columns = np.concatenate([own, other], axis=1)
    rows = np.repeat(np.arange(n), nnz_per_row)
    X = sp.csr_matrix((rng.uniform(0.5, 1.5, size=n * nnz_per_row), (rows, columns.ravel())), shape=(n, d))
    X.sum_duplicates()
    return X


def run(emit):
    rng = np.random.default_rng(0)
    X = _sparse_topics(rng, 100_000, 20_000, 50, 0.005)
    init = X[rng.choice(X.shape[0], size=50, replace=False)].toarray()
    for algorithm in ("lloyd", "elkan"):
        params = dict(n_clusters=50, init=init, n_init=1, max_iter=10, algorithm=algorithm)
        ours, a = best_time(lambda: losslens.KMeans(**params).fit(X), repeat=1, min_total=0)
        ref, b = best_time(lambda: SKKMeans(**params).fit(X), repeat=1, min_total=0)
        same = np.mean(a.labels_ == b.labels_)
        gap = abs(a.inertia_ - b.inertia_) / b.inertia_
        emit(row(f"CSR 100000x20000 0.5% k=50 {algorithm}", ours, ref,
                 f"labels equal {same:.4f}, |dinertia|/inertia {gap:.1e}, iters {a.n_iter_}/{b.n_iter_}"))
    centres = rng.normal(scale=3.0, size=(8, 50))
    Y = centres[rng.integers(8, size=20_000)] + rng.normal(size=(20_000, 50))
    for metric in ("cosine", "correlation"):
        params = dict(metric=metric, min_cluster_size=50)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            ours, a = best_time(lambda: losslens.HDBSCAN(min_samples=5, **params).fit(Y), repeat=1, min_total=0)
            ref, b = best_time(lambda: SKHDBSCAN(min_samples=6, copy=True, **params).fit(Y), repeat=1, min_total=0)
        emit(row(f"HDBSCAN brute 20000x50 metric={metric}", ours, ref,
                 f"labels equal {np.mean(a.labels_ == b.labels_):.4f}, clusters {a.labels_.max() + 1}"))
