"""Saving and loading GeneXNet estimators: one safetensors file, never a pickle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from oncosig._checkpoint import load_checkpoint, save_checkpoint, split_prefix
from oncosig._errors import CheckpointError
from oncosig.genexnet._grid import GeneGrid
from oncosig.genexnet._prep import LogCPMScaler

if TYPE_CHECKING:
    from oncosig.genexnet._estimator import GeneImageClassifier

CHECKPOINT_KIND = "genexnet"
ENSEMBLE_KIND = "genexnet-ensemble"


def classifier_parts(
    est: GeneImageClassifier,
) -> tuple[dict[str, torch.Tensor | np.ndarray], dict[str, Any]]:
    """Tensors (``model.*`` weights, ``prep.*`` scaler) and metadata of a fitted ``est``."""
    est._check_fitted()
    assert est.network is not None and est.grid is not None and est.scaler_ is not None
    tensors: dict[str, torch.Tensor | np.ndarray] = {
        f"model.{k}": v for k, v in est.network.state_dict().items()
    }
    tensors.update({f"prep.{k}": v for k, v in est.scaler_.state_dict().items()})
    if est.centroids_ is not None:  # the classes' mean training profiles (review flags)
        tensors["stats.centroids"] = np.asarray(est.centroids_, dtype=np.float32)
    meta = {
        "kind": CHECKPOINT_KIND,
        "arch": est.arch,
        "network_config": dict(est.network.config),  # type: ignore[arg-type]
        "estimator": est.get_params(),
        "grid": est.grid.to_dict(),
        "classes": list(est.classes_),
        "training": est.training_,
    }
    return tensors, meta


def classifier_from_parts(
    tensors: Mapping[str, torch.Tensor], meta: Mapping[str, Any]
) -> GeneImageClassifier:
    """Rebuild the estimator described by :func:`classifier_parts` output."""
    from oncosig.genexnet._estimator import GeneImageClassifier
    from oncosig.models import create_model

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
    centroids = split_prefix(tensors, "stats").get("centroids")  # absent in older files
    if centroids is not None:
        if tuple(centroids.shape) != (len(est.classes_), est.grid.n_genes):
            raise CheckpointError(
                f"class centroids of shape {tuple(centroids.shape)} do not match "
                f"{len(est.classes_)} classes x {est.grid.n_genes} genes; the file is damaged"
            )
        est.centroids_ = centroids.numpy().astype(np.float64)
    return est


def save_classifier(est: GeneImageClassifier, path: str | Path, *, overwrite: bool) -> Path:
    """Write weights, fitted scaler, grid, genes, classes and settings of ``est``."""
    tensors, meta = classifier_parts(est)
    return save_checkpoint(path, tensors=tensors, meta=meta, overwrite=overwrite)


def save_ensemble(
    members: Sequence[GeneImageClassifier], path: str | Path, *, overwrite: bool
) -> Path:
    """Write every member of a seed ensemble to one file (member ``i`` under ``m{i}.``)."""
    tensors: dict[str, torch.Tensor | np.ndarray] = {}
    metas = []
    for i, est in enumerate(members):
        t, m = classifier_parts(est)
        tensors.update({f"m{i}.{k}": v for k, v in t.items()})
        metas.append(m)
    meta = {"kind": ENSEMBLE_KIND, "members": metas}
    return save_checkpoint(path, tensors=tensors, meta=meta, overwrite=overwrite)


def load_any(path: str | Path) -> GeneImageClassifier | list[GeneImageClassifier]:
    """The estimator in a single-model checkpoint, or the members of an ensemble file."""
    tensors, meta = load_checkpoint(path, kind=(CHECKPOINT_KIND, ENSEMBLE_KIND))
    if meta["kind"] == CHECKPOINT_KIND:
        return classifier_from_parts(tensors, meta)
    members = meta.get("members")
    if not isinstance(members, list) or not members:
        raise CheckpointError("ensemble checkpoint lists no members", path=Path(path))
    return [classifier_from_parts(split_prefix(tensors, f"m{i}"), m) for i, m in enumerate(members)]


def load_classifier(path: str | Path) -> GeneImageClassifier:
    """Rebuild the estimator written by :func:`save_classifier` (a ``GeneXNet`` for GeneXNet)."""
    model = load_any(path)
    if isinstance(model, list):
        raise CheckpointError(
            f"this file holds an ensemble of {len(model)} models, not a single model: use it "
            "to predict, evaluate or explain (Python: oncosig.genexnet.load_model); fine-tuning "
            "takes one model",
            path=Path(path),
        )
    return model
