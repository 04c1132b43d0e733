"""DIDS over the learning domains: training with domain-impact-aware sampling (report section)."""
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from ..torch import DIDSLoop
from ._progress import progress
from ._train import accuracy, new_model


@dataclass
class DIDSRun:
    """Sampling probabilities after each update (``probabilities[j]`` in force from ``steps[j]``)."""

    probabilities: np.ndarray
    steps: np.ndarray
    test_accuracy: float


def dids_training(data, config, assignment, n_domains, seed, interval=10, show_progress=True, **sampler_params):
    """Train a fresh model with :class:`losslens.torch.DIDSLoop` over the learning domains.

    The training domains are the learning domains (``assignment[i]``: the domain of reference
    sample i); the tasks are the validation images of each class. Every ``interval`` steps the loop
    updates the domain probabilities from the FIM-guided impact and the tasks' loss histories
    (DIDS eqs. 11–16). Domains with no member keep probability 0; ``sampler_params`` go to the
    :class:`losslens.DomainSampler`.
    """
    model = new_model(data, seed)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    X_val, y_val = torch.from_numpy(data.X_val), torch.from_numpy(data.y_val)
    present = [k for k in range(n_domains) if np.any(assignment == k)]
    domains = [(X[assignment == k], y[assignment == k]) for k in present]
    tasks = [(X_val[y_val == c], y_val[y_val == c]) for c in range(data.n_classes)]
    loop = DIDSLoop(model, F.cross_entropy, torch.optim.Adam(model.parameters(), lr=config.lr), domains, tasks,
                    tau=interval, batch_size=config.batch_size, probe_size=32, random_state=seed, **sampler_params)
    for _ in progress(range(config.steps), enabled=show_progress, desc="DIDS-sampled training"):
        loop.step()
    history = np.array(loop.sampler.history_)
    probabilities = np.zeros((len(history), n_domains))
    probabilities[:, present] = history
    return DIDSRun(probabilities, interval * np.arange(len(history)), accuracy(model, data.X_test, data.y_test))
