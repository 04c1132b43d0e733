"""losslens.torch DIDS adapter: per-sample gradients vs a loop of backward passes, Fisher, the loop."""
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from losslens import DomainSampler, dids  # noqa: E402
from losslens.torch import (  # noqa: E402
    DIDSLoop,
    domain_task_gradients,
    mean_gradient,
    per_sample_gradients,
    select_parameters,
)


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))


def _loss(out, y):
    return torch.nn.functional.cross_entropy(out, y)


def test_plain_import_does_not_import_torch():
    code = "import sys, losslens; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_select_parameters_takes_the_last_fraction():
    model = _model()
    assert select_parameters(model, 0.1) == ["2.bias"]
    assert select_parameters(model, 0.4) == ["2.weight", "2.bias"]  # 51 of 163 entries; 0.bias would make 67
    assert select_parameters(model, 1.0) == [n for n, _ in model.named_parameters()]
    with pytest.raises(ValueError, match="fraction"):
        select_parameters(model, 0.0)


def test_per_sample_gradients_match_backward_per_sample():
    model = _model()
    x, y = torch.randn(10, 6), torch.randint(0, 3, (10,))
    names = ["2.weight", "2.bias"]
    G = per_sample_gradients(model, _loss, x, y, names)
    params = dict(model.named_parameters())
    for i in range(10):
        grads = torch.autograd.grad(_loss(model(x[i : i + 1]), y[i : i + 1]), [params[n] for n in names])
        np.testing.assert_allclose(G[i], torch.cat([g.reshape(-1) for g in grads]).numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(mean_gradient(model, _loss, x, y, names), G.mean(axis=0), rtol=1e-5, atol=1e-7)


def test_domain_task_gradients_and_dids_eq11_fisher():
    model = _model()
    batches = [(torch.randn(8, 6), torch.randint(0, 3, (8,))) for _ in range(3)]
    D, T, F = domain_task_gradients(model, _loss, batches[:2], batches[2:], fraction=0.4)
    G = per_sample_gradients(model, _loss, *batches[2], fraction=0.4)
    assert D.shape == (2, G.shape[1]) and T.shape == (1, G.shape[1])
    np.testing.assert_allclose(F, (G.astype(np.float64) ** 2).mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(T[0], G.mean(axis=0), rtol=1e-5, atol=1e-7)
    assert dids.fim_impact(D, T, F).shape == (2, 1)


def test_nan_gradients_raise():
    model = _model()
    x = torch.full((4, 6), float("nan"))
    with pytest.raises(ValueError, match="NaN"):
        per_sample_gradients(model, _loss, x, torch.zeros(4, dtype=torch.long))


def test_loop_updates_every_tau_steps_and_favours_the_task_domain():
    torch.manual_seed(1)
    w = torch.randn(6, 3)

    def domain(sign, n=400):
        x = torch.randn(n, 6)
        return x, (sign * x @ w).argmax(dim=1)

    helpful, harmful = domain(1), domain(-1)
    task = domain(1, 100)
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    loop = DIDSLoop(model, _loss, optimizer, [helpful, harmful], [task], tau=20, batch_size=16,
                    fraction=0.5, random_state=0,
                    temperature=0.01)  # cross-entropy improvements are ~0.05: a sharper softmax
    losses = loop.run(100)
    assert len(loop.sampler.history_) == 1 + 4  # updates at steps 20, 40, 60, 80
    assert len(loop.task_loss_history_) == 5
    assert loop.sampler.probabilities_[0] > 0.8
    assert loop.task_loss_history_[-1][0] < loop.task_loss_history_[0][0]
    assert np.isfinite(losses).all()
    with pytest.raises(ValueError, match="domains"):
        DIDSLoop(model, _loss, optimizer, [helpful], [task], sampler=DomainSampler(2))
