"""TCGA barcodes, the project table, obs annotation and gene ID type detection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

from oncosig.genes._idtypes import detect_id_type, id_type_shares
from oncosig.io import annotate_tcga, parse_barcodes, tcga_projects
from oncosig.io._barcodes import tissue_from_code
from oncosig.io._tcga import normalize_project, project_from_filename


def test_parse_full_barcode() -> None:
    df = parse_barcodes(["TCGA-KN-8424-01A-11R-2315-07"])
    row = df.loc["TCGA-KN-8424-01A-11R-2315-07"]
    assert row["participant"] == "TCGA-KN-8424"
    assert row["sample"] == "TCGA-KN-8424-01A"
    assert row["sample_type_code"] == "01"
    assert row["sample_type"] == "Primary Tumor"
    assert row["tissue"] == "tumor"
    assert (row["vial"], row["portion"], row["analyte"]) == ("A", "11", "R")
    assert (row["plate"], row["center"]) == ("2315", "07")


def test_parse_prefixes_dots_and_non_tcga() -> None:
    ids = [
        "TCGA.KL.8324.11A",
        "TCGA-KL-8324",
        "sample_1",
        "TCGA-W5-AA2I-11A-11R",
        "tcga-kn-8424-01a",
    ]
    df = parse_barcodes(ids)
    assert list(df.index) == ids
    assert df.loc["TCGA.KL.8324.11A", "barcode"] == "TCGA-KL-8324-11A"
    assert df.loc["TCGA.KL.8324.11A", "tissue"] == "normal"
    assert df.loc["TCGA.KL.8324.11A", "sample_type"] == "Solid Tissue Normal"
    assert pd.isna(df.loc["TCGA-KL-8324", "sample_type_code"])
    assert df.loc["sample_1"].isna().all()
    assert df.loc["TCGA-W5-AA2I-11A-11R", "analyte"] == "R"
    assert pd.isna(df.loc["TCGA-W5-AA2I-11A-11R", "plate"])
    assert df.loc["tcga-kn-8424-01a", "participant"] == "TCGA-KN-8424"


def test_parse_keeps_duplicates_in_order() -> None:
    df = parse_barcodes(["TCGA-KN-8424-01A", "x", "TCGA-KN-8424-01A"])
    assert len(df) == 3
    assert df["participant"].iloc[2] == "TCGA-KN-8424"


@pytest.mark.parametrize(
    ("code", "tissue"),
    [
        ("01", "tumor"),
        ("09", "tumor"),
        ("10", "normal"),
        ("11", "normal"),
        ("19", "normal"),
        ("20", "control"),
        ("29", "control"),
        ("50", "unknown"),
        ("00", "unknown"),
        (None, "unknown"),
    ],
)
def test_tissue_from_code(code: str | None, tissue: str) -> None:
    assert tissue_from_code(code) == tissue


def test_project_table() -> None:
    t = tcga_projects()
    assert len(t) == 33
    assert t.index[0] == "TCGA-ACC" and t.index[-1] == "TCGA-UVM"
    assert t["organ_site"].nunique() == 26
    expect = {
        "TCGA-KICH": "Kidney",
        "TCGA-KIRC": "Kidney",
        "TCGA-KIRP": "Kidney",
        "TCGA-COAD": "Colorectal",
        "TCGA-READ": "Colorectal",
        "TCGA-GBM": "Brain",
        "TCGA-LGG": "Brain",
        "TCGA-LUAD": "Lung",
        "TCGA-LUSC": "Lung",
        "TCGA-UCEC": "Uterus",
        "TCGA-UCS": "Uterus",
        "TCGA-ACC": "Adrenal gland",
        "TCGA-PCPG": "Adrenal gland",
        "TCGA-CHOL": "Bile duct",
    }
    for proj, site in expect.items():
        assert t.loc[proj, "organ_site"] == site
    assert t.loc["TCGA-DLBC", "name"].startswith("Lymphoid neoplasm")
    assert t["name"].notna().all()


def test_normalize_project() -> None:
    assert normalize_project("kich") == "TCGA-KICH"
    assert normalize_project("TCGA_UVM") == "TCGA-UVM"
    with pytest.raises(ValueError, match="unknown TCGA project"):
        normalize_project("XYZ")


def test_project_from_filename() -> None:
    assert project_from_filename("TCGA_KICH_Counts.exp.gz") == "TCGA-KICH"
    assert project_from_filename("TCGA-ACC.htseq_counts.tsv.gz") == "TCGA-ACC"
    assert project_from_filename("TCGA_TEST_Counts.exp.gz") is None
    assert project_from_filename("counts.tsv") is None


def test_annotate_tcga() -> None:
    ad = AnnData(np.zeros((3, 2), dtype=np.float32))
    ad.obs_names = ["TCGA-KN-8424-01A-11R-2315-07", "TCGA-KL-8324-11A", "other"]
    annotate_tcga(ad, project="KICH")
    obs = ad.obs
    assert list(obs["participant"].iloc[:2]) == ["TCGA-KN-8424", "TCGA-KL-8324"]
    assert list(obs["tissue"].astype(str)) == ["tumor", "normal", "unknown"]
    assert list(obs["sample_type_code"].iloc[:2]) == ["01", "11"]
    assert (obs["project"].astype(str) == "TCGA-KICH").all()
    assert (obs["organ_site"].astype(str) == "Kidney").all()
    assert pd.isna(obs["barcode"].iloc[2])


def test_annotate_keeps_existing_values_and_uses_project_column() -> None:
    ad = AnnData(np.zeros((2, 1), dtype=np.float32))
    ad.obs_names = ["a", "TCGA-OR-A5J1-01A"]
    ad.obs["sample_type"] = ["Solid Tissue Normal", "x"]
    ad.obs["project"] = ["TCGA-COAD", "TCGA-ACC"]
    annotate_tcga(ad)
    assert ad.obs["sample_type"].astype(str).tolist() == ["Solid Tissue Normal", "Primary Tumor"]
    assert ad.obs["organ_site"].astype(str).tolist() == ["Colorectal", "Adrenal gland"]


@pytest.mark.parametrize(
    ("ids", "kind"),
    [
        (["ENSG00000000003", "ENSG00000000005", "ENSG00000002586_PAR_Y"], "ensembl"),
        (["ENSGR0000002586", "ENSG00000000005"], "ensembl"),
        (["ENSG00000000003.15", "ENSG00000002586.20_PAR_Y"], "ensembl_versioned"),
        (["TP53", "BRCA1", "C1orf112", "HLA-A", "RP11-34P13.7", "MT-ND1"], "symbol"),
        (["7157", "672", "1"], "entrez"),
        (["TP53|7157", "?|100130426", "SLC35E2|728661"], "symbol|entrez"),
        (["ENSG00000000003", "ENSG00000000005", "TP53", "BRCA1"], "mixed"),
        (["TCGA-KN-8424-01A", "TCGA-KN-8426-01A"], "unknown"),
        ([], "unknown"),
        (["!!", "??", "$"], "unknown"),
    ],
)
def test_detect_id_type(ids: list[str], kind: str) -> None:
    assert detect_id_type(ids) == kind


def test_detect_id_type_threshold() -> None:
    ens = [f"ENSG{i:011d}" for i in range(1, 91)]
    assert detect_id_type(ens + ["TP53"] * 10) == "ensembl"  # 90 %
    assert detect_id_type(ens[:89] + ["TP53"] * 11) == "mixed"  # 89 %
    shares = id_type_shares(ens + ["TP53"] * 10 + [None, ""])  # type: ignore[list-item]
    assert shares["ensembl"] == pytest.approx(0.9)
    assert sum(shares.values()) == pytest.approx(1.0)
