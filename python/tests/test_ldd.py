import numpy as np
import pytest
from scipy.stats import chisquare

import losslens
from losslens import LDD, LossRecorder
from losslens.ldd._refit import rescale_to_simplex


def planted(seed, n_samples=400, n_steps=60, n_domains=4, noise=1e-4):
    """L = D A + noise with D column-simplex (disjoint groups) and sigmoid domain losses (LDD eq. 6)."""
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_domains, n_samples)
    D = np.zeros((n_samples, n_domains))
    D[np.arange(n_samples), groups] = rng.uniform(0.5, 1.5, n_samples)
    D /= D.sum(axis=0)
    steps = np.arange(n_steps + 1)
    A = np.array([
        50 * (k + 1) * (1 / (1 + np.exp((steps - rng.integers(5, n_steps - 5)) / 2)) + 0.05)
        for k in range(n_domains)
    ])
    return D @ A + noise * rng.normal(size=(n_samples, n_steps + 1)), D, A


def planted_exclusive(seed, n_samples=400, n_steps=60, n_domains=4, noise=1e-4):
    """As ``planted`` with the domains' loss drops at well-separated steps (LDD Assumption 3), so that
    L_Δ alone identifies the domains."""
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_domains, n_samples)
    D = np.zeros((n_samples, n_domains))
    D[np.arange(n_samples), groups] = rng.uniform(0.5, 1.5, n_samples)
    D /= D.sum(axis=0)
    steps = np.arange(n_steps + 1)
    centres = np.linspace(5, n_steps - 5, n_domains) + rng.uniform(-1, 1, n_domains)
    A = np.array([50 * (k + 1) * (1 / (1 + np.exp((steps - centres[k]) / 2)) + 0.05) for k in range(n_domains)])
    return D @ A + noise * rng.normal(size=(n_samples, n_steps + 1)), D, A


def fit(L, **params):
    params = {"n_domains": 4, "alpha": 0.01, "random_state": 0, "progress": False, **params}
    return LDD(**params).fit(L)


# LDD eq. (11)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ldd_eq11_recovers_planted_domains(seed):
    L, D, _ = planted(seed)
    model = fit(L, n_init=2, refit="none")  # the Lasso codes of eq. (11), whose objective is checked
    _, similarity = model.match_domains(D)
    assert similarity.min() > 0.95
    assert (model.dictionary_ >= 0).all()
    np.testing.assert_allclose(model.dictionary_.sum(axis=0), 1.0, rtol=0, atol=1e-12)
    residual = L[:, :-1] - L[:, 1:] - model.dictionary_ @ model.code_differences_
    expected = 0.5 * np.square(residual).sum() + 0.01 * np.abs(model.code_differences_).sum()
    np.testing.assert_allclose(model.objective_, expected, rtol=1e-10)
    np.testing.assert_allclose(model.reconstruction_error_,
                               np.linalg.norm(residual) / np.linalg.norm(L[:, :-1] - L[:, 1:]), rtol=1e-10)


def test_ldd_eq8_sum_of_domain_losses_identity():
    L, D, A = planted(3, noise=0.0)
    model = fit(L, alpha=1e-6)
    a = model.domain_losses_
    assert (a >= -1e-12).all()
    np.testing.assert_allclose(a[:, :-1] - a[:, 1:], model.code_differences_, atol=1e-9)
    np.testing.assert_allclose(model.loss_sum_residual_, a.sum(axis=0) - L.sum(axis=0), atol=1e-9)
    # Noise-free, nearly unpenalised: the domains' losses add up to the total loss (eq. 8).
    assert np.abs(model.loss_sum_residual_).max() < 1e-3 * L.sum(axis=0).max()
    # Each recovered domain's loss curve follows its planted one (D is recovered to cosine > 0.998 here).
    pairs, _ = model.match_domains(D)
    np.testing.assert_allclose(a[pairs[:, 0]], A[pairs[:, 1]], rtol=0, atol=0.05 * A.max())


