"""Stratified, participant-grouped splits and the split manifest saved to disk."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split

from oncosig._atomic import write_table
from oncosig._errors import OncosigInputError


def _grouped(groups: np.ndarray | None, n: int) -> bool:
    return groups is not None and len(np.unique(groups)) < n


def make_folds(
    labels: Sequence[object] | np.ndarray,
    groups: Sequence[object] | np.ndarray | None = None,
    *,
    n_splits: int = 5,
    seed: int = 0,
) -> np.ndarray:
    """Test-fold index (0..n_splits-1) of every sample.

    Stratified by label, shuffled with ``seed``; when ``groups`` (participants) repeat, all
    samples of a participant fall in the same fold (``StratifiedGroupKFold``), so no
    patient is in both a training and a test set.  With unique groups this is exactly
    ``StratifiedKFold(n_splits, shuffle=True, random_state=seed)``.
    """
    y = np.asarray(labels).astype(str)
    n = len(y)
    if n_splits < 2:
        raise ValueError(f"n_splits must be at least 2, got {n_splits}")
    _, counts = np.unique(y, return_counts=True)
    if counts.min() < n_splits:
        raise OncosigInputError(
            f"the smallest class has {counts.min()} samples, fewer than the {n_splits} folds; "
            "use fewer folds or drop that class"
        )
    g = None if groups is None else np.asarray(groups).astype(str)
    folds = np.full(n, -1, dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if g is not None and _grouped(g, n):
            splitter: StratifiedGroupKFold | StratifiedKFold = StratifiedGroupKFold(
                n_splits=n_splits, shuffle=True, random_state=seed
            )
            it = splitter.split(np.zeros(n), y, g)
        else:
            splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
            it = splitter.split(np.zeros(n), y)
        for k, (_, test) in enumerate(it):
            folds[test] = k
    return folds


def holdout_split(
    labels: Sequence[object] | np.ndarray,
    groups: Sequence[object] | np.ndarray | None = None,
    *,
    test_size: float = 0.15,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train / hold-out indices (default 85/15), participant-grouped if needed.

    With repeated groups the hold-out is one fold of a ``round(1/test_size)``-fold
    ``StratifiedGroupKFold`` (about ``test_size`` of the samples).
    """
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must lie in (0, 1), got {test_size}")
    y = np.asarray(labels).astype(str)
    n = len(y)
    idx = np.arange(n)
    g = None if groups is None else np.asarray(groups).astype(str)
    _, counts = np.unique(y, return_counts=True)
    stratify = y if counts.min() >= 2 else None
    if g is not None and _grouped(g, n):
        k = max(2, round(1.0 / test_size))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
            train, test = next(splitter.split(np.zeros(n), y, g))
        return np.sort(train), np.sort(test)
    n_test = max(1, int(np.ceil(test_size * n)))
    if stratify is not None:
        n_test = max(n_test, len(counts))  # stratification needs one sample per class
        if n - n_test < len(counts):
            stratify = None
    train, test = train_test_split(idx, test_size=n_test, random_state=seed, stratify=stratify)
    return np.sort(train), np.sort(test)


def write_manifest(
    path: str | Path,
    *,
    sample_ids: Sequence[str],
    folds: np.ndarray,
    labels: Sequence[object],
    groups: Sequence[object] | None = None,
    overwrite: bool = True,
) -> Path:
    """Write the split manifest (``sample, fold, label[, group]``) as TSV."""
    df = pd.DataFrame({"sample": list(sample_ids), "fold": folds, "label": list(labels)})
    if groups is not None:
        df["group"] = list(groups)
    return write_table(df, path, overwrite=overwrite, index=False)


def read_manifest(path: str | Path) -> pd.DataFrame:
    """Read a manifest written by :func:`write_manifest` (indexed by sample)."""
    df = pd.read_csv(path, sep="\t", dtype={"sample": str, "label": str})
    if not {"sample", "fold", "label"} <= set(df.columns):
        raise OncosigInputError("not a split manifest (needs sample, fold, label)", path=path)
    return df.set_index("sample")
