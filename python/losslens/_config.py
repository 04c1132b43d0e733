"""Build facts and the thread budget of the native core."""
import platform
import sys
import sysconfig

import numpy as np

from . import _build_info, _core, _dispatch


def set_num_threads(n_threads):
    """Set the number of threads of the Swift core and of its OpenBLAS.

    Parameters
    ----------
    n_threads : int
        Number of threads, or 0 for every CPU. Estimators' ``n_jobs`` override it per call.
    """
    if isinstance(n_threads, bool) or not isinstance(n_threads, (int, np.integer)):
        raise TypeError(f"n_threads must be an int, got {type(n_threads).__name__}")
    if n_threads < 0:
        raise ValueError(f"n_threads must be >= 0 (0: every CPU), got {n_threads}")
    _core.set_num_threads(int(n_threads))


def get_num_threads():
    """Return the thread budget of the Swift core."""
    return _core.get_num_threads()


def _config_lines():
    builds = _build_info.SWIFT_BUILDS
    choice = f"; builds: {', '.join(builds)}; LOSSLENS_CPU=baseline forces the baseline" if len(builds) > 1 else ""
    lines = [
        f"losslens: {_core.version()} (C ABI {_core.ABI_VERSION})",
        f"python: {sys.version.split()[0]} ({platform.platform()})",
        f"numpy: {np.__version__}",
        f"native core BLAS: {_core.blas_config()}",
        f"threads: core {_core.get_num_threads()}, core OpenBLAS {_core.blas_num_threads()}",
        f"extension compiler: {sysconfig.get_config_var('CC')}",
        f"CPU path: {_dispatch.CPU_LEVEL} ({_dispatch.REASON}{choice})",
        f"Swift library: {_dispatch.loaded_library()}",
        f"build: Swift release, swiftc {_build_info.SWIFTC_FLAGS[_dispatch.CPU_LEVEL]}; "
        "extension linked with rpath $ORIGIN",
    ]
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        lines.append("thread pools: install threadpoolctl to list every BLAS loaded in this process")
    else:
        for pool in threadpool_info():
            lines.append(
                f"thread pool: {pool.get('internal_api')} {pool.get('version')} "
                f"[{pool.get('architecture')}] {pool.get('num_threads')} threads, {pool.get('filepath')}"
            )
    return lines


def show_config():
    """Print the library version, the BLAS in use, thread counts and build flags."""
    print("\n".join(_config_lines()))
