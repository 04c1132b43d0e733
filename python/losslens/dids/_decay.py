"""DIDS §4.3: exponential-decay fits of loss histories and the potential factor."""
import numbers
from collections import namedtuple

import numpy as np

from .. import _core
from .._validation import as_real_array, check_scalar

DecayFit = namedtuple("DecayFit", ["a", "b", "c", "status", "cost", "n_evaluations"])
DecayFit.__doc__ = """Result of :func:`fit_exponential_decay`: y ≈ a·exp(−b·t) + c.

status is "converged", "max_evaluations" (best point returned) or "too_few_points" (a, b, c NaN);
cost is half the residual sum of squares."""

_FIT_STATUS = {
    _core.DIDS_DECAY_CONVERGED: "converged",
    _core.DIDS_DECAY_MAX_EVALUATIONS: "max_evaluations",
    _core.DIDS_DECAY_TOO_FEW_POINTS: "too_few_points",
}


def fit_exponential_decay(t, y, p0=None, bounds=None, max_evaluations=2000):
    """Fit the learning curve y = a·exp(−b·t) + c (DIDS eq. (14)) by Levenberg–Marquardt.

    Starts from ``p0`` (scipy's default (1, 1, 1) when None) and from the three best rates of a
    profile scan over b (for a fixed b the model is linear in a and c), refined by golden-section
    search, and keeps the best fit; so noisy, flat, increasing and short histories fit at least as
    well as with ``scipy.optimize.curve_fit``. Never raises for data the model cannot fit: the
    status says so.

    Parameters
    ----------
    t, y : array-like of shape (n_points,)
        Finite times and losses.
    p0 : (a, b, c), default=None
    bounds : ((a_lo, b_lo, c_lo), (a_hi, b_hi, c_hi)), default=None
        Box constraints, as scipy's ``bounds``.
    max_evaluations : int, default=2000
        Budget of model evaluations per start (the authors' ``maxfev``).

    Returns
    -------
    DecayFit
    """
    t = np.ascontiguousarray(as_real_array(t, "t", ndim=(1,), allow_float32=False, min_size=0))
    y = np.ascontiguousarray(as_real_array(y, "y", ndim=(1,), allow_float32=False, min_size=0))
    if t.shape != y.shape:
        raise ValueError(f"t and y must have the same length, got {t.shape[0]} and {y.shape[0]}")
    p0 = None if p0 is None else np.asarray(p0, dtype=np.float64).reshape(3)
    lower = upper = None
    if bounds is not None:
        lower, upper = (np.broadcast_to(np.asarray(b, dtype=np.float64), (3,)).copy() for b in bounds)
    max_evaluations = check_scalar(max_evaluations, "max_evaluations", kind=numbers.Integral, low=1)
    params, cost, evaluations, status = _core.dids_fit_exponential_decay(t, y, p0, lower, upper, max_evaluations)
    return DecayFit(float(params[0]), float(params[1]), float(params[2]), _FIT_STATUS[status], cost, evaluations)


def potential(history, tau, t=None, variant="paper"):
    """Potential factor of a task: the loss decrease the fitted learning curve still predicts (DIDS eq. (15)).

    ``variant="paper"``: l_p = l_t − L(t + τ), L fitted by eq. (14) with b ≥ 0 (the paper's
    "exponential decay model": unconstrained, a history that rises at the end extrapolates exponential
    growth) over the record times ``t`` (default ``0, 1, …``, i.e. τ counted in records); 0 when
    fewer than 3 points or no fit.
    ``variant="code"`` (the authors' code): unconstrained fit over indices 0…n−1 from p0 = (y₀ − y_last, 0.1,
    y_last), l_p = y_last − L(n + 5); 1 with fewer than 5 points, 0 when the fit fails.

    Parameters
    ----------
    history : array-like of shape (n_points,)
        Task losses, oldest first.
    tau : float
        Prediction horizon (ignored by ``variant="code"``, which uses the code's window of 5).
    t : array-like of shape (n_points,), default=None
    variant : {"paper", "code"}

    Returns
    -------
    float
    """
    if variant not in ("paper", "code"):
        raise ValueError(f"variant must be 'paper' or 'code', got {variant!r}")
    y = np.ascontiguousarray(as_real_array(history, "history", ndim=(1,), allow_float32=False))
    t = np.arange(y.shape[0], dtype=np.float64) if t is None else np.ascontiguousarray(
        as_real_array(t, "t", ndim=(1,), allow_float32=False))
    if t.shape != y.shape:
        raise ValueError(f"t and history must have the same length, got {t.shape[0]} and {y.shape[0]}")
    horizon = 5.0 if variant == "code" else check_scalar(tau, "tau", low=0)
    return _core.dids_potential(t, y, horizon, variant == "code")


__all__ = ["DecayFit", "fit_exponential_decay", "potential"]
