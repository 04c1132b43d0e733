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
