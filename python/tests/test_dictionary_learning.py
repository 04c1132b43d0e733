import warnings

import numpy as np
import pytest
from sklearn.decomposition import DictionaryLearning as SklearnDictionaryLearning
from sklearn.decomposition import sparse_encode
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

import losslens
from losslens import DictionaryLearning


def objective(X, code, components, alpha):
    return 0.5 * np.square(X - code @ components).sum() + alpha * np.abs(code).sum()


def dense_data(rng, n=40, p=60):
    return rng.normal(size=(n, p))


def sparse_code_data(rng, n=40, p=60, k=6):
    atoms = np.abs(rng.normal(size=(k, p)))
    atoms /= np.linalg.norm(atoms, axis=1, keepdims=True)
    code = rng.normal(size=(n, k)) * (rng.random((n, k)) < 0.3)
    return code @ atoms * 5 + 0.01 * rng.normal(size=(n, p))


def sklearn_fit(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SklearnDictionaryLearning(fit_algorithm="cd", **params)
        return model, model.fit_transform(X)


@pytest.mark.parametrize("data", [dense_data, sparse_code_data])
@pytest.mark.parametrize("positive_dict, positive_code", [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize("seed", [0, 1])
def test_objective_not_worse_than_sklearn_from_same_init(data, positive_dict, positive_code, seed):
    rng = np.random.default_rng(seed)
    X = data(rng)
    k = 6
    dict_init = rng.normal(size=(k, X.shape[1]))
    code_init = rng.normal(size=(X.shape[0], k))
    params = dict(n_components=k, alpha=0.3, max_iter=60, dict_init=dict_init, code_init=code_init,
                  positive_dict=positive_dict, positive_code=positive_code, random_state=0)
    ours = DictionaryLearning(fit_algorithm="cd", **params)
    code = ours.fit_transform(X)
    reference, reference_code = sklearn_fit(X, **params)
    ours_objective = objective(X, code, ours.components_, 0.3)
    sklearn_objective = objective(X, reference_code, reference.components_, 0.3)
    assert ours_objective <= sklearn_objective * (1 + 1e-3)
    np.testing.assert_allclose(ours.error_[-1], ours_objective, rtol=1e-9)
    assert ours.n_iter_ == len(ours.error_)
    norms = np.linalg.norm(ours.components_, axis=1)
    assert (norms <= 1 + 1e-12).all()
    if positive_dict:
        assert (ours.components_ >= 0).all()
    if positive_code:
        assert (code >= 0).all()


def test_default_svd_start_tracks_sklearn(rng):
    X = sparse_code_data(rng)
    params = dict(n_components=5, alpha=0.5, max_iter=30, random_state=0)
    ours = DictionaryLearning(fit_algorithm="cd", **params).fit(X)
    reference, _ = sklearn_fit(X, **params)
    assert ours.error_[-1] <= reference.error_[-1] * (1 + 1e-3)
    assert ours.n_features_in_ == X.shape[1]
    assert ours.components_.shape == (5, X.shape[1])


def test_costs_never_increase_and_stopping_rule(rng):
    X = dense_data(rng)
    model = DictionaryLearning(n_components=5, alpha=0.2, max_iter=500, tol=1e-6, random_state=0).fit(X)
    errors = np.array(model.error_)
    assert (np.diff(errors) <= 1e-9 * errors[:-1]).all()
    assert model.n_iter_ < 500
    assert errors[-2] - errors[-1] < 1e-6 * errors[-1]  # stopped at the first small decrease
    assert (errors[:-2] - errors[1:-1] >= 1e-6 * errors[1:-1]).all()


def wide_planted(rng, n=40, p=400, k=6):
    """Sparse codes on non-negative atoms with more features than samples (the implicit-cross route)."""
    return sparse_code_data(rng, n=n, p=p, k=k)


def test_plain_iteration_equals_sklearn_iterates(rng):
    X = wide_planted(rng)
    params = dict(n_components=6, alpha=0.3, max_iter=80, positive_dict=True, random_state=0)
    ours = DictionaryLearning(fit_algorithm="cd", extrapolate=False, **params).fit(X)
    reference, _ = sklearn_fit(X, **params)
    assert ours.n_iter_ == reference.n_iter_
    # The two Lasso solvers stop at slightly different points: iterates agree to about 1e-9.
    np.testing.assert_allclose(ours.error_, reference.error_, rtol=1e-7)
    np.testing.assert_allclose(ours.components_, reference.components_, atol=1e-6)


@pytest.mark.parametrize("constraint", ["unit_norm", "simplex"])
def test_extrapolation_reaches_the_same_objective_in_fewer_iterations(rng, constraint):
    X = np.abs(wide_planted(rng)) if constraint == "simplex" else wide_planted(rng)
    params = dict(n_components=6, alpha=0.3, positive_dict=True, dict_constraint=constraint, random_state=0)
    plain = DictionaryLearning(extrapolate=False, **params)
    plain_code = plain.fit_transform(X)
    fast = DictionaryLearning(**params)
    fast_code = fast.fit_transform(X)
    assert fast.n_iter_ < plain.n_iter_
    fast_objective = objective(X, fast_code, fast.components_, 0.3)
    assert fast_objective <= objective(X, plain_code, plain.components_, 0.3) * (1 + 1e-3)
    np.testing.assert_allclose(fast.error_[-1], fast_objective, rtol=1e-9)


def test_extrapolated_fit_split_by_callbacks_equals_one_call(rng):
    X = wide_planted(rng)
    params = dict(n_components=6, alpha=0.3, max_iter=40, tol=0, positive_dict=True, random_state=0)
    whole = DictionaryLearning(**params).fit(X)
    calls = []
    split = DictionaryLearning(callback=calls.append, **params).fit(X)
    assert len(calls) == 8
    np.testing.assert_allclose(split.error_, whole.error_, rtol=1e-9)
    np.testing.assert_allclose(split.components_, whole.components_, atol=1e-8)


def test_core_rejects_bad_optional_buffers(rng):
    from losslens import _core

    X = dense_data(rng, n=6, p=5)
    dictionary, code, errors = np.ones((2, 5)), np.zeros((6, 2)), np.empty(3)
    call = (X, dictionary, code, errors, 0.1, 0.0, 3, 100, 1e-8, 0, False, False, 0, np.nan, 1)
    with pytest.raises(ValueError, match="extrapolation_state"):
        _core.dict_learning(*call, extrapolation_state=np.zeros(4), previous_sweep=np.empty((2, 5)))
    with pytest.raises(ValueError, match="previous_sweep"):
        _core.dict_learning(*call, extrapolation_state=np.zeros(15), previous_sweep=np.empty((3, 5)))
    with pytest.raises(ValueError, match="data_gram"):
        _core.dict_learning(*call, data_gram=np.eye(5))


def test_simplex_constraint_is_exact(rng):
    X = np.abs(dense_data(rng))
    model = DictionaryLearning(n_components=4, alpha=0.1, max_iter=50, dict_constraint="simplex", random_state=0)
    model.fit(X)
    assert (model.components_ >= 0).all()
    np.testing.assert_allclose(model.components_.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_svd_start_of_wide_x_equals_numpy_svd(rng):
    """The Gram-matrix route of a wide X gives scikit-learn's svd_flip-signed SVD start."""
    from sklearn.utils.extmath import svd_flip

    from losslens.dictionary_learning._estimator import _svd_start

    X = rng.normal(size=(12, 400)) * np.linspace(3, 0.5, 12)[:, None]
    code, dictionary, gram = _svd_start(X, 5)
    np.testing.assert_allclose(gram, X @ X.T, rtol=1e-12)
    u, s, vt = np.linalg.svd(X, full_matrices=False)
    u, vt = svd_flip(u, vt)
    np.testing.assert_allclose(code, u[:, :5], atol=1e-10)
    np.testing.assert_allclose(dictionary, (s[:, None] * vt)[:5], atol=1e-10)


def test_simplex_start_of_tall_x_never_forms_the_sample_gram_matrix(rng):
    """A tall X (n_samples >> n_features) starts from its SVD, not from an n×n Gram matrix."""
    import tracemalloc

    X = np.abs(rng.normal(size=(20000, 4)))
    tracemalloc.start()
    model = DictionaryLearning(n_components=3, alpha=0.1, max_iter=2, dict_constraint="simplex", random_state=0)
    model.fit(X)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 * 2**20, f"peak {peak / 2**20:.0f} MiB"  # the 20000 x 20000 Gram matrix is 3.2 GB
    np.testing.assert_allclose(model.components_.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_float32_stays_float32(rng):
    X = sparse_code_data(rng).astype(np.float32)
    model = DictionaryLearning(n_components=5, alpha=0.5, max_iter=20, random_state=0,
                               transform_algorithm="lasso_cd")
    code = model.fit_transform(X)
    assert code.dtype == np.float32 and model.components_.dtype == np.float32
    assert model.transform(X).dtype == np.float32
    reference = DictionaryLearning(n_components=5, alpha=0.5, max_iter=20, random_state=0).fit(X.astype(np.float64))
    np.testing.assert_allclose(model.error_[-1], reference.error_[-1], rtol=1e-3)


@pytest.mark.parametrize("algorithm", ["lasso_cd", "lasso_lars"])
@pytest.mark.parametrize("positive", [False, True])
def test_lasso_transform_matches_sklearn(rng, algorithm, positive):
    X = sparse_code_data(rng)
    model = DictionaryLearning(n_components=6, alpha=0.5, max_iter=20, random_state=0, transform_algorithm=algorithm,
                               transform_alpha=0.3, positive_code=positive, fit_algorithm="cd").fit(X)
    expected = sparse_encode(X, model.components_, algorithm=algorithm, alpha=0.3, positive=positive, max_iter=10000)
    code = model.transform(X)
    assert objective(X, code, model.components_, 0.3) <= objective(X, expected, model.components_, 0.3) * (1 + 1e-9)
    if not (positive and algorithm == "lasso_lars"):  # sklearn's positive LARS path stops short of the optimum
        np.testing.assert_allclose(code, expected, atol=1e-5)


@pytest.mark.parametrize("algorithm", ["omp", "threshold", "lars"])
def test_delegated_transforms_equal_sklearn(rng, algorithm):
    X = dense_data(rng)
    model = DictionaryLearning(n_components=6, alpha=0.5, max_iter=10, random_state=0, transform_algorithm=algorithm,
                               transform_n_nonzero_coefs=3, split_sign=True).fit(X)
    code = sparse_encode(X, model.components_, algorithm=algorithm, n_nonzero_coefs=3, alpha=0.5)
    np.testing.assert_array_equal(model.transform(X), np.hstack([np.maximum(code, 0), -np.minimum(code, 0)]))


def test_callback_every_fifth_iteration_like_sklearn(rng):
    X = dense_data(rng)
    seen = []
    DictionaryLearning(n_components=4, alpha=0.2, max_iter=12, tol=0, callback=lambda state: seen.append(state["ii"]),
                       random_state=0).fit(X)
    reference = []
    sklearn_fit(X, n_components=4, alpha=0.2, max_iter=12, tol=0, callback=lambda state: reference.append(state["ii"]),
                random_state=0)
    assert seen == reference == [0, 5, 10]


def test_unused_atoms_are_redrawn_reproducibly(rng):
    X = dense_data(rng, n=10, p=8)
    params = dict(n_components=12, alpha=5.0, max_iter=5, tol=0, random_state=3)
    first = DictionaryLearning(**params).fit(X)
    second = DictionaryLearning(**params).fit(X)
    np.testing.assert_array_equal(first.components_, second.components_)
    assert (np.linalg.norm(first.components_, axis=1) <= 1 + 1e-12).all()


@pytest.mark.parametrize(
    "X, params, error, fragment",
    [
        (np.array([[1.0, np.nan], [1.0, 2.0]]), {}, ValueError, "NaN"),
        (np.ones((3, 3)), {"alpha": -1.0}, ValueError, "alpha"),
        (np.ones((3, 3)), {"dict_constraint": "ball"}, ValueError, "dict_constraint"),
        (np.ones((3, 3)), {"positive_code": True}, ValueError, "Positive constraint not supported for 'lars'"),
    ],
)
def test_bad_input(X, params, error, fragment):
    with pytest.raises(error, match=fragment):
        DictionaryLearning(n_components=2, **params).fit(X)


def test_mismatched_inits_raise(rng):
    X = dense_data(rng)
    with pytest.raises(ValueError, match="code_init must have shape"):
        DictionaryLearning(n_components=3, dict_init=np.ones((3, 5)), code_init=np.ones((40, 3))).fit(X)


# scikit-learn's own DictionaryLearning fails these three the same way: fit_transform returns the lasso
# codes of the fit while transform uses transform_algorithm ('omp' by default).
SKLEARN_FAILS_TOO = {
    name: "fit_transform and transform use different coding algorithms, as in scikit-learn"
    for name in ["check_transformer_data_not_an_array", "check_transformer_general"]
}


@parametrize_with_checks(
    [DictionaryLearning(n_components=3, max_iter=20, random_state=0)],
    expected_failed_checks=lambda estimator: SKLEARN_FAILS_TOO,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_exported():
    assert losslens.DictionaryLearning is DictionaryLearning
