"""POLCA on the recorded run: loss change of reference samples allocated to Hessian directions."""
import numpy as np
import torch
from torch.nn import functional as F

from ..torch import polca_from_checkpoints
from ._train import new_model


def _per_sample_cross_entropy(outputs, targets):
    return F.cross_entropy(outputs, targets, reduction="none")


def polca_analysis(data, run, seed, n_samples=300, n_basis_checkpoints=4, k=2, show_progress=True):
    """POLCA (losslens.torch.polca_from_checkpoints) over the run's checkpoints.

    The loss changes of the first ``n_samples`` reference samples are allocated to a Hessian basis
    built by Algorithm 1 from the validation set's Hessian, ``k`` eigenvectors at each of
    ``n_basis_checkpoints`` evenly spaced checkpoints. Returns (polca, basis, sample indices).
    """
    samples = np.arange(min(n_samples, len(data.y_train)))
    last = len(run.checkpoints) - 2
    basis_checkpoints = sorted({int(round(c)) for c in np.linspace(0, last, n_basis_checkpoints)})
    polca, basis = polca_from_checkpoints(
        new_model(data, seed), _per_sample_cross_entropy,
        (torch.from_numpy(data.X_train[samples]), torch.from_numpy(data.y_train[samples])), run.checkpoints,
        basis_checkpoints=basis_checkpoints, k=k,
        reference=(torch.from_numpy(data.X_val), torch.from_numpy(data.y_val)),
        random_state=seed, progress=show_progress)
    return polca, basis, samples
