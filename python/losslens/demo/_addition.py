"""``losslens demo --task addition``: POLCA's section 4 (hidden carry skills in 3-digit addition) on a CPU."""
import json
import time

import numpy as np

from . import _addition_figures as figures
from ._addition_data import PLACE_NAMES, addition_split
from ._report import Report

#: The POLCA paper's Table 3: the best carry homogeneities per trajectory type (none for first order).
PAPER_TABLE_3 = {"Loss": [0.514], "Fisher information": [0.664, 0.643, 0.637], "POLCA": [0.973, 0.946, 0.903],
                 "POLCA, first order": []}
PAPER_PARAMETERS = 9_475_594


def _describe(entry, place):
    """"0.973 (vector 2, n=120: 100s 80, 10s 40)": a Table 3 entry with the digit places of its cluster."""
    members = place[entry.clusters.labels == entry.cluster]
    places = ", ".join(f"{PLACE_NAMES[p]} {np.count_nonzero(members == p)}" for p in range(4) if np.any(members == p))
    vector = "" if entry.direction is None else f"vector {entry.direction}, "
    return f"{entry.fraction:.3f} ({vector}n={entry.size}: {places})"


def _table_3(report, best, place, paper=True):
    rows = []
    for kind, entries in best.items():
        cells = [_describe(e, place) for e in entries] or ["no cluster"]
        rows.append([kind, *cells, *[""] * (3 - len(cells))]
                    + ([" / ".join(f"{v:.3f}" for v in PAPER_TABLE_3[kind]) or "-"] if paper else []))
    report.table(["trajectories", "1", "2", "3"] + (["paper (Table 3)"] if paper else []), rows)


def _best_fraction(best, kind):
    entries = best[kind]
    return entries[0].fraction if entries else None


def _summary(config, run, analysis, n_parameters, seconds):
    carry_share = float(analysis.carry.mean())
    return {
        "polca_carry_homogeneity": _best_fraction(analysis.best, "POLCA"),
        "exact_loss_carry_homogeneity": _best_fraction(analysis.best, "Loss"),
        "fisher_carry_homogeneity": _best_fraction(analysis.best, "Fisher information"),
        "polca_first_order_carry_homogeneity": _best_fraction(analysis.best, "POLCA, first order"),
        "polca_inner_carry_homogeneity": _best_fraction(analysis.best_inner, "POLCA"),
        "polca_first_order_inner_carry_homogeneity": _best_fraction(analysis.best_inner, "POLCA, first order"),
        "exact_loss_inner_carry_homogeneity": _best_fraction(analysis.best_inner, "Loss"),
        "fisher_inner_carry_homogeneity": _best_fraction(analysis.best_inner, "Fisher information"),
        "polca_carry_homogeneity_top3": [e.fraction for e in analysis.best["POLCA"]],
        "fisher_carry_homogeneity_top3": [e.fraction for e in analysis.best["Fisher information"]],
        "digit_homogeneity": analysis.digit_homogeneity,
        "carry_share_of_tokens": carry_share,
        "first_vs_second_order": analysis.orders,
        "params": n_parameters,
        "paper_params": PAPER_PARAMETERS,
        "steps": config.steps,
        "checkpoints": len(run.checkpoints),
        "basis_vectors": analysis.basis.n_directions,
        "kept_directions": analysis.polca.decreasing_directions_.tolist(),
        "kept_directions_first_order": sorted(analysis.first_order_clusters),
        "hessian_vector_products": analysis.basis.n_operator_calls_,
        "validation_tokens": len(analysis.place),
        "final_validation_exact_match": float(run.validation_accuracy[-1]),
        "seconds": seconds,
        "stage_seconds": {"training": run.seconds, **analysis.seconds},
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(config).items()},
    }


