"""PyTorch inputs of POLCA: Hessian-vector products, projected per-sample gradients, curvatures, steps.

Every quantity is a function of the flat parameter vector ``theta`` of a model, evaluated with
``torch.func.functional_call`` so that checkpoints never have to be loaded into the module:

- Hessian-vector products of the summed loss ``L(X) = sum_x l(x)``, forward-over-reverse
  (``torch.func.jvp`` of ``torch.func.grad``) or by double backward;
- projected per-sample gradients ``<b, grad l(x; theta)>`` for all samples at once with one
  forward-mode JVP per basis vector ``b`` (no per-sample gradient is ever materialised);
- curvatures ``b^T H(X) b`` (one HVP per basis vector) and step projections ``<b, dtheta>``.
"""
import warnings

import numpy as np
import torch
from torch.func import functional_call, grad
from torch.func import jvp as _torch_jvp

from ..polca import POLCA, HessianBasis


def jvp(func, primals, tangents):
    """``torch.func.jvp``, silencing the DeprecationWarning torch's own forward-AD decompositions
    raise through ``torch.jit.script`` on first use (torch 2.13)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.jit.script.*is deprecated", category=DeprecationWarning)
        return _torch_jvp(func, primals, tangents)


def _progress(iterable, enabled, description, total=None):
    """Wrap ``iterable`` in a tqdm bar when tqdm is installed and ``enabled``."""
    if not enabled:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, desc=description, total=total, leave=False)


class FlatModel:
    """A module seen as a function of one flat parameter vector.

    Parameters
    ----------
    model : torch.nn.Module
        Its parameters (in ``named_parameters`` order) form ``theta``; buffers are taken from the
        module or from a checkpoint's state dict.
    loss_fn : callable
        ``loss_fn(outputs, targets) -> per-sample losses`` of shape (n,) (e.g. cross entropy with
        ``reduction="none"``).
    dtype : torch.dtype, default=torch.float64
        Precision of every computation (double by default: Lanczos and POLCA sums benefit).
    """

    def __init__(self, model, loss_fn, dtype=torch.float64):
        self.model = model
        self.loss_fn = loss_fn
        self.dtype = dtype
        self.names = [name for name, _ in model.named_parameters()]
        self.shapes = [p.shape for _, p in model.named_parameters()]
        self.sizes = [p.numel() for _, p in model.named_parameters()]
        self.dim = int(sum(self.sizes))
        self.buffers = {name: b.detach().to(dtype) if b.is_floating_point() else b for name, b in model.named_buffers()}

    def flatten(self, state_dict=None):
        """``theta`` of the module's current parameters, or of a checkpoint's state dict."""
        source = dict(self.model.named_parameters()) if state_dict is None else state_dict
        return torch.cat([source[name].detach().reshape(-1).to(self.dtype) for name in self.names])

    def use_buffers(self, state_dict):
        """Take the buffers (e.g. batch-norm statistics) of a checkpoint."""
        for name in self.buffers:
            if name in state_dict:
                value = state_dict[name]
                self.buffers[name] = value.detach().to(self.dtype) if value.is_floating_point() else value

    def _params(self, theta):
        return {name: chunk.view(shape) for name, chunk, shape in
                zip(self.names, torch.split(theta, self.sizes), self.shapes)}

    def losses(self, theta, inputs, targets):
        """Per-sample losses at ``theta``."""
        outputs = functional_call(self.model, {**self._params(theta), **self.buffers}, (inputs,))
        return self.loss_fn(outputs, targets)

    def hvp(self, theta, inputs, targets, v, method="forward_over_reverse"):
        """``H v`` of the summed loss over the samples."""
        total = lambda t: self.losses(t, inputs, targets).sum()  # noqa: E731
        if method == "forward_over_reverse":
            return jvp(grad(total), (theta,), (v,))[1]
        if method == "double_backward":
            t = theta.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(total(t), t, create_graph=True)
            (hv,) = torch.autograd.grad(g, t, v)
            return hv
        raise ValueError(f"method must be 'forward_over_reverse' or 'double_backward', got {method!r}")

    def projected_gradients(self, theta, inputs, targets, basis):
        """Per-sample losses (n,) and ``<b, grad l(x; theta)>`` (n, m) by one forward JVP per column of ``basis``."""
        columns, losses = [], None
        for b in basis.T:
            losses, derivative = jvp(lambda t: self.losses(t, inputs, targets), (theta,), (b,))
            columns.append(derivative)
        return losses.detach(), torch.stack(columns, dim=1).detach()

    def per_sample_curvatures(self, theta, inputs, targets, basis):
        """``b^T H(x) b`` (n, m) for every sample: the second derivative of each loss along each column
        of ``basis``, by forward-over-forward JVP (one nested pass per column)."""
        return self.directional_derivatives(theta, inputs, targets, basis)[2]

    def directional_derivatives(self, theta, inputs, targets, basis):
        """Per-sample losses (n,), first ``<b, grad l(x)>`` (n, m) and second ``b^T H(x) b`` (n, m) derivatives.

        One forward-over-forward pass per column ``b`` of ``basis`` gives all three: the inner JVP
        differentiates the losses along ``b``, the outer one differentiates that pair again along
        ``b``. Summing the second derivatives over the samples gives the curvature ``b^T H(X) b``
        of the summed loss, so the paper's share estimator needs no separate Hessian-vector product.
        """
        def along(t, b):
            return jvp(lambda u: self.losses(u, inputs, targets), (t,), (b,))

        firsts, seconds, losses = [], [], None
        for b in basis.T:
            (losses, first), (_, second) = jvp(lambda t: along(t, b), (theta,), (b,))
            firsts.append(first.detach())
            seconds.append(second.detach())
        return losses.detach(), torch.stack(firsts, dim=1), torch.stack(seconds, dim=1)


def _as_tensors(data, dtype):
    inputs, targets = data
    inputs = torch.as_tensor(inputs)
    if inputs.is_floating_point():
        inputs = inputs.to(dtype)
    return inputs, torch.as_tensor(targets)


def hessian_vector_product(model, loss_fn, data, state_dict=None, dtype=torch.float64, method="forward_over_reverse"):
    """A NumPy operator ``v -> H v`` of the loss summed over ``data`` at a checkpoint, for :func:`losslens.linalg.eigsh`.

    Parameters
    ----------
    model : torch.nn.Module
    loss_fn : callable
        ``loss_fn(outputs, targets) -> per-sample losses``.
    data : tuple (inputs, targets)
    state_dict : dict, default=None
        Checkpoint; None uses the module's current parameters.
    dtype : torch.dtype, default=torch.float64
    method : {"forward_over_reverse", "double_backward"}

    Returns
    -------
    callable
        NumPy float64 vector of length ``d`` in and out.
    """
    flat = FlatModel(model, loss_fn, dtype)
    if state_dict is not None:
        flat.use_buffers(state_dict)
    theta = flat.flatten(state_dict)
    inputs, targets = _as_tensors(data, dtype)

    def apply(v):
        return flat.hvp(theta, inputs, targets, torch.from_numpy(v).to(dtype), method).detach().cpu().numpy()

    return apply


def polca_from_checkpoints(model, loss_fn, data, checkpoints, basis=None, basis_checkpoints=None, k=1,
                           reference=None, order=2, second_order="share", tol=1e-6, dtype=torch.float64,
                           hvp_method="forward_over_reverse", random_state=None, progress=True):
    """The whole POLCA pipeline on a list of checkpoints.

    Parameters
    ----------
    model : torch.nn.Module
        Architecture of the checkpoints (its parameters are not modified).
    loss_fn : callable
        ``loss_fn(outputs, targets) -> per-sample losses`` of shape (n,).
    data : tuple (inputs, targets)
        The samples whose loss changes are allocated (n of them).
    checkpoints : list of state dicts
        ``theta_0 .. theta_T`` in training order.
    basis : HessianBasis, default=None
        A ready basis; when None one is built by Algorithm 1.
    basis_checkpoints : list of int, default=None
        Indices of the checkpoints where Algorithm 1 adds ``k`` vectors (None: every checkpoint but the last).
    k : int, default=1
        Vectors added per basis checkpoint.
    reference : tuple (inputs, targets), default=None
        Samples of the Hessian used for the basis (None: ``data``).
    order : {1, 2}, default=2
    second_order : {"share", "per_sample"}, default="share"
        "share": the paper's estimate (eqs. 6-7) from the aggregate curvature ``b^T H_t(X) b``;
        "per_sample": exact ``b^T H_t(x) b`` for every sample (eq. 5). Both come from one
        forward-over-forward pass per direction and checkpoint, which also yields the projected
        gradients (the aggregate curvature is the sum of the per-sample ones).
    tol : float, default=1e-6
        Lanczos tolerance of the basis.
    dtype : torch.dtype, default=torch.float64
    hvp_method : {"forward_over_reverse", "double_backward"}
        How the Hessian-vector products of the basis are computed.
    random_state : int or None
        Seeds the Lanczos start vectors.
    progress : bool, default=True
        Show tqdm progress bars (when tqdm is installed).

    Returns
    -------
    polca : POLCA
        Fitted with the exact per-sample losses (``losses_``, ``approximation_error_``...).
    basis : HessianBasis
    """
    if second_order not in ("share", "per_sample"):
        raise ValueError(f"second_order must be 'share' or 'per_sample', got {second_order!r}")
    flat = FlatModel(model, loss_fn, dtype)
    thetas = [flat.flatten(state) for state in checkpoints]
    if len(thetas) < 2:
        raise ValueError("checkpoints must hold at least 2 state dicts")
    inputs, targets = _as_tensors(data, dtype)
    ref_inputs, ref_targets = (inputs, targets) if reference is None else _as_tensors(reference, dtype)
    if basis is None:
        basis = HessianBasis(flat.dim)
        chosen = range(len(thetas) - 1) if basis_checkpoints is None else basis_checkpoints
        rng = np.random.default_rng(random_state)
        for t in _progress(list(chosen), progress, "POLCA basis (Algorithm 1)"):
            flat.use_buffers(checkpoints[t])
            theta = thetas[t]

            def hvp(v, theta=theta):
                return flat.hvp(theta, ref_inputs, ref_targets, torch.from_numpy(v).to(dtype), hvp_method).numpy()

            basis.extend(hvp, k=k, checkpoint=t, tol=tol, random_state=int(rng.integers(2**31)))
    elif basis.dim != flat.dim:
        raise ValueError(f"basis has dim {basis.dim}, the model has {flat.dim} parameters")
    B = torch.from_numpy(basis.vectors_).to(dtype)
    T = len(thetas) - 1
    grads, losses, curvatures = [], [], []
    for t in _progress(range(T + 1), progress, "POLCA projections"):
        flat.use_buffers(checkpoints[t])
        if t < T and order == 2:
            loss, projected, curvature = flat.directional_derivatives(thetas[t], inputs, targets, B)
            curvature = curvature.to(torch.float64)
            # the paper's estimator needs b^T H_t(X) b of the summed loss: the sum of the per-sample curvatures
            curvatures.append((curvature if second_order == "per_sample" else curvature.sum(dim=0)).numpy())
        else:
            loss, projected = flat.projected_gradients(thetas[t], inputs, targets, B)
        losses.append(loss.to(torch.float64).numpy())
        grads.append(projected.to(torch.float64).numpy())
    steps = (torch.stack([thetas[t + 1] - thetas[t] for t in range(T)]) @ B).to(torch.float64)
    curv = np.array(curvatures) if order == 2 else np.zeros((T, basis.n_directions))
    polca = POLCA(order=order).fit(np.stack(grads), steps.numpy(), curv, losses=np.stack(losses))
    return polca, basis


def span_loss_change(model, loss_fn, data, checkpoints, basis, dtype=torch.float64):
    """Exact per-sample loss change of each step restricted to the basis span, ``l(theta_t + B B^T dtheta) - l(theta_t)``.

    POLCA's allocation of step ``t`` depends on the step only through ``B^T dtheta``, so this is
    the quantity its first- plus second-order terms approximate; compare with
    ``polca.allocation_.sum(axis=2)``.

    Returns
    -------
    ndarray of shape (T, n_samples)
    """
    flat = FlatModel(model, loss_fn, dtype)
    thetas = [flat.flatten(state) for state in checkpoints]
    inputs, targets = _as_tensors(data, dtype)
    B = torch.from_numpy(basis.vectors_).to(dtype)
    changes = []
    with torch.no_grad():
        for t in range(len(thetas) - 1):
            flat.use_buffers(checkpoints[t])
            step = B @ (B.T @ (thetas[t + 1] - thetas[t]))
            before = flat.losses(thetas[t], inputs, targets)
            changes.append((flat.losses(thetas[t] + step, inputs, targets) - before).numpy())
    return np.stack(changes)