# LDD eq. (12)
def test_ldd_eq12_multiplicity_and_top_samples():
    L, D, _ = planted(4)
    model = fit(L)
    np.testing.assert_allclose(model.multiplicity_, model.dictionary_.sum(axis=1))
    top = model.top_samples(2, n=7)
    column = model.dictionary_[:, 2]
    assert len(set(top)) == 7 and (np.diff(column[top]) <= 0).all()
    assert column[top[-1]] >= np.sort(column)[-7]


# LDD §5.4
def test_prune_distinct_and_proportional_to_multiplicity():
    L, _, _ = planted(5, n_samples=60)
    model = fit(L)
    kept = model.prune(40, random_state=0)
    assert len(np.unique(kept)) == 40
    # One draw is exactly a weighted draw: frequencies follow m_i / sum(m) (chi-square).
    counts = np.bincount([model.prune(1, random_state=seed)[0] for seed in range(6000)], minlength=60)
    expected = 6000 * model.multiplicity_ / model.multiplicity_.sum()
    assert chisquare(counts, expected).pvalue > 1e-3


def test_determinism_under_random_state():
    L, _, _ = planted(6)
    first, second = fit(L, n_init=3, random_state=7), fit(L, n_init=3, random_state=7)
    for name in ["dictionary_", "code_differences_", "domain_losses_", "multiplicity_"]:
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
    np.testing.assert_array_equal(first.prune(50, random_state=1), second.prune(50, random_state=1))


def test_n_init_keeps_the_best_objective():
    L, _, _ = planted(7)
    single = fit(L, n_init=1)
    several = fit(L, n_init=4)
    assert several.objective_ <= single.objective_ * (1 + 1e-12)


# LDD eq. (3)-(4)
def test_fit_differences_matches_fit():
    L, _, _ = planted(8)
    from_losses = fit(L)
    from_differences = LDD(n_domains=4, alpha=0.01, random_state=0, progress=False).fit_differences(
        L[:, :-1] - L[:, 1:], initial_losses=L[:, 0])
    np.testing.assert_allclose(from_differences.dictionary_, from_losses.dictionary_, atol=1e-10)
    np.testing.assert_allclose(from_differences.domain_losses_, from_losses.domain_losses_, rtol=1e-8, atol=1e-8)
    bare = LDD(n_domains=4, random_state=0, progress=False).fit_differences(L[:, :-1] - L[:, 1:])
    assert bare.loss_sum_residual_ is None
    np.testing.assert_allclose(bare.domain_losses_.min(axis=1), 0.0, atol=1e-12)


def test_transform_codes_optimally_against_fitted_domains():
    L, _, _ = planted(9)
    model = fit(L, refit="none")
    code = model.transform(L)
    assert code.shape == model.code_differences_.shape
    residual = L[:, :-1] - L[:, 1:] - model.dictionary_ @ code
    assert 0.5 * np.square(residual).sum() + 0.01 * np.abs(code).sum() <= model.objective_ * (1 + 1e-9)


def test_match_domains_with_itself_is_identity():
    L, _, _ = planted(10)
    model = fit(L)
    pairs, similarity = model.match_domains(model)
    np.testing.assert_array_equal(pairs, np.column_stack([np.arange(4), np.arange(4)]))
    np.testing.assert_allclose(similarity, 1.0)


# LDD eq. (1)
@pytest.mark.parametrize("path", [None, "losses.npy"])
def test_recorder_feeds_ldd_without_copy(tmp_path, path):
    L, _, _ = planted(11, n_samples=50, n_steps=150)
    recorder = LossRecorder(50, dtype=np.float64, path=None if path is None else tmp_path / path)
    for column in L.T:
        recorder.append(column)
    matrix = recorder.matrix()
    assert matrix.shape == (50, 151) and np.shares_memory(matrix, recorder.losses)
    np.testing.assert_array_equal(matrix, L)
    np.testing.assert_allclose(fit(matrix).dictionary_, fit(np.array(L)).dictionary_, atol=1e-10)
    if path is not None:
        recorder.close()
        np.testing.assert_array_equal(np.load(tmp_path / path, mmap_mode="r").T, L)


