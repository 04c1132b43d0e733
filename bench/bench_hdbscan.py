"""HDBSCAN: losslens vs the `hdbscan` package (best algorithm), scikit-learn and fast_hdbscan.

Same inputs in the same run; each reference runs once in a child process capped at 180 s. Labels
are checked against scikit-learn exactly (its min_samples counts the point itself, so it gets
min_samples = 16 for our 15) and against the others by adjusted Rand index and as a relabelling.
"""
import multiprocessing as mp
import time
import warnings

import numpy as np
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

import losslens

from _harness import best_time, row

CAP_SECONDS = 180
MIN_CLUSTER_SIZE = 15
CASES = [
    ("make_blobs 100000x2", ("blobs", 100_000, 2)),
    ("make_blobs 100000x10", ("blobs", 100_000, 10)),
    ("make_blobs 20000x50", ("blobs", 20_000, 50)),
    ("trajectories 20000x100", ("walks", 20_000, 100)),
]


def make_data(kind, n, d):
    if kind == "blobs":
        return make_blobs(n, n_features=d, centers=10, random_state=0)[0]
    rng = np.random.default_rng(0)  # random-walk trajectories, three drifts
    return np.cumsum(rng.normal(size=(n, d)) + rng.integers(0, 3, size=(n, 1)) * 0.3, axis=1)


def _fit_hdbscan(X):
    import hdbscan

    return hdbscan.HDBSCAN(min_cluster_size=MIN_CLUSTER_SIZE).fit(X).labels_


def _fit_sklearn(X):
    from sklearn.cluster import HDBSCAN

    return HDBSCAN(min_cluster_size=MIN_CLUSTER_SIZE, min_samples=MIN_CLUSTER_SIZE + 1, copy=True).fit(X).labels_


def _fit_fast_hdbscan(X):
    import fast_hdbscan

    return fast_hdbscan.HDBSCAN(min_cluster_size=MIN_CLUSTER_SIZE).fit(X).labels_


REFERENCES = [("hdbscan (best)", _fit_hdbscan), ("sklearn", _fit_sklearn), ("fast_hdbscan", _fit_fast_hdbscan)]


def _child(fit, spec, conn):
    warnings.simplefilter("ignore")
    X = make_data(*spec)
    if fit is _fit_fast_hdbscan:  # compile numba kernels outside the timing
        fit(make_data(spec[0], 300, spec[2]))
    start = time.perf_counter()
    labels = fit(X)
    conn.send((time.perf_counter() - start, labels))


def run_capped(fit, spec):
    """(seconds, labels) of one reference run, or (None, None) past the cap."""
    parent, child = mp.Pipe(duplex=False)
    process = mp.get_context("fork").Process(target=_child, args=(fit, spec, child))
    process.start()
    result = (None, None)
    if parent.poll(CAP_SECONDS):
        result = parent.recv()
    process.kill()
    process.join()
    return result


def _same_up_to_relabelling(a, b):
    pairs = np.unique(np.stack([a, b]), axis=1)
    return len(np.unique(pairs[0])) == pairs.shape[1] == len(np.unique(pairs[1]))


def run(emit):
    for name, spec in CASES:
        X = make_data(*spec)
        ours, model = best_time(lambda: losslens.HDBSCAN(min_cluster_size=MIN_CLUSTER_SIZE).fit(X), repeat=2,
                                min_total=0)
        ratios = []
        for ref_name, fit in REFERENCES:
            seconds, labels = run_capped(fit, spec)
            case = f"{name} vs {ref_name}"
            if seconds is None:
                emit(f"{case:<44} {ours:>10.4f} {'>' + str(CAP_SECONDS):>10} {'>' + format(CAP_SECONDS / ours, '.1f'):>8}x"
                     f"  reference capped at {CAP_SECONDS} s")
                ratios.append(CAP_SECONDS / ours)
                continue
            same = np.array_equal(model.labels_, labels)
            quality = (f"labels identical={same} relabelling={_same_up_to_relabelling(model.labels_, labels)} "
                       f"ARI={adjusted_rand_score(model.labels_, labels):.4f} "
                       f"differ={int((model.labels_ != labels).sum())}/{len(labels)}")
            emit(row(case, ours, seconds, quality))
            ratios.append(seconds / ours)
        emit(f"{name}: speed-up vs fastest reference {min(ratios):.1f}x; vs hdbscan {ratios[0]:.1f}x")
