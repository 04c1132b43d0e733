"""The Swift ↔ C ↔ Python boundary: zero copy, GIL release, errors, configuration."""
import ctypes
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens import _core, _dispatch


HEADER = Path(__file__).resolve().parents[2] / "Shims" / "include" / "losslens.h"


def test_every_mode_code_of_the_header_is_a_core_constant():
    # The header defines each mode code once; _core exports them (LL_KMEANS_ELKAN -> _core.KMEANS_ELKAN).
    text = HEADER.read_text()
    enums = re.findall(r"typedef enum (ll_\w+) \{(.*?)\} \1;", text, re.S)
    assert len(enums) > 10
    for name, body in enums:
        if name == "ll_status":
            continue
        for code, value in re.findall(r"\b(LL_\w+) = (\d+)", body):
            assert getattr(_core, code[3:]) == int(value), (name, code)
    assert int(re.search(r"#define LL_ABI_VERSION (\d+)", text).group(1)) == _core.ABI_VERSION == _core.abi_version()


def test_every_function_of_the_header_is_in_the_library():
    # A C caller links against losslens.h alone: every function it declares must be exported.
    declared = set(re.findall(r"^(?:int32_t|void|uint64_t) (ll_\w+)\(", HEADER.read_text(), re.M))
    library = ctypes.CDLL(_dispatch.loaded_library())  # the build this process runs (no second one mapped)
    assert len(declared) > 50
    assert [name for name in sorted(declared) if not hasattr(library, name)] == []


def test_swift_receives_the_numpy_buffer_without_copy(rng):
    X = rng.normal(size=(10, 4))
    assert _core.debug_address(X) == X.ctypes.data
    X32 = X.astype(np.float32)
    assert _core.debug_address(X32) == X32.ctypes.data


def test_output_is_a_fresh_array_filled_in_place_by_swift(rng):
    X = rng.normal(size=(50, 3))
    out = _core.project_simplex(X, 0, 1.0, 1)
    assert out.flags.c_contiguous and out.flags.owndata and out.base is None
    assert not np.shares_memory(out, X)
    np.testing.assert_allclose(out.sum(axis=0), 1.0)


def test_extension_never_copies_silently():
    with pytest.raises(TypeError, match="X must be C-contiguous"):
        _core.project_simplex(np.asfortranarray(np.ones((3, 3))), 0, 1.0, 1)
    with pytest.raises(TypeError, match="X must have dtype float64 or float32"):
        _core.project_simplex(np.ones((3, 3), dtype=np.int64), 0, 1.0, 1)
    with pytest.raises(TypeError, match="X must be a numpy.ndarray"):
        _core.project_simplex([[1.0]], 0, 1.0, 1)
    with pytest.raises(TypeError, match="native byte order"):
        _core.project_simplex(np.ones((3, 3), dtype=">f8"), 0, 1.0, 1)


def test_swift_errors_become_value_errors_naming_the_argument():
    with pytest.raises(ValueError, match="radius must be a positive finite number"):
        _core.project_simplex(np.ones((3, 3)), 0, -2.0, 1)
    with pytest.raises(ValueError, match="axis must be 0 or 1"):
        _core.project_simplex(np.ones((3, 3)), 5, 1.0, 1)
    with pytest.raises(ValueError, match="X contains NaN"):
        _core.project_simplex(np.full((3, 3), np.nan), 0, 1.0, 1)


def test_gil_is_released_while_swift_runs():
    # A worker thread spins in Swift for 1 s of its own CPU time. Were the GIL held, the main thread
    # could not run a single Python bytecode meanwhile: its longest pause would span the whole call.
    # Compared with the call's own wall time, so that a loaded machine stretches both alike.
    worker = threading.Thread(target=_core.debug_spin, args=(1.0,))
    longest_pause, ticks = 0.0, 0
    start = last = time.perf_counter()
    worker.start()
    while worker.is_alive():
        now = time.perf_counter()
        longest_pause, last, ticks = max(longest_pause, now - last), now, ticks + 1
    worker.join()
    call_time = time.perf_counter() - start
    assert ticks > 1000 and longest_pause < 0.5 * call_time, (ticks, longest_pause, call_time)


def test_threads_setting_round_trips():
    before = losslens.get_num_threads()
    try:
        losslens.set_num_threads(1)
        assert losslens.get_num_threads() == 1
        assert _core.blas_num_threads() == 1
    finally:
        losslens.set_num_threads(0 if before == _core_cpu_count() else before)
    with pytest.raises(ValueError, match="n_threads"):
        losslens.set_num_threads(-3)
    with pytest.raises(TypeError, match="n_threads"):
        losslens.set_num_threads(1.5)


def _core_cpu_count():
    import os

    return len(os.sched_getaffinity(0))


def test_show_config_reports_version_blas_and_threads(capsys):
    losslens.show_config()
    text = capsys.readouterr().out
    assert f"losslens: {losslens.__version__}" in text
    assert "OpenBLAS" in text and "threads: core" in text
    assert _core.ABI_VERSION == _core.abi_version()
