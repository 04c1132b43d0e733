"""KMeans on CSR/CSC input, callable init, ConvergenceWarning and verbose output against
scikit-learn's KMeans on the same inputs (issue 19)."""
import re

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.exceptions import ConvergenceWarning

import losslens


def _tfidf_like(n=1500, d=300, k=6, density=0.03, seed=0):
    """Non-negative sparse rows from k topics (each topic favours its own block of columns)."""
    rng = np.random.default_rng(seed)
    topic = rng.integers(k, size=n)
    X = sp.random(n, d, density=density, format="lil", random_state=seed)
    for i in range(n):
        columns = rng.choice(np.arange(topic[i] * d // k, (topic[i] + 1) * d // k), size=4, replace=False)
        X[i, columns] = rng.uniform(1, 2, size=4)
    X = X.tocsr()
    X.data = X.data.astype(np.float64)
    return X


X_SPARSE = _tfidf_like()
INIT = X_SPARSE[[0, 1, 2, 3, 4, 5]].toarray()


def _assert_same_fit(ours, theirs, dtype):
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=rtol)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=0, atol=50 * rtol)


# KMeans [sparse rows]
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_sparse_fit_equals_sklearn_from_the_same_init(algorithm, dtype, fmt):
    X = X_SPARSE.astype(dtype).asformat(fmt)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, X.shape[0])
    params = dict(n_clusters=6, init=INIT.astype(dtype), n_init=1, algorithm=algorithm, tol=1e-6)
    for sample_weight in (None, weights):
        ours = losslens.KMeans(**params).fit(X, sample_weight=sample_weight)
        theirs = SklearnKMeans(**params).fit(X, sample_weight=sample_weight)
        _assert_same_fit(ours, theirs, dtype)
    assert ours.n_iter_ > 2
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(ours.score(X, sample_weight=weights), theirs.score(X, sample_weight=weights), rtol=rtol)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=rtol, atol=rtol)


def test_sparse_fit_equals_the_dense_fit():
    dense = losslens.KMeans(6, init=INIT, n_init=1).fit(X_SPARSE.toarray())
    sparse = losslens.KMeans(6, init=INIT, n_init=1).fit(X_SPARSE)
    np.testing.assert_array_equal(sparse.labels_, dense.labels_)
    np.testing.assert_allclose(sparse.inertia_, dense.inertia_, rtol=1e-10)


def test_sparse_kmeans_plus_plus_equals_sklearn_with_the_same_random_state():
    ours = losslens.KMeans(6, random_state=3, n_init=2).fit(X_SPARSE)
    theirs = SklearnKMeans(6, random_state=3, n_init=2).fit(X_SPARSE)
    _assert_same_fit(ours, theirs, np.float64)


def test_sparse_empty_cluster_is_relocated_like_sklearn():
    init = np.vstack([INIT[:5], np.full(X_SPARSE.shape[1], 50.0)])  # a centre no row is near
    ours = losslens.KMeans(6, init=init, n_init=1).fit(X_SPARSE)
    theirs = SklearnKMeans(6, init=init, n_init=1).fit(X_SPARSE)
    _assert_same_fit(ours, theirs, np.float64)


@pytest.mark.parametrize("sparse", [False, True])
def test_callable_init_equals_sklearn(sparse):
    def first_rows(X, n_clusters, random_state):
        assert isinstance(random_state, np.random.RandomState)
        rows = random_state.permutation(X.shape[0])[:n_clusters]
        return X[rows].toarray() if sp.issparse(X) else X[rows]

    X = X_SPARSE if sparse else X_SPARSE.toarray()
    ours = losslens.KMeans(6, init=first_rows, random_state=0).fit(X)
    theirs = SklearnKMeans(6, init=first_rows, random_state=0).fit(X)
    _assert_same_fit(ours, theirs, np.float64)
    with pytest.raises(ValueError, match="does not match the number of clusters"):
        losslens.KMeans(5, init=lambda X, k, random_state: np.zeros((4, X.shape[1]))).fit(X)


@pytest.mark.parametrize("sparse", [False, True])
def test_duplicate_points_give_sklearns_convergence_warning(sparse):
    X = np.repeat(np.eye(3), 5, axis=0)
    X = sp.csr_matrix(X) if sparse else X
    with pytest.warns(ConvergenceWarning, match=r"Number of distinct clusters \(3\) found smaller than n_clusters \(4\)"):
        losslens.KMeans(4, n_init=1, random_state=0).fit(X)
    with pytest.warns(ConvergenceWarning, match=r"Number of distinct clusters \(3\) found smaller than n_clusters \(4\)"):
        SklearnKMeans(4, n_init=1, random_state=0).fit(X)


_NUMBER = re.compile(r"-?\d+(\.\d+)?(e[-+]\d+)?")


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_verbose_prints_sklearns_lines(algorithm, sparse, capsys):
    X = X_SPARSE if sparse else X_SPARSE.toarray()
    for tol in (0.0, 1e-2):
        params = dict(n_clusters=6, init=INIT, n_init=1, algorithm=algorithm, tol=tol, verbose=1)
        losslens.KMeans(**params).fit(X)
        ours = capsys.readouterr().out.splitlines()
        SklearnKMeans(**params).fit(X)
        theirs = capsys.readouterr().out.splitlines()
        assert [_NUMBER.sub("#", line) for line in ours] == [_NUMBER.sub("#", line) for line in theirs]
        numbers = [float(m.group()) for line in ours for m in _NUMBER.finditer(line)]
        expected = [float(m.group()) for line in theirs for m in _NUMBER.finditer(line)]
        np.testing.assert_allclose(numbers, expected, rtol=1e-9)
