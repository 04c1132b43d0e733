"""Training the addition Transformer on a stream of fresh problems, saving checkpoints at a fixed interval."""
import time
from dataclasses import dataclass

import numpy as np
import torch

from ..torch import next_token_losses
from ._addition_data import OUTPUT_POSITIONS, SEQUENCE_LENGTH, VOCABULARY
from ._addition_model import DecoderTransformer
from ._progress import progress


@dataclass
class AdditionConfig:
    """Model, optimiser and schedule of one addition run (the POLCA paper's Table 1, scaled to a CPU).

    The paper trains 9.5 M parameters (3 layers, width 512) for 10,000 steps of batch 64 with AdamW
    (lr 1e-5, weight decay 0.1, betas (0.9, 0.95), linear warm-up over 100 steps), checkpoints every
    20 steps and adds one basis vector every 200 steps. Here the model is smaller and the learning
    rate larger, so that it learns to add within minutes on a CPU.
    """

    steps: int = 1200
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.1
    betas: tuple = (0.9, 0.95)
    warmup: int = 100
    checkpoint_every: int = 50
    basis_every: int = 200
    width: int = 128
    n_layers: int = 2
    n_heads: int = 4
    n_validation: int = 200
    n_basis: int = 128
    min_cluster_size: int = 20
    lanczos_tol: float = 1e-3
    seed: int = 0

    @classmethod
    def quick(cls, **overrides):
        """A smoke-run preset: fewer steps, checkpoints, directions and validation problems."""
        return cls(**{**dict(steps=400, n_validation=80, n_basis=64, min_cluster_size=10), **overrides})


@dataclass
class AdditionRun:
    """A recorded run: checkpoints ``theta_0 .. theta_T`` and what was measured at them."""

    model: DecoderTransformer
    checkpoints: list
    checkpoint_steps: np.ndarray
    validation_accuracy: np.ndarray
    train_loss: np.ndarray
    seconds: float


def new_model(config):
    """A freshly initialised :class:`DecoderTransformer` for the addition task (seeded by ``config.seed``)."""
    torch.manual_seed(config.seed)
    return DecoderTransformer(VOCABULARY, SEQUENCE_LENGTH - 1, width=config.width, n_layers=config.n_layers,
                              n_heads=config.n_heads)


@torch.no_grad()
def exact_match(model, problems):
    """Fraction of ``problems`` whose four sum digits are all predicted (greedy, teacher-forced)."""
    logits = model(torch.from_numpy(problems.inputs))[:, OUTPUT_POSITIONS]
    return float((logits.argmax(-1).numpy() == problems.targets).all(axis=1).mean())


def train_addition(split, config, show_progress=True):
    """Train on ``split``'s stream, keeping a checkpoint every ``config.checkpoint_every`` steps and at the end.

    The loss is the mean cross-entropy of the four sum tokens. Checkpoint 0 is the initialisation.
    """
    start = time.perf_counter()
    model = new_model(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay,
                                  betas=config.betas)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min((step + 1) / config.warmup, 1.0))
    loss_fn = next_token_losses(OUTPUT_POSITIONS)
    stream = split.stream(config.batch_size)
    checkpoints, steps, accuracy, train_loss = [], [], [], np.empty(config.steps)
    bar = progress(total=config.steps, enabled=show_progress, desc="training the addition Transformer")
    for step in range(config.steps + 1):
        if step % config.checkpoint_every == 0 or step == config.steps:
            checkpoints.append({name: value.detach().clone() for name, value in model.state_dict().items()})
            steps.append(step)
            accuracy.append(exact_match(model, split.validation))
            bar.set_postfix_str(f"validation exact match {accuracy[-1]:.3f}")
        if step == config.steps:
            break
        batch = next(stream)
        loss = loss_fn(model(torch.from_numpy(batch.inputs)), torch.from_numpy(batch.targets)).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        train_loss[step] = loss.item()
        bar.update()
    bar.close()
    return AdditionRun(model=model, checkpoints=checkpoints, checkpoint_steps=np.array(steps),
                       validation_accuracy=np.array(accuracy), train_loss=train_loss,
                       seconds=time.perf_counter() - start)
