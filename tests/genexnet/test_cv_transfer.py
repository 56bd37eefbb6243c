"""One CV runner for networks and classical baselines; transfer vs scratch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from genexnet_synth import FAST, make_cohort

from oncosig.genexnet import compare_transfer, cross_validate, read_manifest


def test_cv_same_folds_manifest_and_resume(tmp_path: Path) -> None:
    a = make_cohort(n_per_class=10, participants_per_sample=2)
    fast = FAST | {"max_epochs": 4}
    res = cross_validate(
        a,
        label_key="project",
        models=["genexnet", "logreg", ("rf", "random_forest", {"n_estimators": 20, "n_jobs": 1})],
        model_params={"genexnet": fast, "logreg": {"C": 0.1}},
        n_splits=3,
        out_dir=tmp_path,
        progress=False,
    )
    manifest = read_manifest(tmp_path / "splits.tsv")
    assert list(manifest.index) == list(a.obs_names)
    for _, grp in manifest.groupby("group"):  # no participant on both sides
        assert grp["fold"].nunique() == 1
    assert set(res.metrics["model"]) == {"genexnet", "logreg", "rf"}
    assert len(res.metrics) == 9
    # every model was scored on exactly the same test samples per fold
    per = res.predictions.groupby(["model", "fold"])["sample"].apply(frozenset).unstack(0)
    assert (per.nunique(axis=1) == 1).all()
    assert res.summary().loc["logreg", "accuracy_mean"] >= 0.9
    assert set(res.per_class("logreg").index) == set(a.obs["project"])
    assert res.confusion("logreg").to_numpy().sum() == a.n_obs
    # the network's rows carry its review flags (GeneXNet.predict_review)
    gx = res.predictions[res.predictions["model"] == "genexnet"]
    assert gx["nearest_class"].isin(sorted(set(a.obs["project"]))).all()
    flagged = (gx["max_probability"] < 0.5) | (gx["nearest_class"] != gx["prediction"])
    assert (gx["review"].astype(bool) == flagged).all()
    # resume: finished folds are read back, not retrained
    (tmp_path / "predictions" / "logreg_fold0.tsv").write_text(
        (tmp_path / "predictions" / "logreg_fold0.tsv").read_text()
    )
    again = cross_validate(
        a, label_key="project", models=["logreg"], out_dir=tmp_path, resume=True, progress=False
    )
    pd.testing.assert_frame_equal(
        again.predictions.reset_index(drop=True),
        # (the networks' review columns are empty in the classical models' rows)
        res.predictions[res.predictions["model"] == "logreg"]
        .dropna(axis=1, how="all")
        .reset_index(drop=True),
    )


def test_compare_transfer_runs_both_arms(fitted_model) -> None:
    model, _ = fitted_model
    target = make_cohort(n_per_class=10, classes=("normal", "tumor"), seed=4)
    table = compare_transfer(
        model,
        target,
        label_key="project",
        n_splits=2,
        finetune_params={"freeze_epochs": 1, "max_epochs": 2},
        scratch_params={"max_epochs": 2},
        progress=False,
    )
    assert sorted(table["mode"].unique()) == ["scratch", "transfer"]
    assert len(table) == 4
    assert np.isfinite(table["accuracy"]).all()
    assert model.classes_ == ["TCGA-A", "TCGA-B", "TCGA-C"]
