"""run_demo: every stage of the report in order, from data to report.html."""
import numpy as np

import losslens

from . import _figures as figures
from ._report import Report
from ._run import (COUNTERFACTUAL_STAGE, EQ8_TOLERANCE, PRUNING_STAGE, RECORDING_STAGE, DemoOptions, _Stage,
                   eq8_check, fit_ldd, loss_change_embedding)


def _load_data(options):
    from ._data import load_digits_data, load_mnist_data

    if options.mnist is not None:
        return load_mnist_data(options.mnist, n_train=options.n_train, n_val=options.n_val)
    return load_digits_data(random_state=options.seed)


def _set_threads(data, options):
    """On 8x8 digits this small CNN runs fastest on one thread; the 28x28 images' loss vectors (a forward
    pass over the whole reference set per step) use up to two."""
    import torch

    torch.set_num_threads(1 if data.X_train.shape[2] * data.X_train.shape[3] < 28 * 28 else options.n_workers)


def _print_estimates(data, config, options):
    """Time the CNN's operations, put the training sections' estimates in ``options.estimates``, print them."""
    from ._estimate import describe, estimate, probe

    options.estimates = estimate(probe(data, config, options.seed), options, data)
    if options.show_progress:
        print(f"[losslens demo] {describe(options.estimates)}", flush=True)


def _record(data, config, options):
    """Train with a LossRecorder on the reference set; return the loss matrix and the run."""
    from ._train import record_training

    recorder = losslens.LossRecorder(len(data.y_train), dtype=np.float32)
    model, run = record_training(data, config, recorder, options.seed, show_progress=options.show_progress)
    return recorder.losses, run


def _ldd_sections(report, ldd, losses, val_losses, arrays):
    arrays.update(dictionary=ldd.dictionary_, code_differences=ldd.code_differences_,
                  domain_losses=ldd.domain_losses_, multiplicity=ldd.multiplicity_)
    report.section("Learning-domain decomposition (figure 2)")
    atoms = ("every column of D on the simplex during the fit (eq. 11 as printed)" if ldd.formulation == "paper" else
             "non-negative unit-norm columns of D in scikit-learn's convention (the paper's footnote 2), each "
             "rescaled onto the simplex afterwards with its code row scaled inversely, D A_Δ unchanged")
    refit = {"none": "the Lasso codes as they are",
             "least_squares": "each step's code refitted by least squares on its support (relaxed lasso)",
             "loss_sum": "each step's code refitted by least squares on its support subject to Σ_k Δa_k = "
                         "Σ_i Δℓ_i (eq. 9)"}[ldd.refit]
    largest, relative, passed = eq8_check(ldd, losses)
    report.text(f"LDD factors the loss-difference matrix L_Δ (shape {losses.shape[0]} × {losses.shape[1] - 1}) "
                f"as D A_Δ with an L1 penalty on A_Δ, formulation '{ldd.formulation}': {atoms}; refit "
                f"'{ldd.refit}': {refit}. K = {ldd.n_domains}, alpha = {ldd.alpha} (objective "
                f"0.5‖L_Δ − D A_Δ‖² + alpha‖A_Δ‖₁, i.e. λ = 2·alpha in eq. 11); objective {ldd.objective_:.4g} after "
                f"{ldd.n_iter_} iterations, relative reconstruction error {ldd.reconstruction_error_:.3f}.")
    report.text(f"Eq. (8) check, Σ_k a_k(t) = Σ_i ℓ_i(t) with every a_k(t) ≥ 0: largest deviation {largest:.3g}, "
                f"{100 * relative:.1f}% of the largest total loss {losses.sum(axis=0).max():.4g}; tolerance "
                f"{100 * EQ8_TOLERANCE:g}%: {'pass' if passed else 'FAIL'}"
                + ("." if passed else " (the domain losses do not add up to the total loss; see docs/ldd.md)."))
    report.figure(figures.code_differences_heatmap(ldd.code_differences_), "code_differences",
                  "Figure 2a: coefficient-difference matrix A_Δ per domain and step.")
    report.figure(figures.domain_loss_curves(ldd.domain_losses_, losses.sum(axis=0), val_losses),
                  "domain_losses", "Domain loss curves a_k(t) recovered by integrating A_Δ; right: their sum "
                  "against the reference set's total loss, and the validation loss.")


