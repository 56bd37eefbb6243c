from __future__ import annotations

import types

import numpy as np
import pytest
import torch
from captum.attr import LayerAttribution, LayerGradCam
from interpret_standins import Estimator, TinyNet, make_adata, train

from oncosig.interpret import (
    common_genes,
    gene_cam,
    gene_inputs,
    gene_scores,
    pixels_to_genes,
    rank_genes,
    record_layer,
)


@pytest.fixture(scope="module")
def fitted() -> tuple[Estimator, object]:
    torch.manual_seed(0)
    adata = make_adata()
    est = Estimator(TinyNet(), list(adata.var_names), ["A", "B", "C"])
    return train(est, adata), adata


@pytest.mark.parametrize("target", [None, 0, 2])
def test_gene_cam_matches_captum_layer_gradcam(target: int | None) -> None:
    torch.manual_seed(1)
    net = TinyNet(num_classes=3).eval()
    x = torch.randn(5, 1, 7, 7)
    ours = gene_cam(net, x, target=target, batch_size=2)
    tgt = net(x).argmax(1) if target is None else target
    ref = LayerGradCam(net, net.cam_layer).attribute(x, target=tgt, relu_attributions=True)
    ref = LayerAttribution.interpolate(ref, (7, 7), interpolate_mode="bilinear")
    assert ours.shape == (5, 7, 7)
    assert ref.abs().max() > 0
    np.testing.assert_allclose(ours, ref[:, 0].detach().double().numpy(), atol=1e-5, rtol=0)


def test_gene_cam_per_sample_targets_and_no_relu() -> None:
    torch.manual_seed(2)
    net = TinyNet().eval()
    x = torch.randn(4, 1, 6, 6)
    t = np.array([0, 1, 2, 1])
    ours = gene_cam(net, x, target=t, relu=False)
    ref = LayerGradCam(net, net.cam_layer).attribute(x, target=torch.as_tensor(t))
    ref = LayerAttribution.interpolate(ref, (6, 6), interpolate_mode="bilinear")
    np.testing.assert_allclose(ours, ref[:, 0].detach().double().numpy(), atol=1e-5, rtol=0)
    assert (ours < 0).any()


def test_gene_cam_restores_training_mode_and_leaves_no_hook() -> None:
    net = TinyNet().train()
    gene_cam(net, torch.randn(2, 1, 6, 6))
    assert net.training
    assert not net.cam_layer._forward_hooks


def test_hook_released_after_exception() -> None:
    net = TinyNet()
    with pytest.raises(RuntimeError, match="boom"), record_layer(net.cam_layer) as rec:
        net(torch.randn(1, 1, 6, 6))
        assert len(rec.outputs) == 1
        assert len(net.cam_layer._forward_hooks) == 1
        raise RuntimeError("boom")
    assert not net.cam_layer._forward_hooks
    # an error inside gene_cam (bad target) also releases it
    with pytest.raises(ValueError, match="target"):
        gene_cam(net, torch.randn(2, 1, 6, 6), target=7)
    assert not net.cam_layer._forward_hooks


def test_gene_cam_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="images"):
        gene_cam(TinyNet(), torch.randn(2, 36))
    with pytest.raises(ValueError, match="cam_layer"):
        gene_cam(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 1)), torch.randn(1, 1, 3, 3))


def test_pixels_to_genes_averages_and_drops_padding() -> None:
    pixel_genes = np.array([1, 0, 1, -1])  # gene 1 owns two pixels; last is padding
    maps = np.array([[[1.0, 2.0], [3.0, 100.0]]])
    out = pixels_to_genes(maps, pixel_genes, 3)
    np.testing.assert_allclose(out[0, :2], [2.0, 2.0])
    assert np.isnan(out[0, 2])  # a gene without pixels
    with pytest.raises(ValueError, match="pixels"):
        pixels_to_genes(maps, np.array([0, 1]), 2)


