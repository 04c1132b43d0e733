"""DIDS domain sampler: sampling probabilities from impact and loss trajectories (eqs. 13–16)."""
import numbers

import numpy as np
from sklearn.utils import check_random_state

from .. import _core
from .._validation import as_real_array, check_probabilities, check_scalar
from ._decay import potential

_NORMALIZATIONS = {"softmax": _core.DIDS_SOFTMAX, "linear": _core.DIDS_LINEAR}
_IMPACT_NORMALIZATIONS = {"max_gap": _core.DIDS_MAX_GAP, "sum": _core.DIDS_SUM, "none": _core.DIDS_UNNORMALIZED}


class DomainSampler:
    """Dynamic domain sampling probabilities of DIDS (§4.3, eqs. 13–16, appendix C).

    Every τ training steps, :meth:`update` takes the impact matrix I (n_domains × n_tasks, from
    :func:`losslens.dids.fim_impact`) and each task's loss history, and computes

    - the normalised impact Ĩ of every task column (``impact_normalization``);
    - l_c = L_{t−1} − L_t, the last loss improvement, and l_p = :func:`losslens.dids.potential` (eq. 15);
    - Uᵢ = Σⱼ Ĩᵢⱼ (l_c,ⱼ + l_p,ⱼ) / p_{t−1,i} (DIDS eq. (13) and DIDS eq. (16): division by the previous probability is
      the importance-sampling correction);
    - p̂ = softmax(U / temperature) (the paper) or max(U, 1e-7) / Σ (``"linear"``, the authors' code);
    - pₜ = β p_{t−1} + (1 − β) p̂, renormalised (the EMA of eq. 16);
    - with ``uniform_mixing`` ε > 0 (not in the paper), pₜ ← (1 − ε) pₜ + ε / n_domains.

    Parameters
    ----------
    n_domains : int
    beta : float in [0, 1), default=0.1
        EMA weight of the previous probabilities (the paper's β = 0.1).
    tau : float, default=1.0
        Prediction horizon of the potential, in the units of ``times`` given to :meth:`update`
        (default: one record per update, so τ = 1 predicts the next update).
    normalization : {"softmax", "linear"}, default="softmax"
    impact_kind : {"divergence", "kernel"}, default="divergence"
        What :meth:`update` receives; selects the default ``impact_normalization``.
    impact_normalization : {"auto", "max_gap", "sum", "none"}, default="auto"
        How each task's impact column becomes Ĩ (the paper says only "normalized"):
        "max_gap" (the authors' code) Ĩᵢⱼ = (maxₖ Iₖⱼ − Iᵢⱼ) / Σₖ(maxₖ Iₖⱼ − Iₖⱼ), turning the
        divergence into a weight (smaller divergence, more weight); "sum" Ĩᵢⱼ = Iᵢⱼ / Σₖ|Iₖⱼ|, for a
        similarity such as the kernel. "auto": "max_gap" for "divergence", "sum" for "kernel".
        (The authors' code applies "max_gap" to its kernel values too, which favours the domains whose
        gradients agree least with the tasks; ``examples/dids_synthetic.py`` shows the effect.)
    temperature : float, default=1.0
        Softmax temperature. U scales with the loss improvements, so with small losses
        (improvements ~0.01) the paper's softmax at temperature 1 stays close to uniform; lower it
        there (the linear normalisation is scale-free).
    potential_variant : {"paper", "code"}, default="paper"
        See :func:`losslens.dids.potential`.
    initial_probabilities : array-like of shape (n_domains,), default=None
        Strictly positive, summing to 1; uniform when None (appendix C line 3).
    uniform_mixing : float in [0, 1], default=0.0
        Share ε of the uniform distribution mixed into every update, so that each domain keeps a
        probability of at least ε / n_domains (a floor). 0 is the paper. The importance correction
        divides by p_{t−1}, which amplifies the utilities of rarely sampled domains without bound;
        when the tasks' losses rise, the utilities are negative and the amplification drives those
        domains to 0 for good, so the sampling collapses onto one domain (docs/dids.md shows this on
        the demo's digits, where ε = 0.5 keeps the accuracy of uniform sampling). 1 is uniform sampling.

    Attributes
    ----------
    probabilities_ : ndarray of shape (n_domains,)
    history_ : list of ndarray
        Probabilities after each update, the initial ones first.
    utilities_, improvement_, potential_, normalized_impact_ : ndarray
        The terms of the last update.

    References
    ----------
    W. Shi et al., "DIDS: Domain Impact-aware Data Sampling for Large Language Model Training",
    eqs. (13)–(16) and appendix C.
    """

    def __init__(
        self,
        n_domains,
        *,
        beta=0.1,
        tau=1.0,
        normalization="softmax",
        impact_kind="divergence",
        impact_normalization="auto",
        temperature=1.0,
        potential_variant="paper",
        initial_probabilities=None,
        uniform_mixing=0.0,
    ):
        self.n_domains = check_scalar(n_domains, "n_domains", kind=numbers.Integral, low=1)
        self.beta = check_scalar(beta, "beta", low=0, high=1, high_open=True)
        self.tau = check_scalar(tau, "tau", low=0)
        self.temperature = check_scalar(temperature, "temperature", low=0, low_open=True)
        self.uniform_mixing = check_scalar(uniform_mixing, "uniform_mixing", low=0, high=1)
        for name, value, allowed in (
            ("normalization", normalization, _NORMALIZATIONS),
            ("impact_kind", impact_kind, ("divergence", "kernel")),
            ("impact_normalization", impact_normalization, ("auto", *_IMPACT_NORMALIZATIONS)),
            ("potential_variant", potential_variant, ("paper", "code")),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {sorted(allowed)}, got {value!r}")
        self.normalization = normalization
        self.impact_kind = impact_kind
        self.impact_normalization = impact_normalization
        self.potential_variant = potential_variant
        if initial_probabilities is None:
            p = np.full(self.n_domains, 1.0 / self.n_domains)
        else:
            p = check_probabilities(initial_probabilities, "initial_probabilities", size=self.n_domains).copy()
        self.probabilities_ = p
        self.history_ = [p.copy()]

    def _impact_normalization(self):
        if self.impact_normalization != "auto":
            return self.impact_normalization
        return "max_gap" if self.impact_kind == "divergence" else "sum"

    def update(self, impact, task_loss_history, times=None):
        """One probability update from the impact matrix and the task-loss histories.

        Parameters
        ----------
        impact : array-like of shape (n_domains, n_tasks)
        task_loss_history : array-like of shape (n_tasks, n_points)
            Losses of every task, oldest first (at least one point).
        times : array-like of shape (n_points,), default=None
            When the losses were recorded, in the units of ``tau``; ``0, 1, …`` by default.

        Returns
        -------
        ndarray of shape (n_domains,)
            The new ``probabilities_``.
        """
        impact = np.ascontiguousarray(as_real_array(impact, "impact", ndim=(2,), allow_float32=False))
        losses = as_real_array(task_loss_history, "task_loss_history", ndim=(2,), allow_float32=False)
        if impact.shape[0] != self.n_domains:
            raise ValueError(f"impact must have {self.n_domains} rows (domains), got shape {impact.shape}")
        if losses.shape[0] != impact.shape[1]:
            raise ValueError(
                f"task_loss_history must have one row per task ({impact.shape[1]}), got shape {losses.shape}"
            )
        improvement = losses[:, -2] - losses[:, -1] if losses.shape[1] >= 2 else np.zeros(losses.shape[0])
        lp = np.array([potential(row, self.tau, t=times, variant=self.potential_variant) for row in losses])
        p, u, normalized = _core.dids_update(
            impact,
            np.ascontiguousarray(improvement),
            lp,
            self.probabilities_,
            self.beta,
            _NORMALIZATIONS[self.normalization],
            _IMPACT_NORMALIZATIONS[self._impact_normalization()],
            self.temperature,
        )
        self.improvement_, self.potential_, self.utilities_, self.normalized_impact_ = improvement, lp, u, normalized
        if self.uniform_mixing > 0:
            p = (1 - self.uniform_mixing) * p + self.uniform_mixing / self.n_domains
        self.probabilities_ = p
        self.history_.append(p.copy())
        return p

    def sample(self, batch_size, random_state=None, domain_sizes=None):
        """Draw the domains of a batch with ``probabilities_`` (appendix C line 47).

        Parameters
        ----------
        batch_size : int
        random_state : int, RandomState instance or None
        domain_sizes : array-like of shape (n_domains,), default=None
            Number of rows of each domain; when given, a uniform row index within its domain is
            drawn for every sample too.

        Returns
        -------
        domains : ndarray of shape (batch_size,), int64
        indices : ndarray of shape (batch_size,), int64
            Only when ``domain_sizes`` is given.
        """
        batch_size = check_scalar(batch_size, "batch_size", kind=numbers.Integral, low=1)
        rng = check_random_state(random_state)
        domains = rng.choice(self.n_domains, size=batch_size, p=self.probabilities_).astype(np.int64)
        if domain_sizes is None:
            return domains
        sizes = np.asarray(domain_sizes)
        if sizes.shape != (self.n_domains,) or sizes.dtype.kind not in "iu" or (sizes < 1).any():
            raise ValueError(f"domain_sizes must be {self.n_domains} positive integers, got {domain_sizes!r}")
        indices = np.floor(rng.uniform(size=batch_size) * sizes[domains]).astype(np.int64)
        return domains, indices


__all__ = ["DomainSampler"]
