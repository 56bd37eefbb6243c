from __future__ import annotations

import re
from pathlib import Path

import pytest
from chromium import assert_every_image_rendered
from report_rundir import make_run_dir

from oncosig.report import build_report, scan_run, table_kind, write_report


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("report")
    run = make_run_dir(root / "run")
    out = write_report(run, root / "report.html")
    return out, out.read_text(encoding="utf-8")


def test_report_is_self_contained(report: tuple[Path, str]) -> None:
    _path, text = report
    assert text.startswith("<!DOCTYPE html>")
    srcs = re.findall(r'src="([^"]*)"', text)
    assert len(srcs) >= 7  # training, confusion, ROC, volcano, MA, dotplots, embedded PNG
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "<script" not in text
    assert not re.search(r'(href|src)="(https?:|//|file:)', text)
    assert "<link" not in text


def test_report_sections_and_notes(report: tuple[Path, str]) -> None:
    _path, text = report
    for needle in (
        "genexnet train",
        "macro_f1",
        "cv_results.csv",
        "accuracy",
        "TP53",
        "figures/confusion.png",
        "broken.csv could not be read",
        "Gene-CAM top 50: CHOL",
        "de_ACC_vs_rest.tsv",
    ):
        assert needle in text, needle
    # the planted Hallmark gene lists are enriched in GO-BP
    counts = re.findall(r"Gene-CAM top 50: \w+ \(50 genes, go-bp\): (\d+) terms", text)
    assert len(counts) == 3 and all(int(c) > 0 for c in counts)


def test_missing_parts_are_noted(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    text = build_report(tmp_path / "empty")
    assert "No run record" in text and "No predictions" in text
    assert "No Gene-CAM gene rankings" in text
    with pytest.raises(ValueError, match="run directory not found"):
        build_report(tmp_path / "nope")


def test_overwrite_is_refused(report: tuple[Path, str]) -> None:
    path, _ = report
    with pytest.raises(ValueError, match="exists"):
        write_report(path.parent / "run", path)


def test_table_kinds(tmp_path: Path) -> None:
    run = scan_run(make_run_dir(tmp_path / "run"))
    kinds = {p.name: k for k, items in run.tables.items() for p, _ in items}
    assert kinds == {
        "predictions.csv": "predictions",
        "metrics.csv": "training",
        "cv_results.csv": "metrics",
        "top_genes.csv": "ranking",
        "common_genes.csv": "common_genes",
        "de_ACC_vs_rest.tsv": "de",
    }
    import pandas as pd

    assert table_kind(pd.DataFrame({"label": ["UR", "DR"], "p_UR": [0.9, 0.1]})) == (
        "degnext_predictions"
    )


def test_report_renders_in_headless_chromium(report: tuple[Path, str], tmp_path: Path) -> None:
    _path, text = report
    seen = assert_every_image_rendered(text, tmp_path)
    assert {"run", "data", "metrics", "genes", "enrichment", "figures"} <= set(seen["sections"])


def test_review_flags_of_predictions_are_listed(tmp_path: Path) -> None:
    import pandas as pd

    run = tmp_path / "run"
    run.mkdir()
    pd.DataFrame(
        {
            "prediction": ["A", "A", "B"],
            "A": [0.9, 0.45, 0.1],
            "B": [0.1, 0.55, 0.9],
            "max_probability": [0.9, 0.55, 0.9],
            "nearest_class": ["A", "A", "B"],
            "review": [False, True, False],
        },
        index=pd.Index(["s1", "s_odd", "s3"], name="sample"),
    ).to_csv(run / "pred.csv")
    text = build_report(run)
    assert "1 of 3 predictions flagged for review" in text
    flagged = text[text.index("flagged for review") :]
    assert "s_odd" in flagged and "s1<" not in flagged
