"""``oncosig demo``: GeneXNet beside logistic regression, end to end."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "genexnet"))

from genexnet_synth import make_cohort

from oncosig.cli import main


def _run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exc:
        main(args)
        raise SystemExit(0)
    return int(exc.value.code or 0)


def test_demo_writes_metrics_plot_and_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import oncosig.datasets

    monkeypatch.setattr(oncosig.datasets, "tcga7", lambda: make_cohort(n_per_class=8))
    out = tmp_path / "demo"
    code = _run(["demo", "--out", str(out), "--folds", "2", "--epochs", "2", "--no-progress"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "genexnet" in captured.out and "logreg" in captured.out
    assert "per-class accuracy" in captured.out
    metrics = pd.read_csv(out / "cv_metrics.tsv", sep="\t")
    assert set(metrics["model"]) == {"genexnet", "logreg"} and len(metrics) == 4
    assert (out / "confusion_matrix.png").stat().st_size > 1000
    assert (out / "splits.tsv").is_file()
    # per-fold training curves, the model fitted on all samples and its Gene-CAM
    assert {"epoch", "train_loss"} <= set(pd.read_csv(out / "training" / "genexnet_fold0.csv"))
    assert (out / "genexnet.safetensors").stat().st_size > 1000
    top = pd.read_csv(out / "genecam" / "top_genes.csv")
    assert top["class"].nunique() >= 2 and len(list((out / "genecam").glob("heatmap_*.png"))) >= 2
    # a second run refuses to replace these outputs without --overwrite
    assert _run(["demo", "--out", str(out), "--folds", "2", "--epochs", "1", "--no-progress"]) == 2
    record = json.loads((out / "run.json").read_text())
    assert record["command"] == "oncosig demo"
    assert {r["model"] for r in record["summary"]} == {"genexnet", "logreg"}
    assert record["genecam"]["n_samples"] == 24  # 3 classes x 8 samples
    # GeneXNet's out-of-fold review flags: in its prediction files, counted in run.json
    gx = pd.concat(pd.read_csv(p, sep="\t") for p in (out / "predictions").glob("genexnet_fold*"))
    flags = record["genexnet_review"]
    assert flags["n_samples"] == 24 and flags["flagged"] == int(gx["review"].sum())
    assert flags["errors"] == int((gx["true"] != gx["prediction"]).sum())
    assert "flagged" in captured.out and "for review" in captured.out
    per_class = pd.read_csv(out / "per_class_accuracy.csv", index_col=0)
    assert list(per_class.columns) == ["n", "logreg", "genexnet"]
