"""Input checks for the differential-expression engines (clear, actionable errors)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from oncosig._errors import OncosigInputError


def as_counts(counts: Any) -> np.ndarray:
    """Validate raw counts (samples x genes) and return them as a float64 array.

    Raises
    ------
    OncosigInputError
        For a non-2-D input, NaN/inf, negative or non-integer values.
    """
    if sparse.issparse(counts):
        counts = counts.toarray()
    if isinstance(counts, pd.DataFrame):
        counts = counts.to_numpy()
    try:
        x = np.asarray(counts, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise OncosigInputError(
            f"counts must be numeric ({exc}); pass the raw count matrix, samples x genes"
        ) from exc
    if x.ndim != 2:
        raise OncosigInputError(
            f"counts must be a 2-D matrix (samples x genes), got {x.ndim} dimension(s)"
        )
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise OncosigInputError(f"counts are empty ({x.shape[0]} samples x {x.shape[1]} genes)")
    bad = ~np.isfinite(x)
    if bad.any():
        n = int(bad.sum())
        raise OncosigInputError(
            f"counts contain {n} missing or infinite value(s) (first in gene column "
            f"{int(np.argwhere(bad)[0][1])}); remove or impute those genes before "
            "differential expression (edgeR and DESeq2 refuse them too)"
        )
    if (x < 0).any():
        raise OncosigInputError(
            "counts contain negative values; differential expression needs raw counts"
        )
    if not np.array_equal(x, np.round(x)):
        raise OncosigInputError(
            "counts are not whole numbers; edgeR/DESeq2 need raw integer counts, not "
            "normalised or log values (round estimated counts, e.g. from RSEM/salmon, first)"
        )
    return x


def two_groups(
    group: Sequence[Any] | np.ndarray | pd.Series, n_samples: int, reference: Any = None
) -> tuple[np.ndarray, list[Any]]:
    """Code a two-level grouping as 0 (reference) / 1.

    Parameters
    ----------
    group
        One label per sample.
    n_samples
        Number of samples in the counts.
    reference
        The reference level (logFC is other vs reference); default the first level in
        sorted order.

    Returns
    -------
    Codes and ``[reference, other]``.
    """
    labels = pd.Series(np.asarray(group, dtype=object))
    if labels.size != n_samples:
        raise OncosigInputError(
            f"the grouping has {labels.size} labels for {n_samples} samples; give one per sample"
        )
    if labels.isna().any():
        raise OncosigInputError(
            f"{int(labels.isna().sum())} sample(s) have no group label; label or drop them"
        )
    levels = sorted(pd.unique(labels).tolist(), key=str)
    if len(levels) < 2:
        raise OncosigInputError(
            f"only one condition ({levels[0]!r}) is present; differential expression needs "
            "two groups (e.g. normal and tumor samples)"
        )
    if len(levels) > 2:
        raise OncosigInputError(
            f"{len(levels)} conditions found ({', '.join(map(str, levels))}); the engines "
            "compare exactly two: subset the samples to two groups first"
        )
    if reference is None:
        ref = levels[0]
    else:
        matches = [lev for lev in levels if str(lev) == str(reference)] or [
            lev for lev in levels if str(lev).lower() == str(reference).lower()
        ]
        if not matches:
            raise OncosigInputError(
                f"reference level {reference!r} not among the conditions "
                f"({', '.join(map(str, levels))}); pass one of them as the reference"
            )
        ref = matches[0]
    other = next(lev for lev in levels if lev != ref)
    codes = np.where(labels.astype(str).to_numpy() == str(ref), 0, 1)
    for code, lev in ((0, ref), (1, other)):
        n = int((codes == code).sum())
        if n < 2:
            raise OncosigInputError(
                f"group {lev!r} has {n} sample; each group needs at least 2 replicates to "
                "estimate the dispersion (add samples or use another comparison)"
            )
    return codes, [ref, other]
