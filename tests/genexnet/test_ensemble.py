"""Seed ensembles (GeneXNetEnsemble) and ``genexnet predict/evaluate`` with several --model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from genexnet_synth import FAST, make_cohort, write_counts_tsv, write_labels_tsv

from oncosig.cli import main
from oncosig.genexnet import GeneImageClassifier, GeneXNet, GeneXNetEnsemble


@pytest.fixture(scope="module")
def members():
    a = make_cohort()
    return [GeneXNet(**{**FAST, "seed": s}).fit(a, label_key="project") for s in (0, 1)]


def _reversed_classes(model: GeneImageClassifier) -> GeneImageClassifier:
    """The same model with its classes (and head rows) in reverse order."""
    rev = model.copy()
    head = rev.network.head
    with torch.no_grad():
        head.weight.copy_(head.weight.flip(0))
        head.bias.copy_(head.bias.flip(0))
    rev.classes_ = rev.classes_[::-1]
    return rev


def test_ensemble_averages_member_probabilities(members) -> None:
    test = make_cohort(n_per_class=6, seed=5)
    ens = GeneXNetEnsemble(members)
    assert len(ens) == 2 and ens.classes_ == members[0].classes_
    p = [m.predict_proba(test) for m in members]
    assert not np.allclose(p[0], p[1])  # the seeds differ, so the average means something
    np.testing.assert_allclose(ens.predict_proba(test), (p[0] + p[1]) / 2, rtol=1e-6)
    frame = ens.predict_frame(test)
    assert list(frame.columns) == ["prediction", *ens.classes_]
    assert frame.index.name == "sample" and list(frame.index) == list(test.obs_names)
    np.testing.assert_array_equal(frame["prediction"].to_numpy(), ens.predict(test))
    assert ens.evaluate(test, label_key="project")["accuracy"] >= 0.9


def test_members_with_other_class_order_are_aligned(members) -> None:
    test = make_cohort(n_per_class=6, seed=6)
    rev = _reversed_classes(members[1])
    assert rev.classes_ != members[1].classes_
    np.testing.assert_allclose(
        rev.predict_proba(test)[:, ::-1], members[1].predict_proba(test), rtol=1e-6
    )
    np.testing.assert_allclose(
        GeneXNetEnsemble([members[0], rev]).predict_proba(test),
        GeneXNetEnsemble(members).predict_proba(test),
        rtol=1e-6,
    )


def test_bad_members_are_refused(members) -> None:
    with pytest.raises(ValueError, match="at least one"):
        GeneXNetEnsemble([])
    with pytest.raises(TypeError, match="fitted GeneXNet"):
        GeneXNetEnsemble([members[0], "model.safetensors"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="fitted"):
        GeneXNetEnsemble([members[0], GeneXNet(**FAST)])
    other = GeneXNet(**FAST).fit(
        make_cohort(classes=("TCGA-A", "TCGA-B", "TCGA-D"), seed=2), label_key="project"
    )
    with pytest.raises(ValueError, match="same classes"):
        GeneXNetEnsemble([members[0], other])


def test_cli_predict_and_evaluate_with_several_models(
    members, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [m.save(tmp_path / f"m{i}.safetensors") for i, m in enumerate(members)]
    test = make_cohort(n_per_class=5, seed=7)
    data = write_counts_tsv(test, tmp_path / "new.tsv")
    labels = write_labels_tsv(test, tmp_path / "labels.tsv")
    out = tmp_path / "pred.csv"
    models = [arg for p in paths for arg in ("--model", str(p))]
    main(["genexnet", "predict", *models, str(data), "--out", str(out)])
    got = pd.read_csv(out, index_col=0)
    expected = GeneXNetEnsemble.load(paths).predict_proba(test)
    np.testing.assert_allclose(got[members[0].classes_].to_numpy(), expected, atol=1e-6)
    record = json.loads((tmp_path / "pred.csv.run.json").read_text())
    assert record["config"]["model"] == [str(p) for p in paths]

    capsys.readouterr()
    main(
        [
            *("genexnet", "evaluate", *models, str(data)),
            *("--labels", str(labels), "--label-column", "cohort", "--json"),
        ]
    )
    metrics = json.loads(capsys.readouterr().out)["metrics"]
    assert metrics["accuracy"] >= 0.9

    explain = tmp_path / "explain"
    main(["explain", *models, str(data), "--out", str(explain), "--library", "none"])
    top = pd.read_csv(explain / "top_genes.csv")
    assert set(top["class"]) == set(members[0].classes_)
    record = json.loads((explain / "run.json").read_text())
    assert record["config"]["model"] == [str(p) for p in paths]


def test_ensemble_gene_cam_is_the_mean_of_normalised_member_scores(members) -> None:
    from oncosig.interpret import gene_scores, normalize_scores, rank_genes

    test = make_cohort(n_per_class=6, seed=8)
    ens = GeneXNetEnsemble(members)
    names = ens.predict(test)
    scores = gene_scores(ens, test)
    assert scores.attrs["members"] == 2 and list(scores.index) == list(test.obs_names)
    assert [ens.classes_[i] for i in scores.attrs["targets"]] == list(names)
    per_member = [normalize_scores(gene_scores(m, test, target=names)) for m in members]
    np.testing.assert_allclose(
        scores.to_numpy(), (per_member[0].to_numpy() + per_member[1].to_numpy()) / 2, atol=1e-12
    )
    assert np.nanmax(np.abs(per_member[0].to_numpy()), axis=1).max() == pytest.approx(1.0)
    # an ensemble of one model ranks genes as the model does (same per-sample top genes)
    y = test.obs["project"].to_numpy()
    one = rank_genes(gene_scores(GeneXNetEnsemble(members[:1]), test), y, n_top=5)
    own = rank_genes(gene_scores(members[0], test), y, n_top=5)
    pd.testing.assert_series_equal(one["share"], own["share"])
    assert set(one["gene"]) == set(own["gene"])


def test_ensemble_gene_cam_on_a_named_layer(members) -> None:
    from oncosig.interpret import gene_scores

    test = make_cohort(n_per_class=3, seed=9)
    ens = GeneXNetEnsemble(members)
    named = gene_scores(members[0], test, layer="cam_layer")
    np.testing.assert_allclose(
        named.to_numpy(), gene_scores(members[0], test, layer=members[0].network.cam_layer)
    )
    assert gene_scores(ens, test, layer="cam_layer").shape == named.shape
    with pytest.raises(ValueError, match="name the layer"):
        gene_scores(ens, test, layer=members[0].network.cam_layer)
    with pytest.raises(ValueError, match="no layer 'nope'"):
        gene_scores(members[0], test, layer="nope")


# -- one-file ensembles and training one model per seed --------------------------------------


def test_ensemble_file_round_trip(members, tmp_path: Path) -> None:
    from oncosig._errors import CheckpointError
    from oncosig.genexnet import load_model

    test = make_cohort(n_per_class=5, seed=9)
    ens = GeneXNetEnsemble(members)
    path = ens.save(tmp_path / "ens.safetensors")
    back = load_model(path)
    assert isinstance(back, GeneXNetEnsemble) and len(back) == 2
    np.testing.assert_allclose(back.predict_proba(test), ens.predict_proba(test), atol=1e-6)
    for got, want in zip(back.models, members, strict=True):  # each member kept apart
        np.testing.assert_allclose(got.predict_proba(test), want.predict_proba(test), atol=1e-6)
        assert got.get_params() == want.get_params() and got.genes_ == want.genes_
    # an ensemble file and a single model combine into a 3-member ensemble
    single = members[0].save(tmp_path / "m0.safetensors")
    assert len(GeneXNetEnsemble.load([path, single])) == 3
    assert isinstance(load_model(single), GeneXNet)
    with pytest.raises(CheckpointError, match="ensemble of 2 models"):
        GeneImageClassifier.load(path)
    with pytest.raises(ValueError, match="output exists"):
        ens.save(path)


def test_fit_seed_ensemble_trains_one_member_per_seed(tmp_path: Path, monkeypatch) -> None:
    from oncosig.genexnet import fit_seed_ensemble

    a = make_cohort()
    params = {**FAST, "max_epochs": 3, "seed": 99}  # `seed` is replaced per member
    ens = fit_seed_ensemble(
        a, label_key="project", seeds=[3, 4], checkpoint_dir=tmp_path / "ck", **params
    )
    assert [m.seed for m in ens.models] == [3, 4]
    single = GeneXNet(**{**params, "seed": 4}).fit(a, label_key="project")
    np.testing.assert_allclose(ens.models[1].predict_proba(a), single.predict_proba(a), atol=1e-5)
    assert sorted(p.name for p in (tmp_path / "ck").glob("*.safetensors")) == [
        "seed3.safetensors",
        "seed4.safetensors",
    ]

    # resume reuses finished members without training them again
    def no_fit(*args, **kwargs):
        raise AssertionError("a finished member was trained again")

    monkeypatch.setattr(GeneXNet, "fit", no_fit)
    again = fit_seed_ensemble(
        a, label_key="project", seeds=[3, 4], checkpoint_dir=tmp_path / "ck", resume=True, **params
    )
    np.testing.assert_allclose(again.predict_proba(a), ens.predict_proba(a), atol=1e-6)
    with pytest.raises(ValueError, match="other settings"):
        fit_seed_ensemble(
            a,
            label_key="project",
            seeds=[3],
            checkpoint_dir=tmp_path / "ck",
            resume=True,
            **{**params, "lr": 1e-2},
        )
    with pytest.raises(ValueError, match="differ"):
        fit_seed_ensemble(a, label_key="project", seeds=[1, 1], **params)


def test_cli_train_with_seeds_writes_one_ensemble_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = make_cohort()
    data = write_counts_tsv(a, tmp_path / "train.tsv")
    labels = write_labels_tsv(a, tmp_path / "labels.tsv")
    out = tmp_path / "ens.safetensors"
    base = [
        *("genexnet", "train", str(data), "--labels", str(labels)),
        *("--label-column", "cohort", "--out", str(out), "--max-genes", "64"),
        *("--growth-rate", "4", "--depth", "1", "--epochs", "2", "--accelerator", "cpu"),
    ]
    main([*base, "--seeds", "0-1", "--no-progress"])
    assert "ensemble of 2 models" in capsys.readouterr().out
    assert not (tmp_path / "ens.safetensors.resume").exists()  # checkpoints cleaned up
    record = json.loads((tmp_path / "ens.safetensors.run.json").read_text())
    assert record["config"]["seeds"] == [0, 1] and len(record["training"]) == 2
    pred = tmp_path / "pred.csv"
    main(["genexnet", "predict", "--model", str(out), str(data), "--out", str(pred)])
    from oncosig.genexnet import load_model

    expected = load_model(out).predict_proba(a)
    got = pd.read_csv(pred, index_col=0)
    np.testing.assert_allclose(got.iloc[:, 1:4].to_numpy(dtype=float), expected, atol=1e-6)
    with pytest.raises(SystemExit) as exc:
        main([*base, "--seeds", "2,2", "--overwrite"])
    assert exc.value.code == 2
