"""DIDS: domain impact-aware data sampling (Shi et al.), on the Swift core.

Pieces, in the order of the method:

- :class:`GradientSketch` — top-k + Johnson–Lindenstrauss sketches of per-sample gradients (§4.1);
- :func:`repartition` — k-means domains over the sketches, globally or within each source domain (§4.1);
- :func:`empirical_fisher_diagonal`, :func:`fim_impact` — FIM-guided impact of domains on tasks (§4.2);
- :func:`fit_exponential_decay`, :func:`potential` — loss-trajectory fits and the potential factor (§4.3);
- :class:`DomainSampler` — the probability update of eqs. (13)–(16) and sampling.

The authors' public code departs from the paper in three places; each is an option here:
(a) impact: ``fim_impact(kind="kernel")`` is the code's Fisher kernel ½ Σ F ⊙ g_domain ⊙ g_task,
``kind="divergence"`` the paper's ½ Δᵀ F Δ (eq. 12); (b) normalisation of the utilities:
``DomainSampler(normalization="linear")`` is the code's (negatives floored at 1e-7, divided by the
sum), ``"softmax"`` the paper's (appendix C); (c) potential: ``potential(variant="code")`` fits the
whole history over indices and predicts 5 records ahead, 1 with fewer than 5 points, 0 when the fit
fails; ``variant="paper"`` fits eq. (14) over the record times and predicts τ ahead (eq. 15).

References
----------
W. Shi, J. Zhang, Y. Wu et al., "DIDS: Domain Impact-aware Data Sampling for Large Language Model
Training", 2025, arXiv:2504.13227.
"""
from ._decay import DecayFit, fit_exponential_decay, potential
from ._domains import Repartition, repartition
from ._impact import empirical_fisher_diagonal, fim_impact
from ._sampler import DomainSampler
from ._sketch import GradientSketch

__all__ = [
    "DecayFit",
    "DomainSampler",
    "GradientSketch",
    "Repartition",
    "empirical_fisher_diagonal",
    "fim_impact",
    "fit_exponential_decay",
    "potential",
    "repartition",
]
