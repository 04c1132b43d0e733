"""Load the CPU build of the Swift library that this machine runs, before the extension needs it.

A portable install holds two builds of ``liblosslens_swift.so`` (see docs/packaging.md): the x86-64-v2
baseline next to ``_core`` and an x86-64-v3 (AVX2 + FMA) one in ``_x86_64_v3/``. Both carry the same
SONAME, and the dynamic loader satisfies the extension's dependency with an already loaded library of
that SONAME, so loading one of them here decides which one ``_core`` binds to. ``LOSSLENS_CPU=baseline``
forces the baseline; a ``LOSSLENS_TARGET_CPU=native`` install has one build only.
"""
import ctypes
import os
from pathlib import Path

from . import _build_info, _cpu

LIBRARY = "liblosslens_swift.so"
CHOICES = ("auto", "baseline")
_PACKAGE = Path(__file__).resolve().parent


def choose_build(requested, builds, supports_v3):
    """(CPU level, reason) of the Swift build to load.

    Parameters
    ----------
    requested : str
        ``LOSSLENS_CPU``: ``"auto"`` (the fastest build this CPU runs) or ``"baseline"``.
    builds : dict
        CPU level -> folder, baseline first (``_build_info.SWIFT_BUILDS``).
    supports_v3 : bool
        Whether the CPU runs x86-64-v3 code.
    """
    if requested not in CHOICES:
        raise ImportError(f"LOSSLENS_CPU must be one of {CHOICES}, got {requested!r}")
    baseline = next(iter(builds))
    if len(builds) == 1:
        return baseline, "the only build in this install"
    if requested == "baseline":
        return baseline, "LOSSLENS_CPU=baseline"
    if supports_v3 and "x86-64-v3" in builds:
        return "x86-64-v3", "CPU supports x86-64-v3"
    return baseline, "CPU lacks x86-64-v3 (AVX2/FMA)"


def _load():
    level, reason = choose_build(os.environ.get("LOSSLENS_CPU", "auto") or "auto",
                                 _build_info.SWIFT_BUILDS, _cpu.supports_x86_64_v3())
    path = _PACKAGE / _build_info.SWIFT_BUILDS[level] / LIBRARY
    return level, reason, ctypes.CDLL(str(path), mode=os.RTLD_NOW | os.RTLD_LOCAL)


CPU_LEVEL, REASON, _library = _load()


def loaded_library():
    """Path of the liblosslens_swift.so mapped into this process (from /proc/self/maps)."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            if line.rstrip().endswith("/" + LIBRARY):
                return line.split(None, 5)[5].strip()
    return None
