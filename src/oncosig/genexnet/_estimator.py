"""Estimators: gene image -> registered network, with fit / predict / save / load / finetune."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from anndata import AnnData
from torch import nn

from oncosig._repro import seed_everything
from oncosig._resume import SUFFIX, data_fingerprint, fingerprint
from oncosig.genexnet._data import (
    Data,
    aligned_counts,
    counts_matrix,
    obs_view,
    participants,
    resolve_labels,
)
from oncosig.genexnet._finetune import finetune_classifier
from oncosig.genexnet._grid import GeneGrid, check_gene_order
from oncosig.genexnet._lightning import GeneImageClassifierModule, GeneImageDataModule, fit_module
from oncosig.genexnet._persist import CHECKPOINT_KIND, load_classifier, save_classifier
from oncosig.genexnet._predictor import ProbaClassifier
from oncosig.genexnet._prep import (
    GeneImageTransform,
    LogCPMScaler,
    check_method,
    select_genes,
)
from oncosig.genexnet._review import centroid_correlations, class_centroids
from oncosig.genexnet._splits import holdout_split
from oncosig.stream import (
    ExpressionStore,
    RowBatchDataset,
    as_source,
    is_on_disk,
    make_loader,
    select_genes_streaming,
)

logger = logging.getLogger(__name__)

_EST_PARAMS = (
    "gene_order",
    "max_genes",
    "min_detected",
    "prior_count",
    "normalization",
    "optimizer",
    "lr",
    "weight_decay",
    "batch_size",
    "max_epochs",
    "patience",
    "lr_patience",
    "val_size",
    "class_weight",
    "seed",
    "accelerator",
    "devices",
    "num_nodes",
    "strategy",
    "num_workers",
    "trainer_options",
    "compile_network",
    "progress",
)

#: Settings that do not change what a training run computes (left out of its fingerprint).
_NOT_IN_FINGERPRINT = ("progress", "num_workers")

__all__ = ["CHECKPOINT_KIND", "Data", "GeneImageClassifier"]


class GeneImageClassifier(ProbaClassifier):
    """Sample classifier: counts -> log-CPM z-score -> gene image -> registered network.

    Parameters
    ----------
    arch
        Registered ``task="sample"`` network (``"genexnet"``, ``"resnet50v2"``, ...).
    net_params
        Extra keyword arguments of the network constructor.
    gene_order
        Grid layout: ``"genomic"`` (chromosome position), ``"given"`` or
        ``"coexpression"`` (co-expressed training genes side by side; see
        :meth:`GeneGrid.from_genes`).
    max_genes
        Keep only the most variable genes (fitted on training samples); None keeps all
        genes detected in more than ``min_detected`` of the training samples.
    min_detected
        Detection filter (share of training samples with a count > 0).
    prior_count
        log-CPM pseudo-count.
    normalization
        Per-sample expression before the per-gene z-score: ``"log-cpm"`` (default) or
        ``"rank"`` (rank-based inverse normal scores over the model's genes; unaffected by
        library size and composition, see :class:`~oncosig.genexnet.LogCPMScaler`).
    optimizer, lr, weight_decay
        ``"adam"`` / ``"adagrad"`` / ``"rmsprop"``; learning rate halved on plateau.
    batch_size, max_epochs, patience, lr_patience
        Mini-batch size, epoch limit, early-stopping and LR-plateau patience (epochs).
    val_size
        Share of the training samples held out (stratified, participant-grouped) to drive
        early stopping and the LR schedule; 0 monitors the training loss instead.
    class_weight
        Weight the loss by inverse class frequency.
    seed
        Seed of weights, splits and shuffling.
    accelerator
        ``"auto"``, ``"cpu"`` or ``"gpu"`` (mixed precision and channels-last on GPU only).
    devices, num_nodes, strategy
        Lightning's distribution settings, e.g. ``devices=4, strategy="ddp"`` for four GPUs,
        ``num_nodes`` for several machines; ``accelerator="cpu", devices=2, strategy="ddp"``
        trains with two CPU processes (gloo).  DDP re-launches the running script.
    num_workers
        DataLoader workers (default: 0 in memory on small machines, 1-2 for on-disk data).
    trainer_options
        Extra ``lightning.Trainer`` arguments (e.g. ``{"limit_train_batches": 50}``).
    compile_network
        Train through ``torch.compile`` (one-off compile time; pays off on long epochs).
    progress
        Show Lightning's progress bar.
    """

    arch_default = "genexnet"

    def __init__(
        self,
        arch: str = "genexnet",
        *,
        net_params: dict[str, Any] | None = None,
        gene_order: str = "genomic",
        max_genes: int | None = None,
        min_detected: float = 0.1,
        prior_count: float = 1.0,
        normalization: str = "log-cpm",
        optimizer: str = "adam",
        lr: float = 1e-4,
        weight_decay: float = 0.0,
        batch_size: int = 32,
        max_epochs: int = 100,
        patience: int = 10,
        lr_patience: int = 3,
        val_size: float = 0.15,
        class_weight: bool = True,
        seed: int = 0,
        accelerator: str = "auto",
        devices: int | str | list[int] = 1,
        num_nodes: int = 1,
        strategy: str = "auto",
        num_workers: int | None = None,
        trainer_options: dict[str, Any] | None = None,
        compile_network: bool = False,
        progress: bool = False,
    ) -> None:
        self.arch = arch
        self.net_params = dict(net_params or {})
        self.gene_order = gene_order
        self.max_genes = max_genes
        self.min_detected = min_detected
        self.prior_count = prior_count
        self.normalization = check_method(normalization)
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.lr_patience = lr_patience
        self.val_size = val_size
        self.class_weight = class_weight
        self.seed = seed
        self.accelerator = accelerator
        self.devices = devices
        self.num_nodes = num_nodes
        self.strategy = strategy
        self.num_workers = num_workers
        self.trainer_options = dict(trainer_options or {})
        self.compile_network = compile_network
        self.progress = progress
        self.network: nn.Module | None = None
        self.grid: GeneGrid | None = None
        self.scaler_: LogCPMScaler | None = None
        self.centroids_: np.ndarray | None = None  # classes x genes, see predict_review
        self.classes_: list[str] = []
        self.history_: list[dict[str, float]] = []
        self.training_: dict[str, Any] = {}

    # -- parameters -----------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """Constructor arguments (JSON-serialisable; stored in checkpoints)."""
        out = {k: getattr(self, k) for k in _EST_PARAMS}
        out["arch"] = self.arch
        out["net_params"] = dict(self.net_params)
        return out

    @property
    def genes_(self) -> list[str]:
        """The model's genes (grid order is in :attr:`grid`)."""
        self._check_fitted()
        assert self.grid is not None
        return list(self.grid.genes)

    def training_settings(self) -> dict[str, Any]:
        """:meth:`get_params` less the options that do not change the trained model."""
        return {k: v for k, v in self.get_params().items() if k not in _NOT_IN_FINGERPRINT}

    def _new_scaler(self) -> LogCPMScaler:
        return LogCPMScaler(prior_count=self.prior_count, method=self.normalization)

    def _check_fitted(self) -> None:
        if self.network is None or self.grid is None or self.scaler_ is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit() or load() first")

    # -- data -----------------------------------------------------------------------------
    def prepare(self, adata: AnnData) -> torch.Tensor:
        """Gene images ``(n, 1, H, W)`` of ``adata``.

        Genes are aligned to the model's gene list, turned into log-CPM and z-scored with the
        fitted scaler; genes the data lack become 0 (the training mean), then laid out on the
        grid.
        """
        self._check_fitted()
        assert self.grid is not None and self.scaler_ is not None
        counts = aligned_counts(adata, self.grid.genes)
        return torch.from_numpy(self.grid.to_image(self.scaler_.transform(counts)))

    def _encode(self, labels: np.ndarray) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.classes_)}
        unknown = sorted(set(labels) - set(index))
        if unknown:
            raise ValueError(f"labels {unknown} are not classes of the model ({self.classes_})")
        return np.asarray([index[v] for v in labels], dtype=np.int64)

    def _class_weights(self, y: np.ndarray) -> torch.Tensor | None:
        if not self.class_weight:
            return None
        counts = np.bincount(y, minlength=len(self.classes_)).astype(np.float64)
        w = np.where(counts > 0, len(y) / (len(self.classes_) * np.maximum(counts, 1)), 0.0)
        return torch.tensor(w, dtype=torch.float32)

    def _inner_split(
        self, y: np.ndarray, groups: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        n = len(y)
        if self.val_size <= 0 or n < 10:
            return np.arange(n), np.arange(0)
        return holdout_split(y, groups, test_size=self.val_size, seed=self.seed)

    # -- training -------------------------------------------------------------------------
    def _build_network(self, num_classes: int) -> nn.Module:
        from oncosig.models import create_model

        params = dict(self.net_params)
        if params.get("gene_embedding"):  # per-pixel weights: the network needs the grid size
            assert self.grid is not None
            params["grid_side"] = self.grid.side
        return create_model(self.arch, num_classes=num_classes, in_chans=1, **params)  # type: ignore[no-any-return]

    def _run_id(
        self, phase: str, samples: Iterable[object], genes: Sequence[str], y: np.ndarray
    ) -> str:
        """Fingerprint of a training run: settings, phase, samples, genes, labels."""
        params = self.training_settings()
        return fingerprint(
            {
                "phase": phase,
                "params": params,
                "classes": self.classes_,
                "samples": data_fingerprint(list(samples), y),
                "genes": data_fingerprint(genes),
            }
        )

    def _train(
        self,
        images: torch.Tensor | ExpressionStore,
        y: np.ndarray,
        groups: np.ndarray | None,
        *,
        transform: GeneImageTransform | None = None,
        lr: float,
        max_epochs: int,
        frozen: Sequence[nn.Module] = (),
        checkpoint: Path | None = None,
        resume: bool = False,
        run_id: str = "",
    ) -> dict[str, Any]:
        """Train on in-memory gene images, or on a store streamed through ``transform``.

        ``checkpoint``/``resume``: a resumable epoch-end checkpoint (see :meth:`fit`);
        ``run_id`` identifies the data and settings (stored in it, checked on resume).
        """
        assert self.network is not None
        tr, va = self._inner_split(y, groups)
        self.network.train()

        def subset(rows: np.ndarray) -> RowBatchDataset:
            rows = np.sort(rows)  # ascending rows: batches read as contiguous runs
            return RowBatchDataset(images, rows=rows, labels=y[rows], transform=transform)

        data = GeneImageDataModule(
            subset(tr),
            None,
            subset(va) if va.size else None,
            batch_size=self.batch_size,
            seed=self.seed,
            accelerator=self.accelerator,
            num_workers=self.num_workers,
        )
        module = GeneImageClassifierModule(
            self.network,
            optimizer=self.optimizer,
            lr=lr,
            weight_decay=self.weight_decay,
            class_weights=self._class_weights(y[tr]),
            lr_patience=self.lr_patience,
            frozen=frozen,
        )
        summary = fit_module(
            module,
            data,
            max_epochs=max_epochs,
            patience=self.patience,
            accelerator=self.accelerator,
            devices=self.devices,
            num_nodes=self.num_nodes,
            strategy=self.strategy,
            progress=self.progress,
            trainer_options=self.trainer_options,
            compile_network=self.compile_network,
            checkpoint=checkpoint,
            resume=resume,
            fingerprint=run_id,
        )
        self.history_ += module.history
        self.network.eval()
        return summary

    def fit(
        self,
        adata: Data,
        y: Sequence[object] | np.ndarray | pd.Series | None = None,
        *,
        label_key: str | None = None,
        group_key: str | None = "participant",
        checkpoint_dir: str | Path | None = None,
        resume: bool = False,
    ) -> GeneImageClassifier:
        """Fit preprocessing, grid and network on ``adata`` (training samples only).

        Parameters
        ----------
        adata
            Samples x genes with raw counts (``layers['counts']`` or ``X``): in memory, or
            on disk (a backed AnnData, an ``.h5ad`` path or an
            :class:`~oncosig.stream.ExpressionStore`; it is then streamed in batches and
            the preprocessing statistics are computed in streaming passes).
        y
            Class labels, one per sample (or give ``label_key``).
        label_key
            ``adata.obs`` column holding the labels.
        group_key
            ``adata.obs`` column of participants, so that the inner validation split never
            separates samples of one patient.
        checkpoint_dir
            Folder for a resumable training checkpoint, ``fit.ckpt``, replaced atomically
            at the end of every epoch (weights, optimizer, LR schedule, early stopping,
            best weights, random generators; Lightning format, read back with
            ``weights_only=True``).  None writes none.  The folder is not cleaned up.
        resume
            Continue the run whose checkpoint is in ``checkpoint_dir`` (a missing one
            starts afresh).  Same data, settings and seed give the same model as an
            uninterrupted run (bit-identical on CPU).  Without ``resume``, an existing
            checkpoint is refused (continue it, or delete it to start over).
        """
        check_gene_order(self.gene_order)  # before any work on the data
        obs = obs_view(adata)
        labels = resolve_labels(obs, y, label_key)
        self.classes_ = sorted(set(labels))
        if len(self.classes_) < 2:
            raise ValueError("need at least two classes to train a classifier")
        seed_everything(self.seed)
        transform: GeneImageTransform | None = None
        images: torch.Tensor | ExpressionStore
        if is_on_disk(adata):
            store = as_source(adata)
            assert isinstance(store, ExpressionStore)
            keep = select_genes_streaming(
                store, min_detected=self.min_detected, max_genes=self.max_genes
            )
            genes = [str(g) for g in store.var_names[keep]]
            self.scaler_ = self._new_scaler().fit_streaming(store, columns=keep)
            layout_data = None
            if self.gene_order == "coexpression":  # correlations of up to 2,000 samples
                rows = np.unique(np.linspace(0, store.n_obs - 1, min(store.n_obs, 2000)).round())
                layout_data = self.scaler_.transform(store.read(rows.astype(np.int64))[:, keep])
            self.grid = GeneGrid.from_genes(genes, order=self.gene_order, data=layout_data)  # type: ignore[arg-type]
            images, transform = store, GeneImageTransform(keep, self.scaler_, self.grid)
        else:
            counts = counts_matrix(obs)
            keep = select_genes(counts, min_detected=self.min_detected, max_genes=self.max_genes)
            genes = [str(g) for g in obs.var_names[keep]]
            counts = counts[:, keep]
            self.scaler_ = self._new_scaler().fit(counts)
            scaled = self.scaler_.transform(counts)
            self.grid = GeneGrid.from_genes(genes, order=self.gene_order, data=scaled)  # type: ignore[arg-type]
            images = torch.from_numpy(self.grid.to_image(scaled))
        self.network = self._build_network(len(self.classes_))
        self.history_ = []
        logger.info(
            "training %s on %d samples, %d genes (%dx%d grid), %d classes",
            self.arch,
            obs.n_obs,
            len(genes),
            self.grid.side,
            self.grid.side,
            len(self.classes_),
        )
        y_int = self._encode(labels)
        summary = self._train(
            images,
            y_int,
            participants(obs, group_key),
            transform=transform,
            lr=self.lr,
            max_epochs=self.max_epochs,
            checkpoint=None if checkpoint_dir is None else Path(checkpoint_dir) / f"fit{SUFFIX}",
            resume=resume,
            run_id=self._run_id("fit", obs.obs_names, genes, y_int),
        )
        self.training_ = {"fit": summary, "n_samples": int(obs.n_obs)}
        self.centroids_ = class_centroids(
            images, y_int, len(self.classes_), self.grid, transform=transform
        )
        return self

    def finetune(
        self,
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
    ) -> GeneImageClassifier:
        """Transfer learning: new head, train it with the backbone frozen, then unfreeze.

        The cohort is first aligned to the model's genes (missing genes -> training mean).
        When the classes differ from the pre-training classes, the head is replaced
        (``reset_classifier``).  Phase 1 trains only the head for ``freeze_epochs`` epochs
        (every other top-level module of the network frozen, BatchNorm statistics fixed);
        phase 2 trains everything for up to ``max_epochs`` epochs.

        Parameters
        ----------
        adata, y, label_key, group_key
            As in :meth:`fit`.
        freeze_epochs
            Epochs with the backbone frozen (0 skips phase 1).
        max_epochs
            Epochs of phase 2 (default: the estimator's ``max_epochs``; 0 skips it).
        lr, head_lr
            Learning rates of phase 2 (default: the estimator's ``lr``) and phase 1
            (default: 10 x ``lr``).
        refit_scaler
            Refit the per-gene z-score on this cohort (default: keep the pre-trained one).
        checkpoint_dir, resume
            As in :meth:`fit`: resumable checkpoints of the two phases
            (``finetune-frozen.ckpt``, ``finetune.ckpt``).  Their identity includes the
            starting weights, so a resume must start from the same pre-trained model.
        """
        finetune_classifier(
            self,
            adata,
            y,
            label_key=label_key,
            group_key=group_key,
            freeze_epochs=freeze_epochs,
            max_epochs=max_epochs,
            lr=lr,
            head_lr=head_lr,
            refit_scaler=refit_scaler,
            checkpoint_dir=checkpoint_dir,
            resume=resume,
        )
        return self

    # -- inference ------------------------------------------------------------------------
    def _store_columns(self, store: ExpressionStore) -> np.ndarray:
        """Column of each model gene in an on-disk store (-1 where the store lacks it)."""
        assert self.grid is not None
        return store.columns_of(self.grid.genes)

    def predict_proba(self, adata: Data, *, batch_size: int = 256) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)`` in :attr:`classes_` order.

        On-disk data (backed AnnData, store path) are streamed in batches of rows.
        """
        return self._predict_pass(adata, batch_size=batch_size, correlations=False)[0]

    def proba_and_correlations(self, adata: Data) -> tuple[np.ndarray, np.ndarray | None]:
        """Class probabilities and each sample's correlation with every class centroid.

        One pass over the data; the correlations are None for a model saved without
        centroids (files saved before they were kept).  See :meth:`predict_review`.
        """
        return self._predict_pass(adata, batch_size=256, correlations=True)

    @torch.no_grad()
    def _predict_pass(
        self, adata: Data, *, batch_size: int, correlations: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        self._check_fitted()
        assert self.network is not None and self.grid is not None and self.scaler_ is not None
        self.network.eval()
        device = next(self.network.parameters()).device
        batches: Iterable[tuple[torch.Tensor, Any]]
        if is_on_disk(adata):
            store = as_source(adata)
            assert isinstance(store, ExpressionStore)
            transform = GeneImageTransform(self._store_columns(store), self.scaler_, self.grid)
            batches = make_loader(
                RowBatchDataset(store, transform=transform),
                batch_size=batch_size,
                shuffle=False,
                shard=False,
                accelerator=device.type,
                num_workers=self.num_workers,
            )
        else:
            x = self.prepare(adata)
            batches = ((x[i : i + batch_size], None) for i in range(0, len(x), batch_size))
        cuda = device.type == "cuda"
        half = torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else torch.float16
        out, corr = [], []
        centroids = self.centroids_ if correlations else None
        for xb, _ in batches:
            if centroids is not None:
                genes = self.grid.from_image(xb.numpy())
                corr.append(centroid_correlations(genes, centroids))
            xb = xb.to(device, non_blocking=cuda)
            with torch.autocast("cuda", dtype=half, enabled=cuda):
                if cuda:
                    xb = xb.contiguous(memory_format=torch.channels_last)
                logits = self.network(xb).float()
            out.append(torch.softmax(logits, dim=1).cpu().numpy())
        k = len(self.classes_)
        proba = np.concatenate(out, axis=0) if out else np.zeros((0, k))
        if centroids is None:
            return proba, None
        return proba, (np.concatenate(corr, axis=0) if corr else np.zeros((0, k)))

    # -- persistence ----------------------------------------------------------------------
    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write one safetensors file: weights, fitted scaler, grid, genes, classes, config."""
        return save_classifier(self, path, overwrite=overwrite)

    @classmethod
    def load(cls, path: str | Path) -> GeneImageClassifier:
        """Load a model written by :meth:`save` (no pickle is ever read)."""
        return load_classifier(path)

    def copy(self) -> GeneImageClassifier:
        """A deep copy (e.g. to fine-tune one pre-trained model on several folds)."""
        return copy.deepcopy(self)
