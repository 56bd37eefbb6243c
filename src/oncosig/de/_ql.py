"""edgeR's quasi-likelihood pipeline after TMM, for two groups (edgeR 3.40, legacy QL).

``calcNormFactors(TMM)`` -> ``estimateDisp`` (APL on a 21-point grid, common
dispersion, abundance trend by a local-constant tricube smoother as ``locfit(deg=0)``)
-> ``glmQLFit`` (trended dispersion, QL dispersions squeezed towards an abundance
trend by limma's ``squeezeVar``) -> ``glmQLFTest`` (F test, Poisson bound).
Arrays are genes x samples; ``group`` holds 0 (reference) and 1.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from oncosig.de._glm import glm_fit_lrt, null_counts
from oncosig.de._limma import squeeze_var
from oncosig.de._nbcore import (
    SplitCounts,
    ave_log_cpm,
    oneway_apl_grid,
    oneway_deviance,
    oneway_fit,
)
from oncosig.de._optim import maximize_interpolant


def locfit_constant(x: np.ndarray, y: np.ndarray, span: float) -> np.ndarray:
    """Local-constant tricube smoother with nearest-neighbour bandwidth, at the data points.

    The bandwidth at ``x_i`` is the distance to its ``floor(n * span)``-th nearest
    neighbour (``locfit(alpha=span, deg=0)``); every column of ``y`` is smoothed.
    locfit itself evaluates on an adaptive tree and interpolates; this evaluates the
    local fit exactly at each point.
    """
    n = x.size
    k = max(1, math.floor(n * span))
    if span * n < 2 or n <= 1:
        return y.copy()
    order = np.argsort(x, kind="stable")
    xs = x[order]
    ys = y[order]
    out = np.empty_like(ys)
    step = max(1, (1 << 21) // n)
    for start in range(0, n, step):
        idx = np.arange(start, min(start + step, n))
        # k-th nearest neighbour distance: the best window of k consecutive sorted points
        lo = idx[:, None] - np.arange(k)[None, :]
        lo = np.clip(lo, 0, n - k)
        h = np.maximum(xs[idx, None] - xs[lo], xs[lo + k - 1] - xs[idx, None]).min(axis=1)
        h = np.where(h > 0, h, np.finfo(float).tiny)
        # the k nearest neighbours of consecutive sorted points lie in one column band
        band = slice(int(lo.min()), int(lo.max()) + k)
        u = np.abs(xs[None, band] - xs[idx, None]) / h[:, None]
        t = np.maximum(1.0 - u * u * u, 0.0)
        w = t * t * t
        out[idx] = (w @ ys[band]) / w.sum(axis=1)[:, None]
    res = np.empty_like(out)
    res[order] = out
    return res


def residual_df_zero(sc: SplitCounts, beta: np.ndarray) -> np.ndarray:
    """edgeR ``.residDF`` for the one-way layout: samples of an all-zero group drop out."""
    n_coef = len(sc.levels)
    df = np.full(sc.n_genes, float(sc.n_samples - n_coef))
    zero_groups = beta <= -1e8  # fitted values of zero with zero counts
    n_zero = (zero_groups * np.array([lib.size for lib in sc.lib])[None, :]).sum(axis=1)
    some = zero_groups.any(axis=1)
    n_nonzero_groups = (~zero_groups).sum(axis=1)
    df[some] = np.maximum(sc.n_samples - n_zero[some] - n_nonzero_groups[some], 0)
    return df


def estimate_disp_trended(
    sc: SplitCounts,
    y: np.ndarray,
    lib: np.ndarray,
    *,
    min_row_sum: float = 5.0,
    grid_length: int = 21,
    grid_range: tuple[float, float] = (-10.0, 10.0),
    span: float | None = None,
) -> tuple[float, np.ndarray, np.ndarray]:
    """edgeR ``estimateDisp(design)`` up to the trend: common, trended, AveLogCPM."""
    total = sum(sc.ysum)
    sel = total >= min_row_sum
    rows = np.flatnonzero(sel)
    if rows.size == 0:
        raise ValueError("no gene has a total count of at least 5; cannot estimate a dispersion")
    sub = sc if rows.size == sc.n_genes else sc.subset(rows)
    pts = np.linspace(grid_range[0], grid_range[1], grid_length)
    l0, _ = oneway_apl_grid(sub, 0.1 * 2.0**pts)
    overall = maximize_interpolant(pts, l0.sum(axis=0)[None, :])[0]
    common = 0.1 * 2.0**overall
    alc = ave_log_cpm(y, lib, dispersion=common)
    n_sel = rows.size
    if span is None:
        span = (10 / n_sel) ** 0.23 if n_sel > 10 else 1.0
    m0 = locfit_constant(alc[rows], l0, span)
    trend = 0.1 * 2.0 ** maximize_interpolant(pts, m0)
    trended = np.full(sc.n_genes, trend[int(np.argmin(alc[rows]))])
    trended[rows] = trend
    return common, trended, alc


def ql_pipeline(
    y: np.ndarray, lib: np.ndarray, group: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, float]]:
    """TMM-normalised library sizes in, edgeR QL F test out.

    Parameters
    ----------
    y
        Counts, genes x samples.
    lib
        Effective library sizes (library size x TMM factor).
    group
        0 (reference) / 1 per sample.

    Returns
    -------
    logFC, logCPM, F, PValue and a dict of the fitted hyper-parameters.
    """
    sc = SplitCounts(y, lib, group, integer=True)
    common, trended, _ = estimate_disp_trended(sc, y, lib)
    log_cpm = ave_log_cpm(y, lib, dispersion=common)
    log_fc, lr, _, beta, dev = glm_fit_lrt(sc, trended, return_fit=True)
    df_res = residual_df_zero(sc, beta)
    s2 = np.where(df_res > 0, dev / np.where(df_res > 0, df_res, 1.0), 0.0)
    s2 = np.maximum(s2, 0.0)
    df_prior, var_prior, var_post = squeeze_var(s2, df_res, covariate=log_cpm)
    f_stat = lr / var_post
    df_total = np.minimum(df_prior + df_res, sc.n_genes * (sc.n_samples - len(sc.levels)))
    with np.errstate(invalid="ignore"):
        p = stats.f.sf(f_stat, 1, df_total)
    # p-values no smaller than those of the Poisson LRT where the QL variance is below it
    lam = np.exp(beta)
    below = np.zeros(sc.n_genes, dtype=bool)
    for k, libk in enumerate(sc.lib):
        mu_max_term = (lam[:, k][:, None] * libk[None, :] * trended[:, None] + 1) * var_post[
            :, None
        ]
        below |= (mu_max_term < 1).any(axis=1)
    if below.any():
        p[below] = np.maximum(p[below], _poisson_lrt_p(sc, below))
    params = {"common_dispersion": common, "df_prior": df_prior}
    _ = var_prior
    return log_fc, log_cpm, f_stat, p, params


def _poisson_lrt_p(sc: SplitCounts, rows: np.ndarray) -> np.ndarray:
    """P-values of the Poisson (dispersion 0) LRT for the selected genes."""
    sub = sc.subset(np.flatnonzero(rows))
    zero = np.zeros(sub.n_genes)
    beta = oneway_fit(sub, zero)
    dev = oneway_deviance(sub, beta, zero)
    null = null_counts(sub)
    beta0 = oneway_fit(null, zero)
    dev0 = oneway_deviance(null, beta0, zero)
    lr = dev0 - dev
    return np.asarray(np.where(lr > 0, stats.chi2.sf(np.maximum(lr, 0), 1), 1.0))
