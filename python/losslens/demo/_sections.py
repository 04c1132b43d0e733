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


def pruning_section(report, data, config, run, ldd, ldds_by_count, options, arrays):
    """Section 5.4: figure 6a (test accuracy after keeping 2–20% by each selection method) and figure 6b
    (keeping 10% by the multiplicity of LDDs with K = 1 … 20 domains)."""
    from ._pruning import domain_count_experiment, mean_interval, pruning_experiment

    seeds = tuple(options.seed * 1000 + s for s in range(options.n_seeds))
    result = pruning_experiment(data, config, options.fractions, seeds, ldd, run.el2n, run.forgetting,
                                show_progress=options.show_progress, n_workers=options.n_workers)
    arrays.update(pruning_accuracy=result.accuracy, pruning_full_accuracy=result.full,
                  pruning_fractions=np.asarray(result.fractions), pruning_seeds=np.asarray(seeds))
    report.section("Data pruning by domain multiplicity (section 5.4, figures 6a and 6b)")
    full, full_half = mean_interval(result.full)
    report.text(f"Each budget keeps a fraction of the {len(data.y_train)} reference samples and retrains a fresh "
                f"network for the same {config.steps} optimisation steps (more epochs on smaller subsets), "
                f"{len(seeds)} seeds; test accuracy on {len(data.y_test)} held-out images, mean ± 95% t-interval. "
                f"multiplicity: sampled ∝ m_i = Σ_k d_ki (eq. 12); random: uniform; EL2N: largest error norm at "
                f"step {run.el2n_step} (Paul et al., 2021); forgetting: most forgetting events over the recorded "
                f"run (Toneva et al., 2019). Seed s shares the initialisation and mini-batch randomness across "
                f"methods, so multiplicity − random is paired; the verdict says 'beats' or 'loses to' random only "
                f"when the 95% interval of that difference excludes 0. Full data: {full:.3f} ± {full_half:.3f}.")
    report.text("LDD is fitted once, on the recorded run, and every retrain seed samples from that one "
                "multiplicity: the decomposition is a deterministic function of the recorded loss matrix (fixed "
                "random_state), so refitting it per seed on the same matrix would return the same D; what varies "
                "between seeds is the weighted draw of the kept samples and the retrained network's initialisation "
                "and mini-batches, which is what the intervals measure. A refit per seed would need a newly "
                "recorded training run per seed, a different experiment from the paper's (one recorded run, "
                "one LDD per K; figure 7 shows one multiplicity map per K).", note=True)
    header, rows = pruning_table(result)
    report.table(header, rows)
    report.figure(figures.pruning_plot(result), "pruning", "Figure 6a: test accuracy against retained fraction.")
    if ldds_by_count and options.domain_count_fraction in result.fractions:
        by_count = domain_count_experiment(data, config, options.domain_count_fraction, seeds, ldds_by_count,
                                           result, show_progress=options.show_progress,
                                           n_workers=options.n_workers)
        arrays.update(domain_count_accuracy=by_count.accuracy, domain_counts=np.asarray(by_count.n_domains))
        report.text(f"Figure 6b: {100 * by_count.fraction:g}% kept by the multiplicity of an LDD with K domains "
                    f"(one LDD per K, same formulation, alpha and data), the same seeds; random at the same budget "
                    f"is the paired reference.")
        report.table(["K", "multiplicity", "multiplicity − random", "verdict"],
                     [[f"{row['n_domains']}", "{:.3f} ± {:.3f}".format(*row["summary"]),
                       "{:+.3f} ± {:.3f}".format(*row["difference"]), row["verdict"]] for row in by_count.rows()])
        report.figure(figures.domain_count_plot(by_count), "pruning_domains",
                      f"Figure 6b: test accuracy against K at {100 * by_count.fraction:g}% retained.")
        result.by_count = by_count
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


#: Share of the uniform distribution mixed into every DIDS update of the report (a floor of
#: DIDS_MIXING / n_domains per domain; see docs/dids.md for why eqs. 13–16 alone collapse here).
DIDS_MIXING = 0.5

