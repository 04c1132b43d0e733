"""Figures of the addition report: the POLCA paper's Figures 3, 4 and 7-8 (matplotlib, Agg backend)."""
import numpy as np

from ._addition_data import PLACE_NAMES
from ._figures import _pyplot

#: Skill categories of a sum token, in the order of the composition bars: (place, carry).
SKILLS = [(0, False), (0, True), (1, False), (1, True), (2, False), (2, True), (3, False)]


def skill_names():
    """Labels of :data:`SKILLS`, e.g. "100s + carry"."""
    return [f"{PLACE_NAMES[p]}{' + carry' if c else ''}" for p, c in SKILLS]


def skill_codes(place, carry):
    """Index into :data:`SKILLS` of every token."""
    codes = np.full(len(place), -1)
    for i, (p, c) in enumerate(SKILLS):
        codes[(place == p) & (carry == c)] = i
    return codes


def _colors():
    plt = _pyplot()
    tab = plt.get_cmap("tab20")
    # light = no carry, dark = carry, one hue per place
    return [tab(1), tab(0), tab(3), tab(2), tab(5), tab(4), tab(7)]


def _composition(ax, clusters, codes, title):
    """Stacked bars: the skill mix of each cluster (the paper's Figures 3b and 4c/4f)."""
    colors = _colors()
    names = skill_names()
    bottoms = np.zeros(len(clusters.clusters))
    for k in range(len(SKILLS)):
        shares = np.array([np.mean(codes[clusters.labels == c] == k) for c in clusters.clusters])
        ax.bar(np.arange(len(shares)), shares, bottom=bottoms, color=colors[k], label=names[k])
        bottoms += shares
    ax.set_xticks(np.arange(len(clusters.clusters)), [f"{c}\nn={n}" for c, n in zip(clusters.clusters, clusters.sizes)])
    ax.set_xlabel("cluster")
    ax.set_ylabel("share of tokens")
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=10)


def _legend(fig, ax):
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center", fontsize=8)


def training_curves(run):
    """Training loss per step and the validation exact-match rate at every checkpoint."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.4), layout="constrained")
    left.plot(run.train_loss, lw=0.6, color="tab:gray")
    left.set_yscale("log")
    left.set_xlabel("step")
    left.set_ylabel("training loss (mean over sum tokens)")
    right.plot(run.checkpoint_steps, run.validation_accuracy, marker=".", color="tab:blue")
    right.set_xlabel("step")
    right.set_ylabel("validation exact match")
    right.set_ylim(-0.02, 1.02)
    return fig


def exact_loss_figure(clusters, losses, codes, steps):
    """Figure 3: mean exact loss of every exact-loss cluster (a) and the clusters' skill composition (b)."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.8), layout="constrained")
    for c, n in zip(clusters.clusters, clusters.sizes):
        left.plot(steps, losses[:, clusters.labels == c].mean(axis=1), label=f"cluster {c} (n={n})")
    left.set_xlabel("step")
    left.set_ylabel("mean exact loss")
    left.set_title("(a) mean exact loss per cluster", fontsize=10)
    left.legend(fontsize=7)
    _composition(right, clusters, codes, "(b) skill composition of the clusters")
    _legend(fig, right)
    return fig


def polca_direction_figure(clusters, projected_loss, codes, steps, basis_step, top=4):
    """Figure 4 row: medoid and quartiles of projected loss, median exact loss, skill composition.

    ``projected_loss`` (T + 1, n) is ``L_b(x, theta_t)`` along the clusters' direction;
    ``basis_step`` (a vertical line) is the step whose Hessian gave the direction.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.6), layout="constrained")
    for i in range(min(top, len(clusters.clusters))):
        line, = axes[0].plot(steps, projected_loss[:, clusters.medoids[i]],
                             label=f"cluster {clusters.clusters[i]} (n={clusters.sizes[i]})")
        axes[0].fill_between(steps, clusters.lower[i], clusters.upper[i], color=line.get_color(), alpha=0.25)
        axes[1].plot(steps, clusters.exact_median[i], color=line.get_color())
    for ax in axes[:2]:
        ax.axvline(basis_step, color="black", ls=":", lw=1)
        ax.set_xlabel("step")
    axes[0].set_ylabel("projected loss L_b(x, θ_t)")
    axes[0].set_title(f"(a) direction {clusters.direction}: medoid and quartiles of projected loss", fontsize=10)
    axes[0].legend(fontsize=7)
    axes[1].set_ylabel("median exact loss")
    axes[1].set_title("(b) median exact loss of the same clusters", fontsize=10)
    _composition(axes[2], clusters, codes, "(c) skill composition")
    _legend(fig, axes[2])
    return fig


def skill_loss_figure(losses, place, carry, steps):
    """Figures 7-8: median and quartiles of the exact loss of every digit place, with and without a carry."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.2), sharey=True, layout="constrained")
    for p, ax in enumerate(axes):
        for c, color in ((False, "tab:blue"), (True, "tab:red")):
            members = (place == p) & (carry == c)
            if not members.any():
                continue
            q = np.percentile(losses[:, members], [25, 50, 75], axis=1)
            ax.plot(steps, q[1], color=color, label=f"{'carry' if c else 'no carry'} (n={members.sum()})")
            ax.fill_between(steps, q[0], q[2], color=color, alpha=0.2)
        ax.set_yscale("symlog", linthresh=1e-2)
        ax.set_title(f"{PLACE_NAMES[p]} place", fontsize=10)
        ax.set_xlabel("step")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("exact loss (median, quartiles)")
    return fig