def _tsne_section(report, losses, ldd, labels, options, arrays, ldds_by_count):
    report.section("t-SNE of loss-change trajectories (figures 3, 4 and 7)")
    embedding, chosen = loss_change_embedding(losses, options.seed)
    arrays.update(tsne_embedding=embedding, tsne_indices=chosen)
    report.text(f"Each point is one reference sample embedded from its {losses.shape[1] - 1} loss changes "
                f"({len(chosen)} samples).")
    if labels is not None:
        report.figure(figures.tsne_by_label(embedding, labels[chosen]), "tsne_digits",
                      "Figure 3: coloured by true digit.")
    report.figure(figures.tsne_by_domain(embedding, ldd.dictionary_[chosen]), "tsne_domains",
                  "Figure 4: domain contributions d_ki, min-max normalised within each domain.")
    multiplicities = {k: fitted.multiplicity_[chosen] for k, fitted in ldds_by_count.items()}
    arrays.update({f"multiplicity_K{k}": m for k, m in multiplicities.items()})
    report.figure(figures.tsne_by_multiplicity(embedding, multiplicities), "tsne_multiplicity",
                  "Figure 7: domain multiplicity m_i = Σ_k d_ki (the pruning weight, eq. 12) in the same embedding, "
                  "one LDD per K (colour scale per panel).")


def _domain_count_fits(losses, options, ldd):
    """One LDD per K of figures 6b and 7 (the main fit for K = options.domains), fitted once on the run."""
    return {k: ldd if k == options.domains else fit_ldd(losses, options, n_domains=k)
            for k in options.domain_counts if k <= min(losses.shape[0], losses.shape[1] - 1)}


def run_demo(options=None):
    """Run the demo with ``options`` (a :class:`DemoOptions`): the chosen ``sections``; return the summary text."""
    options = (options or DemoOptions()).resolve()
    sections = set(options.sections)
    report = Report(options.out, "losslens demo: training dynamics by learning-domain decomposition")
    arrays = {}
    data = run = config = None
    if options.losses is not None:
        losses = np.load(options.losses, mmap_mode="r")
        report.section("Loss matrix")
        report.text(f"Loss matrix read from {options.losses}: {losses.shape[0]} samples × {losses.shape[1]} "
                    "checkpoints. Without the data and the model only the decomposition sections are produced.")
    else:
        from ._train import TrainConfig

        data = _load_data(options)
        config = TrainConfig(options.steps, options.batch_size, options.lr)
        _set_threads(data, options)
        _print_estimates(data, config, options)
        with _Stage(options, RECORDING_STAGE):
            losses, run = _record(data, config, options)
        report.section("Data and training")
        report.text(data.describe() + ".")
        report.text(f"Training: the LDD paper's simple CNN (conv 32, conv 64, dense 128), Adam lr {config.lr}, "
                    f"batch {config.batch_size}, {config.steps} optimisation steps on CPU; every reference "
                    f"sample's loss recorded at every step (loss matrix {losses.shape[0]} × {losses.shape[1]}). "
                    f"Final reference accuracy {run.train_accuracy[-1]:.3f}, test accuracy {run.test_accuracy:.3f}.")
        arrays.update(val_losses=run.val_losses, train_accuracy=run.train_accuracy, el2n=run.el2n,
                      forgetting=run.forgetting, labels=data.y_train)
    arrays["losses"] = np.asarray(losses)
    with _Stage(options, "LDD"):
        ldd = fit_ldd(losses, options)
    if "ldd" in sections:
        _ldd_sections(report, ldd, np.asarray(losses), None if run is None else run.val_losses, arrays)
        if data is not None:
            top = np.stack([ldd.top_samples(k, 10) for k in range(options.domains)])
            report.figure(figures.top_images(data.X_train, data.y_train, top), "top_images",
                          "Figure 2b: the ten reference images of largest weight d_ki in each domain.")
    ldds_by_count = None
    if "tsne" in sections or ("pruning" in sections and data is not None):
        with _Stage(options, f"LDD for K in {options.domain_counts}"):
            ldds_by_count = _domain_count_fits(losses, options, ldd)
    if "tsne" in sections:
        with _Stage(options, "t-SNE"):
            _tsne_section(report, np.asarray(losses), ldd, None if data is None else data.y_train, options, arrays,
                          ldds_by_count)
    from ._sections import (availability_section, counterfactual_section, dids_section, polca_section,
                            pruning_section, summary_text, timing_section)

    pruning = None
    if data is not None and "counterfactual" in sections:
        with _Stage(options, COUNTERFACTUAL_STAGE):
            counterfactual_section(report, data, config, run, ldd, options, arrays)
    if data is not None and "pruning" in sections:
        with _Stage(options, PRUNING_STAGE):
            pruning = pruning_section(report, data, config, run, ldd, ldds_by_count, options, arrays)
    if data is not None and "polca" in sections and hasattr(losslens, "POLCA"):
        with _Stage(options, "POLCA"):
            polca_section(report, data, run, options, arrays)
    if data is not None and "dids" in sections and hasattr(losslens, "DomainSampler"):
        with _Stage(options, "DIDS-sampled training"):
            dids_section(report, data, config, run, ldd, options, arrays)
    availability_section(report, data is not None, sections)
    timing_section(report, options)
    np.savez_compressed(options.out / "arrays.npz", **arrays)
    path = report.write()
    return summary_text(options, ldd, run, pruning, path, np.asarray(losses))
