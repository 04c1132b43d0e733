"""No leaks at the extension boundary: repeated calls keep resident memory and refcounts flat.

Each case calls one extension entry point 10,000 times (success and error paths) after a warm-up
and checks the process's resident set grows by less than a few MiB and the inputs' reference
counts are unchanged.
"""
import os
import sys

import numpy as np
import pytest

import losslens
from losslens import _core

CALLS = 10_000
SLACK_MIB = 4.0


def resident_mib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _raises(fn, *args):
    try:
        fn(*args)
    except (ValueError, TypeError):
        return
    raise AssertionError("expected an exception")


X = np.random.default_rng(0).normal(size=(64, 8))
X32 = X.astype(np.float32)
CASES = {
    "project_simplex f64": (lambda: _core.project_simplex(X, 0, 1.0, 1), [X]),
    "project_simplex f32 rows": (lambda: _core.project_simplex(X32, 1, 2.0, 1), [X32]),
    "project_simplex python API": (lambda: losslens.project_simplex(X, axis=1), [X]),
    "project_simplex error in swift": (lambda: _raises(_core.project_simplex, X, 0, -1.0, 1), [X]),
    "project_simplex error in C": (lambda: _raises(_core.project_simplex, X.T, 0, 1.0, 1), [X]),
    "debug_address": (lambda: _core.debug_address(X), [X]),
    "version and config": (lambda: (_core.version(), _core.blas_config()), []),
    "KMeans fit": (lambda: losslens.KMeans(3, n_init=1, random_state=0).fit(X), [X]),
    "HDBSCAN fit": (lambda: losslens.HDBSCAN(min_cluster_size=4).fit(X), [X]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_repeated_calls_do_not_leak(name):
    call, inputs = CASES[name]
    counts = [sys.getrefcount(a) for a in inputs]
    for _ in range(1000):
        call()
    before = resident_mib()
    for _ in range(CALLS):
        call()
    growth = resident_mib() - before
    assert growth < SLACK_MIB, f"{name}: resident memory grew {growth:.1f} MiB over {CALLS} calls"
    assert [sys.getrefcount(a) for a in inputs] == counts
