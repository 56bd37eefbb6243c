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
