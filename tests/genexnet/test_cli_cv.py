"""``oncosig genexnet cv``: GeneXNet and baselines on the same folds, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from cli_helpers import run_main
from genexnet_synth import make_cohort, write_counts_tsv

from oncosig.cli._genexnet_cv import parse_model_spec, resolve_specs
from oncosig.genexnet import cross_validate

GX_FAST = 'genexnet:max_epochs=4,growth_rate=4,stem_stride=1,gene_order="given"@gx'


def _files(tmp_path: Path) -> tuple[Path, Path]:
    """Counts TSV and labels TSV (cohort and a batch column) of 3 x 10 samples, 2 per patient."""
    a = make_cohort(n_per_class=10, participants_per_sample=2)
    data = write_counts_tsv(a, tmp_path / "counts.tsv")
    labels = tmp_path / "labels.tsv"
    pd.DataFrame(
        {"sample": a.obs_names, "cohort": a.obs["project"], "patient": a.obs["participant"]}
    ).to_csv(labels, sep="\t", index=False)
    return data, labels


def test_parse_model_spec() -> None:
    assert parse_model_spec("logreg") == ("logreg", "logreg", {})
    assert parse_model_spec("linear_svm:C=0.1,max_genes=1024@svm_1024") == (
        "svm_1024",
        "linear_svm",
        {"C": 0.1, "max_genes": 1024},
    )
    label, name, params = parse_model_spec("genexnet:gene_order=given,class_weight=false")
    assert (name, params) == ("genexnet", {"gene_order": "given", "class_weight": False})
    assert label == "genexnet_gene_ordergiven_class_weightFalse"
    for bad in ("logreg:C", ":C=1", "logreg@a/b"):
        with pytest.raises(typer.BadParameter):
            parse_model_spec(bad)


def test_resolve_specs_defaults_and_errors() -> None:
    specs = dict(
        (label, (name, p))
        for label, name, p in resolve_specs(
            ["genexnet:max_genes=256", "resnet50v2:width=0.25", "linear_svm"],
            preset="compact",
            epochs=7,
            accelerator="cpu",
        )
    )
    _, gx = specs["genexnet_max_genes256"]
    assert gx["max_genes"] == 256 and gx["max_epochs"] == 7 and gx["gene_embedding"] == 16
    _, cnn = specs["resnet50v2_width0.25"]
    assert cnn["net_params"] == {"stem_stride": 2, "width": 0.25}
    assert cnn["max_genes"] == 1024 and cnn["max_epochs"] == 7 and "gene_embedding" not in cnn
    assert specs["linear_svm"] == ("linear_svm", {"C": 0.01})
    with pytest.raises(ValueError, match="classifies genes"):
        resolve_specs(["degnext"], preset="compact", epochs=None, accelerator="cpu")
    with pytest.raises(ValueError, match="unknown model"):
        resolve_specs(["lasso"], preset="compact", epochs=None, accelerator="cpu")
    with pytest.raises(ValueError, match="unexpected keyword argument 'Cx'"):
        resolve_specs(["logreg:Cx=1"], preset="compact", epochs=None, accelerator="cpu")
    with pytest.raises(ValueError, match="the label 'logreg'"):
        resolve_specs(["logreg", "logreg"], preset="compact", epochs=None, accelerator="cpu")


def test_cv_result_errors_and_per_class_table(tmp_path: Path) -> None:
    a = make_cohort(n_per_class=10)
    res = cross_validate(
        a,
        label_key="project",
        models=[("lr", "logreg", {"C": 0.1}), ("tree", "decision_tree", {"max_depth": 1})],
        n_splits=3,
        progress=False,
    )
    assert res.models == ["lr", "tree"]
    table = res.per_class_table()
    assert list(table.columns) == ["n", "lr", "tree"] and table["n"].sum() == 30
    errs = res.errors()
    pred = res.predictions.pivot(index="sample", columns="model", values="prediction")
    truth = res.predictions.groupby("sample")["true"].first()
    n_wrong = pred.ne(truth, axis=0).sum(axis=1)
    assert set(errs.index) == set(n_wrong.index[n_wrong > 0])  # a depth-1 tree misses a class
    assert len(errs) >= 10
    assert (errs["n_models_wrong"] == n_wrong[errs.index]).all()
    assert errs["n_models_wrong"].is_monotonic_decreasing
    assert list(errs.columns) == ["true", "lr", "tree", "n_models_wrong"]


def test_cv_cli_writes_tables_groups_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, labels = _files(tmp_path)
    out = tmp_path / "cv"
    base = ["genexnet", "cv", str(data), "--labels", str(labels), "--label-column", "cohort"]
    args = [*base, "--out", str(out), "--folds", "3", "--group-column", "patient"]
    models = [
        "--estimator",
        "logreg",
        "--estimator",
        "linear_svm:max_genes=60@svm60",
        "--estimator",
        GX_FAST,
    ]
    code, stdout, err = run_main([*args, *models, "--accelerator", "cpu", "--no-progress"], capsys)
    assert code == 0, err
    assert "per-class accuracy" in stdout and "gx flagged" in stdout
    for name in ("splits.tsv", "summary.csv", "per_class_accuracy.csv", "errors.csv"):
        assert (out / name).is_file(), name
    assert (out / "confusion_matrix.png").stat().st_size > 10_000
    splits = pd.read_csv(out / "splits.tsv", sep="\t")
    assert splits.groupby("group")["fold"].nunique().max() == 1  # a patient's 2 samples together
    summary = pd.read_csv(out / "summary.csv", index_col=0)
    assert list(summary.index) == ["logreg", "svm60", "gx"]
    gx = pd.concat(pd.read_csv(p, sep="\t") for p in sorted(out.glob("predictions/gx_fold*.tsv")))
    assert len(gx) == 30 and gx["review"].notna().all()
    errors = pd.read_csv(out / "errors.csv", index_col=0)
    assert "gx_review" in errors.columns and "logreg_review" not in errors.columns
    flagged = gx.set_index("sample")["review"].astype(bool)
    assert (errors["gx_review"] == flagged[errors.index]).all()
    record = json.loads((out / "run.json").read_text())
    assert record["config"]["models"]["svm60"] == {"name": "linear_svm", "C": 0.01, "max_genes": 60}
    assert set(record["review"]) == {"gx"}

    # an earlier run is refused, reused with --resume, refused on changed settings
    code, _, err = run_main([*args, "--estimator", "logreg", "--no-progress"], capsys)
    assert code == 2 and "--resume" in err
    before = (out / "predictions" / "gx_fold0.tsv").read_text()
    code, _, err = run_main([*args, "--estimator", GX_FAST, "--resume", "--no-progress"], capsys)
    assert code == 0, err
    assert (out / "predictions" / "gx_fold0.tsv").read_text() == before  # not retrained
    code, _, err = run_main([*args, "--estimator", "logreg:C=1@logreg", "--resume"], capsys)
    assert code == 2 and "other settings" in err
    # --overwrite starts over: the old models' fold files are gone
    code, _, err = run_main(
        [*args, "--estimator", "logreg", "--overwrite", "--no-progress"], capsys
    )
    assert code == 0, err
    assert sorted(p.name for p in (out / "predictions").iterdir()) == [
        f"logreg_fold{k}.tsv" for k in range(3)
    ]


def test_cv_cli_bad_group_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, labels = _files(tmp_path)
    code, _, err = run_main(
        [
            "genexnet",
            "cv",
            str(data),
            "--labels",
            str(labels),
            "--label-column",
            "cohort",
            "--out",
            str(tmp_path / "cv"),
            "--estimator",
            "logreg",
            "--group-column",
            "batch",
        ],
        capsys,
    )
    assert code == 2 and "--group-column none" in err


def test_cv_cli_failed_run_does_not_block_the_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, labels = _files(tmp_path)
    base = ["genexnet", "cv", str(data), "--labels", str(labels), "--label-column", "cohort"]
    args = [*base, "--out", str(tmp_path / "cv"), "--estimator", "logreg", "--no-progress"]
    code, _, err = run_main([*args, "--folds", "20"], capsys)
    assert code == 2 and "fewer than the 20 folds" in err
    code, _, err = run_main([*args, "--folds", "3"], capsys)
    assert code == 0, err


def test_seed_summary_means_and_ensemble() -> None:
    a = make_cohort(n_per_class=10)
    members = [
        (f"rf{s}", "random_forest", {"n_estimators": 3, "max_depth": 2, "seed": s})
        for s in (0, 1, 2)
    ]
    res = cross_validate(a, label_key="project", models=members, n_splits=3, progress=False)
    table = res.seed_summary({"rf": ["rf0", "rf1", "rf2"]})
    row = table.loc["rf"]
    frames = [
        res.predictions[res.predictions["model"] == m].sort_values("sample")
        for m in ("rf0", "rf1", "rf2")
    ]
    truth = frames[0]["true"].to_numpy()
    errors = [int((f["prediction"].to_numpy() != truth).sum()) for f in frames]
    assert (
        row["n_seeds"] == 3
        and row["errors_min"] == min(errors)
        and row["errors_max"] == max(errors)
    )
    assert row["accuracy_mean"] == pytest.approx(1 - sum(errors) / 3 / 30)
    mean = sum(f[res.classes].to_numpy() for f in frames) / 3
    ens_pred = [res.classes[i] for i in mean.argmax(axis=1)]
    assert row["ensemble_errors"] == sum(p != t for p, t in zip(ens_pred, truth, strict=True))
    with pytest.raises(ValueError, match="no predictions"):
        res.seed_summary({"x": ["rf9"]})


def test_cv_cli_seeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, labels = _files(tmp_path)
    out = tmp_path / "cv"
    args = ["genexnet", "cv", str(data), "--labels", str(labels), "--label-column", "cohort"]
    args += ["--out", str(out), "--folds", "3", "--estimator", GX_FAST, "--estimator", "logreg"]
    code, stdout, err = run_main(
        [*args, "--seeds", "0-1", "--accelerator", "cpu", "--no-progress"], capsys
    )
    assert code == 0, err
    assert "networks over training seeds" in stdout
    summary = pd.read_csv(out / "summary.csv", index_col=0)
    assert list(summary.index) == ["gx_seed0", "gx_seed1", "logreg"]
    seeds = pd.read_csv(out / "seeds_summary.csv", index_col=0)
    assert list(seeds.index) == ["gx"] and seeds.loc["gx", "n_seeds"] == 2
    record = json.loads((out / "run.json").read_text())
    assert record["config"]["models"]["gx_seed1"]["seed"] == 1
    assert record["seeds"][0]["model"] == "gx"
    code, _, err = run_main(
        [*args[:-4], "--estimator", "logreg", "--seeds", "0-1", "--overwrite"], capsys
    )
    assert code == 2 and "no --estimator is a network" in err
