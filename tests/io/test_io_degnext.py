"""DEGnext dataset layout: read, list, write (fixture cohort TCGA-FAKE + real shared data)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from oncosig._errors import OncosigInputError
from oncosig.io import degnext_cohort_table, list_degnext_cohorts, read, read_degnext, write_degnext

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "degnext"


def test_read_fixture(caplog: pytest.LogCaptureFixture) -> None:
    ad = read_degnext(FIX, n_normal=2)
    assert ad.shape == (8, 5)  # 4 + 2 + 2 genes; 2 normal + 3 tumour samples
    assert ad.uns["cohort"] == "TCGA-FAKE"
    assert ad.uns["n_normal"] == 2
    assert ad.uns["missing_splits"] == ["F1"]
    assert ad.uns["splits"] == ["T1", "T2", "T3"]
    assert "F1" in caplog.text and "missing" in caplog.text
    assert ad.var["condition"].astype(str).tolist() == [
        "normal",
        "normal",
        "tumor",
        "tumor",
        "tumor",
    ]
    assert ad.obs["split"].astype(str).tolist() == ["T1"] * 4 + ["T2"] * 2 + ["T3"] * 2
    assert ad.obs["label"].tolist() == [1, 0, 2, 1, 1, 0, 0, 1]
    assert ad.obs["symbol"].iloc[-2:].tolist() == ["TP53", "MYC"]
    assert ad.obs["symbol"].iloc[:6].isna().all()
    assert ad.layers["counts"][0].tolist() == [5, 6, 50, 60, 55]
    assert ad.X.dtype == np.float32
    assert ad.uns["value_kind"] == "counts"


def test_read_fixture_selected_splits_and_file_path() -> None:
    ad = read(FIX / "TCGA-FAKE_bio_test.csv.gz", splits=("T3", "non_bio_test"), n_normal=1)
    assert ad.obs["split"].astype(str).tolist() == ["T3", "T3", "T2", "T2"]
    assert ad.uns["missing_splits"] == []
    assert (ad.var["condition"].astype(str) == "normal").sum() == 1


def test_unknown_cohort_needs_n_normal() -> None:
    with pytest.raises(OncosigInputError, match="n_normal"):
        read_degnext(FIX)


def test_no_split_exists() -> None:
    with pytest.raises(OncosigInputError, match="none of the splits"):
        read_degnext(FIX, splits=("F1",), n_normal=2)


def test_bad_n_normal_and_split() -> None:
    with pytest.raises(OncosigInputError, match="n_normal=9"):
        read_degnext(FIX, n_normal=9)
    with pytest.raises(OncosigInputError, match="unknown DEGnext split"):
        read_degnext(FIX, splits=("T9",), n_normal=2)


def test_label_count_mismatch(tmp_path: Path) -> None:
    shutil.copytree(FIX, tmp_path / "d")
    (tmp_path / "d" / "TCGA-FAKE_bio_test_label.txt").write_text("0\n1\n1\n")
    with pytest.raises(OncosigInputError, match="3 labels for 2 genes"):
        read_degnext(tmp_path / "d", n_normal=2)


def test_write_roundtrip(tmp_path: Path) -> None:
    ad = read_degnext(FIX, n_normal=2)
    written = write_degnext(ad, tmp_path / "out", cohort="FAKE")
    names = sorted(p.name for p in written)
    assert "TCGA-FAKE_non_bio_train.csv.gz" in names
    assert "TCGA-FAKE_bio_test_genes.csv.gz" in names
    assert "TCGA-FAKE_non_bio_test_genes.csv.gz" not in names  # unnamed genes
    back = read_degnext(tmp_path / "out", n_normal=2)
    np.testing.assert_array_equal(back.layers["counts"], ad.layers["counts"])
    assert back.obs["label"].tolist() == ad.obs["label"].tolist()
    assert back.obs["symbol"].iloc[-2:].tolist() == ["TP53", "MYC"]
    with pytest.raises(OncosigInputError, match="overwrite"):
        write_degnext(ad, tmp_path / "out", cohort="FAKE")
    write_degnext(ad, tmp_path / "out", cohort="FAKE", overwrite=True)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_list_fixture() -> None:
    t = list_degnext_cohorts(FIX)
    assert list(t.index) == ["TCGA-FAKE"]
    row = t.loc["TCGA-FAKE"]
    assert row["n_samples"] == 5
    assert row["missing_splits"] == ["F1"]
    assert row["genes_T1"] == 4 and np.isnan(row["genes_F1"])
    assert np.isnan(row["n_normal"])


def test_cohort_table() -> None:
    t = degnext_cohort_table()
    assert len(t) == 17
    assert tuple(t.loc["TCGA-BLCA", ["n_normal", "n_tumor"]]) == (19, 414)
    assert tuple(t.loc["TCGA-CHOL", ["n_normal", "n_tumor"]]) == (9, 36)
    assert tuple(t.loc["TCGA-KICH", ["n_normal", "n_tumor"]]) == (24, 65)


@pytest.mark.slow
def test_real_cohorts_match_table(shared_dir: Path) -> None:
    deg = shared_dir / "degnext"
    listing = list_degnext_cohorts(deg)
    table = degnext_cohort_table()
    assert len(listing) == 15
    for cohort, row in listing.iterrows():
        assert row["n_samples"] == table.loc[cohort, "n_normal"] + table.loc[cohort, "n_tumor"], (
            cohort
        )
    assert listing.loc["TCGA-BLCA", "missing_splits"] == ["T1"]
    assert listing.loc["TCGA-BRCA", "missing_splits"] == ["T1", "T2", "F1"]
    assert listing.loc["TCGA-CHOL", "missing_splits"] == []


@pytest.mark.slow
def test_real_blca_and_lihc(shared_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    deg = shared_dir / "degnext"
    ad = read_degnext(deg, cohort="BLCA")
    assert ad.n_vars == 433 and ad.uns["n_normal"] == 19
    assert ad.uns["missing_splits"] == ["T1"]
    assert ad.obs["split"].value_counts()[["T2", "F1", "T3"]].tolist() == [1252, 203, 51]
    # F1/T3 names come from *_bio_test_genes / *_biologically_validated_genes
    assert ad.obs.loc[ad.obs["split"].isin(["F1", "T3"]), "symbol"].notna().all()
    assert set(np.unique(ad.obs.loc[ad.obs["split"] == "T3", "label"])) <= {0, 1}
    lihc = read_degnext(deg, cohort="TCGA-LIHC", splits=("T3",))
    assert lihc.n_obs == 298
    assert lihc.obs["symbol"].isna().all()  # 300 names for 298 rows: ignored, no crash
    assert "300 gene names for 298 rows" in caplog.text
