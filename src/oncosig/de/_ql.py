"""edgeR's quasi-likelihood pipeline after TMM, for two groups (edgeR 3.40, legacy QL).

``calcNormFactors(TMM)`` -> ``estimateDisp`` (APL on a 21-point grid, common
dispersion, abundance trend by ``WLEB``: ``locfitByCol`` with locfit's adaptive-tree
evaluation, see :mod:`oncosig.de._locfit`) -> ``glmQLFit`` (trended dispersion, QL
dispersions squeezed towards an abundance trend by limma's ``squeezeVar``) ->
``glmQLFTest`` (F test, Poisson bound).  edgeR 3.40 has no ``legacy`` argument: its
``glmQLFit`` is what edgeR >= 4 calls ``legacy=TRUE``.
Arrays are genes x samples; ``group`` holds 0 (reference) and 1.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from oncosig.de._glm import glm_fit_lrt, null_counts
from oncosig.de._limma import squeeze_var
from oncosig.de._locfit import locfit_by_col
from oncosig.de._nbcore import (
    SplitCounts,
    ave_log_cpm,
    oneway_apl_grid,
    oneway_deviance,
    oneway_fit,
)
from oncosig.de._optim import maximize_interpolant


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
    """edgeR ``estimateDisp(design)`` up to the trend: common, trended, AveLogCPM.

    The trend is ``WLEB(trend.method="locfit")``: the APL grid of the genes with a
    total count of at least ``min_row_sum`` is smoothed against AveLogCPM by
    ``locfitByCol(degree=0)`` (:func:`oncosig.de._locfit.locfit_by_col`) with WLEB's
    default span ``0.25 + 0.75 * sqrt(50 / n)`` (1 for ``n <= 50`` genes), then
    maximised per gene.  Genes below ``min_row_sum`` get the trend value of the
    selected gene with the smallest AveLogCPM.
    """
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
        span = 0.25 + 0.75 * (50 / n_sel) ** 0.5 if n_sel > 50 else 1.0
    m0 = locfit_by_col(l0, alc[rows], span)
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
