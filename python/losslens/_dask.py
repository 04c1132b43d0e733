"""Helpers shared by the Dask code paths; Dask itself is imported only inside them."""
import sys


def is_dask_array(X):
    """True when `X` is a ``dask.array.Array`` (never imports Dask: without it loaded, none exists)."""
    array_module = sys.modules.get("dask.array")
    return array_module is not None and isinstance(X, array_module.Array)


def import_dask():
    """``(dask, dask.array)``, or an ImportError naming the extra to install."""
    try:
        import dask
        import dask.array as da
    except ImportError as error:  # pragma: no cover - exercised only without the extra
        raise ImportError("this needs Dask: pip install 'losslens[dask]'") from error
    return dask, da


def whole_rows(X, n_features, name="X"):
    """`X` (a 2-D dask array of `n_features` columns) rechunked so that every block holds whole rows."""
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D {name}, got {X.ndim} dimension(s)")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features, but this estimator was fitted with {n_features} features")
    return X.rechunk({1: -1}) if len(X.chunks[1]) > 1 else X
