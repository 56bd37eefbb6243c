"""Benjamini-Hochberg adjustment against R's p.adjust(method="BH")."""

from __future__ import annotations

import numpy as np
import pytest

from oncosig.de import bh_fdr


def test_bh_matches_r_values() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5, 0.2])
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.5, 0.2), "BH")
    expected = np.array([0.03, 0.06, 0.06, 0.03, 0.5, 0.24])
    np.testing.assert_allclose(bh_fdr(p), expected, rtol=1e-12)


def test_bh_nan_aware_and_monotone(rng: np.random.Generator) -> None:
    p = rng.uniform(size=200) ** 3
    p[[3, 50, 199]] = np.nan
    q = bh_fdr(p)
    assert np.isnan(q[[3, 50, 199]]).all()
    ok = ~np.isnan(p)
    np.testing.assert_allclose(q[ok], bh_fdr(p[ok]))  # NaN entries do not count as tests
    order = np.argsort(p[ok])
    assert np.all(np.diff(q[ok][order]) >= -1e-15)
    assert np.all(q[ok] >= p[ok]) and np.all(q[ok] <= 1)


@pytest.mark.parametrize("p", [np.array([]), np.array([np.nan, np.nan])])
def test_bh_empty_or_all_nan(p: np.ndarray) -> None:
    q = bh_fdr(p)
    assert q.shape == p.shape and np.isnan(q).all()
