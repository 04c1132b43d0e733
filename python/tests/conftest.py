import shutil
import sys
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="module")
def client():
    """Two single-threaded Dask worker processes, as issue 10 asks (shared by the tests of a module)."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="session")
def losslens_command():
    """The installed ``losslens`` console script, as the start of a subprocess command line."""
    script = Path(sys.executable).parent / "losslens"
    return [str(script)] if script.exists() else [shutil.which("losslens") or pytest.fail("no losslens script")]
