"""Shared pytest fixtures.

``shared_dir`` points at ``../shared/data`` beside the repository (as CI lays it out);
tests that need it are skipped, with the reason, where it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ONCOSIG_SHARED", REPO.parent / "shared")) / "data"

os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared/data``; skips the test where it is missing."""
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED}")
    return SHARED


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator for synthetic data."""
    return np.random.default_rng(0)
