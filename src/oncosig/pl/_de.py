"""Volcano and MA plots of differential-expression tables (edgeR or DESeq2 columns)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from oncosig.pl._common import get_ax

_ALIASES = {
    "logfc": ("logFC", "log2FoldChange", "log2fc", "lfc"),
    "pvalue": ("PValue", "pvalue", "pval", "P.Value"),
    "fdr": ("FDR", "padj", "fdr", "adj.P.Val", "qvalue"),
    "mean": ("logCPM", "baseMean", "AveExpr", "logcpm"),
}
UP, DOWN, NS = "#c0392b", "#2e86c1", "#b3b6b7"


def de_columns(de: pd.DataFrame) -> dict[str, str]:
    """Find the logFC / p-value / FDR / mean-expression columns (edgeR, DESeq2, limma names)."""
    found = {}
    for key, names in _ALIASES.items():
        col = next((c for c in names if c in de.columns), None)
        if col is not None:
            found[key] = col
    return found


def _need(cols: dict[str, str], keys: list[str], de: pd.DataFrame, what: str) -> None:
    missing = [k for k in keys if k not in cols]
    if missing:
        raise ValueError(
            f"{what} needs {[_ALIASES[k][0] + '/' + _ALIASES[k][1] for k in missing]} columns "
            f"(edgeR or DESeq2 names); the table has {list(de.columns)}"
        )


def _classes(de: pd.DataFrame, cols: dict[str, str], fdr: float, lfc: float) -> np.ndarray:
    lf = de[cols["logfc"]].to_numpy(float)
    q = de[cols["fdr"]].to_numpy(float) if "fdr" in cols else np.full(len(de), np.nan)
    sig = (q < fdr) & (np.abs(lf) >= lfc)
    return np.where(sig & (lf > 0), "up", np.where(sig & (lf < 0), "down", "ns"))


def _scatter_groups(ax: Axes, x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> None:
    for name, color in (("ns", NS), ("down", DOWN), ("up", UP)):
        m = groups == name
        ax.scatter(
            x[m],
            y[m],
            s=6,
            c=color,
            alpha=0.7,
            linewidths=0,
            label=f"{name} ({int(m.sum())})",
            rasterized=True,
        )


def _label_genes(
    ax: Axes,
    de: pd.DataFrame,
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    order: np.ndarray,
    n: int,
    labels: pd.Series | None,
) -> None:
    shown = 0
    for i in order:
        if shown >= n:
            break
        if groups[i] == "ns":
            continue
        name = str(de.index[i])
        if labels is not None and name in labels.index and isinstance(labels[name], str):
            name = labels[name]
        ax.annotate(name, (x[i], y[i]), fontsize=6, xytext=(2, 2), textcoords="offset points")
        shown += 1


def volcano(
    de: pd.DataFrame,
    *,
    fdr: float = 0.05,
    lfc: float = 1.0,
    n_labels: int = 10,
    gene_labels: pd.Series | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Volcano plot: logFC against -log10 p-value, significant genes coloured.

    Parameters
    ----------
    de
        DE table indexed by gene with edgeR (``logFC, PValue, FDR``) or DESeq2
        (``log2FoldChange, pvalue, padj``) columns.
    fdr, lfc
        Thresholds that make a gene "up"/"down" (dashed guide lines).
    n_labels
        Label the most significant up/down genes.
    gene_labels
        Optional gene -> symbol mapping for the labels.
    ax
        Axes to draw on.
    """
    cols = de_columns(de)
    _need(cols, ["logfc", "pvalue"], de, "volcano")
    x = de[cols["logfc"]].to_numpy(float)
    p = np.clip(de[cols["pvalue"]].to_numpy(float), 1e-300, 1)
    y = -np.log10(p)
    groups = _classes(de, cols, fdr, lfc)
    ax = get_ax(ax, (4.8, 4.2))
    _scatter_groups(ax, x, y, groups)
    ax.axvline(lfc, ls="--", lw=0.8, color="grey")
    ax.axvline(-lfc, ls="--", lw=0.8, color="grey")
    _label_genes(ax, de, x, y, groups, np.argsort(p, kind="stable"), n_labels, gene_labels)
    ax.set_xlabel(cols["logfc"])
    ax.set_ylabel(f"-log10 {cols['pvalue']}")
    ax.legend(fontsize=7, markerscale=2)
    return ax


def ma_plot(
    de: pd.DataFrame,
    *,
    fdr: float = 0.05,
    lfc: float = 1.0,
    ax: Axes | None = None,
) -> Axes:
    """MA plot: mean expression (edgeR ``logCPM`` or log2 DESeq2 ``baseMean``) against logFC.

    Parameters
    ----------
    de
        DE table (see :func:`volcano`).
    fdr, lfc
        Thresholds for colouring.
    ax
        Axes to draw on.
    """
    cols = de_columns(de)
    _need(cols, ["logfc", "mean"], de, "ma_plot")
    mean = de[cols["mean"]].to_numpy(float)
    xlabel = cols["mean"]
    if cols["mean"] == "baseMean":
        mean = np.log2(mean + 1)
        xlabel = "log2(baseMean + 1)"
    lf = de[cols["logfc"]].to_numpy(float)
    ax = get_ax(ax, (4.8, 4.0))
    _scatter_groups(ax, mean, lf, _classes(de, cols, fdr, lfc))
    ax.axhline(0, lw=0.8, color="black")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(cols["logfc"])
    ax.legend(fontsize=7, markerscale=2)
    return ax
