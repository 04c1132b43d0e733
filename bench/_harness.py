"""Shared benchmark harness: best-of-n timing and one table row per case.

Every case times losslens and its reference on the same inputs in the same process and prints
ours, reference, their ratio and a quality figure side by side.
"""
import sys
import time
from pathlib import Path

# The NumPy reference implementations live with the tests (python/tests/_reference.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python" / "tests"))


def best_time(fn, repeat=3, min_total=0.2):
    """Best wall time of `fn()` over at least `repeat` calls (more while under `min_total` s)."""
    best, total, calls = float("inf"), 0.0, 0
    result = None
    while calls < repeat or (total < min_total and calls < 50):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        best, total, calls = min(best, elapsed), total + elapsed, calls + 1
    return best, result


HEADER = f"{'case':<44} {'ours (s)':>10} {'ref (s)':>10} {'speed-up':>9}  quality"


def row(case, ours, reference, quality):
    """One formatted result line; `speed-up` is reference time / our time."""
    return f"{case:<44} {ours:>10.4f} {reference:>10.4f} {reference / ours:>8.1f}x  {quality}"


def blas_summary():
    """Which BLAS libraries (and kernels) are loaded, via threadpoolctl."""
    from threadpoolctl import threadpool_info

    return "; ".join(
        f"{p.get('internal_api')} {p.get('version')} [{p.get('architecture')}] x{p.get('num_threads')} "
        f"({p.get('filepath').rsplit('/', 1)[-1]})"
        for p in threadpool_info()
    )
