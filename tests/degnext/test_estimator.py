"""Scaling, metrics, training, save/load of the DEGnext estimator (tiny synthetic data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from oncosig._errors import CheckpointError
from oncosig.degnext import DEGnext, classification_metrics, fit_size_factors, scale_rows
from oncosig.degnext._lightning import DEGnextModule
from oncosig.io import read_degnext
from oncosig.models.networks._degnext import DEGnextNet

FAST = {"widths": [4, 8, 8, 8, 8, 16, 16, 16], "hidden": [16, 8]}


def _model(**kw: object) -> DEGnext:
    base = dict(
        arch="degnext_fast",
        net_kwargs=FAST,
        max_epochs=3,
        finetune_epochs=3,
        lr=3e-3,
        progress=False,
        batch_size=32,
        finetune_batch_size=32,
    )
    base.update(kw)
    return DEGnext(**base)  # type: ignore[arg-type]


def test_scaling_centres_rows_and_keeps_fold_changes(rng: np.random.Generator) -> None:
    counts = rng.poisson(50, size=(20, 12)).astype(float)
    counts[0, 6:] *= 4  # 2 log2 units up in the "tumours"
    x = scale_rows(counts, fit_size_factors(counts))
    assert x.dtype == np.float32 and np.allclose(x.mean(axis=1), 0, atol=1e-5)
    assert 1.5 < x[0, 6:].mean() - x[0, :6].mean() < 2.5


def test_scaling_has_no_test_leakage(rng: np.random.Generator) -> None:
    train = rng.poisson(40, size=(30, 10)).astype(float)
    test_a = rng.poisson(40, size=(5, 10)).astype(float)
    test_b = test_a * 1000 + 7  # wildly different test genes
    sf = fit_size_factors(train)
    # size factors come from training genes only; a test row's scaling never involves other rows
    both_a = scale_rows(np.vstack([train, test_a]), sf)
    both_b = scale_rows(np.vstack([train, test_b]), sf)
    assert np.array_equal(both_a[:30], both_b[:30])
    assert np.array_equal(scale_rows(test_a[:1], sf)[0], both_a[30])


def test_estimator_fits_size_factors_on_training_genes_only(synth_dir: Path) -> None:
    ad = read_degnext(synth_dir / "train", cohort="TCGA-CHOL")
    m = _model(max_epochs=1, finetune_epochs=1).fit(ad, splits=["T1"])
    t1 = ad[ad.obs["split"] == "T1"]
    assert np.allclose(
        m.size_factors["TCGA-CHOL"], fit_size_factors(np.asarray(t1.layers["counts"], float))
    )
    p1 = m.predict_proba(ad, splits=["T1"])
    ad2 = ad.copy()
    t3 = (ad2.obs["split"] == "T3").to_numpy()
    ad2.layers["counts"][t3] = ad2.layers["counts"][t3] * 50  # change test genes only
    assert np.allclose(m.predict_proba(ad2, splits=["T1"]), p1)


def test_metrics_over_all_genes() -> None:
    y = np.array([0, 0, 1, 1, 1, 0])
    pred = np.array([0, 1, 1, 1, 0, 0])
    m = classification_metrics(y, pred, np.array([0.1, 0.6, 0.9, 0.8, 0.4, 0.2]))
    assert m["accuracy"] == pytest.approx(4 / 6) and m["n_genes"] == 6
    assert m["confusion"] == [[2, 1], [1, 2]]
    assert m["roc_auc"] == pytest.approx(8 / 9)
    m3 = classification_metrics(np.array([0, 1, 2]), np.array([0, 1, 2]), np.eye(3))
    assert m3["accuracy"] == 1 and m3["mcc"] == pytest.approx(1) and m3["roc_auc"] == 1


def test_loss_falls_on_a_small_batch() -> None:
    torch.manual_seed(0)
    x = torch.randn(64, 40)
    y = (x[:, 20:].mean(1) > x[:, :20].mean(1)).long()
    x[:, 20:] += (2 * y[:, None] - 1).float()  # tumour half shifted up (UR) or down (DR)
    module = DEGnextModule(DEGnextNet(num_classes=3, **FAST), lr=3e-3)
    opt = module.configure_optimizers()
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = module._loss(module(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_two_levels_save_load_round_trip(synth_dir: Path, tmp_path: Path) -> None:
    ad = read_degnext(synth_dir / "train", cohort="TCGA-CHOL")
    m = _model().fit(ad, splits=["T1"]).finetune(ad, splits=["F1"])
    assert m.is_finetuned
    p = m.predict_proba(ad, splits=["T3"])
    assert p.shape == (32, 2) and np.allclose(p.sum(1), 1)
    p3 = m.predict_proba(ad, splits=["T2"], task="ternary")
    assert p3.shape == (48, 3) and np.allclose(p3.sum(1), 1, atol=1e-5)
    ev = m.evaluate(ad, splits=["T3"])
    assert set(ev) >= {"accuracy", "precision", "recall", "f1", "mcc", "roc_auc", "n_genes"}
    path = m.save(tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match="overwrite"):
        m.save(path)
    m2 = DEGnext.load(path)
    assert np.array_equal(m2.predict_proba(ad, splits=["T3"]), p)
    assert np.array_equal(
        m2.predict(ad, splits=["T2"], task="ternary"), m.predict(ad, splits=["T2"], task="ternary")
    )
    torch.save({"x": 1}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError):
        DEGnext.load(tmp_path / "evil.pt")


def test_finetune_requires_level_one(synth_dir: Path) -> None:
    ad = read_degnext(synth_dir / "train", cohort="TCGA-CHOL")
    with pytest.raises(ValueError, match="fit"):
        _model().finetune(ad)


@pytest.mark.slow
def test_learns_synthetic_up_and_down_genes(synth_dir: Path) -> None:
    ad = read_degnext(synth_dir / "train", cohort="TCGA-CHOL")
    m = _model(max_epochs=15, finetune_epochs=15).fit(ad, splits=["T1"]).finetune(ad, splits=["F1"])
    assert m.evaluate(ad, splits=["T3"])["accuracy"] >= 0.8


def test_epoch_timers_report_wall_and_cpu(rng: np.random.Generator) -> None:
    from oncosig.degnext._data import GeneRows
    from oncosig.degnext._timing import time_epoch, time_plain_epoch

    rows = GeneRows(
        x=rng.normal(size=(96, 30)).astype(np.float32),
        y=np.resize([0, 1, 2], 96),
        cohort="TCGA-CHOL",
        genes=np.arange(96).astype(str),
    )
    kw = {"net_kwargs": FAST, "batch_size": 32, "epochs": 2, "num_threads": 1}
    before = torch.get_num_threads()
    t = time_epoch(rows, **kw)  # type: ignore[arg-type]
    p = time_plain_epoch(rows, **kw)  # type: ignore[arg-type]
    assert torch.get_num_threads() == before
    for r in (t, p):
        assert r["n_epochs"] == 2 and r["epoch_s"] > 0 and r["epoch_cpu_s"] > 0
        assert r["threads"] == 1
    assert t["setup_s"] >= 0


def test_row_quantiles_option_round_trip(synth_dir: Path, tmp_path: Path) -> None:
    """row_quantiles is used for training and scoring and survives save/load."""
    ad = read_degnext(synth_dir / "train", cohort="TCGA-CHOL")
    with pytest.raises(ValueError, match="row_quantiles"):
        _model(row_quantiles=1)
    m = _model(row_quantiles=8).fit(ad, splits=["T1"]).finetune(ad, splits=["F1"])
    p = m.predict_proba(ad, splits=["T3"])
    loaded = DEGnext.load(m.save(tmp_path / "q.safetensors"))
    assert loaded.config["row_quantiles"] == 8
    np.testing.assert_allclose(loaded.predict_proba(ad, splits=["T3"]), p, atol=1e-6)
    # a checkpoint without the option keeps the sample-level rows
    plain = DEGnext.load(_model().fit(ad, splits=["T1"]).save(tmp_path / "p.safetensors"))
    assert plain.config["row_quantiles"] is None
