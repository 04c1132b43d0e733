"""Command line: ``losslens demo [options]`` and ``python -m losslens.demo [options]``."""
import argparse
from pathlib import Path

from ..ldd._refit import FORMULATIONS, REFITS
from ._run import SECTIONS


def add_demo_arguments(parser):
    """The demo's options (shared by both entry points)."""
    parser.add_argument("--task", choices=("digits", "addition"), default="digits",
                        help="digits: LDD, POLCA and DIDS on an image classifier; addition: POLCA's hidden carry "
                             "skills in 3-digit addition with a small Transformer (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("losslens-report"),
                        help="output folder for report.html, PNGs and arrays.npz (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer steps and seeds: a smoke run in under two minutes")
    parser.add_argument("--steps", type=int, help="optimisation steps (default: 200 on digits, 60 quick, "
                        "100 on MNIST as in the paper; addition: 1200, 400 quick)")
    parser.add_argument("--domains", type=int, default=10, help="number of learning domains K (default: 10)")
    parser.add_argument("--alpha", type=float, default=0.01, help="L1 weight of LDD in scikit-learn's convention, λ = 2·alpha in eq. 11 (default: 0.01)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--mnist", type=Path, metavar="DIR",
                        help="MNIST-format IDX files in DIR (MNIST, Fashion-MNIST, KMNIST, ...) instead of the bundled "
                        "digits; batch n-train/steps, i.e. one epoch as in the paper")
    source.add_argument("--losses", type=Path, metavar="PATH",
                        help="a recorded loss matrix (.npy, samples × checkpoints): skip training, decompose only")
    parser.add_argument("--n-train", type=int, dest="n_train", help="with --mnist: reference (training) images, the "
                        "first of the IDX training file (default: 30,000 as in the paper)")
    parser.add_argument("--n-val", type=int, dest="n_val", help="with --mnist: validation images, the next ones "
                        "(default: 3,000 as in the paper)")
    parser.add_argument("--formulation", choices=FORMULATIONS, default="paper",
                        help="LDD eq. (11) as printed ('paper', simplex atoms) or as the authors ran it ('authors', "
                        "unit-norm atoms rescaled onto the simplex); see docs/ldd.md (default: %(default)s)")
    parser.add_argument("--refit", choices=REFITS, default="loss_sum",
                        help="code refit on each step's support after the sparse fit (default: %(default)s)")
    parser.add_argument("--sections", type=_sections, default=SECTIONS, metavar="LIST",
                        help=f"comma-separated parts to run, from {','.join(SECTIONS)} (default: all)")
    parser.add_argument("--seeds", type=int, dest="n_seeds", help="pruning retrains per method and budget "
                        "(default: 10, 3 with --quick)")
    parser.add_argument("--jobs", type=int, dest="n_workers", help="processes for the pruning retrains "
                        "(default: 1 on digits, one per core up to 2 with --mnist; results do not depend on it)")
    parser.add_argument("--no-progress", dest="show_progress", action="store_false", help="hide progress bars")
    return parser


def _sections(text):
    chosen = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown section(s) {', '.join(unknown) or '(none given)'}; "
                                         f"choose from {','.join(SECTIONS)}")
    return chosen


def _check_mnist_size(parser, args):
    """A clear error before any work when the IDX files are missing or hold fewer images than asked."""
    from ._data import MNIST_N_TRAIN, MNIST_N_VALIDATION, mnist_training_size

    try:
        available = mnist_training_size(args.mnist)
    except (OSError, ValueError) as error:
        parser.error(f"--mnist {args.mnist}: {error}")
    n_train = MNIST_N_TRAIN if args.n_train is None else args.n_train
    n_val = MNIST_N_VALIDATION if args.n_val is None else args.n_val
    if n_train + n_val > available:
        parser.error(f"--mnist {args.mnist}: the IDX training file holds {available} images, fewer than "
                     f"--n-train {n_train} + --n-val {n_val} = {n_train + n_val}")


def _positive(parser, args):
    if args.mnist is None and (args.n_train is not None or args.n_val is not None):
        parser.error("--n-train and --n-val need --mnist")
    for name in ("steps", "domains", "n_seeds", "n_train", "n_val", "n_workers"):
        value = getattr(args, name)
        if value is not None and value < 1:
            option = {"n_seeds": "seeds", "n_train": "n-train", "n_val": "n-val", "n_workers": "jobs"}.get(name, name)
            parser.error(f"--{option} must be at least 1, got {value}")
    if args.alpha < 0:
        parser.error(f"--alpha must be non-negative, got {args.alpha}")
    if args.mnist is not None:
        _check_mnist_size(parser, args)


def run_from_args(parser, args):
    """Validate the parsed options, run the demo, print its summary."""
    from ._pipeline import run_demo
    from ._run import DemoOptions

    _positive(parser, args)
    if args.task == "addition":
        return _run_addition(parser, args)
    options = DemoOptions(out=args.out, quick=args.quick, steps=args.steps, domains=args.domains,
                          alpha=args.alpha, seed=args.seed, mnist=args.mnist, n_train=args.n_train,
                          n_val=args.n_val, losses=args.losses, formulation=args.formulation, refit=args.refit,
                          sections=args.sections, n_seeds=args.n_seeds, n_workers=args.n_workers,
                          show_progress=args.show_progress)
    print(run_demo(options))
    return 0


def _run_addition(parser, args):
    from ._addition import run_addition_demo

    if args.mnist is not None or args.losses is not None:
        parser.error("--mnist and --losses belong to the digits task, not to --task addition")
    print(run_addition_demo(args.out, quick=args.quick, steps=args.steps, seed=args.seed,
                            show_progress=args.show_progress))
    return 0


def demo_main(argv=None):
    """Entry point of ``python -m losslens.demo``."""
    parser = add_demo_arguments(argparse.ArgumentParser(
        prog="python -m losslens.demo", description="End-to-end training-dynamics report (LDD) on real data."))
    return run_from_args(parser, parser.parse_args(argv))


def main(argv=None):
    """Entry point of the ``losslens`` console script (subcommands; ``demo`` for now)."""
    parser = argparse.ArgumentParser(prog="losslens", description="losslens command line.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = add_demo_arguments(commands.add_parser(
        "demo", help="end-to-end training-dynamics report on real data",
        description="Train the LDD paper's CNN while recording per-sample losses, decompose them into "
                    "learning domains and write report.html; or, with --task addition, reproduce POLCA's "
                    "hidden carry skills in 3-digit addition."))
    args = parser.parse_args(argv)
    return run_from_args(demo, args)

