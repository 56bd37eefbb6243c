from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_rundir import make_run_dir

from oncosig.report import build_report, scan_run, table_kind, write_report

CHROMIUM = shutil.which("chromium") or shutil.which("/usr/bin/chromium")

_PROBE = (
    "<script>window.addEventListener('load',function(){var r=[];"
    "for(var i=0;i<document.images.length;i++){var im=document.images[i];"
    "r.push(im.complete?im.naturalWidth:-1);}var d=document.createElement('pre');"
    "d.id='imgcheck';d.textContent=JSON.stringify(r);document.body.appendChild(d);});</script>"
)


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
    if CHROMIUM is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("chromium is not installed on CI; run scripts/system-deps.sh")
        pytest.skip("chromium is not installed (scripts/system-deps.sh installs it)")
    _path, text = report
    probe = tmp_path / "probe.html"
    probe.write_text(text.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        probe.as_uri(),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    match = re.search(r'<pre id="imgcheck">([^<]*)</pre>', res.stdout)
    assert match, f"chromium did not run the probe (rc {res.returncode}): {res.stderr[-2000:]}"
    widths = json.loads(match.group(1))
    assert len(widths) == text.count("<img ")
    assert all(w > 0 for w in widths), widths
