"""``oncosig genexnet train | predict | evaluate | finetune`` on tiny synthetic files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import run_main
from genexnet_synth import make_cohort, write_counts_tsv, write_labels_tsv

FAST_ARGS = [
    "--epochs",
    "6",
    "--growth-rate",
    "4",
    "--theta-d",
    "0.25",
    "--theta-r",
    "0.25",
    "--depth",
    "2",
    "--lr",
    "0.003",
    "--gene-order",
    "given",
    "--accelerator",
    "cpu",
    "--no-progress",
]


def _train_command(tmp_path: Path) -> list[str]:
    """``genexnet train`` on a small synthetic cohort (counts TSV + labels TSV), no --out."""
    a = make_cohort(n_per_class=8)
    data = write_counts_tsv(a, tmp_path / "train.tsv")
    labels = tmp_path / "labels.tsv"
    write_labels_tsv(a, labels)
    return ["genexnet", "train", str(data), "--labels", str(labels), "--label-column", "cohort"]


def test_train_predict_evaluate_finetune(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = make_cohort(n_per_class=12)
    data = write_counts_tsv(a, tmp_path / "train.tsv")
    labels = tmp_path / "labels.tsv"
    pd.DataFrame({"sample": a.obs_names, "cohort": a.obs["project"], "site": "x"}).to_csv(
        labels, sep="\t", index=False
    )
    ckpt = tmp_path / "model.safetensors"
    code, out, err = run_main(
        [
            "genexnet",
            "train",
            str(data),
            "--labels",
            str(labels),
            "--label-column",
            "cohort",
            "--out",
            str(ckpt),
            *FAST_ARGS,
        ],
        capsys,
    )
    assert code == 0, err
    assert ckpt.is_file() and (tmp_path / "model.safetensors.run.json").is_file()

    test = make_cohort(n_per_class=5, seed=7)
    part = test[
        :, [g for i, g in enumerate(test.var_names) if i % 4 != 3]
    ].copy()  # 25 % genes missing
    pdata = write_counts_tsv(part, tmp_path / "new.tsv")
    pred = tmp_path / "pred.csv"
    code, out, err = run_main(
        ["genexnet", "predict", "--model", str(ckpt), str(pdata), "--out", str(pred)], capsys
    )
    assert code == 0, err
    df = pd.read_csv(pred, index_col=0)
    assert df.index.name == "sample" and list(df.index) == list(part.obs_names)
    assert list(df.columns) == [
        "prediction",
        "TCGA-A",
        "TCGA-B",
        "TCGA-C",
        "max_probability",
        "nearest_class",
        "review",
    ]
    assert (df[["TCGA-A", "TCGA-B", "TCGA-C"]].sum(1) - 1).abs().max() < 1e-5
    # typical samples of the training classes: each nearest its own class's training samples
    assert (df["nearest_class"] == part.obs["project"]).all()
    expected = (df["max_probability"] < 0.5) | (df["nearest_class"] != df["prediction"])
    assert (df["review"] == expected).all()
    record = json.loads((tmp_path / "pred.csv.run.json").read_text())
    assert record["command"] == "genexnet predict"
    assert record["config"]["model"] == str(ckpt) and record["config"]["data"] == [str(pdata)]
    assert sum(record["predictions"].values()) == part.n_obs

    tlabels = tmp_path / "tlabels.tsv"
    pd.DataFrame({"id": test.obs_names, "cohort": test.obs["project"]}).to_csv(
        tlabels, sep="\t", index=False
    )
    code, out, err = run_main(
        [
            "genexnet",
            "evaluate",
            "--model",
            str(ckpt),
            str(pdata),
            "--labels",
            str(tlabels),
            "--label-column",
            "cohort",
            "--json",
            "--out",
            str(tmp_path / "metrics.json"),
        ],
        capsys,
    )
    assert code == 0, err
    acc = json.loads(out)["metrics"]["accuracy"]
    assert 0.0 <= acc <= 1.0
    # the review flags of the same predictions, split by error (predict's CSV above)
    review = json.loads(out)["review"]
    wrong = df["prediction"] != test.obs["project"].to_numpy()
    assert review["n_samples"] == len(df) and review["errors"] == int(wrong.sum())
    assert review["flagged"] == int(df["review"].sum())
    assert review["errors_flagged"] == int((wrong & df["review"]).sum())
    assert abs(acc - (1 - review["errors"] / len(df))) < 1e-9
    assert json.loads((tmp_path / "metrics.json").read_text())["metrics"]["accuracy"] == acc
    record = json.loads((tmp_path / "metrics.json.run.json").read_text())
    assert record["command"] == "genexnet evaluate" and record["metrics"]["accuracy"] == acc

    tn = make_cohort(n_per_class=10, classes=("normal", "tumor"), seed=8)
    tdata = write_counts_tsv(tn, tmp_path / "tn.tsv")
    tnl = tmp_path / "tn_labels.tsv"
    pd.DataFrame({"s": tn.obs_names, "tumor_normal": tn.obs["project"]}).to_csv(
        tnl, sep="\t", index=False
    )
    ft = tmp_path / "ft.safetensors"
    code, out, err = run_main(
        [
            "genexnet",
            "finetune",
            "--model",
            str(ckpt),
            str(tdata),
            "--labels",
            str(tnl),
            "--label-column",
            "tumor_normal",
            "--out",
            str(ft),
            "--freeze-epochs",
            "1",
            "--epochs",
            "2",
            "--no-progress",
        ],
        capsys,
    )
    assert code == 0, err
    from oncosig.genexnet import GeneImageClassifier

    assert GeneImageClassifier.load(ft).classes_ == ["normal", "tumor"]


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = make_cohort(n_per_class=4)
    data = write_counts_tsv(a, tmp_path / "d.tsv")
    labels = tmp_path / "l.tsv"
    write_labels_tsv(a, labels)
    code, _, err = run_main(
        [
            "genexnet",
            "train",
            str(data),
            "--labels",
            str(labels),
            "--label-column",
            "nope",
            "--out",
            str(tmp_path / "m.safetensors"),
        ],
        capsys,
    )
    assert code == 2 and "no column 'nope'" in err and "Traceback" not in err
    code, _, err = run_main(
        [
            "genexnet",
            "predict",
            "--model",
            str(tmp_path / "missing.safetensors"),
            str(data),
            "--out",
            str(tmp_path / "p.csv"),
        ],
        capsys,
    )
    assert code == 2 and "not found" in err


def test_train_preset_and_overrides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    base = _train_command(tmp_path)
    code, _, err = run_main(
        [*base, "--preset", "nope", "--out", str(tmp_path / "x.safetensors")], capsys
    )
    assert code == 2 and "unknown GeneXNet preset" in err
    ckpt = tmp_path / "p.safetensors"
    args = [*base, "--preset", "compact", "--epochs", "2", "--max-genes", "64", "--out", str(ckpt)]
    code, _, err = run_main([*args, "--no-progress"], capsys)
    assert code == 0, err
    record = json.loads((tmp_path / "p.safetensors.run.json").read_text())
    cfg = record["config"]
    assert cfg["preset"] == "compact" and cfg["gene_embedding"] == 16  # from the preset
    assert cfg["max_genes"] == 64 and cfg["max_epochs"] == 2  # overridden


def test_train_gene_order_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--gene-order coexpression is stored with the model; an unknown layout exits 2."""
    from oncosig.genexnet import GeneImageClassifier

    args = _train_command(tmp_path)
    fast = [*FAST_ARGS[: FAST_ARGS.index("--gene-order")], "--accelerator", "cpu", "--no-progress"]
    fast[fast.index("--epochs") + 1] = "2"
    ckpt = tmp_path / "coexpr.safetensors"
    code, _, err = run_main(
        [*args, "--out", str(ckpt), *fast, "--gene-order", "coexpression"], capsys
    )
    assert code == 0, err
    assert GeneImageClassifier.load(ckpt).grid.ordering == "coexpression"
    code, _, err = run_main(
        [*args, "--out", str(tmp_path / "bad.safetensors"), *fast, "--gene-order", "random"],
        capsys,
    )
    assert code == 2 and "gene_order must be one of" in err, err


def test_train_normalization_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--normalization rank is stored with the model; an unknown name exits 2."""
    from oncosig.genexnet import GeneImageClassifier

    args = _train_command(tmp_path)
    fast = [*FAST_ARGS, "--epochs", "2"]
    ckpt = tmp_path / "rank.safetensors"
    code, _, err = run_main([*args, "--out", str(ckpt), *fast, "--normalization", "rank"], capsys)
    assert code == 0, err
    assert GeneImageClassifier.load(ckpt).scaler_.method == "rank"
    code, _, err = run_main(
        [*args, "--out", str(tmp_path / "bad.safetensors"), *fast, "--normalization", "tpm"],
        capsys,
    )
    assert code == 2 and "normalization must be one of" in err, err
