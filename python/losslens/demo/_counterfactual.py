"""Counterfactual domain contributions to generalisation (LDD paper, section 5.3, figure 5)."""
import copy

import numpy as np
import torch

from ._progress import progress
from ._train import mean_loss, new_model, sgd_step


def domain_contributions(data, config, schedule, seed, domain_members, show_progress=True):
    """Validation-loss change at every step when a domain's top samples leave that step's mini-batch.

    The recorded run is replayed from the same initialisation and mini-batches. Before each step
    t the model and Adam state are saved; for every domain k the step is taken on the mini-batch
    without the samples of ``domain_members[k]`` and the validation loss measured, then the state
    is restored and the original step taken. The contribution of domain k at step t is
    ``val_loss(step without k) − val_loss(original step)``: positive means removing the domain
    hurts generalisation (the domain contributes positively), negative that it helps.
    A mini-batch holding no member of domain k gives exactly 0; one made only of members skips
    the update.

    Parameters
    ----------
    domain_members : ndarray of shape (n_domains, n_reference), bool
        Membership masks, e.g. each domain's top samples by dictionary weight d_k.

    Returns
    -------
    contributions : ndarray of shape (n_domains, steps)
    removed : ndarray of shape (n_domains, steps), int
        How many samples left each step's mini-batch.
    """
    model = new_model(data, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    X_val, y_val = torch.from_numpy(data.X_val), torch.from_numpy(data.y_val)
    n_domains, steps = len(domain_members), len(schedule)
    contributions = np.zeros((n_domains, steps))
    removed = np.zeros((n_domains, steps), dtype=np.int64)
    for t in progress(range(steps), enabled=show_progress, desc="counterfactual domain removal"):
        batch = schedule[t]
        saved_model = copy.deepcopy(model.state_dict())
        saved_optimizer = copy.deepcopy(optimizer.state_dict())
        without = {}
        for k in range(n_domains):
            kept = batch[~domain_members[k][batch]]
            removed[k, t] = len(batch) - len(kept)
            if removed[k, t] == 0:
                continue
            if len(kept):
                sgd_step(model, optimizer, X[kept], y[kept])
            without[k] = mean_loss(model, X_val, y_val)
            model.load_state_dict(saved_model)
            # load_state_dict adopts the given tensors and Adam updates them in place: hand it a copy
            optimizer.load_state_dict(copy.deepcopy(saved_optimizer))
        sgd_step(model, optimizer, X[batch], y[batch])
        original = mean_loss(model, X_val, y_val)
        for k, value in without.items():
            contributions[k, t] = value - original
    return contributions, removed


def top_members(ldd, n_top):
    """Boolean masks (n_domains, n_samples): each domain's ``n_top`` samples of largest weight d_ki."""
    members = np.zeros((ldd.dictionary_.shape[1], ldd.dictionary_.shape[0]), dtype=bool)
    for k in range(len(members)):
        members[k, ldd.top_samples(k, n_top)] = True
    return members
