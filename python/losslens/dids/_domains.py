"""DIDS §4.1: training rows grouped into domains by k-means on their gradient sketches."""
import numbers
from collections import namedtuple

import numpy as np

from .._validation import as_real_array, check_scalar
from ..kmeans import KMeans

Repartition = namedtuple("Repartition", ["labels", "names"])
Repartition.__doc__ = """Result of :func:`repartition`: row i belongs to domain ``names[labels[i]]``."""


def repartition(sketches, source_domains=None, n_clusters=72, *, random_state=None, **kmeans_params):
    """Group training rows into domains by k-means on their gradient sketches (DIDS §4.1).

    Parameters
    ----------
    sketches : array-like of shape (n_samples, n_components)
        Rows of :meth:`GradientSketch.transform`.
    source_domains : array-like of shape (n_samples,), default=None
        Original domain of each row. None clusters all rows together into ``n_clusters`` domains
        named "0", "1", …; otherwise each source domain is split into ``min(n_clusters, its size)``
        clusters named ``"{domain}-{i}"``, as the authors' code does.
    n_clusters : int, default=72
        The paper uses 72 domains.
    random_state : int, RandomState instance or None
    **kmeans_params
        Passed to :class:`losslens.KMeans` (e.g. ``n_init``, ``algorithm``).

    Returns
    -------
    Repartition
        ``labels`` (int64, one per row) and ``names`` (list of str).
    """
    X = as_real_array(sketches, "sketches", ndim=(2,))
    n_clusters = check_scalar(n_clusters, "n_clusters", kind=numbers.Integral, low=1)
    if source_domains is None:
        if n_clusters > X.shape[0]:
            raise ValueError(f"n_clusters={n_clusters} is larger than the number of rows {X.shape[0]}")
        km = KMeans(n_clusters, random_state=random_state, **kmeans_params).fit(X)
        return Repartition(km.labels_.astype(np.int64), [str(i) for i in range(n_clusters)])
    domains = np.asarray(source_domains)
    if domains.shape != (X.shape[0],):
        raise ValueError(f"source_domains must have one entry per row ({X.shape[0]}), got shape {domains.shape}")
    rng = np.random.RandomState(random_state) if not isinstance(random_state, np.random.RandomState) else random_state
    labels = np.empty(X.shape[0], dtype=np.int64)
    names = []
    for domain in np.unique(domains):
        rows = np.flatnonzero(domains == domain)
        k = min(n_clusters, rows.size)
        km = KMeans(k, random_state=rng, **kmeans_params).fit(X[rows])
        labels[rows] = len(names) + km.labels_
        names.extend(f"{domain}-{i}" for i in range(k))
    return Repartition(labels, names)


__all__ = ["Repartition", "repartition"]
