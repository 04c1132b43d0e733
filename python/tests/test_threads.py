"""Calls from several Python threads at once give the same results as sequential calls.

Same to rounding: OpenBLAS's thread count is process-wide and the core runs it single-threaded
inside its own parallel loops, so a concurrent call may see a different BLAS blocking and round
differently (observed: 1e-16 absolute on DictionaryLearning atoms). Labels must match exactly.
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import losslens

RNG = np.random.default_rng(0)
DATA = [RNG.normal(size=(3000, 40)) for _ in range(4)]
BLOBS = [np.concatenate([RNG.normal(c, 1.0, size=(300, 5)) for c in (0, 6, 12)]) for _ in range(4)]

# name -> function of one input array returning arrays to compare; deterministic by construction.
WORKLOADS = {
    "project_simplex columns": lambda X: losslens.project_simplex(X, axis=0),
    "project_simplex rows, 2 threads": lambda X: losslens.project_simplex(X, axis=1, n_jobs=2),
    "KMeans": lambda X: losslens.KMeans(8, n_init=2, random_state=0).fit(X).cluster_centers_,
    "HDBSCAN": lambda X: losslens.HDBSCAN(min_cluster_size=15).fit(X).probabilities_,
    "HDBSCAN labels": lambda X: losslens.HDBSCAN(min_cluster_size=15).fit(X).labels_,
    "KMeans labels": lambda X: losslens.KMeans(8, n_init=2, random_state=0).fit(X).labels_,
    "DictionaryLearning": lambda X: losslens.DictionaryLearning(5, max_iter=20, random_state=0).fit(X).components_,
    "LDD": lambda X: losslens.LDD(3, max_iter=30, random_state=0, progress=False).fit(np.abs(X[:, :12])).dictionary_,
    "GradientSketch": lambda X: losslens.GradientSketch(16, random_state=0).fit_transform(X),
}
INPUTS = {"HDBSCAN": BLOBS, "HDBSCAN labels": BLOBS}


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_four_threads_match_sequential(name):
    work, data = WORKLOADS[name], INPUTS.get(name, DATA)
    sequential = [work(X) for X in data]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            concurrent = list(pool.map(work, data))
            for a, b in zip(sequential, concurrent):
                if a.dtype.kind in "iu":
                    np.testing.assert_array_equal(a, b)
                else:
                    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
