"""Recording per-sample losses during training, in memory or in a growing ``.npy`` file."""
import os

import numpy as np

_FIRST_CAPACITY = 64


class LossRecorder:
    """Collects one per-sample loss vector per training step: the loss matrix L of LDD.

    Steps are stored checkpoint-major (one contiguous row per step), so an append is one contiguous
    write and ``matrix()`` is the transposed view of shape (n_samples, n_steps): no copy. ``LDD.fit``
    reads that view in place (its loss differences come out C-contiguous without transposing).

    Parameters
    ----------
    n_samples : int
        Length of every loss vector (the reference set's size N).
    dtype : dtype, default=numpy.float32
        Storage type.
    path : str or os.PathLike, default=None
        If given, the matrix lives in this ``.npy`` file (memory-mapped, grown by doubling its
        capacity) and can be reopened with ``numpy.load(path, mmap_mode="r")`` once ``close()``
        trimmed it, as an array of shape (n_steps, n_samples). Otherwise it is kept in memory.

    Attributes
    ----------
    n_steps : int
        Number of vectors appended so far.

    Examples
    --------
    >>> import numpy as np
    >>> from losslens import LossRecorder
    >>> recorder = LossRecorder(3)
    >>> for step in range(4):
    ...     recorder.append(np.array([3.0, 2.0, 1.0]) / (step + 1))
    >>> recorder.losses.shape
    (3, 4)
    """

    def __init__(self, n_samples, dtype=np.float32, path=None):
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive int, got {n_samples!r}")
        self.n_samples = int(n_samples)
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"dtype must be a floating type, got {self.dtype}")
        self.path = None if path is None else os.fspath(path)
        self.n_steps = 0
        self._buffer = self._allocate(_FIRST_CAPACITY)

    def _allocate(self, capacity):
        shape = (capacity, self.n_samples)
        if self.path is None:
            return np.empty(shape, dtype=self.dtype)
        if self.n_steps == 0:
            return np.lib.format.open_memmap(self.path, mode="w+", dtype=self.dtype, shape=shape)
        self._buffer.flush()
        offset = self._buffer.offset
        del self._buffer
        self._write_shape(capacity, offset)
        with open(self.path, "r+b") as handle:
            handle.truncate(offset + capacity * self.n_samples * self.dtype.itemsize)
        return np.memmap(self.path, dtype=self.dtype, mode="r+", offset=offset, shape=shape)

    def _write_shape(self, rows, offset):
        """Rewrites the ``.npy`` header in place for `rows` rows (numpy leaves room for this)."""
        header = repr({"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False,
                       "shape": (rows, self.n_samples)})
        with open(self.path, "r+b") as handle:
            magic = handle.read(8)
            prefix = 8 + (2 if magic[6] == 1 else 4)
            room = offset - prefix
            if len(header) + 1 > room:
                raise OSError(f"the .npy header of {self.path} has no room to grow")
            handle.seek(prefix)
            handle.write((header.ljust(room - 1) + "\n").encode("latin1"))
        self._check_header(rows)

    def _check_header(self, rows):
        with open(self.path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, _ = reader(handle)
        if shape != (rows, self.n_samples):
            raise OSError(f"could not update the header of {self.path} (read shape {shape})")

    def append(self, losses):
        """Append the loss vector of one step (length ``n_samples``)."""
        losses = np.asarray(losses)
        if losses.shape != (self.n_samples,):
            raise ValueError(f"losses must have shape ({self.n_samples},), got {losses.shape}")
        if self.n_steps == len(self._buffer):
            grown = self._allocate(max(2 * len(self._buffer), _FIRST_CAPACITY))
            if self.path is None:
                grown[: self.n_steps] = self._buffer[: self.n_steps]
            self._buffer = grown
        self._buffer[self.n_steps] = losses
        self.n_steps += 1

    @property
    def losses(self):
        """The loss matrix L of shape (n_samples, n_steps), a view (no copy)."""
        return self._buffer[: self.n_steps].T

    def matrix(self):
        """The loss matrix L of shape (n_samples, n_steps), a view (no copy)."""
        return self.losses

    def close(self):
        """Trim the ``.npy`` file to the steps recorded and flush it (no-op in memory)."""
        if self.path is None:
            return
        self._buffer.flush()
        offset = self._buffer.offset
        capacity = self.n_steps if self.n_steps > 0 else 0
        self._buffer = self._allocate_trimmed(capacity, offset)

    def _allocate_trimmed(self, rows, offset):
        del self._buffer
        self._write_shape(rows, offset)
        with open(self.path, "r+b") as handle:
            handle.truncate(offset + rows * self.n_samples * self.dtype.itemsize)
        if rows == 0:
            return np.empty((0, self.n_samples), dtype=self.dtype)
        return np.memmap(self.path, dtype=self.dtype, mode="r+", offset=offset, shape=(rows, self.n_samples))

    def __len__(self):
        return self.n_steps

    def __repr__(self):
        where = "memory" if self.path is None else repr(self.path)
        return f"LossRecorder(n_samples={self.n_samples}, n_steps={self.n_steps}, dtype={self.dtype}, in {where})"


__all__ = ["LossRecorder"]
