"""The paper benchmark end to end on a tiny synthetic DEGnext folder (every section)."""

from __future__ import annotations

import gzip
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

STEMS = {"T1": "non_bio_train", "T2": "non_bio_test", "F1": "bio_fine_tune", "T3": "bio_test"}
SIZES = {"TCGA-KIRC": (72, 538), "TCGA-READ": (10, 166), "TCGA-CHOL": (9, 36)}


def _write(root: Path, cohort: str, genes: dict[str, int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_normal, n_tumor = SIZES[cohort]
    for split, n in genes.items():
        y = np.resize(np.array([0, 1] if split in ("F1", "T3") else [0, 1, 2]), n)
        base = rng.uniform(3, 9, size=(n, 1))
        shift = np.where(y == 0, -2.0, np.where(y == 1, 2.0, 0.0))[:, None]
        mu = 2.0 ** np.concatenate(
            [np.repeat(base, n_normal, 1), np.repeat(base + shift, n_tumor, 1)], axis=1
        )
        x = rng.poisson(mu * rng.gamma(10.0, 0.1, size=mu.shape))
        with gzip.open(root / f"{cohort}_{STEMS[split]}.csv.gz", "wt") as fh:
            np.savetxt(fh, x, delimiter=",", fmt="%d")
        np.savetxt(root / f"{cohort}_{STEMS[split]}_label.txt", y, fmt="%d")


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A training cohort (KIRC) and two unseen ones (READ with T1, CHOL without F1)."""
    root = tmp_path_factory.mktemp("degnext_bench")
    _write(root, "TCGA-KIRC", {"T2": 60, "F1": 40, "T3": 20}, seed=5)
    _write(root, "TCGA-READ", {"T1": 60, "T2": 30, "F1": 30, "T3": 20}, seed=6)
    _write(root, "TCGA-CHOL", {"T2": 30, "T3": 20}, seed=7)
    return root


@pytest.mark.slow
def test_paper_benchmark_runs_every_section(bench_dir: Path, tmp_path: Path) -> None:
    from oncosig.degnext._report import run_paper_benchmark

    text = run_paper_benchmark(
        bench_dir,
        tmp_path,
        epochs=1,
        finetune_epochs=1,
        patience=0,
        cv_folds=2,
        compare_archs=("degnext",),
        baselines=("logreg", "xgboost"),
        timing_threads=(1,),
    )
    for title in ("General learning", "2-fold CV", "Noise robustness", "Transfer", "Epoch time"):
        assert title in text
    gl = pd.read_csv(tmp_path / "degnext_general_learning.csv")
    assert {"T3", "CV2"} <= set(gl["eval"])
    cv = gl[gl["eval"] == "CV2"]
    assert {"DEGnext", "logreg", "edger_logfc_sign"} <= set(cv["model"])
    assert cv["accuracy_sd"].notna().all()
    tr = pd.read_csv(tmp_path / "degnext_transfer.csv")
    assert set(tr["cohort"]) == {"TCGA-READ", "TCGA-CHOL"}  # unseen cohorts present
    assert {"DEGnext", "logreg", "xgboost", "edger_logfc_sign"} <= set(tr.columns)
    arch = pd.read_csv(tmp_path / "degnext_arch_comparison.csv")
    assert set(arch["arch"]) == {"degnext_fast", "degnext"}
    ep = pd.read_csv(tmp_path / "degnext_epoch_time.csv")
    assert (ep["epoch_s"] > 0).all() and (ep["n_genes"] == 60).all() and len(ep) == 4
    assert (tmp_path / "degnext_noise.png").exists() and (tmp_path / "degnext.md").exists()
