"""edgeR's GLM pipeline for two groups: Cox-Reid dispersions, ``glmFit``, ``glmLRT``.

Reproduces edgeR 3.40's ``estimateGLMCommonDisp`` (Cox-Reid APL maximised by R's
``optimize`` over ``dispersion^(1/4)``), ``estimateGLMTagwiseDisp`` (weighted
likelihood empirical Bayes on an 11-point grid around the common dispersion,
``prior.df=10``, no trend, fmm-spline interpolation), ``glmFit`` (one-way layout:
per-group Newton fits; logFC from the fit with ``prior.count=0.125``) and ``glmLRT``.
Arrays are genes x samples; ``group`` holds 0 (reference) and 1.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from oncosig.de._nbcore import (
    SplitCounts,
    ave_log_cpm,
    oneway_apl_grid,
    oneway_deviance,
    oneway_fit,
    run_blocks,
)
from oncosig.de._optim import brent_fmin, maximize_interpolant


def systematic_subset(n: int, order_by: np.ndarray) -> np.ndarray:
    """edgeR ``systematicSubset``: every k-th gene in the order of ``order_by``."""
    total = order_by.size
    ratio = total // n
    if ratio <= 1:
        return np.arange(total)
    n1 = total // ratio
    o = np.argsort(order_by, kind="stable")
    return o[ratio * np.arange(1, n1 + 1) - 1]


def glm_common_disp(
    sc: SplitCounts,
    *,
    ave_log_cpm_values: np.ndarray,
    interval: tuple[float, float] = (0.0, 4.0),
    tol: float = 1e-5,
    min_row_sum: float = 5.0,
    subset: int | None = 10000,
) -> float:
    """edgeR ``estimateGLMCommonDisp(method="CoxReid")`` for a one-way design.

    Parameters
    ----------
    sc
        Counts split by group.
    ave_log_cpm_values
        ``aveLogCPM`` with dispersion 0.05 (orders the genes for the systematic subset).
    interval, tol, min_row_sum, subset
        As edgeR's ``dispCoxReid``.
    """
    total = sum(sc.ysum)
    rows = np.flatnonzero(total >= min_row_sum)
    if rows.size == 0:
        raise ValueError("no gene has a total count of at least 5; cannot estimate a dispersion")
    if subset is not None and subset <= rows.size / 2:
        rows = rows[systematic_subset(subset, ave_log_cpm_values[rows])]
    sub = sc.subset(rows)
    state: dict[str, list[np.ndarray]] = {}

    def objective(par: float) -> float:
        disp = max(par**4, 1e-300)
        apl, lam = oneway_apl_grid(sub, np.array([disp]), start=state.get("lam"))
        state["lam"] = lam
        return -float(apl.sum())

    par = brent_fmin(objective, interval[0] ** 0.25, interval[1] ** 0.25, tol)
    return float(par**4)


def glm_tagwise_disp(
    sc: SplitCounts,
    common: float,
    *,
    prior_df: float = 10.0,
    min_row_sum: float = 5.0,
    grid_npts: int = 11,
    grid_range: tuple[float, float] = (-6.0, 6.0),
) -> np.ndarray:
    """edgeR ``estimateGLMTagwiseDisp`` with ``trend=FALSE`` (the common dispersion prior)."""
    out = np.full(sc.n_genes, common)
    rows = np.flatnonzero(sum(sc.ysum) >= min_row_sum)
    if rows.size == 0:
        return out
    sub = sc if rows.size == sc.n_genes else sc.subset(rows)
    prior_n = prior_df / (sc.n_samples - len(sc.levels))
    pts = np.linspace(grid_range[0], grid_range[1], grid_npts)
    apl, _ = oneway_apl_grid(sub, common * 2.0**pts)
    smooth = apl.mean(axis=0)[None, :]
    apl = (apl + prior_n * smooth) / (1 + prior_n)
    out[rows] = common * 2.0 ** maximize_interpolant(pts, apl)
    return out


def null_counts(sc: SplitCounts) -> SplitCounts:
    """The same counts as one group (the intercept-only null model of ``glmLRT``)."""
    null = SplitCounts.__new__(SplitCounts)
    null.levels = np.array([0])
    null.cols = [np.concatenate(sc.cols)]
    null.y = [np.concatenate(sc.y, axis=1)] if len(sc.y) > 1 else sc.y
    null.y32 = [np.concatenate(sc.y32, axis=1)] if len(sc.y) > 1 else sc.y32
    null.lib = [np.concatenate(sc.lib)]
    null.ysum = [sum(sc.ysum)]
    null.n_genes, null.n_samples = sc.n_genes, sc.n_samples
    null.table_index, null.table_values = None, None
    return null


def _fast_lr_ok(sc: SplitCounts, beta: np.ndarray, dispersion: np.ndarray) -> bool:
    """Whether every cell is in the NB branch of edgeR's unit deviance (no Poisson/gamma)."""
    if np.min(dispersion) < 1e-4:
        return False
    mu_max = max(
        float(np.max(np.exp(beta[:, k]) * dispersion)) * float(lib.max())
        for k, lib in enumerate(sc.lib)
    )
    return mu_max <= 1e6


