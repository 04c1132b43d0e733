"""The LDD demo's CNN on CPU: chunked evaluation and training steps vs torch in one piece (same process).

Reference: ``per_sample_losses`` in chunks of 2,048 with torch's own threads, and a training step
on the whole 300-image batch (the demo before chunking). Ours: chunks of ``CHUNK`` images, one per
torch thread for evaluation, the gradient accumulated over chunks for a step. Random 28x28 images.
"""
import copy

import numpy as np

from _harness import best_time, row


def run(emit):
    try:
        import torch
    except ImportError:
        emit("torch is not installed: skipped")
        return
    from losslens.demo._train import CHUNK, SimpleCNN, sgd_step
    from losslens.torch import per_sample_losses

    torch.manual_seed(0)
    threads = torch.get_num_threads()
    model = SimpleCNN((28, 28), 10).to(memory_format=torch.channels_last)
    X, y = torch.randn(4096, 1, 28, 28), torch.randint(0, 10, (4096,))
    for n_threads in sorted({1, threads}):
        torch.set_num_threads(n_threads)
        ours, losses = best_time(lambda: per_sample_losses(model, X, y, batch_size=CHUNK, n_threads=n_threads))
        ref, expected = best_time(lambda: per_sample_losses(model, X, y, batch_size=2048))
        emit(row(f"losses of 4096 images, {n_threads} thread(s)", ours, ref,
                 f"max |ours - ref| = {np.abs(losses - expected).max():.1e}"))
    torch.set_num_threads(threads)
    batch_X, batch_y = X[:300], y[:300]

    def whole_step(network, optimizer):
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(network(batch_X), batch_y).backward()
        optimizer.step()

    chunked, whole = copy.deepcopy(model), copy.deepcopy(model)
    chunked_optimizer = torch.optim.SGD(chunked.parameters(), lr=0.01)
    whole_optimizer = torch.optim.SGD(whole.parameters(), lr=0.01)
    ours, _ = best_time(lambda: sgd_step(chunked, chunked_optimizer, batch_X, batch_y), min_total=0)  # 3 steps each
    ref, _ = best_time(lambda: whole_step(whole, whole_optimizer), min_total=0)
    drift = max(float((a - b).detach().abs().max()) for a, b in zip(chunked.parameters(), whole.parameters()))
    emit(row(f"training step, batch 300, {threads} thread(s)", ours, ref,
             f"max |parameter difference| after the same steps = {drift:.1e}"))
