"""Array-level normalisation factors: edgeR ``calcNormFactors`` and DESeq2 size factors.

All functions take a **samples x genes** array of raw counts (float64 or integers) and
return one value per sample.  They reproduce the R code of edgeR 3.40
(``calcNormFactors.default``, ``.calcFactorTMM``, ``.calcFactorQuantile``,
``.calcFactorRLE``) and DESeq2 1.38 (``estimateSizeFactorsForMatrix``) operation for
operation, so that factors agree with R to floating-point precision.
"""

from __future__ import annotations

import logging
import warnings
from typing import Literal

import numpy as np

from oncosig._errors import OncosigInputError
from oncosig.pp._rstats import average_ranks, r_quantile

logger = logging.getLogger(__name__)

NormMethod = Literal["TMM", "upperquartile", "RLE", "none"]
_METHODS = ("TMM", "upperquartile", "RLE", "none")


def as_count_matrix(counts: object, *, name: str = "counts") -> np.ndarray:
    """Validate a samples x genes count matrix and return it as a float64 array.

    Parameters
    ----------
    counts
        Array-like (dense; sparse matrices are densified).
    name
        Name used in error messages.

    Returns
    -------
    A 2-D float64 array.

    Raises
    ------
    OncosigInputError
        If the matrix is not 2-D, holds NaN/inf or negative values.
    """
    if hasattr(counts, "toarray"):
        counts = counts.toarray()
    x = np.asarray(counts, dtype=np.float64)
    if x.ndim != 2:
        raise OncosigInputError(f"{name} must be a 2-D samples x genes matrix, got {x.ndim}-D")
    if not np.all(np.isfinite(x)):
        raise OncosigInputError(
            f"{name} contain NaN or infinite values; remove or impute them before normalising"
        )
    if np.any(x < 0):
        raise OncosigInputError(f"{name} contain negative values; pass raw counts")
    return x


def quantile_factors(x: np.ndarray, lib_size: np.ndarray, p: float) -> np.ndarray:
    """edgeR ``.calcFactorQuantile``: the ``p`` quantile (R type 7) of each sample / lib size.

    NaN values (missing genes) are ignored.
    """
    q = r_quantile(x, p, axis=1)
    if np.nanmin(q) == 0:
        warnings.warn("One or more quantiles are zero", RuntimeWarning, stacklevel=3)
    return q / lib_size


