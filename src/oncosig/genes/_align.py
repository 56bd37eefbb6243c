"""Reorder a cohort to a model's gene list; missing genes become NaN, never zero."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData

from oncosig._constants import VAR_GENE_TYPE, VAR_ORIGINAL_ID, VAR_SYMBOL
from oncosig._errors import OncosigInputError
from oncosig.genes._harmonize import harmonize
from oncosig.genes._idtypes import detect_id_type
from oncosig.genes._table import _gene_table, to_ensembl

logger = logging.getLogger(__name__)

VAR_MISSING = "missing"


def _take(m: Any, pos: np.ndarray, n_obs: int) -> np.ndarray:
    """Columns ``pos`` of ``m`` (dense); ``-1`` gives a NaN column."""
    found = pos >= 0
    src = m[:, pos[found]]
    src = src.toarray() if sp.issparse(src) else np.asarray(src)
    if found.all():
        return np.ascontiguousarray(src)
    out = np.full((n_obs, len(pos)), np.nan, dtype=np.float64)
    out[:, found] = src
    return out


def _reference_keys(ref: pd.Index) -> np.ndarray:
    try:
        return to_ensembl(ref, id_type="auto").to_numpy(dtype=object)
    except OncosigInputError:
        return np.full(len(ref), np.nan, dtype=object)


def align_genes(
    adata: AnnData,
    reference_genes: Sequence[str] | pd.Index,
    *,
    warn_above: float = 0.2,
    layers: bool = True,
) -> AnnData:
    """Reorder a cohort to exactly ``reference_genes`` (a model's gene list).

    Identical identifiers are matched directly.  Otherwise the cohort is harmonised to
    unversioned Ensembl IDs (:func:`oncosig.genes.harmonize`, duplicates summed) and the
    reference genes are mapped the same way, so that e.g. a legacy ``SYMBOL|ENTREZ``
    matrix aligns to a model trained on Ensembl genes.

    Genes of the reference that the cohort lacks are **NaN** (never 0, which a model
    would read as a silenced gene) in ``X`` and in every layer, and flagged in
    ``var["missing"]``; oncosig's scalers impute them with the training mean after their
    own scaling, so they carry no signal.

    Parameters
    ----------
    adata
        Samples x genes; not modified.
    reference_genes
        The model's genes, unique, in the model's order.
    warn_above
        Warn (``UserWarning`` and a log record) when the share of missing reference genes
        exceeds this.
    layers
        Align every layer as well (``False``: the result has ``X`` only).

    Returns
    -------
    AnnData with ``var_names == reference_genes``; ``var["missing"]``, ``var["ensembl"]``,
    ``var["original_id"]`` (the cohort's ID), ``var["symbol"]``, ``var["gene_type"]``;
    ``uns["align_report"] = {"n_reference", "n_found", "n_missing", "share_missing"}``.
    ``X`` and layers keep their dtype when no gene is missing, else become float64.

    Raises
    ------
    OncosigInputError
        When ``reference_genes`` is empty or has duplicates, or when no reference gene is
        found in the cohort (the message names the detected ID kinds of both).
    """
    ref = pd.Index([str(g) for g in reference_genes], dtype=object)
    if len(ref) == 0:
        raise OncosigInputError("the reference gene list is empty")
    if ref.has_duplicates:
        dup = ", ".join(ref[ref.duplicated()].unique()[:3])
        raise OncosigInputError(f"the reference gene list has duplicates (e.g. {dup})")
    names = pd.Index([str(g) for g in adata.var_names], dtype=object)
    ref_keys = _reference_keys(ref)

    src = adata
    pos = names.get_indexer(ref) if names.is_unique else np.full(len(ref), -1)
    if not (pos >= 0).all():
        try:
            harmonised = harmonize(adata)
        except OncosigInputError as exc:
            logger.info("cohort not harmonised (%s); matching identical IDs only", exc)
        else:
            hpos = harmonised.var_names.get_indexer(pd.Index(ref_keys).fillna("\x00"))
            if (hpos >= 0).sum() > (pos >= 0).sum():
                src, pos = harmonised, hpos

    found = pos >= 0
    n_ref, n_found = len(ref), int(found.sum())
    if n_found == 0:
        cohort_kind = detect_id_type(list(names))
        ref_kind = detect_id_type(list(ref))
        raise OncosigInputError(
            f"none of the {n_ref} reference genes is in the data: the data's gene IDs look "
            f"like {cohort_kind} (e.g. {', '.join(names[:2])}), the model expects {ref_kind} "
            f"(e.g. {', '.join(ref[:2])}); give the data with gene IDs oncosig can map to "
            "unversioned Ensembl IDs"
        )
    n_missing = n_ref - n_found
    share = n_missing / n_ref
    if share > warn_above:
        msg = (
            f"{n_missing} of {n_ref} model genes ({share:.1%}) are missing from the data; "
            "they are set to NaN and imputed with the training mean"
        )
        logger.warning(msg)
        warnings.warn(msg, UserWarning, stacklevel=2)

    X = _take(src.X, pos, adata.n_obs) if src.X is not None else None
    new_layers = {k: _take(v, pos, adata.n_obs) for k, v in src.layers.items()} if layers else {}

    src_var = src.var.iloc[np.where(found, pos, 0)]
    original = (
        src_var[VAR_ORIGINAL_ID].to_numpy(dtype=object)
        if VAR_ORIGINAL_ID in src_var
        else src.var_names[np.where(found, pos, 0)].to_numpy(dtype=object)
    )
    keys = np.where(pd.isna(ref_keys), ref.to_numpy(dtype=object), ref_keys)
    ann = _gene_table().reindex(pd.Index(keys, dtype=object))
    var = pd.DataFrame(
        {
            VAR_MISSING: ~found,
            "ensembl": keys,
            VAR_ORIGINAL_ID: np.where(found, original, None),
            VAR_SYMBOL: ann["symbol"].to_numpy(),
            VAR_GENE_TYPE: ann["gene_type"].to_numpy(),
        },
        index=ref,
    )
    uns = dict(adata.uns)
    uns["align_report"] = {
        "n_reference": n_ref,
        "n_found": n_found,
        "n_missing": n_missing,
        "share_missing": float(share),
    }
    logger.info("aligned to %d reference genes: %d found, %d missing", n_ref, n_found, n_missing)
    return AnnData(
        X=X,
        obs=adata.obs.copy(),
        var=var,
        uns=uns,
        obsm={k: v.copy() for k, v in adata.obsm.items()},
        layers=new_layers,
    )
