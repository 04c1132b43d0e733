import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score

import losslens
from _reference import polca_allocation
from losslens.polca import POLCA, HessianBasis, exact_loss_clusters, homogeneity


def random_inputs(rng, T=6, n=9, m=4):
    return rng.normal(size=(T + 1, n, m)), rng.normal(size=(T, m)), rng.normal(size=(T, m))


# POLCA eq. (4), POLCA eq. (6), POLCA eq. (10)
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("order", [1, 2])
def test_polca_eq4_to_eq10_match_numpy_reference(seed, order):
    rng = np.random.default_rng(seed)
    grads, steps, curv = random_inputs(rng, T=int(rng.integers(1, 8)), n=int(rng.integers(1, 12)))
    model = POLCA(order=order).fit(grads, steps, curv)
    allocation, first, projected, guarded = polca_allocation(grads, steps, curv, order=order)
    np.testing.assert_allclose(model.allocation_, allocation, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.first_order_, first, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(model.projected_loss_, projected, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(model.share_guarded_, guarded)
    if order == 1:
        np.testing.assert_array_equal(model.allocation_, model.first_order_)


# POLCA eq. (5)
@pytest.mark.parametrize("seed", range(3))
def test_polca_eq5_per_sample_curvatures_match_numpy_reference(seed):
    rng = np.random.default_rng(seed)
    grads, steps, _ = random_inputs(rng)
    curv = rng.normal(size=(grads.shape[0] - 1,) + grads.shape[1:])
    model = POLCA().fit(grads, steps, curv)
    allocation, _, projected, _ = polca_allocation(grads, steps, curv)
    np.testing.assert_allclose(model.allocation_, allocation, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(model.allocation_ - model.first_order_, 0.5 * curv * steps[:, None, :] ** 2, rtol=1e-12)
    np.testing.assert_allclose(model.projected_loss_, projected, rtol=1e-10, atol=1e-12)
    assert not model.share_guarded_.any()


# POLCA eq. (7)
def test_polca_eq7_second_order_terms_sum_to_the_aggregate_term(rng):
    grads, steps, curv = random_inputs(rng)
    model = POLCA().fit(grads, steps, curv)
    second = model.allocation_ - model.first_order_
    np.testing.assert_allclose(second.sum(axis=1), 0.5 * curv * steps**2, rtol=1e-9)


def quadratic_problem(rng, d=12, m=3, n=7, T=5):
    """Per-sample losses 1/2 (theta - c_x)^T A_x (theta - c_x) with A_x diagonal in an orthonormal B."""
    B = np.linalg.qr(rng.normal(size=(d, d)))[0][:, :m]
    a = rng.uniform(0.5, 2.0, size=(n, m))
    c = rng.normal(size=(n, d))
    thetas = np.cumsum(np.vstack([rng.normal(size=d), (rng.normal(size=(T, m)) * 0.3) @ B.T]), axis=0)

    def loss(theta):
        r = (theta - c) @ B
        return 0.5 * (a * r**2).sum(axis=1)

    grads = np.stack([((th - c) @ B) * a for th in thetas])  # <b, grad> for every sample
    steps = np.diff(thetas, axis=0) @ B
    curv = np.tile(a.sum(axis=0), (T, 1))  # b^T H(X) b of the summed loss
    losses = np.stack([loss(th) for th in thetas])
    return grads, steps, curv, losses


# POLCA eq. (9)
def test_polca_eq9_is_exact_for_quadratic_losses_moving_in_the_span_of_the_basis(rng):
    grads, steps, curv, losses = quadratic_problem(rng)
    model = POLCA().fit(grads, steps, curv, losses=losses)
    scale = np.abs(model.loss_change_).max()
    assert np.abs(model.approximation_error_).max() <= 1e-10 * scale
    assert np.abs(model.first_order_error_).max() > 1e-3 * scale  # the second-order term matters here


def test_polca_eq5_is_exact_for_quadratic_losses_with_per_sample_curvatures(rng):
    grads, steps, curv, losses = quadratic_problem(rng)
    a = (grads[1] - grads[0]) / steps[0]  # each sample's own curvature along each direction
    per_sample = np.broadcast_to(a, (steps.shape[0],) + a.shape)
    model = POLCA().fit(grads, steps, per_sample, losses=losses)
    assert np.abs(model.approximation_error_).max() <= 1e-10 * np.abs(model.loss_change_).max()


def test_zero_denominator_guard_uses_uniform_share():
    grads = np.array([[[0.0], [0.0]], [[1.0], [-1.0]]])  # the two samples' gradient changes cancel
    model = POLCA(share_tol=0.0).fit(grads, [[2.0]], [[3.0]])
    np.testing.assert_array_equal(model.share_guarded_, [[True]])
    np.testing.assert_allclose(model.allocation_[0, :, 0], [3.0, 3.0])  # 3/2 * 2^2 * 1/2


def test_order_and_shapes_are_validated():
    grads = np.zeros((3, 2, 1))
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        POLCA(order=3).fit(grads, np.zeros((2, 1)), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="step_projections must have shape"):
        POLCA().fit(grads, np.zeros((3, 1)), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="losses must have shape"):
        POLCA().fit(grads, np.zeros((2, 1)), np.zeros((2, 1)), losses=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        POLCA().fit(np.full((3, 2, 1), np.nan), np.zeros((2, 1)), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="at least 2 checkpoints"):
        POLCA().fit(np.zeros((1, 2, 1)), np.zeros((0, 1)), np.zeros((0, 1)))


def test_estimator_params_round_trip():
    model = POLCA(order=1, share_tol=1e-3)
    assert clone(model).get_params() == {"order": 1, "share_tol": 1e-3, "n_jobs": None}
    assert losslens.POLCA is POLCA


# POLCA Algorithm 1
def test_hessian_basis_algorithm1_appends_deflated_top_eigenvectors(rng):
    d = 30
    H1 = np.diag(np.arange(d, 0, -1.0))
    Q = np.linalg.qr(rng.normal(size=(d, d)))[0]
    H2 = (Q * np.linspace(5, 40, d)) @ Q.T
    basis = HessianBasis(d).extend(lambda v: H1 @ v, k=2, tol=1e-12, random_state=0)
    basis.extend(lambda v: H2 @ v, k=3, checkpoint=7, tol=1e-12, random_state=0)
    V = basis.vectors_
    np.testing.assert_allclose(V.T @ V, np.eye(5), atol=1e-10)
    np.testing.assert_allclose(basis.eigenvalues_[:2], [30.0, 29.0])
    np.testing.assert_array_equal(basis.origin_checkpoint_, [0, 0, 7, 7, 7])
    P = np.eye(d) - V[:, :2] @ V[:, :2].T
    complement = np.linalg.svd(P)[0][:, : d - 2]
    top = np.sort(np.linalg.eigvalsh(complement.T @ H2 @ complement))[::-1][:3]
    np.testing.assert_allclose(basis.eigenvalues_[2:], top, atol=1e-8)
    assert basis.n_operator_calls_ > 0 and basis.n_extend_calls_ == 2


def test_hessian_basis_from_vectors_requires_orthonormal_columns(rng):
    V = np.linalg.qr(rng.normal(size=(10, 3)))[0]
    basis = HessianBasis.from_vectors(V)
    np.testing.assert_array_equal(basis.vectors_, V)
    assert np.isnan(basis.eigenvalues_).all()
    np.testing.assert_allclose(basis.project(V[:, 1]), [0, 1, 0], atol=1e-12)
    with pytest.raises(ValueError, match="orthonormal"):
        HessianBasis.from_vectors(2 * V)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def figure1_problem(seed, d=40, T=100, width=3.0):
    """The paper's Figure 1: per-sample losses are mixtures of sigmoids along orthogonal directions.

    Directions u1 and u2 break through at step 30, u3 at step 65. Groups: A uses u1, B uses u2
    (A and B have the same exact-loss curve), C mixes u1 and u3, D mixes u2 and u3; every sample
    slightly opposes the directions it does not use. Nuisance directions carry a small quadratic
    loss and a random walk of the parameters.
    """
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.normal(size=(d, d)))[0]
    u, perp = U[:, :3], U[:, 3:]
    onsets = np.array([30.0, 30.0, 65.0])
    groups = np.repeat(np.arange(4), [80, 50, 60, 40])
    mixtures = np.array([[1, -0.08, -0.08], [-0.08, 1, -0.08], [0.5, -0.08, 0.5], [-0.08, 0.6, 0.3]])
    W = mixtures[groups] * (1 + 0.05 * rng.normal(size=(len(groups), 3)))
    centers = 0.3 * rng.normal(size=(len(groups), d - 3))
    rho = 0.002
    walk = np.cumsum(0.05 * rng.normal(size=(T + 1, d - 3)), axis=0)
    thetas = ((np.arange(T + 1)[:, None] - onsets) / width) @ u.T + walk @ perp.T

    def parts(theta):
        return sigmoid(-(u.T @ theta)), perp.T @ theta - centers

    def losses(theta):
        s, q = parts(theta)
        return (W * s).sum(axis=1) + 0.5 * rho * (q**2).sum(axis=1)

    def grads(theta):
        s, q = parts(theta)
        return (-W * s * (1 - s)) @ u.T + rho * q @ perp.T

    def hessian(theta):  # of the summed loss
        s, _ = parts(theta)
        return (u * (W * s * (1 - s) * (1 - 2 * s)).sum(axis=0)) @ u.T + rho * len(groups) * perp @ perp.T

    return thetas, losses, grads, hessian, groups, onsets, u


@pytest.mark.parametrize("seed", range(3))
def test_figure1_polca_recovers_breakthroughs_and_groups_that_exact_loss_clustering_cannot(seed):
    thetas, losses, grads, hessian, groups, onsets, u = figure1_problem(seed)
    basis = HessianBasis(thetas.shape[1])
    for t in (33, 68):  # Algorithm 1 at two checkpoints, k = 2 each
        H = hessian(thetas[t])
        basis.extend(lambda v: H @ v, k=2, checkpoint=t, random_state=0)
    B = basis.vectors_
    alignment = np.abs(u.T @ B)
    matched = alignment.argmax(axis=1)
    assert (alignment.max(axis=1) > 0.999).all()

    model = POLCA().fit(
        np.stack([grads(th) @ B for th in thetas]), np.diff(thetas, axis=0) @ B,
        np.stack([np.einsum("dm,de,em->m", B, hessian(th), B) for th in thetas[:-1]]),
        losses=np.stack([losses(th) for th in thetas]))
    assert set(matched) <= set(model.decreasing_directions_)
    clusters = model.cluster_all(min_cluster_size=15)
    for direction, onset in zip(matched, onsets):
        largest = clusters[direction].median[0]
        assert abs(np.argmin(np.diff(largest)) - onset) <= 2  # the steepest drop is the breakthrough
    keys = np.stack([clusters[d].labels for d in matched], axis=1)
    combined = np.unique(np.where(keys < 0, -1, keys), axis=0, return_inverse=True)[1].ravel()
    polca_ari = adjusted_rand_score(groups, combined)
    exact_ari = max(adjusted_rand_score(groups, exact_loss_clusters(model.losses_, kind=kind,
                                                                    min_cluster_size=15).labels)
                    for kind in ("loss", "change", "abs_change"))
    assert polca_ari > 0.9
    assert exact_ari < 0.75  # A and B share one exact-loss curve
    scores = homogeneity(combined, groups)
    assert (scores["fraction"] > 0.9).all()
    # Allocation accuracy: POLCA's eqs. 4-9 vs the exact loss change of each step (moves outside
    # the basis span included): max error within 3% of the largest step change.
    assert np.abs(model.approximation_error_).max() < 0.03 * np.abs(model.loss_change_).max()


def test_breakthrough_clusters_filter_increasing_samples_and_summarise():
    T, n = 20, 60
    t = np.arange(T + 1)
    falling = -sigmoid(t - 8.5)[:, None] * np.linspace(1.0, 1.1, 30)
    rising = sigmoid(t - 8.5)[:, None] * np.linspace(1.0, 1.1, 30)
    projected = np.concatenate([falling, rising], axis=1)[:, :, None]
    grads = np.zeros((T + 1, n, 1))
    model = POLCA(order=1).fit(grads, np.zeros((T, 1)), np.zeros((T, 1)))
    model.projected_loss_ = projected  # trajectories with a known shape
    result = model.breakthrough_clusters(0, min_cluster_size=5, allow_single_cluster=True)
    assert (result.labels[30:] == losslens.polca.FILTERED).all()
    assert (result.labels[:30] >= 0).sum() >= 20
    assert result.median.shape == (len(result.clusters), T + 1)
    assert np.argmin(np.diff(result.median[0])) == 8
    assert (result.lower <= result.median + 1e-12).all() and (result.median <= result.upper + 1e-12).all()
    assert result.labels[result.medoids[0]] == result.clusters[0]
    with pytest.raises(ValueError, match="direction"):
        model.breakthrough_clusters(3)


def test_homogeneity_reports_dominant_fraction_largest_first():
    labels = np.array([0, 0, 0, 1, 1, -1, -2])
    categories = np.array(["a", "a", "b", "c", "c", "a", "b"])
    scores = homogeneity(labels, categories)
    np.testing.assert_array_equal(scores["cluster"], [0, 1])
    np.testing.assert_array_equal(scores["dominant"], ["a", "c"])
    np.testing.assert_allclose(scores["fraction"], [2 / 3, 1.0])
    np.testing.assert_array_equal(scores["size"], [3, 2])
    with pytest.raises(ValueError, match="equal length"):
        homogeneity(labels, categories[:3])


def test_exact_loss_clusters_kinds_and_plot(rng):
    import matplotlib

    matplotlib.use("Agg")
    t = np.arange(30)
    early = 1 - sigmoid(t - 8)[:, None] + 0.01 * rng.normal(size=(30, 40))
    late = 1 - sigmoid(t - 20)[:, None] + 0.01 * rng.normal(size=(30, 40))
    losses = np.hstack([early, late])
    truth = np.repeat([0, 1], 40)
    for kind in ("loss", "change", "abs_change"):
        result = exact_loss_clusters(losses, kind=kind, min_cluster_size=10)
        assert adjusted_rand_score(truth, result.labels) > 0.9
    axes = losslens.polca.plot_clusters(result, title="exact")
    assert len(axes) == 2 and len(axes[0].lines) == 2
    with pytest.raises(ValueError, match="kind"):
        exact_loss_clusters(losses, kind="nope")
