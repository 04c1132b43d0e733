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
    # Exact to rounding relative to the radius, whatever the magnitude of X.
    tolerance = 1e-5 if result.dtype == np.float32 else 1e-12
    sums = result.sum(axis=axis, dtype=np.float64)
    assert np.allclose(sums, params["radius"], rtol=tolerance * max(1, result.shape[axis]), atol=0), sums


def _check_kmeans(model, X, params):
    n = np.shape(X)[0]
    assert model.labels_.shape == (n,)
    assert model.labels_.min() >= 0 and model.labels_.max() < params["n_clusters"]
    assert np.isfinite(model.cluster_centers_).all() and model.inertia_ >= 0


def _check_hdbscan(model, X, params):
    labels, probabilities = model.labels_, model.probabilities_
    assert labels.shape == (np.shape(X)[0],)
    # scikit-learn's encoding: rows with NaN are labelled -3 with probability NaN.
    finite = labels != -3
    assert labels.min() >= -3 and np.isnan(probabilities[~finite]).all()
    assert (probabilities[finite] >= 0).all() and (probabilities[finite] <= 1).all()
    assert (probabilities[finite & (labels < 0)] == 0).all()


def _fit_sample_predict(X, params):
    """The Dask route on ``X`` in three row blocks, its lazy labels computed."""
    import dask.array as da

    from losslens.hdbscan import fit_sample_predict

    X = np.asarray(X)
    chunks = (max(1, np.shape(X)[0] // 3),) + np.shape(X)[1:] if np.ndim(X) else ()
    model = fit_sample_predict(losslens.HDBSCAN(min_cluster_size=params["min_cluster_size"]),
                               da.from_array(X, chunks=chunks), sample_size=params["sample_size"])
    model.labels_, model.probabilities_ = model.labels_.compute(), model.probabilities_.compute()
    return model


def _check_sketch(sketch, X, params):
    assert sketch.shape == (np.shape(X)[0], params["n_components"]) and np.isfinite(sketch).all()


def _check_fisher(fisher, X, params):
    assert fisher.shape == (np.shape(X)[1],) and (fisher >= 0).all()


def _check_impact(impact, X, params):
    assert impact.shape == (np.shape(X)[0], 2) and not np.isnan(impact).any()


def _check_decay(fit, X, params):
    assert fit.status in ("ok", "max_evaluations", "too_few_points", "failed") or isinstance(fit.status, str)
    if fit.status == "ok":
        assert np.isfinite([fit.a, fit.b, fit.c]).all()


def _check_potential(value, X, params):
    assert np.isfinite(value)


def _check_repartition(result, X, params):
    assert result.labels.shape == (np.shape(X)[0],)
    assert result.labels.min() >= 0 and result.labels.max() < len(result.names)


def _check_probabilities(p, X, params):
    assert p.shape == (np.shape(X)[0],) and np.isfinite(p).all() and (p >= 0).all()
    assert abs(p.sum() - 1) < 1e-9


def _check_eigsh(result, X, params):
    A = _symmetric(X)
    for value, vector in zip(result.eigenvalues, result.eigenvectors.T):
        scale = max(1.0, np.abs(A).max())
        assert np.linalg.norm(A @ vector - value * vector) <= 1e-6 * scale * max(1, len(vector))


def _symmetric(X):
    A = np.asarray(X, dtype=np.float64)
    return (A + A.T) / 2 if A.ndim == 2 and A.shape[0] == A.shape[1] else A


def _width(X):
    return np.shape(X)[-1] if np.ndim(X) else 1


def _sampler_update(X, params):
    sampler = losslens.DomainSampler(max(1, np.shape(X)[0]) if np.ndim(X) == 2 else 1, **params)
    history = np.linspace(2.0, 1.0, 6)[None].repeat(np.shape(X)[1] if np.ndim(X) == 2 else 1, axis=0)
    return sampler.update(X, history)


def _polca_fit(X, params):
    grads = np.asarray(X)
    steps = max(0, (grads.shape[0] - 1) if grads.ndim == 3 else 1)
    width = grads.shape[-1] if grads.ndim else 1
    return losslens.POLCA(**params).fit(grads, np.ones((steps, width)), np.full((steps, width), 0.5))


def _check_polca(model, X, params):
    T, n, m = np.shape(X)[0] - 1, np.shape(X)[1], np.shape(X)[2]
    assert model.allocation_.shape == (T, n, m) and np.isfinite(model.allocation_).all()


def _check_basis(basis, X, params):
    V = basis.vectors_
    np.testing.assert_allclose(V.T @ V, np.eye(V.shape[1]), atol=1e-8)


def _breakthrough(X, params):
    model = _polca_fit(X, {"order": 2})
    return losslens.polca.breakthrough_clusters(model, 0, **params)


def _check_trajectory_clusters(clusters, X, params):
    labels = clusters.labels
    assert labels.ndim == 1 and labels.min(initial=0) >= -2
    assert len(clusters.clusters) == len(clusters.sizes) == len(clusters.medoids)


def _fisher(X, params):
    model = _polca_fit(X, {"order": 1})
    return losslens.polca.fisher_clusters(model, 0, **params)


def _best_clusters(X, params):
    clusters = losslens.polca.exact_loss_clusters(X, min_cluster_size=2)
    return losslens.polca.best_clusters([clusters], np.arange(np.shape(X)[1]) % 2, 1, **params)


def _check_best_clusters(best, X, params):
    assert len(best) <= max(params["top"], 0)
    assert all(0 <= b.fraction <= 1 and b.size >= max(params["min_size"], 1) for b in best)


def _check_homogeneity(table, X, params):
    fraction = np.asarray(table["fraction"])
    assert ((fraction > 0) & (fraction <= 1)).all()


def _check_dictionary_learning(model, X, params):
    V = model.components_
    assert V.shape == (params["n_components"], np.shape(X)[1]) and np.isfinite(V).all()
    if params["dict_constraint"] == "simplex":
        assert (V >= 0).all() and np.allclose(V.sum(axis=1), 1, atol=1e-9)


def _check_ldd(model, X, params):
    D = model.dictionary_
    assert D.shape == (np.shape(X)[0], params["n_domains"]) and (D >= 0).all()
    np.testing.assert_allclose(D.sum(axis=0), 1.0, atol=1e-9)
    assert np.isfinite(model.code_differences_).all() and (model.domain_losses_ >= 0).all()


def _record(X, params):
    recorder = losslens.LossRecorder(np.shape(X)[1] if np.ndim(X) == 2 else 0, **params)
    for row in np.atleast_2d(X):
        recorder.append(row)
    return recorder, X


def _check_recorder(result, X, params):
    recorder, rows = result
    np.testing.assert_array_equal(recorder.matrix(), np.asarray(rows, dtype=recorder.matrix().dtype).T)


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
                "metric": st.sampled_from(["euclidean", "manhattan", "chebyshev", "cosine", "canberra", "sqeuclidean",
                                           "correlation"]),
                "algorithm": st.sampled_from(["auto", "brute", "ball_tree", "kd_tree"]),
            }
        ),
        call=lambda X, p: losslens.HDBSCAN(**p).fit(X),
        check=_check_hdbscan,
    ),
    "hdbscan.fit_sample_predict": dict(
        params=st.fixed_dictionaries(
            {
                "min_cluster_size": st.sampled_from([2, 5, 1]),
                "sample_size": st.sampled_from([2, 10, 1000, 1, 2.5]),
            }
        ),
        call=lambda X, p: _fit_sample_predict(X, p),
        check=_check_hdbscan,
    ),
    "GradientSketch": dict(
        params=st.fixed_dictionaries(
            {
                "n_components": st.sampled_from([1, 4, 16]),
                "topk": st.sampled_from([0.1, 1.0, 3, 0, -1, 2.5]),
                "kind": st.sampled_from(["rademacher", "gaussian", "other"]),
            }
        ),
        call=lambda X, p: losslens.GradientSketch(random_state=0, **p).fit_transform(X),
        check=_check_sketch,
    ),
    "dids.empirical_fisher_diagonal": dict(
        params=st.just({}),
        call=lambda X, p: losslens.dids.empirical_fisher_diagonal(X),
        check=_check_fisher,
    ),
    "dids.fim_impact": dict(
        params=st.fixed_dictionaries({"kind": st.sampled_from(["divergence", "kernel", "bad"])}),
        call=lambda X, p: losslens.dids.fim_impact(X, np.ones((2, _width(X))), np.ones(_width(X)), **p),
        check=_check_impact,
    ),
    "dids.fit_exponential_decay": dict(
        params=st.just({}),
        call=lambda X, p: losslens.dids.fit_exponential_decay(np.arange(np.size(X), dtype=float), np.ravel(X)),
        check=_check_decay,
    ),
    "DomainSampler.update": dict(
        params=st.fixed_dictionaries(
            {
                "normalization": st.sampled_from(["softmax", "linear"]),
                "beta": st.sampled_from([0.1, 0.0, 1.0, -1.0]),
                "tau": st.sampled_from([1.0, 0.0, -2.0]),
                "uniform_mixing": st.sampled_from([0.0, 0.5, 1.0, -0.1]),
            }
        ),
        call=_sampler_update,
        check=_check_probabilities,
    ),
    "linalg.eigsh": dict(
        params=st.fixed_dictionaries(
            {"k": st.sampled_from([1, 2, 0, 10]), "which": st.sampled_from(["LA", "SA", "LM", "XX"])}
        ),
        call=lambda X, p: losslens.linalg.eigsh(_symmetric(X), random_state=0, **p),
        check=_check_eigsh,
    ),
    "dids.potential": dict(
        params=st.fixed_dictionaries(
            {"tau": st.sampled_from([1, 5, 0, -1, 2.5]), "variant": st.sampled_from(["paper", "code", "x"])}
        ),
        call=lambda X, p: losslens.dids.potential(np.ravel(X), **p),
        check=_check_potential,
    ),
    "dids.repartition": dict(
        params=st.fixed_dictionaries({"n_clusters": st.sampled_from([1, 2, 3, 0, 50])}),
        call=lambda X, p: losslens.dids.repartition(X, random_state=0, **p),
        check=_check_repartition,
    ),
    "POLCA": dict(
        params=st.fixed_dictionaries({"order": st.sampled_from([1, 2, 3, 0])}),
        call=_polca_fit,
        check=_check_polca,
    ),
    "HessianBasis.from_vectors": dict(
        params=st.just({}),
        call=lambda X, p: losslens.polca.HessianBasis.from_vectors(X),
        check=_check_basis,
    ),
    "polca.breakthrough_clusters": dict(
        params=st.fixed_dictionaries({"min_cluster_size": st.sampled_from([2, 3, 1, 0])}),
        call=_breakthrough,
        check=_check_trajectory_clusters,
    ),
    "polca.exact_loss_clusters": dict(
        params=st.fixed_dictionaries(
            {"kind": st.sampled_from(["loss", "change", "abs_change", "x"]), "min_cluster_size": st.sampled_from([2, 3, 0])}
        ),
        call=lambda X, p: losslens.polca.exact_loss_clusters(X, **p),
        check=_check_trajectory_clusters,
    ),
    "polca.fisher_clusters": dict(
        params=st.fixed_dictionaries({"min_cluster_size": st.sampled_from([2, 3, 1, 0])}),
        call=_fisher,
        check=_check_trajectory_clusters,
    ),
    "polca.best_clusters": dict(
        params=st.fixed_dictionaries({"top": st.sampled_from([1, 3, 0]), "min_size": st.sampled_from([1, 5, 0])}),
        call=_best_clusters,
        check=_check_best_clusters,
    ),
    "polca.homogeneity": dict(
        params=st.just({}),
        call=lambda X, p: losslens.polca.homogeneity(np.ravel(X), np.arange(np.size(X)) % 3),
        check=_check_homogeneity,
    ),
    "DictionaryLearning": dict(
        params=st.fixed_dictionaries(
            {
                "n_components": st.sampled_from([1, 2, 3, 0]),
                "alpha": st.sampled_from([0.1, 1.0, 0.0, -1.0]),
                "dict_constraint": st.sampled_from(["unit_norm", "simplex", "x"]),
                "positive_code": st.booleans(),
                "max_iter": st.sampled_from([5, 50]),
            }
        ),
        call=lambda X, p: losslens.DictionaryLearning(random_state=0, **p).fit(X),
        check=_check_dictionary_learning,
    ),
    "LDD": dict(
        params=st.fixed_dictionaries(
            {"n_domains": st.sampled_from([1, 2, 3, 0]), "alpha": st.sampled_from([0.01, 0.0, -1.0]),
             "max_iter": st.sampled_from([5, 30])}
        ),
        call=lambda X, p: losslens.LDD(random_state=0, progress=False, **p).fit(X),
        check=_check_ldd,
    ),
    "LossRecorder": dict(
        params=st.fixed_dictionaries({"dtype": st.sampled_from([np.float32, np.float64])}),
        call=_record,
        check=_check_recorder,
    ),
}
