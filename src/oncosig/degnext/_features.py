"""Length-independent gene features for the classical baselines across cohorts.

A gene row has one value per sample, so rows of different cohorts have different
lengths and a classical model fitted on one cohort cannot score another.  For the
transfer table the classical baselines therefore see a fixed-size summary of each
scaled row instead (:func:`summary_features`):

- for the normal part and for the tumour part of the row separately: the mean, the
  standard deviation and the quantiles at :data:`QUANTILES`;
- the difference of the two group means and of the two group medians.

Every feature is a per-row statistic of the already scaled row (depth-normalised log2,
group-balanced centring; :mod:`oncosig.degnext._scaling`): nothing is fitted across
genes, so no test gene influences another gene's features.
"""

from __future__ import annotations

import numpy as np

from oncosig._errors import OncosigInputError
from oncosig.degnext._data import GeneRows

QUANTILES: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
"""Quantiles of each group's values (0 and 1 are the minimum and the maximum)."""


def feature_names() -> list[str]:
    """Column names of :func:`summary_features`, in order."""
    names: list[str] = []
    for g in ("normal", "tumor"):
        names += [f"{g}_mean", f"{g}_sd"] + [f"{g}_q{round(100 * q):02d}" for q in QUANTILES]
    return [*names, "mean_diff", "median_diff"]


def _group_stats(x: np.ndarray) -> np.ndarray:
    q = np.quantile(x, QUANTILES, axis=1).T
    return np.column_stack([x.mean(axis=1), x.std(axis=1), q])


def summary_features(rows: GeneRows) -> np.ndarray:
    """Fixed-size features of every row: per-group summaries and group differences.

    Parameters
    ----------
    rows
        Scaled rows with their normal-column mask (``rows.normal``), e.g. from
        :func:`oncosig.degnext._data.make_rows`.

    Returns
    -------
    float64 array ``(n_genes, len(feature_names()))``; its width does not depend on
    the number of samples.

    Raises
    ------
    OncosigInputError
        When the rows carry no normal mask or one of the groups is empty.
    """
    if rows.normal is None:
        raise OncosigInputError(
            f"{rows.cohort}: the rows carry no normal/tumour sample layout; build them with "
            "make_rows from a DEGnext AnnData"
        )
    mask = np.asarray(rows.normal, dtype=bool)
    x = np.asarray(rows.x, dtype=np.float64)
    if mask.shape != (x.shape[1],):
        raise OncosigInputError(
            f"{rows.cohort}: normal mask has {mask.size} entries for {x.shape[1]} samples"
        )
    if not mask.any() or mask.all():
        raise OncosigInputError(
            f"{rows.cohort}: summary features need both normal and tumour samples"
        )
    n, t = _group_stats(x[:, mask]), _group_stats(x[:, ~mask])
    median = 2 + QUANTILES.index(0.5)
    diffs = np.column_stack([t[:, 0] - n[:, 0], t[:, median] - n[:, median]])
    return np.column_stack([n, t, diffs])


def featurise(rows: GeneRows) -> GeneRows:
    """The same genes and labels with :func:`summary_features` as their values."""
    return GeneRows(
        x=summary_features(rows), y=rows.y, cohort=rows.cohort, genes=rows.genes, normal=None
    )
