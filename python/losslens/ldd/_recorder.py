"""Recording per-sample losses during training, in memory, in a growing ``.npy`` file or a Zarr store."""
import os

import numpy as np

_FIRST_CAPACITY = 64
_ZARR_CHUNK_SAMPLES = 1 << 20


def _zarr():
    """The zarr module, or None when it is not installed."""
    try:
        import zarr
    except ImportError:
        return None
    return zarr


class LossRecorder:
    """Collects one per-sample loss vector per training step: the loss matrix L of LDD, one LDD eq. (1) vector per step.

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
        If given, the matrix lives on disk and can be reopened with :meth:`open`. A path ending in
        ``.npy`` (or any path when Zarr is not installed) is a ``.npy`` file, memory-mapped and grown
        by doubling its capacity, readable with ``numpy.load(path, mmap_mode="r")`` once ``close()``
        trimmed it, as an array of shape (n_steps, n_samples). Otherwise it is a Zarr store of shape
        (n_steps, n_samples) with one chunk row per step, so an append writes only the new step's
        chunks and never rewrites earlier data. Without a path the matrix is kept in memory.
    chunk_samples : int, default=1048576
        Samples per chunk of a Zarr store (the unit a reader loads).

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

    def __init__(self, n_samples, dtype=np.float32, path=None, *, chunk_samples=_ZARR_CHUNK_SAMPLES):
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive int, got {n_samples!r}")
        self.n_samples = int(n_samples)
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"dtype must be a floating type, got {self.dtype}")
        self.path = None if path is None else os.fspath(path)
        self.n_steps = 0
        zarr = None if self.path is None or self.path.endswith(".npy") else _zarr()
        if zarr is not None:
            if isinstance(chunk_samples, bool) or not isinstance(chunk_samples, (int, np.integer)) or chunk_samples < 1:
                raise ValueError(f"chunk_samples must be a positive int, got {chunk_samples!r}")
            self._store = zarr.open_array(
                self.path, mode="w", shape=(0, self.n_samples), chunks=(1, min(int(chunk_samples), self.n_samples)),
                dtype=self.dtype,
            )
            return
        self._store = None
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
        if self._store is not None:
            self._store.append(losses.astype(self.dtype, copy=False)[None, :], axis=0)
            self.n_steps += 1
            return
        if self.n_steps == len(self._buffer):
            grown = self._allocate(max(2 * len(self._buffer), _FIRST_CAPACITY))
            if self.path is None:
                grown[: self.n_steps] = self._buffer[: self.n_steps]
            self._buffer = grown
        self._buffer[self.n_steps] = losses
        self.n_steps += 1

    @property
    def losses(self):
        """The loss matrix L of shape (n_samples, n_steps): a view (no copy), read whole from a Zarr store."""
        if self._store is not None:
            return np.asarray(self._store[: self.n_steps]).T
        return self._buffer[: self.n_steps].T

    def matrix(self):
        """The loss matrix L of shape (n_samples, n_steps), a view (no copy), read whole from a Zarr store."""
        return self.losses

    def close(self):
        """Trim the ``.npy`` file to the steps recorded and flush it (no-op in memory and for Zarr)."""
        if self.path is None or self._store is not None:
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

    @staticmethod
    def open(path, chunks=None):
        """The loss matrix L of shape (n_samples, n_steps) recorded at `path`, without loading it.

        Parameters
        ----------
        path : str or os.PathLike
            A ``.npy`` file trimmed by ``close()`` or a Zarr store written by a recorder.
        chunks : int, default=None
            None returns NumPy: the transposed memory map of a ``.npy`` file, or a Zarr store
            read into memory (compressed chunks have no memory map). An int returns a lazy
            ``dask.array`` chunked along samples (`chunks` rows per block, all steps in each),
            whose tasks open the file themselves (nothing large travels in the task graph). For a
            Zarr store take a multiple of its ``chunk_samples``, or each block decompresses more.

        Returns
        -------
        L : numpy.memmap, ndarray or dask.array.Array of shape (n_samples, n_steps)
        """
        source = _StoredSteps(os.fspath(path))
        if chunks is None:
            return source.read_all().T
        if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks < 1:
            raise ValueError(f"chunks must be a positive int or None, got {chunks!r}")
        from .._dask import import_dask

        _, da = import_dask()
        return da.from_array(
            source, chunks=(int(chunks), max(1, source.shape[1])), asarray=True, fancy=False,
            name=f"losses-{os.path.abspath(source.path)}-{source.shape}",
        )

    def __len__(self):
        return self.n_steps

    def __repr__(self):
        where = "memory" if self.path is None else repr(self.path)
        return f"LossRecorder(n_samples={self.n_samples}, n_steps={self.n_steps}, dtype={self.dtype}, in {where})"


class _StoredSteps:
    """A recorded store seen as (n_samples, n_steps): picklable (it holds the path only), opened per read."""

    def __init__(self, path):
        self.path = path
        self.is_zarr = os.path.isdir(path)
        if self.is_zarr and _zarr() is None:
            raise ImportError(f"{path} is a Zarr store: pip install zarr to read it")
        steps = self._steps()
        self.shape = (steps.shape[1], steps.shape[0])
        self.dtype = steps.dtype
        self.ndim = 2

    def _steps(self):
        """The stored (n_steps, n_samples) array, opened lazily."""
        if self.is_zarr:
            return _zarr().open_array(self.path, mode="r")
        return np.load(self.path, mmap_mode="r")

    def read_all(self):
        steps = self._steps()
        return np.asarray(steps[:]) if self.is_zarr else steps

    def __getitem__(self, key):
        rows, columns = key
        return np.ascontiguousarray(np.asarray(self._steps()[columns, rows]).T)


__all__ = ["LossRecorder"]
