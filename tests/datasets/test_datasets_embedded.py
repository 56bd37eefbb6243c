"""The datasets embedded in the package: shapes, labels, exact counts, speed, size."""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

from oncosig import datasets
from oncosig._errors import OncosigInputError

COHORT_SIZES = {
    "TCGA-ACC": 79,
    "TCGA-CHOL": 36,
    "TCGA-DLBC": 48,
    "TCGA-KICH": 65,
    "TCGA-UCS": 56,
    "TCGA-UVM": 80,
    "TCGA-PAAD": 20,
}


@pytest.fixture(scope="module")
def tcga7() -> AnnData:
    return datasets.tcga7()


def test_tcga7_shape_labels_and_annotation(tcga7: AnnData) -> None:
    assert tcga7.n_obs == 384
    assert tcga7.obs["project"].value_counts().to_dict() == COHORT_SIZES
    assert tcga7.obs_names.is_unique and tcga7.var_names.is_unique
    assert tcga7.var_names.str.fullmatch(r"ENSG\d{11}").all()
    assert 15000 < tcga7.n_vars < 25000
    assert set(tcga7.var["gene_type"]) == {"protein_coding", "lncRNA"}
    obs = tcga7.obs
    assert (obs["tissue"] == "tumor").all()
    assert (obs["sample_type"] == "Primary Tumor").all()
    assert obs.loc[obs["project"] == "TCGA-KICH", "organ_site"].eq("Kidney").all()
    assert obs["barcode"].str.startswith("TCGA-").all()
    assert "gene_selection" in tcga7.uns["oncosig_source"]
    assert tcga7.uns["value_kind"] == "counts"


def test_tcga7_counts_are_raw_integers(tcga7: AnnData) -> None:
    c = tcga7.layers["counts"]
    assert c.dtype.kind == "i" and c.min() >= 0
    np.testing.assert_array_equal(tcga7.X, c)
    assert not np.shares_memory(tcga7.X, c)
    # the kept genes carry most of each library
    share = c.sum(axis=1) / tcga7.obs["total_counts_all_genes"].to_numpy()
    assert (share > 0.5).all() and (share <= 1).all()


def test_loads_fast_and_returns_independent_copies() -> None:
    datasets.tcga7()  # warm imports
    # CPU time of this process: robust to other jobs on a shared machine
    t0 = time.process_time()
    a = datasets.tcga7()
    b = datasets.chol_kich("TCGA-KICH")
    assert time.process_time() - t0 < 2.0
    a.X[0, 0] += 1
    assert datasets.tcga7().X[0, 0] == a.X[0, 0] - 1
    assert b.n_obs == 89


@pytest.mark.parametrize(
    ("cohort", "n_normal", "n_tumor", "n_genes"),
    [
        ("TCGA-CHOL", 9, 36, 6513),
        ("kich", 24, 65, 6514),
    ],
)
def test_chol_kich(cohort: str, n_normal: int, n_tumor: int, n_genes: int) -> None:
    ad = datasets.chol_kich(cohort)
    assert ad.shape == (n_normal + n_tumor, n_genes)
    cond = ad.obs["condition"]
    assert (cond == "normal").sum() == n_normal and (cond == "tumor").sum() == n_tumor
    assert (cond.iloc[:n_normal] == "normal").all()  # normal samples first
    assert ad.obs["project"].nunique() == 1
    assert ad.obs.loc[cond == "tumor", "barcode"].str.startswith("TCGA-").all()
    assert set(ad.var["label"]) == {0, 1, 2}
    assert set(ad.var["split"]) == {"non_bio_train", "non_bio_test", "bio_fine_tune", "bio_test"}
    assert set(ad.var["split_code"]) == {"T1", "T2", "F1", "T3"}
    assert ad.var["symbol"].notna().all()
    np.testing.assert_array_equal(ad.X, ad.layers["counts"])


def test_chol_kich_rejects_other_cohorts() -> None:
    with pytest.raises(OncosigInputError, match="TCGA-CHOL, TCGA-KICH"):
        datasets.chol_kich("TCGA-BRCA")


def test_list_datasets() -> None:
    df = datasets.list_datasets()
    assert list(df.index) == ["tcga7", "tcga_chol", "tcga_kich"]
    assert df.loc["tcga7", "n_obs"] == 384
    assert df.loc["tcga_chol", "n_obs"] == 45 and df.loc["tcga_kich", "n_obs"] == 89
    assert df["licence"].str.contains("MIT").all()
    assert "GPL-3.0" in df.loc["tcga_kich", "licence"]


def test_embedded_files_are_small_and_documented() -> None:
    folder = resources.files("oncosig") / "data" / "datasets"
    files = [f for f in folder.iterdir() if f.is_file()]
    total = sum(len(f.read_bytes()) for f in files)
    assert total < 15 * 1024 * 1024
    names = {f.name for f in files}
    assert {"PROVENANCE.md", "LICENSES.md"} <= names
    text = (folder / "PROVENANCE.md").read_text("utf-8")
    assert "CPM >= 1" in text and "GPL-3.0" in text


# --- against the source files ----------------------------------------------------------


@pytest.mark.shared
@pytest.mark.slow
def test_tcga7_counts_equal_shared_files(tcga7: AnnData, shared_dir: Path) -> None:
    rng = np.random.default_rng(0)
    genes = list(rng.choice(tcga7.var_names, 300, replace=False))
    folder = shared_dir / "tcga-counts"
    space = None
    for stem, project in [("KICH", "TCGA-KICH"), ("CHOL", "TCGA-CHOL"), ("TEST", "TCGA-PAAD")]:
        src = pd.read_csv(folder / f"TCGA_{stem}_Counts.exp.gz", sep="\t", index_col=0)
        space = src.index if space is None else space  # the 56,537-gene RNAsum space
        mine = tcga7[tcga7.obs["project"] == project]
        assert list(mine.obs_names) == list(src.columns)
        np.testing.assert_array_equal(mine[:, genes].layers["counts"], src.loc[genes].T.to_numpy())
        lib = src.loc[space].sum().to_numpy()
        np.testing.assert_array_equal(mine.obs["total_counts_all_genes"].to_numpy(), lib)


@pytest.mark.shared
@pytest.mark.parametrize("cohort", ["TCGA-CHOL", "TCGA-KICH"])
def test_chol_kich_equal_shared_files(cohort: str, shared_dir: Path) -> None:
    folder = shared_dir / "tcga-counts" / "chol-kich"
    src = pd.read_csv(folder / f"{cohort}_degnext_genes_counts.tsv.gz", sep="\t", index_col=0)
    labels = pd.read_csv(folder / f"{cohort}_degnext_gene_labels.tsv", sep="\t", index_col=0)
    ad = datasets.chol_kich(cohort)
    assert list(ad.var_names) == list(src.index)
    assert list(ad.obs_names) == list(src.columns)
    np.testing.assert_array_equal(ad.layers["counts"], src.T.to_numpy())
    np.testing.assert_array_equal(ad.var["label"].to_numpy(), labels["degnext_label"].to_numpy())
    assert ad.var["split"].astype(str).tolist() == labels["degnext_split"].tolist()
