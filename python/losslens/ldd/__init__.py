"""Learning-Domain Decomposition (LDD): per-sample loss trajectories factored into learning domains.

:class:`LossRecorder` records every sample's loss over training; :class:`LDD` factors the loss differences
``L_Δ ≈ D A_Δ`` (D ≥ 0, simplex columns) in memory or on Dask. Formula choices: docs/ldd.md.
"""
from ._common import Decomposition
from ._estimator import LDD
from ._recorder import LossRecorder

__all__ = ["Decomposition", "LDD", "LossRecorder"]
