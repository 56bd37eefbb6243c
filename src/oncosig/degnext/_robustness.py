"""Noise robustness (explicit, test inputs only) and the plots of the DEGnext report."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_curve

NOISE_LEVELS: tuple[float, ...] = (1, 10, 50, 100, 500, 1000, 1500)
"""Noise standard deviation in percent of each gene's standard deviation (paper)."""


def add_gene_noise(x: np.ndarray, percent: float, *, seed: int = 0) -> np.ndarray:
    """Add Gaussian noise with SD = ``percent`` % of each row's (gene's) SD.

    Used only in the robustness experiment; training and ordinary evaluation never see
    noise.
    """
    x = np.asarray(x, dtype=np.float64)
    sd = x.std(axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    return (x + rng.standard_normal(x.shape) * sd * (percent / 100.0)).astype(np.float32)


def noise_curves(
    predictors: Mapping[str, Callable[[np.ndarray], np.ndarray]],
    x: np.ndarray,
    y: np.ndarray,
    *,
    levels: Sequence[float] = NOISE_LEVELS,
    seed: int = 0,
) -> pd.DataFrame:
    """Accuracy of every predictor on noisy copies of the test rows.

    Parameters
    ----------
    predictors
        name -> function of scaled rows returning labels.
    x, y
        Scaled test rows and labels.
    levels
        Noise levels (% of each gene's SD); 0 (clean) is always added.
    seed
        One noise draw per level, shared by every predictor.

    Returns
    -------
    Tidy table: ``model``, ``noise_pct``, ``accuracy``.
    """
    rows = []
    y = np.asarray(y)
    for lev in [0.0, *[float(v) for v in levels]]:
        xn = x if lev == 0 else add_gene_noise(x, lev, seed=seed + int(lev))
        for name, fn in predictors.items():
            acc = float(np.mean(np.asarray(fn(xn)) == y))
            rows.append({"model": name, "noise_pct": lev, "accuracy": acc})
    return pd.DataFrame(rows)


def plot_noise_curves(df: pd.DataFrame, *, ax: Any = None) -> Any:
    """Accuracy versus noise level, one line per model (log x axis; 0 drawn at 0.1 %)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for name, g in df.groupby("model", sort=False):
        g = g.sort_values("noise_pct")
        xs = np.where(g["noise_pct"].to_numpy() == 0, 0.1, g["noise_pct"].to_numpy())
        ax.plot(xs, 100 * g["accuracy"].to_numpy(), marker="o", label=str(name))
    ax.set_xscale("log")
    ax.set_xlabel("Gaussian noise SD (% of each gene's SD; 0.1 = clean)")
    ax.set_ylabel("accuracy (%)")
    ax.legend(fontsize=7)
    return ax


def plot_roc_curves(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], *, ax: Any = None) -> Any:
    """ROC curves of binary scores: ``name -> (y_true 0/1, score of class 1)``."""
    import matplotlib.pyplot as plt
    from sklearn.metrics import auc

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    for name, (y, s) in curves.items():
        y = np.asarray(y)
        if np.unique(y).size < 2:
            continue
        fpr, tpr, _ = roc_curve(y, np.asarray(s))
        ax.plot(fpr, tpr, label=f"{name} (AUC {auc(fpr, tpr):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(fontsize=7, loc="lower right")
    return ax
