"""Checks of an installed losslens wheel, run by .ci/wheel-test.

  installed            the package, its Swift library and its OpenBLAS come from the wheel
  smoke                small fits on the chosen CPU path, as JSON on stdout
  compare A.json B.json   B ran the baseline path and agrees with A (labels equal, floats to 1e-9)
"""
import json
import sys

import numpy as np

RTOL = 1e-9  # the documented agreement between builds (docs/packaging.md)


def installed():
    import losslens
    from losslens import _dispatch

    losslens.show_config()
    assert "site-packages" in losslens.__file__, losslens.__file__
    assert "site-packages/losslens/" in _dispatch.loaded_library()
    blas = [line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line.lower()]
    ours = {path for path in blas if "/losslens.libs/" in path}
    assert ours, f"no bundled OpenBLAS mapped: {sorted(set(blas))}"
    assert not [path for path in blas if path.startswith(("/usr/", "/lib/"))], sorted(set(blas))
    print(f"wheel-check: losslens from {losslens.__file__}; OpenBLAS {sorted(ours)}")


def smoke():
    import losslens
    from losslens import _dispatch

    rng = np.random.default_rng(0)
    points = np.concatenate([rng.normal(loc, 0.3, size=(300, 3)) for loc in (0.0, 3.0, 6.0)])
    atoms = np.abs(rng.normal(size=(4, 60)))
    X = rng.normal(size=(40, 4)) @ atoms + 1e-3 * rng.normal(size=(40, 60))
    dl = losslens.DictionaryLearning(n_components=4, alpha=0.01, max_iter=3, positive_dict=True,
                                     fit_algorithm="cd", random_state=0).fit(X)
    simplex = losslens.project_simplex(rng.normal(size=(50, 20)), axis=1)
    assert np.allclose(simplex.sum(axis=1), 1.0) and simplex.min() >= 0.0
    print(json.dumps({
        "level": _dispatch.CPU_LEVEL,
        "reason": _dispatch.REASON,
        "simplex": simplex.ravel().tolist(),
        "dictionary": dl.components_.ravel().tolist(),
        "kmeans_labels": losslens.KMeans(n_clusters=3, n_init=1, random_state=0).fit(points).labels_.tolist(),
        "hdbscan_labels": losslens.HDBSCAN(min_cluster_size=20).fit(points).labels_.tolist(),
    }))


def compare(reference_path, emulated_path):
    reference, emulated = (json.load(open(p)) for p in (reference_path, emulated_path))
    assert emulated["level"] == "x86-64-v2", emulated["reason"]
    for key in ("kmeans_labels", "hdbscan_labels"):
        assert reference[key] == emulated[key], key
    for key in ("simplex", "dictionary"):
        a, b = np.asarray(reference[key]), np.asarray(emulated[key])
        assert np.abs(a - b).max() <= RTOL * np.abs(a).max(), key
    print(f"wheel-check: emulated CPU ran {emulated['level']} ({emulated['reason']}); results agree")


if __name__ == "__main__":
    {"installed": installed, "smoke": smoke, "compare": compare}[sys.argv[1]](*sys.argv[2:])
