"""Small helpers shared by the plotting functions."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes


def get_ax(ax: Axes | None, figsize: tuple[float, float] = (5.0, 4.0)) -> Axes:
    """Return ``ax`` or a new Axes on a new figure."""
    if ax is not None:
        return ax
    _fig, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return new_ax


def require_columns(df: Any, columns: list[str], what: str) -> None:
    """Raise a clear error when a table lacks columns a plot needs."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"{what} needs columns {columns}; missing {missing} (got {list(df.columns)})"
        )
