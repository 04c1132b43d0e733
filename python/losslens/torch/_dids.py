"""DIDS with PyTorch models: gradients of the last parameters, impact inputs and a training loop."""
import numpy as np
import torch
from torch.func import functional_call, grad, vmap

from ..dids import DomainSampler
from ..dids import empirical_fisher_diagonal, fim_impact


def select_parameters(model, fraction=0.1):
    """Names of the trailing trainable parameter tensors holding about ``fraction`` of the parameters.

    DIDS keeps the gradients of the last 10 % of the model only (§4.1, §5.4). Tensors are taken from
    the end of ``model.named_parameters()`` while their total stays within ``fraction`` of all
    trainable entries; at least the last tensor is kept.

    Returns
    -------
    list of str
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    if not named:
        raise ValueError("the model has no trainable parameters")
    budget = fraction * sum(p.numel() for _, p in named)
    chosen, total = [], 0
    for name, p in reversed(named):
        if chosen and total + p.numel() > budget:
            break
        chosen.append(name)
        total += p.numel()
    return chosen[::-1]


def _split(model, names):
    params = dict(model.named_parameters())
    missing = [n for n in names if n not in params]
    if missing:
        raise ValueError(f"unknown parameter names: {missing}")
    selected = {n: params[n].detach() for n in names}
    frozen = {n: p.detach() for n, p in params.items() if n not in selected}
    frozen.update(dict(model.named_buffers()))
    return selected, frozen


def _flatten(grads, names):
    return torch.cat([grads[n].reshape(grads[n].shape[0], -1) for n in names], dim=1)


def per_sample_gradients(model, loss_fn, inputs, targets, names=None, fraction=0.1, chunk_size=None):
    """Gradient of every sample's loss with respect to the selected parameters (via ``torch.func``).

    Parameters
    ----------
    model : torch.nn.Module
    loss_fn : callable
        ``loss_fn(outputs, targets)`` → scalar mean loss of a batch (e.g. ``torch.nn.functional.cross_entropy``).
    inputs, targets : torch.Tensor
        A batch; row i is one sample.
    names : list of str, default=None
        Parameters to differentiate; :func:`select_parameters` with ``fraction`` when None.
    chunk_size : int, default=None
        Samples per vectorised chunk (``torch.func.vmap``'s ``chunk_size``), to bound memory.

    Returns
    -------
    ndarray of shape (n_samples, n_selected_parameters), float32
    """
    names = select_parameters(model, fraction) if names is None else list(names)
    selected, frozen = _split(model, names)

    def single(params, x, y):
        out = functional_call(model, {**frozen, **params}, (x.unsqueeze(0),))
        return loss_fn(out, y.unsqueeze(0))

    grads = vmap(grad(single), in_dims=(None, 0, 0), chunk_size=chunk_size)(selected, inputs, targets)
    G = _flatten(grads, names).detach().to(torch.float32).cpu().numpy()
    if not np.isfinite(G).all():
        raise ValueError("per-sample gradients contain NaN or infinity")
    return np.ascontiguousarray(G)


def mean_gradient(model, loss_fn, inputs, targets, names=None, fraction=0.1):
    """Gradient of the batch's mean loss with respect to the selected parameters, as float32 numpy."""
    names = select_parameters(model, fraction) if names is None else list(names)
    params = dict(model.named_parameters())
    loss = loss_fn(model(inputs), targets)
    grads = torch.autograd.grad(loss, [params[n] for n in names])
    g = torch.cat([t.reshape(-1) for t in grads]).detach().to(torch.float32).cpu().numpy()
    if not np.isfinite(g).all():
        raise ValueError("the mean gradient contains NaN or infinity")
    return g


def domain_task_gradients(model, loss_fn, domain_batches, task_batches, names=None, fraction=0.1, eps=0.0):
    """Mean gradients of every domain and task and the tasks' empirical Fisher diagonal (DIDS §4.2).

    Parameters
    ----------
    domain_batches, task_batches : sequence of (inputs, targets)
        One probe batch per training domain and per downstream task.
    eps : float, default=0.0
        Added to the Fisher diagonal (the authors' code uses 1e-10).

    Returns
    -------
    domain_grads : ndarray of shape (n_domains, p)
    task_grads : ndarray of shape (n_tasks, p)
    fisher_diag : ndarray of shape (p,)
        Eq. (11) over the per-sample gradients of all task samples.
    """
    names = select_parameters(model, fraction) if names is None else list(names)
    domain_grads = np.stack([mean_gradient(model, loss_fn, x, y, names) for x, y in domain_batches])
    task_samples = [per_sample_gradients(model, loss_fn, x, y, names) for x, y in task_batches]
    task_grads = np.stack([g.mean(axis=0) for g in task_samples])
    fisher = empirical_fisher_diagonal(np.concatenate(task_samples), eps=eps)
    return domain_grads, task_grads, fisher


class DIDSLoop:
    """Train with DIDS domain sampling: every ``tau`` steps, re-estimate the impact and update the sampler.

    Each update records the task losses, computes the mean domain and task gradients of the last
    ``fraction`` of parameters on probe batches, the Fisher diagonal, the impact matrix
    (:func:`losslens.dids.fim_impact`) and calls :meth:`DomainSampler.update`; each step draws a
    batch with the sampler's probabilities and takes one optimizer step.

    Parameters
    ----------
    model : torch.nn.Module
    loss_fn : callable
        ``loss_fn(outputs, targets)`` → scalar mean loss.
    optimizer : torch.optim.Optimizer
    domains : sequence of (inputs, targets) tensors
        The training data of every domain.
    tasks : sequence of (inputs, targets) tensors
        Observable samples of every downstream task.
    sampler : DomainSampler, default=None
        Built with ``DomainSampler(len(domains), **sampler_params)`` when None.
    tau : int, default=100
        Steps between updates.
    batch_size, probe_size : int
        Training batch size; rows per domain probe batch.
    fraction : float, default=0.1
        Share of the parameters (the last ones) whose gradients are used.
    random_state : int or None

    Attributes
    ----------
    sampler : DomainSampler
    task_loss_history_ : list of list of float
        Task losses at every update, oldest first.
    step_ : int
    """

    def __init__(self, model, loss_fn, optimizer, domains, tasks, sampler=None, tau=100, batch_size=32,
                 probe_size=64, fraction=0.1, random_state=None, **sampler_params):
        if len(domains) < 1 or len(tasks) < 1:
            raise ValueError("DIDSLoop needs at least one domain and one task")
        if int(tau) < 1:
            raise ValueError(f"tau must be a positive int, got {tau!r}")
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.domains, self.tasks = list(domains), list(tasks)
        self.sampler = sampler if sampler is not None else DomainSampler(len(self.domains), **sampler_params)
        if self.sampler.n_domains != len(self.domains):
            raise ValueError(f"the sampler has {self.sampler.n_domains} domains, the data {len(self.domains)}")
        self.tau, self.batch_size, self.probe_size = int(tau), int(batch_size), int(probe_size)
        self.names = select_parameters(model, fraction)
        self.rng = np.random.RandomState(random_state)
        self.sizes = np.array([len(y) for _, y in self.domains])
        self.task_loss_history_ = [self._task_losses()]
        self.step_ = 0

    def _task_losses(self):
        with torch.no_grad():
            return [float(self.loss_fn(self.model(x), y)) for x, y in self.tasks]

    def update(self):
        """Record the task losses and update the sampling probabilities (DIDS eqs. 11–16)."""
        self.task_loss_history_.append(self._task_losses())
        probes = []
        for x, y in self.domains:
            rows = torch.as_tensor(self.rng.randint(0, len(y), size=self.probe_size))
            probes.append((x[rows], y[rows]))
        D, T, F = domain_task_gradients(self.model, self.loss_fn, probes, self.tasks, self.names)
        impact = fim_impact(D, T, F, kind=self.sampler.impact_kind)
        return self.sampler.update(impact, np.array(self.task_loss_history_).T)

    def step(self):
        """One training step (after an update when ``tau`` steps have passed); returns the batch loss."""
        if self.step_ > 0 and self.step_ % self.tau == 0:
            self.update()
        domains, rows = self.sampler.sample(self.batch_size, self.rng, domain_sizes=self.sizes)
        x = torch.stack([self.domains[d][0][r] for d, r in zip(domains, rows)])
        y = torch.stack([self.domains[d][1][r] for d, r in zip(domains, rows)])
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        self.step_ += 1
        return float(loss.detach())

    def run(self, steps):
        """Run ``steps`` training steps; returns their batch losses."""
        return [self.step() for _ in range(int(steps))]