#: DIDS variants run by the report (key, title, DomainSampler parameters): the paper's equations as
#: they are, then the paper's and the authors' code's (Fisher kernel, linear weights) with the floor.
DIDS_VARIANTS = (
    ("paper_unmixed", "paper as is: divergence impact, softmax", {}),
    ("paper", f"paper, uniform mixing {DIDS_MIXING}", dict(uniform_mixing=DIDS_MIXING)),
    ("kernel", f"Fisher kernel impact, linear weights, uniform mixing {DIDS_MIXING}",
     dict(impact_kind="kernel", normalization="linear", uniform_mixing=DIDS_MIXING)),
)


def dids_section(report, data, config, run, ldd, options, arrays):
    """DIDS (losslens.DomainSampler) sampling over the learning domains: probabilities over time."""
    from ._dids import dids_training

    assignment = ldd.dictionary_.argmax(axis=1)
    results = [dids_training(data, config, assignment, options.domains, options.seed,
                             show_progress=options.show_progress, **params) for _, _, params in DIDS_VARIANTS]
    for (key, _, _), result in zip(DIDS_VARIANTS, results):
        arrays[f"dids_{key}_probabilities"] = result.probabilities
    arrays["dids_update_steps"] = results[0].steps
    report.section("DIDS over the learning domains")
    sizes = np.bincount(assignment, minlength=options.domains)
    report.text(f"Each reference sample is assigned to its domain of largest weight (sizes {sizes.tolist()}); "
                f"a fresh network is trained for {config.steps} steps with mini-batches drawn by "
                "losslens.DomainSampler, the tasks being the validation images of each digit; every 10 steps "
                "the FIM-guided impact (DIDS eq. 12) and the tasks' loss histories update the domain "
                "probabilities (eqs. 13–16). With eqs. 13–16 as they are, the sampling collapses onto one "
                "domain within a few updates (the utilities are in loss units, so the softmax is nearly "
                "one-hot, and the importance correction 1/p drives the domains it starves to 0 for good once "
                f"the other digits' losses rise); mixing a share {DIDS_MIXING} of the uniform distribution into "
                "every update (DomainSampler's uniform_mixing, not in the paper) keeps every domain sampled. "
                "Three variants: the paper's as is, the paper's with mixing, and the authors' code's Fisher "
                "kernel with linear weights with mixing. One seed each; the uniformly shuffled recorded run "
                "is the reference.")
    report.table(["sampling", "test accuracy", "largest final probability"],
                 [["uniform (recorded run)", f"{run.test_accuracy:.3f}", f"{1 / options.domains:.2f}"]]
                 + [[name, f"{r.test_accuracy:.3f}", f"{r.probabilities[-1].max():.2f}"]
                    for (_, name, _), r in zip(DIDS_VARIANTS, results)])
    report.figure(figures.domain_probabilities([r.probabilities for r in results], results[0].steps,
                                               config.steps, [name for _, name, _ in DIDS_VARIANTS]),
                  "dids_probabilities", "DIDS domain sampling probabilities over training, per variant.")
    return results


def polca_section(report, data, run, options, arrays):
    """POLCA: the validation images' loss change along Hessian directions of training images, breakthrough clusters."""
    from losslens.polca import homogeneity, plot_clusters

    from ._polca import polca_analysis

    polca, basis, basis_samples = polca_analysis(data, run, options.seed, n_basis_samples=200 if options.quick else 300,
                                                 n_basis_checkpoints=2 if options.quick else 4,
                                                 show_progress=options.show_progress)
    arrays.update(polca_allocation=polca.allocation_, polca_basis_samples=basis_samples)
    report.section("POLCA: loss change along Hessian directions")
    every = options.steps // max(1, len(run.checkpoints) - 2) if len(run.checkpoints) > 2 else options.steps
    report.text(f"Data roles as in the POLCA paper: Algorithm 1 builds {basis.n_directions} Hessian directions from "
                f"the loss of {len(basis_samples)} reference (training) images ({basis.n_operator_calls_} "
                f"Hessian-vector products), and the loss changes of the {len(data.y_val)} validation images between "
                f"{len(run.checkpoints)} checkpoints (about every {every} steps) are allocated to them. Directions "
                f"along which the projected loss decreased: {polca.decreasing_directions_.tolist()}. "
                "Each direction's projected-loss trajectories are clustered with losslens.HDBSCAN (breakthrough "
                "clusters); the table gives each direction's three largest clusters and their dominant digit.")
    rows, shown = [], None
    for direction, clusters in polca.cluster_all(min_cluster_size=10).items():
        scores = homogeneity(clusters.labels, data.y_val)
        parts = [f"{size}× digit {digit} ({fraction:.0%})" for size, digit, fraction in
                 zip(scores["size"][:3], scores["dominant"][:3], scores["fraction"][:3])]
        rows.append([f"{direction}", f"{len(scores['cluster'])}", "; ".join(parts) or "none"])
        if shown is None and len(scores["cluster"]):
            shown = (direction, clusters)
    report.table(["direction", "clusters", "largest clusters"], rows)
    if shown is not None:
        plt = figures._pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
        plot_clusters(shown[1], axes=axes, title=f"POLCA direction {shown[0]}")
        report.figure(fig, "polca_clusters", f"Breakthrough clusters of direction {shown[0]}: median projected "
                      "loss with quartile band (left) and the same clusters' exact loss (right).")
    return polca


