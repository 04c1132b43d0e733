"""Every Dask path (LDD, KMeans, GradientSketch) in float32 and float64 on two worker processes
(issue 19): process workers may hand a task an unaligned chunk, which must be taken as it is."""
import numpy as np
import pytest

from losslens import LDD, GradientSketch, KMeans

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

DTYPES = [np.float32, np.float64]


def _data(dtype, n=240, d=6):
    rng = np.random.default_rng(5)
    centres = rng.normal(scale=5.0, size=(3, d))
    return (centres[rng.integers(3, size=n)] + rng.normal(size=(n, d))).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sketch_on_processes_equals_in_memory(client, dtype):
    X = _data(dtype)
    sketch = GradientSketch(4, random_state=0).fit(X)
    lazy = sketch.transform(da.from_array(X, chunks=(60, 6)))
    assert lazy.dtype == dtype
    np.testing.assert_array_equal(lazy.compute(), sketch.transform(X))


@pytest.mark.parametrize("dtype", DTYPES)
def test_kmeans_on_processes_equals_in_memory(client, dtype):
    X = _data(dtype)
    params = dict(n_clusters=3, init=X[:3] + 0.25, n_init=1)
    memory = KMeans(**params).fit(X)
    lazy = KMeans(**params).fit(da.from_array(X, chunks=(60, 6)))
    np.testing.assert_array_equal(lazy.labels_, memory.labels_)
    assert lazy.n_iter_ == memory.n_iter_
    np.testing.assert_array_equal(lazy.predict(X), memory.predict(X))


@pytest.mark.parametrize("dtype", DTYPES)
def test_ldd_on_processes_equals_in_memory(client, dtype):
    L = np.abs(_data(dtype, n=120, d=10)) + 1
    params = dict(n_domains=3, max_iter=8, random_state=0, progress=False, extrapolate=False)
    memory = LDD(**params).fit(L)
    lazy = LDD(**params).fit(da.from_array(L, chunks=(40, 10)))
    assert lazy.n_iter_ == memory.n_iter_
    np.testing.assert_allclose(lazy.dictionary_.compute(), memory.dictionary_, rtol=0, atol=1e-8)


def test_kmeans_on_dask_refuses_a_callable_init():
    X = da.from_array(_data(np.float64), chunks=(60, 6))
    with pytest.raises(ValueError, match="callable"):
        KMeans(3, init=lambda X, k, random_state: X[:k]).fit(X)
