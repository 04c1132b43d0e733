"""Data pruning by domain multiplicity against random, EL2N and forgetting-count selection (LDD §5.4)."""
from dataclasses import dataclass

import numpy as np

from ._retrain import retrain_accuracies

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


def verdict(difference, half_width, n_seeds):
    """Wording of a paired multiplicity − random difference with its 95% half-width.

    "beats random" / "loses to random" only when the interval excludes 0 (and there are at least
    two seeds to form one), otherwise "no significant difference".
    """
    if n_seeds > 1 and abs(difference) > half_width:
        return "beats random" if difference > 0 else "loses to random"
    return "no significant difference"


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
    ldd: object = None  # the fitted LDD whose multiplicity was sampled
    by_count: object = None  # figure 6b's DomainCountResult, when it ran

    def rows(self):
        """Table rows: per budget, mean and 95% half-width per method and the multiplicity − random gap.

        The difference is paired by seed (same initialisation and mini-batch order per seed);
        ``verdict`` says whether multiplicity is above or below random and whether the 95%
        interval of the paired difference excludes zero (:func:`verdict`).
        """
        m, r = self.methods.index("multiplicity"), self.methods.index("random")
        rows = []
        for b, fraction in enumerate(self.fractions):
            summary = {name: mean_interval(self.accuracy[i, b]) for i, name in enumerate(self.methods)}
            diff, half = mean_interval(self.accuracy[m, b] - self.accuracy[r, b])
            rows.append({"fraction": fraction, "summary": summary, "difference": (diff, half),
                         "verdict": verdict(diff, half, len(self.seeds))})
        return rows

    def random_at(self, fraction):
        """Random selection's accuracies per seed at ``fraction`` (one of ``fractions``)."""
        return self.accuracy[self.methods.index("random"), self.fractions.index(fraction)]


@dataclass
class DomainCountResult:
    """Figure 6b: ``accuracy[j, s]`` after keeping ``fraction`` by multiplicity of the LDD with
    ``n_domains[j]`` domains, seed s; ``random[s]`` the paired random selection at the same budget."""

    fraction: float
    n_domains: tuple
    seeds: tuple
    accuracy: np.ndarray
    random: np.ndarray

    def rows(self):
        """Per K: mean and 95% half-width, the paired difference to random and its :func:`verdict`."""
        rows = []
        for j, k in enumerate(self.n_domains):
            diff, half = mean_interval(self.accuracy[j] - self.random)
            rows.append({"n_domains": k, "summary": mean_interval(self.accuracy[j]), "difference": (diff, half),
                         "verdict": verdict(diff, half, len(self.seeds))})
        return rows


def domain_count_experiment(data, config, fraction, seeds, ldds, pruning, show_progress=True, n_workers=1):
    """Figure 6b: keep ``fraction`` by the multiplicity of each LDD in ``ldds`` (K -> fitted LDD), retrain.

    Seed s is the seed of the figure-6a runs, so a K whose LDD and budget already ran there (``pruning``)
    reuses those accuracies, and random selection at the same budget is the paired reference.
    """
    if fraction not in pruning.fractions:
        raise ValueError(f"fraction {fraction} is not one of the figure-6a budgets {pruning.fractions}")
    n_keep = max(1, int(round(fraction * len(data.y_train))))
    acc = np.empty((len(ldds), len(seeds)))
    new = [(j, s) for j, ldd in enumerate(ldds.values()) if ldd is not pruning.ldd for s in range(len(seeds))]
    fitted = list(ldds.values())
    jobs = [(select("multiplicity", n_keep, seeds[s], fitted[j], None, None), seeds[s]) for j, s in new]
    for (j, s), value in zip(new, retrain_accuracies(data, config, jobs, n_workers, show_progress, "pruning by K")):
        acc[j, s] = value
    for j, ldd in enumerate(fitted):
        if ldd is pruning.ldd:
            acc[j] = pruning.accuracy[pruning.methods.index("multiplicity"), pruning.fractions.index(fraction)]
    return DomainCountResult(fraction, tuple(ldds), tuple(seeds), acc, pruning.random_at(fraction))


def pruning_experiment(data, config, fractions, seeds, ldd, el2n, forgetting, methods=METHODS,
                       show_progress=True, n_workers=1):
    """Retrain on each budget chosen by each method, same number of steps, one run per seed.

    Seed s gives every method the same network initialisation and mini-batch randomness, so the
    comparison is paired; the full-data run per seed is the reference line. ``n_workers`` processes
    share the retrains (the results do not depend on it).
    """
    n = len(data.y_train)
    jobs = [(np.arange(n), seed) for seed in seeds]
    for seed in seeds:
        for fraction in fractions:
            n_keep = max(1, int(round(fraction * n)))
            jobs += [(select(method, n_keep, seed, ldd, el2n, forgetting), seed) for method in methods]
    values = retrain_accuracies(data, config, jobs, n_workers, show_progress, "pruning retrains")
    full = values[:len(seeds)]
    acc = values[len(seeds):].reshape(len(seeds), len(fractions), len(methods)).transpose(2, 1, 0)
    return PruningResult(tuple(fractions), tuple(methods), tuple(seeds), np.ascontiguousarray(acc), full, ldd)
