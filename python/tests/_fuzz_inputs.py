"""Hypothesis strategies for hostile array inputs: odd shapes, dtypes, layouts and values."""
import os

import numpy as np
from hypothesis import strategies as st

DTYPES = [np.float64, np.float32, np.float16, np.int64, np.int32, np.uint8, np.bool_, np.complex128, object]
LAYOUTS = ["C", "F", "strided", "reversed", "readonly", "memmap", "unaligned", "byteswapped"]


@st.composite
def hostile_arrays(draw, workdir, ndims=(0, 1, 2, 3), max_side=6, finite_bias=0.7):
    """An array with a random shape (0 and 1 included), dtype, memory layout and special values.

    Memory-mapped arrays are backed by files in `workdir`.
    """
    ndim = draw(st.sampled_from(ndims))
    shape = tuple(draw(st.integers(0, max_side)) for _ in range(ndim))
    size = int(np.prod(shape)) if shape else 1
    scale = draw(st.sampled_from([1.0, 1e-300, 1e-30, 1e30, 1e300]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = rng.normal(size=size) * scale
    if size and draw(st.floats(0, 1)) > finite_bias:
        specials = rng.choice([np.nan, np.inf, -np.inf], size=draw(st.integers(1, max(1, size))))
        values[rng.choice(size, size=len(specials), replace=False)] = specials
    dtype = draw(st.sampled_from(DTYPES))
    with np.errstate(all="ignore"):
        if dtype is object:
            array = values.astype(object)
        elif np.dtype(dtype).kind in "iub":
            array = np.nan_to_num(values, nan=0, posinf=1, neginf=-1).clip(-100, 100).astype(dtype)
        else:
            array = values.astype(dtype)
    array = array.reshape(shape)
    layout = draw(st.sampled_from(LAYOUTS))
    if layout == "F":
        array = np.asfortranarray(array)
    elif layout == "strided" and ndim:
        array = np.repeat(array, 2, axis=0)[::2]
    elif layout == "reversed" and ndim:
        array = array[::-1]
    elif layout == "readonly":
        array = array.copy()
        array.flags.writeable = False
    elif layout == "memmap" and dtype is not object:
        path = os.path.join(workdir, f"fuzz-{draw(st.integers(0, 2**62))}.npy")
        mapped = np.lib.format.open_memmap(path, mode="w+", dtype=array.dtype, shape=array.shape)
        mapped[...] = array
        array = mapped
    elif layout == "unaligned" and dtype is not object and array.dtype.itemsize > 1:
        raw = np.empty(array.nbytes + 1, dtype=np.uint8)
        shifted = np.frombuffer(raw[1:].data, dtype=array.dtype, count=array.size).reshape(array.shape)
        shifted[...] = array
        array = shifted
    elif layout == "byteswapped" and dtype is not object:
        array = array.astype(array.dtype.newbyteorder("S"))
    return array
