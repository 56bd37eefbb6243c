"""Benjamini-Hochberg false discovery rate (R's ``p.adjust(p, "BH")``), NaN-aware."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def bh_fdr(pvalues: ArrayLike) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values, as R's ``p.adjust(p, method="BH")``.

    Parameters
    ----------
    pvalues
        P-values (any shape); NaN entries stay NaN and do not count towards the number
        of tests, as in R.

    Returns
    -------
    Adjusted p-values, same shape as the input.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    flat = p.reshape(-1)
    out = np.full(flat.shape, np.nan)
    ok = ~np.isnan(flat)
    n = int(ok.sum())
    if n == 0:
        return out.reshape(p.shape)
    pv = flat[ok]
    order = np.argsort(pv, kind="stable")[::-1]  # decreasing
    ranks = np.arange(n, 0, -1, dtype=np.float64)
    adj = np.minimum.accumulate(n / ranks * pv[order])
    res = np.empty(n)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out.reshape(p.shape)
