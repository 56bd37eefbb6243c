"""Report of a cross-validation run directory (synthetic, laid out as ``oncosig demo``)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from report_rundir import make_cv_run_dir

from oncosig.report import build_report, scan_run


@pytest.fixture(scope="module")
def cv_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    run = make_cv_run_dir(tmp_path_factory.mktemp("cv") / "run")
    return run, build_report(run, library=None)


def test_cv_tables_are_recognised(cv_report: tuple[Path, str]) -> None:
    run = scan_run(cv_report[0])
    kinds = {p.name: k for k, items in run.tables.items() for p, _ in items}
    assert kinds["splits.tsv"] == "splits"
    assert kinds["summary.csv"] == "cv_summary"
    assert kinds["cv_metrics.tsv"] == "cv_folds"
    assert {kinds[f"genexnet_fold{k}.tsv"] for k in range(3)} == {"cv_predictions"}
    # metrics.csv repeats cv_metrics.tsv: listed once, as a duplicate
    assert "metrics.csv" not in kinds
    assert [(p.name, q.name) for p, q in run.duplicates] == [("metrics.csv", "cv_metrics.tsv")]


def test_cv_report_pools_folds_and_compares_with_baseline(cv_report: tuple[Path, str]) -> None:
    run, text = cv_report
    assert "30 samples, 3 classes, 3 cross-validation folds, 30 participants (0 in more" in text
    for model in ("genexnet", "logreg"):
        acc = re.search(
            rf"{model}: out-of-fold accuracy ([0-9.]+) over 30 samples \(3 folds pooled\)", text
        )
        assert acc, model
        pooled = pd.concat(
            pd.read_csv(run / "predictions" / f"{model}_fold{k}.tsv", sep="\t") for k in range(3)
        )
        assert float(acc.group(1)) == pytest.approx(
            (pooled["true"] == pooled["prediction"]).mean(), abs=1e-4
        )
        for alt in ("confusion matrix", "ROC curves"):
            assert f'alt="{alt} {model}"' in text
    assert "genexnet minus the best baseline (logreg): accuracy -" in text
    # the network's review flags are counted, the baseline has none
    gx = pd.concat(
        pd.read_csv(run / "predictions" / f"genexnet_fold{k}.tsv", sep="\t") for k in range(3)
    )
    wrong = gx["true"] != gx["prediction"]
    line = (
        f"{int(gx['review'].sum())} of 30 out-of-fold predictions flagged for review; they "
        f"hold {int((gx['review'] & wrong).sum())} of the {int(wrong.sum())} errors."
    )
    assert text.count("out-of-fold predictions flagged for review") == 1 and line in text
    assert "<td>network</td>" in text and "<td>baseline</td>" in text
    assert 'alt="model comparison"' in text
    assert "same table as cv_metrics.tsv" in text
    assert "No training log" in text


def test_degnext_record_without_data_is_noted(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "m.safetensors").write_bytes(b"\0" * 16)
    (run / "m.safetensors.run.json").write_text(
        '{"command": "degnext train", "config": {"data": "/nonexistent/degnext", '
        '"cohort": "TCGA-CHOL"}, "metrics": {"level1_split": "T1", '
        '"T3": {"accuracy": 0.9, "roc_auc": 0.95, "n_genes": 32}}}'
    )
    text = build_report(run, library=None)
    assert "DEGnext models" in text and "degnext train TCGA-CHOL" in text
    assert "data folder not found" in text and "<td>0.95</td>" in text
    assert "data folder not found" not in build_report(run, library=None, rescore=False)
