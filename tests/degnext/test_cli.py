"""CLI: transfer then evaluate on a cohort folder never used in training; predict."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from oncosig.cli import app

FAST = [
    "--arch",
    "degnext_fast",
    "--epochs",
    "2",
    "--finetune-epochs",
    "2",
    "--no-progress",
    "--threads",
    "1",
]


def _run(args: list[str]) -> object:
    res = CliRunner().invoke(app, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res


@pytest.fixture(scope="module")
def transfer_ckpt(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    ckpt = tmp_path_factory.mktemp("cli") / "transfer.safetensors"
    _run(
        [
            "degnext",
            "transfer",
            "--data",
            str(synth_dir / "train"),
            "--out",
            str(ckpt),
            "--cohorts",
            "CHOL,KICH",
            *FAST,
        ]
    )
    return ckpt


def test_transfer_then_evaluate_unseen_cohort(transfer_ckpt: Path, synth_dir: Path) -> None:
    assert transfer_ckpt.is_file()
    record = json.loads(transfer_ckpt.with_name(transfer_ckpt.name + ".run.json").read_text())
    assert record["command"] == "degnext transfer"
    assert record["splits_used"]["level1"]["TCGA-KICH"] == ["T2"]
    res = _run(
        [
            "degnext",
            "evaluate",
            "--model",
            str(transfer_ckpt),
            "--data",
            str(synth_dir / "unseen"),
            "--cohort",
            "TCGA-READ",
            "--json",
        ]
    )
    out = json.loads(res.stdout)  # type: ignore[attr-defined]
    assert set(out) == {"accuracy", "precision", "recall", "f1", "mcc", "roc_auc", "n_genes"}
    assert out["n_genes"] == 80 and 0 <= out["accuracy"] <= 1


def test_transfer_refuses_to_overwrite(transfer_ckpt: Path, synth_dir: Path) -> None:
    res = CliRunner().invoke(
        app,
        [
            "degnext",
            "transfer",
            "--data",
            str(synth_dir / "train"),
            "--out",
            str(transfer_ckpt),
            *FAST,
        ],
    )
    assert res.exit_code != 0 and "overwrite" in str(res.output) + str(res.exception)


def test_predict_labels_every_gene(
    transfer_ckpt: Path, tmp_path: Path, rng: np.random.Generator
) -> None:
    genes = [f"ENSG{i:011d}" for i in range(1, 31)]
    samples = [f"S{i}" for i in range(12)]
    counts = pd.DataFrame(rng.poisson(30, size=(30, 12)), index=genes, columns=samples)
    counts.iloc[:10, 6:] *= 6
    path = tmp_path / "counts.tsv"
    counts.to_csv(path, sep="\t")
    groups = tmp_path / "groups.tsv"
    groups.write_text(
        "".join(f"{s}\t{'normal' if i < 6 else 'tumor'}\n" for i, s in enumerate(samples))
    )
    out = tmp_path / "pred.csv"
    _run(
        [
            "degnext",
            "predict",
            str(path),
            "--model",
            str(transfer_ckpt),
            "--groups",
            str(groups),
            "--out",
            str(out),
        ]
    )
    table = pd.read_csv(out, index_col=0)
    assert len(table) == 30 and set(table["label"]) <= {"DR", "UR", "neutral"}
    assert np.allclose(table[["p_DR", "p_UR", "p_neutral"]].sum(axis=1), 1, atol=1e-5)
    assert out.with_name("pred.csv.run.json").is_file()
    out2 = tmp_path / "pred2.csv"
    _run(
        [
            "degnext",
            "predict",
            str(path),
            "--model",
            str(transfer_ckpt),
            "--normal-first",
            "6",
            "--out",
            str(out2),
        ]
    )
    assert pd.read_csv(out2, index_col=0).equals(table)


@pytest.mark.slow
def test_cli_on_a_real_cohort_not_used_in_training(shared_dir: Path, tmp_path: Path) -> None:
    src = shared_dir / "degnext"
    train, unseen = tmp_path / "train", tmp_path / "unseen"
    train.mkdir()
    unseen.mkdir()
    for f in src.glob("TCGA-ESCA_*"):
        os.symlink(f, train / f.name)
    for f in src.glob("TCGA-CHOL_*"):
        os.symlink(f, unseen / f.name)
    ckpt = tmp_path / "esca.safetensors"
    _run(
        [
            "degnext",
            "transfer",
            "--data",
            str(train),
            "--out",
            str(ckpt),
            "--cohorts",
            "ESCA",
            *FAST[:2],
            "--epochs",
            "1",
            "--finetune-epochs",
            "2",
            "--no-progress",
            "--threads",
            "1",
        ]
    )
    res = _run(
        [
            "degnext",
            "evaluate",
            "--model",
            str(ckpt),
            "--data",
            str(unseen),
            "--cohort",
            "TCGA-CHOL",
            "--json",
        ]
    )
    out = json.loads(res.stdout)  # type: ignore[attr-defined]
    assert out["n_genes"] == 441 + 111 and 0 <= out["accuracy"] <= 1


def test_transfer_with_row_quantiles(synth_dir: Path, tmp_path: Path) -> None:
    """--row-quantiles is stored in the checkpoint and used when scoring an unseen cohort."""
    from oncosig.degnext import DEGnext

    ckpt = tmp_path / "q.safetensors"
    _run(
        [
            *("degnext", "transfer", "--data", str(synth_dir / "train"), "--out", str(ckpt)),
            *("--cohorts", "CHOL,KICH", "--row-quantiles", "8", *FAST),
        ]
    )
    assert DEGnext.load(ckpt).config["row_quantiles"] == 8
    record = json.loads(ckpt.with_name(ckpt.name + ".run.json").read_text())
    assert record["config"]["row_quantiles"] == 8
    res = _run(
        [
            *("degnext", "evaluate", "--model", str(ckpt), "--data", str(synth_dir / "unseen")),
            *("--cohort", "TCGA-READ", "--json"),
        ]
    )
    assert json.loads(res.stdout)["n_genes"] == 80  # type: ignore[attr-defined]
