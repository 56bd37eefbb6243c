"""Training curves from a metrics table (Lightning's CSVLogger ``metrics.csv``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes

from oncosig.pl._common import get_ax

_INDEX_COLUMNS = ("epoch", "step", "fold", "time")


def training_curves(
    metrics: pd.DataFrame | str | Path,
    *,
    x: str = "epoch",
    columns: Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """One line per metric against epochs.

    Parameters
    ----------
    metrics
        Table (or CSV path) with an ``epoch`` (or ``x``) column and metric columns such as
        ``train_loss``, ``val_loss``, ``val_acc``.  Lightning logs train and validation
        metrics on separate rows; rows are combined per epoch (mean of the non-missing
        values).
    x
        Column on the x-axis.
    columns
        Metrics to draw (default: every numeric column except ``epoch/step/fold/time``).
    ax
        Axes to draw on.  Loss-like and accuracy-like metrics share the axes; metrics whose
        name contains ``loss`` are drawn solid, the others dashed.
    """
    df = pd.read_csv(metrics) if isinstance(metrics, str | Path) else metrics
    if x not in df.columns:
        if df.index.name == x:
            df = df.reset_index()
        else:
            raise ValueError(f"training_curves needs an '{x}' column; got {list(df.columns)}")
    if columns is None:
        columns = [
            c
            for c in df.columns
            if c not in _INDEX_COLUMNS and c != x and pd.api.types.is_numeric_dtype(df[c])
        ]
    if not columns:
        raise ValueError("no metric columns to plot")
    per_epoch = df.groupby(x)[list(columns)].mean()
    ax = get_ax(ax, (5.2, 3.6))
    for col in columns:
        series = per_epoch[col].dropna()
        if series.empty:
            continue
        ax.plot(
            series.index,
            series.to_numpy(),
            marker=".",
            ms=3,
            ls="-" if "loss" in col.lower() else "--",
            label=col,
        )
    ax.set_xlabel(x)
    ax.set_ylabel("value")
    ax.legend(fontsize=7)
    return ax
