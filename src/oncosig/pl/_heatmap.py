"""The Gene-CAM heatmap of the GeneXNet paper."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from oncosig.pl._common import get_ax


def genecam_heatmap(
    expression: pd.DataFrame,
    genes: Sequence[str],
    *,
    shares: Mapping[str, float] | pd.Series | None = None,
    symbols: Mapping[str, str] | pd.Series | None = None,
    n_samples: int = 20,
    seed: int = 0,
    cmap: str = "viridis",
    colorbar_label: str = "expression",
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Top genes x random samples of one class, coloured by expression.

    Gene symbols are written on the right, each with the share of samples whose top genes
    name it (as in the GeneXNet paper's figure).

    Parameters
    ----------
    expression
        Samples x genes expression of the class's samples (e.g. log-CPM or z-scores).
    genes
        The ranked genes (rows, top first), typically 20.
    shares
        Gene -> share of samples naming the gene (from :func:`oncosig.interpret.rank_genes`).
    symbols
        Gene -> symbol for the labels (IDs are shown where missing).
    n_samples
        Samples drawn at random (without replacement; all when fewer).
    seed
        Seed of the draw.
    cmap
        Colour map.
    colorbar_label
        Label of the colour bar (e.g. ``"log2(CPM + 1)"``).
    title
        Axes title.
    ax
        Axes to draw on.
    """
    genes = [str(g) for g in genes]
    missing = [g for g in genes if g not in expression.columns]
    if missing:
        raise ValueError(f"genes not in the expression table: {missing[:5]}")
    n = min(int(n_samples), len(expression))
    if n == 0:
        raise ValueError("the expression table has no samples")
    rows = np.sort(np.random.default_rng(seed).choice(len(expression), n, replace=False))
    values = expression.iloc[rows][genes].to_numpy(float).T
    ax = get_ax(ax, (0.3 * n + 3.0, 0.28 * len(genes) + 1.2))
    im = ax.imshow(values, aspect="auto", cmap=cmap, interpolation="nearest")
    sym = dict(symbols) if symbols is not None else {}
    share = dict(shares) if shares is not None else {}
    labels = []
    for g in genes:
        name = sym.get(g) if isinstance(sym.get(g), str) and sym.get(g) else g
        labels.append(f"{name} ({share[g]:.0%})" if g in share else str(name))
    ax.set_yticks(range(len(genes)), labels, fontsize=7)
    ax.yaxis.tick_right()
    ax.set_xticks(range(n), [str(s) for s in expression.index[rows]], rotation=90, fontsize=6)
    ax.set_xlabel("samples")
    cbar = ax.figure.colorbar(im, ax=ax, location="left", fraction=0.04, pad=0.02)
    cbar.set_label(colorbar_label)
    if title:
        ax.set_title(title)
    return ax
