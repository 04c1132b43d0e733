"""Child process of the fuzz tests: runs one target's Hypothesis examples.

Before each call it writes the input to `<log>` so that, if the process dies (a native crash),
the parent can report what killed it. Exit code 0: every example passed; 1: a Python-level
failure (printed); negative: killed by a signal.
"""
import pickle
import re
import sys
import tempfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _fuzz_inputs import hostile_arrays
from _fuzz_targets import TARGETS

_LAYOUT_WORDS = re.compile("aligned|contiguous|byte order")


def main(name, examples, log_path):
    target = TARGETS[name]
    workdir = tempfile.mkdtemp(prefix="losslens-fuzz-")

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(X=hostile_arrays(workdir), params=target["params"], data=st.data())
    def run(X, params, data):
        with open(log_path, "wb") as log:
            pickle.dump({"X": np.array(X, copy=True), "dtype": str(X.dtype), "flags": str(X.flags), "params": params}, log)
        before = np.array(X, copy=True)
        try:
            result = target["call"](X, params)
        except (ValueError, TypeError) as exc:
            # A valid real array is never refused for its memory layout (issue 19).
            assert not (isinstance(exc, TypeError) and _LAYOUT_WORDS.search(str(exc))), f"layout refused: {exc}"
            result = None
        if X.dtype != object:
            assert np.array_equal(before, X, equal_nan=True), "the input array was modified"
        if result is not None:
            target["check"](result, X, params)

    run()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
