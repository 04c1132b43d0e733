"""Building blocks of `losslens demo`: IDX reading, the MNIST split, loss recording, the training
schedule, forgetting/EL2N scores, counterfactual domain removal, pruning selection and statistics."""
import copy
import gzip
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_digits

torch = pytest.importorskip("torch")

from losslens.demo import PruningResult, load_mnist_data, mean_interval, read_idx, select, verdict  # noqa: E402
from losslens.demo._cli import main  # noqa: E402
from losslens.demo._counterfactual import domain_contributions  # noqa: E402
from losslens.demo._data import load_digits_data  # noqa: E402
from losslens.demo._train import (TrainConfig, batch_schedule, el2n_scores, forgetting_counts,  # noqa: E402
                                  new_model, sgd_step)
from losslens.torch import per_sample_losses, record_losses  # noqa: E402


def write_idx(path, array, type_code=0x08, compress=False):
    header = bytes([0, 0, type_code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    with (gzip.open if compress else open)(path, "wb") as handle:
        handle.write(payload)


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip(tmp_path, rng, compress):
    images = rng.integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    path = tmp_path / ("x.idx" + (".gz" if compress else ""))
    write_idx(path, images, compress=compress)
    np.testing.assert_array_equal(read_idx(path), images)
    ints = rng.integers(-1000, 1000, size=9).astype(np.int32)
    write_idx(tmp_path / "i.idx", ints, type_code=0x0C)
    np.testing.assert_array_equal(read_idx(tmp_path / "i.idx"), ints)


def test_read_idx_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="magic"):
        read_idx(tmp_path / "bad")
    write_idx(tmp_path / "short", np.zeros((3, 2), dtype=np.uint8))
    truncated = (tmp_path / "short").read_bytes()[:-1]
    (tmp_path / "short").write_bytes(truncated)
    with pytest.raises(ValueError, match="bytes"):
        read_idx(tmp_path / "short")


def test_load_mnist_split_follows_the_paper(tmp_path, rng):
    images = rng.integers(0, 256, size=(50, 28, 28), dtype=np.uint8)
    labels = (np.arange(50) % 10).astype(np.uint8)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images, compress=True)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels, compress=True)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images[:20])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels[:20])
    data = load_mnist_data(tmp_path, n_train=30, n_val=5)
    np.testing.assert_allclose(data.X_train[:, 0], images[:30] / 255.0, rtol=1e-6)
    np.testing.assert_allclose(data.X_val[:, 0], images[30:35] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(data.y_test, labels[:20])
    assert data.X_train.dtype == np.float32 and data.n_classes == 10
    with pytest.raises(ValueError, match="hold 50 images, fewer than n_train [+] n_val = 45 [+] 10 = 55"):
        load_mnist_data(tmp_path, n_train=45, n_val=10)
    with pytest.raises(FileNotFoundError):
        load_mnist_data(tmp_path / "nowhere")


def test_digits_split_is_stratified_and_disjoint():
    data = load_digits_data(random_state=0)
    assert (len(data.y_train), len(data.y_val), len(data.y_test)) == (1197, 300, 300)
    assert np.bincount(data.y_val).min() >= 29 and np.bincount(data.y_test).min() >= 29
    flat = np.concatenate([data.X_train, data.X_val, data.X_test]).reshape(1797, -1).astype(np.float64)
    full = load_digits().data / 16.0  # the three splits together are the whole set, each image once
    np.testing.assert_allclose(flat[np.lexsort(flat.T)], full[np.lexsort(full.T)], rtol=1e-7)


def test_per_sample_losses_match_log_softmax_and_restore_mode(rng):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 4))
    model.train()
    X = rng.normal(size=(11, 2, 3)).astype(np.float32)
    y = rng.integers(0, 4, size=11)
    losses, predictions = per_sample_losses(model, X, y, batch_size=4, return_predictions=True)
    W = model[1].weight.detach().numpy().astype(np.float64)
    b = model[1].bias.detach().numpy().astype(np.float64)
    logits = X.reshape(11, 6) @ W.T + b
    log_softmax = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True)) \
        - logits.max(1, keepdims=True)
    np.testing.assert_allclose(losses, -log_softmax[np.arange(11), y], rtol=1e-5)
    np.testing.assert_array_equal(predictions, logits.argmax(1))
    assert model.training and losses.dtype == np.float32

    class Recorder(list):
        pass

    recorder = Recorder()
    record_losses(recorder, model, X, y)
    np.testing.assert_array_equal(recorder[0], losses)
    with pytest.raises(ValueError, match="length"):
        per_sample_losses(model, X, y[:5])


