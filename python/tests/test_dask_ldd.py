"""LDD on a dask.array chunked along samples equals the in-memory fit (issue 10)."""
import numpy as np
import pytest
from scipy.stats import chisquare

from losslens import LDD, LossRecorder

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from test_dask import _die_once_after  # noqa: E402
from test_ldd import planted  # noqa: E402

# planted(1) with a fourth, superfluous domain: 30 iterations, 5 of them redraw an unused atom.
# The dask fit runs the plain iteration, so the in-memory fits it is compared with do too.
PARAMS = dict(n_domains=4, alpha=0.1, tol=1e-6, max_iter=60, random_state=0, progress=False, extrapolate=False)
FITTED = ["code_differences_", "domain_losses_", "loss_sum_residual_", "objective_", "reconstruction_error_"]


@pytest.fixture(scope="module")
def losses():
    return planted(1, n_samples=300, n_steps=30, n_domains=3)[0]


@pytest.fixture(scope="module")
def in_memory(losses):
    return LDD(**PARAMS).fit(losses)


def assert_same_fit(lazy, memory, atol=1e-8):
    assert lazy.n_iter_ == memory.n_iter_
    for name in FITTED:
        np.testing.assert_allclose(getattr(lazy, name), getattr(memory, name), rtol=0, atol=atol, err_msg=name)
    np.testing.assert_allclose(lazy.dictionary_.compute(), memory.dictionary_, rtol=0, atol=atol)
    np.testing.assert_allclose(lazy.multiplicity_.compute(), memory.multiplicity_, rtol=0, atol=atol)


@pytest.fixture(scope="module")
def on_cluster(client, losses):
    """The fit on two worker processes (one fit shared by the tests that need it)."""
    return LDD(**PARAMS).fit(da.from_array(losses, chunks=(70, 31)))


# LDD eq. (11)
def test_ldd_eq11_dask_fit_equals_in_memory_fit(on_cluster, losses, in_memory):
    assert isinstance(on_cluster.dictionary_, da.Array) and isinstance(on_cluster.multiplicity_, da.Array)
    assert on_cluster.dictionary_.chunks == ((70, 70, 70, 70, 20), (4,))
    assert on_cluster.multiplicity_.chunks == ((70, 70, 70, 70, 20),)
    assert_same_fit(on_cluster, in_memory)


def test_dask_fit_does_not_depend_on_the_number_of_workers(on_cluster, losses):
    with dask.config.set(scheduler="synchronous"):
        one_thread = LDD(**PARAMS).fit(da.from_array(losses, chunks=(70, 31)))
    for name in FITTED + ["n_iter_"]:
        np.testing.assert_array_equal(getattr(on_cluster, name), getattr(one_thread, name), err_msg=name)
    np.testing.assert_array_equal(on_cluster.dictionary_.compute(), one_thread.dictionary_.compute())


def test_dask_fit_rechunks_to_whole_rows(losses, in_memory):
    with dask.config.set(scheduler="synchronous"):
        uneven = LDD(**PARAMS).fit(da.from_array(losses, chunks=(128, 10)))
    assert uneven.dictionary_.chunks == ((128, 128, 44), (4,))
    assert_same_fit(uneven, in_memory)


def test_dask_fit_differences_and_restarts_equal_in_memory(losses):
    L_delta = losses[:, :-1] - losses[:, 1:]
    params = {**PARAMS, "n_init": 2, "max_iter": 15}
    memory = LDD(**params).fit_differences(L_delta, initial_losses=losses[:, 0])
    plain = LDD(**params).fit_differences(L_delta)
    with dask.config.set(scheduler="synchronous"):
        lazy = LDD(**params).fit_differences(da.from_array(L_delta, chunks=(90, 30)),
                                             initial_losses=da.from_array(losses[:, 0], chunks=50))
        lazy_plain = LDD(**params).fit_differences(da.from_array(L_delta, chunks=(90, 30)))
    assert_same_fit(lazy, memory)
    assert lazy_plain.loss_sum_residual_ is None
    np.testing.assert_allclose(lazy_plain.domain_losses_, plain.domain_losses_, rtol=0, atol=1e-8)


