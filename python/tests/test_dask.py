"""Out-of-core loss matrices and the Dask code paths (KMeans, GradientSketch) against the in-memory ones."""
import subprocess
import sys

import numpy as np
import pytest

from losslens import GradientSketch, KMeans, LossRecorder

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


def _losses(n_samples, n_steps, seed):
    return np.random.default_rng(seed).gamma(2.0, size=(n_samples, n_steps))


@pytest.mark.parametrize("name", ["losses.npy", "losses.zarr"])
def test_recorder_on_disk_reopens_as_memmap_and_dask(tmp_path, name):
    L = _losses(70, 9, 0)
    path = tmp_path / name
    recorder = LossRecorder(70, dtype=np.float64, path=path, chunk_samples=16)
    for column in L.T:
        recorder.append(column)
    np.testing.assert_array_equal(recorder.matrix(), L)
    recorder.close()
    opened = LossRecorder.open(path)
    assert isinstance(opened, np.memmap) == name.endswith(".npy")
    np.testing.assert_array_equal(opened, L)
    lazy = LossRecorder.open(path, chunks=32)
    assert lazy.shape == (70, 9) and lazy.chunks == ((32, 32, 6), (9,))
    np.testing.assert_array_equal(lazy.compute(), L)


def test_zarr_append_never_rewrites_earlier_chunks(tmp_path):
    pytest.importorskip("zarr")
    path = tmp_path / "losses.zarr"
    recorder = LossRecorder(10, path=path, chunk_samples=4)
    recorder.append(np.arange(10.0))
    stamps = {p: p.stat().st_mtime_ns for p in path.rglob("*") if p.is_file() and "zarr" not in p.name}
    contents = {p: p.read_bytes() for p in stamps}
    for step in range(1, 5):
        recorder.append(np.arange(10.0) * step)
    assert stamps and all(p.read_bytes() == contents[p] and p.stat().st_mtime_ns == stamps[p] for p in stamps)
    np.testing.assert_array_equal(LossRecorder.open(path)[:, 4], np.arange(10.0) * 4)


def test_recorder_open_rejects_bad_chunks(tmp_path):
    recorder = LossRecorder(3, path=tmp_path / "l.npy")
    recorder.append([1, 2, 3])
    recorder.close()
    with pytest.raises(ValueError, match="chunks"):
        LossRecorder.open(tmp_path / "l.npy", chunks=0)


def test_core_import_does_not_import_dask():
    code = "import sys, losslens; sys.exit('dask' in sys.modules or 'zarr' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_sketch_of_dask_array_equals_in_memory_sketch(client):
    X = np.random.default_rng(1).normal(size=(300, 40)).astype(np.float32)
    sketch = GradientSketch(16, topk=0.25, chunk_size=50, random_state=0).fit(X)
    lazy = sketch.transform(da.from_array(X, chunks=(100, 20)))
    assert lazy.dtype == np.float32 and lazy.chunks == ((100, 100, 100), (16,))
    np.testing.assert_array_equal(lazy.compute(), sketch.transform(X))
    with pytest.raises(ValueError, match="features"):
        sketch.transform(da.from_array(X[:, :30], chunks=50))


def _blobs(seed, n=600, d=3, k=4):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=6.0, size=(k, d))
    return centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))


def test_kmeans_on_threaded_scheduler_equals_in_memory():
    X = _blobs(7)
    init = X[:4] + 0.5
    memory = KMeans(4, init=init, n_init=1).fit(X)
    with dask.config.set(scheduler="threads"):
        lazy = KMeans(4, init=init, n_init=1).fit(da.from_array(X, chunks=128))
    np.testing.assert_array_equal(lazy.labels_, memory.labels_)
    np.testing.assert_allclose(lazy.inertia_, memory.inertia_, rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kmeans_dask_equals_in_memory_from_same_centres(client, dtype):
    X = _blobs(2).astype(dtype)
    init = X[[0, 1, 2, 3, 4]] + 0.5
    params = dict(n_clusters=5, init=init, n_init=1, tol=1e-6, random_state=0)
    memory = KMeans(**params).fit(X)
    weights = np.random.default_rng(3).uniform(0.5, 2.0, size=len(X))
    distributed_fit = KMeans(**params).fit(da.from_array(X, chunks=(150, 3)))
    np.testing.assert_array_equal(distributed_fit.labels_, memory.labels_)
    assert distributed_fit.n_iter_ == memory.n_iter_
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(distributed_fit.inertia_, memory.inertia_, rtol=rtol)
    np.testing.assert_allclose(distributed_fit.cluster_centers_, memory.cluster_centers_, rtol=rtol, atol=rtol)
    weighted = KMeans(**params).fit(X, sample_weight=weights)
    weighted_dask = KMeans(**params).fit(da.from_array(X, chunks=(200, 3)), sample_weight=weights)
    np.testing.assert_array_equal(weighted_dask.labels_, weighted.labels_)
    np.testing.assert_allclose(weighted_dask.inertia_, weighted.inertia_, rtol=rtol)


def test_kmeans_dask_relocates_empty_cluster_like_in_memory(client):
    X = _blobs(4, n=300)
    init = np.vstack([X[:3], [[1e3, 1e3, 1e3]]])
    memory = KMeans(4, init=init, n_init=1).fit(X)
    lazy = KMeans(4, init=init, n_init=1).fit(da.from_array(X, chunks=70))
    np.testing.assert_array_equal(lazy.labels_, memory.labels_)
    np.testing.assert_allclose(lazy.inertia_, memory.inertia_, rtol=1e-10)


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_kmeans_dask_seeding_finds_the_blobs(init):
    """k-means|| (and random rows) on the threaded scheduler recover well-separated blobs."""
    X = _blobs(5, n=800, d=2, k=3) * 3
    memory = KMeans(3, n_init=3, random_state=0).fit(X)
    with dask.config.set(scheduler="threads"):
        lazy = KMeans(3, init=init, n_init=3, random_state=0).fit(da.from_array(X, chunks=200))
    pairs = lazy.labels_.astype(np.int64) * 3 + memory.labels_
    assert np.unique(pairs).size == 3
    np.testing.assert_allclose(lazy.inertia_, memory.inertia_, rtol=1e-8)


def _die_once_after(block, folder, calls):
    """Identity on a block, but the worker process running the `calls`-th call exits (once)."""
    import os

    with open(os.path.join(folder, "calls"), "a") as log:
        log.write(".")
    with open(os.path.join(folder, "calls")) as log:
        count = len(log.read())
    if count >= calls:
        try:
            os.close(os.open(os.path.join(folder, "killed"), os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return block
        os._exit(1)
    return block


def test_kmeans_dask_survives_a_killed_worker(client, tmp_path):
    X = _blobs(6)
    init = X[:4] + 0.5
    memory = KMeans(4, init=init, n_init=1, tol=0).fit(X)
    assert memory.n_iter_ >= 3
    lazy = da.from_array(X, chunks=100).map_blocks(_die_once_after, str(tmp_path), 15, dtype=X.dtype)
    fitted = KMeans(4, init=init, n_init=1, tol=0).fit(lazy)
    assert (tmp_path / "killed").exists()
    np.testing.assert_array_equal(fitted.labels_, memory.labels_)
    np.testing.assert_allclose(fitted.inertia_, memory.inertia_, rtol=1e-10)
