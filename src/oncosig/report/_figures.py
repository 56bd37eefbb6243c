"""Draw a figure and embed it in the report; a failing plot becomes a note, never an error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oncosig import pl
from oncosig.report import _html as H


def figure(draw: Callable[[], Any], *, alt: str, caption: str, notes: list[str]) -> str:
    """Run a plotting call (returning an Axes) and embed its PNG in a ``<figure>``.

    Parameters
    ----------
    draw
        Function of no arguments that draws and returns the Axes.
    alt, caption
        Alternative text and caption of the image.
    notes
        Problems are appended here (and shown in place of the figure).
    """
    try:
        ax = draw()
        return H.img_png(pl.png_bytes(ax), alt=alt, caption=caption)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        import matplotlib.pyplot as plt

        plt.close("all")
        notes.append(f"{caption}: not drawn ({exc})")
        return H.note(f"{caption}: not drawn ({exc})")
