"""Per-sample losses of a PyTorch model on a fixed reference set: one column of the LDD loss matrix."""
import numbers

import numpy as np
import torch
from torch.nn import functional as F


def _as_tensor(x, dtype=None):
    if isinstance(x, torch.Tensor):
        return x if dtype is None else x.to(dtype)
    return torch.as_tensor(np.asarray(x), dtype=dtype)


def per_sample_losses(model, inputs, targets, *, loss_fn=None, batch_size=2048, n_threads=1,
                      return_predictions=False):
    """Loss of every sample under the model's current parameters, the loss vector ℓ⁽ᵗ⁾.

    The model runs in evaluation mode without gradients, in chunks of ``batch_size``; its
    training/evaluation mode is restored afterwards.

    Parameters
    ----------
    model : torch.nn.Module
        Maps a batch of inputs to outputs (class logits for the default loss).
    inputs : array-like or torch.Tensor of shape (n_samples, ...)
        The reference set.
    targets : array-like or torch.Tensor of shape (n_samples, ...)
        Its targets (class indices for the default loss).
    loss_fn : callable, default=None
        ``loss_fn(outputs, targets)`` returning one loss per sample; ``None`` means cross-entropy
        (``torch.nn.functional.cross_entropy(..., reduction="none")``).
    batch_size : int, default=2048
        Samples per forward pass.
    n_threads : int, default=1
        With more than one, that many threads evaluate chunks at once, each with one torch thread
        (torch releases the GIL in its kernels), instead of torch splitting every layer of one chunk
        across its own threads. Small chunks of a convolutional net stay in cache this way, and no
        thread waits for another at every layer, which matters on a loaded machine. The result is the
        same for every ``n_threads`` > 1, and equals a sequential evaluation on one torch thread.
    return_predictions : bool, default=False
        Also return ``outputs.argmax(1)`` for every sample (class predictions).

    Returns
    -------
    losses : ndarray of shape (n_samples,), float32
        The loss vector, LDD eq. (1).
    predictions : ndarray of shape (n_samples,), int64
        Only when ``return_predictions`` is true.

    References
    ----------
    Learning-Domain Decomposition: Interpreting Training Dynamics via Loss Vectors, eq. (1)–(2).
    """
    if loss_fn is None:
        def loss_fn(outputs, y):
            return F.cross_entropy(outputs, y, reduction="none")
    inputs = _as_tensor(inputs)
    targets = _as_tensor(targets)
    if len(inputs) != len(targets):
        raise ValueError(f"inputs and targets differ in length: {len(inputs)} and {len(targets)}")
    for name, value in (("batch_size", batch_size), ("n_threads", n_threads)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be an integer of at least 1, got {value!r}")
    batch_size, n_threads = int(batch_size), int(n_threads)
    losses = np.empty(len(inputs), dtype=np.float32)
    predictions = np.empty(len(inputs), dtype=np.int64) if return_predictions else None

    def evaluate(start):
        stop = min(start + batch_size, len(inputs))
        with torch.no_grad():  # grad mode is per thread
            outputs = model(inputs[start:stop])
            losses[start:stop] = loss_fn(outputs, targets[start:stop]).reshape(stop - start).float().numpy()
            if return_predictions:
                predictions[start:stop] = outputs.argmax(1).numpy()

    was_training = model.training
    model.eval()
    try:
        _run_chunks(evaluate, range(0, len(inputs), batch_size), n_threads)
    finally:
        model.train(was_training)
    return (losses, predictions) if return_predictions else losses


def _run_chunks(evaluate, starts, n_threads):
    """``evaluate(start)`` for every start: in order, or on ``n_threads`` threads with one torch thread each."""
    if n_threads == 1 or len(starts) <= 1:
        for start in starts:
            evaluate(start)
        return
    from concurrent.futures import ThreadPoolExecutor

    torch_threads = torch.get_num_threads()
    try:
        with ThreadPoolExecutor(n_threads, initializer=torch.set_num_threads, initargs=(1,)) as pool:
            for _ in pool.map(evaluate, starts):
                pass
    finally:
        torch.set_num_threads(torch_threads)  # the workers' setting also changed torch's process-wide default


def record_losses(recorder, model, inputs, targets, **kwargs):
    """Append the model's current per-sample losses on the reference set to ``recorder``.

    ``recorder`` is a :class:`losslens.LossRecorder` (or anything with ``append(vector)``); the
    keyword arguments go to :func:`per_sample_losses`, whose result is returned.
    """
    result = per_sample_losses(model, inputs, targets, **kwargs)
    recorder.append(result[0] if isinstance(result, tuple) else result)
    return result