def test_recorder_float32_default_and_bad_vectors():
    recorder = LossRecorder(3)
    recorder.append([1, 2, 3])
    assert recorder.losses.dtype == np.float32 and len(recorder) == 1
    with pytest.raises(ValueError, match=r"losses must have shape \(3,\)"):
        recorder.append([1, 2])
    with pytest.raises(ValueError, match="n_samples"):
        LossRecorder(0)


@pytest.mark.parametrize(
    "losses, params, fragment",
    [
        (np.array([[1.0, np.nan], [2.0, 1.0]]), {}, "NaN or infinity"),
        (np.array([[1.0, np.inf], [2.0, 1.0]]), {}, "NaN or infinity"),
        (np.ones(5), {}, "2-D"),
        (np.ones((5, 1)), {}, "at least 1 sample and 2 columns"),
        (np.ones((5, 4)), {"n_domains": 4}, "larger than the data allows"),
        (np.ones((3, 8)), {"n_domains": 4}, "larger than the data allows"),
        (np.ones((5, 4)), {"n_domains": 2, "alpha": -0.1}, "alpha must be >= 0"),
    ],
)
def test_bad_input_raises(losses, params, fragment):
    with pytest.raises(ValueError, match=fragment):
        LDD(progress=False, **params).fit(losses)


