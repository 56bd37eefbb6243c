"""The lossless count codec of the embedded datasets."""

from __future__ import annotations

import io

import numpy as np
import pytest

from oncosig.datasets._store import (
    decode_counts,
    encode_counts,
    matrix_sha256,
    shuffle_bytes,
    unshuffle_bytes,
)


def test_round_trip_is_exact(rng: np.random.Generator) -> None:
    counts = rng.negative_binomial(2, 0.001, size=(50, 7)).astype(np.int64)
    counts[0, 0] = 2**32 - 1
    blob = encode_counts(counts)
    out = decode_counts(io.BytesIO(blob), counts.shape, matrix_sha256(counts))
    np.testing.assert_array_equal(out, counts)
    assert out.dtype == np.uint32 and not out.flags.writeable
    assert encode_counts(counts) == blob  # deterministic


def test_shuffle_groups_bytes() -> None:
    values = np.array([1, 2, 258], dtype=np.uint32)
    raw = shuffle_bytes(values)
    assert raw == bytes([1, 2, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(unshuffle_bytes(raw, (3,)), values)


def test_rejects_bad_input_and_corruption(rng: np.random.Generator) -> None:
    with pytest.raises(TypeError, match="integer dtype"):
        encode_counts(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"\[0, 2\*\*32\)"):
        encode_counts(np.array([[-1]]))
    counts = rng.integers(0, 100, size=(4, 4))
    blob = encode_counts(counts)
    with pytest.raises(ValueError, match="SHA-256"):
        decode_counts(io.BytesIO(blob), (4, 4), "0" * 64)
    with pytest.raises(ValueError, match="bytes, expected"):
        decode_counts(io.BytesIO(blob), (4, 5))
