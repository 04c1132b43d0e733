"""Test accuracy of many independent retrains, in worker processes when more than one core is free."""
import os

import numpy as np

from ._progress import progress

_WORKER = {}


def default_workers():
    """Worker processes for retrains: one per usable core, at most 2 (the demo's target machine)."""
    return max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()))


def _start_worker(data, config):
    import torch

    torch.set_num_threads(1)
    _WORKER.update(data=data, config=config)


def _retrain(job):
    from ._train import accuracy, train

    indices, seed = job
    data = _WORKER["data"]
    return accuracy(train(data, indices, _WORKER["config"], seed), data.X_test, data.y_test)


def retrain_accuracies(data, config, jobs, n_workers=1, show_progress=True, desc="retrains"):
    """Test accuracy after ``train(data, indices, config, seed)`` for every ``(indices, seed)`` in ``jobs``.

    Every retrain runs on one thread from its own seed, so the results do not depend on ``n_workers``:
    with more than one, the jobs go to that many spawned processes (each gets ``data`` once).
    """
    accuracies = np.empty(len(jobs))
    bar = progress(total=len(jobs), enabled=show_progress, desc=desc)
    if n_workers <= 1 or len(jobs) <= 1:
        _start_worker(data, config)
        try:
            for j, job in enumerate(jobs):
                accuracies[j] = _retrain(job)
                bar.update()
        finally:
            _WORKER.clear()
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_start_worker, initargs=(data, config)) as pool:
            for j, value in enumerate(pool.map(_retrain, jobs)):
                accuracies[j] = value
                bar.update()
    bar.close()
    return accuracies
