"""GDC STAR / HTSeq files and sample sheets (fixtures in tests/fixtures/gdc)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from oncosig._errors import OncosigInputError
from oncosig.io import read, read_gdc, read_htseq, read_star

GDC = Path(__file__).resolve().parents[1] / "fixtures" / "gdc"
STAR1 = (
    GDC
    / "star"
    / "6b0bd4a1-0000-4000-8000-000000000001"
    / "6b0bd4a1-0000-4000-8000-000000000001.rna_seq.augmented_star_gene_counts.tsv"
)
STAR2_GZ = (
    GDC / "star" / "6b0bd4a1-0000-4000-8000-000000000002.rna_seq.augmented_star_gene_counts.tsv.gz"
)


def test_read_star_counts() -> None:
    ad = read_star(STAR1)
    assert ad.shape == (1, 8)
    assert ad.obs_names[0] == "6b0bd4a1-0000-4000-8000-000000000001"
    assert ad.var_names[0] == "ENSG00000000003.15"
    assert "ENSG00000002586.20_PAR_Y" in ad.var_names
    assert not any(v.startswith("N_") for v in ad.var_names)
    assert ad.var["symbol"].tolist()[:2] == ["TSPAN6", "TNMD"]
    assert ad.var["gene_type"].iloc[-1] == "lncRNA"
    assert ad.uns["value_kind"] == "counts"
    assert ad.layers["counts"][0, :3].tolist() == [10, 20, 30]
    assert ad.X.dtype == np.float32
    assert ad.uns["star_qc"]["N_noFeature"] == 3000
    assert ad.uns["oncosig_source"]["gene_model"] == "GENCODE v36"
    assert ad.uns["gene_id_type"] == "ensembl_versioned"


def test_read_star_value_columns() -> None:
    ad = read_star(STAR2_GZ, value_column="stranded_first", sample_id="s2")
    assert ad.obs_names[0] == "s2"
    assert ad.layers["counts"][0, 0] == 10  # unstranded 20 -> first strand 10
    tpm = read_star(STAR1, value_column="tpm_unstranded")
    assert tpm.uns["value_kind"] == "normalized"
    assert "counts" not in tpm.layers
    assert tpm.X[0, 0] == pytest.approx(1.4286, abs=1e-4)
    with pytest.raises(OncosigInputError, match="value_column must be one of"):
        read_star(STAR1, value_column="tpm")


def test_read_htseq() -> None:
    ad = read_htseq(GDC / "single.htseq.counts")
    assert ad.shape == (1, 6)
    assert ad.obs_names[0] == "single"
    assert not any(v.startswith("__") for v in ad.var_names)
    assert ad.uns["htseq_qc"]["__alignment_not_unique"] == 503
    assert ad.uns["htseq_qc"]["__too_low_aQual"] == 303
    assert ad.layers["counts"].sum() == 15 + 20 + 25 + 30 + 35 + 8


def test_read_gdc_star_sheet() -> None:
    ad = read_gdc(GDC / "star" / "gdc_sample_sheet.tsv")
    assert ad.shape == (3, 8)
    assert list(ad.obs_names) == ["TCGA-KL-8323-01A", "TCGA-KL-8323-11A", "TCGA-KN-8418-01A"]
    assert ad.obs["tissue"].astype(str).tolist() == ["tumor", "normal", "tumor"]
    assert ad.obs["sample_type"].astype(str).tolist()[1] == "Solid Tissue Normal"
    assert (ad.obs["project"].astype(str) == "TCGA-KICH").all()
    assert (ad.obs["organ_site"].astype(str) == "Kidney").all()
    assert ad.obs["participant"].tolist()[:2] == ["TCGA-KL-8323", "TCGA-KL-8323"]
    assert ad.obs["file_id"].iloc[0].endswith("0001")
    # sample k (seed k) has unstranded counts (k + 1) * (i + 1) * 10
    assert ad.layers["counts"][:, 0].tolist() == [10, 20, 30]
    assert ad.var["symbol"].iloc[0] == "TSPAN6"
    assert ad.uns["gdc_qc"]["N_unmapped"] == [1000.0, 1001.0, 1002.0]
    assert ad.uns["oncosig_source"]["n_files"] == 3


def test_read_gdc_htseq_sheet_and_dispatch() -> None:
    ad = read(GDC / "htseq" / "gdc_sample_sheet.tsv")
    assert ad.shape == (2, 6)
    assert ad.obs["tissue"].astype(str).tolist() == ["tumor", "normal"]
    assert (ad.obs["organ_site"].astype(str) == "Bile duct").all()
    assert ad.uns["oncosig_source"]["format"] == "gdc_sample_sheet_htseq"


def test_read_gdc_data_dir_and_missing_file(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.tsv"
    shutil.copy(GDC / "star" / "gdc_sample_sheet.tsv", sheet)
    ad = read_gdc(sheet, data_dir=GDC / "star")
    assert ad.n_obs == 3
    with pytest.raises(OncosigInputError, match="not found") as err:
        read_gdc(sheet)
    assert str(sheet) in str(err.value)


def test_read_gdc_gene_mismatch(tmp_path: Path) -> None:
    shutil.copytree(GDC / "star", tmp_path / "star")
    f3 = (
        tmp_path
        / "star"
        / "6b0bd4a1-0000-4000-8000-000000000003.rna_seq.augmented_star_gene_counts.tsv"
    )
    lines = f3.read_text().splitlines()
    f3.write_text("\n".join(lines[:-1]) + "\n")  # drop one gene
    with pytest.raises(OncosigInputError, match="genes differ") as err:
        read_gdc(tmp_path / "star" / "gdc_sample_sheet.tsv")
    assert f3.name in str(err.value)


def test_read_gdc_requires_columns(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.tsv"
    sheet.write_text("File Name\tSomething\nx.tsv\ty\n")
    with pytest.raises(OncosigInputError, match="Sample ID"):
        read_gdc(sheet)


def test_read_gdc_duplicate_sample_ids_made_unique(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copytree(GDC / "star", tmp_path / "star")
    sheet = tmp_path / "star" / "gdc_sample_sheet.tsv"
    sheet.write_text(sheet.read_text().replace("TCGA-KN-8418-01A", "TCGA-KL-8323-01A"))
    ad = read_gdc(sheet)
    assert list(ad.obs_names) == ["TCGA-KL-8323-01A", "TCGA-KL-8323-11A", "TCGA-KL-8323-01A-1"]
    assert "more than once" in caplog.text
