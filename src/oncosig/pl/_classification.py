"""Classifier plots: confusion matrix, one-vs-rest ROC curves, noise robustness."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from sklearn.metrics import auc, roc_curve
from sklearn.metrics import confusion_matrix as sk_confusion

from oncosig.pl._common import get_ax, require_columns


def confusion_matrix(
    y_true: Sequence[Any] | np.ndarray | pd.Series,
    y_pred: Sequence[Any] | np.ndarray | pd.Series,
    *,
    labels: Sequence[Any] | None = None,
    normalize: bool = False,
    cmap: str = "Blues",
    ax: Axes | None = None,
) -> Axes:
    """Confusion matrix (rows = true class, columns = predicted), counts in every cell.

    Parameters
    ----------
    y_true, y_pred
        True and predicted labels.
    labels
        Class order (default: sorted union).
    normalize
        Show row fractions instead of counts.
    cmap
        Colour map.
    ax
        Axes to draw on (default: a new figure).
    """
    yt = np.asarray(y_true, dtype=object).astype(str)
    yp = np.asarray(y_pred, dtype=object).astype(str)
    labs = [str(v) for v in labels] if labels is not None else sorted(set(yt) | set(yp))
    cm = sk_confusion(yt, yp, labels=labs).astype(float)
    if normalize:
        cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    ax = get_ax(ax, (1.2 + 0.55 * len(labs), 1.0 + 0.5 * len(labs)))
    im = ax.imshow(cm, cmap=cmap, vmin=0)
    top = cm.max() if cm.size else 1.0
    for i in range(len(labs)):
        for j in range(len(labs)):
            text = f"{cm[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color="white" if cm[i, j] > top / 2 else "black",
            )
    ax.set_xticks(range(len(labs)), labs, rotation=45, ha="right")
    ax.set_yticks(range(len(labs)), labs)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return ax


def roc_curves(
    y_true: Sequence[Any] | np.ndarray | pd.Series,
    scores: pd.DataFrame | np.ndarray,
    *,
    classes: Sequence[Any] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """One-vs-rest ROC curve per class, AUC in the legend, chance diagonal dashed.

    Parameters
    ----------
    y_true
        True labels.
    scores
        Class probabilities ``(n, n_classes)``: a DataFrame whose columns are the classes,
        or an array with ``classes`` giving the column order.  A single column (or 1-D
        array) is a binary problem's positive-class probability.
    classes
        Column classes when ``scores`` is an array.
    ax
        Axes to draw on.
    """
    yt = np.asarray(y_true, dtype=object).astype(str)
    if isinstance(scores, pd.DataFrame):
        cols = [str(c) for c in scores.columns]
        mat = scores.to_numpy(dtype=float)
    else:
        mat = np.asarray(scores, dtype=float)
        mat = mat.reshape(-1, 1) if mat.ndim == 1 else mat
        if classes is None:
            if mat.shape[1] == 1:
                raise ValueError("give `classes` (the positive class) for a 1-D score array")
            classes = sorted(set(yt))
        cols = [str(c) for c in classes]
    if len(cols) != mat.shape[1] or len(mat) != len(yt):
        raise ValueError(f"scores {mat.shape} do not match {len(yt)} labels / classes {cols}")
    ax = get_ax(ax, (4.5, 4.2))
    for j, cls in enumerate(cols):
        pos = yt == cls
        if pos.all() or not pos.any():
            continue
        fpr, tpr, _ = roc_curve(pos, mat[:, j])
        ax.plot(fpr, tpr, lw=1.5, label=f"{cls} (AUC {auc(fpr, tpr):.3f})")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(loc="lower right", fontsize=7)
    return ax


def noise_robustness(
    results: pd.DataFrame,
    *,
    x: str = "noise_pct",
    y: str = "accuracy",
    hue: str = "model",
    ax: Axes | None = None,
) -> Axes:
    """Accuracy against added noise, one line per model (DEGnext robustness experiment).

    Parameters
    ----------
    results
        Long table with columns ``model, noise_pct, accuracy`` (repeats are averaged and
        drawn with their standard deviation as error bars).
    x, y, hue
        Column names.
    ax
        Axes to draw on.
    """
    require_columns(results, [hue, x, y], "noise_robustness")
    ax = get_ax(ax, (5.0, 3.8))
    for name, grp in results.groupby(hue, sort=True):
        stats = grp.groupby(x)[y].agg(["mean", "std"]).sort_index()
        ax.errorbar(
            stats.index,
            stats["mean"],
            yerr=stats["std"].fillna(0),
            marker="o",
            ms=4,
            capsize=2,
            label=str(name),
        )
    ax.set_xlabel("noise (%)" if x == "noise_pct" else x)
    ax.set_ylabel(y)
    ax.legend(fontsize=8)
    return ax
