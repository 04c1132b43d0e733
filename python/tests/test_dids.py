"""DIDS pieces against NumPy twins (python/tests/_reference.py), scipy's curve_fit and exact invariants."""
import warnings

import numpy as np
import pytest
from scipy.optimize import curve_fit
from sklearn.utils.estimator_checks import check_estimator

from losslens import DomainSampler, GradientSketch, _core, dids
import _reference as ref


def _projection_matrix(sketch, h):
    """R recovered row by row: the sketch of the i-th unit vector (topk 1 keeps its only entry)."""
    unit = GradientSketch(sketch.n_components, topk=1, kind=sketch.kind, random_state=0).fit(np.eye(h))
    unit.seed_, unit.column_scale_ = sketch.seed_, sketch.column_scale_
    return unit.transform(np.eye(h))


# ---- GradientSketch (DIDS §4.1, eq. 5, appendix A) ---------------------------------------------


# DIDS eq. (5)
@pytest.mark.parametrize("kind", ["rademacher", "gaussian"])
def test_dids_eq5_sketch_is_topk_then_projection(kind, rng):
    X = rng.normal(size=(40, 700))
    sketch = GradientSketch(64, topk=0.1, kind=kind, random_state=1).fit(X)
    R = _projection_matrix(sketch, 700)
    assert sketch.topk_ == 70
    np.testing.assert_allclose(sketch.transform(X), ref.dids_topk_mask(X, 70) @ R, rtol=1e-10, atol=1e-12)
    if kind == "rademacher":
        np.testing.assert_allclose(np.abs(R), 1 / np.sqrt(64))


def test_dids_topk_ties_keep_lower_indices_and_counts():
    X = np.array([[1.0, -3.0, 3.0, 2.0, -3.0]])
    sketch = GradientSketch(8, topk=2, random_state=0).fit(X)
    R = _projection_matrix(sketch, 5)
    np.testing.assert_allclose(sketch.transform(X), np.array([[0, -3.0, 3.0, 0, 0]]) @ R, atol=1e-12)


def test_dids_appendix_a_jl_distances_preserved(rng):
    m, h, s, eps = 30, 20_000, 1024, 0.25  # n > 8 ln(m) / eps^2 = 435 (appendix A.1)
    X = rng.normal(size=(m, h)) * rng.uniform(0.5, 2, size=(m, 1))
    Y = GradientSketch(s, topk=1.0, random_state=3).fit_transform(X)
    i, j = np.triu_indices(m, 1)
    ratio = ((Y[i] - Y[j]) ** 2).sum(1) / ((X[i] - X[j]) ** 2).sum(1)
    assert ratio.min() > 1 - eps and ratio.max() < 1 + eps


def test_dids_appendix_a_normalised_columns_have_unit_norm(rng):
    X = rng.normal(size=(5, 900))
    for kind in ("rademacher", "gaussian"):
        sketch = GradientSketch(32, topk=1.0, kind=kind, normalize_columns=True, random_state=2).fit(X)
        np.testing.assert_allclose(np.linalg.norm(_projection_matrix(sketch, 900), axis=0), 1.0, rtol=1e-12)


def test_sketch_float32_reaches_the_core_without_copy(rng, monkeypatch):
    X32 = rng.normal(size=(10, 300)).astype(np.float32)
    seen = []
    original = _core.dids_sketch

    def spy(chunk, *args):
        seen.append(np.shares_memory(chunk, X32))
        return original(chunk, *args)

    monkeypatch.setattr(_core, "dids_sketch", spy)
    out = GradientSketch(16, chunk_size=4, random_state=0).fit(X32).transform(X32)
    assert out.dtype == np.float32 and seen == [True, True, True]


def test_sketch_same_seed_same_sketch_chunks_and_float32(rng):
    X = rng.normal(size=(300, 9000))
    a = GradientSketch(128, random_state=7).fit_transform(X)
    b = GradientSketch(128, random_state=7, chunk_size=37).fit(X).transform(X)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)  # BLAS blocking differs with the row count
    np.testing.assert_array_equal(a, GradientSketch(128, random_state=7).fit_transform(X))
    assert not np.allclose(a, GradientSketch(128, random_state=8).fit_transform(X))
    X32 = X.astype(np.float32)
    c = GradientSketch(128, random_state=7).fit_transform(X32)
    assert c.dtype == np.float32
    np.testing.assert_allclose(c, a, rtol=1e-3, atol=1e-3)


