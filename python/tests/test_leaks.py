"""No leaks at the extension boundary: repeated calls keep resident memory and refcounts flat.

Each case calls extension entry points 10,000 times (success and error paths) after a warm-up
and checks the process's resident set grows by less than a few MiB and the inputs' reference
counts are unchanged.
"""
import os
import sys

import numpy as np
import pytest
from scipy.sparse import csr_matrix

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
X_CSR = csr_matrix(np.where(X > 0.5, X, 0.0))
CSR_ARGS = (X_CSR.data, X_CSR.indices, X_CSR.indptr.astype(np.int64), X_CSR.shape[1], np.ones(X_CSR.shape[0]))
INIT_CSR = X_CSR[:3].toarray()
SYM = X.T @ X
HISTORY = np.linspace(2.0, 1.0, 8)[None].repeat(3, axis=0)
GRADS = np.random.default_rng(1).normal(size=(4, 16, 2))
KM = losslens.KMeans(3, n_init=1, random_state=0).fit(X)

BLOCK_V = np.abs(X[:3].T.copy()).T.copy()  # 3 atoms over the 8 columns of X


def _dictionary_blocks_round():
    """One distributed-LDD round's kernels on X (64 steps x 8 samples) and 3 atoms."""
    cross, gram = _core.dl_block_products(X, BLOCK_V)
    code = np.zeros((64, 3))
    _core.dl_encode_gram(gram, cross, np.einsum("ij,ij->i", X, X), code, 0.1, False, 100, 1e-8, 1)
    target = _core.dl_block_target(code, X)
    w, largest, _ = _core.dl_block_atom(BLOCK_V, target, gram + np.eye(3), 0)
    _core.simplex_block_sums(w, largest, np.array([-1.0, -0.5]))
    state = _core.xoshiro_seed(3)
    return _core.xoshiro_next(state), _core.xoshiro_gaussians(state, 4)


# name -> (call, inputs whose refcounts must not change, extension entry points it exercises)
CASES = {
    "project_simplex f64": (lambda: _core.project_simplex(X, 0, 1.0, 1), [X], {"project_simplex"}),
    "project_simplex f32 rows": (lambda: _core.project_simplex(X32, 1, 2.0, 1), [X32], {"project_simplex"}),
    "project_simplex python API": (lambda: losslens.project_simplex(X, axis=1), [X], {"project_simplex"}),
    "project_simplex error in swift": (lambda: _raises(_core.project_simplex, X, 0, -1.0, 1), [X], set()),
    "project_simplex error in C": (lambda: _raises(_core.project_simplex, X.T, 0, 1.0, 1), [X], set()),
    "debug_address": (lambda: _core.debug_address(X), [X], {"debug_address"}),
    "library queries": (
        lambda: (_core.version(), _core.abi_version(), _core.blas_config(), _core.get_num_threads(),
                 _core.blas_num_threads(), _core.set_num_threads(_core.get_num_threads()), _core.debug_spin(0.0)),
        [],
        {"version", "abi_version", "blas_config", "get_num_threads", "blas_num_threads", "set_num_threads", "debug_spin"},
    ),
    "KMeans fit": (lambda: losslens.KMeans(3, n_init=1, random_state=0).fit(X), [X], {"kmeans_fit", "kmeans_plusplus"}),
    "KMeans predict": (lambda: KM.predict(X), [X], {"kmeans_assign"}),
    "KMeans sparse fit and assign": (
        lambda: (_core.kmeans_sparse_fit(*CSR_ARGS, INIT_CSR.copy(), 0, 30, 0.0),
                 _core.kmeans_sparse_assign(*CSR_ARGS, INIT_CSR)),
        [X_CSR.data, INIT_CSR], {"kmeans_sparse_fit", "kmeans_sparse_assign"},
    ),
    "KMeans sparse error in swift": (
        lambda: _raises(_core.kmeans_sparse_assign, X_CSR.data, X_CSR.indices, X_CSR.indptr.astype(np.int64) + 1,
                        X_CSR.shape[1], np.ones(X_CSR.shape[0]), np.zeros((2, X_CSR.shape[1]))),
        [X_CSR.data], set(),
    ),
    "HDBSCAN fit": (
        lambda: losslens.HDBSCAN(min_cluster_size=4).fit(X), [X], {"hdbscan_mst", "hdbscan_condense", "hdbscan_select"}
    ),
    "GradientSketch": (
        lambda: losslens.GradientSketch(16, normalize_columns=True, random_state=0).fit_transform(X),
        [X],
        {"dids_sketch", "dids_projection_column_norms"},
    ),
    "Fisher and impact": (
        lambda: losslens.dids.fim_impact(X[:4], X[4:6], losslens.dids.empirical_fisher_diagonal(X)),
        [X],
        {"dids_fisher_diagonal", "dids_impact"},
    ),
    "decay fit and potential": (
        lambda: (losslens.dids.fit_exponential_decay(np.arange(8.0), HISTORY[0]), losslens.dids.potential(HISTORY[0], 2)),
        [HISTORY],
        {"dids_fit_exponential_decay", "dids_potential"},
    ),
    "DomainSampler update": (
        lambda: losslens.DomainSampler(4).update(np.abs(X[:4, :3]), HISTORY), [X, HISTORY], {"dids_update"}
    ),
    "eigsh dense": (lambda: losslens.linalg.eigsh(SYM, k=2, random_state=0), [SYM], {"lanczos_dense"}),
    "eigsh callable": (lambda: losslens.linalg.eigsh(lambda v: SYM @ v, k=2, n=8, random_state=0), [SYM], {"lanczos_operator"}),
    "POLCA fit": (
        lambda: losslens.POLCA().fit(GRADS, np.ones((3, 2)), np.full((3, 2), 0.5)), [GRADS], {"polca_allocate"}
    ),
    "DictionaryLearning fit and transform": (
        lambda: losslens.DictionaryLearning(3, max_iter=5, random_state=0).fit(X).transform(X),
        [X],
        {"dict_learning", "sparse_encode_lasso"},
    ),
    "dictionary-learning block kernels": (
        lambda: _dictionary_blocks_round(), [X, BLOCK_V],
        {"dl_encode_gram", "dl_block_products", "dl_block_target", "dl_block_atom", "simplex_block_sums",
         "xoshiro_seed", "xoshiro_next", "xoshiro_gaussians"},
    ),
    "dictionary-learning block kernels errors": (
        lambda: (_raises(_core.dl_block_atom, BLOCK_V, BLOCK_V, np.zeros((3, 3)), 0),
                 _raises(_core.dl_block_products, X.T, BLOCK_V[:, :5]),
                 _raises(_core.xoshiro_gaussians, np.zeros(3, dtype=np.uint64), 4)),
        [X, BLOCK_V], set(),
    ),
}


def test_every_extension_function_has_a_leak_case():
    exported = {name for name in dir(_core) if not name.startswith("_") and callable(getattr(_core, name))}
    covered = set().union(*(entry_points for _, _, entry_points in CASES.values()))
    assert exported <= covered, f"extension functions without a leak case: {sorted(exported - covered)}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_repeated_calls_do_not_leak(name):
    call, inputs, _ = CASES[name]
    calls = CALLS
    counts = [sys.getrefcount(a) for a in inputs]
    for _ in range(calls // 10):
        call()
    before = resident_mib()
    for _ in range(calls):
        call()
    growth = resident_mib() - before
    assert growth < SLACK_MIB, f"{name}: resident memory grew {growth:.1f} MiB over {calls} calls"
    assert [sys.getrefcount(a) for a in inputs] == counts