def _direction_figures(report, analysis, steps):
    """Figure 4 for the direction with the most carry-homogeneous cluster and the first kept direction."""
    codes = figures.skill_codes(analysis.place, analysis.carry)
    chosen = [e.direction for e in analysis.best["POLCA"][:1]]
    chosen += [d for d in analysis.polca_clusters if d not in chosen][:2 - len(chosen)]
    for d in chosen:
        clusters = analysis.polca_clusters[d]
        if not len(clusters.clusters):
            continue
        origin = analysis.basis.origin_checkpoint_[d]
        report.figure(figures.polca_direction_figure(clusters, analysis.polca.projected_loss_[:, :, d], codes, steps,
                                                     steps[origin]),
                      f"polca_direction_{d}",
                      f"Figure 4 for basis vector {d} (from the Hessian at step {steps[origin]}, dotted line): "
                      "breakthrough clusters of its projected loss (eq. 10) after the paper's filtering, outliers "
                      "excluded; medoid and quartiles (left), median exact loss of the same tokens (centre), skill "
                      "composition (right).")


def _pair(summary, kind):
    """"0.912 (0.840)": the best carry homogeneity over all tokens and over the 100s and 10s tokens."""
    main, inner = (summary[f"{kind}{part}_carry_homogeneity"] for part in ("", "_inner"))
    return " ".join(("none" if v is None else f"{v:.3f}").join(brackets) for v, brackets in
                    ((main, ("", "")), (inner, ("(", ")"))))


