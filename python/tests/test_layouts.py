"""Buffers from anywhere (issue 19): every entry point takes unaligned, byte-swapped, read-only,
memory-mapped, strided and Fortran-ordered arrays and returns exactly what it returns for the
C-contiguous array."""
import numpy as np
import pytest

import losslens


def unaligned(a):
    """`a` copied into a buffer at an odd byte offset (what Dask's process workers can hand over)."""
    raw = np.empty(a.nbytes + 1, dtype=np.uint8)
    out = np.frombuffer(raw[1:].data, dtype=a.dtype, count=a.size).reshape(a.shape)
    out[...] = a
    assert not out.flags.aligned
    return out


def byteswapped(a):
    return a.astype(a.dtype.newbyteorder("S"))


def readonly(a):
    out = a.copy()
    out.flags.writeable = False
    return out


def strided(a):
    return np.repeat(a, 2, axis=0)[::2]


LAYOUTS = {
    "unaligned": unaligned, "byteswapped": byteswapped, "readonly": readonly, "strided": strided,
    "fortran": np.asfortranarray,
}

X64 = np.random.default_rng(0).normal(size=(60, 5))

ENTRY_POINTS = {
    "KMeans.fit": lambda X: losslens.KMeans(3, random_state=0).fit(X).cluster_centers_,
    "KMeans.fit(sample_weight)": lambda X: losslens.KMeans(3, random_state=0).fit(
        X64.astype(X.dtype), sample_weight=np.abs(X[:, 0]) + 0.5).cluster_centers_,
    "KMeans.predict": lambda X: losslens.KMeans(3, random_state=0).fit(X64.astype(X.dtype)).predict(X),
    "KMeans.transform": lambda X: losslens.KMeans(3, random_state=0).fit(X64.astype(X.dtype)).transform(X),
    "HDBSCAN.fit": lambda X: losslens.HDBSCAN(copy=True).fit(X).probabilities_,
    "DictionaryLearning.fit": lambda X: losslens.DictionaryLearning(
        n_components=3, random_state=0, max_iter=5).fit(X).components_,
    "DictionaryLearning.transform": lambda X: losslens.DictionaryLearning(
        n_components=3, random_state=0, max_iter=5).fit(X64.astype(X.dtype)).transform(X),
    "GradientSketch.transform": lambda X: losslens.GradientSketch(
        n_components=4, random_state=0).fit(X64.astype(X.dtype)).transform(X),
    "project_simplex": lambda X: losslens.project_simplex(X),
    "dids.empirical_fisher_diagonal": lambda X: losslens.dids.empirical_fisher_diagonal(X),
    "dids.repartition": lambda X: losslens.dids.repartition(X, n_clusters=2, random_state=0).labels,
    "LDD.fit": lambda X: losslens.LDD(n_domains=3, random_state=0, max_iter=5, progress=False).fit(
        np.abs(X) + 1).dictionary_,
    "linalg.eigsh": lambda X: losslens.linalg.eigsh(X[:5] + X[:5].T, k=2, random_state=0).eigenvalues,
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_every_layout_gives_the_c_contiguous_result(entry, dtype, layout, tmp_path):
    X = X64.astype(dtype)
    expected = ENTRY_POINTS[entry](X.copy())
    np.testing.assert_array_equal(ENTRY_POINTS[entry](LAYOUTS[layout](X)), expected)


def test_memory_mapped_input_gives_the_in_memory_result(tmp_path):
    path = tmp_path / "X.npy"
    np.save(path, X64)
    mapped = np.load(path, mmap_mode="r")
    for entry in ("KMeans.fit", "HDBSCAN.fit", "DictionaryLearning.fit", "GradientSketch.transform"):
        np.testing.assert_array_equal(ENTRY_POINTS[entry](mapped), ENTRY_POINTS[entry](X64), err_msg=entry)


def test_conversion_happens_at_most_once(monkeypatch):
    """An unaligned array is copied once on its way to the core, an aligned C array not at all."""
    from losslens import _validation

    calls = []
    original = np.require

    def counting(array, *args, **kwargs):
        out = original(array, *args, **kwargs)
        calls.append(not np.shares_memory(out, array))
        return out

    monkeypatch.setattr(_validation.np, "require", counting)
    sketch = losslens.GradientSketch(n_components=4, random_state=0).fit(X64)
    calls.clear()
    sketch.transform(X64)
    assert calls == [False]
    sketch.transform(unaligned(X64))
    assert calls == [False, True]
