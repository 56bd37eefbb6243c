"""DEGnext gene labels from a differential-expression table.

0 = down-regulated (DR), 1 = up-regulated (UR), 2 = neutral (constants in
:mod:`oncosig._constants`).  A gene is DR/UR when its adjusted p-value is below ``fdr``
and ``|logFC| > logfc`` (TCGAanalyze_DEA's ``FDR < fdr.cut`` and
``abs(logFC) > logFC.cut``); the sign of logFC (tumour vs normal) gives the direction.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from oncosig._constants import LABEL_DOWN, LABEL_NEUTRAL, LABEL_UP
from oncosig._errors import OncosigInputError

logger = logging.getLogger(__name__)

FDR_COLUMNS = ("FDR", "padj", "adj.P.Val", "qvalue")
LOGFC_COLUMNS = ("logFC", "log2FoldChange")


def _pick(df: pd.DataFrame, given: str | None, candidates: tuple[str, ...], what: str) -> str:
    if given is not None:
        if given not in df.columns:
            raise OncosigInputError(
                f"column {given!r} not in the DE table (columns: {list(df.columns)})"
            )
        return given
    for c in candidates:
        if c in df.columns:
            return c
    raise OncosigInputError(
        f"the DE table has no {what} column (looked for {', '.join(candidates)}; columns: "
        f"{list(df.columns)}); name it with the {what.replace(' ', '_')}_col argument"
    )


def label_genes(
    de_table: pd.DataFrame,
    *,
    fdr: float = 0.01,
    logfc: float = 0.0,
    fdr_col: str | None = None,
    logfc_col: str | None = None,
) -> pd.Series:
    """Label each gene of a DE table DR (0), UR (1) or neutral (2).

    Parameters
    ----------
    de_table
        Indexed by gene; edgeR columns (``logFC``, ``FDR``) or DESeq2 columns
        (``log2FoldChange``, ``padj``) are recognised.
    fdr
        Adjusted p-value cut-off: significant when ``FDR < fdr``.
    logfc
        Effect-size cut-off: significant only when ``|logFC| > logfc``.
    fdr_col, logfc_col
        Column names, when not the standard ones.

    Returns
    -------
    Integer Series named ``"label"``, same index as ``de_table``.  Genes with a missing
    adjusted p-value or logFC (e.g. DESeq2's independent filtering or outlier genes, padj
    NA) are neutral; their number is logged.

    Raises
    ------
    OncosigInputError
        For a missing column, out-of-range cut-offs or duplicated gene names.
    """
    if not isinstance(de_table, pd.DataFrame):
        raise TypeError(f"de_table must be a pandas DataFrame, got {type(de_table).__name__}")
    if not 0 < fdr <= 1:
        raise OncosigInputError(f"fdr must be in (0, 1], got {fdr}")
    if logfc < 0:
        raise OncosigInputError(f"logfc must be >= 0, got {logfc}")
    if de_table.index.has_duplicates:
        dup = de_table.index[de_table.index.duplicated()].unique()[:3].tolist()
        raise OncosigInputError(f"the DE table has duplicated gene names, e.g. {dup}")
    fcol = _pick(de_table, fdr_col, FDR_COLUMNS, "fdr")
    lcol = _pick(de_table, logfc_col, LOGFC_COLUMNS, "logfc")
    q = pd.to_numeric(de_table[fcol], errors="coerce").to_numpy(np.float64)
    lfc = pd.to_numeric(de_table[lcol], errors="coerce").to_numpy(np.float64)
    missing = np.isnan(q) | np.isnan(lfc)
    if missing.any():
        logger.info("%d gene(s) with missing %s/%s are labelled neutral", missing.sum(), fcol, lcol)
    with np.errstate(invalid="ignore"):
        sig = ~missing & (q < fdr) & (np.abs(lfc) > logfc)
        lab = np.full(len(q), LABEL_NEUTRAL, dtype=np.int64)
        lab[sig & (lfc > 0)] = LABEL_UP
        lab[sig & (lfc < 0)] = LABEL_DOWN
    return pd.Series(lab, index=de_table.index.copy(), name="label")
