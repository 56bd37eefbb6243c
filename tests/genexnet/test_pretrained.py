"""The GeneXNet model shipped in the package predicts out of the box, with review flags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncosig.cli import main
from oncosig.datasets import tcga7
from oncosig.genexnet import load_pretrained


@pytest.fixture(scope="module")
def tumours():  # type: ignore[no-untyped-def]
    a = tcga7()
    keep = np.concatenate(
        [np.flatnonzero(a.obs["project"] == p)[:4] for p in sorted(set(a.obs["project"]))]
    )
    return a[keep].copy()


def test_shipped_model_keeps_class_centroids(tumours) -> None:  # type: ignore[no-untyped-def]
    model = load_pretrained()
    assert model.centroids_ is not None
    assert model.centroids_.shape == (7, len(model.genes_))
    table = model.predict_review(tumours)
    # embedded tumours (the model's own training data): all right, all nearest their own
    # cohort but one, the KICH tumour KN-8427 that looks like PAAD (benchmarks: every model
    # misses it in cross-validation); it is flagged, here also for its low probability
    assert (table["prediction"] == tumours.obs["project"]).all()
    odd = table.index[table["nearest_class"] != tumours.obs["project"]]
    assert [s[:12] for s in odd] == ["TCGA-KN-8427"]
    assert table.loc[odd[0], "nearest_class"] == "TCGA-PAAD"
    assert table.index[table["review"]].tolist() == odd.tolist()


def test_cli_predict_without_model_writes_review_columns(tumours, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "tumours.h5ad"
    tumours.write_h5ad(data)
    out = tmp_path / "pred.csv"
    main(["genexnet", "predict", str(data), "--out", str(out)])
    df = pd.read_csv(out, index_col=0)
    assert list(df.columns[-3:]) == ["max_probability", "nearest_class", "review"]
    assert (df["prediction"] == tumours.obs["project"]).all()
    assert "wrote" in capsys.readouterr().out
