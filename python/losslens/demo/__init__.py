"""End-to-end training-dynamics report: ``losslens demo`` or ``python -m losslens.demo``.

Trains the LDD paper's simple CNN on scikit-learn's digits (or MNIST) while recording every
reference sample's loss at every step, decomposes the loss matrix into learning domains and
writes report.html: A_Δ, domain loss curves, top images, t-SNE, counterfactual domain
contributions (section 5.3) and data pruning by domain multiplicity (section 5.4).
"""
from ._pipeline import run_demo
from ._run import DemoOptions

__all__ = ["DemoOptions", "run_demo"]
