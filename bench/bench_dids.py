"""DIDS pieces vs their references, same inputs, same run.

- GradientSketch (top-k + block-generated JL, R never held) vs NumPy top-k + scikit-learn's
  SparseRandomProjection (its default density 1/sqrt(h)) / GaussianRandomProjection, which hold R in
  memory; quality: worst distortion of pairwise squared distances of 200 sketched rows.
- fim_impact vs the NumPy twin (72 domains x 9 tasks, as in the paper); quality: max relative error.
- fit_exponential_decay vs scipy.optimize.curve_fit (the authors' p0 and maxfev) on 300 noisy
  histories; quality: summed residual cost, ours / scipy.
"""
import warnings

import numpy as np
from scipy.optimize import curve_fit
from sklearn.random_projection import GaussianRandomProjection, SparseRandomProjection

import losslens
from losslens import dids

from _harness import best_time, row  # first: puts python/tests on sys.path
import _reference as ref


def _distortion(X, Y, pairs):
    i, j = pairs
    ratio = ((Y[i] - Y[j]) ** 2).sum(1) / ((X[i] - X[j]) ** 2).sum(1)
    return max(1 - ratio.min(), ratio.max() - 1)


def _topk_numpy(X, k):
    """Top-k by magnitude per row with argpartition (no tie rule needed on random data)."""
    idx = np.argpartition(-np.abs(X), k - 1, axis=1)[:, :k]
    out = np.zeros_like(X)
    np.put_along_axis(out, idx, np.take_along_axis(X, idx, axis=1), axis=1)
    return out


def _sketch_cases(emit, rng):
    m, h, s, keep = 1000, 100_000, 1024, 10_000
    X = rng.normal(size=(m, h)).astype(np.float32)
    pairs = np.triu_indices(200, 1)
    for kind, Reference in (("rademacher", SparseRandomProjection), ("gaussian", GaussianRandomProjection)):
        ours, Y = best_time(lambda: losslens.GradientSketch(s, topk=keep, kind=kind, random_state=0).fit_transform(X),
                            repeat=1, min_total=0)

        def reference():
            masked = _topk_numpy(X, keep)
            return masked, Reference(s, random_state=0).fit_transform(masked)

        theirs, (masked, Z) = best_time(reference, repeat=1, min_total=0)
        emit(row(f"sketch {m}x{h} f32 top-{keep} -> {s} {kind}", ours, theirs,
                 f"JL distortion ours {_distortion(masked, Y, pairs):.3f} / sklearn {_distortion(masked, Z, pairs):.3f}"))


def _impact_numpy(D, T, F):
    """Eq. (12) in NumPy, one task at a time (the broadcast twin would need 72·9·1e6 values)."""
    D64, F64 = D.astype(np.float64), F.astype(np.float64)
    return np.stack([0.5 * (((t.astype(np.float64) - D64) ** 2) @ F64) for t in T], axis=1)


def _impact_case(emit, rng):
    p = 1_000_000
    D = rng.normal(size=(72, p)).astype(np.float32)
    T = rng.normal(size=(9, p)).astype(np.float32)
    F = rng.uniform(size=p).astype(np.float32)
    ours, I = best_time(lambda: dids.fim_impact(D, T, F), repeat=1, min_total=0)
    theirs, R = best_time(lambda: _impact_numpy(D, T, F), repeat=1, min_total=0)
    emit(row("fim_impact divergence 72x9 tasks, 1e6 params f32", ours, theirs,
             f"max rel err {np.max(np.abs(I - R) / np.abs(R)):.1e}"))


def _decay_case(emit, rng):
    t = np.arange(40, dtype=float)
    histories = [2 * np.exp(-rng.uniform(0.02, 0.3) * t) + 1 + 0.03 * rng.normal(size=40) for _ in range(300)]

    def ours():
        return sum(dids.fit_exponential_decay(t, y, p0=[y[0] - y[-1], 0.1, y[-1]]).cost for y in histories)

    def scipy_fits():
        total = 0.0
        for y in histories:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p, _ = curve_fit(lambda x, a, b, c: a * np.exp(-b * x) + c, t, y, p0=[y[0] - y[-1], 0.1, y[-1]],
                                 maxfev=2000)
            total += 0.5 * np.sum((p[0] * np.exp(-p[1] * t) + p[2] - y) ** 2)
        return total

    a, ca = best_time(ours, repeat=1, min_total=0)
    b, cb = best_time(scipy_fits, repeat=1, min_total=0)
    emit(row("exp-decay fits, 300 noisy histories of 40", a, b, f"summed cost ours/scipy {ca / cb:.6f}"))


def run(emit):
    rng = np.random.default_rng(0)
    _decay_case(emit, rng)
    _impact_case(emit, rng)
    _sketch_cases(emit, rng)
