"""``oncosig report`` on real runs: the demo, and DEGnext train / evaluate / benchmark outputs.

Each runs the real commands, writes the report through the CLI and opens it in headless
Chromium, which must decode every embedded figure.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from chromium import assert_every_image_rendered, require_chromium
from report_rundir import write_degnext_cohort

from oncosig.cli import main
from oncosig.report import scan_run

pytestmark = pytest.mark.slow


def _run(args: list[str]) -> None:
    """Run a CLI command in-process; fail with its output unless it exits 0."""
    try:
        main(args)
    except SystemExit as exc:  # typer may exit even on success
        assert not exc.code, f"oncosig {' '.join(args)} exited {exc.code}"


def _alts(text: str) -> list[str]:
    return re.findall(r'<img alt="([^"]*)"', text)


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The real demo (embedded 7-cohort TCGA data, GeneXNet beside logistic regression).

    ``--folds 2 --epochs 3`` shortens training only: the data, models, CV runner and the
    files written are those of the default demo.
    """
    import torch

    require_chromium()
    root = tmp_path_factory.mktemp("demo")
    demo = root / "demo-out"
    threads = torch.get_num_threads()
    try:
        _run(["demo", "--out", str(demo), "--folds", "2", "--epochs", "3", "--no-progress"])
    finally:
        torch.set_num_threads(threads)  # the demo sets 1 thread for the whole process
    out = root / "report.html"
    _run(["report", str(demo), "--out", str(out)])
    return demo, out.read_text(encoding="utf-8")


def test_demo_report_sections(demo_report: tuple[Path, str]) -> None:
    demo, text = demo_report
    run = scan_run(demo)
    alts = _alts(text)
    # data summary: the embedded 7-cohort data and its participant-grouped folds
    assert "384 samples, 7 classes, 2 cross-validation folds" in text
    assert "(0 in more than one fold)" in text
    assert "n_samples: 384; n_genes: 19647; label column: project" in text
    # metrics table: GeneXNet beside the logistic-regression baseline
    assert "Cross-validation, mean ± sd over folds (summary.csv)" in text
    assert re.search(r"<th>genexnet</th>\s*<td>network</td>", text)
    assert re.search(r"<th>logreg</th>\s*<td>baseline</td>", text)
    assert "genexnet minus the best baseline (logreg): accuracy" in text
    # confusion matrices and ROC curves of each model's out-of-fold predictions
    for model in ("genexnet", "logreg"):
        assert f"{model}: out-of-fold accuracy" in text and "384 samples (2 folds pooled)" in text
        assert f"confusion matrix {model}" in alts and f"ROC curves {model}" in alts
    assert "confusion_matrix" in alts  # the demo's own PNG
    # training curves, Gene-CAM top genes and enrichment: shown when the demo writes them
    if run.of("training"):
        assert alts.count("training curves") == len(run.of("training"))
    else:
        assert "No training log" in text
    if run.of("ranking"):
        assert "Gene-CAM top genes per class" in text
        classes = {c for _, df in run.of("ranking") for c in df["class"].astype(str)}
        heatmaps = [a for a in alts if a.startswith("heatmap_")]
        assert len(heatmaps) == len(classes), (heatmaps, classes)
    else:
        assert "No Gene-CAM gene rankings found" in text
    if run.of("enrichment"):
        assert "terms at FDR &lt; 0.05" in text


def test_demo_report_renders_in_chromium(demo_report: tuple[Path, str], tmp_path: Path) -> None:
    _demo, text = demo_report
    seen = assert_every_image_rendered(text, tmp_path)
    assert len(seen["widths"]) >= 6  # 2 x (confusion, ROC), model comparison, demo PNG
    assert {"run", "data", "metrics", "training", "genes", "enrichment", "figures"} <= set(
        seen["sections"]
    )


FAST = ["--arch", "degnext_fast", "--epochs", "2", "--finetune-epochs", "2"]
FAST += ["--no-progress", "--threads", "1"]


