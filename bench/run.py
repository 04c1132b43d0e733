"""Run every benchmark (bench/bench_*.py) and print ours vs reference, same run, same inputs.

Usage: python bench/run.py [name ...]   (e.g. `python bench/run.py simplex`)
"""
import importlib
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import losslens  # noqa: E402
from _harness import HEADER, blas_summary  # noqa: E402


def main(selected):
    print(f"losslens {losslens.__version__}; core threads {losslens.get_num_threads()}; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}")
    print(f"BLAS in this process: {blas_summary()}")
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if selected and name not in selected:
            continue
        print(f"\n== {name} ==\n{HEADER}")
        importlib.import_module(path.stem).run(lambda line: print(line, flush=True))


if __name__ == "__main__":
    main(sys.argv[1:])
