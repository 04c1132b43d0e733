"""HDBSCAN at 10⁶–10⁷ points (issue 21): time and peak memory beyond the input, float32 input,
losslens vs fast_hdbscan and the `hdbscan` package, and the Dask sample route vs the exact fit.

Each fit runs alone in a child process (its peak resident memory is measured there, beyond the
input, from /proc/self/status), capped at 10 minutes. The child is spawned, not forked: a forked
child's 10⁶ × 32 fit ran past the cap twice where a spawned one took 246 s (docs/hdbscan.md). The default run takes the 10⁶ × 2 case
only (17 minutes on a loaded 2-core machine); LOSSLENS_BENCH_HDBSCAN=full adds 10⁶ × 8, 10⁶ × 32
and 10⁷ × 2 (an hour or more there). LOSSLENS_BENCH_HDBSCAN=1000000x8,1000000x2 runs those cases,
and LOSSLENS_BENCH_HDBSCAN_SIDES=float32,fast_hdbscan only the sides whose names contain one of
those words.
"""
import multiprocessing as mp
import os
import time
import warnings

import numpy as np
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

import losslens

CAP_SECONDS = 600
MIN_CLUSTER_SIZE = 50
QUICK = [(1_000_000, 2)]
FULL = [(1_000_000, 2), (1_000_000, 8), (1_000_000, 32), (10_000_000, 2)]


def make_data(n, d):
    """Blobs around 20 centres, float32 (the issue's benchmark data)."""
    return make_blobs(n, n_features=d, centers=20, random_state=0)[0].astype(np.float32)


def _status(key):
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith(key)).split()[1]) * 1024


def _fit_losslens(X):
    return losslens.HDBSCAN(min_cluster_size=MIN_CLUSTER_SIZE).fit(X).labels_


def _fit_losslens_float64(X):
    return losslens.HDBSCAN(min_cluster_size=MIN_CLUSTER_SIZE).fit(X.astype(np.float64)).labels_


def _fit_dask_sample(X):
    import dask.array as da

    model = losslens.hdbscan.fit_sample_predict(
        losslens.HDBSCAN(min_cluster_size=MIN_CLUSTER_SIZE), da.from_array(X, chunks=(250_000, -1)),
        sample_size=X.shape[0] // 5)
    return model.labels_.compute()


def _fit_fast_hdbscan(X):
    import fast_hdbscan

    return fast_hdbscan.HDBSCAN(min_cluster_size=MIN_CLUSTER_SIZE).fit(X).labels_


def _fit_hdbscan(X):
    import hdbscan

    return hdbscan.HDBSCAN(min_cluster_size=MIN_CLUSTER_SIZE, core_dist_n_jobs=2).fit(X).labels_


SIDES = [("losslens float32", _fit_losslens), ("losslens float64 copy", _fit_losslens_float64),
         ("losslens dask, 1/5 sample", _fit_dask_sample), ("fast_hdbscan", _fit_fast_hdbscan),
         ("hdbscan (best)", _fit_hdbscan)]


def _child(fit, n, d, conn):
    warnings.simplefilter("ignore")
    X = make_data(n, d)
    if fit is _fit_fast_hdbscan:  # compile numba kernels outside the measure
        fit(make_data(2000, d))
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = _status("VmRSS")
    start = time.perf_counter()
    labels = fit(X)
    conn.send((time.perf_counter() - start, _status("VmHWM") - before, labels))


def run_capped(fit, n, d):
    """(seconds, peak bytes beyond the input, labels), or None past the cap."""
    parent, child = mp.Pipe(duplex=False)
    process = mp.get_context("spawn").Process(target=_child, args=(fit, n, d, child))
    process.start()
    result = parent.recv() if parent.poll(CAP_SECONDS) else None
    process.kill()
    process.join()
    return result


def _cases(choice):
    """The cases LOSSLENS_BENCH_HDBSCAN names: "full", "NxD,NxD…", or nothing (the quick case)."""
    if choice == "full":
        return FULL
    if not choice:
        return QUICK
    return [tuple(int(v) for v in case.split("x")) for case in choice.split(",")]


def _sides(choice):
    """The sides whose names contain a word of LOSSLENS_BENCH_HDBSCAN_SIDES (all by default)."""
    words = [w for w in (choice or "").split(",") if w]
    return [side for side in SIDES if not words or any(w in side[0] for w in words)]


def run(emit):
    cases = _cases(os.environ.get("LOSSLENS_BENCH_HDBSCAN"))
    emit(f"{'case':<44} {'seconds':>9} {'B/point':>8}  labels vs losslens float32")
    for n, d in cases:
        ours = None
        for name, fit in _sides(os.environ.get("LOSSLENS_BENCH_HDBSCAN_SIDES")):
            if name.startswith("hdbscan") and d > 8:
                emit(f"{n}x{d} {name:<34} skipped (hours at this size)")
                continue
            result = run_capped(fit, n, d)
            case = f"{n}x{d} {name}"
            if result is None:
                emit(f"{case:<44} {'>' + str(CAP_SECONDS):>9} {'':>8}  capped")
                continue
            seconds, peak, labels = result
            if ours is None:
                ours, quality = labels, f"{labels.max() + 1} clusters, noise {np.mean(labels < 0):.3f}"
            else:
                quality = (f"identical={np.array_equal(labels, ours)} ARI={adjusted_rand_score(ours, labels):.4f} "
                           f"differ={int((labels != ours).sum())}")
            emit(f"{case:<44} {seconds:>9.2f} {peak / n:>8.0f}  {quality}")
