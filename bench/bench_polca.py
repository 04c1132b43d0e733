"""POLCA allocation (eqs. 4-10): the Swift kernel vs the vectorised NumPy reference, same inputs."""
import numpy as np

import losslens

from _harness import best_time, row
from _reference import polca_allocation

CASES = [
    ("paper arithmetic scale T=200 n=5000 m=10", (200, 5000, 10)),
    ("many directions T=100 n=2000 m=50", (100, 2000, 50)),
    ("long training T=1000 n=1000 m=5", (1000, 1000, 5)),
]


def run(emit):
    rng = np.random.default_rng(0)
    for name, (T, n, m) in CASES:
        grads = rng.normal(size=(T + 1, n, m))
        steps = rng.normal(size=(T, m))
        curv = rng.normal(size=(T, m))
        ours, model = best_time(lambda: losslens.POLCA().fit(grads, steps, curv))
        ref, (allocation, _, projected, _) = best_time(lambda: polca_allocation(grads, steps, curv))
        error = max(np.abs(model.allocation_ - allocation).max(), np.abs(model.projected_loss_ - projected).max())
        emit(row(name, ours, ref, f"max |ours - numpy| = {error:.1e}"))
