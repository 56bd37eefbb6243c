"""Transfer learning of a fitted gene-image classifier: new head, frozen then unfrozen."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from oncosig._errors import OncosigInputError
from oncosig._repro import seed_everything
from oncosig._resume import SUFFIX, fingerprint
from oncosig.genexnet._data import Data, aligned_counts, obs_view, participants, resolve_labels
from oncosig.genexnet._prep import GeneImageTransform
from oncosig.genexnet._review import class_centroids
from oncosig.stream import ExpressionStore, as_source, is_on_disk

if TYPE_CHECKING:
    from oncosig.genexnet._estimator import GeneImageClassifier


def classifier_head(net: nn.Module) -> nn.Module:
    """The head module of a registered network (for freezing everything else)."""
    if hasattr(net, "get_classifier"):
        return net.get_classifier()  # type: ignore[no-any-return,operator]
    for name in ("head", "classifier", "fc"):
        m = getattr(net, name, None)
        if isinstance(m, nn.Module):
            return m
    raise TypeError(f"{type(net).__name__} exposes no classifier module to fine-tune")


def weights_fingerprint(net: nn.Module) -> str:
    """SHA-256 of a network's parameter and buffer values (names included)."""
    h = hashlib.sha256()
    for name, value in net.state_dict().items():
        h.update(name.encode("utf-8"))
        h.update(value.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def finetune_classifier(
    est: GeneImageClassifier,
    adata: Data,
    y: Sequence[object] | np.ndarray | pd.Series | None = None,
    *,
    label_key: str | None = None,
    group_key: str | None = "participant",
    freeze_epochs: int = 10,
    max_epochs: int | None = None,
    lr: float | None = None,
    head_lr: float | None = None,
    refit_scaler: bool = False,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
) -> None:
    """Fine-tune ``est`` in place (see :meth:`GeneImageClassifier.finetune`)."""
    est._check_fitted()
    assert est.network is not None and est.grid is not None and est.scaler_ is not None
    # the starting weights are part of a resumable run's identity (hashed only when resumable)
    start = "" if checkpoint_dir is None else weights_fingerprint(est.network)
    obs = obs_view(adata)
    labels = resolve_labels(obs, y, label_key)
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError("need at least two classes to fine-tune")
    seed_everything(est.seed)
    transform: GeneImageTransform | None = None
    images: torch.Tensor | ExpressionStore
    if is_on_disk(adata):
        store = as_source(adata)
        assert isinstance(store, ExpressionStore)
        columns = est._store_columns(store)
        if refit_scaler:
            if (columns < 0).any():
                raise OncosigInputError(
                    "refit_scaler needs every model gene in the on-disk data; align the "
                    "genes (oncosig.genes.align_genes) before writing the store"
                )
            est.scaler_ = est._new_scaler().fit_streaming(store, columns=columns)
        images, transform = store, GeneImageTransform(columns, est.scaler_, est.grid)
    else:
        counts = aligned_counts(obs, est.grid.genes)
        if refit_scaler:
            est.scaler_ = est._new_scaler().fit(counts)
        images = torch.from_numpy(est.grid.to_image(est.scaler_.transform(counts)))
    if classes != est.classes_:
        est.network.reset_classifier(len(classes))  # type: ignore[operator]
        est.classes_ = classes
    y_int = est._encode(labels)
    groups = participants(obs, group_key)
    lr = est.lr if lr is None else lr
    head_lr = 10 * lr if head_lr is None else head_lr
    phases: dict[str, Any] = {}
    setting: dict[str, Any] = {"freeze_epochs": freeze_epochs, "max_epochs": max_epochs, "lr": lr}
    setting |= {"head_lr": head_lr, "refit_scaler": refit_scaler, "start": start}

    def resumable(phase: str) -> dict[str, Any]:
        if checkpoint_dir is None:
            return {}
        phase_id = f"{phase}/{fingerprint(setting)}"
        run_id = est._run_id(phase_id, obs.obs_names, est.grid.genes, y_int)  # type: ignore[union-attr]
        return {
            "checkpoint": Path(checkpoint_dir) / f"{phase}{SUFFIX}",
            "resume": resume,
            "run_id": run_id,
        }

    if freeze_epochs > 0:
        head = classifier_head(est.network)
        frozen = [m for m in est.network.children() if m is not head]
        for m in frozen:
            m.requires_grad_(False)
        try:
            phases["frozen"] = est._train(
                images,
                y_int,
                groups,
                transform=transform,
                lr=head_lr,
                max_epochs=freeze_epochs,
                frozen=frozen,
                **resumable("finetune-frozen"),
            )
        finally:
            est.network.requires_grad_(True)
    epochs = est.max_epochs if max_epochs is None else max_epochs
    if epochs > 0:
        phases["unfrozen"] = est._train(
            images,
            y_int,
            groups,
            transform=transform,
            lr=lr,
            max_epochs=epochs,
            **resumable("finetune"),
        )
    est.training_ = {**est.training_, "finetune": phases, "n_finetune": int(obs.n_obs)}
    # the classes' mean profiles, now of the fine-tuning cohort (classes may have changed)
    est.centroids_ = class_centroids(images, y_int, len(classes), est.grid, transform=transform)
