"""Dask: KMeans and LDD on a loss matrix stored on disk, fitted by memory-limited workers vs in memory.

The loss matrix (n_samples × n_checkpoints, float32) is written step by step by ``LossRecorder``
(KMeans: a Zarr store; LDD: a ``.npy`` file of 3·10⁶ × 51, 0.6 GB), reopened lazily with
``LossRecorder.open(path, chunks=...)`` and fitted on a ``LocalCluster`` of single-threaded worker
processes with ``memory_limit``; the reference is the in-memory fit of the same matrix (KMeans from
the same initial centres; LDD from the same start, same iterations). Reports both times, how far the
results agree, and each worker's peak memory.
"""
import tempfile
from pathlib import Path

import numpy as np

import losslens

from _harness import best_time, row

N_SAMPLES, N_STEPS, K, MAX_ITER = 1_000_000, 51, 10, 10
CHUNK_ROWS = 100_000
MEMORY_LIMIT = "400MB"
LDD_SAMPLES, LDD_DOMAINS, LDD_ITER, LDD_WORKERS, LDD_CHUNK_ROWS = 3_000_000, 5, 5, 6, 50_000


def _peak_rss_mb():
    """This process's peak resident memory in MB: VmHWM, the high-water mark of its own address space.

    (``getrusage``'s ru_maxrss is not it: Linux carries it across exec, so a worker spawned by a
    large parent would report the parent's peak.)
    """
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _record(path, rng, n_samples=N_SAMPLES, n_domains=K):
    """Loss curves of `n_domains` domains with noise, appended one checkpoint at a time."""
    domain = rng.integers(n_domains, size=n_samples)
    rates = rng.uniform(0.01, 0.2, size=n_domains)
    recorder = losslens.LossRecorder(n_samples, path=path, chunk_samples=CHUNK_ROWS)
    for t in range(N_STEPS):
        curve = 3.0 * np.exp(-rates * t)
        recorder.append((curve[domain] + 0.05 * rng.standard_normal(n_samples)).astype(np.float32))
    recorder.close()


def run(emit):
    _kmeans(emit)
    _ldd(emit)


def _kmeans(emit):
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


def _ldd(emit):
    """LDD on 3·10⁶ × 51 float32 losses on disk (0.6 GB; 1.2 GB as float64 differences) by workers of
    400 MB each: D (N × K) stays spread over the workers; the same fit in memory is the reference."""
    from distributed import Client, LocalCluster

    rng = np.random.default_rng(1)
    params = dict(n_domains=LDD_DOMAINS, max_iter=LDD_ITER, tol=0.0, random_state=0, progress=False)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "losses.npy"
        _record(path, rng, LDD_SAMPLES, LDD_DOMAINS)
        with LocalCluster(n_workers=LDD_WORKERS, threads_per_worker=1, processes=True, memory_limit=MEMORY_LIMIT,
                          dashboard_address=None, silence_logs=50) as cluster, Client(cluster) as client:
            workers = set(client.scheduler_info()["workers"])
            lazy = losslens.LossRecorder.open(path, chunks=LDD_CHUNK_ROWS)
            ours, fitted = best_time(lambda: losslens.LDD(**params).fit(lazy), repeat=1, min_total=0)
            peaks = client.run(_peak_rss_mb)
            kept = set(client.scheduler_info()["workers"]) == workers
            # Block by block to the client: a plain compute() would concatenate D on one 400 MB worker.
            dictionary = np.concatenate(client.gather(client.compute(list(fitted.dictionary_.to_delayed().ravel()))))
        L = losslens.LossRecorder.open(path)
        ref, memory = best_time(lambda: losslens.LDD(**params).fit(L), repeat=1, min_total=0)
        gap_d = np.abs(dictionary - memory.dictionary_).max() / np.abs(memory.dictionary_).max()
        gap_a = np.abs(fitted.code_differences_ - memory.code_differences_).max() / np.abs(memory.code_differences_).max()
        peak = ", ".join(f"{mb:.0f}" for mb in peaks.values())
        emit(row(f"LDD dask {LDD_WORKERS} workers {LDD_SAMPLES}x{N_STEPS} f32 K={LDD_DOMAINS}", ours, ref,
                 f"rel. diff D {gap_d:.1e}, A {gap_a:.1e}, objective {fitted.objective_ / memory.objective_ - 1:.1e}, "
                 f"iters {fitted.n_iter_}/{memory.n_iter_}, peak worker MB [{peak}] (limit {MEMORY_LIMIT}"
                 f"{'' if kept else ', a worker was restarted'}), ref = in-memory fit of the .npy memmap"))
