"""POLCA on the recorded run: loss change of validation images allocated to Hessian directions of training images."""
import numpy as np
import torch
from torch.nn import functional as F

from ..torch import polca_from_checkpoints
from ._train import new_model


def _per_sample_cross_entropy(outputs, targets):
    return F.cross_entropy(outputs, targets, reduction="none")


def polca_analysis(data, run, seed, n_basis_samples=300, n_basis_checkpoints=4, k=2, show_progress=True):
    """POLCA (losslens.torch.polca_from_checkpoints) over the run's checkpoints, with the paper's data roles.

    As in the POLCA paper (section 4.1), the basis comes from the training data and the allocation
    is computed on held-out data: Algorithm 1 takes ``k`` eigenvectors of the Hessian of the loss
    summed over the first ``n_basis_samples`` reference (training) images at each of
    ``n_basis_checkpoints`` evenly spaced checkpoints, and the loss changes of every validation
    image are allocated to them. Returns (polca, basis, indices of the basis samples).
    """
    basis_samples = np.arange(min(n_basis_samples, len(data.y_train)))
    last = len(run.checkpoints) - 2
    basis_checkpoints = sorted({int(round(c)) for c in np.linspace(0, last, n_basis_checkpoints)})
    polca, basis = polca_from_checkpoints(
        new_model(data, seed), _per_sample_cross_entropy,
        (torch.from_numpy(data.X_val), torch.from_numpy(data.y_val)), run.checkpoints,
        basis_checkpoints=basis_checkpoints, k=k,
        reference=(torch.from_numpy(data.X_train[basis_samples]), torch.from_numpy(data.y_train[basis_samples])),
        random_state=seed, progress=show_progress)
    return polca, basis, basis_samples
