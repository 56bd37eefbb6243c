"""The GeneXNet estimator: fit, predict, save/load, partial gene coverage, fine-tuning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from genexnet_synth import FAST, make_cohort

from oncosig.genexnet import GeneImageClassifier, GeneXNet


def test_fit_predict_evaluate(fitted_model) -> None:
    model, a = fitted_model
    assert isinstance(model.network, torch.nn.Module)
    assert model.classes_ == ["TCGA-A", "TCGA-B", "TCGA-C"]
    assert model.genes_ == list(a.var_names)
    x = model.prepare(a)
    assert x.shape == (a.n_obs, 1, model.grid.side, model.grid.side)
    proba = model.predict_proba(a)
    np.testing.assert_allclose(proba.sum(1), 1, atol=1e-5)
    test = make_cohort(n_per_class=8, seed=1)
    m = model.evaluate(test, label_key="project")
    assert m["accuracy"] >= 0.9, m
    assert model.history_ and "val_loss" in model.history_[-1]


def test_save_load_identical_predictions(fitted_model, tmp_path: Path) -> None:
    model, a = fitted_model
    path = model.save(tmp_path / "m.safetensors")
    loaded = GeneImageClassifier.load(path)
    assert isinstance(loaded, GeneXNet)
    assert loaded.grid == model.grid and loaded.classes_ == model.classes_
    np.testing.assert_array_equal(loaded.predict_proba(a), model.predict_proba(a))
    with pytest.raises(ValueError, match="exists"):
        model.save(path)


def test_partial_gene_coverage_is_imputed(fitted_model) -> None:
    model, _ = fitted_model
    test = make_cohort(n_per_class=8, seed=2)
    keep = [g for i, g in enumerate(test.var_names) if i < 45 or i % 3 == 0]  # class blocks kept
    sub = test[:, keep].copy()
    x = model.prepare(sub)
    flat = model.grid.from_image(x.numpy())
    missing = [i for i, g in enumerate(model.genes_) if g not in set(keep)]
    assert (flat[:, missing] == 0).all()  # training mean after scaling
    assert model.evaluate(sub, label_key="project")["accuracy"] >= 0.8


def test_finetune_new_head_and_frozen_backbone(fitted_model) -> None:
    model, _ = fitted_model
    target = make_cohort(n_per_class=12, classes=("normal", "tumor"), seed=3)
    ft = model.copy()
    before = {k: v.clone() for k, v in ft.network.features.state_dict().items()}
    ft.finetune(target, label_key="project", freeze_epochs=3, max_epochs=0)
    assert ft.classes_ == ["normal", "tumor"] and ft.network.head.out_features == 2
    after = ft.network.features.state_dict()
    for k, v in before.items():  # weights and BatchNorm statistics untouched while frozen
        assert torch.equal(v, after[k]), k
    assert all(p.requires_grad for p in ft.network.parameters())
    ft.finetune(target, label_key="project", freeze_epochs=2, max_epochs=10)
    assert any(not torch.equal(v, ft.network.features.state_dict()[k]) for k, v in before.items())
    assert ft.evaluate(target, label_key="project")["accuracy"] >= 0.8
    assert model.classes_ == ["TCGA-A", "TCGA-B", "TCGA-C"]  # the original is unchanged


def test_cnn_baseline_through_the_same_estimator(cohort) -> None:
    est = GeneImageClassifier(
        "mobilenetv2",
        net_params={"width": 0.35, "stem_stride": 1},
        **{
            k: v
            for k, v in FAST.items()
            if k not in ("growth_rate", "theta_d", "theta_r", "depth", "stem_stride")
        }
        | {"max_epochs": 2},
    )
    est.fit(cohort, label_key="project")
    assert est.predict_proba(cohort).shape == (cohort.n_obs, 3)


def test_bad_labels_are_refused(cohort) -> None:
    with pytest.raises(ValueError, match="obs has no column"):
        GeneXNet(**FAST).fit(cohort, label_key="nope")
    with pytest.raises(ValueError, match="two classes"):
        GeneXNet(**FAST).fit(cohort, np.repeat("x", cohort.n_obs))


def test_gene_embedding_estimator_round_trip(cohort, tmp_path: Path) -> None:
    model = GeneXNet(**{**FAST, "gene_embedding": 3}).fit(cohort, label_key="project")
    assert model.network.config["grid_side"] == model.grid.side
    loaded = GeneImageClassifier.load(model.save(tmp_path / "emb.safetensors"))
    np.testing.assert_array_equal(loaded.predict_proba(cohort), model.predict_proba(cohort))


def test_coexpression_layout_estimator_round_trip(cohort, tmp_path: Path) -> None:
    """The layout is fitted on the training samples and saved: a reload predicts the same."""
    model = GeneXNet(**{**FAST, "gene_order": "coexpression"}).fit(cohort, label_key="project")
    assert model.grid.ordering == "coexpression"
    genomic = GeneXNet(**FAST).fit(cohort, label_key="project")
    assert not np.array_equal(model.grid.order, genomic.grid.order)
    loaded = GeneImageClassifier.load(model.save(tmp_path / "coexpr.safetensors"))
    assert loaded.grid == model.grid and loaded.gene_order == "coexpression"
    np.testing.assert_array_equal(loaded.predict_proba(cohort), model.predict_proba(cohort))
