"""Sparse dictionary learning: a drop-in for scikit-learn's ``DictionaryLearning`` (plus simplex atoms)."""
from ._estimator import DictionaryLearning

__all__ = ["DictionaryLearning"]
