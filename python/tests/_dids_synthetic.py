"""A synthetic multi-domain regression problem with a known answer, to validate DIDS sampling.

The model is linear, θ ∈ ℝ^(2q), trained by SGD on the squared loss. The downstream tasks use the
first q features only and share the true weights θ*: y = x·θ* + noise, each task with its own
feature scales. Training domains are

- helpful: features on the task block, y = x·θ* + noise (each with its own feature scales);
- irrelevant: features on the other block, y = x·θ' + noise (learning them leaves the tasks unchanged);
- harmful: features on the task block, y = −x·θ* + noise.

Every domain holds the same number of rows, so adding irrelevant domains raises the share of
irrelevant data. Strategies: "uniform" (each domain equally likely), "random" (a fixed mixture drawn
from a flat Dirichlet distribution per run) and
"dids" (probabilities from :class:`losslens.DomainSampler` every τ steps, impact from
:func:`losslens.dids.fim_impact` on mean gradients and the tasks' empirical Fisher diagonal).
"""
from dataclasses import dataclass

import numpy as np

from losslens.dids import DomainSampler
from losslens.dids import empirical_fisher_diagonal, fim_impact


@dataclass
class MultiDomainProblem:
    """Domains (X, y) pairs, task validation sets, and the kind of each domain."""

    domains: list
    tasks: list
    kinds: list


def make_multidomain_problem(n_helpful=3, n_irrelevant=3, n_harmful=1, n_tasks=3, q=20, rows=2000,
                             task_rows=300, noise=0.5, random_state=0):
    """Build a :class:`MultiDomainProblem` with a known helpful/irrelevant/harmful split."""
    rng = np.random.default_rng(random_state)
    theta = rng.normal(size=q)
    other = rng.normal(size=q)

    def block(n, first, scales):
        X = np.zeros((n, 2 * q))
        X[:, first : first + q] = rng.normal(size=(n, q)) * scales
        return X

    domains, kinds = [], []
    for kind, count in (("helpful", n_helpful), ("irrelevant", n_irrelevant), ("harmful", n_harmful)):
        for _ in range(count):
            scales = rng.uniform(0.5, 1.5, size=q)
            if kind == "irrelevant":
                X = block(rows, q, scales)
                y = X[:, q:] @ other
            else:
                X = block(rows, 0, scales)
                y = X[:, :q] @ theta * (1 if kind == "helpful" else -1)
            domains.append((X, y + noise * rng.normal(size=rows)))
            kinds.append(kind)
    tasks = []
    for _ in range(n_tasks):
        X = block(task_rows, 0, rng.uniform(0.5, 1.5, size=q))
        tasks.append((X, X[:, :q] @ theta + 0.1 * rng.normal(size=task_rows)))
    return MultiDomainProblem(domains, tasks, kinds)


def _loss(theta, X, y):
    r = X @ theta - y
    return 0.5 * float(np.mean(r * r))


def _per_sample_grads(theta, X, y):
    return (X @ theta - y)[:, None] * X


def train(problem, strategy, steps=600, batch_size=16, lr=0.02, tau=50, probe_rows=128, random_state=0,
          **sampler_params):
    """SGD on the problem with a domain-sampling strategy; returns (final mean task loss, sampler or None)."""
    rng = np.random.default_rng(random_state)
    n_domains = len(problem.domains)
    theta = np.zeros(problem.domains[0][0].shape[1])
    sizes = np.array([len(y) for _, y in problem.domains])
    sampler = DomainSampler(n_domains, **sampler_params) if strategy == "dids" else None
    fixed = {"uniform": np.full(n_domains, 1 / n_domains), "random": rng.dirichlet(np.ones(n_domains))}.get(strategy)
    if sampler is None and fixed is None:
        raise ValueError(f"strategy must be 'uniform', 'random' or 'dids', got {strategy!r}")
    history = [[_loss(theta, X, y) for X, y in problem.tasks]]
    for step in range(steps):
        if sampler is not None and step > 0 and step % tau == 0:
            history.append([_loss(theta, X, y) for X, y in problem.tasks])
            domain_grads = np.array([
                _per_sample_grads(theta, X[idx], y[idx]).mean(axis=0)
                for X, y in problem.domains
                for idx in [rng.integers(0, len(y), size=probe_rows)]
            ])
            task_samples = [_per_sample_grads(theta, X, y) for X, y in problem.tasks]
            fisher = empirical_fisher_diagonal(np.vstack(task_samples))
            task_grads = np.array([g.mean(axis=0) for g in task_samples])
            impact = fim_impact(domain_grads, task_grads, fisher, kind=sampler.impact_kind)
            sampler.update(impact, np.array(history).T)
        p = sampler.probabilities_ if sampler is not None else fixed
        chosen = rng.choice(n_domains, size=batch_size, p=p)
        rows = rng.integers(0, sizes[chosen])
        X = np.vstack([problem.domains[d][0][r] for d, r in zip(chosen, rows)])
        y = np.array([problem.domains[d][1][r] for d, r in zip(chosen, rows)])
        theta -= lr * _per_sample_grads(theta, X, y).mean(axis=0)
    final = float(np.mean([_loss(theta, X, y) for X, y in problem.tasks]))
    return final, sampler
