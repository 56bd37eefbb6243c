"""Lossless compact storage of integer count matrices shipped with the package.

A matrix is stored as one ``.u32.zlib`` file: the ``uint32`` values in C order, the bytes
"shuffled" (all first bytes of every value, then all second bytes, ...; the HDF5/Blosc
shuffle filter), then DEFLATE-compressed (zlib stream, level 9, with its Adler-32
checksum).  Shuffling groups the mostly-zero high bytes of the counts together.  On the
embedded TCGA counts this is within 6 % of LZMA's size (xz -9e) and decompresses about 7x
faster, which keeps loading well under a second.  A JSON sidecar records the shape and
the SHA-256 of the unshuffled little-endian bytes, checked on every read.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import IO

import numpy as np

_ITEMSIZE = 4
_DTYPE = np.dtype("<u4")


def shuffle_bytes(values: np.ndarray) -> bytes:
    """Byte-shuffle a ``uint32`` array (C order) into a bytes string."""
    arr = np.ascontiguousarray(values, dtype=_DTYPE).reshape(-1)
    planes = arr.view(np.uint8).reshape(-1, _ITEMSIZE).T
    return np.ascontiguousarray(planes).tobytes()


def unshuffle_bytes(data: bytes, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`shuffle_bytes`: a ``uint32`` array of ``shape``."""
    n = int(np.prod(shape))
    if len(data) != n * _ITEMSIZE:
        raise ValueError(f"stored matrix has {len(data)} bytes, expected {n * _ITEMSIZE}")
    planes = np.frombuffer(data, dtype=np.uint8).reshape(_ITEMSIZE, n)
    return np.ascontiguousarray(planes.T).view(_DTYPE).reshape(shape)


def matrix_sha256(values: np.ndarray) -> str:
    """SHA-256 of the little-endian ``uint32`` bytes of ``values`` (C order)."""
    return hashlib.sha256(np.ascontiguousarray(values, dtype=_DTYPE).tobytes()).hexdigest()


def encode_counts(values: np.ndarray, *, level: int = 9) -> bytes:
    """Compress a non-negative integer matrix losslessly (``uint32`` + shuffle + zlib).

    Parameters
    ----------
    values
        Integer matrix with values in ``[0, 2**32)``.
    level
        zlib compression level (the output is deterministic for a given level).

    Returns
    -------
    The zlib-compressed bytes.
    """
    arr = np.asarray(values)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"counts must have an integer dtype, got {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() > np.iinfo(np.uint32).max):
        raise ValueError("counts must lie in [0, 2**32) to be stored as uint32")
    return zlib.compress(shuffle_bytes(arr.astype(_DTYPE)), level)


def decode_counts(fh: IO[bytes], shape: tuple[int, ...], sha256: str | None = None) -> np.ndarray:
    """Read a matrix written by :func:`encode_counts`.

    Parameters
    ----------
    fh
        Binary file object holding the zlib stream.
    shape
        Shape of the stored matrix.
    sha256
        Expected :func:`matrix_sha256`; a mismatch raises ``ValueError``.

    Returns
    -------
    Read-only ``uint32`` array of ``shape``.
    """
    data = zlib.decompress(fh.read())
    arr = unshuffle_bytes(data, shape)
    if sha256 is not None and hashlib.sha256(arr.tobytes()).hexdigest() != sha256:
        raise ValueError("embedded count matrix is corrupt (SHA-256 mismatch); reinstall oncosig")
    arr.flags.writeable = False
    return arr
