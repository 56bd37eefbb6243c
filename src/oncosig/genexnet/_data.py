"""Getting counts and labels out of an AnnData for GeneXNet (samples x genes)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd
from anndata import AnnData

from oncosig._constants import COUNTS_LAYER, UNS_VALUE_KIND
from oncosig._errors import OncosigInputError
from oncosig.stream import ExpressionStore

logger = logging.getLogger(__name__)


def _dense(x: object) -> np.ndarray:
    if hasattr(x, "toarray"):
        x = x.toarray()
    return np.asarray(x, dtype=np.float64)


def counts_matrix(adata: AnnData) -> np.ndarray:
    """Raw counts (samples x genes) from ``layers['counts']``, else from ``X``."""
    if not isinstance(adata, AnnData):
        raise TypeError(f"expected an AnnData (samples x genes), got {type(adata).__name__}")
    if COUNTS_LAYER in adata.layers:
        return _dense(adata.layers[COUNTS_LAYER])
    if adata.uns.get(UNS_VALUE_KIND) == "normalized":
        warnings.warn(
            "the data hold normalized values, not raw counts; GeneXNet's log-CPM expects counts",
            UserWarning,
            stacklevel=3,
        )
    return _dense(adata.X)


def aligned_counts(adata: AnnData, genes: Sequence[str]) -> np.ndarray:
    """Counts in the order of ``genes``; genes the data lack are NaN.

    Identical identifiers are matched directly; otherwise the cohort goes through
    :func:`oncosig.genes.align_genes` (ID harmonisation, missing-gene report).
    """
    genes = list(genes)
    names = pd.Index(adata.var_names.astype(str))
    if names.has_duplicates:
        raise OncosigInputError("the data have duplicate gene identifiers; make them unique")
    pos = names.get_indexer(genes)
    if (pos >= 0).all():
        return counts_matrix(adata)[:, pos]
    from oncosig.genes import align_genes

    return counts_matrix(align_genes(adata, genes))


def resolve_labels(
    adata: AnnData, y: Sequence[object] | np.ndarray | pd.Series | None, label_key: str | None
) -> np.ndarray:
    """Labels as a string array: ``y`` if given, else ``adata.obs[label_key]``."""
    if y is None:
        if label_key is None:
            raise OncosigInputError("give the labels (y=...) or the obs column (label_key=...)")
        if label_key not in adata.obs:
            raise OncosigInputError(
                f"obs has no column '{label_key}'; available: {', '.join(map(str, adata.obs.columns))}"
            )
        y = adata.obs[label_key]
    if isinstance(y, pd.Series):
        series: pd.Series = y
        if not series.index.equals(adata.obs_names) and set(adata.obs_names) <= set(series.index):
            series = series.reindex(adata.obs_names)
        values = series.to_numpy()
    else:
        values = np.asarray(y, dtype=object)
    if len(values) != adata.n_obs:
        raise OncosigInputError(f"got {len(values)} labels for {adata.n_obs} samples")
    if pd.isna(values).any():
        raise OncosigInputError(
            f"{int(pd.isna(values).sum())} samples have no label; drop them or give them one"
        )
    return np.asarray([str(v) for v in values], dtype=object)


def participants(adata: AnnData, group_key: str | None) -> np.ndarray | None:
    """Group IDs (participant) for grouped splits, or None when the column is absent."""
    if group_key is None or group_key not in adata.obs:
        return None
    g = adata.obs[group_key].astype(object)
    if g.isna().any():
        g = g.where(g.notna(), pd.Series(adata.obs_names, index=adata.obs_names))
    return np.asarray(g.astype(str))


#: Training/inference data: an in-memory AnnData, a backed AnnData, a store path or store.
Data: TypeAlias = AnnData | str | Path | ExpressionStore


def obs_view(data: Data) -> AnnData:
    """An AnnData for labels and names; a store or path opens backed (matrix stays on disk)."""
    if isinstance(data, AnnData):
        return data
    if isinstance(data, ExpressionStore):
        return data.to_anndata()
    import anndata

    return anndata.read_h5ad(Path(data), backed="r")
