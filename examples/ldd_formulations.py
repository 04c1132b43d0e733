"""Reproduce docs/ldd.md's formulation x refit table: eq. (8), reconstruction error, top-10 purity, planted recovery.

    python examples/ldd_formulations.py                      # digits: records the `make demo` run first (~1 min)
    python examples/ldd_formulations.py --mnist DIR --n-train 3000 --n-val 300   # an MNIST-format folder
"""
import argparse
import sys
from pathlib import Path

import numpy as np

import losslens
from losslens.demo import TrainConfig, load_digits_data, load_mnist_data, record_training

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python" / "tests"))
from test_ldd import planted_exclusive  # noqa: E402

COMBINATIONS = [(f, r) for f in ("paper", "authors") for r in ("none", "least_squares", "loss_sum")]


def recorded_losses(args):
    """The demo's recorded loss matrix and labels (digits preset, or the paper's protocol on --mnist)."""
    import torch

    torch.set_num_threads(1)
    if args.mnist is None:
        data, config = load_digits_data(random_state=0), TrainConfig(200, 24, 1e-3)
    else:
        data = load_mnist_data(args.mnist, n_train=args.n_train, n_val=args.n_val)
        config = TrainConfig(100, args.n_train // 100, 1e-4)
    recorder = losslens.LossRecorder(len(data.y_train), dtype=np.float32)
    record_training(data, config, recorder, 0, show_progress=False)
    return np.asarray(recorder.losses), data.y_train


def eq8(model, losses):
    """Largest |Σ_k a_k − Σ_i ℓ_i| relative to the largest total loss (LDD eq. (8))."""
    return np.abs(model.loss_sum_residual_).max() / losses.sum(axis=0).max()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path)
    parser.add_argument("--n-train", type=int, default=30_000)
    parser.add_argument("--n-val", type=int, default=3_000)
    args = parser.parse_args()
    losses, labels = recorded_losses(args)
    print("formulation  refit          eq. (8)  rec. error  top-10 purity")
    for formulation, refit in COMBINATIONS:
        model = losslens.LDD(10, alpha=0.01, random_state=0, progress=False, formulation=formulation,
                             refit=refit).fit(losses)
        purity = np.mean([np.bincount(labels[model.top_samples(k, 10)]).max() / 10 for k in range(10)])
        print(f"{formulation:12s} {refit:14s} {100 * eq8(model, losses):6.1f} %  {model.reconstruction_error_:10.3f}"
              f"  {purity:13.2f}")
    print("\nplanted (seeds 0-3): min matched cosine, worst eq. (8)")
    for n, steps, k in ((400, 60, 4), (2000, 80, 6), (6000, 80, 6)):
        for formulation, refit in COMBINATIONS:
            fits = [(losslens.LDD(k, alpha=0.01, random_state=0, progress=False, formulation=formulation,
                                  refit=refit).fit(L), L, D) for L, D, _ in
                    (planted_exclusive(seed, n_samples=n, n_steps=steps, n_domains=k) for seed in range(4))]
            cosine = min(m.match_domains(D)[1].min() for m, _, D in fits)
            print(f"N={n:5d} {formulation:8s} {refit:14s} cosine {cosine:.4f}  eq. (8) "
                  f"{100 * max(eq8(m, L) for m, L, _ in fits):.1f} %")


if __name__ == "__main__":
    main()
