"""Table 3 and Table 5 helpers of losslens.polca: skill fractions, Fisher clusters, first vs second order."""
import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from losslens.polca import POLCA, TrajectoryClusters, best_clusters, fisher_clusters, homogeneity


def test_homogeneity_of_a_given_category_counts_its_share_in_every_cluster():
    labels = np.array([0, 0, 0, 0, 1, 1, -1, -2])
    carry = np.array([True, True, True, False, False, False, True, True])
    scores = homogeneity(labels, carry, category=True)
    np.testing.assert_array_equal(scores["cluster"], [0, 1])
    np.testing.assert_allclose(scores["fraction"], [0.75, 0.0])  # the second cluster has no carry at all
    np.testing.assert_array_equal(scores["dominant"], [True, True])


def _manual(labels, direction):
    """A TrajectoryClusters carrying given labels (summaries are not used by best_clusters)."""
    labels = np.asarray(labels)
    ids = np.unique(labels[labels >= 0])
    empty = np.zeros((len(ids), 1))
    return TrajectoryClusters(labels=labels, clusters=ids, sizes=np.array([np.sum(labels == c) for c in ids]),
                              medoids=np.zeros(len(ids), dtype=np.int64), median=empty, lower=empty, upper=empty,
                              exact_median=None, direction=direction)


def test_best_clusters_ranks_clusterings_by_their_most_homogeneous_cluster():
    carry = np.array([1, 1, 1, 0, 1, 0, 0, 0])
    clusterings = [_manual([0, 0, 1, 1, 1, 1, -1, -1], 4),   # best cluster 0: 2/2
                   _manual([0, 0, 0, 0, 1, 1, 1, 1], 7),     # best cluster 0: 3/4
                   _manual([-1] * 8, 9),                     # no cluster: skipped
                   _manual([0, 0, 0, 1, 1, 1, 1, -2], 2)]    # best cluster 0: 3/3, larger than the first
    best = best_clusters(clusterings, carry, 1, top=3)
    assert [(b.direction, b.size, b.cluster) for b in best] == [(2, 3, 0), (4, 2, 0), (7, 4, 0)]
    np.testing.assert_allclose([b.fraction for b in best], [1.0, 1.0, 0.75])
    assert best_clusters(clusterings, carry, 1, top=1)[0].fraction == 1.0
    assert best_clusters([clusterings[2]], carry, 1) == []
    larger = best_clusters(clusterings, carry, 1, min_size=3)  # direction 4's pure pair no longer counts
    assert [(b.direction, b.fraction) for b in larger] == [(2, 1.0), (7, 0.75), (4, 0.5)]


def test_fisher_clusters_group_the_squared_projected_gradients():
    rng = np.random.default_rng(0)
    T, n = 15, 80
    t = np.arange(T + 1)[:, None]
    # two groups: gradients along direction 0 peak early or late (squared: the Fisher information)
    peak = np.where(np.arange(n) < 40, 4.0, 11.0)
    grads = np.zeros((T + 1, n, 2))
    grads[:, :, 0] = np.exp(-0.5 * (t - peak) ** 2) * rng.choice([-1.0, 1.0], size=n) + 0.01 * rng.normal(size=(T + 1, n))
    grads[:, :, 1] = 0.01 * rng.normal(size=(T + 1, n))
    losses = 1.0 + 0.01 * rng.normal(size=(T + 1, n))
    model = POLCA(order=1).fit(grads, np.zeros((T, 2)), np.zeros((T, 2)), losses=losses)
    np.testing.assert_array_equal(model.projected_grads_, grads)
    result = fisher_clusters(model, 0, min_cluster_size=10)
    assert adjusted_rand_score(np.arange(n) < 40, result.labels) > 0.9  # the sign of the gradient does not matter
    assert result.direction == 0 and result.exact_median.shape == (len(result.clusters), T + 1)
    members = result.labels == result.clusters[0]
    np.testing.assert_allclose(result.median[0], np.median(grads[:, members, 0] ** 2, axis=1))
    with pytest.raises(ValueError, match="direction"):
        fisher_clusters(model, 2)


def test_compare_orders_matches_a_numpy_computation():
    rng = np.random.default_rng(1)
    T, n, m = 7, 11, 3
    grads, steps, curv = rng.normal(size=(T + 1, n, m)), rng.normal(size=(T, m)), rng.normal(size=(T, m))
    model = POLCA().fit(grads, steps, curv)
    first = np.cumsum(grads[:-1] * steps[:, None, :], axis=0)  # eq. (10) over eq. (4) terms
    second = model.projected_loss_[1:]
    cosine = np.array([[first[:, i, j] @ second[:, i, j] / np.linalg.norm(first[:, i, j]) / np.linalg.norm(
        second[:, i, j]) for j in range(m)] for i in range(n)])
    distance = np.linalg.norm(first - second, axis=0)
    result = model.compare_orders()
    np.testing.assert_allclose(result["cosine"], cosine.mean(), rtol=1e-12)
    np.testing.assert_allclose(result["l2"], distance.mean(), rtol=1e-12)
    np.testing.assert_allclose(result["relative_l2"], (distance / np.linalg.norm(second, axis=0)).mean(), rtol=1e-12)
    same = POLCA().fit(grads, steps, np.zeros((T, m))).compare_orders()  # no curvature: identical trajectories
    assert same["cosine"] == pytest.approx(1.0) and same["l2"] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="order=2"):
        POLCA(order=1).fit(grads, steps, curv).compare_orders()
