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
}
