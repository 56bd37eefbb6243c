"""limma's empirical Bayes variance moderation (``squeezeVar`` / ``fitFDist``).

Reproduces limma 3.54 (the version beside edgeR 3.40): the scaled-F fit of the
quasi-likelihood dispersions with an abundance trend (a natural cubic spline with up
to 4 df in the covariate, as ``splines::ns(covariate, df, intercept=TRUE)``).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special


def trigamma_inverse(x: float) -> float:
    """limma ``trigammaInverse`` (Newton iterations on 1 / trigamma)."""
    if x > 1e7:
        return 1.0 / np.sqrt(x)
    if x < 1e-6:
        return 1.0 / x
    y = 0.5 + 1.0 / x
    for _ in range(51):
        tri = special.polygamma(1, y)
        dif = tri * (1 - tri / x) / special.polygamma(2, y)
        y += dif
        if -dif / y < 1e-8:
            break
    return float(y)


def natural_spline_basis(x: np.ndarray, df: int, at: np.ndarray | None = None) -> np.ndarray:
    """A basis of the natural cubic splines of ``splines::ns(x, df, intercept=TRUE)``.

    Interior knots at the quantiles ``1/(df-1), ..., (df-2)/(df-1)`` of ``x`` and
    boundary knots at its range (R's defaults).  The basis differs from R's B-spline
    based one but spans the same space, so least-squares fits are identical.  ``at``
    evaluates the basis at other points.
    """
    n_inner = df - 2
    lo, hi = float(np.min(x)), float(np.max(x))
    probs = np.linspace(0, 1, n_inner + 2)[1:-1]
    knots = np.concatenate([[lo], np.quantile(x, probs), [hi]])
    scale = hi - lo if hi > lo else 1.0
    t = (knots - lo) / scale
    z = ((x if at is None else at) - lo) / scale
    big_k = t.size

    def d(k: int) -> np.ndarray:
        return (np.maximum(z - t[k], 0) ** 3 - np.maximum(z - t[-1], 0) ** 3) / (t[-1] - t[k])

    cols = [np.ones_like(z), z]
    for k in range(big_k - 2):
        cols.append(d(k) - d(big_k - 2))
    return np.column_stack(cols)


def fit_f_dist(
    x: np.ndarray, df1: np.ndarray, covariate: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """limma ``fitFDist``: scale (per gene with a covariate) and prior df of scaled F values."""
    n = x.size
    ok = np.isfinite(df1) & (df1 > 1e-15) & np.isfinite(x) & (x > -1e-15)
    nok = int(ok.sum())
    if nok <= 1:
        return np.full(n, np.nan), float("nan")
    xo = x[ok]
    d1 = df1[ok]
    cov_ok = None if covariate is None else covariate[ok]
    splinedf = 0
    if cov_ok is not None:
        splinedf = 1 + (nok >= 3) + (nok >= 6) + (nok >= 30)
        splinedf = min(splinedf, np.unique(cov_ok).size)
        if splinedf < 2:
            scale, df2 = fit_f_dist(xo, d1)
            return np.full(n, scale[0]), df2
    xo = np.maximum(xo, 0)
    m = float(np.median(xo))
    if m == 0:
        warnings.warn(
            "more than half of the residual variances are exactly zero: eBayes unreliable",
            stacklevel=2,
        )
        m = 1.0
    xo = np.maximum(xo, 1e-5 * m)
    e = np.log(xo) - special.digamma(d1 / 2) + np.log(d1 / 2)
    if cov_ok is None:
        emean_ok = np.full(nok, e.mean())
        evar = float(np.sum((e - e.mean()) ** 2) / (nok - 1))
        emean = np.full(n, e.mean())
    else:
        assert covariate is not None
        basis = natural_spline_basis(cov_ok, splinedf)
        coef, *_ = np.linalg.lstsq(basis, e, rcond=None)
        rank = np.linalg.matrix_rank(basis)
        emean_ok = basis @ coef
        evar = float(np.sum((e - emean_ok) ** 2) / (nok - rank))
        emean = np.empty(n)
        emean[ok] = emean_ok
        if not ok.all():
            emean[~ok] = natural_spline_basis(cov_ok, splinedf, at=covariate[~ok]) @ coef
    evar -= float(np.mean(special.polygamma(1, d1 / 2)))
    if evar > 0:
        df2 = 2 * trigamma_inverse(evar)
        s20 = np.exp(emean + special.digamma(df2 / 2) - np.log(df2 / 2))
    else:
        df2 = float("inf")
        s20 = np.full(n, float(np.mean(xo))) if covariate is None else np.exp(emean)
    return np.asarray(s20), float(df2)


def squeeze_var(
    var: np.ndarray, df: np.ndarray, covariate: np.ndarray | None = None
) -> tuple[float, np.ndarray, np.ndarray]:
    """limma ``squeezeVar`` (``robust=FALSE``): prior df, prior and posterior variances."""
    var = np.where(df == 0, 0.0, var)
    scale, df_prior = fit_f_dist(var, df, covariate)
    if np.isnan(df_prior):
        raise ValueError("could not estimate the prior degrees of freedom")
    if np.isinf(df_prior):
        post = np.asarray(scale, dtype=float).copy()
    else:
        post = (df * var + df_prior * scale) / (df + df_prior)
    return df_prior, np.asarray(scale), post