def test_per_sample_losses_on_threads_equal_one_thread_in_order(rng):
    data = load_digits_data()
    model = new_model(data, seed=3)
    X, y = data.X_train[:200], data.y_train[:200]
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        expected = per_sample_losses(model, X, y, batch_size=16, return_predictions=True)
        torch.set_num_threads(2)
        for n_threads in (2, 3):
            result = per_sample_losses(model, X, y, batch_size=16, n_threads=n_threads, return_predictions=True)
            np.testing.assert_array_equal(result[0], expected[0])
            np.testing.assert_array_equal(result[1], expected[1])
            assert torch.get_num_threads() == 2 and torch.is_grad_enabled()
    finally:
        torch.set_num_threads(threads)
    with pytest.raises(ValueError, match="n_threads"):
        per_sample_losses(model, X, y, n_threads=0)
    with pytest.raises(ValueError, match="batch_size"):
        per_sample_losses(model, X, y, batch_size=2.5)


def test_batch_schedule_reshuffles_whole_epochs():
    schedule = batch_schedule(12, 4, 9, seed=3)
    assert schedule.shape == (9, 4)
    for epoch in schedule.reshape(3, 12):
        np.testing.assert_array_equal(np.sort(epoch), np.arange(12))
    small = batch_schedule(3, 24, 5, seed=0)
    assert small.shape == (5, 3) and all(sorted(row) == [0, 1, 2] for row in small)


def test_forgetting_counts_by_hand():
    correct = np.array([[0, 1, 0, 1],
                        [1, 0, 0, 1],
                        [0, 1, 0, 1],
                        [1, 0, 0, 1]], dtype=bool)
    # sample 0: 1->0 once; sample 1: 1->0 twice; sample 2 never learned: max + 1 = 3; sample 3: 0
    np.testing.assert_array_equal(forgetting_counts(correct), [1, 2, 3, 0])


def test_el2n_scores_match_numpy(rng):
    data = load_digits_data()
    model = new_model(data, seed=1)
    X, y = data.X_train[:50], data.y_train[:50]
    with torch.no_grad():
        logits = model(torch.from_numpy(X)).numpy().astype(np.float64)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(el2n_scores(model, X, y), np.linalg.norm(p - np.eye(10)[y], axis=1), rtol=1e-5)


def test_sgd_step_accumulates_the_mean_gradient_of_the_whole_batch():
    data = load_digits_data()
    X, y = torch.from_numpy(data.X_train[:300]), torch.from_numpy(data.y_train[:300])
    chunked, whole = new_model(data, seed=2), new_model(data, seed=2)
    sgd_step(chunked, torch.optim.SGD(chunked.parameters(), lr=0.1), X, y)  # five chunks of 60
    whole_optimizer = torch.optim.SGD(whole.parameters(), lr=0.1)
    torch.nn.functional.cross_entropy(whole(X), y).backward()
    whole_optimizer.step()
    for (name, a), b in zip(chunked.named_parameters(), whole.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-7, err_msg=name)
    assert not torch.equal(next(chunked.parameters()), next(new_model(data, seed=2).parameters()))


