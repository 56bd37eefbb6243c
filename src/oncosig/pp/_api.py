"""Scanpy-style functional wrappers around the fit/transform steps.

Each fits the step on ``adata`` itself (use the classes to fit on training samples and
apply to held-out ones) and either writes into ``adata`` (``inplace=True``) or returns the
result.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from anndata import AnnData

from oncosig._constants import COUNTS_LAYER
from oncosig._errors import OncosigInputError
from oncosig.pp._base import Preprocessor
from oncosig.pp._filters import OutlierSampleFilter, QuantileFilter
from oncosig.pp._gc import GCNormalizer
from oncosig.pp._log import Log2P1, LogCPM, ZScore
from oncosig.pp._scale import CPM, TMM, MedianOfRatios, UpperQuartile

NormalizeMethod = Literal["cpm", "tmm", "upperquartile", "median_of_ratios", "gc"]

_NORMALIZERS: dict[str, type[Preprocessor]] = {
    "cpm": CPM,
    "tmm": TMM,
    "upperquartile": UpperQuartile,
    "median_of_ratios": MedianOfRatios,
    "deseq2": MedianOfRatios,
    "gc": GCNormalizer,
}


def make_normalizer(
    method: str, *, layer: str | None = COUNTS_LAYER, out_layer: str | None = None
) -> Preprocessor:
    """An unfitted normalisation step by name.

    Parameters
    ----------
    method
        ``"cpm"``, ``"tmm"``, ``"upperquartile"``, ``"median_of_ratios"`` (alias
        ``"deseq2"``) or ``"gc"``.
    layer, out_layer
        Input and output slots.
    """
    klass = _NORMALIZERS.get(method.lower())
    if klass is None:
        raise OncosigInputError(
            f"unknown normalisation method {method!r}; use one of {sorted(_NORMALIZERS)}"
        )
    return klass(layer=layer, out_layer=out_layer)


def _apply(step: Preprocessor, adata: AnnData, inplace: bool) -> np.ndarray | None:
    step.fit(adata)
    if inplace:
        step.transform(adata)
        return None
    return step.transform_array(adata)


def normalize(
    adata: AnnData,
    *,
    method: NormalizeMethod = "tmm",
    layer: str | None = COUNTS_LAYER,
    out_layer: str | None = None,
    inplace: bool = True,
) -> np.ndarray | None:
    """Normalise raw counts for library size (and GC content for ``method="gc"``).

    Parameters
    ----------
    adata
        Samples x genes with raw counts in ``layers[layer]``.
    method
        ``"cpm"``, ``"tmm"`` (TMM-normalised CPM), ``"upperquartile"`` (UQ-normalised
        CPM), ``"median_of_ratios"`` (DESeq2 normalised counts) or ``"gc"``
        (TCGAbiolinks GC-content normalisation; see :func:`gc_normalize`).
    layer, out_layer
        Input layer (``None`` = ``X``) and output layer (``None`` = ``X``).
    inplace
        Write the result into ``adata``; else return it (for ``"gc"``, in the gene order
        of the GC table, see :class:`~oncosig.pp.GCNormalizer`).

    Returns
    -------
    The normalised matrix when ``inplace`` is false, else ``None``.
    """
    return _apply(make_normalizer(method, layer=layer, out_layer=out_layer), adata, inplace)


def log_cpm(
    adata: AnnData,
    *,
    prior_count: float = 2.0,
    norm: Literal["none", "TMM", "upperquartile"] = "none",
    layer: str | None = COUNTS_LAYER,
    out_layer: str | None = None,
    inplace: bool = True,
) -> np.ndarray | None:
    """edgeR ``cpm(log=TRUE, prior.count=prior_count)`` of raw counts.

    See :class:`~oncosig.pp.LogCPM`; ``norm="TMM"`` applies TMM factors first.
    """
    step = LogCPM(prior_count=prior_count, norm=norm, layer=layer, out_layer=out_layer)
    return _apply(step, adata, inplace)


def log2p1(
    adata: AnnData,
    *,
    pseudocount: float = 1.0,
    layer: str | None = None,
    out_layer: str | None = None,
    inplace: bool = True,
) -> np.ndarray | None:
    """``log2(x + pseudocount)`` of ``X`` (or a layer)."""
    return _apply(Log2P1(pseudocount=pseudocount, layer=layer, out_layer=out_layer), adata, inplace)


def zscore(
    adata: AnnData,
    *,
    layer: str | None = None,
    out_layer: str | None = None,
    inplace: bool = True,
) -> np.ndarray | None:
    """Per-gene z-score (NaN -> 0); see :class:`~oncosig.pp.ZScore`."""
    return _apply(ZScore(layer=layer, out_layer=out_layer), adata, inplace)


def gc_normalize(
    adata: AnnData,
    *,
    gc: pd.Series | None = None,
    num_bins: int = 10,
    layer: str | None = COUNTS_LAYER,
    out_layer: str | None = None,
    inplace: bool = True,
) -> AnnData | None:
    """TCGAbiolinks ``TCGAanalyze_Normalization(geneInfoHT, method="gcContent")``.

    Parameters
    ----------
    adata
        Samples x genes, unversioned Ensembl IDs, raw counts in ``layers[layer]``.
    gc
        GC fraction per Ensembl ID; default the shipped gene table.
    num_bins
        GC bins for the within-lane step.
    layer, out_layer
        Input and output slots.
    inplace
        Subset ``adata`` to the genes with GC content and write the result into it; else
        return a new AnnData.

    Returns
    -------
    The new AnnData when ``inplace`` is false, else ``None``.
    """
    step = GCNormalizer(gc=gc, num_bins=num_bins, layer=layer, out_layer=out_layer)
    step.fit(adata)
    return step.transform(adata, copy=not inplace)


def filter_genes_quantile(
    adata: AnnData, *, qnt_cut: float = 0.25, layer: str | None = None, inplace: bool = True
) -> AnnData | None:
    """Keep genes whose mean is above the ``qnt_cut`` quantile of gene means.

    TCGAbiolinks ``TCGAanalyze_Filtering(method="quantile", qnt.cut=qnt_cut)``.

    Returns
    -------
    The filtered copy when ``inplace`` is false, else ``None``.
    """
    step = QuantileFilter(qnt_cut=qnt_cut, layer=layer).fit(adata)
    return step.transform(adata, copy=not inplace)


def remove_outlier_samples(
    adata: AnnData, *, cor_cut: float = 0.6, layer: str | None = None, inplace: bool = True
) -> AnnData | None:
    """Drop samples whose mean Spearman correlation with all samples is ``<= cor_cut``.

    TCGAbiolinks ``TCGAanalyze_Preprocessing(cor.cut=cor_cut)``; the scores are stored in
    ``obs["mean_spearman"]``.

    Returns
    -------
    The filtered copy when ``inplace`` is false, else ``None``.
    """
    step = OutlierSampleFilter(cor_cut=cor_cut, layer=layer).fit(adata)
    scores = step.scores(adata)
    adata.obs["mean_spearman"] = scores
    return step.transform(adata, copy=not inplace)
