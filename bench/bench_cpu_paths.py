"""CPU paths: the x86-64-v3 (AVX2 + FMA) build of the Swift core vs the x86-64-v2 baseline.

Each path runs in its own child process (`LOSSLENS_CPU=baseline` picks the baseline; the library is
chosen once per process), two rounds in alternating order, best time kept; same inputs on both. The
quality column compares the results of the two paths (docs/packaging.md gives the tolerance).
"""
import json
import os
import subprocess
import sys

import numpy as np

from _harness import row

PATHS = [("x86-64-v3", {"LOSSLENS_CPU": "auto"}), ("x86-64-v2 baseline", {"LOSSLENS_CPU": "baseline"})]

# Runs in the child: best-of-3 seconds and a result per case, as JSON on stdout.
CHILD = r'''
import json, time, warnings
import numpy as np
from sklearn.datasets import make_blobs
import losslens

def best(fn, repeat=3):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter(); out = fn(); times.append(time.perf_counter() - start)
    return min(times), out

rng = np.random.default_rng(0)
atoms = np.abs(rng.normal(size=(10, 30000))); atoms /= np.linalg.norm(atoms, axis=1, keepdims=True)
X_dl = (rng.normal(size=(100, 10)) * (rng.random((100, 10)) < 0.3)) @ atoms + 1e-4 * rng.normal(size=(100, 30000))
X_hd = make_blobs(50_000, n_features=10, centers=10, random_state=0)[0]
X_km = make_blobs(200_000, n_features=20, centers=30, random_state=0)[0]

def dl():
    model = losslens.DictionaryLearning(n_components=10, alpha=0.01, max_iter=10, positive_dict=True,
                                        fit_algorithm="cd", random_state=0)
    return model.fit(X_dl).components_

def hd():
    return losslens.HDBSCAN(min_cluster_size=15).fit(X_hd).labels_

def km():
    return losslens.KMeans(n_clusters=30, n_init=1, random_state=0).fit(X_km).cluster_centers_

result = {}
for name, fn in [("dl", dl), ("hdbscan", hd), ("kmeans", km)]:
    seconds, out = best(fn)
    result[name] = [seconds, np.asarray(out, dtype=float).ravel().tolist()]
print(json.dumps(result))
'''

CASES = [("dl", "DictionaryLearning (100, 30000) K=10, 10 it"), ("hdbscan", "HDBSCAN make_blobs 50000x10"),
         ("kmeans", "KMeans make_blobs 200000x20 k=30")]


def time_paths(paths, rounds=2):
    """{label: {case: (best seconds, result array)}} over `rounds` alternating child runs per path."""
    results = {label: {} for label, _ in paths}
    for r in range(rounds):
        for label, env in (paths if r % 2 == 0 else paths[::-1]):
            out = subprocess.run([sys.executable, "-c", CHILD], env={**os.environ, **env}, check=True,
                                 capture_output=True, text=True).stdout
            for case, (seconds, values) in json.loads(out).items():
                previous = results[label].get(case, (float("inf"), None))[0]
                results[label][case] = (min(previous, seconds), np.asarray(values))
    return results


def agreement(case, a, b):
    if case == "hdbscan":
        return f"labels identical: {bool(np.array_equal(a, b))}"
    return f"max rel. difference {np.abs(a - b).max() / np.abs(b).max():.1e}"


def report(emit, results, ours, reference):
    for case, title in CASES:
        t_ours, r_ours = results[ours][case]
        t_ref, r_ref = results[reference][case]
        emit(row(f"{title} [{ours} vs {reference}]", t_ours, t_ref, agreement(case, r_ours, r_ref)))


def run(emit):
    report(emit, time_paths(PATHS), PATHS[0][0], PATHS[1][0])
