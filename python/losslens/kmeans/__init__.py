"""k-means (Lloyd and Elkan, k-means++ seeding) with scikit-learn's interface, in memory or on Dask."""
from ._estimator import KMeans

__all__ = ["KMeans"]
