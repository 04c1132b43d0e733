"""losslens: what a model learns, when, and from which data.

Four methods on a Swift numerical core: LDD (learning-domain decomposition), POLCA (loss change
allocation on a Hessian basis), HDBSCAN, and DIDS (domain impact-aware data sampling).
"""
from . import _dispatch  # loads the Swift build for this CPU before _core binds to it
from . import _core
from . import dictionary_learning, dids, hdbscan, kmeans, ldd, linalg, polca
from ._config import get_num_threads, set_num_threads, show_config
from ._simplex import project_simplex
from .dictionary_learning import DictionaryLearning
from .dids import DomainSampler, GradientSketch
from .hdbscan import HDBSCAN
from .kmeans import KMeans
from .ldd import LDD, LossRecorder
from .polca import POLCA

__version__ = "0.1.0"

if _core.version() != __version__:  # the package and its Swift library ship together
    raise ImportError(
        f"losslens {__version__} found Swift library {_core.version()}; reinstall with `pip install .`"
    )

__all__ = [
    "HDBSCAN",
    "__version__",
    "DomainSampler",
    "GradientSketch",
    "KMeans",
    "dictionary_learning",
    "dids",
    "hdbscan",
    "kmeans",
    "ldd",
    "POLCA",
    "DictionaryLearning",
    "LDD",
    "LossRecorder",
    "get_num_threads",
    "linalg",
    "polca",
    "project_simplex",
    "set_num_threads",
    "show_config",
]
