"""HDBSCAN against the `hdbscan` package and scikit-learn on the same inputs."""
import warnings

import hdbscan
import numpy as np
import pytest
from sklearn.cluster import HDBSCAN as SklearnHDBSCAN
from sklearn.datasets import make_blobs, make_circles, make_moons
from scipy.sparse import csr_matrix
from sklearn.metrics import adjusted_rand_score, pairwise_distances

import losslens
from losslens import _core


def _datasets():
    rng = np.random.default_rng(0)
    blobs, _ = make_blobs(600, centers=5, n_features=4, cluster_std=1.3, random_state=0)
    moons, _ = make_moons(500, noise=0.08, random_state=1)
    circles, _ = make_circles(500, noise=0.06, factor=0.5, random_state=2)
    aniso, _ = make_blobs(500, centers=3, random_state=3)
    aniso = aniso @ np.array([[0.6, -0.64], [-0.41, 0.85]])
    varied, _ = make_blobs(600, centers=4, cluster_std=[0.3, 1.0, 2.5, 0.6], random_state=4)
    line = np.concatenate([rng.normal(0, 1, 150), rng.normal(8, 0.5, 150), rng.uniform(-10, 20, 40)])[:, None]
    walks = np.cumsum(rng.normal(size=(300, 60)), axis=1) + rng.integers(0, 3, size=(300, 1)) * 15.0
    return {"blobs": blobs, "moons": moons, "circles": circles, "anisotropic": aniso, "varied": varied,
            "1d": line, "trajectories": walks}


DATASETS = _datasets()
PARAMS = [
    dict(min_cluster_size=5),
    dict(min_cluster_size=15),
    dict(min_cluster_size=10, min_samples=3),
    dict(min_cluster_size=25, min_samples=40),
    dict(min_cluster_size=10, cluster_selection_method="leaf"),
    dict(min_cluster_size=10, cluster_selection_epsilon=0.5),
    dict(min_cluster_size=10, cluster_selection_method="leaf", cluster_selection_epsilon=0.7),
    dict(min_cluster_size=10, allow_single_cluster=True),
    dict(min_cluster_size=20, allow_single_cluster=True, cluster_selection_epsilon=2.0),
    dict(min_cluster_size=8, max_cluster_size=60),
    dict(min_cluster_size=10, alpha=1.7),
]


def _reference(X, algorithm="prims_kdtree", **params):
    kwargs = dict(params)
    if "max_cluster_size" in kwargs:
        kwargs["max_cluster_size"] = kwargs["max_cluster_size"]
    return hdbscan.HDBSCAN(algorithm=algorithm, gen_min_span_tree=True, **kwargs).fit(X)


def _assert_same(ours, ref):
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_allclose(ours.probabilities_, ref.probabilities_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.outlier_scores_, ref.outlier_scores_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.cluster_persistence_, ref.cluster_persistence_, rtol=0, atol=1e-10)


# HDBSCAN [excess of mass], HDBSCAN [GLOSH]
@pytest.mark.parametrize("name", sorted(DATASETS))
@pytest.mark.parametrize("params", PARAMS, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()))
def test_campello2013_labels_probabilities_scores_equal_hdbscan_package(name, params):
    X = DATASETS[name]
    _assert_same(losslens.HDBSCAN(**params).fit(X), _reference(X, **params))


# HDBSCAN [core distance], HDBSCAN [condensed tree]
@pytest.mark.parametrize("name", ["blobs", "moons", "trajectories"])
def test_trees_equal_hdbscan_package(name):
    X = DATASETS[name]
    ours, ref = losslens.HDBSCAN(min_cluster_size=12).fit(X), _reference(X, min_cluster_size=12)
    condensed = ref.condensed_tree_.to_numpy()
    for field in ("parent", "child", "child_size"):
        np.testing.assert_array_equal(ours.condensed_tree_[field], condensed[field])
    np.testing.assert_allclose(ours.condensed_tree_["lambda_val"], condensed["lambda_val"], rtol=1e-12)
    np.testing.assert_allclose(ours.single_linkage_tree_, ref.single_linkage_tree_.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.minimum_spanning_tree_[:, 2], ref.minimum_spanning_tree_.to_numpy()[:, 2],
                               rtol=1e-12)
    assert ours.relative_validity_ == pytest.approx(ref.relative_validity_, abs=1e-12)