def run_addition_demo(out, quick=False, steps=None, seed=0, show_progress=True):
    """Train, decompose and cluster; write report.html, summary.json and arrays.npz to ``out``; return a summary text."""
    import torch

    from ._addition_analysis import analyse
    from ._addition_train import AdditionConfig, train_addition

    start = time.perf_counter()
    torch.set_num_threads(1)  # this small model runs fastest on one thread on a shared machine
    overrides = {"seed": seed, **({} if steps is None else {"steps": steps})}
    config = AdditionConfig.quick(**overrides) if quick else AdditionConfig(**overrides)
    split = addition_split(config.n_validation, config.n_basis, config.seed)
    run = train_addition(split, config, show_progress=show_progress)
    analysis = analyse(split, run, config, show_progress=show_progress)
    n_parameters = run.model.n_parameters
    report = Report(out, "losslens demo: hidden carry skills in 3-digit addition (POLCA, section 4)")
    steps_axis = run.checkpoint_steps
    losses = analysis.polca.losses_
    report.section("Data, model and training")
    report.text(f"Problems abc+def=wxyz (sum zero-padded to four digits, most significant first); every sum token is "
                f"labelled with its digit place and whether a carry arrives at it. Training: a stream of fresh "
                f"problems, batch {config.batch_size}, {config.steps} AdamW steps (lr {config.lr}, weight decay "
                f"{config.weight_decay}, betas {config.betas}, warm-up {config.warmup}). Validation: "
                f"{config.n_validation} fixed problems never drawn for training ({len(analysis.place)} sum tokens, "
                f"{analysis.carry.mean():.0%} of them with a carry). Model: decoder-only Transformer, "
                f"{config.n_layers} layers, width {config.width}, {config.n_heads} heads, MLP {4 * config.width}: "
                f"{n_parameters:,} parameters against the paper's {PAPER_PARAMETERS:,} (3 layers, width 512). "
                f"Validation exact match at the end: {run.validation_accuracy[-1]:.3f}.")
    report.figure(figures.training_curves(run), "training", "Training loss and validation exact match.")
    report.figure(figures.skill_loss_figure(losses, analysis.place, analysis.carry, steps_axis), "skill_losses",
                  "Figures 7-8: exact loss of the validation tokens per digit place, with and without a carry.")
    report.section("POLCA basis and allocation")
    report.text(f"Algorithm 1: one basis vector at each of the steps {steps_axis[analysis.basis_checkpoints].tolist()} "
                f"(every {config.basis_every} steps), the top eigenvector of the Hessian of the loss summed over the "
                f"tokens of {config.n_basis} training problems, deflated by the vectors found before (Lanczos, "
                f"tolerance {config.lanczos_tol}, {analysis.basis.n_operator_calls_} Hessian-vector products). POLCA "
                f"(eqs. 4-9, second order by the paper's estimator) allocates the loss change of every validation "
                f"token between the {len(run.checkpoints)} checkpoints (every {config.checkpoint_every} steps) to "
                f"each vector; eq. 10 accumulates the projected losses. Kept directions (mean projected loss "
                f"decreased): {analysis.polca.decreasing_directions_.tolist()}; along each, tokens whose projected "
                f"loss rose are dropped, the rest clustered with losslens.HDBSCAN (min_cluster_size "
                f"{config.min_cluster_size}), outliers excluded.")
    _direction_figures(report, analysis, steps_axis)
    report.section("Exact-loss clustering (Figure 3)")
    report.text(f"HDBSCAN on the exact per-token loss trajectories: {len(analysis.exact_clusters.clusters)} clusters; "
                f"digit-place purity {analysis.digit_homogeneity:.3f} (share of clustered tokens in their cluster's "
                f"dominant place).")
    report.figure(figures.exact_loss_figure(analysis.exact_clusters, losses, figures.skill_codes(
        analysis.place, analysis.carry), steps_axis), "exact_loss_clusters",
        "Figure 3: mean exact loss per cluster (a) and skill composition (b).")
    report.section("Carry homogeneity per trajectory type (Table 3)")
    report.text("For each clustering the cluster with the largest share of carry tokens is taken; the three best "
                "basis vectors are listed (one clustering for the exact loss). In brackets: basis vector, cluster "
                "size and the digit places of its tokens. The 1000s digit equals the carry into it, so a cluster of "
                "1000s tokens can be carry-homogeneous by predicting that digit.")
    _table_3(report, analysis.best, analysis.place)
    report.text(f"The same counting only the 100s and 10s tokens of every cluster (the places where the carry is a "
                f"hidden input, not the output digit itself), clusters with at least {config.min_cluster_size} of "
                "them:")
    _table_3(report, analysis.best_inner, analysis.place, paper=False)
    report.section("First- against second-order POLCA (Table 5)")
    orders = analysis.orders
    report.table(["cosine similarity", "L2 distance", "relative L2 distance"],
                 [[f"{orders['cosine']:.5f}", f"{orders['l2']:.4g}", f"{orders['relative_l2']:.4f}"]])
    report.text("Mean over validation tokens and basis vectors of the projected-loss trajectories built from the "
                "first-order terms (eq. 4) against the second-order ones (eq. 9). The paper reports 0.99987 and "
                "5.4891e-4 (its column labels are swapped).", note=True)
    seconds = time.perf_counter() - start
    summary = _summary(config, run, analysis, n_parameters, seconds)
    report.section("Run")
    report.table(["stage", "seconds"], [[name, f"{value:.1f}"] for name, value in summary["stage_seconds"].items()]
                 + [["total", f"{seconds:.1f}"]])
    path = report.write()
    (report.out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    np.savez_compressed(report.out_dir / "arrays.npz", losses=losses, projected_loss=analysis.polca.projected_loss_,
                        first_order=analysis.polca.first_order_, allocation=analysis.polca.allocation_,
                        projected_grads=analysis.polca.projected_grads_, place=analysis.place, carry=analysis.carry,
                        checkpoint_steps=steps_axis, basis_eigenvalues=analysis.basis.eigenvalues_)
    return (f"\nlosslens demo --task addition: report written to {path}\n"
            f"carry homogeneity (100s and 10s only): POLCA {_pair(summary, 'polca')}, exact loss "
            f"{_pair(summary, 'exact_loss')}, Fisher {_pair(summary, 'fisher')}; "
            f"digit purity {summary['digit_homogeneity']:.3f}; {n_parameters:,} parameters, {config.steps} steps, "
            f"{seconds:.0f} s")
