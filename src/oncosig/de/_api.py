"""Public differential-expression API: array-level engines and the AnnData entry point.

Behaviour on special genes, as R:

- all-zero genes are kept.  edgeR engines give them ``PValue = 1`` (LR/F = 0, the
  exact test's tail is the whole distribution) and a logFC of about 0 from the prior
  count; DESeq2 (pydeseq2) gives ``baseMean = 0`` and NaN for the other columns;
- DESeq2's Cook's filtering and independent filtering give NaN p-values / padj for
  the genes R would set to NA.

The engines compare exactly two groups; logFC is ``other`` vs ``reference``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from oncosig._constants import COUNTS_LAYER, NORMAL, OBS_CONDITION
from oncosig._errors import OncosigInputError
from oncosig.de._deseq2 import deseq2_wald
from oncosig.de._exact import exact_test_pipeline
from oncosig.de._fdr import bh_fdr
from oncosig.de._glm import glm_lrt_pipeline
from oncosig.de._ql import ql_pipeline
from oncosig.de._validate import as_counts, two_groups

logger = logging.getLogger(__name__)

Method = Literal["edger-lrt", "edger-exact", "edger-ql", "deseq2"]
METHODS: tuple[str, ...] = ("edger-lrt", "edger-exact", "edger-ql", "deseq2")

GroupLike: TypeAlias = Sequence[Any] | np.ndarray | pd.Series


def _prepare(
    counts: Any, group: GroupLike, reference: Any, genes: Sequence[str] | pd.Index | None
) -> tuple[np.ndarray, np.ndarray, pd.Index, list[Any]]:
    x = as_counts(counts)
    codes, levels = two_groups(group, x.shape[0], reference)
    if genes is None:
        genes = counts.columns if isinstance(counts, pd.DataFrame) else pd.RangeIndex(x.shape[1])
    index = pd.Index(genes)
    if index.size != x.shape[1]:
        raise OncosigInputError(f"{index.size} gene names for {x.shape[1]} genes")
    if x.sum(axis=1).min() <= 0:
        raise OncosigInputError(
            "a sample has no counts at all (library size 0); remove empty samples first"
        )
    return np.ascontiguousarray(x.T), codes, index, levels


def exact_test(
    counts: Any,
    group: GroupLike,
    *,
    reference: Any = None,
    genes: Sequence[str] | pd.Index | None = None,
) -> pd.DataFrame:
    """edgeR exact test with qCML common dispersion (TCGAbiolinks "exactTest" recipe).

    ``DGEList(counts, group)`` (library sizes only) -> ``estimateCommonDisp`` ->
    ``exactTest`` (double tail, beta approximation above 900 counts per group).

    Parameters
    ----------
    counts
        Raw integer counts, samples x genes (array or DataFrame).
    group
        Condition label per sample (two levels).
    reference
        Reference level (default the first in sorted order).
    genes
        Gene names (default the DataFrame columns or 0..n-1).

    Returns
    -------
    DataFrame indexed by gene: ``logFC, logCPM, PValue, FDR``; ``attrs`` holds the
    common dispersion.
    """
    y, g, index, levels = _prepare(counts, group, reference, genes)
    log_fc, log_cpm, p, disp = exact_test_pipeline(y, g, y.sum(axis=0))
    out = pd.DataFrame(
        {"logFC": log_fc, "logCPM": log_cpm, "PValue": p, "FDR": bh_fdr(p)}, index=index
    )
    out.attrs.update(common_dispersion=disp, comparison=[str(v) for v in levels])
    return out


def glm_lrt(
    counts: Any,
    group: GroupLike,
    *,
    reference: Any = None,
    genes: Sequence[str] | pd.Index | None = None,
) -> pd.DataFrame:
    """edgeR GLM likelihood-ratio test with Cox-Reid common + tagwise dispersion.

    ``estimateGLMCommonDisp`` -> ``estimateGLMTagwiseDisp`` (prior.df 10) ->
    ``glmFit`` -> ``glmLRT`` on library sizes only (TCGAbiolinks "glmLRT" recipe).

    Returns
    -------
    DataFrame: ``logFC, logCPM, LR, PValue, FDR, tagwise.dispersion``; ``attrs``
    holds the common dispersion.
    """
    y, g, index, levels = _prepare(counts, group, reference, genes)
    log_fc, log_cpm, lr, p, tagwise, common = glm_lrt_pipeline(y, y.sum(axis=0), g)
    out = pd.DataFrame(
        {
            "logFC": log_fc,
            "logCPM": log_cpm,
            "LR": lr,
            "PValue": p,
            "FDR": bh_fdr(p),
            "tagwise.dispersion": tagwise,
        },
        index=index,
    )
    out.attrs.update(common_dispersion=common, comparison=[str(v) for v in levels])
    return out


def glm_ql(
    counts: Any,
    group: GroupLike,
    *,
    reference: Any = None,
    genes: Sequence[str] | pd.Index | None = None,
) -> pd.DataFrame:
    """edgeR quasi-likelihood F test after TMM normalisation (edgeR 3.40, legacy QL).

    ``calcNormFactors(TMM)`` -> ``estimateDisp`` -> ``glmQLFit`` -> ``glmQLFTest``.

    Returns
    -------
    DataFrame: ``logFC, logCPM, F, PValue, FDR``; ``attrs`` holds the TMM factors,
    common dispersion and prior df.
    """
    from oncosig.pp import calc_norm_factors

    y, g, index, levels = _prepare(counts, group, reference, genes)
    lib = y.sum(axis=0)
    nf = np.asarray(calc_norm_factors(y.T, method="TMM"), dtype=np.float64)
    log_fc, log_cpm, f_stat, p, params = ql_pipeline(y, lib * nf, g)
    out = pd.DataFrame(
        {"logFC": log_fc, "logCPM": log_cpm, "F": f_stat, "PValue": p, "FDR": bh_fdr(p)},
        index=index,
    )
    out.attrs.update(norm_factors=nf.tolist(), comparison=[str(v) for v in levels], **params)
    return out


def deseq2(
    counts: Any,
    group: GroupLike,
    *,
    reference: Any = None,
    genes: Sequence[str] | pd.Index | None = None,
    n_cpus: int | None = None,
) -> pd.DataFrame:
    """DESeq2 Wald test through pydeseq2 (R defaults where pydeseq2 allows; see module doc).

    Returns
    -------
    DataFrame: ``baseMean, log2FoldChange, lfcSE, stat, pvalue, padj``; ``attrs``
    holds the size factors.
    """
    y, g, index, levels = _prepare(counts, group, reference, genes)
    res, sf = deseq2_wald(y.T, g, genes=index, samples=pd.RangeIndex(y.shape[1]), n_cpus=n_cpus)
    res.attrs.update(size_factors=sf.tolist(), comparison=[str(v) for v in levels])
    return res


_ENGINES = {"edger-exact": exact_test, "edger-lrt": glm_lrt, "edger-ql": glm_ql, "deseq2": deseq2}


def differential_expression(
    adata: Any,
    *,
    groupby: str = OBS_CONDITION,
    reference: Any = NORMAL,
    method: Method = "edger-lrt",
    layer: str | None = COUNTS_LAYER,
) -> pd.DataFrame:
    """Two-group differential expression of an AnnData (samples x genes).

    Parameters
    ----------
    adata
        AnnData with raw counts in ``layers[layer]`` (or ``X`` when ``layer`` is None).
    groupby
        Column of ``adata.obs`` with the condition of each sample (two levels).
    reference
        Reference level; logFC is the other level vs this one.
    method
        ``"edger-lrt"`` (default; TCGAbiolinks glmLRT recipe), ``"edger-exact"``,
        ``"edger-ql"`` (TMM + quasi-likelihood F test) or ``"deseq2"`` (pydeseq2).
    layer
        Layer with the raw counts.

    Returns
    -------
    DataFrame indexed by gene with R's column names: edgeR ``logFC, logCPM, (LR|F),
    PValue, FDR``; DESeq2 ``baseMean, log2FoldChange, lfcSE, stat, pvalue, padj``.

    Raises
    ------
    OncosigInputError
        Unknown method, missing layer or column, a single condition, a group with
        fewer than 2 samples, NaN or non-integer counts.
    """
    if method not in _ENGINES:
        raise OncosigInputError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if groupby not in adata.obs.columns:
        raise OncosigInputError(
            f"adata.obs has no column {groupby!r}; add the condition of each sample "
            f"(e.g. normal/tumor) there or pass groupby=<column>"
        )
    if layer is None:
        counts = adata.X
    elif layer in adata.layers:
        counts = adata.layers[layer]
    else:
        raise OncosigInputError(
            f"adata has no layer {layer!r} (layers: {list(adata.layers.keys())}); raw counts "
            "are expected there, or pass layer=None to use adata.X"
        )
    engine = _ENGINES[method]
    logger.info("differential expression: %s on %d x %d", method, adata.n_obs, adata.n_vars)
    return engine(counts, adata.obs[groupby].to_numpy(), reference=reference, genes=adata.var_names)
