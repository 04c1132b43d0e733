import numpy as np
import pytest

import losslens
from _reference import project_simplex_sort


# Simplex [projection]
@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("axis", [0, 1])
def test_matches_sort_reference(seed, axis):
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=rng.choice([0.01, 1, 100]), size=(rng.integers(1, 60), rng.integers(1, 9)))
    radius = float(rng.uniform(0.1, 5))
    P = losslens.project_simplex(X, axis=axis, radius=radius)
    # Rounding of y - tau is relative to the entries' magnitude, not to the radius.
    atol = 1e-13 * max(1.0, np.abs(X).max())
    np.testing.assert_allclose(P, project_simplex_sort(X, axis=axis, radius=radius), rtol=0, atol=atol)
    assert (P >= 0).all()
    np.testing.assert_allclose(P.sum(axis=axis), radius, rtol=0, atol=X.shape[axis] * atol)


def test_float32_stays_float32_and_is_exact_to_single_precision(rng):
    X = rng.normal(size=(200, 7)).astype(np.float32)
    P = losslens.project_simplex(X)
    assert P.dtype == np.float32
    np.testing.assert_allclose(P, project_simplex_sort(X), atol=1e-6)
    np.testing.assert_allclose(P.sum(axis=0), 1.0, rtol=1e-5)


def test_points_on_simplex_are_fixed_and_projection_is_idempotent(rng):
    X = rng.dirichlet(np.ones(10), size=5).T
    np.testing.assert_allclose(losslens.project_simplex(X), X, atol=1e-15)
    P = losslens.project_simplex(rng.normal(size=(30, 4)))
    np.testing.assert_allclose(losslens.project_simplex(P), P, atol=1e-15)


def test_optimality_against_random_feasible_points(rng):
    y = rng.normal(size=12)
    x = losslens.project_simplex(y)
    for _ in range(200):
        z = rng.dirichlet(np.ones(12))
        assert np.linalg.norm(y - x) <= np.linalg.norm(y - z) + 1e-12


def test_large_matrix_both_axes_agree_with_reference(rng):
    X = rng.normal(size=(5000, 20))
    np.testing.assert_allclose(losslens.project_simplex(X, axis=0), project_simplex_sort(X, 0), atol=1e-12)
    np.testing.assert_allclose(losslens.project_simplex(X, axis=1), project_simplex_sort(X, 1), atol=1e-12)


def test_one_dimensional_input(rng):
    y = rng.normal(size=9)
    np.testing.assert_allclose(losslens.project_simplex(y, radius=2.0), project_simplex_sort(y[:, None], radius=2.0)[:, 0])


def test_documented_conversions_and_no_input_modification(rng):
    X_int = np.arange(12).reshape(4, 3)
    P = losslens.project_simplex(X_int)
    assert P.dtype == np.float64
    np.testing.assert_allclose(P, project_simplex_sort(X_int.astype(float)))
    X = rng.normal(size=(8, 6))
    view = X[::2, ::-1]  # non-contiguous, negative stride: copied once to C order
    before = X.copy()
    np.testing.assert_allclose(losslens.project_simplex(view), project_simplex_sort(view))
    np.testing.assert_array_equal(X, before)
    np.testing.assert_allclose(losslens.project_simplex(np.asfortranarray(X)), project_simplex_sort(X))
    X16 = X.astype(np.float16)
    assert losslens.project_simplex(X16).dtype == np.float32


@pytest.mark.parametrize(
    "X, kwargs, error, fragment",
    [
        (np.array([[1.0, np.nan]]), {}, ValueError, "X contains NaN"),
        (np.array([[1.0, np.inf]]), {}, ValueError, "X contains NaN"),
        (np.zeros((2, 2, 2)), {}, ValueError, "X must be 1-D or 2-D"),
        (np.zeros((0, 3)), {}, ValueError, "X must have at least 1"),
        (np.zeros(0), {}, ValueError, "X must have at least 1"),
        (np.ones((2, 2)), {"radius": -1.0}, ValueError, "radius must be > 0"),
        (np.ones((2, 2)), {"radius": np.nan}, ValueError, "radius must be finite"),
        (np.ones((2, 2)), {"axis": 2}, ValueError, "axis must be 0 or 1"),
        (np.ones((2, 2)), {"n_jobs": 0}, ValueError, "n_jobs"),
        (np.ones((2, 2), dtype=complex), {}, TypeError, "X must hold real numbers"),
        (np.array([["a"]]), {}, TypeError, "X must hold real numbers"),
        (np.array([[object()]]), {}, TypeError, "X must hold real numbers"),
    ],
)
def test_bad_input_raises_naming_the_argument(X, kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        losslens.project_simplex(X, **kwargs)