def test_exemplars_equal_hdbscan_package():
    X = DATASETS["blobs"]
    ref = hdbscan.HDBSCAN(min_cluster_size=15, algorithm="prims_kdtree", prediction_data=True).fit(X)
    ours = losslens.HDBSCAN(min_cluster_size=15).fit(X)
    assert len(ours.exemplars_) == len(ref.exemplars_)
    for a, b in zip(ours.exemplars_, ref.exemplars_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("metric,params,ref_params", [
    ("manhattan", {}, dict(metric="manhattan")),
    ("chebyshev", {}, dict(metric="chebyshev")),
    # The package's k-d tree path drops p (a TODO in hdbscan_.py); its generic path honours it.
    ("minkowski", {"metric_params": {"p": 3}}, dict(metric="minkowski", p=3, algorithm="generic")),
    ("cosine", {}, dict(metric="cosine", algorithm="generic")),
])
def test_metrics_equal_hdbscan_package(metric, params, ref_params):
    X = DATASETS["blobs"]
    ref_params = dict(ref_params)
    algorithm = ref_params.pop("algorithm", "prims_kdtree")
    ours = losslens.HDBSCAN(min_cluster_size=10, metric=metric, **params).fit(X)
    _assert_same(ours, _reference(X, algorithm=algorithm, min_cluster_size=10, **ref_params))


def test_precomputed_equals_hdbscan_package_and_feature_input():
    X = DATASETS["varied"]
    D = pairwise_distances(X)
    ours = losslens.HDBSCAN(min_cluster_size=10, metric="precomputed").fit(D)
    _assert_same(ours, hdbscan.HDBSCAN(min_cluster_size=10, metric="precomputed").fit(D))
    np.testing.assert_array_equal(ours.labels_, losslens.HDBSCAN(min_cluster_size=10).fit(X).labels_)


@pytest.mark.parametrize("name", ["blobs", "moons", "varied"])
def test_agrees_with_sklearn_when_min_samples_counts_the_point(name):
    # scikit-learn counts the point itself among its min_samples neighbours: its k + 1 is our k.
    X = DATASETS[name]
    for params in (dict(min_cluster_size=10), dict(min_cluster_size=10, cluster_selection_method="leaf")):
        ours = losslens.HDBSCAN(**params).fit(X)
        sk = SklearnHDBSCAN(min_samples=11, copy=True, **params).fit(X)
        np.testing.assert_array_equal(ours.labels_, sk.labels_)
        np.testing.assert_allclose(ours.probabilities_, sk.probabilities_, atol=1e-10)


def test_centers_equal_sklearn():
    X = DATASETS["blobs"]
    ours = losslens.HDBSCAN(min_cluster_size=15, store_centers="both").fit(X)
    sk = SklearnHDBSCAN(min_cluster_size=15, min_samples=16, store_centers="both", copy=True).fit(X)
    np.testing.assert_allclose(ours.centroids_, sk.centroids_, atol=1e-12)
    np.testing.assert_array_equal(ours.medoids_, sk.medoids_)


def test_non_finite_rows_are_labelled_like_sklearn_and_do_not_disturb_the_rest():
    X = DATASETS["blobs"].copy()
    clean = losslens.HDBSCAN(min_cluster_size=15).fit(np.delete(X, [3, 7, 9], axis=0))
    X[3, 1], X[7, 0], X[9, 2] = np.inf, np.nan, -np.inf
    ours = losslens.HDBSCAN(min_cluster_size=15).fit(X)
    sk = SklearnHDBSCAN(min_cluster_size=15, min_samples=16, copy=True).fit(X)
    np.testing.assert_array_equal(ours.labels_, sk.labels_)
    np.testing.assert_allclose(ours.probabilities_, sk.probabilities_, atol=1e-12, equal_nan=True)
    assert list(ours.labels_[[3, 7, 9]]) == [-2, -3, -2]
    np.testing.assert_array_equal(np.delete(ours.labels_, [3, 7, 9]), clean.labels_)


def test_duplicates_are_deterministic_and_close_to_the_package():
    rng = np.random.default_rng(5)
    X = np.repeat(np.round(rng.normal(size=(150, 2)) + rng.integers(0, 3, (150, 1)) * 5, 1), 3, axis=0)
    first = losslens.HDBSCAN(min_cluster_size=10).fit(X)
    second = losslens.HDBSCAN(min_cluster_size=10).fit(X)
    np.testing.assert_array_equal(first.labels_, second.labels_)
    ref = _reference(X, min_cluster_size=10)
    assert adjusted_rand_score(first.labels_, ref.labels_) >= 0.99


def test_two_samples_and_threads_give_the_same_answer():
    X = DATASETS["trajectories"]
    one = losslens.HDBSCAN(min_cluster_size=10, n_jobs=1).fit(X)
    two = losslens.HDBSCAN(min_cluster_size=10, n_jobs=2).fit(X)
    np.testing.assert_array_equal(one.labels_, two.labels_)
    tiny = losslens.HDBSCAN(min_cluster_size=2, min_samples=1).fit(np.array([[0.0], [1.0]]))
    assert tiny.labels_.shape == (2,)


@pytest.mark.parametrize("kwargs,X", [
    ({}, np.empty((0, 2))),
    ({}, np.zeros((1, 2))),
    (dict(min_cluster_size=1), np.zeros((5, 2))),
    (dict(metric="precomputed"), np.zeros((4, 3))),
    (dict(metric="precomputed"), np.array([[0.0, 1.0], [2.0, 0.0]])),
    (dict(metric="precomputed"), np.array([[0.0, np.nan], [np.nan, 0.0]])),
    (dict(metric="precomputed", store_centers="medoid"), np.zeros((4, 4))),
    (dict(metric="no-such-metric"), np.zeros((4, 2))),
    (dict(metric="cosine", algorithm="kd_tree"), np.zeros((8, 2))),
    (dict(metric="correlation", algorithm="ball_tree"), np.zeros((8, 2))),
    (dict(algorithm="kd_tree"), csr_matrix(np.eye(8))),
    (dict(cluster_selection_method="dense"), np.zeros((4, 2))),
    (dict(alpha=0.0), np.zeros((4, 2))),
    (dict(copy="yes"), np.zeros((4, 2))),
    (dict(metric="precomputed"), csr_matrix(np.array([[0, np.inf], [np.inf, 0]]))),
    # scikit-learn's min_samples counts the point itself: its 2 is our 1.
    (dict(metric="precomputed", min_samples=1), csr_matrix(np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0.0]]))),
    (dict(metric="precomputed", min_samples=1), csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1],
                                                                     [0, 0, 1, 0.0]]))),
])
def test_bad_input_raises_what_sklearn_raises(kwargs, X):
    """Same exception type and message as scikit-learn's HDBSCAN on the same bad input."""
    theirs_kwargs = dict(dict(copy=True), **kwargs)
    if "min_samples" in kwargs:
        theirs_kwargs["min_samples"] += 1
    with pytest.raises((ValueError, TypeError)) as theirs:
        SklearnHDBSCAN(**theirs_kwargs).fit(X)
    with pytest.raises(type(theirs.value)) as ours:
        losslens.HDBSCAN(**kwargs).fit(X)
    assert str(ours.value).replace("losslens.", "") == str(theirs.value).replace("sklearn.cluster.", ""), (
        ours.value, theirs.value)


