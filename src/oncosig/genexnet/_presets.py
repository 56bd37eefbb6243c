"""Named GeneXNet configurations (keyword arguments of :class:`~oncosig.genexnet.GeneXNet`)."""

from __future__ import annotations

from typing import Any

# Compact model for 2 CPU cores (demo, shipped model): the 1,024 most variable genes
# (32 x 32 grid), a per-pixel gene embedding (16 channels; our addition, see
# GeneXNetNetwork), ImageNet-style stem (8 x 8 maps after it), two GeneXNet blocks with a
# quarter of the dense layers and residual units, θk = 8 (~0.2 GFLOP per batch of 32).
_COMPACT: dict[str, Any] = {
    "max_genes": 1024,
    "growth_rate": 8,
    "theta_d": 0.25,
    "theta_r": 0.25,
    "depth": 2,
    "stem_stride": 4,
    "gene_embedding": 16,
    "lr": 3e-3,
    "batch_size": 32,
    "max_epochs": 60,
    "patience": 10,
    "lr_patience": 4,
}

PRESETS: dict[str, dict[str, Any]] = {
    "compact": _COMPACT,
    # As `compact` on the 4,096 most variable genes (64 x 64 grid): ~2.5x the training time,
    # the best accuracy measured on the 7-cohort benchmark (BENCHMARKS.md).
    "standard": {**_COMPACT, "max_genes": 4096},
    # As `standard` with rank-based inverse normal scores per sample instead of log-CPM
    # before the per-gene z-score: immune to library size and composition (it fixes a
    # 7-cohort sample that 9 of 10 log-CPM seeds miss for that reason) at the same mean
    # accuracy on the 7-cohort benchmark (BENCHMARKS.md, seed study).
    "standard-rank": {**_COMPACT, "max_genes": 4096, "normalization": "rank"},
    # The same network exactly as published (no gene embedding), the session-1 default.
    "compact-published": {
        "max_genes": 1024,
        "growth_rate": 8,
        "theta_d": 0.25,
        "theta_r": 0.25,
        "depth": 2,
        "stem_stride": 4,
        "lr": 1e-3,
        "batch_size": 32,
        "max_epochs": 30,
        "patience": 6,
        "lr_patience": 3,
    },
    # The paper's setting: every detected gene, full blocks, θk = 32, lr 1e-4 (needs a GPU).
    "paper": {
        "growth_rate": 32,
        "theta_d": 1.0,
        "theta_r": 1.0,
        "depth": 4,
        "stem_stride": 4,
        "lr": 1e-4,
        "batch_size": 32,
        "max_epochs": 100,
        "patience": 10,
        "lr_patience": 3,
    },
}


def preset(name: str, **overrides: Any) -> dict[str, Any]:
    """A copy of the named configuration with ``overrides`` applied."""
    if name not in PRESETS:
        raise ValueError(f"unknown GeneXNet preset '{name}'; choose one of {sorted(PRESETS)}")
    return {**PRESETS[name], **overrides}