@pytest.fixture(scope="module")
def degnext_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``degnext train`` + ``degnext evaluate`` + the benchmark's noise curves, tiny cohort."""
    import torch

    require_chromium()
    root = tmp_path_factory.mktemp("degnext")
    data = write_degnext_cohort(
        root / "data", "TCGA-CHOL", genes={"T1": 96, "T2": 48, "F1": 64, "T3": 32}, seed=1
    )
    run = root / "run"
    ckpt = run / "chol.safetensors"
    threads = torch.get_num_threads()
    try:
        cohort = ["--data", str(data), "--cohort", "TCGA-CHOL"]
        _run(["degnext", "train", *cohort, "--out", str(ckpt), *FAST])
        _run(
            [
                "degnext",
                "evaluate",
                *cohort,
                "--model",
                str(ckpt),
                "--out",
                str(run / "eval_chol.json"),
            ]
        )
        # noise robustness and ROC PNG as `oncosig degnext benchmark` writes them (its
        # transfer and timing sections need the large cohorts, so they are off here)
        from oncosig.degnext._report import run_paper_benchmark

        run_paper_benchmark(
            data,
            run / "benchmark",
            epochs=1,
            finetune_epochs=1,
            cohorts=["TCGA-CHOL"],
            transfer=False,
            timing=False,
        )
    finally:
        torch.set_num_threads(threads)
    out = root / "report.html"
    _run(["report", str(run), "--out", str(out), "--library", "none"])
    return run, out.read_text(encoding="utf-8")


def test_degnext_report_has_roc_confusion_and_noise(degnext_report: tuple[Path, str]) -> None:
    _run_dir, text = degnext_report
    alts = _alts(text)
    assert "DEGnext models" in text
    assert "degnext train TCGA-CHOL (chol.safetensors.run.json)" in text
    assert "degnext evaluate TCGA-CHOL (eval_chol.json.run.json)" in text
    for split in ("T2", "T3", "F1+T3"):
        assert f"ROC curves {split}" in alts and f"confusion matrix {split}" in alts
    # scoring the checkpoint again reproduces the accuracies the commands recorded
    rows = re.findall(
        r"<th>([A-Z0-9+]+)</th>\s*<td>[^<]*</td>\s*<td>\d+</td>\s*"
        r"<td>([0-9.]+)</td>\s*<td>([0-9.]+)</td>",
        text,
    )
    assert {r[0] for r in rows} == {"T2", "T3", "F1+T3"}
    assert all(r[1] == r[2] for r in rows), rows
    # the benchmark's noise table is drawn, its PNGs embedded
    assert "noise robustness" in alts
    assert "degnext_noise" in alts and "degnext_roc" in alts


def test_degnext_report_renders_in_chromium(
    degnext_report: tuple[Path, str], tmp_path: Path
) -> None:
    _run_dir, text = degnext_report
    seen = assert_every_image_rendered(text, tmp_path)
    assert len(seen["widths"]) >= 9
    assert "degnext" in seen["sections"]


@pytest.fixture(scope="module")
def genecam_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``oncosig explain`` (shipped 7-cohort model, 10 real tumours per cohort), then report."""
    import numpy as np

    from oncosig.datasets import tcga7

    require_chromium()
    root = tmp_path_factory.mktemp("genecam")
    adata = tcga7()
    project = adata.obs["project"].astype(str).to_numpy()
    idx = np.concatenate([np.flatnonzero(project == c)[:10] for c in sorted(set(project))])
    data = root / "tcga7_small.h5ad"
    adata[idx].copy().write_h5ad(data)
    run = root / "explain"
    _run(["explain", str(data), "--label-column", "project", "--out", str(run)])
    out = root / "report.html"
    _run(["report", str(run), "--out", str(out)])
    return run, out.read_text(encoding="utf-8")


def test_genecam_report_shows_heatmaps_and_enrichment(
    genecam_report: tuple[Path, str], tmp_path: Path
) -> None:
    _run_dir, text = genecam_report
    alts = _alts(text)
    assert "Gene-CAM top genes per class (top_genes.csv, 7 classes)" in text
    heatmaps = sorted(a for a in alts if a.startswith("heatmap_"))
    assert len(heatmaps) == 7 and heatmaps[0] == "heatmap_TCGA-ACC"
    assert "genes shared by several classes" in text
    assert len(re.findall(r"<h4>TCGA-[A-Z]+: \d+ terms at FDR &lt; 0.05</h4>", text)) == 7
    # every heatmap is shown once, beside its class's table, not again under "Figures"
    assert text.count('alt="heatmap_TCGA-ACC"') == 1
    assert_every_image_rendered(text, tmp_path)
