"""Data pruning by domain multiplicity against random, EL2N and forgetting-count selection (section 5.4)."""
from dataclasses import dataclass

import numpy as np
from ._progress import progress

#: Selection methods in report order.
METHODS = ("multiplicity", "random", "EL2N", "forgetting")


def _top_scores(scores, n_keep, rng):
    """Indices of the ``n_keep`` largest scores, ties broken at random."""
    order = np.lexsort((rng.random(len(scores)), -np.asarray(scores, dtype=float)))
    return np.sort(order[:n_keep])


def select(method, n_keep, seed, ldd, el2n, forgetting):
    """Indices of the ``n_keep`` reference samples kept by ``method``.

    multiplicity: sampled without replacement with probability proportional to m_i (LDD eq. (12),
    ``LDD.prune``); random: uniform without replacement; EL2N: largest early-training EL2N
    scores (Paul et al., 2021); forgetting: most forgetting events (Toneva et al., 2019).
    """
    rng = np.random.default_rng(seed)
    if method == "multiplicity":
        return np.sort(np.asarray(ldd.prune(n_keep, random_state=seed)))
    if method == "random":
        return np.sort(rng.choice(len(el2n), n_keep, replace=False))
    if method == "EL2N":
        return _top_scores(el2n, n_keep, rng)
    if method == "forgetting":
        return _top_scores(forgetting, n_keep, rng)
    raise ValueError(f"unknown selection method {method!r}; expected one of {METHODS}")


def mean_interval(values, confidence=0.95):
    """Mean and half-width of its Student-t confidence interval (0 for a single value)."""
    from scipy import stats

    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float(values.mean()), 0.0
    sem = values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean()), float(stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * sem)


@dataclass
class PruningResult:
    """Test accuracies: ``accuracy[m, b, s]`` for method m, budget b, seed s; ``full[s]`` on all data."""

    fractions: tuple
    methods: tuple
    seeds: tuple
    accuracy: np.ndarray
    full: np.ndarray

    def rows(self):
        """Table rows: per budget, mean and 95% half-width per method and the multiplicity − random gap.

        The difference is paired by seed (same initialisation and mini-batch order per seed);
        ``verdict`` says whether multiplicity is above or below random and whether the 95%
        interval of the paired difference excludes zero.
        """
        m, r = self.methods.index("multiplicity"), self.methods.index("random")
        rows = []
        for b, fraction in enumerate(self.fractions):
            summary = {name: mean_interval(self.accuracy[i, b]) for i, name in enumerate(self.methods)}
            diff, half = mean_interval(self.accuracy[m, b] - self.accuracy[r, b])
            direction = "beats" if diff > 0 else ("ties" if diff == 0 else "loses to")
            significant = abs(diff) > half and len(self.seeds) > 1
            verdict = f"{direction} random" + ("" if direction == "ties" else
                                               (" (95% CI excludes 0)" if significant else " (within noise)"))
            rows.append({"fraction": fraction, "summary": summary, "difference": (diff, half), "verdict": verdict})
        return rows


def pruning_experiment(data, config, fractions, seeds, ldd, el2n, forgetting, methods=METHODS,
                       show_progress=True):
    """Retrain on each budget chosen by each method, same number of steps, one run per seed.

    Seed s gives every method the same network initialisation and mini-batch randomness, so the
    comparison is paired; the full-data run per seed is the reference line.
    """
    from ._train import accuracy, train

    n = len(data.y_train)
    acc = np.empty((len(methods), len(fractions), len(seeds)))
    full = np.empty(len(seeds))
    bar = progress(total=acc.size + len(seeds), enabled=show_progress, desc="pruning retrains")
    for s, seed in enumerate(seeds):
        full[s] = accuracy(train(data, np.arange(n), config, seed), data.X_test, data.y_test)
        bar.update()
        for b, fraction in enumerate(fractions):
            n_keep = max(1, int(round(fraction * n)))
            for i, method in enumerate(methods):
                kept = select(method, n_keep, seed, ldd, el2n, forgetting)
                acc[i, b, s] = accuracy(train(data, kept, config, seed), data.X_test, data.y_test)
                bar.update()
    bar.close()
    return PruningResult(tuple(fractions), tuple(methods), tuple(seeds), acc, full)
