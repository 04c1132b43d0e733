"""Per-token losses of sequence models: every scored output token is one POLCA sample."""
import torch
from torch.nn import functional as F


def next_token_losses(positions):
    """A ``loss_fn(logits, targets)`` giving the cross-entropy of every scored token, flattened.

    Parameters
    ----------
    positions : sequence of int
        Input positions whose next-token prediction is scored (e.g. the answer tokens of a task).

    Returns
    -------
    callable
        ``loss_fn(logits, targets)`` with ``logits`` of shape (n, length, vocabulary) and
        ``targets`` of shape (n, len(positions)) (the tokens that follow those positions); returns
        shape (n * len(positions),), sequence by sequence and within one sequence in the order of
        ``positions``. Works under ``torch.func`` transforms (``jvp``, ``grad``), so it can be
        given to :func:`polca_from_checkpoints` and :class:`FlatModel` to treat tokens as samples.
    """
    index = torch.as_tensor(positions, dtype=torch.long)
    if index.ndim != 1 or index.numel() == 0:
        raise ValueError(f"positions must be a non-empty 1-D sequence of ints, got shape {tuple(index.shape)}")

    def loss_fn(logits, targets):
        scored = logits.index_select(1, index)
        return F.cross_entropy(scored.reshape(-1, scored.shape[-1]), targets.reshape(-1), reduction="none")

    return loss_fn
