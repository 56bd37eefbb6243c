"""Saving figures atomically."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from oncosig._atomic import atomic_open, check_can_write


def _figure(obj: Figure | Axes | Any) -> Figure:
    if isinstance(obj, Figure):
        return obj
    fig = getattr(obj, "figure", None)
    if isinstance(fig, Figure):
        return fig
    raise TypeError(f"expected a matplotlib Figure or Axes, got {type(obj).__name__}")


def savefig(
    fig: Figure | Axes,
    path: str | Path,
    *,
    dpi: int = 150,
    overwrite: bool = True,
    close: bool = True,
    **kwargs: Any,
) -> Path:
    """Write a figure (or the figure of an Axes) atomically; the format follows the suffix.

    Parameters
    ----------
    fig
        Figure or Axes.
    path
        Output file (``.png``, ``.pdf``, ``.svg``).
    dpi
        Resolution of raster formats.
    overwrite
        Replace an existing file.
    close
        Close the figure afterwards (frees its memory).
    **kwargs
        Passed to :meth:`matplotlib.figure.Figure.savefig`.
    """
    figure = _figure(fig)
    p = check_can_write(path, overwrite=overwrite)
    kwargs.setdefault("bbox_inches", "tight")
    fmt = p.suffix.lstrip(".").lower() or "png"
    with atomic_open(p, "wb") as fh:
        figure.savefig(fh, format=fmt, dpi=dpi, **kwargs)
    if close:
        import matplotlib.pyplot as plt

        plt.close(figure)
    return p


def png_bytes(fig: Figure | Axes, *, dpi: int = 110, close: bool = True) -> bytes:
    """Render a figure to PNG bytes (for embedding in reports)."""
    figure = _figure(fig)
    buf = io.BytesIO()
    # figures made by oncosig.pl use the constrained layout: one draw, no "tight" re-draw
    tight = figure.get_layout_engine() is None
    figure.savefig(buf, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    if close:
        import matplotlib.pyplot as plt

        plt.close(figure)
    return buf.getvalue()
