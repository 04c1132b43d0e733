"""DIDS over the learning domains: training with domain-impact-aware sampling (report section)."""
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

import losslens
from losslens.dids import empirical_fisher_diagonal, fim_impact

from ._progress import progress
from ._train import accuracy, new_model, per_sample_losses, sgd_step


def _flat_gradient(model, X, y):
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(X), y).backward()
    return torch.cat([p.grad.flatten() for p in model.parameters()]).double().numpy()


@dataclass
class DIDSRun:
    """Sampling probabilities after each update (``probabilities[j]`` in force from ``steps[j]``)."""

    probabilities: np.ndarray
    steps: np.ndarray
    test_accuracy: float


def dids_training(data, config, assignment, n_domains, seed, interval=10, probe=32, show_progress=True,
                  **sampler_params):
    """Train a fresh model whose mini-batches are drawn by :class:`losslens.DomainSampler`.

    The training domains are the learning domains (``assignment[i]``: the domain of reference
    sample i); the tasks are the validation images of each class. Every ``interval`` steps the
    domains' and tasks' mean gradients (``probe`` samples each) and the Fisher diagonal of the
    tasks' per-sample gradients give the impact matrix (DIDS eq. 12, ``fim_impact``); the sampler
    updates the domain probabilities from it and the tasks' loss histories (eqs. 13–16).
    Domains with no member keep probability 0. ``sampler_params`` go to the DomainSampler.
    """
    rng = np.random.default_rng(seed)
    sampler_rng = np.random.RandomState(seed)
    model = new_model(data, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    X_val, y_val = torch.from_numpy(data.X_val), torch.from_numpy(data.y_val)
    present = [k for k in range(n_domains) if np.any(assignment == k)]
    members = [np.flatnonzero(assignment == k) for k in present]
    tasks = [np.flatnonzero(data.y_val == c) for c in range(data.n_classes)]
    sampler = losslens.DomainSampler(len(present), **sampler_params)
    history, update_steps = [], [0]

    def task_losses():
        losses = per_sample_losses(model, X_val, y_val)
        return [float(losses[rows].mean()) for rows in tasks]

    history.append(task_losses())
    for step in progress(range(config.steps), enabled=show_progress, desc="DIDS-sampled training"):
        if step > 0 and step % interval == 0:
            history.append(task_losses())
            domain_grads = np.array([_flat_gradient(model, X[rows], y[rows]) for rows in
                                     (rng.choice(m, min(probe, len(m)), replace=False) for m in members)])
            task_samples = [np.array([_flat_gradient(model, X_val[[i]], y_val[[i]]) for i in
                                      rng.choice(rows, min(probe // 4, len(rows)), replace=False)]) for rows in tasks]
            fisher = empirical_fisher_diagonal(np.vstack(task_samples))
            impact = fim_impact(domain_grads, np.array([g.mean(axis=0) for g in task_samples]), fisher)
            sampler.update(impact, np.array(history).T)
            update_steps.append(step)
        domains, within = sampler.sample(config.batch_size, random_state=sampler_rng,
                                         domain_sizes=np.array([len(m) for m in members]))
        batch = np.array([members[d][i] for d, i in zip(domains, within)])
        sgd_step(model, optimizer, X[batch], y[batch])
    probabilities = np.zeros((len(sampler.history_), n_domains))
    probabilities[:, present] = np.array(sampler.history_)
    return DIDSRun(probabilities, np.array(update_steps), accuracy(model, data.X_test, data.y_test))
