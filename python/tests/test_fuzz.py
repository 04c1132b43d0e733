"""Property-based fuzzing of every public function, each in a child process so crashes are caught."""
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from _fuzz_targets import TARGETS

EXAMPLES = 300


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzzed_calls_raise_cleanly_or_meet_invariants(name, tmp_path):
    log = tmp_path / "last-input.pkl"
    child = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("_fuzz_child.py")), name, str(EXAMPLES), str(log)],
        capture_output=True, text=True, timeout=600,
    )
    if child.returncode < 0:
        last = pickle.loads(log.read_bytes()) if log.exists() else "unknown"
        pytest.fail(f"{name} crashed the interpreter (signal {-child.returncode}) on input {last!r}")
    assert child.returncode == 0, child.stdout[-4000:] + child.stderr[-4000:]


# Tested by test_boundary.py instead: they take no arrays. Plotting functions (plot_*) draw what a
# fitted object already validated and are exercised by their modules' tests.
NOT_FUZZED = {"__version__", "get_num_threads", "set_num_threads", "show_config"}


def _public_callables():
    import inspect

    import losslens

    names = set()
    for name in set(losslens.__all__) - NOT_FUZZED:
        value = getattr(losslens, name)
        if inspect.ismodule(value):
            names |= {f"{name}.{member}" for member in getattr(value, "__all__", ())
                      if callable(getattr(value, member)) and not inspect.isclass(getattr(value, member))
                      and not member.startswith("plot")}
        else:
            names.add(name)
    return names


def test_every_public_function_and_estimator_is_fuzzed():
    missing = sorted(name for name in _public_callables()
                     if not any(target == name or target.startswith(name + ".") for target in TARGETS))
    assert not missing, f"public callables without a fuzz target: {missing}"
