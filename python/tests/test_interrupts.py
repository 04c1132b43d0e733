"""Ctrl-C during a long native computation stops it promptly with KeyboardInterrupt."""
import signal
import subprocess
import sys
import textwrap
import time

CHILD = textwrap.dedent(
    """
    import sys, time
    from losslens import _core
    print("ready", flush=True)
    start = time.perf_counter()
    try:
        _core.debug_spin(30.0)
    except KeyboardInterrupt:
        print(f"interrupted after {time.perf_counter() - start:.3f}", flush=True)
    _core.debug_spin(0.05)  # the library still works afterwards
    print("recovered", flush=True)
    try:
        time.sleep(30)      # and Python's own Ctrl-C handling is back in place
    except KeyboardInterrupt:
        print("python handler restored", flush=True)
    """
)


def _interrupt_after(child, delay):
    """Waits for the child's "ready", sends Ctrl-C after `delay` s; asserts it stopped within 1 s."""
    assert child.stdout.readline().strip() == "ready"
    time.sleep(delay)
    sent = time.perf_counter()
    child.send_signal(signal.SIGINT)
    line = child.stdout.readline().strip()
    latency = time.perf_counter() - sent
    assert line.startswith("interrupted after"), line
    assert latency < 1.0, latency


def test_ctrl_c_stops_native_loop_within_a_second():
    with subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True) as child:
        _interrupt_after(child, 0.5)
        assert child.stdout.readline().strip() == "recovered"
        time.sleep(0.2)
        child.send_signal(signal.SIGINT)
        assert child.stdout.readline().strip() == "python handler restored"
        assert child.wait(timeout=10) == 0


FIT_CHILD = textwrap.dedent(
    """
    import time
    import numpy as np
    import losslens
    # Exact Prim MST over 100,000 points in 24 dimensions: O(n^2 d), tens of seconds.
    X = np.random.default_rng(0).normal(size=(100_000, 24))
    model = losslens.HDBSCAN(min_cluster_size=15, algorithm="prims")
    print("ready", flush=True)
    start = time.perf_counter()
    try:
        model.fit(X)
        print("finished", flush=True)
    except KeyboardInterrupt:
        print(f"interrupted after {time.perf_counter() - start:.3f}", flush=True)
    print(losslens.HDBSCAN(min_cluster_size=5).fit(X[:200, :3]).labels_.shape, flush=True)
    """
)


def test_ctrl_c_stops_a_long_fit_and_leaves_the_library_usable():
    with subprocess.Popen([sys.executable, "-c", FIT_CHILD], stdout=subprocess.PIPE, text=True) as child:
        _interrupt_after(child, 2.0)
        assert child.stdout.readline().strip() == "(200,)"
        assert child.wait(timeout=30) == 0
