"""POLCA end to end: a small MLP trained on scikit-learn's digits with PyTorch (CPU).

1. Train a 64-32-10 MLP with SGD and keep a checkpoint every few steps.
2. Build the POLCA basis by Algorithm 1 (top Hessian eigenvectors, deflated, at several checkpoints).
3. Allocate every sample's loss change to every basis direction (eqs. 4-10).
4. Cluster the projected-loss trajectories per direction (HDBSCAN) and compare the clusters'
   digit homogeneity with clustering the exact loss curves.
5. Allocation accuracy: first- and second-order allocation (the paper's share estimate and the
   exact per-sample curvature) vs the exact loss change of each step restricted to the span of the basis.

Usage: python examples/polca_digits.py [--plot polca_digits.png] [--per-sample]
"""
import argparse

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from losslens.polca import exact_loss_clusters, homogeneity, plot_clusters
from losslens.torch import polca_from_checkpoints, span_loss_change


def train(seed=0, steps=300, every=5, batch=64, lr=0.05):
    """Checkpoints of a small MLP trained by minibatch SGD, plus the analysed and reference samples."""
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    train_idx, analysed = order[:1200], order[:600]
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    checkpoints = [{k: v.clone() for k, v in model.state_dict().items()}]
    for step in range(1, steps + 1):
        idx = torch.from_numpy(rng.choice(train_idx, batch, replace=False))
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx]).backward()
        optimizer.step()
        if step % every == 0:
            checkpoints.append({k: v.clone() for k, v in model.state_dict().items()})
    data = (Xt[analysed], yt[analysed])
    reference = (Xt[order[600:1100]], yt[order[600:1100]])
    return model, checkpoints, data, reference


def describe(name, clusters, digits, top=3):
    scores = homogeneity(clusters.labels, digits)
    parts = [f"{size}x digit {dominant} ({fraction:.0%})" for size, dominant, fraction in
             zip(scores["size"][:top], scores["dominant"][:top], scores["fraction"][:top])]
    clustered = (clusters.labels >= 0).sum()
    print(f"  {name}: {len(scores['cluster'])} clusters over {clustered} samples; largest: {', '.join(parts) or 'none'}")
    return scores


def main(plot=None, per_sample=False):
    model, checkpoints, data, reference = train()
    loss_fn = lambda out, target: torch.nn.functional.cross_entropy(out, target, reduction="none")  # noqa: E731
    T = len(checkpoints) - 1
    polca, basis = polca_from_checkpoints(
        model, loss_fn, data, checkpoints, basis_checkpoints=list(range(0, T, 6)), k=2, reference=reference,
        random_state=0)
    print(f"{T} steps, {data[1].shape[0]} samples, {basis.dim} parameters, {basis.n_directions} basis vectors "
          f"({basis.n_operator_calls_} Hessian-vector products)")
    print(f"mean loss {polca.losses_[0].mean():.3f} -> {polca.losses_[-1].mean():.3f}; "
          f"directions with decreasing projected loss: {polca.decreasing_directions_.tolist()}")

    digits = data[1].numpy()
    best = []
    print("POLCA breakthrough clusters (digit homogeneity):")
    for direction, clusters in polca.cluster_all(min_cluster_size=15).items():
        scores = describe(f"direction {direction:2d}", clusters, digits)
        best.extend(scores["fraction"][:3])
    print("exact-loss clusters (digit homogeneity):")
    exact_best = []
    for kind in ("loss", "abs_change"):
        scores = describe(kind, exact_loss_clusters(polca.losses_, kind=kind, min_cluster_size=15), digits)
        exact_best.extend(scores["fraction"][:3])
    print(f"top-3 homogeneity: POLCA {np.sort(best)[::-1][:3].round(3)}, exact loss {np.sort(exact_best)[::-1][:3].round(3)}")

    exact = span_loss_change(model, loss_fn, data, checkpoints, basis)
    scale = np.abs(exact).max()
    estimates = [("first order", polca.first_order_),
                 ("first + second order (paper's share, eqs. 6-7)", polca.allocation_)]
    if per_sample:  # nested forward-mode passes: several times the cost of the projections above
        exact_curvature, _ = polca_from_checkpoints(model, loss_fn, data, checkpoints, basis=basis,
                                                    second_order="per_sample")
        estimates.append(("first + second order (per-sample curvature, eq. 5)", exact_curvature.allocation_))
    for name, allocated in estimates:
        error = np.abs(allocated.sum(axis=2) - exact)
        print(f"allocation vs exact loss change in span(B), {name}: max |error| = {error.max():.2e} "
              f"({error.max() / scale:.1%} of the largest change), median {np.median(error):.2e}")
    full = np.abs(polca.approximation_error_)
    print(f"vs the full step's exact loss change (basis captures part of the motion): median |error| "
          f"{np.median(full):.2e}, median |change| {np.median(np.abs(polca.loss_change_)):.2e}")

    if plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        direction = int(polca.decreasing_directions_[0])
        axes = plot_clusters(polca.breakthrough_clusters(direction, min_cluster_size=15),
                             title=f"POLCA direction {direction}")
        plt.tight_layout()
        plt.savefig(plot, dpi=120)
        print(f"wrote {plot}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", help="save a cluster plot of the first decreasing direction to this file")
    parser.add_argument("--per-sample", action="store_true",
                        help="also allocate with exact per-sample curvatures (eq. 5) and report its accuracy")
    arguments = parser.parse_args()
    main(arguments.plot, arguments.per_sample)
