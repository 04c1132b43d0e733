"""losslens: what a model learns, when, and from which data.

Four methods on a Swift numerical core: LDD (learning-domain decomposition), POLCA (loss change
allocation on a Hessian basis), HDBSCAN, and DIDS (domain impact-aware data sampling).
"""
import os as _os

from . import _cpu

# Debian's OpenBLAS 0.3.21 misdetects recent x86 CPUs and falls back to slow generic kernels; it
# reads OPENBLAS_CORETYPE once, when the native core first loads it. A value already set wins. The
# CPU check is CPUID's (not /proc/cpuinfo's, which shows the host's flags under emulation).
if "OPENBLAS_CORETYPE" not in _os.environ and _cpu.supports_x86_64_v3():
    _os.environ["OPENBLAS_CORETYPE"] = "Haswell"

from . import _dispatch  # noqa: E402  (loads the Swift build for this CPU before _core binds to it)
from . import _core  # noqa: E402
from . import dictionary_learning, dids, hdbscan, kmeans, ldd, linalg, polca  # noqa: E402
from ._config import get_num_threads, set_num_threads, show_config  # noqa: E402
from ._simplex import project_simplex  # noqa: E402
from .dictionary_learning import DictionaryLearning  # noqa: E402
from .dids import DomainSampler, GradientSketch  # noqa: E402
from .hdbscan import HDBSCAN  # noqa: E402
from .kmeans import KMeans  # noqa: E402
from .ldd import LDD, LossRecorder  # noqa: E402
from .polca import POLCA  # noqa: E402

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
