"""CPU dispatch: which Swift build loads, what each build holds, and that both paths agree.

A portable install holds an x86-64-v2 baseline and an x86-64-v3 (AVX2 + FMA) build of the Swift
library (docs/packaging.md). The library is chosen once per process, so each path runs in a child.
Agreement: labels identical; float64 results within a relative 1e-9 of the largest entry (FMA
contraction and wider vectors reorder roundings; iterated fits amplify them a little).
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens import _build_info, _dispatch

RTOL = 1e-9
PACKAGE = Path(losslens.__file__).resolve().parent
PORTABLE = set(_build_info.SWIFT_BUILDS) == {"x86-64-v2", "x86-64-v3"}
needs_portable = pytest.mark.skipif(not PORTABLE, reason="a LOSSLENS_TARGET_CPU=native install has one build")


def library(level):
    return PACKAGE / _build_info.SWIFT_BUILDS[level] / _dispatch.LIBRARY


@pytest.mark.parametrize(
    "requested, supports_v3, expected",
    [("auto", True, "x86-64-v3"), ("auto", False, "x86-64-v2"), ("baseline", True, "x86-64-v2"),
     ("baseline", False, "x86-64-v2")],
)
def test_choose_build_prefers_v3_only_when_the_cpu_runs_it(requested, supports_v3, expected):
    builds = {"x86-64-v2": "", "x86-64-v3": "_x86_64_v3"}
    assert _dispatch.choose_build(requested, builds, supports_v3)[0] == expected


def test_choose_build_with_a_single_build_uses_it():
    assert _dispatch.choose_build("baseline", {"native": ""}, True)[0] == "native"


def test_choose_build_rejects_unknown_values():
    with pytest.raises(ImportError, match="LOSSLENS_CPU"):
        _dispatch.choose_build("avx512", {"x86-64-v2": "", "x86-64-v3": "_x86_64_v3"}, True)


def test_the_loaded_library_is_the_chosen_build():
    assert _dispatch.loaded_library() == str(library(_dispatch.CPU_LEVEL))


def _instructions(path):
    listing = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(path)], check=True,
                             capture_output=True, text=True).stdout
    return listing.count("%ymm"), sum(listing.count(op) for op in ("vfmadd", "vfmsub", "vfnmadd", "vfnmsub"))


@needs_portable
@pytest.mark.skipif(shutil.which("objdump") is None, reason="needs objdump (binutils)")
def test_baseline_holds_no_avx2_or_fma_and_v3_does():
    ymm, fma = _instructions(library("x86-64-v2"))
    assert (ymm, fma) == (0, 0)
    ymm, fma = _instructions(library("x86-64-v3"))
    assert ymm > 0 and fma > 0


# Runs in a child per path: the library it mapped and the results of small fits, as JSON.
CHILD = r'''
import json
import numpy as np
from sklearn.datasets import make_blobs
import losslens
from losslens import _dispatch

rng = np.random.default_rng(0)
atoms = np.abs(rng.normal(size=(6, 400))); atoms /= np.linalg.norm(atoms, axis=1, keepdims=True)
X = (rng.normal(size=(80, 6)) * (rng.random((80, 6)) < 0.4)) @ atoms + 1e-3 * rng.normal(size=(80, 400))
blobs = make_blobs(3000, n_features=5, centers=6, random_state=0)[0]
dl = losslens.DictionaryLearning(n_components=6, alpha=0.01, max_iter=5, positive_dict=True,
                                 fit_algorithm="cd", random_state=0).fit(X)
km = losslens.KMeans(n_clusters=6, n_init=1, random_state=0).fit(blobs)
out = {
    "level": _dispatch.CPU_LEVEL,
    "library": _dispatch.loaded_library(),
    "mapped": len({line.split()[-1] for line in open("/proc/self/maps") if "/liblosslens_swift.so" in line}),
    "dictionary": dl.components_.ravel().tolist(),
    "code": dl.transform(X).ravel().tolist(),
    "kmeans_centers": km.cluster_centers_.ravel().tolist(),
    "kmeans_labels": km.labels_.tolist(),
    "hdbscan_labels": losslens.HDBSCAN(min_cluster_size=15).fit(blobs).labels_.tolist(),
    "simplex": losslens.project_simplex(rng.normal(size=(200, 50)), axis=1).ravel().tolist(),
}
print(json.dumps(out))
'''


def _run_path(cpu):
    env = {**os.environ, "LOSSLENS_CPU": cpu}
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


@needs_portable
@pytest.mark.skipif(not losslens._cpu.supports_x86_64_v3(), reason="this CPU does not run x86-64-v3")
def test_both_paths_agree():
    fast, base = _run_path("auto"), _run_path("baseline")
    assert (fast["level"], base["level"]) == ("x86-64-v3", "x86-64-v2")
    assert (fast["library"], base["library"]) == (str(library("x86-64-v3")), str(library("x86-64-v2")))
    assert fast["mapped"] == base["mapped"] == 1  # one build per process, never both
    for key in ("kmeans_labels", "hdbscan_labels"):
        assert fast[key] == base[key], key
    for key in ("dictionary", "code", "kmeans_centers", "simplex"):
        a, b = np.asarray(fast[key]), np.asarray(base[key])
        assert np.abs(a - b).max() <= RTOL * np.abs(b).max(), key


def test_unknown_losslens_cpu_fails_the_import_with_a_clear_message():
    env = {**os.environ, "LOSSLENS_CPU": "avx512"}
    result = subprocess.run([sys.executable, "-c", "import losslens"], env=env, capture_output=True, text=True)
    assert result.returncode == 1 and "LOSSLENS_CPU must be one of" in result.stderr
