"""Small numerical helpers that follow R's definitions exactly (quantile type 7, ranks)."""

from __future__ import annotations

import numpy as np


def r_quantile(x: np.ndarray, p: float, *, axis: int = 0) -> np.ndarray:
    """R's ``quantile(x, p, type=7)`` along ``axis``, ignoring NaN, safe with ``-inf``.

    numpy's linear interpolation turns ``(-inf, finite)`` pairs into NaN; R returns
    ``-inf`` there (``(1 - h) * -Inf + h * b``) and skips interpolation when the two
    order statistics are equal.  This function reproduces R.

    Parameters
    ----------
    x
        Array; NaN values are dropped (``na.rm=TRUE``) per slice.
    p
        Probability in [0, 1].
    axis
        Axis to reduce.

    Returns
    -------
    The quantiles; NaN for slices with no non-NaN value.
    """
    a = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    srt = np.sort(a, axis=-1)  # NaN last
    n = np.sum(~np.isnan(a), axis=-1)
    index = (n - 1) * p
    lo = np.floor(index).astype(np.int64)
    hi = np.ceil(index).astype(np.int64)
    lo_c = np.clip(lo, 0, None)[..., None]
    hi_c = np.clip(hi, 0, None)[..., None]
    qs = np.take_along_axis(srt, lo_c, axis=-1)[..., 0]
    xhi = np.take_along_axis(srt, hi_c, axis=-1)[..., 0]
    h = index - lo
    interp = (h > 0) & (xhi != qs)
    with np.errstate(invalid="ignore"):
        out = np.where(interp, (1 - h) * qs + h * xhi, qs)
    return np.where(n > 0, out, np.nan)


def spearman_sample_scores(x: np.ndarray) -> np.ndarray:
    """Standardised average ranks of each row (samples x genes).

    The Pearson correlation of two rows of the result, ``z_a @ z_b / n_genes``, equals
    R's ``cor(method="spearman")`` between the original rows.
    """
    r = average_ranks(np.asarray(x, dtype=np.float64))
    r = r - r.mean(axis=1, keepdims=True)
    sd = np.sqrt(np.mean(r**2, axis=1, keepdims=True))
    sd = np.where(sd > 0, sd, 1.0)
    return np.asarray(r / sd)


def average_ranks(a: np.ndarray) -> np.ndarray:
    """Row-wise ranks with ties averaged (R's ``rank()``, scipy ``method="average"``).

    One stable argsort per call, vectorised over rows (faster than
    ``scipy.stats.rankdata(axis=1)`` on large matrices).  Rows must not contain NaN.
    """
    a = np.asarray(a, dtype=np.float64)
    n_rows, n = a.shape
    if n == 0:
        return np.zeros_like(a)
    order = np.argsort(a, axis=1, kind="stable")
    srt = np.take_along_axis(a, order, axis=1)
    new = np.ones_like(srt, dtype=bool)
    new[:, 1:] = srt[:, 1:] != srt[:, :-1]
    flat_new = new.ravel()
    starts = np.flatnonzero(flat_new)
    ends = np.r_[starts[1:], flat_new.size] - 1
    pos = np.arange(flat_new.size) % n
    avg = (pos[starts] + pos[ends]) / 2.0 + 1.0
    group = np.cumsum(flat_new) - 1
    ranks_sorted = avg[group].reshape(n_rows, n)
    out = np.empty_like(a)
    np.put_along_axis(out, order, ranks_sorted, axis=1)
    return out
