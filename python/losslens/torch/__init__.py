"""PyTorch adapters of losslens (requires torch; ``import losslens`` alone never imports it)."""
import torch  # noqa: F401  (fails early with a clear ImportError when torch is missing)

from ._dids import DIDSLoop, domain_task_gradients, mean_gradient, per_sample_gradients, select_parameters  # noqa: E402
from ._polca import FlatModel, hessian_vector_product, polca_from_checkpoints, span_loss_change  # noqa: E402
from ._recording import per_sample_losses, record_losses  # noqa: E402
from ._sequence import next_token_losses  # noqa: E402

__all__ = [
    "DIDSLoop",
    "FlatModel",
    "domain_task_gradients",
    "hessian_vector_product",
    "mean_gradient",
    "next_token_losses",
    "per_sample_gradients",
    "per_sample_losses",
    "polca_from_checkpoints",
    "record_losses",
    "select_parameters",
    "span_loss_change",
]
