"""The demo pipeline: record a training run, decompose it with LDD, analyse, write the report."""
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import losslens

from ._data import MNIST_N_TRAIN, MNIST_N_VALIDATION

#: Parts of the report that ``--sections`` chooses from, in report order.
SECTIONS = ("ldd", "tsne", "counterfactual", "pruning", "polca", "dids")

#: Names of the timed stages that ``_estimate`` predicts (the report's timing table shows both).
RECORDING_STAGE = "training with loss recording"
COUNTERFACTUAL_STAGE = "counterfactual domain removal"
PRUNING_STAGE = "pruning retrains"


@dataclass
class DemoOptions:
    """Settings of one demo run (the command-line options; ``None`` picks the preset's value)."""

    out: Path = Path("losslens-report")
    quick: bool = False
    steps: int = None
    domains: int = 10
    alpha: float = 0.01
    seed: int = 0
    mnist: Path = None
    n_train: int = None
    n_val: int = None
    losses: Path = None
    formulation: str = "paper"
    refit: str = "loss_sum"
    sections: tuple = SECTIONS
    batch_size: int = None
    lr: float = None
    n_seeds: int = None
    n_workers: int = None
    fractions: tuple = (0.02, 0.05, 0.10, 0.20)
    domain_counts: tuple = (1, 2, 5, 10, 20)
    domain_count_fraction: float = 0.10
    show_progress: bool = True
    timings: dict = field(default_factory=dict)
    estimates: dict = field(default_factory=dict)

    def resolve(self):
        """Fill unset values from the preset: the paper's protocol on MNIST, a scaled one on digits."""
        if self.mnist is not None:  # section 5.1: 30,000 / 3,000 images, batch 300, 100 steps (one epoch), Adam lr 1e-4
            preset = dict(n_train=MNIST_N_TRAIN, n_val=MNIST_N_VALIDATION, steps=100, lr=1e-4,
                          n_seeds=3 if self.quick else 10)
        elif self.quick:
            preset = dict(steps=60, batch_size=24, lr=1e-3, n_seeds=3)
        else:
            preset = dict(steps=200, batch_size=24, lr=1e-3, n_seeds=10)
        for name, value in preset.items():
            if getattr(self, name) is None:
                setattr(self, name, value)
        if self.n_workers is None:  # spawning workers (torch imports) costs more than the digits' retrains
            from ._retrain import default_workers

            self.n_workers = default_workers() if self.mnist is not None else 1
        if self.batch_size is None:  # MNIST: one epoch in `steps` steps, as 30,000 / 300 = 100 in the paper
            self.batch_size = max(1, self.n_train // self.steps)
        unknown = set(self.sections) - set(SECTIONS)
        if unknown:
            raise ValueError(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
        self.out = Path(self.out)
        return self


class _Stage:
    """Context manager timing one pipeline stage into ``options.timings``."""

    def __init__(self, options, name):
        self.options, self.name = options, name

    def __enter__(self):
        self.start = time.perf_counter()
        if self.options.show_progress:
            print(f"[losslens demo] {self.name} ...", flush=True)

    def __exit__(self, *exc):
        self.options.timings[self.name] = time.perf_counter() - self.start
        return False


def loss_change_embedding(losses, random_state, max_points=5000):
    """t-SNE of the rows of L_Δ (per-sample loss-change trajectories); at most ``max_points`` samples.

    Runs on one thread: on a shared machine OpenMP's spinning threads made it ten times slower.
    Returns the embedding and the indices of the embedded samples.
    """
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    n = len(losses)
    rng = np.random.default_rng(random_state)
    chosen = np.sort(rng.choice(n, max_points, replace=False)) if n > max_points else np.arange(n)
    differences = losses[chosen, :-1] - losses[chosen, 1:]
    with threadpool_limits(1):
        embedding = TSNE(n_components=2, perplexity=min(30.0, (len(chosen) - 1) / 3), init="pca",
                         random_state=random_state).fit_transform(differences.astype(np.float64))
    return embedding, chosen


#: Largest deviation from LDD eq. (8) the report accepts, relative to the largest total loss Σ_i ℓ_i(t).
EQ8_TOLERANCE = 0.05


def eq8_check(ldd, losses):
    """(largest |Σ_k a_k(t) − Σ_i ℓ_i(t)|, that relative to max_t Σ_i ℓ_i(t), pass/fail against EQ8_TOLERANCE)."""
    largest = float(np.abs(ldd.loss_sum_residual_).max())
    relative = largest / max(float(losses.sum(axis=0).max()), np.finfo(float).tiny)
    return largest, relative, relative <= EQ8_TOLERANCE


def fit_ldd(losses, options, n_domains=None):
    """LDD with the demo's K (or ``n_domains``), λ, formulation and refit on the loss matrix L (n_samples,
    n_checkpoints). Fitted once on the recorded run: the retrain seeds of section 5.4 reuse it."""
    return losslens.LDD(n_domains=n_domains or options.domains, alpha=options.alpha, random_state=options.seed,
                        formulation=options.formulation, refit=options.refit,
                        progress=options.show_progress).fit(losses)
