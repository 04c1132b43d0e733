"""Input checking and the one deliberate conversion before native code runs.

Arrays reach the native core as aligned, native-endian, C-contiguous float64 (or float32 where a
function supports it). Anything else is converted here, once: integers and booleans become
float64, float16 becomes float32, views and Fortran-ordered arrays are copied to C order.
Complex, object and string data raise ``TypeError``; NaN, infinity and empty arrays raise
``ValueError`` naming the argument.
"""
import numbers

import numpy as np


def as_real_array(X, name, *, ndim=(2,), allow_float32=True, allow_nonfinite=False, min_size=1):
    """Return ``X`` as a C-contiguous float64/float32 ndarray, converting at most once.

    Parameters
    ----------
    X : array-like
    name : str
        Argument name used in error messages.
    ndim : tuple of int
        Accepted numbers of dimensions.
    allow_float32 : bool
        Keep float32 input as float32 (otherwise convert to float64).
    allow_nonfinite : bool
        Accept NaN and infinity.
    min_size : int
        Minimum length of every axis.
    """
    try:
        array = np.asarray(X)
    except Exception as exc:  # ragged sequences and the like
        raise ValueError(f"{name} could not be converted to a numeric array: {exc}") from exc
    kind = array.dtype.kind
    if kind in "biu":
        target = np.float64
    elif kind == "f":
        if array.dtype.itemsize < 4:
            target = np.float32 if allow_float32 else np.float64
        elif array.dtype.itemsize == 4 and allow_float32:
            target = np.float32
        else:
            target = np.float64
    else:
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.dtype.itemsize > 8:
        raise TypeError(f"{name} must be float64 or narrower, got dtype {array.dtype}")
    if array.ndim not in ndim:
        expected = " or ".join(f"{n}-D" for n in ndim)
        raise ValueError(f"{name} must be {expected}, got an array of shape {array.shape}")
    for axis, length in enumerate(array.shape):
        if length < min_size:
            raise ValueError(f"{name} must have at least {min_size} entries along axis {axis}, got shape {array.shape}")
    array = np.require(array, dtype=np.dtype(target).newbyteorder("="), requirements=["C", "A"])
    if not allow_nonfinite and not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return array


def native(array):
    """``array`` as the native core reads it: aligned, native-endian and C-contiguous, of the same
    dtype. No copy when it already is; one conversion otherwise (unaligned buffers arrive from
    Dask's process workers, ``np.frombuffer`` at an odd offset and some file readers)."""
    return np.require(array, dtype=array.dtype.newbyteorder("="), requirements=["C", "A"])


def validate_native(estimator, X, **kwargs):
    """scikit-learn's ``validate_data`` (its checks and messages), then ``native`` for dense arrays.

    A byte-swapped array is brought to native order first, so that float32 stays float32.
    """
    from scipy.sparse import issparse
    from sklearn.utils.validation import validate_data

    if isinstance(X, np.ndarray) and not X.dtype.isnative and X.dtype.kind in "biuf":
        X = native(X)
    X = validate_data(estimator, X, **kwargs)
    return X if issparse(X) else native(X)


def check_scalar(value, name, *, kind=numbers.Real, low=None, high=None, low_open=False, high_open=False):
    """Check a scalar parameter's type and range; return it as float or int."""
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be {'an int' if kind is numbers.Integral else 'a real number'}, got {value!r}")
    if kind is numbers.Real and not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and (value >= high if high_open else value > high):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value!r}")
    return int(value) if kind is numbers.Integral else float(value)


def check_n_jobs(n_jobs):
    """Validate an ``n_jobs`` value: None (library budget), -1 (every CPU) or a positive int."""
    if n_jobs is None:
        return 0
    n_jobs = check_scalar(n_jobs, "n_jobs", kind=numbers.Integral, low=-1024, high=1024)
    if n_jobs == 0:
        raise ValueError("n_jobs must be None, a positive int or a negative int, got 0")
    return n_jobs


def check_sample_weight(sample_weight, X):
    """Return ``sample_weight`` as a C-contiguous array of ``X``'s dtype, one non-negative finite
    entry per row; ``None`` means all ones."""
    from sklearn.utils.validation import _check_sample_weight

    weights = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
    if not np.isfinite(weights).all():
        raise ValueError("sample_weight contains NaN or infinity")
    return native(weights)


def check_probabilities(p, name, *, size=None):
    """Return ``p`` as a float64 probability vector: finite, strictly positive, summing to 1 (±1e-8)."""
    p = as_real_array(p, name, ndim=(1,), allow_float32=False)
    if size is not None and p.shape[0] != size:
        raise ValueError(f"{name} must have {size} entries, got {p.shape[0]}")
    if (p <= 0).any():
        raise ValueError(f"{name} must be strictly positive, got min {p.min()!r}")
    if abs(p.sum() - 1.0) > 1e-8:
        raise ValueError(f"{name} must sum to 1, got {p.sum()!r}")
    return p


def check_squares_representable(X, name, dtype=None):
    """Raise ``ValueError`` when sums of squares of ``X`` would overflow ``dtype`` (default: X's).

    Least-squares kernels form Gram matrices and residual norms; entries beyond
    ``sqrt(max_float / X.size)`` could turn them into infinity.
    """
    dtype = np.dtype(X.dtype if dtype is None else dtype)
    limit = np.sqrt(np.finfo(dtype).max / max(1, X.size))
    peak = max(float(X.max(initial=0)), -float(X.min(initial=0)))  # |X|.max() without an |X| temporary
    if peak > limit:
        raise ValueError(
            f"{name} has entries up to {peak:.3g}: sums of their squares overflow {dtype} "
            f"(limit {limit:.3g} for this size); rescale {name}"
        )
    return X
