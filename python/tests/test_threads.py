"""Calls from several Python threads at once give the same results as sequential calls."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import losslens

RNG = np.random.default_rng(0)
DATA = [RNG.normal(size=(3000, 40)) for _ in range(4)]

# name -> function of one input array returning arrays to compare; deterministic by construction.
WORKLOADS = {
    "project_simplex columns": lambda X: losslens.project_simplex(X, axis=0),
    "project_simplex rows, 2 threads": lambda X: losslens.project_simplex(X, axis=1, n_jobs=2),
}


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_four_threads_match_sequential(name):
    work = WORKLOADS[name]
    sequential = [work(X) for X in DATA]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            concurrent = list(pool.map(work, DATA))
            for a, b in zip(sequential, concurrent):
                np.testing.assert_array_equal(a, b)
