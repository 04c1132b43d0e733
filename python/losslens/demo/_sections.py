"""Report sections after the decomposition: counterfactual contributions, pruning, availability, timings."""
import numpy as np

import losslens

from . import _figures as figures


def counterfactual_section(report, data, config, run, ldd, options, arrays):
    """Section 5.3 / figure 5: per-step validation-loss change when each domain leaves the mini-batch."""
    from ._counterfactual import domain_contributions, top_members

    n_top = max(1, len(data.y_train) // options.domains)
    members = top_members(ldd, n_top)
    contributions, removed = domain_contributions(data, config, run.schedule, options.seed, members,
                                                  show_progress=options.show_progress)
    arrays.update(contributions=contributions, contributions_removed=removed)
    report.section("Domain contributions to generalisation (section 5.3, figure 5)")
    report.text(f"The recorded run is replayed; before each step the update is also taken without the "
                f"mini-batch samples that are among a domain's top {n_top} (N/K) by weight d_ki, and the "
                f"validation loss after that update is compared with the validation loss after the real update. "
                f"On average {removed.mean():.1f} of {run.schedule.shape[1]} mini-batch samples were removed per "
                f"domain and step.")
    report.figure(figures.contributions_heatmap(contributions), "contributions",
                  "Figure 5: red = removing the domain raises validation loss (the domain helps generalisation), "
                  "blue = removing it lowers validation loss.")
    half = contributions.shape[1] // 2
    rows = [[f"D{k + 1}", f"{contributions[k, :half].sum():+.4f}", f"{contributions[k, half:].sum():+.4f}",
             f"{(contributions[k] > 0).mean():.2f}"] for k in range(len(contributions))]
    report.table(["domain", "Σ contribution, first half", "Σ contribution, second half",
                  "fraction of steps > 0"], rows)


def pruning_section(report, data, config, run, ldd, options, arrays):
    """Section 5.4 / figure 6a: test accuracy after keeping 2–20% by each selection method."""
    from ._pruning import mean_interval, pruning_experiment

    seeds = tuple(options.seed * 1000 + s for s in range(options.n_seeds))
    result = pruning_experiment(data, config, options.fractions, seeds, ldd, run.el2n, run.forgetting,
                                show_progress=options.show_progress)
    arrays.update(pruning_accuracy=result.accuracy, pruning_full_accuracy=result.full,
                  pruning_fractions=np.asarray(result.fractions), pruning_seeds=np.asarray(seeds))
    report.section("Data pruning by domain multiplicity (section 5.4, figure 6a)")
    full, full_half = mean_interval(result.full)
    report.text(f"Each budget keeps a fraction of the {len(data.y_train)} reference samples and retrains a fresh "
                f"network for the same {config.steps} optimisation steps (more epochs on smaller subsets), "
                f"{len(seeds)} seeds; test accuracy on {len(data.y_test)} held-out images, mean ± 95% t-interval. "
                f"multiplicity: sampled ∝ m_i = Σ_k d_ki (eq. 12); random: uniform; EL2N: largest error norm at "
                f"step {run.el2n_step} (Paul et al., 2021); forgetting: most forgetting events over the recorded "
                f"run (Toneva et al., 2019). Seed s shares the initialisation across methods, so "
                f"multiplicity − random is paired. Full data: {full:.3f} ± {full_half:.3f}.")
    header, rows = pruning_table(result)
    report.table(header, rows)
    report.figure(figures.pruning_plot(result), "pruning", "Figure 6a: test accuracy against retained fraction.")
    return result


def pruning_table(result):
    """Header and string rows of the pruning table (shared by the report and the printed summary)."""
    header = ["kept"] + list(result.methods) + ["multiplicity − random", "verdict"]
    rows = []
    for row in result.rows():
        cells = [f"{100 * row['fraction']:g}%"]
        cells += [f"{mean:.3f} ± {half:.3f}" for mean, half in row["summary"].values()]
        diff, half = row["difference"]
        rows.append(cells + [f"{diff:+.3f} ± {half:.3f}", row["verdict"]])
    return header, rows


def availability_section(report):
    """POLCA and DIDS sections join the report once those estimators exist in losslens."""
    report.section("POLCA and DIDS")
    for name, method in (("POLCA", "POLCA (loss change allocation on a Hessian basis)"),
                         ("DomainSampler", "DIDS (domain impact-aware data sampling)")):
        if not hasattr(losslens, name):
            report.text(f"{method}: not available in this losslens build (losslens.{name} is missing), "
                        "so this report has no section for it.")


def timing_section(report, options):
    """Wall-clock time of each stage."""
    report.section("Run")
    report.table(["stage", "seconds"], [[name, f"{seconds:.1f}"] for name, seconds in options.timings.items()]
                 + [["total", f"{sum(options.timings.values()):.1f}"]])
    report.text(f"Options: steps {options.steps}, batch {options.batch_size}, lr {options.lr}, K {options.domains}, "
                f"λ {options.alpha}, seed {options.seed}, pruning seeds {options.n_seeds}, quick {options.quick}.",
                note=True)


def _format_table(header, rows):
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(line, widths)) for line in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def summary_text(options, ldd, run, pruning, path):
    """The summary printed at the end of a run."""
    lines = [f"\nlosslens demo: report written to {path}",
             f"LDD: K = {ldd.n_domains}, λ = {ldd.alpha}, objective {ldd.objective_:.4g}, {ldd.n_iter_} iterations"]
    if run is not None:
        lines.append(f"recorded run: reference accuracy {run.train_accuracy[-1]:.3f}, "
                     f"test accuracy {run.test_accuracy:.3f}")
    if pruning is not None:
        lines += ["", "test accuracy after pruning (mean ± 95% interval over "
                  f"{len(pruning.seeds)} seeds; full data {np.mean(pruning.full):.3f}):",
                  _format_table(*pruning_table(pruning))]
    lines += ["", "time: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in options.timings.items())
              + f"; total {sum(options.timings.values()):.0f} s"]
    return "\n".join(lines)