def availability_section(report, with_data, sections):
    """Say which of the chosen POLCA and DIDS sections this run cannot produce (they are left out)."""
    missing = [text for section, name, text in (
        ("polca", "POLCA", "POLCA (loss change allocation on a Hessian basis)"),
        ("dids", "DomainSampler", "DIDS (domain impact-aware data sampling)"))
        if section in sections and not (hasattr(losslens, name) and with_data)]
    if missing:
        report.section("Not in this report")
        for text in missing:
            report.text(f"{text}: not available here (needs the estimator in losslens and, for DIDS, the "
                        "training data), so this report has no section for it.")


def timing_section(report, options):
    """Wall-clock time of each stage, next to the estimate made before the run where there is one."""
    report.section("Run")
    estimated = options.estimates
    report.table(["stage", "seconds", "estimated before the run"],
                 [[name, f"{seconds:.1f}", f"{estimated[name]:.0f}" if name in estimated else ""]
                  for name, seconds in options.timings.items()]
                 + [["total", f"{sum(options.timings.values()):.1f}", ""]])
    report.text(f"Options: steps {options.steps}, batch {options.batch_size}, lr {options.lr}, K {options.domains}, "
                f"alpha {options.alpha}, formulation {options.formulation}, refit {options.refit}, seed {options.seed}, "
                f"pruning seeds {options.n_seeds}, retrain processes {options.n_workers}, quick {options.quick}, sections {','.join(options.sections)}.",
                note=True)


def _format_table(header, rows):
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(line, widths)) for line in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def summary_text(options, ldd, run, pruning, path, losses):
    """The summary printed at the end of a run."""
    from ._run import EQ8_TOLERANCE, eq8_check

    largest, relative, passed = eq8_check(ldd, losses)
    lines = [f"\nlosslens demo: report written to {path}",
             f"LDD: K = {ldd.n_domains}, alpha = {ldd.alpha}, formulation {ldd.formulation}, refit {ldd.refit}, "
             f"objective {ldd.objective_:.4g}, {ldd.n_iter_} iterations, reconstruction error "
             f"{ldd.reconstruction_error_:.3f}",
             f"eq. (8): largest |Σ_k a_k − Σ_i ℓ_i| = {largest:.3g} ({100 * relative:.1f}% of the total loss), "
             f"tolerance {100 * EQ8_TOLERANCE:g}%: {'pass' if passed else 'FAIL'}"]
    if run is not None:
        lines.append(f"recorded run: reference accuracy {run.train_accuracy[-1]:.3f}, "
                     f"test accuracy {run.test_accuracy:.3f}")
    if pruning is not None:
        lines += ["", "test accuracy after pruning (mean ± 95% interval over "
                  f"{len(pruning.seeds)} seeds; full data {np.mean(pruning.full):.3f}):",
                  _format_table(*pruning_table(pruning))]
        by_count = getattr(pruning, "by_count", None)
        if by_count is not None:
            lines += ["", f"{100 * by_count.fraction:g}% kept by multiplicity, per K (figure 6b):",
                      _format_table(["K", "multiplicity", "multiplicity − random", "verdict"],
                                    [[f"{r['n_domains']}", "{:.3f} ± {:.3f}".format(*r["summary"]),
                                      "{:+.3f} ± {:.3f}".format(*r["difference"]), r["verdict"]]
                                     for r in by_count.rows()])]
    lines += ["", "time: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in options.timings.items())
              + f"; total {sum(options.timings.values()):.0f} s"]
    return "\n".join(lines)