def test_plots_draw(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    L, _, _ = planted(12)
    model = fit(L)
    for plot in [model.plot_code_differences, model.plot_domain_losses, model.plot_multiplicity]:
        ax = plot()
        ax.figure.savefig(tmp_path / "plot.png")
        assert ax.has_data()


def test_exported():
    assert losslens.LDD is LDD and losslens.LossRecorder is LossRecorder


def test_progress_bar_chunks_give_the_same_fit():
    L, _, _ = planted(13)
    quiet = fit(L)
    shown = fit(L, progress=True)  # runs the core in chunks of iterations between bar updates
    assert shown.n_iter_ == quiet.n_iter_
    np.testing.assert_allclose(shown.dictionary_, quiet.dictionary_, rtol=0, atol=1e-12)


def test_float32_recorder_on_disk_equals_float64_copy(tmp_path):
    L, _, _ = planted(14, n_samples=80, n_steps=100)
    recorder = LossRecorder(80, path=tmp_path / "losses.npy")
    for column in L.T:
        recorder.append(column)
    assert recorder.losses.dtype == np.float32
    from_disk = fit(recorder.losses)
    in_memory = fit(recorder.losses.astype(np.float64))
    np.testing.assert_array_equal(from_disk.dictionary_, in_memory.dictionary_)


@pytest.mark.parametrize("formulation", ["paper", "authors"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ldd_eq11_both_formulations_recover_planted_domains(formulation, seed):
    L, D, _ = planted_exclusive(seed)
    model = fit(L, formulation=formulation)
    _, similarity = model.match_domains(D)
    assert similarity.min() >= 0.95
    np.testing.assert_allclose(model.dictionary_.sum(axis=0), 1.0, rtol=0, atol=1e-12)  # LDD eq. (10)
    assert (model.dictionary_ >= 0).all() and (model.domain_losses_ >= -1e-9).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ldd_eq8_default_residual_on_planted_domains_within_one_percent(seed):
    L, _, _ = planted_exclusive(seed)
    model = LDD(n_domains=4, random_state=0, progress=False).fit(L)
    assert np.abs(model.loss_sum_residual_).max() <= 0.01 * L.sum(axis=0).max()


def test_ldd_authors_rescaling_leaves_the_product_of_scikit_learns_fit_unchanged():
    """formulation="authors" is losslens.DictionaryLearning with non-negative unit-norm atoms (the
    paper's footnote 2), each atom then rescaled onto the simplex: D A_Δ unchanged, eq. (10) holds."""
    L, _, _ = planted(15)
    X = L[:, :-1].T - L[:, 1:].T
    reference = losslens.DictionaryLearning(4, alpha=0.01, max_iter=1000, tol=1e-8, positive_dict=True,
                                            random_state=0)
    unit_product = reference.fit_transform(X) @ reference.components_
    model = fit(L, formulation="authors", refit="none")
    np.testing.assert_allclose(model.code_differences_.T @ model.dictionary_.T, unit_product, rtol=0,
                               atol=1e-12 * np.abs(unit_product).max())
    np.testing.assert_allclose(model.dictionary_.sum(axis=0), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.dictionary_ / np.linalg.norm(model.dictionary_, axis=0),
                               reference.components_.T, rtol=0, atol=1e-12)


def test_rescale_to_simplex_keeps_the_product_and_handles_an_empty_atom(rng):
    code, atoms = rng.normal(size=(30, 5)), np.abs(rng.normal(size=(5, 200)))
    atoms[2] = 0.0
    scaled_code, scaled_atoms = rescale_to_simplex(code, atoms)
    np.testing.assert_allclose(scaled_code @ scaled_atoms, code @ atoms, rtol=0, atol=1e-12)
    np.testing.assert_allclose(scaled_atoms.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert (scaled_code[:, 2] == 0).all() and (scaled_atoms[2] == 1 / 200).all()


# LDD eq. (9)
@pytest.mark.parametrize("refit", ["least_squares", "loss_sum"])
def test_code_refit_keeps_the_support_and_solves_its_least_squares(refit):
    L, _, _ = planted(16, noise=1e-2)
    lasso, refitted = fit(L, refit="none"), fit(L, refit=refit)
    np.testing.assert_array_equal(lasso.dictionary_, refitted.dictionary_)
    A, D = refitted.code_differences_, refitted.dictionary_
    np.testing.assert_array_equal(A != 0, lasso.code_differences_ != 0)
    X = L[:, :-1] - L[:, 1:]
    residual = X - D @ A
    step_sums = X.sum(axis=0)
    for t in range(X.shape[1]):
        support = np.flatnonzero(A[:, t])
        if len(support) == 0:
            continue
        gradient = D[:, support].T @ residual[:, t]
        if refit == "loss_sum":
            # KKT of min ‖r‖² s.t. Σ_k Δa_k = Σ_i Δℓ_i: the gradient is one multiple of 1ᵀD_S = 1ᵀ
            np.testing.assert_allclose(A[support, t].sum(), step_sums[t], rtol=1e-9, atol=1e-12)
            gradient = gradient - gradient.mean()
        np.testing.assert_allclose(gradient, 0.0, atol=1e-9 * np.abs(X).max())
    assert refitted.reconstruction_error_ <= lasso.reconstruction_error_ + (1e-12 if refit == "least_squares" else 1e-3)
    # LDD eq. (8): with the step sums imposed, Σ_k a_k − Σ_i ℓ_i changes only by the loss drops of steps
    # whose code is empty (nothing to refit), and is constant when there are none
    if refit == "loss_sum":
        empty = ~(A != 0).any(axis=0)
        assert 0 < empty.sum() < len(empty)
        drift = refitted.loss_sum_residual_ - refitted.loss_sum_residual_[0]
        np.testing.assert_allclose(drift[1:], np.cumsum(np.where(empty, step_sums, 0.0)), rtol=0,
                                   atol=1e-9 * L.sum(axis=0).max())


def test_transform_refits_like_fit():
    L, _, _ = planted(17)
    for params in ({"refit": "loss_sum"}, {"formulation": "authors", "refit": "least_squares"}):
        model = fit(L, **params)
        np.testing.assert_allclose(model.transform(L), model.code_differences_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("params, fragment", [({"formulation": "printed"}, "formulation must be one of"),
                                              ({"refit": "lasso"}, "refit must be one of")])
def test_bad_formulation_or_refit_raises(params, fragment):
    L, _, _ = planted(18)
    with pytest.raises(ValueError, match=fragment):
        fit(L, **params)