def _lr_difference(
    sc: SplitCounts, beta: np.ndarray, beta0: np.ndarray, dispersion: np.ndarray
) -> np.ndarray:
    """Null minus full NB deviance without the terms that cancel between the two.

    ``2 sum_j [y log(mu1/mu0) + (y + 1/phi) log((mu0 + 1/phi) / (mu1 + 1/phi))]``: the
    ``y log y`` and ``(y + 1/phi) log(y + 1/phi)`` parts of the unit deviances cancel,
    leaving two logarithms per cell (edgeR's 1e-8 offsets change this by < 1e-7).
    """
    out = np.zeros(sc.n_genes)
    lam0 = np.exp(beta0)
    r = 1.0 / dispersion

    def block(sl: slice) -> None:
        acc = np.zeros(sl.stop - sl.start)
        for k, lib in enumerate(sc.lib):
            lam1 = np.exp(beta[sl, k])
            yk = sc.y[k][sl]
            with np.errstate(divide="ignore", invalid="ignore"):
                acc += np.where(sc.ysum[k][sl] > 0, sc.ysum[k][sl] * (beta[sl, k] - beta0[sl]), 0.0)
            num = np.multiply.outer(lam0[sl], lib)
            num += r[sl, None]
            den = np.multiply.outer(lam1, lib)
            den += r[sl, None]
            np.divide(num, den, out=num)
            np.log(num, out=num)
            acc += np.einsum("ij,ij->i", yk, num) + r[sl] * num.sum(axis=1)
        out[sl] = 2.0 * acc

    run_blocks(block, sc.n_genes, sc.n_samples)
    return out


def glm_fit_lrt(
    sc: SplitCounts,
    dispersion: np.ndarray,
    *,
    prior_count: float = 0.125,
    return_fit: bool = False,
) -> tuple[np.ndarray, ...]:
    """``glmFit`` + ``glmLRT(coef=2)`` for ``~group``: logFC (level 1 vs 0), LR, p-value.

    With ``return_fit`` the unshrunk log-means (genes x groups) and the deviance of
    the full model are returned too.
    """
    beta = oneway_fit(sc, dispersion)
    null = null_counts(sc)
    beta0 = oneway_fit(null, dispersion)
    dev_full = None
    if return_fit or not _fast_lr_ok(sc, beta, dispersion):
        dev_full = oneway_deviance(sc, beta, dispersion)
        dev_null = oneway_deviance(null, beta0, dispersion)
        lr = dev_null - dev_full
    else:
        lr = _lr_difference(sc, beta, beta0[:, 0], dispersion)
    pval = np.where(lr > 0, stats.chi2.sf(np.maximum(lr, 0.0), df=1), 1.0)
    lib_all = null.lib[0]
    priors, libs = [], []
    for lib in sc.lib:
        # the prior count scales with the library size relative to the mean of all samples
        priors.append(prior_count * lib / lib_all.mean())
        libs.append(lib + 2 * priors[-1])
    shrunk = oneway_fit(sc, dispersion, prior=priors, lib=libs)
    log_fc = (shrunk[:, 1] - shrunk[:, 0]) / math.log(2)
    if return_fit:
        assert dev_full is not None
        return log_fc, lr, pval, beta, dev_full
    return log_fc, lr, pval


def glm_lrt_pipeline(
    y: np.ndarray, lib: np.ndarray, group: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """The TCGAbiolinks glmLRT recipe (library sizes only, GLM common + tagwise dispersion).

    Returns
    -------
    logFC, logCPM, LR, PValue, tagwise dispersion, common dispersion.
    """
    sc = SplitCounts(y, lib, group, integer=True)
    alc05 = ave_log_cpm(y, lib, dispersion=0.05)
    common = glm_common_disp(sc, ave_log_cpm_values=alc05)
    log_cpm = ave_log_cpm(y, lib, dispersion=common)
    tagwise = glm_tagwise_disp(sc, common)
    log_fc, lr, p = glm_fit_lrt(sc, tagwise)
    return log_fc, log_cpm, lr, p, tagwise, common