def test_min_samples_beyond_the_data_names_the_argument():
    with pytest.raises(ValueError, match=r"min_samples \(50\) must be at most the number of samples in X \(20\)"):
        losslens.HDBSCAN(min_samples=50).fit(np.random.default_rng(0).normal(size=(20, 2)))


def test_sklearn_estimator_checks():
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_estimator(losslens.HDBSCAN())


@pytest.mark.parametrize("n_features,params", [
    (2, dict(min_cluster_size=15)),
    (3, dict(min_cluster_size=10, min_samples=1)),
    (6, dict(min_cluster_size=20, cluster_selection_method="leaf", alpha=1.3)),
    (40, dict(min_cluster_size=15)),  # boxes over projections on principal axes
])
# HDBSCAN [mutual reachability]
def test_kd_tree_boruvka_has_the_exact_tree_weights_and_matches_the_package(n_features, params):
    # Borůvka finds a minimum spanning tree with exactly Prim's weights (hence the same single-linkage
    # heights and partitions); where mutual-reachability weights tie it may pick another, equally
    # minimal edge, which can move a point that falls out exactly at a split.
    X, _ = make_blobs(4500, centers=7, n_features=n_features, cluster_std=1.6, random_state=n_features)
    ours = losslens.HDBSCAN(algorithm="auto", **params).fit(X)
    assert ours._algorithm_code(X) == _core.HDBSCAN_BORUVKA_KDTREE
    exact = losslens.HDBSCAN(algorithm="prims", **params).fit(X)
    np.testing.assert_array_equal(ours.core_distances_, exact.core_distances_)
    np.testing.assert_array_equal(np.sort(ours.minimum_spanning_tree_[:, 2]), exact.minimum_spanning_tree_[:, 2])
    np.testing.assert_array_equal(ours.single_linkage_tree_[:, 2], exact.single_linkage_tree_[:, 2])
    ref = _reference(X, **params)
    assert adjusted_rand_score(ours.labels_, ref.labels_) >= 0.99
    assert (ours.labels_ == ref.labels_).mean() >= 0.99


