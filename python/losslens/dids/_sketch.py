"""DIDS gradient sketches: per-row top-k by magnitude, then a block-generated JL projection."""
import math
import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import _core
from .._dask import is_dask_array, whole_rows
from .._validation import check_n_jobs, validate_native

_KINDS = {"rademacher": _core.DIDS_RADEMACHER, "gaussian": _core.DIDS_GAUSSIAN}


class GradientSketch(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Sketch gradient vectors: keep each row's largest entries, then project them (DIDS §4.1).

    Each row g keeps its ``topk`` entries of largest magnitude (ties: lower index first), the rest
    set to zero (TopK, appendix C line 9), then ``g̃ = Rᵀ g`` with a Johnson–Lindenstrauss matrix
    ``R`` of shape (n_features, n_components) (DIDS eq. (5), appendix A). ``R`` is generated from the seed
    in blocks of 256 rows, each from its own generator, and never held whole, so ``n_features`` can
    be in the millions; transforming a chunk of rows at a time gives the same sketch as all at once
    (up to the rounding of the BLAS product).

    Entries of ``R`` are ±1/√s (``"rademacher"``, appendix A step 1) or N(0, 1/s) (``"gaussian"``),
    which preserves squared distances in expectation. Appendix A step 2 also normalises every
    column of ``R`` to unit length (``normalize_columns=True``); that scales all squared distances
    by about s/n_features, the same for every pair, so clusters are unchanged.

    Parameters
    ----------
    n_components : int, default=1024
        Sketch width s.
    topk : float in (0, 1] or int >= 1, default=0.1
        Fraction of each row's entries kept (rounded up), or their count.
    kind : {"rademacher", "gaussian"}, default="rademacher"
    normalize_columns : bool, default=False
        Rescale the columns of R to unit norm (appendix A step 2).
    chunk_size : int, default=2048
        Rows transformed per call into the native core (memory: chunk_size × 8192 values).
    random_state : int, RandomState instance or None, default=None
        Seeds R; the same seed gives the same sketch.
    n_jobs : int, default=None

    Attributes
    ----------
    n_features_in_ : int
    topk_ : int
        Entries kept per row.
    seed_ : int
        Seed of R.
    column_scale_ : ndarray of shape (n_components,) or None
        1 / column norms of R when ``normalize_columns``.

    References
    ----------
    W. Shi et al., "DIDS: Domain Impact-aware Data Sampling for Large Language Model Training",
    §4.1, eq. (5) and appendix A. W. B. Johnson and J. Lindenstrauss (1984); D. Achlioptas,
    "Database-friendly random projections", J. Comput. Syst. Sci. 66 (2003).
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "topk": [Interval(numbers.Integral, 1, None, closed="left"), Interval(numbers.Real, 0, 1, closed="right")],
        "kind": [StrOptions(set(_KINDS))],
        "normalize_columns": ["boolean"],
        "chunk_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [None, Interval(numbers.Integral, None, None, closed="neither")],
    }

    def __init__(
        self,
        n_components=1024,
        *,
        topk=0.1,
        kind="rademacher",
        normalize_columns=False,
        chunk_size=2048,
        random_state=None,
        n_jobs=None,
    ):
        self.n_components = n_components
        self.topk = topk
        self.kind = kind
        self.normalize_columns = normalize_columns
        self.chunk_size = chunk_size
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        """Fix the input width, the seed of R and (with ``normalize_columns``) its column norms."""
        self._validate_params()
        X = validate_native(self, X, dtype=[np.float64, np.float32], order="C")
        h = X.shape[1]
        if isinstance(self.topk, numbers.Integral):
            self.topk_ = int(min(self.topk, h))
        else:
            self.topk_ = max(1, min(h, math.ceil(self.topk * h)))
        self.seed_ = int(check_random_state(self.random_state).randint(np.iinfo(np.int64).max))
        self.column_scale_ = None
        if self.normalize_columns:
            norms = _core.dids_projection_column_norms(
                h, self.n_components, _KINDS[self.kind], self.seed_, check_n_jobs(self.n_jobs)
            )
            self.column_scale_ = 1.0 / norms
        self._n_features_out = self.n_components
        return self

    def transform(self, X):
        """Sketch the rows of ``X`` (float32 stays float32 and is not copied when C-contiguous).

        A ``dask.array`` is sketched lazily block by block (``map_blocks``, rows chunked as given,
        features joined): each block is exactly the in-memory sketch of its rows, so the result
        equals ``transform`` of the gathered array when the row chunks are multiples of ``chunk_size``.
        """
        check_is_fitted(self)
        if is_dask_array(X):
            X = whole_rows(X, self.n_features_in_)
            dtype = X.dtype if X.dtype == np.float32 else np.dtype(np.float64)
            return X.map_blocks(self.transform, chunks=(X.chunks[0], (self.n_components,)), dtype=dtype)
        X = validate_native(self, X, dtype=[np.float64, np.float32], order="C", reset=False)
        out = np.empty((X.shape[0], self.n_components), dtype=X.dtype)
        threads = check_n_jobs(self.n_jobs)
        for start in range(0, X.shape[0], self.chunk_size):
            chunk = X[start : start + self.chunk_size]
            out[start : start + len(chunk)] = _core.dids_sketch(
                chunk, self.n_components, _KINDS[self.kind], self.seed_, self.topk_, self.column_scale_, threads
            )
        return out


__all__ = ["GradientSketch"]
