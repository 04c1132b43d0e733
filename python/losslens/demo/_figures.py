"""Figures of the demo report (matplotlib, Agg backend); each function returns a Figure."""
import numpy as np


def _pyplot():
    """pyplot, on the Agg backend unless the caller (e.g. a notebook) imported pyplot already."""
    import sys

    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _domain_labels(n_domains):
    return [f"D{k + 1}" for k in range(n_domains)]


def _symmetric_heatmap(values, title, colorbar_label, cmap, xlabel="optimisation step"):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 0.35 * len(values) + 1.8), layout="constrained")
    limit = float(np.percentile(np.abs(values), 99)) or 1.0
    image = ax.imshow(values, aspect="auto", cmap=cmap, vmin=-limit, vmax=limit, interpolation="nearest",
                      extent=(0.5, values.shape[1] + 0.5, len(values) - 0.5, -0.5))
    ax.set_yticks(range(len(values)), _domain_labels(len(values)))
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label=colorbar_label, extend="both")
    return fig


def code_differences_heatmap(code_differences):
    """Figure 2a: A_Δ, blue where a domain's loss falls (learning), red where it rises (forgetting)."""
    return _symmetric_heatmap(code_differences, "Coefficient differences A_Δ (blue: learning, red: forgetting)",
                              "Δa_k(t) = a_k(t−1) − a_k(t)", "RdBu")


def contributions_heatmap(contributions):
    """Figure 5: validation-loss change when a domain is removed; red = the domain helps generalisation."""
    return _symmetric_heatmap(
        contributions, "Domain contributions to generalisation (red: removing the domain raises validation loss)",
        "val. loss without domain − val. loss", "RdBu_r")