def test_gene_scores_rank_genes_find_planted_genes(fitted: tuple[Estimator, object]) -> None:
    est, adata = fitted
    pred = est.predict(adata)
    assert (pred == adata.obs["project"].to_numpy()).mean() > 0.9
    scores = gene_scores(est, adata)
    assert scores.shape == (adata.n_obs, adata.n_vars)
    assert list(scores.index) == list(adata.obs_names)
    assert (scores.to_numpy() >= 0).all()
    ranking = rank_genes(scores, adata.obs["project"], predictions=pred, n_top=5)
    assert set(ranking["class"]) == {"A", "B", "C"}
    assert ranking.groupby("class").size().eq(5).all()
    assert ranking["share"].between(0, 1).all()
    # the top gene of every class is named by at least one sample
    assert (ranking[ranking["rank"] == 1]["share"] > 0).all()
    common = common_genes(ranking, min_classes=2)
    assert list(common.columns) == ["gene", "n_classes", "classes"]
    assert (common["n_classes"] >= 2).all()


def test_gene_inputs_are_the_network_inputs_by_gene(fitted: tuple[Estimator, object]) -> None:
    """Pixels mapped back to genes give the standardized values the estimator prepared."""
    est, adata = fitted
    inputs = gene_inputs(est, adata)
    assert list(inputs.columns) == list(adata.var_names)  # the grid's genes, not pixel order
    x = np.log1p(np.asarray(adata.X, dtype=float))  # the stand-in's own preparation
    z = (x - x.mean(0)) / (x.std(0) + 1e-6)
    np.testing.assert_allclose(inputs.to_numpy(), z, rtol=1e-4, atol=1e-4)
    # class A over-expresses genes 0-4: above the average there, below it for class B
    is_a = (adata.obs["project"] == "A").to_numpy()
    is_b = (adata.obs["project"] == "B").to_numpy()
    assert (inputs.iloc[is_a, :5].mean() > 0.5).all()
    assert (inputs.iloc[is_b, :5].mean() < 0).all()

    pair = types.SimpleNamespace(models=[est, est])  # an ensemble of one model twice
    np.testing.assert_allclose(gene_inputs(pair, adata).to_numpy(), inputs.to_numpy())


def test_gene_scores_class_name_target(fitted: tuple[Estimator, object]) -> None:
    est, adata = fitted
    a = gene_scores(est, adata, target="B")
    b = gene_scores(est, adata, target=1)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy())
    assert a.attrs["targets"] == [1] * adata.n_obs
    with pytest.raises(ValueError, match="unknown class"):
        gene_scores(est, adata, target="Z")


def test_rank_genes_share_counts_correct_samples_only() -> None:
    import pandas as pd

    scores = pd.DataFrame(
        [[3, 2, 1], [3, 1, 2], [1, 2, 3]], columns=["g1", "g2", "g3"], index=["a", "b", "c"]
    )
    r = rank_genes(scores, ["X", "X", "X"], predictions=["X", "X", "Y"], n_top=1)
    assert r.iloc[0].to_dict() == {
        "class": "X",
        "rank": 1,
        "gene": "g1",
        "share": 1.0,
        "mean_score": 3.0,
        "n_samples": 2,
    }


def test_gene_cam_matches_captum_on_the_genexnet_network() -> None:
    try:
        from oncosig.models import create_model

        net = create_model(
            "genexnet", num_classes=4, growth_rate=4, theta_d=0.25, theta_r=0.25, depth=2
        )
    except (ImportError, ValueError) as exc:  # pragma: no cover - before GeneXNet lands
        pytest.skip(f"GeneXNet network unavailable: {exc}")
    torch.manual_seed(3)
    net.eval()
    x = torch.randn(3, 1, 16, 16)
    ours = gene_cam(net, x, target=2)
    ref = LayerGradCam(net, net.cam_layer).attribute(x, target=2, relu_attributions=True)
    ref = LayerAttribution.interpolate(ref, (16, 16), interpolate_mode="bilinear")
    np.testing.assert_allclose(ours, ref[:, 0].detach().double().numpy(), atol=1e-5, rtol=0)
    assert not net.cam_layer._forward_hooks
