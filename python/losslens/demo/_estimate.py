"""Before the training sections run: how long each will take on this machine, from a few seconds' probe.

The three expensive sections are counts of two operations of the demo's CNN, a forward pass and an
Adam step on one mini-batch; the probe times both (with this process's torch threads, and on one
thread as a retrain worker runs them) and the estimate multiplies by the counts. Other sections
(LDD fits, t-SNE, POLCA, DIDS) are not estimated.
"""
import time
from dataclasses import dataclass

import numpy as np


@dataclass
class Probe:
    """Measured costs: seconds per image of a forward pass and per training step on a mini-batch,
    with the process's torch threads (``*_threads``) and on one thread (``*_single``)."""

    image_threads: float
    step_threads: float
    image_single: float
    step_single: float


def _time_operations(data, config, n_images, seed, n_steps=3, rounds=4):
    """Seconds per image of a forward pass and per training step: the best round after a warm-up round."""
    import torch

    from ._train import mean_loss, new_model, sgd_step

    model = new_model(data, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    X, y = data.X_train[:n_images], data.y_train[:n_images]
    batch = min(config.batch_size, len(data.y_train))
    X_batch, y_batch = torch.from_numpy(data.X_train[:batch]), torch.from_numpy(data.y_train[:batch])
    forward, step = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        mean_loss(model, X, y)
        forward.append((time.perf_counter() - start) / len(y))
        start = time.perf_counter()
        for _ in range(n_steps):
            sgd_step(model, optimizer, X_batch, y_batch)
        step.append((time.perf_counter() - start) / n_steps)
    return min(forward[1:]), min(step[1:])


def probe(data, config, seed, n_images=512):
    """Time the demo CNN's forward pass and training step on this machine (a few seconds on MNIST)."""
    import torch

    threads = torch.get_num_threads()
    image_threads, step_threads = _time_operations(data, config, n_images, seed)
    try:
        torch.set_num_threads(1)
        image_single, step_single = _time_operations(data, config, n_images, seed)
    finally:
        torch.set_num_threads(threads)
    return Probe(image_threads, step_threads, image_single, step_single)


def retrains_per_seed(options, n_methods):
    """Pruning retrains per seed: the full set, every budget × method (figure 6a), and every other K (6b)."""
    by_count = sum(1 for k in options.domain_counts if k != options.domains) \
        if options.domain_count_fraction in options.fractions else 0
    return 1 + len(options.fractions) * n_methods + by_count


def estimate(costs, options, data):
    """Estimated seconds of the recording, counterfactual and pruning sections that ``options`` runs.

    recording: a forward pass over the reference and validation images at every checkpoint, the
    steps, and the test set once; counterfactual: at every step, the real update and one per domain,
    each followed by a validation pass (an upper bound: a domain absent from the batch is skipped);
    pruning: every retrain's steps and test pass on one thread, shared by the worker processes.
    """
    from ._pruning import METHODS
    from ._run import COUNTERFACTUAL_STAGE, PRUNING_STAGE, RECORDING_STAGE

    n_train, n_val, n_test = len(data.y_train), len(data.y_val), len(data.y_test)
    seconds = {RECORDING_STAGE: (options.steps + 1) * (n_train + n_val) * costs.image_threads
               + options.steps * costs.step_threads + n_test * costs.image_threads}
    if "counterfactual" in options.sections:
        seconds[COUNTERFACTUAL_STAGE] = options.steps * (options.domains + 1) * (
            costs.step_threads + n_val * costs.image_threads)
    if "pruning" in options.sections:
        retrain = options.steps * costs.step_single + n_test * costs.image_single
        retrains = options.n_seeds * retrains_per_seed(options, len(METHODS))
        seconds[PRUNING_STAGE] = retrain * int(np.ceil(retrains / options.n_workers))
    return seconds


def describe(seconds):
    """One line: each estimate in minutes and their total."""
    parts = ", ".join(f"{name} ≈ {value / 60:.0f} min" for name, value in seconds.items())
    return f"estimated on this machine: {parts}; together ≈ {sum(seconds.values()) / 60:.0f} min"
