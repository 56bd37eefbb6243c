"""DEGnext T1/T2/F1/T3 splits, CV folds and the DEGnext dataset assembly."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from oncosig._errors import OncosigInputError
from oncosig.de._splits import cv_folds, degnext_dataset, split_degnext


@pytest.fixture
def labels(rng) -> pd.Series:
    lab = rng.choice([0, 1, 2], size=500, p=[0.3, 0.3, 0.4])
    return pd.Series(lab, index=[f"ENSG{i:011d}" for i in range(500)])


def test_split_degnext(labels):
    bio = set(labels.index[:100]) | {"NOT_A_GENE"}
    s = split_degnext(labels, bio_genes=bio, seed=1)
    assert set(s) == {"T1", "T2", "F1", "T3"}
    q = s.isin(["F1", "T3"])
    # Q = bio genes that are DR/UR; neutral bio genes stay in P
    expected_q = labels.index[:100][labels.iloc[:100] != 2]
    assert set(s.index[q]) == set(expected_q)
    # 80/20 per label in each set
    for part, (tr, te) in {"P": ("T1", "T2"), "Q": ("F1", "T3")}.items():
        sub = s[s.isin([tr, te])]
        for lab in labels.loc[sub.index].unique():
            genes = sub[labels.loc[sub.index] == lab]
            frac = (genes == te).mean()
            assert abs(frac - 0.2) < 0.05, (part, lab, frac)
    # reproducible, seed-dependent
    assert split_degnext(labels, bio_genes=bio, seed=1).equals(s)
    assert not split_degnext(labels, bio_genes=bio, seed=2).equals(s)


def test_split_by_symbol(labels):
    symbols = pd.Series([f"G{i}" for i in range(500)], index=labels.index)
    s = split_degnext(labels, bio_genes={"G0", "G1", "G2", "G3"}, symbols=symbols)
    q = set(s.index[s.isin(["F1", "T3"])])
    assert q == {g for g in labels.index[:4] if labels[g] != 2}


def test_split_errors(labels):
    with pytest.raises(OncosigInputError, match="labels must be"):
        split_degnext(labels.replace(2, 5), bio_genes=set())
    with pytest.raises(OncosigInputError, match="test_size"):
        split_degnext(labels, bio_genes=set(), test_size=1.5)


def test_cv_folds(labels):
    f = cv_folds(labels, n_splits=5, seed=0)
    assert sorted(f.unique()) == [0, 1, 2, 3, 4]
    for k in range(5):
        share = labels[f == k].value_counts(normalize=True).sort_index()
        overall = labels.value_counts(normalize=True).sort_index()
        assert np.allclose(share, overall, atol=0.03)
    assert cv_folds(labels, n_splits=5, seed=0).equals(f)
    rare = pd.Series([0, 0, 1, 1, 1, 2, 2, 2, 2, 2], index=list("abcdefghij"))
    fr = cv_folds(rare, n_splits=5)
    assert fr.nunique() == 5
    with pytest.raises(OncosigInputError):
        cv_folds(labels.iloc[:3], n_splits=5)


def test_degnext_dataset(rng):
    counts = rng.poisson(20, size=(7, 6)).astype(float)
    genes = [f"ENSG{i:011d}" for i in range(6)]
    a = ad.AnnData(
        X=counts,
        var=pd.DataFrame(index=genes),
        obs=pd.DataFrame(
            {"tissue": ["tumor", "normal", "tumor", "normal", "tumor", "tumor", "tumor"]},
            index=[f"s{i}" for i in range(7)],
        ),
    )
    a.layers["counts"] = counts
    labels = pd.Series([0, 1, 2, 0, 1], index=genes[:5])
    splits = pd.Series(["T1", "T2", "T1", "F1", "T3"], index=genes[:5])
    d = degnext_dataset(a, labels, splits, symbols=pd.Series(list("ABCDE"), index=genes[:5]))
    assert d.shape == (5, 7) and d.uns["n_normal"] == 2
    assert list(d.var_names[:2]) == ["s1", "s3"]
    assert list(d.var["condition"]) == ["normal"] * 2 + ["tumor"] * 5
    np.testing.assert_array_equal(d.layers["counts"][:, 0], counts[1, :5])
    assert list(d.obs["symbol"]) == list("ABCDE")
    d2 = degnext_dataset(a, labels, splits, n_normal=3)
    assert d2.uns["n_normal"] == 3 and list(d2.var_names[:3]) == ["s0", "s1", "s2"]
    with pytest.raises(OncosigInputError, match="normal"):
        degnext_dataset(a, labels, splits, n_normal=7)
