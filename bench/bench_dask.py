"""Dask: KMeans on a loss matrix stored on disk, fitted by memory-limited workers vs in memory.

The loss matrix (n_samples × n_checkpoints, float32) is written step by step by ``LossRecorder``
to a Zarr store (``.npy`` without Zarr), reopened lazily with ``LossRecorder.open(path, chunks=...)``
and clustered by ``KMeans.fit`` on a ``LocalCluster`` of two single-threaded worker processes
with ``memory_limit``; the reference is the in-memory fit of the same matrix from the same
initial centres. Reports both times, whether the labels agree, and each worker's peak memory.
"""
import resource
import tempfile
from pathlib import Path

import numpy as np

import losslens

from _harness import best_time, row

N_SAMPLES, N_STEPS, K, MAX_ITER = 1_000_000, 51, 10, 10
CHUNK_ROWS = 100_000
MEMORY_LIMIT = "400MB"


def _peak_rss_mb():
    """This process's peak resident memory in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _record(path, rng):
    """Loss curves of K domains with noise, appended one checkpoint at a time."""
    domain = rng.integers(K, size=N_SAMPLES)
    rates = rng.uniform(0.01, 0.2, size=K)
    recorder = losslens.LossRecorder(N_SAMPLES, path=path, chunk_samples=CHUNK_ROWS)
    for t in range(N_STEPS):
        curve = 3.0 * np.exp(-rates * t)
        recorder.append((curve[domain] + 0.05 * rng.standard_normal(N_SAMPLES)).astype(np.float32))
    recorder.close()


def run(emit):
    from distributed import Client, LocalCluster

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "losses.zarr"
        _record(path, rng)
        init = np.asarray(losslens.LossRecorder.open(path, chunks=CHUNK_ROWS)[:K].compute()) + 0.01
        params = dict(n_clusters=K, init=init, n_init=1, max_iter=MAX_ITER)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit=MEMORY_LIMIT,
                          dashboard_address=":0", silence_logs=50) as cluster, Client(cluster) as client:
            lazy = losslens.LossRecorder.open(path, chunks=CHUNK_ROWS)
            ours, fitted = best_time(lambda: losslens.KMeans(**params).fit(lazy), repeat=1, min_total=0)
            peaks = client.run(_peak_rss_mb)
        L = np.ascontiguousarray(losslens.LossRecorder.open(path))
        ref, memory = best_time(lambda: losslens.KMeans(**params).fit(L), repeat=1, min_total=0)
        same = np.mean(fitted.labels_ == memory.labels_)
        peak = ", ".join(f"{mb:.0f}" for mb in peaks.values())
        emit(row(f"KMeans dask 2 workers {N_SAMPLES}x{N_STEPS} f32 k={K}", ours, ref,
                 f"labels equal {same:.4f}, iters {fitted.n_iter_}/{memory.n_iter_}, "
                 f"peak worker MB [{peak}] (limit {MEMORY_LIMIT}), ref = in-memory fit"))