@pytest.mark.parametrize("name,params", [("blobs", dict(min_cluster_size=15)), ("moons", dict(min_cluster_size=10)),
                                         ("varied", dict(min_cluster_size=12, min_samples=4))])
def test_approximate_predict_equals_hdbscan_package(name, params):
    X = DATASETS[name]
    rng = np.random.default_rng(1)
    new = X[rng.choice(X.shape[0], 80)] + rng.normal(scale=0.3, size=(80, X.shape[1]))
    new = np.vstack([new, X.min(axis=0) - 5.0])
    ref = hdbscan.HDBSCAN(algorithm="prims_kdtree", prediction_data=True, **params).fit(X)
    ref_labels, ref_probabilities = hdbscan.approximate_predict(ref, new)
    labels, probabilities = losslens.HDBSCAN(**params).fit(X).approximate_predict(new)
    np.testing.assert_array_equal(labels, ref_labels)
    np.testing.assert_allclose(probabilities, ref_probabilities, rtol=0, atol=1e-10)
    assert (labels >= 0).any() and labels[-1] == -1


# HDBSCAN [soft clustering]
@pytest.mark.parametrize("name,params", [("blobs", dict(min_cluster_size=15)), ("moons", dict(min_cluster_size=10))])
def test_membership_vectors_equal_hdbscan_package(name, params):
    X = DATASETS[name]
    rng = np.random.default_rng(2)
    new = X[rng.choice(X.shape[0], 40)] + rng.normal(scale=0.3, size=(40, X.shape[1]))
    ref = hdbscan.HDBSCAN(algorithm="prims_kdtree", prediction_data=True, **params).fit(X)
    ours = losslens.HDBSCAN(**params).fit(X)
    np.testing.assert_allclose(ours.membership_vector(new), hdbscan.membership_vector(ref, new), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.all_points_membership_vectors(), hdbscan.all_points_membership_vectors(ref),
                               rtol=1e-9, atol=1e-12)
