"""Every variant of ``benchmarks/genexnet_ablations.py`` is a valid GeneXNet configuration.

A variant with a misspelt or out-of-range option would otherwise fail only after the
benchmark has spent CPU hours on the variants before it.
"""

from __future__ import annotations

import pytest
import torch
from bench_import import benchmark_module

from oncosig.genexnet import GeneXNet, preset
from oncosig.models import create_model


def _variants() -> dict[str, tuple[str, dict]]:
    return benchmark_module("genexnet_ablations").VARIANTS


VARIANTS = _variants()


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_builds_and_runs(name: str) -> None:
    description, overrides = VARIANTS[name]
    assert description
    model = GeneXNet(**preset("standard", accelerator="cpu", **overrides))
    settings = {**model.get_params(), **model.net_params}
    for key, value in overrides.items():  # each override reaches the estimator or network
        assert settings.get(key, 0) == value, key  # a left-out option is off (gene_embedding=0)
    params = {**model.net_params, "grid_side": 8}
    net = create_model("genexnet", num_classes=3, in_chans=1, **params)
    out = net(torch.randn(2, 1, 8, 8))
    assert out.shape == (2, 3)
    assert torch.isfinite(out).all()
