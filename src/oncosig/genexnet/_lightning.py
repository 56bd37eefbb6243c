"""Lightning pieces: the data module, the classifier module and the trainer factory."""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Sequence
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

logger = logging.getLogger(__name__)

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
}


class GeneImageDataModule(L.LightningDataModule):
    """Gene images and integer labels for training and (optionally) validation.

    Parameters
    ----------
    x_train, y_train
        Images ``(n, 1, H, W)`` and labels ``(n,)``.
    x_val, y_val
        Validation set for early stopping and the learning-rate schedule (may be None).
    batch_size
        Mini-batch size.
    seed
        Seed of the shuffling generator.
    """

    def __init__(
        self,
        x_train: torch.Tensor,
        y_train: torch.Tensor,
        x_val: torch.Tensor | None = None,
        y_val: torch.Tensor | None = None,
        *,
        batch_size: int = 32,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.train_set = TensorDataset(x_train, y_train)
        self.val_set = (
            None
            if x_val is None or y_val is None or len(x_val) == 0
            else TensorDataset(x_val, y_val)
        )
        self.batch_size = int(batch_size)
        self.seed = int(seed)

    def train_dataloader(self) -> DataLoader:
        n = len(self.train_set)
        # BatchNorm cannot train on a batch of one sample: drop such a last batch
        drop_last = n > self.batch_size and n % self.batch_size == 1
        gen = torch.Generator().manual_seed(self.seed)
        return DataLoader(
            self.train_set,
            batch_size=self.batch_size,
            shuffle=True,
            generator=gen,
            drop_last=drop_last,
        )

    def val_dataloader(self) -> DataLoader | list[Any]:
        if self.val_set is None:
            return []
        return DataLoader(self.val_set, batch_size=max(self.batch_size, 64))


class GeneImageClassifierModule(L.LightningModule):
    """Cross-entropy training of a gene-image network (logits; metrics over all samples).

    Parameters
    ----------
    network
        Any registered ``task="sample"`` network.
    optimizer
        ``"adam"``, ``"adagrad"`` or ``"rmsprop"``.
    lr
        Initial learning rate (halved when the monitored loss plateaus).
    weight_decay
        L2 penalty.
    class_weights
        Per-class loss weights (None = unweighted).
    lr_patience
        Epochs without improvement before the learning rate is halved.
    frozen
        Modules kept frozen (no gradient, BatchNorm statistics fixed) during training.
    """

    def __init__(
        self,
        network: nn.Module,
        *,
        optimizer: str = "adam",
        lr: float = 1e-4,
        weight_decay: float = 0.0,
        class_weights: torch.Tensor | None = None,
        lr_patience: int = 3,
        frozen: Sequence[nn.Module] = (),
    ) -> None:
        super().__init__()
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {optimizer!r}")
        self.network = network
        self.optimizer_name = optimizer
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.lr_patience = int(lr_patience)
        self.frozen = list(frozen)
        self.loss_fn = nn.CrossEntropyLoss(weight=class_weights)
        self._val: list[tuple[float, int, int]] = []
        self._train: list[tuple[float, int]] = []
        self.history: list[dict[str, float]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)

    def on_train_epoch_start(self) -> None:
        for m in self.frozen:
            m.eval()
        self._train = []

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        x, y = batch
        loss = self.loss_fn(self.network(x), y)
        self._train.append((float(loss.detach()) * len(y), len(y)))
        self.log("train_loss", loss, prog_bar=True, on_step=False, on_epoch=True, batch_size=len(y))
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        logits = self.network(x)
        loss = nn.functional.cross_entropy(
            logits.float(), y, weight=self.loss_fn.weight, reduction="sum"
        )
        correct = int((logits.argmax(1) == y).sum())
        self._val.append((float(loss), correct, len(y)))

    def on_validation_epoch_end(self) -> None:
        if not self._val:
            return
        tot = np.asarray(self._val, dtype=np.float64)
        n = tot[:, 2].sum()
        # over all validation samples (not an average of batch means)
        self.log("val_loss", float(tot[:, 0].sum() / n), prog_bar=True)
        self.log("val_acc", float(tot[:, 1].sum() / n), prog_bar=True)
        self._val = []

    def on_train_epoch_end(self) -> None:
        rec: dict[str, float] = {"epoch": float(self.current_epoch)}
        if self._train:
            t = np.asarray(self._train)
            rec["train_loss"] = float(t[:, 0].sum() / t[:, 1].sum())
        for key in ("val_loss", "val_acc"):
            if key in self.trainer.callback_metrics:
                rec[key] = float(self.trainer.callback_metrics[key])
        rec["lr"] = float(self.trainer.optimizers[0].param_groups[0]["lr"])
        self.history.append(rec)

    def configure_optimizers(self) -> Any:
        params = [p for p in self.network.parameters() if p.requires_grad]
        opt = OPTIMIZERS[self.optimizer_name](params, lr=self.lr, weight_decay=self.weight_decay)
        monitor = "val_loss" if self.trainer.datamodule.val_set is not None else "train_loss"  # type: ignore[attr-defined]
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode="min", factor=0.5, patience=self.lr_patience
        )
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": monitor}}


class BestWeights(Callback):
    """Keep the weights of the best epoch (lowest monitored loss) in memory; restore at the end.

    Nothing is pickled to disk: checkpoints are written by the estimator as safetensors.
    """

    def __init__(self, monitor: str) -> None:
        self.monitor = monitor
        self.best: float = float("inf")
        self.state: dict[str, torch.Tensor] | None = None
        self.best_epoch = -1

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        value = trainer.callback_metrics.get(self.monitor)
        if value is None:
            return
        v = float(value)
        if v < self.best:
            self.best = v
            self.best_epoch = trainer.current_epoch
            self.state = copy.deepcopy(pl_module.network.state_dict())  # type: ignore[union-attr]

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.state is not None:
            pl_module.network.load_state_dict(self.state)  # type: ignore[union-attr]


def precision_for(accelerator: str) -> str:
    """Mixed precision on GPU only (bf16 where supported), full precision on CPU."""
    if accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available()):
        if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
            return "bf16-mixed"
        return "16-mixed"
    return "32-true"


def fit_module(
    module: GeneImageClassifierModule,
    data: GeneImageDataModule,
    *,
    max_epochs: int,
    patience: int,
    accelerator: str = "auto",
    progress: bool = False,
) -> dict[str, Any]:
    """Train with early stopping and best-weight restore; returns a training summary."""
    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    monitor = "val_loss" if data.val_set is not None else "train_loss"
    best = BestWeights(monitor)
    callbacks: list[Callback] = [
        EarlyStopping(monitor=monitor, patience=patience, mode="min"),
        best,
    ]
    trainer = L.Trainer(
        max_epochs=max_epochs,
        accelerator="gpu" if accelerator in ("gpu", "cuda") else accelerator,
        devices=1,
        precision=precision_for(accelerator),  # type: ignore[arg-type]
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=progress,
        enable_model_summary=False,
        callbacks=callbacks,
        deterministic="warn",
        num_sanity_val_steps=0,
    )
    with warnings.catch_warnings():
        # Lightning's advice for multi-process data loading does not apply to in-memory tensors
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*treespec.*")
        warnings.filterwarnings("ignore", message=".*is smaller than the logging interval.*")
        trainer.fit(module, datamodule=data)
    module.network.cpu()
    return {
        "epochs": int(trainer.current_epoch),
        "best_epoch": int(best.best_epoch),
        "best_" + monitor: float(best.best),
        "monitor": monitor,
    }
