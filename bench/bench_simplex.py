"""Simplex projection: Condat's algorithm in Swift vs the vectorised NumPy sort-based projection."""
import numpy as np

import losslens

from _harness import best_time, row
from _reference import project_simplex_sort

CASES = [
    ("LDD dictionary columns 30000x10, axis=0", (30000, 10), 0),
    ("rows 100000x100, axis=1", (100000, 100), 1),
    ("long columns 1000000x4, axis=0", (1_000_000, 4), 0),
]


def run(emit):
    rng = np.random.default_rng(0)
    for name, shape, axis in CASES:
        X = rng.normal(size=shape)
        ours, P = best_time(lambda: losslens.project_simplex(X, axis=axis))
        ref, R = best_time(lambda: project_simplex_sort(X, axis=axis))
        error = np.abs(P - R).max()
        emit(row(name, ours, ref, f"max |ours - numpy| = {error:.1e}"))
