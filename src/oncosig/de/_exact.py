"""edgeR's classic pipeline: qCML common dispersion and the exact test.

Reproduces ``DGEList(counts, group)`` -> ``estimateCommonDisp`` -> ``exactTest`` of
edgeR 3.40 (the TCGAbiolinks ``TCGAanalyze_DEA(method="exactTest")`` recipe):
quantile-adjusted pseudo-counts (``equalizeLibSizes``, ``q2qnbinom``), conditional
maximum likelihood of the common dispersion (``commonCondLogLikDerDelta`` maximised
by R's ``optimize``), and ``exactTestDoubleTail`` with the beta approximation for
large counts.  Arrays are genes x samples.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats

from oncosig.de._nbcore import (
    add_prior_count,
    ave_log_cpm,
    one_group_beta,
)
from oncosig.de._optim import brent_fmin


def q2qnbinom(
    x: np.ndarray, input_mean: np.ndarray, output_mean: np.ndarray, dispersion: np.ndarray
) -> np.ndarray:
    """edgeR ``q2qnbinom``: map NB quantiles between means (average of normal and gamma maps).

    ``dispersion`` broadcasts against ``x`` (one value per gene as a column).
    """
    input_mean = np.array(input_mean, dtype=np.float64, copy=True)
    output_mean = np.array(output_mean, dtype=np.float64, copy=True)
    zero = (input_mean < 1e-14) | (output_mean < 1e-14)
    input_mean[zero] += 0.25
    output_mean[zero] += 0.25
    ri = 1.0 + dispersion * input_mean
    vi = input_mean * ri
    ro = 1.0 + dispersion * output_mean
    vo = output_mean * ro
    # normal part: qnorm(pnorm(x, mi, si), mo, so) is the linear map
    q1 = output_mean + np.sqrt(vo / vi) * (x - input_mean)
    upper = x >= input_mean
    ai = input_mean / ri
    ao = output_mean / ro
    q2 = np.empty_like(q1)
    with np.errstate(all="ignore"):
        pu = special.gammaincc(ai[upper], x[upper] / ri[upper])
        q2[upper] = special.gammainccinv(ao[upper], pu) * ro[upper]
        lo = ~upper
        pl = special.gammainc(ai[lo], x[lo] / ri[lo])
        q2[lo] = special.gammaincinv(ao[lo], pl) * ro[lo]
    # far tails where the probability underflows: R works on the log scale; the
    # gamma quantile is then as extreme as the normal one, use the normal map
    bad = ~np.isfinite(q2)
    q2[bad] = q1[bad]
    return np.asarray((q1 + q2) / 2.0)


def equalize_lib_sizes(
    y: np.ndarray, group: np.ndarray, dispersion: np.ndarray, lib: np.ndarray
) -> tuple[np.ndarray, float]:
    """edgeR ``equalizeLibSizes``: pseudo-counts at the geometric-mean library size."""
    common_lib = float(np.exp(np.mean(np.log(lib))))
    pseudo = np.empty_like(y)
    for lev in np.unique(group):
        j = group == lev
        beta = one_group_beta(y[:, j], lib[j], dispersion)
        lam = np.exp(beta)
        input_mean = lam[:, None] * lib[None, j]
        output_mean = np.repeat((lam * common_lib)[:, None], int(j.sum()), axis=1)
        pseudo[:, j] = q2qnbinom(y[:, j], input_mean, output_mean, dispersion[:, None])
    pseudo[pseudo < 0] = 0.0
    return pseudo, common_lib


def _cond_loglik(y_groups: list[np.ndarray], delta: float) -> float:
    """Sum over genes and groups of edgeR's ``condLogLikDerDelta(der=0)``."""
    r = 1.0 / delta - 1.0
    total = 0.0
    for yg in y_groups:
        n = yg.shape[1]
        t = yg.sum(axis=1)
        ll = (
            special.gammaln(yg + r).sum(axis=1)
            + math.lgamma(n * r)
            - special.gammaln(t + n * r)
            - n * math.lgamma(r)
        )
        total += float(ll.sum())
    return total


def estimate_common_disp(
    y: np.ndarray,
    group: np.ndarray,
    lib: np.ndarray,
    *,
    tol: float = 1e-6,
    rowsum_filter: float = 5.0,
) -> float:
    """edgeR ``estimateCommonDisp``: qCML common dispersion (two pseudo-count rounds).

    Parameters
    ----------
    y
        Counts, genes x samples.
    group
        Group code per sample.
    lib
        Effective library sizes.
    tol, rowsum_filter
        As edgeR (genes with total count above ``rowsum_filter`` are used).
    """
    sel = y.sum(axis=1) > rowsum_filter
    if not sel.any():
        raise ValueError("no gene has a total count above 5; cannot estimate a dispersion")
    disp = 0.01
    for _ in range(2):
        pseudo, _ = equalize_lib_sizes(y, group, np.full(y.shape[0], disp), lib)
        ps = pseudo[sel]
        groups = [ps[:, group == lev] for lev in np.unique(group)]

        def neg_loglik(d: float, groups: list[np.ndarray] = groups) -> float:
            return -_cond_loglik(groups, d)

        delta = brent_fmin(neg_loglik, 1e-4, 100 / 101, tol)
        disp = delta / (1 - delta)
    return float(disp)


