"""The LDD paper's simple CNN and its training loop on CPU, recording the loss matrix at every step."""
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..torch import per_sample_losses, record_losses
from ._progress import progress

#: Images per forward pass, and the largest chunk a training step's gradient is accumulated over. The
#: chunks' activations stay in cache: on this CNN at 28x28 (2 threads, torch 2.13, one process) forward
#: passes of 64 images ran 2.1x faster per image than of 2,048 (5,228 against 2,534 images/s), and a
#: 300-image Adam step accumulated over five chunks of 60 took 0.17 s instead of 0.28 s in one piece.
#: Forward passes run one chunk per torch thread (``per_sample_losses(n_threads=...)``); a retrain
#: worker process has one torch thread, so it evaluates in order.
CHUNK = 64


class SimpleCNN(nn.Module):
    """Two 3x3 convolutions (32 and 64 channels), 2x2 max-pooling, a 128-unit hidden layer (section 5.1).

    Unpadded convolutions as in PyTorch's MNIST example: 28x28 inputs reach the hidden layer as
    64x12x12 features, the digits' 8x8 as 64x2x2. The convolutions run in channels-last layout
    (measured on 28x28 inputs, one thread: forward 1.5x, training step 1.3x faster than NCHW).
    """

    def __init__(self, image_shape, n_classes):
        super().__init__()
        height, width = image_shape
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.hidden = nn.Linear(64 * ((height - 4) // 2) * ((width - 4) // 2), 128)
        self.out = nn.Linear(128, n_classes)

    def forward(self, x):
        x = F.relu(self.conv1(x.contiguous(memory_format=torch.channels_last)))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.out(F.relu(self.hidden(x.flatten(1))))


@dataclass
class TrainConfig:
    """Optimisation protocol shared by the recorded run, its counterfactual replay and pruning retrains."""

    steps: int
    batch_size: int
    lr: float


def new_model(data, seed):
    """A freshly initialised SimpleCNN for ``data`` (torch's default initialisation under ``seed``)."""
    torch.manual_seed(seed)
    return SimpleCNN(data.X_train.shape[2:], data.n_classes).to(memory_format=torch.channels_last)


def batch_schedule(n_samples, batch_size, steps, seed):
    """Mini-batch indices, shape (steps, min(batch_size, n_samples)): reshuffled epochs, read consecutively.

    A subset smaller than the full set gets more epochs for the same number of optimisation steps
    (the paper's pruning protocol, section 5.1).
    """
    rng = np.random.default_rng(seed)
    batch = min(batch_size, n_samples)
    n_epochs = -(-steps * batch // n_samples)
    order = np.concatenate([rng.permutation(n_samples) for _ in range(n_epochs)])
    return order[:steps * batch].reshape(steps, batch)


def sgd_step(model, optimizer, X, y):
    """One Adam update of ``model`` on the mini-batch (X, y) with mean cross-entropy.

    The gradient of the mean is accumulated over equal chunks of at most ``CHUNK`` images: the same
    sum in another order (the network has no batch statistics), so only rounding differs.
    """
    optimizer.zero_grad(set_to_none=True)
    n_chunks = -(-len(y) // CHUNK)
    for X_chunk, y_chunk in zip(torch.tensor_split(X, n_chunks), torch.tensor_split(y, n_chunks)):
        (F.cross_entropy(model(X_chunk), y_chunk, reduction="sum") / len(y)).backward()
    optimizer.step()


def evaluation_chunks():
    """``per_sample_losses`` options: chunks of ``CHUNK`` images, one per torch thread of this process."""
    return dict(batch_size=CHUNK, n_threads=torch.get_num_threads())


def accuracy(model, X, y):
    """Fraction of correctly classified samples."""
    _, predictions = per_sample_losses(model, X, y, return_predictions=True, **evaluation_chunks())
    return float((predictions == np.asarray(y)).mean())


def mean_loss(model, X, y):
    """Mean cross-entropy over (X, y)."""
    return float(per_sample_losses(model, X, y, **evaluation_chunks()).mean(dtype=np.float64))


def train(data, indices, config, seed):
    """Train a fresh model on ``data.X_train[indices]`` for ``config.steps`` steps; return it."""
    model = new_model(data, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    X = torch.from_numpy(data.X_train[indices])
    y = torch.from_numpy(data.y_train[indices])
    for batch in batch_schedule(len(indices), config.batch_size, config.steps, seed):
        sgd_step(model, optimizer, X[batch], y[batch])
    return model


@dataclass
class RecordedRun:
    """What the recorded training run leaves behind besides the loss matrix (which is in the recorder).

    ``val_losses`` is the mean validation loss at every checkpoint; ``schedule`` the mini-batches (for the counterfactual
    replay); ``checkpoints`` the model's state every ``checkpoint_every`` steps (and at the last
    step), the time steps of POLCA; ``el2n`` the EL2N scores at ``el2n_step``; ``forgetting`` the forgetting counts
    (never-learned samples count one more than the most forgotten one).
    """

    val_losses: np.ndarray
    train_accuracy: np.ndarray
    schedule: np.ndarray
    el2n: np.ndarray
    el2n_step: int
    forgetting: np.ndarray
    test_accuracy: float
    checkpoints: list


def el2n_scores(model, X, y):
    """EL2N score of every sample: ‖softmax(f(x)) − onehot(y)‖₂ (Paul et al., 2021)."""
    with torch.no_grad():
        scores = []
        inputs, targets = torch.from_numpy(X), torch.from_numpy(y)
        for X_chunk, y_chunk in zip(torch.split(inputs, CHUNK), torch.split(targets, CHUNK)):
            probabilities = F.softmax(model(X_chunk), dim=1)
            scores.append((probabilities - F.one_hot(y_chunk, probabilities.shape[1]).float()).norm(dim=1))
        return torch.cat(scores).numpy()


def forgetting_counts(correct_history):
    """Forgetting events per sample (Toneva et al., 2019) from a (steps + 1, n) correctness history.

    A forgetting event is a step where a sample goes from correctly to incorrectly classified;
    samples never classified correctly get the maximum count plus one, as in the original paper.
    """
    forgotten = (correct_history[:-1] & ~correct_history[1:]).sum(axis=0)
    never_learned = ~correct_history.any(axis=0)
    return np.where(never_learned, forgotten.max(initial=0) + 1, forgotten).astype(np.int64)


def record_training(data, config, recorder, seed, el2n_fraction=0.1, checkpoint_every=10, show_progress=True):
    """Train on the whole reference set, appending every step's per-sample losses to ``recorder``.

    Checkpoint 0 is the initialisation, so the recorder receives ``config.steps + 1`` vectors.
    """
    model = new_model(data, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    X_val, y_val = torch.from_numpy(data.X_val), torch.from_numpy(data.y_val)
    schedule = batch_schedule(len(y), config.batch_size, config.steps, seed)
    el2n_step = max(1, int(round(el2n_fraction * config.steps)))
    val_losses = np.empty(config.steps + 1)
    correct = np.empty((config.steps + 1, len(y)), dtype=bool)
    el2n = None
    checkpoints = []
    bar = progress(total=config.steps, enabled=show_progress, desc="training (recording losses)")
    for t in range(config.steps + 1):
        _, predictions = record_losses(recorder, model, X, y, return_predictions=True, **evaluation_chunks())
        correct[t] = predictions == data.y_train
        val_losses[t] = mean_loss(model, X_val, y_val)
        if t % checkpoint_every == 0 or t == config.steps:
            checkpoints.append({name: value.clone() for name, value in model.state_dict().items()})
        if t == el2n_step:
            el2n = el2n_scores(model, data.X_train, data.y_train)
        if t < config.steps:
            sgd_step(model, optimizer, X[schedule[t]], y[schedule[t]])
            bar.update()
    bar.close()
    return model, RecordedRun(
        val_losses=val_losses, train_accuracy=correct.mean(axis=1), schedule=schedule,
        el2n=el2n, el2n_step=el2n_step, forgetting=forgetting_counts(correct),
        test_accuracy=accuracy(model, data.X_test, data.y_test), checkpoints=checkpoints)
