"""Datasets of the demo: scikit-learn's bundled digits (default, no download) and MNIST from IDX files."""
import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: The LDD paper's MNIST protocol (section 5.1): 30,000 reference (training) and 3,000 validation images.
MNIST_N_TRAIN = 30_000
MNIST_N_VALIDATION = 3_000

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@dataclass
class ImageData:
    """Images as float32 arrays of shape (n, 1, height, width) in [0, 1] with integer labels.

    The training split is the reference set whose per-sample losses are recorded at every step.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_classes(self):
        """Number of classes (labels are 0 .. n_classes - 1)."""
        return int(max(self.y_train.max(), self.y_val.max(), self.y_test.max())) + 1

    def describe(self):
        """One line: the dataset and the sizes of its three splits."""
        h, w = self.X_train.shape[2:]
        return (f"{self.name}: {len(self.y_train)} reference (training), {len(self.y_val)} validation, "
                f"{len(self.y_test)} test images of {h}x{w} pixels, {self.n_classes} classes")


def load_digits_data(random_state=0, n_val=300, n_test=300):
    """scikit-learn's 1,797 bundled 8x8 digits, split stratified into reference, validation and test sets.

    Parameters
    ----------
    random_state : int
        Seed of the stratified split.
    n_val, n_test : int
        Sizes of the validation and test sets; the remaining images form the reference set.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=n_test, stratify=y, random_state=random_state)
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=n_val, stratify=y_rest, random_state=random_state)
    return ImageData("scikit-learn digits", X_train, y_train, X_val, y_val, X_test, y_test)


def read_idx(path):
    """Read an IDX file (the MNIST format; ``.gz`` compressed or not) into a NumPy array.

    The header is two zero bytes, a type code, the number of dimensions, then one big-endian
    uint32 per dimension; the data follow in C order.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    ndim = raw[3]
    header_end = 4 + 4 * ndim
    shape = tuple(int(v) for v in np.frombuffer(raw[4:header_end], dtype=">u4"))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header_end != expected:
        raise ValueError(f"{path}: header announces shape {shape} ({expected} bytes), "
                         f"file holds {len(raw) - header_end} bytes of data")
    return np.frombuffer(raw, dtype=dtype, offset=header_end).reshape(shape).astype(dtype.newbyteorder("="))


def idx_shape(path):
    """The shape an IDX file's header announces (reads the header only)."""
    path = Path(path)
    with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as handle:
        head = handle.read(4)
        if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_DTYPES:
            raise ValueError(f"{path} is not an IDX file (bad magic number)")
        return tuple(int(v) for v in np.frombuffer(handle.read(4 * head[3]), dtype=">u4"))


def mnist_training_size(directory):
    """Number of images in the IDX training file of ``directory`` (header only)."""
    return idx_shape(_find_idx(Path(directory), "train-images-idx3-ubyte"))[0]


def _find_idx(directory, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (directory / name).exists():
            return directory / name
    raise FileNotFoundError(f"{directory} has no {stem}[.gz] (the standard MNIST IDX file names)")


def load_mnist_data(directory, n_train=MNIST_N_TRAIN, n_val=MNIST_N_VALIDATION):
    """An MNIST-format data set (MNIST, Fashion-MNIST, KMNIST, ...) from the four standard IDX files in
    ``directory``, split as in the LDD paper (section 5.1).

    The first ``n_train`` training images are the reference set, the next ``n_val`` the validation
    set; the ``t10k`` images are the test set. Raises ValueError when the training file holds fewer
    than ``n_train + n_val`` images.
    """
    directory = Path(directory)
    images = read_idx(_find_idx(directory, "train-images-idx3-ubyte"))
    labels = read_idx(_find_idx(directory, "train-labels-idx1-ubyte"))
    test_images = read_idx(_find_idx(directory, "t10k-images-idx3-ubyte"))
    test_labels = read_idx(_find_idx(directory, "t10k-labels-idx1-ubyte"))
    if len(images) != len(labels) or len(test_images) != len(test_labels):
        raise ValueError(f"{directory}: image and label files disagree in length")
    if n_train < 1 or n_val < 1:
        raise ValueError(f"n_train and n_val must be at least 1, got {n_train} and {n_val}")
    if n_train + n_val > len(images):
        raise ValueError(f"{directory}: the IDX training files hold {len(images)} images, fewer than n_train + n_val "
                         f"= {n_train} + {n_val} = {n_train + n_val}; lower --n-train / --n-val")

    def scaled(x):
        return (x.astype(np.float32) / 255.0)[:, None, :, :]

    return ImageData(
        f"MNIST-format images from {directory}",
        scaled(images[:n_train]), labels[:n_train].astype(np.int64),
        scaled(images[n_train:n_train + n_val]), labels[n_train:n_train + n_val].astype(np.int64),
        scaled(test_images), test_labels.astype(np.int64),
    )