def _naive_contribution(data, config, schedule, seed, members, t):
    """Rebuild θ(t) by training from scratch, then compare the two branches of step t."""
    model = new_model(data, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    for batch in schedule[:t]:
        sgd_step(model, optimizer, X[batch], y[batch])
    branch = copy.deepcopy(model)
    branch_optimizer = torch.optim.Adam(branch.parameters(), lr=config.lr)
    branch_optimizer.load_state_dict(copy.deepcopy(optimizer.state_dict()))
    kept = [i for i in schedule[t] if not members[i]]
    sgd_step(branch, branch_optimizer, X[kept], y[kept])
    sgd_step(model, optimizer, X[schedule[t]], y[schedule[t]])
    val = [per_sample_losses(m, data.X_val, data.y_val).mean(dtype=np.float64) for m in (branch, model)]
    return val[0] - val[1]


def test_counterfactual_removal_matches_naive_retraining():
    torch.set_num_threads(1)
    data = load_digits_data()
    config = TrainConfig(steps=4, batch_size=16, lr=1e-3)
    schedule = batch_schedule(len(data.y_train), config.batch_size, config.steps, seed=5)
    members = np.zeros((2, len(data.y_train)), dtype=bool)
    members[1, data.y_train == 3] = True  # domain 2: every "3"; domain 1: nobody
    contributions, removed = domain_contributions(data, config, schedule, 5, members, show_progress=False)
    np.testing.assert_array_equal(contributions[0], 0.0)
    np.testing.assert_array_equal(removed[0], 0)
    np.testing.assert_array_equal(removed[1], [(data.y_train[b] == 3).sum() for b in schedule])
    for t in range(config.steps):
        if removed[1, t]:
            assert contributions[1, t] != 0.0
            expected = _naive_contribution(data, config, schedule, 5, members[1], t)
            assert contributions[1, t] == pytest.approx(expected, abs=1e-6)


def test_select_baselines_pick_the_top_scores():
    scores = np.array([0.1, 0.9, 0.5, 0.9, 0.2, 0.7])
    np.testing.assert_array_equal(select("EL2N", 3, 0, None, scores, None), [1, 3, 5])
    forgetting = np.array([0, 2, 2, 2, 1, 0])
    kept = select("forgetting", 2, 0, None, scores, forgetting)
    assert len(kept) == 2 and set(kept) <= {1, 2, 3}
    random = select("random", 4, 7, None, scores, forgetting)
    assert len(np.unique(random)) == 4 and random.max() < 6
    np.testing.assert_array_equal(random, select("random", 4, 7, None, scores, forgetting))
    with pytest.raises(ValueError, match="unknown"):
        select("GraNd", 2, 0, None, scores, forgetting)


def test_mean_interval_matches_scipy(rng):
    values = rng.normal(size=7)
    mean, half = mean_interval(values)
    low, high = stats.t.interval(0.95, 6, loc=values.mean(), scale=stats.sem(values))
    assert mean == pytest.approx(values.mean()) and half == pytest.approx((high - low) / 2)
    assert mean_interval([0.5]) == (0.5, 0.0)


def test_pruning_verdicts_are_paired_by_seed():
    acc = np.zeros((4, 2, 3))
    acc[0] = [[0.80, 0.70, 0.90], [0.5, 0.6, 0.7]]          # multiplicity
    acc[1] = [[0.79, 0.69, 0.89], [0.5, 0.65, 0.6]]         # random: always 0.01 lower at budget 0
    result = PruningResult((0.02, 0.05), ("multiplicity", "random", "EL2N", "forgetting"), (0, 1, 2),
                           acc, np.ones(3))
    first, second = result.rows()
    assert first["difference"][0] == pytest.approx(0.01) and first["verdict"] == "beats random"
    assert second["verdict"] == "no significant difference"


@pytest.mark.parametrize("difference, half_width, n_seeds, expected", [
    (0.02, 0.01, 10, "beats random"),
    (-0.158, 0.034, 10, "loses to random"),        # the 2% row: the interval excludes 0
    (-0.037, 0.028, 10, "loses to random"),
    (0.011, 0.019, 10, "no significant difference"),  # "beats random (within noise)" before: the CI holds 0
    (-0.005, 0.006, 10, "no significant difference"),
    (0.01, 0.01, 10, "no significant difference"),   # the interval's end touches 0
    (0.0, 0.0, 10, "no significant difference"),
    (0.3, 0.0, 1, "no significant difference"),      # one seed: no interval
])
def test_verdict_wording_from_intervals(difference, half_width, n_seeds, expected):
    assert verdict(difference, half_width, n_seeds) == expected


def _mnist_files(directory, rng, n_images=80, compress=False):
    images = rng.integers(0, 256, size=(n_images, 28, 28), dtype=np.uint8)
    labels = (np.arange(n_images) % 10).astype(np.uint8)
    suffix = ".gz" if compress else ""
    write_idx(directory / f"train-images-idx3-ubyte{suffix}", images, compress=compress)
    write_idx(directory / f"train-labels-idx1-ubyte{suffix}", labels, compress=compress)
    write_idx(directory / "t10k-images-idx3-ubyte", images[:20])
    write_idx(directory / "t10k-labels-idx1-ubyte", labels[:20])
    return images, labels


def test_cli_n_train_n_val_choose_the_split_of_generated_idx_files(tmp_path, rng, capsys):
    images, _ = _mnist_files(tmp_path, rng, compress=True)
    out = tmp_path / "report"
    assert main(["demo", "--mnist", str(tmp_path), "--n-train", "50", "--n-val", "10", "--steps", "5",
                 "--domains", "2", "--sections", "ldd", "--no-progress", "--out", str(out)]) == 0
    with np.load(out / "arrays.npz") as stored:
        arrays = dict(stored)
    assert arrays["losses"].shape == (50, 6)  # 50 reference images, steps + 1 checkpoints
    np.testing.assert_array_equal(arrays["labels"], np.arange(50) % 10)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "50 reference (training), 10 validation, 20 test images of 28x28 pixels" in html
    assert "batch 10, 5 optimisation steps" in html  # one epoch: 50 images / 5 steps
    assert "Data pruning" not in html and "t-SNE" not in html
    assert "Eq. (8) check" in html and "tolerance 5%" in html
    for argv, fragment in ((["--n-train", "75", "--n-val", "10"], "holds 80 images, fewer than --n-train 75 + --n-val 10"),
                           (["--n-val", "10"], "fewer than --n-train 30000 + --n-val 10"),
                           (["--n-train", "0"], "--n-train must be at least 1")):
        with pytest.raises(SystemExit) as exit_info:
            main(["demo", "--mnist", str(tmp_path), *argv, "--out", str(out)])
        assert exit_info.value.code == 2 and fragment in capsys.readouterr().err


def test_cli_rejects_unknown_sections_and_split_without_mnist(capsys):
    for argv, fragment in ((["demo", "--sections", "ldd,pruning,figure9"], "unknown section(s) figure9"),
                           (["demo", "--n-train", "100"], "--n-train and --n-val need --mnist")):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2 and fragment in capsys.readouterr().err


def test_cli_rejects_bad_options(capsys):
    for argv in (["demo", "--steps", "0"], ["demo", "--alpha", "-1"], ["demo", "--mnist", "a", "--losses", "b"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    assert "--steps must be at least 1" in capsys.readouterr().err


def test_plain_import_does_not_import_torch():
    code = "import sys, losslens, losslens.demo; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_estimate_counts_every_retrain_the_pruning_section_runs(monkeypatch):
    from losslens import LDD
    from losslens.demo import _pruning
    from losslens.demo._estimate import Probe, estimate, retrains_per_seed
    from losslens.demo._run import COUNTERFACTUAL_STAGE, PRUNING_STAGE, RECORDING_STAGE, DemoOptions

    data = load_digits_data()
    options = DemoOptions(n_seeds=2, n_workers=2, sections=("ldd", "pruning")).resolve()
    config = TrainConfig(options.steps, options.batch_size, options.lr)
    losses = np.cumsum(np.random.default_rng(0).random((len(data.y_train), 24)), axis=1)[:, ::-1].copy()
    ldds = {k: LDD(n_domains=k, random_state=0, max_iter=5).fit(losses) for k in options.domain_counts}
    jobs = []

    def count(data, config, batch, n_workers, show_progress, desc):
        jobs.extend(batch)
        return np.zeros(len(batch))

    monkeypatch.setattr(_pruning, "retrain_accuracies", count)
    seeds = (0, 1)
    rng = np.random.default_rng(1)
    result = _pruning.pruning_experiment(data, config, options.fractions, seeds, ldds[options.domains],
                                         rng.random(len(data.y_train)), rng.integers(0, 5, len(data.y_train)))
    _pruning.domain_count_experiment(data, config, options.domain_count_fraction, seeds, ldds, result)
    assert len(jobs) == len(seeds) * retrains_per_seed(options, len(_pruning.METHODS)) == 2 * 21

    costs = Probe(image_threads=1e-3, step_threads=0.1, image_single=2e-3, step_single=0.3)
    seconds = estimate(costs, options, data)
    assert set(seconds) == {RECORDING_STAGE, PRUNING_STAGE}
    n_images = len(data.y_train) + len(data.y_val)
    assert seconds[RECORDING_STAGE] == pytest.approx((options.steps + 1) * n_images * 1e-3 + options.steps * 0.1
                                                     + len(data.y_test) * 1e-3)
    assert seconds[PRUNING_STAGE] == pytest.approx(21 * (options.steps * 0.3 + len(data.y_test) * 2e-3))
    options.sections = ("counterfactual",)
    assert estimate(costs, options, data)[COUNTERFACTUAL_STAGE] == pytest.approx(
        options.steps * 11 * (0.1 + len(data.y_val) * 1e-3))
