"""End-to-end training-dynamics report: ``losslens demo`` or ``python -m losslens.demo``.

Trains the LDD paper's simple CNN on scikit-learn's digits (or MNIST) while recording every
reference sample's loss at every step, decomposes the loss matrix into learning domains and
writes report.html: A_Δ, domain loss curves, top images, t-SNE, counterfactual domain
contributions (section 5.3) and data pruning by domain multiplicity (section 5.4).
The building blocks are importable for step-by-step use (see examples/ldd_digits.ipynb);
those that train import torch when called. ``losslens demo --task addition`` instead reproduces
POLCA's hidden carry skills in 3-digit addition with a small Transformer (``_addition*.py``,
docs/polca.md).
"""
from . import _figures as figures
from ._data import ImageData, load_digits_data, load_mnist_data, read_idx
from ._pipeline import run_demo
from ._pruning import (METHODS, DomainCountResult, PruningResult, domain_count_experiment, mean_interval,
                       pruning_experiment, select, verdict)
from ._run import DemoOptions, loss_change_embedding

# These import torch, so they load on first use: `import losslens.demo` stays torch-free.
_TORCH_NAMES = {"SimpleCNN": "_train", "TrainConfig": "_train", "record_training": "_train",
                "train": "_train", "accuracy": "_train", "domain_contributions": "_counterfactual",
                "top_members": "_counterfactual"}


def __getattr__(name):
    if name in _TORCH_NAMES:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_TORCH_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DemoOptions",
    "SimpleCNN",
    "TrainConfig",
    "accuracy",
    "domain_contributions",
    "pruning_experiment",
    "record_training",
    "top_members",
    "train",
    "ImageData",
    "METHODS",
    "PruningResult",
    "DomainCountResult",
    "domain_count_experiment",
    "verdict",
    "figures",
    "load_digits_data",
    "load_mnist_data",
    "loss_change_embedding",
    "mean_interval",
    "read_idx",
    "run_demo",
    "select",
]
