"""Quick tour of losslens on real data: scikit-learn's bundled 8x8 digits.

Each image is projected onto the probability simplex (a distribution over its 64 pixels); the
class-average distributions are then compared. Runs in a few seconds.
"""
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

import losslens
# NumPy references and synthetic problems live with the tests (python/tests/).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python" / "tests"))
from _reference import project_simplex_sort


def main():
    losslens.show_config()
    digits = load_digits()
    X, y = digits.data, digits.target  # (1797, 64), integer pixel intensities
    centred = X - X.mean(axis=1, keepdims=True)

    start = time.perf_counter()
    P = losslens.project_simplex(centred, axis=1)  # ints are converted to float64 once
    elapsed = time.perf_counter() - start
    error = np.abs(P - project_simplex_sort(centred, axis=1)).max()
    print(f"\nprojected {P.shape[0]} digit images onto the simplex in {elapsed * 1e3:.2f} ms "
          f"(max deviation from NumPy's sort-based projection {error:.1e}; rows sum to 1 within "
          f"{np.abs(P.sum(axis=1) - 1).max():.1e})")
    print(f"pixels kept per image: median {np.median((P > 0).sum(axis=1)):.0f} of 64")

    means = np.stack([P[y == d].mean(axis=0) for d in range(10)])
    overlap = np.minimum(means[:, None, :], means[None, :, :]).sum(axis=2)  # 1 - total variation
    np.fill_diagonal(overlap, -1)
    a, b = np.unravel_index(overlap.argmax(), overlap.shape)
    print(f"most similar class-average distributions: {a} and {b} (overlap {overlap[a, b]:.3f})")
    for d in range(10):
        print(f"  digit {d}: " + " ".join("#" if v > 1.5 / 64 else "." for v in means[d].reshape(8, 8)[3]))


if __name__ == "__main__":
    main()
