"""Plots (matplotlib): pure functions that take ``ax=None`` and return the Axes.

Nothing is shown; save with :func:`savefig` (atomic write).
"""

from oncosig.pl._classification import confusion_matrix, noise_robustness, roc_curves
from oncosig.pl._de import de_columns, ma_plot, volcano
from oncosig.pl._enrich import enrichment_dotplot
from oncosig.pl._heatmap import genecam_heatmap
from oncosig.pl._save import png_bytes, savefig
from oncosig.pl._training import training_curves

__all__ = [
    "confusion_matrix",
    "de_columns",
    "enrichment_dotplot",
    "genecam_heatmap",
    "ma_plot",
    "noise_robustness",
    "png_bytes",
    "roc_curves",
    "savefig",
    "training_curves",
    "volcano",
]
