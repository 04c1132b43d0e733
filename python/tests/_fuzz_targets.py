"""Every public function and estimator under fuzzing, with the invariants its results must meet.

A target maps a hostile input (array plus drawn parameters) to a call and checks the result.
Any exception other than ValueError/TypeError, a broken invariant, a modified input or a crash
(caught by running the examples in a child process) fails the fuzz test.
"""
import numpy as np
from hypothesis import strategies as st

import losslens


def _check_simplex(result, X, params):
    assert result.dtype in (np.float32, np.float64)
    assert result.shape == np.shape(X)
    assert np.isfinite(result).all() and (result >= 0).all()
    axis = params["axis"] if result.ndim == 2 else 0
    tolerance = 1e-4 if result.dtype == np.float32 else 1e-9
    sums = result.sum(axis=axis, dtype=np.float64)
    assert np.allclose(sums, params["radius"], rtol=tolerance, atol=tolerance * np.abs(np.asarray(X, float)).max(initial=1)), sums


def _check_kmeans(model, X, params):
    n = np.shape(X)[0]
    assert model.labels_.shape == (n,)
    assert model.labels_.min() >= 0 and model.labels_.max() < params["n_clusters"]
    assert np.isfinite(model.cluster_centers_).all() and model.inertia_ >= 0


def _check_hdbscan(model, X, params):
    labels, probabilities = model.labels_, model.probabilities_
    assert labels.shape == (np.shape(X)[0],)
    assert labels.min() >= -3 and (probabilities >= 0).all() and (probabilities <= 1).all()
    assert (probabilities[labels < 0] == 0).all()


TARGETS = {
    "project_simplex": dict(
        params=st.fixed_dictionaries(
            {
                "axis": st.sampled_from([0, 1, 2, -1, True]),
                "radius": st.sampled_from([1.0, 0.5, 1e6, 0.0, -1.0, np.nan, np.inf]),
                "n_jobs": st.sampled_from([None, 1, 2, -1, 0]),
            }
        ),
        call=lambda X, p: losslens.project_simplex(X, **p),
        check=_check_simplex,
    ),
    "KMeans": dict(
        params=st.fixed_dictionaries(
            {
                "n_clusters": st.sampled_from([1, 2, 3, 0, -1, 100]),
                "init": st.sampled_from(["k-means++", "random"]),
                "n_init": st.sampled_from([1, 2, "auto"]),
                "algorithm": st.sampled_from(["lloyd", "elkan"]),
                "max_iter": st.sampled_from([1, 50, 0]),
            }
        ),
        call=lambda X, p: losslens.KMeans(random_state=0, **p).fit(X),
        check=_check_kmeans,
    ),
    "HDBSCAN": dict(
        params=st.fixed_dictionaries(
            {
                "min_cluster_size": st.sampled_from([2, 3, 5, 1, 0]),
                "min_samples": st.sampled_from([None, 1, 2, 50, 0]),
                "cluster_selection_method": st.sampled_from(["eom", "leaf"]),
                "allow_single_cluster": st.booleans(),
                "metric": st.sampled_from(["euclidean", "manhattan", "chebyshev", "cosine"]),
            }
        ),
        call=lambda X, p: losslens.HDBSCAN(**p).fit(X),
        check=_check_hdbscan,
    ),
}
