"""HDBSCAN at scale: bytes per point of a fit, float32 input, finite soft clustering, the Dask route."""
import subprocess
import sys
import warnings

import dask.array as da
import hdbscan
import numpy as np
import pytest
from sklearn.datasets import make_blobs

import losslens
from losslens import _core
from losslens.hdbscan import fit_sample_predict

# Peak resident memory of one k-d tree fit of 2·10⁵ points beyond its input, in B/point, by features
# and dtype (docs/hdbscan.md: 148, 185, 173 and 204 measured; the target is 200 at 10⁶ points,
# where the search threads' fixed 9 MB of buffers weigh 5 times less than here). A float32 input
# widened to a float64 copy would add 8 B per feature; above 16 features a centred float64 copy for
# the blocked search added 8 B per feature (579 B/point at 32 features) and float64 keys 64 more.
MEMORY_BUDGETS = [(2, "float64", 160), (8, "float64", 200), (8, "float32", 190), (32, "float32", 215)]

_MEMORY_CHILD = """
import sys
import numpy as np
from sklearn.datasets import make_blobs
import losslens
X = make_blobs(200_000, n_features=int(sys.argv[1]), centers=20, random_state=0)[0].astype(sys.argv[2])
losslens.HDBSCAN(min_cluster_size=50).fit(X[:5000])   # libraries and thread team loaded outside the measure
def status(key):
    return int([l for l in open("/proc/self/status") if l.startswith(key)][0].split()[1]) * 1024
open("/proc/self/clear_refs", "w").write("5")   # resets the peak to the current size
before = status("VmRSS")
losslens.HDBSCAN(min_cluster_size=50).fit(X)
print(status("VmHWM") - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize("n_features, dtype, budget", MEMORY_BUDGETS)
def test_fit_of_200k_points_stays_within_its_memory_budget(n_features, dtype, budget):
    peak = int(subprocess.run([sys.executable, "-c", _MEMORY_CHILD, str(n_features), dtype], capture_output=True,
                              text=True, check=True).stdout.split()[-1])
    # Before these budgets the 2-feature fit took ~1070 B/point (a k+2 neighbour table of 16-byte
    # entries), then ~230 (condensed-tree buffers for 2n + 1 rows, a second copy of the MST, freed
    # heap kept); the 8-feature float32 fit ~290 (a float64 copy of the input).
    assert peak / 200_000 <= budget


def test_condensing_takes_the_sorted_mst_into_buffers_sized_at_the_row_bound():
    X = make_blobs(3000, n_features=2, centers=5, random_state=2)[0]
    model = losslens.HDBSCAN(min_cluster_size=40).fit(X)
    mst, n = model.minimum_spanning_tree_, X.shape[0]
    linkage, (parent, child, lambda_val, child_size) = _core.hdbscan_condense(mst, 40)
    np.testing.assert_array_equal(linkage, model.single_linkage_tree_)
    np.testing.assert_array_equal(child, model.condensed_tree_["child"])
    # The rows are views of buffers of min(2n + 1, n + 2⌊n / min_cluster_size⌋ + 2) rows, not 2n + 1.
    assert parent.base.shape == (n + 2 * (n // 40) + 2,)
    unsorted = mst[::-1].copy()
    with pytest.raises(ValueError, match="sorted by weight"):
        _core.hdbscan_condense(unsorted, 40)
    cycle = mst.copy()
    cycle[-1, :2] = cycle[0, :2]   # the heaviest edge repeats the lightest: a cycle, one point left out
    with pytest.raises(ValueError, match="does not span"):
        _core.hdbscan_condense(cycle, 40)


def test_hierarchy_of_300k_points_equals_the_package_on_one_and_two_threads():
    # Large enough that the selection checks, labels and scores its rows in parallel parts.
    from hdbscan._hdbscan_linkage import label
    from hdbscan._hdbscan_tree import compute_stability, condense_tree, get_clusters, outlier_scores

    X = make_blobs(300_000, n_features=2, centers=20, random_state=3)[0]
    mst = losslens.HDBSCAN(min_cluster_size=50).fit(X).minimum_spanning_tree_
    n = X.shape[0]
    linkage, columns = _core.hdbscan_condense(mst, 50)
    reference_linkage = label(mst)
    np.testing.assert_array_equal(linkage, reference_linkage)
    reference = condense_tree(reference_linkage, 50)
    for name, ours in zip(("parent", "child", "lambda_val", "child_size"), columns):
        np.testing.assert_array_equal(ours, reference[name])
    labels, probabilities, _ = get_clusters(reference, compute_stability(reference))
    scores = outlier_scores(reference)
    assert labels.max() >= 10
    for threads in (1, 2):
        ours = _core.hdbscan_select(*columns, n, True, 0.0, 0, False, threads)
        np.testing.assert_array_equal(ours[0], labels)
        np.testing.assert_array_equal(ours[1], probabilities)
        np.testing.assert_array_equal(ours[2], scores)
    parent, child, lambda_val, child_size = (c.copy() for c in columns)
    point_rows = np.flatnonzero(child < n)
    child[point_rows[-1]] = child[point_rows[0]]
    with pytest.raises(ValueError, match=f"row {point_rows[-1]} repeats point {child[point_rows[0]]}"):
        _core.hdbscan_select(parent, child, lambda_val, child_size, n, True, 0.0, 0, False, 2)


@pytest.mark.parametrize("n_features", [2, 8, 24])
def test_float32_input_gives_the_float64_labels_on_well_separated_data(n_features):
    X, _ = make_blobs(6000, n_features=n_features, centers=6, cluster_std=0.6, center_box=(-30, 30),
                      random_state=n_features)
    X32 = X.astype(np.float32)
    ours32 = losslens.HDBSCAN(min_cluster_size=30).fit(X32)
    ours64 = losslens.HDBSCAN(min_cluster_size=30).fit(X)
    assert ours32._algorithm_code(X32) == _core.HDBSCAN_BORUVKA_KDTREE
    assert ours64.labels_.max() >= 4
    np.testing.assert_array_equal(ours32.labels_, ours64.labels_)


def _screening_cases():
    rng = np.random.default_rng(7)
    blobs = make_blobs(5000, n_features=8, centers=5, random_state=3)[0]
    grid = rng.integers(0, 4, size=(5000, 3)).astype(float)          # integer grid: many equal distances
    return {
        "blobs 8-d": blobs,
        "offset 1e4, spread 1e-2": 1e4 + 1e-2 * blobs,                  # large coordinates, small distances
        "tiny 1e-21": 1e-21 * blobs,                                     # squared distances below float32's normal range
        "huge 1e19": 1e19 * blobs,                                       # squared distances beyond float32's range
        "grid with duplicates": grid,
        "16 features": make_blobs(5000, n_features=16, centers=4, random_state=4)[0],
    }


@pytest.mark.parametrize("case", list(_screening_cases()))
# HDBSCAN [core distance]
def test_float32_screened_search_gives_the_float64_core_distances_and_tree(case):
    # The k-d tree screens float32 candidates in single precision and measures the ones that pass
    # exactly: core distances and tree weights equal the float64 fit of the same values bit for bit.
    X32 = _screening_cases()[case].astype(np.float32)
    assert np.isfinite(X32).all()
    for min_samples in (1, 7, 50):
        core32, mst32 = _core.hdbscan_mst(X32, _core.HDBSCAN_EUCLIDEAN, 2.0, min_samples, 1.0,
                                          _core.HDBSCAN_BORUVKA_KDTREE, 2)
        core64, mst64 = _core.hdbscan_mst(X32.astype(np.float64), _core.HDBSCAN_EUCLIDEAN, 2.0, min_samples, 1.0,
                                          _core.HDBSCAN_BORUVKA_KDTREE, 2)
        np.testing.assert_array_equal(core32, core64)
        np.testing.assert_array_equal(mst32, mst64)
    exact = losslens.HDBSCAN(algorithm="prims", min_samples=7).fit(X32.astype(np.float64))
    np.testing.assert_array_equal(losslens.HDBSCAN(min_samples=7).fit(X32).core_distances_, exact.core_distances_)


def _projection_cases():
    blobs = make_blobs(3000, n_features=24, centers=6, cluster_std=1.5, random_state=5)[0]
    rng = np.random.default_rng(0)
    duplicates = np.vstack([np.tile(rng.normal(size=24), (3000, 1)), 3 * rng.normal(size=(500, 24))])
    return {
        "blobs": blobs, "blobs 1e-150": 1e-150 * blobs, "blobs 1e150": 1e150 * blobs,
        "blobs float32": blobs.astype(np.float32), "blobs 1e-30 float32": (1e-30 * blobs).astype(np.float32),
        "blobs 1e30 float32": (1e30 * blobs).astype(np.float32),
        "3000 equal points": duplicates,   # one leaf of equal keys, larger than a block of the search
    }


@pytest.mark.parametrize("case", list(_projection_cases()))
# HDBSCAN [core distance]
def test_projected_keys_rounded_to_float32_keep_the_exact_core_distances_and_tree(case):
    # Above 16 features the k-d tree's boxes bound projections on principal axes, stored as float32
    # fractions of a power of two with a slack for their rounding; the blocked search centres each
    # block of candidates itself. Both must leave the exhaustive search's results unchanged at any
    # scale (before, products of coordinates of 1e-150 underflowed and crashed the search).
    X = _projection_cases()[case]
    assert np.isfinite(X).all()
    for min_samples in (7, 50):
        core, mst = _core.hdbscan_mst(X, _core.HDBSCAN_EUCLIDEAN, 2.0, min_samples, 1.0,
                                      _core.HDBSCAN_BORUVKA_KDTREE, 2)
        exact_core, exact_mst = _core.hdbscan_mst(X.astype(np.float64), _core.HDBSCAN_EUCLIDEAN, 2.0, min_samples,
                                                  1.0, _core.HDBSCAN_PRIM, 2)
        np.testing.assert_array_equal(core, exact_core)
        np.testing.assert_array_equal(np.sort(mst[:, 2]), np.sort(exact_mst[:, 2]))


def _duplicated_blobs():
    # 30 distinct points, each 20 times: core distances 0 and λ = ∞ for every point.
    return np.repeat(make_blobs(30, centers=3, cluster_std=0.3, random_state=1)[0], 20, axis=0)


# HDBSCAN [soft clustering]
def test_membership_vectors_are_finite_where_the_package_gives_nan():
    X = _duplicated_blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = hdbscan.HDBSCAN(algorithm="prims_kdtree", prediction_data=True, min_cluster_size=15).fit(X)
        ref_all, ref_new = hdbscan.all_points_membership_vectors(ref), hdbscan.membership_vector(ref, X[:30])
    assert np.isnan(ref_all).all() and np.isnan(ref_new).all()
    ours = losslens.HDBSCAN(min_cluster_size=15).fit(X)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    for vectors in (ours.all_points_membership_vectors(), ours.membership_vector(X[:30])):
        assert np.isfinite(vectors).all()
        assert (vectors >= 0).all() and (vectors.sum(axis=1) <= 1 + 1e-12).all()
    # Every point sits on its own cluster's exemplars: that cluster gets its largest share.
    all_points = ours.all_points_membership_vectors()
    clustered = ours.labels_ >= 0
    np.testing.assert_array_equal(np.argmax(all_points[clustered], axis=1), ours.labels_[clustered])


def _blobs(n):
    return make_blobs(n, n_features=2, centers=6, cluster_std=0.5, random_state=3)[0]


def test_dask_fit_of_data_that_fits_equals_the_in_memory_fit():
    X = _blobs(6000)
    exact = losslens.HDBSCAN(min_cluster_size=40).fit(X)
    lazy = losslens.HDBSCAN(min_cluster_size=40).fit(da.from_array(X, chunks=(1300, 2)))
    np.testing.assert_array_equal(lazy.labels_.compute(), exact.labels_)
    np.testing.assert_array_equal(lazy.probabilities_.compute(), exact.probabilities_)
    np.testing.assert_array_equal(lazy.condensed_tree_, exact.condensed_tree_)


def test_dask_sample_route_is_the_sample_fit_plus_approximate_predict_of_the_rest():
    X = _blobs(6000)
    model = fit_sample_predict(losslens.HDBSCAN(min_cluster_size=40), da.from_array(X, chunks=(1300, 2)),
                               sample_size=2500, random_state=7)
    labels, probabilities = model.labels_.compute(), model.probabilities_.compute()
    sample = model.sample_indices_
    assert sample.shape == (2500,) and np.all(np.diff(sample) > 0)
    on_sample = losslens.HDBSCAN(min_cluster_size=40).fit(X[sample])
    np.testing.assert_array_equal(labels[sample], on_sample.labels_)
    np.testing.assert_array_equal(probabilities[sample], on_sample.probabilities_)
    rest = np.setdiff1d(np.arange(X.shape[0]), sample)
    rest_labels, rest_probabilities = on_sample.approximate_predict(X[rest])
    np.testing.assert_array_equal(labels[rest], rest_labels)
    np.testing.assert_array_equal(probabilities[rest], rest_probabilities)


def test_dask_route_rejects_bad_arguments_naming_them():
    X = da.from_array(_blobs(600), chunks=(200, 2))
    with pytest.raises(ValueError, match="sample_size"):
        fit_sample_predict(losslens.HDBSCAN(), X, sample_size=1)
    with pytest.raises(ValueError, match="metric"):
        fit_sample_predict(losslens.HDBSCAN(metric="manhattan"), X, sample_size=100)
    with pytest.raises(TypeError, match="dask array"):
        fit_sample_predict(losslens.HDBSCAN(), _blobs(600))
