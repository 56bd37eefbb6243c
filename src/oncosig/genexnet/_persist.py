"""Saving and loading GeneXNet estimators: one safetensors file, never a pickle."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from oncosig._checkpoint import load_checkpoint, save_checkpoint, split_prefix
from oncosig.genexnet._grid import GeneGrid
from oncosig.genexnet._prep import LogCPMScaler

if TYPE_CHECKING:
    from oncosig.genexnet._estimator import GeneImageClassifier

CHECKPOINT_KIND = "genexnet"


def save_classifier(est: GeneImageClassifier, path: str | Path, *, overwrite: bool) -> Path:
    """Write weights, fitted scaler, grid, genes, classes and settings of ``est``."""
    est._check_fitted()
    assert est.network is not None and est.grid is not None and est.scaler_ is not None
    tensors: dict[str, torch.Tensor | np.ndarray] = {
        f"model.{k}": v for k, v in est.network.state_dict().items()
    }
    tensors.update({f"prep.{k}": v for k, v in est.scaler_.state_dict().items()})
    meta = {
        "kind": CHECKPOINT_KIND,
        "arch": est.arch,
        "network_config": dict(est.network.config),  # type: ignore[arg-type]
        "estimator": est.get_params(),
        "grid": est.grid.to_dict(),
        "classes": list(est.classes_),
        "training": est.training_,
    }
    return save_checkpoint(path, tensors=tensors, meta=meta, overwrite=overwrite)


def load_classifier(path: str | Path) -> GeneImageClassifier:
    """Rebuild the estimator written by :func:`save_classifier` (a ``GeneXNet`` for GeneXNet)."""
    from oncosig.genexnet._estimator import GeneImageClassifier
    from oncosig.models import create_model

    tensors, meta = load_checkpoint(path, kind=CHECKPOINT_KIND)
    params = dict(meta["estimator"])
    arch = params.pop("arch", meta.get("arch", "genexnet"))
    est: GeneImageClassifier
    if arch == "genexnet":
        from oncosig.genexnet._genexnet import GeneXNet

        est = GeneXNet.__new__(GeneXNet)
        GeneImageClassifier.__init__(est, arch, **params)
    else:
        est = GeneImageClassifier(arch, **params)
    net = create_model(arch, **meta["network_config"])
    net.load_state_dict(split_prefix(tensors, "model"), strict=True)
    est.network = net.eval()
    prep = {k: v.numpy() for k, v in split_prefix(tensors, "prep").items()}
    est.scaler_ = LogCPMScaler.from_state(prep)
    est.grid = GeneGrid.from_dict(meta["grid"])
    est.classes_ = [str(c) for c in meta["classes"]]
    est.training_ = dict(meta.get("training", {}))
    return est