def test_dask_fit_of_float32_losses_on_disk(tmp_path, losses):
    recorder = LossRecorder(len(losses), dtype=np.float32, path=tmp_path / "losses.npy")
    for column in losses.T:
        recorder.append(column)
    recorder.close()
    params = {**PARAMS, "max_iter": 10}
    memory = LDD(**params).fit(LossRecorder.open(tmp_path / "losses.npy"))
    with dask.config.set(scheduler="threads"):
        lazy = LDD(**params).fit(LossRecorder.open(tmp_path / "losses.npy", chunks=64))
    assert_same_fit(lazy, memory)


def test_prune_on_lazy_multiplicity_is_distinct_weighted_and_matches_in_memory(in_memory, losses):
    with dask.config.set(scheduler="synchronous"):
        lazy = LDD(**PARAMS).fit(da.from_array(losses[:60], chunks=(16, 31)))
        memory = LDD(**PARAMS).fit(losses[:60])
        kept = lazy.prune(40, random_state=0)
        assert len(np.unique(kept)) == 40
        np.testing.assert_array_equal(kept, memory.prune(40, random_state=0))
        np.testing.assert_array_equal(lazy.top_samples(2, 7), memory.top_samples(2, 7))
        # One draw is a weighted draw: frequencies follow m_i / sum(m) (chi-square); m_i = 0 is never drawn.
        lazy.multiplicity_ = lazy.multiplicity_.persist()
        draws = 1000
        counts = np.bincount([lazy.prune(1, random_state=seed)[0] for seed in range(draws)], minlength=60)
    expected = draws * lazy.multiplicity_.compute() / lazy.multiplicity_.sum().compute()
    assert counts[expected == 0].sum() == 0
    rare = expected < 5  # pooled, as the chi-square approximation needs
    observed = np.r_[counts[~rare], counts[rare].sum()]
    assert chisquare(observed, np.r_[expected[~rare], expected[rare].sum()]).pvalue > 1e-3


def test_dask_fit_survives_a_killed_worker(client, tmp_path, losses):
    params = {**PARAMS, "max_iter": 8}
    memory = LDD(**params).fit(losses)
    lazy = da.from_array(losses, chunks=(70, 31)).map_blocks(_die_once_after, str(tmp_path), 40, dtype=losses.dtype)
    fitted = LDD(**params).fit(lazy)
    assert (tmp_path / "killed").exists()
    assert_same_fit(fitted, memory)


def test_dask_fit_rejects_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        LDD(2, progress=False).fit(da.from_array(np.array([[1.0, np.nan, 2.0]] * 4), chunks=2))
    with pytest.raises(TypeError, match="real numbers"):
        LDD(2, progress=False).fit(da.from_array(np.array([["a", "b"]] * 3), chunks=2))
    with pytest.raises(ValueError, match="larger than the data allows"):
        LDD(5, progress=False).fit(da.from_array(np.ones((4, 3)), chunks=2))


# LDD eq. (11), footnote 2
@pytest.mark.parametrize("refit", ["none", "loss_sum"])
def test_ldd_authors_dask_fit_equals_in_memory_fit(client, losses, refit):
    """Unit-norm non-negative atoms rescaled onto the simplex: the same iterates, redraws and rescaling."""
    params = {**PARAMS, "formulation": "authors", "refit": refit}
    memory = LDD(**params).fit(losses)
    fitted = LDD(**params).fit(da.from_array(losses, chunks=(70, 31)))
    assert_same_fit(fitted, memory)
    np.testing.assert_allclose(fitted.dictionary_.sum(axis=0).compute(), 1.0, rtol=0, atol=1e-12)  # eq. (10)


def test_ldd_authors_dask_restarts_equal_in_memory_restarts(losses):
    params = {**PARAMS, "formulation": "authors", "n_init": 2, "max_iter": 10}
    memory = LDD(**params).fit(losses)
    with dask.config.set(scheduler="synchronous"):
        fitted = LDD(**params).fit(da.from_array(losses, chunks=(70, 31)))
    assert_same_fit(fitted, memory)

