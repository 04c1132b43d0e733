"""POLCA (Kangaslahti, Rosenfeld and Saphra): Hessian basis, loss change allocation, breakthrough clustering.

Pipeline: build a :class:`HessianBasis` from Hessian-vector products at checkpoints (Algorithm 1),
project per-sample gradients, parameter steps and curvatures onto it, :meth:`POLCA.fit` the
allocation (eqs. 4-10), then cluster the projected-loss trajectories per direction
(:meth:`POLCA.breakthrough_clusters`, :meth:`POLCA.cluster_all`) against the exact-loss baseline
(:func:`exact_loss_clusters`) and the empirical-Fisher baseline (:func:`fisher_clusters`), and score
clusters with :func:`homogeneity` and :func:`best_clusters` (the paper's Table 3). With PyTorch,
``losslens.torch.polca_from_checkpoints`` computes all inputs. Formula choices: docs/polca.md.
"""
from ._allocation import POLCA
from ._basis import HessianBasis
from ._clusters import (
    FILTERED,
    OUTLIER,
    BestCluster,
    TrajectoryClusters,
    best_clusters,
    breakthrough_clusters,
    exact_loss_clusters,
    fisher_clusters,
    homogeneity,
    plot_clusters,
)

__all__ = [
    "FILTERED",
    "OUTLIER",
    "POLCA",
    "BestCluster",
    "HessianBasis",
    "TrajectoryClusters",
    "best_clusters",
    "breakthrough_clusters",
    "exact_loss_clusters",
    "fisher_clusters",
    "homogeneity",
    "plot_clusters",
]
