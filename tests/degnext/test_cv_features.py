"""CV folds, group-balanced centring, length-free features and transfer baselines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oncosig._errors import OncosigInputError
from oncosig.degnext import DEGnext
from oncosig.degnext._baselines import fit_transfer_baselines, score_transfer_baselines
from oncosig.degnext._cv import cv_bio, stratified_folds, summarise_folds
from oncosig.degnext._data import GeneRows, make_rows, normal_mask, select_splits
from oncosig.degnext._features import feature_names, summary_features
from oncosig.degnext._scaling import centre_rows, fit_size_factors, scale_rows
from oncosig.io import read_degnext

FAST = {"widths": [4, 4, 8, 8, 8, 8, 8, 8], "hidden": [8]}


@pytest.mark.parametrize(("n", "k"), [(10, 2), (37, 5), (111, 5), (5, 5)])
def test_folds_are_disjoint_covering_and_stratified(n: int, k: int) -> None:
    y = np.resize([0, 1, 1], n)
    fold = stratified_folds(y, k, seed=3)
    assert fold.shape == (n,) and set(fold.tolist()) == set(range(k))
    tests = [np.flatnonzero(fold == f) for f in range(k)]
    assert sum(t.size for t in tests) == n  # every gene in exactly one test fold
    assert np.array_equal(np.sort(np.concatenate(tests)), np.arange(n))
    sizes = np.bincount(fold)
    assert sizes.max() - sizes.min() <= 1
    for lab in (0, 1):
        per = np.bincount(fold[y == lab], minlength=k)
        assert per.max() - per.min() <= 1
    assert np.array_equal(stratified_folds(y, k, seed=3), fold)
    assert not np.array_equal(stratified_folds(y, k, seed=4), fold) or n <= k


def test_folds_refuse_bad_requests() -> None:
    with pytest.raises(OncosigInputError, match="at least 2"):
        stratified_folds(np.zeros(10), 1)
    with pytest.raises(OncosigInputError, match="fewer folds"):
        stratified_folds(np.zeros(3), 5)


def test_balanced_centring_ignores_the_share_of_normal_samples() -> None:
    for n_normal in (2, 9, 30):
        x = np.concatenate([np.full(n_normal, 5.0), np.full(40 - n_normal, 1.0)])[None, :]
        mask = np.arange(40) < n_normal
        c = centre_rows(x, mask)
        assert np.allclose(c[0, mask], 2.0) and np.allclose(c[0, ~mask], -2.0)
        # the plain row mean moves with the share of normals
        m = centre_rows(x)
        assert np.isclose(m[0, 0], 4.0 * (1 - n_normal / 40))
    one_group = centre_rows(np.array([[1.0, 3.0]]), np.array([True, True]))
    assert np.allclose(one_group, [[-1.0, 1.0]])
    with pytest.raises(ValueError, match="mask"):
        centre_rows(np.zeros((1, 3)), np.array([True]))


def test_make_rows_uses_the_sample_layout_and_no_labels(synth_dir: Path) -> None:
    ad = read_degnext(synth_dir / "train", cohort="TCGA-CHOL")
    mask = normal_mask(ad)
    assert mask is not None and mask.sum() == 9 and mask[:9].all()
    sf = fit_size_factors(np.asarray(ad.layers["counts"], float))
    rows = make_rows(ad, sf)
    x = rows.x.astype(float)
    assert np.allclose(x[:, mask].mean(1) + x[:, ~mask].mean(1), 0, atol=1e-4)
    plain = make_rows(ad, sf, centring="mean")
    assert np.allclose(plain.x.mean(1), 0, atol=1e-4)
    assert np.allclose(plain.x, scale_rows(np.asarray(ad.layers["counts"], float), sf), atol=1e-6)
    shuffled = ad.copy()
    shuffled.obs["label"] = np.random.default_rng(0).permutation(shuffled.obs["label"].to_numpy())
    assert np.array_equal(make_rows(shuffled, sf).x, rows.x)
    with pytest.raises(ValueError, match="centring"):
        make_rows(ad, sf, centring="zscore")


def _rows(rng: np.random.Generator, n_genes: int, n_normal: int, n_tumor: int) -> GeneRows:
    y = np.resize([0, 1], n_genes)
    x = rng.normal(size=(n_genes, n_normal + n_tumor))
    x[:, n_normal:] += np.where(y == 1, 1.5, -1.5)[:, None]
    mask = np.arange(n_normal + n_tumor) < n_normal
    return GeneRows(
        x=x, y=y, cohort=f"C{n_normal}", genes=np.arange(n_genes).astype(str), normal=mask
    )


def test_summary_features_have_a_fixed_width(rng: np.random.Generator) -> None:
    a, b = _rows(rng, 30, 5, 40), _rows(rng, 12, 20, 300)
    fa, fb = summary_features(a), summary_features(b)
    assert fa.shape == (30, len(feature_names())) and fb.shape == (12, len(feature_names()))
    names = feature_names()
    diff = fa[:, names.index("mean_diff")]
    expect = a.x[:, 5:].mean(1) - a.x[:, :5].mean(1)
    assert np.allclose(diff, expect)
    q = fa[:, names.index("tumor_q100")]
    assert np.allclose(q, a.x[:, 5:].max(1))
    with pytest.raises(OncosigInputError, match="layout"):
        summary_features(GeneRows(a.x, a.y, "X", a.genes))
    with pytest.raises(OncosigInputError, match="both"):
        summary_features(GeneRows(a.x, a.y, "X", a.genes, normal=np.ones(45, bool)))


def test_transfer_baselines_score_cohorts_of_other_lengths(rng: np.random.Generator) -> None:
    train = [_rows(rng, 80, 5, 40), _rows(rng, 80, 12, 70)]
    models = fit_transfer_baselines(train, names=("logreg", "random_forest"))
    table, scores = score_transfer_baselines(models, _rows(rng, 40, 9, 36))
    assert set(table["model"]) == {"logreg", "random_forest"}
    assert (table["accuracy"] > 0.9).all() and scores["logreg"].shape == (40, 2)


def test_cv_bio_trains_each_fold_without_its_test_genes(synth_dir: Path) -> None:
    ad = read_degnext(synth_dir / "train", cohort="TCGA-CHOL")
    model = DEGnext(
        arch="degnext_fast",
        net_kwargs=FAST,
        max_epochs=1,
        finetune_epochs=1,
        progress=False,
        batch_size=64,
        finetune_batch_size=64,
    ).fit(ad, splits=["T1"])
    bio = ["F1", "T3"]
    rows = make_rows(select_splits(ad, bio), model.size_factors["TCGA-CHOL"])
    seen: list[set[str]] = []
    orig = DEGnext.finetune

    def spy(self: DEGnext, data, *, splits=("F1",), **kw):  # type: ignore[no-untyped-def]
        seen.append(set(select_splits(data, splits).obs_names))
        return orig(self, data, splits=splits, **kw)

    DEGnext.finetune = spy  # type: ignore[method-assign]
    try:
        per_fold, pooled, fold = cv_bio(
            model,
            ad,
            rows,
            bio_splits=bio,
            n_folds=3,
            baselines=("logreg",),
            extra_scores={"oracle": np.where(rows.y == 1, 1.0, -1.0)},
        )
    finally:
        DEGnext.finetune = orig  # type: ignore[method-assign]
    assert len(seen) == 3
    for k, train_genes in enumerate(seen):
        test_genes = set(rows.genes[fold == k])
        assert train_genes.isdisjoint(test_genes)
        assert train_genes | test_genes == set(rows.genes)
    assert set(per_fold["model"]) == {"DEGnext", "logreg", "oracle"}
    assert pooled["DEGnext"].shape == (rows.y.size, 2)
    summ = summarise_folds(per_fold).set_index("model")
    assert summ.loc["oracle", "accuracy"] == 1.0 and summ.loc["oracle", "accuracy_sd"] == 0
    assert summ.loc["DEGnext", "n_genes"] == rows.y.size


def test_sample_subset_augmentation_is_reproducible_and_keeps_groups() -> None:
    import torch

    from oncosig.degnext._data import CohortRows, subsample_columns

    rng = np.random.default_rng(0)
    normal = np.arange(60) < 8
    x = torch.as_tensor(np.where(normal, 3.0, -1.0)[None, :].repeat(4, 0))
    for _ in range(20):
        xs = subsample_columns(x, normal, rng)
        n = xs.shape[1]
        assert 4 <= n <= 60
        k_n = int((xs[0] > 0).sum())
        assert 2 <= k_n <= 8 and torch.all(xs[:, :k_n] > 0)  # normals first, both groups kept
        assert torch.allclose(
            xs[:, :k_n].mean(1) + xs[:, k_n:].mean(1), torch.zeros(4, dtype=xs.dtype)
        )
    part = GeneRows(
        x=rng.normal(size=(50, 60)).astype(np.float32),
        y=np.resize([0, 1, 2], 50),
        cohort="C",
        genes=np.arange(50).astype(str),
        normal=normal,
    )
    ds = CohortRows([part], augment=1.0, seed=3)
    a, b = ds.__getitems__(list(range(10))), ds.__getitems__(list(range(10)))
    assert torch.equal(a[0], b[0]) and a[0].shape[1] < 60  # same batch -> same subset
    plain = CohortRows([part], augment=0.0).__getitems__(list(range(10)))
    assert plain[0].shape == (10, 60)
    with pytest.raises(ValueError, match="probability"):
        CohortRows([part], augment=2.0)


def test_group_quantiles_make_rows_independent_of_sample_counts() -> None:
    """The same two distributions sampled 9+36 or 60+120 times give nearly the same row."""
    from oncosig.degnext._scaling import group_quantiles

    def row(n_normal: int, n_tumour: int) -> tuple[np.ndarray, np.ndarray]:
        normal = np.linspace(1.0, 3.0, n_normal)  # evenly spread: the same distribution
        tumour = np.linspace(-2.0, 0.0, n_tumour)
        x = np.concatenate([normal, tumour])[None, :]
        return x, np.arange(n_normal + n_tumour) < n_normal

    (a, ma), (b, mb) = row(9, 36), row(60, 120)
    qa, na = group_quantiles(a, ma, 16)
    qb, nb = group_quantiles(b, mb, 16)
    assert qa.shape == qb.shape == (1, 32) and qa.dtype == np.float32
    assert na is not None and na[:16].all() and not na[16:].any() and np.array_equal(na, nb)
    np.testing.assert_allclose(qa, qb, atol=0.06)  # raw rows could not even be compared
    assert np.all(np.diff(qa[0, :16]) >= 0) and qa[0, :16].min() >= 1.0  # sorted normals
    # one group only, or no layout: unchanged
    x = np.ones((2, 5), dtype=np.float32)
    assert group_quantiles(x, None, 4)[0] is x
    assert group_quantiles(x, np.ones(5, bool), 4)[0] is x
    with pytest.raises(ValueError, match="n_quantiles"):
        group_quantiles(a, ma, 1)


def test_make_rows_with_quantiles(synth_dir: Path) -> None:
    ad = read_degnext(synth_dir / "train", cohort="TCGA-CHOL")
    sf = fit_size_factors(np.asarray(ad.layers["counts"], float))
    rows = make_rows(ad, sf, quantiles=8)
    assert rows.x.shape == (ad.n_obs, 16) and rows.normal is not None
    full = make_rows(ad, sf)
    # every quantile lies within its group's range in the sample-level row
    nmax = full.x[:, full.normal].max(1)
    assert (rows.x[:, :8] <= nmax[:, None] + 1e-5).all()
