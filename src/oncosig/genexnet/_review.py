"""Which predictions to check: samples unlike the training samples of the class they get.

A fitted model keeps each class's mean input profile over its training samples (the
*centroids*: per-gene means of the scaled log-CPM the network sees).  A new sample whose
profile correlates better with another class's centroid than with that of its predicted
class, or whose predicted class has a probability below one half, is flagged for review.
On the 7-cohort benchmark GeneXNet's errors fall mostly on such samples (immune-rich or
low-purity tumours that look like another cohort; ``benchmarks/genexnet_review.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from oncosig.genexnet._grid import GeneGrid

MIN_PROBABILITY = 0.5
"""Predictions whose probability is below this are flagged for review."""

REVIEW_COLUMNS = ("max_probability", "nearest_class", "review")


def _batches(
    images: torch.Tensor | Any, transform: Any = None, block_rows: int = 1024
) -> Iterable[np.ndarray]:
    """Gene images in row blocks: from a tensor, or from a store through ``transform``."""
    n = len(images)
    for start in range(0, n, block_rows):
        stop = min(start + block_rows, n)
        if isinstance(images, torch.Tensor):
            yield images[start:stop].numpy()
        else:
            yield transform(images.read(np.arange(start, stop)))


def class_centroids(
    images: torch.Tensor | Any,
    y: np.ndarray,
    n_classes: int,
    grid: GeneGrid,
    *,
    transform: Any = None,
) -> np.ndarray:
    """Mean scaled input of each class's samples, ``(n_classes, n_genes)`` in grid gene order.

    Parameters
    ----------
    images
        Gene images ``(n, 1, H, W)`` as a tensor, or an on-disk store read through
        ``transform`` (a :class:`~oncosig.genexnet._prep.GeneImageTransform`).
    y
        Class index of every row.
    n_classes
        Number of classes; a class without samples gets a row of NaN.
    grid
        The model's layout (images back to genes).
    """
    y = np.asarray(y, dtype=np.int64)
    sums = np.zeros((n_classes, grid.n_genes))
    start = 0
    for block in _batches(images, transform):
        genes = grid.from_image(block).astype(np.float64)
        np.add.at(sums, y[start : start + len(genes)], genes)
        start += len(genes)
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def centroid_correlations(genes: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Pearson correlation across genes of every sample with every class centroid.

    Parameters
    ----------
    genes
        Scaled inputs ``(n_samples, n_genes)``.
    centroids
        ``(n_classes, n_genes)`` from :func:`class_centroids`.

    Returns
    -------
    ``(n_samples, n_classes)``; NaN for a class without centroid or a constant sample.
    """
    x = np.asarray(genes, dtype=np.float64)
    c = np.asarray(centroids, dtype=np.float64)
    x = x - x.mean(axis=1, keepdims=True)
    c = c - c.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = np.linalg.norm(x, axis=1)[:, None] * np.linalg.norm(c, axis=1)[None, :]
        return (x @ c.T) / denom


def review_table(
    proba: np.ndarray,
    correlations: np.ndarray | None,
    classes: Sequence[str],
    index: Sequence[str] | pd.Index,
    *,
    min_probability: float = MIN_PROBABILITY,
) -> pd.DataFrame:
    """Per-sample review flags from class probabilities and centroid correlations.

    Parameters
    ----------
    proba
        Class probabilities ``(n_samples, n_classes)``.
    correlations
        :func:`centroid_correlations` (None for a model saved without centroids: then only
        the probability is checked and ``nearest_class`` is empty).
    classes
        Class names, in the columns' order.
    index
        Sample names.
    min_probability
        A prediction less probable than this is flagged.

    Returns
    -------
    DataFrame indexed by sample: ``max_probability``, ``nearest_class`` (the class whose
    training samples' mean profile the sample correlates with most) and ``review`` (True
    when ``max_probability < min_probability`` or ``nearest_class`` is not the predicted
    class).
    """
    if not 0.0 <= min_probability <= 1.0:
        raise ValueError(f"min_probability must be within [0, 1], got {min_probability}")
    names = np.asarray([str(c) for c in classes], dtype=object)
    proba = np.asarray(proba, dtype=np.float64)
    pred = names[proba.argmax(axis=1)] if len(proba) else np.asarray([], dtype=object)
    top = proba.max(axis=1) if len(proba) else np.zeros(0)
    review = top < min_probability
    nearest = np.full(len(proba), "", dtype=object)
    if correlations is not None and len(proba):
        r = np.nan_to_num(np.asarray(correlations, dtype=np.float64), nan=-np.inf)
        found = np.isfinite(r).any(axis=1)
        nearest[found] = names[r[found].argmax(axis=1)]
        review |= found & (nearest != pred)
    return pd.DataFrame(
        {"max_probability": top, "nearest_class": nearest, "review": review},
        index=pd.Index([str(s) for s in index], name="sample"),
    )


def review_summary(truth: Sequence[object] | np.ndarray, table: pd.DataFrame) -> dict[str, Any]:
    """How the review flags split a labelled set's errors.

    Parameters
    ----------
    truth
        True class of every row of ``table``.
    table
        :meth:`predict_review` output (``prediction`` and ``review`` columns).

    Returns
    -------
    ``n_samples``, ``errors``, ``flagged``, ``errors_flagged`` and the accuracy over the
    unflagged and the flagged samples (NaN where there are none).
    """
    wrong = np.asarray(truth).astype(str) != table["prediction"].to_numpy().astype(str)
    flag = table["review"].to_numpy(dtype=bool)
    return {
        "n_samples": len(table),
        "errors": int(wrong.sum()),
        "flagged": int(flag.sum()),
        "errors_flagged": int((wrong & flag).sum()),
        "accuracy_unflagged": float(1 - wrong[~flag].mean()) if (~flag).any() else float("nan"),
        "accuracy_flagged": float(1 - wrong[flag].mean()) if flag.any() else float("nan"),
    }
