"""HDBSCAN with labels equal to the ``hdbscan`` package's and scikit-learn's; soft clustering and prediction."""
from ._dask import fit_sample_predict
from ._estimator import HDBSCAN

__all__ = ["HDBSCAN", "fit_sample_predict"]
