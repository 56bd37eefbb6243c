"""``oncosig info``: text and JSON reports (fixtures and the acceptance numbers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oncosig.cli import main

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI entry point; return (exit code, stdout, stderr)."""
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_info_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["info", "--help"], capsys)
    assert code == 0
    assert "--json" in out and "DEGnext" in out


def test_info_gdc_sheet_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["info", str(FIX / "gdc" / "star" / "gdc_sample_sheet.tsv"), "--json"], capsys
    )
    assert code == 0
    rep = json.loads(out)
    assert rep["format"] == "gdc_sample_sheet_star"
    assert (rep["n_samples"], rep["n_genes"]) == (3, 8)
    assert rep["gene_id_type"] == "ensembl_versioned"
    assert rep["value_kind"] == "counts"
    assert rep["sample_types"] == {"Primary Tumor": 2, "Solid Tissue Normal": 1}
    assert rep["projects"] == {"TCGA-KICH": 3}


def test_info_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["info", str(FIX / "xena" / "TCGA-ACC.htseq_counts.tsv.gz")], capsys)
    assert code == 0
    assert "n_samples: 3" in out
    assert "value_kind: normalized" in out
    assert "TCGA-ACC: 3" in out


def test_info_degnext_fixture(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["info", str(FIX / "degnext"), "--json"], capsys)
    assert code == 0
    rep = json.loads(out)
    assert rep["cohort"] == "TCGA-FAKE"
    assert rep["n_samples"] == 5
    assert rep["n_normal"] is None  # not in the DEGnext table
    assert rep["missing_splits"] == ["F1"]
    assert rep["genes_per_split"] == {"T1": 4, "T2": 2, "F1": None, "T3": 2}


@pytest.mark.slow
def test_info_kich_counts(shared_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = shared_dir / "tcga-counts" / "TCGA_KICH_Counts.exp.gz"
    code, out, _ = run(["info", str(path), "--json"], capsys)
    assert code == 0
    rep = json.loads(out)
    assert rep["n_samples"] == 65
    assert rep["n_genes"] == 56_537
    assert rep["gene_id_type"] == "ensembl"
    assert rep["value_kind"] == "counts"
    assert rep["sample_types"] == {"Primary Tumor": 65}
    assert rep["projects"] == {"TCGA-KICH": 65}


@pytest.mark.slow
@pytest.mark.parametrize("target", ["TCGA-BLCA_bio_test.csv.gz", None])
def test_info_degnext_blca(
    shared_dir: Path, capsys: pytest.CaptureFixture[str], target: str | None
) -> None:
    deg = shared_dir / "degnext"
    argv = ["info", str(deg / target)] if target else ["info", str(deg), "--cohort", "BLCA"]
    code, out, _ = run([*argv, "--json"], capsys)
    assert code == 0
    rep = json.loads(out)
    assert rep["cohort"] == "TCGA-BLCA"
    assert rep["n_samples"] == 433
    assert rep["n_normal"] == 19
    assert rep["n_tumor"] == 414
    assert rep["missing_splits"] == ["T1"]
    assert rep["genes_per_split"] == {"T1": None, "T2": 1252, "F1": 203, "T3": 51}


@pytest.mark.slow
def test_info_degnext_folder(shared_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["info", str(shared_dir / "degnext"), "--json"], capsys)
    assert code == 0
    rep = json.loads(out)
    assert rep["n_cohorts"] == 15
    blca = next(c for c in rep["cohorts"] if c["cohort"] == "TCGA-BLCA")
    assert (blca["n_samples"], blca["n_normal"]) == (433, 19)