def domain_loss_curves(domain_losses, total_losses, val_losses):
    """Domain losses a_k(t) with the summed reference loss, and the mean validation loss."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
    colors = plt.get_cmap("tab10" if len(domain_losses) <= 10 else "tab20")
    for k, curve in enumerate(domain_losses):
        left.plot(curve, color=colors(k % colors.N), lw=1.4, label=f"D{k + 1}")
    left.set_xlabel("checkpoint t")
    left.set_ylabel("domain loss a_k(t)")
    left.set_title("Domain loss curves")
    left.legend(ncol=2, fontsize=8)
    right.plot(total_losses, color="black", lw=1.6, label="Σ_i ℓ_i(t) (reference set)")
    right.plot(domain_losses.sum(axis=0), color="tab:orange", ls="--", lw=1.4, label="Σ_k a_k(t)")
    right.set_xlabel("checkpoint t")
    right.set_ylabel("summed loss")
    right.set_title("Sum of domain losses vs total loss (eq. 8)")
    if val_losses is not None:
        twin = right.twinx()
        twin.plot(val_losses, color="tab:green", lw=1.2, label="mean validation loss")
        twin.set_ylabel("mean validation loss", color="tab:green")
        twin.legend(loc="center right", fontsize=8)
    right.legend(loc="upper right", fontsize=8)
    return fig


def top_images(images, labels, top_indices):
    """Figure 2b: each domain's ten highest-weight images, one row per domain, labelled by digit."""
    plt = _pyplot()
    n_domains, n_top = top_indices.shape
    fig, axes = plt.subplots(n_domains, n_top, figsize=(0.9 * n_top + 0.6, 0.95 * n_domains + 0.5),
                             squeeze=False, layout="constrained")
    for k in range(n_domains):
        for j in range(n_top):
            ax = axes[k, j]
            i = top_indices[k, j]
            ax.imshow(images[i, 0], cmap="gray_r", interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(str(labels[i]), fontsize=8, pad=2)
            if j == 0:
                ax.set_ylabel(f"D{k + 1}", rotation=0, labelpad=14, fontsize=10, va="center")
    fig.suptitle("Top-10 images of each learning domain (title: true digit)")
    return fig


def tsne_by_label(embedding, labels):
    """Figure 3: t-SNE of the loss-change trajectories, coloured by true label."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 5.5), layout="constrained")
    scatter = ax.scatter(embedding[:, 0], embedding[:, 1], c=labels, cmap="tab10", s=6,
                         vmin=-0.5, vmax=9.5)
    fig.colorbar(scatter, ax=ax, ticks=range(10), label="digit")
    ax.set_title("t-SNE of per-sample loss-change trajectories (colour: digit)")
    ax.set_xticks([])
    ax.set_yticks([])
    return fig


def tsne_by_domain(embedding, dictionary):
    """Figure 4: the same embedding, one panel per domain, colour = d_ki min-max normalised per domain."""
    plt = _pyplot()
    n_domains = dictionary.shape[1]
    cols = min(5, n_domains)
    rows = -(-n_domains // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.6 * rows + 0.4), squeeze=False,
                             layout="constrained")
    for k, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if k >= n_domains:
            ax.axis("off")
            continue
        weight = dictionary[:, k]
        span = weight.max() - weight.min()
        scaled = (weight - weight.min()) / span if span > 0 else np.zeros_like(weight)
        order = np.argsort(scaled)
        ax.scatter(embedding[order, 0], embedding[order, 1], c=scaled[order], cmap="magma", s=3,
                   vmin=0, vmax=1)
        ax.set_title(f"D{k + 1}", fontsize=10)
    fig.suptitle("Domain contributions d_ki in t-SNE space (brighter: larger, normalised per domain)")
    return fig


def tsne_by_multiplicity(embedding, multiplicities):
    """Figure 7: the embedding coloured by domain multiplicity m_i, one panel per K (``{K: m}``)."""
    plt = _pyplot()
    cols = len(multiplicities)
    fig, axes = plt.subplots(1, cols, figsize=(2.9 * cols, 3.1), squeeze=False, layout="constrained")
    for ax, (k, weight) in zip(axes[0], multiplicities.items()):
        order = np.argsort(weight)
        image = ax.scatter(embedding[order, 0], embedding[order, 1], c=weight[order], cmap="viridis", s=3)
        fig.colorbar(image, ax=ax, shrink=0.8)
        ax.set_title(f"K = {k}", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("Domain multiplicity m_i = Σ_k d_ki in t-SNE space")
    return fig


def domain_count_plot(result):
    """Figure 6b: test accuracy at one retained fraction against K, multiplicity vs random, 95% intervals."""
    from ._pruning import mean_interval

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
    counts = np.asarray(result.n_domains)
    means, halves = np.array([mean_interval(a) for a in result.accuracy]).T
    ax.errorbar(counts, means, yerr=halves, marker="o", capsize=3, label="multiplicity")
    random, half = mean_interval(result.random)
    ax.axhline(random, color="tab:orange", lw=1.2, label=f"random ({random:.3f})")
    ax.axhspan(random - half, random + half, color="tab:orange", alpha=0.12)
    ax.set_xscale("log")
    ax.set_xticks(counts, [str(k) for k in counts])
    ax.minorticks_off()
    ax.set_xlabel("number of domains K")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"{100 * result.fraction:g}% retained, {len(result.seeds)} seeds, 95% intervals")
    ax.legend()
    return fig


def pruning_plot(result):
    """Figure 6a: test accuracy against retained fraction per selection method, 95% intervals."""
    from ._pruning import mean_interval

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    percent = 100 * np.asarray(result.fractions)
    for i, method in enumerate(result.methods):
        stats = [mean_interval(result.accuracy[i, b]) for b in range(len(percent))]
        means, halves = np.array(stats).T
        ax.errorbar(percent * (1 + 0.04 * (i - 1.5)), means, yerr=halves, marker="o", capsize=3,
                    label=method)
    full, half = mean_interval(result.full)
    ax.axhline(full, color="black", ls="--", lw=1, label=f"full data ({full:.3f})")
    ax.axhspan(full - half, full + half, color="black", alpha=0.08)
    ax.set_xscale("log")
    ax.set_xticks(percent, [f"{p:g}%" for p in percent])
    ax.minorticks_off()
    ax.set_xlabel("retained fraction of the reference set")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"Pruning: same number of steps, {len(result.seeds)} seeds, 95% intervals")
    ax.legend()
    return fig


def domain_probabilities(runs, update_steps, steps, titles):
    """DIDS sampling probability of every domain over training, stacked (step function), one panel per run."""
    plt = _pyplot()
    fig, axes = plt.subplots(len(runs), 1, figsize=(9, 2.6 * len(runs) + 0.4), squeeze=False, sharex=True,
                             layout="constrained")
    edges = np.repeat(np.append(update_steps, steps), 2)[1:-1]
    n_domains = runs[0].shape[1]
    colors = plt.get_cmap("tab10" if n_domains <= 10 else "tab20")
    for ax, probabilities, title in zip(axes[:, 0], runs, titles):
        ax.stackplot(edges, np.repeat(probabilities.T, 2, axis=1), labels=_domain_labels(n_domains),
                     colors=[colors(k % colors.N) for k in range(n_domains)])
        ax.set_xlim(0, steps)
        ax.set_ylim(0, 1)
        ax.set_ylabel("probability")
        ax.set_title(f"DIDS sampling probabilities: {title}", fontsize=10)
    axes[0, 0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    axes[-1, 0].set_xlabel("optimisation step")
    return fig


def save(fig, path):
    """Write ``fig`` as a PNG and close it; return the PNG bytes."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    _pyplot().close(fig)
    data = buffer.getvalue()
    path.write_bytes(data)
    return data
