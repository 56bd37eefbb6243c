"""Enrichment dot plot."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from oncosig.pl._common import get_ax, require_columns


def enrichment_dotplot(
    result: pd.DataFrame,
    *,
    n_terms: int = 15,
    ax: Axes | None = None,
) -> Axes:
    """Dot plot of the top terms of an ORA result.

    x = gene ratio (overlap / set size), dot size = overlap, colour = -log10 FDR; the most
    significant term on top.

    Parameters
    ----------
    result
        Output of :func:`oncosig.enrich.ora` (columns ``term, overlap, set_size, fdr``).
    n_terms
        Terms shown (smallest FDR first).
    ax
        Axes to draw on.
    """
    require_columns(result, ["term", "overlap", "set_size", "fdr"], "enrichment_dotplot")
    top = result.sort_values(["fdr", "overlap"], ascending=[True, False]).head(n_terms)
    top = top.iloc[::-1]
    ax = get_ax(ax, (6.0, 0.32 * max(len(top), 1) + 1.2))
    if top.empty:
        ax.text(0.5, 0.5, "no enriched terms", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    ratio = top["overlap"].to_numpy(float) / top["set_size"].to_numpy(float)
    score = -np.log10(np.clip(top["fdr"].to_numpy(float), 1e-300, 1))
    sizes = 15 + 200 * top["overlap"].to_numpy(float) / max(top["overlap"].max(), 1)
    sc = ax.scatter(
        ratio,
        np.arange(len(top)),
        s=sizes,
        c=score,
        cmap="viridis_r",
        edgecolors="black",
        linewidths=0.4,
    )
    ax.set_yticks(
        np.arange(len(top)), [textwrap.shorten(str(t), 60) for t in top["term"]], fontsize=7
    )
    ax.set_xlabel("gene ratio (overlap / set size)")
    ax.margins(x=0.15, y=0.05)
    ax.figure.colorbar(sc, ax=ax, fraction=0.05, pad=0.02).set_label("-log10 FDR")
    return ax
