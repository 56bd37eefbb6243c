"""``benchmarks/genexnet_review.py`` rebuilds the centroids a fitted GeneXNet keeps."""

from __future__ import annotations

import numpy as np
import pytest
from bench_import import benchmark_module
from genexnet_synth import FAST, make_cohort

from oncosig.genexnet import GeneXNet


def test_fold_correlations_match_the_fitted_models() -> None:
    bench = benchmark_module("genexnet_review")
    a = make_cohort(n_per_class=10, seed=4)
    labels = a.obs["project"].to_numpy(str)
    folds = np.arange(a.n_obs) % 2
    counts = np.asarray(a.layers["counts"], dtype=np.float64)
    settings = {"min_detected": 0.1, "max_genes": 60, "prior_count": 1.0}
    settings["normalization"] = "log-cpm"
    got = bench.fold_correlations(counts, labels, folds, settings)
    for f in (0, 1):
        model = GeneXNet(**{**FAST, "max_epochs": 1, "max_genes": 60}).fit(
            a[folds != f], label_key="project"
        )
        _, corr = model.proba_and_correlations(a[folds == f])
        np.testing.assert_allclose(got[folds == f], corr, atol=1e-5)


def test_flag_row_counts_errors_among_flagged() -> None:
    bench = benchmark_module("genexnet_review")
    truth = np.array(["A", "A", "B", "B"])
    proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.7, 0.3]])  # samples 1, 3 wrong
    corr = np.array([[0.9, 0.1], [0.5, 0.4], [0.1, 0.9], [0.8, 0.2]])
    row = bench.flag_row("r", proba, truth, corr)
    # sample 1: nearest A but predicted B -> flagged; sample 3: confidently wrong, nearest A
    assert row["errors"] == 2 and row["flagged"] == 1 and row["errors flagged"] == 1
    assert row["accuracy unflagged"] == pytest.approx(2 / 3) and row["accuracy flagged"] == 0.0
