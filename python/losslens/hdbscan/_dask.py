"""HDBSCAN on data larger than memory: an exact fit on a sample of the rows, then every row
labelled by ``approximate_predict`` against that fit, block by block on Dask."""
import numbers

import numpy as np

from .._dask import import_dask, is_dask_array, whole_rows
from .._validation import check_scalar
from ._predict import approximate_predict

# Rows fitted exactly by default; a dask array of at most this many rows is fitted whole.
SAMPLE_ROWS = 1_000_000


def fit_sample_predict(model, X, sample_size=SAMPLE_ROWS, random_state=0):
    """Fit ``model`` (a ``losslens.HDBSCAN``) to the rows of ``X`` that do not fit in memory.

    ``X`` is a 2-D ``dask.array`` (for a memory-mapped ``.npy`` file:
    ``dask.array.from_array(np.load(path, mmap_mode="r"), chunks=(rows, -1))``) of finite rows.
    With at most ``sample_size`` rows the fit is the in-memory one. Otherwise ``sample_size`` rows
    drawn uniformly without replacement (``random_state``) are fitted exactly, and every other row
    joins that fit's condensed tree through ``approximate_predict`` (the ``hdbscan`` package's
    rule), one Dask task per block of rows.

    Afterwards ``labels_`` and ``probabilities_`` are lazy dask arrays over all rows (the sampled
    rows keep their labels from the exact fit); ``sample_indices_`` holds the sampled rows, and
    the trees, ``core_distances_`` and ``outlier_scores_`` describe the sample. Returns ``model``.
    """
    _, da = import_dask()
    if not is_dask_array(X):
        raise TypeError(f"X must be a dask array, got {type(X).__name__}")
    sample_size = check_scalar(sample_size, "sample_size", kind=numbers.Integral, low=2)
    X = whole_rows(X, None)
    n = X.shape[0]
    if n > sample_size and model.metric not in ("euclidean", "l2"):
        raise ValueError(f"a dask array of more than sample_size rows needs metric='euclidean', got {model.metric!r}")
    if n <= sample_size:
        model.fit(np.asarray(X.compute()))
        model.sample_indices_ = np.arange(n)
        chunks = (X.chunks[0],)
        model.labels_ = da.from_array(model.labels_, chunks=chunks)
        model.probabilities_ = da.from_array(model.probabilities_, chunks=chunks)
        return model
    rng = np.random.default_rng(random_state)
    sample = np.sort(rng.choice(n, size=int(sample_size), replace=False))
    model.fit(np.asarray(X[sample].compute()))
    model.sample_indices_ = sample
    data = model._prediction_data()
    fitted = (model.labels_.astype(np.int32), model.probabilities_)
    predict = (data["tree"], data["core"], data["min_samples"], model._data.shape[0], model.condensed_tree_,
               data["point_row"], data["lookup"])

    def label_block(block, block_info=None):
        start, stop = block_info[0]["array-location"][0]
        labels, probabilities = approximate_predict(
            *predict, np.ascontiguousarray(block, dtype=np.float64), threads=1)
        lo, hi = np.searchsorted(sample, [start, stop])
        labels[sample[lo:hi] - start] = fitted[0][lo:hi]
        probabilities[sample[lo:hi] - start] = fitted[1][lo:hi]
        return np.column_stack([labels.astype(np.float64), probabilities])

    both = X.map_blocks(label_block, dtype=np.float64, chunks=(X.chunks[0], (2,)))
    model.labels_ = both[:, 0].astype(np.intp)
    model.probabilities_ = both[:, 1]
    return model
