"""Folds, hold-out, manifest and the fitted log-CPM scaler."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oncosig.genexnet import (
    LogCPMScaler,
    holdout_split,
    make_folds,
    read_manifest,
    select_genes,
    write_manifest,
)


def test_folds_never_share_a_participant(rng: np.random.Generator) -> None:
    groups = np.repeat([f"P{i}" for i in range(60)], 2)  # tumour + normal of one patient
    labels = np.tile(["tumor", "normal"], 60)
    folds = make_folds(labels, groups, n_splits=5, seed=0)
    assert set(folds) == set(range(5))
    for g in np.unique(groups):
        assert len(set(folds[groups == g])) == 1
    for k in range(5):  # stratified: both classes in every test fold
        assert set(labels[folds == k]) == {"tumor", "normal"}
    tr, te = holdout_split(labels, groups, test_size=0.15, seed=0)
    assert not set(groups[tr]) & set(groups[te])
    assert 0.08 < len(te) / len(labels) < 0.25


def test_unique_groups_match_stratified_kfold() -> None:
    from sklearn.model_selection import StratifiedKFold

    labels = np.repeat(["a", "b", "c"], [20, 12, 8])
    folds = make_folds(labels, np.arange(40).astype(str), n_splits=4, seed=0)
    ref = np.empty(40, dtype=int)
    for k, (_, te) in enumerate(
        StratifiedKFold(4, shuffle=True, random_state=0).split(labels, labels)
    ):
        ref[te] = k
    np.testing.assert_array_equal(folds, ref)
    tr, te = holdout_split(labels, test_size=0.15, seed=0)
    assert len(te) == 6 and len(set(tr) | set(te)) == 40


def test_too_small_class_is_reported() -> None:
    with pytest.raises(ValueError, match="fewer than"):
        make_folds(["a"] * 10 + ["b"] * 2, n_splits=5)


def test_manifest_round_trip(tmp_path: Path) -> None:
    folds = np.array([0, 1, 0, 1])
    write_manifest(
        tmp_path / "s.tsv",
        sample_ids=["s1", "s2", "s3", "s4"],
        folds=folds,
        labels=list("abab"),
        groups=["p1", "p2", "p3", "p4"],
    )
    m = read_manifest(tmp_path / "s.tsv")
    assert list(m.index) == ["s1", "s2", "s3", "s4"] and list(m["fold"]) == [0, 1, 0, 1]


def test_scaler_fit_transform_and_missing_genes(rng: np.random.Generator) -> None:
    mu = rng.gamma(2.0, 100.0, size=50)
    counts = rng.poisson(mu * rng.uniform(0.5, 2.0, size=(40, 1))).astype(float)
    sc = LogCPMScaler().fit(counts)
    z = sc.transform(counts)
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(0), 1, atol=1e-3)
    part = counts.copy()
    part[:, 25:] = np.nan  # a cohort measuring half the genes
    zp = sc.transform(part)
    assert np.isfinite(zp).all()
    assert (zp[:, 25:] == 0).all()  # missing genes = training mean: no signal
    # the coverage-adjusted library size keeps observed genes on the training scale
    assert np.corrcoef(zp[:, :25].ravel(), z[:, :25].ravel())[0, 1] > 0.95
    assert abs(float(np.mean(zp[:, :25] - z[:, :25]))) < 0.3
    again = LogCPMScaler.from_state(sc.state_dict())
    np.testing.assert_array_equal(again.transform(part), zp)
    with pytest.raises(ValueError, match="negative"):
        sc.transform(-counts)


def test_select_genes_is_fitted_on_given_samples() -> None:
    counts = np.full((10, 40), 100.0)
    counts[:, 1] = 0
    counts[0, 1] = 3  # detected in 10 % only: not kept (needs > 10 %)
    counts[:, 2] = 0
    counts[:5, 2] = 10  # detected in half of the samples
    counts[::2, 3] = 1000  # the most variable gene
    assert select_genes(counts).tolist() == [0, *range(2, 40)]
    assert select_genes(counts, max_genes=2).tolist() == [2, 3]
    assert select_genes(counts[5:]).tolist() == [0, *range(3, 40)]  # fitted on given samples