def tmm_raw_factors(
    x: np.ndarray,
    ref: np.ndarray,
    lib_size: np.ndarray,
    ref_lib: float,
    *,
    log_ratio_trim: float,
    sum_trim: float,
    do_weighting: bool,
    a_cutoff: float,
) -> np.ndarray:
    """edgeR ``.calcFactorTMM`` for every row of ``x`` against the reference profile ``ref``.

    Unscaled factors (no geometric-mean rescaling).  Vectorised over samples: non-finite
    log ratios (zero or NaN counts) are pushed to ``+inf`` before ranking so that the ranks
    of the finite values equal R's ranks computed on the finite subset.
    """
    n_o = lib_size[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_r = np.log2((x / n_o) / (ref / ref_lib))
        abs_e = (np.log2(x / n_o) + np.log2(ref / ref_lib)) / 2
        v = (n_o - x) / n_o / x + (ref_lib - ref) / ref_lib / ref
    fin = np.isfinite(log_r) & np.isfinite(abs_e) & (abs_e > a_cutoff)
    n = fin.sum(axis=1)
    log_r_f = np.where(fin, log_r, np.inf)
    abs_e_f = np.where(fin, abs_e, np.inf)
    rank_r = average_ranks(log_r_f)
    rank_e = average_ranks(abs_e_f)
    lo_l = np.floor(n * log_ratio_trim) + 1
    hi_l = n + 1 - lo_l
    lo_s = np.floor(n * sum_trim) + 1
    hi_s = n + 1 - lo_s
    keep = (
        fin
        & (rank_r >= lo_l[:, None])
        & (rank_r <= hi_l[:, None])
        & (rank_e >= lo_s[:, None])
        & (rank_e <= hi_s[:, None])
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        if do_weighting:
            # R's na.rm=TRUE: NaN terms (never produced for finite, kept genes) are dropped
            w = np.where(keep, 1.0 / v, 0.0)
            num = np.where(keep, log_r / v, 0.0)
            f = np.nansum(num, axis=1) / np.nansum(w, axis=1)
        else:
            cnt = keep.sum(axis=1)
            f = np.where(keep, log_r, 0.0).sum(axis=1) / cnt
    f = np.where(np.isnan(f), 0.0, f)
    # max(abs(logR)) < 1e-6 -> factor 1 (identical libraries)
    max_abs = np.max(np.where(fin, np.abs(log_r), 0.0), axis=1, initial=0.0)
    f = np.where((n > 0) & (max_abs < 1e-6), 0.0, f)
    return np.asarray(2.0**f)


def tmm_reference_column(x: np.ndarray, lib_size: np.ndarray) -> int:
    """edgeR's default TMM reference sample (0-based index).

    The sample whose upper-quartile factor is closest to the mean upper-quartile factor;
    if the median upper quartile is below 1e-20, the sample with the largest sum of
    square-root counts (edgeR >= 3.x).  All-zero genes must already be removed.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        f75 = quantile_factors(x, lib_size, 0.75)
    if np.median(f75) < 1e-20:
        return int(np.argmax(np.sqrt(x).sum(axis=1)))
    return int(np.argmin(np.abs(f75 - f75.mean())))


def calc_norm_factors(
    counts: np.ndarray,
    *,
    method: NormMethod = "TMM",
    lib_size: np.ndarray | None = None,
    ref_column: int | None = None,
    log_ratio_trim: float = 0.3,
    sum_trim: float = 0.05,
    do_weighting: bool = True,
    a_cutoff: float = -1e10,
    p: float = 0.75,
) -> np.ndarray:
    """Normalisation factors as edgeR's ``calcNormFactors`` computes them.

    Parameters
    ----------
    counts
        Raw counts, samples x genes.
    method
        ``"TMM"`` (trimmed mean of M values), ``"upperquartile"`` (``p`` quantile),
        ``"RLE"`` (relative log expression) or ``"none"`` (all ones).
    lib_size
        Library sizes; default the row sums of ``counts``.
    ref_column
        0-based index of the TMM reference sample; default edgeR's choice (the sample
        whose upper-quartile factor is closest to the mean).
    log_ratio_trim, sum_trim, do_weighting, a_cutoff
        TMM trimming of M values, of A values, precision weighting and A cut-off
        (edgeR's ``logratioTrim``, ``sumTrim``, ``doWeighting``, ``Acutoff``).
    p
        Quantile for ``"upperquartile"``.

    Returns
    -------
    One factor per sample, rescaled to geometric mean 1 (effective library size =
    ``lib_size * factor``).

    Raises
    ------
    OncosigInputError
        For an unknown method or invalid counts / library sizes.
    """
    if method not in _METHODS:
        raise OncosigInputError(f"unknown normalisation method {method!r}; use one of {_METHODS}")
    x = as_count_matrix(counts)
    n_samples = x.shape[0]
    if lib_size is None:
        lib = x.sum(axis=1)
    else:
        lib = np.asarray(lib_size, dtype=np.float64).reshape(-1)
        if lib.shape[0] != n_samples:
            raise OncosigInputError(
                f"lib_size has {lib.shape[0]} values for {n_samples} samples; give one per sample"
            )
        if np.any(~np.isfinite(lib)) or np.any(lib <= 0):
            raise OncosigInputError("lib_size must be positive and finite")
    x = x[:, (x > 0).any(axis=0)]
    if x.shape[1] == 0 or n_samples == 1:
        method = "none"
    if method == "TMM":
        if ref_column is None:
            ref_column = tmm_reference_column(x, lib)
        elif not 0 <= ref_column < n_samples:
            raise OncosigInputError(f"ref_column {ref_column} is outside 0..{n_samples - 1}")
        f = tmm_raw_factors(
            x,
            x[ref_column],
            lib,
            float(lib[ref_column]),
            log_ratio_trim=log_ratio_trim,
            sum_trim=sum_trim,
            do_weighting=do_weighting,
            a_cutoff=a_cutoff,
        )
    elif method == "upperquartile":
        f = quantile_factors(x, lib, p)
    elif method == "RLE":
        f = rle_factors(x) / lib
    else:
        f = np.ones(n_samples)
    return np.asarray(f / np.exp(np.mean(np.log(f))))


def rle_factors(counts: np.ndarray) -> np.ndarray:
    """edgeR ``.calcFactorRLE``: median ratio to the geometric mean over genes with no zero."""
    x = np.asarray(counts, dtype=np.float64)
    with np.errstate(divide="ignore"):
        gm = np.exp(np.mean(np.log(x), axis=0))
    pos = gm > 0
    if not pos.any():
        raise OncosigInputError(
            "every gene has a zero in some sample; RLE factors cannot be computed (use TMM)"
        )
    return np.asarray(np.median(x[:, pos] / gm[pos], axis=1))


def log_geo_means(counts: np.ndarray) -> np.ndarray:
    """Per-gene mean of log counts (``-inf`` for genes with a zero), DESeq2's ``loggeomeans``."""
    x = as_count_matrix(counts)
    with np.errstate(divide="ignore"):
        return np.asarray(np.mean(np.log(x), axis=0))


def median_of_ratios(
    counts: np.ndarray, *, geo_means: np.ndarray | None = None, stabilize: bool | None = None
) -> np.ndarray:
    """DESeq2 size factors (``estimateSizeFactors``, ``type="ratio"``).

    Parameters
    ----------
    counts
        Raw counts, samples x genes.
    geo_means
        Per-gene geometric means from other (training) samples; default computed from
        ``counts``.  Genes whose geometric mean is 0 (a zero in any sample) are excluded.
    stabilize
        Rescale factors to geometric mean 1.  Default: as DESeq2, only when ``geo_means``
        is given.

    Returns
    -------
    One size factor per sample.

    Raises
    ------
    OncosigInputError
        If every gene has a zero somewhere (DESeq2's "every gene contains at least one
        zero" error) or the shapes disagree.
    """
    x = as_count_matrix(counts)
    if geo_means is None:
        lgm = log_geo_means(x)
    else:
        gm = np.asarray(geo_means, dtype=np.float64).reshape(-1)
        if gm.shape[0] != x.shape[1]:
            raise OncosigInputError(
                f"geo_means has {gm.shape[0]} values for {x.shape[1]} genes; give one per gene"
            )
        with np.errstate(divide="ignore"):
            lgm = np.log(gm)
    sf = _size_factors_from_log_geo_means(x, lgm)
    if stabilize is None:
        stabilize = geo_means is not None
    if stabilize:
        sf = sf / np.exp(np.mean(np.log(sf)))
    return sf


def _size_factors_from_log_geo_means(x: np.ndarray, lgm: np.ndarray) -> np.ndarray:
    ok_gene = np.isfinite(lgm)
    if not ok_gene.any():
        raise OncosigInputError(
            "every gene contains at least one zero, cannot compute log geometric means; "
            "filter genes or use another normalisation (e.g. TMM or upper quartile)"
        )
    xs = x[:, ok_gene]
    with np.errstate(divide="ignore"):
        ratios = np.log(xs) - lgm[ok_gene]
    ratios = np.where(xs > 0, ratios, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(ratios, axis=1)
    if np.any(np.isnan(med)):
        raise OncosigInputError(
            "a sample has no positive count among the genes used for size factors; "
            "remove empty samples before normalising"
        )
    return np.asarray(np.exp(med))