def test_sketch_rejects_nan_and_wrong_width(rng):
    X = rng.normal(size=(4, 50))
    sketch = GradientSketch(8, random_state=0).fit(X)
    bad = X.copy()
    bad[1, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        sketch.transform(bad)
    with pytest.raises(ValueError, match="features"):
        sketch.transform(X[:, :10])


def test_sketch_check_estimator():
    check_estimator(GradientSketch(16, random_state=0), on_skip=None)


# ---- Fisher diagonal and impact (DIDS §4.2, eqs. 11-12) ----------------------------------------


# DIDS eq. (11)
def test_dids_eq11_fisher_diagonal(rng):
    G = rng.normal(size=(50, 300))
    np.testing.assert_allclose(dids.empirical_fisher_diagonal(G, eps=1e-10), ref.dids_fisher_diagonal(G, 1e-10),
                               rtol=1e-13)
    G32 = G.astype(np.float32)
    assert dids.empirical_fisher_diagonal(G32).dtype == np.float32


# DIDS eq. (12)
@pytest.mark.parametrize("kind", ["divergence", "kernel"])
def test_dids_eq12_impact(kind, rng):
    D, T = rng.normal(size=(7, 400)), rng.normal(size=(3, 400))
    F = rng.uniform(0, 2, size=400)
    np.testing.assert_allclose(dids.fim_impact(D, T, F, kind=kind), ref.dids_impact(D, T, F, kind), rtol=1e-12)


def test_dids_eq12_divergence_is_zero_for_equal_updates_and_kernel_expands_it(rng):
    D, F = rng.normal(size=(4, 60)), rng.uniform(size=60)
    div = dids.fim_impact(D, D, F)
    np.testing.assert_allclose(np.diag(div), 0, atol=1e-14)
    K = dids.fim_impact(D, D, F, kind="kernel")
    k = np.diag(K)
    np.testing.assert_allclose(div, k[:, None] + k[None, :] - 2 * K, rtol=1e-10, atol=1e-12)


def test_impact_bad_input(rng):
    D, T, F = rng.normal(size=(3, 10)), rng.normal(size=(2, 10)), np.ones(10)
    with pytest.raises(ValueError, match="same number of parameters"):
        dids.fim_impact(D, T[:, :9], F)
    bad = D.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        dids.fim_impact(bad, T, F)
    with pytest.raises(ValueError, match="non-negative"):
        dids.fim_impact(D, T, -F)
    with pytest.raises(ValueError, match="kind"):
        dids.fim_impact(D, T, F, kind="cosine")
    with pytest.raises(ValueError, match="NaN"):
        dids.empirical_fisher_diagonal(bad)


# ---- Loss trajectories (DIDS eqs. 14-15) -------------------------------------------------------


def _model(t, a, b, c):
    return a * np.exp(-b * t) + c


def _scipy_cost(t, y, p0=None):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p, _ = curve_fit(_model, t, y, p0=p0, maxfev=2000)
    except RuntimeError:
        return np.inf
    cost = 0.5 * np.sum((_model(t, *p) - y) ** 2)
    return cost if np.isfinite(cost) else np.inf


# DIDS eq. (14)
def test_dids_eq14_clean_data_matches_curve_fit():
    for a, b, c, n in [(2.0, 0.3, 0.5, 20), (1.0, 0.05, 2.0, 60), (-0.5, 0.2, 3.0, 30)]:
        t = np.arange(n, dtype=float)
        y = _model(t, a, b, c)
        fit = dids.fit_exponential_decay(t, y, p0=[1, 0.1, 1])
        p, _ = curve_fit(_model, t, y, p0=[1, 0.1, 1], maxfev=2000)
        assert fit.status == "converged"
        np.testing.assert_allclose([fit.a, fit.b, fit.c], p, rtol=1e-6)
        np.testing.assert_allclose([fit.a, fit.b, fit.c], [a, b, c], rtol=1e-6)


@pytest.mark.parametrize("case", ["noisy", "flat", "increasing", "short", "step_times"])
def test_dids_eq14_fits_at_least_as_well_as_curve_fit(case):
    rng = np.random.default_rng(5)
    for trial in range(10):
        n = {"short": 4}.get(case, 25)
        t = np.arange(n, dtype=float) * (100.0 if case == "step_times" else 1.0)
        if case == "flat":
            y = 2.0 + 1e-3 * rng.normal(size=n)
        elif case == "increasing":
            y = 1.0 + 0.05 * t + 0.02 * rng.normal(size=n)
        else:
            y = _model(t / t[-1] * 10, 2.0, 0.4, 1.0) + 0.05 * rng.normal(size=n)
        p0 = [y[0] - y[-1], 0.1, y[-1]]
        fit = dids.fit_exponential_decay(t, y, p0=p0)
        assert fit.status in ("converged", "max_evaluations")
        assert fit.cost <= min(_scipy_cost(t, y), _scipy_cost(t, y, p0)) * (1 + 1e-7) + 1e-15


def test_exponential_decay_status_instead_of_raising():
    fit = dids.fit_exponential_decay([0.0, 1.0], [1.0, 0.5])
    assert fit.status == "too_few_points" and np.isnan(fit.a)
    with pytest.raises(ValueError, match="same length"):
        dids.fit_exponential_decay([0.0, 1.0, 2.0], [1.0, 0.5])
    with pytest.raises(ValueError, match="NaN"):
        dids.fit_exponential_decay([0.0, 1.0, 2.0], [1.0, np.nan, 0.2])
    bounded = dids.fit_exponential_decay(np.arange(10.0), np.linspace(2, 1, 10), bounds=([0, 0, 0], [5, 1, 5]))
    assert 0 <= bounded.b <= 1


# DIDS eq. (15)
def test_dids_eq15_potential_paper_and_code_variants():
    t = np.arange(12, dtype=float)
    y = _model(t, 2.0, 0.3, 0.5)
    expected = y[-1] - _model(t[-1] + 3, 2.0, 0.3, 0.5)
    assert dids.potential(y, tau=3) == pytest.approx(expected, rel=1e-6)
    assert dids.potential(y, tau=3, variant="code") == pytest.approx(y[-1] - _model(12 + 5, 2.0, 0.3, 0.5), rel=1e-6)
    assert dids.potential(y[:4], tau=3, variant="code") == 1.0
    assert dids.potential(y[:2], tau=3) == 0.0


def test_dids_eq15_potential_fits_a_decay_not_exponential_growth():
    # A task loss of the demo's DIDS run that fell, then jumped at the last record: fitted without
    # b >= 0, eq. (14) extrapolates exponential growth and l_p was -9.6e17.
    y = np.array([2.3234829902648926, 2.1117637157440186, 1.9031099081039429, 3.845536708831787])
    t = np.arange(4.0)
    decay = dids.fit_exponential_decay(t, y, bounds=([-np.inf, 0, -np.inf], [np.inf, np.inf, np.inf]))
    lp = dids.potential(y, tau=1.0)
    assert lp == pytest.approx(y[-1] - _model(t[-1] + 1, decay.a, decay.b, decay.c), rel=1e-9)
    assert abs(lp) < 2 * np.ptp(y)


# ---- DomainSampler (DIDS eqs. 13-16) -----------------------------------------------------------


# DIDS eq. (13), DIDS eq. (16)
@pytest.mark.parametrize("normalization", ["softmax", "linear"])
@pytest.mark.parametrize("impact_kind", ["divergence", "kernel"])
def test_dids_eq13_eq16_update_matches_reference(normalization, impact_kind, rng):
    n_domains, n_tasks = 6, 3
    sampler = DomainSampler(n_domains, beta=0.1, normalization=normalization, impact_kind=impact_kind)
    history = 1.0 + np.exp(-0.2 * np.arange(8))[None, :] * rng.uniform(0.5, 2, size=(n_tasks, 1))
    previous = sampler.probabilities_.copy()
    for step in range(3):
        impact = rng.uniform(0, 1, size=(n_domains, n_tasks))
        p = sampler.update(impact, history[:, : 6 + step])
        lp = [dids.potential(row, 1.0) for row in history[:, : 6 + step]]
        lc = history[:, 4 + step] - history[:, 5 + step]
        expected, U, N = ref.dids_update(impact, lc, lp, previous, 0.1, normalization,
                                         "max_gap" if impact_kind == "divergence" else "sum")
        np.testing.assert_allclose(p, expected, rtol=1e-12)
        np.testing.assert_allclose(sampler.utilities_, U, rtol=1e-12)
        previous = p
    assert len(sampler.history_) == 4
    assert p.sum() == pytest.approx(1.0)


def test_dids_uniform_mixing_floors_every_domain_where_eq16_alone_collapses(rng):
    n_domains, n_tasks, mixing = 6, 4, 0.5
    impact = rng.uniform(0.1, 1, size=(n_domains, n_tasks))
    history = np.tile([2.3, 2.2, 2.5, 3.0, 3.6, 4.1, 4.9], (n_tasks, 1))  # rising losses: negative utilities
    plain, mixed = DomainSampler(n_domains), DomainSampler(n_domains, uniform_mixing=mixing)
    for t in range(3, history.shape[1] + 1):
        previous = mixed.probabilities_.copy()
        plain.update(impact, history[:, :t])
        p = mixed.update(impact, history[:, :t])
        unmixed = DomainSampler(n_domains, initial_probabilities=previous).update(impact, history[:, :t])
        np.testing.assert_allclose(p, (1 - mixing) * unmixed + mixing / n_domains, rtol=1e-12)
        assert p.min() >= mixing / n_domains - 1e-15 and p.sum() == pytest.approx(1.0)
    assert plain.probabilities_.max() > 0.99  # eqs. 13-16 alone: one domain takes everything
    assert mixed.probabilities_.max() < 0.6


def test_sampler_draws_with_its_probabilities():
    sampler = DomainSampler(3, initial_probabilities=[0.2, 0.3, 0.5])
    domains, indices = sampler.sample(20_000, random_state=0, domain_sizes=np.array([5, 1, 7]))
    np.testing.assert_allclose(np.bincount(domains, minlength=3) / 20_000, [0.2, 0.3, 0.5], atol=0.015)
    assert (indices < np.array([5, 1, 7])[domains]).all() and (indices >= 0).all()


def test_sampler_bad_input():
    with pytest.raises(ValueError, match="strictly positive"):
        DomainSampler(3, initial_probabilities=[0.5, 0.5, 0.0])
    with pytest.raises(ValueError, match="strictly positive"):
        DomainSampler(2, initial_probabilities=[1.5, -0.5])
    with pytest.raises(ValueError, match="sum to 1"):
        DomainSampler(2, initial_probabilities=[0.5, 0.6])
    sampler = DomainSampler(3)
    with pytest.raises(ValueError, match="3 rows"):
        sampler.update(np.ones((2, 2)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="one row per task"):
        sampler.update(np.ones((3, 2)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="NaN"):
        sampler.update(np.full((3, 2), np.nan), np.ones((2, 4)))
    with pytest.raises(ValueError, match="beta"):
        DomainSampler(3, beta=1.0)


# ---- Repartition (DIDS §4.1) -------------------------------------------------------------------


def test_repartition_recovers_gradient_groups_globally_and_per_source(rng):
    centres = rng.normal(scale=10, size=(4, 16))
    truth = np.repeat(np.arange(4), 50)
    X = centres[truth] + rng.normal(size=(200, 16))
    labels, names = dids.repartition(X, n_clusters=4, random_state=0)
    assert len(names) == 4
    assert len(set(zip(labels, truth))) == 4  # one cluster per group
    source = np.where(truth < 2, "web", "code")
    labels, names = dids.repartition(X, source, n_clusters=2, random_state=0)
    assert sorted(names) == ["code-0", "code-1", "web-0", "web-1"]
    assert len(set(zip(labels, truth))) == 4
    with pytest.raises(ValueError, match="larger than the number of rows"):
        dids.repartition(X[:3], n_clusters=4)
    with pytest.raises(ValueError, match="one entry per row"):
        dids.repartition(X, source[:5])
