from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from interpret_standins import Estimator, TinyNet, make_adata, train

import oncosig.cli._interpret as cli_interpret
from oncosig.cli import main


def test_explain_writes_tables_heatmaps_and_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    adata = make_adata(n_per_class=8, n_genes=30)
    adata.layers["counts"] = adata.X.copy()
    data = tmp_path / "data.h5ad"
    adata.write_h5ad(data)
    torch.manual_seed(0)
    est = train(Estimator(TinyNet(), list(adata.var_names), ["A", "B", "C"]), adata)
    monkeypatch.setattr(cli_interpret, "_load_model", lambda model: est)
    labels = tmp_path / "labels.tsv"
    adata.obs[["project"]].to_csv(labels, sep="\t")
    out = tmp_path / "explain"
    main(
        [
            "explain",
            str(data),
            "--model",
            "m.safetensors",
            "--out",
            str(out),
            "--top",
            "5",
            "--labels",
            str(labels),
            "--label-column",
            "project",
            "--heatmap-samples",
            "4",
        ]
    )
    assert "Gene-CAM of 24 samples, 3 classes" in capsys.readouterr().out
    top = pd.read_csv(out / "top_genes.csv").rename(columns={"class": "cls"})
    assert list(top.columns) == [
        "cls",
        "rank",
        "gene",
        "symbol",
        "share",
        "mean_score",
        "mean_input",
        "direction",
        "n_samples",
    ]
    # direction: the class's correctly classified samples vs the training samples' mean;
    # the stand-in standardizes over the data it is given, so recompute that here
    x = np.log1p(np.asarray(adata.X, dtype=float))
    z = pd.DataFrame((x - x.mean(0)) / (x.std(0) + 1e-6), columns=adata.var_names)
    pred = est.predict(adata)
    for row in top.itertuples():
        sel = (adata.obs["project"].to_numpy() == row.cls) & (pred == row.cls)
        expected = z.loc[sel, row.gene].mean()
        assert row.mean_input == pytest.approx(expected, abs=1e-4)
        assert row.direction == ("higher" if expected > 0 else "lower")
    assert top.groupby("cls").size().to_dict() == {"A": 5, "B": 5, "C": 5}
    assert {"gene", "n_classes", "classes"} <= set(pd.read_csv(out / "common_genes.csv").columns)
    for cls in "ABC":
        assert (out / f"heatmap_{cls}.png").read_bytes()[:4] == b"\x89PNG"
    enr = pd.read_csv(out / "enrichment.tsv", sep="\t")
    assert list(enr.columns) == ["class", "term", "overlap", "set_size", "pvalue", "fdr", "genes"]
    record = json.loads((out / "run.json").read_text())
    assert record["command"] == "oncosig explain" and record["accuracy"] > 0.9
    # outputs are not replaced without --overwrite
    with pytest.raises(SystemExit) as exc:
        main(["explain", str(data), "--out", str(out)])
    assert exc.value.code == 2
    assert "--overwrite" in capsys.readouterr().err
