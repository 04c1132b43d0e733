"""POLCA on the addition run: basis from a training sample, allocation on the validation tokens, clusterings."""
import time
from dataclasses import dataclass, replace

import numpy as np
import torch

from ..polca import OUTLIER, POLCA, best_clusters, breakthrough_clusters, exact_loss_clusters, fisher_clusters, homogeneity
from ..torch import FlatModel, next_token_losses, polca_from_checkpoints
from ._addition_data import OUTPUT_POSITIONS
from ._progress import progress


@dataclass
class AdditionAnalysis:
    """Everything the report shows: the fitted POLCA, its basis and the three kinds of clusterings.

    ``polca_clusters`` maps each kept direction (mean projected loss decreased) to its breakthrough
    clusters, ``first_order_clusters`` the same with the first-order terms only (eq. 4), ``fisher_clusters`` each direction to the clusters of its empirical-Fisher
    trajectories, ``exact_clusters`` is the exact-loss baseline. ``best`` holds, per trajectory
    type, the clusterings ranked by their most carry-homogeneous cluster (Table 3); ``best_inner``
    the same counting only the 100s and 10s tokens of each cluster (the 1000s digit *is* the carry
    into it, and the 1s place never gets one), in clusters with at least ``min_cluster_size`` of them.
    """

    polca: object
    basis: object
    basis_checkpoints: list
    place: np.ndarray
    carry: np.ndarray
    exact_clusters: object
    polca_clusters: dict
    first_order_clusters: dict
    fisher_clusters: dict
    best: dict
    best_inner: dict
    digit_homogeneity: float
    orders: dict
    seconds: dict


def _tensors(problems):
    return torch.from_numpy(problems.inputs), torch.from_numpy(problems.targets)


def purity(labels, categories):
    """Share of the clustered samples that belong to their cluster's dominant category (outliers ignored)."""
    scores = homogeneity(labels, categories)
    return float(np.sum(scores["fraction"] * scores["size"]) / max(1, scores["size"].sum()))


def first_order_polca(polca, basis, model, checkpoints):
    """POLCA with the first-order terms only (eq. 4) on the same projected gradients: ``order=1``."""
    flat = FlatModel(model, next_token_losses(OUTPUT_POSITIONS))
    thetas = torch.stack([flat.flatten(state) for state in checkpoints]).numpy()
    steps = np.diff(thetas, axis=0) @ basis.vectors_
    return POLCA(order=1).fit(polca.projected_grads_, steps, np.zeros_like(steps), losses=polca.losses_)


def analyse(split, run, config, show_progress=True):
    """POLCA of the validation tokens over ``run``'s checkpoints, then Table 3's three clusterings.

    Algorithm 1 adds one basis vector at every checkpoint whose step is a multiple of
    ``config.basis_every`` (but not the last one), from Hessian-vector products of the summed loss
    over the tokens of ``split.basis_sample`` (training problems). The loss changes allocated are
    those of the validation tokens, with the paper's second-order estimator (eqs. 6-7).
    """
    seconds = {}
    start = time.perf_counter()
    basis_checkpoints = [i for i, step in enumerate(run.checkpoint_steps[:-1]) if step % config.basis_every == 0]
    polca, basis = polca_from_checkpoints(
        run.model, next_token_losses(OUTPUT_POSITIONS), _tensors(split.validation), run.checkpoints,
        basis_checkpoints=basis_checkpoints, k=1, reference=_tensors(split.basis_sample), order=2,
        tol=config.lanczos_tol, dtype=torch.float32, random_state=config.seed, progress=show_progress)
    seconds["POLCA (basis and allocation)"] = time.perf_counter() - start
    start = time.perf_counter()
    place, carry = split.validation.token_skills()
    size = config.min_cluster_size
    exact = exact_loss_clusters(polca.losses_, min_cluster_size=size)
    directions = range(basis.n_directions)
    polca_clusters = {int(d): breakthrough_clusters(polca, d, min_cluster_size=size)
                      for d in progress(polca.decreasing_directions_, enabled=show_progress,
                                        desc="HDBSCAN on projected losses")}
    first = first_order_polca(polca, basis, run.model, run.checkpoints)
    first_clusters = {int(d): breakthrough_clusters(first, d, min_cluster_size=size)
                      for d in first.decreasing_directions_}
    fisher = {d: fisher_clusters(polca, d, min_cluster_size=size)
              for d in progress(directions, enabled=show_progress, desc="HDBSCAN on empirical Fisher")}
    kinds = {"Loss": [exact], "Fisher information": list(fisher.values()), "POLCA": list(polca_clusters.values()),
             "POLCA, first order": list(first_clusters.values())}
    best = {kind: best_clusters(clusterings, carry, True) for kind, clusterings in kinds.items()}
    inner = (place == 1) | (place == 2)
    best_inner = {kind: best_clusters([replace(c, labels=np.where(inner, c.labels, OUTLIER)) for c in clusterings],
                                      carry, True, min_size=size) for kind, clusterings in kinds.items()}
    seconds["clustering"] = time.perf_counter() - start
    return AdditionAnalysis(
        polca=polca, basis=basis, basis_checkpoints=basis_checkpoints, place=place, carry=carry,
        exact_clusters=exact, polca_clusters=polca_clusters,
        first_order_clusters=first_clusters, fisher_clusters=fisher, best=best, best_inner=best_inner,
        digit_homogeneity=purity(exact.labels, place), orders=polca.compare_orders(), seconds=seconds)