def _beta_approx(s1: np.ndarray, s2: np.ndarray, n1: int, n2: int, disp: np.ndarray) -> np.ndarray:
    """edgeR ``exactTestBetaApprox`` on (unrounded) group sums."""
    s = s1 + s2
    mu = s / (n1 + n2)
    p = np.ones_like(s)
    nz = s > 0
    alpha1 = n1 * mu / (1 + disp * mu)
    alpha2 = n2 / n1 * alpha1
    med = np.zeros_like(s)
    med[nz] = special.betaincinv(alpha1[nz], alpha2[nz], 0.5)
    with np.errstate(divide="ignore", invalid="ignore"):
        left = ((s1 + 0.5) / s < med) & nz
        right = ((s1 - 0.5) / s > med) & nz
    p[left] = 2 * stats.beta.cdf((s1[left] + 0.5) / s[left], alpha1[left], alpha2[left])
    p[right] = 2 * stats.beta.sf((s1[right] - 0.5) / s[right], alpha1[right], alpha2[right])
    return p


def _betabinom_tail(
    x_hi: np.ndarray, total: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """``sum_{k=0}^{x_hi} P(K=k)`` for K ~ beta-binomial(total, a, b), vectorised over genes.

    This is the exact conditional distribution of one NB group sum given the total when
    both groups share the NB probability (edgeR's ratio of ``dnbinom`` products).
    """
    out = np.zeros(total.shape[0])
    if total.size == 0:
        return out
    lens = (x_hi + 1).astype(np.int64)
    order = np.argsort(lens)
    # process genes in batches of similar length to bound memory
    start = 0
    while start < order.size:
        stop = start
        budget = 1 << 21
        while stop < order.size and (stop - start + 1) * lens[order[stop]] <= budget:
            stop += 1
        stop = max(stop, start + 1)
        idx = order[start:stop]
        width = int(lens[idx].max())
        k = np.arange(width, dtype=np.float64)[None, :]
        n_ = total[idx, None]
        aa = a[idx, None]
        bb = b[idx, None]
        with np.errstate(invalid="ignore"):
            logp = (
                special.gammaln(k + aa)
                - special.gammaln(k + 1)
                + special.gammaln(n_ - k + bb)
                - special.gammaln(n_ - k + 1)
                + special.gammaln(n_ + 1)
                - special.gammaln(aa)
                - special.gammaln(bb)
                + special.gammaln(aa + bb)
                - special.gammaln(n_ + aa + bb)
            )
        logp[k >= lens[idx, None]] = -np.inf
        out[idx] = np.exp(special.logsumexp(logp, axis=1))
        start = stop
    return out


def exact_test_double_tail(
    y1: np.ndarray, y2: np.ndarray, dispersion: np.ndarray, *, big_count: float = 900
) -> np.ndarray:
    """edgeR ``exactTestDoubleTail`` on pseudo-counts of two groups (genes x samples each)."""
    n1, n2 = y1.shape[1], y2.shape[1]
    s1 = np.round(y1.sum(axis=1))
    s2 = np.round(y2.sum(axis=1))
    s = s1 + s2
    mu1 = n1 * s / (n1 + n2)
    p = np.ones(s.shape[0])
    pois = dispersion <= 0
    if pois.any():
        bt = stats.binomtest
        for g in np.flatnonzero(pois):  # Poisson case: rare (zero dispersion), scalar test
            tot = int(s[g])
            p[g] = 1.0 if tot == 0 else bt(int(s1[g]), tot, n1 / (n1 + n2)).pvalue
    big = (s1 > big_count) & (s2 > big_count) & ~pois
    if big.any():
        p[big] = _beta_approx(y1[big].sum(axis=1), y2[big].sum(axis=1), n1, n2, dispersion[big])
    a = n1 / np.where(pois, 1.0, dispersion)
    b = n2 / np.where(pois, 1.0, dispersion)
    left = (s1 < mu1) & ~pois & ~big
    right = (s1 > mu1) & ~pois & ~big
    if left.any():
        p[left] = 2 * _betabinom_tail(s1[left], s[left], a[left], b[left])
    if right.any():
        # upper tail of group 1 = lower tail of group 2 at s2
        p[right] = 2 * _betabinom_tail(s2[right], s[right], b[right], a[right])
    return np.minimum(p, 1.0)


def exact_test_arrays(
    y: np.ndarray,
    group: np.ndarray,
    lib: np.ndarray,
    dispersion: np.ndarray,
    *,
    prior_count: float = 0.125,
    big_count: float = 900,
) -> tuple[np.ndarray, np.ndarray]:
    """edgeR ``exactTest`` (pair = levels 0, 1): logFC (level 1 vs 0) and p-values."""
    j1 = group == 0
    j2 = group == 1
    prior, lib_aug = add_prior_count(lib, prior_count)
    ab1 = one_group_beta(y[:, j1] + prior[None, j1], lib_aug[j1], dispersion)
    ab2 = one_group_beta(y[:, j2] + prior[None, j2], lib_aug[j2], dispersion)
    log_fc = (ab2 - ab1) / math.log(2)
    abundance = one_group_beta(y, lib, dispersion)
    e = np.exp(abundance)
    lib_avg = float(np.exp(np.mean(np.log(lib))))
    pseudo = np.empty_like(y)
    for j in (j1, j2):
        cols = np.flatnonzero(j)
        input_mean = e[:, None] * lib[None, cols]
        output_mean = np.repeat((e * lib_avg)[:, None], cols.size, axis=1)
        pseudo[:, cols] = q2qnbinom(y[:, cols], input_mean, output_mean, dispersion[:, None])
    p = exact_test_double_tail(pseudo[:, j1], pseudo[:, j2], dispersion, big_count=big_count)
    return log_fc, p


def exact_test_pipeline(
    y: np.ndarray, group: np.ndarray, lib: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The full TCGAbiolinks exactTest recipe: returns logFC, logCPM, PValue, dispersion."""
    disp = estimate_common_disp(y, group, lib)
    dvec = np.full(y.shape[0], disp)
    log_cpm = ave_log_cpm(y, lib, dispersion=disp)
    log_fc, p = exact_test_arrays(y, group, lib, dvec)
    return log_fc, log_cpm, p, disp
