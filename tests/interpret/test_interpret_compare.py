from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from interpret_standins import Estimator, TinyNet, make_adata, train

from oncosig.interpret import (
    attribution_maps,
    gene_scores,
    method_agreement,
    rank_agreement,
    rank_genes,
    ranking_overlap,
    top_k_jaccard,
)


def test_captum_maps_have_input_shape() -> None:
    torch.manual_seed(0)
    net = TinyNet().eval()
    x = torch.randn(3, 1, 6, 6)
    for method in ("integrated_gradients", "saliency", "gradcam"):
        m = attribution_maps(net, x, method=method, target=1, n_steps=8)
        assert m.shape == (3, 6, 6)
        assert np.isfinite(m).all()
    with pytest.raises(ValueError, match="unknown method"):
        attribution_maps(net, x, method="lime")  # type: ignore[arg-type]


def test_integrated_gradients_completeness() -> None:
    # IG attributions sum to f(x) - f(baseline) for the target logit
    torch.manual_seed(0)
    net = TinyNet().eval()
    x = torch.randn(2, 1, 6, 6)
    m = attribution_maps(net, x, method="integrated_gradients", target=0, n_steps=200)
    with torch.no_grad():
        delta = (net(x)[:, 0] - net(torch.zeros_like(x))[:, 0]).numpy()
    np.testing.assert_allclose(m.sum(axis=(1, 2)), delta, rtol=0.05, atol=1e-3)


def test_agreement_metrics() -> None:
    a = pd.DataFrame([[1, 2, 3, 4], [4, 3, 2, 1]], index=["s1", "s2"], columns=list("abcd"))
    assert rank_agreement(a, a, k=2)[["spearman", "jaccard"]].to_numpy().tolist() == [
        [1.0, 1.0],
        [1.0, 1.0],
    ]
    b = -a
    agg = rank_agreement(a, b, k=2)
    np.testing.assert_allclose(agg["spearman"], [-1.0, -1.0])
    np.testing.assert_allclose(agg["jaccard"], [0.0, 0.0])
    np.testing.assert_allclose(
        top_k_jaccard(np.array([1, 2, 3.0]), np.array([3, 2, 1.0]), 2), [1 / 3]
    )
    table = method_agreement({"x": a, "y": a, "z": b}, k=2)
    assert table.shape == (3, 5)
    assert table.loc[(table.a == "x") & (table.b == "y"), "spearman"].item() == 1.0


def test_methods_and_seeds_agree_on_planted_signal() -> None:
    adata = make_adata(n_per_class=8, n_genes=25)
    rankings = []
    per_method = {}
    for seed in (0, 1):
        torch.manual_seed(seed)
        est = train(Estimator(TinyNet(), list(adata.var_names), ["A", "B", "C"]), adata, seed=seed)
        s = gene_scores(est, adata)
        rankings.append(
            rank_genes(s, adata.obs["project"], predictions=est.predict(adata), n_top=5)
        )
        if seed == 0:
            per_method["gradcam"] = s
            per_method["ig"] = gene_scores(est, adata, method="integrated_gradients", n_steps=16)
            per_method["saliency"] = gene_scores(est, adata, method="saliency")
    agree = method_agreement(per_method, k=5)
    assert agree["spearman"].between(-1, 1).all()
    overlap = ranking_overlap(rankings, k=5)
    assert set(overlap["class"]) <= {"A", "B", "C"}
    assert overlap["jaccard_mean"].between(0, 1).all()
    with pytest.raises(ValueError, match="two"):
        ranking_overlap(rankings[:1])
